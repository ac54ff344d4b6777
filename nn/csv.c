/* csv.c -- numeric delimited text. Two passes over the file in memory: the
 * first checks the shape of every row and counts them, so the data set is
 * allocated once at its exact size; the second parses the numbers. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

#define MAX_LABEL 2147483647.0 /* INT32_MAX: a class count a model can have */
#define QUOTE_MAX 40           /* characters of a bad field quoted in a message */

typedef struct {
    const char *start, *stop; /* the text of the line, without its '\n' */
    int64_t number;           /* counted from 1 */
} csv_line;

typedef struct {
    const char *path;
    char delimiter;
    const char *next, *end; /* where the next line starts; the end of the text */
    int64_t line_number;    /* of the last line returned */
} csv_reader;

/* What the first pass finds out. */
typedef struct {
    int64_t columns;
    int64_t label_column; /* -1 for none */
    int64_t target_columns[TG_CSV_MAX_TARGETS]; /* in the order of the targets option */
    int n_targets;
    int64_t rows;
    int64_t shape_line; /* the line that set the column count, for messages */
} csv_layout;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static bool is_blank(const csv_line *line)
{
    for (const char *p = line->start; p < line->stop; p++)
        if (!is_space(*p))
            return false;
    return true;
}

/* The next line that is not blank; false at the end of the text. */
static bool next_line(csv_reader *r, csv_line *line)
{
    while (r->next < r->end) {
        const char *newline = memchr(r->next, '\n', (size_t)(r->end - r->next));
        line->start = r->next;
        line->stop = newline ? newline : r->end;
        line->number = ++r->line_number;
        r->next = newline ? newline + 1 : r->end;
        if (!is_blank(line))
            return true;
    }
    return false;
}

static const char *field_stop(const char *p, const char *line_stop, char delimiter)
{
    const char *d = memchr(p, delimiter, (size_t)(line_stop - p));
    return d ? d : line_stop;
}

static int64_t count_fields(const csv_line *line, char delimiter)
{
    int64_t fields = 1;
    for (const char *p = line->start; p < line->stop; p++)
        fields += *p == delimiter;
    return fields;
}

static void trim(const char **start, const char **stop)
{
    while (*start < *stop && is_space(**start))
        (*start)++;
    while (*stop > *start && is_space((*stop)[-1]))
        (*stop)--;
}

/* ---- first pass: header, label column, row shapes ---- */

static bool field_equals(const char *start, const char *stop, const char *name, size_t len)
{
    trim(&start, &stop);
    return (size_t)(stop - start) == len && memcmp(start, name, len) == 0;
}

/* The column whose header field is the len bytes at name. */
static int find_named_column(const csv_reader *r, const csv_line *header, const char *name,
                             size_t len, int64_t *column)
{
    const char *p = header->start;
    for (int64_t col = 0;; col++) {
        const char *stop = field_stop(p, header->stop, r->delimiter);
        if (field_equals(p, stop, name, len)) {
            *column = col;
            return TG_OK;
        }
        if (stop == header->stop)
            return tg_set_error(TG_EFORMAT, "tg_csv_load: %s line %lld: no column named \"%.*s\" "
                                            "in the header", r->path, (long long)header->number,
                                (int)len, name);
        p = stop + 1;
    }
}

/* first is the header, or the first row when there is none. */
static int choose_label_column(const csv_reader *r, const tg_csv_options *opt,
                               const csv_line *first, csv_layout *lay)
{
    if (opt->targets) {
        lay->label_column = -1;
        return TG_OK;
    }
    if (opt->label_name)
        return find_named_column(r, first, opt->label_name, strlen(opt->label_name),
                                 &lay->label_column);
    lay->label_column = opt->label_column;
    if (opt->label_column >= lay->columns)
        return tg_set_error(TG_EFORMAT,
                            "tg_csv_load: %s: label column index %d is out of range: line %lld has "
                            "%lld columns (indices 0..%lld)",
                            r->path, opt->label_column, (long long)first->number,
                            (long long)lay->columns, (long long)lay->columns - 1);
    return TG_OK;
}

/* One item of the targets option, the len bytes at item: a column index
 * from 0, or a header name. */
static int target_column(const csv_reader *r, const tg_csv_options *opt, const csv_line *first,
                         const csv_layout *lay, const char *item, size_t len, int64_t *column)
{
    char *end;
    long long v = strtoll(item, &end, 10);
    bool is_index = len > 0 && isdigit((unsigned char)item[0]) && end == item + len;
    if (!is_index && len > 0 && opt->has_header)
        return find_named_column(r, first, item, len, column);
    if (!is_index || v >= lay->columns)
        return tg_set_error(TG_EVALUE, "tg_csv_load: %s: target column \"%.*s\" is not %s", r->path,
                            (int)len, item, is_index ? "a column of the file" : opt->has_header
                            ? "a column index or a header name" : "a column index (names need a header)");
    *column = v;
    return TG_OK;
}

static int choose_target_columns(const csv_reader *r, const tg_csv_options *opt,
                                 const csv_line *first, csv_layout *lay)
{
    for (const char *item = opt->targets;; item++) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        if (lay->n_targets == TG_CSV_MAX_TARGETS)
            return tg_set_error(TG_EVALUE, "tg_csv_load: %s: more than %d target columns", r->path,
                                TG_CSV_MAX_TARGETS);
        int64_t col;
        int rc = target_column(r, opt, first, lay, item, len, &col);
        for (int k = 0; rc == 0 && k < lay->n_targets; k++)
            if (lay->target_columns[k] == col)
                rc = tg_set_error(TG_EVALUE, "tg_csv_load: %s: target column %lld is listed twice",
                                  r->path, (long long)col);
        if (rc < 0)
            return rc;
        lay->target_columns[lay->n_targets++] = col;
        if (!comma)
            return TG_OK;
        item = comma;
    }
}

/* Reads the header (or peeks at the first row) to fix the column count and
 * the label or target columns. */
static int read_shape(csv_reader *r, const tg_csv_options *opt, csv_layout *lay)
{
    csv_line first;
    csv_reader peek = *r;
    if (!next_line(&peek, &first))
        return tg_set_error(TG_EFORMAT,
                            "tg_csv_load: %s: no data rows (the file is empty or blank)", r->path);
    if (opt->has_header)
        *r = peek; /* consume the header */
    lay->columns = count_fields(&first, r->delimiter);
    lay->shape_line = first.number;
    int rc = choose_label_column(r, opt, &first, lay);
    if (rc == TG_OK && opt->targets)
        rc = choose_target_columns(r, opt, &first, lay);
    if (rc == TG_OK && lay->columns - (lay->label_column >= 0) - lay->n_targets < 1)
        rc = tg_set_error(TG_EFORMAT, "tg_csv_load: %s: the only %s; no features", r->path,
                          opt->targets ? "columns are the targets" : "column is the label");
    return rc;
}

static int count_rows(csv_reader r, csv_layout *lay)
{
    csv_line line;
    for (lay->rows = 0; next_line(&r, &line); lay->rows++) {
        int64_t fields = count_fields(&line, r.delimiter);
        if (fields != lay->columns)
            return tg_set_error(TG_EFORMAT, "tg_csv_load: %s line %lld: %lld fields, expected %lld "
                                       "(as on line %lld)",
                                r.path, (long long)line.number, (long long)fields,
                                (long long)lay->columns, (long long)lay->shape_line);
    }
    if (lay->rows == 0)
        return tg_set_error(TG_EFORMAT, "tg_csv_load: %s: no data rows after the header", r.path);
    return TG_OK;
}

/* ---- second pass: numbers ---- */

static int bad_field(const csv_reader *r, const csv_line *line, int64_t col, const char *start,
                     const char *stop, const char *what)
{
    trim(&start, &stop);
    int shown = stop - start > QUOTE_MAX ? QUOTE_MAX : (int)(stop - start);
    return tg_set_error(TG_EFORMAT, "tg_csv_load: %s line %lld column %lld: \"%.*s%s\" is not %s",
                        r->path, (long long)line->number, (long long)col + 1, shown, start,
                        shown < stop - start ? "..." : "", what);
}

/* The whole trimmed field must be the number. Trimming first also keeps
 * strtod from skipping a newline into the next line. */
static bool parse_number(const char *start, const char *stop, double *value)
{
    trim(&start, &stop);
    if (start == stop)
        return false;
    char *parsed_to;
    *value = strtod(start, &parsed_to);
    return parsed_to == stop && isfinite(*value);
}

static int parse_feature(const csv_reader *r, const csv_line *line, int64_t col,
                         const char *start, const char *stop, float *feature)
{
    double v;
    if (!parse_number(start, stop, &v) || !isfinite((float)v))
        return bad_field(r, line, col, start, stop, "a finite float number");
    *feature = (float)v;
    return TG_OK;
}

static int parse_label(const csv_reader *r, const csv_line *line, int64_t col, const char *start,
                       const char *stop, int64_t *label)
{
    double v;
    if (!parse_number(start, stop, &v) || v < 0 || v > MAX_LABEL || v != floor(v))
        return bad_field(r, line, col, start, stop, "a class label (an integer in 0..2147483647)");
    *label = (int64_t)v;
    return TG_OK;
}

/* Where column col's value goes: the k-th target, or -1 for a feature. */
static int target_index(const csv_layout *lay, int64_t col)
{
    for (int k = 0; k < lay->n_targets; k++)
        if (lay->target_columns[k] == col)
            return k;
    return -1;
}

static int parse_row(const csv_reader *r, const csv_layout *lay, const csv_line *line,
                     float *features, int64_t *label, float *targets)
{
    const char *p = line->start;
    for (int64_t col = 0; col < lay->columns; col++) {
        const char *stop = field_stop(p, line->stop, r->delimiter);
        int k = target_index(lay, col);
        int rc = col == lay->label_column ? parse_label(r, line, col, p, stop, label)
                 : k >= 0                 ? parse_feature(r, line, col, p, stop, targets + k)
                                          : parse_feature(r, line, col, p, stop, features++);
        if (rc < 0)
            return rc;
        p = stop + 1;
    }
    return TG_OK;
}

static int parse_rows(csv_reader r, const csv_layout *lay, tg_dataset *d)
{
    csv_line line;
    for (int64_t i = 0; i < d->n && next_line(&r, &line); i++) {
        int64_t *label = d->labels ? d->labels + i : NULL;
        float *targets = d->targets ? d->targets + i * d->n_targets : NULL;
        int rc = parse_row(&r, lay, &line, d->x + i * d->dim, label, targets);
        if (rc < 0)
            return rc;
        if (label && *label >= d->n_classes)
            d->n_classes = *label + 1;
    }
    return TG_OK;
}

static int parse_csv(csv_reader r, const tg_csv_options *opt, tg_dataset *out)
{
    csv_layout lay = {0};
    int rc = read_shape(&r, opt, &lay);
    if (rc == TG_OK)
        rc = count_rows(r, &lay);
    bool labelled = lay.label_column >= 0;
    if (rc == TG_OK)
        rc = tg__dataset_alloc("tg_csv_load", out, lay.rows,
                               lay.columns - labelled - lay.n_targets, labelled, lay.n_targets);
    if (rc < 0)
        return rc;
    rc = parse_rows(r, &lay, out);
    if (rc < 0)
        tg_dataset_free(out);
    return rc;
}

/* ---- options and the entry point ---- */

#define UTF8_BOM "\xef\xbb\xbf"

static int parse_text(const char *path, const tg_csv_options *opt, const tg__file_bytes *f,
                      tg_dataset *out)
{
    const char *text = (const char *)f->bytes, *end = text + f->len;
    const char *nul = memchr(text, '\0', f->len);
    if (nul)
        return tg_set_error(TG_EFORMAT, "tg_csv_load: %s: byte %zu is a NUL: binary data, not text",
                            path, (size_t)(nul - text));
    if (f->len >= 3 && memcmp(text, UTF8_BOM, 3) == 0)
        text += 3; /* spreadsheet programs mark UTF-8 this way */
    return parse_csv((csv_reader){path, opt->delimiter, text, end, 0}, opt, out);
}

static int check_options(const tg_csv_options *opt)
{
    char c = opt->delimiter;
    if (isalnum((unsigned char)c) || c == '.' || c == '+' || c == '-' || c == '\n' || c == '\r')
        return tg_set_error(TG_EVALUE, "tg_csv_load: delimiter '%c' (0x%02x) could be part of a "
                                       "number or a line end",
                            isprint((unsigned char)c) ? c : '?', (unsigned char)c);
    if (opt->targets && opt->label_name)
        return tg_set_error(TG_EVALUE, "tg_csv_load: targets \"%s\" and label_name \"%s\" both set; "
                            "a set has class labels or regression targets", opt->targets,
                            opt->label_name);
    if (opt->label_name && !opt->has_header)
        return tg_set_error(TG_EVALUE, "tg_csv_load: label_name \"%s\" needs has_header",
                            opt->label_name);
    if (!opt->targets && !opt->label_name && opt->label_column < TG_CSV_NO_LABELS)
        return tg_set_error(TG_EVALUE, "tg_csv_load: label column %d (use an index >= 0 or "
                                       "TG_CSV_NO_LABELS)",
                            opt->label_column);
    return TG_OK;
}

int tg_csv_load(const char *path, const tg_csv_options *options, tg_dataset *out)
{
    if (!path || !out)
        return tg_set_error(TG_ENULL, "tg_csv_load: %s is NULL", out ? "path" : "out");
    tg_csv_options opt = options ? *options : (tg_csv_options){0};
    if (!opt.delimiter)
        opt.delimiter = ',';
    int rc = check_options(&opt);
    tg__file_bytes f = {0};
    if (rc == TG_OK)
        rc = tg__read_file("tg_csv_load", path, &f);
    tg_dataset d;
    if (rc == TG_OK)
        rc = parse_text(path, &opt, &f, &d);
    tg__file_bytes_free(&f);
    if (rc < 0)
        return rc;
    *out = d;
    return TG_OK;
}
