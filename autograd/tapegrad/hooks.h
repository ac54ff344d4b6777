/*
 * tapegrad/hooks.h -- watching and changing gradients during a sweep, and
 * anomaly mode.
 *
 * A hook registered on a tensor sees the tensor's total gradient of one sweep
 * (tg_backward or tg_grad) once it is complete and returns the gradient to
 * use instead: the one it was given to leave it unchanged, or a new tensor
 * of the same shape and dtype (scaled, clipped, ...). Hooks of one tensor run
 * in registration order, each seeing the previous one's result. A recorded
 * op result's hooks run when the sweep reaches it, before the gradient flows
 * on; a leaf's (tg_var, tg_param, ...) run when the sweep ends, before the
 * gradient is added to its grad. Inside a TG_CREATE_GRAPH sweep a hook's ops
 * are recorded like the rules', so its change is differentiated too.
 * A hook returning NULL stops the sweep with the error it set.
 *
 * Hooks of a tape tensor die with it at tg_tape_reset; those of a persistent
 * tensor stay until tg_remove_hooks or tg_free.
 */
#ifndef TAPEGRAD_HOOKS_H
#define TAPEGRAD_HOOKS_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef tg_tensor *(*tg_hook_fn)(tg_tensor *t, tg_tensor *grad, void *ud);

/* t must require grad (anything else never receives a gradient). */
TG_API int tg_register_hook(tg_tensor *t, tg_hook_fn fn, void *ud);
TG_API void tg_remove_hooks(tg_tensor *t);

/* Keeps the gradient of a recorded op result in its grad after tg_backward
 * (tg_grad_tensor, tg_grad_get), summed over sweeps like a leaf's until
 * tg_zero_grad. Leaves keep theirs anyway; for them this does nothing. */
TG_API int tg_retain_grad(tg_tensor *t);

/* Anomaly mode, off by default, for the whole process: every op result and
 * every gradient a backward rule produces is checked for NaN and infinity,
 * and the first offender fails with TG_EANOMALY and a message naming the op,
 * its tape position and the ranges of its inputs, e.g.
 *     "tg_log (tape #17): backward produced inf at element 0 from input min 0 max 0, ..."
 * A failing forward returns NULL; a failing sweep stops. Off, it costs one
 * predictable branch per op and per swept node. */
TG_API void tg_set_anomaly_mode(bool on);
TG_API bool tg_anomaly_mode(void);

#ifdef __cplusplus
}
#endif
#endif
