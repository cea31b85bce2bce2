"""Write each addon's README.rst from its readme/ fragments, in the layout
of OCA's addon READMEs (oca-gen-addon-readme, which is not on PyPI).

    .venv/bin/python runtime/gen_addon_readme.py            # write them
    .venv/bin/python runtime/gen_addon_readme.py --check    # exit 1 if one is stale

The README is the manifest's name as title, a licence badge, DESCRIPTION,
a table of contents, then one section per fragment present (INSTALL,
CONFIGURE, USAGE, ROADMAP, HISTORY) and the credits (authors from the
manifest, CONTRIBUTORS, CREDITS). ``tests/test_addon_readme.py`` checks
that the committed READMEs are what this script makes.
"""
import ast
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
ADDONS = ("webo_sale", "webo_purchase_credit")

# (fragment, section title), in the order of the README.
SECTIONS = (
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
)

LICENCES = {
    "LGPL-3": ("LGPL--3", "http://www.gnu.org/licenses/lgpl-3.0-standalone.html"),
    "AGPL-3": ("AGPL--3", "http://www.gnu.org/licenses/agpl-3.0-standalone.html"),
}

GENERATED_NOTE = """\
.. !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
   !! This file is generated from readme/*.rst by       !!
   !! runtime/gen_addon_readme.py: edit the fragments.  !!
   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


def read_manifest(addon_dir):
    return ast.literal_eval((addon_dir / "__manifest__.py").read_text(encoding="utf-8"))


def read_fragment(addon_dir, name):
    """The fragment's text without trailing blank lines, or None when absent or empty."""
    path = addon_dir / "readme" / ("%s.rst" % name)
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8").strip("\n")
    return text or None


def title(text, char, overline=False):
    rule = char * len(text)
    if overline:
        return "%s\n%s\n%s\n" % (rule, text, rule)
    return "%s\n%s\n" % (text, rule)


def licence_badge(licence):
    label, url = LICENCES[licence]
    return (
        "|badge1|\n\n"
        ".. |badge1| image:: https://img.shields.io/badge/licence-%s-blue.png\n"
        "    :target: %s\n"
        "    :alt: License: %s\n" % (label, url, licence)
    )


def generate(addon_dir):
    """The README.rst text of the addon in ``addon_dir``."""
    manifest = read_manifest(addon_dir)
    description = read_fragment(addon_dir, "DESCRIPTION")
    if description is None:
        raise SystemExit("%s: readme/DESCRIPTION.rst is missing or empty" % addon_dir.name)
    parts = [title(manifest["name"], "=", overline=True), GENERATED_NOTE, licence_badge(manifest["license"]),
             description + "\n", "**Table of contents**\n\n.. contents::\n   :local:\n"]
    for fragment, heading in SECTIONS:
        text = read_fragment(addon_dir, fragment)
        if text is not None:
            parts.append(title(heading, "=") + "\n" + text + "\n")
    credits = [title("Credits", "="), title("Authors", "~")]
    credits.append("".join("* %s\n" % author.strip() for author in manifest["author"].split(",")))
    for fragment, heading in (("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits")):
        text = read_fragment(addon_dir, fragment)
        if text is not None:
            credits.append(title(heading, "~") + "\n" + text + "\n")
    credits.append(title("Maintainers", "~") + "\nThis module is maintained by %s (%s).\n"
                   % (manifest["author"], manifest["website"]))
    parts.append("\n".join(credits))
    return "\n".join(parts)


def main(argv):
    check = "--check" in argv
    stale = []
    for addon in ADDONS:
        addon_dir = REPO / addon
        readme = addon_dir / "README.rst"
        text = generate(addon_dir)
        if check:
            if not readme.exists() or readme.read_text(encoding="utf-8") != text:
                stale.append(addon)
        else:
            readme.write_text(text, encoding="utf-8")
    if stale:
        print("stale README.rst (run runtime/gen_addon_readme.py): %s" % ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
