from odoo import http
from odoo.addons.auth_signup.controllers.main import AuthSignupHome
from odoo.http import request

from ..models.ir_http import is_local_url


class WeboLogin(AuthSignupHome):

    @http.route()
    def web_login(self, *args, **kw):
        """After signing in, only a page of this site: Odoo 11 follows any
        ``redirect`` (``/web/login?redirect=https://elsewhere/``)."""
        if not is_local_url(request.params.get("redirect") or "/"):
            request.params.pop("redirect", None)
            kw.pop("redirect", None)
        return super().web_login(*args, **kw)
