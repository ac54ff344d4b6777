#!/bin/sh
# run.sh TG OUTDIR -- `tg explain --format latex --standalone` and `--format
# beamer` on the lecture notes' examples (the neuron, the nested network,
# Mazur's network with --expand) and on tensors (a long vector, a matrix read
# twice, a tensor of 3 axes), compiled with pdflatex in OUTDIR: each
# must compile without an error, give the pages listed below, and leave no
# Overfull \hbox (a line past the margin) nor Overfull \vbox (a frame or
# page taller than its room) in the log. pdflatex is required, not skipped:
# tools/bootstrap.sh installs it (texlive-latex-base, -recommended, -pictures
# for beamer's pgf, lmodern). Pages are counted by pdfinfo where it is
# installed, else as the /Type /Page objects of an uncompressed PDF, and
# checked against pdflatex's own count.
set -eu
tg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
if ! command -v pdflatex >/dev/null 2>&1; then
    echo "FAIL: no pdflatex (apt-get install texlive-latex-base texlive-latex-recommended" \
        "texlive-pictures lmodern, or sh tools/bootstrap.sh)"
    exit 1
fi
mkdir -p "$out"
cd "$out"
failures=0

# pages NAME: the page count of NAME.pdf
pages() {
    if command -v pdfinfo >/dev/null 2>&1; then
        pdfinfo "$1.pdf" | sed -n 's/^Pages: *//p'
    else
        grep -ao '/Type */Pages*' "$1.pdf" | grep -c 'Page$'
    fi
}

# check NAME PAGES FORMAT ARGS...: writes NAME.tex with tg, compiles it, checks it
check() {
    name=$1 want=$2 format=$3
    shift 3
    if [ "$format" = latex ]; then
        "$tg" explain "$@" --format latex --standalone >"$name.tex"
    else
        "$tg" explain "$@" --format beamer >"$name.tex"
    fi
    if ! pdflatex -interaction=nonstopmode -halt-on-error -jobname="$name" \
        '\pdfobjcompresslevel=0 \input{'"$name"'.tex}' >/dev/null 2>&1; then
        echo "FAIL $name: pdflatex stopped:"
        grep -A3 '^!' "$name.log" | head -8
        failures=$((failures + 1))
        return
    fi
    got=$(pages "$name")
    logged=$(sed -n 's/^Output written on .* (\([0-9]*\) pages\{0,1\},.*/\1/p' "$name.log")
    overfull=$(grep -c '^Overfull \\[hv]box' "$name.log" || true)
    if [ "$got" != "$want" ] || [ "$logged" != "$got" ] || [ "$overfull" != 0 ]; then
        echo "FAIL $name: $got pages (want $want; pdflatex says $logged), $overfull overfull boxes:"
        grep -A1 '^Overfull' "$name.log" | head -8
        failures=$((failures + 1))
        return
    fi
    echo "ok   $name: $got pages, no overfull box"
}

NEURON='sigmoid(w1*x1 + w2*x2 + w3*x3 + b)'
NESTED='h1 = sigmoid(W1 @ x + b1); h2 = sigmoid(W2 @ h1 + b2); yhat = sigmoid(W3 @ h2 + b3); L = l2(yhat, y)'
MAZUR='h = sigmoid(W1 @ x + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5 * (t - o)^2)'
for format in latex beamer; do
    case $format in latex) p="3 6 5 9 2 5" ;; beamer) p="48 84 64 32 18 18" ;; esac
    set -- $p
    neuron=$1 nested=$2 mazur=$3 long=$4 reused=$5 axes3=$6
    check "neuron-$format" "$neuron" "$format" "$NEURON" w1=0.4 x1=1 w2=0.3 x2=-2 w3=-0.6 \
        x3=0.5 b=0.1 --wrt w1,w2,w3,b
    check "nested-network-$format" "$nested" "$format" "$NESTED" 'x=[0.5,-1,2]' \
        'W1=[[0.1,-0.2,0.3],[0.4,0.5,-0.6]]' 'b1=[0.01,-0.02]' 'W2=[[0.3,-0.1],[0.2,0.5]]' \
        'b2=[0.1,-0.1]' 'W3=[[0.7,-0.8]]' 'b3=[0.05]' 'y=[0.9]' --wrt W1,b1,W2,b2,W3,b3
    check "mazur-$format" "$mazur" "$format" "$MAZUR" 'x=[0.05,0.10]' \
        'W1=[[0.15,0.20],[0.25,0.30]]' b1=0.35 'W2=[[0.40,0.45],[0.50,0.55]]' b2=0.60 \
        't=[0.01,0.99]' --wrt W1,b1,W2,b2 --expand 'W2[0,0]' --digits 9
    # a vector of 30 shown whole, every entry expanded: cut to the line
    check "long-vector-$format" "$long" "$format" 'sum(x * x)' \
        'x=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]' \
        --elide 1000 --expand x
    # a matrix read twice: its two gradients and their sum
    check "reused-matrix-$format" "$reused" "$format" 'sum(x * x)' 'x=[[1,2],[3,4],[5,6]]'
    # a tensor of 3 axes: its 4 matrices, on a slide the first of them
    check "three-axes-$format" "$axes3" "$format" 'sum(x * x)' \
        'x=[[[1,2],[3,4]],[[5,6],[7,8]],[[9,10],[11,12]],[[13,14],[15,16]]]'
done
if [ "$failures" -ne 0 ]; then
    echo "$failures document(s) failed"
    exit 1
fi
