/*
 * tapegrad/function.h -- ops defined outside the library.
 *
 * A user-defined op is a name, a forward callback that computes the result
 * and a backward callback that turns the result's gradient into gradients
 * for the inputs. tg_apply runs it and records the result on the tape as one
 * node under that name, so it is swept, gradchecked and named in error
 * messages like a built-in op:
 *
 *     static tg_tensor *huber_forward(tg_tensor *const *in, void *ud) { ... }
 *     static int huber_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
 *                               tg_tensor **grad_in, void *ud) { ... }
 *     static const tg_function huber = {"huber_loss", 2, huber_forward, huber_backward};
 *
 *     tg_tensor *loss = tg_apply(&huber, (tg_tensor *[]){pred, target}, &delta);
 *
 * forward runs with recording off: it may use tapegrad ops or fill a tensor
 * from tg_tensor_new with a raw loop. It returns the result or NULL with an
 * error set; a result that is an input, a persistent tensor or a tensor that
 * requires grad is copied, since the node must be a tensor of its own.
 *
 * backward receives the result out, its gradient g (out's shape and dtype)
 * and the inputs, and stores in grad_in[i] the gradient for input i (of
 * input i's shape and dtype), or leaves it NULL for zero; inputs that do not
 * require grad (tg_requires_grad) may be skipped. It returns 0 or a negative
 * TG_E* code (tg_set_error gives it a message). Written with tapegrad ops,
 * backward is recorded by a TG_CREATE_GRAPH sweep and the op supports
 * gradients of any order; written with raw loops, its gradient is a constant
 * to the next order, so only first derivatives are right.
 *
 * ud is handed to both callbacks unchanged; it must stay valid until the
 * last sweep through the result. The tg_function itself must outlive every
 * result it made (a static const object is the usual choice).
 */
#ifndef TAPEGRAD_FUNCTION_H
#define TAPEGRAD_FUNCTION_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef tg_tensor *(*tg_forward_cb)(tg_tensor *const *inputs, void *ud);
typedef int (*tg_backward_cb)(tg_tensor *out, tg_tensor *grad_out, tg_tensor *const *inputs,
                              tg_tensor **grad_inputs, void *ud);

/* Forward mode (tapegrad/forward.h): given the result out, the inputs and
 * their tangents (NULL for zero), stores out's tangent in *tangent_out (out's
 * shape and dtype, NULL for zero); returns 0 or a negative TG_E* code. */
typedef int (*tg_jvp_cb)(tg_tensor *out, tg_tensor *const *inputs, tg_tensor *const *tangents,
                         tg_tensor **tangent_out, void *ud);

typedef struct tg_function {
    const char *name;     /* names the op in errors, e.g. "huber_loss" */
    int n_inputs;         /* 1 or more (more than TG_MAX_INPUTS: kept on the tape) */
    tg_forward_cb forward;
    tg_backward_cb backward;
} tg_function;

/* Runs fn on n_inputs tensors and records the result when an input requires
 * grad and recording is on. NULL on failure: a bad argument, or a failing
 * forward (its message is kept, prefixed with fn's name). */
TG_API tg_tensor *tg_apply(const tg_function *fn, tg_tensor *const *inputs, void *ud);
/* tg_apply with a tangent rule for forward mode. Through a result of
 * tg_apply, tg_jvp uses the double-VJP construction instead: J v is the
 * gradient of <J^T u, v> with respect to a dummy cotangent u, which needs
 * backward written with tapegrad ops and costs a recorded backward and a
 * sweep per result (docs/modes.md). */
TG_API tg_tensor *tg_apply_jvp(const tg_function *fn, tg_jvp_cb jvp, tg_tensor *const *inputs,
                               void *ud);

/* A user-defined op of several results (torch.autograd.Function returning a
 * tuple). forward fills outputs[0 .. n_outputs-1] and returns 0 or a
 * negative TG_E* code; it runs with recording off, as tg_apply's does.
 * Each result is recorded as its own node (named by name) sharing the
 * rule: the reverse sweep calls backward once for each result k that
 * receives a gradient, with that gradient, and backward stores result k's
 * part of each input's gradient in grad_inputs (NULL for none); the sweep
 * adds the parts up. A result that is not used costs no call.
 *
 *     static int minmax_forward(tg_tensor *const *in, tg_tensor **out, void *ud);
 *     static int minmax_backward(tg_tensor *const *outs, int k, tg_tensor *g,
 *                                tg_tensor *const *in, tg_tensor **grad_in, void *ud);
 *     static const tg_function_multi minmax = {"minmax", 1, 2, minmax_forward,
 *                                              minmax_backward};
 *     tg_tensor *lo_hi[2];
 *     tg_apply_multi(&minmax, &x, NULL, lo_hi);
 */
typedef int (*tg_forward_multi_cb)(tg_tensor *const *inputs, tg_tensor **outputs, void *ud);
typedef int (*tg_backward_multi_cb)(tg_tensor *const *outputs, int k, tg_tensor *grad_out,
                                    tg_tensor *const *inputs, tg_tensor **grad_inputs, void *ud);

typedef struct tg_function_multi {
    const char *name;
    int n_inputs;  /* 1 or more */
    int n_outputs; /* 1 or more */
    tg_forward_multi_cb forward;
    tg_backward_multi_cb backward;
} tg_function_multi;

/* Runs fn and writes its n_outputs results to outputs (each recorded when an
 * input requires grad and recording is on). Returns 0, or a negative code
 * with every outputs[k] NULL; errors are named as tg_apply's. Through these
 * results tg_jvp uses the double-VJP construction. */
TG_API int tg_apply_multi(const tg_function_multi *fn, tg_tensor *const *inputs, void *ud,
                          tg_tensor **outputs);

/* Reports a failure as library functions do and returns code, a negative
 * TG_E* code (any other is taken as TG_ESTATE); for callbacks and other code
 * built on tapegrad. Like every failure it sets the message only when no
 * error is pending (tensor.h). */
TG_API int tg_set_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Putting a callee's failure in context. The first failure's message
 * stands, so code that wants to say more than a function it called takes a
 * mark before the call and amends after it:
 *
 *     uint64_t mark = tg_error_mark();
 *     tg_tensor *w = tg_params_get(params, name);
 *     if (!w)
 *         return tg_amend_error(mark, TG_EVALUE, "my_init: no parameter \"%s\"", name);
 *
 * tg_amend_error replaces the message (which its arguments may quote, via
 * tg_last_error()) and code when a failure since the mark set them; else it
 * reports a failure like tg_set_error, which leaves an older pending
 * message alone. It returns code. */
TG_API uint64_t tg_error_mark(void);
TG_API int tg_amend_error(uint64_t mark, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
