/* tensor_map.c -- tensors to tensors, keyed by address: the gradients of a
 * replayed sweep, the nodes reached from a result. */
#include <stdlib.h>

#include "hash.h"
#include "tg.h"

typedef struct {
    const tg_tensor *key;
    tg_tensor *value;
    UT_hash_handle hh;
} map_entry;

struct tensor_map {
    map_entry *table;
};

tensor_map *tensor_map_new(void) { return calloc(1, sizeof(tensor_map)); }

tg_tensor *tensor_map_get(const tensor_map *m, const tg_tensor *t)
{
    map_entry *e = NULL;
    if (m)
        HASH_FIND_PTR(m->table, &t, e);
    return e ? e->value : NULL;
}

void tensor_map_free(tensor_map *m)
{
    if (!m)
        return;
    map_entry *e, *tmp;
    HASH_ITER(hh, m->table, e, tmp) {
        HASH_DEL(m->table, e);
        free(e);
    }
    free(m);
}

int tensor_map_put(tensor_map *m, const tg_tensor *t, tg_tensor *value)
{
    map_entry *e = NULL;
    HASH_FIND_PTR(m->table, &t, e);
    if (e) {
        e->value = value;
        return TG_OK;
    }
    if (!(e = malloc(sizeof *e)))
        return TG_ENOMEM;
    e->key = t;
    e->value = value;
    tool_hash_oom = false;
    HASH_ADD_PTR(m->table, key, e);
    if (tool_hash_oom) {
        free(e);
        return TG_ENOMEM;
    }
    return TG_OK;
}
