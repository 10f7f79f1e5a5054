/* SPDX-License-Identifier: BSD-3-Clause */
/* NHRP (RFC 2332) wire format with Cisco's DMVPN extensions: IPv4 NBMA, IPv4 protocol. */
#ifndef DMVPN_LIB_NHRP_H
#define DMVPN_LIB_NHRP_H

#include <stddef.h>
#include <stdint.h>

#define NHRP_FIXED_LEN 20        /* fixed header */
#define NHRP_MAX_CIE 16          /* CIEs kept per packet or extension */
#define NHRP_MAX_EXT 16
#define NHRP_AFN_IPV4 1
#define NHRP_VERSION 1

enum nhrp_type {
	NHRP_RESOLUTION_REQUEST = 1,
	NHRP_RESOLUTION_REPLY = 2,
	NHRP_REGISTRATION_REQUEST = 3,
	NHRP_REGISTRATION_REPLY = 4,
	NHRP_PURGE_REQUEST = 5,
	NHRP_PURGE_REPLY = 6,
	NHRP_ERROR_INDICATION = 7,
	NHRP_TRAFFIC_INDICATION = 8, /* Cisco redirect (phase 3) */
};

/* Flags of the mandatory part, by packet type. */
#define NHRP_RES_F_Q 0x8000      /* resolution: source is a router */
#define NHRP_RES_F_A 0x4000      /* reply: authoritative */
#define NHRP_RES_F_D 0x2000      /* reply: destination is stable */
#define NHRP_RES_F_U 0x1000      /* uniqueness */
#define NHRP_RES_F_S 0x0800      /* stable binding */
#define NHRP_RES_F_NAT 0x0002    /* Cisco: requester is behind NAT */
#define NHRP_REG_F_U 0x8000      /* registration: unique */
#define NHRP_REG_F_NAT 0x0002    /* Cisco: registrant is behind NAT */
#define NHRP_PURGE_F_N 0x8000    /* purge: no reply expected */

enum nhrp_ext_type {
	NHRP_EXT_END = 0,
	NHRP_EXT_RESPONDER = 3,
	NHRP_EXT_FWD_TRANSIT = 4,
	NHRP_EXT_REV_TRANSIT = 5,
	NHRP_EXT_AUTH = 7,
	NHRP_EXT_VENDOR = 8,
	NHRP_EXT_NAT_ADDRESS = 9,    /* Cisco */
};
#define NHRP_EXT_COMPULSORY 0x8000

/* Error Indication codes (RFC 2332 5.2.7). */
enum nhrp_error_code {
	NHRP_ERR_UNRECOGNIZED_EXT = 1,
	NHRP_ERR_LOOP_DETECTED = 3,
	NHRP_ERR_PROTO_UNREACHABLE = 6,
	NHRP_ERR_PROTOCOL = 7,
	NHRP_ERR_SDU_SIZE = 8,
	NHRP_ERR_INVALID_EXT = 9,
	NHRP_ERR_INVALID_RES_REPLY = 10,
	NHRP_ERR_AUTH_FAILURE = 11,
	NHRP_ERR_HOP_COUNT = 15,
};

/* CIE codes (RFC 2332 5.2.0.1 and per type). */
enum nhrp_cie_code {
	NHRP_CIE_SUCCESS = 0,
	NHRP_CIE_ADMIN_PROHIBITED = 4,
	NHRP_CIE_INSUFFICIENT_RESOURCES = 5,
	NHRP_CIE_NO_BINDING = 12,
	NHRP_CIE_NOT_UNIQUE = 13,
	NHRP_CIE_ALREADY_REGISTERED = 14,
};

/* Traffic Indication code: Cisco's "redirect". */
#define NHRP_TRAFFIC_REDIRECT 0

/* Client Information Entry. Addresses in network order; a length of 0
 * means the address is absent (then the value is 0). */
struct nhrp_cie {
	uint8_t code;
	uint8_t prefix_len;
	uint16_t mtu;
	uint16_t holdtime;
	uint8_t pref;
	uint8_t nbma_len;        /* 0 or 4 */
	uint8_t proto_len;       /* 0 or 4 */
	uint32_t nbma;
	uint32_t proto;
};

struct nhrp_ext {
	uint16_t type;           /* without the compulsory bit */
	uint8_t compulsory;
	uint16_t off;            /* offset of the value from the packet start */
	uint16_t len;            /* value length */
	/* Responder, transit-record and NAT extensions carry CIEs. */
	uint8_t n_cie;
	struct nhrp_cie cie[NHRP_MAX_CIE];
};

struct nhrp_msg {
	/* fixed header */
	uint16_t afn;
	uint16_t proto_type;
	uint8_t hopcnt;
	uint16_t pktsz;
	uint16_t extoff;
	uint8_t type;
	/* mandatory part */
	uint16_t flags;          /* types 1..6 */
	uint32_t reqid;          /* types 1..6 */
	uint16_t err_code;       /* type 7 */
	uint16_t err_offset;     /* type 7 */
	uint16_t traffic_code;   /* type 8 */
	uint32_t src_nbma;       /* network order */
	uint32_t src_proto;
	uint32_t dst_proto;
	uint8_t n_cie;           /* types 1..6 */
	struct nhrp_cie cie[NHRP_MAX_CIE];
	/* types 7 and 8: the packet that caused it, as carried */
	uint16_t payload_off;
	uint16_t payload_len;
	uint8_t n_ext;
	struct nhrp_ext ext[NHRP_MAX_EXT];
	/* When nhrp_parse fails: the offset of the field in error (an Error
	 * Indication's error offset); type, pktsz (at most the bytes there
	 * are) and src_proto then hold what the packet carries where they
	 * could be read, else 0. */
	uint16_t err_at;
};

/* Why a packet was not accepted. */
enum nhrp_parse_error {
	NHRP_PE_OK = 0,
	NHRP_PE_TRUNCATED,       /* shorter than its headers or ar$pktsz */
	NHRP_PE_CHECKSUM,
	NHRP_PE_VERSION,
	NHRP_PE_AFN,             /* NBMA not IPv4 (incl. E.164) or protocol not 0x0800 */
	NHRP_PE_ADDR_LEN,        /* an address length other than 0 or 4 */
	NHRP_PE_LENGTH,          /* ar$extoff/pktsz inconsistent, CIE overruns */
	NHRP_PE_TYPE,            /* unknown packet type */
	NHRP_PE_TOO_MANY,        /* more CIEs or extensions than kept */
	NHRP_PE_EXTENSION,       /* malformed extension list (no End, overrun) */
	NHRP_PE__COUNT
};

/*
 * Parse an NHRP packet (p: first byte of the fixed header, len: bytes
 * available, may exceed ar$pktsz). Verifies the checksum, lengths and
 * address lengths; fills *m; never reads outside [p, p + len). Returns
 * NHRP_PE_OK or the reason. Pure, thread-safe.
 * Strict: source NBMA, source and destination protocol addresses must be 4
 * bytes for every type, subaddresses absent; the CIEs (or the payload of
 * types 7 and 8) fill the mandatory part exactly up to ar$extoff (or
 * ar$pktsz); extensions are contiguous and the End extension (length 0)
 * ends exactly at ar$pktsz. End is not stored in ext[]. Reserved and
 * unused fields (ar$pro.snap, CIE unused) are ignored.
 */
int nhrp_parse(const uint8_t *p, size_t len, struct nhrp_msg *m);
const char *nhrp_parse_error_name(int e);

/* The Error Indication code that answers a parse error: Protocol Error (7)
 * for a packet whose fixed header could be read but breaks the format
 * (version, protocol type, checksum, address lengths, lengths, type),
 * Invalid Extension (9) for a malformed extension, or 0 for none (too
 * short to know its sender, or beyond our own limits). Pure. */
uint16_t nhrp_parse_error_code(int pe);

/*
 * Protocol rules a packet that parsed may still break (RFC 2332): returns
 * 0, NHRP_ERR_PROTOCOL (a Registration or Purge Request, or a Resolution
 * or Registration Reply, without a CIE) or NHRP_ERR_INVALID_EXT (an extension
 * inappropriate for the packet type: a Responder Address extension that
 * is not empty in a request or carries more than one CIE, or appears
 * twice; a transit record, Authentication or NAT extension twice), and
 * sets *offset to the offending field. Pure.
 */
uint16_t nhrp_check(const struct nhrp_msg *m, uint16_t *offset);

/* The extension of a type in m, or NULL. */
const struct nhrp_ext *nhrp_ext_find(const struct nhrp_msg *m, uint16_t type);

/*
 * Builder: writes into a caller buffer; any overflow sets err (-ENOSPC)
 * and later calls do nothing, so a sequence of puts needs one check at
 * finish. Call order: init, CIEs or payload, extensions (begin, CIEs or
 * raw bytes, end) in order, finish. Misuse sets err to -EINVAL: a type
 * other than 1..6 in nhrp_build_init, a CIE address length other than 0
 * or 4, CIEs or raw bytes between extensions, nested or End extensions,
 * end without begin, finish with an extension open. Never writes at or
 * past p + cap. Not thread-safe per buffer; pure otherwise.
 */
struct nhrp_buf {
	uint8_t *p;
	size_t cap;
	size_t len;
	size_t ext_start;        /* offset of the open extension, 0 = none */
	int err;
};

/* Types 1..6. */
void nhrp_build_init(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t type,
		     uint8_t hopcnt, uint16_t flags, uint32_t reqid, uint32_t src_nbma,
		     uint32_t src_proto, uint32_t dst_proto);
/* Type 7: code and offset; then nhrp_put_raw() the offending packet. */
void nhrp_build_error_init(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t hopcnt,
			   uint16_t code, uint16_t offset, uint32_t src_nbma,
			   uint32_t src_proto, uint32_t dst_proto);
/* Type 8: traffic code (at the error code's place, the 2 bytes before and
 * after it zero); then nhrp_put_raw() the start of the packet that triggered it. */
void nhrp_build_traffic_init(struct nhrp_buf *b, uint8_t *p, size_t cap, uint8_t hopcnt,
			     uint16_t code, uint32_t src_nbma, uint32_t src_proto,
			     uint32_t dst_proto);
void nhrp_put_cie(struct nhrp_buf *b, const struct nhrp_cie *c);
void nhrp_put_raw(struct nhrp_buf *b, const void *data, size_t len);
/* type may carry NHRP_EXT_COMPULSORY instead of (or as well as) compulsory. */
void nhrp_ext_begin(struct nhrp_buf *b, uint16_t type, int compulsory);
void nhrp_ext_end(struct nhrp_buf *b);
/* Close the packet: End extension (when any extension was written),
 * ar$pktsz, ar$extoff and checksum. Returns the length, or -ENOSPC,
 * -EINVAL (misuse, see above) or -EMSGSIZE (longer than 65535 bytes). */
int nhrp_build_finish(struct nhrp_buf *b);

#endif
