/* SPDX-License-Identifier: BSD-3-Clause */
/* GRE header parsing and building (RFC 2784, key and sequence per RFC 2890). */
#ifndef DMVPN_LIB_GRE_H
#define DMVPN_LIB_GRE_H

#include <stddef.h>
#include <stdint.h>

struct gre_info {
	uint16_t hlen;   /* bytes of GRE header incl. optional fields */
	uint16_t proto;  /* host order protocol type */
	uint8_t has_key;
	uint8_t has_seq;
	uint8_t has_csum;
	uint32_t key;    /* host order */
	uint32_t seq;    /* host order */
};

/*
 * Parse the GRE header at p; len is the whole GRE packet (header and
 * payload), used to verify the checksum when the C bit is set. Rejects
 * version != 0, the routing bit and bits 4-5; bits 6-12 are ignored (RFC 2784 2.3).
 * Returns DROP_NONE or a drop reason. Never reads past p + len.
 */
int gre_parse(const uint8_t *p, size_t len, struct gre_info *out);

/* Write a GRE header with optional key; returns its length (4 or 8). */
size_t gre_build(uint8_t *p, uint16_t proto, int has_key, uint32_t key);

#endif
