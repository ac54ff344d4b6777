/* layers.c -- the sequential model: dense and activation layers whose
 * parameters live, by name, in a tg_params registry. */
#include <stdarg.h>
#include <stdio.h>

#include <tapegrad/layers.h>
#include <tapegrad/ops.h>

#include "nn_internal.h"

typedef enum { LAYER_DENSE, LAYER_ACTIVATION } layer_kind;

typedef struct {
    layer_kind kind;
    int64_t in, out;           /* dense */
    tg_tensor *weight, *bias;  /* dense; owned by the model's registry */
    tg_activation act;         /* activation */
    double slope;              /* activation: leaky relu */
} layer;

struct tg_model {
    tg_dtype dtype;
    tg_params *params;
    layer *layers;
    int count, cap;
    /* Set when an add failed after registering a weight but not its bias:
     * the names no longer line up with layer indices, so the model refuses
     * further use rather than misname parameters. */
    bool incomplete;
};

tg_model *tg_model_new(tg_dtype dtype)
{
    if (dtype != TG_F32 && dtype != TG_F64) {
        tg_set_error(TG_EDTYPE, "tg_model_new: unknown dtype %d", (int)dtype);
        return NULL;
    }
    tg_model *m = tg_mem_alloc(sizeof *m);
    tg_params *params = m ? tg_params_new() : NULL;
    if (!params) {
        tg_mem_free(m, sizeof *m);
        tg_set_error(TG_ENOMEM, "tg_model_new: out of memory");
        return NULL;
    }
    *m = (tg_model){.dtype = dtype, .params = params};
    return m;
}

void tg_model_free(tg_model *m)
{
    if (!m)
        return;
    tg_params_free(m->params);
    tg_mem_free(m->layers, (size_t)m->cap * sizeof *m->layers);
    tg_mem_free(m, sizeof *m);
}

/* Checks that m can take another layer and makes room for it. */
static int reserve_layer(tg_model *m, const char *fn)
{
    if (!m)
        return tg_set_error(TG_ENULL, "%s: argument 1 (model) is NULL", fn);
    if (m->incomplete)
        return tg_set_error(TG_ESTATE, "%s: the model is incomplete after an earlier add failed "
                            "halfway; build a new one", fn);
    if (m->count < m->cap)
        return TG_OK;
    int cap = m->cap ? 2 * m->cap : 8;
    layer *grown = tg_mem_realloc(m->layers, (size_t)m->cap * sizeof *grown,
                                  (size_t)cap * sizeof *grown);
    if (!grown)
        return tg_set_error(TG_ENOMEM, "%s: out of memory", fn);
    m->layers = grown;
    m->cap = cap;
    return TG_OK;
}

/* The previous dense layer's output size, or 0 if there is none. */
static int64_t features_so_far(const tg_model *m)
{
    for (int k = m->count - 1; k >= 0; k--)
        if (m->layers[k].kind == LAYER_DENSE)
            return m->layers[k].out;
    return 0;
}

static int check_dense(const tg_model *m, int64_t in, int64_t out, tg_init init,
                       const tg_rng *rng)
{
    const char *fn = "tg_model_add_dense";
    if (in < 1 || out < 1)
        return tg_set_error(TG_EVALUE, "%s: layer %d needs positive sizes, got in %lld, out %lld",
                            fn, m->count, (long long)in, (long long)out);
    int64_t previous = features_so_far(m);
    if (previous && previous != in)
        return tg_set_error(TG_ESHAPE, "%s: layer %d takes %lld inputs but the dense layer before "
                            "it gives %lld", fn, m->count, (long long)in, (long long)previous);
    if ((unsigned)init > TG_INIT_ZEROS)
        return tg_set_error(TG_EVALUE, "%s: unknown init scheme %d", fn, (int)init);
    if (init != TG_INIT_ZEROS && !rng)
        return tg_set_error(TG_ENULL, "%s: rng is NULL; %s draws from it", fn, tg_init_name(init));
    return TG_OK;
}

/* Registers l's tensors as "<k>.weight" and "<k>.bias", k = m->count. The
 * registry owns each tensor from the moment it is offered, even on failure. */
static int register_dense(tg_model *m, const layer *l)
{
    char name[TG_PARAM_NAME_MAX];
    snprintf(name, sizeof name, "%d.weight", m->count);
    int rc = tg_params_add(m->params, name, l->weight);
    if (rc < 0) {
        tg_free(l->bias);
        return rc;
    }
    snprintf(name, sizeof name, "%d.bias", m->count);
    rc = tg_params_add(m->params, name, l->bias);
    if (rc < 0)
        m->incomplete = true;
    return rc;
}

int tg_model_add_dense(tg_model *m, int64_t in, int64_t out, tg_init init, tg_rng *rng)
{
    int rc = reserve_layer(m, "tg_model_add_dense");
    if (rc == 0)
        rc = check_dense(m, in, out, init, rng);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_DENSE, .in = in, .out = out};
    l.weight = tg_param(m->dtype, 2, (int64_t[]){out, in}, NULL);
    l.bias = l.weight ? tg_param(m->dtype, 1, &out, NULL) : NULL;
    /* sizes and dtype are valid: a tg_param can only have run out of memory */
    rc = l.bias ? tg_init_tensor(l.weight, init, in, out, rng) : TG_ENOMEM;
    if (rc < 0) {
        tg_free(l.weight);
        tg_free(l.bias);
        return rc;
    }
    if ((rc = register_dense(m, &l)) < 0)
        return rc;
    m->layers[m->count++] = l;
    return TG_OK;
}

int tg_model_add_activation(tg_model *m, tg_activation act, double slope)
{
    int rc = reserve_layer(m, "tg_model_add_activation");
    if (rc < 0)
        return rc;
    if (tg_activation_op(act) == TG_OP_NONE)
        return tg_set_error(TG_EVALUE, "tg_model_add_activation: unknown activation %d", (int)act);
    m->layers[m->count++] = (layer){.kind = LAYER_ACTIVATION, .act = act, .slope = slope};
    return TG_OK;
}

/* ---- the multilayer perceptron ---- */

static int add_mlp_layers(tg_model *m, int n_sizes, const int64_t *sizes, tg_activation hidden,
                          tg_activation output, tg_rng *rng)
{
    const double leaky_slope = 0.01; /* the notes' max(0.01 x, x) */
    tg_init init = hidden == TG_ACT_RELU || hidden == TG_ACT_LEAKY_RELU ? TG_INIT_HE_UNIFORM
                                                                       : TG_INIT_XAVIER_UNIFORM;
    int rc = TG_OK;
    for (int i = 0; i + 1 < n_sizes && rc == 0; i++) {
        tg_activation act = i + 2 == n_sizes ? output : hidden;
        rc = tg_model_add_dense(m, sizes[i], sizes[i + 1], init, rng);
        if (rc == 0 && act != TG_ACT_LINEAR)
            rc = tg_model_add_activation(m, act, leaky_slope);
    }
    return rc;
}

tg_model *tg_mlp_new(tg_dtype dtype, int n_sizes, const int64_t *sizes, tg_activation hidden,
                     tg_activation output, uint64_t seed)
{
    if (!sizes || n_sizes < 2) {
        tg_set_error(sizes ? TG_EVALUE : TG_ENULL, "tg_mlp_new: needs at least 2 sizes (input and "
                     "output), got %d%s", n_sizes, sizes ? "" : " and sizes is NULL");
        return NULL;
    }
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    tg_model *m = tg_model_new(dtype);
    if (m && add_mlp_layers(m, n_sizes, sizes, hidden, output, &rng) < 0) {
        tg_model_free(m);
        return NULL;
    }
    return m;
}

/* ---- the forward pass ---- */

static tg_tensor *dense_forward(const layer *l, int k, tg_tensor *x)
{
    int ndim = tg_ndim(x);
    int64_t features = tg_shape(x)[ndim - 1];
    if (features != l->in) {
        char dims[96];
        tg_set_error(TG_ESHAPE, "tg_model_forward: layer %d (dense %lld -> %lld) expects %lld "
                     "input features, got shape %s", k, (long long)l->in, (long long)l->out,
                     (long long)l->in, tg_shape_str(x, dims, sizeof dims));
        return NULL;
    }
    tg_tensor *wx = ndim == 2 ? tg_matmul_t(x, l->weight, false, true) /* x W^T: [batch, out] */
                              : tg_matmul(l->weight, x);               /* W x: [out] */
    return tg_add(wx, l->bias);
}

static int check_forward_input(const tg_model *m, const tg_tensor *x)
{
    const char *fn = "tg_model_forward";
    if (!m)
        return tg_set_error(TG_ENULL, "%s: argument 1 (model) is NULL", fn);
    int rc = tg_check_tensor(fn, x, 2);
    if (rc < 0)
        return rc;
    if (m->incomplete || m->count == 0)
        return tg_set_error(TG_ESTATE, "%s: the model %s", fn,
                            m->count ? "is incomplete after a failed add" : "has no layers");
    if (tg_dtype_of(x) != m->dtype)
        return tg_set_error(TG_EDTYPE, "%s: input is %s but the model is %s (use tg_cast)", fn,
                            tg_dtype_name(tg_dtype_of(x)), tg_dtype_name(m->dtype));
    if (tg_ndim(x) != 1 && tg_ndim(x) != 2) {
        char dims[96];
        return tg_set_error(TG_ESHAPE, "%s: input must be [batch, in] or [in], got %s", fn,
                            tg_shape_str(x, dims, sizeof dims));
    }
    return TG_OK;
}

tg_tensor *tg_model_forward(tg_model *m, tg_tensor *x)
{
    if (check_forward_input(m, x) < 0)
        return NULL;
    tg_tensor *y = x;
    for (int k = 0; k < m->count && y; k++) {
        const layer *l = &m->layers[k];
        y = l->kind == LAYER_DENSE ? dense_forward(l, k, y) : tg_activate(y, l->act, l->slope);
    }
    return y;
}

/* ---- inspection ---- */

tg_params *tg_model_params(tg_model *m)
{
    if (!m)
        tg_set_error(TG_ENULL, "tg_model_params: argument 1 (model) is NULL");
    return m ? m->params : NULL;
}

int tg_model_num_layers(const tg_model *m) { return m ? m->count : 0; }

tg_dtype tg_model_dtype(const tg_model *m) { return m ? m->dtype : TG_F32; }

/* Text appended snprintf-style: len counts the full text even past size. */
typedef struct {
    char *buf;
    size_t size, len;
} text;

static void append(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void append(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = t->len < t->size ? t->size - t->len : 0;
    int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
    va_end(ap);
    t->len += n > 0 ? (size_t)n : 0;
}

int tg_model_summary(const tg_model *m, char *buf, size_t size)
{
    if (!m || (!buf && size))
        return tg_set_error(TG_ENULL, "tg_model_summary: argument %d is NULL", m ? 2 : 1);
    text t = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    for (int k = 0; k < m->count; k++) {
        const layer *l = &m->layers[k];
        if (l->kind == LAYER_ACTIVATION && l->act == TG_ACT_LEAKY_RELU)
            append(&t, "%-3d leaky_relu (slope %g)\n", k, l->slope);
        else if (l->kind == LAYER_ACTIVATION)
            append(&t, "%-3d %s\n", k, tg_activation_name(l->act));
        else
            append(&t, "%-3d dense %lld -> %lld  weight [%lld,%lld] bias [%lld]  %lld parameters\n",
                   k, (long long)l->in, (long long)l->out, (long long)l->out, (long long)l->in,
                   (long long)l->out, (long long)(l->out * l->in + l->out));
    }
    append(&t, "total %lld parameters (%s)\n", (long long)tg_params_numel(m->params),
           tg_dtype_name(m->dtype));
    return (int)t.len;
}
