#!/bin/sh
# plot-check.sh TG CHECK_PLOT OUTDIR descend|fit -- writes the SVG plot of
# `tg descend --plot` (the notes' x^2 - 10) or `tg fit --plot` (a decay curve
# from a CSV file) into OUTDIR and checks with tools/tg/check-plot.sh that
# headless Chromium renders it as a drawing whose curves show as lines; the
# PNG it rendered stays in OUTDIR. Exits 77 (CTest's skip) when Chromium is
# missing: tools/bootstrap.sh installs it.
set -eu
tg=$1
check_plot=$2
out=$3
command=$4
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 &&
    ! command -v google-chrome >/dev/null 2>&1; then
    echo "SKIP: no Chromium (apt-get install chromium, or sh tools/bootstrap.sh)"
    exit 77
fi
mkdir -p "$out"
case $command in
descend)
    "$tg" descend 'x^2 - 10' x=3 --lr 0.25 --steps 8 --plot "$out/descend.svg" >/dev/null
    ;;
fit)
    # 2.5 exp(-0.7 t) + 0.3 to four decimals, as docs/tg/fit.md's decay.csv
    printf 't,y\n0,2.8000\n0.5,2.0617\n1,1.5415\n1.5,1.1748\n2,0.9165\n3,0.6061\n4,0.4520\n5,0.3755\n6,0.3375\n8,0.3092\n' \
        >"$out/decay.csv"
    "$tg" fit 'a*exp(-b*t) + c' --data "$out/decay.csv" --params a=1,b=0.1,c=0 --target y \
        --opt adam --lr 0.05 --steps 400 --plot "$out/fit.svg" >/dev/null
    ;;
*)
    echo "usage: $0 TG CHECK_PLOT OUTDIR descend|fit" >&2
    exit 2
    ;;
esac
exec sh "$check_plot" "$out/$command.svg" "$out/$command.png"
