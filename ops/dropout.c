/*
 * dropout.c -- dropout(x, p, training, rng): F.dropout.
 *
 *   forward   y = x * mask, mask[i] = 1/(1-p) with probability 1 - p and 0
 *             otherwise, drawn from rng (tg_rng_uniform(rng) >= p keeps),
 *             one draw per element in row-major order, so a seed gives the
 *             same mask on every machine and thread count. x itself when
 *             not training or p == 0 (PyTorch returns its input); p == 1
 *             gives x * 0 without drawing
 *   backward  dx = g * mask: the mask is a constant of the tape (recorded
 *             as a second input), so every order works
 *   tangent   dx * mask
 *   rerun     draws a new mask from rng, as a fresh step would
 */
#include "jvp.h"

static int dropout_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, out->in[1]);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(dropout_jvp, tg_mul(t, out->in[1]))

/* The mask's values in x's type: scale where kept, 0 where dropped. */
static void draw_mask(tg_tensor *mask, double p, tg_rng *rng)
{
    TG_FOR_DTYPE(mask->dtype, T, {
        T *m = mask->data, scale = p < 1 ? (T)1 / ((T)1 - (T)p) : 0;
        for (int64_t i = 0; i < mask->numel; i++)
            m[i] = p < 1 && tg_rng_uniform(rng) >= p ? scale : 0;
    });
}

static void apply_mask(tg_tensor *y, const tg_tensor *x, const tg_tensor *mask)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *a = x->data, *m = mask->data;
        T *out = y->data;
        TG_PARALLEL_FOR(y->numel, i, out[i] = a[i] * m[i]);
    });
}

/* A replayed step drops other elements, as a fresh one would: a new mask
 * from the generator of the call, which must outlive the replay. */
static int dropout_rerun(tg_tensor *out)
{
    draw_mask(out->in[1], out->attr.dropout.p, out->attr.dropout.rng);
    apply_mask(out, out->in[0], out->in[1]);
    return TG_OK;
}

/* a fixed seed per call, so that gradcheck's repeated calls see one mask,
 * unless the caller passes a generator (tg_op_sample) */
static tg_tensor *sample_dropout(tg_tensor *const *in, void *ctx)
{
    tg_rng seeded;
    tg_rng_seed(&seeded, 13);
    return tg_dropout(in[0], 0.5, true, ctx ? (tg_rng *)ctx : &seeded);
}

const tg_op tg__op_dropout = {
    .info = {TG_OP_DROPOUT, "tg_dropout", 1, TG_OP_HELPER_INPUT,
             {sample_dropout, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = dropout_backward,
    .jvp = dropout_jvp,
    .rerun = dropout_rerun,
};

tg_tensor *tg_dropout(tg_tensor *x, double p, bool training, tg_rng *rng)
{
    const char *fn = tg__op_dropout.info.name;
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (!(p >= 0 && p <= 1))
        return tg__fail(TG_EVALUE, "%s: dropout probability %g is outside [0, 1]", fn, p),
               NULL;
    if (!training || p == 0)
        return x;
    if (!rng && p < 1)
        return tg__fail(TG_ENULL, "%s: rng is NULL", fn), NULL;
    tg_tensor *mask = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape);
    tg_tensor *y = mask ? tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape) : NULL;
    if (!y)
        return NULL;
    draw_mask(mask, p, rng);
    apply_mask(y, x, mask);
    y->attr.dropout.p = p;
    y->attr.dropout.rng = rng;
    tg_tensor *in[2] = {x, mask};
    return tg__record(y, &tg__op_dropout, 2, in);
}
