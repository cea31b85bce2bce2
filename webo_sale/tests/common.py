import os
import zlib

from stdnum import luhn

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tests.common import SavepointCase, get_db_name


def french_identifiers(seed):
    """(SIRET, VAT number) of a made-up French business, valid and stable
    for ``seed``: every invoice needs its seller's identifiers."""
    base = "%08d" % (zlib.crc32(seed.encode()) % 10 ** 8)
    siren = base + luhn.calc_check_digit(base)
    nic = "0001" + luhn.calc_check_digit(siren + "0001")
    return siren + nic, "FR%02d%s" % ((12 + 3 * (int(siren) % 97)) % 97, siren)


# The IBAN the test workspaces' payment-receiving accounts pay out to.
TEST_IBAN = "FR7630006000011234567890189"

# Blank workspaces (their French chart of accounts installed, nothing else)
# kept in the database, named with this prefix, when
# WEBO_TEST_WORKSPACE_POOL=1 (make test's database of Odoo's runner).
POOL_PREFIX = "webo-test-pool-"


def workspace_pool_enabled():
    return os.environ.get("WEBO_TEST_WORKSPACE_POOL") == "1"


class WeboWorkspaceCase(SavepointCase):
    """Two designer workspaces, each with its French accounting, its sales
    service open (they send invoices), one designer user and one client.
    A class whose tests need a service that is not open sets
    ``open_services`` to False."""

    open_services = True
    # The workspaces a class makes at most at once (setUpClass and one test).
    pool_size = 3

    @classmethod
    def setUpClass(cls):
        if workspace_pool_enabled():
            cls._fill_workspace_pool()
        super().setUpClass()
        cls.addClassCleanup(cls._release_test_cursor)
        cls.workspace_a = cls._create_workspace("Atelier A")
        cls.workspace_b = cls._create_workspace("Atelier B")
        cls.designer_a = cls._create_designer("designer_a", cls.workspace_a)
        cls.designer_b = cls._create_designer("designer_b", cls.workspace_b)
        cls.client_a = cls._create_client("Client de A", cls.workspace_a)
        cls.client_b = cls._create_client("Client de B", cls.workspace_b)

    @classmethod
    def _release_test_cursor(cls):
        # unittest skips tearDownClass when setUpClass fails; the test cursor
        # would stay open with its uncommitted rows, and the next class would
        # wait forever on their locks instead of failing.
        if not cls.cr._closed:
            cls.cr.rollback()
            cls.cr.close()

    @classmethod
    def _fill_workspace_pool(cls):
        """Installing a French chart of accounts takes seconds, and nearly
        every class makes two workspaces. With the pool, blank workspaces
        are made once, committed, and each class renames the ones it takes
        (``_create_workspace``): its rollback gives them back blank to the
        next class. Only in a database of Odoo's runner: the blank
        workspaces stay in it."""
        with odoo.registry(get_db_name()).cursor() as cr:
            companies = api.Environment(cr, SUPERUSER_ID, {})["res.company"]
            have = companies.search_count([("name", "=like", POOL_PREFIX + "%")])
            for number in range(have, cls.pool_size):
                companies.create({
                    "name": "%s%d" % (POOL_PREFIX, number + 1),
                    "webo_workspace": True,
                    "country_id": companies.env.ref("base.fr").id,
                    "currency_id": companies.env.ref("base.EUR").id,
                })

    @classmethod
    def _take_pooled_workspace(cls, values):
        """A blank workspace of the pool given ``values`` (its name and
        identifiers), or None when the class has taken them all."""
        pooled = cls.env["res.company"].search([("name", "=like", POOL_PREFIX + "%")],
                                               order="id", limit=1)
        if pooled:
            pooled.write(values)
        return pooled or None

    @classmethod
    def _create_workspace(cls, name, open_service=None):
        """A workspace as the platform creates one: its accounting comes with
        it; its SIRET and VAT number as its designer gives them; its sales
        service opened (its payment-receiving account made, as the opening's
        last step does) unless ``open_service`` (default: the class's
        ``open_services``) is false."""
        siret, vat = french_identifiers(name)
        values = {"name": name, "siret": siret, "vat": vat}
        company = workspace_pool_enabled() and cls._take_pooled_workspace(values)
        if not company:
            company = cls.env["res.company"].create(dict(
                values, webo_workspace=True, country_id=cls.env.ref("base.fr").id,
                currency_id=cls.env.ref("base.EUR").id))
        if cls.open_services if open_service is None else open_service:
            cls._open_workspace_service(company)
        return company

    @classmethod
    def _open_workspace_service(cls, company):
        """Open the workspace's sales service: its payment-receiving account
        and payment methods, as step 2 of the opening makes them."""
        service = cls.env["webo.sale.service"]._webo_for_company(company)
        service._webo_open(TEST_IBAN)
        return service

    @classmethod
    def _create_designer(cls, login, company):
        return cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": login,
            "login": login,
            "email": "%s@example.com" % login,
            "lang": "fr_FR",
            "company_id": company.id,
            "company_ids": [(6, 0, company.ids)],
            "groups_id": [(6, 0, cls.env.ref("webo_sale.group_designer").ids)],
        })

    @classmethod
    def _create_client(cls, name, company, email=True):
        """A business client of the workspace; its email address (every
        invoice is sent by email) unless ``email`` is false."""
        return cls.env["res.partner"].create({
            "name": name,
            "is_company": True,
            "customer": True,
            "company_id": company.id,
            "email": email and "%s@example.com" % "-".join(name.lower().split()),
        })

    @classmethod
    def _create_invoice(cls, company, partner, amount=100.0):
        """A draft customer invoice of the workspace, made by the platform."""
        journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        account = cls.env["account.account"].search(
            [("company_id", "=", company.id), ("code", "=like", "706%")], limit=1)
        return cls.env["account.invoice"].create({
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "account_id": partner.with_context(
                force_company=company.id).property_account_receivable_id.id,
            "invoice_line_ids": [(0, 0, {
                "name": "Création du site vitrine",
                "quantity": 1,
                "price_unit": amount,
                "account_id": account.id,
            })],
        })


def open_invoice(env, company, partner, lines, **values):
    """A validated customer invoice of the workspace, dated 2 March 2026,
    due 1 April; lines are (description, quantity, unit price, taxes);
    ``values`` override the invoice's own."""
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    account = env["account.account"].search(
        [("company_id", "=", company.id), ("code", "=like", "706%")], limit=1)
    invoice = env["account.invoice"].create(dict({
        "partner_id": partner.id,
        "company_id": company.id,
        "journal_id": journal.id,
        "account_id": partner.with_context(
            force_company=company.id).property_account_receivable_id.id,
        "name": "Création du site vitrine",
        "date_invoice": "2026-03-02",
        "date_due": "2026-04-01",
        "invoice_line_ids": [(0, 0, {
            "name": name, "quantity": quantity, "price_unit": price,
            "account_id": account.id, "invoice_line_tax_ids": [(6, 0, taxes.ids)],
        }) for name, quantity, price, taxes in lines],
    }, **values))
    invoice.action_invoice_open()
    return invoice
