/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP on GRE packets in bursts: transport or tunnel mode, optionally in UDP (RFC 4303, RFC 3948). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "dataplane/dp.h"
#include "lib/ipv4.h"
#include "lib/proto.h"

#define IPPROTO_ESP_ 50
#define IPPROTO_IPIP_ 4

/* Groups of a burst's packets by SA: a small open-addressed table from SA
 * to group, each group a chain of packet indexes in arrival order. */
#define GROUP_SLOTS (2 * DP_MAX_BURST)
#define CHAIN_END 0xff

struct sa_group {
	struct sa_rt *sa;
	uint8_t head, tail;
};

static unsigned group_of(struct sa_group *g, unsigned *ng, uint8_t *slot, struct sa_rt *sa)
{
	unsigned h = (unsigned)(((uintptr_t)sa >> 6) * 0x9e3779b1u >> 25) & (GROUP_SLOTS - 1);

	for (;; h = (h + 1) & (GROUP_SLOTS - 1)) {
		if (slot[h] == CHAIN_END) {
			slot[h] = (uint8_t)*ng;
			g[*ng].sa = sa;
			g[*ng].head = g[*ng].tail = CHAIN_END;
			return (*ng)++;
		}
		if (g[slot[h]].sa == sa)
			return slot[h];
	}
}

/* Count a run of sealed packets of one SA on one tunnel: the SA's (this
 * worker's) counters and the tunnel's TX, bytes protected and carried. */
static inline void out_run_count(struct worker *w, struct sa_rt *sa, uint8_t t, uint64_t pkts,
				 uint64_t bytes, uint64_t inner)
{
	sa->out[w->idx].packets += pkts;
	sa->out[w->idx].bytes += bytes;
	w->stats.ifs[DP_IF_TUNNEL(t)].tx_packets += pkts;
	w->stats.ifs[DP_IF_TUNNEL(t)].tx_bytes += inner;
}

/*
 * Per SA, in arrival order: lifetime, MTU and room checks first, then one
 * atomic add reserves the sequence numbers of every packet that passed
 * them (so no number is skipped but on a lifetime or overflow drop), then
 * the outer headers; one esp_seal_burst for all; then counters and TX.
 * Each worker's numbers for an SA rise; numbers are unique across workers.
 */
void esp_output_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		      struct esp_out *v, unsigned n)
{
	struct sa_group g[DP_MAX_BURST];
	uint8_t slot[GROUP_SLOTS], next[DP_MAX_BURST], idx[DP_MAX_BURST];
	uint16_t payload[DP_MAX_BURST], trailer[DP_MAX_BURST];
	struct esp_op *ops = w->ops;
	unsigned ng = 0, nops = 0, late_drops = 0;

	memset(slot, CHAIN_END, sizeof(slot));
	for (unsigned i = 0, k = 0; i < n; i++) {
		/* Packets to one peer come in runs: one table probe per run. */
		if (i == 0 || v[i].sa != v[i - 1].sa)
			k = group_of(g, &ng, slot, v[i].sa);

		next[i] = CHAIN_END;
		if (g[k].tail == CHAIN_END)
			g[k].head = (uint8_t)i;
		else
			next[g[k].tail] = (uint8_t)i;
		g[k].tail = (uint8_t)i;
	}
	for (unsigned k = 0; k < ng; k++) {
		struct sa_rt *sa = g[k].sa;
		const struct esp_crypto *cr = &sa->crypto;
		int tunnel = sa->flags & SA_F_TUNNEL;
		size_t hl = esp_header_len(cr), udp = sa->flags & SA_F_UDP ? 8 : 0;
		/* In front of the GRE header: outer IPv4, UDP, ESP header and IV,
		 * and in tunnel mode the GRE packet's own IPv4 header. */
		size_t grow = IPV4_HLEN + udp + hl + (tunnel ? IPV4_HLEN : 0);
		uint64_t seq_now = __atomic_load_n(&sa->seq, __ATOMIC_RELAXED), base;
		uint64_t bytes = sa->hard_bytes ? sa_rt_out_bytes(sa) : 0;
		/* Tunnel mode toward a policy with other addresses (a peer
		 * behind a NAT, or we are): the inner header carries them. */
		uint32_t in_src = sa->inner_local, in_dst = sa->inner_remote;
		unsigned first = nops, cnt;

		for (unsigned i = g[k].head; i != CHAIN_END; i = next[i]) {
			struct rte_mbuf *m = v[i].m;
			/* len: the GRE packet with its IPv4 header, as it will be;
			 * pl: what ESP protects (tunnel: that header too). */
			size_t len = m->pkt_len + IPV4_HLEN, pl = tunnel ? len : len - IPV4_HLEN, tr;

			/* Packets of other workers not yet counted are at most a
			 * burst each: the byte limit is exact per worker. */
			if (unlikely(sa->expired || (sa->hard_bytes && bytes >= sa->hard_bytes) ||
				     (sa->hard_packets &&
				      seq_now + (nops - first) >= sa->hard_packets))) {
				dp_drop(w, m, DROP_ESP_EXPIRED);
				continue;
			}
			tr = esp_trailer_len(cr, pl);
			if (unlikely(m->pkt_len + grow + tr > c->ports[v[i].port].mtu)) {
				dp_drop(w, m, DROP_MTU_EXCEEDED);
				continue;
			}
			if (unlikely(m->data_off < grow + (v[i].has_mac ? ETH_HLEN : 0) ||
				     rte_pktmbuf_tailroom(m) < tr)) {
				dp_drop(w, m, DROP_HEADROOM);
				continue;
			}
			bytes += pl;
			idx[nops] = (uint8_t)i;
			payload[nops] = (uint16_t)pl;
			trailer[nops++] = (uint16_t)tr;
		}
		cnt = nops - first;
		if (!cnt)
			continue;
		/* The one atomic operation of this SA in this burst. */
		base = __atomic_fetch_add(&sa->seq, cnt, __ATOMIC_RELAXED);
		for (unsigned j = first; j < first + cnt; j++) {
			struct esp_out *e = &v[idx[j]];
			struct rte_mbuf *m = e->m;
			uint64_t seq = base + 1 + (j - first);
			size_t esp_len = hl + payload[j] + trailer[j];
			uint8_t *nh;
			struct esp_op *op;

			if (unlikely((sa->hard_packets && seq > sa->hard_packets) ||
				     (!(sa->flags & SA_F_ESN) && seq > UINT32_MAX))) {
				dp_drop(w, m, sa->hard_packets && seq > sa->hard_packets ?
					DROP_ESP_EXPIRED : DROP_ESP_SEQ_OVERFLOW);
				e->m = NULL;
				late_drops++;
				continue;
			}
			m->data_off = (uint16_t)(m->data_off - grow);
			m->data_len = (uint16_t)(m->data_len + grow + trailer[j]);
			m->pkt_len += (uint32_t)(grow + trailer[j]);
			nh = rte_pktmbuf_mtod(m, uint8_t *);
			/* Both headers NBMA to NBMA; tunnel mode's inner one is the
			 * GRE packet's, which ESP carries whole. */
			dp_ip_put(nh, e->tos, (uint16_t)(IPV4_HLEN + udp + esp_len), e->id, e->ttl,
				  udp ? IPPROTO_UDP_ : IPPROTO_ESP_, e->src, e->dst);
			if (tunnel)
				dp_ip_put(nh + IPV4_HLEN + udp + hl, e->tos, (uint16_t)payload[j], e->id,
					  e->ttl, IPPROTO_GRE_, in_src ? in_src : e->src,
					  in_dst ? in_dst : e->dst);
			if (udp) {
				struct udp_hdr *uh = (struct udp_hdr *)(nh + IPV4_HLEN);

				uh->sport = rte_cpu_to_be_16(ESP_UDP_PORT);
				uh->dport = sa->udp_dport_be;
				uh->len = rte_cpu_to_be_16((uint16_t)(8 + esp_len));
				uh->cksum = 0; /* RFC 3948 2.1: may be zero */
			}
			op = &ops[j];
			op->c = cr;
			op->esp = nh + IPV4_HLEN + udp;
			op->len = payload[j];
			op->spi_be = sa->spi_be;
			op->seq = seq;
			op->esn = !!(sa->flags & SA_F_ESN);
			op->next_hdr = tunnel ? IPPROTO_IPIP_ : IPPROTO_GRE_;
		}
	}
	/* Ops of packets dropped after the reservation stay out of the burst
	 * (a pass needed only when there were any). */
	if (unlikely(late_drops)) {
		unsigned o = 0;

		for (unsigned j = 0; j < nops; j++) {
			if (!v[idx[j]].m)
				continue;
			if (o != j) {
				ops[o] = ops[j];
				idx[o] = idx[j];
				payload[o] = payload[j];
			}
			o++;
		}
		nops = o;
	}
	esp_seal_burst(w->mb, ops, nops);
	/* The ops are grouped by SA: the SA's and the tunnel's counters are
	 * summed over each run of one SA (one tunnel) and written once. */
	{
		struct sa_rt *rsa = NULL;
		uint64_t rpk = 0, rby = 0, rin = 0, sealed = 0;
		uint8_t rtun = 0;

		for (unsigned j = 0; j < nops; j++) {
			struct esp_out *e = &v[idx[j]];

			if (unlikely(!ops[j].out_len)) {
				dp_drop(w, e->m, DROP_ESP_LENGTH);
				continue;
			}
			if (e->sa != rsa || e->tunnel != rtun) {
				if (rsa)
					out_run_count(w, rsa, rtun, rpk, rby, rin);
				rsa = e->sa;
				rtun = e->tunnel;
				rpk = rby = rin = 0;
			}
			rpk++;
			rby += payload[j];
			rin += e->inner_len;
			sealed++;
			if (likely(e->has_mac))
				dp_l2_send(w, c, tb, e->m, e->port, e->mac);
			else
				l2_output(w, c, tb, e->m, e->port, e->gw, NULL);
		}
		if (rsa)
			out_run_count(w, rsa, rtun, rpk, rby, rin);
		w->stats.gre_encap += sealed;
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
 * Checks that need no cryptography (length, SA, lifetime, policy, the
 * replay window) for the whole burst, one bulk SPI lookup; one
 * esp_open_burst; then, in arrival order, each packet is judged as if
 * alone, against the window as the packets before it left it: lifetime,
 * replay (again: the window may have moved; a window only ever rejects
 * more, so the first check lost nothing), ICV, and the window is updated
 * for what verified. The GRE packets then go on together.
 *
 * With ESN, the high half of a number is inferred from the window, which
 * packets earlier in the burst may move. A packet whose inference could
 * change that way (it would fall left of the window they may make) waits
 * for the next round, with all packets after it (so the order holds), and
 * every ICV is computed with the number sequential processing would use
 * (RFC 4303 A2: a rollover within one burst is the usual case of this).
 */
void esp_input_burst(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
		     struct rte_mbuf **pkts, const uint16_t *off, const uint8_t *udp, unsigned n)
{
	struct rte_mbuf *mv[DP_MAX_BURST], *fwd[DP_MAX_BURST], *dm[DP_MAX_BURST];
	struct sa_rt *sas[DP_MAX_BURST], *osa[DP_MAX_BURST];
	struct esn_round er[DP_MAX_BURST];
	uint32_t spi[DP_MAX_BURST];
	uint16_t offv[DP_MAX_BURST], doff[DP_MAX_BURST];
	uint8_t udpv[DP_MAX_BURST], dudp[DP_MAX_BURST];
	struct esp_op *ops = w->ops;
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		const struct ipv4_hdr *ih = (const void *)p;

		if (unlikely(ih->frag & rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK))) {
			dp_drop(w, m, DROP_IPV4_FRAGMENT_LOCAL);
			continue;
		}
		if (unlikely(m->data_len < (uint32_t)off[i] + ESP_HDR_LEN)) {
			dp_drop(w, m, DROP_ESP_LENGTH);
			continue;
		}
		dm[k] = m;
		doff[k] = off[i];
		dudp[k++] = udp[i];
	}
	while (k) {
		unsigned nops = 0, nfwd = 0, nd = 0, ner = 0;

		for (unsigned i = 0; i < k; i++) {
			memcpy(&spi[i], rte_pktmbuf_mtod_offset(dm[i], uint8_t *, doff[i]), 4);
			mv[i] = dm[i];
			offv[i] = doff[i];
			udpv[i] = dudp[i];
		}
		/* Runs of one SPI need one lookup. */
		{
			struct sa_rt *us[DP_MAX_BURST];
			uint32_t uspi[DP_MAX_BURST];
			uint8_t map[DP_MAX_BURST];
			unsigned nu = 0;

			for (unsigned i = 0; i < k; i++) {
				if (!nu || spi[i] != uspi[nu - 1])
					uspi[nu++] = spi[i];
				map[i] = (uint8_t)(nu - 1);
			}
			tables_sa_in_lookup_bulk(&w->dp->tables, uspi, nu, (void **)us);
			for (unsigned i = 0; i < k; i++)
				sas[i] = us[map[i]];
		}
		for (unsigned i = 0; i < k; i++) {
			if (sas[i] && (i == 0 || sas[i] != sas[i - 1])) {
				sa_rt_prefetch(sas[i]);
				rte_prefetch0(&sas[i]->replay);
			}
		}
		for (unsigned i = 0; i < k; i++) {
			struct rte_mbuf *m = mv[i];
			uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
			const struct ipv4_hdr *ih = (const void *)p;
			struct sa_rt *sa = sas[i];
			struct esp_op *op;
			uint32_t seq_lo;
			uint64_t seq;
			int esn;

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
			 * ESP in UDP (where the source is not checked) for an SA
			 * without, is refused. Without NAT the SA belongs to one peer;
			 * in UDP the source may be a NAT's. */
			if (unlikely(!udpv[i] != !(sa->flags & SA_F_UDP) ||
				     (!udpv[i] && ih->src != sa->peer))) {
				dp_drop(w, m, DROP_ESP_POLICY);
				continue;
			}
			esn = sa->flags & SA_F_ESN;
			memcpy(&seq_lo, p + offv[i] + 4, 4);
			seq = rte_be_to_cpu_32(seq_lo);
			if (likely(!(sa->flags & SA_F_NO_REPLAY))) {
				seq = replay_infer(&sa->replay, (uint32_t)seq, esn);
				if (unlikely(esn)) {
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
			op = &ops[nops];
			op->c = &sa->crypto;
			op->esp = p + offv[i];
			op->len = (uint32_t)(m->data_len - offv[i]);
			op->seq = seq;
			op->esn = (uint8_t)!!esn;
			mv[nops] = m;
			osa[nops] = sa;
			offv[nops] = offv[i];
			udpv[nops++] = udpv[i];
		}
		esp_open_burst(w->mb, ops, nops);
		for (unsigned i = 0; i < nops; i++) {
			struct rte_mbuf *m = mv[i];
			struct sa_rt *sa = osa[i];
			const struct esp_op *op = &ops[i];
			uint8_t *p;
			size_t o = offv[i];
			int replay = !(sa->flags & SA_F_NO_REPLAY);

			/* Earlier packets of this burst may have used the SA up. */
			if (unlikely(sa_in_spent(sa))) {
				dp_drop(w, m, DROP_ESP_EXPIRED);
				continue;
			}
			if (likely(replay) && unlikely(replay_check(&sa->replay, op->seq))) {
				dp_drop(w, m, DROP_ESP_REPLAY);
				continue;
			}
			if (unlikely(op->status != ESP_OK)) {
				sa->errors++;
				dp_drop(w, m, op->status == ESP_E_ICV ? DROP_ESP_ICV :
					op->status == ESP_E_PAD ? DROP_ESP_PAD : DROP_ESP_LENGTH);
				continue;
			}
			if (likely(replay))
				replay_update(&sa->replay, op->seq);
			sa->packets++;
			sa->bytes += op->payload_len;
			if (sa->flags & SA_F_TUNNEL) {
				struct ipv4_info ii;
				/* The address the packet reached us on: our NBMA. */
				uint32_t ours = rte_pktmbuf_mtod(m, const struct ipv4_hdr *)->dst;

				if (unlikely(op->next_hdr != IPPROTO_IPIP_)) {
					dp_drop(w, m, DROP_ESP_POLICY);
					continue;
				}
				m->data_off = (uint16_t)(m->data_off + o + op->payload_off);
				m->data_len = m->pkt_len = op->payload_len;
				p = rte_pktmbuf_mtod(m, uint8_t *);
				/* The inner packet must be the SA's GRE between the same peers. */
				if (unlikely(ipv4_parse(p, op->payload_len, &ii) ||
					     ii.proto != IPPROTO_GRE_ ||
					     (!(sa->flags & SA_F_INNER) && !udpv[i] &&
					      ii.src != sa->peer))) {
					dp_drop(w, m, DROP_ESP_POLICY);
					continue;
				}
				if (sa->flags & SA_F_INNER) {
					/* Only the selectors the SA was agreed for; then the
					 * NBMA addresses NHRP and the tunnel lookup know. */
					if (unlikely(ii.src != (sa->inner_remote ? sa->inner_remote
										 : sa->peer) ||
						     ii.dst != (sa->inner_local ? sa->inner_local
										: ours))) {
						dp_drop(w, m, DROP_ESP_SELECTOR);
						continue;
					}
					if (ii.src != sa->peer || ii.dst != ours)
						esp_inner_readdress((struct ipv4_hdr *)p, sa->peer, ours);
				}
			} else {
				if (unlikely(op->next_hdr != IPPROTO_GRE_)) {
					dp_drop(w, m, DROP_ESP_POLICY);
					continue;
				}
				/* The GRE datagram stays where it is, behind the
				 * outer header and the ESP header. */
				pkt_meta(m)->flags |= PM_F_ESP;
				gre_input_at(w, c, tb, m, o + op->payload_off, op->payload_len, fwd,
					     &nfwd);
				continue;
			}
			pkt_meta(m)->flags |= PM_F_ESP;
			gre_input(w, c, tb, m, fwd, &nfwd);
		}
		if (nfwd)
			fwd_burst(w, c, tb, fwd, nfwd, 1);
		k = nd;
	}
}
