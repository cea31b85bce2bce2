"""The safe_eval fix lets Odoo's expressions through and nothing more.

It widens odoo.tools.safe_eval's opcode sets for Python 3.11; these tests keep
the sandbox's walls standing: no imports, dunder access, closures, attribute
writes, or builtins outside its whitelist.
"""
import importlib
from opcode import opname

import pytest

from odoo.addons.base.ir.ir_qweb.ir_qweb import IrQWeb
from odoo.tools.safe_eval import const_eval, expr_eval, safe_eval

# odoo.tools re-exports the safe_eval function under the module's name.
sandbox = importlib.import_module("odoo.tools.safe_eval")


def _function():
    pass


CONTEXT = {
    "context": {"lang": "fr_FR", "x": 3},
    "ids": [1, 2],
    "partner": None,
    "defaults": {"state": "draft"},
    "function": _function,
}

# (code, mode, exception, text of its message)
REFUSED = [
    ("__import__('os')", "eval", NameError, "forbidden name '__import__'"),
    ("import os", "exec", ValueError, "IMPORT_NAME"),
    ("from os import path", "exec", ValueError, "IMPORT_FROM"),
    ("().__class__.__bases__", "eval", NameError, "forbidden name '__class__'"),
    ("function.__globals__", "eval", NameError, "forbidden name '__globals__'"),
    ("function.__code__", "eval", NameError, "forbidden name '__code__'"),
    ("exec('1')", "eval", ValueError, "name 'exec' is not defined"),
    ("eval('1')", "eval", ValueError, "name 'eval' is not defined"),
    ("open('/etc/passwd')", "eval", ValueError, "name 'open' is not defined"),
    ("(lambda x: (lambda: x))(1)()", "eval", ValueError, "LOAD_CLOSURE"),
    ("partner.name = 1", "exec", ValueError, "STORE_ATTR"),
    ("del partner.name", "exec", ValueError, "DELETE_ATTR"),
    ("global ids\nids = 1", "exec", ValueError, "STORE_GLOBAL"),
]

# (expression, its value in CONTEXT)
ACCEPTED = [
    (
        "[('state', 'in', ['draft']), ('id', 'not in', ids), ('x', '=', partner is None)]",
        [("state", "in", ["draft"]), ("id", "not in", [1, 2]), ("x", "=", True)],
    ),
    ("'%s-%05d' % ('SO', 42)", "SO-00042"),
    ("f'{context[\"lang\"]}/{len(ids):03d}'", "fr_FR/002"),
    (
        "{**defaults, 'ids': [*ids, 3], 'set': {*ids}, 'tuple': (*ids,)}",
        {"state": "draft", "ids": [1, 2, 3], "set": {1, 2}, "tuple": (1, 2)},
    ),
    ("0 < context.get('x') <= 3 and context.get('y') is None", True),
    ("context.get('x')", 3),
    ("dict(context, x=4)['x']", 4),
    ("sum(i * 2 for i in ids)", 6),
    ("[i for i in ids if i % 2]", [1]),
]

# (statements, value they leave in ``result``)
ACCEPTED_EXEC = [
    ("try:\n    result = 1 / 0\nexcept Exception as e:\n    result = str(e)\n",
     "division by zero"),
    ("result = 0\nfor i in ids:\n    if i > 1:\n        break\n    result += i\n", 1),
]

# Opcodes that reach outside the sandbox: imports, cells, attribute and global writes.
FORBIDDEN_OPCODES = {
    "IMPORT_NAME", "IMPORT_FROM", "IMPORT_STAR",
    "LOAD_CLOSURE", "MAKE_CELL", "LOAD_DEREF",
    "STORE_ATTR", "DELETE_ATTR", "STORE_GLOBAL",
}


@pytest.mark.parametrize(("code", "mode", "error", "message"), REFUSED)
def test_safe_eval_refuses(code, mode, error, message):
    with pytest.raises(error) as caught:
        safe_eval(code, CONTEXT, mode=mode)
    assert message in str(caught.value)


@pytest.mark.parametrize("evaluate", [const_eval, expr_eval])
def test_restricted_evaluators_refuse_lambdas(evaluate):
    with pytest.raises(ValueError, match="MAKE_FUNCTION"):
        evaluate("(lambda: 1)()")


@pytest.mark.parametrize(("expression", "value"), ACCEPTED)
def test_safe_eval_accepts(expression, value):
    assert safe_eval(expression, CONTEXT) == value


@pytest.mark.parametrize(("statements", "value"), ACCEPTED_EXEC)
def test_safe_eval_exec_accepts(statements, value):
    # As ir.actions.server runs code: results are read back from the context.
    namespace = dict(CONTEXT)
    safe_eval(statements, namespace, mode="exec", nocopy=True)
    assert namespace["result"] == value


def test_restricted_evaluators_accept_literals():
    assert const_eval("[1, (2, 3), {'a': None}, {4, 5}]") == [1, (2, 3), {"a": None}, {4, 5}]
    assert expr_eval("2 ** 3 - 7 // 2 % 2") == 7


def test_qweb_template_expressions_pass_the_sandbox():
    # IrQWeb checks them against the _SAFE_OPCODES it imported by name.
    IrQWeb._compile_expr(None, "[line.name for line in lines if line.qty is not None]")


@pytest.mark.parametrize("name", ["_CONST_OPCODES", "_EXPR_OPCODES", "_SAFE_OPCODES"])
def test_opcode_sets_allow_nothing_dangerous(name):
    allowed = {opname[code] for code in getattr(sandbox, name)}
    assert "RESUME" in allowed  # the fix is installed
    assert allowed & FORBIDDEN_OPCODES == set()
