/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP on GRE packets in bursts: transport or tunnel mode, optionally in UDP (RFC 4303, RFC 3948). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "dataplane/decap.h"
#include "dataplane/dp_priv.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/proto.h"

#define IPPROTO_ESP_ 50
#define IPPROTO_IPIP_ 4

/* A run's counts, written to the counters once at its end. */
struct out_acc {
	uint64_t sent, protected;   /* sealed; bytes ESP protected */
	uint64_t framed, wire;      /* of those, framed for the port now; their bytes */
};

/* Queue a sealed packet (data at its Ethernet header when the run's next
 * hop has a MAC, else at its IPv4 header, for ARP to resolve). */
static inline void esp_out_queue(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
				 const struct tun_run *r, struct rte_mbuf *m, unsigned len,
				 struct out_acc *a)
{
	a->sent++;
	a->protected += len;
	if (likely(r->mac)) {
		a->framed++;
		a->wire += m->pkt_len;
		tb->pkts[r->port][tb->n[r->port]++] = m;
	} else {
		l2_output(w, c, tb, m, r->port, r->gw, NULL);
	}
}

/* The Ethernet header from src to dst for IPv4 and the first two bytes of
 * the IPv4 header (version and length 0x45, tos) as one 16-byte value,
 * put together in registers (with a byte array, the compiler splices
 * each byte in with masks). */
static inline __m128i eth_ipv4_head(const uint8_t *dst, const uint8_t *src, uint8_t tos)
{
	uint32_t d0, s1;
	uint16_t d1, s0;

	memcpy(&d0, dst, 4);
	memcpy(&d1, dst + 4, 2);
	memcpy(&s0, src, 2);
	memcpy(&s1, src + 2, 4);
	return _mm_set_epi64x((long long)(s1 | (uint64_t)0x08 << 32 | (uint64_t)0x45 << 48 |
					  (uint64_t)tos << 56),
			      (long long)(d0 | (uint64_t)d1 << 32 | (uint64_t)s0 << 48));
}

/* Lifetime limit of the sequence numbers of sa: the hard packet limit,
 * and 2^32 - 1 without ESN. */
static inline uint64_t seq_limit(const struct sa_rt *sa)
{
	uint64_t lim = sa->flags & SA_F_ESN ? UINT64_MAX : UINT32_MAX;

	return sa->hard_packets && sa->hard_packets < lim ? sa->hard_packets : lim;
}

/* Reserve n sequence numbers of sa; the last one reserved before them is
 * returned. With one worker there is one writer: a plain add (atomic for
 * readers); with more, one atomic add per run. */
static inline uint64_t seq_reserve(struct sa_rt *sa, unsigned n)
{
	uint64_t s;

	if (sa->n_workers <= 1) {
		s = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED);
		__atomic_store_n(&sa->seq, s + n, __ATOMIC_RELAXED);
		return s;
	}
	return __atomic_fetch_add(&sa->seq, n, __ATOMIC_RELAXED);
}

/*
 * A run of packets to one peer through its SA (fwd_burst gives runs of
 * consecutive packets to one peer; an injection is a run of one). The
 * data starts at the packet the GRE header is to carry. Checks first
 * (lifetime, MTU, room), so that only what will be sent takes a sequence
 * number: one reservation for the run. Then each packet's headers are
 * written in one go in front of it (Ethernet when the next hop's MAC is
 * known, outer IPv4, UDP, ESP header and IV, tunnel mode's inner IPv4,
 * GRE) and its trailer behind it; once the whole run is framed, GCM seals
 * the packets one by one (other algorithms: one esp_seal_burst for the
 * run, whose CBC+HMAC is multi-buffer). Counters are written once per run.
 */
static __rte_always_inline void esp_output_body(struct worker *w, const struct dp_conf *c,
						struct tx_buf *tb, const struct tun_run *r,
						struct sa_rt *sa, struct rte_mbuf **pkts, unsigned n,
						const int fast)
{
	const struct dp_tunnel_rt *tun = &c->tunnels[r->tunnel];
	const struct esp_crypto *cr = &sa->crypto;
	const int tunnel = fast ? 0 : sa->flags & SA_F_TUNNEL, gcm = fast ? 1 : esp_is_gcm(cr);
	const int esn = sa->flags & SA_F_ESN;
	const unsigned udp = fast ? 0 : sa->flags & SA_F_UDP ? 8 : 0;
	const unsigned ghl = fast ? 8 : tun->has_key ? 8 : 4;
	const unsigned hl = fast ? ESP_HDR_LEN + 8 : (unsigned)esp_header_len(cr);
	const unsigned eth = fast ? ETH_HLEN : r->mac ? ETH_HLEN : 0;
	/* From the outer IPv4 header: the ESP header, its payload (tunnel:
	 * the inner IPv4 header; transport: the GRE header), the GRE header. */
	const unsigned esp_at = IPV4_HLEN + udp, pl_at = esp_at + hl;
	const unsigned gre_at = pl_at + (tunnel ? IPV4_HLEN : 0), grow = gre_at + ghl;
	const unsigned mtu = c->ports[r->port].mtu;
	const uint8_t next_hdr = tunnel ? IPPROTO_IPIP_ : IPPROTO_GRE_;
	/* Tunnel mode toward a policy with other addresses (a peer behind a
	 * NAT, or we are): the inner header carries them. */
	const uint32_t in_src = sa->inner_local ? sa->inner_local : tun->src;
	const uint32_t in_dst = sa->inner_remote ? sa->inner_remote : r->nbma;
	/* The run's constants in locals: the packet stores below would make
	 * the compiler read them again each time. */
	const unsigned inner_hl = ghl + (tunnel ? IPV4_HLEN : 0);
	const int alg_ok = fast || (unsigned)cr->alg < ESP_ALG__COUNT;
	const unsigned bmask = fast ? 3 : alg_ok ? cr->block - 1u : 0;
	const unsigned tadd = fast ? 2 + 16 : alg_ok ? 2u + cr->icv_len : 0;
	const uint8_t *mac = r->mac, *port_mac = c->ports[r->port].mac;
	const uint8_t tos = r->tos, ttl = r->ttl;
	const uint32_t src = tun->src, dst = r->nbma, spi = sa->spi_be;
	const uint16_t udp_dport = sa->udp_dport_be;
	IMB_MGR *const mb = w->mb;
	uint64_t gh = gre_word(tun, r->proto), bytes, base, lim, room, hard_bytes;
	struct rte_mbuf *ok[DP_MAX_BURST];
	uint16_t pl[DP_MAX_BURST];
	uint8_t trl[DP_MAX_BURST];
	/* GCM packets between framing and encryption. */
	uint8_t *gp[DP_MAX_BURST];
	uint64_t gseq[DP_MAX_BURST];
	uint16_t gct[DP_MAX_BURST];
	unsigned ngcm = 0;
	struct esp_op *ops = w->ops;
	struct out_acc acc = {0};
	struct ip_run oip, iip;
	__m128i ethv = _mm_setzero_si128();
	unsigned cnt = 0, nops = 0;
	uint16_t id = (uint16_t)w->stats.gre_encap;

	if (unlikely(sa->expired)) {
		for (unsigned i = 0; i < n; i++)
			dp_drop(w, pkts[i], DROP_ESP_EXPIRED);
		return;
	}
	/* What the SA has left: packets of other workers not yet counted
	 * are at most a burst each, so the byte limit is exact per worker. */
	lim = seq_limit(sa);
	base = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED);
	room = lim > base ? lim - base : 0;
	if (!sa->hard_packets)
		room = UINT64_MAX; /* the sequence space is checked per packet below */
	hard_bytes = sa->hard_bytes;
	bytes = hard_bytes ? sa_rt_out_bytes(sa) : 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		/* What ESP protects: GRE and its packet (tunnel: with the
		 * IPv4 header in front); the trailer: pad, pad length, next
		 * header, ICV (esp_trailer_len, with the SA's constants). */
		unsigned len = m->pkt_len + inner_hl, tr = ((0u - (len + 2)) & bmask) + tadd;

		if (unlikely(cnt >= room || (hard_bytes && bytes >= hard_bytes))) {
			dp_drop(w, m, DROP_ESP_EXPIRED);
			continue;
		}
		if (unlikely(m->pkt_len + grow + tr > mtu)) {
			dp_drop(w, m, DROP_MTU_EXCEEDED);
			continue;
		}
		if (unlikely(m->data_off < grow + eth || rte_pktmbuf_tailroom(m) < tr)) {
			dp_drop(w, m, DROP_HEADROOM);
			continue;
		}
		bytes += len;
		pl[cnt] = (uint16_t)len;
		trl[cnt] = (uint8_t)tr;
		ok[cnt++] = m;
	}
	if (!cnt)
		return;
	/* The run's constant header parts: the Ethernet header with the first
	 * two bytes of the IPv4 header behind it (one 16-byte store, the
	 * IPv4 header's own stores overlap it), and the IPv4 headers'. */
	dp_ip_run(&oip, tos, ttl, udp ? IPPROTO_UDP_ : IPPROTO_ESP_, src, dst);
	if (tunnel)
		dp_ip_run(&iip, tos, ttl, IPPROTO_GRE_, in_src, in_dst);
	if (eth)
		ethv = eth_ipv4_head(mac, port_mac, tos);
	/* The one write to the shared sequence number of this run. */
	base = seq_reserve(sa, cnt);
	for (unsigned j = 0; j < cnt; j++) {
		struct rte_mbuf *m = ok[j];
		uint64_t seq = base + 1 + j;
		unsigned len = pl[j], tr = trl[j], esp_len = hl + len + tr;
		uint8_t *p;

		if (unlikely(seq > lim)) {
			/* Another worker took the last numbers meanwhile. */
			dp_drop(w, m, sa->hard_packets && seq > sa->hard_packets ?
				DROP_ESP_EXPIRED : DROP_ESP_SEQ_OVERFLOW);
			continue;
		}
		m->data_off = (uint16_t)(m->data_off - grow - eth);
		m->data_len = (uint16_t)(m->data_len + grow + eth + tr);
		m->pkt_len += grow + eth + tr;
		p = rte_pktmbuf_mtod(m, uint8_t *);
		if (eth) {
			_mm_storeu_si128((__m128i *)(void *)p, ethv);
			p += ETH_HLEN;
		}
		if (ghl == 8)
			memcpy(p + gre_at, &gh, 8);
		else
			memcpy(p + gre_at, &gh, 4);
		dp_ip_put_run(p, &oip, (uint16_t)(esp_at + esp_len), (uint16_t)(id + j));
		if (tunnel)
			dp_ip_put_run(p + pl_at, &iip, (uint16_t)len, (uint16_t)(id + j));
		if (udp) {
			struct udp_hdr *uh = (struct udp_hdr *)(p + IPV4_HLEN);

			uh->sport = rte_cpu_to_be_16(ESP_UDP_PORT);
			uh->dport = udp_dport;
			uh->len = rte_cpu_to_be_16((uint16_t)(8 + esp_len));
			uh->cksum = 0; /* RFC 3948 2.1: may be zero */
		}
		if (gcm) {
			/* Framed now, encrypted below, once the whole run is
			 * framed: by then these stores are in the cache, and
			 * the library's wide loads of the payload need not wait
			 * for them. */
			gct[ngcm] = (uint16_t)esp_gcm_frame(p + esp_at, len, spi, seq, next_hdr);
			gseq[ngcm] = seq;
			gp[ngcm] = p + esp_at;
			ok[ngcm] = m;
			pl[ngcm++] = (uint16_t)len;
			continue;
		}
		{
			struct esp_op *op = &ops[nops];

			op->c = cr;
			op->esp = p + esp_at;
			op->len = len;
			op->spi_be = spi;
			op->seq = seq;
			op->esn = !!esn;
			op->next_hdr = next_hdr;
			ok[nops++] = m;
		}
	}
	if (fast || likely(mac)) {
		/* The usual case: straight into the port's queue. */
		struct rte_mbuf **q = &tb->pkts[r->port][tb->n[r->port]];

		for (unsigned j = 0; j < ngcm; j++) {
			esp_gcm_encrypt(mb, cr, gp[j], gct[j], spi, gseq[j], esn);
			q[j] = ok[j];
			acc.protected += pl[j];
			acc.wire += ok[j]->pkt_len;
		}
		tb->n[r->port] = (uint16_t)(tb->n[r->port] + ngcm);
		acc.sent = acc.framed = ngcm;
	} else {
		for (unsigned j = 0; j < ngcm; j++) {
			esp_gcm_encrypt(mb, cr, gp[j], gct[j], spi, gseq[j], esn);
			esp_out_queue(w, c, tb, r, ok[j], pl[j], &acc);
		}
	}
	if (nops) {
		esp_seal_burst(mb, ops, nops);
		for (unsigned j = 0; j < nops; j++) {
			if (unlikely(!ops[j].out_len)) {
				dp_drop(w, ok[j], DROP_ESP_LENGTH);
				continue;
			}
			esp_out_queue(w, c, tb, r, ok[j], ops[j].len, &acc);
		}
	}
	sa->out[w->idx].packets += acc.sent;
	sa->out[w->idx].bytes += acc.protected;
	w->stats.ifs[DP_IF_TUNNEL(r->tunnel)].tx_packets += acc.sent;
	w->stats.ifs[DP_IF_TUNNEL(r->tunnel)].tx_bytes += acc.protected - acc.sent * inner_hl;
	w->stats.gre_encap += acc.sent;
	w->stats.ifs[r->port].tx_packets += acc.framed;
	w->stats.ifs[r->port].tx_bytes += acc.wire;
}

/* The body built for what a DMVPN almost always has (transport mode, no
 * UDP, AES-GCM with its 8-byte IV and 16-byte ICV, a GRE key, the next
 * hop's MAC known), where the shape of the headers is constant and its
 * branches fold away; within that once more for a run of one packet (a
 * hub's bursts go to many spokes: 1000 peers took 130 instructions a
 * packet less, the loops and arrays folded away); and once for
 * everything else. */
void esp_output_run(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		    const struct tun_run *r, struct sa_rt *sa, struct rte_mbuf **pkts, unsigned n)
{
	const struct esp_crypto *cr = &sa->crypto;

	if (likely(!(sa->flags & (SA_F_TUNNEL | SA_F_UDP)) && esp_is_gcm(cr) &&
		   cr->iv_len == 8 && cr->icv_len == 16 && cr->block == 4 &&
		   c->tunnels[r->tunnel].has_key && r->mac)) {
		if (n == 1) /* a hub's usual run: every packet to another spoke */
			esp_output_body(w, c, tb, r, sa, pkts, 1, 1);
		else
			esp_output_body(w, c, tb, r, sa, pkts, n, 1);
	} else {
		esp_output_body(w, c, tb, r, sa, pkts, n, 0);
	}
}

/* Replace an IPv4 header's addresses, the checksum patched as RFC 1624
 * eqn. 3 (over native 16-bit words: RFC 1071, byte order independent). */
static inline void esp_inner_readdress(struct ipv4_hdr *h, uint32_t src, uint32_t dst)
{
	uint32_t sum = (uint16_t)~h->cksum;

	sum += (uint16_t)~(h->src & 0xffff) + (uint16_t)~(h->src >> 16) +
	       (uint16_t)~(h->dst & 0xffff) + (uint16_t)~(h->dst >> 16) + (src & 0xffff) +
	       (src >> 16) + (dst & 0xffff) + (dst >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	h->cksum = (uint16_t)~sum;
	h->src = src;
	h->dst = dst;
}

/* Whether packet m (IPv4 at p, ESP off bytes in, udp: in UDP) came the
 * way its inbound SA is bound to: from the SA's peer, and in UDP from the
 * peer's port (RFC 3948: a NAT's mapping, moved only by an authenticated
 * IKE message, ipsec_sa_rebind), to its tunnel's address on the port the
 * tunnel is sourced on. */
static __rte_always_inline int esp_in_bound(const struct dp_conf *c, const struct sa_rt *sa,
					    struct rte_mbuf *m, const uint8_t *p, unsigned off,
					    int udp)
{
	const struct ipv4_hdr *ih = (const void *)p;
	const struct dp_tunnel_rt *tun = &c->tunnels[sa->tunnel];
	uint16_t sport;

	if (ih->src != sa->peer || ih->dst != tun->src || pkt_meta(m)->in_if != tun->source)
		return 0;
	if (!udp)
		return 1;
	/* The UDP header is right in front of the ESP header. */
	memcpy(&sport, p + off - 8, 2);
	return sport == sa->udp_dport_be && sport != 0;
}

/* What opened m: decapsulation takes it for its SA's tunnel's GRE only. */
static inline void esp_in_mark(struct rte_mbuf *m, const struct sa_rt *sa)
{
	pkt_meta(m)->flags |= PM_F_ESP;
	pkt_meta(m)->sa_tunnel = sa->tunnel;
}

static inline int sa_in_spent(const struct sa_rt *sa)
{
	return (sa->hard_packets && sa->packets >= sa->hard_packets) ||
	       (sa->hard_bytes && sa->bytes >= sa->hard_bytes);
}

/* An ESN SA's packets within one round of a burst: the highest number
 * taken so far, and whether later ones wait for the next round. */
struct esn_round {
	struct sa_rt *sa;
	uint64_t max;
};

/*
 * A packet of sa that ESP opened (st: its esp_error) at ESP offset off:
 * drop it on failure, else move the window, count, and
 * hand the GRE packet inside on (fwd). The caller checked the window and
 * the lifetime against what earlier packets left.
 */
static __rte_always_inline void esp_in_done(struct worker *w, const struct dp_conf *c,
					    struct tx_buf *tb, struct rte_mbuf *m,
					    struct sa_rt *sa, unsigned off, uint64_t seq,
					    int st, const struct esp_opened *o,
					    struct rte_mbuf **fwd, unsigned *nfwd)
{
	uint8_t *p;

	if (unlikely(st != ESP_OK)) {
		sa->errors++;
		dp_drop(w, m, st == ESP_E_ICV ? DROP_ESP_ICV :
			st == ESP_E_PAD ? DROP_ESP_PAD : DROP_ESP_LENGTH);
		return;
	}
	if (likely(!(sa->flags & SA_F_NO_REPLAY)))
		replay_update(&sa->replay, seq);
	sa->packets++;
	sa->bytes += o->payload_len;
	if (sa->flags & SA_F_TUNNEL) {
		struct ipv4_info ii;
		/* The address the packet reached us on: our NBMA. */
		uint32_t ours = rte_pktmbuf_mtod(m, const struct ipv4_hdr *)->dst;

		if (unlikely(o->next_hdr != IPPROTO_IPIP_)) {
			dp_drop(w, m, DROP_ESP_POLICY);
			return;
		}
		m->data_off = (uint16_t)(m->data_off + off + o->payload_off);
		m->data_len = m->pkt_len = o->payload_len;
		p = rte_pktmbuf_mtod(m, uint8_t *);
		/* The inner packet must be the SA's GRE between the same peers. */
		if (unlikely(ipv4_parse(p, o->payload_len, &ii) || ii.proto != IPPROTO_GRE_ ||
			     (!(sa->flags & (SA_F_INNER | SA_F_UDP)) &&
			      (ii.src != sa->peer || ii.dst != ours)))) {
			dp_drop(w, m, DROP_ESP_POLICY);
			return;
		}
		/* Only the selectors the SA was agreed for. */
		if (unlikely((sa->flags & SA_F_INNER) &&
			     (ii.src != (sa->inner_remote ? sa->inner_remote : sa->peer) ||
			      ii.dst != (sa->inner_local ? sa->inner_local : ours)))) {
			dp_drop(w, m, DROP_ESP_SELECTOR);
			return;
		}
		/* Then the NBMA addresses NHRP and the tunnel lookup know: the
		 * SA's peer and our address stand for the selectors, and in UDP
		 * without selectors for whatever the NATs left (a private
		 * address behind one), so NHRP sees the sender the SA
		 * authenticated, never one the packet names. */
		if (ii.src != sa->peer || ii.dst != ours)
			esp_inner_readdress((struct ipv4_hdr *)p, sa->peer, ours);
		esp_in_mark(m, sa);
		gre_input(w, c, tb, m, fwd, nfwd);
		return;
	}
	if (unlikely(o->next_hdr != IPPROTO_GRE_)) {
		dp_drop(w, m, DROP_ESP_POLICY);
		return;
	}
	/* The GRE datagram stays where it is, behind the outer header and
	 * the ESP header. */
	esp_in_mark(m, sa);
	gre_input_at(w, c, tb, m, off + o->payload_off, o->payload_len, fwd, nfwd);
}

/* esp_in_done out of line, for the batched (CBC+HMAC) packets: GCM's,
 * the usual case, have it inline. */
static __rte_noinline void esp_in_done_batched(struct worker *w, const struct dp_conf *c,
					       struct tx_buf *tb, struct rte_mbuf *m,
					       struct sa_rt *sa, unsigned off, uint64_t seq,
					       int st, const struct esp_opened *o,
					       struct rte_mbuf **fwd, unsigned *nfwd)
{
	esp_in_done(w, c, tb, m, sa, off, seq, st, o, fwd, nfwd);
}

/*
 * One bulk SPI lookup for the burst; then, in arrival order, the checks
 * that need no cryptography (length, SA, lifetime, policy, the replay
 * window). A packet of a GCM SA is then opened at once (the direct API
 * is one packet at a time anyway), judged, and the window moved, so it
 * is exactly sequential processing; that holds until a packet of another
 * algorithm has been batched (then the rest are batched too, to keep the
 * arrival order). The batched ones (CBC+HMAC, whose job API is
 * multi-buffer) go to one esp_open_burst; then, in arrival order, each is
 * judged as if alone, against the window as the packets before it left
 * it: lifetime, replay (again: the window may have moved; a window only
 * ever rejects more, so the first check lost nothing), ICV, and the
 * window is updated for what verified. The GRE packets then go on
 * together.
 *
 * With ESN in a batch, the high half of a number is inferred from the
 * window, which packets earlier in the burst may move. A packet whose inference could
 * change that way (it would fall left of the window they may make) waits
 * for the next round, with all packets after it (so the order holds), and
 * every ICV is computed with the number sequential processing would use
 * (RFC 4303 A2: a rollover within one burst is the usual case of this).
 */
void esp_input_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		     struct rte_mbuf **pkts, const uint16_t *off, const uint8_t *udp, unsigned n)
{
	struct rte_mbuf *mv[DP_MAX_BURST], *fwd[DP_MAX_BURST], *dm[DP_MAX_BURST];
	struct sa_rt *osa[DP_MAX_BURST], *us[DP_MAX_BURST];
	struct esn_round er[DP_MAX_BURST];
	uint32_t uspi[DP_MAX_BURST];
	uint16_t offv[DP_MAX_BURST], doff[DP_MAX_BURST];
	uint8_t udpv[DP_MAX_BURST], dudp[DP_MAX_BURST], map[DP_MAX_BURST];
	struct esp_op *ops = w->ops;
	/* This round's packets: the burst, then those that wait. */
	struct rte_mbuf **in = pkts;
	const uint16_t *ino = off;
	const uint8_t *inu = udp;
	unsigned k = n;

	while (k) {
		unsigned nops = 0, nfwd = 0, nd = 0, ner = 0, nu = 0, kk = 0;

		/* The checks of the outer header, and runs of one SPI, which
		 * need one lookup. */
		for (unsigned i = 0; i < k; i++) {
			struct rte_mbuf *m = in[i];
			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
			const struct ipv4_hdr *ih = (const void *)p;
			uint32_t spi;

			if (unlikely(ih->frag & rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK))) {
				dp_drop(w, m, DROP_IPV4_FRAGMENT_LOCAL);
				continue;
			}
			if (unlikely(m->data_len < (uint32_t)ino[i] + ESP_HDR_LEN)) {
				dp_drop(w, m, DROP_ESP_LENGTH);
				continue;
			}
			memcpy(&spi, p + ino[i], 4);
			if (!nu || spi != uspi[nu - 1])
				uspi[nu++] = spi;
			map[kk] = (uint8_t)(nu - 1);
			mv[kk] = m;
			offv[kk] = ino[i];
			udpv[kk++] = inu[i];
		}
		tables_sa_in_lookup_bulk(&w->dp->tables, uspi, nu, (void **)us);
		for (unsigned u = 0; u < nu; u++) {
			if (us[u]) {
				sa_rt_prefetch(us[u]);
				rte_prefetch0(&us[u]->replay);
			}
		}
		for (unsigned i = 0; i < kk; i++) {
			struct rte_mbuf *m = mv[i];
			uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
			struct sa_rt *sa = us[map[i]];
			struct esp_op *op;
			uint32_t seq_lo;
			uint64_t seq;
			int esn, now;

			/* Once one packet waits, all after it do: the order holds. */
			if (unlikely(nd)) {
				dm[nd] = m;
				doff[nd] = offv[i];
				dudp[nd++] = udpv[i];
				continue;
			}
			if (unlikely(!sa)) {
				dp_drop(w, m, DROP_ESP_NO_SA);
				continue;
			}
			if (unlikely(sa->expired || sa_in_spent(sa))) {
				dp_drop(w, m, DROP_ESP_EXPIRED);
				continue;
			}
			/* The encapsulation is the SA's: bare ESP for an SA in UDP, or
			 * ESP in UDP for an SA without, is refused. */
			if (unlikely(!udpv[i] != !(sa->flags & SA_F_UDP))) {
				dp_drop(w, m, DROP_ESP_POLICY);
				continue;
			}
			/* And so is the SA's binding, before the window is read: a
			 * copy sent from elsewhere (another address, a NAT's other
			 * port, another of our addresses or ports) could reach
			 * another worker, a second writer of the window. */
			if (unlikely(!esp_in_bound(c, sa, m, p, offv[i], udpv[i]))) {
				dp_drop(w, m, DROP_ESP_PEER);
				continue;
			}
			esn = sa->flags & SA_F_ESN;
			/* GCM is opened at once while nothing waits in the batch,
			 * so packets leave in arrival order. */
			now = !nops && esp_is_gcm(&sa->crypto);
			memcpy(&seq_lo, p + offv[i] + 4, 4);
			seq = rte_be_to_cpu_32(seq_lo);
			if (likely(!(sa->flags & SA_F_NO_REPLAY))) {
				seq = replay_infer(&sa->replay, (uint32_t)seq, esn);
				if (unlikely(esn) && !now) {
					unsigned r;

					for (r = 0; r < ner && er[r].sa != sa; r++)
						;
					if (r == ner) {
						er[ner].sa = sa;
						er[ner++].max = seq;
					} else if (seq + sa->replay.size <=
						   RTE_MAX(sa->replay.top, er[r].max)) {
						/* Left of the window the packets before it
						 * may make: its high half may change. */
						dm[nd] = m;
						doff[nd] = offv[i];
						dudp[nd++] = udpv[i];
						continue;
					} else {
						er[r].max = RTE_MAX(er[r].max, seq);
					}
				}
				/* Anti-replay before any cryptography, so a flood of
				 * replays is cheap and nothing about the SA changes. */
				if (unlikely(replay_check(&sa->replay, seq))) {
					dp_drop(w, m, DROP_ESP_REPLAY);
					continue;
				}
			}
			if (likely(now)) {
				/* Opened now, in order, so the window is always as
				 * sequential processing leaves it. */
				struct esp_opened o = {0};
				int st = esp_open_gcm(w->mb, &sa->crypto, p + offv[i],
						      m->data_len - offv[i], seq, esn, &o);

				esp_in_done(w, c, tb, m, sa, offv[i], seq, st, &o, fwd, &nfwd);
				continue;
			}
			op = &ops[nops];
			op->c = &sa->crypto;
			op->esp = p + offv[i];
			op->len = (uint32_t)(m->data_len - offv[i]);
			op->seq = seq;
			op->esn = (uint8_t)!!esn;
			mv[nops] = m;
			osa[nops] = sa;
			offv[nops++] = offv[i];
		}
		esp_open_burst(w->mb, ops, nops);
		for (unsigned i = 0; i < nops; i++) {
			struct sa_rt *sa = osa[i];
			const struct esp_op *op = &ops[i];
			struct esp_opened o = {op->payload_off, op->payload_len, op->next_hdr};

			/* Earlier packets of this burst may have used the SA up,
			 * or moved the window past this one. */
			if (unlikely(sa_in_spent(sa))) {
				dp_drop(w, mv[i], DROP_ESP_EXPIRED);
				continue;
			}
			if (!(sa->flags & SA_F_NO_REPLAY) &&
			    unlikely(replay_check(&sa->replay, op->seq))) {
				dp_drop(w, mv[i], DROP_ESP_REPLAY);
				continue;
			}
			esp_in_done_batched(w, c, tb, mv[i], sa, offv[i], op->seq, op->status, &o,
					    fwd, &nfwd);
		}
		if (nfwd)
			fwd_burst(w, c, tb, fwd, nfwd, 1);
		in = dm;
		ino = doff;
		inu = dudp;
		k = nd;
	}
}
