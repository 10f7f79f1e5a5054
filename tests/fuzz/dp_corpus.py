#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the fuzz_dp_input seeds: bursts of Ethernet frames for the appliance
# tests/fuzz/fuzz_dp_input.c sets up (its addresses, tunnels, routes and SA
# keys, which this file mirrors), ESP sealed with scapy under the inbound
# SAs' keys. Usage: tests/fuzz/dp_corpus.py OUTDIR (Debian's
# /usr/bin/python3, with scapy). Input format: a state byte (bits 0-1: where
# the ESN SAs' windows start: fresh, 2^32 - 16, 2^32 + 16, 1000), then per
# frame a flags byte (bit 0: exact-size buffer; bit 1: two segments; bit 2:
# new burst; bit 3: IPv4 checksums fixed up, bit 4: IPv4 total lengths too,
# both set here on every frame so that mutations of the seeds get past the
# header checks; bits 6-7: the burst's port), a 16-bit length and the frame.
import hashlib
import hmac
import os
import struct
import sys

from scapy.all import ARP, GRE, ICMP, IP, UDP, Ether, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

WAN_MAC, LAN_MAC = '02:00:00:00:00:01', '02:00:00:00:00:02'
GW_MAC, LAN_HOST_MAC = '02:00:00:00:fe:fe', '02:00:00:00:0a:05'
US, US_LAN = '192.0.2.1', '10.0.0.1'
F_TIGHT, F_CHAIN, F_BURST, F_CKSUM, F_LENGTH = 1, 2, 4, 8, 16
PORT1 = 0x40
ST_FRESH, ST_BELOW_2_32, ST_PAST_2_32, ST_1000 = 0, 1, 2, 3

# The inbound SAs of fuzz_dp_input.c (SPI 0x1000 + id): scapy algorithm,
# key bytes, integrity, key bytes, tunnel mode, in UDP, ESN.
SAS = {
    1: ('AES-GCM', 20, None, 0, False, False, False),
    2: ('AES-GCM', 36, None, 0, False, True, True),
    3: ('AES-CBC', 16, 'sha256', 32, True, False, True),
    4: ('AES-CBC', 32, 'sha1', 20, False, False, False),
    5: ('AES-GCM', 20, None, 0, True, True, False),
    6: ('AES-GCM', 20, None, 0, False, False, False),
    7: ('NULL', 0, None, 0, False, False, False),
    8: ('NULL', 0, None, 0, True, True, True),
    9: ('NULL', 0, None, 0, False, False, False),
    10: ('AES-GCM', 20, None, 0, False, False, False),
    11: ('AES-CBC', 16, 'sha1', 20, True, True, False),
    12: ('NULL', 0, None, 0, True, False, False),
    13: ('AES-GCM', 20, None, 0, False, False, False),
}


def esp_raw(sa_id, inner, seq, hi=0):
    """The ESP datagram (SPI to ICV) of SA sa_id around inner: transport
    mode, an IPv4 packet whose payload is protected (its proto the next
    header); tunnel mode, the whole packet."""
    calg, klen, aalg, alen, tunnel, _, esn = SAS[sa_id]
    ekey = bytes((0x40 + 7 * i + sa_id) & 0xff for i in range(klen))
    akey = bytes((0xa0 + 11 * i + sa_id) & 0xff for i in range(alen))
    # scapy's HMAC leaves the ESN high half out of the ICV (RFC 4303
    # 2.2.1 has it in): the ICV is computed here for every CBC SA.
    sa = SecurityAssociation(ESP, spi=0x1000 + sa_id, crypt_algo=calg,
                             crypt_key=ekey or None, auth_algo='NULL', auth_key=None,
                             tunnel_header=IP(src='192.0.2.99', dst=US) if tunnel else None,
                             esn_en=esn, esn=hi)
    esp = raw(sa.encrypt(inner, seq_num=seq)[ESP])
    if aalg:
        msg = esp + (struct.pack('!L', hi) if esn else b'')
        mac = hmac.new(akey, msg, getattr(hashlib, aalg)).digest()
        esp += mac[:16 if aalg == 'sha256' else 12]
    return esp


def esp_frame(sa_id, inner, seq, src, hi=0, dst=US, port_mac=WAN_MAC, src_mac=GW_MAC):
    udp = SAS[sa_id][5]
    esp = esp_raw(sa_id, inner, seq, hi)
    outer = IP(src=src, dst=dst, proto=17 if udp else 50)
    if udp:
        outer = outer / UDP(sport=4500, dport=4500) / Raw(esp)
    else:
        outer = outer / Raw(esp)
    return raw(Ether(dst=port_mac, src=src_mac) / outer)


def gre(key, proto, payload):
    g = GRE(proto=proto, key_present=1, key=key) if key is not None else GRE(proto=proto)
    return raw(g) + payload


def lan_pkt(dst, src='10.20.1.1', size=64, ttl=64, proto=17, flags=0):
    p = IP(src=src, dst=dst, ttl=ttl, proto=proto, flags=flags)
    body = bytes(range(256)) * (size // 256 + 1)
    return raw(p / Raw(body[:max(size - 20, 0)]))


# A Registration Request's NHRP part (fixed header and the mandatory part;
# the worker only punts it).
NHRP = bytes.fromhex('0001080000000000001c000303000400000000010400000100000000'
                     'c0000201ac110002ac110001')


def wan(payload, src_mac=GW_MAC, dst_mac=WAN_MAC):
    return raw(Ether(dst=dst_mac, src=src_mac, type=0x0800)) + payload


def lan(payload, dst_mac=LAN_MAC):
    return raw(Ether(dst=dst_mac, src=LAN_HOST_MAC, type=0x0800)) + payload


def gre_frame(src, key, proto, inner, dst=US):
    g = gre(key, proto, inner)
    return wan(raw(IP(src=src, dst=dst, proto=47) / Raw(g)))


def transport_inner(src, key, proto, payload):
    """What scapy's transport mode seals: the GRE datagram behind an IPv4
    header that carries its next header."""
    return IP(src=src, dst=US, proto=47) / Raw(gre(key, proto, payload))


def tunnel_inner(src, dst, key, proto, payload):
    return IP(src=src, dst=dst, proto=47) / Raw(gre(key, proto, payload))


def seeds():
    s = {}
    to_lan = lan_pkt('10.0.0.5', src='10.21.1.1')
    to_lan_gw = lan_pkt('10.1.2.3', src='10.21.1.1', size=200)
    # Cleartext GRE: tunnel 0 (key 1000) to the LAN, hairpinned, NHRP; tunnel 1
    # (protected) in clear; tunnel 2 without a key; a wrong key.
    s['gre_t0_to_lan'] = [(0, gre_frame('198.51.100.2', 1000, 0x0800, to_lan))]
    s['gre_t0_hairpin'] = [(0, gre_frame('198.51.100.2', 1000, 0x0800,
                                         lan_pkt('172.16.0.3', src='10.20.1.1')))]
    s['gre_t0_nhrp'] = [(0, gre_frame('198.51.100.2', 1000, 0x2001, NHRP))]
    s['gre_t0_multicast'] = [(0, gre_frame('198.51.100.2', 1000, 0x0800,
                                           lan_pkt('224.0.0.5', src='172.16.0.2', proto=89)))]
    s['gre_t0_to_kernel'] = [(0, gre_frame('198.51.100.2', 1000, 0x0800,
                                           lan_pkt('172.16.0.1', src='172.16.0.2', proto=6)))]
    s['gre_t1_cleartext'] = [(0, gre_frame('198.51.100.2', 2000, 0x0800, to_lan))]
    s['gre_t2_nokey'] = [(0, gre_frame('192.0.2.5', None, 0x0800, to_lan_gw))]
    s['gre_wrong_key'] = [(0, gre_frame('198.51.100.2', 7, 0x0800, to_lan))]
    s['gre_nested'] = [(0, gre_frame('198.51.100.2', 1000, 0x0800, raw(
        IP(src='198.51.100.2', dst=US, proto=47) / Raw(gre(1000, 0x0800, to_lan)))))]
    s['gre_fragment'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US, proto=47, flags='MF') /
                                     Raw(gre(1000, 0x0800, to_lan)))))]
    # From the LAN: into each tunnel and each kind of peer.
    for name, dst in [('t0_via_gw', '10.20.1.1'), ('t0_connected', '172.16.0.3'),
                      ('t0_resolve', '172.16.0.7'), ('t0_recursion', '172.16.0.9'),
                      ('t1_gcm', '10.21.1.1'), ('t1_cbc_tunnel', '10.22.1.1'),
                      ('t1_gcm_udp_unresolved', '172.17.0.4'), ('t1_no_sa', '172.17.0.5'),
                      ('t1_null_udp_life', '172.17.0.6'), ('t1_no_peer', '172.17.0.77'),
                      ('t2_no_peer', '172.18.0.9'), ('t2_peer_unresolved', '172.18.0.2'),
                      ('t3_cbc_nokey', '10.23.1.1'), ('blackhole', '10.99.1.1'),
                      ('wan_default', '203.0.113.50'), ('lan_via_gw', '10.1.2.3'),
                      ('lan_unresolved', '10.0.0.77')]:
        s['lan_' + name] = [(PORT1, lan(lan_pkt(dst, src='10.0.0.5')))]
    # A burst to one protected peer (one run), and to several.
    s['lan_t1_runs'] = [(PORT1, lan(lan_pkt(d, src='10.0.0.5', size=60 + 40 * i)))
                        for i, d in enumerate(['10.21.0.1', '10.21.0.2', '10.21.0.3', '10.22.0.1',
                                               '10.22.0.2', '172.17.0.4', '172.17.0.6',
                                               '172.17.0.6', '172.17.0.6', '10.20.0.1'])]
    s['lan_ttl1'] = [(PORT1, lan(lan_pkt('10.20.1.1', src='10.0.0.5', ttl=1)))]
    s['lan_mtu_df'] = [(PORT1, lan(lan_pkt('10.20.1.1', src='10.0.0.5', size=1420, flags='DF')))]
    s['lan_mtu_nodf'] = [(PORT1, lan(lan_pkt('10.21.1.1', src='10.0.0.5', size=1420)))]
    s['lan_esp_mtu'] = [(PORT1, lan(lan_pkt('10.23.1.1', src='10.0.0.5', size=1390)))]
    s['lan_martian'] = [(PORT1, lan(lan_pkt('10.20.1.1', src='127.0.0.1')))]
    s['lan_other_mac'] = [(PORT1, lan(lan_pkt('10.20.1.1'), dst_mac='02:00:00:00:00:99'))]
    s['lan_options'] = [(PORT1, lan(raw(IP(src='10.0.0.5', dst='10.20.1.1',
                                           options=b'\x01\x01\x01\x00') / Raw(b'x' * 30))))]
    s['lan_tight_headroom'] = [(PORT1 | F_TIGHT, lan(lan_pkt('10.21.1.1', src='10.0.0.5')))]
    s['lan_chained'] = [(PORT1 | F_CHAIN, lan(lan_pkt('10.20.1.1', src='10.0.0.5', size=300)))]
    # Local: ICMP echo, IKE, NAT keepalive, UDP 4500 IKE, ARP.
    s['icmp_echo'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US) / ICMP() / Raw(b'ping'))))]
    s['ike_500'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US) / UDP(sport=500, dport=500) /
                                Raw(b'\x00' * 28))))]
    s['nat_keepalive'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US) /
                                      UDP(sport=4500, dport=4500) / Raw(b'\xff'))))]
    s['ike_4500'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US) / UDP(sport=4500, dport=4500) /
                                 Raw(b'\x00' * 4 + b'\x11' * 28))))]
    s['arp_request'] = [(0, raw(Ether(dst='ff:ff:ff:ff:ff:ff', src=GW_MAC) /
                                ARP(op=1, hwsrc=GW_MAC, psrc='192.0.2.254', pdst=US)))]
    s['ipv6'] = [(0, raw(Ether(dst=WAN_MAC, src=GW_MAC, type=0x86dd)) + b'\x60' + b'\x00' * 39)]
    s['local_lan_tcp'] = [(PORT1, lan(lan_pkt(US_LAN, src='10.0.0.5', proto=6)))]

    # ESP: each inbound SA, with what it should carry.
    t1 = lambda src, payload=to_lan, proto=0x0800: transport_inner(src, 2000, proto, payload)
    s['esp1_gcm'] = [(0, esp_frame(1, t1('198.51.100.2'), 1, '198.51.100.2'))]
    s['esp1_gcm_nhrp'] = [(0, esp_frame(1, t1('198.51.100.2', NHRP, 0x2001), 2, '198.51.100.2'))]
    s['esp1_gcm_hairpin'] = [(0, esp_frame(1, t1('198.51.100.2', lan_pkt('172.17.0.3',
                                                                         src='10.21.1.1')),
                                           3, '198.51.100.2'))]
    s['esp1_wrong_source'] = [(0, esp_frame(1, t1('198.51.100.2'), 1, '198.51.100.9'))]
    s['esp1_replay_burst'] = [(0, esp_frame(1, t1('198.51.100.2'), q, '198.51.100.2'))
                              for q in (5, 3, 5, 70, 4, 1)]
    s['esp1_t0_inside'] = [(0, esp_frame(1, transport_inner('198.51.100.2', 1000, 0x0800, to_lan),
                                         1, '198.51.100.2'))]
    s['esp2_gcm_udp_esn'] = [(0, esp_frame(2, t1('198.51.100.2'), 1, '198.51.100.2'))]
    # From another address than the SA's peer (a NAT's other mapping):
    # refused before the window, whatever it carries.
    s['esp2_moved'] = [(0, esp_frame(2, t1('198.51.100.2'), 1, '198.51.100.50'))]
    s['esp2_rollover'] = [(0, esp_frame(2, t1('198.51.100.2'), q, '198.51.100.2', hi))
                          for q, hi in ((0xfffffff8, 0), (3, 1), (0xfffffff9, 0), (4, 1))]
    s['esp2_bare'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US, proto=50) /
                                  Raw(esp_raw(2, t1('198.51.100.2'), 1)))))]
    tin3 = tunnel_inner('192.0.2.3', US, 2000, 0x0800, to_lan_gw)
    s['esp3_cbc_tunnel_esn'] = [(0, esp_frame(3, tin3, 1, '192.0.2.3', src_mac='02:00:00:00:00:03'))]
    s['esp3_batch'] = [(0, esp_frame(3, tin3, q, '192.0.2.3')) for q in (1, 2, 2, 3)] + \
        [(0, esp_frame(1, t1('198.51.100.2'), 1, '198.51.100.2'))]
    s['esp3_rollover_rounds'] = [(0, esp_frame(3, tin3, q, '192.0.2.3', hi))
                                 for q, hi in ((0xfffffff5, 0), (2, 1), (0xfffffff6, 0),
                                               (0xffffffa0, 0), (3, 1))]
    s['esp3_past_2_32'] = [(0, esp_frame(3, tin3, q, '192.0.2.3', hi))
                           for q, hi in ((0x20, 1), (0xfffffff0, 0), (0x11, 1))]
    # Tunnel 1's SA carrying GRE for tunnel 3 (protected, on the LAN address):
    # refused, as an SA opens GRE of its own tunnel only.
    s['esp3_into_t3'] = [(0, esp_frame(3, IP(src='192.0.2.3', dst=US_LAN, proto=47) /
                                       Raw(gre(None, 0x0800, lan_pkt('10.0.0.5',
                                                                     src='172.19.0.9'))),
                                       1, '192.0.2.3'))]
    s['esp4_cbc_noreplay'] = [(0, esp_frame(4, t1('192.0.2.3'), q, '192.0.2.3')) for q in (9, 9)]
    s['esp5_gcm_tunnel_inner'] = [(0, esp_frame(5, tunnel_inner('10.255.0.2', '10.255.0.1', 2000,
                                                                0x0800, to_lan), 1, '198.51.100.3'))]
    s['esp5_wrong_selector'] = [(0, esp_frame(5, tunnel_inner('10.255.0.9', '10.255.0.1', 2000,
                                                              0x0800, to_lan), 1, '198.51.100.3'))]
    s['esp5_nhrp'] = [(0, esp_frame(5, tunnel_inner('10.255.0.2', '10.255.0.1', 2000, 0x2001,
                                                    NHRP), 2, '198.51.100.3'))]
    s['esp6_life'] = [(0, esp_frame(6, t1('198.51.100.2'), q, '198.51.100.2'))
                      for q in (1, 2, 3, 4, 5)]
    s['esp7_null'] = [(0, esp_frame(7, t1('198.51.100.2'), 1, '198.51.100.2'))]
    s['esp7_null_nhrp'] = [(0, esp_frame(7, t1('198.51.100.2', NHRP, 0x2001), 1, '198.51.100.2'))]
    s['esp7_null_icmp_inside'] = [(0, esp_frame(7, IP(src='198.51.100.2', dst=US) / ICMP(),
                                                1, '198.51.100.2'))]
    s['esp8_null_tunnel_esn'] = [(0, esp_frame(8, tunnel_inner('10.255.0.3', '10.255.0.1',
                                                                     2000, 0x0800, to_lan),
                                                     q, '198.51.100.3')) for q in (1001, 3000, 5)]
    s['esp9_null_noreplay'] = [(0, esp_frame(9, t1('203.0.113.9'), 0, '203.0.113.9'))]
    s['esp10_expired'] = [(0, esp_frame(10, t1('198.51.100.2'), 1, '198.51.100.2'))]
    s['esp11_cbc_udp_bytes'] = [(0, esp_frame(11, tunnel_inner('198.51.100.4', US, 2000, 0x0800,
                                                               lan_pkt('10.0.0.5', size=300)),
                                              q, '198.51.100.4')) for q in (1, 2, 3)]
    s['esp12_null_tunnel_bare'] = [(0, esp_frame(12, tunnel_inner('192.0.2.3', US, 2000, 0x0800,
                                                                  to_lan), 1, '192.0.2.3'))]
    s['esp12_inner_source'] = [(0, esp_frame(12, tunnel_inner('192.0.2.77', US, 2000, 0x0800,
                                                              to_lan), 1, '192.0.2.3'))]
    s['esp13_lan_nokey'] = [(PORT1, esp_frame(13, IP(src='10.0.0.5', dst=US_LAN, proto=47) /
                                              Raw(gre(None, 0x0800,
                                                      lan_pkt('10.1.9.9', src='172.19.0.5'))),
                                              1, '10.0.0.5', dst=US_LAN, port_mac=LAN_MAC,
                                              src_mac=LAN_HOST_MAC))]
    s['esp_unknown_spi'] = [(0, wan(raw(IP(src='198.51.100.2', dst=US, proto=50) /
                                        Raw(struct.pack('!LL', 0x2000, 1) + b'\x00' * 40))))]
    s['esp_tight'] = [(F_TIGHT, esp_frame(1, t1('198.51.100.2'), 1, '198.51.100.2')),
                      (F_TIGHT, esp_frame(7, t1('198.51.100.2'), 1, '198.51.100.2'))]
    # Several bursts in one input: a window that moves between them.
    s['bursts'] = [(0, esp_frame(7, t1('198.51.100.2'), 10, '198.51.100.2')),
                   (F_BURST, esp_frame(7, t1('198.51.100.2'), 10, '198.51.100.2')),
                   (F_BURST | PORT1, lan(lan_pkt('10.21.1.1', src='10.0.0.5'))),
                   (0, lan(lan_pkt('10.21.1.2', src='10.0.0.5')))]
    return s


# Where the ESN windows start, for the seeds that need it.
STATE = {'esp2_rollover': ST_BELOW_2_32, 'esp3_rollover_rounds': ST_BELOW_2_32,
         'esp3_past_2_32': ST_PAST_2_32, 'esp8_null_tunnel_esn': ST_1000}


def encode(name, frames):
    out = bytes([STATE.get(name, ST_FRESH)])
    for flags, f in frames:
        out += bytes([flags | F_CKSUM | F_LENGTH]) + struct.pack('!H', len(f)) + f
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, frames in seeds().items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(encode(name, frames))


main()
