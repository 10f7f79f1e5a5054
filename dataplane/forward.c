/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-packet work of a worker: classify, route, ARP, GRE encap/decap, punt. */
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "dataplane/dp.h"
#include "lib/pkt.h"
#include "lib/proto.h"

static inline int mac_eq(const uint8_t *a, const uint8_t *b)
{
	uint32_t a4, b4;
	uint16_t a2, b2;

	memcpy(&a4, a, 4);
	memcpy(&b4, b, 4);
	memcpy(&a2, a + 4, 2);
	memcpy(&b2, b + 4, 2);
	return a4 == b4 && a2 == b2;
}

static inline void drop(struct worker *w, struct rte_mbuf *m, unsigned reason)
{
	w->stats.drops[reason]++;
	rte_pktmbuf_free(m);
}

static inline void punt(struct worker *w, struct tx_buf *tb, struct rte_mbuf *m, uint8_t why)
{
	pkt_meta(m)->kind = why;
	tb->punt[tb->np++] = m;
}

/* Hand an IPv4 packet (data at the IPv4 header) to port p toward next hop nh. */
/* Frame an IPv4 packet for port p toward a known MAC and queue it. */
static void l2_send(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		    struct rte_mbuf *m, uint8_t p, const uint8_t *mac)
{
	const struct dp_port_rt *port = &c->ports[p];
	struct eth_hdr *e = (struct eth_hdr *)rte_pktmbuf_prepend(m, ETH_HLEN);

	if (unlikely(!e)) {
		drop(w, m, DROP_HEADROOM);
		return;
	}
	memcpy(e->dst, mac, ETH_ALEN);
	memcpy(e->src, port->mac, ETH_ALEN);
	e->type = rte_cpu_to_be_16(ETHERTYPE_IPV4);
	w->stats.ifs[p].tx_packets++;
	w->stats.ifs[p].tx_bytes += rte_pktmbuf_pkt_len(m);
	tb->pkts[p][tb->n[p]++] = m;
}

/* Hand an IPv4 packet (data at the IPv4 header) to port p toward next hop nh. */
static void l2_output(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		      struct rte_mbuf *m, uint8_t p, uint32_t nh)
{
	const struct neigh_rt *n = tables_neigh_lookup(&w->dp->tables, p, nh);

	if (unlikely(!n)) {
		struct pkt_meta *pm = pkt_meta(m);

		pm->out_if = p;
		pm->aux = nh;
		punt(w, tb, m, PUNT_NEIGH_MISS);
		return;
	}
	l2_send(w, c, tb, m, p, n->mac);
}

/* The underlay next hop of an NBMA address: from the worker's cache while
 * the tables are unchanged, else looked up (and cached once the neighbour
 * is known). Returns 0 with *port set and *mac (NULL: not resolved yet,
 * *gw is the address to resolve), or a drop reason. */
static unsigned nbma_next_hop(struct worker *w, uint32_t nbma, uint8_t *port,
			      const uint8_t **mac, uint32_t *gw)
{
	const struct dp_tables *t = &w->dp->tables;
	uint32_t gen = tables_gen(t);
	const struct nexthop *onh;
	const struct neigh_rt *n;

	if (likely(w->l2c.valid && w->l2c.nbma == nbma && w->l2c.gen == gen)) {
		*port = w->l2c.port;
		*mac = w->l2c.mac;
		return DROP_NONE;
	}
	onh = tables_route_lookup(t, nbma);
	/* The underlay route must leave by a port, never through a tunnel. */
	if (unlikely(!onh || onh->kind != NH_PORT))
		return onh ? DROP_TUNNEL_RECURSION : DROP_NO_ROUTE;
	*port = onh->ifidx;
	*gw = onh->gw ? onh->gw : nbma;
	n = tables_neigh_lookup(t, onh->ifidx, *gw);
	*mac = NULL;
	if (n) {
		w->l2c.gen = gen;
		w->l2c.nbma = nbma;
		w->l2c.port = onh->ifidx;
		memcpy(w->l2c.mac, n->mac, ETH_ALEN);
		w->l2c.valid = 1;
		*mac = w->l2c.mac;
	}
	return DROP_NONE;
}

/* Wrap an IPv4 packet in outer IPv4 + GRE toward the peer's NBMA address,
 * then send it out of the tunnel's source port. */
static void gre_encap(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		      struct rte_mbuf *m, uint8_t t, uint32_t nbma, uint16_t proto)
{
	const struct dp_tunnel_rt *tun = &c->tunnels[t];
	uint16_t ghl = tun->has_key ? 8 : 4;
	uint16_t len = (uint16_t)rte_pktmbuf_pkt_len(m);
	const uint8_t *mac;
	struct ipv4_hdr *oh;
	uint32_t gw = nbma;
	uint8_t *g, port;
	unsigned rc = nbma_next_hop(w, nbma, &port, &mac, &gw);

	if (unlikely(rc)) {
		drop(w, m, rc);
		return;
	}
	oh = (struct ipv4_hdr *)rte_pktmbuf_prepend(m, IPV4_HLEN + ghl);
	if (unlikely(!oh)) {
		drop(w, m, DROP_HEADROOM);
		return;
	}
	g = (uint8_t *)(oh + 1);
	g[0] = tun->has_key ? (GRE_F_KEY >> 8) : 0;
	g[1] = 0;
	g[2] = (uint8_t)(proto >> 8);
	g[3] = (uint8_t)proto;
	if (tun->has_key)
		memcpy(g + 4, &tun->key, 4);
	/* DF copied from the inner header would be friendlier to PMTUD; Cisco
	 * clears it by default on GRE, and so do we. */
	ipv4_build(oh, tun->src, nbma, IPPROTO_GRE_, tun->ttl,
		   (uint16_t)(len + IPV4_HLEN + ghl), (uint16_t)w->stats.gre_encap, 0);
	if (unlikely(pkt_meta(m)->flags & PM_F_CONTROL)) {
		/* NHRP: network control, TTL 255, as IOS sends it. */
		oh->tos = 0xc0;
		oh->ttl = 255;
		oh->cksum = 0;
		oh->cksum = ipv4_hdr_cksum(oh, IPV4_HLEN);
	}
	if (tun->flags & TUN_F_PROTECT) {
		struct sa_rt *sa = tables_sa_out_lookup(&w->dp->tables, t, nbma);

		/* Tunnel protection: no SA, no packet (never in clear). */
		if (unlikely(!sa)) {
			drop(w, m, DROP_ESP_NO_SA);
			return;
		}
		if (esp_output(w, c, m, sa, port))
			return;
	}
	w->stats.gre_encap++;
	w->stats.ifs[DP_IF_TUNNEL(t)].tx_packets++;
	w->stats.ifs[DP_IF_TUNNEL(t)].tx_bytes += len;
	if (likely(mac))
		l2_send(w, c, tb, m, port, mac);
	else
		l2_output(w, c, tb, m, port, gw);
}

static void ip_forward(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		       struct rte_mbuf *m, int decrement);

/* A packet enters and leaves the same tunnel: the spoke that sent it could
 * reach the destination directly. Hand the control thread a copy of its
 * head (rate limited) to send a Traffic Indication. */
static void redirect_notice(struct worker *w, struct tx_buf *tb, struct rte_mbuf *m, uint8_t t)
{
	const struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
	struct redirect_rl *rl = &w->redirect_rl[(ih->src ^ ih->dst ^ (ih->dst >> 16)) %
						 REDIRECT_RL_SLOTS];
	uint64_t now = rte_rdtsc();
	uint32_t len = RTE_MIN(rte_pktmbuf_data_len(m), 64u);
	struct rte_mbuf *n;
	uint8_t *d;

	if (rl->src == ih->src && rl->dst == ih->dst && now - rl->tsc < rte_get_tsc_hz())
		return;
	rl->src = ih->src;
	rl->dst = ih->dst;
	rl->tsc = now;
	n = rte_pktmbuf_alloc(w->dp->pool);
	d = n ? (uint8_t *)rte_pktmbuf_append(n, (uint16_t)len) : NULL;
	if (!d) {
		rte_pktmbuf_free(n);
		return;
	}
	memcpy(d, ih, len);
	*pkt_meta(n) = *pkt_meta(m);
	pkt_meta(n)->out_if = t;
	punt(w, tb, n, PUNT_REDIRECT);
}

/* UDP to port 4500 (RFC 3948): a NAT keepalive, IKE after the non-ESP
 * marker (for the control thread), or ESP. Returns 1 when it took m. */
static void local_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
			struct rte_mbuf *m);

static int udp_4500(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		    struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t hl = (size_t)(p[0] & 0xf) * 4, len = rte_pktmbuf_data_len(m);
	const struct udp_hdr *uh = (const void *)(p + hl);
	static const uint8_t marker[4];
	size_t ulen;

	if (len < hl + 8 || uh->dport != rte_cpu_to_be_16(ESP_UDP_PORT))
		return 0;
	if (len == hl + 9 && p[hl + 8] == 0xff) {
		drop(w, m, DROP_NAT_KEEPALIVE);
		return 1;
	}
	if (len < hl + 8 + 4 || !memcmp(p + hl + 8, marker, 4))
		return 0; /* IKE: punted with the rest of local UDP */
	/* ESP fragments are not reassembled (esp_input says so too; a first
	 * fragment's UDP length is the whole datagram's). */
	if (unlikely(((const struct ipv4_hdr *)p)->frag &
		     rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK))) {
		drop(w, m, DROP_IPV4_FRAGMENT_LOCAL);
		return 1;
	}
	/* The ESP ends where the UDP length says (RFC 768): longer than the
	 * datagram is a lie, shorter leaves padding behind (cut off). */
	ulen = rte_be_to_cpu_16(uh->len);
	if (unlikely(ulen < 8 + 4 || ulen > len - hl)) {
		drop(w, m, DROP_ESP_LENGTH);
		return 1;
	}
	if (ulen < len - hl)
		rte_pktmbuf_trim(m, (uint16_t)(len - hl - ulen));
	if (esp_input(w, m, hl + 8, 1) == 0)
		local_input(w, c, tb, m);
	return 1;
}

/* A packet for a tunnel's own or broadcast address, or a multicast or
 * broadcast one that came in by the tunnel, goes to the tunnel's kernel
 * interface (a routing daemon's: OSPF, BGP); without one it is dropped
 * for reason why. Never on the transit path. */
static void kernel_punt(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
			struct rte_mbuf *m, unsigned why)
{
	const struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
	struct pkt_meta *pm = pkt_meta(m);

	for (unsigned t = 0; t < c->n_tunnels && !ipv4_is_martian(ih->src); t++) {
		const struct dp_tunnel_rt *tun = &c->tunnels[t];

		if (!(tun->flags & TUN_F_KERNEL))
			continue;
		if (ih->dst == tun->addr || ih->dst == tun->bcast ||
		    (pm->in_if == DP_IF_TUNNEL(t) &&
		     (ipv4_is_multicast(ih->dst) || ih->dst == 0xffffffff))) {
			pm->out_if = (uint8_t)t;
			punt(w, tb, m, PUNT_KERNEL);
			return;
		}
	}
	drop(w, m, why);
}

/* A packet addressed to us: GRE is decapsulated here, the rest punted. */
static void local_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
			struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct ipv4_hdr *ih = (const void *)p;
	struct pkt_meta *pm = pkt_meta(m);
	struct gre_decap d;
	int rc;
	unsigned t;

	if (ih->proto == 50 /* ESP */ && !(pm->flags & PM_F_ESP)) {
		if (esp_input(w, m, (size_t)(ih->ver_ihl & 0xf) * 4, 0) == 0)
			local_input(w, c, tb, m);
		return;
	}
	if (ih->proto == IPPROTO_UDP_ && !(pm->flags & PM_F_ESP) && udp_4500(w, c, tb, m))
		return;
	if (ih->proto != IPPROTO_GRE_) {
		if (ih->proto == IPPROTO_ICMP_ || ih->proto == IPPROTO_UDP_)
			punt(w, tb, m, PUNT_LOCAL);
		else
			kernel_punt(w, c, tb, m, DROP_LOCAL_UNHANDLED);
		return;
	}
	if (unlikely(pm->depth)) {
		drop(w, m, DROP_GRE_NESTED);
		return;
	}
	rc = pkt_gre_decap_parse(p, rte_pktmbuf_data_len(m), &d);
	if (unlikely(rc)) {
		drop(w, m, (unsigned)rc);
		return;
	}
	/* The tunnel is the one sourced on this address with this key. */
	for (t = 0; t < c->n_tunnels; t++) {
		const struct dp_tunnel_rt *tun = &c->tunnels[t];

		if (tun->src == d.outer.dst && tun->has_key == d.gre.has_key &&
		    (!tun->has_key || rte_be_to_cpu_32(tun->key) == d.gre.key))
			break;
	}
	if (unlikely(t == c->n_tunnels)) {
		drop(w, m, d.gre.has_key ? DROP_GRE_KEY_MISMATCH : DROP_GRE_NO_KEY);
		return;
	}
	if (unlikely((c->tunnels[t].flags & TUN_F_PROTECT) && !(pm->flags & PM_F_ESP))) {
		drop(w, m, DROP_GRE_CLEARTEXT);
		return;
	}
	pm->in_if = (uint8_t)DP_IF_TUNNEL(t);
	pm->nbma_src = d.outer.src;
	w->stats.ifs[pm->in_if].rx_packets++;
	w->stats.ifs[pm->in_if].rx_bytes += d.inner_len;
	if (d.gre.proto == ETHERTYPE_NHRP) {
		/* NHRP is the control thread's; it needs the outer header for the
		 * sender's NBMA address. */
		punt(w, tb, m, PUNT_NHRP);
		return;
	}
	w->stats.gre_decap++;
	rte_pktmbuf_adj(m, d.inner_off);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - d.inner.total_len));
	pm->depth++;
	ip_forward(w, c, tb, m, 1);
}

/* Route an IPv4 packet whose data starts at a validated IPv4 header. */
static void ip_forward(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		       struct rte_mbuf *m, int decrement)
{
	struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct ipv4_hdr *);
	struct pkt_meta *pm = pkt_meta(m);
	const struct nexthop *nh;
	const struct peer_rt *peer;
	uint32_t next;
	uint16_t mtu;

	if (unlikely(ipv4_is_martian(ih->src) || ipv4_is_martian(ih->dst))) {
		kernel_punt(w, c, tb, m, ipv4_is_multicast(ih->dst) ? DROP_IPV4_MULTICAST :
					 DROP_IPV4_MARTIAN);
		return;
	}
	nh = tables_route_lookup(&w->dp->tables, ih->dst);
	if (unlikely(!nh)) {
		drop(w, m, DROP_NO_ROUTE);
		return;
	}
	switch (nh->kind) {
	case NH_LOCAL:
		local_input(w, c, tb, m);
		return;
	case NH_PORT:
	case NH_TUNNEL:
		break;
	default:
		drop(w, m, nh->kind == NH_BLACKHOLE ? DROP_BLACKHOLE : DROP_NO_ROUTE);
		return;
	}
	if (decrement) {
		if (unlikely(ih->ttl <= 1)) {
			/* Counted as a drop; the control thread sends Time Exceeded. */
			w->stats.drops[DROP_TTL_EXCEEDED]++;
			pm->aux = (uint32_t)ICMP_TIME_EXCEEDED << 24;
			punt(w, tb, m, PUNT_ICMP_ERROR);
			return;
		}
		ipv4_ttl_decrement(ih);
	}
	next = nh->gw ? nh->gw : ih->dst;
	mtu = nh->kind == NH_PORT ? c->ports[nh->ifidx].mtu : c->tunnels[nh->ifidx].mtu;
	if (unlikely(rte_pktmbuf_pkt_len(m) > mtu)) {
		/* No fragmentation in the fast path: DF or not, it is dropped
		 * and counted. With DF the sender learns the MTU (RFC 1191). */
		w->stats.drops[DROP_MTU_EXCEEDED]++;
		if (ih->frag & rte_cpu_to_be_16(IPV4_DF)) {
			pm->aux = (uint32_t)ICMP_DEST_UNREACH << 24 | 4u << 16 | mtu;
			punt(w, tb, m, PUNT_ICMP_ERROR);
		} else {
			rte_pktmbuf_free(m);
		}
		return;
	}
	w->stats.forwarded++;
	if (nh->kind == NH_PORT) {
		l2_output(w, c, tb, m, nh->ifidx, next);
		return;
	}
	peer = tables_peer_lookup(&w->dp->tables, nh->ifidx, next);
	if (unlikely(!peer)) {
		/* With an NHS the control thread resolves it and sends this
		 * packet via the NHS meanwhile; without one it is lost. */
		if (c->tunnels[nh->ifidx].flags & TUN_F_RESOLVE) {
			pm->out_if = nh->ifidx;
			pm->aux = next;
			punt(w, tb, m, PUNT_RESOLVE);
		} else {
			drop(w, m, DROP_NHRP_MISS);
		}
		return;
	}
	if (pm->in_if == DP_IF_TUNNEL(nh->ifidx)) {
		w->stats.tunnel_hairpin++;
		if (c->tunnels[nh->ifidx].flags & TUN_F_REDIRECT)
			redirect_notice(w, tb, m, nh->ifidx);
	}
	gre_encap(w, c, tb, m, nh->ifidx, peer->nbma, ETHERTYPE_IPV4);
}

void dp_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	      uint8_t in_port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port_rt *port = &c->ports[in_port];
	struct dp_if_stats *is = &w->stats.ifs[in_port];

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m);
		struct pkt_meta *pm = pkt_meta(m);
		struct ipv4_info ii;
		size_t l3;
		uint16_t type;
		int rc;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		is->rx_packets++;
		is->rx_bytes += rte_pktmbuf_pkt_len(m);
		memset(pm, 0, sizeof(*pm));
		pm->in_if = in_port;
		/* Chained mbufs (jumbo frames) are not parsed across segments. */
		if (unlikely(m->nb_segs != 1)) {
			drop(w, m, DROP_IPV4_LENGTH);
			continue;
		}
		type = pkt_eth_type(f, len, &l3);
		if (unlikely(!type)) {
			drop(w, m, DROP_ETH_TRUNCATED);
			continue;
		}
		/* Unicast frames for another MAC reach us in promiscuous mode. */
		if (unlikely(!(f[0] & 1) && !mac_eq(f, port->mac))) {
			drop(w, m, DROP_ETH_OTHER_HOST);
			continue;
		}
		if (type == ETHERTYPE_ARP) {
			punt(w, tb, m, PUNT_ARP);
			continue;
		}
		if (unlikely(type != ETHERTYPE_IPV4)) {
			drop(w, m, DROP_ETHERTYPE);
			continue;
		}
		rc = ipv4_parse(f + l3, len - l3, &ii);
		if (unlikely(rc)) {
			drop(w, m, (unsigned)rc);
			continue;
		}
		rte_pktmbuf_adj(m, (uint16_t)l3);
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - ii.total_len));
		ip_forward(w, c, tb, m, 1);
	}
}

void dp_inject(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_meta *pm = pkt_meta(m);

		w->stats.injected++;
		if (pm->kind == INJECT_L2 && pm->out_if < c->n_ports) {
			w->stats.ifs[pm->out_if].tx_packets++;
			w->stats.ifs[pm->out_if].tx_bytes += rte_pktmbuf_pkt_len(m);
			tb->pkts[pm->out_if][tb->n[pm->out_if]++] = m;
		} else if (pm->kind == INJECT_L3) {
			pm->depth = 0;
			ip_forward(w, c, tb, m, 0);
		} else if (pm->kind == INJECT_GRE && pm->out_if < c->n_tunnels) {
			/* One copy of a multicast from the kernel interface. */
			gre_encap(w, c, tb, m, pm->out_if, pm->aux, ETHERTYPE_IPV4);
		} else if (pm->kind == INJECT_NHRP && pm->out_if < c->n_tunnels) {
			/* Encapsulated (and protected) like any tunnel packet. */
			pm->flags |= PM_F_CONTROL;
			gre_encap(w, c, tb, m, pm->out_if, pm->aux, ETHERTYPE_NHRP);
		} else {
			drop(w, m, DROP_LOCAL_UNHANDLED);
		}
	}
}

void dp_flush(struct worker *w, const struct dp_conf *c, struct tx_buf *tb)
{
	esp_counters_flush(w);
	for (unsigned p = 0; p < c->n_ports; p++) {
		uint16_t n = tb->n[p], sent;

		if (!n)
			continue;
		sent = rte_eth_tx_burst(c->ports[p].port_id, (uint16_t)w->idx, tb->pkts[p], n);
		if (unlikely(sent < n)) {
			w->stats.drops[DROP_TX_FULL] += n - sent;
			rte_pktmbuf_free_bulk(tb->pkts[p] + sent, n - sent);
		}
		tb->n[p] = 0;
	}
	if (tb->np) {
		unsigned q = rte_ring_enqueue_burst(w->dp->punt, (void **)tb->punt, tb->np, NULL);

		w->stats.punted += q;
		if (q < tb->np) {
			w->stats.drops[DROP_PUNT_RING_FULL] += tb->np - q;
			rte_pktmbuf_free_bulk(tb->punt + q, tb->np - q);
		}
		if (q) {
			uint64_t one = 1;
			/* Wake the control thread; punts are the slow path. */
			if (write(w->dp->punt_efd, &one, sizeof(one)) < 0)
				(void)0;
		}
		tb->np = 0;
	}
}
