/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/rtnl: route messages as the kernel sends them, and lying ones. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "lib/wire/rtnl.h"
#include "check.h"

#define MAX_ROUTES 8

struct got {
	unsigned n;
	struct rtnl_route r[MAX_ROUTES];
};

static void collect(void *arg, const struct rtnl_route *r)
{
	struct got *g = arg;

	if (g->n < MAX_ROUTES)
		g->r[g->n] = *r;
	g->n++;
}

/* A message builder: header, rtmsg, then attributes appended. */
struct msg {
	uint8_t b[512] __attribute__((aligned(8)));
	size_t len;          /* of the whole buffer (several messages) */
	size_t start;        /* of the open message */
};

static void msg_begin(struct msg *m, uint16_t type, uint8_t family, uint8_t plen, uint8_t table,
		      uint8_t rtype)
{
	struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg))};
	struct rtmsg rm = {.rtm_family = family, .rtm_dst_len = plen, .rtm_table = table,
			   .rtm_protocol = 12, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = rtype};

	m->start = m->len;
	memcpy(m->b + m->len, &h, sizeof(h));
	memcpy(m->b + m->len + NLMSG_HDRLEN, &rm, sizeof(rm));
	m->len += NLMSG_LENGTH(sizeof(rm));
}

static void msg_attr(struct msg *m, uint16_t type, const void *v, size_t n)
{
	struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type};

	memcpy(m->b + m->len, &a, sizeof(a));
	memcpy(m->b + m->len + RTA_LENGTH(0), v, n);
	m->len += RTA_ALIGN(RTA_LENGTH(n));
}

static void msg_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_attr(m, type, &v, 4);
}

static void msg_end(struct msg *m)
{
	uint32_t n = (uint32_t)(m->len - m->start);

	memcpy(m->b + m->start, &n, 4);
	m->len = NLMSG_ALIGN(m->len);
}

/* Walk m from exactly len bytes: malloc'ed (ASan) and, when aligned, before a guard page. */
static int walk(const struct msg *m, size_t len, struct got *g)
{
	uint8_t *h = tbuf_malloc(m->b, len ? len : 1);  /* malloc(0) may give NULL */
	struct got g2 = {0};
	int rc = rtnl_routes_walk(h, len, collect, g), rc2;

	free(h);
	if (len % 4 == 0) {
		struct tbuf t = tbuf_guarded(m->b, len);

		rc2 = rtnl_routes_walk(t.p, len, collect, &g2);
		tbuf_free(&t);
		CHECK_MSG(rc2 == rc && g2.n == g->n, "guarded walk differs: %d/%d", rc2, rc);
	}
	return rc;
}

static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

static void test_routes(void)
{
	struct msg m = {0};
	struct got g = {0};

	/* What BIRD's route through the TUN looks like, then its removal. */
	msg_begin(&m, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN, RTN_UNICAST);
	msg_u32(&m, RTA_TABLE, RT_TABLE_MAIN);
	msg_u32(&m, RTA_DST, ip("198.18.2.7"));
	msg_u32(&m, RTA_GATEWAY, ip("198.51.100.12"));
	msg_u32(&m, RTA_OIF, 5);
	msg_u32(&m, RTA_PRIORITY, 32);
	msg_end(&m);
	msg_begin(&m, RTM_DELROUTE, AF_INET, 16, RT_TABLE_MAIN, RTN_UNICAST);
	msg_u32(&m, RTA_DST, ip("198.18.0.0"));
	msg_u32(&m, RTA_OIF, 5);
	msg_end(&m);
	/* Skipped: IPv6, another table (by header and by attribute), NLMSG_DONE. */
	msg_begin(&m, RTM_NEWROUTE, AF_INET6, 64, RT_TABLE_MAIN, RTN_UNICAST);
	msg_end(&m);
	msg_begin(&m, RTM_NEWROUTE, AF_INET, 8, RT_TABLE_LOCAL, RTN_LOCAL);
	msg_u32(&m, RTA_DST, ip("127.0.0.0"));
	msg_end(&m);
	msg_begin(&m, RTM_NEWROUTE, AF_INET, 8, RT_TABLE_UNSPEC, RTN_UNICAST);
	msg_u32(&m, RTA_TABLE, 1000);
	msg_u32(&m, RTA_DST, ip("10.0.0.0"));
	msg_end(&m);
	msg_begin(&m, NLMSG_DONE, 0, 0, 0, 0);
	msg_end(&m);
	/* ECMP, and a table given only as an attribute. */
	msg_begin(&m, RTM_NEWROUTE, AF_INET, 32, RT_TABLE_UNSPEC, RTN_UNICAST);
	msg_u32(&m, RTA_TABLE, RT_TABLE_MAIN);
	msg_u32(&m, RTA_DST, ip("192.0.2.99"));
	msg_attr(&m, RTA_MULTIPATH, "\x08\x00\x00\x00\x05\x00\x00\x00", 8);
	msg_end(&m);

	CHECK_INT(walk(&m, m.len, &g), 3);
	CHECK_INT(g.n, 3);
	CHECK(!g.r[0].del && g.r[0].unicast && !g.r[0].multipath);
	CHECK_INT(g.r[0].plen, 24);
	CHECK(g.r[0].dst == ip("198.18.2.0"));   /* masked */
	CHECK(g.r[0].gw == ip("198.51.100.12"));
	CHECK_INT(g.r[0].oif, 5);
	CHECK(g.r[1].del && g.r[1].plen == 16 && g.r[1].dst == ip("198.18.0.0") && !g.r[1].gw);
	CHECK(g.r[2].multipath && g.r[2].plen == 32 && g.r[2].dst == ip("192.0.2.99"));

	/* Every cut of the buffer: never a read outside, never more routes. */
	for (size_t len = 0; len < m.len; len++) {
		struct got c = {0};
		int rc = walk(&m, len, &c);

		CHECK_MSG(rc == -EINVAL || (rc >= 0 && rc <= 3 && (unsigned)rc == c.n),
			  "cut at %zu: %d", len, rc);
	}
}

static void test_malformed(void)
{
	static const struct {
		const char *name;
		size_t off;       /* into the first message; byte patched */
		uint8_t v;
	} t[] = {
		{"nlmsg_len beyond the buffer", 1, 0x10},
		{"rtmsg cut: nlmsg_len below it", 0, NLMSG_HDRLEN + 4},
		{"attribute length beyond the message", NLMSG_LENGTH(sizeof(struct rtmsg)), 0x40},
		{"attribute length below its header", NLMSG_LENGTH(sizeof(struct rtmsg)), 2},
		{"RTA_DST of 3 bytes", NLMSG_LENGTH(sizeof(struct rtmsg)) + 8, 7},
		{"prefix length 33", NLMSG_HDRLEN + 1, 33},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct msg m = {0};
		struct got g = {0};

		msg_begin(&m, RTM_NEWROUTE, AF_INET, 24, RT_TABLE_MAIN, RTN_UNICAST);
		msg_u32(&m, RTA_OIF, 5);
		msg_u32(&m, RTA_DST, ip("198.18.2.0"));
		msg_u32(&m, RTA_GATEWAY, ip("198.51.100.12"));
		msg_end(&m);
		m.b[t[i].off] = t[i].v;
		CHECK_MSG(walk(&m, m.len, &g) == -EINVAL && g.n == 0, "%s", t[i].name);
	}
}

int main(void)
{
	test_routes();
	test_malformed();
	return check_done("test_rtnl");
}
