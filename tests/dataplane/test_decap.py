# SPDX-License-Identifier: BSD-3-Clause
"""Tunnel -> LAN, tunnel -> tunnel, and the hub's own addresses.

    spoke1 192.0.2.11 --GRE key 1000--> [hub 192.0.2.1] --lan--> host0 198.18.0.10
                                             |--GRE--> spoke2 192.0.2.12 (hairpin)
                                             '--GRE--> spoke1 (echo reply from 198.51.100.1)
    host0 --ICMP echo 198.18.0.1--> [hub] --echo reply--> host0

Every GRE header variant the hub must refuse is sent once and must be counted
under its own drop reason.
"""
import struct

import harness
from harness import as_int, hexbytes

harness.require()

from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402

SPOKE1_NBMA, SPOKE1_MAC = harness.SPOKE1
SPOKE2_NBMA, SPOKE2_MAC = harness.SPOKE2
HOST0_IP, HOST0_MAC = harness.HOST0
C, R, K, S = 0x8000, 0x4000, 0x2000, 0x1000


def gre(proto=0x0800, key=harness.GRE_KEY, flags=None, version=0, csum=None, payload=b""):
    """GRE header + payload, by hand so that wrong ones can be made too.
    csum: None = no checksum field, True = the right one, an int = that value."""
    f = (K if key is not None else 0) | (C if csum is not None else 0)
    if flags is not None:
        f |= flags
    hdr = struct.pack("!HH", f | version, proto)
    if csum is not None:
        hdr += b"\0\0\0\0"
    if key is not None:
        hdr += struct.pack("!I", key)
    if csum is True:
        s = checksum(hdr + payload)
        hdr = hdr[:4] + struct.pack("!H", s) + hdr[6:]
    elif csum is not None:
        hdr = hdr[:4] + struct.pack("!H", csum) + hdr[6:]
    return hdr + payload


def inner_icmp(src, dst, seq, ttl=64, itype=8):
    return bytes(IP(src=src, dst=dst, ttl=ttl, id=0x200 + seq) /
                 ICMP(type=itype, id=0x5151, seq=seq) / Raw(b"decap %d " % seq + bytes(24)))


def from_spoke1(gre_bytes, mac=SPOKE1_MAC, nbma=SPOKE1_NBMA):
    return (Ether(dst=harness.WAN_MAC, src=mac) /
            IP(src=nbma, dst=harness.HUB_NBMA, ttl=60, proto=47) / Raw(gre_bytes))


ETH_99 = Ether(dst="02:00:00:00:00:99", src=SPOKE1_MAC)


def to_host0(seq):
    return inner_icmp("198.18.1.10", HOST0_IP, seq)


wan_in = [
    from_spoke1(gre(payload=to_host0(1))),                          # decap to host0
    from_spoke1(gre(key=999, payload=to_host0(2))),                 # gre_key_mismatch
    from_spoke1(gre(key=None, payload=to_host0(3))),                # gre_key_missing
    from_spoke1(gre(version=1, payload=to_host0(4))),               # gre_bad_version
    from_spoke1(gre(flags=R, payload=to_host0(5))),                 # gre_unsupported_flags
    from_spoke1(gre(csum=0x1234, payload=to_host0(6))),             # gre_bad_checksum
    from_spoke1(gre(csum=True, payload=to_host0(7))),               # checksum right: decap
    from_spoke1(gre(proto=0x6558, payload=bytes(ETH_99) + to_host0(8))),   # unsupported
    from_spoke1(gre(proto=0x86DD, payload=bytes(40))),              # IPv6: unsupported
    from_spoke1(gre(payload=inner_icmp("198.18.1.10", "198.18.2.10", 10))),   # hairpin
    from_spoke1(gre(payload=inner_icmp("198.51.100.11", harness.HUB_TUNNEL, 11))),  # echo
    # Junk after the datagram (as Ethernet padding would be) must not reach host0.
    bytes(from_spoke1(gre(payload=bytes(IP(src="198.18.1.10", dst=HOST0_IP, ttl=64) /
                                        ICMP(type=8, id=0x5151, seq=13))))) + b"\xee" * 10,
]
lan_in = [
    Ether(dst=harness.LAN_MAC, src=HOST0_MAC) /
    IP(src=HOST0_IP, dst=harness.HUB_LAN, ttl=64, id=0x300) /
    ICMP(type=8, id=0x6161, seq=12) / Raw(b"ping the hub " + bytes(20)),
]

chk = harness.Checker("dp_decap")
with harness.Appliance("decap", wan_in=wan_in, lan_in=lan_in) as hub:
    c = hub.settle()
harness.log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

chk.counters(c, {
    # decap: seq 1, 7, 13 (to the LAN), 10 (hairpin), 11 (echo to the hub)
    "gre_decap": 5,
    # encap: the hairpin and the echo reply to spoke1
    "gre_encap": 2,
    "tunnel_hairpin": 1,
    # routed out: seq 1, 7, 13, 10 and the two echo replies
    "forwarded": 6,
    "punted": 2, "injected": 2,
    "control.icmp_echo_replies": 2, "control.icmp_ignored": 0, "control.punt_local": 2,
    "interfaces.wan.hw.ipackets": len(wan_in), "interfaces.lan.hw.ipackets": len(lan_in),
    "interfaces.tunnel0.rx_packets": 5, "interfaces.tunnel0.tx_packets": 2,
    "interfaces.wan.hw.opackets": 2, "interfaces.lan.hw.opackets": 4,
})
chk.drops(c, {"gre_key_mismatch": 1, "gre_key_missing": 1, "gre_bad_version": 1,
              "gre_unsupported_flags": 1, "gre_bad_checksum": 1,
              "gre_unsupported_protocol": 2})

FIELDS = ["eth.dst", "eth.src", "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.checksum.status",
          "gre.key", "gre.proto", "icmp.type", "icmp.ident", "icmp.seq", "icmp.checksum.status",
          "data.data"]


def by_seq(rows, where):
    out = {}
    for i, r in enumerate(rows):
        seq = as_int(r["icmp.seq"][0]) if r["icmp.seq"] else None
        chk.ok(seq is not None and seq not in out,
               "%s frame %d: no ICMP seq or a duplicate: %r" % (where, i + 1, r))
        out[seq] = r
    return out


# LAN: seq 1 and 7 decapsulated, the hub's echo reply (seq 12).
lan = by_seq(harness.tshark_fields(hub.lan_out, FIELDS), "LAN")
chk.eq("ICMP seqs on the LAN output", sorted(lan), [1, 7, 12, 13])
for seq in (1, 7, 13):
    r, w = lan.get(seq), "LAN seq %d" % seq
    if not r:
        continue
    chk.eq(w + " eth.dst (host0, static ARP)", r["eth.dst"], [HOST0_MAC])
    chk.eq(w + " eth.src", r["eth.src"], [harness.LAN_MAC])
    chk.eq(w + " ip.src/dst: one header, no GRE", (r["ip.src"], r["ip.dst"], r["gre.key"]),
           (["198.18.1.10"], [HOST0_IP], []))
    chk.eq(w + " ip.ttl (64 - 1)", r["ip.ttl"], ["63"])
    chk.eq(w + " ip.checksum.status (1 = good)", r["ip.checksum.status"], ["1"])
    chk.eq(w + " icmp type, checksum", (r["icmp.type"], r["icmp.checksum.status"]),
           (["8"], ["1"]))
    chk.eq(w + " payload", [hexbytes(x) for x in r["data.data"]],
           [(b"decap %d " % seq + bytes(24)).hex()] if seq != 13 else [])
# seq 13: the padding stayed behind (the pcap PMD does not pad what it sends).
for fr in harness.pcap_read(hub.lan_out):
    if fr[14 + 9] == 1 and int.from_bytes(fr[14 + 20 + 6:14 + 20 + 8], "big") == 13:
        chk.eq("LAN seq 13 frame length (14 + 20 + 8, no padding)", len(fr), 42)
r = lan.get(12)
if r:
    w = "LAN echo reply from 198.18.0.1"
    chk.eq(w + " eth dst/src", (r["eth.dst"], r["eth.src"]), ([HOST0_MAC], [harness.LAN_MAC]))
    chk.eq(w + " ip src/dst", (r["ip.src"], r["ip.dst"]), ([harness.HUB_LAN], [HOST0_IP]))
    chk.eq(w + " ip.checksum.status", r["ip.checksum.status"], ["1"])
    chk.eq(w + " icmp type/id, checksum", (r["icmp.type"], [as_int(x) for x in r["icmp.ident"]],
           r["icmp.checksum.status"]), (["0"], [0x6161], ["1"]))
    chk.eq(w + " payload echoed", [hexbytes(x) for x in r["data.data"]],
           [(b"ping the hub " + bytes(20)).hex()])

# WAN: the hairpin to spoke2 (seq 10) and the echo reply to spoke1 (seq 11).
wan = by_seq(harness.tshark_fields(hub.wan_out, FIELDS), "WAN")
chk.eq("ICMP seqs on the WAN output", sorted(wan), [10, 11])
want = {
    10: ("hairpin spoke1 -> spoke2", SPOKE2_MAC, SPOKE2_NBMA, ["198.18.1.10", "198.18.2.10"],
         "63", "8"),
    11: ("echo reply to spoke1 through GRE", SPOKE1_MAC, SPOKE1_NBMA,
         [harness.HUB_TUNNEL, "198.51.100.11"], "64", "0"),
}
for seq, (w, mac, nbma, inner, ttl, itype) in want.items():
    r = wan.get(seq)
    if not r:
        continue
    chk.eq(w + " eth dst/src", (r["eth.dst"], r["eth.src"]), ([mac], [harness.WAN_MAC]))
    chk.eq(w + " ip.src outer|inner", r["ip.src"], [harness.HUB_NBMA, inner[0]])
    chk.eq(w + " ip.dst outer|inner", r["ip.dst"], [nbma, inner[1]])
    chk.eq(w + " ip.proto outer|inner", r["ip.proto"], ["47", "1"])
    chk.eq(w + " ip.ttl outer|inner", r["ip.ttl"], ["64", ttl])
    chk.eq(w + " ip.checksum.status outer|inner", r["ip.checksum.status"], ["1", "1"])
    chk.eq(w + " gre key/proto", ([as_int(x) for x in r["gre.key"]],
           [as_int(x) for x in r["gre.proto"]]), ([harness.GRE_KEY], [0x0800]))
    chk.eq(w + " icmp type, checksum", (r["icmp.type"], r["icmp.checksum.status"]),
           ([itype], ["1"]))
    chk.eq(w + " payload", [hexbytes(x) for x in r["data.data"]],
           [(b"decap %d " % seq + bytes(24)).hex()])
chk.finish()
