/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP (RFC 826) on the ports: answer for our addresses, resolve next hops, age entries. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "control/app.h"
#include "control/core/core.h"
#include "lib/base/addr.h"
#include "lib/wire/arp.h"

#define PROBE_INTERVAL_MS 1000

const char *neigh_state_name(uint8_t s)
{
	switch (s) {
	case NEIGH_INCOMPLETE: return "incomplete";
	case NEIGH_REACHABLE: return "reachable";
	case NEIGH_STATIC: return "static";
	case NEIGH_PROBE: return "probe";
	default: return "?";
	}
}

static uint64_t neigh_key(uint8_t port, uint32_t addr)
{
	return (uint64_t)port << 32 | addr;
}

/* Indexed: every punted miss looks its neighbour up, and a sweep of silent
 * addresses makes many of both. */
static struct neigh_entry *neigh_find(struct app *a, uint8_t port, uint32_t addr)
{
	uint32_t i;

	if (!a->neigh_idx.cap || u64map_get(&a->neigh_idx, neigh_key(port, addr), &i))
		return NULL;
	return &a->neighs[i];
}

unsigned neigh_queue_limit(const struct app *a)
{
	return a->cfg.mbufs / NEIGH_QUEUE_POOL_SHARE;
}

unsigned neigh_incomplete_limit(const struct app *a)
{
	return a->cfg.max_neighbors / NEIGH_INCOMPLETE_SHARE;
}

/* A new entry, incomplete until neigh_resolved; NULL when the table is full. */
static struct neigh_entry *neigh_new(struct app *a, uint8_t port, uint32_t addr)
{
	struct neigh_entry *n;

	if (a->n_neighs >= a->cfg.max_neighbors)
		return NULL;
	if (app_grow((void **)&a->neighs, &a->cap_neighs, a->n_neighs + 1, sizeof(*a->neighs)) ||
	    (!a->neigh_idx.cap && u64map_init(&a->neigh_idx, 64)) ||
	    u64map_put(&a->neigh_idx, neigh_key(port, addr), a->n_neighs))
		return NULL;
	n = &a->neighs[a->n_neighs++];
	memset(n, 0, sizeof(*n));
	n->port = port;
	n->addr = addr;
	n->state = NEIGH_INCOMPLETE;
	a->n_neigh_incomplete++;
	return n;
}

static void neigh_remove(struct app *a, struct neigh_entry *n)
{
	for (unsigned i = 0; i < n->nq; i++)
		rte_pktmbuf_free(n->queue[i]);
	a->n_neigh_queued -= n->nq;
	a->cnt.arp_queue_expired += n->nq;
	if (n->state == NEIGH_INCOMPLETE)
		a->n_neigh_incomplete--;
	else
		tables_neigh_del(&a->dp.tables, n->port, n->addr);
	u64map_del(&a->neigh_idx, neigh_key(n->port, n->addr));
	*n = a->neighs[--a->n_neighs];
	/* The last entry moved into n's slot (an index update never grows the map). */
	if (n != &a->neighs[a->n_neighs])
		u64map_put(&a->neigh_idx, neigh_key(n->port, n->addr), (uint32_t)(n - a->neighs));
}

static void arp_send(struct app *a, uint8_t port, uint16_t op, const uint8_t *tha, uint32_t tpa)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(a->dp.pool);
	uint8_t *buf;
	size_t len;

	if (!m) {
		a->cnt.alloc_failed++;
		return;
	}
	buf = (uint8_t *)rte_pktmbuf_append(m, 60);
	memset(buf, 0, 60); /* Ethernet minimum, zero padded */
	len = arp_build(buf, op, a->port_macs[port], a->cfg.ports[port].addr, tha, tpa);
	(void)len;
	if (op == ARP_OP_REQUEST)
		a->cnt.arp_requests_sent++;
	else
		a->cnt.arp_replies_sent++;
	app_inject(a, m, INJECT_L2, port);
}

/* A packet that waited for ARP was routed already: frame it and send it
 * on its port, so it is neither routed nor counted twice. */
static void neigh_send_queued(struct app *a, const struct neigh_entry *n, struct rte_mbuf *m)
{
	struct eth_hdr *e = (struct eth_hdr *)rte_pktmbuf_prepend(m, ETH_HLEN);

	if (!e) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(e->dst, n->mac, ETH_ALEN);
	memcpy(e->src, a->port_macs[n->port], ETH_ALEN);
	e->type = htons(ETHERTYPE_IPV4);
	app_inject(a, m, INJECT_L2, n->port);
}

/* Publish a resolved MAC and release the packets that waited for it. */
static int neigh_resolved(struct app *a, struct neigh_entry *n, const uint8_t *mac, uint8_t state)
{
	int changed = n->state == NEIGH_INCOMPLETE || memcmp(n->mac, mac, 6);
	int rc = 0;

	memcpy(n->mac, mac, 6);
	n->probes = 0;
	n->updated_ms = app_now_ms();
	if (changed)
		rc = tables_neigh_set(&a->dp.tables, n->port, n->addr, mac);
	if (rc)
		return rc;
	if (n->state == NEIGH_INCOMPLETE)
		a->n_neigh_incomplete--;
	n->state = state;
	for (unsigned i = 0; i < n->nq; i++)
		neigh_send_queued(a, n, n->queue[i]);
	a->n_neigh_queued -= n->nq;
	n->nq = 0;
	return 0;
}

int neigh_set_static(struct app *a, uint8_t port, uint32_t addr, const uint8_t *mac)
{
	struct neigh_entry *n = neigh_find(a, port, addr);

	if (!n && !(n = neigh_new(a, port, addr)))
		return -ENOSPC;
	n->seen = 1;
	return neigh_resolved(a, n, mac, NEIGH_STATIC);
}

void neigh_input_arp(struct app *a, struct rte_mbuf *m)
{
	uint8_t port = pkt_meta(m)->in_if;
	const struct cfg_port *cp = &a->cfg.ports[port];
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct neigh_entry *n;
	struct arp_info ai;

	if (rte_pktmbuf_data_len(m) < ETH_HLEN ||
	    arp_parse(f + ETH_HLEN, rte_pktmbuf_data_len(m) - ETH_HLEN, &ai)) {
		a->cnt.arp_malformed++;
		goto out;
	}
	if (ai.op == ARP_OP_REQUEST)
		a->cnt.arp_requests_received++;
	else
		a->cnt.arp_replies_received++;
	/* Only neighbours on the port's subnet, never our own address. */
	if ((ai.spa ^ cp->addr) & prefix_mask(cp->plen) || ai.spa == cp->addr ||
	    (ai.sha[0] & 1)) {
		a->cnt.arp_ignored++;
		goto out;
	}
	n = neigh_find(a, port, ai.spa);
	if (n && n->state != NEIGH_STATIC) {
		neigh_resolved(a, n, ai.sha, NEIGH_REACHABLE);
	} else if (!n && ai.tpa == cp->addr &&
		   a->n_neighs - a->n_neigh_incomplete <
		   a->cfg.max_neighbors - neigh_incomplete_limit(a)) {
		/* Whoever talks to us is about to be answered: learn it now,
		 * leaving incomplete entries their share: requests from any
		 * source address on the subnet must not take the table from
		 * the next hops we have to resolve. */
		n = neigh_new(a, port, ai.spa);
		if (n)
			neigh_resolved(a, n, ai.sha, NEIGH_REACHABLE);
	}
	if (ai.op == ARP_OP_REQUEST && ai.tpa == cp->addr)
		arp_send(a, port, ARP_OP_REPLY, ai.sha, ai.spa);
out:
	rte_pktmbuf_free(m);
}

void neigh_miss(struct app *a, struct rte_mbuf *m)
{
	struct pkt_meta *pm = pkt_meta(m);
	uint8_t port = pm->out_if;
	struct neigh_entry *n;

	if (port >= a->cfg.n_ports) {
		rte_pktmbuf_free(m);
		return;
	}
	n = neigh_find(a, port, pm->aux);
	if (n && n->state != NEIGH_INCOMPLETE) {
		/* Resolved since the worker looked: send it on. */
		neigh_send_queued(a, n, m);
		return;
	}
	if (!n) {
		/* Never evict: resolved entries stay, and a sweep of silent
		 * addresses waits for its incomplete entries to fail. */
		if (a->n_neigh_incomplete >= neigh_incomplete_limit(a) ||
		    !(n = neigh_new(a, port, pm->aux))) {
			a->cnt.arp_incomplete_limit++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	if (n->nq == NEIGH_QUEUE) {
		/* Keep the newest packets, as a host stack would. */
		rte_pktmbuf_free(n->queue[0]);
		memmove(n->queue, n->queue + 1, sizeof(n->queue[0]) * (NEIGH_QUEUE - 1));
		n->nq--;
		a->n_neigh_queued--;
		a->cnt.arp_queue_overflow++;
	}
	if (a->n_neigh_queued < neigh_queue_limit(a)) {
		n->queue[n->nq++] = m;
		a->n_neigh_queued++;
	} else {
		/* The pool's share for ARP queues is used: the packet goes,
		 * the request below still asks for its neighbour. */
		a->cnt.arp_queue_limit++;
		rte_pktmbuf_free(m);
	}
	if (app_now_ms() - n->probe_ms >= PROBE_INTERVAL_MS) {
		n->probe_ms = app_now_ms();
		n->probes++;
		arp_send(a, port, ARP_OP_REQUEST, NULL, n->addr);
	}
}

void neigh_tick(struct app *a)
{
	uint64_t now = app_now_ms(), life = (uint64_t)a->cfg.neighbor_timeout * 1000;

	for (unsigned i = 0; i < a->n_neighs;) {
		struct neigh_entry *n = &a->neighs[i];

		if (n->state == NEIGH_REACHABLE && now - n->updated_ms > life) {
			/* Stale: keep forwarding with the old MAC while we ask again. */
			n->state = NEIGH_PROBE;
			n->probes = 0;
		}
		if ((n->state == NEIGH_INCOMPLETE || n->state == NEIGH_PROBE) &&
		    now - n->probe_ms >= PROBE_INTERVAL_MS) {
			if (n->probes >= NEIGH_RETRIES) {
				if (n->state == NEIGH_INCOMPLETE)
					a->cnt.arp_resolution_failed++;
				neigh_remove(a, n);
				continue; /* the last entry moved into slot i */
			}
			n->probe_ms = now;
			n->probes++;
			arp_send(a, n->port, ARP_OP_REQUEST, NULL, n->addr);
		}
		i++;
	}
}
