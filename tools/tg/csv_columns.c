/* csv_columns.c -- the CSV file of tg descend --data and tg fit --data: a
 * header line naming the columns, then rows of numbers, each column read as
 * float64 and named for the expression. Not tg_csv_load, which stores
 * float32 features for training and keeps no names: a teaching tool that
 * prints x = 0.1 must not print x = 0.100000001. Comma-separated, blank
 * lines ignored, no quoting; errors count lines and columns from 1. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg.h"

void csv_columns_free(csv_columns *c)
{
    for (int k = 0; k < c->n_columns; k++)
        free(c->names[k]);
    free(c->names);
    free(c->values);
    *c = (csv_columns){0};
}

static char *trimmed(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool blank(const char *line)
{
    for (; *line; line++)
        if (!isspace((unsigned char)*line))
            return false;
    return true;
}

static bool read_header(csv_columns *c, char *line, const char *path, diag *d)
{
    for (char *field = line, *next; field; field = next) {
        next = strchr(field, ',');
        if (next)
            *next++ = '\0';
        char **grown = realloc(c->names, (size_t)(c->n_columns + 1) * sizeof *grown);
        char *name = grown ? strdup(trimmed(field)) : NULL;
        if (grown)
            c->names = grown;
        if (!name) {
            diag_plain(d, "out of memory");
            return false;
        }
        c->names[c->n_columns++] = name;
        if (!*name) {
            diag_plain(d, "%s: line 1: column %d has no name (the first line names the columns)",
                       path, c->n_columns);
            return false;
        }
    }
    return true;
}

/* Stores v at values[at], growing the array (doubling) to hold it. */
static bool put_value(csv_columns *c, int64_t at, double v, int64_t *cap, diag *d)
{
    if (at >= *cap) {
        int64_t grown_cap = *cap ? 2 * *cap : 256;
        double *grown = realloc(c->values, (size_t)grown_cap * sizeof *grown);
        if (!grown) {
            diag_plain(d, "out of memory");
            return false;
        }
        c->values = grown;
        *cap = grown_cap;
    }
    return (c->values[at] = v, true);
}

static bool read_row(csv_columns *c, char *line, long line_no, int64_t *cap, const char *path,
                     diag *d)
{
    int column = 0;
    for (char *field = line, *next; field; field = next, column++) {
        next = strchr(field, ',');
        if (next)
            *next++ = '\0';
        char *text = trimmed(field), *end;
        errno = 0;
        double v = strtod(text, &end);
        if (column >= c->n_columns || end == text || *end || errno || !isfinite(v)) {
            if (column >= c->n_columns)
                diag_plain(d, "%s: line %ld has more than the header's %d columns", path, line_no,
                           c->n_columns);
            else
                diag_plain(d, "%s: line %ld, column %d (%s): '%s' is not a finite number", path,
                           line_no, column + 1, c->names[column], text);
            return false;
        }
        if (!put_value(c, c->n_rows * c->n_columns + column, v, cap, d))
            return false;
    }
    if (column < c->n_columns) {
        diag_plain(d, "%s: line %ld has %d columns; the header names %d", path, line_no, column,
                   c->n_columns);
        return false;
    }
    c->n_rows++;
    return true;
}

bool csv_columns_read(const char *path, csv_columns *out, diag *d)
{
    *out = (csv_columns){0};
    FILE *f = fopen(path, "r");
    if (!f) {
        diag_plain(d, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t size = 0;
    long line_no = 0;
    int64_t cap = 0;
    bool ok = true, header = false;
    while (ok && getline(&line, &size, f) >= 0) {
        line_no++;
        if (blank(line))
            continue;
        ok = header ? read_row(out, line, line_no, &cap, path, d)
                    : read_header(out, line, path, d);
        header = true;
    }
    free(line);
    fclose(f);
    if (ok && out->n_rows == 0) {
        diag_plain(d, "%s: no rows of numbers under the header", path);
        ok = false;
    }
    if (!ok)
        csv_columns_free(out);
    return ok;
}

const double *csv_column(const csv_columns *c, int k, double *scratch)
{
    for (int64_t i = 0; i < c->n_rows; i++)
        scratch[i] = c->values[i * c->n_columns + k];
    return scratch;
}
