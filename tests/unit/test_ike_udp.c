/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/ike_udp: IKE's UDP datagrams (checksum, marker, lengths) and their IPv4 reassembly. */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/wire/ike_udp.h"
#include "lib/wire/proto.h"
#include "check.h"

static uint32_t A, B;            /* 192.0.2.11 -> 192.0.2.1 */

/* The RFC 768 checksum the long way: a reference independent of lib/wire/ipv4. */
static uint16_t ref_cksum(uint32_t src, uint32_t dst, const uint8_t *u, size_t n)
{
	uint8_t ph[12];
	uint64_t s = 0;

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	ph[10] = (uint8_t)(n >> 8);
	ph[11] = (uint8_t)n;
	for (size_t i = 0; i < 12; i += 2)
		s += (unsigned)ph[i] << 8 | ph[i + 1];
	for (size_t i = 0; i < n; i++)
		s += i % 2 ? u[i] : (unsigned)u[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = ~s & 0xffff;
	return (uint16_t)(s ? s : 0xffff);
}

/* A datagram: ports, then the payload; length and checksum as asked. */
static size_t dgram(uint8_t *u, uint16_t sport, uint16_t dport, const void *pl, size_t n,
		    int ulen_delta, int cksum)
{
	size_t ulen = 8 + n;
	uint16_t c;

	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((ulen + (size_t)ulen_delta) >> 8);
	u[5] = (uint8_t)(ulen + (size_t)ulen_delta);
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, n);
	if (cksum) {
		c = ref_cksum(A, B, u, ulen);
		if (cksum < 0)
			c ^= 0x0100;
		u[6] = (uint8_t)(c >> 8);
		u[7] = (uint8_t)c;
	}
	return ulen;
}

static const uint8_t ike[28] = {1, 2, 3, 4, 5, 6, 7, 8, [16] = 33, 0x20, 34, 0x08, [27] = 28};
static const uint8_t marked[32] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, [20] = 33, 0x20, 34, 0x08,
				   [31] = 28};

static void test_parse(void)
{
	static const struct {
		const char *name;
		uint16_t sport, dport;
		const uint8_t *pl;
		size_t n;
		int ulen_delta, cksum;
		size_t pad;              /* bytes after the datagram (Ethernet padding) */
		int want;
		size_t msg_off, msg_len; /* of the IKE message within the payload */
	} t[] = {
		{"500, checksum", 500, 500, ike, 28, 0, 1, 0, IKE_UDP_OK, 0, 28},
		{"500, no checksum", 500, 500, ike, 28, 0, 0, 0, IKE_UDP_OK, 0, 28},
		{"500, padded", 500, 500, ike, 28, 0, 1, 6, IKE_UDP_OK, 0, 28},
		{"500 from a NAT's port", 61234, 500, ike, 28, 0, 1, 0, IKE_UDP_OK, 0, 28},
		{"4500 with the marker", 4500, 4500, marked, 32, 0, 1, 0, IKE_UDP_OK, 4, 28},
		{"4500, the marker alone", 4500, 4500, marked, 4, 0, 1, 0, IKE_UDP_OK, 4, 0},
		{"4500 without the marker (ESP)", 4500, 4500, ike, 28, 0, 1, 0, IKE_UDP_MALFORMED, 0, 0},
		{"4500 shorter than the marker", 4500, 4500, marked, 3, 0, 0, 0, IKE_UDP_MALFORMED, 0, 0},
		{"bad checksum", 500, 500, ike, 28, 0, -1, 0, IKE_UDP_BAD_CHECKSUM, 0, 0},
		{"UDP length past the data", 500, 500, ike, 28, 1, 0, 0, IKE_UDP_MALFORMED, 0, 0},
		{"UDP length under 8", 500, 500, ike, 28, -29, 0, 0, IKE_UDP_MALFORMED, 0, 0},
		{"UDP length cuts the message", 500, 500, ike, 28, -8, 0, 0, IKE_UDP_OK, 0, 20},
		{"another port", 500, 501, ike, 28, 0, 1, 0, IKE_UDP_NOT_IKE, 0, 0},
		{"DNS", 53, 53, ike, 28, 0, 1, 0, IKE_UDP_NOT_IKE, 0, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t u[128] = {0};
		size_t n = dgram(u, t[i].sport, t[i].dport, t[i].pl, t[i].n, t[i].ulen_delta, t[i].cksum);
		struct ike_udp_msg m = {0};
		int rc = ike_udp_parse(A, B, u, n + t[i].pad, &m);

		CHECK_MSG(rc == t[i].want, "%s: %d, want %d", t[i].name, rc, t[i].want);
		if (rc || t[i].want)
			continue;
		CHECK_MSG(m.sport == t[i].sport && m.dport == t[i].dport, "%s: ports", t[i].name);
		CHECK_MSG(m.msg == u + 8 + t[i].msg_off && m.len == t[i].msg_len, "%s: message at %zd, %zu bytes",
			  t[i].name, m.msg - u - 8, m.len);
	}
	/* Fewer bytes than a UDP header: never read past them. */
	for (size_t n = 0; n < 8; n++) {
		struct tbuf b = tbuf_guarded("\x01\xf4\x01\xf4\x00\x08\x00", n);
		struct ike_udp_msg m;

		CHECK_MSG(ike_udp_parse(A, B, b.p, n, &m) == IKE_UDP_MALFORMED, "%zu bytes", n);
		tbuf_free(&b);
	}
}

static void test_build(void)
{
	static const struct {
		uint16_t sport, dport;
		int marker;
	} t[] = {{500, 500, 0}, {4500, 4500, 1}, {4500, 61000, 1}, {4500, 4500, 0}};
	uint8_t u[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n = ike_udp_build(A, t[i].sport, B, t[i].dport, t[i].marker, ike, 28, u, sizeof(u));
		struct ike_udp_msg m;
		uint8_t v[64];

		CHECK_INT(n, 8 + (t[i].marker ? 4 : 0) + 28);
		memcpy(v, u, sizeof(v));
		v[6] = v[7] = 0;
		CHECK_INT(u[6] << 8 | u[7], ref_cksum(A, B, v, (size_t)n));
		CHECK(!t[i].marker || !memcmp(u + 8, "\0\0\0\0", 4));
		if (t[i].dport == 500 || (t[i].dport == 4500 && t[i].marker)) {
			CHECK_INT(ike_udp_parse(A, B, u, (size_t)n, &m), IKE_UDP_OK);
			CHECK(m.len == 28 && !memcmp(m.msg, ike, 28));
		}
	}
	/* A NAT keepalive: one 0xFF, no marker, ESP's port. */
	CHECK_INT(ike_udp_build(A, 4500, B, 4500, 0, (const uint8_t *)"\xff", 1, u, sizeof(u)), 9);
	CHECK_INT(u[8], 0xff);
	CHECK_INT(ike_udp_build(A, 500, B, 500, 0, ike, 28, u, 35), -ENOSPC);
	CHECK_INT(ike_udp_build(A, 4500, B, 4500, 1, ike, 28, u, 39), -ENOSPC);
}

/* ---- reassembly ---- */

static struct ike_reasm r;

/* Offer the datagram u[0..n) as fragments of size bytes in the order given. */
static int offer(uint16_t id, const uint8_t *u, size_t n, size_t size, const int *order,
		 unsigned count, uint64_t now, const uint8_t **out, size_t *out_len)
{
	int rc = -1;

	for (unsigned k = 0; k < count; k++) {
		size_t off = (size_t)order[k] * size, len = off + size < n ? size : n - off;
		uint16_t frag = (uint16_t)(off / 8 | (off + size < n ? IPV4_MF : 0));

		rc = ike_reasm_add(&r, now, A, B, htons(id), frag, u + off, len, out, out_len);
	}
	return rc;
}

static void test_reasm(void)
{
	uint8_t msg[1200], u[1300];
	const uint8_t *out;
	size_t n, out_len;
	struct ike_udp_msg m;
	static const int in_order[] = {0, 1, 2}, reversed[] = {2, 1, 0}, dup[] = {0, 0, 2, 1, 1},
			 no_middle[] = {0, 2}, no_last[] = {0, 1};

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	n = (size_t)ike_udp_build(A, 500, B, 500, 0, msg, sizeof(msg), u, sizeof(u));
	memset(&r, 0, sizeof(r));
	CHECK_INT(offer(1, u, n, 504, in_order, 3, 0, &out, &out_len), IKE_REASM_DONE);
	CHECK(out_len == n && !memcmp(out, u, n));
	CHECK_INT(ike_udp_parse(A, B, out, out_len, &m), IKE_UDP_OK);
	CHECK_INT(offer(2, u, n, 504, reversed, 3, 0, &out, &out_len), IKE_REASM_DONE);
	CHECK(out_len == n && !memcmp(out, u, n));
	CHECK_INT(offer(3, u, n, 504, dup, 5, 0, &out, &out_len), IKE_REASM_KEPT); /* the dup after */
	CHECK_INT(r.done, 3);
	CHECK_INT(offer(4, u, n, 504, no_middle, 2, 0, &out, &out_len), IKE_REASM_KEPT);
	CHECK_INT(offer(5, u, n, 504, no_last, 2, 0, &out, &out_len), IKE_REASM_KEPT);
	/* The hole filled later completes it; a different ID does not. */
	CHECK_INT(offer(6, u, n, 504, (const int[]){1}, 1, 0, &out, &out_len), IKE_REASM_KEPT);
	CHECK_INT(offer(4, u, n, 504, (const int[]){1}, 1, 0, &out, &out_len), IKE_REASM_DONE);
	CHECK(out_len == n && !memcmp(out, u, n));
	CHECK_INT(r.dropped, 0);
	/* Stale parts go after the timeout, counted: 3's late duplicate, 5 and 6. */
	CHECK_INT(offer(5, u, n, 504, (const int[]){2}, 1, IKE_REASM_TIMEOUT_MS, &out, &out_len),
		  IKE_REASM_KEPT);
	CHECK_INT(r.dropped, 3);

	/* What is refused. */
	memset(&r, 0, sizeof(r));
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 7, IPV4_MF, u, 500, &out, &out_len), IKE_REASM_DROPPED);
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 8, IPV4_MF | 1, u, 0, &out, &out_len), IKE_REASM_DROPPED);
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 9, (IKE_REASM_MAX - 8) / 8, u, 16, &out, &out_len),
		  IKE_REASM_DROPPED);                       /* past the largest IKE datagram */
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 10, 100, u, 16, &out, &out_len), IKE_REASM_KEPT);
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 10, 101, u, 16, &out, &out_len), IKE_REASM_DROPPED);
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 11, 100, u, 16, &out, &out_len), IKE_REASM_KEPT);
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 11, IPV4_MF | 101, u, 16, &out, &out_len),
		  IKE_REASM_DROPPED);                       /* past the end the last one set */
	CHECK_INT(r.dropped, 5);
	/* A first fragment to another port keeps nothing. */
	u[3] = 53;
	CHECK_INT(ike_reasm_add(&r, 0, A, B, 12, IPV4_MF, u, 64, &out, &out_len), IKE_REASM_NOT_IKE);
	u[3] = 500 & 0xff;
	/* Nine at once: the oldest gives way. */
	memset(&r, 0, sizeof(r));
	for (uint16_t id = 0; id < IKE_REASM_SLOTS + 1; id++)
		CHECK_INT(ike_reasm_add(&r, id, A, B, id, IPV4_MF, u, 504, &out, &out_len), IKE_REASM_KEPT);
	CHECK_INT(r.dropped, 1);
	CHECK_INT(ike_reasm_add(&r, 20, A, B, 0, 504 / 8, u + 504, n - 504, &out, &out_len),
		  IKE_REASM_KEPT);                          /* id 0 went: this starts over */
	CHECK_INT(ike_reasm_add(&r, 20, A, B, 8, 504 / 8, u + 504, n - 504, &out, &out_len),
		  IKE_REASM_DONE);
	CHECK(out_len == n && !memcmp(out, u, n));
}

int main(void)
{
	inet_pton(AF_INET, "192.0.2.11", &A);
	inet_pton(AF_INET, "192.0.2.1", &B);
	test_parse();
	test_build();
	test_reasm();
	return check_done("test_ike_udp");
}
