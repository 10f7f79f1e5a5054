/* SPDX-License-Identifier: BSD-3-Clause */
/* Text forms of IPv4 addresses, prefixes and MAC addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/addr.h"

int addr_parse(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

uint32_t prefix_mask(uint8_t plen)
{
	return plen == 0 ? 0 : htonl(~0u << (32 - plen));
}

int prefix_parse(const char *s, int allow_host, uint32_t *addr, uint8_t *plen)
{
	char buf[ADDR_STRLEN];
	const char *slash;
	char *end;
	long n;
	size_t l;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash) {
		if (!allow_host || addr_parse(s, addr))
			return -EINVAL;
		*plen = 32;
		return 0;
	}
	l = (size_t)(slash - s);
	if (l == 0 || l >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, l);
	buf[l] = 0;
	if (addr_parse(buf, addr))
		return -EINVAL;
	/* strtol alone would take " 8", "+8" and "-0". */
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	n = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || n < 0 || n > 32)
		return -EINVAL;
	*plen = (uint8_t)n;
	return 0;
}

int mac_parse(const char *s, uint8_t *mac)
{
	unsigned v[6];
	char tail;

	/* sscanf's %x alone would take spaces, signs and "0x". */
	if (!s || s[strspn(s, "0123456789abcdefABCDEF:")] ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

char *addr_fmt(uint32_t addr, char *buf)
{
	inet_ntop(AF_INET, &addr, buf, ADDR_STRLEN);
	return buf;
}

char *prefix_fmt(uint32_t addr, uint8_t plen, char *buf)
{
	char a[ADDR_STRLEN];

	snprintf(buf, PREFIX_STRLEN, "%s/%u", addr_fmt(addr, a), plen);
	return buf;
}

char *mac_fmt(const uint8_t *mac, char *buf)
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
