/*
 * lbfgs.c — L-BFGS as torch.optim.LBFGS 1.13 does it, with and without its
 * strong-Wolfe line search (a port of minFunc's, by way of torch).
 *
 * LBFGS evaluates the objective several times per step, so it is not a registry
 * entry with a fused step function: it has its own entry point taking a closure
 * (loss and gradient at the current parameters). One flat parameter array, as
 * torch's LBFGS allows one parameter group only.
 *
 * torch keeps vectors in float32 and its scalars partly as float32 0-dim tensors
 * (dot products, ys, H_diag, ro, al, gtd) and partly as Python doubles (loss, t,
 * the line search's bracket). This file keeps each in the same precision. Dot
 * products go through cblas_sdot: Debian's torch calls the system BLAS (OpenBLAS)
 * for torch.dot, and the same routine rounds the same way (the one use of BLAS in
 * the optim layer; summing in double instead moved LBFGS off torch's path by 1e-5
 * within a few iterations). tests/optim/replay_lbfgs.sh replays torch's goldens.
 * liboptlab-optim, which links libm only, is built with OL_OPTIM_BLAS=0 and sums
 * in plain C in the same order instead (dotf below; tests/optim/replay_optim_only.sh).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optim_internal.h"
#if OL_OPTIM_BLAS
#include <cblas.h>
#endif

/* A scalar as torch holds it: a Python double, or a float32 0-dim tensor (f = 1); see num ops below. */
typedef struct {
    double v;
    int f;
} num;

struct ol_lbfgs {
    float *params;
    size_t n;
    /* settings (torch's keywords) */
    double lr, tolerance_grad, tolerance_change;
    long max_iter, max_eval, history_size;
    int strong_wolfe;
    /* state, kept across steps as torch's state dict */
    long func_evals, n_iter;
    float *grad, *d, *prev_grad, *x0, *q, *g_tmp, *g_prev, *g_best[2];
    float *dirs, *stps; /* history_size * n each, a ring */
    float *ro, *al;
    size_t hist_len, hist_start;
    num t; /* torch's t: a double or a float32 tensor */
    float h_diag;
    double prev_loss;
    int have_prev;
};

#if OL_OPTIM_BLAS
static float dotf(const float *a, const float *b, size_t n) { return cblas_sdot((blasint)n, a, 1, b, 1); }
#else
/* Without BLAS, the dot product sums in the order OpenBLAS's x86-64 sdot does (the
 * AVX2 kernel Debian's OpenBLAS runs here): whole blocks of 32 in 32 float lanes with
 * fused multiply-adds, the lanes folded pairwise, then the rest as float products
 * added in double. That keeps the replays of torch's goldens exact (a plain double
 * sum strays by 1e-5 and changes how many evaluations a step makes). */
static float dotf(const float *a, const float *b, size_t n) {
    const size_t blocks = n & ~(size_t)31;
    float lane[32] = {0};
    for (size_t i = 0; i < blocks; i += 32)
        for (size_t l = 0; l < 32; l++) lane[l] = fmaf(a[i + l], b[i + l], lane[l]);
    float fold[4];
    for (size_t l = 0; l < 4; l++) {
        /* each 8-lane register: upper half plus lower half; then registers 0+1, 2+3, and those two */
        float r0 = lane[l] + lane[l + 4], r1 = lane[8 + l] + lane[12 + l];
        float r2 = lane[16 + l] + lane[20 + l], r3 = lane[24 + l] + lane[28 + l];
        fold[l] = (r0 + r1) + (r2 + r3);
    }
    const float blocked = (fold[0] + fold[1]) + (fold[2] + fold[3]);
    double sum = 0.0;
    for (size_t i = blocks; i < n; i++) sum += (double)(a[i] * b[i]);
    sum += (double)blocked;
    return (float)sum;
}
#endif

static float absmax(const float *a, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; i++) m = fabsf(a[i]) > m ? fabsf(a[i]) : m;
    return m;
}

/* p += t * d (torch: p.add_(d, alpha=t)) */
static void add_step(float *p, const float *d, double t, size_t n) {
    const float tf = (float)t;
    for (size_t i = 0; i < n; i++) p[i] = fmaf(d[i], tf, p[i]);
}

static float *hist(float *base, const ol_lbfgs *o, size_t k) {
    return base + ((o->hist_start + k) % (size_t)o->history_size) * o->n;
}

static int parse_setting(ol_lbfgs *o, const char *name, const char *value, ol_error *err) {
    char *end;
    if (!strcasecmp(name, "line_search_fn") || !strcasecmp(name, "line_search")) {
        if (!strcasecmp(value, "strong_wolfe")) o->strong_wolfe = 1;
        else if (!strcasecmp(value, "none") || !*value) o->strong_wolfe = 0;
        else return ol_fail(err, OL_EINVAL, "lbfgs: line_search_fn = '%s' is not strong_wolfe or none", value);
        return OL_OK;
    }
    double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v)) return ol_fail(err, OL_EINVAL, "lbfgs: %s = '%s' is not a number", name, value);
    if (!strcasecmp(name, "lr") || !strcasecmp(name, "learning_rate")) {
        if (!(v > 0)) return ol_fail(err, OL_EINVAL, "lbfgs: lr = %g must be > 0", v);
        o->lr = v;
    } else if (!strcasecmp(name, "tolerance_grad")) {
        if (v < 0) return ol_fail(err, OL_EINVAL, "lbfgs: tolerance_grad = %g must be >= 0", v);
        o->tolerance_grad = v;
    } else if (!strcasecmp(name, "tolerance_change")) {
        if (v < 0) return ol_fail(err, OL_EINVAL, "lbfgs: tolerance_change = %g must be >= 0", v);
        o->tolerance_change = v;
    } else if (!strcasecmp(name, "max_iter") || !strcasecmp(name, "max_eval") || !strcasecmp(name, "history_size")) {
        if (v != floor(v) || v < 1 || v > 1e9) return ol_fail(err, OL_EINVAL, "lbfgs: %s = %g must be a whole number >= 1", name, v);
        if (!strcasecmp(name, "max_iter")) o->max_iter = (long)v;
        else if (!strcasecmp(name, "max_eval")) o->max_eval = (long)v;
        else o->history_size = (long)v;
    } else {
        return ol_fail(err, OL_EINVAL, "lbfgs: unknown setting '%s' (known: lr, max_iter, max_eval, tolerance_grad, "
                       "tolerance_change, history_size, line_search_fn)", name);
    }
    return OL_OK;
}

ol_status ol_lbfgs_create(ol_lbfgs **out, float *params, size_t n, const char *settings, ol_error *err) {
    if (!out) return ol_fail(err, OL_EINVAL, "ol_lbfgs_create: out is NULL");
    *out = NULL;
    if (!params || n == 0) return ol_fail(err, OL_EINVAL, "lbfgs: %s", params ? "n = 0 parameters" : "params is NULL");
    ol_lbfgs tmp = {.params = params, .n = n, .lr = 1, .max_iter = 20, .max_eval = -1, .tolerance_grad = 1e-7,
                    .tolerance_change = 1e-9, .history_size = 100};
    /* "name=value,name=value" */
    const char *s = settings ? settings : "";
    while (*s) {
        char item[128];
        size_t k = 0;
        while (*s && *s != ',') {
            if (k + 1 < sizeof item) item[k++] = *s;
            s++;
        }
        item[k] = '\0';
        if (*s == ',') s++;
        char *name = item;
        while (*name == ' ') name++;
        if (!*name) continue;
        char *eq = strchr(name, '=');
        if (!eq) return ol_fail(err, OL_EINVAL, "lbfgs: setting '%s' is not name=value", name);
        *eq = '\0';
        char *value = eq + 1, *e = eq;
        while (e > name && e[-1] == ' ') *--e = '\0';
        while (*value == ' ') value++;
        size_t L = strlen(value);
        while (L && value[L - 1] == ' ') value[--L] = '\0';
        ol_status st = parse_setting(&tmp, name, value, err);
        if (st) return st;
    }
    if (tmp.max_eval < 0) tmp.max_eval = tmp.max_iter * 5 / 4;
    ol_lbfgs *o = calloc(1, sizeof *o);
    if (!o) return ol_fail(err, OL_ENOMEM, "lbfgs: out of memory");
    *o = tmp;
    size_t h = (size_t)o->history_size;
    if (n > ((size_t)-1) / sizeof(float) / (2 * h + 9)) {
        free(o);
        return ol_fail(err, OL_EINVAL, "lbfgs: %zu parameters x history %zu is too large", n, h);
    }
    o->grad = calloc(n, sizeof(float));
    o->d = calloc(n, sizeof(float));
    o->prev_grad = calloc(n, sizeof(float));
    o->x0 = calloc(n, sizeof(float));
    o->q = calloc(n, sizeof(float));
    o->g_tmp = calloc(n, sizeof(float));
    o->g_prev = calloc(n, sizeof(float));
    o->g_best[0] = calloc(n, sizeof(float));
    o->g_best[1] = calloc(n, sizeof(float));
    o->dirs = calloc(h * n, sizeof(float));
    o->stps = calloc(h * n, sizeof(float));
    o->ro = calloc(h, sizeof(float));
    o->al = calloc(h, sizeof(float));
    if (!o->grad || !o->d || !o->prev_grad || !o->x0 || !o->q || !o->g_tmp || !o->g_prev || !o->g_best[0] ||
        !o->g_best[1] || !o->dirs || !o->stps || !o->ro || !o->al) {
        ol_lbfgs_free(o);
        return ol_fail(err, OL_ENOMEM, "lbfgs: out of memory for %zu parameters with history %zu", n, h);
    }
    *out = o;
    return OL_OK;
}

void ol_lbfgs_free(ol_lbfgs *o) {
    if (!o) return;
    free(o->grad), free(o->d), free(o->prev_grad), free(o->x0), free(o->q), free(o->g_tmp), free(o->g_prev);
    free(o->g_best[0]), free(o->g_best[1]), free(o->dirs), free(o->stps), free(o->ro), free(o->al);
    free(o);
}

long ol_lbfgs_evaluations(const ol_lbfgs *o) { return o ? o->func_evals : 0; }

/* One closure call; a non-finite loss is the caller's to judge (torch carries on). */
static ol_status evaluate(ol_lbfgs_closure f, void *user, const float *params, float *grad, size_t n, double *loss,
                          ol_error *err) {
    ol_status st = f(user, params, grad, loss, err);
    if (st) return ol_error_prefix(err, "lbfgs: closure");
    (void)n;
    return OL_OK;
}

/*
 * A scalar as torch's LBFGS holds it: a Python double, or a float32 0-dim tensor
 * (f = 1). Arithmetic with a tensor operand is float32 (the double operand is
 * rounded to float first), as are comparisons with one; Python's min and max
 * return one of their arguments unchanged. t, the bracket and the bounds of the
 * line search switch between the two, depending on where a value came from.
 */
static num dbl(double v) { return (num){v, 0}; }
static num f32(float v) { return (num){(double)v, 1}; }
static num op(num a, num b, char o) {
    if (a.f || b.f) {
        float x = (float)a.v, y = (float)b.v;
        return f32(o == '+' ? x + y : o == '-' ? x - y : o == '*' ? x * y : x / y);
    }
    return dbl(o == '+' ? a.v + b.v : o == '-' ? a.v - b.v : o == '*' ? a.v * b.v : a.v / b.v);
}
static num add(num a, num b) { return op(a, b, '+'); }
static num sub(num a, num b) { return op(a, b, '-'); }
static num mul(num a, num b) { return op(a, b, '*'); }
/* double / tensor is Tensor.__rtruediv__: reciprocal() * double, not a division */
static num dvd(num a, num b) { return (!a.f && b.f) ? f32((1.0f / (float)b.v) * (float)a.v) : op(a, b, '/'); }
static int lt(num a, num b) { return (a.f || b.f) ? (float)a.v < (float)b.v : a.v < b.v; }
static int le(num a, num b) { return (a.f || b.f) ? (float)a.v <= (float)b.v : a.v <= b.v; }
static num nabs(num a) { return (num){fabs(a.v), a.f}; }
static num pymax(num a, num b) { return lt(a, b) ? b : a; } /* max(a, b): b only if b > a */
static num pymin(num a, num b) { return lt(b, a) ? b : a; } /* min(a, b): b only if b < a */

/* torch's _cubic_interpolate: minimiser of the cubic through two points with slopes, within bounds. */
static num cubic_interpolate(num x1, num f1, num g1, num x2, num f2, num g2, const num *bounds) {
    num xmin, xmax;
    if (bounds) xmin = bounds[0], xmax = bounds[1];
    else if (le(x1, x2)) xmin = x1, xmax = x2;
    else xmin = x2, xmax = x1;
    num d1 = sub(add(g1, g2), dvd(mul(dbl(3), sub(f1, f2)), sub(x1, x2)));
    num d2_square = sub(mul(d1, d1), mul(g1, g2));
    if (le(dbl(0), d2_square)) {
        num d2 = d2_square.f ? f32(sqrtf((float)d2_square.v)) : dbl(sqrt(d2_square.v)), min_pos;
        if (le(x1, x2))
            min_pos = sub(x2, mul(sub(x2, x1), dvd(sub(add(g2, d2), d1), add(sub(g2, g1), mul(dbl(2), d2)))));
        else
            min_pos = sub(x1, mul(sub(x1, x2), dvd(sub(add(g1, d2), d1), add(sub(g1, g2), mul(dbl(2), d2)))));
        return pymin(pymax(min_pos, xmin), xmax);
    }
    return dvd(add(xmin, xmax), dbl(2.));
}

/* Evaluate at x0 + t d (the parameters are restored to x0 afterwards, as torch does). */
static ol_status dir_eval(ol_lbfgs *o, ol_lbfgs_closure f, void *user, num t, float *g_out, double *loss,
                          ol_error *err) {
    add_step(o->params, o->d, t.v, o->n);
    ol_status st = evaluate(f, user, o->params, g_out, o->n, loss, err);
    memcpy(o->params, o->x0, o->n * sizeof(float));
    return st;
}

/* torch's _strong_wolfe. In: f, g = o->grad at t=0, gtd; t. Out: loss, o->grad, t, evals. */
static ol_status strong_wolfe(ol_lbfgs *o, ol_lbfgs_closure fn, void *user, num *t_io, double f_in, float gtd_in,
                              double *f_out, long *evals_out, ol_error *err) {
    const num c1 = dbl(1e-4), c2 = dbl(0.9), tol = dbl(o->tolerance_change), f = dbl(f_in), gtd = f32(gtd_in);
    const int max_ls = 25;
    const size_t n = o->n, bytes = n * sizeof(float);
    num t = *t_io;
    num d_norm = f32(absmax(o->d, n));
    memcpy(o->x0, o->params, bytes);
    double fv;
    ol_status st = dir_eval(o, fn, user, t, o->g_tmp, &fv, err);
    if (st) return st;
    num f_new = dbl(fv);
    long evals = 1;
    num gtd_new = f32(dotf(o->g_tmp, o->d, n));
    num t_prev = dbl(0), f_prev = f, gtd_prev = gtd;
    memcpy(o->g_prev, o->grad, bytes);
    int done = 0, ls_iter = 0, nb = 0; /* nb: bracket size */
    num br[2] = {{0, 0}, {0, 0}}, br_f[2] = {{0, 0}, {0, 0}}, br_gtd[2] = {{0, 1}, {0, 1}};
#define ARMIJO_FAILS() lt(add(f, mul(mul(c1, t), gtd)), f_new)
#define CURVATURE_HOLDS() le(nabs(gtd_new), mul(sub(dbl(0), c2), gtd))
    while (ls_iter < max_ls) {
        if (ARMIJO_FAILS() || (ls_iter > 1 && le(f_prev, f_new))) {
            nb = 2, br[0] = t_prev, br[1] = t, br_f[0] = f_prev, br_f[1] = f_new, br_gtd[0] = gtd_prev, br_gtd[1] = gtd_new;
            memcpy(o->g_best[0], o->g_prev, bytes), memcpy(o->g_best[1], o->g_tmp, bytes);
            break;
        }
        if (CURVATURE_HOLDS()) {
            nb = 1, br[0] = t, br_f[0] = f_new;
            memcpy(o->g_best[0], o->g_tmp, bytes);
            done = 1;
            break;
        }
        if (le(dbl(0), gtd_new)) {
            nb = 2, br[0] = t_prev, br[1] = t, br_f[0] = f_prev, br_f[1] = f_new, br_gtd[0] = gtd_prev, br_gtd[1] = gtd_new;
            memcpy(o->g_best[0], o->g_prev, bytes), memcpy(o->g_best[1], o->g_tmp, bytes);
            break;
        }
        num bounds[2] = {add(t, mul(dbl(0.01), sub(t, t_prev))), mul(t, dbl(10))};
        num tmp = t;
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds);
        t_prev = tmp;
        f_prev = f_new;
        memcpy(o->g_prev, o->g_tmp, bytes);
        gtd_prev = gtd_new;
        if ((st = dir_eval(o, fn, user, t, o->g_tmp, &fv, err))) return st;
        f_new = dbl(fv);
        evals++;
        gtd_new = f32(dotf(o->g_tmp, o->d, n));
        ls_iter++;
    }
    if (ls_iter == max_ls) {
        /* torch keeps bracket_gtd as it was (never read when the loop never bracketed) */
        nb = 2, br[0] = dbl(0), br[1] = t, br_f[0] = f, br_f[1] = f_new;
        memcpy(o->g_best[0], o->grad, bytes), memcpy(o->g_best[1], o->g_tmp, bytes);
    }
    int insuf_progress = 0;
    int low = (nb == 1 || le(br_f[0], br_f[nb - 1])) ? 0 : 1, high = 1 - low;
    while (!done && ls_iter < max_ls) {
        if (lt(mul(nabs(sub(br[1], br[0])), d_norm), tol)) break;
        t = cubic_interpolate(br[0], br_f[0], br_gtd[0], br[1], br_f[1], br_gtd[1], NULL);
        num bmax = pymax(br[0], br[1]), bmin = pymin(br[0], br[1]);
        num eps = mul(dbl(0.1), sub(bmax, bmin));
        if (lt(pymin(sub(bmax, t), sub(t, bmin)), eps)) {
            if (insuf_progress || le(bmax, t) || le(t, bmin)) {
                if (lt(nabs(sub(t, bmax)), nabs(sub(t, bmin)))) t = sub(bmax, eps);
                else t = add(bmin, eps);
                insuf_progress = 0;
            } else {
                insuf_progress = 1;
            }
        } else {
            insuf_progress = 0;
        }
        if ((st = dir_eval(o, fn, user, t, o->g_tmp, &fv, err))) return st;
        f_new = dbl(fv);
        evals++;
        gtd_new = f32(dotf(o->g_tmp, o->d, n));
        ls_iter++;
        if (ARMIJO_FAILS() || le(br_f[low], f_new)) {
            br[high] = t, br_f[high] = f_new, br_gtd[high] = gtd_new;
            memcpy(o->g_best[high], o->g_tmp, bytes);
            low = le(br_f[0], br_f[1]) ? 0 : 1, high = 1 - low;
        } else {
            if (CURVATURE_HOLDS()) done = 1;
            else if (le(dbl(0), mul(gtd_new, sub(br[high], br[low])))) {
                br[high] = br[low], br_f[high] = br_f[low], br_gtd[high] = br_gtd[low];
                memcpy(o->g_best[high], o->g_best[low], bytes);
            }
            br[low] = t, br_f[low] = f_new, br_gtd[low] = gtd_new;
            memcpy(o->g_best[low], o->g_tmp, bytes);
        }
    }
#undef ARMIJO_FAILS
#undef CURVATURE_HOLDS
    *t_io = br[low];
    *f_out = br_f[low].v;
    memcpy(o->grad, o->g_best[low], bytes);
    *evals_out = evals;
    return OL_OK;
}

ol_status ol_lbfgs_step(ol_lbfgs *o, ol_lbfgs_closure fn, void *user, double *loss_out, ol_error *err) {
    if (!o || !fn) return ol_fail(err, OL_EINVAL, "lbfgs: %s is NULL", o ? "closure" : "optimizer");
    const size_t n = o->n;
    double loss;
    ol_status st = evaluate(fn, user, o->params, o->grad, n, &loss, err);
    if (st) return st;
    if (loss_out) *loss_out = loss;
    long current_evals = 1;
    o->func_evals++;
    const float tol_grad = (float)o->tolerance_grad;
    if (absmax(o->grad, n) <= tol_grad) return OL_OK;
    long n_iter = 0;
    while (n_iter < o->max_iter) {
        n_iter++;
        o->n_iter++;
        if (o->n_iter == 1) {
            for (size_t i = 0; i < n; i++) o->d[i] = -o->grad[i];
            o->hist_len = o->hist_start = 0;
            o->h_diag = 1;
        } else {
            /* y = g - g_prev, s = d * t: written straight into the history ring's next slot */
            const float tf = (float)o->t.v;
            float *y = o->q, *s = o->g_tmp;
            for (size_t i = 0; i < n; i++) y[i] = o->grad[i] - o->prev_grad[i], s[i] = o->d[i] * tf;
            float ys = dotf(y, s, n);
            if (ys > 1e-10f) {
                if (o->hist_len == (size_t)o->history_size) {
                    o->hist_start = (o->hist_start + 1) % (size_t)o->history_size;
                    o->hist_len--;
                }
                size_t slot = (o->hist_start + o->hist_len) % (size_t)o->history_size;
                memcpy(o->dirs + slot * n, y, n * sizeof(float));
                memcpy(o->stps + slot * n, s, n * sizeof(float));
                o->ro[slot] = (1.0f / ys) * 1.0f; /* 1. / tensor = reciprocal() * 1. */
                o->hist_len++;
                o->h_diag = ys / dotf(y, y, n);
            }
            /* two-loop recursion */
            float *q = o->q;
            for (size_t i = 0; i < n; i++) q[i] = -o->grad[i];
            for (size_t k = o->hist_len; k-- > 0;) {
                size_t slot = (o->hist_start + k) % (size_t)o->history_size;
                float al = dotf(hist(o->stps, o, k), q, n) * o->ro[slot];
                o->al[k] = al;
                const float *dir = hist(o->dirs, o, k);
                for (size_t i = 0; i < n; i++) q[i] = fmaf(dir[i], -al, q[i]);
            }
            for (size_t i = 0; i < n; i++) o->d[i] = q[i] * o->h_diag;
            for (size_t k = 0; k < o->hist_len; k++) {
                size_t slot = (o->hist_start + k) % (size_t)o->history_size;
                float be = dotf(hist(o->dirs, o, k), o->d, n) * o->ro[slot];
                const float a = o->al[k] - be;
                const float *stp = hist(o->stps, o, k);
                for (size_t i = 0; i < n; i++) o->d[i] = fmaf(stp[i], a, o->d[i]);
            }
        }
        memcpy(o->prev_grad, o->grad, n * sizeof(float));
        o->have_prev = 1;
        o->prev_loss = loss;
        if (o->n_iter == 1) {
            /* flat_grad.abs().sum() in torch's order for short vectors: 8 float lanes, each
             * summing its elements in turn, then the lanes in turn (matches torch 1.13's AVX2
             * reduction for n a multiple of 8 up to 32, checked against torch; for large n
             * (1000) torch's cascade sum differs in the last bit, and the replay with it:
             * docs/optimizers.md) */
            float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, sum = 0;
            for (size_t i = 0; i < n; i++) lane[i % 8] += fabsf(o->grad[i]);
            for (int l = 0; l < 8; l++) sum += lane[l];
            float inv = 1.0f / sum; /* 1. / tensor, a float32 tensor */
            /* min(1., 1. / sum) * lr: a float32 tensor when 1/sum < 1, else the double lr */
            o->t = inv < 1.0f ? (num){(double)(inv * (float)o->lr), 1} : (num){o->lr, 0};
        } else {
            o->t = (num){o->lr, 0};
        }
        float gtd = dotf(o->grad, o->d, n);
        if (gtd > -(float)o->tolerance_change) break;
        long ls_evals = 0;
        int opt_cond = 0;
        if (o->strong_wolfe) {
            if ((st = strong_wolfe(o, fn, user, &o->t, loss, gtd, &loss, &ls_evals, err))) return st;
            add_step(o->params, o->d, o->t.v, n);
            opt_cond = absmax(o->grad, n) <= tol_grad;
        } else {
            add_step(o->params, o->d, o->t.v, n);
            if (n_iter != o->max_iter) {
                if ((st = evaluate(fn, user, o->params, o->grad, n, &loss, err))) return st;
                opt_cond = absmax(o->grad, n) <= tol_grad;
                ls_evals = 1;
            }
        }
        current_evals += ls_evals;
        o->func_evals += ls_evals;
        if (n_iter == o->max_iter) break;
        if (current_evals >= o->max_eval) break;
        if (opt_cond) break;
        float change = 0;
        const float tf = (float)o->t.v;
        for (size_t i = 0; i < n; i++) change = fabsf(o->d[i] * tf) > change ? fabsf(o->d[i] * tf) : change;
        if (change <= (float)o->tolerance_change) break;
        if (fabs(loss - o->prev_loss) < o->tolerance_change) break;
    }
    return OL_OK;
}
