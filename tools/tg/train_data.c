/* train_data.c -- the data sets named by --data: Fashion-MNIST from
 * Debian's package, or a CSV file with a label column, split into a
 * training and a held-out part by a seeded shuffle. Images are standardized
 * with one global mean and deviation (a border pixel that is almost always
 * 0 would otherwise get a tiny deviation), table columns each with their own. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

#define DEFAULT_VALIDATION 0.2

typedef struct {
    bool fashion_mnist;
    char *path; /* CSV only; owns the copy of the spec that label_name points into */
    tg_csv_options csv;
} data_source;

bool is_fashion_mnist(const char *spec) { return strcmp(spec, "fashion-mnist") == 0; }

const char *fashion_mnist_class(int64_t k)
{
    static const char *const names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return k >= 0 && k < 10 ? names[k] : "?";
}

static bool bad_spec(const char *spec, diag *d)
{
    diag_plain(d, "--data wants fashion-mnist or csv:PATH[:label=COL|:target=COL,...][:header], "
                  "not '%s'", spec);
    return false;
}

/* label=COL: a column index from 0, or a header name (which implies a header). */
static bool parse_label(const char *col, tg_csv_options *csv)
{
    char *end;
    long v = strtol(col, &end, 10);
    if (!*col)
        return false;
    if (!*end && col[0] != '-' && col[0] != '+' && v <= INT_MAX)
        csv->label_column = (int)v;
    else {
        csv->label_name = col;
        csv->has_header = true;
    }
    return true;
}

/* target=COLS: column indices from 0 or header names, comma-separated; a
 * name implies a header, as for label=. */
static bool parse_targets(const char *cols, tg_csv_options *csv)
{
    if (!*cols)
        return false;
    for (const char *p = cols; *p; p++)
        if (!(*p >= '0' && *p <= '9') && *p != ',')
            csv->has_header = true;
    csv->targets = cols;
    return true;
}

bool names_targets(const char *spec)
{
    return strncmp(spec, "csv:", 4) == 0 && strstr(spec, ":target=") != NULL;
}

/* Takes the :label=COL, :target=COLS and :header suffixes off the end of the
 * CSV spec, so that a path may itself contain colons. */
static bool parse_csv_suffixes(char *path, tg_csv_options *csv)
{
    char *colon;
    bool labelled = false;
    while ((colon = strrchr(path, ':'))) {
        if (strcmp(colon + 1, "header") == 0)
            csv->has_header = true;
        else if (strncmp(colon + 1, "label=", 6) == 0) {
            if (!parse_label(colon + 7, csv))
                return false;
            labelled = true;
        } else if (strncmp(colon + 1, "target=", 7) == 0) {
            if (!parse_targets(colon + 8, csv))
                return false;
        } else
            break;
        *colon = '\0';
    }
    return *path != '\0' && !(csv->targets && labelled); /* labels or targets, not both */
}

static bool parse_source(const char *spec, data_source *src, diag *d)
{
    *src = (data_source){0};
    if (is_fashion_mnist(spec)) {
        src->fashion_mnist = true;
        return true;
    }
    if (strncmp(spec, "csv:", 4) != 0)
        return bad_spec(spec, d);
    src->path = strdup(spec + 4);
    if (!src->path) {
        diag_plain(d, "out of memory");
        return false;
    }
    if (!parse_csv_suffixes(src->path, &src->csv)) {
        free(src->path);
        src->path = NULL;
        return bad_spec(spec, d);
    }
    return true;
}

/* Keeps only the first limit samples (all when limit is 0 or not smaller);
 * the arrays keep their size, which tg_dataset_free reads from cap. */
static void keep_first(tg_dataset *set, int64_t limit)
{
    if (limit > 0 && limit < set->n)
        set->n = limit;
}

/* One file of the source: Fashion-MNIST's training or test file, or the CSV. */
static bool load_file(const data_source *src, bool training_file, int64_t limit, tg_dataset *out,
                      diag *d)
{
    int rc = src->fashion_mnist ? tg_fashion_mnist_load(NULL, training_file, out)
                                : tg_csv_load(src->path, &src->csv, out);
    if (rc < 0)
        return library_failed(d);
    keep_first(out, limit);
    return true;
}

/* Splits the CSV set whole into train and held-out parts; whole is freed. */
static bool split(tg_dataset *whole, double fraction, uint64_t seed, tg_dataset *train,
                  tg_dataset *held_out, diag *d)
{
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    tg_dataset scratch = {0};
    int rc = tg_dataset_split(whole, fraction, &rng, train ? train : &scratch, held_out);
    tg_dataset_free(&scratch);
    tg_dataset_free(whole);
    return rc < 0 ? library_failed(d) : true;
}

static bool standardize(tg_dataset *train, tg_dataset *test, tg_norm_mode mode,
                        normalization *norm, diag *d)
{
    norm->mode = mode;
    norm->dim = train->dim;
    norm->mean = malloc((size_t)train->dim * sizeof *norm->mean);
    norm->std = malloc((size_t)train->dim * sizeof *norm->std);
    if (!norm->mean || !norm->std) {
        diag_plain(d, "out of memory");
        return false;
    }
    if (tg_dataset_standardize(train, mode, norm->mean, norm->std) < 0 ||
        tg_dataset_normalize(test, norm->mean, norm->std) < 0)
        return library_failed(d);
    return true;
}

/* Fashion-MNIST comes with its own test file; only a CSV file is split. */
static bool validation_applies(const data_request *r, const data_source *src, diag *d)
{
    if (src->fashion_mnist && r->val > 0) {
        diag_plain(d, "--val splits CSV data; Fashion-MNIST has its own test set");
        return false;
    }
    return true;
}

static bool load_both(const data_request *r, const data_source *src, tg_dataset *train,
                      tg_dataset *test, diag *d)
{
    if (src->fashion_mnist)
        return load_file(src, true, r->limit, train, d) && load_file(src, false, r->limit, test, d);
    tg_dataset whole = {0};
    return load_file(src, true, r->limit, &whole, d) &&
           split(&whole, r->val > 0 ? r->val : DEFAULT_VALIDATION, r->seed, train, test, d);
}

bool load_training_data(const data_request *r, tg_dataset *train, tg_dataset *test,
                        normalization *norm, diag *d)
{
    data_source src;
    if (!parse_source(r->spec, &src, d))
        return false;
    bool ok = validation_applies(r, &src, d) && load_both(r, &src, train, test, d) &&
              standardize(train, test, src.fashion_mnist ? TG_NORM_GLOBAL : TG_NORM_PER_FEATURE,
                          norm, d);
    free(src.path);
    return ok;
}

/* The caller has checked that the set has the model's features, which are
 * as many as the statistics have entries. */
bool normalize_data(tg_dataset *set, const normalization *norm, diag *d)
{
    return tg_dataset_normalize(set, norm->mean, norm->std) < 0 ? library_failed(d) : true;
}

bool load_eval_data(const data_request *r, tg_dataset *out, diag *d)
{
    data_source src;
    if (!parse_source(r->spec, &src, d))
        return false;
    bool ok = validation_applies(r, &src, d);
    if (ok && (src.fashion_mnist || r->val <= 0)) {
        ok = load_file(&src, false, r->limit, out, d);
    } else if (ok) {
        tg_dataset whole = {0};
        ok = load_file(&src, false, r->limit, &whole, d) &&
             split(&whole, r->val, r->seed, NULL, out, d);
    }
    free(src.path);
    return ok;
}

void normalization_free(normalization *n)
{
    free(n->mean);
    free(n->std);
    *n = (normalization){0};
}
