"""The XML-RPC reference's example (docs/xmlrpc.rst, "Example") runs as
written, from a separate process, and prints what the reference says."""
import re
import subprocess
import sys
import textwrap

import pytest


def _example_python_blocks(reference):
    """The ``.. code-block:: python`` bodies of the reference's "Example" section (its last)."""
    section = reference.split("\nExample\n=======\n", 1)[1]
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", section)
    return [textwrap.dedent(block) for block in blocks]


@pytest.fixture
def reference_example(repo_dir):
    blocks = _example_python_blocks((repo_dir / "docs" / "xmlrpc.rst").read_text(encoding="utf-8"))
    assert blocks, "docs/xmlrpc.rst's Example section has no python example"
    return "\n".join(blocks)


def test_the_reference_example_runs_against_a_real_server(reference_example, odoo_url, database, rpc, outbox,
                                                          repo_dir):
    source = reference_example.replace('"http://127.0.0.1:8069"', repr(odoo_url)).replace(
        '"webo_demo"', repr(database))
    assert source != reference_example, "the example no longer names the demo URL and database"
    claire, julien = rpc("claire"), rpc("julien")
    bills_before = set(claire.execute("account.invoice", "search", [("type", "=", "in_invoice")]))
    try:
        result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                                timeout=300, cwd=repo_dir)
        assert result.returncode == 0, result.stderr
        (clients, invoice, cancelled, refusal, subscription, resumed, iban_refusal, service, synthesis,
         facturx_pdf, bill, duplicate, partly_paid, overpayment, reminders_due, reminders_run,
         reminders_refused, reminders_paused, purchase_credit, purchase_order,
         purchase_refusal, bank_summary, bank_paid, bank_proposals, bank_residual,
         bank_duplicate) = result.stdout.splitlines()
        assert "Boulangerie Dupont" in clients and "Garage Lefèvre SAS" not in clients
        assert "'amount_total': 1200.0" in invoice, "no VAT under Claire's franchise"
        # Its email queued, not yet accepted by the mail server.
        assert "'webo_state': 'sending'" in invoice and "'webo_email_state': 'pending'" in invoice
        assert "/my/invoices/" in invoice
        assert "'webo_state': 'credited'" in cancelled
        assert "avoir" in refusal, refusal
        # Four periods caught up (the 1st of this month and of the three
        # before), at the modified amount; then resumed after its stop.
        assert subscription == "running 50.0 4", subscription
        assert "'state': 'running'" in resumed and "'predecessor_id': [" in resumed
        assert "'webo_autopay': False" in resumed, "chosen by the client only"
        assert facturx_pdf.startswith("b'%PDF-'"), facturx_pdf
        assert "'type': 'in_invoice'" in bill and "'state': 'draft'" in bill, bill
        assert "Studio Pixel & Co" in bill and "'amount_total': 288.0" in bill, "240 + 20 % VAT"
        assert "est déjà enregistrée" in duplicate, duplicate
        assert "'webo_state': 'partial'" in partly_paid and "'residual': 350.0" in partly_paid, partly_paid
        assert "plus que les 350,00" in overpayment, overpayment
        assert "L'IBAN FR76 3000 6000 0112 n'est pas valide" in iban_refusal, iban_refusal
        assert "'state': 'open'" in service and "Compte de paiement webo" in service, service
        assert "'documents_status': 'submitted'" in service, service
        assert "'purchase_ceiling': 300.0" in synthesis, synthesis
        # The subscription's first invoice, issued today and due in 30 days:
        # 15 days late 45 days from now (the D+15 level); a run ahead of time
        # is refused; paused with its client, nothing is due for it.
        assert reminders_due.startswith("[('FAC/', 15, '") and reminders_due.endswith("')]"), reminders_due
        assert reminders_run == "True", reminders_run
        assert "à l'avance" in reminders_refused, reminders_refused
        assert reminders_paused == "False", reminders_paused
        # Two hosting services (15 EUR each) bought with deferred payment.
        ceiling, used, available = (float(figure) for figure in purchase_credit.split())
        assert ceiling == 300.0 and used >= 30.0 and available == ceiling - used, purchase_credit
        assert "'amount_total': 30.0" in purchase_order and "'state': 'confirmed'" in purchase_order
        assert "CMD/" in purchase_order, purchase_order
        assert "Cette commande (750,00" in purchase_refusal, purchase_refusal
        assert "disponible, qui est de %s" % ("%.2f" % available).replace(".", ",") \
            in purchase_refusal, purchase_refusal
        # The bank statement: one transfer paid at once, one proposed then confirmed.
        assert bank_summary == "{'lines': 2, 'reconciled': 1, 'proposed': 1, 'unmatched': 0}", bank_summary
        assert bank_paid == "paid", bank_paid
        assert bank_proposals == "[(True, 'reference_unsure')]", bank_proposals
        assert bank_residual == "250.0", bank_residual
        assert "déjà été importé" in bank_duplicate, bank_duplicate
    finally:
        # Issued invoices stay (French law): archive the example's clients
        # once their emails are sent (Odoo fails the mail of an archived
        # recipient); delete the draft bill it imported, archive the supplier.
        outbox.collect()
        created = claire.execute("res.partner", "search", [("name", "=", "Fleuriste Les Lilas")])
        claire.execute("res.partner", "write", created, {"active": False})
        created = julien.execute("res.partner", "search", [("name", "=", "Atelier Claire Martin")])
        family = julien.execute("res.partner", "search", [("id", "child_of", created)])
        julien.execute("res.partner", "write", family, {"active": False})
        # (The platform's bill of the deferred purchase is validated: it stays.)
        bills = set(claire.execute("account.invoice", "search", [("type", "=", "in_invoice"),
                                                                 ("state", "=", "draft")]))
        if bills - bills_before:
            claire.execute("account.invoice", "unlink", sorted(bills - bills_before))
        suppliers = claire.execute("res.partner", "search", [("name", "=", "Studio Pixel & Co")])
        claire.execute("res.partner", "write", suppliers, {"active": False})
