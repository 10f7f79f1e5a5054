/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: two IKEv2 engines whose network the input drives (deliver, drop, duplicate, reorder, mangle, inject, time, rekey, connect, delete). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>

#include "control/ike/ike.h"
#include "tests/unit/test_rng.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)
#define NET_MAX 32
#define REC_MAX 64

struct dgram {
	uint32_t src, dst;
	uint16_t sport, dport;
	size_t len;
	uint8_t data[IKE_MAX_MSG];
};

struct node {
	struct ike_engine *e;
	uint32_t addr;
	uint64_t rng;
	uint32_t in[REC_MAX];     /* inbound SPIs installed, not removed */
	unsigned n_in;
};

static struct dgram net[NET_MAX];
static unsigned n_net;
static uint64_t now_ms;
static struct node nodes[2];

static void env_send(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		     const uint8_t *msg, size_t len)
{
	struct dgram *d;

	ASSERT(len <= IKE_MAX_MSG);
	if (n_net == NET_MAX)
		return;
	d = &net[n_net++];
	d->src = local;
	d->sport = lport;
	d->dst = remote;
	d->dport = rport;
	d->len = len;
	memcpy(d->data, msg, len);
}

static int env_install(void *ctx, const struct cfg_sa *sa)
{
	struct node *n = ctx;

	ASSERT(sa->in.spi >= 256 && sa->out.spi >= 256 && sa->alg >= 0);
	for (unsigned i = 0; i < n->n_in; i++)
		if (n->in[i] == sa->in.spi)
			return 0;
	if (n->n_in < REC_MAX)
		n->in[n->n_in++] = sa->in.spi;
	return 0;
}

static void env_remove(void *ctx, unsigned tunnel, uint32_t peer, uint32_t in_spi)
{
	struct node *n = ctx;

	for (unsigned i = 0; i < n->n_in; i++)
		if (n->in[i] == in_spi) {
			n->in[i] = n->in[--n->n_in];
			return;
		}
}

static void env_event(void *ctx, unsigned tunnel, uint32_t peer, int up)
{
}

static uint64_t env_now(void *ctx)
{
	return now_ms;
}

static void env_random(void *ctx, void *buf, size_t len)
{
	struct node *n = ctx;

	test_rng_bytes(&n->rng, buf, len);
}

static void env_log(void *ctx, int debug, const char *line)
{
}

static void env_keepalive(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport)
{
}

static struct cfg_ike_secret secret = {.id = "", .secret = "fuzz", .secret_len = 4};

static void conf_make(struct cfg_ike *k, uint32_t local)
{
	struct cfg_ike_conn *c = &k->conns[0];
	char err[64];

	memset(k, 0, sizeof(*k));
	k->n_conns = 1;
	strcpy(c->name, "fuzz");
	c->local_addr = local;
	ike_suite_parse("aes128gcm16-prfsha256-x25519", 0, &c->ike[c->n_ike++], err, sizeof(err));
	ike_suite_parse("aes128-sha256-ecp256", 0, &c->ike[c->n_ike++], err, sizeof(err));
	ike_suite_parse("aes128gcm16", 1, &c->child.esp[c->child.n_esp++], err, sizeof(err));
	ike_suite_parse("aes128-sha1-x25519", 1, &c->child.esp[c->child.n_esp++], err, sizeof(err));
	c->local.auth = c->remote.auth = CFG_IKE_AUTH_PSK;
	c->rekey_time = 600;
	c->dpd_delay = 30;
	c->child.rekey_time = 300;
	c->child.replay_window = 64;
	k->n_secrets = 1;
	k->secrets = &secret;
	k->cookie_threshold = 1;
	k->retransmit_tries = 3;
	k->retransmit_timeout_ms = 500;
	k->max_ike_sas = 8;
}

static void deliver(unsigned i)
{
	static struct dgram d;

	d = net[i];
	memmove(&net[i], &net[i + 1], (n_net - i - 1) * sizeof(net[0]));
	n_net--;
	for (int k = 0; k < 2; k++)
		if (nodes[k].addr == d.dst)
			ike_input(nodes[k].e, d.dst, d.dport, d.src, d.sport, d.data, d.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_env env = {
		.send = env_send, .child_install = env_install, .child_remove = env_remove,
		.peer_event = env_event, .now_ms = env_now, .random = env_random, .log = env_log,
		.child_install_inbound = env_install, .keepalive = env_keepalive,
	};
	struct cfg_ike k;
	size_t at = 0;

	memset(nodes, 0, sizeof(nodes));
	n_net = 0;
	now_ms = 1000000;
	for (int i = 0; i < 2; i++) {
		nodes[i].addr = htonl(0xc0000201 + (uint32_t)i);
		nodes[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) + size;
		conf_make(&k, nodes[i].addr);
		env.ctx = &nodes[i];
		nodes[i].e = ike_engine_create(&env, &k);
		ASSERT(nodes[i].e);
	}
	ike_connect(nodes[0].e, 0, nodes[1].addr);
	while (at < size) {
		uint8_t op = data[at++];
		uint8_t arg = at < size ? data[at] : 0;
		struct node *n = &nodes[arg & 1];
		struct node *o = &nodes[!(arg & 1)];

		switch (op % 12) {
		case 0:
		case 1:
		case 2:
			if (n_net)
				deliver(0);
			break;
		case 3:
			if (n_net)
				memmove(&net[0], &net[1], --n_net * sizeof(net[0]));
			break;
		case 4:
			if (n_net && n_net < NET_MAX)
				net[n_net++] = net[0];
			break;
		case 5:
			if (n_net > 1) {
				static struct dgram t;

				t = net[0];
				net[0] = net[1];
				net[1] = t;
			}
			break;
		case 6:
			if (n_net && at + 2 < size) {
				net[0].data[(data[at] | data[at + 1] << 8) % net[0].len] ^= data[at + 2] | 1;
				at += 3;
			}
			break;
		case 7:
			now_ms += (uint64_t)arg * 250;
			at++;
			ike_tick(nodes[0].e);
			ike_tick(nodes[1].e);
			break;
		case 8:
			at++;
			ike_child_expiring(n->e, 0, o->addr, arg & 2 ? 1 : 0);
			break;
		case 9:
			at++;
			ike_connect(n->e, 0, o->addr);
			break;
		case 10:
			at++;
			if (arg & 6)
				break;
			ike_disconnect(n->e, 0, o->addr);
			break;
		default: {
			/* Raw bytes from the input, to R's port 500 or 4500. */
			size_t len = arg;

			at++;
			if (len > size - at)
				len = size - at;
			ike_input(nodes[1].e, nodes[1].addr, arg & 1 ? 4500 : 500, nodes[0].addr, 500,
				  data + at, len);
			at += len;
		}
		}
	}
	for (int i = 0; i < 64 && n_net; i++)
		deliver(0);
	for (int i = 0; i < 2; i++) {
		struct ike_sa_info info[8];
		unsigned sas = ike_sa_list(nodes[i].e, info, 8);

		/* Every CHILD_SA in the dataplane belongs to an IKE SA. */
		ASSERT(nodes[i].n_in <= sas * 4);
		ike_next_timer_ms(nodes[i].e);
	}
	ike_engine_destroy(nodes[0].e);
	ike_engine_destroy(nodes[1].e);
	/* destroy removed everything it had installed */
	ASSERT(nodes[0].n_in == 0 && nodes[1].n_in == 0);
	return 0;
}
