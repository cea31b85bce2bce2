#!/usr/bin/env bash
# Installs the Debian packages the runtime needs, only those that are missing.
set -euo pipefail

# icc-profiles-free: the sRGB colour profile of the invoices' PDF/A-3.
# libzbar0: the QR decoder the tests read the EPC QR code back with (pyzbar).
# gettext: msgmerge and msgattrib, with which make pot merges a .pot into fr.po.
packages=(postgresql libpq-dev wkhtmltopdf node-less fonts-dejavu-core chromium chromium-driver openssl
          poppler-utils icc-profiles-free libzbar0 gettext)

missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "webo: installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
