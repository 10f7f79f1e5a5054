/* SPDX-License-Identifier: BSD-3-Clause */
/* A worker's bursts: classify, bulk route and NHRP lookups, GRE encap/decap, ARP, punt. */
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "dataplane/decap.h"
#include "dataplane/dp_priv.h"
#include "lib/wire/pkt.h"
#include "lib/wire/proto.h"

/*
 * The shape of a burst (as ipsec-secgw and VPP do it): classify every
 * packet first (Ethernet, IPv4 checks); then one pass routes them (an
 * inline rte_lpm_lookup each: fewer instructions than the bulk call, and
 * the loads of successive packets still overlap) and cuts the tunnel
 * packets into runs by next hop; a run through a gateway takes its peer
 * from the route's next hop, the others' peers are looked up at once
 * (rte_hash bulk lookup, which prefetches buckets and keys), and each run
 * of packets to one peer goes on together (ESP takes a protected
 * tunnel's runs whole). Packets of one flow take the same path, so they
 * stay in order.
 */

#define IPPROTO_ESP_ 50

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

/* The MAC of (port, addr): from the worker's cache while the tables are
 * unchanged, else looked up and cached. NULL when unresolved. */
static inline const uint8_t *neigh_mac(struct worker *w, uint8_t p, uint32_t addr)
{
	uint32_t gen = tables_gen(&w->dp->tables);
	struct neigh_cache *e = &w->nc[((addr ^ p) * 0x9e3779b1u) >> 26 & (DP_NEIGH_CACHE - 1)];
	const struct neigh_rt *n;

	if (likely(e->valid && e->addr == addr && e->port == p && e->gen == gen))
		return e->mac;
	n = tables_neigh_lookup(&w->dp->tables, p, addr);
	if (!n)
		return NULL;
	e->gen = gen;
	e->addr = addr;
	e->port = p;
	memcpy(e->mac, n->mac, ETH_ALEN);
	e->valid = 1;
	return e->mac;
}

void l2_output(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf *m, uint8_t p, uint32_t nh, const uint8_t *mac)
{
	if (!mac)
		mac = neigh_mac(w, p, nh);
	if (unlikely(!mac)) {
		struct pkt_meta *pm = pkt_meta(m);

		if (rte_ring_count(w->dp->punt) + tb->np >= w->dp->punt_neigh_max) {
			dp_drop(w, m, DROP_NEIGH_MISS_QUEUE_FULL);
			return;
		}
		pm->out_if = p;
		pm->aux = nh;
		punt(w, tb, m, PUNT_NEIGH_MISS);
		return;
	}
	dp_l2_send(w, c, tb, m, p, mac);
}

/* The underlay next hop of an NBMA address: the last one's route is
 * cached while the tables are unchanged, the gateway's MAC comes from the
 * neighbour cache. Returns 0 with *port, *gw and *mac (NULL: not resolved
 * yet), or a drop reason. */
static inline unsigned nbma_next_hop(struct worker *w, uint32_t nbma, uint8_t *port,
				     const uint8_t **mac, uint32_t *gw)
{
	const struct dp_tables *t = &w->dp->tables;
	uint32_t gen = tables_gen(t);
	const struct nexthop *onh;

	if (likely(w->l2c.valid && w->l2c.nbma == nbma && w->l2c.gen == gen)) {
		*port = w->l2c.port;
		*gw = w->l2c.gw;
	} else {
		onh = tables_route_lookup(t, nbma);
		/* The underlay route must leave by a port, never through a tunnel. */
		if (unlikely(!onh || onh->kind != NH_PORT))
			return onh ? DROP_TUNNEL_RECURSION : DROP_NO_ROUTE;
		*port = onh->ifidx;
		*gw = onh->gw ? onh->gw : nbma;
		w->l2c.gen = gen;
		w->l2c.nbma = nbma;
		w->l2c.port = *port;
		w->l2c.gw = *gw;
		w->l2c.valid = 1;
	}
	*mac = neigh_mac(w, *port, *gw);
	return DROP_NONE;
}

/* A run of packets to peer nbma of tunnel t, carrying proto. NHRP is
 * network control: TOS 0xc0 and TTL 255, as IOS sends it; the rest has
 * the tunnel's TTL. */
static inline void tun_run_init(struct worker *w, const struct dp_conf *c, struct tun_run *r,
				uint8_t t, uint32_t nbma, uint16_t proto)
{
	int ctl = proto == ETHERTYPE_NHRP;

	r->nbma = nbma;
	r->tunnel = t;
	r->proto = proto;
	r->tos = ctl ? 0xc0 : 0;
	r->ttl = ctl ? 255 : c->tunnels[t].ttl;
	r->gw = nbma;
	r->mac = NULL;
	r->port = 0;
	r->rc = nbma_next_hop(w, nbma, &r->port, &r->mac, &r->gw);
}

/*
 * Wrap a run of n IPv4 packets (or one NHRP message) in outer IPv4 + GRE
 * toward the peer's NBMA address and send them out of the underlay port;
 * a protected tunnel's go to ESP (sa: the peer's outbound SA, NULL:
 * none, and no packet goes out in clear).
 */
static __rte_always_inline void tun_output_body(struct worker *w, const struct dp_conf *c,
						struct tx_buf *tb, const struct tun_run *r,
						struct sa_rt *sa, struct rte_mbuf **pkts,
						unsigned n)
{
	const struct dp_tunnel_rt *tun = &c->tunnels[r->tunnel];
	unsigned ghl = tun->has_key ? 8 : 4, rc = r->rc;
	uint64_t gh = gre_word(tun, r->proto), bytes = 0;
	unsigned sent = 0;
	struct ip_run ip;

	if (!rc && (tun->flags & TUN_F_PROTECT)) {
		if (likely(sa)) {
			esp_output_run(w, c, tb, r, sa, pkts, n);
			return;
		}
		rc = DROP_ESP_NO_SA;
	}
	if (unlikely(rc)) {
		for (unsigned i = 0; i < n; i++)
			dp_drop(w, pkts[i], rc);
		return;
	}
	/* DF copied from the inner header would be friendlier to PMTUD;
	 * Cisco clears it by default on GRE, and so do we. */
	dp_ip_run(&ip, r->tos, r->ttl, IPPROTO_GRE_, tun->src, r->nbma);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t len = (uint16_t)m->pkt_len;
		uint8_t *p;

		if (unlikely(m->data_off < IPV4_HLEN + ghl)) {
			dp_drop(w, m, DROP_HEADROOM);
			continue;
		}
		m->data_off = (uint16_t)(m->data_off - IPV4_HLEN - ghl);
		m->data_len = (uint16_t)(m->data_len + IPV4_HLEN + ghl);
		m->pkt_len += IPV4_HLEN + ghl;
		p = rte_pktmbuf_mtod(m, uint8_t *);
		if (ghl == 8)
			memcpy(p + IPV4_HLEN, &gh, 8);
		else
			memcpy(p + IPV4_HLEN, &gh, 4);
		dp_ip_put_run(p, &ip, (uint16_t)(len + ghl + IPV4_HLEN),
			      (uint16_t)(w->stats.gre_encap + sent++));
		bytes += len;
		l2_output(w, c, tb, m, r->port, r->gw, r->mac);
	}
	/* What was encapsulated: a packet without headroom was dropped. */
	w->stats.gre_encap += sent;
	w->stats.ifs[DP_IF_TUNNEL(r->tunnel)].tx_packets += sent;
	w->stats.ifs[DP_IF_TUNNEL(r->tunnel)].tx_bytes += bytes;
}

static void tun_output(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		       const struct tun_run *r, struct sa_rt *sa, struct rte_mbuf **pkts, unsigned n)
{
	tun_output_body(w, c, tb, r, sa, pkts, n);
}

/* The same for a run of one packet in clear, a hub's usual run (its
 * bursts go to many spokes): the loop folds away (gre-only, 1000 peers:
 * about 5% faster). ESP has its own build for runs of one. */
static __rte_noinline void tun_output_one(struct worker *w, const struct dp_conf *c,
					  struct tx_buf *tb, const struct tun_run *r,
					  struct sa_rt *sa, struct rte_mbuf *m)
{
	tun_output_body(w, c, tb, r, sa, &m, 1);
}

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

/* UDP to port 4500 (RFC 3948): a NAT keepalive (dropped, counted), IKE
 * after the non-ESP marker (0: punted with the rest of local UDP), or ESP
 * (1, *esp_off set, m trimmed to the UDP length). -1: m was dropped. */
static int udp_4500(struct worker *w, struct rte_mbuf *m, uint16_t *esp_off)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t hl = (size_t)(p[0] & 0xf) * 4, len = rte_pktmbuf_data_len(m);
	const struct udp_hdr *uh = (const void *)(p + hl);
	static const uint8_t marker[4];
	size_t ulen;

	if (len < hl + 8 || uh->dport != rte_cpu_to_be_16(ESP_UDP_PORT))
		return 0;
	if (len == hl + 9 && p[hl + 8] == 0xff) {
		dp_drop(w, m, DROP_NAT_KEEPALIVE);
		return -1;
	}
	if (len < hl + 8 + 4 || !memcmp(p + hl + 8, marker, 4))
		return 0; /* IKE: punted with the rest of local UDP */
	/* ESP fragments are not reassembled (esp_input says so too; a first
	 * fragment's UDP length is the whole datagram's). */
	if (unlikely(((const struct ipv4_hdr *)p)->frag &
		     rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK))) {
		dp_drop(w, m, DROP_IPV4_FRAGMENT_LOCAL);
		return -1;
	}
	/* The ESP ends where the UDP length says (RFC 768): longer than the
	 * datagram is a lie, shorter leaves padding behind (cut off). */
	ulen = rte_be_to_cpu_16(uh->len);
	if (unlikely(ulen < 8 + 4 || ulen > len - hl)) {
		dp_drop(w, m, DROP_ESP_LENGTH);
		return -1;
	}
	if (ulen < len - hl)
		rte_pktmbuf_trim(m, (uint16_t)(len - hl - ulen));
	*esp_off = (uint16_t)(hl + 8);
	return 1;
}

/* A packet for one of our addresses: ESP, bare (1, *off and *udp set) or
 * in UDP 4500 (1, likewise), or not ESP (0), or dropped (-1). What came
 * out of ESP is not taken for ESP again. */
static inline int esp_classify(struct worker *w, struct rte_mbuf *m, uint16_t *off, uint8_t *udp)
{
	const struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
	int rc;

	if (pkt_meta(m)->flags & PM_F_ESP)
		return 0;
	if (ih->proto == IPPROTO_ESP_) {
		*off = (uint16_t)((ih->ver_ihl & 0xf) * 4);
		*udp = 0;
		return 1;
	}
	if (ih->proto != IPPROTO_UDP_)
		return 0;
	rc = udp_4500(w, m, off);
	if (rc > 0)
		*udp = 1;
	return rc;
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
	dp_drop(w, m, why);
}

void gre_nhrp_punt(struct worker *w, struct tx_buf *tb, struct rte_mbuf *m, size_t goff, size_t glen)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	size_t hl = (size_t)(p[0] & 0xf) * 4;

	if (goff != hl) {
		struct ipv4_hdr *nh = (struct ipv4_hdr *)(p + goff - hl);

		memmove(nh, p, hl);
		nh->proto = IPPROTO_GRE_;
		nh->total_len = rte_cpu_to_be_16((uint16_t)(hl + glen));
		nh->cksum = 0;
		nh->cksum = ipv4_hdr_cksum(nh, hl);
		m->data_off = (uint16_t)(m->data_off + goff - hl);
	}
	m->data_len = m->pkt_len = (uint32_t)(hl + glen);
	punt(w, tb, m, PUNT_NHRP);
}

void gre_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf *m, struct rte_mbuf **fwd, unsigned *nfwd)
{
	const struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
	size_t hl = (size_t)(ih->ver_ihl & 0xf) * 4;

	/* The header was validated where the packet came in (the port, the
	 * control thread, or the decapsulation that produced it). */
	if (unlikely(ih->frag & rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK))) {
		dp_drop(w, m, DROP_IPV4_FRAGMENT_LOCAL);
		return;
	}
	gre_input_at(w, c, tb, m, hl, rte_be_to_cpu_16(ih->total_len) - hl, fwd, nfwd);
}

/* Packets routed to one of our addresses: ESP (bare or in UDP 4500) is
 * opened as one burst, GRE decapsulated, ICMP and UDP punted. */
static void local_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
			struct rte_mbuf **pkts, unsigned n)
{
	struct rte_mbuf *esp[DP_MAX_BURST], *fwd[DP_MAX_BURST];
	uint16_t off[DP_MAX_BURST];
	uint8_t udp[DP_MAX_BURST];
	unsigned nesp = 0, nfwd = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
		int rc = esp_classify(w, m, &off[nesp], &udp[nesp]);

		if (rc < 0)
			continue;
		if (rc > 0) {
			esp[nesp++] = m;
			continue;
		}
		if (ih->proto != IPPROTO_GRE_) {
			if (ih->proto == IPPROTO_ICMP_ || ih->proto == IPPROTO_UDP_)
				punt(w, tb, m, PUNT_LOCAL);
			else
				kernel_punt(w, c, tb, m, DROP_LOCAL_UNHANDLED);
			continue;
		}
		gre_input(w, c, tb, m, fwd, &nfwd);
	}
	if (nfwd)
		fwd_burst(w, c, tb, fwd, nfwd, 1);
	if (nesp)
		esp_input_burst(w, c, tb, esp, off, udp, nesp);
}

void fwd_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf **pkts, unsigned n, int decrement)
{
	const struct dp_tables *t = &w->dp->tables;
	struct rte_mbuf *local[DP_MAX_BURST], *tun[DP_MAX_BURST];
	/* Runs of consecutive tunnel packets to one gateway of one tunnel:
	 * where each starts in tun, the gateway, the tunnel, its peer (NULL:
	 * to be looked up), and whether a packet of it came in by that tunnel
	 * (a hairpin). */
	uint8_t start[DP_MAX_BURST + 1], hairpin[DP_MAX_BURST];
	uint32_t un[DP_MAX_BURST];
	uint16_t ut[DP_MAX_BURST];
	const struct peer_rt *up[DP_MAX_BURST];
	unsigned nlocal = 0, ntun = 0, nu = 0, forwarded = 0;
	/* The last neighbour this burst sent to, and its MAC (NULL: none yet,
	 * or unresolved). */
	uint32_t l_addr = 0;
	uint8_t l_port = 0xff;
	const uint8_t *l_mac = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct ipv4_hdr *);
		struct pkt_meta *pm = pkt_meta(m);
		const struct nexthop *nh;
		uint32_t a;
		uint16_t mtu;

		if (unlikely(ipv4_is_martian(ih->src) | ipv4_is_martian(ih->dst))) {
			kernel_punt(w, c, tb, m, ipv4_is_multicast(ih->dst) ? DROP_IPV4_MULTICAST :
				    DROP_IPV4_MARTIAN);
			continue;
		}
		/* One lookup per packet, inline (rte_lpm_lookup): cheaper than
		 * the bulk call's passes, and the loads still overlap. */
		nh = tables_route_lookup(t, ih->dst);
		if (unlikely(!nh)) {
			dp_drop(w, m, DROP_NO_ROUTE);
			continue;
		}
		switch (nh->kind) {
		case NH_LOCAL:
			local[nlocal++] = m;
			continue;
		case NH_PORT:
		case NH_TUNNEL:
			break;
		default:
			dp_drop(w, m, nh->kind == NH_BLACKHOLE ? DROP_BLACKHOLE : DROP_NO_ROUTE);
			continue;
		}
		if (decrement) {
			if (unlikely(ih->ttl <= 1)) {
				/* Counted as a drop; the control thread sends Time Exceeded. */
				w->stats.drops[DROP_TTL_EXCEEDED]++;
				pm->aux = (uint32_t)ICMP_TIME_EXCEEDED << 24;
				punt(w, tb, m, PUNT_ICMP_ERROR);
				continue;
			}
			ipv4_ttl_decrement(ih);
		}
		mtu = nh->kind == NH_PORT ? c->ports[nh->ifidx].mtu : c->tunnels[nh->ifidx].mtu;
		if (unlikely(m->pkt_len > mtu)) {
			/* No fragmentation in the fast path: DF or not, it is dropped
			 * and counted. With DF the sender learns the MTU (RFC 1191). */
			w->stats.drops[DROP_MTU_EXCEEDED]++;
			if (ih->frag & rte_cpu_to_be_16(IPV4_DF)) {
				pm->aux = (uint32_t)ICMP_DEST_UNREACH << 24 | 4u << 16 | mtu;
				punt(w, tb, m, PUNT_ICMP_ERROR);
			} else {
				rte_pktmbuf_free(m);
			}
			continue;
		}
		forwarded++;
		a = nh->gw ? nh->gw : ih->dst;
		if (nh->kind == NH_PORT) {
			/* Runs to one neighbour: one neighbour cache lookup. */
			if (a != l_addr || nh->ifidx != l_port) {
				l_addr = a;
				l_port = (uint8_t)nh->ifidx;
				l_mac = neigh_mac(w, l_port, a);
			}
			if (likely(l_mac))
				dp_l2_send(w, c, tb, m, l_port, l_mac);
			else
				l2_output(w, c, tb, m, l_port, a, NULL);
			continue;
		}
		if (!nu || a != un[nu - 1] || nh->ifidx != ut[nu - 1]) {
			start[nu] = (uint8_t)ntun;
			un[nu] = a;
			ut[nu] = nh->ifidx;
			/* Through a gateway NHRP maps, the route knows its peer. */
			up[nu] = tables_nh_peer(nh);
			hairpin[nu++] = 0;
		}
		if (DP_IF_IS_TUNNEL(pm->in_if))
			hairpin[nu - 1] |= pm->in_if == DP_IF_TUNNEL(nh->ifidx);
		tun[ntun++] = m;
	}
	w->stats.forwarded += forwarded;
	if (ntun) {
		/* Runs of packets to one peer (one gateway) need at most one
		 * peer lookup, one next hop and one reservation of sequence
		 * numbers. */
		uint32_t mn[DP_MAX_BURST];
		uint16_t mt[DP_MAX_BURST];
		uint8_t mu[DP_MAX_BURST];
		unsigned nm = 0;

		start[nu] = (uint8_t)ntun;
		/* The rest (connected destinations, or a peer changing just
		 * now) in one bulk lookup. */
		for (unsigned u = 0; u < nu; u++) {
			if (!up[u]) {
				mn[nm] = un[u];
				mt[nm] = ut[u];
				mu[nm++] = (uint8_t)u;
			}
		}
		if (nm) {
			const struct peer_rt *mp[DP_MAX_BURST];

			tables_peer_lookup_bulk(t, mt, mn, nm, mp);
			for (unsigned k = 0; k < nm; k++)
				up[mu[k]] = mp[k];
		}
		/* The peers, then their SAs, ahead of their use. */
		for (unsigned u = 0; u < nu; u++)
			if (up[u])
				rte_prefetch0(up[u]);
		for (unsigned u = 0; u < nu; u++)
			if (up[u] && up[u]->sa_out)
				sa_rt_prefetch(up[u]->sa_out);
		for (unsigned u = 0; u < nu; u++) {
			const struct peer_rt *peer = up[u];
			uint8_t ti = (uint8_t)ut[u];
			struct tun_run r;

			if (unlikely(!peer)) {
				/* With an NHS the control thread resolves it and sends
				 * these packets via the NHS meanwhile; without one
				 * they are lost. */
				for (unsigned i = start[u]; i < start[u + 1]; i++) {
					if (c->tunnels[ti].flags & TUN_F_RESOLVE) {
						pkt_meta(tun[i])->out_if = ti;
						pkt_meta(tun[i])->aux = un[u];
						punt(w, tb, tun[i], PUNT_RESOLVE);
					} else {
						dp_drop(w, tun[i], DROP_NHRP_MISS);
					}
				}
				continue;
			}
			for (unsigned i = start[u]; hairpin[u] && i < start[u + 1]; i++) {
				if (pkt_meta(tun[i])->in_if == DP_IF_TUNNEL(ti)) {
					w->stats.tunnel_hairpin++;
					if (c->tunnels[ti].flags & TUN_F_REDIRECT)
						redirect_notice(w, tb, tun[i], ti);
				}
			}
			tun_run_init(w, c, &r, ti, peer->nbma, ETHERTYPE_IPV4);
			if (start[u + 1] - start[u] == 1 && !(c->tunnels[ti].flags & TUN_F_PROTECT))
				tun_output_one(w, c, tb, &r, peer->sa_out, tun[start[u]]);
			else
				tun_output(w, c, tb, &r, peer->sa_out, &tun[start[u]],
					   start[u + 1] - start[u]);
		}
	}
	if (nlocal)
		local_burst(w, c, tb, local, nlocal);
}

void dp_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	      uint8_t in_port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port_rt *port = &c->ports[in_port];
	struct dp_if_stats *is = &w->stats.ifs[in_port];
	struct rte_mbuf *fwd[DP_MAX_BURST], *local[DP_MAX_BURST], *esp[DP_MAX_BURST];
	uint16_t eoff[DP_MAX_BURST];
	uint8_t eudp[DP_MAX_BURST];
	unsigned nfwd = 0, nlocal = 0, nesp = 0;
	uint64_t rx_bytes = 0;

	for (uint16_t i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m);
		struct pkt_meta *pm = pkt_meta(m);
		const struct ipv4_hdr *ih;
		size_t l3;
		uint16_t type, tlen;
		int rc;

		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		rx_bytes += m->pkt_len;
		*pm = (struct pkt_meta){.in_if = in_port};
		/* Chained mbufs (jumbo frames) are not parsed across segments. */
		if (unlikely(m->nb_segs != 1)) {
			dp_drop(w, m, DROP_IPV4_LENGTH);
			continue;
		}
		if (unlikely(len < ETH_HLEN)) {
			dp_drop(w, m, DROP_ETH_TRUNCATED);
			continue;
		}
		l3 = ETH_HLEN;
		type = (uint16_t)(f[12] << 8 | f[13]);
		/* Unicast frames for another MAC reach us in promiscuous mode. */
		if (unlikely(!(f[0] & 1) && !mac_eq(f, port->mac))) {
			dp_drop(w, m, DROP_ETH_OTHER_HOST);
			continue;
		}
		if (type == ETHERTYPE_ARP) {
			punt(w, tb, m, PUNT_ARP);
			continue;
		}
		if (unlikely(type != ETHERTYPE_IPV4)) {
			dp_drop(w, m, DROP_ETHERTYPE);
			continue;
		}
		rc = ipv4_parse_fast(f + l3, len - l3, &tlen);
		if (unlikely(rc)) {
			dp_drop(w, m, (unsigned)rc);
			continue;
		}
		/* One segment, and total_len fits in it (the parse checked). */
		m->data_off = (uint16_t)(m->data_off + l3);
		m->data_len = m->pkt_len = tlen;
		/* To this port's own address (ESP, IKE, GRE from the peers): the
		 * route lookup would say local, so it is skipped. */
		ih = (const struct ipv4_hdr *)(f + l3);
		if (ih->dst == port->addr && port->addr && !ipv4_is_martian(ih->src)) {
			/* ESP, bare or in UDP 4500, straight to ESP in arrival
			 * order (as local_burst would send it); the rest by
			 * local_burst. */
			rc = esp_classify(w, m, &eoff[nesp], &eudp[nesp]);
			if (rc > 0)
				esp[nesp++] = m;
			else if (rc == 0)
				local[nlocal++] = m;
		} else {
			fwd[nfwd++] = m;
		}
	}
	is->rx_packets += n;
	is->rx_bytes += rx_bytes;
	if (nfwd)
		fwd_burst(w, c, tb, fwd, nfwd, 1);
	if (nlocal)
		local_burst(w, c, tb, local, nlocal);
	if (nesp)
		esp_input_burst(w, c, tb, esp, eoff, eudp, nesp);
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
			fwd_burst(w, c, tb, &m, 1, 0);
		} else if ((pm->kind == INJECT_NHRP || pm->kind == INJECT_GRE) &&
			   pm->out_if < c->n_tunnels) {
			/* NHRP, or one copy of a multicast from the kernel interface:
			 * encapsulated (and protected) like any tunnel packet. */
			struct sa_rt *sa = NULL;
			struct tun_run r;

			if (c->tunnels[pm->out_if].flags & TUN_F_PROTECT)
				sa = tables_sa_out_lookup(&w->dp->tables, pm->out_if, pm->aux);
			tun_run_init(w, c, &r, pm->out_if, pm->aux,
				     pm->kind == INJECT_NHRP ? ETHERTYPE_NHRP : ETHERTYPE_IPV4);
			tun_output(w, c, tb, &r, sa, &m, 1);
		} else {
			dp_drop(w, m, DROP_LOCAL_UNHANDLED);
		}
	}
}

void dp_flush(struct worker *w, const struct dp_conf *c, struct tx_buf *tb)
{
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
