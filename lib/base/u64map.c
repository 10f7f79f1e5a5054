/* SPDX-License-Identifier: BSD-3-Clause */
/* A small open-addressing hash map, 64-bit keys to 32-bit values, for single-threaded indexes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/u64map.h"

static uint32_t slot(const struct u64map *m, uint64_t key)
{
	/* Fibonacci hashing: the high bits of the product are well mixed. */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);
}

static int alloc(struct u64map *m, uint32_t cap)
{
	m->keys = malloc(sizeof(*m->keys) * cap);
	m->vals = malloc(sizeof(*m->vals) * cap);
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		return -ENOMEM;
	}
	memset(m->vals, 0xff, sizeof(*m->vals) * cap);
	m->cap = cap;
	m->n = 0;
	return 0;
}

int u64map_init(struct u64map *m, uint32_t expected)
{
	uint32_t cap = 16;

	while (cap < expected * 2 && cap < (1u << 30))
		cap <<= 1;
	return alloc(m, cap);
}

void u64map_fini(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* The slot of key in m, or the empty one where it would go. */
static uint32_t find(const struct u64map *m, uint64_t key)
{
	uint32_t i = slot(m, key);

	while (m->vals[i] != U64MAP_EMPTY && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

int u64map_get(const struct u64map *m, uint64_t key, uint32_t *val)
{
	uint32_t i = find(m, key);

	if (m->vals[i] == U64MAP_EMPTY)
		return -ENOENT;
	*val = m->vals[i];
	return 0;
}

static int grow(struct u64map *m)
{
	struct u64map old = *m;

	if (alloc(m, old.cap * 2)) {
		*m = old;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.vals[i] != U64MAP_EMPTY)
			u64map_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	uint32_t i = find(m, key);

	/* Updating a key never grows the map, so it cannot fail. */
	if (m->vals[i] != U64MAP_EMPTY) {
		m->vals[i] = val;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap) {
		if (grow(m))
			return -ENOMEM;
		i = find(m, key);
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

int u64map_del(struct u64map *m, uint64_t key)
{
	uint32_t i = find(m, key), mask = m->cap - 1;

	if (m->vals[i] == U64MAP_EMPTY)
		return -ENOENT;
	/* Shift later members of the run back so lookups never stop early. */
	for (uint32_t j = (i + 1) & mask; m->vals[j] != U64MAP_EMPTY; j = (j + 1) & mask) {
		uint32_t home = slot(m, m->keys[j]);

		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->vals[i] = U64MAP_EMPTY;
	m->n--;
	return 0;
}
