/*
 * registry.c — the table of optimizers (DESIGN.md's shared seam): for each one
 * its name and aliases, every hyperparameter with default, valid range and
 * suggested search range, its state size and its step function (kernels.c).
 * The CLI, experiment files, HPO search-space checks and reports all read this
 * table; nothing else in optlab lists optimizers.
 *
 * To add an optimizer: write its step function in kernels.c (declared in
 * optim_internal.h) and add one entry to `optimizers` below. Nothing else.
 *
 * Defaults are torch.optim 1.13's. Suggested search ranges follow PROTOCOL.md
 * for Adam, AdamW and AdaDelta.
 */
#include <math.h>
#include <stdio.h>
#include <strings.h>

#include "optim_internal.h"

#define INF HUGE_VAL

/* One hyperparameter row. */
#define ROW(ID, NAME, A1, A2, KIND, DEF, MIN, MAX, MINO, MAXO, SRCH, LO, HI, LOG, HELP)                         \
    {.id = OL_HP_##ID, .name = NAME, .aliases = {A1, A2, NULL, NULL}, .kind = KIND, .default_value = DEF,         \
     .min = MIN, .max = MAX, .min_open = MINO, .max_open = MAXO, .searchable = SRCH, .search_low = LO,           \
     .search_high = HI, .search_log = LOG, .help = HELP}
#define BOOL_ROW(ID, NAME, A1, DEF, HELP) ROW(ID, NAME, A1, NULL, OL_HP_BOOL, DEF, 0, 1, 0, 0, 1, 0, 1, 0, HELP)

/* The rows most optimizers share; arguments are what differs between them. */
#define LR(DEF, LO, HI) \
    ROW(LEARNING_RATE, "learning_rate", "lr", NULL, OL_HP_REAL, DEF, 0, INF, 0, 1, 1, LO, HI, 1, "step size")
#define BETA1(DEF, LO, HI) \
    ROW(BETA1, "beta1", "beta_1", NULL, OL_HP_REAL, DEF, 0, 1, 0, 1, 1, LO, HI, 0, "decay of the first-moment average (betas[0])")
#define BETA2(DEF, LO, HI) \
    ROW(BETA2, "beta2", "beta_2", NULL, OL_HP_REAL, DEF, 0, 1, 0, 1, 1, LO, HI, 0, "decay of the second-moment average (betas[1])")
#define EPS(DEF, LO, HI) \
    ROW(EPS, "eps", "epsilon", NULL, OL_HP_REAL, DEF, 0, INF, 1, 1, 1, LO, HI, 1, "added to the denominator for stability")
#define WD(DEF, LO, HI, HELP) \
    ROW(WEIGHT_DECAY, "weight_decay", "wd", NULL, OL_HP_REAL, DEF, 0, INF, 0, 1, 1, LO, HI, 1, HELP)
#define L2_HELP "L2 penalty: wd * param is added to the gradient"
#define ADAM_WD_HELP "L2 penalty added to the gradient, or with decoupled_weight_decay=1 param *= 1 - lr*wd"
#define MAXIMIZE BOOL_ROW(MAXIMIZE, "maximize", NULL, 0, "ascend instead of descend (gradient negated)")
#define SEED(HELP) BOOL_ROW(SEED_VARIANT, "seed_variant", "eps_inside_sqrt", 0, HELP)
#define DECOUPLED(DEF, MIN, MAX) \
    ROW(DECOUPLED_WEIGHT_DECAY, "decoupled_weight_decay", "weight_decouple", NULL, OL_HP_BOOL, DEF, MIN, MAX, 0, 0, 0, 0, 1, 0, \
        "1: weight decay shrinks the parameter directly (AdamW) instead of joining the gradient")
#define N(rows) (sizeof(rows) / sizeof(rows[0]))

/* SGD, Momentum and NAG share one step function and these rows; only defaults differ. */
#define SGD_ROWS(MOMENTUM_DEFAULT, NESTEROV_DEFAULT)                                                             \
    LR(1e-2, 1e-4, 1e-1),                                                                                         \
    ROW(MOMENTUM, "momentum", "mu", NULL, OL_HP_REAL, MOMENTUM_DEFAULT, 0, 1, 0, 1, 1, 0.5, 0.99, 0,             \
        "heavy-ball momentum factor (0 = plain SGD)"),                                                            \
    ROW(DAMPENING, "dampening", NULL, NULL, OL_HP_REAL, 0, 0, 1, 0, 0, 0, 0, 0.5, 0,                              \
        "the new gradient enters the momentum buffer scaled by 1 - dampening"),                                   \
    WD(0, 1e-5, 1e-2, L2_HELP),                                                                                   \
    BOOL_ROW(NESTEROV, "nesterov", NULL, NESTEROV_DEFAULT, "Nesterov momentum (needs momentum > 0, dampening 0)"), \
    MAXIMIZE

static const ol_hparam_info sgd_rows[] = {SGD_ROWS(0, 0)};
static const ol_hparam_info momentum_rows[] = {SGD_ROWS(0.9, 0)};
static const ol_hparam_info nag_rows[] = {SGD_ROWS(0.9, 1)};

static const ol_hparam_info rmsprop_rows[] = {
    LR(1e-2, 1e-5, 1e-2),
    ROW(ALPHA, "alpha", "beta", "rho", OL_HP_REAL, 0.99, 0, 1, 0, 1, 1, 0.9, 0.999, 0,
        "decay of the squared-gradient average (the seed note's beta)"),
    EPS(1e-8, 1e-10, 1e-6),
    WD(0, 1e-5, 1e-2, L2_HELP),
    ROW(MOMENTUM, "momentum", NULL, NULL, OL_HP_REAL, 0, 0, 1, 0, 1, 1, 0, 0.95, 0, "momentum on the scaled step"),
    BOOL_ROW(CENTERED, "centered", NULL, 0, "divide by the gradient's estimated standard deviation instead of its RMS"),
    MAXIMIZE,
    SEED("eps inside the square root: g / sqrt(S + eps), as the seed note's section 2-1"),
};

static const ol_hparam_info adam_rows[] = {
    LR(1e-3, 1e-4, 1e-2),
    BETA1(0.9, 0.8, 0.95),
    BETA2(0.999, 0.99, 0.9999),
    EPS(1e-8, 1e-10, 1e-6),
    WD(0, 1e-4, 2e-2, ADAM_WD_HELP),
    BOOL_ROW(AMSGRAD, "amsgrad", NULL, 0, "divide by the running maximum of the second moment (AMSGrad)"),
    MAXIMIZE,
    DECOUPLED(0, 0, 1),
    SEED("eps inside the square root: m_hat / sqrt(v_hat + eps), as the seed note's section 2-2"),
};

/* AdamW is Adam's step with decoupled weight decay switched on and fixed. */
static const ol_hparam_info adamw_rows[] = {
    LR(1e-3, 1e-4, 1e-2),
    BETA1(0.9, 0.8, 0.95),
    BETA2(0.999, 0.99, 0.9999),
    EPS(1e-8, 1e-10, 1e-6),
    WD(1e-2, 1e-4, 2e-2, "decoupled: param *= 1 - lr*wd before the Adam update"),
    BOOL_ROW(AMSGRAD, "amsgrad", NULL, 0, "divide by the running maximum of the second moment (AMSGrad)"),
    MAXIMIZE,
    DECOUPLED(1, 1, 1),
    SEED("eps inside the square root (Adam's seed form; the seed's AdamW equation keeps it outside)"),
};

static const ol_hparam_info adagrad_rows[] = {
    LR(1e-2, 1e-3, 1e-1),
    ROW(LR_DECAY, "lr_decay", NULL, NULL, OL_HP_REAL, 0, 0, INF, 0, 1, 1, 1e-6, 1e-2, 1,
        "step t uses lr / (1 + (t-1) * lr_decay)"),
    WD(0, 1e-5, 1e-2, L2_HELP),
    ROW(INITIAL_ACCUMULATOR_VALUE, "initial_accumulator_value", "initial_accumulator", NULL, OL_HP_REAL, 0, 0, INF, 0,
        1, 1, 0, 1, 0, "starting value of the sum of squared gradients"),
    EPS(1e-10, 1e-12, 1e-6),
    MAXIMIZE,
    SEED("eps inside the square root: g / sqrt(G + eps), as the seed note's section 2-4"),
};

static const ol_hparam_info adadelta_rows[] = {
    ROW(LEARNING_RATE, "learning_rate", "lr", NULL, OL_HP_REAL, 1.0, 0, INF, 0, 1, 1, 0.1, 10, 1,
        "multiplies the computed delta (the seed note has none: lr = 1)"),
    ROW(RHO, "rho", "p", NULL, OL_HP_REAL, 0.9, 0, 1, 0, 0, 1, 0.5, 0.999, 0,
        "decay of the running averages (the seed note's p)"),
    EPS(1e-6, 1e-8, 1e-4),
    WD(0, 1e-5, 1e-2, L2_HELP),
    MAXIMIZE,
    SEED("denominator sqrt(E[g^2]) + eps instead of sqrt(E[g^2] + eps), as the seed note's section 2-5"),
};

static const ol_hparam_info nadam_rows[] = {
    LR(2e-3, 1e-4, 1e-2),
    BETA1(0.9, 0.8, 0.95),
    BETA2(0.999, 0.99, 0.9999),
    EPS(1e-8, 1e-10, 1e-6),
    WD(0, 1e-4, 2e-2, ADAM_WD_HELP),
    ROW(MOMENTUM_DECAY, "momentum_decay", "psi", NULL, OL_HP_REAL, 4e-3, 0, INF, 0, 1, 1, 1e-3, 1e-2, 1,
        "speed of the momentum schedule mu_t = beta1 (1 - 0.96^(t psi) / 2)"),
    MAXIMIZE,
    DECOUPLED(0, 0, 1),
};

static const ol_hparam_info adabelief_rows[] = {
    LR(1e-3, 1e-4, 1e-2),
    BETA1(0.9, 0.8, 0.95),
    BETA2(0.999, 0.99, 0.9999),
    EPS(1e-16, 1e-18, 1e-8),
    WD(0, 1e-4, 2e-2, ADAM_WD_HELP),
    MAXIMIZE,
    DECOUPLED(0, 0, 1),
};

/* ---- the rest of torch.optim 1.13: Adamax, RAdam, ASGD, Rprop ---- */
static const ol_hparam_info adamax_rows[] = {
    LR(2e-3, 1e-4, 1e-2),
    BETA1(0.9, 0.8, 0.95),
    BETA2(0.999, 0.99, 0.9999),
    EPS(1e-8, 1e-10, 1e-6),
    WD(0, 1e-5, 1e-2, L2_HELP),
    MAXIMIZE,
};

static const ol_hparam_info radam_rows[] = {
    LR(1e-3, 1e-4, 1e-2),
    BETA1(0.9, 0.8, 0.95),
    BETA2(0.999, 0.99, 0.9999),
    EPS(1e-8, 1e-10, 1e-6),
    WD(0, 1e-5, 1e-2, L2_HELP),
    MAXIMIZE, /* torch 2.0 added maximize to RAdam; 1.13 has none (the default 0 is 1.13) */
};

static const ol_hparam_info asgd_rows[] = {
    LR(1e-2, 1e-4, 1e-1),
    ROW(LAMBD, "lambd", "lambda", NULL, OL_HP_REAL, 1e-4, 0, INF, 0, 1, 1, 1e-6, 1e-2, 1,
        "decay term: p shrinks by 1 - lambd * eta, and eta decays as lr / (1 + lambd lr t)^alpha"),
    ROW(ALPHA, "alpha", NULL, NULL, OL_HP_REAL, 0.75, 0, INF, 0, 1, 1, 0.5, 1, 0, "power of the eta decay"),
    ROW(T0, "t0", NULL, NULL, OL_HP_REAL, 1e6, 0, INF, 0, 1, 0, 0, 0, 0, "step after which averaging starts"),
    WD(0, 1e-5, 1e-2, L2_HELP),
    MAXIMIZE,
};

static const ol_hparam_info rprop_rows[] = {
    LR(1e-2, 1e-4, 1e-1),
    ROW(ETA_MINUS, "eta_minus", "etaminus", NULL, OL_HP_REAL, 0.5, 0, 1, 1, 1, 1, 0.3, 0.7, 0,
        "step size factor when the gradient changes sign (etas[0])"),
    ROW(ETA_PLUS, "eta_plus", "etaplus", NULL, OL_HP_REAL, 1.2, 1, INF, 1, 1, 1, 1.05, 1.5, 0,
        "step size factor when the gradient keeps its sign (etas[1])"),
    ROW(STEP_SIZE_MIN, "step_size_min", NULL, NULL, OL_HP_REAL, 1e-6, 0, INF, 0, 1, 0, 0, 0, 0,
        "smallest step size (step_sizes[0])"),
    ROW(STEP_SIZE_MAX, "step_size_max", NULL, NULL, OL_HP_REAL, 50, 0, INF, 1, 1, 0, 0, 0, 0,
        "largest step size (step_sizes[1])"),
    WD(0, 1e-5, 1e-2, "L2 penalty added to the gradient before its sign is taken (optlab's; torch's Rprop has none)"),
    MAXIMIZE,
};

static ol_status rprop_validate(const ol_optim_info *o, const double *hp, ol_error *err) {
    if (hp[OL_HP_STEP_SIZE_MIN] > hp[OL_HP_STEP_SIZE_MAX])
        return ol_fail(err, OL_EINVAL, "%s: step_size_min = %g is above step_size_max = %g", o->name,
                       hp[OL_HP_STEP_SIZE_MIN], hp[OL_HP_STEP_SIZE_MAX]);
    return OL_OK;
}

static ol_status sgd_validate(const ol_optim_info *o, const double *hp, ol_error *err) {
    if (hp[OL_HP_NESTEROV] != 0.0 && (hp[OL_HP_MOMENTUM] <= 0.0 || hp[OL_HP_DAMPENING] != 0.0))
        return ol_fail(err, OL_EINVAL, "%s: nesterov=1 needs momentum > 0 and dampening = 0 (momentum=%g, dampening=%g)",
                       o->name, hp[OL_HP_MOMENTUM], hp[OL_HP_DAMPENING]);
    return OL_OK;
}

#define SGD_EQ                                                                                                   \
    "g = grad (+ weight_decay * p)\n"                                                                           \
    "if momentum != 0:  b = g at the first step, else b = momentum * b + (1 - dampening) * g\n"                 \
    "                   g = nesterov ? g + momentum * b : b\n"                                                   \
    "p = p - lr * g"

static const ol_optim_info optimizers[] = {
    {.name = "sgd", .label = "SGD", .aliases = {"gd", "minibatch", "mini-batch", "minibatch-sgd"},
     .summary = "(mini-batch) gradient descent; with momentum/nesterov it is Momentum/NAG",
     .equations = SGD_EQ, .hparams = sgd_rows, .n_hparams = N(sgd_rows), .state_floats = 1,
     .step = ol_step_sgd, .validate = sgd_validate},
    {.name = "momentum", .label = "Momentum", .aliases = {"sgd-momentum", "heavy-ball"},
     .summary = "SGD with heavy-ball momentum 0.9 (torch: SGD(momentum=0.9))",
     .equations = SGD_EQ, .hparams = momentum_rows, .n_hparams = N(momentum_rows), .state_floats = 1,
     .step = ol_step_sgd, .validate = sgd_validate},
    {.name = "nag", .label = "NAG", .aliases = {"nesterov", "sgd-nesterov"},
     .summary = "SGD with Nesterov momentum 0.9 (torch: SGD(momentum=0.9, nesterov=True))",
     .equations = SGD_EQ, .hparams = nag_rows, .n_hparams = N(nag_rows), .state_floats = 1,
     .step = ol_step_sgd, .validate = sgd_validate},
    {.name = "rmsprop", .label = "RMSprop", .aliases = {"rms-prop"},
     .summary = "divide each step by a running RMS of the gradient",
     .equations = "g = grad (+ weight_decay * p)\n"
                  "S = alpha * S + (1 - alpha) * g^2\n"
                  "centered: a = alpha * a + (1 - alpha) * g;  V = S - a^2   else V = S\n"
                  "d = sqrt(V) + eps\n"
                  "momentum > 0: b = momentum * b + g / d;  p = p - lr * b\n"
                  "else:         p = p - lr * g / d",
     .seed_equations = "S = beta * S + (1 - beta) * g^2;  p = p - lr * g / sqrt(S + eps)",
     .hparams = rmsprop_rows, .n_hparams = N(rmsprop_rows), .state_floats = 3, .step = ol_step_rmsprop},
    {.name = "adam", .label = "Adam", .aliases = {"adaptive-moment"},
     .summary = "momentum plus RMSprop scaling, bias-corrected",
     .equations = "g = grad (+ weight_decay * p, or with decoupled_weight_decay: p = p * (1 - lr * weight_decay))\n"
                  "m = beta1 * m + (1 - beta1) * g\n"
                  "v = beta2 * v + (1 - beta2) * g^2        (amsgrad: v_max = max(v_max, v), used for v)\n"
                  "p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)",
     .seed_equations = "m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t);  p = p - lr * m_hat / sqrt(v_hat + eps)",
     .hparams = adam_rows, .n_hparams = N(adam_rows), .state_floats = 3, .step = ol_step_adam},
    {.name = "adamw", .label = "AdamW", .aliases = {"adam-w"},
     .summary = "Adam + decoupled weight decay (param shrinks by lr * weight_decay each step)",
     .equations = "p = p * (1 - lr * weight_decay)                      <- the only difference from Adam\n"
                  "m = beta1 * m + (1 - beta1) * g\n"
                  "v = beta2 * v + (1 - beta2) * g^2        (amsgrad: v_max = max(v_max, v), used for v)\n"
                  "p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)",
     .seed_equations = "p = p - lr * (m_hat / sqrt(v_hat + eps) + weight_decay * p)   (Adam's seed form of eps)",
     .hparams = adamw_rows, .n_hparams = N(adamw_rows), .state_floats = 3, .step = ol_step_adam},
    {.name = "adagrad", .label = "Adagrad", .aliases = {"ada-grad"},
     .summary = "per-parameter rate shrinking with the sum of squared gradients",
     .equations = "g = grad (+ weight_decay * p)\n"
                  "clr = lr / (1 + (t - 1) * lr_decay)\n"
                  "G = G + g^2                 (G starts at initial_accumulator_value)\n"
                  "p = p - clr * g / (sqrt(G) + eps)",
     .seed_equations = "G = G + g^2;  p = p - lr * g / sqrt(G + eps)",
     .hparams = adagrad_rows, .n_hparams = N(adagrad_rows), .state_floats = 1, .step = ol_step_adagrad},
    {.name = "adadelta", .label = "Adadelta", .aliases = {"ada-delta"},
     .summary = "step sized by running averages of squared gradients and squared updates",
     .equations = "g = grad (+ weight_decay * p)\n"
                  "E[g^2] = rho * E[g^2] + (1 - rho) * g^2\n"
                  "d = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g\n"
                  "E[dx^2] = rho * E[dx^2] + (1 - rho) * d^2\n"
                  "p = p - lr * d",
     .seed_equations = "d = sqrt(E[dx^2] + eps) / (sqrt(E[g^2]) + eps) * g;  p = p - d   (no lr)",
     .hparams = adadelta_rows, .n_hparams = N(adadelta_rows), .state_floats = 2, .step = ol_step_adadelta},
    {.name = "nadam", .label = "NAdam", .aliases = {"nesterov-adam"},
     .summary = "Adam with Nesterov momentum and a momentum schedule",
     .equations = "g = grad (+ weight_decay * p)\n"
                  "mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  P_t = mu_1 ... mu_t\n"
                  "m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2\n"
                  "d = sqrt(v / (1 - beta2^t)) + eps\n"
                  "p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t * mu_t * mu_{t+1}) * m / d\n"
                  "(P_t * mu_t * mu_{t+1}: torch 1.13 counts mu_t twice there; optlab matches it)",
     .hparams = nadam_rows, .n_hparams = N(nadam_rows), .state_floats = 2, .step = ol_step_nadam},
    {.name = "adabelief", .label = "AdaBelief", .aliases = {"ada-belief"},
     .summary = "Adam scaled by the variance of the gradient around its prediction m (Zhuang et al. 2020)",
     .equations = "g = grad (+ weight_decay * p, or decoupled: p = p * (1 - lr * weight_decay))\n"
                  "m = beta1 * m + (1 - beta1) * g\n"
                  "s = beta2 * s + (1 - beta2) * (g - m)^2 + eps\n"
                  "p = p - lr / (1 - beta1^t) * m / (sqrt(s) / sqrt(1 - beta2^t) + eps)",
     .hparams = adabelief_rows, .n_hparams = N(adabelief_rows), .state_floats = 2, .step = ol_step_adabelief},
    /* ---- the rest of torch.optim 1.13 ---- */
    {.name = "adamax", .label = "Adamax", .aliases = {"ada-max"},
     .summary = "Adam with the infinity norm in place of the second moment",
     .equations = "g = grad (+ weight_decay * p)\n"
                  "m = beta1 * m + (1 - beta1) * g\n"
                  "u = max(beta2 * u, |g| + eps)\n"
                  "p = p - lr / (1 - beta1^t) * m / u",
     .hparams = adamax_rows, .n_hparams = N(adamax_rows), .state_floats = 2, .step = ol_step_adamax},
    {.name = "radam", .label = "RAdam", .aliases = {"rectified-adam"},
     .summary = "Adam with the variance of the adaptive rate rectified (plain momentum SGD while rho_t <= 5)",
     .equations = "g = grad (+ weight_decay * p)         (maximize: -grad)\n"
                  "m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2\n"
                  "rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)\n"
                  "rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))\n"
                  "           p = p - lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r\n"
                  "else:      p = p - lr * m / (1 - beta1^t)",
     .hparams = radam_rows, .n_hparams = N(radam_rows), .state_floats = 2, .step = ol_step_radam},
    {.name = "asgd", .label = "ASGD", .aliases = {"averaged-sgd"},
     .summary = "averaged SGD (Polyak-Juditsky) with a decaying step; the average ax is kept in the state",
     .equations = "g = grad (+ weight_decay * p)          (eta_1 = lr, mu_1 = 1)\n"
                  "p = p * (1 - lambd * eta_t) - eta_t * g\n"
                  "ax = mu_t == 1 ? p : ax + mu_t * (p - ax)\n"
                  "eta_{t+1} = lr / (1 + lambd * lr * t)^alpha;   mu_{t+1} = 1 / max(1, t - t0)",
     .hparams = asgd_rows, .n_hparams = N(asgd_rows), .state_floats = 1, .step = ol_step_asgd},
    {.name = "rprop", .label = "Rprop", .aliases = {"resilient-backprop"},
     .summary = "resilient backpropagation: per-parameter step sizes driven by the gradient's sign only",
     .equations = "g = grad (+ weight_decay * p)\n"
                  "s = g * g_prev > 0: s * eta_plus;  < 0: s * eta_minus;  = 0: s   (s starts at lr)\n"
                  "s = clamp(s, step_size_min, step_size_max)\n"
                  "where the sign flipped: g = 0\n"
                  "p = p - sign(g) * s;   g_prev = g",
     .hparams = rprop_rows, .n_hparams = N(rprop_rows), .state_floats = 2, .step = ol_step_rprop,
     .validate = rprop_validate},
};

/* The modern optimizers' entries live in registry_modern.c and follow this table. */
size_t ol_optim_count(void) { return N(optimizers) + ol_modern_optim_count; }

const ol_optim_info *ol_optim_at(size_t i) {
    if (i < N(optimizers)) return &optimizers[i];
    return i - N(optimizers) < ol_modern_optim_count ? &ol_modern_optimizers[i - N(optimizers)] : NULL;
}

const ol_optim_info *ol_optim_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < ol_optim_count(); i++) {
        const ol_optim_info *o = ol_optim_at(i);
        if (!strcasecmp(o->name, name) || !strcasecmp(o->label, name)) return o;
        for (size_t k = 0; k < sizeof o->aliases / sizeof o->aliases[0] && o->aliases[k]; k++)
            if (!strcasecmp(o->aliases[k], name)) return o;
    }
    return NULL;
}

const ol_hparam_info *ol_optim_find_hparam(const ol_optim_info *o, const char *name) {
    if (!o || !name) return NULL;
    for (size_t i = 0; i < o->n_hparams; i++) {
        const ol_hparam_info *h = &o->hparams[i];
        if (!strcasecmp(h->name, name)) return h;
        for (size_t k = 0; k < sizeof h->aliases / sizeof h->aliases[0] && h->aliases[k]; k++)
            if (!strcasecmp(h->aliases[k], name)) return h;
    }
    return NULL;
}

const char *ol_hparam_range_text(const ol_hparam_info *h, char *buf, size_t size) {
    if (h->kind == OL_HP_BOOL) {
        if (h->min == h->max) snprintf(buf, size, "{%g}", h->min);
        else snprintf(buf, size, "{0, 1}");
        return buf;
    }
    snprintf(buf, size, "%c%g, %s%c", h->min_open ? '(' : '[', h->min, isinf(h->max) ? "inf" : "", h->max_open ? ')' : ']');
    if (!isinf(h->max)) snprintf(buf, size, "%c%g, %g%c", h->min_open ? '(' : '[', h->min, h->max, h->max_open ? ')' : ']');
    return buf;
}

ol_status ol_hparam_check(const ol_optim_info *o, const ol_hparam_info *h, double v, ol_error *err) {
    char range[64];
    const char *oname = o ? o->name : "optimizer";
    if (isnan(v) || isinf(v))
        return ol_fail(err, OL_EINVAL, "%s: %s = %g is not a finite number (valid: %s)", oname, h->name, v,
                       ol_hparam_range_text(h, range, sizeof range));
    int ok;
    if (h->kind == OL_HP_BOOL) ok = (v == 0.0 || v == 1.0) && v >= h->min && v <= h->max;
    else ok = (h->min_open ? v > h->min : v >= h->min) && (h->max_open ? v < h->max : v <= h->max);
    if (!ok) {
        if (h->id == OL_HP_DECOUPLED_WEIGHT_DECAY && h->min == h->max)
            return ol_fail(err, OL_EINVAL, "%s: %s = %g is not allowed: %s is Adam with decoupled weight decay "
                           "(use adam for L2 decay)", oname, h->name, v, o ? o->label : oname);
        return ol_fail(err, OL_EINVAL, "%s: %s = %g is outside its valid range %s", oname, h->name, v,
                       ol_hparam_range_text(h, range, sizeof range));
    }
    return OL_OK;
}
