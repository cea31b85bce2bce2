"""Brings an addon's fr.po in line with its freshly exported .pot.

    python runtime/po_merge.py <addon>

Every entry of the .pot is written to fr.po in the .pot's order, with the
references Odoo needs (``#: model:...``), keeping the French translation
fr.po already had for the same source string. Terms without a translation
are listed; the test suite fails until they have one.
"""
import ast
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(path):
    """The entries of a .po file: (comment lines, msgid, msgstr)."""
    entries = []
    with open(path, encoding="utf-8") as po:
        blocks = po.read().strip().split("\n\n")
    for block in blocks:
        lines = block.splitlines()
        comments = [line for line in lines if line.startswith("#")]
        strings = {"msgid": [], "msgstr": []}
        current = None
        for line in lines:
            if line.startswith(("msgid ", "msgstr ")):
                current, _, literal = line.partition(" ")
                strings[current].append(literal)
            elif line.startswith('"') and current:
                strings[current].append(line)
        entries.append((comments, _unquote(strings["msgid"]), _unquote(strings["msgstr"])))
    return entries


def _unquote(literals):
    # PO strings are C-escaped double-quoted literals, as Python's are.
    return "".join(ast.literal_eval(literal) for literal in literals)


def _quote(text):
    pieces = text.splitlines(keepends=True) or [""]
    quoted = ['"%s"' % p.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
              for p in pieces]
    return quoted[0] if len(quoted) == 1 else '""\n' + "\n".join(quoted)


def merge(addon):
    i18n = os.path.join(REPO, addon, "i18n")
    template = parse(os.path.join(i18n, addon + ".pot"))
    po_path = os.path.join(i18n, "fr.po")
    known = {}
    header = None
    if os.path.exists(po_path):
        for comments, msgid, msgstr in parse(po_path):
            if msgid:
                known[msgid] = msgstr
            else:
                header = (comments, msgstr)
    out, missing = [], []
    for comments, msgid, msgstr in template:
        if not msgid:
            comments, msgstr = header or (comments, msgstr)
        else:
            msgstr = known.get(msgid, "")
            if not msgstr:
                missing.append(msgid)
        out.append("\n".join([*comments, "msgid " + _quote(msgid), "msgstr " + _quote(msgstr)]))
    with open(po_path, "w", encoding="utf-8") as po:
        po.write("\n\n".join(out) + "\n")
    return missing


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python runtime/po_merge.py <addon>")
    untranslated = merge(sys.argv[1])
    for msgid in untranslated:
        print("untranslated: %r" % msgid)
