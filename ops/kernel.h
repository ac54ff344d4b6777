/*
 * kernel.h -- what op files share: dtype dispatch, broadcasting plans and the
 * helpers that check arguments, allocate the result and record it. Not
 * installed.
 */
#ifndef TG_KERNEL_H
#define TG_KERNEL_H

#ifdef TG_PUBLIC_API_ONLY
#error "ops/kernel.h is private to ops/: use the <tapegrad/...> headers"
#endif

#include <omp.h>
#include <tgmath.h>

#include "../autograd/internal.h"
#include <tapegrad/ops.h>

#include "libmvec.h"

/* Runs the statements once with T bound to the element type of dtype. Math
 * calls resolve through <tgmath.h>, so exp(x) is expf for floats. */
#define TG_FOR_DTYPE(dtype, T, ...)                                                  \
    do {                                                                           \
        if ((dtype) == TG_F32) {                                                   \
            typedef float T;                                                       \
            __VA_ARGS__                                                            \
        } else {                                                                   \
            typedef double T;                                                      \
            __VA_ARGS__                                                            \
        }                                                                          \
    } while (0)

/* How n inputs are read while walking an output shape in row-major order.
 * Axes are coalesced and size-1 axes dropped, so equal shapes become one flat
 * axis and a scalar operand becomes stride 0. */
typedef struct tg_bcast {
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    int64_t stride[TG_MAX_INPUTS][TG_MAX_DIMS]; /* 0 along broadcast axes */
} tg_bcast;

/* Steps an odometer over a shape of ndim axes, the last fastest: idx[] moves
 * to the next index, and each of the n offsets by its stride along every
 * axis that turned (stride[k][d], 0 on an axis where operand k broadcasts).
 * Elementwise walks step it once per row of their innermost axis (the rows
 * of a plan are its first ndim - 1 axes), matmul once per matrix. */
static inline void tg__odometer_next(int ndim, const int64_t *shape, int n,
                                     const int64_t (*stride)[TG_MAX_DIMS], int64_t *idx,
                                     int64_t *offset)
{
    for (int d = ndim - 1; d >= 0; d--) {
        for (int k = 0; k < n; k++)
            offset[k] += stride[k][d];
        if (++idx[d] < shape[d])
            return;
        for (int k = 0; k < n; k++)
            offset[k] -= stride[k][d] * shape[d];
        idx[d] = 0;
    }
}

/* Broadcasts the shapes of n tensors (NumPy rules) into out_ndim/out_shape
 * and the plan; on mismatch fails naming fn and every shape. */
int tg__broadcast(const char *fn, int n, tg_tensor *const *ts, int *out_ndim, int64_t *out_shape,
                  tg_bcast *plan);
/* Plan for reading a tensor of shape from_shape broadcast to to_shape (the
 * shapes must be compatible). */
void tg__plan_from(int to_ndim, const int64_t *to_shape, int from_ndim, const int64_t *from_shape,
                   tg_bcast *plan);

/* Elementwise work of at least this many elements is split across OpenMP
 * threads; below it, starting the team costs about what it saves. Measured
 * with the 784-512-512-10 MLP at batch 512 on 2 threads: 16.4k samples/s at
 * 2^18, 14.6k at 2^16. See docs/ops.md, "Threads". */
#define TG_PARALLEL_MIN ((int64_t)1 << 18)

/* The calling thread's share [*lo, *hi) of n elements inside a parallel
 * region: contiguous, in thread order, starting on 64-byte boundaries so that
 * no two threads write one cache line. */
void tg__thread_range(int64_t n, int64_t *lo, int64_t *hi);

/* Records how many threads the gemm about to run uses, for
 * tg_parallel_pass (tg__gemm calls it). */
void tg__note_gemm_threads(int threads);

/* Runs the statements with lo and hi bound to a range of [0, n): the whole
 * of it in the calling thread when n is small, one share per thread
 * otherwise. Each element must be computed independently of the others, so
 * the results do not depend on the thread count. */
#define TG_PARALLEL_RANGES(n, lo, hi, ...) TG_PARALLEL_RANGES_W(n, n, lo, hi, __VA_ARGS__)

/* The same over n items that together touch about work elements (blocks
 * of a norm, rows of a matrix): the threads are chosen by work, as for an
 * elementwise op of work elements. */
#define TG_PARALLEL_RANGES_W(n, work, lo, hi, ...)                                    \
    do {                                                                           \
        int64_t n_par_ = (n);                                                      \
        int threads_par_ = (work) < TG_PARALLEL_MIN ? 1 : tg_get_num_threads();    \
        if (threads_par_ <= 1) {                                                   \
            int64_t lo = 0, hi = n_par_;                                           \
            __VA_ARGS__                                                            \
        } else {                                                                   \
            _Pragma("omp parallel num_threads(threads_par_)")                      \
            {                                                                      \
                int64_t lo, hi;                                                    \
                tg__thread_range(n_par_, &lo, &hi);                                \
                __VA_ARGS__                                                        \
            }                                                                      \
        }                                                                          \
    } while (0)

/* fn(ctx, t, i) for i in [0, n): a plain loop with t = 0 when threads is
 * 1, else one contiguous share of the items per thread, t numbering the
 * threads from 0 (below threads), so that fn can index per-thread scratch.
 * Why not `omp parallel for`: libgomp allocates a team even for
 * num_threads(1), and LLVM's libomp (a clang build) allocates in every
 * worksharing loop's set-up; steady-state steps must not allocate
 * (bench_cnn counts them). */
static inline void tg__for_each_thread(int64_t n, int threads, void (*fn)(void *, int, int64_t),
                                       void *ctx)
{
    if (threads <= 1) {
        for (int64_t i = 0; i < n; i++)
            fn(ctx, 0, i);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        int64_t team = omp_get_num_threads(), t = omp_get_thread_num();
        for (int64_t i = t * n / team; i < (t + 1) * n / team; i++)
            fn(ctx, (int)t, i);
    }
}

typedef struct {
    void (*fn)(void *, int64_t);
    void *ctx;
} tg__item_fn;

static inline void tg__call_item(void *item, int thread, int64_t i)
{
    (void)thread;
    const tg__item_fn *f = item;
    f->fn(f->ctx, i);
}

/* fn(ctx, i) for i in [0, n), shared out as tg__for_each_thread's items. */
static inline void tg__for_each(int64_t n, int threads, void (*fn)(void *, int64_t), void *ctx)
{
    tg__item_fn item = {fn, ctx};
    tg__for_each_thread(n, threads, tg__call_item, &item);
}

/* for (i = 0; i < n; i++) BODY, split across threads for large n. */
#define TG_PARALLEL_FOR(n, i, ...) TG_PARALLEL_FOR_W(n, n, i, __VA_ARGS__)
/* ... for n items of work elements in all (TG_PARALLEL_RANGES_W) */
#define TG_PARALLEL_FOR_W(n, work, i, ...)                                            \
    TG_PARALLEL_RANGES_W(n, work, lo_for_, hi_for_,                                  \
                         for (int64_t i = lo_for_; i < hi_for_; i++) { __VA_ARGS__; })

/* Walks output elements [lo, hi) of a plan in row-major order: for each
 * output flat index o, P0 and P1 are the flat offsets of inputs 0 and 1 and
 * BODY (the variadic rest, so that it may hold commas) runs. The innermost
 * axis is a plain loop so that the compiler can vectorise it; the first and
 * last rows may be partial. */
#define TG_BCAST_RANGE2(plan, lo, hi, o, P0, P1, ...)                                 \
    do {                                                                           \
        const tg_bcast *pl_ = (plan);                                              \
        int nd_ = pl_->ndim;                                                       \
        int64_t inner_ = nd_ ? pl_->shape[nd_ - 1] : 1;                            \
        int64_t s0_ = nd_ ? pl_->stride[0][nd_ - 1] : 0;                           \
        int64_t s1_ = nd_ ? pl_->stride[1][nd_ - 1] : 0;                           \
        int64_t lo_ = (lo), hi_ = (hi), b_[2] = {0, 0};                            \
        if (nd_ <= 1) { /* one flat axis or a scalar: most ops, a plain loop */   \
            if (s0_ == 1 && s1_ == 1) {                                            \
                for (int64_t o = lo_; o < hi_; o++) {                              \
                    int64_t P0 = o, P1 = o;                                        \
                    __VA_ARGS__;                                                   \
                }                                                                  \
            } else {                                                               \
                for (int64_t o = lo_; o < hi_; o++) {                              \
                    int64_t P0 = o * s0_, P1 = o * s1_;                            \
                    __VA_ARGS__;                                                   \
                }                                                                  \
            }                                                                      \
            break;                                                                 \
        }                                                                          \
        /* a serial walk starts at 0: no divisions (small ops are most ops) */    \
        int64_t idx_[TG_MAX_DIMS] = {0}, row_ = lo_ && inner_ ? lo_ / inner_ : 0;  \
        for (int d_ = nd_ - 2; row_ && d_ >= 0; d_--) {                            \
            idx_[d_] = row_ % pl_->shape[d_];                                      \
            row_ /= pl_->shape[d_];                                                \
            b_[0] += idx_[d_] * pl_->stride[0][d_];                                \
            b_[1] += idx_[d_] * pl_->stride[1][d_];                                \
        }                                                                          \
        for (int64_t base_ = lo_ - (lo_ && inner_ ? lo_ % inner_ : 0); base_ < hi_; \
             base_ += inner_) {                                                    \
            int64_t jlo_ = lo_ > base_ ? lo_ - base_ : 0;                          \
            int64_t jhi_ = hi_ - base_ < inner_ ? hi_ - base_ : inner_;            \
            if (s0_ == 1 && s1_ == 1) {                                            \
                for (int64_t j_ = jlo_; j_ < jhi_; j_++) {                         \
                    int64_t o = base_ + j_, P0 = b_[0] + j_, P1 = b_[1] + j_;      \
                    __VA_ARGS__;                                                   \
                }                                                                  \
            } else if (s0_ == 1 && s1_ == 0) {                                     \
                for (int64_t j_ = jlo_; j_ < jhi_; j_++) {                         \
                    int64_t o = base_ + j_, P0 = b_[0] + j_, P1 = b_[1];           \
                    __VA_ARGS__;                                                   \
                }                                                                  \
            } else {                                                               \
                for (int64_t j_ = jlo_; j_ < jhi_; j_++) {                         \
                    int64_t o = base_ + j_, P0 = b_[0] + j_ * s0_, P1 = b_[1] + j_ * s1_; \
                    __VA_ARGS__;                                                   \
                }                                                                  \
            }                                                                      \
            tg__odometer_next(nd_ - 1, pl_->shape, 2, pl_->stride, idx_, b_);      \
        }                                                                          \
    } while (0)

/* TG_BCAST_RANGE2 over all n_out output elements, split across threads for
 * large outputs. BODY must write only element o (a reduction into a
 * broadcast input walks serially with TG_BCAST_RANGE2). */
#define TG_BCAST_WALK2(plan, n_out, o, P0, P1, ...)                                   \
    TG_PARALLEL_RANGES(n_out, lo_walk_, hi_walk_,                                    \
                       TG_BCAST_RANGE2(plan, lo_walk_, hi_walk_, o, P0, P1, __VA_ARGS__);)

/* The kernel name##_kernel (tg_op.kernel.unary) and the scalar value
 * name##_value (tg_op.value) of an elementwise op of one input, from one
 * formula: BODY sets r, of the element type T, from v, the input element,
 * and attr. The value function runs it with T = double on x[0], as the
 * kernel runs it on each element of an F64 tensor (the scalar epilogue of
 * a vectorised loop and a 0-d tensor's one element both use the plain
 * scalar math calls), so the two give the same bits. BODY is the variadic
 * rest, so that it may hold commas. */
#define TG_UNARY_FORMULA(name, ...)                                                   \
    static void name##_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)        \
    {                                                                              \
        (void)attr;                                                                \
        TG_FOR_DTYPE(x->dtype, T, {                                                \
            const T *in_ = x->data;                                                \
            T *out_ = y->data;                                                     \
            TG_PARALLEL_FOR(x->numel, i_, {                                        \
                T v = in_[i_], r;                                                  \
                __VA_ARGS__;                                                       \
                out_[i_] = r;                                                      \
            });                                                                    \
        });                                                                        \
    }                                                                              \
    static double name##_value(const double *x, tg_attr attr)                      \
    {                                                                              \
        typedef double T;                                                          \
        (void)sizeof(T); /* a BODY need not name T */                              \
        (void)attr;                                                                \
        T v = x[0], r;                                                             \
        __VA_ARGS__;                                                               \
        return r;                                                                  \
    }

/* The same for an op of two inputs (tg_op.kernel.binary walks a broadcast
 * plan): BODY sets r from a and b, the two operands' elements. */
#define TG_BINARY_FORMULA(name, ...)                                                  \
    static void name##_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *x, \
                              const tg_tensor *y)                                   \
    {                                                                              \
        TG_FOR_DTYPE(out->dtype, T, {                                              \
            T *dst_ = out->data;                                                   \
            const T *src0_ = x->data, *src1_ = y->data;                            \
            TG_BCAST_WALK2(plan, out->numel, at_, at0_, at1_, {                   \
                T a = src0_[at0_], b = src1_[at1_], r;                             \
                __VA_ARGS__;                                                       \
                dst_[at_] = r;                                                     \
            });                                                                    \
        });                                                                        \
    }                                                                              \
    static double name##_value(const double *x, tg_attr attr)                      \
    {                                                                              \
        typedef double T;                                                          \
        (void)sizeof(T); /* a BODY need not name T */                              \
        (void)attr;                                                                \
        T a = x[0], b = x[1], r;                                                   \
        __VA_ARGS__;                                                               \
        return r;                                                                  \
    }

/* out = a (op) b elementwise after broadcasting, by op->kernel.binary. */
tg_tensor *tg__binary(const tg_op *op, tg_tensor *a, tg_tensor *b);

/* y = f(x) by op->kernel.unary; attr is stored on y for the backward rule. */
tg_tensor *tg__unary(const tg_op *op, tg_tensor *x, tg_attr attr);

/* The rerun (tg_op.rerun) of every op made by tg__binary / tg__unary: its
 * kernel again into out, from its inputs' current data; a binary op's plan
 * is rebuilt from the inputs' shapes. */
int tg__binary_rerun(tg_tensor *out);
/* The rerun of an op of two inputs that broadcast: the plan again from the
 * inputs' shapes (which broadcast at the capture), then kernel. */
int tg__rerun_broadcast(tg_tensor *out, tg_binary_kernel kernel);
int tg__unary_rerun(tg_tensor *out);

/* tg__binary and tg__unary without recording: the result never requires grad
 * and errors name fn. Backward rules build their masks with these (which
 * operand won a comparison, which side of a kink x lies on): a mask is
 * piecewise constant, so holding it constant keeps a recorded sweep exact. */
tg_tensor *tg__constant_binary(const char *fn, tg_tensor *a, tg_tensor *b,
                               tg_binary_kernel kernel);
tg_tensor *tg__constant_unary(const char *fn, tg_tensor *x, tg_attr attr,
                              tg_unary_kernel kernel);

/* A fused first-order gradient: dx = f(g, other) elementwise over plan, or
 * dx += f(g, other) when accumulate (the same bits as adding the first
 * form's result to dx afterwards: f is rounded to T either way). */
typedef void (*tg_grad_kernel)(const tg_bcast *plan, tg_tensor *dx, const tg_tensor *g,
                               const tg_tensor *other, bool accumulate);
/* x's gradient kernel(g, other) in a fused first-order rule: added by the
 * kernel straight into x's .grad where the sweep allows it (tg__grad_sink)
 * and g and other have x's shape, leaving *grad NULL, as matmul's dW does;
 * else a new tape tensor in *grad. Saves the temporary's write and read
 * and the sweep's add pass: 8 of 32 bytes per element. */
int tg__fused_grad(const char *fn, tg_tensor *x, tg_tensor *g, tg_tensor *other,
                   tg_grad_kernel kernel, tg_tensor **grad);

/* A first-order sweep runs with recording off. A rule may then compute its
 * result in one fused pass; when the sweep is recorded (create_graph) it
 * must compose tapegrad ops so that the result can be differentiated again.
 * Fused passes exist only where the benchmarks showed they pay, and each is
 * tested against its composed rule. */
/* Forward mode needs every op of a rule to pass through tg__record, where
 * tangents are computed, so it composes too. */
static inline bool tg__may_fuse(void) { return !tg__recording() && !tg__forward_active; }

/* Defines name as a tg_fn returning expr of its inputs in[0], in[1], ...:
 * the sample call of an op's catalogue row (tapegrad/catalogue.h). */
#define TG_SAMPLE_FN(name, expr)                                                      \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                          \
    {                                                                              \
        (void)ctx;                                                                 \
        return expr;                                                               \
    }

/* sigmoid from x and e = e^-|x|, so that e^-|x| never overflows: one
 * division on a selected numerator, not two branches, so that a loop stays
 * free of control flow and vectorises. */
#define TG_SIGMOID_OF(x, e) (((x) >= 0 ? 1 : (e)) / (1 + (e)))

/* sigmoid(x) for one double: tg_sigmoid's F64 kernel and value, and the
 * partials of the ops whose derivative is a sigmoid (scalar fast path). */
static inline double tg__sigmoid_value(double x)
{
    double e = exp(-fabs(x));
    return TG_SIGMOID_OF(x, e);
}

/* Reduces g to the shape of x by summing over the axes x was broadcast
 * along; returns g itself when the shapes already agree. */
tg_tensor *tg__unbroadcast(tg_tensor *g, const tg_tensor *x);

/* tg_broadcast_to, and tg_unsqueeze, for a public function that is one of
 * them with other arguments (tg_expand, tg_stack): its errors name fn. */
tg_tensor *tg__broadcast_to_as(const char *fn, tg_tensor *x, int ndim, const int64_t *shape);
tg_tensor *tg__unsqueeze_as(const char *fn, tg_tensor *x, int axis);

/* Views a shape as [outer, n, inner] around axis. */
void tg__split_axis(const tg_tensor *t, int axis, int64_t *outer, int64_t *n, int64_t *inner);

#endif
