/* SPDX-License-Identifier: BSD-3-Clause */
/* Config sections of the overlay and its tables: tunnels with NHRP, routes, neighbors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/addr.h"
#include "lib/config/config_priv.h"

static int load_maps(struct cfg_loader *ld, const config_setting_t *nhrp, struct cfg_tunnel *t)
{
	static const char *const known[] = {"protocol", "nbma", "multicast", NULL};
	const config_setting_t *l;
	int rc, n;

	l = cfg_get_list(ld, nhrp, "map", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	cfg_seen_reset(ld);
	t->maps = calloc((size_t)n + 1, sizeof(*t->maps));
	if (!t->maps)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_map *m = &t->maps[i];

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g,
					   "expected a group { protocol = ...; nbma = ...; }");
		if ((rc = cfg_check_known(ld, g, known)) ||
		    (rc = cfg_get_addr(ld, g, "protocol", 1, &m->proto)) ||
		    (rc = cfg_get_addr(ld, g, "nbma", 1, &m->nbma)) ||
		    (rc = cfg_get_bool(ld, g, "multicast", &m->multicast)))
			return rc;
		if ((m->proto ^ t->addr) & prefix_mask(t->plen))
			return cfg_fail_at(ld, cfg_member(g, "protocol"),
					   "not inside the tunnel's subnet");
		if (cfg_seen(ld, 0, m->proto))
			return cfg_fail_at(ld, cfg_member(g, "protocol"), "mapped twice");
		t->n_maps++;
	}
	return 0;
}

static int load_nhs(struct cfg_loader *ld, const config_setting_t *nhrp, struct cfg_tunnel *t)
{
	static const char *const known[] = {"protocol", "nbma", "priority", NULL};
	const config_setting_t *l;
	int rc, n;

	l = cfg_get_list(ld, nhrp, "nhs", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	if (n > CFG_MAX_NHS)
		return cfg_fail_at(ld, l, "at most %d servers", CFG_MAX_NHS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_nhs *h = &t->nhs[i];

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g,
					   "expected a group { protocol = ...; nbma = ...; }");
		if ((rc = cfg_check_known(ld, g, known)) ||
		    (rc = cfg_get_addr(ld, g, "protocol", 1, &h->proto)) ||
		    (rc = cfg_get_addr(ld, g, "nbma", 1, &h->nbma)) ||
		    (rc = cfg_get_uint(ld, g, "priority", 0, 255, &h->priority)))
			return rc;
		if ((h->proto ^ t->addr) & prefix_mask(t->plen) || h->proto == t->addr)
			return cfg_fail_at(ld, cfg_member(g, "protocol"),
					   "must be another address in the tunnel's subnet");
		for (unsigned j = 0; j < t->n_nhs; j++)
			if (t->nhs[j].proto == h->proto)
				return cfg_fail_at(ld, cfg_member(g, "protocol"),
						   "server given twice");
		t->n_nhs++;
	}
	return 0;
}

/* nhrp.multicast: where multicast from the kernel interface is replicated,
 * as IOS's `ip nhrp map multicast dynamic|NBMA`: "dynamic" (registered
 * spokes), "nhs" (our servers) and NBMA addresses. Without the setting a
 * spoke sends multicast to its NHSes, so that a routing protocol works
 * with no more configuration than the NHS. */
static int load_multicast(struct cfg_loader *ld, const config_setting_t *nhrp, struct cfg_tunnel *t)
{
	const config_setting_t *l = cfg_member(nhrp, "multicast");
	int n;

	if (!l)
		return 0;
	t->mc_nhs = 0;
	if (config_setting_type(l) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_array(l) || config_setting_is_list(l))
		n = config_setting_length(l);
	else
		return cfg_fail_at(ld, l,
				   "expected a list of \"dynamic\", \"nhs\" or NBMA addresses");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_type(l) == CONFIG_TYPE_STRING ?
					    l : config_setting_get_elem(l, (unsigned)i);
		const char *v;
		uint32_t a;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return cfg_fail_at(ld, e,
					   "expected \"dynamic\", \"nhs\" or an NBMA address");
		v = config_setting_get_string(e);
		if (!strcmp(v, "dynamic")) {
			t->mc_dynamic = 1;
			continue;
		}
		if (!strcmp(v, "nhs")) {
			t->mc_nhs = 1;
			continue;
		}
		if (addr_parse(v, &a))
			return cfg_fail_at(ld, e,
					   "'%s': use \"dynamic\", \"nhs\" or an NBMA address", v);
		for (unsigned j = 0; j < t->n_mc; j++)
			if (t->mc_nbma[j] == a)
				return cfg_fail_at(ld, e, "'%s' given twice", v);
		if (t->n_mc == CFG_MAX_MC)
			return cfg_fail_at(ld, e, "at most %d addresses", CFG_MAX_MC);
		t->mc_nbma[t->n_mc++] = a;
	}
	return 0;
}

static int load_nhrp(struct cfg_loader *ld, const config_setting_t *nh, struct cfg_tunnel *t)
{
	static const char *const known[] = {"network_id", "holdtime", "map", "nhs",
		"registration_interval", "authentication", "unique", "shortcut", "redirect",
		"multicast", NULL};
	const char *auth;
	int rc;

	if (!config_setting_is_group(nh))
		return cfg_fail_at(ld, nh, "expected a group { ... }");
	if ((rc = cfg_check_known(ld, nh, known)) ||
	    (rc = cfg_get_uint(ld, nh, "network_id", 1, 0xffffffffLL, &t->network_id)) ||
	    (rc = cfg_get_uint(ld, nh, "holdtime", 10, 65535, &t->holdtime)) ||
	    (rc = cfg_get_uint(ld, nh, "registration_interval", 1, 65535,
			       &t->registration_interval)) ||
	    (rc = cfg_get_bool(ld, nh, "unique", &t->unique)) ||
	    (rc = cfg_get_bool(ld, nh, "shortcut", &t->shortcut)) ||
	    (rc = cfg_get_bool(ld, nh, "redirect", &t->redirect)) ||
	    (rc = cfg_get_str(ld, nh, "authentication", 0, &auth)) ||
	    (rc = load_maps(ld, nh, t)) || (rc = load_nhs(ld, nh, t)) ||
	    (rc = load_multicast(ld, nh, t)))
		return rc;
	if (auth) {
		/* Cisco's cleartext key is at most 8 characters. */
		if (!auth[0] || strlen(auth) > CFG_AUTH_MAX)
			return cfg_fail_at(ld, cfg_member(nh, "authentication"),
					   "must be 1..%d characters", CFG_AUTH_MAX);
		strcpy(t->auth, auth);
	}
	if (t->registration_interval && t->registration_interval >= t->holdtime)
		return cfg_fail_at(ld, cfg_member(nh, "registration_interval"),
				   "must be shorter than the holdtime (%u)", t->holdtime);
	return 0;
}

/* kernel_interface = true (named after the tunnel) or a name: a TUN device
 * carrying the tunnel address, for a routing daemon on the host. */
static int load_kif(struct cfg_loader *ld, const config_setting_t *g, struct cfg_tunnel *t)
{
	const config_setting_t *s = cfg_member(g, "kernel_interface");
	const char *v;

	t->kif[0] = 0;
	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
		if (config_setting_get_bool(s))
			strcpy(t->kif, t->name);
		v = t->kif;
	} else if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
		/* What the kernel takes as an interface name (dev_valid_name). */
		if (!v[0] || strlen(v) >= CFG_NAME_MAX || !strcmp(v, ".") || !strcmp(v, "..") ||
		    strpbrk(v, "/: \t\n"))
			return cfg_fail_at(ld, s,
					   "'%s' is not an interface name (1..%d characters, "
					   "no '/', ':' or spaces)", v, CFG_NAME_MAX - 1);
		strcpy(t->kif, v);
	} else {
		return cfg_fail_at(ld, s, "expected true, false or an interface name");
	}
	for (unsigned j = 0; v[0] && j < ld->cfg->n_tunnels; j++)
		if (!strcmp(ld->cfg->tunnels[j].kif, v))
			return cfg_fail_at(ld, s,
					   "'%s' is already the kernel interface of tunnel '%s'",
					   v, ld->cfg->tunnels[j].name);
	return 0;
}

int cfg_load_tunnels(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"name", "address", "source", "key", "mtu",
		"ttl", "nhrp", "protection", "kernel_interface", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = cfg_get_list(ld, root, "tunnels", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	if (n > CFG_MAX_TUNNELS)
		return cfg_fail_at(ld, l, "at most %d tunnels", CFG_MAX_TUNNELS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *nh;
		struct cfg_tunnel *t = &cfg->tunnels[i];
		const char *src;
		unsigned mtu = 1400, ttl = 64, key = 0;
		int sp;

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g, "expected a group { ... }");
		if ((rc = cfg_check_known(ld, g, known)) || (rc = cfg_get_name(ld, g, t->name)) ||
		    (rc = cfg_get_prefix(ld, g, "address", 0, &t->addr, &t->plen)) ||
		    (rc = cfg_get_str(ld, g, "source", 1, &src)) ||
		    (rc = cfg_get_uint(ld, g, "key", 0, 0xffffffffLL, &key)) ||
		    (rc = cfg_get_uint(ld, g, "mtu", 576, 9000 - 24, &mtu)) ||
		    (rc = cfg_get_uint(ld, g, "ttl", 1, 255, &ttl)))
			return rc;
		sp = config_port_index(cfg, src);
		if (sp < 0 || (unsigned)sp >= cfg->n_ports)
			return cfg_fail_at(ld, cfg_member(g, "source"), "'%s' is not a port", src);
		if (t->plen == 0 || t->plen > 30)
			return cfg_fail_at(ld, cfg_member(g, "address"),
					   "prefix length must be 1..30");
		t->source = (unsigned)sp;
		/* Inner MTU + outer IPv4 + GRE (+ key) must fit the source port. */
		if (mtu + 24 + (cfg_member(g, "key") ? 4 : 0) > cfg->ports[sp].mtu)
			return cfg_fail_at(ld, cfg_member(g, "mtu") ? cfg_member(g, "mtu") : g,
					   "%u + GRE overhead exceeds port '%s' MTU %u", mtu,
					   cfg->ports[sp].name, cfg->ports[sp].mtu);
		t->has_key = cfg_member(g, "key") != NULL;
		t->key = key;
		t->mtu = (uint16_t)mtu;
		t->ttl = (uint8_t)ttl;
		t->network_id = 0;
		t->holdtime = 7200;
		t->unique = 1;
		t->mc_nhs = 1;
		if ((rc = load_kif(ld, g, t)))
			return rc;
		for (unsigned j = 0; j < cfg->n_tunnels; j++)
			if (cfg->tunnels[j].source == t->source &&
			    cfg->tunnels[j].has_key == t->has_key && cfg->tunnels[j].key == t->key)
				/* Without keys, name the source: there is no key setting. */
				return cfg_fail_at(ld, cfg_member(g, t->has_key ? "key" : "source"),
						   "tunnel '%s' has the same source and key",
						   cfg->tunnels[j].name);
		cfg->n_tunnels++;
		nh = cfg_member(g, "nhrp");
		if (nh && (rc = load_nhrp(ld, nh, t)))
			return rc;
		if ((rc = cfg_get_str(ld, g, "protection", 0, &src)))
			return rc;
		if (src) {
			if (strcmp(src, "ipsec") && strcmp(src, "none"))
				return cfg_fail_at(ld, cfg_member(g, "protection"),
						   "'%s': use \"ipsec\" or \"none\"", src);
			t->protect = !strcmp(src, "ipsec");
		}
	}
	return 0;
}

/* True when addr sits inside a port's or tunnel's connected subnet. */
static int connected(const struct dmvpn_config *cfg, uint32_t addr)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (!((addr ^ cfg->ports[i].addr) & prefix_mask(cfg->ports[i].plen)))
			return 1;
	for (unsigned i = 0; i < cfg->n_tunnels; i++)
		if (!((addr ^ cfg->tunnels[i].addr) & prefix_mask(cfg->tunnels[i].plen)))
			return 1;
	return 0;
}

int cfg_load_routes(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"prefix", "via", "blackhole", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = cfg_get_list(ld, root, "routes", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	cfg_seen_reset(ld);
	cfg->routes = calloc((size_t)n + 1, sizeof(*cfg->routes));
	if (!cfg->routes)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *bh;
		struct cfg_route *r = &cfg->routes[i];

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g, "expected a group { prefix = ...; via = ...; }");
		if ((rc = cfg_check_known(ld, g, known)) ||
		    (rc = cfg_get_prefix(ld, g, "prefix", 1, &r->prefix, &r->plen)))
			return rc;
		if (r->prefix & ~prefix_mask(r->plen))
			return cfg_fail_at(ld, cfg_member(g, "prefix"), "host bits set");
		bh = cfg_member(g, "blackhole");
		if (bh) {
			if (config_setting_type(bh) != CONFIG_TYPE_BOOL)
				return cfg_fail_at(ld, bh, "expected true or false");
			if (config_setting_get_bool(bh)) {
				if (cfg_member(g, "via"))
					return cfg_fail_at(ld, bh,
							   "a blackhole route has no 'via'");
				r->kind = CFG_ROUTE_BLACKHOLE;
			}
		}
		if (r->kind == CFG_ROUTE_VIA) {
			if ((rc = cfg_get_addr(ld, g, "via", 1, &r->via)))
				return rc;
			if (!connected(cfg, r->via))
				return cfg_fail_at(ld, cfg_member(g, "via"),
						   "next hop is not on a connected subnet");
		}
		if (cfg_seen(ld, 0, (uint64_t)r->prefix << 8 | r->plen))
			return cfg_fail_at(ld, cfg_member(g, "prefix"), "route given twice");
		cfg->n_routes++;
	}
	return 0;
}

int cfg_load_neighbors(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"port", "address", "mac", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = cfg_get_list(ld, root, "neighbors", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	cfg->neighbors = calloc((size_t)n + 1, sizeof(*cfg->neighbors));
	if (!cfg->neighbors)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_neighbor *nb = &cfg->neighbors[i];
		const char *port, *mac;
		int pi;

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g, "expected a group { port; address; mac; }");
		if ((rc = cfg_check_known(ld, g, known)) ||
		    (rc = cfg_get_str(ld, g, "port", 1, &port)) ||
		    (rc = cfg_get_addr(ld, g, "address", 1, &nb->addr)) ||
		    (rc = cfg_get_str(ld, g, "mac", 1, &mac)))
			return rc;
		pi = config_port_index(cfg, port);
		if (pi < 0 || (unsigned)pi >= cfg->n_ports)
			return cfg_fail_at(ld, cfg_member(g, "port"), "'%s' is not a port", port);
		nb->port = (unsigned)pi;
		if (mac_parse(mac, nb->mac))
			return cfg_fail_at(ld, cfg_member(g, "mac"), "'%s' is not a MAC address",
					   mac);
		cfg->n_neighbors++;
	}
	return 0;
}
