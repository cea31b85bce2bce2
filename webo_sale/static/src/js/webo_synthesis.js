odoo.define('webo_sale.webo_synthesis', function (require) {
"use strict";

/**
 * The Synthèse greets the designer with an explanatory window on their
 * first visit only: the window's text is part of the form view (so it is
 * translated with it); closing it tells the server not to show it again.
 */
var core = require('web.core');
var Dialog = require('web.Dialog');
var FormController = require('web.FormController');
var FormView = require('web.FormView');
var viewRegistry = require('web.view_registry');

var _t = core._t;

var SynthesisController = FormController.extend({
    start: function () {
        var self = this;
        return this._super.apply(this, arguments).then(function () {
            self._showWelcome();
        });
    },
    _showWelcome: function () {
        var record = this.model.get(this.handle);
        if (!record || !record.data.welcome_pending) {
            return;
        }
        var self = this;
        var $content = this.$('.o_webo_welcome').clone().removeClass('hidden');
        var dialog = new Dialog(this, {
            title: _t("Welcome to your invoicing space"),
            $content: $content,
            buttons: [{text: _t("Let's go"), classes: 'btn-primary', close: true}],
        });
        dialog.on('closed', this, function () {
            self._rpc({
                model: 'webo.sale.service',
                method: 'action_welcome_seen',
                args: [[record.res_id]],
            });
        });
        dialog.open();
    },
});

var SynthesisView = FormView.extend({
    config: _.extend({}, FormView.prototype.config, {
        Controller: SynthesisController,
    }),
});

viewRegistry.add('webo_synthesis', SynthesisView);

return SynthesisView;
});
