/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/arp: RFC 826 request/reply building and parsing. */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/wire/arp.h"
#include "check.h"

/* Frames from scapy: Ether()/ARP(op=1, ...) and Ether()/ARP(op=2, ...). */
static const uint8_t req_kat[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc0, 0x00, 0x02, 0x0b,
};
static const uint8_t reply_kat[42] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x0b, 0xc0, 0x00, 0x02, 0x0b, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,
};
static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac11[6] = {0x02, 0, 0, 0, 0, 0x0b};

static int parse_exact(const uint8_t *p, size_t len, struct arp_info *out)
{
	struct tbuf g = tbuf_guarded(p, len);
	uint8_t *m = tbuf_malloc(p, len);
	struct arp_info o2;
	/* malloc'd copy first: under ASan its overflow report is the clearer one. */
	int rc2 = arp_parse(m, len, &o2);
	int rc = arp_parse(g.p, len, out);

	CHECK_MSG(rc == rc2, "guarded %d vs malloc %d at len %zu", rc, rc2, len);
	tbuf_free(&g);
	free(m);
	return rc;
}

static void test_build_kat(void)
{
	uint8_t buf[64];

	memset(buf, 0xcc, sizeof(buf));
	/* A request goes to broadcast with a zero target MAC whatever tha says. */
	CHECK_INT(arp_build(buf, ARP_OP_REQUEST, mac1, htonl(0xc0000201), mac11, htonl(0xc000020b)),
		  42);
	CHECK(!memcmp(buf, req_kat, 42));
	CHECK(buf[42] == 0xcc);
	CHECK_INT(arp_build(buf, ARP_OP_REPLY, mac11, htonl(0xc000020b), mac1, htonl(0xc0000201)),
		  42);
	CHECK(!memcmp(buf, reply_kat, 42));
}

static void test_parse_good(void)
{
	struct arp_info a;
	uint8_t padded[60] = {0};

	CHECK_INT(parse_exact(req_kat + ETH_HLEN, 28, &a), 0);
	CHECK_INT(a.op, ARP_OP_REQUEST);
	CHECK(!memcmp(a.sha, mac1, 6));
	CHECK(!memcmp(a.tha, "\0\0\0\0\0\0", 6));
	CHECK_INT(a.spa, htonl(0xc0000201));
	CHECK_INT(a.tpa, htonl(0xc000020b));

	CHECK_INT(parse_exact(reply_kat + ETH_HLEN, 28, &a), 0);
	CHECK_INT(a.op, ARP_OP_REPLY);
	CHECK(!memcmp(a.sha, mac11, 6));
	CHECK(!memcmp(a.tha, mac1, 6));
	CHECK_INT(a.spa, htonl(0xc000020b));
	CHECK_INT(a.tpa, htonl(0xc0000201));

	/* Minimum Ethernet frames carry 18 bytes of padding behind the ARP. */
	memcpy(padded, req_kat, 42);
	CHECK_INT(parse_exact(padded + ETH_HLEN, sizeof(padded) - ETH_HLEN, &a), 0);
	CHECK_INT(a.tpa, htonl(0xc000020b));
}

static void test_parse_bad(void)
{
	static const struct {
		const char *name;
		int off;
		uint8_t val;
	} t[] = {
		{"htype 6 (IEEE 802)", 1, 6},
		{"htype high byte", 0, 1},
		{"ptype IPv6", 2, 0x86},
		{"ptype low byte", 3, 0x06},
		{"hlen 8", 4, 8},
		{"hlen 0", 4, 0},
		{"plen 16", 5, 16},
		{"op 0", 7, 0},
		{"op 3 (RARP request)", 7, 3},
		{"op 4 (RARP reply)", 7, 4},
		{"op high byte", 6, 1},
	};
	uint8_t p[28];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct arp_info a;

		memcpy(p, req_kat + ETH_HLEN, 28);
		p[t[i].off] = t[i].val;
		CHECK_MSG(parse_exact(p, 28, &a) == -EINVAL, "%s accepted", t[i].name);
	}
}

static void test_truncation(void)
{
	for (size_t n = 0; n < 28; n++) {
		struct arp_info a;

		CHECK_MSG(parse_exact(reply_kat + ETH_HLEN, n, &a) == -EINVAL, "len %zu accepted", n);
	}
}

static void test_round_trip(void)
{
	uint32_t seed = 826;

	for (int i = 0; i < 1000; i++) {
		uint8_t sha[6], tha[6], buf[42];
		uint32_t spa = check_rand(&seed), tpa = check_rand(&seed);
		uint16_t op = (check_rand(&seed) & 1) ? ARP_OP_REQUEST : ARP_OP_REPLY;
		struct arp_info a;

		for (int k = 0; k < 6; k++) {
			sha[k] = (uint8_t)check_rand(&seed);
			tha[k] = (uint8_t)check_rand(&seed);
		}
		CHECK_INT(arp_build(buf, op, sha, spa, tha, tpa), 42);
		CHECK_INT(buf[12] << 8 | buf[13], ETHERTYPE_ARP);
		CHECK(!memcmp(buf + 6, sha, 6));
		CHECK_INT(parse_exact(buf + ETH_HLEN, 28, &a), 0);
		CHECK_INT(a.op, op);
		CHECK(!memcmp(a.sha, sha, 6));
		CHECK_INT(a.spa, spa);
		CHECK_INT(a.tpa, tpa);
		if (op == ARP_OP_REPLY) {
			CHECK(!memcmp(buf, tha, 6));
			CHECK(!memcmp(a.tha, tha, 6));
		} else {
			CHECK(!memcmp(buf, "\xff\xff\xff\xff\xff\xff", 6));
			CHECK(!memcmp(a.tha, "\0\0\0\0\0\0", 6));
		}
	}
}

int main(void)
{
	test_build_kat();
	test_parse_good();
	test_parse_bad();
	test_truncation();
	test_round_trip();
	return check_done("test_arp");
}
