#!/usr/bin/env bash
# Refresh the English catalogue after changing interface strings, then compile it.
#   scripts/i18n.sh          extract → update app/translations/en → compile
# Chinese is the source language (msgids are the Chinese text); English is translated in the .po.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o "$pot" . >/dev/null 2>&1
.venv/bin/pybabel update -i "$pot" -d app/translations -l en --no-fuzzy-matching >/dev/null 2>&1
.venv/bin/pybabel compile -d app/translations >/dev/null 2>&1
rm -f "$pot"
untranslated=$(.venv/bin/python - <<'PY'
from babel.messages.pofile import read_po
with open("app/translations/en/LC_MESSAGES/messages.po", "rb") as f:
    catalog = read_po(f)
print(sum(1 for m in catalog if m.id and not m.string))
PY
)
echo "English catalogue updated; untranslated: $untranslated"
