/* suite_losses.c -- every loss against its formula computed by hand in
 * double, its gradient against the closed form, finite differences,
 * stability at extreme logits, and the argument errors. */
#include <stdio.h>
#include <string.h>

#include <tapegrad/losses.h>

#include "testutil.h"

static const tg_dtype dtypes[2] = {TG_F64, TG_F32};

static double tolerance(tg_dtype dtype) { return dtype == TG_F64 ? 1e-12 : 2e-6; }

/* ---- elementwise losses: one table, checked against reference formulas ---- */

typedef struct {
    tg_reduction reduction;
    double delta; /* Huber only */
} loss_opts;

typedef tg_tensor *(*pair_loss)(tg_tensor *pred, tg_tensor *target, loss_opts o);

/* The per-element loss at (yhat, y) and its derivative in yhat, written
 * straight from the formulas in losses.h. */
typedef double (*reference)(double yhat, double y, double delta, double *dloss);

static tg_tensor *mse(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    return tg_mse_loss(p, t, o.reduction);
}
static tg_tensor *sse(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    (void)o;
    return tg_sse_loss(p, t);
}
static tg_tensor *l2(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    (void)o;
    return tg_l2_loss(p, t);
}
static tg_tensor *bce(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    return tg_bce_loss(p, t, o.reduction);
}
static tg_tensor *bce_logits(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    return tg_bce_logits_loss(p, t, o.reduction);
}
static tg_tensor *huber(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    return tg_huber_loss(p, t, o.delta, o.reduction);
}

static tg_tensor *ce_probs(tg_tensor *p, tg_tensor *t, loss_opts o)
{
    return tg_cross_entropy_probs_loss(p, t, o.reduction);
}

static double squared_ref(double yhat, double y, double delta, double *dloss)
{
    (void)delta;
    *dloss = 2 * (yhat - y);
    return (y - yhat) * (y - yhat);
}

static double half_squared_ref(double yhat, double y, double delta, double *dloss)
{
    (void)delta;
    *dloss = yhat - y;
    return 0.5 * (y - yhat) * (y - yhat);
}

static double bce_ref(double p, double y, double delta, double *dloss)
{
    (void)delta;
    double log_p = fmax(log(p), -100), log_q = fmax(log(1 - p), -100);
    *dloss = (log(p) >= -100 ? -y / p : 0) + (log(1 - p) >= -100 ? (1 - y) / (1 - p) : 0);
    return -(y * log_p + (1 - y) * log_q);
}

static double bce_logits_ref(double z, double y, double delta, double *dloss)
{
    (void)delta;
    double s = 1 / (1 + exp(-z));
    *dloss = s - y;
    return -(y * log(s) + (1 - y) * log1p(-s)); /* the textbook form; fine for moderate z */
}

static double huber_ref(double yhat, double y, double delta, double *dloss)
{
    double d = yhat - y;
    if (fabs(d) <= delta) {
        *dloss = d;
        return 0.5 * d * d;
    }
    *dloss = d > 0 ? delta : -delta;
    return delta * (fabs(d) - 0.5 * delta);
}

typedef struct {
    const char *name;
    pair_loss f;
    reference ref;
    loss_opts opts;
    bool sums; /* ignores opts.reduction and always sums */
} loss_case;

static const loss_case cases[] = {
    {"mse mean", mse, squared_ref, {TG_REDUCTION_MEAN, 0}, false},
    {"mse sum", mse, squared_ref, {TG_REDUCTION_SUM, 0}, false},
    {"sse", sse, squared_ref, {TG_REDUCTION_SUM, 0}, true},
    {"l2", l2, half_squared_ref, {TG_REDUCTION_SUM, 0}, true},
    {"bce mean", bce, bce_ref, {TG_REDUCTION_MEAN, 0}, false},
    {"bce sum", bce, bce_ref, {TG_REDUCTION_SUM, 0}, false},
    {"bce_logits mean", bce_logits, bce_logits_ref, {TG_REDUCTION_MEAN, 0}, false},
    {"bce_logits sum", bce_logits, bce_logits_ref, {TG_REDUCTION_SUM, 0}, false},
    {"huber mean", huber, huber_ref, {TG_REDUCTION_MEAN, 1.0}, false},
    {"huber sum, delta 0.3", huber, huber_ref, {TG_REDUCTION_SUM, 0.3}, false},
};
enum { N_CASES = sizeof cases / sizeof *cases };

/* Loss value and d loss / d pred of case c at pred against target ([2,3]),
 * compared with the reference formula reduced by hand. */
static void check_case(const loss_case *c, tg_dtype dtype, const double *pred,
                       const double *target)
{
    enum { N = 6 };
    bool mean = !c->sums && c->opts.reduction == TG_REDUCTION_MEAN;
    double want = 0, want_grad[N];
    for (int i = 0; i < N; i++) {
        want += c->ref(pred[i], target[i], c->opts.delta, &want_grad[i]);
        want_grad[i] /= mean ? N : 1;
    }
    want /= mean ? N : 1;
    tg_tensor *p = tu_tensor(dtype, TU_SHAPE(2, 3), pred, true);
    tg_tensor *t = tu_tensor(dtype, TU_SHAPE(2, 3), target, false);
    tg_tensor *loss = c->f(p, t, c->opts);
    ck_assert_msg(loss != NULL, "%s: %s", c->name, tg_last_error());
    ck_assert_int_eq(tg_ndim(loss), 0);
    ck_assert_int_eq(tg_dtype_of(loss), dtype);
    ck_assert_int_eq(tg_backward(loss), 0);
    double tol = tolerance(dtype);
    ck_assert_msg(fabs(tg_item(loss) - want) <= tol * (1 + fabs(want)), "%s %s: %.17g, want %.17g",
                  c->name, tg_dtype_name(dtype), tg_item(loss), want);
    for (int i = 0; i < N; i++)
        ck_assert_msg(fabs(tg_grad_get(p, i) - want_grad[i]) <= tol * (1 + fabs(want_grad[i])),
                      "%s %s: grad[%d] %.17g, want %.17g", c->name, tg_dtype_name(dtype), i,
                      tg_grad_get(p, i), want_grad[i]);
}

START_TEST(losses_match_formulas_and_closed_form_gradients)
{
    /* probabilities for bce; the regression losses and Huber see the same
     * numbers, with errors on both sides of delta = 0.3 */
    const double pred[6] = {0.1, 0.35, 0.5, 0.7, 0.92, 0.05};
    const double target[6] = {0, 1, 0.5, 0, 1, 1};
    const double logits[6] = {-3.5, -0.2, 0, 0.4, 2.5, 7};
    for (int k = 0; k < 2; k++) {
        for (int c = 0; c < N_CASES; c++) {
            check_case(&cases[c], dtypes[k], cases[c].f == bce_logits ? logits : pred, target);
            tg_tape_reset();
        }
    }
}
END_TEST

START_TEST(regression_losses_by_hand)
{
    /* pred {1, 2, 3} against {1, 0, 5}: squared errors 0, 4, 4 */
    for (int k = 0; k < 2; k++) {
        tg_tensor *p = tu_tensor(dtypes[k], TU_SHAPE(3), (double[]){1, 2, 3}, false);
        tg_tensor *t = tu_tensor(dtypes[k], TU_SHAPE(3), (double[]){1, 0, 5}, false);
        tu_assert_close(tg_item(tg_mse_loss(p, t, TG_REDUCTION_MEAN)), 8.0 / 3, 1e-7);
        tu_assert_close(tg_item(tg_mse_loss(p, t, TG_REDUCTION_SUM)), 8, 0);
        tu_assert_close(tg_item(tg_sse_loss(p, t)), 8, 0);
        tu_assert_close(tg_item(tg_l2_loss(p, t)), 4, 0);
        /* Huber, delta 1: d = 0, 2, -2 -> 0, 1.5, 1.5 */
        tu_assert_close(tg_item(tg_huber_loss(p, t, 1, TG_REDUCTION_SUM)), 3, 0);
        tu_assert_close(tg_item(tg_huber_loss(p, t, 1, TG_REDUCTION_MEAN)), 1, 1e-7);
    }
}
END_TEST

/* ---- binary cross entropy: clamping and stability ---- */

START_TEST(bce_clamps_logs_at_minus_100)
{
    for (int k = 0; k < 2; k++) {
        /* certain and wrong: each log is clamped, so each costs exactly 100 */
        tg_tensor *p = tu_tensor(dtypes[k], TU_SHAPE(4), (double[]){0, 1, 0, 1}, true);
        tg_tensor *y = tu_tensor(dtypes[k], TU_SHAPE(4), (double[]){1, 0, 0, 1}, false);
        tg_tensor *loss = tg_bce_loss(p, y, TG_REDUCTION_SUM);
        tu_assert_ok(loss);
        tu_assert_close(tg_item(loss), 200, 0);
        ck_assert_int_eq(tg_backward(loss), 0);
        /* clamped terms pass no gradient; the unclamped ones give (1-y)/(1-p) and -y/p */
        const double want_grad[4] = {0, 0, 1, -1};
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_grad_get(p, i), want_grad[i], 0);
    }
}
END_TEST

START_TEST(bce_logits_is_stable_for_huge_logits)
{
    const double z[4] = {1e4, 1e4, -1e4, -1e4}, y[4] = {1, 0, 1, 0};
    const double want_loss[4] = {0, 1e4, 1e4, 0}, want_grad[4] = {0, 1, -1, 0};
    for (int k = 0; k < 2; k++) {
        tg_tensor *logits = tu_tensor(dtypes[k], TU_SHAPE(4), z, true);
        tg_tensor *target = tu_tensor(dtypes[k], TU_SHAPE(4), y, false);
        tg_tensor *loss = tg_bce_logits_loss(logits, target, TG_REDUCTION_SUM);
        tu_assert_ok(loss);
        tu_assert_close(tg_item(loss), want_loss[0] + want_loss[1] + want_loss[2] + want_loss[3],
                        0);
        ck_assert_int_eq(tg_backward(loss), 0);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_grad_get(logits, i), want_grad[i], 0);
    }
}
END_TEST

START_TEST(bce_logits_gradient_at_zero_is_half_minus_target)
{
    /* at z = 0 the formula's max and |z| are both at their kinks */
    tg_tensor *z = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){0, 0}, true);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, 0.25}, false);
    tg_tensor *loss = tg_bce_logits_loss(z, y, TG_REDUCTION_SUM);
    ck_assert_int_eq(tg_backward(loss), 0);
    tu_assert_close(tg_item(loss), 2 * log(2.0), 1e-15);
    tu_assert_close(tg_grad_get(z, 0), -0.5, 1e-15);
    tu_assert_close(tg_grad_get(z, 1), 0.25, 1e-15);
}
END_TEST

/* ---- categorical cross entropy ---- */

static void softmax_row(const double *z, int n, double *out)
{
    double m = z[0], s = 0;
    for (int i = 1; i < n; i++)
        m = fmax(m, z[i]);
    for (int i = 0; i < n; i++)
        s += exp(z[i] - m);
    for (int i = 0; i < n; i++)
        out[i] = exp(z[i] - m) / s;
}

START_TEST(cross_entropy_matches_softmax_minus_onehot)
{
    enum { B = 3, C = 4 };
    const double z[B * C] = {1, 2, 0.5, -1, 0, 0, 0, 0, -2, 3, 1, 0.25};
    const int64_t labels[B] = {1, 3, 0};
    for (int k = 0; k < 2; k++) {
        for (int r = 0; r < 2; r++) {
            tg_reduction reduction = r ? TG_REDUCTION_SUM : TG_REDUCTION_MEAN;
            double scale = r ? 1.0 : 1.0 / B, want = 0;
            tg_tensor *logits = tu_tensor(dtypes[k], TU_SHAPE(B, C), z, true);
            tg_tensor *loss = tg_cross_entropy_loss(logits, labels, reduction);
            tu_assert_ok(loss);
            ck_assert_int_eq(tg_backward(loss), 0);
            for (int b = 0; b < B; b++) {
                double s[C];
                softmax_row(z + b * C, C, s);
                want -= scale * log(s[labels[b]]);
                for (int c = 0; c < C; c++)
                    tu_assert_close(tg_grad_get(logits, b * C + c),
                                    scale * (s[c] - (c == labels[b])), tolerance(dtypes[k]));
            }
            tu_assert_close(tg_item(loss), want, tolerance(dtypes[k]));
            tg_tape_reset();
        }
    }
}
END_TEST

START_TEST(cross_entropy_of_one_sample)
{
    /* [C] logits {0, ln 3}: softmax {1/4, 3/4}; label 1 costs ln(4/3) */
    tg_tensor *z = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){0, log(3.0)}, true);
    tg_tensor *loss = tg_cross_entropy_loss(z, (int64_t[]){1}, TG_REDUCTION_MEAN);
    ck_assert_int_eq(tg_backward(loss), 0);
    tu_assert_close(tg_item(loss), log(4.0 / 3), 1e-15);
    tu_assert_close(tg_grad_get(z, 0), 0.25, 1e-15);
    tu_assert_close(tg_grad_get(z, 1), -0.25, 1e-15);
}
END_TEST

START_TEST(cross_entropy_probs_matches_softmax_minus_target)
{
    enum { B = 2, C = 3 };
    const double z[B * C] = {0.5, -1, 2, 1, 1, -0.5}, t[B * C] = {0.2, 0.3, 0.5, 1, 0, 0};
    for (int k = 0; k < 2; k++) {
        tg_tensor *logits = tu_tensor(dtypes[k], TU_SHAPE(B, C), z, true);
        tg_tensor *target = tu_tensor(dtypes[k], TU_SHAPE(B, C), t, false);
        tg_tensor *loss = tg_cross_entropy_probs_loss(logits, target, TG_REDUCTION_MEAN);
        tu_assert_ok(loss);
        ck_assert_int_eq(tg_backward(loss), 0);
        double want = 0;
        for (int b = 0; b < B; b++) {
            double s[C];
            softmax_row(z + b * C, C, s);
            for (int c = 0; c < C; c++) {
                want -= t[b * C + c] * log(s[c]) / B; /* each target row sums to 1 */
                tu_assert_close(tg_grad_get(logits, b * C + c), (s[c] - t[b * C + c]) / B,
                                tolerance(dtypes[k]));
            }
        }
        tu_assert_close(tg_item(loss), want, tolerance(dtypes[k]));
        /* one-hot targets give the class-index loss */
        tg_tensor *onehot = tu_tensor(dtypes[k], TU_SHAPE(B, C), (double[]){0, 0, 1, 1, 0, 0},
                                      false);
        tu_assert_close(tg_item(tg_cross_entropy_probs_loss(logits, onehot, TG_REDUCTION_SUM)),
                        tg_item(tg_cross_entropy_loss(logits, (int64_t[]){2, 0},
                                                      TG_REDUCTION_SUM)),
                        tolerance(dtypes[k]));
    }
}
END_TEST

START_TEST(cross_entropy_is_stable_for_huge_logits)
{
    /* row 0 is confidently right, row 1 confidently wrong by 2e4 */
    const double z[4] = {1e4, -1e4, 1e4, -1e4};
    for (int k = 0; k < 2; k++) {
        tg_tensor *logits = tu_tensor(dtypes[k], TU_SHAPE(2, 2), z, true);
        tg_tensor *loss = tg_cross_entropy_loss(logits, (int64_t[]){0, 1}, TG_REDUCTION_SUM);
        tu_assert_ok(loss);
        tu_assert_close(tg_item(loss), 2e4, 0);
        ck_assert_int_eq(tg_backward(loss), 0);
        const double want_grad[4] = {0, 0, 1, -1};
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_grad_get(logits, i), want_grad[i], 0);
        tg_tensor *target = tu_tensor(dtypes[k], TU_SHAPE(2, 2), (double[]){0.5, 0.5, 0, 1},
                                      false);
        tg_tensor *soft = tg_cross_entropy_probs_loss(logits, target, TG_REDUCTION_SUM);
        tu_assert_close(tg_item(soft), 1e4 + 2e4, 0);
    }
}
END_TEST

/* ---- finite differences ---- */

typedef struct {
    pair_loss f;
    loss_opts opts;
    const int64_t *labels;
} fd_ctx;

static tg_tensor *pair_of_inputs(tg_tensor *const *in, void *ctx)
{
    const fd_ctx *c = ctx;
    return c->f(in[0], in[1], c->opts);
}

static tg_tensor *cross_entropy_of_input(tg_tensor *const *in, void *ctx)
{
    const fd_ctx *c = ctx;
    return tg_cross_entropy_loss(in[0], c->labels, c->opts.reduction);
}

START_TEST(every_loss_passes_gradcheck)
{
    /* both prediction and target vary, so d/dtarget is checked too; values
     * in (0, 1) keep bce's logs away from the clamp */
    const tu_shape shapes[2] = {TU_SHAPE(3, 4), TU_SHAPE(3, 4)};
    for (int c = 0; c < N_CASES; c++) {
        fd_ctx ctx = {cases[c].f, cases[c].opts, NULL};
        tu_gradcheck_both(pair_of_inputs, &ctx, 2, shapes, 0.05, 0.95);
    }
    fd_ctx huber_wide = {huber, {TG_REDUCTION_MEAN, 0.4}, NULL};
    tu_gradcheck_both(pair_of_inputs, &huber_wide, 2, shapes, -2, 2);
    fd_ctx logits_wide = {bce_logits, {TG_REDUCTION_MEAN, 0}, NULL};
    tu_gradcheck_both(pair_of_inputs, &logits_wide, 2, shapes, -4, 4);
    for (int r = 0; r < 2; r++) {
        tg_reduction reduction = r ? TG_REDUCTION_SUM : TG_REDUCTION_MEAN;
        fd_ctx soft = {ce_probs, {reduction, 0}, NULL};
        tu_gradcheck_both(pair_of_inputs, &soft, 2, shapes, 0, 1);
        fd_ctx hard = {NULL, {reduction, 0}, (const int64_t[]){3, 0, 2}};
        tu_gradcheck_both(cross_entropy_of_input, &hard, 1, shapes, -3, 3);
        tu_gradcheck_both(cross_entropy_of_input, &hard, 1, (tu_shape[]){TU_SHAPE(4)}, -3, 3);
    }
}
END_TEST

/* ---- errors ---- */

START_TEST(shape_and_dtype_mismatches_name_both)
{
    tg_tensor *column = tu_tensor(TG_F64, TU_SHAPE(4, 1), NULL, false);
    tg_tensor *row = tu_tensor(TG_F64, TU_SHAPE(4), NULL, false);
    ck_assert_ptr_null(tg_mse_loss(column, row, TG_REDUCTION_MEAN));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_mse_loss: prediction shape [4,1] and target shape [4] "
                                      "differ (losses do not broadcast; reshape one of them)");
    tg_clear_error();
    /* every loss taking a target checks it, [4] against [4,1] included */
    const loss_case others[] = {{"tg_sse_loss", sse, NULL, {TG_REDUCTION_SUM, 0}, true},
                                {"tg_l2_loss", l2, NULL, {TG_REDUCTION_SUM, 0}, true},
                                {"tg_bce_loss", bce, NULL, {TG_REDUCTION_SUM, 0}, false},
                                {"tg_bce_logits_loss", bce_logits, NULL, {TG_REDUCTION_SUM, 0},
                                 false},
                                {"tg_huber_loss", huber, NULL, {TG_REDUCTION_SUM, 1}, false},
                                {"tg_cross_entropy_probs_loss", ce_probs, NULL,
                                 {TG_REDUCTION_SUM, 0}, false}};
    for (int i = 0; i < 6; i++) {
        tg_clear_error();
        ck_assert_ptr_null(others[i].f(row, column, others[i].opts));
        char want[200];
        snprintf(want, sizeof want, "%s: prediction shape [4] and target shape [4,1] differ "
                 "(losses do not broadcast; reshape one of them)", others[i].name);
        ck_assert_str_eq(tg_last_error(), want);
    }
    tg_tensor *row32 = tu_tensor(TG_F32, TU_SHAPE(4), NULL, false);
    tg_clear_error();
    ck_assert_ptr_null(tg_l2_loss(row, row32));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_l2_loss"));
}
END_TEST

START_TEST(argument_values_are_checked)
{
    tg_tensor *p = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){0.5, 1.5, 0.2}, false);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){0, 1, 0}, false);
    ck_assert_ptr_null(tg_bce_loss(p, y, TG_REDUCTION_MEAN));
    ck_assert_str_eq(tg_last_error(), "tg_bce_loss: probability 1 is 1.5, outside [0, 1]");
    tg_clear_error();
    ck_assert_ptr_null(tg_mse_loss(p, y, (tg_reduction)2));
    ck_assert_str_eq(tg_last_error(), "tg_mse_loss: reduction 2 is neither TG_REDUCTION_MEAN nor "
                                      "TG_REDUCTION_SUM");
    tg_clear_error();
    ck_assert_ptr_null(tg_huber_loss(p, y, 0, TG_REDUCTION_MEAN));
    ck_assert_str_eq(tg_last_error(), "tg_huber_loss: delta must be positive and finite, got 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_mse_loss(NULL, y, TG_REDUCTION_MEAN));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
}
END_TEST

START_TEST(cross_entropy_rejects_bad_labels_and_shapes)
{
    tg_tensor *z = tu_tensor(TG_F64, TU_SHAPE(3, 10), NULL, false);
    ck_assert_ptr_null(tg_cross_entropy_loss(z, (int64_t[]){2, 10, 0}, TG_REDUCTION_MEAN));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_cross_entropy_loss: labels[1] = 10 is out of range for "
                                      "10 classes (0..9)");
    tg_clear_error();
    ck_assert_ptr_null(tg_cross_entropy_loss(z, (int64_t[]){2, 3, -1}, TG_REDUCTION_MEAN));
    ck_assert_str_eq(tg_last_error(), "tg_cross_entropy_loss: labels[2] = -1 is out of range for "
                                      "10 classes (0..9)");
    tg_clear_error();
    ck_assert_ptr_null(tg_cross_entropy_loss(z, NULL, TG_REDUCTION_MEAN));
    ck_assert_str_eq(tg_last_error(), "tg_cross_entropy_loss: argument 2 (labels) is NULL");
    tg_clear_error();
    tg_tensor *cube = tu_tensor(TG_F64, TU_SHAPE(2, 2, 2), NULL, false);
    ck_assert_ptr_null(tg_cross_entropy_loss(cube, (int64_t[]){0, 0}, TG_REDUCTION_MEAN));
    ck_assert_str_eq(tg_last_error(), "tg_cross_entropy_loss: logits must be [batch, classes] or "
                                      "[classes], got [2,2,2]");
    tg_clear_error();
    tg_tensor *empty = tu_tensor(TG_F64, TU_SHAPE(0, 10), NULL, false);
    ck_assert_ptr_null(tg_cross_entropy_loss(empty, (int64_t[]){0}, TG_REDUCTION_MEAN));
    ck_assert_str_eq(tg_last_error(), "tg_cross_entropy_loss: logits [0,10] are empty");
    tg_clear_error();
    tg_tensor *probs = tu_tensor(TG_F64, TU_SHAPE(3, 9), NULL, false);
    ck_assert_ptr_null(tg_cross_entropy_probs_loss(z, probs, TG_REDUCTION_MEAN));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
}
END_TEST

/* ---- the losses by name ---- */

START_TEST(losses_by_name_are_the_functions)
{
    for (int k = 0; k < TG_LOSS_COUNT; k++) {
        tg_loss_kind kind;
        ck_assert_int_eq(tg_loss_parse(tg_loss_name((tg_loss_kind)k), &kind), 0);
        ck_assert_int_eq(kind, k);
    }
    ck_assert_str_eq(tg_loss_name(TG_LOSS_COUNT), "?");
    tg_loss_kind kind;
    tg_clear_error();
    ck_assert_int_eq(tg_loss_parse("mae", &kind), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "unknown loss 'mae'; the losses are ce"));
    ck_assert(tg_loss_is_regression(TG_LOSS_HUBER) && !tg_loss_is_regression(TG_LOSS_BCE));

    tg_clear_error();
    tg_tensor *out = tu_tensor(TG_F64, TU_SHAPE(3, 1), (double[]){-1, 0.5, 2}, false);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(3, 1), (double[]){0, 1, 1}, false);
    const int64_t labels[3] = {0, 1, 1};
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_MSE, out, NULL, y)),
                    tg_item(tg_mse_loss(out, y, TG_REDUCTION_MEAN)), 0);
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_SSE, out, NULL, y)), tg_item(tg_sse_loss(out, y)), 0);
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_L2, out, NULL, y)), tg_item(tg_l2_loss(out, y)), 0);
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_HUBER, out, NULL, y)),
                    tg_item(tg_huber_loss(out, y, 1.0, TG_REDUCTION_MEAN)), 0);
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_BCE_LOGITS, out, labels, NULL)),
                    tg_item(tg_bce_logits_loss(out, y, TG_REDUCTION_MEAN)), 0);
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_BCE, out, labels, NULL)),
                    tg_item(tg_bce_loss(tg_sigmoid(out), y, TG_REDUCTION_MEAN)), 0);
    tg_tensor *logits = tu_tensor(TG_F64, TU_SHAPE(3, 2), (double[]){1, 2, 0, -1, 3, 3}, false);
    tu_assert_close(tg_item(tg_loss_of(TG_LOSS_CE, logits, labels, NULL)),
                    tg_item(tg_cross_entropy_loss(logits, labels, TG_REDUCTION_MEAN)), 0);

    tg_clear_error();
    ck_assert_ptr_null(tg_loss_of(TG_LOSS_MSE, out, labels, NULL));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "mse compares real-valued targets"));
    tg_clear_error();
    ck_assert_ptr_null(tg_loss_of(TG_LOSS_BCE, logits, labels, NULL));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "output is [batch, 1], one logit per sample, "
                                                  "got [3,2]"));
    tg_clear_error();
    ck_assert_ptr_null(tg_loss_of(TG_LOSS_BCE_LOGITS, out, (const int64_t[]){0, 2, 1}, NULL));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "labels[1] = 2 is out of range for 2 classes"));
    tg_clear_error();
    ck_assert_ptr_null(tg_loss_of(TG_LOSS_COUNT, out, labels, y));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "is not a tg_loss_kind"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("losses");
    TCase *tc = tu_tcase("losses");
    tcase_add_test(tc, losses_match_formulas_and_closed_form_gradients);
    tcase_add_test(tc, regression_losses_by_hand);
    tcase_add_test(tc, bce_clamps_logs_at_minus_100);
    tcase_add_test(tc, bce_logits_is_stable_for_huge_logits);
    tcase_add_test(tc, bce_logits_gradient_at_zero_is_half_minus_target);
    tcase_add_test(tc, cross_entropy_matches_softmax_minus_onehot);
    tcase_add_test(tc, cross_entropy_of_one_sample);
    tcase_add_test(tc, cross_entropy_probs_matches_softmax_minus_target);
    tcase_add_test(tc, cross_entropy_is_stable_for_huge_logits);
    tcase_add_test(tc, every_loss_passes_gradcheck);
    tcase_add_test(tc, shape_and_dtype_mismatches_name_both);
    tcase_add_test(tc, argument_values_are_checked);
    tcase_add_test(tc, cross_entropy_rejects_bad_labels_and_shapes);
    tcase_add_test(tc, losses_by_name_are_the_functions);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
