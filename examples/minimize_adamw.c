/*
 * minimize_adamw.c — a program that uses optlab's optimizer library on its own:
 * minimises the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2
 * (minimum 0 at (1, 1)) with AdamW, starting from (-1.5, 2).
 *
 * Build against an installed optlab:
 *   cc minimize_adamw.c $(pkg-config --cflags --libs optlab) -o minimize_adamw
 * Exit status 0 when it ends within 1e-3 of the minimum.
 */
#include <math.h>
#include <stdio.h>

#include <optlab/optim.h>

int main(void) {
    float xy[2] = {-1.5f, 2.0f}, grad[2];
    ol_optimizer *opt;
    ol_error err;
    if (ol_optimizer_create(&opt, "AdamW", &err) ||
        ol_optimizer_set_from_string(opt, "learning_rate=0.02, betas=(0.9,0.999), weight_decay=0", &err) ||
        ol_optimizer_add_group(opt, xy, grad, 2, &err)) {
        fprintf(stderr, "minimize_adamw: %s\n", err.msg);
        return 1;
    }
    for (int step = 1; step <= 20000; step++) {
        double x = xy[0], y = xy[1];
        grad[0] = (float)(-2.0 * (1.0 - x) - 400.0 * x * (y - x * x));
        grad[1] = (float)(200.0 * (y - x * x));
        if (step == 10000) ol_optimizer_set_lr(opt, 0.002, &err); /* finer steps for the valley floor */
        if (ol_optimizer_step(opt, &err)) {
            fprintf(stderr, "minimize_adamw: %s\n", err.msg);
            ol_optimizer_free(opt);
            return 1;
        }
    }
    double x = xy[0], y = xy[1], f = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    printf("AdamW on Rosenbrock: x = %.6f, y = %.6f, f = %.3g after %ld steps\n", x, y, f, ol_optimizer_steps(opt));
    ol_optimizer_free(opt);
    return fabs(x - 1) < 1e-3 && fabs(y - 1) < 1e-3 ? 0 : 1;
}
