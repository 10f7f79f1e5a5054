/* SPDX-License-Identifier: BSD-3-Clause */
/* A tunnel's kernel interface: a TUN device for a routing daemon on the host, and multicast replication. */
#ifndef DMVPN_CONTROL_KIF_H
#define DMVPN_CONTROL_KIF_H

#include <stdint.h>

struct app;
struct rte_mbuf;

/*
 * What the kernel interface of one tunnel saw. "from_kernel" is what the
 * host's stack sent into the tunnel (read from the TUN), "to_kernel" what
 * we handed it (written to the TUN); drops are counted by reason.
 */
#define KIF_COUNTERS(X)                                                        \
	X(from_kernel) X(from_kernel_bytes) X(from_kernel_unicast)             \
	X(from_kernel_multicast) X(replicated) X(to_kernel) X(to_kernel_bytes) \
	X(to_kernel_unicast) X(to_kernel_multicast)                            \
	X(drop_not_ipv4) X(drop_malformed) X(drop_no_targets)                  \
	X(drop_alloc) X(drop_inject) X(drop_write) X(drop_down)

struct kif_counters {
#define X(n) uint64_t n;
	KIF_COUNTERS(X)
#undef X
};

struct kif_state {
	int fd;                  /* the TUN device; -1 = none */
	int ifindex;             /* the kernel's index of it */
	struct kif_counters cnt;
};

/* Create the TUN device of every tunnel that asks for one, give it the
 * tunnel's address and MTU, bring it up and watch it on a->epfd; also
 * start listening for the routes the host installs on them. 0 or -errno
 * (the error is logged). */
int kif_init(struct app *a);
void kif_fini(struct app *a);
/* 1 when fd is a kernel interface's or the route listener's and its event
 * was handled, else 0. */
int kif_event(struct app *a, int fd);
/* A packet a worker punted for tunnel out_if's kernel interface (PUNT_KERNEL):
 * written to the TUN; m is consumed. */
void kif_punt(struct app *a, struct rte_mbuf *m);
/* A local ICMP or UDP packet (PUNT_LOCAL): 1 when it was for a kernel
 * interface and taken (consumed), 0 when the appliance answers it itself
 * (ICMP echo, IKE). */
int kif_local_claim(struct app *a, struct rte_mbuf *m);
/* Send one IPv4 packet (multicast or broadcast) of tunnel t to every
 * multicast target: registered spokes (multicast dynamic), static maps
 * flagged multicast, the NHSes, listed NBMA addresses. Returns the number
 * of copies injected. */
unsigned kif_replicate(struct app *a, unsigned t, const uint8_t *pkt, uint16_t len);

/* kif_route.c: the routes the host installs through a kernel interface
 * (with a next hop in the tunnel subnet) become tunnel routes of kind
 * "kernel"; removed when the host removes them. */
int kif_routes_init(struct app *a);
void kif_routes_fini(struct app *a);
void kif_routes_event(struct app *a);
int kif_routes_dump(struct app *a);

#endif
