/*
 * records.c — backend-independent pieces of reading trials back, shared by
 * the SQLite and PostgreSQL backends (declared in backend.h): an index that
 * finds a trial in an array by its id, so the rows of the child tables
 * (params, intermediate values, attributes) can be attached to their trial,
 * and the reverse of ol_trial_state_name.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static int cmp_trial_index(const void *a, const void *b) {
    int64_t x = ((const ol_trial_index *)a)->trial_id, y = ((const ol_trial_index *)b)->trial_id;
    return (x > y) - (x < y);
}

ol_trial_index *ol_trial_index_build(const ol_trial_rec *trials, size_t n) {
    ol_trial_index *ix = malloc((n ? n : 1) * sizeof *ix);
    if (!ix) return NULL;
    for (size_t i = 0; i < n; i++) ix[i] = (ol_trial_index){trials[i].trial_id, i};
    qsort(ix, n, sizeof *ix, cmp_trial_index);
    return ix;
}

ol_trial_rec *ol_trial_index_find(ol_trial_rec *trials, const ol_trial_index *ix, size_t n, int64_t trial_id) {
    if (!ix) return NULL;
    ol_trial_index key = {trial_id, 0};
    const ol_trial_index *hit = bsearch(&key, ix, n, sizeof *ix, cmp_trial_index);
    return hit ? &trials[hit->index] : NULL;
}

ol_trial_rec *ol_trial_index_find_near(ol_trial_rec *trials, const ol_trial_index *ix, size_t n, int64_t trial_id,
                                       size_t *hint) {
    for (size_t i = *hint; i < n && i <= *hint + 1; i++)
        if (trials[i].trial_id == trial_id) {
            *hint = i;
            return &trials[i];
        }
    ol_trial_rec *t = ol_trial_index_find(trials, ix, n, trial_id);
    if (t) *hint = (size_t)(t - trials);
    return t;
}

int ol_trial_state_parse(const char *text, ol_trial_state *state) {
    static const ol_trial_state all[] = {OL_TRIAL_RUNNING, OL_TRIAL_COMPLETE, OL_TRIAL_PRUNED, OL_TRIAL_FAIL,
                                         OL_TRIAL_WAITING};
    for (size_t i = 0; text && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(text, ol_trial_state_name(all[i]))) {
            *state = all[i];
            return 1;
        }
    return 0;
}
