import base64
import calendar
import io
import ipaddress
import logging
import time
from datetime import date

import stripe
from dateutil.relativedelta import relativedelta
from stdnum import iban as stdnum_iban

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import file_open, float_round
from odoo.tools.misc import formatLang

from .res_company import SOLE_PROPRIETOR_FORMS
from .webo_api import empty, public_method

_logger = logging.getLogger(__name__)

# The Synthèse's running totals: tables, triggers and their rebuild.
SYNTHESIS_SQL = "webo_sale/sql/synthesis.sql"


def _as_date(value):
    # Odoo 11's cursor returns SQL dates as strings.
    return value if isinstance(value, date) else fields.Date.from_string(value)


# Stripe's file purpose of each step-2 document, as its API reference asks
# for the Account field the file goes to.
DOCUMENT_PURPOSES = {
    "identity": "identity_document",
    "address": "identity_document",
    "registration": "additional_verification",
    "bank": "account_requirement",
}

SERVICE_STATES = [
    ("new", "To open"),
    ("informed", "Information saved"),
    ("open", "Open"),
]


class WeboSaleService(models.Model):
    """The sales service of one workspace: whether it is open, the
    payment-receiving account made when it opened, the documents given for
    it, and the figures of the Synthèse."""

    _name = "webo.sale.service"
    _description = "Sales Service of a Workspace"
    _rec_name = "company_id"

    company_id = fields.Many2one(
        "res.company", string="Workspace", required=True, readonly=True,
        ondelete="cascade", index=True,
    )
    state = fields.Selection(
        SERVICE_STATES, string="Status", required=True, default="new", readonly=True,
        help="To open: nothing given yet. Information saved: step 1 done, the "
             "documents are still to be sent. Open: the designer can be paid online.",
    )
    date_open = fields.Datetime(string="Opened On", readonly=True)
    payment_journal_id = fields.Many2one(
        "account.journal", string="Payment-Receiving Journal", readonly=True,
        help="The bank journal of the workspace where client payments land.",
    )
    bank_account_id = fields.Many2one(
        "res.partner.bank", readonly=True,
        help="The designer's IBAN, on which the payment-receiving account pays out.",
    )
    pending_iban = fields.Char(
        string="New IBAN (awaiting validation)", readonly=True,
        help="A new IBAN the designer gave: clients keep paying into the current one until "
             "the platform operator validates its bank details (RIB).",
    )
    pending_bic = fields.Char(string="New BIC (awaiting validation)", readonly=True)
    stripe_account_id = fields.Char(
        readonly=True, copy=False, index=True,
        help="The workspace's connected account at the platform's payment provider (Stripe), "
             "created at the opening: clients pay by card or SEPA debit into it. Empty when "
             "the platform collects no card payments (bank transfer only).")
    stripe_tos_ip = fields.Char(
        string="Terms Accepted From (IP)", readonly=True, copy=False,
        help="The address the designer opened the service from, which accepted the payment "
             "provider's terms: the provider requires it for the connected account.")
    stripe_tos_user_agent = fields.Char(
        string="Terms Accepted With (Browser)", readonly=True, copy=False)
    stripe_tos_date = fields.Datetime(
        string="Terms Accepted On", readonly=True, copy=False,
        help="When the designer accepted the payment provider's terms: at the opening made "
             "in a browser, or later with \"Accept the payment provider's terms\".")
    stripe_tos_pending = fields.Boolean(
        compute="_compute_stripe_tos_pending", string="Terms to Accept",
        help="The workspace has its account at the payment provider, but no acceptance of the "
             "provider's terms was given for it yet.")
    stripe_verification = fields.Selection(
        [("pending", "Being verified"), ("verified", "Verified"),
         ("requested", "Information requested")],
        string="Payment Account Verification", readonly=True, copy=False,
        help="Where the payment provider stands on the identity and the bank account given at "
             "the opening, as its last notification said.")
    stripe_requirement_codes = fields.Text(
        readonly=True, copy=False,
        help="Stripe's names of what it still needs (its account's requirements), one a line.")
    stripe_requirements = fields.Text(
        compute="_compute_stripe_requirements", string="Requested by the Payment Provider",
        help="What the payment provider still needs before it pays out, when it asks.")
    stripe_verified_at = fields.Integer(
        readonly=True, copy=False,
        help="Time (Unix) of the provider's notification the verification state comes from: "
             "an older one arriving late changes nothing.")
    acquirer_ids = fields.One2many(
        "payment.acquirer", compute="_compute_acquirer_ids", string="Client Payment Methods")
    document_ids = fields.One2many(
        "webo.sale.document", "service_id", string="Documents", readonly=True)
    documents_status = fields.Selection(
        [("missing", "Missing"), ("submitted", "Being reviewed"),
         ("refused", "A document was refused"), ("validated", "All validated")],
        compute="_compute_documents_status",
    )
    welcome_user_ids = fields.Many2many(
        "res.users", "webo_sale_service_welcome_rel", "service_id", "user_id",
        string="Welcomed Users", readonly=True,
        help="Users who have seen the explanatory window of the Synthèse.",
    )
    welcome_pending = fields.Boolean(
        compute="_compute_welcome_pending", string="Show the Welcome Window")

    # What was given: company information (edited from the workspace) and
    # the current user's personal information (edited from their profile).
    company_name = fields.Char(related="company_id.name", string="Company Name", readonly=True)
    company_legal_form = fields.Selection(
        related="company_id.webo_legal_form", string="Legal Form", readonly=True)
    company_siret = fields.Char(related="company_id.siret", string="SIRET", readonly=True)
    company_vat = fields.Char(related="company_id.vat", string="VAT Number", readonly=True)
    company_registry = fields.Char(
        related="company_id.company_registry", string="Company Registry", readonly=True)
    company_vat_regime = fields.Selection(
        related="company_id.webo_vat_regime", string="VAT Regime", readonly=True)
    company_address = fields.Text(compute="_compute_information", string="Address")
    company_capital = fields.Char(compute="_compute_information", string="Legal Mention")
    user_name = fields.Char(compute="_compute_information", string="Name")
    user_email = fields.Char(compute="_compute_information", string="Email")
    user_phone = fields.Char(compute="_compute_information", string="Phone")
    user_birth_date = fields.Date(compute="_compute_information", string="Date of Birth")
    user_nationality = fields.Char(compute="_compute_information", string="Nationality")
    iban = fields.Char(related="bank_account_id.acc_number", string="IBAN", readonly=True)

    # The Synthèse figures (computed on read, from aggregates).
    currency_id = fields.Many2one(related="company_id.currency_id", readonly=True)
    purchase_used = fields.Monetary(
        compute="_compute_purchase_credit", string="Purchases Used",
        help="Deferred purchases not paid yet.")
    purchase_ceiling = fields.Monetary(
        compute="_compute_purchase_credit",
        help="The most the workspace may owe the platform in deferred purchases.")
    purchase_available = fields.Monetary(
        compute="_compute_purchase_credit", string="Purchases Available",
        help="What can still be bought with deferred payment.")
    sale_outstanding = fields.Monetary(
        compute="_compute_synthesis", string="Sales Outstanding",
        help="What clients still owe on sent invoices.")
    paid_count = fields.Integer(compute="_compute_synthesis", string="Paid Invoices")
    paid_amount = fields.Monetary(compute="_compute_synthesis", string="Amount Paid")
    unpaid_count = fields.Integer(compute="_compute_synthesis", string="Unpaid Invoices")
    unpaid_amount = fields.Monetary(compute="_compute_synthesis", string="Amount Unpaid")
    overdue_count = fields.Integer(compute="_compute_synthesis", string="Overdue Invoices")
    overdue_amount = fields.Monetary(compute="_compute_synthesis", string="Amount Overdue")
    unviewed_count = fields.Integer(
        compute="_compute_synthesis", string="Not Viewed Yet",
        help="Sent invoices awaiting payment whose client has not opened the payment page yet.")
    email_pending_count = fields.Integer(
        compute="_compute_synthesis", string="Emails Pending",
        help="Invoices whose email the mail server has not accepted yet (tried again).")
    email_failed_count = fields.Integer(
        compute="_compute_synthesis", string="Emails Failed",
        help="Invoices whose email failed for good: open them and click Resend.")
    chart_html = fields.Html(
        compute="_compute_synthesis", string="Invoiced and Collected", sanitize=False,
        help="The last twelve months: invoiced (taxes included, less credit notes) "
             "and collected.")

    _sql_constraints = [
        ("company_unique", "unique(company_id)", "A workspace has one sales service."),
        ("stripe_account_unique", "unique(stripe_account_id)",
         "A Stripe account belongs to one workspace."),
    ]

    def name_get(self):
        # The breadcrumb of the Synthèse (the workspace's name is its title).
        return [(service.id, _("Sales Overview")) for service in self]

    @api.multi
    def write(self, values):
        # Where client payments go changes only through the review of the
        # bank details (_webo_request_bank_change, then the RIB validated),
        # never by a plain write, whoever has write access.
        guarded = {"bank_account_id", "payment_journal_id", "pending_iban", "pending_bic",
                   "stripe_account_id", "stripe_verification", "stripe_requirement_codes",
                   "stripe_verified_at", "stripe_tos_ip", "stripe_tos_user_agent", "stripe_tos_date"}
        if guarded & set(values) and self.env.uid != SUPERUSER_ID:
            raise UserError(_(
                "The IBAN of the payment-receiving account changes only with \"Update my "
                "documents or my IBAN\": the new IBAN is used once the platform has validated "
                "its bank details (RIB)."))
        return super().write(values)

    @api.model_cr
    def init(self):
        # The Synthèse reads running totals that PostgreSQL keeps up to date
        # on every change of an invoice or a payment (sql/synthesis.sql);
        # they are rebuilt from the invoices at each install or upgrade.
        with file_open(SYNTHESIS_SQL, "rb") as sql:
            self.env.cr.execute(sql.read().decode("utf-8"))

    def _compute_acquirer_ids(self):
        for service in self:
            service.acquirer_ids = self.env["payment.acquirer"].sudo().search(
                [("company_id", "=", service.company_id.id)])

    @api.depends("document_ids.state")
    def _compute_documents_status(self):
        for service in self:
            states = set(service.document_ids.mapped("state"))
            if not states:
                service.documents_status = "missing"
            elif "refused" in states:
                service.documents_status = "refused"
            elif states == {"validated"}:
                service.documents_status = "validated"
            else:
                service.documents_status = "submitted"

    def _compute_stripe_requirements(self):
        # In the reader's language: the codes are Stripe's, the words ours.
        for service in self:
            codes = (service.stripe_requirement_codes or "").split()
            service.stripe_requirements = "\n".join(
                service._webo_requirement_label(code) for code in codes) or False

    @api.depends("stripe_account_id", "stripe_tos_ip")
    def _compute_stripe_tos_pending(self):
        for service in self:
            service.stripe_tos_pending = bool(service.stripe_account_id and not service.stripe_tos_ip)

    def _compute_welcome_pending(self):
        for service in self:
            service.welcome_pending = (service.state == "open"
                                       and self.env.user not in service.welcome_user_ids)

    def _compute_information(self):
        partner = self.env.user.partner_id
        for service in self:
            company = service.company_id
            service.company_address = company.partner_id._display_address(without_company=True)
            service.company_capital = company._webo_legal_mention()
            service.user_name = partner.name
            service.user_email = partner.email
            service.user_phone = partner.phone
            service.user_birth_date = partner.webo_birth_date
            service.user_nationality = partner.webo_nationality_id.name

    def _compute_purchase_credit(self):
        # Apart from the Synthèse's other figures: the operator's list of
        # every workspace's credit reads these alone.
        for service in self:
            purchase = service._webo_purchase_credit_figures()
            service.purchase_used = purchase["purchase_used"]
            service.purchase_ceiling = purchase["purchase_ceiling"]
            service.purchase_available = purchase["purchase_available"]

    def _compute_synthesis(self):
        for service in self:
            figures = service._webo_figures()
            for name in ("sale_outstanding", "paid_count", "paid_amount", "unpaid_count",
                         "unpaid_amount", "overdue_count", "overdue_amount", "unviewed_count",
                         "email_pending_count", "email_failed_count"):
                service[name] = figures[name]
            service.chart_html = service._webo_chart_html(figures["months"])

    # Actions (buttons and menus)

    @api.model
    def action_open_sales(self):
        """Gestion commerciale > Vente: the presentation page and the opening
        steps while the service is not open, the Synthèse once it is."""
        company = self.env.user.company_id
        if not company.webo_workspace and self.env.user.has_group("webo_sale.group_platform_operator"):
            # The platform has no sales service of its own: every workspace's.
            return self.env.ref("webo_sale.webo_sale_service_action").read()[0]
        service = self._webo_for_company(company)
        if service.state != "open":
            return self.env["webo.sale.opening"]._webo_action(service)
        return service._webo_synthesis_action()

    def action_open_email_failed(self):
        """The invoices whose email failed for good."""
        return self._webo_invoices_action("email_failed")

    def action_open_email_pending(self):
        """The invoices whose email is not accepted yet."""
        return self._webo_invoices_action("email_pending")

    def action_welcome_seen(self):
        """The designer closed the explanatory window: not shown again."""
        self._webo_check_company()
        self.sudo().write({"welcome_user_ids": [(4, self.env.uid)]})
        return True

    def action_edit_information(self):
        self._webo_check_company()
        return self.env["webo.sale.opening"]._webo_action(self, mode="information")

    def action_edit_documents(self):
        self._webo_check_company()
        return self.env["webo.sale.opening"]._webo_action(self, mode="documents")

    # Public API

    @api.multi
    @public_method
    def webo_synthesis(self):
        """The Synthèse figures of the service, as a dictionary (XML-RPC)."""
        self.env["webo.api"]._check_one(self)
        self.check_access_rights("read")
        self.check_access_rule("read")
        figures = self._webo_figures()
        figures["months"] = [dict(month, month=month["month"].isoformat())
                             for month in figures["months"]]
        figures.update(state=self.state, documents_status=self.documents_status,
                       currency=self.currency_id.name)
        return figures

    @api.model
    @public_method
    def webo_my_service(self):
        """The id of the current user's sales service (created on first
        call), for XML-RPC clients."""
        return self._webo_for_company(self.env.user.company_id).id

    # Business methods

    @api.model
    def _webo_for_company(self, company):
        """The sales service of a workspace, created when first asked for."""
        if not company.webo_workspace:
            raise UserError(_(
                "%(company)s is not a designer workspace: the sales service is opened "
                "from a workspace.") % {"company": company.name})
        service = self.sudo().search([("company_id", "=", company.id)], limit=1)
        if not service:
            service = self.sudo().create({"company_id": company.id})
        return service.sudo(self.env.uid)

    def _webo_check_company(self):
        """Designers act on their own workspace's service only; the platform
        operator on any."""
        if self.env.user.has_group("webo_sale.group_platform_operator"):
            return
        if any(service.company_id != self.env.user.company_id for service in self):
            raise AccessError(_("This sales service belongs to another workspace."))

    def _webo_invoices_action(self, search_filter):
        self.ensure_one()
        self._webo_check_company()
        action = self.env.ref("webo_sale.account_invoice_action").read()[0]
        action["domain"] = [("type", "in", ("out_invoice", "out_refund")),
                            ("company_id", "=", self.company_id.id)]
        action["context"] = {"search_default_%s" % search_filter: 1}
        return action

    def _webo_synthesis_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Sales Overview"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("webo_sale.webo_sale_service_view_form").id, "form")],
            # A fresh start: no breadcrumb back to the opening steps.
            "target": "main",
            # One page, not a record among others: no pager, no sidebar.
            "flags": {"pager": False, "sidebar": False},
        }

    def _webo_open(self, iban, bic=False, user=None):
        """Step 2 done: create the payment-receiving account and open. When
        the platform collects card payments, the workspace's account at the
        provider is created last, once everything else holds: a refusal
        (UserError) then leaves nothing written here or there."""
        self.ensure_one()
        if self.state == "open":
            raise UserError(_("Your sales service is already open."))
        service = self.sudo()
        service._webo_set_bank_account(iban, bic)
        service._webo_create_acquirers()
        # Opening the service accepts the payment provider's terms: where
        # from and with what is kept for the connected account, even when
        # it is made later (action_create_stripe_account).
        now = fields.Datetime.now()
        http = request.httprequest if request else None
        service.write({"state": "open", "date_open": now,
                       "stripe_tos_ip": http.remote_addr if http else False,
                       "stripe_tos_user_agent": http.user_agent.string[:500] if http else False,
                       "stripe_tos_date": now if http else False})
        if self.env["webo.stripe.platform"]._webo_enabled():
            service._webo_create_stripe_account(iban, user or self.env.user)

    def _webo_create_stripe_account(self, iban, user):
        """The workspace's connected account (Stripe Connect, type custom:
        the platform collects the identity, the documents and the IBAN
        itself, at the opening's two steps, and gives them to Stripe),
        then the step-2 documents as its verification files."""
        self.ensure_one()
        platform = self.env["webo.stripe.platform"]
        account = None
        try:
            client = platform._webo_client()
            account = client.v1.accounts.create(self._webo_stripe_account_params(iban, user))
            account = self._webo_stripe_send_documents(client, account.id, user) or account
        except stripe.StripeError as error:
            if account is not None:
                # The opening is refused and writes nothing here: nor
                # does it leave an account at Stripe.
                self._webo_stripe_delete_account(client, account.id)
            if isinstance(error, stripe.APIConnectionError):
                raise platform._webo_unreachable(error) from None
            raise self._webo_stripe_refusal(error) from None
        self.write({"stripe_account_id": account.id})
        self._webo_stripe_account_updated(account.to_dict())

    @api.model
    def _webo_stripe_delete_account(self, client, account_id):
        """Delete a connected account the opening made but does not keep
        (Stripe lets a platform delete its custom accounts); when Stripe
        cannot be told, the account stays there, unused, and the log says
        which."""
        try:
            client.v1.accounts.delete(account_id)
        except stripe.StripeError as error:
            _logger.warning("Stripe account %s of a refused opening not deleted: %s",
                            account_id, error)

    def _webo_stripe_send_documents(self, client, account_id, user, documents=None):
        """Upload the step-2 documents (``documents``: some of them, after
        the opening) to the connected account (Stripe's Files API, with the
        account in ``Stripe-Account``) and attach them where Stripe's API
        reference for custom accounts asks for them. Returns the updated
        Account, or None when the Account itself did not change."""
        individual = self.company_id.webo_legal_form in SOLE_PROPRIETOR_FORMS
        files = {}
        for document in (documents or self.sudo().document_ids).filtered("file"):
            # A company's proof of address is a document of the account
            # (additional_verification), a person's goes with the identity.
            purpose = ("additional_verification" if document.kind == "address" and not individual
                       else DOCUMENT_PURPOSES[document.kind])
            content = io.BytesIO(base64.b64decode(document.file))
            content.name = document.filename or document.kind  # the upload's file name
            upload = client.v1.files.create({"purpose": purpose, "file": content},
                                            {"stripe_account": account_id})
            files[document.kind] = upload.id
        if not files:
            return None
        params = self._webo_stripe_document_params(files, individual)
        if not individual and files.get("identity"):
            self._webo_stripe_representative(client, account_id, user, files["identity"],
                                             known=documents is not None)
        return client.v1.accounts.update(account_id, params) if params else None

    def _webo_stripe_representative(self, client, account_id, user, file_id, known=False):
        """A company's identity document is its representative's, a Person
        of the account: made with it at the opening; afterwards (``known``)
        the representative Stripe has gets the new document."""
        verification = {"document": {"front": file_id}}
        if known:
            persons = client.v1.accounts.persons.list(
                account_id, {"relationship": {"representative": True}, "limit": 1})
            if persons.data:
                client.v1.accounts.persons.update(account_id, persons.data[0].id,
                                                  {"verification": verification})
                return
        client.v1.accounts.persons.create(account_id, dict(
            self._webo_stripe_person(user), relationship={"representative": True},
            verification=verification))

    def _webo_stripe_send_replaced(self, document, user):
        """A document replaced after the opening (a refused one sent again)
        goes to the connected account too, where Stripe takes it; Stripe's
        refusal undoes the replacement (UserError)."""
        self.ensure_one()
        platform = self.env["webo.stripe.platform"]
        if not self.stripe_account_id or not platform._webo_enabled():
            return
        try:
            account = self._webo_stripe_send_documents(
                platform._webo_client(), self.stripe_account_id, user, document)
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None
        except stripe.StripeError as error:
            raise UserError(_(
                "The payment provider refused the new %(document)s (its message: \"%(detail)s\"). "
                "Send another file.") % {
                    "document": document._webo_kind_label(),
                    "detail": getattr(error, "user_message", None) or str(error)}) from None
        if account:
            self._webo_stripe_account_updated(account.to_dict())

    @api.model
    def _webo_stripe_document_params(self, files, individual):
        """Where each uploaded file goes on the Account (Stripe's names)."""
        documents, params = {}, {}
        if files.get("bank"):
            documents["bank_account_ownership_verification"] = {"files": [files["bank"]]}
        if individual:
            verification = {}
            if files.get("identity"):
                verification["document"] = {"front": files["identity"]}
            if files.get("address"):
                verification["additional_document"] = {"front": files["address"]}
            if verification:
                params["individual"] = {"verification": verification}
            if files.get("registration"):
                documents["proof_of_registration"] = {"files": [files["registration"]]}
        else:
            if files.get("registration"):
                params["company"] = {"verification": {"document": {"front": files["registration"]}}}
            if files.get("address"):
                documents["proof_of_address"] = {"files": [files["address"]]}
        if documents:
            params["documents"] = documents
        return params

    def _webo_stripe_account_updated(self, account, when=0):
        """The provider's view of the connected account (``account``, its
        Account object as a dict) at time ``when``: verified when it
        charges and pays out, information requested when something is
        due, being verified otherwise."""
        self.ensure_one()
        if when and when < self.stripe_verified_at:
            return False
        requirements = account.get("requirements") or {}
        due = list(requirements.get("past_due") or []) + [
            item for item in requirements.get("currently_due") or []
            if item not in (requirements.get("past_due") or [])]
        if due:
            state = "requested"
        elif account.get("charges_enabled") and account.get("payouts_enabled"):
            state = "verified"
        else:
            state = "pending"
        self.sudo().write({
            "stripe_verification": state,
            "stripe_requirement_codes": "\n".join(due) or False,
            "stripe_verified_at": when or self.stripe_verified_at,
        })
        return True

    def _webo_requirement_label(self, item):
        """What a requirement of Stripe's (``individual.verification.document``...)
        asks of the designer, in words; Stripe's own name when unknown."""
        labels = [
            ("individual.verification", _("an identity document")),
            ("company.verification", _("the company's registration extract")),
            ("external_account", _("the IBAN")),
            ("individual.dob", _("the date of birth")),
            ("individual.address", _("the address")),
            ("company.address", _("the company's address")),
            ("company.tax_id", _("the SIREN")),
            ("tos_acceptance", _("the acceptance of the provider's terms")),
            ("business_profile", _("the description of the business")),
        ]
        return next((label for prefix, label in labels if item.startswith(prefix)), item)

    def _webo_stripe_address(self):
        company = self.company_id
        return {"line1": company.street or "", "line2": company.street2 or "",
                "postal_code": company.zip or "", "city": company.city or "",
                "country": company.country_id.code or "FR"}

    def _webo_stripe_person(self, user):
        """The designer as Stripe describes a person."""
        partner = user.partner_id
        birth = fields.Date.from_string(partner.webo_birth_date) if partner.webo_birth_date else None
        person = {"first_name": partner.webo_first_name or "", "last_name": partner.webo_last_name or "",
                  "email": partner.email or "", "phone": (partner.phone or "").replace(" ", ""),
                  "address": self._webo_stripe_address()}
        if birth:
            person["dob"] = {"day": birth.day, "month": birth.month, "year": birth.year}
        return person

    def _webo_stripe_account_params(self, iban, user):
        company, partner = self.company_id, user.partner_id
        address = self._webo_stripe_address()
        person = self._webo_stripe_person(user)
        individual = company.webo_legal_form in SOLE_PROPRIETOR_FORMS
        params = {
            "type": "custom",
            "country": company.country_id.code or "FR",
            "email": partner.email or "",
            "default_currency": (company.currency_id.name or "EUR").lower(),
            "business_type": "individual" if individual else "company",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True},
                             "sepa_debit_payments": {"requested": True}},
            "business_profile": {"name": company.name},
            "external_account": {"object": "bank_account", "country": iban[:2],
                                 "currency": (company.currency_id.name or "EUR").lower(),
                                 "account_holder_name": company.name, "account_number": iban},
            "metadata": {"webo_company_id": str(company.id),
                         "webo_database": self.env["ir.config_parameter"].get_param("database.uuid")},
        }
        if self.stripe_tos_ip:
            # Custom accounts: the platform tells when and from where its
            # user accepted Stripe's terms (the opening).
            params["tos_acceptance"] = self._webo_stripe_tos()
        if individual:
            params["individual"] = person
        else:
            params["company"] = {"name": company.name, "tax_id": (company.siret or "")[:9],
                                 "vat_id": company.vat or "", "address": address,
                                 "phone": person["phone"]}
        return params

    def _webo_stripe_refusal(self, error):
        """Stripe's refusal of the opening, in the designer's words: the step
        and the field it concerns, then the provider's own explanation."""
        param = getattr(error, "param", None) or ""
        fields_by_param = [
            ("external_account", _("Step 2 (documents and IBAN)"), _("IBAN")),
            ("individual[dob]", _("Step 1 (information)"), _("Date of Birth")),
            ("individual[phone]", _("Step 1 (information)"), _("Phone")),
            ("company[phone]", _("Step 1 (information)"), _("Phone")),
            ("individual[email]", _("Step 1 (information)"), _("Email")),
            ("email", _("Step 1 (information)"), _("Email")),
            ("company[tax_id]", _("Step 1 (information)"), _("SIRET")),
            ("company[vat_id]", _("Step 1 (information)"), _("VAT Number")),
            ("individual[address]", _("Step 1 (information)"), _("Address")),
            ("company[address]", _("Step 1 (information)"), _("Address")),
            ("individual", _("Step 1 (information)"), _("Your identity")),
            ("company", _("Step 1 (information)"), _("Your company")),
        ]
        step, label = next(((step, label) for prefix, step, label in fields_by_param
                            if param.startswith(prefix)), (None, None))
        detail = getattr(error, "user_message", None) or str(error)
        if step:
            return UserError(_(
                "%(step)s: the payment provider refused %(field)s (its message: \"%(detail)s\"). "
                "Correct it and submit again.")
                % {"step": step, "field": label, "detail": detail})
        return UserError(_(
            "The payment provider refused to create your payment-receiving account (its message: "
            "\"%(detail)s\"). Check your information and submit again.")
            % {"detail": detail})

    def _webo_set_bank_account(self, iban, bic=False):
        """Register the designer's IBAN and point the payment-receiving
        journal (created the first time) and the transfer instructions at it."""
        self.ensure_one()
        company = self.company_id
        bank = self.env["res.bank"]
        if bic:
            bank = bank.search([("bic", "=", bic)], limit=1) or bank.create({"name": bic, "bic": bic})
        partner_bank = self.env["res.partner.bank"].search([
            ("sanitized_acc_number", "=", iban), ("partner_id", "=", company.partner_id.id),
            ("company_id", "=", company.id)], limit=1)
        if partner_bank:
            partner_bank.bank_id = bank
        else:
            partner_bank = self.env["res.partner.bank"].create({
                "acc_number": stdnum_iban.format(iban),
                "bank_id": bank.id,
                "partner_id": company.partner_id.id,
                "company_id": company.id,
            })
        journal = self.payment_journal_id
        if not journal:
            journal = self.env["account.journal"].create({
                "name": _("webo payment account"),
                "code": "WEBO",
                "type": "bank",
                "company_id": company.id,
                "bank_account_id": partner_bank.id,
            })
        else:
            journal.bank_account_id = partner_bank
        self.write({"bank_account_id": partner_bank.id, "payment_journal_id": journal.id})
        transfer = self.env["payment.acquirer"].search(
            [("company_id", "=", company.id), ("provider", "=", "transfer")])
        self._webo_translate(transfer, "post_msg", "_webo_transfer_instructions")

    def _webo_request_bank_change(self, iban, bic=False):
        """A new IBAN (and BIC) given for an open service: kept aside until
        the platform operator validates the RIB sent with it; clients go on
        paying into the current account until then. Giving the current
        IBAN again withdraws a pending change."""
        self.ensure_one()
        current = self.bank_account_id
        if (iban, bic or False) == (current.sanitized_acc_number, current.bank_bic or False):
            self.write({"pending_iban": False, "pending_bic": False})
        else:
            self.write({"pending_iban": iban, "pending_bic": bic or False})

    def _webo_apply_pending_bank(self):
        """The RIB is validated: the pending IBAN becomes the payment-receiving
        account's, on the client pages and the transfer instructions."""
        for service in self.filtered("pending_iban"):
            iban = service.pending_iban
            service._webo_set_bank_account(iban, service.pending_bic)
            service.write({"pending_iban": False, "pending_bic": False})
            # Last, once everything here holds: Stripe's refusal undoes it all.
            service._webo_stripe_replace_bank(iban)

    def _webo_stripe_replace_bank(self, iban):
        """The connected account pays out to ``iban`` from now on: given
        as its external account, Stripe makes it the default for its
        currency and deletes the previous one."""
        self.ensure_one()
        platform = self.env["webo.stripe.platform"]
        if not self.stripe_account_id or not platform._webo_enabled():
            return
        currency = (self.company_id.currency_id.name or "EUR").lower()
        try:
            platform._webo_client().v1.accounts.update(self.stripe_account_id, {"external_account": {
                "object": "bank_account", "country": iban[:2], "currency": currency,
                "account_holder_name": self.company_id.name, "account_number": iban}})
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None
        except stripe.StripeError as error:
            raise UserError(_(
                "The payment provider refused the new IBAN %(iban)s (its message: \"%(detail)s\"). "
                "The bank details stay to validate: ask the designer for the right IBAN, or refuse "
                "the RIB.") % {"iban": stdnum_iban.format(iban),
                                "detail": getattr(error, "user_message", None) or str(error)}) from None

    @api.multi
    @public_method
    def action_create_stripe_account(self):
        """The platform operator creates the connected account of services
        opened before the platform's Stripe key was set, from what the
        opening gave (identity, documents, IBAN)."""
        if not self.env.user.has_group("webo_sale.group_platform_operator"):
            raise AccessError(_("Only the platform operator creates payment accounts."))
        if not self.env["webo.stripe.platform"]._webo_enabled():
            raise UserError(_("Set the platform's Stripe secret key first (system parameter "
                              "webo_sale.stripe_secret_key): without it there is no account to "
                              "create."))
        for service in self.sudo():
            if service.stripe_account_id:
                raise UserError(_("%(workspace)s already has its payment account at the provider "
                                  "(%(account)s).") % {"workspace": service.company_id.name,
                                                       "account": service.stripe_account_id})
            if service.state != "open" or not service.bank_account_id:
                raise UserError(_("The sales service of %(workspace)s is not open: its payment "
                                  "account is created when it opens.")
                                % {"workspace": service.company_id.name})
            service._webo_create_stripe_account(service.bank_account_id.sanitized_acc_number,
                                                service._webo_designer())
        return True

    def _webo_stripe_tos(self):
        """The terms' acceptance as Stripe's Account takes it: when, from
        which address, with which browser (the opening's date for services
        opened before the date was kept apart)."""
        accepted = self.stripe_tos_date or self.date_open
        return {"date": calendar.timegm(fields.Datetime.from_string(accepted).timetuple())
                if accepted else int(time.time()),
                "ip": self.stripe_tos_ip, "user_agent": self.stripe_tos_user_agent or ""}

    @api.multi
    def action_accept_stripe_terms(self):
        """The Documents tab's button: the designer accepts the payment
        provider's terms from the browser, whose address goes to Stripe."""
        return self.webo_accept_stripe_terms()

    @api.multi
    @public_method
    def webo_accept_stripe_terms(self, ip=None, user_agent=None):
        """The designer accepts the payment provider's terms for a
        workspace whose account has none (an opening made over XML-RPC).
        Stripe needs the address they accepted from: a browser's request
        gives it; an XML-RPC call (which Odoo 11 gives no caller address)
        must send the one of the designer's own screen where they accepted."""
        checks = self.env["webo.api"]
        checks._check_one(self)
        self.check_access_rule("read")
        user = self.env.user
        if user.share or user.company_id != self.company_id:
            raise AccessError(_("Only the designers of the workspace accept the payment "
                                "provider's terms for it."))
        if not self.stripe_account_id:
            raise UserError(_("Your workspace has no account at the payment provider: there are "
                              "no terms to accept."))
        http = request.httprequest if request else None
        if http:
            ip, user_agent = http.remote_addr, http.user_agent.string
        elif empty(ip):
            raise UserError(_("Send the IP address the designer accepted the terms from "
                              "(argument ip, e.g. \"203.0.113.7\"): the payment provider requires "
                              "it, and an XML-RPC call does not give it."))
        try:
            ip = str(ipaddress.ip_address(str(ip).strip()))
        except ValueError:
            raise UserError(_("\"%s\" is not an IP address: send the IPv4 or IPv6 address the "
                              "designer accepted the terms from.") % ip) from None
        if not empty(user_agent) and not isinstance(user_agent, str):
            raise UserError(_("The user_agent argument is the browser's identification, as "
                              "text."))
        service = self.sudo()
        values = {"stripe_tos_ip": ip, "stripe_tos_user_agent": (user_agent or "")[:500] or False,
                  "stripe_tos_date": fields.Datetime.now()}
        platform = self.env["webo.stripe.platform"]
        try:
            tos = {"date": int(time.time()), "ip": ip,
                   "user_agent": values["stripe_tos_user_agent"] or ""}
            account = platform._webo_client().v1.accounts.update(
                service.stripe_account_id, {"tos_acceptance": tos})
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None
        except stripe.StripeError as error:
            raise UserError(_("The payment provider refused the acceptance of its terms (its "
                              "message: \"%(detail)s\").")
                            % {"detail": getattr(error, "user_message", None) or str(error)}) from None
        service.write(values)
        service._webo_stripe_account_updated(account.to_dict())
        return True

    def _webo_designer(self):
        """The designer whose identity the opening gave: the workspace's
        first internal user with a name of their own."""
        users = self.env["res.users"].sudo().search(
            [("company_id", "=", self.company_id.id), ("share", "=", False)], order="id")
        return users.filtered(lambda user: user.partner_id.webo_last_name)[:1] or users[:1]

    def _webo_create_acquirers(self):
        """The workspace's client-facing payment methods: bank transfer to
        the designer's IBAN, published; card through Stripe, unpublished
        until the designer's keys are set."""
        self.ensure_one()
        acquirers = self.env["payment.acquirer"]
        existing = acquirers.search([("company_id", "=", self.company_id.id)]).mapped("provider")
        common = {"company_id": self.company_id.id, "journal_id": self.payment_journal_id.id}
        if "transfer" not in existing:
            transfer = self.env.ref("payment.payment_acquirer_transfer").copy(dict(
                common, environment="prod", website_published=True))
            self._webo_translate(transfer, "name", "_webo_transfer_name")
            self._webo_translate(transfer, "post_msg", "_webo_transfer_instructions")
        if "stripe" not in existing:
            card = self.env.ref("payment.payment_acquirer_stripe").copy(dict(
                common, environment="test", website_published=False))
            self._webo_translate(card, "name", "_webo_card_name")

    def _webo_translate(self, records, field, method):
        """Write a translatable field in every installed language, each
        value made by ``method`` in that language."""
        for lang in ["en_US"] + [code for code, _name in self.env["res.lang"].get_installed()
                                 if code != "en_US"]:
            value = getattr(self.with_context(lang=lang), method)()
            records.with_context(lang=lang).write({field: value})

    def _webo_transfer_name(self):
        return _("Bank transfer")

    def _webo_card_name(self):
        return _("Card")

    def _webo_transfer_instructions(self):
        account = self.bank_account_id
        return "<p>%s</p><ul><li>%s</li><li>%s</li><li>%s</li></ul>" % (
            _("Pay by bank transfer to:"),
            _("Beneficiary: %(name)s") % {"name": self.company_id.name},
            _("IBAN: %(iban)s") % {"iban": account.acc_number},
            _("Reference: the invoice number") if not account.bank_bic
            else _("BIC: %(bic)s. Reference: the invoice number") % {"bic": account.bank_bic},
        )

    def _webo_purchase_outstanding(self):
        """En-cours d'achat: {used, ceiling, available} in the workspace's
        currency. The deferred-payment addon supplies it; without it the
        workspace has no purchase credit."""
        self.ensure_one()
        return {"used": 0.0, "ceiling": 0.0, "available": 0.0}

    def _webo_figures(self, today=None):
        """Every figure of the Synthèse, from the workspace's running totals
        of customer invoices and client payments."""
        self.ensure_one()
        today = fields.Date.from_string(today or fields.Date.context_today(self))
        first = today + relativedelta(months=-11, day=1)
        cr = self.env.cr
        # A few dozen rows of running totals, whatever the workspace's size.
        cr.execute("""
            SELECT type, state, credited, date_due < %(today)s,
                   CASE WHEN month >= %(first)s THEN month END,
                   SUM(invoice_count), SUM(amount_total), SUM(residual)
              FROM webo_sale_synthesis_invoice
             WHERE company_id = %(company)s
             GROUP BY 1, 2, 3, 4, 5
        """, {"company": self.company_id.id, "today": today, "first": first})
        paid_count = unpaid_count = overdue_count = 0
        paid_amount = unpaid_amount = overdue_amount = 0.0
        invoiced = {}
        for kind, state, credited, overdue, month, count, total, residual in cr.fetchall():
            if month:
                month = _as_date(month)
                invoiced[month] = invoiced.get(month, 0.0) + total
            if kind != "out_invoice":
                continue
            if state == "paid" and not credited:
                paid_count += count
                paid_amount += total
            elif state == "open":
                unpaid_count += count
                unpaid_amount += residual
                if overdue:
                    overdue_count += count
                    overdue_amount += residual
        cr.execute("""
            SELECT month, amount FROM webo_sale_synthesis_payment
             WHERE company_id = %(company)s AND month >= %(first)s
        """, {"company": self.company_id.id, "first": first})
        collected = {_as_date(month): amount for month, amount in cr.fetchall()}
        months = []
        for index in range(12):
            start = first + relativedelta(months=index)
            months.append({"month": start, "invoiced": invoiced.get(start, 0.0),
                           "collected": collected.get(start, 0.0)})
        # A partial index holds exactly these rows (account.invoice.init).
        cr.execute("""
            SELECT COUNT(*) FROM account_invoice
             WHERE company_id = %s AND type = 'out_invoice' AND state = 'open'
               AND webo_viewed_date IS NULL
        """, [self.company_id.id])
        unviewed_count = cr.fetchone()[0]
        # Few invoices wait for their email (a partial index holds them).
        cr.execute("""
            SELECT webo_email_state, count(*) FROM account_invoice
             WHERE company_id = %s AND webo_email_state IN ('pending', 'failed')
             GROUP BY 1
        """, [self.company_id.id])
        emails = dict(cr.fetchall())
        rounding = self.currency_id.rounding
        figures = self._webo_purchase_credit_figures()
        figures.update({
            "sale_outstanding": float_round(unpaid_amount, precision_rounding=rounding),
            "paid_count": int(paid_count),
            "paid_amount": float_round(paid_amount, precision_rounding=rounding),
            "unpaid_count": int(unpaid_count),
            "unpaid_amount": float_round(unpaid_amount, precision_rounding=rounding),
            "overdue_count": int(overdue_count),
            "overdue_amount": float_round(overdue_amount, precision_rounding=rounding),
            "unviewed_count": int(unviewed_count),
            "email_pending_count": emails.get("pending", 0),
            "email_failed_count": emails.get("failed", 0),
            "months": months,
        })
        return figures

    def _webo_purchase_credit_figures(self):
        """The en-cours d'achat (see ``_webo_purchase_outstanding``),
        rounded to the currency."""
        purchase = self._webo_purchase_outstanding()
        rounding = self.currency_id.rounding
        return {"purchase_%s" % key: float_round(purchase[key], precision_rounding=rounding)
                for key in ("used", "ceiling", "available")}

    def _webo_chart_html(self, months):
        """A bar chart (inline SVG) of invoiced and collected per month."""
        width, height, top, bottom = 720, 220, 16, 36
        peak = max([m["invoiced"] for m in months] + [m["collected"] for m in months] + [1.0])
        slot = width / len(months)
        bars = []
        for index, month in enumerate(months):
            x = index * slot
            for offset, key, colour in ((0.18, "invoiced", "#1f3a5f"), (0.5, "collected", "#3fa66b")):
                value = max(month[key], 0.0)
                bar = (height - top - bottom) * value / peak
                bars.append(
                    '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">'
                    '<title>%s</title></rect>' % (
                        x + slot * offset, height - bottom - bar, slot * 0.3, bar, colour,
                        formatLang(self.env, month[key], currency_obj=self.currency_id)))
            label = "%02d/%02d" % (month["month"].month, month["month"].year % 100)
            bars.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>'
                        % (x + slot / 2, height - bottom + 16, label))
        legend = (
            '<div class="o_webo_chart_legend">'
            '<span style="color:#1f3a5f">&#9632; %s</span> &#160; '
            '<span style="color:#3fa66b">&#9632; %s</span></div>' % (_("Invoiced"), _("Collected")))
        return ('<div class="o_webo_chart"><svg viewBox="0 0 %d %d" width="100%%" role="img">%s</svg>%s</div>'
                % (width, height, "".join(bars), legend))
