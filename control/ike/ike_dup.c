/* SPDX-License-Identifier: BSD-3-Clause */
/* Crossed initiations: two authenticated IKE SAs with one peer; the redundant one goes (RFC 7296 2.8). */
#include <arpa/inet.h>
#include <string.h>

#include "control/ike/ike_priv.h"

/*
 * Both ends of a pair of spokes may start an IKE SA toward each other at
 * once. Nothing is decided on IKE_SA_INIT: it is unauthenticated, and
 * anyone can forge one from the peer's address. Both exchanges run; once
 * IKE_AUTH authenticated the peer on the second, the two ends pick the
 * same one to drop from what both know of both SAs, their nonces: the one
 * holding the lowest of the four goes, as RFC 7296 2.8 has it for the
 * CHILD_SAs of a rekey collision.
 *
 * Who deletes it: its initiator, after IKE_DUP_DELETE_MS, as the redundant
 * CHILD_SA of a rekey collision is closed by the end that created it. The
 * other end waits IKE_DUP_WAIT_MS before doing so itself, for a peer that
 * keeps both. Both wait longer than strongSwan, which as the responder of
 * the later one deletes its earlier duplicate after 10 s: whichever of the
 * two a peer deletes first, the other is kept.
 */
#define IKE_DUP_DELETE_MS 15000
#define IKE_DUP_WAIT_MS 45000

int ike_peer_announced(const struct ike_sa *sa)
{
	IKE_FOR_PEER(sa->e, sa->tunnel, sa->hremote, o)
		if (o != sa && o->announced_up)
			return 1;
	return 0;
}

/* The IKE SA carrying the peer's traffic beside sa: established, the same
 * authenticated identity, a CHILD_SA, not itself the one to go. */
static struct ike_sa *ike_dup_winner(struct ike_sa *sa)
{
	IKE_FOR_PEER(sa->e, sa->tunnel, sa->remote, o)
		if (o != sa && !o->redundant && o->state == IKE_S_ESTABLISHED && ike_child_current(o) &&
		    !strcmp(o->remote_id, sa->remote_id))
			return o;
	return NULL;
}

static int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static void ike_dup_lowest(const struct ike_sa *sa, const uint8_t **n, size_t *len)
{
	int ni_low = ike_nonce_cmp(sa->ni, sa->ni_len, sa->nr, sa->nr_len) < 0;

	*n = ni_low ? sa->ni : sa->nr;
	*len = ni_low ? sa->ni_len : sa->nr_len;
}

/* 1 if a goes: it holds the lowest of the four nonces (both ends see the
 * same four). */
static int ike_dup_loses(const struct ike_sa *a, const struct ike_sa *b)
{
	const uint8_t *na, *nb;
	size_t la, lb;
	int c;

	ike_dup_lowest(a, &na, &la);
	ike_dup_lowest(b, &nb, &lb);
	c = ike_nonce_cmp(na, la, nb, lb);
	if (c)
		return c < 0;
	/* The same nonce twice: the SPIs (as unlikely to be equal) decide. */
	return a->spi_i != b->spi_i ? a->spi_i < b->spi_i : a->spi_r < b->spi_r;
}

void ike_dup_attempts_drop(struct ike_sa *sa)
{
	/* Dropping them also means that two IKE SAs both ends authenticated
	 * were set up at the same time on both ends: one end cannot have
	 * finished one before the other started its own. */
	IKE_FOR_PEER(sa->e, sa->tunnel, sa->remote, x)
		if (x != sa && x->initiator && !x->from_rekey && x->state == IKE_S_INIT_SENT) {
			ike_log(sa->e, 0, "ike: %s is up on %016llx_i: dropping our attempt %016llx_i",
				inet_ntoa((struct in_addr){sa->remote}), (unsigned long long)sa->spi_i,
				(unsigned long long)x->spi_i);
			ike_sa_kill(x, 1);
		}
}

int ike_dup_check(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_sa *o, *loser;
	int crossed;

	o = ike_dup_winner(sa);
	if (!o)
		return IKE_DUP_NONE;
	/* Up before this one started (or rekeyed from one that was):
	 * replaced (a reauthentication, or stale after a restart without
	 * INITIAL_CONTACT), and the newer one stays, as a peer that replaced
	 * it expects. Else a crossing: the nonces. */
	crossed = !o->from_rekey && o->established_ms >= sa->created_ms;
	loser = !crossed || !ike_dup_loses(sa, o) ? o : sa;
	loser->redundant = 1;
	loser->dup_at = ike_now(e) + (loser->initiator ? IKE_DUP_DELETE_MS : IKE_DUP_WAIT_MS);
	e->cnt.ike_duplicates++;
	ike_log(e, 0, "ike: %s: two IKE SAs (%s): %016llx_i %016llx_r is redundant, %s",
		inet_ntoa((struct in_addr){sa->remote}), crossed ? "crossed initiations" : "replaced",
		(unsigned long long)loser->spi_i, (unsigned long long)loser->spi_r,
		loser->initiator ? "we delete it" : "its initiator deletes it");
	return loser == sa ? IKE_DUP_LOST : IKE_DUP_WON;
}

/* sa is no longer redundant: its CHILD_SA carries our traffic from now,
 * whether it was installed inbound only (it came up second) or whole and
 * then replaced by the other one's (it came up first). */
static void ike_dup_keep(struct ike_sa *sa)
{
	struct ike_child *c = ike_child_current(sa);

	sa->redundant = 0;
	sa->dup_at = 0;
	ike_log(sa->e, 0, "ike: IKE SA %016llx_i %016llx_r with %s is the one left: kept",
		(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		inet_ntoa((struct in_addr){sa->remote}));
	if (c)
		ike_child_current_set(sa, c);
	ike_sa_announce_up(sa);
}

void ike_dup_handover(struct ike_sa *sa)
{
	struct ike_sa *w = ike_dup_winner(sa);
	struct ike_child *wc = w ? ike_child_current(w) : NULL;
	uint64_t newest = 0;

	if (!wc)
		return;
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->child[i].state != IKE_C_FREE && sa->child[i].in_dp && !sa->child[i].out_pending &&
		    sa->child[i].seq > newest)
			newest = sa->child[i].seq;
	/* Without child_install_inbound its pair went in whole, after the
	 * other's: the dataplane would lose both directions with it. */
	if (newest > wc->seq)
		ike_child_current_set(w, wc);
}

void ike_dup_orphans(struct ike_sa *sa)
{
	IKE_FOR_PEER(sa->e, sa->tunnel, sa->hremote, o)
		if (o != sa && o->redundant && o->state == IKE_S_ESTABLISHED && !ike_dup_winner(o))
			ike_dup_keep(o);
}

void ike_dup_timer(struct ike_sa *sa, uint64_t now)
{
	if (!sa->redundant || now < sa->dup_at)
		return;
	if (!ike_dup_winner(sa)) {
		ike_dup_keep(sa);
		return;
	}
	ike_log(sa->e, 0, "ike: deleting the redundant IKE SA %016llx_i %016llx_r with %s",
		(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		inet_ntoa((struct in_addr){sa->remote}));
	/* The other one told the env "up" (or did when this one did): no event. */
	ike_dup_handover(sa);
	ike_sa_delete_begin(sa);
}
