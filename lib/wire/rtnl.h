/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink route messages (RTM_NEWROUTE/RTM_DELROUTE): IPv4 routes of the main table. */
#ifndef DMVPN_LIB_RTNL_H
#define DMVPN_LIB_RTNL_H

#include <stddef.h>
#include <stdint.h>

struct rtnl_route {
	uint8_t del;             /* RTM_DELROUTE */
	uint8_t plen;
	uint8_t multipath;       /* RTA_MULTIPATH present (ECMP) */
	uint8_t unicast;         /* rtm_type RTN_UNICAST */
	uint32_t dst;            /* network order, masked to plen */
	uint32_t gw;             /* network order; 0 = none (on link) */
	int oif;                 /* output interface index; 0 = none */
};

typedef void (*rtnl_route_fn)(void *arg, const struct rtnl_route *r);

/*
 * Walk a buffer of netlink messages as one recv() returned them and call fn
 * for each IPv4 route message of the main table (RT_TABLE_MAIN, also as
 * RTA_TABLE). Other messages (other families and tables, NLMSG_DONE,
 * errors) are skipped. Returns the number of routes handed to fn, or
 * -EINVAL when a message or attribute is malformed (lengths lying or
 * crossing the buffer; the routes before it were handed on). buf is
 * aligned to 4 bytes (NLMSG_ALIGNTO), as recv() into an aligned buffer
 * leaves it. Never reads outside [buf, buf + len). Pure, thread-safe.
 */
int rtnl_routes_walk(const void *buf, size_t len, rtnl_route_fn fn, void *arg);

#endif
