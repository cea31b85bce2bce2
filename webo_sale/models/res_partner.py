from stdnum import vatin as stdnum_vatin
from stdnum.fr import siret as stdnum_siret

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .webo_api import public_method, refusals_as_messages


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "webo.reminder.pausable"]

    webo_invoiced_total = fields.Monetary(
        string="Total Invoiced", compute="_compute_webo_invoice_figures",
        currency_field="webo_currency_id",
        help="Sent invoices less credit notes, taxes included.",
    )
    webo_pending_count = fields.Integer(
        string="Pending Invoices", compute="_compute_webo_invoice_figures",
        help="Sent invoices not fully paid yet.",
    )
    webo_pending_amount = fields.Monetary(
        string="Amount Pending", compute="_compute_webo_invoice_figures",
        currency_field="webo_currency_id",
        help="What the client still owes on their sent invoices.",
    )
    webo_currency_id = fields.Many2one(
        "res.currency", compute="_compute_webo_invoice_figures", string="Workspace Currency")
    webo_invoice_ids = fields.One2many(
        "account.invoice", "partner_id", string="Client Invoices",
        domain=[("type", "in", ("out_invoice", "out_refund")), ("state", "!=", "cancel")],
    )
    webo_subscription_ids = fields.One2many(
        "webo.subscription", "partner_id", string="Subscriptions",
        help="The client's monthly subscriptions, running and stopped.",
    )

    webo_reminder_paused = fields.Boolean(
        string="Reminders Paused", copy=False, readonly=True,
        help="No reminder is sent for any invoice of this client until they are resumed.",
    )

    # The designer's personal information, given when the sales service is
    # opened (identity checks of the payment-receiving account).
    webo_first_name = fields.Char(string="First Name")
    webo_last_name = fields.Char(string="Last Name")
    webo_birth_date = fields.Date(string="Date of Birth")
    webo_nationality_id = fields.Many2one("res.country", string="Nationality")

    @api.multi
    def _notify(self, message, force_send=False, send_after_commit=True, user_signature=True):
        # webo's frame for every email about a record, unless the caller
        # chose another (see mail_notification_layout).
        partners = self
        if message.model and not self.env.context.get("custom_layout"):
            partners = self.with_context(custom_layout="webo_sale.mail_notification_layout")
        return super(ResPartner, partners)._notify(
            message, force_send=force_send, send_after_commit=send_after_commit,
            user_signature=user_signature)

    @api.multi
    def _notify_by_chat(self, message):
        # Odoo formats every message for the chat before looking whether
        # anybody gets it there (nobody, for an email to a client): a dozen
        # queries per message for nothing.
        if not self:
            return None
        return super()._notify_by_chat(message)

    @api.multi
    def _notify_prepare_template_context(self, message):
        values = super()._notify_prepare_template_context(message)
        # A message signed by a company (the platform reviewing documents, a
        # workspace writing to its client) is sent by that company.
        company = self.env["res.company"].sudo().search(
            [("partner_id", "=", message.author_id.id)], limit=1) if message.author_id else None
        if company:
            values["company_name"] = company.name
        return values

    def _compute_webo_invoice_figures(self):
        """Three aggregates over all the clients at once (read_group)."""
        totals = {partner.id: [0.0, 0, 0.0] for partner in self}
        commercial = self.mapped("commercial_partner_id")
        if commercial.ids and self.ids:
            groups = self.env["account.invoice"].read_group(
                [("commercial_partner_id", "in", commercial.ids),
                 ("type", "in", ("out_invoice", "out_refund")),
                 ("state", "in", ("open", "paid"))],
                ["commercial_partner_id", "type", "state", "amount_total_company_signed",
                 "residual_company_signed"],
                ["commercial_partner_id", "type", "state"], lazy=False)
            by_commercial = {}
            for group in groups:
                figures = by_commercial.setdefault(group["commercial_partner_id"][0], [0.0, 0, 0.0])
                figures[0] += group["amount_total_company_signed"]
                if group["type"] == "out_invoice" and group["state"] == "open":
                    figures[1] += group["__count"]
                    figures[2] += group["residual_company_signed"]
            for partner in self:
                totals[partner.id] = by_commercial.get(partner.commercial_partner_id.id, totals[partner.id])
        currency = self.env.user.company_id.currency_id
        for partner in self:
            partner.webo_invoiced_total, partner.webo_pending_count, partner.webo_pending_amount = \
                totals[partner.id]
            partner.webo_currency_id = currency

    @api.constrains("siret")
    def _check_webo_siret(self):
        for partner in self.filtered("siret"):
            if not stdnum_siret.is_valid(partner.siret):
                raise ValidationError(_(
                    "The SIRET %s is not valid: a SIRET has 14 digits and its last one "
                    "is a check digit. Check it on the client's registration extract, "
                    "or leave the field empty."
                ) % partner.siret)

    @api.constrains("vat")
    def _check_webo_vat(self):
        # base_vat lets an invalid number through when the partner has no
        # country; a VAT number always carries its country code.
        for partner in self.filtered("vat"):
            if not stdnum_vatin.is_valid(partner.vat):
                raise ValidationError(_(
                    "The VAT number %s is not valid: it starts with the country code "
                    "(FR for France) followed by the number, e.g. FR82131860918. "
                    "Leave the field empty if the client has none."
                ) % partner.vat)

    @api.constrains("parent_id", "company_id")
    def _check_webo_parent_company(self):
        # Odoo 11 reads a many2one's name as superuser: a contact attached
        # to another workspace's client would show that client's name.
        for partner in self:
            parent_company = partner.parent_id.sudo().company_id
            if parent_company and partner.company_id and parent_company != partner.company_id:
                raise ValidationError(_(
                    "A contact belongs to the workspace of its company: %(parent)s is not one of "
                    "this workspace's clients."
                ) % {"parent": partner.parent_id._webo_label()})

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        # A designer's new client is, unless said otherwise, in the
        # workspace's country (France).
        if "country_id" in fields_list and not values.get("country_id") \
                and self.env.context.get("default_customer") and self.env.user.company_id.webo_workspace:
            values["country_id"] = self.env.user.company_id.country_id.id
        return values

    @api.model
    def create(self, vals):
        self.env["webo.api"]._check_values(self._name, vals, create=True)
        if vals.get("type", "contact") == "contact":
            self._webo_check_name(vals.get("name"))
        with refusals_as_messages():
            return super().create(self._webo_normalize(vals))

    @api.multi
    def write(self, vals):
        self.env["webo.api"]._check_values(self._name, vals)
        if "name" in vals and any(partner.type == "contact" for partner in self):
            self._webo_check_name(vals["name"])
        with refusals_as_messages():
            return super().write(self._webo_normalize(vals))

    def _webo_reminder_pause_targets(self, companies):
        # A contact's pause is its company's: the reminders go to the client.
        clients = self.sudo().mapped("commercial_partner_id")
        for client in clients:
            if companies is not None and client.company_id != companies:
                raise AccessError(_(
                    "This client belongs to another workspace: you can only pause or resume "
                    "the reminders of your own clients."))
        return clients

    def _webo_reminder_pause_note(self, paused):
        return (_("Reminders paused for all this client's invoices.") if paused
                else _("Reminders resumed for this client's invoices."))

    @api.onchange("siret", "vat")
    def _onchange_webo_duplicate(self):
        duplicate = self._webo_find_duplicate()
        if duplicate:
            return {"warning": {
                "title": _("Existing client"),
                "message": _("%s already has this SIRET or VAT number in your workspace.")
                % duplicate.display_name,
            }}

    def _webo_find_duplicate(self):
        """Another client account of the same workspace with the same SIRET
        or VAT number."""
        identifiers = []
        if self.siret:
            identifiers.append(("siret", "=", self._webo_compact(self.siret)))
        if self.vat:
            identifiers.append(("vat", "=", self._webo_compact(self.vat).upper()))
        if not identifiers:
            return self.browse()
        domain = ["|"] * (len(identifiers) - 1) + identifiers
        domain += [("parent_id", "=", False),
                   ("company_id", "=", (self.company_id or self.env.user.company_id).id)]
        if isinstance(self.id, int):
            domain.append(("id", "!=", self.id))
        return self.search(domain, limit=1)

    @api.multi
    @public_method
    def webo_grant_portal_access(self):
        """Give this client (or one of its contacts) a portal login: Odoo's
        portal invitation is emailed to them; once signed in they see their
        invoices and subscriptions. Returns the portal user's id."""
        self.env["webo.api"]._check_one(self)
        self.check_access_rights("write")
        self.check_access_rule("write")
        if not self.company_id.webo_workspace or self.company_id != self.env.user.company_id:
            raise UserError(_("%(name)s is not a client of your workspace.") % {"name": self.display_name})
        if not self.email:
            raise UserError(_("Add an email address to %(name)s first: the portal invitation is sent to it.")
                            % {"name": self.display_name})
        wizard = self.env["portal.wizard"].create({"user_ids": [(0, 0, {
            "partner_id": self.id, "email": self.email, "in_portal": True})]})
        wizard.action_apply()
        return self.sudo().user_ids[:1].id

    def _webo_label(self):
        """How a message names this partner to the current user: its name
        if they may read it, else its id only (an error must not tell a
        designer the name of another workspace's client)."""
        self.ensure_one()
        try:
            self.check_access_rights("read")
            self.check_access_rule("read")
        except AccessError:
            return _("client #%d") % self.id
        return self.sudo().display_name

    def _webo_check_name(self, name):
        """A client account or a contact has a name (a billing contact may
        go without: it takes its company's)."""
        if not isinstance(name, str) or not name.strip():
            raise UserError(_("Enter the name of the client (its company name, or the person's "
                              "name): it is printed on every invoice."))

    def _webo_billing_contact(self):
        """Who receives invoices: the billing contact (a child contact of
        type invoice) with an email, else the client itself."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        billing = commercial.child_ids.filtered(lambda c: c.type == "invoice" and c.email)[:1]
        return billing or self

    @staticmethod
    def _webo_compact(value):
        return "".join(value.split()) if value else value

    def _webo_normalize(self, vals):
        if vals.get("siret"):
            vals = dict(vals, siret=self._webo_compact(vals["siret"]))
        if vals.get("vat"):
            vals = dict(vals, vat=self._webo_compact(vals["vat"]).upper())
        return vals
