#!/bin/sh
# dist_fault.sh MPIRUN SUITE_DIST -- the fault test of tapegrad/dist.h: in a
# job of 3 ranks, rank 1 dies by SIGKILL at its fifth batch. The job must end
# with a failure within seconds (not hang in an allreduce), mpirun naming
# the dead rank and the surviving ranks the step they were at.
set -u
mpirun=$1
suite=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
"$mpirun" --oversubscribe --bind-to none -np 3 "$suite" kill-rank-1 >"$log" 2>&1
status=$?
elapsed=$(( $(date +%s) - start ))
cat "$log"
fail() { echo "dist_fault: $*"; exit 1; }
[ "$status" -ne 0 ] || fail "the job exited with 0"
[ "$elapsed" -le 20 ] || fail "the job took ${elapsed} s to end (at most 20 expected)"
grep -q "process rank 1 .*exited on signal 9" "$log" || fail "no message naming rank 1"
grep -q "tg_dist: rank [02] terminated at step 6" "$log" || fail "no message naming the step"
echo "dist_fault: the job ended in ${elapsed} s with status $status"
