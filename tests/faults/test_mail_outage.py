"""The mail server fails: down, deferring (4xx), refusing (5xx), answering
garbage, for longer than the retry period. Every email the product sends
is retried and delivered once, or fails for good with a clear state and an
alert; nothing is lost, nothing is sent twice."""
import collections

from faultkit import emails_of, flush_mail_queue, new_client, overdue, send_invoice, time_passes


def received_ids(smtp, start):
    return collections.Counter(mail.message_id for mail in smtp.received()[start:])


def read_invoice(designer, invoice_id):
    (invoice,) = designer.execute("account.invoice", "read", [invoice_id],
                                  ["webo_state", "webo_email_state", "webo_email_error",
                                   "webo_email_status", "sent", "number"])
    return invoice


def alerts_on(db, invoice_id):
    """The designers' alerts of a failed email on the invoice: (body, notified partner ids)."""
    return db.rows("""
        SELECT m.body, array_agg(n.res_partner_id)
          FROM mail_message m
          JOIN ir_model_data d ON d.model = 'mail.message.subtype' AND d.res_id = m.subtype_id
          LEFT JOIN mail_message_res_partner_needaction_rel n ON n.mail_message_id = m.id
         WHERE d.module = 'webo_sale' AND d.name = 'mt_email_failed'
           AND m.model = 'account.invoice' AND m.res_id = %s
         GROUP BY m.id""", (invoice_id,))


def test_every_email_of_an_outage_is_delivered_once_when_the_server_is_back(
        smtp, fault_db, designer, operator):
    smtp.set_mode("down")
    start = len(smtp.received())
    client_id, _contact, address = new_client(designer)
    sent = send_invoice(designer, client_id, "Refonte du site")
    cancelled = send_invoice(designer, client_id, "Logo")
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [cancelled])
    late = send_invoice(designer, client_id, "Maintenance")
    overdue(fault_db, [late], days_late=35)
    assert designer.execute("account.invoice", "webo_run_reminders") >= 1
    paid = send_invoice(designer, client_id, "Hébergement", amount=200.0)
    designer.execute("account.invoice", "webo_register_payment", [paid], 50.0)
    invoices = [sent, cancelled, credit_note, late, paid]
    expected = emails_of(fault_db, invoices)
    kinds = collections.Counter(subtype for _id, subtype, _state in expected.values())
    assert kinds == {"mt_invoice_sent": 5, "mt_invoice_reminder": 1, "mt_payment_receipt": 1,
                     "mt_payment_received": 1}, kinds

    flush_mail_queue(operator)
    flush_mail_queue(operator)  # too early for a second attempt
    assert received_ids(smtp, start) == {}
    states = fault_db.rows("""
        SELECT mm.state, mm.webo_attempts FROM mail_mail mm JOIN mail_message m ON m.id = mm.mail_message_id
         WHERE m.message_id = ANY(%s)""", (list(expected),))
    assert sorted(set(states)) == [("outgoing", 1)], "each tried once, waiting for the next attempt"
    invoice = read_invoice(designer, sent)
    assert (invoice["webo_state"], invoice["webo_email_state"], invoice["sent"]) == (
        "sending", "pending", False), "not 'sent' while the mail server has not taken it"
    assert "injoignable" in invoice["webo_email_error"]
    assert invoice["webo_email_status"].startswith("Envoi en attente")

    smtp.set_mode("accept")
    time_passes(fault_db)
    flush_mail_queue(operator)
    flush_mail_queue(operator)
    time_passes(fault_db)
    flush_mail_queue(operator)
    received = received_ids(smtp, start)
    assert {message_id: received[message_id] for message_id in expected} == dict.fromkeys(expected, 1), \
        "each email delivered, once"
    assert {state for _id, _subtype, state in emails_of(fault_db, invoices).values()} == {"sent"}
    for invoice_id in (sent, cancelled, credit_note):
        assert read_invoice(designer, invoice_id)["webo_email_state"] == "sent"
    invoice = read_invoice(designer, sent)
    assert (invoice["webo_state"], invoice["sent"], invoice["webo_email_error"]) == ("sent", True, False)
    clients_mail = [mail for mail in smtp.received()[start:] if address in mail.recipients]
    assert len(clients_mail) == 7, "5 invoices and credit note emails, a reminder, a receipt"


def test_a_deferring_server_is_tried_again(smtp, fault_db, designer, operator):
    client_id, _contact, _address = new_client(designer)
    smtp.set_mode("defer")
    start = len(smtp.received())
    invoice_id = send_invoice(designer, client_id)
    flush_mail_queue(operator)
    invoice = read_invoice(designer, invoice_id)
    assert invoice["webo_email_state"] == "pending"
    assert "différé" in invoice["webo_email_error"] and "451" in invoice["webo_email_error"]
    smtp.set_mode("accept")
    time_passes(fault_db)
    flush_mail_queue(operator)
    (message_id,) = emails_of(fault_db, [invoice_id])
    assert received_ids(smtp, start) == {message_id: 1}
    assert read_invoice(designer, invoice_id)["webo_state"] == "sent"


def test_a_server_answering_garbage_is_tried_again(smtp, fault_db, designer, operator):
    client_id, _contact, _address = new_client(designer)
    smtp.set_mode("garbage")
    start = len(smtp.received())
    invoice_id = send_invoice(designer, client_id)
    flush_mail_queue(operator)
    invoice = read_invoice(designer, invoice_id)
    assert invoice["webo_email_state"] == "pending"
    assert "n'est pas du SMTP" in invoice["webo_email_error"]
    smtp.set_mode("accept")
    time_passes(fault_db)
    flush_mail_queue(operator)
    (message_id,) = emails_of(fault_db, [invoice_id])
    assert received_ids(smtp, start) == {message_id: 1}


def test_a_refused_address_fails_at_once_alerts_and_resends_the_same_email(
        smtp, fault_db, designer, operator):
    client_id, contact_id, address = new_client(designer)
    smtp.set_mode("accept", reject={address})
    start = len(smtp.received())
    invoice_id = send_invoice(designer, client_id)
    flush_mail_queue(operator)
    (message_id,) = emails_of(fault_db, [invoice_id])
    assert fault_db.rows("""SELECT mm.state, mm.webo_attempts FROM mail_mail mm
                              JOIN mail_message m ON m.id = mm.mail_message_id
                             WHERE m.message_id = %s""", (message_id,)) == [("exception", 1)], \
        "refused for good at the first answer"
    invoice = read_invoice(designer, invoice_id)
    assert (invoice["webo_state"], invoice["webo_email_state"]) == ("send_failed", "failed")
    assert invoice["webo_email_status"].startswith("Échec d'envoi : le serveur de messagerie l'a refusé")
    assert "550" in invoice["webo_email_status"]
    ((body, notified),) = alerts_on(fault_db, invoice_id)
    claire = fault_db.value("SELECT partner_id FROM res_users WHERE login = 'claire'")
    assert notified == [claire], "in Claire's inbox"
    assert address in body and "Renvoyer" in body
    flush_mail_queue(operator)
    claire_email = fault_db.value("SELECT email FROM res_partner WHERE id = %s", (claire,))
    alert_mail = [mail for mail in smtp.received()[start:] if claire_email in mail.recipients]
    assert len(alert_mail) == 1 and invoice["number"] in alert_mail[0].subject, "and by email"
    service = designer.execute("webo.sale.service", "webo_my_service")
    assert designer.execute("webo.sale.service", "webo_synthesis", [service])["email_failed_count"] >= 1

    designer.execute("res.partner", "write", [contact_id], {"email": "bon-%s" % address})
    assert designer.execute("account.invoice", "webo_retry_emails", [invoice_id]) == 1
    flush_mail_queue(operator)
    resent = [mail for mail in smtp.received()[start:] if mail.message_id == message_id]
    assert len(resent) == 1 and resent[0].recipients == ["bon-%s" % address], \
        "the same email (its Message-Id), to the corrected address"
    invoice = read_invoice(designer, invoice_id)
    assert (invoice["webo_state"], invoice["webo_email_state"]) == ("sent", "sent")


def test_an_invalid_address_fails_at_once(smtp, fault_db, designer, operator):
    client_id, _contact, _address = new_client(designer, email="pas-une-adresse")
    start = len(smtp.received())
    invoice_id = send_invoice(designer, client_id)
    flush_mail_queue(operator)
    invoice = read_invoice(designer, invoice_id)
    assert invoice["webo_email_state"] == "failed"
    assert "pas valide" in invoice["webo_email_error"]
    assert len(alerts_on(fault_db, invoice_id)) == 1
    (message_id,) = emails_of(fault_db, [invoice_id])
    assert message_id not in received_ids(smtp, start)


def test_an_outage_longer_than_the_retry_period_fails_for_good(smtp, fault_db, designer, operator):
    client_id, _contact, address = new_client(designer)
    smtp.set_mode("down")
    start = len(smtp.received())
    invoice_id = send_invoice(designer, client_id)
    flush_mail_queue(operator)
    (message_id,) = emails_of(fault_db, [invoice_id])
    # 48 hours later, the server still down.
    fault_db.rows("""
        UPDATE mail_mail mm SET webo_first_failure = now() at time zone 'UTC' - interval '49 hours'
          FROM mail_message m WHERE m.id = mm.mail_message_id AND m.message_id = %s""", (message_id,))
    time_passes(fault_db)
    flush_mail_queue(operator)
    invoice = read_invoice(designer, invoice_id)
    assert invoice["webo_email_state"] == "failed"
    assert "48 heures" in invoice["webo_email_error"] and "injoignable" in invoice["webo_email_error"]
    assert len(alerts_on(fault_db, invoice_id)) == 1
    # Back, and "Renvoyer": delivered, once.
    smtp.set_mode("accept")
    designer.execute("account.invoice", "webo_retry_emails", [invoice_id])
    flush_mail_queue(operator)
    flush_mail_queue(operator)
    assert [mail.recipients for mail in smtp.received()[start:] if mail.message_id == message_id] == [
        [address]]
    assert read_invoice(designer, invoice_id)["webo_email_state"] == "sent"
