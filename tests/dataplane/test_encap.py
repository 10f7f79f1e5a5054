# SPDX-License-Identifier: BSD-3-Clause
"""LAN -> tunnel: host0's packets for the spokes' LANs leave the WAN port in GRE.

    host0 198.18.0.10 --lan--> [hub] --wan--> GRE 192.0.2.1 -> 192.0.2.11 (spoke1)
                                         \\--> GRE 192.0.2.1 -> 192.0.2.12 (spoke2)

Routes 198.18.1.0/24 via 198.51.100.11 and 198.18.2.0/24 via 198.51.100.12, static
NHRP maps to the NBMA addresses, static ARP for the NBMA addresses, as in hub.conf.
"""
import harness
from harness import as_int, hexbytes

harness.require()

from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402

HOST0_IP, HOST0_MAC = harness.HOST0


def icmp(dst, seq, ttl=64, payload=None, df=False):
    data = payload if payload is not None else b"encap %d " % seq + bytes(range(32))
    return (Ether(dst=harness.LAN_MAC, src=HOST0_MAC) /
            IP(src=HOST0_IP, dst=dst, ttl=ttl, id=0x100 + seq, flags="DF" if df else 0) /
            ICMP(type=8, id=0x4242, seq=seq) / Raw(data))


def sized(dst, seq, ip_len):
    """An echo request whose IPv4 total length is ip_len (20 IP + 8 ICMP + data)."""
    return icmp(dst, seq, payload=bytes((i * 7) & 0xff for i in range(ip_len - 28)), df=True)


# seq -> (input frame, expected NBMA, peer MAC); the ones that must come out.
good = {
    1: (icmp("198.18.1.10", 1), harness.SPOKE1),
    2: (icmp("198.18.2.10", 2, ttl=17), harness.SPOKE2),
    5: (sized("198.18.1.10", 5, harness.TUNNEL_MTU), harness.SPOKE1),
    7: (icmp("198.18.2.10", 7, payload=b""), harness.SPOKE2),   # sent with Ethernet padding
}
dropped = [
    icmp("198.18.1.10", 3, ttl=1),                      # ttl_exceeded
    icmp("203.0.113.5", 4),                             # no_route: the hub has no default
    sized("198.18.2.10", 6, harness.TUNNEL_MTU + 1),    # mtu_exceeded, DF set
]
# A 42-byte frame padded to the Ethernet minimum with junk that must not be carried.
padded = bytes(good[7][0]) + b"\xee" * 18
lan_in = [good[1][0], good[2][0], dropped[0], dropped[1], good[5][0], dropped[2], padded]

chk = harness.Checker("dp_encap")
with harness.Appliance("encap", lan_in=lan_in) as hub:
    c = hub.settle()
harness.log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

chk.counters(c, {
    # 4 encapsulated + the 2 ICMP errors the control thread routed back
    "forwarded": 6, "gre_encap": 4, "gre_decap": 0, "tunnel_hairpin": 0, "punted": 2,
    "interfaces.lan.hw.ipackets": 7, "interfaces.lan.rx_packets": 7,
    "interfaces.wan.hw.opackets": 4, "interfaces.wan.tx_packets": 4,
    "interfaces.lan.tx_packets": 2, "interfaces.tunnel0.tx_packets": 4,
    "control.icmp_errors_sent": 2,
})
chk.drops(c, {"ttl_exceeded": 1, "no_route": 1, "mtu_exceeded": 1})

# The TTL-1 packet and the DF packet over the tunnel MTU are answered with
# ICMP (RFC 792 Time Exceeded, RFC 1191 Fragmentation Needed with the MTU),
# from the LAN address, quoting the original header.
errs = harness.tshark_fields(hub.lan_out, ["ip.src", "ip.dst", "icmp.type", "icmp.code",
                                           "icmp.mtu", "ip.id", "icmp.checksum.status"])
chk.eq("ICMP errors on the LAN", [(r["ip.src"][0], r["ip.dst"][0], r["icmp.type"][0],
        r["icmp.code"][0], r["icmp.mtu"][:1], r["ip.id"][1:2]) for r in errs],
       [("198.18.0.1", HOST0_IP, "11", "0", [], ["0x0103"]),
        ("198.18.0.1", HOST0_IP, "3", "4", [str(harness.TUNNEL_MTU)], ["0x0106"])])
FIELDS = ["eth.dst", "eth.src", "ip.version", "ip.src", "ip.dst", "ip.proto", "ip.ttl",
          "ip.checksum.status", "ip.len", "gre.key", "gre.proto", "gre.flags.checksum",
          "gre.flags.sequence_number", "gre.flags.routing", "gre.flags.version", "icmp.type",
          "icmp.seq", "icmp.checksum.status", "data.data"]
rows = harness.tshark_fields(hub.wan_out, FIELDS)
chk.eq("frames on the WAN output", len(rows), len(good))
seen = set()
for i, r in enumerate(rows):
    seq = as_int(r["icmp.seq"][0]) if r["icmp.seq"] else None
    if not chk.ok(seq in good and seq not in seen, "WAN frame %d: unexpected ICMP seq %r (%r)"
                  % (i + 1, seq, r)):
        continue
    seen.add(seq)
    frame, (nbma, peer_mac) = good[seq]
    inner = frame[IP]
    w = "WAN frame %d (seq %d)" % (i + 1, seq)
    chk.eq(w + " eth.dst (static ARP of the NBMA)", r["eth.dst"], [peer_mac])
    chk.eq(w + " eth.src", r["eth.src"], [harness.WAN_MAC])
    chk.eq(w + " ip.src outer|inner", r["ip.src"], [harness.HUB_NBMA, inner.src])
    chk.eq(w + " ip.dst outer|inner", r["ip.dst"], [nbma, inner.dst])
    chk.eq(w + " ip.proto outer|inner", r["ip.proto"], ["47", "1"])
    chk.eq(w + " ip.ttl outer|inner (decremented)", r["ip.ttl"], ["64", str(inner.ttl - 1)])
    chk.eq(w + " ip.checksum.status outer|inner (1 = good)", r["ip.checksum.status"],
           ["1", "1"])
    chk.eq(w + " ip.len outer|inner", [as_int(x) for x in r["ip.len"]],
           [len(inner) + 28, len(inner)])
    chk.eq(w + " gre.key", [as_int(x) for x in r["gre.key"]], [harness.GRE_KEY])
    chk.eq(w + " gre.proto", [as_int(x) for x in r["gre.proto"]], [0x0800])
    chk.eq(w + " GRE C/S/R bits and version", [r["gre.flags.checksum"],
           r["gre.flags.sequence_number"], r["gre.flags.routing"], r["gre.flags.version"]],
           [["0"], ["0"], ["0"], ["0"]])
    chk.eq(w + " icmp.type", r["icmp.type"], ["8"])
    chk.eq(w + " icmp.checksum.status", r["icmp.checksum.status"], ["1"])
    load = bytes(inner[Raw].load)
    chk.eq(w + " inner payload", [hexbytes(x) for x in r["data.data"]],
           [load.hex()] if load else [])
chk.eq("ICMP seqs encapsulated", sorted(seen), sorted(good))

# Byte for byte: the inner packet is the input with TTL-1 and the checksum adjusted.
for fr in harness.pcap_read(hub.wan_out):
    out_inner = fr[14 + 20 + 8:]   # also: no Ethernet padding carried along
    seq = int.from_bytes(out_inner[20 + 6:20 + 8], "big")
    if seq not in good:
        continue
    want = bytearray(bytes(good[seq][0][IP]))
    want[8] -= 1
    chk.eq("seq %d inner bytes other than TTL and checksum" % seq,
           (out_inner[:8] + out_inner[9:10] + out_inner[12:]).hex(),
           (bytes(want[:8]) + bytes(want[9:10]) + bytes(want[12:])).hex())
chk.finish()
