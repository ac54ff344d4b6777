#!/bin/sh
# run.sh -- the benchmark suite, one command: builds tapegrad in Release,
# runs every workload for tapegrad (tools/bench/bench.c), PyTorch
# (bench_torch.py, Debian's python3-torch) and libtorch (bench_libtorch.cpp,
# Debian's libtorch-dev; each installed if missing, the libtorch columns n/a
# where it cannot be) with 1 and 2 threads, measures the machine's bounds
# (bench_bound.c), and prints one table: medians, spreads, the best peer,
# the bound and tapegrad's best as fractions of both.
#
#   sh tools/bench/run.sh [--quick] [--reps R]
#
# Every workload runs in a process of its own on every side, the three
# sides interleaved workload by workload and thread count by thread count,
# so that none inherits the allocator and cache state another left and
# load from other work on the machine falls on all sides alike. All run
# under the same environment, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# included (printed first); thread counts are set through
# OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and each side's own call.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build-bench/results"
python=/usr/bin/python3
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench: installing python3-torch"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch >/dev/null
fi
if ! dpkg -s libtorch-dev >/dev/null 2>&1; then
    echo "bench: installing libtorch-dev"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libtorch-dev >/dev/null ||
        echo "bench: libtorch-dev could not be installed"
fi

cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" -j --target bench bench_bound >/dev/null
libtorch="$root/build-bench/tools/bench/bench_libtorch"
cmake --build "$root/build-bench" -j --target bench_libtorch >/dev/null 2>&1 || rm -f "$libtorch"
mkdir -p "$out"
for side in tapegrad torch libtorch; do : >"$out/$side.tsv"; done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "torch $("$python" -c 'import torch; print(torch.__version__)')"
[ -x "$libtorch" ] || echo "libtorch: bench_libtorch not built (no libtorch-dev): its columns are n/a"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
quick=""
case " $* " in *" --quick "*) quick=--quick ;; esac
"$root/build-bench/tools/bench/bench_bound" $quick >"$out/bound.tsv" 2>"$out/bound.log"
cat "$out/bound.log" >&2
for workload in mlp_784-128-10_b32_ mlp_784-128-10_b128_ mlp_784-512-512-10_b128_ mlp_step_ neuron_ chain_ \
    elementwise_sigmoid elementwise_tanh elementwise_relu elementwise_add_bcast matmul_; do
    for threads in 1 2; do
        echo "running $workload with $threads thread(s) ..." >&2
        export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
        "$root/build-bench/tools/bench/bench" --threads "$threads" --only "$workload" "$@" \
            >>"$out/tapegrad.tsv"
        "$python" "$root/tools/bench/bench_torch.py" --threads "$threads" --only "$workload" "$@" \
            >>"$out/torch.tsv"
        [ ! -x "$libtorch" ] ||
            "$libtorch" --threads "$threads" --only "$workload" "$@" >>"$out/libtorch.tsv"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" "$root/tools/bench/table.py" "$out/tapegrad.tsv" "$out/torch.tsv" "$out/libtorch.tsv" "$out/bound.tsv"
sh "$root/tools/bench/scalar.sh" "$@"
