/* SPDX-License-Identifier: BSD-3-Clause */
/* Two IKEv2 engines in one process: mocked network, clock, random and SA installer; every exchange. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "control/ike/ike.h"
#include "lib/esp/esp.h"
#include "lib/ike/ike_crypto.h"
#include "lib/wire/ike_wire.h"
#include "tests/unit/test_rng.h"

/* ---- the mocked world ---- */

#define NET_MAX 64
#define REC_MAX 512

struct dgram {
	uint32_t src, dst;        /* network order */
	uint16_t sport, dport;
	size_t len;
	uint8_t data[IKE_MAX_MSG];
};

struct rec {                      /* one call of the SA installer */
	int install;              /* 1: child_install, 2: inbound half only, 0: child_remove */
	struct cfg_sa sa;         /* install */
	uint32_t spi;             /* remove: the inbound SPI */
	uint32_t peer;
	unsigned sent;            /* messages the node had sent by then */
	int flowing;              /* whole install while the peer was up (traffic flows) */
	int peer_can_open;        /* the other node had the inbound half by then */
};

struct node {
	const char *name;
	struct ike_engine *e;
	uint32_t addr;            /* network order */
	uint64_t rng;
	struct rec rec[REC_MAX];
	unsigned n_rec;
	int ups, downs;
	unsigned sent;            /* messages sent (env->send calls) */
	int install_fail;
	int keepalives;
	uint16_t ka_lport, ka_rport;
	int rebinds;              /* env child_rebind calls, and the last port */
	uint16_t rebind_port;
	uint32_t rebind_peer;
	unsigned net_at_up;       /* datagrams queued when peer_event(up) came */
	int reconnect;            /* on peer_event(down), call ike_connect from inside it */
	int reconnect_rc;
	char keyline[1024];       /* the last tshark key line logged */
};

static struct dgram net[NET_MAX];
static unsigned n_net;
static uint64_t now_ms = 1000000;
static int verbose;
static int net_discard;           /* drop what is sent (tearing down many engines) */
static int use_inbound = 1;       /* offer env->child_install_inbound */
static struct node *nodes[2];
/* NAT in front of nodes[0]: its address/ports as the other side sees them. */
static int nat_on;
static uint32_t nat_pub;
#define NAT_PORT_OFFSET 30000
/* The NAT maps private port p to public p + nat_offset (0: port-preserving,
 * as Linux masquerade) and lets in only what comes from where the private
 * side sent to from that port (address-and-port-dependent filtering). */
static unsigned nat_offset = NAT_PORT_OFFSET;
static struct pin {
	uint16_t pport, rport;
	uint32_t raddr;
} pins[16];
static unsigned n_pins;

static void nat_pin(uint16_t pport, uint32_t raddr, uint16_t rport)
{
	for (unsigned i = 0; i < n_pins; i++)
		if (pins[i].pport == pport && pins[i].raddr == raddr && pins[i].rport == rport)
			return;
	if (n_pins < 16)
		pins[n_pins++] = (struct pin){pport, rport, raddr};
}

static int nat_pinned(uint16_t pport, uint32_t raddr, uint16_t rport)
{
	for (unsigned i = 0; i < n_pins; i++)
		if (pins[i].pport == pport && pins[i].raddr == raddr && pins[i].rport == rport)
			return 1;
	return 0;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void env_send(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		     const uint8_t *msg, size_t len)
{
	struct node *n = ctx;
	struct dgram *d;

	n->sent++;
	if (net_discard)
		return;
	if (n_net == NET_MAX || len > IKE_MAX_MSG) {
		fprintf(stderr, "mock network full\n");
		exit(2);
	}
	d = &net[n_net++];
	d->src = local;
	d->sport = lport;
	d->dst = remote;
	d->dport = rport;
	d->len = len;
	memcpy(d->data, msg, len);
	/* Source NAT: the node behind it leaves with the public address. */
	if (nat_on && n == nodes[0]) {
		d->src = nat_pub;
		d->sport = (uint16_t)(lport + nat_offset);
		nat_pin(lport, remote, rport);
	}
}

static int has_inbound(const struct node *n, uint32_t spi);

static int env_install(void *ctx, const struct cfg_sa *sa)
{
	struct node *n = ctx;
	const struct node *other = n == nodes[0] ? nodes[1] : nodes[0];

	if (n->install_fail)
		return -ENOSPC;
	if (n->n_rec < REC_MAX) {
		n->rec[n->n_rec].flowing = n->ups > n->downs;
		n->rec[n->n_rec].peer_can_open = other && has_inbound(other, sa->out.spi);
		n->rec[n->n_rec].install = 1;
		n->rec[n->n_rec].sa = *sa;
		n->rec[n->n_rec].peer = sa->peer;
		n->rec[n->n_rec].sent = n->sent;
		n->n_rec++;
	}
	return 0;
}

/* The inbound half only (a rekey responder's new pair). */
static int env_install_inbound(void *ctx, const struct cfg_sa *sa)
{
	struct node *n = ctx;

	if (n->install_fail)
		return -ENOSPC;
	if (n->n_rec < REC_MAX) {
		n->rec[n->n_rec].install = 2;
		n->rec[n->n_rec].sa = *sa;
		n->rec[n->n_rec].peer = sa->peer;
		n->rec[n->n_rec].sent = n->sent;
		n->n_rec++;
	}
	return 0;
}

static void env_keepalive(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport)
{
	struct node *n = ctx;

	n->keepalives++;
	n->ka_lport = lport;
	n->ka_rport = rport;
}

static void env_rebind(void *ctx, unsigned tunnel, uint32_t peer, uint16_t rport)
{
	struct node *n = ctx;

	(void)tunnel;
	n->rebinds++;
	n->rebind_port = rport;
	n->rebind_peer = peer;
}

static void env_remove(void *ctx, unsigned tunnel, uint32_t peer, uint32_t in_spi)
{
	struct node *n = ctx;

	if (n->n_rec < REC_MAX) {
		n->rec[n->n_rec].install = 0;
		n->rec[n->n_rec].spi = in_spi;
		n->rec[n->n_rec].peer = peer;
		n->n_rec++;
	}
}

static void env_event(void *ctx, unsigned tunnel, uint32_t peer, int up)
{
	struct node *n = ctx;

	if (up) {
		n->ups++;
		n->net_at_up = n_net;
		return;
	}
	n->downs++;
	if (n->reconnect && n->e) {
		/* as the daemon's NHRP does: back at once, from inside the callback */
		n->reconnect_rc = ike_connect(n->e, tunnel, peer);
		ike_peer_state(n->e, tunnel, peer);
		/* and calls that would free dead SAs, were they not deferred */
		ike_tick(n->e);
		ike_disconnect(n->e, tunnel, htonl(0x0a0a0a0a));
	}
}

static uint64_t env_now(void *ctx)
{
	return now_ms;
}

/* Deterministic: xorshift64* seeded per node. */
static void env_random(void *ctx, void *buf, size_t len)
{
	struct node *n = ctx;

	test_rng_bytes(&n->rng, buf, len);
}

static void env_log(void *ctx, int debug, const char *line)
{
	struct node *n = ctx;

	if (strstr(line, "ikev2_decryption_table"))
		snprintf(n->keyline, sizeof(n->keyline), "%s", line);
	if (verbose)
		fprintf(stderr, "[%s%s] %s\n", n->name, debug ? " debug" : "", line);
}

/* The hub benchmark's spokes: 10.0.0.1 onwards. */
static struct node *spokes;
static unsigned n_spokes;

static struct node *node_of(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	if (n_spokes && h > 0x0a000000 && h <= 0x0a000000 + n_spokes)
		return &spokes[h - 0x0a000001];
	for (int i = 0; i < 2; i++)
		if (nodes[i] && (nodes[i]->addr == addr || (nat_on && i == 0 && addr == nat_pub)))
			return nodes[i];
	return NULL;
}

/* Deliver datagram i (removing it from the queue). */
static void net_deliver_at(unsigned i)
{
	static struct dgram d;
	struct node *to;

	d = net[i];
	memmove(&net[i], &net[i + 1], (n_net - i - 1) * sizeof(net[0]));
	n_net--;
	if (nat_on && d.dst == nat_pub) {
		/* Back through the NAT to the private side, if the private side
		 * opened that mapping. */
		if (!nat_pinned((uint16_t)(d.dport - nat_offset), d.src, d.sport))
			return;
		d.dst = nodes[0]->addr;
		d.dport = (uint16_t)(d.dport - nat_offset);
	}
	to = node_of(d.dst);
	if (!to)
		return;
	ike_input(to->e, d.dst, d.dport, d.src, d.sport, d.data, d.len);
}

static void net_deliver(void)
{
	if (n_net)
		net_deliver_at(0);
}

static void net_drop(void)
{
	if (n_net) {
		memmove(&net[0], &net[1], (n_net - 1) * sizeof(net[0]));
		n_net--;
	}
}

/* Deliver everything until quiet. Returns how many were delivered. */
static unsigned net_run(void)
{
	unsigned k = 0;

	while (n_net && k < 500) {
		net_deliver();
		k++;
	}
	return k;
}

/* The header of the queued datagram i. */
static struct ike_hdr_view net_hdr(unsigned i)
{
	struct ike_hdr_view h;

	memset(&h, 0, sizeof(h));
	if (i < n_net)
		ike_hdr_parse(net[i].data, net[i].len, &h);
	return h;
}

static void tick_both(uint64_t advance_ms)
{
	now_ms += advance_ms;
	for (int i = 0; i < 2; i++)
		ike_tick(nodes[i]->e);
}

/* ---- configuration ---- */

struct setup {
	const char *ike[4];
	const char *esp[4];
	const char *psk;
	int cookies_always;
	const char *cert, *key, *ca, *local_id, *remote_id; /* certificates: auth = pubkey */
	uint8_t mode;
	uint8_t encap;
	unsigned dpd_delay, rekey_time, child_rekey_time;
};

static void conf_make(struct cfg_ike *k, struct cfg_ike_secret *sec, uint32_t local,
		      const struct setup *s)
{
	struct cfg_ike_conn *c = &k->conns[0];
	char err[128];

	memset(k, 0, sizeof(*k));
	memset(sec, 0, sizeof(*sec));
	k->n_conns = 1;
	snprintf(c->name, sizeof(c->name), "dmvpn");
	c->tunnel = 0;
	c->local_addr = local;
	for (int i = 0; i < 4 && s->ike[i]; i++)
		if (ike_suite_parse(s->ike[i], 0, &c->ike[c->n_ike++], err, sizeof(err))) {
			fprintf(stderr, "bad proposal %s: %s\n", s->ike[i], err);
			exit(2);
		}
	for (int i = 0; i < 4 && s->esp[i]; i++)
		if (ike_suite_parse(s->esp[i], 1, &c->child.esp[c->child.n_esp++], err, sizeof(err))) {
			fprintf(stderr, "bad ESP proposal %s: %s\n", s->esp[i], err);
			exit(2);
		}
	c->local.auth = c->remote.auth = CFG_IKE_AUTH_PSK;
	if (s->cert) {
		c->local.auth = c->remote.auth = CFG_IKE_AUTH_PUBKEY;
		snprintf(c->local.cert, sizeof(c->local.cert), "%s", s->cert);
		snprintf(c->local.key, sizeof(c->local.key), "%s", s->key);
		snprintf(c->remote.cacert, sizeof(c->remote.cacert), "%s", s->ca);
	}
	if (s->local_id)
		snprintf(c->local.id, sizeof(c->local.id), "%s", s->local_id);
	if (s->remote_id)
		snprintf(c->remote.id, sizeof(c->remote.id), "%s", s->remote_id);
	c->rekey_time = s->rekey_time;
	c->dpd_delay = s->dpd_delay;
	c->encap = s->encap;
	snprintf(c->child.name, sizeof(c->child.name), "gre");
	c->child.mode = s->mode;
	c->child.rekey_time = s->child_rekey_time;
	c->child.replay_window = 64;
	k->n_secrets = 1;
	k->secrets = sec;
	snprintf(sec->secret, sizeof(sec->secret), "%s", s->psk ? s->psk : "dmvpn-test-psk");
	sec->secret_len = strlen(sec->secret);
	k->cookie_threshold = s->cookies_always ? 0 : 10;
	k->half_open_timeout = 30;
	k->retransmit_tries = 3;
	k->retransmit_timeout_ms = 1000;
	k->max_ike_sas = 100;
}

static struct node node_i, node_r;
static const struct ike_env env_tmpl = {
	.send = env_send,
	.child_install = env_install,
	.child_remove = env_remove,
	.peer_event = env_event,
	.now_ms = env_now,
	.random = env_random,
	.log = env_log,
	.keepalive = env_keepalive,
	.child_rebind = env_rebind,
};

static const struct setup default_setup = {
	.ike = {"aes128gcm16-prfsha256-ecp256"},
	.esp = {"aes128gcm16"},
};

/* A fresh pair: I = 192.0.2.1 (initiator), R = 192.0.2.2. */
static void pair_up(const struct setup *si, const struct setup *sr, uint64_t seed)
{
	struct cfg_ike k;
	struct cfg_ike_secret sec;
	struct ike_env env = env_tmpl;

	n_net = 0;
	nat_on = 0;
	n_pins = 0;
	nat_offset = NAT_PORT_OFFSET;
	memset(&node_i, 0, sizeof(node_i));
	memset(&node_r, 0, sizeof(node_r));
	node_i.name = "I";
	node_r.name = "R";
	node_i.addr = ip("192.0.2.1");
	node_r.addr = ip("192.0.2.2");
	node_i.rng = seed * 2 + 1;
	node_r.rng = seed * 2 + 0x9e3779b97f4a7c15ULL;
	nodes[0] = &node_i;
	nodes[1] = &node_r;
	env.child_install_inbound = use_inbound ? env_install_inbound : NULL;
	conf_make(&k, &sec, node_i.addr, si);
	env.ctx = &node_i;
	node_i.e = ike_engine_create(&env, &k);
	conf_make(&k, &sec, node_r.addr, sr ? sr : si);
	env.ctx = &node_r;
	node_r.e = ike_engine_create(&env, &k);
	if (!node_i.e || !node_r.e) {
		fprintf(stderr, "ike_engine_create failed\n");
		exit(2);
	}
}

static void pair_down(void)
{
	ike_engine_destroy(node_i.e);
	ike_engine_destroy(node_r.e);
	node_i.e = node_r.e = NULL;
	n_net = 0;
	nat_on = 0;
}

static const struct ike_counters *cnt(struct node *n)
{
	return ike_engine_counters(n->e);
}

static unsigned n_sas(struct node *n)
{
	struct ike_sa_info info[8];

	return ike_sa_list(n->e, info, 8);
}

/* The last install of node n, or NULL. */
static const struct cfg_sa *last_install(const struct node *n)
{
	for (unsigned i = n->n_rec; i-- > 0;)
		if (n->rec[i].install == 1)
			return &n->rec[i].sa;
	return NULL;
}

static unsigned count_recs(const struct node *n, int install)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n->n_rec; i++)
		k += n->rec[i].install == install;
	return k;
}

/* Whether inbound SPI spi is installed (either way) and not removed since. */
static int has_inbound(const struct node *n, uint32_t spi)
{
	int in = 0;

	for (unsigned i = 0; i < n->n_rec; i++) {
		if (n->rec[i].install && n->rec[i].sa.in.spi == spi)
			in = 1;
		else if (!n->rec[i].install && n->rec[i].spi == spi)
			in = 0;
	}
	return in;
}

/* CHILD_SAs a node has in its dataplane: inbound SPIs installed, not removed. */
static unsigned live_children(const struct node *n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n->n_rec; i++) {
		int first = 1;

		if (!n->rec[i].install)
			continue;
		for (unsigned j = 0; j < i; j++)
			if (n->rec[j].install && n->rec[j].sa.in.spi == n->rec[i].sa.in.spi)
				first = 0;
		k += first && has_inbound(n, n->rec[i].sa.in.spi);
	}
	return k;
}

/* Neither side sends on an SA the other cannot open. */
static void check_no_gap(const char *what)
{
	const struct cfg_sa *a = last_install(&node_i), *b = last_install(&node_r);

	CHECK_MSG(a && has_inbound(&node_r, a->out.spi), "%s: I sends on %08x, R cannot open it", what,
		  a ? a->out.spi : 0);
	CHECK_MSG(b && has_inbound(&node_i, b->out.spi), "%s: R sends on %08x, I cannot open it", what,
		  b ? b->out.spi : 0);
}

/* While traffic flows, a pair takes n's traffic (whole install) only once
 * the peer can open it, or after n sent something since the pair's inbound
 * half went in: the message that lets the peer install it (an IKE_AUTH
 * answer, a Delete of the old pair), ahead of any ESP on the wire. */
static void check_inbound_first(const struct node *n, const char *what)
{
	for (unsigned i = 0; i < n->n_rec; i++) {
		int ok = 0;

		if (n->rec[i].install != 1 || !n->rec[i].flowing || n->rec[i].peer_can_open)
			continue;
		for (unsigned j = 0; j < i; j++)
			if (n->rec[j].install == 2 && n->rec[j].sa.in.spi == n->rec[i].sa.in.spi &&
			    n->rec[i].sent > n->rec[j].sent)
				ok = 1;
		CHECK_MSG(ok, "%s: %s sends on %08x before the peer can open it", what, n->name,
			  n->rec[i].sa.out.spi);
	}
}

static int removed(const struct node *n, uint32_t spi)
{
	for (unsigned i = 0; i < n->n_rec; i++)
		if (!n->rec[i].install && n->rec[i].spi == spi)
			return 1;
	return 0;
}

/* Index of the install of in-SPI spi / of the remove of spi; -1 if none. */
static int rec_index(const struct node *n, int install, uint32_t spi)
{
	for (unsigned i = 0; i < n->n_rec; i++) {
		if (install && n->rec[i].install && n->rec[i].sa.in.spi == spi)
			return (int)i;
		if (!install && !n->rec[i].install && n->rec[i].spi == spi)
			return (int)i;
	}
	return -1;
}

static int dir_same(const struct cfg_sa_dir *a, const struct cfg_sa_dir *b)
{
	return a->spi == b->spi && a->key_len == b->key_len && a->auth_len == b->auth_len &&
	       !memcmp(a->key, b->key, a->key_len) && !memcmp(a->auth_key, b->auth_key, a->auth_len);
}

/* Both sides' SAs are mirror images: I's out is R's in and the reverse. */
static void check_mirror(const struct cfg_sa *a, const struct cfg_sa *b, const char *what)
{
	CHECK_MSG(a && b, "%s: no SA installed", what);
	if (!a || !b)
		return;
	CHECK_MSG(dir_same(&a->out, &b->in), "%s: I out != R in", what);
	CHECK_MSG(dir_same(&a->in, &b->out), "%s: I in != R out", what);
	CHECK_MSG(a->in.spi != a->out.spi, "%s: SPIs not distinct", what);
	CHECK_MSG(a->alg == b->alg && a->mode == b->mode && a->esn == b->esn && a->udp == b->udp,
		  "%s: parameters differ", what);
	CHECK_MSG(a->peer == node_r.addr || (nat_on && a->peer == node_r.addr), "%s: I's peer", what);
}

/* The standard exchange, each message checked as it goes. */
static void establish(void)
{
	struct ike_hdr_view h;

	CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
	/* I -> R: HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP), N(SIGNATURE_HASH_ALGORITHMS) */
	h = net_hdr(0);
	CHECK_INT(h.exchange, IKE_SA_INIT);
	CHECK_INT(h.flags & (IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE), IKE_FLAG_INITIATOR);
	net_deliver();
	/* R -> I: HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*), N(SIGNATURE_HASH_ALGORITHMS) */
	h = net_hdr(0);
	CHECK_INT(h.exchange, IKE_SA_INIT);
	CHECK_INT(h.flags & IKE_FLAG_RESPONSE, IKE_FLAG_RESPONSE);
	net_deliver();
	/* I -> R: HDR, SK {IDi, AUTH, N(INITIAL_CONTACT), N(USE_TRANSPORT_MODE), SAi2, TSi, TSr} */
	h = net_hdr(0);
	CHECK_INT(h.exchange, IKE_AUTH);
	CHECK_INT(h.msg_id, 1);
	net_deliver();
	/* R -> I: HDR, SK {IDr, AUTH, N(USE_TRANSPORT_MODE), SAr2, TSi, TSr}
	 * (R said "up" only once this answer was on its way) */
	CHECK_INT(node_r.ups, 1);
	CHECK_INT(node_r.net_at_up, 1);
	h = net_hdr(0);
	CHECK_INT(h.exchange, IKE_AUTH);
	CHECK_INT(h.flags & IKE_FLAG_RESPONSE, IKE_FLAG_RESPONSE);
	net_deliver();
	CHECK_INT(n_net, 0);
}

/* ---- scenarios ---- */

static void t_establish_matrix(void)
{
	static const char *const groups[] = {"modp2048", "ecp256", "ecp384", "x25519"};
	static const char *const esps[] = {"aes128gcm16", "aes256gcm16", "aes128-sha256", "aes256-sha1"};
	static const int algs[] = {ESP_ALG_AES128_GCM16, ESP_ALG_AES256_GCM16, ESP_ALG_AES128_CBC_SHA256,
				   ESP_ALG_AES256_CBC_SHA1};

	for (int g = 0; g < 4; g++)
		for (int x = 0; x < 4; x++) {
			char ike[64], what[96];
			struct setup s = {.esp = {esps[x]}};
			const struct cfg_sa *a, *b;

			snprintf(ike, sizeof(ike), "%s-prfsha256-%s", g % 2 ? "aes256gcm16" : "aes128-sha256",
				 groups[g]);
			s.ike[0] = ike;
			snprintf(what, sizeof(what), "%s / %s", ike, esps[x]);
			pair_up(&s, NULL, (uint64_t)(g * 4 + x + 1));
			establish();
			a = last_install(&node_i);
			b = last_install(&node_r);
			check_mirror(a, b, what);
			CHECK_MSG(a && a->alg == algs[x], "%s: alg", what);
			CHECK_MSG(a && a->mode == CFG_SA_TRANSPORT && !a->udp, "%s: transport, no udp", what);
			CHECK_MSG(b && b->peer == node_i.addr && a && a->peer == node_r.addr, "%s: peers", what);
			CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
			CHECK_INT(ike_peer_state(node_r.e, 0, node_i.addr), IKE_PEER_UP);
			CHECK_INT(node_i.ups, 1);
			CHECK_INT(node_r.ups, 1);
			CHECK_INT(cnt(&node_i)->ike_established, 1);
			CHECK_INT(cnt(&node_r)->ike_established, 1);
			CHECK_INT(cnt(&node_r)->child_installed, 1);
			/* The key line tshark needs, on both sides and equal. */
			CHECK_MSG(node_i.keyline[0] && !strcmp(node_i.keyline, node_r.keyline),
				  "%s: key lines differ", what);
			pair_down();
		}
}

static void child_rekey(struct node *from, struct node *to);

/* The other PRFs and IKE integrity algorithms, and the remaining ESP suites. */
static void t_establish_prfs(void)
{
	static const struct {
		const char *ike, *esp;
		int alg;
	} cases[] = {
		{"aes256-sha384-prfsha384-ecp384", "aes256-sha256", ESP_ALG_AES256_CBC_SHA256},
		{"aes128-sha512-prfsha512-modp2048", "aes128-sha1", ESP_ALG_AES128_CBC_SHA1},
		{"aes256gcm16-prfsha512-x25519", "aes256-sha1", ESP_ALG_AES256_CBC_SHA1},
		{"aes128gcm16-prfsha384-ecp256", "aes256gcm16", ESP_ALG_AES256_GCM16},
		{"aes256-sha1-prfsha1-ecp256", "aes128gcm16", ESP_ALG_AES128_GCM16},
	};

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct setup s = {.ike = {cases[k].ike}, .esp = {cases[k].esp}};
		struct ike_sa_info info;

		pair_up(&s, NULL, 200 + k);
		establish();
		CHECK_INT(ike_sa_list(node_i.e, &info, 1), 1);
		{
			/* as ike_suite_format writes it (prf implied by the integrity
			 * algorithm left out, as swanctl does) */
			struct ike_suite su;
			char want[64], err[64];

			ike_suite_parse(cases[k].ike, 0, &su, err, sizeof(err));
			ike_suite_format(&su, 0, want, sizeof(want));
			CHECK_STR(info.suite, want);
			CHECK_INT(su.prf, strstr(cases[k].ike, "prfsha512") ? IKE_PRF_HMAC_SHA2_512
					  : strstr(cases[k].ike, "prfsha384") ? IKE_PRF_HMAC_SHA2_384
									      : IKE_PRF_HMAC_SHA1);
		}
		CHECK_INT(last_install(&node_i)->alg, cases[k].alg);
		check_mirror(last_install(&node_i), last_install(&node_r), cases[k].ike);
		/* and a rekey of each kind over it */
		child_rekey(&node_r, &node_i);
		pair_down();
	}
}

static void t_list(void)
{
	struct ike_sa_info info[2];

	pair_up(&default_setup, NULL, 77);
	establish();
	CHECK_INT(ike_sa_list(node_i.e, info, 2), 1);
	CHECK_STR(info[0].state, "ESTABLISHED");
	CHECK_INT(info[0].initiator, 1);
	CHECK_STR(info[0].suite, "aes128gcm16-prfsha256-ecp256");
	CHECK_STR(info[0].child_suite, "aes128gcm16");
	CHECK_STR(info[0].local_id, "192.0.2.1");
	CHECK_STR(info[0].remote_id, "192.0.2.2");
	CHECK_INT(info[0].child_up, 1);
	CHECK_INT(info[0].child_spi_out, last_install(&node_r)->in.spi);
	CHECK_INT(ike_sa_list(node_r.e, info, 2), 1);
	CHECK_INT(info[0].initiator, 0);
	CHECK_STR(info[0].remote_id, "192.0.2.1");
	/* ike_connect on an existing SA does nothing new. */
	CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(n_net, 0);
	CHECK_INT(ike_connect(node_i.e, 7, node_r.addr), -ENOENT);
	pair_down();
}

static void t_invalid_ke(void)
{
	struct setup si = {.ike = {"aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-x25519"},
			   .esp = {"aes128gcm16"}};
	struct setup sr = {.ike = {"aes128gcm16-prfsha256-x25519"}, .esp = {"aes128gcm16"}};
	struct ike_sa_info info;

	pair_up(&si, &sr, 3);
	ike_connect(node_i.e, 0, node_r.addr);
	/* I -> R: HDR, SAi1 (ecp256, x25519), KEi(ecp256), Ni, N(NAT_D) */
	net_deliver();
	/* R -> I: HDR, N(INVALID_KE_PAYLOAD, 31) (no state kept) */
	CHECK_INT(cnt(&node_r)->invalid_ke_sent, 1);
	CHECK_INT(n_sas(&node_r), 0);
	net_deliver();
	/* I -> R: HDR, SAi1, KEi(x25519), Ni, N(NAT_D) ... then IKE_AUTH */
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(ike_sa_list(node_i.e, &info, 1), 1);
	CHECK_STR(info.suite, "aes128gcm16-prfsha256-x25519");
	check_mirror(last_install(&node_i), last_install(&node_r), "after INVALID_KE");
	pair_down();
}

static void t_no_proposal(void)
{
	struct setup sr = {.ike = {"aes256-sha256-modp2048"}, .esp = {"aes128gcm16"}};

	pair_up(&default_setup, &sr, 4);
	ike_connect(node_i.e, 0, node_r.addr);
	/* I -> R: HDR, SAi1(aes128gcm16-prfsha256-ecp256), KEi, Ni */
	net_deliver();
	/* R -> I: HDR, N(NO_PROPOSAL_CHOSEN) */
	CHECK_INT(cnt(&node_r)->no_proposal_chosen, 1);
	net_deliver();
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(node_i.downs, 1);
	CHECK_INT(node_i.n_rec + node_r.n_rec, 0);
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_NONE);

	/* ESP proposals that do not meet: refused in IKE_AUTH, nothing left. */
	pair_down();
	sr = (struct setup){.ike = {"aes128gcm16-prfsha256-ecp256"}, .esp = {"aes256-sha1"}};
	pair_up(&default_setup, &sr, 5);
	ike_connect(node_i.e, 0, node_r.addr);
	/* IKE_SA_INIT; I -> R: SK{..., SAi2(aes128gcm16)}; R -> I: SK{N(NO_PROPOSAL_CHOSEN)} */
	net_run();
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(node_i.n_rec + node_r.n_rec, 0);
	CHECK_INT(cnt(&node_r)->no_proposal_chosen, 1);
	pair_down();
}

static void t_wrong_psk(void)
{
	struct setup sr = default_setup;

	sr.psk = "another-secret";
	pair_up(&default_setup, &sr, 6);
	ike_connect(node_i.e, 0, node_r.addr);
	/* IKE_SA_INIT request and response */
	net_deliver();
	net_deliver();
	/* I -> R: SK{IDi, AUTH (with I's PSK), ...} */
	net_deliver();
	CHECK_INT(cnt(&node_r)->auth_failed, 1);
	CHECK_INT(n_sas(&node_r), 0);
	/* R -> I: SK{N(AUTHENTICATION_FAILED)} */
	net_deliver();
	CHECK_INT(cnt(&node_i)->auth_failed, 1);
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(node_i.n_rec + node_r.n_rec, 0);
	CHECK_INT(node_i.downs, 1);
	CHECK_INT(node_r.ups + node_r.downs, 0);
	/* A retransmitted IKE_AUTH finds nothing: silence. */
	CHECK_INT(n_net, 0);
	pair_down();
}

static void t_cookies(void)
{
	struct setup sr = default_setup;
	struct ike_hdr_view h;

	sr.cookies_always = 1;         /* threshold 0: demand cookies always */
	pair_up(&default_setup, &sr, 7);
	ike_connect(node_i.e, 0, node_r.addr);
	/* I -> R: HDR, SAi1, KEi, Ni */
	net_deliver();
	/* R -> I: HDR(SPIr = 0), N(COOKIE) */
	CHECK_INT(cnt(&node_r)->cookies_sent, 1);
	CHECK_INT(n_sas(&node_r), 0);
	h = net_hdr(0);
	CHECK_MSG(h.spi_r == 0 && (h.flags & IKE_FLAG_RESPONSE), "cookie reply header");
	net_deliver();
	/* I -> R: HDR, N(COOKIE), SAi1, KEi, Ni: spoil the cookie first */
	CHECK_INT(n_net, 1);
	CHECK_INT(net[0].data[IKE_HDR_LEN], IKE_PL_SA);   /* next after N(COOKIE) */
	net[0].data[IKE_HDR_LEN + 8 + 5] ^= 0x55;
	net_deliver();
	CHECK_INT(cnt(&node_r)->cookies_rejected, 1);
	CHECK_INT(n_sas(&node_r), 0);
	/* R -> I: HDR, N(COOKIE) again; I -> R with the fresh one works */
	net_run();
	CHECK_INT(cnt(&node_r)->cookies_sent, 2);
	CHECK_INT(cnt(&node_r)->cookies_rejected, 1);
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	check_mirror(last_install(&node_i), last_install(&node_r), "with cookies");
	pair_down();

	/* Below the threshold: no cookie. */
	pair_up(&default_setup, NULL, 8);
	establish();
	CHECK_INT(cnt(&node_r)->cookies_sent, 0);
	pair_down();
}

static void t_lost_request(void)
{
	pair_up(&default_setup, NULL, 9);
	ike_connect(node_i.e, 0, node_r.addr);
	/* I -> R: IKE_SA_INIT request, lost */
	net_drop();
	tick_both(500);
	CHECK_INT(n_net, 0);
	tick_both(600);
	/* I -> R: the same request again after 1 s */
	CHECK_INT(cnt(&node_i)->retransmits, 1);
	CHECK_INT(n_net, 1);
	net_deliver();
	net_deliver();
	/* I -> R: IKE_AUTH request, lost; retransmitted after 1 s */
	net_drop();
	tick_both(1000);
	CHECK_INT(cnt(&node_i)->retransmits, 2);
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(count_recs(&node_r, 1), 1);
	pair_down();

	/* Never answered: back-off 1, 2, 4 s, then give up with peer_event down. */
	pair_up(&default_setup, NULL, 10);
	ike_connect(node_i.e, 0, node_r.addr);
	for (int i = 0; i < 20; i++) {
		n_net = 0;
		tick_both(1000);
	}
	CHECK_INT(cnt(&node_i)->retransmits, 3);
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(node_i.downs, 1);
	pair_down();
}

static void t_lost_response(void)
{
	pair_up(&default_setup, NULL, 11);
	ike_connect(node_i.e, 0, node_r.addr);
	/* IKE_SA_INIT; a lost response is answered again from the cache too */
	net_deliver();
	net_drop();
	tick_both(1000);
	CHECK_INT(n_net, 1);
	net_deliver();
	CHECK_INT(cnt(&node_r)->rx_duplicates, 1);
	CHECK_INT(n_sas(&node_r), 1);
	net_deliver();
	/* I -> R: IKE_AUTH; R installs and answers; the answer is lost */
	net_deliver();
	CHECK_INT(count_recs(&node_r, 1), 1);
	net_drop();
	tick_both(1000);
	/* I -> R: IKE_AUTH again; R -> I: the cached answer, nothing redone */
	net_deliver();
	CHECK_INT(cnt(&node_r)->rx_duplicates, 2);
	CHECK_INT(count_recs(&node_r, 1), 1);
	CHECK_INT(cnt(&node_r)->ike_established, 1);
	net_deliver();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	check_mirror(last_install(&node_i), last_install(&node_r), "after lost response");
	/* A CHILD_SA rekey whose answer is lost: I -> R: SK{N(REKEY_SA), SA, Ni, TSi, TSr};
	 * R installs and answers, lost; I retransmits; R answers from its cache,
	 * installing nothing twice. */
	{
		unsigned r_inst = count_recs(&node_r, 1) + count_recs(&node_r, 2);

		ike_child_expiring(node_i.e, 0, node_r.addr, 0);
		net_deliver();
		CHECK_INT(count_recs(&node_r, 1) + count_recs(&node_r, 2), r_inst + 1);
		net_drop();
		tick_both(1000);
		CHECK_INT(net_hdr(0).exchange, IKE_CREATE_CHILD_SA);
		net_deliver();
		CHECK_INT(cnt(&node_r)->rx_duplicates, 3);
		CHECK_INT(count_recs(&node_r, 1) + count_recs(&node_r, 2), r_inst + 1);
		net_run();
		CHECK_INT(cnt(&node_r)->child_rekeyed, 1);
		CHECK_INT(cnt(&node_i)->child_rekeyed, 1);
		check_mirror(last_install(&node_i), last_install(&node_r), "rekey after a lost answer");
		CHECK_INT(live_children(&node_i), 1);
		CHECK_INT(live_children(&node_r), 1);
	}
	pair_down();
}

static void t_msgid_window(void)
{
	struct dgram old_req, old_resp;

	pair_up(&default_setup, NULL, 12);
	establish();
	/* Liveness checks from I: INFORMATIONAL ids 2 and 3 */
	ike_child_expiring(node_i.e, 0, node_r.addr, 0); /* keep R busy answering something real */
	net_run();
	CHECK_INT(cnt(&node_i)->child_rekeyed, 1);
	/* Rekey used ids 2 (CREATE_CHILD_SA) and 3 (Delete). Record the next exchange. */
	ike_child_expiring(node_i.e, 0, node_r.addr, 0);
	/* I -> R: SK{N(REKEY_SA), SA, Ni, TSi, TSr} (id 4) */
	old_req = net[0];
	net_deliver();
	/* R -> I: SK{SA, Nr, TSi, TSr} */
	old_resp = net[0];
	net_run();
	CHECK_INT(cnt(&node_i)->child_rekeyed, 2);
	/* An old request (id 4, now two behind) is out of the window: dropped. */
	net[n_net++] = old_req;
	net_deliver();
	CHECK_INT(cnt(&node_r)->rx_bad_msgid, 1);
	CHECK_INT(n_net, 0);
	/* A response to nothing outstanding: dropped. */
	net[n_net++] = old_resp;
	net_deliver();
	CHECK_INT(cnt(&node_i)->rx_bad_msgid, 1);
	CHECK_INT(n_net, 0);
	CHECK_INT(count_recs(&node_r, 1), 3);
	pair_down();
}

/* A node's address as the other side sees it (through the NAT). */
static uint32_t seen_addr(const struct node *n)
{
	return nat_on && n == nodes[0] ? nat_pub : n->addr;
}

/* Rekey the CHILD_SA from `from`; the other side answers. No gap. */
static void child_rekey(struct node *from, struct node *to)
{
	const struct cfg_sa *old_f = last_install(from), *old_t = last_install(to);
	uint32_t old_in_f = old_f->in.spi, old_in_t = old_t->in.spi;
	int ri_f, ri_t;
	struct ike_hdr_view h;

	unsigned rm_to = count_recs(to, 0);
	uint64_t rk_f = cnt(from)->child_rekeyed, rk_t = cnt(to)->child_rekeyed;

	ike_child_expiring(from->e, 0, seen_addr(to), 0);
	/* from -> to: HDR, SK {N(REKEY_SA), SA, Ni, TSi, TSr} */
	h = net_hdr(0);
	CHECK_INT(h.exchange, IKE_CREATE_CHILD_SA);
	net_deliver();
	/* to -> from: HDR, SK {SA, Nr, TSi, TSr} (to has the new pair's inbound
	 * installed; it keeps sending on the old one) */
	CHECK_INT(count_recs(to, 0), rm_to);
	if (use_inbound)
		check_no_gap("rekey answered");
	net_deliver();
	/* from -> to: HDR, SK {D(ESP, old SPI)} (from installed the new pair first) */
	if (use_inbound)
		check_no_gap("rekey done at the initiator");
	h = net_hdr(0);
	CHECK_INT(h.exchange, IKE_INFORMATIONAL);
	net_deliver();
	/* to -> from: HDR, SK {D(ESP, its old SPI)} (to switched to the new pair first) */
	if (use_inbound)
		check_no_gap("old deleted at the responder");
	net_deliver();
	CHECK_INT(n_net, 0);
	check_no_gap("after the rekey");
	CHECK_INT(live_children(from), 1);
	CHECK_INT(live_children(to), 1);
	check_mirror(from == &node_i ? last_install(from) : last_install(to),
		     from == &node_i ? last_install(to) : last_install(from), "after CHILD_SA rekey");
	CHECK_MSG(last_install(from)->in.spi != old_in_f, "new SPI");
	CHECK(removed(from, old_in_f));
	CHECK(removed(to, old_in_t));
	/* No gap: each side installed its new pair before removing the old. */
	ri_f = rec_index(from, 0, old_in_f);
	ri_t = rec_index(to, 0, old_in_t);
	CHECK(rec_index(from, 1, last_install(from)->in.spi) < ri_f);
	CHECK(rec_index(to, 1, last_install(to)->in.spi) < ri_t);
	CHECK_INT(cnt(from)->child_rekeyed, rk_f + 1);
	CHECK_INT(cnt(to)->child_rekeyed, rk_t + 1);
	CHECK_INT(ike_peer_state(from->e, 0, seen_addr(to)), IKE_PEER_UP);
	CHECK_INT(from->downs + to->downs, 0);
}

static void t_child_rekey(void)
{
	struct setup pfs = {.ike = {"aes128gcm16-prfsha256-x25519"}, .esp = {"aes128-sha256-ecp256"}};

	pair_up(&default_setup, NULL, 13);
	establish();
	child_rekey(&node_i, &node_r);
	pair_down();

	pair_up(&default_setup, NULL, 14);
	establish();
	child_rekey(&node_r, &node_i);
	pair_down();

	/* An env without child_install_inbound: the responder switches at once. */
	use_inbound = 0;
	pair_up(&default_setup, NULL, 17);
	establish();
	child_rekey(&node_r, &node_i);
	child_rekey(&node_i, &node_r);
	pair_down();
	use_inbound = 1;

	/* With PFS (a DH group in the ESP proposal): KE in CREATE_CHILD_SA. */
	pair_up(&pfs, NULL, 15);
	establish();
	CHECK_INT(last_install(&node_i)->alg, ESP_ALG_AES128_CBC_SHA256);
	child_rekey(&node_i, &node_r);
	pair_down();

	/* By time: the child's rekey_time passes. */
	struct setup timed = default_setup;

	timed.child_rekey_time = 100;
	pair_up(&timed, NULL, 16);
	establish();
	for (int i = 0; i < 110 && !cnt(&node_i)->child_rekeyed && !cnt(&node_r)->child_rekeyed; i++) {
		tick_both(1000);
		net_run();
	}
	CHECK_INT(cnt(&node_i)->child_rekeyed, 1);
	check_mirror(last_install(&node_i), last_install(&node_r), "timed rekey");
	CHECK_INT(node_i.downs + node_r.downs, 0);
	pair_down();
}

static void t_child_rekey_collision(void)
{
	for (uint64_t seed = 20; seed < 26; seed++) {
		const struct cfg_sa *a, *b;
		struct ike_sa_info ii, ri;

		pair_up(&default_setup, NULL, seed);
		establish();
		/* Both ends' soft limits at once. */
		ike_child_expiring(node_i.e, 0, node_r.addr, 0);
		ike_child_expiring(node_r.e, 0, node_i.addr, 0);
		/* I -> R: SK{N(REKEY_SA), SA, Ni, TSi, TSr}; R -> I: the same from R */
		CHECK_INT(n_net, 2);
		/* R answers I's, I answers R's; each gets its answer; the lowest
		 * nonce's SA is deleted by its maker, the winner deletes the old. */
		net_run();
		CHECK_INT(cnt(&node_i)->collisions + cnt(&node_r)->collisions, 2);
		CHECK_INT(ike_sa_list(node_i.e, &ii, 1), 1);
		CHECK_INT(ike_sa_list(node_r.e, &ri, 1), 1);
		CHECK_INT(ii.child_spi_in, ri.child_spi_out);
		CHECK_INT(ii.child_spi_out, ri.child_spi_in);
		a = last_install(&node_i);
		b = last_install(&node_r);
		check_mirror(a, b, "collision");
		CHECK_INT(ii.child_spi_in, a->in.spi);
		/* exactly one CHILD_SA left on both sides: all others removed */
		CHECK_INT(live_children(&node_i), 1);
		CHECK_INT(live_children(&node_r), 1);
		check_no_gap("after the collision");
		CHECK_INT(node_i.downs + node_r.downs, 0);
		pair_down();
	}
}

/* A collision whose Deletes are lost for 6 s: the winner must not start
 * sending on the redundant pair the loser has not got. */
static void t_child_collision_late_delete(void)
{
	for (uint64_t seed = 26; seed < 30; seed++) {
		pair_up(&default_setup, NULL, seed);
		establish();
		ike_child_expiring(node_i.e, 0, node_r.addr, 0);
		ike_child_expiring(node_r.e, 0, node_i.addr, 0);
		/* the two CREATE_CHILD_SA requests and their answers */
		for (int k = 0; k < 4 && n_net; k++)
			net_deliver();
		CHECK_INT(cnt(&node_i)->collisions + cnt(&node_r)->collisions, 2);
		/* both Deletes (old by the winner, redundant by the loser) lost, with
		 * their retransmits, for 6 s */
		for (int t = 0; t < 6; t++) {
			n_net = 0;
			tick_both(1000);
			check_no_gap("Deletes late");
		}
		n_net = 0;
		tick_both(1000);
		net_run();
		CHECK_INT(live_children(&node_i), 1);
		CHECK_INT(live_children(&node_r), 1);
		check_mirror(last_install(&node_i), last_install(&node_r), "collision, late Deletes");
		check_no_gap("collision, late Deletes");
		pair_down();
	}
}

static void t_ike_rekey(void)
{
	struct ike_sa_info before, after;

	pair_up(&default_setup, NULL, 30);
	establish();
	ike_sa_list(node_i.e, &before, 1);
	struct setup timed = default_setup;

	pair_down();
	timed.rekey_time = 200;
	pair_up(&timed, &default_setup, 31);
	establish();
	ike_sa_list(node_i.e, &before, 1);
	/* Time passes to the rekey: I -> R: SK{SA(IKE, new SPIi), Ni, KEi}; R -> I: SK{SA, Nr, KEr};
	 * then on the old SA: I -> R: SK{D(IKE)}; R -> I: SK{} */
	for (int i = 0; i < 210 && !cnt(&node_i)->ike_rekeyed && !cnt(&node_r)->ike_rekeyed; i++) {
		tick_both(1000);
		net_run();
	}
	CHECK_INT(cnt(&node_i)->ike_rekeyed + cnt(&node_r)->ike_rekeyed, 2);
	CHECK_INT(ike_sa_list(node_i.e, &after, 1), 1);
	CHECK_INT(n_sas(&node_r), 1);
	CHECK_MSG(after.spi_i != before.spi_i && after.spi_r != before.spi_r, "new SPIs");
	CHECK_STR(after.state, "ESTABLISHED");
	CHECK_INT(after.child_up, 1);
	CHECK_INT(after.child_spi_in, before.child_spi_in);
	CHECK_INT(node_i.downs + node_r.downs, 0);
	CHECK_INT(count_recs(&node_i, 0) + count_recs(&node_r, 0), 0);
	/* The rekeyed SA works: a CHILD_SA rekey over it. */
	child_rekey(&node_r, &node_i);
	/* ...and so does Delete. */
	ike_disconnect(node_i.e, 0, node_r.addr);
	net_run();
	CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
	pair_down();
}

static void t_ike_rekey_collision(void)
{
	for (uint64_t seed = 40; seed < 46; seed++) {
		struct setup timed = default_setup;
		struct ike_sa_info ii, ri;

		timed.rekey_time = 100;
		pair_up(&timed, NULL, seed);
		establish();
		/* Jump past both rekey times at once: both start an IKE SA rekey. */
		now_ms += 101000;
		ike_tick(node_i.e);
		ike_tick(node_r.e);
		CHECK_INT(n_net, 2);
		/* I -> R and R -> I: SK{SA(IKE), Ni, KEi}; answers; the redundant
		 * new SA and the old one are deleted. */
		net_run();
		CHECK_INT(cnt(&node_i)->collisions + cnt(&node_r)->collisions, 2);
		CHECK_INT(ike_sa_list(node_i.e, &ii, 1), 1);
		CHECK_INT(ike_sa_list(node_r.e, &ri, 1), 1);
		CHECK_MSG(ii.spi_i == ri.spi_i && ii.spi_r == ri.spi_r, "the same IKE SA survives");
		CHECK_INT(ii.child_up, 1);
		CHECK_INT(ri.child_up, 1);
		CHECK_INT(node_i.downs + node_r.downs, 0);
		CHECK_INT(count_recs(&node_i, 0) + count_recs(&node_r, 0), 0);
		/* and it carries on: a CHILD_SA rekey through it */
		node_i.n_rec = node_r.n_rec = 0;
		pair_down();
	}
}

/* An IKE SA rekey collision whose Deletes are all lost: each end's leftovers
 * go by themselves; one IKE SA remains, the same at both ends. */
static void t_ike_collision_lost_deletes(void)
{
	for (uint64_t seed = 46; seed < 50; seed++) {
		struct setup timed = default_setup;
		struct ike_sa_info ii, ri;

		timed.rekey_time = 100;
		pair_up(&timed, NULL, seed);
		establish();
		now_ms += 101000;
		ike_tick(node_i.e);
		ike_tick(node_r.e);
		/* the two CREATE_CHILD_SA requests and answers go through */
		for (int k = 0; k < 4 && n_net; k++)
			net_deliver();
		CHECK_INT(cnt(&node_i)->collisions + cnt(&node_r)->collisions, 2);
		/* every INFORMATIONAL lost for 20 s */
		for (int t = 0; t < 20; t++) {
			for (unsigned k = 0; k < n_net;) {
				if (net_hdr(k).exchange == IKE_INFORMATIONAL) {
					memmove(&net[k], &net[k + 1], (n_net - k - 1) * sizeof(net[0]));
					n_net--;
				} else {
					net_deliver_at(k);
				}
			}
			tick_both(1000);
		}
		for (int t = 0; t < 70; t++) {
			tick_both(1000);
			net_run();
		}
		CHECK_INT(ike_sa_list(node_i.e, &ii, 1), 1);
		CHECK_INT(ike_sa_list(node_r.e, &ri, 1), 1);
		CHECK_MSG(ii.spi_i == ri.spi_i && ii.spi_r == ri.spi_r, "the same IKE SA survives");
		CHECK_INT(ii.child_up, 1);
		CHECK_INT(ri.child_up, 1);
		CHECK_INT(node_i.downs + node_r.downs, 0);
		pair_down();
	}
}

static void t_delete(void)
{
	const struct cfg_sa *a;

	pair_up(&default_setup, NULL, 50);
	establish();
	a = last_install(&node_i);
	ike_disconnect(node_i.e, 0, node_r.addr);
	/* I -> R: HDR, SK{D(IKE)} */
	CHECK_INT(net_hdr(0).exchange, IKE_INFORMATIONAL);
	net_deliver();
	/* R -> I: HDR, SK{} */
	CHECK_INT(n_sas(&node_r), 0);
	net_deliver();
	CHECK_INT(n_sas(&node_i), 0);
	CHECK(removed(&node_i, a->in.spi));
	CHECK(removed(&node_r, a->out.spi));
	CHECK_INT(node_i.downs, 1);
	CHECK_INT(node_r.downs, 1);
	CHECK_INT(cnt(&node_i)->ike_deleted, 1);
	CHECK_INT(cnt(&node_r)->ike_deleted, 1);
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_NONE);
	pair_down();

	/* Both ends delete at once: each answers the other's Delete; nothing left. */
	pair_up(&default_setup, NULL, 53);
	establish();
	ike_disconnect(node_i.e, 0, node_r.addr);
	ike_disconnect(node_r.e, 0, node_i.addr);
	CHECK_INT(n_net, 2);
	net_run();
	CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
	CHECK_INT(node_i.downs, 1);
	CHECK_INT(node_r.downs, 1);
	CHECK_INT(live_children(&node_i) + live_children(&node_r), 0);
	pair_down();

	/* The Delete lost for good: the initiator gives up after retransmits. */
	pair_up(&default_setup, NULL, 51);
	establish();
	ike_disconnect(node_r.e, 0, node_i.addr);
	for (int i = 0; i < 20; i++) {
		n_net = 0;
		tick_both(1000);
	}
	CHECK_INT(n_sas(&node_r), 0);
	pair_down();

	/* engine_destroy sends a Delete for what is up. */
	pair_up(&default_setup, NULL, 52);
	establish();
	ike_engine_destroy(node_i.e);
	node_i.e = NULL;
	CHECK_INT(n_net, 1);
	net_deliver();
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(node_r.downs, 1);
	ike_engine_destroy(node_r.e);
	node_r.e = NULL;
}

static void t_dpd(void)
{
	struct setup s = default_setup;

	s.dpd_delay = 10;
	pair_up(&s, NULL, 60);
	establish();
	/* 10 s of silence: I -> R: HDR, SK{} ; R -> I: HDR, SK{} */
	tick_both(10000);
	CHECK_INT(cnt(&node_i)->dpd_sent + cnt(&node_r)->dpd_sent, 2);
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	/* R goes away: I's checks go unanswered; I gives up. */
	tick_both(10000);
	for (int i = 0; i < 30; i++) {
		n_net = 0;
		now_ms += 1000;
		ike_tick(node_i.e);
	}
	CHECK(cnt(&node_i)->dpd_failed >= 1);
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(node_i.downs, 1);
	CHECK(removed(&node_i, last_install(&node_i)->in.spi));
	pair_down();
}

static int unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (h[0] && h[1] && h[0] != ',' && n < cap) {
		unsigned v;

		if (sscanf(h, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return (int)n;
}

/* The i-th comma-separated field of a tshark key line (hex fields bare). */
static const char *keyfield(const char *line, int i)
{
	const char *p = strstr(line, "table: ");

	if (!p)
		return "";
	p += 7;
	for (int k = 0; k < i && p; k++) {
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return p ? p : "";
}

static void t_create_before_auth(void)
{
	uint8_t spi_i[8], spi_r[8], ke[64], ka[64], plain[64], msg[512], iv[16] = {1};
	uint64_t si = 0, sr = 0;
	struct ike_suite suite;
	struct ike_w w, in;
	char err[64];
	int n;

	pair_up(&default_setup, NULL, 70);
	ike_connect(node_i.e, 0, node_r.addr);
	/* I -> R: IKE_SA_INIT; R -> I: IKE_SA_INIT */
	net_deliver();
	net_deliver();
	/* I's IKE_AUTH is held back; with I's keys (from the debug key line)
	 * we send R what I could: I -> R: HDR(id 1, CREATE_CHILD_SA), SK{Ni} */
	n_net = 0;
	CHECK(node_i.keyline[0]);
	CHECK_INT(unhex(keyfield(node_i.keyline, 0), spi_i, 8), 8);
	CHECK_INT(unhex(keyfield(node_i.keyline, 1), spi_r, 8), 8);
	CHECK_INT(unhex(keyfield(node_i.keyline, 2), ke, sizeof(ke)), 20);
	unhex(keyfield(node_i.keyline, 5), ka, sizeof(ka));
	for (int i = 0; i < 8; i++) {
		si = si << 8 | spi_i[i];
		sr = sr << 8 | spi_r[i];
	}
	ike_suite_parse("aes128gcm16-prfsha256-ecp256", 0, &suite, err, sizeof(err));
	ike_w_init(&in, plain, sizeof(plain));
	memset(iv, 7, sizeof(iv));
	ike_w_nonce(&in, iv, 16);
	ike_w_finish(&in);
	ike_w_init(&w, msg, sizeof(msg));
	ike_w_hdr(&w, si, sr, IKE_CREATE_CHILD_SA, IKE_FLAG_INITIATOR, 1);
	n = ike_sk_seal(&w, &suite, ke, ka, in.first, plain, in.len, iv);
	CHECK(n > 0);
	CHECK_INT(n_sas(&node_r), 1);
	ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, msg, (size_t)n);
	/* R -> I: SK{N(INVALID_SYNTAX)}, and R keeps nothing */
	CHECK_INT(cnt(&node_r)->rx_bad_integrity, 0);
	CHECK_INT(n_net, 1);
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(node_r.n_rec, 0);
	/* I cannot start one itself before IKE_AUTH either. */
	n_net = 0;
	ike_child_expiring(node_i.e, 0, node_r.addr, 0);
	CHECK_INT(n_net, 0);
	pair_down();
}

static void t_malformed(void)
{
	uint8_t msg[IKE_MAX_MSG];
	size_t len;

	pair_up(&default_setup, NULL, 80);
	ike_connect(node_i.e, 0, node_r.addr);
	memcpy(msg, net[0].data, net[0].len);
	len = net[0].len;
	n_net = 0;
	/* Truncated: the header says more than the datagram holds. */
	ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, msg, len - 1);
	CHECK_INT(cnt(&node_r)->rx_malformed, 1);
	/* A payload length past the end. */
	{
		uint8_t bad[IKE_MAX_MSG];

		memcpy(bad, msg, len);
		bad[IKE_HDR_LEN + 2] = 0xff;
		ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, bad, len);
		CHECK_INT(cnt(&node_r)->rx_malformed, 2);
		/* Too short for a header. */
		ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, bad, 10);
		CHECK_INT(cnt(&node_r)->rx_malformed, 3);
	}
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(n_net, 0);
	/* An unknown payload with the critical bit, appended to the chain. */
	{
		uint8_t crit[IKE_MAX_MSG];
		struct ike_chain ch;
		struct ike_hdr_view h;
		size_t at = IKE_HDR_LEN;

		memcpy(crit, msg, len);
		ike_hdr_parse(crit, len, &h);
		ike_chain_parse(h.next, crit + IKE_HDR_LEN, len - IKE_HDR_LEN, &ch);
		/* find the last payload's header and chain a new one */
		for (unsigned i = 0; i + 1 < ch.n; i++)
			at += 4 + ch.pl[i].len;
		crit[at] = 200;                 /* next: an unknown type */
		crit[len] = 0;
		crit[len + 1] = 0x80;           /* critical */
		crit[len + 2] = 0;
		crit[len + 3] = 8;
		memset(crit + len + 4, 0, 4);
		len += 8;
		crit[24] = (uint8_t)(len >> 24);
		crit[25] = (uint8_t)(len >> 16);
		crit[26] = (uint8_t)(len >> 8);
		crit[27] = (uint8_t)len;
		ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, crit, len);
		CHECK_INT(cnt(&node_r)->rx_unsupported_critical, 1);
		CHECK_INT(n_sas(&node_r), 0);
		/* R -> I: HDR, N(UNSUPPORTED_CRITICAL_PAYLOAD, 200) */
		CHECK_INT(n_net, 1);
		{
			struct ike_hdr_view rh;
			struct ike_chain rc;
			const struct ike_payload *p;
			struct ike_notify_view nv;

			ike_hdr_parse(net[0].data, net[0].len, &rh);
			ike_chain_parse(rh.next, net[0].data + IKE_HDR_LEN, net[0].len - IKE_HDR_LEN, &rc);
			p = ike_chain_notify(&rc, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
			CHECK(p && !ike_notify_parse(p->body, p->len, &nv) && nv.data_len == 1 &&
			      nv.data[0] == 200);
		}
		n_net = 0;
		len -= 8;
	}
	/* Now the real exchange, then attacks on the established SA. */
	ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, msg, len);
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	ike_child_expiring(node_i.e, 0, node_r.addr, 0);
	memcpy(msg, net[0].data, net[0].len);
	len = net[0].len;
	n_net = 0;
	/* Bad integrity: one bit of the ciphertext. Silently dropped. */
	msg[len - 20] ^= 1;
	ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, msg, len);
	CHECK_INT(cnt(&node_r)->rx_bad_integrity, 1);
	CHECK_INT(n_net, 0);
	msg[len - 20] ^= 1;
	/* Bad SPI: unknown responder SPI. Silence, no state. */
	msg[8] ^= 0xff;
	ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, msg, len);
	CHECK_INT(cnt(&node_r)->rx_bad_spi, 1);
	CHECK_INT(n_net, 0);
	msg[8] ^= 0xff;
	CHECK_INT(n_sas(&node_r), 1);
	CHECK_INT(count_recs(&node_r, 1), 1);
	/* The genuine one still works after all that. */
	ike_input(node_r.e, node_r.addr, 500, node_i.addr, 500, msg, len);
	net_run();
	CHECK_INT(cnt(&node_i)->child_rekeyed, 1);
	/* Garbage to 500 from anywhere. */
	for (int i = 0; i < 200; i++) {
		uint8_t junk[300];

		env_random(&node_i, junk, sizeof(junk));
		junk[17] = 0x20;
		ike_input(node_r.e, node_r.addr, 500, ip("198.51.100.9"), 500, junk,
			  (size_t)(28 + i % 250));
	}
	CHECK_INT(n_sas(&node_r), 1);
	pair_down();
}

/*
 * Open the queued message i (from R when from_r) with the keys a node
 * logged at debug level (aes128gcm16 SAs), and return the first address of
 * its TS payload of type ts_type, host order; 0 if none.
 */
static uint32_t sealed_ts_addr(unsigned i, int from_r, uint8_t ts_type)
{
	struct ike_hdr_view h;
	struct ike_chain outer, inner;
	const struct ike_payload *sk, *tp;
	struct ike_suite suite;
	struct ike_ts_view tv;
	uint8_t key[64], plain[IKE_MAX_MSG];
	size_t plen;
	char err[64];

	ike_suite_parse("aes128gcm16-prfsha256-ecp256", 0, &suite, err, sizeof(err));
	if (i >= n_net || unhex(keyfield(node_r.keyline, from_r ? 3 : 2), key, sizeof(key)) != 20 ||
	    ike_hdr_parse(net[i].data, net[i].len, &h) ||
	    ike_chain_parse(h.next, net[i].data + IKE_HDR_LEN, net[i].len - IKE_HDR_LEN, &outer) ||
	    !(sk = ike_chain_find(&outer, IKE_PL_SK)) ||
	    ike_sk_open(net[i].data, net[i].len, sk, &suite, key, NULL, plain, sizeof(plain), &plen) ||
	    ike_chain_parse(sk->next, plain, plen, &inner) || !(tp = ike_chain_find(&inner, ts_type)) ||
	    ike_ts_parse(tp->body, tp->len, &tv) || !tv.n)
		return 0;
	return tv.ts[0].addr_lo;
}

static void t_nat(void)
{
	struct ike_sa_info ii, ri;
	const struct cfg_sa *a, *b;

	pair_up(&default_setup, NULL, 90);
	nat_on = 1;
	nat_pub = ip("203.0.113.7");
	/* I (192.0.2.1) is behind a NAT that shows it as 203.0.113.7, ports + 30000. */
	ike_connect(node_i.e, 0, node_r.addr);
	/* I -> R: IKE_SA_INIT with N(NAT_D) over 192.0.2.1:500; R -> I: its answer */
	net_deliver();
	net_deliver();
	/* I -> R (from 4500 now): SK{IDi, AUTH, SAi2, TSi(192.0.2.1, its own), TSr(192.0.2.2)} */
	CHECK_INT(net[0].sport, 4500 + NAT_PORT_OFFSET);
	CHECK_INT(sealed_ts_addr(0, 0, IKE_PL_TSI), 0xc0000201);
	net_deliver();
	/* R -> I: SK{IDr, AUTH, SAr2, TSi, TSr}: TSi is what I proposed (RFC
	 * 7296 2.23.1), not the NAT's address, or a tunnel-mode peer refuses */
	CHECK_INT(sealed_ts_addr(0, 1, IKE_PL_TSI), 0xc0000201);
	CHECK_INT(sealed_ts_addr(0, 1, IKE_PL_TSR), 0xc0000202);
	net_deliver();
	CHECK_INT(n_net, 0);
	CHECK_INT(ike_sa_list(node_i.e, &ii, 1), 1);
	CHECK_INT(ike_sa_list(node_r.e, &ri, 1), 1);
	/* the selectors: R's view names I by its own (private) address */
	CHECK_INT(ri.child_ts_remote, node_i.addr);
	CHECK_INT(ri.child_ts_local, node_r.addr);
	CHECK_INT(ii.child_ts_local, node_i.addr);
	CHECK_INT(ii.child_ts_remote, node_r.addr);
	CHECK_INT(ii.nat_local, 1);
	CHECK_INT(ii.nat_remote, 0);
	CHECK_INT(ri.nat_local, 0);
	CHECK_INT(ri.nat_remote, 1);
	/* floated to 4500 */
	CHECK_INT(ii.lport, 4500);
	CHECK_INT(ii.rport, 4500);
	CHECK_INT(ri.lport, 4500);
	CHECK_INT(ri.rport, 4500 + NAT_PORT_OFFSET);
	CHECK(ri.remote == nat_pub);
	a = last_install(&node_i);
	b = last_install(&node_r);
	CHECK(a && a->udp && a->udp_port == 4500);
	CHECK(b && b->udp && b->udp_port == 4500 + NAT_PORT_OFFSET && b->peer == nat_pub);
	if (a && b) {
		CHECK(dir_same(&a->out, &b->in));
		CHECK(dir_same(&a->in, &b->out));
		/* transport mode: no inner header to address */
		CHECK(!a->inner_local && !a->inner_remote && !b->inner_local && !b->inner_remote);
	}
	/* NAT-keepalives from the side behind the NAT, only when quiet. */
	tick_both(IKE_NATT_KEEPALIVE_MS - 1000);
	CHECK_INT(node_i.keepalives, 0);
	tick_both(1000);
	CHECK_INT(node_i.keepalives, 1);
	CHECK_INT(node_i.ka_lport, 4500);
	CHECK_INT(node_i.ka_rport, 4500);
	CHECK_INT(node_r.keepalives, 0);
	tick_both(1000);
	CHECK_INT(node_i.keepalives, 1);
	CHECK(ike_next_timer_ms(node_i.e) <= IKE_NATT_KEEPALIVE_MS - 1000);
	/* (IKE_AUTH's float to 4500 was one: no CHILD_SA then.) */
	CHECK_INT(node_r.rebinds, 1);
	CHECK_INT(node_r.rebind_port, 4500 + NAT_PORT_OFFSET);
	/* The NAT restarts and maps I's port 4500 to another public port: I's
	 * next (authenticated) message moves R's CHILD_SAs there, RFC 7296
	 * 2.23; the ESP binding follows only such a message. */
	nat_offset = NAT_PORT_OFFSET + 1000;
	child_rekey(&node_i, &node_r);
	CHECK_INT(node_r.rebinds, 2);
	CHECK_INT(node_r.rebind_port, 4500 + NAT_PORT_OFFSET + 1000);
	CHECK(node_r.rebind_peer == nat_pub);
	CHECK_INT(node_i.rebinds, 0);
	ike_sa_list(node_r.e, &ri, 1);
	CHECK_INT(ri.rport, 4500 + NAT_PORT_OFFSET + 1000);
	CHECK_INT(last_install(&node_r)->udp_port, 4500 + NAT_PORT_OFFSET + 1000);
	/* The rekey and Delete go through the NAT too. */
	child_rekey(&node_r, &node_i);
	child_rekey(&node_i, &node_r);
	ike_sa_list(node_r.e, &ri, 1);
	ike_sa_list(node_i.e, &ii, 1);
	CHECK_INT(ri.child_ts_remote, node_i.addr);
	CHECK_INT(ii.child_ts_remote, node_r.addr);
	/* R -> I: SK{N(REKEY_SA), SA, Ni, TSi(R), TSr(I's own address, not the NAT's)} */
	ike_child_expiring(node_r.e, 0, nat_pub, 0);
	CHECK_INT(sealed_ts_addr(0, 1, IKE_PL_TSR), 0xc0000201);
	CHECK_INT(sealed_ts_addr(0, 1, IKE_PL_TSI), 0xc0000202);
	net_run();
	CHECK_INT(cnt(&node_r)->child_rekeyed, 4);
	ike_disconnect(node_r.e, 0, nat_pub);
	net_run();
	CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
	pair_down();

	/* encap = yes without NAT: both float and encapsulate. */
	struct setup enc = default_setup;

	enc.encap = 1;
	pair_up(&enc, &default_setup, 91);
	establish();
	CHECK(last_install(&node_i)->udp && last_install(&node_i)->udp_port == 4500);
	CHECK(last_install(&node_r)->udp && last_install(&node_r)->udp_port == 4500);
	pair_down();
}

static void t_tunnel_fallback(void)
{
	struct setup tun = default_setup;

	/* A responder that does tunnel mode only (as strongSwan's
	 * kernel-libipsec): the answer has no USE_TRANSPORT_MODE. */
	tun.mode = CFG_SA_TUNNEL;
	pair_up(&default_setup, &tun, 95);
	establish();
	CHECK_INT(last_install(&node_i)->mode, CFG_SA_TUNNEL);
	CHECK_INT(last_install(&node_r)->mode, CFG_SA_TUNNEL);
	child_rekey(&node_i, &node_r);
	CHECK_INT(last_install(&node_i)->mode, CFG_SA_TUNNEL);
	pair_down();
}

/* Tunnel mode across a NAT in front of I: the inner header carries the
 * selectors (I's own address), the ESP the NAT's; rekeys keep them. */
static void t_nat_tunnel(void)
{
	struct setup tun = default_setup;
	const struct cfg_sa *a, *b;

	tun.mode = CFG_SA_TUNNEL;
	pair_up(&tun, &tun, 97);
	nat_on = 1;
	nat_pub = ip("203.0.113.7");
	ike_connect(node_i.e, 0, node_r.addr);
	net_run();
	for (int round = 0; round < 3; round++) {
		a = last_install(&node_i);
		b = last_install(&node_r);
		CHECK_MSG(a && a->mode == CFG_SA_TUNNEL && a->peer == node_r.addr &&
			  a->inner_local == node_i.addr && a->inner_remote == node_r.addr,
			  "round %d: I's SA inner addresses", round);
		CHECK_MSG(b && b->mode == CFG_SA_TUNNEL && b->peer == nat_pub &&
			  b->inner_local == node_r.addr && b->inner_remote == node_i.addr,
			  "round %d: R's SA: to the NAT, inner I's own address", round);
		/* the inbound-only half of a rekey responder carries them too */
		for (unsigned i = 0; i < node_i.n_rec; i++)
			if (node_i.rec[i].install == 2)
				CHECK(node_i.rec[i].sa.inner_local == node_i.addr);
		for (unsigned i = 0; i < node_r.n_rec; i++)
			if (node_r.rec[i].install == 2)
				CHECK(node_r.rec[i].sa.inner_remote == node_i.addr);
		if (round == 0)
			child_rekey(&node_i, &node_r);
		else if (round == 1)
			child_rekey(&node_r, &node_i);
	}
	CHECK_INT(count_recs(&node_r, 2) + count_recs(&node_i, 2) > 0, 1);
	pair_down();
}

/*
 * Both spokes resolve each other at once: two IKE SAs, each end the
 * initiator of one. IKE_SA_INIT decides nothing (it is unauthenticated);
 * both complete IKE_AUTH, and then both ends drop the same one, the SA
 * holding the lowest of the four nonces (its initiator deletes it), so one
 * IKE SA and one CHILD_SA pair are left, the same on both ends.
 */
static void t_crossed(void)
{
	struct ike_sa_info ii, ri;

	for (int order = 0; order < 64; order++) {
		if ((order & 18) == 16 || (order & 48) == 48)
			continue;
		/* an env that installs pairs whole only, on some rounds */
		use_inbound = !(order & 32);
		pair_up(&default_setup, NULL, 120 + order);
		/* Across a NAT in front of I on some rounds: the ends see
		 * different addresses, and R's packets get in only through what
		 * I's opened. A port-preserving one (as Linux masquerade) lets
		 * R's IKE_SA_INIT from 500 in once I's went out; one that maps
		 * ports never does, so R's attempt stays in IKE_SA_INIT. */
		if (order & 2) {
			nat_on = 1;
			nat_pub = ip("203.0.113.7");
			nat_offset = order & 16 ? NAT_PORT_OFFSET : 0;
		}
		/* I -> R and R -> I: IKE_SA_INIT */
		CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
		CHECK_INT(ike_connect(node_r.e, 0, seen_addr(&node_i)), IKE_PEER_CONNECTING);
		CHECK_INT(n_net, 2);
		if (order & 1) {
			/* R's request first */
			struct dgram d = net[0];

			net[0] = net[1];
			net[1] = d;
		}
		if (order & 4) {
			/* lockstep: each side's messages answered before the next */
			net_run();
		} else {
			/* the last sent first, all the way */
			while (n_net)
				net_deliver_at(n_net - 1);
		}
		/* Across the NAT, R's IKE_AUTH (to 4500) gets in once I's opened
		 * that mapping: its retransmit does. */
		for (int t = 0; t < 5; t++) {
			tick_both(1000);
			net_run();
		}
		CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
		CHECK_INT(ike_peer_state(node_r.e, 0, seen_addr(&node_i)), IKE_PEER_UP);
		if (order & 16) {
			/* R's attempt never got through: I's is the one */
			CHECK_INT(cnt(&node_i)->ike_established, 1);
			CHECK_INT(cnt(&node_i)->ike_duplicates, 0);
		} else if (order & 4) {
			/* both IKE SAs authenticated the peer on both ends: a
			 * duplicate each */
			CHECK_INT(cnt(&node_i)->ike_established, 2);
			CHECK_INT(cnt(&node_r)->ike_established, 2);
			CHECK_INT(cnt(&node_i)->ike_duplicates, 1);
		} else if (!nat_on) {
			/* R's whole exchange went through before I's first
			 * message arrived: I dropped its own attempt, still in
			 * IKE_SA_INIT, once R had authenticated (across the NAT,
			 * R's IKE_AUTH waits for I's to open port 4500) */
			CHECK_MSG(cnt(&node_i)->ike_established == 1 && cnt(&node_i)->ike_duplicates == 0,
				  "round %d: %u established", order, (unsigned)cnt(&node_i)->ike_established);
		}
		/* both ends see the same */
		CHECK_INT(cnt(&node_r)->ike_established, cnt(&node_i)->ike_established);
		CHECK_INT(cnt(&node_r)->ike_duplicates, cnt(&node_i)->ike_duplicates);
		check_no_gap("crossed, both IKE SAs up");
		if (use_inbound) {
			/* (an env without child_install_inbound cannot wait) */
			char what[32];

			snprintf(what, sizeof(what), "crossed %d", order);
			check_inbound_first(&node_i, what);
			check_inbound_first(&node_r, what);
		}

		if ((order & 12) == 12 && cnt(&node_i)->ike_duplicates) {
			/* the redundant SA's Delete and all its retransmits lost
			 * (or a peer that keeps both): its responder deletes it
			 * after a longer wait */
			net_discard = 1;
			for (int t = 0; t < 35; t++)
				tick_both(1000);
			net_discard = 0;
			CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 3);
		}
		for (int t = 0; t < 60; t++) {
			tick_both(1000);
			net_run();
		}
		CHECK_INT(ike_sa_list(node_i.e, &ii, 1), 1);
		CHECK_INT(ike_sa_list(node_r.e, &ri, 1), 1);
		CHECK_STR(ii.state, "ESTABLISHED");
		CHECK_INT(ii.initiator, !ri.initiator);
		CHECK_INT(ii.spi_i, ri.spi_i);
		CHECK_INT(ii.spi_r, ri.spi_r);
		CHECK_INT(live_children(&node_i), 1);
		CHECK_INT(live_children(&node_r), 1);
		CHECK_INT(ii.child_spi_in, ri.child_spi_out);
		CHECK_INT(ii.child_spi_out, ri.child_spi_in);
		check_mirror(last_install(&node_i), last_install(&node_r), "crossed");
		CHECK_INT(last_install(&node_i)->in.spi, ii.child_spi_in);
		CHECK_INT(last_install(&node_r)->in.spi, ri.child_spi_in);
		check_no_gap("crossed, one IKE SA left");
		/* the peer was up all along: told once, never down */
		CHECK_INT(node_i.ups, 1);
		CHECK_INT(node_r.ups, 1);
		CHECK_INT(node_i.downs + node_r.downs, 0);
		/* nothing left to resend */
		tick_both(5000);
		CHECK_INT(n_net, 0);
		/* and the one left rekeys as any */
		child_rekey(&node_i, &node_r);
		check_no_gap("crossed, rekeyed");
		pair_down();
	}
	use_inbound = 1;
}

/*
 * Crossed initiations, and before the redundant IKE SA goes the other one
 * does (as a strongSwan peer deletes its earlier duplicate after 10 s, or
 * its CHILD_SA's keys run out): the redundant one is kept, its CHILD_SA
 * carries the traffic from then on, and the peer never went down.
 */
static void t_crossed_winner_gone(void)
{
	struct ike_sa_info ii[4], ri[4];

	for (int round = 0; round < 4; round++) {
		int side = round & 1;
		struct node *a = side ? &node_r : &node_i, *b = side ? &node_i : &node_r;

		use_inbound = !(round & 2);
		pair_up(&default_setup, NULL, 160 + round);
		CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
		CHECK_INT(ike_connect(node_r.e, 0, node_i.addr), IKE_PEER_CONNECTING);
		net_run();
		CHECK_INT(cnt(&node_i)->ike_duplicates, 1);
		CHECK_INT(cnt(&node_r)->ike_duplicates, 1);
		CHECK_INT(n_sas(&node_i), 2);
		/* a's CHILD_SA, the one carrying traffic, reaches its hard
		 * limit: a deletes that IKE SA (-> b: INFORMATIONAL Delete) */
		tick_both(2000);
		ike_child_expiring(a->e, 0, b->addr, 1);
		net_run();
		CHECK_INT(ike_sa_list(node_i.e, ii, 4), 1);
		CHECK_INT(ike_sa_list(node_r.e, ri, 4), 1);
		CHECK_INT(ii[0].spi_i, ri[0].spi_i);
		CHECK_INT(ii[0].child_up, 1);
		CHECK_INT(ri[0].child_up, 1);
		check_mirror(last_install(&node_i), last_install(&node_r), "the redundant one kept");
		CHECK_INT(last_install(&node_i)->in.spi, ii[0].child_spi_in);
		CHECK_INT(last_install(&node_r)->in.spi, ri[0].child_spi_in);
		check_no_gap("the redundant one kept");
		CHECK_INT(live_children(&node_i), 1);
		CHECK_INT(live_children(&node_r), 1);
		CHECK_INT(node_i.ups + node_r.ups, 2);
		CHECK_INT(node_i.downs + node_r.downs, 0);
		CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
		/* and its timers are those of any IKE SA: nothing deletes it */
		for (int t = 0; t < 60; t++) {
			tick_both(1000);
			net_run();
		}
		CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 2);
		child_rekey(b, a);
		check_no_gap("the redundant one kept, rekeyed");
		if (use_inbound) {
			check_inbound_first(&node_i, "the redundant one kept");
			check_inbound_first(&node_r, "the redundant one kept");
		}
		pair_down();
	}
	use_inbound = 1;
}

/*
 * An IKE_SA_INIT request as anyone can forge it: from `from`'s address to
 * `to`, with SPIi spi_i, never followed by an IKE_AUTH (the forger has no credentials).
 * Made by a throwaway engine at that address; nothing else of it is kept.
 */
static struct dgram forged_init(const struct node *from, const struct node *to, uint64_t spi_i,
				uint64_t seed)
{
	static struct node x;
	struct cfg_ike k;
	struct cfg_ike_secret sec;
	struct ike_env env = env_tmpl;
	struct dgram d;
	unsigned before = n_net;

	memset(&x, 0, sizeof(x));
	x.name = "forger";
	x.addr = from->addr;
	x.rng = seed;
	env.ctx = &x;
	conf_make(&k, &sec, from->addr, &default_setup);
	x.e = ike_engine_create(&env, &k);
	CHECK(x.e != NULL);
	ike_connect(x.e, 0, to->addr);
	CHECK_INT(n_net, before + 1);
	d = net[before];
	n_net = before;
	net_discard = 1;
	ike_engine_destroy(x.e);
	net_discard = 0;
	/* SPIi: the header's first 8 bytes, as the forger chooses (low ones
	 * won the crossed-initiation tie-break the spoke used to apply). */
	for (int i = 0; i < 8; i++)
		d.data[i] = (uint8_t)(spi_i >> (56 - 8 * i));
	return d;
}

static void net_inject(const struct dgram *d)
{
	CHECK(n_net < NET_MAX);
	if (n_net < NET_MAX)
		net[n_net++] = *d;
}

/*
 * A spoke (I) keying its hub (R) while someone forges IKE_SA_INIT requests
 * "from" the hub: each is answered (a half-open SA), but none may stop,
 * replace or delay I's own exchange, nor count as the hub being up or
 * coming up; each times out without effect.
 */
static void t_forged_init(void)
{
	struct dgram f;
	struct ike_sa_info info[8];
	unsigned n;

	for (int when = 0; when < 2; when++) {
		pair_up(&default_setup, NULL, 140 + (uint64_t)when * 7);
		/* I -> R: IKE_SA_INIT (I's own, in flight) */
		CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
		CHECK_INT(n_net, 1);
		if (when) {
			/* R -> I: IKE_SA_INIT answered; I -> R: IKE_AUTH in flight */
			net_deliver();
			net_deliver();
			CHECK_INT(net_hdr(0).exchange, IKE_AUTH);
		}
		/* forger ("R") -> I: IKE_SA_INIT, SPIi 1, before R's next message */
		f = forged_init(&node_r, &node_i, 1, 0x5eed);
		net_inject(&f);
		{
			struct dgram d = net[0];

			net[0] = net[1];
			net[1] = d;
		}
		net_deliver();
		CHECK_INT(n_sas(&node_i), 2);        /* I's own and the forger's half-open one */
		/* the genuine exchange goes on (I's answer to the forger reaches
		 * R, which knows no such SA) */
		net_run();
		CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
		CHECK_INT(node_i.ups, 1);
		CHECK_INT(node_i.downs, 0);
		CHECK_INT(count_recs(&node_i, 1), 1);
		check_mirror(last_install(&node_i), last_install(&node_r), "beside a forged IKE_SA_INIT");
		/* the forger's SA never gets past half-open, and goes by itself */
		now_ms += 31000;
		tick_both(0);
		net_run();
		n = ike_sa_list(node_i.e, info, 8);
		CHECK_INT(n, 1);
		CHECK_INT(info[0].initiator, 1);
		CHECK_STR(info[0].state, "ESTABLISHED");
		CHECK_INT(cnt(&node_i)->half_open_expired, 1);
		CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
		CHECK_INT(node_i.ups, 1);
		CHECK_INT(node_i.downs, 0);
		pair_down();
	}

	/* A forgery every 29 s, the first before I even tried (as NHRP would,
	 * I calls ike_connect whenever it wants the hub): it never keeps I
	 * from keying, and a half-open SA is never "connecting". */
	pair_up(&default_setup, NULL, 141);
	for (int round = 0; round < 4; round++) {
		f = forged_init(&node_r, &node_i, 1 + (uint64_t)round, 0x5eed + (uint64_t)round);
		net_inject(&f);
		net_deliver();              /* forger -> I: IKE_SA_INIT; I answers (to R) */
		net_run();
		if (round == 1) {
			/* I -> R: IKE_SA_INIT: I's own exchange starts at once */
			CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
			net_run();
			CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
			CHECK_INT(node_i.ups, 1);
		} else if (round == 0) {
			CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_NONE);
		}
		now_ms += 29000;
		tick_both(0);
		net_run();
	}
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(node_i.ups, 1);
	CHECK_INT(node_i.downs, 0);
	CHECK_INT(count_recs(&node_i, 0), 0);    /* the CHILD_SA never went */
	CHECK(cnt(&node_i)->half_open_expired >= 3);
	/* the last forgery's half-open SA beside the real one, for now */
	CHECK(n_sas(&node_i) <= 2);
	now_ms += 31000;
	tick_both(0);
	CHECK_INT(n_sas(&node_i), 1);
	pair_down();

	/* Forgeries fill I's table (4 IKE SAs, no cookies): the next one is
	 * refused, so they stay bounded, but I's own attempt pushes the
	 * oldest out. */
	pair_up(&default_setup, NULL, 142);
	{
		struct cfg_ike k;
		struct cfg_ike_secret sec;

		conf_make(&k, &sec, node_i.addr, &default_setup);
		k.max_ike_sas = 4;
		k.cookie_threshold = 100;
		CHECK_INT(ike_engine_reconfigure(node_i.e, &k), 0);
	}
	for (int i = 0; i < 5; i++) {
		f = forged_init(&node_r, &node_i, 100 + (uint64_t)i, 0xf00d + (uint64_t)i);
		net_inject(&f);
		net_deliver();
		n_net = 0;
		now_ms += 10;
	}
	CHECK_INT(n_sas(&node_i), 4);
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_NONE);
	/* I -> R: IKE_SA_INIT, in the place of the oldest forgery */
	CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
	CHECK_INT(cnt(&node_i)->half_open_evicted, 1);
	CHECK_INT(n_sas(&node_i), 4);
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(node_i.ups, 1);
	now_ms += 31000;
	tick_both(0);
	CHECK_INT(n_sas(&node_i), 1);
	CHECK_INT(cnt(&node_i)->half_open_expired, 3);
	pair_down();
}

/* Every message of 40 CHILD_SA rekeys arrives after 8 mangled copies of
 * itself (bit flips, truncations, header bytes): all dropped, nothing
 * changes, the genuine exchanges complete. */
static void t_mutations(void)
{
	unsigned dropped_before;

	pair_up(&default_setup, NULL, 130);
	establish();
	dropped_before = (unsigned)(cnt(&node_r)->rx_bad_integrity + cnt(&node_r)->rx_malformed +
				    cnt(&node_r)->rx_bad_spi + cnt(&node_r)->rx_bad_msgid);
	for (int round = 0; round < 40; round++) {
		struct node *from = round % 2 ? &node_r : &node_i;

		ike_child_expiring(from->e, 0, from == &node_i ? node_r.addr : node_i.addr, 0);
		for (int guard = 0; n_net && guard < 50; guard++) {
			struct dgram g = net[0];

			for (int k = 0; k < 8 && n_net < NET_MAX - 1; k++) {
				uint8_t r[4];

				env_random(&node_i, r, sizeof(r));
				memmove(&net[1], &net[0], n_net * sizeof(net[0]));
				n_net++;
				net[0] = g;
				switch (r[0] % 4) {
				case 0:
					net[0].data[r[1] % g.len] ^= (uint8_t)(1u << (r[2] % 8));
					break;
				case 1:
					net[0].len = (r[1] | r[2] << 8) % g.len;
					break;
				case 2:
					net[0].data[r[1] % IKE_HDR_LEN] ^= (uint8_t)(r[2] | 1);
					break;
				default:
					net[0].data[g.len - 1 - r[1] % 16] ^= (uint8_t)(r[2] | 1);
					break;
				}
				net_deliver_at(0);
			}
			net_deliver();
		}
	}
	CHECK_INT(cnt(&node_i)->child_rekeyed, 40);
	CHECK_INT(cnt(&node_r)->child_rekeyed, 40);
	CHECK_INT(n_sas(&node_i), 1);
	CHECK_INT(n_sas(&node_r), 1);
	CHECK_INT(live_children(&node_i), 1);
	CHECK_INT(live_children(&node_r), 1);
	check_mirror(last_install(&node_i), last_install(&node_r), "after mutations");
	check_no_gap("after mutations");
	CHECK(cnt(&node_r)->rx_bad_integrity + cnt(&node_r)->rx_malformed + cnt(&node_r)->rx_bad_spi +
	      cnt(&node_r)->rx_bad_msgid > dropped_before + 100);
	CHECK_INT(node_i.downs + node_r.downs, 0);
	pair_down();
}

static void t_lifetimes_and_limits(void)
{
	struct setup s = default_setup;
	struct cfg_ike k;
	struct cfg_ike_secret sec;

	/* The dataplane's hard limit: the CHILD_SA is gone, so is the IKE SA. */
	pair_up(&default_setup, NULL, 140);
	establish();
	ike_child_expiring(node_i.e, 0, node_r.addr, 1);
	CHECK(removed(&node_i, last_install(&node_i)->in.spi));
	CHECK_INT(node_i.downs, 1);
	net_run();
	CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
	CHECK_INT(node_r.downs, 1);
	pair_down();

	/* An IKE SA whose rekeys are refused ends at rekey_time + over_time. */
	s.rekey_time = 100;
	pair_up(&s, NULL, 141);
	establish();
	for (int i = 0; i < 130; i++) {
		tick_both(1000);
		/* every CREATE_CHILD_SA lost; the rest goes through */
		while (n_net) {
			if (net_hdr(0).exchange == IKE_CREATE_CHILD_SA)
				net_drop();
			else
				net_deliver();
		}
		if (!n_sas(&node_i) && !n_sas(&node_r))
			break;
	}
	CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
	CHECK_INT(node_i.downs + node_r.downs, 2);
	pair_down();

	/* max_ike_sas: a responder that is full answers TEMPORARY_FAILURE. */
	pair_up(&default_setup, NULL, 142);
	conf_make(&k, &sec, node_r.addr, &default_setup);
	k.max_ike_sas = 1;
	CHECK_INT(ike_engine_reconfigure(node_r.e, &k), 0);
	establish();
	ike_connect(node_r.e, 0, ip("192.0.2.9"));      /* R is full: no second SA */
	CHECK_INT(n_sas(&node_r), 1);
	CHECK_INT(n_net, 0);
	pair_down();

	/* Reconfigure: same connection name keeps the SA; a removed one deletes it. */
	pair_up(&default_setup, NULL, 143);
	establish();
	conf_make(&k, &sec, node_i.addr, &default_setup);
	CHECK_INT(ike_engine_reconfigure(node_i.e, &k), 0);
	CHECK_INT(n_sas(&node_i), 1);
	CHECK_INT(n_net, 0);
	snprintf(k.conns[0].name, sizeof(k.conns[0].name), "other");
	CHECK_INT(ike_engine_reconfigure(node_i.e, &k), 0);
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(node_i.downs, 1);
	/* I -> R: SK{D(IKE)} */
	net_run();
	CHECK_INT(n_sas(&node_r), 0);
	/* A bad certificate path: refused, the old configuration stays. */
	k.conns[0].local.auth = CFG_IKE_AUTH_PUBKEY;
	snprintf(k.conns[0].local.cert, sizeof(k.conns[0].local.cert), "/nonexistent.pem");
	CHECK(ike_engine_reconfigure(node_i.e, &k) < 0);
	CHECK_INT(ike_connect(node_i.e, 0, node_r.addr), IKE_PEER_CONNECTING);
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	pair_down();
}

static void t_rekey_invalid_ke(void)
{
	struct setup si = {.ike = {"aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-x25519"},
			   .esp = {"aes128gcm16-ecp256", "aes128gcm16-x25519"}};
	struct setup sr = {.ike = {"aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-x25519"},
			   .esp = {"aes128gcm16-x25519"}};
	struct ike_sa_info info;
	struct cfg_ike k;
	struct cfg_ike_secret sec;

	pair_up(&si, &sr, 150);
	establish();
	/* I -> R: SK{N(REKEY_SA), SA(ecp256, x25519), Ni, KEi(ecp256), TS};
	 * R -> I: SK{N(INVALID_KE_PAYLOAD, 31)}; I -> R: the same with KEi(x25519); ... */
	ike_child_expiring(node_i.e, 0, node_r.addr, 0);
	net_run();
	CHECK_INT(cnt(&node_r)->invalid_ke_sent, 1);
	CHECK_INT(cnt(&node_i)->child_rekeyed, 1);
	CHECK_INT(live_children(&node_i), 1);
	check_mirror(last_install(&node_i), last_install(&node_r), "PFS after INVALID_KE");
	pair_down();

	/* The IKE SA rekey: R now takes x25519 only; I's KE (ecp256, the
	 * current SA's group) is refused with INVALID_KE_PAYLOAD, I retries. */
	struct setup si2 = si;

	si2.rekey_time = 100;
	pair_up(&si2, &si, 151);
	establish();
	CHECK_INT(ike_sa_list(node_i.e, &info, 1), 1);
	CHECK_STR(info.suite, "aes128gcm16-prfsha256-ecp256");
	conf_make(&k, &sec, node_r.addr, &si);
	k.conns[0].n_ike = 1;
	ike_suite_parse("aes128gcm16-prfsha256-x25519", 0, &k.conns[0].ike[0], (char[64]){0}, 64);
	CHECK_INT(ike_engine_reconfigure(node_r.e, &k), 0);
	/* I -> R: SK{SA(IKE), Ni, KEi(ecp256)}; R -> I: SK{N(INVALID_KE_PAYLOAD, 31)};
	 * I -> R: SK{SA, Ni, KEi(x25519)}; R -> I: SK{SA, Nr, KEr}; Delete of the old SA */
	for (int i = 0; i < 110 && !cnt(&node_i)->ike_rekeyed; i++) {
		tick_both(1000);
		net_run();
	}
	CHECK_INT(cnt(&node_i)->ike_rekeyed, 1);
	CHECK_INT(cnt(&node_r)->invalid_ke_sent, 1);
	CHECK_INT(ike_sa_list(node_i.e, &info, 1), 1);
	CHECK_STR(info.suite, "aes128gcm16-prfsha256-x25519");
	CHECK_INT(info.child_up, 1);
	CHECK_INT(n_sas(&node_r), 1);
	CHECK_INT(node_i.downs + node_r.downs, 0);
	pair_down();
}

static void t_ids_and_esn(void)
{
	struct setup si = default_setup, sr = default_setup;
	struct cfg_ike k;
	struct cfg_ike_secret sec, two[2];
	struct ike_sa_info info;

	/* R holds a PSK for "@spoke1.example" and one for anybody else. */
	memset(two, 0, sizeof(two));
	snprintf(two[0].id, sizeof(two[0].id), "@spoke1.example");
	snprintf(two[0].secret, sizeof(two[0].secret), "spoke1-psk");
	two[0].secret_len = strlen(two[0].secret);
	snprintf(two[1].secret, sizeof(two[1].secret), "group-psk");
	two[1].secret_len = strlen(two[1].secret);
	for (int c = 0; c < 4; c++) {
		static const char *const ids[] = {"@spoke1.example", "@spoke2.example", "@spoke1.example",
						  "@#0102a0ff"};
		static const char *const psks[] = {"spoke1-psk", "group-psk", "group-psk", "group-psk"};
		static const int ok[] = {1, 1, 0, 1};

		si.local_id = ids[c];
		si.psk = psks[c];
		pair_up(&si, &sr, 160 + (uint64_t)c);
		conf_make(&k, &sec, node_r.addr, &sr);
		k.secrets = two;
		k.n_secrets = 2;
		CHECK_INT(ike_engine_reconfigure(node_r.e, &k), 0);
		ike_connect(node_i.e, 0, node_r.addr);
		net_run();
		CHECK_MSG((ike_peer_state(node_i.e, 0, node_r.addr) == IKE_PEER_UP) == ok[c],
			  "id %s with %s", ids[c], psks[c]);
		if (ok[c]) {
			CHECK_INT(ike_sa_list(node_r.e, &info, 1), 1);
			CHECK_STR(info.remote_id, c == 3 ? "@#0102a0ff" : ids[c] + 1);
		} else {
			CHECK_INT(cnt(&node_r)->auth_failed, 1);
		}
		pair_down();
	}

	/* The remote ID is checked when one is configured. */
	si = default_setup;
	sr = default_setup;
	si.local_id = "@spoke9.example";
	sr.remote_id = "@spoke1.example";
	pair_up(&si, &sr, 170);
	ike_connect(node_i.e, 0, node_r.addr);
	net_run();
	CHECK_INT(cnt(&node_r)->auth_failed, 1);
	CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
	pair_down();
	/* ...and the initiator names it in IDr. */
	si = default_setup;
	si.remote_id = "192.0.2.2";
	pair_up(&si, &default_setup, 171);
	establish();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	pair_down();

	/* ESN negotiated: both ask for it. */
	si = default_setup;
	si.esp[0] = "aes128-sha256-esn";
	pair_up(&si, NULL, 172);
	establish();
	CHECK_INT(last_install(&node_i)->esn, 1);
	CHECK_INT(last_install(&node_r)->esn, 1);
	CHECK_INT(last_install(&node_i)->alg, ESP_ALG_AES128_CBC_SHA256);
	pair_down();
}

/* Reordered and late datagrams. */
static void t_reorder(void)
{
	struct setup s = default_setup;

	pair_up(&default_setup, NULL, 180);
	ike_connect(node_i.e, 0, node_r.addr);
	net_deliver();
	net_deliver();
	/* I -> R: IKE_AUTH, and its retransmit before any answer */
	tick_both(1000);
	CHECK_INT(n_net, 2);
	/* R answers the first and, from its cache, the second */
	net_deliver();
	net_deliver();
	CHECK_INT(n_net, 2);
	CHECK_INT(cnt(&node_r)->rx_duplicates, 1);
	/* the answers arrive in reverse order: one is taken, the other is stale */
	{
		struct dgram d = net[0];

		net[0] = net[1];
		net[1] = d;
	}
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(cnt(&node_i)->rx_bad_msgid, 1);
	CHECK_INT(count_recs(&node_i, 1), 1);
	pair_down();

	/* Requests both ways at once (R's liveness check, I's CHILD_SA rekey),
	 * delivered in any order: the two windows are independent. */
	s.dpd_delay = 5;
	for (int order = 0; order < 4; order++) {
		pair_up(&s, &default_setup, 181 + (uint64_t)order);
		establish();
		now_ms += 5000;
		ike_tick(node_i.e);      /* I -> R: SK{} (liveness) */
		ike_child_expiring(node_i.e, 0, node_r.addr, 0);
		ike_child_expiring(node_r.e, 0, node_i.addr, 0);
		/* queued: I's INFORMATIONAL (I's CREATE_CHILD_SA waits behind it) and R's CREATE_CHILD_SA */
		CHECK_INT(n_net, 2);
		if (order & 1) {
			struct dgram d = net[0];

			net[0] = net[1];
			net[1] = d;
		}
		while (n_net) {
			/* the last first on odd-even rounds */
			net_deliver_at(order & 2 ? n_net - 1 : 0);
		}
		CHECK_INT(cnt(&node_i)->dpd_sent, 1);
		CHECK(cnt(&node_r)->child_rekeyed >= 1);
		CHECK_INT(live_children(&node_i), 1);
		CHECK_INT(live_children(&node_r), 1);
		check_mirror(last_install(&node_i), last_install(&node_r), "after crossing requests");
		CHECK_INT(node_i.downs + node_r.downs, 0);
		CHECK_INT(n_sas(&node_i), 1);
		pair_down();
	}
}

/* The API called again from inside env callbacks (peer_event(down) ->
 * ike_connect), as the daemon's NHRP does: no SA freed under the caller. */
static void t_reentry(void)
{
	struct setup s = default_setup;

	/* R deletes the IKE SA; I reconnects from inside peer_event(down). */
	pair_up(&default_setup, NULL, 190);
	establish();
	node_i.reconnect = 1;
	ike_disconnect(node_r.e, 0, node_i.addr);
	net_run();
	CHECK_INT(node_i.downs, 1);
	CHECK_INT(node_i.reconnect_rc, IKE_PEER_CONNECTING);
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK_INT(n_sas(&node_i), 1);
	CHECK_INT(n_sas(&node_r), 1);
	/* Destroying the engine: the callbacks' ike_connect is refused. */
	node_i.reconnect_rc = 0;
	ike_engine_destroy(node_i.e);
	node_i.e = NULL;
	CHECK_INT(node_i.downs, 2);
	pair_down();

	/* DPD gives up; I reconnects from inside the callback, R is gone. */
	s.dpd_delay = 5;
	pair_up(&s, &default_setup, 191);
	establish();
	node_i.reconnect = 1;
	for (int i = 0; i < 50; i++) {
		n_net = 0;
		now_ms += 1000;
		ike_tick(node_i.e);
	}
	/* DPD gave up (down, reconnect), the new attempt gave up too (down,
	 * reconnect again) */
	CHECK(node_i.downs >= 2);
	CHECK_INT(node_i.reconnect_rc, IKE_PEER_CONNECTING);
	CHECK(n_sas(&node_i) <= 1);
	node_i.reconnect = 0;
	pair_down();

	/* A peer restarted: its INITIAL_CONTACT makes R drop the old SA,
	 * and R's callback reconnects while the new IKE_AUTH is handled. */
	pair_up(&default_setup, NULL, 192);
	establish();
	node_r.reconnect = 1;
	ike_engine_destroy(node_i.e);
	n_net = 0;                  /* its Delete lost: R still has the SA */
	{
		struct cfg_ike k;
		struct cfg_ike_secret sec;
		struct ike_env env = env_tmpl;

		env.ctx = &node_i;
		env.child_install_inbound = env_install_inbound;
		conf_make(&k, &sec, node_i.addr, &default_setup);
		node_i.e = ike_engine_create(&env, &k);
	}
	CHECK_INT(n_sas(&node_r), 1);
	now_ms += 1000;             /* a restart takes a while */
	ike_connect(node_i.e, 0, node_r.addr);
	net_run();
	CHECK_INT(ike_peer_state(node_i.e, 0, node_r.addr), IKE_PEER_UP);
	CHECK(n_sas(&node_r) >= 1);
	check_mirror(last_install(&node_i), last_install(&node_r), "after the restart");
	node_r.reconnect = 0;
	pair_down();
}

static void t_half_open(void)
{
	pair_up(&default_setup, NULL, 96);
	ike_connect(node_i.e, 0, node_r.addr);
	net_deliver();
	n_net = 0;
	CHECK_INT(n_sas(&node_r), 1);
	now_ms += 31000;
	ike_tick(node_r.e);
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(cnt(&node_r)->half_open_expired, 1);
	pair_down();
}

static void t_install_fail(void)
{
	pair_up(&default_setup, NULL, 97);
	node_r.install_fail = 1;
	ike_connect(node_i.e, 0, node_r.addr);
	net_run();
	CHECK_INT(n_sas(&node_r), 0);
	CHECK_INT(n_sas(&node_i), 0);
	CHECK_INT(node_i.downs, 1);
	pair_down();
}

/*
 * Certificates made by the openssl CLI at test time: a CA (RSA), leaves
 * for I (192.0.2.1) and R (192.0.2.2) with RSA and P-256 keys, each with
 * its address as subjectAltName; "stranger" comes from another CA.
 */
static const char cert_script[] =
	"set -e\n"
	"q() { \"$@\" >/dev/null 2>&1 || { echo \"failed: $*\" >&2; exit 1; }; }\n"
	"q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 "
	"  -subj '/O=dmvpn test/CN=Engine CA'\n"
	"q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca2.key "
	"  -out ca2.pem -days 30 -subj '/CN=Other CA'\n"
	"leaf() { # name keyopts ca ip\n"
	"  q openssl req -new -newkey $2 -nodes -keyout $1.key -out $1.csr -subj \"/O=dmvpn test/CN=$1\"\n"
	"  echo \"subjectAltName=IP:$4,DNS:$1.example\" > $1.ext\n"
	"  q openssl x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -days 30 "
	"    -extfile $1.ext -out $1.pem\n"
	"}\n"
	"leaf i_rsa rsa:2048 ca 192.0.2.1\n"
	"leaf r_rsa rsa:2048 ca 192.0.2.2\n"
	"leaf i_ec 'ec -pkeyopt ec_paramgen_curve:P-256' ca 192.0.2.1\n"
	"leaf r_ec 'ec -pkeyopt ec_paramgen_curve:P-256' ca 192.0.2.2\n"
	"leaf stranger 'ec -pkeyopt ec_paramgen_curve:P-256' ca2 192.0.2.1\n";

static char cert_dir[64];

static const char *cpath(const char *name, const char *ext)
{
	static char buf[8][128];
	static unsigned i;
	char *b = buf[i++ % 8];

	snprintf(b, 128, "%s/%s.%s", cert_dir, name, ext);
	return b;
}

static void cert_cleanup(void)
{
	char cmd[128];

	if (cert_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cert_dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", cert_dir);
	}
}

static void t_certs(void)
{
	static const struct {
		const char *i, *r, *i_id, *r_id;
	} cases[] = {
		{"i_rsa", "r_rsa", NULL, NULL},              /* RSA, IDs = subject DNs */
		{"i_ec", "r_ec", "192.0.2.1", "192.0.2.2"},  /* ECDSA, IDs = addresses (SAN) */
		{"i_ec", "r_rsa", "i_ec.example", NULL},      /* mixed, an FQDN ID */
	};
	char cmd[4096];
	FILE *f;

	snprintf(cert_dir, sizeof(cert_dir), "/tmp/ike_engine_certs.XXXXXX");
	if (!mkdtemp(cert_dir)) {
		CHECK_MSG(0, "mkdtemp");
		return;
	}
	atexit(cert_cleanup);
	snprintf(cmd, sizeof(cmd), "%s/gen.sh", cert_dir);
	f = fopen(cmd, "w");
	if (!f || fputs(cert_script, f) < 0) {
		CHECK_MSG(0, "cannot write the script");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && sh gen.sh", cert_dir);
	CHECK_MSG(system(cmd) == 0, "the openssl CLI made no certificates");
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct setup si = default_setup, sr = default_setup;
		struct ike_sa_info ii, ri;

		si.cert = cpath(cases[k].i, "pem");
		si.key = cpath(cases[k].i, "key");
		si.ca = sr.ca = cpath("ca", "pem");
		sr.cert = cpath(cases[k].r, "pem");
		sr.key = cpath(cases[k].r, "key");
		si.local_id = cases[k].i_id;
		sr.local_id = cases[k].r_id;
		pair_up(&si, &sr, 100 + k);
		establish();
		CHECK_MSG(ike_peer_state(node_i.e, 0, node_r.addr) == IKE_PEER_UP, "certificates %s/%s",
			  cases[k].i, cases[k].r);
		check_mirror(last_install(&node_i), last_install(&node_r), cases[k].i);
		ike_sa_list(node_i.e, &ii, 1);
		ike_sa_list(node_r.e, &ri, 1);
		CHECK_STR(ii.remote_id, ri.local_id);
		CHECK_STR(ri.remote_id, ii.local_id);
		if (!cases[k].i_id)
			CHECK_MSG(strstr(ri.remote_id, "CN=i_rsa") != NULL, "DN ID: %s", ri.remote_id);
		pair_down();
	}
	/* A certificate from another CA: AUTHENTICATION_FAILED, nothing left. */
	{
		struct setup si = default_setup, sr = default_setup;

		si.cert = cpath("stranger", "pem");
		si.key = cpath("stranger", "key");
		si.ca = sr.ca = cpath("ca", "pem");
		sr.cert = cpath("r_ec", "pem");
		sr.key = cpath("r_ec", "key");
		pair_up(&si, &sr, 110);
		ike_connect(node_i.e, 0, node_r.addr);
		net_run();
		CHECK_INT(cnt(&node_r)->auth_failed, 1);
		CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
		CHECK_INT(node_i.n_rec + node_r.n_rec, 0);
		pair_down();
	}
	/* Claiming an ID the certificate does not hold: refused too. */
	{
		struct setup si = default_setup, sr = default_setup;

		si.cert = cpath("i_ec", "pem");
		si.key = cpath("i_ec", "key");
		si.local_id = "192.0.2.77";
		si.ca = sr.ca = cpath("ca", "pem");
		sr.cert = cpath("r_ec", "pem");
		sr.key = cpath("r_ec", "key");
		pair_up(&si, &sr, 111);
		ike_connect(node_i.e, 0, node_r.addr);
		net_run();
		CHECK_INT(cnt(&node_r)->auth_failed, 1);
		CHECK_INT(n_sas(&node_i) + n_sas(&node_r), 0);
		pair_down();
	}
}

/* ---- benchmark: IKE SA setups per second on one thread ---- */

static double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Deliver everything, adding the time each engine spends to busy[]. */
static void bench_run(double busy[2])
{
	while (n_net) {
		struct node *to = node_of(net[0].dst);
		double t = bench_now();

		net_deliver();
		busy[to == &node_r] += bench_now() - t;
	}
}

/*
 * IKE SA setups per second on one thread: IKE_SA_INIT, IKE_AUTH with PSK,
 * the CHILD_SA installed, then a Delete, both engines in this thread; the
 * time each side spends is measured apart (the responder's is what a hub
 * pays per spoke).
 */
static void bench(const char *ike, int seconds)
{
	struct setup s = {.ike = {ike}, .esp = {"aes128gcm16"}};
	double t0, el, busy[2] = {0, 0}, t;
	unsigned n = 0;

	pair_up(&s, NULL, 1234);
	t0 = bench_now();
	do {
		t = bench_now();
		ike_connect(node_i.e, 0, node_r.addr);
		busy[0] += bench_now() - t;
		bench_run(busy);
		if (ike_peer_state(node_i.e, 0, node_r.addr) != IKE_PEER_UP) {
			fprintf(stderr, "bench: setup failed\n");
			exit(1);
		}
		t = bench_now();
		ike_disconnect(node_i.e, 0, node_r.addr);
		busy[0] += bench_now() - t;
		bench_run(busy);
		node_i.n_rec = node_r.n_rec = 0;
		n++;
		el = bench_now() - t0;
	} while (el < seconds);
	printf("bench %s: %u IKE SA setups + deletes in %.2f s: %.0f/s with both ends in one thread; "
	       "initiator side alone %.0f/s, responder side alone %.0f/s\n",
	       ike, n, el, n / el, n / busy[0], n / busy[1]);
	pair_down();
}

/*
 * A hub: one responder engine, n spokes (engines of their own) bringing up
 * an IKE SA each; the rate per batch shows what a growing SA table costs.
 */
static void bench_hub(const char *ike, unsigned n)
{
	struct setup s = {.ike = {ike}, .esp = {"aes128gcm16"}};
	struct ike_env env = env_tmpl;
	struct cfg_ike k;
	struct cfg_ike_secret sec;
	double t0 = 0, busy[2];
	unsigned batch = n / 4;

	pair_up(&s, NULL, 4321);
	spokes = calloc(n, sizeof(*spokes));
	if (!spokes)
		exit(2);
	conf_make(&k, &sec, 0, &s);
	k.max_ike_sas = 0;
	ike_engine_reconfigure(node_r.e, &k);
	for (unsigned i = 0; i < n; i++) {
		spokes[i].name = "S";
		spokes[i].addr = htonl(0x0a000001 + i);
		spokes[i].rng = i + 77;
		conf_make(&k, &sec, spokes[i].addr, &s);
		env.ctx = &spokes[i];
		spokes[i].e = ike_engine_create(&env, &k);
		if (!spokes[i].e)
			exit(2);
	}
	n_spokes = n;
	for (unsigned i = 0; i < n; i++) {
		if (i % batch == 0) {
			busy[0] = busy[1] = 0;
			t0 = bench_now();
		}
		ike_connect(spokes[i].e, 0, node_r.addr);
		bench_run(busy);
		spokes[i].n_rec = 0;
		if (ike_peer_state(spokes[i].e, 0, node_r.addr) != IKE_PEER_UP) {
			fprintf(stderr, "bench_hub: spoke %u failed\n", i);
			exit(1);
		}
		if (i % batch == batch - 1)
			printf("bench hub %s: SAs %u-%u: %.0f setups/s, hub side alone %.0f/s\n", ike,
			       i + 1 - batch, i + 1, batch / (bench_now() - t0), batch / busy[1]);
		node_r.n_rec = 0;
	}
	net_discard = 1;
	for (unsigned i = 0; i < n; i++)
		ike_engine_destroy(spokes[i].e);
	ike_engine_destroy(node_r.e);
	node_r.e = NULL;
	net_discard = 0;
	n_spokes = 0;
	free(spokes);
	spokes = NULL;
	n_net = 0;
	pair_down();
}

int main(int argc, char **argv)
{
	verbose = getenv("IKE_TEST_VERBOSE") != NULL;
	if (argc > 1 && !strcmp(argv[1], "--bench")) {
		int secs = argc > 2 ? atoi(argv[2]) : 3;

		bench("aes128gcm16-prfsha256-ecp256", secs);
		bench("aes128gcm16-prfsha256-x25519", secs);
		if (argc > 3)
			bench_hub("aes128gcm16-prfsha256-x25519", (unsigned)atoi(argv[3]));
		return 0;
	}
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
		{"establish", t_establish_matrix}, {"establish_prfs", t_establish_prfs}, {"list", t_list}, {"invalid_ke", t_invalid_ke},
		{"no_proposal", t_no_proposal}, {"wrong_psk", t_wrong_psk}, {"cookies", t_cookies},
		{"lost_request", t_lost_request}, {"lost_response", t_lost_response},
		{"msgid_window", t_msgid_window}, {"child_rekey", t_child_rekey},
		{"child_rekey_collision", t_child_rekey_collision}, {"ike_rekey", t_ike_rekey},
		{"ike_rekey_collision", t_ike_rekey_collision}, {"delete", t_delete}, {"dpd", t_dpd},
		{"create_before_auth", t_create_before_auth}, {"malformed", t_malformed}, {"nat", t_nat},
		{"tunnel_fallback", t_tunnel_fallback}, {"nat_tunnel", t_nat_tunnel},
		{"half_open", t_half_open},
		{"install_fail", t_install_fail}, {"certs", t_certs},
		{"crossed", t_crossed}, {"forged_init", t_forged_init},
		{"crossed_winner_gone", t_crossed_winner_gone}, {"mutations", t_mutations},
		{"lifetimes_and_limits", t_lifetimes_and_limits},
		{"rekey_invalid_ke", t_rekey_invalid_ke}, {"ids_and_esn", t_ids_and_esn},
		{"reorder", t_reorder}, {"collision_late_delete", t_child_collision_late_delete},
		{"ike_collision_lost_deletes", t_ike_collision_lost_deletes}, {"reentry", t_reentry},
	};

	/* An argument names the one scenario to run. */
	for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			tests[i].fn();
	return check_done("ike_engine");
}
