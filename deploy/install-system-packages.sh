#!/usr/bin/env bash
# Debian packages Minqing needs on a fresh machine (run as root, or it says what to run).
#  - libharfbuzz-subset0: WeasyPrint subsets fonts with it; without it one A4 page takes ~19 s.
#  - fonts-noto-cjk, fonts-wqy-microhei: the CJK fonts embedded in every PDF.
#  - chromium: the browser tests drive Debian's Chromium through Playwright (no browser download).
#  - poppler-utils: pdftoppm/pdftotext, to look at generated PDFs.
#  - wrk: the HTTP load generator of bench/bench_server.py (`make bench`).
set -euo pipefail
PACKAGES=(libharfbuzz-subset0 fonts-noto-cjk fonts-wqy-microhei chromium poppler-utils wrk)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Please install: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
