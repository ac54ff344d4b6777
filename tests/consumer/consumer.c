/* consumer.c -- uses only <tapegrad/tapegrad.h> and the documented contract:
 * the notes' expressions, a 1,000,000-node chain, and clean errors. Prints
 * each check and exits non-zero if any fails. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <tapegrad/tapegrad.h>

static int failures;

static void expect(int ok, const char *what)
{
    printf("%s  %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) {
        printf("      last error: %s\n", tg_last_error());
        failures++;
    }
}

static int close_to(double got, double want) { return fabs(got - want) <= 1e-9 * (1 + fabs(want)); }

static void x_squared_minus_ten(void)
{
    tg_tensor *x = tg_var(0);
    tg_tensor *y = tg_sub(tg_mul(x, x), tg_scalar(10));
    expect(tg_backward(y) == 0 && close_to(tg_item(y), -10) && close_to(tg_grad_get(x, 0), 0),
           "y = x^2 - 10 at x = 0: y = -10, dy/dx = 2x = 0");
    tg_tape_reset();
}

static void neuron(void)
{
    double x[3] = {1, -2, 0.5}, w0[3] = {0.4, 0.3, -0.6}, b0 = 0.1;
    int64_t shape[1] = {3};
    tg_tensor *w = tg_param(TG_F64, 1, shape, w0);
    tg_tensor *b = tg_var(b0);
    tg_tensor *xt = tg_tensor_new(TG_F64, 1, shape, x, false);
    tg_tensor *z = tg_sigmoid(tg_add(tg_sum(tg_mul(w, xt)), b));
    int ok = tg_backward(z) == 0;
    double s = tg_item(z);
    for (int i = 0; i < 3; i++)
        ok = ok && close_to(tg_grad_get(w, i), s * (1 - s) * x[i]);
    ok = ok && close_to(tg_grad_get(b, 0), s * (1 - s));
    expect(ok, "neuron sigmoid(w.x + b): dz/dw_i = s(1-s) x_i, dz/db = s(1-s)");
    tg_free(w);
    tg_tape_reset();
}

static void tanh_identity(void)
{
    tg_tensor *a = tg_var(0.7), *b = tg_var(0.7);
    tg_tensor *t = tg_tanh(a);
    tg_tensor *two = tg_scalar(2), *one = tg_scalar(1);
    tg_tensor *u = tg_sub(tg_mul(two, tg_sigmoid(tg_mul(two, b))), one);
    int ok = tg_backward(t) == 0 && tg_backward(u) == 0 && close_to(tg_item(t), tg_item(u)) &&
             close_to(tg_grad_get(a, 0), tg_grad_get(b, 0));
    expect(ok, "tanh(x) = 2 sigmoid(2x) - 1, values and gradients");
    tg_tape_reset();
}

/* sum(f(W2 f(W1 x + b1) + b2)), f = sigmoid */
static tg_tensor *two_layer(tg_tensor *const *p, const double *x)
{
    int64_t nx[1] = {2};
    tg_tensor *h = tg_sigmoid(tg_add(tg_matmul(p[0], tg_tensor_new(TG_F64, 1, nx, x, false)), p[1]));
    return tg_sum(tg_sigmoid(tg_add(tg_matmul(p[2], h), p[3])));
}

static void nested_network(void)
{
    int64_t s1[2] = {3, 2}, s2[2] = {1, 3}, n1[1] = {3}, n2[1] = {1};
    double w1[6] = {0.1, -0.2, 0.3, 0.4, -0.5, 0.6}, w2[3] = {0.7, -0.8, 0.9};
    double b1[3] = {0.01, 0.02, 0.03}, b2[1] = {-0.1}, x[2] = {1.5, -0.5};
    tg_tensor *p[4] = {tg_param(TG_F64, 2, s1, w1), tg_param(TG_F64, 1, n1, b1),
                       tg_param(TG_F64, 2, s2, w2), tg_param(TG_F64, 1, n2, b2)};
    int ok = tg_backward(two_layer(p, x)) == 0;
    tg_tape_reset();
    const double eps = 1e-6;
    for (int k = 0; k < 4 && ok; k++) {
        for (int64_t i = 0; i < tg_numel(p[k]) && ok; i++) {
            double v = tg_get(p[k], i), f[2];
            for (int side = 0; side < 2; side++) {
                tg_set(p[k], i, side ? v - eps : v + eps);
                TG_NO_GRAD { f[side] = tg_item(two_layer(p, x)); }
                tg_tape_reset();
            }
            tg_set(p[k], i, v);
            ok = fabs(tg_grad_get(p[k], i) - (f[0] - f[1]) / (2 * eps)) < 1e-8;
        }
    }
    expect(ok, "f(W2 f(W1 x + b1) + b2): every dL/dW and dL/db matches finite differences");
    for (int k = 0; k < 4; k++)
        tg_free(p[k]);
}

static void long_chain(void)
{
    tg_tensor *x = tg_var(1), *c = tg_scalar(1.000001), *y = x;
    for (int i = 0; i < 1000000; i++)
        y = tg_mul(y, c);
    expect(y && tg_backward(y) == 0 && close_to(tg_grad_get(x, 0), pow(1.000001, 1e6)),
           "1,000,000-node chain differentiates: dy/dx = c^1000000");
    tg_tape_reset();
}

static void clean_errors(void)
{
    int64_t a[2] = {2, 3}, b[2] = {4, 5};
    tg_tensor *y = tg_matmul(tg_tensor_new(TG_F64, 2, a, NULL, true),
                             tg_tensor_new(TG_F64, 2, b, NULL, true));
    expect(!y && strcmp(tg_last_error(), "tg_matmul: inner dimensions differ: [2,3] @ [4,5]") == 0,
           "shape mismatch: NULL and 'tg_matmul: inner dimensions differ: [2,3] @ [4,5]'");
    printf("      got: %s\n", tg_last_error());
    tg_clear_error(); /* errors are sticky: the next failure reports itself once this is cleared */
    y = tg_add(tg_tensor_new(TG_F32, 1, a, NULL, false), tg_tensor_new(TG_F64, 1, a, NULL, false));
    expect(!y && strstr(tg_last_error(), "tg_add") && strstr(tg_last_error(), "dtype"),
           "dtype mismatch: NULL and an error naming tg_add");
    printf("      got: %s\n", tg_last_error());
    tg_tape_reset();
}

int main(void)
{
    x_squared_minus_ten();
    neuron();
    tanh_identity();
    nested_network();
    long_chain();
    clean_errors();
    tg_tape_destroy();
    printf("%s\n", failures ? "consumer: FAILED" : "consumer: all checks passed");
    return failures != 0;
}
