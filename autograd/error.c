/* error.c -- the thread-local error message and the argument checks. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char error_message[512];
static _Thread_local int error_code;

const char *tg_last_error(void) { return error_message; }
int tg_last_error_code(void) { return error_code; }

void tg_clear_error(void)
{
    error_message[0] = '\0';
    error_code = TG_OK;
}

static int set_error(int code, const char *fmt, va_list ap)
{
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    error_code = code;
    return code;
}

int tg__fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(code, fmt, ap);
    va_end(ap);
    return code;
}

/* The same for user callbacks (tapegrad/function.h). */
int tg_set_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(code, fmt, ap);
    va_end(ap);
    return code;
}

/* Successful public calls clear the message so that a later NULL argument is
 * not blamed on an unrelated, already handled failure. */
void tg__clear_on_success(void)
{
    if (error_code != TG_OK)
        tg_clear_error();
}

int tg__invalid(const char *fn, const tg_tensor *t, const char *what)
{
    if (t == NULL) {
        if (error_code != TG_OK)
            return error_code; /* NULL produced by the pending failure */
        return tg__fail(TG_ENULL, "%s: %s is NULL", fn, what);
    }
    if (t->magic != TG_MAGIC)
        return tg__fail(TG_ESTALE, "%s: %s is not a live tensor (freed or never created)", fn,
                        what);
    return tg__fail(TG_ESTALE,
                    "%s: %s belongs to a tape that was reset (or to another thread's tape); "
                    "tensors die at tg_tape_reset",
                    fn, what);
}

int tg__check_failed(const char *fn, const tg_tensor *t, int argno)
{
    char what[32];
    snprintf(what, sizeof what, "argument %d", argno);
    return tg__invalid(fn, t, what);
}

int tg__dtypes_differ(const char *fn, const tg_tensor *a, const tg_tensor *b)
{
    return tg__fail(TG_EDTYPE, "%s: dtypes differ: %s and %s (use tg_cast)", fn,
                    tg_dtype_name((tg_dtype)a->dtype), tg_dtype_name((tg_dtype)b->dtype));
}

int tg__normalize_axis(const char *fn, const tg_tensor *t, int axis, int *out)
{
    int n = t->ndim;
    if (axis < -n || axis >= n || n == 0) {
        char dims[96];
        return tg__fail(TG_EAXIS, "%s: axis %d out of range for shape %s", fn, axis,
                        tg__dims_str(t->ndim, t->shape, dims, sizeof dims));
    }
    *out = axis < 0 ? axis + n : axis;
    return TG_OK;
}
