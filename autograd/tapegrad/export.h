/*
 * tapegrad/export.h -- TG_API marks what the library exports.
 *
 * The library is compiled with -fvisibility=hidden, so a function is public
 * exactly when its declaration in a public header carries TG_API; everything
 * else stays inside libtapegrad, and calls between its files bind directly.
 */
#ifndef TAPEGRAD_EXPORT_H
#define TAPEGRAD_EXPORT_H

#if defined(__GNUC__)
#define TG_API __attribute__((visibility("default")))
#else
#define TG_API
#endif

#endif
