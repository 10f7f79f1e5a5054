/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnd configuration: libconfig file -> validated struct; errors name file, line, setting. */
#ifndef DMVPN_LIB_CONFIG_H
#define DMVPN_LIB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CFG_NAME_MAX 16
#define CFG_MAX_PORTS 8
#define CFG_MAX_TUNNELS 4
#define CFG_MAX_EAL_ARGS 64

struct cfg_port {
	char name[CFG_NAME_MAX];
	char device[256];        /* DPDK device: PCI address or vdev string */
	uint32_t addr;           /* network order */
	uint8_t plen;
	uint32_t gateway;        /* default route via this port; 0 = none */
	uint16_t mtu;
};

struct cfg_map {                 /* static NHRP mapping: tunnel address -> NBMA */
	uint32_t proto;
	uint32_t nbma;
};

#define CFG_MAX_NHS 4
#define CFG_AUTH_MAX 8

struct cfg_nhs {                 /* next-hop server a spoke registers with */
	uint32_t proto;
	uint32_t nbma;
	unsigned priority;       /* lower is preferred, as IOS */
};

struct cfg_tunnel {
	char name[CFG_NAME_MAX];
	uint32_t addr;
	uint8_t plen;
	unsigned source;         /* index into ports */
	int has_key;
	uint32_t key;
	uint16_t mtu;
	uint8_t ttl;             /* outer TTL */
	uint32_t network_id;
	uint32_t holdtime;
	unsigned n_maps;
	struct cfg_map *maps;
	unsigned n_nhs;
	struct cfg_nhs nhs[CFG_MAX_NHS];
	unsigned registration_interval; /* seconds; 0 = holdtime / 3 */
	char auth[CFG_AUTH_MAX + 1];     /* cleartext authentication; "" = none */
	uint8_t unique;          /* register with the unique flag */
	uint8_t shortcut;        /* act on redirects: resolve and install shortcuts */
	uint8_t redirect;        /* send redirects (Traffic Indication) for hairpinned traffic */
	uint8_t protect;         /* tunnel protection: GRE to and from peers only inside ESP */
};

#define CFG_SA_KEY_MAX 36

struct cfg_sa_dir {              /* one direction of a manually keyed SA */
	uint32_t spi;            /* host order */
	uint8_t key_len, auth_len;
	uint8_t key[CFG_SA_KEY_MAX];
	uint8_t auth_key[32];
};

enum cfg_sa_mode { CFG_SA_TRANSPORT = 0, CFG_SA_TUNNEL };

struct cfg_sa {
	uint32_t peer;           /* the peer's NBMA address */
	unsigned tunnel;
	uint8_t mode;            /* enum cfg_sa_mode */
	uint8_t udp;             /* ESP in UDP (RFC 3948) */
	uint8_t esn;
	uint16_t udp_port;       /* the peer's port for ESP in UDP */
	int alg;                 /* enum esp_alg */
	unsigned replay_window;
	uint64_t life_bytes, life_packets; /* hard limits, 0 = none; soft at 90 % */
	unsigned life_seconds;
	struct cfg_sa_dir in, out;
};

enum cfg_route_kind { CFG_ROUTE_VIA, CFG_ROUTE_BLACKHOLE };

struct cfg_route {
	uint32_t prefix;
	uint8_t plen;
	enum cfg_route_kind kind;
	uint32_t via;
};

struct cfg_neighbor {            /* static ARP entry */
	unsigned port;
	uint32_t addr;
	uint8_t mac[6];
};

struct dmvpn_config {
	char file[256];
	char socket_path[108];
	unsigned socket_mode;
	unsigned n_eal_args;
	char *eal_args[CFG_MAX_EAL_ARGS];
	/* dataplane */
	unsigned mbufs;
	unsigned rx_desc;
	unsigned tx_desc;
	unsigned burst;
	unsigned idle_polls;     /* empty polls before the worker backs off */
	unsigned idle_sleep_us;  /* longest back-off sleep; 0 = busy poll */
	unsigned max_routes;
	unsigned max_neighbors;
	unsigned max_peers;
	unsigned neighbor_timeout; /* seconds a learned ARP entry lives */
	/* topology */
	unsigned n_ports;
	struct cfg_port ports[CFG_MAX_PORTS];
	unsigned n_tunnels;
	struct cfg_tunnel tunnels[CFG_MAX_TUNNELS];
	unsigned n_routes;
	struct cfg_route *routes;
	unsigned n_neighbors;
	struct cfg_neighbor *neighbors;
	unsigned n_sas;
	struct cfg_sa *sas;
};

/*
 * Load and validate FILE into *cfg. On error returns -EINVAL (or -errno)
 * and writes "FILE:LINE: setting 'path': reason" into err; *cfg is then
 * left empty (nothing to free). On success free with config_free().
 */
int config_load(const char *file, struct dmvpn_config *cfg, char *err, size_t errlen);
void config_free(struct dmvpn_config *cfg);

/* Index of the port or tunnel called name, or -1. */
int config_port_index(const struct dmvpn_config *cfg, const char *name);

#endif
