#!/bin/sh
# test.sh -- builds tapegrad and runs every test four ways:
#   1. an optimised build (RelWithDebInfo) under CTest, including the
#      find_package consumer test against an installed copy;
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build under CTest;
#   3. the optimised build made by clang under CTest: C leaves argument
#      evaluation order (among other things) to the compiler, and gcc and
#      clang choose differently, so the suite must pass with both;
#   4. valgrind memcheck over every suite of build 1 (leaks and errors fail);
#   5. a fuzz smoke run: the libFuzzer targets of tests/fuzz (clang, ASan +
#      UBSan) for FUZZ_SECONDS (default 30) each, from seed corpora the
#      library writes (docs/fuzzing.md).
# Build 1 includes the packaging tests (the README's install section run as
# written, a staged install, the Debian package) and every suite runs in
# each build, suite_faults (an allocation failed at every k) included.
# Build trees go to build/, build-asan/, build-clang/ and build-fuzz/ at the
# repository root.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
cd "$root"

section() { printf '\n== %s ==\n' "$1"; }

section "release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

section "AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTG_SANITIZE=ON
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"

section "clang build and tests"
cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang
cmake --build build-clang -j "$jobs"
ctest --test-dir build-clang --output-on-failure -j "$jobs"

section "valgrind memcheck"
# CK_FORK=no keeps each suite in one process so valgrind sees every test.
status=0
for suite in build/tests/suite_*; do
    [ -x "$suite" ] || continue
    echo "-- $(basename "$suite")"
    # suite_dist, one MPI rank: Open MPI's own never-freed allocations aside
    supp=""
    case "$suite" in
    */suite_dist*) supp="--suppressions=$root/tests/openmpi.supp
        --suppressions=/usr/share/openmpi/openmpi-valgrind.supp" ;;
    esac
    # shellcheck disable=SC2086 -- supp is meant to split into words
    if ! CK_FORK=no valgrind --quiet --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect $supp \
        "$suite" >"build/$(basename "$suite").valgrind.log" 2>&1; then
        cat "build/$(basename "$suite").valgrind.log"
        echo "valgrind: $(basename "$suite") FAILED"
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "valgrind: all suites clean"

section "fuzz smoke run"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DTG_FUZZ=ON -DTG_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF
cmake --build build-fuzz -j "$jobs"
sh tests/fuzz/run.sh build-fuzz "$root" "${FUZZ_SECONDS:-30}" || status=1
exit "$status"
