/*
 * explain_latex.c -- tensors and text as LaTeX for `tg explain --format
 * latex` and `--format beamer`: a tensor as a bmatrix (a vector as a
 * column), its long axes elided as tensor_brief elides them (\cdots, \vdots,
 * \ddots), and cut into blocks of rows and columns that fit the line and the
 * page, so that no tensor runs past the margin; numbers with an exponent as
 * powers of ten; text with TeX's special characters escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "explain.h"

/* A block shows at most amsmath's default of columns (MaxMatrixCols). */
#define BLOCK_COLS 10
/* The characters of the note a block of a split matrix has, "(columns 10--19)". */
#define NOTE_WIDTH 14
/* Past this many shown entries along an axis a tensor is elided whatever
 * --elide says: the LaTeX must fit its buffer whole, or it does not compile. */
#define MAX_SHOWN 256

typedef struct {
    char *buf;
    size_t size, len;
    bool full; /* something did not fit */
} tex_out;

static void put(tex_out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n >= o->size) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, n + 1);
    o->len += n;
}

char *latex_number(const char *number, char *buf, size_t size)
{
    const char *e = strchr(number, 'e');
    if (strstr(number, "inf"))
        snprintf(buf, size, "%s\\infty", number[0] == '-' ? "-" : "");
    else if (strstr(number, "nan"))
        snprintf(buf, size, "\\mathrm{NaN}");
    else if (e) /* 1.5e-05 -> 1.5 \times 10^{-5} */
        snprintf(buf, size, "%.*s \\times 10^{%s%d}", (int)(e - number), number,
                 e[1] == '-' ? "-" : "", abs(atoi(e + 1)));
    else
        snprintf(buf, size, "%s", number);
    return buf;
}

char *latex_text(const char *text, char *buf, size_t size)
{
    tex_out o = {buf, size, 0, false};
    buf[0] = '\0';
    for (const char *p = text; *p && !o.full; p++) {
        char c[2] = {*p, '\0'};
        if (strchr("_%&#${}", *p))
            put(&o, "\\"), put(&o, c);
        else if (*p == '^')
            put(&o, "\\^{}");
        else if (*p == '~')
            put(&o, "\\~{}");
        else if (*p == '\\')
            put(&o, "\\textbackslash{}");
        else
            put(&o, c);
    }
    return buf;
}

/* The indices shown along an axis of n entries: all of them, or (elide)
 * the first two, -1 for the ellipsis, and the last. */
static int shown_indices(int64_t n, bool elide, int64_t *idx)
{
    if (elide) {
        idx[0] = 0, idx[1] = 1, idx[2] = -1, idx[3] = n - 1;
        return 4;
    }
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    return (int)n;
}

/* A matrix view of the tensor's elements: rows x cols entries from base. */
typedef struct {
    const tg_tensor *t;
    int64_t base, cols; /* the flat index of entry [0,0], the row length */
    int64_t rows_idx[MAX_SHOWN], cols_idx[MAX_SHOWN];
    int n_rows, n_cols;
} matrix_view;

static size_t cell_width(const matrix_view *m, int c)
{
    size_t w = 2;
    char num[64];
    for (int r = 0; r < m->n_rows && m->cols_idx[c] >= 0; r++)
        if (m->rows_idx[r] >= 0) {
            size_t len = strlen(element_brief(tg_get(m->t, m->base + m->rows_idx[r] * m->cols +
                                                                m->cols_idx[c]),
                                              num, sizeof num));
            w = len > w ? len : w;
        }
    return w;
}

static void put_cell(tex_out *o, const matrix_view *m, int r, int c)
{
    int64_t row = m->rows_idx[r], col = m->cols_idx[c];
    char num[64], tex[96];
    if (row < 0 || col < 0)
        put(o, row < 0 && col < 0 ? "\\ddots" : row < 0 ? "\\vdots" : "\\cdots");
    else
        put(o, latex_number(element_brief(tg_get(m->t, m->base + row * m->cols + col), num,
                                          sizeof num), tex, sizeof tex));
}

/* "(rows 0--11, columns 8--15)": the entries a block of a split matrix
 * shows, the first and last it names ("column 3" when they are one). */
static void put_range(tex_out *o, const char *what, const int64_t *idx, int from, int to)
{
    char text[64];
    while (idx[from] < 0)
        from++;
    while (idx[to - 1] < 0)
        to--;
    if (idx[from] == idx[to - 1])
        snprintf(text, sizeof text, "%.*s %lld", (int)strlen(what) - 1, what,
                 (long long)idx[from]);
    else
        snprintf(text, sizeof text, "%s %lld--%lld", what, (long long)idx[from],
                 (long long)idx[to - 1]);
    put(o, text);
}

static void put_block(tex_out *o, const matrix_view *m, int r0, int r1, int c0, int c1,
                      bool transposed, bool split_rows)
{
    put(o, "\\begin{bmatrix}");
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            put_cell(o, m, r, c);
            put(o, c + 1 < c1 ? " & " : r + 1 < r1 ? " \\\\ " : "");
        }
    put(o, transposed ? "\\end{bmatrix}^{\\top}" : "\\end{bmatrix}");
    bool split_cols = c0 > 0 || c1 < m->n_cols;
    if (!split_rows && !split_cols)
        return;
    put(o, "\\ \\text{(");
    if (split_rows)
        put_range(o, "rows", m->rows_idx, r0, r1);
    if (split_rows && split_cols)
        put(o, ", ");
    if (split_cols)
        put_range(o, transposed ? "entries" : "columns", m->cols_idx, c0, c1);
    put(o, ")}");
}

/* The width of the shown columns, in characters (a column's widest entry
 * and the space between columns). */
static size_t matrix_width(const matrix_view *m)
{
    size_t w = 0;
    for (int c = 0; c < m->n_cols; c++)
        w += cell_width(m, c) + 2;
    return w;
}

/* The matrix in blocks of at most fit->rows rows and as many columns as
 * fit fit->width characters with the block's note (BLOCK_COLS at most), a
 * line of the align each. */
static void put_matrix(tex_out *o, const matrix_view *m, const latex_fit *fit, bool transposed)
{
    bool first = true;
    size_t width = matrix_width(m) <= (size_t)fit->width ? (size_t)fit->width
                                                         : (size_t)(fit->width - NOTE_WIDTH);
    for (int r0 = 0; r0 < m->n_rows; r0 += fit->rows) {
        int r1 = r0 + fit->rows < m->n_rows ? r0 + fit->rows : m->n_rows;
        for (int c0 = 0; c0 < m->n_cols;) {
            int c1 = c0;
            size_t used = 0;
            while (c1 < m->n_cols && c1 - c0 < BLOCK_COLS &&
                   (c1 == c0 || used + cell_width(m, c1) + 2 <= width))
                used += cell_width(m, c1++) + 2;
            if (!first)
                put(o, LATEX_LINE_BREAK);
            put_block(o, m, r0, r1, c0, c1, transposed, m->n_rows > fit->rows);
            first = false;
            c0 = c1;
        }
    }
}

/* "[1,0]: " before the matrix base starts, for a tensor of 3 or more axes:
 * the indices of its leading axes. */
static void put_leading_index(tex_out *o, const tg_tensor *t, int64_t base)
{
    int nd = tg_ndim(t);
    int64_t m = tg_shape(t)[nd - 2] * tg_shape(t)[nd - 1], lead = base / (m ? m : 1);
    char idx[24 * TG_MAX_DIMS] = "]", tmp[sizeof idx];
    for (int a = nd - 3; a >= 0; a--) {
        snprintf(tmp, sizeof tmp, "%s%lld%s", a ? "," : "[", (long long)(lead % tg_shape(t)[a]),
                 idx);
        memcpy(idx, tmp, sizeof idx);
        lead /= tg_shape(t)[a];
    }
    put(o, "\\text{");
    put(o, idx);
    put(o, ": }");
}

/* The leading matrices a slide shows of a tensor of 3 or more axes that has
 * too many for the frame: the first, a \dots and the last on one line
 * (a frame holds up to six tensors), or the first and a \dots where the
 * two do not fit its width (each matrix is as wide as width characters, with
 * its index in front). */
static int slide_lead_indices(int64_t lead, size_t width, const latex_fit *fit, int64_t *idx)
{
    idx[0] = 0, idx[1] = -1, idx[2] = lead - 1;
    return 2 * (width + 6) + 5 <= (size_t)fit->width ? 3 : 2;
}

static void put_tensor(tex_out *o, const tg_tensor *t, const latex_fit *fit, bool elide_all)
{
    int nd = tg_ndim(t);
    int64_t numel = tg_numel(t);
    bool elides = elide_all || brief_elides(numel);
    matrix_view *m = calloc(1, sizeof *m);
    if (!m) {
        o->full = true;
        return;
    }
    m->t = t;
    int64_t rows = nd == 1 ? tg_shape(t)[0] : tg_shape(t)[nd - 2];
    int64_t cols = nd == 1 ? 1 : tg_shape(t)[nd - 1];
    m->cols = cols;
    m->n_rows = shown_indices(rows, rows > 4 && (elides || rows > MAX_SHOWN), m->rows_idx);
    m->n_cols = shown_indices(cols, cols > 4 && (elides || cols > MAX_SHOWN), m->cols_idx);
    if (fit->elide && m->n_rows > fit->rows && rows > 4) /* too tall for a slide */
        m->n_rows = shown_indices(rows, true, m->rows_idx);
    if (fit->elide && matrix_width(m) > (size_t)fit->width && cols > 4) /* too wide */
        m->n_cols = shown_indices(cols, true, m->cols_idx);
    bool as_row = nd == 1 && m->n_rows > fit->column;
    if (as_row) { /* the column, transposed: its entries along a row */
        memcpy(m->cols_idx, m->rows_idx, sizeof m->rows_idx);
        m->n_cols = m->n_rows, m->rows_idx[0] = 0, m->n_rows = 1, m->cols = rows;
    }
    int64_t lead = nd > 2 ? numel / (rows * cols) : 1, lead_idx[MAX_SHOWN];
    int n_lead = shown_indices(lead, lead > 4 && (elides || lead > MAX_SHOWN), lead_idx);
    bool one_line = fit->elide && n_lead > 1; /* too tall for a slide otherwise */
    if (one_line)
        n_lead = slide_lead_indices(lead, matrix_width(m), fit, lead_idx);
    for (int i = 0; i < n_lead; i++) {
        if (i)
            put(o, one_line ? "\\;" : LATEX_LINE_BREAK);
        if (lead_idx[i] < 0) {
            put(o, "\\dots");
            continue;
        }
        m->base = lead_idx[i] * rows * cols;
        if (nd > 2)
            put_leading_index(o, t, m->base);
        put_matrix(o, m, fit, as_row);
    }
    free(m);
}

char *latex_tensor(const tg_tensor *t, const latex_fit *fit, char *buf, size_t size)
{
    char num[64];
    if (tg_ndim(t) == 0 || tg_numel(t) == 0) {
        if (tg_numel(t) == 0)
            snprintf(buf, size, "\\text{(empty)}");
        else
            latex_number(number_brief(tg_get(t, 0), num, sizeof num), buf, size);
        return buf;
    }
    tex_out o = {buf, size, 0, false};
    buf[0] = '\0';
    put_tensor(&o, t, fit, false);
    if (o.full) { /* shown whole it does not fit: elided, it does */
        o = (tex_out){buf, size, 0, false};
        buf[0] = '\0';
        put_tensor(&o, t, fit, true);
    }
    return buf;
}
