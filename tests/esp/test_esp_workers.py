#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two workers, two queues per port.

Outbound: one SA shared by both workers: every
ESP packet the hub sends carries its own sequence number (1..N, none twice,
none missing), each decrypts, and both workers did part of the work. Each
worker reserves a block of numbers per burst (one atomic add per SA and
burst), so the two interleave by blocks: what each one sends (its own TX
queue, its own pcap) rises strictly. No number is skipped, as a block covers
only packets that passed every check; a number may be skipped only by a
lifetime or overflow drop, which this test has none of.

Inbound: one UDP-encapsulated SA (NAT-T) has one replay window, which must
have one writer. Its peer's packets come in on queue 0; queue 1, polled by the
other worker, gets the very same packets replayed from another address and
from the peer's address with another port (what an attacker on the path can
send, and what RSS would hash to another queue). Only the peer's are taken:
each of the N sequence numbers is decrypted and forwarded exactly once, and
every copy from elsewhere is dropped as esp_peer_mismatch before the window is
read, so no second worker ever checks or moves it.

    lan queue 0 (100 frames) --\\                      /-- wan queue 0
                                worker 0 + worker 1 ---
    lan queue 1 (100 frames) --/   one SA to peer 0    \\-- wan queue 1
"""
import os
import struct

import esplib
from esplib import harness

esplib.require()
from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402

N = 100
sa = esplib.SA(0, "aes128gcm16")


class TwoWorkerHub(esplib.EspHub):
    def _config(self, neighbors):
        c = super()._config(neighbors)
        d = self.dir
        # Worker lcores 1 and 2 share the second CPU (the machine has two).
        c = c.replace('"-l", "0,1"', '"--lcores", "0@0,1@1,2@1"')
        c = c.replace("net_pcap0,rx_pcap=%s,tx_pcap=%s" % (self.wan_in, self.wan_out),
                      "net_pcap0,rx_pcap=%s,rx_pcap=%s/wan-in1.pcap,tx_pcap=%s,tx_pcap=%s/wan-out1.pcap"
                      % (self.wan_in, d, self.wan_out, d))
        c = c.replace("net_pcap1,rx_pcap=%s,tx_pcap=%s" % (self.lan_in, self.lan_out),
                      "net_pcap1,rx_pcap=%s,rx_pcap=%s/lan-in1.pcap,tx_pcap=%s,tx_pcap=%s/lan-out1.pcap"
                      % (self.lan_in, d, self.lan_out, d))
        return c


def frame(q, k):
    ip = IP(src=esplib.HOST0_IP, dst=sa.lan, id=q * 1000 + k) / ICMP(id=q, seq=k) / Raw(b"w%d-%d" % (q, k))
    return bytes(Ether(dst=harness.LAN_MAC, src=esplib.HOST0_MAC) / ip)


chk = harness.Checker("esp_workers")
hub = TwoWorkerHub("workers", [sa], lan_in=[frame(0, k) for k in range(N)])
harness.pcap_write(os.path.join(hub.dir, "lan-in1.pcap"), [frame(1, k) for k in range(N)])
harness.pcap_write(os.path.join(hub.dir, "wan-in1.pcap"), [])
hub.n_in = {"wan": 0, "lan": 2 * N}
with hub:
    c = hub.settle()
chk.eq("dmvpnd exit status", hub.exit_code, 0)
chk.eq("two workers", len(c["workers"]), 2)
chk.ok(all(w["gre_encap"] > 0 for w in c["workers"]),
       "both workers encrypted some (%s)" % [w["gre_encap"] for w in c["workers"]])
per_worker = [harness.pcap_read(hub.wan_out), harness.pcap_read(os.path.join(hub.dir, "wan-out1.pcap"))]
frames = per_worker[0] + per_worker[1]
chk.eq("ESP packets out", len(frames), 2 * N)
for q, out in enumerate(per_worker):
    s = [struct.unpack("!I", bytes(Ether(fr)[IP].payload)[4:8])[0] for fr in out]
    chk.ok(all(a < b for a, b in zip(s, s[1:])),
           "queue %d: sequence numbers rise strictly (%s...)" % (q, s[:8]))
seqs, opened = [], 0
ssa = esplib.scapy_sa(sa, "out")
for fr in frames:
    ip = Ether(fr)[IP]
    spi, seq = struct.unpack("!II", bytes(ip.payload)[:8])
    chk.ok(spi == sa.outb.spi, "SPI %#x" % spi)
    seqs.append(seq)
    try:
        inner = ssa.decrypt(ip)
        opened += 1 if inner.haslayer(ICMP) else 0
    except Exception as e:  # noqa: BLE001
        harness.log("decrypt failed: %r" % e)
chk.eq("sequence numbers: each of 1..%d exactly once" % (2 * N), sorted(seqs), list(range(1, 2 * N + 1)))
chk.eq("all of them decrypt (scapy)", opened, 2 * N)

# ---- inbound: the replay window of a UDP SA has one writer
NI = 1500
usa = esplib.SA(1, "aes128gcm16", udp=True, udp_port=4501)
STRANGER = ("192.0.2.250", "02:00:00:00:02:fa")


def esp_in(k):
    inner = esplib.inner_icmp(usa.lan, esplib.HOST0_IP, k, b"bind %d" % k, ident=0x5151)
    ip, off = esplib.scapy_esp(usa, k, esplib.gre(inner), ident=k & 0xffff)
    return ip, off


peer_frames, replays = [], []
for k in range(1, NI + 1):
    ip, off = esp_in(k)
    peer_frames.append(esplib.eth_wan(ip, usa.mac))
    # From another address (its own MAC: a host on the path)...
    moved = esplib.fix_ipv4_checksum(ip[:12] + bytes(map(int, STRANGER[0].split("."))) + ip[16:])
    replays.append(esplib.eth_wan(moved, STRANGER[1]))
    # ... and from the peer's address with another source port.
    ported = ip[:20] + struct.pack("!H", usa.udp_port + 1) + ip[22:]
    replays.append(esplib.eth_wan(ported, usa.mac))

hub2 = TwoWorkerHub("workers-in", [usa], wan_in=peer_frames)
harness.pcap_write(os.path.join(hub2.dir, "wan-in1.pcap"), replays)
harness.pcap_write(os.path.join(hub2.dir, "lan-in1.pcap"), [])
hub2.n_in = {"wan": len(peer_frames) + len(replays), "lan": 0}
with hub2:
    c2 = hub2.settle()
    table = hub2.sa_table()
chk.eq("inbound: dmvpnd exit status", hub2.exit_code, 0)
chk.drops(c2, {"esp_peer_mismatch": len(replays)})
chk.counters(c2, {"gre_decap": NI, "interfaces.lan.hw.opackets": NI})
e = table.get(usa.inb.spi) or {}
chk.eq("inbound SA: packets, replay_top", (e.get("in", {}).get("packets"),
                                            e.get("in", {}).get("replay_top")), (NI, NI))
got = []
for path in (hub2.lan_out, os.path.join(hub2.dir, "lan-out1.pcap")):
    for fr in harness.pcap_read(path):
        pkt = Ether(fr)
        if pkt.haslayer(ICMP) and pkt[ICMP].id == 0x5151:
            got.append(pkt[ICMP].seq)
chk.eq("LAN: each of 1..%d forwarded exactly once" % NI, sorted(got), list(range(1, NI + 1)))
chk.finish()
