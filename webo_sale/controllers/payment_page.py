"""What the client's payment page shows, read in three SQL queries.

The page is the most visited of the service (every client opens it from the
email or the PDF, often several times) and anonymous: it is read with a few
narrow queries instead of the ORM's whole records (an invoice, its company,
its client, its currency, its payment methods and their translations were
about forty queries), so that it costs no more than Odoo's own login page.
The workspace's card payment is the exception: Odoo's payment form needs
the acquirer's records, read when card payment is switched on.
"""
import logging
import math
import re
from types import SimpleNamespace

import psycopg2

from odoo import fields

from ..models.account_invoice import RECEIVING_BANK_SQL, is_payable, webo_state_of
from ..models.res_company import name_with_ei
from ..tools.epc_qr import epc_qr_data_uri
from ..tools.money import format_money

_logger = logging.getLogger(__name__)

# Link previews (chat apps, social networks, mail clients and their link
# checkers), crawlers and HTTP libraries fetch a link without anybody
# reading it: their visit is not the client's.
PREVIEW_AGENTS = re.compile(
    r"bot\b|crawl|spider|slurp|preview|facebookexternalhit|facebookcatalog|meta-externalagent"
    r"|whatsapp|telegram|skypeuripreview|linkedin|pinterest|embedly|iframely|vkshare|w3c_validator"
    r"|google-pagerenderer|googleimageproxy|yahoomailproxy|ms-office|microsoft office|outlook"
    r"|bitlybot|tumblr|redditbot|mattermost|rocket\.chat|nextcloud|snapchat|viber|line/"
    r"|curl|wget|python-|python/|go-http-client|java/|okhttp|node-fetch|axios|libwww|httpclient"
    r"|headless|phantomjs|lighthouse|barracuda|proofpoint|mimecast|safelinks|symantec",
    re.IGNORECASE)
# Headers of a page fetched ahead of a click (browser prefetch, prerender).
PREFETCH_HEADERS = {"purpose": "prefetch", "sec-purpose": "prefetch", "x-moz": "prefetch",
                    "x-purpose": "preview"}

# The first view, once: the row is skipped rather than waited for when a
# payment or a batch holds it (the next view records it).
FIRST_VIEW_SQL = """
UPDATE account_invoice SET webo_viewed_date = (now() AT TIME ZONE 'UTC')
 WHERE id = (SELECT id FROM account_invoice WHERE id = %s AND webo_viewed_date IS NULL
               FOR NO KEY UPDATE SKIP LOCKED)
"""

INVOICE_SQL = f"""
SELECT inv.id, inv.access_token, inv.number, inv.name, inv.type, inv.state, inv.date_invoice,
       inv.date_due, inv.amount_untaxed, inv.amount_tax, inv.amount_total, inv.residual,
       inv.partner_id, inv.company_id, company.webo_workspace, note.number AS credit_note_number,
       client.name AS client_name, COALESCE(partner.lang, seller.lang) AS lang,
       company.name AS company_name, company.webo_legal_form,
       seller.street, seller.street2, seller.zip, seller.city,
       seller.email, seller.phone, seller.vat, seller.siret,
       currency.symbol, currency.position, currency.rounding, currency.name AS currency_name,
       inv.webo_viewed_date,
       bank.acc_number AS iban, bank_name.bic,
       service.stripe_account_id, inv.webo_subscription_id,
       EXISTS (SELECT 1 FROM payment_transaction tx
                WHERE tx.account_invoice_id = inv.id AND tx.state IN ('pending', 'authorized'))
       OR EXISTS (SELECT 1 FROM webo_stripe_checkout checkout
                   WHERE checkout.invoice_id = inv.id AND checkout.state = 'processing')
           AS pending
  FROM account_invoice inv
  JOIN res_company company ON company.id = inv.company_id
  JOIN res_partner seller ON seller.id = company.partner_id
  JOIN res_partner partner ON partner.id = inv.partner_id
  JOIN res_partner client ON client.id = inv.commercial_partner_id
  JOIN res_currency currency ON currency.id = inv.currency_id
  LEFT JOIN account_invoice note ON note.id = inv.webo_credit_note_id
  LEFT JOIN webo_sale_service service ON service.company_id = inv.company_id
  -- The account the client pays into, as the invoice reads it.
  LEFT JOIN res_partner_bank bank ON bank.id = {RECEIVING_BANK_SQL}
  LEFT JOIN res_bank bank_name ON bank_name.id = bank.bank_id
 WHERE inv.id = %s
"""

LINES_SQL = """
SELECT name, quantity, price_unit, price_subtotal FROM account_invoice_line
 WHERE invoice_id = %s ORDER BY sequence, id
"""

ACQUIRERS_SQL = """
SELECT acquirer.id, acquirer.provider,
       COALESCE((SELECT value FROM ir_translation
                  WHERE name = 'payment.acquirer,name' AND type = 'model' AND lang = %(lang)s
                    AND res_id = acquirer.id AND value != '' ORDER BY id LIMIT 1),
                acquirer.name) AS name
  FROM payment_acquirer acquirer
 WHERE acquirer.company_id = %(company)s AND acquirer.website_published
   AND acquirer.provider IN ('transfer', 'stripe')
 ORDER BY acquirer.sequence, acquirer.id
"""


def read_invoice(env, invoice_id):
    """The page's row of ``invoice_id`` (a dict), or None."""
    env.cr.execute(INVOICE_SQL, [invoice_id])
    return env.cr.dictfetchone()


def page_values(env, row, access_token):
    """The page's values: plain, already formatted in the client's language."""
    lang = env["res.lang"]._lang_get(row["lang"] or "fr_FR")
    lang_env = env(context=dict(env.context, lang=lang.code))
    # The currency as the page read it (what formatLang needs of it).
    currency = SimpleNamespace(symbol=row["symbol"], position=row["position"],
                               decimal_places=max(0, math.ceil(-math.log10(row["rounding"]))))

    def money(amount):
        return format_money(lang_env, amount, currency)

    def day(value):
        return fields.Date.from_string(value).strftime(lang.date_format) if value else ""

    def quantity(value):
        return lang.format("%.0f" if value == int(value) else "%.2f", value, grouping=True)

    # The server's date: the anonymous visitor has no time zone of their own.
    today = fields.Date.today()
    state = webo_state_of(bool(row["credit_note_number"]), row["state"], row["date_due"],
                          row["residual"], row["amount_total"], row["rounding"], today,
                          refund=row["type"] == "out_refund")
    payable = is_payable(row["type"], row["state"], bool(row["credit_note_number"]), row["residual"],
                         row["rounding"])
    env.cr.execute(LINES_SQL, [row["id"]])
    lines = [SimpleNamespace(name=name, quantity=quantity(qty), price_unit=money(price),
                             subtotal=money(subtotal))
             for name, qty, price, subtotal in env.cr.fetchall()]
    env.cr.execute(ACQUIRERS_SQL, {"lang": lang.code, "company": row["company_id"]})
    acquirers = [SimpleNamespace(id=id_, provider=provider, name=name)
                 for id_, provider, name in env.cr.fetchall()] if payable else []
    query = "?access_token=%s" % access_token if access_token else ""
    states = dict(env["account.invoice"]._fields["webo_state"]._description_selection(env))
    return SimpleNamespace(
        id=row["id"], number=row["number"], name=row["name"], is_refund=row["type"] == "out_refund",
        state=state, state_label=states[state], payable=payable, pending=row["pending"],
        date_invoice=day(row["date_invoice"]), date_due=day(row["date_due"]),
        client=row["client_name"], partner_id=row["partner_id"], lines=lines,
        amount_untaxed=money(row["amount_untaxed"]), amount_tax=money(row["amount_tax"]),
        amount_total=money(row["amount_total"]),
        amount_due=money(row["residual"] if state != "credited" else 0.0),
        credit_note_number=row["credit_note_number"],
        company=SimpleNamespace(
            name=name_with_ei(row["company_name"], row["webo_legal_form"]),
            street=row["street"], street2=row["street2"], zip=row["zip"],
            city=row["city"], email=row["email"], phone=row["phone"], vat=row["vat"], siret=row["siret"]),
        transfer=next((a for a in acquirers if a.provider == "transfer"), None) if row["iban"] else None,
        cards=[a for a in acquirers if a.provider == "stripe"],
        stripe_url="/my/invoices/%d/stripe" % row["id"] if payable and row["stripe_account_id"]
        and env["webo.stripe.platform"]._webo_enabled() else None,
        iban=row["iban"], bic=row["bic"],
        epc_qr=epc_qr_data_uri(row["company_name"], row["iban"], row["residual"], row["number"],
                               row["bic"]) if payable and row["currency_name"] == "EUR" else None,
        url="/my/invoices/%d%s" % (row["id"], query),
        pdf_url="/my/invoices/pdf/%d%s" % (row["id"], query),
        prepare_tx_url="/invoice/pay/%d/form_tx/" % row["id"],
        access_token=access_token or "",
        autopay=autopay_values(lang_env, row, query),
    )


def autopay_values(env, row, query):
    """The page's "pay the next invoices automatically" block, on an
    invoice of a running subscription when the workspace takes card and
    SEPA payments (None otherwise): the authorisation's text, and the
    card or bank account charged when the client already chose it."""
    if not (row["webo_subscription_id"] and row["type"] == "out_invoice" and row["stripe_account_id"]
            and env["webo.stripe.platform"]._webo_enabled()):
        return None
    subscription = env["webo.subscription"].sudo().browse(row["webo_subscription_id"])
    if subscription.state != "running":
        return None
    mandate = subscription.webo_mandate_ids.filtered(lambda m: m.state == "active")[:1]
    return SimpleNamespace(
        text=env["webo.stripe.mandate"]._webo_text(subscription),
        method=mandate._webo_method_text() if mandate else None,
        start_url="/my/invoices/%d/autopay" % row["id"],
        revoke_url="/my/invoices/%d/autopay/revoke" % row["id"],
    )


def is_person_reading(httprequest):
    """Whether this request is somebody opening the page: a GET, not a
    prefetch, from a browser rather than a link preview or a crawler."""
    if httprequest.method != "GET":
        return False
    headers = httprequest.headers
    for name, value in PREFETCH_HEADERS.items():
        if value in (headers.get(name) or "").lower():
            return False
    agent = headers.get("User-Agent") or ""
    return bool(agent) and "mozilla/" in agent.lower() and not PREVIEW_AGENTS.search(agent)


def record_first_view(env, row):
    """Record that the client opened the page (once: one conditional
    UPDATE, only while the date is not set)."""
    if row["webo_viewed_date"]:
        return
    try:
        with env.cr.savepoint():
            env.cr.execute(FIRST_VIEW_SQL, [row["id"]])
    except psycopg2.errors.SerializationFailure:
        # Changed by a transaction that committed after this request began:
        # the next view records it.
        _logger.info("first view of invoice %s not recorded (changed meanwhile)", row["id"])
