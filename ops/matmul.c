/*
 * matmul.c -- matrix products through CBLAS gemm.
 *
 *   forward   c = op(a) @ op(b), where op transposes the last two axes when
 *             its flag is set (tg_matmul_t); the flags reach gemm as
 *             CblasTrans, so no transposed copy is ever made
 *   shapes    [m,k] @ [k,n] -> [m,n]. Leading axes are batch axes and
 *             broadcast: [b,m,k] @ [k,n] -> [b,m,n], [2,1,m,k] @ [3,k,n] ->
 *             [2,3,m,n]. tg_matmul also takes vectors: a 1-d left operand is
 *             a [1,k] row, a 1-d right operand a [k,1] column, and that axis
 *             is dropped from the result ([k] @ [k] -> 0-d).
 *   backward  with A = op(a), B = op(b): dA = g B^T and dB = A^T g; undoing op
 *               da = g op(b)^T,  or op(b) g^T when trans_a
 *               db = op(a)^T g,  or g^T op(a) when trans_b
 *             each one tg_matmul_t call (flags, no copies), then summed over
 *             the batch axes the operand was broadcast along and reshaped
 *             back for vectors.
 *
 * 0-d operands are an error (tg_mul scales). The batch is a loop of gemm
 * calls, one per output matrix, except when b has no batch axes and a is not
 * transposed: a's matrices are then consecutive rows of one tall matrix, and
 * one gemm does them all. Matrix sides must fit BLAS's int.
 */
#include <limits.h>
#include <string.h>

#include "gemm.h"
#include "kernel.h"
#include "jvp.h"

typedef struct {
    bool trans_a, trans_b;
    int64_t m, k, n; /* op(a) is m x k and op(b) is k x n */
    int batch_ndim;
    int64_t batch[TG_MAX_DIMS]; /* broadcast batch shape */
    /* matrices of a (step[0]) and b (step[1]) to advance per step along each
     * batch axis; 0 where the operand broadcasts */
    int64_t step[2][TG_MAX_DIMS];
} gemm_plan;

/* The stored shape of t's matrices; a vector is a row on the left of the
 * product and a column on the right. */
static void stored_matrix(const tg_tensor *t, bool left, int64_t *rows, int64_t *cols)
{
    if (t->ndim == 1) {
        *rows = left ? 1 : t->shape[0];
        *cols = left ? t->shape[0] : 1;
        return;
    }
    *rows = t->shape[t->ndim - 2];
    *cols = t->shape[t->ndim - 1];
}

static int batch_ndim(const tg_tensor *t) { return t->ndim > 2 ? t->ndim - 2 : 0; }

static int shapes_error(const char *fn, const char *what, const gemm_plan *p, const tg_tensor *a,
                        const tg_tensor *b)
{
    char as[96], bs[96];
    return tg__fail(TG_ESHAPE, "%s: %s: %s%s @ %s%s", fn, what,
                    tg__dims_str(a->ndim, a->shape, as, sizeof as), p->trans_a ? "^T" : "",
                    tg__dims_str(b->ndim, b->shape, bs, sizeof bs), p->trans_b ? "^T" : "");
}

/* Broadcasts the batch axes (NumPy rules, aligned on the right). */
static bool plan_batch(gemm_plan *p, const tg_tensor *a, const tg_tensor *b)
{
    int na = batch_ndim(a), nb = batch_ndim(b);
    p->batch_ndim = na > nb ? na : nb;
    int64_t a_matrices = 1, b_matrices = 1; /* in the batch axes right of d */
    for (int d = p->batch_ndim - 1; d >= 0; d--) {
        int sa = d - (p->batch_ndim - na), sb = d - (p->batch_ndim - nb);
        int64_t da = sa >= 0 ? a->shape[sa] : 1, db = sb >= 0 ? b->shape[sb] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        p->batch[d] = da == 1 ? db : da;
        p->step[0][d] = da == 1 ? 0 : a_matrices;
        p->step[1][d] = db == 1 ? 0 : b_matrices;
        a_matrices *= da;
        b_matrices *= db;
    }
    return true;
}

static int make_plan(const char *fn, const tg_tensor *a, const tg_tensor *b, bool trans_a,
                     bool trans_b, gemm_plan *p)
{
    memset(p, 0, sizeof *p);
    p->trans_a = trans_a;
    p->trans_b = trans_b;
    int64_t a_rows, a_cols, b_rows, b_cols;
    stored_matrix(a, true, &a_rows, &a_cols);
    stored_matrix(b, false, &b_rows, &b_cols);
    p->m = trans_a ? a_cols : a_rows;
    p->k = trans_a ? a_rows : a_cols;
    p->n = trans_b ? b_rows : b_cols;
    if ((trans_b ? b_cols : b_rows) != p->k)
        return shapes_error(fn, "inner dimensions differ", p, a, b);
    if (!plan_batch(p, a, b))
        return shapes_error(fn, "batch dimensions do not broadcast", p, a, b);
    if (p->m > INT_MAX || p->k > INT_MAX || p->n > INT_MAX)
        return shapes_error(fn, "a matrix side exceeds BLAS's int range", p, a, b);
    return TG_OK;
}

/* The batch shape, then m and n unless a vector operand drops them. */
static int result_shape(const gemm_plan *p, const tg_tensor *a, const tg_tensor *b,
                        int64_t *shape)
{
    int ndim = p->batch_ndim;
    memcpy(shape, p->batch, (size_t)ndim * sizeof *shape);
    if (a->ndim > 1)
        shape[ndim++] = p->m;
    if (b->ndim > 1)
        shape[ndim++] = p->n;
    return ndim;
}

/* One row-major gemm c = op(a) @ op(b) (plus c when accumulate) with m rows
 * (m > 0, k > 0, n > 0), through tg__gemm: tapegrad's threads, no
 * allocation (gemm.h). */
static void gemm(const gemm_plan *p, int64_t m, tg_dtype dtype, const void *a, const void *b,
                 bool accumulate, void *c)
{
    int64_t lda = p->trans_a ? m : p->k, ldb = p->trans_b ? p->k : p->n; /* stored row lengths */
    tg__gemm(dtype, p->trans_a, p->trans_b, m, p->n, p->k, a, lda, b, ldb, accumulate, c, p->n);
}

/* One gemm per output matrix; the batch index advances like an odometer,
 * carrying a's and b's matrix numbers mat[0], mat[1] along. */
static void batched_gemm(const gemm_plan *p, int64_t count, tg_tensor *c, const tg_tensor *a,
                         const tg_tensor *b)
{
    size_t esize = tg__dtype_size((tg_dtype)c->dtype);
    size_t a_bytes = (size_t)(p->m * p->k) * esize, b_bytes = (size_t)(p->k * p->n) * esize;
    size_t c_bytes = (size_t)(p->m * p->n) * esize;
    const char *a_data = a->data, *b_data = b->data;
    char *c_data = c->data;
    int64_t idx[TG_MAX_DIMS] = {0}, mat[2] = {0, 0};
    for (int64_t t = 0; t < count; t++) {
        gemm(p, p->m, (tg_dtype)c->dtype, a_data + (size_t)mat[0] * a_bytes,
             b_data + (size_t)mat[1] * b_bytes, false, c_data + (size_t)t * c_bytes);
        tg__odometer_next(p->batch_ndim, p->batch, 2, p->step, idx, mat);
    }
}

static void matmul_kernel(const gemm_plan *p, tg_tensor *c, const tg_tensor *a,
                          const tg_tensor *b)
{
    if (c->numel == 0)
        return;
    if (p->k == 0) { /* empty sums; BLAS would reject the zero row lengths */
        memset(c->data, 0, (size_t)c->numel * tg__dtype_size((tg_dtype)c->dtype));
        return;
    }
    int64_t count = tg__shape_numel(p->batch_ndim, p->batch);
    /* with one shared b, a's untransposed matrices are the consecutive rows
     * of a single [count * m, k] matrix, and c's likewise */
    if (b->ndim <= 2 && !p->trans_a && count * p->m <= INT_MAX) {
        gemm(p, count * p->m, (tg_dtype)c->dtype, a->data, b->data, false, c->data);
        return;
    }
    batched_gemm(p, count, c, a, b);
}

static int check_operand(const char *fn, const tg_tensor *t, int argno, int min_ndim)
{
    int rc = tg__check(fn, t, argno);
    if (rc < 0 || t->ndim >= min_ndim)
        return rc;
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: argument %d has shape %s; it needs at least %d dimension%s",
                    fn, argno, tg__dims_str(t->ndim, t->shape, dims, sizeof dims), min_ndim,
                    min_ndim > 1 ? "s" : "");
}

static tg_tensor *matmul(const tg_op *op, tg_tensor *a, tg_tensor *b, bool trans_a, bool trans_b,
                         int min_ndim)
{
    const char *fn = op->info.name;
    gemm_plan plan;
    if (check_operand(fn, a, 1, min_ndim) < 0 || check_operand(fn, b, 2, min_ndim) < 0 ||
        tg__check_same_dtype(fn, a, b) < 0 || make_plan(fn, a, b, trans_a, trans_b, &plan) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS];
    int ndim = result_shape(&plan, a, b, shape);
    tg_tensor *c = tg__tape_tensor(fn, (tg_dtype)a->dtype, ndim, shape);
    if (!c)
        return NULL;
    c->attr.i.flag_a = trans_a;
    c->attr.i.flag_b = trans_b;
    matmul_kernel(&plan, c, a, b);
    tg_tensor *in[2] = {a, b};
    return tg__record(c, op, 2, in);
}

/* t as a stack of matrices: a vector becomes a [1,k] row on the left of the
 * product or a [k,1] column on the right. */
static tg_tensor *as_matrices(tg_tensor *t, bool left)
{
    if (t->ndim != 1)
        return t;
    int64_t shape[2] = {left ? 1 : t->shape[0], left ? t->shape[0] : 1};
    return tg_reshape(t, 2, shape);
}

/* g with the axes that vector operands dropped from out put back as size 1. */
static tg_tensor *grad_as_matrices(tg_tensor *g, const tg_tensor *out)
{
    bool a_vector = out->in[0]->ndim == 1, b_vector = out->in[1]->ndim == 1;
    if (!a_vector && !b_vector)
        return g;
    int batch = out->ndim - !a_vector - !b_vector;
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, out->shape, (size_t)batch * sizeof *shape);
    shape[batch] = a_vector ? 1 : out->shape[batch];
    shape[batch + 1] = b_vector ? 1 : out->shape[out->ndim - 1];
    return tg_reshape(g, batch + 2, shape);
}

/* The gradient d of t's matrix form t2, summed over the batch axes t was
 * broadcast along and given t's own shape. */
static tg_tensor *fit_operand(tg_tensor *d, const tg_tensor *t2, const tg_tensor *t)
{
    d = tg__unbroadcast(d, t2);
    return t2 == t ? d : tg_reshape(d, t->ndim, t->shape);
}

/* operand's gradient x @ y (with transpose flags tx, ty) added straight
 * into its .grad by one gemm with beta = 1 -- no temporary, no separate add
 * pass, as KANN and PyTorch's addmm into an existing gradient do -- where
 * the sweep allows it (tg__grad_sink) and the product has operand's own
 * shape: x, y and operand plain matrices. Returns whether it did. */
static bool product_into_grad(tg_tensor *operand, tg_tensor *x, tg_tensor *y, bool tx, bool ty)
{
    if (operand->ndim != 2 || x->ndim != 2 || y->ndim != 2)
        return false;
    gemm_plan plan;
    if (make_plan("tg_backward", x, y, tx, ty, &plan) < 0) /* cannot fail: the forward passed */
        return false;
    tg_tensor *grad = tg__grad_sink(operand);
    if (!grad || grad->data == x->data || grad->data == y->data) /* a .grad in the product */
        return false;
    if (plan.k > 0 && grad->numel > 0)
        gemm(&plan, plan.m, (tg_dtype)grad->dtype, x->data, y->data, true, grad->data);
    return true;
}

/* One operand's gradient x @ y: added into its .grad (NULL left in *slot)
 * or returned in *slot, summed over broadcast batch axes and in its shape. */
static int operand_grad(tg_tensor *operand, tg_tensor *operand2, tg_tensor *x, tg_tensor *y,
                        bool tx, bool ty, tg_tensor **slot)
{
    if (product_into_grad(operand, x, y, tx, ty))
        return TG_OK;
    *slot = fit_operand(tg_matmul_t(x, y, tx, ty), operand2, operand);
    return *slot ? TG_OK : tg__latest_code();
}

static int matmul_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    bool trans_a = out->attr.i.flag_a, trans_b = out->attr.i.flag_b;
    tg_tensor *a2 = as_matrices(a, true), *b2 = as_matrices(b, false);
    tg_tensor *g2 = grad_as_matrices(g, out);
    int rc = TG_OK;
    if (a->flags & TG_REQUIRES_GRAD)
        rc = trans_a ? operand_grad(a, a2, b2, g2, trans_b, true, &grad_in[0])
                     : operand_grad(a, a2, g2, b2, false, !trans_b, &grad_in[0]);
    if (rc == 0 && (b->flags & TG_REQUIRES_GRAD))
        rc = trans_b ? operand_grad(b, b2, g2, a2, true, trans_a, &grad_in[1])
                     : operand_grad(b, b2, a2, g2, !trans_a, false, &grad_in[1]);
    return rc;
}

/* a @ b with out's transpose flags: the product out was made by */
static tg_tensor *product_like(const tg_tensor *out, tg_tensor *a, tg_tensor *b)
{
    if (out->op->info.kind == TG_OP_MATMUL)
        return tg_matmul(a, b);
    return tg_matmul_t(a, b, out->attr.i.flag_a, out->attr.i.flag_b);
}

/* d(a @ b) = ta @ b + a @ tb */
static int matmul_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *terms[2] = {
        tangent_in[0] ? product_like(out, tangent_in[0], b) : NULL,
        tangent_in[1] ? product_like(out, a, tangent_in[1]) : NULL,
    };
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* The plan again from the operands' shapes and the saved transposes. */
static int matmul_rerun(tg_tensor *out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    gemm_plan plan;
    int rc = make_plan(out->op->info.name, a, b, out->attr.i.flag_a, out->attr.i.flag_b, &plan);
    if (rc < 0)
        return rc;
    matmul_kernel(&plan, out, a, b);
    return TG_OK;
}

TG_SAMPLE_FN(sample_matmul, tg_matmul(in[0], in[1]))

const tg_op tg__op_matmul = {
    .info = {TG_OP_MATMUL, "tg_matmul", 2, 0,
             {sample_matmul, 2, TG_SAMPLE_MATMUL, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = matmul_backward,
    .jvp = matmul_jvp,
    .rerun = matmul_rerun,
};
TG_SAMPLE_FN(sample_matmul_t, tg_matmul_t(in[0], in[1], false, true))

const tg_op tg__op_matmul_t = {
    .info = {TG_OP_MATMUL_T, "tg_matmul_t", 2, 0,
             {sample_matmul_t, 2, TG_SAMPLE_MATMUL_T, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = matmul_backward,
    .jvp = matmul_jvp,
    .rerun = matmul_rerun,
};

tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b)
{
    return matmul(&tg__op_matmul, a, b, false, false, 1);
}

tg_tensor *tg_matmul_t(tg_tensor *a, tg_tensor *b, bool trans_a, bool trans_b)
{
    return matmul(&tg__op_matmul_t, a, b, trans_a, trans_b, 2);
}
