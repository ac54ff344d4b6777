/*
 * scan.h -- the scans along one axis that cumsum's, cumprod's and prod's
 * rules compose. Not installed.
 */
#ifndef TG_SCAN_H
#define TG_SCAN_H

#include "kernel.h"

/* cumsum and cumprod along axis, from the end of the axis when reverse:
 * y_i = sum_{j >= i} x_j (or the product). */
tg_tensor *tg__cumsum_dir(tg_tensor *x, int axis, bool reverse);
tg_tensor *tg__cumprod_dir(tg_tensor *x, int axis, bool reverse);

/* The linear recurrence s_i = a_i s_{i-1} + b_i along axis (s_{i+1} when
 * reverse), starting from 0; a and b share a shape. */
tg_tensor *tg__scan(tg_tensor *a, tg_tensor *b, int axis, bool reverse);

/* x moved one place along axis: y_i = x_{i-1} (toward the end, by = 1) or
 * x_{i+1} (by = -1), the freed place holding fill (0 or 1). */
tg_tensor *tg__shift(tg_tensor *x, int axis, int by, int fill);

#endif
