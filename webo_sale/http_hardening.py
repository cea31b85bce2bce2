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
  (res.users), XML-RPC included;
* Stripe's webhook (``WEBHOOK_PATHS``) posts a JSON body that is not a
  JSON-RPC call: Odoo would take it for one (by its content type) and
  answer it as such; it is served as a plain HTTP request, whose status
  Stripe reads;
* an XML-RPC call to a service that takes no password (``common``, ``db``)
  gets no server traceback in its fault: Odoo puts one in the fault of any
  unexpected error, whoever the caller.
"""
import threading
import xmlrpc.client

from odoo import exceptions, http
from odoo.service import wsgi_server

SESSION_COOKIE = "session_id"
WEBHOOK_PATHS = ("/webo/stripe/webhook",)
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


# The XML-RPC services a caller reaches without a password.
ANONYMOUS_SERVICES = ("common", "db")
# Odoo's exceptions whose fault is their message alone.
MESSAGE_ONLY = (exceptions.UserError, exceptions.RedirectWarning, exceptions.MissingError,
                exceptions.AccessError, exceptions.AccessDenied)


def _xmlrpc_service(environ):
    """``common`` for /xmlrpc/common and /xmlrpc/2/common."""
    path = environ.get("PATH_INFO") or ""
    return path[len("/xmlrpc/"):].rsplit("/", 1)[-1] if path.startswith("/xmlrpc/") else None


def _fault_without_traceback(handle_exception, string_faultcode):
    def handle(error):
        if not getattr(_local, "anonymous_rpc", False) or isinstance(error, MESSAGE_ONLY):
            return handle_exception(error)
        # What kind of error, and a constraint's message: never where in the code.
        text = error.name if isinstance(error, exceptions.except_orm) else type(error).__name__
        if string_faultcode:
            fault = xmlrpc.client.Fault(text, "")
        else:
            fault = xmlrpc.client.Fault(wsgi_server.RPC_FAULT_CODE_APPLICATION_ERROR, text)
        return xmlrpc.client.dumps(fault, allow_none=None)
    return handle


def _install_xmlrpc():
    wsgi_xmlrpc = wsgi_server.wsgi_xmlrpc

    def wsgi_xmlrpc_guarded(environ, start_response):
        _local.anonymous_rpc = _xmlrpc_service(environ) in ANONYMOUS_SERVICES
        try:
            return wsgi_xmlrpc(environ, start_response)
        finally:
            _local.anonymous_rpc = False

    # Looked up by name when a request comes (application_unproxied,
    # wsgi_xmlrpc): replacing them in their module is enough.
    wsgi_server.wsgi_xmlrpc = wsgi_xmlrpc_guarded
    wsgi_server.xmlrpc_handle_exception_int = _fault_without_traceback(
        wsgi_server.xmlrpc_handle_exception_int, string_faultcode=False)
    wsgi_server.xmlrpc_handle_exception_string = _fault_without_traceback(
        wsgi_server.xmlrpc_handle_exception_string, string_faultcode=True)


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

    get_request = http.Root.get_request

    def get_request_webhooks(self, httprequest):
        if httprequest.path in WEBHOOK_PATHS:
            return http.HttpRequest(httprequest)
        return get_request(self, httprequest)

    http.Root.get_request = get_request_webhooks

    application_unproxied = wsgi_server.application_unproxied

    def application_tracked(environ, start_response):
        # After proxy_mode's fix-up: the client's address, not the proxy's.
        _local.remote_address = environ.get("REMOTE_ADDR")
        return application_unproxied(environ, start_response)

    wsgi_server.application_unproxied = application_tracked
    _install_xmlrpc()


_install()
