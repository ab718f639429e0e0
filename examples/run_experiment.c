/*
 * run_experiment.c — a program that runs a whole optlab experiment through
 * the library, as `optlab run --jobs 1` does without its processes and
 * terminal: two optimizers (SGD with momentum, Adam) x 3 trials of the seed
 * CNN on a small MNIST subset, stored in SQLite, then the report.
 *
 * Build against an installed optlab:
 *   cc run_experiment.c $(pkg-config --cflags --libs optlab) -o run_experiment
 * Run:
 *   ./run_experiment DATA_DIR STORAGE_FILE.db REPORT_DIR
 * DATA_DIR holds mnist/ (the four IDX files). Exit status 0 when all six
 * trials are stored and the report is written.
 */
#include <stdio.h>

#include <optlab/experiment.h>
#include <optlab/report.h>

static const char *EXPERIMENT =
    "[experiment]\n"
    "name = example\n"
    "dataset = mnist\n"
    "loss = reference\n"
    "train = 96\nvalid_epoch = 64\nvalid_trial = 64\ntest = 128\n"
    "batch_size = 32\npatience = 2\nmax_epochs = 2\n"
    "trials = 3\nsampler = tpe\nseed = 3\n"
    "[optimizer sgd]\nlearning_rate = log 1e-3 1e-1\nmomentum = 0.9\n"
    "[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n";

/* The worker loop's events: one line per finished trial. */
static void on_event(void *user, const ol_exp_event *ev) {
    int *done = user;
    if (ev->kind != OL_EXP_EVENT_TRIAL_DONE) return;
    (*done)++;
    printf("%s: trial %d %s %.4f (%s)\n", ev->study->name, ev->trial_number, ol_trial_state_name(ev->state),
           ev->value, ev->status);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: run_experiment DATA_DIR STORAGE_FILE.db REPORT_DIR\n");
        return 2;
    }
    char url[1100];
    snprintf(url, sizeof url, "sqlite:///%s", argv[2]);
    static ol_experiment exp;
    static ol_exp_runner runner;
    ol_storage *st = NULL;
    ol_error err;
    int done = 0, code = 1;
    if (ol_experiment_parse_string(&exp, EXPERIMENT, "example.ini", &err)) goto fail;
    ol_exp_runner_init(&runner, &exp, url, 0);
    runner.on_event = on_event;
    runner.user = &done;
    if (ol_exp_add_studies(&runner, 0, 1, NULL, &err) < 0 || ol_exp_load_splits(&runner, argv[1], &err) ||
        ol_storage_open(&st, url, &err) || ol_exp_prepare(&runner, st, OL_EXP_CREATE, NULL, &err) ||
        ol_exp_worker_run(&runner, &err))
        goto fail;
    ol_report_options ro = {.out_dir = argv[3], .experiment = exp.name};
    ol_report_summary sum;
    if (ol_report_write(st, &ro, &sum, &err)) goto fail;
    printf("%d trials; report: %s (%d figures)\n", done, sum.readme_path, sum.n_figures);
    code = done == 6 ? 0 : 1;
    goto out;
fail:
    fprintf(stderr, "run_experiment: %s\n", err.msg);
out:
    ol_storage_close(st);
    ol_exp_runner_free(&runner);
    ol_experiment_free(&exp);
    return code;
}
