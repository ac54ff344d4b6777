/* layers.c -- the sequential model: its layers, whose tensors live, by
 * PyTorch's names, in a tg_params registry; the shape of one sample as it
 * goes through them; the training/evaluation mode; the forward pass. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include <tapegrad/layers.h>
#include <tapegrad/ops.h>

#include "nn_internal.h"

typedef enum {
    LAYER_DENSE,
    LAYER_ACTIVATION,
    LAYER_CONV,
    LAYER_MAX_POOL,
    LAYER_AVG_POOL,
    LAYER_ADAPTIVE_AVG_POOL,
    LAYER_DROPOUT,
    LAYER_FLATTEN,
    LAYER_EMBEDDING,
    LAYER_BATCH_NORM,
    LAYER_LAYER_NORM
} layer_kind;

typedef struct {
    layer_kind kind;
    int64_t in, out;          /* dense: features; conv: channels; embedding: rows, width */
    tg_tensor *weight, *bias; /* owned by the model's registry; bias NULL when absent */
    tg_activation act;        /* activation */
    double slope;             /* activation: leaky relu */
    int spatial;              /* conv, pooling: 1 or 2 axes */
    int64_t kernel[2];        /* conv, pooling; adaptive pooling: the output size */
    tg_conv_opts conv;        /* conv */
    tg_pool_opts pool;        /* pooling */
    double p;                 /* dropout */
    tg_rng rng;               /* dropout: its masks */
    int64_t padding_idx;      /* embedding */
    /* batch norm's buffers, owned by the registry: not parameters, so no
     * optimizer touches them; batches_tracked is a 0-d F64 (see add) */
    tg_tensor *running_mean, *running_var, *batches_tracked;
    double momentum, eps;     /* batch norm (momentum), both norms (eps) */
    int norm_axes;            /* layer norm: the trailing axes normalized */
    int ndim;                 /* one sample's shape after the layer; -1 unknown */
    int64_t shape[TG_MAX_DIMS];
} layer;

struct tg_model {
    tg_dtype dtype;
    tg_params *params;
    layer *layers;
    int count, cap;
    /* Set when an add failed after registering some of a layer's tensors:
     * the names no longer line up with layer indices, so the model refuses
     * further use rather than misname parameters. */
    bool incomplete;
    bool training;
    int in_ndim; /* one sample's shape as it enters; -1 until known */
    int64_t in_shape[TG_MAX_DIMS];
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
    *m = (tg_model){.dtype = dtype, .params = params, .training = true, .in_ndim = -1};
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

/* ---- shapes ---- */

/* "[32,7,7]", as tg_shape_str writes a tensor's. */
static char *dims_text(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, d ? ",%lld" : "%lld", (long long)shape[d]);
    if (len < size)
        snprintf(buf + len, size - len, "]");
    return buf;
}

/* One sample's shape after the layers so far into shape; its ndim, or -1. */
static int shape_so_far(const tg_model *m, int64_t *shape)
{
    int ndim = m->count ? m->layers[m->count - 1].ndim : m->in_ndim;
    const int64_t *from = m->count ? m->layers[m->count - 1].shape : m->in_shape;
    if (ndim > 0)
        memcpy(shape, from, (size_t)ndim * sizeof *shape);
    return ndim;
}

static int64_t product(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    return n;
}

int tg_model_set_input(tg_model *m, int ndim, const int64_t *shape)
{
    const char *fn = "tg_model_set_input";
    if (!m || !shape)
        return tg_set_error(TG_ENULL, "%s: argument %d is NULL", fn, m ? 3 : 1);
    if (m->count)
        return tg_set_error(TG_ESTATE, "%s: the model already has %d layers; set the input "
                            "shape before adding any", fn, m->count);
    if (ndim < 1 || ndim > TG_MAX_DIMS - 1)
        return tg_set_error(TG_EVALUE, "%s: one sample has 1 to %d axes, got %d", fn,
                            TG_MAX_DIMS - 1, ndim);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 1 || shape[d] > INT32_MAX) {
            char dims[96];
            return tg_set_error(TG_EVALUE, "%s: sizes must be from 1 to 2^31-1, got %s", fn,
                                dims_text(ndim, shape, dims, sizeof dims));
        }
    m->in_ndim = ndim;
    memcpy(m->in_shape, shape, (size_t)ndim * sizeof *shape);
    return TG_OK;
}

int tg_model_output_shape(const tg_model *m, int64_t *shape)
{
    if (!m || !shape)
        return tg_set_error(TG_ENULL, "tg_model_output_shape: argument %d is NULL", m ? 2 : 1);
    return shape_so_far(m, shape);
}

/* ---- adding layers ---- */

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

static int check_init(const char *fn, tg_init init, const tg_rng *rng)
{
    if ((unsigned)init > TG_INIT_ZEROS)
        return tg_set_error(TG_EVALUE, "%s: unknown init scheme %d", fn, (int)init);
    if (init != TG_INIT_ZEROS && !rng)
        return tg_set_error(TG_ENULL, "%s: rng is NULL; %s draws from it", fn, tg_init_name(init));
    return TG_OK;
}

/* Registers n tensors of layer k = m->count as "<k>.<suffix[i]>", in
 * order. The registry owns each tensor from the moment it is offered, even
 * on failure, and the ones after a failure are freed; a failure after the
 * first leaves the names out of line with the layers (incomplete). */
static int register_tensors(tg_model *m, int n, const char *const *suffix, tg_tensor *const *ts)
{
    int rc = TG_OK;
    for (int i = 0; i < n; i++) {
        if (rc < 0) {
            tg_free(ts[i]);
            continue;
        }
        char name[TG_PARAM_NAME_MAX];
        snprintf(name, sizeof name, "%d.%s", m->count, suffix[i]);
        rc = tg_params_add(m->params, name, ts[i]);
        if (rc < 0 && i > 0)
            m->incomplete = true;
    }
    return rc;
}

/* Registers l's weight and bias (when it has one) as "<k>.weight" and
 * "<k>.bias". */
static int register_weights(tg_model *m, const layer *l)
{
    static const char *const names[2] = {"weight", "bias"};
    return register_tensors(m, l->bias ? 2 : 1, names, (tg_tensor *[]){l->weight, l->bias});
}

/* Makes l's weight (weight_ndim sizes) drawn by init, and its bias [out]
 * of zeros if with_bias, then registers both and appends l. */
static int add_weighted(tg_model *m, layer *l, int weight_ndim, const int64_t *weight_shape,
                        bool with_bias, tg_init init, int64_t fan_in, int64_t fan_out, tg_rng *rng)
{
    l->weight = tg_param(m->dtype, weight_ndim, weight_shape, NULL);
    l->bias = l->weight && with_bias ? tg_param(m->dtype, 1, &l->out, NULL) : NULL;
    /* sizes and dtype are valid: a tg_param can only have run out of memory */
    int rc = l->weight && (l->bias || !with_bias) ? tg_init_tensor(l->weight, init, fan_in, fan_out, rng)
                                                  : TG_ENOMEM;
    if (rc < 0) {
        tg_free(l->weight);
        tg_free(l->bias);
        return rc == TG_ENOMEM ? tg_set_error(TG_ENOMEM, "out of memory for layer %d", m->count)
                               : rc;
    }
    if ((rc = register_weights(m, l)) < 0)
        return rc;
    m->layers[m->count++] = *l;
    return TG_OK;
}

/* A layer that gives the shape it takes. */
static void keep_shape(const tg_model *m, layer *l) { l->ndim = shape_so_far(m, l->shape); }

static int check_dense(const tg_model *m, int64_t in, int64_t out, const int64_t *shape,
                       int ndim)
{
    const char *fn = "tg_model_add_dense";
    if (in < 1 || out < 1)
        return tg_set_error(TG_EVALUE, "%s: layer %d needs positive sizes, got in %lld, out %lld",
                            fn, m->count, (long long)in, (long long)out);
    if (ndim > 0 && shape[ndim - 1] != in) {
        char dims[96];
        return tg_set_error(TG_ESHAPE, "%s: layer %d (dense %lld -> %lld) takes %lld inputs but "
                            "the layers before it give %s%s", fn, m->count, (long long)in,
                            (long long)out, (long long)in, dims_text(ndim, shape, dims, sizeof dims),
                            ndim > 1 ? " (dense works on the last axis: flatten first)" : "");
    }
    return TG_OK;
}

int tg_model_add_dense(tg_model *m, int64_t in, int64_t out, tg_init init, tg_rng *rng)
{
    const char *fn = "tg_model_add_dense";
    int rc = reserve_layer(m, fn);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_DENSE, .in = in, .out = out};
    l.ndim = shape_so_far(m, l.shape);
    if ((rc = check_dense(m, in, out, l.shape, l.ndim)) < 0 || (rc = check_init(fn, init, rng)) < 0)
        return rc;
    if (l.ndim < 0) { /* the first layer of a model without an input shape */
        m->in_ndim = l.ndim = 1;
        m->in_shape[0] = in;
    }
    l.shape[l.ndim - 1] = out;
    rc = add_weighted(m, &l, 2, (int64_t[]){out, in}, true, init, in, out, rng);
    if (rc < 0 && m->count == 0)
        m->in_ndim = -1; /* the shape set above came from the layer that failed */
    return rc;
}

int tg_model_add_activation(tg_model *m, tg_activation act, double slope)
{
    int rc = reserve_layer(m, "tg_model_add_activation");
    if (rc < 0)
        return rc;
    if (tg_activation_op(act) == TG_OP_NONE)
        return tg_set_error(TG_EVALUE, "tg_model_add_activation: unknown activation %d", (int)act);
    layer l = {.kind = LAYER_ACTIVATION, .act = act, .slope = slope};
    keep_shape(m, &l);
    m->layers[m->count++] = l;
    return TG_OK;
}

/* ---- convolution ---- */

static int64_t or_one(int64_t v) { return v ? v : 1; }

static const tg_conv_opts pytorch_conv_defaults; /* all zero: stride 1, padding 0, ... */

/* The output size of one spatial axis, as tg_conv2d computes it. */
static int64_t conv_side(const layer *l, int axis, int64_t in)
{
    if (l->conv.same)
        return in;
    int64_t dilation = or_one(l->conv.dilation[axis]), stride = or_one(l->conv.stride[axis]);
    int64_t span = dilation * (l->kernel[axis] - 1) + 1;
    int64_t padded = in + 2 * l->conv.padding[axis];
    return padded < span ? 0 : (padded - span) / stride + 1;
}

static int conv_misfit(const tg_model *m, const layer *l, const char *fn, const char *why)
{
    char dims[96], kernel[48];
    int64_t shape[TG_MAX_DIMS];
    int ndim = shape_so_far(m, shape);
    snprintf(kernel, sizeof kernel, l->spatial == 2 ? "%lldx%lld" : "%lld",
             (long long)l->kernel[0], (long long)l->kernel[1]);
    return tg_set_error(TG_ESHAPE, "%s: layer %d (conv%dd, %lld channels, kernel %s) does not "
                        "fit the shape %s the layers before it give: %s", fn, m->count,
                        l->spatial, (long long)l->out, kernel,
                        ndim < 0 ? "(unknown)" : dims_text(ndim, shape, dims, sizeof dims), why);
}

/* Works out l's output shape from the shape so far, or says why it cannot. */
static int conv_shape(const tg_model *m, layer *l, const char *fn)
{
    int ndim = l->ndim = shape_so_far(m, l->shape);
    int64_t groups = or_one(l->conv.groups);
    if (ndim < 0)
        return conv_misfit(m, l, fn, "set the model's input shape first (tg_model_set_input)");
    if (ndim != l->spatial + 1)
        return conv_misfit(m, l, fn, l->spatial == 2 ? "it takes [channels, height, width]"
                                                     : "it takes [channels, length]");
    if (l->shape[0] % groups || l->out % groups)
        return conv_misfit(m, l, fn, "channels in and out must be multiples of groups");
    if (l->conv.same && (or_one(l->conv.stride[0]) != 1 || or_one(l->conv.stride[1]) != 1))
        return conv_misfit(m, l, fn, "padding \"same\" needs stride 1");
    l->in = l->shape[0];
    l->shape[0] = l->out;
    for (int a = 0; a < l->spatial; a++)
        if ((l->shape[1 + a] = conv_side(l, a, l->shape[1 + a])) < 1)
            return conv_misfit(m, l, fn, "its window is larger than the padded input");
    return TG_OK;
}

static int check_conv_sizes(const tg_model *m, const layer *l, const char *fn)
{
    for (int a = 0; a < l->spatial; a++)
        if (l->kernel[a] < 1 || l->conv.stride[a] < 0 || l->conv.padding[a] < 0 ||
            l->conv.dilation[a] < 0)
            return tg_set_error(TG_EVALUE, "%s: layer %d needs a positive kernel and no "
                                "negative stride, padding or dilation", fn, m->count);
    if (l->out < 1 || l->conv.groups < 0)
        return tg_set_error(TG_EVALUE, "%s: layer %d needs positive out_channels and groups, got "
                            "%lld and %lld", fn, m->count, (long long)l->out,
                            (long long)l->conv.groups);
    return TG_OK;
}

static int add_conv(tg_model *m, layer *l, const char *fn, bool bias, tg_init init, tg_rng *rng)
{
    int rc = reserve_layer(m, fn);
    if (rc == 0)
        rc = check_conv_sizes(m, l, fn);
    if (rc == 0)
        rc = check_init(fn, init, rng);
    if (rc == 0)
        rc = conv_shape(m, l, fn);
    if (rc < 0)
        return rc;
    int64_t groups = or_one(l->conv.groups), taps = l->kernel[0] * l->kernel[1];
    int64_t weight[4] = {l->out, l->in / groups, l->kernel[0], l->kernel[1]};
    return add_weighted(m, l, 2 + l->spatial, weight, bias, init, l->in / groups * taps,
                        l->out / groups * taps, rng);
}

int tg_model_add_conv2d(tg_model *m, int64_t out_channels, const int64_t kernel[2],
                        const tg_conv_opts *opts, bool bias, tg_init init, tg_rng *rng)
{
    if (!kernel)
        return tg_set_error(TG_ENULL, "tg_model_add_conv2d: argument 3 (kernel) is NULL");
    layer l = {.kind = LAYER_CONV, .out = out_channels, .spatial = 2,
               .kernel = {kernel[0], kernel[1]}, .conv = opts ? *opts : pytorch_conv_defaults};
    return add_conv(m, &l, "tg_model_add_conv2d", bias, init, rng);
}

int tg_model_add_conv1d(tg_model *m, int64_t out_channels, int64_t kernel,
                        const tg_conv_opts *opts, bool bias, tg_init init, tg_rng *rng)
{
    layer l = {.kind = LAYER_CONV, .out = out_channels, .spatial = 1, .kernel = {kernel, 1},
               .conv = opts ? *opts : pytorch_conv_defaults};
    /* only the first entries speak for the one axis */
    l.conv.stride[1] = l.conv.padding[1] = l.conv.dilation[1] = 0;
    return add_conv(m, &l, "tg_model_add_conv1d", bias, init, rng);
}

/* ---- pooling and dropout ---- */

/* An output side of pooling, as tg_max_pool2d computes it. */
static int64_t pool_side(const layer *l, int axis, int64_t in)
{
    const tg_pool_opts *o = &l->pool;
    int64_t stride = o->stride[axis] ? o->stride[axis] : l->kernel[axis];
    int64_t span = or_one(o->dilation[axis]) * (l->kernel[axis] - 1) + 1;
    int64_t padded = in + 2 * o->padding[axis];
    if (padded < span)
        return 0;
    int64_t out = (padded - span + (o->ceil_mode ? stride - 1 : 0)) / stride + 1;
    /* the last window must start inside the input or its left padding */
    return o->ceil_mode && (out - 1) * stride >= in + o->padding[axis] ? out - 1 : out;
}

static int pool_misfit(const tg_model *m, const layer *l, const char *fn, const char *why)
{
    char dims[96];
    int64_t shape[TG_MAX_DIMS];
    int ndim = shape_so_far(m, shape);
    return tg_set_error(TG_ESHAPE, "%s: layer %d (%s_pool%dd) does not fit the shape %s the "
                        "layers before it give: %s", fn, m->count,
                        l->kind == LAYER_MAX_POOL ? "max" : "avg", l->spatial,
                        ndim < 0 ? "(unknown)" : dims_text(ndim, shape, dims, sizeof dims), why);
}

static int pool_shape(const tg_model *m, layer *l, const char *fn)
{
    int ndim = l->ndim = shape_so_far(m, l->shape);
    if (ndim != l->spatial + 1)
        return pool_misfit(m, l, fn, ndim < 0 ? "set the model's input shape first"
                                     : l->spatial == 2 ? "it takes [channels, height, width]"
                                                       : "it takes [channels, length]");
    for (int a = 0; a < l->spatial; a++) {
        if (l->kernel[a] < 1 || l->pool.stride[a] < 0 || l->pool.dilation[a] < 0 ||
            l->pool.padding[a] < 0 || 2 * l->pool.padding[a] > l->kernel[a])
            return pool_misfit(m, l, fn, "it needs a positive kernel, no negative stride or "
                                         "dilation, and padding at most half the kernel");
        if ((l->shape[1 + a] = pool_side(l, a, l->shape[1 + a])) < 1)
            return pool_misfit(m, l, fn, "its window is larger than the padded input");
    }
    return TG_OK;
}

static const tg_pool_opts pytorch_pool_defaults; /* all zero: stride = kernel, no padding */

/* kernel holds spatial sizes. */
static int add_pool(tg_model *m, layer_kind kind, int spatial, const int64_t *kernel,
                    const tg_pool_opts *opts, const char *fn)
{
    int rc = reserve_layer(m, fn);
    if (rc == 0 && !kernel)
        rc = tg_set_error(TG_ENULL, "%s: argument 2 (kernel) is NULL", fn);
    if (rc < 0)
        return rc;
    layer l = {.kind = kind, .spatial = spatial, .kernel = {kernel[0], spatial == 2 ? kernel[1] : 1},
               .pool = opts ? *opts : pytorch_pool_defaults};
    if (spatial == 1) /* only the first entries speak for the one axis */
        l.pool.stride[1] = l.pool.padding[1] = l.pool.dilation[1] = 0;
    if (kind == LAYER_AVG_POOL && (l.pool.dilation[0] > 1 || l.pool.dilation[1] > 1))
        rc = tg_set_error(TG_EVALUE, "%s: average pooling has no dilation", fn);
    if (rc == 0)
        rc = pool_shape(m, &l, fn);
    if (rc == 0)
        m->layers[m->count++] = l;
    return rc;
}

int tg_model_add_max_pool2d(tg_model *m, const int64_t kernel[2], const tg_pool_opts *opts)
{
    return add_pool(m, LAYER_MAX_POOL, 2, kernel, opts, "tg_model_add_max_pool2d");
}

int tg_model_add_max_pool1d(tg_model *m, int64_t kernel, const tg_pool_opts *opts)
{
    return add_pool(m, LAYER_MAX_POOL, 1, &kernel, opts, "tg_model_add_max_pool1d");
}

int tg_model_add_avg_pool2d(tg_model *m, const int64_t kernel[2], const tg_pool_opts *opts)
{
    return add_pool(m, LAYER_AVG_POOL, 2, kernel, opts, "tg_model_add_avg_pool2d");
}

int tg_model_add_avg_pool1d(tg_model *m, int64_t kernel, const tg_pool_opts *opts)
{
    return add_pool(m, LAYER_AVG_POOL, 1, &kernel, opts, "tg_model_add_avg_pool1d");
}

int tg_model_add_adaptive_avg_pool2d(tg_model *m, const int64_t output_size[2])
{
    const char *fn = "tg_model_add_adaptive_avg_pool2d";
    int rc = reserve_layer(m, fn);
    if (rc == 0 && !output_size)
        rc = tg_set_error(TG_ENULL, "%s: argument 2 (output_size) is NULL", fn);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_ADAPTIVE_AVG_POOL, .spatial = 2,
               .kernel = {output_size[0], output_size[1]}};
    char dims[96];
    l.ndim = shape_so_far(m, l.shape);
    if (output_size[0] < 1 || output_size[1] < 1)
        return tg_set_error(TG_EVALUE, "%s: layer %d needs a positive output size, got %lldx%lld",
                            fn, m->count, (long long)output_size[0], (long long)output_size[1]);
    if (l.ndim != 3)
        return tg_set_error(TG_ESHAPE, "%s: layer %d takes [channels, height, width], not %s", fn,
                            m->count, l.ndim < 0 ? "an unknown shape"
                                                 : dims_text(l.ndim, l.shape, dims, sizeof dims));
    l.shape[1] = output_size[0];
    l.shape[2] = output_size[1];
    m->layers[m->count++] = l;
    return TG_OK;
}

int tg_model_add_dropout(tg_model *m, double p, tg_rng *rng)
{
    const char *fn = "tg_model_add_dropout";
    int rc = reserve_layer(m, fn);
    if (rc == 0 && !(p >= 0 && p < 1))
        rc = tg_set_error(TG_EVALUE, "%s: layer %d needs 0 <= p < 1, got %g", fn, m->count, p);
    if (rc == 0 && !rng)
        rc = tg_set_error(TG_ENULL, "%s: rng is NULL; the layer's generator is seeded from it", fn);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_DROPOUT, .p = p};
    tg_rng_seed(&l.rng, tg_rng_next(rng));
    keep_shape(m, &l);
    m->layers[m->count++] = l;
    return TG_OK;
}

/* ---- flatten and embedding ---- */

int tg_model_add_flatten(tg_model *m)
{
    int rc = reserve_layer(m, "tg_model_add_flatten");
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_FLATTEN};
    int ndim = shape_so_far(m, l.shape);
    l.ndim = ndim < 0 ? -1 : 1;
    l.shape[0] = product(ndim, l.shape);
    m->layers[m->count++] = l;
    return TG_OK;
}

int tg_model_add_embedding(tg_model *m, int64_t num, int64_t dim, int64_t padding_idx,
                           tg_rng *rng)
{
    const char *fn = "tg_model_add_embedding";
    int rc = reserve_layer(m, fn);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_EMBEDDING, .in = num, .out = dim, .padding_idx = padding_idx};
    l.ndim = shape_so_far(m, l.shape);
    if (num < 1 || dim < 1)
        return tg_set_error(TG_EVALUE, "%s: layer %d needs positive sizes, got num %lld, dim %lld",
                            fn, m->count, (long long)num, (long long)dim);
    if (l.ndim < 0 || l.ndim + 1 >= TG_MAX_DIMS)
        return tg_set_error(TG_ESHAPE, "%s: layer %d needs %s", fn, m->count,
                            l.ndim < 0 ? "the model's input shape (tg_model_set_input)"
                                       : "a shape with room for one more axis");
    if (!rng)
        return tg_set_error(TG_ENULL, "%s: rng is NULL; the rows are drawn from N(0, 1)", fn);
    l.shape[l.ndim++] = dim;
    /* N(0, 1) is He normal with fan_in 2 */
    return add_weighted(m, &l, 2, (int64_t[]){num, dim}, false, TG_INIT_HE_NORMAL, 2, 2, rng);
}

/* ---- normalization ---- */

/* A persistent tensor of the shape with every element value; NULL when out
 * of memory. */
static tg_tensor *filled(tg_dtype dtype, int ndim, const int64_t *shape, double value,
                         bool requires_grad)
{
    tg_tensor *t = tg_persistent(dtype, ndim, shape, NULL, requires_grad);
    for (int64_t i = 0; t && value != 0 && i < tg_numel(t); i++)
        tg_set(t, i, value);
    return t;
}

/* The tensors a norm layer owns, all made or none (ENOMEM), then
 * registered under PyTorch's names in PyTorch's order and the layer
 * appended. */
static int add_norm(tg_model *m, layer *l, int ndim, const int64_t *shape, bool affine)
{
    bool batch = l->kind == LAYER_BATCH_NORM;
    tg_tensor *ts[5] = {NULL};
    const char *names[5];
    int n = 0;
    if (affine) {
        names[n] = "weight", ts[n++] = l->weight = filled(m->dtype, ndim, shape, 1, true);
        names[n] = "bias", ts[n++] = l->bias = filled(m->dtype, ndim, shape, 0, true);
    }
    if (batch) {
        names[n] = "running_mean", ts[n++] = l->running_mean = filled(m->dtype, 1, shape, 0, false);
        names[n] = "running_var", ts[n++] = l->running_var = filled(m->dtype, 1, shape, 1, false);
        /* PyTorch's is int64; tapegrad's tensors are floating, and F64 holds
         * every count below 2^53 exactly. load_state_dict copies it into
         * torch's int64 buffer (copy_ converts). */
        names[n] = "num_batches_tracked",
        ts[n++] = l->batches_tracked = filled(TG_F64, 0, NULL, 0, false);
    }
    for (int i = 0; i < n; i++)
        if (!ts[i]) {
            for (int j = 0; j < n; j++)
                tg_free(ts[j]);
            return tg_set_error(TG_ENOMEM, "out of memory for layer %d", m->count);
        }
    int rc = register_tensors(m, n, names, ts);
    if (rc == 0)
        m->layers[m->count++] = *l;
    return rc;
}

static int check_norm_numbers(const tg_model *m, const char *fn, double momentum, double eps)
{
    if (!(momentum >= 0 && momentum <= 1))
        return tg_set_error(TG_EVALUE, "%s: layer %d needs a momentum from 0 to 1, got %g", fn,
                            m->count, momentum);
    if (!(eps >= 0 && isfinite(eps)))
        return tg_set_error(TG_EVALUE, "%s: layer %d needs a finite eps >= 0, got %g", fn,
                            m->count, eps);
    return TG_OK;
}

int tg_model_add_batch_norm(tg_model *m, double momentum, double eps, bool affine)
{
    const char *fn = "tg_model_add_batch_norm";
    int rc = reserve_layer(m, fn);
    if (rc == 0)
        rc = check_norm_numbers(m, fn, momentum, eps);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_BATCH_NORM, .momentum = momentum, .eps = eps};
    keep_shape(m, &l);
    if (l.ndim < 1 || l.ndim > 3) {
        char dims[96];
        return tg_set_error(TG_ESHAPE, "%s: layer %d takes [features], [channels, length] or "
                            "[channels, height, width], not %s", fn, m->count,
                            l.ndim < 0 ? "an unknown shape (set the model's input shape first)"
                                       : dims_text(l.ndim, l.shape, dims, sizeof dims));
    }
    l.in = l.out = l.shape[0];
    return add_norm(m, &l, 1, l.shape, affine);
}

int tg_model_add_layer_norm(tg_model *m, int n_axes, double eps, bool affine)
{
    const char *fn = "tg_model_add_layer_norm";
    int rc = reserve_layer(m, fn);
    if (rc == 0)
        rc = check_norm_numbers(m, fn, 0, eps);
    if (rc < 0)
        return rc;
    layer l = {.kind = LAYER_LAYER_NORM, .eps = eps, .norm_axes = n_axes};
    keep_shape(m, &l);
    if (l.ndim < 0)
        return tg_set_error(TG_ESHAPE, "%s: layer %d needs the model's input shape "
                            "(tg_model_set_input)", fn, m->count);
    if (n_axes < 1 || n_axes > l.ndim) {
        char dims[96];
        return tg_set_error(TG_EVALUE, "%s: layer %d normalizes 1 to %d trailing axes of %s, "
                            "not %d", fn, m->count, l.ndim,
                            dims_text(l.ndim, l.shape, dims, sizeof dims), n_axes);
    }
    l.in = l.out = product(n_axes, l.shape + l.ndim - n_axes);
    return add_norm(m, &l, n_axes, l.shape + l.ndim - n_axes, affine);
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

/* ---- mode ---- */

int tg_model_train(tg_model *m, bool training)
{
    if (!m)
        return tg_set_error(TG_ENULL, "tg_model_train: argument 1 (model) is NULL");
    m->training = training;
    return TG_OK;
}

bool tg_model_is_training(const tg_model *m) { return m && m->training; }

tg_rng *tg_model_layer_rng(tg_model *m, int k)
{
    if (!m) {
        tg_set_error(TG_ENULL, "tg_model_layer_rng: argument 1 (model) is NULL");
        return NULL;
    }
    if (k < 0 || k >= m->count) {
        tg_set_error(TG_EVALUE, "tg_model_layer_rng: layer %d of a model of %d layers", k,
                     m->count);
        return NULL;
    }
    return m->layers[k].kind == LAYER_DROPOUT ? &m->layers[k].rng : NULL;
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
    tg_tensor *wx = ndim >= 2 ? tg_matmul_t(x, l->weight, false, true) /* x W^T: [.., out] */
                              : tg_matmul(l->weight, x);               /* W x: [out] */
    return tg_add(wx, l->bias);
}

static tg_tensor *pool_forward(const layer *l, tg_tensor *x)
{
    if (l->kind == LAYER_ADAPTIVE_AVG_POOL)
        return tg_adaptive_avg_pool2d(x, l->kernel);
    if (l->kind == LAYER_MAX_POOL)
        return l->spatial == 2 ? tg_max_pool2d(x, l->kernel, &l->pool)
                               : tg_max_pool1d(x, l->kernel[0], &l->pool);
    return l->spatial == 2 ? tg_avg_pool2d(x, l->kernel, &l->pool)
                           : tg_avg_pool1d(x, l->kernel[0], &l->pool);
}

/* nn.BatchNorm's forward: in training the op updates the running
 * statistics in place, and the count of batches seen goes up by one. */
static tg_tensor *batch_norm_forward(const tg_model *m, layer *l, tg_tensor *x)
{
    tg_tensor *y = tg_batch_norm(x, l->running_mean, l->running_var, l->weight, l->bias,
                                 m->training, l->momentum, l->eps);
    if (y && m->training)
        tg_set(l->batches_tracked, 0, tg_item(l->batches_tracked) + 1);
    return y;
}

static tg_tensor *layer_forward(tg_model *m, layer *l, int k, tg_tensor *x)
{
    switch (l->kind) {
    case LAYER_MAX_POOL:
    case LAYER_AVG_POOL:
    case LAYER_ADAPTIVE_AVG_POOL: return pool_forward(l, x);
    case LAYER_DROPOUT: return tg_dropout(x, l->p, m->training, &l->rng);
    case LAYER_DENSE: return dense_forward(l, k, x);
    case LAYER_ACTIVATION: return tg_activate(x, l->act, l->slope);
    case LAYER_CONV:
        return l->spatial == 2 ? tg_conv2d(x, l->weight, l->bias, &l->conv)
                               : tg_conv1d(x, l->weight, l->bias, &l->conv);
    case LAYER_FLATTEN: return tg_flatten(x, 1, -1);
    case LAYER_EMBEDDING: return tg_embedding(l->weight, x, l->padding_idx);
    case LAYER_BATCH_NORM: return batch_norm_forward(m, l, x);
    case LAYER_LAYER_NORM:
        return tg_layer_norm(x, l->norm_axes, l->shape + l->ndim - l->norm_axes, l->weight,
                             l->bias, l->eps);
    }
    return NULL;
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
    return TG_OK;
}

/* x as [batch, <input shape>]: a flat batch [batch, n] is viewed so; a model
 * with a 1-d input (or none) takes [batch, in] and [in] and lets its first
 * layer judge the features. */
static tg_tensor *batch_in_input_shape(const tg_model *m, tg_tensor *x)
{
    int ndim = tg_ndim(x), in_ndim = m->in_ndim;
    const int64_t *shape = tg_shape(x);
    char dims[96], want[96];
    if (in_ndim <= 1 && (ndim == 1 || ndim == 2))
        return x;
    if (in_ndim <= 1) {
        tg_set_error(TG_ESHAPE, "tg_model_forward: input must be [batch, in] or [in], got %s",
                     tg_shape_str(x, dims, sizeof dims));
        return NULL;
    }
    if (ndim == in_ndim + 1 &&
        memcmp(shape + 1, m->in_shape, (size_t)in_ndim * sizeof *shape) == 0)
        return x;
    int64_t batched[TG_MAX_DIMS] = {shape[0]};
    memcpy(batched + 1, m->in_shape, (size_t)in_ndim * sizeof *batched);
    if (ndim == 2 && shape[1] == product(in_ndim, m->in_shape))
        return tg_reshape(x, in_ndim + 1, batched);
    dims_text(in_ndim, m->in_shape, want, sizeof want);
    tg_set_error(TG_ESHAPE, "tg_model_forward: input must be [batch, %.*s] or [batch, %lld], "
                 "got %s", (int)strlen(want) - 2, want + 1,
                 (long long)product(in_ndim, m->in_shape), tg_shape_str(x, dims, sizeof dims));
    return NULL;
}

tg_tensor *tg_model_forward(tg_model *m, tg_tensor *x)
{
    if (check_forward_input(m, x) < 0)
        return NULL;
    tg_tensor *y = batch_in_input_shape(m, x);
    for (int k = 0; k < m->count && y; k++)
        y = layer_forward(m, &m->layers[k], k, y);
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

/* "  weight [32,1,3,3] bias [32]  320 parameters" */
static void append_weights(text *t, const layer *l)
{
    char dims[96];
    if (!l->weight)
        return;
    append(t, "  weight %s", tg_shape_str(l->weight, dims, sizeof dims));
    if (l->bias)
        append(t, " bias %s", tg_shape_str(l->bias, dims, sizeof dims));
    append(t, "  %lld parameters", (long long)(tg_numel(l->weight) +
                                                (l->bias ? tg_numel(l->bias) : 0)));
}

static void append_conv(text *t, const layer *l)
{
    append(t, "conv%dd %lld -> %lld, kernel %lld", l->spatial, (long long)l->in,
           (long long)l->out, (long long)l->kernel[0]);
    if (l->spatial == 2)
        append(t, "x%lld", (long long)l->kernel[1]);
    if (l->conv.same)
        append(t, ", padding same");
    else if (l->conv.padding[0] || l->conv.padding[1])
        append(t, ", padding %lld", (long long)l->conv.padding[0]);
    if (or_one(l->conv.stride[0]) > 1)
        append(t, ", stride %lld", (long long)l->conv.stride[0]);
}

static void append_layer(text *t, const layer *l)
{
    char dims[96];
    switch (l->kind) {
    case LAYER_ACTIVATION:
        if (l->act == TG_ACT_LEAKY_RELU)
            append(t, "leaky_relu (slope %g)", l->slope);
        else
            append(t, "%s", tg_activation_name(l->act));
        return;
    case LAYER_DENSE: append(t, "dense %lld -> %lld", (long long)l->in, (long long)l->out); break;
    case LAYER_CONV: append_conv(t, l); break;
    case LAYER_FLATTEN: append(t, "flatten"); return;
    case LAYER_MAX_POOL:
    case LAYER_AVG_POOL:
        append(t, "%s_pool%dd, kernel %lld", l->kind == LAYER_MAX_POOL ? "max" : "avg",
               l->spatial, (long long)l->kernel[0]);
        if (l->spatial == 2)
            append(t, "x%lld", (long long)l->kernel[1]);
        return;
    case LAYER_ADAPTIVE_AVG_POOL:
        append(t, "adaptive_avg_pool2d %lldx%lld", (long long)l->kernel[0], (long long)l->kernel[1]);
        return;
    case LAYER_DROPOUT: append(t, "dropout (p %g)", l->p); return;
    case LAYER_EMBEDDING:
        append(t, "embedding %lld x %lld", (long long)l->in, (long long)l->out);
        break;
    case LAYER_BATCH_NORM:
        append(t, "batch_norm%dd %lld (momentum %g, eps %g)", l->ndim == 3 ? 2 : 1,
               (long long)l->in, l->momentum, l->eps);
        break;
    case LAYER_LAYER_NORM:
        append(t, "layer_norm %s (eps %g)",
               dims_text(l->norm_axes, l->shape + l->ndim - l->norm_axes, dims, sizeof dims),
               l->eps);
        break;
    }
    append_weights(t, l);
}

/* The values of the tensors that require grad: PyTorch's count of
 * parameters(), which leaves buffers (running statistics) out. */
static int64_t trainable_values(const tg_params *ps)
{
    int64_t n = 0;
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *t = tg_params_at(ps, i, NULL);
        n += tg_requires_grad(t) ? tg_numel(t) : 0;
    }
    return n;
}

int tg_model_summary(const tg_model *m, char *buf, size_t size)
{
    if (!m || (!buf && size))
        return tg_set_error(TG_ENULL, "tg_model_summary: argument %d is NULL", m ? 2 : 1);
    text t = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    char dims[96];
    for (int k = 0; k < m->count; k++) {
        const layer *l = &m->layers[k];
        append(&t, "%-3d ", k);
        append_layer(&t, l);
        /* a dense model's shapes are its sizes; others say what they give */
        if (m->in_ndim > 1)
            append(&t, "  -> %s", dims_text(l->ndim, l->shape, dims, sizeof dims));
        append(&t, "\n");
    }
    append(&t, "total %lld parameters (%s)\n", (long long)trainable_values(m->params),
           tg_dtype_name(m->dtype));
    return (int)t.len;
}
