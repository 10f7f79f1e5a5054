/* SPDX-License-Identifier: BSD-3-Clause */
/* The core of the control thread: ports, the routes and neighbours it mirrors into the workers' tables, punt and inject. */
#ifndef DMVPN_CONTROL_CORE_H
#define DMVPN_CONTROL_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "lib/config/config.h"

struct app;
struct rte_mbuf;

enum route_kind { RT_CONNECTED = 1, RT_LOCAL, RT_BROADCAST, RT_STATIC, RT_DEFAULT, RT_SHORTCUT,
		  RT_KERNEL /* learned from the host's routing daemon (kernel interface) */ };

struct route_entry {
	uint32_t prefix;
	uint8_t plen;
	uint8_t kind;        /* enum route_kind */
	uint8_t seen;        /* scratch for diffs */
	struct nexthop nh;
	uint32_t nh_idx;
};

enum neigh_state { NEIGH_INCOMPLETE = 1, NEIGH_REACHABLE, NEIGH_STATIC, NEIGH_PROBE };

/* Packets kept per unresolved neighbour while ARP runs: as Linux's
 * unres_qlen (3) and near IOS (1); more only waits longer for a host that
 * is probably not there. */
#define NEIGH_QUEUE 3
#define NEIGH_RETRIES 3
/* All ARP queues together hold at most this share of the mbuf pool
 * (dataplane.mbufs / 8), so that traffic to silent addresses can never
 * starve the ports' RX rings. */
#define NEIGH_QUEUE_POOL_SHARE 8
/* Incomplete entries take at most this share of dataplane.max_neighbors:
 * a sweep of a large subnet leaves the rest to resolved neighbours and
 * bounds the ARP requests sent (one a second per incomplete entry). */
#define NEIGH_INCOMPLETE_SHARE 4

struct neigh_entry {
	uint8_t port;
	uint8_t state;
	uint8_t probes;
	uint8_t nq;
	uint8_t seen;
	uint8_t mac[6];
	uint32_t addr;
	uint64_t updated_ms;   /* last confirmation */
	uint64_t probe_ms;     /* last request sent */
	struct rte_mbuf *queue[NEIGH_QUEUE];
};

/* ports.c */
int ports_init(struct app *a);
void ports_fini(struct app *a);

/* state.c: make the tables and interface view match a configuration. */
int state_apply(struct app *a, const struct dmvpn_config *cfg, char *err, size_t errlen);
int state_reload(struct app *a, char *err, size_t errlen);
/* Shortcut routes (NHRP): override a configured route of the same prefix
 * while they exist. 0 or -errno. */
int state_shortcut_add(struct app *a, uint32_t prefix, uint8_t plen, uint8_t tunnel,
		       uint32_t nexthop);
void state_shortcut_del(struct app *a, uint32_t prefix, uint8_t plen);
/* Routes from the host's daemon through a kernel interface: next hop
 * nexthop in tunnel t. A configured route of the same prefix wins
 * (-EEXIST). 0 or -errno. */
int state_kernel_route_add(struct app *a, uint32_t prefix, uint8_t plen, uint8_t tunnel,
			   uint32_t nexthop);
/* 0, or -ENOENT when no kernel route has that prefix. */
int state_kernel_route_del(struct app *a, uint32_t prefix, uint8_t plen);
/* Longest-prefix match in the control's copy of the routes (shortcuts
 * excluded), or NULL. */
const struct route_entry *state_route_match(const struct app *a, uint32_t addr);
/* Interface name of an interface index (port or tunnel). */
const char *state_ifname(const struct app *a, unsigned ifidx);

/* neigh.c: ARP and the neighbour table. */
void neigh_input_arp(struct app *a, struct rte_mbuf *m);
void neigh_miss(struct app *a, struct rte_mbuf *m);
void neigh_tick(struct app *a);
int neigh_set_static(struct app *a, uint8_t port, uint32_t addr, const uint8_t *mac);
const char *neigh_state_name(uint8_t s);
/* The caps above for this configuration: mbufs all ARP queues may hold,
 * incomplete entries the table may have. */
unsigned neigh_queue_limit(const struct app *a);
unsigned neigh_incomplete_limit(const struct app *a);

/* punt.c: packets from workers, packets to them. */
void punt_drain(struct app *a);
int app_inject(struct app *a, struct rte_mbuf *m, uint8_t kind, uint8_t out_if);

#endif
