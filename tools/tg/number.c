/* number.c -- decimal numbers: the scan decides the extent, strtod the value. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

static size_t digits(const char *s)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return n;
}

static size_t extent(const char *s)
{
    size_t n = digits(s), frac = 0;
    if (s[n] == '.') {
        frac = digits(s + n + 1);
        if (n == 0 && frac == 0)
            return 0;
        n += 1 + frac;
    }
    if (n == 0)
        return 0;
    if (s[n] == 'e' || s[n] == 'E') {
        size_t sign = s[n + 1] == '+' || s[n + 1] == '-';
        size_t exp = digits(s + n + 1 + sign);
        if (exp > 0)
            n += 1 + sign + exp;
    }
    return n;
}

int scan_number(const char *s, double *v)
{
    size_t n = extent(s);
    if (n == 0)
        return 0;
    char buf[512];
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    if (!isfinite(*v))
        return -1;
    return (int)n;
}

bool whole_number(double v, int64_t *out)
{
    if (!(fabs(v) <= 9007199254740992.0) || v != floor(v))
        return false;
    *out = (int64_t)v;
    return true;
}
