/*
 * gather_map.h -- what the structural ops share (select, slice, permute,
 * flip, roll, repeat, diagonal, diag_embed, pad, masked_select): each
 * computes y[o] = x[map[o]], or a fill value where map[o] < 0, and the
 * indices tensors of the gathers and scatters. Not installed.
 *
 * The map is an f64 tensor of y's shape holding flat offsets into x (exact
 * up to 2^53), recorded as a helper input after the op's arguments, so the
 * backward rule reads the positions the forward used. One rule serves every
 * such op: dx = index_add(zeros(numel x), 0, map, g) reshaped to x, which
 * accumulates where the map repeats an offset (repeat, reflect padding) and
 * is itself differentiable (its backward is index_select), so every order
 * works.
 */
#ifndef TG_GATHER_MAP_H
#define TG_GATHER_MAP_H

#include "kernel.h"

/* A map entry that reads no element of x: the op's fill value. */
#define TG_MAP_FILL (-1.0)

/* The uninitialised result y of shape (ndim, shape) and its map, a constant
 * f64 tensor of the same shape. NULL with the error set on failure. */
tg_tensor *tg__map_new(const char *fn, tg_tensor *x, int ndim, const int64_t *shape,
                       tg_tensor **map);

/* Fills map from one table per axis of a walk shape (walk_ndim, walk_shape)
 * with map's element count: map[o] = base + sum_d table[d][i_d] for o's
 * index (i_0, ...) in the walk shape, or TG_MAP_FILL if any table entry is
 * negative. tables[d] has walk_shape[d] entries. */
void tg__map_fill_tables(tg_tensor *map, int walk_ndim, const int64_t *walk_shape,
                         int64_t *const *tables, int64_t base);

/* Per-axis table storage for tg__map_fill_tables: n entries on the tape. */
int64_t *tg__map_table(const char *fn, int64_t n);

/* Gathers y from x through map (fill where map < 0) and records y over x, the n_extra other arguments and map. */
tg_tensor *tg__map_finish(const tg_op *op, tg_tensor *y, tg_tensor *x, int n_extra,
                          tg_tensor *const *extra, tg_tensor *map, double fill);

/* The rerun of every map op but masked_select (whose map depends on its
 * mask's values): the gather again through the saved map. */
int tg__map_rerun(tg_tensor *out);

/* The backward rule of every map op: the gradient of in[0] only. */
int tg__map_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in);
/* Its tangent rule: a map op is linear in x, so the tangent is the same op
 * over x's tangent with out's map, 0 at the fill places (the fill value is
 * a constant). The other arguments (a mask) carry none. */
int tg__map_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* The map op's saved map: its last input. */
static inline const tg_tensor *tg__map_of(const tg_tensor *out)
{
    return out->in[out->n_inputs - 1];
}

/* Row-major strides (in elements) of t's shape. */
void tg__strides(const tg_tensor *t, int64_t *stride);

/* Reads the index tensor idx (either float dtype, whole numbers) as
 * positions along an axis of size n: negative values count from the end.
 * Writes idx->numel normalised positions into a tape array returned in
 * *out. Errors name fn, the position in idx, the value, the axis and size. */
int tg__read_indices(const char *fn, const tg_tensor *idx, int axis, int64_t n, int64_t **out);

#endif
