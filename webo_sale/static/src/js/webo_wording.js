odoo.define('webo_sale.webo_wording', function (require) {
"use strict";

/**
 * The seed's words for Odoo's own buttons: its forms save with
 * "Enregistrer" where Odoo's French says "Sauvegarder". The translation of
 * "Save" in webo_sale's fr.po wins over Odoo's (the web client reads the
 * translations of webo's modules after those of "web").
 */
var core = require('web.core');
var FormController = require('web.FormController');

var _t = core._t;

FormController.include({
    renderButtons: function () {
        this._super.apply(this, arguments);
        if (this.$buttons) {
            this.$buttons.find('.o_form_button_save').text(_t("Save"));
        }
    },
});

});
