# SPDX-License-Identifier: BSD-3-Clause
"""Malformed and lying packets at the hub: each is dropped under its own reason.

    tcpdump's gre-heapoverflow captures + hand-made packets --wan/lan--> [hub] --> nothing

Every frame is addressed to the hub (Ethernet dst = the port's MAC, IPv4 dst
= the port's address) so that it gets past the first checks and reaches the
parser it is meant to break. Nothing may come out of either port, every frame
must be counted under the expected reason, and the daemon must still answer
its control socket afterwards.
"""
import os
import socket
import struct

import harness

harness.require()

from scapy.all import ARP, ICMP, IP, Ether, Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors")
SPOKE1_NBMA, SPOKE1_MAC = harness.SPOKE1
HOST0_IP, HOST0_MAC = harness.HOST0


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def ipv4_fix_checksum(frame, off=14):
    """Recompute the IPv4 header checksum of the header at off."""
    b = bytearray(frame)
    hl = (b[off] & 0xf) * 4
    b[off + 10:off + 12] = b"\0\0"
    b[off + 10:off + 12] = struct.pack("!H", checksum(bytes(b[off:off + hl])))
    return bytes(b)


def to_hub(frame):
    """Address a captured frame to the hub's WAN port; keep every other byte."""
    b = bytearray(frame)
    b[0:6] = mac(harness.WAN_MAC)
    if len(b) >= 34 and b[12:14] == b"\x08\x00":
        b[30:34] = socket.inet_aton(harness.HUB_NBMA)
    return bytes(b)


def eth(dst=harness.WAN_MAC, src=SPOKE1_MAC, etype=0x0800):
    return mac(dst) + mac(src) + struct.pack("!H", etype)


def gre_hdr(flags=0x2000, proto=0x0800, key=harness.GRE_KEY):
    return struct.pack("!HH", flags, proto) + (struct.pack("!I", key) if flags & 0x2000 else b"")


def inner_ok():
    return bytes(IP(src="198.18.1.10", dst=HOST0_IP, ttl=64) / ICMP(seq=1) / Raw(bytes(16)))


def outer(payload, **kw):
    """A correct outer IPv4+GRE header from spoke1 to the hub around payload."""
    ip = IP(src=SPOKE1_NBMA, dst=harness.HUB_NBMA, ttl=60, proto=47, **kw)
    return bytes(ip / Raw(payload))


def lie(frame, off, value, fix_checksum=True):
    """Overwrite bytes at off (of the frame) and recompute the IPv4 checksum."""
    b = bytearray(frame)
    b[off:off + len(value)] = value
    return ipv4_fix_checksum(bytes(b)) if fix_checksum else bytes(b)


GOOD = eth() + outer(gre_hdr() + inner_ok())   # the packet the lies are made from

cases = []   # (port, description, frame, expected drop reason or control counter)


def case(what, frame, reason, port="wan"):
    cases.append((port, what, bytes(frame), reason))


# -- tcpdump's captures, as they are (for another MAC) and addressed to the hub.
for name in ("gre-heapoverflow-1.pcap", "gre-heapoverflow-2.pcap"):
    for i, fr in enumerate(harness.pcap_read(os.path.join(VECTORS, name))):
        ip = len(fr) >= 34 and fr[12:14] == b"\x08\x00"
        want = {("gre-heapoverflow-1.pcap", 0): "unsupported_ethertype",
                ("gre-heapoverflow-1.pcap", 1): "ipv4_bad_version",          # version 0
                ("gre-heapoverflow-2.pcap", 0): "unsupported_ethertype",
                ("gre-heapoverflow-2.pcap", 1): "ipv4_truncated"}[(name, i)]  # length 12336
        case("%s #%d as captured (dst 30:30:30:30:30:30)" % (name, i + 1), fr,
             "eth_not_for_us")
        case("%s #%d addressed to the hub" % (name, i + 1), to_hub(fr), want)
        if ip and (fr[14] >> 4) == 4:
            # The same with its IPv4 total length and checksum made true: the
            # GRE header (C and R bits) is what is left to refuse.
            fixed = lie(to_hub(fr), 16, struct.pack("!H", len(fr) - 14))
            case("%s #%d with a true IPv4 length" % (name, i + 1), fixed,
                 "gre_unsupported_flags")

# -- hand-made: Ethernet and outer IPv4.
case("Ethernet frame of 10 bytes", mac(harness.WAN_MAC) + b"\x02\x00\x00\x00", "eth_truncated")
case("Ethernet frame of 10 bytes on the LAN", mac(harness.LAN_MAC) + b"\x02\x00\x00\x00",
     "eth_truncated", port="lan")
case("Ethernet header alone, type IPv4", eth(), "ipv4_truncated")
case("IPv4 total length bigger than the frame", lie(GOOD, 16, struct.pack("!H", len(GOOD))),
     "ipv4_truncated")
case("IHL 15 with a 28-byte IPv4 packet", lie(eth() + outer(gre_hdr()), 14, b"\x4f",
                                               fix_checksum=False), "ipv4_truncated")
case("IHL 4", lie(GOOD, 14, b"\x44"), "ipv4_bad_header_length")
case("IPv4 total length 16, below the header", lie(GOOD, 16, struct.pack("!H", 16)),
     "ipv4_bad_total_length")
case("IPv4 bad header checksum", lie(GOOD, 24, b"\xde\xad", fix_checksum=False),
     "ipv4_bad_checksum")
case("IP version 6 in an IPv4 frame", lie(GOOD, 14, b"\x65"), "ipv4_bad_version")
case("IPv4 source 127.0.0.1", lie(GOOD, 26, socket.inet_aton("127.0.0.1")),
     "ipv4_martian_address")
case("GRE fragment to the hub (MF set)", eth() + outer(gre_hdr() + inner_ok(), flags="MF"),
     "ipv4_fragment_to_self")

# -- hand-made: GRE and what it carries.
case("GRE header cut inside the key", eth() + outer(gre_hdr()[:6]), "gre_truncated")
case("GRE header cut inside the checksum", eth() + outer(b"\x80\x00\x08\x00\x12"),
     "gre_truncated")
case("GRE header of 3 bytes", eth() + outer(b"\x20\x00\x08"), "gre_truncated")
case("inner IPv4 truncated (length 84, 28 bytes)",
     eth() + outer(gre_hdr() + bytes(IP(src="198.18.1.10", dst=HOST0_IP, len=84) /
                                     ICMP() / Raw(bytes(48)))[:28]), "gre_inner_malformed")
case("inner IPv4 bad header checksum",
     eth() + outer(gre_hdr() + inner_ok()[:10] + b"\xbe\xef" + inner_ok()[12:]),
     "gre_inner_malformed")
case("empty NHRP packet in GRE", eth() + outer(gre_hdr(proto=0x2001)), "gre_inner_malformed")
case("GRE in GRE to the hub",
     eth() + outer(gre_hdr() + outer(gre_hdr() + inner_ok())), "gre_nested_tunnel")

# -- hand-made: what the workers punt to the control thread.
case("ARP cut after 10 bytes", bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=HOST0_MAC) /
     ARP(op=1, hwsrc=HOST0_MAC, psrc=HOST0_IP, pdst=harness.HUB_LAN))[:24],
     "control.arp_malformed", port="lan")
case("ICMP echo to the hub with a bad ICMP checksum",
     Ether(dst=harness.LAN_MAC, src=HOST0_MAC) / IP(src=HOST0_IP, dst=harness.HUB_LAN) /
     ICMP(type=8, chksum=0x1234) / Raw(bytes(8)), "control.icmp_ignored", port="lan")
case("ICMP echo to the hub cut to 4 bytes of ICMP",
     bytes(Ether(dst=harness.LAN_MAC, src=HOST0_MAC) /
           IP(src=HOST0_IP, dst=harness.HUB_LAN, proto=1, len=24) / Raw(b"\x08\x00\xf7\xff")),
     "control.icmp_ignored", port="lan")

wan_in = [fr for port, _, fr, _ in cases if port == "wan"]
lan_in = [fr for port, _, fr, _ in cases if port == "lan"]
want_drops, want_ctl = {}, {}
for _, _, _, reason in cases:
    if reason.startswith("control."):
        want_ctl[reason] = want_ctl.get(reason, 0) + 1
    else:
        want_drops[reason] = want_drops.get(reason, 0) + 1
for port, what, fr, reason in cases:
    harness.log("  %-3s %4d B  %-50s -> %s" % (port, len(fr), what, reason))

chk = harness.Checker("dp_malformed")
with harness.Appliance("malformed", wan_in=wan_in, lan_in=lan_in) as hub:
    c = hub.settle()
    chk.ok(hub.alive(), "dmvpnd is not running after the malformed packets")
    ifs = hub.get("/v1/interfaces")
    chk.eq("GET /v1/interfaces afterwards: names", [i["name"] for i in ifs],
           ["wan", "lan", "tunnel0"])
    again = hub.get("/v1/counters")
    chk.eq("counters still answered and unchanged (drops)", again["drops"], c["drops"])
harness.log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

chk.drops(c, want_drops)
chk.counters(c, dict({
    "interfaces.wan.hw.ipackets": len(wan_in), "interfaces.lan.hw.ipackets": len(lan_in),
    "interfaces.wan.hw.opackets": 0, "interfaces.lan.hw.opackets": 0,
    "forwarded": 0, "gre_encap": 0, "injected": 0,
    # Only the outer GRE of the GRE-in-GRE packet is decapsulated.
    "gre_decap": 1, "interfaces.tunnel0.rx_packets": 1,
    "punted": sum(want_ctl.values()), "control.icmp_echo_replies": 0,
    "control.arp_replies_sent": 0, "control.arp_requests_sent": 0,
}, **want_ctl))
chk.eq("frames on the WAN output", len(harness.pcap_read(hub.wan_out)), 0)
chk.eq("frames on the LAN output", len(harness.pcap_read(hub.lan_out)), 0)
if chk.failures:
    harness.log("cases (port, size, what, expected):")
    for port, what, fr, reason in cases:
        harness.log("  %-3s %4d B  %-50s -> %s  %s" % (port, len(fr), what, reason,
                                                      fr[:48].hex()))
chk.finish()
