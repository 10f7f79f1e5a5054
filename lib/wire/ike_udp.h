/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE's UDP (RFC 7296 2.23, RFC 3948 2.2): datagram checks, the non-ESP marker, IPv4 reassembly. */
#ifndef DMVPN_LIB_IKE_UDP_H
#define DMVPN_LIB_IKE_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/wire/ike_wire.h"

#define IKE_UDP_MARKER 4          /* the non-ESP marker's zero bytes on 4500 */

enum ike_udp_result {
	IKE_UDP_OK = 0,
	IKE_UDP_NOT_IKE,          /* another port: not ours to judge */
	IKE_UDP_MALFORMED,        /* UDP length, or no marker on 4500 */
	IKE_UDP_BAD_CHECKSUM,
};

/* An IKE message found in a UDP datagram. */
struct ike_udp_msg {
	uint16_t sport, dport;    /* host order */
	const uint8_t *msg;       /* IKE header onward, marker skipped */
	size_t len;
};

/*
 * The UDP datagram u[0..avail) (header onward; avail may exceed the UDP
 * length, e.g. Ethernet padding) from src to dst (network order): to port
 * 500, or 4500 with the marker; the checksum checked when not zero.
 * Returns enum ike_udp_result; fills *out on IKE_UDP_OK. Reads nothing
 * past u + avail. Thread-safe, no state.
 */
int ike_udp_parse(uint32_t src, uint32_t dst, const uint8_t *u, size_t avail,
		  struct ike_udp_msg *out);

/*
 * Write the UDP datagram carrying msg from src:sport to dst:dport into
 * out (cap bytes), after the non-ESP marker when marker is set (IKE when
 * either port is 4500; a NAT keepalive has none), the checksum computed.
 * Returns its length or -ENOSPC.
 */
int ike_udp_build(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, int marker,
		  const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

/* ---- IPv4 reassembly of IKE datagrams ---- */

#define IKE_REASM_SLOTS 8         /* datagrams put together at once */
#define IKE_REASM_TIMEOUT_MS 5000
#define IKE_REASM_MAX (8 + IKE_UDP_MARKER + IKE_MAX_MSG)   /* UDP bytes */

struct ike_reasm_slot {
	uint8_t used;
	uint16_t id;              /* as in the IPv4 header */
	uint32_t src, dst;
	uint64_t since_ms;
	size_t total;             /* UDP bytes; 0 until the last fragment came */
	uint8_t have[(IKE_REASM_MAX + 63) / 64]; /* one bit per 8-byte block */
	uint8_t data[IKE_REASM_MAX];
};

struct ike_reasm {
	struct ike_reasm_slot slot[IKE_REASM_SLOTS];
	uint64_t dropped;         /* fragments or datagrams given up */
	uint64_t done;            /* datagrams put back together */
};

enum ike_reasm_result { IKE_REASM_KEPT = 0, IKE_REASM_DONE, IKE_REASM_DROPPED, IKE_REASM_NOT_IKE };

/*
 * One fragment: IPv4 header fields src, dst, id (as in the header) and
 * frag (flags and offset, host order), and its payload p[0..n). A first
 * fragment not to an IKE port is IKE_REASM_NOT_IKE (nothing kept); a later
 * one cannot say and is kept. IKE_REASM_DONE: *dgram, *len is the whole UDP
 * datagram (in r, valid until the next call), for ike_udp_parse. The
 * oldest datagram gives way when all slots are taken; stale ones go
 * after IKE_REASM_TIMEOUT_MS.
 */
int ike_reasm_add(struct ike_reasm *r, uint64_t now_ms, uint32_t src, uint32_t dst, uint16_t id,
		  uint16_t frag, const uint8_t *p, size_t n, const uint8_t **dgram, size_t *len);

#endif
