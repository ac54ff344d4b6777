/* suite_rerun.c -- every op's rerun (tg_op_rerun, the step tg_program_run
 * replays for each node).
 *
 * For every kind with a sample: record it on sample inputs, write new values
 * into the inputs, rerun the recorded nodes in tape order, and compare bit
 * for bit with the sample applied afresh to the new values -- the results,
 * and the gradients that the backward rules then give, so that what a rule
 * reads besides (a saved position, mask, statistic, the partials of a
 * scalar node) is checked as well. A kind without a rerun must say why
 * (TG_OP_VALUE_SHAPE), so a new op without one fails here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static const tg_op_info *row_of(int k)
{
    const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
    ck_assert_msg(row != NULL, "kind %d has no row: %s", k, tg_last_error());
    return row;
}

START_TEST(every_kind_is_replayable_or_says_why_not)
{
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        bool value_shape = (row->flags & TG_OP_VALUE_SHAPE) != 0;
        if (tg_op_replayable((tg_op_kind)k))
            ck_assert_msg(!value_shape, "%s has a rerun: drop its TG_OP_VALUE_SHAPE", row->name);
        else
            ck_assert_msg(value_shape,
                          "%s has no rerun: give its row one, or flag it TG_OP_VALUE_SHAPE if "
                          "its result's shape depends on its inputs' values", row->name);
    }
    ck_assert(!tg_op_replayable(TG_OP_COUNT));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
}
END_TEST

/* New values for input k of a sample, from the range it was drawn from (for
 * a distinct sample, the old values in another order), so that they stay in
 * the op's domain. */
static void redraw(tg_tensor *t, const tg_op_sample *sm, int k, tg_rng *rng)
{
    int64_t n = tg_numel(t);
    if (sm->distinct) {
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = (int64_t)tg_rng_below(rng, (uint64_t)i); /* never i: every one moves */
            double a = tg_get(t, i);
            tg_set(t, i, tg_get(t, j));
            tg_set(t, j, a);
        }
        return;
    }
    const tg_sample_range *r = &sm->range[k];
    for (int64_t i = 0; i < n; i++) {
        double v = r->lo + (r->hi - r->lo) * tg_rng_uniform(rng);
        tg_set(t, i, r->either_sign && tg_rng_below(rng, 2) ? -v : v);
    }
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* a and b (either may be NULL for a zero gradient) hold the same bits. */
static void assert_same(const char *name, const char *what, const tg_tensor *a, const tg_tensor *b)
{
    ck_assert_msg((a == NULL) == (b == NULL), "%s: %s: %s after the rerun, %s afresh", name,
                  what, a ? "a tensor" : "none", b ? "a tensor" : "none");
    if (!a)
        return;
    char sa[64], sb[64];
    ck_assert_msg(tg_dtype_of(a) == tg_dtype_of(b) && tg_numel(a) == tg_numel(b) &&
                      strcmp(tg_shape_str(a, sa, sizeof sa), tg_shape_str(b, sb, sizeof sb)) == 0,
                  "%s: %s: shape %s after the rerun, %s afresh", name, what, sa, sb);
    for (int64_t i = 0; i < tg_numel(a); i++)
        ck_assert_msg(same_bits(tg_get(a, i), tg_get(b, i)),
                      "%s: %s [%lld]: %.17g after the rerun, %.17g afresh", name, what,
                      (long long)i, tg_get(a, i), tg_get(b, i));
}

/* The recorded nodes at tape positions [from, to) computed again, in order. */
static void rerun_nodes(const char *name, int64_t from, int64_t to)
{
    for (int64_t pos = from; pos < to; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        ck_assert_msg(tg_op_rerun(node) == 0, "%s: rerun of %s at tape #%lld: %s", name,
                      tg_op_name(node), (long long)pos, tg_last_error());
    }
}

/* The gradients of sum(y * w) with respect to the n inputs, and the VJP of
 * y's own node on w. */
static void gradients(tg_tensor *y, tg_tensor *w, int n, tg_tensor *const *in, tg_tensor **grads,
                      tg_tensor **vjp)
{
    ck_assert_msg(tg_vjp(y, w, vjp) == 0, "%s", tg_last_error());
    tg_tensor *loss = tg_sum(tg_mul(y, w));
    ck_assert_msg(tg_grad(&loss, 1, in, n, grads, false) == 0, "%s", tg_last_error());
}

/* One kind in one dtype. */
static void check_kind(const tg_op_info *row, tg_dtype dtype, uint64_t *seed)
{
    const tg_op_sample *sm = &row->sample;
    tg_tensor *in[TG_MAX_INPUTS];
    tg_rng rng;
    tg_rng_seed(&rng, *seed);
    ck_assert_int_eq(tg_op_sample_inputs(row, dtype, seed, in), 0);
    int64_t from = tg_tape_length();
    tg_tensor *y = sm->call(in, &rng);
    tu_assert_ok(y);
    int64_t to = tg_tape_length();
    ck_assert_int_eq(tg_op_kind_of(y), row->kind);

    for (int k = 0; k < sm->n_inputs; k++)
        redraw(in[k], sm, k, &rng);
    uint64_t stream = tg_rng_next(&rng); /* what a random op draws from now */
    tg_rng_seed(&rng, stream);
    rerun_nodes(row->name, from, to);
    tg_rng_seed(&rng, stream);
    tg_tensor *fresh = sm->call(in, &rng);
    tu_assert_ok(fresh);
    assert_same(row->name, "result", y, fresh);

    tg_tensor *w = tg_tensor_new(tg_dtype_of(y), tg_ndim(y), tg_shape(y), NULL, false);
    for (int64_t i = 0; i < tg_numel(w); i++)
        tg_set(w, i, tg_rng_uniform(&rng) - 0.5);
    tg_tensor *grads[2][TG_MAX_INPUTS], *vjp[2][TG_MAX_INPUTS + 1];
    gradients(y, w, sm->n_inputs, in, grads[0], vjp[0]);
    gradients(fresh, w, sm->n_inputs, in, grads[1], vjp[1]);
    char what[64];
    for (int k = 0; k < tg_op_num_inputs(y); k++) {
        snprintf(what, sizeof what, "%s's VJP to input %d", row->name, k);
        assert_same(row->name, what, vjp[0][k], vjp[1][k]);
    }
    for (int k = 0; k < sm->n_inputs; k++) {
        snprintf(what, sizeof what, "gradient of sample input %d", k);
        assert_same(row->name, what, grads[0][k], grads[1][k]);
    }
}

START_TEST(every_rerun_is_the_op_afresh)
{
    uint64_t seed = 5;
    int checked = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        if (!row->sample.call || !tg_op_replayable((tg_op_kind)k))
            continue;
        check_kind(row, TG_F64, &seed);
        tg_tape_reset();
        check_kind(row, TG_F32, &seed);
        tg_tape_reset();
        checked++;
    }
    ck_assert_int_ge(checked, 139); /* all but the 3 internal kinds, users' and masked_select */
}
END_TEST

/* On 0-d F64 operands an elementwise op takes the scalar fast path, whose
 * node keeps its local partials: the rerun refreshes them. */
START_TEST(scalar_reruns_refresh_the_partials)
{
    uint64_t seed = 9;
    tg_rng rng;
    tg_rng_seed(&rng, 3);
    int with_partials = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        const tg_op_sample *sm = &row->sample;
        if (!sm->call || !(row->flags & TG_OP_ELEMENTWISE) || sm->n_inputs > 2 ||
            !tg_op_replayable((tg_op_kind)k))
            continue;
        tg_tensor *drawn[TG_MAX_INPUTS], *x[TG_MAX_INPUTS];
        ck_assert_int_eq(tg_op_sample_inputs(row, TG_F64, &seed, drawn), 0);
        for (int i = 0; i < sm->n_inputs; i++)
            x[i] = tg_var(tg_get(drawn[i], 0));
        int64_t from = tg_tape_length();
        tg_tensor *y = sm->call(x, NULL);
        tu_assert_ok(y);
        int64_t to = tg_tape_length();
        for (int i = 0; i < sm->n_inputs; i++)
            redraw(x[i], sm, i, &rng);
        rerun_nodes(row->name, from, to);
        tg_tensor *fresh = sm->call(x, NULL);
        assert_same(row->name, "result", y, fresh);
        double p[2][TG_MAX_INPUTS];
        int n = tg_op_partials(y, p[0], TG_MAX_INPUTS);
        ck_assert_int_eq(tg_op_partials(fresh, p[1], TG_MAX_INPUTS), n);
        for (int i = 0; i < n; i++)
            ck_assert_msg(same_bits(p[0][i], p[1][i]), "%s: partial %d: %.17g after the rerun, "
                          "%.17g afresh", row->name, i, p[0][i], p[1][i]);
        with_partials += n > 0;
        tg_tensor *grads[2][TG_MAX_INPUTS];
        ck_assert_int_eq(tg_grad(&y, 1, x, sm->n_inputs, grads[0], false), 0);
        ck_assert_int_eq(tg_grad(&fresh, 1, x, sm->n_inputs, grads[1], false), 0);
        for (int i = 0; i < sm->n_inputs; i++)
            assert_same(row->name, "gradient", grads[0][i], grads[1][i]);
        tg_tape_reset();
    }
    ck_assert_int_ge(with_partials, 50);
}
END_TEST

/* The samples pad by replication; a constant pad's rerun keeps its value. */
START_TEST(constant_padding_keeps_its_value)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 2), (double[]){1, 2, 3, 4}, true);
    tg_tensor *y = tg_pad(x, 2, (int64_t[]){1, 1}, TG_PAD_CONSTANT, 2.5);
    tu_assert_ok(y);
    tg_set(x, 3, -1);
    ck_assert_int_eq(tg_op_rerun(y), 0);
    assert_same("tg_pad", "result", y, tg_pad(x, 2, (int64_t[]){1, 1}, TG_PAD_CONSTANT, 2.5));
}
END_TEST

/* A replayed training step of batch_norm updates the running statistics
 * as the fresh step does (the samples keep none). */
START_TEST(batch_norm_reruns_update_the_running_statistics)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(4, 2, 3), -2, 2, true);
    tg_tensor *mean[2], *var[2];
    for (int k = 0; k < 2; k++) {
        mean[k] = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){0.5, -1}, false);
        var[k] = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 2}, false);
    }
    tg_tensor *y = tg_batch_norm(x, mean[0], var[0], NULL, NULL, true, 0.25, 1e-5);
    tu_assert_ok(y);
    for (int64_t i = 0; i < tg_numel(x); i++)
        tg_set(x, i, 3 * tg_get(x, i) + 1);
    for (int64_t c = 0; c < 2; c++) { /* the fresh step starts where the rerun does */
        tg_set(mean[1], c, tg_get(mean[0], c));
        tg_set(var[1], c, tg_get(var[0], c));
    }
    ck_assert_int_eq(tg_op_rerun(y), 0);
    tg_tensor *fresh = tg_batch_norm(x, mean[1], var[1], NULL, NULL, true, 0.25, 1e-5);
    assert_same("tg_batch_norm", "result", y, fresh);
    assert_same("tg_batch_norm", "running mean", mean[0], mean[1]);
    assert_same("tg_batch_norm", "running variance", var[0], var[1]);
}
END_TEST

/* The samples' indices are constants; an index is data too, and a rerun
 * reads its new values. */
START_TEST(reruns_read_the_indices_again)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3, 3), -2, 2, true);
    tg_tensor *idx = tg_index_tensor(1, (int64_t[]){2}, (int64_t[]){0, 2});
    tg_tensor *picked = tg_index_select(x, 1, idx);
    tg_tensor *rows = tg_embedding(x, idx, TG_NO_PADDING);
    tu_assert_ok(picked);
    tu_assert_ok(rows);
    tg_set(idx, 0, 1);
    tg_set(idx, 1, -1);
    ck_assert_int_eq(tg_op_rerun(picked), 0);
    ck_assert_int_eq(tg_op_rerun(rows), 0);
    assert_same("tg_index_select", "result", picked, tg_index_select(x, 1, idx));
    assert_same("tg_embedding", "result", rows, tg_embedding(x, idx, TG_NO_PADDING));
}
END_TEST

/* sum(cumprod(x) * x): its recorded sweep holds the internal kinds, the
 * scan and shift of cumprod's rule and the accumulation where x's two
 * gradients meet. */
static tg_tensor *gradient_of_cumprod(tg_tensor *x)
{
    tg_tensor *loss = tg_sum(tg_mul(tg_cumprod(x, 1), x)), *dx;
    ck_assert_msg(tg_grad(&loss, 1, &x, 1, &dx, true) == 0, "%s", tg_last_error());
    return dx;
}

/* The internal kinds have no sample: they are rerun inside a recorded
 * sweep, which is then the sweep afresh. */
START_TEST(internal_kinds_rerun_inside_a_recorded_sweep)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 4), 0.5, 2, true);
    int64_t from = tg_tape_length();
    tg_tensor *dx = gradient_of_cumprod(x);
    int64_t to = tg_tape_length();
    bool seen[TG_OP_COUNT] = {false};
    for (int64_t pos = from; pos < to; pos++)
        seen[tg_op_kind_of(tg_tape_node(pos))] = true;
    ck_assert(seen[TG_OP_SCAN] && seen[TG_OP_SHIFT] && seen[TG_OP_ACCUMULATE]);
    for (int64_t i = 0; i < tg_numel(x); i++)
        tg_set(x, i, 2.5 - tg_get(x, i));
    rerun_nodes("the sweep of sum(cumprod(x) x)", from, to);
    assert_same("the sweep of sum(cumprod(x) x)", "gradient", dx, gradient_of_cumprod(x));
}
END_TEST

/* A 1-d ramp of n values from x, or of x's first element repeated when
 * ud asks for its own length (a forward whose shape depends on a value). */
static tg_tensor *ramp_forward(tg_tensor *const *in, void *ud)
{
    double first = tg_get(in[0], 0);
    int64_t n = ud ? (int64_t)fabs(first) + 1 : tg_numel(in[0]);
    tg_tensor *y = tg_tensor_new(tg_dtype_of(in[0]), 1, &n, NULL, false);
    for (int64_t i = 0; i < n; i++)
        tg_set(y, i, ud ? first : tg_get(in[0], i) * (double)(i + 1));
    return y;
}

static int ramp_backward(tg_tensor *out, tg_tensor *g, tg_tensor *const *in, tg_tensor **grad_in,
                         void *ud)
{
    (void)out, (void)ud;
    int64_t n = tg_numel(in[0]);
    tg_tensor *scale = tg_tensor_new(tg_dtype_of(in[0]), 1, &n, NULL, false);
    for (int64_t i = 0; i < n; i++)
        tg_set(scale, i, (double)(i + 1));
    grad_in[0] = tg_mul(g, scale);
    return grad_in[0] ? 0 : -1;
}

static const tg_function ramp = {"ramp", 1, ramp_forward, ramp_backward};

/* A user-defined result reruns its forward; one whose forward now gives
 * another shape is refused, naming the function. */
START_TEST(user_ops_run_their_forward_again)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 2, 3}, true);
    tg_tensor *y = tg_apply(&ramp, &x, NULL);
    tu_assert_ok(y);
    tg_set(x, 0, -4);
    tg_set(x, 2, 0.5);
    ck_assert_int_eq(tg_op_rerun(y), 0);
    assert_same("ramp", "result", y, tg_apply(&ramp, &x, NULL));

    int own_length = 1;
    tg_tensor *z = tg_apply(&ramp, &x, &own_length);
    tu_assert_ok(z);
    tg_set(x, 0, 7);
    ck_assert_int_eq(tg_op_rerun(z), TG_ESHAPE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "ramp (rerun): forward gave f64 [8]"));
    tg_clear_error();
}
END_TEST

START_TEST(what_cannot_be_rerun_is_refused)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, -2, 3, -4}, true);
    ck_assert_int_eq(tg_op_rerun(x), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "not a recorded op result"));
    tg_clear_error();
    tg_tensor *mask = tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, 0, 1, 1}, false);
    tg_tensor *picked = tg_masked_select(x, mask);
    tu_assert_ok(picked);
    ck_assert(!tg_op_replayable(TG_OP_MASKED_SELECT));
    ck_assert_int_eq(tg_op_rerun(picked), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_masked_select cannot be replayed"));
    tg_clear_error();
    tg_tensor *classes = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){0, 2, 1}, true);
    tg_tensor *hot = tg_one_hot(classes, -1); /* three classes, counted */
    tu_assert_ok(hot);
    tg_set(classes, 1, 3);
    ck_assert_int_eq(tg_op_rerun(hot), TG_ESHAPE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "now counts 4 classes, not the 3"));
    tg_clear_error();
    ck_assert_int_eq(tg_op_rerun(NULL), TG_ENULL);
    tg_clear_error();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rerun");
    TCase *tc = tu_tcase("rerun");
    tcase_add_test(tc, every_kind_is_replayable_or_says_why_not);
    tcase_add_test(tc, every_rerun_is_the_op_afresh);
    tcase_add_test(tc, scalar_reruns_refresh_the_partials);
    tcase_add_test(tc, constant_padding_keeps_its_value);
    tcase_add_test(tc, reruns_read_the_indices_again);
    tcase_add_test(tc, internal_kinds_rerun_inside_a_recorded_sweep);
    tcase_add_test(tc, batch_norm_reruns_update_the_running_statistics);
    tcase_add_test(tc, user_ops_run_their_forward_again);
    tcase_add_test(tc, what_cannot_be_rerun_is_refused);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
