#!/bin/sh
# quiz_run.sh TG OUTDIR -- the browser test of `tg quiz --format html`:
# writes the circuit's worksheet with TG and drives Debian's headless
# chromium over it with playwright-core (quiz_page.mjs), leaving a
# screenshot in OUTDIR. Skipped (exit 77) as run.sh is (page_env.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tg=$1
out=$2
. "$here/page_env.sh"
mkdir -p "$out"
"$tg" quiz '(x+y)*z' x=-2 y=5 z=-4 --format html >"$out/circuit-quiz.html"
exec node "$here/quiz_page.mjs" "$chromium" "$out"
