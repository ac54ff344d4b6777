#!/bin/sh
# fit-allocations.sh TG -- a step of `tg fit` allocates nothing: valgrind
# counts every heap allocation of a run of 20 steps and of one of 220, and
# the counts must be equal. The expression has what once allocated per step
# when each step parsed it again (a def, an array literal, a list from
# chunk, a subscript, a bound number). Exits 77 (CTest's skip) without
# valgrind; tools/bootstrap.sh installs it.
set -eu
tg=$1
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: no valgrind (apt-get install valgrind, or sh tools/bootstrap.sh)"
    exit 77
fi
# valgrind 3.19 cannot read the DWARF 5 that clang writes: skip that build,
# saying so (the gcc builds run the check)
if valgrind "$tg" --version 2>&1 | grep -q "debuginfo reader: Possibly corrupted"; then
    echo "SKIP: this valgrind cannot read $tg's debug information (a clang build)"
    exit 77
fi
allocations() {
    valgrind --leak-check=no "$tg" fit \
        'def sq(u) = u * u; p, q = chunk(w * x, 2); c = 2; sum(sq(p - [1, 2])) + c * sum(q[0:1])' \
        'x=[1,2,3,4]' --params w=0.5 --opt sgd --lr 0.01 --steps "$1" 2>&1 >/dev/null |
        sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}
short=$(allocations 20)
long=$(allocations 220)
echo "heap allocations: $short in 20 steps, $long in 220 steps"
[ -n "$short" ] && [ -n "$long" ] || { echo "valgrind printed no heap summary" >&2; exit 1; }
if [ "$long" -ne "$short" ]; then
    echo "tg fit allocates in its steps: $(( (long - short) / 200 )) per step" >&2
    exit 1
fi
