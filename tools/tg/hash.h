/* hash.h -- uthash as the tool uses it: a failed allocation sets
 * tool_hash_oom instead of calling exit(), and the caller reports it. */
#ifndef TG_TOOL_HASH_H
#define TG_TOOL_HASH_H

#include <stdbool.h>

extern bool tool_hash_oom;

#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (tool_hash_oom = true)

#include <uthash.h>

#endif
