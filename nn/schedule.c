/* schedule.c -- learning-rate schedules as pure functions of the step, so a
 * training loop can call tg_optim_set_lr(o, tg_lr_cosine(...)) each step and a
 * resumed run needs no schedule state. */
#include <math.h>

#include <tapegrad/optim.h>

#include "nn_internal.h"

static double fail_nan(const char *fn, const char *what, double value)
{
    tg_set_error(TG_EVALUE, "%s: %s, got %g", fn, what, value);
    return NAN;
}

double tg_lr_step(double base_lr, int64_t epoch, int64_t step_size, double gamma)
{
    const char *fn = "tg_lr_step";
    if (!isfinite(base_lr))
        return fail_nan(fn, "base_lr must be finite", base_lr);
    if (epoch < 0)
        return fail_nan(fn, "epoch must be >= 0", (double)epoch);
    if (step_size < 1)
        return fail_nan(fn, "step_size must be >= 1", (double)step_size);
    if (!isfinite(gamma) || gamma <= 0)
        return fail_nan(fn, "gamma must be finite and > 0", gamma);
    return base_lr * pow(gamma, (double)(epoch / step_size));
}

double tg_lr_cosine(double base_lr, double min_lr, int64_t t, int64_t t_max)
{
    const char *fn = "tg_lr_cosine";
    if (!isfinite(base_lr))
        return fail_nan(fn, "base_lr must be finite", base_lr);
    if (!isfinite(min_lr))
        return fail_nan(fn, "min_lr must be finite", min_lr);
    if (t < 0)
        return fail_nan(fn, "t must be >= 0", (double)t);
    if (t_max < 1)
        return fail_nan(fn, "t_max must be >= 1", (double)t_max);
    if (t >= t_max)
        return min_lr;
    const double pi = 3.14159265358979323846;
    return min_lr + (base_lr - min_lr) * (1 + cos(pi * (double)t / (double)t_max)) / 2;
}

double tg_lr_warmup(double base_lr, int64_t t, int64_t warmup_steps)
{
    const char *fn = "tg_lr_warmup";
    if (!isfinite(base_lr))
        return fail_nan(fn, "base_lr must be finite", base_lr);
    if (t < 0)
        return fail_nan(fn, "t must be >= 0", (double)t);
    if (warmup_steps < 1)
        return fail_nan(fn, "warmup_steps must be >= 1", (double)warmup_steps);
    if (t + 1 >= warmup_steps)
        return base_lr;
    return base_lr * (double)(t + 1) / (double)warmup_steps;
}
