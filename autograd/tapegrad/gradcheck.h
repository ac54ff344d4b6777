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
 * place and restored, and their gradients are zeroed.
 */
#ifndef TAPEGRAD_GRADCHECK_H
#define TAPEGRAD_GRADCHECK_H

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
int tg_gradcheck(tg_fn f, void *ctx, int n_inputs, tg_tensor *const *inputs,
                 const tg_gradcheck_opts *opts, tg_gradcheck_result *result);

#ifdef __cplusplus
}
#endif
#endif
