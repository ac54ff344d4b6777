/* train_options.c -- the options of tg train and tg eval: --NAME VALUE or
 * --NAME=VALUE, each with a parser that checks its value completely, so a
 * typo is an error line instead of a silent default. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

bool library_failed(diag *d)
{
    diag_plain(d, "%s", tg_last_error());
    return false;
}

static bool bad_value(const option_spec *o, const char *text, const char *cmd, const char *want,
                      diag *d)
{
    diag_plain(d, "tg %s: %s wants %s, not '%s'", cmd, o->name, want, text);
    return false;
}

bool parse_positive_int(const option_spec *o, const char *text, const char *cmd, diag *d)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < 1 || v > 1000000000)
        return bad_value(o, text, cmd, "a whole number from 1 to 1000000000", d);
    *(int64_t *)o->dest = v;
    return true;
}

bool parse_seed(const option_spec *o, const char *text, const char *cmd, diag *d)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-')
        return bad_value(o, text, cmd, "a whole number from 0 to 2^64-1", d);
    *(uint64_t *)o->dest = v;
    return true;
}

static bool read_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    return end != text && !*end && !errno && isfinite(*out);
}

bool parse_positive_number(const option_spec *o, const char *text, const char *cmd, diag *d)
{
    double v;
    if (!read_number(text, &v) || v <= 0)
        return bad_value(o, text, cmd, "a positive number", d);
    *(double *)o->dest = v;
    return true;
}

bool parse_fraction(const option_spec *o, const char *text, const char *cmd, diag *d)
{
    double v;
    if (!read_number(text, &v) || v <= 0 || v >= 1)
        return bad_value(o, text, cmd, "a fraction between 0 and 1 (such as 0.2)", d);
    *(double *)o->dest = v;
    return true;
}

bool parse_text(const option_spec *o, const char *text, const char *cmd, diag *d)
{
    if (!*text)
        return bad_value(o, text, cmd, "a value", d);
    *(const char **)o->dest = text;
    return true;
}

static const option_spec *find_option(const option_spec *specs, int n, const char *arg,
                                      size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(specs[i].name) == len && memcmp(specs[i].name, arg, len) == 0)
            return &specs[i];
    return NULL;
}

bool parse_options(int argc, char **argv, const char *cmd, const option_spec *specs, int n,
                   diag *d)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) != 0) {
            diag_plain(d, "tg %s: unexpected argument '%s'; every argument is an option "
                          "(see tg help %s)", cmd, arg, cmd);
            return false;
        }
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const option_spec *o = find_option(specs, n, arg, len);
        if (!o) {
            diag_plain(d, "tg %s: unknown option '%.*s' (see tg help %s)", cmd, (int)len, arg,
                       cmd);
            return false;
        }
        const char *value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!value) {
            diag_plain(d, "tg %s: option %s needs a value", cmd, o->name);
            return false;
        }
        if (!o->parse(o, value, cmd, d))
            return false;
    }
    return true;
}

/* sgd and momentum get a larger default rate than Adam, whose steps are
 * normalized; these reach Fashion-MNIST's usual accuracy in a few epochs. */
bool optimizer_named(const char *cmd, const char *name, double lr, tg_optim_config *cfg, diag *d)
{
    if (strcmp(name, "adam") == 0) {
        *cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    } else if (strcmp(name, "sgd") == 0) {
        *cfg = tg_optim_defaults(TG_OPTIM_SGD);
        cfg->lr = 0.1;
    } else if (strcmp(name, "momentum") == 0) {
        *cfg = tg_optim_defaults(TG_OPTIM_SGD);
        cfg->momentum = 0.9;
        cfg->lr = 0.01;
    } else {
        diag_plain(d, "tg %s: --opt wants sgd, momentum or adam, not '%s'", cmd, name);
        return false;
    }
    if (lr > 0)
        cfg->lr = lr;
    return true;
}
