/*
 * Where the optlab command finds the files it ships with (the experiment files,
 * scripts/fetch-mnist.sh) when run outside a source checkout: `make install`
 * puts them under DATADIR ($(PREFIX)/share/optlab), compiled in here as
 * OL_DATADIR, and the command also looks in ../share/optlab beside its own
 * executable (an installed tree that was moved, or staged with DESTDIR).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef OL_DATADIR
#define OL_DATADIR "/usr/local/share/optlab"
#endif

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int cli_exe_dir(char *dir, size_t size) {
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0) return -1;
    dir[n] = 0;
    char *slash = strrchr(dir, '/');
    if (!slash) return -1;
    *slash = 0;
    return 0;
}

const char *cli_data_path(const char *rel) {
    static char buf[PATH_MAX + 64];
    if (is_file(rel) || rel[0] == '/') return rel;
    /* beside the executable: BIN/../share/optlab/REL */
    char exe[PATH_MAX];
    if (cli_exe_dir(exe, sizeof exe) == 0 &&
        snprintf(buf, sizeof buf, "%s/../share/optlab/%s", exe, rel) < (int)sizeof buf && is_file(buf))
        return buf;
    if (snprintf(buf, sizeof buf, "%s/%s", OL_DATADIR, rel) < (int)sizeof buf && is_file(buf)) return buf;
    return rel;
}
