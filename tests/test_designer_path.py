"""The seed's whole path, as a new designer, in Chromium, on a desktop and on
a phone: opening the sales service, the Synthèse, a client account, the
invoice wizard and its two previews, sending, resending, the client's page
from the email's link, the credit note, the subscription's actions from the
client's tab, a deferred purchase.

Every step is screenshotted at both widths (test-output/screenshots/
path-<width>-NN-<step>.png) and fails on a console error, on an English
word of the web client in webo's screens, on an ISO date, on a "Server
Error" window; on the phone (390 x 844) also on a horizontal scroll and on
a main column or action button out of the screen."""
import datetime
import re
import uuid
from urllib.parse import urlsplit

import pytest
from conftest import french_identifiers
from playwright.sync_api import expect
from test_browser import FIRST_LOAD_MS, TIMEOUT_MS, BrowserSession, browser, fill_invoice_line, form_input  # noqa: F401
from test_invoicing_api import local_url

VIEWPORTS = {
    "desktop": {"width": 1366, "height": 800},
    "phone": {"width": 390, "height": 844},
}
# Words of the web client's English that have another word in French: one
# of them on a webo screen is an untranslated term. (Words French shares
# with English, "Date", "Total", "Actions", "Documents", are left out.)
ENGLISH = re.compile(
    r"\b(the|and|of|your|you|with|Save|Discard|Create|Edit|Delete|Invoices?|Customers?|Payments?|"
    r"Draft|Sent|Paid|Due|Amount|Subscriptions?|Settings|Name|Search|Filters|Group By|Favorites|"
    r"Print|Followers|Follow|Send|Log note|Today|Add an item|Select|Upload|Next|Previous|Close|"
    r"Stop|Duplicate|Modify|Resend|Street|City|Country|Phone|Company|Address|Label|Quantity|Price|"
    r"Back|Error|Warning|Loading|Unpaid|Late|Confirm|Cancel|Purchases?|Sales|Orders?|"
    r"Bytes|Your logo|Not Found|Server Error)\b")
# How Odoo's web client logs a refusal's answer (a UserError, a ValidationError).
REFUSAL_LOGGED = re.compile(
    r'^console: Server application error .*"exception_type":"(user_error|validation_error)"')
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# What the designer reads: the web client (top bar, side menu, action) and
# its windows. The "Plus" menu of Odoo and the chat windows are not webo's.
VISIBLE_TEXT_JS = """() => {
    const parts = [];
    for (const node of document.querySelectorAll('.o_web_client > .o_main, #oe_main_menu_navbar, .modal')) {
        if (node.offsetParent !== null || getComputedStyle(node).position === 'fixed') {
            parts.push(node.innerText);
        }
    }
    return parts.join('\\n');
}"""
# A horizontal scroll, of the page or of a scrolling part of it.
OVERFLOW_JS = """() => {
    const width = window.innerWidth, found = [];
    if (document.documentElement.scrollWidth > width + 1) {
        // the innermost of what reaches past the screen, to name the culprit
        const past = [...document.querySelectorAll('body *')].filter(
            node => node.offsetParent !== null && node.getBoundingClientRect().right > width + 1);
        const innermost = past.filter(node => !past.some(other => other !== node && node.contains(other)));
        found.push('the page is ' + document.documentElement.scrollWidth + ' px wide ('
                   + innermost.slice(0, 6).map(node => node.tagName + '.' + String(node.className)
                   .split(' ').join('.')).join(', ') + ')');
    }
    for (const node of document.querySelectorAll('body *')) {
        if (node.offsetParent === null) continue;
        const style = getComputedStyle(node);
        const scrolls = ['auto', 'scroll'].includes(style.overflowX);
        if (scrolls && node.scrollWidth > node.clientWidth + 1) {
            // the widest of what it holds, to name the culprit
            const right = node.getBoundingClientRect().left + node.clientWidth;
            const wide = [...node.querySelectorAll('*')].filter(
                child => child.getBoundingClientRect().right > right + 1 && child.offsetParent !== null)
                .map(child => child.tagName + '.' + String(child.className).split(' ').join('.'));
            found.push((node.className || node.tagName) + ' scrolls: ' + node.scrollWidth + ' > '
                       + node.clientWidth + ' (' + wide.slice(0, 6).join(', ') + ')');
        }
    }
    return found;
}"""
# The current app's side menu: each screen's label, the label of the folded
# menu holding it (null at the first level), its action's id.
SIDE_MENU_JS = """() => {
    const menu = [...document.querySelectorAll('.o_sub_menu .oe_secondary_menu')]
        .find(node => node.style.display !== 'none');
    return [...menu.querySelectorAll('a.oe_menu_leaf')].map(leaf => {
        const folded = leaf.closest('ul.oe_secondary_submenu ul');
        const toggler = folded && folded.previousElementSibling;
        return [leaf.querySelector('.oe_menu_text').textContent.trim(),
                toggler ? toggler.querySelector('.oe_menu_text').textContent.trim() : null,
                leaf.dataset.actionId];
    });
}"""
OPENING = {
    "street": "12 rue Crébillon", "zip": "44000", "city": "Nantes", "first_name": "Lucie",
    "last_name": "Bernard", "email": "lucie@example.org", "phone": "+33 6 12 34 56 78",
    "birth_date": "14/05/1990",
}
CLIENT = {"name": "Librairie Les Mots Bleus", "street": "3 rue de la Fosse", "zip": "44000", "city": "Nantes"}


class PathWalk:
    """The designer's browser at one width, and the checks of every step."""

    def __init__(self, session, width):
        self.session = session
        self.page = session.page
        self.width = width
        self.phone = width == "phone"
        self.steps = 0

    def step(self, name, in_view=()):
        """Screenshot the step, then fail on anything a designer should not
        see; ``in_view``: locators that must be on the screen (phone)."""
        self.steps += 1
        expect(self.page.locator(".o_loading")).to_be_hidden()
        self.page.mouse.move(0, 0)  # no tooltip over the screen
        self.page.wait_for_timeout(300)  # the step's last rendering
        self.session.screenshot("%02d-%s" % (self.steps, name))
        self.session.assert_no_errors()
        text = self.page.evaluate(VISIBLE_TEXT_JS)
        assert "Server Error" not in text and "Erreur du serveur" not in text, "%s: %s" % (name, text)
        english = sorted(set(ENGLISH.findall(text)))
        assert not english, "%s: English words on the screen: %s\n%s" % (name, english, text)
        assert not ISO_DATE.search(text), "%s: an ISO date on the screen:\n%s" % (name, text)
        if self.phone:
            self.assert_fits(name, in_view)

    def assert_fits(self, name, in_view):
        overflow = self.page.evaluate(OVERFLOW_JS)
        assert not overflow, "%s at %d px: %s" % (name, VIEWPORTS["phone"]["width"], overflow)
        for locator in in_view:
            expect(locator).to_be_visible()
            box = locator.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS["phone"]["width"] + 1, \
                "%s: %s is off the screen (%s)" % (name, locator, box)

    def top_menu(self):
        """The top bar's app menu, opened on a phone (its menu button)."""
        if self.phone:
            toggle = self.page.locator("#oe_main_menu_navbar .navbar-toggle")
            if toggle.get_attribute("aria-expanded") != "true":
                toggle.click()
            collapse = self.page.locator("#oe_main_menu_navbar .navbar-collapse")
            expect(collapse).to_have_class(re.compile(r"\bin\b"))
        return self.page.locator("#oe_main_menu_navbar .oe_application_menu_placeholder")

    def menu(self, label, breadcrumb=None, section=None):
        """A menu of Gestion commerciale's side menu (on a phone, in the
        opened menu, which closes once it is chosen); ``section``: the
        folded menu that holds it, unfolded first."""
        self.top_menu()
        side = self.page.locator(".o_sub_menu .oe_secondary_menu:visible")
        link = side.get_by_role("link", name=label, exact=True)
        if section and not link.is_visible():
            side.locator("a.oe_menu_toggler", has_text=section).click()
        link.click()
        expect(self.page.locator(".o_sub_menu")).to_be_visible(visible=not self.phone)
        if breadcrumb:
            expect(self.page.locator(".breadcrumb .active")).to_have_text(breadcrumb)

    def modal(self):
        return self.page.locator(".modal-dialog:visible").last

    def warning(self, contains):
        """The French warning of a refusal the step provokes: titled
        "Attention". Odoo's client logs the refusal's answer as a console
        error: that one, and only that one, is expected."""
        dialog = self.page.locator(".modal-dialog:visible", has_text=contains)
        expect(dialog.locator(".modal-title")).to_have_text("Attention")
        refusals = [error for error in self.session.errors if REFUSAL_LOGGED.search(error)]
        assert len(refusals) == 1, self.session.errors
        self.session.errors.remove(refusals[0])
        return dialog


@pytest.fixture(params=sorted(VIEWPORTS))
def walk(request, browser, odoo_url, output_dir, new_designer):  # noqa: F811
    """A new designer (workspace not open) logged in at the width, in French."""
    designer, company = new_designer("Atelier Parcours", identified=False)
    (user,) = designer.execute("res.users", "read", [designer.uid], ["login"])
    screenshots = output_dir / "screenshots"
    screenshots.mkdir(exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    session = BrowserSession(context.new_page(), screenshots, "path-%s" % request.param)
    session.listen()
    page = session.page
    page.goto(odoo_url + "/web/login")
    page.fill("input[name=login]", user["login"])
    page.fill("input[name=password]", user["login"])
    page.click("button[type=submit]")
    expect(page.locator(".o_main_content .o_content > *").first).to_be_visible(timeout=FIRST_LOAD_MS)
    path = PathWalk(session, request.param)
    path.designer, path.company, path.context = designer, company, context
    yield path
    session.screenshot("zz-last")  # where the walk ended, passed or not
    context.close()


def test_a_new_designer_walks_the_seed(walk, odoo_url, repo_dir, outbox):
    page = walk.page
    phone = walk.phone
    (company,) = walk.designer.execute("res.company", "read", [walk.company], ["name"])
    workspace = company["name"]
    siret, _vat = french_identifiers(uuid.uuid4().hex)

    # 1. Landing: the presentation of the sales service (its Synthèse once
    # open); the top bar holds Gestion commerciale alone.
    expect(page.get_by_text("Votre outil de facturation")).to_be_visible()
    apps = walk.top_menu()
    expect(apps.locator("> li:visible > a")).to_have_text(["Gestion commerciale"])
    walk.step("landing-menu" if phone else "landing", in_view=[apps.get_by_text("Gestion commerciale")])
    if phone:
        page.locator("#oe_main_menu_navbar .navbar-toggle").click()
    opening = page.get_by_role("button", name="Ouvrir mon service de vente")
    walk.step("presentation", in_view=[opening])
    opening.click()

    # 2. Step 1, with a SIRET refused first (a warning, not a crash).
    expect(page.get_by_text("Étape 1 : vos informations")).to_be_visible()
    for name, value in dict(OPENING, company_name=workspace, siret="123 456").items():
        form_input(page, name).fill(value)
    page.locator(".o_form_view select[name=legal_form]").select_option(label="Micro-entreprise")
    page.locator(".o_form_view select[name=vat_regime]").select_option(
        label="Franchise en base de TVA (art. 293 B du CGI)")
    page.get_by_role("button", name="Enregistrer").click()
    refusal = walk.warning("SIRET")
    walk.step("step-1-refused", in_view=[refusal.get_by_role("button", name="Ok")])
    refusal.get_by_role("button", name="Ok").click()
    form_input(page, "siret").fill(siret)
    save = page.get_by_role("button", name="Enregistrer")
    walk.step("step-1", in_view=[save])
    save.click()

    # 3. Step 2: the documents and the IBAN.
    expect(page.get_by_text("Étape 2 : vos documents")).to_be_visible()
    specimen = str(repo_dir / "webo_sale/demo/files/specimen_rib.pdf")
    for name in ("identity_file", "address_file", "registration_file", "bank_file"):
        page.locator(".o_form_view [name=%s] input[type=file]" % name).set_input_files(specimen)
        expect(form_input(page, name)).to_have_value(re.compile(r"\.pdf$"))
    form_input(page, "iban").fill("FR76 3000 6000 0112 3456 7890 189")
    submit = page.get_by_role("button", name="Transmettre les documents")
    walk.step("step-2", in_view=[submit])
    submit.click()

    # 4. The Synthèse and its welcome window.
    welcome = walk.modal()
    expect(welcome.locator(".modal-title")).to_have_text("Bienvenue dans votre espace de facturation")
    expect(page.locator(".breadcrumb .active")).to_have_text("Synthèse")
    go = welcome.get_by_role("button", name="C'est parti")
    walk.step("synthese-welcome", in_view=[go])
    go.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    expect(page.locator(".o_form_view [name=purchase_ceiling]")).to_contain_text("300,00")
    walk.step("synthese", in_view=[page.locator(".o_form_view [name=purchase_ceiling]")])

    # 5. "Créer un compte client": France by default, "Enregistrer".
    walk.menu("Comptes Clients", "Comptes Clients")
    page.get_by_role("button", name="Créer un compte client").click()
    for name, value in CLIENT.items():
        form_input(page, name).fill(value)
    expect(form_input(page, "country_id")).to_have_value("France")
    form = page.locator(".o_form_view")
    form.locator(".o_field_one2many[name=child_ids] .o_field_x2many_list_row_add a").click()
    contact = form.locator(".o_field_one2many[name=child_ids] tr.o_selected_row")
    contact.locator("[name=name] input, input[name=name]").first.fill("Anne Leroux")
    client_email = "anne.%s@example.org" % uuid.uuid4().hex[:8]
    contact.locator("[name=email] input, input[name=email]").first.fill(client_email)
    save = page.locator(".o_form_button_save")
    expect(save).to_have_text("Enregistrer")
    walk.step("client-new", in_view=[save])
    save.click()
    expect(page.locator(".o_form_view.o_form_readonly")).to_be_visible()
    # "44000 Nantes", not "44000Nantes": a space between the two.
    zip_box = form.locator(".o_address_format .o_address_zip").bounding_box()
    city_box = form.locator(".o_address_format .o_address_city").bounding_box()
    assert city_box["x"] - (zip_box["x"] + zip_box["width"]) >= 3, (zip_box, city_box)
    walk.step("client", in_view=[page.locator(".o_form_button_edit")])
    walk.menu("Comptes Clients", "Comptes Clients")
    header = page.locator(".o_list_view thead th", has_text="Nom")
    row = page.locator(".o_list_view tr.o_data_row", has_text=CLIENT["name"])
    walk.step("clients", in_view=[header, row.locator("td").nth(1)])

    # 6. "Créer une facture": details (the due date comes filled in, 30
    # days on), a monthly recurrence, the invoice preview, the email preview.
    walk.menu("Factures", "Factures")
    page.locator(".o_list_button_add").click()
    modal = walk.modal()
    title = modal.locator(":scope > .modal-content > .modal-header .modal-title")
    expect(title).to_have_text("Créer une facture")
    due = (datetime.date.today() + datetime.timedelta(days=30)).strftime("%d/%m/%Y")
    expect(modal.locator(".o_field_widget[name=date_due] input")).to_have_value(due)
    modal.locator(".o_field_widget[name=name]").fill("Maintenance du site")
    modal.locator(".o_field_widget[name=partner_id] input").fill("Librairie Les Mots")
    page.locator(".ui-autocomplete:visible li a", has_text=CLIENT["name"]).first.click()
    modal.locator(".o_field_widget[name=recurrence]").get_by_text("Mensuelle").click()
    modal.locator(".o_field_x2many_list_row_add a").click()
    fill_invoice_line(modal.locator("tr.o_selected_row"), "Maintenance mensuelle", "90")
    next_button = modal.get_by_role("button", name="Suivant")
    walk.step("invoice-details",
              in_view=[next_button, modal.get_by_role("button", name="Enregistrer en brouillon")])
    next_button.click()
    preview = modal.locator(".o_field_widget[name=preview_html]")
    expect(preview).to_contain_text(CLIENT["name"])
    expect(preview).to_contain_text("TVA non applicable, art. 293 B du CGI")
    walk.step("invoice-preview", in_view=[next_button])
    next_button.click()
    subject = modal.locator(".o_field_widget[name=email_subject]")
    expect(subject).to_have_value(re.compile(r"^Facture \S+ – "))
    previewed_link = modal.locator(".o_field_widget[name=email_body] a[href*='/my/invoices/']").first
    expect(previewed_link).to_be_attached()
    previewed_url = previewed_link.get_attribute("href")
    send = modal.get_by_role("button", name="Envoyer la facture")
    walk.step("email-preview", in_view=[send])
    number = subject.input_value().split()[1]

    # 7. Sent: the invoice's page; the email carries the link previewed.
    send.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0, timeout=FIRST_LOAD_MS)
    expect(page.locator(".o_form_view .o_field_widget[name=number]")).to_have_text(number)
    (mail,) = [mail for mail in outbox.collect() if client_email in mail.recipients]
    sent_url = re.search(r'href="([^"]*/my/invoices/[^"]*)"', mail.body()).group(1).replace("&amp;", "&")
    assert urlsplit(sent_url)[2:4] == urlsplit(previewed_url)[2:4], (previewed_url, sent_url)
    page.reload()
    expect(page.locator(".o_statusbar_status .btn-primary")).to_have_text("Envoyée", timeout=FIRST_LOAD_MS)
    payment_page = page.get_by_role("button", name="Ouvrir la page de paiement")
    walk.step("invoice-sent", in_view=[payment_page, page.get_by_role("button", name="Renvoyer par mail"),
                                       page.locator(".o_form_view .o_field_widget[name=number]")])
    walk.menu("Factures", "Factures")
    row = page.locator(".o_list_view tr.o_data_row", has_text=number)
    walk.step("invoices", in_view=[row.locator("td").nth(1), row.get_by_text("Envoyée").first])

    # 8. "Renvoyer par mail".
    row.locator("td").nth(1).click()
    page.get_by_role("button", name="Renvoyer par mail").click()
    resend = walk.modal().get_by_role("button", name="Renvoyer la facture")
    walk.step("resend", in_view=[resend])
    resend.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    assert [mail for mail in outbox.collect() if client_email in mail.recipients], "no email resent"

    # 9. The client's page, from the email's link; a wrong link's French 404.
    client = walk.context.browser.new_context(viewport=VIEWPORTS[walk.width], locale="fr-FR")
    try:
        anonymous = BrowserSession(client.new_page(), walk.session.screenshots, walk.session.name + "-client")
        anonymous.listen()
        visitor = PathWalk(anonymous, walk.width)
        visitor.steps = walk.steps
        anonymous.page.goto(local_url(odoo_url, sent_url))
        expect(anonymous.page.locator(".o_webo_invoice_title")).to_contain_text(number)
        expect(anonymous.page.locator(".o_webo_amount_due")).to_contain_text("90,00")
        visitor.step("client-payment-page", in_view=[anonymous.page.locator(".o_webo_amount_due")])
        assert_french_page(anonymous.page, "payment page")
        anonymous.page.goto(local_url(odoo_url, sent_url.replace("access_token=", "access_token=x")))
        expect(anonymous.page.locator("h2")).to_have_text("Page introuvable")
        # Chromium logs the page's own 404 status: expected here, and only here.
        (status,) = [error for error in anonymous.errors if "status of 404" in error]
        anonymous.errors.remove(status)
        visitor.step("client-wrong-link")
        assert_french_page(anonymous.page, "404")
        walk.steps = visitor.steps
    finally:
        client.close()

    # 10. "Annuler la facture": the credit note.
    page.get_by_role("button", name="Annuler la facture").click()
    modal = walk.modal()
    modal.locator(".o_field_widget[name=confirm] input").check()
    modal.get_by_role("button", name="Suivant").click()
    create_note = modal.get_by_role("button", name="Créer l'avoir")
    walk.step("credit-note", in_view=[create_note])
    create_note.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0, timeout=FIRST_LOAD_MS)
    outbox.collect()
    page.reload()
    expect(page.locator(".o_form_view")).to_contain_text("Annulée par avoir", timeout=FIRST_LOAD_MS)
    walk.step("invoice-credited")

    # 11. The client's Abonnements tab: tick, then Modifier, Dupliquer, Arrêter.
    walk.menu("Comptes Clients", "Comptes Clients")
    page.locator(".o_list_view tr.o_data_row", has_text=CLIENT["name"]).locator("td").nth(1).click()
    page.locator(".o_notebook .nav-tabs a", has_text="Abonnements").click()
    tab = page.locator(".o_field_one2many[name=webo_subscription_ids]")

    def tick(label):
        tab.locator("tr.o_data_row", has_text=label).locator(".o_list_record_selector input").check()
        return tab.locator(".o_webo_subscription_actions")

    actions = tick("Maintenance du site")
    walk.step("subscriptions-ticked", in_view=[actions.get_by_role("button", name="Modifier"),
                                               actions.get_by_role("button", name="Arrêter")])
    actions.get_by_role("button", name="Modifier").click()
    modal = walk.modal()
    modal.locator("tr.o_data_row td").nth(2).click()
    modal.locator("[name=price_unit] input, input[name=price_unit]").first.fill("95")
    apply = modal.get_by_role("button", name="Enregistrer")
    walk.step("subscription-modify", in_view=[apply])
    apply.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    expect(tab.locator("tr.o_data_row", has_text="Maintenance du site")).to_contain_text("95,00")

    actions = tick("Maintenance du site")
    actions.get_by_role("button", name="Dupliquer").click()
    modal = walk.modal()
    expect(modal.locator(".o_field_widget[name=name]")).to_have_value(
        re.compile(r"Maintenance du site \(.+\)"))
    duplicate_name = modal.locator(".o_field_widget[name=name]").input_value()
    modal.locator(".modal-title").click()  # the start date's calendar, opened on focus, closes
    confirm = modal.get_by_role("button", name="Dupliquer")
    walk.step("subscription-duplicate", in_view=[confirm])
    confirm.click()
    # The new subscription opens; back to the client by the breadcrumb.
    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    expect(page.locator(".breadcrumb .active")).to_have_text(duplicate_name)
    walk.step("subscription-duplicated")
    page.locator(".breadcrumb a", has_text=CLIENT["name"]).click()
    page.locator(".o_notebook .nav-tabs a", has_text="Abonnements").click()
    expect(tab.locator("tr.o_data_row", has_text=duplicate_name)).to_be_visible()

    actions = tick(duplicate_name)
    actions.get_by_role("button", name="Arrêter").click()
    modal = walk.modal()
    expect(modal).to_contain_text("Plus aucune facture ne sera émise")
    stop = modal.get_by_role("button", name="Arrêter")
    walk.step("subscription-stop-confirm", in_view=[stop])
    stop.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    page.locator(".o_notebook .nav-tabs a", has_text="Abonnements").click()
    expect(tab.locator("tr.o_data_row", has_text=duplicate_name)).to_contain_text("Arrêté")
    walk.step("subscriptions")

    # 12. A deferred purchase: the checkout.
    walk.menu("Nouvelle commande")
    modal = walk.modal()
    expect(modal.locator(".modal-title")).to_have_text("Récapitulatif de paiement")
    modal.locator(".o_field_x2many_list_row_add a").click()
    modal.locator("tr.o_selected_row .o_field_widget[name=product_id] input").fill("Hébergement")
    page.locator(".ui-autocomplete:visible li a", has_text="Hébergement").first.click()
    expect(modal.locator(".o_field_widget[name=amount_total]")).not_to_have_text(re.compile(r"^0,00"))
    modal.get_by_text("Paiement différé", exact=True).click()
    modal.locator(".o_field_widget[name=accept_terms] input").check()
    confirm = modal.get_by_role("button", name="Confirmer la commande")
    walk.step("checkout", in_view=[confirm])
    confirm.click()
    pay = walk.modal().get_by_role("button", name="Procéder au paiement")
    walk.step("checkout-confirm", in_view=[pay])
    pay.click()
    expect(page.locator(".modal-dialog:visible")).to_have_count(0)
    expect(page.locator(".o_form_view")).to_be_visible()
    walk.step("purchase")

    # 13. Back to the Synthèse: the month's sales.
    walk.menu("Synthèse", "Synthèse")
    expect(page.locator(".o_form_view .o_webo_chart svg")).to_be_attached()
    walk.step("synthese-after", in_view=[page.locator(".o_form_view [name=purchase_ceiling]")])

    # 14. Every other screen of the side menu, as read from the menu itself
    # (a menu added later is walked without editing this test).
    walked = {"Synthèse", "Comptes Clients", "Factures", "Nouvelle commande"}
    others = [entry for entry in page.evaluate(SIDE_MENU_JS) if entry[0] not in walked]
    assert len(others) >= 4, others  # Abonnements, relevés, configuration, achats at least
    actions = walk.designer.execute("ir.actions.act_window", "read",
                                    [int(action) for _label, _section, action in others], ["target"])
    targets = {str(action["id"]): action["target"] for action in actions}
    for label, section, action in others:
        walk.menu(label, section=section)
        if targets[action] == "new":  # a window: an import
            dialog = walk.modal()
            expect(dialog.locator(".modal-footer .btn").first).to_be_visible()
            walk.step("menu-" + slug(label), in_view=[dialog.locator(".modal-footer .btn").first])
            dialog.locator(".modal-header .close").click()
            expect(page.locator(".modal-dialog:visible")).to_have_count(0)
        else:
            expect(page).to_have_url(re.compile(r"[#&]action=%s(&|$)" % action))
            walk.step("menu-" + slug(label), in_view=[page.locator(".breadcrumb .active")])


def slug(label):
    return re.sub(r"\W+", "-", label.lower()).strip("-")


def assert_french_page(page, name):
    """The client's pages: French, in the site's frame, nothing in English."""
    text = page.locator("body").inner_text()
    english = sorted(set(ENGLISH.findall(text)))
    assert not english, "%s: English words: %s\n%s" % (name, english, text)
    assert page.locator("html").get_attribute("lang") in ("fr-FR", "fr_FR", "fr"), name
