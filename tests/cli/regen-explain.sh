#!/bin/sh
# regen-explain.sh -- rewrites docs/explain/ from tests/cli/explain-examples.tsv
# with a built tg (default build/tools/tg; or pass its path). The CLI suite
# fails when the checked-in files differ from what tg prints.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tg=${1:-$root/build/tools/tg}
tab=$(printf '\t')
mkdir -p "$root/docs/explain"
grep -v '^#' "$root/tests/cli/explain-examples.tsv" | while IFS= read -r line; do
    [ -n "$line" ] || continue
    set -f
    old_ifs=$IFS
    IFS=$tab
    # shellcheck disable=SC2086 -- split on tabs into name and arguments
    set -- $line
    IFS=$old_ifs
    set +f
    name=$1
    shift
    "$tg" "$@" >"$root/docs/explain/$name"
    echo "docs/explain/$name"
done
