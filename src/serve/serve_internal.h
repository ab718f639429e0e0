/*
 * serve_internal.h — what server.c and json.c share and the public API does
 * not show: the overview's cache of per-study summaries (json.c), which lets
 * every poll of the overview read only the trials that changed.
 */
#ifndef OPTLAB_SERVE_INTERNAL_H
#define OPTLAB_SERVE_INTERNAL_H

#include "optlab/serve.h"

typedef struct serve_study_acc serve_study_acc;
/** Summaries of the studies of one storage, shared by a server's threads (it locks itself). */
typedef struct serve_cache serve_cache;

serve_cache *serve_cache_new(void);
void serve_cache_free(serve_cache *c);
/** ol_serve_studies_json through `cache` (NULL: no cache, every trial read). */
ol_status serve_studies_json_cached(ol_storage *st, serve_cache *cache, double stale_seconds, char **json,
                                    ol_error *err);

#endif
