/* init.c -- weight initialisation (Glorot/Xavier, He/Kaiming) and the
 * activation functions by name. */
#include <math.h>
#include <string.h>

#include <tapegrad/layers.h>
#include <tapegrad/ops.h>

#include "nn_internal.h"

static const char *const init_names[] = {"xavier_uniform", "xavier_normal", "he_uniform",
                                         "he_normal", "zeros"};

const char *tg_init_name(tg_init scheme)
{
    return (unsigned)scheme < sizeof init_names / sizeof *init_names ? init_names[scheme] : "?";
}

/* The uniform half-width or the normal standard deviation of a scheme. */
static double init_scale(tg_init scheme, int64_t fan_in, int64_t fan_out)
{
    switch (scheme) {
    case TG_INIT_XAVIER_UNIFORM: return sqrt(6.0 / (double)(fan_in + fan_out));
    case TG_INIT_XAVIER_NORMAL: return sqrt(2.0 / (double)(fan_in + fan_out));
    case TG_INIT_HE_UNIFORM: return sqrt(6.0 / (double)fan_in);
    case TG_INIT_HE_NORMAL: return sqrt(2.0 / (double)fan_in);
    default: return 0.0;
    }
}

static double draw(tg_init scheme, double scale, tg_rng *rng)
{
    switch (scheme) {
    case TG_INIT_XAVIER_UNIFORM:
    case TG_INIT_HE_UNIFORM: return scale * (2.0 * tg_rng_uniform(rng) - 1.0);
    case TG_INIT_XAVIER_NORMAL:
    case TG_INIT_HE_NORMAL: return scale * tg_rng_normal(rng);
    default: return 0.0;
    }
}

static int check_init_args(tg_tensor *t, tg_init scheme, int64_t fan_in, int64_t fan_out,
                           const tg_rng *rng)
{
    int rc = tg_check_tensor("tg_init_tensor", t, 1);
    if (rc < 0)
        return rc;
    if ((unsigned)scheme > TG_INIT_ZEROS)
        return tg_set_error(TG_EVALUE, "tg_init_tensor: unknown scheme %d", (int)scheme);
    if (scheme == TG_INIT_ZEROS)
        return TG_OK;
    if (fan_in < 1 || fan_out < 1)
        return tg_set_error(TG_EVALUE, "tg_init_tensor: %s needs positive fans, got fan_in %lld, "
                            "fan_out %lld", tg_init_name(scheme), (long long)fan_in,
                            (long long)fan_out);
    if (!rng)
        return tg_set_error(TG_ENULL, "tg_init_tensor: argument 5 (rng) is NULL; %s draws from it",
                            tg_init_name(scheme));
    return TG_OK;
}

int tg_init_tensor(tg_tensor *t, tg_init scheme, int64_t fan_in, int64_t fan_out, tg_rng *rng)
{
    int rc = check_init_args(t, scheme, fan_in, fan_out, rng);
    if (rc < 0)
        return rc;
    double scale = init_scale(scheme, fan_in, fan_out);
    tg_dtype dtype = tg_dtype_of(t);
    void *data = tg_data(t);
    for (int64_t i = 0, n = tg_numel(t); i < n; i++)
        nn_store(dtype, data, i, draw(scheme, scale, rng));
    return TG_OK;
}

/* ---- activations ---- */

static tg_tensor *leaky_relu(tg_tensor *x, double slope) { return tg_leaky_relu(x, slope); }
static tg_tensor *softmax_last(tg_tensor *x, double slope)
{
    (void)slope;
    return tg_softmax(x, -1);
}

static tg_tensor *gelu_exact(tg_tensor *x) { return tg_gelu(x, TG_GELU_NONE); }

#define PLAIN(name, fn, kind) {name, kind, fn, NULL}
#define WITH_SLOPE(name, fn, kind) {name, kind, NULL, fn}

/* One row per activation, the op it records beside its name, so that the
 * layers suite can check each against the catalogue. */
static const struct {
    const char *name;
    tg_op_kind kind;
    tg_tensor *(*apply)(tg_tensor *x);
    tg_tensor *(*apply_slope)(tg_tensor *x, double slope);
} activations[TG_ACT_COUNT] = {
    [TG_ACT_LINEAR] = PLAIN("linear", tg_identity, TG_OP_IDENTITY),
    [TG_ACT_SIGMOID] = PLAIN("sigmoid", tg_sigmoid, TG_OP_SIGMOID),
    [TG_ACT_TANH] = PLAIN("tanh", tg_tanh, TG_OP_TANH),
    [TG_ACT_RELU] = PLAIN("relu", tg_relu, TG_OP_RELU),
    [TG_ACT_LEAKY_RELU] = WITH_SLOPE("leaky_relu", leaky_relu, TG_OP_LEAKY_RELU),
    [TG_ACT_STEP] = PLAIN("step", tg_heaviside, TG_OP_HEAVISIDE),
    [TG_ACT_SOFTMAX] = WITH_SLOPE("softmax", softmax_last, TG_OP_SOFTMAX),
    [TG_ACT_GELU] = PLAIN("gelu", gelu_exact, TG_OP_GELU),
    [TG_ACT_SILU] = PLAIN("silu", tg_silu, TG_OP_SILU),
};

static bool known(tg_activation act)
{
    return (unsigned)act < TG_ACT_COUNT && activations[act].name;
}

const char *tg_activation_name(tg_activation act)
{
    return known(act) ? activations[act].name : "?";
}

tg_op_kind tg_activation_op(tg_activation act)
{
    return known(act) ? activations[act].kind : TG_OP_NONE;
}

int tg_activation_parse(const char *name, tg_activation *out)
{
    if (!name || !out)
        return tg_set_error(TG_ENULL, "tg_activation_parse: argument %d is NULL", name ? 2 : 1);
    for (int i = 0; i < TG_ACT_COUNT; i++) {
        if (known((tg_activation)i) && strcmp(name, activations[i].name) == 0) {
            *out = (tg_activation)i;
            return TG_OK;
        }
    }
    char valid[256] = "";
    for (int i = 0; i < TG_ACT_COUNT; i++) {
        strcat(valid, tg_activation_name((tg_activation)i));
        strcat(valid, i + 1 < TG_ACT_COUNT ? ", " : "");
    }
    return tg_set_error(TG_EVALUE, "tg_activation_parse: unknown activation \"%.64s\"; valid: %s",
                        name, valid);
}

tg_tensor *tg_activate(tg_tensor *x, tg_activation act, double slope)
{
    if (!known(act)) {
        tg_set_error(TG_EVALUE, "tg_activate: unknown activation %d", (int)act);
        return NULL;
    }
    return activations[act].apply ? activations[act].apply(x)
                                   : activations[act].apply_slope(x, slope);
}
