/*
 * tapegrad/inspect.h -- read the tape: which op made a tensor, from which
 * inputs, with which constants, and the vector-Jacobian product of one node.
 *
 * For tools that show the chain rule at work (the `tg explain` and `tg dot`
 * subcommands) and for debugging. A sweep can be replayed step by step:
 *
 *     for (int64_t pos = tg_tape_position(y); pos >= 0; pos--) {
 *         tg_tensor *node = tg_tape_node(pos), *grads[TG_MAX_INPUTS];
 *         ... look up g, the gradient gathered so far for node ...
 *         tg_vjp(node, g, grads);   // grads[k]: what input k receives from node
 *     }
 *
 * Nothing here changes a tensor or a gradient. Errors return NULL, NaN or a
 * negative TG_E* code with tg_last_error() set, as everywhere in tapegrad.
 */
#ifndef TAPEGRAD_INSPECT_H
#define TAPEGRAD_INSPECT_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The op result recorded at position pos (0 <= pos < tg_tape_length()) of
 * the calling thread's tape. */
TG_API tg_tensor *tg_tape_node(int64_t pos);

/* t's position on the tape, or -1 for a leaf, a constant or a result that
 * was not recorded. */
TG_API int64_t tg_tape_position(const tg_tensor *t);

/* The name of the op that recorded t ("tg_add", "tg_sigmoid", ...; a
 * user-defined op's own name), or NULL when t was not recorded (a leaf or a
 * constant). tg_op_kind_of (tapegrad/catalogue.h) tells the op's identity. */
TG_API const char *tg_op_name(const tg_tensor *t);

/* The inputs of the op that recorded t, in argument order: 0 for an
 * unrecorded tensor. Some ops keep a constant helper input that is not an
 * argument (tg_max and tg_min keep the position of the extreme element). */
TG_API int tg_op_num_inputs(const tg_tensor *t);
TG_API tg_tensor *tg_op_input(const tg_tensor *t, int k);

/* Whether t was recorded by an op that keeps a scalar constant (its
 * catalogue row has TG_OP_CONSTANT): c of tg_add_scalar and tg_mul_scalar,
 * the exponent of tg_pow_scalar, the slope of tg_leaky_relu. If so, stores
 * it in *out and returns true; otherwise returns false and leaves *out
 * alone (a bad tensor or a NULL out also sets the error). */
TG_API bool tg_op_constant(const tg_tensor *t, double *out);

/* All the scalar constants of t's op, in argument order: how many it keeps
 * (0, 1, or 2 for ops whose row also has TG_OP_CONSTANT2: tg_softplus's beta
 * and threshold, the bounds of tg_clamp and tg_hardtanh), of which the first
 * max are stored in out (NULL when max is 0). The first is tg_op_constant's.
 * A bad tensor, a negative max or a NULL out gives a negative TG_E* code. */
TG_API int tg_op_constants(const tg_tensor *t, double *out, int max);

/* The axis (0 .. ndim-1 of the input) that t's op works along, for the ops
 * whose catalogue row has TG_OP_AXIS (tg_softmax, tg_log_softmax, the
 * tg_*_axis reductions). Negative TG_EVALUE for any other tensor. */
TG_API int tg_op_axis(const tg_tensor *t);

/* The axes (0 .. ndim-1 of the input, ascending) that t's op works along or
 * reduces over: the one axis of a TG_OP_AXIS op, the set of a TG_OP_AXES
 * one (every axis for tg_sum, tg_max, ...). Stores the first max of them
 * in out and returns how many there are, or negative TG_EVALUE for any
 * other tensor. */
TG_API int tg_op_axes(const tg_tensor *t, int *out, int max);

/* The local partials d t / d input_k that the scalar fast path stored when
 * t was recorded (docs/tape.md): t is the 0-d F64 result of an elementwise
 * op on 0-d F64 operands. Stores the first max of them in out and returns
 * how many there are (the op's inputs), or 0 for a tensor that has none (a
 * leaf, an unrecorded or a tensor-shaped result, an op that passes no
 * gradient). A bad tensor, a negative max or a NULL out gives a negative
 * TG_E* code. */
TG_API int tg_op_partials(const tg_tensor *t, double *out, int max);

/* Runs the backward rule of node, a recorded op result, on the gradient
 * upstream (node's shape and dtype) and stores in grads_out[k], for each of
 * the tg_op_num_inputs(node) inputs, the gradient that input receives, or
 * NULL when it receives none (it does not require grad, or the rule passes
 * nothing). Accumulated gradients are left alone and nothing is recorded:
 * the results are tape tensors that are constants. */
TG_API int tg_vjp(tg_tensor *node, tg_tensor *upstream, tg_tensor **grads_out);

#ifdef __cplusplus
}
#endif
#endif
