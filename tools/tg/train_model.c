/* train_model.c -- the MLP of tg train and the checkpoint that carries it:
 * the safetensors file holds the weights, and its metadata the layer sizes,
 * activation, dtype and the training set's normalization, so that tg eval
 * rebuilds the same model and feeds it data prepared the same way. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* Sizes "784,128,10": at least two, each a positive whole number. */
static bool read_sizes(const char *text, architecture *a)
{
    a->n_sizes = 0;
    for (const char *p = text;; p++) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || *p == '+' || *p == '-' || errno || v < 1 || v > 100000 ||
            a->n_sizes == MAX_LAYER_SIZES || (*end && *end != ','))
            return false;
        a->sizes[a->n_sizes++] = v;
        if (!*end)
            return a->n_sizes >= 2;
        p = end;
    }
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
bool parse_hidden_activation(const char *name, tg_activation *act, diag *d)
{
    if (tg_activation_parse(name, act) < 0)
        return library_failed(d);
    if (*act == TG_ACT_STEP || *act == TG_ACT_SOFTMAX) {
        diag_plain(d, "activation '%s' cannot train a hidden layer; use relu, leaky_relu, "
                      "sigmoid, tanh or linear", name);
        return false;
    }
    return true;
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

static char *sizes_text(const architecture *a, const char *separator, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < a->n_sizes && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? separator : "",
                                (long long)a->sizes[i]);
    return buf;
}

char *architecture_text(const architecture *a, char *buf, size_t size)
{
    char sizes[256];
    snprintf(buf, size, "%s %s %s", sizes_text(a, "-", sizes, sizeof sizes),
             tg_activation_name(a->act), tg_dtype_name(a->dtype));
    return buf;
}

bool check_fits_data(const architecture *a, const tg_dataset *data, bool exact_classes,
                     const char *cmd, diag *d)
{
    int64_t in = a->sizes[0], out = a->sizes[a->n_sizes - 1];
    if (data->dim != in)
        diag_plain(d, "tg %s: the data has %lld features but the model's first layer takes %lld",
                   cmd, (long long)data->dim, (long long)in);
    else if (exact_classes ? data->n_classes != out : data->n_classes > out)
        diag_plain(d, "tg %s: the data has %lld classes (labels 0..%lld) but the model's last "
                      "layer has %lld outputs", cmd, (long long)data->n_classes,
                   (long long)data->n_classes - 1, (long long)out);
    return !d->set;
}

tg_model *build_model(const architecture *a, uint64_t seed, diag *d)
{
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

bool save_checkpoint(tg_model *model, const char *path, const architecture *a,
                     const normalization *norm, const run_facts *facts, diag *d)
{
    int64_t n_stats = norm->mode == TG_NORM_GLOBAL ? 1 : norm->dim;
    char *mean = floats_text(norm->mean, n_stats), *std = floats_text(norm->std, n_stats);
    char sizes[256];
    const char *metadata[] = {
        "layers", sizes_text(a, ",", sizes, sizeof sizes),
        "activation", tg_activation_name(a->act),
        "dtype", tg_dtype_name(a->dtype),
        "data", facts->data,
        "normalization", norm->mode == TG_NORM_GLOBAL ? "global" : "per_feature",
        "mean", mean,
        "std", std,
        "epochs", facts->epochs,
        "test_accuracy", facts->test_accuracy,
        NULL};
    if (!mean || !std)
        diag_plain(d, "out of memory");
    else if (tg_checkpoint_save(tg_model_params(model), path, metadata) < 0)
        library_failed(d);
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

static bool read_architecture(const tg_checkpoint *ck, const char *path, architecture *a,
                              diag *d)
{
    const char *layers = read_metadata(ck, path, "layers", d);
    const char *act = layers ? read_metadata(ck, path, "activation", d) : NULL;
    const char *dtype = act ? read_metadata(ck, path, "dtype", d) : NULL;
    if (dtype && !read_sizes(layers, a))
        bad_metadata(path, "layers", layers, d);
    else if (dtype && parse_hidden_activation(act, &a->act, d))
        parse_dtype(dtype, &a->dtype, d);
    return !d->set;
}

/* The model the metadata describes must fit in the file's bytes: a small
 * crafted file must not make eval build (and fill) a huge model before the
 * load finds that its tensors are missing. */
static bool fits_file(const tg_checkpoint *ck, const char *path, const architecture *a, diag *d)
{
    double values = 0, bytes = a->dtype == TG_F32 ? 4 : 8;
    for (int k = 0; k + 1 < a->n_sizes; k++)
        values += (double)a->sizes[k] * (double)a->sizes[k + 1] + (double)a->sizes[k + 1];
    if (values * bytes <= (double)tg_checkpoint_data_size(ck))
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
static tg_model *model_from(const tg_checkpoint *ck, const char *path, architecture *a,
                            normalization *norm, char **trained_on, diag *d)
{
    const char *data = NULL;
    if (!read_architecture(ck, path, a, d) || !fits_file(ck, path, a, d) ||
        !read_normalization(ck, path, a->sizes[0], norm, d) ||
        !(data = read_metadata(ck, path, "data", d)))
        return NULL;
    tg_model *model = build_model(a, 0, d);
    if (model && tg_checkpoint_apply(ck, tg_model_params(model), 0) < 0)
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
                          char **trained_on, diag *d)
{
    *trained_on = NULL;
    tg_checkpoint *ck = tg_checkpoint_open(path);
    tg_model *model = ck ? model_from(ck, path, a, norm, trained_on, d) : NULL;
    if (!ck)
        library_failed(d);
    tg_checkpoint_close(ck);
    return model;
}
