/* suite_program.c -- tg_capture / tg_program_run (autograd/program.c): a
 * graph recorded once and replayed on new values.
 *
 * The reference is always a fresh recording of the same f on the user's
 * tape, swept by tg_grad or tg_backward: a replay must give the same bits,
 * through the flat scalar sweep and through the engine's. */
#include <math.h>
#include <string.h>

#include "testutil.h"

static uint64_t rng_state = 99;

static double uniform(double lo, double hi)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

enum { N_LEAVES = 6, N_OPS = 40 };

/* A random graph over the leaves, the same one each time f runs: its
 * generator starts from the seed in ctx. */
typedef struct {
    uint64_t seed;
    tg_tensor *data; /* a persistent input that does not require grad, or NULL */
    tg_tensor *const *leaves; /* for a program without wrt; else f's inputs */
} graph;

static tg_tensor *random_graph(tg_tensor *const *inputs, void *ctx)
{
    const graph *g = ctx;
    tg_tensor *const *leaves = g->leaves ? g->leaves : inputs;
    uint64_t state = g->seed;
    tg_tensor *pool[N_LEAVES + 1 + N_OPS];
    int n = 0;
    for (int i = 0; i < N_LEAVES; i++)
        pool[n++] = leaves[i];
    if (g->data)
        pool[n++] = g->data;
    for (int k = 0; k < N_OPS; k++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(state >> 33);
        tg_tensor *a = pool[r % (unsigned)n], *b = pool[(r / 7u) % (unsigned)n];
        tg_tensor *y;
        switch ((r / 101u) % 8u) {
        case 0: y = tg_add(a, b); break;
        case 1: y = tg_sub(a, b); break;
        case 2: y = tg_mul(a, b); break;
        case 3: y = tg_tanh(a); break;
        case 4: y = tg_sigmoid(a); break;
        case 5: y = tg_mul_scalar(a, 0.75); break;
        case 6: y = tg_exp(tg_tanh(a)); break;
        default: y = tg_div(a, tg_add_scalar(tg_square(b), 0.5)); break;
        }
        pool[n++] = y;
    }
    tg_tensor *sum = pool[n - 1];
    for (int k = n - 2; k >= n - 5; k--)
        sum = tg_add(sum, pool[k]);
    return sum;
}

static tg_tensor *make_param(tu_shape shape)
{
    double v[64];
    int64_t numel = 1;
    for (int d = 0; d < shape.ndim; d++)
        numel *= shape.d[d];
    for (int64_t i = 0; i < numel; i++)
        v[i] = uniform(-1, 1);
    tg_tensor *t = tg_param(TG_F64, shape.ndim, shape.d, v);
    ck_assert_ptr_nonnull(t);
    return t;
}

static void randomize(tg_tensor *t)
{
    for (int64_t i = 0; i < tg_numel(t); i++)
        ck_assert_int_eq(tg_set(t, i, uniform(-1.5, 1.5)), 0);
}

static void assert_same_bits(const tg_tensor *a, const tg_tensor *b, const char *what, int i)
{
    ck_assert_int_eq(tg_numel(a), tg_numel(b));
    for (int64_t e = 0; e < tg_numel(a); e++) {
        double x = tg_get(a, e), y = tg_get(b, e);
        ck_assert_msg(memcmp(&x, &y, sizeof x) == 0, "%s %d[%lld]: replay %.17g, fresh %.17g",
                      what, i, (long long)e, x, y);
    }
}

/* Runs p on new values a few times; each time a fresh recording of f
 * swept by tg_grad must give the same value and gradients, bit for bit. */
static void replay_matches_tg_grad(tu_shape shape, graph *g, unsigned flags, bool flat)
{
    tg_tensor *leaves[N_LEAVES];
    for (int i = 0; i < N_LEAVES; i++)
        leaves[i] = make_param(shape);
    tg_program *p = tg_capture(random_graph, g, N_LEAVES, leaves, flags);
    ck_assert_msg(p != NULL, "%s", tg_last_error());
    ck_assert_int_eq(tg_program_is_flat(p), flat);
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N_LEAVES; i++)
            randomize(leaves[i]);
        if (g->data)
            randomize(g->data);
        ck_assert_msg(tg_program_run(p) == 0, "%s", tg_last_error());
        tg_tensor *y = random_graph(leaves, g), *grads[N_LEAVES];
        ck_assert_msg(y && tg_grad(&y, 1, leaves, N_LEAVES, grads, false) == 0, "%s",
                      tg_last_error());
        double value = tg_program_value(p), fresh = tg_get(y, 0);
        ck_assert_msg(memcmp(&value, &fresh, sizeof value) == 0, "value %.17g, fresh %.17g",
                      value, fresh);
        for (int i = 0; i < N_LEAVES; i++)
            assert_same_bits(tg_program_grad(p, i), grads[i], "grad", i);
        tg_tape_reset();
    }
    tg_program_free(p);
    for (int i = 0; i < N_LEAVES; i++)
        tg_free(leaves[i]);
}

START_TEST(scalar_replay_equals_a_fresh_recording_bitwise)
{
    for (uint64_t seed = 1; seed <= 12; seed++) {
        graph g = {.seed = seed};
        replay_matches_tg_grad(TU_SCALAR, &g, 0, true);
        replay_matches_tg_grad(TU_SCALAR, &g, TG_PROGRAM_NO_FLAT, false);
    }
}
END_TEST

START_TEST(data_that_does_not_require_grad_is_recomputed)
{
    for (uint64_t seed = 20; seed <= 26; seed++) {
        graph g = {.seed = seed, .data = tg_persistent(TG_F64, 0, NULL, (double[]){0.3}, false)};
        replay_matches_tg_grad(TU_SCALAR, &g, 0, true);
        tg_free(g.data);
        g.data = tg_persistent(TG_F64, 1, (int64_t[]){1}, (double[]){0.3}, false);
        replay_matches_tg_grad(TU_SHAPE(1), &g, 0, false);
        tg_free(g.data);
    }
}
END_TEST

START_TEST(tensor_replay_equals_a_fresh_recording_bitwise)
{
    for (uint64_t seed = 40; seed <= 45; seed++) {
        graph g = {.seed = seed};
        replay_matches_tg_grad(TU_SHAPE(1), &g, 0, false);
        replay_matches_tg_grad(TU_SHAPE(1, 1), &g, 0, false);
    }
}
END_TEST

/* With no wrt a run is tg_backward: gradients add to .grad, and an
 * optimizer step between runs changes what the next run reads. */
static void backward_mode_matches_tg_backward(unsigned flags)
{
    tg_tensor *leaves[N_LEAVES], *twins[N_LEAVES];
    for (int i = 0; i < N_LEAVES; i++) {
        leaves[i] = make_param(TU_SCALAR);
        twins[i] = tg_param(TG_F64, 0, NULL, (double[]){tg_item(leaves[i])});
    }
    graph g = {7, NULL, leaves}, twin_graph = {7, NULL, twins};
    tg_tensor *const *none = NULL;
    tg_program *p = tg_capture(random_graph, &g, 0, none, flags);
    ck_assert_msg(p != NULL, "%s", tg_last_error());
    ck_assert_ptr_null(tg_program_grad(p, 0));
    for (int step = 0; step < 5; step++) {
        ck_assert_msg(tg_program_run(p) == 0, "%s", tg_last_error());
        tg_tensor *y = random_graph(NULL, &twin_graph);
        ck_assert_msg(tg_backward(y) == 0, "%s", tg_last_error());
        tg_tape_reset();
        for (int i = 0; i < N_LEAVES; i++) {
            assert_same_bits(tg_grad_tensor(leaves[i]), tg_grad_tensor(twins[i]), ".grad", i);
            /* SGD, and every other step the gradients are kept and add up */
            double w = tg_item(leaves[i]) - 0.1 * tg_grad_get(leaves[i], 0);
            tg_set(leaves[i], 0, w);
            tg_set(twins[i], 0, w);
            if (step % 2) {
                tg_zero_grad(leaves[i]);
                tg_zero_grad(twins[i]);
            }
        }
    }
    tg_program_free(p);
    for (int i = 0; i < N_LEAVES; i++) {
        tg_free(leaves[i]);
        tg_free(twins[i]);
    }
}

START_TEST(backward_mode_is_a_training_step)
{
    backward_mode_matches_tg_backward(0);
    backward_mode_matches_tg_backward(TG_PROGRAM_NO_FLAT);
}
END_TEST

/* f reads leaves[1] only: leaves[0]'s gradient is zero, as tg_grad's. */
static tg_tensor *uses_second(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    return tg_tanh(tg_mul(leaves[1], leaves[1]));
}

START_TEST(a_wrt_tensor_the_output_does_not_reach_gets_zeros)
{
    tg_tensor *w[2] = {make_param(TU_SCALAR), make_param(TU_SCALAR)};
    tg_program *p = tg_capture(uses_second, NULL, 2, w, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tg_program_run(p), 0);
    ck_assert(tg_get(tg_program_grad(p, 0), 0) == 0 && !signbit(tg_get(tg_program_grad(p, 0), 0)));
    double t = tanh(tg_item(w[1]) * tg_item(w[1]));
    ck_assert_double_eq_tol(tg_get(tg_program_grad(p, 1), 0), (1 - t * t) * 2 * tg_item(w[1]), 1e-15);
    tg_program_free(p);
    tg_free(w[0]);
    tg_free(w[1]);
}
END_TEST

/* A value read with tg_item and baked into a constant, or an `if` on one:
 * control flow a tape cannot see. */
static tg_tensor *branches(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    tg_tensor *x = leaves[0];
    return tg_item(x) > 0 ? tg_tanh(x) : tg_sigmoid(x);
}

static tg_tensor *bakes(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    return tg_mul(leaves[0], tg_scalar(tg_item(leaves[0])));
}

START_TEST(check_catches_a_structure_that_changed)
{
    tg_tensor *x = tg_param(TG_F64, 0, NULL, (double[]){0.5});
    tg_program *p = tg_capture(branches, NULL, 1, &x, 0);
    ck_assert_int_eq(tg_program_check(p), 0);
    tg_set(x, 0, -0.5);
    ck_assert_int_eq(tg_program_check(p), TG_ESTATE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "node #0 differs"));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_tanh"));
    tg_clear_error();
    tg_program_free(p);

    p = tg_capture(bakes, NULL, 1, &x, 0);
    ck_assert_int_eq(tg_program_check(p), 0);
    tg_set(x, 0, 0.25);
    ck_assert_int_eq(tg_program_check(p), TG_ESTATE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "another leaf or constant"));
    tg_clear_error();
    /* the check touched neither the user's tape nor the program's results */
    ck_assert_int_eq(tg_tape_length(), 0);
    ck_assert_int_eq(tg_program_run(p), 0);
    ck_assert_double_eq(tg_program_value(p), 0.25 * -0.5);
    tg_program_free(p);
    tg_free(x);
}
END_TEST

/* A C array of labels, read by the loss when it is called: the one-hot it
 * makes is a constant of the capture, of 64 x 10 entries (larger than the
 * data a tape keeps inside a tensor's header). */
enum { BATCH = 64, CLASSES = 10 };

static tg_tensor *labelled_loss(tg_tensor *const *leaves, void *ctx)
{
    return tg_cross_entropy_loss(leaves[0], ctx, TG_REDUCTION_MEAN);
}

START_TEST(check_catches_labels_read_from_c_memory)
{
    tg_tensor *logits = tg_param(TG_F64, 2, (int64_t[]){BATCH, CLASSES}, NULL);
    int64_t labels[BATCH];
    for (int b = 0; b < BATCH; b++)
        labels[b] = b % CLASSES;
    tg_program *p = tg_capture(labelled_loss, labels, 1, &logits, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tg_program_check(p), 0);
    labels[BATCH - 1] = 0; /* the next batch */
    ck_assert_int_eq(tg_program_check(p), TG_ESTATE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "another leaf or constant"));
    tg_clear_error();
    tg_program_free(p);
    tg_free(logits);
}
END_TEST

static tg_tensor *returns_leaf(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    return leaves[0];
}

static tg_tensor *returns_vector(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    return tg_add(leaves[0], leaves[0]);
}

static tg_tensor *uses_stale(tg_tensor *const *leaves, void *ctx)
{
    return tg_add(leaves[0], ctx);
}

static tg_tensor *selects(tg_tensor *const *leaves, void *ctx)
{
    return tg_sum(tg_masked_select(leaves[0], ctx));
}

static tg_tensor *resets(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    tg_tensor *y = tg_tanh(leaves[0]);
    tg_tape_reset();
    return y;
}

static tg_tensor *destroys(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    tg_tensor *y = tg_tanh(leaves[0]);
    tg_tape_destroy();
    return y;
}

static tg_tensor *no_grad(tg_tensor *const *leaves, void *ctx)
{
    (void)leaves;
    return tg_tanh(ctx);
}

/* tg_jvp's f capturing a program: refused, and f goes on. */
static tg_tensor *captures_inside_jvp(tg_tensor *const *inputs, void *ctx)
{
    tg_program **p = ctx;
    *p = tg_capture(uses_second, NULL, 2, (tg_tensor *[]){inputs[0], inputs[0]}, 0);
    return tg_tanh(inputs[0]);
}

static void assert_refused(tg_program *p, int code, const char *part)
{
    ck_assert_msg(p == NULL, "not refused; expected \"%s\"", part);
    ck_assert_int_eq(tg_last_error_code(), code);
    ck_assert_msg(strstr(tg_last_error(), part) != NULL, "message: %s", tg_last_error());
    tg_clear_error();
}

START_TEST(refusals_name_the_function_and_the_cause)
{
    tg_tensor *x = tg_param(TG_F64, 0, NULL, (double[]){0.5});
    tg_tensor *v = tg_param(TG_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3});
    tg_tensor *data = tg_persistent(TG_F64, 0, NULL, (double[]){2}, false);
    assert_refused(tg_capture(NULL, NULL, 0, NULL, 0), TG_ENULL, "tg_capture: f is NULL");
    assert_refused(tg_capture(uses_second, NULL, 1, NULL, 0), TG_EVALUE, "n_wrt 1");
    assert_refused(tg_capture(uses_second, NULL, 0, NULL, 8), TG_EVALUE, "unknown flags");
    assert_refused(tg_capture(returns_leaf, NULL, 1, &x, 0), TG_EVALUE, "no output");
    assert_refused(tg_capture(returns_vector, NULL, 1, &v, 0), TG_ESHAPE, "3 elements");
    tg_tensor *tape_x = tg_var(1.0);
    assert_refused(tg_capture(returns_leaf, NULL, 1, &tape_x, 0), TG_EVALUE, "wrt[0] must be");
    assert_refused(tg_capture(uses_stale, tape_x, 1, &x, 0), TG_ESTALE, "tg_add");
    tg_tensor *mask = tg_persistent(TG_F64, 1, (int64_t[]){3}, (double[]){1, 0, 1}, false);
    assert_refused(tg_capture(selects, mask, 1, &v, 0), TG_EVALUE,
                   "tg_masked_select (node #0) cannot be replayed");
    tg_free(mask);
    assert_refused(tg_capture(resets, NULL, 1, &x, 0), TG_ESTATE, "reset");
    assert_refused(tg_capture(destroys, NULL, 1, &x, 0), TG_ESTATE, "destroyed");
    assert_refused(tg_capture(no_grad, data, 0, NULL, 0), TG_ESTATE, "does not require grad");
    tg_program *inside = NULL;
    tg_tensor *y, *dy;
    tg_jvp(captures_inside_jvp, &inside, 1, &x, (tg_tensor *[]){tg_scalar(1)}, &y, &dy);
    assert_refused(inside, TG_ESTATE, "tg_capture: called from inside tg_jvp");
    tg_tape_reset();
    ck_assert_int_eq(tg_program_run(NULL), TG_ENULL);
    tg_clear_error();
    tg_free(x);
    tg_free(v);
    tg_free(data);
}
END_TEST

/* A pole at this run only: the flat sweep gives way to the engine's for
 * it, whose rule decides, as in a fresh recording. */
static tg_tensor *pole(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_reciprocal(leaves[0]), leaves[1]);
}

START_TEST(non_finite_partials_take_the_rule)
{
    tg_tensor *w[2] = {tg_param(TG_F64, 0, NULL, (double[]){2}),
                       tg_param(TG_F64, 0, NULL, (double[]){0})};
    tg_program *p = tg_capture(pole, NULL, 2, w, 0);
    ck_assert(tg_program_is_flat(p));
    for (int round = 0; round < 3; round++) {
        tg_set(w[0], 0, round == 1 ? 1e-320 : 2);
        ck_assert_int_eq(tg_program_run(p), 0);
        tg_tensor *y = pole(w, NULL), *g[2];
        ck_assert_int_eq(tg_grad(&y, 1, w, 2, g, false), 0);
        assert_same_bits(tg_program_grad(p, 0), g[0], "grad", 0);
        assert_same_bits(tg_program_grad(p, 1), g[1], "grad", 1);
        tg_tape_reset();
    }
    tg_program_free(p);
    tg_free(w[0]);
    tg_free(w[1]);
}
END_TEST

/* A 3-4-1 tanh MLP's mean squared error on a batch of 5: its parameters
 * require grad, the batch (x, y) is data that does not. */
typedef struct {
    tg_tensor *w1, *b1, *w2, *b2, *x, *y;
} mlp;

static tg_tensor *mlp_loss(tg_tensor *const *unused, void *ctx)
{
    (void)unused;
    const mlp *m = ctx;
    tg_tensor *h = tg_tanh(tg_add(tg_matmul(m->x, m->w1), m->b1));
    tg_tensor *out = tg_add(tg_matmul(h, m->w2), m->b2);
    return tg_mean(tg_square(tg_sub(out, m->y)));
}

static mlp mlp_new(void)
{
    mlp m = {make_param(TU_SHAPE(3, 4)), make_param(TU_SHAPE(4)), make_param(TU_SHAPE(4, 1)),
             make_param(TU_SHAPE(1)), NULL, NULL};
    m.x = tg_persistent(TG_F64, 2, (int64_t[]){5, 3}, NULL, false);
    m.y = tg_persistent(TG_F64, 2, (int64_t[]){5, 1}, NULL, false);
    return m;
}

static void mlp_free(mlp *m)
{
    tg_tensor *all[] = {m->w1, m->b1, m->w2, m->b2, m->x, m->y};
    for (int i = 0; i < 6; i++)
        tg_free(all[i]);
}

static void sgd_step(tg_tensor *w)
{
    double *v = tg_data(w);
    for (int64_t i = 0; i < tg_numel(w); i++)
        v[i] -= 0.05 * tg_grad_get(w, i);
    tg_zero_grad(w);
}

START_TEST(an_mlp_training_step_replays_bitwise)
{
    mlp m = mlp_new(), twin = mlp_new();
    tg_tensor *params[] = {m.w1, m.b1, m.w2, m.b2}, *twins[] = {twin.w1, twin.b1, twin.w2, twin.b2};
    for (int i = 0; i < 4; i++)
        tg_copy_from(twins[i], tg_data(params[i]));
    tg_program *p = tg_capture(mlp_loss, &m, 0, NULL, 0);
    ck_assert_msg(p != NULL, "%s", tg_last_error());
    ck_assert(!tg_program_is_flat(p));
    for (int step = 0; step < 6; step++) {
        randomize(m.x);
        randomize(m.y);
        tg_copy_from(twin.x, tg_data(m.x));
        tg_copy_from(twin.y, tg_data(m.y));
        ck_assert_msg(tg_program_run(p) == 0, "%s", tg_last_error());
        tg_tensor *loss = mlp_loss(NULL, &twin);
        ck_assert_msg(tg_backward(loss) == 0, "%s", tg_last_error());
        double value = tg_program_value(p), fresh = tg_item(loss);
        ck_assert_msg(memcmp(&value, &fresh, sizeof value) == 0, "loss %.17g, fresh %.17g", value,
                      fresh);
        tg_tape_reset();
        for (int i = 0; i < 4; i++) {
            assert_same_bits(tg_grad_tensor(params[i]), tg_grad_tensor(twins[i]), ".grad", i);
            sgd_step(params[i]);
            sgd_step(twins[i]);
        }
    }
    ck_assert_int_eq(tg_program_check(p), 0);
    tg_program_free(p);
    mlp_free(&m);
    mlp_free(&twin);
}
END_TEST

/* In anomaly mode a run checks each rerun's result, as recording checks
 * each op's: a NaN made by new values is caught and named, and values
 * that make none replay as before. */
static tg_tensor *log_of(tg_tensor *const *leaves, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_log(leaves[0]), leaves[1]);
}

START_TEST(anomaly_mode_checks_each_rerun)
{
    tg_tensor *w[2] = {tg_param(TG_F64, 0, NULL, (double[]){2}),
                       tg_param(TG_F64, 0, NULL, (double[]){3})};
    tg_program *p = tg_capture(log_of, NULL, 2, w, 0);
    ck_assert_ptr_nonnull(p);
    tg_set_anomaly_mode(true);
    ck_assert_int_eq(tg_program_run(p), 0);
    ck_assert_double_eq_tol(tg_get(tg_program_grad(p, 0), 0), 1.5, 1e-15);
    tg_set(w[0], 0, -1);
    ck_assert_int_eq(tg_program_run(p), TG_EANOMALY);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_log"));
    tg_clear_error();
    tg_set_anomaly_mode(false);
    ck_assert_int_eq(tg_program_run(p), 0); /* a NaN, unchecked, as a fresh recording's */
    ck_assert(isnan(tg_program_value(p)));
    tg_program_free(p);
    tg_free(w[0]);
    tg_free(w[1]);
}
END_TEST

static void runs_allocate_nothing(tu_shape shape, unsigned flags)
{
    tu_allocator_install();
    graph g = {.seed = 3};
    tg_tensor *leaves[N_LEAVES];
    for (int i = 0; i < N_LEAVES; i++)
        leaves[i] = make_param(shape);
    tg_program *p = tg_capture(random_graph, &g, N_LEAVES, leaves, flags);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tg_program_run(p), 0);
    ck_assert_int_eq(tg_program_run(p), 0);
    tu_allocations_reset();
    /* enough runs that scratch kept from run to run would fill chunks */
    for (int k = 0; k < 3000; k++)
        ck_assert_int_eq(tg_program_run(p), 0);
    ck_assert_int_eq(tu_allocations(), 0);
    tg_program_free(p);
    for (int i = 0; i < N_LEAVES; i++)
        tg_free(leaves[i]);
    tu_allocator_remove();
}

START_TEST(a_steady_run_allocates_nothing)
{
    tu_allocator_install();
    mlp m = mlp_new();
    tg_program *p = tg_capture(mlp_loss, &m, 0, NULL, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tg_program_run(p), 0);
    ck_assert_int_eq(tg_program_run(p), 0);
    tu_allocations_reset();
    for (int k = 0; k < 3000; k++) {
        ck_assert_int_eq(tg_program_run(p), 0);
        sgd_step(m.w1);
    }
    ck_assert_int_eq(tu_allocations(), 0);
    tg_program_free(p);
    mlp_free(&m);
    tu_allocator_remove();

    runs_allocate_nothing(TU_SCALAR, 0);
    runs_allocate_nothing(TU_SCALAR, TG_PROGRAM_NO_FLAT);
    runs_allocate_nothing(TU_SHAPE(1), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("program");
    TCase *tc = tu_tcase("program");
    tcase_add_test(tc, scalar_replay_equals_a_fresh_recording_bitwise);
    tcase_add_test(tc, data_that_does_not_require_grad_is_recomputed);
    tcase_add_test(tc, tensor_replay_equals_a_fresh_recording_bitwise);
    tcase_add_test(tc, backward_mode_is_a_training_step);
    tcase_add_test(tc, an_mlp_training_step_replays_bitwise);
    tcase_add_test(tc, a_wrt_tensor_the_output_does_not_reach_gets_zeros);
    tcase_add_test(tc, check_catches_a_structure_that_changed);
    tcase_add_test(tc, check_catches_labels_read_from_c_memory);
    tcase_add_test(tc, refusals_name_the_function_and_the_cause);
    tcase_add_test(tc, non_finite_partials_take_the_rule);
    tcase_add_test(tc, anomaly_mode_checks_each_rerun);
    tcase_add_test(tc, a_steady_run_allocates_nothing);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
