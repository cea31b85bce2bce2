"""The addons' manifests: every third-party module their code imports is
declared in ``external_dependencies`` (Odoo refuses the installation when one
is missing, instead of failing at the first use) and pinned in
requirements.txt."""
import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ADDONS = ("webo_sale", "webo_purchase_credit")


def manifest(addon):
    return ast.literal_eval((REPO / addon / "__manifest__.py").read_text())


def third_party_imports(path):
    """Top-level names of the absolute imports of a Python file that are
    neither the standard library nor Odoo."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "odoo"}


def addon_imports(addon, tests):
    """{module name: [files]} of an addon's code (``tests``: its tests only)."""
    found = {}
    for path in sorted((REPO / addon).rglob("*.py")):
        if ("tests" in path.relative_to(REPO / addon).parts) == tests:
            for name in third_party_imports(path):
                found.setdefault(name, []).append(str(path.relative_to(REPO)))
    return found


def normalized(distribution):
    return re.sub(r"[-_.]+", "-", distribution).lower()


def pinned_distributions():
    pins = set()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
        if match:
            pins.add(normalized(match.group(1)))
    return pins


def distributions_of(module):
    return {normalized(name) for name in importlib.metadata.packages_distributions().get(module, ())}


def test_the_scan_sees_imports_inside_functions_and_skips_relative_ones(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text("import os\nfrom . import models\nfrom odoo import api\n"
                      "def f():\n    from PIL import Image\n    import lxml.etree\n")
    assert third_party_imports(source) == {"PIL", "lxml"}


@pytest.mark.parametrize("addon", ADDONS)
def test_every_third_party_import_is_declared(addon):
    declared = set(manifest(addon).get("external_dependencies", {}).get("python", []))
    undeclared = {name: files for name, files in addon_imports(addon, tests=False).items()
                  if name not in declared}
    assert not undeclared, "imported but not in external_dependencies: %s" % undeclared


@pytest.mark.parametrize("addon", ADDONS)
def test_every_declared_and_test_dependency_is_installed_and_pinned(addon):
    declared = manifest(addon).get("external_dependencies", {}).get("python", [])
    pins = pinned_distributions()
    modules = set(declared) | set(addon_imports(addon, tests=True))
    unpinned = {}
    for module in sorted(modules):
        distributions = distributions_of(module)
        assert distributions, "%s is not installed by runtime/setup.sh" % module
        if not distributions & pins:
            unpinned[module] = sorted(distributions)
    assert not unpinned, "not pinned in requirements.txt: %s" % unpinned


def test_webo_sale_declares_the_libraries_the_issue_named():
    declared = manifest("webo_sale")["external_dependencies"]["python"]
    assert {"num2words", "stdnum", "PyPDF2", "PIL"} <= set(declared)
