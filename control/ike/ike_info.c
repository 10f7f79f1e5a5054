/* SPDX-License-Identifier: BSD-3-Clause */
/* INFORMATIONAL (RFC 7296 1.4, 2.4): Delete of IKE and CHILD SAs, liveness checks, notifies. */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>

#include "control/ike/ike_priv.h"

int ike_info_delete_ike_start(struct ike_sa *sa)
{
	struct ike_out o;
	int rc;

	ike_out_init(&o);
	ike_w_delete(&o.w, IKE_PROTO_IKE, NULL, 0);
	rc = ike_send_request(sa, IKE_INFORMATIONAL, IKE_T_DELETE_IKE, &o);
	if (!rc)
		sa->state = IKE_S_DELETING;
	return rc;
}

static int ike_child_ours_to_delete(const struct ike_child *c)
{
	return c->state == IKE_C_REDUNDANT || (c->state == IKE_C_REKEYED && c->del_by_us);
}

int ike_info_delete_child_start(struct ike_sa *sa)
{
	struct ike_out o;
	uint32_t spi_be;
	int rc;

	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child *c = &sa->child[i];

		/* The one who started a rekey deletes the old pair (RFC 7296
		 * 2.8); the loser of a collision its redundant new one. */
		if (!ike_child_ours_to_delete(c))
			continue;
		spi_be = htonl(c->spi_in);
		ike_out_init(&o);
		ike_w_delete(&o.w, IKE_PROTO_ESP, &spi_be, 1);
		rc = ike_send_request(sa, IKE_INFORMATIONAL, IKE_T_DELETE_CHILD, &o);
		if (!rc)
			sa->del_child_spi = c->spi_in;
		/* More to delete: one exchange at a time. */
		for (unsigned j = i + 1; j < IKE_MAX_CHILDREN; j++)
			if (ike_child_ours_to_delete(&sa->child[j]))
				sa->tasks |= IKE_TB(IKE_T_DELETE_CHILD);
		return rc;
	}
	return 0;
}

int ike_info_dpd_start(struct ike_sa *sa)
{
	struct ike_out o;
	int rc;

	ike_out_init(&o);
	rc = ike_send_request(sa, IKE_INFORMATIONAL, IKE_T_DPD, &o);
	if (!rc)
		sa->e->cnt.dpd_sent++;
	return rc;
}

void ike_info_notify_oneshot(struct ike_sa *sa, uint16_t type)
{
	struct ike_out o;

	/* The SA is about to go: no retransmits, whatever was out is moot. */
	ike_out_init(&o);
	if (type)
		ike_w_notify(&o.w, 0, NULL, 0, type, NULL, 0);
	else
		ike_w_delete(&o.w, IKE_PROTO_IKE, NULL, 0);
	sa->req_busy = 0;
	ike_send_request(sa, IKE_INFORMATIONAL, IKE_T_DELETE_IKE, &o);
}

/* The peer deleted CHILD_SAs (its inbound SPIs = our outbound): remove
 * ours and name our inbound SPIs of the pairs in the answer. */
static unsigned ike_info_delete_children(struct ike_sa *sa, const struct ike_delete_view *d,
					 uint32_t *ours_be)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->n_spis; i++) {
		struct ike_child *c = ike_child_by_out(sa, ntohl(d->spis[i]));

		if (!c)
			continue;
		/* The peer now sends on the new pair: ours may too, and must
		 * be the current one before the old goes. Not on a redundant
		 * IKE SA (ike_dup.c): the other one carries our traffic. */
		if (c->state == IKE_C_REKEYED && !sa->redundant)
			for (unsigned k = 0; k < IKE_MAX_CHILDREN; k++)
				if (sa->child[k].state == IKE_C_INSTALLED && sa->child[k].out_pending)
					ike_child_commit(sa, &sa->child[k]);
		ours_be[n++] = htonl(c->spi_in);
		ike_log(sa->e, 0, "ike: %s deleted CHILD_SA %08x_i %08x_o",
			inet_ntoa((struct in_addr){sa->remote}), c->spi_in, c->spi_out);
		ike_child_remove(sa, c);
	}
	return n;
}

void ike_info_request(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	struct ike_out o;
	int delete_ike = 0;
	uint32_t ours[IKE_MAX_DEL_SPIS * 2];
	unsigned n_ours = 0;

	for (unsigned i = 0; i < c->n; i++) {
		const struct ike_payload *p = &c->pl[i];
		struct ike_delete_view d;
		struct ike_notify_view nv;

		if (p->type == IKE_PL_DELETE) {
			if (ike_delete_parse(p->body, p->len, &d)) {
				e->cnt.rx_malformed++;
				continue;
			}
			if (d.proto == IKE_PROTO_IKE)
				delete_ike = 1;
			else if (d.proto == IKE_PROTO_ESP && n_ours + d.n_spis <= IKE_MAX_DEL_SPIS * 2)
				n_ours += ike_info_delete_children(sa, &d, ours + n_ours);
		} else if (p->type == IKE_PL_NOTIFY && !ike_notify_parse(p->body, p->len, &nv) &&
			   nv.type <= IKE_N_ERROR_MAX) {
			ike_log(e, 0, "ike: %s says %s", inet_ntoa((struct in_addr){sa->remote}),
				ike_notify_name(nv.type));
			if (nv.type == IKE_N_AUTHENTICATION_FAILED)
				delete_ike = 1;
		}
	}
	ike_out_init(&o);
	if (n_ours && !delete_ike)
		ike_w_delete(&o.w, IKE_PROTO_ESP, ours, n_ours);
	ike_send_response(sa, IKE_INFORMATIONAL, msg_id, &o);
	/* The peer deleted our last CHILD_SA and kept the IKE SA. */
	if (n_ours && !delete_ike)
		ike_sa_unprotected(sa);
	if (delete_ike) {
		ike_log(e, 0, "ike: %s deleted IKE SA %016llx_i %016llx_r",
			inet_ntoa((struct in_addr){sa->remote}), (unsigned long long)sa->spi_i,
			(unsigned long long)sa->spi_r);
		ike_sa_kill(sa, 0);
	}
}

void ike_info_response(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_child *ch;

	switch (sa->req_task) {
	case IKE_T_DELETE_IKE:
		ike_sa_kill(sa, 0);
		break;
	case IKE_T_DELETE_CHILD:
		/* The peer's half went with its answer; ours now. */
		ch = ike_child_by_in(sa, sa->del_child_spi);
		if (ch && ch->state != IKE_C_INSTALLED)
			ike_child_remove(sa, ch);
		sa->del_child_spi = 0;
		break;
	default:
		break; /* a liveness check answered: last_rx_ms did it */
	}
	(void)c;
}
