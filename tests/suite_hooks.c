/* suite_hooks.c -- gradient hooks, retained gradients of intermediates and
 * detach. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* A hook that writes "name: gradient" lines into a log, the way a lesson
 * prints every gradient as it flows. */
typedef struct {
    char text[512];
    size_t len;
} grad_log;

typedef struct {
    grad_log *log;
    const char *name;
} log_entry;

static tg_tensor *log_gradient(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    const log_entry *e = ud;
    grad_log *log = e->log;
    log->len += (size_t)snprintf(log->text + log->len, sizeof log->text - log->len, "%s=%g ",
                                 e->name, tg_item(grad));
    return grad;
}

START_TEST(hooks_see_every_gradient_in_sweep_order)
{
    /* L = (w x + b)^2 at w = 3, x = 2, b = 1: u = 6, v = 7, L = 49 */
    grad_log log = {{0}, 0};
    tg_tensor *w = tg_var(3), *x = tg_var(2), *b = tg_var(1);
    tg_tensor *u = tg_mul(w, x), *v = tg_add(u, b), *loss = tg_mul(v, v);
    log_entry entries[] = {{&log, "w"}, {&log, "x"}, {&log, "b"},
                           {&log, "u"}, {&log, "v"}, {&log, "L"}};
    tg_tensor *tensors[] = {w, x, b, u, v, loss};
    for (int k = 0; k < 6; k++)
        ck_assert_int_eq(tg_register_hook(tensors[k], log_gradient, &entries[k]), 0);
    ck_assert_int_eq(tg_backward(loss), 0);
    /* recorded results when the sweep reaches them; leaves once the sweep
     * has passed the last op that takes them: b after v's rule, before u */
    ck_assert_str_eq(log.text, "L=1 v=14 b=14 u=14 w=28 x=42 ");
    tu_assert_close(tg_grad_get(w, 0), 28, 0);
}
END_TEST

/* Rescales a gradient to norm at most *max_norm (gradient clipping). */
static tg_tensor *clip_norm(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    double max_norm = *(const double *)ud, norm = sqrt(tg_item(tg_sum(tg_mul(grad, grad))));
    return norm <= max_norm ? grad : tg_mul_scalar(grad, max_norm / norm);
}

START_TEST(hook_clips_an_intermediate_gradient)
{
    double max_norm = 1;
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){3, 4}, true);
    tg_tensor *h = tg_mul_scalar(x, 2);
    ck_assert_int_eq(tg_register_hook(h, clip_norm, &max_norm), 0);
    tg_tensor *loss = tg_sum(tg_mul(h, h)); /* dL/dh = 2h = (12, 16), norm 20 */
    ck_assert_int_eq(tg_backward(loss), 0);
    tu_assert_close(tg_grad_get(x, 0), 2 * 12.0 / 20, 1e-15);
    tu_assert_close(tg_grad_get(x, 1), 2 * 16.0 / 20, 1e-15);
}
END_TEST

static tg_tensor *halve(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    ++*(int *)ud;
    return tg_mul_scalar(grad, 0.5);
}

START_TEST(parameter_hooks_survive_resets_until_removed)
{
    int calls = 0;
    tg_tensor *w = tg_param(TG_F64, 1, (int64_t[]){2}, (double[]){1, 2});
    ck_assert_int_eq(tg_register_hook(w, halve, &calls), 0);
    ck_assert_int_eq(tg_register_hook(w, halve, &calls), 0); /* both run, in order */
    for (int round = 0; round < 3; round++) {
        /* w used twice: the hooks see the sum 2 + 2 once per sweep */
        tg_tensor *twice = tg_add(tg_sum(tg_mul_scalar(w, 2)), tg_sum(tg_mul_scalar(w, 2)));
        ck_assert_int_eq(tg_backward(twice), 0);
        tg_tape_reset();
    }
    ck_assert_int_eq(calls, 6);
    tu_assert_close(tg_grad_get(w, 0), 3 * 4 * 0.25, 0);
    tg_remove_hooks(w);
    tg_zero_grad(w);
    ck_assert_int_eq(tg_backward(tg_sum(w)), 0);
    tu_assert_close(tg_grad_get(w, 1), 1, 0);
    ck_assert_int_eq(calls, 6);
    tg_free(w);
}
END_TEST

START_TEST(a_parameter_hook_runs_once_its_last_use_is_swept)
{
    /* dead = 5 w2 (never reaches the loss), a = 2 v, h = a w1, L = h w2 at
     * v = 1, w1 = 2, w2 = 4. w1's gradient is complete once h's rule has run,
     * before a is reached: a hook can start sending it (tapegrad/dist.h).
     * w2's lowest use receives no gradient, so it waits for the end. */
    grad_log log = {{0}, 0};
    tg_tensor *w1 = tg_param(TG_F64, 1, (int64_t[]){1}, (double[]){2});
    tg_tensor *w2 = tg_param(TG_F64, 1, (int64_t[]){1}, (double[]){4});
    tg_tensor *v = tg_var(1);
    tg_tensor *dead = tg_mul_scalar(w2, 5), *a = tg_mul_scalar(v, 2), *h = tg_mul(a, w1);
    tg_tensor *loss = tg_sum(tg_mul(h, w2));
    ck_assert_ptr_nonnull(dead);
    log_entry entries[] = {{&log, "w1"}, {&log, "w2"}, {&log, "a"}, {&log, "h"}};
    tg_tensor *tensors[] = {w1, w2, a, h};
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(tg_register_hook(tensors[k], log_gradient, &entries[k]), 0);
    ck_assert_int_eq(tg_backward(loss), 0);
    ck_assert_str_eq(log.text, "h=4 w1=8 a=8 w2=4 ");
    tu_assert_close(tg_grad_get(w1, 0), 8, 0);
    tu_assert_close(tg_grad_get(w2, 0), 4, 0);
    tg_free(w1);
    tg_free(w2);
}
END_TEST

START_TEST(hooks_run_in_tg_grad_and_are_recorded_with_create_graph)
{
    int calls = 0;
    tg_tensor *x = tg_var(3), *h = tg_mul(x, x), *y = tg_mul(h, x); /* x^3 */
    ck_assert_int_eq(tg_register_hook(h, halve, &calls), 0);
    ck_assert_int_eq(tg_register_hook(x, halve, &calls), 0);
    tg_tensor *d, *d2;
    /* dy/dx = h + 2x (dy/dh / 2), and the total is halved at x:
     * d = (h + x^2) / 2 = 9, recorded with the hooks' products in it */
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &d, true), 0);
    tu_assert_close(tg_item(d), 9, 0);
    ck_assert_int_eq(calls, 2);
    /* the second sweep passes h and x again: dd/dh = 1/2 is halved and
     * reaches x as 2x / 4, the direct dd/dx = x joins it, and x halves the
     * sum: (3 + 1.5) / 2 */
    ck_assert_int_eq(tg_grad(&d, 1, &x, 1, &d2, false), 0);
    ck_assert_int_eq(calls, 4);
    tu_assert_close(tg_item(d2), 2.25, 0);
}
END_TEST

static tg_tensor *wrong_shape_hook(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    (void)ud;
    return tg_sum(grad);
}

static tg_tensor *failing_hook(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    (void)grad;
    (void)ud;
    tg_set_error(TG_EVALUE, "gradient rejected by the test");
    return NULL;
}

START_TEST(bad_hooks_stop_the_sweep_with_a_message)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 2}, true);
    tg_tensor *h = tg_exp(x);
    ck_assert_int_eq(tg_register_hook(h, wrong_shape_hook, NULL), 0);
    ck_assert_int_eq(tg_backward(tg_sum(h)), TG_ESHAPE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "a hook of tg_exp (tape #0) produced a f64 "
                                                  "gradient of shape []"));
    tg_clear_error();
    ck_assert_ptr_null(tg_grad_tensor(x));

    tg_tensor *v = tg_var(1);
    ck_assert_int_eq(tg_register_hook(v, failing_hook, NULL), 0);
    ck_assert_int_eq(tg_backward(tg_mul(v, v)), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "gradient rejected by the test");
    tg_clear_error();
    ck_assert_ptr_null(tg_grad_tensor(v));

    ck_assert_int_eq(tg_register_hook(tg_scalar(1), halve, NULL), TG_ESTATE);
    ck_assert_int_eq(tg_register_hook(v, NULL, NULL), TG_ENULL);
}
END_TEST

START_TEST(retain_grad_keeps_an_intermediate_gradient)
{
    tg_tensor *x = tg_var(2), *h = tg_mul(x, x), *other = tg_exp(h);
    ck_assert_int_eq(tg_retain_grad(h), 0);
    ck_assert_int_eq(tg_retain_grad(x), 0); /* a leaf keeps its own anyway */
    tg_tensor *y = tg_mul_scalar(h, 3);
    ck_assert_int_eq(tg_backward_ex(y, NULL, TG_RETAIN_GRAPH), 0);
    tu_assert_close(tg_grad_get(h, 0), 3, 0);
    ck_assert_ptr_null(tg_grad_tensor(other)); /* not retained, not reached */
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(h, 0), 6, 0); /* sums over sweeps, like a leaf */
    tu_assert_close(tg_grad_get(x, 0), 24, 0);
    tg_zero_grad(h);
    ck_assert_ptr_null(tg_grad_tensor(h));
    ck_assert_int_eq(tg_retain_grad(tg_scalar(1)), TG_ESTATE);
    /* tg_grad never writes it */
    tg_tensor *h2 = tg_mul(x, x), *z = tg_mul(h2, h2), *g;
    ck_assert_int_eq(tg_retain_grad(h2), 0);
    ck_assert_int_eq(tg_grad(&z, 1, &x, 1, &g, false), 0);
    ck_assert_ptr_null(tg_grad_tensor(h2));
}
END_TEST

START_TEST(detach_shares_values_and_cuts_the_graph)
{
    tg_tensor *x = tg_var(3), *d = tg_detach(x);
    tu_assert_ok(d);
    ck_assert(!tg_requires_grad(d));
    ck_assert_int_eq(tg_backward(tg_mul(x, d)), 0); /* d is a constant 3 */
    tu_assert_close(tg_grad_get(x, 0), 3, 0);
    tg_set(d, 0, 5);
    tu_assert_close(tg_item(x), 5, 0); /* same storage */
    tg_tensor *w = tg_param(TG_F64, 1, (int64_t[]){2}, (double[]){1, 2});
    tg_tensor *dw = tg_detach(w);
    ck_assert(!tg_is_persistent(dw));
    tu_assert_close(tg_get(dw, 1), 2, 0);
    ck_assert_int_eq(tg_tape_length(), 1); /* the product only */
    ck_assert_ptr_null(tg_detach(NULL));
    tg_free(w);
}
END_TEST

/* Tries to start a sweep from inside one; records what it got. */
static tg_tensor *sweep_inside(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    tg_tensor *x = tg_var(1);
    *(int *)ud = tg_backward(tg_mul(x, x));
    return grad;
}

START_TEST(a_sweep_inside_a_sweep_is_refused)
{
    /* it would take the outer sweep's gradients in flight as its own */
    int inner = 0;
    tg_tensor *x = tg_var(2);
    tg_tensor *h = tg_mul_scalar(x, 3);
    ck_assert_int_eq(tg_register_hook(h, sweep_inside, &inner), 0);
    ck_assert_int_eq(tg_backward(tg_mul(h, h)), 0); /* the hook's failure is its own */
    ck_assert_int_eq(inner, TG_ESTATE);
    tu_assert_close(tg_grad_get(x, 0), 2 * 6.0 * 3, 0);
    tg_tensor *y = tg_mul(x, x);
    ck_assert_int_eq(tg_backward(y), 0); /* and the next sweep runs normally */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hooks");
    TCase *tc = tu_tcase("hooks");
    tcase_add_test(tc, hooks_see_every_gradient_in_sweep_order);
    tcase_add_test(tc, hook_clips_an_intermediate_gradient);
    tcase_add_test(tc, parameter_hooks_survive_resets_until_removed);
    tcase_add_test(tc, a_parameter_hook_runs_once_its_last_use_is_swept);
    tcase_add_test(tc, hooks_run_in_tg_grad_and_are_recorded_with_create_graph);
    tcase_add_test(tc, bad_hooks_stop_the_sweep_with_a_message);
    tcase_add_test(tc, retain_grad_keeps_an_intermediate_gradient);
    tcase_add_test(tc, detach_shares_values_and_cuts_the_graph);
    tcase_add_test(tc, a_sweep_inside_a_sweep_is_refused);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
