/* SPDX-License-Identifier: BSD-3-Clause */
/* IPsec SAs in the control thread: install (static and IKEv2), lifetimes, show. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "control/app.h"
#include "control/ipsec/ike_glue.h"
#include "lib/base/addr.h"

static struct sa_rt *sa_build(struct app *a, const struct cfg_sa *p, const struct cfg_sa_dir *d,
			      int inbound)
{
	struct sa_rt *sa = rte_zmalloc("sa", sizeof(*sa), RTE_CACHE_LINE_SIZE);

	if (!sa)
		return NULL;
	if (esp_crypto_init(&sa->crypto, a->mb, (enum esp_alg)p->alg, d->key, d->key_len,
			    d->auth_key, d->auth_len) ||
	    (inbound && p->replay_window && replay_init(&sa->replay, p->replay_window))) {
		rte_free(sa);
		return NULL;
	}
	sa->spi_be = rte_cpu_to_be_32(d->spi);
	sa->peer = p->peer;
	sa->udp_dport_be = rte_cpu_to_be_16(p->udp_port);
	sa->flags = (uint8_t)((p->mode == CFG_SA_TUNNEL ? SA_F_TUNNEL : 0) |
			      (p->udp ? SA_F_UDP : 0) | (p->esn ? SA_F_ESN : 0) |
			      (p->replay_window ? 0 : SA_F_NO_REPLAY));
	sa->tunnel = (uint8_t)p->tunnel;
	if (p->mode == CFG_SA_TUNNEL && (p->inner_local || p->inner_remote)) {
		sa->flags |= SA_F_INNER;
		sa->inner_local = p->inner_local;
		sa->inner_remote = p->inner_remote;
	}
	sa->hard_packets = p->life_packets;
	sa->hard_bytes = p->life_bytes;
	sa->n_workers = (uint8_t)a->n_workers;
	return sa;
}

static uint64_t sa_key(unsigned t, uint32_t peer)
{
	return (uint64_t)t << 32 | peer;
}

static void sa_index(struct app *a, unsigned i)
{
	if (!a->sa_idx.cap)
		u64map_init(&a->sa_idx, 64);
	u64map_put(&a->sa_idx, sa_key(a->sas[i].params.tunnel, a->sas[i].params.peer), i);
}

static struct ipsec_sa_entry *sa_find(const struct app *a, unsigned t, uint32_t peer)
{
	uint32_t i;

	if (!a->sa_idx.cap || u64map_get(&a->sa_idx, sa_key(t, peer), &i))
		return NULL;
	return &a->sas[i];
}

int ipsec_sa_install(struct app *a, const struct cfg_sa *p)
{
	struct dp_tables *t = &a->dp.tables;
	struct ipsec_sa_entry *e = sa_find(a, p->tunnel, p->peer);
	struct sa_rt *in, *out, *kept = NULL;
	int rc;

	if (!e && a->n_sas == a->cfg.max_peers)
		return -ENOSPC;
	/* Installed inbound-only before (an IKEv2 rekey): keep that object,
	 * it may have taken packets already. */
	for (unsigned i = 0; i < a->n_retiring && !kept; i++)
		if (a->retiring[i].pending && a->retiring[i].spi_be == rte_cpu_to_be_32(p->in.spi)) {
			kept = a->retiring[i].pending;
			a->retiring[i] = a->retiring[--a->n_retiring];
		}
	in = kept ? kept : sa_build(a, p, &p->in, 1);
	out = in ? sa_build(a, p, &p->out, 0) : NULL;
	if (!out) {
		if (kept)
			tables_sa_in_del(t, kept->spi_be);
		else
			rte_free(in);
		return -EINVAL;
	}
	/* A retiring SA with this SPI is being replaced: stop its timer. */
	for (unsigned i = 0; i < a->n_retiring; i++)
		if (a->retiring[i].spi_be == in->spi_be)
			a->retiring[i--] = a->retiring[--a->n_retiring];
	/* Inbound first: the peer may use the new SA as soon as we do. */
	if ((rc = tables_sa_in_set(t, in->spi_be, in))) {
		rte_free(out);
		return rc;
	}
	if ((rc = tables_sa_out_set(t, (uint16_t)p->tunnel, p->peer, out))) {
		tables_sa_in_del(t, in->spi_be);
		return rc;
	}
	if (e) {
		/* Rekey: the peer may still send on the old inbound SA for a
		 * while (packets in flight, or it switches later): keep it
		 * until IPSEC_RETIRE_S have passed, so nothing is lost. */
		if (e->in && e->in->spi_be != in->spi_be) {
			if (a->n_retiring < IPSEC_MAX_RETIRING) {
				a->retiring[a->n_retiring].spi_be = e->in->spi_be;
				a->retiring[a->n_retiring].until = time(NULL) + IPSEC_RETIRE_S;
				a->retiring[a->n_retiring].pending = NULL;
				a->n_retiring++;
			} else {
				tables_sa_in_del(t, e->in->spi_be);
			}
		}
		memset(&e->params, 0, sizeof(e->params));
	} else {
		if (app_grow((void **)&a->sas, &a->cap_sas, a->n_sas + 1, sizeof(*a->sas)))
			return -ENOMEM;
		e = &a->sas[a->n_sas++];
		memset(e, 0, sizeof(*e));
	}
	e->params = *p;
	sa_index(a, (unsigned)(e - a->sas));
	e->in = in;
	e->out = out;
	e->installed = time(NULL);
	e->soft_reported = e->hard_reported = 0;
	e->ike = 0;
	return 0;
}

int ipsec_sa_install_ike(struct app *a, const struct cfg_sa *p)
{
	int rc;

	if (ipsec_sa_is_static(a, p->tunnel, p->peer))
		return -EEXIST;
	rc = ipsec_sa_install(a, p);
	if (!rc)
		sa_find(a, p->tunnel, p->peer)->ike = 1;
	return rc;
}

void ipsec_sa_rebind_ike(struct app *a, unsigned t, uint32_t peer, uint16_t port)
{
	struct ipsec_sa_entry *e = sa_find(a, t, peer);
	uint16_t port_be = rte_cpu_to_be_16(port);

	if (!e || !e->ike || !e->params.udp || !port || e->params.udp_port == port)
		return;
	e->params.udp_port = port;
	__atomic_store_n(&e->out->udp_dport_be, port_be, __ATOMIC_RELEASE);
	/* The old binding's packets may be in a worker's hands still; the
	 * new port's could reach another worker (RSS): none are taken until
	 * the workers that saw the old one are done with it. */
	__atomic_store_n(&e->in->udp_dport_be, 0, __ATOMIC_RELEASE);
	e->rebind_token = rte_rcu_qsbr_start(a->dp.tables.qsbr);
	e->rebinding = 1;
}

#define IPSEC_PENDING_S 120

int ipsec_sa_install_inbound_ike(struct app *a, const struct cfg_sa *p)
{
	struct sa_rt *in;
	int rc;

	if (ipsec_sa_is_static(a, p->tunnel, p->peer))
		return -EEXIST;
	if (a->n_retiring == IPSEC_MAX_RETIRING)
		return -ENOSPC;
	in = sa_build(a, p, &p->in, 1);
	if (!in)
		return -EINVAL;
	if ((rc = tables_sa_in_set(&a->dp.tables, in->spi_be, in)))
		return rc; /* freed by the table */
	a->retiring[a->n_retiring].spi_be = in->spi_be;
	a->retiring[a->n_retiring].until = time(NULL) + IPSEC_PENDING_S;
	a->retiring[a->n_retiring].pending = in;
	a->n_retiring++;
	return 0;
}

void ipsec_sa_remove_ike(struct app *a, unsigned t, uint32_t peer, uint32_t spi)
{
	struct ipsec_sa_entry *e = sa_find(a, t, peer);
	uint32_t spi_be = rte_cpu_to_be_32(spi);

	if (e && e->ike && e->params.in.spi == spi) {
		ipsec_sa_remove(a, t, peer);
		return;
	}
	/* An old inbound SA kept after a rekey: IKE deleted it, so it goes now. */
	for (unsigned i = 0; i < a->n_retiring; i++)
		if (a->retiring[i].spi_be == spi_be) {
			tables_sa_in_del(&a->dp.tables, spi_be);
			a->retiring[i] = a->retiring[--a->n_retiring];
			return;
		}
}

int ipsec_sa_is_static(const struct app *a, unsigned t, uint32_t peer)
{
	const struct ipsec_sa_entry *e = sa_find(a, t, peer);

	return e && !e->ike;
}

void ipsec_sa_remove(struct app *a, unsigned t, uint32_t peer)
{
	struct ipsec_sa_entry *e = sa_find(a, t, peer);

	if (!e)
		return;
	tables_sa_in_del(&a->dp.tables, e->in->spi_be);
	tables_sa_out_del(&a->dp.tables, (uint16_t)t, peer);
	memset(&e->params, 0, sizeof(e->params));
	u64map_del(&a->sa_idx, sa_key(t, peer));
	*e = a->sas[--a->n_sas];
	if (e != &a->sas[a->n_sas])
		sa_index(a, (unsigned)(e - a->sas));
}

/* SHA-256 of a direction's key (direction and lengths first, so no two
 * splits of the same bytes meet; inbound, the SPI too: what a replayed
 * packet must match): what the history compares and keeps, never the key. */
static int key_digest(const struct cfg_sa_dir *d, int inbound, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint32_t spi = inbound ? d->spi : 0;
	uint8_t lens[7] = {(uint8_t)!!inbound, d->key_len, d->auth_len, (uint8_t)(spi >> 24),
			   (uint8_t)(spi >> 16), (uint8_t)(spi >> 8), (uint8_t)spi};
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, lens, sizeof(lens)) &&
		 EVP_DigestUpdate(c, d->key, d->key_len) &&
		 EVP_DigestUpdate(c, d->auth_key, d->auth_len) &&
		 EVP_DigestFinal_ex(c, out, NULL);

	EVP_MD_CTX_free(c);
	return ok ? 0 : -ENOMEM;
}

static uint64_t digest_key(const uint8_t *dg)
{
	uint64_t k;

	memcpy(&k, dg, sizeof(k));
	return k;
}

static struct ipsec_key_used *key_used_find(const struct app *a, const uint8_t *dg)
{
	uint32_t i;

	if (!a->keys_used_idx.cap || u64map_get(&a->keys_used_idx, digest_key(dg), &i) ||
	    memcmp(a->keys_used[i].digest, dg, sizeof(a->keys_used[i].digest)))
		return NULL;
	return &a->keys_used[i];
}

static int dir_keyed(const struct cfg_sa_dir *d)
{
	return d->key_len || d->auth_len;
}

/* Remember p's key of one direction, outbound with seq as the highest
 * sequence sent under it so far. 0, -ENOSPC (IPSEC_KEYS_USED_MAX) or
 * -ENOMEM. */
static int key_used_note_dir(struct app *a, const struct cfg_sa *p, int inbound, uint64_t seq)
{
	const struct cfg_sa_dir *d = inbound ? &p->in : &p->out;
	struct ipsec_key_used *k;
	uint8_t dg[32];

	if (!dir_keyed(d))
		return 0;
	if (key_digest(d, inbound, dg))
		return -ENOMEM;
	k = key_used_find(a, dg);
	if (!k) {
		if (a->n_keys_used >= IPSEC_KEYS_USED_MAX)
			return -ENOSPC;
		if (app_grow((void **)&a->keys_used, &a->cap_keys_used, a->n_keys_used + 1,
			     sizeof(*a->keys_used)) ||
		    (!a->keys_used_idx.cap && u64map_init(&a->keys_used_idx, 64)) ||
		    u64map_put(&a->keys_used_idx, digest_key(dg), a->n_keys_used))
			return -ENOMEM;
		k = &a->keys_used[a->n_keys_used++];
		memset(k, 0, sizeof(*k));
		memcpy(k->digest, dg, sizeof(dg));
		k->peer = p->peer;
		k->spi = d->spi;
		k->tunnel = p->tunnel;
		k->inbound = (uint8_t)!!inbound;
	}
	if (seq > k->seq)
		k->seq = seq;
	return 0;
}

/* Both directions of p: an outbound key would restart its sequence (GCM
 * nonces repeat), an inbound SPI and key their replay window (packets
 * captured under them would be taken again). */
static int key_used_note(struct app *a, const struct cfg_sa *p, uint64_t seq)
{
	int rc = key_used_note_dir(a, p, 0, seq);

	return rc ? rc : key_used_note_dir(a, p, 1, 0);
}

static uint64_t sa_out_seq(const struct ipsec_sa_entry *e)
{
	return __atomic_load_n(&e->out->seq, __ATOMIC_RELAXED);
}

int ipsec_check(const struct app *a, const struct dmvpn_config *cfg, char *err, size_t errlen)
{
	char s[ADDR_STRLEN], s2[ADDR_STRLEN];
	struct u64map mine = {0};    /* this file's outbound keys: digest -> index */
	unsigned fresh = 0;
	uint8_t dg[32];
	int rc = -EINVAL;

	if (cfg->n_sas && u64map_init(&mine, cfg->n_sas))
		goto nomem;
	for (unsigned i = 0; i < cfg->n_sas; i++) {
		const struct cfg_sa *p = &cfg->sas[i];
		const struct ipsec_sa_entry *e = sa_find(a, p->tunnel, p->peer);
		const struct ipsec_key_used *k;
		uint32_t j;

		/* ESP-NULL without integrity has no key, nothing to reuse. */
		int keyed = dir_keyed(&p->out);

		if (keyed && key_digest(&p->out, 0, dg))
			goto nomem;
		/* Two SAs of one file under one key: both would start at 1. */
		if (keyed && !u64map_get(&mine, digest_key(dg), &j) &&
		    p->out.key_len == cfg->sas[j].out.key_len &&
		    !memcmp(p->out.key, cfg->sas[j].out.key, p->out.key_len) &&
		    p->out.auth_len == cfg->sas[j].out.auth_len &&
		    !memcmp(p->out.auth_key, cfg->sas[j].out.auth_key, p->out.auth_len)) {
			snprintf(err, errlen, "%s: ipsec.sas[%u] (peer %s): same outbound key as "
				 "ipsec.sas[%u]: each SA needs its own", cfg->file, i,
				 addr_fmt(p->peer, s), j);
			goto out;
		}
		if (keyed && u64map_put(&mine, digest_key(dg), i))
			goto nomem;
		if (e && !e->ike && !memcmp(&e->params, p, sizeof(*p)))
			continue; /* unchanged: its sequence goes on */
		if (keyed && (k = key_used_find(a, dg))) {
			snprintf(err, errlen, "%s: ipsec.sas[%u] (peer %s, outbound SPI %08x): this "
				 "outbound key was used before by this process (SA to %s, outbound SPI "
				 "%08x, up to sequence %llu): its sequence would restart under it "
				 "(AES-GCM nonce reuse); a changed or re-added SA needs a new outbound "
				 "key", cfg->file, i, addr_fmt(p->peer, s), p->out.spi,
				 addr_fmt(k->peer, s2), k->spi, (unsigned long long)k->seq);
			goto out;
		}
		fresh += (unsigned)keyed;
		if (dir_keyed(&p->in)) {
			if (key_digest(&p->in, 1, dg))
				goto nomem;
			if ((k = key_used_find(a, dg))) {
				snprintf(err, errlen, "%s: ipsec.sas[%u] (peer %s, inbound SPI %08x): "
					 "this inbound SPI and key were used before by this process "
					 "(SA to %s): its replay window would start again, so packets "
					 "captured under them would be taken again; a changed or "
					 "re-added SA needs a new inbound SPI or key", cfg->file, i,
					 addr_fmt(p->peer, s), p->in.spi, addr_fmt(k->peer, s2));
				goto out;
			}
			fresh++;
		}
		if (e && e->params.in.spi == p->in.spi) {
			snprintf(err, errlen, "%s: ipsec.sas[%u] (peer %s): a changed SA needs a "
				 "new inbound SPI", cfg->file, i, addr_fmt(p->peer, s));
			goto out;
		}
	}
	if (a->n_keys_used + fresh > IPSEC_KEYS_USED_MAX) {
		snprintf(err, errlen, "%s: %u new keys: this process remembers %u keys "
			 "used at most (%u already): restart dmvpnd, with fresh keys", cfg->file,
			 fresh, IPSEC_KEYS_USED_MAX, a->n_keys_used);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "%s: out of memory checking the IPsec SAs", cfg->file);
	rc = -ENOMEM;
out:
	u64map_fini(&mine);
	return rc;
}

int ipsec_sync(struct app *a, const struct dmvpn_config *cfg)
{
	int rc;

	for (unsigned i = 0; i < a->n_sas; i++)
		a->sas[i].seen = 0;
	for (unsigned i = 0; i < cfg->n_sas; i++) {
		const struct cfg_sa *p = &cfg->sas[i];
		struct ipsec_sa_entry *e = sa_find(a, p->tunnel, p->peer);

		if (e && !memcmp(&e->params, p, sizeof(*p))) {
			e->seen = 1;
			continue;
		}
		/* The key going out and the one coming in stay remembered. */
		if ((e && !e->ike && (rc = key_used_note(a, &e->params, sa_out_seq(e)))) ||
		    (rc = key_used_note(a, p, 0)) || (rc = ipsec_sa_install(a, p)))
			return rc;
		sa_find(a, p->tunnel, p->peer)->seen = 1;
	}
	for (unsigned i = 0; i < a->n_sas;) {
		if (!a->sas[i].seen && !a->sas[i].ike) {
			/* Only its highest sequence to update: it cannot fail. */
			(void)key_used_note(a, &a->sas[i].params, sa_out_seq(&a->sas[i]));
			ipsec_sa_remove(a, a->sas[i].params.tunnel, a->sas[i].params.peer);
			continue;
		}
		i++;
	}
	return 0;
}

#define IPSEC_REPORTS 32

void ipsec_tick(struct app *a)
{
	struct { unsigned t; uint32_t peer; int hard; } rep[IPSEC_REPORTS];
	unsigned n_rep = 0;
	time_t now = time(NULL);
	char s[ADDR_STRLEN];

	for (unsigned i = 0; i < a->n_retiring;) {
		if (now >= a->retiring[i].until) {
			tables_sa_in_del(&a->dp.tables, a->retiring[i].spi_be);
			a->retiring[i] = a->retiring[--a->n_retiring];
			continue;
		}
		i++;
	}

	for (unsigned i = 0; i < a->n_sas; i++) {
		struct ipsec_sa_entry *e = &a->sas[i];

		if (e->rebinding && rte_rcu_qsbr_check(a->dp.tables.qsbr, e->rebind_token, false) == 1) {
			__atomic_store_n(&e->in->udp_dport_be, rte_cpu_to_be_16(e->params.udp_port),
					 __ATOMIC_RELEASE);
			e->rebinding = 0;
		}
	}
	for (unsigned i = 0; i < a->n_sas; i++) {
		struct ipsec_sa_entry *e = &a->sas[i];
		const struct cfg_sa *p = &e->params;
		uint64_t opk = sa_rt_out_packets(e->out), oby = sa_rt_out_bytes(e->out);
		uint64_t pk = opk > e->in->packets ? opk : e->in->packets;
		uint64_t by = oby > e->in->bytes ? oby : e->in->bytes;
		int soft = (p->life_packets && pk >= p->life_packets / 10 * 9) ||
			   (p->life_bytes && by >= p->life_bytes / 10 * 9) ||
			   (p->life_seconds && now - e->installed >= (time_t)p->life_seconds * 9 / 10);

		int hard = (p->life_packets && pk >= p->life_packets) ||
			   (p->life_bytes && by >= p->life_bytes);

		if (soft && !e->soft_reported && e->ike) {
			/* IKEv2 rekeys: after this loop, it may change the SAs. */
			if (n_rep == IPSEC_REPORTS)
				continue;
			rep[n_rep++] = (typeof(rep[0])){p->tunnel, p->peer, 0};
			e->soft_reported = 1;
		} else if (soft && !e->soft_reported) {
			/* Static keys can only be replaced by hand. */
			LOG(a, "IPsec SA to %s: soft lifetime reached, rekey needed",
			    addr_fmt(p->peer, s));
			e->soft_reported = 1;
		}
		if (p->life_seconds && now - e->installed >= (time_t)p->life_seconds &&
		    !e->out->expired) {
			LOG(a, "IPsec SA to %s: hard lifetime reached, expired", addr_fmt(p->peer, s));
			e->out->expired = 1;
			e->in->expired = 1;
			hard = 1;
		}
		if (hard && !e->hard_reported && e->ike && n_rep < IPSEC_REPORTS) {
			rep[n_rep++] = (typeof(rep[0])){p->tunnel, p->peer, 1};
			e->hard_reported = 1;
		}
	}
	for (unsigned i = 0; i < n_rep && a->ike; i++)
		ike_child_expiring(a->ike, rep[i].t, rep[i].peer, rep[i].hard);
}

void ipsec_fini(struct app *a)
{
	for (unsigned i = 0; i < a->n_sas; i++)
		memset(&a->sas[i].params, 0, sizeof(a->sas[i].params));
	free(a->sas);
	a->sas = NULL;
	a->n_sas = 0;
	u64map_fini(&a->sa_idx);
	free(a->keys_used);
	a->keys_used = NULL;
	a->n_keys_used = a->cap_keys_used = 0;
	u64map_fini(&a->keys_used_idx);
}
