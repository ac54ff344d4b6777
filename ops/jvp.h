/*
 * jvp.h -- what the ops' tangent (JVP) rules share (issue 12). Not
 * installed.
 *
 * A tangent rule (tg_jvp_fn, autograd/internal.h) receives out = op(inputs)
 * and one tangent per input, NULL for a zero tangent, and stores out's
 * tangent (NULL for zero). Rules are written with ops, like backward rules,
 * so that forward-over-reverse and reverse-over-forward compose; masks at
 * kinks are the constants the backward rule builds, so both modes follow
 * one convention.
 */
#ifndef TG_JVP_H
#define TG_JVP_H

#include "kernel.h"

/* The rule of an op with one input of the output's shape whose Jacobian J
 * is symmetric -- every unary elementwise op (J diagonal), and softmax
 * (diag(y) - y yᵀ): J t = Jᵀ t, so the tangent is the op's backward rule
 * run with t in g's place. The same ops, the same kink conventions and the
 * same fused pass when nothing records. */
int tg__jvp_symmetric(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* The rule of an op that passes no gradient (comparisons, rounding, arg max,
 * one_hot): its tangent is zero. */
int tg__jvp_zero(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* Defines name as the tangent rule of an op of one tensor input whose
 * tangent is expr, an expression of its tangent t (never NULL there) and
 * out; a zero tangent stays zero. For a linear op expr is the op itself
 * applied to t with out's constants: transpose's is tg_transpose(t). */
#define TG_JVP_FN(name, expr)                                                         \
    static int name(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out) \
    {                                                                              \
        tg_tensor *t = tangent_in[0];                                              \
        (void)out;                                                                 \
        *tangent_out = t ? (expr) : NULL;                                          \
        return !t || *tangent_out ? TG_OK : tg__latest_code();                     \
    }

/* t summed over the axes that the reduction out reduced, of out's shape
 * (those axes kept as size 1 or dropped, as out has them): a sum's tangent,
 * and the last step of other reductions' (max: t times a one-hot). */
tg_tensor *tg__jvp_reduce_like(tg_tensor *t, const tg_tensor *out);

/* The rule of a reduction over a set of axes (out[k] depends only on x's
 * slice k): its backward rule run with g = 1 gives the local derivative
 * d = dout[k]/dx[i] at every i of x, and the tangent is each slice's sum of
 * t d. The conventions of the backward (prod's zeros, std's 0 at sigma = 0,
 * norm's subgradient) carry over as they are. */
int tg__jvp_reduction(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out);

/* Stores the sum of the n terms of a tangent, expanded to out's shape, in
 * *tangent_out: terms[k] is input k's contribution, absent (and NULL) when
 * tangent_in[k] is NULL; no term present gives NULL. A term that is NULL
 * though its tangent is not failed, and its code is returned. */
int tg__jvp_sum(tg_tensor *out, int n, tg_tensor *const *tangent_in, tg_tensor *const *terms,
                tg_tensor **tangent_out);

#endif
