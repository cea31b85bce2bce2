"""Server-wide HTTP hardening, installed when the addon is imported.

Odoo 11 has no hook for either: it sets the session cookie itself after the
controller has answered (``odoo.http.Root.get_response``), and its XML-RPC
endpoint knows nothing of the request it serves. Both are wrapped here, once
per process:

* the session cookie gets ``SameSite=Lax`` (a form posted from another site
  does not carry it) and ``Secure`` when the request came over HTTPS (behind
  a TLS proxy with ``proxy_mode``); a response marked with
  ``webo_no_cookies`` (the client's payment page to an anonymous visitor)
  sets no cookie at all, the session's or the language's;
* the client's address of each request is kept for the login throttle
  (res.users), XML-RPC included.
"""
import threading

from odoo import http
from odoo.service import wsgi_server

SESSION_COOKIE = "session_id"
_local = threading.local()


def remote_address():
    """The address of the client of the request being served, or None
    (a scheduled job, a shell, a test without HTTP)."""
    return getattr(_local, "remote_address", None)


def _cookie_name(header):
    return header.split("=", 1)[0].strip()


def _harden_cookies(httprequest, response):
    headers = getattr(response, "headers", None)
    if headers is None:
        return
    cookies = headers.getlist("Set-Cookie")
    if getattr(response, "webo_no_cookies", False):
        headers.remove("Set-Cookie")
        return
    if not any(_cookie_name(cookie) == SESSION_COOKIE for cookie in cookies):
        return
    kept = []
    for cookie in cookies:
        if _cookie_name(cookie) == SESSION_COOKIE:
            attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
            if not any(attribute.startswith("samesite") for attribute in attributes):
                cookie += "; SameSite=Lax"
            if httprequest.scheme == "https" and "secure" not in attributes:
                cookie += "; Secure"
        kept.append(cookie)
    headers.remove("Set-Cookie")
    for cookie in kept:
        headers.add("Set-Cookie", cookie)


def _install():
    if getattr(http.Root, "_webo_hardened", False):
        return
    get_response = http.Root.get_response

    def get_response_hardened(self, httprequest, result, explicit_session):
        response = get_response(self, httprequest, result, explicit_session)
        _harden_cookies(httprequest, response)
        return response

    http.Root.get_response = get_response_hardened
    http.Root._webo_hardened = True

    application_unproxied = wsgi_server.application_unproxied

    def application_tracked(environ, start_response):
        # After proxy_mode's fix-up: the client's address, not the proxy's.
        _local.remote_address = environ.get("REMOTE_ADDR")
        return application_unproxied(environ, start_response)

    wsgi_server.application_unproxied = application_tracked


_install()
