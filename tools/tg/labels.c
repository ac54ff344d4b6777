/* labels.c -- the names under which explain and dot show tensors. */
#include <stdlib.h>
#include <string.h>

#include <tapegrad/inspect.h>

#include "hash.h"
#include "tg.h"

typedef struct {
    const tg_tensor *key;
    char label[64];
    int id;
    bool listed; /* a constant with a name of its own, cN */
    UT_hash_handle hh;
} label_entry;

struct labeler {
    label_entry *table;
    const symtab *syms;
    const program *prog;
    int count, constants;
    char fallback[64]; /* returned when memory runs out */
};

labeler *labeler_new(const symtab *syms, const program *prog)
{
    labeler *l = calloc(1, sizeof *l);
    if (l) {
        l->syms = syms;
        l->prog = prog;
    }
    return l;
}

void labeler_free(labeler *l)
{
    if (!l)
        return;
    label_entry *e, *tmp;
    HASH_ITER(hh, l->table, e, tmp) {
        HASH_DEL(l->table, e);
        free(e);
    }
    free(l);
}

/* A generated name must not read like a variable of the expression. */
static void unique(const labeler *l, char *name, size_t size)
{
    while (symtab_lookup(l->syms, name) && strlen(name) + 1 < size)
        strcat(name, "_");
}

static void name_node(labeler *l, const tg_tensor *t, char *out, size_t size)
{
    const char *assigned = symtab_name_of(l->syms, t);
    if (assigned) {
        snprintf(out, size, "%s", assigned);
        return;
    }
    int rebinds = 0;
    if ((assigned = symtab_earlier_name_of(l->syms, t, &rebinds))) {
        /* c' is what c held before `c = c + 1` rebound it */
        snprintf(out, size, "%s%.*s", assigned, rebinds, "''''''''''''''''");
        unique(l, out, size);
        return;
    }
    if (t != l->prog->result) { /* a node of a user function's body: huber.v3 */
        const char *caller = program_caller_of(l->prog, tg_tape_position(t));
        snprintf(out, size, "%s%sv%lld", caller ? caller : "", caller ? "." : "",
                 (long long)tg_tape_position(t) + 1);
        unique(l, out, size);
        return;
    }
    static const char *const result_names[] = {"y", "f", "out"};
    for (size_t i = 0; i < sizeof result_names / sizeof *result_names; i++) {
        snprintf(out, size, "%s", result_names[i]);
        if (!symtab_lookup(l->syms, out))
            return;
    }
    unique(l, out, size);
}

/* A short vector literal written out, "[0, 2, 2]": the index arrays of
 * gathers, so that explain shows them where the expression wrote them (a
 * constant a function made, as ce's one-hot target, is named and listed).
 * False when it does not fit out. */
static bool values_label(const tg_tensor *t, char *out, size_t size)
{
    if (tg_ndim(t) != 1 || tg_numel(t) > 8)
        return false;
    size_t len = (size_t)snprintf(out, size, "[");
    for (int64_t i = 0; i < tg_numel(t) && len < size; i++) {
        char v[32];
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "",
                                number_brief(tg_get(t, i), v, sizeof v));
    }
    return len + 1 < size && snprintf(out + len, size - len, "]") == 1;
}

/* Returns whether t is a listed constant. */
static bool name_tensor(labeler *l, const tg_tensor *t, char *out, size_t size)
{
    for (int i = 0; i < l->syms->n_inputs; i++)
        if (symtab_input_value(l->syms, i) == t) {
            snprintf(out, size, "%s", symtab_input_name(l->syms, i));
            return false;
        }
    if (tg_tape_position(t) >= 0 || t == l->prog->result) {
        name_node(l, t, out, size);
        return false;
    }
    if (tg_ndim(t) == 0) {
        number_brief(tg_get(t, 0), out, size);
        return false;
    }
    const char *assigned = symtab_name_of(l->syms, t);
    if (assigned) {
        snprintf(out, size, "%s", assigned);
    } else if (program_wrote(l->prog, t) && values_label(t, out, size)) {
        return false;
    } else {
        snprintf(out, size, "c%d", ++l->constants);
        unique(l, out, size);
    }
    return true;
}

static label_entry *entry(labeler *l, const tg_tensor *t)
{
    label_entry *e = NULL;
    HASH_FIND_PTR(l->table, &t, e);
    if (e || !(e = calloc(1, sizeof *e)))
        return e;
    e->key = t;
    e->id = l->count++;
    e->listed = name_tensor(l, t, e->label, sizeof e->label);
    tool_hash_oom = false;
    HASH_ADD_PTR(l->table, key, e);
    if (tool_hash_oom) {
        free(e);
        return NULL;
    }
    return e;
}

const char *label_of(labeler *l, const tg_tensor *t)
{
    label_entry *e = entry(l, t);
    if (e)
        return e->label;
    snprintf(l->fallback, sizeof l->fallback, "?");
    return l->fallback;
}

int label_id(labeler *l, const tg_tensor *t)
{
    label_entry *e = entry(l, t);
    return e ? e->id : -1;
}

int labeler_constants(const labeler *l, const tg_tensor **out, int max)
{
    int n = 0;
    for (const label_entry *e = l->table; e && n < max; e = e->hh.next)
        if (e->listed)
            out[n++] = e->key;
    return n;
}
