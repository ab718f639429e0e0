/*
 * replay_golden.h — the reader of the replay golden files that
 * tests/hpo/test_tpe_replay.c and test_mvtpe_replay.c share (made by
 * golden/make_tpe_replay_golden.py and make_mvtpe_replay_golden.py from
 * Optuna 3.1's own studies). A study is
 *     study NAME MAXIMIZE N_TRIALS N_DISTS
 *     dist KEY DISTRIBUTION_JSON            (N_DISTS lines)
 *     trial NUMBER STATE HAS_VALUE VALUE N_STEPS [STEP VALUE]... N_PARAMS [KEY VALUE]...
 * where KEY is a parameter's name, or NAME#2 for the second distribution one
 * name had in that study. Header-only: each test includes it once.
 */
#ifndef OPTLAB_TESTS_REPLAY_GOLDEN_H
#define OPTLAB_TESTS_REPLAY_GOLDEN_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/hpo/hpo_internal.h"

#define GOLDEN_MAX_DISTS 16

typedef struct {
    char key[32]; /* the name, or name#2 for its second distribution */
    char *json;
    ol_distribution dist; /* json, parsed */
} golden_dist;

typedef struct {
    int maximize, n_trials, n_dists;
    golden_dist dists[GOLDEN_MAX_DISTS];
    ol_trial_rec *trials;
} golden_study;

static inline const golden_dist *find_dist(const golden_study *g, const char *key) {
    for (int i = 0; i < g->n_dists; i++)
        if (!strcmp(g->dists[i].key, key)) return &g->dists[i];
    cr_assert_fail("golden file: unknown parameter key '%s'", key);
    return NULL;
}

static inline void read_study_header(FILE *f, golden_study *g) {
    char word[16], name[64];
    memset(g, 0, sizeof *g);
    cr_assert_eq(fscanf(f, "%15s", word), 1);
    cr_assert_str_eq(word, "study");
    cr_assert_eq(fscanf(f, "%63s %d %d %d", name, &g->maximize, &g->n_trials, &g->n_dists), 4);
    cr_assert(g->n_dists > 0 && g->n_dists <= GOLDEN_MAX_DISTS);
    for (int i = 0; i < g->n_dists; i++) {
        golden_dist *d = &g->dists[i];
        char line[1024];
        cr_assert_eq(fscanf(f, " dist %31s ", d->key), 1, "golden file: expected a dist line");
        cr_assert_not_null(fgets(line, sizeof line, f));
        line[strcspn(line, "\n")] = 0;
        d->json = strdup(line);
        ol_error err = {0};
        cr_assert_eq(ol_distribution_from_json(&d->dist, d->json, &err), OL_OK, "%s: %s", d->json, err.msg);
    }
}

static inline void read_trials(FILE *f, golden_study *g) {
    g->trials = calloc((size_t)g->n_trials, sizeof *g->trials);
    for (int i = 0; i < g->n_trials; i++) {
        ol_trial_rec *t = &g->trials[i];
        int state;
        size_t steps, params;
        cr_assert_eq(fscanf(f, " trial %d %d %d %lf %zu", &t->number, &state, &t->has_value, &t->value, &steps), 5,
                     "golden file: trial %d", i);
        cr_assert_eq(t->number, i);
        t->state = (ol_trial_state)state;
        t->n_intermediate = steps;
        t->intermediate = calloc(steps + 1, sizeof *t->intermediate);
        for (size_t s = 0; s < steps; s++)
            cr_assert_eq(fscanf(f, "%lld %lf", (long long *)&t->intermediate[s].step, &t->intermediate[s].value), 2);
        cr_assert_eq(fscanf(f, "%zu", &params), 1);
        t->n_params = params;
        t->params = calloc(params + 1, sizeof *t->params);
        for (size_t p = 0; p < params; p++) {
            char key[32];
            cr_assert_eq(fscanf(f, "%31s %lf", key, &t->params[p].value), 2);
            t->params[p].distribution_json = strdup(find_dist(g, key)->json);
            key[strcspn(key, "#")] = 0;
            t->params[p].name = strdup(key);
        }
    }
}

/* The next study of the file (header and trials) into *g: 1, or 0 at the end of the file. The
 * study's decision lines follow; the caller reads them, then free_study(g). */
static inline int read_next_study(FILE *f, golden_study *g) {
    long at = ftell(f);
    char word[16];
    if (fscanf(f, " %15s", word) != 1) return 0;
    fseek(f, at, SEEK_SET);
    read_study_header(f, g);
    read_trials(f, g);
    return 1;
}

static inline void free_study(golden_study *g) {
    for (int i = 0; i < g->n_trials; i++) {
        for (size_t p = 0; p < g->trials[i].n_params; p++) {
            free(g->trials[i].params[p].name);
            free(g->trials[i].params[p].distribution_json);
        }
        free(g->trials[i].params);
        free(g->trials[i].intermediate);
    }
    free(g->trials);
    for (int i = 0; i < g->n_dists; i++) {
        free(g->dists[i].json);
        ol_distribution_free(&g->dists[i].dist);
    }
}

#endif
