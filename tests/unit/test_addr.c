/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/base/addr: IPv4 address, prefix and MAC text forms. */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/base/addr.h"
#include "check.h"

static void test_addr_parse(void)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t a;      /* host order */
	} t[] = {
		{"0.0.0.0", 0, 0},
		{"192.0.2.1", 0, 0xc0000201},
		{"255.255.255.255", 0, 0xffffffff},
		{"10.1.2.3", 0, 0x0a010203},
		{"", -EINVAL},
		{"1.2.3", -EINVAL},
		{"1.2.3.4.5", -EINVAL},
		{"256.1.1.1", -EINVAL},
		{"1.2.3.4 ", -EINVAL},
		{" 1.2.3.4", -EINVAL},
		{"1.2.3.4/32", -EINVAL},
		{"a.b.c.d", -EINVAL},
		{"1..2.3", -EINVAL},
		{"1.2.3.-1", -EINVAL},
		{"01.2.3.4", -EINVAL},     /* no octal-looking octets */
		{"0x1.2.3.4", -EINVAL},
		{"::1", -EINVAL},
		{"1.2.3.4\n", -EINVAL},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t a = 0x5a5a5a5a;
		int rc = addr_parse(t[i].s, &a);

		CHECK_MSG(rc == t[i].rc, "'%s': rc %d", t[i].s, rc);
		if (t[i].rc == 0)
			CHECK_MSG(a == htonl(t[i].a), "'%s': %08x", t[i].s, ntohl(a));
	}
	{
		uint32_t a;

		CHECK_INT(addr_parse(NULL, &a), -EINVAL);
	}
}

static void test_prefix_parse(void)
{
	static const struct {
		const char *s;
		int allow_host;
		int rc;
		uint32_t a;
		uint8_t plen;
	} t[] = {
		{"10.0.0.0/8", 0, 0, 0x0a000000, 8},
		{"0.0.0.0/0", 0, 0, 0, 0},
		{"192.0.2.1/32", 0, 0, 0xc0000201, 32},
		{"192.0.2.1/24", 0, 0, 0xc0000201, 24},     /* host bits are the caller's call */
		{"255.255.255.255/32", 0, 0, 0xffffffff, 32},
		{"192.0.2.1", 1, 0, 0xc0000201, 32},
		{"192.0.2.1", 0, -EINVAL},
		{"192.0.2.1/24", 1, 0, 0xc0000201, 24},
		{"10.0.0.0/33", 0, -EINVAL},
		{"10.0.0.0/-1", 0, -EINVAL},
		{"10.0.0.0/", 0, -EINVAL},
		{"/8", 0, -EINVAL},
		{"/8", 1, -EINVAL},
		{"10.0.0.0/8x", 0, -EINVAL},
		{"10.0.0.0/8/8", 0, -EINVAL},
		{"10.0.0.0//8", 0, -EINVAL},
		{"10.0.0.256/8", 0, -EINVAL},
		{"10.0.0/8", 0, -EINVAL},
		{"255.255.255.2550/8", 0, -EINVAL},      /* longer than an address */
		{"1111111111111111111/8", 0, -EINVAL},
		{"10.0.0.0/99999999999999999999", 0, -EINVAL},
		{"10.0.0.0/08", 0, 0, 0x0a000000, 8},
		{"10.0.0.0/+8", 0, -EINVAL},
		{"10.0.0.0/ 8", 0, -EINVAL},
		{"10.0.0.0/-0", 0, -EINVAL},       /* not a way to write a default route */
		{"10.0.0.0/8 ", 0, -EINVAL},
		{"", 1, -EINVAL},
		{"", 0, -EINVAL},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t a = 0x5a5a5a5a;
		uint8_t plen = 99;
		int rc = prefix_parse(t[i].s, t[i].allow_host, &a, &plen);

		CHECK_MSG(rc == t[i].rc, "'%s' host %d: rc %d", t[i].s, t[i].allow_host, rc);
		if (t[i].rc == 0)
			CHECK_MSG(a == htonl(t[i].a) && plen == t[i].plen, "'%s': %08x/%u", t[i].s,
				  ntohl(a), plen);
	}
	{
		uint32_t a;
		uint8_t plen;

		CHECK_INT(prefix_parse(NULL, 1, &a, &plen), -EINVAL);
	}
}

static void test_prefix_mask(void)
{
	static const struct {
		uint8_t plen;
		uint32_t mask;   /* host order */
	} t[] = {
		{0, 0}, {1, 0x80000000}, {8, 0xff000000}, {16, 0xffff0000}, {23, 0xfffffe00},
		{24, 0xffffff00}, {30, 0xfffffffc}, {31, 0xfffffffe}, {32, 0xffffffff},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_MSG(prefix_mask(t[i].plen) == htonl(t[i].mask), "/%u: %08x", t[i].plen,
			  ntohl(prefix_mask(t[i].plen)));
}

static void test_mac_parse(void)
{
	static const struct {
		const char *s;
		int rc;
		uint8_t mac[6];
	} t[] = {
		{"02:00:00:00:00:01", 0, {2, 0, 0, 0, 0, 1}},
		{"ff:ff:ff:ff:ff:ff", 0, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"FF:ff:Ab:cD:00:09", 0, {0xff, 0xff, 0xab, 0xcd, 0x00, 0x09}},
		{"2:0:0:0:0:a", 0, {2, 0, 0, 0, 0, 0xa}},
		{"", -EINVAL},
		{"02:00:00:00:00", -EINVAL},
		{"02:00:00:00:00:", -EINVAL},
		{"02:00:00:00:00:01:02", -EINVAL},
		{"02:00:00:00:00:01x", -EINVAL},
		{"02:00:00:00:00:01 ", -EINVAL},
		{"02-00-00-00-00-01", -EINVAL},
		{"0200.0000.0001", -EINVAL},
		{"zz:00:00:00:00:00", -EINVAL},
		{"002:00:00:00:00:01", -EINVAL},
		{"02:00:00:00:00:100", -EINVAL},
		{"-1:-1:-1:-1:-1:-1", -EINVAL},    /* %x alone reads ff */
		{"+2:0:0:0:0:1", -EINVAL},
		{" 02:00:00:00:00:01", -EINVAL},
		{"02: 00:00:00:00:01", -EINVAL},
		{"0x:0:0:0:0:1", -EINVAL},
		{"02::00:00:00:01", -EINVAL},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t mac[6];
		int rc;

		memset(mac, 0x5a, sizeof(mac));
		rc = mac_parse(t[i].s, mac);
		CHECK_MSG(rc == t[i].rc, "'%s': rc %d", t[i].s, rc);
		if (t[i].rc == 0)
			CHECK_MSG(!memcmp(mac, t[i].mac, 6), "'%s': bytes", t[i].s);
	}
	{
		uint8_t mac[6];

		CHECK_INT(mac_parse(NULL, mac), -EINVAL);
	}
}

/* Formatters write into buffers of exactly the documented size (a guard
 * page right behind), and what they write parses back. */
static void test_format(void)
{
	static const struct {
		uint32_t a;
		uint8_t plen;
		const char *addr, *prefix;
	} t[] = {
		{0, 0, "0.0.0.0", "0.0.0.0/0"},
		{0xc0000201, 24, "192.0.2.1", "192.0.2.1/24"},
		{0xffffffff, 32, "255.255.255.255", "255.255.255.255/32"},
		{0xc6336400, 24, "198.51.100.0", "198.51.100.0/24"},
	};
	static const uint8_t mac[6] = {0x02, 0xab, 0xcd, 0xef, 0x00, 0xff};
	struct tbuf b;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b = tbuf_guarded(NULL, ADDR_STRLEN);
		CHECK_STR(addr_fmt(htonl(t[i].a), (char *)b.p), t[i].addr);
		tbuf_free(&b);
		b = tbuf_guarded(NULL, PREFIX_STRLEN);
		CHECK_STR(prefix_fmt(htonl(t[i].a), t[i].plen, (char *)b.p), t[i].prefix);
		tbuf_free(&b);
	}
	b = tbuf_guarded(NULL, MAC_STRLEN);
	CHECK_STR(mac_fmt(mac, (char *)b.p), "02:ab:cd:ef:00:ff");
	tbuf_free(&b);

	{
		uint32_t seed = 4632;

		for (int i = 0; i < 10000; i++) {
			char abuf[ADDR_STRLEN], pbuf[PREFIX_STRLEN], mbuf[MAC_STRLEN];
			uint32_t a = check_rand(&seed), a2 = 0;
			uint8_t plen = (uint8_t)(check_rand(&seed) % 33), plen2 = 0, m[6], m2[6];

			for (int k = 0; k < 6; k++)
				m[k] = (uint8_t)check_rand(&seed);
			CHECK(addr_parse(addr_fmt(a, abuf), &a2) == 0 && a2 == a);
			CHECK(prefix_parse(prefix_fmt(a, plen, pbuf), 0, &a2, &plen2) == 0 && a2 == a &&
			      plen2 == plen);
			CHECK(mac_parse(mac_fmt(m, mbuf), m2) == 0 && !memcmp(m, m2, 6));
		}
	}
}

int main(void)
{
	test_addr_parse();
	test_prefix_parse();
	test_prefix_mask();
	test_mac_parse();
	test_format();
	return check_done("test_addr");
}
