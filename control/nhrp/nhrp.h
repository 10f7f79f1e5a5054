/* SPDX-License-Identifier: BSD-3-Clause */
/* NHRP in the control thread: cache, NHS registration, resolution, redirects, purges. */
#ifndef DMVPN_CONTROL_NHRP_H
#define DMVPN_CONTROL_NHRP_H

#include <stdint.h>
#include <time.h>

#include "lib/config/config.h"
#include "lib/wire/nhrp.h"
#include "lib/base/u64map.h"

struct app;
struct rte_mbuf;

enum nhrp_entry_type {
	NE_STATIC = 1,    /* configured map */
	NE_NHS,           /* configured next-hop server */
	NE_DYNAMIC,       /* registered with us (hub) */
	NE_CACHED,        /* learned from a resolution request or reply */
	NE_INCOMPLETE,    /* being resolved; traffic goes via the NHS meanwhile */
	NE_NEGATIVE,      /* resolution refused; via the NHS until it expires */
	NE_SHORTCUT,      /* a route learned from a resolution (phase 3) */
};

#define NE_F_UNIQUE 0x01
#define NE_F_NAT 0x02     /* NBMA seen differs from the one claimed */
#define NE_F_ROUTE 0x04   /* shortcut route installed */
#define NE_F_IKE_WAIT 0x08 /* its peer's IKE SA is coming: traffic via the NHS until then */
#define NE_MAX_REQUESTERS 8

struct nhrp_requester {      /* who resolved an entry: told when it goes */
	uint32_t proto;
	uint32_t nbma;
};

struct nhrp_entry {
	uint8_t tunnel;
	uint8_t type;            /* enum nhrp_entry_type */
	uint8_t seen;            /* scratch for diffs */
	uint8_t plen;            /* prefix length (shortcuts); 32 otherwise */
	uint8_t flags;
	uint8_t n_req;
	uint8_t by_request;      /* learned from a resolution request: in its own budget */
	uint16_t mtu;
	uint32_t proto;          /* tunnel address, or shortcut prefix */
	uint32_t nbma;           /* where packets go */
	uint32_t claimed_nbma;   /* what the peer said its NBMA was */
	uint32_t nexthop;        /* shortcut: the peer's tunnel address */
	time_t created;
	time_t expires;          /* 0 = never */
	struct nhrp_requester req[NE_MAX_REQUESTERS];
};

enum nhs_state_kind { NHS_PROBING = 1, NHS_UP, NHS_DOWN, NHS_IKE /* waiting for its IKE SA */ };

struct nhs_state {
	uint8_t tunnel;
	uint8_t state;
	uint8_t last_code;       /* CIE code of the last reply */
	uint32_t proto, nbma;
	unsigned priority;
	uint32_t reqid;          /* of the last request */
	uint64_t next_ms;        /* next registration */
	uint64_t last_reply_ms;
	uint64_t up_since_ms;
	unsigned backoff_s;
	unsigned unanswered;
	uint64_t sent, replies;
	uint32_t public_nbma;    /* as the NHS saw us (NAT extension) */
};

#define NHRP_MAX_PENDING 256

struct nhrp_pending {        /* an outstanding resolution request */
	uint8_t tunnel;
	uint8_t shortcut;        /* from a redirect: install the route */
	uint8_t tries;
	uint32_t target;
	uint32_t reqid;
	uint64_t next_ms;
};

#define NHRP_RL_SLOTS 256

/* Mappings learned from resolution requests (the requester's own binding,
 * RFC 2332 5.2.1) live apart from max_peers, the room of registrations and
 * of what we resolve ourselves, so requests can never crowd those out: at
 * most NHRP_LEARNED_PER_NBMA for one requester's NBMA address (a peer has
 * one tunnel address, a NAT a few peers) and nhrp_learned_max() in all. */
#define NHRP_LEARNED_PER_NBMA 8

static inline unsigned nhrp_learned_max(unsigned max_peers)
{
	return max_peers / 8 > 16 ? max_peers / 8 : 16;
}

struct nhrp_rl {             /* redirect / resolution rate limit */
	uint32_t a, b;
	uint64_t ms;
};

#define NHRP_DROP_REASONS(X)                                                  \
	X(bad_outer) X(parse_truncated) X(parse_checksum) X(parse_version)    \
	X(parse_afn) X(parse_addr_len) X(parse_length) X(parse_type)          \
	X(parse_too_many) X(parse_extension) X(auth_failure)                  \
	X(unknown_compulsory_extension) X(hop_count_exceeded) X(loop_detected) \
	X(unknown_request_id) X(not_for_us) X(no_route) X(unsupported)        \
	X(no_server) X(rate_limited) X(send_failed) X(protocol_error)        \
	X(invalid_extension) X(error_rate_limited)                              \
	X(request_off_subnet) X(request_rebind) X(request_budget)             \
	X(request_nat_untrusted) X(reply_off_destination) X(reply_rebind)     \
	X(reply_prefix_narrowed) X(purge_not_owner)

struct nhrp_counters {
	uint64_t rx[NHRP_TRAFFIC_INDICATION + 1];
	uint64_t tx[NHRP_TRAFFIC_INDICATION + 1];
#define X(n) uint64_t n;
	NHRP_DROP_REASONS(X)
#undef X
};

struct nhrp_state {
	unsigned n_nhs;
	struct nhs_state nhs[CFG_MAX_TUNNELS * CFG_MAX_NHS];
	unsigned n_pending;
	struct nhrp_pending pending[NHRP_MAX_PENDING];
	struct nhrp_rl rl[NHRP_RL_SLOTS];
	unsigned n_learned;          /* entries with by_request set */
	struct u64map learned_by;    /* (tunnel, NBMA) -> how many of them map there */
	struct nhrp_counters cnt;
	struct nhrp_msg rx_msg;      /* parse buffer: too big for the stack */
};

/* nhrp_packet.c */
void nhrp_input(struct app *a, struct rte_mbuf *m);
const char *nhrp_type_name(unsigned type);

/* nhrp_cache.c */
struct nhrp_entry *nhrp_cache_find(struct app *a, unsigned t, uint32_t proto, int shortcut);
/* Find or add an entry in max_peers' room; NULL when that is full. */
struct nhrp_entry *nhrp_cache_get(struct app *a, unsigned t, uint32_t proto, int shortcut);
/* Add the mapping of proto, learned from a resolution request whose
 * requester is reached at nbma, in the requests' own budget: -EEXIST when
 * proto has an entry already (*ep is it), -ENOSPC when the budget (per
 * NBMA or in all) is spent. */
int nhrp_cache_learn(struct app *a, unsigned t, uint32_t proto, uint32_t nbma,
		     struct nhrp_entry **ep);
/* A registration or an answer takes over e: a request-learned entry moves
 * into max_peers' room, -ENOSPC when that is full. */
int nhrp_cache_adopt(struct app *a, struct nhrp_entry *e);
int nhrp_cache_publish(struct app *a, struct nhrp_entry *e);
void nhrp_cache_remove(struct app *a, struct nhrp_entry *e);
void nhrp_cache_tick(struct app *a);
unsigned nhrp_cache_clear(struct app *a);
int nhrp_static_sync(struct app *a, const struct dmvpn_config *cfg);
const char *nhrp_entry_type_name(uint8_t type);
/* nhrp_nhs.c */
void nhrp_nhs_sync(struct app *a, const struct dmvpn_config *cfg);
void nhrp_nhs_tick(struct app *a);
void nhrp_nhs_reply(struct app *a, unsigned t, const struct nhrp_msg *m);
void nhrp_nhs_shutdown(struct app *a);
/* The preferred NHS of tunnel t (up, lowest priority), or any, or NULL. */
const struct nhs_state *nhrp_nhs_preferred(const struct app *a, unsigned t);
const char *nhrp_nhs_state_name(uint8_t s);
/* True when nbma is one of tunnel t's configured next-hop servers. */
int nhrp_nhs_is(const struct app *a, unsigned t, uint32_t nbma);
/* The NHS at nbma: register now that its IKE SA is up, or wait for it again. */
void nhrp_nhs_ike_event(struct app *a, unsigned t, uint32_t nbma, int up);

/* nhrp_resolve.c */
void nhrp_resolve_miss(struct app *a, struct rte_mbuf *m);
void nhrp_redirect_send(struct app *a, struct rte_mbuf *m);
void nhrp_resolve_tick(struct app *a);
void nhrp_handle_resolution_request(struct app *a, unsigned t, const uint8_t *pkt,
				    const struct nhrp_msg *m, uint32_t from);
void nhrp_handle_resolution_reply(struct app *a, unsigned t, const struct nhrp_msg *m);
void nhrp_handle_traffic_indication(struct app *a, unsigned t, const uint8_t *pkt,
				    const struct nhrp_msg *m);
void nhrp_handle_purge(struct app *a, unsigned t, const uint8_t *pkt, const struct nhrp_msg *m,
		       uint32_t from);
/* Tell whoever resolved e that it is gone (hub). */
void nhrp_purge_requesters(struct app *a, const struct nhrp_entry *e);

/* nhrp_packet.c: building and sending */
void nhrp_own_cie(const struct app *a, unsigned t, struct nhrp_cie *c);
void nhrp_put_auth(const struct app *a, unsigned t, struct nhrp_buf *b);
/* The empty extensions IOS puts in what it originates, for the path and
 * the answer to fill: (Responder,) Forward and Reverse Transit, our
 * Authentication, NAT address. */
void nhrp_put_request_exts(const struct app *a, unsigned t, struct nhrp_buf *b, int responder);
/* Copy m's extensions into b (End excluded), letting fn add to or replace
 * some: fn returns 1 when it wrote the extension itself. */
typedef int (*nhrp_ext_fn)(struct app *a, unsigned t, const struct nhrp_ext *x,
			   struct nhrp_buf *b, void *arg);
void nhrp_copy_exts(struct app *a, unsigned t, const uint8_t *pkt, const struct nhrp_msg *m,
		    struct nhrp_buf *b, nhrp_ext_fn fn, void *arg);
int nhrp_send(struct app *a, unsigned t, uint32_t nbma, struct nhrp_buf *b);
void nhrp_send_error(struct app *a, unsigned t, uint32_t nbma, const uint8_t *pkt,
		     const struct nhrp_msg *m, uint16_t code, uint16_t offset);
uint32_t nhrp_next_reqid(struct app *a);
int nhrp_rate_ok(struct app *a, uint32_t x, uint32_t y, unsigned interval_ms);
uint32_t nhrp_our_nbma(const struct app *a, unsigned t);

#endif
