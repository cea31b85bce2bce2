"""Subscriptions paid automatically: the client's authorisation, given on
the page of one of the subscription's invoices, to charge its next
invoices to a card or a SEPA direct debit (Stripe's documented way: a
Checkout Session in ``setup`` mode for a Customer of the connected
account, then off-session PaymentIntents)."""
import logging
import uuid

import psycopg2
import stripe

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .webo_stripe_checkout import METHODS, minor_units
from .webo_stripe_event import WebhookRefused

_logger = logging.getLogger(__name__)

# The events of a setup made on Stripe's page: the session completed (its
# setup intent holds the payment method) or the setup intent itself.
SETUP_EVENTS = ("checkout.session.completed", "setup_intent.succeeded")


class WeboStripeMandate(models.Model):
    """One authorisation of a client to be charged automatically for a
    subscription. Its text, date and origin are kept as the client
    accepted them; at most one is active per subscription."""

    _name = "webo.stripe.mandate"
    _description = "Automatic Payment Authorisation of a Subscription"
    _order = "id desc"

    reference = fields.Char(
        required=True, readonly=True, index=True, copy=False, default=lambda self: uuid.uuid4().hex,
        help="Sent to Stripe in the metadata of the setup: its events name it.")
    subscription_id = fields.Many2one("webo.subscription", required=True, readonly=True,
                                      ondelete="restrict", index=True)
    invoice_id = fields.Many2one("account.invoice", string="Chosen on", required=True, readonly=True,
                                 ondelete="restrict", help="The invoice whose page the client used.")
    company_id = fields.Many2one(related="subscription_id.company_id", store=True, readonly=True)
    partner_id = fields.Many2one(related="subscription_id.partner_id", readonly=True)
    stripe_account_id = fields.Char(required=True, readonly=True)
    customer_id = fields.Char(string="Stripe Customer", readonly=True)
    session_id = fields.Char(string="Checkout Session", readonly=True, index=True)
    setup_intent_id = fields.Char(readonly=True)
    payment_method_id = fields.Char(readonly=True)
    stripe_mandate_id = fields.Char(readonly=True,
                                    help="The SEPA debit mandate Stripe keeps (none for a card).")
    method = fields.Selection(METHODS, readonly=True)
    method_last4 = fields.Char(string="Last Digits", readonly=True)
    text = fields.Text(string="Authorisation Text", required=True, readonly=True,
                       help="The text shown to the client, which they accepted.")
    accepted_date = fields.Datetime(required=True, readonly=True)
    ip_address = fields.Char(string="IP Address", readonly=True)
    user_agent = fields.Char(readonly=True)
    state = fields.Selection(
        [("pending", "On Stripe's page"), ("active", "Active"), ("replaced", "Replaced"),
         ("revoked", "Revoked")], required=True, default="pending", readonly=True)
    revoked_date = fields.Datetime(readonly=True)
    checkout_ids = fields.One2many("webo.stripe.checkout", "mandate_id", string="Charges", readonly=True)

    _sql_constraints = [("reference_unique", "unique(reference)", "A mandate reference is used once.")]

    @api.model_cr
    def init(self):
        # One automatic charge per invoice, even when two runs (queue jobs
        # on two servers) reach it at the same time.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS webo_stripe_checkout_one_automatic_charge
                ON webo_stripe_checkout (invoice_id) WHERE mandate_id IS NOT NULL""")

    # The client's page

    @api.model
    def _webo_text(self, subscription):
        """The authorisation the client reads before going to Stripe's
        page, in the context's language (it is stored as shown)."""
        return _(
            "By confirming, you authorise %(workspace)s to charge the invoices of your subscription "
            "\"%(name)s\" to the card or the bank account you register on the secure page of Stripe, "
            "its payment provider, when each invoice is issued, until you revoke this authorisation "
            "from an invoice's page. For a SEPA direct debit you authorise (A) %(workspace)s and "
            "Stripe to send instructions to your bank to debit your account and (B) your bank to "
            "debit your account in accordance with those instructions. As part of your rights, you "
            "are entitled to a refund from your bank under the terms and conditions of your agreement "
            "with your bank; a refund must be claimed within 8 weeks starting from the date on which "
            "your account was debited."
        ) % {"workspace": subscription.company_id.name, "name": subscription.name}

    @api.model
    def _webo_start(self, invoice, accepted, ip_address, user_agent, return_url):
        """The client ``accepted`` the authorisation shown on the page of
        ``invoice`` (its text, in the context's language, is kept): a
        Checkout Session in setup mode, for a Customer of the workspace's
        connected account. Returns the URL of Stripe's page. Refused
        (UserError, nothing kept) for an invoice of no running
        subscription, without card payments, or not accepted."""
        invoice = invoice.sudo()
        subscription = invoice.webo_subscription_id
        if invoice.type != "out_invoice" or not subscription or subscription.state != "running":
            raise UserError(_("Automatic payment is offered on the invoices of a running subscription "
                              "only: pay this invoice from its page."))
        if not accepted:
            raise UserError(_("Tick the box accepting the authorisation shown on the page to pay the "
                              "next invoices automatically."))
        text = self._webo_text(subscription)
        service = self.env["webo.sale.service"].sudo().search([("company_id", "=", invoice.company_id.id)])
        platform = self.env["webo.stripe.platform"]
        if not service.stripe_account_id or not platform._webo_enabled():
            raise UserError(_("Automatic payment is not available for this subscription: pay each "
                              "invoice from its page."))
        # Stripe first: a refusal keeps nothing here.
        values = {
            "reference": uuid.uuid4().hex, "subscription_id": subscription.id, "invoice_id": invoice.id,
            "stripe_account_id": service.stripe_account_id, "text": text,
            "accepted_date": fields.Datetime.now(), "ip_address": ip_address,
            "user_agent": (user_agent or "")[:500],
        }
        mandate = self.sudo().new(values)
        options = {"stripe_account": service.stripe_account_id}
        try:
            client = platform._webo_client()
            customer = client.v1.customers.create(mandate._webo_customer_params(), dict(
                options, idempotency_key="webo-customer-%s" % values["reference"]))
            mandate.customer_id = values["customer_id"] = customer.id
            session = client.v1.checkout.sessions.create(mandate._webo_session_params(return_url), dict(
                options, idempotency_key="webo-setup-%s" % values["reference"]))
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None
        except stripe.StripeError as error:
            _logger.warning("Stripe refused the setup of subscription %s: %s", subscription.id, error)
            raise UserError(_("Automatic payment is unavailable at the moment: try again later.")) from None
        self.sudo().create(dict(values, session_id=session.id))
        return session.url

    def _webo_customer_params(self):
        partner = self.invoice_id.webo_billing_partner_id or self.partner_id
        return {"name": self.partner_id.commercial_partner_id.name, "email": partner.email or None,
                "metadata": {"webo_mandate": self.reference}}

    def _webo_session_params(self, return_url):
        metadata = {"webo_mandate": self.reference, "webo_subscription": str(self.subscription_id.id)}
        lang = (self.partner_id.lang or "fr_FR")[:2]
        return {
            "mode": "setup",
            # Stripe offers the methods that can charge this currency.
            "currency": self.subscription_id.currency_id.name.lower(),
            "customer": self.customer_id,
            "payment_method_types": [code for code, _label in METHODS],
            "metadata": metadata,
            "setup_intent_data": {"description": self.subscription_id.name, "metadata": metadata},
            "success_url": return_url,
            "cancel_url": return_url,
            "locale": lang if lang in ("fr", "en") else "auto",
        }

    def _webo_revoke(self):
        """The client (from an invoice's page) or the designer stops the
        automatic payment: the payment method is detached at Stripe (it
        can no longer be charged) and no further invoice is charged."""
        for mandate in self.filtered(lambda m: m.state in ("pending", "active")):
            mandate._webo_detach()
            mandate.write({"state": "revoked", "revoked_date": fields.Datetime.now()})
            mandate._webo_workspace_lang()._webo_note_revoked()

    def _webo_detach(self):
        """The payment method can no longer be charged (Stripe detaches it
        from the customer; a SEPA mandate is then inactive)."""
        if not self.payment_method_id:
            return
        platform = self.env["webo.stripe.platform"]
        try:
            platform._webo_client().v1.payment_methods.detach(
                self.payment_method_id, options={"stripe_account": self.stripe_account_id})
        except stripe.InvalidRequestError as error:
            # Already detached (by the client's bank, Stripe's dashboard): revoked all the same.
            _logger.info("payment method %s not detached: %s", self.payment_method_id, error)
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None

    # Stripe's webhook

    @api.model
    def _webo_of_event(self, event_type, obj, account):
        """The mandate a setup event is about (from the reference in its
        metadata), or an empty recordset; an event naming a mandate of
        another account is refused (nothing written)."""
        mandates = self.sudo()
        kind = obj.get("object")
        if event_type not in SETUP_EVENTS or kind not in ("checkout.session", "setup_intent"):
            return mandates
        if kind == "checkout.session" and obj.get("mode") != "setup":
            return mandates
        reference = (obj.get("metadata") or {}).get("webo_mandate")
        if not reference:
            return mandates
        mandate = mandates.search([("reference", "=", reference)], limit=1)
        if not mandate or mandate.stripe_account_id != account:
            raise WebhookRefused(400, "unknown setup")
        if kind == "checkout.session" and obj.get("id") != mandate.session_id:
            raise WebhookRefused(400, "not this setup")
        return mandate

    def _webo_apply_event(self, event_type, obj):
        """The client registered a card or a bank account on Stripe's page:
        the subscription is paid automatically from now on (a previous
        method is replaced and detached)."""
        self.ensure_one()
        intent = obj if obj.get("object") == "setup_intent" else self._webo_setup_intent(
            obj.get("setup_intent"))
        if intent.get("status") != "succeeded" or not intent.get("payment_method"):
            return False
        self.env.cr.execute("SELECT state FROM webo_stripe_mandate WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_cache(["state"], self.ids)
        if self.state != "pending":
            return False
        method = self._webo_payment_method(intent["payment_method"])
        kind = method.get("type") or (intent.get("payment_method_types") or ["card"])[0]
        previous = self.subscription_id.webo_mandate_ids.filtered(lambda m: m.state == "active")
        for mandate in previous:
            mandate._webo_detach()
        previous.write({"state": "replaced", "revoked_date": fields.Datetime.now()})
        self.write({
            "state": "active", "setup_intent_id": intent.get("id"),
            "payment_method_id": intent["payment_method"], "stripe_mandate_id": intent.get("mandate"),
            "method": kind if kind in dict(METHODS) else "card",
            "method_last4": (method.get(kind) or {}).get("last4"),
        })
        self._webo_workspace_lang()._webo_note_chosen()
        return True

    def _webo_workspace_lang(self):
        """The mandate in its workspace's language (the subscription's
        log), whoever acts: the client, Stripe's webhook, a designer."""
        return self.with_context(lang=self.company_id.partner_id.lang or "fr_FR")

    def _webo_note_chosen(self):
        self._webo_note(_("Automatic payment chosen by the client (%(method)s): the next invoices are "
                          "charged when they are issued.") % {"method": self._webo_method_text()})

    def _webo_note_revoked(self):
        self._webo_note(_("Automatic payment revoked: the next invoices are paid from their page."))

    def _webo_note(self, body):
        self.subscription_id.with_context(lang=self.env.lang).message_post(
            body=body, message_type="notification", subtype="mail.mt_note",
            **self.invoice_id._webo_author())

    def _webo_setup_intent(self, intent_id):
        return self._webo_read("setup_intents", intent_id)

    def _webo_payment_method(self, method_id):
        return self._webo_read("payment_methods", method_id)

    def _webo_read(self, service, object_id):
        """A Stripe object of the connected account as Stripe has it now; {}
        when unknown."""
        if not object_id:
            return {}
        try:
            found = getattr(self.env["webo.stripe.platform"]._webo_client().v1, service).retrieve(
                object_id, options={"stripe_account": self.stripe_account_id})
        except stripe.StripeError as error:
            _logger.warning("%s %s not read: %s", service, object_id, error)
            return {}
        return found.to_dict()

    def _webo_method_text(self):
        """"Carte •••• 4242", "Prélèvement SEPA •••• 3000", in the context's language."""
        self.ensure_one()
        label = dict(self._fields["method"]._description_selection(self.env)).get(self.method) or ""
        return "%s •••• %s" % (label, self.method_last4) if self.method_last4 else label

    # The monthly run

    @api.model
    def _webo_charge_due(self, commit=True):
        """Charge, off-session, each open invoice of a subscription paid
        automatically that was issued since the client chose it and was
        never charged automatically: once per invoice, whatever how many
        runs (the charge is kept before Stripe is called, and Stripe
        replays a request with the same idempotency key). The invoice is
        paid by the webhook only. Returns the number of charges made.
        Without the platform's keys nothing is charged (the next run does)."""
        if not self.env["webo.stripe.platform"]._webo_enabled():
            return 0
        self.env.cr.execute("""
            SELECT inv.id, mandate.id FROM account_invoice inv
              JOIN webo_stripe_mandate mandate ON mandate.subscription_id = inv.webo_subscription_id
                                              AND mandate.state = 'active'
             WHERE inv.state = 'open' AND inv.type = 'out_invoice'
               AND inv.create_date >= mandate.create_date
               AND NOT EXISTS (SELECT 1 FROM webo_stripe_checkout checkout
                                WHERE checkout.invoice_id = inv.id AND checkout.mandate_id IS NOT NULL)
             ORDER BY inv.id""")
        rows = self.env.cr.fetchall()
        invoices = self.env["account.invoice"].sudo()
        for invoice_id, mandate_id in rows:
            self.sudo().browse(mandate_id)._webo_charge(invoices.browse(invoice_id), commit)
        return len(rows)

    def _webo_charge(self, invoice, commit):
        """One off-session PaymentIntent for what ``invoice`` owes."""
        # Another run charging it holds the row: it is that run's.
        self.env.cr.execute("""
            SELECT id FROM account_invoice WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED""", [invoice.id])
        if not self.env.cr.fetchone() or not invoice._webo_is_payable():
            return
        charged = self.env["webo.stripe.checkout"].sudo().search_count(
            [("invoice_id", "=", invoice.id), ("mandate_id", "!=", False)])
        if charged:
            return
        currency = invoice.currency_id
        try:
            with self.env.cr.savepoint():
                checkout = self.env["webo.stripe.checkout"].sudo().create({
                    "invoice_id": invoice.id, "stripe_account_id": self.stripe_account_id,
                    "currency_id": currency.id, "amount": invoice.residual, "method": self.method,
                    "amount_minor": minor_units(invoice.residual, currency), "mandate_id": self.id,
                })
        except psycopg2.IntegrityError:
            _logger.info("invoice %s is being charged by another run", invoice.number)
            return
        if commit:
            # Kept before Stripe is called: a webhook arriving at once finds
            # it, and a run that stops now never charges this invoice again.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            intent = self.env["webo.stripe.platform"]._webo_client().v1.payment_intents.create(
                self._webo_intent_params(checkout),
                {"stripe_account": self.stripe_account_id,
                 "idempotency_key": "webo-autopay-invoice-%d" % invoice.id})
        except stripe.CardError as error:
            # Declined, or the bank wants the client there (authentication_required).
            intent = (error.json_body or {}).get("error", {}).get("payment_intent") or {}
            checkout._webo_failed(self.method, intent.get("id"), error.user_message or str(error))
        except stripe.StripeError as error:
            _logger.warning("automatic payment of invoice %s not made: %s", invoice.number, error)
            checkout._webo_failed(self.method, None, _("the payment provider could not be reached"))
        else:
            if intent.status == "processing":
                # A SEPA debit, settled in days: the page says a payment is under way.
                checkout._webo_submitted(self.method, intent.id)
            else:
                checkout.payment_intent_id = intent.id
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _webo_intent_params(self, checkout):
        invoice = checkout.invoice_id
        metadata = {"webo_checkout": checkout.reference, "webo_invoice": invoice.number,
                    "webo_mandate": self.reference}
        params = {
            "amount": checkout.amount_minor, "currency": checkout.currency_id.name.lower(),
            "customer": self.customer_id, "payment_method": self.payment_method_id,
            "payment_method_types": [self.method], "off_session": True, "confirm": True,
            "description": invoice.number, "metadata": metadata,
        }
        if self.stripe_mandate_id:
            params["mandate"] = self.stripe_mandate_id
        return params

    def _webo_charge_failed(self, checkout, reason):
        """An automatic charge failed: the invoice stays due (its reminders
        go on) and the client is told, with the link to pay it and to
        register another card or bank account."""
        invoice = checkout.invoice_id.sudo()
        contact = invoice.webo_billing_partner_id or invoice.partner_id
        # In the client's language, whoever notices the failure (the run,
        # Stripe's webhook).
        lang = contact.lang or invoice.partner_id.lang or "fr_FR"
        subject, body = self.with_context(lang=lang)._webo_failure_email(checkout, reason)
        invoice.with_context(lang=lang, mail_notify_force_send=False).message_post(
            subject=subject, body=body, partner_ids=contact.ids, message_type="comment",
            subtype="mail.mt_note", **invoice._webo_author())

    def _webo_failure_email(self, checkout, reason):
        """(subject, body) of the client's email, in the context's language."""
        invoice = checkout.invoice_id.sudo()
        return (
            _("Automatic payment failed: %(number)s") % {"number": invoice.number},
            _("<p>The automatic payment of %(amount)s for invoice %(number)s failed "
              "(%(reason)s).</p><p>The invoice is still due: pay it, and register another card "
              "or bank account for the next invoices, on its page: "
              "<a href=\"%(url)s\">%(url)s</a></p>") % {
                "amount": checkout.with_context(lang=self.env.lang)._webo_money(checkout.amount),
                "number": invoice.number, "reason": reason or _("refused"),
                "url": invoice.webo_payment_url})
