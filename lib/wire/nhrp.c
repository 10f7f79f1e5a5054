/* SPDX-License-Identifier: BSD-3-Clause */
/* NHRP (RFC 2332) parser and builder: IPv4 over IPv4 NBMA, with Cisco's DMVPN extensions. */
#include <errno.h>
#include <string.h>

#include "lib/wire/ipv4.h"
#include "lib/base/be.h"
#include "lib/wire/nhrp.h"

/* Fixed header offsets (RFC 2332 5.2.0). */
#define FH_AFN 0
#define FH_PRO_TYPE 2
#define FH_HOPCNT 9
#define FH_PKTSZ 10
#define FH_CHKSUM 12
#define FH_EXTOFF 14
#define FH_VERSION 16
#define FH_TYPE 17
#define FH_SHTL 18
#define FH_SSTL 19

/* Mandatory part: spl, dpl, 6 type-specific bytes, then the three addresses
 * (always 4 bytes each: we accept IPv4 only). */
#define MP_SPL 20
#define MP_DPL 21
#define MP_WORDS 22
#define MP_SRC_NBMA 28
#define MP_SRC_PROTO 32
#define MP_DST_PROTO 36
#define MP_END 40

#define CIE_HDR_LEN 12
#define EXT_HDR_LEN 4
#define ADDR_LEN 4
#define TL_E164 0x40             /* type/length byte: NBMA address is E.164 */
#define PROTO_IPV4 0x0800

/* Network-order address: kept as the bytes on the wire. */
static uint32_t rd_addr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, sizeof(a));
	return a;
}

static int cie_carrier(uint16_t ext_type)
{
	return ext_type == NHRP_EXT_RESPONDER || ext_type == NHRP_EXT_FWD_TRANSIT ||
	       ext_type == NHRP_EXT_REV_TRANSIT || ext_type == NHRP_EXT_NAT_ADDRESS;
}

/*
 * One CIE at *off that must end by end. overrun is the error for a CIE
 * crossing end: NHRP_PE_LENGTH in the mandatory part, NHRP_PE_EXTENSION
 * inside an extension value.
 */
static int parse_cie(const uint8_t *p, size_t *off, size_t end, struct nhrp_cie *c, int overrun)
{
	const uint8_t *q = p + *off;
	uint8_t nbma_tl, sub_tl, proto_len;
	size_t need;

	if (end - *off < CIE_HDR_LEN)
		return overrun;
	nbma_tl = q[8];
	sub_tl = q[9];
	proto_len = q[10];
	if (nbma_tl & TL_E164)
		return NHRP_PE_AFN;
	if ((nbma_tl != 0 && nbma_tl != ADDR_LEN) || sub_tl != 0 ||
	    (proto_len != 0 && proto_len != ADDR_LEN))
		return NHRP_PE_ADDR_LEN;
	need = CIE_HDR_LEN + (size_t)nbma_tl + proto_len;
	if (end - *off < need)
		return overrun;
	c->code = q[0];
	c->prefix_len = q[1];
	c->mtu = rd16(q + 4);
	c->holdtime = rd16(q + 6);
	c->nbma_len = nbma_tl;
	c->proto_len = proto_len;
	c->pref = q[11];
	c->nbma = nbma_tl ? rd_addr(q + CIE_HDR_LEN) : 0;
	c->proto = proto_len ? rd_addr(q + CIE_HDR_LEN + nbma_tl) : 0;
	*off += need;
	return NHRP_PE_OK;
}

/* *err_at: where the CIE in error starts. */
static int parse_cie_list(const uint8_t *p, size_t off, size_t end, struct nhrp_cie *cie,
			  uint8_t *n_cie, int overrun, uint16_t *err_at)
{
	int rc;

	while (off < end) {
		*err_at = (uint16_t)off;
		if (*n_cie == NHRP_MAX_CIE)
			return NHRP_PE_TOO_MANY;
		rc = parse_cie(p, &off, end, &cie[*n_cie], overrun);
		if (rc)
			return rc;
		(*n_cie)++;
	}
	return NHRP_PE_OK;
}

/* Extensions from extoff: contiguous, ending with End exactly at pktsz. */
static int parse_extensions(const uint8_t *p, size_t off, size_t pktsz, struct nhrp_msg *m)
{
	/* No room even for End: ar$extoff is what is wrong. */
	size_t prev = FH_EXTOFF;

	for (;;) {
		struct nhrp_ext *e;
		uint16_t raw, elen, cie_at;
		int rc;

		/* An extension in error is pointed at by its header; a list
		 * that stops without End, by its last extension. */
		m->err_at = (uint16_t)prev;
		if (pktsz - off < EXT_HDR_LEN)
			return NHRP_PE_EXTENSION;
		m->err_at = (uint16_t)off;
		prev = off;
		raw = rd16(p + off);
		elen = rd16(p + off + 2);
		off += EXT_HDR_LEN;
		if (elen > pktsz - off)
			return NHRP_PE_EXTENSION;
		if ((raw & ~NHRP_EXT_COMPULSORY) == NHRP_EXT_END)
			return elen == 0 && off == pktsz ? NHRP_PE_OK : NHRP_PE_EXTENSION;
		if (m->n_ext == NHRP_MAX_EXT)
			return NHRP_PE_TOO_MANY;
		e = &m->ext[m->n_ext++];
		e->type = raw & ~NHRP_EXT_COMPULSORY;
		e->compulsory = !!(raw & NHRP_EXT_COMPULSORY);
		e->off = (uint16_t)off;
		e->len = elen;
		if (cie_carrier(e->type)) {
			rc = parse_cie_list(p, off, off + elen, e->cie, &e->n_cie,
					    NHRP_PE_EXTENSION, &cie_at);
			if (rc)
				return rc;
		}
		off += elen;
	}
}

int nhrp_parse(const uint8_t *p, size_t len, struct nhrp_msg *m)
{
	size_t pktsz, extoff, limit;
	uint8_t type;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < NHRP_FIXED_LEN)
		return NHRP_PE_TRUNCATED;
	/* What an Error Indication about a bad packet needs, read first. */
	m->type = p[FH_TYPE];
	pktsz = rd16(p + FH_PKTSZ);
	m->pktsz = (uint16_t)(pktsz < len ? pktsz : len);
	if (len >= MP_END && p[FH_SHTL] == ADDR_LEN && p[FH_SSTL] == 0 && p[MP_SPL] == ADDR_LEN)
		m->src_proto = rd_addr(p + MP_SRC_PROTO);
	m->err_at = FH_VERSION;
	if (p[FH_VERSION] != NHRP_VERSION)
		return NHRP_PE_VERSION;
	m->afn = rd16(p + FH_AFN);
	m->proto_type = rd16(p + FH_PRO_TYPE);
	m->err_at = m->afn != NHRP_AFN_IPV4 ? FH_AFN : FH_PRO_TYPE;
	if (m->afn != NHRP_AFN_IPV4 || m->proto_type != PROTO_IPV4)
		return NHRP_PE_AFN;
	/* A pktsz below the fixed and mandatory headers declares a packet
	 * shorter than its headers: truncated, like a short buffer. */
	m->err_at = FH_PKTSZ;
	if (pktsz > len || pktsz < MP_END)
		return NHRP_PE_TRUNCATED;
	m->err_at = FH_CHKSUM;
	if (inet_fold(inet_sum(0, p, pktsz)) != 0)
		return NHRP_PE_CHECKSUM;
	type = p[FH_TYPE];
	m->err_at = FH_TYPE;
	if (type < NHRP_RESOLUTION_REQUEST || type > NHRP_TRAFFIC_INDICATION)
		return NHRP_PE_TYPE;
	m->err_at = FH_SHTL;
	if (p[FH_SHTL] & TL_E164)
		return NHRP_PE_AFN;
	if (p[FH_SHTL] != ADDR_LEN || p[FH_SSTL] != 0)
		return NHRP_PE_ADDR_LEN;
	m->err_at = p[MP_SPL] != ADDR_LEN ? MP_SPL : MP_DPL;
	if (p[MP_SPL] != ADDR_LEN || p[MP_DPL] != ADDR_LEN)
		return NHRP_PE_ADDR_LEN;
	extoff = rd16(p + FH_EXTOFF);
	m->err_at = FH_EXTOFF;
	if (extoff != 0 && (extoff < MP_END || extoff > pktsz))
		return NHRP_PE_LENGTH;
	m->err_at = 0;
	limit = extoff ? extoff : pktsz;

	m->hopcnt = p[FH_HOPCNT];
	m->pktsz = (uint16_t)pktsz;
	m->extoff = (uint16_t)extoff;
	m->type = type;
	m->src_nbma = rd_addr(p + MP_SRC_NBMA);
	m->src_proto = rd_addr(p + MP_SRC_PROTO);
	m->dst_proto = rd_addr(p + MP_DST_PROTO);

	switch (type) {
	case NHRP_ERROR_INDICATION:
		m->err_code = rd16(p + MP_WORDS + 2);
		m->err_offset = rd16(p + MP_WORDS + 4);
		break;
	case NHRP_TRAFFIC_INDICATION:
		/* Same place as the error code: draft-detienne-dmvpn, as
		 * tcpdump and Wireshark decode it; Cisco sends 0 (redirect). */
		m->traffic_code = rd16(p + MP_WORDS + 2);
		break;
	default:
		m->flags = rd16(p + MP_WORDS);
		m->reqid = rd32(p + MP_WORDS + 2);
		break;
	}

	if (type == NHRP_ERROR_INDICATION || type == NHRP_TRAFFIC_INDICATION) {
		m->payload_off = MP_END;
		m->payload_len = (uint16_t)(limit - MP_END);
	} else {
		rc = parse_cie_list(p, MP_END, limit, m->cie, &m->n_cie, NHRP_PE_LENGTH, &m->err_at);
		if (rc)
			return rc;
	}
	rc = extoff ? parse_extensions(p, extoff, pktsz, m) : NHRP_PE_OK;
	if (rc == NHRP_PE_OK)
		m->err_at = 0;
	return rc;
}

static const char *const parse_error_names[NHRP_PE__COUNT] = {
	[NHRP_PE_OK] = "ok",
	[NHRP_PE_TRUNCATED] = "truncated",
	[NHRP_PE_CHECKSUM] = "bad_checksum",
	[NHRP_PE_VERSION] = "bad_version",
	[NHRP_PE_AFN] = "unsupported_address_family",
	[NHRP_PE_ADDR_LEN] = "bad_address_length",
	[NHRP_PE_LENGTH] = "bad_length",
	[NHRP_PE_TYPE] = "unknown_type",
	[NHRP_PE_TOO_MANY] = "too_many_entries",
	[NHRP_PE_EXTENSION] = "bad_extension",
};

const char *nhrp_parse_error_name(int e)
{
	return e >= 0 && e < NHRP_PE__COUNT ? parse_error_names[e] : "unknown";
}

uint16_t nhrp_parse_error_code(int pe)
{
	switch (pe) {
	case NHRP_PE_CHECKSUM:
	case NHRP_PE_VERSION:
	case NHRP_PE_AFN:
	case NHRP_PE_ADDR_LEN:
	case NHRP_PE_LENGTH:
	case NHRP_PE_TYPE:
		return NHRP_ERR_PROTOCOL;
	case NHRP_PE_EXTENSION:
		return NHRP_ERR_INVALID_EXT;
	default:
		return 0;
	}
}

static int is_request(uint8_t type)
{
	return type == NHRP_RESOLUTION_REQUEST || type == NHRP_REGISTRATION_REQUEST ||
	       type == NHRP_PURGE_REQUEST;
}

uint16_t nhrp_check(const struct nhrp_msg *m, uint16_t *offset)
{
	unsigned seen = 0;

	/* What registers, purges or answers names its binding in a CIE. (A
	 * CIE's prefix length is not checked: IOS registers with 255.) */
	if (!m->n_cie && (m->type == NHRP_REGISTRATION_REQUEST || m->type == NHRP_PURGE_REQUEST ||
			  m->type == NHRP_RESOLUTION_REPLY || m->type == NHRP_REGISTRATION_REPLY)) {
		*offset = MP_END;
		return NHRP_ERR_PROTOCOL;
	}
	for (unsigned i = 0; i < m->n_ext; i++) {
		const struct nhrp_ext *x = &m->ext[i];
		unsigned bit = x->type < 32 ? 1u << x->type : 0;
		int once = x->type == NHRP_EXT_RESPONDER || x->type == NHRP_EXT_FWD_TRANSIT ||
			   x->type == NHRP_EXT_REV_TRANSIT || x->type == NHRP_EXT_AUTH ||
			   x->type == NHRP_EXT_NAT_ADDRESS;

		*offset = (uint16_t)(x->off - EXT_HDR_LEN);
		if (once && (seen & bit))
			return NHRP_ERR_INVALID_EXT;
		seen |= bit;
		/* The responder fills it in its reply: a request brings it
		 * empty, a reply names one responder. */
		if (x->type == NHRP_EXT_RESPONDER &&
		    ((is_request(m->type) && x->len) || x->n_cie > 1))
			return NHRP_ERR_INVALID_EXT;
	}
	*offset = 0;
	return 0;
}

const struct nhrp_ext *nhrp_ext_find(const struct nhrp_msg *m, uint16_t type)
{
	type &= (uint16_t)~NHRP_EXT_COMPULSORY;
	for (unsigned i = 0; i < m->n_ext; i++)
		if (m->ext[i].type == type)
			return &m->ext[i];
	return NULL;
}

/* Room for n more bytes, or NULL with err set; nothing is written past cap. */
static uint8_t *reserve(struct nhrp_buf *b, size_t n)
{
	uint8_t *q;

	if (b->err)
		return NULL;
	if (n > b->cap - b->len) {
		b->err = -ENOSPC;
		return NULL;
	}
	q = b->p + b->len;
	b->len += n;
	return q;
}

static void build_start(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t type,
			uint8_t hopcnt, const uint8_t words[6], uint32_t src_nbma,
			uint32_t src_proto, uint32_t dst_proto)
{
	uint8_t *q;

	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->ext_start = 0;
	b->err = 0;
	q = reserve(b, MP_END);
	if (!q)
		return;
	memset(q, 0, MP_END);
	wr16(q + FH_AFN, NHRP_AFN_IPV4);
	wr16(q + FH_PRO_TYPE, PROTO_IPV4);
	q[FH_HOPCNT] = hopcnt;
	q[FH_VERSION] = NHRP_VERSION;
	q[FH_TYPE] = type;
	q[FH_SHTL] = ADDR_LEN;
	q[MP_SPL] = ADDR_LEN;
	q[MP_DPL] = ADDR_LEN;
	memcpy(q + MP_WORDS, words, 6);
	memcpy(q + MP_SRC_NBMA, &src_nbma, ADDR_LEN);
	memcpy(q + MP_SRC_PROTO, &src_proto, ADDR_LEN);
	memcpy(q + MP_DST_PROTO, &dst_proto, ADDR_LEN);
}

void nhrp_build_init(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t type,
		     uint8_t hopcnt, uint16_t flags, uint32_t reqid, uint32_t src_nbma,
		     uint32_t src_proto, uint32_t dst_proto)
{
	uint8_t w[6];

	wr16(w, flags);
	wr32(w + 2, reqid);
	build_start(b, p, cap, type, hopcnt, w, src_nbma, src_proto, dst_proto);
	if (!b->err && (type < NHRP_RESOLUTION_REQUEST || type > NHRP_PURGE_REPLY))
		b->err = -EINVAL;
}

void nhrp_build_error_init(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t hopcnt,
			   uint16_t code, uint16_t offset, uint32_t src_nbma,
			   uint32_t src_proto, uint32_t dst_proto)
{
	uint8_t w[6] = {0};

	wr16(w + 2, code);
	wr16(w + 4, offset);
	build_start(b, p, cap, NHRP_ERROR_INDICATION, hopcnt, w, src_nbma, src_proto,
		    dst_proto);
}

void nhrp_build_traffic_init(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t hopcnt,
			     uint16_t code, uint32_t src_nbma, uint32_t src_proto,
			     uint32_t dst_proto)
{
	uint8_t w[6] = {0};

	wr16(w + 2, code);
	build_start(b, p, cap, NHRP_TRAFFIC_INDICATION, hopcnt, w, src_nbma, src_proto,
		    dst_proto);
}

/* Body bytes go before the first extension or inside an open one. */
static int body_allowed(struct nhrp_buf *b)
{
	if (b->err)
		return 0;
	if (rd16(b->p + FH_EXTOFF) && !b->ext_start) {
		b->err = -EINVAL;
		return 0;
	}
	return 1;
}

void nhrp_put_cie(struct nhrp_buf *b, const struct nhrp_cie *c)
{
	uint8_t *q;

	if (!body_allowed(b))
		return;
	if ((c->nbma_len != 0 && c->nbma_len != ADDR_LEN) ||
	    (c->proto_len != 0 && c->proto_len != ADDR_LEN)) {
		b->err = -EINVAL;
		return;
	}
	q = reserve(b, CIE_HDR_LEN + (size_t)c->nbma_len + c->proto_len);
	if (!q)
		return;
	q[0] = c->code;
	q[1] = c->prefix_len;
	wr16(q + 2, 0);
	wr16(q + 4, c->mtu);
	wr16(q + 6, c->holdtime);
	q[8] = c->nbma_len;
	q[9] = 0;
	q[10] = c->proto_len;
	q[11] = c->pref;
	q += CIE_HDR_LEN;
	if (c->nbma_len) {
		memcpy(q, &c->nbma, ADDR_LEN);
		q += ADDR_LEN;
	}
	if (c->proto_len)
		memcpy(q, &c->proto, ADDR_LEN);
}

void nhrp_put_raw(struct nhrp_buf *b, const void *data, size_t len)
{
	uint8_t *q;

	if (!body_allowed(b))
		return;
	q = reserve(b, len);
	if (q && len)
		memcpy(q, data, len);
}

void nhrp_ext_begin(struct nhrp_buf *b, uint16_t type, int compulsory)
{
	uint16_t t = type & (uint16_t)~NHRP_EXT_COMPULSORY;
	size_t start;
	uint8_t *q;

	if (b->err)
		return;
	/* End is finish's to write; extensions do not nest. */
	if (t == NHRP_EXT_END || b->ext_start) {
		b->err = -EINVAL;
		return;
	}
	start = b->len;
	q = reserve(b, EXT_HDR_LEN);
	if (!q)
		return;
	if (start > UINT16_MAX) {
		b->err = -EMSGSIZE;
		return;
	}
	if (!rd16(b->p + FH_EXTOFF))
		wr16(b->p + FH_EXTOFF, (uint16_t)start);
	wr16(q, t | (compulsory || (type & NHRP_EXT_COMPULSORY) ? NHRP_EXT_COMPULSORY : 0));
	wr16(q + 2, 0);
	b->ext_start = start;
}

void nhrp_ext_end(struct nhrp_buf *b)
{
	size_t vlen;

	if (b->err)
		return;
	if (!b->ext_start) {
		b->err = -EINVAL;
		return;
	}
	vlen = b->len - b->ext_start - EXT_HDR_LEN;
	if (vlen > UINT16_MAX) {
		b->err = -EMSGSIZE;
		return;
	}
	wr16(b->p + b->ext_start + 2, (uint16_t)vlen);
	b->ext_start = 0;
}

int nhrp_build_finish(struct nhrp_buf *b)
{
	uint16_t ck;
	uint8_t *q;

	if (b->err)
		return b->err;
	if (b->ext_start) {
		b->err = -EINVAL;
		return b->err;
	}
	if (rd16(b->p + FH_EXTOFF)) {
		q = reserve(b, EXT_HDR_LEN);
		if (!q)
			return b->err;
		wr16(q, NHRP_EXT_COMPULSORY | NHRP_EXT_END);
		wr16(q + 2, 0);
	}
	if (b->len > UINT16_MAX) {
		b->err = -EMSGSIZE;
		return b->err;
	}
	wr16(b->p + FH_PKTSZ, (uint16_t)b->len);
	wr16(b->p + FH_CHKSUM, 0);
	ck = inet_cksum(b->p, b->len);
	memcpy(b->p + FH_CHKSUM, &ck, sizeof(ck));
	return (int)b->len;
}
