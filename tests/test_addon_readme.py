"""Each addon's README.rst is the one made from its readme/ fragments
(runtime/gen_addon_readme.py, OCA's layout): nobody edits it by hand, and
a fragment changed without regenerating it fails here."""
import importlib.util
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("gen_addon_readme", REPO / "runtime" / "gen_addon_readme.py")
gen_addon_readme = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(gen_addon_readme)


@pytest.mark.parametrize("addon", gen_addon_readme.ADDONS)
def test_the_committed_readme_is_the_generated_one(addon):
    committed = (REPO / addon / "README.rst").read_text(encoding="utf-8")
    assert committed == gen_addon_readme.generate(REPO / addon), \
        "%s/README.rst differs from its readme/ fragments: run runtime/gen_addon_readme.py" % addon


@pytest.mark.parametrize("addon", gen_addon_readme.ADDONS)
def test_the_addon_has_the_oca_fragments(addon):
    for fragment in ("DESCRIPTION", "CONFIGURE", "USAGE", "ROADMAP", "CONTRIBUTORS"):
        assert gen_addon_readme.read_fragment(REPO / addon, fragment), "%s/readme/%s.rst" % (addon, fragment)


def test_a_fragment_change_makes_another_readme(tmp_path):
    addon = tmp_path / "webo_sale"
    (addon / "readme").mkdir(parents=True)
    manifest = (REPO / "webo_sale" / "__manifest__.py").read_text(encoding="utf-8")
    (addon / "__manifest__.py").write_text(manifest, encoding="utf-8")
    (addon / "readme" / "DESCRIPTION.rst").write_text("First.\n", encoding="utf-8")
    first = gen_addon_readme.generate(addon)
    (addon / "readme" / "ROADMAP.rst").write_text("* A limit.\n", encoding="utf-8")
    second = gen_addon_readme.generate(addon)
    assert "First." in first and "Known issues / Roadmap" not in first
    assert "Known issues / Roadmap\n======================\n\n* A limit.\n" in second
