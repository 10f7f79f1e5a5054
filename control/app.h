/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread's state (struct app: configuration, shadow tables, sockets, workers), logging, the clock; each room's functions are in its own header. */
#ifndef DMVPN_CONTROL_APP_H
#define DMVPN_CONTROL_APP_H

#include <stdint.h>
#include <time.h>

#include "dataplane/dp.h"
#include "lib/base/u64map.h"
#include "lib/config/config.h"

#include "control/core/core.h"
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
struct peer_listener;

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
	const struct peer_listener *peer_listener; /* told of peers' protection (NHRP) */
};

/* Logging to stderr (control thread only). */
void app_log(struct app *a, int debug, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define LOG(a, ...) app_log(a, 0, __VA_ARGS__)
#define DBG(a, ...) app_log(a, 1, __VA_ARGS__)

uint64_t app_now_ms(void);
/* Make room for need elements of esz bytes in *arr (capacity *cap, doubled
 * as needed). 0 or -ENOMEM; *arr is unchanged on failure. */
int app_grow(void **arr, unsigned *cap, unsigned need, size_t esz);
/* len unpredictable bytes (SPIs, nonces, NHRP request IDs): OpenSSL's
 * generator, or the kernel's should it fail; never fails itself. */
void app_random(struct app *a, void *buf, size_t len);

#endif
