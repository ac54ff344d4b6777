/* idx.c -- IDX files (the MNIST container), gzipped or plain, and the
 * Fashion-MNIST files laid out as Debian's dataset-fashion-mnist installs them. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data_internal.h"

#define IMAGES_MAGIC 0x00000803u /* unsigned bytes, 3 dimensions */
#define LABELS_MAGIC 0x00000801u /* unsigned bytes, 1 dimension */
#define MAGIC_BYTES 4u
#define DIM_BYTES 4u

/* One parsed IDX file: count samples of sample_bytes bytes each. */
typedef struct {
    int64_t count;
    int sample_ndim;
    int64_t sample_shape[2];
    int64_t sample_bytes;
    const unsigned char *payload;
} idx_array;

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *ends_at(const tg__file_bytes *f)
{
    return f->compressed ? "the decompressed file ends" : "the file ends";
}

static int check_magic(const char *path, const tg__file_bytes *f, uint32_t expected)
{
    if (f->len < MAGIC_BYTES)
        return tg_set_error(TG_EFORMAT,
                            "tg_idx_load: %s: %s at byte %zu, inside the 4-byte magic number "
                            "(empty or not an IDX file)",
                            path, ends_at(f), f->len);
    uint32_t magic = read_be32(f->bytes);
    if (magic == expected)
        return TG_OK;
    const char *hint = "";
    if (magic == IMAGES_MAGIC || magic == LABELS_MAGIC)
        hint = magic == IMAGES_MAGIC ? "; this is an image file: are images and labels swapped?"
                                     : "; this is a label file: are images and labels swapped?";
    return tg_set_error(TG_EFORMAT,
                        "tg_idx_load: %s: bad magic 0x%08X (expected 0x%08X: unsigned bytes, %u "
                        "dimension%s)%s",
                        path, magic, expected, expected & 0xffu, (expected & 0xffu) == 1 ? "" : "s",
                        hint);
}

static int read_dims(const char *path, const tg__file_bytes *f, int ndim, int64_t *dims)
{
    size_t header = MAGIC_BYTES + DIM_BYTES * (size_t)ndim;
    if (f->len < header)
        return tg_set_error(TG_EFORMAT,
                            "tg_idx_load: %s: truncated header: %s at byte %zu but %d dimensions "
                            "need a %zu-byte header",
                            path, ends_at(f), f->len, ndim, header);
    for (int k = 0; k < ndim; k++) {
        size_t at = MAGIC_BYTES + DIM_BYTES * (size_t)k;
        int32_t size = (int32_t)read_be32(f->bytes + at);
        if (size <= 0)
            return tg_set_error(TG_EFORMAT,
                                "tg_idx_load: %s: dimension %d (bytes %zu..%zu) is %ld; sizes must "
                                "be positive",
                                path, k, at, at + DIM_BYTES - 1, (long)size);
        dims[k] = size;
    }
    return TG_OK;
}

/* Compares by division: count * sample_bytes may not fit in 64 bits when the
 * header is corrupt. */
static int check_payload_size(const char *path, const tg__file_bytes *f, size_t header,
                              const idx_array *a)
{
    size_t payload = f->len - header;
    if (payload % (uint64_t)a->sample_bytes == 0 &&
        payload / (uint64_t)a->sample_bytes == (uint64_t)a->count)
        return TG_OK;
    char promised[64], expected_end[32] = "past 2^64";
    if (a->sample_ndim == 0)
        snprintf(promised, sizeof promised, "%lld bytes", (long long)a->count);
    else
        snprintf(promised, sizeof promised, "%lld x %lld bytes", (long long)a->count,
                 (long long)a->sample_bytes);
    uint64_t room = UINT64_MAX - header;
    if ((uint64_t)a->sample_bytes <= room / (uint64_t)a->count)
        snprintf(expected_end, sizeof expected_end, "%llu",
                 (unsigned long long)(header + (uint64_t)a->count * (uint64_t)a->sample_bytes));
    return tg_set_error(TG_EFORMAT,
                        "tg_idx_load: %s: header promises %s (so the file should end at byte %s) "
                        "but %s at byte %zu",
                        path, promised, expected_end, ends_at(f), f->len);
}

static int parse_idx(const char *path, const tg__file_bytes *f, uint32_t magic, idx_array *a)
{
    int rc = check_magic(path, f, magic);
    int ndim = (int)(magic & 0xffu);
    int64_t dims[3] = {0};
    if (rc == TG_OK)
        rc = read_dims(path, f, ndim, dims);
    if (rc < 0)
        return rc;
    *a = (idx_array){.count = dims[0], .sample_ndim = ndim - 1, .sample_bytes = 1};
    for (int k = 1; k < ndim; k++) {
        a->sample_shape[k - 1] = dims[k];
        a->sample_bytes *= dims[k]; /* two factors below 2^31: no overflow */
    }
    size_t header = MAGIC_BYTES + DIM_BYTES * (size_t)ndim;
    a->payload = f->bytes + header;
    return check_payload_size(path, f, header, a);
}

static int read_idx(const char *path, uint32_t magic, tg__file_bytes *f, idx_array *a)
{
    int rc = tg__read_file("tg_idx_load", path, f);
    return rc < 0 ? rc : parse_idx(path, f, magic, a);
}

static int build_dataset(const idx_array *images, const idx_array *labels, tg_dataset *out)
{
    int rc = tg__dataset_alloc("tg_idx_load", out, images->count, images->sample_bytes,
                               labels != NULL, 0);
    if (rc < 0)
        return rc;
    float scale[256]; /* a table: one lookup per pixel instead of a division */
    for (int v = 0; v < 256; v++)
        scale[v] = (float)v / 255.0f;
    int64_t numel = images->count * images->sample_bytes;
    for (int64_t i = 0; i < numel; i++)
        out->x[i] = scale[images->payload[i]];
    for (int64_t i = 0; labels && i < labels->count; i++) {
        out->labels[i] = labels->payload[i];
        if (out->labels[i] >= out->n_classes)
            out->n_classes = out->labels[i] + 1;
    }
    out->sample_ndim = images->sample_ndim;
    memcpy(out->sample_shape, images->sample_shape, sizeof images->sample_shape);
    return TG_OK;
}

static int load_pair(const char *images_path, const char *labels_path, tg__file_bytes *image_file,
                     tg__file_bytes *label_file, tg_dataset *out)
{
    idx_array images, labels;
    int rc = read_idx(images_path, IMAGES_MAGIC, image_file, &images);
    if (rc == TG_OK && labels_path)
        rc = read_idx(labels_path, LABELS_MAGIC, label_file, &labels);
    if (rc == TG_OK && labels_path && labels.count != images.count)
        rc = tg_set_error(TG_EFORMAT, "tg_idx_load: %lld images in %s but %lld labels in %s",
                          (long long)images.count, images_path, (long long)labels.count,
                          labels_path);
    if (rc < 0)
        return rc;
    return build_dataset(&images, labels_path ? &labels : NULL, out);
}

int tg_idx_load(const char *images_path, const char *labels_path, tg_dataset *out)
{
    if (!images_path || !out)
        return tg_set_error(TG_ENULL, "tg_idx_load: %s is NULL", out ? "images_path" : "out");
    tg__file_bytes image_file = {0}, label_file = {0};
    tg_dataset d;
    int rc = load_pair(images_path, labels_path, &image_file, &label_file, &d);
    tg__file_bytes_free(&image_file);
    tg__file_bytes_free(&label_file);
    if (rc < 0)
        return rc;
    *out = d;
    return TG_OK;
}

/* ---- Fashion-MNIST ---- */

#define FASHION_SIDE 28
#define FASHION_CLASSES 10
#define PATH_BYTES 4096

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* dir/split-kind-ubyte.gz, or the uncompressed name if only that exists. */
static int fashion_path(const char *dir, const char *split, const char *kind, char *path)
{
    int len = snprintf(path, PATH_BYTES, "%s/%s-%s-ubyte.gz", dir, split, kind);
    if (len < 0 || len >= PATH_BYTES)
        return tg_set_error(TG_EVALUE, "tg_fashion_mnist_load: directory name too long: %.200s...",
                            dir);
    char *gz_suffix = path + len - 3;
    if (!exists(path)) {
        *gz_suffix = '\0';
        if (!exists(path))
            *gz_suffix = '.'; /* neither exists: report the usual .gz name */
    }
    return TG_OK;
}

static int check_fashion(const tg_dataset *d, const char *images_path, const char *labels_path)
{
    if (d->sample_shape[0] != FASHION_SIDE || d->sample_shape[1] != FASHION_SIDE)
        return tg_set_error(TG_EFORMAT,
                            "tg_fashion_mnist_load: %s: images are %lldx%lld, expected %dx%d",
                            images_path, (long long)d->sample_shape[0],
                            (long long)d->sample_shape[1], FASHION_SIDE, FASHION_SIDE);
    for (int64_t i = 0; i < d->n; i++)
        if (d->labels[i] >= FASHION_CLASSES)
            return tg_set_error(TG_EFORMAT,
                                "tg_fashion_mnist_load: %s: label %lld at byte %lld is outside "
                                "0..%d",
                                labels_path, (long long)d->labels[i],
                                (long long)(MAGIC_BYTES + DIM_BYTES + i), FASHION_CLASSES - 1);
    return TG_OK;
}

int tg_fashion_mnist_load(const char *dir, bool train, tg_dataset *out)
{
    if (!out)
        return tg_set_error(TG_ENULL, "tg_fashion_mnist_load: out is NULL");
    const char *split = train ? "train" : "t10k";
    char images_path[PATH_BYTES], labels_path[PATH_BYTES];
    int rc = fashion_path(dir ? dir : TG_FASHION_MNIST_DIR, split, "images-idx3", images_path);
    if (rc == TG_OK)
        rc = fashion_path(dir ? dir : TG_FASHION_MNIST_DIR, split, "labels-idx1", labels_path);
    tg_dataset d;
    if (rc == TG_OK)
        rc = tg_idx_load(images_path, labels_path, &d);
    if (rc < 0)
        return rc;
    rc = check_fashion(&d, images_path, labels_path);
    if (rc < 0) {
        tg_dataset_free(&d);
        return rc;
    }
    d.n_classes = FASHION_CLASSES;
    *out = d;
    return TG_OK;
}
