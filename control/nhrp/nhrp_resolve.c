/* SPDX-License-Identifier: BSD-3-Clause */
/* NHRP resolution (phase 2), redirects and shortcuts (phase 3), and purges. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "control/app.h"
#include "control/core/core.h"
#include "lib/base/addr.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/proto.h"

#define INCOMPLETE_LIFE_S 15     /* via the NHS while resolving */
#define NEGATIVE_LIFE_S 30       /* via the NHS after a refusal */
#define RESOLVE_TRIES 3
#define REDIRECT_INTERVAL_MS 2000

static struct nhrp_pending *pending_find(struct app *a, unsigned t, uint32_t target)
{
	for (unsigned i = 0; i < a->nh.n_pending; i++)
		if (a->nh.pending[i].tunnel == t && a->nh.pending[i].target == target)
			return &a->nh.pending[i];
	return NULL;
}

static void pending_del(struct app *a, struct nhrp_pending *p)
{
	*p = a->nh.pending[--a->nh.n_pending];
}

static void send_request(struct app *a, struct nhrp_pending *p)
{
	const struct nhs_state *h = nhrp_nhs_preferred(a, p->tunnel);
	const struct cfg_tunnel *ct = &a->cfg.tunnels[p->tunnel];
	struct nhrp_cie c = {.mtu = ct->mtu, .holdtime = (uint16_t)ct->holdtime};
	uint8_t buf[512];
	struct nhrp_buf b;

	if (!h) {
		a->nh.cnt.no_server++;
		return;
	}
	/* Retries keep the ID: a late answer to the first try still counts. */
	if (!p->reqid)
		p->reqid = nhrp_next_reqid(a);
	nhrp_build_init(&b, buf, sizeof(buf), NHRP_RESOLUTION_REQUEST, 255,
			NHRP_RES_F_Q | NHRP_RES_F_A | NHRP_RES_F_S, p->reqid,
			nhrp_our_nbma(a, p->tunnel), ct->addr, p->target);
	nhrp_put_cie(&b, &c);
	nhrp_put_request_exts(a, p->tunnel, &b, 1);
	nhrp_send(a, p->tunnel, h->nbma, &b);
}

static void resolve_start(struct app *a, unsigned t, uint32_t target, int shortcut)
{
	struct nhrp_pending *p = pending_find(a, t, target);

	if (p) {
		p->shortcut |= (uint8_t)shortcut;
		return;
	}
	if (a->nh.n_pending == NHRP_MAX_PENDING) {
		a->nh.cnt.rate_limited++;
		return;
	}
	p = &a->nh.pending[a->nh.n_pending++];
	memset(p, 0, sizeof(*p));
	p->tunnel = (uint8_t)t;
	p->target = target;
	p->shortcut = (uint8_t)shortcut;
	p->tries = 1;
	p->next_ms = app_now_ms() + 1000;
	send_request(a, p);
}

void nhrp_resolve_tick(struct app *a)
{
	uint64_t now = app_now_ms();

	for (unsigned i = 0; i < a->nh.n_pending;) {
		struct nhrp_pending *p = &a->nh.pending[i];

		if (now < p->next_ms) {
			i++;
			continue;
		}
		if (p->tries >= RESOLVE_TRIES) {
			/* Traffic keeps going via the NHS; the next miss retries. */
			pending_del(a, p);
			continue;
		}
		p->next_ms = now + (1000ull << p->tries);
		p->tries++;
		send_request(a, p);
		i++;
	}
}

void nhrp_resolve_miss(struct app *a, struct rte_mbuf *m)
{
	struct pkt_meta *pm = pkt_meta(m);
	unsigned t = pm->out_if;
	const struct nhs_state *h;
	struct nhrp_entry *e;

	if (t >= a->cfg.n_tunnels)
		goto drop;
	e = nhrp_cache_find(a, t, pm->aux, 0);
	if (!e) {
		h = nhrp_nhs_preferred(a, t);
		if (!h || !(e = nhrp_cache_get(a, t, pm->aux, 0))) {
			a->nh.cnt.no_server++;
			goto drop;
		}
		/* Until the reply, the NHS carries the traffic: nothing is lost. */
		e->type = NE_INCOMPLETE;
		e->nbma = h->nbma;
		e->expires = time(NULL) + INCOMPLETE_LIFE_S;
		if (nhrp_cache_publish(a, e))
			goto drop;
		resolve_start(a, t, pm->aux, 0);
	}
	app_inject(a, m, INJECT_L3, 0);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Our egress prefix for addr: the route that leaves by a LAN port, or our
 * own tunnel address; 0 when addr is not behind us. */
static int egress_plen(const struct app *a, unsigned t, uint32_t addr, uint8_t *plen)
{
	const struct route_entry *r;

	if (addr == a->cfg.tunnels[t].addr) {
		*plen = 32;
		return 1;
	}
	r = state_route_match(a, addr);
	if (!r || r->kind == RT_DEFAULT || r->kind == RT_BROADCAST)
		return 0;
	if (r->nh.kind == NH_LOCAL && !DP_IF_IS_TUNNEL(r->nh.ifidx)) {
		*plen = 32;
		return 1;
	}
	/* Never offer the underlay: a route out of a tunnel source port. */
	for (unsigned i = 0; i < a->cfg.n_tunnels; i++)
		if (r->nh.kind == NH_PORT && r->nh.ifidx == a->cfg.tunnels[i].source)
			return 0;
	if (r->nh.kind != NH_PORT)
		return 0;
	*plen = r->plen;
	return 1;
}

/* Our NBMA address as the NHS saw it, when that differs (we are behind NAT). */
static uint32_t our_public_nbma(const struct app *a, unsigned t)
{
	const struct nhs_state *h = nhrp_nhs_preferred(a, t);

	return h && h->public_nbma && h->public_nbma != nhrp_our_nbma(a, t) ? h->public_nbma : 0;
}

/* A NAT extension naming where proto is really reached. */
static void put_nat_ext(struct app *a, unsigned t, const struct nhrp_ext *x, struct nhrp_buf *b,
			uint32_t proto, uint32_t nbma)
{
	struct nhrp_cie c;

	nhrp_own_cie(a, t, &c);
	c.proto = proto;
	c.nbma = nbma;
	nhrp_ext_begin(b, x->type, x->compulsory);
	nhrp_put_cie(b, &c);
	nhrp_ext_end(b);
}

static int reply_ext(struct app *a, unsigned t, const struct nhrp_ext *x, struct nhrp_buf *b,
		     void *arg)
{
	uint32_t pub;
	struct nhrp_cie c;

	if (x->type == NHRP_EXT_NAT_ADDRESS && (pub = our_public_nbma(a, t))) {
		/* The CIE keeps the address we claim; this says where we are reachable. */
		put_nat_ext(a, t, x, b, a->cfg.tunnels[t].addr, pub);
		return 1;
	}
	if (x->type != NHRP_EXT_RESPONDER)
		return 0;
	nhrp_own_cie(a, t, &c);
	nhrp_ext_begin(b, x->type, x->compulsory);
	nhrp_put_cie(b, &c);
	nhrp_ext_end(b);
	return 1;
}

static void send_reply(struct app *a, unsigned t, const uint8_t *pkt, const struct nhrp_msg *m,
		       uint32_t to, uint8_t code, uint8_t plen)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	struct nhrp_cie c = {.code = code, .prefix_len = plen, .mtu = ct->mtu,
			     .holdtime = (uint16_t)ct->holdtime, .proto_len = 4,
			     .proto = m->dst_proto};
	uint16_t flags = m->flags;
	uint8_t buf[1500];
	struct nhrp_buf b;

	if (code == NHRP_CIE_SUCCESS) {
		/* We own the destination: authoritative and stable. */
		flags |= NHRP_RES_F_A | NHRP_RES_F_D;
		c.nbma_len = 4;
		c.nbma = nhrp_our_nbma(a, t);
	} else {
		flags &= (uint16_t)~NHRP_RES_F_A;
	}
	nhrp_build_init(&b, buf, sizeof(buf), NHRP_RESOLUTION_REPLY, 255, flags, m->reqid,
			m->src_nbma, m->src_proto, m->dst_proto);
	nhrp_put_cie(&b, &c);
	nhrp_copy_exts(a, t, pkt, m, &b, reply_ext, NULL);
	nhrp_send(a, t, to, &b);
}

struct fwd_ctx {
	uint32_t src_proto;
	uint32_t real_nbma;      /* requester's NBMA as we see it, if NATed; else 0 */
};

static int fwd_ext(struct app *a, unsigned t, const struct nhrp_ext *x, struct nhrp_buf *b,
		   void *arg)
{
	const struct fwd_ctx *f = arg;
	struct nhrp_cie c;

	if (x->type == NHRP_EXT_NAT_ADDRESS && f->real_nbma) {
		/* Tell the owner where the requester is really reached. */
		put_nat_ext(a, t, x, b, f->src_proto, f->real_nbma);
		return 1;
	}
	if (x->type != NHRP_EXT_FWD_TRANSIT)
		return 0;
	/* Append ourselves to the forward transit record (RFC 2332 5.3.2). */
	nhrp_ext_begin(b, x->type, x->compulsory);
	for (unsigned i = 0; i < x->n_cie; i++)
		nhrp_put_cie(b, &x->cie[i]);
	nhrp_own_cie(a, t, &c);
	nhrp_put_cie(b, &c);
	nhrp_ext_end(b);
	return 1;
}

static void remember_requester(struct nhrp_entry *e, uint32_t proto, uint32_t nbma)
{
	for (unsigned i = 0; i < e->n_req; i++)
		if (e->req[i].proto == proto) {
			e->req[i].nbma = nbma;
			return;
		}
	if (e->n_req < NE_MAX_REQUESTERS) {
		e->req[e->n_req].proto = proto;
		e->req[e->n_req].nbma = nbma;
		e->n_req++;
	}
}

/* The NBMA address a requester is reached at: what we saw if it
 * registered with us; else, from one of our servers (which forwards
 * requests), what its NAT extension or the request says; else where the
 * request came from: a party that is no server of ours may not name
 * another address for us to answer, map or start IKE towards. */
static uint32_t requester_nbma(struct app *a, unsigned t, const struct nhrp_msg *m, uint32_t from)
{
	const struct nhrp_entry *e = nhrp_cache_find(a, t, m->src_proto, 0);
	const struct nhrp_ext *nat = nhrp_ext_find(m, NHRP_EXT_NAT_ADDRESS);
	int nhs = nhrp_nhs_is(a, t, from);

	if (e && e->type == NE_DYNAMIC)
		return e->nbma;
	for (unsigned i = 0; nat && i < nat->n_cie; i++)
		if (nat->cie[i].proto_len && nat->cie[i].proto == m->src_proto && nat->cie[i].nbma_len) {
			if (nhs)
				return nat->cie[i].nbma;
			a->nh.cnt.request_nat_untrusted++;
			break;
		}
	if (!nhs)
		return from;
	return e && e->type == NE_CACHED ? e->nbma : m->src_nbma;
}

/* Cache the requester so our traffic back can go direct too (RFC 2332
 * 5.2.1): only a tunnel address, never over a binding we have (a request
 * proves nothing), in the requests' own budget, for no longer than our
 * own holding time. */
static void learn_requester(struct app *a, unsigned t, const struct nhrp_msg *m, uint32_t nbma)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	unsigned hold = m->n_cie && m->cie[0].holdtime ? m->cie[0].holdtime : ct->holdtime;
	time_t until = time(NULL) + (hold < ct->holdtime ? hold : ct->holdtime);
	struct nhrp_entry *e;
	int rc;

	if ((m->src_proto ^ ct->addr) & prefix_mask(ct->plen)) {
		a->nh.cnt.request_off_subnet++;
		return;
	}
	rc = nhrp_cache_learn(a, t, m->src_proto, nbma, &e);
	if (rc == -EEXIST) {
		/* The same binding again only refreshes what a request taught. */
		if (e->type == NE_CACHED && e->by_request && e->nbma == nbma)
			e->expires = until;
		else if (e->nbma != nbma && e->type != NE_INCOMPLETE && e->type != NE_NEGATIVE)
			a->nh.cnt.request_rebind++;
		return;
	}
	if (rc) {
		a->nh.cnt.request_budget++;
		return;
	}
	e->type = NE_CACHED;
	e->expires = until;
	if (nhrp_cache_publish(a, e))
		nhrp_cache_remove(a, e);
}

void nhrp_handle_resolution_request(struct app *a, unsigned t, const uint8_t *pkt,
				    const struct nhrp_msg *m, uint32_t from)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	const struct nhrp_ext *fwd = nhrp_ext_find(m, NHRP_EXT_FWD_TRANSIT);
	uint32_t to, nh;
	struct fwd_ctx fc;
	const struct route_entry *r;
	struct nhrp_entry *e;
	uint8_t plen, buf[1500];
	struct nhrp_buf b;

	if (m->src_proto == ct->addr) {
		a->nh.cnt.loop_detected++;
		return;
	}
	to = requester_nbma(a, t, m, from);
	if (egress_plen(a, t, m->dst_proto, &plen)) {
		learn_requester(a, t, m, to);
		send_reply(a, t, pkt, m, to, NHRP_CIE_SUCCESS, plen);
		return;
	}
	/* Not ours. Only a server forwards; a client says it has no binding. */
	r = state_route_match(a, m->dst_proto);
	if (!r && !ct->n_nhs) {
		/* Nowhere to go at all (RFC 2332 5.2.7). */
		a->nh.cnt.no_route++;
		nhrp_send_error(a, t, to, pkt, m, NHRP_ERR_PROTO_UNREACHABLE, 0);
		return;
	}
	if (ct->n_nhs || !r || r->nh.kind != NH_TUNNEL || r->nh.ifidx != t) {
		a->nh.cnt.no_route++;
		send_reply(a, t, pkt, m, to, NHRP_CIE_NO_BINDING, 32);
		return;
	}
	nh = r->nh.gw ? r->nh.gw : m->dst_proto;
	e = nhrp_cache_find(a, t, nh, 0);
	if (!e || e->type == NE_INCOMPLETE || e->type == NE_NEGATIVE || e->nbma == from) {
		a->nh.cnt.no_route++;
		send_reply(a, t, pkt, m, to, NHRP_CIE_NO_BINDING, 32);
		return;
	}
	if (m->hopcnt <= 1) {
		a->nh.cnt.hop_count_exceeded++;
		/* The offset of ar$hopcnt in the fixed header (RFC 2332 5.2.7). */
		nhrp_send_error(a, t, to, pkt, m, NHRP_ERR_HOP_COUNT, 9);
		return;
	}
	for (unsigned i = 0; fwd && i < fwd->n_cie; i++)
		if (fwd->cie[i].proto_len && fwd->cie[i].proto == ct->addr) {
			a->nh.cnt.loop_detected++;
			nhrp_send_error(a, t, to, pkt, m, NHRP_ERR_LOOP_DETECTED, 0);
			return;
		}
	/* The owner answers the requester directly; remember who asked so a
	 * purge can follow if the owner goes away. */
	remember_requester(e, m->src_proto, to);
	fc.src_proto = m->src_proto;
	fc.real_nbma = to != m->src_nbma ? to : 0;
	nhrp_build_init(&b, buf, sizeof(buf), NHRP_RESOLUTION_REQUEST, (uint8_t)(m->hopcnt - 1),
			m->flags, m->reqid, m->src_nbma, m->src_proto, m->dst_proto);
	for (unsigned i = 0; i < m->n_cie; i++)
		nhrp_put_cie(&b, &m->cie[i]);
	nhrp_copy_exts(a, t, pkt, m, &b, fwd_ext, &fc);
	if (b.len + 4 > ct->mtu) {
		/* With our transit record it no longer fits the tunnel. */
		nhrp_send_error(a, t, to, pkt, m, NHRP_ERR_SDU_SIZE, 0);
		return;
	}
	nhrp_send(a, t, e->nbma, &b);
}

/* One successful CIE of a resolution reply: its next hop (the client
 * protocol address, or the responder's when the CIE leaves it out), where
 * that is reached (the responder's NAT extension may say better), and the
 * prefix of the destination it answers for. */
struct reply_hop {
	uint32_t resp, nbma, claimed, prefix;
	uint8_t plen;
	uint8_t pref;
	unsigned hold;
};

static int reply_hop_of(const struct app *a, unsigned t, const struct nhrp_msg *m,
			const struct nhrp_cie *c, struct reply_hop *h)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	const struct nhrp_ext *rx = nhrp_ext_find(m, NHRP_EXT_RESPONDER);
	const struct nhrp_ext *nat = nhrp_ext_find(m, NHRP_EXT_NAT_ADDRESS);
	const struct nhrp_cie *rc = rx && rx->n_cie ? &rx->cie[0] : NULL;
	/* The next hop is the CIE's client address when that is a tunnel
	 * address; a responder answering for a network behind it names the
	 * destination there (as IOS does) and itself in the Responder Address
	 * extension. */
	int in_tunnel = c->proto_len && !((c->proto ^ ct->addr) & prefix_mask(ct->plen));

	h->resp = in_tunnel ? c->proto : (rc && rc->proto_len ? rc->proto : 0);
	h->claimed = h->nbma = c->nbma_len ? c->nbma : (rc && rc->proto == h->resp ? rc->nbma : 0);
	/* Behind NAT the responder's NAT extension says where it is reached. */
	for (unsigned i = 0; nat && i < nat->n_cie; i++)
		if (nat->cie[i].proto_len && nat->cie[i].proto == h->resp && nat->cie[i].nbma_len)
			h->nbma = nat->cie[i].nbma;
	if (!h->nbma || !h->resp || ((h->resp ^ ct->addr) & prefix_mask(ct->plen)) ||
	    h->resp == ct->addr)
		return -EINVAL;
	h->hold = c->holdtime ? c->holdtime : ct->holdtime;
	h->plen = c->prefix_len && c->prefix_len <= 32 ? c->prefix_len : 32;
	h->pref = c->pref;
	return 0;
}

/* The shortest prefix a reply may give a shortcut for dst: never shorter
 * than the tunnel's subnet, nor than the route dst takes now (the shortcut
 * refines that route, as FRR's nhrpd does; a /1 would take half the
 * Internet). A responder naming a shorter one (IOS names its LAN's) gets a
 * shortcut of the floor's length that still covers dst. */
static uint8_t reply_plen_floor(const struct app *a, unsigned t, uint32_t dst)
{
	const struct route_entry *r = state_route_match(a, dst);
	uint8_t floor = a->cfg.tunnels[t].plen;

	if (r && r->kind != RT_DEFAULT && r->plen > floor)
		floor = r->plen;
	return floor;
}

/* A hop of a reply to our request for m->dst_proto, checked: in the
 * tunnel subnet a destination is its own next hop, and a next hop we
 * have a binding for is not moved elsewhere (only the destination we
 * asked about, or what a mere request taught, may be). */
static int reply_hop_check(struct app *a, unsigned t, const struct nhrp_msg *m,
			   struct reply_hop *h, uint8_t floor)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	const struct nhrp_entry *e = nhrp_cache_find(a, t, h->resp, 0);

	if (!((m->dst_proto ^ ct->addr) & prefix_mask(ct->plen)) && h->resp != m->dst_proto) {
		a->nh.cnt.reply_off_destination++;
		return -EINVAL;
	}
	if (e && e->nbma != h->nbma && !e->by_request && e->type != NE_INCOMPLETE &&
	    e->type != NE_NEGATIVE && !(e->type == NE_CACHED && h->resp == m->dst_proto)) {
		a->nh.cnt.reply_rebind++;
		return -EEXIST;
	}
	if (h->plen < floor) {
		a->nh.cnt.reply_prefix_narrowed++;
		h->plen = floor;
	}
	h->prefix = m->dst_proto & prefix_mask(h->plen);
	return 0;
}

/* A shortcut route for hop h, unless it would swallow our own tunnel subnet
 * or merely repeat the next hop's own mapping. */
static void reply_shortcut(struct app *a, unsigned t, const struct nhrp_msg *m,
			   const struct reply_hop *h)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	struct nhrp_entry *e;

	if ((m->dst_proto == h->resp && h->plen == 32) ||
	    !((ct->addr ^ h->prefix) & prefix_mask(h->plen)))
		return;
	e = nhrp_cache_get(a, t, h->prefix, h->plen);
	if (!e)
		return;
	e->nexthop = h->resp;
	e->nbma = e->claimed_nbma = h->nbma;
	e->expires = time(NULL) + h->hold;
	if (nhrp_cache_publish(a, e))
		nhrp_cache_remove(a, e);
}

/*
 * A reply may carry several CIEs (RFC 2332 5.2.2): each names a next hop
 * and, by its prefix length, how much of the destination's network it
 * answers for. Every next hop gets a mapping; each distinct prefix gets
 * one shortcut, through its most preferred CIE (the first of equals).
 */
void nhrp_handle_resolution_reply(struct app *a, unsigned t, const struct nhrp_msg *m)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	struct nhrp_pending *p = pending_find(a, t, m->dst_proto);
	struct reply_hop hops[NHRP_MAX_CIE];
	unsigned n = 0, ok = 0;
	struct nhrp_entry *e;
	int shortcut, target_mapped = 0;
	uint8_t floor;

	if (m->src_proto != ct->addr) {
		a->nh.cnt.not_for_us++;
		return;
	}
	if (!p || p->reqid != m->reqid || !m->n_cie) {
		a->nh.cnt.unknown_request_id++;
		return;
	}
	shortcut = p->shortcut;
	pending_del(a, p);
	floor = reply_plen_floor(a, t, m->dst_proto);
	for (unsigned i = 0; i < m->n_cie; i++) {
		if (m->cie[i].code != NHRP_CIE_SUCCESS)
			continue;
		ok++;
		if (reply_hop_of(a, t, m, &m->cie[i], &hops[n]) == 0 &&
		    reply_hop_check(a, t, m, &hops[n], floor) == 0)
			n++;
	}
	if (!ok) {
		e = nhrp_cache_find(a, t, m->dst_proto, 0);
		if (e && e->type == NE_INCOMPLETE) {
			e->type = NE_NEGATIVE;
			e->expires = time(NULL) + NEGATIVE_LIFE_S;
		}
		return;
	}
	if (!n) {
		a->nh.cnt.unsupported++;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct reply_hop *h = &hops[i];

		target_mapped |= h->resp == m->dst_proto;
		e = nhrp_cache_get(a, t, h->resp, 0);
		/* An answer to our request outranks what a request taught. */
		if (e && e->type != NE_STATIC && e->type != NE_NHS && e->type != NE_DYNAMIC &&
		    !nhrp_cache_adopt(a, e)) {
			e->type = NE_CACHED;
			e->nbma = h->nbma;
			e->claimed_nbma = h->claimed;
			e->flags = h->nbma != h->claimed ? NE_F_NAT : 0;
			e->expires = time(NULL) + h->hold;
			nhrp_cache_publish(a, e);
		}
	}
	if (!target_mapped) {
		/* A target other than the peers themselves: drop the stand-in. */
		e = nhrp_cache_find(a, t, m->dst_proto, 0);
		if (e && (e->type == NE_INCOMPLETE || e->type == NE_NEGATIVE))
			nhrp_cache_remove(a, e);
	}
	if (!shortcut)
		return;
	for (unsigned i = 0; i < n; i++) {
		unsigned best = i;
		int first = 1;

		for (unsigned j = 0; j < n; j++) {
			if (hops[j].plen != hops[i].plen)
				continue;
			if (j < i)
				first = 0; /* this prefix was handled at its first CIE */
			if (hops[j].pref > hops[best].pref)
				best = j;
		}
		if (first)
			reply_shortcut(a, t, m, &hops[best]);
	}
}

void nhrp_handle_traffic_indication(struct app *a, unsigned t, const uint8_t *pkt,
				    const struct nhrp_msg *m)
{
	const struct ipv4_hdr *ih = (const void *)(pkt + m->payload_off);
	uint32_t dst;

	if (!a->cfg.tunnels[t].shortcut) {
		a->nh.cnt.unsupported++;
		return;
	}
	if (m->payload_len < IPV4_HLEN || (ih->ver_ihl >> 4) != 4) {
		a->nh.cnt.parse_length++;
		return;
	}
	memcpy(&dst, &ih->dst, 4);
	if (!nhrp_rate_ok(a, t, dst, REDIRECT_INTERVAL_MS)) {
		a->nh.cnt.rate_limited++;
		return;
	}
	resolve_start(a, t, dst, 1);
}

void nhrp_redirect_send(struct app *a, struct rte_mbuf *m)
{
	struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct ipv4_hdr *);
	struct pkt_meta *pm = pkt_meta(m);
	unsigned t = pm->out_if;
	size_t quote = RTE_MIN((size_t)rte_pktmbuf_data_len(m),
			       (size_t)(ih->ver_ihl & 0xf) * 4 + 8);
	uint8_t buf[512];
	struct nhrp_buf b;

	if (t >= a->cfg.n_tunnels || !a->cfg.tunnels[t].redirect)
		goto out;
	if (!nhrp_rate_ok(a, pm->nbma_src, ih->dst, REDIRECT_INTERVAL_MS)) {
		a->nh.cnt.rate_limited++;
		goto out;
	}
	/* Quote the packet as it arrived, before our TTL decrement, as IOS does. */
	if (rte_pktmbuf_data_len(m) >= IPV4_HLEN && ih->ttl < 255) {
		ih->ttl++;
		ih->cksum = 0;
		ih->cksum = inet_cksum(ih, (size_t)(ih->ver_ihl & 0xf) * 4 > rte_pktmbuf_data_len(m) ?
					   IPV4_HLEN : (size_t)(ih->ver_ihl & 0xf) * 4);
	}
	/* To where the packet came from, about the packet's source: that
	 * spoke should ask for a shortcut to its destination. */
	nhrp_build_traffic_init(&b, buf, sizeof(buf), 255, NHRP_TRAFFIC_REDIRECT,
				nhrp_our_nbma(a, t), a->cfg.tunnels[t].addr, ih->src);
	nhrp_put_raw(&b, ih, quote);
	nhrp_put_request_exts(a, t, &b, 0);
	nhrp_send(a, t, pm->nbma_src, &b);
out:
	rte_pktmbuf_free(m);
}

/* Remove what a purged CIE covers and the sender owns (RFC 2332 5.2.5:
 * only who supplied a binding may purge it): a registration only from the
 * NBMA address that registered it; a learned mapping or a shortcut from
 * the peer it leads to, or from one of our servers, which answered or
 * forwarded what taught it. Configured entries stay. */
static void purge_cie(struct app *a, unsigned t, const struct nhrp_msg *m,
		      const struct nhrp_cie *c, uint32_t from)
{
	uint32_t addr = c->proto_len ? c->proto : m->src_proto;
	uint8_t plen = c->prefix_len && c->prefix_len <= 32 ? c->prefix_len : 32;
	uint32_t mask = prefix_mask(plen);
	int nhs = nhrp_nhs_is(a, t, from);

	for (unsigned i = 0; i < a->n_nhrp;) {
		struct nhrp_entry *e = &a->nhrp[i];
		int hit = 0;

		if (e->tunnel == t && e->type != NE_STATIC && e->type != NE_NHS) {
			if (e->type == NE_SHORTCUT)
				hit = !((e->nexthop ^ addr) & mask) || !((e->proto ^ addr) & mask);
			else
				hit = !((e->proto ^ addr) & mask);
		}
		if (hit && e->nbma != from && (e->type == NE_DYNAMIC || !nhs)) {
			a->nh.cnt.purge_not_owner++;
			hit = 0;
		}
		if (hit) {
			nhrp_cache_remove(a, e);
			continue;
		}
		i++;
	}
}

void nhrp_handle_purge(struct app *a, unsigned t, const uint8_t *pkt, const struct nhrp_msg *m,
		       uint32_t from)
{
	uint8_t buf[1500];
	struct nhrp_buf b;

	if (m->type == NHRP_PURGE_REPLY)
		return; /* our purges ask for none; a stray one is only counted */
	for (unsigned i = 0; i < m->n_cie; i++)
		purge_cie(a, t, m, &m->cie[i], from);
	if (m->flags & NHRP_PURGE_F_N)
		return;
	nhrp_build_init(&b, buf, sizeof(buf), NHRP_PURGE_REPLY, 255, m->flags, m->reqid,
			m->src_nbma, m->src_proto, m->dst_proto);
	for (unsigned i = 0; i < m->n_cie; i++)
		nhrp_put_cie(&b, &m->cie[i]);
	nhrp_copy_exts(a, t, pkt, m, &b, NULL, NULL);
	nhrp_send(a, t, from, &b);
}

void nhrp_purge_requesters(struct app *a, const struct nhrp_entry *e)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[e->tunnel];

	for (unsigned i = 0; i < e->n_req; i++) {
		struct nhrp_cie c = {.prefix_len = 32, .mtu = ct->mtu, .nbma_len = 4,
				     .nbma = e->nbma, .proto_len = 4, .proto = e->proto};
		uint8_t buf[512];
		struct nhrp_buf b;

		nhrp_build_init(&b, buf, sizeof(buf), NHRP_PURGE_REQUEST, 255, NHRP_PURGE_F_N,
				nhrp_next_reqid(a), nhrp_our_nbma(a, e->tunnel), ct->addr,
				e->req[i].proto);
		nhrp_put_cie(&b, &c);
		nhrp_put_auth(a, e->tunnel, &b);
		nhrp_send(a, e->tunnel, e->req[i].nbma, &b);
	}
}
