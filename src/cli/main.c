/*
 * main.c — `optlab`: dispatches to a subcommand. Each subcommand has its own
 * file and its own --help. Also the small helpers of cli.h the subcommands share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "options.h"

/* The command being run, for the "optlab CMD:" prefix of messages. */
static const char *current_command;

static const cli_command commands[] = {
    /* CLI-COMMANDS: one line per subcommand, kept in the order --help shows them */
    {"train", "train one model with one optimizer (early stopping; valid-trial and test accuracy)", cmd_train},
    {"optimizers", "list the optimizers, or show one with its hyperparameters and equations", cmd_optimizers},
    {"replay", "replay a torch.optim trajectory file through optlab's optimizer", cmd_replay},
    {"studies", "list the studies in a storage (name, direction, trials, best value)", cmd_studies},
    {"trials", "list the trials of a study (state, value, params, test accuracy, status)", cmd_trials},
    {"run", "run an experiment file (default experiments/seed.ini): studies, workers, resume, table, report", cmd_run},
    {"ask", "start a trial of a study and print its suggested params as JSON (tune any program)", cmd_ask},
    {"tell", "record the value (or failure) of a trial started by `optlab ask`", cmd_tell},
    {"hpo-bench", "random vs TPE sampling on test functions (regret, ask time)", cmd_hpo_bench},
    {"paths", "every optimizer's path on 2-D test surfaces, learning rates tuned by TPE (figures, table)", cmd_paths},
    {"report", "write an experiment's results (README.md, PNG/SVG figures) from storage alone", cmd_report},
    {"version", "print optlab's version (also `optlab --version`)", cmd_version},
    {"worker", "join an experiment's studies in a shared storage and run trials (many machines, one PostgreSQL)", cmd_worker},
    {"serve", "a live, read-only web view of a storage's studies (charts, trial table)", cmd_serve},
    {NULL, NULL, NULL},
};

int cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    /* "optlab CMD: msg"; a message that already starts with "CMD: " keeps one prefix */
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *text = msg;
    size_t n = current_command ? strlen(current_command) : 0;
    if (n && !strncmp(text, current_command, n) && text[n] == ':' && text[n + 1] == ' ') text += n + 2;
    if (n) fprintf(stderr, "optlab %s: %s", current_command, text);
    else fprintf(stderr, "optlab: %s", text);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int cli_open_existing_storage(const char *url, ol_storage **st) {
    ol_error err = {0};
    ol_status rc = ol_storage_open_flags(st, url, OL_STORAGE_OPEN_EXISTING, &err);
    if (rc == OL_ENOTFOUND) return cli_error("%s; run a study first or pass --storage URL", err.msg);
    if (rc != OL_OK) return cli_error("%s", err.msg);
    return 0;
}

int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("optlab %s\n", cli_version());
    return 0;
}

static void usage(FILE *out) {
    fputs("usage: optlab COMMAND [ARGS...]\n\n"
          "Which optimizer, with which hyperparameters, is best for a model and data:\n"
          "optimizers in C, a small CNN trained on MNIST, TPE search, Optuna-compatible storage.\n\n"
          "commands:\n",
          out);
    for (const cli_command *c = commands; c->name; c++) fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fputs("\n`optlab COMMAND --help` describes one command; `optlab --version` prints the version.\n"
          "Every command: --opt VALUE or --opt=VALUE, usage errors exit 2, failures exit 1.\n",
          out);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) return cmd_version(argc - 1, argv + 1);
    for (const cli_command *c = commands; c->name; c++)
        if (!strcmp(c->name, argv[1])) {
            current_command = c->name;
            return c->run(argc - 1, argv + 1);
        }
    cli_error("unknown command '%s' (see `optlab --help`)", argv[1]);
    return 2;
}
