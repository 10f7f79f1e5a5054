/* SPDX-License-Identifier: BSD-3-Clause */
/* Wire formats of Ethernet, ARP, IPv4, ICMP and GRE: packed, network byte order. */
#ifndef DMVPN_LIB_PROTO_H
#define DMVPN_LIB_PROTO_H

#include <stdint.h>

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_NHRP 0x2001 /* GRE protocol type of NHRP (Cisco) */

struct eth_hdr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t type;
} __attribute__((packed));

#define ARP_HW_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_ipv4 {
	uint16_t htype;
	uint16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	uint16_t op;
	uint8_t sha[ETH_ALEN];
	uint32_t spa;
	uint8_t tha[ETH_ALEN];
	uint32_t tpa;
} __attribute__((packed));

#define IPV4_HLEN 20
#define IPPROTO_ICMP_ 1
#define IPPROTO_UDP_ 17
#define IPPROTO_GRE_ 47
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

struct ipv4_hdr {
	uint8_t ver_ihl;
	uint8_t tos;
	uint16_t total_len;
	uint16_t id;
	uint16_t frag;
	uint8_t ttl;
	uint8_t proto;
	uint16_t cksum;
	uint32_t src;
	uint32_t dst;
} __attribute__((packed));

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11

struct icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t cksum;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed));

struct udp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;
	uint16_t cksum;
} __attribute__((packed));

/* GRE (RFC 2784, key and sequence from RFC 2890). */
#define GRE_F_CSUM 0x8000
#define GRE_F_ROUTING 0x4000
#define GRE_F_KEY 0x2000
#define GRE_F_SEQ 0x1000
#define GRE_F_MBZ 0x0c00 /* bits 4-5: RFC 2784 receivers discard when set */
/* Bits 6-12 (0x03f8) are reserved0: sent as zero, ignored on receipt. */
#define GRE_VERSION_MASK 0x0007

struct gre_hdr {
	uint16_t flags;
	uint16_t proto;
} __attribute__((packed));

/* Outer headers the encapsulation prepends: Ethernet + IPv4 + GRE with key. */
#define GRE_ENCAP_LEN (ETH_HLEN + IPV4_HLEN + 8)

#endif
