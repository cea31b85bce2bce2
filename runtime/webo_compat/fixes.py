"""The nine repairs, one function each, and ``install()`` that applies them.

Every function names the Python change it answers and the Odoo code that
breaks without it. ``runtime/tests/test_compat.py`` proves, for each one,
that the Odoo code path fails without the repair and works with it.
"""
import ast
import base64
import builtins
import collections
import collections.abc
import importlib.util
import inspect
import resource
import sys
import threading
import types
from opcode import opmap

from .hooks import when_imported


# 1. Python 3.10 removed the ABC aliases from ``collections``
#    (odoo/modules/registry.py: ``from collections import Mapping``).
def fix_collections_abc():
    for name in collections.abc.__all__:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))


# 2. Python 3.11 removed ``inspect.getargspec`` and ``formatargspec``
#    (odoo/api.py, odoo/tools/cache.py builds ormcache keys from them).
ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")


def _getargspec(func):
    spec = inspect.getfullargspec(func)
    return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)


def _formatargspec(args, varargs=None, varkw=None, defaults=None, *_ignored):
    first_default = len(args) - len(defaults or ())
    parts = []
    for index, name in enumerate(args):
        if defaults and index >= first_default:
            name += "=" + repr(defaults[index - first_default])
        parts.append(name)
    if varargs is not None:
        parts.append("*" + varargs)
    if varkw is not None:
        parts.append("**" + varkw)
    return "(" + ", ".join(parts) + ")"


def fix_inspect_argspec():
    if not hasattr(inspect, "getargspec"):
        inspect.getargspec = _getargspec
    if not hasattr(inspect, "formatargspec"):
        inspect.formatargspec = _formatargspec


# 3. Python 3.11 compiles to opcodes that odoo.tools.safe_eval does not know,
#    so every evaluated expression is refused (``forbidden opcode(s) ...:
#    RESUME``). Each opcode added here is the 3.9-3.11 form of an operation
#    the sandbox already allowed; nothing that imports, builds closures, or
#    writes attributes is added.
_SANDBOX_CONST_OPCODES = (
    # no-ops and cache slots around every instruction
    "RESUME", "NOP", "CACHE",
    # stack shuffles that replace ROT_*/DUP_TOP*
    "COPY", "SWAP",
    # literal collections built by extension
    "LIST_EXTEND", "SET_UPDATE", "LIST_TO_TUPLE", "DICT_MERGE", "DICT_UPDATE",
)
_SANDBOX_EXPR_OPCODES = (
    # BINARY_*/INPLACE_* merged into one opcode
    "BINARY_OP",
    # ``is`` and ``in`` left COMPARE_OP
    "IS_OP", "CONTAINS_OP",
    # '%s' % x and f-strings
    "FORMAT_VALUE", "BUILD_STRING",
)
_SANDBOX_STATEMENT_OPCODES = (
    # the 3.11 calling sequence that replaces CALL_FUNCTION*/CALL_METHOD
    "PUSH_NULL", "PRECALL", "CALL", "KW_NAMES",
    # jumps renamed by direction
    "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT",
    "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE",
    "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_FORWARD_IF_NOT_NONE",
    "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE",
    "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE",
    # generator expressions start with it
    "RETURN_GENERATOR",
    # try/except, which SETUP_EXCEPT allowed before the exception table
    "PUSH_EXC_INFO", "CHECK_EXC_MATCH", "JUMP_IF_NOT_EXC_MATCH", "RERAISE",
)


def _opcodes(names):
    return {opmap[name] for name in names if name in opmap}


def _patch_safe_eval(module):
    const = _opcodes(_SANDBOX_CONST_OPCODES)
    expr = const | _opcodes(_SANDBOX_EXPR_OPCODES)
    statement = expr | _opcodes(_SANDBOX_STATEMENT_OPCODES)
    # In place: other modules hold references to these very sets.
    module._CONST_OPCODES |= const
    module._EXPR_OPCODES |= expr
    module._SAFE_OPCODES |= statement


def fix_safe_eval_opcodes():
    when_imported("odoo.tools.safe_eval", _patch_safe_eval)


# 4. Python 3.9 removed ``base64.encodestring``/``decodestring``
#    (odoo/addons/base/ir/ir_ui_menu.py read_image, ir_actions_report).
def fix_base64_aliases():
    if not hasattr(base64, "encodestring"):
        base64.encodestring = base64.encodebytes
    if not hasattr(base64, "decodestring"):
        base64.decodestring = base64.decodebytes


# 5. QWeb builds Python ASTs by hand that 3.8-3.11's compiler rejects:
#    ``arguments`` without ``posonlyargs``, ``Name('None')`` instead of a
#    constant, and end positions before start positions.
_NAME_CONSTANTS = {"None": None, "True": True, "False": False}


class _QWebTreeRepair(ast.NodeTransformer):
    def visit_Name(self, node):
        if node.id in _NAME_CONSTANTS:
            return ast.copy_location(ast.Constant(value=_NAME_CONSTANTS[node.id]), node)
        return node

    def visit_arguments(self, node):
        if not hasattr(node, "posonlyargs") or node.posonlyargs is None:
            node.posonlyargs = []
        return self.generic_visit(node)


def _repair_positions(tree):
    for node in ast.walk(tree):
        if not hasattr(node, "lineno"):
            continue
        end_lineno = getattr(node, "end_lineno", None)
        if end_lineno is None or end_lineno < node.lineno:
            node.end_lineno = node.lineno
        end_col = getattr(node, "end_col_offset", None)
        if node.end_lineno == node.lineno and (end_col is None or end_col < node.col_offset):
            node.end_col_offset = node.col_offset


def qweb_compile(source, filename, mode, *args, **kwargs):
    """``compile`` for QWeb's hand-built trees: repair them, then compile."""
    if isinstance(source, ast.AST):
        source = _QWebTreeRepair().visit(source)
        ast.fix_missing_locations(source)
        _repair_positions(source)
    return builtins.compile(source, filename, mode, *args, **kwargs)


def _patch_qweb(module):
    module.compile = qweb_compile


def fix_qweb_ast():
    when_imported("odoo.addons.base.ir.ir_qweb.qweb", _patch_qweb)


# 6. Python 3.9 removed ``Thread.isAlive`` (odoo/service/server.py,
#    odoo/tests/common.py wait for request threads with it).
def fix_thread_isalive():
    if not hasattr(threading.Thread, "isAlive"):
        threading.Thread.isAlive = threading.Thread.is_alive


# 7. PyYAML 6 made the Loader argument of ``yaml.load`` mandatory, and no
#    older PyYAML builds on 3.11 (odoo/tools/yaml_import.py). Odoo's own tags
#    are registered on ``yaml.Loader``, so that is the loader Odoo's .yml
#    files are read with; nothing else in the process changes.
def _yaml_module_for_odoo(yaml):
    proxy = types.ModuleType("yaml")
    proxy.__dict__.update(yaml.__dict__)

    def load(stream, Loader=None):
        return yaml.load(stream, Loader=Loader or yaml.Loader)

    proxy.load = load
    return proxy


def _patch_yaml_import(module):
    module.yaml = _yaml_module_for_odoo(module.yaml)


def fix_yaml_load():
    when_imported("odoo.tools.yaml_import", _patch_yaml_import)


# 8. Python 3.9 removed ``Element.getchildren``/``getiterator``; the web
#    client's template bundle (odoo/addons/web/controllers/main.py
#    concat_xml) calls them. The C Element type cannot take new methods, so
#    that module gets the pure-Python ElementTree with both restored.
def _pure_python_element_tree():
    origin = importlib.util.find_spec("xml.etree.ElementTree").origin
    spec = importlib.util.spec_from_file_location("xml.etree.webo_pure_ElementTree", origin)
    module = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("_elementtree")
    sys.modules["_elementtree"] = None  # makes its C accelerator import fail
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            sys.modules.pop("_elementtree", None)
        else:
            sys.modules["_elementtree"] = saved
    module.Element.getchildren = lambda self: list(self)
    module.Element.getiterator = module.Element.iter
    module.ElementTree.getiterator = module.ElementTree.iter
    return module


def _patch_web_controllers(module):
    module.ElementTree = _pure_python_element_tree()


def fix_element_tree():
    when_imported("odoo.addons.web.controllers.main", _patch_web_controllers)


# 9. Python 3.10's ``resource.setrlimit`` rejects floats; Odoo's prefork
#    workers pass configuration values that can be floats
#    (odoo/service/server.py), and every worker died at start.
_setrlimit = resource.setrlimit


def _integer_setrlimit(which, limits):
    soft, hard = limits
    return _setrlimit(which, (int(soft), int(hard)))


def fix_setrlimit_floats():
    if resource.setrlimit is _setrlimit:
        resource.setrlimit = _integer_setrlimit


FIXES = {
    "collections_abc": fix_collections_abc,
    "inspect_argspec": fix_inspect_argspec,
    "safe_eval_opcodes": fix_safe_eval_opcodes,
    "base64_aliases": fix_base64_aliases,
    "qweb_ast": fix_qweb_ast,
    "thread_isalive": fix_thread_isalive,
    "yaml_load": fix_yaml_load,
    "element_tree": fix_element_tree,
    "setrlimit_floats": fix_setrlimit_floats,
}


def install(exclude=()):
    """Apply every repair but those named in ``exclude`` (used by tests)."""
    unknown = set(exclude) - set(FIXES)
    if unknown:
        raise ValueError("unknown compatibility fixes: %s" % ", ".join(sorted(unknown)))
    for name, fix in FIXES.items():
        if name not in exclude:
            fix()
