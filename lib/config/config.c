/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnd configuration: libconfig file -> validated struct; errors name file, line, setting. */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/addr.h"
#include "lib/config/config.h"
#include "lib/esp/esp.h"
#include "lib/esp/replay.h"
#include "lib/base/u64map.h"

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
	static const char *const known[] = {"socket", "socket_mode", "client_timeout", NULL};
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
	return get_uint(ld, g, "client_timeout", 1, 3600, &ld->cfg->client_timeout);
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
	static const char *const known[] = {"protocol", "nbma", "multicast", NULL};
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
		    (rc = get_addr(ld, g, "nbma", 1, &m->nbma)) ||
		    (rc = get_bool(ld, g, "multicast", &m->multicast)))
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

/* nhrp.multicast: where multicast from the kernel interface is replicated,
 * as IOS's `ip nhrp map multicast dynamic|NBMA`: "dynamic" (registered
 * spokes), "nhs" (our servers) and NBMA addresses. Without the setting a
 * spoke sends multicast to its NHSes, so that a routing protocol works
 * with no more configuration than the NHS. */
static int load_multicast(struct loader *ld, const config_setting_t *nhrp, struct cfg_tunnel *t)
{
	const config_setting_t *l = member(nhrp, "multicast");
	int n;

	if (!l)
		return 0;
	t->mc_nhs = 0;
	if (config_setting_type(l) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_array(l) || config_setting_is_list(l))
		n = config_setting_length(l);
	else
		return fail_at(ld, l, "expected a list of \"dynamic\", \"nhs\" or NBMA addresses");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_type(l) == CONFIG_TYPE_STRING ?
					    l : config_setting_get_elem(l, (unsigned)i);
		const char *v;
		uint32_t a;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail_at(ld, e, "expected \"dynamic\", \"nhs\" or an NBMA address");
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
			return fail_at(ld, e, "'%s': use \"dynamic\", \"nhs\" or an NBMA address", v);
		for (unsigned j = 0; j < t->n_mc; j++)
			if (t->mc_nbma[j] == a)
				return fail_at(ld, e, "'%s' given twice", v);
		if (t->n_mc == CFG_MAX_MC)
			return fail_at(ld, e, "at most %d addresses", CFG_MAX_MC);
		t->mc_nbma[t->n_mc++] = a;
	}
	return 0;
}

static int load_nhrp(struct loader *ld, const config_setting_t *nh, struct cfg_tunnel *t)
{
	static const char *const known[] = {"network_id", "holdtime", "map", "nhs",
		"registration_interval", "authentication", "unique", "shortcut", "redirect",
		"multicast", NULL};
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
	    (rc = load_maps(ld, nh, t)) || (rc = load_nhs(ld, nh, t)) ||
	    (rc = load_multicast(ld, nh, t)))
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

/* kernel_interface = true (named after the tunnel) or a name: a TUN device
 * carrying the tunnel address, for a routing daemon on the host. */
static int load_kif(struct loader *ld, const config_setting_t *g, struct cfg_tunnel *t)
{
	const config_setting_t *s = member(g, "kernel_interface");
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
			return fail_at(ld, s, "'%s' is not an interface name (1..%d characters, "
				       "no '/', ':' or spaces)", v, CFG_NAME_MAX - 1);
		strcpy(t->kif, v);
	} else {
		return fail_at(ld, s, "expected true, false or an interface name");
	}
	for (unsigned j = 0; v[0] && j < ld->cfg->n_tunnels; j++)
		if (!strcmp(ld->cfg->tunnels[j].kif, v))
			return fail_at(ld, s, "'%s' is already the kernel interface of tunnel '%s'",
				       v, ld->cfg->tunnels[j].name);
	return 0;
}

static int load_tunnels(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"name", "address", "source", "key", "mtu",
		"ttl", "nhrp", "protection", "kernel_interface", NULL};
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
		t->mc_nhs = 1;
		if ((rc = load_kif(ld, g, t)))
			return rc;
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
		"algorithm", "esn", "replay_window", "lifetime", "in", "out", "inner_local",
		"inner_remote", NULL};
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
		/* A peer whose policy names other addresses (its own behind a
		 * NAT): tunnel mode's inner header carries those. */
		if ((rc = get_addr(ld, g, "inner_local", 0, &sa->inner_local)) ||
		    (rc = get_addr(ld, g, "inner_remote", 0, &sa->inner_remote)))
			return rc;
		if ((sa->inner_local || sa->inner_remote) && sa->mode != CFG_SA_TUNNEL)
			return fail_at(ld, member(g, sa->inner_local ? "inner_local" : "inner_remote"),
				       "inner addresses need mode = \"tunnel\"");
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

/* ---- ike: IKEv2, shaped like strongSwan's swanctl.conf ---- */

#define IKE_DEFAULT_PROPOSALS {"aes128gcm16-prfsha256-ecp256", "aes256-sha256-modp2048"}
#define IKE_DEFAULT_ESP {"aes128gcm16", "aes256gcm16", "aes128-sha256"}

/* How an identity is written decides its type, as in swanctl.conf: an
 * IPv4 address, "@#hex" a key-id, "@name" or a dotted name an FQDN,
 * "user@domain" an RFC 822 address, "C=.., O=.., CN=.." a DN. */
static int ike_id_classify(const char *v, uint8_t *type)
{
	uint32_t ip;

	if (!addr_parse(v, &ip)) {
		*type = IKE_ID_IPV4;
		return 0;
	}
	if (!strncmp(v, "@#", 2)) {
		size_t n = strlen(v + 2);

		if (!n || n % 2)
			return -EINVAL;
		for (const char *p = v + 2; *p; p++)
			if (hexval(*p) < 0)
				return -EINVAL;
		*type = IKE_ID_KEY_ID;
		return 0;
	}
	if (v[0] == '@') {
		if (!v[1])
			return -EINVAL;
		*type = IKE_ID_FQDN;
		return 0;
	}
	if (strchr(v, '=')) {
		*type = IKE_ID_DER_DN;
		return 0;
	}
	*type = strchr(v, '@') ? IKE_ID_RFC822 : IKE_ID_FQDN;
	return 0;
}

static int get_ike_id(struct loader *ld, const config_setting_t *g, int remote,
		      struct cfg_ike_end *e)
{
	const char *v;
	int rc = get_str(ld, g, "id", 0, &v);

	if (rc || !v)
		return rc;
	if (!v[0] || strlen(v) >= CFG_IKE_ID_MAX)
		return fail_at(ld, member(g, "id"), "must be 1..%d characters", CFG_IKE_ID_MAX - 1);
	if (!strcmp(v, "%any")) {
		if (!remote)
			return fail_at(ld, member(g, "id"), "%%any is for the remote end only");
		return 0; /* "" accepts any */
	}
	if (ike_id_classify(v, &e->id_type))
		return fail_at(ld, member(g, "id"), "'%s' is not an identity (an IPv4 address, "
			       "a name, @name, @#hex key-id, user@domain or a DN)", v);
	strcpy(e->id, v);
	return 0;
}

/* A PEM file: a path relative to the configuration file's directory, readable now. */
static int get_ike_file(struct loader *ld, const config_setting_t *g, const char *name,
			char *out)
{
	const char *v, *slash;
	int rc = get_str(ld, g, name, 0, &v), n;

	if (rc || !v)
		return rc;
	slash = strrchr(ld->file, '/');
	if (v[0] == '/' || !slash)
		n = snprintf(out, CFG_IKE_PATH_MAX, "%s", v);
	else
		n = snprintf(out, CFG_IKE_PATH_MAX, "%.*s/%s", (int)(slash - ld->file), ld->file, v);
	if (!v[0] || n < 0 || n >= CFG_IKE_PATH_MAX)
		return fail_at(ld, member(g, name), "path empty or too long");
	if (access(out, R_OK))
		return fail_at(ld, member(g, name), "cannot read '%s': %s", out, strerror(errno));
	return 0;
}

static int load_ike_end(struct loader *ld, const config_setting_t *conn, int remote,
			struct cfg_ike_end *e)
{
	static const char *const known_local[] = {"auth", "id", "cert", "key", NULL};
	static const char *const known_remote[] = {"auth", "id", "cacert", NULL};
	const char *name = remote ? "remote" : "local";
	const config_setting_t *g = member(conn, name);
	const char *auth;
	int rc;

	if (!g)
		return 0;
	if (!config_setting_is_group(g))
		return fail_at(ld, g, "expected a group { auth = ...; id = ...; }");
	if ((rc = check_known(ld, g, remote ? known_remote : known_local)) ||
	    (rc = get_str(ld, g, "auth", 0, &auth)) || (rc = get_ike_id(ld, g, remote, e)))
		return rc;
	if (remote)
		rc = get_ike_file(ld, g, "cacert", e->cacert);
	else if (!(rc = get_ike_file(ld, g, "cert", e->cert)))
		rc = get_ike_file(ld, g, "key", e->key);
	if (rc)
		return rc;
	if (auth && strcmp(auth, "psk") && strcmp(auth, "pubkey"))
		return fail_at(ld, member(g, "auth"), "'%s': use \"psk\" or \"pubkey\"", auth);
	/* Certificates given and no auth: they are what authenticates. */
	if (auth)
		e->auth = !strcmp(auth, "psk") ? CFG_IKE_AUTH_PSK : CFG_IKE_AUTH_PUBKEY;
	else if (e->cert[0] || e->cacert[0])
		e->auth = CFG_IKE_AUTH_PUBKEY;
	if (e->auth != CFG_IKE_AUTH_PUBKEY || remote)
		return 0; /* the remote end is checked with the local one's default */
	if (!e->cert[0])
		return fail_missing(ld, g, "cert");
	if (!e->key[0])
		return fail_missing(ld, g, "key");
	return 0;
}

/* A list of proposals, or the defaults when absent. */
static int get_suites(struct loader *ld, const config_setting_t *g, const char *name, int esp,
		      const char *const *defaults, unsigned n_defaults, struct ike_suite *out,
		      unsigned *n_out)
{
	const config_setting_t *l = member(g, name);
	char err[128];
	int n;

	if (!l) {
		for (unsigned i = 0; i < n_defaults; i++)
			if (ike_suite_parse(defaults[i], esp, &out[i], err, sizeof(err)))
				return fail_at(ld, g, "default proposal '%s': %s", defaults[i], err);
		*n_out = n_defaults;
		return 0;
	}
	if (!config_setting_is_array(l) && !config_setting_is_list(l))
		return fail_at(ld, l, "expected an array of strings [ \"...\", ... ]");
	n = config_setting_length(l);
	if (n == 0 || n > CFG_IKE_MAX_SUITES)
		return fail_at(ld, l, "1..%d proposals", CFG_IKE_MAX_SUITES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail_at(ld, e, "expected a string");
		v = config_setting_get_string(e);
		err[0] = 0;
		if (ike_suite_parse(v, esp, &out[i], err, sizeof(err)))
			return fail_at(ld, e, "'%s': %s", v, err[0] ? err : "not a proposal");
		/* The dataplane must be able to run what IKE agrees on. */
		if (esp && ike_suite_esp_alg(&out[i]) < 0)
			return fail_at(ld, e, "'%s': the ESP dataplane does not implement it", v);
	}
	*n_out = (unsigned)n;
	return 0;
}

static int load_ike_child(struct loader *ld, const config_setting_t *conn, struct cfg_ike_child *c)
{
	static const char *const known[] = {"esp_proposals", "mode", "rekey_time", "life_time",
		"rekey_bytes", "rekey_packets", "replay_window", NULL};
	static const char *const esp_defaults[] = IKE_DEFAULT_ESP;
	const config_setting_t *l = member(conn, "children"), *g = NULL;
	unsigned rb = 0, rp = 0;
	const char *mode;
	int rc;

	strcpy(c->name, "gre");
	c->rekey_time = 3600;
	c->replay_window = 64;
	if (l) {
		if (!config_setting_is_group(l))
			return fail_at(ld, l, "expected a group { name = { ... }; }");
		if (config_setting_length(l) > 1)
			return fail_at(ld, config_setting_get_elem(l, 1),
				       "one CHILD_SA per connection (the GRE one)");
		g = config_setting_get_elem(l, 0);
	}
	if (g) {
		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { esp_proposals = ...; ... }");
		if (strlen(config_setting_name(g)) >= CFG_IKE_NAME_MAX)
			return fail_at(ld, g, "name longer than %d characters", CFG_IKE_NAME_MAX - 1);
		strcpy(c->name, config_setting_name(g));
		if ((rc = check_known(ld, g, known)) ||
		    (rc = get_str(ld, g, "mode", 0, &mode)) ||
		    (rc = get_uint(ld, g, "rekey_time", 0, 0x7fffffff, &c->rekey_time)) ||
		    (rc = get_uint(ld, g, "life_time", 0, 0x7fffffff, &c->life_time)) ||
		    (rc = get_uint(ld, g, "rekey_bytes", 0, 0xffffffffLL, &rb)) ||
		    (rc = get_uint(ld, g, "rekey_packets", 0, 0xffffffffLL, &rp)) ||
		    (rc = get_uint(ld, g, "replay_window", 0, REPLAY_MAX, &c->replay_window)))
			return rc;
		if (mode && strcmp(mode, "transport") && strcmp(mode, "tunnel"))
			return fail_at(ld, member(g, "mode"), "'%s': use \"transport\" or \"tunnel\"",
				       mode);
		c->mode = mode && !strcmp(mode, "tunnel") ? CFG_SA_TUNNEL : CFG_SA_TRANSPORT;
		if (c->replay_window && c->replay_window < REPLAY_MIN)
			return fail_at(ld, member(g, "replay_window"), "0 (off) or %d..%d", REPLAY_MIN,
				       REPLAY_MAX);
		if (member(g, "life_time") && c->rekey_time && c->life_time <= c->rekey_time)
			return fail_at(ld, member(g, "life_time"), "must be longer than rekey_time (%u)",
				       c->rekey_time);
	}
	c->rekey_bytes = rb;
	c->rekey_packets = rp;
	/* As strongSwan: the hard end 10 % after the rekey. */
	if (!g || !member(g, "life_time"))
		c->life_time = c->rekey_time + c->rekey_time / 10;
	if ((rc = get_suites(ld, g, "esp_proposals", 1, esp_defaults,
			     sizeof(esp_defaults) / sizeof(esp_defaults[0]), c->esp, &c->n_esp)))
		return rc;
	for (unsigned i = 0; i < c->n_esp; i++)
		if (c->esp[i].esn && !c->replay_window)
			return fail_at(ld, g ? member(g, "esp_proposals") : conn,
				       "ESN needs the replay window to infer the high half");
	return 0;
}

/* A PSK is written as text, or as hex after "0x". */
static int get_ike_secret(struct loader *ld, const config_setting_t *g, struct cfg_ike_secret *s)
{
	const char *v;
	size_t n;
	int rc = get_str(ld, g, "secret", 1, &v);

	if (rc)
		return rc;
	n = strlen(v);
	if (!strncmp(v, "0x", 2)) {
		size_t k = 0;

		if (n == 2 || n % 2 || (n - 2) / 2 > CFG_IKE_PSK_MAX)
			return fail_at(ld, member(g, "secret"), "0x and 2..%d hex digits",
				       2 * CFG_IKE_PSK_MAX);
		for (const char *p = v + 2; *p; p += 2) {
			if (hexval(p[0]) < 0 || hexval(p[1]) < 0)
				return fail_at(ld, member(g, "secret"), "not a hex string");
			s->secret[k++] = (char)(hexval(p[0]) << 4 | hexval(p[1]));
		}
		s->secret_len = k;
		return 0;
	}
	if (n == 0 || n >= CFG_IKE_PSK_MAX)
		return fail_at(ld, member(g, "secret"), "must be 1..%d characters", CFG_IKE_PSK_MAX - 1);
	memcpy(s->secret, v, n);
	s->secret_len = n;
	return 0;
}

static int load_ike_secrets(struct loader *ld, const config_setting_t *ike)
{
	static const char *const known[] = {"id", "secret", NULL};
	const config_setting_t *l = member(ike, "secrets");
	struct cfg_ike *k = &ld->cfg->ike;
	int rc, n;

	if (!l)
		return 0;
	if (!config_setting_is_group(l))
		return fail_at(ld, l, "expected a group { name = { id = ...; secret = ...; }; }");
	n = config_setting_length(l);
	k->secrets = calloc((size_t)n + 1, sizeof(*k->secrets));
	if (!k->secrets)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_ike_secret *s = &k->secrets[i];
		struct cfg_ike_end tmp = {0};

		if (!config_setting_is_group(g))
			return fail_at(ld, g, "expected a group { id = ...; secret = ...; }");
		if ((rc = check_known(ld, g, known)) || (rc = get_ike_id(ld, g, 1, &tmp)) ||
		    (rc = get_ike_secret(ld, g, s)))
			return rc;
		strcpy(s->id, tmp.id);
		for (unsigned j = 0; j < k->n_secrets; j++)
			if (!strcmp(k->secrets[j].id, s->id))
				return fail_at(ld, member(g, "id") ? member(g, "id") : g,
					       "a second secret for %s", s->id[0] ? s->id : "any peer");
		k->n_secrets++;
	}
	return 0;
}

/* A PSK that a connection can use: one for its remote id, or for any peer. */
static int ike_has_psk(const struct cfg_ike *k, const struct cfg_ike_conn *c)
{
	for (unsigned i = 0; i < k->n_secrets; i++)
		if (!k->secrets[i].id[0] || !strcmp(k->secrets[i].id, c->remote.id) ||
		    !c->remote.id[0])
			return 1;
	return 0;
}

static int load_ike_conn(struct loader *ld, const config_setting_t *g, struct cfg_ike_conn *c)
{
	static const char *const known[] = {"tunnel", "proposals", "rekey_time", "over_time",
		"dpd_delay", "dpd_timeout", "encap", "local", "remote", "children", NULL};
	static const char *const ike_defaults[] = IKE_DEFAULT_PROPOSALS;
	struct dmvpn_config *cfg = ld->cfg;
	const char *tun;
	int rc, ti = -1;

	if (!config_setting_is_group(g))
		return fail_at(ld, g, "expected a group { tunnel = ...; ... }");
	if (strlen(config_setting_name(g)) >= CFG_IKE_NAME_MAX)
		return fail_at(ld, g, "name longer than %d characters", CFG_IKE_NAME_MAX - 1);
	strcpy(c->name, config_setting_name(g));
	c->rekey_time = 14400;
	c->dpd_delay = 30;
	if ((rc = check_known(ld, g, known)) || (rc = get_str(ld, g, "tunnel", 0, &tun)) ||
	    (rc = get_uint(ld, g, "rekey_time", 0, 0x7fffffff, &c->rekey_time)) ||
	    (rc = get_uint(ld, g, "over_time", 0, 0x7fffffff, &c->over_time)) ||
	    (rc = get_uint(ld, g, "dpd_delay", 0, 86400, &c->dpd_delay)) ||
	    (rc = get_uint(ld, g, "dpd_timeout", 0, 86400, &c->dpd_timeout)) ||
	    (rc = get_bool(ld, g, "encap", &c->encap)))
		return rc;
	if (tun) {
		ti = config_port_index(cfg, tun) - CFG_MAX_PORTS;
		if (ti < 0)
			return fail_at(ld, member(g, "tunnel"), "'%s' is not a tunnel", tun);
	} else {
		/* Left out: the one protected tunnel there is. */
		for (unsigned i = 0; i < cfg->n_tunnels; i++)
			if (cfg->tunnels[i].protect)
				ti = ti == -1 ? (int)i : -2;
		if (ti < 0)
			return fail_missing(ld, g, "tunnel");
	}
	if (!cfg->tunnels[ti].protect)
		return fail_at(ld, member(g, "tunnel") ? member(g, "tunnel") : g,
			       "tunnel '%s' needs protection = \"ipsec\"", cfg->tunnels[ti].name);
	for (unsigned i = 0; i < cfg->ike.n_conns; i++)
		if (cfg->ike.conns[i].tunnel == (unsigned)ti)
			return fail_at(ld, member(g, "tunnel") ? member(g, "tunnel") : g,
				       "tunnel '%s' is keyed by connection '%s' already",
				       cfg->tunnels[ti].name, cfg->ike.conns[i].name);
	c->tunnel = (unsigned)ti;
	c->local_addr = cfg->ports[cfg->tunnels[ti].source].addr;
	if (!member(g, "over_time"))
		c->over_time = c->rekey_time / 10;
	if ((rc = get_suites(ld, g, "proposals", 0, ike_defaults,
			     sizeof(ike_defaults) / sizeof(ike_defaults[0]), c->ike, &c->n_ike)) ||
	    (rc = load_ike_end(ld, g, 0, &c->local)) || (rc = load_ike_end(ld, g, 1, &c->remote)) ||
	    (rc = load_ike_child(ld, g, &c->child)))
		return rc;
	/* Profile defaults: PSK, and the peer authenticates as we do. */
	if (!c->local.auth)
		c->local.auth = CFG_IKE_AUTH_PSK;
	if (!c->remote.auth)
		c->remote.auth = c->local.auth;
	/* A peer's certificate is checked against a CA. */
	if (c->remote.auth == CFG_IKE_AUTH_PUBKEY && !c->remote.cacert[0]) {
		char path[128], full[160];

		snprintf(full, sizeof(full), "%s.remote.cacert", spath(g, path, sizeof(path)));
		return fail(ld, member(g, "remote") ? member(g, "remote") : g, full, "missing");
	}
	if ((c->local.auth == CFG_IKE_AUTH_PSK || c->remote.auth == CFG_IKE_AUTH_PSK) &&
	    !ike_has_psk(&cfg->ike, c))
		return fail_at(ld, g, "PSK authentication and no secret in ike.secrets for %s",
			       c->remote.id[0] ? c->remote.id : "its peers");
	return 0;
}

static int load_ike(struct loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"connections", "secrets", "cookie_threshold",
		"half_open_timeout", "retransmit_tries", "retransmit_timeout_ms", "max_ike_sas",
		NULL};
	const config_setting_t *g = member(root, "ike"), *l;
	struct cfg_ike *k = &ld->cfg->ike;
	int rc, n;

	k->cookie_threshold = 10;
	k->half_open_timeout = 30;
	k->retransmit_tries = 5;
	k->retransmit_timeout_ms = 1000;
	k->max_ike_sas = ld->cfg->max_peers;
	if (!g)
		return 0;
	if (!config_setting_is_group(g))
		return fail_at(ld, g, "expected a group { connections = { ... }; secrets = { ... }; }");
	if ((rc = check_known(ld, g, known)) ||
	    (rc = get_uint(ld, g, "cookie_threshold", 0, 1000000, &k->cookie_threshold)) ||
	    (rc = get_uint(ld, g, "half_open_timeout", 1, 3600, &k->half_open_timeout)) ||
	    (rc = get_uint(ld, g, "retransmit_tries", 1, 20, &k->retransmit_tries)) ||
	    (rc = get_uint(ld, g, "retransmit_timeout_ms", 100, 60000, &k->retransmit_timeout_ms)) ||
	    (rc = get_uint(ld, g, "max_ike_sas", 1, 1 << 24, &k->max_ike_sas)) ||
	    (rc = load_ike_secrets(ld, g)))
		return rc;
	l = member(g, "connections");
	if (!l)
		return 0;
	if (!config_setting_is_group(l))
		return fail_at(ld, l, "expected a group { name = { tunnel = ...; ... }; }");
	n = config_setting_length(l);
	if (n > CFG_IKE_MAX_CONNS)
		return fail_at(ld, l, "at most %d connections (one per tunnel)", CFG_IKE_MAX_CONNS);
	for (int i = 0; i < n; i++) {
		struct cfg_ike_conn *c = &k->conns[i];

		if ((rc = load_ike_conn(ld, config_setting_get_elem(l, (unsigned)i), c)))
			return rc;
		/* Give up on a silent peer after the retransmits' worth, by default. */
		if (!c->dpd_timeout) {
			unsigned long ms = 0, t = k->retransmit_timeout_ms;

			for (unsigned r = 0; r <= k->retransmit_tries; r++, t *= 2)
				ms += t;
			c->dpd_timeout = (unsigned)((ms + 999) / 1000);
		}
		k->n_conns++;
	}
	return 0;
}

static void config_defaults(struct dmvpn_config *cfg, const char *file)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->file, sizeof(cfg->file), "%s", file);
	strcpy(cfg->socket_path, "/run/dmvpn/dmvpnd.sock");
	cfg->socket_mode = 0600;
	cfg->client_timeout = 60;
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
		"tunnels", "routes", "neighbors", "ipsec", "ike", NULL};
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
	if (!rc)
		rc = load_ike(&ld, config_root_setting(&lc));
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
	/* PSKs; a load that failed may have filled one past n_secrets. */
	if (cfg->ike.secrets)
		memset(cfg->ike.secrets, 0, sizeof(*cfg->ike.secrets) * (cfg->ike.n_secrets + 1));
	free(cfg->ike.secrets);
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
