/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 (RFC 7296) wire format: header, payload chain, SA/KE/ID/AUTH/N/D/TS payloads. */
#ifndef DMVPN_LIB_IKE_WIRE_H
#define DMVPN_LIB_IKE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define IKE_HDR_LEN 28
#define IKE_PORT 500
#define IKE_NATT_PORT 4500
#define IKE_MAX_MSG 8192          /* largest message we build or accept (no fragmentation) */

/* Exchange types (RFC 7296 3.1). */
enum ike_exchange {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	IKE_CREATE_CHILD_SA = 36,
	IKE_INFORMATIONAL = 37,
};

/* Header flags. */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION 0x10
#define IKE_FLAG_RESPONSE 0x20

/* Payload types (RFC 7296 3.2). */
enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
};
#define IKE_PL_CRITICAL 0x80      /* critical bit in the generic payload header */

/* Transform types and IDs (RFC 7296 3.3.2, IANA). */
enum ike_transform_type { IKE_TT_ENCR = 1, IKE_TT_PRF = 2, IKE_TT_INTEG = 3, IKE_TT_DH = 4, IKE_TT_ESN = 5 };
enum ike_encr { IKE_ENCR_AES_CBC = 12, IKE_ENCR_AES_GCM16 = 20 };
enum ike_prf { IKE_PRF_HMAC_SHA1 = 2, IKE_PRF_HMAC_SHA2_256 = 5, IKE_PRF_HMAC_SHA2_384 = 6,
	       IKE_PRF_HMAC_SHA2_512 = 7 };
enum ike_integ { IKE_INTEG_NONE = 0, IKE_INTEG_HMAC_SHA1_96 = 2, IKE_INTEG_HMAC_SHA2_256_128 = 12,
		 IKE_INTEG_HMAC_SHA2_384_192 = 13, IKE_INTEG_HMAC_SHA2_512_256 = 14 };
enum ike_dh { IKE_DH_NONE = 0, IKE_DH_MODP2048 = 14, IKE_DH_ECP256 = 19, IKE_DH_ECP384 = 20,
	      IKE_DH_CURVE25519 = 31 };
enum ike_esn { IKE_ESN_NO = 0, IKE_ESN_YES = 1 };
#define IKE_ATTR_KEY_LENGTH 14    /* transform attribute (TV format) */

/* Protocol IDs in proposals, notifies and deletes. */
enum ike_proto { IKE_PROTO_IKE = 1, IKE_PROTO_AH = 2, IKE_PROTO_ESP = 3 };

/* ID types (RFC 7296 3.5). */
enum ike_id_type { IKE_ID_IPV4 = 1, IKE_ID_FQDN = 2, IKE_ID_RFC822 = 3, IKE_ID_IPV6 = 5,
		   IKE_ID_DER_DN = 9, IKE_ID_KEY_ID = 11 };

/* Auth methods (RFC 7296 3.8, RFC 7427). */
enum ike_auth_method { IKE_AUTH_RSA_SIG = 1, IKE_AUTH_PSK = 2, IKE_AUTH_ECDSA_256 = 9,
		       IKE_AUTH_ECDSA_384 = 10, IKE_AUTH_ECDSA_521 = 11, IKE_AUTH_DIGITAL_SIG = 14 };

/* Certificate encodings (RFC 7296 3.6). */
#define IKE_CERT_X509_SIG 4

/* Notify message types (RFC 7296 3.10.1, RFC 3948/7296 NAT, RFC 4304). */
enum ike_notify {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	/* status types */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};
#define IKE_N_ERROR_MAX 16383     /* notify types below this are errors */

/* Traffic selector types (RFC 7296 3.13.1). */
#define IKE_TS_IPV4_ADDR_RANGE 7

/* ---- parsed message ---- */

#define IKE_MAX_PAYLOADS 32
#define IKE_MAX_PROPOSALS 8
#define IKE_MAX_TRANSFORMS 32     /* stored per proposal; see ike_sa_parse for more */
#define IKE_MAX_TS 4
#define IKE_MAX_DEL_SPIS 16

struct ike_hdr_view {
	uint64_t spi_i, spi_r;    /* host order */
	uint8_t next;             /* first payload type */
	uint8_t version;          /* 0x20 for IKEv2 */
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id;          /* host order */
	uint32_t length;          /* as the header says (== bytes given when valid) */
};

/* One payload of a chain: type, critical bit, body (after the 4-byte generic header). */
struct ike_payload {
	uint8_t type;
	uint8_t critical;
	uint8_t next;             /* its next-payload field; for SK the inner chain's first type */
	uint16_t len;             /* body length */
	const uint8_t *body;
};

/* A payload chain (the message's, or the decrypted inner chain of an SK payload). */
struct ike_chain {
	unsigned n;
	struct ike_payload pl[IKE_MAX_PAYLOADS];
};

enum ike_parse_err {
	IKE_PARSE_OK = 0,
	IKE_PARSE_SHORT,          /* shorter than the header or a payload claims */
	IKE_PARSE_VERSION,        /* major version not 2 */
	IKE_PARSE_LENGTH,         /* header length disagrees with the datagram */
	IKE_PARSE_SYNTAX,         /* bad payload length, too many payloads, SK not last */
};

/*
 * Parse the fixed header of msg[0..len) into *h. Returns IKE_PARSE_OK or an
 * error; never reads beyond len.
 */
int ike_hdr_parse(const uint8_t *msg, size_t len, struct ike_hdr_view *h);
/*
 * Split a payload chain starting with payload type `first` over buf[0..len)
 * into *c. An SK payload must be last (its body is the rest). Bodies point
 * into buf. Returns IKE_PARSE_OK or an error.
 */
int ike_chain_parse(uint8_t first, const uint8_t *buf, size_t len, struct ike_chain *c);
/* First payload of a type in c, or NULL. */
const struct ike_payload *ike_chain_find(const struct ike_chain *c, uint8_t type);
/* First notify of a type in c (body parsed), or NULL. */
const struct ike_payload *ike_chain_notify(const struct ike_chain *c, uint16_t type);

/* SA payload. */
struct ike_transform {
	uint8_t type;             /* enum ike_transform_type */
	uint16_t id;
	uint16_t key_len;         /* bits from the key-length attribute; 0 = absent */
};

struct ike_proposal {
	uint8_t num;              /* proposal number (1-based) */
	uint8_t proto;            /* enum ike_proto */
	uint8_t spi_len;          /* 0, 4 or 8 */
	uint8_t spi[8];
	unsigned n_tr;
	struct ike_transform tr[IKE_MAX_TRANSFORMS];
};

struct ike_sa_view {
	unsigned n;
	struct ike_proposal p[IKE_MAX_PROPOSALS];
};

/* Each returns 0 or -EINVAL (malformed: lengths, counts, unknown attribute
 * format); reads only body[0..len).
 * ike_sa_parse: proposals past IKE_MAX_PROPOSALS are checked and dropped;
 * past IKE_MAX_TRANSFORMS in one proposal, a transform we support
 * (ike_transform_supported) takes the place of a stored one we do not, so
 * a peer's long default proposal still shows every transform we could
 * pick. Unknown attributes are skipped (RFC 7296 3.3.6). */
int ike_transform_supported(const struct ike_transform *t);
int ike_sa_parse(const uint8_t *body, size_t len, struct ike_sa_view *sa);

struct ike_ke_view { uint16_t group; uint16_t len; const uint8_t *data; };
int ike_ke_parse(const uint8_t *body, size_t len, struct ike_ke_view *ke);

/* ID payload; also the "IDx' octets" of the AUTH computation (RFC 7296 2.15):
 * the body as is. */
struct ike_id_view { uint8_t type; uint16_t len; const uint8_t *data; };
int ike_id_parse(const uint8_t *body, size_t len, struct ike_id_view *id);

struct ike_auth_view { uint8_t method; uint16_t len; const uint8_t *data; };
int ike_auth_parse(const uint8_t *body, size_t len, struct ike_auth_view *au);

struct ike_cert_view { uint8_t encoding; uint16_t len; const uint8_t *data; };
int ike_cert_parse(const uint8_t *body, size_t len, struct ike_cert_view *c);

struct ike_notify_view {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	uint16_t data_len;
	const uint8_t *data;
};
int ike_notify_parse(const uint8_t *body, size_t len, struct ike_notify_view *n);

struct ike_delete_view {
	uint8_t proto;
	uint8_t spi_len;
	unsigned n_spis;          /* up to IKE_MAX_DEL_SPIS kept; more is an error */
	uint32_t spis[IKE_MAX_DEL_SPIS]; /* ESP SPIs, network order as on the wire */
};
int ike_delete_parse(const uint8_t *body, size_t len, struct ike_delete_view *d);

struct ike_ts {                   /* IPv4 address range, host order */
	uint8_t proto;            /* 0 = any, 47 = GRE */
	uint16_t port_lo, port_hi;
	uint32_t addr_lo, addr_hi;
};
struct ike_ts_view { unsigned n; struct ike_ts ts[IKE_MAX_TS]; };
/* Selectors of other types (IPv6) are skipped, not an error. */
int ike_ts_parse(const uint8_t *body, size_t len, struct ike_ts_view *ts);

/* ---- building ---- */

/*
 * A writer over a caller's buffer. Every write past the end sets `err` and
 * writes nothing; check it once at the end. Payload headers are chained:
 * ike_w_payload() patches the previous payload's next-payload field (or the
 * header's) and ike_w_end() patches the open payload's length.
 */
struct ike_w {
	uint8_t *buf;
	size_t cap, len;
	int err;
	size_t next_at;           /* where the next-payload byte to patch is, or SIZE_MAX */
	size_t pl_start;          /* start of the open payload, or SIZE_MAX */
	uint8_t first;            /* type of the first payload written (an inner chain's
				   * first type for ike_sk_seal); IKE_PL_NONE if none */
	uint8_t has_hdr;          /* ike_w_hdr was called: ike_w_finish sets its length */
};

/* Without ike_w_hdr the writer builds a bare payload chain (the plaintext
 * of an SK payload): ike_w_finish then returns its length. */
void ike_w_init(struct ike_w *w, uint8_t *buf, size_t cap);
void ike_w_bytes(struct ike_w *w, const void *p, size_t n);
void ike_w_u8(struct ike_w *w, uint8_t v);
void ike_w_u16(struct ike_w *w, uint16_t v);   /* network order */
void ike_w_u32(struct ike_w *w, uint32_t v);
void ike_w_u64(struct ike_w *w, uint64_t v);
/* Header with length 0 (ike_w_finish sets it). */
void ike_w_hdr(struct ike_w *w, uint64_t spi_i, uint64_t spi_r, uint8_t exchange, uint8_t flags,
	       uint32_t msg_id);
/* Open a payload of `type` (closing the previous one). */
void ike_w_payload(struct ike_w *w, uint8_t type, int critical);
/* Close the open payload (sets its length). */
void ike_w_end(struct ike_w *w);
/* Close the open payload and set the header length. Returns the message
 * length, or -ENOSPC if anything did not fit. */
int ike_w_finish(struct ike_w *w);

/* Whole payloads (open, write body, close). ike_w_sa: 0, or -EINVAL (more
 * than 255 proposals/transforms, bad SPI size) with nothing written. */
int ike_w_sa(struct ike_w *w, const struct ike_sa_view *sa);
void ike_w_ke(struct ike_w *w, uint16_t group, const uint8_t *pub, size_t len);
void ike_w_nonce(struct ike_w *w, const uint8_t *n, size_t len);
void ike_w_id(struct ike_w *w, uint8_t pl_type, uint8_t id_type, const uint8_t *data, size_t len);
void ike_w_auth(struct ike_w *w, uint8_t method, const uint8_t *data, size_t len);
void ike_w_cert(struct ike_w *w, uint8_t encoding, const uint8_t *data, size_t len);
void ike_w_certreq(struct ike_w *w, uint8_t encoding, const uint8_t *data, size_t len);
void ike_w_notify(struct ike_w *w, uint8_t proto, const uint8_t *spi, size_t spi_len, uint16_t type,
		  const uint8_t *data, size_t len);
void ike_w_delete(struct ike_w *w, uint8_t proto, const uint32_t *spis_be, unsigned n);
void ike_w_ts(struct ike_w *w, uint8_t pl_type, const struct ike_ts *ts, unsigned n);
void ike_w_vendor(struct ike_w *w, const uint8_t *id, size_t len);
/* Any other payload (e.g. NONCE, CP): open, body bytes, close. */
void ike_w_raw(struct ike_w *w, uint8_t type, int critical, const uint8_t *body, size_t len);

/* Human-readable names, for logs and `show ike sa`. */
const char *ike_exchange_name(uint8_t ex);
const char *ike_payload_name(uint8_t type);
const char *ike_notify_name(uint16_t type);
/* Parse errors (enum ike_parse_err) as words. */
const char *ike_parse_err_name(int err);

#endif
