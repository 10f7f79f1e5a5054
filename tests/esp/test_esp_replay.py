# SPDX-License-Identifier: BSD-3-Clause
"""Anti-replay through the daemon (RFC 4303 3.4.3, ESN per Appendix A), counted exactly.

    peer i --ESP, sequence numbers in a chosen order--> [hub] --lan--> host0

Each peer's SA plays one script of sequence numbers; every packet carries its
own ICMP sequence (the script position) so the LAN output shows exactly which
ones the hub let through, and in which order. The expected verdict of every
packet is written out below from the RFC, not computed by a model of the
window. Packets are made by scapy (ESN with CBC+HMAC: ICV over ESP || seq_hi
by hand, as scapy leaves seq_hi out of the ESP HMAC).

  A aes128gcm16 w64: out of order inside the window accepted once, duplicates
    (also two copies back to back in one rx burst), seq 0, left of the window,
    after a jump forward the old ones; a flipped ciphertext byte then the same
    sequence number intact.
  B aes256gcm16 in UDP, w1024: the packet 100 behind the top that A drops is
    accepted; the window's left edge at 1023/1024 behind.
  C aes128gcm16 tunnel mode, ESN, w64: 0xfffffffe, 0xffffffff, 2^32 (low half
    0), ...; across the boundary backwards; left of the window after the
    rollover (RFC 4303 A2.2: taken as the next subspace, so the ICV fails); a
    packet sealed with a high half the receiver does not infer (ICV fails); the
    window did not move.
  D aes128-sha256, ESN, w64: rollover with CBC+HMAC; an ICV that leaves seq_hi
    out (a peer without ESN) fails.
  E aes128-sha1, w64: a bad ICV does not move the window (the same number sent
    intact afterwards is accepted; one far ahead does not push the window);
    a replayed number with a bad ICV is counted as a replay (checked first).
  F aes128gcm16 with lifetime { packets = 3; }: the 4th packet each way is
    dropped as esp_sa_expired (outbound: one run of four packets).
  G the same with { packets = 2; }, outbound as runs of one packet (its
    packets from host0 alternate with packets to A), which ESP output has a
    build of its own for: the 3rd is dropped; A's two leave.
"""
import esplib
from esplib import SA, HOST0_IP, HOST0_MAC, log
from harness import as_int
import harness

esplib.require()

from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402

A = SA(0, "aes128gcm16", window=64)
B = SA(1, "aes256gcm16", udp=True, window=1024)
C = SA(2, "aes128gcm16", mode="tunnel", esn=True, window=64)
D = SA(3, "aes128-sha256", esn=True, window=64)
E = SA(4, "aes128-sha1", window=64)
F = SA(5, "aes128gcm16", lifetime={"packets": 3})
G = SA(6, "aes128gcm16", lifetime={"packets": 2})
SAS = [A, B, C, D, E, F, G]
H = 1 << 32

ACC, REPLAY, ICV, EXPIRED = "accepted", "esp_replay", "esp_icv_failure", "esp_sa_expired"
# (sequence number, verdict[, how it is damaged])
SCRIPTS = {
    A: [(1, ACC), (2, ACC), (3, ACC), (5, ACC), (4, ACC),       # out of order in the window
        (4, REPLAY), (3, REPLAY),                                # duplicates
        (10, ACC), (10, REPLAY, "copy"),                         # two copies in one burst
        (0, REPLAY),                                             # 0 is never valid
        (1000, ACC), (999, ACC), (937, ACC),                     # jump; 63 behind: inside
        (936, REPLAY), (900, REPLAY), (5, REPLAY),               # 64, 100 behind, old
        (1000, REPLAY), (1001, ACC),
        (1002, ICV, "ciphertext"), (1002, ACC)],                 # forged, then the real one
    B: [(1, ACC), (1000, ACC), (900, ACC),                       # 100 behind: inside 1024
        (900, REPLAY), (2000, ACC), (977, ACC),                  # 1023 behind: inside
        (976, REPLAY), (1500, ACC), (1500, REPLAY),              # 1024 behind: outside
        (1000, REPLAY), (1024, ACC)],
    C: [(H - 2, ACC), (H - 1, ACC), (H, ACC), (H + 1, ACC),      # rollover, low half 0
        (H - 3, ACC),                                            # behind, across 2^32
        (H - 1, REPLAY), (H, REPLAY),
        (H - 62, ACC),                                           # 63 behind the top
        (H - 63, ICV),                                           # 64 behind: next subspace
        (2 * H + 5, ICV),                                        # sealed with seq_hi 2
        (H + 2, ACC)],                                           # the window did not move
    D: [(H - 1, ACC), (H, ACC), (H + 1, ACC), (H - 1, REPLAY),
        (H + 2, ICV, "no seq_hi in the ICV"), (H + 2, ACC)],
    E: [(1, ACC), (2, ACC), (3, ACC),
        (50, ICV, "ciphertext"), (50, ACC),                      # same number, intact
        (5000, ICV, "ciphertext"), (10, ACC),                    # window did not jump
        (2, REPLAY, "ciphertext"),                               # replay check first
        (5000, ICV, "icv"), (51, ACC)],
    F: [(1, ACC), (2, ACC), (3, ACC), (4, EXPIRED)],
    G: [(1, ACC), (2, ACC), (3, EXPIRED)],
}


def esp_frame(sa, seq, tag, damage=None):
    data = b"replay %s seq %#x " % (repr(sa).encode(), seq)
    inner = esplib.inner_icmp(sa.lan, HOST0_IP, tag, data, ident=0x6000 + sa.i)
    ip, off = esplib.scapy_esp(sa, seq, esplib.gre(inner), ident=tag,
                               esn_icv=damage != "no seq_hi in the ICV")
    if damage == "ciphertext":
        ip = esplib.corrupt(ip, off + 8 + sa.iv_len + 1)
    elif damage == "icv":
        ip = esplib.corrupt(ip, len(ip) - 1)
    return esplib.eth_wan(ip, sa.mac)


wan_in, expect, dup_pair = [], [], None
for sa in SAS:
    for ev in SCRIPTS[sa]:
        seq, verdict, how = ev[0], ev[1], ev[2] if len(ev) > 2 else None
        if how == "copy":
            # the very same frame again, right behind the first
            assert expect[-1][:2] == (sa, seq)
            wan_in.append(wan_in[-1])
            dup_pair = len(wan_in) - 2
            expect.append((sa, seq, verdict, expect[-1][3]))
        else:
            tag = len(wan_in) + 1
            wan_in.append(esp_frame(sa, seq, tag, how))
            expect.append((sa, seq, verdict, tag))
# Both copies in one receive burst (burst = 32 in the harness's config).
assert dup_pair is not None and dup_pair // 32 == (dup_pair + 1) // 32, dup_pair



def lan_frame(sa, k):
    return bytes(Ether(dst=harness.LAN_MAC, src=HOST0_MAC) /
                 IP(src=HOST0_IP, dst=sa.lan, ttl=64, id=0x900 + k) /
                 ICMP(type=8, id=0x7777, seq=k) / Raw(b"lifetime %d" % k))


# Outbound lifetimes: four packets from host0 to F in a row, three leave;
# G's three alternate with two to A (runs of one packet), two leave.
LAN_SAS = [F, F, F, F, G, A, G, A, G]
lan_in = [lan_frame(sa, k) for k, sa in enumerate(LAN_SAS)]
# What leaves, in order: (SA, its ESP sequence number).
WAN_OUT = [(F, 1), (F, 2), (F, 3), (G, 1), (A, 1), (G, 2), (A, 2)]

for sa, seq, verdict, tag in expect:
    log("  %-34r seq %#12x -> %s" % (sa, seq, verdict))

chk = harness.Checker("esp_replay")
with esplib.EspHub("esp-replay", SAS, wan_in=wan_in, lan_in=lan_in) as hub:
    c = hub.settle()
    table = hub.sa_table()
log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)


def count(verdict, sa=None):
    return sum(1 for e in expect if e[2] == verdict and (sa is None or e[0] is sa))


accepted = [e for e in expect if e[2] == ACC]
chk.drops(c, {REPLAY: count(REPLAY), ICV: count(ICV),
              EXPIRED: count(EXPIRED) + len(LAN_SAS) - len(WAN_OUT)})
chk.counters(c, {
    "interfaces.wan.hw.ipackets": len(wan_in), "interfaces.lan.hw.ipackets": len(lan_in),
    "gre_decap": len(accepted), "interfaces.lan.hw.opackets": len(accepted),
    "gre_encap": len(WAN_OUT), "interfaces.wan.hw.opackets": len(WAN_OUT), "punted": 0,
})
tops = {A: 1002, B: 2000, C: H + 2, D: H + 2, E: 51, F: 3, G: 2}
for sa in SAS:
    e = table.get(sa.inb.spi)
    if not chk.ok(e is not None, "SA %r missing from GET /v1/ipsec/sa" % sa):
        continue
    chk.eq("SA %r in packets/errors/replay_top" % sa,
           (e["in"]["packets"], e["in"]["errors"], e["in"]["replay_top"]),
           (count(ACC, sa), count(ICV, sa), tops[sa]))
    n_out = sum(1 for s, _ in WAN_OUT if s is sa)
    chk.eq("SA %r out packets/seq" % sa, (e["out"]["packets"], e["out"]["seq"]), (n_out, n_out))
    chk.eq("SA %r replay_window, esn" % sa, (e["replay_window"], e["esn"]), (sa.window, sa.esn))

# The LAN output: exactly the accepted packets, in the order they were sent.
rows = harness.tshark_fields(hub.lan_out, ["icmp.ident", "icmp.seq", "ip.src", "ip.ttl",
                                           "data.data"])
got = [(as_int(r["icmp.ident"][0]) - 0x6000, as_int(r["icmp.seq"][0])) for r in rows
       if r["icmp.seq"] and r["icmp.ident"]]
want = [(sa.i, tag) for sa, _, _, tag in accepted]
chk.eq("LAN: (peer, packet) of the accepted packets in order", got, want)
for r in rows:
    chk.eq("LAN packet ttl", r["ip.ttl"], ["63"])
names = {tag: "%r seq %#x" % (sa, seq) for sa, seq, _, tag in expect}
for peer, tag in sorted(set(got) ^ set(want)):
    log("  LAN difference: packet %d (%s)" % (tag, names.get(tag)))

# What left, in order: each SA's numbers from 1.
rows = harness.tshark_fields(hub.wan_out, ["ip.dst", "esp.spi", "esp.sequence"])
chk.eq("WAN: ESP (dst, spi, seq) of F, G and A",
       [(r["ip.dst"], [as_int(x) for x in r["esp.spi"]], r["esp.sequence"]) for r in rows],
       [([sa.nbma], [sa.outb.spi], [str(k)]) for sa, k in WAN_OUT])
chk.finish()
