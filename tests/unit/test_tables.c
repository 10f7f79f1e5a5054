/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/tables/tables: routes, next-hop slots, neighbours, peers, and a reader racing the writer. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "lib/tables/tables.h"
#include "check.h"

#define MAX_ROUTES 64
#define MAX_NEIGH 64
#define MAX_PEERS 64

static struct rte_rcu_qsbr *qsbr;
static cpu_set_t cpus;          /* before EAL pinned this thread to lcore 0 */

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

static uint32_t nh_add(struct dp_tables *t, uint8_t kind, uint8_t ifidx, uint32_t gw)
{
	struct nexthop nh = {.kind = kind, .ifidx = ifidx, .gw = gw};
	uint32_t idx = 0;

	CHECK_INT(tables_nh_alloc(t, &nh, &idx), 0);
	return idx;
}

static void test_create_destroy(void)
{
	struct dp_tables a, b;

	CHECK_INT(tables_create(&a, "cd", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	/* Names are DPDK-global: a second set under the same name fails cleanly. */
	CHECK(tables_create(&b, "cd", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS) < 0);
	CHECK(b.lpm == NULL && b.dq == NULL);
	tables_destroy(&a);
	/* Destroy released every name. */
	CHECK_INT(tables_create(&a, "cd", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	tables_destroy(&a);
}

static void test_routes(void)
{
	struct dp_tables t;
	uint32_t a, b, c, d, e;
	static const struct {
		uint8_t dst[4];
		int want;          /* index into the next hops below, -1 = miss */
	} look[] = {
		{{10, 9, 9, 9}, 0}, {{10, 1, 9, 9}, 1}, {{10, 1, 2, 9}, 2}, {{10, 1, 2, 3}, 3},
		{{10, 1, 2, 4}, 2}, {{10, 1, 2, 2}, 2}, {{10, 255, 255, 255}, 0}, {{11, 0, 0, 1}, 4},
		{{9, 255, 255, 255}, 4}, {{0, 0, 0, 0}, 4},
	};
	uint32_t gws[5];

	CHECK_INT(tables_create(&t, "rt", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	for (int i = 0; i < 5; i++)
		gws[i] = ip(192, 0, 2, (uint8_t)(100 + i));
	a = nh_add(&t, NH_PORT, 0, gws[0]);
	b = nh_add(&t, NH_PORT, 1, gws[1]);
	c = nh_add(&t, NH_TUNNEL, 0, gws[2]);
	d = nh_add(&t, NH_LOCAL, 0, gws[3]);
	e = nh_add(&t, NH_BLACKHOLE, 0, gws[4]);
	CHECK(a && b && c && d && e);  /* slot 0 is never handed out */
	CHECK(a != b && b != c && c != d && d != e);

	CHECK(tables_route_lookup(&t, ip(10, 1, 2, 3)) == NULL);
	CHECK_INT(tables_route_add(&t, ip(10, 0, 0, 0), 8, a), 0);
	CHECK_INT(tables_route_add(&t, ip(10, 1, 0, 0), 16, b), 0);
	CHECK_INT(tables_route_add(&t, ip(10, 1, 2, 0), 24, c), 0);
	CHECK_INT(tables_route_add(&t, ip(10, 1, 2, 3), 32, d), 0);   /* a tbl8 entry */
	CHECK_INT(tables_route_add(&t, ip(0, 0, 0, 0), 0, e), 0);
	CHECK(tables_route_add(&t, ip(10, 0, 0, 0), 33, a) < 0);
	for (size_t i = 0; i < sizeof(look) / sizeof(look[0]); i++) {
		const struct nexthop *nh = tables_route_lookup(&t, ip(look[i].dst[0], look[i].dst[1],
								       look[i].dst[2], look[i].dst[3]));

		CHECK_MSG(nh && nh->gw == gws[look[i].want], "%u.%u.%u.%u: %s", look[i].dst[0],
			  look[i].dst[1], look[i].dst[2], look[i].dst[3], nh ? "wrong" : "miss");
	}
	{
		const struct nexthop *nh = tables_route_lookup(&t, ip(10, 1, 2, 9));

		CHECK(nh && nh->kind == NH_TUNNEL && nh->ifidx == 0);
		nh = tables_route_lookup(&t, ip(10, 1, 9, 9));
		CHECK(nh && nh->kind == NH_PORT && nh->ifidx == 1);
	}

	/* Removing the /24 exposes the /16 around the /32. */
	CHECK_INT(tables_route_del(&t, ip(10, 1, 2, 0), 24), 0);
	CHECK(tables_route_lookup(&t, ip(10, 1, 2, 9))->gw == gws[1]);
	CHECK(tables_route_lookup(&t, ip(10, 1, 2, 3))->gw == gws[3]);
	CHECK_INT(tables_route_del(&t, ip(10, 1, 2, 3), 32), 0);
	CHECK(tables_route_lookup(&t, ip(10, 1, 2, 3))->gw == gws[1]);
	CHECK_INT(tables_route_del(&t, ip(0, 0, 0, 0), 0), 0);
	CHECK(tables_route_lookup(&t, ip(11, 0, 0, 1)) == NULL);
	CHECK(tables_route_del(&t, ip(0, 0, 0, 0), 0) < 0);
	CHECK(tables_route_del(&t, ip(10, 1, 2, 0), 24) < 0);
	/* Replacing a route's next hop is one add. */
	CHECK_INT(tables_route_add(&t, ip(10, 0, 0, 0), 8, e), 0);
	CHECK(tables_route_lookup(&t, ip(10, 200, 0, 1))->kind == NH_BLACKHOLE);
	CHECK(tables_route_lookup(&t, ip(10, 1, 0, 1))->gw == gws[1]);
	tables_destroy(&t);
}

static void test_nh_slots(void)
{
	struct dp_tables t;
	struct nexthop nh = {.kind = NH_PORT};
	uint8_t used[MAX_ROUTES + 1] = {0};
	uint32_t idx, again;

	CHECK_INT(tables_create(&t, "nh", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	/* Exactly max_routes slots, all distinct, none of them 0. */
	for (uint32_t i = 0; i < MAX_ROUTES; i++) {
		nh.gw = i;
		CHECK_INT(tables_nh_alloc(&t, &nh, &idx), 0);
		CHECK_MSG(idx >= 1 && idx <= MAX_ROUTES && !used[idx], "slot %u", idx);
		if (idx <= MAX_ROUTES)
			used[idx] = 1;
		CHECK_INT(t.nh[idx].gw, i);
	}
	CHECK_INT(tables_nh_alloc(&t, &nh, &idx), -ENOSPC);

	/* No reader registered: a released slot is free again at once. */
	tables_nh_release(&t, 7);
	CHECK_INT(tables_nh_alloc(&t, &nh, &idx), 0);
	CHECK_INT(idx, 7);

	/* A reader that has not reported quiescent since the release holds
	 * the slot back; its report lets the slot go. */
	CHECK_INT(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	tables_nh_release(&t, 9);
	CHECK_INT(tables_nh_alloc(&t, &nh, &again), -ENOSPC);
	tables_reclaim(&t);
	CHECK_INT(t.nh_nfree, 0);
	rte_rcu_qsbr_quiescent(qsbr, 0);
	nh.gw = 12345;
	CHECK_INT(tables_nh_alloc(&t, &nh, &again), 0);
	CHECK_INT(again, 9);
	CHECK_INT(t.nh[9].gw, 12345);
	/* Offline readers do not hold anything back. */
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	tables_nh_release(&t, 3);
	CHECK_INT(tables_nh_alloc(&t, &nh, &again), 0);
	CHECK_INT(again, 3);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	tables_destroy(&t);
}

static void test_neigh(void)
{
	static const uint8_t m1[6] = {2, 0, 0, 0, 0, 1}, m2[6] = {2, 0, 0, 0, 0, 2},
			     m3[6] = {2, 0, 0, 0, 0, 3};
	struct dp_tables t;
	const struct neigh_rt *n, *old;
	uint32_t x = ip(192, 0, 2, 10);

	CHECK_INT(tables_create(&t, "ng", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	CHECK(tables_neigh_lookup(&t, 0, x) == NULL);
	CHECK_INT(tables_neigh_set(&t, 0, x, m1), 0);
	CHECK_INT(tables_neigh_set(&t, 1, x, m2), 0);   /* the port is part of the key */
	n = tables_neigh_lookup(&t, 0, x);
	CHECK(n && !memcmp(n->mac, m1, 6));
	n = tables_neigh_lookup(&t, 1, x);
	CHECK(n && !memcmp(n->mac, m2, 6));
	CHECK(tables_neigh_lookup(&t, 2, x) == NULL);
	CHECK(tables_neigh_lookup(&t, 0, ip(192, 0, 2, 11)) == NULL);
	/* Replace publishes a new object; the old one stays readable until reclaimed. */
	old = tables_neigh_lookup(&t, 0, x);
	CHECK_INT(tables_neigh_set(&t, 0, x, m3), 0);
	n = tables_neigh_lookup(&t, 0, x);
	CHECK(n && n != old && !memcmp(n->mac, m3, 6));
	CHECK_INT(tables_neigh_del(&t, 0, x), 0);
	CHECK(tables_neigh_lookup(&t, 0, x) == NULL);
	CHECK_INT(tables_neigh_del(&t, 0, x), -ENOENT);
	n = tables_neigh_lookup(&t, 1, x);
	CHECK(n && !memcmp(n->mac, m2, 6));
	CHECK_INT(tables_neigh_del(&t, 1, x), 0);
	tables_reclaim(&t);

	/* Fill, empty and fill again: deleted entries come back after reclaim. */
	for (int round = 0; round < 3; round++) {
		int ok = 0;

		for (uint32_t i = 0; i < MAX_NEIGH; i++) {
			uint8_t m[6] = {2, 0, 0, 0, (uint8_t)round, (uint8_t)i};

			ok += tables_neigh_set(&t, 0, htonl(0xc6120000 + i), m) == 0;
		}
		CHECK_MSG(ok == MAX_NEIGH, "round %d: %d of %d added", round, ok, MAX_NEIGH);
		for (uint32_t i = 0; i < MAX_NEIGH; i++) {
			n = tables_neigh_lookup(&t, 0, htonl(0xc6120000 + i));
			CHECK_MSG(n && n->mac[4] == round && n->mac[5] == i, "round %d entry %u", round, i);
		}
		for (uint32_t i = 0; i < MAX_NEIGH; i++)
			CHECK_INT(tables_neigh_del(&t, 0, htonl(0xc6120000 + i)), 0);
		tables_reclaim(&t);
	}
	tables_destroy(&t);
}

static void test_peers(void)
{
	struct dp_tables t;
	const struct peer_rt *p;
	uint32_t a = ip(198, 51, 100, 11), b = ip(198, 51, 100, 12);

	CHECK_INT(tables_create(&t, "pe", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	CHECK(tables_peer_lookup(&t, 0, a) == NULL);
	CHECK_INT(tables_peer_set(&t, 0, a, ip(192, 0, 2, 11)), 0);
	CHECK_INT(tables_peer_set(&t, 0, b, ip(192, 0, 2, 12)), 0);
	CHECK_INT(tables_peer_set(&t, 1, a, ip(203, 0, 113, 1)), 0);  /* other tunnel */
	p = tables_peer_lookup(&t, 0, a);
	CHECK(p && p->nbma == ip(192, 0, 2, 11));
	p = tables_peer_lookup(&t, 0, b);
	CHECK(p && p->nbma == ip(192, 0, 2, 12));
	p = tables_peer_lookup(&t, 1, a);
	CHECK(p && p->nbma == ip(203, 0, 113, 1));
	CHECK(tables_peer_lookup(&t, 1, b) == NULL);
	/* NHRP re-registration from a new NBMA address replaces the mapping. */
	CHECK_INT(tables_peer_set(&t, 0, a, ip(203, 0, 113, 7)), 0);
	p = tables_peer_lookup(&t, 0, a);
	CHECK(p && p->nbma == ip(203, 0, 113, 7));
	CHECK_INT(tables_peer_del(&t, 0, a), 0);
	CHECK(tables_peer_lookup(&t, 0, a) == NULL);
	CHECK(tables_peer_lookup(&t, 1, a) != NULL);
	CHECK_INT(tables_peer_del(&t, 0, a), -ENOENT);
	CHECK_INT(tables_peer_del(&t, 2, b), -ENOENT);
	CHECK_INT(tables_defer_free(&t, NULL), 0);
	CHECK_INT(tables_defer_free(&t, rte_malloc("x", 64, 0)), 0);
	tables_reclaim(&t);
	tables_destroy(&t);
}

/* Peers carry their outbound SA: set before or after the peer, replaced
 * (rekey), removed; a peer that moves to another NBMA takes that NBMA's SA;
 * the bulk lookups agree with the single ones. */
static void test_peer_sa(void)
{
	struct dp_tables t;
	uint32_t a = ip(198, 51, 100, 11), b = ip(198, 51, 100, 12), c = ip(198, 51, 100, 13);
	uint32_t n1 = ip(192, 0, 2, 11), n2 = ip(192, 0, 2, 12);
	uint32_t protos[4] = {a, b, c, a};
	uint16_t tuns[4] = {0, 0, 0, 1};
	const struct peer_rt *ps[4];
	void *s1 = rte_malloc("sa", 64, 0), *s2 = rte_malloc("sa", 64, 0);
	void *s3 = rte_malloc("sa", 64, 0), *sas[3];
	uint32_t spis[3] = {htonl(7), htonl(8), htonl(9)};

	CHECK_INT(tables_create(&t, "ps", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	CHECK_INT(tables_sa_out_set(&t, 0, n1, s1), 0);
	CHECK_INT(tables_peer_set(&t, 0, a, n1), 0);           /* SA first */
	CHECK_INT(tables_peer_set(&t, 0, b, n2), 0);
	CHECK(tables_peer_lookup(&t, 0, a)->sa_out == s1);
	CHECK(tables_peer_lookup(&t, 0, b)->sa_out == NULL);
	CHECK_INT(tables_sa_out_set(&t, 0, n2, s2), 0);        /* peer first */
	CHECK(tables_peer_lookup(&t, 0, b)->sa_out == s2);
	CHECK_INT(tables_peer_set(&t, 0, c, n2), 0);           /* two peers, one NBMA */
	CHECK(tables_peer_lookup(&t, 0, c)->sa_out == s2);
	CHECK_INT(tables_sa_out_set(&t, 0, n2, s3), 0);        /* rekey: both follow */
	CHECK(tables_peer_lookup(&t, 0, b)->sa_out == s3);
	CHECK(tables_peer_lookup(&t, 0, c)->sa_out == s3);
	CHECK(tables_peer_lookup(&t, 0, a)->sa_out == s1);
	CHECK_INT(tables_peer_set(&t, 0, c, n1), 0);           /* moves to n1 */
	CHECK(tables_peer_lookup(&t, 0, c)->sa_out == s1);
	CHECK_INT(tables_sa_out_del(&t, 0, n1), 0);
	CHECK(tables_peer_lookup(&t, 0, a)->sa_out == NULL);
	CHECK(tables_peer_lookup(&t, 0, c)->sa_out == NULL);
	CHECK(tables_peer_lookup(&t, 0, b)->sa_out == s3);
	CHECK_INT(tables_sa_out_del(&t, 0, n1), -ENOENT);
	CHECK_INT(tables_peer_del(&t, 0, b), 0);
	CHECK_INT(tables_peer_set(&t, 0, b, n2), 0);
	CHECK(tables_peer_lookup(&t, 0, b)->sa_out == s3);
	tables_peer_lookup_bulk(&t, tuns, protos, 4, ps);
	for (unsigned i = 0; i < 4; i++)
		CHECK(ps[i] == tables_peer_lookup(&t, tuns[i], protos[i]));
	CHECK(ps[3] == NULL && ps[1] && ps[1]->nbma == n2);
	CHECK_INT(tables_sa_in_set(&t, spis[1], rte_malloc("sa", 64, 0)), 0);
	tables_sa_in_lookup_bulk(&t, spis, 3, sas);
	CHECK(sas[0] == NULL && sas[2] == NULL && sas[1] == tables_sa_in_lookup(&t, spis[1]));
	tables_reclaim(&t);
	tables_destroy(&t);
}

/* A next hop into a tunnel through a gateway carries the gateway's peer:
 * NULL until NHRP maps it, then the published peer (with its SA), through
 * every change, NULL again once unmapped or once the slot is released.
 * Other next hops never carry one. */
static void test_nh_peer(void)
{
	struct dp_tables t;
	uint32_t a = ip(198, 51, 100, 11), b = ip(198, 51, 100, 12);
	uint32_t n1 = ip(192, 0, 2, 11), n2 = ip(192, 0, 2, 12);
	void *s1 = rte_malloc("sa", 64, 0);
	uint32_t x, y, conn, port, other;

	CHECK_INT(tables_create(&t, "np", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	x = nh_add(&t, NH_TUNNEL, 0, a);
	conn = nh_add(&t, NH_TUNNEL, 0, 0);
	port = nh_add(&t, NH_PORT, 0, a);
	other = nh_add(&t, NH_TUNNEL, 1, a);
	CHECK(tables_nh_peer(&t.nh[x]) == NULL);
	CHECK_INT(tables_peer_set(&t, 0, a, n1), 0);
	CHECK(tables_nh_peer(&t.nh[x]) == tables_peer_lookup(&t, 0, a));
	CHECK(tables_nh_peer(&t.nh[x])->nbma == n1);
	CHECK(tables_nh_peer(&t.nh[conn]) == NULL);
	CHECK(tables_nh_peer(&t.nh[port]) == NULL);
	CHECK(tables_nh_peer(&t.nh[other]) == NULL);
	/* A second route through the same gateway starts with the peer. */
	y = nh_add(&t, NH_TUNNEL, 0, a);
	CHECK(tables_nh_peer(&t.nh[y]) == tables_peer_lookup(&t, 0, a));
	/* An SA for the NBMA: both follow the republished peer. */
	CHECK_INT(tables_sa_out_set(&t, 0, n1, s1), 0);
	CHECK(tables_nh_peer(&t.nh[x]) == tables_peer_lookup(&t, 0, a));
	CHECK(tables_nh_peer(&t.nh[x])->sa_out == s1);
	CHECK(tables_nh_peer(&t.nh[y])->sa_out == s1);
	/* Another peer, another tunnel: these stay. */
	CHECK_INT(tables_peer_set(&t, 0, b, n2), 0);
	CHECK_INT(tables_peer_set(&t, 1, b, n2), 0);
	CHECK(tables_nh_peer(&t.nh[x])->nbma == n1);
	CHECK(tables_nh_peer(&t.nh[other]) == NULL);
	CHECK_INT(tables_peer_set(&t, 1, a, n2), 0);
	CHECK(tables_nh_peer(&t.nh[other]) == tables_peer_lookup(&t, 1, a));
	/* A released slot lets go; the other one still follows. */
	tables_nh_release(&t, x);
	CHECK(tables_nh_peer(&t.nh[x]) == NULL);
	CHECK_INT(tables_peer_set(&t, 0, a, n2), 0);
	CHECK(tables_nh_peer(&t.nh[x]) == NULL);
	CHECK(tables_nh_peer(&t.nh[y]) == tables_peer_lookup(&t, 0, a));
	CHECK(tables_nh_peer(&t.nh[y])->nbma == n2 && tables_nh_peer(&t.nh[y])->sa_out == NULL);
	CHECK_INT(tables_peer_del(&t, 0, a), 0);
	CHECK(tables_nh_peer(&t.nh[y]) == NULL);
	CHECK(tables_nh_peer(&t.nh[other]) != NULL);
	CHECK_INT(tables_peer_set(&t, 0, a, n1), 0);
	CHECK(tables_nh_peer(&t.nh[y]) == tables_peer_lookup(&t, 0, a));
	CHECK(tables_nh_peer(&t.nh[y])->sa_out == s1);
	/* Slots come back and are reused with a clean pointer. */
	tables_nh_release(&t, y);
	tables_nh_release(&t, other);
	tables_reclaim(&t);
	for (unsigned i = 0; i < 4; i++)
		CHECK(tables_nh_peer(&t.nh[nh_add(&t, NH_TUNNEL, 0, b)]) ==
		      tables_peer_lookup(&t, 0, b));
	tables_reclaim(&t);
	tables_destroy(&t);
}

/* The SPI table: many SAs in and out (tombstones, rebuilds as it fills or
 * churns), every lookup right after each step, single and bulk agreeing;
 * replacing an SA under its SPI; a missing SPI misses. */
#define SPI_N 3000

static uint32_t spi_of(uint32_t i)
{
	/* Spread like random SPIs, never 0..255 (reserved, RFC 4303). */
	return htonl(0x1000u + i * 2654435761u % 0x7fffffffu);
}

static void test_sa_in(void)
{
	struct dp_tables t;
	static void *sa[SPI_N];
	static uint8_t live[SPI_N];
	uint32_t spis[64];
	void *out[64];
	uint32_t rebuilt = 0, slots;

	CHECK_INT(tables_create(&t, "si", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	slots = t.sa_in->mask + 1;
	CHECK(tables_sa_in_lookup(&t, spi_of(1)) == NULL);
	CHECK_INT(tables_sa_in_del(&t, spi_of(1)), -ENOENT);
	CHECK_INT(tables_sa_in_set(&t, spi_of(1), NULL), -ENOMEM);
	for (uint32_t round = 0; round < 6; round++) {
		for (uint32_t i = 0; i < SPI_N; i++) {
			/* Rounds: all in, odd ones out, even ones replaced, ... */
			int want = (round + i) % 3 != 0;

			if (want && (!live[i] || i % 2 == 0)) {
				sa[i] = rte_malloc("sa", 64, 0);
				*(uint32_t *)sa[i] = spi_of(i);
				CHECK_INT(tables_sa_in_set(&t, spi_of(i), sa[i]), 0);
				live[i] = 1;
			} else if (!want && live[i]) {
				CHECK_INT(tables_sa_in_del(&t, spi_of(i)), 0);
				live[i] = 0;
			}
			if (t.sa_in->mask + 1 != slots)
				rebuilt++, slots = t.sa_in->mask + 1;
		}
		tables_reclaim(&t);
		for (uint32_t i = 0; i < SPI_N; i++) {
			void *p = tables_sa_in_lookup(&t, spi_of(i));

			CHECK_MSG(live[i] ? p == sa[i] : p == NULL, "round %u SPI %u", round, i);
		}
		for (uint32_t b = 0; b + 64 <= SPI_N; b += 64) {
			for (unsigned k = 0; k < 64; k++)
				spis[k] = spi_of(b + k);
			tables_sa_in_lookup_bulk(&t, spis, 64, out);
			for (unsigned k = 0; k < 64; k++)
				CHECK(out[k] == (live[b + k] ? sa[b + k] : NULL));
		}
		CHECK(tables_sa_in_lookup(&t, htonl(7)) == NULL);
		CHECK(4 * (t.sa_in_used + t.sa_in_tomb) <= 3 * (t.sa_in->mask + 1));
	}
	CHECK_MSG(rebuilt > 0, "the table never grew");
	printf("test_tables: sa_in: %u slots, %u live, %u tombstones, grew %u times\n",
	       t.sa_in->mask + 1, t.sa_in_used, t.sa_in_tomb, rebuilt);
	for (uint32_t i = 0; i < SPI_N; i++)
		if (live[i])
			CHECK_INT(tables_sa_in_del(&t, spi_of(i)), 0);
	CHECK_INT(t.sa_in_used, 0);
	tables_reclaim(&t);
	tables_destroy(&t);
}

/*
 * One reader (QSBR thread 0) looks up a route, a peer and a neighbour in
 * a loop while the writer replaces their values thousands of times. The
 * reader must never miss, never see a value that was not announced before
 * it was published, never see values go backwards, and never see an
 * object change under it before its next quiescent report (which would
 * mean a slot or object was reused too early).
 */
#define RACE_ROUNDS 100000

struct race {
	struct dp_tables *t;
	uint32_t dst, proto, naddr, gdst;
	uint32_t spi, churn[64];        /* the watched SPI; SPIs coming and going */
	unsigned long churn_hits;
	_Atomic uint32_t announced;     /* highest sequence the writer may publish */
	_Atomic int stop;
	_Atomic unsigned long loops;
	unsigned long misses, bad, changes[3];
	char what[160];
};

static void race_bad(struct race *r, const char *fmt, uint32_t a, uint32_t b)
{
	if (!r->bad++)
		snprintf(r->what, sizeof(r->what), fmt, a, b);
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint32_t last[3] = {0, 0, 0};

	rte_rcu_qsbr_thread_register(qsbr, 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
		const struct nexthop *nh = tables_route_lookup(r->t, r->dst);
		const struct peer_rt *p = tables_peer_lookup(r->t, 0, r->proto);
		const struct neigh_rt *n = tables_neigh_lookup(r->t, 1, r->naddr);
		const struct nexthop *gnh = tables_route_lookup(r->t, r->gdst);
		const struct peer_rt *gp = gnh ? tables_nh_peer(gnh) : NULL;
		uint32_t v[3], v2[3], ann, g;

		if (!nh || !p || !n || !gp) {
			r->misses++;
			rte_rcu_qsbr_quiescent(qsbr, 0);
			continue;
		}
		v[0] = *(volatile const uint32_t *)&nh->gw;
		v[1] = *(volatile const uint32_t *)&p->nbma;
		v[2] = (uint32_t)n->mac[2] << 24 | (uint32_t)n->mac[3] << 16 |
		       (uint32_t)n->mac[4] << 8 | n->mac[5];
		g = ntohl(*(volatile const uint32_t *)&gp->nbma);
		{
			/* The watched SA: never missing, never newer than
			 * announced, never freed under us; a churning SPI gives
			 * its own SA or none, never another's. */
			const volatile uint32_t *sp = tables_sa_in_lookup(r->t, r->spi);
			uint32_t c = r->churn[atomic_load(&r->loops) % 64];
			const volatile uint32_t *cp = tables_sa_in_lookup(r->t, c);

			if (!sp) {
				race_bad(r, "SPI %#x missing (%u)", r->spi, 0);
			} else {
				uint32_t sv = sp[0];

				if (sv >> 24 != 0x0d ||
				    (sv & 0xffffff) > atomic_load_explicit(&r->announced,
									 memory_order_acquire))
					race_bad(r, "SA value %#x never published (%u)", sv, 0);
				for (int i = 0; i < 16; i++)
					rte_pause();
				if (sp[0] != sv)
					race_bad(r, "SA changed under the reader: %#x -> %#x", sv, sp[0]);
			}
			if (cp) {
				r->churn_hits++;
				if (cp[0] != c)
					race_bad(r, "SPI %#x gave the SA of %#x", c, cp[0]);
			}
		}
		ann = atomic_load_explicit(&r->announced, memory_order_acquire);
		for (int i = 0; i < 64; i++)
			rte_pause();
		/* The route's own peer pointer: as fresh as the hash's, and
		 * as long-lived. */
		if (g >> 24 != 0x0b || (g & 0xffffff) > ann)
			race_bad(r, "route's peer: value %#x (%u announced)", g, ann);
		else if (ntohl(*(volatile const uint32_t *)&gp->nbma) != g)
			race_bad(r, "route's peer changed under the reader: %#x -> %#x", g,
				 ntohl(*(volatile const uint32_t *)&gp->nbma));
		else if (g != ntohl(v[1]) && (g & 0xffffff) + 1 < (ntohl(v[1]) & 0xffffff))
			race_bad(r, "route's peer %#x behind the hash's %#x", g, ntohl(v[1]));
		v2[0] = *(volatile const uint32_t *)&nh->gw;
		v2[1] = *(volatile const uint32_t *)&p->nbma;
		v2[2] = (uint32_t)((volatile const uint8_t *)n->mac)[2] << 24 |
			(uint32_t)((volatile const uint8_t *)n->mac)[3] << 16 |
			(uint32_t)((volatile const uint8_t *)n->mac)[4] << 8 |
			((volatile const uint8_t *)n->mac)[5];
		if (*(volatile const uint8_t *)&nh->kind != NH_TUNNEL)
			race_bad(r, "next hop kind %u (%u)", nh->kind, 0);
		for (int k = 0; k < 3; k++) {
			uint32_t tag = k == 0 ? 0x0a : k == 1 ? 0x0b : 0x0c;
			uint32_t val = k == 2 ? v[k] : ntohl(v[k]);
			uint32_t val2 = k == 2 ? v2[k] : ntohl(v2[k]);
			uint32_t seq = val & 0xffffff;

			if (val >> 24 != tag)
				race_bad(r, "table %u: value %#x never published", k, val);
			else if (seq > ann)
				race_bad(r, "sequence %u seen, only %u announced", seq, ann);
			else if (seq < last[k])
				race_bad(r, "went back from %u to %u", last[k], seq);
			if (val2 != val)
				race_bad(r, "object changed under the reader: %#x -> %#x", val, val2);
			if (seq != last[k])
				r->changes[k]++;
			last[k] = seq;
		}
		atomic_fetch_add_explicit(&r->loops, 1, memory_order_relaxed);
		rte_rcu_qsbr_quiescent(qsbr, 0);
	}
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	return NULL;
}

/* An SA stand-in: its first word identifies it, the second is a sequence. */
static void *race_sa(uint32_t id, uint32_t seq)
{
	uint32_t *p = rte_malloc("sa", 64, 0);

	p[0] = id;
	p[1] = seq;
	return p;
}

static uint8_t *neigh_mac(uint32_t seq, uint8_t *m)
{
	uint32_t v = 0x0c000000 | seq;

	m[0] = 2;
	m[1] = 0;
	m[2] = (uint8_t)(v >> 24);
	m[3] = (uint8_t)(v >> 16);
	m[4] = (uint8_t)(v >> 8);
	m[5] = (uint8_t)v;
	return m;
}

static void test_race(void)
{
	struct dp_tables t;
	struct race r = {.t = &t};
	struct nexthop nh = {.kind = NH_TUNNEL, .ifidx = 0};
	uint32_t cur, next, waits = 0;
	uint8_t mac[6];
	pthread_t th;
	struct timespec t0, t1;
	int ok = 1;

	r.dst = ip(198, 18, 1, 10);
	r.proto = ip(198, 51, 100, 11);
	r.naddr = ip(192, 0, 2, 11);
	CHECK_INT(tables_create(&t, "race", qsbr, MAX_ROUTES, MAX_NEIGH, MAX_PEERS), 0);
	nh.gw = htonl(0x0a000000);
	CHECK_INT(tables_nh_alloc(&t, &nh, &cur), 0);
	CHECK_INT(tables_route_add(&t, ip(198, 18, 1, 0), 24, cur), 0);
	/* A second route, through the watched peer's address. */
	r.gdst = ip(198, 18, 2, 10);
	CHECK_INT(tables_route_add(&t, ip(198, 18, 2, 0), 24,
				   nh_add(&t, NH_TUNNEL, 0, r.proto)), 0);
	CHECK_INT(tables_peer_set(&t, 0, r.proto, htonl(0x0b000000)), 0);
	CHECK_INT(tables_neigh_set(&t, 1, r.naddr, neigh_mac(0, mac)), 0);
	r.spi = spi_of(100000);
	CHECK_INT(tables_sa_in_set(&t, r.spi, race_sa(0x0d000000, 0)), 0);
	for (uint32_t i = 0; i < 64; i++) {
		r.churn[i] = spi_of(i);
		CHECK_INT(tables_sa_in_set(&t, r.churn[i], race_sa(r.churn[i], 0)), 0);
	}
	/* Unrelated entries around the watched ones, so lookups walk buckets. */
	for (uint32_t i = 1; i < 32; i++) {
		CHECK_INT(tables_peer_set(&t, 0, r.proto + htonl(i), htonl(0x0b000000)), 0);
		CHECK_INT(tables_neigh_set(&t, 1, r.naddr + htonl(i), neigh_mac(0, mac)), 0);
	}
	/* A thread inherits the EAL's pinning to CPU 0: give the reader the
	 * other CPUs so that it really runs beside the writer. */
	{
		pthread_attr_t at;
		cpu_set_t rc = cpus;

		if (CPU_COUNT(&rc) > 1)
			CPU_CLR(0, &rc);
		pthread_attr_init(&at);
		pthread_attr_setaffinity_np(&at, sizeof(rc), &rc);
		CHECK_INT(pthread_create(&th, &at, race_reader, &r), 0);
		pthread_attr_destroy(&at);
	}
	while (atomic_load(&r.loops) == 0)
		rte_pause();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t seq = 1; seq <= RACE_ROUNDS && ok; seq++) {
		atomic_store_explicit(&r.announced, seq, memory_order_release);
		/* Route: a new next-hop slot, one LPM update, the old slot
		 * back after a grace period. */
		nh.gw = htonl(0x0a000000 | seq);
		while (tables_nh_alloc(&t, &nh, &next) == -ENOSPC) {
			if (++waits % 64 == 0)
				sched_yield();  /* in case the reader shares our CPU */
			rte_pause();
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec > 60) {
				CHECK_MSG(0, "no next-hop slot came back in 60 s");
				ok = 0;
				break;
			}
		}
		if (!ok)
			break;
		CHECK_INT(tables_route_add(&t, ip(198, 18, 1, 0), 24, next), 0);
		tables_nh_release(&t, cur);
		cur = next;
		ok &= tables_peer_set(&t, 0, r.proto, htonl(0x0b000000 | seq)) == 0;
		ok &= tables_neigh_set(&t, 1, r.naddr, neigh_mac(seq, mac)) == 0;
		ok &= tables_sa_in_set(&t, r.spi, race_sa(0x0d000000 | seq, seq)) == 0;
		/* Two SPIs out and back in: tombstones reused, and now and
		 * then a rebuild of the table. */
		for (uint32_t k = 0; k < 2; k++) {
			uint32_t c = r.churn[(seq * 2 + k) % 64];

			ok &= tables_sa_in_del(&t, c) == 0;
			ok &= tables_sa_in_set(&t, c, race_sa(c, seq)) == 0;
		}
		if (seq % 16 == 0)
			tables_reclaim(&t);
	}
	CHECK_MSG(ok, "writer failed");
	atomic_store_explicit(&r.stop, 1, memory_order_release);
	pthread_join(th, NULL);
	printf("test_tables: race: %lu reader loops, %lu/%lu/%lu changes seen, %u slot waits\n",
	       (unsigned long)atomic_load(&r.loops), r.changes[0], r.changes[1], r.changes[2],
	       waits);
	CHECK_MSG(r.misses == 0, "reader missed %lu times", r.misses);
	CHECK_MSG(r.bad == 0, "reader saw %lu bad values, first: %s", r.bad, r.what);
	CHECK_MSG(atomic_load(&r.loops) > 100, "reader barely ran");
	CHECK_MSG(r.changes[0] && r.changes[1] && r.changes[2], "reader saw no updates");
	CHECK_MSG(r.churn_hits > 0, "reader never found a churning SPI");
	CHECK_INT(tables_sa_in_lookup(&t, r.spi) ? *(uint32_t *)tables_sa_in_lookup(&t, r.spi) : 0,
		  0x0d000000 | RACE_ROUNDS);

	/* Reader gone: everything deferred comes back; the last values stand. */
	tables_reclaim(&t);
	CHECK_INT(t.nh_nfree, MAX_ROUTES - 2);
	CHECK_INT(tables_nh_peer(tables_route_lookup(&t, r.gdst))->nbma,
		  htonl(0x0b000000 | RACE_ROUNDS));
	CHECK_INT(tables_route_lookup(&t, r.dst)->gw, htonl(0x0a000000 | RACE_ROUNDS));
	CHECK_INT(tables_peer_lookup(&t, 0, r.proto)->nbma, htonl(0x0b000000 | RACE_ROUNDS));
	CHECK_INT(tables_neigh_lookup(&t, 1, r.naddr)->mac[5], neigh_mac(RACE_ROUNDS, mac)[5]);
	tables_destroy(&t);
}

int main(int argc, char **argv)
{
	/* --in-memory would be the natural choice, but DPDK 22.11 treats
	 * --no-huge as legacy memory, which --in-memory refuses; --no-shconf
	 * and no telemetry leave nothing behind that a parallel run shares. */
	char *eal_argv[] = {argv[0], "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			    "--no-telemetry", "--file-prefix", "dmvpn-unit-tables",
			    "--log-level", "*:error", "-l", "0", NULL};
	int rc;

	if (sched_getaffinity(0, sizeof(cpus), &cpus)) {
		perror("sched_getaffinity");
		return 1;
	}
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	qsbr = rte_zmalloc("qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (!qsbr || rte_rcu_qsbr_init(qsbr, 1)) {
		fprintf(stderr, "qsbr init failed\n");
		return 1;
	}
	test_create_destroy();
	test_routes();
	test_nh_slots();
	test_neigh();
	test_peers();
	test_peer_sa();
	test_nh_peer();
	test_sa_in();
	test_race();
	rc = check_done("test_tables");
	rte_free(qsbr);
	rte_eal_cleanup();
	return rc;
}
