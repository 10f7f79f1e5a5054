/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP on GRE packets: transport or tunnel mode, optionally in UDP (RFC 4303, RFC 3948). */
#include <string.h>

#include <rte_byteorder.h>

#include "dataplane/dp.h"
#include "lib/ipv4.h"
#include "lib/proto.h"

#define IPPROTO_ESP_ 50
#define IPPROTO_IPIP_ 4

static inline int esp_drop(struct worker *w, struct rte_mbuf *m, unsigned reason)
{
	w->stats.drops[reason]++;
	rte_pktmbuf_free(m);
	return -1;
}

void esp_counters_flush(struct worker *w)
{
	struct sa_rt *sa = w->sa_acc.sa;

	if (!sa)
		return;
	__atomic_fetch_add(&sa->packets, w->sa_acc.packets, __ATOMIC_RELAXED);
	__atomic_fetch_add(&sa->bytes, w->sa_acc.bytes, __ATOMIC_RELAXED);
	w->sa_acc.sa = NULL;
	w->sa_acc.packets = w->sa_acc.bytes = 0;
}

int esp_output(struct worker *w, const struct dp_conf *c, struct rte_mbuf *m, struct sa_rt *sa,
	       uint8_t out_port)
{
	struct ipv4_hdr *oh = rte_pktmbuf_mtod(m, struct ipv4_hdr *), *nh;
	size_t hl = esp_header_len(&sa->crypto), udp = sa->flags & SA_F_UDP ? 8 : 0;
	size_t len = rte_pktmbuf_pkt_len(m), payload, grow, esp_len, tr;
	int tunnel = sa->flags & SA_F_TUNNEL;
	uint8_t *esp;
	uint64_t seq;

	/* The burst's own bytes count too; other workers' pending ones are
	 * at most a burst each behind. */
	if (unlikely(sa->expired || (sa->hard_bytes && sa->bytes + (w->sa_acc.sa == sa ?
							   w->sa_acc.bytes : 0) >= sa->hard_bytes) ||
		     (sa->hard_packets &&
		      __atomic_load_n(&sa->seq, __ATOMIC_RELAXED) >= sa->hard_packets)))
		return esp_drop(w, m, DROP_ESP_EXPIRED);
	payload = tunnel ? len : len - IPV4_HLEN;
	tr = esp_trailer_len(&sa->crypto, payload);
	grow = (tunnel ? IPV4_HLEN : 0) + udp + hl;
	if (unlikely(len + grow + tr > c->ports[out_port].mtu)) {
		w->stats.drops[DROP_MTU_EXCEEDED]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	seq = __atomic_add_fetch(&sa->seq, 1, __ATOMIC_RELAXED);
	/* The sequence number counts the packets sent, exactly, across workers. */
	if (unlikely(sa->hard_packets && seq > sa->hard_packets))
		return esp_drop(w, m, DROP_ESP_EXPIRED);
	if (unlikely(!(sa->flags & SA_F_ESN) && seq > UINT32_MAX))
		return esp_drop(w, m, DROP_ESP_SEQ_OVERFLOW);
	nh = (struct ipv4_hdr *)rte_pktmbuf_prepend(m, (uint16_t)grow);
	if (unlikely(!nh || !rte_pktmbuf_append(m, (uint16_t)tr)))
		return esp_drop(w, m, DROP_HEADROOM);
	/* Transport: the GRE packet's own header moves to the front; tunnel:
	 * a copy of it becomes the new outer header. Both NBMA to NBMA. */
	memmove(nh, oh, IPV4_HLEN);
	esp = (uint8_t *)nh + IPV4_HLEN + udp;
	esp_len = esp_seal(w->mb, &sa->crypto, esp, payload, sa->spi_be, seq,
			   sa->flags & SA_F_ESN, tunnel ? IPPROTO_IPIP_ : IPPROTO_GRE_);
	nh->proto = udp ? IPPROTO_UDP_ : IPPROTO_ESP_;
	nh->total_len = rte_cpu_to_be_16((uint16_t)(IPV4_HLEN + udp + esp_len));
	nh->frag = 0;
	nh->cksum = 0;
	nh->cksum = ipv4_hdr_cksum(nh, IPV4_HLEN);
	if (udp) {
		struct udp_hdr *uh = (struct udp_hdr *)(nh + 1);

		uh->sport = rte_cpu_to_be_16(ESP_UDP_PORT);
		uh->dport = sa->udp_dport_be;
		uh->len = rte_cpu_to_be_16((uint16_t)(8 + esp_len));
		uh->cksum = 0; /* RFC 3948 2.1: may be zero */
	}
	if (w->sa_acc.sa != sa) {
		esp_counters_flush(w);
		w->sa_acc.sa = sa;
	}
	w->sa_acc.packets++;
	w->sa_acc.bytes += payload;
	return 0;
}

int esp_input(struct worker *w, struct rte_mbuf *m, size_t off, int udp)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct ipv4_hdr *ih = (struct ipv4_hdr *)p;
	size_t len = rte_pktmbuf_data_len(m), hl = (size_t)(ih->ver_ihl & 0xf) * 4;
	struct esp_opened o;
	struct sa_rt *sa;
	uint32_t spi, seq_lo;
	uint64_t seq;
	int esn, rc;

	if (unlikely(ih->frag & rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK)))
		return esp_drop(w, m, DROP_IPV4_FRAGMENT_LOCAL);
	if (unlikely(len < off + ESP_HDR_LEN))
		return esp_drop(w, m, DROP_ESP_LENGTH);
	memcpy(&spi, p + off, 4);
	memcpy(&seq_lo, p + off + 4, 4);
	sa = tables_sa_in_lookup(&w->dp->tables, spi);
	if (unlikely(!sa))
		return esp_drop(w, m, DROP_ESP_NO_SA);
	if (unlikely(sa->expired || (sa->hard_packets && sa->packets >= sa->hard_packets) ||
		     (sa->hard_bytes && sa->bytes >= sa->hard_bytes)))
		return esp_drop(w, m, DROP_ESP_EXPIRED);
	/* The encapsulation is the SA's: bare ESP for an SA in UDP, or ESP in
	 * UDP (where the source is not checked) for an SA without, is refused. */
	if (unlikely(!udp != !(sa->flags & SA_F_UDP)))
		return esp_drop(w, m, DROP_ESP_POLICY);
	/* Without NAT the SA belongs to one peer; in UDP the source may be a NAT's. */
	if (unlikely(!udp && ih->src != sa->peer))
		return esp_drop(w, m, DROP_ESP_POLICY);
	esn = sa->flags & SA_F_ESN;
	seq = rte_be_to_cpu_32(seq_lo);
	if (likely(!(sa->flags & SA_F_NO_REPLAY))) {
		seq = replay_infer(&sa->replay, (uint32_t)seq, esn);
		/* Anti-replay before any cryptography, so a flood of replays is
		 * cheap and nothing about the SA changes. */
		if (unlikely(replay_check(&sa->replay, seq)))
			return esp_drop(w, m, DROP_ESP_REPLAY);
	}
	rc = esp_open(w->mb, &sa->crypto, p + off, len - off, seq, esn, &o);
	if (unlikely(rc)) {
		sa->errors++;
		return esp_drop(w, m, rc == ESP_E_ICV ? DROP_ESP_ICV :
				      rc == ESP_E_PAD ? DROP_ESP_PAD : DROP_ESP_LENGTH);
	}
	if (likely(!(sa->flags & SA_F_NO_REPLAY)) && unlikely(replay_update(&sa->replay, seq)))
		return esp_drop(w, m, DROP_ESP_REPLAY);
	sa->packets++;
	sa->bytes += o.payload_len;
	if (sa->flags & SA_F_TUNNEL) {
		struct ipv4_info ii;

		if (unlikely(o.next_hdr != IPPROTO_IPIP_))
			return esp_drop(w, m, DROP_ESP_POLICY);
		rte_pktmbuf_adj(m, (uint16_t)(off + o.payload_off));
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - o.payload_len));
		p = rte_pktmbuf_mtod(m, uint8_t *);
		/* The inner packet must be the SA's GRE between the same peers. */
		if (unlikely(ipv4_parse(p, o.payload_len, &ii) || ii.proto != IPPROTO_GRE_ ||
			     (!udp && ii.src != sa->peer)))
			return esp_drop(w, m, DROP_ESP_POLICY);
	} else {
		uint8_t *np;

		if (unlikely(o.next_hdr != IPPROTO_GRE_))
			return esp_drop(w, m, DROP_ESP_POLICY);
		/* Put the outer header back in front of the GRE packet. */
		np = p + off + o.payload_off - hl;
		memmove(np, p, hl);
		rte_pktmbuf_adj(m, (uint16_t)(np - p));
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - hl - o.payload_len));
		ih = (struct ipv4_hdr *)np;
		ih->proto = IPPROTO_GRE_;
		ih->total_len = rte_cpu_to_be_16((uint16_t)(hl + o.payload_len));
		ih->cksum = 0;
		ih->cksum = ipv4_hdr_cksum(ih, hl);
	}
	pkt_meta(m)->flags |= PM_F_ESP;
	return 0;
}
