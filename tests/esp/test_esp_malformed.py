# SPDX-License-Identifier: BSD-3-Clause
"""Malformed, lying and unwelcome ESP at a hub whose tunnel is protected.

    tcpdump's esp_truncated.pcap + hand-made ESP --wan--> [hub] --> nothing

Every frame is addressed to the hub and must be dropped under its own reason
(or punted to the control thread and counted there); nothing may come out of
either port, the per-SA error counters must be exact, and the daemon must
still answer afterwards. ESP with a valid ICV but wrong padding is sealed by
hand with python-cryptography (esplib.seal), as scapy always pads correctly.

SAs: M0 aes128gcm16 transport; M1 aes128gcm16 tunnel mode in UDP (peer port
4500); M2 aes128-sha1 transport; M3 aes256gcm16 tunnel mode; M4 null. Peer 7
is mapped and routed but has no SA: host0's packet toward it is dropped.
"""
import os
import socket
import struct

import esplib
from esplib import SA, HOST0_IP, HOST0_MAC, HUB_NBMA, log
import harness

esplib.require()

from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors")
M0 = SA(0, "aes128gcm16")
M1 = SA(1, "aes128gcm16", mode="tunnel", udp=True)
M2 = SA(2, "aes128-sha1")
M3 = SA(3, "aes256gcm16", mode="tunnel")
M4 = SA(4, "null")
SAS = [M0, M1, M2, M3, M4]
STRANGER = ("192.0.2.250", "02:00:00:00:02:fa")   # no SA, no map: just an address
TUNNEL1_KEY = 2000


class TwoTunnelHub(esplib.EspHub):
    """The ESP hub with a second DMVPN on the same address: tunnel1, GRE key
    2000, without protection."""

    def _config(self, neighbors):
        c = super()._config(neighbors)
        t1 = """,
  {
    name = "tunnel1"; address = "198.51.101.1/24"; source = "wan";
    key = %d; mtu = 1400;
    nhrp = { network_id = 2; holdtime = 600; };
  }
);
routes = (""" % TUNNEL1_KEY
        return c.replace("\n);\nroutes = (", t1, 1)

cases = []        # (what, frame, expected drop reason or control.* counter)
errors = {sa.i: 0 for sa in SAS}        # esp_open failures per SA (in.errors)
opened = {sa.i: 0 for sa in SAS}        # ICV verified, then dropped by policy (in.packets)
_seq = {sa.i: 0 for sa in SAS}


def case(what, frame, reason, sa_error=None, sa_opened=None):
    cases.append((what, bytes(frame), reason))
    if sa_error is not None:
        errors[sa_error.i] += 1
    if sa_opened is not None:
        opened[sa_opened.i] += 1


def seq(sa):
    """A fresh sequence number: every case with a valid ICV is new to the window."""
    _seq[sa.i] += 1
    return _seq[sa.i]


def inner(sa, n=1):
    return esplib.inner_icmp(sa.lan, HOST0_IP, n, b"malformed %d" % n)


def payload(sa, gre_inner=None):
    """(ESP payload, next header) of a well-formed packet for sa."""
    g = esplib.gre(gre_inner or inner(sa))
    if sa.tunnel:
        return esplib.ipv4(sa.nbma, HUB_NBMA, 47, g), 4
    return g, 47


def wan(sa, esp, src=None, encap=None, ip_kw=None, udp_len=None, mac=None, sport=None):
    """IPv4 (proto 50, or UDP sa.udp_port -> 4500 with encap) around ESP bytes."""
    encap = sa.udp if encap is None else encap
    body = esplib.udp(sa.udp_port if sport is None else sport, 4500, esp, udp_len) if encap else esp
    ip = esplib.ipv4(src or sa.nbma, HUB_NBMA, 17 if encap else 50, body, **(ip_kw or {}))
    return esplib.eth_wan(ip, mac or sa.mac)


def good_esp(sa):
    p, nh = payload(sa)
    return esplib.seal(sa, seq(sa), p, nh)


def lie(frame, off, value):
    """Overwrite bytes at off of the IPv4 header (frame offset 14 + off), fix its checksum."""
    b = bytearray(frame)
    b[14 + off:14 + off + len(value)] = value
    return bytes(b[:14]) + esplib.fix_ipv4_checksum(bytes(b[14:]))


# -- tcpdump's esp_truncated.pcap: UDP 4500 -> 8472, IPv4 length 70 in a 46-byte
#    frame, DF+MF, checksum 0, 4 bytes of ESP (the SPI). Made step by step
#    into something the hub reads further each time.
[vec] = harness.pcap_read(os.path.join(VECTORS, "esp_truncated.pcap"))
case("esp_truncated.pcap as captured (for another MAC)", vec, "eth_not_for_us")
b = bytearray(vec)
b[0:6] = bytes.fromhex(harness.WAN_MAC.replace(":", ""))
b[30:34] = socket.inet_aton(HUB_NBMA)
case("esp_truncated.pcap addressed to the hub (IPv4 length 70 > 32)", bytes(b),
     "ipv4_truncated")
v = lie(bytes(b), 2, struct.pack("!H", len(vec) - 14))
case("... with a true IPv4 length and checksum (source 0.254.92.182)", v,
     "ipv4_martian_address")
v = lie(v, 12, socket.inet_aton(M1.nbma))
case("... from M1's address (UDP to 8472, a fragment): punted", v,
     "control.udp_local_unhandled")
v = lie(v, 20 + 2, struct.pack("!H", 4500))         # the UDP destination port
case("... to UDP 4500 (still MF): ESP fragment", v, "ipv4_fragment_to_self")
v = lie(v, 6, b"\x00\x00")
case("... not a fragment: 4 bytes of ESP, UDP length 362", v, "esp_bad_length")
v = lie(v, 20 + 4, struct.pack("!H", 12))
case("... and a true UDP length (12): 4 bytes of ESP", v, "esp_bad_length")

# -- truncated ESP
case("ESP of 4 bytes", wan(M0, struct.pack("!I", M0.inb.spi)), "esp_bad_length")
case("ESP header only (known SPI)", wan(M0, struct.pack("!II", M0.inb.spi, seq(M0))),
     "esp_bad_length", sa_error=M0)
case("ESP header + IV + 10 bytes (shorter than IV + ICV)",
     wan(M0, struct.pack("!II", M0.inb.spi, seq(M0)) + bytes(18)), "esp_bad_length",
     sa_error=M0)
case("ESP in UDP: header + 7 bytes", wan(M1, struct.pack("!II", M1.inb.spi, seq(M1)) +
                                         bytes(7)), "esp_bad_length", sa_error=M1)
case("GCM ciphertext not a multiple of 4", wan(M0, good_esp(M0) + b"\x00"),
     "esp_bad_length", sa_error=M0)
case("CBC ciphertext not a multiple of 16", wan(M2, good_esp(M2) + bytes(4)),
     "esp_bad_length", sa_error=M2)

# -- lying lengths
f = wan(M0, good_esp(M0))
case("IPv4 length 8 beyond the frame", lie(f, 2, struct.pack("!H", len(f) - 14 + 8)),
     "ipv4_truncated")
case("IPv4 length cuts the last 4 bytes of the ICV (they follow as a trailer)",
     lie(f, 2, struct.pack("!H", len(f) - 14 - 4)), "esp_icv_failure", sa_error=M0)
case("IPv4 length leaves 6 bytes of ESP", lie(f, 2, struct.pack("!H", 20 + 6)),
     "esp_bad_length")
esp = good_esp(M1)
case("UDP length 8 beyond the datagram (ESP itself intact)",
     wan(M1, esp, udp_len=8 + len(esp) + 8), "esp_bad_length")
esp = good_esp(M1)
# Shorter than the datagram: what follows is padding (RFC 768), cut off, and
# the ESP that is left has lost 4 bytes of its ICV.
case("UDP length 4 short of the datagram (cuts the ICV)",
     wan(M1, esp, udp_len=8 + len(esp) - 4), "esp_icv_failure", sa_error=M1)
esp = good_esp(M1)
case("UDP length 7, below its own header", wan(M1, esp, udp_len=7), "esp_bad_length")

# -- padding wrong, ICV valid
p, nh = payload(M0)
pad = (-(len(p) + 2)) % 4 or 4
case("GCM: pad bytes not 1, 2, 3... (ICV valid)",
     wan(M0, esplib.seal(M0, seq(M0), p, nh, pad=bytes(pad))), "esp_bad_padding", sa_error=M0)
case("GCM: pad length 200, beyond the payload (ICV valid)",
     wan(M0, esplib.seal(M0, seq(M0), p, nh, padlen=200)), "esp_bad_padding", sa_error=M0)
p, nh = payload(M2)
pad = (-(len(p) + 2)) % 16 or 16
case("CBC: pad bytes not 1, 2, 3... (HMAC valid)",
     wan(M2, esplib.seal(M2, seq(M2), p, nh, pad=b"\xaa" * pad)), "esp_bad_padding",
     sa_error=M2)
p, nh = payload(M4)
case("NULL: pad length 250", wan(M4, esplib.seal(M4, seq(M4), p, nh, padlen=250)),
     "esp_bad_padding", sa_error=M4)

# -- SA lookup and policy
unknown = SA(9, "aes128gcm16")
case("unknown SPI", wan(M0, esplib.seal(unknown, 1, *payload(unknown))), "esp_no_sa")
case("unknown SPI in UDP", wan(M1, esplib.seal(unknown, 2, *payload(unknown)), encap=True),
     "esp_no_sa")
# An SA takes packets only from its peer (and in UDP the peer's port): a copy
# from elsewhere could reach another worker, a second writer of the window.
case("M0's ESP from another address", wan(M0, good_esp(M0), src=STRANGER[0], mac=STRANGER[1]),
     "esp_peer_mismatch")
case("M1's ESP (a UDP SA) in UDP from another address",
     wan(M1, good_esp(M1), src=STRANGER[0], mac=STRANGER[1]), "esp_peer_mismatch")
case("M1's ESP (a UDP SA) in UDP from its address, another port",
     wan(M1, good_esp(M1), sport=M1.udp_port + 1), "esp_peer_mismatch")
case("M1's ESP (a UDP SA) in UDP from its address, port 0",
     wan(M1, good_esp(M1), sport=0), "esp_peer_mismatch")
case("M1's ESP (a UDP SA) as bare ESP from another address",
     wan(M1, good_esp(M1), src=STRANGER[0], mac=STRANGER[1], encap=False),
     "esp_policy_mismatch")
case("M0's ESP (no UDP for it) in UDP 4500 from another address",
     wan(M0, good_esp(M0), src=STRANGER[0], mac=STRANGER[1], encap=True),
     "esp_policy_mismatch")
case("M0's ESP (no UDP for it) in UDP 4500 from its own address",
     wan(M0, good_esp(M0), encap=True), "esp_policy_mismatch")
case("M1's ESP (a UDP SA) as bare ESP from its own address",
     wan(M1, good_esp(M1), encap=False), "esp_policy_mismatch")
p, _ = payload(M3)
case("transport SA M0 carrying next header 4 (tunnel mode)",
     wan(M0, esplib.seal(M0, seq(M0), p, 4)), "esp_policy_mismatch", sa_opened=M0)
p, _ = payload(M0)
case("tunnel SA M3 carrying next header 47 (transport mode)",
     wan(M3, esplib.seal(M3, seq(M3), p, 47)), "esp_policy_mismatch", sa_opened=M3)
icmp_in = esplib.ipv4(M3.nbma, HUB_NBMA, 1, bytes(16))
case("tunnel SA M3: inner IPv4 is not GRE", wan(M3, esplib.seal(M3, seq(M3), icmp_in, 4)),
     "esp_policy_mismatch", sa_opened=M3)
other = esplib.ipv4(M0.nbma, HUB_NBMA, 47, esplib.gre(inner(M3)))
case("tunnel SA M3: inner GRE from another peer's address",
     wan(M3, esplib.seal(M3, seq(M3), other, 4)), "esp_policy_mismatch", sa_opened=M3)
bad = bytearray(esplib.ipv4(M3.nbma, HUB_NBMA, 47, esplib.gre(inner(M3))))
bad[10] ^= 0xff
case("tunnel SA M3: inner IPv4 header checksum wrong",
     wan(M3, esplib.seal(M3, seq(M3), bytes(bad), 4)), "esp_policy_mismatch", sa_opened=M3)
# An SA opens GRE of its own tunnel only: tunnel1 (GRE key 2000, sourced on
# the same address, unprotected) is another DMVPN, which M0's keys for
# tunnel0 are no way into: neither for data nor for NHRP.
case("tunnel0's SA M0 carrying GRE of tunnel1 (its key)",
     wan(M0, esplib.seal(M0, seq(M0), esplib.gre(inner(M0), key=TUNNEL1_KEY), 47)),
     "esp_policy_mismatch", sa_opened=M0)
case("tunnel0's SA M0 carrying NHRP of tunnel1",
     wan(M0, esplib.seal(M0, seq(M0), esplib.gre(bytes(40), key=TUNNEL1_KEY, proto=0x2001), 47)),
     "esp_policy_mismatch", sa_opened=M0)
case("sequence number 0", wan(M0, esplib.seal(M0, 0, *payload(M0))), "esp_replay")
case("ESP fragment (MF)", wan(M0, good_esp(M0), ip_kw={"flags": "MF"}),
     "ipv4_fragment_to_self")
case("ESP fragment (offset 8)", wan(M0, good_esp(M0), ip_kw={"frag": 1}),
     "ipv4_fragment_to_self")

# -- UDP 4500 that is not ESP
case("NAT keepalive (UDP 4500, one byte 0xff)",
     esplib.eth_wan(esplib.ipv4(M1.nbma, HUB_NBMA, 17, esplib.udp(4500, 4500, b"\xff")),
                    M1.mac), "nat_keepalive")
ike = struct.pack("!I", 0) + bytes(8) + bytes(8) + bytes([33, 0x20, 34, 0x08]) + \
    struct.pack("!II", 0, 28 + 8)
case("IKE_SA_INIT on 4500 after the non-ESP marker: punted",
     esplib.eth_wan(esplib.ipv4(M1.nbma, HUB_NBMA, 17, esplib.udp(4500, 4500, ike)), M1.mac),
     "control.udp_local_unhandled")
case("UDP 4500 with 2 bytes: punted",
     esplib.eth_wan(esplib.ipv4(M1.nbma, HUB_NBMA, 17, esplib.udp(4500, 4500, b"\x01\x02")),
                    M1.mac), "control.udp_local_unhandled")

# -- cleartext GRE from a peer that has an SA, on the protected tunnel
case("cleartext GRE (IPv4) from M0",
     esplib.eth_wan(esplib.ipv4(M0.nbma, HUB_NBMA, 47, esplib.gre(inner(M0))), M0.mac),
     "gre_cleartext_from_protected_peer")
case("cleartext GRE (NHRP) from M2",
     esplib.eth_wan(esplib.ipv4(M2.nbma, HUB_NBMA, 47,
                                esplib.gre(bytes(24), proto=0x2001)), M2.mac),
     "gre_cleartext_from_protected_peer")

# -- the other way: host0 to a mapped peer that has no SA. Never in clear.
BARE = SA(7, "null")
lan_cases = [("host0 to the LAN of a mapped peer without an SA (never in clear)",
              bytes(Ether(dst=harness.LAN_MAC, src=HOST0_MAC) /
                    IP(src=HOST0_IP, dst=BARE.lan, ttl=64) / ICMP(seq=1) / Raw(bytes(8))),
              "esp_no_sa")]
cases += [("lan: " + w, fr, r) for w, fr, r in lan_cases]

wan_in = [fr for w, fr, _ in cases if not w.startswith("lan: ")]
lan_in = [fr for w, fr, _ in cases if w.startswith("lan: ")]
want_drops, want_ctl = {}, {}
for _, _, reason in cases:
    d = want_ctl if reason.startswith("control.") else want_drops
    d[reason] = d.get(reason, 0) + 1
for what, fr, reason in cases:
    log("  %4d B  %-72s -> %s" % (len(fr), what, reason))

chk = harness.Checker("esp_malformed")
with TwoTunnelHub("esp-malformed", SAS, wan_in=wan_in, lan_in=lan_in, bare=[BARE],
                   extra_neighbors=[("wan",) + STRANGER]) as hub:
    c = hub.settle()
    chk.ok(hub.alive(), "dmvpnd is not running after the malformed packets")
    table = hub.sa_table()
    again = hub.get("/v1/counters")
    chk.eq("counters still answered and unchanged (drops)", again["drops"], c["drops"])
log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

chk.drops(c, want_drops)
chk.counters(c, dict({
    "interfaces.wan.hw.ipackets": len(wan_in), "interfaces.lan.hw.ipackets": len(lan_in),
    "interfaces.wan.hw.opackets": 0, "interfaces.lan.hw.opackets": 0,
    # routed toward the tunnel, then refused for want of an SA
    "forwarded": len(lan_in), "gre_encap": 0, "gre_decap": 0, "injected": 0,
    "interfaces.tunnel0.rx_packets": 0, "interfaces.tunnel1.rx_packets": 0,
    "punted": sum(want_ctl.values()),
}, **want_ctl))
for sa in SAS:
    e = table.get(sa.inb.spi)
    if chk.ok(e is not None, "SA %r missing from GET /v1/ipsec/sa" % sa):
        # Packets whose ICV verified count as received and move the window
        # even when the inner packet is then refused by policy.
        chk.eq("SA %r in errors/packets" % sa, (e["in"]["errors"], e["in"]["packets"]),
               (errors[sa.i], opened[sa.i]))
chk.eq("frames on the WAN output", len(harness.pcap_read(hub.wan_out)), 0)
chk.eq("frames on the LAN output", len(harness.pcap_read(hub.lan_out)), 0)
if chk.failures:
    log("cases (size, what, expected, first bytes):")
    for what, fr, reason in cases:
        log("  %4d B  %-72s -> %s  %s" % (len(fr), what, reason, fr[14:62].hex()))
chk.finish()
