/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: NHRP parser, and builder round trips of whatever it accepts. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wire/ipv4.h"
#include "lib/wire/nhrp.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint8_t out1[UINT16_MAX + 1], out2[UINT16_MAX + 1];
static struct nhrp_msg m1, m2, m3;

static unsigned touch(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static int cie_ext(uint16_t type)
{
	return type == NHRP_EXT_RESPONDER || type == NHRP_EXT_FWD_TRANSIT ||
	       type == NHRP_EXT_REV_TRANSIT || type == NHRP_EXT_NAT_ADDRESS;
}

/* Re-encode m (parsed from pkt) into out: same CIEs, extensions, payload. */
static int rebuild(const uint8_t *pkt, const struct nhrp_msg *m, uint8_t *out, size_t cap)
{
	struct nhrp_buf b;
	int rc;

	switch (m->type) {
	case NHRP_ERROR_INDICATION:
		nhrp_build_error_init(&b, out, cap, m->hopcnt, m->err_code, m->err_offset,
				      m->src_nbma, m->src_proto, m->dst_proto);
		nhrp_put_raw(&b, pkt + m->payload_off, m->payload_len);
		break;
	case NHRP_TRAFFIC_INDICATION:
		nhrp_build_traffic_init(&b, out, cap, m->hopcnt, m->traffic_code, m->src_nbma,
					m->src_proto, m->dst_proto);
		nhrp_put_raw(&b, pkt + m->payload_off, m->payload_len);
		break;
	default:
		nhrp_build_init(&b, out, cap, m->type, m->hopcnt, m->flags, m->reqid, m->src_nbma,
				m->src_proto, m->dst_proto);
		for (unsigned i = 0; i < m->n_cie; i++)
			nhrp_put_cie(&b, &m->cie[i]);
		break;
	}
	for (unsigned i = 0; i < m->n_ext; i++) {
		const struct nhrp_ext *e = &m->ext[i];

		nhrp_ext_begin(&b, e->type, e->compulsory);
		if (cie_ext(e->type))
			for (unsigned j = 0; j < e->n_cie; j++)
				nhrp_put_cie(&b, &e->cie[j]);
		else
			nhrp_put_raw(&b, pkt + e->off, e->len);
		nhrp_ext_end(&b);
	}
	rc = nhrp_build_finish(&b);
	ASSERT(b.len <= cap);
	return rc;
}

static int cie_eq(const struct nhrp_cie *a, const struct nhrp_cie *b)
{
	return a->code == b->code && a->prefix_len == b->prefix_len && a->mtu == b->mtu &&
	       a->holdtime == b->holdtime && a->pref == b->pref && a->nbma_len == b->nbma_len &&
	       a->proto_len == b->proto_len && a->nbma == b->nbma && a->proto == b->proto;
}

/* An extension list holding only End carries nothing: the builder writes
 * no End then, so the copy is 4 bytes shorter and has ar$extoff 0. */
static int bare_end(const struct nhrp_msg *m)
{
	return m->extoff && !m->n_ext;
}

static void same_msg(const struct nhrp_msg *a, const struct nhrp_msg *b)
{
	if (bare_end(a))
		ASSERT(b->pktsz == a->pktsz - 4 && b->extoff == 0);
	else
		ASSERT(a->pktsz == b->pktsz && a->extoff == b->extoff);
	ASSERT(a->type == b->type && a->hopcnt == b->hopcnt);
	ASSERT(a->flags == b->flags && a->reqid == b->reqid && a->err_code == b->err_code &&
	       a->err_offset == b->err_offset && a->traffic_code == b->traffic_code);
	ASSERT(a->src_nbma == b->src_nbma && a->src_proto == b->src_proto &&
	       a->dst_proto == b->dst_proto);
	ASSERT(a->payload_off == b->payload_off && a->payload_len == b->payload_len);
	ASSERT(a->n_cie == b->n_cie && a->n_ext == b->n_ext);
	for (unsigned i = 0; i < a->n_cie; i++)
		ASSERT(cie_eq(&a->cie[i], &b->cie[i]));
	for (unsigned i = 0; i < a->n_ext; i++) {
		const struct nhrp_ext *x = &a->ext[i], *y = &b->ext[i];

		ASSERT(x->type == y->type && x->compulsory == y->compulsory && x->off == y->off &&
		       x->len == y->len && x->n_cie == y->n_cie);
		for (unsigned j = 0; j < x->n_cie; j++)
			ASSERT(cie_eq(&x->cie[j], &y->cie[j]));
	}
}

static void nhrp(const uint8_t *p, size_t len, size_t small_cap)
{
	uint8_t *tight;
	int rc = nhrp_parse(p, len, &m1), n1, n2;

	ASSERT(rc >= 0 && rc < NHRP_PE__COUNT);
	if (rc != NHRP_PE_OK) {
		/* What an Error Indication would carry and point at lies inside. */
		ASSERT(m1.pktsz <= len && (!nhrp_parse_error_code(rc) || m1.err_at < len));
		return;
	}
	{
		uint16_t off, code = nhrp_check(&m1, &off);

		ASSERT(code == 0 || ((code == NHRP_ERR_PROTOCOL || code == NHRP_ERR_INVALID_EXT) &&
				     off <= m1.pktsz));
	}
	/* What the parser vouched for lies inside the packet. */
	ASSERT(m1.pktsz <= len && m1.pktsz >= 40);
	ASSERT(inet_cksum(p, m1.pktsz) == 0);
	ASSERT(m1.n_cie <= NHRP_MAX_CIE && m1.n_ext <= NHRP_MAX_EXT);
	ASSERT((size_t)m1.payload_off + m1.payload_len <= m1.pktsz);
	(void)touch(p + m1.payload_off, m1.payload_len);
	for (unsigned i = 0; i < m1.n_ext; i++) {
		ASSERT(m1.ext[i].n_cie <= NHRP_MAX_CIE);
		ASSERT((size_t)m1.ext[i].off + m1.ext[i].len <= m1.pktsz);
		(void)touch(p + m1.ext[i].off, m1.ext[i].len);
	}

	/* The builder reproduces the layout, so the same message parses back. */
	n1 = rebuild(p, &m1, out1, sizeof(out1));
	ASSERT(n1 == m1.pktsz - (bare_end(&m1) ? 4 : 0));
	ASSERT(nhrp_parse(out1, (size_t)n1, &m2) == NHRP_PE_OK);
	same_msg(&m1, &m2);
	/* And encoding is a fixed point from then on. */
	n2 = rebuild(out1, &m2, out2, sizeof(out2));
	ASSERT(n2 == n1 && !memcmp(out1, out2, (size_t)n1));
	ASSERT(nhrp_parse(out2, (size_t)n2, &m3) == NHRP_PE_OK);

	/* Too small a buffer: -ENOSPC, and ASan checks nothing lands past it. */
	small_cap %= (size_t)n1; /* n1 >= 40 */
	tight = malloc(small_cap ? small_cap : 1);
	ASSERT(tight);
	ASSERT(rebuild(p, &m1, tight, small_cap) == -ENOSPC);
	free(tight);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	size_t pktsz;
	uint16_t ck;

	/* The input as it is (mostly bad checksums)... */
	nhrp(data, size, size * 7919);
	/* ... and with its checksum made right, so mutations reach the rest. */
	if (size < NHRP_FIXED_LEN)
		return 0;
	pktsz = (size_t)(data[10] << 8 | data[11]);
	if (pktsz < NHRP_FIXED_LEN || pktsz > size)
		return 0;
	fixed = malloc(size);
	ASSERT(fixed);
	memcpy(fixed, data, size);
	fixed[12] = fixed[13] = 0;
	ck = inet_cksum(fixed, pktsz);
	memcpy(fixed + 12, &ck, 2);
	nhrp(fixed, size, size * 7919 + data[size - 1]);
	free(fixed);
	return 0;
}
