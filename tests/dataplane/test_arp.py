# SPDX-License-Identifier: BSD-3-Clause
"""ARP on the LAN port: the hub answers for 198.18.0.1 and resolves next hops.

    host .30 --who-has 198.18.0.1--> [hub lan 198.18.0.1] --is-at 02:70:63:61:70:01--> host .30
    host .31 --who-has 198.18.0.99-> [hub]                 (not ours: no answer)
    10.0.0.5 --who-has 198.18.0.1--> [hub]                 (not on the subnet: ignored)
    spoke1 --GRE: 198.18.1.10 -> 198.18.0.20--> [hub] --who-has 198.18.0.20 (broadcast)-->

Run 1: no host in the pcap answers, so the packet for 198.18.0.20 stays queued
on an incomplete neighbour entry.
Run 2: the same packet, and on the LAN an ARP reply from 198.18.0.20. The
worker polls the WAN port before the LAN port and punts in order, so the
control thread sees the miss first (request sent, packet queued), then the
reply, which must release the packet to the MAC it names.
"""
import harness

harness.require()

from scapy.all import ARP, ICMP, IP, Ether, Raw  # noqa: E402

ASKER = ("198.18.0.30", "02:00:00:00:00:30")
OTHER = ("198.18.0.31", "02:00:00:00:00:31")
STRANGER = ("10.0.0.5", "02:00:00:00:00:05")   # not on the LAN's subnet
UNRESOLVED = "198.18.0.20"
BCAST = "ff:ff:ff:ff:ff:ff"


def gre_to(dst, seq):
    """From spoke1 through the tunnel: an echo request from spoke1's LAN to dst."""
    inner = IP(src="198.18.1.10", dst=dst, ttl=64) / ICMP(seq=seq) / Raw(bytes(32))
    return (Ether(dst=harness.WAN_MAC, src=harness.SPOKE1[1]) /
            IP(src=harness.SPOKE1[0], dst=harness.HUB_NBMA, proto=47) /
            Raw(b"\x20\x00\x08\x00" + harness.GRE_KEY.to_bytes(4, "big") + bytes(inner)))


def who_has(src, target):
    ip, hw = src
    return Ether(dst=BCAST, src=hw) / ARP(op=1, hwsrc=hw, psrc=ip, hwdst="00:00:00:00:00:00",
                                          pdst=target)


lan_in = [who_has(ASKER, harness.HUB_LAN), who_has(OTHER, "198.18.0.99"),
          who_has(STRANGER, harness.HUB_LAN)]
wan_in = [gre_to(UNRESOLVED, 20)]

chk = harness.Checker("dp_arp")
with harness.Appliance("arp", wan_in=wan_in, lan_in=lan_in) as hub:
    c = hub.settle()
    neigh = {(n["interface"], n["address"]): n for n in hub.get("/v1/neighbors")}
harness.log("counters: " + harness.nonzero(c))
harness.log("neighbors: %r" % sorted(neigh.values(), key=lambda n: n["address"]))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

chk.drops(c, {})
chk.counters(c, {
    "interfaces.lan.hw.ipackets": 3, "interfaces.wan.hw.ipackets": 1,
    "control.punt_arp": 3, "control.arp_requests_received": 3, "control.arp_replies_sent": 1,
    "control.arp_ignored": 1, "control.arp_malformed": 0, "control.punt_neigh_miss": 1,
    "gre_decap": 1, "forwarded": 1, "interfaces.wan.hw.opackets": 0,
})
sent = c["control"]["arp_requests_sent"]
chk.ok(sent >= 1, "control.arp_requests_sent: got %r, want at least 1" % sent)

# The neighbour table as a user sees it.
n = neigh.get(("lan", UNRESOLVED))
if chk.ok(n is not None, "GET /v1/neighbors has no entry for %s on lan" % UNRESOLVED):
    chk.eq("neighbor %s (state, mac, queued)" % UNRESOLVED,
           (n["state"], n["mac"], n["queued"]), ("incomplete", None, 1))
n = neigh.get(("lan", ASKER[0]))
if chk.ok(n is not None, "the asker %s was not learned from its request" % ASKER[0]):
    chk.eq("neighbor %s (state, mac)" % ASKER[0], (n["state"], n["mac"]), ("reachable", ASKER[1]))
for who, why in ((OTHER, "asked for another address"), (STRANGER, "is off the subnet")):
    chk.ok(("lan", who[0]) not in neigh,
           "%s, which %s, was learned: %r" % (who[0], why, neigh.get(("lan", who[0]))))
n = neigh.get(("lan", harness.HOST0[0]))
chk.eq("static neighbor %s" % harness.HOST0[0], n and (n["state"], n["mac"]),
       ("static", harness.HOST0[1]))

# What left the LAN port, decoded by tshark.
FIELDS = ["eth.dst", "eth.src", "eth.type", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4",
          "arp.dst.hw_mac", "arp.dst.proto_ipv4"]
rows = harness.tshark_fields(hub.lan_out, FIELDS)
replies = [r for r in rows if r["arp.opcode"] == ["2"]]
requests = [r for r in rows if r["arp.opcode"] == ["1"]]
chk.eq("LAN frames that are neither ARP replies nor requests",
       [r for r in rows if r not in replies and r not in requests], [])
chk.eq("ARP replies on the LAN", len(replies), 1)
for r in replies:
    chk.eq("ARP reply", r, {
        "eth.dst": [ASKER[1]], "eth.src": [harness.LAN_MAC], "eth.type": ["0x0806"],
        "arp.opcode": ["2"], "arp.src.hw_mac": [harness.LAN_MAC],
        "arp.src.proto_ipv4": [harness.HUB_LAN], "arp.dst.hw_mac": [ASKER[1]],
        "arp.dst.proto_ipv4": [ASKER[0]]})
# One request at once, then a retry a second: how many depends on when we stopped.
chk.ok(1 <= len(requests) <= 3 and len(requests) >= sent,
       "ARP requests for %s on the LAN: %d (counter said %d at settle), want 1..3"
       % (UNRESOLVED, len(requests), sent))
for r in requests:
    chk.eq("ARP request", r, {
        "eth.dst": [BCAST], "eth.src": [harness.LAN_MAC], "eth.type": ["0x0806"],
        "arp.opcode": ["1"], "arp.src.hw_mac": [harness.LAN_MAC],
        "arp.src.proto_ipv4": [harness.HUB_LAN], "arp.dst.hw_mac": ["00:00:00:00:00:00"],
        "arp.dst.proto_ipv4": [UNRESOLVED]})
chk.eq("frames on the WAN output", len(harness.pcap_read(hub.wan_out)), 0)
frames = harness.pcap_read(hub.lan_out)
chk.eq("ARP frame sizes (Ethernet minimum, no FCS)", sorted({len(f) for f in frames}), [60])

# ---- Run 2: 198.18.0.20 answers; the queued packet leaves with its MAC.
HOST20_MAC = "02:00:00:00:00:20"
lan_in = [Ether(dst=harness.LAN_MAC, src=HOST20_MAC) /
          ARP(op=2, hwsrc=HOST20_MAC, psrc=UNRESOLVED, hwdst=harness.LAN_MAC,
              pdst=harness.HUB_LAN)]
with harness.Appliance("arp-resolved", wan_in=[gre_to(UNRESOLVED, 21)], lan_in=lan_in) as hub:
    c = hub.settle()
    neigh = {(n["interface"], n["address"]): n for n in hub.get("/v1/neighbors")}
harness.log("counters: " + harness.nonzero(c))
chk.eq("run 2: dmvpnd exit status after SIGTERM", hub.exit_code, 0)
chk.drops(c, {})
# Not checked: "forwarded", which counts the packet twice (once before the
# miss, once when the control thread re-injects it).
chk.counters(c, {
    "control.punt_neigh_miss": 1, "control.arp_requests_sent": 1,
    "control.arp_replies_received": 1, "control.arp_replies_sent": 0,
    "control.arp_queue_overflow": 0, "control.arp_resolution_failed": 0,
    "gre_decap": 1, "interfaces.lan.hw.opackets": 2, "interfaces.wan.hw.opackets": 0,
})
n = neigh.get(("lan", UNRESOLVED))
chk.eq("run 2: neighbor %s (state, mac, queued)" % UNRESOLVED,
       n and (n["state"], n["mac"], n["queued"]), ("reachable", HOST20_MAC, 0))
rows = harness.tshark_fields(hub.lan_out, FIELDS + ["ip.src", "ip.dst", "ip.ttl",
                                                    "ip.checksum.status", "icmp.seq"])
chk.eq("run 2: LAN frames (ARP request, then the released packet)",
       [(r["arp.opcode"], r["icmp.seq"]) for r in rows], [(["1"], []), ([], ["21"])])
if len(rows) == 2:
    r = rows[1]
    chk.eq("run 2: released packet", {k: r[k] for k in ("eth.dst", "eth.src", "ip.src", "ip.dst",
                                                       "ip.ttl", "ip.checksum.status")},
           {"eth.dst": [HOST20_MAC], "eth.src": [harness.LAN_MAC], "ip.src": ["198.18.1.10"],
            "ip.dst": [UNRESOLVED], "ip.ttl": ["63"], "ip.checksum.status": ["1"]})
chk.finish()
