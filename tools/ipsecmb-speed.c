/* SPDX-License-Identifier: BSD-3-Clause */
/* AES-GCM alone in intel-ipsec-mb (job API, bursts): the crypto ceiling of tools/dmvpn-bench. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <emmintrin.h>
#include <intel-ipsec-mb.h>

#define MAX_SIZES 64
#define MAX_BURST 128
#define MAX_LEN 9216
#define AAD_LEN 8                /* ESP: SPI + sequence number (no ESN) */
#define SPI_BE 0x01100000u       /* SPI 00 00 10 01 as a little-endian word */
#define SALT 0xbebafecau         /* salt ca fe ba be, likewise */
#define ICV_LEN 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipsecmb-speed [-k 128|256] [-d encrypt|decrypt] [-t SECONDS] [-b BURST]\n"
		"                     [-n KEYS] [-a direct|job] SIZE[,SIZE...] ...\n"
		"Seals (or opens) ESP payloads of SIZE bytes with AES-GCM (16-byte ICV,\n"
		"8-byte AAD as ESP's SPI and sequence number, 12-byte nonce of salt and\n"
		"8-byte IV), BURST packets (default 32) at a time, as a dataplane would:\n"
		"with -a direct (the default, what dmvpnd uses for GCM) one call of the\n"
		"library's GCM API per packet; with -a job through the job API, BURST\n"
		"jobs then a flush. A comma list is one cyclic sequence of sizes (an IMIX);\n"
		"each argument is measured on its own for SECONDS (default 1) and printed\n"
		"as one JSON line. With -n, successive jobs use KEYS different keys in turn\n"
		"(one per SA, as packets to as many peers), default 1.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_NOAESNI: return "noaesni";
	case IMB_ARCH_SSE: return "sse";
	case IMB_ARCH_AVX: return "avx";
	case IMB_ARCH_AVX2: return "avx2";
	case IMB_ARCH_AVX512: return "avx512";
	default: return "unknown";
	}
}

static int parse_sizes(const char *s, unsigned *sizes, unsigned *n)
{
	char *end;

	*n = 0;
	for (;;) {
		unsigned long v;

		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || v < 1 || v > MAX_LEN - ICV_LEN || *n == MAX_SIZES)
			return -EINVAL;
		sizes[(*n)++] = (unsigned)v;
		if (!*end)
			return 0;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}

struct bench {
	IMB_MGR *mgr;
	struct gcm_key_data *keys;   /* n_keys of them, used in turn */
	unsigned n_keys, next_key;
	unsigned key_bytes;
	int decrypt;
	int job_api;
	unsigned burst;
	uint8_t *buf[MAX_BURST];     /* payload + ICV, one per job of a burst */
	uint8_t aad[MAX_BURST][16] __attribute__((aligned(16)));
	uint8_t iv[MAX_BURST][16] __attribute__((aligned(16)));
	uint8_t tag[MAX_BURST][ICV_LEN];
	uint64_t seq;
	unsigned long errors;
};

/* One burst: fill and submit burst jobs, sizes taken cyclically from sizes[*pos]. */
static uint64_t run_burst(struct bench *b, const unsigned *sizes, unsigned n, unsigned *pos)
{
	uint64_t bytes = 0;
	IMB_JOB *job;

	for (unsigned i = 0; i < b->burst; i++) {
		unsigned len = sizes[*pos];
		uint32_t seq = (uint32_t)++b->seq;

		*pos = *pos + 1 == n ? 0 : *pos + 1;
		/* A fresh nonce per packet, as ESP's IV = sequence number; the
		 * nonce (salt || IV) and the AAD (SPI || seq) written with one
		 * 16-byte store each, as dmvpnd does, so that the library's
		 * loads of them are forwarded from the store (narrower stores
		 * stall those loads and understate the library). */
		_mm_store_si128((__m128i *)(void *)b->aad[i],
				_mm_set_epi64x(0, (long long)(SPI_BE | (uint64_t)seq << 32)));
		_mm_store_si128((__m128i *)(void *)b->iv[i],
				_mm_set_epi64x((long long)(b->seq >> 32),
					       (long long)(SALT | b->seq << 32)));
		if (!b->job_api) {
			struct gcm_key_data *k = &b->keys[b->next_key];
			struct gcm_context_data ctx;

			b->next_key = b->next_key + 1 == b->n_keys ? 0 : b->next_key + 1;
			/* Opening: the comparison with the received ICV, a 16-byte
			 * compare, is left out, as for the job API below. */
			if (b->key_bytes == 16 && !b->decrypt)
				IMB_AES128_GCM_ENC(b->mgr, k, &ctx, b->buf[i], b->buf[i], len, b->iv[i],
						   b->aad[i], AAD_LEN, b->tag[i], ICV_LEN);
			else if (b->key_bytes == 16)
				IMB_AES128_GCM_DEC(b->mgr, k, &ctx, b->buf[i], b->buf[i], len, b->iv[i],
						   b->aad[i], AAD_LEN, b->tag[i], ICV_LEN);
			else if (!b->decrypt)
				IMB_AES256_GCM_ENC(b->mgr, k, &ctx, b->buf[i], b->buf[i], len, b->iv[i],
						   b->aad[i], AAD_LEN, b->tag[i], ICV_LEN);
			else
				IMB_AES256_GCM_DEC(b->mgr, k, &ctx, b->buf[i], b->buf[i], len, b->iv[i],
						   b->aad[i], AAD_LEN, b->tag[i], ICV_LEN);
			bytes += len;
			continue;
		}
		job = IMB_GET_NEXT_JOB(b->mgr);
		job->cipher_mode = IMB_CIPHER_GCM;
		job->hash_alg = IMB_AUTH_AES_GMAC;
		job->cipher_direction = b->decrypt ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
		job->chain_order = b->decrypt ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
		job->enc_keys = &b->keys[b->next_key];
		job->dec_keys = &b->keys[b->next_key];
		b->next_key = b->next_key + 1 == b->n_keys ? 0 : b->next_key + 1;
		job->key_len_in_bytes = b->key_bytes;
		job->src = b->buf[i];
		job->dst = b->buf[i];
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = len;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = len;
		job->iv = b->iv[i];
		job->iv_len_in_bytes = 12;
		job->u.GCM.aad = b->aad[i];
		job->u.GCM.aad_len_in_bytes = AAD_LEN;
		/* Opening computes the tag into a scratch buffer; the comparison
		 * with the received ICV is a 16-byte memcmp, left out here. */
		job->auth_tag_output = b->tag[i];
		job->auth_tag_output_len_in_bytes = ICV_LEN;
		job->user_data = NULL;
		job = IMB_SUBMIT_JOB(b->mgr);
		while (job) {
			if (job->status != IMB_STATUS_COMPLETED)
				b->errors++;
			job = IMB_GET_COMPLETED_JOB(b->mgr);
		}
		bytes += len;
	}
	while ((job = IMB_FLUSH_JOB(b->mgr)) != NULL)
		if (job->status != IMB_STATUS_COMPLETED)
			b->errors++;
	return bytes;
}

int main(int argc, char **argv)
{
	struct bench b = {.burst = 32, .key_bytes = 16, .n_keys = 1};
	double seconds = 1.0;
	uint8_t key[32];
	IMB_ARCH arch;
	int c;

	while ((c = getopt(argc, argv, "k:d:t:b:n:a:h")) != -1) {
		switch (c) {
		case 'a':
			if (!strcmp(optarg, "direct"))
				b.job_api = 0;
			else if (!strcmp(optarg, "job"))
				b.job_api = 1;
			else
				goto bad;
			break;
		case 'k':
			if (!strcmp(optarg, "128"))
				b.key_bytes = 16;
			else if (!strcmp(optarg, "256"))
				b.key_bytes = 32;
			else
				goto bad;
			break;
		case 'd':
			if (!strcmp(optarg, "encrypt"))
				b.decrypt = 0;
			else if (!strcmp(optarg, "decrypt"))
				b.decrypt = 1;
			else
				goto bad;
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			if (!(seconds > 0 && seconds <= 600))
				goto bad;
			break;
		case 'b':
			b.burst = (unsigned)strtoul(optarg, NULL, 10);
			if (b.burst < 1 || b.burst > MAX_BURST)
				goto bad;
			break;
		case 'n':
			b.n_keys = (unsigned)strtoul(optarg, NULL, 10);
			if (b.n_keys < 1 || b.n_keys > 1u << 22)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind >= argc)
		goto bad;

	b.mgr = alloc_mb_mgr(0);
	if (!b.mgr) {
		fprintf(stderr, "ipsecmb-speed: alloc_mb_mgr failed\n");
		return 1;
	}
	init_mb_mgr_auto(b.mgr, &arch);
	if (imb_get_errno(b.mgr)) {
		fprintf(stderr, "ipsecmb-speed: init_mb_mgr_auto: %s\n",
			imb_get_strerror(imb_get_errno(b.mgr)));
		return 1;
	}
	/* sizeof(struct gcm_key_data) is a multiple of its 64-byte alignment. */
	b.keys = aligned_alloc(64, sizeof(*b.keys) * b.n_keys);
	if (!b.keys) {
		fprintf(stderr, "ipsecmb-speed: no memory for %u keys\n", b.n_keys);
		return 1;
	}
	for (unsigned k = 0; k < b.n_keys; k++) {
		for (unsigned i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)(0x11 * i + 1 + k * 7 + (k >> 8));
		if (b.key_bytes == 16)
			IMB_AES128_GCM_PRE(b.mgr, key, &b.keys[k]);
		else
			IMB_AES256_GCM_PRE(b.mgr, key, &b.keys[k]);
	}
	for (unsigned i = 0; i < b.burst; i++) {
		b.buf[i] = aligned_alloc(64, MAX_LEN);
		if (!b.buf[i])
			return 1;
		memset(b.buf[i], (int)i, MAX_LEN);
	}

	for (int a = optind; a < argc; a++) {
		unsigned sizes[MAX_SIZES], n, pos = 0;
		uint64_t ops = 0, bytes = 0;
		double t0, t1, end;

		if (parse_sizes(argv[a], sizes, &n)) {
			fprintf(stderr, "ipsecmb-speed: bad size list '%s' (1..%d bytes, at most %d)\n",
				argv[a], MAX_LEN - ICV_LEN, MAX_SIZES);
			return 2;
		}
		/* Warm up caches, branch predictors and the clock. */
		end = now_s() + 0.1;
		while (now_s() < end)
			run_burst(&b, sizes, n, &pos);
		pos = 0;
		b.errors = 0;
		t0 = now_s();
		end = t0 + seconds;
		do {
			for (unsigned i = 0; i < 64; i++) {
				bytes += run_burst(&b, sizes, n, &pos);
				ops += b.burst;
			}
			t1 = now_s();
		} while (t1 < end);
		if (b.errors) {
			fprintf(stderr, "ipsecmb-speed: %lu jobs did not complete\n", b.errors);
			return 1;
		}
		printf("{\"library\":\"intel-ipsec-mb %s\",\"arch\":\"%s\",\"algorithm\":\"aes%ugcm16\","
		       "\"api\":\"%s\",\"direction\":\"%s\",\"burst\":%u,\"keys\":%u,\"sizes\":[",
		       imb_get_version_str(), arch_name(arch), b.key_bytes * 8,
		       b.job_api ? "job" : "direct",
		       b.decrypt ? "decrypt" : "encrypt", b.burst, b.n_keys);
		for (unsigned i = 0; i < n; i++)
			printf("%s%u", i ? "," : "", sizes[i]);
		printf("],\"seconds\":%.3f,\"ops\":%llu,\"ops_per_s\":%.0f,\"gbit_per_s\":%.3f,"
		       "\"ns_per_op\":%.2f}\n",
		       t1 - t0, (unsigned long long)ops, (double)ops / (t1 - t0),
		       (double)bytes * 8 / (t1 - t0) / 1e9, (t1 - t0) * 1e9 / (double)ops);
		fflush(stdout);
	}
	for (unsigned i = 0; i < b.burst; i++)
		free(b.buf[i]);
	free(b.keys);
	free_mb_mgr(b.mgr);
	return 0;
bad:
	usage(stderr);
	return 2;
}
