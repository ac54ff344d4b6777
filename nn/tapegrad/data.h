/*
 * tapegrad/data.h -- data sets: IDX (MNIST, Fashion-MNIST) and CSV loaders,
 * normalization, a seeded train/validation split and mini-batch iteration.
 *
 * A tg_dataset is a plain struct that owns heap arrays: n samples of dim
 * float features, row-major, and optionally n integer class labels (a
 * classification set) or n rows of n_targets real-valued targets (a
 * regression set). The
 * arrays have room for cap samples; setting n below it (to train on the
 * first samples only) is fine, and tg_dataset_free still frees what was
 * allocated. Loaders
 * fill it completely or not at all: on any error they return a negative TG_E*
 * code, leave the output untouched and set tg_last_error() to a message that
 * names the function, the file and the byte or line at fault.
 *
 *     tg_dataset train = {0}, test = {0};
 *     if (tg_fashion_mnist_load(NULL, true, &train) < 0 ||
 *         tg_fashion_mnist_load(NULL, false, &test) < 0)
 *         fprintf(stderr, "%s\n", tg_last_error());
 *     tg_batcher *b = tg_batcher_new(&train, 128, TG_BATCH_SHUFFLE, 42);
 *     for (int epoch = 0; epoch < 10; epoch++) {
 *         tg_tensor *x; const int64_t *y; int64_t count;
 *         int rc;
 *         while ((rc = tg_batcher_next(b, TG_F32, &x, &y, &count)) > 0) {
 *             ... loss of model(x) against y, tg_backward, update ...
 *             tg_tape_reset();
 *         }
 *         if (rc < 0)
 *             fprintf(stderr, "%s\n", tg_last_error());
 *     }
 *     tg_batcher_free(b);
 *     tg_dataset_free(&train);
 *     tg_dataset_free(&test);
 */
#ifndef TAPEGRAD_DATA_H
#define TAPEGRAD_DATA_H

#include <tapegrad/export.h>

#include <stdbool.h>
#include <stdint.h>

#include <tapegrad/random.h>
#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t n;                /* number of samples; may be lowered to use a prefix */
    int64_t cap;              /* samples allocated, for tg_dataset_free; n <= cap */
    int64_t dim;              /* features per sample */
    float *x;                 /* n * dim values; sample i starts at x + i * dim */
    int64_t *labels;          /* n class indices, or NULL for an unlabelled set */
    int64_t n_classes;        /* 1 + the largest label (0 when unlabelled) */
    float *targets;           /* n * n_targets regression targets, row-major, or NULL */
    int64_t n_targets;        /* targets per sample (0 without targets) */
    int sample_ndim;          /* shape of one sample, for reshaping: 28x28 is */
    int64_t sample_shape[3];  /* sample_ndim 2, {28, 28}; a CSV row is 1, {dim} */
} tg_dataset;

/* Allocates a zero-filled set of n samples of dim features, with a zeroed
 * label array if labelled (the caller fills x, labels and n_classes). The
 * sample shape is {dim}. out is untouched on error. */
TG_API int tg_dataset_alloc(tg_dataset *out, int64_t n, int64_t dim, bool labelled);
/* The same for a regression set: zero-filled features and n rows of
 * n_targets >= 1 zeroed targets, no labels. */
TG_API int tg_dataset_alloc_targets(tg_dataset *out, int64_t n, int64_t dim, int64_t n_targets);

/* Releases the arrays and zeroes the struct. A zeroed struct is a valid
 * empty argument; NULL is ignored. */
TG_API void tg_dataset_free(tg_dataset *d);

/* ---- IDX files ---------------------------------------------------------------
 *
 * IDX (the MNIST container): a big-endian magic 0x000008NN (0x08 = unsigned
 * bytes, NN = number of dimensions), NN big-endian int32 sizes, then the raw
 * bytes. Images must be 0x00000803 (count x rows x cols), labels 0x00000801.
 * Files may be gzip-compressed or plain; the choice is made from the content,
 * not the name. Pixels are scaled to [0, 1] (byte / 255). labels_path may be
 * NULL for an unlabelled set. The whole file must be exactly what its header
 * promises: a short or overlong file, a non-positive size, a bad magic, a
 * broken gzip stream or images and labels of different counts are errors. */
TG_API int tg_idx_load(const char *images_path, const char *labels_path, tg_dataset *out);

/* Fashion-MNIST (60,000 training or 10,000 test images of 28x28, 10 classes)
 * from dir, or from /usr/share/datasets/fashion-mnist if dir is NULL. Reads
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, or the same names without
 * .gz when the compressed file is absent. Beyond tg_idx_load it checks the
 * 28x28 size and that every label is in 0..9, so n_classes is always 10. */
#define TG_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
TG_API int tg_fashion_mnist_load(const char *dir, bool train, tg_dataset *out);

/* ---- CSV files ---------------------------------------------------------------
 *
 * Numeric delimited text, gzip-compressed or plain. Every row must have the
 * same number of fields; every feature must parse completely as a finite
 * number (strtod, so the decimal point follows the C locale); whitespace
 * around a field is ignored, and so are blank lines and a final newline. No
 * quoting. The label column, if any, must hold integers in 0..INT32_MAX that
 * are used as class indices as they are; the other columns, in order, become
 * the features. With targets set, the set is a regression set instead: the
 * target columns, in the order listed, become each sample's real-valued
 * targets (finite numbers like the features), and there is no label column.
 * Error messages count lines and columns from 1, as editors do. A zeroed (or
 * NULL) options struct means: no header, comma-separated, label in column
 * index 0. */
#define TG_CSV_NO_LABELS (-1)
#define TG_CSV_MAX_TARGETS 64
typedef struct {
    bool has_header;        /* the first non-blank line names the columns */
    char delimiter;         /* '\0' means ','; not a digit, sign, '.', letter or newline */
    int label_column;       /* 0-based index of the label column, or TG_CSV_NO_LABELS */
    const char *label_name; /* if set, the label column is the header field of
                               this name (needs has_header); overrides label_column */
    const char *targets;    /* if set, the target columns, comma-separated: indices from 0
                               or header names (which need has_header), at most
                               TG_CSV_MAX_TARGETS, each once; label_column is then
                               not read and label_name must be NULL */
} tg_csv_options;

TG_API int tg_csv_load(const char *path, const tg_csv_options *options, tg_dataset *out);

/* ---- normalization -----------------------------------------------------------
 *
 * Standardization maps each value v of feature j to (v - mean[j]) / std[j].
 * Compute the statistics on the training set and apply the same numbers to
 * validation and test data. TG_NORM_GLOBAL uses one mean and one std over all
 * values (what image pipelines usually do: a border pixel that is almost
 * always 0 would otherwise get a tiny std and blow up on a test image);
 * TG_NORM_PER_FEATURE uses the statistics of each column (tabular data). */
typedef enum { TG_NORM_PER_FEATURE, TG_NORM_GLOBAL } tg_norm_mode;

/* Computes the population mean and standard deviation into mean and std
 * (dim entries each; in global mode all entries are equal) and standardizes
 * d with them. A constant feature (std below float resolution) gets std 1 so
 * that it maps to 0. mean and std may be NULL if not wanted. */
TG_API int tg_dataset_standardize(tg_dataset *d, tg_norm_mode mode, float *mean, float *std);

/* Applies given statistics (dim entries each; every std must be positive). */
TG_API int tg_dataset_normalize(tg_dataset *d, const float *mean, const float *std);

/* ---- train / validation split -------------------------------------------------
 *
 * Copies round(n * validation_fraction) samples into validation and the rest
 * into train, chosen by a shuffle drawn from rng (so a seed fixes the split),
 * or, if rng is NULL, the last samples in their original order. Both parts
 * must end up non-empty. d is not changed and still needs tg_dataset_free;
 * train and validation must be distinct from d and from each other and are
 * untouched on error. */
TG_API int tg_dataset_split(const tg_dataset *d, double validation_fraction, tg_rng *rng,
                     tg_dataset *train, tg_dataset *validation);

/* ---- mini-batches ------------------------------------------------------------
 *
 * A batcher walks a data set in batches of batch_size samples, epoch after
 * epoch. With TG_BATCH_SHUFFLE each epoch visits the samples in a new order
 * drawn from a generator seeded with seed, so the same seed gives the same
 * sequence of batches; without it the order is 0..n-1 and seed is unused.
 * Where the batcher stands (epochs completed, batches of the current epoch
 * returned) can be read and restored, so a resumed run draws the very
 * batches an uninterrupted one would.
 * The last, smaller batch of an epoch is returned unless TG_BATCH_DROP_LAST
 * is given. All memory is allocated by tg_batcher_new; a batch costs only its
 * tape tensor, which the tape arena reuses after tg_tape_reset. The data set
 * must outlive the batcher and must not change size meanwhile. */
enum {
    TG_BATCH_SHUFFLE = 1,
    TG_BATCH_DROP_LAST = 2
};
typedef struct tg_batcher tg_batcher;

TG_API tg_batcher *tg_batcher_new(const tg_dataset *d, int64_t batch_size, unsigned flags, uint64_t seed);
TG_API void tg_batcher_free(tg_batcher *b); /* NULL is ignored */

/* The next batch of the current epoch: *x becomes a [count, dim] tape tensor
 * of dtype (no gradient), *labels the count labels of its samples (NULL for
 * an unlabelled set), *count the number of samples. labels and count may be
 * NULL if not wanted; the label array stays valid until the next call.
 * Returns, as sqlite3_step does, 1 when it produced a batch; 0, with *x =
 * NULL and *count = 0, when the epoch is over (the next call starts the next
 * epoch); or a negative TG_E* code, with *x = NULL and *count = 0, on
 * failure (the error is set and the batcher has not advanced). */
TG_API int tg_batcher_next(tg_batcher *b, tg_dtype dtype, tg_tensor **x,
                           const int64_t **labels, int64_t *count);

/* The data set indices of the samples of the last batch returned (count of
 * them, valid until the next call): for targets kept outside the data set. */
TG_API const int64_t *tg_batcher_indices(const tg_batcher *b);
/* The [count, n_targets] targets of the last batch returned, a tape tensor
 * of the batch's dtype, for a regression set; NULL for a set without
 * targets, before the first batch and after the end of an epoch. Valid until
 * the next call or tg_tape_reset. */
TG_API tg_tensor *tg_batcher_targets(const tg_batcher *b);
TG_API int64_t tg_batcher_epoch(const tg_batcher *b);   /* epochs completed so far */
TG_API int64_t tg_batcher_batches(const tg_batcher *b); /* batches per epoch */

/* Where the next batch comes from: *epoch epochs completed and *batch
 * batches of the next one returned (0 <= *batch < tg_batcher_batches; an
 * epoch whose last batch has been returned counts as completed). */
TG_API int tg_batcher_position(const tg_batcher *b, int64_t *epoch, int64_t *batch);
/* Puts b where a batcher made with the same data, size, flags and seed stands
 * after epoch epochs and batch batches of the next: the shuffles of the
 * epochs before are drawn again from the seed, so the batches that follow
 * are the ones an uninterrupted run gets. Costs epoch + 1 shuffles. */
TG_API int tg_batcher_seek(tg_batcher *b, int64_t epoch, int64_t batch);

#ifdef __cplusplus
}
#endif
#endif
