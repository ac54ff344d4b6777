/* suite_data.c -- data sets: the IDX and CSV loaders on real and corrupt
 * files, normalization, the split and the batcher. Fixtures are written at
 * run time into a temporary directory that main() removes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <tapegrad/data.h>

#include "testutil.h"

static char fixture_dir[] = "/tmp/tg_suite_data_XXXXXX";

static const char *fixture(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    return path;
}

static void write_text(const char *name, const char *text)
{
    tu_write_file(fixture(name), text, strlen(text));
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- IDX fixtures ---- */

static size_t put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* Writes magic, ndim big-endian sizes and payload_len bytes of payload (a
 * pattern when payload is NULL) to the fixture name; returns its path. */
static const char *write_idx(const char *name, uint32_t magic, int ndim, const uint32_t *dims,
                             const unsigned char *payload, size_t payload_len)
{
    size_t header = 4 + 4 * (size_t)ndim;
    unsigned char *bytes = malloc(header + payload_len + 1);
    size_t at = put_be32(bytes, magic);
    for (int k = 0; k < ndim; k++)
        at += put_be32(bytes + at, dims[k]);
    for (size_t i = 0; i < payload_len; i++)
        bytes[at + i] = payload ? payload[i] : (unsigned char)(i * 37 % 256);
    tu_write_file(fixture(name), bytes, header + payload_len);
    free(bytes);
    return fixture(name);
}

/* 3 images of 2x2 and their 3 labels, valid. */
static const unsigned char small_pixels[12] = {0, 255, 51, 102, 1, 2, 3, 4, 250, 251, 252, 253};
static const unsigned char small_labels[3] = {4, 0, 2};

static void write_small_pair(char *images, char *labels)
{
    strcpy(images, write_idx("small-images", 0x803, 3, (uint32_t[]){3, 2, 2}, small_pixels, 12));
    strcpy(labels, write_idx("small-labels", 0x801, 1, (uint32_t[]){3}, small_labels, 3));
}

/* Loads and expects failure with every fragment in the message and out
 * untouched. */
static void expect_idx_error(const char *images, const char *labels, const char *const *fragments)
{
    tg_clear_error(); /* each case fails on its own: the error is sticky */
    tg_dataset out, before;
    memset(&out, 0xab, sizeof out);
    before = out;
    int rc = tg_idx_load(images, labels, &out);
    ck_assert_msg(rc == TG_EIO || rc == TG_EFORMAT, "%s: code %d", images, rc);
    ck_assert_int_eq(rc, tg_last_error_code());
    ck_assert_msg(memcmp(&out, &before, sizeof out) == 0, "out was changed on error");
    const char *msg = tg_last_error();
    ck_assert_msg(strncmp(msg, "tg_idx_load: ", 13) == 0, "message: %s", msg);
    for (const char *const *f = fragments; *f; f++)
        ck_assert_msg(strstr(msg, *f) != NULL, "\"%s\" not in: %s", *f, msg);
}

#define EXPECT_IDX_ERROR(images, labels, ...) \
    expect_idx_error(images, labels, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(idx_small_file_loads_exactly)
{
    char images[256], labels[256];
    write_small_pair(images, labels);
    tg_dataset d = {0};
    ck_assert_msg(tg_idx_load(images, labels, &d) == 0, "%s", tg_last_error());
    ck_assert_int_eq(d.n, 3);
    ck_assert_int_eq(d.dim, 4);
    ck_assert_int_eq(d.sample_ndim, 2);
    ck_assert_int_eq(d.sample_shape[0], 2);
    ck_assert_int_eq(d.sample_shape[1], 2);
    ck_assert_int_eq(d.n_classes, 5);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(d.x[i], small_pixels[i] / 255.0f);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(d.labels[i], small_labels[i]);
    tg_dataset_free(&d);
    ck_assert_ptr_null(d.x);

    ck_assert_int_eq(tg_idx_load(images, NULL, &d), 0); /* unlabelled */
    ck_assert_ptr_null(d.labels);
    ck_assert_int_eq(d.n_classes, 0);
    tg_dataset_free(&d);
    tg_dataset_free(NULL);
}
END_TEST

START_TEST(idx_bad_magic)
{
    const char *p = write_idx("magic", 0x12345678, 3, (uint32_t[]){1, 1, 1}, NULL, 1);
    EXPECT_IDX_ERROR(p, NULL, p, "bad magic 0x12345678", "expected 0x00000803");
    ck_assert_int_eq(tg_last_error_code(), TG_EFORMAT);
    tg_clear_error();
    /* the right type with the wrong number of dimensions is a bad magic too */
    p = write_idx("magic2", 0x802, 2, (uint32_t[]){1, 1}, NULL, 1);
    EXPECT_IDX_ERROR(p, NULL, "bad magic 0x00000802 (expected 0x00000803: unsigned bytes, 3 dim");
}
END_TEST

START_TEST(idx_swapped_arguments_are_named)
{
    char images[256], labels[256];
    write_small_pair(images, labels);
    EXPECT_IDX_ERROR(labels, images, labels, "bad magic 0x00000801", "label file",
                     "swapped");
}
END_TEST

START_TEST(idx_truncated_header)
{
    unsigned char bytes[10] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0};
    tu_write_file(fixture("header"), bytes, sizeof bytes);
    EXPECT_IDX_ERROR(fixture("header"), NULL, "truncated header", "ends at byte 10",
                     "16-byte header");
    tu_write_file(fixture("tiny"), bytes, 3);
    EXPECT_IDX_ERROR(fixture("tiny"), NULL, "ends at byte 3, inside the 4-byte magic");
    tu_write_file(fixture("empty"), bytes, 0);
    EXPECT_IDX_ERROR(fixture("empty"), NULL, "ends at byte 0");
}
END_TEST

START_TEST(idx_truncated_data)
{
    /* 3 images of 2x2 need 16 + 12 bytes; the file stops 2 short */
    const char *p = write_idx("short", 0x803, 3, (uint32_t[]){3, 2, 2}, small_pixels, 10);
    EXPECT_IDX_ERROR(p, NULL, "header promises 3 x 4 bytes", "end at byte 28",
                     "the file ends at byte 26");
}
END_TEST

START_TEST(idx_count_disagrees_with_file_size)
{
    /* too long: trailing bytes are not ignored */
    const char *p = write_idx("long", 0x803, 3, (uint32_t[]){3, 2, 2}, NULL, 14);
    EXPECT_IDX_ERROR(p, NULL, "header promises 3 x 4 bytes", "the file ends at byte 30");
    /* a count a file could never hold: no overflow, no huge allocation */
    p = write_idx("huge", 0x803, 3, (uint32_t[]){0x7fffffff, 0x7fffffff, 0x7fffffff}, NULL, 8);
    EXPECT_IDX_ERROR(p, NULL, "header promises 2147483647 x 4611686014132420609 bytes",
                     "past 2^64", "ends at byte 24");
    char images[256], labels[256];
    write_small_pair(images, labels);
    p = write_idx("labels-long", 0x801, 1, (uint32_t[]){2}, NULL, 3);
    EXPECT_IDX_ERROR(images, p, "header promises 2 bytes", "ends at byte 11");
}
END_TEST

START_TEST(idx_nonpositive_dimension)
{
    const char *p = write_idx("zero", 0x803, 3, (uint32_t[]){3, 0, 2}, NULL, 0);
    EXPECT_IDX_ERROR(p, NULL, "dimension 1 (bytes 8..11) is 0");
    p = write_idx("negative", 0x803, 3, (uint32_t[]){0x80000000u, 2, 2}, NULL, 0);
    EXPECT_IDX_ERROR(p, NULL, "dimension 0 (bytes 4..7) is -2147483648");
}
END_TEST

START_TEST(idx_image_and_label_counts_must_agree)
{
    char images[256], labels[256];
    write_small_pair(images, labels);
    const char *p = write_idx("two-labels", 0x801, 1, (uint32_t[]){2}, small_labels, 2);
    EXPECT_IDX_ERROR(images, p, "3 images in", "but 2 labels in", "two-labels");
}
END_TEST

START_TEST(idx_missing_file_and_directory)
{
    EXPECT_IDX_ERROR("/nonexistent/images.gz", NULL, "/nonexistent/images.gz", "cannot open",
                     "No such file or directory");
    ck_assert_int_eq(tg_last_error_code(), TG_EIO);
    tg_clear_error();
    char images[256], labels[256];
    write_small_pair(images, labels);
    EXPECT_IDX_ERROR(images, "/nonexistent/labels", "/nonexistent/labels", "cannot open");
    EXPECT_IDX_ERROR(fixture_dir, NULL, "read error", "Is a directory");
}
END_TEST

static bool have_fashion(void) { return access(TG_FASHION_MNIST_DIR, R_OK) == 0; }

#define SKIP_WITHOUT_FASHION()                                                              \
    do {                                                                                    \
        if (!have_fashion()) {                                                              \
            printf("skipped: %s is absent (install dataset-fashion-mnist)\n",               \
                   TG_FASHION_MNIST_DIR);                                                   \
            return;                                                                         \
        }                                                                                   \
    } while (0)

/* The first n bytes of a real .gz, or the whole file with one trailer byte
 * (the CRC) flipped when n is 0. */
static const char *damaged_gz(const char *name, size_t n)
{
    size_t len;
    unsigned char *bytes = tu_read_file(TG_FASHION_MNIST_DIR "/t10k-labels-idx1-ubyte.gz", &len);
    if (n == 0)
        bytes[len - 8] ^= 0xff;
    tu_write_file(fixture(name), bytes, n ? n : len);
    free(bytes);
    return fixture(name);
}

START_TEST(idx_broken_gzip)
{
    SKIP_WITHOUT_FASHION();
    char images[256], labels[256];
    write_small_pair(images, labels);
    EXPECT_IDX_ERROR(images, damaged_gz("cut.gz", 2000),
                     "cut.gz: truncated gzip stream: the file ends at byte 2000");
    EXPECT_IDX_ERROR(images, damaged_gz("crc.gz", 0), "crc.gz: corrupt gzip stream near byte",
                     "incorrect data check");
    /* cut inside the gzip header itself */
    EXPECT_IDX_ERROR(images, damaged_gz("cut-header.gz", 5),
                     "cut-header.gz: truncated gzip stream: the file ends at byte 5");
}
END_TEST

/* ---- gzip fixtures: written with zlib here, read by tapegrad's inflate ---- */

/* Appends src compressed as one gzip member to dst (cap bytes, at *len). */
static void append_gzip_member(const void *src, size_t n, unsigned char *dst, size_t cap,
                               size_t *len)
{
    z_stream zs = {0};
    ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst + *len;
    zs.avail_out = (uInt)(cap - *len);
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *len = cap - zs.avail_out;
    deflateEnd(&zs);
}

/* Writes the fixture `from` as a gzip file of `members` members (the bytes
 * split evenly among them) followed by the bytes of `trailing`, and its path
 * to path (512 bytes, as fixture's). */
static void gzip_fixture(const char *from, const char *name, int members, const char *trailing,
                         char *path)
{
    size_t n, len = 0, cap = 65536;
    unsigned char *plain = tu_read_file(fixture(from), &n), *out = malloc(cap);
    for (int m = 0; m < members; m++) {
        size_t begin = n * (size_t)m / (size_t)members, end = n * (size_t)(m + 1) / (size_t)members;
        append_gzip_member(plain + begin, end - begin, out, cap, &len);
    }
    memcpy(out + len, trailing, strlen(trailing));
    tu_write_file(fixture(name), out, len + strlen(trailing));
    free(plain);
    free(out);
    snprintf(path, 512, "%s", fixture(name));
}

static void assert_small_pair(const tg_dataset *d)
{
    ck_assert_int_eq(d->n, 3);
    ck_assert_int_eq(d->dim, 4);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(d->x[i], small_pixels[i] / 255.0f);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(d->labels[i], small_labels[i]);
}

START_TEST(gzip_members_and_trailing_bytes)
{
    /* members one after another, as gzip reads them; bytes after a member
     * that do not start another one are refused (issue 18, defect 4: they
     * were dropped silently, plain CSV rows after a member among them) */
    char images[256], labels[256], one[512], three[512], tail[512];
    write_small_pair(images, labels);
    gzip_fixture("small-images", "one.gz", 1, "", one);
    gzip_fixture("small-labels", "three.gz", 3, "", three);
    tg_dataset d = {0};
    ck_assert_msg(tg_idx_load(one, three, &d) == 0, "%s", tg_last_error());
    assert_small_pair(&d);
    tg_dataset_free(&d);
    gzip_fixture("small-images", "tail.gz", 2, "not gzip", tail);
    EXPECT_IDX_ERROR(tail, labels, "trailing bytes after the gzip data at byte",
                     "are not a gzip member");
    gzip_fixture("small-images", "tail1.gz", 1, "\x1f", tail);
    EXPECT_IDX_ERROR(tail, labels, "are not a gzip member");
    /* one byte that could start a gzip header is a plain file */
    tu_write_file(fixture("1f"), "\x1f", 1);
    EXPECT_IDX_ERROR(fixture("1f"), NULL, "the file ends at byte 1, inside the 4-byte magic");
    /* a corrupt second member is reported at its offset in the file */
    size_t len;
    unsigned char *bytes = tu_read_file(three, &len);
    bytes[len - 5] ^= 0xff; /* the last member's CRC */
    tu_write_file(fixture("bad-crc.gz"), bytes, len);
    free(bytes);
    EXPECT_IDX_ERROR(images, fixture("bad-crc.gz"), "corrupt gzip stream near byte",
                     "incorrect data check");
}
END_TEST

/* Allocations of tg_idx_load(images, NULL) with the counting allocator. */
static long idx_load_allocations(const char *images)
{
    tg_dataset d = {0};
    tu_allocator_install();
    int rc = tg_idx_load(images, NULL, &d);
    long n = tu_allocations();
    tg_dataset_free(&d);
    tu_allocator_remove();
    ck_assert_msg(rc == 0, "%s", tg_last_error());
    return n;
}

START_TEST(gzip_allocations_go_through_the_allocator)
{
    /* 1.6 MB: more than the first output buffer holds, so inflate stops
     * before the end of the stream and needs its window */
    char images[512], images_gz[512];
    snprintf(images, sizeof images, "%s",
             write_idx("big-images", 0x803, 3, (uint32_t[]){1000, 40, 40}, NULL, 1600000));
    gzip_fixture("big-images", "big-images.gz", 1, "", images_gz);
    /* zlib's inflate state and its window come on top */
    long plain = idx_load_allocations(images);
    long gz = idx_load_allocations(images_gz);
    ck_assert_msg(gz >= plain + 2, "%ld allocations for gzip, %ld for a plain file", gz, plain);

    /* failing each of them in turn: a clean TG_ENOMEM, out untouched */
    int rc = TG_ENOMEM;
    long k = 0;
    for (; rc == TG_ENOMEM; k++) {
        tg_dataset out, before;
        memset(&out, 0x77, sizeof out);
        before = out;
        tu_allocator_install();
        tu_allocation_budget(k);
        rc = tg_idx_load(images_gz, NULL, &out);
        char message[512];
        snprintf(message, sizeof message, "%s", tg_last_error());
        tu_allocator_remove(); /* destroying the tape clears the error */
        if (rc == TG_ENOMEM) {
            ck_assert_msg(strstr(message, "out of memory"), "%s", message);
            ck_assert(memcmp(&out, &before, sizeof out) == 0);
        } else {
            ck_assert_msg(rc == 0, "%s", message);
            tg_dataset_free(&out);
        }
    }
    ck_assert_int_eq(k - 1, gz); /* every allocation failed once */
}
END_TEST

/* Check's assertions report every pass to the parent process, so hot loops
 * gather their verdict first and assert once. */
static int64_t pixel_byte_sum(const tg_dataset *d)
{
    int64_t sum = 0, out_of_range = 0;
    for (int64_t i = 0; i < d->n * d->dim; i++) {
        out_of_range += !(d->x[i] >= 0.0f && d->x[i] <= 1.0f);
        sum += lrintf(d->x[i] * 255.0f);
    }
    ck_assert_int_eq(out_of_range, 0);
    return sum;
}

static void check_fashion(const tg_dataset *d, int64_t n, int64_t byte_sum,
                          const int64_t *first_labels)
{
    ck_assert_int_eq(d->n, n);
    ck_assert_int_eq(d->dim, 784);
    ck_assert_int_eq(d->sample_ndim, 2);
    ck_assert_int_eq(d->sample_shape[0], 28);
    ck_assert_int_eq(d->sample_shape[1], 28);
    ck_assert_int_eq(d->n_classes, 10);
    int64_t per_class[10] = {0}, out_of_range = 0;
    for (int64_t i = 0; i < n; i++) {
        if (d->labels[i] >= 0 && d->labels[i] < 10)
            per_class[d->labels[i]]++;
        else
            out_of_range++;
    }
    ck_assert_int_eq(out_of_range, 0);
    for (int c = 0; c < 10; c++)
        ck_assert_int_eq(per_class[c], n / 10);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(d->labels[i], first_labels[i]);
    ck_assert_int_eq(pixel_byte_sum(d), byte_sum); /* the sum of every pixel byte */
}

START_TEST(fashion_mnist_train_loads)
{
    SKIP_WITHOUT_FASHION();
    tg_dataset d = {0};
    double start = seconds_now();
    ck_assert_msg(tg_fashion_mnist_load(NULL, true, &d) == 0, "%s", tg_last_error());
    printf("fashion-mnist: 60000 training images loaded in %.3f s\n", seconds_now() - start);
    check_fashion(&d, 60000, 3431114169LL, (const int64_t[]){9, 0, 0, 3});
    tg_dataset_free(&d);
}
END_TEST

START_TEST(fashion_mnist_test_loads_and_standardizes)
{
    SKIP_WITHOUT_FASHION();
    tg_dataset d = {0};
    ck_assert_msg(tg_fashion_mnist_load(TG_FASHION_MNIST_DIR, false, &d) == 0, "%s",
                  tg_last_error());
    check_fashion(&d, 10000, 573469082LL, (const int64_t[]){9, 2, 1, 1});
    /* mean and std of all pixels, computed independently with Python */
    float *mean = malloc(784 * sizeof *mean), *std = malloc(784 * sizeof *std);
    ck_assert_int_eq(tg_dataset_standardize(&d, TG_NORM_GLOBAL, mean, std), 0);
    tu_assert_close(mean[0], 0.2868492807122849, 1e-6);
    tu_assert_close(mean[783], 0.2868492807122849, 1e-6);
    tu_assert_close(std[100], 0.35244415324744005, 1e-6);
    free(mean);
    free(std);
    tg_dataset_free(&d);
}
END_TEST

/* Writes d back as plain IDX files named like Fashion-MNIST's, unzipped. */
static void write_plain_fashion(const tg_dataset *d)
{
    size_t numel = (size_t)(d->n * d->dim);
    unsigned char *pixels = malloc(numel), *labels = malloc((size_t)d->n);
    for (size_t i = 0; i < numel; i++)
        pixels[i] = (unsigned char)lrintf(d->x[i] * 255.0f);
    for (int64_t i = 0; i < d->n; i++)
        labels[i] = (unsigned char)d->labels[i];
    write_idx("t10k-images-idx3-ubyte", 0x803, 3, (uint32_t[]){(uint32_t)d->n, 28, 28}, pixels,
              numel);
    write_idx("t10k-labels-idx1-ubyte", 0x801, 1, (uint32_t[]){(uint32_t)d->n}, labels,
              (size_t)d->n);
    free(pixels);
    free(labels);
}

START_TEST(gzip_and_plain_files_agree)
{
    SKIP_WITHOUT_FASHION();
    tg_dataset gz = {0}, plain = {0};
    ck_assert_int_eq(tg_fashion_mnist_load(NULL, false, &gz), 0);
    write_plain_fashion(&gz);
    /* only the plain names exist in the fixture directory: the loader falls back */
    ck_assert_msg(tg_fashion_mnist_load(fixture_dir, false, &plain) == 0, "%s", tg_last_error());
    ck_assert_int_eq(plain.n, gz.n);
    ck_assert(memcmp(plain.x, gz.x, (size_t)(gz.n * gz.dim) * sizeof *gz.x) == 0);
    ck_assert(memcmp(plain.labels, gz.labels, (size_t)gz.n * sizeof *gz.labels) == 0);
    tg_dataset_free(&gz);
    tg_dataset_free(&plain);
}
END_TEST

static void expect_fashion_error(const char *dir, const char *fragment)
{
    tg_clear_error(); /* each case fails on its own: the error is sticky */
    tg_dataset out, before;
    memset(&out, 0x5a, sizeof out);
    before = out;
    ck_assert_int_lt(tg_fashion_mnist_load(dir, true, &out), 0);
    ck_assert(memcmp(&out, &before, sizeof out) == 0);
    ck_assert_msg(strstr(tg_last_error(), fragment) != NULL, "\"%s\" not in: %s", fragment,
                  tg_last_error());
}

START_TEST(fashion_mnist_checks_labels_and_size)
{
    unsigned char labels[2] = {3, 10};
    write_idx("train-images-idx3-ubyte", 0x803, 3, (uint32_t[]){2, 28, 28}, NULL, 2 * 784);
    write_idx("train-labels-idx1-ubyte", 0x801, 1, (uint32_t[]){2}, labels, 2);
    expect_fashion_error(fixture_dir,
                         "train-labels-idx1-ubyte: label 10 at byte 9 is outside 0..9");
    write_idx("train-images-idx3-ubyte", 0x803, 3, (uint32_t[]){2, 2, 392}, NULL, 2 * 784);
    expect_fashion_error(fixture_dir, "images are 2x392, expected 28x28");
    expect_fashion_error("/nonexistent", "/nonexistent/train-images-idx3-ubyte.gz: cannot open");
}
END_TEST

/* ---- CSV ---- */

static tg_dataset load_csv(const char *name, const tg_csv_options *opt)
{
    tg_dataset d = {0};
    ck_assert_msg(tg_csv_load(fixture(name), opt, &d) == 0, "%s", tg_last_error());
    tg_clear_error();
    return d;
}

static void expect_csv_error(const char *name, const tg_csv_options *opt, const char *fragment)
{
    tg_clear_error(); /* each case fails on its own: the error is sticky */
    tg_dataset out, before;
    memset(&out, 0x3c, sizeof out);
    before = out;
    ck_assert_msg(tg_csv_load(fixture(name), opt, &out) < 0, "%s loaded", name);
    ck_assert(memcmp(&out, &before, sizeof out) == 0);
    ck_assert_msg(strstr(tg_last_error(), fragment) != NULL, "\"%s\" not in: %s", fragment,
                  tg_last_error());
}

START_TEST(csv_rows_after_a_gzip_member_are_refused)
{
    /* issue 18, defect 4: plain rows appended to a compressed CSV file were
     * dropped without a word; now the file is refused */
    const char rows[] = "1,2,0\n3,4,1\n";
    unsigned char bytes[512];
    size_t len = 0;
    append_gzip_member(rows, strlen(rows), bytes, sizeof bytes, &len);
    memcpy(bytes + len, "5,6,1\n", 6);
    tu_write_file(fixture("appended.csv.gz"), bytes, len + 6);
    expect_csv_error("appended.csv.gz", NULL, "are not a gzip member");
    /* a second member is read as more rows */
    append_gzip_member("5,6,1\n", 6, bytes, sizeof bytes, &len);
    tu_write_file(fixture("two.csv.gz"), bytes, len);
    tg_dataset d = load_csv("two.csv.gz", NULL);
    ck_assert_int_eq(d.n, 3);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(csv_header_and_label_by_name)
{
    write_text("named.csv", "a, b ,label,c\n1,2,3,4\n-5.5,6e2, 0 ,8\r\n\n 9 ,10,1,11\n");
    tg_dataset d = load_csv("named.csv", &(tg_csv_options){.has_header = true,
                                                          .label_name = "label"});
    ck_assert_int_eq(d.n, 3);
    ck_assert_int_eq(d.dim, 3);
    ck_assert_int_eq(d.sample_ndim, 1);
    ck_assert_int_eq(d.sample_shape[0], 3);
    ck_assert_int_eq(d.n_classes, 4);
    const float want[9] = {1, 2, 4, -5.5f, 600, 8, 9, 10, 11};
    for (int i = 0; i < 9; i++)
        ck_assert_float_eq(d.x[i], want[i]);
    ck_assert_int_eq(d.labels[0], 3);
    ck_assert_int_eq(d.labels[1], 0);
    ck_assert_int_eq(d.labels[2], 1);
    tg_dataset_free(&d);

    write_text("bom.csv", "\xef\xbb\xbfy,a\n2,5\n"); /* a UTF-8 byte order mark */
    d = load_csv("bom.csv", &(tg_csv_options){.has_header = true, .label_name = "y"});
    ck_assert_int_eq(d.labels[0], 2);
    ck_assert_float_eq(d.x[0], 5.0f);
    tg_dataset_free(&d);
}
END_TEST

/* Targets by header name and by index, in the order listed; the other
 * columns, label-like or not, are features. */
START_TEST(csv_regression_targets)
{
    write_text("reg.csv", "x1,y,x2,z\n1,10,2,-1\n3,30.5,4,-3\n");
    tg_dataset d = load_csv("reg.csv", &(tg_csv_options){.has_header = true, .targets = "z,1"});
    ck_assert_int_eq(d.n, 2);
    ck_assert_int_eq(d.dim, 2);
    ck_assert_int_eq(d.n_targets, 2);
    ck_assert_ptr_null(d.labels);
    ck_assert_int_eq(d.n_classes, 0);
    const float x[4] = {1, 2, 3, 4}, y[4] = {-1, 10, -3, 30.5f};
    for (int i = 0; i < 4; i++) {
        ck_assert_float_eq(d.x[i], x[i]);
        ck_assert_float_eq(d.targets[i], y[i]);
    }
    tg_dataset train, validation;
    ck_assert_int_eq(tg_dataset_split(&d, 0.5, NULL, &train, &validation), 0);
    ck_assert_int_eq(validation.n_targets, 2);
    ck_assert_float_eq(validation.targets[1], 30.5f); /* the last sample, unshuffled */
    tg_dataset_free(&train);
    tg_dataset_free(&validation);
    tg_dataset_free(&d);
    write_text("plain.csv", "1,2,3\n4,5,6\n");
    d = load_csv("plain.csv", &(tg_csv_options){.targets = "0"}); /* label_column is not read */
    ck_assert_int_eq(d.dim, 2);
    ck_assert_float_eq(d.targets[1], 4);
    tg_dataset_free(&d);
    expect_csv_error("plain.csv", &(tg_csv_options){.targets = "y"},
                     "target column \"y\" is not a column index (names need a header)");
    expect_csv_error("plain.csv", &(tg_csv_options){.targets = "3"},
                     "target column \"3\" is not a column of the file");
    expect_csv_error("plain.csv", &(tg_csv_options){.targets = "1,1"},
                     "target column 1 is listed twice");
    expect_csv_error("plain.csv", &(tg_csv_options){.targets = "0,1,2"},
                     "the only columns are the targets");
    expect_csv_error("plain.csv", &(tg_csv_options){.targets = "0,"}, "target column \"\"");
    expect_csv_error("reg.csv", &(tg_csv_options){.has_header = true, .targets = "w"},
                     "no column named \"w\"");
    expect_csv_error("reg.csv", &(tg_csv_options){.has_header = true, .targets = "y",
                                                  .label_name = "z"}, "both set");
}
END_TEST

START_TEST(csv_label_by_index_and_delimiters)
{
    write_text("semicolon.csv", "0.5;7;1\n1.5;2;0");
    tg_dataset d = load_csv("semicolon.csv", &(tg_csv_options){.delimiter = ';',
                                                               .label_column = 1});
    ck_assert_int_eq(d.n, 2);
    ck_assert_int_eq(d.dim, 2);
    ck_assert_int_eq(d.n_classes, 8);
    ck_assert_float_eq(d.x[0], 0.5f);
    ck_assert_float_eq(d.x[1], 1.0f);
    ck_assert_int_eq(d.labels[0], 7);
    ck_assert_int_eq(d.labels[1], 2);
    tg_dataset_free(&d);

    write_text("plain.csv", "3,0.25\n1,0.75\n");
    d = load_csv("plain.csv", NULL); /* defaults: no header, label in column 0 */
    ck_assert_int_eq(d.dim, 1);
    ck_assert_int_eq(d.labels[0], 3);
    ck_assert_float_eq(d.x[1], 0.75f);
    tg_dataset_free(&d);

    d = load_csv("plain.csv", &(tg_csv_options){.label_column = TG_CSV_NO_LABELS});
    ck_assert_int_eq(d.dim, 2);
    ck_assert_ptr_null(d.labels);
    ck_assert_int_eq(d.n_classes, 0);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(csv_ragged_row_names_the_line)
{
    write_text("data.csv", "x1,x2,x3,y\n1,2,3,0\n1,2,3,0\n\n1,2,3,0\n1,2,3,0\n1,2,0\n1,2,3,0\n");
    expect_csv_error("data.csv", &(tg_csv_options){.has_header = true, .label_name = "y"},
                     "data.csv line 7: 3 fields, expected 4 (as on line 1)");
    write_text("long.csv", "1,2\n1,2,3\n");
    expect_csv_error("long.csv", NULL, "long.csv line 2: 3 fields, expected 2");
}
END_TEST

START_TEST(csv_non_numeric_field_names_line_and_column)
{
    tg_csv_options opt = {.has_header = true, .label_column = 0};
    write_text("text.csv", "y,a,b\n1,2,3\n0,2,abc\n");
    expect_csv_error("text.csv", &opt, "text.csv line 3 column 3: \"abc\" is not a finite");
    write_text("empty-field.csv", "y,a,b\n1, ,3\n");
    expect_csv_error("empty-field.csv", &opt, "line 2 column 2: \"\" is not");
    write_text("partial.csv", "y,a,b\n1,2.5x,3\n");
    expect_csv_error("partial.csv", &opt, "line 2 column 2: \"2.5x\"");
    write_text("nan.csv", "y,a,b\n1,nan,3\n");
    expect_csv_error("nan.csv", &opt, "\"nan\" is not a finite float number");
    write_text("overflow.csv", "y,a,b\n1,1e39,3\n");
    expect_csv_error("overflow.csv", &opt, "\"1e39\" is not a finite float number");
    write_text("label.csv", "y,a,b\n1.5,2,3\n");
    expect_csv_error("label.csv", &opt, "line 2 column 1: \"1.5\" is not a class label");
    write_text("negative.csv", "y,a,b\n-1,2,3\n");
    expect_csv_error("negative.csv", &opt, "\"-1\" is not a class label");
}
END_TEST

START_TEST(csv_empty_files_and_bad_options)
{
    write_text("empty.csv", "");
    expect_csv_error("empty.csv", NULL, "empty.csv: no data rows");
    write_text("blank.csv", "\n  \n\r\n");
    expect_csv_error("blank.csv", NULL, "no data rows");
    write_text("header-only.csv", "a,b\n");
    expect_csv_error("header-only.csv", &(tg_csv_options){.has_header = true},
                     "no data rows after the header");
    write_text("ab.csv", "a,b\n1,2\n");
    expect_csv_error("ab.csv", &(tg_csv_options){.has_header = true, .label_name = "c"},
                     "ab.csv line 1: no column named \"c\"");
    expect_csv_error("ab.csv", &(tg_csv_options){.has_header = true, .label_column = 2},
                     "label column index 2 is out of range");
    expect_csv_error("ab.csv", &(tg_csv_options){.label_name = "a"}, "needs has_header");
    expect_csv_error("ab.csv", &(tg_csv_options){.delimiter = '.'}, "delimiter '.'");
    write_text("one.csv", "1\n2\n");
    expect_csv_error("one.csv", NULL, "the only column is the label");
    expect_csv_error("missing.csv", NULL, "missing.csv: cannot open");
    tu_write_file(fixture("binary.csv"), "1,2\n3\0,4\n", 10);
    expect_csv_error("binary.csv", NULL, "binary.csv: byte 5 is a NUL: binary data");
}
END_TEST

/* ---- normalization ---- */

/* n samples of dim features, x[i][j] = i * 10 + j, label i % classes. */
static tg_dataset counting_dataset(int64_t n, int64_t dim, int64_t classes)
{
    tg_dataset d;
    ck_assert_int_eq(tg_dataset_alloc(&d, n, dim, classes > 0), 0);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < dim; j++)
            d.x[i * dim + j] = (float)(i * 10 + j);
        if (classes > 0)
            d.labels[i] = i % classes;
    }
    d.n_classes = classes;
    return d;
}

START_TEST(standardize_per_feature)
{
    tg_dataset d;
    ck_assert_int_eq(tg_dataset_alloc(&d, 4, 3, false), 0);
    const float values[12] = {1, 10, 7, 2, 20, 7, 3, 30, 7, 4, 40, 7};
    memcpy(d.x, values, sizeof values);
    float mean[3], std[3];
    ck_assert_int_eq(tg_dataset_standardize(&d, TG_NORM_PER_FEATURE, mean, std), 0);
    tu_assert_close(mean[0], 2.5, 1e-7);
    tu_assert_close(mean[1], 25, 1e-7);
    tu_assert_close(std[0], sqrt(1.25), 1e-7);
    tu_assert_close(std[1], sqrt(125.0), 1e-7);
    ck_assert_float_eq(std[2], 1.0f); /* constant feature: maps to 0 */
    tu_assert_close(d.x[0], -1.5 / sqrt(1.25), 1e-6);
    tu_assert_close(d.x[10], 1.5 / sqrt(1.25), 1e-6);
    ck_assert_float_eq(d.x[5], 0.0f);

    /* the training statistics applied to other data */
    tg_dataset test;
    ck_assert_int_eq(tg_dataset_alloc(&test, 1, 3, false), 0);
    memcpy(test.x, (float[]){5, 0, 9}, 3 * sizeof(float));
    ck_assert_int_eq(tg_dataset_normalize(&test, mean, std), 0);
    tu_assert_close(test.x[0], 2.5 / sqrt(1.25), 1e-6);
    tu_assert_close(test.x[1], -25 / sqrt(125.0), 1e-6);
    tu_assert_close(test.x[2], 2, 1e-6);
    std[1] = 0;
    ck_assert_int_lt(tg_dataset_normalize(&test, mean, std), 0);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "feature 1 has mean 25 and std 0"));
    tg_dataset_free(&test);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(standardize_global)
{
    tg_dataset d;
    ck_assert_int_eq(tg_dataset_alloc(&d, 2, 2, false), 0);
    memcpy(d.x, (float[]){1, 2, 3, 6}, 4 * sizeof(float));
    float mean[2], std[2];
    ck_assert_int_eq(tg_dataset_standardize(&d, TG_NORM_GLOBAL, mean, std), 0);
    /* mean 3, deviations -2 -1 0 3: variance 14 / 4 */
    ck_assert_float_eq(mean[0], 3.0f);
    ck_assert_float_eq(mean[1], 3.0f);
    tu_assert_close(std[0], sqrt(3.5), 1e-7);
    tu_assert_close(std[1], sqrt(3.5), 1e-7);
    tu_assert_close(d.x[3], 3 / sqrt(3.5), 1e-6);
    ck_assert_int_eq(tg_dataset_standardize(&d, TG_NORM_GLOBAL, NULL, NULL), 0);
    ck_assert_int_lt(tg_dataset_standardize(&d, (tg_norm_mode)7, NULL, NULL), 0);
    tg_dataset_free(&d);
    tg_dataset empty = {0};
    tg_clear_error();
    ck_assert_int_lt(tg_dataset_standardize(&empty, TG_NORM_GLOBAL, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "empty"));
}
END_TEST

/* ---- split ---- */

START_TEST(split_sizes_disjoint_and_seeded)
{
    tg_dataset d = counting_dataset(100, 3, 7), train[2], validation[2];
    for (int run = 0; run < 2; run++) {
        tg_rng rng;
        tg_rng_seed(&rng, 1234);
        ck_assert_int_eq(tg_dataset_split(&d, 0.2, &rng, &train[run], &validation[run]), 0);
    }
    ck_assert_int_eq(train[0].n, 80);
    ck_assert_int_eq(validation[0].n, 20);
    ck_assert_int_eq(train[0].n_classes, 7);
    int seen[100] = {0};
    const tg_dataset *parts[2] = {&train[0], &validation[0]};
    for (int p = 0; p < 2; p++)
        for (int64_t i = 0; i < parts[p]->n; i++) {
            int64_t sample = (int64_t)parts[p]->x[i * 3] / 10; /* x[i][0] = 10 * index */
            seen[sample]++;
            ck_assert_float_eq(parts[p]->x[i * 3 + 2], (float)(sample * 10 + 2));
            ck_assert_int_eq(parts[p]->labels[i], sample % 7);
        }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    /* same seed, same split; and it is shuffled, not the last 20 */
    ck_assert(memcmp(validation[0].x, validation[1].x, 20 * 3 * sizeof(float)) == 0);
    bool shuffled = false;
    for (int64_t i = 0; i < 20; i++)
        shuffled |= validation[0].x[i * 3] != (float)((80 + i) * 10);
    ck_assert(shuffled);
    for (int run = 0; run < 2; run++) {
        tg_dataset_free(&train[run]);
        tg_dataset_free(&validation[run]);
    }
    tg_dataset_free(&d);
}
END_TEST

START_TEST(split_without_rng_keeps_order_and_checks_arguments)
{
    tg_dataset d = counting_dataset(10, 2, 0), train, validation;
    ck_assert_int_eq(tg_dataset_split(&d, 0.3, NULL, &train, &validation), 0);
    ck_assert_int_eq(train.n, 7);
    ck_assert_ptr_null(validation.labels);
    for (int64_t i = 0; i < 3; i++)
        ck_assert_float_eq(validation.x[i * 2], (float)((7 + i) * 10));
    tg_dataset_free(&train);
    tg_dataset_free(&validation);

    const double bad[] = {0.0, 0.01, 1.0, 0.99, -0.5, NAN};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        memset(&train, 0x11, sizeof train);
        tg_dataset before = train;
        ck_assert_int_lt(tg_dataset_split(&d, bad[k], NULL, &train, &validation), 0);
        ck_assert(memcmp(&train, &before, sizeof train) == 0);
        ck_assert_ptr_nonnull(strstr(tg_last_error(), "of 10 samples leaves a part empty"));
    }
    ck_assert_int_lt(tg_dataset_split(&d, 0.5, NULL, &train, &train), 0);
    ck_assert_int_lt(tg_dataset_split(&d, 0.5, NULL, &d, &validation), 0);
    ck_assert_int_eq(tg_dataset_split(&d, 0.5, NULL, NULL, &validation), TG_ENULL);
    tg_dataset_free(&d);
}
END_TEST

/* ---- the batcher ---- */

/* Runs one epoch; checks each batch's values and labels against the indices
 * it reports and records the order of the samples. Returns the batch count. */
static int64_t run_epoch(tg_batcher *b, const tg_dataset *d, tg_dtype dtype, int64_t *order,
                         int64_t *last_count)
{
    tg_tensor *x;
    const int64_t *labels;
    int64_t count, batches = 0, seen = 0;
    int rc;
    while ((rc = tg_batcher_next(b, dtype, &x, &labels, &count)) == 1) {
        const int64_t *idx = tg_batcher_indices(b);
        ck_assert_int_eq(tg_ndim(x), 2);
        ck_assert_int_eq(tg_shape(x)[0], count);
        ck_assert_int_eq(tg_shape(x)[1], d->dim);
        ck_assert(!tg_requires_grad(x));
        int64_t wrong = 0;
        for (int64_t r = 0; r < count; r++) {
            for (int64_t j = 0; j < d->dim; j++)
                wrong += tg_get(x, r * d->dim + j) != d->x[idx[r] * d->dim + j];
            wrong += d->labels && labels[r] != d->labels[idx[r]];
            order[seen++] = idx[r];
        }
        ck_assert_int_eq(wrong, 0);
        *last_count = count;
        batches++;
        tg_tape_reset();
    }
    ck_assert_int_eq(rc, 0); /* the end of the epoch, not a failure */
    ck_assert_ptr_null(x);
    ck_assert_int_eq(count, 0);
    return batches;
}

static void assert_permutation(const int64_t *order, int64_t n)
{
    int seen[128] = {0};
    for (int64_t i = 0; i < n; i++)
        seen[order[i]]++;
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(seen[i] == 1, "sample %lld seen %d times", (long long)i, seen[i]);
}

START_TEST(batcher_covers_every_sample_once_per_epoch)
{
    tg_dataset d = counting_dataset(103, 4, 5);
    tg_batcher *b = tg_batcher_new(&d, 10, TG_BATCH_SHUFFLE, 99);
    tu_assert_ok(b);
    ck_assert_int_eq(tg_batcher_batches(b), 11);
    int64_t order[3][103], last;
    for (int epoch = 0; epoch < 3; epoch++) {
        tg_dtype dtype = epoch == 1 ? TG_F64 : TG_F32;
        ck_assert_int_eq(run_epoch(b, &d, dtype, order[epoch], &last), 11);
        ck_assert_int_eq(last, 3); /* the partial batch is included */
        ck_assert_int_eq(tg_batcher_epoch(b), epoch + 1);
        assert_permutation(order[epoch], 103);
    }
    ck_assert(memcmp(order[0], order[1], sizeof order[0]) != 0);
    ck_assert(memcmp(order[1], order[2], sizeof order[0]) != 0);
    tg_batcher_free(b);

    /* the same seed replays the same epochs; another seed does not */
    int64_t replay[103], other[103];
    b = tg_batcher_new(&d, 10, TG_BATCH_SHUFFLE, 99);
    for (int epoch = 0; epoch < 2; epoch++)
        run_epoch(b, &d, TG_F32, replay, &last);
    ck_assert(memcmp(replay, order[1], sizeof replay) == 0);
    tg_batcher_free(b);
    b = tg_batcher_new(&d, 10, TG_BATCH_SHUFFLE, 100);
    run_epoch(b, &d, TG_F32, other, &last);
    ck_assert(memcmp(other, order[0], sizeof other) != 0);
    tg_batcher_free(b);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(batcher_in_order_and_drop_last)
{
    tg_dataset d = counting_dataset(25, 2, 0);
    int64_t order[25], last;
    tg_batcher *b = tg_batcher_new(&d, 4, 0, 0);
    ck_assert_int_eq(run_epoch(b, &d, TG_F32, order, &last), 7);
    ck_assert_int_eq(last, 1);
    for (int64_t i = 0; i < 25; i++)
        ck_assert_int_eq(order[i], i);
    tg_batcher_free(b);

    b = tg_batcher_new(&d, 4, TG_BATCH_SHUFFLE | TG_BATCH_DROP_LAST, 5);
    ck_assert_int_eq(tg_batcher_batches(b), 6);
    for (int epoch = 0; epoch < 2; epoch++) {
        ck_assert_int_eq(run_epoch(b, &d, TG_F32, order, &last), 6);
        ck_assert_int_eq(last, 4);
    }
    tg_batcher_free(b);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(batcher_with_a_batch_larger_than_the_data)
{
    /* the whole set in one batch, without sizing anything by the request */
    tg_dataset d = counting_dataset(5, 2, 3);
    tg_batcher *b = tg_batcher_new(&d, (int64_t)1 << 61, 0, 1);
    tu_assert_ok(b);
    ck_assert_int_eq(tg_batcher_batches(b), 1);
    tg_tensor *x;
    const int64_t *labels;
    int64_t count;
    ck_assert_int_eq(tg_batcher_next(b, TG_F32, &x, &labels, &count), 1);
    ck_assert_int_eq(count, 5);
    for (int64_t i = 0; i < 5; i++)
        ck_assert_int_eq(labels[i], d.labels[i]);
    ck_assert_int_eq(tg_batcher_next(b, TG_F32, &x, &labels, &count), 0);
    tg_batcher_free(b);
    b = tg_batcher_new(&d, INT64_MAX, TG_BATCH_SHUFFLE, 1);
    tu_assert_ok(b);
    ck_assert_int_eq(tg_batcher_batches(b), 1);
    tg_batcher_free(b);
    tg_dataset_free(&d);
}
END_TEST

START_TEST(batcher_errors)
{
    tg_dataset d = counting_dataset(5, 2, 2), empty = {0};
    ck_assert_ptr_null(tg_batcher_new(&d, 0, 0, 0));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "batch size 0"));
    tg_clear_error();
    ck_assert_ptr_null(tg_batcher_new(&d, 6, TG_BATCH_DROP_LAST, 0));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "leave no batch"));
    tg_clear_error();
    ck_assert_ptr_null(tg_batcher_new(&d, 2, 0x8, 0));
    ck_assert_ptr_null(tg_batcher_new(&empty, 2, 0, 0));
    ck_assert_ptr_null(tg_batcher_new(NULL, 2, 0, 0));

    /* a failed call leaves the batcher where it was */
    tg_batcher *b = tg_batcher_new(&d, 2, 0, 0);
    tg_tensor *x;
    int64_t count;
    tg_clear_error();
    ck_assert_int_eq(tg_batcher_next(b, (tg_dtype)9, &x, NULL, &count), TG_EDTYPE);
    ck_assert_str_eq(tg_last_error(), "tg_batcher_next: unknown dtype 9");
    ck_assert_ptr_null(x);
    ck_assert_int_eq(count, 0);
    tg_clear_error();
    ck_assert_int_eq(tg_batcher_next(b, TG_F32, &x, NULL, &count), 1);
    ck_assert_int_eq(tg_batcher_indices(b)[0], 0);
    ck_assert_int_eq(tg_batcher_next(NULL, TG_F32, &x, NULL, NULL), TG_ENULL);
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    tg_clear_error();
    ck_assert_int_eq(tg_batcher_next(b, TG_F32, NULL, NULL, NULL), TG_ENULL);
    ck_assert_str_eq(tg_last_error(), "tg_batcher_next: x is NULL");
    tg_clear_error();
    tg_batcher_free(b);
    tg_batcher_free(NULL);
    tg_dataset_free(&d);
}
END_TEST

/* An allocator that records the size a free of `watched` passes. */
static const void *watched;
static size_t watched_free_size;

static void *watching_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        if (ptr && ptr == watched)
            watched_free_size = osize;
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

START_TEST(dataset_prefix_keeps_its_capacity)
{
    tg_tape_destroy(); /* made with the default allocator */
    tg_set_allocator(watching_alloc, NULL);
    tg_dataset d = counting_dataset(10, 3, 2);
    ck_assert_int_eq(d.cap, 10);
    d.n = 4; /* the first 4 samples only */
    tg_batcher *b = tg_batcher_new(&d, 3, 0, 0);
    int64_t order[4], last;
    ck_assert_int_eq(run_epoch(b, &d, TG_F32, order, &last), 2);
    ck_assert_int_eq(last, 1);
    tg_batcher_free(b);
    tg_tape_reset();
    ck_assert_int_eq(tg_dataset_standardize(&d, TG_NORM_PER_FEATURE, NULL, NULL), 0);

    d.n = 11; /* more than there is room for */
    tg_clear_error();
    ck_assert_ptr_null(tg_batcher_new(&d, 3, 0, 0));
    ck_assert_str_eq(tg_last_error(), "tg_batcher_new: the data set has n = 11 samples but room "
                                      "for only cap = 10");
    ck_assert_int_eq(tg_dataset_standardize(&d, TG_NORM_GLOBAL, NULL, NULL), TG_EVALUE);
    d.n = 4;
    watched = d.x;
    tg_dataset_free(&d); /* the size allocated, not the prefix's */
    ck_assert_uint_eq(watched_free_size, 10 * 3 * sizeof(float));
    ck_assert_int_eq(d.cap, 0);
    tg_tape_destroy();
    tg_set_allocator(NULL, NULL);
}
END_TEST

START_TEST(batcher_allocates_nothing_per_batch)
{
    tu_allocator_install();
    tg_dataset d = counting_dataset(1000, 300, 10);
    tg_batcher *b = tg_batcher_new(&d, 64, TG_BATCH_SHUFFLE, 3);
    int64_t order[1000], last;
    run_epoch(b, &d, TG_F32, order, &last); /* the tape arena grows once */
    tu_allocations_reset();
    for (int epoch = 0; epoch < 3; epoch++)
        run_epoch(b, &d, TG_F32, order, &last);
    long later = tu_allocations();
    tg_batcher_free(b);
    tg_dataset_free(&d);
    tu_allocator_remove();
    ck_assert_msg(later == 0, "%ld allocations in epochs 2..4", later);
}
END_TEST

/* A regression set's batches carry their samples' targets, in the dtype asked. */
START_TEST(batcher_gives_targets)
{
    tg_dataset d;
    ck_assert_int_eq(tg_dataset_alloc_targets(&d, 10, 1, 2), 0);
    ck_assert_ptr_null(d.labels);
    for (int i = 0; i < 10; i++) {
        d.x[i] = (float)i;
        d.targets[2 * i] = (float)(10 * i);
        d.targets[2 * i + 1] = -0.5f * (float)i;
    }
    tg_batcher *b = tg_batcher_new(&d, 4, TG_BATCH_SHUFFLE, 9);
    ck_assert_ptr_null(tg_batcher_targets(b));
    tg_tensor *x;
    int64_t count;
    for (int k = 0; k < 2; k++) {
        tg_dtype dtype = k ? TG_F64 : TG_F32;
        int rc;
        while ((rc = tg_batcher_next(b, dtype, &x, NULL, &count)) == 1) {
            tg_tensor *y = tg_batcher_targets(b);
            ck_assert_int_eq(tg_dtype_of(y), dtype);
            ck_assert_int_eq(tg_shape(y)[0], count);
            ck_assert_int_eq(tg_shape(y)[1], 2);
            for (int64_t r = 0; r < count; r++) {
                ck_assert_double_eq(tg_get(y, 2 * r), 10 * tg_get(x, r));
                ck_assert_double_eq(tg_get(y, 2 * r + 1), -0.5 * tg_get(x, r));
            }
            tg_tape_reset();
        }
        ck_assert_int_eq(rc, 0);
        ck_assert_ptr_null(tg_batcher_targets(b));
    }
    tg_batcher_free(b);
    tg_dataset_free(&d);
    ck_assert_int_eq(tg_dataset_alloc_targets(&d, 10, 1, 0), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "0 targets per sample"));
}
END_TEST

/* The indices of the next count batches of b, as one list. */
static int64_t next_indices(tg_batcher *b, int batches, int64_t *out)
{
    int64_t n = 0, count;
    tg_tensor *x;
    for (int k = 0; k < batches; k++) {
        int rc = tg_batcher_next(b, TG_F32, &x, NULL, &count);
        if (rc == 0)
            rc = tg_batcher_next(b, TG_F32, &x, NULL, &count); /* the next epoch */
        ck_assert_int_eq(rc, 1);
        memcpy(out + n, tg_batcher_indices(b), (size_t)count * sizeof *out);
        n += count;
        tg_tape_reset();
    }
    return n;
}

/* A batcher put at (epoch, batch) by seek draws what one run that far draws
 * next, and reports the position it was put at. */
START_TEST(batcher_seek_resumes_the_same_batches)
{
    tg_dataset d = counting_dataset(50, 1, 0);
    const int per_epoch = 7; /* batches of 8: six full and one of 2 */
    for (int skip = 0; skip <= 3 * per_epoch; skip += 5) {
        tg_batcher *straight = tg_batcher_new(&d, 8, TG_BATCH_SHUFFLE, 21);
        tg_batcher *resumed = tg_batcher_new(&d, 8, TG_BATCH_SHUFFLE, 21);
        int64_t before[256], want[256], got[256], epoch, batch;
        next_indices(straight, skip, before);
        ck_assert_int_eq(tg_batcher_position(straight, &epoch, &batch), 0);
        ck_assert_int_eq(epoch, skip / per_epoch);
        ck_assert_int_eq(batch, skip % per_epoch);
        ck_assert_int_eq(tg_batcher_seek(resumed, epoch, batch), 0);
        int64_t epoch2, batch2;
        ck_assert_int_eq(tg_batcher_position(resumed, &epoch2, &batch2), 0);
        ck_assert_int_eq(epoch2, epoch);
        ck_assert_int_eq(batch2, batch);
        int64_t n = next_indices(straight, 10, want);
        ck_assert_int_eq(next_indices(resumed, 10, got), n);
        for (int64_t i = 0; i < n; i++)
            ck_assert_msg(got[i] == want[i], "skip %d: index %lld differs", skip, (long long)i);
        tg_batcher_free(straight);
        tg_batcher_free(resumed);
    }
    tg_batcher *b = tg_batcher_new(&d, 8, 0, 0);
    ck_assert_int_eq(tg_batcher_seek(b, 0, 7), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "batch 7 (need epoch >= 0 and a batch in 0..6)"));
    ck_assert_int_eq(tg_batcher_seek(b, -1, 0), TG_EVALUE);
    tg_batcher_free(b);
    tg_dataset_free(&d);
}
END_TEST

static void remove_fixtures(void)
{
    DIR *dir = opendir(fixture_dir);
    for (struct dirent *e; dir && (e = readdir(dir));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            unlink(fixture(e->d_name));
    if (dir)
        closedir(dir);
    rmdir(fixture_dir);
}

int main(void)
{
    if (!mkdtemp(fixture_dir)) {
        perror("suite_data: mkdtemp");
        return EXIT_FAILURE;
    }
    Suite *s = suite_create("data");
    TCase *idx = tu_tcase("idx");
    tcase_add_test(idx, idx_small_file_loads_exactly);
    tcase_add_test(idx, idx_bad_magic);
    tcase_add_test(idx, idx_swapped_arguments_are_named);
    tcase_add_test(idx, idx_truncated_header);
    tcase_add_test(idx, idx_truncated_data);
    tcase_add_test(idx, idx_count_disagrees_with_file_size);
    tcase_add_test(idx, idx_nonpositive_dimension);
    tcase_add_test(idx, idx_image_and_label_counts_must_agree);
    tcase_add_test(idx, idx_missing_file_and_directory);
    tcase_add_test(idx, idx_broken_gzip);
    tcase_add_test(idx, gzip_members_and_trailing_bytes);
    tcase_add_test(idx, gzip_allocations_go_through_the_allocator);
    tcase_add_test(idx, fashion_mnist_train_loads);
    tcase_add_test(idx, fashion_mnist_test_loads_and_standardizes);
    tcase_add_test(idx, gzip_and_plain_files_agree);
    tcase_add_test(idx, fashion_mnist_checks_labels_and_size);
    suite_add_tcase(s, idx);
    TCase *csv = tu_tcase("csv");
    tcase_add_test(csv, csv_header_and_label_by_name);
    tcase_add_test(csv, csv_rows_after_a_gzip_member_are_refused);
    tcase_add_test(csv, csv_label_by_index_and_delimiters);
    tcase_add_test(csv, csv_regression_targets);
    tcase_add_test(csv, csv_ragged_row_names_the_line);
    tcase_add_test(csv, csv_non_numeric_field_names_line_and_column);
    tcase_add_test(csv, csv_empty_files_and_bad_options);
    suite_add_tcase(s, csv);
    TCase *prep = tu_tcase("preparation");
    tcase_add_test(prep, standardize_per_feature);
    tcase_add_test(prep, standardize_global);
    tcase_add_test(prep, split_sizes_disjoint_and_seeded);
    tcase_add_test(prep, split_without_rng_keeps_order_and_checks_arguments);
    tcase_add_test(prep, batcher_covers_every_sample_once_per_epoch);
    tcase_add_test(prep, batcher_in_order_and_drop_last);
    tcase_add_test(prep, batcher_errors);
    tcase_add_test(prep, batcher_with_a_batch_larger_than_the_data);
    tcase_add_test(prep, batcher_allocates_nothing_per_batch);
    tcase_add_test(prep, batcher_gives_targets);
    tcase_add_test(prep, batcher_seek_resumes_the_same_batches);
    tcase_add_test(prep, dataset_prefix_keeps_its_capacity);
    suite_add_tcase(s, prep);
    int status = tu_run(s);
    remove_fixtures();
    return status;
}
