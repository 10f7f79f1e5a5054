/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKEv2 engine (RFC 7296): IKE SAs and their CHILD_SAs toward the peers
 * of protected tunnels. It owns no socket, clock or SA table: everything
 * outside goes through struct ike_env, so two engines can run in one
 * process against a mocked network (tests/unit/test_ike_engine.c) and the
 * daemon wires it to its WAN ports and its ESP dataplane (control/ike_glue.c).
 * Not thread-safe: one thread (the control thread) calls everything.
 */
#ifndef DMVPN_CONTROL_IKE_H
#define DMVPN_CONTROL_IKE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/config/config.h"

struct ike_engine;

struct ike_env {
	void *ctx;
	/*
	 * Send one IKE message (header onward) from local:lport to
	 * remote:rport (addresses network order, ports host order). The env
	 * adds the 4-byte non-ESP marker when either port is 4500.
	 */
	void (*send)(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
		     const uint8_t *msg, size_t len);
	/* Install (or replace: a rekey) the SA pair toward sa->peer in
	 * sa->tunnel. 0 or -errno; on failure the engine deletes the CHILD_SA. */
	int (*child_install)(void *ctx, const struct cfg_sa *sa);
	/* Stop accepting inbound SPI in_spi (host order) toward peer; when
	 * it is the current pair, remove both directions. */
	void (*child_remove)(void *ctx, unsigned tunnel, uint32_t peer, uint32_t in_spi);
	/* A peer's protection came up (CHILD_SA installed) or went down (IKE
	 * SA deleted, DPD failed, authentication failed, gave up retrying).
	 * Once each way per peer, however many IKE SAs it has at once. */
	void (*peer_event)(void *ctx, unsigned tunnel, uint32_t peer, int up);
	/* Milliseconds on a monotonic clock. */
	uint64_t (*now_ms)(void *ctx);
	/* Random bytes: SPIs, nonces, IVs, cookie secrets (DH keys use OpenSSL). */
	void (*random)(void *ctx, void *buf, size_t len);
	/* A line for the log; debug lines only when the user asked for them
	 * (they may carry the keys tshark needs: never at normal level). */
	void (*log)(void *ctx, int debug, const char *line);
	/*
	 * Optional (NULL: child_install does it all at once). Install only
	 * the inbound half of sa, leaving the current outbound pair as it is.
	 * The responder of a CHILD_SA rekey uses it for the new pair, then
	 * calls child_install with the same pair once the initiator deleted
	 * the old one (or after IKE_OUT_SWITCH_MS): it never sends on an SA
	 * the initiator cannot open yet. 0 or -errno.
	 */
	int (*child_install_inbound)(void *ctx, const struct cfg_sa *sa);
	/* Optional: send a NAT-keepalive (RFC 3948 2.3: the one byte 0xFF,
	 * no non-ESP marker) from local:lport to remote:rport. The engine
	 * sends one after IKE_NATT_KEEPALIVE_MS without sending anything to a
	 * peer while a NAT is in front of us. */
	void (*keepalive)(void *ctx, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport);
	/* Optional: an authenticated message showed the peer's NAT mapping
	 * on another port (rport, host order; same address): the CHILD_SAs
	 * toward peer in tunnel, if in UDP, follow it (RFC 7296 2.23). */
	void (*child_rebind)(void *ctx, unsigned tunnel, uint32_t peer, uint16_t rport);
};
#define IKE_NATT_KEEPALIVE_MS 20000

/* Create an engine over conf (copied). NULL on allocation failure. */
struct ike_engine *ike_engine_create(const struct ike_env *env, const struct cfg_ike *conf);
/* Send Deletes for every IKE SA (best effort), remove their CHILD_SAs
 * through the env, wipe keys, free. */
void ike_engine_destroy(struct ike_engine *e);
/* A new configuration: used by SAs set up from now on; SAs of a removed
 * connection are deleted. 0 or -errno (conf unchanged on error). */
int ike_engine_reconfigure(struct ike_engine *e, const struct cfg_ike *conf);

/*
 * A datagram for us on UDP 500, or on 4500 with the non-ESP marker
 * already removed. Anything malformed is counted and dropped, or answered
 * with the notify RFC 7296 asks for; never crashes, never leaves half
 * state behind beyond a half-open SA that times out.
 */
void ike_input(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote, uint16_t rport,
	       const uint8_t *msg, size_t len);

enum ike_peer_state { IKE_PEER_NONE = 0, IKE_PEER_CONNECTING, IKE_PEER_UP };

/*
 * Make sure peer (NBMA, network order) in tunnel is protected: start an
 * IKE SA (IKE_SA_INIT) unless one exists or is being set up. The half-open
 * SA an IKE_SA_INIT request from the peer's address made is neither: it is
 * unauthenticated. Returns the state: IKE_PEER_UP (CHILD_SA installed),
 * IKE_PEER_CONNECTING, or -errno (-ENOENT: no connection for the tunnel).
 */
int ike_connect(struct ike_engine *e, unsigned tunnel, uint32_t peer);
int ike_peer_state(const struct ike_engine *e, unsigned tunnel, uint32_t peer);
/* Delete the IKE SA toward peer (INFORMATIONAL Delete, CHILD_SAs removed). */
void ike_disconnect(struct ike_engine *e, unsigned tunnel, uint32_t peer);
/* The dataplane says a CHILD_SA reached its soft (hard = 0) or hard limit
 * of bytes or packets: rekey it now (hard: it is gone). */
void ike_child_expiring(struct ike_engine *e, unsigned tunnel, uint32_t peer, int hard);
/* Timers: retransmits, half-open expiry, DPD, rekeys, lifetimes. Call at
 * least every 200 ms. */
void ike_tick(struct ike_engine *e);
/* Milliseconds until ike_tick has something to do (for an epoll timeout);
 * UINT64_MAX if nothing. */
uint64_t ike_next_timer_ms(const struct ike_engine *e);

/* What `show ike sa` prints, one per IKE SA. */
struct ike_sa_info {
	unsigned tunnel;
	char conn[CFG_IKE_NAME_MAX];
	uint32_t local, remote;          /* network order */
	uint16_t lport, rport;
	uint64_t spi_i, spi_r;
	uint8_t initiator;               /* we initiated this IKE SA */
	const char *state;               /* "CONNECTING", "ESTABLISHED", "REKEYING", "DELETING" */
	char local_id[CFG_IKE_ID_MAX], remote_id[CFG_IKE_ID_MAX];
	char suite[64];                  /* e.g. "aes128gcm16-prfsha256-ecp256" */
	uint8_t nat_local, nat_remote;   /* NAT detected in front of us / the peer */
	uint64_t established_ms;         /* 0 while not */
	uint64_t rekey_in_ms, dpd_idle_ms;
	/* the CHILD_SA (GRE) */
	uint8_t child_up;
	char child_suite[64];
	uint8_t child_mode;              /* enum cfg_sa_mode */
	uint8_t child_encap;             /* ESP in UDP */
	uint32_t child_spi_in, child_spi_out; /* host order */
	uint64_t child_rekey_in_ms;
	/* the CHILD_SA's traffic selectors (network order): GRE between these
	 * two addresses; across a NAT the peer's is its own (private) one */
	uint32_t child_ts_local, child_ts_remote;
};

/* Fill up to max entries; returns how many IKE SAs there are. */
unsigned ike_sa_list(const struct ike_engine *e, struct ike_sa_info *out, unsigned max);

/* Counters for `show counters` and tests. */
#define IKE_COUNTERS(X)                                                              \
	X(rx_msgs) X(tx_msgs) X(retransmits) X(rx_malformed) X(rx_bad_spi)            \
	X(rx_bad_integrity) X(rx_bad_msgid) X(rx_duplicates) X(rx_unsupported_critical) \
	X(cookies_sent) X(cookies_rejected) X(invalid_ke_sent) X(no_proposal_chosen)    \
	X(auth_failed) X(ike_established) X(ike_rekeyed) X(ike_deleted)               \
	X(child_installed) X(child_rekeyed) X(child_deleted) X(dpd_sent) X(dpd_failed)  \
	X(half_open_expired) X(half_open_evicted) X(collisions) X(ike_duplicates)

struct ike_counters {
#define X(n) uint64_t n;
	IKE_COUNTERS(X)
#undef X
};
const struct ike_counters *ike_engine_counters(const struct ike_engine *e);

#endif
