import re

from dateutil.relativedelta import relativedelta
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import vatin as stdnum_vatin
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import single_email_re

from ..models.res_company import LEGAL_FORMS, SOLE_PROPRIETOR_FORMS
from ..models.webo_api import public_method
from ..models.webo_sale_document import DOCUMENT_KINDS
from ..tools.actions import wizard_action

COMPANY_FIELDS = ("company_name", "legal_form", "siret", "vat", "street", "street2", "zip", "city",
                  "country_id", "share_capital", "rcs_city", "vat_regime")
PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date", "nationality_id")
STEP2_FIELDS = (*("%s_%s" % (kind, suffix) for kind in ("identity", "address", "registration", "bank")
                  for suffix in ("file", "filename")), "iban", "bic")


def is_adult(birth, today):
    """Whether someone born on ``birth`` is 18 or more on ``today`` (dates):
    their 18th birthday has come (born on 29 February: on 1 March in a
    common year)."""
    return birth <= today - relativedelta(years=18)


class WeboSaleOpening(models.TransientModel):
    """"Ouvrir mon service de vente": the presentation page, step 1 (company
    and personal information, "Enregistrer") and step 2 (documents and IBAN,
    "Transmettre les documents"). The same screens update the information or
    the documents of an open service."""

    _name = "webo.sale.opening"
    _inherit = ["webo.api.checked"]
    _description = "Opening of the Sales Service"

    service_id = fields.Many2one("webo.sale.service", string="Sales Service", required=True,
                                 ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Designer", required=True,
                              default=lambda self: self.env.user)
    mode = fields.Selection(
        [("open", "Opening"), ("information", "Update the information"),
         ("documents", "Update the documents")],
        required=True, default="open")
    step = fields.Selection(
        [("presentation", "Presentation"), ("company", "Information"), ("documents", "Documents")],
        required=True, default="presentation")
    service_state = fields.Selection(related="service_id.state", readonly=True)

    # Step 1: the company (written to the workspace)
    company_name = fields.Char(help="Raison sociale, as registered.")
    legal_form = fields.Selection(LEGAL_FORMS)
    siret = fields.Char(string="SIRET", help="14 digits: the SIREN (9) and the establishment (5).")
    vat = fields.Char(string="VAT Number", help="Required when subject to VAT, e.g. FR82131860918.")
    street = fields.Char()
    street2 = fields.Char(string="Street 2")
    zip = fields.Char()
    city = fields.Char()
    country_id = fields.Many2one("res.country",
                                 default=lambda self: self.env.ref("base.fr"))
    currency_id = fields.Many2one(related="service_id.company_id.currency_id", readonly=True)
    share_capital = fields.Monetary(help="For companies (SARL, SAS...).")
    rcs_city = fields.Char(string="RCS City",  # pylint: disable=attribute-string-redundant
                           help="For companies: the city of the trade register.")
    vat_regime = fields.Selection(
        [("subject", "Subject to VAT"),
         ("franchise", "VAT franchise (art. 293 B of the CGI)")],
        string="VAT Regime", default="subject")
    # Step 1: the designer (written to their own contact)
    first_name = fields.Char()
    last_name = fields.Char()
    email = fields.Char()
    phone = fields.Char()
    birth_date = fields.Date(string="Date of Birth")
    nationality_id = fields.Many2one("res.country",
                                     default=lambda self: self.env.ref("base.fr"))

    # Step 2: the documents and the bank account
    identity_file = fields.Binary(string="Identity Document", attachment=False)
    identity_filename = fields.Char()
    address_file = fields.Binary(string="Proof of Address", attachment=False)
    address_filename = fields.Char()
    registration_file = fields.Binary(string="Company Registration Extract", attachment=False)
    registration_filename = fields.Char()
    bank_file = fields.Binary(string="Bank Details (RIB)", attachment=False)
    bank_filename = fields.Char()
    iban = fields.Char(string="IBAN")
    bic = fields.Char(string="BIC")

    @api.model
    def create(self, vals):
        # An oversized document is refused before the wizard's row stores it.
        self._webo_check_file_sizes(vals)
        return super().create(vals)

    @api.multi
    def write(self, vals):
        self._webo_check_file_sizes(vals)
        return super().write(vals)

    # Actions (buttons)

    def action_start(self):
        self._webo_check_user()
        if self.service_id.state == "open" and self.mode == "open":
            raise UserError(_("Your sales service is already open."))
        self.step = "company"
        return self._webo_reopen()

    def action_back(self):
        self._webo_check_user()
        self.step = "company"
        return self._webo_reopen()

    def action_cancel(self):
        self._webo_check_user()
        return self.service_id._webo_synthesis_action()

    @api.multi
    @public_method
    def action_save(self):
        """"Enregistrer": check every field of step 1, then write them."""
        self.env["webo.api"]._check_one(self)
        self._webo_check_user()
        if self.mode == "open" and self.service_id.state == "open":
            raise UserError(_("Your sales service is already open."))
        company_values, partner_values = self._webo_step1_values()
        self.service_id.company_id.sudo().write(company_values)
        self.user_id.partner_id.sudo().write(partner_values)
        if self.mode == "information":
            return self.service_id._webo_synthesis_action()
        if self.service_id.state == "new":
            self.service_id.sudo().state = "informed"
        self.step = "documents"
        return self._webo_reopen()

    @api.multi
    @public_method
    def action_submit(self):
        """"Transmettre les documents": check every file and the IBAN, store
        the documents for review and, when opening, open the service with
        its payment-receiving account."""
        self.env["webo.api"]._check_one(self)
        self._webo_check_user()
        service = self.service_id
        if self.mode == "open":
            if service.state == "open":
                raise UserError(_("Your sales service is already open."))
            if service.state != "informed":
                raise UserError(_("Save your company and personal information first (step 1)."))
        files = self._webo_step2_files()
        iban, bic = self._webo_step2_bank()
        current = service.bank_account_id
        bank_changed = iban and (iban, bic or False) != (current.sanitized_acc_number,
                                                         current.bank_bic or False)
        if self.mode == "documents" and bank_changed and "bank" not in files:
            raise UserError(_("A new IBAN needs the matching bank details (RIB): add the file."))
        documents = {document.kind: document for document in service.sudo().document_ids}
        for kind, values in files.items():
            existing = documents.get(kind)
            if existing:
                existing.write(dict(values, state="submitted", refusal_reason=False,
                                    reviewer_id=False, date_review=False))
            else:
                self.env["webo.sale.document"].sudo().create(
                    dict(values, service_id=service.id, kind=kind))
        # The payment-receiving journal is named in the designer's language.
        service = service.with_context(lang=self.user_id.lang or self.env.lang)
        if self.mode == "open":
            service._webo_open(iban, bic, user=self.user_id)
        elif iban:
            # Used once the platform validates the RIB just sent.
            service.sudo()._webo_request_bank_change(iban, bic)
        return service._webo_synthesis_action()

    # Public API

    @api.model
    @public_method
    def webo_open_service(self, values):
        """Both steps in one call (XML-RPC): ``values`` holds the fields of
        step 1 and step 2 (files in base64). Returns the service id."""
        self.env["webo.api"]._check_dict(values, _("The opening"),
                                         allowed=COMPANY_FIELDS + PERSONAL_FIELDS + STEP2_FIELDS)
        service = self.env["webo.sale.service"]._webo_for_company(self.env.user.company_id)
        wizard = self.create(dict(values, service_id=service.id, user_id=self.env.uid,
                                  mode="open", step="company"))
        wizard.action_save()
        wizard.action_submit()
        return service.id

    # Business methods

    @api.model
    def _webo_action(self, service, mode="open"):
        """The screen to show for ``service``: the wizard, prefilled with
        what the workspace and the user already hold."""
        company, partner = service.company_id, self.env.user.partner_id
        if mode == "open":
            step = "documents" if service.state == "informed" else "presentation"
        else:
            step = "company" if mode == "information" else "documents"
        wizard = self.create({
            "service_id": service.id,
            "user_id": self.env.uid,
            "mode": mode,
            "step": step,
            "company_name": company.name,
            "legal_form": company.webo_legal_form,
            "siret": company.siret,
            "vat": company.vat,
            "street": company.street,
            "street2": company.street2,
            "zip": company.zip,
            "city": company.city,
            "country_id": (company.country_id or self.env.ref("base.fr")).id,
            "share_capital": company.webo_share_capital,
            "rcs_city": company.webo_rcs_city,
            "vat_regime": company.webo_vat_regime,
            "first_name": partner.webo_first_name,
            "last_name": partner.webo_last_name or (partner.name if not partner.webo_first_name else False),
            "email": partner.email,
            "phone": partner.phone,
            "birth_date": partner.webo_birth_date,
            "nationality_id": (partner.webo_nationality_id or self.env.ref("base.fr")).id,
            "iban": service.bank_account_id.acc_number,
            "bic": service.bank_account_id.bank_bic,
        })
        return wizard._webo_reopen()

    def _webo_reopen(self):
        self.ensure_one()
        return wizard_action(self._name, _("My sales service"), res_id=self.id, target="inline")

    def _webo_check_user(self):
        """A designer opens their own workspace's service, as themselves."""
        operator = self.env.user.has_group("webo_sale.group_platform_operator")
        for wizard in self:
            if operator:
                continue
            if wizard.user_id != self.env.user or \
                    wizard.service_id.company_id != self.env.user.company_id:
                raise AccessError(_("You can only open the sales service of your own workspace."))

    def _webo_step1_values(self):
        """The values of step 1 for the workspace and for the designer's
        contact, once every rule holds; a UserError listing what to fix
        otherwise."""
        missing = [self._fields[name].get_description(self.env)["string"] for name in
                   ("company_name", "legal_form", "siret", "street", "zip", "city", "country_id",
                    "vat_regime", "first_name", "last_name", "email", "phone", "birth_date",
                    "nationality_id") if not self[name]]
        company_form = self.legal_form and self.legal_form not in SOLE_PROPRIETOR_FORMS
        if company_form:
            missing += [self._fields[name].get_description(self.env)["string"]
                        for name in ("share_capital", "rcs_city") if not self[name]]
        if self.vat_regime == "subject" and not self.vat:
            missing.append(self._fields["vat"].get_description(self.env)["string"])
        if missing:
            raise UserError(_("Fill in these fields: %(fields)s.") % {"fields": ", ".join(missing)})
        name_taken = self.env["res.company"].sudo().search_count([
            ("name", "=", self.company_name.strip()), ("id", "!=", self.service_id.company_id.id)])
        if name_taken:
            raise UserError(_(
                "Another company of the platform is already named %(name)s: give your full "
                "raison sociale, as registered.") % {"name": self.company_name.strip()})
        siret = re.sub(r"\s", "", self.siret)
        if not stdnum_siret.is_valid(siret):
            raise UserError(_(
                "The SIRET %(siret)s is not valid: it has 14 digits and its last one is a check "
                "digit. Copy it from your registration extract (Kbis or INSEE notice).")
                % {"siret": self.siret})
        vat = re.sub(r"\s", "", self.vat or "").upper() or False
        if vat:
            if not stdnum_vatin.is_valid(vat):
                raise UserError(_(
                    "The VAT number %(vat)s is not valid: it starts with the country code (FR for "
                    "France) followed by the number, e.g. FR82131860918.") % {"vat": self.vat})
            if vat.startswith("FR") and vat[4:] != siret[:9]:
                raise UserError(_(
                    "The VAT number %(vat)s does not belong to the SIREN %(siren)s: a French VAT "
                    "number is FR, a two-digit key, then the SIREN.")
                    % {"vat": self.vat, "siren": siret[:9]})
        if self.country_id == self.env.ref("base.fr") and not re.match(r"^\d{5}$", self.zip.strip()):
            raise UserError(_("The zip code %(zip)s is not a French zip code (5 digits).")
                            % {"zip": self.zip})
        if company_form and self.share_capital <= 0:
            raise UserError(_("The share capital of a company must be greater than zero."))
        if not single_email_re.match(self.email.strip()):
            raise UserError(_("The email address %(email)s is not valid.") % {"email": self.email})
        birth = fields.Date.from_string(self.birth_date)
        today = fields.Date.from_string(fields.Date.context_today(self))
        if not is_adult(birth, today):
            raise UserError(_("The date of birth must be that of an adult (18 years or more)."))
        rcs_city = (self.rcs_city or "").strip() if company_form else False
        company_values = {
            "name": self.company_name.strip(),
            "webo_legal_form": self.legal_form,
            "siret": siret,
            "vat": vat,
            "street": self.street,
            "street2": self.street2,
            "zip": self.zip.strip(),
            "city": self.city,
            "country_id": self.country_id.id,
            "webo_share_capital": self.share_capital if company_form else 0.0,
            "webo_rcs_city": rcs_city,
            "webo_vat_regime": self.vat_regime,
        }
        if rcs_city:
            company_values["company_registry"] = "RCS %s %s %s %s" % (
                rcs_city, siret[:3], siret[3:6], siret[6:9])
        first, last = self.first_name.strip(), self.last_name.strip()
        partner_values = {
            "name": "%s %s" % (first, last),
            "webo_first_name": first,
            "webo_last_name": last,
            "email": self.email.strip(),
            "phone": self.phone,
            "webo_birth_date": self.birth_date,
            "webo_nationality_id": self.nationality_id.id,
        }
        return company_values, partner_values

    def _webo_step2_files(self):
        """{kind: values} of the files given, each checked by content. When
        opening, all four are required."""
        Document = self.env["webo.sale.document"]
        labels = dict(Document._fields["kind"]._description_selection(self.env))
        files, missing = {}, []
        for kind, _label in DOCUMENT_KINDS:
            data = self["%s_file" % kind]
            if not data:
                if self.mode == "open":
                    missing.append(labels[kind])
                continue
            files[kind] = Document._webo_file_values(data, self["%s_filename" % kind], labels[kind])
        if missing:
            raise UserError(_("Add these documents: %(documents)s.") % {"documents": ", ".join(missing)})
        return files

    @api.model
    def _webo_check_file_sizes(self, values):
        Document = self.env["webo.sale.document"]
        labels = dict(Document._fields["kind"]._description_selection(self.env))
        for kind, _label in DOCUMENT_KINDS:
            if values.get("%s_file" % kind):
                Document._webo_check_file_size(values["%s_file" % kind], labels[kind])

    def _webo_step2_bank(self):
        """The IBAN and BIC, compacted, once valid; (False, False) when
        updating documents without a new IBAN."""
        if not self.iban:
            if self.mode == "open":
                raise UserError(_("Fill in your IBAN: your clients' payments are paid out to it."))
            return False, False
        iban = stdnum_iban.compact(self.iban)
        try:
            stdnum_iban.validate(iban)
        except StdnumError:
            raise UserError(_(
                "The IBAN %(iban)s is not valid: check the country code, the length and the "
                "check digits against your bank details (RIB).") % {"iban": self.iban}) from None
        bic = stdnum_bic.compact(self.bic) if self.bic else False
        if bic and not stdnum_bic.is_valid(bic):
            raise UserError(_("The BIC %(bic)s is not valid: it has 8 or 11 characters, e.g. "
                              "BNPAFRPPXXX.") % {"bic": self.bic})
        return iban, bic
