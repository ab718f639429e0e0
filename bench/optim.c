/*
 * bench/optim.c — one step of each optimizer over 10 M parameters, as GB/s of
 * memory traffic, beside the floor measured in the same run (a plain copy loop
 * over the same size) and beside torch.optim's own step on a 10 M-parameter
 * tensor (one thread, Debian's PyTorch via /usr/bin/python3, when it has torch).
 *
 * Traffic per step = n * 4 bytes * (read grad + read param + write param
 * + read and write each state array the configuration uses). The step is
 * memory-bound, so GB/s against the copy loop says how close to the machine's
 * floor each fused loop is. Best of several steps after a warm-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optlab/optim.h"

enum { N = 10 * 1000 * 1000, REPS = 7 };

static volatile float sink;

static double best_copy_seconds(float *dst, const float *src) {
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t0 = ol_now();
        for (size_t i = 0; i < N; i++) dst[i] = src[i];
        double t = ol_now() - t0;
        sink = dst[r];
        if (t < best) best = t;
    }
    return best;
}

/* Runs /usr/bin/python3 with torch, one thread; returns seconds per step or -1. */
static double torch_step_seconds(const char *cls, const char *kwargs) {
    if (access("/usr/bin/python3", X_OK) != 0) return -1;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c '\n"
             "import time\n"
             "try:\n import torch\nexcept ImportError:\n print(-1); raise SystemExit\n"
             "torch.set_num_threads(1)\n"
             "p = torch.nn.Parameter(torch.randn(%d))\n"
             "p.grad = torch.randn(%d)\n"
             "o = torch.optim.%s([p], %s)\n"
             "best = 1e30\n"
             "for r in range(%d):\n"
             " t0 = time.perf_counter(); o.step(); t = time.perf_counter() - t0\n"
             " best = min(best, t) if r else best\n"
             "print(best)' 2>/dev/null",
             N, N, cls, kwargs, REPS + 1);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    double s = -1;
    if (fscanf(f, "%lf", &s) != 1) s = -1;
    pclose(f);
    return s;
}

int main(void) {
    float *params = malloc(N * sizeof(float)), *grads = malloc(N * sizeof(float)), *copy = malloc(N * sizeof(float));
    if (!params || !grads || !copy) {
        fprintf(stderr, "bench/optim: out of memory\n");
        return 1;
    }
    ol_rng rng;
    ol_rng_seed(&rng, 1);
    for (size_t i = 0; i < N; i++) {
        params[i] = (float)ol_rng_normal(&rng);
        grads[i] = (float)ol_rng_normal(&rng) * 1e-2f;
    }
    for (size_t i = 0; i < N; i++) copy[i] = 0; /* fault the pages in */
    double copy_s = best_copy_seconds(copy, grads);
    double floor_gbs = 2.0 * 4 * N / copy_s / 1e9;
    printf("optimizer step over %d params, best of %d; floor = copy loop %.2f ms, %.1f GB/s\n\n", N, REPS,
           copy_s * 1e3, floor_gbs);
    printf("%-32s %9s %9s %10s %s\n", "optimizer (settings)", "ms/step", "GB/s", "floor/this", "target <= 1.5");

    struct { const char *name, *settings; int state_arrays; } runs[] = {
        {"sgd", "", 0},
        {"momentum", "", 1},
        {"nag", "", 1},
        {"rmsprop", "", 1},
        {"rmsprop", "centered=1,momentum=0.9", 3},
        {"adam", "", 2},
        {"adam", "amsgrad=1", 3},
        {"adamw", "", 2},
        {"adagrad", "", 1},
        {"adadelta", "", 2},
        {"nadam", "", 2},
        {"adabelief", "", 2},
        /* the rest of torch.optim (issue 14) */
        {"adamax", "", 2},
        {"radam", "", 2},
        {"asgd", "", 1},
        {"rprop", "", 2},
    };
    double run_s[sizeof runs / sizeof runs[0]];
    int all_ok = 1;
    double adam_s = 0, adamw_s = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        ol_optimizer *o;
        ol_error err;
        if (ol_optimizer_create(&o, runs[r].name, &err) || ol_optimizer_set_from_string(o, runs[r].settings, &err) ||
            ol_optimizer_add_group(o, params, grads, N, &err)) {
            fprintf(stderr, "bench/optim: %s\n", err.msg);
            return 1;
        }
        ol_optimizer_step(o, &err); /* warm-up: faults in the state pages */
        double best = 1e30;
        for (int k = 0; k < REPS; k++) {
            double t0 = ol_now();
            ol_optimizer_step(o, &err);
            double t = ol_now() - t0;
            if (t < best) best = t;
        }
        ol_optimizer_free(o);
        double bytes = 4.0 * N * (3 + 2 * runs[r].state_arrays), gbs = bytes / best / 1e9;
        double ratio = floor_gbs / gbs;
        if (ratio > 1.5) all_ok = 0;
        char label[64];
        snprintf(label, sizeof label, "%s%s%s%s", runs[r].name, runs[r].settings[0] ? " (" : "", runs[r].settings,
                 runs[r].settings[0] ? ")" : "");
        printf("%-32s %9.2f %9.1f %10.2f %s\n", label, best * 1e3, gbs, ratio, ratio <= 1.5 ? "ok" : "SLOW");
        run_s[r] = best;
        if (!strcmp(runs[r].name, "adam") && !runs[r].settings[0]) adam_s = best;
        if (!strcmp(runs[r].name, "adamw")) adamw_s = best;
    }
    /* The modern optimizers (issue 14; torch 1.13 has none of them). Bytes are what each loop
     * actually moves: LAMB and Adafactor pass over a tensor two or three times (norms first).
     * Shaped runs split the 10 M parameters into 1000 x 1000 matrices. Muon is compute-bound
     * (Newton-Schulz sgemm): its line gives GFLOP/s of the products instead of a floor ratio. */
    printf("\nmodern optimizers (no torch.optim counterpart in torch 1.13):\n");
    struct { const char *name, *settings; double arrays; size_t rows, cols; } modern[] = {
        {"lion", "", 5, 0, 0},
        {"lamb", "", 10, 0, 0},
        {"lamb", "", 10, 1000, 1000},
        {"adafactor", "", 10, 0, 0},
        {"adafactor", "", 7, 1000, 1000},
        {"adafactor", "beta1=0.9", 9, 1000, 1000},
        {"sfadamw", "", 9, 0, 0},
        {"prodigy", "", 10, 0, 0},
        {"muon", "muon_ends=1", 5, 1000, 1000},
    };
    for (size_t r = 0; r < sizeof modern / sizeof modern[0]; r++) {
        ol_optimizer *o;
        ol_error err;
        if (ol_optimizer_create(&o, modern[r].name, &err) || ol_optimizer_set_from_string(o, modern[r].settings, &err) ||
            ol_optimizer_add_group(o, params, grads, N, &err)) {
            fprintf(stderr, "bench/optim: %s\n", err.msg);
            return 1;
        }
        size_t count = 1;
        if (modern[r].rows) {
            count = N / (modern[r].rows * modern[r].cols);
            ol_tensor_shape *sh = calloc(count, sizeof *sh);
            for (size_t k = 0; sh && k < count; k++) sh[k].rows = modern[r].rows, sh[k].cols = modern[r].cols;
            if (!sh || ol_optimizer_set_shapes(o, 0, sh, count, &err)) {
                fprintf(stderr, "bench/optim: %s\n", sh ? err.msg : "out of memory");
                return 1;
            }
            free(sh);
        }
        int muon = !strcmp(modern[r].name, "muon"), reps = muon ? 3 : REPS;
        ol_optimizer_step(o, &err);
        double best = 1e30;
        for (int k = 0; k < reps; k++) {
            double t0 = ol_now();
            ol_optimizer_step(o, &err);
            double t = ol_now() - t0;
            if (t < best) best = t;
        }
        ol_optimizer_free(o);
        char label[64];
        snprintf(label, sizeof label, "%s%s%s%s%s", modern[r].name, modern[r].rows ? " [1000x1000]" : "",
                 modern[r].settings[0] ? " (" : "", modern[r].settings, modern[r].settings[0] ? ")" : "");
        if (muon) {
            double k = (double)modern[r].rows, flops = 5.0 * count * (2 * k * k * k * 3); /* 5 NS steps, 3 products */
            printf("%-32s %9.2f %9s %10s %.1f GFLOP/s in the Newton-Schulz products (compute-bound)\n", label,
                   best * 1e3, "-", "-", flops / best / 1e9);
            continue;
        }
        double gbs = 4.0 * N * modern[r].arrays / best / 1e9, ratio = floor_gbs / gbs;
        if (ratio > 1.5) all_ok = 0;
        printf("%-32s %9.2f %9.1f %10.2f %s\n", label, best * 1e3, gbs, ratio, ratio <= 1.5 ? "ok" : "SLOW");
    }

    printf("\ntorch.optim, one thread, same size (Debian PyTorch via /usr/bin/python3):\n");
    double t_adam = torch_step_seconds("Adam", "lr=1e-3");
    if (t_adam < 0) {
        printf("  skipped: /usr/bin/python3 has no torch\n");
    } else {
        double t_adamw = torch_step_seconds("AdamW", "lr=1e-3");
        double t_sgd = torch_step_seconds("SGD", "lr=1e-2, momentum=0.9");
        printf("  torch Adam      %8.2f ms/step   optlab adam  %8.2f ms   speed-up %.2fx (target >= 2)\n", t_adam * 1e3,
               adam_s * 1e3, t_adam / adam_s);
        if (t_adamw > 0)
            printf("  torch AdamW     %8.2f ms/step   optlab adamw %8.2f ms   speed-up %.2fx (target >= 2)\n",
                   t_adamw * 1e3, adamw_s * 1e3, t_adamw / adamw_s);
        if (t_sgd > 0) printf("  torch SGD(momentum=0.9) %8.2f ms/step\n", t_sgd * 1e3);
        /* the rest of torch.optim, each beside optlab's step measured above */
        const struct { const char *ours, *cls; } rest[] = {
            {"adamax", "Adamax"}, {"radam", "RAdam"}, {"asgd", "ASGD"}, {"rprop", "Rprop"}};
        for (size_t k = 0; k < sizeof rest / sizeof rest[0]; k++) {
            double t = torch_step_seconds(rest[k].cls, "");
            for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++)
                if (!strcmp(runs[r].name, rest[k].ours) && t > 0)
                    printf("  torch %-9s %8.2f ms/step   optlab %-6s %8.2f ms   speed-up %.2fx\n", rest[k].cls, t * 1e3,
                           rest[k].ours, run_s[r] * 1e3, t / run_s[r]);
        }
    }
    printf("\nevery optimizer within 1.5x of the floor: %s\n", all_ok ? "yes" : "NO");
    free(params);
    free(grads);
    free(copy);
    return 0;
}
