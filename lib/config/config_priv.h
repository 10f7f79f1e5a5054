/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to lib/config/: the loader's state, getters, error helpers and section loaders. */
#ifndef DMVPN_LIB_CONFIG_PRIV_H
#define DMVPN_LIB_CONFIG_PRIV_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/u64map.h"
#include "lib/config/config.h"

/* One config_load() under way: where its error goes, what it fills in. */
struct cfg_loader {
	const char *file;
	char *err;
	size_t errlen;
	struct dmvpn_config *cfg;
	struct u64map seen[2];   /* duplicate checks of the list being read */
};

/* config_get.c: getters of typed settings and errors naming file, line, setting. */

/* Start duplicate checks for a list (a config may hold 100 000 maps). */
void cfg_seen_reset(struct cfg_loader *ld);

/* 1 when key was seen already in this list (index 0 or 1), else remembers it. */
int cfg_seen(struct cfg_loader *ld, int i, uint64_t key);

int cfg_fail(struct cfg_loader *ld, const config_setting_t *s, const char *what,
	     const char *fmt, ...);

/* Dotted path of a setting, e.g. "ports.[1].address", for messages. */
const char *cfg_spath(const config_setting_t *s, char *buf, size_t len);

int cfg_fail_at(struct cfg_loader *ld, const config_setting_t *s, const char *fmt, ...);

/* Missing mandatory member `name` of group g. */
int cfg_fail_missing(struct cfg_loader *ld, const config_setting_t *g, const char *name);

/* Reject members of group g that are not in the NULL-terminated list: a
 * typo must not silently fall back to a default. */
int cfg_check_known(struct cfg_loader *ld, const config_setting_t *g, const char *const *known);

const config_setting_t *cfg_member(const config_setting_t *g, const char *name);

int cfg_get_str(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		int required, const char **out);

int cfg_get_uint(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		 long long lo, long long hi, unsigned *out);

int cfg_get_bool(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		 uint8_t *out);

int cfg_get_addr(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		 int required, uint32_t *out);

int cfg_get_prefix(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		   int host_ok, uint32_t *addr, uint8_t *plen);

int cfg_get_name(struct cfg_loader *ld, const config_setting_t *g, char *dst);

const config_setting_t *cfg_get_list(struct cfg_loader *ld, const config_setting_t *root,
				     const char *name, int *rc);

int cfg_hexval(char c);

/* The sections, in the order config_load() reads them (each may use what the
 * ones before it filled in). config_dataplane.c: */
int cfg_load_control(struct cfg_loader *ld, const config_setting_t *root);
int cfg_load_eal(struct cfg_loader *ld, const config_setting_t *root);
int cfg_load_dataplane(struct cfg_loader *ld, const config_setting_t *root);
int cfg_load_ports(struct cfg_loader *ld, const config_setting_t *root);
/* config_tunnels.c: */
int cfg_load_tunnels(struct cfg_loader *ld, const config_setting_t *root);
int cfg_load_routes(struct cfg_loader *ld, const config_setting_t *root);
int cfg_load_neighbors(struct cfg_loader *ld, const config_setting_t *root);
/* config_ipsec.c: */
int cfg_load_sas(struct cfg_loader *ld, const config_setting_t *root);
/* config_ike.c: */
int cfg_load_ike(struct cfg_loader *ld, const config_setting_t *root);

#endif
