/*
 * tapegrad/forward.h -- forward mode (Jacobian-vector products) and the
 * derivative drivers built on both modes. docs/modes.md explains when to use
 * which.
 *
 * Reverse mode (tg_backward, tg_grad) gives the gradient of one output with
 * respect to every input in one sweep. Forward mode gives how every output
 * moves along one direction of the inputs, J v, in one run of f:
 *
 *     tg_tensor *y, *dy;                  // y = f(x), dy = J(x) v
 *     tg_jvp(f, NULL, 1, &x, &v, &y, &dy);
 *
 * tg_jvp runs f once with each input carrying its tangent (a dual number
 * x + v eps); every op f calls computes its result's tangent by its tangent
 * rule, written with ops. Nothing is recorded for this when no input
 * requires grad; when one does, the tangents are recorded like any result
 * and can be differentiated (reverse-over-forward). f may itself call
 * tg_grad: the tangents then flow through the gradient computation
 * (forward-over-reverse), which is how tg_hvp and tg_hessian work.
 */
#ifndef TAPEGRAD_FORWARD_H
#define TAPEGRAD_FORWARD_H

#include <tapegrad/export.h>

#include <tapegrad/catalogue.h>
#include <tapegrad/gradcheck.h>
#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runs y = f(inputs, ctx) once with inputs[i] carrying tangents[i] (of its
 * shape and dtype; NULL for zero) and stores y in *output (output may be
 * NULL) and its tangent J v = sum_i (dy/dinputs[i]) tangents[i] in
 * *tangent_out (zeros when y does not depend on a tangent). Returns 0, or a
 * negative TG_E* code with the outputs NULL: a bad argument, f failing, or
 * an op without a tangent rule ("tg_jvp: tg_foo has no tangent rule").
 * Not reentrant: f must not call tg_jvp. Each input must be a distinct
 * tensor; a persistent input is marked with its tangent, so two threads
 * must not pass the same persistent tensor to tg_jvp at once. */
TG_API int tg_jvp(tg_fn f, void *ctx, int n, tg_tensor *const *inputs,
                  tg_tensor *const *tangents, tg_tensor **output, tg_tensor **tangent_out);

/* t's tangent from the latest tg_jvp on this thread (also read from inside
 * f), or NULL when it has none (zero) or is not valid. */
TG_API tg_tensor *tg_tangent(const tg_tensor *t);

/* Whether the op of kind has a tangent rule (false, error set, for a kind
 * out of range). Every kind has one but the user-defined kind's rule is the
 * tg_function's jvp or the double-VJP construction. */
TG_API bool tg_op_has_jvp(tg_op_kind kind);

#ifdef __cplusplus
}
#endif
#endif
