/*
 * cli.h — the optlab command's subcommands. Each lives in its own
 * src/cli/cmd_<name>.c and is listed once in the table in main.c.
 * Only this layer prints or exits.
 */
#ifndef OPTLAB_CLI_H
#define OPTLAB_CLI_H

#include <stdio.h>

#include "optlab/storage.h"

/** A subcommand: `optlab NAME ARGS...`; returns the process exit status. */
typedef struct {
    const char *name;
    const char *summary; /**< one line for `optlab --help` */
    int (*run)(int argc, char **argv); /**< argv[0] is the subcommand name */
} cli_command;

/**
 * Print "optlab CMD: <msg>" to stderr (CMD: the command being run; a message
 * already starting with "CMD: " is not prefixed twice); returns 1, the exit
 * status for failures. Usage errors use cli_usage_error (options.h), exit 2.
 */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Does argv hold -h or --help? */
int cli_wants_help(int argc, char **argv);

/**
 * Open a storage to read what it holds (studies, trials). A SQLite file that
 * is not there is an error here, since opening would create an empty one,
 * which helps nobody. Returns 0, or prints the error and returns 1.
 */
int cli_open_existing_storage(const char *url, ol_storage **st);

/**
 * A file the optlab command ships with, by its path in the source tree
 * (e.g. "experiments/seed.ini"): that path if it exists from the current
 * directory, else the installed copy under share/optlab (datadir.c), else
 * `rel` unchanged (so that an error names it).
 */
const char *cli_data_path(const char *rel);
/** The directory of the running optlab executable into dir (size bytes); 0, or -1 if unknown. */
int cli_exe_dir(char *dir, size_t size);

int cmd_optimizers(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_studies(int argc, char **argv);
int cmd_trials(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_tell(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_paths(int argc, char **argv);
int cmd_hpo_bench(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
