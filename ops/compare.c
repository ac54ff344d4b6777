/*
 * compare.c -- the comparisons gt ge lt le eq ne and the logical ops
 * logical_and, logical_or, logical_not, elementwise and broadcasting.
 *
 *   forward   1 where the relation holds, else 0, in the operands' dtype
 *             (PyTorch returns bool; tapegrad tensors are float or double,
 *             and a 0/1 mask multiplies and feeds tg_where directly).
 *             Comparisons follow IEEE: NaN compares unequal to everything,
 *             itself included, so only ne holds. The logical ops read any
 *             nonzero value as true, NaN included, as PyTorch does.
 *   backward  none: each result is piecewise constant in its operands, so
 *             the rule returns no gradient (NULL), like tg_heaviside's. The
 *             ops are still recorded, so that explain and dot show them.
 */
#include "kernel.h"
#include "jvp.h"

/* The kernel and value of a comparison: expr of the elements a and b. */
#define MASK_KERNEL(name, expr) TG_BINARY_FORMULA(name, r = (T)(expr))

MASK_KERNEL(gt, a > b)
MASK_KERNEL(ge, a >= b)
MASK_KERNEL(lt, a < b)
MASK_KERNEL(le, a <= b)
MASK_KERNEL(eq, a == b)
MASK_KERNEL(ne, a != b)
MASK_KERNEL(logical_and, a != 0 && b != 0)
MASK_KERNEL(logical_or, a != 0 || b != 0)

TG_UNARY_FORMULA(logical_not, r = (T)(v == 0))

static int no_gradient(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)g;
    for (int k = 0; k < out->n_inputs; k++)
        grad_in[k] = NULL;
    return TG_OK;
}

/* Operands at least 0.25 apart (the second drawn from [-0.25, 0.25], the
 * first outside it), so that no finite-difference step flips a result. */
#define APART {{0.5, 2.0, true}, {-0.25, 0.25, false}}

/* The row tg__op_<name> and the function tg_<name>(a, b). */
#define BINARY_MASK_OP(NAME, name, ranges)                                                \
    TG_SAMPLE_FN(sample_##name, tg_##name(in[0], in[1]))                                 \
    const tg_op tg__op_##name = {                                                         \
        .info = {TG_OP_##NAME, "tg_" #name, 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,      \
                 {sample_##name, 2, TG_SAMPLE_BROADCAST, ranges}},                        \
        .backward = no_gradient,                                                          \
        .jvp = tg__jvp_zero,                                                              \
        .partials = tg__partials_none,                                                    \
        .value = name##_value,                                                            \
        .kernel.binary = name##_kernel,                                                   \
        .rerun = tg__binary_rerun,                                                        \
    };                                                                                    \
    tg_tensor *tg_##name(tg_tensor *a, tg_tensor *b)                                      \
    {                                                                                     \
        return tg__binary(&tg__op_##name, a, b);                                          \
    }

BINARY_MASK_OP(GT, gt, APART)
BINARY_MASK_OP(GE, ge, APART)
BINARY_MASK_OP(LT, lt, APART)
BINARY_MASK_OP(LE, le, APART)
BINARY_MASK_OP(EQ, eq, APART)
BINARY_MASK_OP(NE, ne, APART)
BINARY_MASK_OP(LOGICAL_AND, logical_and, APART)
BINARY_MASK_OP(LOGICAL_OR, logical_or, APART)

TG_SAMPLE_FN(sample_logical_not, tg_logical_not(in[0]))

const tg_op tg__op_logical_not = {
    .info = {TG_OP_LOGICAL_NOT, "tg_logical_not", 1, TG_OP_ELEMENTWISE,
             {sample_logical_not, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = no_gradient,
    .jvp = tg__jvp_zero,
    .partials = tg__partials_none,
    .value = logical_not_value,
    .kernel.unary = logical_not_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_logical_not(tg_tensor *x)
{
    return tg__unary(&tg__op_logical_not, x, (tg_attr){0});
}
