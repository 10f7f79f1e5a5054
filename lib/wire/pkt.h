/* SPDX-License-Identifier: BSD-3-Clause */
/* Whole-packet parsers the worker runs on received frames: Ethernet, GRE decap. */
#ifndef DMVPN_LIB_PKT_H
#define DMVPN_LIB_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/wire/gre.h"
#include "lib/wire/ipv4.h"

struct gre_decap {
	struct ipv4_info outer;
	struct gre_info gre;
	uint16_t inner_off;       /* offset of the payload from the outer IPv4 header */
	uint16_t inner_len;       /* payload bytes */
	struct ipv4_info inner;   /* valid when gre.proto == ETHERTYPE_IPV4 */
};

/*
 * Parse an IPv4 packet carrying GRE (p points at the outer IPv4 header,
 * len bytes available). Validates the outer header, rejects fragments
 * (no reassembly), parses GRE and, for IPv4 payloads, validates the inner
 * header. The GRE key is returned, not checked. Returns DROP_NONE or the
 * drop reason. Reads nothing outside [p, p + len). Pure.
 */
int pkt_gre_decap_parse(const uint8_t *p, size_t len, struct gre_decap *out);

/*
 * The GRE half of pkt_gre_decap_parse, for a caller that validated the
 * outer header itself: g points at the GRE header, glen bytes of GRE
 * datagram. Fills gre, inner_off (from g), inner_len and inner; outer is
 * left alone. Same returns; reads nothing outside [g, g + glen). Pure.
 */
int pkt_gre_payload_parse(const uint8_t *g, size_t glen, struct gre_decap *out);

/* Ethernet: returns the host-order ethertype and sets *l3off, or 0 when
 * the frame is shorter than a header. VLAN tags are not stripped. */
uint16_t pkt_eth_type(const uint8_t *p, size_t len, size_t *l3off);

#endif
