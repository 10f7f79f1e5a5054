/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 crypto on OpenSSL 3 libcrypto: proposals, PRF/prf+, keys, DH, SK payload, PSK AUTH. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/dh.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "lib/esp/esp.h"
#include "lib/ike/ike_crypto.h"

#define GCM_SALT_LEN 4            /* RFC 5282 3: the last 4 bytes of the key */
#define GCM_IV_LEN 8
#define GCM_ICV_LEN 16
#define CBC_IV_LEN 16
#define AES_BLOCK 16
#define SK_HDR_LEN 4

/* ---- proposals ---- */

struct tok {
	const char *name;
	uint8_t kind;             /* enum tok_kind */
	uint16_t id;
	uint16_t bits;            /* ENCR key bits */
};

enum tok_kind { TK_ENCR = 1, TK_INTEG, TK_PRF, TK_DH, TK_ESN };

static const struct tok toks[] = {
	{"aes128", TK_ENCR, IKE_ENCR_AES_CBC, 128},
	{"aes256", TK_ENCR, IKE_ENCR_AES_CBC, 256},
	{"aes", TK_ENCR, IKE_ENCR_AES_CBC, 128},
	{"aes128gcm16", TK_ENCR, IKE_ENCR_AES_GCM16, 128},
	{"aes256gcm16", TK_ENCR, IKE_ENCR_AES_GCM16, 256},
	{"aes128gcm128", TK_ENCR, IKE_ENCR_AES_GCM16, 128},
	{"aes256gcm128", TK_ENCR, IKE_ENCR_AES_GCM16, 256},
	{"sha1", TK_INTEG, IKE_INTEG_HMAC_SHA1_96, 0},
	{"sha", TK_INTEG, IKE_INTEG_HMAC_SHA1_96, 0},
	{"sha256", TK_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
	{"sha2_256", TK_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
	{"sha384", TK_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0},
	{"sha2_384", TK_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0},
	{"sha512", TK_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0},
	{"sha2_512", TK_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0},
	{"prfsha1", TK_PRF, IKE_PRF_HMAC_SHA1, 0},
	{"prfsha256", TK_PRF, IKE_PRF_HMAC_SHA2_256, 0},
	{"prfsha384", TK_PRF, IKE_PRF_HMAC_SHA2_384, 0},
	{"prfsha512", TK_PRF, IKE_PRF_HMAC_SHA2_512, 0},
	{"modp2048", TK_DH, IKE_DH_MODP2048, 0},
	{"ecp256", TK_DH, IKE_DH_ECP256, 0},
	{"ecp384", TK_DH, IKE_DH_ECP384, 0},
	{"x25519", TK_DH, IKE_DH_CURVE25519, 0},
	{"curve25519", TK_DH, IKE_DH_CURVE25519, 0},
	{"esn", TK_ESN, IKE_ESN_YES, 0},
	{"noesn", TK_ESN, IKE_ESN_NO, 0},
};

static const char *tok_name(uint8_t kind, uint16_t id, uint16_t bits)
{
	/* The first entry of a kind/id is the canonical spelling. */
	for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
		if (toks[i].kind == kind && toks[i].id == id && (kind != TK_ENCR || toks[i].bits == bits))
			return toks[i].name;
	return "?";
}

static int is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM16;
}

/* The PRF that strongSwan pairs with an integrity algorithm named alone. */
static uint16_t prf_of_integ(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return IKE_PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128: return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192: return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256: return IKE_PRF_HMAC_SHA2_512;
	default: return 0;
	}
}

static int suite_err(char *err, size_t errlen, const char *fmt, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, what);
	return -EINVAL;
}

int ike_suite_parse(const char *s, int esp, struct ike_suite *out, char *err, size_t errlen)
{
	struct ike_suite r = {0};
	int have_encr = 0, have_integ = 0, have_prf = 0, have_esn = 0, have_noesn = 0;
	const char *p = s;

	if (!s || !*s)
		return suite_err(err, errlen, "empty proposal%s", "");
	while (*p) {
		char word[32];
		const char *dash = strchr(p, '-');
		size_t n = dash ? (size_t)(dash - p) : strlen(p);
		const struct tok *t = NULL;

		if (n == 0 || n >= sizeof(word))
			return suite_err(err, errlen, "bad token in '%s'", s);
		memcpy(word, p, n);
		word[n] = '\0';
		for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
			if (!strcasecmp(word, toks[i].name)) {
				t = &toks[i];
				break;
			}
		if (!t)
			return suite_err(err, errlen, "unknown algorithm '%s'", word);
		switch (t->kind) {
		case TK_ENCR:
			if (have_encr++)
				return suite_err(err, errlen, "second encryption algorithm '%s'", word);
			r.encr = t->id;
			r.encr_bits = t->bits;
			break;
		case TK_INTEG:
			if (have_integ++)
				return suite_err(err, errlen, "second integrity algorithm '%s'", word);
			r.integ = t->id;
			break;
		case TK_PRF:
			if (esp)
				return suite_err(err, errlen, "'%s': no PRF in an ESP proposal", word);
			if (have_prf++)
				return suite_err(err, errlen, "second PRF '%s'", word);
			r.prf = t->id;
			break;
		case TK_DH:
			if (r.dh)
				return suite_err(err, errlen, "second DH group '%s'", word);
			r.dh = t->id;
			break;
		case TK_ESN:
			if (!esp)
				return suite_err(err, errlen, "'%s': ESN is for ESP proposals", word);
			if (t->id == IKE_ESN_YES ? have_esn++ : have_noesn++)
				return suite_err(err, errlen, "repeated '%s'", word);
			break;
		}
		if (!dash)
			break;
		p = dash + 1;
		if (!*p)
			return suite_err(err, errlen, "trailing '-' in '%s'", s);
	}
	if (!have_encr)
		return suite_err(err, errlen, "no encryption algorithm in '%s'", s);
	if (is_aead(r.encr) && have_integ)
		return suite_err(err, errlen, "integrity algorithm with AEAD in '%s'", s);
	if (!is_aead(r.encr) && !have_integ)
		return suite_err(err, errlen, "no integrity algorithm in '%s'", s);
	if (esp) {
		r.esn = have_esn && have_noesn ? 2 : have_esn ? 1 : 0;
	} else {
		if (!r.dh)
			return suite_err(err, errlen, "no DH group in '%s'", s);
		if (!have_prf)
			r.prf = is_aead(r.encr) ? IKE_PRF_HMAC_SHA2_256 : prf_of_integ(r.integ);
	}
	*out = r;
	return 0;
}

void ike_suite_format(const struct ike_suite *s, int esp, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
#define PUT(str)                                                                        \
	do {                                                                            \
		int n_ = snprintf(buf + off, len - off, "%s%s", off ? "-" : "", (str)); \
		if (n_ < 0 || (size_t)n_ >= len - off)                                  \
			return;                                                         \
		off += (size_t)n_;                                                      \
	} while (0)
	PUT(tok_name(TK_ENCR, s->encr, s->encr_bits));
	if (s->integ != IKE_INTEG_NONE)
		PUT(tok_name(TK_INTEG, s->integ, 0));
	/* The PRF goes out when it is not the one the integrity name implies. */
	if (!esp && (is_aead(s->encr) || s->prf != prf_of_integ(s->integ)))
		PUT(tok_name(TK_PRF, s->prf, 0));
	if (s->dh)
		PUT(tok_name(TK_DH, s->dh, 0));
	if (esp && s->esn == 1)
		PUT("esn");
	if (esp && s->esn == 2)
		PUT("esn-noesn");
#undef PUT
}

static void tr_add(struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t key_len)
{
	if (p->n_tr >= IKE_MAX_TRANSFORMS)
		return;
	p->tr[p->n_tr].type = type;
	p->tr[p->n_tr].id = id;
	p->tr[p->n_tr].key_len = key_len;
	p->n_tr++;
}

void ike_suite_to_proposal(const struct ike_suite *s, uint8_t num, uint8_t proto,
			   const uint8_t *spi, uint8_t spi_len, struct ike_proposal *p)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = proto;
	p->spi_len = spi_len > sizeof(p->spi) ? sizeof(p->spi) : spi_len;
	if (spi)
		memcpy(p->spi, spi, p->spi_len);
	tr_add(p, IKE_TT_ENCR, s->encr, s->encr_bits);
	if (proto == IKE_PROTO_IKE)
		tr_add(p, IKE_TT_PRF, s->prf, 0);
	/* AEAD: no integrity transform at all (RFC 5282 8). */
	if (s->integ != IKE_INTEG_NONE)
		tr_add(p, IKE_TT_INTEG, s->integ, 0);
	if (s->dh)
		tr_add(p, IKE_TT_DH, s->dh, 0);
	if (proto != IKE_PROTO_IKE) {
		/* ESP proposals must carry ESN (RFC 7296 3.3.3). */
		if (s->esn == 1 || s->esn == 2)
			tr_add(p, IKE_TT_ESN, IKE_ESN_YES, 0);
		if (s->esn == 0 || s->esn == 2)
			tr_add(p, IKE_TT_ESN, IKE_ESN_NO, 0);
	}
}

static int has_tr(const struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t key_len)
{
	for (unsigned i = 0; i < p->n_tr; i++)
		if (p->tr[i].type == type && p->tr[i].id == id &&
		    (type != IKE_TT_ENCR || p->tr[i].key_len == key_len))
			return 1;
	return 0;
}

static int has_type(const struct ike_proposal *p, uint8_t type)
{
	for (unsigned i = 0; i < p->n_tr; i++)
		if (p->tr[i].type == type)
			return 1;
	return 0;
}

/*
 * Does peer proposal p offer everything suite s needs, and can s answer
 * every transform type p lists (RFC 7296 3.3.6: one of each type present)?
 * On success *esn is the ESN value to answer with.
 */
static int suite_covers(const struct ike_suite *s, const struct ike_proposal *p, uint8_t proto,
			uint8_t *esn)
{
	if (p->proto != proto)
		return 0;
	for (unsigned i = 0; i < p->n_tr; i++)
		if (p->tr[i].type < IKE_TT_ENCR || p->tr[i].type > IKE_TT_ESN)
			return 0;
	if (!has_tr(p, IKE_TT_ENCR, s->encr, s->encr_bits))
		return 0;
	if (proto == IKE_PROTO_IKE) {
		if (!has_tr(p, IKE_TT_PRF, s->prf, 0))
			return 0;
	} else if (has_type(p, IKE_TT_PRF)) {
		return 0;
	}
	if (s->integ != IKE_INTEG_NONE ? !has_tr(p, IKE_TT_INTEG, s->integ, 0)
				       : has_type(p, IKE_TT_INTEG) && !has_tr(p, IKE_TT_INTEG, 0, 0))
		return 0;
	if (s->dh ? !has_tr(p, IKE_TT_DH, s->dh, 0)
		  : has_type(p, IKE_TT_DH) && !has_tr(p, IKE_TT_DH, IKE_DH_NONE, 0))
		return 0;
	*esn = 0;
	if (proto != IKE_PROTO_IKE) {
		int yes = has_tr(p, IKE_TT_ESN, IKE_ESN_YES, 0);
		/* A proposal without ESN transform means no ESN. */
		int no = has_tr(p, IKE_TT_ESN, IKE_ESN_NO, 0) || !has_type(p, IKE_TT_ESN);

		if (s->esn == 1 && !yes)
			return 0;
		if (s->esn == 0 && !no)
			return 0;
		if (s->esn == 2 && !yes && !no)
			return 0;
		*esn = s->esn == 1 || (s->esn == 2 && yes) ? 1 : 0;
	}
	return 1;
}

int ike_suite_select(const struct ike_suite *ours, unsigned n_ours, const struct ike_sa_view *peer,
		     uint8_t proto, struct ike_suite *chosen, unsigned *which)
{
	for (unsigned i = 0; i < n_ours; i++)
		for (unsigned j = 0; j < peer->n; j++) {
			uint8_t esn;

			if (suite_covers(&ours[i], &peer->p[j], proto, &esn)) {
				*chosen = ours[i];
				chosen->esn = esn;
				if (proto != IKE_PROTO_IKE)
					chosen->prf = 0;
				if (which)
					*which = j;
				return 0;
			}
		}
	return -ENOENT;
}

int ike_suite_match_reply(const struct ike_suite *ours, unsigned n_ours, const struct ike_proposal *p,
			  uint8_t proto, struct ike_suite *chosen)
{
	unsigned count[IKE_TT_ESN + 1] = {0};

	if (p->proto != proto)
		return -ENOENT;
	/* A reply names exactly one transform of each type it uses. */
	for (unsigned i = 0; i < p->n_tr; i++) {
		if (p->tr[i].type < IKE_TT_ENCR || p->tr[i].type > IKE_TT_ESN)
			return -ENOENT;
		if (count[p->tr[i].type]++)
			return -ENOENT;
	}
	for (unsigned i = 0; i < n_ours; i++) {
		uint8_t esn;

		if (suite_covers(&ours[i], p, proto, &esn)) {
			*chosen = ours[i];
			chosen->esn = esn;
			if (proto != IKE_PROTO_IKE)
				chosen->prf = 0;
			return 0;
		}
	}
	return -ENOENT;
}

int ike_suite_esp_alg(const struct ike_suite *s)
{
	if (s->encr == IKE_ENCR_AES_GCM16 && s->integ == IKE_INTEG_NONE)
		return s->encr_bits == 128 ? ESP_ALG_AES128_GCM16
		       : s->encr_bits == 256 ? ESP_ALG_AES256_GCM16 : -1;
	if (s->encr != IKE_ENCR_AES_CBC || (s->encr_bits != 128 && s->encr_bits != 256))
		return -1;
	if (s->integ == IKE_INTEG_HMAC_SHA2_256_128)
		return s->encr_bits == 128 ? ESP_ALG_AES128_CBC_SHA256 : ESP_ALG_AES256_CBC_SHA256;
	if (s->integ == IKE_INTEG_HMAC_SHA1_96)
		return s->encr_bits == 128 ? ESP_ALG_AES128_CBC_SHA1 : ESP_ALG_AES256_CBC_SHA1;
	return -1;
}

/* ---- PRF ---- */

static const EVP_MD *prf_md(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1: return EVP_sha1();
	case IKE_PRF_HMAC_SHA2_256: return EVP_sha256();
	case IKE_PRF_HMAC_SHA2_384: return EVP_sha384();
	case IKE_PRF_HMAC_SHA2_512: return EVP_sha512();
	default: return NULL;
	}
}

size_t ike_prf_len(uint16_t prf)
{
	const EVP_MD *md = prf_md(prf);

	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

/* HMAC over up to three pieces (NULL/0 pieces skipped). */
static int hmac3(const EVP_MD *md, const uint8_t *key, size_t klen, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, const uint8_t *c, size_t clen, uint8_t *out)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *h;
	OSSL_PARAM params[2];
	size_t olen = 0;
	int ok;

	if (!md)
		return -EINVAL;
	/* OpenSSL caches fetched methods: no global of ours needed. */
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	h = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);        /* the context holds its own reference */
	if (!h)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A zero-length key is legal for HMAC; OpenSSL wants a non-NULL pointer. */
	ok = EVP_MAC_init(h, klen ? key : (const uint8_t *)"", klen, params) &&
	     (!alen || EVP_MAC_update(h, a, alen)) && (!blen || EVP_MAC_update(h, b, blen)) &&
	     (!clen || EVP_MAC_update(h, c, clen)) &&
	     EVP_MAC_final(h, out, &olen, (size_t)EVP_MD_get_size(md));
	EVP_MAC_CTX_free(h);
	return ok ? 0 : -EINVAL;
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
	    uint8_t *out)
{
	return hmac3(prf_md(prf), key, klen, data, dlen, NULL, 0, NULL, 0, out);
}

int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
		 uint8_t *out, size_t outlen)
{
	size_t hl = ike_prf_len(prf), done = 0;
	uint8_t t[EVP_MAX_MD_SIZE];
	uint8_t ctr = 1;
	int rc = 0;

	if (!hl || outlen > 255 * hl)
		return -EINVAL;
	/* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (2.13). */
	while (done < outlen) {
		size_t n = outlen - done < hl ? outlen - done : hl;

		rc = hmac3(prf_md(prf), key, klen, ctr == 1 ? NULL : t, ctr == 1 ? 0 : hl, seed, slen,
			   &ctr, 1, t);
		if (rc)
			break;
		memcpy(out + done, t, n);
		done += n;
		ctr++;
	}
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/* ---- key derivation ---- */

static size_t integ_key_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 20;
	case IKE_INTEG_HMAC_SHA2_256_128: return 32;
	case IKE_INTEG_HMAC_SHA2_384_192: return 48;
	case IKE_INTEG_HMAC_SHA2_512_256: return 64;
	default: return 0;
	}
}

static size_t integ_icv_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 12;
	case IKE_INTEG_HMAC_SHA2_256_128: return 16;
	case IKE_INTEG_HMAC_SHA2_384_192: return 24;
	case IKE_INTEG_HMAC_SHA2_512_256: return 32;
	default: return 0;
	}
}

static const EVP_MD *integ_md(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return EVP_sha1();
	case IKE_INTEG_HMAC_SHA2_256_128: return EVP_sha256();
	case IKE_INTEG_HMAC_SHA2_384_192: return EVP_sha384();
	case IKE_INTEG_HMAC_SHA2_512_256: return EVP_sha512();
	default: return NULL;
	}
}

void ike_suite_key_lens(const struct ike_suite *s, size_t *encr_len, size_t *integ_len)
{
	size_t e = s->encr_bits / 8;

	if (is_aead(s->encr))
		e += GCM_SALT_LEN;
	if (encr_len)
		*encr_len = e;
	if (integ_len)
		*integ_len = is_aead(s->encr) ? 0 : integ_key_len(s->integ);
}

/* Valid, supported algorithms with keys that fit struct ike_keys. */
static int suite_usable(const struct ike_suite *s)
{
	if (s->encr_bits != 128 && s->encr_bits != 256)
		return 0;
	if (s->encr == IKE_ENCR_AES_GCM16)
		return s->integ == IKE_INTEG_NONE;
	if (s->encr == IKE_ENCR_AES_CBC)
		return integ_md(s->integ) != NULL;
	return 0;
}

int ike_derive_ike_keys(const struct ike_suite *s, const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
			uint64_t spi_i, uint64_t spi_r, uint16_t old_prf, const uint8_t *old_sk_d,
			size_t old_sk_d_len, struct ike_keys *k)
{
	size_t pl = ike_prf_len(s->prf), el, il, total;
	uint8_t skeyseed[EVP_MAX_MD_SIZE], *seed, *km;
	size_t slen = ni_len + nr_len + 16;
	int rc;

	if (!pl || !suite_usable(s) || ni_len > IKE_MAX_NONCE || nr_len > IKE_MAX_NONCE)
		return -EINVAL;
	ike_suite_key_lens(s, &el, &il);
	total = 3 * pl + 2 * el + 2 * il;
	seed = malloc(slen);
	km = malloc(total);
	if (!seed || !km) {
		free(seed);
		free(km);
		return -ENOMEM;
	}
	memcpy(seed, ni, ni_len);
	memcpy(seed + ni_len, nr, nr_len);
	if (old_sk_d) {
		/* Rekey (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
		rc = ike_prf_len(old_prf) ? hmac3(prf_md(old_prf), old_sk_d, old_sk_d_len, gir, gir_len,
						 ni, ni_len, nr, nr_len, skeyseed)
					  : -EINVAL;
	} else {
		rc = ike_prf(s->prf, seed, ni_len + nr_len, gir, gir_len, skeyseed);
	}
	for (int i = 0; i < 8; i++) {
		seed[ni_len + nr_len + i] = (uint8_t)(spi_i >> (56 - 8 * i));
		seed[ni_len + nr_len + 8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	if (!rc)
		rc = ike_prf_plus(s->prf, skeyseed, old_sk_d ? ike_prf_len(old_prf) : pl, seed, slen, km,
				  total);
	if (!rc) {
		const uint8_t *p = km;

		memset(k, 0, sizeof(*k));
		k->prf_len = pl;
		k->encr_len = el;
		k->integ_len = il;
		memcpy(k->sk_d, p, pl), p += pl;
		memcpy(k->sk_ai, p, il), p += il;
		memcpy(k->sk_ar, p, il), p += il;
		memcpy(k->sk_ei, p, el), p += el;
		memcpy(k->sk_er, p, el), p += el;
		memcpy(k->sk_pi, p, pl), p += pl;
		memcpy(k->sk_pr, p, pl);
	}
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	OPENSSL_cleanse(km, total);
	free(km);
	free(seed);
	return rc;
}

int ike_derive_child_keys(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
			  const struct ike_suite *esp, const uint8_t *gir, size_t gir_len,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			  uint8_t *out, size_t outlen)
{
	size_t el, il, slen = gir_len + ni_len + nr_len;
	uint8_t *seed;
	int rc;

	if (!suite_usable(esp))
		return -EINVAL;
	ike_suite_key_lens(esp, &el, &il);
	if (outlen < 2 * (el + il))
		return -EINVAL;
	seed = malloc(slen ? slen : 1);
	if (!seed)
		return -ENOMEM;
	if (gir_len)
		memcpy(seed, gir, gir_len);
	memcpy(seed + gir_len, ni, ni_len);
	memcpy(seed + gir_len + ni_len, nr, nr_len);
	rc = ike_prf_plus(prf, sk_d, sk_d_len, seed, slen, out, 2 * (el + il));
	OPENSSL_cleanse(seed, slen);
	free(seed);
	return rc;
}

/* ---- Diffie-Hellman ---- */

struct ike_dh_ctx {
	uint16_t group;
	EVP_PKEY *key;
};

size_t ike_dh_pub_len(uint16_t group)
{
	switch (group) {
	case IKE_DH_MODP2048: return 256;
	case IKE_DH_ECP256: return 64;
	case IKE_DH_ECP384: return 96;
	case IKE_DH_CURVE25519: return 32;
	default: return 0;
	}
}

static const char *ec_group_name(uint16_t group)
{
	return group == IKE_DH_ECP256 ? SN_X9_62_prime256v1 : group == IKE_DH_ECP384 ? SN_secp384r1 : NULL;
}

/* Our public value in the KE encoding: MODP y padded to the prime length
 * (RFC 7296 3.4), ECP x|y without the 0x04 prefix (RFC 5903 7), X25519 raw. */
static int dh_pub(struct ike_dh_ctx *c, uint8_t *pub, size_t *pub_len)
{
	size_t want = ike_dh_pub_len(c->group), n = 0;

	if (c->group == IKE_DH_MODP2048) {
		BIGNUM *y = NULL;
		int ok = EVP_PKEY_get_bn_param(c->key, OSSL_PKEY_PARAM_PUB_KEY, &y) &&
			 BN_bn2binpad(y, pub, (int)want) == (int)want;

		BN_free(y);
		if (!ok)
			return -EINVAL;
	} else if (c->group == IKE_DH_CURVE25519) {
		n = want;
		if (!EVP_PKEY_get_raw_public_key(c->key, pub, &n) || n != want)
			return -EINVAL;
	} else {
		uint8_t pt[1 + 2 * 66];

		if (!EVP_PKEY_get_octet_string_param(c->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
						     sizeof(pt), &n) ||
		    n != want + 1 || pt[0] != POINT_CONVERSION_UNCOMPRESSED)
			return -EINVAL;
		memcpy(pub, pt + 1, want);
	}
	*pub_len = want;
	return 0;
}

/* An empty context for a group we support, or NULL. */
static struct ike_dh_ctx *dh_ctx_new(uint16_t group)
{
	struct ike_dh_ctx *c;

	if (!ike_dh_pub_len(group) || !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->group = group;
	return c;
}

struct ike_dh_ctx *ike_dh_new(uint16_t group, uint8_t *pub, size_t *pub_len)
{
	struct ike_dh_ctx *c = dh_ctx_new(group);
	EVP_PKEY_CTX *kc = NULL;

	if (!c)
		return NULL;
	if (group == IKE_DH_CURVE25519) {
		kc = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		if (!kc || EVP_PKEY_keygen_init(kc) <= 0)
			goto err;
	} else {
		OSSL_PARAM params[2];
		const char *name = group == IKE_DH_MODP2048 ? "modp_2048" : ec_group_name(group);

		kc = EVP_PKEY_CTX_new_from_name(NULL, group == IKE_DH_MODP2048 ? "DH" : "EC", NULL);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!kc || EVP_PKEY_keygen_init(kc) <= 0 || EVP_PKEY_CTX_set_params(kc, params) <= 0)
			goto err;
	}
	if (EVP_PKEY_generate(kc, &c->key) <= 0)
		goto err;
	EVP_PKEY_CTX_free(kc);
	if (dh_pub(c, pub, pub_len)) {
		ike_dh_free(c);
		return NULL;
	}
	return c;
err:
	EVP_PKEY_CTX_free(kc);
	ike_dh_free(c);
	return NULL;
}

/* A key from name and params (fromdata). NULL on failure. */
static EVP_PKEY *pkey_fromdata(const char *alg, OSSL_PARAM_BLD *bld, int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *k = NULL;

	if (!params || !pc || EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &k, selection, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	return k;
}

struct ike_dh_ctx *ike_dh_new_priv(uint16_t group, const uint8_t *priv, size_t priv_len, uint8_t *pub,
				   size_t *pub_len)
{
	struct ike_dh_ctx *c;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *x = NULL, *y = NULL, *p = NULL, *g = NULL;
	BN_CTX *bn = NULL;
	EC_GROUP *ecg = NULL;
	EC_POINT *pt = NULL;
	uint8_t oct[1 + 2 * 66];

	if (!priv_len || !(c = dh_ctx_new(group)))
		return NULL;
	if (group == IKE_DH_CURVE25519) {
		c->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, priv_len);
		goto done;
	}
	bld = OSSL_PARAM_BLD_new();
	bn = BN_CTX_new();
	x = BN_bin2bn(priv, (int)priv_len, NULL);
	y = BN_new();
	if (!bld || !bn || !x || !y)
		goto done;
	if (group == IKE_DH_MODP2048) {
		p = BN_get_rfc3526_prime_2048(NULL);
		g = BN_new();
		if (!p || !g || !BN_set_word(g, 2) || !BN_mod_exp(y, g, x, p, bn) ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "modp_2048", 0) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
			goto done;
		c->key = pkey_fromdata("DH", bld, EVP_PKEY_KEYPAIR);
	} else {
		size_t n;
		const char *name = ec_group_name(group);

		ecg = EC_GROUP_new_by_curve_name(OBJ_sn2nid(name));
		pt = ecg ? EC_POINT_new(ecg) : NULL;
		if (!pt || !EC_POINT_mul(ecg, pt, x, NULL, NULL, bn))
			goto done;
		n = EC_POINT_point2oct(ecg, pt, POINT_CONVERSION_UNCOMPRESSED, oct, sizeof(oct), bn);
		if (!n || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
			goto done;
		c->key = pkey_fromdata("EC", bld, EVP_PKEY_KEYPAIR);
	}
done:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	BN_free(y);
	BN_free(p);
	BN_free(g);
	BN_CTX_free(bn);
	EC_POINT_free(pt);
	EC_GROUP_free(ecg);
	if (!c->key || dh_pub(c, pub, pub_len)) {
		ike_dh_free(c);
		return NULL;
	}
	return c;
}

/* The peer's public value as a key of our group, validated. */
static EVP_PKEY *dh_peer_key(const struct ike_dh_ctx *c, const uint8_t *peer, size_t peer_len)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *chk;
	OSSL_PARAM_BLD *bld;

	if (peer_len != ike_dh_pub_len(c->group))
		return NULL;
	if (c->group == IKE_DH_CURVE25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
	bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return NULL;
	if (c->group == IKE_DH_MODP2048) {
		BIGNUM *y = BN_bin2bn(peer, (int)peer_len, NULL);

		if (y && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "modp_2048", 0) &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
			k = pkey_fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY);
		BN_free(y);
	} else {
		uint8_t oct[1 + 2 * 66];

		oct[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(oct + 1, peer, peer_len);
		if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						    ec_group_name(c->group), 0) &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, peer_len + 1))
			k = pkey_fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY);
	}
	OSSL_PARAM_BLD_free(bld);
	if (!k)
		return NULL;
	/* MODP: 1 < y < p-1; ECP: the point is on the curve (RFC 7296 5.12,
	 * RFC 5903 9 on small-subgroup and invalid-curve values). */
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	if (!chk || EVP_PKEY_public_check_quick(chk) <= 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	EVP_PKEY_CTX_free(chk);
	return k;
}

int ike_dh_shared(struct ike_dh_ctx *c, const uint8_t *peer, size_t peer_len, uint8_t *out,
		  size_t *out_len)
{
	EVP_PKEY *pk;
	EVP_PKEY_CTX *dc = NULL;
	size_t want, n;
	int rc = -EINVAL;

	if (!c || !c->key)
		return -EINVAL;
	pk = dh_peer_key(c, peer, peer_len);
	if (!pk)
		return -EINVAL;
	/* g^ir is as long as the prime (MODP, zero-padded: 2.14) or the
	 * field (ECP: x only, RFC 5903 7), 32 bytes for X25519. */
	want = c->group == IKE_DH_ECP256 ? 32 : c->group == IKE_DH_ECP384 ? 48 : ike_dh_pub_len(c->group);
	n = want;
	dc = EVP_PKEY_CTX_new_from_pkey(NULL, c->key, NULL);
	if (dc && EVP_PKEY_derive_init(dc) > 0 &&
	    (c->group != IKE_DH_MODP2048 || EVP_PKEY_CTX_set_dh_pad(dc, 1) > 0) &&
	    EVP_PKEY_derive_set_peer(dc, pk) > 0 && EVP_PKEY_derive(dc, out, &n) > 0 && n == want) {
		*out_len = n;
		rc = 0;
	}
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(pk);
	return rc;
}

void ike_dh_free(struct ike_dh_ctx *c)
{
	if (!c)
		return;
	EVP_PKEY_free(c->key);
	free(c);
}

/* ---- SK payload ---- */

static const EVP_CIPHER *sk_cipher(const struct ike_suite *s)
{
	if (s->encr == IKE_ENCR_AES_GCM16)
		return s->encr_bits == 128 ? EVP_aes_128_gcm() : s->encr_bits == 256 ? EVP_aes_256_gcm() : NULL;
	if (s->encr == IKE_ENCR_AES_CBC)
		return s->encr_bits == 128 ? EVP_aes_128_cbc() : s->encr_bits == 256 ? EVP_aes_256_cbc() : NULL;
	return NULL;
}

size_t ike_sk_overhead(const struct ike_suite *s)
{
	if (!suite_usable(s))
		return 0;
	if (is_aead(s->encr))
		return SK_HDR_LEN + GCM_IV_LEN + 1 + GCM_ICV_LEN;
	return SK_HDR_LEN + CBC_IV_LEN + AES_BLOCK + integ_icv_len(s->integ);
}

/* One-shot AES: GCM with aad and tag (16 bytes), or CBC without padding. */
static int aes_crypt(const struct ike_suite *s, int enc, const uint8_t *key, const uint8_t *iv,
		     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
		     uint8_t *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int gcm = is_aead(s->encr), n = 0, ok;

	if (!x)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(x, sk_cipher(s), NULL, NULL, NULL, enc) &&
	     (!gcm || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, GCM_SALT_LEN + GCM_IV_LEN, NULL)) &&
	     EVP_CIPHER_CTX_set_padding(x, 0) && EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc) &&
	     (!gcm || !aad_len || EVP_CipherUpdate(x, NULL, &n, aad, (int)aad_len)) &&
	     (!gcm || enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, GCM_ICV_LEN, tag)) &&
	     EVP_CipherUpdate(x, out, &n, in, (int)len) && EVP_CipherFinal_ex(x, out + n, &n) &&
	     (!gcm || !enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, GCM_ICV_LEN, tag));
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -EBADMSG;
}

int ike_sk_seal(struct ike_w *w, const struct ike_suite *s, const uint8_t *encr_key,
		const uint8_t *integ_key, uint8_t first, const uint8_t *plain, size_t plen,
		const uint8_t *iv_seed)
{
	int gcm = is_aead(s->encr);
	size_t ivl = gcm ? GCM_IV_LEN : CBC_IV_LEN, icvl = gcm ? GCM_ICV_LEN : integ_icv_len(s->integ);
	size_t padded, pad, sk_at, ct_at, klen = s->encr_bits / 8;
	uint8_t *buf;
	int rc;

	if (!suite_usable(s) || !w->has_hdr || w->err)
		return -EINVAL;
	/* GCM is a stream: no padding beyond the Pad Length byte (RFC 5282 3). */
	padded = gcm ? plen + 1 : (plen + 1 + AES_BLOCK - 1) / AES_BLOCK * AES_BLOCK;
	pad = padded - plen - 1;
	ike_w_payload(w, IKE_PL_SK, 0);
	if (w->err)
		return -ENOSPC;
	sk_at = w->pl_start;
	w->buf[sk_at] = first;    /* the SK payload's next names the inner chain */
	ike_w_bytes(w, iv_seed, ivl);
	ct_at = w->len;
	if (w->err || padded + icvl > w->cap - w->len) {
		w->err = -ENOSPC;
		return -ENOSPC;
	}
	buf = w->buf + ct_at;
	memmove(buf, plain, plen);
	memset(buf + plen, 0, pad);
	buf[padded - 1] = (uint8_t)pad;
	w->len += padded + icvl;
	rc = ike_w_finish(w);     /* lengths first: they are authenticated */
	if (rc < 0)
		return rc;
	if (gcm) {
		uint8_t nonce[GCM_SALT_LEN + GCM_IV_LEN];

		/* Nonce = salt | IV; AAD = header .. end of the SK generic
		 * header, i.e. everything before the IV (RFC 5282 5.1). */
		memcpy(nonce, encr_key + klen, GCM_SALT_LEN);
		memcpy(nonce + GCM_SALT_LEN, iv_seed, GCM_IV_LEN);
		rc = aes_crypt(s, 1, encr_key, nonce, w->buf, sk_at + SK_HDR_LEN, buf, padded, buf,
			       buf + padded);
	} else {
		uint8_t mac[EVP_MAX_MD_SIZE];

		rc = aes_crypt(s, 1, encr_key, iv_seed, NULL, 0, buf, padded, buf, NULL);
		/* ICV over header .. end of ciphertext, IV included (3.14). */
		if (!rc)
			rc = hmac3(integ_md(s->integ), integ_key, integ_key_len(s->integ), w->buf,
				   ct_at + padded, NULL, 0, NULL, 0, mac);
		if (!rc)
			memcpy(buf + padded, mac, icvl);
	}
	if (rc) {
		w->err = rc;
		return rc;
	}
	return (int)w->len;
}

int ike_sk_open(const uint8_t *msg, size_t msg_len, const struct ike_payload *sk,
		const struct ike_suite *s, const uint8_t *encr_key, const uint8_t *integ_key,
		uint8_t *out, size_t cap, size_t *out_len)
{
	int gcm = is_aead(s->encr);
	size_t ivl = gcm ? GCM_IV_LEN : CBC_IV_LEN, icvl = gcm ? GCM_ICV_LEN : integ_icv_len(s->integ);
	size_t body_at, ct_at, ct_len, klen = s->encr_bits / 8;
	uint8_t tmp[IKE_MAX_MSG];
	uint8_t icv[GCM_ICV_LEN];
	int rc;

	if (!suite_usable(s) || !sk || sk->type != IKE_PL_SK || sk->body < msg + IKE_HDR_LEN + SK_HDR_LEN ||
	    sk->body > msg + msg_len || sk->len > msg + msg_len - sk->body)
		return -EINVAL;
	body_at = (size_t)(sk->body - msg);
	if (sk->len < ivl + icvl + 1)
		return -EBADMSG;
	ct_at = body_at + ivl;
	ct_len = sk->len - ivl - icvl;
	if (ct_len > sizeof(tmp) || (!gcm && ct_len % AES_BLOCK))
		return -EBADMSG;
	if (gcm) {
		uint8_t nonce[GCM_SALT_LEN + GCM_IV_LEN];

		memcpy(nonce, encr_key + klen, GCM_SALT_LEN);
		memcpy(nonce + GCM_SALT_LEN, msg + body_at, GCM_IV_LEN);
		memcpy(icv, msg + ct_at + ct_len, GCM_ICV_LEN);
		/* The tag is checked by OpenSSL's final step (constant time). */
		rc = aes_crypt(s, 0, encr_key, nonce, msg, body_at, msg + ct_at, ct_len, tmp, icv);
	} else {
		uint8_t mac[EVP_MAX_MD_SIZE];

		rc = hmac3(integ_md(s->integ), integ_key, integ_key_len(s->integ), msg, ct_at + ct_len,
			   NULL, 0, NULL, 0, mac);
		if (!rc && CRYPTO_memcmp(mac, msg + ct_at + ct_len, icvl) != 0)
			rc = -EBADMSG;
		if (!rc)
			rc = aes_crypt(s, 0, encr_key, msg + body_at, NULL, 0, msg + ct_at, ct_len, tmp,
				       NULL);
	}
	if (!rc) {
		size_t pad = tmp[ct_len - 1];

		if (pad + 1 > ct_len)
			rc = -EBADMSG;
		else if (ct_len - pad - 1 > cap)
			rc = -EINVAL;
		else {
			*out_len = ct_len - pad - 1;
			memcpy(out, tmp, *out_len);
		}
	}
	OPENSSL_cleanse(tmp, ct_len);
	return rc;
}

/* ---- AUTH ---- */

#define KEY_PAD "Key Pad for IKEv2"

uint8_t *ike_signed_octets(uint16_t prf, const uint8_t *real_msg, size_t real_len,
			   const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len,
			   const uint8_t *id_body, size_t id_len, size_t *len)
{
	size_t pl = ike_prf_len(prf);
	uint8_t *o;

	if (!pl)
		return NULL;
	o = malloc(real_len + nonce_len + pl);
	if (!o)
		return NULL;
	memcpy(o, real_msg, real_len);
	memcpy(o + real_len, nonce, nonce_len);
	/* MACedIDForX = prf(SK_px, IDx') over the ID payload body (2.15). */
	if (ike_prf(prf, sk_p, sk_p_len, id_body, id_len, o + real_len + nonce_len)) {
		free(o);
		return NULL;
	}
	*len = real_len + nonce_len + pl;
	return o;
}

int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *real_msg,
		 size_t real_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p,
		 size_t sk_p_len, const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	uint8_t k[EVP_MAX_MD_SIZE];
	size_t olen;
	uint8_t *o;
	int rc;

	o = ike_signed_octets(prf, real_msg, real_len, nonce, nonce_len, sk_p, sk_p_len, id_body, id_len,
			      &olen);
	if (!o)
		return -EINVAL;
	rc = ike_prf(prf, psk, psk_len, (const uint8_t *)KEY_PAD, strlen(KEY_PAD), k);
	if (!rc)
		rc = ike_prf(prf, k, ike_prf_len(prf), o, olen, out);
	OPENSSL_cleanse(k, sizeof(k));
	free(o);
	return rc;
}

int ike_memeq_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) != 0;
}

int ike_random(void *buf, size_t len)
{
	return len > INT32_MAX || RAND_bytes(buf, (int)len) != 1 ? -EIO : 0;
}
