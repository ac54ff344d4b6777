/* suite_optim.c -- optimizers, clipping and schedules against hand
 * computations and independently written reference formulas. */
#include <stdlib.h>
#include <string.h>

#include <tapegrad/optim.h>

#include "testutil.h"

#define tu_assert_error_has(text)                                                  \
    ck_assert_msg(strstr(tg_last_error(), (text)) != NULL, "error \"%s\" lacks \"%s\"", \
                  tg_last_error(), (text))

/* ---- a quadratic bowl: loss = 1/2 sum_i A_i (w_i - C_i)^2, dloss/dw_i = A_i (w_i - C_i) ---- */

enum { DIM = 3 };
static const double A[DIM] = {1.0, 2.5, 0.5};
static const double C[DIM] = {0.3, -1.2, 2.0};
static const double W0[DIM] = {1.5, 0.4, -0.7};

static tg_params *one_param(tg_dtype dtype, const char *name, int ndim, const int64_t *shape,
                            const double *values)
{
    tg_params *ps = tg_params_new();
    tu_assert_ok(ps);
    ck_assert_int_eq(tg_params_add(ps, name, tg_param(dtype, ndim, shape, values)), 0);
    return ps;
}

static tg_params *bowl_params(tg_dtype dtype)
{
    return one_param(dtype, "w", 1, (int64_t[]){DIM}, W0);
}

/* Zeroes the gradient and sweeps the bowl's loss, leaving d loss / dw in w. */
static void bowl_gradient(tg_params *ps)
{
    tg_params_zero_grad(ps);
    tg_tensor *w = tg_params_get(ps, "w");
    tg_dtype dt = tg_dtype_of(w);
    tg_tensor *d = tg_sub(w, tu_tensor(dt, TU_SHAPE(DIM), C, false));
    tg_tensor *loss = tg_mul_scalar(tg_sum(tg_mul(tu_tensor(dt, TU_SHAPE(DIM), A, false),
                                                  tg_mul(d, d))), 0.5);
    ck_assert_msg(tg_backward(loss) == 0, "%s", tg_last_error());
    tg_tape_reset();
}

/* Runs steps updates of cfg on the bowl; leaves w in out. */
static void run_on_bowl(const tg_optim_config *cfg, tg_dtype dtype, int steps, double *out)
{
    tg_params *ps = bowl_params(dtype);
    tg_optim *o = tg_optim_new(ps, cfg);
    tu_assert_ok(o);
    for (int t = 0; t < steps; t++) {
        bowl_gradient(ps);
        ck_assert_int_eq(tg_optim_step(o), 0);
    }
    ck_assert_int_eq(tg_optim_steps(o), steps);
    for (int i = 0; i < DIM; i++)
        out[i] = tg_get(tg_params_get(ps, "w"), i);
    tg_optim_free(o);
    tg_params_free(ps);
}

/* The references below are written from the textbook statement of each rule
 * (PyTorch's documentation), not from the library's code. */

static void reference_sgd(const tg_optim_config *cfg, int steps, double *w)
{
    double buf[DIM];
    memcpy(w, W0, sizeof W0);
    for (int t = 1; t <= steps; t++) {
        for (int i = 0; i < DIM; i++) {
            double g = A[i] * (w[i] - C[i]) + cfg->weight_decay * w[i];
            if (cfg->momentum > 0) {
                buf[i] = t == 1 ? g : cfg->momentum * buf[i] + (1 - cfg->dampening) * g;
                g = cfg->nesterov ? g + cfg->momentum * buf[i] : buf[i];
            }
            w[i] = w[i] - cfg->lr * g;
        }
    }
}

/* Adam with bias-corrected estimates m_hat and v_hat; AdamW first shrinks w. */
static void reference_adam(const tg_optim_config *cfg, int steps, double *w, double *m, double *v)
{
    bool adamw = cfg->kind == TG_OPTIM_ADAMW;
    memcpy(w, W0, sizeof W0);
    for (int i = 0; i < DIM; i++)
        m[i] = v[i] = 0;
    for (int t = 1; t <= steps; t++) {
        for (int i = 0; i < DIM; i++) {
            double g = A[i] * (w[i] - C[i]);
            if (adamw)
                w[i] -= cfg->lr * cfg->weight_decay * w[i];
            else
                g += cfg->weight_decay * w[i];
            m[i] = cfg->beta1 * m[i] + (1 - cfg->beta1) * g;
            v[i] = cfg->beta2 * v[i] + (1 - cfg->beta2) * g * g;
            double m_hat = m[i] / (1 - pow(cfg->beta1, t));
            double v_hat = v[i] / (1 - pow(cfg->beta2, t));
            w[i] -= cfg->lr * m_hat / (sqrt(v_hat) + cfg->eps);
        }
    }
}

static tg_optim_config sgd(double lr, double momentum, double dampening, bool nesterov,
                           double weight_decay)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_SGD);
    c.lr = lr;
    c.momentum = momentum;
    c.dampening = dampening;
    c.nesterov = nesterov;
    c.weight_decay = weight_decay;
    return c;
}

/* ---- hand computations on f(w) = w^2 / 2, whose gradient is w ---- */

static double scalar_run(const tg_optim_config *cfg, int steps)
{
    double w0 = 1;
    tg_params *ps = one_param(TG_F64, "w", 0, NULL, &w0);
    tg_tensor *w = tg_params_get(ps, "w");
    tg_optim *o = tg_optim_new(ps, cfg);
    tu_assert_ok(o);
    for (int t = 0; t < steps; t++) {
        tg_optim_zero_grad(o);
        ck_assert_int_eq(tg_backward(tg_mul_scalar(tg_mul(w, w), 0.5)), 0);
        tg_tape_reset();
        ck_assert_int_eq(tg_optim_step(o), 0);
    }
    double result = tg_item(w);
    tg_optim_free(o);
    tg_params_free(ps);
    return result;
}

START_TEST(sgd_by_hand)
{
    /* w <- w - 0.1 w = 0.9 w */
    tg_optim_config c = sgd(0.1, 0, 0, false, 0);
    tu_assert_close(scalar_run(&c, 1), 0.9, 1e-15);
    tu_assert_close(scalar_run(&c, 3), 0.729, 1e-15);
}
END_TEST

START_TEST(momentum_by_hand)
{
    /* b1 = g1 = 1, w1 = 0.9; b2 = 0.9*1 + 0.9 = 1.8, w2 = 0.72;
     * b3 = 0.9*1.8 + 0.72 = 2.34, w3 = 0.72 - 0.234 = 0.486 */
    tg_optim_config c = sgd(0.1, 0.9, 0, false, 0);
    tu_assert_close(scalar_run(&c, 1), 0.9, 1e-15);
    tu_assert_close(scalar_run(&c, 2), 0.72, 1e-15);
    tu_assert_close(scalar_run(&c, 3), 0.486, 1e-15);
}
END_TEST

START_TEST(nesterov_by_hand)
{
    /* step 1: b = 1, d = 1 + 0.9*1 = 1.9, w = 0.81
     * step 2: g = 0.81, b = 0.9 + 0.81 = 1.71, d = 0.81 + 1.539 = 2.349, w = 0.5751 */
    tg_optim_config c = sgd(0.1, 0.9, 0, true, 0);
    tu_assert_close(scalar_run(&c, 1), 0.81, 1e-15);
    tu_assert_close(scalar_run(&c, 2), 0.5751, 1e-15);
}
END_TEST

START_TEST(weight_decay_by_hand)
{
    /* g = w + 0.5 w = 1.5 w: w <- w (1 - 0.1*1.5) = 0.85 w */
    tg_optim_config c = sgd(0.1, 0, 0, false, 0.5);
    tu_assert_close(scalar_run(&c, 2), 0.85 * 0.85, 1e-15);
}
END_TEST

START_TEST(adam_first_step_by_hand)
{
    /* m_hat = g and v_hat = g^2 after one step, so w moves by lr g/(|g| + eps) */
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    c.lr = 0.1;
    tu_assert_close(scalar_run(&c, 1), 1 - 0.1 / (1 + 1e-8), 1e-15);
}
END_TEST

START_TEST(adamw_decay_is_decoupled)
{
    /* A zero gradient: AdamW only shrinks w by 1 - lr wd = 0.95; Adam's L2
     * term is a gradient of wd w = 1, which moves w by lr (first step). */
    double w0 = 2;
    for (int kind = TG_OPTIM_ADAM; kind <= TG_OPTIM_ADAMW; kind++) {
        tg_params *ps = one_param(TG_F64, "w", 0, NULL, &w0);
        tg_tensor *w = tg_params_get(ps, "w");
        tg_optim_config c = tg_optim_defaults((tg_optim_kind)kind);
        c.lr = 0.1;
        c.weight_decay = 0.5;
        tg_optim *o = tg_optim_new(ps, &c);
        ck_assert_int_eq(tg_backward(tg_mul_scalar(w, 0)), 0);
        tg_tape_reset();
        ck_assert_int_eq(tg_optim_step(o), 0);
        double want = kind == TG_OPTIM_ADAMW ? 1.9 : 2 - 0.1 * 1 / (1 + 1e-8);
        tu_assert_close(tg_item(w), want, 1e-15);
        tg_optim_free(o);
        tg_params_free(ps);
    }
}
END_TEST

/* ---- several steps on the bowl against the references ---- */

START_TEST(sgd_variants_match_reference)
{
    const tg_optim_config cases[] = {
        sgd(0.1, 0, 0, false, 0),       sgd(0.1, 0.9, 0, false, 0),
        sgd(0.05, 0.8, 0.3, false, 0),  sgd(0.1, 0.9, 0, true, 0),
        sgd(0.1, 0, 0, false, 0.2),     sgd(0.07, 0.5, 0.1, false, 0.1),
        sgd(0.07, 0.6, 0, true, 0.05),
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double got[DIM], want[DIM];
        run_on_bowl(&cases[k], TG_F64, 6, got);
        reference_sgd(&cases[k], 6, want);
        for (int i = 0; i < DIM; i++)
            ck_assert_msg(fabs(got[i] - want[i]) <= 1e-12 * (1 + fabs(want[i])),
                          "case %zu, w[%d] = %.17g, expected %.17g", k, i, got[i], want[i]);
    }
}
END_TEST

START_TEST(adam_and_adamw_match_reference)
{
    for (int kind = TG_OPTIM_ADAM; kind <= TG_OPTIM_ADAMW; kind++) {
        for (int decay = 0; decay <= 1; decay++) {
            tg_optim_config c = tg_optim_defaults((tg_optim_kind)kind);
            c.lr = 0.05;
            c.beta1 = 0.8;
            c.beta2 = 0.95;
            c.eps = 1e-6;
            c.weight_decay = decay ? 0.3 : 0;
            double got[DIM], want[DIM], m[DIM], v[DIM];
            run_on_bowl(&c, TG_F64, 7, got);
            reference_adam(&c, 7, want, m, v);
            for (int i = 0; i < DIM; i++)
                ck_assert_msg(fabs(got[i] - want[i]) <= 1e-12 * (1 + fabs(want[i])),
                              "kind %d decay %d, w[%d] = %.17g, expected %.17g", kind, decay, i,
                              got[i], want[i]);
        }
    }
}
END_TEST

START_TEST(f32_parameters_update_in_f32)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAMW);
    c.lr = 0.05;
    tg_params *ps = bowl_params(TG_F32);
    tg_optim *o = tg_optim_new(ps, &c);
    for (int t = 0; t < 5; t++) {
        bowl_gradient(ps);
        ck_assert_int_eq(tg_optim_step(o), 0);
    }
    double want[DIM], m[DIM], v[DIM];
    reference_adam(&c, 5, want, m, v);
    const tg_tensor *exp_avg = tg_optim_state(o, "w", "exp_avg");
    tu_assert_ok(exp_avg);
    ck_assert_int_eq(tg_dtype_of(exp_avg), TG_F32);
    ck_assert_int_eq(tg_dtype_of(tg_params_get(ps, "w")), TG_F32);
    for (int i = 0; i < DIM; i++) {
        tu_assert_close(tg_get(tg_params_get(ps, "w"), i), want[i], 1e-5);
        tu_assert_close(tg_get(exp_avg, i), m[i], 1e-5);
    }
    tg_optim_free(o);
    tg_params_free(ps);

    tg_optim_config s = sgd(0.1, 0.9, 0, true, 0.01);
    double got32[DIM];
    run_on_bowl(&s, TG_F32, 5, got32);
    reference_sgd(&s, 5, want);
    for (int i = 0; i < DIM; i++)
        tu_assert_close(got32[i], want[i], 1e-5);
}
END_TEST

/* ---- state by name ---- */

START_TEST(state_is_found_by_parameter_name)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    c.lr = 0.05;
    tg_params *ps = bowl_params(TG_F64);
    tg_optim *o = tg_optim_new(ps, &c);
    ck_assert_ptr_null(tg_optim_state(o, "w", "exp_avg"));
    tu_assert_error_has("tg_optim_state: parameter \"w\" has not been updated yet");
    tg_clear_error();
    ck_assert_int_eq(tg_optim_param_steps(o, "w"), 0);
    for (int t = 0; t < 4; t++) {
        bowl_gradient(ps);
        tg_optim_step(o);
    }
    double w[DIM], m[DIM], v[DIM];
    reference_adam(&c, 4, w, m, v);
    const tg_tensor *exp_avg = tg_optim_state(o, "w", "exp_avg");
    const tg_tensor *exp_avg_sq = tg_optim_state(o, "w", "exp_avg_sq");
    tu_assert_ok(exp_avg);
    tu_assert_ok(exp_avg_sq);
    for (int i = 0; i < DIM; i++) {
        tu_assert_close(tg_get(exp_avg, i), m[i], 1e-12);
        tu_assert_close(tg_get(exp_avg_sq, i), v[i], 1e-12);
    }
    ck_assert_int_eq(tg_optim_param_steps(o, "w"), 4);

    ck_assert_ptr_null(tg_optim_state(o, "nope", "exp_avg"));
    tu_assert_error_has("tg_optim_state: no parameter named \"nope\"");
    tg_clear_error();
    ck_assert_int_lt(tg_optim_param_steps(o, "nope"), 0);
    tu_assert_error_has("tg_optim_param_steps: no parameter named \"nope\"");
    tg_clear_error();
    ck_assert_ptr_null(tg_optim_state(o, "w", "momentum_buffer"));
    tu_assert_error_has("tg_optim_state: Adam keeps no slot \"momentum_buffer\"");
    tg_clear_error();
    tg_optim_free(o);

    tg_optim_config plain = sgd(0.1, 0, 0, false, 0);
    o = tg_optim_new(ps, &plain);
    ck_assert_ptr_null(tg_optim_state(o, "w", "momentum_buffer"));
    tu_assert_error_has("SGD without momentum keeps no slot \"momentum_buffer\"");
    tg_clear_error();
    tg_optim_free(o);
    tg_params_free(ps);
}
END_TEST

START_TEST(momentum_buffer_is_found_by_name)
{
    tg_optim_config c = sgd(0.1, 0.9, 0, false, 0);
    tg_params *ps = bowl_params(TG_F64);
    tg_optim *o = tg_optim_new(ps, &c);
    bowl_gradient(ps);
    tg_optim_step(o);
    const tg_tensor *buf = tg_optim_state(o, "w", "momentum_buffer");
    tu_assert_ok(buf);
    for (int i = 0; i < DIM; i++) /* the first buffer is the first gradient */
        tu_assert_close(tg_get(buf, i), A[i] * (W0[i] - C[i]), 1e-15);
    tg_optim_free(o);
    tg_params_free(ps);
}
END_TEST

START_TEST(parameters_without_gradient_are_left_alone)
{
    double u0 = 5;
    tg_params *ps = bowl_params(TG_F64);
    ck_assert_int_eq(tg_params_add(ps, "unused", tg_param(TG_F64, 0, NULL, &u0)), 0);
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAMW);
    tg_optim *o = tg_optim_new(ps, &c);
    bowl_gradient(ps);
    ck_assert_int_eq(tg_optim_step(o), 0);
    tu_assert_close(tg_item(tg_params_get(ps, "unused")), 5, 0);
    ck_assert_int_eq(tg_optim_param_steps(o, "unused"), 0);
    ck_assert_int_eq(tg_optim_param_steps(o, "w"), 1);
    ck_assert_ptr_null(tg_optim_state(o, "unused", "exp_avg"));
    tg_optim_free(o);
    tg_params_free(ps);
}
END_TEST

/* Copies every slot of from into to, as a checkpoint load would. */
static void copy_state(const tg_optim *from, tg_optim *to, const char *const *slots, int n)
{
    for (int k = 0; k < n; k++) {
        const tg_tensor *s = tg_optim_state(from, "w", slots[k]);
        tu_assert_ok(s);
        ck_assert_int_eq(tg_optim_set_state(to, "w", slots[k], s, tg_optim_param_steps(from, "w")),
                         0);
    }
}

START_TEST(restored_state_resumes_identically)
{
    const char *const adam_slots[] = {"exp_avg", "exp_avg_sq"};
    const char *const sgd_slots[] = {"momentum_buffer"};
    tg_optim_config cfgs[2] = {tg_optim_defaults(TG_OPTIM_ADAM), sgd(0.05, 0.9, 0, true, 0)};
    cfgs[0].lr = 0.05;
    for (int k = 0; k < 2; k++) {
        tg_params *pa = bowl_params(TG_F64), *pb = bowl_params(TG_F64);
        tg_optim *a = tg_optim_new(pa, &cfgs[k]), *b = tg_optim_new(pb, &cfgs[k]);
        for (int t = 0; t < 3; t++) {
            bowl_gradient(pa);
            tg_optim_step(a);
        }
        for (int i = 0; i < DIM; i++) /* b's parameters as a checkpoint would restore them */
            tg_set(tg_params_get(pb, "w"), i, tg_get(tg_params_get(pa, "w"), i));
        copy_state(a, b, k == 0 ? adam_slots : sgd_slots, k == 0 ? 2 : 1);
        for (int t = 0; t < 3; t++) {
            bowl_gradient(pa);
            bowl_gradient(pb);
            tg_optim_step(a);
            tg_optim_step(b);
        }
        for (int i = 0; i < DIM; i++)
            ck_assert_double_eq(tg_get(tg_params_get(pa, "w"), i),
                                tg_get(tg_params_get(pb, "w"), i));
        tg_optim_free(a);
        tg_optim_free(b);
        tg_params_free(pa);
        tg_params_free(pb);
    }
}
END_TEST

START_TEST(restore_errors_name_the_problem)
{
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_params *ps = bowl_params(TG_F64);
    tg_optim *o = tg_optim_new(ps, &c);
    tg_tensor *ok = tu_tensor(TG_F32, TU_SHAPE(DIM), NULL, false);
    tg_tensor *wrong = tu_tensor(TG_F64, TU_SHAPE(2), NULL, false);
    ck_assert_int_eq(tg_optim_set_state(o, "w", "exp_avg", wrong, 1), TG_ESHAPE);
    tu_assert_error_has("tg_optim_set_state: values of shape [2] for \"w\" of shape [3]");
    tg_clear_error();
    ck_assert_int_eq(tg_optim_set_state(o, "w", "exp_avg", ok, 0), TG_EVALUE);
    tu_assert_error_has("tg_optim_set_state: steps must be >= 1, got 0");
    tg_clear_error();
    ck_assert_int_eq(tg_optim_set_state(o, "v", "exp_avg", ok, 1), TG_EVALUE);
    tu_assert_error_has("tg_optim_set_state: no parameter named \"v\"");
    tg_clear_error();
    ck_assert_int_eq(tg_optim_set_state(o, "w", "velocity", ok, 1), TG_EVALUE);
    tu_assert_error_has("tg_optim_set_state: Adam keeps no slot \"velocity\"");
    tg_clear_error();
    ck_assert_int_eq(tg_optim_set_state(o, "w", NULL, ok, 1), TG_ENULL);
    ck_assert_int_eq(tg_optim_param_steps(o, "w"), 0); /* nothing was restored */
    ck_assert_int_eq(tg_optim_set_state(o, "w", "exp_avg", ok, 2), 0);
    ck_assert_int_eq(tg_optim_param_steps(o, "w"), 2);
    tg_optim_free(o);
    tg_params_free(ps);
}
END_TEST

/* ---- the notes' three rules on y = a + b x, L = 1/2 (y - yhat)^2 ---- */

enum { NOTES_N = 4 };
static const double NOTES_X[NOTES_N] = {-10, 12, -5, 6};
static const double NOTES_Y[NOTES_N] = {6, 30, 19, 0};

static tg_params *line_params(double a0, double b0)
{
    tg_params *ps = one_param(TG_F64, "a", 0, NULL, &a0);
    ck_assert_int_eq(tg_params_add(ps, "b", tg_param(TG_F64, 0, NULL, &b0)), 0);
    return ps;
}

/* The gradient of the loss averaged over samples first .. first + count - 1. */
static void line_gradient(tg_params *ps, int first, int count)
{
    tg_params_zero_grad(ps);
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(count), NOTES_X + first, false);
    tg_tensor *y = tu_tensor(TG_F64, TU_SHAPE(count), NOTES_Y + first, false);
    tg_tensor *yhat = tg_add(tg_params_get(ps, "a"), tg_mul(tg_params_get(ps, "b"), x));
    tg_tensor *r = tg_sub(y, yhat);
    ck_assert_int_eq(tg_backward(tg_mean(tg_mul_scalar(tg_mul(r, r), 0.5))), 0);
    tg_tape_reset();
}

/* steps of plain SGD with batches of batch samples taken in order, cycling. */
static void train_line(double eta, int batch, int steps, double *a, double *b)
{
    tg_params *ps = line_params(0, 0);
    tg_optim_config c = sgd(eta, 0, 0, false, 0);
    tg_optim *o = tg_optim_new(ps, &c);
    for (int t = 0; t < steps; t++) {
        line_gradient(ps, (t * batch) % NOTES_N, batch);
        ck_assert_int_eq(tg_optim_step(o), 0);
    }
    *a = tg_item(tg_params_get(ps, "a"));
    *b = tg_item(tg_params_get(ps, "b"));
    tg_optim_free(o);
    tg_params_free(ps);
}

/* The notes' rule by hand: w_new = w_old - eta 1/B sum_i grad l_i, with
 * dl_i/da = -(y_i - a - b x_i) and dl_i/db = -(y_i - a - b x_i) x_i. */
static void by_hand(double eta, int batch, int steps, double *a, double *b)
{
    *a = *b = 0;
    for (int t = 0; t < steps; t++) {
        double ga = 0, gb = 0;
        for (int k = 0; k < batch; k++) {
            int i = (t * batch + k) % NOTES_N;
            double residual = NOTES_Y[i] - (*a + *b * NOTES_X[i]);
            ga -= residual;
            gb -= residual * NOTES_X[i];
        }
        *a -= eta * ga / batch;
        *b -= eta * gb / batch;
    }
}

static void check_rule(double eta, int batch, int steps)
{
    double a, b, want_a, want_b;
    train_line(eta, batch, steps, &a, &b);
    by_hand(eta, batch, steps, &want_a, &want_b);
    ck_assert_msg(fabs(a - want_a) <= 1e-12 * (1 + fabs(want_a)), "batch %d: a = %.17g, want %.17g",
                  batch, a, want_a);
    ck_assert_msg(fabs(b - want_b) <= 1e-12 * (1 + fabs(want_b)), "batch %d: b = %.17g, want %.17g",
                  batch, b, want_b);
}

START_TEST(full_batch_gradient_descent)
{
    /* First step from a = b = 0: the residuals are y, so
     * grad a = -mean(y) = -55/4 = -13.75 and grad b = -mean(x y) = -205/4. */
    double a, b;
    train_line(0.01, NOTES_N, 1, &a, &b);
    tu_assert_close(a, 0.1375, 1e-15);
    tu_assert_close(b, 0.5125, 1e-15);
    check_rule(0.01, NOTES_N, 5);
}
END_TEST

START_TEST(single_sample_sgd)
{
    /* First step on sample 0 alone (x = -10, y = 6): a = 0.06, b = -0.6. */
    double a, b;
    train_line(0.01, 1, 1, &a, &b);
    tu_assert_close(a, 0.06, 1e-15);
    tu_assert_close(b, -0.6, 1e-15);
    check_rule(0.005, 1, 8);
}
END_TEST

START_TEST(mini_batch_sgd)
{
    /* First batch {0, 1}: grad a = -(6 + 30)/2 = -18, grad b = -(-60 + 360)/2 = -150. */
    double a, b;
    train_line(0.01, 2, 1, &a, &b);
    tu_assert_close(a, 0.18, 1e-15);
    tu_assert_close(b, 1.5, 1e-15);
    check_rule(0.01, 2, 6);
}
END_TEST

/* ---- training to convergence ---- */

/* Least squares for the notes' data: b = cov(x, y) / var(x), a = mean y - b mean x. */
static void least_squares(double *a, double *b)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < NOTES_N; i++) {
        mx += NOTES_X[i] / NOTES_N;
        my += NOTES_Y[i] / NOTES_N;
    }
    for (int i = 0; i < NOTES_N; i++) {
        sxy += (NOTES_X[i] - mx) * (NOTES_Y[i] - my);
        sxx += (NOTES_X[i] - mx) * (NOTES_X[i] - mx);
    }
    *b = sxy / sxx;
    *a = my - *b * mx;
}

/* Full-batch training with a cosine-annealed rate (Adam needs the rate to
 * shrink to settle on the minimum). */
static void fit_line(const tg_optim_config *cfg, int steps, double *a, double *b)
{
    tg_params *ps = line_params(0, 0);
    tg_optim *o = tg_optim_new(ps, cfg);
    tu_assert_ok(o);
    for (int t = 0; t < steps; t++) {
        ck_assert_int_eq(tg_optim_set_lr(o, tg_lr_cosine(cfg->lr, 0, t, steps)), 0);
        line_gradient(ps, 0, NOTES_N);
        ck_assert_int_eq(tg_optim_step(o), 0);
    }
    *a = tg_item(tg_params_get(ps, "a"));
    *b = tg_item(tg_params_get(ps, "b"));
    tg_optim_free(o);
    tg_params_free(ps);
}

START_TEST(every_optimizer_converges)
{
    tg_optim_config adam = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim_config adamw = tg_optim_defaults(TG_OPTIM_ADAMW);
    adam.lr = adamw.lr = 0.5;
    adamw.weight_decay = 0; /* with decay the minimum moves; shown in adamw_decay_is_decoupled */
    const tg_optim_config cases[] = {
        sgd(0.02, 0, 0, false, 0), sgd(0.005, 0.9, 0, false, 0), sgd(0.005, 0.9, 0, true, 0),
        adam, adamw,
    };
    double want_a, want_b;
    least_squares(&want_a, &want_b);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double a, b;
        fit_line(&cases[k], 3000, &a, &b);
        ck_assert_msg(fabs(a - want_a) < 1e-6 && fabs(b - want_b) < 1e-6,
                      "case %zu: (a, b) = (%.10g, %.10g), least squares (%.10g, %.10g)", k, a, b,
                      want_a, want_b);
    }
}
END_TEST

/* ---- clipping ---- */

/* Gives p the gradient values (numel of them). */
static void set_grad(tg_tensor *p, const double *values)
{
    if (!tg_grad_tensor(p)) {
        ck_assert_int_eq(tg_backward(tg_sum(tg_mul_scalar(p, 0))), 0);
        tg_tape_reset();
    }
    ck_assert_int_eq(tg_copy_from(tg_grad_tensor(p), values), 0);
}

static tg_params *clip_params(void)
{
    tg_params *ps = one_param(TG_F64, "w", 1, (int64_t[]){3}, NULL);
    ck_assert_int_eq(tg_params_add(ps, "v", tg_param(TG_F32, 0, NULL, NULL)), 0);
    ck_assert_int_eq(tg_params_add(ps, "no_grad", tg_param(TG_F64, 0, NULL, NULL)), 0);
    set_grad(tg_params_get(ps, "w"), (double[]){3, 4, 0});
    set_grad(tg_params_get(ps, "v"), (double[]){12});
    return ps;
}

START_TEST(clip_scales_to_max_norm)
{
    /* norm = sqrt(9 + 16 + 144) = 13, across an f64 and an f32 parameter */
    tg_params *ps = clip_params();
    tu_assert_close(tg_clip_grad_norm(ps, 6.5), 13, 1e-15);
    double factor = 6.5 / (13 + 1e-6);
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 0), 3 * factor, 1e-15);
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 1), 4 * factor, 1e-15);
    tu_assert_close(tg_grad_get(tg_params_get(ps, "v"), 0), 12 * factor, 1e-7);
    tu_assert_close(tg_clip_grad_norm(ps, 100), 6.5, 1e-6); /* the new norm, left alone */
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 0), 3 * factor, 1e-15);
    tg_params_free(ps);
}
END_TEST

START_TEST(clip_leaves_small_gradients)
{
    tg_params *ps = clip_params();
    tu_assert_close(tg_clip_grad_norm(ps, 13), 13, 1e-15); /* factor 13/(13 + 1e-6) < 1 */
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 1), 4 * 13 / (13 + 1e-6), 1e-15);
    tu_assert_close(tg_clip_grad_norm(ps, 20), 13 * 13 / (13 + 1e-6), 1e-7); /* v is f32 */
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 1), 4 * 13 / (13 + 1e-6), 1e-15);
    double norm = tg_clip_grad_norm(ps, INFINITY); /* measures only */
    tu_assert_close(norm, 13 * 13 / (13 + 1e-6), 1e-7);
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 1), 4 * 13 / (13 + 1e-6), 1e-15);
    tg_params_free(ps);
}
END_TEST

START_TEST(clip_errors)
{
    tg_params *ps = clip_params();
    ck_assert(isnan(tg_clip_grad_norm(NULL, 1)));
    tu_assert_error_has("tg_clip_grad_norm: argument 1 (params) is NULL");
    tg_clear_error();
    ck_assert(isnan(tg_clip_grad_norm(ps, -1)));
    tu_assert_error_has("tg_clip_grad_norm: max_norm must be >= 0, got -1");
    tg_clear_error();
    ck_assert(isnan(tg_clip_grad_norm(ps, NAN)));
    tu_assert_error_has("max_norm must be >= 0, got nan");
    tg_clear_error();
    set_grad(tg_params_get(ps, "w"), (double[]){3, INFINITY, 0});
    ck_assert(isnan(tg_clip_grad_norm(ps, 1)));
    tu_assert_error_has("tg_clip_grad_norm: the gradient norm is inf; gradients left unchanged");
    tg_clear_error();
    tu_assert_close(tg_grad_get(tg_params_get(ps, "w"), 0), 3, 0);
    tg_params_free(ps);
}
END_TEST

/* ---- schedules ---- */

START_TEST(schedules_at_points)
{
    tu_assert_close(tg_lr_step(0.1, 0, 3, 0.5), 0.1, 0);
    tu_assert_close(tg_lr_step(0.1, 2, 3, 0.5), 0.1, 0);
    tu_assert_close(tg_lr_step(0.1, 3, 3, 0.5), 0.05, 0);
    tu_assert_close(tg_lr_step(0.1, 7, 3, 0.5), 0.025, 0);

    tu_assert_close(tg_lr_cosine(1, 0.1, 0, 10), 1, 1e-15);
    tu_assert_close(tg_lr_cosine(1, 0.1, 5, 10), 0.55, 1e-15);
    tu_assert_close(tg_lr_cosine(1, 0.1, 2, 10), 0.1 + 0.9 * (1 + cos(acos(-1) / 5)) / 2, 1e-15);
    tu_assert_close(tg_lr_cosine(1, 0.1, 10, 10), 0.1, 1e-15);
    tu_assert_close(tg_lr_cosine(1, 0.1, 25, 10), 0.1, 0);

    tu_assert_close(tg_lr_warmup(0.1, 0, 4), 0.025, 1e-15);
    tu_assert_close(tg_lr_warmup(0.1, 2, 4), 0.075, 1e-15);
    tu_assert_close(tg_lr_warmup(0.1, 3, 4), 0.1, 0);
    tu_assert_close(tg_lr_warmup(0.1, 100, 4), 0.1, 0);
}
END_TEST

START_TEST(schedule_errors)
{
    ck_assert(isnan(tg_lr_step(0.1, 5, 0, 0.5)));
    tu_assert_error_has("tg_lr_step: step_size must be >= 1, got 0");
    tg_clear_error();
    ck_assert(isnan(tg_lr_step(0.1, -1, 2, 0.5)));
    tu_assert_error_has("tg_lr_step: epoch must be >= 0, got -1");
    tg_clear_error();
    ck_assert(isnan(tg_lr_step(0.1, 1, 2, 0)));
    tu_assert_error_has("tg_lr_step: gamma must be finite and > 0, got 0");
    tg_clear_error();
    ck_assert(isnan(tg_lr_cosine(0.1, 0, 3, 0)));
    tu_assert_error_has("tg_lr_cosine: t_max must be >= 1, got 0");
    tg_clear_error();
    ck_assert(isnan(tg_lr_cosine(INFINITY, 0, 3, 5)));
    tu_assert_error_has("tg_lr_cosine: base_lr must be finite, got inf");
    tg_clear_error();
    ck_assert(isnan(tg_lr_warmup(0.1, -2, 5)));
    tu_assert_error_has("tg_lr_warmup: t must be >= 0, got -2");
    tg_clear_error();
    ck_assert(isnan(tg_lr_warmup(0.1, 2, 0)));
    tu_assert_error_has("tg_lr_warmup: warmup_steps must be >= 1, got 0");
}
END_TEST

/* ---- configuration errors ---- */

typedef struct {
    tg_optim_config cfg;
    const char *message;
} bad_config;

START_TEST(bad_configs_are_refused_by_name)
{
    tg_optim_config s = tg_optim_defaults(TG_OPTIM_SGD), a = tg_optim_defaults(TG_OPTIM_ADAM);
    bad_config cases[] = {
        {s, "tg_optim_new: lr must be finite and > 0, got 0"},
        {s, "tg_optim_new: lr must be finite and > 0, got nan"},
        {s, "tg_optim_new: lr must be finite and > 0, got inf"},
        {s, "tg_optim_new: momentum must be in [0, 1), got 1"},
        {s, "tg_optim_new: dampening must be in [0, 1], got 1.5"},
        {s, "tg_optim_new: momentum must be > 0 with nesterov, got 0"},
        {s, "tg_optim_new: dampening must be 0 with nesterov, got 0.1"},
        {s, "tg_optim_new: weight_decay must be finite and >= 0, got -0.5"},
        {a, "tg_optim_new: beta1 must be in [0, 1), got 1"},
        {a, "tg_optim_new: beta2 must be in [0, 1), got -0.1"},
        {a, "tg_optim_new: eps must be finite and > 0, got 0"},
        {a, "tg_optim_new: kind 7 is not a tg_optim_kind"},
    };
    cases[0].cfg.lr = 0;
    cases[1].cfg.lr = NAN;
    cases[2].cfg.lr = INFINITY;
    cases[3].cfg.momentum = 1;
    cases[4].cfg.dampening = 1.5;
    cases[5].cfg.nesterov = true;
    cases[6].cfg.nesterov = true, cases[6].cfg.momentum = 0.9, cases[6].cfg.dampening = 0.1;
    cases[7].cfg.weight_decay = -0.5;
    cases[8].cfg.beta1 = 1;
    cases[9].cfg.beta2 = -0.1;
    cases[10].cfg.eps = 0;
    cases[11].cfg.kind = (tg_optim_kind)7;
    tg_params *ps = bowl_params(TG_F64);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tg_clear_error();
        ck_assert_ptr_null(tg_optim_new(ps, &cases[k].cfg));
        ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
        tu_assert_error_has(cases[k].message);
    }
    tg_clear_error();
    ck_assert_ptr_null(tg_optim_new(NULL, &s));
    tu_assert_error_has("tg_optim_new: argument 1 (params) is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_optim_new(ps, NULL));
    tu_assert_error_has("tg_optim_new: argument 2 (cfg) is NULL");
    tg_clear_error();
    tg_params_free(ps);
}
END_TEST

START_TEST(fields_a_kind_does_not_read_are_not_checked)
{
    tg_params *ps = bowl_params(TG_F64);
    tg_optim *o = tg_optim_new(ps, &(tg_optim_config){.kind = TG_OPTIM_SGD, .lr = 0.1});
    tu_assert_ok(o); /* eps and betas are 0, which Adam would refuse */
    tg_optim_free(o);
    tg_params_free(ps);
}
END_TEST

START_TEST(defaults_are_pytorchs)
{
    tg_optim_config s = tg_optim_defaults(TG_OPTIM_SGD), w = tg_optim_defaults(TG_OPTIM_ADAMW);
    tg_optim_config a = tg_optim_defaults(TG_OPTIM_ADAM);
    ck_assert(s.kind == TG_OPTIM_SGD && s.lr == 1e-3 && s.momentum == 0 && !s.nesterov);
    ck_assert(a.beta1 == 0.9 && a.beta2 == 0.999 && a.eps == 1e-8 && a.weight_decay == 0);
    ck_assert(w.kind == TG_OPTIM_ADAMW && w.weight_decay == 0.01 && w.lr == 1e-3);
}
END_TEST

START_TEST(lr_can_be_changed_and_bad_values_are_refused)
{
    tg_params *ps = bowl_params(TG_F64);
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_SGD);
    tg_optim *o = tg_optim_new(ps, &c);
    ck_assert_int_eq(tg_optim_set_lr(o, 0.25), 0);
    tu_assert_close(tg_optim_lr(o), 0.25, 0);
    ck_assert_int_eq(tg_optim_set_lr(o, -1), TG_EVALUE);
    tu_assert_error_has("tg_optim_set_lr: lr must be finite and > 0, got -1");
    tg_clear_error();
    tu_assert_close(tg_optim_lr(o), 0.25, 0);
    ck_assert_int_eq(tg_optim_set_lr(NULL, 1), TG_ENULL);
    tg_clear_error();
    ck_assert_int_eq(tg_optim_step(NULL), TG_ENULL);
    tu_assert_error_has("tg_optim_step: argument 1 (optim) is NULL");
    tg_clear_error();
    ck_assert(isnan(tg_optim_lr(NULL)));
    tg_optim_free(NULL);
    tg_optim_free(o);
    tg_params_free(ps);
}
END_TEST

/* ---- allocation ---- */

START_TEST(steady_state_allocates_nothing)
{
    const tg_optim_config cases[] = {sgd(0.1, 0.9, 0, true, 0.01), tg_optim_defaults(TG_OPTIM_ADAM),
                                     tg_optim_defaults(TG_OPTIM_ADAMW)};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tu_allocator_install();
        tg_params *ps = bowl_params(TG_F64);
        tg_optim *o = tg_optim_new(ps, &cases[k]);
        bowl_gradient(ps);
        long before_first_step = tu_allocations();
        ck_assert_int_eq(tg_optim_step(o), 0);
        long first = tu_allocations() - before_first_step;
        for (int t = 0; t < 100; t++) {
            bowl_gradient(ps);
            ck_assert_int_eq(tg_optim_step(o), 0);
        }
        long later = tu_allocations() - before_first_step - first;
        tg_optim_free(o);
        tg_params_free(ps);
        tu_allocator_remove();
        ck_assert_int_gt(first, 0);
        ck_assert_msg(later == 0, "case %zu: %ld allocations in steps 2..101", k, later);
    }
}
END_TEST

START_TEST(out_of_memory_changes_no_parameter)
{
    /* Two parameters: every allocation count that fails part-way through
     * making their state must leave both unchanged, and a retry must give
     * exactly the result of a step that never failed. */
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    c.lr = 0.1;
    bool succeeded = false;
    for (long budget = 0; !succeeded; budget++) {
        tu_allocator_install();
        tg_params *ps = line_params(0, 0);
        tg_optim *o = tg_optim_new(ps, &c);
        line_gradient(ps, 0, NOTES_N);
        tu_allocation_budget(budget);
        int rc = tg_optim_step(o);
        tu_allocation_budget(-1);
        succeeded = rc == 0;
        if (!succeeded) {
            ck_assert_int_eq(rc, TG_ENOMEM);
            tu_assert_error_has("tg_optim_step: out of memory for the state of");
            tg_clear_error();
            ck_assert_double_eq(tg_item(tg_params_get(ps, "a")), 0);
            ck_assert_double_eq(tg_item(tg_params_get(ps, "b")), 0);
            ck_assert_int_eq(tg_optim_steps(o), 0);
            ck_assert_int_eq(tg_optim_step(o), 0);
        }
        /* Adam's first step moves each parameter by lr against its gradient's sign. */
        tu_assert_close(tg_item(tg_params_get(ps, "a")), 0.1 / (1 + 1e-8 / 13.75), 1e-15);
        tu_assert_close(tg_item(tg_params_get(ps, "b")), 0.1 / (1 + 1e-8 / 51.25), 1e-15);
        tg_optim_free(o);
        tg_params_free(ps);
        tu_allocator_remove();
        ck_assert_int_lt(budget, 100);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optim");
    TCase *rules = tu_tcase("rules");
    tcase_add_test(rules, sgd_by_hand);
    tcase_add_test(rules, momentum_by_hand);
    tcase_add_test(rules, nesterov_by_hand);
    tcase_add_test(rules, weight_decay_by_hand);
    tcase_add_test(rules, adam_first_step_by_hand);
    tcase_add_test(rules, adamw_decay_is_decoupled);
    tcase_add_test(rules, sgd_variants_match_reference);
    tcase_add_test(rules, adam_and_adamw_match_reference);
    tcase_add_test(rules, f32_parameters_update_in_f32);
    tcase_add_test(rules, full_batch_gradient_descent);
    tcase_add_test(rules, single_sample_sgd);
    tcase_add_test(rules, mini_batch_sgd);
    tcase_add_test(rules, every_optimizer_converges);
    suite_add_tcase(s, rules);

    TCase *state = tu_tcase("state");
    tcase_add_test(state, state_is_found_by_parameter_name);
    tcase_add_test(state, momentum_buffer_is_found_by_name);
    tcase_add_test(state, parameters_without_gradient_are_left_alone);
    tcase_add_test(state, restored_state_resumes_identically);
    tcase_add_test(state, restore_errors_name_the_problem);
    tcase_add_test(state, steady_state_allocates_nothing);
    tcase_add_test(state, out_of_memory_changes_no_parameter);
    suite_add_tcase(s, state);

    TCase *misc = tu_tcase("clip_schedules_config");
    tcase_add_test(misc, clip_scales_to_max_norm);
    tcase_add_test(misc, clip_leaves_small_gradients);
    tcase_add_test(misc, clip_errors);
    tcase_add_test(misc, schedules_at_points);
    tcase_add_test(misc, schedule_errors);
    tcase_add_test(misc, bad_configs_are_refused_by_name);
    tcase_add_test(misc, fields_a_kind_does_not_read_are_not_checked);
    tcase_add_test(misc, defaults_are_pytorchs);
    tcase_add_test(misc, lr_can_be_changed_and_bad_values_are_refused);
    suite_add_tcase(s, misc);
    return tu_run(s);
}
