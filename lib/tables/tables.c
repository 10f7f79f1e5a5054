/* SPDX-License-Identifier: BSD-3-Clause */
/* Forwarding tables shared by the control thread (only writer) and workers (lock-free readers). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "lib/tables/tables.h"

/* 16 bytes: rte_hash compares keys of this size with vector instructions,
 * other sizes with a memcmp call. */
struct tbl_key {
	uint32_t addr;
	uint16_t ifidx;
	uint16_t pad;
	uint64_t pad2;
};

/* The keys' hash: two CRC32C steps inline (SSE4.2), the same value
 * rte_hash gets from tbl_hash_fn when it hashes a key itself. Lookups
 * pass it in, saving rte_hash_crc's call and algorithm dispatch. */
static inline uint32_t tbl_hash(const struct tbl_key *k)
{
	uint64_t a, b;

	memcpy(&a, k, 8);
	memcpy(&b, (const uint8_t *)k + 8, 8);
	return (uint32_t)__builtin_ia32_crc32di(__builtin_ia32_crc32di(0xffffffffu, a), b);
}

static uint32_t tbl_hash_fn(const void *key, uint32_t len, uint32_t init)
{
	return tbl_hash(key);
}

/* One protocol address mapped to a (tunnel, NBMA): a node of the
 * writer's list per NBMA. */
struct tables_peer_ref {
	uint32_t proto;
	uint32_t next;               /* node index, or REF_NONE */
};

#define REF_NONE UINT32_MAX

static uint64_t nbma_key(uint16_t tunnel, uint32_t nbma)
{
	return (uint64_t)tunnel << 32 | nbma;
}

/* What waits in the defer queue for its grace period. */
enum defer_kind { DEFER_OBJ = 1, DEFER_NH_SLOT };

struct defer_elem {
	void *obj;
	uint32_t kind;
	uint32_t idx;
};

static void defer_free_fn(void *p, void *e, unsigned int n)
{
	struct dp_tables *t = p;
	struct defer_elem *d = e;

	for (unsigned i = 0; i < n; i++) {
		if (d[i].kind == DEFER_OBJ)
			rte_free(d[i].obj);
		else if (d[i].kind == DEFER_NH_SLOT)
			t->nh_free[t->nh_nfree++] = d[i].idx;
	}
}

/* An empty SPI table of at least n slots (a power of two), or NULL. */
static struct spi_table *spi_table_new(uint32_t n)
{
	uint32_t slots = 64;
	struct spi_table *st;

	while (slots < n && slots < (1u << 30))
		slots <<= 1;
	st = rte_zmalloc("sa_in", sizeof(*st) + sizeof(struct spi_slot) * slots,
			 RTE_CACHE_LINE_SIZE);
	if (st)
		st->mask = slots - 1;
	return st;
}

static inline uint32_t spi_hash(uint32_t spi)
{
	return __builtin_ia32_crc32si(0x9e3779b9u, spi);
}

/* Reader: the SA of spi in st, or NULL (see struct spi_slot). */
static inline void *spi_table_find(const struct spi_table *st, uint32_t spi, uint32_t h)
{
	for (uint32_t i = h & st->mask;; i = (i + 1) & st->mask) {
		const struct spi_slot *s = &st->s[i];
		uint32_t k = __atomic_load_n(&s->spi, __ATOMIC_ACQUIRE);
		void *sa = __atomic_load_n(&s->sa, __ATOMIC_ACQUIRE);

		if (!sa)
			return NULL;
		if (sa != SPI_TOMB && k == spi && __atomic_load_n(&s->spi, __ATOMIC_RELAXED) == spi)
			return sa;
	}
}

/* Writer: the slot of spi in st, or NULL; *free: the first tombstone or
 * empty slot on its probe, where it would go. */
static struct spi_slot *spi_table_slot(struct spi_table *st, uint32_t spi, struct spi_slot **free)
{
	*free = NULL;
	for (uint32_t i = spi_hash(spi) & st->mask;; i = (i + 1) & st->mask) {
		struct spi_slot *s = &st->s[i];

		if (!s->sa || s->sa == SPI_TOMB) {
			if (!*free)
				*free = s;
			if (!s->sa)
				return NULL;
		} else if (s->spi == spi) {
			return s;
		}
	}
}

/* Writer: replace t's SPI table by a clean one with room for the live
 * entries and as many again; the old one goes after a grace period. */
static int spi_table_rebuild(struct dp_tables *t)
{
	const struct spi_table *old = t->sa_in;
	uint32_t n = old->mask + 1;
	struct spi_table *st;

	while (n < 4 * (t->sa_in_used + 1))
		n <<= 1;
	st = spi_table_new(n);
	if (!st)
		return -ENOMEM;
	for (uint32_t i = 0; i <= old->mask; i++) {
		const struct spi_slot *s = &old->s[i];
		struct spi_slot *free;

		if (s->sa && s->sa != SPI_TOMB) {
			spi_table_slot(st, s->spi, &free);
			*free = *s;
		}
	}
	__atomic_store_n(&t->sa_in, st, __ATOMIC_RELEASE);
	t->sa_in_tomb = 0;
	return tables_defer_free(t, (void *)(uintptr_t)old);
}

static void hash_free_data(void *p, void *data)
{
	rte_free(data);
}

static struct rte_hash *hash_create(struct dp_tables *t, const char *name,
				    const char *suffix, uint32_t entries)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = entries < 8 ? 8 : entries,
		.key_len = sizeof(struct tbl_key),
		.hash_func = tbl_hash_fn,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_hash_rcu_config rc = {
		.v = t->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.free_key_data_func = hash_free_data,
	};
	struct rte_hash *h;

	snprintf(hname, sizeof(hname), "%s_%s", name, suffix);
	h = rte_hash_create(&hp);
	if (!h)
		return NULL;
	if (rte_hash_rcu_qsbr_add(h, &rc)) {
		rte_hash_free(h);
		return NULL;
	}
	return h;
}

int tables_create(struct dp_tables *t, const char *name, struct rte_rcu_qsbr *qsbr,
		  uint32_t max_routes, uint32_t max_neigh, uint32_t max_peers)
{
	char n[64];
	struct rte_lpm_config lc = {
		.max_rules = max_routes,
		.number_tbl8s = max_routes < 256 ? 256 : max_routes,
	};
	struct rte_lpm_rcu_config lrc = {.v = qsbr, .mode = RTE_LPM_QSBR_MODE_DQ};
	struct rte_rcu_qsbr_dq_parameters dqp = {0};

	memset(t, 0, sizeof(*t));
	t->qsbr = qsbr;
	/* One slot per route at most; slot 0 stays unused so a zeroed
	 * next hop never looks valid. */
	t->nh_max = max_routes + 1;
	snprintf(n, sizeof(n), "%s_lpm", name);
	t->lpm = rte_lpm_create(n, SOCKET_ID_ANY, &lc);
	if (!t->lpm || rte_lpm_rcu_qsbr_add(t->lpm, &lrc))
		goto err;
	t->nh = rte_zmalloc("nexthops", sizeof(*t->nh) * t->nh_max, RTE_CACHE_LINE_SIZE);
	t->nh_free = rte_malloc("nh_free", sizeof(uint32_t) * t->nh_max, 0);
	if (!t->nh || !t->nh_free)
		goto err;
	for (uint32_t i = t->nh_max - 1; i >= 1; i--)
		t->nh_free[t->nh_nfree++] = i;
	t->neigh = hash_create(t, name, "neigh", max_neigh);
	t->peers = hash_create(t, name, "peers", max_peers);
	t->sa_in = spi_table_new(2 * (max_peers < 32 ? 32 : max_peers));
	t->sa_out = hash_create(t, name, "sa_out", max_peers);
	if (!t->neigh || !t->peers || !t->sa_in || !t->sa_out)
		goto err;
	t->free_ref = REF_NONE;
	if (u64map_init(&t->nbma_idx, max_peers < 64 ? 64 : max_peers) ||
	    u64map_init(&t->gw_idx, 64))
		goto err;
	t->nh_next = malloc(sizeof(uint32_t) * t->nh_max);
	if (!t->nh_next)
		goto err;
	snprintf(n, sizeof(n), "%s_dq", name);
	dqp.name = n;
	dqp.size = t->nh_max + max_neigh + 3 * max_peers;
	dqp.esize = sizeof(struct defer_elem);
	dqp.trigger_reclaim_limit = 64;
	dqp.max_reclaim_size = 256;
	dqp.free_fn = defer_free_fn;
	dqp.p = t;
	dqp.v = qsbr;
	t->dq = rte_rcu_qsbr_dq_create(&dqp);
	if (!t->dq)
		goto err;
	return 0;
err:
	tables_destroy(t);
	return rte_errno ? -rte_errno : -ENOMEM;
}

void tables_destroy(struct dp_tables *t)
{
	if (t->dq)
		rte_rcu_qsbr_dq_delete(t->dq);
	if (t->neigh)
		rte_hash_free(t->neigh);
	if (t->peers)
		rte_hash_free(t->peers);
	rte_free(t->sa_in);
	if (t->sa_out)
		rte_hash_free(t->sa_out);
	if (t->lpm)
		rte_lpm_free(t->lpm);
	rte_free(t->nh);
	rte_free(t->nh_free);
	u64map_fini(&t->nbma_idx);
	u64map_fini(&t->gw_idx);
	free(t->nh_next);
	free(t->refs);
	memset(t, 0, sizeof(*t));
}

/* Writer: the new head of the list kept under key in m (the peers of an
 * NBMA address, the next hops through a gateway); an empty list drops the
 * key. The key is there already: replacing its value cannot fail. */
static void list_head_set(struct u64map *m, uint64_t key, uint32_t head)
{
	if (head == REF_NONE)
		u64map_del(m, key);
	else
		u64map_put(m, key, head);
}

static void *hash_find(const struct rte_hash *h, uint16_t ifidx, uint32_t addr);

/* A slot whose peer pointer the tables keep: into a tunnel, by a gateway. */
static int nh_linked(const struct nexthop *nh)
{
	return nh->kind == NH_TUNNEL && nh->gw;
}

/* Writer: point every next-hop slot through (tunnel, gw) at peer (or NULL).
 * Called before the peer it replaces starts its grace period, so that no
 * reader can pick up a pointer that is about to be freed. */
static void nh_peer_store(struct dp_tables *t, uint16_t tunnel, uint32_t gw,
			  const struct peer_rt *peer)
{
	uint32_t i;

	if (u64map_get(&t->gw_idx, nbma_key(tunnel, gw), &i))
		return;
	for (; i != REF_NONE; i = t->nh_next[i])
		__atomic_store_n(&t->nh[i].peer, peer, __ATOMIC_RELEASE);
}

int tables_nh_alloc(struct dp_tables *t, const struct nexthop *nh, uint32_t *idx)
{
	struct nexthop *s;
	uint32_t i, head = REF_NONE;

	if (t->nh_nfree == 0) {
		tables_reclaim(t);
		if (t->nh_nfree == 0)
			return -ENOSPC;
	}
	i = t->nh_free[t->nh_nfree - 1];
	s = &t->nh[i];
	/* The slot is unreachable until a route points at it, and the LPM
	 * update that does so is a release store. */
	*s = *nh;
	s->peer = NULL;
	if (nh_linked(s)) {
		uint64_t key = nbma_key(s->ifidx, s->gw);

		u64map_get(&t->gw_idx, key, &head);
		if (u64map_put(&t->gw_idx, key, i))
			return -ENOMEM;
		t->nh_next[i] = head;
		s->peer = hash_find(t->peers, s->ifidx, s->gw);
	}
	t->nh_nfree--;
	*idx = i;
	return 0;
}

/* Writer: take slot idx off its gateway's list; it no longer follows the
 * peer, so it forgets it (a reader still on the slot looks the peer up). */
static void nh_unlink(struct dp_tables *t, uint32_t idx)
{
	struct nexthop *s = &t->nh[idx];
	uint64_t key = nbma_key(s->ifidx, s->gw);
	uint32_t head, *pp;

	if (!nh_linked(s) || u64map_get(&t->gw_idx, key, &head))
		return;
	for (pp = &head; *pp != REF_NONE; pp = &t->nh_next[*pp]) {
		if (*pp == idx) {
			*pp = t->nh_next[idx];
			break;
		}
	}
	list_head_set(&t->gw_idx, key, head);
	__atomic_store_n(&s->peer, NULL, __ATOMIC_RELEASE);
}

void tables_nh_release(struct dp_tables *t, uint32_t idx)
{
	struct defer_elem e = {.kind = DEFER_NH_SLOT, .idx = idx};

	nh_unlink(t, idx);

	if (rte_rcu_qsbr_dq_enqueue(t->dq, &e) != 0) {
		/* Queue full: wait out a grace period here rather than leak. */
		rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
		t->nh_free[t->nh_nfree++] = idx;
	}
}

static void gen_bump(struct dp_tables *t)
{
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_RELEASE);
}

int tables_route_add(struct dp_tables *t, uint32_t prefix, uint8_t plen, uint32_t nh_idx)
{
	int rc;

	/* rte_lpm rejects depth 0: the default route is kept beside it. */
	if (plen == 0) {
		__atomic_store_n(&t->nh_default, nh_idx, __ATOMIC_RELEASE);
		gen_bump(t);
		return 0;
	}
	rc = rte_lpm_add(t->lpm, rte_be_to_cpu_32(prefix), plen, nh_idx);
	gen_bump(t);
	return rc;
}

int tables_route_del(struct dp_tables *t, uint32_t prefix, uint8_t plen)
{
	int rc;

	if (plen == 0) {
		if (t->nh_default == 0)
			return -ENOENT;
		__atomic_store_n(&t->nh_default, 0, __ATOMIC_RELEASE);
		gen_bump(t);
		return 0;
	}
	rc = rte_lpm_delete(t->lpm, rte_be_to_cpu_32(prefix), plen);
	gen_bump(t);
	return rc;
}

int tables_defer_free(struct dp_tables *t, void *obj)
{
	struct defer_elem e = {.kind = DEFER_OBJ, .obj = obj};

	if (!obj)
		return 0;
	if (rte_rcu_qsbr_dq_enqueue(t->dq, &e) != 0) {
		rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
		rte_free(obj);
	}
	return 0;
}

void tables_reclaim(struct dp_tables *t)
{
	unsigned freed, pending, avail;

	rte_rcu_qsbr_dq_reclaim(t->dq, ~0u, &freed, &pending, &avail);
}

/* Publish obj under (ifidx, addr) in h; *old: what it replaced (NULL:
 * nothing), for the caller to free after a grace period. obj is freed on
 * failure. */
static int hash_swap(struct rte_hash *h, uint16_t ifidx, uint32_t addr, void *obj, void **old)
{
	struct tbl_key k = {.addr = addr, .ifidx = ifidx};
	int rc;

	*old = NULL;
	if (!obj)
		return -ENOMEM;
	if (rte_hash_lookup_data(h, &k, old) < 0 || *old == obj)
		*old = NULL;
	rc = rte_hash_add_key_data(h, &k, obj);
	if (rc) {
		rte_free(obj);
		*old = NULL;
	}
	return rc;
}

/* Publish obj under (ifidx, addr) in h, replacing (and later freeing) what was there. */
static int hash_publish(struct dp_tables *t, struct rte_hash *h, uint16_t ifidx, uint32_t addr,
			void *obj)
{
	void *old;
	int rc = hash_swap(h, ifidx, addr, obj, &old);

	tables_defer_free(t, old);
	return rc;
}

/* The hash frees the data itself after a grace period (rte_hash RCU). */
static int hash_remove(struct rte_hash *h, uint16_t ifidx, uint32_t addr)
{
	struct tbl_key k = {.addr = addr, .ifidx = ifidx};

	return rte_hash_del_key(h, &k) < 0 ? -ENOENT : 0;
}

static void *hash_find(const struct rte_hash *h, uint16_t ifidx, uint32_t addr)
{
	struct tbl_key k = {.addr = addr, .ifidx = ifidx};
	void *d;

	return rte_hash_lookup_with_hash_data(h, &k, tbl_hash(&k), &d) >= 0 ? d : NULL;
}

int tables_neigh_set(struct dp_tables *t, uint16_t port, uint32_t addr, const uint8_t *mac)
{
	struct neigh_rt *n = rte_zmalloc("neigh", sizeof(*n), 0);

	int rc;

	if (n)
		memcpy(n->mac, mac, 6);
	rc = hash_publish(t, t->neigh, port, addr, n);
	gen_bump(t);
	return rc;
}

int tables_neigh_del(struct dp_tables *t, uint16_t port, uint32_t addr)
{
	int rc = hash_remove(t->neigh, port, addr);

	gen_bump(t);
	return rc;
}

const struct neigh_rt *tables_neigh_lookup(const struct dp_tables *t, uint16_t port, uint32_t addr)
{
	return hash_find(t->neigh, port, addr);
}

/* Writer: note that proto in tunnel maps to nbma. 0 or -ENOMEM. */
static int ref_add(struct dp_tables *t, uint16_t tunnel, uint32_t nbma, uint32_t proto)
{
	uint64_t key = nbma_key(tunnel, nbma);
	uint32_t head = REF_NONE, i;

	if (t->free_ref == REF_NONE) {
		if (t->n_refs == t->cap_refs) {
			uint32_t cap = t->cap_refs ? t->cap_refs * 2 : 64;
			struct tables_peer_ref *r = realloc(t->refs, sizeof(*r) * cap);

			if (!r)
				return -ENOMEM;
			t->refs = r;
			t->cap_refs = cap;
		}
		i = t->n_refs++;
	} else {
		i = t->free_ref;
		t->free_ref = t->refs[i].next;
	}
	u64map_get(&t->nbma_idx, key, &head);
	t->refs[i].proto = proto;
	t->refs[i].next = head;
	if (u64map_put(&t->nbma_idx, key, i)) {
		t->refs[i].next = t->free_ref;
		t->free_ref = i;
		return -ENOMEM;
	}
	return 0;
}

static void ref_del(struct dp_tables *t, uint16_t tunnel, uint32_t nbma, uint32_t proto)
{
	uint64_t key = nbma_key(tunnel, nbma);
	uint32_t head, *pp, i;

	if (u64map_get(&t->nbma_idx, key, &head))
		return;
	for (pp = &head; *pp != REF_NONE; pp = &t->refs[*pp].next) {
		if (t->refs[*pp].proto != proto)
			continue;
		i = *pp;
		*pp = t->refs[i].next;
		t->refs[i].next = t->free_ref;
		t->free_ref = i;
		break;
	}
	list_head_set(&t->nbma_idx, key, head);
}

/* As hash_publish, and the next hops through (tunnel, proto) follow: they
 * point at the new peer before the old one's grace period starts. */
static int peer_publish(struct dp_tables *t, uint16_t tunnel, uint32_t proto, uint32_t nbma,
			void *sa)
{
	struct peer_rt *p = rte_zmalloc("peer", sizeof(*p), 0);
	void *old;
	int rc;

	if (p) {
		p->nbma = nbma;
		p->sa_out = sa;
	}
	rc = hash_swap(t->peers, tunnel, proto, p, &old);
	if (!rc)
		nh_peer_store(t, tunnel, proto, p);
	tables_defer_free(t, old);
	return rc;
}

int tables_peer_set(struct dp_tables *t, uint16_t tunnel, uint32_t proto, uint32_t nbma)
{
	const struct peer_rt *old = hash_find(t->peers, tunnel, proto);
	uint32_t old_nbma = old ? old->nbma : 0;
	int rc;

	if (!old || old_nbma != nbma) {
		rc = ref_add(t, tunnel, nbma, proto);
		if (rc)
			return rc;
	}
	rc = peer_publish(t, tunnel, proto, nbma, hash_find(t->sa_out, tunnel, nbma));
	if (rc) {
		if (!old || old_nbma != nbma)
			ref_del(t, tunnel, nbma, proto);
		return rc;
	}
	if (old && old_nbma != nbma)
		ref_del(t, tunnel, old_nbma, proto);
	return 0;
}

int tables_peer_del(struct dp_tables *t, uint16_t tunnel, uint32_t proto)
{
	const struct peer_rt *old = hash_find(t->peers, tunnel, proto);
	uint32_t nbma = old ? old->nbma : 0;
	int rc;

	/* The next hops let go first: the removal starts the grace period. */
	nh_peer_store(t, tunnel, proto, NULL);
	rc = hash_remove(t->peers, tunnel, proto);

	if (!rc)
		ref_del(t, tunnel, nbma, proto);
	return rc;
}

const struct peer_rt *tables_peer_lookup(const struct dp_tables *t, uint16_t tunnel, uint32_t proto)
{
	return hash_find(t->peers, tunnel, proto);
}

static void hash_find_bulk(const struct rte_hash *h, const uint16_t *ifidx,
			   const uint32_t *addr, unsigned n, void **out)
{
	struct tbl_key k[64];
	const void *kp[64];
	hash_sig_t sig[64];
	uint64_t hits = 0;

	for (unsigned i = 0; i < n; i++) {
		k[i] = (struct tbl_key){.addr = addr[i], .ifidx = ifidx[i]};
		kp[i] = &k[i];
		sig[i] = tbl_hash(&k[i]);
	}
	if (rte_hash_lookup_with_hash_bulk_data(h, kp, sig, n, &hits, out) < 0)
		hits = 0;
	for (unsigned i = 0; i < n; i++)
		if (!(hits >> i & 1))
			out[i] = NULL;
}

void tables_peer_lookup_bulk(const struct dp_tables *t, const uint16_t *tunnel,
			     const uint32_t *proto, unsigned n, const struct peer_rt **out)
{
	hash_find_bulk(t->peers, tunnel, proto, n, (void **)out);
}

int tables_sa_in_set(struct dp_tables *t, uint32_t spi, void *sa)
{
	struct spi_slot *s, *free;
	void *old;

	if (!sa)
		return -ENOMEM;
	s = spi_table_slot(t->sa_in, spi, &free);
	if (s) {
		old = s->sa;
		__atomic_store_n(&s->sa, sa, __ATOMIC_RELEASE);
		return old != sa ? tables_defer_free(t, old) : 0;
	}
	/* At most three quarters in use or deleted, so probes stay short
	 * and always end. */
	if (4 * (t->sa_in_used + t->sa_in_tomb + 1) > 3 * (t->sa_in->mask + 1)) {
		if (spi_table_rebuild(t)) {
			rte_free(sa);
			return -ENOMEM;
		}
		spi_table_slot(t->sa_in, spi, &free);
	}
	if (free->sa == SPI_TOMB)
		t->sa_in_tomb--;
	t->sa_in_used++;
	__atomic_store_n(&free->spi, spi, __ATOMIC_RELEASE);
	__atomic_store_n(&free->sa, sa, __ATOMIC_RELEASE);
	return 0;
}

int tables_sa_in_del(struct dp_tables *t, uint32_t spi)
{
	struct spi_slot *free, *s = spi_table_slot(t->sa_in, spi, &free);
	void *old;

	if (!s)
		return -ENOENT;
	old = s->sa;
	__atomic_store_n(&s->sa, SPI_TOMB, __ATOMIC_RELEASE);
	t->sa_in_used--;
	t->sa_in_tomb++;
	return tables_defer_free(t, old);
}

void *tables_sa_in_lookup(const struct dp_tables *t, uint32_t spi)
{
	return spi_table_find(__atomic_load_n(&t->sa_in, __ATOMIC_ACQUIRE), spi, spi_hash(spi));
}

void tables_sa_in_lookup_bulk(const struct dp_tables *t, const uint32_t *spi, unsigned n,
			      void **out)
{
	const struct spi_table *st = __atomic_load_n(&t->sa_in, __ATOMIC_ACQUIRE);
	uint32_t h[64];

	for (unsigned i = 0; i < n; i++) {
		h[i] = spi_hash(spi[i]);
		rte_prefetch0(&st->s[h[i] & st->mask]);
	}
	for (unsigned i = 0; i < n; i++)
		out[i] = spi_table_find(st, spi[i], h[i]);
}

/* Republish every peer of (tunnel, nbma) with sa. A peer that cannot be
 * republished (no memory) is removed: none may keep an SA about to go. */
static void peers_rebind(struct dp_tables *t, uint16_t tunnel, uint32_t nbma, void *sa)
{
	uint32_t i;

	if (u64map_get(&t->nbma_idx, nbma_key(tunnel, nbma), &i))
		return;
	while (i != REF_NONE) {
		uint32_t next = t->refs[i].next, proto = t->refs[i].proto;

		if (peer_publish(t, tunnel, proto, nbma, sa))
			tables_peer_del(t, tunnel, proto);
		i = next;
	}
}

int tables_sa_out_set(struct dp_tables *t, uint16_t tunnel, uint32_t nbma, void *sa)
{
	struct tbl_key k = {.addr = nbma, .ifidx = tunnel};
	void *old = NULL;
	int had, rc;

	if (!sa)
		return -ENOMEM;
	had = rte_hash_lookup_data(t->sa_out, &k, &old) >= 0;
	rc = rte_hash_add_key_data(t->sa_out, &k, sa);
	if (rc) {
		rte_free(sa);
		return rc;
	}
	/* Peers first, then the old SA's grace period: a reader that still
	 * has a peer pointing to it got that peer before this point. */
	peers_rebind(t, tunnel, nbma, sa);
	if (had && old != sa)
		tables_defer_free(t, old);
	return 0;
}

int tables_sa_out_del(struct dp_tables *t, uint16_t tunnel, uint32_t nbma)
{
	if (!hash_find(t->sa_out, tunnel, nbma))
		return -ENOENT;
	peers_rebind(t, tunnel, nbma, NULL);
	return hash_remove(t->sa_out, tunnel, nbma);
}

void *tables_sa_out_lookup(const struct dp_tables *t, uint16_t tunnel, uint32_t nbma)
{
	return hash_find(t->sa_out, tunnel, nbma);
}
