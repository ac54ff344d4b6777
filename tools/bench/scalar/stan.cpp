// stan.cpp -- Stan Math's driver of the scalar workloads (workloads.h,
// harness.hpp), in Stan's own idiom for one gradient: the leaves are new
// stan::math::var each iteration, grad() sweeps the stack (each vari's
// chain() adds its partials into its operands' adjoints), the adjoints are
// read, and recover_memory() empties the arena, keeping its blocks for the
// next iteration.
//
//   bench_scalar_stan neuron|mlp|chain N
#include <stan/math/rev/core.hpp>
#include <stan/math/rev/scal/fun/inv_logit.hpp>
#include <stan/math/rev/scal/fun/tanh.hpp>

#include "harness.hpp"

using stan::math::var;

// Static: a local array would be cleared (var() is a null pointer) in
// every iteration, 337 stores that no workload but the MLP needs.
static var leaves[MLP_PARAMS];

static double iterate(int workload, long steps, const double *values, double *grads)
{
    int n = workload_leaves(workload);
    for (int k = 0; k < n; k++)
        leaves[k] = var(values[k]);
    var out = workload_output(workload, steps, leaves,
                              [](const var &x) { return stan::math::inv_logit(x); });
    double value = out.val();
    out.grad();
    for (int k = 0; k < n; k++)
        grads[k] = leaves[k].adj();
    stan::math::recover_memory();
    return value;
}

int main(int argc, char **argv)
{
    return workloads_main(argc, argv, "stan", iterate);
}
