/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: control-socket request parser and its query helpers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/ctl/ctlreq.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctlreq r;
	char err[128], tiny[4];
	int rc;

	memset(err, 0x7f, sizeof(err));
	rc = ctlreq_parse((const char *)data, size, &r, err, sizeof(err));
	if (rc) {
		ASSERT(rc == 400 || rc == 405 || rc == 413);
		ASSERT(memchr(err, 0, sizeof(err)) != NULL && err[0]);
		ASSERT(r.body == NULL && r.nq == 0);
		/* Error text never overruns a small buffer either. */
		ASSERT(ctlreq_parse((const char *)data, size, &r, tiny, sizeof(tiny)) == rc);
		ASSERT(memchr(tiny, 0, sizeof(tiny)) != NULL);
		return 0;
	}
	ASSERT(r.method >= CTL_GET && r.method <= CTL_DELETE);
	ASSERT(strcmp(ctlreq_method_name(r.method), "?"));
	ASSERT(r.path[0] == '/' && memchr(r.path, 0, sizeof(r.path)) && !strchr(r.path, '?'));
	ASSERT(r.nq <= CTL_QUERY_MAX);
	for (unsigned i = 0; i < r.nq; i++) {
		int b = ctlreq_query_bool(&r, r.q[i].key, 7);

		ASSERT(memchr(r.q[i].key, 0, sizeof(r.q[i].key)) && memchr(r.q[i].val, 0,
									 sizeof(r.q[i].val)));
		ASSERT(r.q[i].key[0] && !strchr(r.q[i].key, '&') && !strchr(r.q[i].key, '='));
		ASSERT(!strchr(r.q[i].val, '&'));
		ASSERT(ctlreq_query(&r, r.q[i].key) != NULL);
		ASSERT(b == -1 || b == 0 || b == 1);
	}
	{
		int d = ctlreq_query_bool(&r, "detail", 7);

		ASSERT(d == 7 || d == -1 || d == 0 || d == 1);
	}
	ctlreq_free(&r);
	ASSERT(r.body == NULL);
	return 0;
}
