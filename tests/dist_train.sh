#!/bin/sh
# dist_train.sh MPIRUN TG -- `tg train` under mpirun: 2 and 3 ranks train
# the model one process trains (float64: the same epoch lines to the printed
# digits), only rank 0 prints, and rank 0's checkpoint evaluates to the
# printed accuracy.
set -eu
mpirun=$1
tg=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "dist_train: $*"; exit 1; }
awk 'BEGIN { srand(7); print "x,y,z,class";
             for (i = 0; i < 300; i++) { c = i % 3;
                 printf "%.4f,%.4f,%.4f,%d\n", 4 * (c == 1) + 2 * rand(), 4 * (c > 0) + 2 * rand(),
                        4 * (c == 2) + 2 * rand(), c } }' >"$dir/blobs.csv"
train() { # LOG [mpirun -np N]: the run's lines without their seconds
    log=$1
    shift
    "$@" "$tg" train --data "csv:$dir/blobs.csv:label=class:header" --val 0.2 --layers 3,8,3 --lr 0.02 \
        --dtype f64 --batch 30 --epochs 3 --save "$dir/$log.safetensors" >"$dir/$log" \
        || fail "$log: tg train failed: $(cat "$dir/$log")"
    sed -e 's/  [0-9.]* s$//' -e '/^saved /d' "$dir/$log"
}
train alone >"$dir/alone.lines"
cat "$dir/alone.lines"
for ranks in 2 3; do
    train "ranks$ranks" "$mpirun" --oversubscribe --bind-to none -np "$ranks" >"$dir/ranks$ranks.lines"
    diff "$dir/alone.lines" "$dir/ranks$ranks.lines" || fail "$ranks ranks printed other lines"
    [ "$(grep -c '^epoch 1/3' "$dir/ranks$ranks")" -eq 1 ] || fail "more than rank 0 printed"
    "$tg" eval --model "$dir/ranks$ranks.safetensors" --data "csv:$dir/blobs.csv:label=class:header" \
        --val 0.2 >"$dir/eval$ranks" || fail "tg eval of the $ranks-rank checkpoint failed"
    want=$(sed -n 's/^test accuracy \([0-9.]*%\).*/\1/p' "$dir/ranks$ranks")
    grep -q "accuracy $want" "$dir/eval$ranks" || fail "tg eval: $(cat "$dir/eval$ranks"), not $want"
done
echo "dist_train: 2 and 3 ranks printed what one process printed"

# --resume in a job: 2 ranks, a model with dropout (each rank's generator
# follows its own samples: batches of 31 give the ranks 15 and 16, so the
# generators part) and batch norm (rank 0's statistics); 4 epochs
# in one run save the same bytes as 2, then 2 more resumed from --state.
# A job of another size is refused.
resumable() { # LOG ARGS...
    log=$1
    shift
    "$mpirun" --oversubscribe --bind-to none -np 2 "$tg" train \
        --data "csv:$dir/blobs.csv:label=class:header" --val 0.2 --batch 31 --epochs 4 \
        --model 'dense(8) batchnorm relu dropout(0.3) dense(3)' "$@" >"$dir/$log" 2>&1 \
        || fail "$log: tg train failed: $(cat "$dir/$log")"
}
resumable whole --save "$dir/whole.safetensors"
resumable first --stop-after 2 --state "$dir/state.safetensors"
"$mpirun" --oversubscribe --bind-to none -np 2 "$tg" train --resume "$dir/state.safetensors" \
    --save "$dir/resumed.safetensors" >"$dir/resumed" 2>&1 \
    || fail "resumed: tg train failed: $(cat "$dir/resumed")"
grep -q "at epoch 3, batch 0" "$dir/resumed" || fail "resumed: $(cat "$dir/resumed")"
cmp "$dir/whole.safetensors" "$dir/resumed.safetensors" || fail "2 + 2 epochs differ from 4"
if "$mpirun" --oversubscribe --bind-to none -np 3 "$tg" train --resume "$dir/state.safetensors" \
    >"$dir/three" 2>&1; then
    fail "3 ranks resumed a 2-rank run"
fi
grep -q "saved by 2 ranks; resume it with as many" "$dir/three" || fail "3 ranks: $(cat "$dir/three")"
echo "dist_train: a 2-rank run resumed from --state is the uninterrupted run, byte for byte"

# A rank killed mid-run (SIGKILL, after epoch 2's line: epoch 1's --state is
# written by then): the job fails, and the same job resumed from the state
# file ends with the bytes of a run that was never killed.
killable() { # LOG ARGS...
    log=$1
    shift
    "$mpirun" --oversubscribe --bind-to none -np 2 "$tg" train --data fashion-mnist --limit 2000 \
        --layers 784,16,10 --batch 2 --epochs 5 "$@" >"$dir/$log" 2>&1
}
killable never --save "$dir/never.safetensors" || fail "never: $(cat "$dir/never")"
killable killed --state "$dir/killed.safetensors" &
job=$!
tries=0
until grep -q "^epoch 2/5" "$dir/killed" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -le 600 ] || fail "killed: no epoch 2 after 60 s: $(cat "$dir/killed")"
    sleep 0.1
done
# the newest rank: a command line that starts with tg (mpirun's starts with mpirun)
pkill -9 -n -f "^$tg train --data fashion-mnist --limit 2000" || fail "no rank to kill"
if wait "$job"; then
    fail "the job with a killed rank exited with 0"
fi
"$mpirun" --oversubscribe --bind-to none -np 2 "$tg" train --resume "$dir/killed.safetensors" \
    --save "$dir/revived.safetensors" >"$dir/revived" 2>&1 || fail "revived: $(cat "$dir/revived")"
cmp "$dir/never.safetensors" "$dir/revived.safetensors" \
    || fail "resumed after a killed rank differs: $(cat "$dir/revived")"
echo "dist_train: after a rank was killed, --resume $(sed -n 's/.*\(at epoch [0-9]*, batch [0-9]*\).*/\1/p' \
    "$dir/revived") ended where the unkilled run did"
