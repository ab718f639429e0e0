/*
 * cmd_paths.c — `optlab paths`: the seed note's section 2 computed. The work
 * is the paths layer's (ol_paths_write); this file parses the options, shows
 * progress (one line per surface and optimizer, a bar on a terminal) and says
 * what was written.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "progress.h"
#include "optlab/paths.h"

static void paths_usage(FILE *out) {
    fputs("usage: optlab paths [--out DIR] [--surface LIST] [--optimizers LIST] [--budget N]\n"
          "                    [--steps N] [--noise SIGMA] [--seed N] [--gnuplot PROGRAM] [--quiet]\n\n"
          "Run every optimizer on 2-D test surfaces (ravine: an ill-conditioned quadratic;\n"
          "rosenbrock; beale; saddle: a saddle point between two wells; rastrigin), each\n"
          "optimizer's learning rate tuned per surface by a small TPE study, and draw the paths\n"
          "on the surfaces' contour plots. Writes DIR/README.md (a table per surface: tuned\n"
          "learning rate, steps to within 1e-3 of the minimum and final distance, with exact\n"
          "gradients and with Gaussian gradient noise), DIR/paths.tsv and DIR/figures/ (PNG and\n"
          "SVG beside their .dat and .gp): surface-S (the seed note's optimizers on one plot),\n"
          "surface-S-all (one panel per optimizer) and optimizer-O (one panel per surface).\n\n"
          "  --out DIR           output directory (default paths); built beside it and swapped in\n"
          "                      whole; DIR must be absent, empty or an earlier paths output\n"
          "  --surface LIST      comma-separated surfaces, or all (default all)\n"
          "  --optimizers LIST   comma-separated optimizers (`optlab optimizers`, and lbfgs), or all\n"
          "                      (default all: the registry and L-BFGS)\n"
          "  --budget N          TPE trials per surface and optimizer to tune the learning rate\n"
          "                      (default 30), searched on a log scale over the optimizer's\n"
          "                      default times 10^-3 .. 10^3\n"
          "  --steps N           steps per path (default 1000)\n"
          "  --noise SIGMA       standard deviation of the Gaussian noise added to each gradient\n"
          "                      component in the noisy runs (default 0.1; 0: no noisy run)\n"
          "  --seed N            seed of the TPE studies and of the noise (default 20250228)\n"
          "  --gnuplot PROGRAM   gnuplot to run (default $OPTLAB_GNUPLOT or gnuplot)\n"
          "  --quiet             print nothing but errors\n\n"
          "`optlab report --paths DIR` adds DIR's results to a report as its \"optimizers\" section.\n"
          "Docs: docs/paths.md\n",
          out);
}

enum { P_OUT, P_SURFACE, P_OPTIMIZERS, P_BUDGET, P_STEPS, P_NOISE, P_SEED, P_GNUPLOT, P_QUIET };

static void on_progress(void *user, int done, int total, const char *surface, const char *optimizer, double lr,
                        int steps_to, double final_distance) {
    cli_progress *p = user;
    char line[256], reach[64];
    if (steps_to >= 0) snprintf(reach, sizeof reach, "within 1e-3 at step %d", steps_to);
    else if (final_distance != final_distance) snprintf(reach, sizeof reach, "diverged");
    else snprintf(reach, sizeof reach, "final distance %.2g", final_distance);
    snprintf(line, sizeof line, "%-10s %-10s lr %-10.3g %s", surface, optimizer, lr, reach);
    cli_progress_line(p, line);
    cli_progress_bar(p, done, total, "", 1);
}

int cmd_paths(int argc, char **argv) {
    static const cli_option opts[] = {{"out", 1, P_OUT},         {"surface", 1, P_SURFACE},
                                      {"surfaces", 1, P_SURFACE}, {"optimizers", 1, P_OPTIMIZERS},
                                      {"optimizer", 1, P_OPTIMIZERS}, {"budget", 1, P_BUDGET},
                                      {"steps", 1, P_STEPS},     {"noise", 1, P_NOISE},
                                      {"seed", 1, P_SEED},       {"gnuplot", 1, P_GNUPLOT},
                                      {"quiet", 0, P_QUIET},     {NULL, 0, 0}};
    ol_paths_options o = ol_paths_defaults();
    int quiet = 0;
    const char *v;
    cli_parser p;
    cli_begin(&p, "paths", argc, argv, opts);
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        switch (c) {
        case CLI_OPT_HELP: paths_usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case P_OUT: o.out_dir = v; break;
        case P_SURFACE: o.surfaces = v; break;
        case P_OPTIMIZERS: o.optimizers = v; break;
        case P_BUDGET:
            if (cli_parse_int(&p, "--budget", v, 1, 10000, &o.budget)) return CLI_EXIT_USAGE;
            break;
        case P_STEPS:
            if (cli_parse_int(&p, "--steps", v, 1, 1000000, &o.steps)) return CLI_EXIT_USAGE;
            break;
        case P_NOISE:
            if (cli_parse_double(&p, "--noise", v, 0, 1e6, &o.noise)) return CLI_EXIT_USAGE;
            break;
        case P_SEED:
            if (cli_parse_u64(&p, "--seed", v, &o.seed)) return CLI_EXIT_USAGE;
            break;
        case P_GNUPLOT: o.gnuplot = v; break;
        case P_QUIET: quiet = 1; break;
        }
    }
    if (cli_operand_count(&p)) return cli_usage_error(&p, "unexpected argument '%s'", cli_operands(&p)[0]);
    cli_progress prog;
    cli_progress_start(&prog, stderr, "paths", quiet);
    o.progress = on_progress;
    o.user = &prog;
    ol_paths_summary sum;
    ol_error err = {0};
    ol_status rc = ol_paths_write(&o, &sum, &err);
    cli_progress_end(&prog);
    if (rc) return cli_error("%s", err.msg);
    if (!quiet)
        printf("paths: %d surfaces x %d optimizers, learning rates tuned by TPE with a budget of %d trials each "
               "(%ld trials), %d steps, gradient noise %g, seed %llu: %.1f s; %d figures (PNG + SVG) in %.1f s\n"
               "wrote %s/README.md, %s/paths.tsv and %s/figures/\n",
               sum.n_surfaces, sum.n_optimizers, o.budget, sum.trials, o.steps, o.noise,
               (unsigned long long)o.seed, sum.seconds, sum.n_figures, sum.draw_seconds, o.out_dir, o.out_dir,
               o.out_dir);
    return 0;
}
