/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP for IPv4 over Ethernet (RFC 826): parse and build. */
#ifndef DMVPN_LIB_ARP_H
#define DMVPN_LIB_ARP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/wire/proto.h"

struct arp_info {
	uint16_t op;                /* ARP_OP_REQUEST or ARP_OP_REPLY */
	uint8_t sha[ETH_ALEN];
	uint8_t tha[ETH_ALEN];
	uint32_t spa;               /* network order */
	uint32_t tpa;               /* network order */
};

/* Parse an ARP packet (after the Ethernet header). 0 on success, -EINVAL
 * for anything that is not an Ethernet/IPv4 request or reply. */
int arp_parse(const uint8_t *p, size_t len, struct arp_info *out);

/* Build a whole ARP frame (Ethernet + ARP) into buf (>= 42 bytes); returns
 * its length. A request goes to broadcast with a zero target MAC. */
size_t arp_build(uint8_t *buf, uint16_t op, const uint8_t *sha, uint32_t spa,
		 const uint8_t *tha, uint32_t tpa);

#endif
