/* train_model.c -- the model of tg train (an MLP of --layers or a --model
 * description, train_layers.c) and the checkpoint that carries it: the
 * safetensors file holds the weights, and its metadata the description (or
 * the layer sizes and activation), the input shape, the dtype and the
 * training set's normalization, so that tg eval rebuilds the same model and
 * feeds it data prepared the same way. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* Whole numbers from 1 to 100000 separated by commas, at most max of them. */
static bool read_ints(const char *text, int64_t *out, int max, int *n)
{
    *n = 0;
    for (const char *p = text;; p++) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || *p == '+' || *p == '-' || errno || v < 1 || v > 100000 || *n == max ||
            (*end && *end != ','))
            return false;
        out[(*n)++] = v;
        if (!*end)
            return true;
        p = end;
    }
}

/* Sizes "784,128,10": at least two. */
static bool read_sizes(const char *text, architecture *a)
{
    return read_ints(text, a->sizes, MAX_LAYER_SIZES, &a->n_sizes) && a->n_sizes >= 2;
}

bool parse_layers(const char *text, architecture *a, const char *cmd, diag *d)
{
    if (read_sizes(text, a))
        return true;
    diag_plain(d, "tg %s: --layers wants 2 to %d sizes from 1 to 100000 separated by commas, "
                  "such as 784,128,10, not '%s'", cmd, MAX_LAYER_SIZES, text);
    return false;
}

/* Step passes no gradient and softmax belongs in the loss, so neither can
 * be a hidden layer that learns. */
static bool can_train(tg_activation act) { return act != TG_ACT_STEP && act != TG_ACT_SOFTMAX; }

bool hidden_activation_known(const char *name, tg_activation *act)
{
    for (int k = 0; k < TG_ACT_COUNT; k++)
        if (strcmp(name, tg_activation_name((tg_activation)k)) == 0 && can_train((tg_activation)k)) {
            *act = (tg_activation)k;
            return true;
        }
    return false;
}

bool parse_hidden_activation(const char *name, tg_activation *act, diag *d)
{
    if (tg_activation_parse(name, act) < 0)
        return library_failed(d);
    if (!can_train(*act)) {
        diag_plain(d, "activation '%s' cannot train a hidden layer; use relu, leaky_relu, "
                      "sigmoid, tanh, gelu, silu or linear", name);
        return false;
    }
    return true;
}

/* --model TEXT, or --model @FILE with the text in a file. */
bool parse_model(const char *arg, architecture *a, diag *d)
{
    if (arg[0] != '@') {
        if (strlen(arg) >= sizeof a->text) {
            diag_plain(d, "tg train: --model: the description is longer than %d bytes",
                       MAX_MODEL_TEXT - 1);
            return false;
        }
        strcpy(a->text, arg);
        return parse_model_text(a->text, a, d);
    }
    FILE *f = fopen(arg + 1, "r");
    size_t n = f ? fread(a->text, 1, sizeof a->text, f) : 0;
    bool read_whole = f && !ferror(f) && n < sizeof a->text;
    if (!f)
        diag_plain(d, "tg train: --model %s: %s", arg, strerror(errno));
    else if (!read_whole)
        diag_plain(d, "tg train: --model %s: %s", arg,
                   ferror(f) ? "cannot be read" : "longer than 4095 bytes");
    if (f)
        fclose(f);
    if (!read_whole)
        return false;
    a->text[n] = '\0';
    return parse_model_text(a->text, a, d);
}

bool parse_dtype(const char *name, tg_dtype *dtype, diag *d)
{
    for (int k = TG_F32; k <= TG_F64; k++)
        if (strcmp(name, tg_dtype_name((tg_dtype)k)) == 0) {
            *dtype = (tg_dtype)k;
            return true;
        }
    diag_plain(d, "dtype '%s' is not f32 or f64", name);
    return false;
}

static char *ints_text(const int64_t *v, int n, const char *separator, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? separator : "",
                                (long long)v[i]);
    return buf;
}

static char *sizes_text(const architecture *a, const char *separator, char *buf, size_t size)
{
    return ints_text(a->sizes, a->n_sizes, separator, buf, size);
}

char *architecture_text(const architecture *a, char *buf, size_t size)
{
    char sizes[256], canonical[MAX_MODEL_TEXT];
    if (a->text[0])
        snprintf(buf, size, "%s (%s)", model_text(a, canonical, sizeof canonical),
                 tg_dtype_name(a->dtype));
    else
        snprintf(buf, size, "%s %s %s", sizes_text(a, "-", sizes, sizeof sizes),
                 tg_activation_name(a->act), tg_dtype_name(a->dtype));
    return buf;
}

static int64_t input_size(const architecture *a)
{
    int64_t n = 1;
    for (int k = 0; k < a->in_ndim; k++)
        n *= a->in_shape[k];
    return n;
}

bool set_input_shape(architecture *a, int64_t dim, bool images, const char *cmd, diag *d)
{
    const layer_spec *first = a->n_layers ? &a->layers[0] : NULL;
    if (!a->text[0]) {
        a->in_ndim = 1;
        a->in_shape[0] = a->sizes[0];
    } else if (first->kind == SPEC_INPUT) {
        a->in_ndim = first->n_numbers;
        for (int k = 0; k < a->in_ndim; k++)
            a->in_shape[k] = (int64_t)first->numbers[k];
    } else if (images && dim == 28 * 28) {
        a->in_ndim = 3;
        memcpy(a->in_shape, (int64_t[]){1, 28, 28}, 3 * sizeof *a->in_shape);
    } else {
        a->in_ndim = 1;
        a->in_shape[0] = dim;
    }
    if (input_size(a) != dim)
        diag_plain(d, "tg %s: the data has %lld features but the model's %s takes %lld", cmd,
                   (long long)dim, a->text[0] ? "input(...)" : "first layer",
                   (long long)input_size(a));
    return !d->set;
}

int64_t model_classes(const tg_model *model)
{
    int64_t shape[TG_MAX_DIMS];
    int ndim = tg_model_output_shape(model, shape);
    return ndim == 1 ? shape[0] : -1;
}

/* A regression loss needs targets, a classifier's labels; bce and
 * bce_logits two classes at most. */
static bool check_fits_loss(tg_loss_kind loss, const tg_dataset *data, const char *cmd, diag *d)
{
    const char *name = tg_loss_name(loss);
    if (tg_loss_is_regression(loss) && !data->targets)
        diag_plain(d, "tg %s: --loss %s is a regression loss and the data has class labels, no "
                      "targets; name them with csv:PATH:target=COL", cmd, name);
    else if (!tg_loss_is_regression(loss) && !data->labels)
        diag_plain(d, "tg %s: --loss %s trains a classifier and the data has regression targets, "
                      "no labels; use --loss mse, sse, l2 or huber", cmd, name);
    else if (loss != TG_LOSS_CE && data->labels && data->n_classes > 2)
        diag_plain(d, "tg %s: --loss %s trains a binary classifier (labels 0 and 1) and the data "
                      "has %lld classes; use --loss ce", cmd, name, (long long)data->n_classes);
    return !d->set;
}

bool check_fits_data(const architecture *a, const tg_model *model, const tg_dataset *data,
                     tg_loss_kind loss, bool exact_classes, const char *cmd, diag *d)
{
    int64_t out = model_classes(model);
    if (!check_fits_loss(loss, data, cmd, d))
        return false;
    if (data->dim != input_size(a))
        diag_plain(d, "tg %s: the data has %lld features but the model's first layer takes %lld",
                   cmd, (long long)data->dim, (long long)input_size(a));
    else if (out < 0)
        diag_plain(d, "tg %s: the model must end in one score per class; put flatten and a dense "
                      "layer last", cmd);
    else if (tg_loss_is_regression(loss) && data->n_targets != out)
        diag_plain(d, "tg %s: the data has %lld targets but the model's last layer has %lld "
                      "outputs", cmd, (long long)data->n_targets, (long long)out);
    else if (loss != TG_LOSS_CE && data->labels && out != 1)
        diag_plain(d, "tg %s: --loss %s wants one output, a logit, but the model's last layer has "
                      "%lld; end the model with 1", cmd, tg_loss_name(loss), (long long)out);
    else if (loss == TG_LOSS_CE &&
             (exact_classes ? data->n_classes != out : data->n_classes > out))
        diag_plain(d, "tg %s: the data has %lld classes (labels 0..%lld) but the model's last "
                      "layer has %lld outputs", cmd, (long long)data->n_classes,
                   (long long)data->n_classes - 1, (long long)out);
    return !d->set;
}

tg_model *build_model(const architecture *a, uint64_t seed, diag *d)
{
    if (a->text[0])
        return build_described_model(a, seed, 0, d);
    tg_model *m = tg_mlp_new(a->dtype, a->n_sizes, a->sizes, a->act, TG_ACT_LINEAR, seed);
    if (!m)
        library_failed(d);
    return m;
}

/* ---- the checkpoint's metadata ------------------------------------------- */

/* One number for global statistics, one per feature otherwise; %.9g gives
 * back the same float when read. */
static char *floats_text(const float *v, int64_t n)
{
    char *text = malloc((size_t)n * 17 + 1), *p = text;
    for (int64_t i = 0; text && i < n; i++)
        p += sprintf(p, i ? ",%.9g" : "%.9g", (double)v[i]);
    return text;
}

/* Writes base's pairs and then extra's (either may end early at a NULL
 * key) to path with tensors. */
static bool write_with_metadata(const tg_params *tensors, const char *path,
                                const char *const *base, const char *const *extra, diag *d)
{
    size_t nb = 0, ne = 0;
    while (base[nb])
        nb += 2;
    while (extra && extra[ne])
        ne += 2;
    const char **all = malloc((nb + ne + 1) * sizeof *all);
    if (!all) {
        diag_plain(d, "out of memory");
        return false;
    }
    memcpy(all, base, nb * sizeof *all);
    if (ne) /* extra may be NULL, which memcpy may not take even for 0 bytes */
        memcpy(all + nb, extra, ne * sizeof *all);
    all[nb + ne] = NULL;
    bool ok = tg_checkpoint_save(tensors, path, all) == 0 || library_failed(d);
    free(all);
    return ok;
}

bool save_checkpoint(tg_model *model, const char *path, const architecture *a,
                     const normalization *norm, const run_facts *facts, diag *d)
{
    return save_checkpoint_with(model, NULL, NULL, path, a, norm, facts, d);
}

bool save_checkpoint_with(tg_model *model, const tg_params *tensors, const char *const *extra,
                          const char *path, const architecture *a, const normalization *norm,
                          const run_facts *facts, diag *d)
{
    int64_t n_stats = norm->mode == TG_NORM_GLOBAL ? 1 : norm->dim;
    char *mean = floats_text(norm->mean, n_stats), *std = floats_text(norm->std, n_stats);
    char sizes[256], canonical[MAX_MODEL_TEXT], input[128], accuracy[32], mse[32], r2[32];
    bool described = a->text[0];
    bool regression = tg_loss_is_regression(facts->loss);
    snprintf(accuracy, sizeof accuracy, "%.6f", facts->test->accuracy);
    snprintf(mse, sizeof mse, "%.9g", facts->test->mse);
    snprintf(r2, sizeof r2, "%.6f", facts->test->r2);
    const char *metadata[] = {
        described ? "model" : "layers",
        described ? model_text(a, canonical, sizeof canonical) : sizes_text(a, ",", sizes, sizeof sizes),
        described ? "input" : "activation",
        described ? ints_text(a->in_shape, a->in_ndim, ",", input, sizeof input)
                  : tg_activation_name(a->act),
        "dtype", tg_dtype_name(a->dtype),
        "data", facts->data,
        "normalization", norm->mode == TG_NORM_GLOBAL ? "global" : "per_feature",
        "mean", mean,
        "std", std,
        "epochs", facts->epochs,
        "loss", tg_loss_name(facts->loss),
        regression ? "test_mse" : "test_accuracy", regression ? mse : accuracy,
        regression ? "test_r2" : NULL, r2,
        NULL};
    if (!mean || !std)
        diag_plain(d, "out of memory");
    else
        write_with_metadata(tensors ? tensors : tg_model_params(model), path, metadata, extra, d);
    free(mean);
    free(std);
    return !d->set;
}

/* The metadata value under key, which lives as long as ck; NULL with d set
 * when the file has no such key. */
static const char *read_metadata(const tg_checkpoint *ck, const char *path, const char *key,
                                 diag *d)
{
    const char *value = tg_checkpoint_metadata(ck, key);
    if (!value)
        diag_plain(d, "%s: no metadata key \"%s\"; the file was not written by tg train", path,
                   key);
    return value;
}

static bool bad_metadata(const char *path, const char *key, const char *value, diag *d)
{
    diag_plain(d, "%s: metadata \"%s\" has a bad value '%.60s'", path, key, value);
    return false;
}

/* Reads n comma-separated floats, or one that stands for all n (global
 * statistics); deviations must be positive. */
static bool read_floats(const char *text, float *out, int64_t n, bool positive)
{
    int64_t count = 0;
    for (const char *p = text;; p++) {
        char *end;
        errno = 0;
        float v = strtof(p, &end);
        if (end == p || errno || !isfinite(v) || (positive && v <= 0) || count == n ||
            (*end && *end != ','))
            return false;
        out[count++] = v;
        if (!*end)
            break;
        p = end;
    }
    for (int64_t i = count; count == 1 && i < n; i++)
        out[i] = out[0];
    return count == 1 || count == n;
}

static bool read_normalization(const tg_checkpoint *ck, const char *path, int64_t dim,
                               normalization *norm, diag *d)
{
    const char *mode = read_metadata(ck, path, "normalization", d);
    const char *mean = mode ? read_metadata(ck, path, "mean", d) : NULL;
    const char *std = mean ? read_metadata(ck, path, "std", d) : NULL;
    norm->dim = dim;
    norm->mode = mode && strcmp(mode, "global") == 0 ? TG_NORM_GLOBAL : TG_NORM_PER_FEATURE;
    norm->mean = malloc((size_t)dim * sizeof *norm->mean);
    norm->std = malloc((size_t)dim * sizeof *norm->std);
    if (std && (!norm->mean || !norm->std))
        diag_plain(d, "out of memory");
    else if (std && strcmp(mode, "global") != 0 && strcmp(mode, "per_feature") != 0)
        bad_metadata(path, "normalization", mode, d);
    else if (std && !read_floats(mean, norm->mean, dim, false))
        bad_metadata(path, "mean", mean, d);
    else if (std && !read_floats(std, norm->std, dim, true))
        bad_metadata(path, "std", std, d);
    return !d->set;
}

/* A --model description and the input shape it was built for. */
static bool read_description(const tg_checkpoint *ck, const char *path, const char *model,
                             architecture *a, diag *d)
{
    const char *input = read_metadata(ck, path, "input", d);
    if (input && strlen(model) >= sizeof a->text)
        bad_metadata(path, "model", model, d);
    else if (input && !read_ints(input, a->in_shape, TG_MAX_DIMS - 1, &a->in_ndim))
        bad_metadata(path, "input", input, d);
    else if (input)
        parse_model_text(strcpy(a->text, model), a, d);
    return !d->set;
}

static bool read_architecture(const tg_checkpoint *ck, const char *path, architecture *a,
                              diag *d)
{
    const char *model = tg_checkpoint_metadata(ck, "model");
    const char *layers = model ? NULL : read_metadata(ck, path, "layers", d);
    const char *act = layers ? read_metadata(ck, path, "activation", d) : NULL;
    const char *dtype = model || act ? read_metadata(ck, path, "dtype", d) : NULL;
    a->text[0] = '\0'; /* a sizes-only file has no layer descriptions */
    a->n_layers = 0;
    if (dtype && model)
        read_description(ck, path, model, a, d);
    else if (dtype && !read_sizes(layers, a))
        bad_metadata(path, "layers", layers, d);
    else if (dtype && parse_hidden_activation(act, &a->act, d))
        set_input_shape(a, a->sizes[0], false, "eval", d);
    return dtype && !d->set && parse_dtype(dtype, &a->dtype, d);
}

/* How many values the file's bytes hold: a small crafted file must not make
 * eval build (and fill) a huge model before the load finds that its
 * tensors are missing. */
static double values_in_file(const tg_checkpoint *ck, const architecture *a)
{
    return (double)tg_checkpoint_data_size(ck) / (a->dtype == TG_F32 ? 4 : 8);
}

/* The MLP the metadata describes must fit in the file's bytes. */
static bool fits_file(const tg_checkpoint *ck, const char *path, const architecture *a, diag *d)
{
    double values = 0;
    for (int k = 0; !a->text[0] && k + 1 < a->n_sizes; k++)
        values += (double)a->sizes[k] * (double)a->sizes[k + 1] + (double)a->sizes[k + 1];
    if (values <= values_in_file(ck, a))
        return true;
    diag_plain(d, "%s: its metadata describes %.0f parameters, more than its %llu bytes of data "
                  "hold", path, values, (unsigned long long)tg_checkpoint_data_size(ck));
    return false;
}

static char *copy_text(const char *text, diag *d)
{
    char *copy = malloc(strlen(text) + 1);
    if (!copy)
        diag_plain(d, "out of memory");
    return copy ? strcpy(copy, text) : NULL;
}

/* One read of the file (tg_checkpoint_open): the architecture, the
 * normalization and the weights all come from the same checkpoint even if
 * path is replaced meanwhile. */
/* The loss the model was trained with; files from before --loss have none
 * and were trained with ce. */
static bool read_loss(const tg_checkpoint *ck, const char *path, tg_loss_kind *loss, diag *d)
{
    const char *name = tg_checkpoint_metadata(ck, "loss");
    *loss = TG_LOSS_CE;
    return !name || tg_loss_parse(name, loss) == 0 ? true : bad_metadata(path, "loss", name, d);
}

static tg_model *model_from(const tg_checkpoint *ck, const char *path, architecture *a,
                            normalization *norm, tg_loss_kind *loss, char **trained_on, diag *d)
{
    const char *data = NULL;
    if (!read_architecture(ck, path, a, d) || !read_loss(ck, path, loss, d) ||
        !fits_file(ck, path, a, d) ||
        !read_normalization(ck, path, input_size(a), norm, d) ||
        !(data = read_metadata(ck, path, "data", d)))
        return NULL;
    tg_model *model = a->text[0] ? build_described_model(a, 0, values_in_file(ck, a), d)
                                 : build_model(a, 0, d);
    /* a --state file holds the optimizer's tensors too */
    unsigned flags = tg_checkpoint_metadata(ck, TRAIN_STATE_KEY) ? TG_CHECKPOINT_ALLOW_EXTRA : 0;
    if (model && tg_checkpoint_apply(ck, tg_model_params(model), flags) < 0)
        library_failed(d);
    if (model && !d->set)
        *trained_on = copy_text(data, d);
    if (model && d->set) {
        tg_model_free(model);
        model = NULL;
    }
    return model;
}

tg_model *load_checkpoint(const char *path, architecture *a, normalization *norm,
                          tg_loss_kind *loss, char **trained_on, diag *d)
{
    *trained_on = NULL;
    tg_checkpoint *ck = tg_checkpoint_open(path);
    tg_model *model = ck ? model_from(ck, path, a, norm, loss, trained_on, d) : NULL;
    if (!ck)
        library_failed(d);
    tg_checkpoint_close(ck);
    return model;
}
