odoo.define('webo_sale.webo_phone', function (require) {
"use strict";

/**
 * The back office on a phone (webo_backend.less does the layout): the
 * side menu is not a 220 px column but opens, full width, with the top
 * bar's menu button, and closes once a menu is chosen; list columns marked
 * ``o_webo_phone_hidden`` (cells and headers) give way to the main ones.
 */
var ListRenderer = require('web.ListRenderer');
var Menu = require('web.Menu');

var OPEN_CLASS = 'o_webo_menu_open';
// Bootstrap's (and Odoo's) phone width: below it, the menu collapses.
var PHONE_MAX_WIDTH = 768;

Menu.include({
    bind_menu: function () {
        var result = this._super.apply(this, arguments);
        var $collapse = $('#oe_main_menu_navbar .navbar-collapse');
        $collapse.off('.webo')
            .on('show.bs.collapse.webo', function () {
                $('body').addClass(OPEN_CLASS);
            })
            .on('hide.bs.collapse.webo', function () {
                $('body').removeClass(OPEN_CLASS);
            });
        // A menu chosen closes the menu (Bootstrap's leaves it open).
        this.$el.add(this.$secondary_menus).off('.webo')
            .on('click.webo', 'a[data-menu]:not(.oe_menu_toggler)', function () {
                if ($collapse.hasClass('in')) {
                    $collapse.collapse('hide');
                }
            });
        return result;
    },
    /**
     * On a phone every app is listed in the opened menu (Odoo's own
     * resize handler does so, but the end of each action reflows the bar
     * as on a desktop, docking every app in "Plus"); and the only app of a
     * designer, Gestion commerciale, stays in the top bar (Odoo hides a
     * lone app; the seed starts from it).
     *
     * @override
     */
    reflow: function (behavior) {
        var result = this._super($(window).width() < PHONE_MAX_WIDTH ? 'all_outside' : behavior);
        if (!this.$('#menu_more').children().length) {
            this.$el.children('li').not('#menu_more_container').show();
        }
        return result;
    },
});

ListRenderer.include({
    /**
     * A column's class goes on its header too (Odoo puts it on its cells).
     *
     * @override
     */
    _renderHeaderCell: function (node) {
        var $th = this._super.apply(this, arguments);
        if (node.attrs.class) {
            $th.addClass(node.attrs.class);
        }
        return $th;
    },
    /**
     * ...and on the cell of a field shown by a widget (Odoo puts it on the
     * widget).
     *
     * @override
     */
    _renderBodyCell: function (record, node) {
        var $td = this._super.apply(this, arguments);
        if (node.attrs.class) {
            $td.addClass(node.attrs.class);
        }
        return $td;
    },
    /**
     * The footer's cells follow their columns.
     *
     * @override
     */
    _renderFooter: function (isGrouped) {
        var $footer = this._super.apply(this, arguments);
        var offset = (isGrouped ? 1 : 0) + (this.hasSelectors ? 1 : 0);
        var $cells = $footer.find('td');
        _.each(this.columns, function (node, index) {
            if (node.attrs.class) {
                $cells.eq(index + offset).addClass(node.attrs.class);
            }
        });
        return $footer;
    },
});

});
