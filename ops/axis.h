/*
 * axis.h -- what the reductions share: the shape of a result reduced along
 * one axis (or over every element) and the way back for its gradient.
 * Not installed.
 */
#ifndef TG_AXIS_H
#define TG_AXIS_H

#include "kernel.h"

/* attr.i.axis of a reduction over every element. An axis reduction stores
 * its normalised axis, which is never negative, so the two cannot clash. */
#define TG_ALL_AXES (-1)

/* The uninitialised result of reducing x along axis (negative counts from the
 * end): the axis kept with size 1 when keepdim, else dropped. attr records
 * the normalised axis and keepdim. NULL with the error set if x or axis is
 * bad. */
tg_tensor *tg__reduction_new(const char *fn, tg_tensor *x, int axis, bool keepdim);
/* The same over every element: a 0-d result whose attr axis is TG_ALL_AXES. */
tg_tensor *tg__reduction_new_all(const char *fn, tg_tensor *x);

/* Views x as [outer, n, inner] around the axis that y reduces, so y[o, i]
 * covers x[o, 0..n-1, i]; a reduction over everything is [1, numel, 1]. */
void tg__reduction_split(const tg_tensor *x, const tg_tensor *y, int64_t *outer, int64_t *n,
                         int64_t *inner);

/* g, the gradient arriving at the recorded reduction out, with the reduced
 * axis put back as size 1 when it was dropped, so that it broadcasts against
 * out's input. Returns g itself when nothing needs restoring. */
tg_tensor *tg__keepdim_grad(tg_tensor *g, const tg_tensor *out);

#endif
