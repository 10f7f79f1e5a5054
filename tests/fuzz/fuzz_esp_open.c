/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: esp_open on arbitrary packets under a fixed SA of each algorithm. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/esp/esp.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

/*
 * Input: byte 0 picks the algorithm (mod ESP_ALG__COUNT); byte 1, bit 0:
 * ESN, bits 1-2: its high half (0, 1, 2^31 - 1, 2^32 - 1); the rest is
 * the ESP packet. The keys are those of tests/fuzz/esp_corpus.py, which
 * seals the seeds with scapy: enc byte i = 0x20 + 3i + alg, auth byte
 * i = 0x90 + 5i + alg.
 */
static IMB_MGR *mgr;
static struct esp_crypto sas[ESP_ALG__COUNT];

static void init(void)
{
	IMB_ARCH arch;

	mgr = alloc_mb_mgr(0);
	ASSERT(mgr);
	init_mb_mgr_auto(mgr, &arch);
	for (unsigned a = 0; a < ESP_ALG__COUNT; a++) {
		uint8_t ek[36], ak[32];
		size_t el, al;

		esp_alg_key_lens((enum esp_alg)a, &el, &al);
		for (size_t i = 0; i < el; i++)
			ek[i] = (uint8_t)(0x20 + 3 * i + a);
		for (size_t i = 0; i < al; i++)
			ak[i] = (uint8_t)(0x90 + 5 * i + a);
		ASSERT(esp_crypto_init(&sas[a], mgr, (enum esp_alg)a, ek, el, ak, al) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t his[4] = {0, 1, 0x7fffffff, 0xffffffff};
	const struct esp_crypto *c;
	struct esp_opened o;
	static uint8_t again[ESP_MAX_LEN];
	uint8_t *p;
	size_t len, hdr, icv;
	uint64_t seq;
	int esn, rc;

	if (!mgr)
		init();
	if (size < 2)
		return 0;
	c = &sas[data[0] % ESP_ALG__COUNT];
	esn = data[1] & 1;
	len = size - 2;
	hdr = esp_header_len(c);
	icv = c->icv_len;
	seq = len >= 8 ? (uint32_t)data[6] << 24 | (uint32_t)data[7] << 16 |
			       (uint32_t)data[8] << 8 | data[9] : 1;
	if (esn)
		seq |= (uint64_t)his[data[1] >> 1 & 3] << 32;

	/* Exactly len bytes, so ASan sees any access past the packet. */
	p = malloc(len ? len : 1);
	ASSERT(p);
	memcpy(p, data + 2, len);
	rc = esp_open(mgr, c, p, len, seq, esn, &o);
	ASSERT(rc == ESP_OK || rc == ESP_E_LENGTH || rc == ESP_E_ICV || rc == ESP_E_PAD);
	if (rc == ESP_E_LENGTH)
		ASSERT(len > ESP_MAX_LEN || len < hdr + icv + c->block ||
		       (len - hdr - icv) % c->block);
	if (rc == ESP_OK) {
		size_t ct_len = len - hdr - icv, padlen = ct_len - 2 - o.payload_len;

		ASSERT(o.payload_off == hdr && o.payload_len + 2 <= ct_len);
		ASSERT(p[hdr + ct_len - 2] == padlen && p[hdr + ct_len - 1] == o.next_hdr);
		for (size_t i = 0; i < padlen; i++)
			ASSERT(p[hdr + o.payload_len + i] == i + 1);
		/* What opened seals again, and that opens to the same payload
		 * (sequence 0, which only the replay window refuses, as 1). */
		struct esp_opened o2;
		uint64_t s = seq ? seq : 1;

		memcpy(again + hdr, p + hdr, o.payload_len);
		len = esp_seal(mgr, c, again, o.payload_len, 0x01020304, s, esn, o.next_hdr);
		ASSERT(len > 0);
		ASSERT(esp_open(mgr, c, again, len, s, esn, &o2) == ESP_OK);
		ASSERT(o2.payload_len == o.payload_len && o2.next_hdr == o.next_hdr);
		ASSERT(!memcmp(again + hdr, p + hdr, o.payload_len));
	}
	free(p);
	return 0;
}
