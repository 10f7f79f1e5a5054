/* SPDX-License-Identifier: BSD-3-Clause */
/* A small open-addressing hash map, 64-bit keys to 32-bit values, for single-threaded indexes. */
#ifndef DMVPN_LIB_U64MAP_H
#define DMVPN_LIB_U64MAP_H

#include <stdint.h>

/* Linear probing; grows to stay at most half full; deletion shifts back
 * (no tombstones). Not thread-safe: the control thread's and the config
 * loader's indexes. */
struct u64map {
	uint64_t *keys;
	uint32_t *vals;          /* U64MAP_EMPTY marks a free slot */
	uint32_t cap;            /* power of two */
	uint32_t n;
};

#define U64MAP_EMPTY UINT32_MAX

/* 0 or -ENOMEM. expected: a size hint. */
int u64map_init(struct u64map *m, uint32_t expected);
void u64map_fini(struct u64map *m);
/* 0 and *val, or -ENOENT. */
int u64map_get(const struct u64map *m, uint64_t key, uint32_t *val);
/* Insert or replace (val != U64MAP_EMPTY). 0, or -ENOMEM for a new key
 * (replacing never allocates). */
int u64map_put(struct u64map *m, uint64_t key, uint32_t val);
/* 0 or -ENOENT. */
int u64map_del(struct u64map *m, uint64_t key);

#endif
