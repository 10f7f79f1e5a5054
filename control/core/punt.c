/* SPDX-License-Identifier: BSD-3-Clause */
/* Packets punted by workers to the control thread, and packets it injects back. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/app.h"
#include "control/core/core.h"
#include "control/ipsec/ike_glue.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/proto.h"

int app_inject(struct app *a, struct rte_mbuf *m, uint8_t kind, uint8_t out_if)
{
	struct pkt_meta *pm = pkt_meta(m);

	pm->kind = kind;
	pm->out_if = out_if;
	pm->depth = 0;
	/* Not arrived on any interface: an echo reply to a spoke must not count
	 * as a tunnel hairpin because its request came in by that tunnel. */
	pm->in_if = UINT8_MAX;
	pm->flags = 0;
	/* Worker 0 transmits the control thread's packets: its inject ring is
	 * single-producer (us) and single-consumer (it). */
	if (rte_ring_sp_enqueue(a->workers[0]->inject, m)) {
		a->cnt.inject_ring_full++;
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}

/* ICMP echo to one of our addresses: turn the request into the reply. */
static void local_icmp(struct app *a, struct rte_mbuf *m)
{
	struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct ipv4_hdr *);
	size_t hl = (size_t)(ih->ver_ihl & 0xf) * 4;
	size_t len = rte_pktmbuf_data_len(m);
	const struct route_entry *r;
	struct icmp_hdr *ic;
	uint32_t t;

	if (len < hl + sizeof(*ic) || ipv4_is_multicast(ih->dst) ||
	    (ih->frag & rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK)))
		goto ignore;
	ic = (struct icmp_hdr *)((uint8_t *)ih + hl);
	if (ic->type != ICMP_ECHO_REQUEST || ic->code != 0 ||
	    inet_fold(inet_sum(0, ic, len - hl)) != 0)
		goto ignore;
	/* A broadcast address of ours is not the reply's source. */
	r = state_route_match(a, ih->dst);
	if (r && r->kind == RT_BROADCAST)
		goto ignore;
	ic->type = ICMP_ECHO_REPLY;
	ic->cksum = 0;
	ic->cksum = inet_cksum(ic, len - hl);
	t = ih->src;
	ih->src = ih->dst;
	ih->dst = t;
	ih->ttl = 64;
	ih->cksum = 0;
	ih->cksum = inet_cksum(ih, hl);
	a->cnt.icmp_echo_replies++;
	app_inject(a, m, INJECT_L3, 0);
	return;
ignore:
	a->cnt.icmp_ignored++;
	rte_pktmbuf_free(m);
}

#define ICMP_ERR_RATE 100   /* per second, as a host stack limits them */
#define ICMP_ERR_BURST 50

/* Our address facing the interface a packet came in on: the source of
 * the ICMP error about it. */
static uint32_t if_address(const struct app *a, unsigned ifidx)
{
	if (DP_IF_IS_TUNNEL(ifidx))
		return ifidx - CFG_MAX_PORTS < a->cfg.n_tunnels ?
		       a->cfg.tunnels[ifidx - CFG_MAX_PORTS].addr : 0;
	return ifidx < a->cfg.n_ports ? a->cfg.ports[ifidx].addr : 0;
}

static int icmp_is_error(const struct ipv4_hdr *ih, size_t hl, size_t len)
{
	const struct icmp_hdr *ic = (const void *)((const uint8_t *)ih + hl);

	if (ih->proto != IPPROTO_ICMP_ || len < hl + 1)
		return 0;
	return ic->type != ICMP_ECHO_REQUEST && ic->type != ICMP_ECHO_REPLY &&
	       ic->type != 13 && ic->type != 14; /* timestamp request/reply */
}

/* Time Exceeded or Fragmentation Needed for a packet a worker dropped
 * (RFC 792, RFC 1191): never about an ICMP error, a non-first fragment or
 * a multicast source; rate limited. */
static void icmp_error(struct app *a, struct rte_mbuf *orig)
{
	const struct ipv4_hdr *oh = rte_pktmbuf_mtod(orig, const struct ipv4_hdr *);
	uint32_t aux = pkt_meta(orig)->aux, src = if_address(a, pkt_meta(orig)->in_if);
	size_t hl = (size_t)(oh->ver_ihl & 0xf) * 4, len = rte_pktmbuf_data_len(orig), quote;
	uint64_t now = app_now_ms();
	struct rte_mbuf *m;
	struct ipv4_hdr *ih;
	struct icmp_hdr *ic;

	a->icmp_tokens += (double)(now - a->icmp_refill_ms) * ICMP_ERR_RATE / 1000.0;
	if (a->icmp_tokens > ICMP_ERR_BURST)
		a->icmp_tokens = ICMP_ERR_BURST;
	a->icmp_refill_ms = now;
	if (!src || icmp_is_error(oh, hl, len) || ipv4_is_martian(oh->src) ||
	    (oh->frag & rte_cpu_to_be_16(IPV4_OFFMASK)) || a->icmp_tokens < 1.0) {
		a->cnt.icmp_errors_suppressed++;
		goto out;
	}
	m = rte_pktmbuf_alloc(a->dp.pool);
	quote = len < hl + 8 ? len : hl + 8;
	ih = m ? (struct ipv4_hdr *)rte_pktmbuf_append(m, (uint16_t)(IPV4_HLEN + sizeof(*ic) + quote)) : NULL;
	if (!ih) {
		rte_pktmbuf_free(m);
		a->cnt.alloc_failed++;
		goto out;
	}
	a->icmp_tokens -= 1.0;
	ic = (struct icmp_hdr *)(ih + 1);
	ic->type = (uint8_t)(aux >> 24);
	ic->code = (uint8_t)(aux >> 16);
	ic->id = 0;
	ic->seq = rte_cpu_to_be_16((uint16_t)aux); /* next-hop MTU for code 4 */
	memcpy(ic + 1, oh, quote);
	ic->cksum = 0;
	ic->cksum = inet_cksum(ic, sizeof(*ic) + quote);
	ipv4_build(ih, src, oh->src, IPPROTO_ICMP_, 64,
		   (uint16_t)(IPV4_HLEN + sizeof(*ic) + quote), 0, 0);
	a->cnt.icmp_errors_sent++;
	app_inject(a, m, INJECT_L3, 0);
out:
	rte_pktmbuf_free(orig);
}

static void punt_one(struct app *a, struct rte_mbuf *m)
{
	const struct ipv4_hdr *ih;

	switch (pkt_meta(m)->kind) {
	case PUNT_ARP:
		a->cnt.punt_arp++;
		neigh_input_arp(a, m);
		return;
	case PUNT_NEIGH_MISS:
		a->cnt.punt_neigh_miss++;
		neigh_miss(a, m);
		return;
	case PUNT_LOCAL:
		a->cnt.punt_local++;
		if (kif_local_claim(a, m))
			return;
		ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
		if (ih->proto == IPPROTO_ICMP_) {
			local_icmp(a, m);
			return;
		}
		/* IKE: UDP 500, or 4500 with the non-ESP marker. */
		if (ih->proto == IPPROTO_UDP_ && ike_glue_input(a, m))
			return;
		a->cnt.udp_local_unhandled++;
		break;
	case PUNT_ICMP_ERROR:
		icmp_error(a, m);
		return;
	case PUNT_NHRP:
		a->cnt.punt_nhrp++;
		nhrp_input(a, m);
		return;
	case PUNT_RESOLVE:
		a->cnt.punt_resolve++;
		nhrp_resolve_miss(a, m);
		return;
	case PUNT_REDIRECT:
		a->cnt.punt_redirect++;
		nhrp_redirect_send(a, m);
		return;
	case PUNT_KERNEL:
		a->cnt.punt_kernel++;
		kif_punt(a, m);
		return;
	default:
		break;
	}
	rte_pktmbuf_free(m);
}

/* At most PUNT_BUDGET packets per call: under a flood of punts the event
 * loop still gets to the control socket and the timers in between. */
#define PUNT_BUDGET 256

void punt_drain(struct app *a)
{
	struct rte_mbuf *pkts[64];
	unsigned n, done = 0;

	do {
		n = rte_ring_sc_dequeue_burst(a->dp.punt, (void **)pkts, 64, NULL);
		for (unsigned i = 0; i < n; i++)
			punt_one(a, pkts[i]);
		done += n;
	} while (n == 64 && done < PUNT_BUDGET);
}
