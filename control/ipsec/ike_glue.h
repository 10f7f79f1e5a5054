/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKEv2 engine in dmvpnd: its environment (WAN, ESP dataplane, clock, log) and the DMVPN rules. */
#ifndef DMVPN_CONTROL_IKE_GLUE_H
#define DMVPN_CONTROL_IKE_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "control/ike/ike.h"
#include "lib/config/config.h"

struct app;
struct rte_mbuf;

/* What the glue counts; the engine's own are struct ike_counters. */
#define IKE_GLUE_COUNTERS(X)                                                        \
	X(udp_malformed) X(udp_bad_checksum) X(fragments_reassembled) X(fragments_dropped) \
	X(send_failed)                                                               \
	X(nhrp_held) X(nhrp_held_sent) X(nhrp_held_dropped) X(unused_deleted)

struct ike_glue_counters {
#define X(n) uint64_t n;
	IKE_GLUE_COUNTERS(X)
#undef X
};

/*
 * Start, reconfigure or stop the engine to match cfg's ike section (the
 * engine copies it). New settings apply to SAs set up from now on. 0, or
 * -errno with a message in err. Control thread only, as everything here.
 */
int ike_glue_apply(struct app *a, const struct dmvpn_config *cfg, char *err, size_t errlen);
/* Deletes to every peer (while the workers still send), then free. */
void ike_glue_fini(struct app *a);
/* A local UDP datagram (IPv4 header first): 1 when it was IKE's (m
 * consumed: handed to the engine, or dropped and counted), 0 if not. */
int ike_glue_input(struct app *a, struct rte_mbuf *m);
/* The engine's timers, held NHRP messages, unused peers' teardown. */
void ike_glue_tick(struct app *a);
const struct ike_glue_counters *ike_glue_counters(const struct app *a);

/* The connection keying tunnel t, or NULL. */
const struct cfg_ike_conn *ike_glue_conn(const struct app *a, unsigned t);
/* True when IKE keys peer in tunnel t: a connection, and no static SA. */
int ike_glue_wanted(const struct app *a, unsigned t, uint32_t peer);
/* The engine's view of peer (enum ike_peer_state; IKE_PEER_NONE without an engine). */
int ike_glue_state(const struct app *a, unsigned t, uint32_t peer);

#endif
