/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to the workers (forward.c, esp.c): runs of packets to one peer, header builders, the stages' entry points. */
#ifndef DMVPN_DATAPLANE_DP_PRIV_H
#define DMVPN_DATAPLANE_DP_PRIV_H

#include "dataplane/dp.h"

/*
 * A run of packets to one
 * tunnel peer, and where they leave: the underlay next hop of its NBMA
 * address, found once per run (the route and neighbour caches give the
 * same answer for each packet of a burst).
 */
struct tun_run {
	unsigned rc;            /* 0, or the drop reason of every packet */
	uint32_t nbma;          /* the peer, network order */
	uint32_t gw;            /* underlay next hop, to resolve when mac is NULL */
	const uint8_t *mac;     /* its MAC, NULL when not resolved yet */
	uint8_t port;
	uint8_t tunnel;
	uint16_t proto;         /* GRE protocol type */
	uint8_t tos, ttl;       /* of the outer header */
};

/* The GRE header of tunnel tun for protocol proto as one little-endian
 * word: flags (key bit), protocol, key; 8 bytes with a key, else the
 * first 4. */
static inline uint64_t gre_word(const struct dp_tunnel_rt *tun, uint16_t proto)
{
	return (tun->has_key ? (GRE_F_KEY >> 8) : 0) | (uint64_t)(proto >> 8) << 16 |
	       (uint64_t)(proto & 0xff) << 24 | (uint64_t)tun->key << 32;
}

/* An Ethernet header for IPv4 from src to dst. */
static inline void dp_eth_put(void *p, const uint8_t *dst, const uint8_t *src)
{
	struct eth_hdr *e = p;

	memcpy(e->dst, dst, ETH_ALEN);
	memcpy(e->src, src, ETH_ALEN);
	e->type = rte_cpu_to_be_16(ETHERTYPE_IPV4);
}

/*
 * A 20-byte IPv4 header (no options, DF clear) for a run of packets that
 * differ only in total length and ID: the constant words and the sum of
 * the constants are taken once (dp_ip_run), and each packet's header is
 * written with three stores and its checksum finished from the sum
 * (dp_ip_put_run), so nothing just written is read back (a read of
 * narrower stores would stall store forwarding). The sum is over native
 * 16-bit words (RFC 1071: byte order independent); the layout of the
 * stores assumes a little-endian CPU, as x86 is.
 */
struct ip_run {
	uint64_t q0, q1;   /* bytes 0-7 and 8-15 without length, ID, checksum */
	uint64_t sum;      /* of the constant 16-bit words: at most 6 * 0xffff */
	uint32_t dst;
};

static inline void dp_ip_run(struct ip_run *r, uint8_t tos, uint8_t ttl, uint8_t proto,
			     uint32_t src, uint32_t dst)
{
	uint64_t w0 = 0x45u | (uint32_t)tos << 8, w4 = ttl | (uint32_t)proto << 8;

	r->q0 = w0;
	r->q1 = w4 | (uint64_t)src << 32;
	r->sum = w0 + w4 + (src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16);
	r->dst = dst;
}

static inline void dp_ip_put_run(void *p, const struct ip_run *r, uint16_t len, uint16_t id)
{
	uint64_t len_be = rte_cpu_to_be_16(len), id_be = rte_cpu_to_be_16(id);
	/* At most 8 * 0xffff: two folds end in 16 bits. */
	uint64_t s = r->sum + len_be + id_be;
	uint64_t q0, q1;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	q0 = r->q0 | len_be << 16 | id_be << 32;
	q1 = r->q1 | (uint64_t)(uint16_t)~s << 16;
	memcpy(p, &q0, 8);
	memcpy((uint8_t *)p + 8, &q1, 8);
	memcpy((uint8_t *)p + 16, &r->dst, 4);
}

/* esp.c: GRE-encapsulate, seal and queue a run of n packets (data at
 * the packet GRE carries) to peer r through its SA sa, or drop and count. */
void esp_output_run(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		    const struct tun_run *r, struct sa_rt *sa, struct rte_mbuf **pkts, unsigned n);
/* esp.c: open n packets whose ESP starts off[i] bytes in (udp[i]: in UDP).
 * What opens is a GRE packet as IPv4 (proto 47), flagged PM_F_ESP, handed
 * to gre_input; the rest is dropped and counted. */
void esp_input_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		     struct rte_mbuf **pkts, const uint16_t *off, const uint8_t *udp, unsigned n);
/* forward.c: a GRE packet (IPv4, data at its header) addressed to us:
 * decapsulated into fwd (*nfwd grows) for routing, or punted or dropped. */
void gre_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf *m, struct rte_mbuf **fwd, unsigned *nfwd);
/* forward.c: route n IPv4 packets (n <= DP_MAX_BURST). */
void fwd_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf **pkts, unsigned n, int decrement);
/* forward.c: frame an IPv4 packet for port p toward next hop nh (or punt it
 * while ARP resolves nh); mac when known already. */
void l2_output(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf *m, uint8_t p, uint32_t nh, const uint8_t *mac);

static inline void dp_drop(struct worker *w, struct rte_mbuf *m, unsigned reason)
{
	w->stats.drops[reason]++;
	rte_pktmbuf_free(m);
}

/* Frame an IPv4 packet for port p toward a known MAC and queue it. The
 * headroom is checked here once instead of through rte_pktmbuf_prepend. */
static inline void dp_l2_send(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
			      struct rte_mbuf *m, uint8_t p, const uint8_t *mac)
{
	const struct dp_port_rt *port = &c->ports[p];

	if (unlikely(m->data_off < ETH_HLEN)) {
		dp_drop(w, m, DROP_HEADROOM);
		return;
	}
	m->data_off -= ETH_HLEN;
	m->data_len += ETH_HLEN;
	m->pkt_len += ETH_HLEN;
	dp_eth_put(rte_pktmbuf_mtod(m, void *), mac, port->mac);
	w->stats.ifs[p].tx_packets++;
	w->stats.ifs[p].tx_bytes += m->pkt_len;
	tb->pkts[p][tb->n[p]++] = m;
}

#endif
