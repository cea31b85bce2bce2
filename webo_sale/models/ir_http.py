import json
from urllib.parse import urlsplit

from werkzeug.wrappers import BaseResponse

from odoo import models
from odoo.http import request


def is_local_url(url):
    """Whether ``url`` stays on this site: a path, not another host
    (``//host``, or ``/\\host`` which browsers read as ``//host``)."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _dispatch(cls):
        response = super()._dispatch()
        if isinstance(response, BaseResponse):
            cls._webo_stay_on_site(response)
            if not request.session.uid and getattr(request, "_request_type", None) == "json":
                cls._webo_hide_traceback(response)
        return response

    @classmethod
    def _webo_stay_on_site(cls, response):
        """No answer sends the visitor to another site: a redirection
        elsewhere (``/web/session/logout?redirect=https://...``, a
        payment's ``error_url``...) goes to the home page instead. The
        one exception is marked by its controller (``webo_offsite``): the
        payment provider's hosted page, whose address the provider gave."""
        if getattr(response, "webo_offsite", False):
            return
        location = response.headers.get("Location")
        if location and not is_local_url(location) and urlsplit(location).netloc != request.httprequest.host:
            response.headers["Location"] = "/"

    @classmethod
    def _webo_hide_traceback(cls, response):
        """A JSON-RPC error tells an anonymous caller what went wrong (the
        kind of error, which Odoo's scripts read), never the server's
        traceback nor, for an internal error, its details."""
        if response.mimetype != "application/json":
            return
        body = json.loads(response.get_data())
        details = (body.get("error") or {}).get("data")
        if isinstance(details, dict):
            details["debug"] = ""
            if details.get("exception_type") == "internal_error":
                details.update(message="", arguments=[])
            response.set_data(json.dumps(body))
