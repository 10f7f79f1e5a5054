/* SPDX-License-Identifier: BSD-3-Clause */
/* What NHRP and IPsec tell each other about a peer (tunnel t, NBMA address): which peer needs an SA, who is up, who is gone. */
#ifndef DMVPN_CONTROL_PEER_EVENTS_H
#define DMVPN_CONTROL_PEER_EVENTS_H

#include <stdint.h>

#include "control/ike/ike.h" /* enum ike_peer_state */

struct app;
struct rte_mbuf;

/*
 * All that passes between the two rooms: NHRP (control/nhrp) asks IPsec
 * (control/ipsec/ike_glue.c) for protection and hands it the messages
 * that must wait for it; IPsec tells a listener when a peer's protection
 * comes or goes and asks it whether a peer is still used, without knowing
 * that NHRP is that listener. Each side includes this header, never the
 * other's.
 */

/* ---- NHRP -> IPsec ---- */
/*
 * Peer must be protected: start IKE unless it is up or coming. Returns
 * IKE_PEER_UP also when IKE has nothing to do with the peer (static keys,
 * no connection), IKE_PEER_CONNECTING, or -errno.
 */
int ike_glue_connect(struct app *a, unsigned t, uint32_t peer);
/*
 * An NHRP message m (ready for INJECT_NHRP) to peer: when the peer's SA is
 * not up, keep it until it is (or drop it, counted, past the bound or
 * after 30 s) and return 1; 0 when it can go now.
 */
int ike_glue_hold(struct app *a, unsigned t, uint32_t peer, struct rte_mbuf *m);
/* NHRP no longer maps anything to peer: delete its IKE SA after a grace
 * time unless it is used again by then. */
void ike_glue_unused(struct app *a, unsigned t, uint32_t peer);

/* ---- IPsec -> NHRP: the listener main.c registers (a->peer_listener) ---- */
struct peer_listener {
	/* IKEv2 says nbma's protection in tunnel t came up (up = 1) or went down. */
	void (*sa_event)(struct app *a, unsigned t, uint32_t nbma, int up);
	/* True while the listener still uses nbma in tunnel t: IPsec keeps its SA. */
	int (*in_use)(const struct app *a, unsigned t, uint32_t nbma);
};

/* NHRP's: when a peer's protection comes up, mappings waiting for it take
 * effect and a waiting NHS is registered with; when it goes down, the
 * peer's mappings are purged and an NHS is registered with again once IKE
 * is back. A peer is in use while NHRP maps something to it or it is an NHS. */
extern const struct peer_listener nhrp_peer_listener;

#endif
