# SPDX-License-Identifier: BSD-3-Clause
"""Tunnel mode with inner addresses: the CHILD_SA's selectors in the inner header.

    host0 --lan--> [hub] --ESP, inner 203.0.113.7 -> 10.9.0.11--> peer N0 (NAT 192.0.2.100)
    peer N0 --ESP made by scapy, inner 10.9.0.11 -> 203.0.113.7--> [hub] --lan--> host0

Across a NAT a tunnel-mode peer's policy names its own (private) address, and
ours may name our NAT's (RFC 7296 2.23, RFC 3948): the ESP travels between the
NBMA addresses, the packet inside between the selectors. The static SAs here
set them with inner_local / inner_remote (the IKE engine fills the same
fields from the traffic selectors).

SAs: N0 aes128gcm16 tunnel in UDP, both inner addresses set; N1 aes128-sha256
tunnel, only inner_remote (ours stays the hub's NBMA address).
Out: scapy opens what the hub sends: the inner IPv4 header carries the
selectors with a valid checksum (and tshark, decrypting with the hub's keys,
agrees), GRE key 1000, host0's packet inside.
In: inner packets from the selectors come out on the LAN; inner packets with
the NBMA addresses instead (what the peer's policy would not send) are
dropped as esp_selector_mismatch after the ICV verified.
"""
import struct

import esplib
from esplib import SA, HOST0_IP, HOST0_MAC, HUB_NBMA, log
import harness

esplib.require()

from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402

N0 = SA(0, "aes128gcm16", mode="tunnel", udp=True, inner_local="203.0.113.7",
        inner_remote="10.9.0.11")
N1 = SA(1, "aes128-sha256", mode="tunnel", inner_remote="10.9.1.11")
SAS = [N0, N1]


def sel(sa):
    """(our selector, the peer's): what the inner header carries."""
    return sa.inner_local or HUB_NBMA, sa.inner_remote or sa.nbma


def esp_from(sa, seq, src, dst, inner):
    """What peer sa sends: ESP (scapy) around IPv4(src -> dst, GRE(inner))."""
    s = esplib.scapy_sa(sa, "in")
    s.seq_num = seq
    pkt = IP(src=src, dst=dst, ttl=60, id=seq, proto=47) / Raw(esplib.gre(inner))
    out = bytes(s.encrypt(pkt))
    if sa.udp:      # scapy 2.5 writes the NAT-T UDP length before the ESP is attached
        out = out[:24] + struct.pack("!H", len(out) - 20) + out[26:]
    return esplib.eth_wan(esplib.fix_ipv4_checksum(out), sa.mac)


lan_in, sent_out = [], {}      # icmp seq -> (sa, inner as sent)
for sa in SAS:
    for k in range(2):
        seq = sa.i * 4 + k
        ip = IP(src=HOST0_IP, dst=sa.lan, ttl=64, id=0x100 + seq) / \
            ICMP(type=8, id=0x4343, seq=seq) / Raw(b"inner %d/%d" % (sa.i, k))
        lan_in.append(bytes(Ether(dst=harness.LAN_MAC, src=HOST0_MAC) / ip))
        sent_out[seq] = (sa, bytes(ip))

wan_in, sent_in, opened = [], {}, {sa.i: 0 for sa in SAS}
mismatch = 0
for sa in SAS:
    ours, theirs = sel(sa)
    for k, seq in ((0, 1), (1, 2)):
        icmp_seq = 0x8000 + sa.i * 4 + k
        inner = esplib.inner_icmp(sa.lan, HOST0_IP, icmp_seq, b"from %d" % sa.i)
        wan_in.append(esp_from(sa, seq, theirs, ours, inner))
        sent_in[icmp_seq] = (sa, inner)
        opened[sa.i] += 1
    # The NBMA addresses inside instead of the selectors: not the SA's traffic.
    bad = [(sa.nbma, ours)]
    if sa.inner_local:
        bad.append((theirs, HUB_NBMA))
    for n, (src, dst) in enumerate(bad):
        inner = esplib.inner_icmp(sa.lan, HOST0_IP, 0x9000 + sa.i * 4 + n, b"bad")
        wan_in.append(esp_from(sa, 3 + n, src, dst, inner))
        opened[sa.i] += 1
        mismatch += 1

chk = harness.Checker("esp_inner")
with esplib.EspHub("esp-inner", SAS, wan_in=wan_in, lan_in=lan_in) as hub:
    c = hub.settle()
    table = hub.sa_table()
log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)
chk.drops(c, {"esp_selector_mismatch": mismatch})
chk.counters(c, {
    "interfaces.wan.hw.opackets": len(sent_out), "interfaces.lan.hw.opackets": len(sent_in),
    "gre_encap": len(sent_out), "gre_decap": len(sent_in),
})
for sa in SAS:
    e = table.get(sa.inb.spi) or {}
    ours, theirs = sel(sa)
    chk.eq("SA %r in /v1/ipsec/sa: inner addresses, in packets/errors" % sa,
           (e.get("inner_local"), e.get("inner_remote"), (e.get("in") or {}).get("packets"),
            (e.get("in") or {}).get("errors")),
           (sa.inner_local, sa.inner_remote, opened[sa.i], 0))

# -- WAN: scapy opens the hub's ESP; the inner header names the selectors.
got = {}
for n, fr in enumerate(harness.pcap_read(hub.wan_out)):
    ip = IP(fr[14:])
    sa = next((s for s in SAS if s.nbma == ip.dst), None)
    if not chk.ok(sa is not None and ip.src == HUB_NBMA, "WAN frame %d to a peer (%s -> %s)"
                  % (n + 1, ip.src, ip.dst)):
        continue
    raw = bytes(ip)
    off = 20 + (8 if sa.udp else 0)
    try:
        plain, nh, _, _ = esplib.open_esp(sa, raw[off:])
    except Exception as ex:      # noqa: BLE001 (any failure to open is the finding)
        chk.ok(False, "WAN frame %d: scapy cannot open it: %s" % (n + 1, ex))
        continue
    t = IP(plain)
    ours, theirs = sel(sa)
    g = plain[20:]
    icmp = IP(g[8:])
    got[icmp[ICMP].seq] = sa
    chk.eq("WAN frame %d (%r): next header, inner src/dst/proto, checksum valid, GRE key" % (
        n + 1, sa), (nh, t.src, t.dst, t.proto,
                     esplib.fix_ipv4_checksum(plain[:20]) == plain[:20],
                     struct.unpack("!I", g[4:8])[0]),
        (4, ours, theirs, 47, True, esplib.GRE_KEY))
    want = sent_out.get(icmp[ICMP].seq)
    chk.ok(want is not None and want[0] is sa and IP(want[1])[Raw].load == icmp[Raw].load,
           "WAN frame %d carries host0's packet %d to %r" % (n + 1, icmp[ICMP].seq, sa))
chk.eq("WAN: one ESP packet per LAN packet", sorted(got), sorted(sent_out))

# tshark, with the hub's outbound keys, sees the same inner header (and checks it).
rows = esplib.tshark_esp(hub.wan_out, SAS, ["ip.src", "ip.dst", "ip.checksum.status"])
for n, r in enumerate(rows):
    sa = next((s for s in SAS if r["ip.dst"] and r["ip.dst"][0] == s.nbma), None)
    if sa is None:
        chk.ok(False, "tshark: WAN frame %d to no peer: %r" % (n + 1, r))
        continue
    ours, theirs = sel(sa)
    chk.eq("tshark: WAN frame %d (%r): outer then inner addresses, checksums good" % (
        n + 1, sa), (r["ip.src"][:2], r["ip.dst"][:2], r["ip.checksum.status"][:2]),
        ([HUB_NBMA, ours], [sa.nbma, theirs], ["1", "1"]))

# -- LAN: what came in from the selectors, and only that.
lan = {}
for fr in harness.pcap_read(hub.lan_out):
    p = Ether(fr)
    if ICMP in p:
        lan[p[ICMP].seq] = p
chk.eq("LAN: the inner packets sent from the selectors (none of the mismatched)",
       sorted(lan), sorted(sent_in))
for s, p in sorted(lan.items()):
    if s in sent_in:
        chk.eq("LAN icmp %#x: addresses, data" % s, (p[IP].src, p[IP].dst, p[Raw].load),
               (sent_in[s][0].lan, HOST0_IP, IP(sent_in[s][1])[Raw].load))
chk.finish()
