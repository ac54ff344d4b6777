/* params.c -- the named parameter registry. */
#include <string.h>

#include <tapegrad/params.h>

#include "hash.h"

_Thread_local bool tg__hash_oom;

typedef struct {
    char name[TG_PARAM_NAME_MAX];
    tg_tensor *tensor;
    UT_hash_handle hh;
} entry;

struct tg_params {
    entry *by_name;     /* uthash head */
    entry **in_order;   /* insertion order, for iteration by index */
    int count, cap;
};

tg_params *tg_params_new(void)
{
    tg_params *p = tg_mem_alloc(sizeof *p);
    if (!p) {
        tg_set_error(TG_ENOMEM, "tg_params_new: out of memory");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    return p;
}

void tg_params_free(tg_params *p)
{
    if (!p)
        return;
    HASH_CLEAR(hh, p->by_name);
    for (int i = 0; i < p->count; i++) {
        tg_free(p->in_order[i]->tensor);
        tg_mem_free(p->in_order[i], sizeof *p->in_order[i]);
    }
    tg_mem_free(p->in_order, (size_t)p->cap * sizeof *p->in_order);
    tg_mem_free(p, sizeof *p);
}

static int check_new_entry(const tg_params *p, const char *name, tg_tensor *t)
{
    if (!p)
        return tg_set_error(TG_ENULL, "tg_params_add: argument 1 (params) is NULL");
    if (!name)
        return tg_set_error(TG_ENULL, "tg_params_add: argument 2 (name) is NULL");
    size_t len = strlen(name);
    if (len == 0 || len >= TG_PARAM_NAME_MAX)
        return tg_set_error(TG_EVALUE, "tg_params_add: name \"%.80s\" must have 1 to %d bytes",
                            name, TG_PARAM_NAME_MAX - 1);
    int rc = tg_check_tensor("tg_params_add", t, 3);
    if (rc < 0)
        return rc;
    if (!tg_is_persistent(t))
        return tg_set_error(TG_EVALUE, "tg_params_add: \"%s\" is a tape tensor; parameters must be "
                            "persistent (tg_param)", name);
    entry *found;
    HASH_FIND_STR(p->by_name, name, found);
    if (found)
        return tg_set_error(TG_EVALUE, "tg_params_add: a parameter named \"%s\" exists", name);
    return TG_OK;
}

static int grow(tg_params *p)
{
    if (p->count < p->cap)
        return TG_OK;
    int cap = p->cap ? 2 * p->cap : 16;
    entry **order = tg_mem_realloc(p->in_order, (size_t)p->cap * sizeof *order,
                                   (size_t)cap * sizeof *order);
    if (!order)
        return tg_set_error(TG_ENOMEM, "tg_params_add: out of memory");
    p->in_order = order;
    p->cap = cap;
    return TG_OK;
}

int tg_params_add(tg_params *p, const char *name, tg_tensor *t)
{
    int rc = check_new_entry(p, name, t);
    if (rc == 0)
        rc = grow(p);
    entry *e = rc == 0 ? tg_mem_alloc(sizeof *e) : NULL;
    if (rc == 0 && !e)
        rc = tg_set_error(TG_ENOMEM, "tg_params_add: out of memory");
    if (rc < 0) {
        tg_free(t); /* ignores NULL, dead and tape tensors */
        return rc;
    }
    memset(e, 0, sizeof *e);
    strcpy(e->name, name);
    e->tensor = t;
    tg__hash_oom = false;
    HASH_ADD_STR(p->by_name, name, e);
    if (tg__hash_oom) {
        tg_mem_free(e, sizeof *e);
        tg_free(t);
        return tg_set_error(TG_ENOMEM, "tg_params_add: out of memory");
    }
    p->in_order[p->count++] = e;
    return TG_OK;
}

tg_tensor *tg__params_find(const tg_params *p, const char *name)
{
    entry *e;
    HASH_FIND_STR(p->by_name, name, e);
    return e ? e->tensor : NULL;
}

tg_tensor *tg_params_get(const tg_params *p, const char *name)
{
    if (!p || !name) {
        tg_set_error(TG_ENULL, "tg_params_get: argument %d is NULL", p ? 2 : 1);
        return NULL;
    }
    tg_tensor *t = tg__params_find(p, name);
    if (!t)
        tg_set_error(TG_EVALUE, "tg_params_get: no parameter named \"%.80s\"", name);
    return t;
}

int tg_params_count(const tg_params *p) { return p ? p->count : 0; }

tg_tensor *tg_params_at(const tg_params *p, int index, const char **name)
{
    if (!p || index < 0 || index >= p->count) {
        tg_set_error(TG_EVALUE, "tg_params_at: index %d out of range (%d parameters)", index,
                     p ? p->count : 0);
        return NULL;
    }
    if (name)
        *name = p->in_order[index]->name;
    return p->in_order[index]->tensor;
}

int64_t tg_params_numel(const tg_params *p)
{
    int64_t n = 0;
    for (int i = 0; p && i < p->count; i++)
        n += tg_numel(p->in_order[i]->tensor);
    return n;
}

void tg_params_zero_grad(tg_params *p)
{
    for (int i = 0; p && i < p->count; i++)
        tg_zero_grad(p->in_order[i]->tensor);
}
