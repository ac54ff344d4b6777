/* fuzz_data.c -- libFuzzer target: the input is a data file, plain or
 * gzipped (the loaders look at the bytes). Its first byte chooses how it is
 * read: IDX images alone, IDX images with the same file as labels, or CSV
 * with or without a header, a ';' delimiter, a label by name, or none. */
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_result(int rc, tg_dataset *d, const tg_dataset *untouched)
{
    if (rc == 0) {
        if (d->n < 0 || d->dim < 0 || (d->n > 0 && !d->x))
            fuzz_fail("a loaded data set is inconsistent");
        tg_dataset_free(d);
    } else if (memcmp(d, untouched, sizeof *d) != 0) {
        fuzz_fail("a failed load wrote its output");
    }
    tg_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    const char *path = fuzz_write_input(data + 1, size - 1);
    tg_dataset d, untouched;
    memset(&d, 0x5a, sizeof d);
    untouched = d;
    int rc;
    if (mode >= 0xc0) {
        rc = tg_idx_load(path, mode & 1 ? path : NULL, &d);
    } else {
        tg_csv_options o = {.has_header = mode & 1, .delimiter = mode & 2 ? ';' : '\0',
                            .label_column = mode & 4 ? TG_CSV_NO_LABELS : (int)(mode >> 4 & 3),
                            .label_name = (mode & 9) == 9 ? "label" : NULL};
        rc = tg_csv_load(path, &o, &d);
    }
    check_result(rc, &d, &untouched);
    return 0;
}
