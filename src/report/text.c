/*
 * text.c — the report's words and numbers: headings, table headers and axis
 * labels in English and Korean (the Korean ones as the seed note's section
 * 3-2 writes them), hyperparameter display names, and numbers rounded the
 * way a person writes them. Also the text buffer the writers build into.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

void rp_printf(rp_buf *b, const char *fmt, ...) {
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        b->failed = 1;
        return;
    }
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + (size_t)need + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

void rp_buf_free(rp_buf *b) {
    free(b->s);
    memset(b, 0, sizeof *b);
}

ol_status rp_buf_save(const rp_buf *b, const char *path, ol_error *err) {
    if (b->failed) return ol_fail(err, OL_ENOMEM, "out of memory writing %s", path);
    FILE *f = fopen(path, "w");
    if (!f) return ol_fail(err, OL_EIO, "cannot create %s: %s", path, strerror(errno));
    int bad = b->len && fwrite(b->s, 1, b->len, f) != b->len;
    if (fclose(f) != 0) bad = 1;
    return bad ? ol_fail(err, OL_EIO, "cannot write %s: %s", path, strerror(errno)) : OL_OK;
}

static const char *const text_en[RP_T_N] = {
    [RP_T_TITLE] = "Results",
    [RP_T_CONCLUSION] = "Conclusion",
    [RP_T_TABLE] = "Final (test) accuracy and best hyperparameters per optimizer",
    [RP_T_TREND] = "Accuracy over the HPO, per optimizer",
    [RP_T_PARAMS] = "Accuracy against each hyperparameter's value, per optimizer",
    [RP_T_CURVES] = "Learning curves of each optimizer's best trial",
    [RP_T_FAILURES] = "Failed, diverged and never-learning trials",
    [RP_T_COL_OPT] = "Optimizer",
    [RP_T_COL_TEST] = "Final accuracy (test)",
    [RP_T_COL_VALID] = "Best valid-trial accuracy",
    [RP_T_COL_HPARAMS] = "Best hyperparameters",
    [RP_T_COL_HPARAM] = "Hyperparameter",
    [RP_T_COL_DIST] = "Accuracy distribution",
    [RP_T_AX_TRIAL] = "trial number",
    [RP_T_AX_VALID_TRIAL_ACC] = "valid-trial accuracy (%)",
    [RP_T_AX_EPOCH] = "epoch",
    [RP_T_AX_TRAIN_LOSS] = "mean training loss",
    [RP_T_AX_VALID_EPOCH_ACC] = "valid-epoch accuracy (%)",
    [RP_T_KEY_TRIAL] = "trial",
    [RP_T_KEY_BEST_SO_FAR] = "best so far",
    [RP_T_KEY_BEST] = "best trial",
    [RP_T_KEY_FAILED] = "failed / diverged (no value)",
    [RP_T_KEY_NEVER] = "never learned",
    [RP_T_KEY_BEST_EPOCH] = "best epoch (weights kept)",
    [RP_T_ALL_TRIALS] = "all trials",
    [RP_T_ZOOMED] = "without outliers",
    [RP_T_REPEATS] = "Repetitions: how much the HPO's randomness moves the results",
    [RP_T_KEY_PRUNED] = "pruned (stopped early)",
    [RP_T_COL_REEVAL] = "Re-evaluated (test, mean ± 95 % CI)",
};

static const char *const text_ko[RP_T_N] = {
    [RP_T_TITLE] = "3-2. 실험 결과",
    [RP_T_CONCLUSION] = "결론",
    [RP_T_TABLE] = "각 Optimizer 별 테스트 데이터셋 최종 성능 및 최적 하이퍼파라미터",
    [RP_T_TREND] = "각 Optimizer 별 HPO 정확도 추이",
    [RP_T_PARAMS] = "각 Optimizer 별 특정 하이퍼파라미터의 값에 따른 성능 분포",
    [RP_T_CURVES] = "각 Optimizer 별 최적 Trial 의 학습 곡선",
    [RP_T_FAILURES] = "실패, 발산 및 학습되지 않은 Trial",
    [RP_T_COL_OPT] = "Optimizer",
    [RP_T_COL_TEST] = "최종 성능 (Test)",
    [RP_T_COL_VALID] = "최고 성능 (Valid, Trial 단위)",
    [RP_T_COL_HPARAMS] = "최적 하이퍼파라미터",
    [RP_T_COL_HPARAM] = "하이퍼파라미터",
    [RP_T_COL_DIST] = "성능 분포",
    [RP_T_AX_TRIAL] = "Trial 번호",
    [RP_T_AX_VALID_TRIAL_ACC] = "Valid 정확도, Trial 단위 (%)",
    [RP_T_AX_EPOCH] = "Epoch",
    [RP_T_AX_TRAIN_LOSS] = "학습 손실 (평균)",
    [RP_T_AX_VALID_EPOCH_ACC] = "Valid 정확도, Epoch 단위 (%)",
    [RP_T_KEY_TRIAL] = "Trial",
    [RP_T_KEY_BEST_SO_FAR] = "현재까지 최고",
    [RP_T_KEY_BEST] = "최적 Trial",
    [RP_T_KEY_FAILED] = "실패 / 발산 (값 없음)",
    [RP_T_KEY_NEVER] = "학습 안 됨",
    [RP_T_KEY_BEST_EPOCH] = "최적 Epoch (저장된 가중치)",
    [RP_T_ALL_TRIALS] = "전체 Trial",
    [RP_T_ZOOMED] = "이상치 제외",
    [RP_T_REPEATS] = "반복 실험: HPO 의 랜덤성이 결과를 얼마나 바꾸는가",
    [RP_T_KEY_PRUNED] = "Pruned (조기 중단)",
    [RP_T_COL_REEVAL] = "재평가 결과 (Test, 평균 ± 95 % CI)",
};

const char *rp_t(ol_report_lang lang, rp_text key) {
    if (key < 0 || key >= RP_T_N) return "";
    return (lang == OL_REPORT_KO ? text_ko : text_en)[key];
}

/* Names the seed experiment uses, and how people write them. */
static const struct {
    const char *name, *plain, *md;
} param_labels[] = {
    {"learning_rate", "learning rate", "learning rate"},
    {"lr", "learning rate", "learning rate"},
    {"beta1", "β₁", "$\\beta_1$"},
    {"beta2", "β₂", "$\\beta_2$"},
    {"weight_decay", "weight decay", "weight decay"},
    {"rho", "ρ", "$\\rho$"},
    {"p", "p (ρ)", "$p$ (ρ)"},
    {"eps", "ε", "$\\epsilon$"},
    {"momentum", "momentum", "momentum"},
};

const char *rp_param_label(const char *name) {
    for (size_t i = 0; i < sizeof param_labels / sizeof param_labels[0]; i++)
        if (!strcmp(param_labels[i].name, name)) return param_labels[i].plain;
    return name;
}

const char *rp_param_label_md(const char *name) {
    for (size_t i = 0; i < sizeof param_labels / sizeof param_labels[0]; i++)
        if (!strcmp(param_labels[i].name, name)) return param_labels[i].md;
    return name;
}

char *rp_pct(char *buf, size_t n, double frac) {
    if (!isfinite(frac)) snprintf(buf, n, "—");
    else snprintf(buf, n, "%.2f", 100.0 * frac);
    return buf;
}

/* "%.*e" without the exponent's '+' and leading zeros: 2.50e-05 -> 2.5e-5 */
static void tidy_exponent(char *s, size_t n) {
    char *e = strchr(s, 'e');
    if (!e) return;
    char mant[32], *m = mant;
    size_t k = (size_t)(e - s);
    if (k >= sizeof mant) return;
    memcpy(mant, s, k);
    mant[k] = '\0';
    if (strchr(mant, '.')) { /* drop trailing zeros of the mantissa */
        size_t l = strlen(mant);
        while (l > 0 && mant[l - 1] == '0') mant[--l] = '\0';
        if (l > 0 && mant[l - 1] == '.') mant[--l] = '\0';
    }
    int exp = atoi(e + 1);
    snprintf(s, n, "%.31se%d", m, exp);
}

char *ol_report_format_hparam(char *buf, size_t n, double value, int log_scale, int is_int, double low,
                              double high) {
    if (!buf || n == 0) return buf;
    if (!isfinite(value)) {
        snprintf(buf, n, "—");
        return buf;
    }
    if (is_int) {
        snprintf(buf, n, "%.0f", value);
        return buf;
    }
    double a = fabs(value);
    char tmp[64];
    if (log_scale || !(high > low)) {
        /* 3 significant digits; scientific below 1e-3 and from 1e4 */
        if (a != 0 && (a < 1e-3 || a >= 1e4)) {
            snprintf(tmp, sizeof tmp, "%.2e", value);
            tidy_exponent(tmp, sizeof tmp);
        } else {
            snprintf(tmp, sizeof tmp, "%.3g", value);
        }
    } else {
        /* enough decimals to tell apart 1/200 of the searched range */
        double step = (high - low) / 200.0;
        int decimals = (int)lround(-log10(step));
        if (decimals < 0) decimals = 0;
        if (decimals > 12) decimals = 12;
        snprintf(tmp, sizeof tmp, "%.*f", decimals, value);
    }
    snprintf(buf, n, "%s", tmp);
    return buf;
}

char *rp_format_bound(char *buf, size_t n, double value) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.6g", value);
    tidy_exponent(tmp, sizeof tmp);
    snprintf(buf, n, "%s", tmp);
    return buf;
}

char *rp_thousands(char *buf, size_t n, long v) {
    char digits[32], out[48];
    snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
    size_t len = strlen(digits), k = 0;
    if (v < 0) out[k++] = '-';
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    snprintf(buf, n, "%s", out);
    return buf;
}

char *rp_format_param(char *buf, size_t n, const rp_param *p, double value) {
    if (p->categorical) {
        long i = isfinite(value) ? lround(value) : -1;
        if (i >= 0 && (size_t)i < p->n_choices) snprintf(buf, n, "%s", p->choices[i]);
        else snprintf(buf, n, "—");
        return buf;
    }
    return ol_report_format_hparam(buf, n, value, p->log_scale, p->is_int, p->low, p->high);
}

/*
 * Korean particles (이/가, 은/는, 을/를) follow the sound the word ends in:
 * after a final consonant (batchim) 이, 은, 을; after a vowel 가, 는, 를.
 *
 * Hangul: a precomposed syllable U+AC00..U+D7A3 is 0xAC00 + (initial·21 +
 * medial)·28 + final, so (code − 0xAC00) mod 28 ≠ 0 means a final consonant.
 *
 * Latin letters and digits, by how the name ends when read aloud in Korean:
 *  - a final digit is read as the Korean numeral: 0 영, 1 일, 3 삼, 6 육, 7 칠,
 *    8 팔 end in a consonant; 2 이, 4 사, 5 오, 9 구 do not;
 *  - a final capital letter is read by its name (acronyms "SGD", suffixes
 *    "AdamW"): L 엘, M 엠, N 엔, R 알 end in a consonant, the other letters
 *    (에이, 비, 디, 더블유, ...) in a vowel;
 *  - a final small letter ends a word read as a word: m, n, l, "ng" (Adam 아담,
 *    Lion 라이온, Nesterov-...ing) and a k or p (RMSprop 알엠에스프롭) end in a
 *    consonant; anything else (Adagrad 아다그라드, Adadelta, Adamax 아다맥스)
 *    is read with a final vowel;
 *  - trailing punctuation, spaces and closing brackets are skipped; a word with
 *    no letter, digit or syllable counts as ending in a vowel.
 */
static unsigned last_code_point(const char *word) {
    const unsigned char *s = (const unsigned char *)word;
    unsigned last = 0;
    while (*s) {
        unsigned cp;
        int len;
        if (*s < 0x80) cp = *s, len = 1;
        else if ((*s >> 5) == 6 && s[1]) cp = (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu), len = 2;
        else if ((*s >> 4) == 14 && s[1] && s[2]) cp = (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu), len = 3;
        else if ((*s >> 3) == 30 && s[1] && s[2] && s[3])
            cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu), len = 4;
        else cp = 0, len = 1;
        int letter = (cp >= 0xAC00 && cp <= 0xD7A3) || (cp < 0x80 && (isalnum((int)cp)));
        if (letter) last = cp;
        else if (cp != ' ' && cp != ')' && cp != ']' && cp != '"' && cp != '\'' && cp != '`' && cp != '*' &&
                 cp != '.' && cp != ',')
            last = cp; /* another symbol: what it ends in is unknown, judged as a vowel below */
        s += len;
    }
    return last;
}

int rp_ko_has_batchim(const char *word) {
    if (!word) return 0;
    unsigned c = last_code_point(word);
    if (c >= 0xAC00 && c <= 0xD7A3) return (c - 0xAC00) % 28 != 0;
    if (c >= '0' && c <= '9') return strchr("013678", (int)c) != NULL;
    if (c >= 'A' && c <= 'Z') return strchr("LMNR", (int)c) != NULL;
    if (c >= 'a' && c <= 'z') {
        size_t n = strlen(word);
        /* "...ng": the ㅇ of 잉 */
        if (c == 'g' && n >= 2 && word[n - 2] == 'n') return 1;
        return strchr("mnlkp", (int)c) != NULL;
    }
    return 0;
}

const char *rp_ko_particle(const char *word, const char *with_batchim, const char *without) {
    return rp_ko_has_batchim(word) ? with_batchim : without;
}

void rp_redact_url(char *out, size_t n, const char *url) {
    snprintf(out, n, "%s", url ? url : "?");
    char *scheme = strstr(out, "://");
    if (!scheme) return;
    char *at = strchr(scheme + 3, '@');
    char *colon = strchr(scheme + 3, ':');
    if (at && colon && colon < at) memmove(colon, at, strlen(at) + 1);
}
