/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink route messages (RTM_NEWROUTE/RTM_DELROUTE): IPv4 routes of the main table. */
#include <errno.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "lib/base/addr.h"
#include "lib/wire/rtnl.h"

/* One route message: 1 and *r, 0 when it is not an IPv4 main-table route,
 * -EINVAL when malformed. h->nlmsg_len is within the buffer already. */
static int route_parse(const struct nlmsghdr *h, struct rtnl_route *r)
{
	const struct rtmsg *rm = NLMSG_DATA(h);
	const struct rtattr *at;
	unsigned table;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rm)))
		return -EINVAL;
	if (rm->rtm_family != AF_INET)
		return 0;
	if (rm->rtm_dst_len > 32)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->del = h->nlmsg_type == RTM_DELROUTE;
	r->plen = rm->rtm_dst_len;
	r->unicast = rm->rtm_type == RTN_UNICAST;
	table = rm->rtm_table;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rm)));
	for (at = RTM_RTA(rm); RTA_OK(at, len); at = RTA_NEXT(at, len)) {
		void *v = NULL;

		switch (at->rta_type) {
		case RTA_DST:
			v = &r->dst;
			break;
		case RTA_GATEWAY:
			v = &r->gw;
			break;
		case RTA_OIF:
			v = &r->oif;
			break;
		case RTA_TABLE:
			v = &table;
			break;
		case RTA_MULTIPATH:
			r->multipath = 1;
			break;
		default:
			break;
		}
		/* The four-byte ones: an address, an interface, a table. */
		if (v) {
			if (RTA_PAYLOAD(at) != 4)
				return -EINVAL;
			memcpy(v, RTA_DATA(at), 4);
		}
	}
	/* Attributes must fill the message exactly (RTA_OK stops short of a
	 * lying rta_len; what is left then is not padding). */
	if (len >= (int)sizeof(struct rtattr))
		return -EINVAL;
	if (table != RT_TABLE_MAIN)
		return 0;
	r->dst &= prefix_mask(r->plen);
	return 1;
}

int rtnl_routes_walk(const void *buf, size_t len, rtnl_route_fn fn, void *arg)
{
	size_t off = 0;
	int n = 0;

	/* Bytes after the last message, too few for a header, are ignored. */
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const void *)((const uint8_t *)buf + off);
		struct rtnl_route r;
		int rc;

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off)
			return -EINVAL;
		if (h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE) {
			rc = route_parse(h, &r);
			if (rc < 0)
				return rc;
			if (rc) {
				fn(arg, &r);
				n++;
			}
		}
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (off > len)
			off = len;
	}
	return n;
}
