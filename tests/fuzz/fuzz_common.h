/* fuzz_common.h -- what the fuzz targets share: the input as a file (the
 * loaders read paths), parameter snapshots, and failing loudly. */
#ifndef TG_FUZZ_COMMON_H
#define TG_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tapegrad/tapegrad.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: %s (last error: %s)\n", what, tg_last_error());
    abort();
}

/* Writes the input to this process's scratch file and returns its path;
 * suffix names it (".gz" is not needed: the loaders look at the bytes). */
static inline const char *fuzz_write_input(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/tg_fuzz_input.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        fuzz_fail("cannot write the scratch file");
    return path;
}

/* Every parameter's bytes, in registry order; freed with free. */
static inline unsigned char *fuzz_param_bits(tg_params *p, size_t *len)
{
    unsigned char *bits = malloc((size_t)tg_params_numel(p) * 8 + 1);
    *len = 0;
    for (int i = 0; i < tg_params_count(p); i++) {
        tg_tensor *t = tg_params_at(p, i, NULL);
        size_t n = (size_t)tg_numel(t) * (tg_dtype_of(t) == TG_F32 ? 4 : 8);
        memcpy(bits + *len, tg_data(t), n);
        *len += n;
    }
    return bits;
}

static inline void fuzz_assert_bits(tg_params *p, const unsigned char *before, size_t len,
                                    const char *what)
{
    size_t now_len;
    unsigned char *now = fuzz_param_bits(p, &now_len);
    if (now_len != len || memcmp(now, before, len) != 0)
        fuzz_fail(what);
    free(now);
}

#endif
