/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 crypto with OpenSSL's libcrypto: proposals, PRF, key derivation, DH, SK payload, AUTH. */
#ifndef DMVPN_LIB_IKE_CRYPTO_H
#define DMVPN_LIB_IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/wire/ike_wire.h"

#define IKE_MAX_KEY 64            /* largest single key (SK_d of PRF-SHA-512, AES-256 + salt) */
#define IKE_MAX_DH_PUB 512        /* MODP-4096 would be 512; we do at most 2048 (256) */
#define IKE_MAX_NONCE 256
#define IKE_NONCE_LEN 32

/* ---- proposals as users write them ---- */

/*
 * One IKE or ESP algorithm suite, in the notation of strongSwan's
 * swanctl.conf: "aes128gcm16-prfsha256-ecp256",
 * "aes256-sha256-modp2048", "aes128gcm16-x25519", ESP:
 * "aes128gcm16", "aes256-sha1", "aes128-sha256-esn", "aes128gcm16-ecp256"
 * (a DH group in an ESP proposal is PFS for CREATE_CHILD_SA).
 * An AEAD IKE proposal without prf takes prfsha256.
 */
struct ike_suite {
	uint16_t encr;            /* enum ike_encr */
	uint16_t encr_bits;       /* 128 / 256 */
	uint16_t integ;           /* enum ike_integ; NONE for AEAD */
	uint16_t prf;             /* enum ike_prf; 0 in an ESP suite */
	uint16_t dh;              /* enum ike_dh; 0 = none (ESP without PFS) */
	uint8_t esn;              /* ESP: 0 no, 1 yes, 2 both offered (default: no) */
};

#define IKE_MAX_SUITES 8
/* Parse one proposal string for IKE (esp = 0) or ESP (esp = 1). 0 or
 * -EINVAL, with the offending token in err. */
int ike_suite_parse(const char *s, int esp, struct ike_suite *out, char *err, size_t errlen);
/* Back to text (for `show ike sa`), e.g. "aes128gcm16-prfsha256-ecp256". */
void ike_suite_format(const struct ike_suite *s, int esp, char *buf, size_t len);
/* The SA payload proposal (number num, protocol, SPI) offering suite s. */
void ike_suite_to_proposal(const struct ike_suite *s, uint8_t num, uint8_t proto,
			   const uint8_t *spi, uint8_t spi_len, struct ike_proposal *p);
/*
 * Responder's choice: the first of our suites (in our order of preference)
 * that one of the peer's proposals of protocol proto fully covers. On a
 * match fills *chosen (esn resolved to 0 or 1) and *which (index in
 * peer->p) and returns 0; -ENOENT otherwise.
 */
int ike_suite_select(const struct ike_suite *ours, unsigned n_ours, const struct ike_sa_view *peer,
		     uint8_t proto, struct ike_suite *chosen, unsigned *which);
/* Initiator's check of a reply: exactly one proposal, one of ours. */
int ike_suite_match_reply(const struct ike_suite *ours, unsigned n_ours, const struct ike_proposal *p,
			  uint8_t proto, struct ike_suite *chosen);
/* ESP suite -> the dataplane's algorithm (enum esp_alg), or -1. */
int ike_suite_esp_alg(const struct ike_suite *s);

/* ---- PRF and key derivation (RFC 7296 2.13, 2.14, 2.17) ---- */

/* Output length of the PRF (20/32/48/64), 0 if unknown. */
size_t ike_prf_len(uint16_t prf);
/* prf(key, data) -> out (ike_prf_len bytes). 0 or -EINVAL. */
int ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
	    uint8_t *out);
/* prf+(key, seed) -> out[0..outlen). 0 or -EINVAL (outlen > 255 * prf length). */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed, size_t slen,
		 uint8_t *out, size_t outlen);

/* Key lengths of a suite: encryption key incl. the 4-byte GCM salt, integrity key. */
void ike_suite_key_lens(const struct ike_suite *s, size_t *encr_len, size_t *integ_len);

/* The seven keys of an IKE SA. */
struct ike_keys {
	size_t prf_len, encr_len, integ_len;
	uint8_t sk_d[IKE_MAX_KEY];
	uint8_t sk_ai[IKE_MAX_KEY], sk_ar[IKE_MAX_KEY];
	uint8_t sk_ei[IKE_MAX_KEY], sk_er[IKE_MAX_KEY];
	uint8_t sk_pi[IKE_MAX_KEY], sk_pr[IKE_MAX_KEY];
};

/*
 * SKEYSEED = prf(Ni | Nr, g^ir); {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi,
 * SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). SPIs host order. With
 * old_sk_d (IKE SA rekey, 2.18): SKEYSEED = prf(old SK_d, g^ir | Ni | Nr)
 * under old_prf. The result is written to *k. 0 or -EINVAL.
 */
int ike_derive_ike_keys(const struct ike_suite *s, const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
			uint64_t spi_i, uint64_t spi_r, uint16_t old_prf, const uint8_t *old_sk_d,
			size_t old_sk_d_len, struct ike_keys *k);
/*
 * Child SA keys, KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr): the
 * initiator's outbound key first (encr then integ), then the responder's.
 * out must hold 2 * (encr + integ) bytes of s. 0 or -EINVAL.
 */
int ike_derive_child_keys(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
			  const struct ike_suite *esp, const uint8_t *gir, size_t gir_len,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			  uint8_t *out, size_t outlen);

/* ---- Diffie-Hellman ---- */

struct ike_dh_ctx;               /* our private value for one exchange */
/* Fresh key pair for group; writes our public value (the KE payload data,
 * in RFC 7296 / RFC 5903 / RFC 8031 encoding) to pub. NULL on failure. */
struct ike_dh_ctx *ike_dh_new(uint16_t group, uint8_t *pub, size_t *pub_len);
/* Shared secret g^ir from the peer's public value. 0 or -EINVAL (wrong
 * length, point not on the curve, value out of range). */
int ike_dh_shared(struct ike_dh_ctx *c, const uint8_t *peer, size_t peer_len, uint8_t *out,
		  size_t *out_len);
void ike_dh_free(struct ike_dh_ctx *c);
/* Like ike_dh_new but with a given private value (big-endian scalar or
 * exponent; X25519: the 32 raw bytes): for known-answer tests. */
struct ike_dh_ctx *ike_dh_new_priv(uint16_t group, const uint8_t *priv, size_t priv_len, uint8_t *pub,
				   size_t *pub_len);
/* Public value length for group (256, 64, 96, 32), 0 if unsupported. */
size_t ike_dh_pub_len(uint16_t group);

/* ---- SK payload (RFC 7296 3.14, RFC 5282 for GCM) ---- */

/*
 * Encrypt the inner payload chain plain[0..plen) into an SK payload
 * appended to the writer w whose header is already written (exchange,
 * flags, msg id): IV, ciphertext with padding, ICV; the header length is
 * set and the ICV covers header to end of ciphertext (GCM: header and SK
 * payload header as AAD). first is the inner chain's first payload type.
 * iv_seed: fresh random bytes for the IV: 16 for CBC (used as the IV), at
 * least 8 for GCM (the first 8 are the explicit IV; never reuse one under
 * a key). The chain being built in w must not be a bare chain (ike_w_hdr
 * first). Returns the message length or -errno (-ENOSPC: does not fit).
 */
/* Bytes an SK payload adds around its plaintext at most (generic header,
 * IV, padding, ICV), so callers can size buffers; 0 for an unusable suite. */
size_t ike_sk_overhead(const struct ike_suite *s);
int ike_sk_seal(struct ike_w *w, const struct ike_suite *s, const uint8_t *encr_key,
		const uint8_t *integ_key, uint8_t first, const uint8_t *plain, size_t plen,
		const uint8_t *iv_seed);
/*
 * Verify and decrypt the SK payload of msg (the whole datagram; sk is the
 * SK payload from its chain, body pointing into msg). Integrity is checked
 * first, in constant time. The inner chain is written to out (cap bytes);
 * *out_len its length. 0, -EBADMSG (integrity or padding) or -EINVAL.
 */
int ike_sk_open(const uint8_t *msg, size_t msg_len, const struct ike_payload *sk,
		const struct ike_suite *s, const uint8_t *encr_key, const uint8_t *integ_key,
		uint8_t *out, size_t cap, size_t *out_len);

/* ---- AUTH (RFC 7296 2.15) ---- */

/*
 * Shared-key AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"),
 * <SignedOctets>) where SignedOctets = RealMessage | Nonce(peer) |
 * prf(SK_p, IDx'). out gets ike_prf_len(prf) bytes. 0 or -EINVAL.
 */
int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *real_msg,
		 size_t real_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p,
		 size_t sk_p_len, const uint8_t *id_body, size_t id_len, uint8_t *out);
/* The SignedOctets alone (for signatures). Returns a malloc'd buffer and
 * its length in *len, or NULL. */
uint8_t *ike_signed_octets(uint16_t prf, const uint8_t *real_msg, size_t real_len,
			   const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len,
			   const uint8_t *id_body, size_t id_len, size_t *len);

/* Constant-time comparison: 0 when equal. */
int ike_memeq_ct(const void *a, const void *b, size_t n);
/* Fresh random bytes from the system CSPRNG (RAND_bytes). 0 or -EIO. */
int ike_random(void *buf, size_t len);

#endif
