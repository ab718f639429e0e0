/*
 * cli_stub.c — what src/cli/main.c gives the subcommands, for harnesses that
 * call a subcommand directly (main.c itself has main(); cli_wants_help is in options.c). Messages are
 * formatted, as the real cli_error does, but not printed: a fuzzer would drown in them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

int cli_error(const char *fmt, ...) {
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return 1;
}

