/* SPDX-License-Identifier: BSD-3-Clause */
/* u64map against a reference model: random puts, gets and deletes, growth, collisions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/u64map.h"
#include "tests/unit/check.h"

#define KEYS 5000

int main(void)
{
	static uint32_t model[KEYS];        /* U64MAP_EMPTY = absent */
	struct u64map m;
	uint32_t v;

	CHECK(u64map_init(&m, 4) == 0);
	memset(model, 0xff, sizeof(model));
	srand(7);
	for (int op = 0; op < 400000; op++) {
		uint32_t k = (uint32_t)rand() % KEYS;
		/* Keys that collide in the low bits exercise the probing. */
		uint64_t key = (uint64_t)k << 32 | (k & 3);
		int r = rand() % 3;

		if (r == 0) {
			uint32_t val = (uint32_t)rand() % 1000000;

			CHECK(u64map_put(&m, key, val) == 0);
			model[k] = val;
		} else if (r == 1) {
			int rc = u64map_del(&m, key);

			CHECK(rc == (model[k] == U64MAP_EMPTY ? -ENOENT : 0));
			model[k] = U64MAP_EMPTY;
		} else {
			int rc = u64map_get(&m, key, &v);

			CHECK(rc == (model[k] == U64MAP_EMPTY ? -ENOENT : 0));
			if (rc == 0)
				CHECK(v == model[k]);
		}
	}
	for (uint32_t k = 0; k < KEYS; k++) {
		int rc = u64map_get(&m, (uint64_t)k << 32 | (k & 3), &v);

		CHECK(rc == (model[k] == U64MAP_EMPTY ? -ENOENT : 0));
		CHECK(rc || v == model[k]);
	}
	u64map_fini(&m);

	/* A full map (one more key would grow it) still replaces a value in
	 * place: callers rely on that update never failing. */
	CHECK(u64map_init(&m, 8) == 0);
	for (uint64_t k = 1; (m.n + 1) * 2 <= m.cap; k++)
		CHECK(u64map_put(&m, k, (uint32_t)k) == 0);
	{
		uint32_t cap = m.cap, n = m.n;

		CHECK(u64map_put(&m, 1, 77) == 0);
		CHECK(m.cap == cap && m.n == n);
		CHECK(u64map_get(&m, 1, &v) == 0 && v == 77);
		CHECK(u64map_put(&m, 1000, 5) == 0);
		CHECK(m.cap == 2 * cap && m.n == n + 1);
		CHECK(u64map_get(&m, 1, &v) == 0 && v == 77);
	}
	u64map_fini(&m);
	return check_done("u64map");
}
