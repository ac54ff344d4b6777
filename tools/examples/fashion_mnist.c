/*
 * fashion_mnist.c -- trains a ReLU MLP on Fashion-MNIST (Debian's
 * dataset-fashion-mnist) with mini-batch Adam or SGD and cross-entropy, and
 * prints per epoch the training loss, the test accuracy and the time.
 * Pixels are standardized with the training set's global mean and standard
 * deviation; the learning rate follows a cosine from --lr down to 0 over the
 * epochs.
 *
 *   fashion_mnist [--layers 784,128,10] [--epochs 10] [--batch 64]
 *                 [--opt adam|sgd] [--lr 0.001] [--seed 1] [--limit N]
 *                 [--data DIR] [--save FILE] [--min-accuracy A]
 *
 * --limit trains and tests on the first N samples of each set (for quick
 * runs); --min-accuracy makes the exit status 1 if the final test accuracy
 * is below A (for tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/nn.h>
#include <tapegrad/tapegrad.h>

typedef struct {
    int64_t sizes[16];
    int n_sizes;
    int epochs;
    int64_t batch, limit;
    tg_optim_kind opt;
    double lr, min_accuracy;
    uint64_t seed;
    const char *data_dir, *save;
} options;

static int parse_sizes(const char *text, options *o)
{
    char *end;
    o->n_sizes = 0;
    for (const char *p = text; *p && o->n_sizes < 16; p = *end ? end + 1 : end) {
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 1 || (*end && *end != ','))
            return -1;
        o->sizes[o->n_sizes++] = v;
    }
    return o->n_sizes >= 2 ? 0 : -1;
}

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.sizes = {784, 128, 10}, .n_sizes = 3, .epochs = 10, .batch = 64,
                   .opt = TG_OPTIM_ADAM, .lr = 1e-3, .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value)
            return fprintf(stderr, "fashion_mnist: %s needs a value\n", flag), -1;
        i++;
        if (!strcmp(flag, "--layers") && parse_sizes(value, o) == 0)
            continue;
        if (!strcmp(flag, "--epochs") && (o->epochs = atoi(value)) > 0)
            continue;
        if (!strcmp(flag, "--batch") && (o->batch = atoll(value)) > 0)
            continue;
        if (!strcmp(flag, "--limit") && (o->limit = atoll(value)) > 0)
            continue;
        if (!strcmp(flag, "--lr") && (o->lr = atof(value)) > 0)
            continue;
        if (!strcmp(flag, "--seed")) {
            o->seed = strtoull(value, NULL, 10);
            continue;
        }
        if (!strcmp(flag, "--opt") && (!strcmp(value, "adam") || !strcmp(value, "sgd"))) {
            o->opt = strcmp(value, "adam") ? TG_OPTIM_SGD : TG_OPTIM_ADAM;
            continue;
        }
        if (!strcmp(flag, "--data")) {
            o->data_dir = value;
            continue;
        }
        if (!strcmp(flag, "--save")) {
            o->save = value;
            continue;
        }
        if (!strcmp(flag, "--min-accuracy")) {
            o->min_accuracy = atof(value);
            continue;
        }
        return fprintf(stderr, "fashion_mnist: bad option %s %s\n", flag, value), -1;
    }
    return 0;
}

/* Uses only the first limit samples; tg_dataset_free still frees them all
 * (it goes by d->cap). */
static void keep_first(tg_dataset *d, int64_t limit)
{
    if (limit > 0 && limit < d->n)
        d->n = limit;
}

/* Standardizes both sets with the training set's global statistics. */
static int standardize(tg_dataset *train_set, tg_dataset *test_set)
{
    float *stats = malloc(2 * (size_t)train_set->dim * sizeof *stats);
    if (!stats)
        return -1;
    float *mean = stats, *std = stats + train_set->dim;
    int rc = tg_dataset_standardize(train_set, TG_NORM_GLOBAL, mean, std);
    if (rc == 0)
        rc = tg_dataset_normalize(test_set, mean, std);
    free(stats);
    return rc;
}

static int fail(const char *what)
{
    fprintf(stderr, "fashion_mnist: %s: %s\n", what, tg_last_error());
    return 1;
}

static int train(const options *o, tg_dataset *train_set, tg_dataset *test_set)
{
    tg_model *model = tg_mlp_new(TG_F32, o->n_sizes, o->sizes, TG_ACT_RELU, TG_ACT_LINEAR, o->seed);
    if (!model)
        return fail("building the model");
    tg_optim_config cfg = tg_optim_defaults(o->opt);
    cfg.lr = o->lr;
    tg_optim *optim = tg_optim_new(tg_model_params(model), &cfg);
    tg_batcher *batcher = tg_batcher_new(train_set, o->batch, TG_BATCH_SHUFFLE, o->seed);
    int status = optim && batcher ? 0 : fail("setting up training");
    char summary[1024];
    tg_model_summary(model, summary, sizeof summary);
    printf("%s", summary);
    tg_epoch_stats tr, te = {0};
    for (int epoch = 1; status == 0 && epoch <= o->epochs; epoch++) {
        tg_optim_set_lr(optim, tg_lr_cosine(o->lr, 0, epoch - 1, o->epochs));
        if (tg_train_epoch(model, optim, batcher, NULL, NULL, NULL, &tr) < 0 ||
            tg_evaluate(model, test_set, 1000, &te, NULL) < 0) {
            status = fail("training");
            break;
        }
        printf("epoch %2d  train loss %.4f  train acc %.2f%%  test acc %.2f%%  %.2f s/epoch\n",
               epoch, tr.loss, 100 * tr.accuracy, 100 * te.accuracy, tr.seconds);
        fflush(stdout);
    }
    if (status == 0 && o->save && tg_checkpoint_save(tg_model_params(model), o->save, NULL) < 0)
        status = fail("saving");
    if (status == 0 && te.accuracy < o->min_accuracy) {
        fprintf(stderr, "fashion_mnist: test accuracy %.4f is below %.4f\n", te.accuracy,
                o->min_accuracy);
        status = 1;
    }
    tg_batcher_free(batcher);
    tg_optim_free(optim);
    tg_model_free(model);
    return status;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    tg_dataset train_set = {0}, test_set = {0};
    if (tg_fashion_mnist_load(o.data_dir, true, &train_set) < 0 ||
        tg_fashion_mnist_load(o.data_dir, false, &test_set) < 0) {
        tg_dataset_free(&train_set);
        return fail("loading Fashion-MNIST");
    }
    keep_first(&train_set, o.limit);
    keep_first(&test_set, o.limit);
    if (standardize(&train_set, &test_set) < 0)
        return fail("standardizing");
    printf("Fashion-MNIST: %lld training and %lld test images\n", (long long)train_set.n,
           (long long)test_set.n);
    int status = train(&o, &train_set, &test_set);
    tg_dataset_free(&train_set);
    tg_dataset_free(&test_set);
    tg_tape_destroy();
    return status;
}
