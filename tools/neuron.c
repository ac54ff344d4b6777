/* neuron.c -- the lecture notes' neuron, z = sigmoid(w1 x1 + w2 x2 + w3 x3 + b),
 * and its gradients, computed by tapegrad and checked against the closed form
 * dz/dw_i = z (1 - z) x_i, dz/db = z (1 - z). */
#include <math.h>
#include <stdio.h>

#include <tapegrad/tapegrad.h>

int main(void)
{
    const double xv[3] = {1.0, -2.0, 0.5}, wv[3] = {0.4, 0.3, -0.6}, bv = 0.1;
    tg_tensor *w[3], *x[3], *b = tg_var(bv);
    tg_tensor *sum = b;
    for (int i = 0; i < 3; i++) {
        w[i] = tg_var(wv[i]);
        x[i] = tg_scalar(xv[i]);
        sum = tg_add(tg_mul(w[i], x[i]), sum);
    }
    tg_tensor *z = tg_sigmoid(sum);
    if (!z || tg_backward(z) != 0) {
        fprintf(stderr, "neuron: %s\n", tg_last_error());
        return 1;
    }
    double zv = tg_item(z), local = zv * (1 - zv);
    printf("z = sigmoid(w1*x1 + w2*x2 + w3*x3 + b) = %.6f\n", zv);
    printf("%-6s %12s %12s\n", "", "tapegrad", "z(1-z)*x");
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        double g = tg_grad_get(w[i], 0);
        printf("dz/dw%d %12.6f %12.6f\n", i + 1, g, local * xv[i]);
        bad |= fabs(g - local * xv[i]) > 1e-12;
    }
    printf("dz/db  %12.6f %12.6f\n", tg_grad_get(b, 0), local);
    bad |= fabs(tg_grad_get(b, 0) - local) > 1e-12;
    tg_tape_destroy();
    return bad;
}
