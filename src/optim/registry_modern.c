/*
 * registry_modern.c — the registry entries of the six optimizers torch 1.13
 * lacks: Lion, LAMB, Adafactor, Schedule-Free AdamW, Muon and Prodigy (issue
 * 14). They follow registry.c's table in listing order (ol_optim_at chains the
 * two); kept apart so the torch.optim entries and these grow without touching
 * each other. Defaults are the papers'; each step function (kernels_modern.c)
 * is checked against a numpy reference written from the paper's algorithm box
 * (tests/optim/golden/modern_reference.py, replayed by replay_goldens.sh).
 */
#include <math.h>

#include "optim_internal.h"

#define INF HUGE_VAL
/* The row macros of registry.c (same fields, same meaning). */
#define ROW(ID, NAME, A1, A2, KIND, DEF, MIN, MAX, MINO, MAXO, SRCH, LO, HI, LOG, HELP)                         \
    {.id = OL_HP_##ID, .name = NAME, .aliases = {A1, A2, NULL, NULL}, .kind = KIND, .default_value = DEF,         \
     .min = MIN, .max = MAX, .min_open = MINO, .max_open = MAXO, .searchable = SRCH, .search_low = LO,           \
     .search_high = HI, .search_log = LOG, .help = HELP}
#define BOOL_ROW(ID, NAME, A1, DEF, HELP) ROW(ID, NAME, A1, NULL, OL_HP_BOOL, DEF, 0, 1, 0, 0, 1, 0, 1, 0, HELP)
#define LR(DEF, LO, HI, HELP) \
    ROW(LEARNING_RATE, "learning_rate", "lr", NULL, OL_HP_REAL, DEF, 0, INF, 0, 1, 1, LO, HI, 1, HELP)
#define BETA1(DEF, LO, HI, HELP) ROW(BETA1, "beta1", "beta_1", NULL, OL_HP_REAL, DEF, 0, 1, 0, 1, 1, LO, HI, 0, HELP)
#define BETA2(DEF, LO, HI, HELP) ROW(BETA2, "beta2", "beta_2", NULL, OL_HP_REAL, DEF, 0, 1, 0, 1, 1, LO, HI, 0, HELP)
#define EPS(DEF, LO, HI, HELP) ROW(EPS, "eps", "epsilon", NULL, OL_HP_REAL, DEF, 0, INF, 1, 1, 1, LO, HI, 1, HELP)
#define WD(DEF, LO, HI, HELP) ROW(WEIGHT_DECAY, "weight_decay", "wd", NULL, OL_HP_REAL, DEF, 0, INF, 0, 1, 1, LO, HI, 1, HELP)
#define MAXIMIZE BOOL_ROW(MAXIMIZE, "maximize", NULL, 0, "ascend instead of descend (gradient negated)")
#define N(rows) (sizeof(rows) / sizeof(rows[0]))

static const ol_hparam_info lion_rows[] = {
    LR(1e-4, 1e-5, 1e-3, "step size of the sign update (the paper: 3-10x smaller than AdamW's)"),
    BETA1(0.9, 0.8, 0.95, "interpolation of momentum and gradient whose sign is the update"),
    BETA2(0.99, 0.95, 0.999, "decay of the momentum"),
    WD(0, 1e-3, 1, "decoupled: param *= 1 - lr*wd (the paper: 3-10x larger than AdamW's)"),
    MAXIMIZE,
};

static const ol_hparam_info lamb_rows[] = {
    LR(1e-3, 1e-4, 1e-2, "step size, scaled per tensor by the trust ratio ||p|| / ||r + wd p||"),
    BETA1(0.9, 0.8, 0.95, "decay of the first-moment average (betas[0])"),
    BETA2(0.999, 0.99, 0.9999, "decay of the second-moment average (betas[1])"),
    EPS(1e-6, 1e-8, 1e-4, "added to sqrt(v_hat)"),
    WD(1e-2, 1e-4, 1e-1, "decoupled, inside the trust ratio: u = r + wd*p"),
    BOOL_ROW(BIAS_CORRECTION, "bias_correction", NULL, 1, "divide m by 1 - beta1^t and v by 1 - beta2^t"),
    MAXIMIZE,
};

static const ol_hparam_info adafactor_rows[] = {
    LR(1e-2, 1e-3, 1e-1, "relative_step=1: cap of the relative step rho_t = min(lr, 1/sqrt(t)); else rho_t = lr"),
    BETA1(0, 0, 0.95, "momentum on the clipped update (0 = none, the paper's default)"),
    EPS(1e-30, 1e-32, 1e-20, "eps1: added to g^2 before the second moments"),
    ROW(EPS2, "eps2", NULL, NULL, OL_HP_REAL, 1e-3, 0, INF, 1, 1, 1, 1e-4, 1e-2, 1,
        "floor of RMS(param) in the step size alpha_t = max(eps2, RMS(p)) rho_t"),
    ROW(CLIP_THRESHOLD, "clip_threshold", "d", NULL, OL_HP_REAL, 1.0, 0, INF, 1, 1, 1, 0.5, 2, 0,
        "update clipping: U / max(1, RMS(U) / clip_threshold)"),
    ROW(DECAY_RATE, "decay_rate", NULL, NULL, OL_HP_REAL, -0.8, -1, 0, 0, 1, 1, -1, -0.5, 0,
        "second-moment decay beta2_t = 1 - t^decay_rate"),
    BOOL_ROW(RELATIVE_STEP, "relative_step", NULL, 1, "rho_t = min(lr, 1/sqrt(t)) instead of lr"),
    BOOL_ROW(SCALE_PARAMETER, "scale_parameter", NULL, 1, "multiply the step by max(eps2, RMS(param)) per tensor"),
    WD(0, 1e-4, 1e-1, "decoupled: param -= alpha_t * wd * param"),
    MAXIMIZE,
};

static const ol_hparam_info sfadamw_rows[] = {
    LR(2.5e-3, 1e-4, 5e-2, "base step size gamma (no schedule needed)"),
    BETA1(0.9, 0.8, 0.98, "interpolation y = (1 - beta1) z + beta1 x (where the gradient is taken)"),
    BETA2(0.999, 0.99, 0.9999, "decay of the second-moment average"),
    EPS(1e-8, 1e-10, 1e-6, "added to sqrt(v)"),
    WD(0, 1e-4, 1e-1, "decoupled, at y: z -= gamma_t * wd * y"),
    ROW(WARMUP_STEPS, "warmup_steps", "warmup", NULL, OL_HP_REAL, 0, 0, INF, 0, 1, 1, 0, 1000, 0,
        "gamma_t grows linearly over this many steps (0 = none)"),
    MAXIMIZE,
};

static const ol_hparam_info muon_rows[] = {
    LR(0.02, 1e-3, 1e-1, "step size of the orthogonalised update (AdamW tensors: lr * adamw_lr_ratio)"),
    ROW(MOMENTUM, "momentum", "mu", NULL, OL_HP_REAL, 0.95, 0, 1, 0, 1, 1, 0.8, 0.99, 0, "momentum of the buffer B = mu B + g"),
    BOOL_ROW(NESTEROV, "nesterov", NULL, 1, "orthogonalise g + mu B instead of B"),
    ROW(NS_STEPS, "ns_steps", NULL, NULL, OL_HP_REAL, 5, 1, 20, 0, 0, 1, 3, 7, 0,
        "Newton-Schulz iterations (an integer)"),
    BOOL_ROW(RMS_MATCH, "rms_match", NULL, 0,
             "scale the update by 0.2 sqrt(max(rows, cols)) (Liu et al. 2025) instead of sqrt(max(1, rows/cols))"),
    BOOL_ROW(MUON_ENDS, "muon_ends", NULL, 0, "the first and last 2-D tensors take Muon too (the default gives them AdamW)"),
    ROW(ADAMW_LR_RATIO, "adamw_lr_ratio", NULL, NULL, OL_HP_REAL, 0.015, 0, INF, 1, 1, 1, 0.005, 0.1, 1,
        "AdamW tensors (1-D, first and last layer) step with lr * adamw_lr_ratio (0.015: 3e-4 at lr 0.02)"),
    BETA1(0.9, 0.8, 0.95, "AdamW tensors: decay of the first moment"),
    BETA2(0.999, 0.95, 0.9999, "AdamW tensors: decay of the second moment"),
    EPS(1e-8, 1e-10, 1e-6, "AdamW tensors: added to the denominator"),
    WD(0, 1e-4, 1e-1, "decoupled, every tensor: param *= 1 - lr*wd (AdamW tensors: their own lr)"),
    MAXIMIZE,
};

static const ol_hparam_info prodigy_rows[] = {
    LR(1.0, 0.1, 10, "multiplies the estimated step size d (the authors: keep 1)"),
    BETA1(0.9, 0.8, 0.95, "decay of the first moment"),
    BETA2(0.999, 0.99, 0.9999, "decay of the second moment (sqrt(beta2) decays the d estimate's sums)"),
    EPS(1e-8, 1e-10, 1e-6, "added to sqrt(v), scaled by d"),
    ROW(D0, "d0", NULL, NULL, OL_HP_REAL, 1e-6, 0, INF, 1, 1, 1, 1e-8, 1e-4, 1, "initial estimate of the distance to the solution"),
    ROW(D_COEF, "d_coef", NULL, NULL, OL_HP_REAL, 1.0, 0, INF, 1, 1, 1, 0.1, 10, 1, "multiplies each new estimate d_hat"),
    WD(0, 1e-4, 1e-1, "decoupled: param *= 1 - lr*d*wd"),
    MAXIMIZE,
};

static ol_status muon_validate(const ol_optim_info *o, const double *hp, ol_error *err) {
    if (hp[OL_HP_NS_STEPS] != floor(hp[OL_HP_NS_STEPS]))
        return ol_fail(err, OL_EINVAL, "%s: ns_steps = %g is not a whole number of iterations", o->name, hp[OL_HP_NS_STEPS]);
    return OL_OK;
}

const ol_optim_info ol_modern_optimizers[] = {
    {.name = "lion", .label = "Lion", .aliases = {"evolved-sign-momentum"},
     .summary = "sign of an interpolated momentum (Chen et al. 2023, Algorithm 2)",
     .equations = "g = grad (negated with maximize)\n"
                  "c = beta1 * m + (1 - beta1) * g\n"
                  "p = p * (1 - lr * weight_decay) - lr * sign(c)\n"
                  "m = beta2 * m + (1 - beta2) * g",
     .hparams = lion_rows, .n_hparams = N(lion_rows), .state_floats = 1, .step = ol_step_lion},
    {.name = "lamb", .label = "LAMB", .aliases = {"layerwise-adam"},
     .summary = "Adam direction scaled per tensor by a trust ratio (You et al. 2020, Algorithm 2)",
     .equations = "m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2\n"
                  "r = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)     (bias_correction=0: m / (sqrt(v) + eps))\n"
                  "per tensor T:  u = r + weight_decay * p;  q = ||p_T|| / ||u_T||  (1 if either norm is 0)\n"
                  "p_T = p_T - lr * q * u_T",
     .hparams = lamb_rows, .n_hparams = N(lamb_rows), .state_floats = 2, .step = ol_step_lamb, .uses_shapes = 1},
    {.name = "adafactor", .label = "Adafactor", .aliases = {"ada-factor"},
     .summary = "factored second moments, relative step size, update clipping (Shazeer & Stern 2018, Alg. 4, 5)",
     .equations = "rho = relative_step ? min(lr, 1/sqrt(t)) : lr;  alpha = rho * max(eps2, RMS(p_T)) (scale_parameter)\n"
                  "beta2_t = 1 - t^decay_rate;  G2 = g^2 + eps\n"
                  "2-D tensor (rows, cols >= 2): R = beta2_t R + (1 - beta2_t) rowsum(G2);  C = beta2_t C + (1 - beta2_t) colsum(G2)\n"
                  "                              V = R C^T / sum(R)\n"
                  "otherwise:                    V = beta2_t V + (1 - beta2_t) G2\n"
                  "U = g / sqrt(V);  U = U / max(1, RMS(U) / clip_threshold);  beta1 > 0: m = beta1 m + (1 - beta1) U, U = m\n"
                  "p = p - alpha * weight_decay * p - alpha * U",
     .hparams = adafactor_rows, .n_hparams = N(adafactor_rows), .state_floats = 2, .step = ol_step_adafactor,
     .scratch_floats = ol_adafactor_scratch_floats, .uses_shapes = 1},
    {.name = "sfadamw", .label = "ScheduleFreeAdamW", .aliases = {"schedule-free-adamw", "schedulefree-adamw", "sf-adamw"},
     .summary = "AdamW without a schedule: interpolated iterate and running average (Defazio et al. 2024, Algorithm 1)",
     .equations = "params hold y, where the gradient is taken; state z, x (both start at the initial params), v\n"
                  "v = beta2 * v + (1 - beta2) * g^2\n"
                  "gamma_t = lr * sqrt(1 - beta2^t) * min(1, t / warmup_steps)\n"
                  "z = z - gamma_t * g / (sqrt(v) + eps) - gamma_t * weight_decay * y\n"
                  "c = gamma_t^2 / sum_{i<=t} gamma_i^2;   x = (1 - c) * x + c * z\n"
                  "y = (1 - beta1) * z + beta1 * x           (the model is evaluated at x: ol_optimizer_eval_params)",
     .hparams = sfadamw_rows, .n_hparams = N(sfadamw_rows), .state_floats = 3, .step = ol_step_sfadamw,
     .eval_params = ol_sfadamw_eval_params},
    {.name = "muon", .label = "Muon", .aliases = {"momentum-orthogonalized"},
     .summary = "momentum orthogonalised by Newton-Schulz on 2-D weights, AdamW elsewhere (Jordan et al. 2024)",
     .equations = "matrix tensors (2-D, not the first or last 2-D tensor unless muon_ends=1):\n"
                  "  B = momentum * B + g;  G = nesterov ? g + momentum * B : B\n"
                  "  X = G / (||G||_F + 1e-7), transposed if rows > cols; ns_steps times:\n"
                  "    A = X X^T;  X = 3.4445 X + (-4.7750 A + 2.0315 A A) X\n"
                  "  s = rms_match ? 0.2 sqrt(max(rows, cols)) : sqrt(max(1, rows / cols))\n"
                  "  p = p * (1 - lr * weight_decay) - lr * s * X\n"
                  "other tensors (1-D, first and last layer): AdamW with lr * adamw_lr_ratio, beta1, beta2, eps",
     .hparams = muon_rows, .n_hparams = N(muon_rows), .state_floats = 2, .step = ol_step_muon,
     .validate = muon_validate, .scratch_floats = ol_muon_scratch_floats, .uses_shapes = 1},
    {.name = "prodigy", .label = "Prodigy", .aliases = {"prodigy-adam"},
     .summary = "Adam with a learned step size d (Mishchenko & Defazio 2023, Adam version)",
     .equations = "m = beta1 m + (1 - beta1) d g;   v = beta2 v + (1 - beta2) d^2 g^2\n"
                  "r = sqrt(beta2) r + (1 - sqrt(beta2)) lr d^2 <g, p_0 - p>\n"
                  "s = sqrt(beta2) s + (1 - sqrt(beta2)) lr d^2 g\n"
                  "p = p * (1 - lr d weight_decay) - lr d m / (sqrt(v) + d eps)\n"
                  "d = max(d, d_coef * r / ||s||_1)      (d starts at d0; r, s and d span every group)",
     .hparams = prodigy_rows, .n_hparams = N(prodigy_rows), .state_floats = 4, .step = ol_step_prodigy,
     .after_groups = ol_prodigy_after_groups},
};

const size_t ol_modern_optim_count = N(ol_modern_optimizers);
