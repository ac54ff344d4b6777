#!/bin/sh
# run.sh TG OUTDIR -- the browser test of `tg explain --format html`: writes
# pages with TG, drives Debian's headless chromium over them with
# playwright-core (explain_page.mjs) and leaves a screenshot in OUTDIR.
# Exits 77 (CTest's skip) with a message when chromium, node or
# playwright-core is missing: tools/bootstrap.sh installs all three.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tg=$1
out=$2
chromium=${CHROMIUM:-/usr/lib/chromium/chromium}
if [ ! -x "$chromium" ]; then
    echo "SKIP: no chromium at $chromium (apt-get install chromium, or sh tools/bootstrap.sh)"
    exit 77
fi
if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: no node (apt-get install nodejs, or sh tools/bootstrap.sh)"
    exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "SKIP: no playwright-core in tests/browser (npm ci --prefix tests/browser, or sh tools/bootstrap.sh)"
    exit 77
fi
mkdir -p "$out"
"$tg" explain '(x+y)*z' x=-2 y=5 z=-4 --format html >"$out/circuit.html"
"$tg" explain 'h = sigmoid(W1 @ x + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)' \
    'x=[0.05,0.10]' 'W1=[[0.15,0.20],[0.25,0.30]]' b1=0.35 'W2=[[0.40,0.45],[0.50,0.55]]' \
    b2=0.60 't=[0.01,0.99]' --wrt W1,b1,W2,b2 --format html >"$out/mazur.html"
exec node "$here/explain_page.mjs" "$chromium" "$out"
