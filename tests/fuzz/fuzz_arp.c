/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: ARP parser, and build/parse round trips of whatever it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/wire/arp.h"
#include "lib/wire/pkt.h"
#include "lib/wire/proto.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static void arp(const uint8_t *p, size_t len)
{
	static const uint8_t zero[ETH_ALEN];
	struct arp_info a, b;
	uint8_t frame[64];
	size_t n;

	if (arp_parse(p, len, &a) != 0)
		return;
	ASSERT(len >= sizeof(struct arp_ipv4));
	ASSERT(a.op == ARP_OP_REQUEST || a.op == ARP_OP_REPLY);
	ASSERT(!memcmp(a.sha, p + 8, ETH_ALEN) && !memcmp(a.tha, p + 18, ETH_ALEN));
	/* What we would send back with these fields parses to the same. */
	n = arp_build(frame, a.op, a.sha, a.spa, a.tha, a.tpa);
	ASSERT(n == ETH_HLEN + sizeof(struct arp_ipv4));
	ASSERT(arp_parse(frame + ETH_HLEN, n - ETH_HLEN, &b) == 0);
	ASSERT(b.op == a.op && b.spa == a.spa && b.tpa == a.tpa);
	ASSERT(!memcmp(b.sha, a.sha, ETH_ALEN));
	ASSERT(!memcmp(b.tha, a.op == ARP_OP_REQUEST ? zero : a.tha, ETH_ALEN));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t l3;

	arp(data, size);
	if (pkt_eth_type(data, size, &l3) == ETHERTYPE_ARP)
		arp(data + l3, size - l3);
	return 0;
}
