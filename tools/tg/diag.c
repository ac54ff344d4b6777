/* diag.c -- error reports: one line naming the column, then the text with a
 * caret under the fault. */
#include <stdarg.h>
#include <string.h>

#include "tg.h"

void diag_at(diag *d, const char *text, const char *what, int offset, const char *fmt, ...)
{
    if (d->set)
        return; /* the first fault found is the one to report */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    d->set = true;
    d->text = text;
    d->what = what ? what : "";
    d->offset = offset;
}

void diag_plain(diag *d, const char *fmt, ...)
{
    if (d->set)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    d->set = true;
    d->text = NULL;
}

/* Bytes that would not print as one column (control characters, the parts
 * of multi-byte characters) are shown as '?', so the caret stays aligned
 * with the byte-based column. */
static void print_echo(const char *text)
{
    fputs("  ", stderr);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p >= 0x20 && *p < 0x7f ? *p : (*p == '\t' || *p == '\n' ? ' ' : '?'), stderr);
    fputc('\n', stderr);
}

/* An op refused by the library's memory limit: the budget is tg's. */
static void print_budget_hint(const diag *d)
{
    if (strstr(d->message, "(tg_set_memory_limit)"))
        fprintf(stderr, "  the memory budget is %zu MiB; change it with tg --max-memory SIZE "
                        "COMMAND ...\n", tg_memory_limit() >> 20);
}

void diag_print(const diag *d)
{
    if (!d->text) {
        fprintf(stderr, "tg: error: %s\n", d->message);
        print_budget_hint(d);
        return;
    }
    int len = (int)strlen(d->text);
    int offset = d->offset < 0 ? 0 : d->offset > len ? len : d->offset;
    fprintf(stderr, "tg: error at column %d%s%s: %s\n", offset + 1, *d->what ? " of " : "",
            d->what, d->message);
    print_echo(d->text);
    fprintf(stderr, "  %*s^\n", offset, "");
    print_budget_hint(d);
}
