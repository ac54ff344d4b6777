/*
 * cmd_quiz.c -- `tg quiz`: a worksheet of the reverse sweep, its blanks
 * taken from the real tape (quiz.c), and its answer key.
 *
 * The sheet shows the inputs and the forward pass with their values, then
 * the sweep node by node as tg explain prints it, each blank of --blank
 * left as ____ (text) or a box (LaTeX) for the student: a local derivative
 * d node / d input, or the upstream gradient that reaches a node (and, at
 * the end, each variable's gradient). The derivative rules are not shown
 * on the sheet (finding them is the exercise); the key gives them as
 * comments. The key goes to --answers FILE, or after the sheet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/inspect.h>

#include "quiz.h"

#define TEXT 4096

typedef struct {
    const quiz_sweep *q;
    const cli_args *a;
    blank_set set;
    FILE *out;
    const char *mark; /* a blank in the text: "____", or HTML_MARK */
} sheet;

/* The blanks of the text the HTML page is made from: a byte no label,
 * number or formula contains (a variable may be named ____). */
#define HTML_MARK "\x01"

/* "(shape 2x3)" after a tensor's blank, so that the student knows its
 * shape; "" for a number. */
static const char *shape_hint(const tg_tensor *t, char *buf, size_t size)
{
    char shape[32];
    if (tg_ndim(t) == 0)
        snprintf(buf, size, "%s", "");
    else
        snprintf(buf, size, "  (shape %s)", shape_text(t, shape, sizeof shape));
    return buf;
}

/* ---- text --------------------------------------------------------------- */

/* The value of an entry, or the blank when it is one. */
static const char *text_value(const sheet *sh, const quiz_entry *e, char *buf, size_t size)
{
    char hint[64];
    if (quiz_is_blank(e, sh->set))
        snprintf(buf, size, "%s%s", sh->mark, shape_hint(e->value, hint, sizeof hint));
    else
        tensor_brief(e->value, buf, size);
    return buf;
}

static void text_inputs(const sheet *sh)
{
    const symtab *syms = &sh->q->s->syms;
    char value[TEXT], shape[32];
    fprintf(sh->out, "\nInputs\n");
    for (int i = 0; i < syms->n_inputs; i++) {
        tg_tensor *v = symtab_input_value(syms, i);
        fprintf(sh->out, "  %-10s %-8s %s%s\n", symtab_input_name(syms, i),
                shape_text(v, shape, sizeof shape), tensor_brief(v, value, TEXT),
                tg_requires_grad(v) ? "" : "   (constant: no gradient wanted)");
    }
    const tg_tensor *consts[64];
    int n = labeler_constants(sh->q->names, consts, 64);
    for (int i = 0; i < n; i++)
        fprintf(sh->out, "  %-10s %-8s %s   (constant)\n", label_of(sh->q->names, consts[i]),
                shape_text(consts[i], shape, sizeof shape), tensor_brief(consts[i], value, TEXT));
}

static void text_forward(const sheet *sh)
{
    const quiz_sweep *q = sh->q;
    int64_t last = tg_tape_position(q->s->prog.result);
    char formula[TEXT], value[TEXT];
    fprintf(sh->out, "\nForward pass: the tape, in the order the ops ran\n\n");
    if (last < 0)
        fprintf(sh->out, "  (no ops: the result is %s itself)\n", q->result);
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        fprintf(sh->out, "  %s = %s = %s\n", label_of(q->names, node),
                quiz_formula(q, node, NOTATION_TEXT, formula, TEXT),
                tensor_brief(node, value, TEXT));
    }
}

/* "(what v1 received from f)", or the sum of several. */
static void text_received(const sheet *sh, const tg_tensor *t, int before)
{
    char sources[TEXT];
    quiz_sources(sh->q, t, before, sources, TEXT);
    fprintf(sh->out, "   (%s %s received from %s)\n",
            strchr(sources, ',') ? "the sum of what" : "what", label_of(sh->q->names, t), sources);
}

static void text_node(const sheet *sh, const quiz_entry *e, int i)
{
    const quiz_sweep *q = sh->q;
    char formula[TEXT], name[TEXT], value[TEXT];
    const char *label = label_of(q->names, e->node);
    fprintf(sh->out, "\n  %s = %s\n      upstream %s = ", label,
            quiz_formula(q, e->node, NOTATION_TEXT, formula, TEXT),
            quiz_grad_name(q, label, NOTATION_TEXT, name, TEXT));
    if (!e->blank) {
        fprintf(sh->out, "1 (the seed)\n");
        return;
    }
    fputs(text_value(sh, e, value, TEXT), sh->out);
    text_received(sh, e->node, i);
}

static void text_step(const sheet *sh, const quiz_entry *e)
{
    const quiz_sweep *q = sh->q;
    char formula[TEXT], up[TEXT], rule[TEXT], value[TEXT];
    const char *input = label_of(q->names, tg_op_input(e->node, e->k));
    quiz_formula(q, e->node, NOTATION_TEXT, formula, TEXT);
    quiz_grad_name(q, label_of(q->names, e->node), NOTATION_TEXT, up, TEXT);
    if (e->step == STEP_LOCAL) {
        fprintf(sh->out, "      %s = d/d%s (%s) = %s\n        %s receives %s * d/d%s\n", e->key,
                input, formula, text_value(sh, e, value, TEXT), input, up, input);
    } else if (e->step == STEP_BROADCAST) {
        fprintf(sh->out, "      %s receives %s * d/d%s (%s) = %s * %s,\n        summed over the "
                "axes %s was broadcast along\n", input, up, input, formula, up,
                quiz_rule(q, e, NOTATION_TEXT, rule, TEXT), input);
    } else {
        fprintf(sh->out, "      %s receives %s\n", input,
                quiz_rule(q, e, NOTATION_TEXT, rule, TEXT));
    }
}

static void text_gradient(const sheet *sh, const quiz_entry *e, int i)
{
    char value[TEXT];
    fprintf(sh->out, "  %s = %s", e->key, text_value(sh, e, value, TEXT));
    if (quiz_is_blank(e, sh->set))
        text_received(sh, e->node, i);
    else
        fputc('\n', sh->out);
}

static const char *blank_words(blank_set set)
{
    return set == BLANK_LOCAL      ? "the local derivatives"
           : set == BLANK_UPSTREAM ? "the upstream gradients"
                                   : "the local derivatives and the upstream gradients";
}

/* The inputs, the forward pass and the sweep with its blanks. */
static void text_body(const sheet *sh)
{
    const quiz_sweep *q = sh->q;
    FILE *f = sh->out;
    text_inputs(sh);
    text_forward(sh);
    fprintf(f, "\nReverse sweep: from %s back to the inputs, node by node;\n"
               "each step is  upstream gradient * local derivative = what the input receives\n",
            q->result);
    bool gradients = false;
    for (int i = 0; i < q->n; i++) {
        const quiz_entry *e = &q->entries[i];
        if (e->kind == ENTRY_NODE)
            text_node(sh, e, i);
        else if (e->kind == ENTRY_STEP)
            text_step(sh, e);
        else {
            if (!gradients)
                fprintf(f, "\nGradients\n\n");
            gradients = true;
            text_gradient(sh, e, i);
        }
    }
}

static void text_sheet(const sheet *sh)
{
    FILE *f = sh->out;
    fprintf(f, "Worksheet  %s\n\nFill in each ____: %s, node by node.\n",
            sh->a->expr, blank_words(sh->set));
    text_body(sh);
    fprintf(f, "\nYour answers: these lines in a FILE, each blank's number after its '=' (a\n"
               "tensor as [1, 2] or [[1, 2], [3, 4]]), graded by the command on the first "
               "line\n\n");
    quiz_write_key(f, sh->q, sh->a, sh->set, false);
}

/* ---- LaTeX: a document of its own (amsmath) ------------------------------ */

/* text in \texttt: LaTeX's special characters escaped. */
static void tex_text(FILE *f, const char *text)
{
    for (const char *p = text; *p; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '\\': esc = "\\textbackslash{}"; break;
        case '^': esc = "\\^{}"; break;
        case '~': esc = "\\textasciitilde{}"; break;
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            fputc('\\', f);
            break;
        default: break;
        }
        if (esc)
            fputs(esc, f);
        else
            fputc(*p, f);
    }
}

static const char *tex_value(const sheet *sh, const quiz_entry *e, char *buf, size_t size)
{
    char shape[32];
    if (!quiz_is_blank(e, sh->set))
        return tensor_brief(e->value, buf, size);
    if (tg_ndim(e->value) == 0)
        snprintf(buf, size, "\\blank");
    else
        snprintf(buf, size, "\\blank \\quad \\text{(shape %s)}",
                 shape_text(e->value, shape, sizeof shape));
    return buf;
}

static void tex_inputs(const sheet *sh)
{
    const quiz_sweep *q = sh->q;
    const symtab *syms = &q->s->syms;
    const tg_tensor *consts[64];
    int n = labeler_constants(q->names, consts, 64);
    char name[TEXT], value[TEXT];
    if (syms->n_inputs + n == 0)
        return;
    fprintf(sh->out, "\\subsection*{Inputs}\n\\begin{align*}\n");
    for (int i = 0; i < syms->n_inputs; i++)
        fprintf(sh->out, "%s &= %s \\\\\n", latex_name(symtab_input_name(syms, i), name, TEXT),
                tensor_brief(symtab_input_value(syms, i), value, TEXT));
    for (int i = 0; i < n; i++)
        fprintf(sh->out, "%s &= %s \\quad\\text{(constant)} \\\\\n",
                latex_name(label_of(q->names, consts[i]), name, TEXT),
                tensor_brief(consts[i], value, TEXT));
    fprintf(sh->out, "\\end{align*}\n");
}

static void tex_forward(const sheet *sh)
{
    const quiz_sweep *q = sh->q;
    int64_t last = tg_tape_position(q->s->prog.result);
    char name[TEXT], formula[TEXT], value[TEXT];
    fprintf(sh->out, "\\subsection*{Forward pass}\n");
    if (last < 0) {
        fprintf(sh->out, "No ops: the result is an input.\n");
        return;
    }
    fprintf(sh->out, "\\begin{align*}\n");
    for (int64_t pos = 0; pos <= last; pos++) {
        tg_tensor *node = tg_tape_node(pos);
        fprintf(sh->out, "%s &= %s = %s \\\\\n", latex_name(label_of(q->names, node), name, TEXT),
                quiz_formula(q, node, NOTATION_LATEX, formula, TEXT),
                tensor_brief(node, value, TEXT));
    }
    fprintf(sh->out, "\\end{align*}\n");
}

static void tex_entry(const sheet *sh, const quiz_entry *e)
{
    const quiz_sweep *q = sh->q;
    char name[TEXT], formula[TEXT], value[TEXT], rule[TEXT];
    const char *label = label_of(q->names, e->node);
    quiz_grad_name(q, label, NOTATION_LATEX, name, TEXT);
    if (e->kind == ENTRY_NODE) {
        fprintf(sh->out, "&\\text{at } %s = %s: \\\\\n", latex_name(label, value, TEXT),
                quiz_formula(q, e->node, NOTATION_LATEX, formula, TEXT));
        fprintf(sh->out, "%s &= %s \\\\\n", name,
                e->blank ? tex_value(sh, e, value, TEXT) : "1 \\quad\\text{(the seed)}");
        return;
    }
    if (e->kind == ENTRY_GRADIENT) {
        fprintf(sh->out, "%s &= %s \\\\\n", name, tex_value(sh, e, value, TEXT));
        return;
    }
    char input[TEXT], twin[32] = "";
    latex_name(label_of(q->names, tg_op_input(e->node, e->k)), input, TEXT);
    quiz_formula(q, e->node, NOTATION_LATEX, formula, TEXT);
    if (e->twin)
        snprintf(twin, sizeof twin, "\\ \\text{(operand %d)}", e->twin);
    if (e->step == STEP_LOCAL)
        fprintf(sh->out, "\\frac{\\partial}{\\partial %s}\\left(%s\\right)%s &= %s \\\\\n", input,
                formula, twin, tex_value(sh, e, value, TEXT));
    else
        fprintf(sh->out, "&%s \\text{ receives } %s%s \\\\\n", input,
                quiz_rule(q, e, NOTATION_LATEX, rule, TEXT),
                e->step == STEP_BROADCAST ? " \\text{, summed over the broadcast axes}" : "");
}

static void tex_sheet(const sheet *sh, bool with_key)
{
    const quiz_sweep *q = sh->q;
    FILE *f = sh->out;
    fprintf(f, "%% tg quiz --format latex: a worksheet of the reverse sweep\n"
               "\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n"
               "\\newcommand{\\blank}{\\framebox[7em]{\\rule{0pt}{1.1em}}}\n"
               "\\begin{document}\n\\section*{The reverse sweep of \\texttt{");
    tex_text(f, sh->a->expr);
    fprintf(f, "}}\nFill in each box: %s, node by node. Each step of the sweep is upstream "
               "gradient $\\times$ local derivative $=$ what the input receives.\n",
            blank_words(sh->set));
    tex_inputs(sh);
    tex_forward(sh);
    fprintf(f, "\\subsection*{Reverse sweep}\n\\begin{align*}\n");
    bool gradients = false;
    for (int i = 0; i < q->n; i++) {
        if (q->entries[i].kind == ENTRY_GRADIENT && !gradients) {
            fprintf(f, "\\end{align*}\n\\subsection*{Gradients}\n\\begin{align*}\n");
            gradients = true;
        }
        tex_entry(sh, &q->entries[i]);
    }
    fprintf(f, "\\end{align*}\nThe answers, one line per blank as the answer key writes them, "
               "are graded by\n\\begin{footnotesize}\n\\begin{verbatim}\ntg check ");
    quiz_print_command(f, sh->a);
    fprintf(f, " FILE\n\\end{verbatim}\n\\end{footnotesize}\n");
    if (with_key) {
        fprintf(f, "\\newpage\n\\section*{Answer key}\n\\begin{footnotesize}\n\\begin{verbatim}\n");
        quiz_write_key(f, q, sh->a, sh->set, true);
        fprintf(f, "\\end{verbatim}\n\\end{footnotesize}\n");
    }
    fprintf(f, "\\end{document}\n");
}

/* ---- HTML: the text sheet with boxes to type in, graded in the page ------- */

/* The page's script: "Check" compares every box with the key embedded in
 * the page, element by element, by tg check's test (|answer - key| <=
 * 1e-3 |key| + 1e-9), marks each box, and names the first wrong node and
 * whether its upstream gradient or its local derivative was wrong; the
 * key's values are not shown. The answers also appear as the lines tg
 * check reads, for its report of carried errors. */
static const char quiz_page_js[] =
    "const key = JSON.parse(document.getElementById('key').textContent);\n"
    "const boxes = [...document.querySelectorAll('input.blank')];\n"
    "function flat(v, shape, depth) {\n"
    "  if (!Array.isArray(v)) {\n"
    "    if (typeof v !== 'number') throw 0;\n"
    "    shape.length = depth;\n"
    "    return [v];\n"
    "  }\n"
    "  if (shape[depth] !== undefined && shape[depth] !== v.length) throw 0;\n"
    "  shape[depth] = v.length;\n"
    "  return v.flatMap((x) => flat(x, shape, depth + 1));\n"
    "}\n"
    "function read(text) {\n"
    "  const shape = [];\n"
    "  try { return { values: flat(JSON.parse(text), shape, 0), shape }; }\n"
    "  catch (e) { return null; }\n"
    "}\n"
    "function grade(box, blank) {\n"
    "  const text = box.value.trim();\n"
    "  if (text === '') return 'not answered';\n"
    "  const a = read(text), k = read(JSON.stringify(blank.value));\n"
    "  if (!a) return 'not a number or [..] array';\n"
    "  if (a.shape.join('x') !== k.shape.join('x')) return 'wrong shape';\n"
    "  const off = a.values.some((x, i) =>\n"
    "    !(Math.abs(x - k.values[i]) <= 1e-3 * Math.abs(k.values[i]) + 1e-9));\n"
    "  return off ? 'wrong' : 'ok';\n"
    "}\n"
    "document.getElementById('check').addEventListener('click', () => {\n"
    "  let right = 0, first = -1;\n"
    "  boxes.forEach((box, i) => {\n"
    "    const verdict = grade(box, key[i]);\n"
    "    box.className = 'blank ' + (verdict === 'ok' ? 'ok' : 'wrong');\n"
    "    box.title = verdict;\n"
    "    if (verdict === 'ok') right++; else if (first < 0) first = i;\n"
    "  });\n"
    "  const b = key[first];\n"
    "  document.getElementById('score').textContent = 'Score ' + right + '/' + boxes.length +\n"
    "    (first < 0 ? ': every blank is right.' : '. First wrong node: ' + b.node + ': its ' +\n"
    "     (b.kind === 'local' ? 'local derivative'\n"
    "      : b.kind === 'upstream' ? 'upstream gradient' : 'gradient') +\n"
    "     ' (' + b.key + ') is ' + grade(boxes[first], b) + '.');\n"
    "  document.getElementById('lines').value =\n"
    "    boxes.map((box, i) => key[i].key + ' = ' + box.value.trim()).join('\\n') + '\\n';\n"
    "});\n";

static const char quiz_page_css[] =
    "body { font-family: sans-serif; margin: 2em; }\n"
    "pre { font-size: 14px; line-height: 1.7; }\n"
    "input.blank { font: inherit; width: 12em; }\n"
    "input.ok { background: #d8f5d8; } input.wrong { background: #f8d8d8; }\n"
    "#score { font-weight: bold; } textarea { width: 100%; height: 12em; }\n";

/* The text sheet's body, its blanks made boxes, the nth for the nth blank. */
static void html_body(sheet *sh)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    sheet body = *sh;
    body.out = mem;
    body.mark = HTML_MARK;
    text_body(&body);
    fclose(mem);
    int n = 0;
    for (char *part = text, *mark; part; part = mark ? mark + 1 : NULL) {
        mark = strchr(part, HTML_MARK[0]);
        if (mark)
            *mark = '\0';
        html_text(sh->out, part);
        if (mark)
            fprintf(sh->out, "<input class=\"blank\" id=\"blank%d\" autocomplete=\"off\">", n++);
    }
    free(text);
}

/* Every blank's key, node and value, in the order of the boxes. */
static void html_key(const sheet *sh)
{
    const quiz_sweep *q = sh->q;
    char node[TEXT], formula[TEXT];
    const char *now = "";
    fputs("<script type=\"application/json\" id=\"key\">[", sh->out);
    int n = 0;
    for (int i = 0; i < q->n; i++) {
        const quiz_entry *e = &q->entries[i];
        const char *label = label_of(q->names, e->node);
        if (e->kind == ENTRY_NODE) {
            snprintf(node, sizeof node, "%s = %s", label,
                     quiz_formula(q, e->node, NOTATION_TEXT, formula, TEXT));
            now = node;
        } else if (e->kind == ENTRY_GRADIENT) {
            snprintf(node, sizeof node, "the variable %s", label);
            now = node;
        }
        if (!quiz_is_blank(e, sh->set))
            continue;
        fputs(n++ ? ",\n{\"key\": " : "\n{\"key\": ", sh->out);
        json_string(sh->out, e->key);
        fputs(", \"node\": ", sh->out);
        json_string(sh->out, now);
        fprintf(sh->out, ", \"kind\": \"%s\", \"value\": ", e->kind == ENTRY_STEP ? "local"
                                                           : e->kind == ENTRY_NODE ? "upstream"
                                                                                   : "gradient");
        json_tensor(sh->out, e->value);
        fputc('}', sh->out);
    }
    fputs("]</script>\n", sh->out);
}

static void html_sheet(sheet *sh)
{
    FILE *f = sh->out;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tg quiz ",
          f);
    html_text(f, sh->a->expr);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>Worksheet <code>",
            quiz_page_css);
    html_text(f, sh->a->expr);
    fprintf(f, "</code></h1>\n<p>Fill in each box: %s, node by node (a tensor as [1, 2] or "
               "[[1, 2], [3, 4]]), then press Check.</p>\n<pre>", blank_words(sh->set));
    html_body(sh);
    fputs("</pre>\n<p><button id=\"check\">Check</button> <span id=\"score\"></span></p>\n"
          "<p>Your answers as <code>tg check ", f);
    char *command = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&command, &len);
    if (mem) {
        quiz_print_command(mem, sh->a);
        fclose(mem);
        html_text(f, command);
    }
    free(command);
    fprintf(f, " FILE%s</code> reads them (it also says which wrong answers follow from an "
               "earlier one):</p>\n<textarea id=\"lines\" readonly></textarea>\n",
            quiz_blank_option(sh->set));
    html_key(sh);
    fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n", quiz_page_js);
}

/* ---- the command ---------------------------------------------------------- */

static bool write_key_file(const quiz_sweep *q, const cli_args *a, blank_set set, diag *d)
{
    FILE *f = fopen(a->answers, "w");
    if (!f) {
        diag_plain(d, "--answers: cannot write '%s': %s", a->answers, strerror(errno));
        return false;
    }
    quiz_write_key(f, q, a, set, true);
    if (fclose(f) != 0) {
        diag_plain(d, "--answers: cannot write '%s': %s", a->answers, strerror(errno));
        return false;
    }
    return true;
}

typedef enum { FORMAT_TEXT = 1, FORMAT_LATEX, FORMAT_HTML } sheet_format;

static sheet_format pick_format(const char *format, diag *d)
{
    if (!format || strcmp(format, "text") == 0)
        return FORMAT_TEXT;
    if (strcmp(format, "latex") == 0)
        return FORMAT_LATEX;
    if (strcmp(format, "html") == 0)
        return FORMAT_HTML;
    diag_plain(d, "--format must be text, latex or html, not '%s'", format);
    return 0;
}

int cmd_quiz(int argc, char **argv)
{
    static const char *const options[] = {"--format", "--blank", "--answers", "--wrt", NULL};
    cli_args a;
    session s = {0};
    quiz_sweep q = {0};
    diag d = {0};
    sheet_format format = 0;
    blank_set set = 0;
    bool ok = parse_cli_args(argc, argv, "quiz", options, &a, &d) &&
              (format = pick_format(a.format, &d)) && (set = quiz_blank_set(a.blank, &d)) &&
              session_open(&s, &a, &d) && quiz_sweep_build(&q, &s, &d) &&
              (!a.answers || write_key_file(&q, &a, set, &d));
    if (ok) {
        sheet sh = {&q, &a, set, stdout, "____"};
        brief_settings(QUIZ_DIGITS, QUIZ_WHOLE);
        if (format == FORMAT_LATEX) {
            tex_sheet(&sh, !a.answers);
        } else if (format == FORMAT_HTML) {
            html_sheet(&sh); /* the key is in the page; --answers writes it for tg check */
        } else {
            text_sheet(&sh);
            if (!a.answers) {
                printf("\nAnswer key\n\n");
                quiz_write_key(stdout, &q, &a, set, true);
            }
        }
    } else {
        diag_print(&d);
    }
    quiz_sweep_close(&q);
    session_close(&s);
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
