/* number.h -- the number syntax shared by expressions and NAME=VALUE. */
#ifndef TG_TOOL_NUMBER_H
#define TG_TOOL_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scans an unsigned decimal number (2, 1.5, .5, 1e-3) at s. Returns the
 * bytes it spans, 0 when s does not start one, or -1 when it does not fit a
 * finite double; *v gets its value. strtod alone would also take hex, inf
 * and nan, which the language does not have. */
int scan_number(const char *s, double *v);

/* Whether v is a whole number that int64_t and double both hold exactly
 * (|v| <= 2^53); *out gets it. Indices, axes and slice bounds pass
 * through here, so that no cast of a huge double is undefined. */
bool whole_number(double v, int64_t *out);

#endif
