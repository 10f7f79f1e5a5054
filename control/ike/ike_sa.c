/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE SA table, message-ID windows, retransmission, the task queue, timers and the engine API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "control/ike/ike_priv.h"

/* ---- small services over the env ---- */

void ike_log(struct ike_engine *e, int debug, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!e->env.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->env.log(e->env.ctx, debug, line);
}

uint64_t ike_now(const struct ike_engine *e)
{
	return e->env.now_ms(e->env.ctx);
}

void ike_rand(struct ike_engine *e, void *buf, size_t len)
{
	e->env.random(e->env.ctx, buf, len);
}

uint64_t ike_spi_new(struct ike_engine *e)
{
	uint64_t spi = 0;

	/* Zero means "unknown yet" in the header; a clash with a live SA of
	 * ours would make lookups ambiguous. */
	while (!spi || ike_sa_by_spi(e, spi, 0) || ike_sa_by_spi(e, spi, 1))
		ike_rand(e, &spi, sizeof(spi));
	return spi;
}

uint32_t ike_child_spi_new(struct ike_engine *e)
{
	uint32_t spi = 0;

	/* SPIs 0-255 are reserved (RFC 4303 2.1). */
	while (spi < 256)
		ike_rand(e, &spi, sizeof(spi));
	return spi;
}

static const char *ike_state_name(uint8_t s)
{
	switch (s) {
	case IKE_S_INIT_SENT:
	case IKE_S_INIT_DONE:
	case IKE_S_AUTH_SENT:
		return "CONNECTING";
	case IKE_S_ESTABLISHED:
		return "ESTABLISHED";
	case IKE_S_REKEYED:
		return "REKEYING";
	default:
		return "DELETING";
	}
}

/* ---- the SA table ---- */

const struct cfg_ike_conn *ike_sa_conn(const struct ike_sa *sa)
{
	return &sa->e->conf.conns[sa->conn];
}

static int ike_sa_half_open(const struct ike_sa *sa)
{
	return !sa->initiator && sa->state == IKE_S_INIT_DONE;
}

/* ---- indexes: hash chains through the SAs, so a hub with many spokes
 * finds an SA in constant time ---- */

static unsigned ike_hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (unsigned)k & (IKE_HASH_SIZE - 1);
}

static unsigned ike_peer_bucket(unsigned tunnel, uint32_t remote)
{
	return ike_hash64((uint64_t)tunnel << 32 | remote);
}

static uint64_t ike_sa_our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

void ike_sa_hash_spi(struct ike_sa *sa)
{
	struct ike_sa **b = &sa->e->by_spi[ike_hash64(ike_sa_our_spi(sa))];

	if (sa->hashed_spi)
		return;
	sa->spi_next = *b;
	*b = sa;
	sa->hashed_spi = 1;
}

void ike_sa_hash_pspi(struct ike_sa *sa)
{
	struct ike_sa **b = &sa->e->by_pspi[ike_hash64(sa->spi_i)];

	if (sa->hashed_pspi)
		return;
	sa->pspi_next = *b;
	*b = sa;
	sa->hashed_pspi = 1;
}

static void ike_sa_hash_peer(struct ike_sa *sa)
{
	struct ike_sa **b = &sa->e->by_peer[ike_peer_bucket(sa->tunnel, sa->remote)];

	sa->hremote = sa->remote;
	sa->peer_next = *b;
	*b = sa;
}

static void ike_sa_unhash_peer(struct ike_sa *sa)
{
	struct ike_sa **pp = &sa->e->by_peer[ike_peer_bucket(sa->tunnel, sa->hremote)];

	for (; *pp; pp = &(*pp)->peer_next)
		if (*pp == sa) {
			*pp = sa->peer_next;
			return;
		}
}

static void ike_sa_unhash(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_sa **pp;

	if (sa->hashed_spi)
		for (pp = &e->by_spi[ike_hash64(ike_sa_our_spi(sa))]; *pp; pp = &(*pp)->spi_next)
			if (*pp == sa) {
				*pp = sa->spi_next;
				break;
			}
	if (sa->hashed_pspi)
		for (pp = &e->by_pspi[ike_hash64(sa->spi_i)]; *pp; pp = &(*pp)->pspi_next)
			if (*pp == sa) {
				*pp = sa->pspi_next;
				break;
			}
	ike_sa_unhash_peer(sa);
}

void ike_sa_set_remote(struct ike_sa *sa, uint32_t remote)
{
	ike_sa_unhash_peer(sa);
	sa->remote = remote;
	ike_sa_hash_peer(sa);
}

static struct ike_sa *ike_peer_from(struct ike_sa *sa, unsigned tunnel, uint32_t remote)
{
	for (; sa; sa = sa->peer_next)
		if (sa->state != IKE_S_DEAD && sa->tunnel == tunnel && sa->hremote == remote)
			return sa;
	return NULL;
}

struct ike_sa *ike_peer_first(struct ike_engine *e, unsigned tunnel, uint32_t remote)
{
	return ike_peer_from(e->by_peer[ike_peer_bucket(tunnel, remote)], tunnel, remote);
}

struct ike_sa *ike_peer_next(struct ike_sa *sa)
{
	return ike_peer_from(sa->peer_next, sa->tunnel, sa->hremote);
}

/* The table is full and we want an SA of our own: the oldest half-open
 * responder SA makes room. Anyone can make those, from any address, so
 * they must never keep us from keying a peer. 1 if one went. */
static int ike_half_open_evict(struct ike_engine *e)
{
	struct ike_sa *old = NULL;

	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (ike_sa_half_open(sa) && (!old || sa->created_ms < old->created_ms))
			old = sa;
	if (!old)
		return 0;
	e->cnt.half_open_evicted++;
	ike_sa_kill(old, 1);
	return 1;
}

struct ike_sa *ike_sa_new(struct ike_engine *e, unsigned conn, int initiator, uint32_t local,
			  uint16_t lport, uint32_t remote, uint16_t rport)
{
	struct ike_sa *sa;

	if (e->conf.max_ike_sas && e->n_sas - e->n_dead >= e->conf.max_ike_sas &&
	    (!initiator || !ike_half_open_evict(e)))
		return NULL;
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->e = e;
	sa->conn = conn;
	sa->tunnel = e->conf.conns[conn].tunnel;
	sa->initiator = (uint8_t)initiator;
	sa->local = local;
	sa->lport = lport;
	sa->remote = remote;
	sa->rport = rport;
	sa->created_ms = sa->last_rx_ms = ike_now(e);
	sa->next = e->sas;
	if (e->sas)
		e->sas->prev = sa;
	e->sas = sa;
	e->n_sas++;
	ike_sa_hash_peer(sa);
	return sa;
}

struct ike_sa *ike_sa_by_spi(struct ike_engine *e, uint64_t spi, int initiator)
{
	for (struct ike_sa *sa = e->by_spi[ike_hash64(spi)]; sa; sa = sa->spi_next) {
		if (sa->state == IKE_S_DEAD || sa->initiator != initiator)
			continue;
		if (ike_sa_our_spi(sa) == spi)
			return sa;
	}
	return NULL;
}

struct ike_sa *ike_sa_by_peer_spi(struct ike_engine *e, uint64_t spi_i, uint32_t remote, uint16_t rport)
{
	for (struct ike_sa *sa = e->by_pspi[ike_hash64(spi_i)]; sa; sa = sa->pspi_next)
		if (sa->state != IKE_S_DEAD && sa->spi_i == spi_i && sa->remote == remote &&
		    sa->rport == rport)
			return sa;
	return NULL;
}

void ike_child_remove(struct ike_sa *sa, struct ike_child *c)
{
	struct ike_engine *e = sa->e;

	if (c->state == IKE_C_FREE)
		return;
	if (c->in_dp) {
		e->in_env++;
		e->env.child_remove(e->env.ctx, sa->tunnel, sa->remote, c->spi_in);
		e->in_env--;
		e->cnt.child_deleted++;
	}
	explicit_bzero(c, sizeof(*c));
}

void ike_sa_kill(struct ike_sa *sa, int quiet)
{
	struct ike_engine *e = sa->e;

	int down;

	if (sa->state == IKE_S_DEAD)
		return;
	if (sa->redundant && !e->closing)
		ike_dup_handover(sa);
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		ike_child_remove(sa, &sa->child[i]);
	/* Down also for a connection that never came up: whoever waits for
	 * it (NHRP traffic queued) learns that it failed; not while another
	 * IKE SA keeps the peer up (crossed initiations). */
	down = !quiet && (sa->announced_up || (sa->initiator && sa->state < IKE_S_ESTABLISHED));
	sa->announced_up = 0;
	if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_REKEYED ||
	    sa->state == IKE_S_DELETING)
		e->cnt.ike_deleted++;
	ike_rekey_abort(sa);
	if (ike_sa_half_open(sa) && e->n_half_open)
		e->n_half_open--;
	sa->state = IKE_S_DEAD;
	sa->req_busy = 0;
	sa->tasks = 0;
	sa->dead_next = e->dead;
	e->dead = sa;
	e->n_dead++;
	if (!sa->redundant && !e->closing)
		ike_dup_orphans(sa);
	/* Last: the callback may connect again, and must find this SA gone. */
	if (down)
		ike_env_peer_event(sa, 0);
}

static void ike_sa_free(struct ike_sa *sa)
{
	ike_dh_free(sa->dh);
	ike_rekey_abort(sa);
	if (sa->rekey_parent && sa->rekey_parent->prk.new_sa == sa)
		sa->rekey_parent->prk.new_sa = NULL;
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->cookie);
	free(sa->req);
	free(sa->resp);
	/* Keys, nonces and the children's KEYMAT. */
	explicit_bzero(sa, sizeof(*sa));
	free(sa);
}

/* Free the DEAD SAs; nothing holds a pointer to an SA across API calls
 * except the rekey bookkeeping of a sibling, cleared in ike_sa_free. */
static void ike_sa_sweep(struct ike_engine *e)
{
	/* Called back from the env into the API: an outer frame may still
	 * hold these SAs. The outermost call frees them. */
	if (e->in_env)
		return;
	while (e->dead) {
		struct ike_sa *sa = e->dead;

		e->dead = sa->dead_next;
		if (sa->prev)
			sa->prev->next = sa->next;
		else
			e->sas = sa->next;
		if (sa->next)
			sa->next->prev = sa->prev;
		ike_sa_unhash(sa);
		e->n_sas--;
		e->n_dead--;
		ike_sa_free(sa);
	}
}

/* ---- keys ---- */

const uint8_t *ike_sa_ke_out(const struct ike_sa *sa)
{
	return sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er;
}

const uint8_t *ike_sa_ka_out(const struct ike_sa *sa)
{
	return sa->initiator ? sa->keys.sk_ai : sa->keys.sk_ar;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

/*
 * The line tshark's ikev2_decryption_table UAT takes (one record, CSV):
 * SPIi, SPIr, SK_ei, SK_er, encryption algorithm, SK_ai, SK_ar, integrity
 * algorithm, with the algorithm names Wireshark's isakmp dissector lists.
 */
void ike_sa_log_keys(struct ike_sa *sa)
{
	const struct ike_keys *k = &sa->keys;
	char ei[2 * IKE_MAX_KEY + 1], er[2 * IKE_MAX_KEY + 1], ai[2 * IKE_MAX_KEY + 1],
		ar[2 * IKE_MAX_KEY + 1];
	const char *encr, *integ;
	int gcm = sa->suite.encr == IKE_ENCR_AES_GCM16;

	if (gcm)
		encr = sa->suite.encr_bits == 256 ? "AES-GCM-256 with 16 octet ICV [RFC5282]"
						  : "AES-GCM-128 with 16 octet ICV [RFC5282]";
	else
		encr = sa->suite.encr_bits == 256 ? "AES-CBC-256 [RFC3602]" : "AES-CBC-128 [RFC3602]";
	switch (sa->suite.integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		integ = "HMAC_SHA1_96 [RFC2404]";
		break;
	case IKE_INTEG_HMAC_SHA2_256_128:
		integ = "HMAC_SHA2_256_128 [RFC4868]";
		break;
	case IKE_INTEG_HMAC_SHA2_384_192:
		integ = "HMAC_SHA2_384_192 [RFC4868]";
		break;
	case IKE_INTEG_HMAC_SHA2_512_256:
		integ = "HMAC_SHA2_512_256 [RFC4868]";
		break;
	default:
		integ = "NONE [RFC4306]";
	}
	hex(ei, k->sk_ei, k->encr_len);
	hex(er, k->sk_er, k->encr_len);
	hex(ai, k->sk_ai, k->integ_len);
	hex(ar, k->sk_ar, k->integ_len);
	/* UAT record: byte fields bare hex, enum names quoted. */
	ike_log(sa->e, 1, "ike keys ikev2_decryption_table: %016llx,%016llx,%s,%s,\"%s\",%s,%s,\"%s\"",
		(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, ei, er, encr, ai, ar,
		integ);
	explicit_bzero(ei, sizeof(ei));
	explicit_bzero(er, sizeof(er));
	explicit_bzero(ai, sizeof(ai));
	explicit_bzero(ar, sizeof(ar));
}

/* ---- lifetimes ---- */

static uint64_t ike_jitter(struct ike_engine *e, uint64_t ms)
{
	uint32_t r;

	/* Up to 10 % earlier, so both ends of many SAs do not rekey in step. */
	ike_rand(e, &r, sizeof(r));
	return ms - (ms / 10 ? r % (ms / 10) : 0);
}

void ike_sa_schedule(struct ike_sa *sa)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	uint64_t now = ike_now(sa->e);

	sa->rekey_at = c->rekey_time ? now + ike_jitter(sa->e, (uint64_t)c->rekey_time * 1000) : 0;
	if (c->rekey_time) {
		unsigned over = c->over_time ? c->over_time : c->rekey_time / 10;

		sa->expire_at = now + ((uint64_t)c->rekey_time + over) * 1000;
	} else {
		sa->expire_at = 0;
	}
}

void ike_sa_established(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;

	if (ike_sa_half_open(sa) && e->n_half_open)
		e->n_half_open--;
	sa->state = IKE_S_ESTABLISHED;
	sa->established_ms = ike_now(e);
	e->cnt.ike_established++;
	ike_sa_schedule(sa);
	/* The IKE_SA_INIT leftovers are no longer needed. */
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->cookie);
	sa->init_req = sa->init_resp = sa->cookie = NULL;
	ike_log(e, 0, "ike: SA %016llx_i %016llx_r with %s established (%s)",
		(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		inet_ntoa((struct in_addr){sa->remote}), sa->initiator ? "initiator" : "responder");
}

/* ---- children ---- */

struct ike_child *ike_child_slot(struct ike_sa *sa)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->child[i].state == IKE_C_FREE)
			return &sa->child[i];
	return NULL;
}

struct ike_child *ike_child_current(struct ike_sa *sa)
{
	struct ike_child *best = NULL;

	/* The newest installed one carries our outbound traffic (or will:
	 * one waiting for its outbound half is the one to keep). */
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->child[i].state == IKE_C_INSTALLED &&
		    (!best || sa->child[i].seq > best->seq))
			best = &sa->child[i];
	return best;
}

struct ike_child *ike_child_by_in(struct ike_sa *sa, uint32_t spi_in)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->child[i].state != IKE_C_FREE && sa->child[i].spi_in == spi_in)
			return &sa->child[i];
	return NULL;
}

struct ike_child *ike_child_by_out(struct ike_sa *sa, uint32_t spi_out)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->child[i].state != IKE_C_FREE && sa->child[i].spi_out == spi_out)
			return &sa->child[i];
	return NULL;
}

/* The dataplane's view of child c: the peer, keys in our directions. */
static int ike_child_params(struct ike_sa *sa, const struct ike_child *c, int we_initiated,
			    const uint8_t *keymat, struct cfg_sa *p)
{
	const struct cfg_ike_child *cc = &ike_sa_conn(sa)->child;
	size_t el, il;
	const uint8_t *ki, *kr, *kin, *kout;

	ike_suite_key_lens(&c->suite, &el, &il);
	if (el > sizeof(p->in.key) || il > sizeof(p->in.auth_key))
		return -EINVAL;
	ki = keymat;
	kr = keymat + el + il;
	kout = we_initiated ? ki : kr;
	kin = we_initiated ? kr : ki;
	memset(p, 0, sizeof(*p));
	p->peer = sa->remote;
	p->tunnel = sa->tunnel;
	p->mode = c->mode;
	p->udp = c->encap;
	p->udp_port = c->encap ? sa->rport : 0;
	p->esn = c->suite.esn;
	p->alg = ike_suite_esp_alg(&c->suite);
	if (p->alg < 0)
		return -EINVAL;
	p->replay_window = cc->replay_window;
	/* The dataplane reports the soft limit at 90 % of the hard one. */
	p->life_bytes = cc->rekey_bytes ? cc->rekey_bytes + cc->rekey_bytes / 9 : 0;
	p->life_packets = cc->rekey_packets ? cc->rekey_packets + cc->rekey_packets / 9 : 0;
	p->life_seconds = cc->life_time ? cc->life_time
					: (cc->rekey_time ? cc->rekey_time + cc->rekey_time / 10 : 0);
	/* Tunnel mode: the inner header carries the selectors, which across
	 * a NAT are not the addresses the ESP packets travel between. */
	if (c->mode == CFG_SA_TUNNEL) {
		p->inner_local = c->ts_local;
		p->inner_remote = c->ts_remote;
	}
	p->in.spi = c->spi_in;
	p->out.spi = c->spi_out;
	p->in.key_len = p->out.key_len = (uint8_t)el;
	p->in.auth_len = p->out.auth_len = (uint8_t)il;
	memcpy(p->in.key, kin, el);
	memcpy(p->in.auth_key, kin + el, il);
	memcpy(p->out.key, kout, el);
	memcpy(p->out.auth_key, kout + el, il);
	return 0;
}

int ike_child_install(struct ike_sa *sa, struct ike_child *c, int we_initiated, const uint8_t *keymat,
		      int inbound_only)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_child *cc = &ike_sa_conn(sa)->child;
	struct cfg_sa p;
	uint64_t now = ike_now(e);
	unsigned life;
	size_t el, il;
	int rc;

	if ((rc = ike_child_params(sa, c, we_initiated, keymat, &p)))
		return rc;
	life = p.life_seconds;
	inbound_only = inbound_only && e->env.child_install_inbound;
	e->in_env++;
	if (inbound_only)
		rc = e->env.child_install_inbound(e->env.ctx, &p);
	else
		rc = e->env.child_install(e->env.ctx, &p);
	e->in_env--;
	explicit_bzero(&p, sizeof(p));
	if (rc)
		return rc;
	c->state = IKE_C_INSTALLED;
	c->in_dp = 1;
	c->installed_ms = now;
	c->seq = ++e->install_seq;
	c->rekey_at = cc->rekey_time ? now + ike_jitter(e, (uint64_t)cc->rekey_time * 1000) : 0;
	c->expire_at = life ? now + (uint64_t)life * 1000 : 0;
	/* Kept to make it the current pair again later (ike_child_current_set). */
	ike_suite_key_lens(&c->suite, &el, &il);
	c->we_init = (uint8_t)we_initiated;
	memcpy(c->keymat, keymat, 2 * (el + il));
	if (inbound_only) {
		/* The outbound half waits for the peer's Delete of the old one. */
		c->out_pending = 1;
		c->out_at = now + IKE_OUT_SWITCH_MS;
	}
	e->cnt.child_installed++;
	ike_log(e, 0, "ike: CHILD_SA %08x_i %08x_o with %s installed (%s%s%s)", c->spi_in, c->spi_out,
		inet_ntoa((struct in_addr){sa->remote}),
		c->mode == CFG_SA_TUNNEL ? "tunnel" : "transport", c->encap ? ", udp" : "",
		inbound_only ? ", inbound only for now" : "");
	return 0;
}

void ike_sa_unprotected(struct ike_sa *sa)
{
	int was_up = sa->announced_up;

	if (ike_child_current(sa) || sa->state == IKE_S_DEAD)
		return;
	/* No CHILD_SA left: the IKE SA is of no use to a GRE tunnel. Marked
	 * going first, so a reconnect from the callback starts a new one. */
	sa->announced_up = 0;
	if (sa->state == IKE_S_ESTABLISHED) {
		sa->tasks = 0;
		sa->state = IKE_S_DELETING;
		ike_task_queue(sa, IKE_T_DELETE_IKE);
	}
	if (!sa->redundant)
		ike_dup_orphans(sa);
	if (was_up)
		ike_env_peer_event(sa, 0);
}

void ike_env_peer_event(struct ike_sa *sa, int up)
{
	struct ike_engine *e = sa->e;

	/* Once per peer: while another IKE SA (crossed initiations) keeps
	 * the peer up, one coming or going is no news. */
	if (ike_peer_announced(sa))
		return;
	e->in_env++;
	e->env.peer_event(e->env.ctx, sa->tunnel, sa->remote, up);
	e->in_env--;
}

void ike_sa_announce_up(struct ike_sa *sa)
{
	if (sa->announced_up || sa->state == IKE_S_DEAD || !ike_child_current(sa))
		return;
	sa->announced_up = 1;
	ike_dup_attempts_drop(sa);
	ike_env_peer_event(sa, 1);
}

void ike_child_commit(struct ike_sa *sa, struct ike_child *c)
{
	if (c->out_pending)
		ike_child_current_set(sa, c);
}

void ike_child_current_set(struct ike_sa *sa, struct ike_child *c)
{
	struct ike_engine *e = sa->e;
	struct cfg_sa p;
	int rc;

	rc = ike_child_params(sa, c, c->we_init, c->keymat, &p);
	if (!rc) {
		e->in_env++;
		rc = e->env.child_install(e->env.ctx, &p);
		e->in_env--;
	}
	explicit_bzero(&p, sizeof(p));
	c->out_pending = 0;
	c->seq = ++e->install_seq;
	if (rc) {
		ike_log(e, 0, "ike: CHILD_SA %08x_i: cannot switch the outbound: %d", c->spi_in, rc);
		ike_child_remove(sa, c);
		return;
	}
	ike_log(e, 0, "ike: CHILD_SA %08x_i %08x_o with %s carries our traffic now", c->spi_in,
		c->spi_out, inet_ntoa((struct in_addr){sa->remote}));
}

/* ---- sending ---- */

void ike_out_init(struct ike_out *o)
{
	ike_w_init(&o->w, o->buf, sizeof(o->buf));
}

void ike_send_raw(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote,
		  uint16_t rport, const uint8_t *msg, size_t len)
{
	e->cnt.tx_msgs++;
	e->env.send(e->env.ctx, local, lport, remote, rport, msg, len);
}

void ike_send_cached(struct ike_sa *sa, const uint8_t *msg, size_t len)
{
	sa->last_tx_ms = ike_now(sa->e);
	ike_send_raw(sa->e, sa->local, sa->lport, sa->remote, sa->rport, msg, len);
}

/* Close an inner chain: its bytes and its first payload type (what the
 * SK payload's next-payload field names). */
static uint8_t ike_out_first(struct ike_out *o, const uint8_t **plain, size_t *plen)
{
	int n = ike_w_finish(&o->w);

	*plain = o->buf;
	*plen = n > 0 ? (size_t)n : 0;
	return o->w.first;
}

static int ike_seal(struct ike_sa *sa, uint8_t exchange, int response, uint32_t msg_id,
		    struct ike_out *o, uint8_t *msg, size_t cap)
{
	struct ike_w w;
	uint8_t iv[16];
	const uint8_t *plain;
	size_t plen;
	uint8_t first;
	uint8_t flags = (uint8_t)((sa->initiator ? IKE_FLAG_INITIATOR : 0) |
				  (response ? IKE_FLAG_RESPONSE : 0));

	int n;

	first = ike_out_first(o, &plain, &plen);
	if (o->w.err) {
		n = -ENOSPC;
	} else {
		ike_w_init(&w, msg, cap);
		ike_w_hdr(&w, sa->spi_i, sa->spi_r, exchange, flags, msg_id);
		ike_rand(sa->e, iv, sizeof(iv));
		n = ike_sk_seal(&w, &sa->suite, ike_sa_ke_out(sa), ike_sa_ka_out(sa), first, plain,
				plen, iv);
	}
	if (n < 0)
		ike_log(sa->e, 0, "ike: cannot build a %s %s for %s: %d", ike_exchange_name(exchange),
			response ? "response" : "request", inet_ntoa((struct in_addr){sa->remote}), n);
	return n;
}

int ike_send_response(struct ike_sa *sa, uint8_t exchange, uint32_t msg_id, struct ike_out *o)
{
	uint8_t msg[IKE_MAX_MSG];
	int n = ike_seal(sa, exchange, 1, msg_id, o, msg, sizeof(msg));

	if (n < 0)
		return n;
	free(sa->resp);
	sa->resp = malloc((size_t)n);
	if (sa->resp) {
		memcpy(sa->resp, msg, (size_t)n);
		sa->resp_len = (size_t)n;
	}
	sa->resp_exchange = exchange;
	ike_send_cached(sa, msg, (size_t)n);
	return 0;
}

static void ike_req_arm(struct ike_sa *sa, uint8_t task)
{
	uint64_t now = ike_now(sa->e);

	sa->req_busy = 1;
	sa->req_task = task;
	sa->req_tries = 0;
	sa->req_first_ms = now;
	sa->req_next_ms = now + sa->e->conf.retransmit_timeout_ms;
}

int ike_send_request(struct ike_sa *sa, uint8_t exchange, uint8_t task, struct ike_out *o)
{
	uint8_t msg[IKE_MAX_MSG];
	int n;

	if (sa->req_busy)
		return -EBUSY;
	n = ike_seal(sa, exchange, 0, sa->req_id, o, msg, sizeof(msg));
	if (n < 0)
		return n;
	free(sa->req);
	sa->req = malloc((size_t)n);
	if (!sa->req)
		return -ENOMEM;
	memcpy(sa->req, msg, (size_t)n);
	sa->req_len = (size_t)n;
	ike_req_arm(sa, task);
	ike_send_cached(sa, msg, (size_t)n);
	return 0;
}

/* IKE_SA_INIT requests are not sealed; ike_init.c builds them whole. */
int ike_send_request_plain(struct ike_sa *sa, uint8_t task, const uint8_t *msg, size_t len)
{
	uint8_t *copy = malloc(len);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	free(sa->req);
	sa->req = copy;
	sa->req_len = len;
	ike_req_arm(sa, task);
	ike_send_cached(sa, msg, len);
	return 0;
}

/* ---- tasks ---- */

void ike_task_queue(struct ike_sa *sa, uint8_t task)
{
	sa->tasks |= IKE_TB(task);
	ike_task_next(sa);
}

void ike_task_next(struct ike_sa *sa)
{
	static const uint8_t order[] = {IKE_T_DELETE_IKE, IKE_T_DELETE_CHILD, IKE_T_IKE_REKEY,
					IKE_T_CHILD_REKEY, IKE_T_DPD};

	while (!sa->req_busy && sa->tasks && sa->state != IKE_S_DEAD) {
		uint8_t t = 0;
		int rc = 0;

		for (unsigned i = 0; i < sizeof(order); i++)
			if (sa->tasks & IKE_TB(order[i])) {
				t = order[i];
				break;
			}
		if (!t) {
			sa->tasks = 0;
			return;
		}
		sa->tasks &= ~IKE_TB(t);
		/* Only an established SA takes new exchanges; a Delete goes out
		 * from any state that has keys. */
		if (t != IKE_T_DELETE_IKE && t != IKE_T_DELETE_CHILD && sa->state != IKE_S_ESTABLISHED)
			continue;
		switch (t) {
		case IKE_T_DELETE_IKE:
			rc = ike_info_delete_ike_start(sa);
			break;
		case IKE_T_DELETE_CHILD:
			rc = ike_info_delete_child_start(sa);
			break;
		case IKE_T_IKE_REKEY:
			rc = ike_ike_rekey_start(sa);
			break;
		case IKE_T_CHILD_REKEY:
			rc = ike_child_rekey_start(sa);
			break;
		case IKE_T_DPD:
			rc = ike_info_dpd_start(sa);
			break;
		}
		if (rc)
			ike_log(sa->e, 0, "ike: %016llx_i task %u failed: %d",
				(unsigned long long)sa->spi_i, t, rc);
	}
}

/* ---- input ---- */

static int ike_known_payload(uint8_t t)
{
	return (t >= IKE_PL_SA && t <= IKE_PL_EAP);
}

/* The first unknown payload with the critical bit set, or 0. */
static uint8_t ike_unknown_critical(const struct ike_chain *c)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->pl[i].critical && !ike_known_payload(c->pl[i].type))
			return c->pl[i].type;
	return 0;
}

uint8_t ike_chain_unknown_critical(const struct ike_chain *c)
{
	return ike_unknown_critical(c);
}

static void ike_response_in(struct ike_sa *sa, const struct ike_hdr_view *h, const struct ike_chain *c)
{
	uint8_t task = sa->req_task;

	sa->req_busy = 0;
	sa->req_id++;
	free(sa->req);
	sa->req = NULL;
	switch (h->exchange) {
	case IKE_AUTH:
		if (task == IKE_T_AUTH)
			ike_auth_response(sa, c);
		break;
	case IKE_CREATE_CHILD_SA:
		if (task == IKE_T_CHILD_REKEY || task == IKE_T_IKE_REKEY)
			ike_create_response(sa, c);
		break;
	case IKE_INFORMATIONAL:
		ike_info_response(sa, c);
		break;
	}
	(void)task;
}

static void ike_request_in(struct ike_sa *sa, const struct ike_hdr_view *h, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	uint8_t crit = ike_unknown_critical(c);

	if (sa->state == IKE_S_INIT_DONE && h->exchange != IKE_AUTH) {
		/* The first exchange after IKE_SA_INIT must be IKE_AUTH
		 * (RFC 7296 1.2): refuse, and keep nothing of this SA. */
		struct ike_out o;

		e->cnt.rx_malformed++;
		ike_out_init(&o);
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		ike_send_response(sa, h->exchange, h->msg_id, &o);
		ike_sa_kill(sa, 1);
		return;
	}
	if (crit) {
		struct ike_out o;

		e->cnt.rx_unsupported_critical++;
		ike_out_init(&o);
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &crit, 1);
		sa->resp_id++;
		ike_send_response(sa, h->exchange, h->msg_id, &o);
		return;
	}
	sa->resp_id++;
	switch (h->exchange) {
	case IKE_AUTH:
		ike_auth_request(sa, h->msg_id, c);
		break;
	case IKE_CREATE_CHILD_SA:
		ike_create_request(sa, h->msg_id, c);
		break;
	case IKE_INFORMATIONAL:
		ike_info_request(sa, h->msg_id, c);
		break;
	default: {
		struct ike_out o;

		e->cnt.rx_malformed++;
		ike_out_init(&o);
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		ike_send_response(sa, h->exchange, h->msg_id, &o);
	}
	}
}

static void ike_input_sa(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote,
			 uint16_t rport, const uint8_t *msg, size_t len, const struct ike_hdr_view *h)
{
	int we_init = !(h->flags & IKE_FLAG_INITIATOR);
	int response = !!(h->flags & IKE_FLAG_RESPONSE);
	struct ike_sa *sa = ike_sa_by_spi(e, we_init ? h->spi_i : h->spi_r, we_init);
	struct ike_chain outer, inner;
	const struct ike_payload *sk;
	uint8_t plain[IKE_MAX_MSG];
	size_t plen;
	int rc;

	if (!sa || sa->spi_i != h->spi_i || sa->spi_r != h->spi_r || !sa->keys_ok) {
		e->cnt.rx_bad_spi++;
		return;
	}
	if (ike_chain_parse(h->next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, &outer) != IKE_PARSE_OK ||
	    !(sk = ike_chain_find(&outer, IKE_PL_SK))) {
		e->cnt.rx_malformed++;
		return;
	}
	/* Integrity first: nothing of an unauthenticated message counts. */
	rc = ike_sk_open(msg, len, sk, &sa->suite, we_init ? sa->keys.sk_er : sa->keys.sk_ei,
			 we_init ? sa->keys.sk_ar : sa->keys.sk_ai, plain, sizeof(plain), &plen);
	if (rc == -EBADMSG) {
		e->cnt.rx_bad_integrity++;
		return;
	}
	if (rc) {
		e->cnt.rx_malformed++;
		return;
	}
	/* The first inner payload is the SK payload's next-payload field. */
	if (ike_chain_parse(sk->next, plain, plen, &inner) != IKE_PARSE_OK) {
		e->cnt.rx_malformed++;
		return;
	}
	if (response) {
		if (!sa->req_busy || h->msg_id != sa->req_id) {
			e->cnt.rx_bad_msgid++;
			return;
		}
	} else if (h->msg_id != sa->resp_id) {
		if (sa->resp && h->msg_id + 1 == sa->resp_id) {
			/* A retransmitted request: our answer was lost. */
			e->cnt.rx_duplicates++;
			ike_send_cached(sa, sa->resp, sa->resp_len);
		} else {
			e->cnt.rx_bad_msgid++;
		}
		return;
	}
	sa->last_rx_ms = ike_now(e);
	/* Behind a NAT the peer's mapping may change; follow authenticated
	 * messages (RFC 7296 2.23). */
	if ((sa->nat_local || sa->nat_remote || lport == IKE_NATT_PORT) &&
	    (sa->remote != remote || sa->rport != rport)) {
		if (sa->remote != remote)
			ike_sa_set_remote(sa, remote);
		else if (sa->rport != rport && sa->e->env.child_rebind)
			sa->e->env.child_rebind(sa->e->env.ctx, sa->tunnel, remote, rport);
		sa->rport = rport;
	}
	sa->local = local;
	sa->lport = lport;
	if (response)
		ike_response_in(sa, h, &inner);
	else
		ike_request_in(sa, h, &inner);
	explicit_bzero(plain, sizeof(plain));
	ike_task_next(sa);
}

void ike_input(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
	       const uint8_t *msg, size_t len)
{
	struct ike_hdr_view h;

	e->cnt.rx_msgs++;
	if (ike_hdr_parse(msg, len, &h) != IKE_PARSE_OK) {
		e->cnt.rx_malformed++;
		return;
	}
	if (h.exchange == IKE_SA_INIT) {
		if (!(h.flags & IKE_FLAG_RESPONSE)) {
			ike_init_request(e, local, lport, remote, rport, msg, len, &h);
		} else {
			struct ike_sa *sa = ike_sa_by_spi(e, h.spi_i, 1);

			if (!sa || sa->state != IKE_S_INIT_SENT)
				e->cnt.rx_bad_spi++;
			else if (h.msg_id != 0)
				e->cnt.rx_bad_msgid++;
			else
				ike_init_response(sa, msg, len, &h);
		}
	} else if (h.exchange >= IKE_AUTH && h.exchange <= IKE_INFORMATIONAL) {
		ike_input_sa(e, local, lport, remote, rport, msg, len, &h);
	} else {
		e->cnt.rx_malformed++;
	}
	ike_sa_sweep(e);
}

/* ---- timers ---- */

static void ike_sa_retransmit(struct ike_sa *sa, uint64_t now)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	unsigned tries = e->conf.retransmit_tries;
	int give_up = sa->req_tries >= tries;

	if (sa->req_task == IKE_T_DPD && c->dpd_timeout &&
	    now - sa->req_first_ms >= (uint64_t)c->dpd_timeout * 1000)
		give_up = 1;
	if (give_up) {
		ike_log(e, 0, "ike: %s not answering, giving up on %016llx_i",
			inet_ntoa((struct in_addr){sa->remote}), (unsigned long long)sa->spi_i);
		if (sa->req_task == IKE_T_DPD)
			e->cnt.dpd_failed++;
		ike_sa_kill(sa, 0);
		return;
	}
	sa->req_tries++;
	e->cnt.retransmits++;
	sa->req_next_ms = now + ((uint64_t)e->conf.retransmit_timeout_ms << sa->req_tries);
	if (sa->req)
		ike_send_cached(sa, sa->req, sa->req_len);
}

static void ike_sa_timers(struct ike_sa *sa, uint64_t now)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *c = ike_sa_conn(sa);

	if (sa->state == IKE_S_DEAD)
		return;
	if (ike_sa_half_open(sa) && now >= sa->half_open_until) {
		e->cnt.half_open_expired++;
		ike_sa_kill(sa, 1);
		return;
	}
	if (sa->req_busy && now >= sa->req_next_ms) {
		ike_sa_retransmit(sa, now);
		if (sa->state == IKE_S_DEAD)
			return;
	}
	if (sa->state == IKE_S_REKEYED && now - sa->last_rx_ms > 60000 && !sa->req_busy) {
		/* The peer never deleted the replaced SA: do it ourselves. */
		ike_task_queue(sa, IKE_T_DELETE_IKE);
	}
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	if (sa->redundant) {
		/* Going: no rekeys, no liveness checks, its CHILD_SA stays inbound only. */
		ike_dup_timer(sa, now);
		return;
	}
	if (sa->expire_at && now >= sa->expire_at) {
		ike_log(e, 0, "ike: %016llx_i reached its hard lifetime", (unsigned long long)sa->spi_i);
		ike_task_queue(sa, IKE_T_DELETE_IKE);
		return;
	}
	if (sa->rekey_at && now >= sa->rekey_at) {
		sa->rekey_at = 0;
		ike_task_queue(sa, IKE_T_IKE_REKEY);
	}
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child *ch = &sa->child[i];

		if (ch->state == IKE_C_REKEYED && !ch->del_by_us &&
		    now - ch->rekeyed_at >= IKE_OLD_CHILD_MS) {
			/* The peer rekeyed it but never deleted it: we do. */
			ch->del_by_us = 1;
			ike_task_queue(sa, IKE_T_DELETE_CHILD);
		}
		if (ch->state != IKE_C_INSTALLED)
			continue;
		if (ch->out_pending && now >= ch->out_at)
			ike_child_commit(sa, ch);
		if (ch->expire_at && now >= ch->expire_at) {
			/* Hard end with no rekey done: the tunnel is down. */
			ike_task_queue(sa, IKE_T_DELETE_IKE);
			return;
		}
		if (ch->rekey_at && now >= ch->rekey_at) {
			ch->rekey_at = 0;
			ike_task_queue(sa, IKE_T_CHILD_REKEY);
		}
	}
	if (c->dpd_delay && !sa->req_busy && now - sa->last_rx_ms >= (uint64_t)c->dpd_delay * 1000)
		ike_task_queue(sa, IKE_T_DPD);
	ike_task_next(sa);
	/* Keep the NAT's mapping in front of us open (RFC 3948 4). */
	if (sa->nat_local && e->env.keepalive && now - sa->last_tx_ms >= IKE_NATT_KEEPALIVE_MS) {
		sa->last_tx_ms = now;
		e->env.keepalive(e->env.ctx, sa->local, sa->lport, sa->remote, sa->rport);
	}
}

void ike_tick(struct ike_engine *e)
{
	uint64_t now = ike_now(e);

	if (now >= e->cookie_rotate_ms)
		ike_cookie_rotate(e);
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		ike_sa_timers(sa, now);
	ike_sa_sweep(e);
}

static uint64_t ike_min_due(uint64_t best, uint64_t at, uint64_t now)
{
	uint64_t d;

	if (!at)
		return best;
	d = at > now ? at - now : 0;
	return d < best ? d : best;
}

uint64_t ike_next_timer_ms(const struct ike_engine *e)
{
	uint64_t now = ike_now(e), best = UINT64_MAX;

	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		const struct cfg_ike_conn *c = &e->conf.conns[sa->conn];

		if (sa->state == IKE_S_DEAD)
			continue;
		if (sa->req_busy)
			best = ike_min_due(best, sa->req_next_ms, now);
		if (!sa->initiator && sa->state == IKE_S_INIT_DONE)
			best = ike_min_due(best, sa->half_open_until, now);
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		if (sa->redundant) {
			best = ike_min_due(best, sa->dup_at, now);
			continue;
		}
		best = ike_min_due(best, sa->rekey_at, now);
		best = ike_min_due(best, sa->expire_at, now);
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
			if (sa->child[i].state != IKE_C_INSTALLED)
				continue;
			best = ike_min_due(best, sa->child[i].rekey_at, now);
			if (sa->child[i].out_pending)
				best = ike_min_due(best, sa->child[i].out_at, now);
			best = ike_min_due(best, sa->child[i].expire_at, now);
		}
		if (c->dpd_delay && !sa->req_busy)
			best = ike_min_due(best, sa->last_rx_ms + (uint64_t)c->dpd_delay * 1000, now);
		if (sa->nat_local && e->env.keepalive)
			best = ike_min_due(best, sa->last_tx_ms + IKE_NATT_KEEPALIVE_MS, now);
	}
	if (e->cookie_rotate_ms)
		best = ike_min_due(best, e->cookie_rotate_ms, now);
	return best;
}

/* ---- engine ---- */

static int ike_conf_copy(struct cfg_ike *dst, const struct cfg_ike *src)
{
	*dst = *src;
	dst->secrets = NULL;
	if (src->n_secrets) {
		dst->secrets = calloc(src->n_secrets, sizeof(*dst->secrets));
		if (!dst->secrets)
			return -ENOMEM;
		memcpy(dst->secrets, src->secrets, src->n_secrets * sizeof(*dst->secrets));
	}
	if (!dst->retransmit_tries)
		dst->retransmit_tries = 5;
	if (!dst->retransmit_timeout_ms)
		dst->retransmit_timeout_ms = 1000;
	if (!dst->half_open_timeout)
		dst->half_open_timeout = 30;
	return 0;
}

static void ike_conf_free(struct cfg_ike *c)
{
	if (c->secrets)
		explicit_bzero(c->secrets, c->n_secrets * sizeof(*c->secrets));
	free(c->secrets);
	c->secrets = NULL;
}

struct ike_engine *ike_engine_create(const struct ike_env *env, const struct cfg_ike *conf)
{
	struct ike_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->env = *env;
	e->by_spi = calloc(IKE_HASH_SIZE, sizeof(*e->by_spi));
	e->by_pspi = calloc(IKE_HASH_SIZE, sizeof(*e->by_pspi));
	e->by_peer = calloc(IKE_HASH_SIZE, sizeof(*e->by_peer));
	if (!e->by_spi || !e->by_pspi || !e->by_peer || ike_conf_copy(&e->conf, conf)) {
		free(e->by_spi);
		free(e->by_pspi);
		free(e->by_peer);
		free(e);
		return NULL;
	}
	if (ike_cred_setup(e, &e->conf, e->cred)) {
		ike_conf_free(&e->conf);
		free(e->by_spi);
		free(e->by_pspi);
		free(e->by_peer);
		free(e);
		return NULL;
	}
	ike_cookie_rotate(e);
	return e;
}

static void ike_cred_drop(struct ike_cred **cred)
{
	for (unsigned i = 0; i < CFG_IKE_MAX_CONNS; i++) {
		ike_cred_free(cred[i]);
		cred[i] = NULL;
	}
}

void ike_engine_destroy(struct ike_engine *e)
{
	if (!e)
		return;
	e->closing = 1;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_REKEYED) {
			/* Best effort: one Delete, no retransmits. */
			sa->req_busy = 0;
			ike_info_delete_ike_start(sa);
		}
		ike_sa_kill(sa, 0);
	}
	e->in_env = 0;
	ike_sa_sweep(e);
	ike_cred_drop(e->cred);
	ike_conf_free(&e->conf);
	free(e->by_spi);
	free(e->by_pspi);
	free(e->by_peer);
	explicit_bzero(e, sizeof(*e));
	free(e);
}

static int ike_conn_find_name(const struct cfg_ike *c, const char *name)
{
	for (unsigned i = 0; i < c->n_conns; i++)
		if (!strcmp(c->conns[i].name, name))
			return (int)i;
	return -1;
}

int ike_engine_reconfigure(struct ike_engine *e, const struct cfg_ike *conf)
{
	struct cfg_ike nc;
	struct ike_cred *cred[CFG_IKE_MAX_CONNS] = {0};
	int rc;

	if ((rc = ike_conf_copy(&nc, conf)))
		return rc;
	if ((rc = ike_cred_setup(e, &nc, cred))) {
		ike_conf_free(&nc);
		return rc;
	}
	/* SAs follow their connection by name; those of a removed one go. */
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		int idx = ike_conn_find_name(&nc, e->conf.conns[sa->conn].name);

		if (sa->state == IKE_S_DEAD)
			continue;
		if (idx < 0 || nc.conns[idx].tunnel != sa->tunnel) {
			if (sa->state == IKE_S_ESTABLISHED) {
				sa->req_busy = 0;
				ike_info_delete_ike_start(sa);
			}
			ike_sa_kill(sa, 0);
			sa->conn = 0;
		} else {
			sa->conn = (unsigned)idx;
		}
	}
	ike_sa_sweep(e);
	ike_cred_drop(e->cred);
	memcpy(e->cred, cred, sizeof(cred));
	ike_conf_free(&e->conf);
	e->conf = nc;
	return 0;
}

/* ---- peers ---- */

static int ike_conn_for_tunnel(const struct ike_engine *e, unsigned tunnel)
{
	for (unsigned i = 0; i < e->conf.n_conns; i++)
		if (e->conf.conns[i].tunnel == tunnel)
			return (int)i;
	return -1;
}

static int ike_sa_state_of(const struct ike_sa *sa)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->child[i].state == IKE_C_INSTALLED)
			return IKE_PEER_UP;
	return IKE_PEER_CONNECTING;
}

int ike_peer_state(const struct ike_engine *e, unsigned tunnel, uint32_t peer)
{
	int best = IKE_PEER_NONE;

	IKE_FOR_PEER((struct ike_engine *)e, tunnel, peer, sa) {
		int s;

		/* A half-open responder SA is anyone's IKE_SA_INIT: neither
		 * the peer nor the peer coming up. */
		if (sa->state == IKE_S_DELETING || ike_sa_half_open(sa))
			continue;
		s = ike_sa_state_of(sa);
		if (s > best)
			best = s;
	}
	return best;
}

int ike_connect(struct ike_engine *e, unsigned tunnel, uint32_t peer)
{
	int conn = ike_conn_for_tunnel(e, tunnel), st, rc;
	struct ike_sa *sa;

	if (conn < 0)
		return -ENOENT;
	if (e->closing)
		return -ESHUTDOWN;
	st = ike_peer_state(e, tunnel, peer);
	if (st != IKE_PEER_NONE)
		return st;
	sa = ike_sa_new(e, (unsigned)conn, 1, e->conf.conns[conn].local_addr, IKE_PORT, peer, IKE_PORT);
	if (!sa)
		return -ENOMEM;
	if ((rc = ike_init_start(sa))) {
		ike_sa_kill(sa, 1);
		ike_sa_sweep(e);
		return rc;
	}
	return IKE_PEER_CONNECTING;
}

void ike_sa_delete_begin(struct ike_sa *sa)
{
	/* Children go now; the IKE SA when the Delete is answered. */
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		ike_child_remove(sa, &sa->child[i]);
	sa->announced_up = 0;
	/* An exchange in flight is abandoned: the Delete wins. */
	ike_rekey_abort(sa);
	sa->req_busy = 0;
	sa->tasks = 0;
	sa->state = IKE_S_DELETING;
	ike_task_queue(sa, IKE_T_DELETE_IKE);
}

void ike_disconnect(struct ike_engine *e, unsigned tunnel, uint32_t peer)
{
	IKE_FOR_PEER(e, tunnel, peer, sa) {
		if (sa->keys_ok && (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_REKEYED)) {
			int was_up = sa->announced_up;

			ike_sa_delete_begin(sa);
			if (was_up)
				ike_env_peer_event(sa, 0);
		} else {
			ike_sa_kill(sa, 0);
		}
	}
	ike_sa_sweep(e);
}

void ike_child_expiring(struct ike_engine *e, unsigned tunnel, uint32_t peer, int hard)
{
	IKE_FOR_PEER(e, tunnel, peer, sa) {
		/* A redundant SA's CHILD_SA is not the dataplane's. */
		if (sa->state != IKE_S_ESTABLISHED || sa->redundant || !ike_child_current(sa))
			continue;
		if (hard) {
			/* Its keys are spent: the dataplane dropped it. */
			struct ike_child *c = ike_child_current(sa);

			ike_child_remove(sa, c);
			ike_sa_unprotected(sa);
		} else {
			ike_task_queue(sa, IKE_T_CHILD_REKEY);
		}
	}
	ike_sa_sweep(e);
}

/* ---- show ---- */

unsigned ike_sa_list(const struct ike_engine *e, struct ike_sa_info *out, unsigned max)
{
	unsigned n = 0;
	uint64_t now = ike_now(e);

	for (const struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		struct ike_sa_info *o;
		const struct ike_child *ch = NULL;
		const struct cfg_ike_conn *c = &e->conf.conns[sa->conn];

		if (sa->state == IKE_S_DEAD)
			continue;
		if (n >= max) {
			n++;
			continue;
		}
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->tunnel = sa->tunnel;
		snprintf(o->conn, sizeof(o->conn), "%s", c->name);
		o->local = sa->local;
		o->remote = sa->remote;
		o->lport = sa->lport;
		o->rport = sa->rport;
		o->spi_i = sa->spi_i;
		o->spi_r = sa->spi_r;
		o->initiator = sa->initiator;
		o->state = ike_state_name(sa->state);
		snprintf(o->local_id, sizeof(o->local_id), "%s", sa->local_id);
		snprintf(o->remote_id, sizeof(o->remote_id), "%s", sa->remote_id);
		if (sa->keys_ok)
			ike_suite_format(&sa->suite, 0, o->suite, sizeof(o->suite));
		o->nat_local = sa->nat_local;
		o->nat_remote = sa->nat_remote;
		o->established_ms = sa->established_ms;
		o->rekey_in_ms = sa->rekey_at > now ? sa->rekey_at - now : 0;
		o->dpd_idle_ms = now - sa->last_rx_ms;
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			if (sa->child[i].state == IKE_C_INSTALLED &&
			    (!ch || sa->child[i].seq > ch->seq))
				ch = &sa->child[i];
		if (ch) {
			o->child_up = 1;
			ike_suite_format(&ch->suite, 1, o->child_suite, sizeof(o->child_suite));
			o->child_mode = ch->mode;
			o->child_encap = ch->encap;
			o->child_spi_in = ch->spi_in;
			o->child_spi_out = ch->spi_out;
			o->child_rekey_in_ms = ch->rekey_at > now ? ch->rekey_at - now : 0;
			o->child_ts_local = ch->ts_local;
			o->child_ts_remote = ch->ts_remote;
		}
	}
	return n;
}

const struct ike_counters *ike_engine_counters(const struct ike_engine *e)
{
	return &e->cnt;
}
