/*
 * Benchmark of the seed CNN on one thread, shaped like
 * ../shared/anchors/torch_cnn_bench.py so the two can be compared: per epoch,
 * 1,000 training images in shuffled batches of 32 (forward, backward, Adam
 * step; the last batch has 8) and 2,000 evaluation images (predict), the
 * first epoch being warm-up. Prints images/s for both (wall clock, as the
 * anchor; also per CPU second and for the fastest epoch, steadier figures
 * when other work shares the machine) and the peak RSS.
 *
 *   build/bench/cnn [MNIST_DIR [EPOCHS [EVAL_BATCH]]]
 * MNIST_DIR defaults to data/mnist; without it, synthetic images are used.
 * EVAL_BATCH (default 32) is the model's max_batch for evaluation.
 * bench/cnn.sh runs it beside the PyTorch anchor and prints the ratios.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "optlab/nn.h"
#include "optlab/optim.h"

/* Read the first n items of an IDX file (uint8) after its header; 0 on failure. */
static int read_idx(const char *path, size_t item, int n, uint8_t *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char h[4];
    int ok = fread(h, 1, 4, f) == 4 && h[2] == 0x08;
    if (ok && fseek(f, 4 + 4L * h[3], SEEK_SET) != 0) ok = 0;
    if (ok) ok = fread(out, item, (size_t)n, f) == (size_t)n;
    fclose(f);
    return ok;
}

static int die(const char *what, const ol_error *err) {
    fprintf(stderr, "cnn bench: %s: %s\n", what, err->msg);
    return 1;
}

/* CPU time of this process: steadier than wall time on a shared machine. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "data/mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 4;
    int eval_batch = argc > 3 ? atoi(argv[3]) : 32;
    if (epochs < 2 || eval_batch < 1) {
        fprintf(stderr, "usage: cnn [MNIST_DIR [EPOCHS>=2 [EVAL_BATCH]]]\n");
        return 2;
    }
    enum { N = 3000, NTR = 1000, NVA = 2000, B = 32 };
    static uint8_t pix[N * 784], lab[N];
    static float x[N * 784];
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/train-images-idx3-ubyte", dir);
    snprintf(p2, sizeof p2, "%s/train-labels-idx1-ubyte", dir);
    int real = read_idx(p1, 784, N, pix) && read_idx(p2, 1, N, lab);
    ol_rng rng;
    ol_rng_seed(&rng, 1);
    for (int i = 0; i < N * 784; i++)
        x[i] = real ? ((float)pix[i] / 255.0f - 0.5f) / 0.5f : (float)(2 * ol_rng_uniform(&rng) - 1);
    if (!real)
        for (int i = 0; i < N; i++) lab[i] = (uint8_t)ol_rng_below(&rng, 10);

    ol_error err;
    ol_model *m, *ev;
    if (ol_model_create(&m, OL_SEED_CNN_SPEC, 1, 28, 28, B, &err)) return die("model", &err);
    if (ol_model_create(&ev, OL_SEED_CNN_SPEC, 1, 28, 28, eval_batch, &err))
        return die("model", &err);
    ol_model_init(m, &rng);
    ol_optimizer *opt;
    if (ol_optimizer_create(&opt, "adam", &err) ||
        ol_optimizer_set(opt, "learning_rate", 1e-3, &err) ||
        ol_optimizer_add_group(opt, ol_model_params(m), ol_model_grads(m), ol_model_num_params(m),
                               &err))
        return die("optimizer", &err);

    static uint32_t perm[NTR];
    static float xb[B * 784];
    static uint8_t yb[B];
    static int pred[NVA];
    double t_train = 0, t_eval = 0, c_train = 0, c_eval = 0, best_train = 1e9, best_eval = 1e9;
    float loss = 0;
    for (int ep = 0; ep < epochs; ep++) {
        for (uint32_t i = 0; i < NTR; i++) perm[i] = i;
        double t0 = ol_now(), u0 = cpu_now();
        ol_rng_shuffle_u32(&rng, perm, NTR);
        for (int s = 0; s < NTR; s += B) {
            int nb = NTR - s < B ? NTR - s : B;
            for (int b = 0; b < nb; b++) {
                memcpy(xb + b * 784, x + (size_t)perm[s + b] * 784, sizeof(float) * 784);
                yb[b] = lab[perm[s + b]];
            }
            if (ol_model_train_batch(m, xb, yb, nb, OL_LOSS_SEED, &loss, &err))
                return die("train_batch", &err);
            if (ol_optimizer_step(opt, &err)) return die("adam step", &err);
        }
        double t1 = ol_now(), u1 = cpu_now();
        memcpy(ol_model_params(ev), ol_model_params(m), sizeof(float) * ol_model_num_params(m));
        if (ol_model_predict(ev, x + (size_t)NTR * 784, NVA, pred, &err)) return die("predict", &err);
        double t2 = ol_now(), u2 = cpu_now();
        int correct = 0;
        for (int i = 0; i < NVA; i++) correct += pred[i] == lab[NTR + i];
        if (ep > 0) {
            t_train += t1 - t0;
            t_eval += t2 - t1;
            c_train += u1 - u0;
            c_eval += u2 - u1;
            if (t1 - t0 < best_train) best_train = t1 - t0;
            if (t2 - t1 < best_eval) best_eval = t2 - t1;
        }
        printf("epoch %d loss %.4f acc %.4f train %.3fs eval %.3fs\n", ep, loss,
               (double)correct / NVA, t1 - t0, t2 - t1);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int n = epochs - 1;
    printf("data=%s threads=1 train_img_per_s=%.0f eval_img_per_s=%.0f epoch_s=%.3f "
           "eval_batch=%d peak_rss_mb=%.1f cpu_train_img_per_s=%.0f cpu_eval_img_per_s=%.0f "
           "best_epoch_train_img_per_s=%.0f best_epoch_eval_img_per_s=%.0f\n",
           real ? "mnist" : "synthetic", NTR * n / t_train, NVA * n / t_eval, (t_train + t_eval) / n,
           eval_batch, ru.ru_maxrss / 1024.0, NTR * n / c_train, NVA * n / c_eval, NTR / best_train,
           NVA / best_eval);
    ol_optimizer_free(opt);
    ol_model_free(ev);
    ol_model_free(m);
    return 0;
}
