#!/bin/sh
# scalar.sh -- scalar reverse mode against Stan Math and ADOL-C: the three
# workloads of tools/bench/scalar/workloads.h (the notes' neuron, a scalar
# 2-16-16-1 MLP, the 1,000,000-step chain y = y a + c) for tapegrad, Stan
# Math, ADOL-C taping every iteration and, in columns of their own, ADOL-C
# replaying one tape and tapegrad replaying one captured program
# (tg_program). docs/performance.md defines them in words.
#
#   sh tools/bench/scalar.sh [--quick] [--reps R] [--callgrind]
#   sh tools/bench/scalar.sh --smoke --bin DIR     (the bench_scalar_agree test)
#
# Installs the Debian packages the drivers need where they are missing (as
# run.sh installs python3-torch; a package that cannot be installed leaves
# its tool's column "n/a", saying which), builds the drivers in build-bench
# (Release, tapegrad as run.sh builds it), then runs R rounds (default 9,
# --quick 3 at a tenth of the sizes); each round runs every workload for
# every tool, one process each, the tools' order reversed every other round.
# The table shows each tool's minimum over the rounds (process CPU time,
# workloads.h says why) and its ratio to tapegrad's; scalar/table.py first
# checks that every run's value and gradients agree with tapegrad's to
# 1e-12 and fails otherwise.
# --callgrind adds instructions per iteration of the neuron and the MLP
# (the difference of runs of N and 2N iterations, divided by N).
# --smoke runs the drivers already built in DIR once, at tiny sizes, for
# the agreement check alone: no install, no build, no timing worth reading.
# run.sh calls this last, passing its arguments (--quick, --reps) on.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
python=/usr/bin/python3
rounds=9
quick=false
smoke=false
callgrind=false
bin=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=true ;;
    --reps) rounds=$2; shift ;;
    --callgrind) callgrind=true ;;
    --smoke) smoke=true ;;
    --bin) bin=$2; shift ;;
    *) echo "usage: scalar.sh [--quick] [--reps R] [--callgrind] [--smoke --bin DIR]" >&2; exit 2 ;;
    esac
    shift
done

# tool, its driver's name, its Debian packages
tools="tapegrad stan adolc adolc-replay tapegrad-replay"
driver() { echo "bench_scalar_$(echo "$1" | tr - _)"; }
packages() {
    case "$1" in
    stan) echo "g++ r-cran-stanheaders libeigen3-dev libboost-dev" ;;
    adolc | adolc-replay) echo "g++ libadolc-dev" ;;
    esac
}

install_missing() {
    missing=""
    for package in $(packages stan) $(packages adolc); do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
            missing="$missing $package"
    done
    [ -z "$missing" ] && return 0
    echo "scalar: installing$missing"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null ||
        echo "scalar: could not install$missing; those tools' columns will show n/a"
}

if $smoke; then
    [ -n "$bin" ] || { echo "scalar.sh: --smoke needs --bin DIR" >&2; exit 2; }
    rounds=1
    sizes="neuron=10 mlp=2 chain=1000"
else
    install_missing
    build="$root/build-bench"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF >/dev/null
    bin="$build/tools/bench/scalar"
    targets=""
    for tool in $tools; do
        grep -q "^${tool%-replay}:" "$bin/missing.txt" || targets="$targets $(driver "$tool")"
    done
    # shellcheck disable=SC2086
    cmake --build "$build" -j --target $targets >/dev/null
    if $quick; then
        rounds=3
        sizes="neuron=10000 mlp=100 chain=100000"
    else
        sizes="neuron=100000 mlp=1000 chain=1000000"
    fi
fi

present=""
for tool in $tools; do
    if [ -x "$bin/$(driver "$tool")" ]; then
        present="$present $tool"
    else
        why=$(sed -n "s/^${tool%-replay}: //p" "$bin/missing.txt" 2>/dev/null || true)
        echo "scalar: $tool: n/a (${why:+missing $why; }no $(driver "$tool") in $bin)"
    fi
done
# the agreement check needs a peer to agree with: without one it is skipped
# (ctest shows it), not passed
if $smoke && [ "$present" = " tapegrad" ]; then
    echo "scalar: no peer driver built in $bin: nothing to compare tapegrad with"
    exit 77
fi
size() { echo "$sizes" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
stan_version=$(sed -n 's/^#define STAN_MATH_\(MAJOR\|MINOR\|PATCH\) //p' \
    /usr/lib/R/site-library/StanHeaders/include/stan/math/version.hpp 2>/dev/null | paste -sd.)
adolc_version=$(dpkg-query -W -f='${Version}' libadolc-dev 2>/dev/null | cut -d- -f1)

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
    "load:$(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "rounds: $rounds, sizes: $sizes; each cell the minimum over the rounds of the process CPU time"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
order=$present
for round in $(seq "$rounds"); do
    echo "scalar: round $round of $rounds ..." >&2
    for workload in neuron mlp chain; do
        for tool in $order; do
            "$bin/$(driver "$tool")" "$workload" "$(size "$workload")" >>"$out"
        done
    done
    order=$(echo "$order" | tr ' ' '\n' | sed '/^$/d' | tac | paste -sd' ')
done
"$python" "$root/tools/bench/scalar/table.py" "$out" --tools "$(echo "$tools" | tr ' ' ,)" \
    --chain-steps "$(size chain)" --label "stan=Stan Math ${stan_version:-?}" \
    --label "adolc=ADOL-C ${adolc_version:-?}" --label "adolc-replay=ADOL-C ${adolc_version:-?}, one tape replayed" \
    --label "tapegrad-replay=tapegrad, one program replayed"

if $callgrind; then
    echo
    echo "callgrind: instructions per iteration ((I(2N) - I(N)) / N)"
    for workload in neuron mlp; do
        n=$([ "$workload" = neuron ] && echo 1000 || echo 50)
        for tool in $present; do
            counts=""
            for iters in "$n" "$((2 * n))"; do
                counts="$counts $(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                    "$bin/$(driver "$tool")" "$workload" "$iters" 2>&1 >/dev/null |
                    sed -n 's/.*Collected : *//p')"
            done
            echo "$counts" | awk -v w="$workload" -v t="$tool" -v n="$n" \
                '{ printf "%-8s %-14s %10.0f\n", w, t, ($2 - $1) / n }'
        done
    done
fi
