/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKEv2 engine in dmvpnd: UDP 500/4500 on the WAN ports, CHILD_SAs into the ESP dataplane, NHRP told. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "control/app.h"
#include "control/core/core.h"
#include "control/ipsec/ike_glue.h"
#include "control/peer_events.h"
#include "lib/base/addr.h"
#include "lib/wire/ike_udp.h"
#include "lib/wire/ike_wire.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/proto.h"

#define HOLD_MAX_MS 30000        /* an NHRP message waits this long for its SA */
#define GRACE_MS 30000           /* an unused peer's IKE SA outlives its NHRP entry this long */
#define HELD_MAX 64              /* NHRP messages waiting for SAs, all peers together */
#define GRACE_MAX 1024

struct ike_held {                /* an NHRP message waiting for its peer's SA */
	uint8_t tunnel;
	uint32_t peer;
	uint64_t since_ms;
	struct rte_mbuf *m;
};

struct ike_grace {               /* a peer NHRP stopped using: its IKE SA goes at at_ms */
	uint8_t tunnel;
	uint32_t peer;
	uint64_t at_ms;
};

struct ike_glue {
	struct ike_env env;
	struct ike_reasm reasm;
	uint16_t ip_id;
	unsigned n_held, n_grace;
	struct ike_held held[HELD_MAX];
	struct ike_grace grace[GRACE_MAX];
	struct ike_glue_counters cnt;
};

/* ---- the engine's environment ---- */

static uint16_t port_mtu(const struct app *a, uint32_t local)
{
	for (unsigned i = 0; i < a->cfg.n_ports; i++)
		if (a->cfg.ports[i].addr == local)
			return a->cfg.ports[i].mtu;
	return 1500;
}

/* One IPv4 packet (or fragment) of the datagram dgram[off..off+n) into the dataplane. */
static int send_fragment(struct app *a, uint32_t src, uint32_t dst, uint16_t id,
			 const uint8_t *dgram, size_t off, size_t n, int more)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(a->dp.pool);
	struct ipv4_hdr *ih;

	ih = m ? (struct ipv4_hdr *)rte_pktmbuf_append(m, (uint16_t)(IPV4_HLEN + n)) : NULL;
	if (!ih) {
		rte_pktmbuf_free(m);
		a->cnt.alloc_failed++;
		return -ENOMEM;
	}
	memcpy(ih + 1, dgram + off, n);
	ipv4_build(ih, src, dst, IPPROTO_UDP_, 64, (uint16_t)(IPV4_HLEN + n), id,
		   (uint16_t)((more ? IPV4_MF : 0) | (off / 8)));
	return app_inject(a, m, INJECT_L3, 0);
}

/* msg in a UDP datagram from local:lport to remote:rport, after the
 * non-ESP marker when asked, into the dataplane. */
static void udp_send(struct app *a, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		     int marker, const uint8_t *msg, size_t len)
{
	uint8_t dgram[IKE_REASM_MAX];
	size_t mtu = port_mtu(a, local), chunk, off;
	uint16_t id = a->ikg->ip_id++;
	int ulen = ike_udp_build(local, lport, remote, rport, marker, msg, len, dgram, sizeof(dgram));

	if (ulen < 0) {
		a->ikg->cnt.send_failed++;
		return;
	}
	/* IKE_AUTH with certificates can outgrow the WAN MTU (and an mbuf):
	 * IP fragments, as strongSwan sends without RFC 7383 fragmentation. */
	chunk = (RTE_MIN(mtu, (size_t)RTE_MBUF_DEFAULT_DATAROOM) - IPV4_HLEN) & ~(size_t)7;
	for (off = 0; off < (size_t)ulen; off += chunk) {
		size_t n = RTE_MIN(chunk, (size_t)ulen - off);

		if (send_fragment(a, local, remote, id, dgram, off, n, off + n < (size_t)ulen)) {
			a->ikg->cnt.send_failed++;
			return;
		}
	}
}

static void env_send(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		     const uint8_t *msg, size_t len)
{
	udp_send(ctx, local, lport, remote, rport, lport == IKE_NATT_PORT || rport == IKE_NATT_PORT,
		 msg, len);
}

/* RFC 3948 2.3: one 0xFF byte keeps the NAT's mapping of our 4500 open. */
static void env_keepalive(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport)
{
	static const uint8_t ff = 0xff;

	udp_send(ctx, local, lport, remote, rport, 0, &ff, 1);
}

static int env_child_install(void *ctx, const struct cfg_sa *sa)
{
	return ipsec_sa_install_ike(ctx, sa);
}

static int env_child_install_inbound(void *ctx, const struct cfg_sa *sa)
{
	return ipsec_sa_install_inbound_ike(ctx, sa);
}

static void env_child_rebind(void *ctx, unsigned tunnel, uint32_t peer, uint16_t rport)
{
	ipsec_sa_rebind_ike(ctx, tunnel, peer, rport);
}

static void env_child_remove(void *ctx, unsigned tunnel, uint32_t peer, uint32_t in_spi)
{
	ipsec_sa_remove_ike(ctx, tunnel, peer, in_spi);
}

/* ---- NHRP messages waiting for their peer's SA ---- */

static void hold_release(struct app *a, unsigned t, uint32_t peer, int send)
{
	for (unsigned i = 0; i < a->ikg->n_held;) {
		struct ike_held *h = &a->ikg->held[i];

		if (h->tunnel != t || h->peer != peer) {
			i++;
			continue;
		}
		if (send) {
			a->ikg->cnt.nhrp_held_sent++;
			app_inject(a, h->m, INJECT_NHRP, (uint8_t)t);
		} else {
			a->ikg->cnt.nhrp_held_dropped++;
			rte_pktmbuf_free(h->m);
		}
		/* Keep the order of what is left: messages leave as they came. */
		memmove(h, h + 1, sizeof(*h) * (a->ikg->n_held - i - 1));
		a->ikg->n_held--;
	}
}

static void env_peer_event(void *ctx, unsigned tunnel, uint32_t peer, int up)
{
	struct app *a = ctx;
	char s[ADDR_STRLEN];

	LOG(a, "IKE: peer %s on %s %s", addr_fmt(peer, s), state_ifname(a, DP_IF_TUNNEL(tunnel)),
	    up ? "protected" : "down");
	hold_release(a, tunnel, peer, up);
	if (a->peer_listener)
		a->peer_listener->sa_event(a, tunnel, peer, up);
}

static uint64_t env_now_ms(void *ctx)
{
	return app_now_ms();
}

static void env_random(void *ctx, void *buf, size_t len)
{
	app_random(ctx, buf, len);
}

static void env_log(void *ctx, int debug, const char *line)
{
	app_log(ctx, debug, "%s", line); /* the engine says "ike: " itself */
}

/* ---- the daemon's side ---- */

int ike_glue_apply(struct app *a, const struct dmvpn_config *cfg, char *err, size_t errlen)
{
	int rc;

	if (!cfg->ike.n_conns) {
		/* Deletes to the peers; their SAs leave the dataplane. */
		ike_glue_fini(a);
		return 0;
	}
	if (a->ike) {
		rc = ike_engine_reconfigure(a->ike, &cfg->ike);
		if (rc)
			snprintf(err, errlen, "%s: IKEv2 refused the ike section: %s", cfg->file,
				 strerror(-rc));
		return rc;
	}
	if (!a->ikg && !(a->ikg = calloc(1, sizeof(*a->ikg))))
		goto nomem;
	a->ikg->env = (struct ike_env){
		.ctx = a,
		.send = env_send,
		.child_install = env_child_install,
		.child_install_inbound = env_child_install_inbound,
		.child_remove = env_child_remove,
		.peer_event = env_peer_event,
		.now_ms = env_now_ms,
		.random = env_random,
		.log = env_log,
		.keepalive = env_keepalive,
		.child_rebind = env_child_rebind,
	};
	a->ike = ike_engine_create(&a->ikg->env, &cfg->ike);
	if (a->ike)
		return 0;
nomem:
	snprintf(err, errlen, "%s: cannot start IKEv2: out of memory", cfg->file);
	return -ENOMEM;
}

void ike_glue_fini(struct app *a)
{
	if (a->ike)
		ike_engine_destroy(a->ike);
	a->ike = NULL;
	if (!a->ikg)
		return;
	for (unsigned i = 0; i < a->ikg->n_held; i++)
		rte_pktmbuf_free(a->ikg->held[i].m);
	free(a->ikg);
	a->ikg = NULL;
}

const struct ike_glue_counters *ike_glue_counters(const struct app *a)
{
	static const struct ike_glue_counters none;

	return a->ikg ? &a->ikg->cnt : &none;
}

int ike_glue_state(const struct app *a, unsigned t, uint32_t peer)
{
	return a->ike ? ike_peer_state(a->ike, t, peer) : IKE_PEER_NONE;
}

const struct cfg_ike_conn *ike_glue_conn(const struct app *a, unsigned t)
{
	for (unsigned i = 0; a->ike && i < a->cfg.ike.n_conns; i++)
		if (a->cfg.ike.conns[i].tunnel == t)
			return &a->cfg.ike.conns[i];
	return NULL;
}

int ike_glue_wanted(const struct app *a, unsigned t, uint32_t peer)
{
	return peer && ike_glue_conn(a, t) && !ipsec_sa_is_static(a, t, peer);
}

int ike_glue_connect(struct app *a, unsigned t, uint32_t peer)
{
	if (!ike_glue_wanted(a, t, peer))
		return IKE_PEER_UP; /* nothing to wait for: static keys or no protection by IKE */
	/* Wanted again: no teardown pending. */
	for (unsigned i = 0; i < a->ikg->n_grace; i++)
		if (a->ikg->grace[i].tunnel == t && a->ikg->grace[i].peer == peer)
			a->ikg->grace[i--] = a->ikg->grace[--a->ikg->n_grace];
	/* Up needs no engine call: NHRP calls this from the engine's own
	 * peer_event callback. */
	if (ike_peer_state(a->ike, t, peer) == IKE_PEER_UP)
		return IKE_PEER_UP;
	return ike_connect(a->ike, t, peer);
}

int ike_glue_hold(struct app *a, unsigned t, uint32_t peer, struct rte_mbuf *m)
{
	struct ike_held *h;
	int st;

	if (!ike_glue_wanted(a, t, peer))
		return 0;
	st = ike_glue_connect(a, t, peer);
	if (st == IKE_PEER_UP || st < 0)
		return 0; /* up, or never will be: the dataplane decides (and counts) */
	if (a->ikg->n_held == HELD_MAX) {
		a->ikg->cnt.nhrp_held_dropped++;
		rte_pktmbuf_free(m);
		return 1;
	}
	h = &a->ikg->held[a->ikg->n_held++];
	h->tunnel = (uint8_t)t;
	h->peer = peer;
	h->m = m;
	h->since_ms = app_now_ms();
	a->ikg->cnt.nhrp_held++;
	return 1;
}

void ike_glue_unused(struct app *a, unsigned t, uint32_t peer)
{
	if (!ike_glue_wanted(a, t, peer))
		return;
	for (unsigned i = 0; i < a->ikg->n_grace; i++)
		if (a->ikg->grace[i].tunnel == t && a->ikg->grace[i].peer == peer)
			return;
	/* Out of slots, the SA stays until DPD or its peer ends it (this may
	 * run inside an engine callback: no engine call here). */
	if (a->ikg->n_grace == GRACE_MAX)
		return;
	a->ikg->grace[a->ikg->n_grace].tunnel = (uint8_t)t;
	a->ikg->grace[a->ikg->n_grace].peer = peer;
	a->ikg->grace[a->ikg->n_grace].at_ms = app_now_ms() + GRACE_MS;
	a->ikg->n_grace++;
}

void ike_glue_tick(struct app *a)
{
	uint64_t now = app_now_ms();

	if (!a->ike)
		return;
	ike_tick(a->ike);
	for (unsigned i = 0; i < a->ikg->n_held;) {
		struct ike_held *h = &a->ikg->held[i];

		if (now - h->since_ms < HOLD_MAX_MS) {
			i++;
			continue;
		}
		a->ikg->cnt.nhrp_held_dropped++;
		rte_pktmbuf_free(h->m);
		memmove(h, h + 1, sizeof(*h) * (a->ikg->n_held - i - 1));
		a->ikg->n_held--;
	}
	for (unsigned i = 0; i < a->ikg->n_grace;) {
		struct ike_grace *g = &a->ikg->grace[i];
		char s[ADDR_STRLEN];

		if (now < g->at_ms) {
			i++;
			continue;
		}
		/* Used again meanwhile (a new mapping, or our NHS): keep it. */
		if (!a->peer_listener || !a->peer_listener->in_use(a, g->tunnel, g->peer)) {
			DBG(a, "IKE: %s unused for %u s: deleting its IKE SA", addr_fmt(g->peer, s),
			    GRACE_MS / 1000);
			a->ikg->cnt.unused_deleted++;
			ike_disconnect(a->ike, g->tunnel, g->peer);
		}
		*g = a->ikg->grace[--a->ikg->n_grace];
	}
}

/* A whole UDP datagram u[0..len) from src to dst: the engine's when it is IKE. */
static void ike_udp(struct app *a, uint32_t src, uint32_t dst, const uint8_t *u, size_t len)
{
	struct ike_udp_msg m;

	switch (ike_udp_parse(src, dst, u, len, &m)) {
	case IKE_UDP_OK:
		ike_input(a->ike, dst, m.dport, src, m.sport, m.msg, m.len);
		break;
	case IKE_UDP_BAD_CHECKSUM:
		a->ikg->cnt.udp_bad_checksum++;
		break;
	case IKE_UDP_NOT_IKE:
		a->cnt.udp_local_unhandled++;
		break;
	default:
		a->ikg->cnt.udp_malformed++;
		break;
	}
}

/*
 * A local UDP datagram: IKE on 500, or on 4500 after the non-ESP marker
 * (the worker keeps ESP in UDP and keepalives). Returns 1 when it was
 * IKE's (m consumed), 0 to leave it to the caller. IKE_AUTH with an RSA
 * certificate outgrows a 1500-byte path, and a peer without RFC 7383
 * sends it as IP fragments: they are put back together here.
 */
int ike_glue_input(struct app *a, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct ipv4_hdr *ih = (const void *)p;
	size_t len = rte_pktmbuf_data_len(m), hl, dlen;
	const uint8_t *dgram;
	uint64_t dropped;
	uint16_t tlen;
	int rc;

	if (!a->ike || len < IPV4_HLEN)
		return 0;
	hl = (size_t)(ih->ver_ihl & 0xf) * 4;
	tlen = rte_be_to_cpu_16(ih->total_len);
	if (hl < IPV4_HLEN || tlen < hl + 4 || tlen > len)
		return 0;
	if (!(ih->frag & rte_cpu_to_be_16(IPV4_MF | IPV4_OFFMASK))) {
		if ((p[hl + 2] << 8 | p[hl + 3]) != IKE_PORT && (p[hl + 2] << 8 | p[hl + 3]) != IKE_NATT_PORT)
			return 0;
		ike_udp(a, ih->src, ih->dst, p + hl, tlen - hl);
		rte_pktmbuf_free(m);
		return 1;
	}
	dropped = a->ikg->reasm.dropped;
	rc = ike_reasm_add(&a->ikg->reasm, app_now_ms(), ih->src, ih->dst, ih->id,
			   rte_be_to_cpu_16(ih->frag), p + hl, tlen - hl, &dgram, &dlen);
	a->ikg->cnt.fragments_dropped += a->ikg->reasm.dropped - dropped;
	if (rc == IKE_REASM_NOT_IKE && !(ih->frag & rte_cpu_to_be_16(IPV4_OFFMASK)))
		return 0; /* a first fragment to another port */
	if (rc == IKE_REASM_DONE) {
		a->ikg->cnt.fragments_reassembled++;
		ike_udp(a, ih->src, ih->dst, dgram, dlen);
	} else if (rc == IKE_REASM_NOT_IKE) {
		a->cnt.udp_local_unhandled++;
	}
	rte_pktmbuf_free(m);
	return 1;
}
