/* SPDX-License-Identifier: BSD-3-Clause */
/* Whole-packet parsers the worker runs on received frames: Ethernet, GRE decap. */
#include "lib/base/drop.h"
#include "lib/wire/pkt.h"
#include "lib/wire/proto.h"

uint16_t pkt_eth_type(const uint8_t *p, size_t len, size_t *l3off)
{
	if (len < ETH_HLEN)
		return 0;
	*l3off = ETH_HLEN;
	return (uint16_t)(p[12] << 8 | p[13]);
}

int pkt_gre_decap_parse(const uint8_t *p, size_t len, struct gre_decap *out)
{
	int rc = ipv4_parse(p, len, &out->outer);
	size_t glen;

	if (rc)
		return rc;
	if (out->outer.proto != IPPROTO_GRE_)
		return DROP_LOCAL_UNHANDLED;
	if (out->outer.frag & (IPV4_MF | IPV4_OFFMASK))
		return DROP_IPV4_FRAGMENT_LOCAL;
	/* Only the datagram counts, not Ethernet padding behind it. */
	glen = out->outer.total_len - out->outer.hlen;
	rc = pkt_gre_payload_parse(p + out->outer.hlen, glen, out);
	out->inner_off = (uint16_t)(out->inner_off + out->outer.hlen);
	return rc;
}

int pkt_gre_payload_parse(const uint8_t *g, size_t glen, struct gre_decap *out)
{
	int rc = gre_parse(g, glen, &out->gre);

	if (rc)
		return rc;
	out->inner_off = out->gre.hlen;
	out->inner_len = (uint16_t)(glen - out->gre.hlen);
	switch (out->gre.proto) {
	case ETHERTYPE_IPV4:
		rc = ipv4_parse(g + out->inner_off, out->inner_len, &out->inner);
		return rc ? DROP_GRE_INNER_MALFORMED : DROP_NONE;
	case ETHERTYPE_NHRP:
		return out->inner_len ? DROP_NONE : DROP_GRE_INNER_MALFORMED;
	default:
		return DROP_GRE_PROTO;
	}
}
