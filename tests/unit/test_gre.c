/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/gre: RFC 2784/2890 header parsing, checksum, truncation and building. */
#include <arpa/inet.h>

#include "lib/base/drop.h"
#include "lib/wire/gre.h"
#include "lib/wire/ipv4.h"
#include "check.h"

/* Checksum, key 1000 and sequence 7 around an ICMP echo; checksum 0x4410
 * from scapy (GRE(chksum_present=1, key_present=1, seqnum_present=1)). */
static const uint8_t gre_cks[50] = {
	0xb0, 0x00, 0x08, 0x00, 0x44, 0x10, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,
	0x00, 0x00, 0x00, 0x07, 0x45, 0x00, 0x00, 0x22, 0x00, 0x01, 0x00, 0x00,
	0x3f, 0x01, 0xec, 0xa1, 0xc6, 0x12, 0x01, 0x0a, 0xc6, 0x12, 0x02, 0x0a,
	0x08, 0x00, 0xae, 0xfe, 0x00, 0x01, 0x00, 0x01, 0x64, 0x6d, 0x76, 0x70,
	0x6e, 0x21,
};
/* Checksum only, NHRP protocol type, odd-length payload (checksum 0x56ca). */
static const uint8_t gre_cks_odd[23] = {
	0x80, 0x00, 0x20, 0x01, 0x56, 0xca, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x34, 0x00,
};

static int parse_exact(const uint8_t *pkt, size_t len, struct gre_info *out)
{
	struct tbuf g = tbuf_guarded(pkt, len);
	uint8_t *m = tbuf_malloc(pkt, len);
	struct gre_info o2;
	/* malloc'd copy first: under ASan its overflow report is the clearer one. */
	int rc2 = gre_parse(m, len, &o2);
	int rc = gre_parse(g.p, len, out);

	CHECK_MSG(rc == rc2, "guarded %d vs malloc %d at len %zu", rc, rc2, len);
	tbuf_free(&g);
	free(m);
	return rc;
}

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_parse_table(void)
{
	/* Not static: the packets are compound literals. */
	const struct {
		const char *name;
		const uint8_t *pkt;
		size_t len;
		int want;
		uint16_t hlen, proto;
		uint8_t has_csum, has_key, has_seq;
		uint32_t key, seq;
	} t[] = {
		{"plain", B(0x00, 0x00, 0x08, 0x00), DROP_NONE, 4, 0x0800},
		{"plain with payload", B(0x00, 0x00, 0x08, 0x00, 0x45, 0x00), DROP_NONE, 4, 0x0800},
		{"key", B(0x20, 0x00, 0x20, 0x01, 0x00, 0x00, 0x03, 0xe8), DROP_NONE, 8, 0x2001,
		 0, 1, 0, 1000},
		{"key max", B(0x20, 0x00, 0x08, 0x00, 0xff, 0xff, 0xff, 0xfe), DROP_NONE, 8, 0x0800,
		 0, 1, 0, 0xfffffffe},
		{"seq", B(0x10, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x07), DROP_NONE, 8, 0x0800,
		 0, 0, 1, 0, 7},
		{"key+seq", B(0x30, 0x00, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x80, 0x00, 0x00, 0x01),
		 DROP_NONE, 12, 0x0800, 0, 1, 1, 0x01020304, 0x80000001},
		{"csum+key+seq KAT", gre_cks, sizeof(gre_cks), DROP_NONE, 16, 0x0800, 1, 1, 1, 1000, 7},
		{"csum odd length KAT", gre_cks_odd, sizeof(gre_cks_odd), DROP_NONE, 8, 0x2001, 1},
		{"csum, header only", B(0x80, 0x00, 0x08, 0x00, 0x77, 0xff, 0x00, 0x00), DROP_NONE,
		 8, 0x0800, 1},
		{"csum wrong", B(0x80, 0x00, 0x08, 0x00, 0x77, 0xfe, 0x00, 0x00), DROP_GRE_CHECKSUM},
		{"csum, reserved1 counted", B(0x80, 0x00, 0x08, 0x00, 0x77, 0xff, 0x00, 0x01),
		 DROP_GRE_CHECKSUM},
		{"unknown proto still parses", B(0x00, 0x00, 0x86, 0xdd), DROP_NONE, 4, 0x86dd},
		{"version 1 (PPTP)", B(0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0), DROP_GRE_VERSION},
		{"version 7", B(0x00, 0x07, 0x08, 0x00), DROP_GRE_VERSION},
		{"version before flags", B(0x40, 0x01, 0x08, 0x00), DROP_GRE_VERSION},
		{"routing bit", B(0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0), DROP_GRE_FLAGS},
		{"csum+routing", B(0xc0, 0x00, 0x08, 0x00, 0, 0, 0, 0), DROP_GRE_FLAGS},
		/* RFC 2784 2.3: bits 1-5 set means discard, bits 6-12 are ignored. */
		{"strict source route (bit 4)", B(0x08, 0x00, 0x08, 0x00), DROP_GRE_FLAGS},
		{"bit 5", B(0x04, 0x00, 0x08, 0x00), DROP_GRE_FLAGS},
		{"bits 1-5", B(0x4c, 0x00, 0x08, 0x00), DROP_GRE_FLAGS},
		{"bit 6 ignored", B(0x02, 0x00, 0x08, 0x00), DROP_NONE, 4, 0x0800},
		{"bit 12 ignored", B(0x00, 0x08, 0x08, 0x00), DROP_NONE, 4, 0x0800},
		{"bits 6-12 ignored, key kept", B(0x23, 0xf8, 0x08, 0x00, 0, 0, 3, 0xe8), DROP_NONE, 8,
		 0x0800, 0, 1, 0, 1000},
		{"empty", B(0x00), DROP_GRE_TRUNCATED},
		{"3 bytes", B(0x00, 0x00, 0x08), DROP_GRE_TRUNCATED},
		/* Lying flags: an optional field announced but not there. */
		{"C bit, 4 bytes", B(0x80, 0x00, 0x08, 0x00), DROP_GRE_TRUNCATED},
		{"C bit, 7 bytes", B(0x80, 0x00, 0x08, 0x00, 0x77, 0xff, 0x00), DROP_GRE_TRUNCATED},
		{"K bit, 4 bytes", B(0x20, 0x00, 0x08, 0x00), DROP_GRE_TRUNCATED},
		{"K bit, 7 bytes", B(0x20, 0x00, 0x08, 0x00, 0, 0, 3), DROP_GRE_TRUNCATED},
		{"S bit, 6 bytes", B(0x10, 0x00, 0x08, 0x00, 0, 0), DROP_GRE_TRUNCATED},
		{"K+S, 8 bytes", B(0x30, 0x00, 0x08, 0x00, 0, 0, 3, 0xe8), DROP_GRE_TRUNCATED},
		{"K+S, 11 bytes", B(0x30, 0x00, 0x08, 0x00, 0, 0, 3, 0xe8, 0, 0, 0), DROP_GRE_TRUNCATED},
		{"C+K, 8 bytes", B(0xa0, 0x00, 0x08, 0x00, 0x57, 0xff, 0x00, 0x00), DROP_GRE_TRUNCATED},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct gre_info o;
		int rc;

		memset(&o, 0xee, sizeof(o));
		rc = parse_exact(t[i].pkt, t[i].len, &o);
		CHECK_MSG(rc == t[i].want, "%s: got %s want %s", t[i].name, dmvpn_drop_name((unsigned)rc),
			  dmvpn_drop_name((unsigned)t[i].want));
		if (rc || t[i].want)
			continue;
		CHECK_MSG(o.hlen == t[i].hlen, "%s: hlen %u", t[i].name, o.hlen);
		CHECK_MSG(o.proto == t[i].proto, "%s: proto %#x", t[i].name, o.proto);
		CHECK_MSG(o.has_csum == t[i].has_csum && o.has_key == t[i].has_key &&
			  o.has_seq == t[i].has_seq, "%s: flags %u%u%u", t[i].name, o.has_csum,
			  o.has_key, o.has_seq);
		CHECK_MSG(o.key == t[i].key, "%s: key %#x", t[i].name, o.key);
		CHECK_MSG(o.seq == t[i].seq, "%s: seq %#x", t[i].name, o.seq);
	}
}

/* Every prefix of valid packets: truncated until the header is complete,
 * then (checksum aside) the same header; never a read past the end. */
static void test_truncation(void)
{
	static const uint8_t plain[] = {0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x14};
	static const uint8_t ks[] = {0x30, 0x00, 0x20, 0x01, 0, 0, 3, 0xe8, 0, 0, 0, 9, 0x00, 0x01};
	static const struct {
		const uint8_t *pkt;
		size_t len;
		uint16_t hlen;
	} t[] = {
		{plain, sizeof(plain), 4},
		{ks, sizeof(ks), 12},
		{gre_cks, sizeof(gre_cks), 16},
		{gre_cks_odd, sizeof(gre_cks_odd), 8},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int csum = t[i].pkt[0] & 0x80;

		for (size_t n = 0; n <= t[i].len; n++) {
			struct gre_info o;
			int rc = parse_exact(t[i].pkt, n, &o);
			int want;

			/* The checksum is verified as soon as its field is there,
			 * before the key and sequence number are looked for. */
			if (n < 4 || (csum && n < 8))
				want = DROP_GRE_TRUNCATED;
			else if (csum && inet_cksum(t[i].pkt, n) != 0)
				want = DROP_GRE_CHECKSUM;
			else if (n < t[i].hlen)
				want = DROP_GRE_TRUNCATED;
			else
				want = DROP_NONE;

			CHECK_MSG(rc == want, "packet %zu len %zu: got %s want %s", i, n,
				  dmvpn_drop_name((unsigned)rc), dmvpn_drop_name((unsigned)want));
			if (rc == DROP_NONE)
				CHECK_MSG(o.hlen == t[i].hlen, "packet %zu len %zu: hlen %u", i, n, o.hlen);
		}
	}
	/* The full checksummed packets verify; so a shorter prefix must not. */
	CHECK_INT(inet_cksum(gre_cks, sizeof(gre_cks)), 0);
	CHECK_INT(inet_cksum(gre_cks_odd, sizeof(gre_cks_odd)), 0);
}

/* A single flipped bit anywhere in a checksummed packet is caught, except
 * the C bit itself: clearing it turns verification off (RFC 2784). */
static void test_checksum_bitflips(void)
{
	uint8_t p[sizeof(gre_cks)];

	for (size_t bit = 0; bit < sizeof(p) * 8; bit++) {
		struct gre_info o;
		int rc;

		if (bit == 7)
			continue;
		memcpy(p, gre_cks, sizeof(p));
		p[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		rc = gre_parse(p, sizeof(p), &o);
		CHECK_MSG(rc != DROP_NONE, "bit %zu flipped and accepted", bit);
	}
}

static void test_build(void)
{
	static const struct {
		uint16_t proto;
		int has_key;
		uint32_t key;
		size_t len;
		uint8_t bytes[8];
	} t[] = {
		{0x0800, 0, 0, 4, {0x00, 0x00, 0x08, 0x00}},
		{0x2001, 0, 1000, 4, {0x00, 0x00, 0x20, 0x01}},
		{0x0800, 1, 1000, 8, {0x20, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0xe8}},
		{0x2001, 1, 0, 8, {0x20, 0x00, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00}},
		{0x0800, 1, 0xfedcba98, 8, {0x20, 0x00, 0x08, 0x00, 0xfe, 0xdc, 0xba, 0x98}},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[16];
		struct gre_info o;
		size_t n;

		memset(buf, 0xcc, sizeof(buf));
		n = gre_build(buf, t[i].proto, t[i].has_key, t[i].key);
		CHECK_MSG(n == t[i].len, "case %zu: len %zu", i, n);
		CHECK_MSG(!memcmp(buf, t[i].bytes, t[i].len), "case %zu: bytes", i);
		CHECK_MSG(buf[t[i].len] == 0xcc, "case %zu: wrote past the header", i);
		/* Round trip through the parser. */
		CHECK_INT(parse_exact(buf, n, &o), DROP_NONE);
		CHECK_INT(o.hlen, n);
		CHECK_INT(o.proto, t[i].proto);
		CHECK_INT(o.has_key, !!t[i].has_key);
		if (t[i].has_key)
			CHECK_INT(o.key, t[i].key);
		CHECK_INT(o.has_csum, 0);
		CHECK_INT(o.has_seq, 0);
	}
}

int main(void)
{
	test_parse_table();
	test_truncation();
	test_checksum_bitflips();
	test_build();
	return check_done("test_gre");
}
