/*
 * cmd_replay.c — `optlab replay FILE`: re-runs a torch.optim trajectory through
 * optlab's optimizer. FILE is what ../shared/anchors/torch_optim_trajectory.py
 * writes: "optimizer <TorchClass> <json kwargs>", "init <p...>", then pairs of
 * "grad <g...>" / "param <p...>". The output has the same form, with optlab's
 * params after each step, so the two files compare line by line
 * (tests/optim/replay_goldens.sh).
 * An optional "shape <t...>" line before init (ol_tensor_shapes_parse: "3x4 3 5x3@muon 5")
 * gives the tensors' shapes to optimizers that use them (LAMB, Adafactor, Muon);
 * files without it replay as before, as one 1-D tensor.
 *
 * With a "scheduler <TorchName> <json kwargs>" line after the optimizer line (the
 * format of ../shared/anchors/torch_sched_trajectory.py) the schedule steps after
 * every optimizer step and an "lr" line follows each param line; ReduceLROnPlateau
 * steps on the file's "metric" line, which is echoed (tests/optim/replay_schedules.sh).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "options.h"
#include "optlab/optim.h"

/* torch keywords that select an implementation, not the arithmetic: accepted when off. */
static int is_implementation_switch(const char *k) {
    return !strcmp(k, "foreach") || !strcmp(k, "capturable") || !strcmp(k, "differentiable") || !strcmp(k, "fused");
}

static int apply_kwargs(ol_optimizer *opt, const char *json, const char *path) {
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return cli_error("replay: %s: line 1: keyword arguments are not a JSON object: %s", path, json);
    }
    ol_error err;
    int rc = 0;
    for (cJSON *kv = root->child; kv && !rc; kv = kv->next) {
        ol_status st = OL_OK;
        if (is_implementation_switch(kv->string) && (cJSON_IsNull(kv) || cJSON_IsFalse(kv))) continue;
        /* torch's pairs: betas (Adam family), etas and step_sizes (Rprop) */
        const char *first = NULL, *second = NULL;
        if (!strcmp(kv->string, "betas")) first = "beta1", second = "beta2";
        else if (!strcmp(kv->string, "etas")) first = "eta_minus", second = "eta_plus";
        else if (!strcmp(kv->string, "step_sizes")) first = "step_size_min", second = "step_size_max";
        if (first) {
            if (!cJSON_IsArray(kv) || cJSON_GetArraySize(kv) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(kv, 0)) ||
                !cJSON_IsNumber(cJSON_GetArrayItem(kv, 1))) {
                rc = cli_error("replay: %s: %s must be a pair of numbers", path, kv->string);
                break;
            }
            st = ol_optimizer_set(opt, first, cJSON_GetArrayItem(kv, 0)->valuedouble, &err);
            if (!st) st = ol_optimizer_set(opt, second, cJSON_GetArrayItem(kv, 1)->valuedouble, &err);
        } else if (cJSON_IsBool(kv)) {
            st = ol_optimizer_set(opt, kv->string, cJSON_IsTrue(kv) ? 1.0 : 0.0, &err);
        } else if (cJSON_IsNumber(kv)) {
            st = ol_optimizer_set(opt, kv->string, kv->valuedouble, &err);
        } else {
            rc = cli_error("replay: %s: keyword '%s' has a value that is neither a number nor a boolean", path, kv->string);
            break;
        }
        if (st) rc = cli_error("replay: %s: %s", path, err.msg);
    }
    cJSON_Delete(root);
    return rc;
}

/* Parse exactly n floats after the keyword; returns 0 on success. */
static int parse_floats(const char *s, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s) return -1;
        out[i] = (float)v;
        s = end;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return *s ? -1 : 0;
}

static size_t count_fields(const char *s) {
    size_t n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
        if (!*s) break;
        n++;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') s++;
    }
    return n;
}

static void print_floats(const char *key, const float *v, size_t n) {
    fputs(key, stdout);
    for (size_t i = 0; i < n; i++) printf(" %.9e", (double)v[i]);
    putchar('\n');
}

/* ---- LBFGS: torch's closure calls replayed (tests/optim/golden/lbfgs/make_lbfgs_golden.py's format) ---- */

typedef struct {
    size_t n, n_evals, used;
    double *loss;   /* [n_evals] */
    float *grads;   /* [n_evals * n] */
} lbfgs_evals;

static ol_status replay_closure(void *user, const float *params, float *grads, double *loss, ol_error *err) {
    lbfgs_evals *e = user;
    print_floats("at", params, e->n);
    if (e->used >= e->n_evals)
        return ol_fail(err, OL_ESTATE, "evaluation %zu asked for, torch made %zu in this step", e->used + 1, e->n_evals);
    memcpy(grads, e->grads + e->used * e->n, e->n * sizeof *grads);
    *loss = e->loss[e->used];
    printf("loss %.17g\n", *loss);
    print_floats("grad", grads, e->n);
    e->used++;
    return OL_OK;
}

/* JSON kwargs -> "name=value,..." for ol_lbfgs_create. */
static int lbfgs_settings(const char *json, char *out, size_t size, const char *path) {
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return cli_error("replay: %s: LBFGS keyword arguments are not a JSON object: %s", path, json);
    }
    out[0] = '\0';
    size_t k = 0;
    for (cJSON *kv = root->child; kv; kv = kv->next) {
        int w;
        if (cJSON_IsNumber(kv)) w = snprintf(out + k, size - k, "%s%s=%.17g", k ? "," : "", kv->string, kv->valuedouble);
        else if (cJSON_IsString(kv)) w = snprintf(out + k, size - k, "%s%s=%s", k ? "," : "", kv->string, kv->valuestring);
        else if (cJSON_IsNull(kv)) w = snprintf(out + k, size - k, "%s%s=none", k ? "," : "", kv->string);
        else {
            /* kv->string lives in root: the message is printed before root goes */
            int rc = cli_error("replay: %s: LBFGS keyword '%s' is neither a number, a string nor null", path, kv->string);
            cJSON_Delete(root);
            return rc;
        }
        if (w < 0 || (size_t)w >= size - k) {
            cJSON_Delete(root);
            return cli_error("replay: %s: LBFGS keyword arguments too long", path);
        }
        k += (size_t)w;
    }
    cJSON_Delete(root);
    return 0;
}

static int replay_lbfgs(FILE *f, const char *path, const char *header, const char *json) {
    char settings[1024], *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    long lineno = 1;
    int rc = lbfgs_settings(json, settings, sizeof settings, path);
    if (rc) return rc;
    puts(header);
    float *params = NULL;
    ol_lbfgs *lb = NULL;
    lbfgs_evals ev = {0};
    size_t ev_cap = 0;
    ol_error err;
    int in_step = 0;
    while (!rc && (len = getline(&line, &cap, f)) != -1) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (!strncmp(line, "init ", 5)) {
            if (params) { rc = cli_error("replay: %s:%ld: second 'init'", path, lineno); break; }
            n = count_fields(line + 5);
            params = n ? malloc(n * sizeof *params) : NULL;
            if (!params || parse_floats(line + 5, params, n)) { rc = cli_error("replay: %s:%ld: bad 'init'", path, lineno); break; }
            if (ol_lbfgs_create(&lb, params, n, settings, &err)) { rc = cli_error("replay: %s: %s", path, err.msg); break; }
            ev.n = n;
            print_floats("init", params, n);
        } else if (!strncmp(line, "step ", 5)) {
            if (!lb) { rc = cli_error("replay: %s:%ld: 'step' before 'init'", path, lineno); break; }
            in_step = 1;
            ev.n_evals = ev.used = 0;
            puts(line);
        } else if (!strncmp(line, "loss ", 5) || !strncmp(line, "grad ", 5)) {
            if (!in_step) { rc = cli_error("replay: %s:%ld: '%.4s' outside a step", path, lineno, line); break; }
            if (ev.n_evals == ev_cap) {
                ev_cap = ev_cap ? 2 * ev_cap : 64;
                double *l = realloc(ev.loss, ev_cap * sizeof *l);
                if (l) ev.loss = l;
                float *g = realloc(ev.grads, ev_cap * n * sizeof *g);
                if (g) ev.grads = g;
                if (!l || !g) { rc = cli_error("replay: out of memory"); break; }
            }
            if (line[0] == 'l') {
                char *end;
                ev.loss[ev.n_evals] = strtod(line + 5, &end);
                if (end == line + 5) { rc = cli_error("replay: %s:%ld: bad 'loss'", path, lineno); break; }
            } else {
                if (count_fields(line + 5) != n || parse_floats(line + 5, ev.grads + ev.n_evals * n, n)) {
                    rc = cli_error("replay: %s:%ld: 'grad' needs %zu numbers", path, lineno, n);
                    break;
                }
                ev.n_evals++; /* a loss line comes first, then its grad */
            }
        } else if (!strncmp(line, "param ", 6)) {
            if (!in_step) { rc = cli_error("replay: %s:%ld: 'param' outside a step", path, lineno); break; }
            in_step = 0;
            if (ol_lbfgs_step(lb, replay_closure, &ev, NULL, &err)) { rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg); break; }
            if (ev.used != ev.n_evals) {
                rc = cli_error("replay: %s:%ld: optlab's LBFGS made %zu evaluations, torch %zu", path, lineno, ev.used, ev.n_evals);
                break;
            }
            print_floats("param", params, n);
        } else if (!strncmp(line, "at ", 3) || len == 0) {
            continue;
        } else {
            rc = cli_error("replay: %s:%ld: unknown record '%.20s'", path, lineno, line);
        }
    }
    free(line);
    free(ev.loss);
    free(ev.grads);
    ol_lbfgs_free(lb);
    free(params);
    return rc;
}

int cmd_replay(int argc, char **argv) {
    static const cli_option opts[] = {{NULL, 0, 0}};
    cli_parser cp;
    cli_begin(&cp, "replay", argc, argv, opts);
    const char *v;
    for (int c; (c = cli_next(&cp, &v)) != CLI_OPT_END;) {
        if (c != CLI_OPT_HELP) return CLI_EXIT_USAGE;
        printf("usage: optlab replay FILE\n\n"
               "FILE is a torch.optim trajectory written by ../shared/anchors/torch_optim_trajectory.py:\n"
               "  optimizer <TorchClass> <json kwargs>\n  [scheduler <TorchName> <json kwargs>]\n  [shape <RxC or N>[@muon|@adamw] ...]\n  init <p_0> ... <p_n-1>\n  grad <g...>  /  param <p...>  per step\n"
               "Creates optlab's optimizer from the class name and keywords (torch names are aliases of\n"
               "optlab's), applies every grad line and prints the same format with optlab's params.\n"
               "With a scheduler line (torch_sched_trajectory.py's format) the schedule steps after every\n"
               "step and an 'lr' line follows; ReduceLROnPlateau reads the 'metric' lines.\n"
               "A FILE whose name starts with '-' is given after \"--\".\n");
        return 0;
    }
    if (cli_operand_count(&cp) != 1)
        return cli_usage_error(&cp, "expected one FILE argument, got %d", cli_operand_count(&cp));
    const char *path = cli_operands(&cp)[0];
    FILE *f = fopen(path, "r");
    if (!f) return cli_error("replay: cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, n = 0;
    long lineno = 0;
    ssize_t len;
    ol_optimizer *opt = NULL;
    ol_schedule *sched = NULL;
    float *params = NULL, *grads = NULL;
    ol_error err;
    int rc = 0;
    enum { MAX_SHAPES = 256 };
    static ol_tensor_shape shapes[MAX_SHAPES];
    size_t n_shapes = 0;
    while (!rc && (len = getline(&line, &cap, f)) != -1) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (!strncmp(line, "optimizer ", 10)) {
            if (opt) { rc = cli_error("replay: %s:%ld: second optimizer line", path, lineno); break; }
            char *name = line + 10, *sp = strchr(name, ' ');
            if (!sp) { rc = cli_error("replay: %s:%ld: expected 'optimizer NAME {json}'", path, lineno); break; }
            *sp = '\0';
            if (!strcasecmp(name, "LBFGS")) {
                *sp = ' ';
                rc = replay_lbfgs(f, path, line, sp + 1);
                free(line);
                fclose(f);
                return rc;
            }
            if (ol_optimizer_create(&opt, name, &err)) { rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg); break; }
            rc = apply_kwargs(opt, sp + 1, path);
            *sp = ' ';
            if (!rc) puts(line);
        } else if (!strncmp(line, "scheduler ", 10)) {
            if (!opt || sched || params) {
                rc = cli_error("replay: %s:%ld: 'scheduler' must follow the optimizer line, once, before 'init'", path, lineno);
                break;
            }
            char *name = line + 10, *sp = strchr(name, ' ');
            if (sp) *sp = '\0';
            if (ol_schedule_create(&sched, opt, name, sp ? sp + 1 : NULL, &err)) {
                rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg);
                break;
            }
            if (sp) *sp = ' ';
            puts(line);
        } else if (!strncmp(line, "metric ", 7)) {
            char *end;
            double metric = strtod(line + 7, &end);
            if (!sched || !ol_schedule_needs_metric(sched) || end == line + 7) {
                rc = cli_error("replay: %s:%ld: 'metric' needs a number and a ReduceLROnPlateau scheduler", path, lineno);
                break;
            }
            if (ol_schedule_step(sched, metric, &err)) { rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg); break; }
            printf("metric %.9e\nlr %.9e\n", metric, ol_schedule_lr(sched));
        } else if (!strncmp(line, "init ", 5)) {
            if (!opt || params) { rc = cli_error("replay: %s:%ld: 'init' must follow the optimizer line, once", path, lineno); break; }
            n = count_fields(line + 5);
            params = n ? malloc(n * sizeof *params) : NULL;
            grads = n ? calloc(n, sizeof *grads) : NULL;
            if (!n || !params || !grads || parse_floats(line + 5, params, n)) {
                rc = cli_error("replay: %s:%ld: 'init' needs one or more numbers", path, lineno);
                break;
            }
            if (ol_optimizer_add_group(opt, params, grads, n, &err)) { rc = cli_error("replay: %s: %s", path, err.msg); break; }
            if (n_shapes && ol_optimizer_set_shapes(opt, 0, shapes, n_shapes, &err)) {
                rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg);
                break;
            }
            print_floats("init", params, n);
        } else if (!strncmp(line, "shape ", 6)) {
            if (!opt || params || n_shapes) { rc = cli_error("replay: %s:%ld: 'shape' must come once, between the optimizer line and 'init'", path, lineno); break; }
            if (ol_tensor_shapes_parse(line + 6, shapes, MAX_SHAPES, &n_shapes, &err)) { rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg); break; }
            puts(line);
        } else if (!strncmp(line, "grad ", 5)) {
            if (!params) { rc = cli_error("replay: %s:%ld: 'grad' before 'init'", path, lineno); break; }
            if (count_fields(line + 5) != n || parse_floats(line + 5, grads, n)) {
                rc = cli_error("replay: %s:%ld: 'grad' needs %zu numbers (as many as 'init')", path, lineno, n);
                break;
            }
            if (ol_optimizer_step(opt, &err)) { rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg); break; }
            print_floats("grad", grads, n);
            print_floats("param", params, n);
            if (sched && !ol_schedule_needs_metric(sched)) {
                if (ol_schedule_step(sched, 0.0, &err)) { rc = cli_error("replay: %s:%ld: %s", path, lineno, err.msg); break; }
                printf("lr %.9e\n", ol_schedule_lr(sched));
            }
        } else if (!strncmp(line, "param ", 6) || !strncmp(line, "lr ", 3) || len == 0) {
            continue; /* torch's params: the comparison is the caller's */
        } else {
            rc = cli_error("replay: %s:%ld: unknown record '%.20s'", path, lineno, line);
        }
    }
    if (!rc && !opt) rc = cli_error("replay: %s: no 'optimizer' line", path);
    free(line);
    fclose(f);
    ol_schedule_free(sched);
    ol_optimizer_free(opt);
    free(params);
    free(grads);
    return rc;
}
