/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/pkt: Ethernet type and whole-packet GRE decapsulation parsing. */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/base/drop.h"
#include "lib/wire/gre.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/pkt.h"
#include "check.h"

enum inner_kind {
	IN_IPV4 = 0,        /* valid 28-byte IPv4/ICMP datagram */
	IN_IPV4_BADSUM,     /* same, header checksum wrong */
	IN_IPV4_LIE,        /* same, total_len 60 but 28 bytes there */
	IN_IPV4_GRE,        /* valid IPv4 whose protocol is GRE again */
	IN_BYTES,           /* n_bytes of opaque payload (NHRP, ...) */
};

/* One packet to build: a valid outer IPv4/GRE/IPv4 unless told otherwise. */
struct spec {
	const char *name;
	uint8_t outer_proto;    /* 0: GRE */
	uint8_t outer_ihl;      /* 0: 5; 6 adds a NOP option word */
	uint16_t outer_frag;
	uint16_t gre_flags;     /* C/K/S decide which optional fields follow */
	uint16_t gre_proto;     /* 0: IPv4 */
	uint8_t inner;
	uint16_t n_bytes;
	uint8_t gre_csum_bad;
	int tlen_adj;           /* lie in the outer total_len */
	uint16_t pad;           /* bytes behind the datagram (Ethernet padding) */
	struct { int off; uint8_t val; } patch; /* applied last, off 0 = none */
	int fix_outer;          /* recompute the outer checksum after the patch */
	int want;
	uint16_t want_off, want_len;
};

#define K GRE_F_KEY
#define C GRE_F_CSUM
#define S GRE_F_SEQ

static const struct spec specs[] = {
	{"ipv4 in gre, key", .gre_flags = K, .want = DROP_NONE, .want_off = 28, .want_len = 28},
	{"ipv4 in gre, no key", .want = DROP_NONE, .want_off = 24, .want_len = 28},
	{"ipv4 in gre, key+seq", .gre_flags = K | S, .want = DROP_NONE, .want_off = 32,
	 .want_len = 28},
	{"ipv4 in gre, csum+key", .gre_flags = C | K, .want = DROP_NONE, .want_off = 32,
	 .want_len = 28},
	{"ipv4 in gre, csum+key+seq", .gre_flags = C | K | S, .want = DROP_NONE, .want_off = 36,
	 .want_len = 28},
	{"outer options", .outer_ihl = 6, .gre_flags = K, .want = DROP_NONE, .want_off = 32,
	 .want_len = 28},
	{"ethernet padding", .gre_flags = K, .pad = 6, .want = DROP_NONE, .want_off = 28,
	 .want_len = 28},
	{"outer DF", .outer_frag = IPV4_DF, .gre_flags = K, .want = DROP_NONE, .want_off = 28,
	 .want_len = 28},
	{"nested gre is not ours to judge", .gre_flags = K, .inner = IN_IPV4_GRE,
	 .want = DROP_NONE, .want_off = 28, .want_len = 28},
	{"nhrp", .gre_flags = K, .gre_proto = ETHERTYPE_NHRP, .inner = IN_BYTES, .n_bytes = 40,
	 .want = DROP_NONE, .want_off = 28, .want_len = 40},
	{"nhrp, one byte", .gre_proto = ETHERTYPE_NHRP, .inner = IN_BYTES, .n_bytes = 1,
	 .want = DROP_NONE, .want_off = 24, .want_len = 1},
	{"nhrp, padded", .gre_proto = ETHERTYPE_NHRP, .inner = IN_BYTES, .n_bytes = 2, .pad = 20,
	 .want = DROP_NONE, .want_off = 24, .want_len = 2},
	/* outer IPv4 */
	{"outer truncated by total_len", .gre_flags = K, .tlen_adj = 1, .want = DROP_IPV4_TRUNCATED},
	{"outer ihl > buffer", .gre_flags = K, .patch = {0, 0x4f}, .want = DROP_IPV4_TRUNCATED},
	{"outer version 6", .gre_flags = K, .patch = {0, 0x65}, .fix_outer = 1,
	 .want = DROP_IPV4_VERSION},
	{"outer ihl 4", .gre_flags = K, .patch = {0, 0x44}, .want = DROP_IPV4_HDRLEN},
	{"outer total_len < ihl", .gre_flags = K, .patch = {3, 19}, .fix_outer = 1,
	 .want = DROP_IPV4_LENGTH},
	{"outer checksum", .gre_flags = K, .patch = {8, 63}, .want = DROP_IPV4_CHECKSUM},
	{"outer not gre", .outer_proto = IPPROTO_UDP_, .want = DROP_LOCAL_UNHANDLED},
	{"outer ipip", .outer_proto = 4, .want = DROP_LOCAL_UNHANDLED},
	{"outer MF", .outer_frag = IPV4_MF, .gre_flags = K, .want = DROP_IPV4_FRAGMENT_LOCAL},
	{"outer offset", .outer_frag = 1, .gre_flags = K, .want = DROP_IPV4_FRAGMENT_LOCAL},
	{"outer last fragment", .outer_frag = IPV4_DF | 0x1fff, .gre_flags = K,
	 .want = DROP_IPV4_FRAGMENT_LOCAL},
	/* GRE */
	{"gre version 1", .gre_flags = K | 1, .want = DROP_GRE_VERSION},
	{"gre routing", .gre_flags = K | GRE_F_ROUTING, .want = DROP_GRE_FLAGS},
	{"gre bit 4 (strict source route)", .gre_flags = K | 0x0800, .want = DROP_GRE_FLAGS},
	{"gre bits 6-12 ignored", .gre_flags = K | 0x03f8, .want = DROP_NONE, .want_off = 28,
	 .want_len = 28},
	{"gre checksum", .gre_flags = C | K, .gre_csum_bad = 1, .want = DROP_GRE_CHECKSUM},
	{"gre 3 bytes", .inner = IN_BYTES, .tlen_adj = -1, .want = DROP_GRE_TRUNCATED},
	{"gre K, 6 bytes", .gre_flags = K, .inner = IN_BYTES, .tlen_adj = -2,
	 .want = DROP_GRE_TRUNCATED},
	{"gre C, 7 bytes", .gre_flags = C, .inner = IN_BYTES, .tlen_adj = -1,
	 .want = DROP_GRE_TRUNCATED},
	{"gre C+K+S, 12 bytes", .gre_flags = C | K | S, .inner = IN_BYTES, .tlen_adj = -4,
	 .want = DROP_GRE_TRUNCATED},
	{"gre K, total_len cuts the key", .gre_flags = K, .tlen_adj = -30,
	 .want = DROP_GRE_TRUNCATED},
	{"gre ipv6", .gre_flags = K, .gre_proto = 0x86dd, .inner = IN_BYTES, .n_bytes = 40,
	 .want = DROP_GRE_PROTO},
	{"gre transparent ethernet", .gre_proto = 0x6558, .inner = IN_BYTES, .n_bytes = 14,
	 .want = DROP_GRE_PROTO},
	{"gre keepalive (proto 0)", .gre_flags = K, .gre_proto = 0xffff, .inner = IN_BYTES,
	 .want = DROP_GRE_PROTO},
	/* inner */
	{"inner checksum", .gre_flags = K, .inner = IN_IPV4_BADSUM, .want = DROP_GRE_INNER_MALFORMED},
	{"inner total_len lies", .gre_flags = K, .inner = IN_IPV4_LIE,
	 .want = DROP_GRE_INNER_MALFORMED},
	{"inner cut by outer total_len", .gre_flags = K, .tlen_adj = -1,
	 .want = DROP_GRE_INNER_MALFORMED},
	{"inner cut to its header", .gre_flags = K, .tlen_adj = -9,
	 .want = DROP_GRE_INNER_MALFORMED},
	{"inner empty", .gre_flags = K, .inner = IN_BYTES, .want = DROP_GRE_INNER_MALFORMED},
	{"nhrp empty", .gre_flags = K, .gre_proto = ETHERTYPE_NHRP, .inner = IN_BYTES,
	 .want = DROP_GRE_INNER_MALFORMED},
};

static size_t build(const struct spec *s, uint8_t *buf)
{
	uint8_t ihl = s->outer_ihl ? s->outer_ihl : 5;
	size_t hl = ihl * 4u, off, gre_off, tlen;
	uint16_t flags = s->gre_flags, proto = s->gre_proto ? s->gre_proto : ETHERTYPE_IPV4;
	struct ipv4_hdr *oh = (struct ipv4_hdr *)buf;

	if (s->gre_proto == 0xffff)
		proto = 0;
	memset(buf, 0, 256);
	/* GRE header */
	gre_off = off = hl;
	buf[off++] = (uint8_t)(flags >> 8);
	buf[off++] = (uint8_t)flags;
	buf[off++] = (uint8_t)(proto >> 8);
	buf[off++] = (uint8_t)proto;
	if (flags & C)
		off += 4;               /* filled in below */
	if (flags & K) {
		uint32_t k = htonl(1000);

		memcpy(buf + off, &k, 4);
		off += 4;
	}
	if (flags & S) {
		uint32_t q = htonl(5);

		memcpy(buf + off, &q, 4);
		off += 4;
	}
	/* payload */
	if (s->inner == IN_BYTES) {
		for (unsigned i = 0; i < s->n_bytes; i++)
			buf[off + i] = (uint8_t)(0x10 + i);
		off += s->n_bytes;
	} else {
		struct ipv4_hdr *ih = (struct ipv4_hdr *)(buf + off);
		uint8_t p = s->inner == IN_IPV4_GRE ? IPPROTO_GRE_ : IPPROTO_ICMP_;

		ipv4_build(ih, htonl(0xc612010a), htonl(0xc612020a), p, 63,
			   s->inner == IN_IPV4_LIE ? 60 : 28, 7, 0);
		if (s->inner == IN_IPV4_BADSUM)
			ih->cksum ^= htons(0x0100);
		memcpy(buf + off + 20, "\x08\x00\xf7\xfd\x00\x01\x00\x01", 8);
		off += 28;
	}
	tlen = (size_t)((long)off + s->tlen_adj);
	if (flags & C) {
		/* Over the GRE bytes the outer header claims, lie included. */
		size_t glen = (tlen < off ? tlen : off) - gre_off;
		uint16_t c = inet_cksum(buf + gre_off, glen);

		if (s->gre_csum_bad)
			c ^= 0x0101;
		memcpy(buf + gre_off + 4, &c, 2);
	}
	ipv4_build(oh, htonl(0xc000020b), htonl(0xc0000201),
		   s->outer_proto ? s->outer_proto : IPPROTO_GRE_, 64, (uint16_t)tlen, 1,
		   s->outer_frag);
	if (ihl > 5) {
		oh->ver_ihl = (uint8_t)(0x40 | ihl);
		memset(buf + 20, 1, hl - 20);        /* NOPs */
		oh->cksum = 0;
		oh->cksum = inet_cksum(buf, hl);
	}
	if (s->patch.off || s->patch.val) {
		buf[s->patch.off] = s->patch.val;
		if (s->fix_outer) {
			oh->cksum = 0;
			oh->cksum = inet_cksum(buf, 20);
		}
	}
	/* The buffer ends with the bytes built (the lie is in the header). */
	return off + s->pad;
}

static int parse_exact(const uint8_t *pkt, size_t len, struct gre_decap *out)
{
	struct tbuf g = tbuf_guarded(pkt, len);
	uint8_t *m = tbuf_malloc(pkt, len);
	struct gre_decap o2;
	/* malloc'd copy first: under ASan its overflow report is the clearer one. */
	int rc2 = pkt_gre_decap_parse(m, len, &o2);
	int rc = pkt_gre_decap_parse(g.p, len, out);

	CHECK_MSG(rc == rc2, "guarded %d vs malloc %d at len %zu", rc, rc2, len);
	tbuf_free(&g);
	free(m);
	return rc;
}

static void test_decap_table(void)
{
	int seen[DROP__COUNT] = {0};
	static const int reachable[] = {
		DROP_NONE, DROP_IPV4_TRUNCATED, DROP_IPV4_VERSION, DROP_IPV4_HDRLEN,
		DROP_IPV4_LENGTH, DROP_IPV4_CHECKSUM, DROP_LOCAL_UNHANDLED,
		DROP_IPV4_FRAGMENT_LOCAL, DROP_GRE_TRUNCATED, DROP_GRE_VERSION, DROP_GRE_FLAGS,
		DROP_GRE_CHECKSUM, DROP_GRE_PROTO, DROP_GRE_INNER_MALFORMED,
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		uint8_t buf[256];
		struct gre_decap d;
		size_t len = build(s, buf);
		int rc;

		memset(&d, 0, sizeof(d));
		rc = parse_exact(buf, len, &d);
		CHECK_MSG(rc == s->want, "%s: got %s want %s", s->name, dmvpn_drop_name((unsigned)rc),
			  dmvpn_drop_name((unsigned)s->want));
		seen[rc < DROP__COUNT ? rc : 0] = 1;
		if (rc || s->want)
			continue;
		CHECK_MSG(d.inner_off == s->want_off, "%s: inner_off %u", s->name, d.inner_off);
		CHECK_MSG(d.inner_len == s->want_len, "%s: inner_len %u", s->name, d.inner_len);
		CHECK_MSG(d.outer.src == htonl(0xc000020b) && d.outer.dst == htonl(0xc0000201),
			  "%s: outer addresses", s->name);
		CHECK_MSG(d.outer.hlen + d.gre.hlen == d.inner_off, "%s: offsets", s->name);
		CHECK_MSG(d.inner_off + d.inner_len == d.outer.total_len, "%s: lengths", s->name);
		CHECK_MSG(d.gre.has_key == !!(s->gre_flags & K), "%s: has_key", s->name);
		if (s->gre_flags & K)
			CHECK_MSG(d.gre.key == 1000, "%s: key %u", s->name, d.gre.key);
		if (s->gre_flags & S)
			CHECK_MSG(d.gre.has_seq && d.gre.seq == 5, "%s: seq", s->name);
		if (d.gre.proto == ETHERTYPE_IPV4) {
			CHECK_MSG(d.inner.src == htonl(0xc612010a) && d.inner.dst == htonl(0xc612020a),
				  "%s: inner addresses", s->name);
			CHECK_MSG(d.inner.ttl == 63 && d.inner.total_len == 28, "%s: inner fields",
				  s->name);
		} else {
			CHECK_MSG(d.gre.proto == ETHERTYPE_NHRP, "%s: proto %#x", s->name, d.gre.proto);
			CHECK_MSG(buf[d.inner_off] == 0x10, "%s: payload offset", s->name);
		}
	}
	for (size_t i = 0; i < sizeof(reachable) / sizeof(reachable[0]); i++)
		CHECK_MSG(seen[reachable[i]], "no case yields %s",
			  dmvpn_drop_name((unsigned)reachable[i]));
}

/* Every prefix of each good packet: the outer total_len no longer fits. */
static void test_truncation(void)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		uint8_t buf[256];
		size_t len;

		if (s->want != DROP_NONE)
			continue;
		len = build(s, buf);
		for (size_t n = 0; n < len; n++) {
			struct gre_decap d;
			int want = n < len - s->pad ? DROP_IPV4_TRUNCATED : DROP_NONE;
			int rc = parse_exact(buf, n, &d);

			CHECK_MSG(rc == want, "%s: len %zu: got %s", s->name, n,
				  dmvpn_drop_name((unsigned)rc));
		}
	}
}

static void test_eth_type(void)
{
	static const struct {
		size_t len;
		uint8_t t0, t1;
		uint16_t want;
	} t[] = {
		{14, 0x08, 0x00, ETHERTYPE_IPV4},
		{60, 0x08, 0x06, ETHERTYPE_ARP},
		{14, 0x81, 0x00, 0x8100},          /* VLAN tags are not stripped */
		{14, 0x86, 0xdd, 0x86dd},
		{13, 0x08, 0x00, 0},
		{0, 0x08, 0x00, 0},
	};
	uint8_t frame[60];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tbuf g;
		size_t l3 = 12345;
		uint16_t et;

		memset(frame, 0xab, sizeof(frame));
		frame[12] = t[i].t0;
		frame[13] = t[i].t1;
		g = tbuf_guarded(frame, t[i].len);
		et = pkt_eth_type(g.p, t[i].len, &l3);
		tbuf_free(&g);
		CHECK_MSG(et == t[i].want, "case %zu: type %#x", i, et);
		CHECK_MSG(l3 == (t[i].want ? ETH_HLEN : 12345u), "case %zu: l3off %zu", i, l3);
	}
}

/* Captured packets (the fuzz seed corpus, from tcpdump's test suite) with
 * the verdicts tcpdump's own decoding implies. */
static void test_captures(const char *dir)
{
	static const struct {
		const char *file;
		int want;
		uint16_t off, len;
		int has_key;
		uint32_t key;
	} t[] = {
		{"nhrp_registration_request", DROP_NONE, 28, 108, 1, 2},
		{"nhrp_registration_reply", DROP_NONE, 28, 128, 1, 2},
		{"ios_nhrp_registration", DROP_NONE, 24, 81, 0, 0},
		{"various_gre_key_8909", DROP_GRE_PROTO},
		{"various_gre_key_keepalive", DROP_GRE_PROTO},
		{"various_gre_cdp", DROP_GRE_PROTO},
		{"various_gre_94", DROP_GRE_PROTO},
		{"various_gre_136", DROP_GRE_PROTO},
		{"gre_heapoverflow_1", DROP_IPV4_VERSION},
		{"gre_heapoverflow_2", DROP_IPV4_TRUNCATED},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[512];
		uint8_t buf[2048];
		struct gre_decap d;
		FILE *f;
		size_t n;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, t[i].file);
		f = fopen(path, "rb");
		CHECK_MSG(f, "%s: %s", path, strerror(errno));
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		rc = parse_exact(buf, n, &d);
		CHECK_MSG(rc == t[i].want, "%s: got %s", t[i].file, dmvpn_drop_name((unsigned)rc));
		if (rc || t[i].want)
			continue;
		CHECK_MSG(d.gre.proto == ETHERTYPE_NHRP, "%s: proto %#x", t[i].file, d.gre.proto);
		CHECK_MSG(d.inner_off == t[i].off && d.inner_len == t[i].len, "%s: %u+%u", t[i].file,
			  d.inner_off, d.inner_len);
		CHECK_MSG(d.gre.has_key == t[i].has_key && d.gre.key == t[i].key, "%s: key", t[i].file);
		/* NHRP fixed header: afn 1 (IPv4), protocol type 0x0800. */
		CHECK_MSG(buf[d.inner_off] == 0 && buf[d.inner_off + 1] == 1 &&
			  buf[d.inner_off + 2] == 0x08 && buf[d.inner_off + 3] == 0x00,
			  "%s: NHRP header", t[i].file);
	}
}

int main(int argc, char **argv)
{
	test_decap_table();
	test_truncation();
	test_eth_type();
	if (argc > 1)
		test_captures(argv[1]);
	else
		printf("test_pkt: no corpus directory given, captures skipped\n");
	return check_done("test_pkt");
}
