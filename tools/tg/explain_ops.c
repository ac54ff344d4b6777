/*
 * explain_ops.c -- each op's formula and local derivative as templates, in
 * text and LaTeX. In a template $0 and $1 stand for the inputs, $y for the
 * result, $g for the gradient arriving at it, $c for the op's constant and
 * $d for its second (tg_op_constants), $m for the positions a map op read
 * and $r for the part of concat's result an input filled.
 */
#include <ctype.h>
#include <string.h>

#include <tapegrad/inspect.h>

#include "explain.h"

/* A formula written by code instead of a template (an op whose text depends
 * on its constant): the formula, or the derivative for input k when
 * derivative is set. */
typedef char *(*formula_writer)(const formula_names *n, bool derivative, notation how,
                                char *buf, size_t size);

typedef struct {
    const char *formula[2];       /* [notation] */
    const char *derivative[3][2]; /* [input][notation]; NULL: the input gets none */
    formula_writer writer;        /* instead of the templates */
    bool map;                     /* copies through a saved map, its last input */
    bool scatters;                /* input 0's gradient goes back to the elements read */
} op_rule;

static char *power_formula(const formula_names *n, bool derivative, notation how, char *buf,
                           size_t size);
static char *add_scalar_formula(const formula_names *n, bool derivative, notation how,
                                char *buf, size_t size);
static char *user_formula(const formula_names *n, bool derivative, notation how, char *buf,
                          size_t size);
static char *gelu_formula(const formula_names *n, bool derivative, notation how, char *buf,
                          size_t size);
static char *concat_formula(const formula_names *n, bool derivative, notation how, char *buf,
                            size_t size);

/* One row per op kind; explain_has_rule lets a test find a missing one.
 * $a is the axis of an op that works along one. */
static const op_rule rules[TG_OP_COUNT] = {
    [TG_OP_ADD] = {{"$0 + $1", "$0 + $1"}, {{"1", "1"}, {"1", "1"}}},
    [TG_OP_SUB] = {{"$0 - $1", "$0 - $1"}, {{"1", "1"}, {"-1", "-1"}}},
    [TG_OP_MUL] = {{"$0 * $1", "$0 \\cdot $1"}, {{"$1", "$1"}, {"$0", "$0"}}},
    [TG_OP_DIV] = {{"$0 / $1", "\\frac{$0}{$1}"},
                   {{"1/$1", "\\frac{1}{$1}"}, {"-$0/$1^2", "-\\frac{$0}{$1^{2}}"}}},
    [TG_OP_POW] = {{"$0^$1", "$0^{$1}"},
                   {{"$1 $0^($1 - 1)", "$1\\,$0^{$1 - 1}"}, {"$0^$1 ln $0", "$0^{$1} \\ln $0"}}},
    [TG_OP_MAXIMUM] = {{"max($0, $1)", "\\max($0, $1)"},
                       {{"[$0 > $1] (1/2 at a tie)", "[$0 > $1]"},
                        {"[$1 > $0] (1/2 at a tie)", "[$1 > $0]"}}},
    [TG_OP_MINIMUM] = {{"min($0, $1)", "\\min($0, $1)"},
                       {{"[$0 < $1] (1/2 at a tie)", "[$0 < $1]"},
                        {"[$1 < $0] (1/2 at a tie)", "[$1 < $0]"}}},
    [TG_OP_WHERE] = {{"where($0, $1, $2)", "\\operatorname{where}($0, $1, $2)"},
                     {{NULL, NULL}, {"[$0 != 0]", "[$0 \\ne 0]"}, {"[$0 == 0]", "[$0 = 0]"}}},
    /* comparisons and logical ops: piecewise constant, no gradient */
    [TG_OP_GT] = {{"[$0 > $1]", "[$0 > $1]"}, {{"0", "0"}, {"0", "0"}}},
    [TG_OP_GE] = {{"[$0 >= $1]", "[$0 \\ge $1]"}, {{"0", "0"}, {"0", "0"}}},
    [TG_OP_LT] = {{"[$0 < $1]", "[$0 < $1]"}, {{"0", "0"}, {"0", "0"}}},
    [TG_OP_LE] = {{"[$0 <= $1]", "[$0 \\le $1]"}, {{"0", "0"}, {"0", "0"}}},
    [TG_OP_EQ] = {{"[$0 == $1]", "[$0 = $1]"}, {{"0", "0"}, {"0", "0"}}},
    [TG_OP_NE] = {{"[$0 != $1]", "[$0 \\ne $1]"}, {{"0", "0"}, {"0", "0"}}},
    [TG_OP_LOGICAL_AND] = {{"[$0 != 0 and $1 != 0]", "[$0 \\ne 0 \\land $1 \\ne 0]"},
                           {{"0", "0"}, {"0", "0"}}},
    [TG_OP_LOGICAL_OR] = {{"[$0 != 0 or $1 != 0]", "[$0 \\ne 0 \\lor $1 \\ne 0]"},
                          {{"0", "0"}, {"0", "0"}}},
    [TG_OP_LOGICAL_NOT] = {{"[$0 == 0]", "[$0 = 0]"}, {{"0", "0"}}},
    [TG_OP_MASKED_FILL] = {{"masked_fill($0, $1, $c)",
                            "\\operatorname{masked\\_fill}($0, $1, $c)"},
                           {{"[$1 == 0]", "[$1 = 0]"}, {NULL, NULL}}},
    [TG_OP_ADD_SCALAR] = {.writer = add_scalar_formula},
    [TG_OP_MUL_SCALAR] = {{"$c * $0", "$c \\cdot $0"}, {{"$c", "$c"}}},
    [TG_OP_POW_SCALAR] = {.writer = power_formula},
    [TG_OP_NEG] = {{"-$0", "-$0"}, {{"-1", "-1"}}},
    [TG_OP_EXP] = {{"exp($0)", "e^{$0}"}, {{"exp($0)", "e^{$0}"}}},
    [TG_OP_LOG] = {{"log($0)", "\\ln $0"}, {{"1/$0", "\\frac{1}{$0}"}}},
    [TG_OP_SQRT] = {{"sqrt($0)", "\\sqrt{$0}"}, {{"1/(2 sqrt($0))", "\\frac{1}{2\\sqrt{$0}}"}}},
    [TG_OP_ABS] = {{"abs($0)", "|$0|"}, {{"sign($0)", "\\operatorname{sign}($0)"}}},
    [TG_OP_SIGMOID] = {{"sigmoid($0)", "\\sigma($0)"},
                       {{"sigmoid($0)(1 - sigmoid($0))", "\\sigma($0)\\,(1 - \\sigma($0))"}}},
    [TG_OP_TANH] = {{"tanh($0)", "\\tanh $0"}, {{"1 - tanh($0)^2", "1 - \\tanh^{2} $0"}}},
    [TG_OP_SIN] = {{"sin($0)", "\\sin $0"}, {{"cos($0)", "\\cos $0"}}},
    [TG_OP_COS] = {{"cos($0)", "\\cos $0"}, {{"-sin($0)", "-\\sin $0"}}},
    [TG_OP_TAN] = {{"tan($0)", "\\tan $0"}, {{"1 + tan($0)^2", "1 + \\tan^{2} $0"}}},
    [TG_OP_ASIN] = {{"asin($0)", "\\arcsin $0"},
                    {{"1/sqrt(1 - $0^2)", "\\frac{1}{\\sqrt{1 - $0^{2}}}"}}},
    [TG_OP_ACOS] = {{"acos($0)", "\\arccos $0"},
                    {{"-1/sqrt(1 - $0^2)", "-\\frac{1}{\\sqrt{1 - $0^{2}}}"}}},
    [TG_OP_ATAN] = {{"atan($0)", "\\arctan $0"}, {{"1/(1 + $0^2)", "\\frac{1}{1 + $0^{2}}"}}},
    [TG_OP_SINH] = {{"sinh($0)", "\\sinh $0"}, {{"cosh($0)", "\\cosh $0"}}},
    [TG_OP_COSH] = {{"cosh($0)", "\\cosh $0"}, {{"sinh($0)", "\\sinh $0"}}},
    [TG_OP_ASINH] = {{"asinh($0)", "\\operatorname{arsinh} $0"},
                     {{"1/sqrt(1 + $0^2)", "\\frac{1}{\\sqrt{1 + $0^{2}}}"}}},
    [TG_OP_ACOSH] = {{"acosh($0)", "\\operatorname{arcosh} $0"},
                     {{"1/sqrt($0^2 - 1)", "\\frac{1}{\\sqrt{$0^{2} - 1}}"}}},
    [TG_OP_ATANH] = {{"atanh($0)", "\\operatorname{artanh} $0"},
                     {{"1/(1 - $0^2)", "\\frac{1}{1 - $0^{2}}"}}},
    [TG_OP_LOG1P] = {{"log1p($0)", "\\ln(1 + $0)"}, {{"1/(1 + $0)", "\\frac{1}{1 + $0}"}}},
    [TG_OP_EXPM1] = {{"expm1($0)", "e^{$0} - 1"}, {{"exp($0)", "e^{$0}"}}},
    [TG_OP_LOG2] = {{"log2($0)", "\\log_2 $0"}, {{"1/($0 ln 2)", "\\frac{1}{$0 \\ln 2}"}}},
    [TG_OP_LOG10] = {{"log10($0)", "\\log_{10} $0"}, {{"1/($0 ln 10)", "\\frac{1}{$0 \\ln 10}"}}},
    [TG_OP_EXP2] = {{"exp2($0)", "2^{$0}"}, {{"2^$0 ln 2", "2^{$0} \\ln 2"}}},
    [TG_OP_ERF] = {{"erf($0)", "\\operatorname{erf} $0"},
                   {{"2/sqrt(pi) exp(-$0^2)", "\\frac{2}{\\sqrt{\\pi}} e^{-$0^{2}}"}}},
    [TG_OP_ERFC] = {{"erfc($0)", "\\operatorname{erfc} $0"},
                    {{"-2/sqrt(pi) exp(-$0^2)", "-\\frac{2}{\\sqrt{\\pi}} e^{-$0^{2}}"}}},
    [TG_OP_SQUARE] = {{"square($0)", "$0^{2}"}, {{"2 $0", "2\\,$0"}}},
    [TG_OP_RSQRT] = {{"rsqrt($0)", "\\frac{1}{\\sqrt{$0}}"},
                     {{"-1/(2 $0^(3/2))", "-\\frac{1}{2\\,$0^{3/2}}"}}},
    [TG_OP_RECIPROCAL] = {{"reciprocal($0)", "\\frac{1}{$0}"},
                          {{"-1/$0^2", "-\\frac{1}{$0^{2}}"}}},
    [TG_OP_SIGN] = {{"sign($0)", "\\operatorname{sign} $0"}, {{"0", "0"}}},
    [TG_OP_FLOOR] = {{"floor($0)", "\\lfloor $0 \\rfloor"}, {{"0", "0"}}},
    [TG_OP_CEIL] = {{"ceil($0)", "\\lceil $0 \\rceil"}, {{"0", "0"}}},
    [TG_OP_ROUND] = {{"round($0)", "\\operatorname{round}($0)"}, {{"0", "0"}}},
    [TG_OP_TRUNC] = {{"trunc($0)", "\\operatorname{trunc}($0)"}, {{"0", "0"}}},
    [TG_OP_RELU] = {{"relu($0)", "\\max(0, $0)"}, {{"[$0 > 0]", "[$0 > 0]"}}},
    [TG_OP_LEAKY_RELU] = {{"leaky_relu($0, $c)", "\\max($c\\,$0, $0)"},
                          {{"[$0 > 0] + $c [$0 <= 0]", "[$0 > 0] + $c\\,[$0 \\le 0]"}}},
    /* the notes' names: step and linear */
    [TG_OP_HEAVISIDE] = {{"step($0)", "\\operatorname{step}($0)"}, {{"0", "0"}}},
    [TG_OP_IDENTITY] = {{"linear($0)", "$0"}, {{"1", "1"}}},
    [TG_OP_GELU] = {.writer = gelu_formula},
    [TG_OP_SILU] = {{"silu($0)", "$0\\,\\sigma($0)"},
                    {{"sigmoid($0) (1 + $0 (1 - sigmoid($0)))",
                      "\\sigma($0)\\,(1 + $0\\,(1 - \\sigma($0)))"}}},
    [TG_OP_SOFTPLUS] = {{"softplus($0, beta=$c, threshold=$d)",
                         "\\tfrac{1}{$c} \\ln(1 + e^{$c\\,$0})"},
                        {{"sigmoid($c $0), 1 where $c $0 > $d",
                          "\\sigma($c\\,$0)\\ (1 \\text{ where } $c\\,$0 > $d)"}}},
    [TG_OP_ELU] = {{"elu($0, alpha=$c)", "\\operatorname{elu}_{$c}($0)"},
                   {{"[$0 > 0] + $c exp($0) [$0 <= 0]",
                     "[$0 > 0] + $c\\,e^{$0}\\,[$0 \\le 0]"}}},
    [TG_OP_SELU] = {{"selu($0)", "\\operatorname{selu}($0)"},
                    {{"1.0507 ([$0 > 0] + 1.67326 exp($0) [$0 <= 0])",
                      "\\lambda\\,([$0 > 0] + \\alpha\\,e^{$0}\\,[$0 \\le 0])"}}},
    [TG_OP_CELU] = {{"celu($0, alpha=$c)", "\\operatorname{celu}_{$c}($0)"},
                    {{"[$0 > 0] + exp($0/$c) [$0 <= 0]",
                      "[$0 > 0] + e^{$0/$c}\\,[$0 \\le 0]"}}},
    [TG_OP_LOG_SIGMOID] = {{"log_sigmoid($0)", "\\ln\\sigma($0)"},
                           {{"sigmoid(-$0)", "\\sigma(-$0)"}}},
    [TG_OP_SOFTSIGN] = {{"softsign($0)", "\\frac{$0}{1 + |$0|}"},
                        {{"1/(1 + |$0|)^2", "\\frac{1}{(1 + |$0|)^{2}}"}}},
    [TG_OP_MISH] = {{"mish($0)", "$0 \\tanh(\\operatorname{softplus} $0)"},
                    {{"t + $0 sigmoid($0) (1 - t^2), t = tanh(softplus($0))",
                      "t + $0\\,\\sigma($0)\\,(1 - t^{2}),"
                      "\\ t = \\tanh(\\operatorname{softplus} $0)"}}},
    [TG_OP_HARDTANH] = {{"hardtanh($0, min_val=$c, max_val=$d)",
                         "\\operatorname{hardtanh}_{[$c, $d]}($0)"},
                        {{"[$c < $0 < $d]", "[$c < $0 < $d]"}}},
    [TG_OP_HARDSIGMOID] = {{"hardsigmoid($0)",
                            "\\operatorname{clamp}(\\tfrac{$0}{6} + \\tfrac{1}{2}, 0, 1)"},
                           {{"[-3 < $0 < 3] / 6", "\\tfrac{1}{6}\\,[-3 < $0 < 3]"}}},
    [TG_OP_CLAMP] = {{"clamp($0, $c, $d)", "\\operatorname{clamp}($0, $c, $d)"},
                     {{"[$c <= $0 <= $d]", "[$c \\le $0 \\le $d]"}}},
    [TG_OP_CLAMP_TENSOR] = {{"clamp($0, $1, $2)", "\\operatorname{clamp}($0, $1, $2)"},
                            {{"[$1 <= $0 <= $2]", "[$1 \\le $0 \\le $2]"},
                             {"[$0 < $1 < $2]", "[$0 < $1 < $2]"},
                             {"[$0 > $2 or $2 < $1]", "[$0 > $2 \\lor $2 < $1]"}}},
    [TG_OP_ATAN2] = {{"atan2($0, $1)", "\\operatorname{atan2}($0, $1)"},
                     {{"$1/($0^2 + $1^2) (0 at the origin)", "\\frac{$1}{$0^{2} + $1^{2}}"},
                      {"-$0/($0^2 + $1^2) (0 at the origin)", "-\\frac{$0}{$0^{2} + $1^{2}}"}}},
    [TG_OP_LOGADDEXP] = {{"logaddexp($0, $1)", "\\ln(e^{$0} + e^{$1})"},
                         {{"sigmoid($0 - $1)", "\\sigma($0 - $1)"},
                          {"sigmoid($1 - $0)", "\\sigma($1 - $0)"}}},
    [TG_OP_SOFTMAX] = {{"softmax($0)", "\\operatorname{softmax}($0)"},
                       {{"$y * ($g - sum($g * $y))",
                         "$y \\odot ($g - \\textstyle\\sum $g \\odot $y)"}}},
    [TG_OP_LOG_SOFTMAX] = {{"log_softmax($0)", "\\log\\operatorname{softmax}($0)"},
                           {{"$g - softmax($0) * sum($g)",
                             "$g - \\operatorname{softmax}($0) \\textstyle\\sum $g"}}},
    [TG_OP_SUM] = {{"sum($0)", "\\sum $0"}, {{"1 for each element", "1"}}},
    [TG_OP_MEAN] = {{"mean($0)", "\\operatorname{mean} $0"},
                    {{"1/n for each of the n elements", "\\frac{1}{n}"}}},
    [TG_OP_MAX] = {{"max($0)", "\\max $0"},
                   {{"1 at the first largest element, else 0", "[\\text{first largest}]"}}},
    [TG_OP_MIN] = {{"min($0)", "\\min $0"},
                   {{"1 at the first smallest element, else 0", "[\\text{first smallest}]"}}},
    [TG_OP_SUM_AXIS] = {{"sum($0, axis=$a)", "\\textstyle\\sum_{\\text{axis } $a} $0"},
                        {{"$g copied along axis $a", "$g \\text{ copied along axis } $a"}}},
    [TG_OP_MEAN_AXIS] = {{"mean($0, axis=$a)", "\\operatorname{mean}_{\\text{axis } $a} $0"},
                         {{"$g / n copied along axis $a (n its length)",
                           "\\frac{1}{n} $g \\text{ copied along axis } $a"}}},
    [TG_OP_MAX_AXIS] = {{"max($0, axis=$a)", "\\max_{\\text{axis } $a} $0"},
                        {{"$g at the first largest element along axis $a, else 0",
                          "$g\\,[\\text{first largest along axis } $a]"}}},
    [TG_OP_MIN_AXIS] = {{"min($0, axis=$a)", "\\min_{\\text{axis } $a} $0"},
                        {{"$g at the first smallest element along axis $a, else 0",
                          "$g\\,[\\text{first smallest along axis } $a]"}}},
    [TG_OP_SUM_DIMS] = {{"sum($0, axes)", "\\textstyle\\sum_{\\text{axes}} $0"},
                        {{"$g copied along the reduced axes",
                          "$g \\text{ copied along the reduced axes}"}}},
    [TG_OP_MEAN_DIMS] = {{"mean($0, axes)", "\\operatorname{mean}_{\\text{axes}} $0"},
                         {{"$g / n copied along the reduced axes (n elements each)",
                           "\\frac{1}{n} $g \\text{ copied along the reduced axes}"}}},
    [TG_OP_AMAX] = {{"amax($0)", "\\max $0"},
                    {{"1/t at each of the t largest elements, else 0",
                      "\\frac{1}{t}[\\text{largest}]"}}},
    [TG_OP_AMIN] = {{"amin($0)", "\\min $0"},
                    {{"1/t at each of the t smallest elements, else 0",
                      "\\frac{1}{t}[\\text{smallest}]"}}},
    [TG_OP_LOGSUMEXP] = {{"logsumexp($0)", "\\log \\textstyle\\sum e^{$0}"},
                         {{"exp($0 - $y), the softmax of $0", "e^{$0 - $y}"}}},
    [TG_OP_PROD] = {{"prod($0)", "\\textstyle\\prod $0"},
                    {{"the product of the other elements", "\\textstyle\\prod_{j \\ne i} $0_j"}}},
    [TG_OP_VARIANCE] = {{"var($0, correction=$c)", "\\operatorname{var}($0)"},
                        {{"2 ($0 - mean($0)) / (n - $c)", "\\frac{2\\,($0 - \\bar{$0})}{n - $c}"}}},
    [TG_OP_STD] = {{"std($0, correction=$c)", "\\operatorname{std}($0)"},
                   {{"($0 - mean($0)) / ((n - $c) $y), 0 where $y = 0",
                     "\\frac{$0 - \\bar{$0}}{(n - $c)\\,$y}"}}},
    [TG_OP_NORM] = {{"norm($0, p=$c)", "\\lVert $0 \\rVert_{$c}"},
                    {{"sign($0) (|$0| / $y)^($c - 1), 0 where $y = 0",
                      "\\operatorname{sign}($0) \\left(\\frac{|$0|}{$y}\\right)^{$c - 1}"}}},
    [TG_OP_CUMSUM] = {{"cumsum($0, axis=$a)", "\\operatorname{cumsum}_{$a} $0"},
                      {{"$g summed from the end along axis $a",
                        "\\operatorname{cumsum}^{\\leftarrow}_{$a} $g"}}},
    [TG_OP_CUMPROD] = {{"cumprod($0, axis=$a)", "\\operatorname{cumprod}_{$a} $0"},
                       {{"sum over j >= i of $g_j prod(k <= j, k != i) $0_k",
                         "\\textstyle\\sum_{j \\ge i} $g_j \\prod_{k \\le j, k \\ne i} $0_k"}}},
    [TG_OP_SCAN] = {{"scan($0, $1, axis=$a): s_i = $0_i s_(i-1) + $1_i",
                     "s_i = $0_i s_{i-1} + $1_i"},
                    {{"s_(i-1) times the reverse scan of $g", "s_{i-1} \\lambda_i"},
                     {"the reverse scan of $g: l_i = $g_i + $0_(i+1) l_(i+1)", "\\lambda_i"}}},
    [TG_OP_SHIFT] = {{"shift($0, axis=$a)", "\\operatorname{shift}_{$a} $0"},
                     {{"$g shifted back", "\\operatorname{shift}^{-1}_{$a} $g"}}},
    [TG_OP_ARGMAX] = {{"argmax($0)", "\\operatorname{argmax} $0"}, {{"0", "0"}}},
    [TG_OP_ARGMIN] = {{"argmin($0)", "\\operatorname{argmin} $0"}, {{"0", "0"}}},
    [TG_OP_MATMUL] = {{"$0 @ $1", "$0 $1"},
                      {{"$g @ $1^T", "$g\\, $1^{\\top}"}, {"$0^T @ $g", "$0^{\\top} $g"}}},
    [TG_OP_MATMUL_T] = {{"op($0) @ op($1), op transposing as asked",
                         "\\operatorname{op}($0)\\, \\operatorname{op}($1)"},
                        {{"$g @ op($1)^T, transposed back if op($0) was",
                          "$g\\, \\operatorname{op}($1)^{\\top}"},
                         {"op($0)^T @ $g, transposed back if op($1) was",
                          "\\operatorname{op}($0)^{\\top} $g"}}},
    [TG_OP_TRANSPOSE] = {{"transpose($0)", "$0^{\\top}"}, {{"transpose($g)", "$g^{\\top}"}}},
    [TG_OP_RESHAPE] = {{"reshape($0)", "\\operatorname{reshape}($0)"},
                       {{"$g reshaped to the shape of $0",
                         "\\operatorname{reshape}($g) \\text{ to the shape of } $0"}}},
    [TG_OP_BROADCAST_TO] = {{"broadcast_to($0)", "\\operatorname{broadcast}($0)"},
                            {{"$g summed down to the shape of $0",
                              "\\operatorname{sum\\_to}($g) \\text{ to the shape of } $0"}}},
    [TG_OP_SUM_TO] = {{"sum_to($0)", "\\operatorname{sum\\_to}($0)"},
                      {{"$g copied out to the shape of $0",
                        "\\operatorname{broadcast}($g) \\text{ to the shape of } $0"}}},
    [TG_OP_CAST] = {{"cast($0)", "\\operatorname{cast}($0)"},
                    {{"$g cast to the dtype of $0", "\\operatorname{cast}($g)"}}},
    /* indexing and structure: the map ops save the positions of x each
     * element read ($m), and the gradient goes back to them (index_add),
     * added up where one is read more than once; the gathers read through
     * their index tensor and scatter back through it */
    [TG_OP_SELECT] = {{"select($0, axis=$a), reading $0's $m",
                       "$0[\\ldots, i, \\ldots]_{\\text{axis } $a}"},
                      {{"$g added back at $0's $m, 0 elsewhere",
                        "\\operatorname{scatter}($g) \\text{ along axis } $a"}},
                      .map = true, .scatters = true},
    [TG_OP_SLICE] = {{"slice($0, axis=$a), reading $0's $m",
                      "$0[\\text{start:stop:step}]_{\\text{axis } $a}"},
                     {{"$g added back at $0's $m, 0 elsewhere",
                       "\\operatorname{scatter}($g) \\text{ along axis } $a"}},
                     .map = true, .scatters = true},
    [TG_OP_PERMUTE] = {{"permute($0), reading $0's $m", "\\operatorname{permute}($0)"},
                       {{"$g added back at $0's $m: $g permuted back",
                         "\\operatorname{permute}^{-1}($g)"}},
                       .map = true, .scatters = true},
    [TG_OP_FLIP] = {{"flip($0), reading $0's $m", "\\operatorname{flip}($0)"},
                    {{"$g added back at $0's $m: $g flipped back",
                      "\\operatorname{flip}($g)"}},
                    .map = true, .scatters = true},
    [TG_OP_ROLL] = {{"roll($0), reading $0's $m", "\\operatorname{roll}($0)"},
                    {{"$g added back at $0's $m: $g rolled back",
                      "\\operatorname{roll}^{-1}($g)"}},
                    .map = true, .scatters = true},
    [TG_OP_REPEAT] = {{"repeat($0), reading $0's $m", "\\operatorname{repeat}($0)"},
                      {{"$g added back at $0's $m: summed over the copies",
                        "\\textstyle\\sum_{\\text{copies}} $g"}},
                      .map = true, .scatters = true},
    [TG_OP_TRIL] = {{"tril($0, $c)", "\\operatorname{tril}_{$c}($0)"},
                    {{"tril($g, $c)", "\\operatorname{tril}_{$c}($g)"}}},
    [TG_OP_TRIU] = {{"triu($0, $c)", "\\operatorname{triu}_{$c}($0)"},
                    {{"triu($g, $c)", "\\operatorname{triu}_{$c}($g)"}}},
    [TG_OP_DIAGONAL] = {{"diagonal($0), reading $0's $m", "\\operatorname{diag}($0)"},
                        {{"$g added back at $0's $m (its diagonal), 0 elsewhere",
                          "\\operatorname{diag\\_embed}($g)"}},
                        .map = true, .scatters = true},
    [TG_OP_DIAG_EMBED] = {{"diag_embed($0), reading $0's $m",
                           "\\operatorname{diag\\_embed}($0)"},
                          {{"$g added back at $0's $m: the diagonal of $g",
                            "\\operatorname{diag}($g)"}},
                          .map = true, .scatters = true},
    [TG_OP_TRACE] = {{"trace($0)", "\\operatorname{tr} $0"}, {{"$g I", "$g\\,I"}}},
    [TG_OP_INDEX_SELECT] = {{"index_select($0, axis=$a, $1)", "$0[$1]_{\\text{axis } $a}"},
                            {{"index_add(0, axis=$a, $1, $g): $g added back at the indices",
                              "\\operatorname{index\\_add}_{$a}(0, $1, $g)"},
                             {NULL, NULL}},
                            .scatters = true},
    [TG_OP_INDEX_ADD] = {{"index_add($0, axis=$a, $1, $2): $0 with $2's slices added at the "
                          "indices $1", "\\operatorname{index\\_add}_{$a}($0, $1, $2)"},
                         {{"$g: $0 passes through unchanged", "$g"}, {NULL, NULL},
                          {"index_select($g, axis=$a, $1): each slice of $2 gets the gradient "
                           "where it was added", "$g[$1]_{\\text{axis } $a}"}}},
    [TG_OP_GATHER] = {{"gather($0, axis=$a, $1)", "\\operatorname{gather}_{$a}($0, $1)"},
                      {{"scatter_add(0, axis=$a, $1, $g): $g added back at the indices",
                        "\\operatorname{scatter\\_add}_{$a}(0, $1, $g)"},
                       {NULL, NULL}},
                      .scatters = true},
    [TG_OP_SCATTER_ADD] = {{"scatter_add($0, axis=$a, $1, $2): $0 with $2 added at the indices "
                            "$1", "\\operatorname{scatter\\_add}_{$a}($0, $1, $2)"},
                           {{"$g: $0 passes through unchanged", "$g"}, {NULL, NULL},
                            {"gather($g, axis=$a, $1): each element of $2 gets the gradient "
                             "where it was added", "\\operatorname{gather}_{$a}($g, $1)"}}},
    [TG_OP_EMBEDDING] = {{"embedding($0, $1): the rows $1 of $0", "$0[$1]"},
                         {{"rows of $g added at the looked-up rows (none to padding_idx)",
                           "\\operatorname{index\\_add}_{0}(0, $1, $g)"},
                          {NULL, NULL}},
                         .scatters = true},
    [TG_OP_ONE_HOT] = {{"one_hot($0)", "\\operatorname{one\\_hot}($0)"}, {{"0", "0"}}},
    [TG_OP_MASKED_SELECT] = {{"masked_select($0, $1), reading $0's $m (where $1 != 0)",
                              "$0[$1 \\ne 0]"},
                             {{"$g added back at $0's $m, 0 elsewhere",
                               "\\operatorname{scatter}($g) \\text{ where } $1 \\ne 0"},
                              {NULL, NULL}},
                             .map = true, .scatters = true},
    [TG_OP_OUTER] = {{"outer($0, $1)", "$0 $1^{\\top}"},
                     {{"$g @ $1", "$g\\,$1"}, {"$0 @ $g", "$0^{\\top} $g"}}},
    [TG_OP_DOT] = {{"dot($0, $1)", "$0 \\cdot $1"}, {{"$g $1", "$g\\,$1"}, {"$g $0", "$g\\,$0"}}},
    [TG_OP_PAD] = {{"pad($0, value=$c), reading $0's $m", "\\operatorname{pad}($0)"},
                   {{"$g added back at $0's $m; the fills send nothing back",
                     "\\operatorname{unpad}($g)"}},
                   .map = true, .scatters = true},
    [TG_OP_CONCAT] = {.writer = concat_formula},
    [TG_OP_UNFOLD] = {{"unfold($0): its sliding windows as columns",
                       "\\operatorname{unfold}($0)"},
                      {{"fold($g): each element gets the sum over the windows that read it",
                        "\\operatorname{fold}($g)"}}},
    [TG_OP_FOLD] = {{"fold($0): the windows' columns summed back into an image",
                     "\\operatorname{fold}($0)"},
                    {{"unfold($g)", "\\operatorname{unfold}($g)"}}},
    [TG_OP_CONV1D] = {{"conv1d($0, $1): sum over channels and taps of $1 * windows of $0, plus "
                       "the bias if given", "$1 \\star $0 + b"},
                      {{"fold($1^T @ $g) (a transposed convolution)",
                        "\\operatorname{fold}($1^{\\top} $g)"},
                       {"sum_n $g @ unfold($0)^T (a correlation of $0 and $g)",
                        "\\textstyle\\sum_n $g \\operatorname{unfold}($0)^{\\top}"},
                       {"sum of $g over N and L", "\\textstyle\\sum_{n,l} $g"}}},
    [TG_OP_CONV2D] = {{"conv2d($0, $1): sum over channels and taps of $1 * windows of $0, plus "
                       "the bias if given", "$1 \\star $0 + b"},
                      {{"fold($1^T @ $g) (a transposed convolution)",
                        "\\operatorname{fold}($1^{\\top} $g)"},
                       {"sum_n $g @ unfold($0)^T (a correlation of $0 and $g)",
                        "\\textstyle\\sum_n $g \\operatorname{unfold}($0)^{\\top}"},
                       {"sum of $g over N, H and W", "\\textstyle\\sum_{n,h,w} $g"}}},
    [TG_OP_MAX_POOL1D] = {{"max_pool1d($0): the largest element of each window",
                           "\\operatorname{max\\_pool}($0)"},
                          {{"$g scattered to each window's first largest element",
                            "\\operatorname{scatter\\_add}(0, \\arg\\max, $g)"}}},
    [TG_OP_MAX_POOL2D] = {{"max_pool2d($0): the largest element of each window",
                           "\\operatorname{max\\_pool}($0)"},
                          {{"$g scattered to each window's first largest element",
                            "\\operatorname{scatter\\_add}(0, \\arg\\max, $g)"}}},
    [TG_OP_AVG_POOL1D] = {{"avg_pool1d($0): the mean of each window",
                           "\\operatorname{avg\\_pool}($0)"},
                          {{"fold($g / count): each element gets its windows' shares",
                            "\\operatorname{fold}($g / n)"}}},
    [TG_OP_AVG_POOL2D] = {{"avg_pool2d($0): the mean of each window",
                           "\\operatorname{avg\\_pool}($0)"},
                          {{"fold($g / count): each element gets its windows' shares",
                            "\\operatorname{fold}($g / n)"}}},
    [TG_OP_ADAPTIVE_AVG_POOL2D] = {{"adaptive_avg_pool2d($0): A_H $0 A_W^T, the means of "
                                    "PyTorch's adaptive windows", "A_H\\, $0\\, A_W^{\\top}"},
                                   {{"A_H^T $g A_W", "A_H^{\\top} $g\\, A_W"}}},
    [TG_OP_DROPOUT] = {{"dropout($0): $0 * a drawn mask of 0 and 1/(1-p)",
                        "$0 \\odot m"},
                       {{"$g * the same mask", "$g \\odot m"}}},
    [TG_OP_CONV_TRANSPOSE2D] = {{"conv_transpose2d($0, $1): fold($1^T @ $0), each input element "
                                 "scattered through the taps of $1, plus the bias if given",
                                 "\\operatorname{fold}($1^{\\top} $0) + b"},
                                {{"conv2d($g, $1) (its adjoint)", "$1 \\star $g"},
                                 {"sum_n $0 @ unfold($g)^T", "\\textstyle\\sum_n $0 "
                                  "\\operatorname{unfold}($g)^{\\top}"},
                                 {"sum of $g over N, H and W", "\\textstyle\\sum_{n,h,w} $g"}}},
    [TG_OP_BATCH_NORM] = {{"batch_norm($0): ($0 - mean) / sqrt(var + eps) * $1 + $2, the batch's "
                           "statistics per channel", "\\hat{x}\\, $1 + $2"},
                          {{"rstd ($g $1 - mean($g $1) - xhat mean($g $1 xhat)) per channel",
                            "\\sigma^{-1} (h - \\bar{h} - \\hat{x}\\, \\overline{h \\hat{x}})"},
                           {"sum of $g xhat per channel", "\\textstyle\\sum $g\\, \\hat{x}"},
                           {"sum of $g per channel", "\\textstyle\\sum $g"}}},
    [TG_OP_LAYER_NORM] = {{"layer_norm($0): ($0 - mean) / sqrt(var + eps) * $1 + $2 over the "
                           "normalized axes", "\\hat{x}\\, $1 + $2"},
                          {{"rstd ($g $1 - mean($g $1) - xhat mean($g $1 xhat)) per slice",
                            "\\sigma^{-1} (h - \\bar{h} - \\hat{x}\\, \\overline{h \\hat{x}})"},
                           {"sum of $g xhat over the leading axes",
                            "\\textstyle\\sum $g\\, \\hat{x}"},
                           {"sum of $g over the leading axes", "\\textstyle\\sum $g"}}},
    [TG_OP_RMS_NORM] = {{"rms_norm($0): $0 / sqrt(mean($0^2) + eps) * $1 over the normalized axes",
                         "\\frac{$0}{\\sqrt{\\overline{$0^2} + \\epsilon}}\\, $1"},
                        {{"rstd ($g $1 - xhat mean($g $1 xhat)) per slice",
                          "\\sigma^{-1} (h - \\hat{x}\\, \\overline{h \\hat{x}})"},
                         {"sum of $g xhat over the leading axes",
                          "\\textstyle\\sum $g\\, \\hat{x}"}}},
    [TG_OP_GROUP_NORM] = {{"group_norm($0): ($0 - mean) / sqrt(var + eps) * $1 + $2, each group "
                           "of channels of each sample", "\\hat{x}\\, $1 + $2"},
                          {{"rstd ($g $1 - mean($g $1) - xhat mean($g $1 xhat)) per group",
                            "\\sigma^{-1} (h - \\bar{h} - \\hat{x}\\, \\overline{h \\hat{x}})"},
                           {"sum of $g xhat per channel", "\\textstyle\\sum $g\\, \\hat{x}"},
                           {"sum of $g per channel", "\\textstyle\\sum $g"}}},
    [TG_OP_ACCUMULATE] = {{"$0 + $1", "$0 + $1"}, {{"1", "1"}, {"1", "1"}}},
    [TG_OP_USER] = {.writer = user_formula},
};

bool explain_has_rule(tg_op_kind kind)
{
    if ((unsigned)kind >= TG_OP_COUNT)
        return false;
    const op_rule *r = &rules[kind];
    return r->writer || (r->formula[NOTATION_TEXT] && r->formula[NOTATION_LATEX]);
}

bool op_is_elementwise(const tg_tensor *node)
{
    const tg_op_info *row = tg_op_info_of(tg_op_kind_of(node));
    return row && (row->flags & TG_OP_ELEMENTWISE);
}

/* A name without an underscore as LaTeX: numbers as latex_number writes
 * them, one letter as it is, a letter and digits subscripted (w1 -> w_{1}),
 * longer names upright in \mathit (so that "net" is not n times e times t). */
static char *latex_word(const char *label, size_t n, char *buf, size_t size)
{
    size_t letters = 0;
    while (letters < n && isalpha((unsigned char)label[letters]))
        letters++;
    bool digits_only = letters < n && strspn(label + letters, "0123456789") >= n - letters;
    if (!isalpha((unsigned char)label[0]) || (letters == n && letters == 1)) {
        char text[64]; /* numbers (1e-05 as a power of ten) and one-letter names */
        snprintf(text, sizeof text, "%.*s", (int)n, label);
        latex_number(text, buf, size);
    } else if (letters == 1 && digits_only) {
        snprintf(buf, size, "%c_{%.*s}", label[0], (int)(n - 1), label + 1);
    } else {
        size_t len = (size_t)snprintf(buf, size, "\\mathit{");
        for (size_t i = 0; i < n && len + 3 < size; i++)
            len += (size_t)snprintf(buf + len, size - len, label[i] == '_' ? "\\_" : "%c",
                                    label[i]);
        snprintf(buf + len, size - len, "}");
    }
    return buf;
}

/* A label with the primes of a rebound name (c', labels.c) written after
 * its LaTeX form: c' -> c', w1' -> w_{1}'. */
static char *latex_primed(const char *label, size_t primes, char *buf, size_t size)
{
    char base[256];
    snprintf(base, sizeof base, "%.*s", (int)(strlen(label) - primes), label);
    latex_name(base, buf, size);
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s", label + strlen(label) - primes);
    return buf;
}

char *latex_name(const char *label, char *buf, size_t size)
{
    size_t primes = 0, n = strlen(label);
    while (primes < n && label[n - 1 - primes] == '\'')
        primes++;
    if (primes && primes < n)
        return latex_primed(label, primes, buf, size);
    const char *under = strchr(label, '_');
    if (!under || under == label || !under[1]) /* "x", "w1", "_x" */
        return latex_word(label, strlen(label), buf, size);
    /* a subscript of one letter and digits as it is (net_h1 -> \mathit{net}_{h1}),
     * a longer word in \mathit (x_hat -> x_{\mathit{hat}}) */
    char base[128], sub[128];
    size_t letters = 0;
    for (const char *p = under + 1; *p; p++)
        letters += isalpha((unsigned char)*p) != 0;
    latex_word(label, (size_t)(under - label), base, sizeof base);
    if (letters >= 2 || strchr(under + 1, '_'))
        latex_word(under + 1, strlen(under + 1), sub, sizeof sub);
    else
        snprintf(sub, sizeof sub, "%s", under + 1);
    snprintf(buf, size, "%s_{%s}", base, sub);
    return buf;
}

typedef struct {
    char *buf;
    size_t size, len;
} out_buf;

static void append(out_buf *o, const char *s, size_t n)
{
    if (o->len + n >= o->size)
        n = o->size - o->len - 1;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Negative numbers inside a formula are parenthesised: x * (-2). */
static void append_label(out_buf *o, const char *label, notation how, bool at_start)
{
    char tex[160];
    if (how == NOTATION_LATEX)
        label = latex_name(label, tex, sizeof tex);
    bool wrap = label[0] == '-' && !at_start;
    append(o, "(", wrap);
    append(o, label, strlen(label));
    append(o, ")", wrap);
}

static char *expand(const char *tpl, const formula_names *n, notation how, char *buf, size_t size)
{
    out_buf o = {buf, size, 0};
    buf[0] = '\0';
    char number[32], number2[32], axis[16];
    snprintf(number, sizeof number, "%.6g", n->constant);
    snprintf(number2, sizeof number2, "%.6g", n->constant2);
    snprintf(axis, sizeof axis, "%d", n->axis);
    for (const char *p = tpl; *p; p++) {
        bool at_start = p == tpl || strchr("({", p[-1]) || (p - tpl >= 2 && p[-2] == ',');
        if (*p != '$' || !p[1]) {
            append(&o, p, 1);
            continue;
        }
        char key = *++p;
        if (key >= '0' && key <= '2')
            append_label(&o, n->in[key - '0'] ? n->in[key - '0'] : "?", how, at_start);
        else if (key == 'y')
            append_label(&o, n->node, how, at_start);
        else if (key == 'g')
            append(&o, n->upstream, strlen(n->upstream));
        else if (key == 'c')
            append_label(&o, number, how, at_start);
        else if (key == 'd')
            append_label(&o, number2, how, at_start);
        else if (key == 'a')
            append(&o, axis, strlen(axis));
        else if (key == 'm')
            append(&o, n->map, strlen(n->map));
        else if (key == 'r')
            append(&o, n->part, strlen(n->part));
    }
    return buf;
}

/* x + c reads better as x - 10 than as x + -10; its derivative is 1. */
static char *add_scalar_formula(const formula_names *n, bool derivative, notation how,
                                char *buf, size_t size)
{
    formula_names shown = *n;
    const char *tpl = derivative ? "1" : "$0 + $c";
    if (!derivative && n->constant < 0) {
        shown.constant = -n->constant;
        tpl = "$0 - $c";
    }
    return expand(tpl, &shown, how, buf, size);
}

/* x^p: "x^2", and its derivative p x^(p-1) written as 2x, 3x^2, 0.5x^-0.5. */
static char *power_formula(const formula_names *n, bool derivative, notation how, char *buf,
                           size_t size)
{
    char base[160], p[32], q[32];
    if (how == NOTATION_LATEX)
        latex_name(n->in[0], base, sizeof base);
    else
        snprintf(base, sizeof base, "%s", n->in[0]);
    snprintf(p, sizeof p, "%.6g", n->constant);
    snprintf(q, sizeof q, "%.6g", n->constant - 1);
    const char *open = how == NOTATION_LATEX ? "^{" : "^", *close = how == NOTATION_LATEX ? "}" : "";
    const char *sep = how == NOTATION_LATEX ? "\\," : strlen(base) > 1 ? "*" : "";
    if (!derivative)
        snprintf(buf, size, "%s%s%s%s", base, open, p, close);
    else if (n->constant == 0)
        snprintf(buf, size, "0");
    else if (n->constant == 1)
        snprintf(buf, size, "1");
    else if (n->constant == 2)
        snprintf(buf, size, "2%s%s", sep, base);
    else
        snprintf(buf, size, "%s%s%s%s%s%s", p, sep, base, open, q, close);
    return buf;
}

/* gelu's constant tells its form: 0 exact, 1 the tanh approximation. */
static char *gelu_formula(const formula_names *n, bool derivative, notation how, char *buf,
                          size_t size)
{
    static const char *const tpl[2][2][2] = {
        {{"gelu($0) = $0 Phi($0)", "$0\\,\\Phi($0)"},
         {"Phi($0) + $0 phi($0)", "\\Phi($0) + $0\\,\\varphi($0)"}},
        {{"gelu($0, approximate=tanh) = $0 sigmoid(2u), u = sqrt(2/pi) ($0 + 0.044715 $0^3)",
          "$0\\,\\sigma(2u),\\ u = \\sqrt{2/\\pi}\\,($0 + 0.044715\\,$0^{3})"},
         {"s + 2 $0 s (1 - s) du/d$0, s = sigmoid(2u)",
          "s + 2\\,$0\\,s\\,(1 - s)\\,u',\\ s = \\sigma(2u)"}}};
    return expand(tpl[n->constant == TG_GELU_TANH][derivative][how], n, how, buf, size);
}

/* concat has any number of inputs: up to three are named, and each input's
 * gradient is the part of g it filled. */
static char *concat_formula(const formula_names *n, bool derivative, notation how, char *buf,
                            size_t size)
{
    static const char *const tpl[4][2] = {
        {"concat($0, axis=$a)", "[$0]_{\\text{axis } $a}"},
        {"concat($0, $1, axis=$a)", "[$0 ; $1]_{\\text{axis } $a}"},
        {"concat($0, $1, $2, axis=$a)", "[$0 ; $1 ; $2]_{\\text{axis } $a}"},
        {"concat($0, $1, $2, ..., axis=$a)", "[$0 ; $1 ; $2 ; \\ldots]_{\\text{axis } $a}"}};
    static const char *const part[2] = {"$g$r, the part along axis $a that this input filled",
                                        "$g_{$r}"};
    int shown = n->n_inputs < 1 ? 0 : n->n_inputs > 4 ? 3 : n->n_inputs - 1;
    return expand(derivative ? part[how] : tpl[shown][how], n, how, buf, size);
}

/* A user-defined op has no formula the tool knows: its name and its rule. */
static char *user_formula(const formula_names *n, bool derivative, notation how, char *buf,
                          size_t size)
{
    (void)how;
    if (derivative)
        snprintf(buf, size, "the vector-Jacobian product of %s", n->op_name);
    else
        snprintf(buf, size, "%s(...)", n->op_name);
    return buf;
}

static const op_rule *rule_of(const tg_tensor *node)
{
    tg_op_kind kind = tg_op_kind_of(node);
    return (unsigned)kind < TG_OP_COUNT ? &rules[kind] : NULL;
}

/* A map's positions: every one of a short vector, which is the common
 * case and where the reader wants them all; tensor_brief's form else. */
static char *positions(const tg_tensor *map, char *buf, size_t size)
{
    if (tg_ndim(map) != 1 || tg_numel(map) > 12)
        return tensor_brief(map, buf, size);
    size_t len = (size_t)snprintf(buf, size, "[");
    for (int64_t i = 0; i < tg_numel(map) && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? ", " : "",
                                (long long)tg_get(map, i));
    if (len + 1 < size)
        snprintf(buf + len, size - len, "]");
    return buf;
}

/* Fills n->map for a map op and returns the map's input index, which is no
 * operand to label; -1 for other ops. */
static int note_map(const tg_tensor *node, formula_names *n)
{
    const op_rule *r = rule_of(node);
    int k = tg_op_num_inputs(node) - 1;
    n->map[0] = '\0';
    if (!r || !r->map || k < 1)
        return -1;
    const tg_tensor *map = tg_op_input(node, k), *x = tg_op_input(node, 0);
    bool fills = false;
    for (int64_t i = 0; i < tg_numel(map) && !fills; i++)
        fills = tg_get(map, i) < 0;
    char values[112], note[40] = "";
    bool matrix = tg_ndim(x) > 1;
    if (matrix || fills)
        snprintf(note, sizeof note, " (%s%s%s)", matrix ? "row-major positions" : "",
                 matrix && fills ? "; " : "", fills ? "-1: a fill" : "");
    snprintf(n->map, sizeof n->map, "element%s %s%s", tg_ndim(map) ? "s" : "",
             positions(map, values, sizeof values), note);
    return k;
}

formula_names formula_names_of(labeler *l, const tg_tensor *node)
{
    formula_names n = {.op_name = tg_op_name(node), .node = label_of(l, node),
                       .n_inputs = tg_op_num_inputs(node)};
    int map = note_map(node, &n);
    for (int k = 0; k < 3 && k < n.n_inputs; k++)
        if (k != map)
            n.in[k] = label_of(l, tg_op_input(node, k));
    double constants[2];
    int n_constants = tg_op_constants(node, constants, 2);
    n.has_constant = n_constants > 0;
    n.constant = n_constants > 0 ? constants[0] : 0;
    n.constant2 = n_constants > 1 ? constants[1] : 0;
    const tg_op_info *row = tg_op_info_of(tg_op_kind_of(node));
    if (row && (row->flags & TG_OP_AXIS))
        n.axis = tg_op_axis(node);
    return n;
}

void note_part(const tg_tensor *node, int k, formula_names *n)
{
    n->part[0] = '\0';
    if (tg_op_kind_of(node) != TG_OP_CONCAT || k >= tg_op_num_inputs(node))
        return;
    int axis = tg_op_axis(node);
    int64_t start = 0;
    for (int j = 0; j < k; j++)
        start += tg_shape(tg_op_input(node, j))[axis];
    int64_t stop = start + tg_shape(tg_op_input(node, k))[axis];
    size_t len = (size_t)snprintf(n->part, sizeof n->part, "[");
    for (int d = 0; d < axis && len < sizeof n->part; d++)
        len += (size_t)snprintf(n->part + len, sizeof n->part - len, ":, ");
    if (len < sizeof n->part)
        snprintf(n->part + len, sizeof n->part - len, "%lld:%lld]", (long long)start,
                 (long long)stop);
}

bool derivative_uses_upstream(const tg_tensor *node, int k)
{
    const op_rule *r = rule_of(node);
    const char *tpl = r && !r->writer && k < 3 ? r->derivative[k][NOTATION_TEXT] : NULL;
    return (r && r->writer == concat_formula) || (tpl && strstr(tpl, "$g"));
}

bool op_scatters_back(const tg_tensor *node, int k)
{
    const op_rule *r = rule_of(node);
    return k == 0 && r && r->scatters;
}

char *op_formula(const tg_tensor *node, const formula_names *n, notation how, char *buf,
                 size_t size)
{
    const op_rule *r = rule_of(node);
    if (r && r->writer)
        return r->writer(n, false, how, buf, size);
    return expand(r ? r->formula[how] : "?", n, how, buf, size);
}

char *op_derivative(const tg_tensor *node, int k, const formula_names *n, notation how,
                    char *buf, size_t size)
{
    const op_rule *r = rule_of(node);
    if (r && r->writer)
        return r->writer(n, true, how, buf, size);
    const char *tpl = r && k < 3 ? r->derivative[k][how] : NULL;
    return expand(tpl ? tpl : "0 (no gradient flows to this input)", n, how, buf, size);
}

char *explain_expand(const char *tpl, const formula_names *n, notation how, char *buf,
                     size_t size)
{
    return expand(tpl, n, how, buf, size);
}
