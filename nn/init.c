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

static const char *const activation_names[] = {"linear", "sigmoid", "tanh",   "relu",
                                               "leaky_relu", "step", "softmax"};
enum { N_ACTIVATIONS = sizeof activation_names / sizeof *activation_names };

const char *tg_activation_name(tg_activation act)
{
    return (unsigned)act < N_ACTIVATIONS ? activation_names[act] : "?";
}

int tg_activation_parse(const char *name, tg_activation *out)
{
    if (!name || !out)
        return tg_set_error(TG_ENULL, "tg_activation_parse: argument %d is NULL", name ? 2 : 1);
    for (int i = 0; i < N_ACTIVATIONS; i++) {
        if (strcmp(name, activation_names[i]) == 0) {
            *out = (tg_activation)i;
            return TG_OK;
        }
    }
    char valid[128] = "";
    for (int i = 0; i < N_ACTIVATIONS; i++) {
        strcat(valid, activation_names[i]);
        strcat(valid, i + 1 < N_ACTIVATIONS ? ", " : "");
    }
    return tg_set_error(TG_EVALUE, "tg_activation_parse: unknown activation \"%.64s\"; valid: %s",
                        name, valid);
}

tg_tensor *tg_activate(tg_tensor *x, tg_activation act, double slope)
{
    switch (act) {
    case TG_ACT_LINEAR: return tg_linear(x);
    case TG_ACT_SIGMOID: return tg_sigmoid(x);
    case TG_ACT_TANH: return tg_tanh(x);
    case TG_ACT_RELU: return tg_relu(x);
    case TG_ACT_LEAKY_RELU: return tg_leaky_relu(x, slope);
    case TG_ACT_STEP: return tg_step(x);
    case TG_ACT_SOFTMAX: return tg_softmax(x, -1);
    }
    tg_set_error(TG_EVALUE, "tg_activate: unknown activation %d", (int)act);
    return NULL;
}
