/*
 * normalize.c -- F.normalize and F.cosine_similarity, composed of ops as
 * PyTorch composes them, so they have no kind of their own: the tape shows
 * their norms, divisions and sums.
 *
 *   normalize          x / max(norm(x, p, axis, keepdim), eps): an all-zero
 *                      slice gives 0, with gradient 1/eps (the norm's
 *                      subgradient at 0 is 0)
 *   cosine_similarity  sum(a / na * b / nb, axis), na = ||a|| held at eps
 *                      or above. PyTorch clamps the norms in place under
 *                      no_grad, so the clamp moves the value but not the
 *                      gradient; here the same: na = ||a|| + c, c the
 *                      constant max(||a||, eps) - ||a||. a and b broadcast
 *                      first, and axis counts in the broadcast shape.
 */
#include <math.h>

#include "kernel.h"

tg_tensor *tg_normalize(tg_tensor *x, double p, int axis, double eps)
{
    tg_tensor *n = tg_norm(x, p, 1, &axis, true);
    return tg_div(x, tg_maximum(n, tg__scalar_like(x, eps)));
}

/* ||t|| along axis with its value raised to eps, its gradient kept. */
static tg_tensor *clamped_norm(tg_tensor *t, int axis, double eps)
{
    tg_tensor *n = tg_norm(t, 2, 1, &axis, true);
    if (!n)
        return NULL;
    tg_tensor *lift = tg__zeros_like(n);
    if (!lift)
        return NULL;
    for (int64_t i = 0; i < n->numel; i++) {
        double v = tg__load(n, i);
        tg__store(lift, i, v < eps ? eps - v : 0);
    }
    return tg_add(n, lift);
}

/* a stretched to the shape it broadcasts to with b (itself if it has it). */
static tg_tensor *broadcast_with(const char *fn, tg_tensor *a, tg_tensor *b)
{
    tg_tensor *ts[2] = {a, b};
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    if (tg__broadcast(fn, 2, ts, &ndim, shape, &plan) < 0)
        return NULL;
    return tg_broadcast_to(a, ndim, shape);
}

tg_tensor *tg_cosine_similarity(tg_tensor *a, tg_tensor *b, int axis, double eps)
{
    const char *fn = "tg_cosine_similarity";
    if (tg__check(fn, a, 1) < 0 || tg__check(fn, b, 2) < 0 || tg__check_same_dtype(fn, a, b) < 0)
        return NULL;
    tg_tensor *x = broadcast_with(fn, a, b), *y = broadcast_with(fn, b, a);
    if (!x || !y)
        return NULL;
    tg_tensor *xn = tg_div(x, clamped_norm(x, axis, eps));
    tg_tensor *yn = tg_div(y, clamped_norm(y, axis, eps));
    return tg_sum_axis(tg_mul(xn, yn), axis, false);
}
