/* SPDX-License-Identifier: BSD-3-Clause */
/* IPsec SAs in the control thread: install (static now, IKEv2 later), lifetimes, show. */
#ifndef DMVPN_CONTROL_IPSEC_H
#define DMVPN_CONTROL_IPSEC_H

#include <stdint.h>
#include <time.h>

#include "lib/config/config.h"

struct app;
struct sa_rt;

#define IPSEC_RETIRE_S 30        /* an old inbound SA lives on this long after a rekey */
#define IPSEC_MAX_RETIRING 64

struct ipsec_retiring {          /* old inbound SPI still accepted after a rekey */
	uint32_t spi_be;
	time_t until;
	/* Or a new one installed inbound-only (IKEv2's rekey responder):
	 * the pair's install takes this object over, replay window and all. */
	struct sa_rt *pending;
};

/*
 * A key of a configured SA, remembered for the life of the process. An
 * outbound key installed again would restart its sequence at 1, and under
 * AES-GCM a (key, sequence) pair used twice is a nonce reused, which gives
 * away the authentication key and the XOR of the plaintexts; an inbound
 * SPI and key installed again would start a fresh replay window, taking
 * packets captured under them once more. Only a SHA-256 of the key
 * material is kept, never the key.
 */
struct ipsec_key_used {
	uint8_t digest[32];          /* SHA-256 of the key, then the auth key */
	uint64_t seq;                /* highest sequence number sent, when last seen */
	uint32_t peer;               /* the SA it was first installed for */
	uint32_t spi;                /* its SPI in that direction, host order */
	unsigned tunnel;
	uint8_t inbound;             /* an inbound SPI and key (else an outbound key) */
};

/* Static keys remembered at most (a reload that would go beyond is refused:
 * restart with fresh keys). */
#define IPSEC_KEYS_USED_MAX 65536

/* One SA pair toward a peer, as the control thread keeps it. */
struct ipsec_sa_entry {
	struct cfg_sa params;        /* keys included: wiped on removal */
	struct sa_rt *in, *out;      /* published objects */
	time_t installed;
	uint8_t soft_reported;
	uint8_t hard_reported;
	uint8_t ike;                 /* keyed by IKEv2 (else configured) */
	uint8_t seen;
	uint8_t rebinding;           /* the inbound port waits for rebind_token */
	uint64_t rebind_token;       /* the grace period after the old port was dropped */
};

/*
 * Install (or replace) the SA pair described by p: both directions are
 * built (key schedules precomputed) and published to the workers. A new
 * outbound SA takes over at once; an inbound SA with another SPI keeps
 * working until removed, so a rekey loses nothing. 0 or -errno.
 * Control thread only; this is the API IKEv2 will use too.
 */
int ipsec_sa_install(struct app *a, const struct cfg_sa *p);
/* Remove the pair toward peer in tunnel t. */
void ipsec_sa_remove(struct app *a, unsigned t, uint32_t peer);
/* IKEv2's: install a CHILD_SA pair (never over a configured SA: -EEXIST). */
int ipsec_sa_install_ike(struct app *a, const struct cfg_sa *p);
/* IKEv2's: the inbound half of a new pair only, the outbound stays as it
 * is until ipsec_sa_install_ike of the same pair (else gone in 2 minutes). */
int ipsec_sa_install_inbound_ike(struct app *a, const struct cfg_sa *p);
/* IKEv2's: stop accepting inbound SPI spi (host order) toward peer; when
 * it is the current pair's, remove both directions. */
void ipsec_sa_remove_ike(struct app *a, unsigned t, uint32_t peer, uint32_t spi);
/*
 * IKEv2's: the peer's NAT mapping moved to UDP port `port` (host order),
 * as an authenticated IKE message showed (RFC 7296 2.23). Outbound packets
 * go there at once; inbound ones from the old port stop at once and those
 * from the new one are taken once every worker has passed a quiescent
 * state (ipsec_tick), so no two workers ever hold the replay window.
 * Nothing without a UDP pair toward peer changes.
 */
void ipsec_sa_rebind_ike(struct app *a, unsigned t, uint32_t peer, uint16_t port);
/* True when the pair toward peer is a configured (static) one. */
int ipsec_sa_is_static(const struct app *a, unsigned t, uint32_t peer);
/* Refuse SA changes that would restart a sequence under a key used before
 * in this process (a GCM nonce reused: a changed, re-added or swapped-back
 * SA needs a new outbound key) or the replay window of a live SPI (a
 * changed SA needs a new inbound SPI). 0, or -EINVAL with a message. */
int ipsec_check(const struct app *a, const struct dmvpn_config *cfg, char *err, size_t errlen);
/* Make the installed static SAs match cfg (IKEv2's are left alone). */
int ipsec_sync(struct app *a, const struct dmvpn_config *cfg);
/* Lifetimes: soft reported (to IKEv2 for its SAs), hard enforced. */
void ipsec_tick(struct app *a);
void ipsec_fini(struct app *a);

#endif
