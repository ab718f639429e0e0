#!/usr/bin/python3
"""Golden trajectories of the six optimizers torch 1.13 lacks, from numpy references
written from each paper's algorithm box (not from any library's code).

Usage (from the repository root; writes tests/optim/golden/modern_*.txt):
  /usr/bin/python3 tests/optim/golden/modern_reference.py

Each file is in the replay format of ../shared/anchors/torch_optim_trajectory.py with
one more header line, `shape`, that `optlab replay` reads (docs/optimizers.md):
  optimizer <Name> <json kwargs>
  shape <t_0> <t_1> ...      each tensor in order: ROWSxCOLS (2-D) or N (1-D),
                              optionally @muon or @adamw to override Muon's default rule
  init <p...>
  per step:  grad <g...>  and  param <p...>
Arrays are float32, every scalar is formed in double then rounded to float32 (as
optlab's kernels do), and norms and sums are accumulated in double. The C kernels
differ from these references only in rounding (fused multiply-adds, summation
order, sgemm blocking); replay_goldens.sh compares at 1e-6 relative (1e-3 floor).

The gradients are not a function's: like the torch goldens they are drawn at random
(scale 1e-4 .. 1e2, exact zeros in the first quarter every 7th step) so every branch
of every update shows; params do not feed back into them.
"""
import json
import os
import sys

import numpy as np

f32 = np.float32
SHAPES_DEFAULT = "3x4 3 5x3 5 2x5 2"   # three weight matrices and their biases: 47 params
STEPS = 60


def parse_shapes(text):
    """[(rows, cols or 0, role)]: role 'auto', 'muon' or 'adamw'."""
    out = []
    for tok in text.split():
        role = "auto"
        if "@" in tok:
            tok, role = tok.split("@")
        if "x" in tok:
            r, c = tok.split("x")
            out.append((int(r), int(c), role))
        else:
            out.append((int(tok), 0, role))
    return out


def tensors(shapes):
    """(offset, rows, cols, role) for each tensor of the flat array."""
    off = 0
    for r, c, role in shapes:
        yield off, r, c, role
        off += r * (c if c else 1)


def sign_of(x):
    return np.sign(x).astype(f32)


# --------------------------------------------------------------------------
# Lion — Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"
# (arXiv:2302.06675), Algorithm 2 (Lion):
#   c_t = beta1 m_{t-1} + (1 - beta1) g_t
#   theta_t = theta_{t-1} - lr (sign(c_t) + lambda theta_{t-1})
#   m_t = beta2 m_{t-1} + (1 - beta2) g_t
# --------------------------------------------------------------------------
def lion(kw, shapes, n):
    lr, (b1, b2) = kw.get("lr", 1e-4), kw.get("betas", (0.9, 0.99))
    wd, sgn = kw.get("weight_decay", 0.0), -1 if kw.get("maximize") else 1
    m = np.zeros(n, f32)

    def step(p, g, t):
        nonlocal m
        g = g * f32(sgn)
        c = f32(b1) * m + f32(1 - b1) * g
        p = p * f32(1 - lr * wd) - f32(lr) * sign_of(c)
        m = f32(b2) * m + f32(1 - b2) * g
        return p
    return step


# --------------------------------------------------------------------------
# LAMB — You et al. 2020, "Large Batch Optimization for Deep Learning: Training
# BERT in 76 minutes" (ICLR 2020, arXiv:1904.00962), Algorithm 2 (LAMB), per
# layer (= per tensor) l, with phi the identity:
#   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
#   m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t)   (bias_correction)
#   r = m_hat / (sqrt(v_hat) + eps)
#   x^l = x^l - lr * phi(||x^l||) / ||r^l + lambda x^l|| * (r^l + lambda x^l)
# The trust ratio is 1 where either norm is 0 (the paper leaves 0/0 open).
# --------------------------------------------------------------------------
def lamb(kw, shapes, n):
    lr, (b1, b2) = kw.get("lr", 1e-3), kw.get("betas", (0.9, 0.999))
    eps, wd = kw.get("eps", 1e-6), kw.get("weight_decay", 0.01)
    bc, sgn = kw.get("bias_correction", True), -1 if kw.get("maximize") else 1
    m, v = np.zeros(n, f32), np.zeros(n, f32)

    def step(p, g, t):
        g = g * f32(sgn)
        m[:] = f32(b1) * m + f32(1 - b1) * g
        v[:] = f32(b2) * v + f32(1 - b2) * g * g
        c1 = (1 - b1 ** t) if bc else 1.0
        c2 = (1 - b2 ** t) if bc else 1.0
        r = (m / f32(c1)) / (np.sqrt(v / f32(c2)) + f32(eps))
        u = r + f32(wd) * p
        out = p.copy()
        for off, rows, cols, _ in tensors(shapes):
            k = rows * (cols if cols else 1)
            pn = np.sqrt(np.sum(p[off:off + k].astype(np.float64) ** 2))
            un = np.sqrt(np.sum(u[off:off + k].astype(np.float64) ** 2))
            trust = pn / un if pn > 0 and un > 0 else 1.0
            out[off:off + k] = p[off:off + k] - f32(lr * trust) * u[off:off + k]
        return out
    return step


# --------------------------------------------------------------------------
# Adafactor — Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with
# Sublinear Memory Cost" (ICML 2018, arXiv:1804.04235): Algorithm 4 (matrices,
# factored second moment) and Algorithm 5 (vectors), with the relative step
# size of Section 8 (rho_t = min(lr, 1/sqrt(t)), lr = 1e-2 in the paper,
# alpha_t = max(eps2, RMS(X_{t-1})) rho_t), the increasing decay of Section 7
# (beta2_t = 1 - t^decay_rate, decay_rate = -0.8), update clipping of Section 6
# (U / max(1, RMS(U)/d)) and, optional, first-moment momentum beta1 on the
# clipped update (Section 9's beta1 > 0 rows):
#   R_t = beta2_t R + (1 - beta2_t) (G^2 + eps1) 1_m      (row sums)
#   C_t = beta2_t C + (1 - beta2_t) 1_n^T (G^2 + eps1)    (column sums)
#   V_t = R_t C_t / (1_n^T R_t);   U_t = G_t / sqrt(V_t)
# A tensor is factored when it is 2-D with at least 2 rows and 2 columns.
# relative_step = 0 uses lr as alpha_t directly (scale_parameter still applies);
# weight decay (not in the paper) is decoupled: X -= alpha_t * lambda * X_{t-1}.
# --------------------------------------------------------------------------
def adafactor(kw, shapes, n):
    lr, eps1, eps2 = kw.get("lr", 1e-2), kw.get("eps", 1e-30), kw.get("eps2", 1e-3)
    d, dr, b1 = kw.get("clip_threshold", 1.0), kw.get("decay_rate", -0.8), kw.get("beta1", 0.0)
    rel, scale = kw.get("relative_step", True), kw.get("scale_parameter", True)
    wd, sgn = kw.get("weight_decay", 0.0), -1 if kw.get("maximize") else 1
    mom = np.zeros(n, f32)
    second = {}  # per tensor: (R, C) or V

    def step(p, g, t):
        g = g * f32(sgn)
        out = p.copy()
        rho = min(lr, 1.0 / np.sqrt(t)) if rel else lr
        beta2t = 1.0 - t ** dr
        for off, rows, cols, _ in tensors(shapes):
            k = rows * (cols if cols else 1)
            x, gg = p[off:off + k], g[off:off + k]
            rms_x = np.sqrt(np.mean(x.astype(np.float64) ** 2))
            alpha = rho * max(eps2, rms_x) if scale else rho
            g2 = gg * gg + f32(eps1)
            if cols >= 2 and rows >= 2:
                G2 = g2.reshape(rows, cols).astype(np.float64)
                R, C = second.get(off, (np.zeros(rows, f32), np.zeros(cols, f32)))
                R = f32(beta2t) * R + f32(1 - beta2t) * G2.sum(axis=1).astype(f32)
                C = f32(beta2t) * C + f32(1 - beta2t) * G2.sum(axis=0).astype(f32)
                second[off] = (R, C)
                rsum = f32(np.sum(R.astype(np.float64)))
                V = np.outer(R / rsum, C).astype(f32).reshape(-1)   # R C^T / (1^T R)
            else:
                V = second.get(off, np.zeros(k, f32))
                V = f32(beta2t) * V + f32(1 - beta2t) * g2
                second[off] = V
            U = gg / np.sqrt(V)
            rms_u = np.sqrt(np.mean(U.astype(np.float64) ** 2))
            U = U * f32(1.0 / max(1.0, rms_u / d))           # U / max(1, RMS(U) / d)
            if b1 > 0:
                mom[off:off + k] = f32(b1) * mom[off:off + k] + f32(1 - b1) * U
                U = mom[off:off + k]
            out[off:off + k] = x - f32(alpha * wd) * x - f32(alpha) * U
        return out
    return step


# --------------------------------------------------------------------------
# Schedule-Free AdamW — Defazio et al. 2024, "The Road Less Scheduled"
# (arXiv:2405.15682), Algorithm 1 (Schedule-Free AdamW). The caller's params
# hold y_t, where the gradient is taken; z and x are state:
#   y_t = (1 - beta1) z_t + beta1 x_t
#   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
#   gamma_t = lr sqrt(1 - beta2^t) min(1, t / T_warmup)
#   z_{t+1} = z_t - gamma_t g_t / (sqrt(v_t) + eps) - gamma_t lambda y_t
#   c_{t+1} = gamma_t^2 / sum_{i<=t} gamma_i^2
#   x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}
# z_1 = x_1 = the initial params; T_warmup = 0 means no warm-up.
# --------------------------------------------------------------------------
def sfadamw(kw, shapes, n):
    lr, (b1, b2) = kw.get("lr", 2.5e-3), kw.get("betas", (0.9, 0.999))
    eps, wd, warm = kw.get("eps", 1e-8), kw.get("weight_decay", 0.0), kw.get("warmup_steps", 0)
    sgn = -1 if kw.get("maximize") else 1
    st = {"z": None, "x": None, "v": np.zeros(n, f32), "w": 0.0}

    def step(y, g, t):
        if st["z"] is None:
            st["z"], st["x"] = y.copy(), y.copy()
        g = g * f32(sgn)
        z, x, v = st["z"], st["x"], st["v"]
        v[:] = f32(b2) * v + f32(1 - b2) * g * g
        gamma = lr * np.sqrt(1 - b2 ** t) * (min(1.0, t / warm) if warm > 0 else 1.0)
        st["w"] += gamma * gamma
        c = gamma * gamma / st["w"] if st["w"] > 0 else 0.0
        z[:] = z - f32(gamma) * g / (np.sqrt(v) + f32(eps)) - f32(gamma * wd) * y
        x[:] = f32(1 - c) * x + f32(c) * z
        return f32(1 - b1) * z + f32(b1) * x
    return step


# --------------------------------------------------------------------------
# Muon — K. Jordan et al. 2024, "Muon: An optimizer for hidden layers in neural
# networks" (kellerjordan.github.io/posts/muon), the algorithm box there:
#   B_t = mu B_{t-1} + G_t;   (nesterov) G' = G_t + mu B_t, else G' = B_t
#   O_t = NewtonSchulz5(G');  W_t = W_{t-1} - lr * s * O_t
# NewtonSchulz5: X = G' / (||G'||_F + 1e-7), transposed if rows > cols, then
# ns_steps times A = X X^T, B = b A + c A A, X = a X + B X with
# (a, b, c) = (3.4445, -4.7750, 2.0315). Scale s = sqrt(max(1, rows/cols)) (the
# post's); rms_match=1 uses 0.2 sqrt(max(rows, cols)) instead, Liu et al. 2025
# "Muon is Scalable for LLM Training" (arXiv:2502.16982), Section 2.2, so the
# update's RMS matches AdamW's. Weight decay is decoupled (W *= 1 - lr lambda,
# Liu et al. Eq. 3). As the post prescribes, 1-D tensors and the first and last
# weight matrices take AdamW (torch 1.13's update, lr * adamw_lr_ratio, same
# weight decay); muon_ends=1 gives those two matrices to Muon too; a shape's
# @muon / @adamw overrides the rule.
# --------------------------------------------------------------------------
NS_ABC = (3.4445, -4.7750, 2.0315)


def newton_schulz(G, steps):
    a, b, c = NS_ABC
    X = G.astype(f32)
    X = X / f32(np.sqrt(np.sum(X.astype(np.float64) ** 2)) + 1e-7)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.T.copy()
    for _ in range(steps):
        A = X @ X.T
        B = f32(b) * A + f32(c) * (A @ A)
        X = f32(a) * X + B @ X
    return X.T.copy() if tall else X


def muon_roles(shapes, muon_ends):
    mats = [i for i, (r, c, role) in enumerate(shapes) if c > 0]
    out = []
    for i, (r, c, role) in enumerate(shapes):
        if role == "muon":
            out.append(True)
        elif role == "adamw" or c == 0:
            out.append(False)
        else:
            out.append(bool(muon_ends) or (i != mats[0] and i != mats[-1]))
    return out


def muon(kw, shapes, n):
    lr, mu, nest = kw.get("lr", 0.02), kw.get("momentum", 0.95), kw.get("nesterov", True)
    ns, wd, rms = kw.get("ns_steps", 5), kw.get("weight_decay", 0.0), kw.get("rms_match", False)
    ratio, (b1, b2), eps = kw.get("adamw_lr_ratio", 0.015), kw.get("betas", (0.9, 0.999)), kw.get("eps", 1e-8)
    sgn = -1 if kw.get("maximize") else 1
    roles = muon_roles(shapes, kw.get("muon_ends", False))
    buf, v = np.zeros(n, f32), np.zeros(n, f32)

    def step(p, g, t):
        g = g * f32(sgn)
        out = p.copy()
        for (off, rows, cols, _), is_muon in zip(tensors(shapes), roles):
            k = rows * (cols if cols else 1)
            x, gg = p[off:off + k], g[off:off + k]
            if is_muon:
                buf[off:off + k] = f32(mu) * buf[off:off + k] + gg
                gp = gg + f32(mu) * buf[off:off + k] if nest else buf[off:off + k]
                O = newton_schulz(gp.reshape(rows, cols), ns).reshape(-1)
                s = 0.2 * np.sqrt(max(rows, cols)) if rms else np.sqrt(max(1.0, rows / cols))
                out[off:off + k] = x * f32(1 - lr * wd) - f32(lr * s) * O
            else:  # torch.optim.AdamW 1.13: decay, moments, bias-corrected step
                alr = lr * ratio
                w = x * f32(1 - alr * wd)
                m = buf[off:off + k] = f32(b1) * buf[off:off + k] + f32(1 - b1) * gg
                vv = v[off:off + k] = f32(b2) * v[off:off + k] + f32(1 - b2) * gg * gg
                denom = np.sqrt(vv) / f32(np.sqrt(1 - b2 ** t)) + f32(eps)
                out[off:off + k] = w - f32(alr / (1 - b1 ** t)) * m / denom
        return out
    return step


# --------------------------------------------------------------------------
# Prodigy — Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive
# Parameter-Free Learner" (arXiv:2306.06101), the algorithm box "Prodigy (Adam
# version)", with gamma_k = lr:
#   m = beta1 m + (1 - beta1) d_k g_k;   v = beta2 v + (1 - beta2) d_k^2 g_k^2
#   r = sqrt(beta2) r + (1 - sqrt(beta2)) gamma d_k^2 <g_k, x_0 - x_k>
#   s = sqrt(beta2) s + (1 - sqrt(beta2)) gamma d_k^2 g_k
#   d_hat = r / ||s||_1;   d_{k+1} = max(d_k, d_hat)
#   x_{k+1} = x_k - gamma d_k m / (sqrt(v) + d_k eps)
# d_coef scales d_hat (the authors' knob for a smaller or larger estimate);
# weight decay is decoupled, x *= 1 - gamma d_k lambda; d_hat is skipped while
# ||s||_1 = 0. d is one number over all parameters.
# --------------------------------------------------------------------------
def prodigy(kw, shapes, n):
    lr, (b1, b2), eps = kw.get("lr", 1.0), kw.get("betas", (0.9, 0.999)), kw.get("eps", 1e-8)
    d0, dc, wd = kw.get("d0", 1e-6), kw.get("d_coef", 1.0), kw.get("weight_decay", 0.0)
    sgn = -1 if kw.get("maximize") else 1
    st = {"x0": None, "d": d0, "r": 0.0}
    m, v, s = np.zeros(n, f32), np.zeros(n, f32), np.zeros(n, f32)
    sb2 = np.sqrt(b2)

    def step(x, g, t):
        if st["x0"] is None:
            st["x0"] = x.copy()
        g = g * f32(sgn)
        d = st["d"]
        dot = np.sum(g.astype(np.float64) * (st["x0"] - x).astype(np.float64))
        st["r"] = sb2 * st["r"] + (1 - sb2) * lr * d * d * dot
        m[:] = f32(b1) * m + f32((1 - b1) * d) * g
        v[:] = f32(b2) * v + f32((1 - b2) * d * d) * g * g
        s[:] = f32(sb2) * s + f32((1 - sb2) * lr * d * d) * g
        s1 = np.sum(np.abs(s).astype(np.float64))
        out = x * f32(1 - lr * d * wd) - f32(lr * d) * m / (np.sqrt(v) + f32(d * eps))
        if s1 > 0:
            st["d"] = max(d, dc * st["r"] / s1)
        return out
    return step


REFS = {"Lion": lion, "LAMB": lamb, "Adafactor": adafactor, "ScheduleFreeAdamW": sfadamw,
        "Muon": muon, "Prodigy": prodigy}

# name, optimizer, kwargs, shapes (default SHAPES_DEFAULT): every option of every optimizer
CASES = [
    ("lion_default", "Lion", {}, None),
    ("lion_wd_betas", "Lion", {"lr": 3e-4, "betas": [0.95, 0.98], "weight_decay": 0.1}, None),
    ("lion_maximize", "Lion", {"maximize": True}, None),
    ("lamb_default", "LAMB", {}, None),
    ("lamb_no_bias_correction", "LAMB", {"bias_correction": False, "weight_decay": 0.0, "lr": 1e-2}, None),
    ("lamb_maximize_eps", "LAMB", {"maximize": True, "eps": 1e-8, "betas": [0.8, 0.99]}, None),
    ("lamb_flat", "LAMB", {}, "47"),
    ("adafactor_default", "Adafactor", {}, None),
    ("adafactor_beta1_clip", "Adafactor", {"beta1": 0.9, "clip_threshold": 0.5, "decay_rate": -0.6}, None),
    ("adafactor_fixed_lr", "Adafactor", {"relative_step": False, "scale_parameter": False, "lr": 1e-3,
                                         "weight_decay": 0.1}, None),
    ("adafactor_maximize_eps", "Adafactor", {"maximize": True, "eps": 1e-20, "eps2": 1e-2}, None),
    # lr above 1/sqrt(t) after step 11, so the relative step's 1/sqrt(t) branch shows; a 1-row matrix stays unfactored
    ("adafactor_relative_unscaled", "Adafactor", {"lr": 0.3, "scale_parameter": False}, "1x6 3x4 5 2x5 2"),
    ("sfadamw_default", "ScheduleFreeAdamW", {}, None),
    ("sfadamw_warmup_wd", "ScheduleFreeAdamW", {"warmup_steps": 20, "weight_decay": 0.05, "lr": 1e-2}, None),
    ("sfadamw_maximize", "ScheduleFreeAdamW", {"maximize": True, "betas": [0.95, 0.99], "eps": 1e-6}, None),
    ("muon_default", "Muon", {}, None),
    ("muon_plain_wd", "Muon", {"nesterov": False, "weight_decay": 0.1, "ns_steps": 3, "momentum": 0.9}, None),
    ("muon_ends_rms", "Muon", {"muon_ends": True, "rms_match": True, "adamw_lr_ratio": 0.1}, None),
    ("muon_override", "Muon", {"maximize": True, "betas": [0.8, 0.95], "eps": 1e-6},
     "3x4@muon 3 5x3@adamw 5 2x5 2"),
    ("prodigy_default", "Prodigy", {}, None),
    ("prodigy_dcoef_wd", "Prodigy", {"d_coef": 0.5, "weight_decay": 0.01, "d0": 1e-4}, None),
    ("prodigy_maximize", "Prodigy", {"maximize": True, "lr": 0.5, "betas": [0.9, 0.99], "eps": 1e-6}, None),
]


def fmt(a):
    return " ".join("%.9e" % float(x) for x in a)


def write(path, opt, kw, shape_text, seed=1):
    shapes = parse_shapes(shape_text)
    n = sum(r * (c if c else 1) for r, c, _ in shapes)
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(n).astype(f32)
    step = REFS[opt]({k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}, shapes, n)
    with open(path, "w") as f:
        print("optimizer", opt, json.dumps(kw), file=f)
        print("shape", shape_text, file=f)
        print("init", fmt(p), file=f)
        for t in range(1, STEPS + 1):
            scale = 10.0 ** rng.uniform(-4, 2, n)
            g = (rng.standard_normal(n) * scale).astype(f32)
            if t % 7 == 4:
                g[: n // 4] = 0.0
            p = step(p, g, t).astype(f32)
            print("grad", fmt(g), file=f)
            print("param", fmt(p), file=f)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    only = sys.argv[1:]
    for name, opt, kw, shape_text in CASES:
        if only and name not in only:
            continue
        write(os.path.join(here, "modern_%s.txt" % name), opt, kw, shape_text or SHAPES_DEFAULT)
        print("modern_%s.txt: %s %s" % (name, opt, json.dumps(kw)))
