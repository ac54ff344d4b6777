// harness.hpp -- the scalar workloads of workloads.h written once for the
// operator-overloading tools (stan.cpp, adolc.cpp): the same operations in
// the same order as tapegrad.c, on the tool's scalar type T.
#ifndef BENCH_SCALAR_HARNESS_HPP
#define BENCH_SCALAR_HARNESS_HPP

#include <cmath>

#include "workloads.h"

// sigmoid(b + w0 c0 + w1 c1 + w2 c2); Sigmoid is the tool's own (Stan's
// inv_logit) or, where it has none, 1 / (1 + exp(-x)).
template <class T, class Sigmoid>
T neuron(const T *leaves, Sigmoid sigmoid)
{
    T sum = leaves[0];
    for (int i = 0; i < 3; i++)
        sum = leaves[1 + i] * neuron_constant(i) + sum;
    return sigmoid(sum);
}

// One layer: out_j = b_j + sum_i W_ji in_i, then tanh where asked. In is T
// or, for the input layer, double (data, not leaves).
template <class T, class In>
void layer(const T *params, int n_in, int n_out, const In *in, bool hidden, T *out)
{
    using std::tanh;
    for (int j = 0; j < n_out; j++) {
        T sum = params[n_out * n_in + j];
        for (int i = 0; i < n_in; i++)
            sum += params[j * n_in + i] * in[i];
        out[j] = hidden ? T(tanh(sum)) : sum;
    }
}

template <class T>
T mlp_loss(const T *params)
{
    T act[2][MLP_WIDTH_MAX];
    layer(params, mlp_sizes[0], mlp_sizes[1], mlp_input, true, act[1]);
    params += mlp_sizes[1] * (mlp_sizes[0] + 1);
    for (int l = 1; l < MLP_LAYERS; l++) {
        layer(params, mlp_sizes[l], mlp_sizes[l + 1], act[l % 2], l + 1 < MLP_LAYERS,
              act[(l + 1) % 2]);
        params += mlp_sizes[l + 1] * (mlp_sizes[l] + 1);
    }
    T d = act[MLP_LAYERS % 2][0] - MLP_TARGET;
    return d * d;
}

template <class T>
T chain(const T *leaves, long steps)
{
    T y = leaves[0];
    for (long i = 0; i < steps; i++)
        y = y * leaves[1] + leaves[2];
    return y;
}

// The workload's output from its leaves.
template <class T, class Sigmoid>
T workload_output(int workload, long steps, const T *leaves, Sigmoid sigmoid)
{
    return workload == WORKLOAD_NEURON ? neuron(leaves, sigmoid)
           : workload == WORKLOAD_MLP  ? mlp_loss(leaves)
                                       : chain(leaves, steps);
}

#endif
