/* SPDX-License-Identifier: BSD-3-Clause */
/* What NHRP and IPsec tell each other about a peer (tunnel t, NBMA address): which peer needs an SA, who is up, who is gone. */
#ifndef DMVPN_CONTROL_PEER_EVENTS_H
#define DMVPN_CONTROL_PEER_EVENTS_H

#include <stdint.h>

#include "control/ike/ike.h" /* enum ike_peer_state */

struct app;
struct rte_mbuf;

/*
 * The only calls between the two rooms: NHRP (control/nhrp) asks IPsec
 * (control/ipsec/ike_glue.c) for protection and hands it the messages
 * that must wait for it; IPsec tells NHRP when a peer's protection comes
 * or goes and asks whether NHRP still uses a peer. Each side includes this
 * header, never the other's.
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

/* ---- IPsec -> NHRP ---- */
/* True while NHRP maps something in tunnel t to nbma, or nbma is an NHS. */
int nhrp_peer_in_use(const struct app *a, unsigned t, uint32_t nbma);
/* IKEv2 says nbma's protection came up (mappings waiting for it take
 * effect, a waiting NHS is registered with) or went down (its mappings
 * are purged; an NHS is registered with again once IKE is back). */
void nhrp_ike_peer_event(struct app *a, unsigned t, uint32_t nbma, int up);

#endif
