/*
 * gather_map.c -- the engine of the structural ops (gather_map.h): build a
 * map of source offsets, gather through it, and send the gradient back
 * through the same map with index_add.
 */
#include <string.h>

#include "gather_map.h"

void tg__strides(const tg_tensor *t, int64_t *stride)
{
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= t->shape[d];
    }
}

tg_tensor *tg__map_new(const char *fn, tg_tensor *x, int ndim, const int64_t *shape,
                       tg_tensor **map)
{
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, ndim, shape);
    *map = y ? tg__tape_tensor(fn, TG_F64, ndim, shape) : NULL;
    return *map ? y : NULL;
}

int64_t *tg__map_table(const char *fn, int64_t n)
{
    /* one entry at least, so that an empty axis still has an address */
    return tg__tape_bytes(fn, (size_t)(n > 0 ? n : 1) * sizeof(int64_t));
}

void tg__map_fill_tables(tg_tensor *map, int walk_ndim, const int64_t *walk_shape,
                         int64_t *const *tables, int64_t base)
{
    double *m = map->data;
    if (map->numel == 0)
        return;
    if (walk_ndim == 0) {
        m[0] = (double)base;
        return;
    }
    int last = walk_ndim - 1;
    int64_t idx[TG_MAX_DIMS] = {0}, inner = walk_shape[last];
    const int64_t *t_last = tables[last];
    /* the odometer walks rows: one offset per row from the outer axes */
    for (int64_t o = 0; o < map->numel;) {
        int64_t off = base;
        bool fill = false;
        for (int d = 0; d < last; d++) {
            fill |= tables[d][idx[d]] < 0;
            off += tables[d][idx[d]];
        }
        for (int64_t j = 0; j < inner; j++, o++)
            m[o] = fill || t_last[j] < 0 ? TG_MAP_FILL : (double)(off + t_last[j]);
        for (int d = last - 1; d >= 0 && ++idx[d] == walk_shape[d]; d--)
            idx[d] = 0;
    }
}

static void gather_kernel(tg_tensor *y, const tg_tensor *x, const tg_tensor *map, double fill)
{
    const double *m = map->data;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        T pad = (T)fill;
        TG_PARALLEL_FOR(y->numel, o, dst[o] = m[o] < 0 ? pad : src[(int64_t)m[o]]);
    });
}

tg_tensor *tg__map_finish(const tg_op *op, tg_tensor *y, tg_tensor *x, int n_extra,
                          tg_tensor *const *extra, tg_tensor *map, double fill)
{
    gather_kernel(y, x, map, fill);
    tg_tensor *in[TG_MAX_INPUTS] = {x};
    for (int k = 0; k < n_extra; k++)
        in[1 + k] = extra[k];
    in[1 + n_extra] = map;
    return tg__record(y, op, 2 + n_extra, in);
}

int tg__map_rerun(tg_tensor *out)
{
    /* the map depends on shapes only, so the capture's still holds; the fill
     * value is tg_pad's constant, 0 for every other map op */
    double fill = (out->op->info.flags & TG_OP_CONSTANT) ? out->attr.f : 0;
    gather_kernel(out, out->in[0], tg__map_of(out), fill);
    return TG_OK;
}

/* A map without fill entries: the map itself. With them, a copy reading
 * element 0 there, and in *valid a constant that zeroes g at those places
 * (so nothing is added to element 0). */
static tg_tensor *clean_map(const char *fn, const tg_tensor *map, const tg_tensor *g,
                            tg_tensor **valid)
{
    const double *m = map->data;
    int64_t n = map->numel, first = 0;
    while (first < n && m[first] >= 0)
        first++;
    *valid = NULL;
    if (first == n)
        return (tg_tensor *)map;
    tg_tensor *clean = tg__tape_tensor(fn, TG_F64, map->ndim, map->shape);
    *valid = clean ? tg__tape_tensor(fn, (tg_dtype)g->dtype, map->ndim, map->shape) : NULL;
    if (!*valid)
        return NULL;
    double *c = clean->data;
    for (int64_t i = 0; i < n; i++) {
        c[i] = m[i] < 0 ? 0 : m[i];
        tg__store(*valid, i, m[i] < 0 ? 0 : 1);
    }
    return clean;
}

int tg__map_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *fn = out->op->info.name;
    tg_tensor *x = out->in[0], *valid;
    tg_tensor *map = clean_map(fn, tg__map_of(out), g, &valid);
    if (!map)
        return tg__latest_code();
    int64_t flat[1] = {-1}, numel[1] = {x->numel};
    tg_tensor *src = valid ? tg_mul(g, valid) : g;
    tg_tensor *zeros = tg_full((tg_dtype)x->dtype, 1, numel, 0, false);
    tg_tensor *sum = tg_index_add(zeros, 0, tg_reshape(map, 1, flat), tg_reshape(src, 1, flat));
    grad_in[0] = tg_reshape(sum, x->ndim, x->shape);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

int tg__map_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *t = tangent_in[0];
    *tangent_out = NULL;
    if (!t)
        return TG_OK;
    tg_tensor *y = tg__tape_tensor(out->op->info.name, (tg_dtype)t->dtype, out->ndim, out->shape);
    if (!y)
        return tg__latest_code();
    y->attr = out->attr;
    tg_tensor *map = (tg_tensor *)tg__map_of(out);
    *tangent_out = tg__map_finish(out->op, y, t, out->n_inputs - 2, out->in + 1, map, 0);
    return *tangent_out ? TG_OK : tg__latest_code();
}

int tg__read_indices(const char *fn, const tg_tensor *idx, int axis, int64_t n, int64_t **out)
{
    int64_t *pos = tg__map_table(fn, idx->numel);
    if (!pos)
        return tg__latest_code();
    for (int64_t k = 0; k < idx->numel; k++) {
        double v = tg__load(idx, k);
        if (v != floor(v))
            return tg__fail(TG_EVALUE, "%s: index %.17g at position %lld is not a whole number",
                            fn, v, (long long)k);
        if (!(v >= -(double)n && v < (double)n))
            return tg__fail(TG_EVALUE,
                            "%s: index %.17g at position %lld is out of range for axis %d of "
                            "size %lld",
                            fn, v, (long long)k, axis, (long long)n);
        pos[k] = v < 0 ? (int64_t)v + n : (int64_t)v;
    }
    *out = pos;
    return TG_OK;
}
