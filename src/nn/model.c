/*
 * A model: the parsed spec (spec.c), one parameter buffer and one gradient
 * buffer, per-layer activations sized for max_batch, and the orchestration
 * of forward, losses and backward over a batch. The kernels themselves are in
 * conv.c, pool.c, convpool.c, linear.c and pointwise.c. Nothing here
 * allocates after ol_model_create (but the layer statistics, which recompute
 * the output of a conv fused with its pool).
 */
#include "nn_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 64-byte aligned, zeroed buffer of n floats (n may be 0). */
static float *alloc_floats(size_t n) {
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* 64-byte aligned, zeroed buffer of n uint16 (n may be 0). */
static uint16_t *alloc_u16(size_t n) {
    size_t bytes = (n * sizeof(uint16_t) + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    uint16_t *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void ol_model_free(ol_model *m) {
    if (!m) return;
    for (int i = 0; i < m->n_layers; i++) {
        if (!m->layers[i].relu_fused) free(m->layers[i].out);
        free(m->layers[i].xpad);
        free(m->layers[i].wmask);
    }
    free(m->layers);
    free(m->params);
    free(m->grads);
    free(m->gbuf[0]);
    free(m->gbuf[1]);
    free(m->col);
    free(m->dcol);
    free(m->input_cb);
    free(m);
}

/* Floats ol_model_create allocates for these layers (kept in step with it below). */
static double model_floats(const nn_layer *layers, int n, size_t n_params, int in_c, int in_h, int in_w,
                           int max_batch) {
    double B = max_batch, in = (double)in_c * in_h * in_w, max_act = in, max_col = 0, f = 2.0 * (double)n_params;
    for (int i = 0; i < n; i++) {
        const nn_layer *L = &layers[i];
        if ((double)L->out_size > max_act) max_act = (double)L->out_size;
        f += B * (double)L->out_size; /* its output (or, fused, the padded input and masks: no more) */
        if (L->kind == OL_LAYER_MAXPOOL) f += B * (double)L->out_size / 2; /* uint16 masks */
        if (L->kind == OL_LAYER_CONV) {
            double per_image = (double)L->in_c * L->k * L->k * L->out_h * L->out_w;
            double col = per_image > 128.0 * 1024 ? per_image : 128.0 * 1024;
            if (col > max_col) max_col = col;
        }
    }
    return f + 2 * B * max_act + 2 * max_col + (in_c > 1 ? B * in : 0);
}

ol_status ol_model_memory(const char *spec, int in_c, int in_h, int in_w, int max_batch, double *bytes,
                          ol_error *err) {
    *bytes = 0;
    if (max_batch <= 0 || max_batch > 65536)
        return ol_fail(err, OL_EINVAL, "ol_model_memory: max_batch %d must be 1..65536", max_batch);
    nn_layer *layers = NULL;
    int n = 0;
    size_t n_params = 0;
    ol_status st = nn_parse_spec(spec, in_c, in_h, in_w, &layers, &n, &n_params, err);
    if (st) return st;
    *bytes = 4 * model_floats(layers, n, n_params, in_c, in_h, in_w, max_batch);
    free(layers);
    return OL_OK;
}

double ol_model_max_memory(void) {
    const char *s = getenv("OPTLAB_MAX_MEMORY");
    if (!s || !*s) return OL_MODEL_MAX_MEMORY_DEFAULT;
    if (!strcmp(s, "none")) return INFINITY;
    char *end = NULL;
    double v = strtod(s, &end);
    if (!end || end == s || !(v >= 0) || !isfinite(v)) return OL_MODEL_MAX_MEMORY_DEFAULT;
    double unit = 1;
    if (*end) {
        const char *units = "KMGT";
        const char *u = strchr(units, *end == 'k' ? 'K' : *end);
        if (!u || !*u || (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))) return OL_MODEL_MAX_MEMORY_DEFAULT;
        for (const char *q = units; q <= u; q++) unit *= 1024;
    }
    return v == 0 ? INFINITY : v * unit;
}

/* "3.2 GB" */
static void format_bytes(char *buf, size_t n, double b) {
    if (b >= 1024.0 * 1024 * 1024) snprintf(buf, n, "%.1f GB", b / (1024.0 * 1024 * 1024));
    else snprintf(buf, n, "%.0f MB", b / (1024.0 * 1024));
}

ol_status ol_model_create(ol_model **out, const char *spec, int in_c, int in_h, int in_w,
                          int max_batch, ol_error *err) {
    if (!out) return ol_fail(err, OL_EINVAL, "ol_model_create: out is NULL");
    *out = NULL;
    if (max_batch <= 0 || max_batch > 65536)
        return ol_fail(err, OL_EINVAL, "ol_model_create: max_batch %d must be 1..65536", max_batch);
    ol_model *m = calloc(1, sizeof *m);
    if (!m) return ol_fail(err, OL_ENOMEM, "ol_model_create: out of memory");
    ol_status st = nn_parse_spec(spec, in_c, in_h, in_w, &m->layers, &m->n_layers, &m->n_params,
                                 err);
    if (st) {
        free(m);
        return st;
    }
    /* refuse what would not fit before allocating it (a spec like conv4096k3p1 conv4096k3p1
       otherwise takes minutes and gigabytes before anyone is told) */
    double need = 4 * model_floats(m->layers, m->n_layers, m->n_params, in_c, in_h, in_w, max_batch),
           limit = ol_model_max_memory();
    if (need > limit) {
        char a[32], b[32];
        format_bytes(a, sizeof a, need);
        format_bytes(b, sizeof b, limit);
        double mparams = (double)m->n_params / 1e6;
        free(m->layers);
        free(m);
        return ol_fail(err, OL_EINVAL,
                       "this model needs about %s (%.3g million parameters; activations for batches of %d), "
                       "above the limit of %s (set OPTLAB_MAX_MEMORY, e.g. OPTLAB_MAX_MEMORY=16G, to allow more)",
                       a, mparams, max_batch, b);
    }
    m->in_c = in_c; m->in_h = in_h; m->in_w = in_w;
    m->max_batch = max_batch;
    m->classes = m->layers[m->n_layers - 1].out_c;
    m->first_param_layer = m->n_layers;
    size_t B = (size_t)max_batch, max_act = (size_t)in_c * in_h * in_w, max_col = 0;
    /* fusions: conv+relu in one GEMM epilogue; relu's backward inside a following maxpool's */
    for (int i = 0; i + 1 < m->n_layers; i++) {
        nn_layer *L = &m->layers[i], *next = &m->layers[i + 1];
        if (L->kind == OL_LAYER_CONV && next->kind == OL_LAYER_RELU) {
            L->fuse_relu = 1;
            next->relu_fused = 1;
        }
        if (L->kind == OL_LAYER_RELU && next->kind == OL_LAYER_MAXPOOL) {
            next->pool_masks_relu = 1;
            L->bwd_identity = 1;
        }
    }
    /* conv → relu → maxpool2 as the first parameter layer: one pass, the conv's
     * output never stored (convpool.c, nn_convpool_*) */
    int fp = 0;
    while (fp < m->n_layers && !m->layers[fp].n_params) fp++;
    if (fp + 2 < m->n_layers && m->layers[fp].fuse_relu && m->layers[fp + 2].pool_masks_relu &&
        nn_convpool_applies(&m->layers[fp], &m->layers[fp + 2])) {
        m->layers[fp].pool_fused = 1;
        m->layers[fp + 2].fused_away = 1;
    }
    int ok = (m->params = alloc_floats(m->n_params)) && (m->grads = alloc_floats(m->n_params));
    for (int i = 0; ok && i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        if (L->n_params && m->first_param_layer == m->n_layers) m->first_param_layer = i;
        if (L->out_size > max_act) max_act = L->out_size;
        if (L->relu_fused) {
            L->out = m->layers[i - 1].out;
            continue;
        }
        if (L->pool_fused) { /* no full-size output: the padded input and the pool's masks */
            ok = (L->xpad = alloc_floats(nn_convpool_xpad_floats(L, max_batch))) &&
                 (L->wmask = alloc_u16(nn_maxpool_wmask_count(&m->layers[i + 2], max_batch)));
            continue;
        }
        ok = (L->out = alloc_floats(B * L->out_size)) != NULL;
        if (ok && L->kind == OL_LAYER_MAXPOOL && nn_maxpool_wmask_count(L, max_batch))
            ok = (L->wmask = alloc_u16(nn_maxpool_wmask_count(L, max_batch))) != NULL;
        if (L->kind == OL_LAYER_CONV) {
            /* images per im2col chunk: ~128k floats of columns (512 KB, in L2) */
            size_t per_image = (size_t)L->in_c * L->k * L->k * L->out_h * L->out_w;
            size_t chunk = (128 * 1024) / per_image;
            if (chunk < 1) chunk = 1;
            if (chunk > B) chunk = B;
            L->chunk = (int)chunk;
            if (chunk * per_image > max_col) max_col = chunk * per_image;
            if ((L->wino = nn_wino_applies(L))) { /* Winograd: its own chunk and scratch */
                L->chunk = nn_wino_chunk(L, max_batch);
                if (nn_wino_scratch(L) > max_col) max_col = nn_wino_scratch(L);
            }
        }
    }
    ok = ok && (m->gbuf[0] = alloc_floats(B * max_act)) && (m->gbuf[1] = alloc_floats(B * max_act));
    if (ok && max_col)
        ok = (m->col = alloc_floats(max_col)) && (m->dcol = alloc_floats(max_col));
    if (ok && in_c > 1 && m->layers[0].kind != OL_LAYER_CONV)
        ok = (m->input_cb = alloc_floats(B * in_c * in_h * in_w)) != NULL;
    if (!ok) {
        ol_model_free(m);
        return ol_fail(err, OL_ENOMEM, "ol_model_create: out of memory for max_batch %d",
                       max_batch);
    }
    *out = m;
    return OL_OK;
}

ol_status ol_model_spec_read_file(const char *path, char **out, ol_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ol_fail(err, OL_EIO, "model spec file %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return ol_fail(err, OL_ENOMEM, "model spec file %s: out of memory", path);
    }
    size_t got;
    while ((got = fread(buf + len, 1, cap - 1 - len, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            if (cap >= (1u << 20)) {
                free(buf);
                fclose(f);
                return ol_fail(err, OL_EFORMAT, "model spec file %s: larger than 1 MiB", path);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return ol_fail(err, OL_ENOMEM, "model spec file %s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ol_fail(err, OL_EIO, "model spec file %s: read error", path);
    }
    buf[len] = 0;
    *out = buf;
    return OL_OK;
}

size_t ol_model_num_params(const ol_model *m) { return m->n_params; }
float *ol_model_params(ol_model *m) { return m->params; }
float *ol_model_grads(ol_model *m) { return m->grads; }
int ol_model_num_classes(const ol_model *m) { return m->classes; }
int ol_model_max_batch(const ol_model *m) { return m->max_batch; }
size_t ol_model_input_size(const ol_model *m) { return (size_t)m->in_c * m->in_h * m->in_w; }
int ol_model_num_layers(const ol_model *m) { return m->n_layers; }

void ol_model_init(ol_model *m, ol_rng *rng) {
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *L = &m->layers[i];
        if (!L->n_params) continue;
        size_t fan_in = L->kind == OL_LAYER_CONV ? (size_t)L->in_c * L->k * L->k : (size_t)L->in_c;
        double bound = 1.0 / sqrt((double)fan_in);
        for (size_t j = 0; j < L->n_params; j++)
            m->params[L->w_off + j] = (float)((2.0 * ol_rng_uniform(rng) - 1.0) * bound);
    }
}

/* The input of layer i for a batch: the previous output or the model input. */
static const float *layer_input(const ol_model *m, int i, const float *x) {
    if (i > 0) return m->layers[i - 1].out;
    return m->input_cb ? m->input_cb : x;
}

/* Forward over B <= max_batch images; leaves every layer's output in place.
 * train: a backward pass follows (the pools record their window masks for it). */
static void forward(ol_model *m, const float *x, int B, int train) {
    if (m->input_cb) { /* [B][C][HW] → [C][B][HW] */
        size_t hw = (size_t)m->in_h * m->in_w;
        for (int c = 0; c < m->in_c; c++)
            for (int b = 0; b < B; b++)
                memcpy(m->input_cb + ((size_t)c * B + b) * hw, x + ((size_t)b * m->in_c + c) * hw,
                       sizeof(float) * hw);
    }
    for (int i = 0; i < m->n_layers; i++) {
        nn_layer *L = &m->layers[i];
        const float *in = layer_input(m, i, x);
        size_t n = (size_t)B * L->out_size;
        float *y = L->out;
        switch (L->kind) {
        case OL_LAYER_CONV:
            if (L->pool_fused)
                nn_convpool_forward(L, &m->layers[i + 2], m->params, in, i == 0 && !m->input_cb,
                                    B, L->xpad, train ? L->wmask : NULL, m->layers[i + 2].out);
            else
                nn_conv_forward(L, m->params, in, i == 0 && !m->input_cb, B, y, m->col);
            break;
        case OL_LAYER_MAXPOOL:
            if (!L->fused_away) nn_maxpool_forward(L, in, B, y, train ? L->wmask : NULL);
            break;
        case OL_LAYER_RELU:
            if (!L->relu_fused)
                for (size_t j = 0; j < n; j++) y[j] = in[j] > 0.0f ? in[j] : 0.0f;
            break;
        case OL_LAYER_SIGMOID:
            for (size_t j = 0; j < n; j++) y[j] = 1.0f / (1.0f + expf(-in[j]));
            break;
        case OL_LAYER_TANH:
            for (size_t j = 0; j < n; j++) y[j] = tanhf(in[j]);
            break;
        case OL_LAYER_FLATTEN: nn_flatten_forward(L, in, B, y); break;
        case OL_LAYER_LINEAR: nn_linear_forward(L, m->params, in, B, y); break;
        case OL_LAYER_SOFTMAX: nn_softmax_rows(in, B, L->out_c, y); break;
        }
    }
    m->last_batch = B;
}

/*
 * Backward from dL/d(output of layer `top`) held in gbuf[0], down to the first
 * layer with parameters (its input gradient is never needed).
 */
static void backward(ol_model *m, const float *x, int B, int top) {
    int cur = 0;
    for (int i = top; i >= m->first_param_layer; i--) {
        nn_layer *L = &m->layers[i];
        const float *in = layer_input(m, i, x);
        const float *g = m->gbuf[cur];
        float *d = i > m->first_param_layer ? m->gbuf[cur ^ 1] : NULL;
        const float *y = L->out;
        size_t n = (size_t)B * L->out_size;
        switch (L->kind) {
        case OL_LAYER_CONV:
            if (L->pool_fused) /* the first parameter layer: d is NULL */
                nn_convpool_backward(L, &m->layers[i + 2], m->params, m->grads, g, B, L->xpad,
                                     L->wmask);
            else
                nn_conv_backward(L, m->params, m->grads, in, i == 0 && !m->input_cb, g, B,
                                 m->col, m->dcol, d);
            break;
        case OL_LAYER_LINEAR: nn_linear_backward(L, m->params, m->grads, in, g, B, d); break;
        case OL_LAYER_MAXPOOL:
            if (L->fused_away) continue; /* done by the conv below: g passes through */
            if (d) nn_maxpool_backward(L, in, y, g, B, d, L->wmask);
            break;
        case OL_LAYER_RELU:
            if (L->bwd_identity) continue; /* masked by the maxpool above: g passes through */
            if (d) nn_relu_backward(y, g, n, d);
            break;
        case OL_LAYER_SIGMOID:
            if (d)
                for (size_t j = 0; j < n; j++) d[j] = g[j] * y[j] * (1.0f - y[j]);
            break;
        case OL_LAYER_TANH:
            if (d)
                for (size_t j = 0; j < n; j++) d[j] = g[j] * (1.0f - y[j] * y[j]);
            break;
        case OL_LAYER_FLATTEN:
            if (d) nn_flatten_backward(L, g, B, d);
            break;
        case OL_LAYER_SOFTMAX:
            if (d) nn_softmax_backward(y, g, B, L->out_c, d);
            break;
        }
        cur ^= 1;
    }
}

ol_status ol_model_train_batch(ol_model *m, const float *x, const uint8_t *labels, int batch,
                               ol_loss_kind loss, float *loss_out, ol_error *err) {
    if (batch <= 0 || batch > m->max_batch)
        return ol_fail(err, OL_EINVAL, "train_batch: batch size %d must be 1..%d (max_batch)",
                       batch, m->max_batch);
    if (loss != OL_LOSS_SEED && loss != OL_LOSS_LOGITS)
        return ol_fail(err, OL_EINVAL, "train_batch: unknown loss kind %d", (int)loss);
    for (int b = 0; b < batch; b++)
        if (labels[b] >= m->classes)
            return ol_fail(err, OL_EINVAL, "train_batch: label %d of image %d is not below %d classes",
                           labels[b], b, m->classes);
    forward(m, x, batch, 1);
    int top = m->n_layers - 1;
    if (loss == OL_LOSS_LOGITS && m->layers[top].kind == OL_LAYER_SOFTMAX) top--;
    int C = m->classes;
    const float *z = top >= 0 ? m->layers[top].out : x;
    float *dz = m->gbuf[0];
    double total = 0.0, inv_b = 1.0 / batch;
    /* cross-entropy on z (log-softmax applied here): loss = lse(z) − z[y] */
    for (int b = 0; b < batch; b++) {
        const float *zr = z + (size_t)b * C;
        float *dr = dz + (size_t)b * C;
        double mx = zr[0], s = 0.0;
        for (int j = 1; j < C; j++)
            if (zr[j] > mx) mx = zr[j];
        for (int j = 0; j < C; j++) s += exp(zr[j] - mx);
        double lse = mx + log(s);
        total += lse - zr[labels[b]];
        for (int j = 0; j < C; j++)
            dr[j] = (float)((exp(zr[j] - lse) - (j == labels[b] ? 1.0 : 0.0)) * inv_b);
    }
    double mean = total * inv_b;
    if (loss_out) *loss_out = (float)mean;
    backward(m, x, batch, top);
    if (!isfinite(mean))
        return ol_fail(err, OL_EDIVERGED, "train_batch: loss is %g (diverged)", mean);
    return OL_OK;
}

ol_status ol_model_forward(ol_model *m, const float *x, int n, float *out, ol_error *err) {
    if (n < 0) return ol_fail(err, OL_EINVAL, "forward: image count %d is negative", n);
    size_t in_size = ol_model_input_size(m), C = (size_t)m->classes;
    for (int s = 0; s < n; s += m->max_batch) {
        int B = n - s < m->max_batch ? n - s : m->max_batch;
        forward(m, x + (size_t)s * in_size, B, 0);
        memcpy(out + (size_t)s * C, m->layers[m->n_layers - 1].out, sizeof(float) * B * C);
    }
    return OL_OK;
}

ol_status ol_model_predict(ol_model *m, const float *x, int n, int *pred_out, ol_error *err) {
    if (n < 0) return ol_fail(err, OL_EINVAL, "predict: image count %d is negative", n);
    size_t in_size = ol_model_input_size(m);
    int C = m->classes;
    for (int s = 0; s < n; s += m->max_batch) {
        int B = n - s < m->max_batch ? n - s : m->max_batch;
        forward(m, x + (size_t)s * in_size, B, 0);
        const float *o = m->layers[m->n_layers - 1].out;
        for (int b = 0; b < B; b++) {
            const float *r = o + (size_t)b * C;
            int best = 0;
            for (int j = 1; j < C; j++)
                if (r[j] > r[best]) best = j;
            pred_out[s + b] = best;
        }
    }
    return OL_OK;
}

static double norm2(const float *a, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return sqrt(s);
}

int ol_model_layer_stats(const ol_model *m, ol_layer_stats *out, int max) {
    for (int i = 0; i < m->n_layers && i < max; i++) {
        const nn_layer *L = &m->layers[i];
        ol_layer_stats *s = &out[i];
        memset(s, 0, sizeof *s);
        s->kind = L->kind;
        snprintf(s->token, sizeof s->token, "%s", L->token);
        s->param_offset = L->n_params ? L->w_off : 0;
        s->param_count = L->n_params;
        if (L->n_params) {
            s->weight_norm = norm2(m->params + L->w_off, L->n_params);
            s->grad_norm = norm2(m->grads + L->w_off, L->n_params);
        }
        size_t n = (size_t)m->last_batch * L->out_size, dead = 0;
        const float *out = L->out;
        float *redone = NULL;
        if (!out && n) { /* a fused conv (and its ReLU): recompute the output not stored */
            const nn_layer *C = L->pool_fused ? L : L - 1;
            if ((redone = malloc(sizeof(float) * n)))
                nn_convpool_conv_output(C, C->xpad, m->last_batch, redone);
            out = redone;
        }
        if (!out) n = 0;
        double sum = 0.0;
        for (size_t j = 0; j < n; j++) {
            float y = out[j];
            sum += y;
            if (L->kind == OL_LAYER_RELU) dead += y == 0.0f;
            else if (L->kind == OL_LAYER_SIGMOID) dead += y < 0.01f || y > 0.99f;
            else if (L->kind == OL_LAYER_TANH) dead += fabsf(y) > 0.99f;
        }
        s->frac_dead = n ? (double)dead / n : 0.0;
        if (L->kind == OL_LAYER_RELU && n > 0) {
            /* a unit is dead when no image of the batch activates it. Layout: flat
             * tensors are [batch][out_size]; spatial ones [C][batch][H·W] (CB layout) */
            size_t dead_units = 0, B = (size_t)m->last_batch;
            size_t hw = L->out_flat ? 1 : (size_t)L->out_h * L->out_w;
            for (size_t u = 0; u < L->out_size; u++) {
                size_t c = u / hw, p = u % hw;
                int active = 0;
                for (size_t b = 0; b < B && !active; b++) {
                    size_t at = L->out_flat ? b * L->out_size + u : (c * B + b) * hw + p;
                    active = out[at] != 0.0f;
                }
                dead_units += !active;
            }
            s->frac_dead_units = (double)dead_units / L->out_size;
        }
        free(redone);
        s->out_mean = n ? sum / n : 0.0;
    }
    return m->n_layers;
}

/* ---- parameter tensors, for optimizers that need shapes (nn.h) ---- */

int ol_model_tensors(const ol_model *m, ol_model_tensor *out, int max) {
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *L = &m->layers[i];
        if (!L->n_params) continue;
        /* weight then bias (spec.c): the weight is out_c rows of in*k*k (conv) or in (linear) */
        size_t rows = (size_t)L->out_c, cols = (L->b_off - L->w_off) / rows;
        if (n < max) {
            ol_model_tensor *t = &out[n];
            memset(t, 0, sizeof *t);
            snprintf(t->name, sizeof t->name, "%d:%.24s.weight", i, L->token);
            t->offset = L->w_off;
            t->rows = rows;
            t->cols = cols;
        }
        n++;
        if (n < max) {
            ol_model_tensor *t = &out[n];
            memset(t, 0, sizeof *t);
            snprintf(t->name, sizeof t->name, "%d:%.24s.bias", i, L->token);
            t->offset = L->b_off;
            t->rows = (size_t)L->out_c;
        }
        n++;
    }
    return n;
}
