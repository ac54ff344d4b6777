#!/bin/sh
# run.sh TG OUTDIR -- the browser test of `tg explain --format html`: writes
# pages with TG, drives Debian's headless chromium over them with
# playwright-core (explain_page.mjs) and leaves a screenshot in OUTDIR.
# Skipped (exit 77) without chromium, node or playwright-core (page_env.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tg=$1
out=$2
. "$here/page_env.sh"
mkdir -p "$out"
"$tg" explain '(x+y)*z' x=-2 y=5 z=-4 --format html >"$out/circuit.html"
"$tg" explain 'h = sigmoid(W1 @ x + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)' \
    'x=[0.05,0.10]' 'W1=[[0.15,0.20],[0.25,0.30]]' b1=0.35 'W2=[[0.40,0.45],[0.50,0.55]]' \
    b2=0.60 't=[0.01,0.99]' --wrt W1,b1,W2,b2 --format html >"$out/mazur.html"
exec node "$here/explain_page.mjs" "$chromium" "$out"
