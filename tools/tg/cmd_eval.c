/*
 * cmd_eval.c -- `tg eval`: a checkpoint written by tg train, measured on
 * data. The model is rebuilt from the checkpoint's metadata, its weights
 * loaded, the data normalized with the training set's statistics stored
 * beside them, and the accuracy, mean loss and confusion matrix printed, or
 * for a regression the mean squared error, R^2 and mean loss.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

typedef struct {
    const char *model;
    data_request data;
} eval_options;

static bool parse_eval_options(int argc, char **argv, eval_options *o, diag *d)
{
    *o = (eval_options){.data.seed = 1};
    const option_spec specs[] = {
        {"--model", parse_text, &o->model},        {"--data", parse_text, &o->data.spec},
        {"--val", parse_fraction, &o->data.val},   {"--seed", parse_seed, &o->data.seed},
        {"--limit", parse_positive_int, &o->data.limit},
    };
    if (!parse_options(argc, argv, "eval", specs, (int)(sizeof specs / sizeof *specs), d))
        return false;
    if (!o->model || !o->data.spec) {
        diag_plain(d, "tg eval: --model and --data are required (see tg help eval)");
        return false;
    }
    return true;
}

static int digits(int64_t v)
{
    int n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

/* "3" or, for Fashion-MNIST, "3 Dress", padded to the widest such label. */
static void put_class(int64_t k, bool named, int index_width)
{
    if (named)
        printf("%*lld %-11s", index_width, (long long)k, fashion_mnist_class(k));
    else
        printf("%*lld", index_width, (long long)k);
}

/* Rows are the true classes, columns the predicted ones, and the last
 * column the fraction of each true class that was recognised. */
static void print_confusion(const int64_t *m, int64_t n, bool named)
{
    int64_t largest = n - 1;
    for (int64_t i = 0; i < n * n; i++)
        largest = m[i] > largest ? m[i] : largest;
    int width = digits(largest) + 2, index_width = digits(n - 1);
    int label_width = index_width + (named ? 12 : 0);
    printf("\nconfusion matrix (rows: true class, columns: predicted class)\n%*s", label_width,
           "");
    for (int64_t j = 0; j < n; j++)
        printf("%*lld", width, (long long)j);
    printf("  correct\n");
    for (int64_t i = 0; i < n; i++) {
        int64_t row_total = 0;
        put_class(i, named, index_width);
        for (int64_t j = 0; j < n; j++) {
            printf("%*lld", width, (long long)m[i * n + j]);
            row_total += m[i * n + j];
        }
        if (row_total)
            printf("  %6.2f%%\n", 100.0 * (double)m[i * n + i] / (double)row_total);
        else
            printf("  %7s\n", "-");
    }
}

static bool evaluate_regression(tg_model *model, const tg_dataset *data, tg_loss_kind loss,
                                const char *spec, diag *d)
{
    tg_epoch_stats stats;
    if (tg_evaluate_loss(model, data, EVAL_BATCH, loss, &stats, NULL) < 0)
        return library_failed(d);
    printf("data %s: %lld samples, %lld targets\n", spec, (long long)data->n,
           (long long)data->n_targets);
    printf("mse %.6g, R2 %.6f, mean loss (%s) %.4f\n", stats.mse, stats.r2, tg_loss_name(loss),
           stats.loss);
    return true;
}

static bool evaluate(tg_model *model, tg_dataset *data, tg_loss_kind loss, const char *spec,
                     diag *d)
{
    if (tg_loss_is_regression(loss))
        return evaluate_regression(model, data, loss, spec, d);
    int64_t n = loss == TG_LOSS_CE ? model_classes(model) : 2; /* one logit: two classes */
    int64_t *confusion = malloc((size_t)(n * n) * sizeof *confusion);
    tg_epoch_stats stats;
    data->n_classes = n; /* a test file may lack the highest classes */
    if (!confusion)
        diag_plain(d, "out of memory");
    else if (tg_evaluate_loss(model, data, EVAL_BATCH, loss, &stats, confusion) < 0)
        library_failed(d);
    if (!d->set) {
        printf("data %s: %lld samples\n", spec, (long long)data->n);
        printf("accuracy %.2f%% (%lld/%lld), mean loss %.4f\n", 100 * stats.accuracy,
               (long long)llround(stats.accuracy * (double)data->n), (long long)data->n,
               stats.loss);
        print_confusion(confusion, n, is_fashion_mnist(spec) && n == 10);
    }
    free(confusion);
    return !d->set;
}

int cmd_eval(int argc, char **argv)
{
    eval_options o;
    architecture a;
    normalization norm = {0};
    tg_dataset data = {0};
    tg_model *model = NULL;
    char *trained_on = NULL, arch[ARCH_TEXT_MAX];
    tg_loss_kind loss;
    diag d = {0};
    int status = TG_EXIT_USAGE;
    if (parse_eval_options(argc, argv, &o, &d) &&
        (model = load_checkpoint(o.model, &a, &norm, &loss, &trained_on, &d))) {
        printf("model %s: %s, trained on %s\n", o.model, architecture_text(&a, arch, sizeof arch),
               trained_on);
        if (load_eval_data(&o.data, &data, &d) &&
            check_fits_data(&a, model, &data, loss, false, "eval", &d) &&
            normalize_data(&data, &norm, &d) && evaluate(model, &data, loss, o.data.spec, &d))
            status = 0;
    }
    if (d.set)
        diag_print(&d);
    free(trained_on);
    tg_dataset_free(&data);
    tg_model_free(model);
    normalization_free(&norm);
    return status;
}
