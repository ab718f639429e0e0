/*
 * server.c — the HTTP side of `optlab serve` (libmicrohttpd).
 *
 * Why libmicrohttpd: it is in Debian, maintained by GNU, written for being
 * embedded in C programs, and bounds what a client can make the server hold
 * (a per-connection memory limit covers the request line and headers, a
 * connection limit, an idle timeout). Its internal threads poll their sockets
 * without blocking, so a slow or malicious client occupies a connection slot,
 * never a thread.
 *
 * Routes (GET and HEAD only; nothing writes to storage):
 *   /                 index.html: every study (overview)
 *   /study            study.html: one study (?name=...), its charts and trials
 *   /assets/NAME      a page asset, read once at start from the assets directory
 *   /api/studies      ol_serve_studies_json
 *   /api/study        ol_serve_study_json (?name=S[&after=ID&ids=1,2,3])
 *   /experiment       experiment.html: one experiment (?name=...), the report's comparison and verdict
 *   /api/experiment   ol_serve_experiment_vs_json (?name=E, &baseline=B to compare with experiment B; a B that
 *                     cannot be compared with gives E alone, with "baseline_error" saying why)
 *   /api/report       the experiment's report README.md (?name=E), written by ol_report_write into a
 *                     temporary directory (removed after) and sent as a download; one at a time
 *                     (another request meanwhile gets 503 at once)
 * Anything else is 404. Asset names are matched against the files loaded at
 * start (letters, digits, '.', '-', '_', no leading dot), so no request can
 * name a path outside the assets directory.
 *
 * Storage: a handle is not thread-safe, so each request thread opens its own
 * on first use (a thread-specific key closes it when the thread ends). A
 * failing read closes the handle so the next request reconnects: a storage
 * that went away mid-serve gives 503 with the message, then recovers.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "optlab/report.h"
#include "optlab/serve.h"
#include "serve_internal.h"

#define MAX_ASSETS 64
#define MAX_ASSET_BYTES (16u << 20)
#define MAX_IDS 100000

typedef struct {
    char name[128];
    char *data;
    size_t size;
    const char *type;
} asset;

struct ol_server {
    struct MHD_Daemon *daemon;
    int listen_fd;
    int port;
    char *storage_url;
    pthread_key_t storage_key;
    serve_cache *cache; /* the overview's per-study summaries */
    double stale_seconds;
    pthread_mutex_t report_lock; /* held while a report is written (it runs gnuplot): one at a time */
    int key_made;
    asset assets[MAX_ASSETS];
    size_t n_assets;
};

static void close_storage(void *p) { ol_storage_close(p); }

static const char *content_type(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".json")) return "application/json";
    return "application/octet-stream";
}

static int asset_name_ok(const char *name) {
    if (!*name || *name == '.' || strlen(name) >= sizeof ((asset *)0)->name) return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '-' || *c == '_'))
            return 0;
    return 1;
}

static ol_status load_assets(ol_server *srv, const char *dir, ol_error *err) {
    DIR *d = opendir(dir);
    if (!d) return ol_fail(err, OL_ENOTFOUND, "serve: page assets directory %s: %s", dir, strerror(errno));
    struct dirent *e;
    ol_status rc = OL_OK;
    while (rc == OL_OK && (e = readdir(d))) {
        if (!asset_name_ok(e->d_name)) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (srv->n_assets == MAX_ASSETS || sb.st_size > MAX_ASSET_BYTES) {
            rc = ol_fail(err, OL_EINVAL, "serve: %s: too many or too large page assets", path);
            break;
        }
        FILE *f = fopen(path, "rb");
        asset *a = &srv->assets[srv->n_assets];
        a->data = malloc((size_t)sb.st_size + 1);
        if (!f || !a->data || fread(a->data, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
            rc = ol_fail(err, OL_EIO, "serve: cannot read page asset %s", path);
            free(a->data);
            a->data = NULL;
        } else {
            memcpy(a->name, e->d_name, strlen(e->d_name) + 1); /* asset_name_ok bounded its length */
            a->size = (size_t)sb.st_size;
            a->type = content_type(a->name);
            srv->n_assets++;
        }
        if (f) fclose(f);
    }
    closedir(d);
    return rc;
}

static const asset *find_asset(const ol_server *srv, const char *name) {
    if (!asset_name_ok(name)) return NULL;
    for (size_t i = 0; i < srv->n_assets; i++)
        if (!strcmp(srv->assets[i].name, name)) return &srv->assets[i];
    return NULL;
}

static enum MHD_Result send_buffer(struct MHD_Connection *c, unsigned status, const char *type, void *data,
                                   size_t size, enum MHD_ResponseMemoryMode mode, int no_store) {
    struct MHD_Response *r = MHD_create_response_from_buffer(size, data, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                            "object-src 'none'; frame-ancestors 'none'");
    if (no_store) MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text) {
    return send_buffer(c, status, "text/plain; charset=utf-8", (void *)text, strlen(text), MHD_RESPMEM_PERSISTENT, 1);
}

/* {"error": msg} with the status the storage's failure maps to */
static enum MHD_Result send_error_json(struct MHD_Connection *c, ol_status st, const char *msg) {
    char *text = NULL;
    size_t len = strlen(msg) * 6 + 32;
    text = malloc(len);
    if (!text) return MHD_NO;
    size_t k = (size_t)snprintf(text, len, "{\"error\":\"");
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p == '"' || *p == '\\') k += (size_t)snprintf(text + k, len - k, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
            k += (size_t)snprintf(text + k, len - k, "\\u%04x", *p);
        else text[k++] = (char)*p;
    }
    snprintf(text + k, len - k, "\"}");
    unsigned status = st == OL_ENOTFOUND ? MHD_HTTP_NOT_FOUND : st == OL_EINVAL ? MHD_HTTP_BAD_REQUEST
                                                                                 : MHD_HTTP_SERVICE_UNAVAILABLE;
    return send_buffer(c, status, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE, 1);
}

static ol_storage *thread_storage(ol_server *srv, ol_error *err) {
    ol_storage *st = pthread_getspecific(srv->storage_key);
    if (st) return st;
    if (ol_storage_open_flags(&st, srv->storage_url, OL_STORAGE_OPEN_EXISTING, err) != OL_OK) return NULL;
    pthread_setspecific(srv->storage_key, st);
    return st;
}

/* after a failed read: drop the handle, the next request opens a fresh one */
static void drop_storage(ol_server *srv) {
    ol_storage *st = pthread_getspecific(srv->storage_key);
    pthread_setspecific(srv->storage_key, NULL);
    ol_storage_close(st);
}

/* "1,2,3" -> ids; 0 on success, -1 when malformed or too many */
static int parse_ids(const char *text, int64_t **ids, size_t *n) {
    *ids = NULL;
    *n = 0;
    if (!text || !*text) return 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    if (cap > MAX_IDS) return -1;
    *ids = malloc(cap * sizeof **ids);
    if (!*ids) return -1;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || (*end && *end != ',')) {
            free(*ids);
            *ids = NULL;
            return -1;
        }
        (*ids)[(*n)++] = v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* read a whole file (at most 64 MiB) into a malloc'd buffer */
static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *data = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && len <= (64L << 20) && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)len + 1)) &&
        fread(data, 1, (size_t)len, f) != (size_t)len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) *size = (size_t)len;
    return data;
}

/* The experiment's report: ol_report_write into a fresh temporary directory, its README.md sent as a
 * download (the figures it links are not sent: `optlab report` writes them), the directory removed. */
static enum MHD_Result send_report(ol_server *srv, struct MHD_Connection *c, ol_storage *st, const char *name) {
    /* one at a time, and a request that finds one being written is answered at once rather than queued:
     * a burst of downloads then holds at most one request thread, never all of them */
    if (pthread_mutex_trylock(&srv->report_lock) != 0)
        return send_error_json(c, OL_EBUSY, "a report is being written; try again in a few seconds");
    const char *tmp_root = getenv("TMPDIR");
    char dir[4096], out[4200], readme[4300];
    snprintf(dir, sizeof dir, "%s/optlab-serve-report-XXXXXX", tmp_root && *tmp_root ? tmp_root : "/tmp");
    if (!mkdtemp(dir)) {
        pthread_mutex_unlock(&srv->report_lock);
        return send_error_json(c, OL_EIO, "cannot create a temporary directory for the report");
    }
    snprintf(out, sizeof out, "%s/report", dir);
    snprintf(readme, sizeof readme, "%s/README.md", out);
    ol_report_options opt = {.out_dir = out, .experiment = name};
    ol_error err = {0};
    ol_status rc = ol_report_write(st, &opt, NULL, &err);
    size_t size = 0;
    char *text = rc == OL_OK ? slurp(readme, &size) : NULL;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    pthread_mutex_unlock(&srv->report_lock);
    if (rc != OL_OK) {
        if (rc == OL_ESTORAGE || rc == OL_EIO) drop_storage(srv);
        return send_error_json(c, rc, err.msg);
    }
    if (!text) return send_error_json(c, OL_EIO, "the report was written but its README.md cannot be read");
    /* the file name: the experiment's name with anything but letters, digits, '.', '-', '_' as '_' */
    char disposition[160] = "attachment; filename=\"";
    size_t start = strlen(disposition), k = start;
    for (const char *p = name; *p && k < sizeof disposition - 24; p++) {
        int safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                   *p == '_' || (*p == '.' && k > start);
        disposition[k++] = safe ? *p : '_';
    }
    snprintf(disposition + k, sizeof disposition - k, "-report.md\"");
    struct MHD_Response *r = MHD_create_response_from_buffer(size, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/markdown; charset=utf-8");
    MHD_add_response_header(r, "Content-Disposition", disposition);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* The experiment page asked for a baseline that cannot be compared with (no such experiment, or the experiment
   itself): the page still shows the experiment, and its baseline card the reason (JSON "baseline_error"). If the
   experiment alone fails too, that error is the answer. */
static ol_status without_baseline(ol_storage *st, const char *name, char **json, ol_error *err) {
    ol_error why = *err;
    ol_status rc = ol_serve_experiment_vs_json(st, name, NULL, json, err);
    if (rc != OL_OK) return rc;
    cJSON *root = cJSON_Parse(*json);
    free(*json);
    *json = NULL;
    if (root && cJSON_AddStringToObject(root, "baseline_error", why.msg)) *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return *json ? OL_OK : ol_fail(err, OL_ENOMEM, "serve: out of memory building JSON");
}

static enum MHD_Result api(ol_server *srv, struct MHD_Connection *c, const char *what) {
    ol_error err = {0};
    ol_storage *st = thread_storage(srv, &err);
    if (!st) return send_error_json(c, err.status == OL_OK ? OL_ESTORAGE : err.status, err.msg);
    char *json = NULL;
    ol_status rc;
    if (!strcmp(what, "studies")) {
        rc = serve_studies_json_cached(st, srv->cache, srv->stale_seconds, &json, &err);
    } else if (!strcmp(what, "experiment") || !strcmp(what, "report")) {
        const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
        if (!name || !*name) return send_error_json(c, OL_EINVAL, "missing ?name=EXPERIMENT");
        if (!strcmp(what, "report")) return send_report(srv, c, st, name);
        const char *base = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "baseline");
        rc = ol_serve_experiment_vs_json(st, name, base, &json, &err);
        if ((rc == OL_ENOTFOUND || rc == OL_EINVAL) && base && *base) rc = without_baseline(st, name, &json, &err);
    } else {
        const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
        const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
        if (!name || !*name) return send_error_json(c, OL_EINVAL, "missing ?name=STUDY");
        char *end = NULL;
        long long after_id = after ? strtoll(after, &end, 10) : -1;
        if (after && (end == after || *end || after_id < 0))
            return send_error_json(c, OL_EINVAL, "after= must be a trial id (a non-negative integer)");
        int64_t *ids = NULL;
        size_t n_ids = 0;
        if (parse_ids(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ids"), &ids, &n_ids))
            return send_error_json(c, OL_EINVAL, "ids= must be trial ids separated by commas");
        rc = ol_serve_study_json(st, name, after_id, ids, n_ids, srv->stale_seconds, &json, &err);
        free(ids);
    }
    if (rc != OL_OK) {
        if (rc != OL_ENOTFOUND && rc != OL_EINVAL) drop_storage(srv);
        return send_error_json(c, rc, err.msg);
    }
    return send_buffer(c, MHD_HTTP_OK, "application/json", json, strlen(json), MHD_RESPMEM_MUST_FREE, 1);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
    ol_server *srv = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) return send_text(c, 405, "read-only: GET only\n");
    /* first call: headers only; answer on the second, once any (ignored) body has been read */
    if (!*con_cls) {
        *con_cls = srv;
        return MHD_YES;
    }
    if (*upload_data_size) return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "a GET carries no body\n");
    const asset *a = NULL;
    if (!strcmp(url, "/") || !strcmp(url, "/index.html")) a = find_asset(srv, "index.html");
    else if (!strcmp(url, "/study")) a = find_asset(srv, "study.html");
    else if (!strncmp(url, "/assets/", 8)) a = find_asset(srv, url + 8);
    else if (!strcmp(url, "/api/studies")) return api(srv, c, "studies");
    else if (!strcmp(url, "/api/study")) return api(srv, c, "study");
    else if (!strcmp(url, "/experiment")) a = find_asset(srv, "experiment.html");
    else if (!strcmp(url, "/api/experiment")) return api(srv, c, "experiment");
    else if (!strcmp(url, "/api/report")) return api(srv, c, "report");
    if (!a) return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    return send_buffer(c, MHD_HTTP_OK, a->type, a->data, a->size, MHD_RESPMEM_PERSISTENT, 0);
}

static ol_status listen_socket(ol_server *srv, const char *bind_addr, int port, ol_error *err) {
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)(port < 0 ? 0 : port));
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1)
        return ol_fail(err, OL_EINVAL, "serve: --bind %s is not an IPv4 address (e.g. 127.0.0.1)", bind_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ol_fail(err, OL_EIO, "serve: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            return ol_fail(err, OL_EBUSY, "serve: port %d on %s is already in use (pick another with --port)", port,
                           bind_addr);
        return ol_fail(err, OL_EIO, "serve: cannot listen on %s:%d: %s", bind_addr, port, strerror(e));
    }
    if (listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return ol_fail(err, OL_EIO, "serve: listen on %s:%d: %s", bind_addr, port, strerror(e));
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    srv->listen_fd = fd;
    srv->port = ntohs(sa.sin_port);
    return OL_OK;
}

ol_status ol_serve_start(ol_server **out, const ol_serve_options *o, ol_error *err) {
    *out = NULL;
    if (!o || !o->storage_url || !o->assets_dir)
        return ol_fail(err, OL_EINVAL, "serve: a storage URL and an assets directory are needed");
    int port = o->port ? o->port : 8080;
    if (port < -1 || port > 65535) return ol_fail(err, OL_EINVAL, "serve: port %d is not in 1..65535", port);
    ol_server *srv = calloc(1, sizeof *srv);
    if (!srv) return ol_fail(err, OL_ENOMEM, "serve: out of memory");
    srv->listen_fd = -1;
    pthread_mutex_init(&srv->report_lock, NULL);
    srv->stale_seconds = o->stale_seconds > 0 ? o->stale_seconds : OL_SERVE_DEFAULT_STALE_SECONDS;
    /* the storage must exist and be optlab's or Optuna's before anything listens */
    ol_storage *probe = NULL;
    ol_status rc = ol_storage_open_flags(&probe, o->storage_url, OL_STORAGE_OPEN_EXISTING, err);
    ol_storage_close(probe);
    if (rc == OL_OK) rc = load_assets(srv, o->assets_dir, err);
    if (rc == OL_OK &&
        (!find_asset(srv, "index.html") || !find_asset(srv, "study.html") || !find_asset(srv, "experiment.html")))
        rc = ol_fail(err, OL_ENOTFOUND,
                     "serve: %s holds no index.html, study.html and experiment.html (is optlab installed?)",
                     o->assets_dir);
    if (rc == OL_OK && !(srv->cache = serve_cache_new())) rc = ol_fail(err, OL_ENOMEM, "serve: out of memory");
    if (rc == OL_OK && !(srv->storage_url = strdup(o->storage_url))) rc = ol_fail(err, OL_ENOMEM, "serve: out of memory");
    if (rc == OL_OK) {
        if (pthread_key_create(&srv->storage_key, close_storage) != 0) rc = ol_fail(err, OL_ENOMEM, "serve: pthread key");
        else srv->key_made = 1;
    }
    if (rc == OL_OK) rc = listen_socket(srv, o->bind ? o->bind : "127.0.0.1", port, err);
    if (rc == OL_OK) {
        unsigned threads = o->threads > 0 ? (unsigned)o->threads : 4;
        unsigned max_conn = o->max_connections > 0 ? (unsigned)o->max_connections : 256;
        unsigned timeout = o->timeout_seconds > 0 ? (unsigned)o->timeout_seconds : 30;
        srv->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET,
            srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, max_conn,
            MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
            MHD_OPTION_END);
        if (!srv->daemon) rc = ol_fail(err, OL_EIO, "serve: libmicrohttpd could not start on port %d", srv->port);
        else srv->listen_fd = -1; /* the daemon owns the socket now and closes it when stopped */
    }
    if (rc != OL_OK) {
        ol_serve_stop(srv);
        return rc;
    }
    *out = srv;
    return OL_OK;
}

int ol_serve_port(const ol_server *srv) { return srv ? srv->port : 0; }

void ol_serve_stop(ol_server *srv) {
    if (!srv) return;
    if (srv->daemon) MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd >= 0) close(srv->listen_fd);
    if (srv->key_made) pthread_key_delete(srv->storage_key);
    for (size_t i = 0; i < srv->n_assets; i++) free(srv->assets[i].data);
    serve_cache_free(srv->cache);
    pthread_mutex_destroy(&srv->report_lock);
    free(srv->storage_url);
    free(srv);
}
