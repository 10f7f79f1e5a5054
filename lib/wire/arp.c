/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP for IPv4 over Ethernet (RFC 826): parse and build. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lib/wire/arp.h"

int arp_parse(const uint8_t *p, size_t len, struct arp_info *out)
{
	const struct arp_ipv4 *a = (const void *)p;
	uint16_t op;

	if (len < sizeof(*a))
		return -EINVAL;
	if (ntohs(a->htype) != ARP_HW_ETHER || ntohs(a->ptype) != ETHERTYPE_IPV4 ||
	    a->hlen != ETH_ALEN || a->plen != 4)
		return -EINVAL;
	op = ntohs(a->op);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return -EINVAL;
	out->op = op;
	memcpy(out->sha, a->sha, ETH_ALEN);
	memcpy(out->tha, a->tha, ETH_ALEN);
	memcpy(&out->spa, &a->spa, 4);
	memcpy(&out->tpa, &a->tpa, 4);
	return 0;
}

size_t arp_build(uint8_t *buf, uint16_t op, const uint8_t *sha, uint32_t spa,
		 const uint8_t *tha, uint32_t tpa)
{
	static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[ETH_ALEN];
	struct eth_hdr *e = (void *)buf;
	struct arp_ipv4 *a = (void *)(buf + ETH_HLEN);

	memcpy(e->dst, op == ARP_OP_REQUEST ? bcast : tha, ETH_ALEN);
	memcpy(e->src, sha, ETH_ALEN);
	e->type = htons(ETHERTYPE_ARP);
	a->htype = htons(ARP_HW_ETHER);
	a->ptype = htons(ETHERTYPE_IPV4);
	a->hlen = ETH_ALEN;
	a->plen = 4;
	a->op = htons(op);
	memcpy(a->sha, sha, ETH_ALEN);
	memcpy(&a->spa, &spa, 4);
	memcpy(a->tha, op == ARP_OP_REQUEST ? zero : tha, ETH_ALEN);
	memcpy(&a->tpa, &tpa, 4);
	return ETH_HLEN + sizeof(*a);
}
