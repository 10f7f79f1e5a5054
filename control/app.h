/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread's state: configuration, shadow tables, sockets, workers. */
#ifndef DMVPN_CONTROL_APP_H
#define DMVPN_CONTROL_APP_H

#include <stdint.h>
#include <time.h>

#include "dataplane/dp.h"
#include "lib/u64map.h"
#include "lib/config.h"

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

#include "control/ipsec/ipsec.h"
#include "control/kif/kif.h"
#include "control/nhrp/nhrp.h"

#define CTL_COUNTERS(X)                                                  \
	X(punt_arp) X(punt_local) X(punt_nhrp) X(punt_neigh_miss)        \
	X(arp_requests_sent) X(arp_replies_sent) X(arp_requests_received) \
	X(arp_replies_received) X(arp_ignored) X(arp_malformed)          \
	X(arp_queue_overflow) X(arp_queue_limit) X(arp_incomplete_limit) \
	X(arp_resolution_failed) X(arp_queue_expired)                    \
	X(icmp_echo_replies) X(icmp_ignored) X(udp_local_unhandled)      \
	X(icmp_errors_sent) X(icmp_errors_suppressed)                    \
	X(punt_resolve) X(punt_redirect) X(punt_kernel) X(inject_ring_full) X(alloc_failed) \
	X(ctl_requests) X(ctl_errors) X(reloads) X(reload_errors)        \
	X(ctl_clients_evicted) X(ctl_clients_timed_out) X(ctl_output_overflow) \
	X(kernel_routes_added) X(kernel_routes_removed) X(kernel_routes_refused)

struct ctl_counters {
#define X(n) uint64_t n;
	CTL_COUNTERS(X)
#undef X
};

struct ctl_client;

struct app {
	struct dmvpn_config cfg;
	const char *cfg_path;
	int verbose;
	struct dp_shared dp;
	unsigned n_workers;
	struct worker *workers[DP_MAX_WORKERS];
	uint16_t port_ids[CFG_MAX_PORTS];
	uint8_t port_macs[CFG_MAX_PORTS][6];
	time_t started;

	unsigned n_routes, cap_routes;
	struct route_entry *routes;
	struct u64map route_idx;   /* (prefix, length, shortcut) -> index in routes */
	unsigned n_neighs, cap_neighs;
	struct neigh_entry *neighs;
	struct u64map neigh_idx;     /* (port, address) -> index in neighs */
	unsigned n_neigh_incomplete; /* entries in NEIGH_INCOMPLETE */
	unsigned n_neigh_queued;     /* mbufs held by all ARP queues */
	unsigned n_nhrp, cap_nhrp;
	struct nhrp_entry *nhrp;
	struct u64map nhrp_idx;    /* (tunnel, address, shortcut length) -> index in nhrp */
	struct nhrp_state nh;
	unsigned n_sas, cap_sas;
	struct ipsec_sa_entry *sas;
	struct u64map sa_idx;      /* (tunnel, peer) -> index in sas */
	unsigned n_keys_used, cap_keys_used;
	struct ipsec_key_used *keys_used; /* static outbound keys ever installed */
	struct u64map keys_used_idx;      /* digest's first 8 bytes -> index */
	unsigned n_retiring;
	struct ipsec_retiring retiring[IPSEC_MAX_RETIRING];
	IMB_MGR *mb;               /* the control thread's, for key schedules */

	struct kif_state kif[CFG_MAX_TUNNELS];
	int kif_nl;                /* netlink: routes the host installs; -1 = none */
	int kif_ready;             /* kif_init ran: the descriptors above are real */

	struct ctl_counters cnt;
	double icmp_tokens;        /* ICMP error rate limit (token bucket) */
	uint64_t icmp_refill_ms;

	int epfd, timerfd, sigfd, listenfd;
	struct ctl_client *clients;
	volatile int quit;

	struct ike_engine *ike;    /* IKEv2; NULL without ike connections */
	struct ike_glue *ikg;      /* its environment and DMVPN state (ike_glue.c) */
};

/* Logging to stderr (control thread only). */
void app_log(struct app *a, int debug, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define LOG(a, ...) app_log(a, 0, __VA_ARGS__)
#define DBG(a, ...) app_log(a, 1, __VA_ARGS__)

uint64_t app_now_ms(void);
/* Make room for need elements of esz bytes in *arr (capacity *cap, doubled
 * as needed). 0 or -ENOMEM; *arr is unchanged on failure. */
int app_grow(void **arr, unsigned *cap, unsigned need, size_t esz);

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

/* ctl_socket.c / ctl_api.c */
int ctl_socket_init(struct app *a);
void ctl_socket_fini(struct app *a);
void ctl_socket_event(struct app *a, int fd, uint32_t events);
/* Closes clients idle longer than control.client_timeout (timer tick). */
void ctl_socket_tick(struct app *a);
/* Handle one request line; returns a malloc'd response line (no newline). */
char *ctl_api_handle(struct app *a, const char *line, size_t len);

/* telemetry.c */
void telemetry_init(struct app *a);
/* Sum of all workers' counters. */
void stats_sum(const struct app *a, struct dp_stats *out);

#endif
