/* clip.c -- clipping gradients by their global L2 norm. */
#include <math.h>

#include <tapegrad/optim.h>

#include "nn_internal.h"

/* Summed in double for both dtypes, so f32 gradients of a large model do not
 * lose the small terms. */
static double grad_norm(const tg_params *params)
{
    double sum = 0;
    for (int i = 0; i < tg_params_count(params); i++) {
        tg_tensor *g = tg_grad_tensor(tg_params_at(params, i, NULL));
        if (!g)
            continue;
        tg_dtype dtype = tg_dtype_of(g);
        const void *data = tg_data(g);
        for (int64_t k = 0, n = tg_numel(g); k < n; k++) {
            double v = nn_load(dtype, data, k);
            sum += v * v;
        }
    }
    return sqrt(sum);
}

static void scale_grads(tg_params *params, double factor)
{
    for (int i = 0; i < tg_params_count(params); i++) {
        tg_tensor *g = tg_grad_tensor(tg_params_at(params, i, NULL));
        if (!g)
            continue;
        tg_dtype dtype = tg_dtype_of(g);
        void *data = tg_data(g);
        for (int64_t k = 0, n = tg_numel(g); k < n; k++)
            nn_store(dtype, data, k, nn_load(dtype, data, k) * factor);
    }
}

double tg_clip_grad_norm(tg_params *params, double max_norm)
{
    if (!params) {
        tg_set_error(TG_ENULL, "tg_clip_grad_norm: argument 1 (params) is NULL");
        return NAN;
    }
    if (!(max_norm >= 0)) { /* also NaN; INFINITY is allowed and only measures */
        tg_set_error(TG_EVALUE, "tg_clip_grad_norm: max_norm must be >= 0, got %g", max_norm);
        return NAN;
    }
    double norm = grad_norm(params);
    if (!isfinite(norm)) {
        tg_set_error(TG_EVALUE, "tg_clip_grad_norm: the gradient norm is %g; gradients left "
                     "unchanged", norm);
        return NAN;
    }
    /* PyTorch's rule: the 1e-6 keeps the factor finite for a zero norm. */
    double factor = max_norm / (norm + 1e-6);
    if (factor < 1)
        scale_grads(params, factor);
    return norm;
}
