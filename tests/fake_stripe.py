"""Stripe's HTTP endpoint, replaced: an HTTPS server on loopback that answers
Odoo's payment_stripe with Stripe API replies kept in tests/data/stripe/
(the format of the API version Odoo 11 pins, 2016-03-07).

Only the network hop to api.stripe.com is replaced. Odoo reaches this server
because the platform's system parameter ``webo_sale.stripe_api_host`` names
it, and trusts its self-signed certificate through REQUESTS_CA_BUNDLE, which
the test server process is started with.

A charge answers with the recorded success, its amount, currency and
reference taken from the request as Stripe does; the card token
``tok_chargeDeclined`` (Stripe's own test token for a declined card) answers
with the recorded decline. A request with an ``Idempotency-Key`` already
seen gets the first answer again and makes no new charge, as Stripe does.
Every request is kept in ``requests``; ``delay`` (seconds) holds each
answer back, as a slow network would.
"""
import base64
import copy
import http.server
import json
import ssl
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

DATA = Path(__file__).resolve().parent / "data" / "stripe"
DECLINED_TOKEN = "tok_chargeDeclined"


def recorded(name):
    return json.loads((DATA / ("%s.json" % name)).read_text())


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 and its key, made with openssl."""
    cert, key = Path(directory) / "fake-stripe.pem", Path(directory) / "fake-stripe.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class FakeStripe:
    def __init__(self, directory):
        self.cert, self.key = self_signed_certificate(directory)
        self.requests = []
        self.delay = 0.0
        self._charges = 0
        self._answered = {}  # idempotency key -> (status, answer)
        self._lock = threading.RLock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.host = "127.0.0.1:%d/v1" % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def charges(self, reference=None):
        return [r for r in self.requests if r["path"] == "/v1/charges"
                and (reference is None or r["params"].get("metadata[reference]") == reference)]

    def _answer_once(self, path, params, key):
        """The answer, or the one already given for ``key``."""
        if not key:
            return self._answer(path, params)
        with self._lock:
            if key not in self._answered:
                self._answered[key] = self._answer(path, params)
            return self._answered[key]

    def _answer(self, path, params):
        if path != "/v1/charges":
            return 404, {"error": {"type": "invalid_request_error",
                                   "message": "Unrecognized request URL (POST: %s)" % path}}
        if params.get("card") == DECLINED_TOKEN:
            return 402, recorded("charge_declined")
        with self._lock:
            self._charges += 1
            number = self._charges
        charge = copy.deepcopy(recorded("charge_succeeded"))
        charge.update({
            "id": "ch_webo%06d" % number,
            "amount": int(params["amount"]),
            "currency": params["currency"].lower(),
            "description": params.get("description"),
            "receipt_email": params.get("receipt_email"),
            "metadata": {"reference": params.get("metadata[reference]")},
        })
        return 200, charge

    def _handler(self):
        stripe = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's name for it
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(url.query))
                params.update(parse_qsl(body))
                auth = self.headers.get("Authorization", "")
                secret = None
                if auth.startswith("Basic "):
                    secret = base64.b64decode(auth[6:]).decode().split(":")[0]
                key = self.headers.get("Idempotency-Key")
                stripe.requests.append({"path": url.path, "params": params, "secret": secret,
                                        "version": self.headers.get("Stripe-Version"),
                                        "idempotency_key": key})
                time.sleep(stripe.delay)
                status, answer = stripe._answer_once(url.path, params, key)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler
