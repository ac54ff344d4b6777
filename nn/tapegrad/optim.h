/*
 * tapegrad/optim.h -- optimizers, gradient clipping and learning-rate
 * schedules.
 *
 * An optimizer updates the parameters of a registry from their accumulated
 * gradients with PyTorch's formulas (g is a parameter's gradient, p its
 * value, t the number of updates this parameter has received, counting this
 * one):
 *
 *   SGD    g += weight_decay p                         (L2 decay)
 *          with momentum: b = g on a parameter's first update, then
 *                         b = momentum b + (1 - dampening) g;
 *                         g = nesterov ? g + momentum b : b
 *          p -= lr g
 *   Adam   g += weight_decay p                         (L2 decay)
 *          m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *          p -= lr/(1 - beta1^t) m / (sqrt(v)/sqrt(1 - beta2^t) + eps)
 *   AdamW  p -= lr weight_decay p                      (decoupled decay)
 *          then Adam's update without the L2 term
 *
 * The notes' three rules are plain SGD (momentum 0) with a loss averaged over
 * the samples of each step: all N samples (full-batch gradient descent,
 * w -= eta 1/N sum grad_i), one sample (SGD, w -= eta grad_i) or a
 * mini-batch (w -= eta 1/B sum over the batch). See docs/optim.md.
 *
 * State (momentum buffers, moment estimates, per-parameter update counts) is
 * kept per parameter name, in the parameter's dtype, and made on a
 * parameter's first update; later steps allocate nothing.
 */
#ifndef TAPEGRAD_OPTIM_H
#define TAPEGRAD_OPTIM_H

#include <tapegrad/export.h>

#include <tapegrad/params.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TG_OPTIM_SGD, TG_OPTIM_ADAM, TG_OPTIM_ADAMW } tg_optim_kind;

/* Fields a kind does not read are ignored: SGD reads lr, momentum,
 * dampening, nesterov and weight_decay; Adam and AdamW read lr, beta1,
 * beta2, eps and weight_decay. */
typedef struct {
    tg_optim_kind kind;
    double lr;           /* learning rate eta, finite and > 0 */
    double momentum;     /* SGD, in [0, 1) */
    double dampening;    /* SGD, in [0, 1]; must be 0 with nesterov */
    bool nesterov;       /* SGD, needs momentum > 0 */
    double weight_decay; /* >= 0; L2 for SGD and Adam, decoupled for AdamW */
    double beta1, beta2; /* Adam/AdamW moment decay rates, in [0, 1) */
    double eps;          /* Adam/AdamW denominator guard, > 0 */
} tg_optim_config;

/* PyTorch's defaults: lr 1e-3; momentum, dampening and weight decay 0 (0.01
 * for AdamW); betas 0.9 and 0.999; eps 1e-8. */
TG_API tg_optim_config tg_optim_defaults(tg_optim_kind kind);

typedef struct tg_optim tg_optim;

/* An optimizer over params, which it borrows: params must outlive it and may
 * gain parameters meanwhile. Checks every field of cfg; an error names the
 * field and its value. */
TG_API tg_optim *tg_optim_new(tg_params *params, const tg_optim_config *cfg);
TG_API void tg_optim_free(tg_optim *optim); /* NULL is ignored */

/* One update of every parameter that has a gradient (tg_grad_tensor != NULL).
 * If the state of a new parameter cannot be allocated, fails with TG_ENOMEM
 * before changing any parameter. */
TG_API int tg_optim_step(tg_optim *optim);
TG_API void tg_optim_zero_grad(tg_optim *optim); /* zeroes every parameter's gradient */

TG_API double tg_optim_lr(const tg_optim *optim); /* NaN for NULL */
/* Changes the learning rate (for a schedule); a value that is not finite and
 * > 0 is refused with an error and the rate is kept. */
TG_API int tg_optim_set_lr(tg_optim *optim, double lr);
TG_API int64_t tg_optim_steps(const tg_optim *optim); /* successful tg_optim_step calls */

/* ---- state by parameter name (for checkpoints) ---------------------------- */

/* Slots: "momentum_buffer" (SGD with momentum), "exp_avg" and "exp_avg_sq"
 * (Adam, AdamW); the names are PyTorch's. */

/* The slot's tensor for the named parameter, or NULL with an error if the
 * parameter is unknown, the slot is not one this optimizer keeps, or the
 * parameter has not been updated yet. Valid until tg_optim_free. */
TG_API const tg_tensor *tg_optim_state(const tg_optim *optim, const char *param_name, const char *slot);

/* Updates the named parameter has received (Adam's t), 0 before its first;
 * negative code if the name is unknown. */
TG_API int64_t tg_optim_param_steps(const tg_optim *optim, const char *param_name);

/* Restores a saved state: copies values (the parameter's shape, any dtype)
 * into the slot and records that the parameter has received `steps` >= 1
 * updates, as if this optimizer had made them. Call once per slot. */
TG_API int tg_optim_set_state(tg_optim *optim, const char *param_name, const char *slot,
                       const tg_tensor *values, int64_t steps);

/* ---- gradient clipping ------------------------------------------------------- */

/* norm = sqrt(sum of every gradient element squared) over all parameters;
 * if max_norm / (norm + 1e-6) < 1, every gradient is multiplied by that
 * factor (PyTorch's clip_grad_norm_); max_norm = INFINITY only measures.
 * Returns the norm before clipping, or NaN with an error for NULL params, a
 * max_norm that is negative or NaN, or a norm that is not finite (gradients
 * are then left as they are, so the caller can skip the step). */
TG_API double tg_clip_grad_norm(tg_params *params, double max_norm);

/* ---- learning-rate schedules: pure functions of the step ------------------- */
/* Each returns NaN with an error for a negative step or count, or a rate
 * that is not finite. */

/* base_lr gamma^floor(epoch / step_size)   (PyTorch's StepLR) */
TG_API double tg_lr_step(double base_lr, int64_t epoch, int64_t step_size, double gamma);

/* min_lr + (base_lr - min_lr) (1 + cos(pi t / t_max)) / 2 for t <= t_max,
 * min_lr after (PyTorch's CosineAnnealingLR, held at its end instead of
 * rising again). */
TG_API double tg_lr_cosine(double base_lr, double min_lr, int64_t t, int64_t t_max);

/* base_lr min(1, (t + 1) / warmup_steps): linear warm-up that reaches base_lr
 * at step warmup_steps - 1 and stays there. */
TG_API double tg_lr_warmup(double base_lr, int64_t t, int64_t warmup_steps);

#ifdef __cplusplus
}
#endif
#endif
