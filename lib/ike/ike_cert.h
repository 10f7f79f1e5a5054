/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 certificate authentication (RFC 7296 3.6/3.8, RFC 7427) with OpenSSL X.509. */
#ifndef DMVPN_LIB_IKE_CERT_H
#define DMVPN_LIB_IKE_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/wire/ike_wire.h"

/* Our credentials: certificate, private key; and the CA that vouches for peers. */
struct ike_cred;

/*
 * Load PEM files (any may be NULL: a responder that only verifies needs
 * only the CA). NULL on error with the reason (file named) in err.
 */
struct ike_cred *ike_cred_load(const char *cert_pem, const char *key_pem, const char *ca_pem,
			       char *err, size_t errlen);
void ike_cred_free(struct ike_cred *c);
/* Our certificate, DER (the CERT payload's data). 0 or -ENOENT. */
int ike_cred_cert_der(const struct ike_cred *c, const uint8_t **der, size_t *len);
/* SHA-1 of the CA's SubjectPublicKeyInfo (the CERTREQ payload's data). 0 or -ENOENT. */
int ike_cred_ca_keyid(const struct ike_cred *c, uint8_t out[20]);
/* Our identity from the certificate: subject DN (DER) as IKE_ID_DER_DN. */
int ike_cred_id(const struct ike_cred *c, uint8_t *id_type, const uint8_t **data, size_t *len);

/*
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 4): the hashes a peer announced, as a
 * mask of IKE_SIGHASH_*; the notify data we announce (SHA2-256/384/512:
 * 6 bytes) into out, returning its length (0 if cap is too small).
 */
#define IKE_SIGHASH_SHA256 0x01
#define IKE_SIGHASH_SHA384 0x02
#define IKE_SIGHASH_SHA512 0x04
unsigned ike_sighash_parse(const uint8_t *data, size_t len);
size_t ike_sighash_ours(uint8_t *out, size_t cap);

/*
 * Sign the AUTH SignedOctets with our key. *method becomes
 * IKE_AUTH_DIGITAL_SIG (RFC 7427, SHA-256; the AlgorithmIdentifier
 * prefix included in sig) when the peer announced SIGNATURE_HASH_ALGORITHMS
 * with SHA-256 (rfc7427 != 0), else IKE_AUTH_RSA_SIG or IKE_AUTH_ECDSA_256/384.
 * sig holds up to *sig_len bytes. 0 or -errno.
 * rfc7427 is the peer's ike_sighash_parse mask (1 = SHA-256, so a plain
 * "announced" flag works): RSA signs sha256WithRSAEncryption, ECDSA P-256
 * ecdsa-with-SHA256 and P-384 ecdsa-with-SHA384 when announced (else
 * SHA-256), the signature DER-encoded (RFC 7427 3). Without it: RSA is
 * PKCS#1 v1.5 with SHA-1 (method 1, as strongSwan and RFC 7296 legacy do),
 * ECDSA P-256/P-384 are methods 9/10, r|s raw (RFC 4754). -ENOENT without
 * a private key, -ENOSPC if sig is too small.
 */
int ike_cred_sign(const struct ike_cred *c, int rfc7427, const uint8_t *octets, size_t olen,
		  uint8_t *method, uint8_t *sig, size_t *sig_len);
/*
 * Check a peer: its certificate (DER) chains to our CA and is valid now,
 * the ID it sent (type and data) is the certificate's subject DN, one of its
 * subjectAltNames (IP, DNS), or matches, and AUTH (method, data) is its
 * signature over octets. 0, or -EACCES with the reason in err.
 */
int ike_cred_verify_peer(const struct ike_cred *ca, const uint8_t *cert_der, size_t cert_len,
			 uint8_t id_type, const uint8_t *id, size_t id_len, uint8_t method,
			 const uint8_t *auth, size_t auth_len, const uint8_t *octets, size_t olen,
			 char *err, size_t errlen);

#endif
