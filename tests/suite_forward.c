/* suite_forward.c -- forward mode (tapegrad/forward.h): tg_jvp's tangents
 * against closed forms and central differences, broadcasting, nothing
 * recorded without grad, reverse-over-forward and forward-over-reverse,
 * user-defined ops with a tangent rule and through the double-VJP
 * construction, nodes of several results (split, chunk, unbind and a
 * tg_apply_multi op), and the errors. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static double value_at(tg_tensor *t, int64_t i) { return tg_get(t, i); }

/* ---- f(a, b) = exp(a b) + a:  df = exp(a b) (da b + a db) + da ---- */

static tg_tensor *exp_of_product(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_add(tg_exp(tg_mul(in[0], in[1])), in[0]);
}

static void check_exp_of_product(tg_dtype dtype, tu_shape shape, double tol)
{
    tg_tensor *in[2] = {tu_rand(dtype, shape, -1, 1, false), tu_rand(dtype, shape, -1, 1, false)};
    tg_tensor *dir[2] = {tu_rand(dtype, shape, -1, 1, false), tu_rand(dtype, shape, -1, 1, false)};
    tg_tensor *y = NULL, *dy = NULL;
    ck_assert_msg(tg_jvp(exp_of_product, NULL, 2, in, dir, &y, &dy) == 0, "%s", tg_last_error());
    ck_assert_int_eq(tg_numel(dy), tg_numel(in[0]));
    ck_assert_int_eq(tg_dtype_of(dy), dtype);
    for (int64_t i = 0; i < tg_numel(dy); i++) {
        double a = value_at(in[0], i), b = value_at(in[1], i);
        double da = value_at(dir[0], i), db = value_at(dir[1], i);
        tu_assert_close(value_at(y, i), exp(a * b) + a, tol);
        tu_assert_close(value_at(dy, i), exp(a * b) * (da * b + a * db) + da, tol);
    }
}

START_TEST(jvp_matches_closed_form)
{
    tu_shape shapes[3] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3)};
    for (int s = 0; s < 3; s++) {
        check_exp_of_product(TG_F64, shapes[s], 1e-14);
        check_exp_of_product(TG_F32, shapes[s], 1e-6);
    }
}
END_TEST

/* (f(x + h v) - f(x - h v)) / 2h against J v, element by element, for
 * f of n (at most 3) float64 inputs. */
static void assert_jvp_matches_differences(tg_fn f, void *ctx, int n, tg_tensor *const *in,
                                           tg_tensor *const *dir, double tol)
{
    tg_tensor *y, *dy, *side[2];
    ck_assert_msg(tg_jvp(f, ctx, n, in, dir, &y, &dy) == 0, "%s", tg_last_error());
    const double h = 1e-6;
    for (int sign = 0; sign < 2; sign++) {
        tg_tensor *moved[3];
        for (int k = 0; k < n; k++) {
            moved[k] = tg_add(in[k], tg_mul(dir[k], tg_scalar(sign ? -h : h)));
            tu_assert_ok(moved[k]);
        }
        tu_assert_ok(side[sign] = f(moved, ctx));
    }
    ck_assert_int_eq(tg_numel(dy), tg_numel(y));
    for (int64_t i = 0; i < tg_numel(dy); i++)
        tu_assert_close(tg_get(dy, i), (tg_get(side[0], i) - tg_get(side[1], i)) / (2 * h), tol);
}

START_TEST(jvp_matches_central_differences)
{
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false),
                        tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false)};
    tg_tensor *dir[2] = {tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false),
                         tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false)};
    assert_jvp_matches_differences(exp_of_product, NULL, 2, in, dir, 1e-8);
}
END_TEST

/* ---- nodes of several results: each piece of a split is its own node,
 * and a user op's results share one forward ---- */

/* chunk [2, 5] into columns of 2, 2 and 1, each through its own function,
 * joined again: dy = cos(c0) dc0 | 2 c1 dc1 | exp(c2) dc2. */
static tg_tensor *chunked(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *c[3];
    if (tg_chunk(in[0], 3, 1, c) != 3)
        return NULL;
    return tg_concat(3, (tg_tensor *[]){tg_sin(c[0]), tg_mul(c[1], c[1]), tg_exp(c[2])}, 1);
}

/* split [3, 2] into rows 1 and 2 (by sizes), into its columns (by size 1)
 * and into the rows of unbind, the pieces mixed with each other; unbind's
 * middle row is not used. */
static tg_tensor *split_and_unbound(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *s[2], *r[3], *p[2];
    if (tg_split(in[0], 0, 2, (const int64_t[]){1, 2}, s) != 2 || tg_unbind(in[0], 0, r, 3) != 3 ||
        tg_split_size(in[0], -1, 1, p, 2) != 2)
        return NULL;
    tg_tensor *rows = tg_add(tg_mul(r[0], tg_sin(r[2])), tg_squeeze(s[0], 0));
    return tg_add(tg_mul(p[0], tg_exp(p[1])), tg_sum(tg_mul(s[1], rows)));
}

START_TEST(jvp_through_split_chunk_and_unbind)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 5), -1, 1, false);
    tg_tensor *v = tu_rand(TG_F64, TU_SHAPE(2, 5), -1, 1, false), *y, *dy;
    ck_assert_msg(tg_jvp(chunked, NULL, 1, &x, &v, &y, &dy) == 0, "%s", tg_last_error());
    for (int64_t i = 0; i < 10; i++) {
        double xi = tg_get(x, i), vi = tg_get(v, i);
        int col = (int)(i % 5);
        double want = col < 2 ? cos(xi) * vi : col < 4 ? 2 * xi * vi : exp(xi) * vi;
        tu_assert_close(tg_get(dy, i), want, 1e-14);
    }
    tg_tensor *x2 = tu_rand(TG_F64, TU_SHAPE(3, 2), -1, 1, false);
    tg_tensor *v2 = tu_rand(TG_F64, TU_SHAPE(3, 2), -1, 1, false);
    assert_jvp_matches_differences(split_and_unbound, NULL, 1, &x2, &v2, 1e-8);
    /* an input that requires grad: the pieces are recorded for reverse mode too */
    tg_tensor *x3 = tu_rand(TG_F64, TU_SHAPE(3, 2), -1, 1, true);
    assert_jvp_matches_differences(split_and_unbound, NULL, 1, &x3, &v2, 1e-8);
}
END_TEST

/* A user op of two results, sin x and cos x, its backward written with
 * ops, so that tg_jvp goes through it by the double-VJP construction. */
static int sincos_forward(tg_tensor *const *in, tg_tensor **out, void *ud)
{
    (void)ud;
    out[0] = tg_sin(in[0]);
    out[1] = tg_cos(in[0]);
    return out[0] && out[1] ? 0 : tg_last_error_code();
}

static int sincos_backward(tg_tensor *const *outs, int k, tg_tensor *g, tg_tensor *const *in,
                           tg_tensor **grad_in, void *ud)
{
    (void)in;
    (void)ud;
    grad_in[0] = k == 0 ? tg_mul(g, outs[1]) : tg_neg(tg_mul(g, outs[0]));
    return grad_in[0] ? 0 : tg_last_error_code();
}

static const tg_function_multi sincos = {"sincos", 1, 2, sincos_forward, sincos_backward};

/* which: 0 uses sin x only, 1 cos x only, 2 both: sin x cos x + cos x */
static tg_tensor *through_sincos(tg_tensor *const *in, void *ctx)
{
    int which = *(int *)ctx;
    tg_tensor *o[2];
    if (tg_apply_multi(&sincos, in, NULL, o) != 0)
        return NULL;
    return which == 2 ? tg_add(tg_mul(o[0], o[1]), o[1]) : o[which];
}

START_TEST(jvp_through_a_user_op_of_two_results)
{
    for (int which = 0; which < 3; which++)
        for (int grad = 0; grad < 2; grad++) {
            tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, grad);
            tg_tensor *v = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false), *y, *dy;
            ck_assert_msg(tg_jvp(through_sincos, &which, 1, &x, &v, &y, &dy) == 0, "%s",
                          tg_last_error());
            for (int i = 0; i < 4; i++) {
                double s = sin(tg_get(x, i)), c = cos(tg_get(x, i)), vi = tg_get(v, i);
                double want = which == 0 ? c : which == 1 ? -s : c * c - s * s - s;
                tu_assert_close(tg_get(dy, i), want * vi, 1e-14);
            }
            assert_jvp_matches_differences(through_sincos, &which, 1, &x, &v, 1e-8);
            tg_tape_reset();
        }
}
END_TEST

static tg_tensor *product(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(in[0], in[1]);
}

static tg_tensor *sum_of(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_add(in[0], in[1]);
}

/* A tangent has its result's shape, also when only the broadcast operand
 * moves. */
START_TEST(tangents_broadcast_to_the_result)
{
    tu_shape second[2] = {TU_SHAPE(3), TU_SHAPE(1, 3)};
    for (int s = 0; s < 2; s++) {
        tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, false);
        tg_tensor *b = tu_rand(TG_F64, second[s], -1, 1, false);
        tg_tensor *db = tu_rand(TG_F64, second[s], -1, 1, false);
        tg_tensor *in[2] = {a, b}, *dir[2] = {NULL, db}, *dy;
        ck_assert(tg_jvp(product, NULL, 2, in, dir, NULL, &dy) == 0);
        ck_assert_int_eq(tg_ndim(dy), 2);
        for (int64_t i = 0; i < 6; i++)
            tu_assert_close(tg_get(dy, i), tg_get(a, i) * tg_get(db, i % 3), 1e-15);
        ck_assert(tg_jvp(sum_of, NULL, 2, in, dir, NULL, &dy) == 0);
        ck_assert_int_eq(tg_ndim(dy), 2);
        for (int64_t i = 0; i < 6; i++)
            tu_assert_close(tg_get(dy, i), tg_get(db, i % 3), 1e-15);
    }
}
END_TEST

START_TEST(nothing_is_recorded_without_grad)
{
    tg_tensor *in[2] = {tg_scalar(0.5), tg_scalar(2)}, *dir[2] = {tg_scalar(1), tg_scalar(0)};
    tg_tensor *y, *dy;
    ck_assert(tg_jvp(exp_of_product, NULL, 2, in, dir, &y, &dy) == 0);
    ck_assert_int_eq(tg_tape_length(), 0);
    ck_assert(!tg_requires_grad(dy));
    tu_assert_close(tg_item(dy), exp(1.0) * 2 + 1, 1e-15);
}
END_TEST

static tg_tensor *ignores_its_input(tg_tensor *const *in, void *ctx)
{
    (void)in;
    return tg_exp(*(tg_tensor **)ctx);
}

START_TEST(an_output_without_a_tangent_gets_zeros)
{
    tg_tensor *c = tu_rand(TG_F32, TU_SHAPE(3), -1, 1, false);
    tg_tensor *x = tg_scalar(1), *v = tg_scalar(1), *y, *dy;
    ck_assert(tg_jvp(ignores_its_input, &c, 1, &x, &v, &y, &dy) == 0);
    ck_assert_int_eq(tg_numel(dy), 3);
    ck_assert_int_eq(tg_dtype_of(dy), TG_F32);
    for (int i = 0; i < 3; i++)
        ck_assert(tg_get(dy, i) == 0);
    ck_assert_ptr_null(tg_tangent(y));
}
END_TEST

static tg_tensor *exp_of_square(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_exp(tg_mul(in[0], in[0]));
}

/* The tangent of exp(x^2) is 2x exp(x^2) v; recorded, its gradient is the
 * second derivative (2 + 4x^2) exp(x^2) v. */
START_TEST(reverse_over_forward)
{
    for (double x0 = -1; x0 <= 1; x0 += 0.5) {
        tg_tensor *x = tg_var(x0), *v = tg_scalar(1), *y, *dy, *d2y;
        ck_assert(tg_jvp(exp_of_square, NULL, 1, &x, &v, &y, &dy) == 0);
        tu_assert_close(tg_item(dy), 2 * x0 * exp(x0 * x0), 1e-15);
        ck_assert(tg_requires_grad(dy));
        ck_assert_msg(tg_grad(&dy, 1, &x, 1, &d2y, false) == 0, "%s", tg_last_error());
        tu_assert_close(tg_item(d2y), (2 + 4 * x0 * x0) * exp(x0 * x0), 1e-14);
        tg_tape_reset();
    }
}
END_TEST

/* f(x) = d/dx sum(exp(x^2)) by a reverse sweep inside tg_jvp: the tangent
 * of the gradient is the Hessian (diagonal here) times v. */
static tg_tensor *gradient_of_exp_square(tg_tensor *const *in, void *ctx)
{
    bool create_graph = *(const bool *)ctx;
    tg_tensor *x = in[0], *y = exp_of_square(in, NULL), *g = NULL;
    tg_tensor *seed = tg_full(tg_dtype_of(x), tg_ndim(x), tg_shape(x), 1, false);
    unsigned flags = create_graph ? TG_CREATE_GRAPH : 0;
    return tg_grad_ex(&y, &seed, 1, &x, 1, &g, flags) == 0 ? g : NULL;
}

START_TEST(forward_over_reverse)
{
    for (int create = 0; create < 2; create++) {
        bool create_graph = create;
        tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, true);
        tg_tensor *v = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false), *g, *hv;
        ck_assert_msg(tg_jvp(gradient_of_exp_square, &create_graph, 1, &x, &v, &g, &hv) == 0,
                      "%s", tg_last_error());
        for (int i = 0; i < 4; i++) {
            double x0 = tg_get(x, i);
            tu_assert_close(tg_get(g, i), 2 * x0 * exp(x0 * x0), 1e-14);
            tu_assert_close(tg_get(hv, i), (2 + 4 * x0 * x0) * exp(x0 * x0) * tg_get(v, i), 1e-14);
        }
        tg_tape_reset();
    }
}
END_TEST

/* tg_tangent reads the tangents of the latest tg_jvp, inside f too. */
static tg_tensor *reads_tangents(tg_tensor *const *in, void *ctx)
{
    tg_tensor *p = tg_mul(in[0], in[0]);
    *(double *)ctx = tg_tangent(p) ? tg_item(tg_tangent(p)) : -1;
    return p;
}

START_TEST(tangents_are_readable_until_the_next_jvp)
{
    double inside = 0;
    tg_tensor *x = tg_scalar(3), *v = tg_scalar(2), *y, *dy;
    ck_assert(tg_jvp(reads_tangents, &inside, 1, &x, &v, &y, &dy) == 0);
    tu_assert_close(inside, 12, 0);
    ck_assert_ptr_eq(tg_tangent(y), dy);
    ck_assert_ptr_eq(tg_tangent(x), v);
    tg_tensor *x2 = tg_scalar(1), *y2, *dy2;
    ck_assert(tg_jvp(exp_of_square, NULL, 1, &x2, &v, &y2, &dy2) == 0);
    ck_assert_ptr_null(tg_tangent(y)); /* from the call before */
    tu_assert_close(tg_item(tg_tangent(y2)), 2 * exp(1.0) * 2, 1e-15);
    ck_assert_ptr_null(tg_tangent(NULL));
}
END_TEST

/* A tensor from an earlier tg_jvp is a constant to the next one. */
START_TEST(earlier_tangents_do_not_leak)
{
    tg_tensor *x = tg_scalar(1), *v = tg_scalar(1), *y, *dy;
    ck_assert(tg_jvp(exp_of_square, NULL, 1, &x, &v, &y, &dy) == 0);
    tg_tensor *z = tg_scalar(2), *w, *dw;
    ck_assert(tg_jvp(ignores_its_input, &y, 1, &z, &v, &w, &dw) == 0);
    ck_assert(tg_item(dw) == 0);
}
END_TEST

/* ---- user-defined ops: cube(x) = x^3 ---- */

static tg_tensor *cube_forward(tg_tensor *const *in, void *ud)
{
    (void)ud;
    return tg_mul(tg_mul(in[0], in[0]), in[0]);
}

static int cube_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in, tg_tensor **grad_in,
                         void *ud)
{
    (void)out;
    (void)ud;
    grad_in[0] = tg_mul(g, tg_mul_scalar(tg_mul(in[0], in[0]), 3));
    return grad_in[0] ? 0 : tg_last_error_code();
}

/* writes 3 x^2 g with a raw loop: a constant to the next order */
static int cube_backward_raw(tg_tensor *out, tg_tensor *g, tg_tensor *const *in,
                             tg_tensor **grad_in, void *ud)
{
    (void)out;
    (void)ud;
    tg_tensor *x = in[0];
    grad_in[0] = tg_tensor_new(tg_dtype_of(x), tg_ndim(x), tg_shape(x), NULL, false);
    for (int64_t i = 0; grad_in[0] && i < tg_numel(x); i++)
        tg_set(grad_in[0], i, 3 * tg_get(x, i) * tg_get(x, i) * tg_get(g, i));
    return grad_in[0] ? 0 : tg_last_error_code();
}

static int cube_jvp(tg_tensor *out, tg_tensor *const *in, tg_tensor *const *tangents,
                    tg_tensor **tangent_out, void *ud)
{
    (void)out;
    *(int *)ud += 1;
    *tangent_out = tg_mul(tangents[0], tg_mul_scalar(tg_mul(in[0], in[0]), 3));
    return *tangent_out ? 0 : tg_last_error_code();
}

static const tg_function cube = {"cube", 1, cube_forward, cube_backward};
static const tg_function cube_raw = {"cube_raw", 1, cube_forward, cube_backward_raw};

typedef struct {
    const tg_function *fn;
    bool own_rule;
    int calls;
} cube_ctx;

static tg_tensor *exp_of_cube(tg_tensor *const *in, void *ctx)
{
    cube_ctx *c = ctx;
    tg_tensor *x3 = c->own_rule ? tg_apply_jvp(c->fn, cube_jvp, in, &c->calls)
                                : tg_apply(c->fn, in, &c->calls);
    return tg_exp(x3);
}

START_TEST(user_ops_take_their_rule_or_the_double_vjp)
{
    for (int own = 0; own < 2; own++)
        for (int grad = 0; grad < 2; grad++) {
            cube_ctx c = {&cube, own, 0};
            tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, grad);
            tg_tensor *v = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false), *y, *dy;
            ck_assert_msg(tg_jvp(exp_of_cube, &c, 1, &x, &v, &y, &dy) == 0, "%s",
                          tg_last_error());
            ck_assert_int_eq(c.calls, own);
            for (int i = 0; i < 3; i++) {
                double x0 = tg_get(x, i);
                tu_assert_close(tg_get(dy, i), exp(pow(x0, 3)) * 3 * x0 * x0 * tg_get(v, i),
                                1e-14);
            }
            tg_tape_reset();
        }
}
END_TEST

START_TEST(double_vjp_needs_a_composed_backward)
{
    cube_ctx c = {&cube_raw, false, 0};
    tg_tensor *x = tg_scalar(0.5), *v = tg_scalar(1), *y = NULL, *dy = NULL;
    ck_assert_int_eq(tg_jvp(exp_of_cube, &c, 1, &x, &v, &y, &dy), TG_ESTATE);
    ck_assert_ptr_null(y);
    ck_assert_ptr_null(dy);
    ck_assert_msg(strstr(tg_last_error(), "cube_raw: tg_jvp needs its tangent") != NULL, "%s",
                  tg_last_error());
}
END_TEST

/* ---- errors ---- */

static tg_tensor *silent_null(tg_tensor *const *in, void *ctx)
{
    (void)in;
    (void)ctx;
    return NULL;
}

static tg_tensor *nested(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *y, *dy;
    return tg_jvp(exp_of_square, NULL, 1, in, in, &y, &dy) == 0 ? dy : NULL;
}

static void expect_error(int rc, int code, const char *text)
{
    ck_assert_int_eq(rc, code);
    ck_assert_msg(strstr(tg_last_error(), text) != NULL, "message: %s", tg_last_error());
    tg_clear_error();
}

START_TEST(bad_arguments_are_reported)
{
    tg_tensor *x = tg_tensor_new(TG_F64, 1, (int64_t[]){2}, NULL, false);
    tg_tensor *wrong = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, NULL, false);
    tg_tensor *y = x, *dy = x, *two[2] = {x, x}, *dirs[2] = {NULL, NULL};
    expect_error(tg_jvp(NULL, NULL, 1, &x, &x, &y, &dy), TG_ENULL, "tg_jvp: f is NULL");
    ck_assert_ptr_null(y);
    ck_assert_ptr_null(dy);
    expect_error(tg_jvp(exp_of_square, NULL, 1, &x, NULL, &y, &dy), TG_ENULL,
                 "tg_jvp: the tangents array is NULL");
    expect_error(tg_jvp(exp_of_square, NULL, 0, &x, &x, &y, &dy), TG_EVALUE, "tg_jvp: n is 0");
    expect_error(tg_jvp(exp_of_square, NULL, 1, &x, &wrong, &y, &dy), TG_ESHAPE,
                 "tg_jvp: tangents[0] is f64 [3] but inputs[0] is f64 [2]");
    expect_error(tg_jvp(product, NULL, 2, two, dirs, &y, &dy), TG_EVALUE,
                 "tg_jvp: inputs[0] and inputs[1] are the same tensor");
    expect_error(tg_jvp(silent_null, NULL, 1, &x, &x, &y, &dy), TG_ESTATE,
                 "tg_jvp: f returned NULL without setting an error");
    expect_error(tg_jvp(nested, NULL, 1, &x, &x, &y, &dy), TG_ESTATE,
                 "tg_jvp: called from inside another tg_jvp's f");
    ck_assert(tg_op_has_jvp(TG_OP_ADD) && tg_op_has_jvp(TG_OP_MUL) && tg_op_has_jvp(TG_OP_EXP));
    ck_assert(!tg_op_has_jvp(TG_OP_COUNT));
    tg_clear_error();
}
END_TEST

/* An op without a tangent rule fails by name, never with a silent zero.
 * Passes trivially once every elementwise op has its rule. */
START_TEST(an_op_without_a_rule_is_named)
{
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
        if (tg_op_has_jvp((tg_op_kind)k) || !row->sample.call)
            continue;
        uint64_t state = 7;
        tg_tensor *in[3], *dir[3], *y, *dy;
        ck_assert(tg_op_sample_inputs(row, TG_F64, &state, in) == 0);
        for (int i = 0; i < row->sample.n_inputs; i++)
            dir[i] = in[i];
        int rc = tg_jvp(row->sample.call, NULL, row->sample.n_inputs, in, dir, &y, &dy);
        char want[128];
        snprintf(want, sizeof want, "tg_jvp: %s has no tangent rule", row->name);
        expect_error(rc, TG_ESTATE, want);
        return;
    }
}
END_TEST

/* ---- drivers ---- */

static tg_tensor *softmax_last(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_softmax(in[0], -1);
}

/* The notes' softmax Jacobian dy_i/dz_k = y_i (delta_ik - y_k), row by row
 * of a matrix (rows do not interact), by each mode. */
START_TEST(jacobian_of_softmax_is_diag_minus_outer)
{
    tu_shape shapes[2] = {TU_SHAPE(4), TU_SHAPE(2, 3)};
    for (int s = 0; s < 2; s++)
        for (int mode = TG_JAC_AUTO; mode <= TG_JAC_REVERSE; mode++) {
            tg_tensor *z = tu_rand(TG_F64, shapes[s], -2, 2, false), *J;
            ck_assert_msg(tg_jacobian(softmax_last, NULL, 1, &z, (tg_jac_mode)mode, &J) == 0,
                          "%s", tg_last_error());
            tg_tensor *y = tg_softmax(z, -1);
            int64_t n = tg_numel(z), cols = tg_shape(z)[tg_ndim(z) - 1];
            ck_assert_int_eq(tg_ndim(J), 2 * tg_ndim(z));
            for (int64_t i = 0; i < n; i++)
                for (int64_t k = 0; k < n; k++) {
                    double want = i / cols != k / cols ? 0
                                  : tg_get(y, i) * ((i == k) - tg_get(y, k));
                    tu_assert_close(tg_get(J, i * n + k), want, 1e-15);
                }
            tg_tape_reset();
        }
}
END_TEST

/* Forward and reverse agree, with broadcasting; a 0-d result gives the
 * input's shape and a 0-d input the result's. */
START_TEST(jacobian_modes_agree_and_shapes_join)
{
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, false),
                        tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false)};
    tg_tensor *fwd[2], *rev[2];
    ck_assert(tg_jacobian(exp_of_product, NULL, 2, in, TG_JAC_FORWARD, fwd) == 0);
    ck_assert(tg_jacobian(exp_of_product, NULL, 2, in, TG_JAC_REVERSE, rev) == 0);
    ck_assert_int_eq(tg_ndim(fwd[0]), 4);
    ck_assert_int_eq(tg_ndim(fwd[1]), 3);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(tg_numel(fwd[i]), tg_numel(rev[i]));
        for (int64_t e = 0; e < tg_numel(fwd[i]); e++)
            tu_assert_close(tg_get(fwd[i], e), tg_get(rev[i], e), 1e-15);
    }
    /* d(exp(a b) + a)[r, c] / d b[c'] = exp(a b) a [c == c'] */
    for (int64_t o = 0; o < 6; o++)
        for (int64_t c = 0; c < 3; c++) {
            double a = tg_get(in[0], o), b = tg_get(in[1], o % 3);
            tu_assert_close(tg_get(fwd[1], o * 3 + c), o % 3 == c ? exp(a * b) * a : 0, 1e-15);
        }
    tg_tensor *x = tg_scalar(0.5), *J;
    ck_assert(tg_jacobian(exp_of_square, NULL, 1, &x, TG_JAC_AUTO, &J) == 0);
    ck_assert_int_eq(tg_ndim(J), 0);
    tu_assert_close(tg_item(J), exp(0.25), 1e-15);
}
END_TEST

/* ---- the notes' L = 1/2 sum (y - yhat)^2 for one layer yhat = sigmoid(W x + b) ----
 * With r = yhat - y and s' = s (1 - s), s'' = s' (1 - 2 s) at z = W x + b:
 *   d2L / dW_ij dW_kl = [i == k] x_j x_l c_i,  c_i = s'_i^2 + r_i s''_i,
 *   d2L / dW_ij db_k = [i == k] x_j c_i,     d2L / db_i db_k = [i == k] c_i. */

enum { OUT = 2, IN = 3 };
static const double layer_x[IN] = {0.5, -1.0, 2.0}, layer_y[OUT] = {0.25, 0.75};

static tg_tensor *layer_loss(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(IN), layer_x, false);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(OUT), layer_y, false);
    tg_tensor *d = tg_sub(y, tg_sigmoid(tg_add(tg_matmul(in[0], x), in[1])));
    return tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5);
}

static void layer_curvature(tg_tensor *const *wb, double *c)
{
    for (int i = 0; i < OUT; i++) {
        double z = tg_get(wb[1], i);
        for (int j = 0; j < IN; j++)
            z += tg_get(wb[0], i * IN + j) * layer_x[j];
        double s = 1 / (1 + exp(-z)), s1 = s * (1 - s), s2 = s1 * (1 - 2 * s);
        c[i] = s1 * s1 + (s - layer_y[i]) * s2;
    }
}

/* x_j for W's element e = i IN + j, 1 for b's; and its row i */
static double layer_feature(int block, int e, int *row)
{
    *row = block == 0 ? e / IN : e;
    return block == 0 ? layer_x[e % IN] : 1;
}

START_TEST(hessian_of_the_notes_one_layer_loss)
{
    tg_tensor *wb[2] = {tu_rand(TG_F64, TU_SHAPE(OUT, IN), -1, 1, false),
                        tu_rand(TG_F64, TU_SHAPE(OUT), -1, 1, false)};
    tg_tensor *H[4];
    ck_assert_msg(tg_hessian(layer_loss, NULL, 2, wb, H) == 0, "%s", tg_last_error());
    double c[OUT];
    layer_curvature(wb, c);
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
            int64_t np = tg_numel(wb[p]), nq = tg_numel(wb[q]);
            ck_assert_int_eq(tg_numel(H[p * 2 + q]), np * nq);
            ck_assert_int_eq(tg_ndim(H[p * 2 + q]), tg_ndim(wb[p]) + tg_ndim(wb[q]));
            for (int e = 0; e < np; e++)
                for (int f = 0; f < nq; f++) {
                    int i, k;
                    double xe = layer_feature(p, e, &i), xf = layer_feature(q, f, &k);
                    tu_assert_close(tg_get(H[p * 2 + q], e * nq + f), i == k ? xe * xf * c[i] : 0,
                                    1e-14);
                }
        }
}
END_TEST

/* H v by forward-over-reverse and v H by reverse-over-reverse, against the
 * Hessian's blocks. */
START_TEST(hvp_and_vhp_match_the_hessian)
{
    tg_tensor *wb[2] = {tu_rand(TG_F64, TU_SHAPE(OUT, IN), -1, 1, false),
                        tu_rand(TG_F64, TU_SHAPE(OUT), -1, 1, false)};
    tg_tensor *v[2] = {tu_rand(TG_F64, TU_SHAPE(OUT, IN), -1, 1, false),
                       tu_rand(TG_F64, TU_SHAPE(OUT), -1, 1, false)};
    tg_tensor *H[4], *hv[2], *vh[2], *L1, *L2;
    ck_assert(tg_hessian(layer_loss, NULL, 2, wb, H) == 0);
    ck_assert_msg(tg_hvp(layer_loss, NULL, 2, wb, v, &L1, hv) == 0, "%s", tg_last_error());
    ck_assert_msg(tg_vhp(layer_loss, NULL, 2, wb, v, &L2, vh) == 0, "%s", tg_last_error());
    tu_assert_close(tg_item(L1), tg_item(L2), 0);
    for (int p = 0; p < 2; p++)
        for (int e = 0; e < tg_numel(wb[p]); e++) {
            double want = 0;
            for (int q = 0; q < 2; q++)
                for (int f = 0; f < tg_numel(wb[q]); f++)
                    want += tg_get(H[p * 2 + q], e * tg_numel(wb[q]) + f) * tg_get(v[q], f);
            tu_assert_close(tg_get(hv[p], e), want, 1e-14);
            tu_assert_close(tg_get(vh[p], e), want, 1e-14);
        }
}
END_TEST

/* k directions from one recorded run equal k calls of tg_jvp; k cotangents
 * equal k calls of tg_grad. */
START_TEST(batches_match_one_at_a_time)
{
    enum { K = 3 };
    tg_tensor *in[2] = {tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false),
                        tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false)};
    tg_tensor *dirs[K * 2], *outs[K], *y;
    for (int j = 0; j < K * 2; j++)
        dirs[j] = j == 3 ? NULL : tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false);
    ck_assert_msg(tg_jvp_batch(exp_of_product, NULL, 2, in, K, dirs, &y, outs) == 0, "%s",
                  tg_last_error());
    for (int j = 0; j < K; j++) {
        tg_tensor *one, *y1;
        ck_assert(tg_jvp(exp_of_product, NULL, 2, in, dirs + 2 * j, &y1, &one) == 0);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_get(outs[j], i), tg_get(one, i), 1e-15);
    }
    tg_tensor *cot[K], *grads[K * 2];
    for (int j = 0; j < K; j++)
        cot[j] = tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false);
    ck_assert_msg(tg_vjp_batch(exp_of_product, NULL, 2, in, K, cot, &y, grads) == 0, "%s",
                  tg_last_error());
    for (int j = 0; j < K; j++)
        for (int i = 0; i < 4; i++) {
            double a = tg_get(in[0], i), b = tg_get(in[1], i), u = tg_get(cot[j], i);
            tu_assert_close(tg_get(grads[j * 2], i), u * (exp(a * b) * b + 1), 1e-15);
            tu_assert_close(tg_get(grads[j * 2 + 1], i), u * exp(a * b) * a, 1e-15);
        }
}
END_TEST

static tg_tensor *six_dims(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_reshape(in[0], 4, (int64_t[]){1, 1, 1, 2});
}

START_TEST(driver_errors_are_reported)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false), *J = x, *H[1] = {x}, *hv[1];
    tg_tensor *wrong = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false);
    expect_error(tg_jacobian(exp_of_square, NULL, 1, &x, (tg_jac_mode)7, &J), TG_EVALUE,
                 "tg_jacobian: mode 7 is not TG_JAC_AUTO");
    ck_assert_ptr_null(J);
    expect_error(tg_jacobian(NULL, NULL, 1, &x, TG_JAC_AUTO, &J), TG_ENULL, "tg_jacobian: f is NULL");
    tg_tensor *m = tu_rand(TG_F64, TU_SHAPE(1, 1, 2), -1, 1, false);
    expect_error(tg_jacobian(six_dims, NULL, 1, &m, TG_JAC_AUTO, &J), TG_ESHAPE,
                 "tg_jacobian: a result of shape [1,1,1,2] by an input of shape [1,1,2] needs 7 "
                 "dimensions; at most 6");
    expect_error(tg_hessian(exp_of_square, NULL, 1, &x, H), TG_ESHAPE,
                 "tg_hessian: f's result has shape [2]; a Hessian is of a function with one "
                 "output element");
    ck_assert_ptr_null(H[0]);
    expect_error(tg_hvp(layer_loss, NULL, 1, &x, &wrong, NULL, hv), TG_ESHAPE,
                 "tg_hvp: v[0] is f64 [3] but inputs[0] is f64 [2]");
    expect_error(tg_jvp_batch(exp_of_square, NULL, 1, &x, 0, &x, NULL, hv), TG_EVALUE,
                 "tg_jvp_batch: k is 0");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("forward");
    TCase *tc = tu_tcase("forward");
    tcase_add_test(tc, jvp_matches_closed_form);
    tcase_add_test(tc, jvp_matches_central_differences);
    tcase_add_test(tc, jvp_through_split_chunk_and_unbind);
    tcase_add_test(tc, jvp_through_a_user_op_of_two_results);
    tcase_add_test(tc, tangents_broadcast_to_the_result);
    tcase_add_test(tc, nothing_is_recorded_without_grad);
    tcase_add_test(tc, an_output_without_a_tangent_gets_zeros);
    tcase_add_test(tc, reverse_over_forward);
    tcase_add_test(tc, forward_over_reverse);
    tcase_add_test(tc, tangents_are_readable_until_the_next_jvp);
    tcase_add_test(tc, earlier_tangents_do_not_leak);
    tcase_add_test(tc, user_ops_take_their_rule_or_the_double_vjp);
    tcase_add_test(tc, double_vjp_needs_a_composed_backward);
    tcase_add_test(tc, bad_arguments_are_reported);
    tcase_add_test(tc, an_op_without_a_rule_is_named);
    suite_add_tcase(s, tc);
    TCase *drivers = tu_tcase("drivers");
    tcase_add_test(drivers, jacobian_of_softmax_is_diag_minus_outer);
    tcase_add_test(drivers, jacobian_modes_agree_and_shapes_join);
    tcase_add_test(drivers, hessian_of_the_notes_one_layer_loss);
    tcase_add_test(drivers, hvp_and_vhp_match_the_hessian);
    tcase_add_test(drivers, batches_match_one_at_a_time);
    tcase_add_test(drivers, driver_errors_are_reported);
    suite_add_tcase(s, drivers);
    return tu_run(s);
}
