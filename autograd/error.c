/*
 * error.c -- the thread-local error state and the argument checks.
 *
 * The state is sticky: the first failure since the last tg_clear_error (or
 * tg_tape_reset) keeps its code and message, and neither a later failure nor
 * a success touches them. A nested expression therefore reports its root
 * cause whatever order C evaluates the arguments in: a sibling that succeeds
 * after the failing one clears nothing, and the NULL that the failure handed
 * up never replaces its message. The value each call returns is its own, so
 * the library also keeps the code of the latest failure (what a NULL
 * argument is taken to come from) and counts failures, so that it can tell
 * whether a user callback reported the failure it returned.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char error_message[512];
static _Thread_local int error_code;       /* the first failure's; TG_OK: none pending */
static _Thread_local int latest_code;      /* the latest failure's since the clear */
static _Thread_local uint64_t failures;    /* every failure on this thread, never reset */
static _Thread_local uint64_t message_mark; /* failures when the pending message was set */

const char *tg_last_error(void) { return error_message; }
int tg_last_error_code(void) { return error_code; }

void tg_clear_error(void)
{
    error_message[0] = '\0';
    error_code = TG_OK;
    latest_code = TG_OK;
}

int tg__latest_code(void) { return latest_code; }

uint64_t tg_error_mark(void) { return failures; }

bool tg__failed_since(uint64_t mark) { return failures != mark; }

static int set_error(int code, const char *fmt, va_list ap)
{
    if (code >= 0)
        code = TG_ESTATE; /* a failure is negative, else the NULL rule would return success */
    failures++;
    latest_code = code;
    if (error_code != TG_OK)
        return code; /* the first failure stands */
    vsnprintf(error_message, sizeof error_message, fmt, ap);
    error_code = code;
    message_mark = failures;
    return code;
}

int tg__fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = set_error(code, fmt, ap);
    va_end(ap);
    return code;
}

/* The same for code built on tapegrad (tapegrad/function.h). */
int tg_set_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = set_error(code, fmt, ap);
    va_end(ap);
    return code;
}

const char *tg__message_since(uint64_t mark)
{
    return error_code != TG_OK && message_mark > mark ? error_message : NULL;
}

int tg_amend_error(uint64_t mark, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!tg__message_since(mark)) {
        code = set_error(code, fmt, ap);
        va_end(ap);
        return code;
    }
    char text[sizeof error_message]; /* the arguments may quote the message */
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(error_message, text, sizeof text);
    error_code = latest_code = code < 0 ? code : TG_ESTATE;
    return error_code;
}

int tg__invalid(const char *fn, const tg_tensor *t, const char *what)
{
    if (t == NULL && error_code != TG_OK) {
        failures++;
        return latest_code; /* most likely the NULL the latest failure returned */
    }
    if (t == NULL)
        return tg__fail(TG_ENULL, "%s: %s is NULL", fn, what);
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
