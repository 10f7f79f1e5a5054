/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP seal/open (RFC 4303) with AES-GCM (RFC 4106), AES-CBC (RFC 3602) + HMAC (RFC 4868, 2404), NULL. */
#include <errno.h>
#include <string.h>

#include "lib/base/be.h"
#include "lib/esp/esp.h"

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
	/* Words while they last, then bytes; differences are OR-ed together,
	 * with no early exit and no branch on the data. */
	const uint8_t *x = a, *y = b;
	uint64_t d = 0, u, v;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
	}
	for (; i < n; i++)
		d |= (uint64_t)(x[i] ^ y[i]);
	/* volatile: the compiler may not turn the result into a branch it
	 * could take early. */
	{
		volatile uint64_t r = d;

		return r != 0;
	}
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


/* Jobs of a burst come back in submission order, some at submit time and
 * the rest at the flush; each one's op is in user_data. A job the library
 * refused marks its op failed. */
static void job_done(IMB_JOB *job)
{
	struct esp_op *op = job->user_data;

	if (job->status != IMB_STATUS_COMPLETED && op)
		op->status = ESP_E_ICV;
}

static void job_submit(IMB_MGR *mgr)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(mgr);

	while (done) {
		job_done(done);
		done = IMB_GET_COMPLETED_JOB(mgr);
	}
}

static void job_flush(IMB_MGR *mgr)
{
	IMB_JOB *done;

	while ((done = IMB_FLUSH_JOB(mgr)) != NULL)
		job_done(done);
}

/* The ciphertext bytes of a sealed payload: payload, pad, pad length, next header. */
static size_t seal_ct_len(const struct esp_crypto *c, size_t payload_len)
{
	return payload_len + pad_len(c, payload_len) + 2;
}

void esp_seal_burst(IMB_MGR *mgr, struct esp_op *ops, unsigned n)
{
	int cbc = 0;

	/* Pass 1: headers and trailers; GCM jobs, and the CBC IVs (AES-ECB
	 * of seq, which the CBC jobs of pass 2 read). */
	for (unsigned i = 0; i < n; i++) {
		struct esp_op *op = &ops[i];
		const struct esp_crypto *c = op->c;
		const struct esp_alg_info *a = alg_info(c->alg);
		size_t hdr, pad, ct_len, len;
		uint8_t *esp = op->esp, *tr;

		op->out_len = 0;
		op->status = ESP_E_LENGTH;
		if (!a || op->seq == 0 || (!op->esn && op->seq > UINT32_MAX) || op->len > ESP_MAX_LEN)
			continue;
		hdr = esp_header_len(c);
		pad = pad_len(c, op->len);
		ct_len = op->len + pad + 2;
		len = hdr + ct_len + c->icv_len;
		if (len > ESP_MAX_LEN)
			continue;
		op->status = ESP_OK;
		op->out_len = (uint32_t)len;
		if (a->kind == KIND_GCM) {
			esp_seal_gcm(mgr, c, esp, op->len, op->spi_be, op->seq, op->esn, op->next_hdr);
			continue;
		}
		/* SPI and sequence number in one store. */
		{
			uint64_t h = (uint64_t)op->spi_be |
				     (uint64_t)__builtin_bswap32((uint32_t)op->seq) << 32;

			memcpy(esp, &h, 8);
		}
		tr = esp + hdr + op->len;
		if (c->icv_len >= 14) {
			/* One 16-byte store of 1, 2, 3...: the bytes past the
			 * trailer are the ICV's, written later. */
			static const uint8_t seq16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
							  14, 15, 16};

			memcpy(tr, seq16, 16);
		} else {
			for (size_t k = 0; k < pad; k++)
				tr[k] = (uint8_t)(k + 1);
		}
		tr[pad] = (uint8_t)pad;
		tr[pad + 1] = op->next_hdr;
		if (a->kind == KIND_CBC) {
			IMB_JOB *job = job_cipher(mgr, c, IMB_CIPHER_ECB, IMB_DIR_ENCRYPT);

			memset(op->nonce, 0, 8);
			wr64(op->nonce + 8, op->seq);
			job->src = op->nonce;
			job->dst = esp + ESP_HDR_LEN;
			job->msg_len_to_cipher_in_bytes = 16;
			job->user_data = op;
			job_submit(mgr);
			cbc = 1;
		}
	}
	if (!cbc)
		goto done;
	job_flush(mgr);
	/* Pass 2: CBC then HMAC, with the IVs in place now. */
	for (unsigned i = 0; i < n; i++) {
		struct esp_op *op = &ops[i];
		const struct esp_crypto *c = op->c;
		size_t hdr, ct_len, hash_len;
		IMB_JOB *job;

		if (op->status != ESP_OK || alg_info(c->alg)->kind != KIND_CBC)
			continue;
		hdr = esp_header_len(c);
		ct_len = seal_ct_len(c, op->len);
		hash_len = hdr + ct_len;
		/* RFC 4303 2.2.1: with ESN the ICV also covers seq_hi, placed
		 * after the ciphertext for the hash only (the ICV goes there). */
		if (op->esn) {
			wr32(op->esp + hdr + ct_len, (uint32_t)(op->seq >> 32));
			hash_len += 4;
		}
		job = job_cbc(mgr, c, IMB_DIR_ENCRYPT, op->esp, hdr, ct_len);
		job_hmac(job, c, hash_len, op->tag);
		job->user_data = op;
		job_submit(mgr);
	}
	job_flush(mgr);
	for (unsigned i = 0; i < n; i++) {
		struct esp_op *op = &ops[i];
		const struct esp_crypto *c = op->c;

		if (op->status == ESP_OK && alg_info(c->alg)->kind == KIND_CBC)
			memcpy(op->esp + esp_header_len(c) + seal_ct_len(c, op->len), op->tag,
			       c->icv_len);
	}
done:
	for (unsigned i = 0; i < n; i++)
		if (ops[i].status != ESP_OK)
			ops[i].out_len = 0;
}

size_t esp_seal(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t payload_len,
		uint32_t spi_be, uint64_t seq, int esn, uint8_t next_hdr)
{
	struct esp_op op = {.c = c, .esp = esp, .spi_be = spi_be, .seq = seq,
			    .esn = (uint8_t)!!esn, .next_hdr = next_hdr};

	if (payload_len > ESP_MAX_LEN)
		return 0;
	op.len = (uint32_t)payload_len;
	esp_seal_burst(mgr, &op, 1);
	return op.out_len;
}

void esp_open_burst(IMB_MGR *mgr, struct esp_op *ops, unsigned n)
{
	int cbc = 0;

	/* Pass 1: checks of the lengths and of seq; GCM jobs (decrypting
	 * while the tag is computed); CBC: the HMAC alone. */
	for (unsigned i = 0; i < n; i++) {
		struct esp_op *op = &ops[i];
		const struct esp_crypto *c = op->c;
		const struct esp_alg_info *a = alg_info(c->alg);
		size_t hdr, ct_len, len = op->len;
		uint8_t *esp = op->esp;

		op->submitted = 0;
		if (!a) {
			op->status = ESP_E_ICV;
			continue;
		}
		if (a->kind == KIND_GCM) {
			struct esp_opened o = {0};

			op->status = (uint8_t)esp_open_gcm(mgr, c, esp, len, op->seq, op->esn, &o);
			op->payload_off = o.payload_off;
			op->payload_len = o.payload_len;
			op->next_hdr = o.next_hdr;
			continue;
		}
		hdr = esp_header_len(c);
		if (len > ESP_MAX_LEN || len < hdr + c->icv_len + c->block) {
			op->status = ESP_E_LENGTH;
			continue;
		}
		ct_len = len - hdr - c->icv_len;
		if (ct_len & (size_t)(c->block - 1)) {
			op->status = ESP_E_LENGTH;
			continue;
		}
		/* The caller's seq goes into its replay window: it must be the one authenticated. */
		if (rd32(esp + 4) != (uint32_t)op->seq || (!op->esn && op->seq > UINT32_MAX)) {
			op->status = ESP_E_ICV;
			continue;
		}
		op->status = ESP_OK;
		op->submitted = a->kind != KIND_NULL;
		if (a->kind == KIND_CBC) {
			size_t hash_len = hdr + ct_len;
			uint8_t *icv = esp + hdr + ct_len;
			IMB_JOB *job;

			if (op->esn) {
				/* icv_len >= 12, so seq_hi fits where the ICV was;
				 * the ICV is put back after the flush. */
				memcpy(op->saved, icv, 4);
				wr32(icv, (uint32_t)(op->seq >> 32));
				op->submitted = 2;
				hash_len += 4;
			}
			job = job_cipher(mgr, c, IMB_CIPHER_NULL, IMB_DIR_ENCRYPT);
			job->src = esp;
			job->dst = esp; /* unused: nothing to cipher */
			job_hmac(job, c, hash_len, op->tag);
			job->user_data = op;
			job_submit(mgr);
			cbc = 1;
		}
	}
	if (cbc)
		job_flush(mgr);
	/* Pass 2: the ICVs, in constant time; CBC decrypts only what verified. */
	for (unsigned i = 0; i < n; i++) {
		struct esp_op *op = &ops[i];
		const struct esp_crypto *c = op->c;
		const struct esp_alg_info *a = alg_info(c->alg);
		size_t hdr, ct_len;
		uint8_t *ct, *icv;

		if (!op->submitted)
			continue;
		hdr = esp_header_len(c);
		ct_len = op->len - hdr - c->icv_len;
		ct = op->esp + hdr;
		icv = ct + ct_len;
		if (op->submitted == 2)
			memcpy(icv, op->saved, 4);
		if (op->status != ESP_OK)
			continue;
		if (a->kind == KIND_CBC) {
			IMB_JOB *job;

			if (esp_ct_memcmp(op->tag, icv, c->icv_len)) {
				op->status = ESP_E_ICV;
				continue;
			}
			job = job_cbc(mgr, c, IMB_DIR_DECRYPT, op->esp, hdr, ct_len);
			job->user_data = op;
			job_submit(mgr);
		}
	}
	if (cbc)
		job_flush(mgr);
	/* Pass 3: authenticated now (or NULL): the padding. */
	for (unsigned i = 0; i < n; i++) {
		struct esp_op *op = &ops[i];
		const struct esp_crypto *c = op->c;
		struct esp_opened o = {0};
		size_t hdr;

		/* GCM ops were opened whole in pass 1. */
		if (op->status != ESP_OK || alg_info(c->alg)->kind == KIND_GCM)
			continue;
		hdr = esp_header_len(c);
		op->status = (uint8_t)esp_unpad(op->esp, hdr, op->len - hdr - c->icv_len, &o);
		op->payload_off = o.payload_off;
		op->payload_len = o.payload_len;
		op->next_hdr = o.next_hdr;
	}
}

int esp_open(IMB_MGR *mgr, const struct esp_crypto *c, uint8_t *esp, size_t len, uint64_t seq,
	     int esn, struct esp_opened *out)
{
	struct esp_op op = {.c = c, .esp = esp, .seq = seq, .esn = (uint8_t)!!esn};

	if (len > ESP_MAX_LEN)
		return ESP_E_LENGTH;
	op.len = (uint32_t)len;
	esp_open_burst(mgr, &op, 1);
	if (op.status == ESP_OK) {
		out->payload_off = op.payload_off;
		out->payload_len = op.payload_len;
		out->next_hdr = op.next_hdr;
	}
	return op.status;
}
