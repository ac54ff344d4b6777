/*
 * norm_core.c -- the forward kernel and the rules that layer_norm,
 * rms_norm, group_norm and batch_norm share (norm_core.h).
 *
 *   forward   per group, in double over a fixed number of lanes (below):
 *             the mean (0 for rms_norm), then the biased variance about it
 *             (two passes, so a large common offset cancels),
 *             rstd = 1 / sqrt(var + eps); then
 *             y = (x - mean) rstd weight + bias in one pass
 *   backward  with ops, the statistics recomputed from x:
 *               xhat = (x - mean) rstd,  h = g weight
 *               dx = rstd (h - mean(h) - xhat mean(h xhat))  (rms_norm: no mean(h))
 *               dweight = sum of g xhat, dbias = sum of g,
 *             over everything but the channel
 *   tangent   xhat's Jacobian, rstd (I - 1 1^T / n - xhat xhat^T / n) on each
 *             group (without the 1 1^T term for rms_norm), is symmetric, so
 *             the tangent of xhat is dx's formula applied to the tangent of
 *             x; then dy = dxhat weight + xhat dweight + dbias
 */
#include <math.h>
#include <string.h>

#include "norm_core.h"
#include "jvp.h"

/* Sums run in NORM_LANES partial sums, each element into lane j % LANES of
 * its run (the tail into lane 0), added up in lane order at the end: one
 * double accumulator waits on every add's latency (the compiler may not
 * reassociate), lanes pipeline and vectorize. Their number is fixed, so the
 * result is the same bits on every machine and thread count. */
#define NORM_LANES 8

static double lanes_total(const double *lane)
{
    double total = 0;
    for (int l = 0; l < NORM_LANES; l++)
        total += lane[l];
    return total;
}

/* The mean and biased variance of every group, in double. */
TG_HOT static void group_stats(const tg_norm_geom *geo, const tg_tensor *x, double *mean,
                               double *var)
{
    int64_t A = geo->outer, B = geo->groups, D = geo->inner;
    double n = (double)(A * D);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        TG_PARALLEL_FOR_W(B, x->numel, b, {
            double sum[NORM_LANES] = {0}, ss[NORM_LANES] = {0};
            for (int64_t a = 0; geo->center && a < A; a++) {
                const T *v = src + (a * B + b) * D;
                int64_t d = 0;
                for (; d + NORM_LANES <= D; d += NORM_LANES)
                    for (int l = 0; l < NORM_LANES; l++)
                        sum[l] += (double)v[d + l];
                for (; d < D; d++)
                    sum[0] += (double)v[d];
            }
            double m = geo->center ? lanes_total(sum) / n : 0;
            for (int64_t a = 0; a < A; a++) {
                const T *v = src + (a * B + b) * D;
                int64_t d = 0;
                for (; d + NORM_LANES <= D; d += NORM_LANES)
                    for (int l = 0; l < NORM_LANES; l++) {
                        double dev = (double)v[d + l] - m;
                        ss[l] += dev * dev;
                    }
                for (; d < D; d++) {
                    double dev = (double)v[d] - m;
                    ss[0] += dev * dev;
                }
            }
            mean[b] = m;
            var[b] = lanes_total(ss) / n;
        });
    });
}

/* x is walked in blocks of `inner` contiguous elements, block k = a groups
 * + b belonging to group b; a block splits into runs of channel_stride
 * elements that share one affine channel (every geometry of norm_core.h has
 * inner a multiple of channel_stride), the first of them channel
 * (k inner / channel_stride) % channels. So no element pays for a division,
 * and each run is a plain loop the compiler vectorises. When the stride is 1
 * and a block spans the channels once (layer_norm, rms_norm), element d of
 * a block takes channel d instead of runs of one. */
static bool channel_per_element(const tg_norm_geom *geo)
{
    return geo->channel_stride == 1 && geo->inner == geo->channels;
}

/* Each group one channel, its runs the whole block (batch_norm): a
 * group's sums are then its channel's affine gradients. */
static bool group_is_channel(const tg_norm_geom *geo)
{
    return geo->groups == geo->channels && geo->channel_stride == geo->inner;
}

static int64_t first_channel(const tg_norm_geom *geo, int64_t block)
{
    return block * geo->inner / geo->channel_stride % geo->channels;
}

/* The affine entry of channel c: weight (1 without) and bias (0 without). */
#define AFFINE_W(wv, c) ((wv) ? (double)(wv)[c] : 1.0)
#define AFFINE_B(bv, c) ((bv) ? (double)(bv)[c] : 0.0)

/* y = (x - mean) rstd weight + bias, block by block. */
TG_HOT static void normalize_kernel(const tg_norm_geom *geo, tg_tensor *y, const tg_tensor *x,
                                    const tg_tensor *w, const tg_tensor *bias, const double *mean,
                                    const double *var)
{
    int64_t B = geo->groups, D = geo->inner, C = geo->channels, cs = geo->channel_stride;
    bool per_element = channel_per_element(geo);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *wv = w ? w->data : NULL, *bv = bias ? bias->data : NULL;
        TG_PARALLEL_FOR_W(geo->outer * B, x->numel, k, {
            const T *src = (const T *)x->data + k * D;
            T *dst = (T *)y->data + k * D;
            double m = mean[k % B], r = 1 / sqrt(var[k % B] + geo->eps);
            if (per_element) {
                for (int64_t d = 0; d < D; d++)
                    dst[d] = (T)(((double)src[d] - m) * r * AFFINE_W(wv, d) + AFFINE_B(bv, d));
            } else {
                for (int64_t d = 0, c = first_channel(geo, k); d < D; d += cs, c = (c + 1) % C) {
                    double scale = r * AFFINE_W(wv, c), shift = AFFINE_B(bv, c);
                    for (int64_t j = d; j < d + cs; j++)
                        dst[j] = (T)(((double)src[j] - m) * scale + shift);
                }
            }
        });
    });
}

/* The inputs of out that are its weight and bias, NULL where absent. */
static tg_tensor *weight_of(const tg_tensor *out)
{
    const tg_norm_geom *geo = out->attr.params;
    return geo->weight ? out->in[1] : NULL;
}

static tg_tensor *bias_of(const tg_tensor *out)
{
    const tg_norm_geom *geo = out->attr.params;
    return geo->bias ? out->in[1 + geo->weight] : NULL;
}

int tg__norm_rerun(tg_tensor *out)
{
    const tg_norm_geom *geo = out->attr.params;
    double *m = geo->stats, *v = geo->stats + geo->groups;
    group_stats(geo, out->in[0], m, v);
    normalize_kernel(geo, out, out->in[0], weight_of(out), bias_of(out), m, v);
    return TG_OK;
}

tg_tensor *tg__norm_forward(const tg_op *op, tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                            const tg_norm_geom *geom)
{
    const char *fn = op->info.name;
    tg_norm_geom *kept = tg__tape_bytes(fn, sizeof *kept);
    double *stats = tg__tape_bytes(fn, 2 * (size_t)(geom->groups ? geom->groups : 1) *
                                           sizeof(double));
    tg_tensor *y = kept && stats ? tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape)
                                 : NULL;
    if (!y)
        return NULL;
    *kept = *geom;
    kept->weight = weight != NULL;
    kept->bias = bias != NULL;
    kept->stats = stats;
    y->attr.params = kept;
    double *m = stats, *v = stats + geom->groups;
    group_stats(kept, x, m, v);
    normalize_kernel(kept, y, x, weight, bias, m, v);
    tg_tensor *in[3] = {x, weight ? weight : bias, bias};
    return tg__record(y, op, 1 + kept->weight + kept->bias, in);
}

/* ---- the rules, with ops ---- */

typedef struct {
    tg_tensor *x, *weight, *bias; /* the recorded inputs, NULL where absent */
    tg_tensor *xhat, *rstd;       /* [outer, groups, inner] and [1, groups, 1] */
} norm_parts;

static const int stat_axes[2] = {0, 2};

static tg_tensor *group_mean(tg_tensor *t) { return tg_mean_dims(t, 2, stat_axes, true); }

static tg_tensor *as_groups(const tg_norm_geom *geo, tg_tensor *t)
{
    int64_t shape[3] = {geo->outer, geo->groups, geo->inner};
    return tg_reshape(t, 3, shape);
}

static tg_tensor *as_affine(const tg_norm_geom *geo, tg_tensor *t)
{
    return t ? tg_reshape(t, geo->affine_ndim, geo->affine_shape) : NULL;
}

/* The inputs of out, and xhat and rstd recomputed from x with ops. */
static void parts_of(const tg_tensor *out, norm_parts *p)
{
    const tg_norm_geom *geo = out->attr.params;
    p->x = out->in[0];
    p->weight = weight_of(out);
    p->bias = bias_of(out);
    tg_tensor *xg = as_groups(geo, p->x);
    tg_tensor *dev = geo->center ? tg_sub(xg, group_mean(xg)) : xg;
    p->rstd = tg_rsqrt(tg_add_scalar(group_mean(tg_square(dev)), geo->eps));
    p->xhat = tg_mul(dev, p->rstd);
}

/* xhat's Jacobian (symmetric) applied to h, of x's shape */
static tg_tensor *xhat_jacobian(const tg_norm_geom *geo, const norm_parts *p, tg_tensor *h)
{
    tg_tensor *hg = as_groups(geo, h);
    tg_tensor *along = tg_mul(p->xhat, group_mean(tg_mul(hg, p->xhat)));
    tg_tensor *centred = geo->center ? tg_sub(hg, group_mean(hg)) : hg;
    tg_tensor *j = tg_mul(p->rstd, tg_sub(centred, along));
    return j ? tg_reshape(j, p->x->ndim, p->x->shape) : NULL;
}

/* g summed over everything but the channel, in t's shape */
static tg_tensor *channel_sum(const tg_norm_geom *geo, tg_tensor *g, const tg_tensor *t)
{
    tg_tensor *s = tg_sum_to(g, geo->affine_ndim, geo->affine_shape);
    return s ? tg_reshape(s, t->ndim, t->shape) : NULL;
}

static bool needs(const tg_tensor *t) { return t && (t->flags & TG_REQUIRES_GRAD); }

/* ---- the fused first-order rule ---- */

/* The four sums of the fused rule over a group's elements: of g, g xhat,
 * h = g weight and h xhat, in SUM_LANES lanes each (as NORM_LANES above).
 * Where a run shares one weight, only g and g xhat are summed per element
 * and the run's lanes times the weight give h's. */
#define SUM_LANES 4
#define RUN_LANES 8
enum { SUM_G, SUM_GX, SUM_H, SUM_HX, SUM_KINDS };

static inline void add_terms(double acc[SUM_KINDS][SUM_LANES], int lane, double g, double xhat,
                             double weight)
{
    acc[SUM_G][lane] += g;
    acc[SUM_GX][lane] += g * xhat;
    acc[SUM_H][lane] += g * weight;
    acc[SUM_HX][lane] += g * weight * xhat;
}

static inline void add_run(double acc[SUM_KINDS][SUM_LANES], double g, double gx, double weight)
{
    acc[SUM_G][0] += g;
    acc[SUM_GX][0] += gx;
    acc[SUM_H][0] += weight * g;
    acc[SUM_HX][0] += weight * gx;
}

/* Per group b, the sums over its elements of h = g weight and of h xhat
 * into sums[2 b] and sums[2 b + 1]; and, where each group is one channel
 * (batch_norm), the sums of g and of g xhat, which are dbias and dweight,
 * into affine[C + b] and affine[b]. In double, over fixed lanes, so the
 * result does not depend on the machine or the thread count. */
TG_HOT static void fused_group_sums(const tg_norm_geom *geo, const tg_tensor *x,
                                    const tg_tensor *g, const tg_tensor *w, double *sums,
                                    double *affine)
{
    int64_t A = geo->outer, B = geo->groups, D = geo->inner, C = geo->channels;
    int64_t cs = geo->channel_stride;
    bool per_element = channel_per_element(geo), one_channel = group_is_channel(geo);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *wv = w ? w->data : NULL, *element_w = per_element ? wv : NULL;
        TG_PARALLEL_FOR_W(B, x->numel, b, {
            double m = geo->stats[b], r = 1 / sqrt(geo->stats[B + b] + geo->eps);
            double acc[SUM_KINDS][SUM_LANES] = {{0}};
            for (int64_t a = 0; a < A; a++) {
                int64_t k = a * B + b;
                const T *xv = (const T *)x->data + k * D, *gv = (const T *)g->data + k * D;
                if (element_w) { /* layer_norm, rms_norm: a weight per element */
                    int64_t j = 0;
                    for (; j + SUM_LANES <= D; j += SUM_LANES)
                        for (int l = 0; l < SUM_LANES; l++)
                            add_terms(acc, l, (double)gv[j + l], ((double)xv[j + l] - m) * r,
                                      (double)element_w[j + l]);
                    for (; j < D; j++)
                        add_terms(acc, 0, (double)gv[j], ((double)xv[j] - m) * r,
                                  (double)element_w[j]);
                    continue;
                }
                for (int64_t d = 0, c = first_channel(geo, k); d < D;
                     d += per_element ? D : cs, c = (c + 1) % C) {
                    int64_t end = per_element ? D : d + cs, j = d;
                    /* a run's sums in x's type, so that f32 runs 4 or 8
                     * wide; they are short (a row, a plane), and added in
                     * double */
                    T run[2][RUN_LANES] = {{0}}, mt = (T)m, rt = (T)r;
                    for (; j + RUN_LANES <= end; j += RUN_LANES)
                        for (int l = 0; l < RUN_LANES; l++) {
                            run[0][l] += gv[j + l];
                            run[1][l] += gv[j + l] * ((xv[j + l] - mt) * rt);
                        }
                    for (; j < end; j++) {
                        run[0][0] += gv[j];
                        run[1][0] += gv[j] * ((xv[j] - mt) * rt);
                    }
                    double run_g = 0, run_gx = 0;
                    for (int l = 0; l < RUN_LANES; l++) {
                        run_g += (double)run[0][l];
                        run_gx += (double)run[1][l];
                    }
                    add_run(acc, run_g, run_gx, per_element ? 1.0 : AFFINE_W(wv, c));
                }
            }
            double total[SUM_KINDS] = {0};
            for (int q = 0; q < SUM_KINDS; q++)
                for (int l = 0; l < SUM_LANES; l++)
                    total[q] += acc[q][l];
            sums[2 * b] = total[SUM_H];
            sums[2 * b + 1] = total[SUM_HX];
            if (one_channel) {
                affine[b] = total[SUM_GX];
                affine[C + b] = total[SUM_G];
            }
        });
    });
}

/* dx = rstd (h - mean(h) - xhat mean(h xhat)), mean(h) left out for rms_norm */
TG_HOT static void fused_dx(const tg_norm_geom *geo, const tg_tensor *x, const tg_tensor *g,
                            const tg_tensor *w, const double *sums, tg_tensor *dx)
{
    int64_t B = geo->groups, D = geo->inner, C = geo->channels, cs = geo->channel_stride;
    double n = (double)(geo->outer * D);
    bool per_element = channel_per_element(geo);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *wv = w ? w->data : NULL;
        TG_PARALLEL_FOR_W(geo->outer * B, x->numel, k, {
            int64_t b = k % B;
            const T *xv = (const T *)x->data + k * D, *gv = (const T *)g->data + k * D;
            T *out = (T *)dx->data + k * D;
            double m = geo->stats[b], r = 1 / sqrt(geo->stats[B + b] + geo->eps);
            double mean_h = geo->center ? sums[2 * b] / n : 0, mean_hx = sums[2 * b + 1] / n;
            for (int64_t d = 0, c = first_channel(geo, k); d < D;
                 d += per_element ? D : cs, c = (c + 1) % C) {
                int64_t end = per_element ? D : d + cs;
                for (int64_t j = d; j < end; j++) {
                    double xhat = ((double)xv[j] - m) * r;
                    double h = (double)gv[j] * AFFINE_W(wv, per_element ? j : c);
                    out[j] = (T)(r * (h - mean_h - xhat * mean_hx));
                }
            }
        });
    });
}

/* dweight = sum of g xhat and dbias = sum of g per channel, into dw[C] and
 * db[C], when a group spans several channels (layer_norm, group_norm).
 * Serial, in double, in element order: deterministic. */
static void fused_affine(const tg_norm_geom *geo, const tg_tensor *x, const tg_tensor *g,
                         double *dw, double *db)
{
    int64_t B = geo->groups, D = geo->inner, C = geo->channels, cs = geo->channel_stride;
    bool per_element = channel_per_element(geo);
    memset(dw, 0, (size_t)C * sizeof *dw);
    memset(db, 0, (size_t)C * sizeof *db);
    TG_FOR_DTYPE(x->dtype, T, {
        for (int64_t k = 0; k < geo->outer * B; k++) {
            const T *xv = (const T *)x->data + k * D, *gv = (const T *)g->data + k * D;
            double m = geo->stats[k % B], r = 1 / sqrt(geo->stats[B + k % B] + geo->eps);
            for (int64_t d = 0, c = first_channel(geo, k); d < D;
                 d += per_element ? D : cs, c = (c + 1) % C) {
                int64_t end = per_element ? D : d + cs;
                for (int64_t j = d; j < end; j++) {
                    int64_t ch = per_element ? j : c;
                    dw[ch] += (double)gv[j] * ((double)xv[j] - m) * r;
                    db[ch] += (double)gv[j];
                }
            }
        }
    });
}

/* A tensor of t's shape holding the C doubles of v. */
static tg_tensor *from_doubles(const char *fn, const tg_tensor *t, const double *v)
{
    tg_tensor *r = tg__tape_tensor(fn, (tg_dtype)t->dtype, t->ndim, t->shape);
    for (int64_t i = 0; r && i < r->numel; i++)
        tg__store(r, i, v[i]);
    return r;
}

static int fused_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *fn = out->op->info.name;
    const tg_norm_geom *geo = out->attr.params;
    tg_tensor *x = out->in[0], *w = geo->weight ? out->in[1] : NULL;
    tg_tensor *b = geo->bias ? out->in[1 + geo->weight] : NULL;
    double *sums = tg__tape_bytes(fn, 2 * (size_t)geo->groups * sizeof *sums);
    double *affine = tg__tape_bytes(fn, 2 * (size_t)geo->channels * sizeof *affine);
    if (!sums || !affine)
        return tg__latest_code();
    bool one_channel = group_is_channel(geo);
    if (needs(x) || one_channel)
        fused_group_sums(geo, x, g, w, sums, affine);
    if (needs(x)) {
        if (!(grad_in[0] = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape)))
            return tg__latest_code();
        fused_dx(geo, x, g, w, sums, grad_in[0]);
    }
    if (needs(w) || needs(b)) {
        if (!one_channel)
            fused_affine(geo, x, g, affine, affine + geo->channels);
        if (needs(w) && !(grad_in[1] = from_doubles(fn, w, affine)))
            return tg__latest_code();
        if (needs(b) && !(grad_in[1 + geo->weight] = from_doubles(fn, b, affine + geo->channels)))
            return tg__latest_code();
    }
    return TG_OK;
}

static int composed_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const tg_norm_geom *geo = out->attr.params;
    norm_parts p;
    parts_of(out, &p);
    if (!p.xhat)
        return tg__latest_code();
    if (needs(p.x)) {
        tg_tensor *h = p.weight ? tg_mul(g, as_affine(geo, p.weight)) : g;
        if (!(grad_in[0] = xhat_jacobian(geo, &p, h)))
            return tg__latest_code();
    }
    tg_tensor *xhat = tg_reshape(p.xhat, p.x->ndim, p.x->shape);
    if (needs(p.weight) && !(grad_in[1] = channel_sum(geo, tg_mul(g, xhat), p.weight)))
        return tg__latest_code();
    if (needs(p.bias) && !(grad_in[1 + geo->weight] = channel_sum(geo, g, p.bias)))
        return tg__latest_code();
    return TG_OK;
}

int tg__norm_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    /* the kernels read g in x's dtype */
    bool fuse = tg__may_fuse() && g->dtype == out->in[0]->dtype;
    return fuse ? fused_backward(out, g, grad_in) : composed_backward(out, g, grad_in);
}

int tg__norm_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    const tg_norm_geom *geo = out->attr.params;
    norm_parts p;
    parts_of(out, &p);
    if (!p.xhat)
        return tg__latest_code();
    tg_tensor *terms[3] = {NULL, NULL, NULL};
    if (tangent_in[0]) {
        tg_tensor *dxhat = xhat_jacobian(geo, &p, tangent_in[0]);
        terms[0] = p.weight ? tg_mul(dxhat, as_affine(geo, p.weight)) : dxhat;
    }
    if (p.weight && tangent_in[1])
        terms[1] = tg_mul(tg_reshape(p.xhat, p.x->ndim, p.x->shape),
                          as_affine(geo, tangent_in[1]));
    if (p.bias && tangent_in[1 + geo->weight])
        terms[1 + geo->weight] = as_affine(geo, tangent_in[1 + geo->weight]);
    return tg__jvp_sum(out, out->n_inputs, tangent_in, terms, tangent_out);
}

/* ---- argument checks ---- */

int tg__norm_check_affine(const char *fn, const tg_tensor *x, const tg_tensor *t, int argno,
                          const char *what, int ndim, const int64_t *shape)
{
    if (!t)
        return TG_OK;
    int rc = tg__check(fn, t, argno);
    if (rc == 0)
        rc = tg__check_same_dtype(fn, x, t);
    if (rc < 0)
        return rc;
    bool same = t->ndim == ndim;
    for (int k = 0; same && k < ndim; k++)
        same = t->shape[k] == shape[k];
    if (same)
        return TG_OK;
    char have[96], want[96], xd[96];
    return tg__fail(TG_ESHAPE, "%s: %s has shape %s; input of shape %s needs %s", fn, what,
                    tg__dims_str(t->ndim, t->shape, have, sizeof have),
                    tg__dims_str(x->ndim, x->shape, xd, sizeof xd),
                    tg__dims_str(ndim, shape, want, sizeof want));
}

int tg__norm_check_eps(const char *fn, double eps)
{
    if (isfinite(eps) && eps >= 0)
        return TG_OK;
    return tg__fail(TG_EVALUE, "%s: eps %g must be a finite number >= 0", fn, eps);
}
