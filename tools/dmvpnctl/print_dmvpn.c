/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: show dmvpn [detail]. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tools/dmvpnctl/dmvpnctl.h"

/* ---- show dmvpn ---- */

/* Orders addresses numerically, IPv4 before IPv6; text that is no address goes last. */
static int ctl_addr_cmp(const char *a, const char *b)
{
	unsigned char xa[17] = {0}, xb[17] = {0};
	bool pa, pb;

	pa = inet_pton(AF_INET, a, xa + 1) == 1 || (xa[0] = 1, inet_pton(AF_INET6, a, xa + 1) == 1);
	pb = inet_pton(AF_INET, b, xb + 1) == 1 || (xb[0] = 1, inet_pton(AF_INET6, b, xb + 1) == 1);
	if (pa != pb)
		return pa ? -1 : 1;
	if (!pa)
		return strcmp(a, b);
	return memcmp(xa, xb, sizeof(xa));
}

static int ctl_peer_cmp(const void *x, const void *y)
{
	const json_t *a = *(const json_t *const *)x, *b = *(const json_t *const *)y;
	int r = ctl_addr_cmp(ctl_get_str(a, "nbma", ""), ctl_get_str(b, "nbma", ""));

	return r ? r : ctl_addr_cmp(ctl_get_str(a, "tunnel", ""), ctl_get_str(b, "tunnel", ""));
}

static const struct ctl_col dmvpn_cols[] = {
	{"# Ent", true, 0}, {"Peer NBMA Addr", false, 15}, {"Peer Tunnel Add", false, 15},
	{"State", false, 0}, {"UpDn Tm", false, 0}, {"Attrb", false, 0},
	/* detail only */
	{"Target Network", false, 0}, {"Type", false, 0}, {"Claimed NBMA", false, 0}, {"Expires", false, 0},
	{"IKE", false, 0},
};

/* A peer's protection in show dmvpn detail: "-" when IKE does not key it. */
static char *ctl_fmt_ike(const json_t *peer)
{
	const json_t *ike = json_object_get(peer, "ike"), *sa = json_object_get(ike, "sa");
	const json_t *c = json_object_get(sa, "child");

	if (!json_is_object(ike))
		return ctl_format("-");
	if (!json_is_object(sa))
		return ctl_format("%s", ctl_get_str(ike, "peer_state", "?"));
	return ctl_format("%s %s%s", ctl_get_str(sa, "state", "?"),
			  json_is_object(c) ? ctl_get_str(c, "proposal", "") : "no CHILD_SA",
			  json_is_object(c) && !strcmp(ctl_get_str(c, "encapsulation", ""), "udp") ?
			  " UDP" : "");
}

/*
 * Peers sorted by NBMA address; as on IOS, the first row of an NBMA address counts
 * its entries and the rows after it leave "# Ent" and the NBMA address blank.
 */
static void print_dmvpn_peers(const json_t *peers, bool detail)
{
	size_t n = json_array_size(peers), i, j;
	const json_t **p = ctl_check_alloc(calloc(n ? n : 1, sizeof(*p)));
	unsigned ncols = detail ? 11 : 6;
	struct ctl_table t;

	for (i = 0; i < n; i++)
		p[i] = json_array_get(peers, i);
	qsort(p, n, sizeof(*p), ctl_peer_cmp);
	ctl_table_init(&t, dmvpn_cols, ncols);
	for (i = 0; i < n; i = j) {
		const char *nbma = ctl_get_str(p[i], "nbma", "-");

		for (j = i + 1; j < n && !strcmp(ctl_get_str(p[j], "nbma", "-"), nbma); j++)
			;
		for (size_t k = i; k < j; k++) {
			char *cells[11];
			const json_t *exp = json_object_get(p[k], "expires_in");

			cells[0] = k == i ? ctl_format("%zu", j - i) : ctl_format("%s", "");
			cells[1] = k == i ? ctl_fmt_value(json_object_get(p[k], "nbma")) : ctl_format("%s", "");
			cells[2] = ctl_fmt_value(json_object_get(p[k], "tunnel"));
			cells[3] = ctl_fmt_value(json_object_get(p[k], "state"));
			cells[4] = ctl_fmt_seconds(p[k], "updown_s");
			cells[5] = ctl_fmt_value(json_object_get(p[k], "attributes"));
			if (detail) {
				cells[6] = ctl_fmt_value(json_object_get(p[k], "protocol"));
				cells[7] = ctl_fmt_value(json_object_get(p[k], "type"));
				cells[8] = ctl_fmt_value(json_object_get(p[k], "claimed_nbma"));
				cells[9] = json_is_null(exp) ? ctl_format("never")
							     : ctl_fmt_seconds(p[k], "expires_in");
				cells[10] = ctl_fmt_ike(p[k]);
			}
			ctl_table_add(&t, cells);
		}
	}
	print_table(&t, 1);
	ctl_table_free(&t);
	free(p);
}

static void print_dmvpn_tunnel(const json_t *tun, bool detail)
{
	const json_t *peers = json_object_get(tun, "peers");
	long long v;
	char *nid = ctl_fmt_value(json_object_get(tun, "nhrp_network_id"));
	char *addr = ctl_fmt_value(json_object_get(tun, "address"));
	char *name = ctl_fmt_value(json_object_get(tun, "interface"));

	printf("Interface: %s, IPv4 NHRP Details\n", name);
	printf("NHRP network-id %s, tunnel address %s, peers %lld\n", nid, addr,
	       ctl_get_int(tun, "peer_count", &v) ? v : (long long)json_array_size(peers));
	if (detail) {
		const json_t *key = json_object_get(tun, "key");
		char *src = ctl_fmt_value(json_object_get(tun, "source"));
		char *k = json_is_integer(key) ? ctl_fmt_value(key) : ctl_format("none");
		char *mtu = ctl_fmt_value(json_object_get(tun, "mtu"));
		char *hold = ctl_fmt_value(json_object_get(tun, "nhrp_holdtime"));

		printf("Source %s, GRE key %s, MTU %s, NHRP holdtime %s s\n", src, k, mtu, hold);
		free(src);
		free(k);
		free(mtu);
		free(hold);
	}
	free(nid);
	free(addr);
	free(name);
	if (json_is_array(peers) && json_array_size(peers)) {
		putchar('\n');
		if (ctl_all_objects(peers))
			print_dmvpn_peers(peers, detail);
		else
			print_value(peers, 1);
	}
}

static void print_dmvpn_common(const json_t *body, bool detail)
{
	size_t i;
	const json_t *tun;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	puts("Legend: Attrb --> S - Static, D - Dynamic, I - Incomplete, N - NATed, L - Local, "
	     "X - No Socket, T1 - Route Installed, T2 - Nexthop-override");
	json_array_foreach(body, i, tun) {
		putchar('\n');
		print_dmvpn_tunnel(tun, detail);
	}
}

void print_dmvpn(const json_t *body)
{
	print_dmvpn_common(body, false);
}

void print_dmvpn_detail(const json_t *body)
{
	print_dmvpn_common(body, true);
}
