#!/usr/bin/env bash
# Writes the default model's corpus: the King James Bible from Debian's bible-kjv package, one verse per line,
# with the verse references ("Ge1:1 ") stripped. Usage: scripts/kjv_corpus.sh OUT.txt
set -euo pipefail
out=${1:?usage: kjv_corpus.sh OUT.txt}
command -v bible >/dev/null || { echo "error: 'bible' not found: apt-get install bible-kjv" >&2; exit 1; }
bible -f 'Gen1:1-Rev22:21' | sed -E 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //' > "$out"
