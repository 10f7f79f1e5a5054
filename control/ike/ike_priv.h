/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKEv2 engine's internals shared by control/ike_*.c: IKE SA, CHILD_SA, tasks, messages. */
#ifndef DMVPN_CONTROL_IKE_PRIV_H
#define DMVPN_CONTROL_IKE_PRIV_H

#include <stdarg.h>
#include <stdint.h>

#include "control/ike/ike.h"
#include "lib/ike/ike_cert.h"
#include "lib/ike/ike_crypto.h"
#include "lib/wire/ike_wire.h"

enum ike_sa_state {
	IKE_S_INIT_SENT = 0,      /* initiator: IKE_SA_INIT request out */
	IKE_S_INIT_DONE,          /* responder: IKE_SA_INIT answered, waiting for IKE_AUTH */
	IKE_S_AUTH_SENT,          /* initiator: IKE_AUTH request out */
	IKE_S_ESTABLISHED,
	IKE_S_REKEYED,            /* replaced by a rekeyed IKE SA; waits for its Delete */
	IKE_S_DELETING,           /* our Delete is out (or queued) */
	IKE_S_DEAD,               /* to be freed on the next sweep */
};

/* What our outstanding request (or the next one queued) does. */
enum ike_task {
	IKE_T_NONE = 0,
	IKE_T_INIT,
	IKE_T_AUTH,
	IKE_T_CHILD_REKEY,
	IKE_T_IKE_REKEY,
	IKE_T_DELETE_CHILD,       /* Delete of a rekeyed-away or redundant CHILD_SA */
	IKE_T_DELETE_IKE,
	IKE_T_DPD,
};
/* Pending tasks as bits, started one at a time (window size 1) in this order. */
#define IKE_TB(t) (1u << (t))

enum ike_child_state {
	IKE_C_FREE = 0,
	IKE_C_INSTALLED,          /* carries traffic */
	IKE_C_REKEYED,            /* replaced; inbound kept until its Delete is exchanged */
	IKE_C_REDUNDANT,          /* the loser of a rekey collision, to delete */
};

#define IKE_MAX_CHILDREN 4

struct ike_child {
	uint8_t state;            /* enum ike_child_state */
	uint8_t mode;             /* enum cfg_sa_mode */
	uint8_t encap;
	uint8_t in_dp;            /* installed in the dataplane */
	uint32_t spi_in, spi_out; /* host order */
	struct ike_suite suite;
	uint64_t installed_ms, rekey_at, expire_at;
	uint64_t seq;             /* install order: the newest is the dataplane's current pair */
	uint32_t ts_local, ts_remote; /* the selectors' addresses, network order */
	/* A rekey responder's new pair installed inbound only (env
	 * child_install_inbound): the whole pair follows the peer's Delete of
	 * the old one, or out_at. */
	uint8_t out_pending;
	uint8_t we_init;
	uint8_t del_by_us;        /* REKEYED: we started the rekey, so we delete it */
	uint64_t rekeyed_at;
	uint64_t out_at;
	/* KEYMAT, kept while installed (wiped on removal): the pair can be
	 * made the current one again (ike_child_current_set). */
	uint8_t keymat[4 * IKE_MAX_KEY];
};
#define IKE_OUT_SWITCH_MS 5000
#define IKE_OLD_CHILD_MS 30000   /* a rekeyed CHILD_SA the peer does not delete */

/* A CREATE_CHILD_SA we started (rekey of a CHILD_SA or of the IKE SA). */
struct ike_rekey {
	uint8_t active;
	uint8_t ike;              /* 1: IKE SA rekey, 0: CHILD_SA rekey */
	uint8_t ni[IKE_NONCE_LEN], nr[IKE_MAX_NONCE];
	size_t nr_len;
	struct ike_dh_ctx *dh;
	uint16_t dh_group;
	uint32_t old_spi_in;      /* child rekey: the CHILD_SA replaced (our inbound SPI) */
	uint32_t new_spi_in;      /* child rekey: our inbound SPI of the new one */
	uint64_t new_spi;         /* IKE rekey: our SPI of the new IKE SA */
};

/* The peer's CREATE_CHILD_SA we answered while ours was out (2.8.1). */
struct ike_peer_rekey {
	uint8_t active;
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_NONCE_LEN];
	size_t ni_len;
	uint32_t new_spi_in;      /* child: the CHILD_SA it made, our inbound SPI */
	struct ike_sa *new_sa;    /* IKE: the IKE SA it made */
};

struct ike_sa {
	struct ike_sa *next, *prev;   /* e->sas, every SA */
	/* hash chains of the engine's indexes (ike_sa.c) */
	struct ike_sa *spi_next;      /* by our SPI */
	struct ike_sa *pspi_next;     /* responder from IKE_SA_INIT: by the peer's SPIi */
	struct ike_sa *peer_next;     /* by (tunnel, remote) */
	struct ike_sa *dead_next;     /* killed, to free */
	struct ike_sa *rekey_parent;  /* the SA whose prk.new_sa we are */
	uint32_t hremote;             /* the remote it is indexed under */
	uint8_t hashed_spi, hashed_pspi;
	struct ike_engine *e;
	unsigned conn;            /* index into e->conf.conns */
	unsigned tunnel;
	uint8_t state;            /* enum ike_sa_state */
	uint8_t initiator;        /* we are the original initiator of this IKE SA */
	uint8_t nat_local, nat_remote;
	uint8_t peer_rfc7427;     /* IKE_SIGHASH_* the peer announced (SIGNATURE_HASH_ALGORITHMS) */
	uint8_t peer_certreq;
	uint8_t announced_up;     /* peer_event(up) sent */
	uint8_t from_rekey;       /* made by an IKE SA rekey: no IKE_AUTH */
	/* Crossed initiations left two authenticated IKE SAs with the peer and
	 * this is the one to go (ike_dup.c): its CHILD_SA is inbound only, it
	 * starts nothing, and is deleted at dup_at unless the other went first. */
	uint8_t redundant;
	uint64_t dup_at;
	uint32_t local, remote;   /* network order */
	uint16_t lport, rport;
	uint64_t spi_i, spi_r;
	struct ike_suite suite;
	struct ike_keys keys;
	int keys_ok;

	/* IKE_SA_INIT state, kept until IKE_AUTH completes */
	struct ike_dh_ctx *dh;
	uint16_t dh_group;
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_MAX_NONCE];
	size_t ni_len, nr_len;
	uint8_t ke_pub[IKE_MAX_DH_PUB];
	size_t ke_pub_len;
	uint8_t *init_req, *init_resp; /* RealMessage1 / RealMessage2 for AUTH */
	size_t init_req_len, init_resp_len;
	uint8_t *cookie;
	size_t cookie_len;
	unsigned ke_retries;

	/* our requests: window size 1 */
	uint32_t req_id;          /* id of the outstanding request, or the next one */
	uint8_t req_busy;
	uint8_t req_task;         /* enum ike_task of the outstanding request */
	uint32_t tasks;           /* IKE_TB() bits queued */
	uint8_t *req;
	size_t req_len;
	unsigned req_tries;
	uint64_t req_next_ms, req_first_ms;
	uint32_t del_child_spi;   /* IKE_T_DELETE_CHILD: our inbound SPI to delete */

	/* the peer's requests */
	uint32_t resp_id;         /* next request id we expect */
	uint8_t *resp;            /* our last response (resent for a retransmitted request) */
	size_t resp_len;
	uint8_t resp_exchange;

	uint16_t pfs_group;       /* the group the peer asked for (INVALID_KE_PAYLOAD) in rekeys */
	uint16_t ike_rekey_group;
	struct ike_child child[IKE_MAX_CHILDREN];
	struct ike_rekey rk;
	struct ike_peer_rekey prk;

	char local_id[CFG_IKE_ID_MAX], remote_id[CFG_IKE_ID_MAX];
	uint64_t created_ms, established_ms, last_rx_ms, last_tx_ms;
	uint64_t rekey_at, expire_at;   /* IKE SA rekey, hard end (0 = none) */
	uint64_t half_open_until;
};

struct ike_engine {
	struct ike_env env;
	struct cfg_ike conf;      /* secrets deep-copied */
	struct ike_counters cnt;
	struct ike_sa *sas;
	unsigned n_sas, n_half_open;
	unsigned n_dead;              /* of n_sas, killed and not yet freed */
	struct ike_sa *dead;          /* killed SAs, freed by the next sweep */
	unsigned in_env;              /* inside an env callback: the API may be re-entered,
				       * so nothing is freed until the outer call ends */
	uint8_t closing;              /* ike_engine_destroy under way */
	struct ike_sa **by_spi, **by_pspi, **by_peer; /* IKE_HASH_SIZE buckets each */
	uint64_t install_seq;
	struct ike_cred *cred[CFG_IKE_MAX_CONNS];
	/* cookies (RFC 7296 2.6): a secret that rotates, the previous one still accepted */
	uint8_t cookie_secret[32], cookie_prev[32];
	uint8_t cookie_ver;
	uint64_t cookie_rotate_ms;
};

#define IKE_HASH_SIZE (1u << 14)

/* ---- ike_sa.c: table, messages, tasks ---- */
void ike_log(struct ike_engine *e, int debug, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint64_t ike_now(const struct ike_engine *e);
void ike_rand(struct ike_engine *e, void *buf, size_t len);
uint64_t ike_spi_new(struct ike_engine *e);
uint32_t ike_child_spi_new(struct ike_engine *e);
struct ike_sa *ike_sa_new(struct ike_engine *e, unsigned conn, int initiator, uint32_t local,
			  uint16_t lport, uint32_t remote, uint16_t rport);
/* Tear the SA down: children removed, peer_event down if it was up (unless
 * quiet, or another IKE SA keeps the peer up), marked DEAD; freed by the
 * next sweep. */
void ike_sa_kill(struct ike_sa *sa, int quiet);
struct ike_sa *ike_sa_by_spi(struct ike_engine *e, uint64_t spi, int initiator);
/* Index an SA by our SPI once it is set; a responder also by the peer's SPIi. */
void ike_sa_hash_spi(struct ike_sa *sa);
void ike_sa_hash_pspi(struct ike_sa *sa);
/* The responder SA made for the peer's SPIi from remote:rport, or NULL. */
struct ike_sa *ike_sa_by_peer_spi(struct ike_engine *e, uint64_t spi_i, uint32_t remote, uint16_t rport);
/* The peer moved (NAT mapping): follow it, index too. */
void ike_sa_set_remote(struct ike_sa *sa, uint32_t remote);
/* The SAs (not DEAD) with (tunnel, remote): first, then next. */
struct ike_sa *ike_peer_first(struct ike_engine *e, unsigned tunnel, uint32_t remote);
struct ike_sa *ike_peer_next(struct ike_sa *sa);
#define IKE_FOR_PEER(e, t, r, sa) \
	for (struct ike_sa *sa = ike_peer_first((e), (t), (r)); sa; sa = ike_peer_next(sa))
const struct cfg_ike_conn *ike_sa_conn(const struct ike_sa *sa);
/* Keys in our sending / receiving direction. */
const uint8_t *ike_sa_ke_out(const struct ike_sa *sa);
const uint8_t *ike_sa_ka_out(const struct ike_sa *sa);
void ike_sa_established(struct ike_sa *sa);
void ike_sa_log_keys(struct ike_sa *sa);
void ike_sa_schedule(struct ike_sa *sa);

/* An inner payload chain under construction. */
struct ike_out {
	struct ike_w w;
	uint8_t buf[IKE_MAX_MSG];
};
void ike_out_init(struct ike_out *o);
/* Seal and send a response to the peer's request msg_id; cached for retransmits. */
int ike_send_response(struct ike_sa *sa, uint8_t exchange, uint32_t msg_id, struct ike_out *o);
/* Seal and send our request (window 1: none may be outstanding). */
int ike_send_request(struct ike_sa *sa, uint8_t exchange, uint8_t task, struct ike_out *o);
/* Queue a task; started now if no request is outstanding. */
void ike_task_queue(struct ike_sa *sa, uint8_t task);
void ike_task_next(struct ike_sa *sa);
/* Unprotected message outside any SA (IKE_SA_INIT error replies). */
void ike_send_raw(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote,
		  uint16_t rport, const uint8_t *msg, size_t len);
void ike_send_cached(struct ike_sa *sa, const uint8_t *msg, size_t len);
int ike_send_request_plain(struct ike_sa *sa, uint8_t task, const uint8_t *msg, size_t len);
uint8_t ike_chain_unknown_critical(const struct ike_chain *c);

/* Children */
struct ike_child *ike_child_slot(struct ike_sa *sa);
struct ike_child *ike_child_current(struct ike_sa *sa);
struct ike_child *ike_child_by_in(struct ike_sa *sa, uint32_t spi_in);
struct ike_child *ike_child_by_out(struct ike_sa *sa, uint32_t spi_out);
/* Install a child from KEYMAT (initiator's outbound first). 0 or -errno. */
int ike_child_install(struct ike_sa *sa, struct ike_child *c, int we_initiated, const uint8_t *keymat,
		      int inbound_only);
/* The last CHILD_SA went: delete the IKE SA, tell the env (peer down). */
void ike_sa_unprotected(struct ike_sa *sa);
/* env->peer_event, with re-entry into the API allowed; nothing while another
 * IKE SA of the peer has told the env "up" (once per peer). */
void ike_env_peer_event(struct ike_sa *sa, int up);
/* peer_event(up) once per IKE SA, after the message that lets the peer
 * use the CHILD_SA went out (queued traffic must not overtake it). */
void ike_sa_announce_up(struct ike_sa *sa);
/* Install the whole pair of a child installed inbound only. */
void ike_child_commit(struct ike_sa *sa, struct ike_child *c);
/* Install c's pair whole again, as the dataplane's current one (it may
 * have been replaced by another IKE SA's, ike_dup.c). */
void ike_child_current_set(struct ike_sa *sa, struct ike_child *c);
void ike_child_remove(struct ike_sa *sa, struct ike_child *c);
/* Derive KEYMAT (RFC 7296 2.17) and install a new child. 0 or -errno. */
int ike_child_make(struct ike_sa *sa, const struct ike_suite *esp, uint32_t spi_in, uint32_t spi_out,
		   uint8_t mode, int we_initiated, const uint8_t *gir, size_t gir_len,
		   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, int inbound_only,
		   const uint32_t ts[2]);
/* ESP suite from the peer's SA payload: its offer (reply = 0) or its
 * answer to ours (reply = 1); the peer's SPI and the proposal number.
 * prefer_dh: the group of the peer's KE, whose suites go first. */
int ike_esp_pick(struct ike_sa *sa, const struct ike_chain *c, int with_dh, int reply,
		 uint16_t prefer_dh, struct ike_suite *chosen, uint32_t *peer_spi, uint8_t *num);

/* ---- ike_init.c ---- */
int ike_init_start(struct ike_sa *sa);
void ike_init_request(struct ike_engine *e, uint32_t local, uint16_t lport, uint32_t remote,
		      uint16_t rport, const uint8_t *msg, size_t len, const struct ike_hdr_view *h);
void ike_init_response(struct ike_sa *sa, const uint8_t *msg, size_t len,
		       const struct ike_hdr_view *h);
void ike_cookie_rotate(struct ike_engine *e);

/* ---- ike_auth.c ---- */
/* Load each connection's certificate credentials into out[] (NULL where
 * the connection uses PSK only); 0, or -EINVAL (logged) with none kept. */
int ike_cred_setup(struct ike_engine *e, const struct cfg_ike *conf, struct ike_cred **out);
int ike_auth_start(struct ike_sa *sa);
void ike_auth_request(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c);
void ike_auth_response(struct ike_sa *sa, const struct ike_chain *c);
/* TS of the GRE CHILD_SA: ours (local) and the peer's. */
void ike_ts_gre(uint32_t addr_be, struct ike_ts *ts);
int ike_ts_acceptable(const struct ike_chain *c, uint32_t tsi_addr_be, uint32_t tsr_addr_be,
		      int nat_i, int nat_r);
/* The selectors' addresses of a new CHILD_SA, ts[0] ours, ts[1] the peer's
 * (network order; 0 when unknown): from the answer to our request (chain
 * c, we initiated) or from ours (tsi/tsr). */
void ike_child_ts_addrs(const struct ike_chain *c, const struct ike_ts *tsi,
			const struct ike_ts *tsr, uint32_t ts[2]);
/* The responder's narrowed TSi/TSr for the peer's proposal; 1 if acceptable. */
int ike_ts_answer(const struct ike_chain *c, uint32_t tsi_addr_be, uint32_t tsr_addr_be, int nat_i,
		  int nat_r, struct ike_ts *tsi, struct ike_ts *tsr);
/* The ESP proposals we offer (dh = 0 strips PFS: IKE_AUTH). */
int ike_esp_sa(struct ike_sa *sa, uint32_t spi, int with_dh, struct ike_sa_view *v);

/* ike_sa.c: start deleting sa: its children go now, an exchange in flight
 * is abandoned, the IKE SA goes when the Delete is answered. */
void ike_sa_delete_begin(struct ike_sa *sa);

/* ---- ike_child.c ---- */
int ike_child_rekey_start(struct ike_sa *sa);
int ike_ike_rekey_start(struct ike_sa *sa);
void ike_create_request(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c);
void ike_create_response(struct ike_sa *sa, const struct ike_chain *c);
void ike_rekey_abort(struct ike_sa *sa);

/* ---- ike_dup.c: crossed initiations ---- */
/* Another SA of sa's peer (not DEAD) that told the env "up". */
int ike_peer_announced(const struct ike_sa *sa);
/* sa, which IKE_AUTH just authenticated, beside another IKE SA with the
 * same peer: IKE_DUP_LOST if sa is the redundant one (its CHILD_SA goes in
 * inbound only), IKE_DUP_WON if the other is, else IKE_DUP_NONE. */
enum { IKE_DUP_NONE = 0, IKE_DUP_LOST, IKE_DUP_WON };
int ike_dup_check(struct ike_sa *sa);
/* sa is up (authenticated, a CHILD_SA): our own attempts toward its peer
 * still in IKE_SA_INIT are moot, and go (quietly). */
void ike_dup_attempts_drop(struct ike_sa *sa);
/* Redundant sa is going: the other's pair is the dataplane's current one. */
void ike_dup_handover(struct ike_sa *sa);
/* sa is going: a redundant SA of its peer left alone is kept after all. */
void ike_dup_orphans(struct ike_sa *sa);
/* dup_at reached: delete sa if the other is still there, else keep it. */
void ike_dup_timer(struct ike_sa *sa, uint64_t now);

/* ---- ike_info.c ---- */
int ike_info_delete_ike_start(struct ike_sa *sa);
int ike_info_delete_child_start(struct ike_sa *sa);
int ike_info_dpd_start(struct ike_sa *sa);
void ike_info_request(struct ike_sa *sa, uint32_t msg_id, const struct ike_chain *c);
void ike_info_response(struct ike_sa *sa, const struct ike_chain *c);
/* Fire-and-forget INFORMATIONAL (error notify) as a new request. */
void ike_info_notify_oneshot(struct ike_sa *sa, uint16_t type);

/* SHA-1 / SHA-256 over concatenated pieces (NAT-D, cookies). */
int ike_hash(int sha256, const void *const *p, const size_t *n, unsigned k, uint8_t *out);

#endif
