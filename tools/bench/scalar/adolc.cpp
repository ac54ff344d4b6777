// adolc.cpp -- ADOL-C's driver of the scalar workloads (workloads.h,
// harness.hpp). ADOL-C records a trace (tape) and differentiates the trace,
// so fresh leaves mean a new trace every iteration: trace_on with the
// forward values kept (keepTaylors), the leaves marked independent (<<=),
// the forward, the output marked dependent (>>=), trace_off, and one
// first-order reverse sweep of that trace, which reads what the forward
// kept instead of running the trace forward again.
//
// Built a second time with ADOLC_REPLAY (bench_scalar_adolc_replay): the
// trace is recorded once, in the first warm-up iteration, and every
// iteration replays it, a zero-order forward on the values (keeping them)
// and the reverse sweep -- a different measurement, shown in its own column.
//
//   bench_scalar_adolc[_replay] neuron|mlp|chain N
#include <adolc/adolc.h>

#include "harness.hpp"

enum { TAG = 1 };

// The leaves live outside the trace, allocated once: a trace marks
// locations independent, whoever allocated them.
static adouble *leaves(void)
{
    static adouble *const storage = new adouble[MLP_PARAMS];
    return storage;
}

static adouble sigmoid(const adouble &x)
{
    return 1.0 / (1.0 + exp(-x));
}

// The default buffers (usrparms.h, 524288 entries each) hold the neuron's
// and the MLP's traces; beyond them ADOL-C writes the trace to files in
// the working directory. The chain's trace, 2 operations, 6 locations and
// 2 kept values per step, gets buffers of its size, and is checked to
// have stayed in memory.
static void begin_trace(int workload, long steps, int keep)
{
    if (workload != WORKLOAD_CHAIN) {
        trace_on(TAG, keep);
        return;
    }
    unsigned ops = (unsigned)(2 * steps + 1024), locs = (unsigned)(6 * steps + 1024);
    trace_on(TAG, keep, ops, locs, 1024, ops);
}

// Exits when part of the chain's trace or of its kept values went to a file.
static void check_in_memory(void)
{
    size_t stats[STAT_SIZE];
    tapestats(TAG, stats);
    if (stats[OP_FILE_ACCESS] || stats[LOC_FILE_ACCESS] || stats[VAL_FILE_ACCESS] ||
        stats[TAY_STACK_SIZE] > stats[TAY_BUFFER_SIZE]) {
        fprintf(stderr, "bench_scalar_adolc: the chain's trace went to a file\n");
        exit(1);
    }
}

// Records the workload's trace from values; returns the output's value.
static double record(int workload, long steps, const double *values, int keep)
{
    adouble *x = leaves();
    int n = workload_leaves(workload);
    double value;
    begin_trace(workload, steps, keep);
    for (int k = 0; k < n; k++)
        x[k] <<= values[k];
    adouble out = workload_output(workload, steps, x, sigmoid);
    out >>= value;
    trace_off();
    if (workload == WORKLOAD_CHAIN)
        check_in_memory();
    return value;
}

#ifndef ADOLC_REPLAY
static double iterate(int workload, long steps, const double *values, double *grads)
{
    double value = record(workload, steps, values, 1), seed = 1.0;
    fos_reverse(TAG, 1, workload_leaves(workload), &seed, grads);
    return value;
}
#else
static double iterate(int workload, long steps, const double *values, double *grads)
{
    static bool recorded = false;
    if (!recorded)
        record(workload, steps, values, 0);
    recorded = true;
    int n = workload_leaves(workload);
    double value, seed = 1.0;
    zos_forward(TAG, 1, n, 1, values, &value);
    fos_reverse(TAG, 1, n, &seed, grads);
    return value;
}
#endif

int main(int argc, char **argv)
{
#ifndef ADOLC_REPLAY
    return workloads_main(argc, argv, "adolc", iterate);
#else
    return workloads_main(argc, argv, "adolc-replay", iterate);
#endif
}
