"""The README's XML-RPC examples run as written, from a separate process."""
import re
import subprocess
import sys
import textwrap

import pytest


def _readme_python_blocks(readme):
    """The ``.. code-block:: python`` bodies of the README's "XML-RPC API" section."""
    section = readme.split("XML-RPC API\n===========\n", 1)[1].split("\nTests\n=====\n", 1)[0]
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", section)
    return [textwrap.dedent(block) for block in blocks]


@pytest.fixture
def readme_example(repo_dir):
    blocks = _readme_python_blocks((repo_dir / "README.rst").read_text(encoding="utf-8"))
    assert blocks, "the README's XML-RPC API section has no python example"
    return "\n".join(blocks)


def test_readme_xmlrpc_example_runs_against_a_real_server(readme_example, odoo_url, database, rpc,
                                                          repo_dir):
    source = readme_example.replace('"http://127.0.0.1:8069"', repr(odoo_url)).replace(
        '"webo_demo"', repr(database))
    assert source != readme_example, "the example no longer names the demo URL and database"
    claire = rpc("claire")
    try:
        result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                                timeout=300, cwd=repo_dir)
        assert result.returncode == 0, result.stderr
        clients, invoice, cancelled, refusal, iban_refusal, service, synthesis = result.stdout.splitlines()
        assert "Boulangerie Dupont" in clients and "Garage Lefèvre SAS" not in clients
        assert "'amount_total': 1200.0" in invoice, "no VAT under Claire's franchise"
        assert "'webo_state': 'sent'" in invoice and "/my/invoices/" in invoice
        assert "'webo_state': 'credited'" in cancelled
        assert "avoir" in refusal, refusal
        assert "L'IBAN FR76 3000 6000 0112 n'est pas valide" in iban_refusal, iban_refusal
        assert "'state': 'open'" in service and "Compte de paiement webo" in service, service
        assert "'documents_status': 'submitted'" in service, service
        assert "'purchase_ceiling': 300.0" in synthesis, synthesis
    finally:
        # Issued invoices stay (French law): archive the example's client.
        created = claire.execute("res.partner", "search", [("name", "=", "Fleuriste Les Lilas")])
        claire.execute("res.partner", "write", created, {"active": False})
