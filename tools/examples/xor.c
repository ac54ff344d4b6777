/*
 * xor.c -- the notes' neuron made deeper: a 2-2-1 sigmoid network learns XOR
 * by full-batch gradient descent, w_new = w_old - eta (1/N) sum grad l_i,
 * with the squared error L = 1/2 sum (y - yhat)^2 averaged over the four
 * inputs. Prints the loss as it falls and the final outputs; exits 1 if any
 * output is on the wrong side of 0.5.
 */
#include <math.h>
#include <stdio.h>

#include <tapegrad/nn.h>
#include <tapegrad/tapegrad.h>

enum { EPOCHS = 5000, SEED = 3 };

static const double inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const double targets[4] = {0, 1, 1, 0};

static tg_tensor *batch_loss(tg_model *model, tg_tensor **out)
{
    tg_tensor *x = tg_tensor_new(TG_F64, 2, (int64_t[]){4, 2}, &inputs[0][0], false);
    tg_tensor *y = tg_tensor_new(TG_F64, 2, (int64_t[]){4, 1}, targets, false);
    *out = tg_model_forward(model, x);
    /* 1/2 sum over the batch, then 1/N: the notes' full-batch average */
    return tg_mul_scalar(tg_l2_loss(*out, y), 0.25);
}

static void descend(tg_params *params, double eta)
{
    for (int i = 0; i < tg_params_count(params); i++) {
        tg_tensor *p = tg_params_at(params, i, NULL);
        double *w = tg_data(p);
        for (int64_t k = 0; k < tg_numel(p); k++)
            w[k] -= eta * tg_grad_get(p, k);
        tg_zero_grad(p);
    }
}

int main(void)
{
    tg_model *model = tg_mlp_new(TG_F64, 3, (int64_t[]){2, 2, 1}, TG_ACT_SIGMOID, TG_ACT_SIGMOID,
                                 SEED);
    if (!model)
        return fprintf(stderr, "xor: %s\n", tg_last_error()), 1;
    tg_tensor *out = NULL;
    for (int epoch = 0; epoch <= EPOCHS; epoch++) {
        tg_tensor *loss = batch_loss(model, &out);
        if (!loss || tg_backward(loss) < 0)
            return fprintf(stderr, "xor: %s\n", tg_last_error()), 1;
        if (epoch % 1000 == 0)
            printf("epoch %4d  loss %.6f\n", epoch, tg_item(loss));
        descend(tg_model_params(model), 2.0);
        tg_tape_reset();
    }
    int wrong = 0;
    TG_NO_GRAD { batch_loss(model, &out); }
    for (int i = 0; i < 4; i++) {
        double yhat = tg_get(out, i);
        printf("%g xor %g = %g  (network: %.4f)\n", inputs[i][0], inputs[i][1], targets[i], yhat);
        wrong += (yhat > 0.5) != (targets[i] > 0.5);
    }
    tg_tape_reset();
    tg_model_free(model);
    tg_tape_destroy();
    return wrong != 0;
}
