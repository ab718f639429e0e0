/*
 * optlab/version.h — the library's version: the one place it is written.
 * The Makefile reads OL_VERSION_MAJOR/MINOR/PATCH from this file for the
 * shared library's file name and soname and for optlab.pc, so a release
 * changes these three lines and nothing else.
 *
 * OL_VERSION* say which headers a program was compiled against; ol_version()
 * says which library it runs with (they differ when liboptlab.so is updated
 * under an already built program). Both are constants: safe from any thread.
 */
#ifndef OPTLAB_VERSION_H
#define OPTLAB_VERSION_H

#include "optlab/export.h"

#define OL_VERSION_MAJOR 0
#define OL_VERSION_MINOR 1
#define OL_VERSION_PATCH 0

#define OL_VERSION_STR_(x) #x
#define OL_VERSION_XSTR_(x) OL_VERSION_STR_(x)
/** The version as a string, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"). */
#define OL_VERSION                                                              \
    OL_VERSION_XSTR_(OL_VERSION_MAJOR) "." OL_VERSION_XSTR_(OL_VERSION_MINOR) "." \
    OL_VERSION_XSTR_(OL_VERSION_PATCH)
/** The version as one comparable number: MAJOR·10000 + MINOR·100 + PATCH. */
#define OL_VERSION_NUMBER (OL_VERSION_MAJOR * 10000 + OL_VERSION_MINOR * 100 + OL_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** The version of the library linked at run time, "MAJOR.MINOR.PATCH". */
const char *ol_version(void);

/** The same as one number, MAJOR·10000 + MINOR·100 + PATCH (compare with OL_VERSION_NUMBER). */
int ol_version_number(void);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
