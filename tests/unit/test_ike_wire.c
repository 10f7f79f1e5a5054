/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/ike_wire: tcpdump's IKEv2 captures parsed and rebuilt, payload round trips, malformed input. */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/wire/ike_wire.h"
#include "check.h"
#include "ike_vectors.h"

#define MAXPL 8

/*
 * What tcpdump -vvv prints for each message (the .out files in tests/unit/vectors):
 * exchange, [I]/[R], msgid, the payload chain, and the length from the IP
 * header (IP length - 28). spi_r is 0 where tcpdump shows no cookie and the
 * capture's hex says so.
 */
static const struct want_msg {
	unsigned vec;
	uint64_t spi_i, spi_r;
	uint8_t exchange, flags;
	uint32_t msg_id, length;
	uint8_t pl[MAXPL];        /* payload types, 0-terminated */
	uint8_t crit[MAXPL];      /* critical bits */
	uint16_t sk_len;          /* "v2e: len=" */
} want[] = {
	{IKE_VEC_FOUR(1), 0xa88875a8198992a6, 0, IKE_SA_INIT, 0x08, 0, 376,
	 {IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY}, {0}, 0},
	{IKE_VEC_FOUR(2), 0xa88875a8198992a6, 0, IKE_SA_INIT, 0x20, 0, 60, {IKE_PL_NOTIFY}, {0}, 0},
	{IKE_VEC_FOUR(3), 0xa88875a8198992a6, 0, IKE_SA_INIT, 0x08, 0, 408,
	 {IKE_PL_NOTIFY, IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY}, {0}, 0},
	{IKE_VEC_FOUR(4), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_SA_INIT, 0x20, 0, 304,
	 {IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY}, {0}, 0},
	{IKE_VEC_FOUR(5), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_AUTH, 0x08, 1, 236, {IKE_PL_SK}, {0}, 204},
	{IKE_VEC_FOUR(6), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_AUTH, 0x20, 1, 156, {IKE_PL_SK}, {0}, 124},
	{IKE_VEC_FOUR(7), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 2, 252, {IKE_PL_SK}, {0}, 220},
	{IKE_VEC_FOUR(8), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 3, 220, {IKE_PL_SK}, {0}, 188},
	{IKE_VEC_FOUR(9), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 2, 76, {IKE_PL_SK}, {0}, 44},
	{IKE_VEC_FOUR(10), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 3, 76, {IKE_PL_SK}, {0}, 44},
	{IKE_VEC_FOUR(11), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 4, 284, {IKE_PL_SK}, {0}, 252},
	{IKE_VEC_FOUR(12), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 5, 252, {IKE_PL_SK}, {0}, 220},
	{IKE_VEC_FOUR(13), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 4, 204, {IKE_PL_SK}, {0}, 172},
	{IKE_VEC_FOUR(14), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 5, 204, {IKE_PL_SK}, {0}, 172},
	{IKE_VEC_FOUR(15), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 6, 284, {IKE_PL_SK}, {0}, 252},
	{IKE_VEC_FOUR(16), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 7, 252, {IKE_PL_SK}, {0}, 220},
	{IKE_VEC_FOUR(17), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 6, 204, {IKE_PL_SK}, {0}, 172},
	{IKE_VEC_FOUR(18), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 7, 204, {IKE_PL_SK}, {0}, 172},
	{IKE_VEC_FOUR(19), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x08, 8, 364, {IKE_PL_SK}, {0}, 332},
	{IKE_VEC_FOUR(20), 0xa88875a8198992a6, 0x71be8358efae7663, IKE_CREATE_CHILD_SA, 0x20, 8, 316, {IKE_PL_SK}, {0}, 284},
	{IKE_VEC_FOUR(21), 0x1d9be9451d4f97a8, 0x64a2a4b5d0e17b6a, IKE_INFORMATIONAL, 0x08, 0, 92, {IKE_PL_SK}, {0}, 60},
	{IKE_VEC_PI2(1), 0x0001020304050607, 0, IKE_SA_INIT, 0x08, 0, 508,
	 {IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_VENDOR}, {1, 0, 1, 0}, 0},
	{IKE_VEC_PI2(2), 0x0001020304050607, 0xc02e7a3031a03188, IKE_AUTH, 0x08, 0, 284, {IKE_PL_SK}, {1}, 252},
};

static size_t load(unsigned vec, uint8_t *buf, size_t cap)
{
	size_t n = ike_unhex(ike_vec_hex[vec], buf, cap);

	if (!n) {
		fprintf(stderr, "bad vector %u\n", vec);
		exit(2);
	}
	return n;
}

/* Header and chain of msg, parsed from an exact-length guarded copy. */
static int parse_msg(const uint8_t *msg, size_t len, struct ike_hdr_view *h, struct ike_chain *c,
		     struct tbuf *g)
{
	int rc;

	*g = tbuf_guarded(msg, len);
	rc = ike_hdr_parse(g->p, len, h);
	if (rc)
		return rc;
	return ike_chain_parse(h->next, g->p + IKE_HDR_LEN, len - IKE_HDR_LEN, c);
}

static void test_captures(void)
{
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct want_msg *w = &want[i];
		uint8_t buf[IKE_MAX_MSG];
		size_t len = load(w->vec, buf, sizeof(buf));
		struct ike_hdr_view h;
		struct ike_chain c;
		struct tbuf g;
		unsigned n = 0;

		CHECK_INT(parse_msg(buf, len, &h, &c, &g), IKE_PARSE_OK);
		CHECK_INT(len, w->length);
		CHECK_MSG(h.spi_i == w->spi_i, "vec %u spi_i %llx", w->vec, (unsigned long long)h.spi_i);
		CHECK_MSG(h.spi_r == w->spi_r, "vec %u spi_r %llx", w->vec, (unsigned long long)h.spi_r);
		CHECK_INT(h.version, 0x20);
		CHECK_INT(h.exchange, w->exchange);
		CHECK_INT(h.flags, w->flags);
		CHECK_INT(h.msg_id, w->msg_id);
		CHECK_INT(h.length, w->length);
		while (n < MAXPL && w->pl[n])
			n++;
		CHECK_MSG(c.n == n, "vec %u: %u payloads, want %u", w->vec, c.n, n);
		for (unsigned k = 0; k < n && k < c.n; k++) {
			CHECK_INT(c.pl[k].type, w->pl[k]);
			CHECK_INT(c.pl[k].critical, w->crit[k]);
		}
		if (w->sk_len) {
			const struct ike_payload *sk = ike_chain_find(&c, IKE_PL_SK);

			CHECK(sk != NULL);
			if (sk) {
				CHECK_INT(sk->len, w->sk_len);
				/* Every IKE_AUTH here starts its inner chain with IDi/IDr. */
				if (w->exchange == IKE_AUTH)
					CHECK_INT(sk->next, w->flags & IKE_FLAG_RESPONSE ? IKE_PL_IDR : IKE_PL_IDI);
			}
		}
		tbuf_free(&g);
	}
}

struct want_tr {
	uint8_t type;
	uint16_t id, key_len;
};

static void check_proposal(const struct ike_proposal *p, uint8_t num, unsigned n, const struct want_tr *t)
{
	CHECK_INT(p->num, num);
	CHECK_INT(p->proto, IKE_PROTO_IKE);
	CHECK_INT(p->spi_len, 0);
	CHECK_INT(p->n_tr, n);
	for (unsigned i = 0; i < n && i < p->n_tr; i++) {
		CHECK_INT(p->tr[i].type, t[i].type);
		CHECK_INT(p->tr[i].id, t[i].id);
		CHECK_INT(p->tr[i].key_len, t[i].key_len);
	}
}

static void check_bytes(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t w[512];
	size_t n = ike_unhex(hex, w, sizeof(w));

	CHECK_MSG(n == len && !memcmp(got, w, n), "bytes differ from %.16s...", hex);
}

/* The payload bodies of the IKE_SA_INIT messages against tcpdump's decode. */
static void test_capture_payloads(void)
{
	uint8_t buf[IKE_MAX_MSG];
	struct ike_hdr_view h;
	struct ike_chain c;
	struct ike_sa_view sa;
	struct ike_ke_view ke;
	struct ike_notify_view nv;
	struct tbuf g;
	size_t len;

	/* ikev2four #1: 12 transforms, AES key lengths 0x80/0x100/0xc0. */
	len = load(IKE_VEC_FOUR(1), buf, sizeof(buf));
	CHECK_INT(parse_msg(buf, len, &h, &c, &g), 0);
	CHECK_INT(c.pl[0].len, 116);
	CHECK_INT(ike_sa_parse(c.pl[0].body, c.pl[0].len, &sa), 0);
	CHECK_INT(sa.n, 1);
	check_proposal(&sa.p[0], 1, 12, (const struct want_tr[]){
		{IKE_TT_ENCR, 12, 128}, {IKE_TT_ENCR, 12, 256}, {IKE_TT_ENCR, 12, 192}, {IKE_TT_ENCR, 3, 0},
		{IKE_TT_PRF, 2, 0}, {IKE_TT_PRF, 1, 0}, {IKE_TT_PRF, 4, 0},
		{IKE_TT_INTEG, 2, 0}, {IKE_TT_INTEG, 1, 0}, {IKE_TT_INTEG, 5, 0},
		{IKE_TT_DH, 2, 0}, {IKE_TT_DH, 14, 0}});
	CHECK_INT(ike_ke_parse(c.pl[1].body, c.pl[1].len, &ke), 0);
	CHECK_INT(ke.group, 2);
	CHECK_INT(ke.len, 128);
	CHECK_INT(c.pl[2].len, 32);
	/* tcpdump prints the nonce's first 10 bytes, then "...", then the
	 * message's last 20: the NAT_DETECTION_DESTINATION_IP hash. */
	check_bytes(c.pl[2].body, 10, "6128ebd023a864e94a7f");
	CHECK_INT(ike_notify_parse(c.pl[3].body, c.pl[3].len, &nv), 0);
	CHECK_INT(nv.proto, 0);
	CHECK_INT(nv.type, IKE_N_NAT_DETECTION_SOURCE_IP);
	CHECK_INT(nv.data_len, 20);       /* SHA-1 of SPIs, address, port */
	CHECK_INT(ike_notify_parse(c.pl[4].body, c.pl[4].len, &nv), 0);
	CHECK_INT(nv.type, IKE_N_NAT_DETECTION_DESTINATION_IP);
	check_bytes(nv.data, nv.data_len, "ba041b5de59955900d818ac54e18b236739d9e8b");
	CHECK(ike_chain_notify(&c, IKE_N_NAT_DETECTION_DESTINATION_IP) == &c.pl[4]);
	CHECK(ike_chain_notify(&c, IKE_N_COOKIE) == NULL);
	CHECK(ike_chain_find(&c, IKE_PL_SK) == NULL);
	tbuf_free(&g);

	/* ikev2four #2: the responder's COOKIE. */
	len = load(IKE_VEC_FOUR(2), buf, sizeof(buf));
	CHECK_INT(parse_msg(buf, len, &h, &c, &g), 0);
	CHECK(ike_chain_notify(&c, IKE_N_COOKIE) == &c.pl[0]);
	CHECK_INT(ike_notify_parse(c.pl[0].body, c.pl[0].len, &nv), 0);
	CHECK_INT(nv.spi_len, 0);
	check_bytes(nv.data, nv.data_len, "00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6");
	tbuf_free(&g);

	/* ikev2four #4: the chosen proposal. */
	len = load(IKE_VEC_FOUR(4), buf, sizeof(buf));
	CHECK_INT(parse_msg(buf, len, &h, &c, &g), 0);
	CHECK_INT(c.pl[0].len, 44);
	CHECK_INT(ike_sa_parse(c.pl[0].body, c.pl[0].len, &sa), 0);
	CHECK_INT(sa.n, 1);
	check_proposal(&sa.p[0], 1, 4, (const struct want_tr[]){
		{IKE_TT_ENCR, 12, 128}, {IKE_TT_PRF, 2, 0}, {IKE_TT_INTEG, 2, 0}, {IKE_TT_DH, 2, 0}});
	check_bytes(c.pl[2].body, 10, "b31c379f272ce2984bd1");
	tbuf_free(&g);

	/* ikev2pI2 #1: six proposals, critical SA and nonce, a vendor ID. */
	len = load(IKE_VEC_PI2(1), buf, sizeof(buf));
	CHECK_INT(parse_msg(buf, len, &h, &c, &g), 0);
	CHECK_INT(c.pl[0].len, 240);
	CHECK_INT(ike_sa_parse(c.pl[0].body, c.pl[0].len, &sa), 0);
	CHECK_INT(sa.n, 6);
	{
		static const uint16_t encr[6] = {12, 12, 3, 3, 3, 3}, prf[6] = {2, 1, 2, 1, 2, 1},
				      dh[6] = {5, 5, 5, 5, 2, 2};

		for (unsigned i = 0; i < 6; i++)
			check_proposal(&sa.p[i], (uint8_t)(i + 1), 4, (const struct want_tr[]){
				{IKE_TT_ENCR, encr[i], 0}, {IKE_TT_INTEG, 2, 0}, {IKE_TT_PRF, prf[i], 0},
				{IKE_TT_DH, dh[i], 0}});
	}
	CHECK_INT(ike_ke_parse(c.pl[1].body, c.pl[1].len, &ke), 0);
	CHECK_INT(ke.group, 5);
	CHECK_INT(ke.len, 192);
	check_bytes(ke.data, 8, "ffbc6a92a6b9559b");
	check_bytes(c.pl[2].body, c.pl[2].len, "b5ce8419095c6e2b6b62d3055305b3c4");
	check_bytes(c.pl[3].body, c.pl[3].len, "4f45726c415c6e51756b5352");
	tbuf_free(&g);
}

/* The IKE_SA_INIT messages of ikev2four rebuilt with the writer from what
 * the parsers gave: byte for byte the capture. */
static void test_rebuild(void)
{
	for (unsigned m = 1; m <= 4; m++) {
		uint8_t buf[IKE_MAX_MSG], out[IKE_MAX_MSG];
		size_t len = load(IKE_VEC_FOUR(m), buf, sizeof(buf));
		struct ike_hdr_view h;
		struct ike_chain c;
		struct ike_w w;
		struct tbuf g;
		int n;

		CHECK_INT(parse_msg(buf, len, &h, &c, &g), 0);
		ike_w_init(&w, out, sizeof(out));
		ike_w_hdr(&w, h.spi_i, h.spi_r, h.exchange, h.flags, h.msg_id);
		for (unsigned i = 0; i < c.n; i++) {
			const struct ike_payload *p = &c.pl[i];
			struct ike_sa_view sa;
			struct ike_ke_view ke;
			struct ike_notify_view nv;

			switch (p->type) {
			case IKE_PL_SA:
				CHECK_INT(ike_sa_parse(p->body, p->len, &sa), 0);
				CHECK_INT(ike_w_sa(&w, &sa), 0);
				break;
			case IKE_PL_KE:
				CHECK_INT(ike_ke_parse(p->body, p->len, &ke), 0);
				ike_w_ke(&w, ke.group, ke.data, ke.len);
				break;
			case IKE_PL_NONCE:
				ike_w_nonce(&w, p->body, p->len);
				break;
			case IKE_PL_NOTIFY:
				CHECK_INT(ike_notify_parse(p->body, p->len, &nv), 0);
				ike_w_notify(&w, nv.proto, nv.spi, nv.spi_len, nv.type, nv.data, nv.data_len);
				break;
			default:
				CHECK_MSG(0, "unexpected payload %u", p->type);
			}
		}
		n = ike_w_finish(&w);
		CHECK_MSG(n == (int)len && !memcmp(out, buf, len), "ikev2four #%u rebuilt differs (%d/%zu)", m,
			  n, len);
		tbuf_free(&g);
	}
}

static int ts_eq(const struct ike_ts *a, const struct ike_ts *b)
{
	return a->proto == b->proto && a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       a->addr_lo == b->addr_lo && a->addr_hi == b->addr_hi;
}

/* Every payload the writer makes, parsed back. */
static void test_roundtrip(void)
{
	uint8_t out[IKE_MAX_MSG];
	struct ike_w w;
	struct ike_sa_view sa = {0}, sa2;
	struct ike_ts ts[2] = {{47, 0, 65535, 0x0a000001, 0x0a000001}, {0, 500, 4500, 0xc0a80000, 0xc0a800ff}};
	uint32_t spis[2] = {htonl(0x11223344), htonl(0xcafe0001)};
	const uint8_t espspi[4] = {0xc0, 0x01, 0xd0, 0x0d};
	const uint8_t pub[64] = {[0] = 0x42, [63] = 0x24}, nonce[32] = {[5] = 9};
	const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x07}, keyid[20] = {[19] = 0xaa};
	const uint8_t sig[] = {0xde, 0xad, 0xbe, 0xef}, vid[] = "dmvpn", cp[] = {1, 0, 0, 0, 0, 1, 0, 0};
	struct ike_hdr_view h;
	struct ike_chain c;
	struct tbuf g;
	int n;

	sa.n = 2;
	sa.p[0] = (struct ike_proposal){1, IKE_PROTO_IKE, 8, {1, 2, 3, 4, 5, 6, 7, 8}, 4,
		{{IKE_TT_ENCR, IKE_ENCR_AES_GCM16, 256}, {IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0},
		 {IKE_TT_DH, IKE_DH_ECP256, 0}, {IKE_TT_DH, IKE_DH_CURVE25519, 0}}};
	sa.p[1] = (struct ike_proposal){2, IKE_PROTO_ESP, 4, {0xc0, 0x01, 0xd0, 0x0d}, 3,
		{{IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128}, {IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
		 {IKE_TT_ESN, IKE_ESN_NO, 0}}};

	ike_w_init(&w, out, sizeof(out));
	ike_w_hdr(&w, 0x1122334455667788, 0x99aabbccddeeff00, IKE_CREATE_CHILD_SA, IKE_FLAG_RESPONSE, 7);
	CHECK_INT(ike_w_sa(&w, &sa), 0);
	ike_w_ke(&w, IKE_DH_ECP256, pub, sizeof(pub));
	ike_w_nonce(&w, nonce, sizeof(nonce));
	ike_w_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"spoke1", 6);
	ike_w_cert(&w, IKE_CERT_X509_SIG, der, sizeof(der));
	ike_w_certreq(&w, IKE_CERT_X509_SIG, keyid, sizeof(keyid));
	ike_w_auth(&w, IKE_AUTH_DIGITAL_SIG, sig, sizeof(sig));
	ike_w_notify(&w, IKE_PROTO_ESP, espspi, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_w_delete(&w, IKE_PROTO_ESP, spis, 2);
	ike_w_delete(&w, IKE_PROTO_IKE, NULL, 0);
	ike_w_ts(&w, IKE_PL_TSI, ts, 1);
	ike_w_ts(&w, IKE_PL_TSR, ts, 2);
	ike_w_vendor(&w, vid, 5);
	ike_w_raw(&w, IKE_PL_CP, 1, cp, sizeof(cp));
	n = ike_w_finish(&w);
	CHECK(n > 0);
	CHECK_INT(parse_msg(out, (size_t)n, &h, &c, &g), IKE_PARSE_OK);
	CHECK_INT(h.spi_i, 0x1122334455667788);
	CHECK(h.spi_r == 0x99aabbccddeeff00);
	CHECK_INT(h.exchange, IKE_CREATE_CHILD_SA);
	CHECK_INT(h.flags, IKE_FLAG_RESPONSE);
	CHECK_INT(h.msg_id, 7);
	CHECK_INT(h.length, n);
	CHECK_INT(c.n, 14);
	{
		static const uint8_t types[14] = {IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_IDI, IKE_PL_CERT,
			IKE_PL_CERTREQ, IKE_PL_AUTH, IKE_PL_NOTIFY, IKE_PL_DELETE, IKE_PL_DELETE, IKE_PL_TSI,
			IKE_PL_TSR, IKE_PL_VENDOR, IKE_PL_CP};

		for (unsigned i = 0; i < 14 && i < c.n; i++) {
			CHECK_INT(c.pl[i].type, types[i]);
			CHECK_INT(c.pl[i].critical, types[i] == IKE_PL_CP);
		}
	}
	if (c.n == 14) {
		struct ike_ke_view ke;
		struct ike_id_view id;
		struct ike_cert_view cv;
		struct ike_auth_view au;
		struct ike_notify_view nv;
		struct ike_delete_view d;
		struct ike_ts_view tv;

		CHECK_INT(ike_sa_parse(c.pl[0].body, c.pl[0].len, &sa2), 0);
		CHECK_INT(sa2.n, 2);
		for (unsigned i = 0; i < 2; i++) {
			CHECK_INT(sa2.p[i].num, sa.p[i].num);
			CHECK_INT(sa2.p[i].proto, sa.p[i].proto);
			CHECK_INT(sa2.p[i].spi_len, sa.p[i].spi_len);
			CHECK(!memcmp(sa2.p[i].spi, sa.p[i].spi, 8));
			CHECK_INT(sa2.p[i].n_tr, sa.p[i].n_tr);
			for (unsigned j = 0; j < sa.p[i].n_tr && j < sa2.p[i].n_tr; j++) {
				CHECK_INT(sa2.p[i].tr[j].type, sa.p[i].tr[j].type);
				CHECK_INT(sa2.p[i].tr[j].id, sa.p[i].tr[j].id);
				CHECK_INT(sa2.p[i].tr[j].key_len, sa.p[i].tr[j].key_len);
			}
		}
		CHECK_INT(ike_ke_parse(c.pl[1].body, c.pl[1].len, &ke), 0);
		CHECK_INT(ke.group, IKE_DH_ECP256);
		CHECK(ke.len == 64 && !memcmp(ke.data, pub, 64));
		CHECK(c.pl[2].len == 32 && !memcmp(c.pl[2].body, nonce, 32));
		CHECK_INT(ike_id_parse(c.pl[3].body, c.pl[3].len, &id), 0);
		CHECK(id.type == IKE_ID_FQDN && id.len == 6 && !memcmp(id.data, "spoke1", 6));
		CHECK_INT(ike_cert_parse(c.pl[4].body, c.pl[4].len, &cv), 0);
		CHECK(cv.encoding == IKE_CERT_X509_SIG && cv.len == sizeof(der) && !memcmp(cv.data, der, cv.len));
		CHECK_INT(ike_cert_parse(c.pl[5].body, c.pl[5].len, &cv), 0);
		CHECK(cv.encoding == IKE_CERT_X509_SIG && cv.len == 20 && !memcmp(cv.data, keyid, 20));
		CHECK_INT(ike_auth_parse(c.pl[6].body, c.pl[6].len, &au), 0);
		CHECK(au.method == IKE_AUTH_DIGITAL_SIG && au.len == 4 && !memcmp(au.data, sig, 4));
		CHECK_INT(ike_notify_parse(c.pl[7].body, c.pl[7].len, &nv), 0);
		CHECK(nv.proto == IKE_PROTO_ESP && nv.spi_len == 4 && !memcmp(nv.spi, espspi, 4));
		CHECK(nv.type == IKE_N_REKEY_SA && nv.data_len == 0);
		CHECK(ike_chain_notify(&c, IKE_N_REKEY_SA) == &c.pl[7]);
		CHECK_INT(ike_delete_parse(c.pl[8].body, c.pl[8].len, &d), 0);
		CHECK(d.proto == IKE_PROTO_ESP && d.spi_len == 4 && d.n_spis == 2);
		CHECK(d.spis[0] == spis[0] && d.spis[1] == spis[1]);
		CHECK_INT(ike_delete_parse(c.pl[9].body, c.pl[9].len, &d), 0);
		CHECK(d.proto == IKE_PROTO_IKE && d.spi_len == 0 && d.n_spis == 0);
		CHECK_INT(ike_ts_parse(c.pl[10].body, c.pl[10].len, &tv), 0);
		CHECK(tv.n == 1 && ts_eq(&tv.ts[0], &ts[0]));
		CHECK_INT(ike_ts_parse(c.pl[11].body, c.pl[11].len, &tv), 0);
		CHECK(tv.n == 2 && ts_eq(&tv.ts[0], &ts[0]) && ts_eq(&tv.ts[1], &ts[1]));
		CHECK(c.pl[12].len == 5 && !memcmp(c.pl[12].body, vid, 5));
		CHECK(c.pl[13].len == sizeof(cp) && !memcmp(c.pl[13].body, cp, sizeof(cp)));
	}
	tbuf_free(&g);

	/* A bare chain (SK plaintext): no header, first type recorded. */
	ike_w_init(&w, out, sizeof(out));
	ike_w_id(&w, IKE_PL_IDR, IKE_ID_IPV4, (const uint8_t *)"\x0a\x00\x00\x01", 4);
	ike_w_auth(&w, IKE_AUTH_PSK, sig, sizeof(sig));
	n = ike_w_finish(&w);
	CHECK_INT(n, 12 + 12);
	CHECK_INT(w.first, IKE_PL_IDR);
	CHECK_INT(ike_chain_parse(w.first, out, (size_t)n, &c), IKE_PARSE_OK);
	CHECK(c.n == 2 && c.pl[0].type == IKE_PL_IDR && c.pl[1].type == IKE_PL_AUTH);

	/* Writer overflow: every size short of the message fails cleanly. */
	for (size_t cap = 0; cap < 60; cap++) {
		uint8_t small[64];

		memset(small, 0xee, sizeof(small));
		ike_w_init(&w, small, cap);
		ike_w_hdr(&w, 1, 2, IKE_INFORMATIONAL, 0, 3);
		ike_w_notify(&w, IKE_PROTO_IKE, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
		ike_w_delete(&w, IKE_PROTO_ESP, spis, 2);
		n = ike_w_finish(&w);
		CHECK_MSG(cap >= 28 + 8 + 16 ? n == 52 : n == -ENOSPC, "cap %zu -> %d", cap, n);
		CHECK_MSG(small[cap] == 0xee, "wrote past cap %zu", cap);
	}
}

static int chain(const uint8_t *b, size_t len, uint8_t first)
{
	struct ike_chain c;
	struct tbuf g = tbuf_guarded(b, len);
	int rc = ike_chain_parse(first, g.p, len, &c);

	tbuf_free(&g);
	return rc;
}

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_malformed(void)
{
	uint8_t buf[IKE_MAX_MSG], big[4 * 40];
	size_t len = load(IKE_VEC_FOUR(1), buf, sizeof(buf));
	struct ike_hdr_view h;

	/* Header. */
	CHECK_INT(ike_hdr_parse(buf, 27, &h), IKE_PARSE_SHORT);
	CHECK_INT(ike_hdr_parse(buf, len - 1, &h), IKE_PARSE_LENGTH);
	buf[17] = 0x30;
	CHECK_INT(ike_hdr_parse(buf, len, &h), IKE_PARSE_VERSION);
	buf[17] = 0x10;                   /* IKEv1 */
	CHECK_INT(ike_hdr_parse(buf, len, &h), IKE_PARSE_VERSION);
	buf[17] = 0x21;                   /* minor version: ignored (2.5) */
	CHECK_INT(ike_hdr_parse(buf, len, &h), IKE_PARSE_OK);
	buf[17] = 0x20;
	buf[27]++;                        /* header length lies */
	CHECK_INT(ike_hdr_parse(buf, len, &h), IKE_PARSE_LENGTH);
	buf[27]--;

	/* Chains. */
	CHECK_INT(chain(B(0, 0, 0, 4), IKE_PL_NONCE), IKE_PARSE_OK);
	CHECK_INT(chain(B(0, 0, 0, 3), IKE_PL_NONCE), IKE_PARSE_SYNTAX);        /* length < 4 */
	CHECK_INT(chain(B(0, 0, 0, 9, 1, 2, 3, 4), IKE_PL_NONCE), IKE_PARSE_SHORT); /* lies: 9 > 8 */
	CHECK_INT(chain(B(0, 0, 0), IKE_PL_NONCE), IKE_PARSE_SHORT);
	CHECK_INT(chain(B(IKE_PL_NOTIFY, 0, 0, 4), IKE_PL_NONCE), IKE_PARSE_SHORT); /* next missing */
	CHECK_INT(chain(B(0, 0, 0, 4, 0xff), IKE_PL_NONCE), IKE_PARSE_SYNTAX);  /* trailing byte */
	CHECK_INT(chain(B(0, 0, 0, 4), IKE_PL_NONE), IKE_PARSE_SYNTAX);         /* bytes, no payload */
	CHECK_INT(chain(NULL, 0, IKE_PL_NONE), IKE_PARSE_OK);
	/* SK: its next is the inner type; it must be last. */
	CHECK_INT(chain(B(IKE_PL_IDI, 0, 0, 6, 0xaa, 0xbb), IKE_PL_SK), IKE_PARSE_OK);
	CHECK_INT(chain(B(IKE_PL_IDI, 0, 0, 6, 0xaa, 0xbb, 0, 0, 0, 4), IKE_PL_SK), IKE_PARSE_SYNTAX);
	CHECK_INT(chain(B(IKE_PL_SK, 0, 0, 4, IKE_PL_IDI, 0, 0, 4, 0, 0, 0, 4), IKE_PL_NONCE),
		  IKE_PARSE_SYNTAX);
	/* Too many payloads: 33 empty notifies. */
	for (unsigned i = 0; i < 40; i++) {
		big[4 * i] = i + 1 < 40 ? IKE_PL_VENDOR : 0;
		big[4 * i + 1] = 0;
		big[4 * i + 2] = 0;
		big[4 * i + 3] = 4;
	}
	CHECK_INT(chain(big, 4 * IKE_MAX_PAYLOADS, IKE_PL_VENDOR), IKE_PARSE_SHORT); /* 32nd says more */
	big[4 * (IKE_MAX_PAYLOADS - 1)] = 0;
	CHECK_INT(chain(big, 4 * IKE_MAX_PAYLOADS, IKE_PL_VENDOR), IKE_PARSE_OK);
	big[4 * (IKE_MAX_PAYLOADS - 1)] = IKE_PL_VENDOR;
	CHECK_INT(chain(big, sizeof(big), IKE_PL_VENDOR), IKE_PARSE_SYNTAX);

	/* Every truncation of every capture is refused, never read past. */
	for (unsigned v = 0; v < IKE_VEC_COUNT; v++) {
		size_t l = load(v, buf, sizeof(buf));

		for (size_t k = IKE_HDR_LEN; k < l; k++)
			CHECK_MSG(chain(buf + IKE_HDR_LEN, k - IKE_HDR_LEN, buf[16]) != IKE_PARSE_OK,
				  "vec %u cut at %zu parsed", v, k);
		CHECK_INT(chain(buf + IKE_HDR_LEN, l - IKE_HDR_LEN, buf[16]), IKE_PARSE_OK);
	}
}

static int sa_parse(const uint8_t *b, size_t len, struct ike_sa_view *sa)
{
	struct tbuf g = tbuf_guarded(b, len);
	int rc = ike_sa_parse(g.p, len, sa);

	tbuf_free(&g);
	return rc;
}

static void test_sa_malformed(void)
{
	struct ike_sa_view sa;
	/* One proposal, one transform (ENCR AES-CBC 128). */
	uint8_t ok[] = {0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 128};
	uint8_t b[sizeof(ok)];

	CHECK_INT(sa_parse(ok, sizeof(ok), &sa), 0);
	CHECK(sa.n == 1 && sa.p[0].n_tr == 1 && sa.p[0].tr[0].key_len == 128);
	CHECK_INT(sa_parse(ok, 0, &sa), -EINVAL);
	for (size_t k = 1; k < sizeof(ok); k++)
		CHECK_MSG(sa_parse(ok, k, &sa) == -EINVAL, "cut at %zu", k);
	memcpy(b, ok, sizeof(b));
	b[0] = 2;                          /* says another proposal follows */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[3] = 21;                         /* proposal length lies */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[7] = 2;                          /* two transforms claimed */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[7] = 0;                          /* none claimed, bytes left */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[11] = 13;                        /* transform length lies */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[8] = 3;                          /* "more transforms" on the last */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[6] = 9;                          /* SPI size 9 */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);
	memcpy(b, ok, sizeof(b));
	b[16] = 0x00;                      /* key length as TLV: value length 128 overruns */
	CHECK_INT(sa_parse(b, sizeof(b), &sa), -EINVAL);

	/* Ten proposals: eight kept, all checked. */
	{
		uint8_t ten[10 * 20];

		for (unsigned i = 0; i < 10; i++) {
			memcpy(ten + 20 * i, ok, 20);
			ten[20 * i] = i < 9 ? 2 : 0;
			ten[20 * i + 4] = (uint8_t)(i + 1);
		}
		CHECK_INT(sa_parse(ten, sizeof(ten), &sa), 0);
		CHECK_INT(sa.n, IKE_MAX_PROPOSALS);
		CHECK_INT(sa.p[7].num, 8);
		ten[9 * 20 + 3] = 21;
		CHECK_INT(sa_parse(ten, sizeof(ten), &sa), -EINVAL);
	}
	/* 40 transforms, the supported ones last: they are kept. */
	{
		uint8_t p[8 + 40 * 8];

		memset(p, 0, sizeof(p));
		p[2] = sizeof(p) >> 8;
		p[3] = sizeof(p) & 0xff;
		p[4] = 1;
		p[5] = IKE_PROTO_IKE;
		p[7] = 40;
		for (unsigned i = 0; i < 40; i++) {
			uint8_t *t = p + 8 + 8 * i;

			t[0] = i < 39 ? 3 : 0;
			t[3] = 8;
			t[4] = i < 36 ? IKE_TT_ENCR : IKE_TT_DH;
			t[7] = i < 36 ? 3 : (uint8_t[]){14, 19, 20, 31}[i - 36];   /* 3DES, then DH groups */
		}
		CHECK_INT(sa_parse(p, sizeof(p), &sa), 0);
		CHECK_INT(sa.p[0].n_tr, IKE_MAX_TRANSFORMS);
		for (uint16_t g = 0; g < 4; g++) {
			uint16_t id = (uint16_t[]){14, 19, 20, 31}[g];
			int found = 0;

			for (unsigned i = 0; i < sa.p[0].n_tr; i++)
				found |= sa.p[0].tr[i].type == IKE_TT_DH && sa.p[0].tr[i].id == id;
			CHECK_MSG(found, "DH %u dropped", id);
		}
	}
}

static void test_small_payloads_malformed(void)
{
	struct ike_notify_view nv;
	struct ike_delete_view d;
	struct ike_ts_view ts;
	struct ike_ke_view ke;
	struct ike_id_view id;
	struct ike_auth_view au;
	struct ike_cert_view cv;
	uint8_t del[4 + 17 * 4] = {IKE_PROTO_ESP, 4, 0, 17};
	uint8_t tsb[4 + 5 * 16] = {5};

	CHECK_INT(ike_notify_parse((const uint8_t[]){0, 0, 0x40}, 3, &nv), -EINVAL);
	CHECK_INT(ike_notify_parse((const uint8_t[]){3, 4, 0x40, 0x09, 1, 2, 3}, 7, &nv), -EINVAL);
	CHECK_INT(ike_notify_parse((const uint8_t[]){3, 4, 0x40, 0x09, 1, 2, 3, 4}, 8, &nv), 0);
	CHECK_INT(ike_delete_parse(del, sizeof(del), &d), -EINVAL);        /* 17 SPIs */
	del[3] = 16;
	CHECK_INT(ike_delete_parse(del, sizeof(del) - 4, &d), 0);
	CHECK_INT(d.n_spis, 16);
	CHECK_INT(ike_delete_parse(del, sizeof(del), &d), -EINVAL);        /* count vs length */
	CHECK_INT(ike_delete_parse((const uint8_t[]){IKE_PROTO_ESP, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8}, 12, &d),
		  -EINVAL);
	CHECK_INT(ike_delete_parse((const uint8_t[]){IKE_PROTO_IKE, 0, 0, 1}, 4, &d), -EINVAL);
	CHECK_INT(ike_delete_parse((const uint8_t[]){IKE_PROTO_IKE, 0, 0, 0}, 3, &d), -EINVAL);
	for (unsigned i = 0; i < 5; i++) {
		tsb[4 + 16 * i] = IKE_TS_IPV4_ADDR_RANGE;
		tsb[4 + 16 * i + 3] = 16;
	}
	CHECK_INT(ike_ts_parse(tsb, sizeof(tsb), &ts), -EINVAL);           /* 5 > IKE_MAX_TS */
	tsb[0] = 4;
	CHECK_INT(ike_ts_parse(tsb, sizeof(tsb) - 16, &ts), 0);
	CHECK_INT(ts.n, 4);
	tsb[4 + 16 * 3 + 3] = 17;                                          /* selector length lies */
	CHECK_INT(ike_ts_parse(tsb, sizeof(tsb) - 16, &ts), -EINVAL);
	tsb[4 + 16 * 3 + 3] = 16;
	tsb[4 + 16 * 3] = 8;                                               /* another type (IPv6): skipped */
	CHECK_INT(ike_ts_parse(tsb, sizeof(tsb) - 16, &ts), 0);
	CHECK_INT(ts.n, 3);
	tsb[0] = 0;
	CHECK_INT(ike_ts_parse(tsb, 4, &ts), -EINVAL);                     /* no selector */
	CHECK_INT(ike_ke_parse((const uint8_t[]){0, 19, 0}, 3, &ke), -EINVAL);
	CHECK_INT(ike_id_parse((const uint8_t[]){1, 0, 0}, 3, &id), -EINVAL);
	CHECK_INT(ike_auth_parse((const uint8_t[]){2, 0, 0}, 3, &au), -EINVAL);
	CHECK_INT(ike_cert_parse(NULL, 0, &cv), -EINVAL);
}

static void test_names(void)
{
	CHECK_STR(ike_exchange_name(IKE_AUTH), "IKE_AUTH");
	CHECK_STR(ike_payload_name(IKE_PL_SK), "SK");
	CHECK_STR(ike_notify_name(IKE_N_SIGNATURE_HASH_ALGORITHMS), "SIGNATURE_HASH_ALGORITHMS");
	CHECK_STR(ike_notify_name(IKE_N_NO_PROPOSAL_CHOSEN), "NO_PROPOSAL_CHOSEN");
	CHECK_STR(ike_notify_name(9999), "error");
	CHECK_STR(ike_parse_err_name(IKE_PARSE_VERSION), "bad version");
}

int main(void)
{
	test_captures();
	test_capture_payloads();
	test_rebuild();
	test_roundtrip();
	test_malformed();
	test_sa_malformed();
	test_small_payloads_malformed();
	test_names();
	return check_done("test_ike_wire");
}
