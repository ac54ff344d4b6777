/*
 * workloads.h -- the three scalar reverse-mode workloads of
 * tools/bench/scalar.sh, shared by every driver (tapegrad.c in C; stan.cpp
 * and adolc.cpp through harness.hpp): their inputs, their sizes, the clock,
 * the timing loop and the lines a driver prints. docs/performance.md
 * ("Scalar reverse mode against Stan Math and ADOL-C") defines them in words:
 *
 *   neuron  the notes' neuron sigmoid(b + w0 c0 + w1 c1 + w2 c2) of
 *           tools/bench/bench.c, with fresh leaves b = 0.1, w_i = 0.3 i and
 *           constants c_i = 1 + i: leaves, forward, backward, gradients read,
 *           reset, per iteration.
 *   mlp     a 2-16-16-1 MLP, tanh on the hidden layers, every weight and bias
 *           a scalar leaf (micrograd style), one sample, squared-error loss:
 *           leaves, forward, backward, 337 gradients read, reset.
 *   chain   y = y a + c for N steps from leaves y0 = 0.5, a = 0.999999,
 *           c = 1e-6 (tools/bench/bench_tape.c's chain, but for y0, which
 *           there is 1, the fixed point, where dy/da = dy/dc and a driver
 *           that swapped a and c would agree): forward, backward, the
 *           three gradients read, reset; seconds per chain and peak RSS,
 *           for the process's first chain and for a second one after it.
 *
 * A driver is run as `DRIVER WORKLOAD N` (N: iterations, or the chain's
 * steps; workloads_main) and prints one line per result (workloads_print;
 * the chain's two are named chain and chain-again):
 *
 *   workload <TAB> tool <TAB> seconds per iteration <TAB> peak RSS in MB
 *            <TAB> value <TAB> gradient 0 <SPACE> gradient 1 ...
 *
 * The value and gradients are those of the last iteration, printed to 17
 * digits so that scalar/table.py can compare the drivers to 1e-12.
 */
#ifndef BENCH_SCALAR_WORKLOADS_H
#define BENCH_SCALAR_WORKLOADS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { WORKLOAD_NEURON, WORKLOAD_MLP, WORKLOAD_CHAIN, WORKLOAD_COUNT };
static const char *const workload_names[WORKLOAD_COUNT] = {"neuron", "mlp", "chain"};

/* Untimed iterations before the timed ones, a fixed number so that the
 * difference of two callgrind runs of N and 2N iterations counts N of them
 * exactly (scalar.sh --callgrind). The chain has none: its first run is
 * timed too (workloads_main). */
static const long workload_warmup[WORKLOAD_COUNT] = {2000, 20, 0};

/* ---- neuron: leaves b, w0, w1, w2 (gradients in that order) ---- */
enum { NEURON_LEAVES = 4 };
static inline double neuron_leaf(int k) { return k == 0 ? 0.1 : 0.3 * (k - 1); }
static inline double neuron_constant(int i) { return 1.0 + i; }

/* ---- mlp: layers of (in -> out) sizes; each layer's parameters are its
 * weights W[out][in], row-major, then its biases b[out]; the layers follow
 * each other in one array of MLP_PARAMS leaves. Neuron j of a layer is
 * b_j + W_j0 in_0 + W_j1 in_1 + ..., summed in that order, then tanh on the
 * hidden layers; the loss is d * d with d = out - MLP_TARGET. ---- */
enum { MLP_LAYERS = 3, MLP_WIDTH_MAX = 16 };
static const int mlp_sizes[MLP_LAYERS + 1] = {2, 16, 16, 1};
enum { MLP_PARAMS = 16 * 2 + 16 + 16 * 16 + 16 + 1 * 16 + 1 };
static const double mlp_input[2] = {0.5, -0.3};
#define MLP_TARGET 0.7

/* Parameter k, in [-0.5, 0.5): integer arithmetic, then one division, so
 * that every driver starts from the same bits. */
static inline double mlp_param(int k) { return (double)((k * 7919) % 1000) / 1000.0 - 0.5; }

/* ---- chain: leaves y0, a, c (gradients in that order) ---- */
enum { CHAIN_LEAVES = 3 };
static inline double chain_leaf(int k) { return k == 0 ? 0.5 : k == 1 ? 0.999999 : 1e-6; }

static inline int workload_leaves(int w)
{
    static const int counts[WORKLOAD_COUNT] = {NEURON_LEAVES, MLP_PARAMS, CHAIN_LEAVES};
    return counts[w];
}

static inline double workload_leaf(int w, int k)
{
    return w == WORKLOAD_NEURON ? neuron_leaf(k) : w == WORKLOAD_MLP ? mlp_param(k) : chain_leaf(k);
}

/* The same clock for every driver: the process's CPU time (user and
 * system, so the page faults of a growing arena count). On a shared,
 * oversubscribed machine a run longer than a scheduler slice waits while
 * others run, and the wall clock charged that to whichever tool ran longest
 * (tapegrad's MLP, 1,000 iterations at load 10: 128 ms of wall time for
 * 48 ms of CPU). The drivers run one thread. */
static inline double workloads_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Parses `DRIVER WORKLOAD N`; prints the usage and exits 2 otherwise. */
static inline void workloads_parse(int argc, char **argv, int *workload, long *n)
{
    *workload = -1;
    if (argc == 3)
        for (int w = 0; w < WORKLOAD_COUNT; w++)
            if (!strcmp(argv[1], workload_names[w]))
                *workload = w;
    *n = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
    if (*workload < 0 || *n < 1) {
        fprintf(stderr, "usage: %s neuron|mlp|chain N\n", argv[0]);
        exit(2);
    }
}

static inline void workloads_print(const char *name, const char *tool, double seconds_per_iteration,
                                   double value, const double *grads, int n_grads)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("%s\t%s\t%.6e\t%.1f\t%.17g\t", name, tool, seconds_per_iteration,
           (double)usage.ru_maxrss / 1024, value);
    for (int k = 0; k < n_grads; k++)
        printf("%s%.17g", k ? " " : "", grads[k]);
    printf("\n");
}

/* One iteration: leaves from values, forward, backward, the gradients into
 * grads, reset; returns the output's value. steps is the chain's length. */
typedef double (*workload_iteration)(int workload, long steps, const double *values, double *grads);

/* A driver's main: parses `DRIVER WORKLOAD N` and prints the result lines.
 * The neuron and the MLP: the fixed warm-up, then N timed iterations. The
 * chain: two chains of N steps, each timed and printed, "chain" for the
 * first of the process (its arena grows, its pages are faulted in) and
 * "chain-again" for the second, which finds the memory the first left. */
static inline int workloads_main(int argc, char **argv, const char *tool, workload_iteration iterate)
{
    int workload;
    long n;
    workloads_parse(argc, argv, &workload, &n);
    int is_chain = workload == WORKLOAD_CHAIN;
    long steps = is_chain ? n : 0, iters = is_chain ? 1 : n;
    double values[MLP_PARAMS], grads[MLP_PARAMS], value = 0;
    for (int k = 0; k < workload_leaves(workload); k++)
        values[k] = workload_leaf(workload, k);
    for (long i = 0; i < workload_warmup[workload]; i++)
        iterate(workload, steps, values, grads);
    for (int run = 0; run < (is_chain ? 2 : 1); run++) {
        double t0 = workloads_now();
        for (long i = 0; i < iters; i++)
            value = iterate(workload, steps, values, grads);
        double seconds = (workloads_now() - t0) / (double)iters;
        workloads_print(run ? "chain-again" : workload_names[workload], tool, seconds, value, grads,
                        workload_leaves(workload));
    }
    return 0;
}

#endif
