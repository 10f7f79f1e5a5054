/* SPDX-License-Identifier: BSD-3-Clause */
/* The fast path's inline parsers and GRE decapsulation, shared by forward.c and esp.c. */
#ifndef DMVPN_DATAPLANE_DECAP_H
#define DMVPN_DATAPLANE_DECAP_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "dataplane/dp_priv.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/pkt.h"
#include "lib/wire/proto.h"

static inline void punt(struct worker *w, struct tx_buf *tb, struct rte_mbuf *m, uint8_t why)
{
	pkt_meta(m)->kind = why;
	tb->punt[tb->np++] = m;
}

/*
 * ipv4_parse's checks, in its order and with its drop reasons, returning
 * only the total length (all dp_input needs): inline, and for the usual
 * 20-byte header without the call and the filled-in struct ipv4_info;
 * anything else goes to ipv4_parse itself.
 */
static __rte_always_inline int ipv4_parse_fast(const uint8_t *p, size_t len, uint16_t *tlen)
{
	const struct ipv4_hdr *h = (const void *)p;
	struct ipv4_info ii;
	size_t tl;
	int rc;

	if (likely(len >= IPV4_HLEN && h->ver_ihl == 0x45)) {
		tl = rte_be_to_cpu_16(h->total_len);
		if (unlikely(tl < IPV4_HLEN))
			return DROP_IPV4_LENGTH;
		if (unlikely(tl > len))
			return DROP_IPV4_TRUNCATED;
		if (unlikely(!ipv4_hdr20_ok(p)))
			return DROP_IPV4_CHECKSUM;
		*tlen = (uint16_t)tl;
		return DROP_NONE;
	}
	rc = ipv4_parse(p, len, &ii);
	if (!rc)
		*tlen = ii.total_len;
	return rc;
}

/* The usual GRE header as a little-endian word: key bit (or no flag) and
 * IPv4 (0x2000, 0x0800; 0, 0x0800). */
#define GRE_W_KEY_IPV4 0x00080020u
#define GRE_W_IPV4 0x00080000u

/* pkt_gre_payload_parse, with the usual case first: key or no flag, IPv4
 * inside with a 20-byte header, checked as ipv4_parse checks it. Fills
 * what gre_input_at reads of d; anything else, and any failure, goes to
 * the full parser for its answer. */
static __rte_always_inline int gre_parse_fast(const uint8_t *g, size_t glen, struct gre_decap *d)
{
	uint32_t w0;
	size_t gh;
	uint16_t tl;

	if (unlikely(glen < 4))
		return pkt_gre_payload_parse(g, glen, d);
	memcpy(&w0, g, 4);
	gh = w0 == GRE_W_KEY_IPV4 ? 8 : 4;
	if (likely((w0 == GRE_W_KEY_IPV4 || w0 == GRE_W_IPV4) && glen >= gh + IPV4_HLEN &&
		   g[gh] == 0x45 && ipv4_parse_fast(g + gh, glen - gh, &tl) == DROP_NONE)) {
		d->gre.has_key = gh == 8;
		d->gre.key = 0;
		if (gh == 8) {
			memcpy(&d->gre.key, g + 4, 4);
			d->gre.key = rte_be_to_cpu_32(d->gre.key);
		}
		d->gre.proto = ETHERTYPE_IPV4;
		d->inner_off = (uint16_t)gh;
		d->inner_len = (uint16_t)(glen - gh);
		d->inner.total_len = tl;
		return DROP_NONE;
	}
	return pkt_gre_payload_parse(g, glen, d);
}

/* forward.c: punt an NHRP packet found goff bytes into m (GRE datagram of
 * glen bytes) with its outer IPv4 header right in front of the GRE header,
 * where the control thread reads the sender's NBMA address. */
void gre_nhrp_punt(struct worker *w, struct tx_buf *tb, struct rte_mbuf *m, size_t goff, size_t glen);

/* A GRE datagram of glen bytes goff bytes into m, behind m's (validated)
 * IPv4 header (ESP in transport mode leaves it so): decapsulated into fwd
 * (*nfwd grows) for routing, or punted or dropped. Inline in both
 * callers: ESP's opened packets and gre_input's. */
static __rte_always_inline void gre_input_at(struct worker *w, const struct dp_conf *c,
					     struct tx_buf *tb, struct rte_mbuf *m, size_t goff,
					     size_t glen, struct rte_mbuf **fwd, unsigned *nfwd)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct ipv4_hdr *oh = (struct ipv4_hdr *)p;
	struct pkt_meta *pm = pkt_meta(m);
	struct gre_decap d;
	int rc;
	unsigned t;

	if (unlikely(pm->depth)) {
		dp_drop(w, m, DROP_GRE_NESTED);
		return;
	}
	rc = gre_parse_fast(p + goff, glen, &d);
	if (unlikely(rc)) {
		dp_drop(w, m, (unsigned)rc);
		return;
	}
	/* The tunnel is the one sourced on this address with this key. */
	for (t = 0; t < c->n_tunnels; t++) {
		const struct dp_tunnel_rt *tun = &c->tunnels[t];

		if (tun->src == oh->dst && tun->has_key == d.gre.has_key &&
		    (!tun->has_key || rte_be_to_cpu_32(tun->key) == d.gre.key))
			break;
	}
	if (unlikely(t == c->n_tunnels)) {
		dp_drop(w, m, d.gre.has_key ? DROP_GRE_KEY_MISMATCH : DROP_GRE_NO_KEY);
		return;
	}
	/* A protected tunnel's GRE comes inside ESP, and what ESP opened is
	 * GRE of its SA's tunnel only: keys for one DMVPN are no way into
	 * another (whether protected or not). */
	if (unlikely(pm->flags & PM_F_ESP)) {
		if (unlikely(pm->sa_tunnel != t)) {
			dp_drop(w, m, DROP_ESP_POLICY);
			return;
		}
	} else if (unlikely(c->tunnels[t].flags & TUN_F_PROTECT)) {
		dp_drop(w, m, DROP_GRE_CLEARTEXT);
		return;
	}
	pm->in_if = (uint8_t)DP_IF_TUNNEL(t);
	pm->nbma_src = oh->src;
	w->stats.ifs[pm->in_if].rx_packets++;
	w->stats.ifs[pm->in_if].rx_bytes += d.inner_len;
	if (unlikely(d.gre.proto == ETHERTYPE_NHRP)) {
		gre_nhrp_punt(w, tb, m, goff, glen);
		return;
	}
	w->stats.gre_decap++;
	/* The parser checked inner_off + inner.total_len against glen. */
	m->data_off = (uint16_t)(m->data_off + goff + d.inner_off);
	m->data_len = m->pkt_len = d.inner.total_len;
	pm->depth++;
	fwd[(*nfwd)++] = m;
}


#endif
