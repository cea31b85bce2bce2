"""The login page and the backend web client, with their CSS and JS bundles, over plain HTTP."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

ASSET = re.compile(r'(?:href|src)="(/web/content/[^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# The inline script Odoo adds to a page when a bundle failed to compile
# (odoo.addons.base.ir.ir_qweb.assetsbundle.AssetsBundle.dialog_message).
BUNDLE_ERROR = "__assetsBundleErrorSeen"


def new_browser():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def fetch(opener, url, form=None):
    """(status, URL after redirections, body) of a GET, or of a POST of ``form``."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=120) as response:
            return response.status, response.url, response.read()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read()


def assert_page_and_assets_load(opener, base_url, path, bundles):
    """Loads the page at ``path`` (no redirection) and every asset it references; returns its HTML."""
    page_url = base_url + path
    status, landed, body = fetch(opener, page_url)
    assert (status, landed) == (200, page_url), "%s answered HTTP %d at %s" % (path, status, landed)
    html = body.decode()
    assert BUNDLE_ERROR not in html, "a CSS/JS bundle failed to compile, see the page %s" % page_url
    assets = ASSET.findall(html)
    missing = [bundle for bundle in bundles if not any(bundle in asset for asset in assets)]
    assert not missing, "bundles not referenced by %s: %s" % (page_url, missing)
    broken = {}
    for asset in assets:
        status, _, content = fetch(opener, base_url + asset)
        if status != 200 or not content.strip():
            broken[asset] = "HTTP %d, %d bytes" % (status, len(content))
    assert not broken, broken
    return html


def test_login_page_and_its_assets_load(odoo_url):
    assert_page_and_assets_load(new_browser(), odoo_url, "/web/login", [
        "web.assets_common.0.css", "web.assets_frontend.0.css",
        "web.assets_common.js", "web.assets_frontend.js",
    ])


@pytest.fixture()
def claire_browser(odoo_url):
    """A cookie-keeping HTTP client logged in as claire through the login form."""
    opener = new_browser()
    _, _, login_page = fetch(opener, odoo_url + "/web/login")
    (token,) = CSRF_TOKEN.findall(login_page.decode())
    # On success Odoo 11 answers 200 with a script that goes to /web (http.redirect_with_hash).
    credentials = {"login": "claire", "password": "claire", "csrf_token": token}
    fetch(opener, odoo_url + "/web/login", form=credentials)
    return opener


def test_backend_web_client_and_its_assets_load(odoo_url, claire_browser):
    html = assert_page_and_assets_load(claire_browser, odoo_url, "/web", [
        "web.assets_common.0.css", "web.assets_backend.0.css",
        "web.assets_common.js", "web.assets_backend.js",
    ])
    assert '"username": "claire"' in html, "the web client is not claire's session"
