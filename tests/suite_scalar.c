/* suite_scalar.c -- the scalar fast path (autograd/scalar_sweep.c): 0-d F64
 * nodes keep their local partials and a first-order sweep adds
 * partial * adjoint without calling the ops' rules.
 *
 * The reference is the same graph swept by the rules: anomaly mode turns the
 * fast path off (it checks each rule's tensors), so one expression is built
 * once and swept both ways with TG_RETAIN_GRAPH. */
#include <math.h>
#include <string.h>

#include "testutil.h"

static uint64_t rng_state = 12345;

static double uniform(double lo, double hi)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

static int pick(int n) { return (int)uniform(0, n) % n; }

/* One random op over the pool: ops whose rule is gradient * the same factor
 * the partial stores when exact_only, every op of the workloads otherwise. */
static tg_tensor *random_op(tg_tensor **pool, int n, bool exact_only)
{
    tg_tensor *a = pool[pick(n)], *b = pool[pick(n)];
    switch (pick(exact_only ? 8 : 15)) {
    case 0: return tg_add(a, b);
    case 1: return tg_sub(a, b);
    case 2: return tg_mul(a, b);
    case 3: return tg_tanh(a);
    case 4: return tg_sigmoid(a);
    case 5: return tg_neg(a);
    case 6: return tg_mul_scalar(a, uniform(-2, 2));
    case 7: return tg_add_scalar(a, uniform(-2, 2));
    case 8: return tg_relu(a);
    case 9: return tg_div(a, tg_add_scalar(tg_square(b), 0.5));
    case 10: return tg_exp(tg_tanh(a));
    case 11: return tg_log(tg_add_scalar(tg_square(a), 0.25));
    case 12: return tg_pow_scalar(tg_sigmoid(a), 1.5);
    case 13: return tg_pow(tg_add_scalar(tg_sigmoid(a), 0.5), tg_tanh(b));
    default: return tg_square(a);
    }
}

#define N_LEAVES 4
#define N_OPS 40

/* A random expression over tape leaves and persistent parameters; the last
 * op is the output. */
static tg_tensor *random_expression(tg_tensor **leaves, bool exact_only)
{
    tg_tensor *pool[N_LEAVES + N_OPS];
    memcpy(pool, leaves, N_LEAVES * sizeof *pool);
    for (int i = 0; i < N_OPS; i++) {
        pool[N_LEAVES + i] = random_op(pool, N_LEAVES + i, exact_only);
        tu_assert_ok(pool[N_LEAVES + i]);
    }
    /* a sum of the last few, so that most of the graph reaches the output */
    tg_tensor *out = pool[N_LEAVES + N_OPS - 1];
    for (int i = 2; i <= 6; i++)
        out = tg_add(out, pool[N_LEAVES + N_OPS - i]);
    return out;
}

/* Sweeps out with the fast path and then with the rules, each time from no
 * gradient, and returns the leaves' gradients in fast[] and rule[]. */
static void sweep_both_ways(tg_tensor *out, tg_tensor **leaves, double *fast, double *rule)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N_LEAVES; i++)
            tg_zero_grad(leaves[i]);
        tg_set_anomaly_mode(pass == 1);
        ck_assert_int_eq(tg_backward_ex(out, NULL, TG_RETAIN_GRAPH), 0);
        tg_set_anomaly_mode(false);
        for (int i = 0; i < N_LEAVES; i++)
            (pass ? rule : fast)[i] = tg_grad_get(leaves[i], 0);
    }
}

static void make_leaves(tg_tensor **leaves, tg_tensor **params)
{
    for (int i = 0; i < N_LEAVES; i++) {
        double v = uniform(-1.5, 1.5);
        leaves[i] = i % 2 ? tg_var(v) : params[i];
        if (i % 2 == 0)
            tg_set(params[i], 0, v);
    }
}

static void free_params(tg_tensor **params)
{
    for (int i = 0; i < N_LEAVES; i++)
        tg_free(params[i]);
}

static void new_params(tg_tensor **params)
{
    for (int i = 0; i < N_LEAVES; i++)
        params[i] = tg_param(TG_F64, 0, NULL, (double[]){0});
}

/* With ops whose rule multiplies the gradient by the factor the partial
 * stores (add, sub, mul, neg, the scalar-constant ops, tanh and sigmoid),
 * every contribution is the same product and the sums run in the same
 * order: the gradients are bitwise equal. (relu's rule selects 0 where the
 * fast path multiplies by it: -0 against 0 for a negative gradient.) */
START_TEST(fast_sweep_equals_the_rules_bitwise_for_product_rules)
{
    tg_tensor *params[N_LEAVES];
    new_params(params);
    for (int trial = 0; trial < 200; trial++) {
        tg_tensor *leaves[N_LEAVES];
        make_leaves(leaves, params);
        tg_tensor *out = random_expression(leaves, true);
        ck_assert_int_gt(tg_op_partials(out, NULL, 0), 0);
        double fast[N_LEAVES], rule[N_LEAVES];
        sweep_both_ways(out, leaves, fast, rule);
        for (int i = 0; i < N_LEAVES; i++)
            ck_assert_msg(memcmp(&fast[i], &rule[i], sizeof fast[i]) == 0,
                          "trial %d leaf %d: fast %.17g rule %.17g", trial, i, fast[i], rule[i]);
        tg_tape_reset();
    }
    free_params(params);
}
END_TEST

/* div, pow, log and exp order their factors differently in their rules
 * (g / b against g * (1 / b)): the last bit of a contribution may differ,
 * and so the sums, by a few units in the last place over 40 nodes. */
START_TEST(fast_sweep_agrees_with_the_rules_to_rounding_for_every_op)
{
    tg_tensor *params[N_LEAVES];
    new_params(params);
    for (int trial = 0; trial < 200; trial++) {
        tg_tensor *leaves[N_LEAVES];
        make_leaves(leaves, params);
        tg_tensor *out = random_expression(leaves, false);
        double fast[N_LEAVES], rule[N_LEAVES];
        sweep_both_ways(out, leaves, fast, rule);
        for (int i = 0; i < N_LEAVES; i++)
            ck_assert_msg(fabs(fast[i] - rule[i]) <= 1e-12 * (1 + fabs(rule[i])),
                          "trial %d leaf %d: fast %.17g rule %.17g", trial, i, fast[i], rule[i]);
        tg_tape_reset();
    }
    free_params(params);
}
END_TEST

/* The neuron of the notes: 0-d results record partials, and the sweep
 * builds no tensor at all: the four leaves' gradients are held as doubles
 * until a tensor is asked for (tg_grad_tensor, one 0-d tensor, the same at
 * every request). */
START_TEST(fast_sweep_builds_no_tensor)
{
    size_t before, after;
    tg_tape_memory(&before, NULL);
    tu_assert_ok(tg_var(0));
    tg_tape_memory(&after, NULL);
    size_t one_scalar = after - before; /* a 0-d tensor's bytes on the tape */
    tg_tensor *b = tg_var(0.1), *sum = b, *w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = tg_var(0.3 * i);
        sum = tg_add(tg_mul(w[i], tg_scalar(1.0 + i)), sum);
    }
    tg_tensor *y = tg_sigmoid(sum);
    double s = tg_item(y), ds = s * (1 - s), p;
    ck_assert_int_eq(tg_op_partials(y, &p, 1), 1);
    ck_assert_double_eq(p, s - s * s);
    tg_tape_memory(&before, NULL);
    ck_assert_int_eq(tg_backward(y), 0);
    tg_tape_memory(&after, NULL);
    ck_assert_uint_eq(after - before, 0);
    ck_assert_double_eq_tol(tg_grad_get(b, 0), ds, 1e-15);
    ck_assert_double_eq_tol(tg_grad_get(w[2], 0), 3 * ds, 1e-15);
    tg_tensor *g = tg_grad_tensor(w[2]);
    tg_tape_memory(&before, NULL);
    ck_assert_uint_eq(before - after, one_scalar);
    ck_assert_ptr_eq(tg_grad_tensor(w[2]), g);
    ck_assert_int_eq(tg_ndim(g), 0);
    ck_assert_double_eq(tg_item(g), tg_grad_get(w[2], 0));
    tg_tape_reset();
}
END_TEST

/* Gradients accumulate across sweeps as the rules' do, for tape leaves and
 * parameters; a second sweep without TG_RETAIN_GRAPH is refused. */
START_TEST(fast_sweep_accumulates_and_releases)
{
    tg_tensor *p = tg_param(TG_F64, 0, NULL, (double[]){0.7});
    tg_tensor *x = tg_var(-0.4);
    tg_tensor *y = tg_mul(tg_tanh(tg_mul(p, x)), tg_add(p, x));
    ck_assert_int_eq(tg_backward_ex(y, NULL, TG_RETAIN_GRAPH), 0);
    double gp = tg_grad_get(p, 0), gx = tg_grad_get(x, 0);
    ck_assert_int_eq(tg_backward(y), 0);
    /* (gp + c1) + c2, not gp + (c1 + c2): equal to rounding */
    tu_assert_close(tg_grad_get(p, 0), gp + gp, 1e-15);
    tu_assert_close(tg_grad_get(x, 0), gx + gx, 1e-15);
    ck_assert_int_eq(tg_backward(y), TG_ESTATE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "already swept"));
    tg_tape_reset();
    tg_free(p);
}
END_TEST

static tg_tensor *double_it(tg_tensor *t, tg_tensor *grad, void *ud)
{
    (void)t;
    (*(int *)ud)++;
    return tg_mul_scalar(grad, 2);
}

/* Hooks, retained gradients and tg_grad see tensors on a scalar graph, and
 * what a hook returns flows on, as with the rules. */
START_TEST(hooks_retain_grad_and_tg_grad_on_a_scalar_graph)
{
    for (int pass = 0; pass < 2; pass++) {
        tg_set_anomaly_mode(pass == 1); /* pass 1: the rules */
        int calls = 0;
        tg_tensor *a = tg_var(0.5), *b = tg_var(-1.25);
        tg_tensor *u = tg_mul(a, b), *v = tg_tanh(u), *loss = tg_add(tg_mul(v, a), b);
        ck_assert_int_eq(tg_retain_grad(u), 0);
        ck_assert_int_eq(tg_register_hook(v, double_it, &calls), 0);
        ck_assert_int_eq(tg_register_hook(b, double_it, &calls), 0);
        ck_assert_int_eq(tg_backward_ex(loss, NULL, TG_RETAIN_GRAPH), 0);
        ck_assert_int_eq(calls, 2);
        double t = tanh(-0.625), dv = 2 * 0.5, du = dv * (1 - t * t);
        ck_assert_double_eq_tol(tg_grad_get(u, 0), du, 1e-15);
        ck_assert_double_eq_tol(tg_grad_get(a, 0), t + du * -1.25, 1e-15);
        ck_assert_double_eq_tol(tg_grad_get(b, 0), 2 * (1 + du * 0.5), 1e-15);
        tg_tensor *grads[2];
        tg_tensor *wrt[2] = {u, a};
        ck_assert_int_eq(tg_grad(&loss, 1, wrt, 2, grads, false), 0);
        ck_assert_int_eq(tg_ndim(grads[0]), 0);
        ck_assert_double_eq_tol(tg_item(grads[0]), du, 1e-15);
        ck_assert_double_eq_tol(tg_item(grads[1]), t + du * -1.25, 1e-15);
        ck_assert_int_eq(calls, 3); /* v's hook ran again; b is not asked about */
        tg_set_anomaly_mode(false);
        tg_tape_reset();
    }
}
END_TEST

/* 0-d and tensor nodes in one graph: a reduction's 0-d result (no partials)
 * feeds fast nodes, and a fast node feeds a broadcasting tensor op. */
START_TEST(scalar_and_tensor_nodes_in_one_graph)
{
    double fast[4], rule[4];
    for (int pass = 0; pass < 2; pass++) {
        tg_set_anomaly_mode(pass == 1);
        tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){0.5, -1, 2}, true);
        tg_tensor *w = tg_var(0.3);
        tg_tensor *s = tg_sum(tg_mul(x, x));           /* 0-d, by a rule */
        tg_tensor *k = tg_tanh(tg_mul(s, w));          /* 0-d, fast */
        tg_tensor *z = tg_sum(tg_mul(x, k));           /* a tensor op takes k */
        tg_tensor *loss = tg_add(tg_sigmoid(z), tg_mul(k, w));
        ck_assert_int_eq(tg_op_partials(k, NULL, 0), 1);
        ck_assert_int_eq(tg_backward(loss), 0);
        double *out = pass ? rule : fast;
        for (int i = 0; i < 3; i++)
            out[i] = tg_grad_get(x, i);
        out[3] = tg_grad_get(w, 0);
        tg_set_anomaly_mode(false);
        tg_tape_reset();
    }
    for (int i = 0; i < 4; i++)
        ck_assert_msg(fabs(fast[i] - rule[i]) <= 1e-14 * (1 + fabs(rule[i])),
                      "gradient %d: fast %.17g rule %.17g", i, fast[i], rule[i]);
}
END_TEST

/* What keeps the general path: F32 scalars, shape-[1] tensors, results that
 * need no gradient, ops that pass none; and a recorded sweep (higher order)
 * still differentiates through 0-d nodes. */
START_TEST(what_the_fast_path_leaves_alone)
{
    tg_tensor *f = tg_tanh(tg_mul(tg_scalar_of(TG_F32, 0.5), tg_var(1)));
    ck_assert_ptr_null(f); /* F32 times F64 is refused, as before */
    tg_clear_error();
    tg_tensor *f32 = tu_tensor(TG_F32, TU_SCALAR, (double[]){0.5}, true);
    ck_assert_int_eq(tg_op_partials(tg_tanh(f32), NULL, 0), 0);
    tg_tensor *one = tu_tensor(TG_F64, TU_SHAPE(1), (double[]){0.5}, true);
    ck_assert_int_eq(tg_op_partials(tg_tanh(one), NULL, 0), 0);
    ck_assert_int_eq(tg_op_partials(tg_tanh(tg_scalar(0.5)), NULL, 0), 0);
    ck_assert_int_eq(tg_op_partials(tg_floor(tg_var(0.5)), NULL, 0), 0);
    ck_assert_int_eq(tg_op_partials(NULL, NULL, 0), TG_ENULL);
    ck_assert_int_eq(tg_op_partials(tg_var(1), NULL, -1), TG_EVALUE);
    /* d/dx x^3 = 3x^2, d2/dx2 = 6x through fast-path nodes */
    tg_tensor *x = tg_var(2), *y = tg_mul(tg_mul(x, x), x), *dy, *d2y;
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
    ck_assert_double_eq(tg_item(dy), 12);
    ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
    ck_assert_double_eq(tg_item(d2y), 12);
    tg_tape_reset();
}
END_TEST

/* A tape leaf's gradient held as a double: a tensor made of it keeps its
 * value when later sweeps add to the gradient (fast, or a tensor op's
 * contribution through the general path), and tg_zero_grad drops it. */
START_TEST(held_leaf_gradient_accumulates_and_keeps_given_tensors)
{
    tg_tensor *x = tg_var(2.0);
    ck_assert_int_eq(tg_backward(tg_mul(x, x)), 0);
    tg_tensor *g = tg_grad_tensor(x);
    ck_assert_double_eq(tg_item(g), 4.0);
    ck_assert_int_eq(tg_backward(tg_mul(x, tg_scalar(3.0))), 0);
    ck_assert_double_eq(tg_item(g), 4.0);
    ck_assert_double_eq(tg_grad_get(x, 0), 7.0);
    tg_tensor *v = tg_tensor_new(TG_F64, 1, (int64_t[]){2}, (double[]){1.0, 2.0}, false);
    ck_assert_int_eq(tg_backward(tg_add(tg_sum(tg_mul(v, x)), tg_mul(x, x))), 0);
    ck_assert_double_eq(tg_grad_get(x, 0), 14.0);
    ck_assert_double_eq(tg_item(tg_grad_tensor(x)), 14.0);
    ck_assert_double_eq(tg_item(g), 4.0);
    tg_zero_grad(x);
    ck_assert_double_eq(tg_grad_get(x, 0), 0.0);
    ck_assert_ptr_null(tg_grad_tensor(x));
    tg_tape_reset();
}
END_TEST

/* A held gradient that cannot become a tensor (here the thread's memory
 * limit refuses it) stays held: the failure is reported and the value is
 * still there for tg_grad_get and for a later tg_grad_tensor. */
START_TEST(held_leaf_gradient_survives_a_failed_tensor)
{
    tg_tensor *x = tg_var(3.0);
    ck_assert_int_eq(tg_backward(tg_mul(x, x)), 0);
    tg_set_memory_limit(1);
    ck_assert_ptr_null(tg_grad_tensor(x));
    ck_assert_int_eq(tg_last_error_code(), TG_ENOMEM);
    tg_set_memory_limit(0);
    tg_clear_error();
    ck_assert_double_eq(tg_grad_get(x, 0), 6.0);
    tg_tensor *g = tg_grad_tensor(x);
    ck_assert_ptr_nonnull(g);
    ck_assert_double_eq(tg_item(g), 6.0);
    tg_tape_reset();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scalar");
    TCase *tc = tu_tcase("scalar");
    tcase_add_test(tc, fast_sweep_equals_the_rules_bitwise_for_product_rules);
    tcase_add_test(tc, fast_sweep_agrees_with_the_rules_to_rounding_for_every_op);
    tcase_add_test(tc, fast_sweep_builds_no_tensor);
    tcase_add_test(tc, fast_sweep_accumulates_and_releases);
    tcase_add_test(tc, held_leaf_gradient_accumulates_and_keeps_given_tensors);
    tcase_add_test(tc, held_leaf_gradient_survives_a_failed_tensor);
    tcase_add_test(tc, hooks_retain_grad_and_tg_grad_on_a_scalar_graph);
    tcase_add_test(tc, scalar_and_tensor_nodes_in_one_graph);
    tcase_add_test(tc, what_the_fast_path_leaves_alone);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
