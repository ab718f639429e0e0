/*
 * cmd_optimizers.c — `optlab optimizers [NAME]`: prints the optimizer registry
 * (src/optim/registry.c). Without a name, every optimizer with its
 * hyperparameters and defaults; with one, its hyperparameters in full (valid
 * range, suggested search range) and its update equations.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "options.h"
#include "optlab/optim.h"

static void print_aliases(const char *const *aliases, size_t max) {
    for (size_t k = 0; k < max && aliases[k]; k++) printf("%s%s", k ? ", " : "", aliases[k]);
}

static void print_indented(const char *text, const char *indent) {
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        printf("%s%.*s\n", indent, (int)len, s);
        s += len + (nl ? 1 : 0);
    }
}

static void print_one(const ol_optim_info *o) {
    printf("%s (%s) — %s\n", o->label, o->name, o->summary);
    if (o->aliases[0]) {
        printf("aliases: ");
        print_aliases(o->aliases, sizeof o->aliases / sizeof o->aliases[0]);
        printf("\n");
    }
    printf("state: %zu float%s per parameter\n\nhyperparameters:\n", o->state_floats, o->state_floats == 1 ? "" : "s");
    printf("  %-40s %-10s %-14s %-22s %s\n", "name (aliases)", "default", "valid", "suggested search", "meaning");
    for (size_t i = 0; i < o->n_hparams; i++) {
        const ol_hparam_info *h = &o->hparams[i];
        char name[64], range[64], search[64];
        int k = snprintf(name, sizeof name, "%s", h->name);
        for (size_t a = 0; a < 4 && h->aliases[a]; a++)
            k += snprintf(name + k, sizeof name - (size_t)k, "%s%s", a ? "," : " (", h->aliases[a]);
        if (h->aliases[0]) snprintf(name + k, sizeof name - (size_t)k, ")");
        if (!h->searchable) snprintf(search, sizeof search, "-");
        else if (h->kind == OL_HP_BOOL) snprintf(search, sizeof search, "{0, 1}");
        else snprintf(search, sizeof search, "%g .. %g %s", h->search_low, h->search_high, h->search_log ? "log" : "linear");
        printf("  %-40s %-10g %-14s %-22s %s\n", name, h->default_value, ol_hparam_range_text(h, range, sizeof range),
               search, h->help);
    }
    printf("\nupdate (t = step, from 1; float32 as torch.optim 1.13 where torch has it):\n");
    print_indented(o->equations, "  ");
    if (o->seed_equations) {
        printf("\nseed note's form (seed_variant=1):\n");
        print_indented(o->seed_equations, "  ");
    }
}

/* L-BFGS is not a registry entry (it needs a closure: ol_lbfgs_step), so it is described here. */
static const char lbfgs_summary[] = "limited-memory BFGS with optional strong-Wolfe line search (closure API: ol_lbfgs_step)";
static const char lbfgs_settings[] =
    "lr=1 max_iter=20 max_eval=max_iter*5/4 tolerance_grad=1e-7 tolerance_change=1e-9 history_size=100 line_search_fn=none";
static void print_lbfgs(void) {
    printf("LBFGS (lbfgs) — %s\n\nsettings (torch.optim.LBFGS 1.13's keywords and defaults):\n  %s\n"
           "  line_search_fn: none (step t = lr, the first min(1, 1/|g|_1) lr) or strong_wolfe (c1 1e-4, c2 0.9, 25 trials)\n\n"
           "update, per iteration (float32 vectors, as torch):\n"
           "  y = g - g_prev;  s = t d;  if y.s > 1e-10: keep (s, y) (last history_size), H = y.s / y.y\n"
           "  d = -(two-loop recursion over the kept pairs) applied to g, scaled by H\n"
           "  t = lr, or the strong-Wolfe search along d;  p = p + t d\n"
           "  stop after max_iter iterations or max_eval evaluations, or when max|g| <= tolerance_grad,\n"
           "  max|t d| <= tolerance_change or |loss change| < tolerance_change\n",
           lbfgs_summary, lbfgs_settings);
}

int cmd_optimizers(int argc, char **argv) {
    static const cli_option opts[] = {{NULL, 0, 0}};
    cli_parser p;
    cli_begin(&p, "optimizers", argc, argv, opts);
    const char *v;
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        if (c == CLI_OPT_HELP) {
            printf("usage: optlab optimizers [NAME]\n\n"
                   "Without NAME: every optimizer with its hyperparameters and defaults.\n"
                   "With NAME (a name or alias, any case, e.g. adamw, RMSprop, NAG): its hyperparameters\n"
                   "with valid and suggested search ranges, and its update equations.\n");
            return 0;
        }
        return CLI_EXIT_USAGE;
    }
    int n = cli_operand_count(&p);
    if (n > 1) return cli_usage_error(&p, "expected at most one optimizer name, got %d", n);
    if (n == 1 && (!strcasecmp(cli_operands(&p)[0], "lbfgs") || !strcasecmp(cli_operands(&p)[0], "l-bfgs"))) {
        print_lbfgs();
        return 0;
    }
    if (n == 1) {
        const char *name = cli_operands(&p)[0];
        const ol_optim_info *o = ol_optim_find(name);
        if (!o) return cli_usage_error(&p, "unknown optimizer '%s' (`optlab optimizers` lists them)", name);
        print_one(o);
        return 0;
    }
    for (size_t i = 0; i < ol_optim_count(); i++) {
        const ol_optim_info *o = ol_optim_at(i);
        printf("%-10s %-10s %s\n", o->name, o->label, o->summary);
        printf("           ");
        for (size_t k = 0; k < o->n_hparams; k++)
            printf("%s%s=%g", k ? " " : "", o->hparams[k].name, o->hparams[k].default_value);
        printf("\n");
    }
    printf("%-10s %-10s %s\n           %s\n", "lbfgs", "LBFGS", lbfgs_summary, lbfgs_settings);
    printf("\n`optlab optimizers NAME` shows one with ranges and its update equations.\n");
    return 0;
}
