/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: IKE's UDP datagram checks and IPv4 reassembly (lib/wire/ike_udp), with build round trips. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wire/ike_udp.h"
#include "lib/wire/proto.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct ike_reasm r;
static uint8_t dg[IKE_REASM_MAX];

static unsigned touch(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

/* What parse accepts, build writes again byte for byte (the checksum too). */
static void check_parsed(uint32_t src, uint32_t dst, const uint8_t *u, size_t n)
{
	struct ike_udp_msg m;
	int rc = ike_udp_parse(src, dst, u, n, &m), len;

	if (rc != IKE_UDP_OK)
		return;
	ASSERT(m.msg >= u && m.msg + m.len <= u + n);
	touch(m.msg, m.len);
	len = ike_udp_build(src, m.sport, dst, m.dport, m.dport == IKE_NATT_PORT, m.msg, m.len, dg,
			    sizeof(dg));
	ASSERT(len == (int)(m.msg + m.len - u));
	ASSERT(!memcmp(dg, u, 6));
	ASSERT(ike_udp_parse(src, dst, dg, (size_t)len, &m) == IKE_UDP_OK);
}

/*
 * Input: 8 bytes of addresses, then the whole input as one datagram, and
 * also as fragments: [2 bytes id][2 bytes flags+offset][2 bytes length][data]...
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t src, dst;
	uint64_t now = 0;
	size_t off;

	if (size < 8)
		return 0;
	memcpy(&src, data, 4);
	memcpy(&dst, data + 4, 4);
	check_parsed(src, dst, data + 8, size - 8);
	memset(&r, 0, sizeof(r));
	for (off = 8; off + 6 <= size;) {
		uint16_t id = (uint16_t)(data[off] << 8 | data[off + 1]);
		uint16_t frag = (uint16_t)(data[off + 2] << 8 | data[off + 3]);
		size_t n = (size_t)(data[off + 4] << 8 | data[off + 5]);
		const uint8_t *out;
		size_t out_len;
		int rc;

		off += 6;
		if (n > size - off)
			n = size - off;
		/* Copied: the fuzzer finds reads past n that way. */
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, data + off, n);
		rc = ike_reasm_add(&r, now, src, dst, id, frag, p, n, &out, &out_len);
		free(p);
		off += n;
		now += (frag & 0x4000) ? IKE_REASM_TIMEOUT_MS : 100; /* DF: time passes */
		if (rc == IKE_REASM_DONE) {
			ASSERT(out_len <= IKE_REASM_MAX);
			check_parsed(src, dst, out, out_len);
		}
	}
	return 0;
}
