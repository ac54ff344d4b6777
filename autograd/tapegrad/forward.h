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

/* Runs the tangent rule of node, a recorded op result, on tangent_in[k], the
 * tangent of its input k (tg_op_num_inputs(node) of them, of the inputs'
 * shapes; NULL for zero), and stores node's tangent in *tangent_out (NULL
 * when every tangent_in is NULL). Nothing is recorded and node keeps no
 * tangent: the forward-mode counterpart of tg_vjp (tapegrad/inspect.h), for
 * tools that show a forward sweep node by node (tg explain --mode forward). */
TG_API int tg_node_jvp(tg_tensor *node, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* Whether the op of kind has a tangent rule (false, error set, for a kind
 * out of range). Every kind has one but the user-defined kind's rule is the
 * tg_function's jvp or the double-VJP construction. */
TG_API bool tg_op_has_jvp(tg_op_kind kind);

/* ---- drivers ----
 * Each runs f once, recorded, on views of the inputs that require grad, and
 * takes its sweeps over that recording (docs/modes.md): forward sweeps
 * replay the tangent rules of f's nodes without running f again, reverse
 * sweeps walk the retained graph. f must be built from tapegrad ops (a tg_grad
 * inside it must pass create_graph for forward sweeps to see through it).
 * Results are constant tape tensors, not recorded; on failure every output
 * is NULL and a negative TG_E* code is returned. */

typedef enum {
    TG_JAC_AUTO,    /* forward when the inputs have no more elements than the result */
    TG_JAC_FORWARD, /* one tangent sweep per input element (jacfwd) */
    TG_JAC_REVERSE  /* one reverse sweep per result element (jacrev) */
} tg_jac_mode;

/* jacobians_out[i] = d f / d inputs[i], of shape f's ⊕ inputs[i]'s (the
 * result's axes, then the input's; at most TG_MAX_DIMS), in f's dtype, as
 * torch.autograd.functional.jacobian. */
TG_API int tg_jacobian(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_jac_mode mode,
                       tg_tensor **jacobians_out);

/* For f with one output element: hessians_out[i * n + j] = d^2 f / d
 * inputs[i] d inputs[j], of shape inputs[i]'s ⊕ inputs[j]'s, by
 * forward-over-reverse: one tangent sweep through f and its recorded
 * gradient per input element. */
TG_API int tg_hessian(tg_fn f, void *ctx, int n, tg_tensor *const *inputs,
                      tg_tensor **hessians_out);

/* For f with one output element: *output = f, hvp_out[i] = sum_j H_ij v_j
 * (v[j] NULL for zero) by forward-over-reverse (one tangent sweep), and
 * vhp_out[i] = sum_j v_j H_ji by reverse-over-reverse (a second reverse
 * sweep); the same numbers, as H is symmetric (torch.autograd.functional's
 * hvp and vhp). output may be NULL. */
TG_API int tg_hvp(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_tensor *const *v,
                  tg_tensor **output, tg_tensor **hvp_out);
TG_API int tg_vhp(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, tg_tensor *const *v,
                  tg_tensor **output, tg_tensor **vhp_out);

/* k Jacobian-vector products from one recorded run of f: direction j is
 * tangents[j * n + i] for input i (NULL for zero), tangents_out[j] = J v_j.
 * One tangent sweep per direction, f run once. */
TG_API int tg_jvp_batch(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, int k,
                        tg_tensor *const *tangents, tg_tensor **output, tg_tensor **tangents_out);

/* k vector-Jacobian products from one recorded run of f: grads_out[j * n +
 * i] = u_j^T d f / d inputs[i] for the cotangent u_j = cotangents[j] (f's
 * shape and dtype; NULL for ones when f has one element). One reverse sweep
 * per cotangent over the retained graph. (tg_vjp, in tapegrad/inspect.h, is
 * one node's rule.) */
TG_API int tg_vjp_batch(tg_fn f, void *ctx, int n, tg_tensor *const *inputs, int k,
                        tg_tensor *const *cotangents, tg_tensor **output, tg_tensor **grads_out);

#ifdef __cplusplus
}
#endif
#endif
