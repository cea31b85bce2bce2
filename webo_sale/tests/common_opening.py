import base64
import io

from PIL import Image

from odoo.modules.module import get_module_resource

from .common import WeboWorkspaceCase

VALID_SIRET = "94821993600010"
VALID_VAT = "FR87948219936"
VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def sample_pdf():
    with open(get_module_resource("webo_sale", "demo", "files", "specimen_rib.pdf"), "rb") as pdf:
        return pdf.read()


def sample_image(kind="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#1f3a5f").save(buffer, kind)
    return buffer.getvalue()


def b64(raw):
    return base64.b64encode(raw).decode()


STEP1 = {
    "company_name": "Studio Test SARL",
    "legal_form": "sarl",
    "siret": "948 219 936 00010",
    "vat_regime": "subject",
    "vat": "FR 87 948219936",
    "street": "3 quai de la Fosse",
    "zip": "44000",
    "city": "Nantes",
    "share_capital": 5000.0,
    "rcs_city": "Nantes",
    "first_name": "Léa",
    "last_name": "Durand",
    "email": "lea@studio-test.fr",
    "phone": "+33 6 00 00 00 01",
    "birth_date": "1988-02-03",
}


def step2():
    return {
        "identity_file": b64(sample_image("JPEG")),
        "identity_filename": "cni.jpg",
        "address_file": b64(sample_pdf()),
        "address_filename": "edf.pdf",
        "registration_file": b64(sample_pdf()),
        "registration_filename": "kbis.pdf",
        "bank_file": b64(sample_image("PNG")),
        "bank_filename": "rib.png",
        "iban": VALID_IBAN,
        "bic": "AGRIFRPPXXX",
    }


class OpeningCase(WeboWorkspaceCase):
    """Workspaces whose designer goes through the opening screens."""

    open_services = False

    @classmethod
    def _wizard(cls, designer, values=None, mode="open"):
        """The opening screen as ``designer`` sees it from the menu, with
        ``values`` typed in."""
        services = cls.env["webo.sale.service"].sudo(designer)
        service = services._webo_for_company(designer.company_id)
        action = cls.env["webo.sale.opening"].sudo(designer)._webo_action(service, mode=mode)
        wizard = cls.env["webo.sale.opening"].sudo(designer).browse(action["res_id"])
        if values:
            wizard.write(values)
        return wizard

    @classmethod
    def _open_service(cls, designer):
        wizard = cls._wizard(designer, STEP1)
        wizard.action_start()
        wizard.action_save()
        wizard.write(step2())
        wizard.action_submit()
        return wizard.service_id
