/* SPDX-License-Identifier: BSD-3-Clause */
/* Desired state from the configuration -> shadow tables -> published dataplane tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "control/app.h"
#include "control/core/core.h"
#include "control/ipsec/ike_glue.h"
#include "lib/base/addr.h"
#include "lib/base/u64map.h"

const char *state_ifname(const struct app *a, unsigned ifidx)
{
	if (DP_IF_IS_TUNNEL(ifidx)) {
		unsigned t = ifidx - CFG_MAX_PORTS;

		return t < a->cfg.n_tunnels ? a->cfg.tunnels[t].name : "?";
	}
	return ifidx < a->cfg.n_ports ? a->cfg.ports[ifidx].name : "?";
}

struct want {
	unsigned n, cap;
	struct route_entry *r;
};

static int want_add(struct want *w, uint32_t prefix, uint8_t plen, uint8_t kind,
		    uint8_t nhkind, uint8_t ifidx, uint32_t gw)
{
	struct route_entry *r;

	for (unsigned i = 0; i < w->n; i++)
		if (w->r[i].prefix == prefix && w->r[i].plen == plen)
			return -EEXIST;
	if (app_grow((void **)&w->r, &w->cap, w->n + 1, sizeof(*w->r)))
		return -ENOMEM;
	r = &w->r[w->n++];
	memset(r, 0, sizeof(*r));
	r->prefix = prefix;
	r->plen = plen;
	r->kind = kind;
	r->nh.kind = nhkind;
	r->nh.ifidx = ifidx;
	r->nh.gw = gw;
	return 0;
}

/* The routes a configuration asks for: connected, local, broadcast, default, static. */
static int routes_wanted(const struct dmvpn_config *cfg, struct want *w, char *err, size_t errlen)
{
	char b1[PREFIX_STRLEN];
	int rc = 0;

	for (unsigned i = 0; i < cfg->n_ports && !rc; i++) {
		const struct cfg_port *p = &cfg->ports[i];
		uint32_t m = prefix_mask(p->plen);

		rc = want_add(w, p->addr & m, p->plen, RT_CONNECTED, NH_PORT, (uint8_t)i, 0);
		if (!rc)
			rc = want_add(w, p->addr, 32, RT_LOCAL, NH_LOCAL, (uint8_t)i, 0);
		if (!rc)
			rc = want_add(w, p->addr | ~m, 32, RT_BROADCAST, NH_LOCAL, (uint8_t)i, 0);
		if (!rc && p->gateway)
			rc = want_add(w, 0, 0, RT_DEFAULT, NH_PORT, (uint8_t)i, p->gateway);
		if (rc) {
			snprintf(err, errlen, "%s: port '%s': address %s overlaps another interface",
				 cfg->file, p->name, prefix_fmt(p->addr, p->plen, b1));
			return rc;
		}
	}
	for (unsigned i = 0; i < cfg->n_tunnels; i++) {
		const struct cfg_tunnel *t = &cfg->tunnels[i];
		uint32_t m = prefix_mask(t->plen);

		rc = want_add(w, t->addr & m, t->plen, RT_CONNECTED, NH_TUNNEL, (uint8_t)i, 0);
		if (!rc)
			rc = want_add(w, t->addr, 32, RT_LOCAL, NH_LOCAL, (uint8_t)DP_IF_TUNNEL(i), 0);
		/* The subnet broadcast is ours, not a peer to resolve (routing
		 * daemons on the kernel interface send to it). */
		if (!rc)
			rc = want_add(w, t->addr | ~m, 32, RT_BROADCAST, NH_LOCAL,
				      (uint8_t)DP_IF_TUNNEL(i), 0);
		if (rc) {
			snprintf(err, errlen, "%s: tunnel '%s': address %s overlaps another interface",
				 cfg->file, t->name, prefix_fmt(t->addr, t->plen, b1));
			return rc;
		}
	}
	for (unsigned i = 0; i < cfg->n_routes; i++) {
		const struct cfg_route *r = &cfg->routes[i];
		uint8_t kind = NH_BLACKHOLE, ifidx = 0;

		if (r->kind == CFG_ROUTE_VIA) {
			const struct route_entry *c = NULL;

			/* The next hop must be on a connected subnet (longest match). */
			for (unsigned j = 0; j < w->n; j++) {
				const struct route_entry *e = &w->r[j];

				if (((r->via ^ e->prefix) & prefix_mask(e->plen)) == 0 &&
				    (e->kind == RT_CONNECTED || e->kind == RT_LOCAL ||
				     e->kind == RT_BROADCAST) &&
				    (!c || e->plen > c->plen))
					c = e;
			}
			if (!c || c->kind != RT_CONNECTED) {
				snprintf(err, errlen, "%s: routes[%u]: next hop %s is %s", cfg->file, i,
					 addr_fmt(r->via, b1),
					 c ? "one of our own addresses" : "not on a connected subnet");
				return -EINVAL;
			}
			kind = c->nh.kind;
			ifidx = c->nh.ifidx;
		}
		rc = want_add(w, r->prefix, r->plen, RT_STATIC, kind, ifidx,
			      r->kind == CFG_ROUTE_VIA ? r->via : 0);
		if (rc) {
			snprintf(err, errlen, "%s: routes[%u]: %s is already a connected or default route",
				 cfg->file, i, prefix_fmt(r->prefix, r->plen, b1));
			return rc;
		}
	}
	return 0;
}

/* The routes are indexed by (prefix, length, shortcut or not): a DMVPN hub
 * may hold a route per spoke, 100 000 of them. */
static uint64_t route_key(uint32_t prefix, uint8_t plen, int shortcut)
{
	return (uint64_t)prefix << 9 | (uint64_t)plen << 1 | (shortcut ? 1 : 0);
}

static void route_index(struct app *a, unsigned i)
{
	const struct route_entry *r = &a->routes[i];

	if (!a->route_idx.cap)
		u64map_init(&a->route_idx, 64);
	u64map_put(&a->route_idx, route_key(r->prefix, r->plen, r->kind == RT_SHORTCUT), i);
}

static void routes_reindex(struct app *a)
{
	u64map_fini(&a->route_idx);
	u64map_init(&a->route_idx, a->n_routes);
	for (unsigned i = 0; i < a->n_routes; i++)
		route_index(a, i);
}

static struct route_entry *route_find(struct app *a, uint32_t prefix, uint8_t plen, int shortcut)
{
	uint32_t i;

	if (!a->route_idx.cap || u64map_get(&a->route_idx, route_key(prefix, plen, shortcut), &i))
		return NULL;
	return &a->routes[i];
}

const struct route_entry *state_route_match(const struct app *a, uint32_t addr)
{
	for (int plen = 32; plen >= 0; plen--) {
		const struct route_entry *r =
			route_find((struct app *)a, addr & prefix_mask((uint8_t)plen), (uint8_t)plen, 0);

		if (r)
			return r;
	}
	return NULL;
}

/* Take a next-hop slot for r and point the LPM rule at it, unless a
 * shortcut of the same prefix owns the rule for now. */
static int route_install(struct app *a, struct route_entry *r)
{
	struct dp_tables *t = &a->dp.tables;
	uint32_t idx;
	int rc = tables_nh_alloc(t, &r->nh, &idx);

	if (rc)
		return rc;
	if (r->kind != RT_SHORTCUT && route_find(a, r->prefix, r->plen, 1)) {
		r->nh_idx = idx;
		return 0;
	}
	rc = tables_route_add(t, r->prefix, r->plen, idx);
	if (rc) {
		tables_nh_release(t, idx);
		return rc;
	}
	r->nh_idx = idx;
	return 0;
}

/* Add n (a shortcut, or a route of the routing table) or replace the entry
 * of the same prefix and kind: the LPM rule changes in one atomic update,
 * then the old next hop is released. 0 or -errno (nothing changed). */
static int route_put(struct app *a, struct route_entry *n, int shortcut)
{
	struct route_entry *r;
	uint32_t old;
	int rc;

	if (!route_find(a, n->prefix, n->plen, shortcut) &&
	    app_grow((void **)&a->routes, &a->cap_routes, a->n_routes + 1, sizeof(*a->routes)))
		return -ENOMEM;
	r = route_find(a, n->prefix, n->plen, shortcut);
	if ((rc = route_install(a, n)))
		return rc;
	if (r) {
		old = r->nh_idx;
		*r = *n;
		tables_nh_release(&a->dp.tables, old);
	} else {
		a->routes[a->n_routes++] = *n;
		route_index(a, a->n_routes - 1);
	}
	return 0;
}

static int routes_sync(struct app *a, struct want *w)
{
	struct dp_tables *t = &a->dp.tables;
	unsigned k = 0;
	int rc;

	/* Shortcuts are NHRP's and kernel routes the host daemon's, not the
	 * configuration's: they stay (a configured prefix replaces one). */
	for (unsigned i = 0; i < a->n_routes; i++)
		a->routes[i].seen = a->routes[i].kind == RT_SHORTCUT ||
				    a->routes[i].kind == RT_KERNEL;
	for (unsigned i = 0; i < w->n; i++) {
		struct route_entry *d = &w->r[i], *c = route_find(a, d->prefix, d->plen, 0);

		if (c) {
			uint32_t old = c->nh_idx;

			c->seen = 1;
			if (!memcmp(&c->nh, &d->nh, sizeof(d->nh)) && c->kind == d->kind)
				continue;
			/* Replacing the rule's next hop is one atomic LPM update. */
			if ((rc = route_install(a, d)))
				return rc;
			tables_nh_release(t, old);
			d->seen = 1;
			*c = *d;
			continue;
		}
		if (app_grow((void **)&a->routes, &a->cap_routes, a->n_routes + 1, sizeof(*a->routes)))
			return -ENOMEM;
		if ((rc = route_install(a, d)))
			return rc;
		d->seen = 1;
		a->routes[a->n_routes++] = *d;
		route_index(a, a->n_routes - 1);
	}
	for (unsigned i = 0; i < a->n_routes; i++) {
		struct route_entry *c = &a->routes[i];

		if (!c->seen) {
			if (!route_find(a, c->prefix, c->plen, 1))
				tables_route_del(t, c->prefix, c->plen);
			tables_nh_release(t, c->nh_idx);
			continue;
		}
		a->routes[k++] = *c;
	}
	a->n_routes = k;
	routes_reindex(a);
	return 0;
}

int state_shortcut_add(struct app *a, uint32_t prefix, uint8_t plen, uint8_t tunnel,
		       uint32_t nexthop)
{
	struct route_entry *r = route_find(a, prefix, plen, 1), n = {
		.prefix = prefix, .plen = plen, .kind = RT_SHORTCUT, .seen = 1,
		.nh = {.kind = NH_TUNNEL, .ifidx = tunnel, .gw = nexthop},
	};

	if (r && !memcmp(&r->nh, &n.nh, sizeof(n.nh)))
		return 0;
	/* Overrides the rule of a configured route of the same prefix in one
	 * atomic LPM update. */
	return route_put(a, &n, 1);
}

void state_shortcut_del(struct app *a, uint32_t prefix, uint8_t plen)
{
	struct route_entry *r = route_find(a, prefix, plen, 1), *c;
	struct dp_tables *t = &a->dp.tables;

	if (!r)
		return;
	c = route_find(a, prefix, plen, 0);
	/* Hand the rule back to the configured route, if any. */
	if (c)
		tables_route_add(t, prefix, plen, c->nh_idx);
	else
		tables_route_del(t, prefix, plen);
	tables_nh_release(t, r->nh_idx);
	u64map_del(&a->route_idx, route_key(prefix, plen, 1));
	*r = a->routes[--a->n_routes];
	if (r != &a->routes[a->n_routes])
		route_index(a, (unsigned)(r - a->routes));
}

int state_kernel_route_add(struct app *a, uint32_t prefix, uint8_t plen, uint8_t tunnel,
			   uint32_t nexthop)
{
	struct route_entry *r = route_find(a, prefix, plen, 0), n = {
		.prefix = prefix, .plen = plen, .kind = RT_KERNEL, .seen = 1,
		.nh = {.kind = NH_TUNNEL, .ifidx = tunnel, .gw = nexthop},
	};

	if (r && r->kind != RT_KERNEL)
		return -EEXIST;
	if (r && !memcmp(&r->nh, &n.nh, sizeof(n.nh)))
		return 0;
	/* A new next hop replaces the old in one atomic LPM update. */
	return route_put(a, &n, 0);
}

int state_kernel_route_del(struct app *a, uint32_t prefix, uint8_t plen)
{
	struct route_entry *r = route_find(a, prefix, plen, 0);
	struct dp_tables *t = &a->dp.tables;

	if (!r || r->kind != RT_KERNEL)
		return -ENOENT;
	/* A shortcut of the same prefix keeps the rule. */
	if (!route_find(a, prefix, plen, 1))
		tables_route_del(t, prefix, plen);
	tables_nh_release(t, r->nh_idx);
	u64map_del(&a->route_idx, route_key(prefix, plen, 0));
	*r = a->routes[--a->n_routes];
	if (r != &a->routes[a->n_routes])
		route_index(a, (unsigned)(r - a->routes));
	return 0;
}

static int conf_publish(struct app *a, const struct dmvpn_config *cfg)
{
	struct dp_conf *c = rte_zmalloc("dp_conf", sizeof(*c), RTE_CACHE_LINE_SIZE), *old;

	if (!c)
		return -ENOMEM;
	c->n_ports = cfg->n_ports;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		c->ports[i].port_id = a->port_ids[i];
		c->ports[i].mtu = cfg->ports[i].mtu;
		c->ports[i].addr = cfg->ports[i].addr;
		c->ports[i].plen = cfg->ports[i].plen;
		memcpy(c->ports[i].mac, a->port_macs[i], 6);
	}
	c->n_tunnels = cfg->n_tunnels;
	for (unsigned i = 0; i < cfg->n_tunnels; i++) {
		const struct cfg_tunnel *t = &cfg->tunnels[i];

		c->tunnels[i].source = (uint8_t)t->source;
		c->tunnels[i].has_key = (uint8_t)t->has_key;
		c->tunnels[i].key = rte_cpu_to_be_32(t->key);
		c->tunnels[i].ttl = t->ttl;
		c->tunnels[i].mtu = t->mtu;
		c->tunnels[i].src = cfg->ports[t->source].addr;
		c->tunnels[i].flags = (uint8_t)((t->n_nhs ? TUN_F_RESOLVE : 0) |
						(t->redirect ? TUN_F_REDIRECT : 0) |
						(t->protect ? TUN_F_PROTECT : 0) |
						(t->kif[0] ? TUN_F_KERNEL : 0));
		c->tunnels[i].addr = t->addr;
		c->tunnels[i].bcast = t->addr | ~prefix_mask(t->plen);
	}
	old = atomic_exchange_explicit(&a->dp.conf, c, memory_order_acq_rel);
	return tables_defer_free(&a->dp.tables, old);
}

static int neighbors_static_sync(struct app *a, const struct dmvpn_config *cfg)
{
	int rc;

	for (unsigned i = 0; i < a->n_neighs; i++)
		a->neighs[i].seen = 0;
	for (unsigned i = 0; i < cfg->n_neighbors; i++) {
		const struct cfg_neighbor *n = &cfg->neighbors[i];

		if ((rc = neigh_set_static(a, (uint8_t)n->port, n->addr, n->mac)))
			return rc;
	}
	/* Static entries no longer configured are forgotten, to be learned again. */
	for (unsigned i = 0; i < a->n_neighs; i++)
		if (a->neighs[i].state == NEIGH_STATIC && !a->neighs[i].seen) {
			a->neighs[i].state = NEIGH_PROBE;
			a->neighs[i].updated_ms = 0;
		}
	return 0;
}

int state_apply(struct app *a, const struct dmvpn_config *cfg, char *err, size_t errlen)
{
	struct want w = {0};
	int rc = routes_wanted(cfg, &w, err, errlen);

	/* IKEv2 first: what it refuses leaves everything else as it was.
	 * Its new settings apply to SAs set up from now on. */
	if (!rc)
		rc = ike_glue_apply(a, cfg, err, errlen);
	/* Everything that can be refused is checked above; below only
	 * resource exhaustion can fail. */
	if (!rc && (rc = conf_publish(a, cfg)))
		snprintf(err, errlen, "out of memory publishing interfaces");
	if (!rc && (rc = routes_sync(a, &w)))
		snprintf(err, errlen, "route table full (dataplane.max_routes): %s", strerror(-rc));
	if (!rc && (rc = nhrp_static_sync(a, cfg)))
		snprintf(err, errlen, "NHRP table full (dataplane.max_peers): %s", strerror(-rc));
	if (!rc)
		nhrp_nhs_sync(a, cfg);
	if (!rc && (rc = ipsec_sync(a, cfg)))
		snprintf(err, errlen, "cannot install IPsec SAs: %s", strerror(-rc));
	if (!rc && (rc = neighbors_static_sync(a, cfg)))
		snprintf(err, errlen, "neighbour table full (dataplane.max_neighbors): %s",
			 strerror(-rc));
	free(w.r);
	return rc;
}

/* What a reload cannot change without a restart. */
static int reload_compatible(const struct dmvpn_config *o, const struct dmvpn_config *n,
			     char *err, size_t errlen)
{
	if (o->n_ports != n->n_ports) {
		snprintf(err, errlen, "%s: the number of ports changed: restart dmvpnd", n->file);
		return 0;
	}
	for (unsigned i = 0; i < o->n_ports; i++)
		if (strcmp(o->ports[i].name, n->ports[i].name) ||
		    strcmp(o->ports[i].device, n->ports[i].device)) {
			snprintf(err, errlen, "%s: port '%s' changed name or device: restart dmvpnd",
				 n->file, n->ports[i].name);
			return 0;
		}
	if (o->n_tunnels != n->n_tunnels) {
		snprintf(err, errlen, "%s: the number of tunnels changed: restart dmvpnd", n->file);
		return 0;
	}
	for (unsigned i = 0; i < o->n_tunnels; i++) {
		if (strcmp(o->tunnels[i].name, n->tunnels[i].name)) {
			snprintf(err, errlen, "%s: tunnel '%s' renamed: restart dmvpnd", n->file,
				 n->tunnels[i].name);
			return 0;
		}
		/* The TUN device and its address are made once, at start. */
		if (strcmp(o->tunnels[i].kif, n->tunnels[i].kif) ||
		    (o->tunnels[i].kif[0] && (o->tunnels[i].addr != n->tunnels[i].addr ||
					      o->tunnels[i].plen != n->tunnels[i].plen))) {
			snprintf(err, errlen, "%s: tunnel '%s': kernel interface or its address "
				 "changed: restart dmvpnd", n->file, n->tunnels[i].name);
			return 0;
		}
	}
	return 1;
}

int state_reload(struct app *a, char *err, size_t errlen)
{
	struct dmvpn_config n;
	struct want w = {0};
	int rc;

	a->cnt.reloads++;
	rc = config_load(a->cfg_path, &n, err, errlen);
	if (rc)
		goto fail;
	if (!reload_compatible(&a->cfg, &n, err, errlen)) {
		rc = -EINVAL;
		goto fail_cfg;
	}
	/* Dry run first: a bad file must change nothing. */
	rc = routes_wanted(&n, &w, err, errlen);
	free(w.r);
	if (!rc)
		rc = ipsec_check(a, &n, err, errlen);
	if (rc)
		goto fail_cfg;
	rc = state_apply(a, &n, err, errlen);
	if (rc)
		goto fail_cfg;
	if (strcmp(a->cfg.socket_path, n.socket_path))
		LOG(a, "control socket path changes only on restart");
	/* Keep what is bound at start-up; take the rest. */
	strcpy(n.socket_path, a->cfg.socket_path);
	config_free(&a->cfg);
	a->cfg = n;
	return 0;
fail_cfg:
	config_free(&n);
fail:
	a->cnt.reload_errors++;
	return rc;
}
