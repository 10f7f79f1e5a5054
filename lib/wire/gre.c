/* SPDX-License-Identifier: BSD-3-Clause */
/* GRE header parsing and building (RFC 2784, key and sequence per RFC 2890). */
#include <arpa/inet.h>
#include <string.h>

#include "lib/base/be.h"
#include "lib/base/drop.h"
#include "lib/wire/gre.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/proto.h"

int gre_parse(const uint8_t *p, size_t len, struct gre_info *out)
{
	uint16_t flags;
	size_t off = 4;

	if (len < 4)
		return DROP_GRE_TRUNCATED;
	flags = (uint16_t)(p[0] << 8 | p[1]);
	if (flags & GRE_VERSION_MASK)
		return DROP_GRE_VERSION;
	if (flags & (GRE_F_ROUTING | GRE_F_MBZ))
		return DROP_GRE_FLAGS;
	memset(out, 0, sizeof(*out));
	out->proto = (uint16_t)(p[2] << 8 | p[3]);
	if (flags & GRE_F_CSUM) {
		/* Checksum word plus reserved1; the sum covers header and payload. */
		if (len < off + 4)
			return DROP_GRE_TRUNCATED;
		if (inet_fold(inet_sum(0, p, len)) != 0)
			return DROP_GRE_CHECKSUM;
		out->has_csum = 1;
		off += 4;
	}
	if (flags & GRE_F_KEY) {
		if (len < off + 4)
			return DROP_GRE_TRUNCATED;
		out->has_key = 1;
		out->key = rd32(p + off);
		off += 4;
	}
	if (flags & GRE_F_SEQ) {
		if (len < off + 4)
			return DROP_GRE_TRUNCATED;
		out->has_seq = 1;
		out->seq = rd32(p + off);
		off += 4;
	}
	out->hlen = (uint16_t)off;
	return DROP_NONE;
}

size_t gre_build(uint8_t *p, uint16_t proto, int has_key, uint32_t key)
{
	struct gre_hdr *g = (void *)p;

	g->flags = htons(has_key ? GRE_F_KEY : 0);
	g->proto = htons(proto);
	if (!has_key)
		return 4;
	key = htonl(key);
	memcpy(p + 4, &key, 4);
	return 8;
}
