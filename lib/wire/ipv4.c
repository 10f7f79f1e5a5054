/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 header validation, checksums and TTL handling. */
#include <arpa/inet.h>
#include <string.h>

#include "lib/base/drop.h"
#include "lib/wire/ipv4.h"

uint32_t inet_sum(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

uint16_t inet_cksum(const void *buf, size_t len)
{
	return inet_fold(inet_sum(0, buf, len));
}

int ipv4_parse(const uint8_t *p, size_t len, struct ipv4_info *out)
{
	const struct ipv4_hdr *h = (const void *)p;
	size_t hlen, tlen;

	if (len < IPV4_HLEN)
		return DROP_IPV4_TRUNCATED;
	if ((h->ver_ihl >> 4) != 4)
		return DROP_IPV4_VERSION;
	hlen = (size_t)(h->ver_ihl & 0xf) * 4;
	if (hlen < IPV4_HLEN)
		return DROP_IPV4_HDRLEN;
	if (hlen > len)
		return DROP_IPV4_TRUNCATED;
	tlen = ntohs(h->total_len);
	if (tlen < hlen)
		return DROP_IPV4_LENGTH;
	if (tlen > len)
		return DROP_IPV4_TRUNCATED;
	if (ipv4_hdr_cksum(p, hlen) != 0)
		return DROP_IPV4_CHECKSUM;
	out->hlen = (uint16_t)hlen;
	out->total_len = (uint16_t)tlen;
	out->proto = h->proto;
	out->ttl = h->ttl;
	out->frag = ntohs(h->frag);
	out->src = h->src;
	out->dst = h->dst;
	return DROP_NONE;
}

void ipv4_build(struct ipv4_hdr *h, uint32_t src, uint32_t dst, uint8_t proto,
		uint8_t ttl, uint16_t total_len, uint16_t id, uint16_t frag)
{
	h->ver_ihl = 0x45;
	h->tos = 0;
	h->total_len = htons(total_len);
	h->id = htons(id);
	h->frag = htons(frag);
	h->ttl = ttl;
	h->proto = proto;
	h->cksum = 0;
	h->src = src;
	h->dst = dst;
	h->cksum = ipv4_hdr_cksum(h, IPV4_HLEN);
}

