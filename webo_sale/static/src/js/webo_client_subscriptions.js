odoo.define('webo_sale.webo_client_subscriptions', function (require) {
"use strict";

/**
 * The client's "Abonnements" tab, as the seed has it: tick a subscription
 * with the box left of its label, and the "Actions" frame above the list
 * offers Modifier, Dupliquer and Arrêter (the very actions of the
 * Subscriptions list: Arrêter asks for a confirmation first).
 */
var core = require('web.core');
var fieldRegistry = require('web.field_registry');
var ListRenderer = require('web.ListRenderer');
var relationalFields = require('web.relational_fields');

var _lt = core._lt;

var ACTIONS = [
    {method: 'action_webo_modify', label: _lt("Modify")},
    {method: 'action_webo_duplicate', label: _lt("Duplicate")},
    {method: 'action_webo_stop', label: _lt("Stop")},
];

ListRenderer.include({
    init: function (parent) {
        this._super.apply(this, arguments);
        // Odoo's one2many lists have no checkboxes; this widget's has.
        if (parent && parent.weboSelectable) {
            this.hasSelectors = true;
        }
    },
});

var ClientSubscriptions = relationalFields.FieldOne2Many.extend({
    weboSelectable: true,
    custom_events: _.extend({}, relationalFields.FieldOne2Many.prototype.custom_events, {
        selection_changed: '_onSelectionChanged',
    }),
    events: _.extend({}, relationalFields.FieldOne2Many.prototype.events, {
        'click .o_webo_subscription_actions button': '_onActionClicked',
    }),

    init: function () {
        this._super.apply(this, arguments);
        this.selection = [];
    },

    /**
     * @override
     */
    _render: function () {
        var self = this;
        return $.when(this._super.apply(this, arguments)).then(function () {
            self._renderActions();
        });
    },
    _renderActions: function () {
        this.$('.o_webo_subscription_actions').remove();
        var $body = $('<div class="panel-body">');
        _.each(ACTIONS, function (action) {
            $('<button type="button" class="btn btn-link">')
                .attr('data-method', action.method)
                .text(String(action.label))
                .appendTo($body);
        });
        $('<div class="panel panel-default o_webo_subscription_actions">')
            .append($('<div class="panel-heading">').append($('<strong>').text(String(_lt("Actions")))))
            .append($body)
            .toggleClass('hidden', !this.selection.length)
            .prependTo(this.$el);
    },
    /**
     * The ids of the ticked subscriptions (the list knows its rows by
     * their local ids).
     */
    _selectedIds: function () {
        var records = this.value ? this.value.data : [];
        return _.compact(_.map(this.selection, function (localId) {
            var record = _.findWhere(records, {id: localId});
            return record && record.res_id;
        }));
    },

    _onSelectionChanged: function (event) {
        event.stopPropagation();
        this.selection = event.data.selection;
        this.$('.o_webo_subscription_actions').toggleClass('hidden', !this.selection.length);
    },
    _onActionClicked: function (event) {
        var self = this;
        this._rpc({
            model: 'webo.subscription',
            method: $(event.currentTarget).data('method'),
            args: [this._selectedIds()],
            context: this.record.getContext(),
        }).then(function (action) {
            self.do_action(action, {
                on_close: function () {
                    self.trigger_up('reload');
                },
            });
        });
    },
});

fieldRegistry.add('webo_client_subscriptions', ClientSubscriptions);

return ClientSubscriptions;
});
