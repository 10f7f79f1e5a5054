/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP seal/open (RFC 4303) with AES-GCM (RFC 4106), AES-CBC (RFC 3602) + HMAC (RFC 4868, 2404), NULL. */
#include <errno.h>
#include <string.h>

#include "lib/esp.h"

#define GCM_TAG_LEN 16
#define GCM_SALT_LEN 4
#define HMAC_BLOCK 64

enum esp_kind { KIND_NULL, KIND_GCM, KIND_CBC };

static const struct esp_alg_info {
	const char *name;
	enum esp_kind kind;
	uint8_t key_len, salt_len, auth_key_len;
	uint8_t iv_len, icv_len, block;
	IMB_HASH_ALG hash;
} algs[ESP_ALG__COUNT] = {
	[ESP_ALG_NULL] = {"null", KIND_NULL, 0, 0, 0, 0, 0, 4, IMB_AUTH_NULL},
	[ESP_ALG_AES128_GCM16] = {"aes128gcm16", KIND_GCM, 16, 4, 0, 8, 16, 4, IMB_AUTH_NULL},
	[ESP_ALG_AES256_GCM16] = {"aes256gcm16", KIND_GCM, 32, 4, 0, 8, 16, 4, IMB_AUTH_NULL},
	[ESP_ALG_AES128_CBC_SHA256] = {"aes128-sha256", KIND_CBC, 16, 0, 32, 16, 16, 16,
				       IMB_AUTH_HMAC_SHA_256},
	[ESP_ALG_AES256_CBC_SHA256] = {"aes256-sha256", KIND_CBC, 32, 0, 32, 16, 16, 16,
				       IMB_AUTH_HMAC_SHA_256},
	[ESP_ALG_AES128_CBC_SHA1] = {"aes128-sha1", KIND_CBC, 16, 0, 20, 16, 12, 16,
				     IMB_AUTH_HMAC_SHA_1},
	[ESP_ALG_AES256_CBC_SHA1] = {"aes256-sha1", KIND_CBC, 32, 0, 20, 16, 12, 16,
				     IMB_AUTH_HMAC_SHA_1},
};

static const struct esp_alg_info *alg_info(enum esp_alg alg)
{
	return (unsigned)alg < ESP_ALG__COUNT ? &algs[alg] : NULL;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

const char *esp_alg_name(enum esp_alg alg)
{
	const struct esp_alg_info *a = alg_info(alg);

	return a ? a->name : NULL;
}

int esp_alg_parse(const char *name, enum esp_alg *alg)
{
	for (unsigned i = 0; name && i < ESP_ALG__COUNT; i++) {
		if (!strcmp(name, algs[i].name)) {
			*alg = (enum esp_alg)i;
			return 0;
		}
	}
	return -EINVAL;
}

void esp_alg_key_lens(enum esp_alg alg, size_t *enc_len, size_t *auth_len)
{
	const struct esp_alg_info *a = alg_info(alg);

	*enc_len = a ? (size_t)a->key_len + a->salt_len : 0;
	*auth_len = a ? a->auth_key_len : 0;
}

int esp_ct_memcmp(const void *a, const void *b, size_t n)
{
	/* volatile: no early exit however the compiler sees the loop. */
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

/*
 * Submit the job just filled in and wait for it. The manager is the
 * caller's alone and empty before (every call here leaves it empty), so
 * flushing until our job comes back costs nothing else in flight.
 */
static int job_run(IMB_MGR *mgr, IMB_JOB *job)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(mgr);

	while (done != job) {
		done = IMB_FLUSH_JOB(mgr);
		if (!done)
			return -EIO;
	}
	return job->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

static IMB_JOB *job_cipher(IMB_MGR *mgr, const struct esp_crypto *c, IMB_CIPHER_MODE mode,
			   IMB_CIPHER_DIRECTION dir)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	/* Slots are reused: set every field the library may look at. */
	job->cipher_mode = mode;
	job->cipher_direction = dir;
	job->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = c->enc_keys;
	job->dec_keys = c->dec_keys;
	job->key_len_in_bytes = c->key_len;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_alg = IMB_AUTH_NULL;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = 0;
	job->auth_tag_output = NULL;
	job->auth_tag_output_len_in_bytes = 0;
	job->user_data = NULL;
	job->user_data2 = NULL;
	return job;
}

/* AES-CBC in place over the ct_len bytes after the hdr-byte ESP header and
 * IV, with the IV that follows the ESP header. */
static IMB_JOB *job_cbc(IMB_MGR *mgr, const struct esp_crypto *c, IMB_CIPHER_DIRECTION dir,
			uint8_t *esp, size_t hdr, size_t ct_len)
{
	IMB_JOB *job = job_cipher(mgr, c, IMB_CIPHER_CBC, dir);

	job->src = esp;
	job->dst = esp + hdr;
	job->cipher_start_src_offset_in_bytes = hdr;
	job->msg_len_to_cipher_in_bytes = ct_len;
	job->iv = esp + ESP_HDR_LEN;
	job->iv_len_in_bytes = 16;
	return job;
}

static void job_hmac(IMB_JOB *job, const struct esp_crypto *c, size_t len, uint8_t *tag)
{
	job->hash_alg = algs[c->alg].hash;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = c->icv_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = c->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = c->opad;
}

int esp_hmac_key(struct esp_crypto *c, IMB_MGR *mgr, const uint8_t *key, size_t len)
{
	const struct esp_alg_info *a = alg_info(c->alg);
	uint8_t k[HMAC_BLOCK] = {0}, blk[HMAC_BLOCK];
	int sha1;

	if (!a || a->kind != KIND_CBC || !mgr || (len && !key))
		return -EINVAL;
	sha1 = a->hash == IMB_AUTH_HMAC_SHA_1;
	if (len > HMAC_BLOCK) {
		if (sha1)
			IMB_SHA1(mgr, key, len, k);
		else
			IMB_SHA256(mgr, key, len, k);
	} else if (len) {
		memcpy(k, key, len);
	}
	/* The job API takes the hash states after the first block of each. */
	for (unsigned i = 0; i < HMAC_BLOCK; i++)
		blk[i] = k[i] ^ 0x36;
	if (sha1)
		IMB_SHA1_ONE_BLOCK(mgr, blk, c->ipad);
	else
		IMB_SHA256_ONE_BLOCK(mgr, blk, c->ipad);
	for (unsigned i = 0; i < HMAC_BLOCK; i++)
		blk[i] = k[i] ^ 0x5c;
	if (sha1)
		IMB_SHA1_ONE_BLOCK(mgr, blk, c->opad);
	else
		IMB_SHA256_ONE_BLOCK(mgr, blk, c->opad);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(blk, sizeof(blk));
	return 0;
}

int esp_hmac(IMB_MGR *mgr, const struct esp_crypto *c, const void *msg, size_t len, uint8_t *tag)
{
	const struct esp_alg_info *a = alg_info(c->alg);
	IMB_JOB *job;

	if (!a || a->kind != KIND_CBC)
		return -EINVAL;
	job = job_cipher(mgr, c, IMB_CIPHER_NULL, IMB_DIR_ENCRYPT);
	job->src = msg;
	job->dst = (uint8_t *)(uintptr_t)msg; /* unused: nothing to cipher */
	job_hmac(job, c, len, tag);
	return job_run(mgr, job);
}

int esp_crypto_init(struct esp_crypto *c, IMB_MGR *mgr, enum esp_alg alg, const uint8_t *enc_key,
		    size_t enc_len, const uint8_t *auth_key, size_t auth_len)
{
	const struct esp_alg_info *a = alg_info(alg);

	if (!c || !a || enc_len != (size_t)a->key_len + a->salt_len ||
	    auth_len != a->auth_key_len || (enc_len && !enc_key) || (auth_len && !auth_key) ||
	    (a->kind != KIND_NULL && !mgr))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->alg = alg;
	c->iv_len = a->iv_len;
	c->icv_len = a->icv_len;
	c->block = a->block;
	c->key_len = a->key_len;
	switch (a->kind) {
	case KIND_GCM:
		if (a->key_len == 16)
			IMB_AES128_GCM_PRE(mgr, enc_key, &c->gcm);
		else
			IMB_AES256_GCM_PRE(mgr, enc_key, &c->gcm);
		memcpy(c->salt, enc_key + a->key_len, GCM_SALT_LEN);
		break;
	case KIND_CBC:
		if (a->key_len == 16)
			IMB_AES_KEYEXP_128(mgr, enc_key, c->enc_keys, c->dec_keys);
		else
			IMB_AES_KEYEXP_256(mgr, enc_key, c->enc_keys, c->dec_keys);
		return esp_hmac_key(c, mgr, auth_key, auth_len);
	case KIND_NULL:
		break;
	}
	return 0;
}

void esp_crypto_clear(struct esp_crypto *c)
{
	explicit_bzero(c, sizeof(*c));
	/* Not 0: that is ESP_ALG_NULL, which would pass packets unchecked. */
	c->alg = ESP_ALG__COUNT;
}

static size_t pad_len(const struct esp_crypto *c, size_t payload_len)
{
	/* payload + pad + pad length + next header fills whole blocks (a power of two). */
	return ((size_t)0 - (payload_len + 2)) & (size_t)(c->block - 1);
}

size_t esp_trailer_len(const struct esp_crypto *c, size_t payload_len)
{
	if (!alg_info(c->alg))
		return 0;
	return pad_len(c, payload_len) + 2 + c->icv_len;
}

/* nonce = salt || explicit IV; AAD = SPI || [seq_hi] || seq_lo (RFC 4106 5). */
static size_t gcm_params(const struct esp_crypto *c, const uint8_t *esp, uint64_t seq, int esn,
			 uint8_t nonce[12], uint8_t aad[12])
{
	memcpy(nonce, c->salt, GCM_SALT_LEN);
	memcpy(nonce + GCM_SALT_LEN, esp + ESP_HDR_LEN, 8);
	memcpy(aad, esp, 4);
	if (!esn) {
		memcpy(aad + 4, esp + 4, 4);
		return 8;
	}
	wr32(aad + 4, (uint32_t)(seq >> 32));
	memcpy(aad + 8, esp + 4, 4);
	return 12;
}

static int cbc_iv(IMB_MGR *mgr, const struct esp_crypto *c, uint64_t seq, uint8_t *iv)
{
	uint8_t blk[16] = {0};
	IMB_JOB *job = job_cipher(mgr, c, IMB_CIPHER_ECB, IMB_DIR_ENCRYPT);

	wr64(blk + 8, seq);
	job->src = blk;
	job->dst = iv;
	job->msg_len_to_cipher_in_bytes = sizeof(blk);
	/* Run to completion now: the CBC job reads this IV. */
	return job_run(mgr, job);
}

size_t esp_seal(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t payload_len,
		uint32_t spi_be, uint64_t seq, int esn, uint8_t next_hdr)
{
	const struct esp_alg_info *a = alg_info(c->alg);
	size_t hdr, pad, ct_len, len;
	uint8_t *ct, *tr;

	if (!a || seq == 0 || (!esn && seq > UINT32_MAX) || payload_len > ESP_MAX_LEN)
		return 0;
	hdr = esp_header_len(c);
	pad = pad_len(c, payload_len);
	ct_len = payload_len + pad + 2;
	len = hdr + ct_len + c->icv_len;
	if (len > ESP_MAX_LEN)
		return 0;

	memcpy(esp, &spi_be, 4);
	wr32(esp + 4, (uint32_t)seq);
	ct = esp + hdr;
	tr = ct + payload_len;
	for (size_t i = 0; i < pad; i++)
		tr[i] = (uint8_t)(i + 1);
	tr[pad] = (uint8_t)pad;
	tr[pad + 1] = next_hdr;

	switch (a->kind) {
	case KIND_GCM: {
		struct gcm_context_data ctx;
		uint8_t nonce[12], aad[12];
		size_t aad_len;

		wr64(esp + ESP_HDR_LEN, seq);
		aad_len = gcm_params(c, esp, seq, esn, nonce, aad);
		if (a->key_len == 16)
			IMB_AES128_GCM_ENC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len,
					   ct + ct_len, GCM_TAG_LEN);
		else
			IMB_AES256_GCM_ENC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len,
					   ct + ct_len, GCM_TAG_LEN);
		break;
	}
	case KIND_CBC: {
		uint8_t tag[ESP_MAX_ICV];
		size_t hash_len = hdr + ct_len;
		IMB_JOB *job;

		if (cbc_iv(mgr, c, seq, esp + ESP_HDR_LEN))
			return 0;
		/* RFC 4303 2.2.1: with ESN the ICV also covers seq_hi, placed
		 * after the ciphertext for the hash only (the ICV goes there). */
		if (esn) {
			wr32(ct + ct_len, (uint32_t)(seq >> 32));
			hash_len += 4;
		}
		job = job_cbc(mgr, c, IMB_DIR_ENCRYPT, esp, hdr, ct_len);
		job_hmac(job, c, hash_len, tag);
		if (job_run(mgr, job))
			return 0;
		memcpy(ct + ct_len, tag, c->icv_len);
		break;
	}
	case KIND_NULL:
		break;
	}
	return len;
}

static int open_gcm(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t ct_len,
		    uint64_t seq, int esn)
{
	struct gcm_context_data ctx;
	uint8_t nonce[12], aad[12], tag[GCM_TAG_LEN];
	uint8_t *ct = esp + esp_header_len(c);
	size_t aad_len = gcm_params(c, esp, seq, esn, nonce, aad);

	if (c->key_len == 16)
		IMB_AES128_GCM_DEC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len, tag,
				   GCM_TAG_LEN);
	else
		IMB_AES256_GCM_DEC(mgr, &c->gcm, &ctx, ct, ct, ct_len, nonce, aad, aad_len, tag,
				   GCM_TAG_LEN);
	if (esp_ct_memcmp(tag, ct + ct_len, GCM_TAG_LEN)) {
		memset(ct, 0, ct_len);
		return ESP_E_ICV;
	}
	return ESP_OK;
}

static int open_cbc(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t ct_len,
		    uint64_t seq, int esn)
{
	size_t hdr = esp_header_len(c), hash_len = hdr + ct_len;
	uint8_t *ct = esp + hdr, *icv = ct + ct_len;
	uint8_t want[ESP_MAX_ICV], got[ESP_MAX_ICV];
	IMB_JOB *job;
	int rc;

	memcpy(want, icv, c->icv_len);
	if (esn) {
		/* icv_len >= 12, so seq_hi fits where the ICV was. */
		wr32(icv, (uint32_t)(seq >> 32));
		hash_len += 4;
	}
	rc = esp_hmac(mgr, c, esp, hash_len, got);
	if (esn)
		memcpy(icv, want, 4);
	if (rc || esp_ct_memcmp(got, want, c->icv_len))
		return ESP_E_ICV;

	job = job_cbc(mgr, c, IMB_DIR_DECRYPT, esp, hdr, ct_len);
	return job_run(mgr, job) ? ESP_E_ICV : ESP_OK;
}

int esp_open(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t len, uint64_t seq,
	     int esn, struct esp_opened *out)
{
	const struct esp_alg_info *a = alg_info(c->alg);
	size_t hdr, ct_len, padlen;
	const uint8_t *pt;
	int rc = ESP_OK;

	if (!a)
		return ESP_E_ICV;
	hdr = esp_header_len(c);
	if (len > ESP_MAX_LEN || len < hdr + c->icv_len + c->block)
		return ESP_E_LENGTH;
	ct_len = len - hdr - c->icv_len;
	if (ct_len & (size_t)(c->block - 1))
		return ESP_E_LENGTH;
	/* The caller's seq goes into its replay window: it must be the one authenticated. */
	if (rd32(esp + 4) != (uint32_t)seq || (!esn && seq > UINT32_MAX))
		return ESP_E_ICV;

	switch (a->kind) {
	case KIND_GCM:
		rc = open_gcm(mgr, c, esp, ct_len, seq, esn);
		break;
	case KIND_CBC:
		rc = open_cbc(mgr, c, esp, ct_len, seq, esn);
		break;
	case KIND_NULL:
		break;
	}
	if (rc != ESP_OK)
		return rc;

	/* Authenticated now (or NULL): padding per RFC 4303 2.4, 1, 2, 3, ... */
	pt = esp + hdr;
	padlen = pt[ct_len - 2];
	if (padlen > ct_len - 2)
		return ESP_E_PAD;
	for (size_t i = 0, p = ct_len - 2 - padlen; i < padlen; i++)
		if (pt[p + i] != (uint8_t)(i + 1))
			return ESP_E_PAD;
	out->payload_off = (uint16_t)hdr;
	out->payload_len = (uint16_t)(ct_len - 2 - padlen);
	out->next_hdr = pt[ct_len - 1];
	return ESP_OK;
}
