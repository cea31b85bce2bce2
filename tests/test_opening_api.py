"""Opening the sales service over XML-RPC, the documents' review, and who
may download them: a new workspace, a real server, a real SMTP server."""
import base64
import io
import xmlrpc.client

import pytest
from PIL import Image
from test_http import CSRF_TOKEN, fetch, new_browser

SPECIMEN = "webo_sale/demo/files/specimen_rib.pdf"


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#3fa66b").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def opening_values(repo_dir, **overrides):
    pdf = base64.b64encode((repo_dir / SPECIMEN).read_bytes()).decode()
    values = {
        "company_name": "Agence Horizon", "legal_form": "sasu", "siret": "39099603100014",
        "vat_regime": "subject", "vat": "FR85390996031", "street": "5 place Bellecour",
        "zip": "69002", "city": "Lyon", "share_capital": 1000.0, "rcs_city": "Lyon",
        "first_name": "Hugo", "last_name": "Petit", "email": "hugo@agence-horizon.fr",
        "phone": "+33 6 11 22 33 44", "birth_date": "1985-06-30",
        "identity_file": png(), "identity_filename": "cni.png",
        "address_file": pdf, "address_filename": "facture-edf.pdf",
        "registration_file": pdf, "registration_filename": "kbis.pdf",
        "bank_file": pdf, "bank_filename": "rib.pdf",
        "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX",
    }
    values.update(overrides)
    return values


def fault_message(call):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    return fault.value.faultString


def login(odoo_url, user, password):
    opener = new_browser()
    _, _, page = fetch(opener, odoo_url + "/web/login")
    (token,) = CSRF_TOKEN.findall(page.decode())
    fetch(opener, odoo_url + "/web/login", form={"login": user, "password": password, "csrf_token": token})
    return opener


def test_open_in_two_steps_then_review_the_documents(new_designer, admin, julien, repo_dir, outbox,
                                                     odoo_url):
    designer, company = new_designer("Agence Horizon", identified=False)
    name = company_name(designer, company)
    service = designer.execute("webo.sale.service", "webo_my_service")
    assert designer.execute("webo.sale.service", "read", [service], ["state"])[0]["state"] == "new"

    # Step 1, "Enregistrer"
    values = opening_values(repo_dir, company_name=name)
    step1 = {key: value for key, value in values.items() if "file" not in key and key not in ("iban", "bic")}
    wizard = designer.execute("webo.sale.opening", "create", dict(step1, service_id=service, step="company"))
    designer.execute("webo.sale.opening", "action_save", [wizard])
    (saved,) = designer.execute("res.company", "read", [company],
                                ["name", "siret", "vat", "company_registry"])
    assert (saved["name"], saved["siret"], saved["vat"]) == (name, "39099603100014", "FR85390996031")
    assert saved["company_registry"] == "RCS Lyon 390 996 031"

    # Step 2 with a bad IBAN: refused in French, nothing written
    step2 = {key: value for key, value in values.items() if key not in step1}
    designer.execute("webo.sale.opening", "write", [wizard], dict(step2, iban="FR76 1234"))
    message = fault_message(lambda: designer.execute("webo.sale.opening", "action_submit", [wizard]))
    assert "L'IBAN FR76 1234 n'est pas valide" in message
    assert designer.execute("webo.sale.document", "search", []) == []

    # Step 2, "Transmettre les documents"
    designer.execute("webo.sale.opening", "write", [wizard], {"iban": values["iban"]})
    designer.execute("webo.sale.opening", "action_submit", [wizard])
    (opened,) = designer.execute("webo.sale.service", "read", [service],
                                 ["state", "payment_journal_id", "documents_status"])
    assert opened["state"] == "open" and opened["documents_status"] == "submitted"
    assert opened["payment_journal_id"][1].startswith("Compte de paiement webo")
    synthesis = designer.execute("webo.sale.service", "webo_synthesis", [service])
    assert synthesis["purchase_ceiling"] == 300.0 and synthesis["unpaid_count"] == 0
    assert len(synthesis["months"]) == 12

    # Julien sees none of it
    documents = designer.execute("webo.sale.document", "search_read", [], fields=["kind", "state"])
    assert {d["kind"] for d in documents} == {"identity", "address", "registration", "bank"}
    ids = [d["id"] for d in documents]
    assert julien.execute("webo.sale.document", "search", [("id", "in", ids)]) == []
    # Odoo's access refusals (access rights and record rules) name the document type
    assert "Type de document" in fault_message(
        lambda: julien.execute("webo.sale.document", "read", ids, ["file"]))
    assert "Type de document" in fault_message(
        lambda: julien.execute("webo.sale.service", "webo_synthesis", [service]))

    # The operator refuses one and validates the others; the designer hears of each
    identity = next(d["id"] for d in documents if d["kind"] == "identity")
    refuse = admin.execute("webo.sale.document.refuse", "create",
                           {"document_ids": [(6, 0, [identity])], "reason": "Photo illisible"})
    admin.execute("webo.sale.document.refuse", "action_refuse", [refuse])
    admin.execute("webo.sale.document", "action_validate", [i for i in ids if i != identity])
    mails = outbox.collect()
    # (step 1 gave the designer's contact the email hugo@agence-horizon.fr)
    to_designer = [m for m in mails if "hugo@agence-horizon.fr" in m.recipients]
    bodies = " ".join(m.body() for m in to_designer)
    # one email per review (the refusal, then the three validated at once)
    assert len(to_designer) == 2, [m.subject for m in mails]
    assert "Photo illisible" in bodies and "a été refusé" in bodies and "a été validé" in bodies

    # The designer replaces the refused document, which goes back to review
    replace = designer.execute("webo.sale.document.replace", "create",
                               {"document_id": identity, "file": png(), "filename": "cni-nette.png"})
    designer.execute("webo.sale.document.replace", "action_replace", [replace])
    (replaced,) = designer.execute("webo.sale.document", "read", [identity], ["state", "filename"])
    assert (replaced["state"], replaced["filename"]) == ("submitted", "cni-nette.png")
    # ...and cannot review it himself
    assert "Seul l'opérateur de la plateforme" in fault_message(
        lambda: designer.execute("webo.sale.document", "action_validate", [identity]))


def test_documents_download_by_url_only_in_their_workspace(new_designer, admin, repo_dir, odoo_url):
    designer, company = new_designer("Atelier URL", identified=False)
    values = opening_values(repo_dir, company_name=company_name(designer, company), legal_form="micro",
                            vat_regime="franchise", vat=False, share_capital=0, rcs_city=False)
    designer.execute("webo.sale.opening", "webo_open_service", values)
    (rib,) = designer.execute("webo.sale.document", "search", [("kind", "=", "bank")])
    (attachment,) = admin.execute("ir.attachment", "search", [
        ("res_model", "=", "webo.sale.document"), ("res_id", "=", rib), ("res_field", "=", "file")])
    expected = (repo_dir / SPECIMEN).read_bytes()
    urls = ["/web/content/%d" % attachment,
            "/web/content?model=webo.sale.document&id=%d&field=file&download=true" % rib]

    owner = login(odoo_url, designer_login(designer), designer_login(designer))
    for url in urls:
        status, _, body = fetch(owner, odoo_url + url)
        assert (status, body) == (200, expected), url

    for who, opener in (("julien", login(odoo_url, "julien", "julien")), ("anonymous", new_browser())):
        for url in urls:
            status, _, body = fetch(opener, odoo_url + url)
            assert status in (403, 404), (who, url, status)
            assert b"%PDF" not in body, (who, url)


def test_opening_twice_or_with_bad_siret_is_refused(new_designer, claire, repo_dir):
    designer, company = new_designer("Studio Refus", identified=False)
    message = fault_message(lambda: designer.execute(
        "webo.sale.opening", "webo_open_service",
        opening_values(repo_dir, company_name=company_name(designer, company), siret="39099603100015")))
    assert "Le SIRET 39099603100015 n'est pas valide" in message
    (untouched,) = designer.execute("res.company", "read", [company], ["siret", "name"])
    assert not untouched["siret"] and untouched["name"].startswith("Studio Refus")
    assert designer.execute("webo.sale.document", "search", []) == []

    message = fault_message(lambda: claire.execute(
        "webo.sale.opening", "webo_open_service", opening_values(repo_dir)))
    assert "déjà ouvert" in message


def company_name(session, company):
    """The name the platform gave a ``new_designer`` workspace (unique on the platform)."""
    return session.execute("res.company", "read", [company], ["name"])[0]["name"]


def designer_login(session):
    """The login of a ``new_designer`` session (its password too)."""
    (user,) = session.execute("res.users", "read", [session.uid], ["login"])
    return user["login"]
