/*
 * validate.h — the checks storage.c makes once for every backend (validate.c).
 * The decoding helpers are declared in backend.h, where backends see them.
 */
#ifndef OPTLAB_STORAGE_VALIDATE_H
#define OPTLAB_STORAGE_VALIDATE_H

#include <stdio.h>

#include "backend.h"

#define OL_STORAGE_MAX_NAME 512 /* VARCHAR(512) of Optuna's names and keys */

/* A name (study, parameter, attribute key): 1..512 bytes of valid UTF-8. */
ol_status ol_check_name(const char *what, const char *name, ol_error *err);
/* JSON text (Optuna json.loads() every attribute and distribution), valid UTF-8. */
ol_status ol_check_json(const char *what, const char *key, const char *json, ol_error *err);

#endif
