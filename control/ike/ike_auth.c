/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE_AUTH (RFC 7296 1.2, 2.15): identities, PSK or certificate AUTH, the first (GRE) CHILD_SA. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/x509.h>

#include "control/ike/ike_priv.h"

/* ---- credentials ---- */

int ike_cred_setup(struct ike_engine *e, const struct cfg_ike *conf, struct ike_cred **out)
{
	for (unsigned i = 0; i < conf->n_conns; i++) {
		const struct cfg_ike_conn *c = &conf->conns[i];
		char err[256] = "";

		out[i] = NULL;
		if (c->local.auth != CFG_IKE_AUTH_PUBKEY && c->remote.auth != CFG_IKE_AUTH_PUBKEY)
			continue;
		out[i] = ike_cred_load(c->local.cert[0] ? c->local.cert : NULL,
				       c->local.key[0] ? c->local.key : NULL,
				       c->remote.cacert[0] ? c->remote.cacert : NULL, err, sizeof(err));
		if (!out[i]) {
			ike_log(e, 0, "ike: connection %s: %s", c->name, err);
			for (unsigned j = 0; j < i; j++) {
				ike_cred_free(out[j]);
				out[j] = NULL;
			}
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- identities ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A configured identity (swanctl notation) as ID payload type and data. */
static int ike_id_encode(const char *s, uint8_t type, uint8_t *out_type, uint8_t *buf, size_t cap,
			 size_t *len)
{
	struct in_addr a;
	size_t n;

	if (!type) {
		if (inet_pton(AF_INET, s, &a) == 1)
			type = IKE_ID_IPV4;
		else if (!strncmp(s, "@#", 2))
			type = IKE_ID_KEY_ID;
		else if (s[0] == '@')
			type = IKE_ID_FQDN;
		else if (strchr(s, '='))
			type = IKE_ID_DER_DN;
		else
			type = strchr(s, '@') ? IKE_ID_RFC822 : IKE_ID_FQDN;
	}
	*out_type = type;
	switch (type) {
	case IKE_ID_IPV4:
		if (inet_pton(AF_INET, s, &a) != 1 || cap < 4)
			return -EINVAL;
		memcpy(buf, &a, 4);
		*len = 4;
		return 0;
	case IKE_ID_KEY_ID:
		if (!strncmp(s, "@#", 2)) {
			s += 2;
			n = strlen(s);
			if (n % 2 || n / 2 > cap)
				return -EINVAL;
			for (size_t i = 0; i < n / 2; i++) {
				int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);

				if (h < 0 || l < 0)
					return -EINVAL;
				buf[i] = (uint8_t)(h << 4 | l);
			}
			*len = n / 2;
			return 0;
		}
		break;
	case IKE_ID_FQDN:
		if (s[0] == '@')
			s++;
		break;
	case IKE_ID_DER_DN: {
		/* "C=CH, O=org, CN=name" -> DER, as X.509 subjects are compared. */
		X509_NAME *nm = X509_NAME_new();
		char tmp[CFG_IKE_ID_MAX], *save = NULL, *tok;
		unsigned char *p = NULL;
		int dl;

		snprintf(tmp, sizeof(tmp), "%s", s);
		for (tok = strtok_r(tmp, ",/", &save); nm && tok; tok = strtok_r(NULL, ",/", &save)) {
			char *eq = strchr(tok, '=');

			while (*tok == ' ')
				tok++;
			if (!eq)
				continue;
			*eq = 0;
			if (!X509_NAME_add_entry_by_txt(nm, tok, MBSTRING_UTF8,
							(const unsigned char *)eq + 1, -1, -1, 0)) {
				X509_NAME_free(nm);
				return -EINVAL;
			}
		}
		dl = nm ? i2d_X509_NAME(nm, &p) : -1;
		X509_NAME_free(nm);
		if (dl <= 0 || (size_t)dl > cap) {
			OPENSSL_free(p);
			return -EINVAL;
		}
		memcpy(buf, p, (size_t)dl);
		*len = (size_t)dl;
		OPENSSL_free(p);
		return 0;
	}
	default:
		break;
	}
	n = strlen(s);
	if (n > cap)
		return -EINVAL;
	memcpy(buf, s, n);
	*len = n;
	return 0;
}

/* For logs, `show ike sa` and secrets: an ID as text. */
static void ike_id_format(uint8_t type, const uint8_t *d, size_t len, char *out, size_t cap)
{
	size_t k;

	switch (type) {
	case IKE_ID_IPV4:
		if (len == 4) {
			inet_ntop(AF_INET, d, out, (socklen_t)cap);
			return;
		}
		break;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822:
		snprintf(out, cap, "%.*s", (int)len, (const char *)d);
		for (size_t i = 0; out[i]; i++)
			if (out[i] < 0x20 || out[i] > 0x7e)
				out[i] = '?';
		return;
	case IKE_ID_DER_DN: {
		const unsigned char *p = d;
		X509_NAME *nm = d2i_X509_NAME(NULL, &p, (long)len);

		if (nm) {
			X509_NAME_oneline(nm, out, (int)cap);
			X509_NAME_free(nm);
			return;
		}
		break;
	}
	case IKE_ID_KEY_ID:
		k = (size_t)snprintf(out, cap, "@#");
		for (size_t i = 0; i < len && k + 3 <= cap; i++, k += 2)
			snprintf(out + k, cap - k, "%02x", d[i]);
		return;
	}
	snprintf(out, cap, "(ID type %u, %zu bytes)", type, len);
}

/* The ID payload body: type, three reserved bytes, data (IDx' of 2.15). */
struct ike_idbody {
	uint8_t b[4 + 512];
	size_t len;
};

static int ike_id_local(struct ike_sa *sa, struct ike_idbody *id)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	struct ike_cred *cred = sa->e->cred[sa->conn];
	uint8_t type;
	size_t len;

	memset(id->b, 0, 4);
	if (!c->local.id[0] && c->local.auth == CFG_IKE_AUTH_PUBKEY && cred) {
		const uint8_t *d;

		if (ike_cred_id(cred, &type, &d, &len) || len > sizeof(id->b) - 4)
			return -EINVAL;
		memcpy(id->b + 4, d, len);
	} else if (!c->local.id[0]) {
		/* Default: our address as configured (before any NAT). */
		type = IKE_ID_IPV4;
		memcpy(id->b + 4, &sa->local, 4);
		len = 4;
	} else if (ike_id_encode(c->local.id, c->local.id_type, &type, id->b + 4, sizeof(id->b) - 4,
				 &len)) {
		return -EINVAL;
	}
	id->b[0] = type;
	id->len = 4 + len;
	ike_id_format(type, id->b + 4, len, sa->local_id, sizeof(sa->local_id));
	return 0;
}

static int ike_id_same(const char *cfg, uint8_t cfg_type, const struct ike_id_view *id)
{
	uint8_t t, buf[512];
	size_t len;

	return !ike_id_encode(cfg, cfg_type, &t, buf, sizeof(buf), &len) && t == id->type &&
	       len == id->len && !memcmp(buf, id->data, len);
}

/* Whether the peer's ID is the one the connection expects ("" = any). */
static int ike_id_remote_ok(const struct ike_sa *sa, const struct ike_id_view *id)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);

	return !c->remote.id[0] || ike_id_same(c->remote.id, c->remote.id_type, id);
}

/*
 * The PSK for this pair: a secret naming the peer's ID first, then one
 * naming ours, then one for any peer. NULL if none.
 */
static const struct cfg_ike_secret *ike_psk_find(const struct ike_sa *sa, const struct ike_id_view *peer,
						 const struct ike_idbody *ours)
{
	const struct cfg_ike *k = &sa->e->conf;
	struct ike_id_view me = {ours->b[0], (uint16_t)(ours->len - 4), ours->b + 4};

	for (int pass = 0; pass < 3; pass++)
		for (unsigned i = 0; i < k->n_secrets; i++) {
			const struct cfg_ike_secret *s = &k->secrets[i];

			if ((pass == 0 && s->id[0] && ike_id_same(s->id, 0, peer)) ||
			    (pass == 1 && s->id[0] && ike_id_same(s->id, 0, &me)) ||
			    (pass == 2 && !s->id[0]))
				return s;
		}
	return NULL;
}

/* The peer's ID as we expect it before it tells us (initiator's PSK lookup). */
static void ike_id_expected(const struct ike_sa *sa, struct ike_id_view *v, uint8_t *buf, size_t cap)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	size_t len;

	if (c->remote.id[0] && !ike_id_encode(c->remote.id, c->remote.id_type, &v->type, buf, cap, &len)) {
		v->len = (uint16_t)len;
	} else {
		v->type = IKE_ID_IPV4;
		memcpy(buf, &sa->remote, 4);
		v->len = 4;
	}
	v->data = buf;
}

/* ---- AUTH ---- */

/* Our octets (2.15): our IKE_SA_INIT message, the peer's nonce, prf(SK_p, ID'). */
static void ike_octets_ours(const struct ike_sa *sa, const uint8_t **msg, size_t *mlen,
			    const uint8_t **nonce, size_t *nlen, const uint8_t **skp)
{
	if (sa->initiator) {
		*msg = sa->init_req;
		*mlen = sa->init_req_len;
		*nonce = sa->nr;
		*nlen = sa->nr_len;
		*skp = sa->keys.sk_pi;
	} else {
		*msg = sa->init_resp;
		*mlen = sa->init_resp_len;
		*nonce = sa->ni;
		*nlen = sa->ni_len;
		*skp = sa->keys.sk_pr;
	}
}

static void ike_octets_peer(const struct ike_sa *sa, const uint8_t **msg, size_t *mlen,
			    const uint8_t **nonce, size_t *nlen, const uint8_t **skp)
{
	if (!sa->initiator) {
		*msg = sa->init_req;
		*mlen = sa->init_req_len;
		*nonce = sa->nr;
		*nlen = sa->nr_len;
		*skp = sa->keys.sk_pi;
	} else {
		*msg = sa->init_resp;
		*mlen = sa->init_resp_len;
		*nonce = sa->ni;
		*nlen = sa->ni_len;
		*skp = sa->keys.sk_pr;
	}
}

/* Write our CERT (if certificates) and AUTH payloads. */
static int ike_auth_write(struct ike_sa *sa, struct ike_w *w, const struct ike_idbody *id,
			  const struct ike_id_view *peer)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	const uint8_t *m, *n, *skp;
	size_t ml, nl;
	uint16_t prf = sa->suite.prf;

	ike_octets_ours(sa, &m, &ml, &n, &nl, &skp);
	if (c->local.auth == CFG_IKE_AUTH_PUBKEY) {
		struct ike_cred *cred = sa->e->cred[sa->conn];
		const uint8_t *der;
		size_t der_len, olen, sig_len;
		uint8_t *oct, method, sig[1024];
		int rc;

		if (!cred || ike_cred_cert_der(cred, &der, &der_len))
			return -ENOENT;
		oct = ike_signed_octets(prf, m, ml, n, nl, skp, sa->keys.prf_len, id->b, id->len, &olen);
		if (!oct)
			return -ENOMEM;
		sig_len = sizeof(sig);
		rc = ike_cred_sign(cred, sa->peer_rfc7427, oct, olen, &method, sig, &sig_len);
		free(oct);
		if (rc)
			return rc;
		ike_w_cert(w, IKE_CERT_X509_SIG, der, der_len);
		ike_w_auth(w, method, sig, sig_len);
	} else {
		const struct cfg_ike_secret *s = ike_psk_find(sa, peer, id);
		uint8_t auth[IKE_MAX_KEY];

		if (!s)
			return -ENOENT;
		if (ike_auth_psk(prf, (const uint8_t *)s->secret, s->secret_len, m, ml, n, nl, skp,
				 sa->keys.prf_len, id->b, id->len, auth))
			return -EINVAL;
		ike_w_auth(w, IKE_AUTH_PSK, auth, sa->keys.prf_len);
		explicit_bzero(auth, sizeof(auth));
	}
	return 0;
}

/* Verify the peer's AUTH over its octets. 0 or -EACCES. */
static int ike_auth_verify(struct ike_sa *sa, const struct ike_chain *ch, const struct ike_payload *idp,
			   const struct ike_id_view *peer, const struct ike_idbody *ours)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	const struct ike_payload *ap = ike_chain_find(ch, IKE_PL_AUTH);
	struct ike_auth_view av;
	const uint8_t *m, *n, *skp;
	size_t ml, nl;
	uint16_t prf = sa->suite.prf;

	if (!ap || ike_auth_parse(ap->body, ap->len, &av))
		return -EACCES;
	ike_octets_peer(sa, &m, &ml, &n, &nl, &skp);
	if (c->remote.auth == CFG_IKE_AUTH_PUBKEY) {
		struct ike_cred *cred = sa->e->cred[sa->conn];
		const struct ike_payload *cp = ike_chain_find(ch, IKE_PL_CERT);
		struct ike_cert_view cv;
		uint8_t *oct;
		size_t olen;
		char err[256] = "";
		int rc;

		if (!cred || !cp || ike_cert_parse(cp->body, cp->len, &cv) ||
		    cv.encoding != IKE_CERT_X509_SIG)
			return -EACCES;
		oct = ike_signed_octets(prf, m, ml, n, nl, skp, sa->keys.prf_len, idp->body, idp->len,
					&olen);
		if (!oct)
			return -EACCES;
		rc = ike_cred_verify_peer(cred, cv.data, cv.len, peer->type, peer->data, peer->len,
					  av.method, av.data, av.len, oct, olen, err, sizeof(err));
		free(oct);
		if (rc)
			ike_log(sa->e, 0, "ike: %s: certificate: %s",
				inet_ntoa((struct in_addr){sa->remote}), err);
		return rc ? -EACCES : 0;
	} else {
		const struct cfg_ike_secret *s = ike_psk_find(sa, peer, ours);
		uint8_t want[IKE_MAX_KEY];
		int ok;

		if (!s || av.method != IKE_AUTH_PSK || av.len != sa->keys.prf_len)
			return -EACCES;
		if (ike_auth_psk(prf, (const uint8_t *)s->secret, s->secret_len, m, ml, n, nl, skp,
				 sa->keys.prf_len, idp->body, idp->len, want))
			return -EACCES;
		ok = !ike_memeq_ct(want, av.data, av.len);
		explicit_bzero(want, sizeof(want));
		return ok ? 0 : -EACCES;
	}
}

/* ---- the GRE CHILD_SA ---- */

void ike_ts_gre(uint32_t addr_be, struct ike_ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->proto = 47;
	ts->port_lo = 0;
	ts->port_hi = 65535;
	ts->addr_lo = ts->addr_hi = ntohl(addr_be);
}

/*
 * The selector to answer for one side: GRE to or from addr. A selector of
 * the peer's covering addr is narrowed to it; behind a NAT the peer names
 * an address we cannot see (its own private one, RFC 7296 2.23.1), which
 * we then take as it is (proto narrowed to GRE). 1 if acceptable.
 */
static int ike_ts_pick(const struct ike_payload *p, uint32_t addr_be, int nat, struct ike_ts *out)
{
	struct ike_ts_view v;
	uint32_t a = ntohl(addr_be);
	const struct ike_ts *any = NULL;

	if (!p || ike_ts_parse(p->body, p->len, &v))
		return 0;
	for (unsigned i = 0; i < v.n; i++) {
		const struct ike_ts *t = &v.ts[i];

		if ((t->proto != 0 && t->proto != 47) || t->port_lo != 0 || t->port_hi != 65535)
			continue;
		if (t->addr_lo <= a && a <= t->addr_hi) {
			ike_ts_gre(addr_be, out);
			return 1;
		}
		if (!any)
			any = t;
	}
	if (!nat || !any)
		return 0;
	*out = *any;
	out->proto = 47;
	return 1;
}

void ike_child_ts_addrs(const struct ike_chain *c, const struct ike_ts *tsi,
			const struct ike_ts *tsr, uint32_t ts[2])
{
	struct ike_ts_view vi, vr;
	const struct ike_payload *pi, *pr;

	ts[0] = ts[1] = 0;
	if (c) {
		/* our request's answer: TSi is our side */
		pi = ike_chain_find(c, IKE_PL_TSI);
		pr = ike_chain_find(c, IKE_PL_TSR);
		if (!pi || !pr || ike_ts_parse(pi->body, pi->len, &vi) ||
		    ike_ts_parse(pr->body, pr->len, &vr) || !vi.n || !vr.n)
			return;
		ts[0] = htonl(vi.ts[0].addr_lo);
		ts[1] = htonl(vr.ts[0].addr_lo);
	} else {
		/* our answer: TSi is the peer's side */
		ts[0] = htonl(tsr->addr_lo);
		ts[1] = htonl(tsi->addr_lo);
	}
}

int ike_ts_acceptable(const struct ike_chain *c, uint32_t tsi_addr_be, uint32_t tsr_addr_be, int nat_i,
		      int nat_r)
{
	struct ike_ts i, r;

	return ike_ts_answer(c, tsi_addr_be, tsr_addr_be, nat_i, nat_r, &i, &r);
}

int ike_ts_answer(const struct ike_chain *c, uint32_t tsi_addr_be, uint32_t tsr_addr_be, int nat_i,
		  int nat_r, struct ike_ts *tsi, struct ike_ts *tsr)
{
	return ike_ts_pick(ike_chain_find(c, IKE_PL_TSI), tsi_addr_be, nat_i, tsi) &&
	       ike_ts_pick(ike_chain_find(c, IKE_PL_TSR), tsr_addr_be, nat_r, tsr);
}

static unsigned ike_esp_suites(const struct cfg_ike_conn *c, int with_dh, struct ike_suite *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->child.n_esp && i < IKE_MAX_PROPOSALS; i++) {
		out[n] = c->child.esp[i];
		if (!with_dh)
			out[n].dh = 0;
		n++;
	}
	return n;
}

int ike_esp_sa(struct ike_sa *sa, uint32_t spi, int with_dh, struct ike_sa_view *v)
{
	struct ike_suite s[CFG_IKE_MAX_SUITES];
	unsigned n = ike_esp_suites(ike_sa_conn(sa), with_dh, s);
	uint32_t spi_be = htonl(spi);

	if (!n)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	for (unsigned i = 0; i < n; i++)
		ike_suite_to_proposal(&s[i], (uint8_t)(i + 1), IKE_PROTO_ESP, (const uint8_t *)&spi_be, 4,
				      &v->p[v->n++]);
	return 0;
}

/* The peer's choice of our ESP proposals in its reply, or its offer we pick from. */
int ike_esp_pick(struct ike_sa *sa, const struct ike_chain *c, int with_dh, int reply,
		 uint16_t prefer_dh, struct ike_suite *chosen, uint32_t *peer_spi, uint8_t *num)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_SA);
	struct ike_suite s[CFG_IKE_MAX_SUITES];
	unsigned n = ike_esp_suites(ike_sa_conn(sa), with_dh, s), which = 0;
	struct ike_sa_view v;
	uint32_t spi_be;

	if (!p || ike_sa_parse(p->body, p->len, &v) || !v.n)
		return -EINVAL;
	if (reply) {
		if (v.n != 1 || ike_suite_match_reply(s, n, &v.p[0], IKE_PROTO_ESP, chosen))
			return -ENOENT;
	} else {
		struct ike_suite same[CFG_IKE_MAX_SUITES];
		unsigned k = 0;

		/* With the peer's KE in a group we also take, prefer the suites
		 * of that group (no INVALID_KE_PAYLOAD round trip). */
		for (unsigned i = 0; prefer_dh && i < n; i++)
			if (s[i].dh == prefer_dh)
				same[k++] = s[i];
		if ((!k || ike_suite_select(same, k, &v, IKE_PROTO_ESP, chosen, &which)) &&
		    ike_suite_select(s, n, &v, IKE_PROTO_ESP, chosen, &which))
			return -ENOENT;
	}
	if (v.p[which].spi_len != 4)
		return -EINVAL;
	memcpy(&spi_be, v.p[which].spi, 4);
	*peer_spi = ntohl(spi_be);
	*num = v.p[which].num;
	return *peer_spi < 256 ? -EINVAL : 0;
}

static int ike_child_keymat(struct ike_sa *sa, const struct ike_suite *esp, const uint8_t *gir,
			    size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			    size_t nr_len, uint8_t *out, size_t *outlen)
{
	size_t el, il;

	ike_suite_key_lens(esp, &el, &il);
	*outlen = 2 * (el + il);
	return ike_derive_child_keys(sa->suite.prf, sa->keys.sk_d, sa->keys.prf_len, esp, gir, gir_len,
				     ni, ni_len, nr, nr_len, out, *outlen);
}

int ike_child_make(struct ike_sa *sa, const struct ike_suite *esp, uint32_t spi_in, uint32_t spi_out,
		   uint8_t mode, int we_initiated, const uint8_t *gir, size_t gir_len,
		   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, int inbound_only,
		   const uint32_t ts[2])
{
	struct ike_child *c = ike_child_slot(sa);
	uint8_t km[4 * IKE_MAX_KEY + 64];
	size_t kl;
	int rc;

	if (!c)
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	c->suite = *esp;
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->mode = mode;
	c->encap = (uint8_t)(sa->nat_local || sa->nat_remote || ike_sa_conn(sa)->encap);
	/* Known before the install: tunnel mode writes them in the inner header. */
	c->ts_local = ts[0];
	c->ts_remote = ts[1];
	rc = ike_child_keymat(sa, esp, gir, gir_len, ni, ni_len, nr, nr_len, km, &kl);
	if (!rc)
		rc = ike_child_install(sa, c, we_initiated, km, inbound_only);
	explicit_bzero(km, sizeof(km));
	if (rc)
		memset(c, 0, sizeof(*c));
	return rc;
}

/* ---- initiator ---- */

static int ike_auth_has_contact(struct ike_sa *sa)
{
	IKE_FOR_PEER(sa->e, sa->tunnel, sa->remote, o)
		if (o != sa && o->state == IKE_S_ESTABLISHED)
			return 1;
	return 0;
}

int ike_auth_start(struct ike_sa *sa)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	struct ike_out o;
	struct ike_idbody id;
	struct ike_sa_view v;
	struct ike_ts tsi, tsr;
	struct ike_id_view peer;
	uint8_t pbuf[512];
	int rc;

	if ((rc = ike_id_local(sa, &id)))
		return rc;
	ike_id_expected(sa, &peer, pbuf, sizeof(pbuf));
	sa->rk.new_spi_in = ike_child_spi_new(sa->e);
	if ((rc = ike_esp_sa(sa, sa->rk.new_spi_in, 0, &v)))
		return rc;
	ike_out_init(&o);
	ike_w_id(&o.w, IKE_PL_IDI, id.b[0], id.b + 4, id.len - 4);
	if ((rc = ike_auth_write(sa, &o.w, &id, &peer)))
		goto out;
	if (c->remote.auth == CFG_IKE_AUTH_PUBKEY && sa->e->cred[sa->conn]) {
		uint8_t keyid[20];

		if (!ike_cred_ca_keyid(sa->e->cred[sa->conn], keyid))
			ike_w_certreq(&o.w, IKE_CERT_X509_SIG, keyid, sizeof(keyid));
	}
	if (c->remote.id[0]) {
		uint8_t t, buf[512];
		size_t len;

		if (!ike_id_encode(c->remote.id, c->remote.id_type, &t, buf, sizeof(buf), &len))
			ike_w_id(&o.w, IKE_PL_IDR, t, buf, len);
	}
	/* "No other IKE SA with you" (RFC 7296 2.4): not while one crossing
	 * ours is up, which the peer would drop without a Delete. */
	if (!ike_auth_has_contact(sa))
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	if (c->child.mode == CFG_SA_TRANSPORT)
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_sa(&o.w, &v);
	ike_ts_gre(sa->local, &tsi);
	ike_ts_gre(sa->remote, &tsr);
	ike_w_ts(&o.w, IKE_PL_TSI, &tsi, 1);
	ike_w_ts(&o.w, IKE_PL_TSR, &tsr, 1);
	if ((rc = ike_send_request(sa, IKE_AUTH, IKE_T_AUTH, &o)))
		goto out;
	sa->state = IKE_S_AUTH_SENT;
out:
	explicit_bzero(&o, sizeof(o));
	return rc;
}

static int ike_error_notify(const struct ike_chain *c, uint16_t *type)
{
	struct ike_notify_view nv;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->pl[i].type != IKE_PL_NOTIFY || ike_notify_parse(c->pl[i].body, c->pl[i].len, &nv))
			continue;
		if (nv.type <= IKE_N_ERROR_MAX) {
			*type = nv.type;
			return 1;
		}
	}
	return 0;
}

static void ike_auth_give_up(struct ike_sa *sa, const char *why, int send_delete)
{
	ike_log(sa->e, 0, "ike: IKE_AUTH with %s failed: %s", inet_ntoa((struct in_addr){sa->remote}),
		why);
	if (send_delete)
		ike_info_notify_oneshot(sa, 0);
	ike_sa_kill(sa, 0);
}

void ike_auth_response(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	const struct ike_payload *idp = ike_chain_find(c, IKE_PL_IDR);
	struct ike_id_view peer;
	struct ike_idbody ours;
	uint32_t ts[2];
	struct ike_suite esp;
	uint32_t spi_out;
	uint8_t num;
	uint16_t err;
	uint8_t mode;
	int rc;

	if (ike_error_notify(c, &err) && (err == IKE_N_AUTHENTICATION_FAILED || !idp)) {
		if (err == IKE_N_AUTHENTICATION_FAILED)
			e->cnt.auth_failed++;
		ike_auth_give_up(sa, ike_notify_name(err), 0);
		return;
	}
	if (!idp || ike_id_parse(idp->body, idp->len, &peer) || ike_id_local(sa, &ours)) {
		e->cnt.rx_malformed++;
		ike_auth_give_up(sa, "no IDr", 1);
		return;
	}
	ike_id_format(peer.type, peer.data, peer.len, sa->remote_id, sizeof(sa->remote_id));
	if (!ike_id_remote_ok(sa, &peer) || ike_auth_verify(sa, c, idp, &peer, &ours)) {
		e->cnt.auth_failed++;
		ike_auth_give_up(sa, "the responder's AUTH does not verify", 1);
		return;
	}
	ike_sa_established(sa);
	if (ike_error_notify(c, &err)) {
		/* IKE SA up, no CHILD_SA: useless for a GRE tunnel. */
		ike_log(e, 0, "ike: %s refused the CHILD_SA: %s", inet_ntoa((struct in_addr){sa->remote}),
			ike_notify_name(err));
		if (err == IKE_N_NO_PROPOSAL_CHOSEN)
			e->cnt.no_proposal_chosen++;
		ike_auth_give_up(sa, "no CHILD_SA", 1);
		return;
	}
	if (ike_esp_pick(sa, c, 0, 1, 0, &esp, &spi_out, &num) ||
	    !ike_ts_acceptable(c, sa->local, sa->remote, sa->nat_local, sa->nat_remote)) {
		ike_auth_give_up(sa, "the CHILD_SA reply is not what we offered", 1);
		return;
	}
	/* No USE_TRANSPORT_MODE in the reply: the peer does tunnel mode only. */
	mode = ike_chain_notify(c, IKE_N_USE_TRANSPORT_MODE) ? CFG_SA_TRANSPORT : CFG_SA_TUNNEL;
	ike_child_ts_addrs(c, NULL, NULL, ts);
	/* The peer is authenticated: only now may a crossed IKE SA count. */
	rc = ike_child_make(sa, &esp, sa->rk.new_spi_in, spi_out, mode, 1, NULL, 0, sa->ni, sa->ni_len,
			    sa->nr, sa->nr_len, ike_dup_check(sa) == IKE_DUP_LOST, ts);
	if (rc) {
		sa->rk.new_spi_in = 0;
		ike_auth_give_up(sa, "cannot install the CHILD_SA", 1);
		return;
	}
	sa->rk.new_spi_in = 0;
	ike_sa_announce_up(sa);
}

/* ---- responder ---- */

/* INITIAL_CONTACT: older SAs with this peer are stale (it restarted).
 * One that came up while this one was being set up crossed it: the peer
 * had not seen it yet when it said so. */
static void ike_auth_initial_contact(struct ike_sa *sa)
{
	IKE_FOR_PEER(sa->e, sa->tunnel, sa->remote, o) {
		if (o == sa || o->state != IKE_S_ESTABLISHED || o->established_ms >= sa->created_ms)
			continue;
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			ike_child_remove(o, &o->child[i]);
		o->announced_up = 0;
		ike_sa_kill(o, 1);
	}
}

static void ike_auth_reply_error(struct ike_sa *sa, uint32_t msg_id, uint16_t type)
{
	struct ike_out o;

	ike_out_init(&o);
	ike_w_notify(&o.w, 0, NULL, 0, type, NULL, 0);
	ike_send_response(sa, IKE_AUTH, msg_id, &o);
	ike_sa_kill(sa, 1);
}

void ike_auth_request(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *conf = ike_sa_conn(sa);
	const struct ike_payload *idp = ike_chain_find(c, IKE_PL_IDI);
	struct ike_id_view peer;
	struct ike_idbody ours;
	uint32_t ts[2];
	struct ike_suite esp;
	struct ike_sa_view rv;
	struct ike_ts tsi, tsr;
	struct ike_out o;
	uint32_t spi_out, spi_in, spi_be;
	uint8_t num, mode;
	int rc, dup;

	if (sa->state != IKE_S_INIT_DONE) {
		struct ike_out err;

		ike_out_init(&err);
		ike_w_notify(&err.w, 0, NULL, 0, IKE_N_INVALID_SYNTAX, NULL, 0);
		ike_send_response(sa, IKE_AUTH, msg_id, &err);
		return;
	}
	if (!idp || ike_id_parse(idp->body, idp->len, &peer) || !ike_chain_find(c, IKE_PL_AUTH) ||
	    ike_id_local(sa, &ours)) {
		e->cnt.rx_malformed++;
		ike_auth_reply_error(sa, msg_id, IKE_N_INVALID_SYNTAX);
		return;
	}
	ike_id_format(peer.type, peer.data, peer.len, sa->remote_id, sizeof(sa->remote_id));
	sa->peer_certreq |= ike_chain_find(c, IKE_PL_CERTREQ) != NULL;
	if (!ike_id_remote_ok(sa, &peer) || ike_auth_verify(sa, c, idp, &peer, &ours)) {
		e->cnt.auth_failed++;
		ike_log(e, 0, "ike: %s (%s) failed to authenticate", inet_ntoa((struct in_addr){sa->remote}),
			sa->remote_id);
		ike_auth_reply_error(sa, msg_id, IKE_N_AUTHENTICATION_FAILED);
		return;
	}
	ike_out_init(&o);
	ike_w_id(&o.w, IKE_PL_IDR, ours.b[0], ours.b + 4, ours.len - 4);
	if ((rc = ike_auth_write(sa, &o.w, &ours, &peer))) {
		ike_auth_reply_error(sa, msg_id, IKE_N_AUTHENTICATION_FAILED);
		return;
	}
	rc = ike_esp_pick(sa, c, 0, 0, 0, &esp, &spi_out, &num);
	if (rc && !ike_esp_pick(sa, c, 1, 0, 0, &esp, &spi_out, &num)) {
		/* A peer that left DH groups in its IKE_AUTH proposals: there
		 * is no KE here, so no PFS for this first CHILD_SA. */
		esp.dh = 0;
		rc = 0;
	}
	if (rc) {
		/* Established without a CHILD_SA is no use here: refuse it all. */
		e->cnt.no_proposal_chosen++;
		ike_auth_reply_error(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN);
		return;
	}
	if (!ike_ts_answer(c, sa->remote, sa->local, sa->nat_remote, sa->nat_local, &tsi, &tsr)) {
		ike_auth_reply_error(sa, msg_id, IKE_N_TS_UNACCEPTABLE);
		return;
	}
	mode = (ike_chain_notify(c, IKE_N_USE_TRANSPORT_MODE) && conf->child.mode == CFG_SA_TRANSPORT)
		       ? CFG_SA_TRANSPORT
		       : CFG_SA_TUNNEL;
	spi_in = ike_child_spi_new(e);
	ike_sa_established(sa);
	/* Stale SAs go first, so that none of them counts as crossing this one. */
	if (ike_chain_notify(c, IKE_N_INITIAL_CONTACT))
		ike_auth_initial_contact(sa);
	/* Inbound ready before the peer can use it: install, then answer. The
	 * peer is authenticated: only now may a crossed IKE SA count. If it
	 * does, our traffic already flows on the other one: this pair goes in
	 * inbound only, and takes our traffic (if it won) once the answer
	 * that lets the peer open it is out. */
	dup = ike_dup_check(sa);
	ike_child_ts_addrs(NULL, &tsi, &tsr, ts);
	rc = ike_child_make(sa, &esp, spi_in, spi_out, mode, 0, NULL, 0, sa->ni, sa->ni_len, sa->nr,
			    sa->nr_len, dup != IKE_DUP_NONE, ts);
	if (rc) {
		ike_auth_reply_error(sa, msg_id, IKE_N_TEMPORARY_FAILURE);
		return;
	}
	if (mode == CFG_SA_TRANSPORT)
		ike_w_notify(&o.w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	memset(&rv, 0, sizeof(rv));
	rv.n = 1;
	spi_be = htonl(spi_in);
	ike_suite_to_proposal(&esp, num, IKE_PROTO_ESP, (const uint8_t *)&spi_be, 4, &rv.p[0]);
	ike_w_sa(&o.w, &rv);
	/* Narrowed to GRE between the two addresses (as the peer names
	 * them when a NAT is in between). */
	ike_w_ts(&o.w, IKE_PL_TSI, &tsi, 1);
	ike_w_ts(&o.w, IKE_PL_TSR, &tsr, 1);
	ike_send_response(sa, IKE_AUTH, msg_id, &o);
	explicit_bzero(&o, sizeof(o));
	if (dup == IKE_DUP_WON && ike_child_current(sa))
		ike_child_commit(sa, ike_child_current(sa));
	/* Only now: traffic queued for the peer must follow our answer. */
	ike_sa_announce_up(sa);
}
