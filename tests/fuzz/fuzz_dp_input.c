/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the worker's dp_input on bursts of real mbufs, through real tables, SAs and ports. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/dp.h"
#include "dataplane/dp_priv.h"
#include "lib/wire/ipv4.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

/*
 * The appliance dp_input runs in (tests/fuzz/dp_corpus.py builds its
 * seeds against the same addresses and keys; keep the two in step):
 *
 *   port 0 (WAN) 192.0.2.1/24, 02:00:00:00:00:01; gateway 192.0.2.254
 *   port 1 (LAN) 10.0.0.1/24, 02:00:00:00:00:02, MTU 1400
 *   tunnel 0: key 1000 on 192.0.2.1, 172.16.0.1/24; resolve, redirect, kernel
 *   tunnel 1: key 2000 on 192.0.2.1, 172.17.0.1/24; protected, redirect
 *   tunnel 2: no key on 192.0.2.1, 172.18.0.1/24
 *   tunnel 3: no key on 10.0.0.1, 172.19.0.1/24; protected
 *
 * Input: byte 0 is the state: bits 0-1 where the windows of the ESN SAs
 * start (fresh, just below 2^32, just past it, at 1000). Then frames,
 * each a flags byte, a 16-bit big-endian length and that many bytes (the
 * last one takes what is left). Flags: bit 0, the frame alone in a
 * buffer of exactly headroom + length bytes (malloc'd, attached as an
 * external buffer, so ASan sees any read past its end; else a pool
 * mbuf with the usual 2 KB and tailroom); bit 1, in two segments; bit 2,
 * starts a new burst; bit 3, the IPv4 header checksums made right (the
 * frame's and, behind GRE, the inner packet's), and bit 4 their total
 * lengths too (what is left of the frame), so that mutations get past
 * the header checks; bits 6-7, the port the burst arrives on. A burst
 * is at most DP_MAX_BURST frames. After each burst the TX queues and the
 * punt ring are drained and what they hold checked and freed; after the
 * input the pool must hold all its mbufs again.
 */
#define N_PORTS 2
#define N_TUNNELS 4
#define POOL_SIZE 1024
#define MAX_FRAMES 256
#define MAX_FRAME 9000

#define F_TIGHT 0x01
#define F_CHAIN 0x02
#define F_BURST 0x04
#define F_CKSUM 0x08
#define F_LENGTH 0x10

/* An IPv4 address in network order, as a constant expression. */
#define IP4(a, b, c, d) RTE_BE32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* An SA, inbound (SPI 0x1000 + id) or outbound (to nbma of tunnel 1 or
 * 3). Inbound keys: enc byte i = 0x40 + 7i + id, auth byte i = 0xa0 + 11i
 * + id (dp_corpus.py seals with them). */
struct sa_def {
	uint8_t id;
	uint8_t alg;
	uint8_t flags;        /* SA_F_* */
	uint8_t tunnel;
	uint32_t peer;
	uint32_t replay;      /* window; 0: SA_F_NO_REPLAY */
	uint32_t inner_local, inner_remote;
	uint64_t hard_packets, hard_bytes;
	uint8_t expired;
};

static struct sa_rt *sa_make(IMB_MGR *mb, const struct sa_def *d)
{
	struct sa_rt *sa = rte_zmalloc("sa", sizeof(*sa), RTE_CACHE_LINE_SIZE);
	uint8_t ek[36], ak[32];
	size_t el, al;

	ASSERT(sa);
	esp_alg_key_lens((enum esp_alg)d->alg, &el, &al);
	for (size_t i = 0; i < el; i++)
		ek[i] = (uint8_t)(0x40 + 7 * i + d->id);
	for (size_t i = 0; i < al; i++)
		ak[i] = (uint8_t)(0xa0 + 11 * i + d->id);
	ASSERT(esp_crypto_init(&sa->crypto, mb, (enum esp_alg)d->alg, ek, el, ak, al) == 0);
	sa->spi_be = rte_cpu_to_be_32(0x1000u + d->id);
	sa->peer = d->peer;
	sa->udp_dport_be = rte_cpu_to_be_16(ESP_UDP_PORT);
	sa->flags = (uint8_t)(d->flags | (d->replay ? 0 : SA_F_NO_REPLAY) |
			      (d->inner_local || d->inner_remote ? SA_F_INNER : 0));
	sa->tunnel = d->tunnel;
	sa->inner_local = d->inner_local;
	sa->inner_remote = d->inner_remote;
	sa->hard_packets = d->hard_packets;
	sa->hard_bytes = d->hard_bytes;
	sa->expired = d->expired;
	sa->n_workers = 1;
	return sa;
}

#define N_SA_IN 13
#define N_SA_OUT 5

static struct {
	struct rte_mempool *pool;
	struct rte_ring *tx[N_PORTS];
	struct dp_shared dp;
	struct dp_conf conf;
	struct worker *w;
	struct sa_rt *in[N_SA_IN], *out[N_SA_OUT];
	unsigned pool_start;
	long ext_live;            /* external buffers not freed yet */
	int verbose;              /* FUZZ_DP_VERBOSE set: what each burst did, on stderr */
	IMB_MGR *mb;              /* here too: LeakSanitizer scans no DPDK memory */
} S;

static const struct sa_def in_defs[N_SA_IN] = {
	/* GCM, transport */
	{.id = 1, .alg = ESP_ALG_AES128_GCM16, .tunnel = 1, .peer = IP4(198, 51, 100, 2), .replay = 64},
	/* GCM in UDP, ESN */
	{.id = 2, .alg = ESP_ALG_AES256_GCM16, .tunnel = 1, .flags = SA_F_UDP | SA_F_ESN,
	 .peer = IP4(198, 51, 100, 2), .replay = 128},
	/* CBC+HMAC, tunnel mode, ESN */
	{.id = 3, .alg = ESP_ALG_AES128_CBC_SHA256, .tunnel = 1, .flags = SA_F_TUNNEL | SA_F_ESN,
	 .peer = IP4(192, 0, 2, 3), .replay = 64},
	/* CBC+HMAC, transport, no replay window */
	{.id = 4, .alg = ESP_ALG_AES256_CBC_SHA1, .tunnel = 1, .peer = IP4(192, 0, 2, 3)},
	/* GCM, tunnel mode in UDP with inner addresses */
	{.id = 5, .alg = ESP_ALG_AES128_GCM16, .tunnel = 1, .flags = SA_F_TUNNEL | SA_F_UDP,
	 .peer = IP4(198, 51, 100, 3), .replay = 64, .inner_local = IP4(10, 255, 0, 1),
	 .inner_remote = IP4(10, 255, 0, 2)},
	/* GCM, transport, three packets of life */
	{.id = 6, .alg = ESP_ALG_AES128_GCM16, .tunnel = 1, .peer = IP4(198, 51, 100, 2), .replay = 64,
	 .hard_packets = 3},
	/* NULL (no ICV: the fuzzer reaches what opens), transport */
	{.id = 7, .alg = ESP_ALG_NULL, .tunnel = 1, .peer = IP4(198, 51, 100, 2), .replay = 64},
	/* NULL, tunnel mode in UDP with inner addresses, ESN, widest window */
	{.id = 8, .alg = ESP_ALG_NULL, .tunnel = 1, .flags = SA_F_TUNNEL | SA_F_UDP | SA_F_ESN,
	 .peer = IP4(198, 51, 100, 3), .replay = 4096, .inner_local = IP4(10, 255, 0, 1),
	 .inner_remote = IP4(10, 255, 0, 3)},
	/* NULL, transport, no window */
	{.id = 9, .alg = ESP_ALG_NULL, .tunnel = 1, .peer = IP4(203, 0, 113, 9)},
	/* expired */
	{.id = 10, .alg = ESP_ALG_AES128_GCM16, .tunnel = 1, .peer = IP4(198, 51, 100, 2), .replay = 64,
	 .expired = 1},
	/* CBC+HMAC, tunnel mode in UDP, no window, 500 bytes of life */
	{.id = 11, .alg = ESP_ALG_AES128_CBC_SHA1, .tunnel = 1, .flags = SA_F_TUNNEL | SA_F_UDP,
	 .peer = IP4(198, 51, 100, 4), .hard_bytes = 500},
	/* NULL, tunnel mode, bare: the inner source must be the peer */
	{.id = 12, .alg = ESP_ALG_NULL, .tunnel = 1, .flags = SA_F_TUNNEL, .peer = IP4(192, 0, 2, 3),
	 .replay = 64},
	/* GCM, transport, of tunnel 3 (no GRE key) on the LAN */
	{.id = 13, .alg = ESP_ALG_AES128_GCM16, .tunnel = 3, .peer = IP4(10, 0, 0, 5), .replay = 64},
};

static uint32_t nh(uint8_t kind, uint8_t ifidx, uint32_t gw)
{
	struct nexthop n = {.kind = kind, .ifidx = ifidx, .gw = gw};
	uint32_t idx = 0;

	ASSERT(tables_nh_alloc(&S.dp.tables, &n, &idx) == 0);
	return idx;
}

static void route(uint32_t prefix, uint8_t plen, uint8_t kind, uint8_t ifidx, uint32_t gw)
{
	ASSERT(tables_route_add(&S.dp.tables, prefix, plen, nh(kind, ifidx, gw)) == 0);
}

static void fuzz_tables_fill(IMB_MGR *mb)
{
	struct dp_tables *t = &S.dp.tables;
	static const uint8_t mac_gw[6] = {0x02, 0, 0, 0, 0xfe, 0xfe};
	static const uint8_t mac_3[6] = {0x02, 0, 0, 0, 0, 0x03};
	static const uint8_t mac_lan[6] = {0x02, 0, 0, 0, 0x0a, 0xfe};
	static const uint8_t mac_5[6] = {0x02, 0, 0, 0, 0x0a, 0x05};
	/* Outbound: tunnel 1's peers (GCM fast path; CBC tunnel mode ESN;
	 * GCM in UDP, tunnel mode with inner addresses, to an unresolved
	 * neighbour; NULL in UDP, two packets of life) and tunnel 3's one. */
	static const struct sa_def out_defs[N_SA_OUT] = {
		{.id = 0x81, .alg = ESP_ALG_AES128_GCM16, .tunnel = 1, .peer = IP4(198, 51, 100, 2)},
		{.id = 0x82, .alg = ESP_ALG_AES128_CBC_SHA256, .tunnel = 1,
		 .flags = SA_F_TUNNEL | SA_F_ESN, .peer = IP4(192, 0, 2, 3)},
		{.id = 0x83, .alg = ESP_ALG_AES256_GCM16, .tunnel = 1, .flags = SA_F_TUNNEL | SA_F_UDP,
		 .peer = IP4(192, 0, 2, 4), .inner_local = IP4(10, 255, 0, 1),
		 .inner_remote = IP4(10, 255, 0, 4)},
		{.id = 0x84, .alg = ESP_ALG_NULL, .tunnel = 1, .flags = SA_F_UDP,
		 .peer = IP4(198, 51, 100, 3), .hard_packets = 2},
		{.id = 0x85, .alg = ESP_ALG_AES128_CBC_SHA1, .tunnel = 3, .peer = IP4(10, 0, 0, 5)},
	};

	route(IP4(192, 0, 2, 0), 24, NH_PORT, 0, 0);
	route(0, 0, NH_PORT, 0, IP4(192, 0, 2, 254));
	route(IP4(10, 0, 0, 0), 24, NH_PORT, 1, 0);
	route(IP4(10, 1, 0, 0), 16, NH_PORT, 1, IP4(10, 0, 0, 254));
	route(IP4(192, 0, 2, 1), 32, NH_LOCAL, 0, 0);
	route(IP4(10, 0, 0, 1), 32, NH_LOCAL, 1, 0);
	for (uint8_t i = 0; i < N_TUNNELS; i++) {
		route(IP4(172, (uint8_t)(16 + i), 0, 0), 24, NH_TUNNEL, i, 0);
		route(IP4(172, (uint8_t)(16 + i), 0, 1), 32, NH_LOCAL, 0, 0);
	}
	route(IP4(10, 20, 0, 0), 16, NH_TUNNEL, 0, IP4(172, 16, 0, 2));
	route(IP4(10, 21, 0, 0), 16, NH_TUNNEL, 1, IP4(172, 17, 0, 2));
	route(IP4(10, 22, 0, 0), 16, NH_TUNNEL, 1, IP4(172, 17, 0, 3));
	route(IP4(10, 23, 0, 0), 16, NH_TUNNEL, 3, IP4(172, 19, 0, 5));
	route(IP4(10, 99, 0, 0), 16, NH_BLACKHOLE, 0, 0);
	/* An NBMA address routed into a tunnel: recursion. */
	route(IP4(198, 51, 100, 128), 25, NH_TUNNEL, 0, IP4(172, 16, 0, 2));

	ASSERT(tables_neigh_set(t, 0, IP4(192, 0, 2, 254), mac_gw) == 0);
	ASSERT(tables_neigh_set(t, 0, IP4(192, 0, 2, 3), mac_3) == 0);
	ASSERT(tables_neigh_set(t, 1, IP4(10, 0, 0, 254), mac_lan) == 0);
	ASSERT(tables_neigh_set(t, 1, IP4(10, 0, 0, 5), mac_5) == 0);

	ASSERT(tables_peer_set(t, 0, IP4(172, 16, 0, 2), IP4(198, 51, 100, 2)) == 0);
	ASSERT(tables_peer_set(t, 0, IP4(172, 16, 0, 3), IP4(192, 0, 2, 3)) == 0);
	ASSERT(tables_peer_set(t, 0, IP4(172, 16, 0, 9), IP4(198, 51, 100, 200)) == 0);
	ASSERT(tables_peer_set(t, 1, IP4(172, 17, 0, 2), IP4(198, 51, 100, 2)) == 0);
	ASSERT(tables_peer_set(t, 1, IP4(172, 17, 0, 3), IP4(192, 0, 2, 3)) == 0);
	ASSERT(tables_peer_set(t, 1, IP4(172, 17, 0, 4), IP4(192, 0, 2, 4)) == 0);
	ASSERT(tables_peer_set(t, 1, IP4(172, 17, 0, 5), IP4(203, 0, 113, 5)) == 0);
	ASSERT(tables_peer_set(t, 1, IP4(172, 17, 0, 6), IP4(198, 51, 100, 3)) == 0);
	ASSERT(tables_peer_set(t, 2, IP4(172, 18, 0, 2), IP4(192, 0, 2, 5)) == 0);
	ASSERT(tables_peer_set(t, 3, IP4(172, 19, 0, 5), IP4(10, 0, 0, 5)) == 0);

	for (unsigned i = 0; i < N_SA_IN; i++) {
		S.in[i] = sa_make(mb, &in_defs[i]);
		ASSERT(tables_sa_in_set(t, S.in[i]->spi_be, S.in[i]) == 0);
	}
	for (unsigned i = 0; i < N_SA_OUT; i++) {
		S.out[i] = sa_make(mb, &out_defs[i]);
		ASSERT(tables_sa_out_set(t, out_defs[i].tunnel, out_defs[i].peer, S.out[i]) == 0);
	}
}

static void fuzz_conf_fill(void)
{
	struct dp_conf *c = &S.conf;
	static const uint8_t mac0[6] = {0x02, 0, 0, 0, 0, 0x01}, mac1[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const struct {
		uint8_t flags, has_key;
		uint16_t mtu;
		uint32_t key;
	} tun[N_TUNNELS] = {
		{TUN_F_RESOLVE | TUN_F_REDIRECT | TUN_F_KERNEL, 1, 1400, 1000},
		{TUN_F_PROTECT | TUN_F_REDIRECT, 1, 1400, 2000},
		{0, 0, 1476, 0},
		{TUN_F_PROTECT, 0, 1400, 0},
	};

	c->n_ports = N_PORTS;
	c->n_tunnels = N_TUNNELS;
	for (unsigned p = 0; p < N_PORTS; p++) {
		struct rte_ring *rx[1], *tx[1];
		char name[32];
		int id;

		snprintf(name, sizeof(name), "fz_rx%u", p);
		rx[0] = rte_ring_create(name, 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fz_tx%u", p);
		/* Room for a burst's output, forwarded and redirected. */
		tx[0] = S.tx[p] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		ASSERT(rx[0] && tx[0]);
		snprintf(name, sizeof(name), "net_ring_fz%u", p);
		id = rte_eth_from_rings(name, rx, 1, tx, 1, 0);
		ASSERT(id >= 0);
		/* Started, or rte_eth_tx_burst reaches no driver (it sends
		 * nothing before rte_eth_dev_start). */
		ASSERT(rte_eth_dev_configure((uint16_t)id, 1, 1, &(struct rte_eth_conf){0}) == 0);
		ASSERT(rte_eth_rx_queue_setup((uint16_t)id, 0, 64, 0, NULL, S.pool) == 0);
		ASSERT(rte_eth_tx_queue_setup((uint16_t)id, 0, 64, 0, NULL) == 0);
		ASSERT(rte_eth_dev_start((uint16_t)id) == 0);
		c->ports[p].port_id = (uint16_t)id;
	}
	c->ports[0].mtu = 1500;
	memcpy(c->ports[0].mac, mac0, 6);
	c->ports[0].plen = 24;
	c->ports[0].addr = IP4(192, 0, 2, 1);
	c->ports[1].mtu = 1400;
	memcpy(c->ports[1].mac, mac1, 6);
	c->ports[1].plen = 24;
	c->ports[1].addr = IP4(10, 0, 0, 1);
	for (unsigned i = 0; i < N_TUNNELS; i++) {
		struct dp_tunnel_rt *t = &c->tunnels[i];

		t->source = i == 3 ? 1 : 0;
		t->flags = tun[i].flags;
		t->has_key = tun[i].has_key;
		t->key = rte_cpu_to_be_32(tun[i].key);
		t->ttl = 64;
		t->mtu = tun[i].mtu;
		t->src = c->ports[t->source].addr;
		t->addr = IP4(172, (uint8_t)(16 + i), 0, 1);
		t->bcast = IP4(172, (uint8_t)(16 + i), 0, 255);
	}
}

static void init(void)
{
	char prefix[64];
	char *argv[] = {"fuzz_dp_input", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "--file-prefix", prefix, "--log-level", "*:error",
			"-l", "0", NULL};
	cpu_set_t cpus;
	struct rte_rcu_qsbr *q;
	IMB_MGR *mb;

	/* --no-shconf, and a prefix of our own: parallel jobs share nothing. */
	snprintf(prefix, sizeof(prefix), "dmvpn-fuzz-dp-%d", (int)getpid());
	ASSERT(sched_getaffinity(0, sizeof(cpus), &cpus) == 0);
	ASSERT(rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) >= 0);
	/* EAL pinned this thread to lcore 0; the fuzzer may run anywhere. */
	sched_setaffinity(0, sizeof(cpus), &cpus);

	/* The daemon's pool (control/main.c), no per-lcore cache, so that
	 * the available count is exact. */
	S.pool = rte_pktmbuf_pool_create("fz_mbufs", POOL_SIZE, 0,
					 RTE_ALIGN(sizeof(struct pkt_meta), RTE_CACHE_LINE_SIZE),
					 RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ASSERT(S.pool);
	S.dp.pool = S.pool;
	S.dp.burst = DP_MAX_BURST;
	S.dp.punt = rte_ring_create("fz_punt", 4096, 0, RING_F_SC_DEQ);
	S.dp.punt_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q = rte_zmalloc("fz_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	ASSERT(S.dp.punt && S.dp.punt_efd >= 0 && q && rte_rcu_qsbr_init(q, 1) == 0);
	ASSERT(tables_create(&S.dp.tables, "fz", q, 64, 64, 64) == 0);
	mb = S.mb = alloc_mb_mgr(0);
	ASSERT(mb);
	init_mb_mgr_auto(mb, NULL);
	S.w = rte_zmalloc("fz_worker", sizeof(*S.w), RTE_CACHE_LINE_SIZE);
	ASSERT(S.w);
	S.w->dp = &S.dp;
	S.w->mb = mb;
	fuzz_conf_fill();
	atomic_store(&S.dp.conf, &S.conf);
	fuzz_tables_fill(mb);
	S.pool_start = rte_mempool_avail_count(S.pool);
	S.verbose = getenv("FUZZ_DP_VERBOSE") != NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	init();
	return 0;
}

/* Every input starts from the same state: fresh windows (the ESN ones
 * where byte 0 says), SA counters and sequence numbers, worker caches. */
static void state_reset(uint8_t st)
{
	static const uint64_t esn_top[4] = {0, 0xfffffff0ull, 0x100000010ull, 1000};
	struct worker *w = S.w;

	for (unsigned i = 0; i < N_SA_IN; i++) {
		struct sa_rt *sa = S.in[i];

		sa->packets = sa->bytes = sa->errors = 0;
		if (!in_defs[i].replay)
			continue;
		ASSERT(replay_init(&sa->replay, in_defs[i].replay) == 0);
		if ((sa->flags & SA_F_ESN) && esn_top[st & 3])
			ASSERT(replay_update(&sa->replay, esn_top[st & 3]) == 0);
	}
	for (unsigned i = 0; i < N_SA_OUT; i++) {
		S.out[i]->seq = 0;
		memset(S.out[i]->out, 0, sizeof(S.out[i]->out));
	}
	memset(&w->stats, 0, sizeof(w->stats));
	memset(w->redirect_rl, 0, sizeof(w->redirect_rl));
	memset(w->nc, 0, sizeof(w->nc));
	memset(&w->l2c, 0, sizeof(w->l2c));
}

static void ext_free(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
	S.ext_live--;
}

/* Make the IPv4 header at p (len bytes) pass the checks (F_CKSUM,
 * F_LENGTH); its header length, or 0 when it has none to fix. */
static size_t ipv4_fix(uint8_t *p, size_t len, uint8_t f)
{
	size_t hl = len >= IPV4_HLEN ? (size_t)(p[0] & 0xf) * 4 : 0;
	uint16_t v;

	if (hl < IPV4_HLEN || hl > len)
		return 0;
	if (f & F_LENGTH) {
		v = rte_cpu_to_be_16((uint16_t)len);
		memcpy(p + 2, &v, 2);
	}
	memset(p + 10, 0, 2);
	v = ipv4_hdr_cksum(p, hl);
	memcpy(p + 10, &v, 2);
	return hl;
}

static void frame_fix(uint8_t *p, size_t len, uint8_t f)
{
	size_t hl, tl, gh;
	uint16_t gf;

	if (len < ETH_HLEN || p[12] != 0x08 || p[13] != 0x00)
		return;
	p += ETH_HLEN;
	len -= ETH_HLEN;
	hl = ipv4_fix(p, len, f);
	if (!hl || p[9] != IPPROTO_GRE_)
		return;
	/* GRE: checksum, key and sequence number each 4 bytes more. */
	tl = (size_t)p[2] << 8 | p[3];
	tl = tl < len ? tl : len;
	if (tl < hl + 4)
		return;
	gf = (uint16_t)(p[hl] << 8 | p[hl + 1]);
	gh = 4 + (gf & GRE_F_CSUM ? 4 : 0) + (gf & GRE_F_KEY ? 4 : 0) + (gf & GRE_F_SEQ ? 4 : 0);
	if (p[hl + 2] == 0x08 && p[hl + 3] == 0x00 && tl > hl + gh)
		ipv4_fix(p + hl + gh, tl - hl - gh, f);
}

/* A frame in an mbuf as a port would hand it over (data at the Ethernet
 * header, RTE_PKTMBUF_HEADROOM in front), per the flags. */
static struct rte_mbuf *frame_mbuf(const uint8_t *d, size_t len, uint8_t f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(S.pool), *m2;
	size_t cut;

	ASSERT(m);
	if (f & F_TIGHT) {
		uint16_t bl = (uint16_t)(RTE_PKTMBUF_HEADROOM + len);
		uint8_t *buf = malloc(bl);
		struct rte_mbuf_ext_shared_info *sh = malloc(sizeof(*sh));

		ASSERT(buf && sh);
		sh->free_cb = ext_free;
		sh->fcb_opaque = sh;
		rte_mbuf_ext_refcnt_set(sh, 1);
		rte_pktmbuf_attach_extbuf(m, buf, 0, bl, sh);
		S.ext_live++;
		m->data_off = RTE_PKTMBUF_HEADROOM;
		memcpy(buf + RTE_PKTMBUF_HEADROOM, d, len);
		if (f & (F_CKSUM | F_LENGTH))
			frame_fix(buf + RTE_PKTMBUF_HEADROOM, len, f);
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		return m;
	}
	if (len > rte_pktmbuf_tailroom(m))
		len = rte_pktmbuf_tailroom(m);
	cut = f & F_CHAIN ? len / 2 : len;
	memcpy(rte_pktmbuf_append(m, (uint16_t)cut), d, cut);
	if (cut == len) {
		if (f & (F_CKSUM | F_LENGTH))
			frame_fix(rte_pktmbuf_mtod(m, uint8_t *), len, f);
		return m;
	}
	m2 = rte_pktmbuf_alloc(S.pool);
	ASSERT(m2);
	memcpy(rte_pktmbuf_append(m2, (uint16_t)(len - cut)), d + cut, len - cut);
	ASSERT(rte_pktmbuf_chain(m, m2) == 0);
	return m;
}

static void mbuf_sane(const struct rte_mbuf *m)
{
	ASSERT(m->nb_segs == 1 && m->next == NULL);
	ASSERT(m->data_len == m->pkt_len);
	ASSERT((uint32_t)m->data_off + m->data_len <= m->buf_len);
}

/* An IPv4 packet the control thread gets: its header as the worker
 * checked it, its total length the mbuf's. */
static void ipv4_sane(const struct rte_mbuf *m)
{
	struct ipv4_info ii;

	ASSERT(ipv4_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &ii) == DROP_NONE);
	ASSERT(ii.total_len == m->data_len);
}

/* What went out of port p: an Ethernet frame from the port's MAC, its
 * IPv4 packet valid and within the port's MTU. */
static void tx_check(unsigned p, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct ipv4_info ii;

	mbuf_sane(m);
	ASSERT(m->data_len >= ETH_HLEN + IPV4_HLEN);
	ASSERT(!memcmp(f + 6, S.conf.ports[p].mac, 6));
	ASSERT(f[12] == 0x08 && f[13] == 0x00);
	ASSERT(ipv4_parse(f + ETH_HLEN, m->data_len - ETH_HLEN, &ii) == DROP_NONE);
	ASSERT(ii.total_len == m->data_len - ETH_HLEN);
	ASSERT(ii.total_len <= S.conf.ports[p].mtu);
	ASSERT(ii.ttl > 0);
}

static void punt_check(struct rte_mbuf *m)
{
	const struct pkt_meta *pm = pkt_meta(m);

	mbuf_sane(m);
	switch (pm->kind) {
	case PUNT_ARP:
		ASSERT(m->data_len >= ETH_HLEN);
		break;
	case PUNT_REDIRECT:
		ASSERT(m->data_len >= IPV4_HLEN && m->data_len <= 64);
		ASSERT(pm->out_if < N_TUNNELS);
		break;
	case PUNT_NHRP:
		ipv4_sane(m);
		ASSERT(rte_pktmbuf_mtod(m, const struct ipv4_hdr *)->proto == IPPROTO_GRE_);
		ASSERT(DP_IF_IS_TUNNEL(pm->in_if) && pm->in_if < DP_IF_TUNNEL(N_TUNNELS));
		break;
	case PUNT_NEIGH_MISS:
		ipv4_sane(m);
		ASSERT(pm->out_if < N_PORTS);
		break;
	case PUNT_RESOLVE:
	case PUNT_KERNEL:
		ipv4_sane(m);
		ASSERT(pm->out_if < N_TUNNELS);
		break;
	case PUNT_LOCAL:
	case PUNT_ICMP_ERROR:
		ipv4_sane(m);
		break;
	default:
		ASSERT(0);
	}
}

/* For checking what a seed does (tests/fuzz/dp_corpus.py). */
static void stats_print(const struct dp_stats *b, uint8_t port, uint16_t n)
{
	const struct dp_stats *a = &S.w->stats;

	fprintf(stderr, "burst of %u on port %u: forwarded %lu decap %lu encap %lu punted %lu",
		n, port, (unsigned long)(a->forwarded - b->forwarded),
		(unsigned long)(a->gre_decap - b->gre_decap),
		(unsigned long)(a->gre_encap - b->gre_encap), (unsigned long)(a->punted - b->punted));
	for (unsigned i = 0; i < N_PORTS; i++)
		fprintf(stderr, " tx%u %lu", i,
			(unsigned long)(a->ifs[i].tx_packets - b->ifs[i].tx_packets));
	for (unsigned i = 0; i < DROP__COUNT; i++)
		if (a->drops[i] != b->drops[i])
			fprintf(stderr, " %s %lu", dmvpn_drop_name(i),
				(unsigned long)(a->drops[i] - b->drops[i]));
	fprintf(stderr, "\n");
}

static void burst_run(uint8_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct tx_buf tb;
	void *out[1024];
	unsigned k;

	struct dp_stats before;

	memset(tb.n, 0, sizeof(tb.n));
	tb.np = 0;
	if (S.verbose)
		before = S.w->stats;
	dp_input(S.w, &S.conf, &tb, port, pkts, n);
	dp_flush(S.w, &S.conf, &tb);
	if (S.verbose)
		stats_print(&before, port, n);
	/* Nothing lost for want of room: the rings are big enough. */
	ASSERT(!S.w->stats.drops[DROP_TX_FULL] && !S.w->stats.drops[DROP_PUNT_RING_FULL]);
	for (unsigned p = 0; p < N_PORTS; p++) {
		k = rte_ring_sc_dequeue_burst(S.tx[p], out, 1024, NULL);
		for (unsigned i = 0; i < k; i++) {
			tx_check(p, out[i]);
			rte_pktmbuf_free(out[i]);
		}
	}
	while ((k = rte_ring_sc_dequeue_burst(S.dp.punt, out, 1024, NULL)) > 0) {
		for (unsigned i = 0; i < k; i++) {
			punt_check(out[i]);
			rte_pktmbuf_free(out[i]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];
	uint16_t n = 0;
	uint8_t port = 0;
	size_t p = 1;
	unsigned frames = 0;

	if (!S.pool)
		init();
	if (size < 1)
		return 0;
	state_reset(data[0]);
	while (p < size && frames < MAX_FRAMES) {
		uint8_t f = data[p++];
		size_t len = 0;

		if (p + 2 <= size) {
			len = (size_t)data[p] << 8 | data[p + 1];
			p += 2;
		} else {
			p = size;
		}
		if (len > size - p)
			len = size - p;
		if (n && ((f & F_BURST) || n == DP_MAX_BURST)) {
			burst_run(port, pkts, n);
			n = 0;
		}
		if (!n)
			port = (uint8_t)((f >> 6) % N_PORTS);
		pkts[n++] = frame_mbuf(data + p, len > MAX_FRAME ? MAX_FRAME : len, f);
		p += len;
		frames++;
	}
	if (n)
		burst_run(port, pkts, n);
	/* Every mbuf back in the pool, every external buffer freed. */
	ASSERT(rte_mempool_avail_count(S.pool) == S.pool_start);
	ASSERT(S.ext_live == 0);
	return 0;
}
