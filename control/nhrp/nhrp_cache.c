/* SPDX-License-Identifier: BSD-3-Clause */
/* The NHRP cache: mappings and shortcuts, published to the workers' tables, expired on time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/app.h"
#include "control/core/core.h"
#include "control/peer_events.h"

const char *nhrp_entry_type_name(uint8_t type)
{
	switch (type) {
	case NE_STATIC: return "static";
	case NE_NHS: return "static";
	case NE_DYNAMIC: return "dynamic";
	case NE_CACHED: return "dynamic";
	case NE_INCOMPLETE: return "incomplete";
	case NE_NEGATIVE: return "negative";
	case NE_SHORTCUT: return "shortcut";
	default: return "?";
	}
}

/* Entries are indexed by (tunnel, address, shortcut length or 0): a hub
 * holds one per spoke and looks one up per registration. */
static uint64_t entry_key(unsigned t, uint32_t proto, int plen)
{
	return (uint64_t)t << 40 | (uint64_t)(plen & 0xff) << 32 | proto;
}

static void entry_index(struct app *a, unsigned i)
{
	const struct nhrp_entry *e = &a->nhrp[i];

	if (!a->nhrp_idx.cap)
		u64map_init(&a->nhrp_idx, 64);
	u64map_put(&a->nhrp_idx, entry_key(e->tunnel, e->proto, e->type == NE_SHORTCUT ? e->plen : 0), i);
}

/* plen 0: the mapping of tunnel address proto; else the shortcut proto/plen. */
struct nhrp_entry *nhrp_cache_find(struct app *a, unsigned t, uint32_t proto, int plen)
{
	uint32_t i;

	if (!a->nhrp_idx.cap || u64map_get(&a->nhrp_idx, entry_key(t, proto, plen), &i))
		return NULL;
	return &a->nhrp[i];
}

static struct nhrp_entry *entry_add(struct app *a, unsigned t, uint32_t proto, int plen)
{
	struct nhrp_entry *e;

	if (app_grow((void **)&a->nhrp, &a->cap_nhrp, a->n_nhrp + 1, sizeof(*a->nhrp)))
		return NULL;
	e = &a->nhrp[a->n_nhrp++];
	memset(e, 0, sizeof(*e));
	e->tunnel = (uint8_t)t;
	e->proto = proto;
	e->plen = plen ? (uint8_t)plen : 32;
	e->type = plen ? NE_SHORTCUT : NE_INCOMPLETE;
	e->created = time(NULL);
	entry_index(a, a->n_nhrp - 1);
	return e;
}

/* Room of max_peers: every entry but the request-learned ones. */
static int room_full(const struct app *a)
{
	return a->n_nhrp - a->nh.n_learned >= a->cfg.max_peers;
}

struct nhrp_entry *nhrp_cache_get(struct app *a, unsigned t, uint32_t proto, int plen)
{
	struct nhrp_entry *e = nhrp_cache_find(a, t, proto, plen);

	if (e)
		return e;
	return room_full(a) ? NULL : entry_add(a, t, proto, plen);
}

static uint64_t learned_key(unsigned t, uint32_t nbma)
{
	return (uint64_t)t << 32 | nbma;
}

static unsigned learned_count(const struct app *a, unsigned t, uint32_t nbma)
{
	uint32_t n;

	return a->nh.learned_by.cap && !u64map_get(&a->nh.learned_by, learned_key(t, nbma), &n) ? n : 0;
}

/* Set the requester's count back to n (lower than now: an update in place,
 * or a key removed, never grows the map). */
static void learned_count_set(struct app *a, unsigned t, uint32_t nbma, unsigned n)
{
	if (n)
		u64map_put(&a->nh.learned_by, learned_key(t, nbma), n);
	else
		u64map_del(&a->nh.learned_by, learned_key(t, nbma));
}

int nhrp_cache_learn(struct app *a, unsigned t, uint32_t proto, uint32_t nbma,
		     struct nhrp_entry **ep)
{
	unsigned n = learned_count(a, t, nbma);

	*ep = nhrp_cache_find(a, t, proto, 0);
	if (*ep)
		return -EEXIST;
	if (a->nh.n_learned >= nhrp_learned_max(a->cfg.max_peers) || n >= NHRP_LEARNED_PER_NBMA)
		return -ENOSPC;
	if (!a->nh.learned_by.cap && u64map_init(&a->nh.learned_by, 64))
		return -ENOMEM;
	if (u64map_put(&a->nh.learned_by, learned_key(t, nbma), n + 1))
		return -ENOMEM;
	*ep = entry_add(a, t, proto, 0);
	if (!*ep) {
		learned_count_set(a, t, nbma, n);
		return -ENOMEM;
	}
	/* Its NBMA address never changes (a request may not rebind): it
	 * keys the per-requester count until the entry goes. */
	(*ep)->nbma = (*ep)->claimed_nbma = nbma;
	(*ep)->by_request = 1;
	a->nh.n_learned++;
	return 0;
}

/* e no longer counts in the requests' budget. */
static void unlearn(struct app *a, struct nhrp_entry *e)
{
	unsigned n = learned_count(a, e->tunnel, e->nbma);

	if (n)
		learned_count_set(a, e->tunnel, e->nbma, n - 1);
	e->by_request = 0;
	a->nh.n_learned--;
}

int nhrp_cache_adopt(struct app *a, struct nhrp_entry *e)
{
	if (!e->by_request)
		return 0;
	if (room_full(a))
		return -ENOSPC;
	unlearn(a, e);
	return 0;
}

int nhrp_cache_publish(struct app *a, struct nhrp_entry *e)
{
	const struct nhs_state *h;
	int rc;

	if (e->type == NE_SHORTCUT) {
		rc = state_shortcut_add(a, e->proto, e->plen, e->tunnel, e->nexthop);
		if (!rc)
			e->flags |= NE_F_ROUTE;
		return rc;
	}
	e->flags &= (uint8_t)~NE_F_IKE_WAIT;
	/* A peer reached directly needs its SA first (a registered spoke
	 * came through one). A learned one is reached via the NHS until then:
	 * the GRE would be dropped without an SA, never sent in clear. */
	if (e->type == NE_CACHED || e->type == NE_STATIC || e->type == NE_NHS) {
		rc = ike_glue_connect(a, e->tunnel, e->nbma);
		h = nhrp_nhs_preferred(a, e->tunnel);
		if (rc != IKE_PEER_UP && e->type == NE_CACHED && h && h->nbma != e->nbma) {
			e->flags |= NE_F_IKE_WAIT;
			return tables_peer_set(&a->dp.tables, e->tunnel, e->proto, h->nbma);
		}
	}
	return tables_peer_set(&a->dp.tables, e->tunnel, e->proto, e->nbma);
}

/* Drop e from the tables and the cache; e is invalid afterwards. */
void nhrp_cache_remove(struct app *a, struct nhrp_entry *e)
{
	if (e->type == NE_SHORTCUT) {
		if (e->flags & NE_F_ROUTE)
			state_shortcut_del(a, e->proto, e->plen);
	} else {
		tables_peer_del(&a->dp.tables, e->tunnel, e->proto);
		if (e->type == NE_DYNAMIC || e->type == NE_CACHED)
			nhrp_purge_requesters(a, e);
		/* Its IKE SA goes too, after a grace time, unless used again. */
		if (e->type == NE_DYNAMIC || e->type == NE_CACHED || e->type == NE_STATIC)
			ike_glue_unused(a, e->tunnel, e->nbma);
	}
	if (e->by_request)
		unlearn(a, e);
	u64map_del(&a->nhrp_idx, entry_key(e->tunnel, e->proto, e->type == NE_SHORTCUT ? e->plen : 0));
	*e = a->nhrp[--a->n_nhrp];
	if (e != &a->nhrp[a->n_nhrp])
		entry_index(a, (unsigned)(e - a->nhrp));
}

void nhrp_cache_tick(struct app *a)
{
	time_t now = time(NULL);

	for (unsigned i = 0; i < a->n_nhrp;) {
		struct nhrp_entry *e = &a->nhrp[i];

		if (e->expires && now >= e->expires) {
			DBG(a, "NHRP %s entry expired", nhrp_entry_type_name(e->type));
			nhrp_cache_remove(a, e);
			continue; /* slot i now holds the former last entry */
		}
		i++;
	}
}

unsigned nhrp_cache_clear(struct app *a)
{
	unsigned cleared = 0;

	/* Configured entries stay, as on IOS. */
	for (unsigned i = 0; i < a->n_nhrp;) {
		if (a->nhrp[i].type != NE_STATIC && a->nhrp[i].type != NE_NHS) {
			nhrp_cache_remove(a, &a->nhrp[i]);
			cleared++;
			continue;
		}
		i++;
	}
	return cleared;
}

/* Configured maps and servers -> static entries; others are left alone
 * unless a configured one now claims their address. */
int nhrp_static_sync(struct app *a, const struct dmvpn_config *cfg)
{
	int rc;

	for (unsigned i = 0; i < a->n_nhrp; i++)
		a->nhrp[i].seen = a->nhrp[i].type != NE_STATIC && a->nhrp[i].type != NE_NHS;
	for (unsigned ti = 0; ti < cfg->n_tunnels; ti++) {
		const struct cfg_tunnel *ct = &cfg->tunnels[ti];

		for (unsigned k = 0; k < ct->n_maps + ct->n_nhs; k++) {
			uint32_t proto = k < ct->n_maps ? ct->maps[k].proto : ct->nhs[k - ct->n_maps].proto;
			uint32_t nbma = k < ct->n_maps ? ct->maps[k].nbma : ct->nhs[k - ct->n_maps].nbma;
			uint8_t type = k < ct->n_maps ? NE_STATIC : NE_NHS;
			struct nhrp_entry *e = nhrp_cache_get(a, ti, proto, 0);

			if (!e || nhrp_cache_adopt(a, e))
				return -ENOSPC;
			e->seen = 1;
			if (e->type == type && e->nbma == nbma)
				continue;
			e->type = type;
			e->nbma = e->claimed_nbma = nbma;
			e->expires = 0;
			e->created = time(NULL);
			if ((rc = nhrp_cache_publish(a, e)))
				return rc;
		}
	}
	for (unsigned i = 0; i < a->n_nhrp;) {
		if (!a->nhrp[i].seen) {
			nhrp_cache_remove(a, &a->nhrp[i]);
			continue;
		}
		i++;
	}
	return 0;
}

static int nhrp_peer_in_use(const struct app *a, unsigned t, uint32_t nbma)
{
	if (nhrp_nhs_is(a, t, nbma))
		return 1;
	for (unsigned i = 0; i < a->n_nhrp; i++) {
		const struct nhrp_entry *e = &a->nhrp[i];

		if (e->tunnel == t && e->nbma == nbma && e->type != NE_INCOMPLETE &&
		    e->type != NE_NEGATIVE)
			return 1;
	}
	return 0;
}

static void nhrp_ike_peer_event(struct app *a, unsigned t, uint32_t nbma, int up)
{
	for (unsigned i = 0; i < a->n_nhrp;) {
		struct nhrp_entry *e = &a->nhrp[i];

		if (e->tunnel != t || e->nbma != nbma) {
			i++;
			continue;
		}
		if (up && (e->flags & NE_F_IKE_WAIT)) {
			/* Now straight to the peer, no longer via the NHS. */
			nhrp_cache_publish(a, e);
		} else if (!up && e->type != NE_STATIC && e->type != NE_NHS &&
			   e->type != NE_INCOMPLETE && e->type != NE_NEGATIVE) {
			/* Unprotected, the peer is unreachable: forget what it told us. */
			DBG(a, "NHRP %s entry purged: its IKE SA is gone", nhrp_entry_type_name(e->type));
			nhrp_cache_remove(a, e);
			continue;
		}
		i++;
	}
	nhrp_nhs_ike_event(a, t, nbma, up);
}

const struct peer_listener nhrp_peer_listener = {
	.sa_event = nhrp_ike_peer_event,
	.in_use = nhrp_peer_in_use,
};
