/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 header validation, checksums and TTL handling. */
#ifndef DMVPN_LIB_IPV4_H
#define DMVPN_LIB_IPV4_H

#include <stddef.h>
#include <stdint.h>
#include "lib/proto.h"

struct ipv4_info {
	uint16_t hlen;      /* header length in bytes */
	uint16_t total_len; /* from the header; <= the buffer length */
	uint8_t proto;
	uint8_t ttl;
	uint16_t frag;      /* host order flags+offset */
	uint32_t src;       /* network order */
	uint32_t dst;       /* network order */
};

/* One's complement sum of len bytes added to sum (not folded, not inverted). */
uint32_t inet_sum(uint32_t sum, const void *buf, size_t len);
/* Fold and invert a sum into a checksum field value. */
uint16_t inet_fold(uint32_t sum);
/* Internet checksum of buf (RFC 1071), ready to store. */
uint16_t inet_cksum(const void *buf, size_t len);

/*
 * Validate the IPv4 header at p, with len bytes available (len may exceed
 * the datagram, e.g. Ethernet padding). Checks version, IHL, total length
 * and header checksum. Returns DROP_NONE (0) and fills *out, or the drop
 * reason. Never reads past p + len. Thread-safe, no state.
 */
int ipv4_parse(const uint8_t *p, size_t len, struct ipv4_info *out);

/* Decrement TTL and patch the checksum incrementally (RFC 1624). */
void ipv4_ttl_decrement(struct ipv4_hdr *h);

/* Fill a 20-byte header; computes the checksum. Addresses in network order. */
void ipv4_build(struct ipv4_hdr *h, uint32_t src, uint32_t dst, uint8_t proto,
		uint8_t ttl, uint16_t total_len, uint16_t id, uint16_t frag);

/* True for addresses never forwarded: 0/8, 127/8, 224/4 and 240/4 (net order). */
int ipv4_is_martian(uint32_t addr);
int ipv4_is_multicast(uint32_t addr);

#endif
