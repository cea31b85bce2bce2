"""The XML-RPC reference (docs/xmlrpc.rst) is exact: every method it gives
a ``:call:`` line exists with that signature, and every method of the API
(``@public_method``) is in it. Here, where both addons are loaded."""
import inspect
import os
import re

from odoo.tests.common import TransactionCase

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "docs",
                         "xmlrpc.rst")
CALL = re.compile(r"^:call: ``(?P<model>[\w.]+)`` ``(?P<method>\w+)\((?P<arguments>.*)\)``$", re.M)
RECORDS = ("[ids]", "[id]")


def documented_calls():
    """[(model, method, on records?, [arguments as Python prints them])]."""
    with open(REFERENCE, encoding="utf-8") as reference:
        text = reference.read()
    calls = []
    for call in CALL.finditer(text):
        arguments = [argument.strip() for argument in call["arguments"].split(",") if argument.strip()]
        on_records = bool(arguments) and arguments[0] in RECORDS
        calls.append((call["model"], call["method"], on_records, arguments[1:] if on_records else arguments))
    return calls


class TestApiReference(TransactionCase):

    def test_the_reference_has_calls(self):
        calls = documented_calls()
        self.assertGreater(len(calls), 30)
        self.assertIn(("account.invoice", "webo_register_payment", True,
                       ["amount", "payment_date=None", "journal_id=None", "communication=None",
                        "idempotency_key=None"]), calls)

    def test_every_documented_method_exists_with_its_signature(self):
        for model, name, on_records, arguments in documented_calls():
            with self.subTest(call="%s.%s" % (model, name)):
                self.assertIn(model, self.env.registry, "no model %s" % model)
                method = getattr(type(self.env[model]), name, None)
                self.assertTrue(callable(method), "no method %s.%s" % (model, name))
                self.assertFalse(name.startswith("_"), "private methods cannot be called over XML-RPC")
                self.assertEqual(getattr(method, "_api", None) != "model", on_records,
                                 "%s.%s: [ids] first exactly when it acts on records" % (model, name))
                parameters = [str(parameter)
                              for parameter in list(inspect.signature(method).parameters.values())[1:]]
                self.assertEqual(parameters, arguments)

    def test_every_public_method_is_documented(self):
        documented = {(model, name) for model, name, _records, _arguments in documented_calls()}
        public = set()
        for model in self.env.registry:
            cls = type(self.env[model])
            if cls._abstract:
                # A mixin has no records to call: its methods are documented
                # on the models that inherit it.
                continue
            for name in dir(cls):
                if name.startswith(("webo_", "action_")) and getattr(
                        getattr(cls, name, None), "webo_public", False):
                    public.add((model, name))
        self.assertGreater(len(public), 30)
        self.assertEqual(sorted(public - documented), [], "public methods missing from the reference")
