/*
 * tapegrad.c -- tapegrad's driver of the scalar workloads (workloads.h),
 * on the public API only, so that it measures whatever the scalar path of
 * the library it is linked against does: 0-d tensors, tg_backward,
 * tg_grad_get, tg_tape_reset.
 *
 * Built a second time with TG_REPLAY (bench_scalar_tapegrad_replay): the
 * graph is captured once, in the first iteration, over persistent leaves
 * (tg_capture), and every iteration writes the values into them and
 * replays it (tg_program_run: forward and reverse, no recording) -- the
 * measurement of ADOL-C's replay column, shown beside it.
 *
 *   bench_scalar_tapegrad[_replay] neuron|mlp|chain N
 */
#include <tapegrad/tapegrad.h>

#include "workloads.h"

static void die(const char *what)
{
    fprintf(stderr, "bench_scalar_tapegrad: %s: %s\n", what, tg_last_error());
    exit(1);
}

/* tools/bench/bench.c's neuron(), its leaves given. */
static tg_tensor *neuron(tg_tensor *const *leaves)
{
    tg_tensor *sum = leaves[0];
    for (int i = 0; i < 3; i++)
        sum = tg_add(tg_mul(leaves[1 + i], tg_scalar(neuron_constant(i))), sum);
    return tg_sigmoid(sum);
}

/* One layer: out_j = b_j + sum_i W_ji in_i, then tanh where asked. */
static void layer(tg_tensor *const *params, int n_in, int n_out, tg_tensor *const *in, bool hidden,
                  tg_tensor **out)
{
    for (int j = 0; j < n_out; j++) {
        tg_tensor *sum = params[n_out * n_in + j];
        for (int i = 0; i < n_in; i++)
            sum = tg_add(sum, tg_mul(params[j * n_in + i], in[i]));
        out[j] = hidden ? tg_tanh(sum) : sum;
    }
}

static tg_tensor *mlp_loss(tg_tensor *const *params)
{
    tg_tensor *act[2][MLP_WIDTH_MAX];
    for (int i = 0; i < mlp_sizes[0]; i++)
        act[0][i] = tg_scalar(mlp_input[i]);
    for (int l = 0; l < MLP_LAYERS; l++) {
        layer(params, mlp_sizes[l], mlp_sizes[l + 1], act[l % 2], l + 1 < MLP_LAYERS,
              act[(l + 1) % 2]);
        params += mlp_sizes[l + 1] * (mlp_sizes[l] + 1);
    }
    tg_tensor *d = tg_sub(act[MLP_LAYERS % 2][0], tg_scalar(MLP_TARGET));
    return tg_mul(d, d);
}

static tg_tensor *chain(tg_tensor *const *leaves, long steps)
{
    tg_tensor *y = leaves[0];
    for (long i = 0; i < steps; i++)
        y = tg_add(tg_mul(y, leaves[1]), leaves[2]);
    return y;
}

static tg_tensor *workload_output(int workload, long steps, tg_tensor *const *leaves)
{
    return workload == WORKLOAD_NEURON ? neuron(leaves)
           : workload == WORKLOAD_MLP  ? mlp_loss(leaves)
                                       : chain(leaves, steps);
}

#ifdef TG_REPLAY
typedef struct {
    int workload;
    long steps;
} capture_args;

static tg_tensor *captured(tg_tensor *const *leaves, void *ud)
{
    const capture_args *a = ud;
    return workload_output(a->workload, a->steps, leaves);
}

/* workload_iteration: the values into the captured leaves, one replay, the
 * gradients. The program lives as long as the process, and so do the
 * leaves' and the gradients' data, read through pointers taken once (as
 * the other drivers read their adjoints). */
static double iterate(int workload, long steps, const double *values, double *grads)
{
    static tg_program *program;
    static capture_args args;
    static double *leaf_data[MLP_PARAMS];
    static const double *grad_data[MLP_PARAMS];
    int n = workload_leaves(workload);
    if (!program) {
        tg_tensor *leaves[MLP_PARAMS] = {0};
        for (int k = 0; k < n; k++) {
            leaves[k] = tg_param(TG_F64, 0, NULL, &values[k]);
            leaf_data[k] = tg_data(leaves[k]);
        }
        args = (capture_args){workload, steps};
        if (!(program = tg_capture(captured, &args, n, leaves, 0)))
            die(workload_names[workload]);
        for (int k = 0; k < n; k++)
            grad_data[k] = tg_data(tg_program_grad(program, k));
    }
    for (int k = 0; k < n; k++)
        *leaf_data[k] = values[k];
    if (tg_program_run(program) < 0)
        die(workload_names[workload]);
    for (int k = 0; k < n; k++)
        grads[k] = *grad_data[k];
    return tg_program_value(program);
}
#else
/* workload_iteration: fresh leaves, forward, backward, gradients, reset. */
static double iterate(int workload, long steps, const double *values, double *grads)
{
    tg_tensor *leaves[MLP_PARAMS];
    int n = workload_leaves(workload);
    for (int k = 0; k < n; k++)
        leaves[k] = tg_var(values[k]);
    tg_tensor *out = workload_output(workload, steps, leaves);
    double value = tg_item(out);
    if (tg_backward(out) < 0)
        die(workload_names[workload]);
    for (int k = 0; k < n; k++)
        grads[k] = tg_grad_get(leaves[k], 0);
    tg_tape_reset();
    return value;
}
#endif

int main(int argc, char **argv)
{
#ifdef TG_REPLAY
    int status = workloads_main(argc, argv, "tapegrad-replay", iterate);
#else
    int status = workloads_main(argc, argv, "tapegrad", iterate);
#endif
    tg_tape_destroy();
    return status;
}
