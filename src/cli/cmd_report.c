/*
 * cmd_report.c — `optlab report`: rebuild an experiment's results section
 * (README.md and figures) from storage alone, anywhere, any time. The work is
 * the report layer's (ol_report_write_url); this file parses the options and
 * tells the user what was written and what else the storage holds.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "optlab/report.h"

#define DEFAULT_STORAGE "sqlite:///optlab.db"

static void report_usage(FILE *out) {
    fputs("usage: optlab report [--storage URL] [--out DIR] [--lang en|ko] [--experiment NAME]\n"
          "                     [--baseline NAME]\n\n"
          "Write the results of an experiment as DIR/README.md with its figures, from the\n"
          "storage alone: conclusion (optimizers ranked by test accuracy, with what the noise\n"
          "allows to claim), results table, accuracy over each HPO, accuracy against each\n"
          "hyperparameter (all trials and without outliers), the best trials' learning curves,\n"
          "and the failed, diverged or never-learning trials. Figures are PNG and SVG drawn by\n"
          "gnuplot; each one's data (.dat) and script (.gp) stay beside it in DIR/figures/.\n\n"
          "  --storage URL      sqlite:///FILE, postgresql://USER@HOST:PORT/DB or memory:\n"
          "                     (default " DEFAULT_STORAGE ")\n"
          "  --out DIR          report directory (default report). The report is built beside it\n"
          "                     and swapped in whole; DIR must be absent, empty or an earlier report\n"
          "  --lang en|ko       language of headings, tables, text and axis labels (default en;\n"
          "                     ko follows the seed note's section 3-2)\n"
          "  --experiment NAME  which experiment, when the storage holds several\n"
          "                     (default: the one created last)\n"
          "  --baseline NAME    compare with another experiment of the same storage, repetition\n"
          "                     by repetition: epochs and seconds saved, change of the best results\n"
          "                     (e.g. --experiment pruned --baseline repeat: what the pruner saves)\n"
          "  --gnuplot PROGRAM  gnuplot to run (default $OPTLAB_GNUPLOT or gnuplot)\n\n"
          "`optlab run` writes the report at its end; this command rebuilds it.\n"
          "Docs: docs/report.md\n",
          out);
}

/* "--name VALUE" or "--name=VALUE"; advances *i past a separate value. */
static const char *option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc) return argv[++*i];
    return NULL;
}

int cmd_report(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        report_usage(stdout);
        return 0;
    }
    const char *url = DEFAULT_STORAGE, *lang = "en", *v;
    ol_report_options opt;
    memset(&opt, 0, sizeof opt);
    opt.out_dir = "report";
    for (int i = 1; i < argc; i++) {
        if ((v = option_value(argc, argv, &i, "--storage"))) url = v;
        else if ((v = option_value(argc, argv, &i, "--out"))) opt.out_dir = v;
        else if ((v = option_value(argc, argv, &i, "--lang"))) lang = v;
        else if ((v = option_value(argc, argv, &i, "--experiment"))) opt.experiment = v;
        else if ((v = option_value(argc, argv, &i, "--baseline"))) opt.baseline = v;
        else if ((v = option_value(argc, argv, &i, "--gnuplot"))) opt.gnuplot = v;
        else {
            cli_error("report: unexpected argument '%s' (an option without its value?)", argv[i]);
            report_usage(stderr);
            return 2;
        }
    }
    if (!strcmp(lang, "en")) opt.lang = OL_REPORT_EN;
    else if (!strcmp(lang, "ko")) opt.lang = OL_REPORT_KO;
    else {
        cli_error("report: --lang must be en or ko, not '%s'", lang);
        return 2;
    }
    if (!*opt.out_dir) {
        cli_error("report: --out needs a directory name");
        return 2;
    }
    ol_report_summary sum;
    ol_error err;
    ol_error_clear(&err);
    if (ol_report_write_url(url, &opt, &sum, &err) != OL_OK) return cli_error("report: %s", err.msg);
    printf("report of experiment '%s' (repetition %d; %d repetition%s stored): %d optimizers, %d trials\n",
           sum.experiment, sum.repetition, sum.n_repetitions, sum.n_repetitions == 1 ? "" : "s", sum.n_optimizers,
           sum.n_trials);
    if (sum.n_experiments > 1)
        printf("the storage also holds: %s (choose one with --experiment NAME)\n", sum.others);
    printf("wrote %s and %d figures (PNG + SVG, with data and gnuplot scripts) in %s/figures\n", sum.readme_path,
           sum.n_figures, opt.out_dir);
    return 0;
}
