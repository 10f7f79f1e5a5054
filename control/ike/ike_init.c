/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE_SA_INIT (RFC 7296 1.2): proposals, KE and INVALID_KE_PAYLOAD, nonces, NAT detection, cookies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/evp.h>

#include "control/ike/ike_priv.h"

#define IKE_COOKIE_ROTATE_MS 120000

int ike_hash(int sha256, const void *const *p, const size_t *n, unsigned k, uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned olen;
	int ok;

	if (!c)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(c, sha256 ? EVP_sha256() : EVP_sha1(), NULL);
	for (unsigned i = 0; ok && i < k; i++)
		ok = EVP_DigestUpdate(c, p[i], n[i]);
	ok = ok && EVP_DigestFinal_ex(c, out, &olen);
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | port), RFC 7296 2.23. */
static void ike_natd(uint64_t spi_i, uint64_t spi_r, uint32_t addr_be, uint16_t port, uint8_t out[20])
{
	uint8_t si[8], sr[8];
	uint16_t port_be = htons(port);
	const void *p[] = {si, sr, &addr_be, &port_be};
	const size_t n[] = {8, 8, 4, 2};

	for (int i = 0; i < 8; i++) {
		si[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		sr[i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	if (ike_hash(0, p, n, 4, out))
		memset(out, 0, 20);
}

/* ---- cookies (RFC 7296 2.6) ---- */

void ike_cookie_rotate(struct ike_engine *e)
{
	memcpy(e->cookie_prev, e->cookie_secret, sizeof(e->cookie_prev));
	ike_rand(e, e->cookie_secret, sizeof(e->cookie_secret));
	e->cookie_ver++;
	e->cookie_rotate_ms = ike_now(e) + IKE_COOKIE_ROTATE_MS;
}

/* Cookie = version of the secret | SHA-256(Ni | IPi | SPIi | secret). */
static void ike_cookie_make(const uint8_t *secret, uint8_t ver, const uint8_t *ni, size_t ni_len,
			    uint32_t ip_be, uint64_t spi_i, uint8_t out[33])
{
	uint64_t spi = spi_i;
	const void *p[] = {ni, &ip_be, &spi, secret};
	const size_t n[] = {ni_len, 4, 8, 32};

	out[0] = ver;
	if (ike_hash(1, p, n, 4, out + 1))
		memset(out + 1, 0, 32);
}

static int ike_cookie_ok(const struct ike_engine *e, const struct ike_notify_view *nv,
			 const uint8_t *ni, size_t ni_len, uint32_t ip_be, uint64_t spi_i)
{
	uint8_t want[33];
	const uint8_t *secret;

	if (nv->data_len != sizeof(want))
		return 0;
	if (nv->data[0] == e->cookie_ver)
		secret = e->cookie_secret;
	else if (nv->data[0] == (uint8_t)(e->cookie_ver - 1))
		secret = e->cookie_prev;
	else
		return 0;
	ike_cookie_make(secret, nv->data[0], ni, ni_len, ip_be, spi_i, want);
	return ike_memeq_ct(want, nv->data, sizeof(want)) == 0;
}

/* ---- unprotected replies (no state kept) ---- */

static void ike_init_notify_reply(struct ike_engine *e, uint32_t local, uint16_t lport,
				  uint32_t remote, uint16_t rport, uint64_t spi_i, uint16_t type,
				  const uint8_t *data, size_t len)
{
	uint8_t msg[256];
	struct ike_w w;
	int n;

	ike_w_init(&w, msg, sizeof(msg));
	ike_w_hdr(&w, spi_i, 0, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	n = ike_w_finish(&w);
	if (n > 0)
		ike_send_raw(e, local, lport, remote, rport, msg, (size_t)n);
}

/* ---- initiator ---- */

static int ike_init_build(struct ike_sa *sa, uint8_t *msg, size_t cap)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	struct ike_sa_view v;
	struct ike_w w;
	uint8_t natd[20];
	uint8_t hash_algs[16];
	size_t hash_len = ike_sighash_ours(hash_algs, sizeof(hash_algs));

	memset(&v, 0, sizeof(v));
	for (unsigned i = 0; i < c->n_ike && i < IKE_MAX_PROPOSALS; i++)
		ike_suite_to_proposal(&c->ike[i], (uint8_t)(i + 1), IKE_PROTO_IKE, NULL, 0, &v.p[v.n++]);
	ike_w_init(&w, msg, cap);
	ike_w_hdr(&w, sa->spi_i, 0, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	/* The cookie must come first (RFC 7296 2.6). */
	if (sa->cookie)
		ike_w_notify(&w, 0, NULL, 0, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
	if (ike_w_sa(&w, &v))
		return -EINVAL;
	ike_w_ke(&w, sa->dh_group, sa->ke_pub, sa->ke_pub_len);
	ike_w_nonce(&w, sa->ni, sa->ni_len);
	/* encap forced: a source hash that cannot match makes both ends see
	 * a NAT and float to 4500 (as strongSwan's encap = yes does). */
	if (c->encap)
		ike_rand(sa->e, natd, sizeof(natd));
	else
		ike_natd(sa->spi_i, 0, sa->local, sa->lport, natd);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ike_natd(sa->spi_i, 0, sa->remote, sa->rport, natd);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	ike_w_notify(&w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hash_algs, hash_len);
	return ike_w_finish(&w);
}

/* (Re)send the IKE_SA_INIT request with the current KE, nonce and cookie. */
static int ike_init_send(struct ike_sa *sa)
{
	uint8_t msg[IKE_MAX_MSG];
	int n = ike_init_build(sa, msg, sizeof(msg));
	uint8_t *copy;

	if (n < 0)
		return n;
	/* RealMessage1 of the AUTH computation is the request that worked:
	 * the last one sent. */
	copy = malloc((size_t)n);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, (size_t)n);
	free(sa->init_req);
	sa->init_req = copy;
	sa->init_req_len = (size_t)n;
	sa->req_busy = 0;
	return ike_send_request_plain(sa, IKE_T_INIT, msg, (size_t)n);
}

static int ike_init_new_ke(struct ike_sa *sa, uint16_t group)
{
	ike_dh_free(sa->dh);
	sa->ke_pub_len = sizeof(sa->ke_pub);
	sa->dh = ike_dh_new(group, sa->ke_pub, &sa->ke_pub_len);
	if (!sa->dh)
		return -EINVAL;
	sa->dh_group = group;
	return 0;
}

int ike_init_start(struct ike_sa *sa)
{
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	int rc;

	if (!c->n_ike)
		return -EINVAL;
	sa->spi_i = ike_spi_new(sa->e);
	sa->spi_r = 0;
	ike_sa_hash_spi(sa);
	sa->ni_len = IKE_NONCE_LEN;
	ike_rand(sa->e, sa->ni, sa->ni_len);
	if ((rc = ike_init_new_ke(sa, c->ike[0].dh)))
		return rc;
	sa->state = IKE_S_INIT_SENT;
	sa->req_id = 0;
	ike_log(sa->e, 0, "ike: initiating %016llx_i to %s", (unsigned long long)sa->spi_i,
		inet_ntoa((struct in_addr){sa->remote}));
	return ike_init_send(sa);
}

static int ike_group_offered(const struct cfg_ike_conn *c, uint16_t group)
{
	for (unsigned i = 0; i < c->n_ike; i++)
		if (c->ike[i].dh == group)
			return 1;
	return 0;
}

/* NAT detection from the two notifies of msg: hashes over what we see. */
/* NAT detection from the two notifies of a message: hashes over what we
 * see (src = its sender, dst = us). A peer without NAT-D: no NAT. */
static void ike_natd_eval(const struct ike_chain *c, uint64_t spi_i, uint64_t spi_r_in_msg,
			  uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, int encap,
			  uint8_t *nat_local, uint8_t *nat_remote)
{
	const struct ike_payload *p;
	struct ike_notify_view nv;
	uint8_t hs[20], hd[20];
	int src_match = 0, dst_match = 0, have_src = 0, have_dst = 0;

	ike_natd(spi_i, spi_r_in_msg, src, sport, hs);
	ike_natd(spi_i, spi_r_in_msg, dst, dport, hd);
	for (unsigned i = 0; i < c->n; i++) {
		p = &c->pl[i];
		if (p->type != IKE_PL_NOTIFY || ike_notify_parse(p->body, p->len, &nv))
			continue;
		if (nv.type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			have_src = 1;
			src_match |= nv.data_len == 20 && !memcmp(nv.data, hs, 20);
		} else if (nv.type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			have_dst = 1;
			dst_match |= nv.data_len == 20 && !memcmp(nv.data, hd, 20);
		}
	}
	*nat_remote = (uint8_t)(have_src && !src_match);
	/* encap forced: we act as if behind a NAT (and told the peer so). */
	*nat_local = (uint8_t)((have_dst && !dst_match) || encap);
}

static void ike_natd_check(struct ike_sa *sa, const struct ike_chain *c, uint64_t spi_r_in_msg,
			   uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	ike_natd_eval(c, sa->spi_i, spi_r_in_msg, src, sport, dst, dport, ike_sa_conn(sa)->encap,
		      &sa->nat_local, &sa->nat_remote);
}

/* The hashes the peer takes in RFC 7427 signatures (IKE_SIGHASH_* mask). */
static uint8_t ike_sig_hashes(const struct ike_chain *c)
{
	const struct ike_payload *p = ike_chain_notify(c, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	struct ike_notify_view nv;

	if (!p || ike_notify_parse(p->body, p->len, &nv))
		return 0;
	return (uint8_t)ike_sighash_parse(nv.data, nv.data_len);
}

static int ike_init_keys(struct ike_sa *sa, const struct ike_ke_view *ke)
{
	uint8_t gir[IKE_MAX_DH_PUB];
	size_t gir_len = sizeof(gir);
	int rc;

	if ((rc = ike_dh_shared(sa->dh, ke->data, ke->len, gir, &gir_len)))
		return rc;
	rc = ike_derive_ike_keys(&sa->suite, sa->ni, sa->ni_len, sa->nr, sa->nr_len, gir, gir_len,
				 sa->spi_i, sa->spi_r, 0, NULL, 0, &sa->keys);
	explicit_bzero(gir, sizeof(gir));
	if (rc)
		return rc;
	sa->keys_ok = 1;
	ike_sa_log_keys(sa);
	return 0;
}

static int ike_payload_nonce(const struct ike_chain *c, const uint8_t **n, size_t *len)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_NONCE);

	/* RFC 7296 3.9: 16 to 256 octets. */
	if (!p || p->len < 16 || p->len > IKE_MAX_NONCE)
		return -EINVAL;
	*n = p->body;
	*len = p->len;
	return 0;
}

static void ike_init_fail(struct ike_sa *sa, const char *why)
{
	ike_log(sa->e, 0, "ike: IKE_SA_INIT with %s failed: %s", inet_ntoa((struct in_addr){sa->remote}),
		why);
	ike_sa_kill(sa, 0);
}

void ike_init_response(struct ike_sa *sa, const uint8_t *msg, size_t len, const struct ike_hdr_view *h)
{
	struct ike_engine *e = sa->e;
	const struct cfg_ike_conn *c = ike_sa_conn(sa);
	struct ike_chain ch;
	const struct ike_payload *p;
	struct ike_notify_view nv;
	struct ike_sa_view sv;
	struct ike_ke_view ke;
	const uint8_t *nr;
	size_t nr_len;
	uint8_t *copy;

	if (ike_chain_parse(h->next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, &ch) != IKE_PARSE_OK) {
		e->cnt.rx_malformed++;
		return;
	}
	if ((p = ike_chain_notify(&ch, IKE_N_COOKIE)) && !ike_notify_parse(p->body, p->len, &nv)) {
		/* Retry with the cookie, same SPI and nonce (RFC 7296 2.6). */
		if (!nv.data_len || nv.data_len > 64 || h->spi_r) {
			e->cnt.rx_malformed++;
			return;
		}
		free(sa->cookie);
		sa->cookie = malloc(nv.data_len);
		if (!sa->cookie) {
			ike_init_fail(sa, "out of memory");
			return;
		}
		memcpy(sa->cookie, nv.data, nv.data_len);
		sa->cookie_len = nv.data_len;
		if (ike_init_send(sa))
			ike_init_fail(sa, "cannot resend");
		return;
	}
	if ((p = ike_chain_notify(&ch, IKE_N_INVALID_KE_PAYLOAD)) &&
	    !ike_notify_parse(p->body, p->len, &nv)) {
		uint16_t group = nv.data_len == 2 ? (uint16_t)(nv.data[0] << 8 | nv.data[1]) : 0;

		/* Only a group we offered, once per group we try. */
		if (!group || group == sa->dh_group || !ike_group_offered(c, group) ||
		    sa->ke_retries++ >= 3) {
			ike_init_fail(sa, "INVALID_KE_PAYLOAD for a group we did not offer");
			return;
		}
		ike_log(e, 0, "ike: %s wants DH group %u, retrying", inet_ntoa((struct in_addr){sa->remote}),
			group);
		if (ike_init_new_ke(sa, group) || ike_init_send(sa))
			ike_init_fail(sa, "cannot retry");
		return;
	}
	for (unsigned i = 0; i < ch.n; i++) {
		if (ch.pl[i].type != IKE_PL_NOTIFY || ike_notify_parse(ch.pl[i].body, ch.pl[i].len, &nv))
			continue;
		if (nv.type == IKE_N_TEMPORARY_FAILURE) {
			/* Busy (its table full): ours is retransmitted later.
			 * Unauthenticated, so it never ends our attempt. */
			return;
		}
		if (nv.type <= IKE_N_ERROR_MAX) {
			if (nv.type == IKE_N_NO_PROPOSAL_CHOSEN)
				e->cnt.no_proposal_chosen++;
			ike_init_fail(sa, ike_notify_name(nv.type));
			return;
		}
	}
	if (!h->spi_r || !(p = ike_chain_find(&ch, IKE_PL_SA)) || ike_sa_parse(p->body, p->len, &sv) ||
	    sv.n != 1 || !(p = ike_chain_find(&ch, IKE_PL_KE)) || ike_ke_parse(p->body, p->len, &ke) ||
	    ike_payload_nonce(&ch, &nr, &nr_len)) {
		/* Maybe forged: keep waiting for the real answer. */
		e->cnt.rx_malformed++;
		return;
	}
	if (ike_suite_match_reply(c->ike, c->n_ike, &sv.p[0], IKE_PROTO_IKE, &sa->suite) ||
	    sa->suite.dh != sa->dh_group || ke.group != sa->dh_group) {
		ike_init_fail(sa, "the reply's proposal is not one we offered");
		return;
	}
	sa->req_busy = 0;
	sa->spi_r = h->spi_r;
	memcpy(sa->nr, nr, nr_len);
	sa->nr_len = nr_len;
	if (ike_init_keys(sa, &ke)) {
		ike_init_fail(sa, "bad KE");
		return;
	}
	copy = malloc(len);
	if (!copy) {
		ike_init_fail(sa, "out of memory");
		return;
	}
	memcpy(copy, msg, len);
	sa->init_resp = copy;
	sa->init_resp_len = len;
	/* The reply's source is the responder as we reach it; we are the destination. */
	ike_natd_check(sa, &ch, sa->spi_r, sa->remote, sa->rport, sa->local, sa->lport);
	sa->peer_rfc7427 = (uint8_t)ike_sig_hashes(&ch);
	sa->peer_certreq = ike_chain_find(&ch, IKE_PL_CERTREQ) != NULL;
	sa->req_id = 1;
	sa->last_rx_ms = ike_now(e);
	if (sa->nat_local || sa->nat_remote) {
		/* Float to 4500 for everything from IKE_AUTH on (RFC 7296 2.23). */
		sa->lport = IKE_NATT_PORT;
		sa->rport = IKE_NATT_PORT;
	}
	if (ike_auth_start(sa))
		ike_init_fail(sa, "cannot build IKE_AUTH");
}

/* ---- responder ---- */

static int ike_conn_for_local(const struct ike_engine *e, uint32_t local)
{
	int any = -1;

	for (unsigned i = 0; i < e->conf.n_conns; i++) {
		if (e->conf.conns[i].local_addr == local)
			return (int)i;
		if (!e->conf.conns[i].local_addr && any < 0)
			any = (int)i;
	}
	return any;
}

/* Our suite for the peer's offer: one with the DH group of its KE if it
 * covers one, else the first it covers (then INVALID_KE_PAYLOAD). */
static int ike_init_choose(const struct cfg_ike_conn *c, const struct ike_sa_view *sv,
			   uint16_t ke_group, struct ike_suite *chosen, unsigned *which)
{
	struct ike_suite same[CFG_IKE_MAX_SUITES];
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_ike; i++)
		if (c->ike[i].dh == ke_group)
			same[n++] = c->ike[i];
	if (n && !ike_suite_select(same, n, sv, IKE_PROTO_IKE, chosen, which))
		return 0;
	return ike_suite_select(c->ike, c->n_ike, sv, IKE_PROTO_IKE, chosen, which);
}

void ike_init_request(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote,
		      uint16_t rport, const uint8_t *msg, size_t len, const struct ike_hdr_view *h)
{
	struct ike_chain ch;
	const struct ike_payload *p;
	struct ike_notify_view nv;
	struct ike_sa_view sv;
	struct ike_ke_view ke;
	struct ike_suite chosen;
	unsigned which;
	const uint8_t *ni;
	size_t ni_len;
	int conn;
	uint8_t crit;
	struct ike_sa *sa;
	uint8_t out[IKE_MAX_MSG];
	struct ike_w w;
	struct ike_sa_view rv;
	uint8_t natd[20];
	uint8_t hash_algs[16];
	size_t hash_len = ike_sighash_ours(hash_algs, sizeof(hash_algs));
	int n;

	if (h->msg_id != 0 || h->spi_r != 0 || !h->spi_i) {
		e->cnt.rx_malformed++;
		return;
	}
	/* A retransmission of a request we answered: the same answer. */
	if ((sa = ike_sa_by_peer_spi(e, h->spi_i, remote, rport))) {
		e->cnt.rx_duplicates++;
		if (sa->state == IKE_S_INIT_DONE && sa->init_resp && sa->init_req_len == len &&
		    !memcmp(sa->init_req, msg, len))
			ike_send_raw(e, local, lport, remote, rport, sa->init_resp, sa->init_resp_len);
		return;
	}
	if (ike_chain_parse(h->next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN, &ch) != IKE_PARSE_OK) {
		e->cnt.rx_malformed++;
		return;
	}
	if ((crit = ike_chain_unknown_critical(&ch))) {
		e->cnt.rx_unsupported_critical++;
		ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i,
				      IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &crit, 1);
		return;
	}
	if (!(p = ike_chain_find(&ch, IKE_PL_SA)) || ike_sa_parse(p->body, p->len, &sv) ||
	    !(p = ike_chain_find(&ch, IKE_PL_KE)) || ike_ke_parse(p->body, p->len, &ke) ||
	    ike_payload_nonce(&ch, &ni, &ni_len)) {
		e->cnt.rx_malformed++;
		ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i, IKE_N_INVALID_SYNTAX,
				      NULL, 0);
		return;
	}
	/* Cookies once too many SAs are half open (0: always). */
	if (e->n_half_open >= e->conf.cookie_threshold) {
		uint8_t cookie[33];
		int have = (p = ike_chain_notify(&ch, IKE_N_COOKIE)) &&
			   !ike_notify_parse(p->body, p->len, &nv);

		if (!have || !ike_cookie_ok(e, &nv, ni, ni_len, remote, h->spi_i)) {
			if (have)
				e->cnt.cookies_rejected++;
			e->cnt.cookies_sent++;
			ike_cookie_make(e->cookie_secret, e->cookie_ver, ni, ni_len, remote, h->spi_i,
					cookie);
			ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i, IKE_N_COOKIE,
					      cookie, sizeof(cookie));
			return;
		}
	}
	/* An IKE SA of ours toward the same peer under way does not matter:
	 * this request is unauthenticated (anyone can send it from the peer's
	 * address), so both run; IKE_AUTH settles a real crossing (ike_dup.c). */
	conn = ike_conn_for_local(e, local);
	if (conn < 0 || ike_init_choose(&e->conf.conns[conn], &sv, ke.group, &chosen, &which)) {
		e->cnt.no_proposal_chosen++;
		ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i,
				      IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (chosen.dh != ke.group) {
		uint8_t g[2] = {(uint8_t)(chosen.dh >> 8), (uint8_t)chosen.dh};

		e->cnt.invalid_ke_sent++;
		ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i,
				      IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
		return;
	}
	sa = ike_sa_new(e, (unsigned)conn, 0, local, lport, remote, rport);
	if (!sa) {
		/* Full: refuse for now; the peer retries later. */
		ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i,
				      IKE_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	sa->spi_i = h->spi_i;
	sa->spi_r = ike_spi_new(e);
	ike_sa_hash_spi(sa);
	ike_sa_hash_pspi(sa);
	sa->suite = chosen;
	memcpy(sa->ni, ni, ni_len);
	sa->ni_len = ni_len;
	sa->nr_len = IKE_NONCE_LEN;
	ike_rand(e, sa->nr, sa->nr_len);
	if (ike_init_new_ke(sa, chosen.dh) || ike_init_keys(sa, &ke)) {
		e->cnt.rx_malformed++;
		ike_sa_kill(sa, 1);
		ike_init_notify_reply(e, local, lport, remote, rport, h->spi_i, IKE_N_INVALID_SYNTAX,
				      NULL, 0);
		return;
	}
	/* The request came from the initiator as we see it, to us. */
	ike_natd_check(sa, &ch, 0, remote, rport, local, lport);
	sa->peer_rfc7427 = (uint8_t)ike_sig_hashes(&ch);
	sa->peer_certreq = ike_chain_find(&ch, IKE_PL_CERTREQ) != NULL;

	memset(&rv, 0, sizeof(rv));
	rv.n = 1;
	ike_suite_to_proposal(&chosen, sv.p[which].num, IKE_PROTO_IKE, NULL, 0, &rv.p[0]);
	ike_w_init(&w, out, sizeof(out));
	ike_w_hdr(&w, sa->spi_i, sa->spi_r, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
	ike_w_sa(&w, &rv);
	ike_w_ke(&w, sa->dh_group, sa->ke_pub, sa->ke_pub_len);
	ike_w_nonce(&w, sa->nr, sa->nr_len);
	if (e->conf.conns[conn].encap)
		ike_rand(e, natd, sizeof(natd));
	else
		ike_natd(sa->spi_i, sa->spi_r, local, lport, natd);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ike_natd(sa->spi_i, sa->spi_r, remote, rport, natd);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	if (e->conf.conns[conn].remote.auth == CFG_IKE_AUTH_PUBKEY && e->cred[conn]) {
		uint8_t keyid[20];

		if (!ike_cred_ca_keyid(e->cred[conn], keyid))
			ike_w_certreq(&w, IKE_CERT_X509_SIG, keyid, sizeof(keyid));
	}
	ike_w_notify(&w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hash_algs, hash_len);
	n = ike_w_finish(&w);
	sa->init_req = malloc(len);
	sa->init_resp = n > 0 ? malloc((size_t)n) : NULL;
	if (n < 0 || !sa->init_req || !sa->init_resp) {
		ike_sa_kill(sa, 1);
		return;
	}
	memcpy(sa->init_req, msg, len);
	sa->init_req_len = len;
	memcpy(sa->init_resp, out, (size_t)n);
	sa->init_resp_len = (size_t)n;
	sa->state = IKE_S_INIT_DONE;
	sa->resp_id = 1;
	sa->half_open_until = ike_now(e) + (uint64_t)e->conf.half_open_timeout * 1000;
	e->n_half_open++;
	ike_send_raw(e, local, lport, remote, rport, out, (size_t)n);
}
