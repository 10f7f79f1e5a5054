/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: IKEv2 header, payload chains (outer and SK inner), every payload parser, SA/TS/N writer round trips. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/wire/ike_wire.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint8_t out[IKE_MAX_MSG * 2];

/* Reads every byte a view claims, so ASan sees an overread. */
static unsigned touch(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static void sa_roundtrip(const struct ike_sa_view *sa)
{
	struct ike_sa_view sa2;
	struct ike_chain c;
	struct ike_w w;
	int n;

	for (unsigned i = 0; i < sa->n; i++)
		if (sa->p[i].n_tr == 0)
			return;           /* the writer refuses empty proposals */
	ike_w_init(&w, out, sizeof(out));
	ASSERT(ike_w_sa(&w, sa) == 0);
	n = ike_w_finish(&w);
	ASSERT(n > 0);
	ASSERT(ike_chain_parse(w.first, out, (size_t)n, &c) == IKE_PARSE_OK && c.n == 1);
	ASSERT(ike_sa_parse(c.pl[0].body, c.pl[0].len, &sa2) == 0);
	ASSERT(sa2.n == sa->n);
	for (unsigned i = 0; i < sa->n; i++) {
		ASSERT(sa2.p[i].num == sa->p[i].num && sa2.p[i].proto == sa->p[i].proto);
		ASSERT(sa2.p[i].spi_len == sa->p[i].spi_len && !memcmp(sa2.p[i].spi, sa->p[i].spi, 8));
		ASSERT(sa2.p[i].n_tr == sa->p[i].n_tr);
		for (unsigned j = 0; j < sa->p[i].n_tr; j++) {
			ASSERT(sa2.p[i].tr[j].type == sa->p[i].tr[j].type);
			ASSERT(sa2.p[i].tr[j].id == sa->p[i].tr[j].id);
			ASSERT(sa2.p[i].tr[j].key_len == sa->p[i].tr[j].key_len);
		}
	}
}

static void ts_roundtrip(uint8_t type, const struct ike_ts_view *ts)
{
	struct ike_ts_view ts2;
	struct ike_chain c;
	struct ike_w w;
	int n;

	if (!ts->n)
		return;                   /* only other types: the writer has none */
	ike_w_init(&w, out, sizeof(out));
	ike_w_ts(&w, type, ts->ts, ts->n);
	n = ike_w_finish(&w);
	ASSERT(n > 0);
	ASSERT(ike_chain_parse(w.first, out, (size_t)n, &c) == IKE_PARSE_OK && c.n == 1);
	ASSERT(ike_ts_parse(c.pl[0].body, c.pl[0].len, &ts2) == 0 && ts2.n == ts->n);
	for (unsigned i = 0; i < ts->n; i++)
		ASSERT(ts2.ts[i].proto == ts->ts[i].proto && ts2.ts[i].port_lo == ts->ts[i].port_lo &&
		       ts2.ts[i].port_hi == ts->ts[i].port_hi && ts2.ts[i].addr_lo == ts->ts[i].addr_lo &&
		       ts2.ts[i].addr_hi == ts->ts[i].addr_hi);
}

static unsigned payloads(const struct ike_chain *c, int depth)
{
	unsigned s = 0;

	for (unsigned i = 0; i < c->n; i++) {
		const struct ike_payload *p = &c->pl[i];
		struct ike_sa_view sa;
		struct ike_ke_view ke;
		struct ike_id_view id;
		struct ike_auth_view au;
		struct ike_cert_view cv;
		struct ike_notify_view nv;
		struct ike_delete_view d;
		struct ike_ts_view ts;
		struct ike_chain inner;

		s += touch(p->body, p->len);
		/* Every parser on every body: types lie in hostile input. */
		if (ike_sa_parse(p->body, p->len, &sa) == 0) {
			ASSERT(sa.n >= 1 && sa.n <= IKE_MAX_PROPOSALS);
			for (unsigned j = 0; j < sa.n; j++) {
				ASSERT(sa.p[j].n_tr <= IKE_MAX_TRANSFORMS && sa.p[j].spi_len <= 8);
				s += ike_transform_supported(&sa.p[j].tr[0]);
			}
			sa_roundtrip(&sa);
		}
		if (ike_ke_parse(p->body, p->len, &ke) == 0)
			s += touch(ke.data, ke.len) + ke.group;
		if (ike_id_parse(p->body, p->len, &id) == 0)
			s += touch(id.data, id.len);
		if (ike_auth_parse(p->body, p->len, &au) == 0)
			s += touch(au.data, au.len);
		if (ike_cert_parse(p->body, p->len, &cv) == 0)
			s += touch(cv.data, cv.len);
		if (ike_notify_parse(p->body, p->len, &nv) == 0) {
			s += touch(nv.spi, nv.spi_len) + touch(nv.data, nv.data_len);
			s += (unsigned)strlen(ike_notify_name(nv.type));
		}
		if (ike_delete_parse(p->body, p->len, &d) == 0)
			ASSERT(d.n_spis <= IKE_MAX_DEL_SPIS);
		if (ike_ts_parse(p->body, p->len, &ts) == 0) {
			ASSERT(ts.n <= IKE_MAX_TS);
			ts_roundtrip(p->type == IKE_PL_TSR ? IKE_PL_TSR : IKE_PL_TSI, &ts);
		}
		s += (unsigned)strlen(ike_payload_name(p->type));
		/* An SK body read as if it were the decrypted chain. */
		if (p->type == IKE_PL_SK && depth == 0 && ike_chain_parse(p->next, p->body, p->len, &inner) == 0)
			s += payloads(&inner, 1);
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_hdr_view h;
	struct ike_chain c;
	int rc = ike_hdr_parse(data, size, &h);
	volatile unsigned sink = 0;

	/* Past a lying header length, the chain parser still gets the bytes. */
	if (size >= IKE_HDR_LEN && rc != IKE_PARSE_SHORT) {
		sink += (unsigned)strlen(ike_exchange_name(h.exchange)) + (unsigned)strlen(ike_parse_err_name(rc));
		if (ike_chain_parse(h.next, data + IKE_HDR_LEN, size - IKE_HDR_LEN, &c) == IKE_PARSE_OK) {
			ASSERT(c.n <= IKE_MAX_PAYLOADS);
			ike_chain_find(&c, IKE_PL_SK);
			ike_chain_notify(&c, IKE_N_COOKIE);
			sink += payloads(&c, 0);
		}
	}
	(void)sink;
	return 0;
}
