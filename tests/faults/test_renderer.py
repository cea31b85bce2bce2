"""wkhtmltopdf fails, hangs or prints an empty file while invoices are
issued: no invoice keeps a number without its stored legal PDF, the
numbering stays gapless, the designer reads why in French, and the
monthly run leaves that subscription for the next run and goes on."""
import datetime
import re
import xmlrpc.client

import pytest
from faultkit import assert_gapless, new_client, numbering, tag

MODES = ("fail", "hang", "empty")


def stored_pdfs(db, invoice_id):
    return db.rows("SELECT file_size FROM ir_attachment WHERE res_model = 'account.invoice' "
                   "AND res_id = %s AND mimetype = 'application/pdf'", (invoice_id,))


@pytest.mark.parametrize("mode", MODES)
def test_envoyer_la_facture_is_refused_in_french_and_issues_nothing(mode, pdf, fault_db, designer):
    client_id, _contact, _address = new_client(designer)
    label = "Rendu %s %s" % (mode, tag())
    today = datetime.date.today()
    wizard_id = designer.execute("webo.invoice.wizard", "create", {
        "name": label, "partner_id": client_id, "date_invoice": today.isoformat(),
        "date_due": (today + datetime.timedelta(days=30)).isoformat(),
        "line_ids": [(0, 0, {"name": "Intégration", "quantity": 1, "price_unit": 480.0})]})
    before = numbering(fault_db)
    mails = fault_db.value("SELECT count(*) FROM mail_mail")
    pdf.set(mode)
    with pytest.raises(xmlrpc.client.Fault) as refusal:
        designer.execute("webo.invoice.wizard", "action_send", [wizard_id])
    message = refusal.value.faultString
    assert "n'a pas pu être produit" in message and "rien n'a été émis" in message, message
    # The renderer's reason too, in French (the runtime's renderer has no
    # translations: webo_sale words its failure).
    assert re.search(r"Raison : wkhtmltopdf (n'a|a produit)", message), message
    assert "Traceback" not in message
    assert not designer.execute("account.invoice", "search", [("name", "=", label)])
    assert numbering(fault_db) == before, "no number taken"
    assert fault_db.value("SELECT count(*) FROM mail_mail") == mails, "no email"

    # The renderer works again: the same wizard sends the invoice, once.
    pdf.set("ok")
    invoice_id = designer.execute("webo.invoice.wizard", "action_send", [wizard_id])["res_id"]
    (invoice,) = designer.execute("account.invoice", "read", [invoice_id], ["number", "state"])
    assert invoice["state"] == "open"
    assert_gapless(fault_db)
    ((size,),) = stored_pdfs(fault_db, invoice_id)
    assert size > 1000, "its legal PDF stored"
    with pytest.raises(xmlrpc.client.Fault, match="déjà été envoyée"):
        designer.execute("webo.invoice.wizard", "action_send", [wizard_id])


@pytest.mark.parametrize("mode", MODES)
def test_monthly_run_leaves_the_failing_subscription_for_the_next_run(
        mode, pdf, fault_db, designer, operator):
    client_id, _contact, _address = new_client(designer)
    today = datetime.date.today().isoformat()
    marker = "PANNEPDF%s" % tag()

    def subscription(name):
        return designer.execute("webo.subscription", "webo_create", {
            "name": name, "partner_id": client_id, "date_start": today,
            "line_ids": [(0, 0, {"name": name, "quantity": 1, "price_unit": 30.0})]})

    first, poisoned, last = subscription("Hébergement"), subscription(marker), subscription("Maintenance")
    pdf.set(mode, marker=marker)
    operator.execute("webo.subscription", "webo_run", date=today)

    def invoices_of(subscription_id):
        return fault_db.rows("SELECT id FROM account_invoice WHERE webo_subscription_id = %s",
                             (subscription_id,))

    assert not invoices_of(poisoned), "no number without its PDF"
    (state,) = designer.execute("webo.subscription", "read", [poisoned], ["next_period"])
    assert state["next_period"] == 1, "left for the next run"
    body, notified = fault_db.rows("""
        SELECT m.body, array_agg(n.res_partner_id) FROM mail_message m
          LEFT JOIN mail_message_res_partner_needaction_rel n ON n.mail_message_id = m.id
         WHERE m.model = 'webo.subscription' AND m.res_id = %s GROUP BY m.id ORDER BY m.id DESC
         LIMIT 1""", (poisoned,))[0]
    assert "n'a pas pu être éditée" in body and "PDF" in body, body
    claire = fault_db.value("SELECT partner_id FROM res_users WHERE login = 'claire'")
    assert claire in notified, "the designer is told"
    for subscription_id in (first, last):
        ((invoice_id,),) = invoices_of(subscription_id)
        assert stored_pdfs(fault_db, invoice_id), "the others are issued with their PDF"
        assert fault_db.value("SELECT count(*) FROM mail_mail mm JOIN mail_message m "
                              "ON m.id = mm.mail_message_id WHERE m.model = 'account.invoice' "
                              "AND m.res_id = %s", (invoice_id,)) == 1
    assert_gapless(fault_db)

    pdf.set("ok")
    operator.execute("webo.subscription", "webo_run", date=today)
    ((invoice_id,),) = invoices_of(poisoned)
    assert stored_pdfs(fault_db, invoice_id)
    assert_gapless(fault_db)
