#!/usr/bin/env bash
# Shared by the bench scripts: results_section MARK TEXT FILE puts TEXT (which starts with
# "<!-- MARK -->" and ends with "<!-- /MARK -->") in place of FILE's MARK section, or appends
# it when FILE has none; the rest of FILE is kept.
results_section() {
  local mark="$1" text="$2" file="$3"
  if grep -qx "<!-- $mark -->" "$file" 2>/dev/null; then
    python3 - "$file" "$mark" "$text" <<'PY'
import re, sys
path, mark, section = sys.argv[1:4]
text = open(path).read()
pat = re.compile("<!-- %s -->.*?<!-- /%s -->" % (re.escape(mark), re.escape(mark)), re.S)
open(path + ".new", "w").write(pat.sub(lambda m: section, text))
PY
    mv "$file.new" "$file"
  else
    printf '\n%s\n' "$text" >> "$file"
  fi
}
