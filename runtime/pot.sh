#!/usr/bin/env bash
# make pot: exports each addon's terms from a database that has the addons
# at the code's version (WEBO_TEST_DB) into <addon>/i18n/<addon>.pot, then
# merges it into fr.po with gettext's msgmerge: the French of unchanged
# terms kept, new terms added without a translation (listed at the end),
# terms gone from the code dropped. No fuzzy matching: a new term never
# inherits the French of a similar one.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
database=${WEBO_TEST_DB:-webo_test}
export_dir=$(mktemp -d)
trap 'rm -rf "$export_dir"' EXIT

for addon in webo_sale webo_purchase_credit; do
    i18n="$repo/$addon/i18n"
    "$repo/runtime/odoo" -d "$database" --i18n-export="$export_dir/$addon.po" \
        --modules="$addon" --stop-after-init --log-level=warn
    # The export's dates would change the .pot at every run.
    sed -e '/^"POT-Creation-Date/d' -e '/^"PO-Revision-Date/d' "$export_dir/$addon.po" > "$i18n/$addon.pot"
    msgmerge --quiet --update --backup=off --no-fuzzy-matching --no-wrap "$i18n/fr.po" "$i18n/$addon.pot"
    msgattrib --no-obsolete --no-wrap --output-file="$i18n/fr.po" "$i18n/fr.po"
    msgattrib --untranslated --no-location --no-wrap "$i18n/fr.po" \
        | sed -n -e 's/^msgid "\(..*\)"$/'"$addon"': untranslated: \1/p'
done
