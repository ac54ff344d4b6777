/* catalogue.c -- the op catalogue (tapegrad/catalogue.h): every op's row,
 * indexed by its kind. */
#include <string.h>

#include <tapegrad/random.h>

#include "kernel.h"

/* Built from the list that declares the rows, so that every kind has one;
 * catalogue tests check that each row names its own kind. */
static const tg_op *const rows[TG_OP_COUNT] = {
#define TG_OP_ROW_(kind, row) [TG_OP_##kind] = &tg__op_##row,
    TG_OP_KINDS(TG_OP_ROW_)
#undef TG_OP_ROW_
};

const tg_op_info *tg_op_info_of(tg_op_kind kind)
{
    if ((unsigned)kind >= TG_OP_COUNT) {
        tg__fail(TG_EVALUE, "tg_op_info_of: kind %d out of range 0..%d", (int)kind,
                 TG_OP_COUNT - 1);
        return NULL;
    }
    return &rows[kind]->info;
}

bool tg_op_replayable(tg_op_kind kind)
{
    if ((unsigned)kind >= TG_OP_COUNT) {
        tg__fail(TG_EVALUE, "tg_op_replayable: kind %d out of range 0..%d", (int)kind,
                 TG_OP_COUNT - 1);
        return false;
    }
    return rows[kind]->rerun != NULL;
}

int tg_op_rerun(tg_tensor *t)
{
    int rc = tg__check("tg_op_rerun", t, 1);
    if (rc < 0)
        return rc;
    if (!t->op)
        return tg__fail(TG_EVALUE, "tg_op_rerun: the tensor is not a recorded op result");
    if (!t->op->rerun)
        return tg__fail(TG_EVALUE, "tg_op_rerun: %s cannot be replayed: the shape of its "
                        "result depends on its inputs' values", t->op->info.name);
    if ((rc = t->op->rerun(t)) < 0)
        return rc;
    tg__scalar_refresh(t);
    return TG_OK;
}

tg_op_kind tg_op_kind_of(const tg_tensor *t)
{
    if (tg__check("tg_op_kind_of", t, 1) < 0)
        return TG_OP_NONE;
    return t->op ? t->op->info.kind : TG_OP_NONE;
}

tg_op_kind tg_op_kind_named(const char *name)
{
    if (!name)
        return TG_OP_NONE;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const char *full = rows[k]->info.name;
        if (strcmp(name, full) == 0 || (strncmp(full, "tg_", 3) == 0 && strcmp(name, full + 3) == 0))
            return (tg_op_kind)k;
    }
    return TG_OP_NONE;
}

static int64_t size_below(tg_rng *rng, int64_t lo, int64_t hi)
{
    return lo + (int64_t)tg_rng_below(rng, (uint64_t)(hi - lo + 1));
}

typedef struct {
    int ndim;
    int64_t d[2];
} sample_shape;

static void draw_shapes(tg_sample_shapes rule, tg_rng *rng, sample_shape *s)
{
    int64_t m = size_below(rng, 1, 4), n = size_below(rng, 2, 5), k = size_below(rng, 1, 4);
    s[0] = (sample_shape){2, {m, n}};
    s[1] = s[2] = s[0];
    if (rule == TG_SAMPLE_BROADCAST)
        s[1] = tg_rng_below(rng, 2) ? (sample_shape){1, {n, 0}} : (sample_shape){2, {1, n}};
    else if (rule == TG_SAMPLE_MATMUL)
        s[1] = (sample_shape){2, {n, k}};
    else if (rule == TG_SAMPLE_MATMUL_T)
        s[1] = (sample_shape){2, {k, n}};
}

static double draw_value(const tg_sample_range *r, tg_rng *rng)
{
    double v = r->lo + (r->hi - r->lo) * tg_rng_uniform(rng);
    return r->either_sign && tg_rng_below(rng, 2) ? -v : v;
}

/* 0.25 apart in a shuffled order, centred on 0. */
static void fill_distinct(tg_tensor *t, tg_rng *rng)
{
    int64_t n = t->numel;
    for (int64_t i = 0; i < n; i++)
        tg__store(t, i, (double)i);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)tg_rng_below(rng, (uint64_t)(i + 1));
        double a = tg__load(t, i);
        tg__store(t, i, tg__load(t, j));
        tg__store(t, j, a);
    }
    for (int64_t i = 0; i < n; i++)
        tg__store(t, i, 0.25 * (tg__load(t, i) - (double)(n - 1) / 2));
}

int tg_op_sample_inputs(const tg_op_info *row, tg_dtype dtype, uint64_t *state,
                        tg_tensor **inputs)
{
    const char *fn = "tg_op_sample_inputs";
    if (!row || !state || !inputs)
        return tg__fail(TG_ENULL, "%s: argument %d is NULL", fn, !row ? 1 : !state ? 3 : 4);
    const tg_op_sample *sm = &row->sample;
    if (!sm->call)
        return tg__fail(TG_EVALUE, "%s: %s has no sample (an internal or user-defined kind)",
                        fn, row->name);
    /* the library's generator, seeded from *state; the next call starts from a
     * number it drew, so a run of calls is one reproducible stream */
    tg_rng rng;
    tg_rng_seed(&rng, *state);
    *state = tg_rng_next(&rng);
    sample_shape s[3];
    draw_shapes(sm->shapes, &rng, s);
    for (int k = 0; k < sm->n_inputs; k++) {
        inputs[k] = tg_tensor_new(dtype, s[k].ndim, s[k].d, NULL, true);
        if (!inputs[k])
            return tg__latest_code();
        if (sm->distinct)
            fill_distinct(inputs[k], &rng);
        for (int64_t i = 0; !sm->distinct && i < inputs[k]->numel; i++)
            tg__store(inputs[k], i, draw_value(&sm->range[k], &rng));
    }
    return TG_OK;
}
