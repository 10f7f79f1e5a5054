/* SPDX-License-Identifier: BSD-3-Clause */
/* Routes the host's routing daemon installs on a kernel interface, imported as tunnel routes (rtnetlink). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "control/app.h"
#include "lib/addr.h"

struct kif_rt {
	uint32_t dst, gw;
	uint8_t plen;
	int oif;
	int multipath;
};

static int kif_of_ifindex(const struct app *a, int ifindex)
{
	for (unsigned t = 0; t < a->cfg.n_tunnels; t++)
		if (a->kif[t].fd >= 0 && a->kif[t].ifindex == ifindex)
			return (int)t;
	return -1;
}

/* 1 and *r for an IPv4 unicast route of the main table, else 0. */
static int kif_rt_parse(const struct nlmsghdr *h, struct kif_rt *r)
{
	const struct rtmsg *rm = NLMSG_DATA(h);
	const struct rtattr *at;
	unsigned table;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rm)) || rm->rtm_family != AF_INET ||
	    rm->rtm_dst_len > 32)
		return 0;
	memset(r, 0, sizeof(*r));
	r->plen = rm->rtm_dst_len;
	table = rm->rtm_table;
	len = (int)RTM_PAYLOAD(h);
	for (at = RTM_RTA(rm); RTA_OK(at, len); at = RTA_NEXT(at, len)) {
		switch (at->rta_type) {
		case RTA_DST:
			if (RTA_PAYLOAD(at) == 4)
				memcpy(&r->dst, RTA_DATA(at), 4);
			break;
		case RTA_GATEWAY:
			if (RTA_PAYLOAD(at) == 4)
				memcpy(&r->gw, RTA_DATA(at), 4);
			break;
		case RTA_OIF:
			if (RTA_PAYLOAD(at) == 4)
				memcpy(&r->oif, RTA_DATA(at), 4);
			break;
		case RTA_TABLE:
			if (RTA_PAYLOAD(at) == 4)
				memcpy(&table, RTA_DATA(at), 4);
			break;
		case RTA_MULTIPATH:
			r->multipath = 1;
			break;
		default:
			break;
		}
	}
	if (table != RT_TABLE_MAIN || (h->nlmsg_type == RTM_NEWROUTE && rm->rtm_type != RTN_UNICAST))
		return 0;
	r->dst &= prefix_mask(r->plen);
	return 1;
}

static void kif_rt_apply(struct app *a, const struct nlmsghdr *h)
{
	struct kif_rt r;
	int t, rc;

	if (!kif_rt_parse(h, &r))
		return;
	t = kif_of_ifindex(a, r.oif);
	if (h->nlmsg_type == RTM_DELROUTE) {
		if (t >= 0 && state_kernel_route_del(a, r.dst, r.plen) == 0)
			a->cnt.kernel_routes_removed++;
		return;
	}
	if (t < 0) {
		/* Replaced by a route elsewhere (or never ours): not ours now. */
		if (state_kernel_route_del(a, r.dst, r.plen) == 0)
			a->cnt.kernel_routes_removed++;
		return;
	}
	/* Our own connected subnet and device routes without a next hop in
	 * the tunnel are the kernel's view of what we already route. */
	if (!r.gw)
		return;
	if (r.multipath || ((r.gw ^ a->cfg.tunnels[t].addr) & prefix_mask(a->cfg.tunnels[t].plen)) ||
	    r.gw == a->cfg.tunnels[t].addr) {
		a->cnt.kernel_routes_refused++;
		return;
	}
	rc = state_kernel_route_add(a, r.dst, r.plen, (uint8_t)t, r.gw);
	if (rc) {
		char b1[PREFIX_STRLEN];

		a->cnt.kernel_routes_refused++;
		DBG(a, "kernel route %s refused: %s", prefix_fmt(r.dst, r.plen, b1),
		    rc == -EEXIST ? "a configured route has that prefix" : strerror(-rc));
		return;
	}
	a->cnt.kernel_routes_added++;
}

void kif_routes_event(struct app *a)
{
	static char buf[65536];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(a->kif_nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		size_t len;

		if (n <= 0) {
			/* ENOBUFS: routes were lost in an overflow; ask again. */
			if (n < 0 && errno == ENOBUFS)
				kif_routes_dump(a);
			return;
		}
		len = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			if (h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE)
				kif_rt_apply(a, h);
	}
}

int kif_routes_dump(struct app *a)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
	} req = {
		.h = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
		      .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1},
		.r = {.rtm_family = AF_INET},
	};

	return send(a->kif_nl, &req, sizeof(req), 0) < 0 ? -errno : 0;
}

int kif_routes_init(struct app *a)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_ROUTE};
	struct epoll_event ev = {.events = EPOLLIN};
	int any = 0, rc;

	for (unsigned t = 0; t < a->cfg.n_tunnels; t++)
		any |= a->kif[t].fd >= 0;
	if (!any)
		return 0;
	a->kif_nl = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (a->kif_nl < 0 || bind(a->kif_nl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err;
	ev.data.fd = a->kif_nl;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->kif_nl, &ev) < 0 || kif_routes_dump(a))
		goto err;
	return 0;
err:
	rc = -errno;
	LOG(a, "kernel routes: netlink: %s", strerror(errno));
	if (a->kif_nl >= 0)
		close(a->kif_nl);
	a->kif_nl = -1;
	return rc;
}

void kif_routes_fini(struct app *a)
{
	if (a->kif_nl >= 0)
		close(a->kif_nl);
	a->kif_nl = -1;
}
