/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/ipv4: checksums, header validation, TTL decrement, builder, address classes. */
#include <arpa/inet.h>

#include "lib/base/drop.h"
#include "lib/wire/ipv4.h"
#include "check.h"

/* Known answers computed with scapy (IP(...).chksum) and checked by hand. */
static const uint8_t ip1[20] = {	/* 192.0.2.1 > 192.0.2.11 GRE, id 0x1234, len 60 */
	0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x2f,
	0xe4, 0x52, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x0b,
};
static const uint8_t ip2[20] = {	/* tos 0xb8, DF, ttl 1, ICMP */
	0x45, 0xb8, 0x00, 0x54, 0xbe, 0xef, 0x40, 0x00, 0x01, 0x01,
	0xc7, 0xa6, 0xc6, 0x33, 0x64, 0x0b, 0xc6, 0x12, 0x02, 0x0a,
};
static const uint8_t ip3[20] = {	/* as ip2 with tos 0: what ipv4_build writes */
	0x45, 0x00, 0x00, 0x54, 0xbe, 0xef, 0x40, 0x00, 0x01, 0x01,
	0xc8, 0x5e, 0xc6, 0x33, 0x64, 0x0b, 0xc6, 0x12, 0x02, 0x0a,
};
static const uint8_t ipopt[24] = {	/* IHL 6 with a NOP,NOP,NOP,EOL option */
	0x46, 0x00, 0x00, 0x18, 0x00, 0x07, 0x00, 0x00, 0x40, 0x2f,
	0x63, 0xad, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
	0x01, 0x01, 0x01, 0x00,
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void test_checksum_kats(void)
{
	/* RFC 1071 section 3 example: sum ddf2, checksum 220d. */
	static const uint8_t rfc1071[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	static const struct {
		const char *name;
		const uint8_t *buf;
		size_t len;
		uint32_t sum;      /* inet_sum(0, ...), unfolded */
		uint16_t cksum;    /* host-order value of the stored checksum */
	} t[] = {
		{"rfc1071", rfc1071, 8, 0x2ddf0, 0x220d},
		{"rfc1071 odd tail", rfc1071, 7, 0x2dcf9, 0x2304},
		{"one byte", (const uint8_t *)"\x01", 1, 0x0100, 0xfeff},
		{"empty", rfc1071, 0, 0, 0xffff},
		{"zeros", (const uint8_t *)"\0\0\0\0", 4, 0, 0xffff},
		{"ffff", (const uint8_t *)"\xff\xff", 2, 0xffff, 0x0000},
		{"ip1 verifies", ip1, 20, 0x2fffd, 0x0000},
		{"ip2 verifies", ip2, 20, 0x3fffc, 0x0000},
		{"ipopt verifies", ipopt, 24, 0xffff, 0x0000},
	};
	uint8_t h[20];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint16_t c = inet_cksum(t[i].buf, t[i].len);

		CHECK_MSG(inet_sum(0, t[i].buf, t[i].len) == t[i].sum, "%s: sum %#x", t[i].name,
			  inet_sum(0, t[i].buf, t[i].len));
		CHECK_MSG(ntohs(c) == t[i].cksum, "%s: cksum %#x want %#x", t[i].name, ntohs(c),
			  t[i].cksum);
		CHECK_MSG(inet_fold(t[i].sum) == c, "%s: fold", t[i].name);
	}
	/* The checksum field of ip1/ip2 is what a zeroed header sums to. */
	memcpy(h, ip1, 20);
	h[10] = h[11] = 0;
	CHECK_INT(ntohs(inet_cksum(h, 20)), 0xe452);
	memcpy(h, ip2, 20);
	h[10] = h[11] = 0;
	CHECK_INT(ntohs(inet_cksum(h, 20)), 0xc7a6);
	/* Carries beyond 32 bits of input fold correctly. */
	CHECK_INT(ntohs(inet_fold(0xffffffffu)), 0x0000);
	CHECK_INT(ntohs(inet_fold(0x0001fffeu)), 0x0000);
	CHECK_INT(ntohs(inet_fold(0x00010000u)), 0xfffe);
}

/* ipv4_hdr20_ok (the fast path's verification) agrees with
 * ipv4_hdr_cksum on the known answers, on every single-bit error, and on
 * random headers, valid and not, including both zeros of the field. */
static void test_hdr20_ok(void)
{
	uint32_t seed = 1071, disagree = 0;
	uint8_t h[20];

	CHECK(ipv4_hdr20_ok(ip1));
	CHECK(ipv4_hdr20_ok(ip2));
	CHECK(ipv4_hdr20_ok(ip3));
	for (unsigned bit = 0; bit < 160; bit++) {
		memcpy(h, ip1, 20);
		h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_MSG(!ipv4_hdr20_ok(h), "bit %u flipped still verifies", bit);
	}
	for (uint32_t n = 0; n < 1000000; n++) {
		for (unsigned i = 0; i < 20; i++) {
			seed = seed * 1103515245u + 12345u;
			h[i] = (uint8_t)(seed >> 16);
		}
		h[0] = 0x45;
		if (n & 1) {
			uint16_t c;

			h[10] = h[11] = 0;
			c = ipv4_hdr_cksum(h, 20);
			memcpy(h + 10, &c, 2);
			if (n & 2 && c == 0)
				h[10] = h[11] = 0xff;
		}
		disagree += ipv4_hdr20_ok(h) != (ipv4_hdr_cksum(h, 20) == 0);
	}
	CHECK_MSG(disagree == 0, "%u random headers judged differently", disagree);
}

static void test_checksum_split(void)
{
	uint8_t buf[256];
	uint32_t seed = 1071;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)check_rand(&seed);
	/* Summing in even-sized pieces equals summing at once. */
	for (size_t n = 0; n <= sizeof(buf); n += 7)
		for (size_t k = 0; k <= n; k += 2)
			CHECK_MSG(inet_fold(inet_sum(inet_sum(0, buf, k), buf + k, n - k)) ==
				  inet_cksum(buf, n), "n %zu split %zu", n, k);
}

/* ipv4_parse on exact-length copies (guard page and malloc), which must agree. */
static int parse_exact(const uint8_t *pkt, size_t len, struct ipv4_info *out)
{
	struct tbuf g = tbuf_guarded(pkt, len);
	uint8_t *m = tbuf_malloc(pkt, len);
	struct ipv4_info o2;
	/* malloc'd copy first: under ASan its overflow report is the clearer one. */
	int rc2 = ipv4_parse(m, len, &o2);
	int rc = ipv4_parse(g.p, len, out);

	CHECK_MSG(rc == rc2, "guarded %d vs malloc %d at len %zu", rc, rc2, len);
	tbuf_free(&g);
	free(m);
	return rc;
}

struct patch {
	int off;          /* -1 ends the list */
	uint8_t val;
};

static void test_parse_table(void)
{
	static const struct {
		const char *name;
		struct patch p[4];
		int fix_cksum;       /* recompute over the (patched) IHL */
		size_t len;          /* bytes handed to the parser */
		int want;
		uint16_t hlen, tlen;
	} t[] = {
		{"good", {{-1, 0}}, 0, 60, DROP_NONE, 20, 60},
		{"ethernet padding", {{-1, 0}}, 0, 64, DROP_NONE, 20, 60},
		{"options ihl 6", {{0, 0x46}, {-1, 0}}, 1, 60, DROP_NONE, 24, 60},
		{"ihl 15 = total", {{0, 0x4f}, {-1, 0}}, 1, 60, DROP_NONE, 60, 60},
		{"version 6", {{0, 0x65}, {-1, 0}}, 1, 60, DROP_IPV4_VERSION},
		{"version 0", {{0, 0x05}, {-1, 0}}, 1, 60, DROP_IPV4_VERSION},
		{"version 15", {{0, 0xf5}, {-1, 0}}, 1, 60, DROP_IPV4_VERSION},
		{"ihl 4", {{0, 0x44}, {-1, 0}}, 0, 60, DROP_IPV4_HDRLEN},
		{"ihl 0", {{0, 0x40}, {-1, 0}}, 0, 60, DROP_IPV4_HDRLEN},
		{"ihl 15 > buffer", {{0, 0x4f}, {2, 0}, {3, 40}, {-1, 0}}, 0, 40, DROP_IPV4_TRUNCATED},
		{"ihl 6 > buffer", {{0, 0x46}, {2, 0}, {3, 20}, {-1, 0}}, 0, 20, DROP_IPV4_TRUNCATED},
		{"total_len 19", {{3, 19}, {-1, 0}}, 1, 60, DROP_IPV4_LENGTH},
		{"total_len 0", {{3, 0}, {-1, 0}}, 1, 60, DROP_IPV4_LENGTH},
		{"total_len < ihl 6", {{0, 0x46}, {3, 22}, {-1, 0}}, 1, 60, DROP_IPV4_LENGTH},
		{"total_len 20 ok", {{3, 20}, {-1, 0}}, 1, 60, DROP_NONE, 20, 20},
		{"total_len 61 > buffer", {{3, 61}, {-1, 0}}, 1, 60, DROP_IPV4_TRUNCATED},
		{"total_len 65535", {{2, 0xff}, {3, 0xff}, {-1, 0}}, 1, 60, DROP_IPV4_TRUNCATED},
		{"bad checksum", {{10, 0xe4}, {11, 0x53}, {-1, 0}}, 0, 60, DROP_IPV4_CHECKSUM},
		{"bad checksum ttl", {{8, 0x3f}, {-1, 0}}, 0, 60, DROP_IPV4_CHECKSUM},
		{"bad checksum in options", {{0, 0x46}, {-1, 0}}, 0, 60, DROP_IPV4_CHECKSUM},
		{"len 19", {{-1, 0}}, 0, 19, DROP_IPV4_TRUNCATED},
		{"len 0", {{-1, 0}}, 0, 0, DROP_IPV4_TRUNCATED},
	};
	uint8_t pkt[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ipv4_info o;
		int rc;

		memcpy(pkt, ip1, 20);
		for (int j = 20; j < 64; j++)
			pkt[j] = (uint8_t)(0xa0 + j);
		for (const struct patch *p = t[i].p; p->off >= 0; p++)
			pkt[p->off] = p->val;
		if (t[i].fix_cksum) {
			size_t hl = (size_t)(pkt[0] & 0xf) * 4;

			pkt[10] = pkt[11] = 0;
			if (hl >= 20) {
				uint16_t c = inet_cksum(pkt, hl);

				memcpy(pkt + 10, &c, 2);
			}
		}
		memset(&o, 0, sizeof(o));
		rc = parse_exact(pkt, t[i].len, &o);
		CHECK_MSG(rc == t[i].want, "%s: got %s want %s", t[i].name, dmvpn_drop_name((unsigned)rc),
			  dmvpn_drop_name((unsigned)t[i].want));
		if (rc || t[i].want)
			continue;
		CHECK_MSG(o.hlen == t[i].hlen, "%s: hlen %u", t[i].name, o.hlen);
		CHECK_MSG(o.total_len == t[i].tlen, "%s: total_len %u", t[i].name, o.total_len);
		CHECK_MSG(o.proto == 47 && o.ttl == 64 && o.frag == 0, "%s: fields", t[i].name);
		CHECK_MSG(o.src == htonl(0xc0000201) && o.dst == htonl(0xc000020b), "%s: addrs",
			  t[i].name);
	}
}

static void test_parse_fields(void)
{
	struct ipv4_info o;

	CHECK_INT(parse_exact(ip2, 20, &o), DROP_IPV4_TRUNCATED); /* total_len 84 */
	CHECK_INT(parse_exact(ipopt, 24, &o), DROP_NONE);
	CHECK_INT(o.hlen, 24);
	CHECK_INT(o.total_len, 24);
	CHECK_INT(o.ttl, 64);
	CHECK_INT(o.src, htonl(0x0a000001));
	CHECK_INT(o.dst, htonl(0x0a000002));
	{
		uint8_t p[84] = {0};

		memcpy(p, ip2, 20);
		CHECK_INT(parse_exact(p, 84, &o), DROP_NONE);
		CHECK_INT(o.frag, IPV4_DF);
		CHECK_INT(o.proto, 1);
		CHECK_INT(o.ttl, 1);
	}
}

/* Every prefix of a valid datagram is truncated, and nothing is read past it. */
static void test_truncation(void)
{
	static const uint8_t first[] = {0x45, 0x4f};
	uint8_t pkt[80];

	for (size_t v = 0; v < sizeof(first); v++) {
		size_t hl = (size_t)(first[v] & 0xf) * 4;
		struct ipv4_info o;
		uint16_t c;

		memset(pkt, 0x5a, sizeof(pkt));
		memcpy(pkt, ip1, 20);
		pkt[0] = first[v];
		pkt[3] = sizeof(pkt);
		pkt[10] = pkt[11] = 0;
		c = inet_cksum(pkt, hl);
		memcpy(pkt + 10, &c, 2);
		CHECK_INT(parse_exact(pkt, sizeof(pkt), &o), DROP_NONE);
		for (size_t n = 0; n < sizeof(pkt); n++)
			CHECK_MSG(parse_exact(pkt, n, &o) == DROP_IPV4_TRUNCATED, "ihl %zu len %zu",
				  hl, n);
	}
}

/* Reference: the checksum recomputed from scratch over the header. */
static uint16_t full_cksum(const uint8_t *h, size_t hl)
{
	uint8_t tmp[60];

	memcpy(tmp, h, hl);
	tmp[10] = tmp[11] = 0;
	return inet_cksum(tmp, hl);
}

static int ttl_case(uint8_t *h, size_t hl, const char *what, uint32_t n)
{
	struct ipv4_info o;
	uint8_t ttl = h[8];
	uint16_t want;
	int same, verifies;

	ipv4_ttl_decrement((struct ipv4_hdr *)h);
	want = full_cksum(h, hl);
	same = h[8] == (uint8_t)(ttl - 1) && memcmp(h + 10, &want, 2) == 0;
	verifies = ipv4_parse(h, hl, &o) == DROP_NONE;
	CHECK_MSG(same, "%s %u: ttl %u cksum %02x%02x, recomputed %04x", what, n, ttl, h[10],
		  h[11], ntohs(want));
	CHECK_MSG(verifies, "%s %u: header no longer verifies", what, n);
	return same && verifies;
}

static void test_ttl_decrement(void)
{
	static const uint8_t ttls[] = {0, 1, 2, 64, 128, 255};
	uint32_t seed = 1624, bad = 0;
	uint8_t h[60];

	/* KAT: ip3 with ttl 1 -> 0; the field moves by exactly 0x0100. */
	memcpy(h, ip3, 20);
	ipv4_ttl_decrement((struct ipv4_hdr *)h);
	CHECK_INT(h[8], 0);
	CHECK_INT(rd16(h + 10), 0xc95e);

	/* Every checksum value: sweep the ID for a few TTLs. This includes
	 * the header whose recomputed checksum is 0x0000 after the decrement
	 * (RFC 1624 section 3: an incremental update must not give 0xffff). */
	for (size_t t = 0; t < sizeof(ttls); t++)
		for (uint32_t id = 0; id <= 0xffff; id++) {
			ipv4_build((struct ipv4_hdr *)h, htonl(0xc0000201), htonl(0xc000020b), 47,
				   ttls[t], 20, (uint16_t)id, 0);
			bad += !ttl_case(h, 20, "id sweep", id);
		}
	/* Random headers, with and without options. */
	for (uint32_t n = 0; n < 200000; n++) {
		size_t hl = 20 + 4 * (check_rand(&seed) % 11);
		uint16_t c;

		for (size_t i = 0; i < hl; i++)
			h[i] = (uint8_t)check_rand(&seed);
		h[0] = (uint8_t)(0x40 | hl / 4);
		h[2] = 0;
		h[3] = (uint8_t)hl;
		if (h[8] == 0)
			h[8] = 1;       /* callers drop TTL <= 1 before; 0 would wrap */
		h[10] = h[11] = 0;
		c = inet_cksum(h, hl);
		memcpy(h + 10, &c, 2);
		bad += !ttl_case(h, hl, "random", n);
	}
	CHECK_MSG(bad == 0, "%u TTL decrements disagree with recomputation", bad);
}

static void test_build(void)
{
	struct ipv4_hdr h;
	struct ipv4_info o;
	uint8_t pkt[60] = {0};

	ipv4_build(&h, htonl(0xc0000201), htonl(0xc000020b), IPPROTO_GRE_, 64, 60, 0x1234, 0);
	CHECK(memcmp(&h, ip1, 20) == 0);
	ipv4_build(&h, htonl(0xc633640b), htonl(0xc612020a), IPPROTO_ICMP_, 1, 84, 0xbeef, IPV4_DF);
	CHECK(memcmp(&h, ip3, 20) == 0);
	/* Whatever it builds parses back to the same fields. */
	ipv4_build(&h, htonl(0x0a000001), htonl(0xe0000005), IPPROTO_UDP_, 255, 60, 0xffff,
		   IPV4_MF | 0x1fff);
	memcpy(pkt, &h, 20);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &o), DROP_NONE);
	CHECK_INT(o.frag, IPV4_MF | 0x1fff);
	CHECK_INT(o.proto, IPPROTO_UDP_);
	CHECK_INT(o.ttl, 255);
	CHECK_INT(o.dst, htonl(0xe0000005));
}

static void test_addr_classes(void)
{
	static const struct {
		uint32_t a;        /* host order */
		int martian, mcast;
	} t[] = {
		{0x00000000, 1, 0}, {0x00010203, 1, 0}, {0x00ffffff, 1, 0},
		{0x01000000, 0, 0}, {0x0a000001, 0, 0}, {0x7effffff, 0, 0},
		{0x7f000001, 1, 0}, {0x7fffffff, 1, 0}, {0x80000000, 0, 0},
		{0xc0000201, 0, 0}, {0xdfffffff, 0, 0}, {0xe0000000, 1, 1},
		{0xe0000005, 1, 1}, {0xefffffff, 1, 1}, {0xf0000000, 1, 0},
		{0xfffffffe, 1, 0}, {0xffffffff, 1, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_MSG(!!ipv4_is_martian(htonl(t[i].a)) == t[i].martian, "%08x martian", t[i].a);
		CHECK_MSG(!!ipv4_is_multicast(htonl(t[i].a)) == t[i].mcast, "%08x mcast", t[i].a);
	}
}

int main(void)
{
	test_checksum_kats();
	test_checksum_split();
	test_hdr20_ok();
	test_parse_table();
	test_parse_fields();
	test_truncation();
	test_ttl_decrement();
	test_build();
	test_addr_classes();
	return check_done("test_ipv4");
}
