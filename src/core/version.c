/*
 * The library's version at run time (include/optlab/version.h): compiled
 * from the same macros a program sees, so ol_version() is the version of the
 * liboptlab actually loaded.
 */
#include "optlab/version.h"

const char *ol_version(void) { return OL_VERSION; }

int ol_version_number(void) { return OL_VERSION_NUMBER; }
