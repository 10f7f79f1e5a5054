/* SPDX-License-Identifier: BSD-3-Clause */
/* Deterministic random bytes (xorshift64*) for tests that stand in for an engine's RNG. */
#ifndef DMVPN_TESTS_TEST_RNG_H
#define DMVPN_TESTS_TEST_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf from the generator state *s (never 0), advancing it. */
static inline void test_rng_bytes(uint64_t *s, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		*s ^= *s >> 12;
		*s ^= *s << 25;
		*s ^= *s >> 27;
		p[i] = (uint8_t)((*s * 2685821657736338717ULL) >> 56);
	}
}

#endif
