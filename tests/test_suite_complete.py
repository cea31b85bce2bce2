"""Every test module of the addons runs: Odoo's runner runs only the
modules each addon's ``tests/__init__.py`` imports, and a module left out
there is never run, silently."""
import pathlib
import re

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("addon", ["webo_sale", "webo_purchase_credit"])
def test_every_test_module_of_the_addon_is_imported(addon):
    folder = REPO / addon / "tests"
    imported = set(re.findall(r"^from \. import (\w+)", (folder / "__init__.py").read_text(), re.M))
    modules = {path.stem for path in folder.glob("test_*.py")}
    assert modules - imported == set(), "not run by Odoo's runner: import them in tests/__init__.py"
