/*
 * elu.h -- the ELU family shared by elu.c, selu.c and celu.c:
 *
 *   y = x > 0 ? scale x : scale alpha (e^(k x) - 1)
 *
 * elu is (scale 1, alpha, k 1), selu (1.0507..., 1.6732..., 1) and celu
 * (1, alpha, 1/alpha), as PyTorch's elu kernel computes all three. The
 * negative branch uses expm1, so it is exact near 0 and -scale alpha at
 * -1e4. The local derivative is x <= 0 ? k (y + scale alpha) : scale: the
 * kink x = 0 takes the negative branch, as PyTorch's elu_backward does, and
 * reading y keeps e^(k x) from overflowing in the branch not taken.
 */
#ifndef TG_ELU_H
#define TG_ELU_H

#include "kernel.h"

typedef struct {
    double scale, alpha, k;
} tg_elu_coefs;

void tg__elu_forward(tg_tensor *y, const tg_tensor *x, tg_elu_coefs c);
/* The family's value at one x, from the formula of tg__elu_forward's loop
 * (TG_ELU_FORMULA, elu.c), for the ops' tg_op.value. */
double tg__elu_value(double x, tg_elu_coefs c);
/* The backward rule of an op of the family, written with ops. */
int tg__elu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in, tg_elu_coefs c);

/* The local derivative at x, y = the op's value there (scalar fast path). */
double tg__elu_partial(double x, double y, tg_elu_coefs c);

#endif
