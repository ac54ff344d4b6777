/*
 * tapegrad.c -- tapegrad's driver of the scalar workloads (workloads.h),
 * on the public API only, so that it measures whatever the scalar path of
 * the library it is linked against does: 0-d tensors, tg_backward,
 * tg_grad_get, tg_tape_reset.
 *
 *   bench_scalar_tapegrad neuron|mlp|chain N
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

/* workload_iteration: fresh leaves, forward, backward, gradients, reset. */
static double iterate(int workload, long steps, const double *values, double *grads)
{
    tg_tensor *leaves[MLP_PARAMS];
    int n = workload_leaves(workload);
    for (int k = 0; k < n; k++)
        leaves[k] = tg_var(values[k]);
    tg_tensor *out = workload == WORKLOAD_NEURON ? neuron(leaves)
                     : workload == WORKLOAD_MLP  ? mlp_loss(leaves)
                                                 : chain(leaves, steps);
    double value = tg_item(out);
    if (tg_backward(out) < 0)
        die(workload_names[workload]);
    for (int k = 0; k < n; k++)
        grads[k] = tg_grad_get(leaves[k], 0);
    tg_tape_reset();
    return value;
}

int main(int argc, char **argv)
{
    int status = workloads_main(argc, argv, "tapegrad", iterate);
    tg_tape_destroy();
    return status;
}
