/* SPDX-License-Identifier: BSD-3-Clause */
/* The spoke's next-hop servers: registration, refresh, back-off, state, and purge on exit. */
#include <arpa/inet.h>
#include <string.h>

#include "control/app.h"
#include "control/peer_events.h"

#define NHS_BACKOFF_MAX_S 32
#define NHS_DOWN_AFTER 3     /* unanswered registrations before an NHS is down */
#define NHS_IKE_POLL_MS 1000 /* how often a server waiting for IKE is looked at */

const char *nhrp_nhs_state_name(uint8_t s)
{
	switch (s) {
	case NHS_PROBING: return "probing";
	case NHS_UP: return "up";
	case NHS_DOWN: return "down";
	case NHS_IKE: return "ike";
	default: return "?";
	}
}

static unsigned refresh_s(const struct cfg_tunnel *ct)
{
	/* IOS re-registers at a third of the holding time by default. */
	return ct->registration_interval ? ct->registration_interval :
	       (ct->holdtime / 3 ? ct->holdtime / 3 : 1);
}

void nhrp_nhs_sync(struct app *a, const struct dmvpn_config *cfg)
{
	struct nhrp_state *s = &a->nh;
	struct nhs_state old[CFG_MAX_TUNNELS * CFG_MAX_NHS];
	unsigned n_old = s->n_nhs;

	memcpy(old, s->nhs, sizeof(old[0]) * n_old);
	s->n_nhs = 0;
	for (unsigned t = 0; t < cfg->n_tunnels; t++) {
		for (unsigned i = 0; i < cfg->tunnels[t].n_nhs; i++) {
			const struct cfg_nhs *c = &cfg->tunnels[t].nhs[i];
			struct nhs_state *h = &s->nhs[s->n_nhs++];
			unsigned j;

			/* A server kept across a reload keeps its state. */
			for (j = 0; j < n_old; j++)
				if (old[j].tunnel == t && old[j].proto == c->proto && old[j].nbma == c->nbma)
					break;
			if (j < n_old) {
				*h = old[j];
			} else {
				memset(h, 0, sizeof(*h));
				h->tunnel = (uint8_t)t;
				h->proto = c->proto;
				h->nbma = c->nbma;
				h->state = NHS_PROBING;
				h->backoff_s = 1;
			}
			h->priority = c->priority;
		}
	}
}

static void send_registration(struct app *a, struct nhs_state *h)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[h->tunnel];
	struct nhrp_cie c = {.prefix_len = 32, .mtu = ct->mtu, .holdtime = (uint16_t)ct->holdtime};
	uint8_t buf[512];
	struct nhrp_buf b;

	h->reqid = nhrp_next_reqid(a);
	nhrp_build_init(&b, buf, sizeof(buf), NHRP_REGISTRATION_REQUEST, 255,
			ct->unique ? NHRP_REG_F_U : 0, h->reqid, nhrp_our_nbma(a, h->tunnel),
			ct->addr, h->proto);
	nhrp_put_cie(&b, &c);
	nhrp_put_request_exts(a, h->tunnel, &b, 1);
	h->sent++;
	nhrp_send(a, h->tunnel, h->nbma, &b);
}

void nhrp_nhs_tick(struct app *a)
{
	uint64_t now = app_now_ms();
	char s[16];

	for (unsigned i = 0; i < a->nh.n_nhs; i++) {
		struct nhs_state *h = &a->nh.nhs[i];
		const struct cfg_tunnel *ct = &a->cfg.tunnels[h->tunnel];

		if (now < h->next_ms)
			continue;
		/* Protected by IKE: no registration before the SA is up (IOS
		 * shows the NHS in state IKE meanwhile). */
		if (ike_glue_connect(a, h->tunnel, h->nbma) != IKE_PEER_UP) {
			if (h->state != NHS_IKE)
				LOG(a, "NHS %s: waiting for its IKE SA",
				    inet_ntop(AF_INET, &h->proto, s, sizeof(s)));
			h->state = NHS_IKE;
			h->next_ms = now + NHS_IKE_POLL_MS;
			continue;
		}
		if (h->state == NHS_IKE) {
			h->state = NHS_PROBING;
			h->unanswered = 0;
			h->backoff_s = 1;
		}
		if (h->unanswered >= NHS_DOWN_AFTER && h->state == NHS_UP) {
			LOG(a, "NHS %s down: %u registrations unanswered",
			    inet_ntop(AF_INET, &h->proto, s, sizeof(s)), h->unanswered);
			h->state = NHS_DOWN;
			h->backoff_s = 1;
		}
		send_registration(a, h);
		h->unanswered++;
		if (h->state == NHS_UP && h->unanswered == 1) {
			h->next_ms = now + refresh_s(ct) * 1000ull;
		} else {
			/* Not registered: retry with exponential back-off. */
			h->next_ms = now + h->backoff_s * 1000ull;
			if (h->backoff_s < NHS_BACKOFF_MAX_S)
				h->backoff_s *= 2;
		}
	}
}

void nhrp_nhs_reply(struct app *a, unsigned t, const struct nhrp_msg *m)
{
	const struct nhrp_ext *nat = nhrp_ext_find(m, NHRP_EXT_NAT_ADDRESS);
	uint64_t now = app_now_ms();
	struct nhs_state *h = NULL;
	char s[16];

	for (unsigned i = 0; i < a->nh.n_nhs && !h; i++)
		if (a->nh.nhs[i].tunnel == t && a->nh.nhs[i].reqid == m->reqid &&
		    a->nh.nhs[i].proto == m->dst_proto)
			h = &a->nh.nhs[i];
	if (!h || m->n_cie == 0) {
		a->nh.cnt.unknown_request_id++;
		return;
	}
	h->replies++;
	h->last_code = m->cie[0].code;
	h->last_reply_ms = now;
	if (m->cie[0].code != NHRP_CIE_SUCCESS) {
		LOG(a, "NHS %s refused our registration: code %u",
		    inet_ntop(AF_INET, &h->proto, s, sizeof(s)), m->cie[0].code);
		h->state = NHS_DOWN;
		return;
	}
	if (h->state != NHS_UP) {
		LOG(a, "NHS %s up", inet_ntop(AF_INET, &h->proto, s, sizeof(s)));
		h->up_since_ms = now;
	}
	h->state = NHS_UP;
	h->unanswered = 0;
	h->backoff_s = 1;
	h->next_ms = now + refresh_s(&a->cfg.tunnels[t]) * 1000ull;
	/* Only a CIE about our own tunnel address says where the NHS saw us: IOS
	 * echoes the request's CIE, which names the NHS itself. */
	h->public_nbma = 0;
	for (unsigned i = 0; nat && i < nat->n_cie; i++)
		if (nat->cie[i].proto_len && nat->cie[i].proto == a->cfg.tunnels[t].addr &&
		    nat->cie[i].nbma_len) {
			h->public_nbma = nat->cie[i].nbma;
			break;
		}
}

const struct nhs_state *nhrp_nhs_preferred(const struct app *a, unsigned t)
{
	const struct nhs_state *best = NULL, *any = NULL;

	for (unsigned i = 0; i < a->nh.n_nhs; i++) {
		const struct nhs_state *h = &a->nh.nhs[i];

		if (h->tunnel != t)
			continue;
		if (!any)
			any = h;
		if (h->state == NHS_UP && (!best || h->priority < best->priority))
			best = h;
	}
	return best ? best : any;
}

int nhrp_nhs_is(const struct app *a, unsigned t, uint32_t nbma)
{
	for (unsigned i = 0; i < a->nh.n_nhs; i++)
		if (a->nh.nhs[i].tunnel == t && a->nh.nhs[i].nbma == nbma)
			return 1;
	return 0;
}

void nhrp_nhs_shutdown(struct app *a)
{
	for (unsigned i = 0; i < a->nh.n_nhs; i++) {
		struct nhs_state *h = &a->nh.nhs[i];
		const struct cfg_tunnel *ct = &a->cfg.tunnels[h->tunnel];
		struct nhrp_cie c;
		uint8_t buf[512];
		struct nhrp_buf b;

		if (h->state != NHS_UP)
			continue;
		/* Withdraw our binding: a purge that wants no reply, we are going. */
		nhrp_own_cie(a, h->tunnel, &c);
		c.holdtime = 0;
		nhrp_build_init(&b, buf, sizeof(buf), NHRP_PURGE_REQUEST, 255, NHRP_PURGE_F_N,
				nhrp_next_reqid(a), nhrp_our_nbma(a, h->tunnel), ct->addr, h->proto);
		nhrp_put_cie(&b, &c);
		nhrp_put_auth(a, h->tunnel, &b);
		nhrp_send(a, h->tunnel, h->nbma, &b);
	}
}

void nhrp_nhs_ike_event(struct app *a, unsigned t, uint32_t nbma, int up)
{
	uint64_t now = app_now_ms();
	char s[16];

	for (unsigned i = 0; i < a->nh.n_nhs; i++) {
		struct nhs_state *h = &a->nh.nhs[i];

		if (h->tunnel != t || h->nbma != nbma)
			continue;
		if (up) {
			/* Register at the next tick, no longer in IKE's wait. */
			if (h->state == NHS_IKE)
				h->next_ms = now;
			continue;
		}
		if (h->state == NHS_UP)
			LOG(a, "NHS %s down: its IKE SA is gone",
			    inet_ntop(AF_INET, &h->proto, s, sizeof(s)));
		/* The tick brings IKE up again, then registers. */
		h->state = NHS_IKE;
		h->next_ms = now + NHS_IKE_POLL_MS;
	}
}
