/* suite_train.c -- the training loop end to end on a small synthetic task:
 * it learns, the same seed gives the same loss curve bit for bit, a stop
 * request ends the epoch, and a checkpoint restores identical predictions. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tapegrad/nn.h>

#include "testutil.h"

enum { SAMPLES = 512, FEATURES = 6, CLASSES = 3, EPOCHS = 4 };

/* Three Gaussian-ish blobs around different centres, from a fixed seed. */
static void make_blobs(tg_dataset *d)
{
    ck_assert_int_eq(tg_dataset_alloc(d, SAMPLES, FEATURES, true), 0);
    tg_rng rng;
    tg_rng_seed(&rng, 42);
    for (int64_t i = 0; i < SAMPLES; i++) {
        int64_t c = i % CLASSES;
        d->labels[i] = c;
        for (int j = 0; j < FEATURES; j++)
            d->x[i * FEATURES + j] = (float)((j % CLASSES == c ? 2.0 : 0.0) + tg_rng_normal(&rng));
    }
    d->n_classes = CLASSES;
}

typedef struct {
    tg_model *model;
    tg_optim *optim;
    tg_batcher *batcher;
} trainer;

static void trainer_new(trainer *t, const tg_dataset *d, uint64_t seed)
{
    t->model = tg_mlp_new(TG_F32, 3, (int64_t[]){FEATURES, 16, CLASSES}, TG_ACT_RELU,
                          TG_ACT_LINEAR, seed);
    tu_assert_ok(t->model);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.01;
    t->optim = tg_optim_new(tg_model_params(t->model), &cfg);
    t->batcher = tg_batcher_new(d, 32, TG_BATCH_SHUFFLE, seed);
    ck_assert(t->optim && t->batcher);
}

static void trainer_free(trainer *t)
{
    tg_batcher_free(t->batcher);
    tg_optim_free(t->optim);
    tg_model_free(t->model);
}

static void run_epochs(trainer *t, double *losses)
{
    for (int e = 0; e < EPOCHS; e++) {
        tg_epoch_stats s;
        double start = tg_perf_counter();
        ck_assert_msg(tg_train_epoch(t->model, t->optim, t->batcher, NULL, NULL, NULL, &s) == 0,
                      "%s", tg_last_error());
        double elapsed = tg_perf_counter() - start;
        ck_assert_int_eq(s.samples, SAMPLES);
        /* the epoch's seconds are measured on the same clock, inside the call */
        ck_assert(s.seconds >= 0 && s.seconds <= elapsed);
        losses[e] = s.loss;
    }
}

START_TEST(training_learns_the_blobs)
{
    tg_dataset d;
    make_blobs(&d);
    trainer t;
    trainer_new(&t, &d, 1);
    tg_epoch_stats before, after;
    ck_assert_int_eq(tg_evaluate(t.model, &d, 100, &before, NULL), 0);
    double losses[EPOCHS];
    run_epochs(&t, losses);
    int64_t confusion[CLASSES * CLASSES];
    ck_assert_int_eq(tg_evaluate(t.model, &d, 100, &after, confusion), 0);
    ck_assert_msg(after.loss < before.loss / 2, "loss %g -> %g", before.loss, after.loss);
    ck_assert_msg(after.accuracy > 0.9, "accuracy %g", after.accuracy);
    int64_t total = 0, diagonal = 0;
    for (int i = 0; i < CLASSES; i++)
        for (int j = 0; j < CLASSES; j++) {
            total += confusion[i * CLASSES + j];
            diagonal += i == j ? confusion[i * CLASSES + j] : 0;
        }
    ck_assert_int_eq(total, SAMPLES);
    tu_assert_close((double)diagonal / SAMPLES, after.accuracy, 1e-12);
    trainer_free(&t);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(same_seed_gives_the_same_loss_curve)
{
    tg_dataset d;
    make_blobs(&d);
    double curves[3][EPOCHS];
    for (int run = 0; run < 3; run++) {
        trainer t;
        trainer_new(&t, &d, run < 2 ? 7 : 8);
        run_epochs(&t, curves[run]);
        trainer_free(&t);
    }
    ck_assert(memcmp(curves[0], curves[1], sizeof curves[0]) == 0); /* bit for bit */
    ck_assert(memcmp(curves[0], curves[2], sizeof curves[0]) != 0);
    tg_dataset_free(&d);
}
END_TEST

static volatile sig_atomic_t stop_requested;

static void stop_after_three(int64_t done, int64_t total, const tg_epoch_stats *s, void *user)
{
    (void)total;
    (void)s;
    *(int64_t *)user = done;
    if (done == 3)
        stop_requested = 1;
}

START_TEST(stop_request_ends_the_epoch_after_the_batch)
{
    tg_dataset d;
    make_blobs(&d);
    trainer t;
    trainer_new(&t, &d, 1);
    int64_t seen = 0;
    tg_epoch_stats s;
    stop_requested = 0;
    ck_assert_int_eq(
        tg_train_epoch(t.model, t.optim, t.batcher, &stop_requested, stop_after_three, &seen, &s),
        0);
    ck_assert(s.stopped);
    ck_assert_int_eq(seen, 3);
    ck_assert_int_eq(s.samples, 3 * 32);
    trainer_free(&t);
    tg_dataset_free(&d);
}
END_TEST

/* A step that fails reports why: the loop leaves the failed graph's tape
 * (and so the error) for the caller instead of resetting it. */
START_TEST(a_failing_step_keeps_its_message)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_model *wrong = tg_mlp_new(TG_F32, 3, (int64_t[]){FEATURES + 1, 16, CLASSES}, TG_ACT_RELU,
                                 TG_ACT_LINEAR, 1);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_SGD);
    tg_optim *optim = tg_optim_new(tg_model_params(wrong), &cfg);
    tg_batcher *b = tg_batcher_new(&d, 32, 0, 1);
    tg_epoch_stats s;
    ck_assert_int_eq(tg_train_epoch(wrong, optim, b, NULL, NULL, NULL, &s), TG_ESHAPE);
    ck_assert_msg(strstr(tg_last_error(), "[32,6]") != NULL, "%s", tg_last_error());
    tg_tape_reset();
    ck_assert_int_eq(tg_evaluate(wrong, &d, 100, &s, NULL), TG_ESHAPE);
    ck_assert_msg(strstr(tg_last_error(), "[100,6]") != NULL, "%s", tg_last_error());
    tg_tape_reset();
    tg_batcher_free(b);
    tg_optim_free(optim);
    tg_model_free(wrong);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(checkpoint_restores_identical_predictions)
{
    tg_dataset d;
    make_blobs(&d);
    trainer t;
    trainer_new(&t, &d, 3);
    double losses[EPOCHS];
    run_epochs(&t, losses);
    char path[] = "/tmp/tg_train_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(t.model), path, NULL), 0);
    tg_model *fresh = tg_mlp_new(TG_F32, 3, (int64_t[]){FEATURES, 16, CLASSES}, TG_ACT_RELU,
                                 TG_ACT_LINEAR, 99);
    ck_assert_int_eq(tg_checkpoint_load(tg_model_params(fresh), path), 0);
    unlink(path);
    tg_tensor *x = tg_tensor_new(TG_F32, 2, (int64_t[]){SAMPLES, FEATURES}, NULL, false);
    memcpy(tg_data(x), d.x, sizeof(float) * SAMPLES * FEATURES);
    tg_tensor *a = tg_model_forward(t.model, x), *b = tg_model_forward(fresh, x);
    ck_assert(memcmp(tg_data(a), tg_data(b), sizeof(float) * SAMPLES * CLASSES) == 0);
    tg_model_free(fresh);
    trainer_free(&t);
    tg_dataset_free(&d);
}
END_TEST

/* y = 2 x0 - x1 + 0.5 and its negation, noise-free: a linear model fits it. */
static void make_lines(tg_dataset *d)
{
    ck_assert_int_eq(tg_dataset_alloc_targets(d, SAMPLES, 2, 2), 0);
    tg_rng rng;
    tg_rng_seed(&rng, 5);
    for (int64_t i = 0; i < SAMPLES; i++) {
        float x0 = (float)tg_rng_normal(&rng), x1 = (float)tg_rng_normal(&rng);
        d->x[2 * i] = x0;
        d->x[2 * i + 1] = x1;
        d->targets[2 * i] = 2 * x0 - x1 + 0.5f;
        d->targets[2 * i + 1] = -d->targets[2 * i];
    }
}

START_TEST(regression_reaches_r2_and_reports_mse)
{
    tg_dataset d;
    make_lines(&d);
    tg_model *m = tg_mlp_new(TG_F64, 2, (int64_t[]){2, 2}, TG_ACT_RELU, TG_ACT_LINEAR, 1);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_SGD);
    cfg.lr = 0.1;
    tg_optim *optim = tg_optim_new(tg_model_params(m), &cfg);
    tg_batcher *b = tg_batcher_new(&d, 32, TG_BATCH_SHUFFLE, 1);
    tg_epoch_stats s, first;
    for (int e = 0; e < 10; e++) {
        ck_assert_msg(tg_train_epoch_loss(m, optim, b, TG_LOSS_MSE, NULL, NULL, NULL, &s) == 0,
                      "%s", tg_last_error());
        if (e == 0)
            first = s;
        ck_assert(isnan(s.accuracy));
        tu_assert_close(s.mse, s.loss, 1e-12); /* the mse loss is the mse */
    }
    ck_assert_msg(s.r2 > first.r2 && s.mse < first.mse / 10, "R2 %g -> %g", first.r2, s.r2);
    ck_assert_int_eq(tg_evaluate_loss(m, &d, 100, TG_LOSS_L2, &s, NULL), 0);
    ck_assert_msg(s.r2 > 0.9999, "R2 %g", s.r2);
    ck_assert_msg(s.mse < 1e-3, "mse %g", s.mse);
    /* tg_l2_loss is half the SSE of a batch; per sample that is the mse
     * times the 2 outputs, halved */
    ck_assert_msg(fabs(s.loss / s.mse - 1) < 1e-9, "l2 %g, mse %g", s.loss, s.mse);
    ck_assert_int_eq(tg_evaluate_loss(m, &d, 100, TG_LOSS_CE, &s, NULL), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "the ce loss reads class labels, and the data "
                                                  "set has none"));
    tg_batcher_free(b);
    tg_optim_free(optim);
    tg_model_free(m);
    tg_dataset_free(&d);
}
END_TEST

/* One logit per sample: class 1 where it is above 0, a 2 x 2 confusion matrix. */
START_TEST(binary_classifier_from_one_logit)
{
    tg_dataset d;
    make_blobs(&d);
    for (int64_t i = 0; i < SAMPLES; i++)
        d.labels[i] = d.labels[i] == 1;
    d.n_classes = 2;
    tg_model *m = tg_mlp_new(TG_F32, 3, (int64_t[]){FEATURES, 8, 1}, TG_ACT_TANH, TG_ACT_LINEAR, 2);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.01;
    tg_optim *optim = tg_optim_new(tg_model_params(m), &cfg);
    tg_batcher *b = tg_batcher_new(&d, 32, TG_BATCH_SHUFFLE, 1);
    tg_epoch_stats s;
    for (int e = 0; e < EPOCHS; e++)
        ck_assert_msg(tg_train_epoch_loss(m, optim, b, TG_LOSS_BCE, NULL, NULL, NULL, &s) == 0,
                      "%s", tg_last_error());
    int64_t confusion[4];
    ck_assert_int_eq(tg_evaluate_loss(m, &d, 100, TG_LOSS_BCE_LOGITS, &s, confusion), 0);
    ck_assert_msg(s.accuracy > 0.9, "accuracy %g", s.accuracy);
    ck_assert(isnan(s.r2) && isnan(s.mse));
    ck_assert_int_eq(confusion[0] + confusion[1] + confusion[2] + confusion[3], SAMPLES);
    tu_assert_close((double)(confusion[0] + confusion[3]) / SAMPLES, s.accuracy, 1e-12);
    ck_assert_int_eq(confusion[2] + confusion[3], SAMPLES / 3 + (SAMPLES % 3 > 1)); /* label 1 */
    ck_assert_int_eq(tg_evaluate_loss(m, &d, 100, TG_LOSS_MSE, &s, NULL), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "the mse loss compares regression targets"));
    tg_batcher_free(b);
    tg_optim_free(optim);
    tg_model_free(m);
    tg_dataset_free(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tu_tcase("train");
    tcase_add_test(tc, training_learns_the_blobs);
    tcase_add_test(tc, same_seed_gives_the_same_loss_curve);
    tcase_add_test(tc, stop_request_ends_the_epoch_after_the_batch);
    tcase_add_test(tc, a_failing_step_keeps_its_message);
    tcase_add_test(tc, checkpoint_restores_identical_predictions);
    tcase_add_test(tc, regression_reaches_r2_and_reports_mse);
    tcase_add_test(tc, binary_classifier_from_one_logit);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
