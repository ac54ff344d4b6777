/* train_state.c -- tg train --state FILE and --resume FILE: a checkpoint
 * that holds, beside the model's weights and buffers, everything a run
 * changes as it goes, so that a run resumed from it computes bit for bit
 * what the uninterrupted run would have:
 *
 *   tensors   optim.<param>.<slot>  the optimizer's state under PyTorch's
 *                                   slot names (exp_avg, exp_avg_sq,
 *                                   momentum_buffer)
 *   metadata  train.args            the run's options (TRAIN_STATE_KEY), each
 *                                   as <length>:<text>, --model as its text
 *             train.position        "E,B": E epochs done, B batches into the
 *                                   next (the batcher's shuffles are drawn
 *                                   again from the seed: tg_batcher_seek)
 *             train.rng.<k>         layer k's generator (dropout), 4 words per
 *                                   rank, rank after rank
 *             optim.<param>.steps   the updates the parameter has had
 *             train.history         the epochs so far, for the plot
 *
 * and the metadata tg eval reads, which therefore reads a state file too. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- the options ---- */

char *encode_args(int argc, char *const *argv)
{
    size_t size = 1;
    for (int i = 0; i < argc; i++)
        size += strlen(argv[i]) + 24;
    char *text = malloc(size), *p = text;
    for (int i = 0; text && i < argc; i++)
        p += sprintf(p, "%zu:%s", strlen(argv[i]), argv[i]);
    if (text)
        *p = '\0';
    return text;
}

void free_args(int argc, char **argv)
{
    for (int i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}

bool decode_args(const char *text, int *argc, char ***argv)
{
    size_t cap = strlen(text) / 2 + 1; /* each takes at least "0:" */
    char **out = calloc(cap, sizeof *out);
    int n = 0;
    for (const char *p = text; out && *p;) {
        char *end;
        errno = 0;
        unsigned long long len = strtoull(p, &end, 10);
        if (end == p || *end != ':' || errno || len > strlen(end + 1) ||
            !(out[n] = malloc(len + 1))) {
            free_args(n, out);
            return false;
        }
        memcpy(out[n], end + 1, len);
        out[n++][len] = '\0';
        p = end + 1 + len;
    }
    *argc = n;
    *argv = out;
    return out != NULL;
}

/* ---- what the optimizer keeps ---- */

/* The slots of cfg's optimizer, PyTorch's names; n of them. */
static const char *const *optim_slots(const tg_optim_config *cfg, int *n)
{
    static const char *const adam[] = {"exp_avg", "exp_avg_sq"};
    static const char *const momentum[] = {"momentum_buffer"};
    *n = cfg->kind != TG_OPTIM_SGD ? 2 : cfg->momentum != 0 ? 1 : 0;
    return cfg->kind != TG_OPTIM_SGD ? adam : momentum;
}

/* ---- saving ---- */

/* Strings made for one save, freed together. */
typedef struct {
    char **items;
    int n, cap;
    bool failed;
} string_list;

static const char *keep(string_list *l, char *s)
{
    if (s && l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        char **grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (grown) {
            l->items = grown;
            l->cap = cap;
        }
    }
    if (!s || l->n == l->cap) {
        free(s);
        l->failed = true;
        return "";
    }
    return l->items[l->n++] = s;
}

static const char *keep_printf(string_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *keep_printf(string_list *l, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)len + 1, fmt, again);
    va_end(again);
    va_end(ap);
    return keep(l, s);
}

/* A persistent copy of t, registered in ps under name. */
static int add_copy(tg_params *ps, const char *name, const tg_tensor *t)
{
    tg_tensor *copy = tg_persistent(tg_dtype_of(t), tg_ndim(t), tg_shape(t), NULL, false);
    if (!copy)
        return TG_ENOMEM;
    memcpy(tg_data(copy), tg_data(t),
           (size_t)tg_numel(t) * (tg_dtype_of(t) == TG_F32 ? sizeof(float) : sizeof(double)));
    return tg_params_add(ps, name, copy);
}

/* The model's tensors and the optimizer's, copied into ps; each state's
 * step count into the metadata pairs of meta. */
static int collect_tensors(const train_state *s, tg_params *ps, string_list *meta)
{
    tg_params *model = tg_model_params(s->model);
    int n_slots, rc = TG_OK;
    const char *const *slots = optim_slots(s->cfg, &n_slots);
    for (int i = 0; rc == 0 && i < tg_params_count(model); i++) {
        const char *name;
        const tg_tensor *t = tg_params_at(model, i, &name);
        rc = add_copy(ps, name, t);
        int64_t steps = tg_requires_grad(t) ? tg_optim_param_steps(s->optim, name) : 0;
        if (rc < 0 || steps < 1)
            continue;
        keep_printf(meta, "optim.%s.steps", name);
        keep_printf(meta, "%" PRId64, steps);
        for (int k = 0; rc == 0 && k < n_slots; k++) {
            char key[TG_PARAM_NAME_MAX + 32];
            snprintf(key, sizeof key, "optim.%s.%s", name, slots[k]);
            const tg_tensor *state = tg_optim_state(s->optim, name, slots[k]);
            rc = state ? add_copy(ps, key, state) : tg_last_error_code();
        }
    }
    return rc;
}

/* "1 0.41 0.38 0.85 0.86;2 ..." with every digit a double has */
static char *history_text(const epoch_record *r, int n)
{
    char *text = malloc((size_t)n * 5 * 26 + 1), *p = text;
    for (int i = 0; text && i < n; i++)
        p += sprintf(p, "%s%.17g %.17g %.17g %.17g %.17g", i ? ";" : "", r[i].epoch,
                     r[i].train_loss, r[i].test_loss, r[i].train_accuracy, r[i].test_accuracy);
    if (text)
        *p = '\0';
    return text;
}

static void collect_metadata(const train_state *s, const char *args, string_list *meta)
{
    keep_printf(meta, "%s", TRAIN_STATE_KEY);
    keep_printf(meta, "%s", args);
    keep_printf(meta, "train.position");
    keep_printf(meta, "%" PRId64 ",%" PRId64, s->epoch, s->batch);
    keep_printf(meta, "train.history");
    keep(meta, history_text(s->records, s->n_records));
    int n = model_rng_layers(s->model);
    for (int k = 0, j = 0; k < tg_model_num_layers(s->model); k++) {
        if (!tg_model_layer_rng(s->model, k))
            continue;
        /* rank after rank: "w,w,w,w;w,w,w,w" */
        char *text = malloc((size_t)s->ranks * 4 * 17 + 1), *p = text;
        for (int r = 0; text && r < s->ranks; r++) {
            const uint64_t *w = s->rng_words + ((size_t)r * (size_t)n + (size_t)j) * 4;
            p += sprintf(p, "%s%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64,
                         r ? ";" : "", w[0], w[1], w[2], w[3]);
        }
        keep_printf(meta, "train.rng.%d", k);
        keep(meta, text);
        j++;
    }
}

int model_rng_layers(tg_model *model)
{
    int n = 0;
    for (int k = 0; k < tg_model_num_layers(model); k++)
        n += tg_model_layer_rng(model, k) != NULL;
    return n;
}

int model_rng_words(tg_model *model, uint64_t *words)
{
    int n = 0;
    for (int k = 0; k < tg_model_num_layers(model); k++) {
        const tg_rng *rng = tg_model_layer_rng(model, k);
        if (rng)
            memcpy(words + 4 * n++, rng->s, sizeof rng->s);
    }
    return n;
}

bool save_train_state(const char *path, const char *args, const train_state *s,
                      const architecture *a, const normalization *norm, const run_facts *facts,
                      diag *d)
{
    tg_params *tensors = tg_params_new();
    string_list meta = {0};
    int rc = tensors ? collect_tensors(s, tensors, &meta) : TG_ENOMEM;
    collect_metadata(s, args, &meta);
    const char **pairs = meta.failed ? NULL : calloc((size_t)meta.n + 1, sizeof *pairs);
    if (rc < 0 && rc != TG_ENOMEM)
        library_failed(d);
    else if (rc < 0 || !pairs)
        diag_plain(d, "out of memory");
    else {
        memcpy(pairs, meta.items, (size_t)meta.n * sizeof *pairs);
        save_checkpoint_with(s->model, tensors, pairs, path, a, norm, facts, d);
    }
    free(pairs);
    for (int i = 0; i < meta.n; i++)
        free(meta.items[i]);
    free(meta.items);
    tg_params_free(tensors);
    return !d->set;
}

/* ---- resuming ---- */

static const char *state_metadata(const tg_checkpoint *ck, const char *path, const char *key,
                                  diag *d)
{
    const char *value = tg_checkpoint_metadata(ck, key);
    if (!value)
        diag_plain(d, "tg train: --resume %s: no metadata \"%s\"; is it a file of tg train "
                      "--state?", path, key);
    return value;
}

static bool bad_state(const char *path, const char *key, const char *value, diag *d)
{
    diag_plain(d, "tg train: --resume %s: metadata \"%s\" has a bad value '%.60s'", path, key,
               value);
    return false;
}

char *read_state_args(const char *path, diag *d)
{
    int len = tg_checkpoint_read_metadata(path, TRAIN_STATE_KEY, NULL, 0);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (len < 0)
        diag_plain(d, "tg train: --resume %s: %s%s", path, tg_last_error(),
                   tg_last_error_code() == TG_EVALUE ? " (a file of tg train --state has it)"
                                                        : "");
    else if (!text)
        diag_plain(d, "out of memory");
    else
        tg_checkpoint_read_metadata(path, TRAIN_STATE_KEY, text, (size_t)len + 1);
    return text;
}

/* The optimizer's tensors, read into a registry shaped like the parameters
 * and handed to the optimizer. */
static bool restore_optimizer(const tg_checkpoint *ck, const char *path, train_state *s,
                              diag *d)
{
    tg_params *model = tg_model_params(s->model), *saved = tg_params_new();
    int n_slots, rc = saved ? TG_OK : TG_ENOMEM;
    const char *const *slots = optim_slots(s->cfg, &n_slots);
    for (int i = 0; rc == 0 && i < tg_params_count(model); i++) {
        const char *name;
        const tg_tensor *p = tg_params_at(model, i, &name);
        for (int k = 0; rc == 0 && k < n_slots && tg_requires_grad(p); k++) {
            char key[TG_PARAM_NAME_MAX + 32];
            snprintf(key, sizeof key, "optim.%s.steps", name);
            if (!tg_checkpoint_metadata(ck, key))
                break; /* not updated yet when saved */
            snprintf(key, sizeof key, "optim.%s.%s", name, slots[k]);
            tg_tensor *t = tg_persistent(tg_dtype_of(p), tg_ndim(p), tg_shape(p), NULL, false);
            rc = t ? tg_params_add(saved, key, t) : TG_ENOMEM;
        }
    }
    if (rc == 0)
        rc = tg_checkpoint_apply(ck, saved, TG_CHECKPOINT_ALLOW_EXTRA);
    for (int i = 0; rc == 0 && i < tg_params_count(model); i++) {
        const char *name;
        tg_params_at(model, i, &name);
        char key[TG_PARAM_NAME_MAX + 32];
        snprintf(key, sizeof key, "optim.%s.steps", name);
        const char *text = tg_checkpoint_metadata(ck, key);
        char *end;
        long long steps = text ? strtoll(text, &end, 10) : 0;
        if (text && (end == text || *end || steps < 1)) {
            tg_params_free(saved);
            return bad_state(path, key, text, d);
        }
        for (int k = 0; rc == 0 && text && k < n_slots; k++) {
            snprintf(key, sizeof key, "optim.%s.%s", name, slots[k]);
            rc = tg_optim_set_state(s->optim, name, slots[k], tg_params_get(saved, key), steps);
        }
    }
    tg_params_free(saved);
    return rc == 0 || library_failed(d);
}

static bool restore_generators(const tg_checkpoint *ck, const char *path, train_state *s, diag *d)
{
    for (int k = 0; k < tg_model_num_layers(s->model); k++) {
        tg_rng *rng = tg_model_layer_rng(s->model, k);
        char key[32];
        snprintf(key, sizeof key, "train.rng.%d", k);
        const char *text = rng ? state_metadata(ck, path, key, d) : NULL;
        if (rng && !text)
            return false;
        const char *mine = text;
        int groups = 1;
        for (const char *p = text; p && *p; p++)
            if (*p == ';' && ++groups <= s->rank + 1)
                mine = p + 1;
        if (rng && groups != s->ranks) {
            diag_plain(d, "tg train: --resume %s: the run was saved by %d rank%s; resume it with "
                          "as many", path, groups, groups == 1 ? "" : "s");
            return false;
        }
        if (rng && sscanf(mine, "%16" SCNx64 ",%16" SCNx64 ",%16" SCNx64 ",%16" SCNx64,
                          &rng->s[0], &rng->s[1], &rng->s[2], &rng->s[3]) != 4)
            return bad_state(path, key, text, d);
    }
    return true;
}

static bool restore_history(const char *text, train_state *s)
{
    int n = *text ? 1 : 0;
    for (const char *p = text; *p; p++)
        n += *p == ';';
    s->records = n ? calloc((size_t)n, sizeof *s->records) : NULL;
    if (n && !s->records)
        return false;
    const char *p = text;
    for (int i = 0; i < n; i++) {
        epoch_record *r = &s->records[i];
        int used = 0;
        if (sscanf(p, "%lg %lg %lg %lg %lg%n", &r->epoch, &r->train_loss, &r->test_loss,
                   &r->train_accuracy, &r->test_accuracy, &used) != 5 ||
            (p[used] != ';' && p[used] != '\0'))
            return false;
        p += used + (p[used] == ';');
    }
    s->n_records = n;
    return true;
}

static bool restore_from(const tg_checkpoint *ck, const char *path, train_state *s, diag *d)
{
    const char *position = state_metadata(ck, path, "train.position", d);
    const char *history = position ? state_metadata(ck, path, "train.history", d) : NULL;
    if (!history)
        return false;
    long long epoch, batch;
    char end;
    if (sscanf(position, "%lld,%lld%c", &epoch, &batch, &end) != 2 || epoch < 0 || batch < 0)
        return bad_state(path, "train.position", position, d);
    s->epoch = epoch;
    s->batch = batch;
    if (!restore_history(history, s))
        return bad_state(path, "train.history", history, d);
    if (tg_checkpoint_apply(ck, tg_model_params(s->model), TG_CHECKPOINT_ALLOW_EXTRA) < 0)
        return library_failed(d);
    return restore_optimizer(ck, path, s, d) && restore_generators(ck, path, s, d);
}

bool restore_train_state(const char *path, train_state *s, diag *d)
{
    tg_checkpoint *ck = tg_checkpoint_open(path);
    bool ok = ck ? restore_from(ck, path, s, d) : library_failed(d);
    tg_checkpoint_close(ck);
    return ok;
}
