odoo.define('webo_sale.webo_errors', function (require) {
"use strict";

/**
 * A refusal (UserError, ValidationError, AccessError...) is the service's
 * answer, in French, saying what to fix: not a crash. Odoo 11 titles it
 * "Odoo Server Error - Warning"; here it reads "Attention" and the message.
 * Real crashes keep Odoo's error window. A refusal to send an invoice
 * before the sales service is open offers the opening.
 */
var core = require('web.core');
var CrashManager = require('web.CrashManager');
var Dialog = require('web.Dialog');
var webClient = require('web.web_client');

var QWeb = core.qweb;
var _t = core._t;

/**
 * The error as a warning window shows it: the message alone, under the
 * title "Attention".
 */
function asWarning(error, message) {
    return _.extend({}, error, {
        type: _t("Warning"),
        data: _.extend({}, error.data, {title: '', message: message}),
    });
}

CrashManager.include({
    show_warning: function (error) {
        if (error.data && error.data.exception_type) {
            error = asWarning(error, error.data.message);
        }
        return this._super(error);
    },
});

var RedirectWarningHandler = core.crash_registry.get('odoo.exceptions.RedirectWarning');
core.crash_registry.add('odoo.exceptions.RedirectWarning', RedirectWarningHandler.extend({
    init: function (parent, error) {
        this._super(parent, asWarning(error, error.data.arguments[0]));
    },
}));

var ServiceNotOpenHandler = Dialog.extend({
    init: function (parent, error) {
        this._super(parent);
        this.error = asWarning(error, error.data.arguments[0]);
    },
    display: function () {
        var self = this;
        new Dialog(this, {
            size: 'medium',
            title: this.error.type,
            $content: $(QWeb.render('CrashManager.warning', {error: this.error})),
            buttons: [{
                text: _t("Open my sales service"),
                classes: 'btn-primary o_webo_open_service',
                close: true,
                click: function () {
                    webClient.do_action('webo_sale.webo_sale_service_action_open', {
                        clear_breadcrumbs: true,
                    });
                    self.destroy();
                },
            }, {
                text: _t("Close"),
                close: true,
                click: function () {
                    self.destroy();
                },
            }],
        }).open();
    },
});

core.crash_registry.add('odoo.addons.webo_sale.exceptions.ServiceNotOpen', ServiceNotOpenHandler);

return {ServiceNotOpenHandler: ServiceNotOpenHandler};
});
