/*
 * kernels.c — the step functions the registry (registry.c) points at: one fused
 * pass over a parameter group's arrays per step, reading the gradient once and
 * each state slot once, writing param and state once. The step is memory-bound,
 * so one pass is what makes it fast (see bench/optim.c).
 *
 * Float32 arithmetic follows torch.optim 1.13's single-tensor code exactly:
 * scalars are formed in double then rounded to float (as torch's Scalar ->
 * float conversion does), `add_(x, alpha=a)` is a fused multiply-add (torch's
 * AVX2 kernels use vfmadd there), `addcmul_` is fma(v*t1, t2, self) (gcc
 * contracts torch's vectorised self + v*t1*t2), `addcdiv_` is self + (v*t1)/t2
 * and separate torch calls (mul_ then add_) round in between. That is why
 * fmaf() appears where it does: with it the replayed trajectories match
 * torch's bit for bit on this CPU (tests/optim/replay_goldens.sh).
 *
 * seed_variant=1 switches to the seed note's placement of eps (docs/optimizers.md).
 */
#if defined(__GNUC__) && !defined(__clang__)
/* -O2's "very cheap" vectoriser skips loops whose trip count is unknown. */
#pragma GCC optimize("O3", "vect-cost-model=dynamic")
#endif

#include <math.h>

#include "optim_internal.h"

/* An AVX2+FMA clone beside the baseline one, picked at load time: fmaf() is an
 * instruction there, and a library call per element in the baseline. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OL_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define OL_KERNEL
#endif

#define HP(id) (a->hp[OL_HP_##id])
#define FLAG(id) (a->hp[OL_HP_##id] != 0.0)
#define INLINE static inline __attribute__((always_inline))

/* The loops below carry no branches: maximize multiplies by -1 (exact), L2
 * decay with weight_decay 0 adds p*0, decoupled decay without decay multiplies
 * by 1, and switches that change which arrays are touched (momentum, amsgrad,
 * centered, seed_variant) pick a loop specialised at compile time by passing
 * constants to an always-inlined body. Branch-free loops vectorise. */
#define DISPATCH2(body, a, x, y)                                                                 \
    do {                                                                                         \
        switch (((x) ? 2 : 0) | ((y) ? 1 : 0)) {                                                 \
        case 0: body(a, 0, 0); break;                                                            \
        case 1: body(a, 0, 1); break;                                                            \
        case 2: body(a, 1, 0); break;                                                            \
        default: body(a, 1, 1); break;                                                           \
        }                                                                                        \
    } while (0)
#define DISPATCH3(body, a, x, y, z)                                                              \
    do {                                                                                         \
        if (x) DISPATCH2(body##_1, a, y, z);                                                     \
        else DISPATCH2(body##_0, a, y, z);                                                       \
    } while (0)

/* ---- SGD (plain, momentum, Nesterov): state = momentum buffer ---- */
INLINE void sgd_body(const ol_optim_step_args *a, const int use_mom, const int nesterov, const int first) {
    float *restrict p = a->params, *restrict buf = a->state;
    const float *restrict g = a->grads;
    const size_t n = a->n;
    const float neg_lr = (float)(-HP(LEARNING_RATE)), wd = (float)HP(WEIGHT_DECAY);
    const float mom = (float)HP(MOMENTUM), keep = (float)(1.0 - HP(DAMPENING));
    const float sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        if (use_mom) {
            /* torch starts the buffer as a copy of the first (decayed) gradient */
            float b = first ? d : fmaf(d, keep, buf[i] * mom);
            buf[i] = b;
            d = nesterov ? fmaf(b, mom, d) : b;
        }
        p[i] = fmaf(d, neg_lr, p[i]);
    }
}
INLINE void sgd_plain(const ol_optim_step_args *a, const int x, const int y) { sgd_body(a, 0, 0, 0); }
INLINE void sgd_mom(const ol_optim_step_args *a, const int nesterov, const int first) { sgd_body(a, 1, nesterov, first); }

OL_KERNEL void ol_step_sgd(const ol_optim_step_args *a) {
    if (HP(MOMENTUM) == 0.0) {
        sgd_plain(a, 0, 0);
        return;
    }
    const int first = a->scalars[0] == 0.0;
    a->scalars[0] = 1.0;
    DISPATCH2(sgd_mom, a, FLAG(NESTEROV), first);
}

/* ---- RMSprop: state = square_avg, momentum buffer, grad_avg (centered) ---- */
INLINE void rmsprop_body(const ol_optim_step_args *a, const int centered, const int use_mom, const int seed) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict sq = a->state, *restrict buf = a->state + n,
                    *restrict gavg = a->state + 2 * n;
    const float *restrict g = a->grads;
    const float alpha = (float)HP(ALPHA), one_m_alpha = (float)(1.0 - HP(ALPHA));
    const float eps = (float)HP(EPS), wd = (float)HP(WEIGHT_DECAY), mom = (float)HP(MOMENTUM);
    const float neg_lr = (float)(-HP(LEARNING_RATE)), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float s = fmaf(one_m_alpha * d, d, sq[i] * alpha);
        sq[i] = s;
        float var = s;
        if (centered) {
            float ga = fmaf(d, one_m_alpha, gavg[i] * alpha);
            gavg[i] = ga;
            var = fmaf(-ga, ga, s);
        }
        float avg = seed ? sqrtf(var + eps) : sqrtf(var) + eps;
        if (use_mom) {
            float b = buf[i] * mom + d / avg;
            buf[i] = b;
            p[i] = fmaf(b, neg_lr, p[i]);
        } else {
            p[i] = p[i] + (neg_lr * d) / avg;
        }
    }
}
INLINE void rmsprop_body_0(const ol_optim_step_args *a, const int m, const int s) { rmsprop_body(a, 0, m, s); }
INLINE void rmsprop_body_1(const ol_optim_step_args *a, const int m, const int s) { rmsprop_body(a, 1, m, s); }

OL_KERNEL void ol_step_rmsprop(const ol_optim_step_args *a) {
    DISPATCH3(rmsprop_body, a, FLAG(CENTERED), HP(MOMENTUM) > 0.0, FLAG(SEED_VARIANT));
}

/*
 * The per-step scalars of the bias-corrected two-moment family (Adam, AdamW,
 * AdaBelief): computed once per step in double, as torch.optim does, then
 * rounded to float for the loop. Weight decay: decoupled (AdamW) shrinks the
 * parameter by 1 - lr*wd before the moments; coupled (Adam) adds wd*p to the
 * gradient.
 */
typedef struct {
    float neg_step, bc2_sqrt, bc2f, beta1, one_m_b1, beta2, one_m_b2, eps, decay, l2, sign;
} moment_scalars;

static inline moment_scalars moment_scalars_of(const ol_optim_step_args *a) {
    const double lr = HP(LEARNING_RATE), b1 = HP(BETA1), b2 = HP(BETA2), wd = HP(WEIGHT_DECAY);
    const double bc1 = 1.0 - pow(b1, (double)a->step), bc2 = 1.0 - pow(b2, (double)a->step);
    const int decoupled = FLAG(DECOUPLED_WEIGHT_DECAY);
    moment_scalars k = {
        .neg_step = (float)(-(lr / bc1)),
        .bc2_sqrt = (float)sqrt(bc2),
        .bc2f = (float)bc2,
        .beta1 = (float)b1,
        .one_m_b1 = (float)(1.0 - b1),
        .beta2 = (float)b2,
        .one_m_b2 = (float)(1.0 - b2),
        .eps = (float)HP(EPS),
        .decay = decoupled ? (float)(1.0 - lr * wd) : 1.0f,
        .l2 = decoupled ? 0.0f : (float)wd,
        .sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f,
    };
    return k;
}

/* ---- Adam, and AdamW = Adam + decoupled weight decay: state = m, v, max v ---- */
INLINE void adam_body(const ol_optim_step_args *a, const int amsgrad, const int seed) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state, *restrict v = a->state + n,
                    *restrict vmax = a->state + 2 * n;
    const float *restrict g = a->grads;
    const moment_scalars k = moment_scalars_of(a);
    const float neg_step = k.neg_step, bc2_sqrt = k.bc2_sqrt, bc2f = k.bc2f, eps = k.eps;
    const float beta1 = k.beta1, one_m_b1 = k.one_m_b1, beta2 = k.beta2, one_m_b2 = k.one_m_b2;
    const float decay = k.decay, l2 = k.l2, sign = k.sign;
    for (size_t i = 0; i < n; i++) {
        float w = p[i] * decay;
        float d = fmaf(w, l2, g[i] * sign);
        float mi = fmaf(d, one_m_b1, m[i] * beta1);
        float vi = fmaf(one_m_b2 * d, d, v[i] * beta2);
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            float top = vmax[i] > vi ? vmax[i] : vi;
            vmax[i] = top;
            vi = top;
        }
        float denom = seed ? sqrtf(vi / bc2f + eps) : sqrtf(vi) / bc2_sqrt + eps;
        p[i] = w + (neg_step * mi) / denom;
    }
}

OL_KERNEL void ol_step_adam(const ol_optim_step_args *a) { DISPATCH2(adam_body, a, FLAG(AMSGRAD), FLAG(SEED_VARIANT)); }

/* ---- AdaGrad: state = sum of squares ---- */
INLINE void adagrad_body(const ol_optim_step_args *a, const int seed, const int unused) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict sum = a->state;
    const float *restrict g = a->grads;
    const double clr = HP(LEARNING_RATE) / (1.0 + (double)(a->step - 1) * HP(LR_DECAY));
    const float neg_clr = (float)(-clr), eps = (float)HP(EPS), wd = (float)HP(WEIGHT_DECAY);
    const float sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float s = fmaf(d, d, sum[i]);
        sum[i] = s;
        float std = seed ? sqrtf(s + eps) : sqrtf(s) + eps;
        p[i] = p[i] + (neg_clr * d) / std;
    }
}

OL_KERNEL void ol_step_adagrad(const ol_optim_step_args *a) {
    if (a->scalars[0] == 0.0) { /* torch fills the accumulator when the state is made */
        const float init = (float)HP(INITIAL_ACCUMULATOR_VALUE);
        for (size_t i = 0; i < a->n; i++) a->state[i] = init;
        a->scalars[0] = 1.0;
    }
    DISPATCH2(adagrad_body, a, FLAG(SEED_VARIANT), 0);
}

/* ---- AdaDelta: state = E[g^2], E[dx^2] ---- */
INLINE void adadelta_body(const ol_optim_step_args *a, const int seed, const int unused) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict sq = a->state, *restrict acc = a->state + n;
    const float *restrict g = a->grads;
    const float rho = (float)HP(RHO), one_m_rho = (float)(1.0 - HP(RHO)), eps = (float)HP(EPS);
    const float neg_lr = (float)(-HP(LEARNING_RATE)), wd = (float)HP(WEIGHT_DECAY);
    const float sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float s = fmaf(one_m_rho * d, d, sq[i] * rho);
        sq[i] = s;
        float std = seed ? sqrtf(s) + eps : sqrtf(s + eps);
        float delta = sqrtf(acc[i] + eps) / std * d;
        acc[i] = fmaf(one_m_rho * delta, delta, acc[i] * rho);
        p[i] = fmaf(delta, neg_lr, p[i]);
    }
}

OL_KERNEL void ol_step_adadelta(const ol_optim_step_args *a) { DISPATCH2(adadelta_body, a, FLAG(SEED_VARIANT), 0); }

/* ---- NAdam: state = m, v; scalars[0] = mu product (a float32 in torch) ---- */
OL_KERNEL void ol_step_nadam(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state, *restrict v = a->state + n;
    const float *restrict g = a->grads;
    const double lr = HP(LEARNING_RATE), b1 = HP(BETA1), b2 = HP(BETA2), md = HP(MOMENTUM_DECAY);
    const double t = (double)a->step;
    const double bc2 = 1.0 - pow(b2, t);
    const double mu = b1 * (1.0 - 0.5 * pow(0.96, t * md));
    const double mu_next = b1 * (1.0 - 0.5 * pow(0.96, (t + 1.0) * md));
    if (a->step == 1) a->scalars[0] = 1.0;
    float mu_product = (float)a->scalars[0];
    mu_product = mu_product * (float)mu;
    /* torch 1.13 multiplies mu in twice here (mu_product already holds it); kept to match */
    float mu_product_next = (mu_product * (float)mu) * (float)mu_next;
    a->scalars[0] = mu_product;
    const float c_grad = (float)(-lr * (1.0 - mu) / (1.0 - (double)mu_product));
    const float c_mom = (float)(-lr * mu_next / (1.0 - (double)mu_product_next));
    const float beta1 = (float)b1, one_m_b1 = (float)(1.0 - b1);
    const float beta2 = (float)b2, one_m_b2 = (float)(1.0 - b2), bc2f = (float)bc2;
    const float eps = (float)HP(EPS), wd = (float)HP(WEIGHT_DECAY);
    const int decoupled = FLAG(DECOUPLED_WEIGHT_DECAY);
    const float decay = decoupled ? (float)(1.0 - lr * wd) : 1.0f, l2 = decoupled ? 0.0f : wd;
    const float sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float w = p[i] * decay;
        float d = fmaf(w, l2, g[i] * sign);
        float mi = fmaf(d, one_m_b1, m[i] * beta1);
        float vi = fmaf(one_m_b2 * d, d, v[i] * beta2);
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi / bc2f) + eps;
        w = w + (c_grad * d) / denom;
        p[i] = w + (c_mom * mi) / denom;
    }
}

/* ---- AdaBelief (Zhuang et al. 2020, Algorithm 2): state = m, s ---- */
OL_KERNEL void ol_step_adabelief(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state, *restrict s = a->state + n;
    const float *restrict g = a->grads;
    const moment_scalars k = moment_scalars_of(a);
    const float neg_step = k.neg_step, bc2_sqrt = k.bc2_sqrt, eps = k.eps;
    const float beta1 = k.beta1, one_m_b1 = k.one_m_b1, beta2 = k.beta2, one_m_b2 = k.one_m_b2;
    const float decay = k.decay, l2 = k.l2, sign = k.sign;
    for (size_t i = 0; i < n; i++) {
        float w = p[i] * decay;
        float d = fmaf(w, l2, g[i] * sign);
        float mi = fmaf(d, one_m_b1, m[i] * beta1);
        float r = d - mi; /* the "belief": how far the gradient is from its prediction */
        float si = fmaf(one_m_b2 * r, r, s[i] * beta2) + eps;
        m[i] = mi;
        s[i] = si;
        float denom = sqrtf(si) / bc2_sqrt + eps;
        p[i] = w + (neg_step * mi) / denom;
    }
}

/* ==== The rest of torch.optim 1.13: Adamax, RAdam, ASGD, Rprop ==== */

/* ---- Adamax: state = m, u (exponentially weighted infinity norm) ---- */
OL_KERNEL void ol_step_adamax(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state, *restrict u = a->state + n;
    const float *restrict g = a->grads;
    const double b1 = HP(BETA1);
    const float neg_clr = (float)(-(HP(LEARNING_RATE) / (1.0 - pow(b1, (double)a->step))));
    const float beta1 = (float)b1, one_m_b1 = (float)(1.0 - b1), beta2 = (float)HP(BETA2);
    const float eps = (float)HP(EPS), wd = (float)HP(WEIGHT_DECAY), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float mi = fmaf(d, one_m_b1, m[i] * beta1);
        float decayed = u[i] * beta2, fresh = fabsf(d) + eps;
        float ui = decayed > fresh ? decayed : fresh; /* torch.amax over the pair */
        m[i] = mi;
        u[i] = ui;
        p[i] = p[i] + (neg_clr * mi) / ui;
    }
}

/* ---- RAdam: state = m, v; the rectified step once the SMA length rho_t > 5 ---- */
OL_KERNEL void ol_step_radam(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict m = a->state, *restrict v = a->state + n;
    const float *restrict g = a->grads;
    const double lr = HP(LEARNING_RATE), b1 = HP(BETA1), b2 = HP(BETA2), t = (double)a->step;
    const double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
    const double rho_inf = 2.0 / (1.0 - b2) - 1.0;
    const double rho_t = rho_inf - 2.0 * t * pow(b2, t) / bc2;
    const int rectified = rho_t > 5.0;
    const double rect = rectified ? sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 1.0;
    const float bc1f = (float)bc1, lrf = (float)lr, bc2_sqrt = (float)sqrt(bc2), rectf = (float)rect;
    const float beta1 = (float)b1, one_m_b1 = (float)(1.0 - b1), beta2 = (float)b2, one_m_b2 = (float)(1.0 - b2);
    const float eps = (float)HP(EPS), wd = (float)HP(WEIGHT_DECAY), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float mi = fmaf(d, one_m_b1, m[i] * beta1);
        float vi = fmaf(one_m_b2 * d, d, v[i] * beta2);
        m[i] = mi;
        v[i] = vi;
        /* torch: separate tensor ops, each rounded: m/bc1 * lr * adaptive_lr * rect, where
         * adaptive_lr = sqrt(bc2) / tensor is Tensor.__rdiv__, i.e. reciprocal() * sqrt(bc2) */
        float upd = (mi / bc1f) * lrf;
        if (rectified) upd = (upd * ((1.0f / (sqrtf(vi) + eps)) * bc2_sqrt)) * rectf;
        p[i] = p[i] - upd;
    }
}

/* ---- ASGD: state = ax (the average); scalars[1] = eta, scalars[2] = mu (float32 tensors in torch) ---- */
OL_KERNEL void ol_step_asgd(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict ax = a->state;
    const float *restrict g = a->grads;
    const double lr = HP(LEARNING_RATE), lambd = HP(LAMBD), alpha = HP(ALPHA), t0 = HP(T0), t = (double)a->step;
    if (a->scalars[0] == 0.0) { /* torch makes eta = tensor(lr), mu = tensor(1.) with the state */
        a->scalars[0] = 1.0;
        a->scalars[1] = (double)(float)lr;
        a->scalars[2] = 1.0;
    }
    const double eta = a->scalars[1], mu = a->scalars[2];
    const float shrink = (float)(1.0 - lambd * eta), neg_eta = (float)(-eta), muf = (float)mu;
    const float wd = (float)HP(WEIGHT_DECAY), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    const int average = mu != 1.0;
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float w = fmaf(d, neg_eta, p[i] * shrink);
        p[i] = w;
        ax[i] = average ? ax[i] + (w - ax[i]) * muf : w;
    }
    a->scalars[1] = (double)(float)(lr / pow(1.0 + lambd * lr * t, alpha));
    a->scalars[2] = (double)(float)(1.0 / (t - t0 > 1.0 ? t - t0 : 1.0));
}

/* ---- Rprop: state = previous gradient, per-parameter step size ---- */
OL_KERNEL void ol_step_rprop(const ol_optim_step_args *a) {
    const size_t n = a->n;
    float *restrict p = a->params, *restrict prev = a->state, *restrict size = a->state + n;
    const float *restrict g = a->grads;
    if (a->scalars[0] == 0.0) { /* torch fills the step sizes with lr when the state is made */
        const float lr = (float)HP(LEARNING_RATE);
        for (size_t i = 0; i < n; i++) size[i] = lr;
        a->scalars[0] = 1.0;
    }
    const float minus = (float)HP(ETA_MINUS), plus = (float)HP(ETA_PLUS);
    const float lo = (float)HP(STEP_SIZE_MIN), hi = (float)HP(STEP_SIZE_MAX), sign = FLAG(MAXIMIZE) ? -1.0f : 1.0f;
    const float wd = (float)HP(WEIGHT_DECAY);
    for (size_t i = 0; i < n; i++) {
        float d = fmaf(p[i], wd, g[i] * sign);
        float prod = d * prev[i];
        float factor = prod > 0.0f ? plus : prod < 0.0f ? minus : 1.0f;
        float s = size[i] * factor;
        s = s < lo ? lo : s; /* clamp_(min, max): max first, then min */
        s = s > hi ? hi : s;
        size[i] = s;
        if (factor == minus) d = 0.0f; /* torch zeroes where the factor equals etaminus */
        float dir = d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : 0.0f;
        p[i] = fmaf(-dir, s, p[i]);
        prev[i] = d;
    }
}
