#!/bin/sh
# run.sh BUILD_DIR SOURCE_DIR SECONDS -- makes the seed corpora and runs each
# fuzz target for SECONDS (tools/test.sh: a short smoke run). The corpora
# grow in BUILD_DIR/fuzz-corpus/<target>; a crash leaves its input in
# BUILD_DIR/fuzz-artifacts/ and fails the run.
set -eu
build=$1 src=$2 seconds=$3
corpus=$build/fuzz-corpus artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
"$build/tests/fuzz/make_seeds" "$src" "$corpus"
status=0
for target in checkpoint data tg; do
    log=$build/fuzz-$target.log
    # -close_fd_mask=3: the targets print (tg's commands); libFuzzer's own
    # report still reaches the log through its saved descriptor
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -timeout=10 -close_fd_mask=3 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target-" "$corpus/$target" >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz: $target FAILED (input in $artifacts)"
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $target: ${runs:-?} inputs in ${seconds} s, $cov edges, corpus $(ls "$corpus/$target" | wc -l)"
done
exit "$status"
