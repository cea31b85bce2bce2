from odoo import http
from odoo.addons.web.controllers.main import Binary

# The pictures the web client shows beside a message, a follower or an
# activity: a partner's or a user's.
AVATAR_MODELS = ("res.partner", "res.users")


class WeboBinary(Binary):

    @http.route()
    def content_image(self, **kwargs):
        """The picture of a partner the user may not read (the platform's
        Administrator, author of what scheduled runs post in a workspace's
        history) is Odoo's placeholder, answered 403: the web client logs
        an error on every screen that shows it, and the designer sees a
        broken picture. The placeholder is answered as a picture: it shows
        nothing of the partner either way."""
        response = super().content_image(**kwargs)
        # Odoo's routes pass their arguments by name ("model" defaults to
        # ir.attachment, not a picture of someone).
        if response.status_code == 403 and kwargs.get("model") in AVATAR_MODELS:
            response.status_code = 200
        return response
