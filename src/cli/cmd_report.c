/*
 * cmd_report.c — `optlab report`: rebuild an experiment's results section
 * (README.md and figures) from storage alone, anywhere, any time. The work is
 * the report layer's (ol_report_write_url); this file parses the options and
 * tells the user what was written and what else the storage holds. Any study
 * can be reported: one that is not an optlab experiment gets a generic report.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "optlab/report.h"

#define DEFAULT_STORAGE "sqlite:///optlab.db"

static void report_usage(FILE *out) {
    fputs("usage: optlab report [--storage URL] [--report-dir DIR] [--lang en|ko]\n"
          "                     [--experiment NAME | --study-name NAME] [--only NAMES] [--baseline NAME]\n"
          "                     [--gnuplot PROGRAM] [--paths DIR]\n\n"
          "Write the results of an experiment as DIR/README.md with its figures, from the\n"
          "storage alone: conclusion (optimizers ranked by test accuracy, with what the noise\n"
          "allows to claim), results table, accuracy over each HPO, accuracy against each\n"
          "hyperparameter (all trials and without outliers), the best trials' learning curves,\n"
          "and the failed, diverged or never-learning trials. Figures are PNG and SVG drawn by\n"
          "gnuplot; each one's data (.dat) and script (.gp) stay beside it in DIR/figures/.\n\n"
          "Any other study (made by `optlab ask`/`tell`, Optuna, ...) gets a generic study report:\n"
          "its direction and values as stored, in their own units, the best trial, the top trials,\n"
          "the history and one slice figure per parameter. Nothing is taken for an accuracy.\n\n"
          "  --storage URL       sqlite:///FILE, postgresql://USER@HOST:PORT/DB or memory:\n"
          "                      (default " DEFAULT_STORAGE ")\n"
          "  --report-dir DIR    report directory (default report; alias --out, as `optlab run`\n"
          "                      names it). Built beside it and swapped in whole; DIR must be\n"
          "                      absent, empty or an earlier report\n"
          "  --lang en|ko        language of headings, tables, text and axis labels (default en;\n"
          "                      ko follows the seed note's section 3-2)\n"
          "  --experiment NAME   which experiment (default: the newest experiment, i.e. the newest\n"
          "                      study with optlab's experiment attributes; studies made otherwise\n"
          "                      are never taken for it). A NAME that is one study's name reports\n"
          "                      that study as --study-name does\n"
          "  --study-name NAME   a generic report of this one study, whatever made it (alias --study)\n"
          "  --only NAMES        only these studies of the experiment, comma-separated as its study\n"
          "                      names end (normally optimizers: --only adamw,lion,muon): the tables,\n"
          "                      figures, paired tests and Holm's correction cover only them\n"
          "  --baseline NAME     compare with another experiment of the same storage, repetition\n"
          "                      by repetition: epochs and seconds saved, change of the best results,\n"
          "                      trials each search needed to come within 0.1 points of its best\n"
          "                      (e.g. --experiment pruned --baseline repeat: what the pruner saves;\n"
          "                      --experiment seed-gp --baseline seed: what another sampler changes)\n"
          "  --gnuplot PROGRAM   gnuplot to run (default $OPTLAB_GNUPLOT or gnuplot)\n"
          "  --paths DIR         add the \"optimizers\" section from an `optlab paths --out DIR`\n"
          "                      output (its table and surface figures; nothing is recomputed)\n\n"
          "`optlab run` writes the report at its end; this command rebuilds it.\n"
          "Docs: docs/report.md, docs/cli.md\n",
          out);
}

enum { R_STORAGE, R_DIR, R_LANG, R_EXPERIMENT, R_STUDY, R_BASELINE, R_GNUPLOT, R_PATHS, R_ONLY };

int cmd_report(int argc, char **argv) {
    static const cli_option opts[] = {{"storage", 1, R_STORAGE},   {"report-dir", 1, R_DIR},
                                      {"out", 1, R_DIR},           {"lang", 1, R_LANG},
                                      {"experiment", 1, R_EXPERIMENT}, {"study-name", 1, R_STUDY},
                                      {"study", 1, R_STUDY},       {"baseline", 1, R_BASELINE},
                                      {"gnuplot", 1, R_GNUPLOT},   {"paths", 1, R_PATHS},
                                      {"only", 1, R_ONLY},
                                      {NULL, 0, 0}};
    const char *url = DEFAULT_STORAGE, *lang = "en", *v;
    ol_report_options opt;
    memset(&opt, 0, sizeof opt);
    opt.out_dir = "report";
    cli_parser p;
    cli_begin(&p, "report", argc, argv, opts);
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        switch (c) {
        case CLI_OPT_HELP: report_usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case R_STORAGE: url = v; break;
        case R_DIR: opt.out_dir = v; break;
        case R_LANG: lang = v; break;
        case R_EXPERIMENT: opt.experiment = v; break;
        case R_STUDY: opt.study = v; break;
        case R_BASELINE: opt.baseline = v; break;
        case R_GNUPLOT: opt.gnuplot = v; break;
        case R_PATHS: opt.paths_dir = v; break;
        case R_ONLY: opt.only = v; break;
        }
    }
    if (cli_operand_count(&p)) return cli_usage_error(&p, "unexpected argument '%s'", cli_operands(&p)[0]);
    if (opt.experiment && opt.study)
        return cli_usage_error(&p, "--experiment and --study-name: choose one (an experiment or one study)");
    if (opt.only && opt.study)
        return cli_usage_error(&p, "--only chooses studies of an experiment, not of --study-name's one study");
    if (opt.only && !*opt.only) return cli_usage_error(&p, "--only needs study names, comma-separated");
    if (!strcmp(lang, "en")) opt.lang = OL_REPORT_EN;
    else if (!strcmp(lang, "ko")) opt.lang = OL_REPORT_KO;
    else return cli_usage_error(&p, "--lang must be en or ko, not '%s'", lang);
    if (!*opt.out_dir) return cli_usage_error(&p, "--report-dir needs a directory name");
    ol_report_summary sum;
    ol_error err;
    ol_error_clear(&err);
    if (ol_report_write_url(url, &opt, &sum, &err) != OL_OK) return cli_error("%s", err.msg);
    if (sum.generic)
        printf("report of study '%s' (%s; not an optlab experiment: values in their own units): %d trials\n",
               sum.experiment, sum.maximize ? "maximize" : "minimize", sum.n_trials);
    else
        printf("report of experiment '%s' (repetition %d; %d repetition%s stored): %d optimizers, %d trials\n",
               sum.experiment, sum.repetition, sum.n_repetitions, sum.n_repetitions == 1 ? "" : "s",
               sum.n_optimizers, sum.n_trials);
    if (sum.others[0])
        printf("the storage also holds the experiment%s %s (choose one with --experiment NAME)\n",
               strchr(sum.others, ',') ? "s" : "", sum.others);
    printf("wrote %s and %d figures (PNG + SVG, with data and gnuplot scripts) in %s/figures\n", sum.readme_path,
           sum.n_figures, opt.out_dir);
    return 0;
}
