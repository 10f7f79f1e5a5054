/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 (RFC 7296) wire format: bounds-checked parsers and a chaining writer; no crypto here. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/wire/ike_wire.h"
#include "lib/base/be.h"

#define GEN_HDR_LEN 4             /* generic payload header (3.2) */
#define PROP_HDR_LEN 8            /* proposal substructure without SPI (3.3.1) */
#define TR_HDR_LEN 8              /* transform substructure without attributes (3.3.2) */
#define PROP_MORE 2               /* "last substruc" of a proposal followed by another */
#define TR_MORE 3
#define ATTR_TV 0x8000            /* attribute format bit: type/value, 2-byte value */
#define TS_HDR_LEN 4              /* number of TSs + reserved */
#define TS_IPV4_LEN 16
#define TS_MIN_LEN 8              /* type, proto, length, ports: the part every type has */

/* ---- header and chain ---- */

int ike_hdr_parse(const uint8_t *msg, size_t len, struct ike_hdr_view *h)
{
	if (len < IKE_HDR_LEN)
		return IKE_PARSE_SHORT;
	h->spi_i = rd64(msg);
	h->spi_r = rd64(msg + 8);
	h->next = msg[16];
	h->version = msg[17];
	h->exchange = msg[18];
	h->flags = msg[19];
	h->msg_id = rd32(msg + 20);
	h->length = rd32(msg + 24);
	/* The version comes before the length: a v3 peer gets
	 * INVALID_MAJOR_VERSION whatever its header looks like (2.5). */
	if (h->version >> 4 != 2)
		return IKE_PARSE_VERSION;
	if (h->length != len)
		return IKE_PARSE_LENGTH;
	return IKE_PARSE_OK;
}

int ike_chain_parse(uint8_t first, const uint8_t *buf, size_t len, struct ike_chain *c)
{
	uint8_t type = first;
	size_t off = 0;

	c->n = 0;
	while (type != IKE_PL_NONE) {
		struct ike_payload *p;
		uint16_t plen;

		if (len - off < GEN_HDR_LEN)
			return IKE_PARSE_SHORT;
		plen = rd16(buf + off + 2);
		if (plen < GEN_HDR_LEN)
			return IKE_PARSE_SYNTAX;
		if (plen > len - off)
			return IKE_PARSE_SHORT;
		if (c->n == IKE_MAX_PAYLOADS)
			return IKE_PARSE_SYNTAX;
		p = &c->pl[c->n++];
		p->type = type;
		p->next = buf[off];
		p->critical = (buf[off + 1] & IKE_PL_CRITICAL) != 0;
		p->len = (uint16_t)(plen - GEN_HDR_LEN);
		p->body = buf + off + GEN_HDR_LEN;
		off += plen;
		if (type == IKE_PL_SK) {
			/* Its next-payload names the encrypted chain; nothing
			 * may follow it in the clear (3.14). */
			if (off != len)
				return IKE_PARSE_SYNTAX;
			return IKE_PARSE_OK;
		}
		type = p->next;
	}
	return off == len ? IKE_PARSE_OK : IKE_PARSE_SYNTAX;
}

const struct ike_payload *ike_chain_find(const struct ike_chain *c, uint8_t type)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->pl[i].type == type)
			return &c->pl[i];
	return NULL;
}

const struct ike_payload *ike_chain_notify(const struct ike_chain *c, uint16_t type)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_notify_view n;

		if (c->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (ike_notify_parse(c->pl[i].body, c->pl[i].len, &n) == 0 && n.type == type)
			return &c->pl[i];
	}
	return NULL;
}

/* ---- SA payload ---- */

int ike_transform_supported(const struct ike_transform *t)
{
	switch (t->type) {
	case IKE_TT_ENCR:
		return (t->id == IKE_ENCR_AES_CBC || t->id == IKE_ENCR_AES_GCM16) &&
		       (t->key_len == 128 || t->key_len == 256);
	case IKE_TT_PRF:
		return t->id == IKE_PRF_HMAC_SHA1 || t->id == IKE_PRF_HMAC_SHA2_256 ||
		       t->id == IKE_PRF_HMAC_SHA2_384 || t->id == IKE_PRF_HMAC_SHA2_512;
	case IKE_TT_INTEG:
		return t->id == IKE_INTEG_NONE || t->id == IKE_INTEG_HMAC_SHA1_96 ||
		       t->id == IKE_INTEG_HMAC_SHA2_256_128 || t->id == IKE_INTEG_HMAC_SHA2_384_192 ||
		       t->id == IKE_INTEG_HMAC_SHA2_512_256;
	case IKE_TT_DH:
		return t->id == IKE_DH_NONE || t->id == IKE_DH_MODP2048 || t->id == IKE_DH_ECP256 ||
		       t->id == IKE_DH_ECP384 || t->id == IKE_DH_CURVE25519;
	case IKE_TT_ESN:
		return t->id == IKE_ESN_NO || t->id == IKE_ESN_YES;
	default:
		return 0;
	}
}

/* One transform at b[0..len) (its own length already checked). */
static int transform_parse(const uint8_t *b, size_t len, struct ike_transform *t)
{
	size_t off = TR_HDR_LEN;

	t->type = b[4];
	t->id = rd16(b + 6);
	t->key_len = 0;
	while (off < len) {
		uint16_t at;

		if (len - off < 4)
			return -EINVAL;
		at = rd16(b + off);
		if (at & ATTR_TV) {
			if ((at & ~ATTR_TV) == IKE_ATTR_KEY_LENGTH)
				t->key_len = rd16(b + off + 2);
			off += 4;
		} else {
			uint16_t alen = rd16(b + off + 2);

			/* Key length is TV only (3.3.5): a TLV of that type is malformed. */
			if (at == IKE_ATTR_KEY_LENGTH || alen > len - off - 4)
				return -EINVAL;
			off += 4 + (size_t)alen;
		}
	}
	return 0;
}

/* Keep t in p: append while there is room, else replace the last stored
 * transform we could never pick by one we could. */
static void proposal_keep(struct ike_proposal *p, const struct ike_transform *t)
{
	if (p->n_tr < IKE_MAX_TRANSFORMS) {
		p->tr[p->n_tr++] = *t;
		return;
	}
	if (!ike_transform_supported(t))
		return;
	for (unsigned i = IKE_MAX_TRANSFORMS; i-- > 0;)
		if (!ike_transform_supported(&p->tr[i])) {
			p->tr[i] = *t;
			return;
		}
}

static int proposal_parse(const uint8_t *b, size_t len, struct ike_proposal *p, int keep)
{
	uint8_t n_tr = b[7];
	size_t off;

	p->num = b[4];
	p->proto = b[5];
	p->spi_len = b[6];
	p->n_tr = 0;
	if (p->spi_len > sizeof(p->spi) || (size_t)PROP_HDR_LEN + p->spi_len > len)
		return -EINVAL;
	memset(p->spi, 0, sizeof(p->spi));
	memcpy(p->spi, b + PROP_HDR_LEN, p->spi_len);
	off = PROP_HDR_LEN + p->spi_len;
	for (unsigned i = 0; i < n_tr; i++) {
		struct ike_transform t;
		uint16_t tlen;

		if (len - off < TR_HDR_LEN)
			return -EINVAL;
		tlen = rd16(b + off + 2);
		if (tlen < TR_HDR_LEN || tlen > len - off)
			return -EINVAL;
		/* "last substruc": 0 on the last transform, 3 before. */
		if (b[off] != (i + 1 == n_tr ? 0 : TR_MORE))
			return -EINVAL;
		if (transform_parse(b + off, tlen, &t))
			return -EINVAL;
		if (keep)
			proposal_keep(p, &t);
		off += tlen;
	}
	return off == len ? 0 : -EINVAL;
}

int ike_sa_parse(const uint8_t *body, size_t len, struct ike_sa_view *sa)
{
	size_t off = 0;

	sa->n = 0;
	if (len == 0)
		return -EINVAL;
	while (off < len) {
		struct ike_proposal scratch, *p;
		uint16_t plen;
		uint8_t last;

		if (len - off < PROP_HDR_LEN)
			return -EINVAL;
		last = body[off];
		plen = rd16(body + off + 2);
		if (plen < PROP_HDR_LEN || plen > len - off)
			return -EINVAL;
		if (last != 0 && last != PROP_MORE)
			return -EINVAL;
		p = sa->n < IKE_MAX_PROPOSALS ? &sa->p[sa->n] : &scratch;
		if (proposal_parse(body + off, plen, p, p != &scratch))
			return -EINVAL;
		if (p != &scratch)
			sa->n++;
		off += plen;
		if (last == 0)
			return off == len ? 0 : -EINVAL;
	}
	/* The last proposal said another follows. */
	return -EINVAL;
}

/* ---- the small payloads ---- */

int ike_ke_parse(const uint8_t *body, size_t len, struct ike_ke_view *ke)
{
	if (len < 4 || len - 4 > UINT16_MAX)
		return -EINVAL;
	ke->group = rd16(body);
	ke->len = (uint16_t)(len - 4);
	ke->data = body + 4;
	return 0;
}

int ike_id_parse(const uint8_t *body, size_t len, struct ike_id_view *id)
{
	if (len < 4 || len - 4 > UINT16_MAX)
		return -EINVAL;
	id->type = body[0];
	id->len = (uint16_t)(len - 4);
	id->data = body + 4;
	return 0;
}

int ike_auth_parse(const uint8_t *body, size_t len, struct ike_auth_view *au)
{
	if (len < 4 || len - 4 > UINT16_MAX)
		return -EINVAL;
	au->method = body[0];
	au->len = (uint16_t)(len - 4);
	au->data = body + 4;
	return 0;
}

int ike_cert_parse(const uint8_t *body, size_t len, struct ike_cert_view *c)
{
	if (len < 1 || len - 1 > UINT16_MAX)
		return -EINVAL;
	c->encoding = body[0];
	c->len = (uint16_t)(len - 1);
	c->data = body + 1;
	return 0;
}

int ike_notify_parse(const uint8_t *body, size_t len, struct ike_notify_view *n)
{
	if (len < 4)
		return -EINVAL;
	n->proto = body[0];
	n->spi_len = body[1];
	n->type = rd16(body + 2);
	if ((size_t)4 + n->spi_len > len || len > UINT16_MAX)
		return -EINVAL;
	n->spi = body + 4;
	n->data = body + 4 + n->spi_len;
	n->data_len = (uint16_t)(len - 4 - n->spi_len);
	return 0;
}

int ike_delete_parse(const uint8_t *body, size_t len, struct ike_delete_view *d)
{
	uint16_t n;

	if (len < 4)
		return -EINVAL;
	d->proto = body[0];
	d->spi_len = body[1];
	n = rd16(body + 2);
	d->n_spis = 0;
	if (d->proto == IKE_PROTO_IKE) {
		/* The IKE SA is the one the message is in: no SPIs (3.11). */
		return d->spi_len == 0 && n == 0 && len == 4 ? 0 : -EINVAL;
	}
	if (d->spi_len != 4 || n == 0 || n > IKE_MAX_DEL_SPIS || len != 4 + (size_t)n * 4)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		memcpy(&d->spis[i], body + 4 + 4 * i, 4);
	d->n_spis = n;
	return 0;
}

int ike_ts_parse(const uint8_t *body, size_t len, struct ike_ts_view *ts)
{
	uint8_t n;
	size_t off = TS_HDR_LEN;

	ts->n = 0;
	if (len < TS_HDR_LEN)
		return -EINVAL;
	n = body[0];
	if (n == 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		uint16_t slen;

		if (len - off < TS_MIN_LEN)
			return -EINVAL;
		slen = rd16(body + off + 2);
		if (slen < TS_MIN_LEN || slen > len - off)
			return -EINVAL;
		if (body[off] == IKE_TS_IPV4_ADDR_RANGE) {
			struct ike_ts *t;

			if (slen != TS_IPV4_LEN || ts->n == IKE_MAX_TS)
				return -EINVAL;
			t = &ts->ts[ts->n++];
			t->proto = body[off + 1];
			t->port_lo = rd16(body + off + 4);
			t->port_hi = rd16(body + off + 6);
			t->addr_lo = rd32(body + off + 8);
			t->addr_hi = rd32(body + off + 12);
		}
		off += slen;
	}
	return off == len ? 0 : -EINVAL;
}

/* ---- writer ---- */

void ike_w_init(struct ike_w *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
	w->next_at = SIZE_MAX;
	w->pl_start = SIZE_MAX;
	w->first = IKE_PL_NONE;
	w->has_hdr = 0;
}

/* Room for n more bytes at the end, or NULL (and err set). */
static uint8_t *w_room(struct ike_w *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void ike_w_bytes(struct ike_w *w, const void *p, size_t n)
{
	uint8_t *d = w_room(w, n);

	if (d && n)
		memcpy(d, p, n);
}

void ike_w_u8(struct ike_w *w, uint8_t v)
{
	uint8_t *d = w_room(w, 1);

	if (d)
		*d = v;
}

void ike_w_u16(struct ike_w *w, uint16_t v)
{
	uint8_t *d = w_room(w, 2);

	if (d)
		wr16(d, v);
}

void ike_w_u32(struct ike_w *w, uint32_t v)
{
	uint8_t *d = w_room(w, 4);

	if (d)
		wr32(d, v);
}

void ike_w_u64(struct ike_w *w, uint64_t v)
{
	ike_w_u32(w, (uint32_t)(v >> 32));
	ike_w_u32(w, (uint32_t)v);
}

void ike_w_hdr(struct ike_w *w, uint64_t spi_i, uint64_t spi_r, uint8_t exchange, uint8_t flags,
	       uint32_t msg_id)
{
	size_t at = w->len;

	ike_w_u64(w, spi_i);
	ike_w_u64(w, spi_r);
	ike_w_u8(w, IKE_PL_NONE);
	ike_w_u8(w, 0x20);
	ike_w_u8(w, exchange);
	ike_w_u8(w, flags);
	ike_w_u32(w, msg_id);
	ike_w_u32(w, 0);
	if (!w->err) {
		w->next_at = at + 16;
		w->has_hdr = 1;
	}
}

void ike_w_payload(struct ike_w *w, uint8_t type, int critical)
{
	size_t at;

	ike_w_end(w);
	at = w->len;
	ike_w_u8(w, IKE_PL_NONE);
	ike_w_u8(w, critical ? IKE_PL_CRITICAL : 0);
	ike_w_u16(w, 0);
	if (w->err)
		return;
	if (w->next_at != SIZE_MAX)
		w->buf[w->next_at] = type;
	if (w->first == IKE_PL_NONE)
		w->first = type;
	w->next_at = at;
	w->pl_start = at;
}

void ike_w_end(struct ike_w *w)
{
	size_t plen;

	if (w->pl_start == SIZE_MAX)
		return;
	plen = w->len - w->pl_start;
	if (plen > UINT16_MAX)
		w->err = -ENOSPC;
	if (!w->err)
		wr16(w->buf + w->pl_start + 2, (uint16_t)plen);
	w->pl_start = SIZE_MAX;
}

int ike_w_finish(struct ike_w *w)
{
	ike_w_end(w);
	if (w->err || w->len > INT32_MAX)
		return -ENOSPC;
	if (w->has_hdr)
		wr32(w->buf + 24, (uint32_t)w->len);
	return (int)w->len;
}

int ike_w_sa(struct ike_w *w, const struct ike_sa_view *sa)
{
	if (sa->n == 0 || sa->n > IKE_MAX_PROPOSALS)
		return -EINVAL;
	for (unsigned i = 0; i < sa->n; i++)
		if (sa->p[i].n_tr == 0 || sa->p[i].n_tr > IKE_MAX_TRANSFORMS ||
		    sa->p[i].spi_len > sizeof(sa->p[i].spi))
			return -EINVAL;
	ike_w_payload(w, IKE_PL_SA, 0);
	for (unsigned i = 0; i < sa->n; i++) {
		const struct ike_proposal *p = &sa->p[i];
		size_t start = w->len;

		ike_w_u8(w, i + 1 == sa->n ? 0 : PROP_MORE);
		ike_w_u8(w, 0);
		ike_w_u16(w, 0);
		ike_w_u8(w, p->num);
		ike_w_u8(w, p->proto);
		ike_w_u8(w, p->spi_len);
		ike_w_u8(w, (uint8_t)p->n_tr);
		ike_w_bytes(w, p->spi, p->spi_len);
		for (unsigned j = 0; j < p->n_tr; j++) {
			const struct ike_transform *t = &p->tr[j];

			ike_w_u8(w, j + 1 == p->n_tr ? 0 : TR_MORE);
			ike_w_u8(w, 0);
			ike_w_u16(w, t->key_len ? TR_HDR_LEN + 4 : TR_HDR_LEN);
			ike_w_u8(w, t->type);
			ike_w_u8(w, 0);
			ike_w_u16(w, t->id);
			if (t->key_len) {
				ike_w_u16(w, ATTR_TV | IKE_ATTR_KEY_LENGTH);
				ike_w_u16(w, t->key_len);
			}
		}
		if (!w->err)
			wr16(w->buf + start + 2, (uint16_t)(w->len - start));
	}
	ike_w_end(w);
	return 0;
}

void ike_w_ke(struct ike_w *w, uint16_t group, const uint8_t *pub, size_t len)
{
	ike_w_payload(w, IKE_PL_KE, 0);
	ike_w_u16(w, group);
	ike_w_u16(w, 0);
	ike_w_bytes(w, pub, len);
	ike_w_end(w);
}

void ike_w_nonce(struct ike_w *w, const uint8_t *n, size_t len)
{
	ike_w_raw(w, IKE_PL_NONCE, 0, n, len);
}

void ike_w_id(struct ike_w *w, uint8_t pl_type, uint8_t id_type, const uint8_t *data, size_t len)
{
	ike_w_payload(w, pl_type, 0);
	ike_w_u8(w, id_type);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);
	ike_w_bytes(w, data, len);
	ike_w_end(w);
}

void ike_w_auth(struct ike_w *w, uint8_t method, const uint8_t *data, size_t len)
{
	ike_w_payload(w, IKE_PL_AUTH, 0);
	ike_w_u8(w, method);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);
	ike_w_bytes(w, data, len);
	ike_w_end(w);
}

void ike_w_cert(struct ike_w *w, uint8_t encoding, const uint8_t *data, size_t len)
{
	ike_w_payload(w, IKE_PL_CERT, 0);
	ike_w_u8(w, encoding);
	ike_w_bytes(w, data, len);
	ike_w_end(w);
}

void ike_w_certreq(struct ike_w *w, uint8_t encoding, const uint8_t *data, size_t len)
{
	ike_w_payload(w, IKE_PL_CERTREQ, 0);
	ike_w_u8(w, encoding);
	ike_w_bytes(w, data, len);
	ike_w_end(w);
}

void ike_w_notify(struct ike_w *w, uint8_t proto, const uint8_t *spi, size_t spi_len, uint16_t type,
		  const uint8_t *data, size_t len)
{
	if (spi_len > UINT8_MAX) {
		w->err = -ENOSPC;
		return;
	}
	ike_w_payload(w, IKE_PL_NOTIFY, 0);
	ike_w_u8(w, proto);
	ike_w_u8(w, (uint8_t)spi_len);
	ike_w_u16(w, type);
	ike_w_bytes(w, spi, spi_len);
	ike_w_bytes(w, data, len);
	ike_w_end(w);
}

void ike_w_delete(struct ike_w *w, uint8_t proto, const uint32_t *spis_be, unsigned n)
{
	ike_w_payload(w, IKE_PL_DELETE, 0);
	ike_w_u8(w, proto);
	ike_w_u8(w, proto == IKE_PROTO_IKE ? 0 : 4);
	if (proto == IKE_PROTO_IKE)
		n = 0;
	ike_w_u16(w, (uint16_t)n);
	ike_w_bytes(w, spis_be, (size_t)n * 4);
	ike_w_end(w);
}

void ike_w_ts(struct ike_w *w, uint8_t pl_type, const struct ike_ts *ts, unsigned n)
{
	if (n > UINT8_MAX) {
		w->err = -ENOSPC;
		return;
	}
	ike_w_payload(w, pl_type, 0);
	ike_w_u8(w, (uint8_t)n);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);
	for (unsigned i = 0; i < n; i++) {
		ike_w_u8(w, IKE_TS_IPV4_ADDR_RANGE);
		ike_w_u8(w, ts[i].proto);
		ike_w_u16(w, TS_IPV4_LEN);
		ike_w_u16(w, ts[i].port_lo);
		ike_w_u16(w, ts[i].port_hi);
		ike_w_u32(w, ts[i].addr_lo);
		ike_w_u32(w, ts[i].addr_hi);
	}
	ike_w_end(w);
}

void ike_w_vendor(struct ike_w *w, const uint8_t *id, size_t len)
{
	ike_w_raw(w, IKE_PL_VENDOR, 0, id, len);
}

void ike_w_raw(struct ike_w *w, uint8_t type, int critical, const uint8_t *body, size_t len)
{
	ike_w_payload(w, type, critical);
	ike_w_bytes(w, body, len);
	ike_w_end(w);
}

/* ---- names ---- */

const char *ike_exchange_name(uint8_t ex)
{
	switch (ex) {
	case IKE_SA_INIT: return "IKE_SA_INIT";
	case IKE_AUTH: return "IKE_AUTH";
	case IKE_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case IKE_INFORMATIONAL: return "INFORMATIONAL";
	default: return "unknown";
	}
}

const char *ike_payload_name(uint8_t type)
{
	switch (type) {
	case IKE_PL_NONE: return "NONE";
	case IKE_PL_SA: return "SA";
	case IKE_PL_KE: return "KE";
	case IKE_PL_IDI: return "IDi";
	case IKE_PL_IDR: return "IDr";
	case IKE_PL_CERT: return "CERT";
	case IKE_PL_CERTREQ: return "CERTREQ";
	case IKE_PL_AUTH: return "AUTH";
	case IKE_PL_NONCE: return "No";
	case IKE_PL_NOTIFY: return "N";
	case IKE_PL_DELETE: return "D";
	case IKE_PL_VENDOR: return "V";
	case IKE_PL_TSI: return "TSi";
	case IKE_PL_TSR: return "TSr";
	case IKE_PL_SK: return "SK";
	case IKE_PL_CP: return "CP";
	case IKE_PL_EAP: return "EAP";
	default: return "unknown";
	}
}

const char *ike_notify_name(uint16_t type)
{
	switch (type) {
	case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKE_N_INVALID_IKE_SPI: return "INVALID_IKE_SPI";
	case IKE_N_INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
	case IKE_N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case IKE_N_INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
	case IKE_N_INVALID_SPI: return "INVALID_SPI";
	case IKE_N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case IKE_N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case IKE_N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case IKE_N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case IKE_N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case IKE_N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case IKE_N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case IKE_N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case IKE_N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case IKE_N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case IKE_N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	case IKE_N_INITIAL_CONTACT: return "INITIAL_CONTACT";
	case IKE_N_SET_WINDOW_SIZE: return "SET_WINDOW_SIZE";
	case IKE_N_ADDITIONAL_TS_POSSIBLE: return "ADDITIONAL_TS_POSSIBLE";
	case IKE_N_IPCOMP_SUPPORTED: return "IPCOMP_SUPPORTED";
	case IKE_N_NAT_DETECTION_SOURCE_IP: return "NAT_DETECTION_SOURCE_IP";
	case IKE_N_NAT_DETECTION_DESTINATION_IP: return "NAT_DETECTION_DESTINATION_IP";
	case IKE_N_COOKIE: return "COOKIE";
	case IKE_N_USE_TRANSPORT_MODE: return "USE_TRANSPORT_MODE";
	case IKE_N_HTTP_CERT_LOOKUP_SUPPORTED: return "HTTP_CERT_LOOKUP_SUPPORTED";
	case IKE_N_REKEY_SA: return "REKEY_SA";
	case IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED: return "ESP_TFC_PADDING_NOT_SUPPORTED";
	case IKE_N_NON_FIRST_FRAGMENTS_ALSO: return "NON_FIRST_FRAGMENTS_ALSO";
	case IKE_N_MOBIKE_SUPPORTED: return "MOBIKE_SUPPORTED";
	case IKE_N_SIGNATURE_HASH_ALGORITHMS: return "SIGNATURE_HASH_ALGORITHMS";
	default: return type <= IKE_N_ERROR_MAX ? "error" : "status";
	}
}

const char *ike_parse_err_name(int err)
{
	switch (err) {
	case IKE_PARSE_OK: return "ok";
	case IKE_PARSE_SHORT: return "truncated";
	case IKE_PARSE_VERSION: return "bad version";
	case IKE_PARSE_LENGTH: return "length mismatch";
	case IKE_PARSE_SYNTAX: return "bad syntax";
	default: return "unknown";
	}
}
