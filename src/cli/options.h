/*
 * options.h — the one option parser every optlab command uses, a thin layer
 * over getopt_long(3) so that all commands follow DESIGN.md's grammar:
 *
 *   --opt value  and  --opt=value  both work; options and operands may mix;
 *   "--" ends the options; -h/--help is always there;
 *   a missing value, an unknown option or a bad number is a usage error:
 *   "optlab CMD: ..." on stderr and exit status 2 (failures later exit 1).
 *
 * A command lists its options once in a table of cli_option (long name, whether
 * it takes a value, an id, and optionally the old name it replaces), then loops
 * over cli_next(). Numbers go through cli_parse_long / cli_parse_u64 /
 * cli_parse_double, which check the range and name the option at fault.
 */
#ifndef OPTLAB_CLI_OPTIONS_H
#define OPTLAB_CLI_OPTIONS_H

#include <stdint.h>

/** Exit statuses of every command (DESIGN.md): 0 done, 1 failed, 2 usage error. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/** What cli_next returns besides an option id. */
enum {
    CLI_OPT_END = -1,   /**< no more options; operands are at argv[cli_operand_index()..] */
    CLI_OPT_ERROR = -2, /**< usage error, already printed; the command returns CLI_EXIT_USAGE */
    CLI_OPT_HELP = -3   /**< -h or --help: print usage to stdout, return 0 */
};

/** One long option of a command. A table ends with a {NULL} entry. */
typedef struct {
    const char *name; /**< without the leading "--" */
    int has_value;    /**< 1: takes a value (--name V or --name=V); 0: a flag */
    int id;           /**< what cli_next returns for it (>= 0); aliases share their option's id */
} cli_option;

/** Parser state of one command's argv (one at a time per process). */
typedef struct {
    const char *cmd;        /**< the command's name, for messages */
    int argc;
    char **argv;            /**< argv[0] is the command name */
    const cli_option *opts;
    const char *used;       /**< the spelling of the last option returned ("--study-name") */
    int done;
} cli_parser;

/**
 * Start parsing argv (argv[0] = command name) with the options in `opts`.
 * Options may come before, between or after operands (getopt_long permutes).
 */
void cli_begin(cli_parser *p, const char *cmd, int argc, char **argv, const cli_option *opts);

/**
 * The next option: its id (value in *value, NULL for a flag), CLI_OPT_END,
 * CLI_OPT_HELP, or CLI_OPT_ERROR after printing "optlab CMD: ..." (unknown
 * option, missing value, value given to a flag).
 */
int cli_next(cli_parser *p, const char **value);

/** After CLI_OPT_END: the operands (non-option arguments), in order. */
int cli_operand_count(const cli_parser *p);
char **cli_operands(const cli_parser *p);

/**
 * Print "optlab CMD: <msg> (see `optlab CMD --help`)" on stderr and return
 * CLI_EXIT_USAGE: for arguments that are wrong as typed.
 */
int cli_usage_error(const cli_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * A whole number in [min, max] from the value of option `opt` ("--seeds").
 * Returns 0, or prints a usage error naming the option and returns
 * CLI_EXIT_USAGE.
 */
int cli_parse_long(const cli_parser *p, const char *opt, const char *text, long long min, long long max,
                   long long *out);
/** cli_parse_long into an int. */
int cli_parse_int(const cli_parser *p, const char *opt, const char *text, int min, int max, int *out);
/** A whole number in [0, 2^64) (seeds). Same contract as cli_parse_long. */
int cli_parse_u64(const cli_parser *p, const char *opt, const char *text, uint64_t *out);
/** A finite number in [min, max]. Same contract as cli_parse_long. */
int cli_parse_double(const cli_parser *p, const char *opt, const char *text, double min, double max, double *out);

/** The version of this optlab ("0.1.0"), from the Makefile's VERSION. */
const char *cli_version(void);

#endif
