/*
 * schedule.c — learning-rate schedules, exact to torch.optim.lr_scheduler 1.13.
 *
 * torch computes most schedules in a "chainable" form: each step derives the new
 * rate from the group's current one (lr * gamma, or the cosine ratio times
 * lr - eta_min), in Python doubles. Replaying the same double operations in the
 * same order gives the same rates to the last bit, so this file mirrors torch's
 * objects: a last_epoch counter per schedule, a _step_count, the constructor's
 * initial step, SequentialLR's reset-and-decrement dance and its step(0) at a
 * milestone (which uses the closed form where torch has one).
 *
 * The schedule keeps a pointer to its optimizer and sets one learning rate on
 * every group (ol_optimizer_set_lr); OneCycleLR also cycles momentum (SGD,
 * RMSprop) or beta1 (the Adam family) as torch does.
 *
 * Settings come in as a C struct (ol_schedule_params), checked here; this file
 * needs libm only, so liboptlab-optim has schedules without a JSON library.
 * Reading torch's keyword arguments from JSON text is schedule_json.c's job,
 * which is in liboptlab only.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/optim.h"

/* short names for the public kinds (optlab/optim.h) */
typedef ol_schedule_kind kind;
#define K_STEP OL_SCHED_STEP
#define K_MULTISTEP OL_SCHED_MULTISTEP
#define K_EXP OL_SCHED_EXPONENTIAL
#define K_COSINE OL_SCHED_COSINE
#define K_WARM OL_SCHED_WARM_RESTARTS
#define K_LINEAR OL_SCHED_LINEAR
#define K_POLY OL_SCHED_POLYNOMIAL
#define K_ONECYCLE OL_SCHED_ONE_CYCLE
#define K_PLATEAU OL_SCHED_PLATEAU
#define K_SEQ OL_SCHED_SEQUENTIAL
#define K_COUNT OL_SCHED_KIND_COUNT

static const char *const kind_names[K_COUNT] = {
    "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
    "LinearLR", "PolynomialLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR",
};

#define MAX_LIST OL_SCHEDULE_MAX_LIST

/* What torch keeps in the optimizer's param_group, shared by a SequentialLR's children. */
typedef struct {
    double lr, initial_lr;
    double momentum;  /* OneCycleLR: momentum or beta1 */
    int set_momentum; /* 1 once OneCycleLR computed one */
} group_t;

typedef struct sched sched;
struct sched {
    kind k;
    long last_epoch;
    long step_count;
    double base_lr;
    /* parameters (torch's keyword names in comments) */
    long step_size;           /* StepLR */
    double gamma;             /* StepLR, MultiStepLR, ExponentialLR */
    long milestones[MAX_LIST]; /* MultiStepLR, SequentialLR */
    size_t n_milestones;
    long t_max;               /* CosineAnnealingLR T_max */
    double eta_min;           /* CosineAnnealingLR, CosineAnnealingWarmRestarts */
    long t_0, t_mult, t_i, t_cur; /* CosineAnnealingWarmRestarts */
    double start_factor, end_factor; /* LinearLR */
    long total_iters;         /* LinearLR, PolynomialLR */
    double power;             /* PolynomialLR */
    /* OneCycleLR */
    double max_lr, pct_start, div_factor, final_div_factor, base_momentum, max_momentum, min_lr_1c;
    long total_steps;
    int anneal_linear, cycle_momentum, three_phase, use_beta1;
    /* ReduceLROnPlateau */
    int mode_max, threshold_abs;
    double factor, threshold, min_lr, eps, best;
    long patience, cooldown, cooldown_counter, num_bad_epochs;
    /* SequentialLR */
    sched *children[MAX_LIST];
    size_t n_children;
};

struct ol_schedule {
    ol_optimizer *opt;
    sched *root;
    group_t group;
};

size_t ol_schedule_kind_count(void) { return K_COUNT; }
const char *ol_schedule_kind_name(size_t i) { return i < K_COUNT ? kind_names[i] : NULL; }

static void sched_free(sched *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_children; i++) sched_free(s->children[i]);
    free(s);
}

/* ---- settings ---- */

void ol_schedule_params_init(ol_schedule_params *p, ol_schedule_kind kind) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->gamma = kind == OL_SCHED_EXPONENTIAL ? NAN : 0.1; /* ExponentialLR: required */
    p->t_mult = 1;
    p->start_factor = 1.0 / 3, p->end_factor = 1.0, p->total_iters = 5, p->power = 1.0;
    p->max_lr = NAN; /* required */
    p->pct_start = 0.3, p->cycle_momentum = 1, p->base_momentum = 0.85, p->max_momentum = 0.95;
    p->div_factor = 25.0, p->final_div_factor = 1e4;
    p->factor = 0.1, p->patience = 10, p->threshold = 1e-4, p->eps = 1e-8;
}

#define TRY(x) \
    do { ol_status st_ = (x); if (st_) return st_; } while (0)

/* Check one schedule's settings and copy them into a sched (not bound to an optimizer
 * yet). nested: inside a SequentialLR. The messages name torch's keywords. */
static ol_status from_params(const ol_schedule_params *p, int nested, sched **out, ol_error *err) {
    *out = NULL;
    if (!p) return ol_fail(err, OL_EINVAL, "schedule settings are NULL");
    if ((unsigned)p->kind >= (unsigned)K_COUNT)
        return ol_fail(err, OL_EINVAL, "schedule kind %d is not an ol_schedule_kind (0 to %d)", (int)p->kind, K_COUNT - 1);
    const kind k = (kind)p->kind;
    const char *name = kind_names[k];
    if (nested && (k == K_PLATEAU || k == K_ONECYCLE || k == K_SEQ))
        return ol_fail(err, OL_EINVAL, "SequentialLR: %s cannot be one of its schedules", name);
    sched *s = calloc(1, sizeof *s);
    if (!s) return ol_fail(err, OL_ENOMEM, "%s: out of memory", name);
    s->k = k;
    s->last_epoch = -1;
    ol_status st = OL_OK;
#define P(x) do { if ((st = (x))) goto done; } while (0)
#define Q(cond, ...) do { if (!(cond)) { st = ol_fail(err, OL_EINVAL, __VA_ARGS__); goto done; } } while (0)
/* a real setting: NaN means a required one left unset, infinities are refused */
#define REAL(field, key) do { \
        Q(!isnan(p->field), "%s: keyword '%s' is required", name, key); \
        Q(isfinite(p->field), "%s: %s must be a finite number", name, key); \
        s->field = p->field; } while (0)
#define LIST(key) do { \
        Q(p->n_milestones <= MAX_LIST, "%s: %s has %zu entries (at most %d)", name, key, p->n_milestones, MAX_LIST); \
        for (size_t i_ = 0; i_ < p->n_milestones; i_++) \
            Q(p->milestones[i_] >= 0, "%s: %s entry %zu is not a non-negative integer", name, key, i_); \
        memcpy(s->milestones, p->milestones, p->n_milestones * sizeof *s->milestones); \
        s->n_milestones = p->n_milestones; } while (0)
    switch (s->k) {
    case K_STEP:
        s->step_size = p->step_size;
        REAL(gamma, "gamma");
        Q(s->step_size > 0, "%s: step_size = %ld must be > 0", name, s->step_size);
        Q(s->gamma >= 0, "%s: gamma = %g must be >= 0", name, s->gamma);
        break;
    case K_MULTISTEP:
        LIST("milestones");
        REAL(gamma, "gamma");
        Q(s->gamma >= 0, "%s: gamma = %g must be >= 0", name, s->gamma);
        break;
    case K_EXP:
        REAL(gamma, "gamma");
        Q(s->gamma >= 0, "%s: gamma = %g must be >= 0", name, s->gamma);
        break;
    case K_COSINE:
        s->t_max = p->t_max;
        REAL(eta_min, "eta_min");
        Q(s->t_max > 0, "%s: T_max = %ld must be > 0", name, s->t_max);
        Q(s->eta_min >= 0, "%s: eta_min = %g must be >= 0", name, s->eta_min);
        break;
    case K_WARM:
        s->t_0 = p->t_0, s->t_mult = p->t_mult;
        REAL(eta_min, "eta_min");
        Q(s->t_0 > 0, "%s: T_0 = %ld must be a positive integer", name, s->t_0);
        Q(s->t_mult >= 1, "%s: T_mult = %ld must be an integer >= 1", name, s->t_mult);
        Q(s->eta_min >= 0, "%s: eta_min = %g must be >= 0", name, s->eta_min);
        break;
    case K_LINEAR:
        REAL(start_factor, "start_factor");
        REAL(end_factor, "end_factor");
        s->total_iters = p->total_iters;
        /* torch allows start_factor 0, which then divides by zero at step 1 */
        Q(s->start_factor > 0 && s->start_factor <= 1, "%s: start_factor = %g must be in (0, 1]", name, s->start_factor);
        Q(s->end_factor >= 0 && s->end_factor <= 1, "%s: end_factor = %g must be in [0, 1]", name, s->end_factor);
        Q(s->total_iters > 0, "%s: total_iters = %ld must be > 0", name, s->total_iters);
        break;
    case K_POLY:
        s->total_iters = p->total_iters;
        REAL(power, "power");
        Q(s->total_iters > 0, "%s: total_iters = %ld must be > 0", name, s->total_iters);
        Q(s->power >= 0, "%s: power = %g must be >= 0", name, s->power);
        break;
    case K_ONECYCLE:
        REAL(max_lr, "max_lr");
        REAL(pct_start, "pct_start");
        REAL(base_momentum, "base_momentum");
        REAL(max_momentum, "max_momentum");
        REAL(div_factor, "div_factor");
        REAL(final_div_factor, "final_div_factor");
        s->anneal_linear = p->anneal_linear != 0, s->cycle_momentum = p->cycle_momentum != 0;
        s->three_phase = p->three_phase != 0;
        Q(s->max_lr > 0, "%s: max_lr = %g must be > 0", name, s->max_lr);
        s->total_steps = p->total_steps;
        if (p->total_steps == 0) {
            Q(p->epochs || p->steps_per_epoch, "%s: give total_steps, or epochs and steps_per_epoch", name);
            Q(p->epochs > 0, "%s: epochs = %ld must be a positive integer", name, p->epochs);
            Q(p->steps_per_epoch > 0, "%s: steps_per_epoch = %ld must be a positive integer", name, p->steps_per_epoch);
            Q(p->epochs <= LONG_MAX / p->steps_per_epoch, "%s: epochs * steps_per_epoch = %ld * %ld is too large", name,
              p->epochs, p->steps_per_epoch);
            s->total_steps = p->epochs * p->steps_per_epoch;
        }
        Q(s->total_steps > 0, "%s: total_steps = %ld must be a positive integer", name, s->total_steps);
        Q(s->pct_start >= 0 && s->pct_start <= 1, "%s: pct_start = %g must be in [0, 1]", name, s->pct_start);
        Q(s->div_factor > 0, "%s: div_factor = %g must be > 0", name, s->div_factor);
        Q(s->final_div_factor > 0, "%s: final_div_factor = %g must be > 0", name, s->final_div_factor);
        Q(s->base_momentum >= 0 && s->base_momentum < 1, "%s: base_momentum = %g must be in [0, 1)", name, s->base_momentum);
        Q(s->max_momentum >= 0 && s->max_momentum < 1, "%s: max_momentum = %g must be in [0, 1)", name, s->max_momentum);
        break;
    case K_PLATEAU:
        s->mode_max = p->mode_max != 0, s->threshold_abs = p->threshold_abs != 0;
        REAL(factor, "factor");
        REAL(threshold, "threshold");
        REAL(min_lr, "min_lr");
        REAL(eps, "eps");
        s->patience = p->patience, s->cooldown = p->cooldown;
        Q(s->factor >= 0 && s->factor < 1, "%s: factor = %g must be in [0, 1)", name, s->factor);
        Q(s->patience >= 0, "%s: patience = %ld must be >= 0", name, s->patience);
        Q(s->threshold >= 0, "%s: threshold = %g must be >= 0", name, s->threshold);
        Q(s->cooldown >= 0, "%s: cooldown = %ld must be >= 0", name, s->cooldown);
        Q(s->min_lr >= 0, "%s: min_lr = %g must be >= 0", name, s->min_lr);
        Q(s->eps >= 0, "%s: eps = %g must be >= 0", name, s->eps);
        break;
    case K_SEQ:
        Q(p->schedulers && p->n_schedulers > 0,
          "%s: 'schedulers' must be a non-empty list of [NAME, {kwargs}] pairs", name);
        Q(p->n_schedulers <= MAX_LIST, "%s: more than %d schedulers", name, MAX_LIST);
        for (size_t i = 0; i < p->n_schedulers; i++) {
            P(from_params(&p->schedulers[i], 1, &s->children[s->n_children], err));
            s->n_children++;
        }
        LIST("milestones");
        Q(s->n_milestones == s->n_children - 1, "%s: %zu schedulers need %zu milestones, got %zu", name, s->n_children,
          s->n_children - 1, s->n_milestones);
        for (size_t i = 1; i < s->n_milestones; i++)
            Q(s->milestones[i] > s->milestones[i - 1], "%s: milestones must increase (%ld after %ld)", name,
              s->milestones[i], s->milestones[i - 1]);
        break;
    default:
        break;
    }
#undef P
#undef Q
#undef REAL
#undef LIST
done:
    if (st) {
        sched_free(s);
        return st;
    }
    *out = s;
    return OL_OK;
}

ol_status ol_schedule_params_check(const ol_schedule_params *p, ol_error *err) {
    sched *s;
    TRY(from_params(p, 0, &s, err));
    sched_free(s);
    return OL_OK;
}

/* ---- torch's arithmetic ---- */

static long milestone_count(const sched *s, long epoch) {
    long c = 0;
    for (size_t i = 0; i < s->n_milestones; i++) c += s->milestones[i] == epoch;
    return c;
}

/* torch's get_lr(): the chainable form, from the group's current lr. */
static double get_lr(sched *s, group_t *g) {
    const long e = s->last_epoch;
    const double lr = g->lr;
    switch (s->k) {
    case K_STEP:
        if (e == 0 || e % s->step_size != 0) return lr;
        return lr * s->gamma;
    case K_MULTISTEP: {
        long c = milestone_count(s, e);
        return c ? lr * pow(s->gamma, (double)c) : lr;
    }
    case K_EXP:
        return e == 0 ? lr : lr * s->gamma;
    case K_COSINE: {
        const double T = (double)s->t_max;
        if (e == 0) return lr;
        if (s->step_count == 1 && e > 0)
            return s->eta_min + (s->base_lr - s->eta_min) * (1 + cos((double)e * M_PI / T)) / 2;
        if ((e - 1 - s->t_max) % (2 * s->t_max) == 0)
            return lr + (s->base_lr - s->eta_min) * (1 - cos(M_PI / T)) / 2;
        return (1 + cos(M_PI * (double)e / T)) / (1 + cos(M_PI * (double)(e - 1) / T)) * (lr - s->eta_min) + s->eta_min;
    }
    case K_WARM:
        return s->eta_min + (s->base_lr - s->eta_min) * (1 + cos(M_PI * (double)s->t_cur / (double)s->t_i)) / 2;
    case K_LINEAR:
        if (e == 0) return lr * s->start_factor;
        if (e > s->total_iters) return lr;
        return lr * (1. + (s->end_factor - s->start_factor) /
                              ((double)s->total_iters * s->start_factor + (double)(e - 1) * (s->end_factor - s->start_factor)));
    case K_POLY: {
        if (e == 0 || e > s->total_iters) return lr;
        const double T = (double)s->total_iters;
        double decay = pow((1.0 - (double)e / T) / (1.0 - (double)(e - 1) / T), s->power);
        return lr * decay;
    }
    case K_ONECYCLE: {
        /* phases: end_step, start and end lr, start and end momentum */
        const double T = (double)s->total_steps, init = g->initial_lr, peak = s->max_lr, low = s->min_lr_1c;
        const double mmax = s->max_momentum, mbase = s->base_momentum;
        double ends[3], lr_a[3], lr_b[3], m_a[3], m_b[3];
        int n;
        if (s->three_phase) {
            n = 3;
            ends[0] = s->pct_start * T - 1, lr_a[0] = init, lr_b[0] = peak, m_a[0] = mmax, m_b[0] = mbase;
            ends[1] = 2 * s->pct_start * T - 2, lr_a[1] = peak, lr_b[1] = init, m_a[1] = mbase, m_b[1] = mmax;
            ends[2] = T - 1, lr_a[2] = init, lr_b[2] = low, m_a[2] = mmax, m_b[2] = mmax;
        } else {
            n = 2;
            ends[0] = s->pct_start * T - 1, lr_a[0] = init, lr_b[0] = peak, m_a[0] = mmax, m_b[0] = mbase;
            ends[1] = T - 1, lr_a[1] = peak, lr_b[1] = low, m_a[1] = mbase, m_b[1] = mmax;
        }
        double start = 0, out = lr, mom = 0;
        for (int i = 0; i < n; i++) {
            if ((double)e <= ends[i] || i == n - 1) {
                double pct = ((double)e - start) / (ends[i] - start);
                if (s->anneal_linear) {
                    out = (lr_b[i] - lr_a[i]) * pct + lr_a[i];
                    mom = (m_b[i] - m_a[i]) * pct + m_a[i];
                } else {
                    double c = cos(M_PI * pct) + 1;
                    out = lr_b[i] + (lr_a[i] - lr_b[i]) / 2.0 * c;
                    mom = m_b[i] + (m_a[i] - m_b[i]) / 2.0 * c;
                }
                break;
            }
            start = ends[i];
        }
        if (s->cycle_momentum) {
            g->momentum = mom;
            g->set_momentum = 1;
        }
        return out;
    }
    default:
        return lr;
    }
}

/* torch's _get_closed_form_lr(), used by SequentialLR's step(0); get_lr() where torch has none. */
static double closed_form(sched *s, group_t *g) {
    const long e = s->last_epoch;
    switch (s->k) {
    case K_STEP:
        return s->base_lr * pow(s->gamma, (double)(e / s->step_size));
    case K_MULTISTEP: {
        long c = 0; /* bisect_right over the sorted milestones */
        for (size_t i = 0; i < s->n_milestones; i++) c += s->milestones[i] <= e;
        return s->base_lr * pow(s->gamma, (double)c);
    }
    case K_EXP:
        return s->base_lr * pow(s->gamma, (double)e);
    case K_COSINE:
        return s->eta_min + (s->base_lr - s->eta_min) * (1 + cos(M_PI * (double)e / (double)s->t_max)) / 2;
    case K_LINEAR:
        return s->base_lr * (s->start_factor + (s->end_factor - s->start_factor) *
                                                   (double)(s->total_iters < e ? s->total_iters : e) / (double)s->total_iters);
    case K_POLY:
        return s->base_lr * pow(1.0 - (double)(s->total_iters < e ? s->total_iters : e) / (double)s->total_iters, s->power);
    default:
        return get_lr(s, g);
    }
}

static ol_status sched_step(sched *s, group_t *g, long epoch, ol_error *err);

/* CosineAnnealingWarmRestarts overrides step(epoch). */
static void warm_step(sched *s, group_t *g, long epoch) {
    if (epoch < 0 && s->last_epoch < 0) epoch = 0;
    if (epoch < 0) {
        epoch = s->last_epoch + 1;
        s->t_cur = s->t_cur + 1;
        if (s->t_cur >= s->t_i) {
            s->t_cur = s->t_cur - s->t_i;
            s->t_i = s->t_i * s->t_mult;
        }
    } else if (epoch >= s->t_0) {
        /* only reached through SequentialLR's step(0), i.e. epoch 0: kept for completeness */
        if (s->t_mult == 1) s->t_cur = epoch % s->t_0;
        else {
            long n = (long)(log((double)epoch / (double)s->t_0 * (double)(s->t_mult - 1) + 1) / log((double)s->t_mult));
            long pw = 1;
            for (long i = 0; i < n; i++) pw *= s->t_mult;
            s->t_cur = epoch - s->t_0 * (pw - 1) / (s->t_mult - 1);
            s->t_i = s->t_0 * pw;
        }
    } else {
        s->t_i = s->t_0;
        s->t_cur = epoch;
    }
    s->last_epoch = epoch;
    g->lr = get_lr(s, g);
}

/* torch's _LRScheduler.step(epoch): epoch < 0 means step() without an epoch. */
static ol_status sched_step(sched *s, group_t *g, long epoch, ol_error *err) {
    if (s->k == K_WARM) {
        s->step_count++;
        warm_step(s, g, epoch);
        return OL_OK;
    }
    if (s->k == K_SEQ) {
        s->last_epoch++;
        size_t idx = 0;
        while (idx < s->n_milestones && s->milestones[idx] <= s->last_epoch) idx++;
        sched *c = s->children[idx];
        if (idx > 0 && s->milestones[idx - 1] == s->last_epoch) return sched_step(c, g, 0, err);
        return sched_step(c, g, -1, err);
    }
    s->step_count++;
    if (epoch < 0) {
        s->last_epoch++;
        if (s->k == K_ONECYCLE && s->last_epoch > s->total_steps)
            return ol_fail(err, OL_ESTATE, "OneCycleLR: stepped %ld times, but total_steps is %ld", s->last_epoch + 1,
                           s->total_steps);
        g->lr = get_lr(s, g);
    } else {
        s->last_epoch = epoch;
        g->lr = closed_form(s, g);
    }
    return OL_OK;
}

/* torch's constructor: base_lr from initial_lr, then _initial_step(). */
static ol_status sched_init(sched *s, group_t *g, ol_error *err) {
    if (s->k == K_SEQ) {
        for (size_t i = 0; i < s->n_children; i++) TRY(sched_init(s->children[i], g, err));
        s->last_epoch = 0;
        g->lr = g->initial_lr;
        for (size_t i = 0; i < s->n_children; i++) s->children[i]->last_epoch -= 1;
        s->children[0]->step_count = 0;
        return sched_step(s->children[0], g, -1, err);
    }
    if (s->k == K_PLATEAU) {
        s->last_epoch = 0;
        s->best = s->mode_max ? -INFINITY : INFINITY;
        return OL_OK;
    }
    if (s->k == K_ONECYCLE) {
        g->initial_lr = s->max_lr / s->div_factor;
        s->min_lr_1c = g->initial_lr / s->final_div_factor;
        if (s->cycle_momentum) {
            g->momentum = s->max_momentum;
            g->set_momentum = 1;
        }
    }
    if (s->k == K_WARM) s->t_i = s->t_0, s->t_cur = -1;
    s->base_lr = g->initial_lr;
    s->step_count = 0;
    return sched_step(s, g, -1, err);
}

static void plateau_step(sched *s, group_t *g, double metric) {
    s->last_epoch++;
    int better;
    if (!s->mode_max && !s->threshold_abs) better = metric < s->best * (1. - s->threshold);
    else if (!s->mode_max) better = metric < s->best - s->threshold;
    else if (!s->threshold_abs) better = metric > s->best * (s->threshold + 1.);
    else better = metric > s->best + s->threshold;
    if (better) {
        s->best = metric;
        s->num_bad_epochs = 0;
    } else {
        s->num_bad_epochs++;
    }
    if (s->cooldown_counter > 0) {
        s->cooldown_counter--;
        s->num_bad_epochs = 0;
    }
    if (s->num_bad_epochs > s->patience) {
        double old_lr = g->lr, new_lr = old_lr * s->factor;
        if (new_lr < s->min_lr) new_lr = s->min_lr;
        if (old_lr - new_lr > s->eps) g->lr = new_lr;
        s->cooldown_counter = s->cooldown;
        s->num_bad_epochs = 0;
    }
}

/* Push the group's values into the optimizer. */
static ol_status apply(ol_schedule *s, ol_error *err) {
    ol_status st = ol_optimizer_set_lr(s->opt, s->group.lr, err);
    if (st) return ol_error_prefix(err, "%s", ol_schedule_name(s));
    if (s->group.set_momentum) {
        const sched *r = s->root;
        if ((st = ol_optimizer_set(s->opt, r->use_beta1 ? "beta1" : "momentum", s->group.momentum, err)))
            return ol_error_prefix(err, "%s", ol_schedule_name(s));
    }
    return OL_OK;
}

ol_status ol_schedule_create_from(ol_schedule **out, ol_optimizer *opt, const ol_schedule_params *p, ol_error *err) {
    if (!out) return ol_fail(err, OL_EINVAL, "ol_schedule_create_from: out is NULL");
    *out = NULL;
    if (!opt) return ol_fail(err, OL_EINVAL, "ol_schedule_create_from: optimizer is NULL");
    sched *root;
    TRY(from_params(p, 0, &root, err));
    const ol_optim_info *info = ol_optimizer_info(opt);
    if (root->k == K_ONECYCLE && root->cycle_momentum) {
        if (ol_optim_find_hparam(info, "beta1")) root->use_beta1 = 1;
        else if (!ol_optim_find_hparam(info, "momentum")) {
            sched_free(root);
            return ol_fail(err, OL_EINVAL, "OneCycleLR: cycle_momentum needs an optimizer with momentum or beta1; %s has "
                           "neither (set \"cycle_momentum\": false)", info->name);
        }
    }
    ol_schedule *s = calloc(1, sizeof *s);
    if (!s) {
        sched_free(root);
        return ol_fail(err, OL_ENOMEM, "out of memory creating a schedule");
    }
    s->opt = opt;
    s->root = root;
    double lr;
    ol_optimizer_get(opt, "learning_rate", &lr, err);
    s->group.lr = s->group.initial_lr = lr;
    ol_status st = sched_init(root, &s->group, err);
    if (!st) st = apply(s, err);
    if (st) {
        ol_schedule_free(s);
        return st;
    }
    *out = s;
    return OL_OK;
}

void ol_schedule_free(ol_schedule *s) {
    if (!s) return;
    sched_free(s->root);
    free(s);
}

int ol_schedule_needs_metric(const ol_schedule *s) { return s && s->root->k == K_PLATEAU; }
int ol_schedule_per_batch(const ol_schedule *s) { return s && s->root->k == K_ONECYCLE; }
int ol_schedule_maximizes(const ol_schedule *s) { return s && s->root->k == K_PLATEAU && s->root->mode_max; }
long ol_schedule_step_limit(const ol_schedule *s) { return s && s->root->k == K_ONECYCLE ? s->root->total_steps : -1; }
double ol_schedule_lr(const ol_schedule *s) { return s ? s->group.lr : NAN; }
const char *ol_schedule_name(const ol_schedule *s) { return s ? kind_names[s->root->k] : "schedule"; }

ol_status ol_schedule_step(ol_schedule *s, double metric, ol_error *err) {
    if (!s) return ol_fail(err, OL_EINVAL, "schedule is NULL");
    if (s->root->k == K_PLATEAU) {
        if (!isfinite(metric))
            return ol_fail(err, OL_EINVAL, "ReduceLROnPlateau: the metric %g is not a finite number", metric);
        plateau_step(s->root, &s->group, metric);
    } else {
        TRY(sched_step(s->root, &s->group, -1, err));
    }
    return apply(s, err);
}
