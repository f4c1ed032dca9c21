#!/usr/bin/env bash
# Installs, from Debian's packages and only when missing, what the web layer needs on the host:
#   chromium            the browser the Playwright tests drive (never `playwright install`)
#   fonts-wqy-microhei  the TrueType CJK font of PDF reports and bulletins (WeasyPrint)
#   libpango*, libharfbuzz*, libfontconfig1  WeasyPrint's layout and font libraries
# Idempotent: a second run installs nothing. Works as root (CI) or through sudo.
set -euo pipefail

PACKAGES=(
  chromium
  fonts-wqy-microhei
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz0b
  libharfbuzz-subset0
  libfontconfig1
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "installing ${missing[*]} from Debian's packages" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
