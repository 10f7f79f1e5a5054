/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 certificate authentication (RFC 7296 3.6/3.8, RFC 4754, RFC 7427) with OpenSSL X.509. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/ike/ike_cert.h"

struct ike_cred {
	X509 *cert;               /* ours, or NULL */
	uint8_t *cert_der;
	size_t cert_der_len;
	uint8_t *subject_der;
	size_t subject_len;
	EVP_PKEY *key;            /* ours, or NULL */
	X509_STORE *store;        /* trusted CAs, or NULL */
	int has_ca_keyid;
	uint8_t ca_keyid[20];
};

/* RFC 7427 hash algorithm identifiers (IANA "Hash Algorithms"). */
enum { SIGHASH_SHA256 = 2, SIGHASH_SHA384 = 3, SIGHASH_SHA512 = 4 };

/*
 * AlgorithmIdentifier DER (RFC 7427 A.1, A.3) we sign with and accept:
 * RSASSA-PKCS1-v1_5 with NULL parameters (also accepted without), ECDSA
 * with none.
 */
struct sigalg {
	const uint8_t *der;
	uint8_t len;
	int key_type;             /* EVP_PKEY_RSA or EVP_PKEY_EC */
	const char *md;
};

static const uint8_t ai_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t ai_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t ai_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
static const uint8_t ai_rsa_sha256_np[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0b};
static const uint8_t ai_rsa_sha384_np[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0c};
static const uint8_t ai_rsa_sha512_np[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0d};
static const uint8_t ai_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					  0x3d, 0x04, 0x03, 0x02};
static const uint8_t ai_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					  0x3d, 0x04, 0x03, 0x03};
static const uint8_t ai_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					  0x3d, 0x04, 0x03, 0x04};

#define SA(a, t, m) {a, sizeof(a), t, m}
static const struct sigalg sigalgs[] = {
	SA(ai_rsa_sha256, EVP_PKEY_RSA, "SHA256"),     SA(ai_rsa_sha384, EVP_PKEY_RSA, "SHA384"),
	SA(ai_rsa_sha512, EVP_PKEY_RSA, "SHA512"),     SA(ai_rsa_sha256_np, EVP_PKEY_RSA, "SHA256"),
	SA(ai_rsa_sha384_np, EVP_PKEY_RSA, "SHA384"),  SA(ai_rsa_sha512_np, EVP_PKEY_RSA, "SHA512"),
	SA(ai_ecdsa_sha256, EVP_PKEY_EC, "SHA256"),    SA(ai_ecdsa_sha384, EVP_PKEY_EC, "SHA384"),
	SA(ai_ecdsa_sha512, EVP_PKEY_EC, "SHA512"),
};
#undef SA

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return rc;
}

/* ---- loading ---- */

void ike_cred_free(struct ike_cred *c)
{
	if (!c)
		return;
	X509_free(c->cert);
	OPENSSL_free(c->cert_der);
	OPENSSL_free(c->subject_der);
	EVP_PKEY_free(c->key);
	X509_STORE_free(c->store);
	free(c);
}

static int load_cert(struct ike_cred *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	unsigned char *p = NULL;
	int n;

	if (!f)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	/* The first certificate of the file is ours (no intermediates: the
	 * peer's CA signs leaves directly). */
	c->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!c->cert)
		return fail(err, errlen, -EINVAL, "%s: no PEM certificate", path);
	n = i2d_X509(c->cert, &p);
	if (n <= 0)
		return fail(err, errlen, -EINVAL, "%s: cannot encode the certificate", path);
	c->cert_der = p;
	c->cert_der_len = (size_t)n;
	p = NULL;
	n = i2d_X509_NAME(X509_get_subject_name(c->cert), &p);
	if (n <= 0)
		return fail(err, errlen, -EINVAL, "%s: cannot encode the subject", path);
	c->subject_der = p;
	c->subject_len = (size_t)n;
	return 0;
}

static int load_key(struct ike_cred *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int t;

	if (!f)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!c->key)
		return fail(err, errlen, -EINVAL, "%s: no PEM private key (or it is encrypted)", path);
	t = EVP_PKEY_get_base_id(c->key);
	if (t != EVP_PKEY_RSA && t != EVP_PKEY_EC)
		return fail(err, errlen, -EINVAL, "%s: only RSA and ECDSA keys are supported", path);
	if (c->cert && X509_check_private_key(c->cert, c->key) != 1)
		return fail(err, errlen, -EINVAL, "%s: the key does not match the certificate", path);
	return 0;
}

static int load_ca(struct ike_cred *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (!f)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	c->store = X509_STORE_new();
	while (c->store && (x = PEM_read_X509(f, NULL, NULL, NULL))) {
		/* CERTREQ names the first CA of the file (RFC 7296 3.7). */
		if (!n++) {
			unsigned char *spki = NULL;
			int l = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);

			if (l > 0 && EVP_Digest(spki, (size_t)l, c->ca_keyid, NULL, EVP_sha1(), NULL))
				c->has_ca_keyid = 1;
			OPENSSL_free(spki);
		}
		if (!X509_STORE_add_cert(c->store, x)) {
			X509_free(x);
			fclose(f);
			return fail(err, errlen, -EINVAL, "%s: cannot add CA certificate %d", path, n);
		}
		X509_free(x);
	}
	fclose(f);
	if (!c->store || !n)
		return fail(err, errlen, -EINVAL, "%s: no PEM CA certificate", path);
	return 0;
}

struct ike_cred *ike_cred_load(const char *cert_pem, const char *key_pem, const char *ca_pem,
			       char *err, size_t errlen)
{
	struct ike_cred *c = calloc(1, sizeof(*c));

	if (!c) {
		fail(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	if ((cert_pem && load_cert(c, cert_pem, err, errlen)) || (key_pem && load_key(c, key_pem, err, errlen)) ||
	    (ca_pem && load_ca(c, ca_pem, err, errlen))) {
		ike_cred_free(c);
		return NULL;
	}
	return c;
}

int ike_cred_cert_der(const struct ike_cred *c, const uint8_t **der, size_t *len)
{
	if (!c || !c->cert_der)
		return -ENOENT;
	*der = c->cert_der;
	*len = c->cert_der_len;
	return 0;
}

int ike_cred_ca_keyid(const struct ike_cred *c, uint8_t out[20])
{
	if (!c || !c->has_ca_keyid)
		return -ENOENT;
	memcpy(out, c->ca_keyid, 20);
	return 0;
}

int ike_cred_id(const struct ike_cred *c, uint8_t *id_type, const uint8_t **data, size_t *len)
{
	if (!c || !c->subject_der)
		return -ENOENT;
	*id_type = IKE_ID_DER_DN;
	*data = c->subject_der;
	*len = c->subject_len;
	return 0;
}

/* ---- SIGNATURE_HASH_ALGORITHMS ---- */

unsigned ike_sighash_parse(const uint8_t *data, size_t len)
{
	unsigned mask = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned h = (unsigned)data[i] << 8 | data[i + 1];

		mask |= h == SIGHASH_SHA256 ? IKE_SIGHASH_SHA256
			: h == SIGHASH_SHA384 ? IKE_SIGHASH_SHA384
			: h == SIGHASH_SHA512 ? IKE_SIGHASH_SHA512 : 0;
	}
	return mask;
}

size_t ike_sighash_ours(uint8_t *out, size_t cap)
{
	static const uint8_t ours[] = {0, SIGHASH_SHA256, 0, SIGHASH_SHA384, 0, SIGHASH_SHA512};

	if (cap < sizeof(ours))
		return 0;
	memcpy(out, ours, sizeof(ours));
	return sizeof(ours);
}

/* ---- signatures ---- */

/* Bits of the curve of an EC key (256, 384, 521), 0 otherwise. */
static int ec_bits(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC ? EVP_PKEY_get_bits(k) : 0;
}

/* DER signature of octets under md (NULL name = SHA-1 for method 1). */
static int sign_der(EVP_PKEY *key, const char *md, const uint8_t *octets, size_t olen, uint8_t **sig,
		    size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t n = 0;
	int ok;

	*sig = NULL;
	ok = m && EVP_DigestSignInit_ex(m, NULL, md, NULL, NULL, key, NULL) > 0 &&
	     EVP_DigestSign(m, NULL, &n, octets, olen) > 0 && (*sig = OPENSSL_malloc(n)) &&
	     EVP_DigestSign(m, *sig, &n, octets, olen) > 0;
	EVP_MD_CTX_free(m);
	if (!ok) {
		OPENSSL_free(*sig);
		*sig = NULL;
		ERR_clear_error();
		return -EINVAL;
	}
	*sig_len = n;
	return 0;
}

static int verify_der(EVP_PKEY *key, const char *md, const uint8_t *octets, size_t olen, const uint8_t *sig,
		      size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestVerifyInit_ex(m, NULL, md, NULL, NULL, key, NULL) > 0 &&
		 EVP_DigestVerify(m, sig, sig_len, octets, olen) == 1;

	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok ? 0 : -EACCES;
}

/* ECDSA-Sig-Value DER <-> r | s, each padded to the field size (RFC 4754 7). */
static int ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t half, uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *sv;
	int ok;

	if (!s)
		return -EINVAL;
	ECDSA_SIG_get0(s, &r, &sv);
	ok = BN_bn2binpad(r, out, (int)half) == (int)half && BN_bn2binpad(sv, out + half, (int)half) == (int)half;
	ECDSA_SIG_free(s);
	return ok ? 0 : -EINVAL;
}

static int ecdsa_raw_to_der(const uint8_t *raw, size_t len, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)(len / 2), NULL), *sv = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	unsigned char *p = NULL;
	int n;

	if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(s);
		return -EINVAL;
	}
	n = i2d_ECDSA_SIG(s, &p);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return -EINVAL;
	*der = p;
	*der_len = (size_t)n;
	return 0;
}

/* The RFC 7427 algorithm we sign with for key k and the peer's hash mask. */
static const struct sigalg *sigalg_for(EVP_PKEY *k, unsigned mask)
{
	int ec = EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
	/* Preferred hash first: the curve's own for ECDSA, SHA-256 for RSA. */
	unsigned pref[3] = {IKE_SIGHASH_SHA256, IKE_SIGHASH_SHA384, IKE_SIGHASH_SHA512};

	if (ec && ec_bits(k) == 384) {
		pref[0] = IKE_SIGHASH_SHA384;
		pref[1] = IKE_SIGHASH_SHA256;
	} else if (ec && ec_bits(k) == 521) {
		pref[0] = IKE_SIGHASH_SHA512;
		pref[2] = IKE_SIGHASH_SHA256;
	}
	for (int i = 0; i < 3; i++) {
		if (!(mask & pref[i]))
			continue;
		if (pref[i] == IKE_SIGHASH_SHA256)
			return ec ? &sigalgs[6] : &sigalgs[0];
		if (pref[i] == IKE_SIGHASH_SHA384)
			return ec ? &sigalgs[7] : &sigalgs[1];
		return ec ? &sigalgs[8] : &sigalgs[2];
	}
	return NULL;
}

int ike_cred_sign(const struct ike_cred *c, int rfc7427, const uint8_t *octets, size_t olen,
		  uint8_t *method, uint8_t *sig, size_t *sig_len)
{
	const struct sigalg *alg;
	uint8_t *der = NULL;
	size_t der_len = 0, need;
	int ec, rc;

	if (!c || !c->key)
		return -ENOENT;
	ec = EVP_PKEY_get_base_id(c->key) == EVP_PKEY_EC;
	alg = rfc7427 ? sigalg_for(c->key, (unsigned)rfc7427) : NULL;
	if (alg) {
		/* RFC 7427 3: length of the AlgorithmIdentifier, it, the signature. */
		rc = sign_der(c->key, alg->md, octets, olen, &der, &der_len);
		if (rc)
			return rc;
		need = 1 + alg->len + der_len;
		if (need > *sig_len) {
			OPENSSL_free(der);
			return -ENOSPC;
		}
		sig[0] = alg->len;
		memcpy(sig + 1, alg->der, alg->len);
		memcpy(sig + 1 + alg->len, der, der_len);
		*method = IKE_AUTH_DIGITAL_SIG;
		*sig_len = need;
		OPENSSL_free(der);
		return 0;
	}
	if (!ec) {
		rc = sign_der(c->key, "SHA1", octets, olen, &der, &der_len);
		if (rc)
			return rc;
		if (der_len > *sig_len) {
			OPENSSL_free(der);
			return -ENOSPC;
		}
		memcpy(sig, der, der_len);
		*sig_len = der_len;
		*method = IKE_AUTH_RSA_SIG;
		OPENSSL_free(der);
		return 0;
	}
	switch (ec_bits(c->key)) {
	case 256:
		*method = IKE_AUTH_ECDSA_256;
		rc = sign_der(c->key, "SHA256", octets, olen, &der, &der_len);
		need = 64;
		break;
	case 384:
		*method = IKE_AUTH_ECDSA_384;
		rc = sign_der(c->key, "SHA384", octets, olen, &der, &der_len);
		need = 96;
		break;
	case 521:
		*method = IKE_AUTH_ECDSA_521;
		rc = sign_der(c->key, "SHA512", octets, olen, &der, &der_len);
		need = 132;
		break;
	default:
		return -EINVAL;
	}
	if (rc)
		return rc;
	if (need > *sig_len)
		rc = -ENOSPC;
	else
		rc = ecdsa_der_to_raw(der, der_len, need / 2, sig);
	OPENSSL_free(der);
	if (!rc)
		*sig_len = need;
	return rc;
}

/* ---- peer verification ---- */

static int san_match(X509 *x, int gen_type, const uint8_t *id, size_t id_len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int found = 0;

	for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *s;

		if (g->type != gen_type)
			continue;
		s = gen_type == GEN_IPADD ? g->d.iPAddress : gen_type == GEN_DNS ? g->d.dNSName : g->d.rfc822Name;
		if ((size_t)ASN1_STRING_length(s) != id_len)
			continue;
		/* Names compare without case (RFC 5280 7.2), addresses byte for byte. */
		found = gen_type == GEN_IPADD ? !memcmp(ASN1_STRING_get0_data(s), id, id_len)
					      : !strncasecmp((const char *)ASN1_STRING_get0_data(s),
							     (const char *)id, id_len);
	}
	GENERAL_NAMES_free(names);
	return found;
}

static int id_match(X509 *x, uint8_t id_type, const uint8_t *id, size_t id_len)
{
	switch (id_type) {
	case IKE_ID_DER_DN: {
		const unsigned char *p = id;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)id_len);
		int ok = n && p == id + id_len && X509_NAME_cmp(n, X509_get_subject_name(x)) == 0;

		X509_NAME_free(n);
		return ok;
	}
	case IKE_ID_IPV4:
		return id_len == 4 && san_match(x, GEN_IPADD, id, id_len);
	case IKE_ID_IPV6:
		return id_len == 16 && san_match(x, GEN_IPADD, id, id_len);
	case IKE_ID_FQDN:
		return id_len > 0 && san_match(x, GEN_DNS, id, id_len);
	case IKE_ID_RFC822:
		return id_len > 0 && san_match(x, GEN_EMAIL, id, id_len);
	default:
		return 0;
	}
}

static const char *method_name(uint8_t m)
{
	switch (m) {
	case IKE_AUTH_RSA_SIG: return "RSA signature";
	case IKE_AUTH_ECDSA_256: return "ECDSA-256";
	case IKE_AUTH_ECDSA_384: return "ECDSA-384";
	case IKE_AUTH_ECDSA_521: return "ECDSA-521";
	case IKE_AUTH_DIGITAL_SIG: return "RFC 7427 signature";
	case IKE_AUTH_PSK: return "PSK";
	default: return "unknown method";
	}
}

static int verify_auth(EVP_PKEY *k, uint8_t method, const uint8_t *auth, size_t auth_len, const uint8_t *octets,
		       size_t olen, char *err, size_t errlen)
{
	int t = EVP_PKEY_get_base_id(k), rc;
	uint8_t *der = NULL;
	size_t der_len = 0;

	switch (method) {
	case IKE_AUTH_RSA_SIG:
		if (t != EVP_PKEY_RSA)
			return fail(err, errlen, -EACCES, "RSA signature but the certificate's key is not RSA");
		rc = verify_der(k, "SHA1", octets, olen, auth, auth_len);
		break;
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521: {
		int bits = method == IKE_AUTH_ECDSA_256 ? 256 : method == IKE_AUTH_ECDSA_384 ? 384 : 521;
		size_t half = (size_t)(bits + 7) / 8;

		/* RFC 4754: the method fixes the curve and the hash. */
		if (ec_bits(k) != bits)
			return fail(err, errlen, -EACCES, "%s but the certificate's key is not P-%d",
				    method_name(method), bits);
		if (auth_len != 2 * half || ecdsa_raw_to_der(auth, auth_len, &der, &der_len))
			return fail(err, errlen, -EACCES, "%s of %zu bytes", method_name(method), auth_len);
		rc = verify_der(k, bits == 256 ? "SHA256" : bits == 384 ? "SHA384" : "SHA512", octets, olen, der,
				der_len);
		OPENSSL_free(der);
		break;
	}
	case IKE_AUTH_DIGITAL_SIG: {
		const struct sigalg *alg = NULL;
		size_t l;

		if (auth_len < 1 || (l = auth[0]) + 1 > auth_len)
			return fail(err, errlen, -EACCES, "RFC 7427 AUTH data too short");
		for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
			if (sigalgs[i].len == l && !memcmp(sigalgs[i].der, auth + 1, l))
				alg = &sigalgs[i];
		if (!alg)
			return fail(err, errlen, -EACCES, "RFC 7427 signature algorithm not supported");
		if (alg->key_type != t)
			return fail(err, errlen, -EACCES, "RFC 7427 algorithm does not fit the certificate's key");
		rc = verify_der(k, alg->md, octets, olen, auth + 1 + l, auth_len - 1 - l);
		break;
	}
	default:
		return fail(err, errlen, -EACCES, "%s (%u) is not a certificate method", method_name(method),
			    method);
	}
	if (rc)
		return fail(err, errlen, -EACCES, "%s does not verify", method_name(method));
	return 0;
}

int ike_cred_verify_peer(const struct ike_cred *ca, const uint8_t *cert_der, size_t cert_len,
			 uint8_t id_type, const uint8_t *id, size_t id_len, uint8_t method,
			 const uint8_t *auth, size_t auth_len, const uint8_t *octets, size_t olen,
			 char *err, size_t errlen)
{
	const unsigned char *p = cert_der;
	X509_STORE_CTX *ctx = NULL;
	X509 *x = NULL;
	EVP_PKEY *k;
	int rc;

	if (!ca || !ca->store)
		return fail(err, errlen, -EACCES, "no CA to verify peers against");
	if (!cert_der || !cert_len || cert_len > LONG_MAX)
		return fail(err, errlen, -EACCES, "no certificate");
	x = d2i_X509(NULL, &p, (long)cert_len);
	if (!x || p != cert_der + cert_len) {
		rc = fail(err, errlen, -EACCES, "malformed certificate");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, ca->store, x, NULL)) {
		rc = fail(err, errlen, -EACCES, "cannot set up certificate verification");
		goto out;
	}
	/* The chain must end at a CA of ours; the validity period is checked now. */
	if (X509_verify_cert(ctx) != 1) {
		rc = fail(err, errlen, -EACCES, "certificate: %s",
			  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (!id_match(x, id_type, id, id_len)) {
		rc = fail(err, errlen, -EACCES, "ID (type %u) is not the certificate's subject or an altName",
			  id_type);
		goto out;
	}
	k = X509_get0_pubkey(x);
	if (!k) {
		rc = fail(err, errlen, -EACCES, "certificate without a usable public key");
		goto out;
	}
	rc = verify_auth(k, method, auth, auth_len, octets, olen, err, errlen);
out:
	X509_STORE_CTX_free(ctx);
	X509_free(x);
	ERR_clear_error();
	return rc;
}
