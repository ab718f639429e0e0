/*
 * optlab/serve.h — a read-only web view of a storage (`optlab serve`).
 *
 * An HTTP server (libmicrohttpd) that serves the page assets of a directory
 * (HTML, JavaScript, the chart library) and JSON read from a storage: the
 * list of studies with their state counts and best values, one study's
 * trials, read incrementally, and one experiment's comparison and verdict
 * (the report's analysis), with its report's README.md to download. No endpoint writes to the storage. Strings from
 * storage travel only inside JSON; the pages insert them as text, never as
 * markup.
 *
 * Thread safety: the server runs its own threads (a small pool, each with its
 * own storage handle opened on its first request); the calls below are made
 * from one thread.
 */
#ifndef OPTLAB_SERVE_H
#define OPTLAB_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"
#include "optlab/export.h"
#include "optlab/storage.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** What ol_serve_start needs. Zero fields take the defaults named. */
typedef struct {
    const char *storage_url; /**< the storage to read (required); never sent to a client */
    const char *bind;        /**< IPv4 address to listen on (default "127.0.0.1") */
    int port;                /**< TCP port (default 8080; -1: any free port, see ol_serve_port) */
    const char *assets_dir;  /**< directory of the page assets (index.html, app.js, echarts.min.js) */
    int threads;             /**< request threads (default 4), each with its own storage handle */
    int max_connections;     /**< open connections at most (default 256) */
    int timeout_seconds;     /**< an idle or slow connection is closed after this (default 30) */
    double stale_seconds;    /**< a running trial whose heartbeat is older is flagged stale
                                  (default OL_SERVE_DEFAULT_STALE_SECONDS) */
} ol_serve_options;

/** A running server. */
typedef struct ol_server ol_server;

/**
 * Check that the storage opens (and exists), then listen. A port in use is
 * OL_EBUSY naming the address and port; a storage that does not exist is
 * OL_ENOTFOUND; an assets directory without index.html is OL_ENOTFOUND.
 */
ol_status ol_serve_start(ol_server **out, const ol_serve_options *opts, ol_error *err);
/** The port the server listens on (the one chosen when opts->port was -1). */
int ol_serve_port(const ol_server *srv);
/** Stop listening, finish the requests in flight, close the storage handles and free. NULL is a no-op. */
void ol_serve_stop(ol_server *srv);

/** The default stale threshold: `optlab worker`'s default --grace (`optlab run` uses 60 s). */
#define OL_SERVE_DEFAULT_STALE_SECONDS 30.0

/**
 * The JSON of one study as the page reads it: {"study":{...},"n_total":N,
 * "now":T,"stale_after":S,"trials":[...]} with the trials whose id is above
 * `after_trial_id` plus those listed in `ids` (see
 * ol_storage_get_trials_since); after_trial_id < 0 reads all. A RUNNING
 * trial carries "heartbeat" (its last, seconds since the epoch, or null) and
 * "stale" (its last heartbeat, or its start if it has none, is older than
 * `stale_seconds`). *json is malloc'd (free it). OL_ENOTFOUND if no such study.
 */
ol_status ol_serve_study_json(ol_storage *st, const char *study_name, int64_t after_trial_id, const int64_t *ids,
                              size_t n_ids, double stale_seconds, char **json, ol_error *err);
/** The JSON of every study's summary: name, direction, trials by state, best value, running trials with their
 * ages, heartbeats and stale flags (as in ol_serve_study_json), ETA. */
ol_status ol_serve_studies_json(ol_storage *st, double stale_seconds, char **json, ol_error *err);

/**
 * The JSON of one experiment's page: what `optlab report` concludes, computed
 * by the report's own code — {"experiment":E,"repetition":R,"n_repetitions":N,
 * "studies":[{"study","label","n_trials","outcomes":{...},"best":{"number",
 * "valid","test","params":{name: text}} or null}], "verdict":{...}}. The
 * verdict is {"kind":"single"} (one run: optimizers ranked by their best
 * trial's test accuracy, each gap against binomial noise) or
 * {"kind":"repetitions"} (mean and 95 % CI per optimizer over the
 * repetitions, paired t and sign-flip tests with Holm's adjustment).
 * OL_ENOTFOUND if no experiment has that name; the report's own errors (no
 * completed trial yet) otherwise. *json is malloc'd (free it).
 */
ol_status ol_serve_experiment_json(ol_storage *st, const char *experiment, char **json, ol_error *err);

/**
 * ol_serve_experiment_json, and when baseline names another experiment of st (NULL or "": none), its
 * comparison with that baseline as `optlab report --baseline` gives it: "baseline":{"experiment","sampler",
 * "optimizers":[{"label","n","test","valid","to_best","cost"}]}, each of the first three {"mean","half",
 * "base_mean","base_half","diff","diff_half","p_t","p_flip"} over the n repetitions paired with the baseline's
 * (this experiment's value, the baseline's, this − baseline with its paired t and sign-flip p; accuracies as
 * fractions, to_best in trials; null where undefined), and "cost" {"pruned","trials","epochs","base_epochs",
 * "seconds","base_seconds"}: this side's pruned and all trials, and both sides' epochs and training seconds
 * (the trials' own, summed) over those repetitions. An optimizer the baseline lacks is left out.
 * OL_ENOTFOUND if either experiment is not in st; OL_EINVAL if baseline is the experiment itself.
 */
ol_status ol_serve_experiment_vs_json(ol_storage *st, const char *experiment, const char *baseline, char **json,
                                      ol_error *err);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
