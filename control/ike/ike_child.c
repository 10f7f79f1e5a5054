/* SPDX-License-Identifier: BSD-3-Clause */
/* CREATE_CHILD_SA (RFC 7296 1.3, 2.8, 2.18): CHILD_SA rekey with optional PFS, IKE SA rekey, collisions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "control/ike/ike_priv.h"

static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	return r ? r : (al > bl) - (al < bl);
}

/* RFC 7296 2.8.1: the exchange holding the lowest of the four nonces made
 * the redundant SA. 1 if that is ours. */
static int ike_collision_lost(const struct ike_sa *sa)
{
	const uint8_t *mine = sa->rk.ni, *theirs = sa->prk.ni;
	size_t ml = IKE_NONCE_LEN, tl = sa->prk.ni_len;

	if (nonce_cmp(sa->rk.nr, sa->rk.nr_len, mine, ml) < 0) {
		mine = sa->rk.nr;
		ml = sa->rk.nr_len;
	}
	if (nonce_cmp(sa->prk.nr, IKE_NONCE_LEN, theirs, tl) < 0) {
		theirs = sa->prk.nr;
		tl = IKE_NONCE_LEN;
	}
	return nonce_cmp(mine, ml, theirs, tl) < 0;
}

/* The peer's rekey, answered while ours is out: its nonces decide the
 * collision once our own exchange completes. nr: our IKE_NONCE_LEN bytes. */
static void peer_rekey_note(struct ike_sa *sa, const struct ike_payload *np, const uint8_t *nr)
{
	sa->prk.active = 1;
	memcpy(sa->prk.ni, np->body, np->len);
	sa->prk.ni_len = np->len;
	memcpy(sa->prk.nr, nr, IKE_NONCE_LEN);
}

void ike_rekey_abort(struct ike_sa *sa)
{
	if (sa->prk.new_sa && sa->prk.new_sa->rekey_parent == sa)
		sa->prk.new_sa->rekey_parent = NULL;
	ike_dh_free(sa->rk.dh);
	explicit_bzero(&sa->rk, sizeof(sa->rk));
	explicit_bzero(&sa->prk, sizeof(sa->prk));
}

static int ike_esp_group_offered(const struct cfg_ike_conn *c, uint16_t g)
{
	for (unsigned i = 0; i < c->child.n_esp; i++)
		if (c->child.esp[i].dh == g)
			return 1;
	return 0;
}

static int ike_ike_group_offered(const struct cfg_ike_conn *c, uint16_t g)
{
	for (unsigned i = 0; i < c->n_ike; i++)
		if (c->ike[i].dh == g)
			return 1;
	return 0;
}

static const struct ike_payload *ike_nonce_payload(const struct ike_chain *c)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_NONCE);

	return p && p->len >= 16 && p->len <= IKE_MAX_NONCE ? p : NULL;
}

static void ike_create_error(struct ike_sa *sa, uint32_t msg_id, uint16_t type, const uint8_t *data,
			     size_t len)
{
	struct ike_out o;

	ike_out_init(&o);
	ike_w_notify(&o.w, 0, NULL, 0, type, data, len);
	ike_send_response(sa, IKE_CREATE_CHILD_SA, msg_id, &o);
}

/* ---- CHILD_SA rekey: initiator ---- */

int ike_child_rekey_start(struct ike_sa *sa)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	struct ike_child *old = ike_child_current(sa);
	struct ike_rekey *rk = &sa->rk;
	struct ike_sa_view v;
	struct ike_ts tsi, tsr;
	struct ike_out o;
	uint8_t pub[IKE_MAX_DH_PUB];
	size_t pub_len = sizeof(pub);
	uint32_t old_be;
	int rc;

	if (!old || rk->active)
		return 0;
	memset(rk, 0, sizeof(*rk));
	rk->old_spi_in = old->spi_in;
	rk->new_spi_in = ike_child_spi_new(sa->e);
	ike_rand(sa->e, rk->ni, IKE_NONCE_LEN);
	/* PFS when our first ESP proposal names a group (or the group the
	 * peer asked for last time). */
	if (c->child.n_esp && c->child.esp[0].dh) {
		rk->dh_group = sa->pfs_group ? sa->pfs_group : c->child.esp[0].dh;
		rk->dh = ike_dh_new(rk->dh_group, pub, &pub_len);
		if (!rk->dh)
			return -EINVAL;
	}
	if ((rc = ike_esp_sa(sa, rk->new_spi_in, 1, &v))) {
		ike_rekey_abort(sa);
		return rc;
	}
	old_be = htonl(old->spi_in);
	ike_out_init(&o);
	ike_w_notify(&o.w, IKE_PROTO_ESP, (const uint8_t *)&old_be, 4, IKE_N_REKEY_SA, NULL, 0);
	if (old->mode == CFG_SA_TRANSPORT)
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_sa(&o.w, &v);
	ike_w_nonce(&o.w, rk->ni, IKE_NONCE_LEN);
	if (rk->dh)
		ike_w_ke(&o.w, rk->dh_group, pub, pub_len);
	/* The selectors the CHILD_SA has (across a NAT the peer's own
	 * address, which a tunnel-mode peer insists on). */
	ike_ts_gre(old->ts_local ? old->ts_local : sa->local, &tsi);
	ike_ts_gre(old->ts_remote ? old->ts_remote : sa->remote, &tsr);
	ike_w_ts(&o.w, IKE_PL_TSI, &tsi, 1);
	ike_w_ts(&o.w, IKE_PL_TSR, &tsr, 1);
	if ((rc = ike_send_request(sa, IKE_CREATE_CHILD_SA, IKE_T_CHILD_REKEY, &o))) {
		ike_rekey_abort(sa);
		return rc;
	}
	rk->active = 1;
	ike_log(sa->e, 0, "ike: rekeying CHILD_SA %08x with %s", old->spi_in,
		inet_ntoa((struct in_addr){sa->remote}));
	return 0;
}

static void ike_child_rekey_done(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	struct ike_rekey *rk = &sa->rk;
	struct ike_child *old = ike_child_by_in(sa, rk->old_spi_in);
	const struct ike_payload *np = ike_nonce_payload(c), *kp;
	uint32_t ts[2];
	struct ike_suite esp;
	struct ike_ke_view ke;
	uint8_t gir[IKE_MAX_DH_PUB];
	size_t gir_len = 0;
	uint32_t spi_out;
	uint8_t num, mode;
	struct ike_notify_view nv;
	int rc;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->pl[i].type != IKE_PL_NOTIFY || ike_notify_parse(c->pl[i].body, c->pl[i].len, &nv) ||
		    nv.type > IKE_N_ERROR_MAX)
			continue;
		ike_log(e, 0, "ike: CHILD_SA rekey refused by %s: %s",
			inet_ntoa((struct in_addr){sa->remote}), ike_notify_name(nv.type));
		if (nv.type == IKE_N_INVALID_KE_PAYLOAD && nv.data_len == 2 && rk->dh) {
			uint16_t g = (uint16_t)(nv.data[0] << 8 | nv.data[1]);

			/* Again at once in the group it wants, if we offered it. */
			if (g != rk->dh_group && ike_esp_group_offered(ike_sa_conn(sa), g)) {
				sa->pfs_group = g;
				ike_rekey_abort(sa);
				ike_task_queue(sa, IKE_T_CHILD_REKEY);
				return;
			}
		}
		/* TEMPORARY_FAILURE: the peer is busy (often its own rekey of
		 * this CHILD_SA won); try again later if still needed. */
		if (old && old->state == IKE_C_INSTALLED && !sa->prk.active)
			old->rekey_at = ike_now(e) + 2000;
		ike_rekey_abort(sa);
		return;
	}
	if (!np || ike_esp_pick(sa, c, 1, 1, 0, &esp, &spi_out, &num) || esp.dh != rk->dh_group) {
		e->cnt.rx_malformed++;
		ike_rekey_abort(sa);
		return;
	}
	if (rk->dh) {
		kp = ike_chain_find(c, IKE_PL_KE);
		gir_len = sizeof(gir);
		if (!kp || ike_ke_parse(kp->body, kp->len, &ke) || ke.group != rk->dh_group ||
		    ike_dh_shared(rk->dh, ke.data, ke.len, gir, &gir_len)) {
			e->cnt.rx_malformed++;
			ike_rekey_abort(sa);
			return;
		}
	}
	mode = ike_chain_notify(c, IKE_N_USE_TRANSPORT_MODE) ? CFG_SA_TRANSPORT : CFG_SA_TUNNEL;
	memcpy(rk->nr, np->body, np->len);
	rk->nr_len = np->len;
	if (sa->prk.active && ike_collision_lost(sa)) {
		/*
		 * Both ends rekeyed this CHILD_SA and ours has the lowest nonce:
		 * ours is redundant. The peer installed it as responder, so
		 * delete it there; here the peer's (installed when we answered)
		 * stays the current pair, and the winner deletes the old one.
		 */
		struct ike_child *r = ike_child_slot(sa);

		e->cnt.collisions++;
		ike_log(e, 0, "ike: CHILD_SA rekey collision with %s: ours is redundant",
			inet_ntoa((struct in_addr){sa->remote}));
		if (r) {
			memset(r, 0, sizeof(*r));
			r->state = IKE_C_REDUNDANT;
			r->spi_in = rk->new_spi_in;
			r->spi_out = spi_out;
			ike_task_queue(sa, IKE_T_DELETE_CHILD);
		}
		explicit_bzero(gir, sizeof(gir));
		ike_rekey_abort(sa);
		return;
	}
	ike_child_ts_addrs(c, NULL, NULL, ts);
	rc = ike_child_make(sa, &esp, rk->new_spi_in, spi_out, mode, 1, rk->dh ? gir : NULL, gir_len,
			    rk->ni, IKE_NONCE_LEN, rk->nr, rk->nr_len, 0, ts);
	explicit_bzero(gir, sizeof(gir));
	if (rc) {
		ike_log(e, 0, "ike: cannot install the rekeyed CHILD_SA: %d", rc);
		ike_rekey_abort(sa);
		return;
	}
	e->cnt.child_rekeyed++;
	if (sa->prk.active) {
		/* We won: the pair the peer's rekey made is redundant; the peer
		 * deletes it. Never ours to send on, even if its Delete is late. */
		struct ike_child *pc = ike_child_by_in(sa, sa->prk.new_spi_in);

		e->cnt.collisions++;
		if (pc && pc->state == IKE_C_INSTALLED) {
			pc->state = IKE_C_REKEYED;
			pc->del_by_us = 0;
			pc->rekeyed_at = ike_now(e);
			pc->out_pending = 0;
			explicit_bzero(pc->keymat, sizeof(pc->keymat));
		}
	}
	/* New pair installed first; now the old one goes (no gap). */
	if (old) {
		old->state = IKE_C_REKEYED;
		old->del_by_us = 1;
		old->rekeyed_at = ike_now(e);
		ike_task_queue(sa, IKE_T_DELETE_CHILD);
	}
	ike_rekey_abort(sa);
}

/* ---- CHILD_SA rekey: responder ---- */

static void ike_child_rekey_answer(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c,
				   const struct ike_notify_view *rn)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *conf = ike_sa_conn(sa);
	const struct ike_payload *np = ike_nonce_payload(c), *kp;
	struct ike_child *old;
	uint32_t ts[2];
	struct ike_suite esp;
	struct ike_ke_view ke;
	struct ike_sa_view rv;
	struct ike_ts tsi, tsr;
	struct ike_out o;
	struct ike_dh_ctx *dh = NULL;
	uint8_t pub[IKE_MAX_DH_PUB], gir[IKE_MAX_DH_PUB], nr[IKE_NONCE_LEN];
	size_t pub_len = sizeof(pub), gir_len = 0;
	uint32_t spi_be, spi_out, spi_in;
	uint8_t num, mode;
	int collide, rc;

	if (rn->spi_len != 4 || rn->proto != IKE_PROTO_ESP) {
		ike_create_error(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	memcpy(&spi_be, rn->spi, 4);
	old = ike_child_by_out(sa, ntohl(spi_be));
	if (!old) {
		ike_create_error(sa, msg_id, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
		return;
	}
	/* We replaced it already (our rekey finished first): the peer's
	 * attempt loses (RFC 7296 2.25). */
	if (old->state != IKE_C_INSTALLED) {
		ike_create_error(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (!np) {
		ike_create_error(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	kp = ike_chain_find(c, IKE_PL_KE);
	if (!kp || ike_ke_parse(kp->body, kp->len, &ke))
		ke.group = 0;
	if (ike_esp_pick(sa, c, 1, 0, ke.group, &esp, &spi_out, &num)) {
		e->cnt.no_proposal_chosen++;
		ike_create_error(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (esp.dh) {
		if (!kp || ke.group != esp.dh) {
			uint8_t g[2] = {(uint8_t)(esp.dh >> 8), (uint8_t)esp.dh};

			e->cnt.invalid_ke_sent++;
			ike_create_error(sa, msg_id, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
			return;
		}
		gir_len = sizeof(gir);
		dh = ike_dh_new(esp.dh, pub, &pub_len);
		if (!dh || ike_dh_shared(dh, ke.data, ke.len, gir, &gir_len)) {
			ike_dh_free(dh);
			ike_create_error(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
			return;
		}
	}
	if (!ike_ts_answer(c, sa->remote, sa->local, sa->nat_remote, sa->nat_local, &tsi, &tsr)) {
		ike_dh_free(dh);
		ike_create_error(sa, msg_id, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	mode = (ike_chain_notify(c, IKE_N_USE_TRANSPORT_MODE) && conf->child.mode == CFG_SA_TRANSPORT)
		       ? CFG_SA_TRANSPORT
		       : CFG_SA_TUNNEL;
	ike_rand(e, nr, sizeof(nr));
	spi_in = ike_child_spi_new(e);
	collide = sa->rk.active && !sa->rk.ike && sa->rk.old_spi_in == old->spi_in;
	/* Inbound only until the initiator, which switches on our answer,
	 * deletes the old pair (when the env can do halves). */
	ike_child_ts_addrs(NULL, &tsi, &tsr, ts);
	rc = ike_child_make(sa, &esp, spi_in, spi_out, mode, 0, dh ? gir : NULL, gir_len, np->body,
			    np->len, nr, sizeof(nr), 1, ts);
	explicit_bzero(gir, sizeof(gir));
	if (rc) {
		ike_dh_free(dh);
		ike_create_error(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	e->cnt.child_rekeyed++;
	old->state = IKE_C_REKEYED;
	old->del_by_us = 0;
	old->rekeyed_at = ike_now(e);
	if (collide) {
		peer_rekey_note(sa, np, nr);
		sa->prk.new_spi_in = spi_in;
	}
	memset(&rv, 0, sizeof(rv));
	rv.n = 1;
	spi_be = htonl(spi_in);
	ike_suite_to_proposal(&esp, num, IKE_PROTO_ESP, (const uint8_t *)&spi_be, 4, &rv.p[0]);
	ike_out_init(&o);
	if (mode == CFG_SA_TRANSPORT)
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_sa(&o.w, &rv);
	ike_w_nonce(&o.w, nr, sizeof(nr));
	if (dh)
		ike_w_ke(&o.w, esp.dh, pub, pub_len);
	ike_w_ts(&o.w, IKE_PL_TSI, &tsi, 1);
	ike_w_ts(&o.w, IKE_PL_TSR, &tsr, 1);
	ike_send_response(sa, IKE_CREATE_CHILD_SA, msg_id, &o);
	ike_dh_free(dh);
	explicit_bzero(&o, sizeof(o));
}

/* ---- IKE SA rekey (2.18) ---- */

int ike_ike_rekey_start(struct ike_sa *sa)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	struct ike_rekey *rk = &sa->rk;
	struct ike_sa_view v;
	struct ike_out o;
	uint8_t pub[IKE_MAX_DH_PUB], spi[8];
	size_t pub_len = sizeof(pub);
	int rc;

	if (rk->active || !c->n_ike)
		return 0;
	memset(rk, 0, sizeof(*rk));
	rk->ike = 1;
	rk->new_spi = ike_spi_new(sa->e);
	ike_rand(sa->e, rk->ni, IKE_NONCE_LEN);
	/* The group of the current SA (the peer took it once), or the one
	 * the peer asked for. */
	rk->dh_group = sa->ike_rekey_group ? sa->ike_rekey_group : sa->suite.dh;
	rk->dh = ike_dh_new(rk->dh_group, pub, &pub_len);
	if (!rk->dh)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		spi[i] = (uint8_t)(rk->new_spi >> (56 - 8 * i));
	memset(&v, 0, sizeof(v));
	for (unsigned i = 0; i < c->n_ike && i < IKE_MAX_PROPOSALS; i++)
		ike_suite_to_proposal(&c->ike[i], (uint8_t)(i + 1), IKE_PROTO_IKE, spi, 8, &v.p[v.n++]);
	ike_out_init(&o);
	ike_w_sa(&o.w, &v);
	ike_w_nonce(&o.w, rk->ni, IKE_NONCE_LEN);
	ike_w_ke(&o.w, rk->dh_group, pub, pub_len);
	if ((rc = ike_send_request(sa, IKE_CREATE_CHILD_SA, IKE_T_IKE_REKEY, &o))) {
		ike_rekey_abort(sa);
		return rc;
	}
	rk->active = 1;
	ike_log(sa->e, 0, "ike: rekeying IKE SA %016llx_i with %s", (unsigned long long)sa->spi_i,
		inet_ntoa((struct in_addr){sa->remote}));
	return 0;
}

/* The IKE SA a rekey makes: same peer, keys from the old SK_d. */
static struct ike_sa *ike_sa_rekeyed(struct ike_sa *old, int initiator, uint64_t spi_i, uint64_t spi_r,
				     const struct ike_suite *s, const uint8_t *ni, size_t ni_len,
				     const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len)
{
	struct ike_engine *e = old->e;
	struct ike_sa *ns = ike_sa_new(e, old->conn, initiator, old->local, old->lport, old->remote,
				       old->rport);

	if (!ns)
		return NULL;
	ns->spi_i = spi_i;
	ns->spi_r = spi_r;
	ike_sa_hash_spi(ns);
	ns->suite = *s;
	if (ike_derive_ike_keys(s, ni, ni_len, nr, nr_len, gir, gir_len, spi_i, spi_r, old->suite.prf,
				old->keys.sk_d, old->keys.prf_len, &ns->keys)) {
		ike_sa_kill(ns, 1);
		return NULL;
	}
	ns->keys_ok = 1;
	ns->from_rekey = 1;
	/* Its nonces, as both ends know them: what settles a duplicate (ike_dup.c). */
	ns->ni_len = ni_len < sizeof(ns->ni) ? ni_len : sizeof(ns->ni);
	memcpy(ns->ni, ni, ns->ni_len);
	ns->nr_len = nr_len < sizeof(ns->nr) ? nr_len : sizeof(ns->nr);
	memcpy(ns->nr, nr, ns->nr_len);
	ns->nat_local = old->nat_local;
	ns->nat_remote = old->nat_remote;
	ns->peer_rfc7427 = old->peer_rfc7427;
	memcpy(ns->local_id, old->local_id, sizeof(ns->local_id));
	memcpy(ns->remote_id, old->remote_id, sizeof(ns->remote_id));
	ns->state = IKE_S_ESTABLISHED;
	ns->established_ms = ike_now(e);
	ike_sa_schedule(ns);
	ike_sa_log_keys(ns);
	return ns;
}

/* The CHILD_SAs (and the "up" the glue was told) now live in ns. */
static void ike_sa_move_children(struct ike_sa *old, struct ike_sa *ns)
{
	memcpy(ns->child, old->child, sizeof(ns->child));
	memset(old->child, 0, sizeof(old->child));
	ns->announced_up = old->announced_up;
	old->announced_up = 0;
	ns->redundant = old->redundant;
	ns->dup_at = old->dup_at;
	old->redundant = 0;
}

static void ike_ike_rekey_done(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *conf = ike_sa_conn(sa);
	struct ike_rekey *rk = &sa->rk;
	const struct ike_payload *np = ike_nonce_payload(c), *sp = ike_chain_find(c, IKE_PL_SA),
				 *kp = ike_chain_find(c, IKE_PL_KE);
	struct ike_sa_view v;
	struct ike_suite s;
	struct ike_ke_view ke;
	struct ike_notify_view nv;
	uint8_t gir[IKE_MAX_DH_PUB];
	size_t gir_len = sizeof(gir);
	uint64_t spi_r = 0;
	struct ike_sa *ns;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->pl[i].type != IKE_PL_NOTIFY || ike_notify_parse(c->pl[i].body, c->pl[i].len, &nv) ||
		    nv.type > IKE_N_ERROR_MAX)
			continue;
		ike_log(e, 0, "ike: IKE SA rekey refused by %s: %s", inet_ntoa((struct in_addr){sa->remote}),
			ike_notify_name(nv.type));
		if (nv.type == IKE_N_INVALID_KE_PAYLOAD && nv.data_len == 2) {
			uint16_t g = (uint16_t)(nv.data[0] << 8 | nv.data[1]);

			if (g != rk->dh_group && ike_ike_group_offered(conf, g)) {
				sa->ike_rekey_group = g;
				ike_rekey_abort(sa);
				ike_task_queue(sa, IKE_T_IKE_REKEY);
				return;
			}
		}
		if (!sa->prk.active)
			sa->rekey_at = ike_now(e) + 2000;
		ike_rekey_abort(sa);
		return;
	}
	if (!np || !sp || !kp || ike_sa_parse(sp->body, sp->len, &v) || v.n != 1 ||
	    v.p[0].spi_len != 8 ||
	    ike_suite_match_reply(conf->ike, conf->n_ike, &v.p[0], IKE_PROTO_IKE, &s) ||
	    s.dh != rk->dh_group || ike_ke_parse(kp->body, kp->len, &ke) || ke.group != rk->dh_group ||
	    ike_dh_shared(rk->dh, ke.data, ke.len, gir, &gir_len)) {
		e->cnt.rx_malformed++;
		ike_rekey_abort(sa);
		return;
	}
	for (int i = 0; i < 8; i++)
		spi_r = spi_r << 8 | v.p[0].spi[i];
	memcpy(rk->nr, np->body, np->len);
	rk->nr_len = np->len;
	ns = ike_sa_rekeyed(sa, 1, rk->new_spi, spi_r, &s, rk->ni, IKE_NONCE_LEN, rk->nr, rk->nr_len, gir,
			    gir_len);
	explicit_bzero(gir, sizeof(gir));
	if (!ns) {
		ike_rekey_abort(sa);
		return;
	}
	e->cnt.ike_rekeyed++;
	if (sa->prk.active) {
		e->cnt.collisions++;
		if (ike_collision_lost(sa)) {
			/* Ours is redundant: delete it; the peer's new SA holds
			 * the children and the peer deletes the old one. */
			ike_log(e, 0, "ike: IKE SA rekey collision with %s: ours is redundant",
				inet_ntoa((struct in_addr){sa->remote}));
			if (sa->prk.new_sa)
				ike_sa_move_children(sa, sa->prk.new_sa);
			sa->state = IKE_S_REKEYED;
			ike_task_queue(ns, IKE_T_DELETE_IKE);
			ike_rekey_abort(sa);
			return;
		}
		/* We won: the peer deletes its new SA (ours now holds the
		 * children); we delete the old one. Its new one waits for that
		 * Delete as a replaced SA would (and goes after a while
		 * without it). */
		if (sa->prk.new_sa && sa->prk.new_sa->state == IKE_S_ESTABLISHED) {
			sa->prk.new_sa->state = IKE_S_REKEYED;
			sa->prk.new_sa->last_rx_ms = ike_now(e);
		}
	}
	ike_sa_move_children(sa, ns);
	ike_rekey_abort(sa);
	sa->state = IKE_S_REKEYED;
	ike_task_queue(sa, IKE_T_DELETE_IKE);
}

/* As in IKE_SA_INIT: a suite in the group of the peer's KE first. */
static int ike_rekey_choose(const struct cfg_ike_conn *c, const struct ike_sa_view *v, uint16_t group,
			    struct ike_suite *chosen, unsigned *which)
{
	struct ike_suite same[CFG_IKE_MAX_SUITES];
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_ike; i++)
		if (c->ike[i].dh == group)
			same[n++] = c->ike[i];
	if (n && !ike_suite_select(same, n, v, IKE_PROTO_IKE, chosen, which))
		return 0;
	return ike_suite_select(c->ike, c->n_ike, v, IKE_PROTO_IKE, chosen, which);
}

static void ike_ike_rekey_answer(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *conf = ike_sa_conn(sa);
	const struct ike_payload *np = ike_nonce_payload(c), *sp = ike_chain_find(c, IKE_PL_SA),
				 *kp = ike_chain_find(c, IKE_PL_KE);
	struct ike_sa_view v, rv;
	struct ike_suite s;
	unsigned which;
	struct ike_ke_view ke;
	struct ike_dh_ctx *dh;
	uint8_t pub[IKE_MAX_DH_PUB], gir[IKE_MAX_DH_PUB], nr[IKE_NONCE_LEN], spi[8];
	size_t pub_len = sizeof(pub), gir_len = sizeof(gir);
	uint64_t spi_i = 0, spi_r;
	struct ike_sa *ns;
	struct ike_out o;
	int collide = sa->rk.active && sa->rk.ike;

	if (sa->rk.active && !sa->rk.ike) {
		/* A CHILD_SA rekey of ours is out: one thing at a time. */
		ike_create_error(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (!np || !sp || !kp || ike_sa_parse(sp->body, sp->len, &v) || ike_ke_parse(kp->body, kp->len, &ke)) {
		ike_create_error(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (ike_rekey_choose(conf, &v, ke.group, &s, &which) || v.p[which].spi_len != 8) {
		e->cnt.no_proposal_chosen++;
		ike_create_error(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ke.group != s.dh) {
		uint8_t g[2] = {(uint8_t)(s.dh >> 8), (uint8_t)s.dh};

		e->cnt.invalid_ke_sent++;
		ike_create_error(sa, msg_id, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
		return;
	}
	dh = ike_dh_new(s.dh, pub, &pub_len);
	if (!dh || ike_dh_shared(dh, ke.data, ke.len, gir, &gir_len)) {
		ike_dh_free(dh);
		ike_create_error(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	for (int i = 0; i < 8; i++)
		spi_i = spi_i << 8 | v.p[which].spi[i];
	spi_r = ike_spi_new(e);
	ike_rand(e, nr, sizeof(nr));
	ns = ike_sa_rekeyed(sa, 0, spi_i, spi_r, &s, np->body, np->len, nr, sizeof(nr), gir, gir_len);
	explicit_bzero(gir, sizeof(gir));
	if (!ns) {
		ike_dh_free(dh);
		ike_create_error(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	if (collide) {
		peer_rekey_note(sa, np, nr);
		sa->prk.new_sa = ns;
		ns->rekey_parent = sa;
	} else {
		e->cnt.ike_rekeyed++;
		ike_sa_move_children(sa, ns);
		sa->state = IKE_S_REKEYED;
	}
	for (int i = 0; i < 8; i++)
		spi[i] = (uint8_t)(spi_r >> (56 - 8 * i));
	memset(&rv, 0, sizeof(rv));
	rv.n = 1;
	ike_suite_to_proposal(&s, v.p[which].num, IKE_PROTO_IKE, spi, 8, &rv.p[0]);
	ike_out_init(&o);
	ike_w_sa(&o.w, &rv);
	ike_w_nonce(&o.w, nr, sizeof(nr));
	ike_w_ke(&o.w, s.dh, pub, pub_len);
	ike_send_response(sa, IKE_CREATE_CHILD_SA, msg_id, &o);
	ike_dh_free(dh);
}

/* ---- dispatch ---- */

void ike_create_request(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	const struct ike_payload *rp = ike_chain_notify(c, IKE_N_REKEY_SA), *sp;
	struct ike_notify_view nv;
	struct ike_sa_view v;

	if (sa->state != IKE_S_ESTABLISHED) {
		/* Rekeyed away or being deleted (RFC 7296 2.25). */
		ike_create_error(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (rp && !ike_notify_parse(rp->body, rp->len, &nv)) {
		ike_child_rekey_answer(sa, msg_id, c, &nv);
		return;
	}
	sp = ike_chain_find(c, IKE_PL_SA);
	if (sp && !ike_sa_parse(sp->body, sp->len, &v) && v.n && v.p[0].proto == IKE_PROTO_IKE) {
		ike_ike_rekey_answer(sa, msg_id, c);
		return;
	}
	/* A further CHILD_SA: one GRE CHILD_SA per peer is all we carry. */
	ike_create_error(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
}

void ike_create_response(struct ike_sa *sa, const struct ike_chain *c)
{
	if (!sa->rk.active)
		return;
	if (sa->rk.ike)
		ike_ike_rekey_done(sa, c);
	else
		ike_child_rekey_done(sa, c);
}
