/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnd configuration: libconfig file -> validated struct; errors name file, line, setting. */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/config.h"
#include "lib/esp.h"
#include "lib/replay.h"
#include "lib/u64map.h"

struct loader {
	const char *file;
	char *err;
	size_t errlen;
	struct dmvpn_config *cfg;
	struct u64map seen[2];   /* duplicate checks of the list being read */
};

/* Start duplicate checks for a list (a config may hold 100 000 maps). */
static void seen_reset(struct loader *ld)
{
	for (int i = 0; i < 2; i++) {
		u64map_fini(&ld->seen[i]);
		u64map_init(&ld->seen[i], 64);
	}
}

/* 1 when key was seen already in this list (index 0 or 1), else remembers it. */
static int seen(struct loader *ld, int i, uint64_t key)
{
	uint32_t v;

	if (ld->seen[i].cap && u64map_get(&ld->seen[i], key, &v) == 0)
		return 1;
	if (ld->seen[i].cap)
		u64map_put(&ld->seen[i], key, 1);
	return 0;
}

static int fail(struct loader *ld, const config_setting_t *s, const char *what,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	const char *f = s ? config_setting_source_file(s) : NULL;
	unsigned line = s ? config_setting_source_line(s) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->errlen, "%s:%u: setting '%s': %s", f ? f : ld->file, line,
		 what, msg);
	return -EINVAL;
}

/* Dotted path of a setting, e.g. "ports.[1].address", for messages. */
static const char *spath(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[16];
	int n = 0;
	size_t off = 0;

	for (; s && !config_setting_is_root(s) && n < 16; s = config_setting_parent(s))
		chain[n++] = s;
	buf[0] = 0;
	while (n-- > 0 && off < len) {
		const config_setting_t *c = chain[n];
		const char *name = config_setting_name(c);
		int w;

		if (name)
			w = snprintf(buf + off, len - off, "%s%s", off ? "." : "", name);
		else
			w = snprintf(buf + off, len - off, "[%d]", config_setting_index(c));
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

static int fail_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char path[128], msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(ld, s, spath(s, path, sizeof(path)), "%s", msg);
}

/* Missing mandatory member `name` of group g. */
static int fail_missing(struct loader *ld, const config_setting_t *g, const char *name)
{
	char path[128], full[160];

	spath(g, path, sizeof(path));
	snprintf(full, sizeof(full), "%s%s%s", path, path[0] ? "." : "", name);
	return fail(ld, g, full, "missing");
}

/* Reject members of group g that are not in the NULL-terminated list: a
 * typo must not silently fall back to a default. */
static int check_known(struct loader *ld, const config_setting_t *g, const char *const *known)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(c);
		int ok = 0;

		for (const char *const *k = known; *k && name; k++)
			if (!strcmp(*k, name))
				ok = 1;
		if (!ok)
			return fail_at(ld, c, "unknown setting");
	}
	return 0;
}

static const config_setting_t *member(const config_setting_t *g, const char *name)
{
	return g ? config_setting_get_member(g, name) : NULL;
}

static int get_str(struct loader *ld, const config_setting_t *g, const char *name,
		   int required, const char **out)
{
	const config_setting_t *s = member(g, name);

	*out = NULL;
	if (!s)
		return required ? fail_missing(ld, g, name) : 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail_at(ld, s, "expected a string");
	*out = config_setting_get_string(s);
	return 0;
}

static int get_uint(struct loader *ld, const config_setting_t *g, const char *name,
		    long long lo, long long hi, unsigned *out)
{
	const config_setting_t *s = member(g, name);
	long long v;

	if (!s)
		return 0; /* keep the default */
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail_at(ld, s, "expected an integer");
	v = config_setting_get_int64(s);
	/* libconfig wraps plain integers above 2^31 - 1 into negatives: say
	 * so where such values are legitimate. */
	if (v < 0 && lo >= 0 && hi > INT32_MAX && config_setting_type(s) == CONFIG_TYPE_INT)
		return fail_at(ld, s, "%lld out of range %lld..%lld (numbers above 2147483647 "
			       "need an L suffix, e.g. 4000000000L)", v, lo, hi);
	if (v < lo || v > hi)
		return fail_at(ld, s, "%lld out of range %lld..%lld", v, lo, hi);
	*out = (unsigned)v;
	return 0;
}

static int get_bool(struct loader *ld, const config_setting_t *g, const char *name,
		    uint8_t *out)
{
	const config_setting_t *s = member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail_at(ld, s, "expected true or false");
	*out = (uint8_t)config_setting_get_bool(s);
	return 0;
}

static int get_addr(struct loader *ld, const config_setting_t *g, const char *name,
		    int required, uint32_t *out)
{
	const char *v;
	int rc = get_str(ld, g, name, required, &v);

	if (rc || !v)
		return rc;
	if (addr_parse(v, out))
		return fail_at(ld, member(g, name), "'%s' is not an IPv4 address", v);
	return 0;
}

static int get_prefix(struct loader *ld, const config_setting_t *g, const char *name,
		      int host_ok, uint32_t *addr, uint8_t *plen)
{
	const char *v;
	int rc = get_str(ld, g, name, 1, &v);

	if (rc)
		return rc;
	if (prefix_parse(v, host_ok, addr, plen))
		return fail_at(ld, member(g, name), "'%s' is not an IPv4 prefix (a.b.c.d/len)", v);
	return 0;
}

static int get_name(struct loader *ld, const config_setting_t *g, char *dst)
{
	const char *v;
	int rc = get_str(ld, g, "name", 1, &v);

	if (rc)
		return rc;
	if (!v[0] || strlen(v) >= CFG_NAME_MAX)
		return fail_at(ld, member(g, "name"), "must be 1..%d characters", CFG_NAME_MAX - 1);
	if (config_port_index(ld->cfg, v) >= 0)
		return fail_at(ld, member(g, "name"), "'%s' is already used", v);
	strcpy(dst, v);
	return 0;
}

static const config_setting_t *get_list(struct loader *ld, const config_setting_t *root,
					const char *name, int *rc)
{
	const config_setting_t *l = member(root, name);

	*rc = 0;
	if (l && !config_setting_is_list(l) && !config_setting_is_array(l)) {
		*rc = fail_at(ld, l, "expected a list ( ... )");
		return NULL;
	}
	return l;
}

static int load_control(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"socket", "socket_mode", NULL};
	const config_setting_t *g = member(root, "control");
	const char *v;
	int rc;

	if (!g)
		return 0;
	if ((rc = check_known(ld, g, known)))
		return rc;
	if ((rc = get_str(ld, g, "socket", 0, &v)))
		return rc;
	if (v) {
		if (!v[0] || strlen(v) >= sizeof(ld->cfg->socket_path))
			return fail_at(ld, member(g, "socket"), "path empty or too long");
		strcpy(ld->cfg->socket_path, v);
	}
	if ((rc = get_str(ld, g, "socket_mode", 0, &v)))
		return rc;
	if (v) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);

		if (!v[0] || *end || m > 0777)
			return fail_at(ld, member(g, "socket_mode"), "'%s' is not an octal mode", v);
		ld->cfg->socket_mode = (unsigned)m;
	}
	return 0;
}

static int load_eal(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"args", NULL};
	const config_setting_t *g = member(root, "eal"), *a;
	struct dmvpn_config *cfg = ld->cfg;
	int rc, n;

	if (!g)
		return 0;
	if ((rc = check_known(ld, g, known)))
		return rc;
	a = member(g, "args");
	if (!a)
		return 0;
	if (!config_setting_is_array(a) && !config_setting_is_list(a))
		return fail_at(ld, a, "expected an array of strings");
	n = config_setting_length(a);
	if (n > CFG_MAX_EAL_ARGS)
		return fail_at(ld, a, "more than %d arguments", CFG_MAX_EAL_ARGS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail_at(ld, e, "expected a string");
		cfg->eal_args[cfg->n_eal_args++] = strdup(config_setting_get_string(e));
	}
	return 0;
}

static int load_dataplane(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"mbufs", "rx_descriptors", "tx_descriptors",
		"burst", "idle_polls", "idle_sleep_us", "max_routes", "max_neighbors",
		"max_peers", "neighbor_timeout", NULL};
	const config_setting_t *g = member(root, "dataplane");
	struct dmvpn_config *c = ld->cfg;
	int rc;

	if (!g)
		return 0;
	if ((rc = check_known(ld, g, known)) ||
	    (rc = get_uint(ld, g, "mbufs", 1024, 1 << 24, &c->mbufs)) ||
	    (rc = get_uint(ld, g, "rx_descriptors", 64, 16384, &c->rx_desc)) ||
	    (rc = get_uint(ld, g, "tx_descriptors", 64, 16384, &c->tx_desc)) ||
	    (rc = get_uint(ld, g, "burst", 1, 64, &c->burst)) ||
	    (rc = get_uint(ld, g, "idle_polls", 1, 1000000, &c->idle_polls)) ||
	    (rc = get_uint(ld, g, "idle_sleep_us", 0, 100000, &c->idle_sleep_us)) ||
	    (rc = get_uint(ld, g, "max_routes", 16, 1 << 24, &c->max_routes)) ||
	    (rc = get_uint(ld, g, "max_neighbors", 16, 1 << 24, &c->max_neighbors)) ||
	    (rc = get_uint(ld, g, "max_peers", 16, 1 << 24, &c->max_peers)) ||
	    (rc = get_uint(ld, g, "neighbor_timeout", 10, 86400, &c->neighbor_timeout)))
		return rc;
	return 0;
}

static int load_ports(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"name", "device", "address", "gateway", "mtu", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = get_list(ld, root, "ports", &rc);
	if (rc)
		return rc;
	if (!l || config_setting_length(l) == 0)
		return fail(ld, l, "ports", "at least one port is required");
	n = config_setting_length(l);
	if (n > CFG_MAX_PORTS)
		return fail_at(ld, l, "at most %d ports", CFG_MAX_PORTS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_port *p = &cfg->ports[i];
		const char *dev;
		unsigned mtu = 1500;

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { ... }");
		if ((rc = check_known(ld, g, known)) || (rc = get_name(ld, g, p->name)) ||
		    (rc = get_str(ld, g, "device", 1, &dev)) ||
		    (rc = get_prefix(ld, g, "address", 0, &p->addr, &p->plen)) ||
		    (rc = get_addr(ld, g, "gateway", 0, &p->gateway)) ||
		    (rc = get_uint(ld, g, "mtu", 576, 9000, &mtu)))
			return rc;
		if (!dev[0] || strlen(dev) >= sizeof(p->device))
			return fail_at(ld, member(g, "device"), "empty or too long");
		strcpy(p->device, dev);
		if (p->plen == 0 || p->plen > 30)
			return fail_at(ld, member(g, "address"), "prefix length must be 1..30");
		if (p->gateway && ((p->gateway ^ p->addr) & prefix_mask(p->plen)))
			return fail_at(ld, member(g, "gateway"), "not inside the port's subnet");
		p->mtu = (uint16_t)mtu;
		cfg->n_ports++;
	}
	return 0;
}

static int load_maps(struct loader *ld, const config_setting_t *nhrp, struct cfg_tunnel *t)
{
	static const char *const known[] = {"protocol", "nbma", NULL};
	const config_setting_t *l;
	int rc, n;

	l = get_list(ld, nhrp, "map", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	seen_reset(ld);
	t->maps = calloc((size_t)n + 1, sizeof(*t->maps));
	if (!t->maps)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_map *m = &t->maps[i];

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { protocol = ...; nbma = ...; }");
		if ((rc = check_known(ld, g, known)) ||
		    (rc = get_addr(ld, g, "protocol", 1, &m->proto)) ||
		    (rc = get_addr(ld, g, "nbma", 1, &m->nbma)))
			return rc;
		if ((m->proto ^ t->addr) & prefix_mask(t->plen))
			return fail_at(ld, member(g, "protocol"), "not inside the tunnel's subnet");
		if (seen(ld, 0, m->proto))
			return fail_at(ld, member(g, "protocol"), "mapped twice");
		t->n_maps++;
	}
	return 0;
}

static int load_nhs(struct loader *ld, const config_setting_t *nhrp, struct cfg_tunnel *t)
{
	static const char *const known[] = {"protocol", "nbma", "priority", NULL};
	const config_setting_t *l;
	int rc, n;

	l = get_list(ld, nhrp, "nhs", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	if (n > CFG_MAX_NHS)
		return fail_at(ld, l, "at most %d servers", CFG_MAX_NHS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_nhs *h = &t->nhs[i];

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { protocol = ...; nbma = ...; }");
		if ((rc = check_known(ld, g, known)) ||
		    (rc = get_addr(ld, g, "protocol", 1, &h->proto)) ||
		    (rc = get_addr(ld, g, "nbma", 1, &h->nbma)) ||
		    (rc = get_uint(ld, g, "priority", 0, 255, &h->priority)))
			return rc;
		if ((h->proto ^ t->addr) & prefix_mask(t->plen) || h->proto == t->addr)
			return fail_at(ld, member(g, "protocol"),
				       "must be another address in the tunnel's subnet");
		for (unsigned j = 0; j < t->n_nhs; j++)
			if (t->nhs[j].proto == h->proto)
				return fail_at(ld, member(g, "protocol"), "server given twice");
		t->n_nhs++;
	}
	return 0;
}

static int load_nhrp(struct loader *ld, const config_setting_t *nh, struct cfg_tunnel *t)
{
	static const char *const known[] = {"network_id", "holdtime", "map", "nhs",
		"registration_interval", "authentication", "unique", "shortcut", "redirect", NULL};
	const char *auth;
	int rc;

	if (!config_setting_is_group(nh))
		return fail_at(ld, nh, "expected a group { ... }");
	if ((rc = check_known(ld, nh, known)) ||
	    (rc = get_uint(ld, nh, "network_id", 1, 0xffffffffLL, &t->network_id)) ||
	    (rc = get_uint(ld, nh, "holdtime", 10, 65535, &t->holdtime)) ||
	    (rc = get_uint(ld, nh, "registration_interval", 1, 65535, &t->registration_interval)) ||
	    (rc = get_bool(ld, nh, "unique", &t->unique)) ||
	    (rc = get_bool(ld, nh, "shortcut", &t->shortcut)) ||
	    (rc = get_bool(ld, nh, "redirect", &t->redirect)) ||
	    (rc = get_str(ld, nh, "authentication", 0, &auth)) ||
	    (rc = load_maps(ld, nh, t)) || (rc = load_nhs(ld, nh, t)))
		return rc;
	if (auth) {
		/* Cisco's cleartext key is at most 8 characters. */
		if (!auth[0] || strlen(auth) > CFG_AUTH_MAX)
			return fail_at(ld, member(nh, "authentication"), "must be 1..%d characters",
				       CFG_AUTH_MAX);
		strcpy(t->auth, auth);
	}
	if (t->registration_interval && t->registration_interval >= t->holdtime)
		return fail_at(ld, member(nh, "registration_interval"),
			       "must be shorter than the holdtime (%u)", t->holdtime);
	return 0;
}

static int load_tunnels(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"name", "address", "source", "key", "mtu",
		"ttl", "nhrp", "protection", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = get_list(ld, root, "tunnels", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	if (n > CFG_MAX_TUNNELS)
		return fail_at(ld, l, "at most %d tunnels", CFG_MAX_TUNNELS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *nh;
		struct cfg_tunnel *t = &cfg->tunnels[i];
		const char *src;
		unsigned mtu = 1400, ttl = 64, key = 0;
		int sp;

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { ... }");
		if ((rc = check_known(ld, g, known)) || (rc = get_name(ld, g, t->name)) ||
		    (rc = get_prefix(ld, g, "address", 0, &t->addr, &t->plen)) ||
		    (rc = get_str(ld, g, "source", 1, &src)) ||
		    (rc = get_uint(ld, g, "key", 0, 0xffffffffLL, &key)) ||
		    (rc = get_uint(ld, g, "mtu", 576, 9000 - 24, &mtu)) ||
		    (rc = get_uint(ld, g, "ttl", 1, 255, &ttl)))
			return rc;
		sp = config_port_index(cfg, src);
		if (sp < 0 || (unsigned)sp >= cfg->n_ports)
			return fail_at(ld, member(g, "source"), "'%s' is not a port", src);
		if (t->plen == 0 || t->plen > 30)
			return fail_at(ld, member(g, "address"), "prefix length must be 1..30");
		t->source = (unsigned)sp;
		/* Inner MTU + outer IPv4 + GRE (+ key) must fit the source port. */
		if (mtu + 24 + (member(g, "key") ? 4 : 0) > cfg->ports[sp].mtu)
			return fail_at(ld, member(g, "mtu") ? member(g, "mtu") : g,
				       "%u + GRE overhead exceeds port '%s' MTU %u", mtu,
				       cfg->ports[sp].name, cfg->ports[sp].mtu);
		t->has_key = member(g, "key") != NULL;
		t->key = key;
		t->mtu = (uint16_t)mtu;
		t->ttl = (uint8_t)ttl;
		t->network_id = 0;
		t->holdtime = 7200;
		t->unique = 1;
		for (unsigned j = 0; j < cfg->n_tunnels; j++)
			if (cfg->tunnels[j].source == t->source &&
			    cfg->tunnels[j].has_key == t->has_key && cfg->tunnels[j].key == t->key)
				/* Without keys, name the source: there is no key setting. */
				return fail_at(ld, member(g, t->has_key ? "key" : "source"),
					       "tunnel '%s' has the same source and key",
					       cfg->tunnels[j].name);
		cfg->n_tunnels++;
		nh = member(g, "nhrp");
		if (nh && (rc = load_nhrp(ld, nh, t)))
			return rc;
		if ((rc = get_str(ld, g, "protection", 0, &src)))
			return rc;
		if (src) {
			if (strcmp(src, "ipsec") && strcmp(src, "none"))
				return fail_at(ld, member(g, "protection"), "'%s': use \"ipsec\" or \"none\"", src);
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

static int load_routes(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"prefix", "via", "blackhole", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = get_list(ld, root, "routes", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	seen_reset(ld);
	cfg->routes = calloc((size_t)n + 1, sizeof(*cfg->routes));
	if (!cfg->routes)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *bh;
		struct cfg_route *r = &cfg->routes[i];

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { prefix = ...; via = ...; }");
		if ((rc = check_known(ld, g, known)) ||
		    (rc = get_prefix(ld, g, "prefix", 1, &r->prefix, &r->plen)))
			return rc;
		if (r->prefix & ~prefix_mask(r->plen))
			return fail_at(ld, member(g, "prefix"), "host bits set");
		bh = member(g, "blackhole");
		if (bh) {
			if (config_setting_type(bh) != CONFIG_TYPE_BOOL)
				return fail_at(ld, bh, "expected true or false");
			if (config_setting_get_bool(bh)) {
				if (member(g, "via"))
					return fail_at(ld, bh, "a blackhole route has no 'via'");
				r->kind = CFG_ROUTE_BLACKHOLE;
			}
		}
		if (r->kind == CFG_ROUTE_VIA) {
			if ((rc = get_addr(ld, g, "via", 1, &r->via)))
				return rc;
			if (!connected(cfg, r->via))
				return fail_at(ld, member(g, "via"),
					       "next hop is not on a connected subnet");
		}
		if (seen(ld, 0, (uint64_t)r->prefix << 8 | r->plen))
			return fail_at(ld, member(g, "prefix"), "route given twice");
		cfg->n_routes++;
	}
	return 0;
}

static int load_neighbors(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"port", "address", "mac", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = get_list(ld, root, "neighbors", &rc);
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
			return fail_at(ld, g, "expected a group { port; address; mac; }");
		if ((rc = check_known(ld, g, known)) || (rc = get_str(ld, g, "port", 1, &port)) ||
		    (rc = get_addr(ld, g, "address", 1, &nb->addr)) ||
		    (rc = get_str(ld, g, "mac", 1, &mac)))
			return rc;
		pi = config_port_index(cfg, port);
		if (pi < 0 || (unsigned)pi >= cfg->n_ports)
			return fail_at(ld, member(g, "port"), "'%s' is not a port", port);
		nb->port = (unsigned)pi;
		if (mac_parse(mac, nb->mac))
			return fail_at(ld, member(g, "mac"), "'%s' is not a MAC address", mac);
		cfg->n_neighbors++;
	}
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A key as hex ("0x" optional, ':' allowed between bytes) of exactly want bytes. */
static int get_key(struct loader *ld, const config_setting_t *g, const char *name, size_t want,
		   uint8_t *out, uint8_t *len)
{
	const config_setting_t *s = member(g, name);
	const char *v;
	size_t n = 0;
	int rc = get_str(ld, g, name, want > 0, &v);

	if (rc || !v)
		return rc;
	if (!strncmp(v, "0x", 2))
		v += 2;
	while (*v) {
		int hi, lo;

		if (*v == ':') {
			v++;
			continue;
		}
		hi = hexval(v[0]);
		lo = hi < 0 ? -1 : hexval(v[1]);
		if (lo < 0)
			return fail_at(ld, s, "not a hex string");
		if (n == want)
			return fail_at(ld, s, "longer than the %zu bytes the algorithm needs", want);
		out[n++] = (uint8_t)(hi << 4 | lo);
		v += 2;
	}
	if (n != want)
		return fail_at(ld, s, "%zu bytes; the algorithm needs %zu", n, want);
	*len = (uint8_t)n;
	return 0;
}

static int load_sa_dir(struct loader *ld, const config_setting_t *g, const char *name,
		       const struct cfg_sa *sa, struct cfg_sa_dir *d)
{
	static const char *const known[] = {"spi", "key", "auth_key", NULL};
	const config_setting_t *s = member(g, name);
	size_t enc_len, auth_len;
	unsigned spi = 0;
	int rc;

	if (!s)
		return fail_missing(ld, g, name);
	if (!config_setting_is_group(s))
		return fail_at(ld, s, "expected a group { spi; key; auth_key; }");
	esp_alg_key_lens((enum esp_alg)sa->alg, &enc_len, &auth_len);
	if ((rc = check_known(ld, s, known)) ||
	    (rc = get_uint(ld, s, "spi", 256, 0xffffffffLL, &spi)) ||
	    (rc = get_key(ld, s, "key", enc_len, d->key, &d->key_len)) ||
	    (rc = get_key(ld, s, "auth_key", auth_len, d->auth_key, &d->auth_len)))
		return rc;
	if (!member(s, "spi"))
		return fail_missing(ld, s, "spi");
	if (!auth_len && member(s, "auth_key"))
		return fail_at(ld, member(s, "auth_key"), "the algorithm takes no integrity key");
	d->spi = spi;
	return 0;
}

static int load_sas(struct loader *ld, const config_setting_t *root)
{
	static const char *const known_ipsec[] = {"sas", NULL};
	static const char *const known[] = {"peer", "tunnel", "mode", "encapsulation", "udp_port",
		"algorithm", "esn", "replay_window", "lifetime", "in", "out", NULL};
	static const char *const known_life[] = {"bytes", "packets", "seconds", NULL};
	const config_setting_t *ip = member(root, "ipsec"), *l;
	struct dmvpn_config *cfg = ld->cfg;
	int rc, n;

	if (!ip)
		return 0;
	if ((rc = check_known(ld, ip, known_ipsec)))
		return rc;
	l = get_list(ld, ip, "sas", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	seen_reset(ld);
	cfg->sas = calloc((size_t)n + 1, sizeof(*cfg->sas));
	if (!cfg->sas)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *lt;
		struct cfg_sa *sa = &cfg->sas[i];
		const char *v;
		unsigned port = 4500;
		enum esp_alg alg;
		int ti = 0;

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { peer; algorithm; in; out; ... }");
		sa->replay_window = 64;
		if ((rc = check_known(ld, g, known)) || (rc = get_addr(ld, g, "peer", 1, &sa->peer)) ||
		    (rc = get_str(ld, g, "algorithm", 1, &v)))
			return rc;
		if (esp_alg_parse(v, &alg))
			return fail_at(ld, member(g, "algorithm"),
				       "'%s': one of aes128gcm16, aes256gcm16, aes128-sha256, "
				       "aes256-sha256, aes128-sha1, aes256-sha1, null", v);
		sa->alg = alg;
		if ((rc = get_str(ld, g, "tunnel", 0, &v)))
			return rc;
		if (v) {
			ti = config_port_index(cfg, v) - CFG_MAX_PORTS;
			if (ti < 0)
				return fail_at(ld, member(g, "tunnel"), "'%s' is not a tunnel", v);
		} else if (!cfg->n_tunnels) {
			return fail_at(ld, g, "no tunnel to protect");
		}
		sa->tunnel = (unsigned)ti;
		if ((rc = get_str(ld, g, "mode", 0, &v)))
			return rc;
		if (v && strcmp(v, "transport") && strcmp(v, "tunnel"))
			return fail_at(ld, member(g, "mode"), "'%s': use \"transport\" or \"tunnel\"", v);
		sa->mode = v && !strcmp(v, "tunnel") ? CFG_SA_TUNNEL : CFG_SA_TRANSPORT;
		if ((rc = get_str(ld, g, "encapsulation", 0, &v)))
			return rc;
		if (v && strcmp(v, "none") && strcmp(v, "udp"))
			return fail_at(ld, member(g, "encapsulation"), "'%s': use \"none\" or \"udp\"", v);
		sa->udp = v && !strcmp(v, "udp");
		if ((rc = get_uint(ld, g, "udp_port", 1, 65535, &port)) ||
		    (rc = get_bool(ld, g, "esn", &sa->esn)) ||
		    (rc = get_uint(ld, g, "replay_window", 0, REPLAY_MAX, &sa->replay_window)) ||
		    (rc = load_sa_dir(ld, g, "in", sa, &sa->in)) ||
		    (rc = load_sa_dir(ld, g, "out", sa, &sa->out)))
			return rc;
		sa->udp_port = (uint16_t)port;
		/* 0 turns anti-replay off (benchmarks replaying a capture), as in
		 * Linux and strongSwan; otherwise RFC 6479 sizes. */
		if (sa->replay_window && sa->replay_window < REPLAY_MIN)
			return fail_at(ld, member(g, "replay_window"), "0 (off) or %d..%d",
				       REPLAY_MIN, REPLAY_MAX);
		if (!sa->replay_window && sa->esn)
			return fail_at(ld, member(g, "replay_window"),
				       "ESN needs the replay window to infer the high half");
		lt = member(g, "lifetime");
		if (lt) {
			unsigned b = 0, p = 0;

			if (!config_setting_is_group(lt))
				return fail_at(ld, lt, "expected a group { bytes; packets; seconds; }");
			if ((rc = check_known(ld, lt, known_life)) ||
			    (rc = get_uint(ld, lt, "bytes", 1, 0xffffffffLL, &b)) ||
			    (rc = get_uint(ld, lt, "packets", 1, 0xffffffffLL, &p)) ||
			    (rc = get_uint(ld, lt, "seconds", 1, 0xffffffffLL, &sa->life_seconds)))
				return rc;
			sa->life_bytes = b;
			sa->life_packets = p;
		}
		if (seen(ld, 0, sa->in.spi))
			return fail_at(ld, member(g, "in"), "inbound SPI %#x used twice", sa->in.spi);
		if (seen(ld, 1, (uint64_t)sa->tunnel << 32 | sa->peer))
			return fail_at(ld, member(g, "peer"), "a second SA for the same peer");
		cfg->n_sas++;
	}
	return 0;
}

static void config_defaults(struct dmvpn_config *cfg, const char *file)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", file);
	strcpy(cfg->socket_path, "/run/dmvpn/dmvpnd.sock");
	cfg->socket_mode = 0600;
	cfg->mbufs = 8191;
	cfg->rx_desc = 1024;
	cfg->tx_desc = 1024;
	cfg->burst = 32;
	cfg->idle_polls = 256;
	cfg->idle_sleep_us = 0;
	cfg->max_routes = 65536;
	cfg->max_neighbors = 4096;
	cfg->max_peers = 131072;
	cfg->neighbor_timeout = 300;
}

int config_load(const char *file, struct dmvpn_config *cfg, char *err, size_t errlen)
{
	static const char *const known[] = {"control", "eal", "dataplane", "ports",
		"tunnels", "routes", "neighbors", "ipsec", NULL};
	struct loader ld = {.file = file, .err = err, .errlen = errlen, .cfg = cfg};
	config_t lc;
	int rc;

	config_defaults(cfg, file);
	config_init(&lc);
	if (!config_read_file(&lc, file)) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read file", file);
		else
			snprintf(err, errlen, "%s:%d: syntax error: %s",
				 config_error_file(&lc) ? config_error_file(&lc) : file,
				 config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		return -EINVAL;
	}
	rc = check_known(&ld, config_root_setting(&lc), known);
	if (!rc)
		rc = load_control(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_eal(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_dataplane(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_ports(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_tunnels(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_routes(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_neighbors(&ld, config_root_setting(&lc));
	if (!rc)
		rc = load_sas(&ld, config_root_setting(&lc));
	config_destroy(&lc);
	u64map_fini(&ld.seen[0]);
	u64map_fini(&ld.seen[1]);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", file);
		config_free(cfg);
	}
	return rc;
}

void config_free(struct dmvpn_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_eal_args; i++)
		free(cfg->eal_args[i]);
	for (unsigned i = 0; i < CFG_MAX_TUNNELS; i++)
		free(cfg->tunnels[i].maps);
	free(cfg->routes);
	free(cfg->neighbors);
	if (cfg->sas)
		memset(cfg->sas, 0, sizeof(*cfg->sas) * cfg->n_sas); /* keys */
	free(cfg->sas);
	memset(cfg, 0, sizeof(*cfg));
}

int config_port_index(const struct dmvpn_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return (int)i;
	for (unsigned i = 0; i < cfg->n_tunnels; i++)
		if (!strcmp(cfg->tunnels[i].name, name))
			return (int)(CFG_MAX_PORTS + i);
	return -1;
}
