/*
 * options.c — the option parser of options.h: one getopt_long(3) loop shared
 * by every command, and the number parsers with range checks, so that a
 * missing value, an unknown option or "abc" for a number reads the same in
 * every command and always exits 2.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/core.h"
#include "cli.h"

#define CLI_MAX_OPTIONS 64
#define ID_BASE 256 /* getopt values of table entries: ID_BASE + index, clear of any short option */

static struct option long_opts[CLI_MAX_OPTIONS + 2];

/* the loaded library's version (include/optlab/version.h), the one place it is written */
const char *cli_version(void) { return ol_version(); }

void cli_begin(cli_parser *p, const char *cmd, int argc, char **argv, const cli_option *opts) {
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->opts = opts;
    size_t n = 0;
    for (; opts && opts[n].name && n < CLI_MAX_OPTIONS; n++)
        long_opts[n] = (struct option){opts[n].name, opts[n].has_value ? required_argument : no_argument, NULL,
                                       ID_BASE + (int)n};
    long_opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    long_opts[n] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* glibc: full re-initialisation, as if for a new argv */
    opterr = 0; /* messages are ours */
}

static void vreport(const char *cmd, const char *fmt, va_list ap) {
    fprintf(stderr, "optlab %s: ", cmd);
    vfprintf(stderr, fmt, ap);
}

int cli_usage_error(const cli_parser *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(p->cmd, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `optlab %s --help`)\n", p->cmd);
    return CLI_EXIT_USAGE;
}

int cli_next(cli_parser *p, const char **value) {
    *value = NULL;
    if (p->done) return CLI_OPT_END;
    int index = -1;
    /* leading ':' makes a missing value ':' instead of '?' */
    int c = getopt_long(p->argc, p->argv, ":h", long_opts, &index);
    const char *arg = optind > 0 && optind - 1 < p->argc ? p->argv[optind - 1] : "?";
    if (c == -1) {
        p->done = 1;
        return CLI_OPT_END;
    }
    if (c == 'h') return CLI_OPT_HELP;
    if (c == ':') {
        const char *name = optopt >= ID_BASE ? long_opts[optopt - ID_BASE].name : arg;
        cli_usage_error(p, "--%s needs a value", name);
        return CLI_OPT_ERROR;
    }
    if (c == '?') {
        if (optopt >= ID_BASE)
            cli_usage_error(p, "--%s takes no value ('%s')", long_opts[optopt - ID_BASE].name, arg);
        else if (optopt && optopt != '?')
            cli_usage_error(p, "unknown option '-%c'", optopt);
        else
            cli_usage_error(p, "unknown or ambiguous option '%s'", arg);
        return CLI_OPT_ERROR;
    }
    if (c < ID_BASE) {
        cli_usage_error(p, "unexpected option '%s'", arg);
        return CLI_OPT_ERROR;
    }
    p->used = long_opts[c - ID_BASE].name;
    *value = optarg;
    return p->opts[c - ID_BASE].id;
}

int cli_operand_count(const cli_parser *p) { return optind < p->argc ? p->argc - optind : 0; }

char **cli_operands(const cli_parser *p) { return p->argv + optind; }

int cli_parse_long(const cli_parser *p, const char *opt, const char *text, long long min, long long max,
                   long long *out) {
    char *end;
    errno = 0;
    long long v = text && *text ? strtoll(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < min || v > max)
        return cli_usage_error(p, "%s: '%s' is not a whole number from %lld to %lld", opt, text ? text : "", min,
                               max);
    *out = v;
    return 0;
}

int cli_parse_int(const cli_parser *p, const char *opt, const char *text, int min, int max, int *out) {
    long long v;
    int rc = cli_parse_long(p, opt, text, min, max, &v);
    if (!rc) *out = (int)v;
    return rc;
}

int cli_parse_u64(const cli_parser *p, const char *opt, const char *text, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = text && *text ? strtoull(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || text[0] == '-' || text[0] == '+')
        return cli_usage_error(p, "%s: '%s' is not a whole number from 0 to 18446744073709551615", opt,
                               text ? text : "");
    *out = v;
    return 0;
}

int cli_parse_double(const cli_parser *p, const char *opt, const char *text, double min, double max, double *out) {
    char *end;
    errno = 0;
    double v = text && *text ? strtod(text, &end) : 0;
    if (!text || !*text || *end || errno == ERANGE || !isfinite(v) || v < min || v > max)
        return cli_usage_error(p, "%s: '%s' is not a number from %g to %g", opt, text ? text : "", min, max);
    *out = v;
    return 0;
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    return 0;
}
