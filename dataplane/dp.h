/* SPDX-License-Identifier: BSD-3-Clause */
/* What workers and the control thread share: runtime config, rings, per-lcore counters. */
#ifndef DMVPN_DATAPLANE_DP_H
#define DMVPN_DATAPLANE_DP_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "lib/config/config.h"
#include "lib/esp/esp.h"
#include "lib/esp/replay.h"
#include "lib/base/drop.h"
#include "lib/wire/proto.h"
#include "lib/tables/tables.h"

#define DP_MAX_WORKERS 16
#define DP_MAX_BURST 64
#define DP_NEIGH_CACHE 64 /* a power of two */
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
	uint8_t sa_tunnel;  /* PM_F_ESP: the tunnel of the SA that opened it */
	uint8_t pad[2];
};

#define PM_F_ESP 0x01       /* arrived inside ESP: may be its SA's tunnel's GRE */

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
#define SA_F_INNER 0x10     /* tunnel mode with inner addresses: the selectors */
#define ESP_UDP_PORT 4500

/* Outbound SA counters of one worker: only that worker writes them. */
struct sa_ctr {
	uint64_t packets, bytes;
};

/*
 * An SA as workers use it. The crypto state and parameters are immutable
 * but for the peer's UDP port, which NAT-T may move (ipsec_sa_rebind);
 * the sequence number (outbound, shared by workers: atomic, reserved a
 * block per run of packets) and the replay window (inbound: one worker)
 * change. The window has one writer because an inbound SA takes packets
 * only from its peer (address, and port in UDP) to its tunnel's address
 * on its tunnel's port: one address pair, which RSS (hashing addresses)
 * puts on one queue, which one worker polls. Outbound counters are per worker
 * (summed by the reader); inbound ones have the one writer. Replaced as a
 * whole on rekey, freed after a grace period.
 */
struct sa_rt {
	struct esp_crypto crypto;
	uint32_t spi_be;
	uint32_t peer;           /* the peer's NBMA address */
	/* The peer's port in UDP: where outbound packets go, and the only
	 * source port inbound ones may come from (0 while a NAT rebinding
	 * waits for the workers: nothing is taken then). */
	volatile uint16_t udp_dport_be;
	uint8_t flags;           /* SA_F_* */
	uint8_t tunnel;
	/* SA_F_INNER: the inner header's addresses (network order), what the
	 * peer's policy has; inbound they are checked and mapped back to the
	 * peer's NBMA address and ours, which the rest of the system uses. */
	uint32_t inner_local, inner_remote;
	uint64_t hard_packets, hard_bytes;   /* 0 = no limit */
	volatile uint8_t expired;            /* set by the control thread */
	uint8_t n_workers;                   /* out[] entries in use */
	uint64_t seq __rte_cache_aligned;    /* last sequence number reserved */
	uint64_t packets, bytes, errors;     /* inbound: one writer */
	struct sa_ctr out[DP_MAX_WORKERS];   /* outbound: one writer each */
	struct replay_window replay __rte_cache_aligned;
} __rte_cache_aligned;

/* Bring in what the worker reads of an SA: parameters, sequence number
 * and counters, the AES round keys (up to AES-256's 240 bytes), and the
 * GHASH keys H^8..H^1, which intel-ipsec-mb's VAES code keeps at the end
 * of struct gcm_key_data (after H^48..H^9): all a packet of up to 128
 * bytes reads, and where the library starts on a longer one. */
static inline void sa_rt_prefetch(const struct sa_rt *sa)
{
	const uint8_t *p = (const uint8_t *)sa, *k = p + offsetof(struct sa_rt, crypto.gcm);

	rte_prefetch0(p);
	for (unsigned o = 0; o < 256; o += 64)
		rte_prefetch0(k + o);
	for (unsigned o = sizeof(struct gcm_key_data) - 8 * 16; o < sizeof(struct gcm_key_data); o += 64)
		rte_prefetch0(k + o);
	rte_prefetch0(k + sizeof(struct gcm_key_data) - 1);
	rte_prefetch0(p + offsetof(struct sa_rt, spi_be));
	rte_prefetch0(p + offsetof(struct sa_rt, seq));
}

/* Outbound packets and bytes, summed over the workers (any thread, racy). */
static inline uint64_t sa_rt_out_packets(const struct sa_rt *sa)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < sa->n_workers && i < DP_MAX_WORKERS; i++)
		n += __atomic_load_n(&sa->out[i].packets, __ATOMIC_RELAXED);
	return n;
}

static inline uint64_t sa_rt_out_bytes(const struct sa_rt *sa)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < sa->n_workers && i < DP_MAX_WORKERS; i++)
		n += __atomic_load_n(&sa->out[i].bytes, __ATOMIC_RELAXED);
	return n;
}

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
	/* Packets waiting for ARP are punted only while the punt ring holds
	 * fewer than this: with the control thread's ARP queues, what waits
	 * for ARP can never take the pool from the RX rings. */
	unsigned punt_neigh_max;
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
	/* Neighbours seen lately, (port, address) -> MAC, valid while the
	 * tables' generation is unchanged: a LAN host or the WAN gateway
	 * takes most packets, so this saves a hash lookup each. */
	struct neigh_cache {
		uint32_t gen;
		uint32_t addr;
		uint8_t port;
		uint8_t valid;
		uint8_t mac[6];
	} nc[DP_NEIGH_CACHE];
	/* The last NBMA address's underlay route (port, gateway), same rule. */
	struct {
		uint32_t gen;
		uint32_t nbma;
		uint32_t gw;
		uint8_t port;
		uint8_t valid;
	} l2c;
	/* One burst's ESP jobs: the crypto library's scratch lives here. */
	struct esp_op ops[DP_MAX_BURST];
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

#endif
