/*
 * tapegrad/gradcheck.h -- compare analytic gradients with finite differences.
 *
 * tg_gradcheck builds y = f(inputs) once, takes one reverse sweep per output
 * element to get the analytic Jacobian, and compares it entry by entry with
 * central differences (f(x + eps) - f(x - eps)) / 2 eps, evaluated in the
 * inputs' dtype and accumulated in double. An entry passes when
 * |analytic - numeric| <= atol + rtol |numeric|. Only inputs that require
 * grad are perturbed; the others are held constant.
 *
 * f must be a pure function of its inputs' values. Inputs are perturbed in
 * place and restored, and their gradients are zeroed. f is evaluated with
 * recording as the caller has it, so it may differentiate inside (call
 * tg_grad with create_graph, as a gradient penalty does).
 */
#ifndef TAPEGRAD_GRADCHECK_H
#define TAPEGRAD_GRADCHECK_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef tg_tensor *(*tg_fn)(tg_tensor *const *inputs, void *ctx);

typedef struct {
    double eps;  /* step; 0 picks 1e-6 for f64 inputs, 1e-3 for f32 */
    double atol; /* 0 picks 1e-5 for f64, 1e-2 for f32 */
    double rtol; /* 0 picks 1e-3 for f64, 1e-2 for f32 */
} tg_gradcheck_opts;

typedef struct {
    double max_abs_err;  /* largest |analytic - numeric| seen */
    int worst_input;     /* where it was: input index, element, output element */
    int64_t worst_index, worst_output;
    double analytic, numeric; /* the two values there */
    int64_t checked;     /* Jacobian entries compared */
} tg_gradcheck_result;

/* Returns 0 when every entry is within tolerance, TG_EMISMATCH (with a
 * message naming the input, element and both values) when one is not, or
 * another negative code if f fails. opts and result may be NULL. */
TG_API int tg_gradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                 const tg_gradcheck_opts *opts, tg_gradcheck_result *result);

/* The check one order up: for a fixed seed v of f's shape, the gradients
 * g_i = d <v, f(inputs)> / d input_i are computed by tg_grad with
 * TG_CREATE_GRAPH, and each g_i is gradchecked as a function of every input
 * and of v, so the recorded backward rules are compared with finite
 * differences of first-order gradients. opts, result and the return value
 * are as for tg_gradcheck (result gathers every check); a mismatch message
 * names the gradient and the input, e.g. "tg_gradgradcheck: gradient of
 * input 0, input 1 element 2, ...". Inputs past the last given are v. */
TG_API int tg_gradgradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                     const tg_gradcheck_opts *opts, tg_gradcheck_result *result);

#ifdef __cplusplus
}
#endif
#endif
