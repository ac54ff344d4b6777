/*
 * trainer.h -- what `tg train` and `tg eval` share: their options, the data
 * sets named by --data, the model description kept in a checkpoint's
 * metadata, and the SVG plot of a run.
 */
#ifndef TG_TRAINER_H
#define TG_TRAINER_H

#include <tapegrad/nn.h>

#include "tg.h"

/* tg train exits with this when Ctrl-C ended it early (128 + SIGINT, as a
 * shell reports a program killed by it); the checkpoint is still written. */
#define TG_EXIT_INTERRUPTED 130

/* Test sets are scored in batches of this size by tg train and tg eval
 * alike, so that both compute the accuracy from the very same sums. Small,
 * because a batch's activations live on the tape (two arenas of the largest
 * size seen): with 1000 the Fashion-MNIST CNN of docs/tg/train.md peaked at
 * 1.95 GB resident, with 64 (the default training batch) at 464 MB, 236 MB of
 * it the data set. */
#define EVAL_BATCH 64

/* Reports tg_last_error() through d; returns false, for chaining. */
bool library_failed(diag *d);

/* ---- options: --NAME VALUE or --NAME=VALUE, each parsed into its field ---- */

typedef struct option_spec option_spec;
/* Stores the parsed text into dest; on a bad value sets d naming the option. */
typedef bool (*option_parser)(const option_spec *o, const char *text, const char *cmd, diag *d);
struct option_spec {
    const char *name; /* "--lr" */
    option_parser parse;
    void *dest;
};

bool parse_positive_int(const option_spec *o, const char *text, const char *cmd, diag *d);
bool parse_seed(const option_spec *o, const char *text, const char *cmd, diag *d);
bool parse_positive_number(const option_spec *o, const char *text, const char *cmd, diag *d);
bool parse_fraction(const option_spec *o, const char *text, const char *cmd, diag *d);
bool parse_text(const option_spec *o, const char *text, const char *cmd, diag *d);

/* The optimizer --opt names (sgd, momentum: SGD with momentum 0.9, adam)
 * with PyTorch's settings and lr, or when lr is 0 the default rate of
 * tg train (0.1, 0.01, 0.001). */
bool optimizer_named(const char *cmd, const char *name, double lr, tg_optim_config *cfg, diag *d);

/* Fills the options' fields from argv; every argument must be an option of
 * specs (n of them) with its value. */
bool parse_options(int argc, char **argv, const char *cmd, const option_spec *specs, int n,
                   diag *d);

/* ---- data: --data fashion-mnist | csv:PATH[:label=COL|:target=COLS][:header] */

typedef struct {
    const char *spec;  /* --data, required */
    double val;        /* --val: held-out fraction of a CSV file; 0 when not given */
    uint64_t seed;     /* shuffles the CSV split */
    int64_t limit;     /* --limit: use the first N samples of each set; 0: all */
} data_request;

/* The standardization of the training set, applied to every other set. */
typedef struct {
    tg_norm_mode mode;
    float *mean, *std; /* dim entries each */
    int64_t dim;
} normalization;

void normalization_free(normalization *n);

/* The training and test sets of a run: Fashion-MNIST's two files, or a CSV
 * file split by the request's fraction and seed. Both are standardized with
 * the training set's statistics, stored in norm. */
bool load_training_data(const data_request *r, tg_dataset *train, tg_dataset *test,
                        normalization *norm, diag *d);
/* The data tg eval measures: Fashion-MNIST's test file, or the whole CSV
 * file (its held-out part when r->val is set), as it is in the file. */
bool load_eval_data(const data_request *r, tg_dataset *out, diag *d);
/* Applies a trained model's normalization to a set of its feature count. */
bool normalize_data(tg_dataset *set, const normalization *norm, diag *d);
/* Whether spec names regression targets (a CSV spec with :target=). */
bool names_targets(const char *spec);
/* Whether spec names Fashion-MNIST (its classes then have names). */
bool is_fashion_mnist(const char *spec);
/* "T-shirt/top" ... "Ankle boot" for Fashion-MNIST's class k. */
const char *fashion_mnist_class(int64_t k);

/* ---- the model, as tg train describes it in the checkpoint ---------------- */

#define MAX_LAYER_SIZES 16
#define MAX_MODEL_LAYERS 64
#define MAX_MODEL_TEXT 4096
#define ARCH_TEXT_MAX (MAX_MODEL_TEXT + 32) /* architecture_text's longest */

/* One layer of a --model description. */
typedef enum {
    SPEC_INPUT, /* input(1,28,28): the shape of one sample, first if at all */
    SPEC_DENSE,
    SPEC_CONV1D,
    SPEC_CONV2D,
    SPEC_MAX_POOL,
    SPEC_AVG_POOL,
    SPEC_DROPOUT,
    SPEC_FLATTEN,
    SPEC_BATCH_NORM, /* batchnorm: nn.BatchNorm1d/2d by the shape, PyTorch's defaults */
    SPEC_LAYER_NORM, /* layernorm(n): the last n axes of a sample, all when no n */
    SPEC_ACTIVATION
} spec_kind;

typedef struct {
    spec_kind kind;
    double numbers[TG_MAX_DIMS]; /* the positional arguments */
    int n_numbers;
    tg_conv_opts conv;           /* conv: stride=, pad=, dilation=, groups=; pooling: stride=, pad= */
    int spatial;                 /* pooling: 1 or 2 axes; 0: the shape's */
    bool no_bias;                /* bias=0 */
    tg_activation act;
    double slope;                /* leaky_relu(slope) */
    int offset;                  /* where the layer starts in the text */
} layer_spec;

/* The model of a run: an MLP of sizes (--layers, with --act between the
 * dense layers), or the layers of a --model description (text not empty). */
typedef struct {
    int64_t sizes[MAX_LAYER_SIZES];
    int n_sizes;
    tg_activation act;
    tg_dtype dtype;
    char text[MAX_MODEL_TEXT];   /* the description, as given; "" for an MLP */
    layer_spec layers[MAX_MODEL_LAYERS];
    int n_layers;
    int in_ndim;                 /* one sample's shape: input(...) or the data's */
    int64_t in_shape[TG_MAX_DIMS];
} architecture;

/* "784,128,10" into a (at least an input and an output size). */
bool parse_layers(const char *text, architecture *a, const char *cmd, diag *d);
/* A --model description, or @FILE holding one, into a's text and layers. */
bool parse_model(const char *arg, architecture *a, diag *d);
bool parse_model_text(const char *text, architecture *a, diag *d);
/* The description in canonical form ("conv2d(32,3,pad=1) relu ..."). */
char *model_text(const architecture *a, char *buf, size_t size);
/* An activation that can train a hidden layer (not step or softmax). */
bool parse_hidden_activation(const char *name, tg_activation *act, diag *d);
/* The same test without an error: whether name is such an activation. */
bool hidden_activation_known(const char *name, tg_activation *act);
bool parse_dtype(const char *name, tg_dtype *dtype, diag *d); /* "f32" or "f64" */
/* "784-128-10 relu f32", or the description and dtype */
char *architecture_text(const architecture *a, char *buf, size_t size);
/* One sample's shape for data of dim features: input(...) if the
 * description starts with it (its size must be dim), [1, 28, 28] for
 * Fashion-MNIST's images, else [dim]. */
bool set_input_shape(architecture *a, int64_t dim, bool images, const char *cmd, diag *d);
/* The model's input must take the data's features and its output be what
 * loss compares: one score per class for ce (exactly as many as the data has,
 * or at least with exact_classes false), one logit for bce and bce_logits,
 * one value per target for a regression. */
bool check_fits_data(const architecture *a, const tg_model *model, const tg_dataset *data,
                     tg_loss_kind loss, bool exact_classes, const char *cmd, diag *d);
/* The number of classes the model scores: its output's last size. */
int64_t model_classes(const tg_model *model);
tg_model *build_model(const architecture *a, uint64_t seed, diag *d);
/* The model of a's description, its weights drawn from seed; max_values
 * bounds its parameters (0: no bound). */
tg_model *build_described_model(const architecture *a, uint64_t seed, double max_values, diag *d);

typedef struct {
    const char *data;   /* the --data spec trained on */
    const char *epochs; /* epochs completed, "3" or "2.4" when interrupted */
    tg_loss_kind loss;
    const tg_epoch_stats *test; /* the last evaluation of the test set */
} run_facts;

/* Writes the parameters and everything tg eval needs to rebuild the model
 * into a safetensors file. */
bool save_checkpoint(tg_model *model, const char *path, const architecture *a,
                     const normalization *norm, const run_facts *facts, diag *d);
/* save_checkpoint writing tensors (NULL: the model's parameters) and, after
 * the model's metadata, the key-value pairs of extra (NULL-terminated; may
 * be NULL). */
bool save_checkpoint_with(tg_model *model, const tg_params *tensors, const char *const *extra,
                          const char *path, const architecture *a, const normalization *norm,
                          const run_facts *facts, diag *d);
/* The model of a checkpoint written by save_checkpoint, with its weights,
 * its normalization and its loss (ce for a file that names none); *trained_on
 * receives the data spec (free it). */
tg_model *load_checkpoint(const char *path, architecture *a, normalization *norm,
                          tg_loss_kind *loss, char **trained_on, diag *d);

/* ---- the plot: loss and accuracy per epoch as SVG ------------------------- */

typedef struct {
    double epoch; /* 1, 2, ...; fractional for an interrupted epoch */
    double train_loss, test_loss;
    double train_accuracy, test_accuracy; /* in [0, 1]; R^2 for a regression */
} epoch_record;

/* loss_label and score_label name the two panels' y axes. */
bool write_plot(const char *path, const char *title, const char *loss_label,
                const char *score_label, const epoch_record *records, int n, diag *d);

/* ---- resumable runs: tg train --state FILE and --resume FILE (train_state.c) */

/* The metadata key that marks a --state file; it holds the run's options. */
#define TRAIN_STATE_KEY "train.args"

/* What a run changes beyond the weights and buffers, so that a run resumed
 * from it continues bit for bit. */
typedef struct {
    tg_model *model;
    tg_optim *optim;
    const tg_optim_config *cfg; /* which slots the optimizer keeps */
    int64_t epoch, batch;       /* the batcher's position: epochs done, batches into the next */
    epoch_record *records;      /* the epochs so far (restored: malloc'd, the caller frees) */
    int n_records;
    int rank, ranks;            /* this process in its job; 0 and 1 alone */
    /* saving: every rank's dropout generators, [rank][dropout layer][4]
     * (each rank's draws follow its own samples) */
    const uint64_t *rng_words;
} train_state;

/* How many of model's layers draw from a generator (dropout), and their
 * generators' states, 4 words each in layer order, into words (4 per
 * layer); returns the layer count. */
int model_rng_layers(tg_model *model);
int model_rng_words(tg_model *model, uint64_t *words);

/* argv as "<length>:<text>" per argument (malloc'd), and back (free_args). */
char *encode_args(int argc, char *const *argv);
bool decode_args(const char *text, int *argc, char ***argv);
void free_args(int argc, char **argv);

/* A checkpoint with the model's metadata (save_checkpoint's), args (the
 * encoded options) and s. */
bool save_train_state(const char *path, const char *args, const train_state *s,
                      const architecture *a, const normalization *norm, const run_facts *facts,
                      diag *d);
/* The encoded options of the state file at path (malloc'd), NULL with d set. */
char *read_state_args(const char *path, diag *d);
/* Puts the weights, buffers, optimizer state and generators of the state
 * file at path into s's model and optimizer (made from the same options),
 * and reads its position and history into s. */
bool restore_train_state(const char *path, train_state *s, diag *d);

#endif
