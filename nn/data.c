/* data.c -- data sets: allocation, reading files through zlib,
 * standardization and the train/validation split. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "data_internal.h"

/* ---- allocation ---- */

int tg__dataset_alloc(const char *fn, tg_dataset *out, int64_t n, int64_t dim, bool labelled)
{
    if (n < 1 || dim < 1)
        return tg__fail(TG_EVALUE, "%s: %lld samples of %lld features (both must be positive)",
                        fn, (long long)n, (long long)dim);
    if (n > INT64_MAX / (int64_t)sizeof(float) / dim)
        return tg__fail(TG_EVALUE, "%s: %lld x %lld values do not fit in memory", fn,
                        (long long)n, (long long)dim);
    tg_dataset d = {.n = n, .dim = dim, .sample_ndim = 1, .sample_shape = {dim}};
    d.x = tg__alloc((size_t)(n * dim) * sizeof *d.x);
    d.labels = labelled ? tg__alloc((size_t)n * sizeof *d.labels) : NULL;
    if (!d.x || (labelled && !d.labels)) {
        tg_dataset_free(&d);
        return tg__fail(TG_ENOMEM, "%s: out of memory for %lld samples of %lld features", fn,
                        (long long)n, (long long)dim);
    }
    *out = d;
    return TG_OK;
}

int tg_dataset_alloc(tg_dataset *out, int64_t n, int64_t dim, bool labelled)
{
    if (!out)
        return tg__fail(TG_ENULL, "tg_dataset_alloc: argument 1 (out) is NULL");
    tg_dataset d;
    int rc = tg__dataset_alloc("tg_dataset_alloc", &d, n, dim, labelled);
    if (rc < 0)
        return rc;
    memset(d.x, 0, (size_t)(n * dim) * sizeof *d.x);
    if (d.labels)
        memset(d.labels, 0, (size_t)n * sizeof *d.labels);
    *out = d;
    tg__clear_on_success();
    return TG_OK;
}

void tg_dataset_free(tg_dataset *d)
{
    if (!d)
        return;
    tg__free(d->x, (size_t)(d->n * d->dim) * sizeof *d->x);
    tg__free(d->labels, (size_t)d->n * sizeof *d->labels);
    memset(d, 0, sizeof *d);
}

void tg__gather_rows(const tg_dataset *d, const int64_t *rows, int64_t count, float *dst)
{
    size_t row_bytes = (size_t)d->dim * sizeof *d->x;
    for (int64_t r = 0; r < count; r++)
        memcpy(dst + r * d->dim, d->x + rows[r] * d->dim, row_bytes);
}

/* ---- reading a whole file, compressed or not ---- */

#define READ_START_BYTES ((size_t)1 << 20)
#define ZLIB_BUFFER_BYTES (1u << 18)

static int grow(const char *fn, const char *path, tg__file_bytes *f)
{
    size_t cap = f->cap ? 2 * f->cap : READ_START_BYTES;
    unsigned char *bytes = tg__realloc(f->bytes, f->cap, cap);
    if (!bytes)
        return tg__fail(TG_ENOMEM, "%s: %s: out of memory after reading %zu bytes", fn, path,
                        f->len);
    f->bytes = bytes;
    f->cap = cap;
    return TG_OK;
}

/* zlib starts its messages with "path: "; ours already name the file. */
static const char *zlib_message(gzFile gz, const char *path, int *code)
{
    const char *msg = gzerror(gz, code);
    size_t path_len = strlen(path);
    if (strncmp(msg, path, path_len) == 0 && strncmp(msg + path_len, ": ", 2) == 0)
        msg += path_len + 2;
    return msg;
}

/* gzread reports a truncated gzip stream as a plain end of file, and on a
 * corrupt one drops the count of bytes it did decompress; only gzerror tells
 * what happened, and gzoffset where in the compressed file. */
static int read_stream(const char *fn, const char *path, gzFile gz, tg__file_bytes *f)
{
    for (;;) {
        if (f->cap - f->len < 2 && grow(fn, path, f) < 0)
            return TG_ENOMEM;
        size_t room = f->cap - f->len - 1; /* keep a byte for the '\0' */
        int got = gzread(gz, f->bytes + f->len, room > INT_MAX ? INT_MAX : (unsigned)room);
        if (got <= 0)
            break;
        f->len += (size_t)got;
    }
    int zerr;
    const char *zmsg = zlib_message(gz, path, &zerr);
    long long at = (long long)gzoffset(gz);
    if (zerr == Z_ERRNO)
        return tg__fail(TG_EIO, "%s: %s: read error after byte %zu: %s", fn, path, f->len,
                        strerror(errno));
    if (zerr == Z_BUF_ERROR)
        return tg__fail(TG_EFORMAT,
                        "%s: %s: truncated gzip stream: the file ends at byte %lld before the "
                        "compressed data does (%s)",
                        fn, path, at, zmsg);
    if (zerr != Z_OK)
        return tg__fail(TG_EFORMAT, "%s: %s: corrupt gzip stream near byte %lld: %s", fn, path, at,
                        zmsg);
    f->bytes[f->len] = '\0';
    f->compressed = !gzdirect(gz);
    return TG_OK;
}

int tg__read_file(const char *fn, const char *path, tg__file_bytes *out)
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return tg__fail(TG_EIO, "%s: %s: cannot open: %s", fn, path,
                        errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, ZLIB_BUFFER_BYTES);
    tg__file_bytes f = {0};
    int rc = read_stream(fn, path, gz, &f);
    gzclose_r(gz); /* a read-only close has nothing left to report */
    if (rc < 0) {
        tg__file_bytes_free(&f);
        return rc;
    }
    *out = f;
    return TG_OK;
}

void tg__file_bytes_free(tg__file_bytes *f)
{
    tg__free(f->bytes, f->cap);
    memset(f, 0, sizeof *f);
}

/* ---- standardization ---- */

static int check_dataset(const char *fn, const tg_dataset *d)
{
    if (!d)
        return tg__fail(TG_ENULL, "%s: the data set is NULL", fn);
    if (!d->x || d->n < 1 || d->dim < 1)
        return tg__fail(TG_EVALUE, "%s: the data set is empty (%lld samples of %lld features)",
                        fn, (long long)d->n, (long long)d->dim);
    return TG_OK;
}

static void apply_stats(tg_dataset *d, const float *mean, const float *std)
{
    for (int64_t i = 0; i < d->n; i++) {
        float *row = d->x + i * d->dim;
        for (int64_t j = 0; j < d->dim; j++)
            row[j] = (row[j] - mean[j]) / std[j];
    }
}

/* Per-feature mean and sum of squared deviations, in double so that 47
 * million floats do not lose the small ones. */
static void feature_moments(const tg_dataset *d, double *mean, double *m2)
{
    int64_t n = d->n, dim = d->dim;
    memset(mean, 0, (size_t)dim * sizeof *mean);
    memset(m2, 0, (size_t)dim * sizeof *m2);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < dim; j++)
            mean[j] += d->x[i * dim + j];
    for (int64_t j = 0; j < dim; j++)
        mean[j] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < dim; j++) {
            double dev = d->x[i * dim + j] - mean[j];
            m2[j] += dev * dev;
        }
}

/* A constant feature's computed std is rounding noise: use 1 so it maps to 0. */
static float usable_std(double std, double mean)
{
    return std > FLT_EPSILON * fabs(mean) ? (float)std : 1.0f;
}

/* The global moments combine the per-feature ones (the parallel-variance
 * formula): M2 = sum_j (M2_j + n (mean_j - mean)^2). */
static void fill_stats(const tg_dataset *d, tg_norm_mode mode, const double *mean,
                       const double *m2, float *mean_out, float *std_out)
{
    int64_t n = d->n, dim = d->dim;
    if (mode == TG_NORM_PER_FEATURE) {
        for (int64_t j = 0; j < dim; j++) {
            mean_out[j] = (float)mean[j];
            std_out[j] = usable_std(sqrt(m2[j] / (double)n), mean[j]);
        }
        return;
    }
    double global_mean = 0, global_m2 = 0;
    for (int64_t j = 0; j < dim; j++)
        global_mean += mean[j] / (double)dim;
    for (int64_t j = 0; j < dim; j++)
        global_m2 += m2[j] + (double)n * (mean[j] - global_mean) * (mean[j] - global_mean);
    float std = usable_std(sqrt(global_m2 / ((double)n * (double)dim)), global_mean);
    for (int64_t j = 0; j < dim; j++) {
        mean_out[j] = (float)global_mean;
        std_out[j] = std;
    }
}

int tg_dataset_standardize(tg_dataset *d, tg_norm_mode mode, float *mean, float *std)
{
    int rc = check_dataset("tg_dataset_standardize", d);
    if (rc < 0)
        return rc;
    if (mode != TG_NORM_PER_FEATURE && mode != TG_NORM_GLOBAL)
        return tg__fail(TG_EVALUE, "tg_dataset_standardize: unknown mode %d", (int)mode);
    size_t dim = (size_t)d->dim, bytes = dim * (2 * sizeof(double) + 2 * sizeof(float));
    double *moments = tg__alloc(bytes);
    if (!moments)
        return tg__fail(TG_ENOMEM, "tg_dataset_standardize: out of memory for %zu features", dim);
    float *stats = (float *)(moments + 2 * dim);
    feature_moments(d, moments, moments + dim);
    fill_stats(d, mode, moments, moments + dim, stats, stats + dim);
    apply_stats(d, stats, stats + dim);
    if (mean)
        memcpy(mean, stats, dim * sizeof *mean);
    if (std)
        memcpy(std, stats + dim, dim * sizeof *std);
    tg__free(moments, bytes);
    tg__clear_on_success();
    return TG_OK;
}

int tg_dataset_normalize(tg_dataset *d, const float *mean, const float *std)
{
    int rc = check_dataset("tg_dataset_normalize", d);
    if (rc < 0)
        return rc;
    if (!mean || !std)
        return tg__fail(TG_ENULL, "tg_dataset_normalize: %s is NULL", mean ? "std" : "mean");
    for (int64_t j = 0; j < d->dim; j++)
        if (!isfinite(mean[j]) || !(std[j] > 0) || !isfinite(std[j]))
            return tg__fail(TG_EVALUE,
                            "tg_dataset_normalize: feature %lld has mean %g and std %g (need a "
                            "finite mean and a positive finite std)",
                            (long long)j, mean[j], std[j]);
    apply_stats(d, mean, std);
    tg__clear_on_success();
    return TG_OK;
}

/* ---- train / validation split ---- */

static int check_split_args(const tg_dataset *d, double fraction, const tg_dataset *train,
                            const tg_dataset *validation, int64_t *n_validation)
{
    int rc = check_dataset("tg_dataset_split", d);
    if (rc < 0)
        return rc;
    if (!train || !validation)
        return tg__fail(TG_ENULL, "tg_dataset_split: %s is NULL", train ? "validation" : "train");
    if (train == validation || train == d || validation == d)
        return tg__fail(TG_EVALUE, "tg_dataset_split: the data set, train and validation must "
                                   "be three distinct structs");
    double wanted = (double)d->n * fraction;
    if (!(wanted >= 0.5 && wanted < (double)d->n - 0.5))
        return tg__fail(TG_EVALUE,
                        "tg_dataset_split: validation fraction %g of %lld samples leaves a part "
                        "empty; both parts need at least one sample",
                        fraction, (long long)d->n);
    *n_validation = llround(wanted);
    return TG_OK;
}

static int copy_subset(const tg_dataset *d, const int64_t *rows, int64_t count, tg_dataset *out)
{
    int rc = tg__dataset_alloc("tg_dataset_split", out, count, d->dim, d->labels != NULL);
    if (rc < 0)
        return rc;
    tg__gather_rows(d, rows, count, out->x);
    for (int64_t r = 0; d->labels && r < count; r++)
        out->labels[r] = d->labels[rows[r]];
    out->n_classes = d->n_classes;
    out->sample_ndim = d->sample_ndim;
    memcpy(out->sample_shape, d->sample_shape, sizeof out->sample_shape);
    return TG_OK;
}

int tg_dataset_split(const tg_dataset *d, double validation_fraction, tg_rng *rng,
                     tg_dataset *train, tg_dataset *validation)
{
    int64_t n_validation = 0;
    int rc = check_split_args(d, validation_fraction, train, validation, &n_validation);
    if (rc < 0)
        return rc;
    int64_t n = d->n, n_train = n - n_validation, *order = tg__alloc((size_t)n * sizeof *order);
    if (!order)
        return tg__fail(TG_ENOMEM, "tg_dataset_split: out of memory for %lld indices",
                        (long long)n);
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    if (rng)
        tg_rng_shuffle(rng, order, n);
    tg_dataset train_part, validation_part;
    rc = copy_subset(d, order, n_train, &train_part);
    if (rc == TG_OK) {
        rc = copy_subset(d, order + n_train, n_validation, &validation_part);
        if (rc < 0)
            tg_dataset_free(&train_part);
    }
    tg__free(order, (size_t)n * sizeof *order);
    if (rc < 0)
        return rc;
    *train = train_part;
    *validation = validation_part;
    tg__clear_on_success();
    return TG_OK;
}
