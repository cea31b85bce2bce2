import logging

import requests

from odoo import _, api, models
from odoo.addons.payment_stripe.models.payment import STRIPE_HEADERS
from odoo.tools import float_round

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    @api.model
    def _check_or_create_invoice_tx(self, invoice, acquirer, payment_token=None, tx_type="form",
                                    add_tx_values=None):
        """A workspace invoice is paid for what it still owes, which after
        a partial payment is less than its total."""
        if invoice.company_id.webo_workspace:
            add_tx_values = dict(add_tx_values or {}, amount=invoice.residual)
        return super()._check_or_create_invoice_tx(
            invoice, acquirer, payment_token=payment_token, tx_type=tx_type,
            add_tx_values=add_tx_values)

    def render_invoice_button(self, invoice, return_url, submit_txt=None, render_values=None):
        if not invoice.company_id.webo_workspace:
            return super().render_invoice_button(invoice, return_url, submit_txt=submit_txt,
                                                 render_values=render_values)
        values = dict(render_values or {}, return_url=return_url, partner_id=invoice.partner_id.id)
        acquirer = self.acquirer_id.with_context(submit_class="btn btn-primary",
                                                 submit_txt=submit_txt or _("Pay Now"))
        return acquirer.sudo().render(self.reference, self.amount, invoice.currency_id.id,
                                      values=values)

    def _confirm_invoice(self):
        """Pay a workspace invoice once per transaction, whatever the number
        of times the acquirer's notification arrives, for the amount the
        client paid, at most what the invoice still owes."""
        self.ensure_one()
        invoice = self.account_invoice_id
        if not invoice.company_id.webo_workspace:
            return super()._confirm_invoice()
        # Two deliveries of one notification at once: the second waits here
        # for the first to commit, then finds its payment.
        self.env.cr.execute("SELECT id FROM payment_transaction WHERE id = %s FOR UPDATE", [self.id])
        if self.env["account.payment"].sudo().search_count([("payment_transaction_id", "=", self.id)]):
            _logger.info("transaction %s already paid invoice %s", self.reference, invoice.number)
            return True
        if self.state != "done":
            return super()._confirm_invoice()
        if not invoice._webo_takes_payment(self.amount, self.reference):
            return "pay_invoice_tx_amount"
        return self._pay_invoice()

    def _pay_invoice(self):
        self.ensure_one()
        invoice = self.account_invoice_id
        if not invoice.company_id.webo_workspace:
            return super()._pay_invoice()
        journal = self.acquirer_id.journal_id or invoice._webo_payment_journal()
        invoice.sudo()._webo_post_payment(self.amount, journal, currency_id=self.currency_id.id,
                                          payment_transaction_id=self.id)
        return True

    def _create_stripe_charge(self, acquirer_ref=None, tokenid=None, email=None):
        """Charge a workspace's client once per transaction, however many
        times the card form is submitted, even at the same moment: the
        transaction's row is locked while Stripe is asked (a second
        submission waits, then finds it paid and charges nothing), and the
        request carries an idempotency key of the transaction and the card,
        so that Stripe itself answers a replay with the first charge."""
        self.ensure_one()
        if not self.acquirer_id.company_id.webo_workspace:
            return super()._create_stripe_charge(acquirer_ref=acquirer_ref, tokenid=tokenid, email=email)
        self.env.cr.execute("SELECT state FROM payment_transaction WHERE id = %s FOR UPDATE", [self.id])
        (state,) = self.env.cr.fetchone()
        if state not in ("draft", "pending"):
            _logger.info("transaction %s is %s: no new charge", self.reference, state)
            return {}
        currency = self.currency_id
        params = {
            "amount": int(float_round(self.amount * 10 ** currency.decimal_places, 0)),
            "currency": currency.name,
            "metadata[reference]": self.reference,
            "description": self.reference,
        }
        if acquirer_ref:
            params["customer"] = acquirer_ref
        if tokenid:
            params["card"] = str(tokenid)
        if email:
            params["receipt_email"] = email.strip()
        database = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        key = "webo-%s-%d-%s" % (database, self.id, tokenid or acquirer_ref)
        reply = requests.post("https://%s/charges" % self.acquirer_id._get_stripe_api_url(),
                              auth=(self.acquirer_id.sudo().stripe_secret_key, ""), params=params,
                              headers=dict(STRIPE_HEADERS, **{"Idempotency-Key": key}), timeout=60)
        return reply.json()
