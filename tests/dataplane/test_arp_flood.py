# SPDX-License-Identifier: BSD-3-Clause
"""Traffic to silent addresses must not take the mbuf pool from everything else.

    spoke1 --GRE: 3 packets to each of 2000 silent 198.18.x.y--> [hub lan 198.18.0.1/16]
           --GRE: every 10th packet to host0 198.18.0.10 (static)-->      |--> host0
    host .30 --who-has 198.18.0.1--> (learned: reachable)                 '--> who-has x.y ...

Nobody answers ARP for the 2000 addresses, so each becomes an incomplete entry
holding the packets that wait for it. Those queues may hold at most
dataplane.mbufs / 8 packets together, and incomplete entries at most
dataplane.max_neighbors / 4; what does not fit is dropped and counted. The
ports' RX never runs out of mbufs (rx_nombuf), every packet to host0 is
forwarded, and the neighbours known before the sweep stay.
"""
import harness

harness.require()

from scapy.all import ARP, ICMP, IP, Ether, Raw  # noqa: E402

ASKER = ("198.18.0.30", "02:00:00:00:00:30")
HOST0_IP, HOST0_MAC = harness.HOST0
N_SILENT, ROUNDS, HOST0_EVERY = 2000, 3, 10
QUEUED_LIMIT = harness.MBUFS // 8           # README: an eighth of dataplane.mbufs
INCOMPLETE_LIMIT = harness.MAX_NEIGHBORS // 4


def silent(i):
    """The i-th silent address: 198.18.10.0 upward, never one the test knows."""
    a = ((198 << 24) | (18 << 16) | (10 << 8)) + i
    return ".".join(str(a >> s & 255) for s in (24, 16, 8, 0))


# One template through scapy, then only the inner addresses and sequence change:
# 6600 frames through scapy alone would take longer than the test.
def gre_to(dst, seq):
    inner = IP(src="198.18.1.10", dst=dst, ttl=64, id=seq & 0xFFFF) / ICMP(seq=seq & 0xFFFF) / \
        Raw(bytes(32))
    return (Ether(dst=harness.WAN_MAC, src=harness.SPOKE1[1]) /
            IP(src=harness.SPOKE1[0], dst=harness.HUB_NBMA, proto=47) /
            Raw(b"\x20\x00\x08\x00" + harness.GRE_KEY.to_bytes(4, "big") + bytes(inner)))


wan_in, host0_seqs, seq = [], [], 0
for r in range(ROUNDS):
    for i in range(N_SILENT):
        seq += 1
        if seq % HOST0_EVERY == 0:
            wan_in.append(gre_to(HOST0_IP, seq))
            host0_seqs.append(seq)
            seq += 1
        wan_in.append(gre_to(silent(i), seq))
lan_in = [Ether(dst="ff:ff:ff:ff:ff:ff", src=ASKER[1]) /
          ARP(op=1, hwsrc=ASKER[1], psrc=ASKER[0], pdst=harness.HUB_LAN)]
harness.log("%d frames in: %d to host0, %d to %d silent addresses" %
            (len(wan_in), len(host0_seqs), len(wan_in) - len(host0_seqs), N_SILENT))

chk = harness.Checker("dp_arp_flood")
with harness.Appliance("arp-flood", wan_in=wan_in, lan_in=lan_in,
                       lan_address=harness.HUB_LAN + "/16") as hub:
    c = hub.settle(timeout=40, nombuf_consumes=True)
    neigh = hub.get("/v1/neighbors")
harness.log("counters: " + harness.nonzero(c))
harness.log("arp: %r" % c.get("arp"))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

for port in ("wan", "lan"):
    chk.eq("interfaces.%s.hw.rx_nombuf" % port, c["interfaces"][port]["hw"]["rx_nombuf"], 0)
chk.eq("control.alloc_failed (ARP requests without an mbuf)", c["control"]["alloc_failed"], 0)

# What the queues hold, as the neighbour table and the gauges tell it.
queued = sum(n["queued"] for n in neigh)
incomplete = [n for n in neigh if n["state"] == "incomplete"]
chk.ok(queued <= QUEUED_LIMIT, "packets queued for ARP: %d, more than an eighth of the %d "
       "mbufs (%d)" % (queued, harness.MBUFS, QUEUED_LIMIT))
chk.ok(len(incomplete) <= INCOMPLETE_LIMIT, "incomplete neighbours: %d, more than %d" %
       (len(incomplete), INCOMPLETE_LIMIT))
arp = c.get("arp", {})
chk.eq("arp limits in /v1/counters", (arp.get("queued_limit"), arp.get("incomplete_limit")),
       (QUEUED_LIMIT, INCOMPLETE_LIMIT))
chk.ok(arp.get("queued", 1 << 30) <= QUEUED_LIMIT, "arp.queued %r over %d" %
       (arp.get("queued"), QUEUED_LIMIT))
# What did not fit was dropped and counted, by the worker (punt ring) or the
# control thread (queue share, incomplete entries, per-neighbour queue, expiry).
ctl = c["control"]
fates = {"drops.arp_unresolved": c["drops"].get("arp_unresolved", 0), "queued": queued}
for k in ("arp_queue_limit", "arp_incomplete_limit", "arp_queue_overflow", "arp_queue_expired"):
    fates["control." + k] = ctl.get(k, 0)
harness.log("fates of the packets to silent addresses: %r" % fates)
chk.eq("packets to silent addresses dropped, counted or queued", sum(fates.values()),
       len(wan_in) - len(host0_seqs))
# The neighbours known before the sweep are still there.
by_addr = {(n["interface"], n["address"]): n for n in neigh}
n = by_addr.get(("lan", HOST0_IP))
chk.eq("static neighbor %s" % HOST0_IP, n and (n["state"], n["mac"]), ("static", HOST0_MAC))
n = by_addr.get(("lan", ASKER[0]))
chk.eq("learned neighbor %s" % ASKER[0], n and (n["state"], n["mac"]), ("reachable", ASKER[1]))

# Every packet to host0 left the LAN port, each once, to its MAC.
rows = harness.tshark_fields(hub.lan_out, ["eth.dst", "icmp.seq"], "ip.dst == %s" % HOST0_IP)
got = sorted(int(r["icmp.seq"][0]) for r in rows if r["icmp.seq"])
chk.eq("packets to host0 forwarded (of %d)" % len(host0_seqs), len(got), len(host0_seqs))
chk.eq("packets to host0 missing", sorted(set(host0_seqs) - set(got))[:10], [])
chk.eq("MACs of the packets to host0", sorted({r["eth.dst"][0] for r in rows}),
       [HOST0_MAC] if rows else [])
# The silent addresses were asked for (the requests had mbufs too).
rows = harness.tshark_fields(hub.lan_out, ["arp.dst.proto_ipv4"], "arp.opcode == 1")
chk.ok(len(rows) > 0, "no ARP request on the LAN")
chk.finish()
