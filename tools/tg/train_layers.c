/* train_layers.c -- tg train's model descriptions: the text of --model
 * (or of the file --model @FILE names), read into layer specs, written back
 * in one canonical form for the checkpoint's metadata, and built into a
 * tg_model for the shape of one sample.
 *
 *     conv2d(32,3,pad=1) relu maxpool(2) flatten dense(10)
 *
 * Layers are separated by white space; a layer is a name, optionally with
 * arguments in parentheses: numbers first, then key=value pairs. # starts a
 * comment that runs to the end of the line (for files). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

typedef struct {
    const char *name;
    spec_kind kind;
    int min_numbers, max_numbers;
    const char *keys; /* the key=value pairs it takes, space separated */
} layer_word;

#define CONV_KEYS "stride pad dilation groups bias"
#define POOL_KEYS "stride pad"

static const layer_word vocabulary[] = {
    {"input", SPEC_INPUT, 1, TG_MAX_DIMS - 1, ""},
    {"dense", SPEC_DENSE, 1, 1, "bias"},
    {"linear", SPEC_DENSE, 1, 1, "bias"},
    {"conv1d", SPEC_CONV1D, 2, 2, CONV_KEYS},
    {"conv2d", SPEC_CONV2D, 2, 3, CONV_KEYS},
    {"maxpool", SPEC_MAX_POOL, 1, 2, POOL_KEYS},
    {"maxpool2d", SPEC_MAX_POOL, 1, 2, POOL_KEYS},
    {"maxpool1d", SPEC_MAX_POOL, 1, 1, POOL_KEYS},
    {"avgpool", SPEC_AVG_POOL, 1, 2, POOL_KEYS},
    {"avgpool2d", SPEC_AVG_POOL, 1, 2, POOL_KEYS},
    {"avgpool1d", SPEC_AVG_POOL, 1, 1, POOL_KEYS},
    {"dropout", SPEC_DROPOUT, 0, 1, ""},
    {"flatten", SPEC_FLATTEN, 0, 0, ""},
    {"batchnorm", SPEC_BATCH_NORM, 0, 0, ""},
    {"batchnorm1d", SPEC_BATCH_NORM, 0, 0, ""},
    {"batchnorm2d", SPEC_BATCH_NORM, 0, 0, ""},
    {"layernorm", SPEC_LAYER_NORM, 0, 1, ""},
    {"leaky_relu", SPEC_ACTIVATION, 0, 1, ""},
};

/* ---- reading ---- */

typedef struct {
    const char *text;
    const char *p;
    diag *d;
} reader;

static void skip_space(reader *r)
{
    for (;;) {
        while (isspace((unsigned char)*r->p))
            r->p++;
        if (*r->p != '#')
            return;
        while (*r->p && *r->p != '\n')
            r->p++;
    }
}

static bool fail_at(reader *r, const char *at, const char *fmt, const char *word)
{
    char message[200];
    snprintf(message, sizeof message, fmt, word);
    diag_at(r->d, r->text, "--model", (int)(at - r->text), "tg train: --model: %s", message);
    return false;
}

static size_t word_length(const char *p)
{
    size_t n = 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '_')
        n++;
    return n;
}

static bool find_word(reader *r, const char *word, size_t len, layer_spec *s,
                      const layer_word **found)
{
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), word);
    for (size_t i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
        if (strcmp(vocabulary[i].name, name) == 0) {
            *found = &vocabulary[i];
            s->kind = vocabulary[i].kind;
            s->spatial = strstr(name, "2d") ? 2 : strstr(name, "1d") ? 1 : 0;
            s->act = TG_ACT_LEAKY_RELU;
            return true;
        }
    static const layer_word activation = {"", SPEC_ACTIVATION, 0, 0, ""};
    tg_activation act;
    if (hidden_activation_known(name, &act)) {
        *found = &activation;
        s->kind = SPEC_ACTIVATION;
        s->act = act;
        return true;
    }
    return fail_at(r, word, "unknown layer '%s' (see tg help train for the layers)", name);
}

static bool read_number(reader *r, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(r->p, &end);
    if (end == r->p || errno || !isfinite(*v))
        return fail_at(r, r->p, "expected a number%s", "");
    r->p = end;
    return true;
}

static bool whole(reader *r, const char *at, double v, int64_t *out)
{
    if (v != floor(v) || v < 0 || v > 1000000)
        return fail_at(r, at, "expected a whole number from 0 to 1000000%s", "");
    *out = (int64_t)v;
    return true;
}

static bool set_key(reader *r, layer_spec *s, const char *key, size_t len, const char *at)
{
    double v;
    bool conv = s->kind == SPEC_CONV1D || s->kind == SPEC_CONV2D;
    if (conv && len == 3 && memcmp(key, "pad", 3) == 0 && strncmp(r->p, "same", 4) == 0 &&
        !isalnum((unsigned char)r->p[4])) {
        s->conv.same = true;
        r->p += 4;
        return true;
    }
    if (!read_number(r, &v))
        return false;
    int64_t n;
    if (!whole(r, at, v, &n))
        return false;
    if (len == 4 && memcmp(key, "bias", 4) == 0 && n <= 1)
        s->no_bias = n == 0;
    else if (len == 6 && memcmp(key, "stride", 6) == 0 && n >= 1)
        s->conv.stride[0] = s->conv.stride[1] = n;
    else if (len == 3 && memcmp(key, "pad", 3) == 0)
        s->conv.padding[0] = s->conv.padding[1] = n;
    else if (len == 8 && memcmp(key, "dilation", 8) == 0 && n >= 1)
        s->conv.dilation[0] = s->conv.dilation[1] = n;
    else if (len == 6 && memcmp(key, "groups", 6) == 0 && n >= 1)
        s->conv.groups = n;
    else
        return fail_at(r, at, "this value does not suit the key%s", "");
    return true;
}

static bool takes_key(const layer_word *w, const char *key, size_t len)
{
    for (const char *k = w->keys; *k;) {
        size_t n = strcspn(k, " ");
        if (n == len && memcmp(k, key, len) == 0)
            return true;
        k += n + (k[n] == ' ');
    }
    return false;
}

static bool read_argument(reader *r, const layer_word *w, layer_spec *s)
{
    const char *at = r->p;
    size_t len = word_length(r->p);
    if (len && r->p[len] == '=' && !isdigit((unsigned char)*r->p)) {
        if (!takes_key(w, r->p, len))
            return fail_at(r, at, "this layer takes no such key (it takes: %s)",
                           *w->keys ? w->keys : "none");
        r->p += len + 1;
        return set_key(r, s, at, len, at);
    }
    if (s->n_numbers == w->max_numbers)
        return fail_at(r, at, "too many numbers for this layer%s", "");
    return read_number(r, &s->numbers[s->n_numbers++]);
}

static bool read_arguments(reader *r, const layer_word *w, layer_spec *s)
{
    if (*r->p != '(')
        return true;
    r->p++;
    skip_space(r);
    while (*r->p != ')') {
        if (!read_argument(r, w, s))
            return false;
        skip_space(r);
        if (*r->p == ',') {
            r->p++;
            skip_space(r);
        } else if (*r->p != ')') {
            return fail_at(r, r->p, "expected ',' or ')'%s", "");
        }
    }
    r->p++;
    return true;
}

/* The numbers' meaning: sizes are whole and positive, a slope or fraction
 * finite. */
static bool check_numbers(reader *r, const layer_word *w, layer_spec *s, const char *at)
{
    if (s->n_numbers < w->min_numbers)
        return fail_at(r, at, "this layer needs %s", w->min_numbers == 1 ? "a size"
                                                     : "out_channels and a kernel size");
    if (s->kind == SPEC_DROPOUT) {
        s->slope = s->n_numbers ? s->numbers[0] : 0.5; /* PyTorch's default p */
        return s->slope >= 0 && s->slope < 1 ? true
                                             : fail_at(r, at, "dropout's p is from 0 to 1 (not "
                                                              "1)%s", "");
    }
    for (int i = 0; i < s->n_numbers && s->kind != SPEC_ACTIVATION; i++) {
        int64_t n;
        if (!whole(r, at, s->numbers[i], &n) || n < 1)
            return n < 1 && !r->d->set ? fail_at(r, at, "sizes must be positive%s", "") : false;
    }
    if (s->kind == SPEC_ACTIVATION)
        s->slope = s->n_numbers ? s->numbers[0] : 0.01;
    return true;
}

static bool read_layer(reader *r, layer_spec *s)
{
    const char *at = r->p;
    size_t len = word_length(r->p);
    const layer_word *w;
    *s = (layer_spec){.offset = (int)(at - r->text)};
    if (!len)
        return fail_at(r, at, "expected a layer name%s", "");
    if (!find_word(r, at, len, s, &w))
        return false;
    r->p += len;
    return read_arguments(r, w, s) && check_numbers(r, w, s, at);
}

bool parse_model_text(const char *text, architecture *a, diag *d)
{
    reader r = {text, text, d};
    a->n_layers = 0;
    skip_space(&r);
    while (*r.p) {
        if (a->n_layers == MAX_MODEL_LAYERS)
            return fail_at(&r, r.p, "more than 64 layers%s", "");
        layer_spec *s = &a->layers[a->n_layers];
        if (!read_layer(&r, s))
            return false;
        if (s->kind == SPEC_INPUT && a->n_layers)
            return fail_at(&r, text + s->offset, "input(...) must come first%s", "");
        a->n_layers++;
        skip_space(&r);
    }
    if (!a->n_layers || (a->n_layers == 1 && a->layers[0].kind == SPEC_INPUT))
        return fail_at(&r, r.p, "the description has no layers%s", "");
    return true;
}

/* ---- the canonical text ---- */

static size_t put(char *buf, size_t size, size_t len, const char *fmt, int64_t v)
{
    int n = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0, fmt,
                     (long long)v);
    return len + (n > 0 ? (size_t)n : 0);
}

static size_t conv_keys_text(const layer_spec *s, char *buf, size_t size, size_t len)
{
    if (s->conv.same)
        len = put(buf, size, len, ",pad=same", 0);
    else if (s->conv.padding[0])
        len = put(buf, size, len, ",pad=%lld", s->conv.padding[0]);
    if (s->conv.stride[0] > 1)
        len = put(buf, size, len, ",stride=%lld", s->conv.stride[0]);
    if (s->conv.dilation[0] > 1)
        len = put(buf, size, len, ",dilation=%lld", s->conv.dilation[0]);
    if (s->conv.groups > 1)
        len = put(buf, size, len, ",groups=%lld", s->conv.groups);
    return len;
}

static size_t spec_text(const layer_spec *s, char *buf, size_t size, size_t len)
{
    const char *name = s->kind == SPEC_ACTIVATION ? tg_activation_name(s->act) : NULL;
    for (size_t i = 0; !name && i < sizeof vocabulary / sizeof *vocabulary; i++)
        name = vocabulary[i].kind == s->kind ? vocabulary[i].name : NULL;
    len = put(buf, size, len, len ? " " : "", 0);
    len = put(buf, size, len, name, 0);
    if (s->kind == SPEC_MAX_POOL || s->kind == SPEC_AVG_POOL)
        len = put(buf, size, len, s->spatial ? "%lldd" : "", s->spatial);
    if ((s->kind == SPEC_ACTIVATION && s->act == TG_ACT_LEAKY_RELU) || s->kind == SPEC_DROPOUT) {
        /* the shortest text that reads back as the same double: 0.3, not 0.2999... */
        char number[32];
        snprintf(number, sizeof number, "%.15g", s->slope);
        if (strtod(number, NULL) != s->slope)
            snprintf(number, sizeof number, "%.17g", s->slope);
        int n = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0, "(%s)",
                         number);
        return len + (n > 0 ? (size_t)n : 0);
    }
    for (int i = 0; i < s->n_numbers; i++)
        len = put(buf, size, len, i ? ",%lld" : "(%lld", (int64_t)s->numbers[i]);
    if (s->kind != SPEC_DENSE)
        len = conv_keys_text(s, buf, size, len);
    if (s->no_bias)
        len = put(buf, size, len, ",bias=0", 0);
    return s->n_numbers ? put(buf, size, len, ")", 0) : len;
}

char *model_text(const architecture *a, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < a->n_layers; k++)
        len = spec_text(&a->layers[k], buf, size, len);
    return buf;
}

/* ---- building ---- */

/* Weights are drawn for the ReLU-like activations that follow them. */
#define DESCRIBED_INIT TG_INIT_HE_UNIFORM

/* The values the spec's weights take, from the shape it is given, so that
 * a description read from a small file cannot make tg eval allocate more
 * than the file could fill. */
static double spec_values(const layer_spec *s, const int64_t *shape, int ndim)
{
    int64_t in = ndim > 0 ? shape[0] : 0, groups = s->conv.groups ? s->conv.groups : 1;
    double out = s->numbers[0], bias = s->no_bias ? 0 : out;
    switch (s->kind) {
    case SPEC_DENSE: return (double)shape[ndim - 1] * out + bias;
    case SPEC_CONV1D: return out * (double)(in / groups) * s->numbers[1] + bias;
    case SPEC_CONV2D:
        return out * (double)(in / groups) * s->numbers[1] *
               (s->n_numbers == 3 ? s->numbers[2] : s->numbers[1]) + bias;
    case SPEC_BATCH_NORM: return 4.0 * (double)in + 1; /* weight, bias, statistics, count */
    case SPEC_LAYER_NORM: {
        int axes = s->n_numbers ? (int)s->numbers[0] : ndim;
        double v = 2; /* weight and bias of the normalized shape */
        for (int d = ndim - axes; d >= 0 && d < ndim; d++)
            v *= (double)shape[d];
        return v;
    }
    default: return 0;
    }
}

static int add_conv(tg_model *m, const layer_spec *s, tg_rng *rng)
{
    int64_t out = (int64_t)s->numbers[0], k = (int64_t)s->numbers[1];
    int64_t kernel[2] = {k, s->n_numbers == 3 ? (int64_t)s->numbers[2] : k};
    if (s->kind == SPEC_CONV1D)
        return tg_model_add_conv1d(m, out, k, &s->conv, !s->no_bias, DESCRIBED_INIT, rng);
    return tg_model_add_conv2d(m, out, kernel, &s->conv, !s->no_bias, DESCRIBED_INIT, rng);
}

static int add_pool(tg_model *m, const layer_spec *s, int ndim)
{
    int64_t k = (int64_t)s->numbers[0];
    int64_t kernel[2] = {k, s->n_numbers == 2 ? (int64_t)s->numbers[1] : k};
    tg_pool_opts opts = {.stride = {s->conv.stride[0], s->conv.stride[1]},
                         .padding = {s->conv.padding[0], s->conv.padding[1]}};
    bool two = s->spatial ? s->spatial == 2 : ndim != 2; /* [C, L] takes the 1-d pool */
    if (s->kind == SPEC_MAX_POOL)
        return two ? tg_model_add_max_pool2d(m, kernel, &opts)
                   : tg_model_add_max_pool1d(m, k, &opts);
    return two ? tg_model_add_avg_pool2d(m, kernel, &opts) : tg_model_add_avg_pool1d(m, k, &opts);
}

static int add_spec(tg_model *m, const layer_spec *s, const int64_t *shape, int ndim,
                    tg_rng *rng)
{
    switch (s->kind) {
    case SPEC_MAX_POOL:
    case SPEC_AVG_POOL: return add_pool(m, s, ndim);
    case SPEC_DROPOUT: return tg_model_add_dropout(m, s->slope, rng);
    case SPEC_DENSE:
        return tg_model_add_dense(m, shape[ndim - 1], (int64_t)s->numbers[0], DESCRIBED_INIT, rng);
    case SPEC_CONV1D:
    case SPEC_CONV2D: return add_conv(m, s, rng);
    case SPEC_FLATTEN: return tg_model_add_flatten(m);
    case SPEC_BATCH_NORM:
        if (s->spatial && (s->spatial == 2) != (ndim == 3))
            return tg_set_error(TG_ESHAPE, "batchnorm%dd takes %s, but the layers before it "
                                "give samples of %d ax%s (plain batchnorm picks by the shape)",
                                s->spatial, s->spatial == 2 ? "[channels, height, width]"
                                                            : "[features] or [channels, length]",
                                ndim, ndim == 1 ? "is" : "es");
        return tg_model_add_batch_norm(m, 0.1, 1e-5, true);
    case SPEC_LAYER_NORM:
        return tg_model_add_layer_norm(m, s->n_numbers ? (int)s->numbers[0] : ndim, 1e-5, true);
    case SPEC_ACTIVATION: return tg_model_add_activation(m, s->act, s->slope);
    case SPEC_INPUT: return TG_OK;
    }
    return TG_OK;
}

/* Dense layers of tg train see one axis: a multi-axis shape is a missing
 * flatten, which the library would take for a dense on the last axis. */
static bool fits_dense(const architecture *a, const layer_spec *s, int k, const int64_t *shape,
                       int ndim, diag *d)
{
    if (s->kind != SPEC_DENSE || ndim == 1)
        return true;
    char dims[96] = "[";
    for (int i = 0; i < ndim; i++)
        snprintf(dims + strlen(dims), sizeof dims - strlen(dims), i ? ",%lld" : "%lld",
                 (long long)shape[i]);
    strcat(dims, "]");
    diag_at(d, a->text, "--model", s->offset, "tg train: --model: layer %d (dense) gets samples "
            "of shape %s; put flatten before it", k, dims);
    return false;
}

tg_model *build_described_model(const architecture *a, uint64_t seed, double max_values, diag *d)
{
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    tg_model *m = tg_model_new(a->dtype);
    if (!m || tg_model_set_input(m, a->in_ndim, a->in_shape) < 0) {
        library_failed(d);
        tg_model_free(m);
        return NULL;
    }
    double values = 0;
    int64_t shape[TG_MAX_DIMS];
    for (int i = 0, k = 0; i < a->n_layers && !d->set; i++) {
        const layer_spec *s = &a->layers[i];
        int ndim = tg_model_output_shape(m, shape);
        k += s->kind != SPEC_INPUT;
        if (!fits_dense(a, s, k - 1, shape, ndim, d))
            break;
        values += spec_values(s, shape, ndim);
        if (max_values > 0 && values > max_values)
            diag_plain(d, "the model described takes more than %.0f parameters", max_values);
        else if (add_spec(m, s, shape, ndim, &rng) < 0)
            diag_at(d, a->text, "--model", s->offset, "%s", tg_last_error());
    }
    if (d->set) {
        tg_model_free(m);
        return NULL;
    }
    return m;
}
