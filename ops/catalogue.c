/* catalogue.c -- the op catalogue (tapegrad/catalogue.h): every op's row,
 * indexed by its kind. */
#include <string.h>

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
