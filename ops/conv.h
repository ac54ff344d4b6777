/*
 * conv.h -- the geometry that convolution, unfold/fold and pooling share:
 * a sliding window over two spatial axes. The 1-d ops are the 2-d ones with
 * a height of 1. Not installed.
 */
#ifndef TG_CONV_H
#define TG_CONV_H

#include "kernel.h"

/* Kept in the tape arena beside a result (tg_attr.params), so that its
 * backward and tangent rules rebuild the same windows. Padding may be
 * uneven (padding="same" with an even kernel). */
typedef struct {
    int spatial;                 /* 1 or 2: how many spatial axes the op's tensors have */
    int64_t kernel[2], stride[2], dilation[2];
    int64_t pad_lo[2], pad_hi[2]; /* top/left, bottom/right */
    int64_t in[2];               /* the image's sides (fold: its output's) */
    int64_t out[2];              /* the window grid's sides: L = out[0] out[1] */
    int64_t groups;
} tg_conv_geom;

/* Fills g from the image sides in, the kernel and opts (NULL: defaults),
 * checking every size; fails naming fn. same is refused unless allow_same,
 * groups unless allow_groups. */
int tg__conv_geom(const char *fn, int spatial, const int64_t *in, const int64_t *kernel,
                  const tg_conv_opts *opts, bool allow_same, bool allow_groups, tg_conv_geom *g);

/* g copied into the tape arena, for tg_attr.params; NULL on failure. */
const tg_conv_geom *tg__conv_geom_keep(const char *fn, const tg_conv_geom *g);

/* unfold and fold of a 4-d [N,C,in0,in1] image by a kept geometry, without
 * the argument checks of the public functions (the rules call these). */
tg_tensor *tg__unfold_geom(tg_tensor *x, const tg_conv_geom *g);
tg_tensor *tg__fold_geom(tg_tensor *cols, int64_t channels, const tg_conv_geom *g);
/* How columns are laid out: F.unfold's [N, C KH KW, L], rows (n, c, ki,
 * kj); or the convolution's workspace [C KH KW, N L], rows (c, ki, kj, n),
 * which makes the whole batch one gemm operand. */
typedef enum { TG_COLS_PER_SAMPLE, TG_COLS_BATCHED } tg_cols_layout;

/* Writes the first n elements of x's columns in layout to cols: the
 * convolution's workspace, filled without a tensor of its own. */
void tg__unfold_kernel(const tg_conv_geom *g, const tg_tensor *x, tg_cols_layout layout,
                       void *cols, int64_t n);
/* y [N, C, in0, in1] = the fold of columns in layout: each image element
 * the sum of the entries unfold would have copied from it. */
void tg__fold_kernel(const tg_conv_geom *g, const void *cols, tg_cols_layout layout, tg_tensor *y);

#endif
