/*
 * optlab/export.h — which symbols liboptlab exports. The library is built
 * with -fvisibility=hidden: a function or variable is visible to programs
 * linked against liboptlab.so only when declared between OL_BEGIN_API and
 * OL_END_API (every public header wraps its declarations in the pair) or
 * marked OL_API one by one. Everything else (the kernels, backends and
 * helpers shared between the library's own files) stays internal, so it
 * can change without breaking a program's link.
 *
 * Nothing here has state; including it from any thread is fine.
 */
#ifndef OPTLAB_EXPORT_H
#define OPTLAB_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
/** Marks one declaration as part of the exported API. */
#define OL_API __attribute__((visibility("default")))
/** Opens a block of public declarations (closed by OL_END_API). */
#define OL_BEGIN_API _Pragma("GCC visibility push(default)")
/** Closes the block OL_BEGIN_API opened. */
#define OL_END_API _Pragma("GCC visibility pop")
#else
#define OL_API
#define OL_BEGIN_API
#define OL_END_API
#endif

#endif
