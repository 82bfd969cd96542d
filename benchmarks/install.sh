#!/usr/bin/env bash
# The README's run-command install, from a fresh clone at REF: wall time, virtual environment size,
# whether PyTorch came along, and how long `sadap`'s configuration takes to load (median of 5).
# usage: benchmarks/install.sh [REF]   (default HEAD; run it for two refs in turn to compare)
set -euo pipefail
ref=${1:-HEAD}
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
git clone -q "$repo" "$dir/sadap" && cd "$dir/sadap" && git checkout -q "$ref"
start=$(date +%s.%N)
python3 -m venv .venv && .venv/bin/pip install -q --no-cache-dir -c constraints.txt -e . > "$dir/pip.log" 2>&1
end=$(date +%s.%N)
module=sadap.app.config; [ -f sadap/config.py ] && module=sadap.config
times=$(for i in 1 2 3 4 5; do /usr/bin/time -f "%e" .venv/bin/python -c "from $module import load_config; load_config()" 2>&1 >/dev/null | tail -1; done | sort -n)
echo "$ref: install $(echo "$end - $start" | bc) s, venv $(du -sm .venv | cut -f1) MB, torch $(.venv/bin/pip list 2>/dev/null | grep -ci '^torch ' || true), load_config median $(echo "$times" | sed -n 3p) s"
rm -rf "$dir"
