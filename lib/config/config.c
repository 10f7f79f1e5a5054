/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnd configuration: libconfig file -> validated struct; errors name file, line, setting. */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/u64map.h"
#include "lib/config/config.h"
#include "lib/config/config_priv.h"

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
	struct cfg_loader ld = {.file = file, .err = err, .errlen = errlen, .cfg = cfg};
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
	rc = cfg_check_known(&ld, config_root_setting(&lc), known);
	if (!rc)
		rc = cfg_load_control(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_eal(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_dataplane(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_ports(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_tunnels(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_routes(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_neighbors(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_sas(&ld, config_root_setting(&lc));
	if (!rc)
		rc = cfg_load_ike(&ld, config_root_setting(&lc));
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
