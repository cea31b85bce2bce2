odoo.define('webo_sale.webo_list', function (require) {
"use strict";

/**
 * The lists of Gestion commerciale > Vente name their create button as the
 * seed does ("Créer une facture", "Créer un compte client"). When the
 * action's context names a `webo_create_action`, the button opens it (the
 * invoice wizard) instead of an empty form.
 */
var core = require('web.core');
var ListController = require('web.ListController');
var ListView = require('web.ListView');
var viewRegistry = require('web.view_registry');

// Lazy: translations are not loaded yet when this module is defined.
var _lt = core._lt;

var CREATE_LABELS = {
    'account.invoice': _lt("Create an invoice"),
    'res.partner': _lt("Create a customer account"),
};

var WeboListController = ListController.extend({
    renderButtons: function () {
        this._super.apply(this, arguments);
        var label = CREATE_LABELS[this.modelName];
        if (this.$buttons && label) {
            this.$buttons.find('.o_list_button_add').text(String(label));
        }
    },
    _onCreateRecord: function (event) {
        var action = this.initialState.context.webo_create_action;
        if (!action) {
            return this._super.apply(this, arguments);
        }
        if (event) {
            event.stopPropagation();
        }
        var self = this;
        return this.do_action(action, {
            on_close: function () {
                self.reload();
            },
        });
    },
});

var WeboListView = ListView.extend({
    config: _.extend({}, ListView.prototype.config, {
        Controller: WeboListController,
    }),
});

viewRegistry.add('webo_list', WeboListView);

return WeboListView;
});
