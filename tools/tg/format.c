/* format.c -- numbers and tensors as JSON and as short readable text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg.h"

void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

/* Writes the block of t that starts at flat index base and spans axes
 * axis.. of its shape; the recursion is at most TG_MAX_DIMS deep. */
static void nested_block(FILE *f, const tg_tensor *t, int axis, int64_t base, int64_t stride,
                         bool json)
{
    if (axis == tg_ndim(t)) {
        if (json)
            json_number(f, tg_get(t, base));
        else
            fprintf(f, "%.10g", tg_get(t, base));
        return;
    }
    int64_t n = tg_shape(t)[axis], inner = stride / (n ? n : 1);
    fputc('[', f);
    for (int64_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        nested_block(f, t, axis + 1, base + i * inner, inner, json);
    }
    fputc(']', f);
}

void json_tensor(FILE *f, const tg_tensor *t) { nested_block(f, t, 0, 0, tg_numel(t), true); }
void text_tensor(FILE *f, const tg_tensor *t) { nested_block(f, t, 0, 0, tg_numel(t), false); }

/* How many significant digits a brief number shows (scalars, elements of a
 * tensor) and up to how many elements a tensor is shown whole: set once by
 * a command's options (tg explain --digits, --elide) before it prints. */
static int scalar_digits = 6, element_digits = 4;
static int64_t whole_up_to = 0;

void brief_settings(int digits, int64_t whole)
{
    if (digits > 0)
        scalar_digits = element_digits = digits;
    whole_up_to = whole;
}

bool brief_elides(int64_t n) { return n > 4 && n > whole_up_to; }

char *number_brief(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.*g", scalar_digits, v == 0 ? 0.0 : v); /* no "-0" */
    return buf;
}

char *element_brief(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.*g", element_digits, v == 0 ? 0.0 : v);
    return buf;
}

char *number_exact(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, size, "%.17g", v);
    return buf;
}

typedef struct {
    char *buf;
    size_t size, len;
} text_out;

static void put(text_out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n >= o->size) { /* keep the tail free for the ellipsis */
        n = o->len + 1 < o->size ? o->size - o->len - 1 : 0;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Long axes show their first two and last entries around "...", unless
 * the whole tensor is short enough to be shown whole. */
static void brief_block(text_out *o, const tg_tensor *t, int axis, int64_t base, int64_t stride)
{
    if (axis == tg_ndim(t)) {
        char num[32];
        put(o, element_brief(tg_get(t, base), num, sizeof num));
        return;
    }
    int64_t n = tg_shape(t)[axis], inner = stride / (n ? n : 1);
    put(o, "[");
    for (int64_t i = 0; i < n; i++) {
        if (n > 4 && i == 2 && tg_numel(t) > whole_up_to) {
            put(o, ", ...");
            i = n - 1;
        }
        if (i)
            put(o, ", ");
        brief_block(o, t, axis + 1, base + i * inner, inner);
    }
    put(o, "]");
}

char *tensor_brief(const tg_tensor *t, char *buf, size_t size)
{
    if (tg_ndim(t) == 0)
        return number_brief(tg_get(t, 0), buf, size);
    text_out o = {buf, size > 4 ? size - 4 : size, 0};
    buf[0] = '\0';
    brief_block(&o, t, 0, 0, tg_numel(t));
    if (o.len + 1 >= o.size && size > 4)
        strcat(buf, "...");
    return buf;
}

char *index_text(const tg_tensor *t, int64_t flat, const char *sep, char *buf, size_t size)
{
    int nd = tg_ndim(t);
    int64_t idx[TG_MAX_DIMS];
    for (int a = nd - 1; a >= 0; a--) {
        idx[a] = flat % tg_shape(t)[a];
        flat /= tg_shape(t)[a];
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int a = 0; a < nd && len < size; a++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld%s", a ? sep : "[",
                                (long long)idx[a], a == nd - 1 ? "]" : "");
    return buf;
}

char *shape_text(const tg_tensor *t, char *buf, size_t size)
{
    if (tg_ndim(t) == 0) {
        snprintf(buf, size, "scalar");
        return buf;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < tg_ndim(t) && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, i ? "x%lld" : "%lld",
                                (long long)tg_shape(t)[i]);
    return buf;
}
