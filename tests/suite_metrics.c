/* suite_metrics.c -- argmax, accuracy and the confusion matrix on a hand
 * example, their errors, and the running mean. */
#include <string.h>

#include <tapegrad/metrics.h>

#include "testutil.h"

/* Five samples of three classes. Row argmaxes: 2, 0 (tie between 0 and 2:
 * the first wins), 1, 1, 0. */
static const double scores[15] = {0.1, 0.2, 0.7, 5, 1, 5, -1, 3, 2, 0.3, 0.4, 0.3, 9, -9, 0};
static const int64_t labels[5] = {2, 0, 2, 1, 1};

START_TEST(argmax_takes_the_first_maximum)
{
    for (int k = 0; k < 2; k++) {
        tg_tensor *t = tu_tensor(k ? TG_F32 : TG_F64, TU_SHAPE(5, 3), scores, false);
        int64_t out[5];
        ck_assert_int_eq(tg_argmax_rows(t, out), 0);
        const int64_t want[5] = {2, 0, 1, 1, 0};
        for (int i = 0; i < 5; i++)
            ck_assert_int_eq(out[i], want[i]);
    }
    int64_t one;
    ck_assert_int_eq(tg_argmax_rows(tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, NAN, 7, NAN},
                                              false), &one), 0);
    ck_assert_int_eq(one, 1); /* NaN counts as the largest, as in NumPy */
}
END_TEST

START_TEST(accuracy_counts_matching_argmaxes)
{
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(5, 3), scores, false);
    /* right: rows 0 (2) and 1 (0) and 3 (1); wrong: rows 2 and 4 */
    tu_assert_close(tg_accuracy(t, labels), 3.0 / 5, 0);
    tg_tensor *single = tu_tensor(TG_F32, TU_SHAPE(3), (double[]){0, 2, 1}, false);
    tu_assert_close(tg_accuracy(single, (int64_t[]){1}), 1, 0);
    ck_assert(isnan(tg_accuracy(t, (int64_t[]){0, 0, 3, 0, 0})));
    ck_assert_str_eq(tg_last_error(),
                     "tg_accuracy: labels[2] = 3 is out of range for 3 classes (0..2)");
    tg_clear_error();
    ck_assert(isnan(tg_accuracy(tu_tensor(TG_F64, TU_SHAPE(0, 3), NULL, false), labels)));
    ck_assert_str_eq(tg_last_error(), "tg_accuracy: no rows to score");
}
END_TEST

START_TEST(confusion_matrix_accumulates_true_by_predicted)
{
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(5, 3), scores, false);
    int64_t matrix[9] = {0};
    ck_assert_int_eq(tg_confusion_matrix(t, labels, 3, matrix), 0);
    /* (true, predicted): (2,2) (0,0) (2,1) (1,1) (1,0) */
    const int64_t once[9] = {1, 0, 0, 1, 1, 0, 0, 1, 1};
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(matrix[i], once[i]);
    ck_assert_int_eq(tg_confusion_matrix(t, labels, 3, matrix), 0);
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(matrix[i], 2 * once[i]);
    int64_t diagonal = matrix[0] + matrix[4] + matrix[8];
    tu_assert_close((double)diagonal / 10, tg_accuracy(t, labels), 0);
}
END_TEST

START_TEST(metric_errors_name_the_problem)
{
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(5, 3), scores, false);
    int64_t matrix[16] = {0};
    ck_assert_int_eq(tg_confusion_matrix(t, labels, 4, matrix), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(),
                     "tg_confusion_matrix: n_classes is 4 but the scores have 3 columns");
    tg_clear_error();
    ck_assert_int_eq(tg_confusion_matrix(t, (int64_t[]){0, 0, 0, 0, 7}, 3, matrix), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(),
                     "tg_confusion_matrix: labels[4] = 7 is out of range for 3 classes (0..2)");
    tg_clear_error();
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(matrix[i], 0); /* nothing counted on failure */
    ck_assert_int_eq(tg_confusion_matrix(t, labels, 3, NULL), TG_ENULL);
    ck_assert_int_eq(tg_argmax_rows(t, NULL), TG_ENULL);
    tg_tensor *cube = tu_tensor(TG_F64, TU_SHAPE(2, 2, 2), NULL, false);
    int64_t out[4];
    tg_clear_error();
    ck_assert_int_eq(tg_argmax_rows(cube, out), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_argmax_rows: scores must be [batch, classes] or "
                                      "[classes] with at least one class, got [2,2,2]");
    tg_clear_error();
    ck_assert(isnan(tg_accuracy(NULL, labels)));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
}
END_TEST

START_TEST(mean_meter_weighs_batches_by_size)
{
    tg_mean_meter m = {0};
    ck_assert(isnan(tg_mean_meter_value(&m)));
    tg_mean_meter_add(&m, 2.0, 3); /* a batch of 3 with mean loss 2 */
    tg_mean_meter_add(&m, 0.5, 1); /* a last, smaller batch */
    tu_assert_close(tg_mean_meter_value(&m), (2.0 * 3 + 0.5) / 4, 1e-15);
    ck_assert_int_eq(m.count, 4);
    tg_mean_meter_reset(&m);
    ck_assert(isnan(tg_mean_meter_value(&m)));
    tg_mean_meter_add(&m, 7, 2);
    tu_assert_close(tg_mean_meter_value(&m), 7, 0);
    ck_assert(isnan(tg_mean_meter_value(NULL)));
}
END_TEST

/* Batches of 3 and 2 rows of 2 outputs, against the formulas over all 5
 * rows at once: SS_tot per output about the whole mean, R^2 averaged. */
START_TEST(regression_meter_matches_the_formulas)
{
    const double pred[10] = {1, 10, 2, 20, 3, 31, 4, 39, 6, 50};
    const double target[10] = {1.5, 10, 2, 21, 2.5, 30, 4, 40, 5, 52};
    tg_regression_meter m;
    ck_assert_int_eq(tg_regression_meter_init(&m, 2), 0);
    ck_assert(isnan(tg_regression_meter_mse(&m)) && isnan(tg_regression_meter_r2(&m)));
    for (int b = 0; b < 2; b++) {
        int rows = b ? 2 : 3, at = b ? 6 : 0;
        tg_tensor *p = tu_tensor(TG_F32, TU_SHAPE(rows, 2), pred + at, false);
        tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(rows, 2), target + at, false);
        ck_assert_int_eq(tg_regression_meter_add(&m, p, t), 0);
    }
    double sse[2] = {0}, mean[2] = {0}, sst[2] = {0}, total = 0;
    for (int i = 0; i < 10; i++) {
        sse[i % 2] += (pred[i] - target[i]) * (pred[i] - target[i]);
        mean[i % 2] += target[i] / 5;
    }
    for (int i = 0; i < 10; i++)
        sst[i % 2] += (target[i] - mean[i % 2]) * (target[i] - mean[i % 2]);
    total = sse[0] + sse[1];
    tu_assert_close(tg_regression_meter_mse(&m), total / 10, 1e-12);
    tu_assert_close(tg_regression_meter_r2(&m),
                    ((1 - sse[0] / sst[0]) + (1 - sse[1] / sst[1])) / 2, 1e-12);
    tg_regression_meter_reset(&m);
    ck_assert(isnan(tg_regression_meter_mse(&m)));
    tg_regression_meter_free(&m);

    /* one output as [B]; constant targets score 1 when exact, 0 otherwise */
    ck_assert_int_eq(tg_regression_meter_init(&m, 1), 0);
    tg_tensor *c = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){2, 2, 2}, false);
    ck_assert_int_eq(tg_regression_meter_add(&m, c, c), 0);
    tu_assert_close(tg_regression_meter_r2(&m), 1, 0);
    tg_tensor *off = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){2, 2, 3}, false);
    ck_assert_int_eq(tg_regression_meter_add(&m, off, c), 0);
    tu_assert_close(tg_regression_meter_r2(&m), 0, 0);
    tg_tensor *wide = tu_tensor(TG_F64, TU_SHAPE(1, 2), (double[]){1, 2}, false);
    ck_assert_int_eq(tg_regression_meter_add(&m, wide, wide), TG_ESHAPE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "must both be [batch, 1]"));
    ck_assert_int_eq(tg_regression_meter_add(&m, c, off), 0);
    tg_regression_meter_free(&m);
    ck_assert_int_eq(tg_regression_meter_init(&m, 0), TG_EVALUE);
    ck_assert_int_eq(tg_regression_meter_add(&m, c, c), TG_ENULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tu_tcase("metrics");
    tcase_add_test(tc, argmax_takes_the_first_maximum);
    tcase_add_test(tc, accuracy_counts_matching_argmaxes);
    tcase_add_test(tc, confusion_matrix_accumulates_true_by_predicted);
    tcase_add_test(tc, metric_errors_name_the_problem);
    tcase_add_test(tc, mean_meter_weighs_batches_by_size);
    tcase_add_test(tc, regression_meter_matches_the_formulas);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
