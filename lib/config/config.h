/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnd configuration: libconfig file -> validated struct; errors name file, line, setting. */
#ifndef DMVPN_LIB_CONFIG_H
#define DMVPN_LIB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ike/ike_crypto.h"

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
	uint8_t multicast;       /* also a multicast target (IOS: ip nhrp map multicast) */
};

#define CFG_MAX_MC 16            /* NBMA addresses in nhrp.multicast */

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
	/* Where multicast from the kernel interface goes (nhrp.multicast). */
	uint8_t mc_dynamic;      /* every registered spoke (IOS: map multicast dynamic) */
	uint8_t mc_nhs;          /* every configured NHS (the default) */
	unsigned n_mc;
	uint32_t mc_nbma[CFG_MAX_MC];
	char kif[CFG_NAME_MAX];  /* kernel (TUN) interface name; "" = none */
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
	/* Tunnel mode: the inner header's addresses (the CHILD_SA's selectors,
	 * RFC 7296 2.23: across a NAT a peer's is its own private address),
	 * network order; 0 = the outer ones (the default of static SAs). */
	uint32_t inner_local, inner_remote;
	struct cfg_sa_dir in, out;
};

/* IKEv2 (swanctl.conf-shaped `ike` section): one connection per protected
 * tunnel keys every peer of that tunnel; secrets hold the PSKs. */
#define CFG_IKE_NAME_MAX 32
#define CFG_IKE_ID_MAX 128
#define CFG_IKE_PATH_MAX 256
#define CFG_IKE_PSK_MAX 128
#define CFG_IKE_MAX_CONNS CFG_MAX_TUNNELS
#define CFG_IKE_MAX_SUITES 8

enum cfg_ike_auth { CFG_IKE_AUTH_PSK = 1, CFG_IKE_AUTH_PUBKEY };

struct cfg_ike_end {             /* local { } or remote { } */
	uint8_t auth;            /* enum cfg_ike_auth */
	uint8_t id_type;         /* enum ike_id_type; 0 = default (our NBMA address / any) */
	char id[CFG_IKE_ID_MAX]; /* "" = default; remote: "" or "%any" accepts any */
	char cert[CFG_IKE_PATH_MAX];   /* local: our certificate (PEM) */
	char key[CFG_IKE_PATH_MAX];    /* local: its private key (PEM) */
	char cacert[CFG_IKE_PATH_MAX]; /* remote: CA that signs peers' certificates */
};

struct cfg_ike_child {           /* children { name { } }: the GRE CHILD_SA */
	char name[CFG_IKE_NAME_MAX];
	unsigned n_esp;
	struct ike_suite esp[CFG_IKE_MAX_SUITES];
	uint8_t mode;            /* enum cfg_sa_mode: transport (tunnel as fallback) or tunnel */
	unsigned rekey_time;     /* seconds; 0 = never */
	unsigned life_time;      /* hard, seconds; default rekey_time * 1.1 */
	uint64_t rekey_bytes, rekey_packets;
	unsigned replay_window;
};

struct cfg_ike_conn {            /* connections { name { } } */
	char name[CFG_IKE_NAME_MAX];
	unsigned tunnel;         /* the tunnel whose peers it keys */
	uint32_t local_addr;     /* the tunnel source port's address (filled by the loader) */
	unsigned n_ike;
	struct ike_suite ike[CFG_IKE_MAX_SUITES];
	struct cfg_ike_end local, remote;
	unsigned rekey_time;     /* IKE SA rekey, seconds; 0 = never */
	unsigned over_time;      /* hard end after rekey_time; default 10 % of it */
	unsigned dpd_delay;      /* seconds of silence before a liveness check; 0 = off */
	unsigned dpd_timeout;    /* give up after; default 5 retransmits' worth */
	uint8_t encap;           /* force ESP in UDP even without NAT */
	struct cfg_ike_child child;
};

struct cfg_ike_secret {          /* secrets { name { id = ...; secret = ...; } } */
	char id[CFG_IKE_ID_MAX]; /* "" = any peer */
	char secret[CFG_IKE_PSK_MAX];
	size_t secret_len;
};

struct cfg_ike {
	unsigned n_conns;
	struct cfg_ike_conn conns[CFG_IKE_MAX_CONNS];
	unsigned n_secrets;
	struct cfg_ike_secret *secrets;
	unsigned cookie_threshold; /* half-open IKE SAs before cookies are demanded */
	unsigned half_open_timeout; /* seconds */
	unsigned retransmit_tries;  /* default 5 */
	unsigned retransmit_timeout_ms; /* first one; doubles (default 1000) */
	unsigned max_ike_sas;
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
	unsigned client_timeout; /* s: a control client idle this long is closed */
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
	struct cfg_ike ike;
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
