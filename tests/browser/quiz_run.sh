#!/bin/sh
# quiz_run.sh TG OUTDIR -- the browser test of `tg quiz --format html`:
# writes the circuit's worksheet with TG and drives Debian's headless
# chromium over it with playwright-core (quiz_page.mjs), leaving a
# screenshot in OUTDIR. Exits 77 (CTest's skip) with a message when
# chromium, node or playwright-core is missing, as run.sh does.
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
"$tg" quiz '(x+y)*z' x=-2 y=5 z=-4 --format html >"$out/circuit-quiz.html"
exec node "$here/quiz_page.mjs" "$chromium" "$out"
