#!/bin/sh
# run.sh -- the benchmark suite, one command: builds tapegrad in Release,
# runs every workload for tapegrad (tools/bench/bench.c) and for PyTorch
# (bench_torch.py, Debian's python3-torch, installed if missing) with 1 and 2
# threads, and prints one table with medians, spreads and the ratio against
# PyTorch's best thread setting.
#
#   sh tools/bench/run.sh [--quick] [--reps R]
#
# Both sides run under the same environment, OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE included (printed first); thread counts are set through
# OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and torch.set_num_threads.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build-bench/results"
python=/usr/bin/python3

if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench: installing python3-torch"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch >/dev/null
fi

cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" -j --target bench >/dev/null
mkdir -p "$out"
: >"$out/tapegrad.tsv"
: >"$out/torch.tsv"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "torch $("$python" -c 'import torch; print(torch.__version__)')"
for threads in 1 2; do
    echo "running with $threads thread(s) ..." >&2
    OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        "$root/build-bench/tools/bench/bench" --threads "$threads" "$@" >>"$out/tapegrad.tsv"
    OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        "$python" "$root/tools/bench/bench_torch.py" --threads "$threads" "$@" >>"$out/torch.tsv"
done
"$python" "$root/tools/bench/table.py" "$out/tapegrad.tsv" "$out/torch.tsv"
sh "$root/tools/bench/scalar.sh" "$@"
