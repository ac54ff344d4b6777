/* jvp.c -- the tangent-rule helpers that many ops share (jvp.h). */
#include "axis.h"
#include "jvp.h"

int tg__jvp_symmetric(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    *tangent_out = NULL;
    if (!tangent_in[0])
        return TG_OK;
    tg_tensor *grad_in[TG_MAX_INPUTS] = {NULL};
    int rc = out->op->backward(out, tangent_in[0], grad_in);
    *tangent_out = grad_in[0];
    return rc;
}

int tg__jvp_zero(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    (void)out;
    (void)tangent_in;
    *tangent_out = NULL;
    return TG_OK;
}

tg_tensor *tg__jvp_reduce_like(tg_tensor *t, const tg_tensor *out)
{
    bool keepdim = out->ndim == out->in[0]->ndim;
    return tg__sum_mask(t, (unsigned)out->attr.i.flag_a, keepdim);
}

int tg__jvp_reduction(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    *tangent_out = NULL;
    if (!tangent_in[0])
        return TG_OK;
    tg_tensor *ones = tg_full((tg_dtype)out->dtype, out->ndim, out->shape, 1.0, false);
    if (!ones)
        return tg__latest_code();
    tg_tensor *local[TG_MAX_INPUTS] = {NULL};
    int rc = out->op->backward(out, ones, local);
    if (rc < 0)
        return rc;
    *tangent_out = tg__jvp_reduce_like(tg_mul(tangent_in[0], local[0]), out);
    return *tangent_out ? TG_OK : tg__latest_code();
}

int tg__jvp_sum(tg_tensor *out, int n, tg_tensor *const *tangent_in, tg_tensor *const *terms,
                tg_tensor **tangent_out)
{
    tg_tensor *sum = NULL;
    *tangent_out = NULL;
    for (int k = 0; k < n; k++) {
        if (!tangent_in[k])
            continue;
        if (!terms[k])
            return tg__latest_code();
        sum = sum ? tg_add(sum, terms[k]) : terms[k];
        if (!sum)
            return tg__latest_code();
    }
    *tangent_out = tg__expand_like(sum, out);
    return !sum || *tangent_out ? TG_OK : tg__latest_code();
}
