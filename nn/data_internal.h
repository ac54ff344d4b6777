/* data_internal.h -- what the data set loaders share; not installed. */
#ifndef TG_DATA_INTERNAL_H
#define TG_DATA_INTERNAL_H

#include <stddef.h>

#include <tapegrad/data.h>

#include "nn_internal.h"

/* A whole file in memory, gunzipped if it was compressed. bytes[len] is a
 * terminating '\0' so that text parsers can stop on it. */
typedef struct {
    unsigned char *bytes;
    size_t len;
    size_t cap;      /* allocated size, for tg_mem_free */
    bool compressed; /* offsets in messages are then decompressed offsets */
} tg__file_bytes;

/* Reads path completely; on error sets a message starting with "fn: path: ". */
int tg__read_file(const char *fn, const char *path, tg__file_bytes *out);
void tg__file_bytes_free(tg__file_bytes *f);

/* tg_dataset_alloc with fn named in the out-of-memory message, and room for
 * n_targets targets per sample (0: none); the arrays are not zeroed. */
int tg__dataset_alloc(const char *fn, tg_dataset *out, int64_t n, int64_t dim, bool labelled,
                      int64_t n_targets);

/* Checks that d is a usable data set: not NULL, not empty, n <= cap. */
int tg__check_dataset(const char *fn, const tg_dataset *d);

/* Copies rows rows[0..count) of d's features, in that order, to dst. */
void tg__gather_rows(const tg_dataset *d, const int64_t *rows, int64_t count, float *dst);

/* The data set a batcher walks. */
const tg_dataset *tg__batcher_data(const tg_batcher *b);

#endif
