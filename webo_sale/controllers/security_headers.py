"""The headers of the client's payment page and of its PDF.

The page is opened from an email by someone with no account: it must not be
framed by another site (clickjacking of the "Pay" button), leak its URL (and
so its token) to the sites it links to, be kept by a shared cache, or be
sniffed as another type; and an anonymous visitor gets no session cookie:
there is no session to keep for them.
"""
from urllib.parse import urlsplit

from odoo.http import request

# Odoo's frontend scripts need inline scripts and eval (its QWeb compiles
# templates with Function); payment_stripe's card window is Stripe Checkout,
# a script and a frame of checkout.stripe.com. The card/SEPA button posts to
# the page's server, which redirects to Stripe's hosted page: browsers hold
# that redirect to form-action too.
STRIPE_HOSTED_PAGES = "https://checkout.stripe.com"
PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' https://checkout.stripe.com",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https://*.stripe.com",
    "font-src 'self' data:",
    "connect-src 'self' https://checkout.stripe.com https://api.stripe.com",
    "frame-src https://checkout.stripe.com",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self' %s" % STRIPE_HOSTED_PAGES,
    "frame-ancestors 'none'",
])
# A PDF needs nothing from anywhere.
PDF_POLICY = "default-src 'none'; frame-ancestors 'none'"


def secure_response(response, pdf=False):
    """``response`` with the payment page's security headers (its PDF's
    with ``pdf``), and without any cookie for an anonymous visitor."""
    response.headers["Content-Security-Policy"] = PDF_POLICY if pdf else _page_policy()
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    if not request.session.uid:
        # Read by http_hardening once Odoo has added its cookies.
        response.webo_no_cookies = True
    return response


def _page_policy():
    """The page's policy; with another address for Stripe's API (a Stripe
    mock, the tests' server), its origin serves the hosted pages too."""
    base = request.env["ir.config_parameter"].sudo().get_param("webo_sale.stripe_api_base")
    if not base:
        return PAGE_POLICY
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    return PAGE_POLICY.replace("form-action 'self' %s" % STRIPE_HOSTED_PAGES,
                               "form-action 'self' %s %s" % (STRIPE_HOSTED_PAGES, origin))
