/*
 * idx.c — reading and writing IDX files (the format MNIST ships in), raw or
 * gzip-compressed. The reader trusts nothing: the magic, every dimension and
 * the exact data size are checked before the data is used, and each failure
 * says which file is wrong, how, and how to get a good copy. Datasets
 * (dataset.c) are built on top of this.
 *
 * IDX layout: two zero bytes, a type code (0x08 = unsigned byte, the only one
 * MNIST uses), the number of dimensions, then each dimension as a big-endian
 * uint32, then the data in row-major order.
 */
#include "optlab/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* Decompressed IDX files larger than this are refused rather than allocated:
 * a damaged header must not make us ask for terabytes. MNIST is 47 MB. */
#define IDX_MAX_BYTES ((uint64_t)1 << 32)

#define REFETCH_HINT "delete it and fetch it again (for MNIST: `make data` or scripts/fetch-mnist.sh data/mnist)"

static uint32_t read_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* A byte source: a plain FILE or a gzip stream. */
typedef struct {
    FILE *file;
    gzFile gz;
} source;

/* Read up to n bytes; returns the count read, or -1 on a gzip decoding error. */
static long source_read(source *s, void *buf, size_t n) {
    if (s->file) return (long)fread(buf, 1, n, s->file);
    size_t done = 0;
    while (done < n) {
        /* gzread takes an unsigned int count: read in chunks of at most 1 GiB. */
        size_t chunk = n - done > (1u << 30) ? (1u << 30) : n - done;
        int got = gzread(s->gz, (uint8_t *)buf + done, (unsigned)chunk);
        if (got < 0) return -1;
        if (got == 0) break;
        done += (size_t)got;
    }
    return (long)done;
}

/* Describe why a gzip stream stopped early: corrupt data or a cut-off file. */
static ol_status gzip_failure(source *s, const char *path, const char *what, ol_error *err) {
    int code = Z_OK;
    const char *msg = gzerror(s->gz, &code);
    if (code == Z_DATA_ERROR || code == Z_STREAM_ERROR || code == Z_ERRNO)
        return ol_fail(err, OL_EFORMAT, "%s: corrupt gzip data while reading %s (zlib: %s); %s",
                       path, what, msg ? msg : "?", REFETCH_HINT);
    return ol_fail(err, OL_EFORMAT,
                   "%s: the gzip stream ends early while reading %s (truncated download?); %s",
                   path, what, REFETCH_HINT);
}

const char *ol_idx_file_kind(unsigned mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISLNK(mode)) return "a symbolic link";
    return S_ISREG(mode) ? "a regular file" : "not a regular file";
}

ol_status ol_idx_read(const char *path, ol_idx *out, ol_error *err) {
    memset(out, 0, sizeof *out);
    if (!path || !*path) return ol_fail(err, OL_EINVAL, "IDX file: empty path");

    /* what is there, before opening it: fopen would block on a FIFO */
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT) return ol_fail(err, OL_ENOTFOUND, "%s: no such file", path);
        if (e == ELOOP) return ol_fail(err, OL_EIO, "%s: a loop of symbolic links, not an IDX file", path);
        return ol_fail(err, OL_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return ol_fail(err, OL_EIO, "%s: is %s, not an IDX file", path, ol_idx_file_kind(st.st_mode));
    FILE *f = fopen(path, "rb");
    if (!f) return ol_fail(err, OL_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ol_fail(err, OL_EIO, "%s: not a regular file", path);
    }
    uint8_t first[2] = {0, 0};
    size_t nfirst = fread(first, 1, 2, f);
    int is_gzip = nfirst == 2 && first[0] == 0x1f && first[1] == 0x8b;
    source src = {NULL, NULL};
    if (is_gzip) {
        fclose(f);
        src.gz = gzopen(path, "rb");
        if (!src.gz) return ol_fail(err, OL_EIO, "%s: cannot open as gzip: %s", path, strerror(errno));
        gzbuffer(src.gz, 1 << 17);
    } else {
        rewind(f);
        src.file = f;
    }
    const char *kind = is_gzip ? "gzip-compressed IDX file" : "IDX file";
    ol_status rc = OL_OK;

    uint8_t head[4 + 4 * OL_IDX_MAX_DIMS];
    long got = source_read(&src, head, 4);
    if (got < 0) {
        rc = gzip_failure(&src, path, "the IDX header", err);
        goto done;
    }
    if (got < 4) {
        rc = ol_fail(err, OL_EFORMAT, "%s: truncated: %ld bytes, too short for an IDX header; %s", path,
                     got, REFETCH_HINT);
        goto done;
    }
    if (head[0] != 0 || head[1] != 0) {
        rc = ol_fail(err, OL_EFORMAT,
                     "%s: wrong magic %02x %02x %02x %02x: not an IDX file (IDX starts with two zero "
                     "bytes; is this the right file?); %s",
                     path, head[0], head[1], head[2], head[3], REFETCH_HINT);
        goto done;
    }
    if (head[2] != 0x08) {
        rc = ol_fail(err, OL_EFORMAT,
                     "%s: IDX data type 0x%02x is not supported (only 0x08, unsigned byte, as MNIST uses)",
                     path, head[2]);
        goto done;
    }
    int ndims = head[3];
    if (ndims < 1 || ndims > OL_IDX_MAX_DIMS) {
        rc = ol_fail(err, OL_EFORMAT, "%s: wrong magic: IDX header declares %d dimensions (expected 1 to %d); %s",
                     path, ndims, OL_IDX_MAX_DIMS, REFETCH_HINT);
        goto done;
    }
    got = source_read(&src, head + 4, 4 * (size_t)ndims);
    if (got < 0) {
        rc = gzip_failure(&src, path, "the IDX dimensions", err);
        goto done;
    }
    if (got < 4 * ndims) {
        rc = ol_fail(err, OL_EFORMAT, "%s: truncated inside the IDX header (%d dimensions declared); %s",
                     path, ndims, REFETCH_HINT);
        goto done;
    }
    uint64_t total = 1;
    for (int i = 0; i < ndims; i++) {
        out->dims[i] = read_be32(head + 4 + 4 * i);
        if (out->dims[i] == 0) {
            rc = ol_fail(err, OL_EFORMAT, "%s: dimension %d is 0 in the IDX header; %s", path, i, REFETCH_HINT);
            goto done;
        }
        total *= out->dims[i];
        if (total > IDX_MAX_BYTES) {
            rc = ol_fail(err, OL_EFORMAT,
                         "%s: IDX header dimensions imply more than %llu bytes; the header is damaged; %s",
                         path, (unsigned long long)IDX_MAX_BYTES, REFETCH_HINT);
            goto done;
        }
    }
    out->ndims = ndims;
    out->size = (size_t)total;
    uint64_t header_bytes = 4 + 4 * (uint64_t)ndims;

    /* For a raw file the size on disk must match exactly: check before allocating. */
    if (!is_gzip) {
        uint64_t expected = header_bytes + total;
        uint64_t actual = (uint64_t)st.st_size;
        if (actual != expected) {
            char dims_text[96] = "";
            size_t off = 0;
            for (int i = 0; i < ndims; i++)
                off += (size_t)snprintf(dims_text + off, sizeof dims_text - off, "%s%u", i ? "x" : "",
                                        out->dims[i]);
            /* whole items missing is a cut-off file; a size no whole number of items fits is a
               header whose item dimensions do not match the data */
            uint64_t item = total / out->dims[0], data = actual > header_bytes ? actual - header_bytes : 0;
            const char *what = actual > expected ? (data % item == 0 ? "trailing bytes after the data"
                                                                     : "trailing bytes after the data, not a whole "
                                                                       "number of items: do the header's dimensions "
                                                                       "match the data?")
                               : data % item == 0 ? "truncated (whole items missing)"
                                                  : "truncated mid-item, or the header's dimensions do not match "
                                                    "the data (its size is not a whole number of items)";
            rc = ol_fail(err, OL_EFORMAT,
                         "%s: wrong size: %s: the header declares %s = %llu data bytes, so the file should "
                         "be %llu bytes, but it is %llu; %s",
                         path, what, dims_text, (unsigned long long)total, (unsigned long long)expected,
                         (unsigned long long)actual, REFETCH_HINT);
            goto done;
        }
    }

    if (is_gzip) {
        /* A .gz may declare up to 4 GB in a few bytes: grow the buffer as data arrives
           (doubling from 1 MiB), never past what the header implies. */
        size_t cap = out->size < ((size_t)1 << 20) ? out->size : ((size_t)1 << 20), have = 0;
        out->data = malloc(cap);
        got = 0;
        while (out->data) {
            long n = source_read(&src, out->data + have, cap - have);
            if (n < 0) { got = -1; break; }
            have += (size_t)n;
            got = (long)have;
            if (have < cap || cap == out->size) break; /* the stream ended, or all that was declared came */
            size_t next = cap * 2 < out->size ? cap * 2 : out->size;
            uint8_t *grown = realloc(out->data, next);
            if (!grown) { free(out->data); out->data = NULL; break; }
            out->data = grown;
            cap = next;
        }
    } else {
        out->data = malloc(out->size);
        if (out->data) got = source_read(&src, out->data, out->size);
    }
    if (!out->data) {
        rc = ol_fail(err, OL_ENOMEM, "%s: cannot allocate %zu bytes for the IDX data", path, out->size);
        goto done;
    }
    if (got < 0) {
        rc = gzip_failure(&src, path, "the IDX data", err);
        goto done;
    }
    if ((size_t)got < out->size) {
        if (is_gzip) {
            int code = Z_OK;
            gzerror(src.gz, &code);
            if (code != Z_OK && code != Z_BUF_ERROR) {
                rc = gzip_failure(&src, path, "the IDX data", err);
                goto done;
            }
        }
        rc = ol_fail(err, OL_EFORMAT,
                     "%s: wrong size: truncated %s: the header declares %zu data bytes but only %ld follow; %s",
                     path, kind, out->size, got, REFETCH_HINT);
        goto done;
    }
    if (is_gzip) {
        uint8_t extra;
        long more = source_read(&src, &extra, 1);
        if (more < 0) {
            rc = gzip_failure(&src, path, "past the IDX data", err);
            goto done;
        }
        if (more > 0) {
            rc = ol_fail(err, OL_EFORMAT,
                         "%s: wrong size: trailing bytes after the %zu data bytes the header declares "
                         "(decompressed); %s",
                         path, out->size, REFETCH_HINT);
            goto done;
        }
    } else if (ferror(src.file)) {
        rc = ol_fail(err, OL_EIO, "%s: read error: %s", path, strerror(errno));
        goto done;
    }

done:
    if (src.file) fclose(src.file);
    if (src.gz) gzclose(src.gz);
    if (rc != OL_OK) ol_idx_free(out);
    return rc;
}

ol_status ol_idx_write(const char *path, int ndims, const uint32_t *dims, const uint8_t *data, int gzip,
                       ol_error *err) {
    if (ndims < 1 || ndims > OL_IDX_MAX_DIMS)
        return ol_fail(err, OL_EINVAL, "%s: cannot write %d dimensions (1 to %d)", path, ndims, OL_IDX_MAX_DIMS);
    uint8_t head[4 + 4 * OL_IDX_MAX_DIMS] = {0, 0, 0x08, (uint8_t)ndims};
    size_t total = 1;
    for (int i = 0; i < ndims; i++) {
        uint8_t *p = head + 4 + 4 * i;
        p[0] = (uint8_t)(dims[i] >> 24);
        p[1] = (uint8_t)(dims[i] >> 16);
        p[2] = (uint8_t)(dims[i] >> 8);
        p[3] = (uint8_t)dims[i];
        total *= dims[i];
    }
    size_t head_n = 4 + 4 * (size_t)ndims;
    if (gzip) {
        gzFile gz = gzopen(path, "wb");
        if (!gz) return ol_fail(err, OL_EIO, "%s: cannot create: %s", path, strerror(errno));
        int ok = gzwrite(gz, head, (unsigned)head_n) == (int)head_n;
        for (size_t off = 0; ok && off < total;) {
            size_t chunk = total - off > (1u << 30) ? (1u << 30) : total - off;
            ok = gzwrite(gz, data + off, (unsigned)chunk) == (int)chunk;
            off += chunk;
        }
        if (gzclose(gz) != Z_OK) ok = 0;
        if (!ok) return ol_fail(err, OL_EIO, "%s: write failed", path);
        return OL_OK;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return ol_fail(err, OL_EIO, "%s: cannot create: %s", path, strerror(errno));
    int ok = fwrite(head, 1, head_n, f) == head_n && fwrite(data, 1, total, f) == total;
    if (fclose(f) != 0) ok = 0;
    if (!ok) return ol_fail(err, OL_EIO, "%s: write failed", path);
    return OL_OK;
}

void ol_idx_free(ol_idx *idx) {
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
