/*
 * driver.c — runs a libFuzzer harness without libFuzzer: every file named on
 * the command line (or every file in a directory named there) is read whole
 * and given once to LLVMFuzzerTestOneInput. `make test` links each harness
 * with this driver (gcc, ASan/UBSan in build-asan) to replay fuzz/corpus/ as
 * regression inputs; `make fuzz` links the same harnesses with libFuzzer.
 * Prints "HARNESS: N inputs" and exits 1 if a file cannot be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) { uint8_t *b = realloc(buf, cap *= 2); if (!b) { free(buf); buf = NULL; } else buf = b; }
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) { fprintf(stderr, "%s: cannot read\n", path); free(buf); return 1; }
    /* a copy of exactly n bytes, so ASan sees a read past the input's end */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); return 1; }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    int failed = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) { perror(argv[i]); failed = 1; continue; }
        if (!S_ISDIR(sb.st_mode)) { failed |= run_file(argv[i]); count++; continue; }
        DIR *d = opendir(argv[i]);
        if (!d) { perror(argv[i]); failed = 1; continue; }
        char **names = NULL; size_t nn = 0;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            char **b = realloc(names, (nn + 1) * sizeof *names);
            if (!b) break;
            names = b;
            size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
            names[nn] = malloc(len);
            if (names[nn]) snprintf(names[nn++], len, "%s/%s", argv[i], e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof *names, cmp);
        for (size_t k = 0; k < nn; k++) { failed |= run_file(names[k]); count++; free(names[k]); }
        free(names);
    }
    const char *slash = strrchr(argv[0], '/');
    fprintf(stderr, "%s: %d inputs\n", slash ? slash + 1 : argv[0], count);
    return failed;
}
