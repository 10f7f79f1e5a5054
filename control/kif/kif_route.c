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
#include "control/core/core.h"
#include "lib/base/addr.h"
#include "lib/wire/rtnl.h"

static int kif_of_ifindex(const struct app *a, int ifindex)
{
	for (unsigned t = 0; t < a->cfg.n_tunnels; t++)
		if (a->kif[t].fd >= 0 && a->kif[t].ifindex == ifindex)
			return (int)t;
	return -1;
}

static void kif_rt_apply(void *arg, const struct rtnl_route *r)
{
	struct app *a = arg;
	int t = kif_of_ifindex(a, r->oif), rc;

	if (r->del) {
		if (t >= 0 && state_kernel_route_del(a, r->dst, r->plen) == 0)
			a->cnt.kernel_routes_removed++;
		return;
	}
	if (t < 0 || !r->unicast) {
		/* Replaced by a route elsewhere (or never ours): not ours now. */
		if (state_kernel_route_del(a, r->dst, r->plen) == 0)
			a->cnt.kernel_routes_removed++;
		return;
	}
	/* Our own connected subnet and device routes without a next hop in
	 * the tunnel are the kernel's view of what we already route. */
	if (!r->gw)
		return;
	if (r->multipath || ((r->gw ^ a->cfg.tunnels[t].addr) & prefix_mask(a->cfg.tunnels[t].plen)) ||
	    r->gw == a->cfg.tunnels[t].addr) {
		a->cnt.kernel_routes_refused++;
		return;
	}
	rc = state_kernel_route_add(a, r->dst, r->plen, (uint8_t)t, r->gw);
	if (rc) {
		char b1[PREFIX_STRLEN];

		a->cnt.kernel_routes_refused++;
		DBG(a, "kernel route %s refused: %s", prefix_fmt(r->dst, r->plen, b1),
		    rc == -EEXIST ? "a configured route has that prefix" : strerror(-rc));
		return;
	}
	a->cnt.kernel_routes_added++;
}

void kif_routes_event(struct app *a)
{
	/* Netlink headers and attributes are read in place: 4-byte aligned. */
	static char buf[65536] __attribute__((aligned(8)));

	for (int i = 0; i < 64; i++) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(a->kif_nl, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n <= 0) {
			/* ENOBUFS: routes were lost in an overflow; ask again. */
			if (n < 0 && errno == ENOBUFS)
				kif_routes_dump(a);
			return;
		}
		/* Only the kernel speaks for the routing table. */
		if (fl != sizeof(from) || from.nl_pid != 0) {
			a->cnt.kernel_routes_refused++;
			continue;
		}
		if (rtnl_routes_walk(buf, (size_t)n, kif_rt_apply, a) < 0)
			LOG(a, "kernel routes: malformed rtnetlink message ignored");
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
