/* main.c -- `tg`, git-style: tg COMMAND [ARGS...]. Each command is one row
 * of the table below; a new command is a function and a row. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg.h"

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    const char *usage; /* the synopsis and options, printed by tg help NAME */
} command;

static const command commands[] = {
    {"grad", "the value and the gradients of an expression", cmd_grad,
     "usage: tg grad EXPR NAME=VALUE... [--json] [--wrt NAME,...] [--hessian]\n"
     "               [--repeat N]\n"
     "\n"
     "Evaluates EXPR in float64 with the variables given and prints its value and its\n"
     "gradient with respect to every variable.\n"
     "\n"
     "  --hessian       also the second derivatives d2y/da db for every pair of\n"
     "                  variables (forward-over-reverse: one tangent sweep through the\n"
     "                  recorded gradient per input element); in --json as\n"
     "                  \"hessian\": {\"a\": {\"b\": H, ...}, ...}\n"
     "  --json          print {\"value\": V, \"grad\": {\"NAME\": G, ...}}, numbers with 17\n"
     "                  significant digits, arrays shaped like the variables; NaN and\n"
     "                  infinities are written as null\n"
     "  --repeat N      capture the graph once (tg_capture) and replay it N times\n"
     "                  (tg_program_run); prints the last replay's value and gradients\n"
     "                  and, on stderr, the time per replay\n"
     "  --wrt a,b       gradients with respect to these variables only; the others are\n"
     "                  constants\n"
     "\n"
     "example: tg grad 'sigmoid(w*x + b)' w=0.5 x=2 b=0.1 --wrt w,b\n"},
    {"jacobian", "the Jacobian of an expression of any shape, by forward or reverse mode",
     cmd_jacobian,
     "usage: tg jacobian EXPR NAME=VALUE... [--mode auto|forward|reverse] [--json]\n"
     "                   [--wrt NAME,...]\n"
     "\n"
     "Evaluates EXPR in float64 and prints its value and its Jacobian with respect to\n"
     "every variable, of shape (the result's axes, then the variable's), as\n"
     "torch.autograd.functional.jacobian does, and how many sweeps it took.\n"
     "\n"
     "  --mode M        forward: one tangent sweep per input element; reverse: one\n"
     "                  sweep per output element; auto (default): the fewer\n"
     "  --json          print {\"value\": V, \"jacobian\": {\"NAME\": J, ...}, \"mode\": M,\n"
     "                  \"sweeps\": N}\n"
     "  --wrt a,b       Jacobians with respect to these variables only\n"
     "\n"
     "example: tg jacobian 'softmax(x)' x=[1,2,3]\n"},
    {"explain", "the chain rule step by step: the forward tape and the reverse sweep",
     cmd_explain,
     "usage: tg explain EXPR NAME=VALUE... [--format text|markdown|latex|beamer|html]\n"
     "                  [--standalone] [--wrt NAME,...] [--mode reverse|forward] [--order 1|2]\n"
     "                  [--digits N] [--elide N]\n"
     "                  [--expand NAME|'NAME[i,j]']\n"
     "\n"
     "Prints the forward tape (each node: its op, inputs and value), then the reverse\n"
     "sweep node by node -- upstream gradient x local derivative = contribution, with the\n"
     "local derivative written out -- and the final gradients.\n"
     "\n"
     "  --format F      text (default, fits 100 columns), markdown, latex (matrices,\n"
     "                  a fragment for amsmath), beamer (a deck: a frame per node and\n"
     "                  input, overlays revealing upstream, local derivative, product),\n"
     "                  or html: one self-contained page with the tape, the graph and the\n"
     "                  equations, a cursor stepping through the sweep (arrow keys)\n"
     "  --standalone    with --format latex: a whole document for pdflatex\n"
     "  --wrt a,b       follow the gradients of these variables only\n"
     "  --mode forward  the forward sweep instead: one per variable, each node's value and\n"
     "                  tangent (dual numbers) with its tangent rule (text only)\n"
     "  --order 2       then the sweep recorded (create_graph) and swept back from\n"
     "                  g = dy/dx, for d2y/dx2 (one scalar variable; text only)\n"
     "  --digits N      significant digits of every number (default 6, 4 in tensors)\n"
     "  --elide N       show tensors of at most N elements whole (default: axes longer\n"
     "                  than 4 show their first two and last entries)\n"
     "  --expand W      each entry of the gradient W receives as the sum that makes it,\n"
     "                  with the numbers; 'W[i,j]' for one entry (every format)\n"
     "\n"
     "example: tg explain 'x^2 - 10' x=0\n"},
    {"dot", "the computation graph in Graphviz DOT, with values and gradients", cmd_dot,
     "usage: tg dot EXPR NAME=VALUE... [--png FILE] [--wrt NAME,...] [--edges derivative]\n"
     "\n"
     "Prints the graph of EXPR in Graphviz's DOT language, ranked top to bottom: one\n"
     "box per variable, constant and op, labelled with what the op computes\n"
     "(v3 = 0.5 * v2), the shape, the value and the gradient.\n"
     "\n"
     "  --png FILE      render the graph to FILE with Graphviz's dot program instead\n"
     "  --wrt a,b       gradients with respect to these variables only\n"
     "  --edges derivative\n"
     "                  label each edge with the local derivative of the op's result\n"
     "                  with respect to that input: a number between one-element\n"
     "                  tensors, the formula otherwise\n"
     "\n"
     "example: tg dot 'tanh(w*x + b)' w=0.5 x=2 b=0.1 | dot -Tsvg > graph.svg\n"},
    {"lint", "gradient hazards on the tape: patterns whose gradients turn inf or NaN",
     cmd_lint,
     "usage: tg lint EXPR NAME=VALUE... [--wrt NAME,...]\n"
     "\n"
     "Evaluates EXPR like tg grad and reads its tape with tg_tape_lint: each pattern that\n"
     "gives inf or NaN values or gradients where the math is finite is printed with its\n"
     "node, the values the rule looked at and the replacement:\n"
     "  log(1 + exp(x)) -> softplus(x)     log(sum(exp(x))) -> logsumexp(x)\n"
     "  sqrt(sum(x^2)) -> norm(x)           sqrt or x^p (0 < p < 1) at 0\n"
     "  where(c, a, b) whose unchosen side is inf or NaN (see docs/ops.md)\n"
     "  log(sigmoid(x)) -> log_sigmoid(x)  exp(x) above 709.78 (88.72 in float32)\n"
     "  1 - exp(x) or exp(x) - 1 near 0 -> expm1(x)\n"
     "Exits with 1 when it finds a hazard, 0 when it finds none.\n"
     "\n"
     "  --wrt a,b       only these variables want gradients\n"
     "\n"
     "example: tg lint 'log(1 + exp(x))' x=1000\n"},
    {"descend", "gradient descent on an expression, each update with its numbers", cmd_descend,
     "usage: tg descend EXPR NAME=VALUE... --lr X [--steps N] [--wrt a,b] [--plot FILE]\n"
     "                  [--batch B] [--data FILE.csv]\n"
     "\n"
     "Gradient descent as the lecture notes write it: at each step the value of\n"
     "EXPR, and for every variable that learns its value, its gradient and the\n"
     "update  w <- w - lr * dL/dw  with the numbers, then the next step from the new\n"
     "values. EXPR must be one number (a loss); tensors update elementwise.\n"
     "\n"
     "  --lr X          the learning rate (required)\n"
     "  --steps N       updates to make (default 10); the value after the last is\n"
     "                  printed too\n"
     "  --wrt a,b       only these variables learn; the others stay as given\n"
     "  --plot FILE     write the loss and the learning variables' values per step to\n"
     "                  FILE as SVG\n"
     "  --batch B       EXPR is one sample's loss l_i; each step takes the next B\n"
     "                  samples, prints each one's gradient, and updates with their\n"
     "                  average: w <- w - lr * 1/B sum_i dl_i/dw (B = 1: SGD; B = all:\n"
     "                  full-batch descent). The samples are the rows of the --data\n"
     "                  columns, or of the variables --wrt leaves out\n"
     "  --data FILE.csv columns named by the file's first line, as variables of EXPR:\n"
     "                  whole vectors, or one row per sample with --batch; without\n"
     "                  --wrt the NAME=VALUE variables learn\n"
     "\n"
     "example: tg descend 'x^2 - 10' x=3 --lr 0.25 --steps 4\n"},
    {"fit", "fits the named parameters of an expression to data with an optimizer", cmd_fit,
     "usage: tg fit EXPR [NAME=VALUE...] --params NAME=VALUE,... [--data FILE.csv]\n"
     "              [--target NAME [--loss NAME]] [--opt sgd|momentum|adam] [--lr X]\n"
     "              [--steps N] [--plot FILE]\n"
     "\n"
     "Fits the parameters by full-batch steps of an optimizer: EXPR is evaluated on\n"
     "every row of the data at once (the columns are vectors), compared with the\n"
     "target by the loss, swept back, and the optimizer updates the parameters.\n"
     "Prints the loss along the way, the final loss and the fitted parameters.\n"
     "\n"
     "  --params LIST   the parameters and their initial values, e.g. a=1,b=0.1 or\n"
     "                  'W=[[1,2],[3,4]],b=0' (required)\n"
     "  --data FILE.csv columns named by the file's first line, as variables of EXPR\n"
     "  --target NAME   the column (or NAME=VALUE variable) EXPR should match; without\n"
     "                  it EXPR is the loss itself and must be one number\n"
     "  --loss NAME     mse (default), sse, l2 (SSE/2), bce, bce_logits or ce: the\n"
     "                  language's loss(EXPR, target)\n"
     "  --opt NAME      adam (default, lr 0.001), sgd (lr 0.1), momentum (SGD with\n"
     "                  momentum 0.9, lr 0.01): nn's optimizers, PyTorch's formulas\n"
     "  --lr X          the learning rate\n"
     "  --steps N       updates to make (default 1000)\n"
     "  --plot FILE     write the loss and the parameters' values per step as SVG\n"
     "  NAME=VALUE      constants of EXPR\n"
     "\n"
     "example: tg fit 'a*x + b' 'x=[0,1,2]' 'y=[1,3,5]' --params a=0,b=0 --target y \\\n"
     "             --opt sgd --steps 500\n"},
    {"gradcheck", "gradients against central differences: an expression's, or every op's",
     cmd_gradcheck,
     "usage: tg gradcheck EXPR NAME=VALUE... [--wrt NAME,...]\n"
     "       tg gradcheck [--seed N]\n"
     "\n"
     "With EXPR (one number), checks its gradient with respect to each element of\n"
     "every variable against central differences, by tg_gradcheck on that element,\n"
     "and prints variable, element, analytic, numeric, absolute and relative error\n"
     "and ok or FAIL (|analytic - numeric| <= 1e-5 + 1e-3 |numeric|, eps 1e-6).\n"
     "\n"
     "Without EXPR, runs tg_gradcheck on every op in float32 and float64 on shapes\n"
     "drawn at random (from the seed, 1 unless given) and prints op, dtype, shape, the\n"
     "largest difference between the analytic and the numeric gradient, and whether\n"
     "it passed. Exits with 1 when any check fails.\n"
     "\n"
     "  --wrt a,b       check these variables only\n"
     "  --seed N        the seed of the op checks' inputs\n"
     "\n"
     "example: tg gradcheck 'sum(x^2 * w)' 'x=[1,2]' 'w=[3,4]'\n"},
    {"quiz", "a worksheet of the reverse sweep, its blanks from the real tape, and its key",
     cmd_quiz,
     "usage: tg quiz EXPR NAME=VALUE... [--blank local|upstream|all]\n"
     "               [--format text|latex|html] [--answers FILE] [--wrt NAME,...]\n"
     "\n"
     "Writes a worksheet of the reverse sweep tg explain prints for EXPR: the inputs and\n"
     "the forward pass with their values, then the sweep node by node with blanks (____)\n"
     "for the student to fill in, and the answer key: one line per blank, KEY = VALUE,\n"
     "the format tg check reads. A blank of a tensor is the whole tensor.\n"
     "\n"
     "  --blank B       local: the local derivatives d node/d input (the upstream\n"
     "                  gradients given); upstream: the upstream gradient of every\n"
     "                  node and every variable's gradient (the local derivatives\n"
     "                  given); all (default): both\n"
     "  --format F      text (default); latex: a document of its own (amsmath), the\n"
     "                  blanks as boxes, for pdflatex; html: one self-contained page, a\n"
     "                  box to type in per blank and a Check button that grades them\n"
     "                  against the key in the page\n"
     "  --answers FILE  write the answer key to FILE; without it the key follows the\n"
     "                  sheet on standard output (latex: on a page of its own; html:\n"
     "                  only in the page, for its Check button)\n"
     "  --wrt a,b       only these variables want gradients\n"
     "\n"
     "example: tg quiz '(x+y)*z' x=-2 y=5 z=-4 --answers key.txt\n"},
    {"check", "grades a student's answers to a tg quiz worksheet, node by node", cmd_check,
     "usage: tg check EXPR NAME=VALUE... ANSWERS [--blank local|upstream|all] [--tol X]\n"
     "                [--wrt NAME,...]\n"
     "\n"
     "Reads ANSWERS, lines KEY = VALUE as tg quiz's answer key writes them (spaces\n"
     "anywhere; # starts a comment; an empty value or ____ is not answered), and grades\n"
     "each blank in sweep order: ok, or wrong with the key's value. Prints the score\n"
     "and the first wrong node, saying whether its upstream gradient or its local\n"
     "derivative was wrong, and which later wrong blanks follow from that error (the\n"
     "student's own numbers multiply out to them). Exits with 0 when every blank is\n"
     "right, 1 when some are wrong, 2 on bad input.\n"
     "\n"
     "  --blank B       the blanks of the worksheet: local, upstream or all (default)\n"
     "  --tol X         ok when |answer - key| <= X |key| + 1e-9 for every element\n"
     "                  (default 1e-3: four significant digits pass)\n"
     "  --wrt a,b       as the worksheet was made\n"
     "\n"
     "example: tg check '(x+y)*z' x=-2 y=5 z=-4 answers.txt\n"},
    {"train", "train a model (an MLP, a CNN, ...) on Fashion-MNIST or a CSV file", cmd_train,
     "usage: tg train --data SOURCE (--layers N,N,... | --model DESCRIPTION) [OPTIONS]\n"
     "       tg train --resume FILE [--save FILE] [--plot FILE] [--state FILE]\n"
     "\n"
     "Trains a model on mini-batches, a classifier (accuracy) or, on CSV targets, a\n"
     "regressor with a linear output (MSE and R2), the learning rate\n"
     "following a cosine from --lr to 0, and evaluates the test set every epoch.\n"
     "Ctrl-C stops after the current batch; the model is still evaluated, saved and\n"
     "plotted, and tg exits with 130.\n"
     "\n"
     "  --data SOURCE   fashion-mnist, or csv:PATH[:label=COL][:header] (COL a column\n"
     "                  index from 0, default 0, or a header name), or for a regression\n"
     "                  csv:PATH:target=COL[,COL...][:header] (the other columns are\n"
     "                  the features)\n"
     "  --layers N,...  sizes from the input to the output, e.g. 784,128,10: the first\n"
     "                  must be the data's features, the last its classes (1 for bce\n"
     "                  and bce_logits, the targets for a regression): an MLP\n"
     "  --model TEXT    any sequential model instead, its layers separated by spaces,\n"
     "                  or @FILE to read them from FILE (# starts a comment):\n"
     "                    dense(N[,bias=0])  conv2d(C,K[,K2][,stride=S,pad=P|same,\n"
     "                    dilation=D,groups=G,bias=0])  conv1d(C,K[,...])\n"
     "                    maxpool(K[,K2][,stride=S,pad=P])  avgpool(...)  (1d/2d\n"
     "                    forms: maxpool1d, maxpool2d, avgpool1d, avgpool2d)\n"
     "                    flatten  dropout([P=0.5])  input(C,H,W) (first, optional)\n"
     "                    batchnorm (1d/2d by the shape)  layernorm([N last axes])\n"
     "                    activations: relu leaky_relu([SLOPE]) sigmoid tanh gelu silu\n"
     "                  e.g. 'conv2d(32,3,pad=1) relu maxpool(2) flatten dense(10)';\n"
     "                  samples reach the model as 1x28x28 images (Fashion-MNIST) or\n"
     "                  as vectors (CSV), unless input(...) gives their shape; a layer\n"
     "                  that does not fit is named before training\n"
     "  --act NAME      --layers' hidden activation: relu (default), leaky_relu,\n"
     "                  sigmoid, tanh, gelu, silu, linear\n"
     "  --task T        classification or regression (default: regression when\n"
     "                  --data names targets)\n"
     "  --loss NAME     a classifier's: ce (default: softmax cross-entropy), bce\n"
     "                  (sigmoid, then binary cross-entropy), bce_logits (the same,\n"
     "                  fused and stable); a regression's: mse (default), sse, l2\n"
     "                  (SSE/2), huber (delta 1)\n"
     "  --opt NAME      adam (default, lr 0.001), sgd (lr 0.1), momentum (SGD with\n"
     "                  momentum 0.9, lr 0.01)\n"
     "  --lr X          the initial learning rate\n"
     "  --batch N       samples per step (default 64)\n"
     "  --epochs N      passes over the training set (default 10)\n"
     "  --seed N        initial weights, shuffling and the CSV split (default 1)\n"
     "  --val F         fraction of a CSV file held out as its test set (default 0.2)\n"
     "  --limit N       use only the first N samples of each file, for quick runs\n"
     "  --dtype T       f32 (default) or f64 parameters\n"
     "  --save FILE     write the model to FILE (safetensors, with what tg eval needs)\n"
     "  --plot FILE     write loss and accuracy (R2) per epoch to FILE as SVG\n"
     "  --state FILE    after every epoch (and on Ctrl-C) write FILE, a checkpoint\n"
     "                  that also holds the optimizer's state, the batches' place and\n"
     "                  the generators, from which --resume continues\n"
     "  --resume FILE   continue the run FILE was written by, to the same weights, bit\n"
     "                  for bit, as if it had never stopped; its options come from\n"
     "                  FILE (with it, only --save, --plot, --state, --stop-after)\n"
     "  --stop-after N  end after epoch N of --epochs (the learning rate follows\n"
     "                  the whole run's schedule), to --resume later\n"
     "\n"
     "example: tg train --data fashion-mnist --layers 784,128,10 --epochs 5 \\\n"
     "             --save m.safetensors --plot m.svg\n"},
    {"eval", "a trained model's accuracy and confusion matrix, or MSE and R2", cmd_eval,
     "usage: tg eval --model FILE --data SOURCE [--val F --seed N] [--limit N]\n"
     "\n"
     "Rebuilds the model saved by tg train --save, normalizes the data as its training\n"
     "set was, and prints the accuracy, the mean loss and the confusion matrix, or for\n"
     "a regression the mean squared error, R2 and the mean loss.\n"
     "\n"
     "  --model FILE    a checkpoint written by tg train\n"
     "  --data SOURCE   fashion-mnist (its test set) or csv:PATH[:label=COL][:header]\n"
     "                  or csv:PATH:target=COL[,COL...][:header] (the whole file)\n"
     "  --val F         only the part of the CSV file that tg train --val F --seed N\n"
     "                  held out as its test set\n"
     "  --seed N        the seed of that split (default 1)\n"
     "  --limit N       use only the first N samples of the file\n"
     "\n"
     "example: tg eval --model m.safetensors --data fashion-mnist\n"},
};

#define N_COMMANDS (sizeof commands / sizeof *commands)

/* The language; its functions are listed from the function table. */
static void print_expressions_help(FILE *f)
{
    fputs("Expressions\n"
          "  numbers 2, -1.5, 1e-3; the constants pi and e; names; array literals [1, -1],\n"
          "  [[1,2],[3,4]]; + - * / ^ (power, right-associative) @ (matmul); unary minus;\n"
          "  comparisons < <= > >= == != (0/1 masks, looser than + -; a < b < c is refused);\n"
          "  parentheses; precedence as in Python (-x^2 is -(x^2)).\n"
          "  subscripts on any operand: x[i], x[i, j], x[a:b], x[a:b:s] (s > 0), x[:, j], x[-1],\n"
          "  x[idx] with an index array, (W @ v)[0]; a number removes its axis.\n",
          f);
    print_functions(f);
    fputs("  statements: 'h = sigmoid(W1 @ x + b1); y = sigmoid(W2 @ h + b2)' or with 'let';\n"
          "    the last one is the result\n"
          "  several results (split, chunk, unbind): bind them, 'a, b = chunk(x, 2); sum(a * b)'\n"
          "    (destructuring), pick one, chunk(x, 2)[1], or pass them to concat or stack\n"
          "  functions of your own: 'def sq(a) = a * a; sum(sq(x - t))'; explain names the\n"
          "    nodes a call makes sq.v1, sq.v2, ...\n"
          "  variables: NAME=VALUE, VALUE a number or a nested array such as W=[[1,2],[3,4]];\n"
          "    a variable named pi or e shadows the constant (with a warning)\n",
          f);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static bool has_help(const char *cmd) { return find_command(cmd) || strcmp(cmd, "expressions") == 0; }

/* The command list, or one command's usage (also for tg CMD --help). */
static void print_help(FILE *f, const char *cmd)
{
    const command *c = cmd ? find_command(cmd) : NULL;
    if (c) {
        fputs(c->usage, f);
        return;
    }
    if (cmd && strcmp(cmd, "expressions") == 0) {
        print_expressions_help(f);
        return;
    }
    fputs("usage: tg COMMAND [ARGS...]\n\n"
          "Differentiates expressions with tapegrad (reverse-mode automatic differentiation)\n"
          "and trains small networks from the shell.\n\n"
          "Commands\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-11s%s\n", commands[i].name, commands[i].summary);
    fputs("  help       this text; tg help COMMAND for one command\n\n"
          "Options before the command\n"
          "  --max-memory SIZE  the most tensor data one expression or training step may\n"
          "                     hold, e.g. 512M, 8G, or 0 for no limit (default 2G)\n"
          "  --version          the version\n\n", f);
    print_expressions_help(f);
    fputs("\nExit status: 0 success, 1 failure (a failing check, Graphviz missing),\n"
          "2 bad input or usage, 130 tg train interrupted by Ctrl-C.\n", f);
}

static int help(int argc, char **argv)
{
    if (argc > 1 || (argc == 1 && !has_help(argv[0]))) {
        fprintf(stderr, "tg: error: no help for '%s'; try tg help\n", argv[argc > 1]);
        return TG_EXIT_USAGE;
    }
    print_help(stdout, argc ? argv[0] : NULL);
    return 0;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* The default budget: what a laptop can give one expression without
 * swapping; --max-memory changes it. */
#define DEFAULT_MAX_MEMORY ((size_t)2 << 30)

/* SIZE as bytes: a whole number with an optional K, M, G or T (powers of
 * 1024, as free -h and ls -h print them). */
static bool parse_size(const char *text, size_t *bytes)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int shift = 0;
    if (*end) {
        const char *units = "KMGT", *u = strchr(units, *end);
        if (!u || end[1] || end == text)
            return false;
        shift = 10 * (int)(u - units + 1);
    }
    if (end == text || *text == '-' || errno || v > (SIZE_MAX >> shift))
        return false;
    *bytes = (size_t)v << shift;
    return true;
}

/* Consumes the options before the command (--max-memory SIZE, or =SIZE);
 * returns how many arguments they took, or -1 after a usage error. */
static int global_options(int argc, char **argv, size_t *max_memory)
{
    int used = 0;
    while (used + 1 < argc && strncmp(argv[used + 1], "--max-memory", 12) == 0) {
        const char *arg = argv[used + 1], *value = arg[12] == '=' ? arg + 13 : NULL;
        if (arg[12] != '=' && arg[12] != '\0')
            break;
        if (!value && used + 2 < argc)
            value = argv[used + 2];
        if (!value || !parse_size(value, max_memory)) {
            fprintf(stderr, "tg: error: --max-memory wants a size such as 512M, 8G or 0 (no "
                            "limit), not '%s'\n", value ? value : "");
            return -1;
        }
        used += arg[12] == '=' ? 1 : 2;
    }
    return used;
}

static int run_command(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr, NULL);
        return TG_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0) {
        printf("tg (tapegrad) %s\n", TAPEGRAD_VERSION);
        return 0;
    }
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help(argc - 2, argv + 2);
    const command *c = find_command(name);
    if (!c) {
        fprintf(stderr, "tg: error: unknown command '%s'; the commands are listed by tg help\n",
                name);
        return TG_EXIT_USAGE;
    }
    if (wants_help(argc - 2, argv + 2)) {
        print_help(stdout, name);
        return 0;
    }
    return c->run(argc - 2, argv + 2);
}

static int dispatch(int argc, char **argv)
{
    size_t max_memory = DEFAULT_MAX_MEMORY;
    int used = global_options(argc, argv, &max_memory);
    if (used < 0)
        return TG_EXIT_USAGE;
    argv[used] = argv[0];
    tg_set_memory_limit(max_memory); /* diag_print names it when an op is refused */
    return run_command(argc - used, argv + used);
}

int main(int argc, char **argv)
{
    int status = dispatch(argc, argv);
    tg_tape_destroy(); /* so that leak checkers see a clean exit */
    return status;
}
