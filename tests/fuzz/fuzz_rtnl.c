/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: rtnetlink route messages (lib/wire/rtnl), as the kernel-route listener reads them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/addr.h"
#include "lib/wire/rtnl.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check(void *arg, const struct rtnl_route *r)
{
	ASSERT(r->plen <= 32);
	ASSERT((r->dst & ~prefix_mask(r->plen)) == 0);
	++*(int *)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* recv() fills an aligned buffer: so does malloc, exactly size bytes. */
	uint8_t *buf = malloc(size ? size : 1);
	int n = 0, rc;

	ASSERT(buf);
	memcpy(buf, data, size);
	rc = rtnl_routes_walk(buf, size, check, &n);
	ASSERT(rc < 0 ? n >= 0 : rc == n);
	free(buf);
	return 0;
}
