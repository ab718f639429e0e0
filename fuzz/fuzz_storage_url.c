/*
 * fuzz_storage_url.c — storage URLs (ol_storage_open_flags). The first byte's
 * low bit picks OL_STORAGE_OPEN_EXISTING or plain open; the rest is the URL.
 * A relative SQLite path is put under the harness's scratch directory; what
 * could reach outside it is left alone: absolute or ".." SQLite paths, and
 * postgresql:// URLs (they would connect to servers; tests/storage covers
 * them against a real one).
 * A storage that opens is listed and closed, and a file it made removed.
 */
#include <sys/stat.h>

#include "fuzz.h"
#include "optlab/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = fuzz_cstring(data + 1, size - 1);
    size_t n_url = strlen(text) + strlen(fuzz_dir()) + 2;
    char *url = malloc(n_url);
    if (!url) abort();
    if (!strncmp(text, "sqlite:///", 10) && text[10] && text[10] != '/')
        snprintf(url, n_url, "sqlite:///%s/%s", fuzz_dir(), text + 10);
    else
        snprintf(url, n_url, "%s", text);
    free(text);
    int flags = (data[0] & 1) ? OL_STORAGE_OPEN_EXISTING : 0;
    const char *path = !strncmp(url, "sqlite:///", 10) ? url + 10 : NULL;
    if (!strncmp(url, "postgres", 8) || (path && (strncmp(path, fuzz_dir(), strlen(fuzz_dir())) || strstr(path, "..")))) {
        free(url);
        return 0;
    }
    struct stat sb;
    int existed = path && stat(path, &sb) == 0;
    ol_storage *st = NULL;
    ol_error err = {0};
    if (ol_storage_open_flags(&st, url, flags, &err) == OL_OK) {
        ol_study_rec *studies = NULL;
        size_t n = 0;
        if (ol_storage_list_studies(st, &studies, &n, &err) == OL_OK) ol_studies_free(studies, n);
        ol_storage_close(st);
    } else if (!err.msg[0]) {
        abort();
    }
    if (path && !existed) {
        /* what SQLite made for a new file: the file and its journals */
        char side[600];
        unlink(path);
        snprintf(side, sizeof side, "%s-journal", path); unlink(side);
        snprintf(side, sizeof side, "%s-wal", path); unlink(side);
        snprintf(side, sizeof side, "%s-shm", path); unlink(side);
    }
    free(url);
    return 0;
}
