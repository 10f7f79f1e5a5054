/* SPDX-License-Identifier: BSD-3-Clause */
/* Packets punted by workers to the control thread, and packets it injects back. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control/app.h"
#include "lib/ipv4.h"
#include "lib/proto.h"

int app_inject(struct app *a, struct rte_mbuf *m, uint8_t kind, uint8_t out_if)
{
	struct pkt_meta *pm = pkt_meta(m);

	pm->kind = kind;
	pm->out_if = out_if;
	pm->depth = 0;
	/* Not arrived on any interface: an echo reply to a spoke must not count
	 * as a tunnel hairpin because its request came in by that tunnel. */
	pm->in_if = UINT8_MAX;
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
	for (unsigned i = 0; i < a->n_routes; i++)
		if (a->routes[i].kind == RT_BROADCAST && a->routes[i].prefix == ih->dst)
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
		ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
		if (ih->proto == IPPROTO_ICMP_) {
			local_icmp(a, m);
			return;
		}
		/* IKE (UDP 500/4500) arrives here once IKEv2 exists. */
		a->cnt.udp_local_unhandled++;
		break;
	case PUNT_NHRP:
		/* NHRP itself is not implemented yet: counted, not answered. */
		a->cnt.punt_nhrp++;
		a->cnt.nhrp_unhandled++;
		break;
	default:
		break;
	}
	rte_pktmbuf_free(m);
}

void punt_drain(struct app *a)
{
	struct rte_mbuf *pkts[64];
	unsigned n;

	do {
		n = rte_ring_sc_dequeue_burst(a->dp.punt, (void **)pkts, 64, NULL);
		for (unsigned i = 0; i < n; i++)
			punt_one(a, pkts[i]);
	} while (n == 64);
}
