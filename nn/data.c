/* data.c -- data sets: allocation, reading files through zlib,
 * standardization and the train/validation split. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data_internal.h"

/* ---- allocation ---- */

int tg__dataset_alloc(const char *fn, tg_dataset *out, int64_t n, int64_t dim, bool labelled,
                      int64_t n_targets)
{
    if (n < 1 || dim < 1 || n_targets < 0)
        return tg_set_error(TG_EVALUE, "%s: %lld samples of %lld features and %lld targets (samples "
                            "and features must be positive)", fn, (long long)n, (long long)dim,
                            (long long)n_targets);
    if (n > INT64_MAX / (int64_t)sizeof(float) / (dim > n_targets ? dim : n_targets))
        return tg_set_error(TG_EVALUE, "%s: %lld x %lld values do not fit in memory", fn,
                            (long long)n, (long long)dim);
    tg_dataset d = {.n = n, .cap = n, .dim = dim, .n_targets = n_targets, .sample_ndim = 1,
                    .sample_shape = {dim}};
    d.x = tg_mem_alloc((size_t)(n * dim) * sizeof *d.x);
    d.labels = labelled ? tg_mem_alloc((size_t)n * sizeof *d.labels) : NULL;
    d.targets = n_targets ? tg_mem_alloc((size_t)(n * n_targets) * sizeof *d.targets) : NULL;
    if (!d.x || (labelled && !d.labels) || (n_targets && !d.targets)) {
        tg_dataset_free(&d);
        return tg_set_error(TG_ENOMEM, "%s: out of memory for %lld samples of %lld features", fn,
                            (long long)n, (long long)dim);
    }
    *out = d;
    return TG_OK;
}

static int alloc_zeroed(const char *fn, tg_dataset *out, int64_t n, int64_t dim, bool labelled,
                        int64_t n_targets)
{
    if (!out)
        return tg_set_error(TG_ENULL, "%s: argument 1 (out) is NULL", fn);
    tg_dataset d;
    int rc = tg__dataset_alloc(fn, &d, n, dim, labelled, n_targets);
    if (rc < 0)
        return rc;
    memset(d.x, 0, (size_t)(n * dim) * sizeof *d.x);
    if (d.labels)
        memset(d.labels, 0, (size_t)n * sizeof *d.labels);
    if (d.targets)
        memset(d.targets, 0, (size_t)(n * n_targets) * sizeof *d.targets);
    *out = d;
    return TG_OK;
}

int tg_dataset_alloc(tg_dataset *out, int64_t n, int64_t dim, bool labelled)
{
    return alloc_zeroed("tg_dataset_alloc", out, n, dim, labelled, 0);
}

int tg_dataset_alloc_targets(tg_dataset *out, int64_t n, int64_t dim, int64_t n_targets)
{
    if (n_targets < 1)
        return tg_set_error(TG_EVALUE, "tg_dataset_alloc_targets: %lld targets per sample (must "
                            "be positive)", (long long)n_targets);
    return alloc_zeroed("tg_dataset_alloc_targets", out, n, dim, false, n_targets);
}

void tg_dataset_free(tg_dataset *d)
{
    if (!d)
        return;
    tg_mem_free(d->x, (size_t)(d->cap * d->dim) * sizeof *d->x);
    tg_mem_free(d->labels, (size_t)d->cap * sizeof *d->labels);
    tg_mem_free(d->targets, (size_t)(d->cap * d->n_targets) * sizeof *d->targets);
    memset(d, 0, sizeof *d);
}

void tg__gather_rows(const tg_dataset *d, const int64_t *rows, int64_t count, float *dst)
{
    size_t row_bytes = (size_t)d->dim * sizeof *d->x;
    for (int64_t r = 0; r < count; r++)
        memcpy(dst + r * d->dim, d->x + rows[r] * d->dim, row_bytes);
}

/* ---- reading a whole file, compressed or not ----
 *
 * With read(2) and zlib's inflate rather than gzopen/gzread: those allocate
 * their state and buffers with malloc, while a z_stream takes allocation
 * functions, which route zlib's memory through tapegrad's allocator. */

#define READ_START_BYTES ((size_t)1 << 20)
#define INPUT_BYTES ((size_t)1 << 18)
#define GZIP_WINDOW_BITS (15 + 16) /* the largest window, in a gzip wrapper */

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return size && items > SIZE_MAX / size ? Z_NULL : tg__sized_alloc((size_t)items * size);
}

static void zlib_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    tg__sized_free(ptr);
}

/* The file's bytes, a buffer at a time. */
typedef struct {
    const char *fn, *path;
    int fd;
    unsigned char *buf; /* INPUT_BYTES */
    size_t len;         /* bytes in buf */
    uint64_t offset;    /* the file offset of buf[0] */
    bool eof;
} file_input;

/* Moves the bytes of buf from `from` on to its front and reads after them
 * until buf is full or the file ends. */
static int refill(file_input *in, size_t from)
{
    memmove(in->buf, in->buf + from, in->len - from);
    in->offset += from;
    in->len -= from;
    while (!in->eof && in->len < INPUT_BYTES) {
        ssize_t got = read(in->fd, in->buf + in->len, INPUT_BYTES - in->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return tg_set_error(TG_EIO, "%s: %s: read error after byte %llu: %s", in->fn,
                                in->path, (unsigned long long)(in->offset + in->len),
                                strerror(errno));
        in->eof = got == 0;
        in->len += (size_t)got;
    }
    return TG_OK;
}

/* Room for n more bytes and the terminating '\0'. */
static int reserve(const file_input *in, tg__file_bytes *f, size_t n)
{
    size_t cap = f->cap ? f->cap : READ_START_BYTES;
    while (cap - f->len <= n)
        cap *= 2;
    if (cap == f->cap)
        return TG_OK;
    unsigned char *bytes = tg_mem_realloc(f->bytes, f->cap, cap);
    if (!bytes)
        return tg_set_error(TG_ENOMEM, "%s: %s: out of memory after reading %zu bytes", in->fn,
                            in->path, f->len);
    f->bytes = bytes;
    f->cap = cap;
    return TG_OK;
}

static int read_plain(file_input *in, tg__file_bytes *f)
{
    for (;;) {
        int rc = reserve(in, f, in->len);
        if (rc < 0)
            return rc;
        memcpy(f->bytes + f->len, in->buf, in->len);
        f->len += in->len;
        if (in->eof)
            return TG_OK;
        if ((rc = refill(in, in->len)) < 0)
            return rc;
    }
}

static bool gzip_magic(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* refill for inflate: the bytes it has not consumed yet stay. */
static int feed(file_input *in, z_stream *zs)
{
    int rc = refill(in, (size_t)(zs->next_in - in->buf));
    zs->next_in = in->buf;
    zs->avail_in = (uInt)in->len;
    return rc;
}

/* After a gzip member ends: 1 if another one follows (zs is reset for it),
 * 0 if the file ends there. Anything else after a member is refused: gzip -t
 * reports such trailing bytes, and gzread would drop them silently -- plain
 * CSV rows appended to a .gz file would vanish. */
static int next_member(file_input *in, z_stream *zs)
{
    if (zs->avail_in < 2 && !in->eof) {
        int rc = feed(in, zs);
        if (rc < 0)
            return rc;
    }
    if (zs->avail_in == 0)
        return 0;
    if (!gzip_magic(zs->next_in, zs->avail_in))
        return tg_set_error(TG_EFORMAT,
                            "%s: %s: trailing bytes after the gzip data at byte %llu are not a "
                            "gzip member (as gzip -t reports; recompress the whole file)",
                            in->fn, in->path,
                            (unsigned long long)(in->offset + (uint64_t)(zs->next_in - in->buf)));
    inflateReset(zs);
    return 1;
}

/* What inflate's return code zrc means for the read: TG_OK to go on, 1 when
 * the last member has ended, or an error naming the compressed offset. */
static int inflate_verdict(file_input *in, z_stream *zs, int zrc)
{
    unsigned long long at = in->offset + (uint64_t)(zs->next_in - in->buf);
    if (zrc == Z_STREAM_END) {
        int more = next_member(in, zs);
        return more < 0 ? more : more ? TG_OK : 1;
    }
    if (zrc == Z_BUF_ERROR && zs->avail_in == 0 && in->eof)
        return tg_set_error(TG_EFORMAT,
                            "%s: %s: truncated gzip stream: the file ends at byte %llu before the "
                            "compressed data does",
                            in->fn, in->path, at);
    if (zrc == Z_MEM_ERROR)
        return tg_set_error(TG_ENOMEM, "%s: %s: out of memory for zlib's window", in->fn,
                            in->path);
    if (zrc != Z_OK && zrc != Z_BUF_ERROR)
        return tg_set_error(TG_EFORMAT, "%s: %s: corrupt gzip stream near byte %llu: %s", in->fn,
                            in->path, at, zs->msg ? zs->msg : zError(zrc));
    return TG_OK;
}

/* Inflates every member into f; the output always has room, so a Z_BUF_ERROR
 * means inflate wants input the file does not have. */
static int inflate_members(file_input *in, tg__file_bytes *f, z_stream *zs)
{
    zs->next_in = in->buf;
    zs->avail_in = (uInt)in->len;
    int rc = TG_OK;
    while (rc == TG_OK) {
        if (zs->avail_in == 0 && !in->eof && (rc = feed(in, zs)) < 0)
            break;
        if ((rc = reserve(in, f, 1)) < 0)
            break;
        size_t room = f->cap - f->len - 1;
        zs->next_out = f->bytes + f->len;
        zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        int zrc = inflate(zs, Z_NO_FLUSH);
        f->len = (size_t)(zs->next_out - f->bytes);
        rc = inflate_verdict(in, zs, zrc);
    }
    return rc < 0 ? rc : TG_OK;
}

static int read_gzip(file_input *in, tg__file_bytes *f)
{
    z_stream zs = {.zalloc = zlib_alloc, .zfree = zlib_free};
    int zrc = inflateInit2(&zs, GZIP_WINDOW_BITS);
    if (zrc != Z_OK)
        return tg_set_error(zrc == Z_MEM_ERROR ? TG_ENOMEM : TG_EVALUE,
                            "%s: %s: zlib cannot start inflating: %s", in->fn, in->path,
                            zrc == Z_MEM_ERROR ? "out of memory" : zError(zrc));
    int rc = inflate_members(in, f, &zs);
    inflateEnd(&zs);
    return rc;
}

int tg__read_file(const char *fn, const char *path, tg__file_bytes *out)
{
    file_input in = {.fn = fn, .path = path, .fd = open(path, O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0)
        return tg_set_error(TG_EIO, "%s: %s: cannot open: %s", fn, path, strerror(errno));
    in.buf = tg_mem_alloc(INPUT_BYTES);
    int rc = in.buf ? refill(&in, 0)
                    : tg_set_error(TG_ENOMEM, "%s: %s: out of memory for a read buffer", fn, path);
    bool compressed = rc == 0 && gzip_magic(in.buf, in.len);
    tg__file_bytes f = {.compressed = compressed};
    if (rc == 0)
        rc = compressed ? read_gzip(&in, &f) : read_plain(&in, &f);
    close(in.fd);
    tg_mem_free(in.buf, INPUT_BYTES);
    if (rc < 0) {
        tg__file_bytes_free(&f);
        return rc;
    }
    f.bytes[f.len] = '\0';
    *out = f;
    return TG_OK;
}

void tg__file_bytes_free(tg__file_bytes *f)
{
    tg_mem_free(f->bytes, f->cap);
    memset(f, 0, sizeof *f);
}

/* ---- standardization ---- */

int tg__check_dataset(const char *fn, const tg_dataset *d)
{
    if (!d)
        return tg_set_error(TG_ENULL, "%s: the data set is NULL", fn);
    if (!d->x || d->n < 1 || d->dim < 1)
        return tg_set_error(TG_EVALUE, "%s: the data set is empty (%lld samples of %lld features)",
                            fn, (long long)d->n, (long long)d->dim);
    if (d->n > d->cap)
        return tg_set_error(TG_EVALUE, "%s: the data set has n = %lld samples but room for only "
                            "cap = %lld", fn, (long long)d->n, (long long)d->cap);
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
    int rc = tg__check_dataset("tg_dataset_standardize", d);
    if (rc < 0)
        return rc;
    if (mode != TG_NORM_PER_FEATURE && mode != TG_NORM_GLOBAL)
        return tg_set_error(TG_EVALUE, "tg_dataset_standardize: unknown mode %d", (int)mode);
    size_t dim = (size_t)d->dim, bytes = dim * (2 * sizeof(double) + 2 * sizeof(float));
    double *moments = tg_mem_alloc(bytes);
    if (!moments)
        return tg_set_error(TG_ENOMEM, "tg_dataset_standardize: out of memory for %zu features",
                            dim);
    float *stats = (float *)(moments + 2 * dim);
    feature_moments(d, moments, moments + dim);
    fill_stats(d, mode, moments, moments + dim, stats, stats + dim);
    apply_stats(d, stats, stats + dim);
    if (mean)
        memcpy(mean, stats, dim * sizeof *mean);
    if (std)
        memcpy(std, stats + dim, dim * sizeof *std);
    tg_mem_free(moments, bytes);
    return TG_OK;
}

int tg_dataset_normalize(tg_dataset *d, const float *mean, const float *std)
{
    int rc = tg__check_dataset("tg_dataset_normalize", d);
    if (rc < 0)
        return rc;
    if (!mean || !std)
        return tg_set_error(TG_ENULL, "tg_dataset_normalize: %s is NULL", mean ? "std" : "mean");
    for (int64_t j = 0; j < d->dim; j++)
        if (!isfinite(mean[j]) || !(std[j] > 0) || !isfinite(std[j]))
            return tg_set_error(TG_EVALUE,
                                "tg_dataset_normalize: feature %lld has mean %g and std %g (need a "
                                "finite mean and a positive finite std)",
                                (long long)j, mean[j], std[j]);
    apply_stats(d, mean, std);
    return TG_OK;
}

/* ---- train / validation split ---- */

static int check_split_args(const tg_dataset *d, double fraction, const tg_dataset *train,
                            const tg_dataset *validation, int64_t *n_validation)
{
    int rc = tg__check_dataset("tg_dataset_split", d);
    if (rc < 0)
        return rc;
    if (!train || !validation)
        return tg_set_error(TG_ENULL, "tg_dataset_split: %s is NULL",
                            train ? "validation" : "train");
    if (train == validation || train == d || validation == d)
        return tg_set_error(TG_EVALUE, "tg_dataset_split: the data set, train and validation must "
                                       "be three distinct structs");
    double wanted = (double)d->n * fraction;
    if (!(wanted >= 0.5 && wanted < (double)d->n - 0.5))
        return tg_set_error(TG_EVALUE,
                            "tg_dataset_split: validation fraction %g of %lld samples leaves a "
                            "part empty; both parts need at least one sample",
                            fraction, (long long)d->n);
    *n_validation = llround(wanted);
    return TG_OK;
}

static int copy_subset(const tg_dataset *d, const int64_t *rows, int64_t count, tg_dataset *out)
{
    int64_t t = d->targets ? d->n_targets : 0;
    int rc = tg__dataset_alloc("tg_dataset_split", out, count, d->dim, d->labels != NULL, t);
    if (rc < 0)
        return rc;
    tg__gather_rows(d, rows, count, out->x);
    for (int64_t r = 0; d->labels && r < count; r++)
        out->labels[r] = d->labels[rows[r]];
    for (int64_t r = 0; d->targets && r < count; r++)
        memcpy(out->targets + r * t, d->targets + rows[r] * t, (size_t)t * sizeof *out->targets);
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
    int64_t n = d->n, n_train = n - n_validation, *order = tg_mem_alloc((size_t)n * sizeof *order);
    if (!order)
        return tg_set_error(TG_ENOMEM, "tg_dataset_split: out of memory for %lld indices",
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
    tg_mem_free(order, (size_t)n * sizeof *order);
    if (rc < 0)
        return rc;
    *train = train_part;
    *validation = validation_part;
    return TG_OK;
}
