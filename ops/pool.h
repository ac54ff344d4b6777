/*
 * pool.h -- what the pooling ops share (pool.c): their window geometry,
 * a tg_conv_geom (conv.h) that the backward rules hand to fold and unfold,
 * and each output place's run of taps inside the input. Not installed.
 */
#ifndef TG_POOL_H
#define TG_POOL_H

#include "conv.h"

/* The geometry of a pooling of the image sides in by kernel under opts
 * (NULL: defaults), checked as PyTorch checks it; fails naming fn. The
 * stride defaults to the kernel; with ceil_mode pad_hi grows so that the
 * last window fits. dilation_ok: max pooling (avg pooling has none). */
int tg__pool_geom(const char *fn, int spatial, const int64_t *in, const int64_t *kernel,
                  const tg_pool_opts *opts, bool dilation_ok, tg_conv_geom *g);

/* Per output place o of each spatial axis a, the taps [lo, hi) of its
 * window that fall inside the input (tap j reads o stride - pad + j
 * dilation), and how many places of the padded input (in + 2 pad) the
 * window covers: count_include_pad's divisor. */
typedef struct {
    int64_t *lo[2], *hi[2], *padded[2];
} tg_pool_taps;

/* t's tables in the tape arena; fails naming fn. */
int tg__pool_taps(const char *fn, const tg_conv_geom *g, tg_pool_taps *t);

/* x [N,C,..] read as [N,C,H,W]: the 1-d ops' [N,C,L] as [N,C,1,L]. */
tg_tensor *tg__pool_as_4d(tg_tensor *x);

/* Checks that x is [N,C,L] (spatial 1) or [N,C,H,W] (spatial 2). */
int tg__pool_check_input(const char *fn, const tg_tensor *x, int spatial);

#endif
