/* Status names and error messages: library code reports through these and never prints. */
#include "optlab/core.h"

#include <stdio.h>
#include <string.h>

const char *ol_status_name(ol_status st) {
    switch (st) {
    case OL_OK: return "ok";
    case OL_EINVAL: return "invalid value";
    case OL_ENOMEM: return "out of memory";
    case OL_EIO: return "I/O error";
    case OL_EFORMAT: return "bad format";
    case OL_ENOTFOUND: return "not found";
    case OL_ESTORAGE: return "storage error";
    case OL_EDIVERGED: return "diverged";
    case OL_ESTOPPED: return "stopped";
    case OL_EBUSY: return "busy";
    case OL_ESTATE: return "invalid state";
    }
    return "unknown status";
}

ol_status ol_vfail(ol_error *err, ol_status st, const char *fmt, va_list ap) {
    if (err) {
        err->status = st;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return st;
}

ol_status ol_fail(ol_error *err, ol_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ol_vfail(err, st, fmt, ap);
    va_end(ap);
    return st;
}

ol_status ol_error_prefix(ol_error *err, const char *fmt, ...) {
    if (!err) return OL_OK;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* truncation is acceptable here: the message is for people */
    size_t k = strlen(prefix);
    if (k > sizeof err->msg - 3) k = sizeof err->msg - 3;
    memcpy(err->msg, prefix, k);
    memcpy(err->msg + k, ": ", 2);
    size_t rest = sizeof err->msg - k - 3, n = strlen(old);
    if (n > rest) n = rest;
    memcpy(err->msg + k + 2, old, n);
    err->msg[k + 2 + n] = '\0';
    return err->status;
}

void ol_error_clear(ol_error *err) {
    if (!err) return;
    err->status = OL_OK;
    err->msg[0] = '\0';
}
