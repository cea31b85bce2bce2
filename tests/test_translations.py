"""Every term Odoo exports for an addon has a French translation, and the committed .pot is current."""
import ast
import subprocess

import pytest

ADDONS = ["webo_sale", "webo_purchase_credit"]
EXPORT_TIMEOUT_S = 120


def read_po(path):
    """{msgid: msgstr} of a .po/.pot file, without its header (the entry of msgid "").

    Comments (``#.``, ``#:`` references, ``#,`` flags) are skipped; a string
    may continue on the following lines.
    """
    entries = {}
    keyword = None
    strings = {}

    def close_entry():
        if strings.get("msgid"):
            entries[strings["msgid"]] = strings.get("msgstr", "")

    with open(path, encoding="utf-8") as po:
        for number, line in enumerate(po, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith('"'):
                if keyword is None:
                    raise ValueError("%s:%d: a string outside an entry" % (path, number))
                strings[keyword] += ast.literal_eval(line)
                continue
            keyword, _, string = line.partition(" ")
            if keyword not in ("msgid", "msgstr"):
                raise ValueError("%s:%d: unexpected %r" % (path, number, keyword))
            if keyword == "msgid":
                close_entry()
                strings = {}
            strings[keyword] = ast.literal_eval(string)
    close_entry()
    return entries


@pytest.fixture(scope="module", params=ADDONS)
def addon(request):
    return request.param


@pytest.fixture(scope="module")
def exported_terms(addon, database, repo_dir, tmp_path_factory):
    """The terms Odoo exports now for the addon, from the test database."""
    path = tmp_path_factory.mktemp("i18n") / ("%s.po" % addon)  # Odoo picks the format by extension
    result = subprocess.run(
        [str(repo_dir / "runtime" / "odoo"), "-d", database, "--i18n-export=%s" % path,
         "--modules=%s" % addon, "--stop-after-init", "--log-level=warn"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=EXPORT_TIMEOUT_S)
    assert result.returncode == 0 and path.exists(), "the export of %s failed:\n%s" % (
        addon, result.stdout[-3000:])
    return read_po(path)


def listing(terms):
    return "\n".join("  %r" % term for term in sorted(terms))


def test_every_exported_term_has_a_french_translation(repo_dir, addon, exported_terms):
    french = read_po(repo_dir / addon / "i18n" / "fr.po")
    untranslated = [msgid for msgid in exported_terms if not french.get(msgid, "").strip()]
    assert not untranslated, "%d terms of %s have no French translation in i18n/fr.po:\n%s" % (
        len(untranslated), addon, listing(untranslated))


def test_committed_pot_matches_a_fresh_export(repo_dir, addon, exported_terms):
    pot = repo_dir / addon / "i18n" / ("%s.pot" % addon)
    committed, exported = set(read_po(pot)), set(exported_terms)
    assert not committed ^ exported, "%s is stale (make pot)\nmissing from it:\n%s\nobsolete in it:\n%s" % (
        pot.relative_to(repo_dir), listing(exported - committed), listing(committed - exported))
