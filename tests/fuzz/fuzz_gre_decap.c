/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: GRE decapsulation parser, plus the Ethernet, IPv4 and GRE parsers on their own. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/base/drop.h"
#include "lib/wire/gre.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/pkt.h"
#include "lib/wire/proto.h"

/* A broken invariant is a crash, so libFuzzer keeps the input. */
#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Read every byte the parser vouched for: ASan flags any that is not ours. */
static unsigned touch(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static void decap(const uint8_t *p, size_t len)
{
	struct gre_decap d;
	int rc = pkt_gre_decap_parse(p, len, &d);

	ASSERT(rc >= 0 && rc < DROP__COUNT);
	if (rc != DROP_NONE)
		return;
	ASSERT(d.outer.proto == IPPROTO_GRE_);
	ASSERT(!(d.outer.frag & (IPV4_MF | IPV4_OFFMASK)));
	ASSERT(d.outer.hlen + d.gre.hlen == d.inner_off);
	ASSERT((size_t)d.inner_off + d.inner_len == d.outer.total_len);
	ASSERT(d.outer.total_len <= len);
	if (d.gre.proto == ETHERTYPE_IPV4) {
		ASSERT(d.inner.hlen >= IPV4_HLEN && d.inner.total_len <= d.inner_len);
		ASSERT(inet_cksum(p + d.inner_off, d.inner.hlen) == 0);
	} else {
		ASSERT(d.gre.proto == ETHERTYPE_NHRP && d.inner_len > 0);
	}
	(void)touch(p + d.inner_off, d.inner_len);
}

static void ipv4(const uint8_t *p, size_t len)
{
	struct ipv4_info ip;
	uint8_t h[60];

	if (ipv4_parse(p, len, &ip) != DROP_NONE)
		return;
	ASSERT(ip.hlen >= IPV4_HLEN && ip.hlen <= 60 && ip.hlen % 4 == 0);
	ASSERT(ip.hlen <= ip.total_len && ip.total_len <= len);
	(void)touch(p, ip.total_len);
	/* The incremental TTL update keeps a valid header valid. */
	memcpy(h, p, ip.hlen);
	ipv4_ttl_decrement((struct ipv4_hdr *)h);
	ASSERT(h[8] == (uint8_t)(ip.ttl - 1));
	ASSERT(inet_cksum(h, ip.hlen) == 0);
}

static void gre(const uint8_t *p, size_t len)
{
	struct gre_info g;

	if (gre_parse(p, len, &g) != DROP_NONE)
		return;
	ASSERT(g.hlen == 4 + 4 * (g.has_csum + g.has_key + g.has_seq));
	ASSERT(g.hlen <= len);
	if (g.has_csum)
		ASSERT(inet_cksum(p, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t l3 = 0;

	/* The input as an IPv4 packet (the seeds are), ... */
	decap(data, size);
	ipv4(data, size);
	gre(data, size);
	/* ... and as an Ethernet frame. */
	if (pkt_eth_type(data, size, &l3) == ETHERTYPE_IPV4) {
		ASSERT(l3 == ETH_HLEN);
		decap(data + l3, size - l3);
	} else {
		ASSERT(size < ETH_HLEN || l3 == ETH_HLEN);
	}
	return 0;
}
