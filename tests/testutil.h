/* testutil.h -- helpers shared by the Check suites. */
#ifndef TG_TESTUTIL_H
#define TG_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

typedef struct {
    int ndim;
    int64_t d[TG_MAX_DIMS];
} tu_shape;

/* TU_SHAPE(2, 3) is a 2x3 matrix, TU_SCALAR a 0-d tensor. */
#define TU_SHAPE(...) ((tu_shape){TU_NARGS(__VA_ARGS__), {__VA_ARGS__}})
#define TU_NARGS(...) ((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
#define TU_SCALAR ((tu_shape){0, {0}})

/* Operand shapes for binary elementwise ops: equal shapes, scalars, and
 * broadcasting on either side, including size-1 axes. */
#define TU_BROADCAST_PAIRS 8
extern const tu_shape tu_broadcast_pairs[TU_BROADCAST_PAIRS][2];

/* A tape tensor with values drawn uniformly from [lo, hi] by a fixed-seed
 * generator, so every run checks the same points. */
tg_tensor *tu_rand(tg_dtype dtype, tu_shape shape, double lo, double hi, bool requires_grad);
tg_tensor *tu_tensor(tg_dtype dtype, tu_shape shape, const double *values, bool requires_grad);

/* Gradchecks f on inputs of the given shapes with values in [lo, hi], in one
 * dtype or both; fails the test with tg_last_error() on a mismatch. */
void tu_gradcheck(tg_fn f, void *ctx, tg_dtype dtype, int n, const tu_shape *shapes, double lo,
                  double hi);
void tu_gradcheck_both(tg_fn f, void *ctx, int n, const tu_shape *shapes, double lo, double hi);
/* The same one order up (tg_gradgradcheck), f32 with a step and tolerances
 * wide enough for second differences of f32 gradients. */
void tu_gradgradcheck_both(tg_fn f, void *ctx, int n, const tu_shape *shapes, double lo,
                           double hi);

/* Checks that op's backward rule gives the same gradient in a first-order
 * sweep (where it may run a fused pass) as in a recorded one (where it
 * composes ops), on random values in [lo, hi] in both dtypes. */
void tu_check_fused_backward(tg_tensor *(*op)(tg_tensor *), tu_shape shape, double lo, double hi);
/* Checks that op's fused rule, applied to a parameter in two tg_backward
 * sweeps (where it adds straight into the parameter's .grad), leaves there
 * exactly the bits of its gradient as tg_grad returns it added twice to a
 * zero gradient, in both dtypes. */
void tu_check_fused_backward_into_grad(tg_tensor *(*op)(tg_tensor *), tu_shape shape, double lo,
                                       double hi);

/* A test allocator: the C library's, counting every allocation and, with a
 * budget set, refusing every allocation past it. tu_allocator_install
 * destroys this thread's tape (made with the previous allocator) and makes
 * it the library's, with the count at 0 and no budget; tu_allocator_remove
 * destroys the tape again and restores the default. */
void tu_allocator_install(void);
void tu_allocator_remove(void);
long tu_allocations(void);             /* since install or the last reset */
void tu_allocations_reset(void);
void tu_allocation_budget(long n);     /* n more succeed, then NULL; -1: no limit */

/* Distance of float got from want in units of the last place of want's
 * float neighbourhood (subnormal spacing below FLT_MIN). */
double tu_ulps_off(float got, double want);

/* A whole file, malloc'd with one spare byte (a '\0' after it), and a file
 * written whole; either fails the test when the file cannot be used. */
unsigned char *tu_read_file(const char *path, size_t *len);
void tu_write_file(const char *path, const void *bytes, size_t len);

/* What a shell command printed (stdout and stderr, as the command routes
 * them) and its exit status (-1 when it did not exit); out is malloc'd,
 * grown to fit, and freed by the caller. */
typedef struct {
    int status;
    char *out;
} tu_output;
tu_output tu_run_shell(const char *cmd);
#define tu_assert_has(o, text)                                                               \
    ck_assert_msg(strstr((o).out, (text)) != NULL, "expected \"%s\" in:\n%s", (text), (o).out)
#define tu_assert_lacks(o, text)                                                             \
    ck_assert_msg(strstr((o).out, (text)) == NULL, "did not expect \"%s\" in:\n%s", (text),  \
                  (o).out)

/* A TCase whose tests each end with the tape destroyed (valgrind-clean). */
TCase *tu_tcase(const char *name);
/* Runs one suite; the exit status for main(). */
int tu_run(Suite *s);

#define tu_assert_close(got, want, tol)                                                      \
    do {                                                                                   \
        double g_ = (got), w_ = (want);                                                    \
        ck_assert_msg(fabs(g_ - w_) <= (tol) * (1 + fabs(w_)), "%s = %.17g, expected %.17g", \
                      #got, g_, w_);                                                       \
    } while (0)

#define tu_assert_ok(t) ck_assert_msg((t) != NULL, "%s failed: %s", #t, tg_last_error())

#endif
