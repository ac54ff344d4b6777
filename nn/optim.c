/* optim.c -- SGD (momentum, Nesterov), Adam and AdamW over a parameter
 * registry, with per-parameter state kept by name. The formulas are listed in
 * tapegrad/optim.h and docs/optim.md. */
#include <math.h>
#include <string.h>

#include <tapegrad/ops.h>
#include <tapegrad/optim.h>

#include "hash.h"

enum { MAX_SLOTS = 2 };

static const char *const sgd_slots[] = {"momentum_buffer"};
static const char *const adam_slots[] = {"exp_avg", "exp_avg_sq"};

typedef struct {
    char name[TG_PARAM_NAME_MAX];
    int64_t steps;              /* updates this parameter has received */
    tg_tensor *slot[MAX_SLOTS]; /* persistent, the parameter's dtype and shape */
    UT_hash_handle hh;
} param_state;

struct tg_optim {
    tg_params *params;  /* borrowed */
    tg_optim_config cfg;
    int64_t steps;
    param_state *states; /* uthash head, keyed by parameter name */
};

/* ---- configuration ---------------------------------------------------------- */

tg_optim_config tg_optim_defaults(tg_optim_kind kind)
{
    return (tg_optim_config){
        .kind = kind,
        .lr = 1e-3,
        .weight_decay = kind == TG_OPTIM_ADAMW ? 0.01 : 0.0,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .eps = 1e-8,
    };
}

static int require(bool ok, const char *field, double value, const char *domain)
{
    if (ok)
        return TG_OK;
    return tg_set_error(TG_EVALUE, "tg_optim_new: %s must be %s, got %g", field, domain, value);
}

static bool is_rate(double lr) { return isfinite(lr) && lr > 0; }
static bool in_unit_interval(double v, bool closed) { return v >= 0 && (closed ? v <= 1 : v < 1); }

static int check_sgd(const tg_optim_config *c)
{
    int rc = require(in_unit_interval(c->momentum, false), "momentum", c->momentum, "in [0, 1)");
    if (rc == 0)
        rc = require(in_unit_interval(c->dampening, true), "dampening", c->dampening, "in [0, 1]");
    if (rc == 0 && c->nesterov)
        rc = require(c->momentum > 0, "momentum", c->momentum, "> 0 with nesterov");
    if (rc == 0 && c->nesterov)
        rc = require(c->dampening == 0, "dampening", c->dampening, "0 with nesterov");
    return rc;
}

static int check_adam(const tg_optim_config *c)
{
    int rc = require(in_unit_interval(c->beta1, false), "beta1", c->beta1, "in [0, 1)");
    if (rc == 0)
        rc = require(in_unit_interval(c->beta2, false), "beta2", c->beta2, "in [0, 1)");
    if (rc == 0)
        rc = require(isfinite(c->eps) && c->eps > 0, "eps", c->eps, "finite and > 0");
    return rc;
}

/* Checks only the fields the kind reads, so a config written as
 * {.kind = TG_OPTIM_SGD, .lr = 0.1} is valid. */
static int check_config(const tg_optim_config *c)
{
    if (c->kind != TG_OPTIM_SGD && c->kind != TG_OPTIM_ADAM && c->kind != TG_OPTIM_ADAMW)
        return tg_set_error(TG_EVALUE, "tg_optim_new: kind %d is not a tg_optim_kind",
                            (int)c->kind);
    int rc = require(is_rate(c->lr), "lr", c->lr, "finite and > 0");
    if (rc == 0)
        rc = require(isfinite(c->weight_decay) && c->weight_decay >= 0, "weight_decay",
                     c->weight_decay, "finite and >= 0");
    if (rc == 0)
        rc = c->kind == TG_OPTIM_SGD ? check_sgd(c) : check_adam(c);
    return rc;
}

tg_optim *tg_optim_new(tg_params *params, const tg_optim_config *cfg)
{
    if (!params || !cfg) {
        tg_set_error(TG_ENULL, "tg_optim_new: argument %d (%s) is NULL", params ? 2 : 1,
                     params ? "cfg" : "params");
        return NULL;
    }
    if (check_config(cfg) < 0)
        return NULL;
    tg_optim *o = tg_mem_alloc(sizeof *o);
    if (!o) {
        tg_set_error(TG_ENOMEM, "tg_optim_new: out of memory");
        return NULL;
    }
    *o = (tg_optim){.params = params, .cfg = *cfg};
    return o;
}

/* ---- per-parameter state ------------------------------------------------------ */

static int slot_count(const tg_optim *o)
{
    if (o->cfg.kind == TG_OPTIM_SGD)
        return o->cfg.momentum != 0 ? 1 : 0;
    return 2;
}

static const char *slot_name(const tg_optim *o, int i)
{
    return o->cfg.kind == TG_OPTIM_SGD ? sgd_slots[i] : adam_slots[i];
}

static void free_state(param_state *s)
{
    for (int i = 0; i < MAX_SLOTS; i++)
        tg_free(s->slot[i]);
    tg_mem_free(s, sizeof *s);
}

void tg_optim_free(tg_optim *o)
{
    if (!o)
        return;
    param_state *s, *tmp;
    HASH_ITER(hh, o->states, s, tmp) {
        HASH_DEL(o->states, s);
        free_state(s);
    }
    tg_mem_free(o, sizeof *o);
}

static param_state *find_state(const tg_optim *o, const char *name)
{
    param_state *s;
    HASH_FIND_STR(o->states, name, s);
    return s;
}

/* Zero-filled slots for parameter p, added to the table under name. */
static param_state *new_state(tg_optim *o, const char *fn, const char *name, const tg_tensor *p)
{
    param_state *s = tg_mem_alloc(sizeof *s);
    if (!s) {
        tg_set_error(TG_ENOMEM, "%s: out of memory for the state of \"%s\"", fn, name);
        return NULL;
    }
    memset(s, 0, sizeof *s);
    strcpy(s->name, name);
    uint64_t mark = tg_error_mark(); /* a failing tg_persistent's message is replaced */
    bool ok = true;
    for (int i = 0; i < slot_count(o) && ok; i++) {
        s->slot[i] = tg_persistent(tg_dtype_of(p), tg_ndim(p), tg_shape(p), NULL, false);
        ok = s->slot[i] != NULL;
    }
    if (ok) {
        tg__hash_oom = false;
        HASH_ADD_STR(o->states, name, s);
        ok = !tg__hash_oom;
    }
    if (!ok) {
        free_state(s);
        tg_amend_error(mark, TG_ENOMEM, "%s: out of memory for the state of \"%s\"", fn, name);
        return NULL;
    }
    return s;
}

/* Makes the state of every parameter about to receive its first update, so
 * that running out of memory fails the step before any parameter changes. */
static int prepare_states(tg_optim *o)
{
    for (int i = 0; i < tg_params_count(o->params); i++) {
        const char *name;
        tg_tensor *p = tg_params_at(o->params, i, &name);
        if (tg_grad_tensor(p) && !find_state(o, name) && !new_state(o, "tg_optim_step", name, p))
            return TG_ENOMEM;
    }
    return TG_OK;
}

/* ---- the update rules --------------------------------------------------------
 * Arithmetic is in the parameter's dtype, as PyTorch's: an f32 model's update
 * runs in float, 8 or 16 lanes wide, with the coefficients computed in double
 * and rounded once. Each rule is written once, as a macro instantiated per
 * dtype, and runs over shares of the elements on the library's threads.
 * TG_HOT compiles it for several x86-64 levels, the running CPU's chosen
 * when the library loads (CMakeLists.txt says why). */

/* Tensors of at most this many elements are updated on the calling thread:
 * waking the team costs a few microseconds, about what SGD takes on 2^15
 * floats and Adam (a division and a square root per element) on 2^13
 * (tools/bench/bench_optim.c). SGD's update goes through tg_parallel_pass,
 * which below 2^18 elements keeps it on the calling thread too unless the
 * step's last gemm was split over the team (ops.h says why). Adam keeps
 * tg_parallel_for: not measured in a training step this way yet. */
enum { SGD_GRAIN = 1 << 15, ADAM_GRAIN = 1 << 13 };

typedef struct {
    double lr, weight_decay, momentum, dampening;
    bool nesterov;
    bool first; /* the momentum buffer starts as the gradient itself */
    void *p, *buf;
    const void *g;
} sgd_job;

#define DEFINE_SGD_SHARE(NAME, T)                                                      \
    TG_HOT static void NAME(void *ctx, int64_t lo, int64_t hi)                         \
    {                                                                                  \
        const sgd_job *j = ctx;                                                        \
        T *restrict p = j->p, *restrict buf = j->buf;                                  \
        const T *restrict g = j->g;                                                    \
        T lr = (T)j->lr, wd = (T)j->weight_decay, mom = (T)j->momentum;                \
        T keep = (T)(1 - j->dampening);                                                \
        if (!buf) { /* the notes' rule, alone so that nothing keeps it scalar */       \
            for (int64_t i = lo; i < hi; i++)                                          \
                p[i] -= lr * (g[i] + wd * p[i]);                                       \
            return;                                                                    \
        }                                                                              \
        for (int64_t i = lo; i < hi; i++) {                                            \
            T d = g[i] + wd * p[i];                                                    \
            T b = buf[i] = j->first ? d : mom * buf[i] + keep * d;                     \
            p[i] -= lr * (j->nesterov ? d + mom * b : b);                              \
        }                                                                              \
    }
DEFINE_SGD_SHARE(sgd_share_f32, float)
DEFINE_SGD_SHARE(sgd_share_f64, double)

typedef struct {
    double step_size; /* lr / (1 - beta1^t): bias-corrected rate for m */
    double sqrt_bc2;  /* sqrt(1 - beta2^t): bias correction of v */
    double beta1, beta2, eps;
    double l2;        /* Adam's L2 coefficient, 0 for AdamW */
    double shrink;    /* AdamW's decoupled decay 1 - lr wd, 1 for Adam */
    void *p, *m, *v;
    const void *g;
} adam_job;

#define DEFINE_ADAM_SHARE(NAME, T, SQRT)                                               \
    TG_HOT static void NAME(void *ctx, int64_t lo, int64_t hi)                         \
    {                                                                                  \
        const adam_job *j = ctx;                                                       \
        T *restrict p = j->p, *restrict m = j->m, *restrict v = j->v;                  \
        const T *restrict g = j->g;                                                    \
        T step = (T)j->step_size, bc2 = (T)j->sqrt_bc2, eps = (T)j->eps;               \
        T b1 = (T)j->beta1, b2 = (T)j->beta2;                                          \
        T rest1 = (T)(1 - j->beta1), rest2 = (T)(1 - j->beta2);                        \
        T l2 = (T)j->l2, shrink = (T)j->shrink;                                        \
        for (int64_t i = lo; i < hi; i++) {                                            \
            T w = p[i] * shrink, d = g[i] + l2 * w;                                    \
            T mi = m[i] = b1 * m[i] + rest1 * d;                                       \
            T vi = v[i] = b2 * v[i] + rest2 * (d * d);                                 \
            p[i] = w - step * (mi / (SQRT(vi) / bc2 + eps));                           \
        }                                                                              \
    }
DEFINE_ADAM_SHARE(adam_share_f32, float, sqrtf)
DEFINE_ADAM_SHARE(adam_share_f64, double, sqrt)

static void sgd_update(const tg_optim *o, tg_tensor *p, const param_state *s)
{
    const tg_optim_config *cfg = &o->cfg;
    sgd_job j = {
        .lr = cfg->lr,
        .weight_decay = cfg->weight_decay,
        .momentum = cfg->momentum,
        .dampening = cfg->dampening,
        .nesterov = cfg->nesterov,
        .first = s->steps == 1,
        .p = tg_data(p),
        .buf = s->slot[0] ? tg_data(s->slot[0]) : NULL,
        .g = tg_data(tg_grad_tensor(p)),
    };
    bool f32 = tg_dtype_of(p) == TG_F32;
    tg_parallel_pass(0, tg_numel(p), SGD_GRAIN, f32 ? sgd_share_f32 : sgd_share_f64, &j);
}

static void adam_update(const tg_optim *o, tg_tensor *p, const param_state *s)
{
    const tg_optim_config *cfg = &o->cfg;
    bool decoupled = cfg->kind == TG_OPTIM_ADAMW;
    double t = (double)s->steps;
    adam_job j = {
        .step_size = cfg->lr / (1 - pow(cfg->beta1, t)),
        .sqrt_bc2 = sqrt(1 - pow(cfg->beta2, t)),
        .beta1 = cfg->beta1,
        .beta2 = cfg->beta2,
        .eps = cfg->eps,
        .l2 = decoupled ? 0 : cfg->weight_decay,
        .shrink = decoupled ? 1 - cfg->lr * cfg->weight_decay : 1,
        .p = tg_data(p),
        .m = tg_data(s->slot[0]),
        .v = tg_data(s->slot[1]),
        .g = tg_data(tg_grad_tensor(p)),
    };
    bool f32 = tg_dtype_of(p) == TG_F32;
    tg_parallel_for(0, tg_numel(p), ADAM_GRAIN, f32 ? adam_share_f32 : adam_share_f64, &j);
}

int tg_optim_step(tg_optim *o)
{
    if (!o)
        return tg_set_error(TG_ENULL, "tg_optim_step: argument 1 (optim) is NULL");
    int rc = prepare_states(o);
    if (rc < 0)
        return rc;
    for (int i = 0; i < tg_params_count(o->params); i++) {
        const char *name;
        tg_tensor *p = tg_params_at(o->params, i, &name);
        if (!tg_grad_tensor(p))
            continue;
        param_state *s = find_state(o, name);
        s->steps++;
        if (o->cfg.kind == TG_OPTIM_SGD)
            sgd_update(o, p, s);
        else
            adam_update(o, p, s);
    }
    o->steps++;
    return TG_OK;
}

void tg_optim_zero_grad(tg_optim *o)
{
    if (o)
        tg_params_zero_grad(o->params);
}

/* ---- accessors ----------------------------------------------------------------- */

double tg_optim_lr(const tg_optim *o) { return o ? o->cfg.lr : NAN; }

int tg_optim_set_lr(tg_optim *o, double lr)
{
    if (!o)
        return tg_set_error(TG_ENULL, "tg_optim_set_lr: argument 1 (optim) is NULL");
    if (!is_rate(lr))
        return tg_set_error(TG_EVALUE, "tg_optim_set_lr: lr must be finite and > 0, got %g", lr);
    o->cfg.lr = lr;
    return TG_OK;
}

int64_t tg_optim_steps(const tg_optim *o) { return o ? o->steps : 0; }

/* Finds the parameter named name for fn: 0 and *p, or the code of the
 * failure it reports. */
static int named_param(const tg_optim *o, const char *fn, const char *name, tg_tensor **p)
{
    if (!o || !name)
        return tg_set_error(TG_ENULL, "%s: argument %d (%s) is NULL", fn, o ? 2 : 1,
                            o ? "param_name" : "optim");
    *p = tg__params_find(o->params, name);
    if (!*p)
        return tg_set_error(TG_EVALUE, "%s: no parameter named \"%.80s\"", fn, name);
    return TG_OK;
}

/* The index of slot among this optimizer's slots, or a negative code. */
static int slot_index(const tg_optim *o, const char *fn, const char *slot)
{
    if (!slot)
        return tg_set_error(TG_ENULL, "%s: argument 3 (slot) is NULL", fn);
    for (int i = 0; i < slot_count(o); i++)
        if (strcmp(slot, slot_name(o, i)) == 0)
            return i;
    const char *kinds[] = {"SGD", "Adam", "AdamW"};
    bool plain_sgd = o->cfg.kind == TG_OPTIM_SGD && o->cfg.momentum == 0;
    return tg_set_error(TG_EVALUE, "%s: %s%s keeps no slot \"%.40s\"", fn, kinds[o->cfg.kind],
                        plain_sgd ? " without momentum" : "", slot);
}

const tg_tensor *tg_optim_state(const tg_optim *o, const char *name, const char *slot)
{
    tg_tensor *p;
    if (named_param(o, "tg_optim_state", name, &p) < 0)
        return NULL;
    int i = slot_index(o, "tg_optim_state", slot);
    if (i < 0)
        return NULL;
    const param_state *s = find_state(o, name);
    if (!s) {
        tg_set_error(TG_ESTATE, "tg_optim_state: parameter \"%s\" has not been updated yet", name);
        return NULL;
    }
    return s->slot[i];
}

int64_t tg_optim_param_steps(const tg_optim *o, const char *name)
{
    tg_tensor *p;
    int rc = named_param(o, "tg_optim_param_steps", name, &p);
    if (rc < 0)
        return rc;
    const param_state *s = find_state(o, name);
    return s ? s->steps : 0;
}

static int check_restore(const char *name, const tg_tensor *p, const tg_tensor *values,
                         int64_t steps)
{
    int rc = tg_check_tensor("tg_optim_set_state", values, 4);
    if (rc < 0)
        return rc;
    if (!nn_same_shape(p, values)) {
        char want[96], got[96];
        return tg_set_error(TG_ESHAPE,
                            "tg_optim_set_state: values of shape %s for \"%s\" of shape %s",
                            tg_shape_str(values, got, sizeof got), name,
                            tg_shape_str(p, want, sizeof want));
    }
    if (steps < 1)
        return tg_set_error(TG_EVALUE, "tg_optim_set_state: steps must be >= 1, got %lld",
                            (long long)steps);
    return TG_OK;
}

int tg_optim_set_state(tg_optim *o, const char *name, const char *slot, const tg_tensor *values,
                       int64_t steps)
{
    const char *fn = "tg_optim_set_state";
    tg_tensor *p;
    int rc = named_param(o, fn, name, &p);
    if (rc < 0)
        return rc;
    int i = slot_index(o, fn, slot);
    rc = i < 0 ? i : check_restore(name, p, values, steps);
    if (rc < 0)
        return rc;
    param_state *s = find_state(o, name);
    if (!s && !(s = new_state(o, fn, name, p)))
        return TG_ENOMEM;
    tg_dtype from = tg_dtype_of(values), to = tg_dtype_of(p);
    const void *src = tg_data(values);
    void *dst = tg_data(s->slot[i]);
    for (int64_t k = 0, n = tg_numel(p); k < n; k++)
        nn_store(to, dst, k, nn_load(from, src, k));
    s->steps = steps;
    return TG_OK;
}
