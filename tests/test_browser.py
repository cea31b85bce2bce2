"""A designer in a real browser: headless Chromium (Playwright), French web client."""
import base64
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from test_invoicing_api import local_url, send_invoice

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
]
TIMEOUT_MS = 30_000
# The first backend page of a fresh database compiles the web client's
# asset bundles (LESS included): allow it far more than a click.
FIRST_LOAD_MS = 180_000
expect.set_options(timeout=TIMEOUT_MS)
CLAIRE_CLIENTS = ["Boulangerie Dupont", "Cabinet Leroy Avocats", "Sophie Moreau"]
JULIEN_CLIENTS = ["Garage Lefèvre SAS", "Association Les Amis du Vélo", "Restaurant Le Petit Zinc"]
SALES_MENU = ["Vente", "Synthèse", "Factures", "Comptes Clients", "Abonnements"]


@dataclass
class BrowserSession:
    """A page and what went wrong in it: console errors, uncaught exceptions, alerts."""

    page: Page
    screenshots: Path
    name: str
    errors: list = field(default_factory=list)

    def listen(self):
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append("uncaught: %s" % error))
        self.page.on("dialog", self._on_dialog)

    def _on_console(self, message):
        if message.type == "error":
            self.errors.append("console: %s (%s)" % (message.text, message.location.get("url")))

    def _on_dialog(self, dialog):
        self.errors.append("dialog: %s" % dialog.message)
        dialog.dismiss()

    def screenshot(self, step):
        self.page.screenshot(path=str(self.screenshots / ("%s-%s.png" % (self.name, step))), full_page=True)

    def assert_no_errors(self):
        assert not self.errors, "the browser reported errors:\n" + "\n".join(self.errors)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def logged_in_session(request, browser, odoo_url, output_dir, login, password):
    """A fresh browser context where ``login`` logged in through /web/login."""
    screenshots = output_dir / "screenshots"
    screenshots.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    session = BrowserSession(page, screenshots, request.node.name)
    session.listen()
    page.goto(odoo_url + "/web/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("#oe_main_menu_navbar .oe_application_menu_placeholder a").first).to_be_visible(
        timeout=FIRST_LOAD_MS)
    return context, session


@pytest.fixture()
def claire_session(request, browser, odoo_url, output_dir, claire):
    """Claire in a fresh browser context. Her Synthèse's welcome window is
    marked seen first: it belongs to the opening test, not to these."""
    service = claire.execute("webo.sale.service", "webo_my_service")
    claire.execute("webo.sale.service", "action_welcome_seen", [service])
    context, session = logged_in_session(request, browser, odoo_url, output_dir, "claire", "claire")
    yield session
    context.close()


def open_business_app(page):
    """Opens Gestion commerciale: its first action, Synthèse, loads."""
    page.locator("#oe_main_menu_navbar").get_by_role("link", name="Gestion commerciale").click()
    expect(page.locator(".breadcrumb .active")).to_have_text("Synthèse")
    return page.locator(".o_sub_menu .oe_secondary_menu:visible")


def test_backend_renders_styled_after_login(claire_session):
    page = claire_session.page
    claire_session.screenshot("home")
    expect(page.locator(".oe_topbar_name")).to_have_text("Claire Martin")
    navbar = page.locator("#oe_main_menu_navbar")
    navbar_background = navbar.evaluate("e => getComputedStyle(e).backgroundColor")
    assert navbar_background not in ("", "rgba(0, 0, 0, 0)", "transparent"), "the backend CSS is not applied"
    claire_session.assert_no_errors()


def test_business_app_menu_is_in_french(claire_session):
    menu = open_business_app(claire_session.page)
    claire_session.screenshot("gestion-commerciale")
    for label in SALES_MENU:
        expect(menu.get_by_text(label, exact=True)).to_be_visible()
    claire_session.assert_no_errors()


def test_customer_accounts_list_her_clients_only(claire_session):
    page = claire_session.page
    menu = open_business_app(page)
    menu.get_by_role("link", name="Comptes Clients").click()
    expect(page.locator(".breadcrumb .active")).to_have_text("Comptes Clients")
    rows = page.locator(".o_list_view tbody tr.o_data_row")
    expect(rows.first).to_be_visible()
    claire_session.screenshot("comptes-clients")
    names = [row.locator("td.o_data_cell").first.inner_text().strip() for row in rows.all()]
    missing = set(CLAIRE_CLIENTS).difference(names)
    assert not missing, "claire's clients missing from %s" % names
    leaked = set(JULIEN_CLIENTS).intersection(names)
    assert not leaked, "julien's clients shown to claire: %s" % sorted(leaked)
    claire_session.assert_no_errors()


def test_create_and_send_an_invoice_through_the_wizard(claire_session, outbox):
    """The seed's "Créer une facture": details, invoice preview, email preview, send."""
    page = claire_session.page
    menu = open_business_app(page)
    expect(page.locator(".o_loading")).to_be_hidden()
    menu.get_by_role("link", name="Factures", exact=True).click()  # not "Factures fournisseur"
    expect(page.locator(".breadcrumb .active")).to_have_text("Factures")
    create = page.locator(".o_list_button_add")
    expect(create).to_have_text("Créer une facture")
    create.click()

    modal = page.locator(".modal-dialog:visible").last
    # (the email editor brings hidden dialogs of its own inside this one)
    title = modal.locator(":scope > .modal-content > .modal-header .modal-title")
    expect(title).to_have_text("Créer une facture")
    modal.locator(".o_field_widget[name=name]").fill("Maintenance du site")
    client = modal.locator(".o_field_widget[name=partner_id] input")
    client.fill("Cabinet Leroy")
    page.locator(".ui-autocomplete:visible li a", has_text="Cabinet Leroy Avocats").first.click()
    due = (datetime.date.today() + datetime.timedelta(days=30)).strftime("%d/%m/%Y")
    modal.locator(".o_field_widget[name=date_due] input").fill(due)
    modal.locator(".o_field_x2many_list_row_add a").click()
    fill_invoice_line(modal.locator("tr.o_selected_row"), "Mises à jour mensuelles", "150")
    claire_session.screenshot("wizard-1-details")

    modal.get_by_role("button", name="Suivant").click()
    preview = modal.locator(".o_field_widget[name=preview_html]")
    expect(preview).to_contain_text("Cabinet Leroy Avocats")
    expect(preview).to_contain_text("TVA non applicable, art. 293 B du CGI")
    claire_session.screenshot("wizard-2-invoice-preview")

    modal.get_by_role("button", name="Suivant").click()
    subject = modal.locator(".o_field_widget[name=email_subject]")
    expect(subject).to_have_value(re.compile(r"^Facture \S+ – Atelier Claire Martin EI$"))
    recipients = modal.locator(".o_field_many2manytags[name=email_partner_ids]")
    expect(recipients).to_contain_text("Cabinet Leroy Avocats")
    claire_session.screenshot("wizard-3-email-preview")
    number = subject.input_value().split()[1]

    modal.get_by_role("button", name="Envoyer la facture").click()
    # The first PDF of a fresh database compiles the report's asset bundle:
    # on a loaded machine that takes longer than a click.
    expect(page.locator(".modal-dialog:visible")).to_have_count(0, timeout=FIRST_LOAD_MS)
    expect(page.locator(".o_form_view .o_field_widget[name=number]")).to_have_text(number)
    # "Envoyée" once the mail server has accepted the email.
    expect(page.locator(".o_statusbar_status .btn-primary")).to_have_text("Envoi en attente")
    expect(page.locator(".o_form_view .alert-warning")).to_contain_text("Envoi en attente")
    claire_session.screenshot("wizard-4-sending-invoice")
    assert any(number in mail.subject for mail in outbox.collect())
    # The sent invoice's address names the Factures action: reloaded, it
    # is webo's form again.
    page.reload()
    expect(page.locator(".o_statusbar_status .btn-primary")).to_have_text("Envoyée", timeout=FIRST_LOAD_MS)
    expect(page.locator(".o_form_view .alert-warning")).to_be_hidden()
    claire_session.screenshot("wizard-5-sent-invoice")
    claire_session.assert_no_errors()


def test_register_a_payment_then_the_client_sees_what_remains(request, browser, claire_session, claire,
                                                               new_client, odoo_url):
    """The invoice's "Enregistrer un paiement" (Odoo's payment window, in the
    workspace's payment-receiving account), then the client's page."""
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    action = claire.execute("ir.model.data", "xmlid_to_res_id", "webo_sale.account_invoice_action")
    page = claire_session.page
    page.goto("%s/web#id=%d&model=account.invoice&view_type=form&action=%d" % (odoo_url, invoice, action))
    page.get_by_role("button", name="Enregistrer un paiement").click()
    modal = page.locator(".modal-dialog:visible").last
    journal = modal.locator("select[name=journal_id]:visible option:checked")
    expect(journal).to_contain_text("Compte de paiement webo")
    amount = modal.locator(".o_field_widget[name=amount] input, input.o_field_widget[name=amount]").first
    expect(amount).to_have_value(re.compile(r"^500[,.]00$"))
    amount.fill("200")
    claire_session.screenshot("payment-1-window")
    modal.get_by_role("button", name="Valider").click()
    expect(page.locator(".o_statusbar_status .btn-primary")).to_have_text("Partiellement payée")
    claire_session.screenshot("payment-2-partially-paid")
    claire_session.assert_no_errors()

    (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url", "number"])
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="fr-FR")
    try:
        anonymous = BrowserSession(context.new_page(), claire_session.screenshots,
                                   request.node.name + "-client")
        anonymous.listen()
        anonymous.page.goto(local_url(odoo_url, record["webo_payment_url"]))
        expect(anonymous.page.locator(".o_webo_invoice_title")).to_contain_text(record["number"])
        expect(anonymous.page.locator(".o_webo_amount_due")).to_contain_text("300,00")
        expect(anonymous.page.locator(".o_webo_iban")).to_be_visible()
        anonymous.screenshot("payment-3-client-page")
        anonymous.assert_no_errors()
    finally:
        context.close()


def fill_invoice_line(row, description, price):
    """The new line of the invoice wizard, field after field with Tab, as a
    designer types it: the list commits each field (its onchange re-renders
    the row) before it hands the focus on. Filling the price straight after
    the description raced that re-render, and the price's keystrokes could
    land in the description."""
    field = row.locator(".o_field_widget[name=name]")
    field.fill(description)
    for name in ("quantity", "price_unit"):
        field.press("Tab")
        field = row.locator("[name=%s] input, input[name=%s]" % (name, name)).first
        expect(field).to_be_focused()
    field.fill(price)
    expect(row.locator(".o_field_widget[name=name]")).to_have_value(description)
    expect(field).to_have_value(price)


def form_input(page, name):
    """The input of the form field ``name`` (the field itself, or inside its widget)."""
    return page.locator(".o_form_view input[name=%s], .o_form_view [name=%s] input" % (name, name)).first


def test_designer_opens_the_sales_service_in_the_browser(request, browser, odoo_url, output_dir, repo_dir,
                                                         new_designer):
    """The seed's "Ouverture du service vente": presentation, step 1, step 2, Synthèse and its window."""
    designer, company = new_designer("Atelier Navigateur", identified=False)
    (user,) = designer.execute("res.users", "read", [designer.uid], ["login"])
    (workspace,) = designer.execute("res.company", "read", [company], ["name"])
    context, session = logged_in_session(request, browser, odoo_url, output_dir, user["login"], user["login"])
    page = session.page
    try:
        page.locator("#oe_main_menu_navbar").get_by_role("link", name="Gestion commerciale").click()
        expect(page.get_by_text("Votre outil de facturation")).to_be_visible()
        session.screenshot("1-presentation")
        page.get_by_role("button", name="Ouvrir mon service de vente").click()

        expect(page.get_by_text("Étape 1 : vos informations")).to_be_visible()
        for name, value in (("company_name", workspace["name"]), ("siret", "73282932000074"),
                            ("street", "2 rue de la Paix"), ("zip", "75002"), ("city", "Paris"),
                            ("first_name", "Inès"), ("last_name", "Roux"), ("email", "ines@example.org"),
                            ("phone", "+33 6 10 20 30 40"), ("birth_date", "03/02/1991")):
            form_input(page, name).fill(value)
        page.locator(".o_form_view select[name=legal_form]").select_option(label="Micro-entreprise")
        page.locator(".o_form_view select[name=vat_regime]").select_option(
            label="Franchise en base de TVA (art. 293 B du CGI)")
        session.screenshot("2-step-1")
        page.get_by_role("button", name="Enregistrer").click()

        expect(page.get_by_text("Étape 2 : vos documents")).to_be_visible()
        specimen = str(repo_dir / "webo_sale/demo/files/specimen_rib.pdf")
        identity = str(repo_dir / "webo_sale/demo/files/specimen_identity.png")
        for name, path in (("identity_file", identity), ("address_file", specimen),
                           ("registration_file", specimen), ("bank_file", specimen)):
            page.locator(".o_form_view [name=%s] input[type=file]" % name).set_input_files(path)
            expect(form_input(page, name)).to_have_value(re.compile(r"\.(pdf|png)$"))
        form_input(page, "iban").fill("FR76 3000 6000 0112 3456 7890 189")
        session.screenshot("3-step-2")
        page.get_by_role("button", name="Transmettre les documents").click()

        welcome = page.locator(".modal-dialog:visible")
        expect(welcome.locator(".modal-title")).to_have_text("Bienvenue dans votre espace de facturation")
        expect(page.locator(".breadcrumb .active")).to_have_text("Synthèse")
        session.screenshot("4-synthese-welcome")
        welcome.get_by_role("button", name="C'est parti").click()
        expect(page.locator(".modal-dialog:visible")).to_have_count(0)
        expect(page.locator(".o_form_view [name=purchase_ceiling]")).to_contain_text("300,00")
        chart = page.locator(".o_form_view .o_webo_chart svg")
        chart.scroll_into_view_if_needed()
        expect(chart.locator("rect")).to_have_count(24)
        expect(chart.locator("text")).to_have_count(12)

        page.locator(".o_notebook .nav-tabs a", has_text="Documents").click()
        rows = page.locator(".o_form_view .o_field_one2many[name=document_ids] tr.o_data_row")
        expect(rows).to_have_count(4)
        expect(rows.first).to_contain_text("Transmis")
        session.screenshot("5-documents")

        # The window greets the first visit only.
        page.reload()
        expect(page.locator(".o_form_view [name=purchase_ceiling]")).to_be_visible(timeout=FIRST_LOAD_MS)
        page.locator("#oe_main_menu_navbar").get_by_role("link", name="Gestion commerciale").click()
        expect(page.locator(".breadcrumb .active")).to_have_text("Synthèse")
        expect(page.locator(".o_form_view [name=paid_count]")).to_be_visible()
        page.wait_for_timeout(1500)
        expect(page.locator(".modal-dialog:visible")).to_have_count(0)
        session.assert_no_errors()
    finally:
        context.close()


def test_import_a_supplier_facturx_invoice(claire_session, studio, admin, claire, outbox, tmp_path):
    """Gestion commerciale > Factures fournisseur > Importer une facture
    fournisseur (Factur-X): a file that is not a PDF is refused in French,
    then a supplier's Factur-X invoice to Atelier Claire Martin becomes her
    draft supplier bill."""
    supplier, company = studio
    (supplier_name,) = [c["name"] for c in admin.execute("res.company", "read", [company], ["name"])]
    today = datetime.date.today()
    buyer = supplier.execute("res.partner", "create", {
        "name": "Atelier Claire Martin", "is_company": True, "customer": True,
        "siret": "90830166600016",
        "child_ids": [(0, 0, {"type": "invoice", "name": "Claire", "email": "claire-fx@example.org"})]})
    bills_before = set(claire.execute("account.invoice", "search", [("type", "=", "in_invoice")]))
    try:
        wizard = supplier.execute("webo.invoice.wizard", "create", {
            "name": "Hébergement", "partner_id": buyer, "date_invoice": today.isoformat(),
            "date_due": (today + datetime.timedelta(days=30)).isoformat(),
            "line_ids": [(0, 0, {"name": "Hébergement annuel", "quantity": 1, "price_unit": 120.0})]})
        invoice = supplier.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]
        (number,) = [r["number"] for r in supplier.execute("account.invoice", "read", [invoice], ["number"])]
        pdf = tmp_path / "facture-studio-pixel.pdf"
        pdf.write_bytes(base64.b64decode(supplier.execute("account.invoice", "webo_facturx_pdf", [invoice])))
        not_pdf = tmp_path / "notes.txt"
        not_pdf.write_text("Facture de 120 €")

        page = claire_session.page
        menu = open_business_app(page)
        expect(page.locator(".o_loading")).to_be_hidden()
        menu.get_by_role("link", name="Importer une facture fournisseur (Factur-X)").click()
        modal = page.locator(".modal-dialog:visible").last
        expect(modal.locator(".modal-title")).to_have_text("Importer une facture fournisseur (Factur-X)")
        modal.locator("input[type=file]").set_input_files(str(not_pdf))
        modal.get_by_role("button", name="Importer").click()
        warning = page.locator(".modal-dialog:visible", has_text="n'est pas un PDF")
        expect(warning).to_be_visible()
        claire_session.screenshot("facturx-import-refused")
        warning.get_by_role("button", name="Ok").click()

        modal.locator("input[type=file]").set_input_files(str(pdf))
        modal.get_by_role("button", name="Importer").click()
        expect(page.locator(".modal-dialog:visible")).to_have_count(0)
        form = page.locator(".o_form_view")
        expect(form.locator(".o_field_widget[name=reference]")).to_have_text(number)
        expect(form.locator(".o_field_widget[name=partner_id]")).to_contain_text(supplier_name)
        expect(form.locator(".o_field_widget[name=amount_total]")).to_contain_text("144,00")
        claire_session.screenshot("facturx-import-bill")
    finally:
        # the supplier's invoice email is sent before its recipient is archived
        outbox.collect()
        bills = set(claire.execute("account.invoice", "search", [("type", "=", "in_invoice")]))
        if bills - bills_before:
            claire.execute("account.invoice", "unlink", sorted(bills - bills_before))
        suppliers = claire.execute("res.partner", "search", [("name", "=", supplier_name)])
        claire.execute("res.partner", "write", suppliers, {"active": False})
        family = supplier.execute("res.partner", "search", [("id", "child_of", [buyer])])
        supplier.execute("res.partner", "write", family, {"active": False})


def test_reminder_levels_in_french(claire_session):
    """Gestion commerciale > Vente > Configuration > Relances: the
    workspace's four default reminders, each with its text."""
    page = claire_session.page
    menu = open_business_app(page)
    # Configuration is a folded entry of the side menu: it opens on a click.
    menu.get_by_text("Configuration", exact=True).click()
    menu.get_by_text("Relances", exact=True).click()
    expect(page.locator(".breadcrumb .active")).to_have_text("Relances")
    rows = page.locator(".o_list_view tbody tr.o_data_row")
    expect(rows).to_have_count(4)
    for label in ("Relance courtoise", "Relance ferme", "Mise en demeure", "Dernier avis"):
        expect(page.locator(".o_list_view").get_by_text(label, exact=True)).to_be_visible()
    claire_session.screenshot("relances")
    rows.nth(2).click()
    form = page.locator(".o_form_view")
    expect(form).to_contain_text("Mise en demeure de payer la facture {invoice}")
    expect(form).to_contain_text("{indemnity}")
    claire_session.screenshot("relance-mise-en-demeure")
    claire_session.assert_no_errors()


def test_buy_with_deferred_payment_through_the_checkout(claire_session, claire):
    """The seed's checkout: the payment summary, "Choix du moyen de paiement"
    > "Paiement différé", the terms of sale, "Confirmer la commande", then
    "Procéder au paiement": the order opens, to pay, and uses the credit."""
    before = claire.execute("webo.sale.service", "webo_purchase_credit")
    page = claire_session.page
    menu = open_business_app(page)
    menu.get_by_role("link", name="Nouvelle commande").click()
    modal = page.locator(".modal-dialog:visible").last
    expect(modal.locator(".modal-title")).to_have_text("Récapitulatif de paiement")
    modal.locator(".o_field_x2many_list_row_add a").click()
    row = modal.locator("tr.o_selected_row")
    row.locator(".o_field_widget[name=product_id] input").fill("Hébergement")
    page.locator(".ui-autocomplete:visible li a", has_text="Hébergement").first.click()
    claire_session.screenshot("checkout-0-line")
    expect(modal.locator(".o_field_widget[name=amount_total]")).not_to_have_text(re.compile(r"^0,00"))
    modal.get_by_text("Paiement différé", exact=True).click()
    modal.locator(".o_field_widget[name=accept_terms] input").check()
    claire_session.screenshot("checkout-1-summary")
    modal.get_by_role("button", name="Confirmer la commande").click()
    pay = page.locator(".modal-dialog:visible").last.get_by_role("button", name="Procéder au paiement")
    claire_session.screenshot("checkout-2-confirm")
    pay.click()

    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    expect(page.locator(".o_form_view .o_field_widget[name=name]")).to_have_text(re.compile(r"^CMD/\d{4}/"))
    expect(page.locator(".o_statusbar_status .btn-primary")).to_have_text("À payer")
    claire_session.screenshot("checkout-3-order")
    claire_session.assert_no_errors()
    after = claire.execute("webo.sale.service", "webo_purchase_credit")
    (hosting,) = claire.execute("product.product", "search_read", [("name", "=", "Hébergement")],
                                fields=["lst_price"], context={"lang": "fr_FR"})
    assert after["used"] == pytest.approx(before["used"] + hosting["lst_price"])
