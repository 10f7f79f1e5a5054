# SPDX-License-Identifier: BSD-3-Clause
"""A tunnel's kernel interface on pcap vdevs, with tunnel protection: what reaches the
TUN, and what the kernel's multicast becomes on the WAN.

dmvpnd runs in namespace mc-pcap (its TUN "mc-kif0" lives there), the lab's hub on pcap
vdevs: tunnel0 198.51.100.1/24, protection = "ipsec", static AES-GCM SAs with three
peers .101, .102, .103 (NBMA 192.0.2.10x); multicast targets: the map of .101
(multicast = true) and .102 (nhrp.multicast = [ "192.0.2.102" ]), not .103.

  in from peer .101, inside ESP:   OSPF hello to 224.0.0.5     -> TUN
                                   TCP SYN to 198.51.100.1:179  -> TUN
                                   UDP to 198.51.100.255:520     -> TUN (tunnel broadcast)
                                   ICMP echo to 198.51.100.1     -> answered by dmvpnd, not TUN
                                   ICMP to host0 on the LAN      -> forwarded, not TUN
  in from .101, cleartext GRE:     OSPF hello                   -> dropped (gre_cleartext)
  from the kernel (the namespace): UDP to 224.0.0.99            -> ESP to .101 and .102 only
                                   ping 198.51.100.103           -> ESP to .103

The TUN's input is captured by tcpdump (-Q in), the WAN output decrypted by tshark.
"""
import os
import shutil
import struct
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

import nhrp_lib as L  # noqa: E402
import esplib as E  # noqa: E402

harness = L.harness
E.require()
if not shutil.which("tcpdump"):
    harness.skip("tcpdump missing")
if not os.path.exists("/dev/net/tun"):
    harness.skip("no /dev/net/tun")

chk = harness.Checker("kif_pcap")
NS, KIF = "mc-pcap", "mc-kif0"
HUB_T = "198.51.100.1"
MCU = os.path.join(REPO, "tests", "lab", "mc_udp.py")
sas = [E.SA(i, "aes128gcm16") for i in (1, 2, 3)]


def ns(*cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", NS] + list(cmd), **kw)


class KifHub(L.StagedNode):
    """The hub with a kernel interface; WAN input in stages (a FIFO)."""

    def _config(self, neighbors):
        def m(s):
            mc = " multicast = true;" if s.i == 1 else ""
            return '{ protocol = "%s"; nbma = "%s";%s }' % (s.tun, s.nbma, mc)
        neigh = ",\n".join('  { port = "%s"; address = "%s"; mac = "%s"; }' % x
                           for x in neighbors)
        return """# kernel interface test
control = { socket = "%(sock)s"; };
eal = { args = [ "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
                 "--file-prefix", "%(prefix)s", "--log-level", "*:warning" ]; };
dataplane = { mbufs = 4095; rx_descriptors = 512; tx_descriptors = 512; burst = 1;
              idle_polls = 256; idle_sleep_us = 200; };
ports = (
  { name = "wan"; device = "net_pcap0,rx_pcap=%(wan_in)s,tx_pcap=%(wan_out)s";
    address = "192.0.2.1/24"; },
  { name = "lan"; device = "net_pcap1,rx_pcap=%(lan_in)s,tx_pcap=%(lan_out)s";
    address = "198.18.0.1/24"; }
);
tunnels = ( {
  name = "tunnel0"; address = "198.51.100.1/24"; source = "wan"; key = 1000; mtu = 1400;
  protection = "ipsec"; kernel_interface = "%(kif)s";
  nhrp = { network_id = 1; holdtime = 600; map = ( %(maps)s );
           multicast = [ "192.0.2.102" ]; };
} );
ipsec = { sas = (
%(sas)s
); };
neighbors = (
%(neigh)s
);
""" % dict(sock=self.sock, prefix=self.prefix, wan_in=self.wan_in, wan_out=self.wan_out,
           lan_in=self.lan_in, lan_out=self.lan_out, kif=KIF,
           maps=", ".join(m(s) for s in sas), sas=",\n".join(s.config() for s in sas),
           neigh=neigh)


def esp_frame(sa, seq, inner):
    ip, _ = E.scapy_esp(sa, seq, E.gre(inner))
    return E.eth_wan(ip, sa.mac)


p1 = sas[0]
ospf_hello = E.ipv4(p1.tun, "224.0.0.5", 89, bytes.fromhex("0201002c") + bytes(40), ttl=1,
                    ident=0x501)
tcp_syn = E.ipv4(p1.tun, HUB_T, 6, struct.pack("!HHIIBBHHH", 40000, 179, 1, 0, 0x50, 0x02,
                                                 8192, 0, 0), ttl=64, ident=0x502)
rip = E.ipv4(p1.tun, "198.51.100.255", 17, E.udp(520, 520, b"\x02\x02\x00\x00"), ttl=1,
             ident=0x503)
echo = E.inner_icmp(p1.tun, HUB_T, 7, b"ping")
transit = E.inner_icmp(p1.tun, E.HOST0_IP, 8, b"to host0")
cleartext = E.eth_wan(E.ipv4(p1.nbma, E.HUB_NBMA, 47, E.gre(ospf_hello)), p1.mac)

subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
subprocess.run(["ip", "netns", "add", NS], check=True)
tmp = tempfile.mkdtemp(prefix="mc-kif-")
wrapper = os.path.join(tmp, "dmvpnd-in-ns")
with open(wrapper, "w") as f:
    f.write('#!/bin/sh\nexec ip netns exec %s "%s" "$@"\n' % (NS, harness.dmvpnd_path()))
os.chmod(wrapper, 0o755)
os.environ["DMVPND"] = wrapper
tun_pcap = os.path.join(tmp, "tun-in.pcap")
dump = None
try:
    ns("ip", "link", "set", "lo", "up", check=True)
    neigh = [("wan", s.nbma, s.mac) for s in sas] + [("lan",) + harness.HOST0]
    with KifHub("kif", {"neighbors": neigh}, []) as hub:
        addr = ns("ip", "-o", "-4", "addr", "show", "dev", KIF, stdout=subprocess.PIPE,
                  text=True).stdout.split()
        chk.eq("the TUN carries the tunnel address", addr[3:4], [HUB_T + "/24"])
        dump = subprocess.Popen(["ip", "netns", "exec", NS, "tcpdump", "-n", "-U", "-Q", "in",
                                 "-i", KIF, "-w", tun_pcap], stderr=subprocess.PIPE, text=True)
        for line in dump.stderr:
            if "listening on" in line:
                break
        hub.feed([esp_frame(p1, 1, ospf_hello), esp_frame(p1, 2, tcp_syn), esp_frame(p1, 3, rip),
                  esp_frame(p1, 4, echo), esp_frame(p1, 5, transit), cleartext])
        hub.wait_for("3 packets to the kernel",
                     lambda c: c["kernel_interfaces"][KIF]["to_kernel"] >= 3)
        ns("/usr/bin/python3", MCU, "send", HUB_T, "224.0.0.99", "5099", "from-kernel", check=True)
        ns("ping", "-c", "1", "-W", "1", "198.51.100.103", stdout=subprocess.DEVNULL)
        hub.wait_for("2 copies and a unicast from the kernel",
                     lambda c: c["kernel_interfaces"][KIF]["replicated"] >= 2 and
                     c["kernel_interfaces"][KIF]["from_kernel_unicast"] >= 1)
        hub.close_input()
        c = hub.settle()
        ifs = hub.get("/v1/interfaces")
        time.sleep(0.5)
finally:
    if dump:
        dump.terminate()
        dump.wait(10)
    subprocess.run(["ip", "netns", "del", NS])

k = c["kernel_interfaces"][KIF]
harness.log("[kif] kernel interface counters: %s" % {n: v for n, v in k.items() if v})
chk.eq("exit status after SIGTERM", hub.exit_code, 0)
chk.eq("show interfaces: the kernel row", [(i["name"], i["kind"], i["source"], i["link"])
                                           for i in ifs if i["kind"] == "kernel"],
       [(KIF, "kernel", "tunnel0", "up")])
chk.eq("to the kernel: 1 unicast (TCP), 2 multicast or broadcast (OSPF, tunnel broadcast)",
       (k["to_kernel_unicast"], k["to_kernel_multicast"]), (1, 2))
chk.eq("one multicast from the kernel, replicated twice", (k["from_kernel_multicast"],
                                                            k["replicated"]), (1, 2))
chk.eq("no kernel-interface drops", {n: v for n, v in k.items() if n.startswith("drop") and v}, {})
chk.eq("the echo was answered by dmvpnd", c["control"]["icmp_echo_replies"], 1)
chk.eq("cleartext GRE from the protected peer dropped", c["drops"]["gre_cleartext_from_protected_peer"], 1)

rows = harness.tshark_fields(tun_pcap, ["ip.src", "ip.dst", "ip.proto", "tcp.dstport",
                                        "udp.dstport"])
got = sorted((r["ip.src"][0], r["ip.dst"][0], r["ip.proto"][0]) for r in rows)
chk.eq("the TUN got the OSPF hello, the TCP SYN and the broadcast, nothing else", got,
       sorted([(p1.tun, "224.0.0.5", "89"), (p1.tun, HUB_T, "6"),
               (p1.tun, "198.51.100.255", "17")]))

wan = E.tshark_esp(hub.wan_out, sas, ["ip.dst", "esp.spi", "gre.key", "udp.dstport",
                                      "icmp.type", "data.data"])
mc = sorted(r["ip.dst"][0] for r in wan if r["udp.dstport"] == ["5099"])
chk.eq("the kernel's multicast: one ESP copy to each target, none to .103", mc,
       ["192.0.2.101", "192.0.2.102"])
for r in wan:
    chk.ok(r["esp.spi"] != [], "a WAN frame not in ESP: %r" % r)
lan = harness.tshark_fields(hub.lan_out, ["ip.dst", "icmp.seq"])
chk.eq("the transit packet went to host0", [r["ip.dst"] for r in lan if r["icmp.seq"]],
       [[E.HOST0_IP]])
pings = [r for r in wan if r["icmp.type"] == ["8"]]
chk.eq("the kernel's ping went to .103 inside ESP", [r["ip.dst"][0] for r in pings],
       ["192.0.2.103"])
shutil.rmtree(tmp, ignore_errors=True)
chk.finish()
