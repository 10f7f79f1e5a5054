/* SPDX-License-Identifier: BSD-3-Clause */
/* Forwarding tables shared by the control thread (only writer) and workers (lock-free readers). */
#ifndef DMVPN_LIB_TABLES_H
#define DMVPN_LIB_TABLES_H

#include <stdint.h>

#include <rte_hash.h>
#include <rte_lpm.h>
#include <rte_rcu_qsbr.h>

#include "lib/base/u64map.h"

/*
 * Threading contract, for every function below:
 *  - "writer": control thread only; never concurrently with itself.
 *  - "reader": any worker lcore, lock-free, between two quiescent-state
 *    reports on the tables' rte_rcu_qsbr; a pointer it gets stays valid
 *    until its next rte_rcu_qsbr_quiescent().
 * Objects workers see are immutable: a change publishes a new object and
 * frees the old one after a grace period. The exceptions are single
 * pointers the writer swaps atomically (a next hop's peer, a slot of the
 * SPI table), always before what they pointed to is freed.
 */

enum nh_kind {
	NH_NONE = 0,
	NH_LOCAL,      /* one of our addresses */
	NH_PORT,       /* out of a port (ifidx = port index) */
	NH_TUNNEL,     /* into an mGRE tunnel (ifidx = tunnel index) */
	NH_BLACKHOLE,  /* drop silently (counted) */
};

struct peer_rt;

struct nexthop {
	uint8_t kind;
	uint8_t ifidx;
	uint16_t pad;
	uint32_t gw;   /* network order; 0 = the destination itself (connected) */
	/* Kept by the tables, whatever the caller passes: for NH_TUNNEL with
	 * a gateway, the peer published for (ifidx, gw), or NULL (none, or
	 * look it up). Readers load it with tables_nh_peer(); the writer
	 * swaps it before the peer it replaces is freed. */
	const struct peer_rt *peer;
};

struct neigh_rt {              /* resolved neighbour: what a worker needs */
	uint8_t mac[6];
};

struct peer_rt {               /* NHRP mapping: tunnel address -> NBMA */
	uint32_t nbma;         /* network order */
	uint32_t pad;
	/* The outbound SA of (tunnel, nbma) when this peer was published, or
	 * NULL: encryption needs no second lookup. The writer republishes the
	 * peer before it frees an SA it points to (tables_sa_out_set/del). */
	void *sa_out;
};

/* SPI -> inbound SA: open addressing with linear probing, one writer,
 * lock-free readers. A slot's sa is NULL (empty: the end of a probe),
 * SPI_TOMB (deleted: probe on) or the SA; a slot is reused only through
 * a tombstone, its SPI written before its SA, and a reader takes an SA
 * only when the SPI reads the same before and after it, so it never pairs
 * one SPI with another's SA. Grown or cleaned by publishing a new table. */
struct spi_slot {
	uint32_t spi;              /* network order */
	uint32_t pad;
	void *sa;
};

#define SPI_TOMB ((void *)1)

struct spi_table {
	uint32_t mask;             /* slots - 1; slots a power of two */
	uint32_t pad[15];
	struct spi_slot s[];       /* from the second cache line */
};

struct dp_tables {
	struct rte_rcu_qsbr *qsbr;
	struct rte_lpm *lpm;
	struct nexthop *nh;        /* indexed by the LPM's next-hop value */
	uint32_t nh_max;
	uint32_t nh_default;       /* slot of 0.0.0.0/0, which rte_lpm cannot hold; 0 = none */
	uint32_t gen;              /* bumped after every route or neighbour change */
	struct rte_hash *neigh;
	struct rte_hash *peers;
	struct spi_table *sa_in;   /* SPI -> inbound SA (RCU: replaced whole) */
	uint32_t sa_in_used, sa_in_tomb;   /* writer-private: its live slots, tombstones */
	struct rte_hash *sa_out;   /* (tunnel, peer NBMA) -> outbound SA */
	struct rte_rcu_qsbr_dq *dq;
	/* writer-private: free next-hop slots */
	uint32_t *nh_free;
	uint32_t nh_nfree;
	/* writer-private: (tunnel, NBMA) -> the protocol addresses mapped to
	 * it, so that an SA change republishes exactly the peers that carry it. */
	struct u64map nbma_idx;      /* key -> first node */
	struct tables_peer_ref *refs;
	uint32_t n_refs, cap_refs, free_ref;
	/* writer-private: (tunnel, gateway) -> the next-hop slots through
	 * that gateway (first slot; nh_next links the rest), whose peer
	 * pointer a peer change rewrites. */
	struct u64map gw_idx;
	uint32_t *nh_next;
};

/* Create/destroy (writer). qsbr must outlive the tables. 0 or -errno. */
int tables_create(struct dp_tables *t, const char *name, struct rte_rcu_qsbr *qsbr,
		  uint32_t max_routes, uint32_t max_neigh, uint32_t max_peers);
void tables_destroy(struct dp_tables *t);

/* Next hops (writer): take a slot holding *nh; give it back once no route
 * refers to it (reused only after a grace period). */
int tables_nh_alloc(struct dp_tables *t, const struct nexthop *nh, uint32_t *idx);
void tables_nh_release(struct dp_tables *t, uint32_t idx);

/* Reader: the peer a route's next hop leads to, when the tables know it
 * (NH_TUNNEL through a gateway that NHRP maps); NULL: look the peer up. */
static inline const struct peer_rt *tables_nh_peer(const struct nexthop *nh)
{
	return __atomic_load_n(&nh->peer, __ATOMIC_ACQUIRE);
}

/* Readers may cache what routes and neighbours gave them while this is
 * unchanged (acquire); writers bump it after publishing (release). */
static inline uint32_t tables_gen(const struct dp_tables *t)
{
	return __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE);
}

/* Routes (writer). Addresses in network order. 0 or -errno. */
int tables_route_add(struct dp_tables *t, uint32_t prefix, uint8_t plen, uint32_t nh_idx);
int tables_route_del(struct dp_tables *t, uint32_t prefix, uint8_t plen);

/* Route lookup (reader): the next hop for dst, or NULL. */
static inline const struct nexthop *tables_route_lookup(const struct dp_tables *t, uint32_t dst)
{
	uint32_t idx;

	if (rte_lpm_lookup(t->lpm, __builtin_bswap32(dst), &idx) != 0) {
		idx = __atomic_load_n(&t->nh_default, __ATOMIC_ACQUIRE);
		if (idx == 0)
			return NULL;
	}
	return &t->nh[idx];
}

/* Neighbours (writer): publish/replace or remove the MAC of (port, addr). */
int tables_neigh_set(struct dp_tables *t, uint16_t port, uint32_t addr, const uint8_t *mac);
int tables_neigh_del(struct dp_tables *t, uint16_t port, uint32_t addr);
/* Reader. NULL when unresolved. */
const struct neigh_rt *tables_neigh_lookup(const struct dp_tables *t, uint16_t port, uint32_t addr);

/* NHRP peers (writer): publish/replace or remove tunnel address -> NBMA. */
int tables_peer_set(struct dp_tables *t, uint16_t tunnel, uint32_t proto, uint32_t nbma);
int tables_peer_del(struct dp_tables *t, uint16_t tunnel, uint32_t proto);
/* Reader. NULL when not mapped. */
const struct peer_rt *tables_peer_lookup(const struct dp_tables *t, uint16_t tunnel, uint32_t proto);
/* Reader: n (<= 64) lookups at once (rte_hash's bulk lookup, which
 * prefetches buckets and keys); out[i] NULL on a miss. */
void tables_peer_lookup_bulk(const struct dp_tables *t, const uint16_t *tunnel,
			     const uint32_t *proto, unsigned n, const struct peer_rt **out);

/* SAs (writer): publish/replace or remove an rte_malloc'd SA object; the
 * old one is freed after a grace period. Readers: lookup, NULL on a miss. */
int tables_sa_in_set(struct dp_tables *t, uint32_t spi, void *sa);
int tables_sa_in_del(struct dp_tables *t, uint32_t spi);
void *tables_sa_in_lookup(const struct dp_tables *t, uint32_t spi);
/* Reader: n (<= 64) SPIs (network order) at once; out[i] NULL on a miss
 * (the slots are prefetched first). */
void tables_sa_in_lookup_bulk(const struct dp_tables *t, const uint32_t *spi, unsigned n,
			      void **out);
/* Also republishes the peers of (tunnel, nbma) with the new SA before the
 * old one is freed (or, on del, with none before it goes). */
int tables_sa_out_set(struct dp_tables *t, uint16_t tunnel, uint32_t nbma, void *sa);
int tables_sa_out_del(struct dp_tables *t, uint16_t tunnel, uint32_t nbma);
void *tables_sa_out_lookup(const struct dp_tables *t, uint16_t tunnel, uint32_t nbma);

/* Writer: defer freeing an rte_malloc'd object until readers are done;
 * and free what has passed its grace period (call periodically). */
int tables_defer_free(struct dp_tables *t, void *obj);
void tables_reclaim(struct dp_tables *t);

#endif
