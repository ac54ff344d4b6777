/*
 * tapegrad/ops.h -- the op catalogue.
 *
 * Every op takes tensors, returns a new tape tensor (NULL on error, message in
 * tg_last_error) and, when an input requires grad and recording is on, puts
 * the result on the tape. Operands of one op must share a dtype; tg_cast
 * converts. Binary elementwise ops broadcast as NumPy does: shapes are
 * aligned on the right and a size-1 (or missing) axis stretches; the backward
 * rule sums the gradient over the stretched axes.
 *
 * Conventions at kinks and ties follow PyTorch and are stated per op.
 * Each op's forward, backward, shape rule and catalogue row live in
 * ops/<name>.c; tapegrad/catalogue.h lists every op by kind.
 */
#ifndef TAPEGRAD_OPS_H
#define TAPEGRAD_OPS_H

#include <tapegrad/export.h>

#include <tapegrad/catalogue.h>
#include <tapegrad/random.h>
#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arithmetic (broadcasting) ---- */
TG_API tg_tensor *tg_add(tg_tensor *a, tg_tensor *b);     /* a + b;  da = g, db = g */
TG_API tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b);     /* a - b;  da = g, db = -g */
TG_API tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b);     /* a * b;  da = g b, db = g a */
TG_API tg_tensor *tg_div(tg_tensor *a, tg_tensor *b);     /* a / b;  da = g / b, db = -g a / b^2 */
TG_API tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b);     /* a^b;    da = g b a^(b-1), db = g a^b ln a
                                                             (db = 0 where a == 0 and b >= 0) */
TG_API tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b); /* max(a, b); a tie sends g/2 to each */
TG_API tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b); /* min(a, b); a tie sends g/2 to each */
TG_API tg_tensor *tg_where(tg_tensor *cond, tg_tensor *a, tg_tensor *b);
                                                          /* cond != 0 ? a : b; no gradient to cond */
/* Comparisons: 1 where the relation holds, else 0, in the operands' dtype
 * (PyTorch's bool as a 0/1 mask); IEEE, so NaN makes only ne hold. No
 * gradient to either operand (piecewise constant). */
TG_API tg_tensor *tg_gt(tg_tensor *a, tg_tensor *b);      /* [a > b] */
TG_API tg_tensor *tg_ge(tg_tensor *a, tg_tensor *b);      /* [a >= b] */
TG_API tg_tensor *tg_lt(tg_tensor *a, tg_tensor *b);      /* [a < b] */
TG_API tg_tensor *tg_le(tg_tensor *a, tg_tensor *b);      /* [a <= b] */
TG_API tg_tensor *tg_eq(tg_tensor *a, tg_tensor *b);      /* [a == b] */
TG_API tg_tensor *tg_ne(tg_tensor *a, tg_tensor *b);      /* [a != b] */
/* Logical ops: any nonzero value (NaN included) is true; 0/1 results, no
 * gradient. */
TG_API tg_tensor *tg_logical_and(tg_tensor *a, tg_tensor *b); /* [a != 0 and b != 0] */
TG_API tg_tensor *tg_logical_or(tg_tensor *a, tg_tensor *b);  /* [a != 0 or b != 0] */
TG_API tg_tensor *tg_logical_not(tg_tensor *x);               /* [x == 0] */
TG_API tg_tensor *tg_masked_fill(tg_tensor *x, tg_tensor *mask, double value);
                                                          /* mask != 0 ? value : x, broadcasting
                                                             x and mask; dx = g where mask == 0,
                                                             else 0; no gradient to mask */

/* ---- with a scalar constant ---- */
TG_API tg_tensor *tg_add_scalar(tg_tensor *x, double c);  /* x + c */
TG_API tg_tensor *tg_mul_scalar(tg_tensor *x, double c);  /* c x */
TG_API tg_tensor *tg_pow_scalar(tg_tensor *x, double p);  /* x^p;  dx = g p x^(p-1) */

/* ---- elementwise functions ---- */
TG_API tg_tensor *tg_neg(tg_tensor *x);                   /* -x */
TG_API tg_tensor *tg_exp(tg_tensor *x);                   /* e^x;        dx = g e^x */
TG_API tg_tensor *tg_log(tg_tensor *x);                   /* ln x;       dx = g / x */
TG_API tg_tensor *tg_sqrt(tg_tensor *x);                  /* sqrt x;     dx = g / (2 sqrt x) */
TG_API tg_tensor *tg_abs(tg_tensor *x);                   /* |x|;        dx = g sign(x), 0 at x = 0 */
TG_API tg_tensor *tg_sigmoid(tg_tensor *x);               /* s = 1 / (1 + e^-x) = e^x / (e^x + 1);
                                                             dx = g s (1 - s); no overflow for any x */
TG_API tg_tensor *tg_tanh(tg_tensor *x);                  /* t = tanh x = 2 sigmoid(2x) - 1;
                                                             dx = g (1 - t^2) */
TG_API tg_tensor *tg_sin(tg_tensor *x);                   /* sin x (radians); dx = g cos x */
TG_API tg_tensor *tg_cos(tg_tensor *x);                   /* cos x (radians); dx = -g sin x */
TG_API tg_tensor *tg_tan(tg_tensor *x);                   /* tan x (radians); dx = g (1 + tan^2 x) */
TG_API tg_tensor *tg_asin(tg_tensor *x);                  /* asin x; dx = g / sqrt(1 - x^2), +inf at x =
                                                             +-1 (IEEE); |x| > 1 gives NaN */
TG_API tg_tensor *tg_acos(tg_tensor *x);                  /* acos x; dx = -g / sqrt(1 - x^2), -inf at x =
                                                             +-1 (IEEE); |x| > 1 gives NaN */
TG_API tg_tensor *tg_atan(tg_tensor *x);                  /* atan x; dx = g / (1 + x^2) */
TG_API tg_tensor *tg_sinh(tg_tensor *x);                  /* sinh x; dx = g cosh x */
TG_API tg_tensor *tg_cosh(tg_tensor *x);                  /* cosh x; dx = g sinh x */
TG_API tg_tensor *tg_asinh(tg_tensor *x);                 /* asinh x; dx = g / sqrt(1 + x^2), computed as
                                                             g / cosh(asinh x): no overflow */
TG_API tg_tensor *tg_acosh(tg_tensor *x);                 /* acosh x (x >= 1); dx = g / sqrt(x^2 - 1), as
                                                             g / sinh(acosh x); +inf at x = 1 (IEEE) */
TG_API tg_tensor *tg_atanh(tg_tensor *x);                 /* atanh x; dx = g / (1 - x^2); +-1 give +-inf
                                                             and a gradient of +inf (IEEE) */
TG_API tg_tensor *tg_log1p(tg_tensor *x);                 /* ln(1 + x), exact for tiny x;
                                                             dx = g / (1 + x) */
TG_API tg_tensor *tg_expm1(tg_tensor *x);                 /* e^x - 1, exact for tiny x; dx = g e^x */
TG_API tg_tensor *tg_log2(tg_tensor *x);                  /* log2 x; dx = g / (x ln 2) */
TG_API tg_tensor *tg_log10(tg_tensor *x);                 /* log10 x; dx = g / (x ln 10) */
TG_API tg_tensor *tg_exp2(tg_tensor *x);                  /* 2^x; dx = g 2^x ln 2 */
TG_API tg_tensor *tg_erf(tg_tensor *x);                   /* erf x; dx = g 2/sqrt(pi) e^(-x^2) */
TG_API tg_tensor *tg_erfc(tg_tensor *x);                  /* erfc x = 1 - erf x without cancellation
                                                             (erfc(10) = 2.1e-45);
                                                             dx = -g 2/sqrt(pi) e^(-x^2) */
TG_API tg_tensor *tg_square(tg_tensor *x);                /* x^2; dx = 2 g x */
TG_API tg_tensor *tg_rsqrt(tg_tensor *x);                 /* 1 / sqrt x; dx = -g x^(-3/2) / 2; rsqrt(0) =
                                                             inf, gradient -inf (IEEE) */
TG_API tg_tensor *tg_reciprocal(tg_tensor *x);            /* 1 / x; dx = -g / x^2; 1/0 = inf (IEEE) */
TG_API tg_tensor *tg_sign(tg_tensor *x);                  /* -1, 0 or 1; sign(+-0) = 0, sign(NaN) = NaN
                                                             (as NumPy; PyTorch gives 0); dx = 0
                                                             everywhere */
TG_API tg_tensor *tg_floor(tg_tensor *x);                 /* largest integer <= x; dx = 0 everywhere */
TG_API tg_tensor *tg_ceil(tg_tensor *x);                  /* smallest integer >= x; dx = 0 everywhere */
TG_API tg_tensor *tg_round(tg_tensor *x);                 /* nearest integer, halves to even
                                                             (torch.round: round(2.5) = 2); dx = 0
                                                             everywhere */
TG_API tg_tensor *tg_trunc(tg_tensor *x);                 /* x rounded toward 0; dx = 0 everywhere */
TG_API tg_tensor *tg_relu(tg_tensor *x);                  /* max(0, x);  dx = g [x > 0] (0 at x = 0) */
TG_API tg_tensor *tg_leaky_relu(tg_tensor *x, double slope);
                                                          /* x >= 0 ? x : slope x (the notes'
                                                             max(0.01x, x) for slope 0.01 < 1);
                                                             dx = g (x > 0 ? 1 : slope) */
TG_API tg_tensor *tg_heaviside(tg_tensor *x);             /* 1 if x >= 0 else 0 (unlike torch.heaviside,
                                                             no second argument: the value at 0 is 1);
                                                             dx = 0 everywhere (by convention also at
                                                             the jump), so nothing learns through it */
TG_API tg_tensor *tg_step(tg_tensor *x);                  /* the notes' name for tg_heaviside: the same op */
TG_API tg_tensor *tg_identity(tg_tensor *x);              /* f(x) = x, a copy; dx = g */
TG_API tg_tensor *tg_linear(tg_tensor *x);                /* the notes' "linear" activation: tg_identity
                                                             (not a dense layer; see tg_model_add_dense) */

/* ---- activations (torch.nn.functional's names, defaults and kinks) ---- */
typedef enum { TG_GELU_NONE = 0, TG_GELU_TANH = 1 } tg_gelu_approximate; /* F.gelu's approximate */
TG_API tg_tensor *tg_gelu(tg_tensor *x, tg_gelu_approximate approximate);
                                                          /* NONE: x Phi(x) = x/2 erfc(-x/sqrt 2);
                                                             dx = g (Phi(x) + x phi(x)). TANH: x/2 (1 +
                                                             tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
TG_API tg_tensor *tg_silu(tg_tensor *x);                  /* x sigmoid(x); dx = g s (1 + x (1 - s)) */
TG_API tg_tensor *tg_softplus(tg_tensor *x, double beta, double threshold);
                                                          /* log(1 + e^(beta x)) / beta, and x where
                                                             beta x > threshold (F.softplus: 1, 20);
                                                             dx = g sigmoid(beta x), g in the linear
                                                             part; beta 0 is TG_EVALUE */
TG_API tg_tensor *tg_elu(tg_tensor *x, double alpha);    /* x > 0 ? x : alpha (e^x - 1) (F.elu: 1);
                                                             dx = g (x > 0 ? 1 : alpha e^x): alpha at 0 */
TG_API tg_tensor *tg_selu(tg_tensor *x);                  /* scale elu(x, alpha), PyTorch's scale
                                                             1.0507..., alpha 1.6732...; scale alpha at 0 */
TG_API tg_tensor *tg_celu(tg_tensor *x, double alpha);   /* x > 0 ? x : alpha (e^(x/alpha) - 1) (F.celu: 1);
                                                             dx = g (x > 0 ? 1 : e^(x/alpha)): 1 at 0;
                                                             alpha 0 is TG_EVALUE */
TG_API tg_tensor *tg_log_sigmoid(tg_tensor *x);           /* log sigmoid(x) = -softplus(-x), stable;
                                                             dx = g sigmoid(-x) */
TG_API tg_tensor *tg_softsign(tg_tensor *x);              /* x / (1 + |x|); dx = g / (1 + |x|)^2 */
TG_API tg_tensor *tg_mish(tg_tensor *x);                  /* x tanh(softplus(x)); dx = g (t + x
                                                             sigmoid(x) (1 - t^2)), t = tanh(softplus x) */
TG_API tg_tensor *tg_hardtanh(tg_tensor *x, double min_val, double max_val);
                                                          /* clamp to [min_val, max_val] (F.hardtanh:
                                                             -1, 1); dx = g [min_val < x < max_val]:
                                                             0 AT the bounds (PyTorch) */
TG_API tg_tensor *tg_hardsigmoid(tg_tensor *x);           /* min(max(x/6 + 1/2, 0), 1);
                                                             dx = g/6 [-3 < x < 3]: 0 at -3 and 3 */
TG_API tg_tensor *tg_clamp(tg_tensor *x, double lo, double hi);
                                                          /* min(max(x, lo), hi); -INFINITY / INFINITY
                                                             for a missing bound; lo > hi gives hi;
                                                             dx = g [lo <= x <= hi]: g passes AT the
                                                             bounds (PyTorch); NaN bounds TG_EVALUE */
TG_API tg_tensor *tg_clamp_tensor(tg_tensor *x, tg_tensor *lo, tg_tensor *hi);
                                                          /* the same with tensor bounds (broadcasting,
                                                             NULL: none); dlo = g [x < lo < hi],
                                                             dhi = g [x > hi or hi < lo] (PyTorch) */
TG_API tg_tensor *tg_atan2(tg_tensor *y, tg_tensor *x);   /* angle of (x, y) in (-pi, pi]; dy = g x / r^2,
                                                             dx = -g y / r^2, both 0 at (0, 0) (PyTorch) */
TG_API tg_tensor *tg_logaddexp(tg_tensor *a, tg_tensor *b);
                                                          /* log(e^a + e^b), stable; da = g sigmoid(a - b),
                                                             db = g sigmoid(b - a) */

/* ---- along an axis (negative axes count from the end) ---- */
TG_API tg_tensor *tg_softmax(tg_tensor *x, int axis);     /* y_i = e^{x_i} / sum_j e^{x_j}, computed
                                                             from x - max(x); dx = y (g - sum(g y)) */
TG_API tg_tensor *tg_log_softmax(tg_tensor *x, int axis); /* y_i = x_i - log sum_j e^{x_j}, stable;
                                                             dx = g - softmax(x) sum(g) */

/* ---- threads ----
 * Elementwise ops on large tensors (see docs/ops.md, "Threads") split their
 * elements across this many threads; each element is computed alone, so
 * results do not depend on the count. Default: OMP_NUM_THREADS if set, else
 * the number of online CPUs. Setting it also sets the calling thread's
 * OpenMP count (omp_set_num_threads), which OpenBLAS's gemm follows, so
 * tg_set_num_threads(1) runs everything, matmul too, on one thread. */
TG_API int tg_set_num_threads(int n);                     /* n >= 1, else TG_EVALUE */
TG_API int tg_get_num_threads(void);
/* fn(ctx, lo, hi) over [begin, end) on the threads ops use, as PyTorch's
 * at::parallel_for: split into contiguous shares, one per thread, when the
 * range holds more than grain_size items and more than one thread is set
 * (at most ceil(n / grain_size) threads); else one call fn(ctx, begin, end)
 * in the calling thread. Shares start 16 items apart at least, so threads
 * writing floats or doubles never share a cache line. Each item must be
 * computed independently of the others; fn must not fail or record ops.
 * It allocates nothing (a steady-state step may call it). */
TG_API void tg_parallel_for(int64_t begin, int64_t end, int64_t grain_size,
                            void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx);
/* The same for a memory-bound pass over a training step's parameters or
 * gradients (an optimizer's update, zeroing): a range of fewer than 2^18
 * items runs in one call in the calling thread unless the library's last
 * gemm was split over the threads, since then the step's data sit in one
 * core's cache and a second thread would first have to fetch its share
 * (docs/ops.md, "Threads"). Results do not depend on the choice. */
TG_API void tg_parallel_pass(int64_t begin, int64_t end, int64_t grain_size,
                             void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx);

/* ---- reductions ---- */
TG_API tg_tensor *tg_sum(tg_tensor *x);                   /* sum of all elements, 0-d */
TG_API tg_tensor *tg_mean(tg_tensor *x);                  /* sum / numel, 0-d */
TG_API tg_tensor *tg_max(tg_tensor *x);                   /* largest element; g goes to the first
                                                             maximal element */
TG_API tg_tensor *tg_min(tg_tensor *x);                   /* smallest element; likewise */
TG_API tg_tensor *tg_sum_axis(tg_tensor *x, int axis, bool keepdim);
TG_API tg_tensor *tg_mean_axis(tg_tensor *x, int axis, bool keepdim);
TG_API tg_tensor *tg_max_axis(tg_tensor *x, int axis, bool keepdim); /* g to the first maximum */
TG_API tg_tensor *tg_min_axis(tg_tensor *x, int axis, bool keepdim); /* g to the first minimum */
/* Over a set of axes: axes[0..n_axes-1], negative ones counting from the end,
 * each at most once; n_axes == 0 means every axis. The axes are kept as size
 * 1 when keepdim. tg_sum_axis(x, a, k) is tg_sum_dims(x, 1, &a, k). */
TG_API tg_tensor *tg_sum_dims(tg_tensor *x, int n_axes, const int *axes, bool keepdim);
TG_API tg_tensor *tg_mean_dims(tg_tensor *x, int n_axes, const int *axes, bool keepdim);
                                                          /* torch.sum/mean(x, dim=(...)) */
TG_API tg_tensor *tg_amax(tg_tensor *x, int n_axes, const int *axes, bool keepdim);
TG_API tg_tensor *tg_amin(tg_tensor *x, int n_axes, const int *axes, bool keepdim);
                                                          /* torch.amax/amin: tied extremes
                                                             share g evenly (tg_max_axis gives
                                                             it to the first); NaN wins */
TG_API tg_tensor *tg_logsumexp(tg_tensor *x, int n_axes, const int *axes, bool keepdim);
                                                          /* m + log sum e^(x - m), m the max
                                                             (0 if infinite); dx = g e^(x - y) */
TG_API tg_tensor *tg_prod(tg_tensor *x);                  /* product of all elements, 0-d */
TG_API tg_tensor *tg_prod_axis(tg_tensor *x, int axis, bool keepdim);
                                                          /* dx_i = g prod_{j != i} x_j, from
                                                             cumulative products: exact at zeros
                                                             (one zero: the others' product;
                                                             two: 0), every order */
TG_API tg_tensor *tg_variance(tg_tensor *x, int n_axes, const int *axes, double correction,
                              bool keepdim);
                                                          /* torch.var (tg_var makes a variable):
                                                             sum (x - mean)^2 / (N - correction),
                                                             PyTorch's default correction 1;
                                                             N - correction <= 0 divides by 0;
                                                             dx = g 2 (x - mean) / (N - c) */
TG_API tg_tensor *tg_std(tg_tensor *x, int n_axes, const int *axes, double correction,
                         bool keepdim);                   /* sqrt(var); dx = g (x - mean) /
                                                             ((N - c) std), 0 where std = 0
                                                             (PyTorch's std_backward) */
TG_API tg_tensor *tg_norm(tg_tensor *x, double p, int n_axes, const int *axes, bool keepdim);
                                                          /* (sum |x|^p)^(1/p), p > 0 or INFINITY
                                                             (max |x|), as linalg.vector_norm;
                                                             scaled by max |x|, so no overflow;
                                                             dx = g sign(x) (|x| / y)^(p-1), 0
                                                             where y = 0 (subgradient); p = inf:
                                                             g sign(x) shared by tied maxima */
TG_API tg_tensor *tg_argmax(tg_tensor *x);                /* flat index of the first largest
                                                             element, 0-d, NaN counting as the
                                                             largest (torch.argmax); no gradient */
TG_API tg_tensor *tg_argmin(tg_tensor *x);                /* likewise for the smallest */
TG_API tg_tensor *tg_argmax_axis(tg_tensor *x, int axis, bool keepdim);
TG_API tg_tensor *tg_argmin_axis(tg_tensor *x, int axis, bool keepdim);
                                                          /* indices are held in x's dtype, not
                                                             int64 (tensors are f32/f64): exact
                                                             below 2^24 in f32, so a longer f32
                                                             slice is TG_EVALUE */
TG_API tg_tensor *tg_cumsum(tg_tensor *x, int axis);      /* y_i = sum_{j<=i} x_j; dx = reversed
                                                             cumsum of g */
TG_API tg_tensor *tg_cumprod(tg_tensor *x, int axis);     /* y_i = prod_{j<=i} x_j; dx_i =
                                                             sum_{j>=i} g_j prod_{k<=j,k!=i} x_k
                                                             by a scan without division: exact
                                                             at zeros, every order */
/* Composed of the ops above, as PyTorch composes them (no kind of their own). */
TG_API tg_tensor *tg_normalize(tg_tensor *x, double p, int axis, double eps);
                                                          /* F.normalize: x / max(norm(x, p, axis,
                                                             keepdim), eps); PyTorch's defaults
                                                             p = 2, axis = 1, eps = 1e-12 */
TG_API tg_tensor *tg_cosine_similarity(tg_tensor *a, tg_tensor *b, int axis, double eps);
                                                          /* F.cosine_similarity: sum(a/na * b/nb,
                                                             axis), na = max(||a||, eps) in value
                                                             but ||a|| in gradient (PyTorch clamps
                                                             under no_grad); a, b broadcast;
                                                             defaults axis = 1, eps = 1e-8 */

/* ---- linear algebra ---- */
/* Matrix product through CBLAS gemm. [m,k]@[k,n] -> [m,n]; a 1-d left operand
 * is a row vector and a 1-d right operand a column vector, and the added axis
 * is dropped from the result ([m,k]@[k] -> [m]); leading axes are batch axes
 * and broadcast ([b,m,k]@[k,n] -> [b,m,n]). da = g b^T, db = a^T g. */
TG_API tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b);
/* op(a) @ op(b) for tensors of at least 2 dims, where op transposes the last
 * two axes when the flag is set; no transposed copy is made. */
TG_API tg_tensor *tg_matmul_t(tg_tensor *a, tg_tensor *b, bool trans_a, bool trans_b);
TG_API tg_tensor *tg_transpose(tg_tensor *x);             /* swaps the last two axes (each matrix of a
                                                             batch); 0-d and 1-d come back unchanged */

/* ---- shape and type ---- */
TG_API tg_tensor *tg_reshape(tg_tensor *x, int ndim, const int64_t *shape);
                                                          /* same data, new shape; one axis may be -1 */
TG_API tg_tensor *tg_broadcast_to(tg_tensor *x, int ndim, const int64_t *shape);
                                                          /* copies x stretched to shape; dx sums back */
TG_API tg_tensor *tg_sum_to(tg_tensor *x, int ndim, const int64_t *shape);
                                                          /* sums x down to a shape it broadcasts from */
TG_API tg_tensor *tg_cast(tg_tensor *x, tg_dtype dtype);  /* converts values; dx = g cast back */

/* ---- indexing, joining, shape ----
 * PyTorch's semantics; every result is a new contiguous tensor (a copy)
 * except those of tg_reshape and the reshape-like squeeze, unsqueeze,
 * flatten and unflatten, which are views. Index tensors: either float dtype
 * (independent of the data's), whole numbers, negative ones counting from
 * the end; f32 holds integers exactly up to 2^24, f64 up to 2^53. They get
 * no gradient. A bad index is an error naming the op, its position in the
 * index tensor, its value, the axis and the size. tg_index_tensor makes one
 * from int64_t values (data loaders' labels). The structural ops' backward
 * is index_add through the positions they read, so repeats accumulate. */
TG_API tg_tensor *tg_index_tensor(int ndim, const int64_t *shape, const int64_t *values);
                                                          /* an f64 constant of whole numbers */
#define TG_SLICE_END INT64_MAX /* an omitted stop of tg_slice */
TG_API tg_tensor *tg_select(tg_tensor *x, int axis, int64_t index);
                                                          /* x[.., index, ..], the axis removed;
                                                             index in -n..n-1; dx = g placed back */
TG_API tg_tensor *tg_slice(tg_tensor *x, int axis, int64_t start, int64_t stop, int64_t step);
                                                          /* x[.., start:stop:step, ..]; bounds clamp
                                                             as Python's, negative from the end;
                                                             step > 0 (negative: TG_EVALUE) */
TG_API tg_tensor *tg_permute(tg_tensor *x, int n, const int *axes);
                                                          /* y's axis d is x's axes[d]; a copy */
TG_API tg_tensor *tg_swapaxes(tg_tensor *x, int a, int b); /* torch.transpose(x, a, b): a permute */
TG_API tg_tensor *tg_movedim(tg_tensor *x, int source, int destination); /* a permute */
TG_API tg_tensor *tg_squeeze(tg_tensor *x, int axis);     /* drops axis if its size is 1 (else x's
                                                             shape, PyTorch); a reshape view */
TG_API tg_tensor *tg_squeeze_all(tg_tensor *x);           /* drops every size-1 axis; a view */
TG_API tg_tensor *tg_unsqueeze(tg_tensor *x, int axis);   /* a size-1 axis at axis (-ndim-1..ndim) */
TG_API tg_tensor *tg_flatten(tg_tensor *x, int start, int end);
                                                          /* axes start..end merged; 0-d gives [1] */
TG_API tg_tensor *tg_unflatten(tg_tensor *x, int axis, int n, const int64_t *sizes);
                                                          /* axis split into sizes (one may be -1) */
TG_API tg_tensor *tg_expand(tg_tensor *x, int ndim, const int64_t *shape);
                                                          /* tg_broadcast_to; -1 keeps a size */
TG_API tg_tensor *tg_flip(tg_tensor *x, int n, const int *axes); /* reverses the axes; dx = flip g */
TG_API tg_tensor *tg_roll(tg_tensor *x, int n, const int64_t *shifts, const int *axes);
                                                          /* element i of an axis moves to
                                                             (i + shift) mod size; axes NULL with
                                                             n = 1 rolls the flattened tensor */
TG_API tg_tensor *tg_repeat(tg_tensor *x, int n, const int64_t *reps);
                                                          /* Tensor.repeat: n >= ndim, x padded with
                                                             leading 1s; dx sums g over the copies */
TG_API tg_tensor *tg_tile(tg_tensor *x, int n, const int64_t *reps);
                                                          /* torch.tile: reps padded with leading 1s */
TG_API tg_tensor *tg_tril(tg_tensor *x, int64_t diagonal); /* keeps j - i <= diagonal of the last two
                                                             axes, zeroes the rest; dx = tril g */
TG_API tg_tensor *tg_triu(tg_tensor *x, int64_t diagonal); /* keeps j - i >= diagonal; dx = triu g */
TG_API tg_tensor *tg_diagonal(tg_tensor *x, int64_t offset, int dim1, int dim2);
                                                          /* the offset diagonal of axes dim1, dim2,
                                                             as a new last axis (torch.diagonal) */
TG_API tg_tensor *tg_diag_embed(tg_tensor *x, int64_t offset);
                                                          /* [.., n] -> [.., n+|k|, n+|k|], x on the
                                                             offset diagonal, 0 elsewhere */
TG_API tg_tensor *tg_trace(tg_tensor *x);                 /* sum of a matrix's diagonal; dx = g I */
TG_API tg_tensor *tg_index_select(tg_tensor *x, int axis, tg_tensor *idx);
                                                          /* y[.., k, ..] = x[.., idx[k], ..], idx 0-d
                                                             or 1-d; dx = index_add(0, axis, idx, g) */
TG_API tg_tensor *tg_index_add(tg_tensor *x, int axis, tg_tensor *idx, tg_tensor *src);
                                                          /* y = x; y[.., idx[k], ..] += src[.., k, ..]
                                                             (alpha 1); dx = g, dsrc = index_select */
TG_API tg_tensor *tg_gather(tg_tensor *x, int axis, tg_tensor *idx);
                                                          /* y[.., k, ..] = x[.., idx[.., k, ..], ..],
                                                             idx's shape; dx = scatter_add(0, g) */
TG_API tg_tensor *tg_take_along_axis(tg_tensor *x, tg_tensor *idx, int axis); /* tg_gather */
TG_API tg_tensor *tg_scatter_add(tg_tensor *x, int axis, tg_tensor *idx, tg_tensor *src);
                                                          /* y = x; y[.., idx[.., k, ..], ..] +=
                                                             src[.., k, ..]; src has idx's shape;
                                                             dx = g, dsrc = gather(g, axis, idx) */
#define TG_NO_PADDING INT64_MIN /* tg_embedding without a padding_idx */
TG_API tg_tensor *tg_embedding(tg_tensor *weight, tg_tensor *idx, int64_t padding_idx);
                                                          /* rows weight[idx], shape idx's + [dim];
                                                             row padding_idx gets no gradient */
TG_API tg_tensor *tg_one_hot(tg_tensor *idx, int64_t num_classes);
                                                          /* [idx == c] in idx's dtype, a new last
                                                             axis; -1: max + 1 classes; no gradient */
TG_API tg_tensor *tg_masked_select(tg_tensor *x, tg_tensor *mask);
                                                          /* x where mask != 0 (broadcast together),
                                                             1-d; dx = g placed back; none to mask */
TG_API tg_tensor *tg_dot(tg_tensor *a, tg_tensor *b);     /* sum a_i b_i of vectors; da = g b */
TG_API tg_tensor *tg_outer(tg_tensor *a, tg_tensor *b);   /* a_i b_j; da = g @ b, db = a @ g */
typedef enum {
    TG_PAD_CONSTANT, TG_PAD_REFLECT, TG_PAD_REPLICATE, TG_PAD_CIRCULAR
} tg_pad_mode;
TG_API tg_tensor *tg_pad(tg_tensor *x, int n, const int64_t *widths, tg_pad_mode mode,
                         double value);                   /* F.pad: (left, right) pairs from the last
                                                             axis back; value for constant mode,
                                                             whose negative widths crop */
/* Joining and splitting. tg_concat of n tensors is one node of n inputs;
 * the splits return each piece as its own recorded slice of x (its own tape
 * node: each receives its own gradient, and they add up in x).
 * The int functions return the number of pieces written to out, or a
 * negative TG_E* code. */
TG_API tg_tensor *tg_concat(int n, tg_tensor *const *tensors, int axis);
                                                          /* torch.cat: shapes equal off axis;
                                                             dx_k = the slice of g it filled */
TG_API tg_tensor *tg_stack(int n, tg_tensor *const *tensors, int axis);
                                                          /* torch.stack: a new axis (-ndim-1..ndim) */
TG_API int tg_split(tg_tensor *x, int axis, int n, const int64_t *sizes, tg_tensor **out);
                                                          /* pieces of the given sizes (their sum is
                                                             the axis size) */
TG_API int tg_split_size(tg_tensor *x, int axis, int64_t size, tg_tensor **out, int max_out);
                                                          /* torch.split(x, size): the last smaller */
TG_API int tg_chunk(tg_tensor *x, int chunks, int axis, tg_tensor **out);
                                                          /* torch.chunk: ceil(n / chunks) each, so
                                                             perhaps fewer than chunks; out[chunks] */
TG_API int tg_unbind(tg_tensor *x, int axis, tg_tensor **out, int max_out);
                                                          /* torch.unbind: the selects along axis */

/* ---- convolution, pooling, normalization ---- */
/* torch.nn.functional's sizes, NCHW. A zero-initialised tg_conv_opts (or
 * NULL) is PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1.
 * Arrays are per spatial axis, (H, W); the 1-d ops read [0]. An output side
 * is floor((in + 2 padding - dilation (k - 1) - 1) / stride) + 1. */
typedef struct {
    int64_t stride[2];   /* 0 means 1 */
    int64_t padding[2];  /* zeros added on both sides */
    int64_t dilation[2]; /* 0 means 1 */
    int64_t groups;      /* 0 means 1; conv only */
    bool same;           /* padding="same" (conv, stride 1): dilation (k - 1) zeros
                            per axis, the odd one on the right/bottom (PyTorch) */
} tg_conv_opts;
TG_API tg_tensor *tg_conv2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                            const tg_conv_opts *opts);
                                                          /* F.conv2d: x [N,C,H,W], weight
                                                             [OC,C/groups,KH,KW], bias [OC] or NULL;
                                                             y = W * x + b (cross-correlation);
                                                             dx = fold(W^T g), dW = g unfold(x)^T */
TG_API tg_tensor *tg_conv1d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                            const tg_conv_opts *opts);
                                                          /* F.conv1d: x [N,C,L], weight
                                                             [OC,C/groups,K], bias [OC] or NULL */
TG_API tg_tensor *tg_conv_transpose2d(tg_tensor *x, tg_tensor *weight, tg_tensor *bias,
                                      const tg_conv_opts *opts,
                                      const int64_t output_padding[2]);
                                                          /* F.conv_transpose2d: x [N,C,H,W],
                                                             weight [C, OC/groups, KH, KW], bias
                                                             [OC] or NULL, output_padding (H, W)
                                                             or NULL for 0 (each < stride or <
                                                             dilation); conv2d's input gradient:
                                                             y = fold(W_g^T x_g) + b, an output
                                                             side (in - 1) stride - 2 padding +
                                                             dilation (k - 1) + output_padding + 1;
                                                             dx = conv2d(g, W),
                                                             dW = sum_n x_g unfold(g)_g^T */
TG_API tg_tensor *tg_unfold(tg_tensor *x, const int64_t kernel[2], const tg_conv_opts *opts);
                                                          /* F.unfold (im2col): x [N,C,H,W] ->
                                                             [N, C KH KW, L] (rows c, ki, kj);
                                                             dx = fold(g) */
TG_API tg_tensor *tg_fold(tg_tensor *cols, const int64_t output_size[2],
                          const int64_t kernel[2], const tg_conv_opts *opts);
                                                          /* F.fold (col2im), unfold's adjoint:
                                                             overlapping places add up;
                                                             dcols = unfold(g) */
/* Pooling (F.max_pool2d, F.avg_pool2d, ...), NCHW; sizes per spatial axis
 * (H, W), the 1-d ops reading [0]. A zero-initialised tg_pool_opts (or
 * NULL) is PyTorch's defaults. An output side is
 * floor((in + 2 padding - dilation (k - 1) - 1) / stride) + 1 (ceil with
 * ceil_mode, then one less if the last window would start past the input
 * and its left padding). */
typedef struct {
    int64_t stride[2];   /* 0 means the kernel size (PyTorch's stride=None) */
    int64_t padding[2];  /* on both sides, at most half the kernel (PyTorch's limit) */
    int64_t dilation[2]; /* 0 means 1; max pooling only */
    bool ceil_mode;      /* round output sides up: a last window may hang over the end */
    bool exclude_pad;    /* avg pooling: count_include_pad=False, divide by the elements
                            inside the input (zero-initialised: PyTorch's True) */
} tg_pool_opts;
TG_API tg_tensor *tg_max_pool2d(tg_tensor *x, const int64_t kernel[2], const tg_pool_opts *opts);
                                                          /* F.max_pool2d: x [N,C,H,W]; padding is
                                                             -inf; dx = g at the FIRST maximum of
                                                             each window (row-major; a NaN wins) */
TG_API tg_tensor *tg_max_pool1d(tg_tensor *x, int64_t kernel, const tg_pool_opts *opts);
                                                          /* F.max_pool1d: x [N,C,L] */
TG_API tg_tensor *tg_avg_pool2d(tg_tensor *x, const int64_t kernel[2], const tg_pool_opts *opts);
                                                          /* F.avg_pool2d: x [N,C,H,W]; the window's
                                                             mean, padding counted as 0 (unless
                                                             exclude_pad); dx = fold(g / count) */
TG_API tg_tensor *tg_avg_pool1d(tg_tensor *x, int64_t kernel, const tg_pool_opts *opts);
                                                          /* F.avg_pool1d: x [N,C,L] */
TG_API tg_tensor *tg_adaptive_avg_pool2d(tg_tensor *x, const int64_t output_size[2]);
                                                          /* F.adaptive_avg_pool2d: x [N,C,H,W];
                                                             out (i, j) the mean of rows
                                                             floor(i H/OH)..ceil((i+1) H/OH) - 1 and
                                                             the same columns; dx = A_H^T g A_W */
TG_API tg_tensor *tg_dropout(tg_tensor *x, double p, bool training, tg_rng *rng);
                                                          /* F.dropout: x times a mask of 1/(1-p)
                                                             kept with probability 1 - p (drawn
                                                             from rng in element order) and 0;
                                                             x itself when !training or p == 0;
                                                             dx = g * the same mask */
/* Normalization. Statistics in double; the variance that normalizes is the
 * biased one; eps is added to it. weight and bias may be NULL (no affine). */
TG_API tg_tensor *tg_layer_norm(tg_tensor *x, int n_axes, const int64_t *normalized_shape,
                                tg_tensor *weight, tg_tensor *bias, double eps);
                                                          /* F.layer_norm: each slice of x's last
                                                             n_axes axes (normalized_shape, which
                                                             weight and bias have):
                                                             (x - mean) / sqrt(var + eps) w + b;
                                                             PyTorch's eps 1e-5 */
TG_API tg_tensor *tg_rms_norm(tg_tensor *x, int n_axes, const int64_t *normalized_shape,
                              tg_tensor *weight, double eps);
                                                          /* F.rms_norm (PyTorch 2.4):
                                                             x / sqrt(mean(x^2) + eps) w over the
                                                             last n_axes axes; eps NAN is
                                                             PyTorch's None: the dtype's machine
                                                             epsilon */
TG_API tg_tensor *tg_group_norm(tg_tensor *x, int64_t num_groups, tg_tensor *weight,
                                tg_tensor *bias, double eps);
                                                          /* F.group_norm: x [N,C,*]; each sample's
                                                             C channels in num_groups groups of
                                                             consecutive channels, each group
                                                             normalized over its channels and
                                                             places; weight, bias [C]; eps 1e-5 */
TG_API tg_tensor *tg_batch_norm(tg_tensor *x, tg_tensor *running_mean, tg_tensor *running_var,
                                tg_tensor *weight, tg_tensor *bias, bool training,
                                double momentum, double eps);
                                                          /* F.batch_norm: x [N,C,*], per channel;
                                                             training: the batch's statistics over
                                                             N and the spatial axes, and running
                                                             stats [C] (buffers: they must not
                                                             require grad; NULL skips them) updated
                                                             in place, r = (1 - momentum) r +
                                                             momentum stat, the variance UNBIASED
                                                             there; eval: the running stats;
                                                             PyTorch's momentum 0.1, eps 1e-5 */

#ifdef __cplusplus
}
#endif
#endif
