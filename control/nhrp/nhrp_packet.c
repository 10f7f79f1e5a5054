/* SPDX-License-Identifier: BSD-3-Clause */
/* NHRP packets: receive, check (checksum, authentication, extensions), dispatch, send. */
#include <arpa/inet.h>
#include <string.h>

#include <rte_mbuf.h>

#include "control/app.h"
#include "control/core/core.h"
#include "control/peer_events.h"
#include "lib/base/addr.h"
#include "lib/wire/pkt.h"
#include "lib/wire/proto.h"

static const char *const type_names[] = {
	[NHRP_RESOLUTION_REQUEST] = "resolution_request",
	[NHRP_RESOLUTION_REPLY] = "resolution_reply",
	[NHRP_REGISTRATION_REQUEST] = "registration_request",
	[NHRP_REGISTRATION_REPLY] = "registration_reply",
	[NHRP_PURGE_REQUEST] = "purge_request",
	[NHRP_PURGE_REPLY] = "purge_reply",
	[NHRP_ERROR_INDICATION] = "error_indication",
	[NHRP_TRAFFIC_INDICATION] = "traffic_indication",
};

const char *nhrp_type_name(unsigned type)
{
	return type >= 1 && type <= NHRP_TRAFFIC_INDICATION ? type_names[type] : "unknown";
}

uint32_t nhrp_our_nbma(const struct app *a, unsigned t)
{
	return a->cfg.ports[a->cfg.tunnels[t].source].addr;
}

uint32_t nhrp_next_reqid(struct app *a)
{
	uint32_t id = 0;

	/* Unpredictable: a reply is matched by its request ID (and
	 * destination), so an off-path party must not guess the next one. */
	while (!id)
		app_random(a, &id, sizeof(id));
	return id;
}

/* MurmurHash3's finalizer: each input bit flips half the output bits. */
static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

int nhrp_rate_ok(struct app *a, uint32_t x, uint32_t y, unsigned interval_ms)
{
	/* Addresses are in network order: their low byte is the first octet,
	 * the same for a whole subnet. Mix every bit into the slot. */
	struct nhrp_rl *r = &a->nh.rl[mix32(x ^ mix32(y)) % NHRP_RL_SLOTS];
	uint64_t now = app_now_ms();

	if (r->a == x && r->b == y && now - r->ms < interval_ms)
		return 0;
	r->a = x;
	r->b = y;
	r->ms = now;
	return 1;
}

void nhrp_own_cie(const struct app *a, unsigned t, struct nhrp_cie *c)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];

	memset(c, 0, sizeof(*c));
	c->prefix_len = 32;
	c->mtu = ct->mtu;
	c->holdtime = (uint16_t)ct->holdtime;
	c->nbma_len = 4;
	c->nbma = nhrp_our_nbma(a, t);
	c->proto_len = 4;
	c->proto = ct->addr;
}

/* Cisco's cleartext authentication: a 32-bit type 1, then the key. */
void nhrp_put_auth(const struct app *a, unsigned t, struct nhrp_buf *b)
{
	static const uint8_t type1[4] = {0, 0, 0, 1};
	const char *key = a->cfg.tunnels[t].auth;

	if (!key[0])
		return;
	nhrp_ext_begin(b, NHRP_EXT_AUTH, 1);
	nhrp_put_raw(b, type1, sizeof(type1));
	nhrp_put_raw(b, key, strlen(key));
	nhrp_ext_end(b);
}

static int auth_ok(const struct app *a, unsigned t, const uint8_t *pkt, const struct nhrp_msg *m)
{
	const char *key = a->cfg.tunnels[t].auth;
	const struct nhrp_ext *x;
	size_t kl = strlen(key);
	uint8_t diff = 0;

	if (!key[0])
		return 1;
	x = nhrp_ext_find(m, NHRP_EXT_AUTH);
	if (!x || x->len != 4 + kl)
		return 0;
	/* Constant time over the whole value, type included. */
	diff |= (uint8_t)(pkt[x->off] | pkt[x->off + 1] | pkt[x->off + 2] | (pkt[x->off + 3] ^ 1));
	for (size_t i = 0; i < kl; i++)
		diff |= (uint8_t)(pkt[x->off + 4 + i] ^ (uint8_t)key[i]);
	return diff == 0;
}

void nhrp_put_request_exts(const struct app *a, unsigned t, struct nhrp_buf *b, int responder)
{
	if (responder) {
		nhrp_ext_begin(b, NHRP_EXT_RESPONDER, 1);
		nhrp_ext_end(b);
	}
	nhrp_ext_begin(b, NHRP_EXT_FWD_TRANSIT, 1);
	nhrp_ext_end(b);
	nhrp_ext_begin(b, NHRP_EXT_REV_TRANSIT, 1);
	nhrp_ext_end(b);
	nhrp_put_auth(a, t, b);
	nhrp_ext_begin(b, NHRP_EXT_NAT_ADDRESS, 0);
	nhrp_ext_end(b);
}

void nhrp_copy_exts(struct app *a, unsigned t, const uint8_t *pkt, const struct nhrp_msg *m,
		    struct nhrp_buf *b, nhrp_ext_fn fn, void *arg)
{
	int auth_done = 0;

	for (unsigned i = 0; i < m->n_ext; i++) {
		const struct nhrp_ext *x = &m->ext[i];

		if (x->type == NHRP_EXT_END)
			continue;
		if (fn && fn(a, t, x, b, arg))
			continue;
		if (x->type == NHRP_EXT_AUTH) {
			/* Each hop authenticates with its own key (RFC 2332 5.3.4). */
			nhrp_put_auth(a, t, b);
			auth_done = 1;
			continue;
		}
		nhrp_ext_begin(b, x->type, x->compulsory);
		nhrp_put_raw(b, pkt + x->off, x->len);
		nhrp_ext_end(b);
	}
	if (!auth_done)
		nhrp_put_auth(a, t, b);
}

int nhrp_send(struct app *a, unsigned t, uint32_t nbma, struct nhrp_buf *b)
{
	int len = nhrp_build_finish(b);
	struct rte_mbuf *m;
	uint8_t *d;

	if (len < 0) {
		a->nh.cnt.send_failed++;
		return len;
	}
	m = rte_pktmbuf_alloc(a->dp.pool);
	d = m ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (!d) {
		rte_pktmbuf_free(m);
		a->cnt.alloc_failed++;
		a->nh.cnt.send_failed++;
		return -1;
	}
	memcpy(d, b->p, (size_t)len);
	if (b->p[17] >= 1 && b->p[17] <= NHRP_TRAFFIC_INDICATION)
		a->nh.cnt.tx[b->p[17]]++;
	/* The worker adds GRE and the outer header, and ESP if the tunnel is
	 * protected: NHRP never crosses the WAN in clear then. */
	pkt_meta(m)->aux = nbma;
	/* To a peer whose IKE SA is still coming: it waits (bounded). */
	if (ike_glue_hold(a, t, nbma, m))
		return 0;
	return app_inject(a, m, INJECT_NHRP, (uint8_t)t);
}

void nhrp_send_error(struct app *a, unsigned t, uint32_t nbma, const uint8_t *pkt,
		     const struct nhrp_msg *m, uint16_t code, uint16_t offset)
{
	uint8_t buf[1500];
	struct nhrp_buf b;

	/* Never answer an error with an error. */
	if (m->type == NHRP_ERROR_INDICATION)
		return;
	if (!nhrp_rate_ok(a, nbma, code, 1000)) {
		a->nh.cnt.error_rate_limited++;
		return;
	}
	nhrp_build_error_init(&b, buf, sizeof(buf), 255, code, offset, nhrp_our_nbma(a, t),
			      a->cfg.tunnels[t].addr, m->src_proto);
	nhrp_put_raw(&b, pkt, RTE_MIN((size_t)m->pktsz, sizeof(buf) / 2));
	nhrp_put_auth(a, t, &b);
	nhrp_send(a, t, nbma, &b);
}

static void on_error_indication(struct app *a, unsigned t, const struct nhrp_msg *m, uint32_t from)
{
	char b1[16], b2[16];

	LOG(a, "NHRP error indication code %u from %s (%s)", m->err_code,
	    inet_ntop(AF_INET, &from, b1, sizeof(b1)), inet_ntop(AF_INET, &m->src_proto, b2, sizeof(b2)));
}

static void count_parse_error(struct app *a, int rc)
{
	switch (rc) {
	case NHRP_PE_TRUNCATED: a->nh.cnt.parse_truncated++; break;
	case NHRP_PE_CHECKSUM: a->nh.cnt.parse_checksum++; break;
	case NHRP_PE_VERSION: a->nh.cnt.parse_version++; break;
	case NHRP_PE_AFN: a->nh.cnt.parse_afn++; break;
	case NHRP_PE_ADDR_LEN: a->nh.cnt.parse_addr_len++; break;
	case NHRP_PE_LENGTH: a->nh.cnt.parse_length++; break;
	case NHRP_PE_TYPE: a->nh.cnt.parse_type++; break;
	case NHRP_PE_TOO_MANY: a->nh.cnt.parse_too_many++; break;
	default: a->nh.cnt.parse_extension++; break;
	}
}

static void on_registration_request(struct app *a, unsigned t, const uint8_t *pkt,
				    const struct nhrp_msg *m, uint32_t from);

void nhrp_input(struct app *a, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned t = pkt_meta(m)->in_if - CFG_MAX_PORTS;
	struct nhrp_msg *msg = &a->nh.rx_msg;
	struct gre_decap d;
	const uint8_t *pkt;
	uint16_t code, off;
	int rc;

	if (t >= a->cfg.n_tunnels ||
	    pkt_gre_decap_parse(p, rte_pktmbuf_data_len(m), &d) != DROP_NONE) {
		a->nh.cnt.bad_outer++;
		goto out;
	}
	pkt = p + d.inner_off;
	rc = nhrp_parse(pkt, d.inner_len, msg);
	if (rc) {
		count_parse_error(a, rc);
		/* What parsed of it (type, size, sender) carries the answer:
		 * Protocol Error or Invalid Extension, never to an Error
		 * Indication (nhrp_send_error checks the type it carries). */
		code = nhrp_parse_error_code(rc);
		if (code)
			nhrp_send_error(a, t, d.outer.src, pkt, msg, code, msg->err_at);
		goto out;
	}
	a->nh.cnt.rx[msg->type]++;
	if (!auth_ok(a, t, pkt, msg)) {
		a->nh.cnt.auth_failure++;
		nhrp_send_error(a, t, d.outer.src, pkt, msg, NHRP_ERR_AUTH_FAILURE, 0);
		goto out;
	}
	code = nhrp_check(msg, &off);
	if (code) {
		if (code == NHRP_ERR_PROTOCOL)
			a->nh.cnt.protocol_error++;
		else
			a->nh.cnt.invalid_extension++;
		nhrp_send_error(a, t, d.outer.src, pkt, msg, code, off);
		goto out;
	}
	for (unsigned i = 0; i < msg->n_ext; i++) {
		const struct nhrp_ext *x = &msg->ext[i];

		if (x->compulsory && x->type != NHRP_EXT_END && x->type != NHRP_EXT_RESPONDER &&
		    x->type != NHRP_EXT_FWD_TRANSIT && x->type != NHRP_EXT_REV_TRANSIT &&
		    x->type != NHRP_EXT_AUTH) {
			a->nh.cnt.unknown_compulsory_extension++;
			nhrp_send_error(a, t, d.outer.src, pkt, msg, NHRP_ERR_UNRECOGNIZED_EXT,
					(uint16_t)(x->off - 4));
			goto out;
		}
	}
	switch (msg->type) {
	case NHRP_REGISTRATION_REQUEST:
		on_registration_request(a, t, pkt, msg, d.outer.src);
		break;
	case NHRP_REGISTRATION_REPLY:
		nhrp_nhs_reply(a, t, msg);
		break;
	case NHRP_RESOLUTION_REQUEST:
		nhrp_handle_resolution_request(a, t, pkt, msg, d.outer.src);
		break;
	case NHRP_RESOLUTION_REPLY:
		nhrp_handle_resolution_reply(a, t, msg);
		break;
	case NHRP_PURGE_REQUEST:
	case NHRP_PURGE_REPLY:
		nhrp_handle_purge(a, t, pkt, msg, d.outer.src);
		break;
	case NHRP_TRAFFIC_INDICATION:
		nhrp_handle_traffic_indication(a, t, pkt, msg);
		break;
	case NHRP_ERROR_INDICATION:
		on_error_indication(a, t, msg, d.outer.src);
		break;
	default:
		a->nh.cnt.unsupported++;
		break;
	}
out:
	rte_pktmbuf_free(m);
}

/* ---- Registration (NHS side) ---- */

struct reg_reply_ctx {
	uint32_t seen_nbma;
	uint32_t src_proto;
};

static int reg_reply_ext(struct app *a, unsigned t, const struct nhrp_ext *x,
			 struct nhrp_buf *b, void *arg)
{
	const struct reg_reply_ctx *c = arg;
	struct nhrp_cie cie;

	switch (x->type) {
	case NHRP_EXT_RESPONDER:
		nhrp_own_cie(a, t, &cie);
		nhrp_ext_begin(b, x->type, x->compulsory);
		nhrp_put_cie(b, &cie);
		nhrp_ext_end(b);
		return 1;
	case NHRP_EXT_NAT_ADDRESS:
		/* Tell the registrant which NBMA address we saw it at. */
		memset(&cie, 0, sizeof(cie));
		cie.prefix_len = 32;
		cie.mtu = a->cfg.tunnels[t].mtu;
		cie.holdtime = (uint16_t)a->cfg.tunnels[t].holdtime;
		cie.nbma_len = 4;
		cie.nbma = c->seen_nbma;
		cie.proto_len = 4;
		cie.proto = c->src_proto;
		nhrp_ext_begin(b, x->type, x->compulsory);
		nhrp_put_cie(b, &cie);
		nhrp_ext_end(b);
		return 1;
	default:
		return 0;
	}
}

/* One CIE of a registration: the binding it asks for, and our answer. */
static uint8_t register_binding(struct app *a, unsigned t, const struct nhrp_msg *m,
				const struct nhrp_cie *c, uint32_t from)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	uint32_t proto = c->proto_len ? c->proto : m->src_proto;
	uint32_t claimed = c->nbma_len ? c->nbma : m->src_nbma;
	struct nhrp_entry *e;
	int rc;

	if ((proto ^ ct->addr) & prefix_mask(ct->plen) || proto == ct->addr)
		return NHRP_CIE_ADMIN_PROHIBITED;
	e = nhrp_cache_find(a, t, proto, 0);
	if (e && (e->type == NE_STATIC || e->type == NE_NHS))
		return NHRP_CIE_ADMIN_PROHIBITED;
	if (e && e->type == NE_DYNAMIC && e->nbma != from && (e->flags & NE_F_UNIQUE))
		return NHRP_CIE_ALREADY_REGISTERED;
	if (!e && !(e = nhrp_cache_get(a, t, proto, 0)))
		return NHRP_CIE_INSUFFICIENT_RESOURCES;
	if (c->holdtime == 0) {
		/* A zero holding time withdraws the binding, and only its
		 * registrant may (RFC 2332 5.2.3 and 5.2.5: the registering
		 * entity owns it); anyone else's withdrawal changes nothing. */
		if (e->type == NE_DYNAMIC && e->nbma != from)
			return NHRP_CIE_ALREADY_REGISTERED;
		nhrp_cache_remove(a, e);
		return NHRP_CIE_SUCCESS;
	}
	/* The owner registering outranks what a request taught us. */
	if (nhrp_cache_adopt(a, e))
		return NHRP_CIE_INSUFFICIENT_RESOURCES;
	if (e->type != NE_DYNAMIC || e->nbma != from)
		e->created = time(NULL);
	e->type = NE_DYNAMIC;
	e->plen = 32;
	e->nbma = from;
	e->claimed_nbma = claimed;
	e->mtu = c->mtu;
	e->flags = (uint8_t)(((m->flags & NHRP_REG_F_U) ? NE_F_UNIQUE : 0) |
			     (from != claimed ? NE_F_NAT : 0));
	e->expires = time(NULL) + c->holdtime;
	rc = nhrp_cache_publish(a, e);
	return rc ? NHRP_CIE_INSUFFICIENT_RESOURCES : NHRP_CIE_SUCCESS;
}

static void on_registration_request(struct app *a, unsigned t, const uint8_t *pkt,
				    const struct nhrp_msg *m, uint32_t from)
{
	struct reg_reply_ctx ctx = {.seen_nbma = from, .src_proto = m->src_proto};
	uint8_t buf[1500];
	struct nhrp_buf b;
	char s1[16], s2[16];

	nhrp_build_init(&b, buf, sizeof(buf), NHRP_REGISTRATION_REPLY, 255, m->flags, m->reqid,
			m->src_nbma, m->src_proto, m->dst_proto);
	for (unsigned i = 0; i < m->n_cie; i++) {
		struct nhrp_cie c = m->cie[i];

		c.code = register_binding(a, t, m, &m->cie[i], from);
		DBG(a, "NHRP registration of %s at %s: code %u",
		    inet_ntop(AF_INET, m->cie[i].proto_len ? &m->cie[i].proto : &m->src_proto, s1, 16),
		    inet_ntop(AF_INET, &from, s2, 16), c.code);
		nhrp_put_cie(&b, &c);
	}
	nhrp_copy_exts(a, t, pkt, m, &b, reg_reply_ext, &ctx);
	/* Answer where it came from: behind NAT the claimed address is unreachable. */
	nhrp_send(a, t, from, &b);
}
