"""An Odoo prefork worker killed (SIGKILL) in the middle of "Envoyer la
facture", of a payment and of a deferred purchase: its transaction is
rolled back, nothing is half-written, and the caller's retry succeeds once.

Each request is held at a known point of its transaction (the PDF being
printed, a table the end of the operation writes locked by the test), its
worker found from its database connection, and only that process killed.
"""
import datetime
import os
import signal

import psutil
import psycopg2
from faultkit import (
    assert_gapless,
    busy_worker,
    in_background,
    new_client,
    numbering,
    send_invoice,
    tag,
    wait_for,
)

WORKERS = 2


def kill(server, pid):
    """SIGKILL one of the server's own processes."""
    assert pid in [child.pid for child in psutil.Process(server.process.pid).children(recursive=True)], \
        "only a worker of the test's server is killed"
    os.kill(pid, signal.SIGKILL)


def held_backend(db):
    """The database backend of the request waiting on the test's lock."""
    return wait_for(lambda: db.value(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        (db.name,)), what="the request waiting in the middle of its transaction")


def gone(db, backend_pid):
    wait_for(lambda: not db.rows("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)),
             what="the killed worker's transaction ended")


def lock_table(db, table):
    """A connection holding ``table`` so that nobody writes it until released."""
    connection = psycopg2.connect(db.cluster.dsn(db.name))
    connection.cursor().execute('LOCK TABLE "%s" IN EXCLUSIVE MODE' % table)
    return connection


def test_envoyer_la_facture_killed_while_printing(fault_server, fault_db, pdf, designer):
    client_id, _contact, _address = new_client(designer)
    label = "Interrompue %s" % tag()
    today = datetime.date.today()
    wizard_id = designer.execute("webo.invoice.wizard", "create", {
        "name": label, "partner_id": client_id, "date_invoice": today.isoformat(),
        "date_due": (today + datetime.timedelta(days=30)).isoformat(),
        "line_ids": [(0, 0, {"name": "Intégration", "quantity": 1, "price_unit": 640.0})]})
    before = numbering(fault_db)
    pdf.set("block")
    thread, outcome = in_background(designer.execute, "webo.invoice.wizard", "action_send", [wizard_id])
    wrapper = psutil.Process(pdf.blocked_pid())
    # The invoice has its number in the worker's transaction; its PDF is
    # being printed by the worker's wkhtmltopdf.
    kill(fault_server, wrapper.ppid())
    wrapper.kill()
    thread.join(120)
    assert "error" in outcome, "the caller's request fails"
    pdf.set("ok")
    wait_for(lambda: not fault_db.rows("SELECT 1 FROM pg_stat_activity WHERE datname = %s "
                                       "AND state = 'idle in transaction'", (fault_db.name,)),
             what="the killed worker's transaction ended")
    assert not fault_db.rows("SELECT id FROM account_invoice WHERE name = %s", (label,))
    assert numbering(fault_db) == before, "its number taken back"
    assert fault_db.rows("SELECT state, invoice_id FROM webo_invoice_wizard WHERE id = %s",
                         (wizard_id,)) == [("details", None)]

    invoice_id = designer.execute("webo.invoice.wizard", "action_send", [wizard_id])["res_id"]
    assert fault_db.rows("SELECT id FROM account_invoice WHERE name = %s", (label,)) == [(invoice_id,)]
    assert_gapless(fault_db)
    assert fault_db.value("SELECT count(*) FROM mail_mail mm JOIN mail_message m "
                          "ON m.id = mm.mail_message_id WHERE m.model = 'account.invoice' "
                          "AND m.res_id = %s", (invoice_id,)) == 1


def test_a_payment_killed_before_its_end_leaves_nothing(fault_server, fault_db, designer):
    client_id, _contact, _address = new_client(designer)
    invoice_id = send_invoice(designer, client_id, "Refonte", amount=300.0)
    key = "cheque-%s" % tag()
    # The payment, its journal entry and reconciliation written, the
    # designer's alert and the client's receipt are held.
    blocker = lock_table(fault_db, "mail_mail")
    thread, outcome = in_background(designer.execute, "account.invoice", "webo_register_payment",
                                    [invoice_id], 100.0, idempotency_key=key)
    backend = held_backend(fault_db)
    kill(fault_server, busy_worker(fault_server))
    thread.join(120)
    assert "error" in outcome
    blocker.rollback()
    blocker.close()
    gone(fault_db, backend)
    assert not fault_db.rows("SELECT id FROM account_payment WHERE webo_idempotency_key = %s", (key,))
    assert fault_db.rows("SELECT state, residual FROM account_invoice WHERE id = %s",
                         (invoice_id,)) == [("open", 300.0)]
    assert not fault_db.rows("""SELECT m.id FROM mail_message m JOIN ir_model_data d
                                  ON d.model = 'mail.message.subtype' AND d.res_id = m.subtype_id
                                 WHERE m.model = 'account.invoice' AND m.res_id = %s
                                   AND d.name IN ('mt_payment_received', 'mt_payment_receipt')""",
                             (invoice_id,)), "no alert, no receipt"

    payment_id = designer.execute("account.invoice", "webo_register_payment", [invoice_id], 100.0,
                                  idempotency_key=key)
    assert designer.execute("account.invoice", "webo_register_payment", [invoice_id], 100.0,
                            idempotency_key=key) == payment_id
    assert fault_db.rows("SELECT id FROM account_payment WHERE webo_idempotency_key = %s", (key,)) == [
        (payment_id,)]
    assert fault_db.value("SELECT residual FROM account_invoice WHERE id = %s", (invoice_id,)) == 200.0


def test_a_deferred_purchase_killed_before_its_end_leaves_nothing(fault_server, fault_db, designer):
    (hosting,) = designer.execute("product.product", "search", [("name", "=", "Hébergement")])
    key = "achat-%s" % tag()
    orders = fault_db.value("SELECT count(*) FROM webo_purchase_order")
    # The order written, its lines held.
    blocker = lock_table(fault_db, "webo_purchase_order_line")
    thread, outcome = in_background(designer.execute, "webo.purchase.order", "webo_buy",
                                    [{"product_id": hosting, "quantity": 1}], payment_method="deferred",
                                    accept_terms=True, idempotency_key=key)
    backend = held_backend(fault_db)
    kill(fault_server, busy_worker(fault_server))
    thread.join(120)
    assert "error" in outcome
    blocker.rollback()
    blocker.close()
    gone(fault_db, backend)
    assert fault_db.value("SELECT count(*) FROM webo_purchase_order") == orders, "no order half-written"

    order_id = designer.execute("webo.purchase.order", "webo_buy", [{"product_id": hosting, "quantity": 1}],
                                payment_method="deferred", accept_terms=True, idempotency_key=key)
    assert designer.execute("webo.purchase.order", "webo_buy", [{"product_id": hosting, "quantity": 1}],
                            payment_method="deferred", accept_terms=True, idempotency_key=key) == order_id
    assert fault_db.rows("SELECT id FROM webo_purchase_order WHERE idempotency_key = %s", (key,)) == [
        (order_id,)]
    assert fault_db.value("SELECT count(*) FROM webo_purchase_order_line WHERE order_id = %s",
                          (order_id,)) == 1
