from odoo import http
from odoo.addons.mail.controllers.main import MailController
from odoo.http import request


class WeboMailController(MailController):

    @http.route()
    def read_followers(self, follower_ids, res_model):
        """Odoo 11 reads the followers as superuser and checks the caller's
        access on ``res_model``, a name the caller chooses: the followers
        themselves must be readable (their record rule: the record they
        follow)."""
        request.env["mail.followers"].browse(follower_ids).check_access_rule("read")
        return super().read_followers(follower_ids, res_model)
