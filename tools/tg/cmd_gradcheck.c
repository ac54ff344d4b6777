/*
 * cmd_gradcheck.c -- `tg gradcheck`: every op of the catalogue through
 * tg_gradcheck in float64 and float32, as a table. Each op's catalogue row
 * says how to call it and where its inputs are drawn (tg_op_sample_inputs:
 * positive for log, sqrt and a power's base, away from 0 for the ops with a
 * kink), so an op added to the library is checked here without an edit.
 */
#include <stdlib.h>
#include <string.h>

#include "tg.h"

static char *shapes_text(int n, tg_tensor *const *in, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < n && len < size; k++) {
        len += (size_t)snprintf(buf + len, size - len, "%s", k ? ", " : "");
        for (int i = 0; i < tg_ndim(in[k]) && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, i ? "x%lld" : "%lld",
                                    (long long)tg_shape(in[k])[i]);
    }
    return buf;
}

/* One row of the table; returns whether the check passed. */
static bool check_op(const tg_op_info *row, tg_dtype dtype, uint64_t *seed)
{
    tg_tensor *in[TG_MAX_INPUTS];
    tg_gradcheck_result r = {0};
    int n = row->sample.n_inputs;
    int rc = tg_op_sample_inputs(row, dtype, seed, in);
    if (rc == 0)
        rc = tg_gradcheck(row->sample.call, NULL, n, in, NULL, &r);
    char shapes[64] = "";
    printf("%-16s %-8s %-14s %12.3g  %s\n", row->name, tg_dtype_name(dtype),
           rc == 0 || rc == TG_EMISMATCH ? shapes_text(n, in, shapes, sizeof shapes) : "",
           r.max_abs_err, rc == 0 ? "pass" : "FAIL");
    if (rc != 0)
        printf("  %s\n", tg_last_error());
    tg_tape_reset();
    return rc == 0;
}

int cmd_gradcheck(int argc, char **argv)
{
    uint64_t seed = 1;
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], &end, 10);
        if (!end || *end || end == argv[i]) {
            fprintf(stderr, "tg: error: gradcheck takes only --seed N (see tg help gradcheck)\n");
            return TG_EXIT_USAGE;
        }
    }
    printf("%-16s %-8s %-14s %12s  %s\n", "op", "dtype", "shapes", "max abs err", "result");
    int failed = 0, total = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
        if (!row->sample.call)
            continue; /* internal and user-defined kinds: nothing to call */
        for (int dt = TG_F64; dt >= TG_F32; dt--, total++)
            failed += !check_op(row, (tg_dtype)dt, &seed);
    }
    printf("\n%d of %d checks passed\n", total - failed, total);
    return failed ? TG_EXIT_FAILURE : 0;
}
