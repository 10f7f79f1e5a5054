/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE's UDP (RFC 7296 2.23, RFC 3948 2.2): datagram checks, the non-ESP marker, IPv4 reassembly. */
#include <errno.h>
#include <string.h>

#include "lib/wire/ike_udp.h"
#include "lib/base/be.h"
#include "lib/wire/ipv4.h"

#define UDP_HLEN 8

static int ike_port(uint16_t port)
{
	return port == IKE_PORT || port == IKE_NATT_PORT;
}

/* The UDP checksum's sum over the pseudo header and the datagram (RFC 768). */
static uint32_t udp_sum(uint32_t src, uint32_t dst, const uint8_t *u, size_t ulen)
{
	uint32_t sum = inet_sum(0, &src, 4);

	sum = inet_sum(sum, &dst, 4);
	sum += IPPROTO_UDP_ + (uint32_t)ulen;
	return inet_sum(sum, u, ulen);
}

int ike_udp_parse(uint32_t src, uint32_t dst, const uint8_t *u, size_t avail,
		  struct ike_udp_msg *out)
{
	size_t ulen, skip;

	if (avail < UDP_HLEN || !ike_port(rd16(u + 2)))
		return avail < UDP_HLEN ? IKE_UDP_MALFORMED : IKE_UDP_NOT_IKE;
	out->sport = rd16(u);
	out->dport = rd16(u + 2);
	ulen = rd16(u + 4);
	skip = out->dport == IKE_NATT_PORT ? IKE_UDP_MARKER : 0;
	if (ulen < UDP_HLEN + skip || ulen > avail)
		return IKE_UDP_MALFORMED;
	/* Zero: the sender did not compute one (allowed over IPv4). */
	if ((u[6] || u[7]) && inet_fold(udp_sum(src, dst, u, ulen)) != 0)
		return IKE_UDP_BAD_CHECKSUM;
	/* On 4500 without the marker it is ESP, the worker's, not IKE. */
	if (skip && (u[8] | u[9] | u[10] | u[11]))
		return IKE_UDP_MALFORMED;
	out->msg = u + UDP_HLEN + skip;
	out->len = ulen - UDP_HLEN - skip;
	return IKE_UDP_OK;
}

int ike_udp_build(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, int marker,
		  const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	size_t skip = marker ? IKE_UDP_MARKER : 0;
	size_t ulen = UDP_HLEN + skip + len;
	uint16_t ck;

	if (ulen > cap || ulen > 0xffff)
		return -ENOSPC;
	out[0] = (uint8_t)(sport >> 8);
	out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8);
	out[3] = (uint8_t)dport;
	out[4] = (uint8_t)(ulen >> 8);
	out[5] = (uint8_t)ulen;
	out[6] = out[7] = 0;
	memset(out + UDP_HLEN, 0, skip);
	memcpy(out + UDP_HLEN + skip, msg, len);
	ck = inet_fold(udp_sum(src, dst, out, ulen));
	/* A computed zero is sent as all ones (RFC 768). */
	if (!ck)
		ck = 0xffff;
	memcpy(out + 6, &ck, 2);
	return (int)ulen;
}

static void slot_start(struct ike_reasm_slot *s, uint64_t now, uint32_t src, uint32_t dst,
		       uint16_t id)
{
	memset(s->have, 0, sizeof(s->have));
	s->used = 1;
	s->src = src;
	s->dst = dst;
	s->id = id;
	s->since_ms = now;
	s->total = 0;
}

int ike_reasm_add(struct ike_reasm *r, uint64_t now_ms, uint32_t src, uint32_t dst, uint16_t id,
		  uint16_t frag, const uint8_t *p, size_t n, const uint8_t **dgram, size_t *len)
{
	size_t off = (size_t)(frag & IPV4_OFFMASK) * 8;
	int more = !!(frag & IPV4_MF);
	struct ike_reasm_slot *s = NULL, *oldest = &r->slot[0];

	if (!off && (n < UDP_HLEN || !ike_port(rd16(p + 2))))
		return IKE_REASM_NOT_IKE;
	for (unsigned i = 0; i < IKE_REASM_SLOTS; i++) {
		struct ike_reasm_slot *x = &r->slot[i];

		if (x->used && now_ms - x->since_ms >= IKE_REASM_TIMEOUT_MS) {
			r->dropped++;
			x->used = 0;
		}
		if (x->used && x->src == src && x->dst == dst && x->id == id)
			s = x;
		if (!x->used || (oldest->used && x->since_ms < oldest->since_ms))
			oldest = x;
	}
	/* Only the last fragment may end off an 8-byte boundary (RFC 791). */
	if ((more && (n % 8 || !n)) || off + n > IKE_REASM_MAX) {
		r->dropped++;
		if (s)
			s->used = 0;
		return IKE_REASM_DROPPED;
	}
	if (!s) {
		if (oldest->used)
			r->dropped++;
		s = oldest;
		slot_start(s, now_ms, src, dst, id);
	}
	/* Two ends that disagree: not a datagram we can trust. */
	if ((!more && s->total && s->total != off + n) || (s->total && off + n > s->total)) {
		r->dropped++;
		s->used = 0;
		return IKE_REASM_DROPPED;
	}
	memcpy(s->data + off, p, n);
	for (size_t b = off / 8; b < (off + n + 7) / 8; b++)
		s->have[b / 8] |= (uint8_t)(1u << (b % 8));
	if (!more)
		s->total = off + n;
	if (!s->total)
		return IKE_REASM_KEPT;
	for (size_t b = 0; b < (s->total + 7) / 8; b++)
		if (!(s->have[b / 8] & (1u << (b % 8))))
			return IKE_REASM_KEPT;
	s->used = 0;
	if (s->total < UDP_HLEN || !ike_port(rd16(s->data + 2)))
		return IKE_REASM_NOT_IKE;
	r->done++;
	*dgram = s->data;
	*len = s->total;
	return IKE_REASM_DONE;
}
