/*
 * scalar.c -- a tensor with a constant: y = x + c and y = c x. The constant
 * is kept in attr.f of the result.
 *
 *   add_scalar  y_i = x_i + c,  dx = g
 *   mul_scalar  y_i = c x_i,    dx = c g
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(add_scalar, r = v + (T)attr.f)

static int add_scalar_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = g;
    return TG_OK;
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void add_scalar_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)y;
    (void)attr;
    p[0] = 1;
}

TG_SAMPLE_FN(sample_add_scalar, tg_add_scalar(in[0], 0.75))

const tg_op tg__op_add_scalar = {
    .info = {TG_OP_ADD_SCALAR, "tg_add_scalar", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT,
             {sample_add_scalar, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = add_scalar_backward,
    .partials = add_scalar_partials,
    .jvp = tg__jvp_symmetric,
    .value = add_scalar_value,
    .kernel.unary = add_scalar_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_add_scalar(tg_tensor *x, double c)
{
    return tg__unary(&tg__op_add_scalar, x, (tg_attr){.f = c});
}

TG_UNARY_FORMULA(mul_scalar, r = (T)attr.f * v)

static int mul_scalar_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul_scalar(g, out->attr.f);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void mul_scalar_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)y;
    p[0] = attr.f;
}

TG_SAMPLE_FN(sample_mul_scalar, tg_mul_scalar(in[0], -1.5))

const tg_op tg__op_mul_scalar = {
    .info = {TG_OP_MUL_SCALAR, "tg_mul_scalar", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT,
             {sample_mul_scalar, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mul_scalar_backward,
    .partials = mul_scalar_partials,
    .jvp = tg__jvp_symmetric,
    .value = mul_scalar_value,
    .kernel.unary = mul_scalar_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_mul_scalar(tg_tensor *x, double c)
{
    return tg__unary(&tg__op_mul_scalar, x, (tg_attr){.f = c});
}
