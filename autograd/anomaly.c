/*
 * anomaly.c -- anomaly mode: find the first op or backward rule that makes a
 * NaN or an infinity, and say which one, where on the tape, and from what.
 *
 * The switch is one process-wide flag read with a relaxed atomic load (a
 * plain load on common hardware), so with the mode off each op and each
 * swept node pays one well-predicted branch. Everything else here runs only
 * with the mode on.
 */
#include <math.h>
#include <stdio.h>

#include "internal.h"

atomic_bool tg__anomaly_flag;

void tg_set_anomaly_mode(bool on) { atomic_store(&tg__anomaly_flag, on); }

bool tg_anomaly_mode(void) { return tg__anomaly(); }

/* The first element of t that is NaN or infinite, or -1. */
static int64_t first_nonfinite(const tg_tensor *t)
{
    for (int64_t i = 0; i < t->numel; i++)
        if (!isfinite(tg__load(t, i)))
            return i;
    return -1;
}

static void value_range(const tg_tensor *t, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < t->numel; i++) {
        double v = tg__load(t, i);
        if (isnan(v) || v < *lo)
            *lo = v;
        if (isnan(v) || v > *hi)
            *hi = v;
    }
}

/* Appends "input min 0 max 3" (one input) or "input 1 min .. max .., input 2
 * ..." to buf. */
static size_t describe_inputs(char *buf, size_t size, int n, tg_tensor *const *inputs)
{
    size_t len = 0;
    for (int k = 0; k < n && len < size; k++) {
        double lo, hi;
        value_range(inputs[k], &lo, &hi);
        if (n == 1)
            len += (size_t)snprintf(buf + len, size - len, "input min %g max %g", lo, hi);
        else
            len += (size_t)snprintf(buf + len, size - len, "%sinput %d min %g max %g",
                                    k ? ", " : "", k + 1, lo, hi);
    }
    return len;
}

/* "NaN" however the C library would spell its sign; "inf", "-inf" */
static const char *nonfinite_name(double v) { return isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf"; }

static void position(char *buf, size_t size, int64_t pos)
{
    if (pos >= 0)
        snprintf(buf, size, "tape #%lld", (long long)pos);
    else
        snprintf(buf, size, "not recorded");
}

int tg__anomaly_forward(const char *name, const tg_tensor *out, int n, tg_tensor *const *inputs,
                        int64_t pos)
{
    int64_t bad = tg__sweeping ? -1 : first_nonfinite(out);
    if (bad < 0)
        return TG_OK;
    char where[48], from[300];
    position(where, sizeof where, pos);
    describe_inputs(from, sizeof from, n, inputs);
    return tg__fail(TG_EANOMALY, "%s (%s): forward produced %s from %s (result element %lld)",
                    name, where, nonfinite_name(tg__load(out, bad)), from, (long long)bad);
}

int tg__anomaly_backward(const tg_tensor *node, tg_tensor *const *grad_in)
{
    for (int k = 0; k < node->n_inputs; k++) {
        int64_t bad = grad_in[k] ? first_nonfinite(grad_in[k]) : -1;
        if (bad < 0)
            continue;
        char from[300];
        describe_inputs(from, sizeof from, node->n_inputs, node->in);
        return tg__fail(TG_EANOMALY,
                        "%s (tape #%lld): backward produced %s from %s (element %lld of the "
                        "gradient for input %d)",
                        node->op->info.name, (long long)node->tape_pos,
                        nonfinite_name(tg__load(grad_in[k], bad)), from, (long long)bad, k + 1);
    }
    return TG_OK;
}
