#!/bin/sh
# bench_dist.sh BUILD [ROUNDS] -- the table of docs/distributed.md: the
# Fashion-MNIST MLP and CNN, 1 rank x 2 threads against 2 ranks x 1 thread
# (overlap on, and off to see what starting the allreduces during the sweep
# gains; one 25 MiB bucket, and 256 KiB ones), interleaved ROUNDS times
# (default 3); the median of each. Columns as bench_dist.c prints them, with
# the bucket count. Runs as root with Open MPI's allow-run-as-root
# settings, shared memory only.
set -eu
build=$1
rounds=${2:-3}
bench=$build/tools/bench/bench_dist
[ -x "$bench" ] || { echo "bench_dist.sh: no $bench (tapegrad built without MPI?)"; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader \
    OMPI_MCA_oob_tcp_if_include=lo
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs;" \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
for round in $(seq "$rounds"); do
    for model in mlp cnn; do
        steps=$([ "$model" = mlp ] && echo 200 || echo 30)
        mpirun --bind-to none -np 1 "$bench" --model "$model" --steps "$steps" --threads 2 >>"$out"
        mpirun --bind-to none -np 2 "$bench" --model "$model" --steps "$steps" --threads 1 >>"$out"
        mpirun --bind-to none -np 2 "$bench" --model "$model" --steps "$steps" --threads 1 \
            --no-overlap >>"$out"
        # buckets of 256 KiB, so that the last layers' allreduce can start
        # while the sweep is still in the first ones
        for overlap in "" --no-overlap; do
            mpirun --bind-to none -np 2 "$bench" --model "$model" --steps "$steps" --threads 1 \
                --bucket-kb 256 $overlap >>"$out"
        done
    done
done
printf 'model\tranks\tthreads\toverlap\ts/step\ts/epoch\twait ms/step\thook ms/step\tgrad bytes\tbuckets\n'
# the median of each configuration's seconds per step, with its row
sort -t "$(printf '\t')" -k1,1 -k2,2n -k10,10n -k4,4n -k5,5g "$out" | awk -F '\t' -v r="$rounds" '
    { key = $1 FS $2 FS $4 FS $10; n[key]++; if (n[key] == int((r + 1) / 2)) print }'
