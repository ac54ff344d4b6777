/* plot.c -- curves as a self-contained SVG of two panels side by side, with
 * axes, ticks, labels and a legend: a training run's loss and accuracy (R^2
 * for a regression) per epoch (tg train), or a descent's loss and the
 * trajectory of its variables per step (tg descend, tg fit). Plain SVG 1.1
 * elements and no scripts or external files, so any browser shows it. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

#define WIDTH 900
#define HEIGHT 440
#define TRAIN_COLOR "#1f77b4"
#define TEST_COLOR "#ff7f0e"

/* The colours of a panel's curves in turn (matplotlib's, whose first two
 * are the training and test colours). */
static const char *const palette[PLOT_MAX_CURVES] = {
    TRAIN_COLOR, TEST_COLOR, "#2ca02c", "#d62728", "#9467bd",
    "#8c564b",   "#e377c2",  "#7f7f7f", "#bcbd22", "#17becf"};

typedef struct {
    double lo, hi, step;
} scale;

typedef struct {
    FILE *f;
    double left, top, width, height;
    scale x, y;
} panel;

/* Point i of a strided array: the curves read the fields of an array of
 * records in place. */
static double at(const double *first, size_t stride, int i)
{
    return *(const double *)((const char *)first + (size_t)i * stride);
}

static double value_of(const plot_curve *c, int i) { return at(c->y, c->stride, i) * c->factor; }

/* Round tick steps (1, 2 or 5 times a power of ten) about target_ticks to
 * the range, which is widened to whole steps; an empty range is widened
 * first so that a single value sits mid-axis. */
static scale nice_scale(double lo, double hi, int target_ticks, double min_step)
{
    if (!(hi > lo)) {
        double pad = lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / target_ticks, magnitude = pow(10, floor(log10(raw)));
    double f = raw / magnitude;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
    if (step < min_step)
        step = min_step;
    return (scale){floor(lo / step) * step, ceil(hi / step) * step, step};
}

/* The smallest and largest finite value of the series over the records;
 * false if there is none (a run that diverged to NaN from the start). */
static bool value_range(const plot_panel *pp, int n, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int k = 0; k < pp->n_curves; k++)
        for (int i = 0; i < n; i++) {
            double v = value_of(&pp->curves[k], i);
            if (isfinite(v)) {
                *lo = fmin(*lo, v);
                *hi = fmax(*hi, v);
            }
        }
    return *lo <= *hi;
}

static double px(const panel *p, double x)
{
    return p->left + (x - p->x.lo) / (p->x.hi - p->x.lo) * p->width;
}

static double py(const panel *p, double y)
{
    return p->top + p->height - (y - p->y.lo) / (p->y.hi - p->y.lo) * p->height;
}

/* Text goes into XML: markup characters are escaped and bytes that might
 * not be valid UTF-8 are replaced, so the file always parses. */
static void put_text(FILE *f, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '<')
            fputs("&lt;", f);
        else if (*c == '>')
            fputs("&gt;", f);
        else if (*c == '&')
            fputs("&amp;", f);
        else
            fputc(*c >= 0x20 && *c < 0x7f ? *c : '?', f);
    }
}

/* Grid lines and tick labels every step; the small epsilon keeps the last
 * tick that rounding would push past hi. */
static void draw_ticks(const panel *p)
{
    FILE *f = p->f;
    for (double x = p->x.lo; x <= p->x.hi + p->x.step * 1e-9; x += p->x.step) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                px(p, x), p->top, px(p, x), p->top + p->height + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px(p, x),
                p->top + p->height + 18, fabs(x) < 1e-12 ? 0 : x);
    }
    for (double y = p->y.lo; y <= p->y.hi + p->y.step * 1e-9; y += p->y.step) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
                p->left - 5, py(p, y), p->left + p->width, py(p, y));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", p->left - 8,
                py(p, y) + 4, fabs(y) < 1e-12 ? 0 : y);
    }
}

static void draw_axes(const panel *p, const char *x_label, const char *y_label)
{
    FILE *f = p->f;
    draw_ticks(p);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#333\"/>\n", p->left, p->top, p->width, p->height);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", p->left + p->width / 2,
            p->top + p->height + 38);
    put_text(f, x_label);
    double cx = p->left - 48, cy = p->top + p->height / 2;
    fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
               "transform=\"rotate(-90 %.1f %.1f)\">", cx, cy, cx, cy);
    put_text(f, y_label);
    fputs("</text>\n", f);
}

/* One polyline through the finite points (a gap is bridged) and a marker on
 * each, so that a run of one epoch still shows its point; a long run gets
 * no markers, which would merge into a thick line. */
#define MAX_MARKERS 200

static void draw_series(const panel *p, const plot_axis *x, int n, const plot_curve *c,
                        const char *color)
{
    FILE *f = p->f;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (int i = 0; i < n; i++)
        if (isfinite(value_of(c, i)))
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(p, at(x->values, x->stride, i)),
                    py(p, value_of(c, i)));
    fputs("\"/>\n", f);
    for (int i = 0; i < n && n <= MAX_MARKERS; i++)
        if (isfinite(value_of(c, i)))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    px(p, at(x->values, x->stride, i)), py(p, value_of(c, i)), color);
}

/* In the corner the curves leave empty: loss falls, so the top right;
 * accuracy rises, so the bottom right; a descent's values mostly settle
 * from where they started, so the top right too. */
static void draw_legend(const panel *p, const plot_curve *s, int n, bool at_bottom)
{
    double x = p->left + p->width - 130;
    double y = at_bottom ? p->top + p->height - 12 - 18 * (n - 1) : p->top + 16;
    fprintf(p->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"124\" height=\"%d\" fill=\"white\" "
                  "fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n", x - 6, y - 12, 18 * n + 4);
    for (int k = 0; k < n; k++, y += 18) {
        fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"2\"/>\n", x, y - 4, x + 20, y - 4, palette[k]);
        fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\">", x + 26, y);
        put_text(p->f, s[k].label);
        fputs("</text>\n", p->f);
    }
}

/* A loss axis starts at 0 or below; a percentage axis fits the values
 * within 0..100; a value axis fits the values. */
static void draw_panel(panel *p, const plot_axis *x, int n, const plot_panel *pp)
{
    double lo, hi;
    bool percent = pp->kind == PLOT_PERCENT;
    if (!value_range(pp, n, &lo, &hi)) { /* nothing to show: an empty frame */
        lo = 0;
        hi = percent ? 100 : 1;
    }
    p->y = nice_scale(pp->kind == PLOT_LOSS ? fmin(lo, 0) : lo, hi, 5, 0);
    if (percent) {
        p->y.lo = fmax(p->y.lo, 0);
        p->y.hi = fmin(p->y.hi, 100);
    }
    draw_axes(p, x->label, pp->y_label);
    for (int k = 0; k < pp->n_curves; k++)
        draw_series(p, x, n, &pp->curves[k], palette[k]);
    draw_legend(p, pp->curves, pp->n_curves, pp->kind == PLOT_PERCENT);
}

static void write_svg(FILE *f, const char *title, const plot_axis *x, int n,
                      const plot_panel *panels)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fputs("<title>", f);
    put_text(f, title);
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
               "<text x=\"%d\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">", WIDTH, HEIGHT,
            WIDTH / 2);
    put_text(f, title);
    fputs("</text>\n", f);
    double last = n ? at(x->values, x->stride, n - 1) : 1;
    scale xs = nice_scale(0, last, 6, n && last >= 1 ? 1 : 0);
    panel left = {.f = f, .left = 80, .top = 50, .width = 330, .height = 320, .x = xs};
    panel right = left;
    right.left = 540;
    draw_panel(&left, x, n, &panels[0]);
    draw_panel(&right, x, n, &panels[1]);
    fputs("</svg>\n", f);
}

bool write_plot_panels(const char *path, const char *title, const plot_axis *x, int n,
                       const plot_panel panels[2], diag *d)
{
    for (int k = 0; k < 2; k++)
        if (panels[k].n_curves > PLOT_MAX_CURVES) {
            diag_plain(d, "cannot plot %d curves in one panel (at most %d)", panels[k].n_curves,
                       PLOT_MAX_CURVES);
            return false;
        }
    FILE *f = fopen(path, "w");
    if (f) {
        write_svg(f, title, x, n, panels);
        bool written = !ferror(f);
        if (fclose(f) == 0 && written)
            return true;
    }
    diag_plain(d, "cannot write the plot %s: %s", path, strerror(errno));
    return false;
}

#define RECORD_FIELD(name) (&records[0].name), sizeof(epoch_record)

bool write_plot(const char *path, const char *title, const char *loss_label,
                const char *score_label, const epoch_record *records, int n, diag *d)
{
    static const epoch_record none = {0};
    if (n == 0)
        records = &none; /* the curves point into the array, which may be empty */
    const plot_curve loss[] = {{"training", RECORD_FIELD(train_loss), 1},
                               {"test", RECORD_FIELD(test_loss), 1}};
    const plot_curve accuracy[] = {{"training", RECORD_FIELD(train_accuracy), 100},
                                   {"test", RECORD_FIELD(test_accuracy), 100}};
    const plot_panel panels[2] = {{loss_label, PLOT_LOSS, loss, 2},
                                  {score_label, PLOT_PERCENT, accuracy, 2}};
    const plot_axis epochs = {"epoch", RECORD_FIELD(epoch)};
    return write_plot_panels(path, title, &epochs, n, panels, d);
}

/* ---- the record of a descent ---------------------------------------------- */


bool plot_history_init(plot_history *h, long points, diag *d)
{
    *h = (plot_history){0};
    h->step = calloc((size_t)points, sizeof *h->step);
    h->loss = calloc((size_t)points, sizeof *h->loss);
    for (int k = 0; k < PLOT_MAX_CURVES; k++)
        h->track[k] = calloc((size_t)points, sizeof *h->track[k]);
    bool ok = h->step && h->loss;
    for (int k = 0; k < PLOT_MAX_CURVES; k++)
        ok = ok && h->track[k];
    if (!ok)
        diag_plain(d, "out of memory");
    return ok;
}

void plot_history_free(plot_history *h)
{
    free(h->step);
    free(h->loss);
    for (int k = 0; k < PLOT_MAX_CURVES; k++)
        free(h->track[k]);
}

/* The labels are made at the first step: "w", or "W[3]" for element 3 of
 * a tensor, counted flat. */
void plot_history_values(plot_history *h, long k, const symtab *syms)
{
    int t = 0;
    for (int i = 0; i < syms->n_inputs && t < PLOT_MAX_CURVES; i++) {
        tg_tensor *v = symtab_input_value(syms, i);
        if (!tg_requires_grad(v))
            continue;
        for (int64_t e = 0; e < tg_numel(v) && t < PLOT_MAX_CURVES; e++, t++) {
            if (k == 0 && tg_ndim(v) == 0)
                snprintf(h->label[t], sizeof h->label[t], "%s", symtab_input_name(syms, i));
            else if (k == 0)
                snprintf(h->label[t], sizeof h->label[t], "%s[%lld]", symtab_input_name(syms, i),
                         (long long)e);
            h->track[t][k] = tg_get(v, e);
        }
    }
    h->n_tracks = t;
    h->step[k] = (double)k;
    h->n = k + 1;
}

bool plot_history_write(const plot_history *h, const char *path, const char *command,
                        const char *expr, diag *d)
{
    plot_curve loss = {"loss", h->loss, sizeof(double), 1}, tracks[PLOT_MAX_CURVES];
    for (int t = 0; t < h->n_tracks; t++)
        tracks[t] = (plot_curve){h->label[t], h->track[t], sizeof(double), 1};
    const plot_panel panels[2] = {{"loss", PLOT_LOSS, &loss, 1},
                                  {"value", PLOT_VALUES, tracks, h->n_tracks}};
    const plot_axis steps = {"step", h->step, sizeof(double)};
    char title[160];
    snprintf(title, sizeof title, "%s %.120s%s", command, expr, strlen(expr) > 120 ? "..." : "");
    return write_plot_panels(path, title, &steps, (int)h->n, panels, d);
}
