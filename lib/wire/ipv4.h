/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 header validation, checksums and TTL handling. */
#ifndef DMVPN_LIB_IPV4_H
#define DMVPN_LIB_IPV4_H

#include <stddef.h>
#include <stdint.h>
#include "lib/wire/proto.h"

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

/* Checksum of an IPv4 header of hlen bytes (a multiple of 4), summed in
 * 32-bit native words (RFC 1071 byte-order independence): ready to store,
 * and 0 over a header whose checksum field is right. The fast path's. */
static inline uint16_t ipv4_hdr_cksum(const void *h, size_t hlen)
{
	const uint8_t *p = h;
	uint64_t s = 0;
	uint32_t w;

	if (hlen == 20) {
		/* The usual header, unrolled. */
		uint32_t w4[5];

		__builtin_memcpy(w4, p, 20);
		s = (uint64_t)w4[0] + w4[1] + w4[2] + w4[3] + w4[4];
	} else {
		for (size_t i = 0; i < hlen; i += 4) {
			__builtin_memcpy(&w, p + i, 4);
			s += w;
		}
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Whether the checksum of a 20-byte IPv4 header verifies, with fewer
 * operations than ipv4_hdr_cksum: the one's complement sum of its 16-bit
 * words is 0xffff exactly when their plain sum is a nonzero multiple of
 * 0xffff, and the plain sum of its 32-bit native words is congruent to
 * that modulo 0xffff (2^16 = 1 there; byte swapping multiplies by 2^8,
 * which is invertible). A real header's sum is never 0 (version 4). */
static inline int ipv4_hdr20_ok(const void *h)
{
	uint32_t w[5];
	uint64_t s;

	__builtin_memcpy(w, h, 20);
	s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	return s != 0 && s % 0xffff == 0;
}

/*
 * Validate the IPv4 header at p, with len bytes available (len may exceed
 * the datagram, e.g. Ethernet padding). Checks version, IHL, total length
 * and header checksum. Returns DROP_NONE (0) and fills *out, or the drop
 * reason. Never reads past p + len. Thread-safe, no state.
 */
int ipv4_parse(const uint8_t *p, size_t len, struct ipv4_info *out);

/* Decrement TTL and patch the checksum incrementally (RFC 1624). Inline:
 * every forwarded packet takes it. */
static inline void ipv4_ttl_decrement(struct ipv4_hdr *h)
{
	/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), m being the TTL/protocol
	 * word: unlike adding 0x0100 to HC, it never turns a checksum that a
	 * full recomputation gives as 0x0000 into 0xffff. ~m + m' depends only
	 * on whether the TTL wraps: m' = m - 0x0100 gives 0xfeff, a TTL of 0
	 * (m' = m + 0xff00) gives 0xff00. So one addition and one end-around
	 * carry remain; in the native view of the big-endian field the
	 * constants are byte-swapped (one's complement sums commute with
	 * swapping bytes). */
	const int le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
	const uint32_t k = h->ttl ? (le ? 0xfffeu : 0xfeffu) : (le ? 0x00ffu : 0xff00u);
	uint32_t sum = (uint32_t)(uint16_t)~h->cksum + k;

	h->ttl--;
	sum = (sum & 0xffff) + (sum >> 16);
	h->cksum = (uint16_t)~sum;
}

/* Fill a 20-byte header; computes the checksum. Addresses in network order. */
void ipv4_build(struct ipv4_hdr *h, uint32_t src, uint32_t dst, uint8_t proto,
		uint8_t ttl, uint16_t total_len, uint16_t id, uint16_t frag);

/* True for addresses never forwarded: 0/8, 127/8, 224/4 and 240/4 (net
 * order). Branch-free: the first octet minus one is 223 or more for 0
 * and for 224..255. */
static inline int ipv4_is_martian(uint32_t addr)
{
	uint32_t o = ((const uint8_t *)&addr)[0];

	return ((o - 1u) >= 223u) | (o == 127u);
}

static inline int ipv4_is_multicast(uint32_t addr)
{
	return (__builtin_bswap32(addr) >> 28) == 0xe;
}

#endif
