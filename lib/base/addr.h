/* SPDX-License-Identifier: BSD-3-Clause */
/* Text forms of IPv4 addresses, prefixes and MAC addresses. */
#ifndef DMVPN_LIB_ADDR_H
#define DMVPN_LIB_ADDR_H

#include <stdint.h>

#define ADDR_STRLEN 16
#define PREFIX_STRLEN 19
#define MAC_STRLEN 18

/* "a.b.c.d" -> network order. 0 or -EINVAL. */
int addr_parse(const char *s, uint32_t *addr);
/* "a.b.c.d/len" -> network order address and length. A bare address is
 * accepted only when allow_host is set (length 32). 0 or -EINVAL. */
int prefix_parse(const char *s, int allow_host, uint32_t *addr, uint8_t *plen);
/* "aa:bb:cc:dd:ee:ff" -> 6 bytes. 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t *mac);

/* Network-order mask of a prefix length (0..32). */
uint32_t prefix_mask(uint8_t plen);

/* Formatters into caller buffers; return buf. */
char *addr_fmt(uint32_t addr, char *buf);
char *prefix_fmt(uint32_t addr, uint8_t plen, char *buf);
char *mac_fmt(const uint8_t *mac, char *buf);

#endif
