/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP (RFC 4303) seal and open in place on a contiguous buffer, with intel-ipsec-mb. */
#ifndef DMVPN_LIB_ESP_H
#define DMVPN_LIB_ESP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <emmintrin.h>
#include <intel-ipsec-mb.h>

#define ESP_HDR_LEN 8            /* SPI + sequence number */
#define ESP_MAX_IV 16
#define ESP_MAX_ICV 16
#define ESP_MAX_TRAILER (15 + 2 + ESP_MAX_ICV) /* pad up to a 16-byte block, padlen, next header, ICV */
#define ESP_MAX_LEN 0xffff       /* largest ESP (header to ICV) esp_seal makes and esp_open takes */

enum esp_alg {
	ESP_ALG_NULL = 0,            /* no encryption, no integrity: tests only */
	ESP_ALG_AES128_GCM16,        /* RFC 4106, 16-byte ICV; key = 16 + 4 salt */
	ESP_ALG_AES256_GCM16,        /* key = 32 + 4 salt */
	ESP_ALG_AES128_CBC_SHA256,   /* RFC 3602 + RFC 4868 HMAC-SHA-256-128 */
	ESP_ALG_AES256_CBC_SHA256,
	ESP_ALG_AES128_CBC_SHA1,     /* RFC 3602 + RFC 2404 HMAC-SHA1-96 */
	ESP_ALG_AES256_CBC_SHA1,
	ESP_ALG__COUNT
};

/* Why a packet did not open. */
enum esp_error {
	ESP_OK = 0,
	ESP_E_LENGTH,            /* shorter than header + IV + trailer, or not block aligned */
	ESP_E_ICV,               /* integrity check failed */
	ESP_E_PAD,               /* pad length beyond the payload, or pad bytes not 1, 2, 3... */
};

/*
 * Per-SA crypto state, computed once when the SA is installed (key
 * schedules, GHASH tables, HMAC inner/outer states). Immutable afterwards;
 * any number of lcores may use it at once, each with its own IMB_MGR.
 */
struct esp_crypto {
	enum esp_alg alg;
	uint8_t iv_len;              /* 8 (GCM), 16 (CBC), 0 (NULL) */
	uint8_t icv_len;             /* 16 (GCM), 16 (SHA-256-128), 12 (SHA1-96), 0 */
	uint8_t block;               /* payload alignment: 4 (GCM, NULL) or 16 (CBC) */
	uint8_t key_len;             /* cipher key bytes (16/32) */
	uint8_t salt[4];             /* GCM */
	struct gcm_key_data gcm __attribute__((aligned(64)));
	uint32_t enc_keys[60] __attribute__((aligned(16)));   /* CBC, and the IV generator */
	uint32_t dec_keys[60] __attribute__((aligned(16)));
	uint8_t ipad[32] __attribute__((aligned(16)));        /* HMAC: hashed key ^ ipad */
	uint8_t opad[32] __attribute__((aligned(16)));
};

/* Name <-> algorithm, as written in configs: "aes128gcm16", "aes256gcm16",
 * "aes128-sha256", "aes256-sha256", "aes128-sha1", "aes256-sha1", "null". */
const char *esp_alg_name(enum esp_alg alg);
int esp_alg_parse(const char *name, enum esp_alg *alg);
/* Key bytes the algorithm needs: cipher key (incl. GCM salt), integrity key. */
void esp_alg_key_lens(enum esp_alg alg, size_t *enc_len, size_t *auth_len);

/* Precompute c for alg from keys (lengths must match esp_alg_key_lens).
 * 0 or -EINVAL. mgr: any initialised manager (used for key expansion). */
int esp_crypto_init(struct esp_crypto *c, IMB_MGR *mgr, enum esp_alg alg, const uint8_t *enc_key,
		    size_t enc_len, const uint8_t *auth_key, size_t auth_len);
/* Wipe the keys. Afterwards c holds no algorithm: esp_seal returns 0 and
 * esp_open ESP_E_ICV for it, until esp_crypto_init again. */
void esp_crypto_clear(struct esp_crypto *c);

/*
 * HMAC inner/outer states of c's integrity algorithm (c->alg must be one of
 * the CBC ones) from a key of any length (RFC 2104: a key longer than the
 * 64-byte block is hashed first). esp_crypto_init calls it with the RFC
 * 4868 / RFC 2404 key; exposed for known-answer tests. 0 or -EINVAL.
 */
int esp_hmac_key(struct esp_crypto *c, IMB_MGR *mgr, const uint8_t *key, size_t len);
/* HMAC of msg[0..len) under c's states, truncated to c->icv_len bytes in
 * tag. 0, -EINVAL (not an HMAC algorithm) or -EIO (the library refused). */
int esp_hmac(IMB_MGR *mgr, const struct esp_crypto *c, const void *msg, size_t len, uint8_t *tag);

/* Bytes that sealing payload_len bytes adds after the payload (pad, pad
 * length, next header, ICV) and before it (header + IV). */
static inline size_t esp_trailer_len(const struct esp_crypto *c, size_t payload_len)
{
	/* No algorithm (cleared): nothing. payload + pad + pad length + next
	 * header fill whole blocks (a power of two). */
	if ((unsigned)c->alg >= ESP_ALG__COUNT)
		return 0;
	return (((size_t)0 - (payload_len + 2)) & (size_t)(c->block - 1)) + 2 + c->icv_len;
}

static inline size_t esp_header_len(const struct esp_crypto *c)
{
	return ESP_HDR_LEN + c->iv_len;
}

/*
 * Seal in place. esp points at room for the ESP header and IV; the payload
 * (payload_len bytes) follows at esp + esp_header_len(c), and there must be
 * esp_trailer_len(c, payload_len) writable bytes after it. Writes SPI (net
 * order given), the low 32 bits of seq, the IV, pad, pad length, next
 * header, encrypts and appends the ICV (with the high 32 bits of seq in the
 * ICV/AAD when esn). Returns the ESP length (header to ICV), or 0 (nothing
 * sealed) when c holds no algorithm, seq is 0, seq needs more than 32 bits
 * without esn, or the result would exceed ESP_MAX_LEN.
 *
 * IVs: GCM's explicit IV is seq itself (RFC 4106 3.1: unique per key). The
 * CBC IV is AES-ECB, under the SA's cipher key, of seq as a 128-bit
 * big-endian integer (NIST SP 800-38A Appendix C: unpredictable, unique).
 *
 * mgr: the caller's own manager with no jobs in flight (the CBC path
 * submits and flushes its jobs; it leaves the manager empty again).
 */
size_t esp_seal(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t payload_len,
		uint32_t spi_be, uint64_t seq, int esn, uint8_t next_hdr);

struct esp_opened {
	uint16_t payload_off;        /* from esp */
	uint16_t payload_len;
	uint8_t next_hdr;
};

/*
 * GCM's nonce, salt || explicit IV, and AAD, SPI || [seq_hi] || seq_lo
 * (RFC 4106 5), from the IV (8 bytes as on the wire, in a word), SPI and
 * low half as on the wire; returns the AAD's length. Each is written with
 * one 16-byte store, so the library's loads of them, made right after,
 * are forwarded from that store instead of waiting for narrower ones to
 * reach the cache (which cost a few dozen cycles a packet).
 */
static inline size_t esp_gcm_params(const struct esp_crypto *c, uint64_t iv, uint32_t spi_be,
				    uint32_t lo_be, uint64_t seq, int esn, uint8_t nonce[16],
				    uint8_t aad[16])
{
	uint32_t salt;

	memcpy(&salt, c->salt, 4);
	_mm_storeu_si128((__m128i *)(void *)nonce,
			 _mm_set_epi64x((long long)(iv >> 32), (long long)(salt | iv << 32)));
	if (esn) {
		uint32_t hi = __builtin_bswap32((uint32_t)(seq >> 32));

		_mm_storeu_si128((__m128i *)(void *)aad,
				 _mm_set_epi64x((long long)lo_be,
						(long long)(spi_be | (uint64_t)hi << 32)));
		return 12;
	}
	_mm_storeu_si128((__m128i *)(void *)aad,
			 _mm_set_epi64x(0, (long long)(spi_be | (uint64_t)lo_be << 32)));
	return 8;
}

/*
 * The two halves of esp_seal_gcm, for a caller that frames a run of
 * packets before it encrypts them (so that the library's loads of the
 * payload do not wait for the framing's stores). Framing: the ESP header
 * (SPI and sequence number in one store), the explicit IV (the sequence
 * number, RFC 4106 3.1), and the trailer: pad to 4 bytes with 1, 2, 3,
 * pad length and next header, in one 16-byte store (the bytes past it are
 * the ICV's). Returns the ciphertext length.
 */
static inline size_t esp_gcm_frame(uint8_t *esp, size_t payload_len, uint32_t spi_be, uint64_t seq,
				   uint8_t next_hdr)
{
	size_t pad = ((size_t)0 - (payload_len + 2)) & 3;
	uint64_t h = (uint64_t)spi_be | (uint64_t)__builtin_bswap32((uint32_t)seq) << 32;
	uint64_t iv = __builtin_bswap64(seq), t = 0x0807060504030201ull;

	t &= ~(0xffffull << (8 * pad));
	t |= ((uint64_t)pad | (uint64_t)next_hdr << 8) << (8 * pad);
	memcpy(esp, &h, 8);
	memcpy(esp + ESP_HDR_LEN, &iv, 8);
	_mm_storeu_si128((__m128i *)(void *)(esp + ESP_HDR_LEN + 8 + payload_len),
			 _mm_set_epi64x(0x100f0e0d0c0b0a09ll, (long long)t));
	return payload_len + pad + 2;
}

/* Encrypt a framed packet's ct_len bytes in place and append the ICV;
 * nonce and AAD from the values, not read back from the packet. */
static inline void esp_gcm_encrypt(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp,
				   size_t ct_len, uint32_t spi_be, uint64_t seq, int esn)
{
	uint8_t nonce[16] __attribute__((aligned(16))), aad[16] __attribute__((aligned(16)));
	uint8_t *ct = esp + ESP_HDR_LEN + 8;
	struct gcm_context_data ctx;
	size_t aad_len = esp_gcm_params(c, __builtin_bswap64(seq), spi_be,
					__builtin_bswap32((uint32_t)seq), seq, esn, nonce, aad);

	if (c->key_len == 16)
		IMB_AES128_GCM_ENC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len,
				   ct + ct_len, 16);
	else
		IMB_AES256_GCM_ENC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len,
				   ct + ct_len, 16);
}

/*
 * esp_seal for an AES-GCM SA, one packet, inline: the dataplane's
 * per-packet call (esp_seal_burst makes it for GCM ops too). The caller
 * has checked what esp_seal checks: c is a GCM SA, seq is not 0 and fits
 * (esn), the result fits ESP_MAX_LEN, and the trailer's room is there.
 * Returns the ESP length, header to ICV.
 *
 * GCM goes through the library's direct API with the SA's expanded keys:
 * GCM is not multi-buffer in intel-ipsec-mb 1.3, and a job costs the
 * submission's checks and bookkeeping on top of the same code (measured
 * here: about 45 ns against 65 ns for an 84-byte packet). CBC+HMAC, which
 * is multi-buffer, goes through the job API (esp_seal_burst).
 */
static inline size_t esp_seal_gcm(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp,
				  size_t payload_len, uint32_t spi_be, uint64_t seq, int esn,
				  uint8_t next_hdr)
{
	size_t ct_len = esp_gcm_frame(esp, payload_len, spi_be, seq, next_hdr);

	esp_gcm_encrypt(mgr, c, esp, ct_len, spi_be, seq, esn);
	return ESP_HDR_LEN + 8 + ct_len + 16;
}

/* 0 when the 16 bytes at a and b are equal; constant time. */
static inline int esp_ct_eq16(const void *a, const void *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, (const uint8_t *)a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, (const uint8_t *)b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) != 0;
}

/* The end of an authenticated, decrypted ESP: hdr bytes of header and IV,
 * then ct_len bytes of payload, padding (RFC 4303 2.4: 1, 2, 3, ...), pad
 * length and next header. ESP_OK with *out filled, or ESP_E_PAD. */
static inline int esp_unpad(const uint8_t *esp, size_t hdr, size_t ct_len,
			    struct esp_opened *out)
{
	const uint8_t *pt = esp + hdr;
	size_t padlen = pt[ct_len - 2];

	if (padlen > ct_len - 2)
		return ESP_E_PAD;
	for (size_t k = 0, p = ct_len - 2 - padlen; k < padlen; k++)
		if (pt[p + k] != (uint8_t)(k + 1))
			return ESP_E_PAD;
	out->payload_off = (uint16_t)hdr;
	out->payload_len = (uint16_t)(ct_len - 2 - padlen);
	out->next_hdr = pt[ct_len - 1];
	return ESP_OK;
}

/*
 * esp_open for an AES-GCM SA (c->alg one of the GCM ones), one packet,
 * inline: the dataplane's per-packet call (esp_open_burst makes it for
 * GCM ops too). Same checks, returns and guarantees as esp_open.
 */
static inline int esp_open_gcm(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t len,
			       uint64_t seq, int esn, struct esp_opened *out)
{
	uint8_t nonce[16] __attribute__((aligned(16))), aad[16] __attribute__((aligned(16)));
	uint8_t tag[16], *ct = esp + ESP_HDR_LEN + 8;
	struct gcm_context_data ctx;
	size_t ct_len, aad_len;
	uint32_t lo;

	if (len > ESP_MAX_LEN || len < ESP_HDR_LEN + 8 + 16 + 4)
		return ESP_E_LENGTH;
	ct_len = len - ESP_HDR_LEN - 8 - 16;
	if (ct_len & 3)
		return ESP_E_LENGTH;
	/* The caller's seq goes into its replay window: it must be the one
	 * authenticated. */
	memcpy(&lo, esp + 4, 4);
	if (__builtin_bswap32(lo) != (uint32_t)seq || (!esn && seq > UINT32_MAX))
		return ESP_E_ICV;
	{
		uint64_t iv;
		uint32_t spi;

		memcpy(&iv, esp + ESP_HDR_LEN, 8);
		memcpy(&spi, esp, 4);
		aad_len = esp_gcm_params(c, iv, spi, lo, seq, esn, nonce, aad);
	}
	if (c->key_len == 16)
		IMB_AES128_GCM_DEC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len, tag, 16);
	else
		IMB_AES256_GCM_DEC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len, tag, 16);
	if (esp_ct_eq16(tag, ct + ct_len)) {
		/* No unverified plaintext left behind. */
		memset(ct, 0, ct_len);
		return ESP_E_ICV;
	}
	return esp_unpad(esp, ESP_HDR_LEN + 8, ct_len, out);
}

static inline int esp_is_gcm(const struct esp_crypto *c)
{
	return c->alg == ESP_ALG_AES128_GCM16 || c->alg == ESP_ALG_AES256_GCM16;
}

/*
 * Open in place: esp..esp+len is header, IV, ciphertext, ICV. seq is the
 * full sequence number (the caller inferred the high half for ESN).
 * Verifies the ICV in constant time before decrypting anything (or, for
 * GCM, before releasing any plaintext), then checks the padding. Returns
 * ESP_OK and fills *out, or an esp_error. Reads and writes nothing outside
 * [esp, esp + len).
 *
 * ESP_E_LENGTH: len beyond ESP_MAX_LEN, too short, or ciphertext not a
 * multiple of c->block. ESP_E_ICV also when the low 32 bits of seq differ
 * from the packet's sequence field, when seq has a high half without esn
 * (so a window is never updated with a number other than the one the ICV
 * covered), when c holds no algorithm, or when the library refused a job.
 * GCM decrypts in place while it computes the tag: on a mismatch the
 * ciphertext area is zeroed before returning, so no unverified plaintext
 * is left behind. CBC checks the HMAC first and decrypts only after; with
 * esn the 4 bytes of seq_hi are written over the ICV for the hash and the
 * ICV is put back. mgr as for esp_seal.
 */
int esp_open(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t len, uint64_t seq,
	     int esn, struct esp_opened *out);

/*
 * Bursts: the dataplane's way in. One op per packet, filled by the caller;
 * the library's scratch (IV input, tags) lives in the op so a whole burst
 * of jobs can be in flight in the manager at once. Seal and open have the
 * semantics of esp_seal and esp_open above, op by op; ops may mix SAs and
 * algorithms. mgr: the caller's own manager with no jobs in flight; it is
 * empty again on return.
 */
struct esp_op {
	/* in */
	const struct esp_crypto *c;
	uint8_t *esp;                /* seal: room for header + IV, payload after; open: the ESP */
	uint32_t len;                /* seal: payload bytes; open: ESP bytes, header to ICV */
	uint32_t spi_be;             /* seal: SPI, network order */
	uint64_t seq;                /* the full sequence number */
	uint8_t esn;
	uint8_t next_hdr;            /* seal: in; open: out */
	/* out */
	uint8_t status;              /* open: enum esp_error; seal: ESP_OK or ESP_E_LENGTH */
	uint16_t payload_off;        /* open: from esp */
	uint16_t payload_len;        /* open */
	uint32_t out_len;            /* seal: ESP bytes (header to ICV), 0 when not sealed */
	/* the library's scratch */
	uint8_t nonce[16] __attribute__((aligned(16))); /* seal, CBC: the IV's input block */
	uint8_t saved[4];            /* open, CBC with ESN: the ICV bytes seq_hi covers */
	uint8_t submitted;           /* open: pass 1 gave the op a job (2: seq_hi written) */
	uint8_t tag[ESP_MAX_ICV] __attribute__((aligned(16)));
};

/* Seal ops[0..n): each gets out_len (0: not sealed, as esp_seal's 0). */
void esp_seal_burst(IMB_MGR *mgr, struct esp_op *ops, unsigned n);
/* Open ops[0..n): each gets status, and when ESP_OK payload_off,
 * payload_len and next_hdr. */
void esp_open_burst(IMB_MGR *mgr, struct esp_op *ops, unsigned n);

/* Constant-time comparison: 0 when equal. */
int esp_ct_memcmp(const void *a, const void *b, size_t n);

#endif
