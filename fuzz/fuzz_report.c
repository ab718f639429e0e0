/*
 * fuzz_report.c — the report reading a hostile database. The input is SQL run
 * (errors ignored, statement by statement) against a fresh optlab SQLite
 * storage, so it can insert trials, values, params and attributes with NULL,
 * NaN, ±inf, 1e308, unknown states, odd names and huge strings, or alter the
 * schema. Then ol_report_write_url reads it. gnuplot is replaced by a small
 * script that only creates the files a figure script names, so the report
 * runs to its end without drawing. A success must leave a README.md.
 */
#include <sqlite3.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "optlab/report.h"
#include "optlab/storage.h"

static char fake_gnuplot[512], db_path[512], out_dir[512];
/* an empty optlab storage, made once: each input starts from a copy */
static unsigned char *empty_db;
static size_t empty_db_size;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *dir = fuzz_dir();
    snprintf(fake_gnuplot, sizeof fake_gnuplot, "%s/gnuplot", dir);
    FILE *f = fopen(fake_gnuplot, "w");
    if (!f) abort();
    /* for every `load "NAME.gp"` of the script given (redraw-all.gp), NAME.png and NAME.svg of one line */
    fputs("#!/bin/sh\nsed -n 's/^load \"\\(.*\\)\\.gp\"$/\\1/p' \"$1\" | "
          "while IFS= read -r f; do echo x > \"$f.png\"; echo x > \"$f.svg\"; done\n", f);
    if (fclose(f) || chmod(fake_gnuplot, 0755)) abort();
    snprintf(db_path, sizeof db_path, "%s/report.db", dir);
    snprintf(out_dir, sizeof out_dir, "%s/report", dir);
    char url[600];
    snprintf(url, sizeof url, "sqlite:///%s", db_path);
    ol_storage *st = NULL;
    ol_error err = {0};
    if (ol_storage_open(&st, url, &err) != OL_OK) { fprintf(stderr, "%s\n", err.msg); abort(); }
    ol_storage_close(st);
    FILE *db = fopen(db_path, "rb");
    if (!db || fseek(db, 0, SEEK_END) || (long)(empty_db_size = (size_t)ftell(db)) <= 0) abort();
    rewind(db);
    empty_db = malloc(empty_db_size);
    if (!empty_db || fread(empty_db, 1, empty_db_size, db) != empty_db_size) abort();
    fclose(db);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *sql = fuzz_cstring(data, size);
    char url[600];
    snprintf(url, sizeof url, "sqlite:///%s", db_path);
    ol_error err = {0};
    fuzz_write_file("report.db", empty_db, empty_db_size);

    sqlite3 *db = NULL;
    if (sqlite3_open(db_path, &db) != SQLITE_OK) abort();
    /* no fsync per statement: the file is thrown away */
    sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY", NULL, NULL, NULL);
    /* run what parses, skip what does not, as a hand-edited file would be */
    const char *tail = sql;
    while (tail && *tail) {
        sqlite3_stmt *stmt = NULL;
        const char *next = NULL;
        if (sqlite3_prepare_v2(db, tail, -1, &stmt, &next) != SQLITE_OK) {
            const char *semi = strchr(tail, ';');
            tail = semi ? semi + 1 : NULL;
            continue;
        }
        if (stmt)
            for (int steps = 0; sqlite3_step(stmt) == SQLITE_ROW && steps < 1000; steps++) {}
        sqlite3_finalize(stmt);
        if (next == tail) break;
        tail = next;
    }
    sqlite3_close(db);

    ol_report_options opt;
    memset(&opt, 0, sizeof opt);
    opt.out_dir = out_dir;
    opt.gnuplot = fake_gnuplot;
    opt.lang = (size && (data[size - 1] & 1)) ? OL_REPORT_KO : OL_REPORT_EN;
    ol_report_summary sum;
    memset(&sum, 0, sizeof sum);
    if (ol_report_write_url(url, &opt, &sum, &err) == OL_OK) {
        struct stat sb;
        char readme[700];
        snprintf(readme, sizeof readme, "%s/README.md", out_dir);
        if (stat(readme, &sb) != 0) { fprintf(stderr, "report succeeded without %s\n", readme); abort(); }
    } else if (!err.msg[0]) {
        abort();
    }
    if (getenv("OPTLAB_FUZZ_VERBOSE")) fprintf(stderr, "report: %s\n", err.msg[0] ? err.msg : "written");
    free(sql);
    return 0;
}
