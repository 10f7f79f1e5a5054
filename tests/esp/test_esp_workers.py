#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two workers, two queues per port, one outbound SA shared by both: every
ESP packet the hub sends carries its own sequence number (1..N, none twice,
none missing), each decrypts, and both workers did part of the work. Each
worker reserves a block of numbers per burst (one atomic add per SA and
burst), so the two interleave by blocks: what each one sends (its own TX
queue, its own pcap) rises strictly. No number is skipped, as a block covers
only packets that passed every check; a number may be skipped only by a
lifetime or overflow drop, which this test has none of.

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
chk.finish()
