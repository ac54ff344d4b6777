/*
 * regression.c -- regression with MSE and a linear output, twice:
 *
 *  1. the notes' line yhat = a + b x through their four points
 *     (x, y) = (-10, 6), (12, 30), (-5, 19), (6, 0), fitted by full-batch
 *     gradient descent and compared with the least-squares closed form;
 *  2. a 1-16-1 tanh network with a linear output fitting y = sin(x) on
 *     [-3, 3] with Adam.
 *
 * Exits 1 if the line misses the closed form or the curve's MSE stays high.
 */
#include <math.h>
#include <stdio.h>

#include <tapegrad/nn.h>
#include <tapegrad/tapegrad.h>

static const double xs[4] = {-10, 12, -5, 6}, ys[4] = {6, 30, 19, 0};

/* Least squares in closed form: b = cov(x, y) / var(x), a = mean y - b mean x. */
static void closed_form_line(double *a, double *b)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < 4; i++) {
        mx += xs[i] / 4;
        my += ys[i] / 4;
    }
    for (int i = 0; i < 4; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) * (xs[i] - mx);
    }
    *b = sxy / sxx;
    *a = my - *b * mx;
}

static int fit_line(void)
{
    tg_tensor *a = tg_param(TG_F64, 0, NULL, NULL), *b = tg_param(TG_F64, 0, NULL, NULL);
    for (int step = 0; step < 20000; step++) {
        tg_tensor *x = tg_tensor_new(TG_F64, 1, (int64_t[]){4}, xs, false);
        tg_tensor *y = tg_tensor_new(TG_F64, 1, (int64_t[]){4}, ys, false);
        tg_tensor *loss = tg_mse_loss(tg_add(a, tg_mul(b, x)), y, TG_REDUCTION_MEAN);
        if (!loss || tg_backward(loss) < 0)
            return fprintf(stderr, "regression: %s\n", tg_last_error()), 1;
        tg_set(a, 0, tg_get(a, 0) - 0.01 * tg_grad_get(a, 0));
        tg_set(b, 0, tg_get(b, 0) - 0.01 * tg_grad_get(b, 0));
        tg_zero_grad(a);
        tg_zero_grad(b);
        tg_tape_reset();
    }
    double a_star, b_star;
    closed_form_line(&a_star, &b_star);
    printf("line:  a = %.6f  b = %.6f  (least squares: a = %.6f  b = %.6f)\n", tg_item(a),
           tg_item(b), a_star, b_star);
    int bad = fabs(tg_item(a) - a_star) > 1e-6 || fabs(tg_item(b) - b_star) > 1e-6;
    tg_free(a);
    tg_free(b);
    return bad;
}

enum { POINTS = 64 };

static int fit_curve(void)
{
    double x[POINTS], target[POINTS];
    for (int i = 0; i < POINTS; i++) {
        x[i] = -3.0 + 6.0 * i / (POINTS - 1);
        target[i] = sin(x[i]);
    }
    tg_model *model = tg_mlp_new(TG_F64, 3, (int64_t[]){1, 16, 1}, TG_ACT_TANH, TG_ACT_LINEAR, 7);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.01;
    tg_optim *optim = model ? tg_optim_new(tg_model_params(model), &cfg) : NULL;
    double mse = INFINITY;
    for (int step = 0; optim && step < 3000; step++) {
        tg_tensor *in = tg_tensor_new(TG_F64, 2, (int64_t[]){POINTS, 1}, x, false);
        tg_tensor *y = tg_tensor_new(TG_F64, 2, (int64_t[]){POINTS, 1}, target, false);
        tg_tensor *loss = tg_mse_loss(tg_model_forward(model, in), y, TG_REDUCTION_MEAN);
        if (!loss || tg_backward(loss) < 0 || tg_optim_step(optim) < 0)
            break;
        tg_optim_zero_grad(optim);
        mse = tg_item(loss);
        if (step % 1000 == 0)
            printf("curve: step %4d  mse %.6f\n", step, mse);
        tg_tape_reset();
    }
    printf("curve: final mse %.6f\n", mse);
    int bad = !(mse < 1e-3);
    if (bad)
        fprintf(stderr, "regression: %s\n", tg_last_error());
    tg_optim_free(optim);
    tg_model_free(model);
    return bad;
}

int main(void)
{
    int bad = fit_line();
    bad |= fit_curve();
    tg_tape_destroy();
    return bad;
}
