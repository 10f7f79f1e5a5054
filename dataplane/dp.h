/* SPDX-License-Identifier: BSD-3-Clause */
/* What workers and the control thread share: runtime config, rings, per-lcore counters. */
#ifndef DMVPN_DATAPLANE_DP_H
#define DMVPN_DATAPLANE_DP_H

#include <stdatomic.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lib/config.h"
#include "lib/esp.h"
#include "lib/replay.h"
#include "lib/drop.h"
#include "lib/tables.h"

#define DP_MAX_WORKERS 16
#define DP_MAX_BURST 64
/* Interface index space: ports 0..CFG_MAX_PORTS-1, tunnels after them. */
#define DP_IF_TUNNEL(i) (CFG_MAX_PORTS + (i))
#define DP_IF_IS_TUNNEL(i) ((i) >= CFG_MAX_PORTS)

/* Why a worker hands a packet to the control thread. */
enum punt_reason {
	PUNT_ARP = 1,       /* whole Ethernet frame */
	PUNT_LOCAL,         /* IPv4 packet for one of our addresses (ICMP, UDP) */
	PUNT_NHRP,          /* IPv4+GRE packet carrying NHRP */
	PUNT_NEIGH_MISS,    /* IPv4 packet waiting for ARP of aux on out_if */
	PUNT_ICMP_ERROR,    /* dropped packet to answer with ICMP: aux = type<<24|code<<16|mtu */
	PUNT_RESOLVE,       /* no NHRP mapping for next hop aux in tunnel out_if (phase 2) */
	PUNT_REDIRECT,      /* copy of a hairpinned packet's head: send a redirect (phase 3) */
	PUNT_KERNEL,        /* IPv4 packet for the kernel interface of tunnel out_if */
};

/* What the control thread asks a worker to do with an injected packet. */
enum inject_kind {
	INJECT_L2 = 1,      /* complete frame: send on port out_if */
	INJECT_L3,          /* IPv4 packet: route it (no TTL decrement) */
	INJECT_NHRP,        /* NHRP message: GRE to NBMA aux through tunnel out_if */
	INJECT_GRE,         /* IPv4 packet: GRE to NBMA aux through tunnel out_if (multicast) */
};

/* Per-packet metadata in the mbuf private area. */
struct pkt_meta {
	uint8_t in_if;      /* interface the packet arrived on */
	uint8_t out_if;
	uint8_t kind;       /* punt_reason or inject_kind */
	uint8_t depth;      /* decapsulations so far */
	uint32_t aux;       /* next hop for PUNT_NEIGH_MISS (network order) */
	uint32_t nbma_src;  /* outer source of a decapsulated packet */
	uint8_t flags;      /* PM_F_* */
	uint8_t pad[3];
};

#define PM_F_ESP 0x01       /* arrived inside ESP: may be a protected tunnel's GRE */
#define PM_F_CONTROL 0x02   /* the control thread's own signalling */

static inline struct pkt_meta *pkt_meta(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

struct dp_port_rt {
	uint16_t port_id;
	uint16_t mtu;
	uint8_t mac[6];
	uint8_t plen;
	uint32_t addr;
};

#define TUN_F_RESOLVE 0x01  /* punt mapping misses: an NHS can resolve them */
#define TUN_F_REDIRECT 0x02 /* report hairpinned traffic for NHRP redirects */
#define TUN_F_PROTECT 0x04  /* GRE to and from peers only inside ESP */
#define TUN_F_KERNEL 0x08   /* has a kernel interface: hand it what we do not consume */

#define SA_F_TUNNEL 0x01    /* ESP tunnel mode (else transport) */
#define SA_F_UDP 0x02       /* ESP in UDP, RFC 3948 */
#define SA_F_ESN 0x04       /* 64-bit sequence numbers */
#define SA_F_NO_REPLAY 0x08 /* anti-replay off (replay_window = 0) */
#define ESP_UDP_PORT 4500

/*
 * An SA as workers use it. The crypto state and parameters are immutable;
 * the sequence number (outbound, shared by workers: atomic) and the replay
 * window (inbound: one worker, as RSS keeps an SA on one queue) change.
 * Replaced as a whole on rekey, freed after a grace period.
 */
struct sa_rt {
	struct esp_crypto crypto;
	uint32_t spi_be;
	uint32_t peer;           /* the peer's NBMA address */
	uint16_t udp_dport_be;
	uint8_t flags;           /* SA_F_* */
	uint8_t tunnel;
	uint64_t hard_packets, hard_bytes;   /* 0 = no limit */
	volatile uint8_t expired;            /* set by the control thread */
	uint64_t seq __rte_cache_aligned;    /* last sequence number sent */
	uint64_t packets, bytes, errors;     /* atomic adds outbound; one writer inbound */
	struct replay_window replay __rte_cache_aligned;
} __rte_cache_aligned;

struct dp_tunnel_rt {
	uint8_t source;     /* port index of the NBMA address */
	uint8_t flags;      /* TUN_F_* */
	uint8_t has_key;
	uint8_t ttl;
	uint16_t mtu;
	uint32_t key;       /* network order */
	uint32_t src;       /* NBMA source address, network order */
	uint32_t addr;      /* tunnel address and subnet broadcast (TUN_F_KERNEL only) */
	uint32_t bcast;
};

/* Immutable interface view; replaced as a whole and freed after a grace period. */
struct dp_conf {
	unsigned n_ports;
	unsigned n_tunnels;
	struct dp_port_rt ports[CFG_MAX_PORTS];
	struct dp_tunnel_rt tunnels[CFG_MAX_TUNNELS];
};

/* Per-worker counters: written by that worker only, read racily by control. */
struct dp_if_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

struct dp_stats {
	struct dp_if_stats ifs[CFG_MAX_PORTS + CFG_MAX_TUNNELS];
	uint64_t forwarded;
	uint64_t gre_encap;
	uint64_t gre_decap;
	uint64_t tunnel_hairpin;   /* in and out of the same tunnel: via the hub */
	uint64_t punted;
	uint64_t injected;
	uint64_t drops[DROP__COUNT];
	uint64_t loops, idle_sleeps;
} __rte_cache_aligned;

struct dp_shared {
	struct dp_tables tables;
	_Atomic(struct dp_conf *) conf;
	struct rte_mempool *pool;
	unsigned burst;
	unsigned idle_polls;
	unsigned idle_sleep_us;
	int punt_efd;           /* eventfd the control thread sleeps on */
	struct rte_ring *punt;  /* workers -> control (MP/SC) */
};

/* Redirect notices are rate limited per (source, destination) in the worker
 * so that a hairpinned flow costs one copy per second, not one per packet. */
#define REDIRECT_RL_SLOTS 256

struct redirect_rl {
	uint32_t src, dst;
	uint64_t tsc;
};

struct worker {
	unsigned idx;           /* also the RCU thread id and the queue id */
	unsigned lcore;
	struct dp_shared *dp;
	struct rte_ring *inject; /* control -> this worker (SP/SC) */
	IMB_MGR *mb;             /* this lcore's intel-ipsec-mb manager */
	volatile int stop;
	struct dp_stats stats;
	struct redirect_rl redirect_rl[REDIRECT_RL_SLOTS];
	/* Outbound SA counters gathered over a burst: one atomic add per SA
	 * and burst instead of two per packet. Flushed in dp_flush(), before
	 * the quiescent report, so the SA cannot be freed meanwhile. */
	struct {
		struct sa_rt *sa;
		uint64_t packets, bytes;
	} sa_acc;
	/* The last NBMA address's underlay next hop (port, MAC), valid while
	 * the tables' generation is unchanged: most tunnel packets go to the
	 * same WAN gateway or peer, so this saves a route and a neighbour
	 * lookup each. */
	struct {
		uint32_t gen;
		uint32_t nbma;
		uint8_t port;
		uint8_t valid;
		uint8_t mac[6];
	} l2c;
} __rte_cache_aligned;

/* Worker main loop (rte_eal_remote_launch entry). */
int worker_main(void *arg);

/* Per-burst processing of one worker, exposed for the benchmark and tests. */
struct tx_buf {
	uint16_t n[CFG_MAX_PORTS];
	struct rte_mbuf *pkts[CFG_MAX_PORTS][DP_MAX_BURST * 2];
	uint16_t np;
	struct rte_mbuf *punt[DP_MAX_BURST * 2];
};

void dp_input(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	      uint8_t in_port, struct rte_mbuf **pkts, uint16_t n);
void dp_inject(struct worker *w, const struct dp_conf *c, struct tx_buf *tb,
	       struct rte_mbuf **pkts, uint16_t n);
void dp_flush(struct worker *w, const struct dp_conf *c, struct tx_buf *tb);

/* esp.c: add the burst's outbound SA counters to the SA. */
void esp_counters_flush(struct worker *w);
/* esp.c: 0 when m was sealed (and stays the caller's), else it was dropped. */
int esp_output(struct worker *w, const struct dp_conf *c, struct rte_mbuf *m, struct sa_rt *sa,
	       uint8_t out_port);
/* m holds an IPv4 packet whose ESP starts off bytes in; on success m is
 * the decrypted GRE packet as IPv4 (proto 47), flagged PM_F_ESP, and 0 is
 * returned; else it was dropped and counted. */
int esp_input(struct worker *w, struct rte_mbuf *m, size_t off, int udp);

#endif
