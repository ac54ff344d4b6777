/*
 * tapegrad/catalogue.h -- every op's identity and what the library knows
 * about it.
 *
 * Each op has a kind (tg_op_kind) and one catalogue row (tg_op_info),
 * defined beside its forward, backward and tangent rules in ops/<op>.c: its
 * name, how many tensor arguments it takes, its attributes, and how to
 * exercise it in a gradient check (the sample). Tables about ops in higher layers -- the
 * chain-rule templates of `tg explain`, the functions of the `tg` language,
 * the docs -- are arrays indexed by kind, and a test walks every kind and
 * fails when a row is missing, so an op cannot be half added.
 *
 *     switch (tg_op_kind_of(t)) {
 *     case TG_OP_MATMUL: ...               // instead of strcmp on a name
 *     }
 *     const tg_op_info *row = tg_op_info_of(TG_OP_SIGMOID);
 *     printf("%s takes %d input(s)\n", row->name, row->arity);
 *
 * Adding an op: docs/ops.md, "Adding an op".
 */
#ifndef TAPEGRAD_CATALOGUE_H
#define TAPEGRAD_CATALOGUE_H

#include <tapegrad/export.h>

#include <tapegrad/gradcheck.h>
#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ops, one X(KIND, row) per op: KIND names the enumerator TG_OP_KIND,
 * row the catalogue row tg__op_<row> that ops/<op>.c defines. Order is
 * presentation order (arithmetic, elementwise functions, axes, reductions,
 * linear algebra, shape and type), and values may change between versions:
 * store names, not numbers. */
#define TG_OP_KINDS(X)                                                                    \
    X(ADD, add)                                                                          \
    X(SUB, sub)                                                                          \
    X(MUL, mul)                                                                          \
    X(DIV, div)                                                                          \
    X(POW, pow)                                                                          \
    X(MAXIMUM, maximum)                                                                  \
    X(MINIMUM, minimum)                                                                  \
    X(WHERE, where)                                                                      \
    X(GT, gt)                                                                            \
    X(GE, ge)                                                                            \
    X(LT, lt)                                                                            \
    X(LE, le)                                                                            \
    X(EQ, eq)                                                                            \
    X(NE, ne)                                                                            \
    X(LOGICAL_AND, logical_and)                                                          \
    X(LOGICAL_OR, logical_or)                                                            \
    X(LOGICAL_NOT, logical_not)                                                          \
    X(MASKED_FILL, masked_fill)                                                          \
    X(ADD_SCALAR, add_scalar)                                                            \
    X(MUL_SCALAR, mul_scalar)                                                            \
    X(POW_SCALAR, pow_scalar)                                                            \
    X(NEG, neg)                                                                          \
    X(EXP, exp)                                                                          \
    X(LOG, log)                                                                          \
    X(SQRT, sqrt)                                                                        \
    X(ABS, abs)                                                                          \
    X(SIGMOID, sigmoid)                                                                  \
    X(TANH, tanh)                                                                        \
    X(SIN, sin)                                                                          \
    X(COS, cos)                                                                          \
    X(TAN, tan)                                                                          \
    X(ASIN, asin)                                                                        \
    X(ACOS, acos)                                                                        \
    X(ATAN, atan)                                                                        \
    X(SINH, sinh)                                                                        \
    X(COSH, cosh)                                                                        \
    X(ASINH, asinh)                                                                      \
    X(ACOSH, acosh)                                                                      \
    X(ATANH, atanh)                                                                      \
    X(LOG1P, log1p)                                                                      \
    X(EXPM1, expm1)                                                                      \
    X(LOG2, log2)                                                                        \
    X(LOG10, log10)                                                                      \
    X(EXP2, exp2)                                                                        \
    X(ERF, erf)                                                                          \
    X(ERFC, erfc)                                                                        \
    X(SQUARE, square)                                                                    \
    X(RSQRT, rsqrt)                                                                      \
    X(RECIPROCAL, reciprocal)                                                            \
    X(SIGN, sign)                                                                        \
    X(FLOOR, floor)                                                                      \
    X(CEIL, ceil)                                                                        \
    X(ROUND, round)                                                                      \
    X(TRUNC, trunc)                                                                      \
    X(RELU, relu)                                                                        \
    X(LEAKY_RELU, leaky_relu)                                                            \
    X(HEAVISIDE, heaviside)                                                              \
    X(IDENTITY, identity)                                                                \
    X(GELU, gelu)                                                                        \
    X(SILU, silu)                                                                        \
    X(SOFTPLUS, softplus)                                                                \
    X(ELU, elu)                                                                          \
    X(SELU, selu)                                                                        \
    X(CELU, celu)                                                                        \
    X(LOG_SIGMOID, log_sigmoid)                                                          \
    X(SOFTSIGN, softsign)                                                                \
    X(MISH, mish)                                                                        \
    X(HARDTANH, hardtanh)                                                                \
    X(HARDSIGMOID, hardsigmoid)                                                          \
    X(CLAMP, clamp)                                                                      \
    X(CLAMP_TENSOR, clamp_tensor)                                                        \
    X(ATAN2, atan2)                                                                      \
    X(LOGADDEXP, logaddexp)                                                              \
    X(SOFTMAX, softmax)                                                                  \
    X(LOG_SOFTMAX, log_softmax)                                                          \
    X(SUM, sum)                                                                          \
    X(MEAN, mean)                                                                        \
    X(MAX, max)                                                                          \
    X(MIN, min)                                                                          \
    X(SUM_AXIS, sum_axis)                                                                \
    X(MEAN_AXIS, mean_axis)                                                              \
    X(MAX_AXIS, max_axis)                                                                \
    X(MIN_AXIS, min_axis)                                                                \
    X(SUM_DIMS, sum_dims)                                                                \
    X(MEAN_DIMS, mean_dims)                                                              \
    X(AMAX, amax)                                                                        \
    X(AMIN, amin)                                                                        \
    X(LOGSUMEXP, logsumexp)                                                              \
    X(PROD, prod)                                                                        \
    X(VARIANCE, variance)                                                                \
    X(STD, std)                                                                          \
    X(NORM, norm)                                                                        \
    X(CUMSUM, cumsum)                                                                    \
    X(CUMPROD, cumprod)                                                                  \
    X(SCAN, scan)                                                                        \
    X(SHIFT, shift)                                                                      \
    X(ARGMAX, argmax)                                                                    \
    X(ARGMIN, argmin)                                                                    \
    X(MATMUL, matmul)                                                                    \
    X(MATMUL_T, matmul_t)                                                                \
    X(TRANSPOSE, transpose)                                                              \
    X(RESHAPE, reshape)                                                                  \
    X(BROADCAST_TO, broadcast_to)                                                        \
    X(SUM_TO, sum_to)                                                                    \
    X(CAST, cast)                                                                        \
    X(SELECT, select)                                                                    \
    X(SLICE, slice)                                                                      \
    X(PERMUTE, permute)                                                                  \
    X(FLIP, flip)                                                                        \
    X(ROLL, roll)                                                                        \
    X(REPEAT, repeat)                                                                    \
    X(TRIL, tril)                                                                        \
    X(TRIU, triu)                                                                        \
    X(DIAGONAL, diagonal)                                                                \
    X(DIAG_EMBED, diag_embed)                                                            \
    X(TRACE, trace)                                                                      \
    X(INDEX_SELECT, index_select)                                                        \
    X(INDEX_ADD, index_add)                                                              \
    X(GATHER, gather)                                                                    \
    X(SCATTER_ADD, scatter_add)                                                          \
    X(EMBEDDING, embedding)                                                              \
    X(ONE_HOT, one_hot)                                                                  \
    X(MASKED_SELECT, masked_select)                                                      \
    X(OUTER, outer)                                                                      \
    X(DOT, dot)                                                                          \
    X(PAD, pad)                                                                          \
    X(CONCAT, concat)                                                                    \
    X(UNFOLD, unfold)                                                                    \
    X(FOLD, fold)                                                                        \
    X(CONV1D, conv1d)                                                                    \
    X(CONV2D, conv2d)                                                                    \
    X(MAX_POOL1D, max_pool1d)                                                            \
    X(MAX_POOL2D, max_pool2d)                                                            \
    X(AVG_POOL1D, avg_pool1d)                                                            \
    X(AVG_POOL2D, avg_pool2d)                                                            \
    X(ADAPTIVE_AVG_POOL2D, adaptive_avg_pool2d)                                          \
    X(DROPOUT, dropout)                                                                  \
    X(CONV_TRANSPOSE2D, conv_transpose2d)                                                \
    X(BATCH_NORM, batch_norm)                                                            \
    X(LAYER_NORM, layer_norm)                                                            \
    X(RMS_NORM, rms_norm)                                                                \
    X(GROUP_NORM, group_norm)                                                            \
    X(ACCUMULATE, accumulate)                                                            \
    X(USER, user)

typedef enum {
#define TG_OP_ENUMERATOR_(kind, row) TG_OP_##kind,
    TG_OP_KINDS(TG_OP_ENUMERATOR_)
#undef TG_OP_ENUMERATOR_
    TG_OP_COUNT,
    TG_OP_NONE = -1 /* tg_op_kind_of a leaf, a constant or an unrecorded result */
} tg_op_kind;

/* Attributes, bits of tg_op_info.flags. */
enum {
    TG_OP_ELEMENTWISE = 1u << 0, /* out[i] depends on the inputs' elements at i only
                                    (after broadcasting): its Jacobian is diagonal */
    TG_OP_BROADCASTS = 1u << 1,  /* tensor operands broadcast as NumPy's do */
    TG_OP_CONSTANT = 1u << 2,    /* keeps a scalar constant: tg_op_constant */
    TG_OP_AXIS = 1u << 3,        /* works along one axis: tg_op_axis */
    TG_OP_FUSED = 1u << 4,       /* a first-order sweep runs a fused kernel
                                    instead of its rule composed of ops */
    TG_OP_INTERNAL = 1u << 5,    /* recorded by the library itself; no public
                                    function makes it */
    TG_OP_HELPER_INPUT = 1u << 6, /* records one input more than its arguments:
                                    a constant it computed (tg_max's position) */
    TG_OP_CONSTANT2 = 1u << 7,   /* keeps a second scalar constant too (with
                                    TG_OP_CONSTANT): tg_op_constants */
    TG_OP_AXES = 1u << 8,        /* reduces over a set of axes: tg_op_axes */
    TG_OP_VALUE_SHAPE = 1u << 9  /* the result's shape depends on the inputs'
                                    values (tg_masked_select): no rerun, so a
                                    graph that uses it cannot be replayed */
};

/* Where a gradient check draws an input's values: uniformly from [lo, hi],
 * and with a random sign too when either_sign (so that a kink at 0 is never
 * straddled by a finite difference). */
typedef struct {
    double lo, hi;
    bool either_sign;
} tg_sample_range;

#define TG_SAMPLE_ANY {-2.0, 2.0, false}
#define TG_SAMPLE_POSITIVE {0.5, 2.0, false}
#define TG_SAMPLE_NONZERO {0.25, 2.0, true}

/* The shapes a gradient check gives the sample inputs, from drawn sizes
 * m, n, k: SAME gives each input [m, n]; BROADCAST gives the second [n] or
 * [1, n]; MATMUL gives [m, n] and [n, k]; MATMUL_T [m, n] and [k, n]. */
typedef enum {
    TG_SAMPLE_SAME,
    TG_SAMPLE_BROADCAST,
    TG_SAMPLE_MATMUL,
    TG_SAMPLE_MATMUL_T
} tg_sample_shapes;

/* How to exercise an op: call applies it, with representative constants, to
 * n_inputs tensors that require grad, drawn by shapes and range[k]. distinct
 * asks for values spaced far apart (an arg max that no finite-difference step
 * can move). call is NULL for the internal and user-defined kinds. Its ctx
 * is NULL, or a tg_rng for an op that draws random numbers (tg_dropout) to
 * draw from instead of its fixed seed. */
typedef struct {
    tg_fn call;
    int n_inputs;
    tg_sample_shapes shapes;
    tg_sample_range range[3];
    bool distinct;
} tg_op_sample;

typedef struct {
    tg_op_kind kind;
    const char *name; /* the public function, e.g. "tg_sigmoid" */
    int arity;        /* its tensor arguments; TG_OP_VARIADIC for user ops */
    unsigned flags;   /* TG_OP_ELEMENTWISE, ... */
    tg_op_sample sample;
} tg_op_info;

#define TG_OP_VARIADIC (-1)

/* The row of kind (0 <= kind < TG_OP_COUNT), or NULL with TG_EVALUE. */
TG_API const tg_op_info *tg_op_info_of(tg_op_kind kind);
/* The kind of the op that recorded t: TG_OP_NONE for a tensor no op
 * recorded (a leaf, a constant, a result that needs no gradient), and for
 * NULL or a dead tensor (error set). */
TG_API tg_op_kind tg_op_kind_of(const tg_tensor *t);
/* The kind named "tg_sigmoid" (or "sigmoid"); TG_OP_NONE if none is. */
TG_API tg_op_kind tg_op_kind_named(const char *name);

/* Whether a result of kind can be computed again into itself (the step
 * tg_program_run replays, tg_op_rerun): true for every kind but those with
 * TG_OP_VALUE_SHAPE; false with TG_EVALUE set for a kind out of range. */
TG_API bool tg_op_replayable(tg_op_kind kind);

/* Computes t, a recorded op result, again in place from the current data of
 * its inputs (tg_op_input) and the constants of its call, and refreshes what
 * its backward rule reads besides (a saved position, mask or statistic, and
 * the local partials of a scalar node), so that t and its gradients are
 * what the op applied afresh to those values would give, bit for bit. A
 * tg_dropout result draws a new mask from the generator of its call, as a
 * fresh step would; a user-defined result runs its forward again (which
 * must give its first result's shape and dtype). Inputs that are op results
 * themselves are not recomputed: rerun them first, in tape order. Returns 0,
 * or a negative code: TG_EVALUE for a tensor no op recorded or a kind that
 * is not tg_op_replayable, TG_ESHAPE for a user-defined forward that gave
 * another shape. */
TG_API int tg_op_rerun(tg_tensor *t);

/* Draws the sample inputs of row: row->sample.n_inputs tape tensors of
 * dtype that require grad, shaped by sample.shapes from sizes m, k in 1..4
 * and n in 2..5, with values from sample.range (or spaced 0.25 apart in a
 * random order when sample.distinct). *state seeds the draw and is advanced,
 * so a run of calls from one seed is reproducible everywhere. Returns 0, or
 * a negative code: TG_EVALUE for a row without a sample (internal and
 * user-defined kinds). `tg gradcheck` and the second-order tests use it. */
TG_API int tg_op_sample_inputs(const tg_op_info *row, tg_dtype dtype, uint64_t *state,
                        tg_tensor **inputs);

#ifdef __cplusplus
}
#endif
#endif
