/* SPDX-License-Identifier: BSD-3-Clause */
/* Config sections of the process and its ports: control, eal, dataplane, ports. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/addr.h"
#include "lib/config/config_priv.h"

int cfg_load_control(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"socket", "socket_mode", "client_timeout", NULL};
	const config_setting_t *g = cfg_member(root, "control");
	const char *v;
	int rc;

	if (!g)
		return 0;
	if ((rc = cfg_check_known(ld, g, known)))
		return rc;
	if ((rc = cfg_get_str(ld, g, "socket", 0, &v)))
		return rc;
	if (v) {
		if (!v[0] || strlen(v) >= sizeof(ld->cfg->socket_path))
			return cfg_fail_at(ld, cfg_member(g, "socket"), "path empty or too long");
		strcpy(ld->cfg->socket_path, v);
	}
	if ((rc = cfg_get_str(ld, g, "socket_mode", 0, &v)))
		return rc;
	if (v) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);

		if (!v[0] || *end || m > 0777)
			return cfg_fail_at(ld, cfg_member(g, "socket_mode"),
					   "'%s' is not an octal mode", v);
		ld->cfg->socket_mode = (unsigned)m;
	}
	return cfg_get_uint(ld, g, "client_timeout", 1, 3600, &ld->cfg->client_timeout);
}

int cfg_load_eal(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"args", NULL};
	const config_setting_t *g = cfg_member(root, "eal"), *a;
	struct dmvpn_config *cfg = ld->cfg;
	int rc, n;

	if (!g)
		return 0;
	if ((rc = cfg_check_known(ld, g, known)))
		return rc;
	a = cfg_member(g, "args");
	if (!a)
		return 0;
	if (!config_setting_is_array(a) && !config_setting_is_list(a))
		return cfg_fail_at(ld, a, "expected an array of strings");
	n = config_setting_length(a);
	if (n > CFG_MAX_EAL_ARGS)
		return cfg_fail_at(ld, a, "more than %d arguments", CFG_MAX_EAL_ARGS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return cfg_fail_at(ld, e, "expected a string");
		cfg->eal_args[cfg->n_eal_args++] = strdup(config_setting_get_string(e));
	}
	return 0;
}

int cfg_load_dataplane(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"mbufs", "rx_descriptors", "tx_descriptors",
		"burst", "idle_polls", "idle_sleep_us", "max_routes", "max_neighbors",
		"max_peers", "neighbor_timeout", NULL};
	const config_setting_t *g = cfg_member(root, "dataplane");
	struct dmvpn_config *c = ld->cfg;
	int rc;

	if (!g)
		return 0;
	if ((rc = cfg_check_known(ld, g, known)) ||
	    (rc = cfg_get_uint(ld, g, "mbufs", 1024, 1 << 24, &c->mbufs)) ||
	    (rc = cfg_get_uint(ld, g, "rx_descriptors", 64, 16384, &c->rx_desc)) ||
	    (rc = cfg_get_uint(ld, g, "tx_descriptors", 64, 16384, &c->tx_desc)) ||
	    (rc = cfg_get_uint(ld, g, "burst", 1, 64, &c->burst)) ||
	    (rc = cfg_get_uint(ld, g, "idle_polls", 1, 1000000, &c->idle_polls)) ||
	    (rc = cfg_get_uint(ld, g, "idle_sleep_us", 0, 100000, &c->idle_sleep_us)) ||
	    (rc = cfg_get_uint(ld, g, "max_routes", 16, 1 << 24, &c->max_routes)) ||
	    (rc = cfg_get_uint(ld, g, "max_neighbors", 16, 1 << 24, &c->max_neighbors)) ||
	    (rc = cfg_get_uint(ld, g, "max_peers", 16, 1 << 24, &c->max_peers)) ||
	    (rc = cfg_get_uint(ld, g, "neighbor_timeout", 10, 86400, &c->neighbor_timeout)))
		return rc;
	return 0;
}

int cfg_load_ports(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"name", "device", "address", "gateway", "mtu", NULL};
	struct dmvpn_config *cfg = ld->cfg;
	const config_setting_t *l;
	int rc, n;

	l = cfg_get_list(ld, root, "ports", &rc);
	if (rc)
		return rc;
	if (!l || config_setting_length(l) == 0)
		return cfg_fail(ld, l, "ports", "at least one port is required");
	n = config_setting_length(l);
	if (n > CFG_MAX_PORTS)
		return cfg_fail_at(ld, l, "at most %d ports", CFG_MAX_PORTS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_port *p = &cfg->ports[i];
		const char *dev;
		unsigned mtu = 1500;

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g, "expected a group { ... }");
		if ((rc = cfg_check_known(ld, g, known)) || (rc = cfg_get_name(ld, g, p->name)) ||
		    (rc = cfg_get_str(ld, g, "device", 1, &dev)) ||
		    (rc = cfg_get_prefix(ld, g, "address", 0, &p->addr, &p->plen)) ||
		    (rc = cfg_get_addr(ld, g, "gateway", 0, &p->gateway)) ||
		    (rc = cfg_get_uint(ld, g, "mtu", 576, 9000, &mtu)))
			return rc;
		if (!dev[0] || strlen(dev) >= sizeof(p->device))
			return cfg_fail_at(ld, cfg_member(g, "device"), "empty or too long");
		strcpy(p->device, dev);
		if (p->plen == 0 || p->plen > 30)
			return cfg_fail_at(ld, cfg_member(g, "address"),
					   "prefix length must be 1..30");
		if (p->gateway && ((p->gateway ^ p->addr) & prefix_mask(p->plen)))
			return cfg_fail_at(ld, cfg_member(g, "gateway"),
					   "not inside the port's subnet");
		p->mtu = (uint16_t)mtu;
		cfg->n_ports++;
	}
	return 0;
}
