/*
 * axis.h -- what the reductions share: the shape of a result reduced over a
 * set of axes (one axis, several, or every element), the walk over the
 * reduced elements, and the way back for the gradient. Not installed.
 *
 * Every reduction keeps the set of axes it reduced as a bit mask (bit d for
 * axis d) in attr.i.flag_a, the only attribute field the shared code reads,
 * so that the first 8 bytes of attr stay free: axis and keepdim for the ops
 * along one axis, or a constant in attr.f (p of tg_norm, the correction of
 * tg_var). Whether the axes were kept is read from the shapes.
 */
#ifndef TG_AXIS_H
#define TG_AXIS_H

#include "kernel.h"

/* attr.i.axis of a reduction over every element. An axis reduction stores
 * its normalised axis, which is never negative, so the two cannot clash. */
#define TG_ALL_AXES (-1)

/* The uninitialised result of reducing x along axis (negative counts from the
 * end): the axis kept with size 1 when keepdim, else dropped. attr records
 * the normalised axis, keepdim and the mask. NULL with the error set if x or
 * axis is bad. */
tg_tensor *tg__reduction_new(const char *fn, tg_tensor *x, int axis, bool keepdim);
/* The same over every element: a 0-d result whose attr axis is TG_ALL_AXES. */
tg_tensor *tg__reduction_new_all(const char *fn, tg_tensor *x);
/* The same over the axes of mask, with attr (whose flag_a is overwritten by
 * the mask) stored on the result. */
tg_tensor *tg__reduction_new_mask(const char *fn, tg_tensor *x, unsigned mask, bool keepdim,
                                  tg_attr attr);

/* The mask of n_axes axes (negative ones count from the end); n_axes == 0
 * means every axis, as PyTorch's dim=[] does for sum. An axis out of range,
 * or named twice, fails with TG_EAXIS naming fn. */
int tg__axes_mask(const char *fn, const tg_tensor *x, int n_axes, const int *axes,
                  unsigned *mask);

/* How a reduction walks x: the axes it keeps and the axes it reduces, each
 * coalesced (size-1 axes dropped, neighbours of one kind merged) with their
 * strides in x. Output element k (row-major) covers the n_red elements of
 * its slice, visited in row-major order. */
typedef struct {
    int kept_nd, red_nd;
    int64_t kept_shape[TG_MAX_DIMS], kept_stride[TG_MAX_DIMS];
    int64_t red_shape[TG_MAX_DIMS], red_stride[TG_MAX_DIMS];
    int64_t n_out, n_red;
    int64_t red_rows; /* n_red / the innermost reduced axis: the slice's rows */
} tg_reduce_plan;

/* The plan of the reduction y = op(x) (its mask read from y's attr). */
void tg__reduce_plan(const tg_tensor *x, const tg_tensor *y, tg_reduce_plan *plan);

/* For each output element k of plan, in order, runs the statements with
 * base bound to the offset in x of its slice's first element. One kept run
 * (the reduced axes at an end of x) steps by its stride; only more step an
 * odometer. */
#define TG_REDUCE_OUTPUTS(plan, k, base, ...)                                          \
    do {                                                                           \
        const tg_reduce_plan *po_ = (plan);                                        \
        int64_t kidx_[TG_MAX_DIMS] = {0}, base = 0;                                \
        int64_t kstep_ = po_->kept_nd == 1 ? po_->kept_stride[0] : 0;              \
        for (int64_t k = 0; k < po_->n_out; k++,                                   \
                     po_->kept_nd <= 1                                             \
                         ? (void)(base += kstep_)                                  \
                         : tg__odometer_next(po_->kept_nd, po_->kept_shape, 1,     \
                                             &po_->kept_stride, kidx_, &base)) {   \
            __VA_ARGS__                                                            \
        }                                                                          \
    } while (0)

/* Runs the statements for each element of the slice at base, in row-major
 * order, with P bound to its offset in x. The innermost reduced axis is a
 * plain strided loop, as the single-axis kernels always were; only a slice
 * of several reduced runs (axes that are not neighbours) steps an odometer
 * over the others, so that many small slices pay no setup. */
#define TG_REDUCE_SLICE(plan, base, P, ...)                                            \
    do {                                                                           \
        const tg_reduce_plan *ps_ = (plan);                                        \
        int nd_ = ps_->red_nd;                                                     \
        int64_t last_n_ = nd_ ? ps_->red_shape[nd_ - 1] : 1;                       \
        int64_t last_s_ = nd_ ? ps_->red_stride[nd_ - 1] : 0;                      \
        if (nd_ <= 1) {                                                            \
            for (int64_t j_ = 0; j_ < last_n_; j_++) {                             \
                int64_t P = (base) + j_ * last_s_;                                 \
                __VA_ARGS__                                                        \
            }                                                                      \
            break;                                                                 \
        }                                                                          \
        int64_t ridx_[TG_MAX_DIMS] = {0}, row_ = 0;                                \
        for (int64_t r_ = 0; r_ < ps_->red_rows; r_++,                             \
                     tg__odometer_next(nd_ - 1, ps_->red_shape, 1, &ps_->red_stride, \
                                       ridx_, &row_)) {                            \
            for (int64_t j_ = 0; j_ < last_n_; j_++) {                             \
                int64_t P = (base) + row_ + j_ * last_s_;                          \
                __VA_ARGS__                                                        \
            }                                                                      \
        }                                                                          \
    } while (0)

/* g, the gradient arriving at the recorded reduction out (or any tensor of
 * out's shape), with the reduced axes put back as size 1 when they were
 * dropped, so that it broadcasts against out's input. Returns g itself when
 * nothing needs restoring. */
tg_tensor *tg__keepdim_grad(tg_tensor *g, const tg_tensor *out);

/* The number of elements each output of the reduction out covered. */
int64_t tg__reduced_count(const tg_tensor *out);

/* Fails with TG_ESHAPE, naming fn, when out reduces an empty slice of a
 * non-empty result: there is no extreme (or index) to pick. */
int tg__check_not_empty(const char *fn, const tg_tensor *x, const tg_tensor *out);

/* sum or mean of x over the axes of mask: what backward rules of other
 * reductions compose (tg_var's mean, tg_norm's counts). */
tg_tensor *tg__sum_mask(tg_tensor *x, unsigned mask, bool keepdim);
tg_tensor *tg__mean_mask(tg_tensor *x, unsigned mask, bool keepdim);

#endif
