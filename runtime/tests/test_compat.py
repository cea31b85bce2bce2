"""Every compatibility fix is needed, and enough, for a real Odoo code path.

Each case runs in a fresh interpreter, because the fixes patch the interpreter
and Odoo's modules for good: once with every fix but the one under test (the
code must fail with the error that fix answers), once with every fix (the
code must run and its assertions hold).
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import webo_compat

RUNTIME = Path(webo_compat.__file__).resolve().parents[1]

# (fix, error printed without it, Odoo code that needs it)
CASES = [
    (
        "collections_abc",
        "cannot import name 'Iterable' from 'collections'",
        """
        import odoo
        """,
    ),
    (
        "inspect_argspec",
        "cannot import name 'formatargspec' from 'inspect'",
        """
        from odoo.tools import ormcache

        def _compute(self, model_name, mode="read"):
            pass

        cache = ormcache("model_name", "mode")
        cache(_compute)
        assert cache.key(None, "res.partner") == ("res.partner", "read")
        """,
    ),
    (
        "safe_eval_opcodes",
        "forbidden opcode(s)",
        """
        from odoo.tools.safe_eval import safe_eval

        value = safe_eval("{'a': [1, 2], 'b': 'x%s' % 3}")
        assert value == {"a": [1, 2], "b": "x3"}
        """,
    ),
    (
        "base64_aliases",
        "module 'base64' has no attribute 'encodestring'",
        """
        import base64
        from odoo.addons.base.ir.ir_ui_menu import IrUiMenu

        icon = IrUiMenu.read_image(None, "base,static/description/icon.png")
        assert base64.b64decode(icon).startswith(b"\\x89PNG")
        """,
    ),
    (
        "qweb_ast",
        'required field "posonlyargs" missing from arguments',
        """
        from lxml import etree
        from odoo.addons.base.ir.ir_qweb.qweb import QWeb

        # Multi-line, so that nodes land past line 1 of the generated module.
        template = etree.fromstring('''
            <div t-name="demo">
                <p t-if="show" t-att-class="None if show else 1">on</p>
                <t t-else="">off</t>
                <b t-foreach="items" t-as="item"><t t-esc="item or False"/></b>
            </div>''')
        html = QWeb().render(template, {"show": True, "items": [1, 2]})
        assert b"".join(html.split()) == b"<div><p>on</p><b>1</b><b>2</b></div>", html
        """,
    ),
    (
        "thread_isalive",
        "'Thread' object has no attribute 'isAlive'",
        """
        import threading
        import time
        import types
        from odoo.service.server import ThreadedServer

        request = threading.Thread(target=time.sleep, args=(0.1,))
        request.start()
        server = types.SimpleNamespace(
            httpd=None, main_thread_id=threading.main_thread().ident
        )
        ThreadedServer.stop(server)  # waits for the request thread
        assert not request.is_alive()
        """,
    ),
    (
        "yaml_load",
        "missing 1 required positional argument: 'Loader'",
        """
        import importlib
        import logging
        from odoo.tools import yaml_tag
        from odoo.tools.yaml_import import YamlInterpreter

        # Its __init__ opens an Environment, which needs a database.
        interpreter = YamlInterpreter.__new__(YamlInterpreter)
        interpreter.loglevel = logging.DEBUG
        interpreter.process("- a comment")
        # Odoo's own tags must be known to the loader it reads .yml files with.
        yaml = importlib.import_module("odoo.tools.yaml_import").yaml
        assert isinstance(yaml.load("!eval '1 + 1'"), yaml_tag.Eval)
        """,
    ),
    (
        "element_tree",
        "object has no attribute 'getchildren'",
        """
        import tempfile
        from odoo.addons.web.controllers.main import concat_xml

        with tempfile.NamedTemporaryFile("w", suffix=".xml") as xml:
            xml.write('<templates><t t-name="a"/><t t-name="b"/></templates>')
            xml.flush()
            content, _checksum = concat_xml([xml.name])
        assert content == b'<templates><t t-name="a" /><t t-name="b" /></templates>'
        """,
    ),
    (
        "setrlimit_floats",
        "'float' object cannot be interpreted as an integer",
        """
        import os
        import resource
        import types
        from odoo.service.server import Worker

        # A prefork worker's limits: the CPU one is a float (used CPU time + limit).
        worker = types.SimpleNamespace(
            pid=os.getpid(), ppid=os.getppid(), request_count=0, request_max=1
        )
        Worker.process_limit(worker)
        assert resource.getrlimit(resource.RLIMIT_CPU)[0] >= 60
        """,
    ),
]
FIX_NAMES = [fix for fix, _error, _snippet in CASES]
SNIPPETS = [snippet for _fix, _error, snippet in CASES]


def run_with_fixes(snippet, exclude):
    script = (
        "import webo_compat\n"
        f"webo_compat.install(exclude={exclude!r})\n"
        + textwrap.dedent(snippet)
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(RUNTIME)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_fix_has_a_case():
    assert FIX_NAMES == list(webo_compat.FIXES)


@pytest.mark.parametrize(("fix", "error", "snippet"), CASES, ids=FIX_NAMES)
def test_odoo_fails_without_fix(fix, error, snippet):
    result = run_with_fixes(snippet, exclude=(fix,))
    assert result.returncode != 0
    assert error in result.stderr, result.stderr


@pytest.mark.parametrize("snippet", SNIPPETS, ids=FIX_NAMES)
def test_odoo_works_with_all_fixes(snippet):
    result = run_with_fixes(snippet, exclude=())
    assert result.returncode == 0, result.stderr
