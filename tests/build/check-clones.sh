#!/bin/sh
# check-clones.sh -- every x86-64-v3 and -v4 clone of a TG_HOT function in
# the library uses the vector registers of its ISA (ymm for v3, ymm or zmm
# for v4).
#
#   sh tests/build/check-clones.sh LIBRARY
#
# Why: a loop the vectoriser leaves scalar in one clone still computes the
# same bits, so no value test notices; only the speed does. GCC left the v3
# clones of float sigmoid and tanh scalar while trapping math was on (it
# if-converts their selects only under AVX-512's masks; CMakeLists.txt,
# -fno-trapping-math), and on an AVX2 machine they ran at a seventh of the
# speed. Clone names: GCC's f.arch_x86_64_v3 (its OpenMP bodies cloned as
# f._omp_fn.0.arch_x86_64_v3), clang's f.arch_x86-64-v3.N (tests/CMakeLists.txt
# runs it for GCC builds only: clang does not clone the OpenMP bodies).
# Exits 77 (skipped) where the library has no clones (another architecture,
# a compiler without target_clones).
set -eu
lib=$1
command -v objdump >/dev/null 2>&1 || { echo "check-clones: objdump not found" >&2; exit 77; }
objdump -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <.*>:$/ {
        name = substr($2, 2, length($2) - 3)
        isa = name ~ /\.arch_x86[-_]64[-_]v3/ ? "v3" : name ~ /\.arch_x86[-_]64[-_]v4/ ? "v4" : ""
        if (isa != "") { kind[name] = isa; vec[name] += 0 }
        next
    }
    isa == "v3" && /%ymm/ { vec[name]++ }
    isa == "v4" && /%[yz]mm/ { vec[name]++ }
    END {
        n = 0; bad = 0
        for (f in kind) {
            n++
            if (vec[f] == 0) { print "check-clones: " f " has no " kind[f] " vector instruction"; bad++ }
        }
        if (n == 0) { print "check-clones: no x86-64-v3/v4 clones in the library"; exit 77 }
        printf "check-clones: %d clones, %d without vector instructions\n", n, bad
        exit bad > 0
    }'
