/* SPDX-License-Identifier: BSD-3-Clause */
/* Drop and punt reasons: one X-macro list feeds the enums, counters and names. */
#ifndef DMVPN_LIB_DROP_H
#define DMVPN_LIB_DROP_H

#define DMVPN_DROP_REASONS(X)                                    \
	X(NONE, "none")                                          \
	X(ETH_TRUNCATED, "eth_truncated")                        \
	X(ETH_OTHER_HOST, "eth_not_for_us")                      \
	X(ETHERTYPE, "unsupported_ethertype")                    \
	X(IPV4_TRUNCATED, "ipv4_truncated")                      \
	X(IPV4_VERSION, "ipv4_bad_version")                      \
	X(IPV4_HDRLEN, "ipv4_bad_header_length")                 \
	X(IPV4_LENGTH, "ipv4_bad_total_length")                  \
	X(IPV4_CHECKSUM, "ipv4_bad_checksum")                    \
	X(IPV4_MARTIAN, "ipv4_martian_address")                  \
	X(IPV4_FRAGMENT_LOCAL, "ipv4_fragment_to_self")          \
	X(IPV4_MULTICAST, "ipv4_multicast_or_broadcast")       \
	X(TTL_EXCEEDED, "ttl_exceeded")                          \
	X(NO_ROUTE, "no_route")                                  \
	X(BLACKHOLE, "blackhole_route")                          \
	X(NEIGH_MISS_QUEUE_FULL, "arp_unresolved")               \
	X(MTU_EXCEEDED, "mtu_exceeded")                          \
	X(GRE_TRUNCATED, "gre_truncated")                        \
	X(GRE_VERSION, "gre_bad_version")                        \
	X(GRE_FLAGS, "gre_unsupported_flags")                    \
	X(GRE_CHECKSUM, "gre_bad_checksum")                      \
	X(GRE_NO_KEY, "gre_key_missing")                         \
	X(GRE_KEY_MISMATCH, "gre_key_mismatch")                  \
	X(GRE_PROTO, "gre_unsupported_protocol")                 \
	X(GRE_INNER_MALFORMED, "gre_inner_malformed")            \
	X(GRE_NESTED, "gre_nested_tunnel")                       \
	X(NHRP_MISS, "nhrp_no_mapping")                          \
	X(TUNNEL_RECURSION, "tunnel_route_recursion")            \
	X(LOCAL_UNHANDLED, "local_protocol_unhandled")           \
	X(PUNT_RING_FULL, "punt_ring_full")                      \
	X(TX_FULL, "tx_queue_full")                              \
	X(HEADROOM, "no_headroom")                               \
	X(ESP_NO_SA, "esp_no_sa")                                \
	X(ESP_REPLAY, "esp_replay")                              \
	X(ESP_ICV, "esp_icv_failure")                            \
	X(ESP_PAD, "esp_bad_padding")                            \
	X(ESP_LENGTH, "esp_bad_length")                          \
	X(ESP_EXPIRED, "esp_sa_expired")                         \
	X(ESP_SEQ_OVERFLOW, "esp_sequence_overflow")             \
	X(ESP_POLICY, "esp_policy_mismatch")                     \
	X(ESP_PEER, "esp_peer_mismatch")                         \
	X(ESP_SELECTOR, "esp_selector_mismatch")                 \
	X(GRE_CLEARTEXT, "gre_cleartext_from_protected_peer")    \
	X(NAT_KEEPALIVE, "nat_keepalive")

enum dmvpn_drop {
#define X(e, s) DROP_##e,
	DMVPN_DROP_REASONS(X)
#undef X
	DROP__COUNT
};

/* Name of a drop reason, as shown by `show counters`. */
const char *dmvpn_drop_name(unsigned reason);

#endif
