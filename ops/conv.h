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
/* Columns are F.unfold's [N, C KH KW, L]: row (n, c, ki, kj), column l the
 * window at (l / OW, l % OW); one image's are [C KH KW, L], a gemm operand.
 * tg__unfold_kernel writes the first n elements of x's columns to cols (a
 * workspace, filled without a tensor of its own), on threads for large n. */
void tg__unfold_kernel(const tg_conv_geom *g, const tg_tensor *x, void *cols, int64_t n);
/* y [N, C, in0, in1] = the fold of columns: each image element the sum of
 * the entries unfold would have copied from it. */
void tg__fold_kernel(const tg_conv_geom *g, const void *cols, tg_tensor *y);
/* The same for one image of C channels, x [C, in0, in1] and cols [C K, L],
 * on the calling thread (the convolutions share images out themselves). */
void tg__unfold_image(const tg_conv_geom *g, tg_dtype dtype, int64_t C, const void *x,
                      void *cols);
void tg__fold_image(const tg_conv_geom *g, tg_dtype dtype, int64_t C, const void *cols, void *y);

/* ---- shared by the convolutions and the transposed convolution (conv.c) ---- */

/* The checks every convolution makes of its arguments (b may be NULL):
 * present, live, of ndim dimensions (the forms name them in the message),
 * of one dtype. */
int tg__conv_check_args(const char *fn, const tg_tensor *x, const tg_tensor *w,
                        const tg_tensor *b, int ndim, const char *xform, const char *wform);
/* The gemms take int sides: windows (an image's L) and the weight's rows
 * and columns must fit. */
int tg__conv_check_blas(const char *fn, int64_t windows, const tg_tensor *w);
/* conv2d of x by w (+ b, may be NULL) by a kept geometry, recorded as a
 * conv2d; shapes already checked. */
tg_tensor *tg__conv2d_geom(tg_tensor *x, tg_tensor *w, tg_tensor *b, const tg_conv_geom *g);
/* The weight gradient of conv(x, w) for the upstream grad, composed of ops
 * (every order works): sum over n of grad_g @ unfold(x)_g^T. */
tg_tensor *tg__conv_weight_grad(const tg_conv_geom *g, tg_tensor *x, tg_tensor *w,
                                tg_tensor *grad);
/* y [N, C, in0, in1] = fold(W_g^T @ t_g), the input gradient of a
 * convolution by w for t [N, OC, out0, out1], image by image. Workspaces in
 * the tape arena; returns 0 or a negative code. */
int tg__conv_transposed_kernel(const char *fn, const tg_conv_geom *g, const tg_tensor *t,
                               const tg_tensor *w, tg_tensor *y);

#endif
