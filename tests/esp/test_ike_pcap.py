#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dmvpnd's IKEv2 on its WAN port: IKE_SA_INIT requests in, responses out;
and a spoke that waits for its NHS's IKE SA before it registers.

    wan-in.pcap  --> [ wan: net_pcap0 ] dmvpnd (ike section, PSK) --> wan-out.pcap
      1. IKE_SA_INIT from 192.0.2.11:500 (AES-GCM-128/PRF-SHA256/ECP-256, NAT_D)
      2. the same exchange from 192.0.2.12 on 4500 behind the non-ESP marker
      3. an IKE header whose length is a lie (malformed: counted, not answered)
      4. a valid request with a wrong UDP checksum (counted, not answered)
      5. a request offering only DES (NO_PROPOSAL_CHOSEN, as RFC 7296 asks)
      6. a request from 192.0.2.14 in three IP fragments, the last first (reassembled)

tshark decodes what the hub sends (UDP checksums checked): one IKE_SA_INIT
response per good request, with the proposal the hub chose, a KE of group 19,
a nonce and both NAT_DETECTION notifies; the NAT_D hashes are recomputed here
(SHA-1 of SPIs, address and port, RFC 7296 2.23) and must say "no NAT".
"""
import hashlib
import os
import struct

import esplib  # noqa: E402
from esplib import harness, log  # noqa: E402

HUB = esplib.HUB_NBMA
SPOKE1 = harness.SPOKE1      # (address, MAC)
SPOKE2 = harness.SPOKE2
SPOKE3 = ("192.0.2.13", "02:00:00:00:00:13")
SPOKE4 = ("192.0.2.14", "02:00:00:00:00:14")

N_NAT_SRC, N_NAT_DST, N_NO_PROPOSAL = 16388, 16389, 14


def ip_bytes(a):
    return bytes(int(x) for x in a.split("."))


def nat_hash(spi_i, spi_r, addr, port):
    return hashlib.sha1(spi_i + spi_r + ip_bytes(addr) + struct.pack("!H", port)).digest()


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def sa_init(spi_i, src, sport, dst, dport, encr=(20, 128)):
    """IKE_SA_INIT request: SA (one IKE proposal), KE (ECP-256), Ni, NAT_D source and destination."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import serialization

    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)[1:]
    attrs = struct.pack("!HH", 0x800e, encr[1]) if encr[1] else b""
    trs = (transform(False, 1, encr[0], attrs) + transform(False, 2, 5) +
           transform(True, 4, 19))
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(trs), 1, 1, 0, 3) + trs
    nonce = os.urandom(32)
    zero = bytes(8)
    body = (payload(34, prop) +
            payload(40, struct.pack("!HH", 19, 0) + pub) +
            payload(41, nonce) +
            payload(41, struct.pack("!BBH", 0, 0, N_NAT_SRC) + nat_hash(spi_i, zero, src, sport)) +
            payload(0, struct.pack("!BBH", 0, 0, N_NAT_DST) + nat_hash(spi_i, zero, dst, dport)))
    hdr = spi_i + zero + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body))
    return hdr + body


def udp_cksum(src, dst, seg):
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, 17, len(seg))
    data = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s & 0xffff) or 0xffff


def frame(src, mac, sport, dport, msg, marker=False, bad_cksum=False):
    data = (b"\0\0\0\0" if marker else b"") + msg
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ck = udp_cksum(src, HUB, seg) ^ (0x5a5a if bad_cksum else 0)
    seg = seg[:6] + struct.pack("!H", ck) + seg[8:]
    ip = esplib.ipv4(src, HUB, 17, seg, ttl=64, ident=0x1234)
    eth = bytes.fromhex(harness.WAN_MAC.replace(":", "")) + bytes.fromhex(mac.replace(":", ""))
    return eth + b"\x08\x00" + ip


def sent_ike(frames):
    """The IKE messages (header onward) in frames: UDP 500, or 4500 after the marker."""
    out = []
    for f in frames:
        if f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        hl = (f[14] & 15) * 4
        u = f[14 + hl:]
        dport = struct.unpack("!H", u[2:4])[0]
        if dport == 500:
            out.append(u[8:])
        elif dport == 4500 and u[8:12] == b"\0\0\0\0":
            out.append(u[12:])
    return out


def notifies(msg):
    """Notify type -> data of an unencrypted IKE message (our own walk of the chain)."""
    out, nxt, off = {}, msg[16:17][0] if len(msg) > 16 else 0, 28
    while nxt and off + 4 <= len(msg):
        length = struct.unpack("!H", msg[off + 2:off + 4])[0]
        body = msg[off + 4:off + length]
        if nxt == 41 and len(body) >= 4:
            spi_len = body[1]
            out[struct.unpack("!H", body[2:4])[0]] = body[4 + spi_len:]
        nxt, off = msg[off], off + max(length, 4)
    return out


def fragments(src, mac, sport, dport, msg, size=96):
    """The UDP datagram of msg in IP fragments of size bytes, last one first."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(msg), 0) + msg
    ck = udp_cksum(src, HUB, seg)
    seg = seg[:6] + struct.pack("!H", ck) + seg[8:]
    eth = bytes.fromhex(harness.WAN_MAC.replace(":", "")) + bytes.fromhex(mac.replace(":", ""))
    out = []
    for off in range(0, len(seg), size):
        last = off + size >= len(seg)
        ip = esplib.ipv4(src, HUB, 17, seg[off:off + size], ttl=64, ident=0x4242,
                         flags=0 if last else "MF", frag=off // 8)
        out.append(eth + b"\x08\x00" + ip)
    return out[::-1]


class IkeHub(harness.Appliance):
    """The harness's hub with tunnel0 protected and keyed by IKEv2 (PSK),
    no static mappings (so that it initiates nothing itself)."""

    def _config(self, neighbors):
        base = super()._config(neighbors)
        head = base[:base.index("tunnels = (")]
        neigh = base[base.index("neighbors = ("):]
        return head + """tunnels = (
  { name = "tunnel0"; address = "198.51.100.1/24"; source = "wan"; key = 1000;
    protection = "ipsec"; nhrp = { network_id = 1; holdtime = 600; }; }
);
ike = {
  connections = { dmvpn = { }; };
  secrets = { psk = { secret = "pcap-test-secret"; }; };
};
""" + neigh


class IkeSpoke(harness.Appliance):
    """spoke1 of the lab on pcap vdevs: NHS 198.51.100.1 at 192.0.2.1, tunnel0
    protected and keyed by IKEv2. Nobody answers its IKE_SA_INIT."""

    def _config(self, neighbors):
        base = super()._config(neighbors)
        head = base[:base.index("ports = (")].replace("# dataplane test", "# spoke test")
        return head + """ports = (
  { name = "wan"; device = "net_pcap0,rx_pcap=%(wi)s,tx_pcap=%(wo)s"; address = "192.0.2.11/24"; },
  { name = "lan"; device = "net_pcap1,rx_pcap=%(li)s,tx_pcap=%(lo)s"; address = "198.18.1.1/24"; }
);
tunnels = (
  { name = "tunnel0"; address = "198.51.100.11/24"; source = "wan"; key = 1000;
    protection = "ipsec";
    nhrp = { network_id = 1; holdtime = 600; shortcut = true;
             nhs = ( { protocol = "198.51.100.1"; nbma = "192.0.2.1"; } ); }; }
);
routes = ( { prefix = "198.18.2.0/24"; via = "198.51.100.12"; } );
ike = {
  connections = { dmvpn = { }; };
  secrets = { psk = { secret = "pcap-test-secret"; }; };
};
neighbors = (
  { port = "wan"; address = "192.0.2.1"; mac = "02:00:00:00:00:01"; },
  { port = "lan"; address = "198.18.1.10"; mac = "02:00:00:00:01:10"; }
);
""" % dict(wi=self.wan_in, wo=self.wan_out, li=self.lan_in, lo=self.lan_out)


def reload_checks(ck, hub):
    """Reload: a bad ike section is refused with its line and changes nothing;
    new proposals are taken (for SAs set up from now on); without the
    section the engine goes, and its SAs with it."""
    text = open(hub.conf).read()

    def reload(new):
        with open(hub.conf, "w") as f:
            f.write(new)
        return hub.request("POST", "/v1/reload")

    bad = text.replace("dmvpn = { };", 'dmvpn = {\n    proposals = [ "aes128-md5-modp2048" ]; };')
    r = reload(bad)
    ck.ok(r.get("status") == 422 and "proposals[0]" in r.get("error", "") and
          "unknown algorithm 'md5'" in r.get("error", ""), "a bad proposal is refused: %r" % r)
    ck.eq("the refused reload kept the SAs", len(hub.get("/v1/ike/sa")), 3)
    r = reload(text.replace("dmvpn = { };",
                            'dmvpn = { proposals = [ "aes256gcm16-prfsha384-ecp384" ]; };'))
    ck.eq("new proposals are taken", r.get("status"), 200)
    ck.eq("the half-open SAs stay across a reload of the same connection",
          len(hub.get("/v1/ike/sa")), 3)
    r = reload(text[:text.index("ike = {")] + text[text.index("neighbors = ("):])
    ck.eq("the ike section removed", r.get("status"), 200)
    ck.eq("no engine, no IKE SAs", hub.get("/v1/ike/sa"), [])
    with open(hub.conf, "w") as f:
        f.write(text)


def spoke(ck):
    """A spoke brings IKE up to its NHS before it registers: until then
    nothing of NHRP or of the LAN's traffic leaves in clear, and the NHS
    shows state "ike". Traffic for another spoke starts a resolution, which
    waits (held, counted) for the NHS's SA; its own packet is dropped as
    esp_no_sa, never sent as bare GRE."""
    from scapy.all import Ether, IP, ICMP, Raw
    ping = bytes(Ether(src="02:00:00:00:01:10", dst=harness.LAN_MAC) /
                 IP(src="198.18.1.10", dst="198.18.2.10", ttl=64) / ICMP(id=7, seq=1) /
                 Raw(b"x" * 32))
    with IkeSpoke("ike_pcap_spoke", lan_in=[ping]) as sp:
        c = sp.settle()
        nhs = sp.get("/v1/nhrp/nhs")
        dm = sp.get("/v1/dmvpn")
        sas = sp.get("/v1/ike/sa")
    ike = c["ike"]
    log("spoke ike counters: %r, drops %r" % ({k: v for k, v in ike.items() if v},
                                              {k: v for k, v in c["drops"].items() if v}))
    ck.eq("NHS state while its IKE SA is coming", [h["state"] for h in nhs], ["ike"])
    ck.eq("NHS registrations sent", [h["registrations_sent"] for h in nhs], [0])
    ck.eq("show dmvpn: the NHS in state IKE",
          [(p["nbma"], p["state"]) for p in dm[0]["peers"] if p["tunnel"] == "198.51.100.1"],
          [(HUB, "IKE")])
    ck.eq("show dmvpn: spoke2 being resolved via the NHS",
          [(p["nbma"], p["state"]) for p in dm[0]["peers"] if p["tunnel"] == "198.51.100.12"],
          [(HUB, "NHRP")])
    ck.eq("one IKE SA, ours, connecting to the NHS",
          [(s["remote"], s["state"], s["initiator"]) for s in sas], [(HUB, "CONNECTING", True)])
    ck.ok(ike["nhrp_held"] >= 1, "the resolution request waits for the NHS's SA: %r" % ike)
    ck.eq("the ping toward the unprotected NHS is dropped as esp_no_sa", c["drops"]["esp_no_sa"], 1)
    rows = harness.tshark_fields(sp.wan_out, ["ip.src", "ip.dst", "ip.proto", "udp.dstport",
                                              "isakmp.exchangetype", "isakmp.flag_i",
                                              "isakmp.prop.number", "isakmp.tf.id.encr",
                                              "isakmp.tf.id.dh"], "ip")
    ck.ok(len(rows) >= 1, "the spoke sent IKE_SA_INIT")
    ck.eq("everything on the WAN is IKE_SA_INIT from us to the NHS's port 500",
          {(r["ip.src"][0], r["ip.dst"][0], r["ip.proto"][0], tuple(r["udp.dstport"]),
            tuple(r["isakmp.exchangetype"]), tuple(r["isakmp.flag_i"])) for r in rows},
          {("192.0.2.11", HUB, "17", ("500",), ("34",), ("1",))})
    for r in rows[:1]:
        ck.eq("the default proposals offered: AES-GCM-128/ECP-256, then AES-CBC-256/MODP-2048",
              (r["isakmp.prop.number"], r["isakmp.tf.id.encr"], r["isakmp.tf.id.dh"]),
              (["1", "2"], ["20", "12"], ["19", "14"]))


def main():
    esplib.require()
    try:
        import cryptography.hazmat.primitives.asymmetric.ec  # noqa: F401
    except ImportError as e:
        harness.skip("python3-cryptography missing: %s" % e)
    ck = harness.Checker("ike_pcap")
    spi1, spi2, spi3, spi4, spi5, spi6 = (os.urandom(8) for _ in range(6))
    good1 = sa_init(spi1, SPOKE1[0], 500, HUB, 500)
    good2 = sa_init(spi2, SPOKE2[0], 4500, HUB, 4500)
    lying = bytearray(sa_init(spi3, SPOKE1[0], 500, HUB, 500))
    lying[24:28] = struct.pack("!I", len(lying) + 100)
    des = sa_init(spi5, SPOKE3[0], 500, HUB, 500, encr=(2, 0))  # ENCR_DES: never chosen
    wan_in = [
        frame(SPOKE1[0], SPOKE1[1], 500, 500, good1),
        frame(SPOKE2[0], SPOKE2[1], 4500, 4500, good2, marker=True),
        frame(SPOKE1[0], SPOKE1[1], 500, 500, bytes(lying)),
        frame(SPOKE1[0], SPOKE1[1], 500, 500, sa_init(spi4, SPOKE1[0], 500, HUB, 500),
              bad_cksum=True),
        frame(SPOKE3[0], SPOKE3[1], 500, 500, des),
    ] + fragments(SPOKE4[0], SPOKE4[1], 500, 500, sa_init(spi6, SPOKE4[0], 500, HUB, 500))
    neigh = harness.STATIC_NEIGHBORS + [("wan",) + SPOKE3, ("wan",) + SPOKE4]
    with IkeHub("ike_pcap", wan_in=wan_in, neighbors=neigh) as hub:
        c = hub.settle()
        sas = hub.get("/v1/ike/sa")
        reload_checks(ck, hub)
    ike = c["ike"]
    log("ike counters: %r" % {k: v for k, v in ike.items() if v})
    ck.eq("IKE messages the engine was given (the bad checksum never reaches it)",
          ike["rx_msgs"], 5)
    ck.eq("one request reassembled from fragments", ike["fragments_reassembled"], 1)
    ck.eq("no fragment dropped", ike["fragments_dropped"], 0)
    ck.eq("the lying length is counted as malformed", ike["rx_malformed"], 1)
    ck.eq("IKE messages sent", ike["tx_msgs"], 4)
    ck.eq("bad UDP checksum counted", ike["udp_bad_checksum"], 1)
    ck.eq("no proposal chosen counted", ike["no_proposal_chosen"], 1)
    ck.eq("UDP 500/4500 never counted as unhandled", c["control"]["udp_local_unhandled"], 0)
    ck.ok(len(sas) == 3 and {s["remote"] for s in sas} == {SPOKE1[0], SPOKE2[0], SPOKE4[0]},
          "/v1/ike/sa lists the three half-open SAs: %r" % sas)

    rows = harness.tshark_fields(hub.wan_out, [
        "ip.src", "ip.dst", "udp.srcport", "udp.dstport", "udp.checksum.status",
        "isakmp.ispi", "isakmp.rspi", "isakmp.exchangetype", "isakmp.flag_r", "isakmp.flag_i",
        "isakmp.typepayload", "isakmp.tf.id.encr", "isakmp.ike2.attr.key_length",
        "isakmp.tf.id.prf", "isakmp.tf.id.dh", "isakmp.key_exchange.dh_group",
        "isakmp.key_exchange.data", "isakmp.nonce", "isakmp.notify.msgtype"], "isakmp")
    ck.eq("IKE messages the hub sent", len(rows), 4)
    sent = {m[:8]: m for m in sent_ike(harness.pcap_read(hub.wan_out))}
    by_spi = {r["isakmp.ispi"][0]: r for r in rows if r["isakmp.ispi"]}
    for spi, peer, port in ((spi1, SPOKE1[0], 500), (spi2, SPOKE2[0], 4500), (spi6, SPOKE4[0], 500)):
        r = by_spi.get(spi.hex())
        if not ck.ok(r is not None, "a response to %s" % peer):
            continue
        ck.eq("%s: addresses and ports" % peer,
              (r["ip.src"], r["ip.dst"], r["udp.srcport"], r["udp.dstport"]),
              ([HUB], [peer], [str(port)], [str(port)]))
        ck.eq("%s: UDP checksum good" % peer, r["udp.checksum.status"], ["1"])
        ck.eq("%s: IKE_SA_INIT response from the responder" % peer,
              (r["isakmp.exchangetype"], r["isakmp.flag_r"], r["isakmp.flag_i"]),
              (["34"], ["1"], ["0"]))
        spi_r = bytes.fromhex(r["isakmp.rspi"][0])
        ck.ok(spi_r != bytes(8), "%s: a responder SPI" % peer)
        ck.eq("%s: the chosen proposal" % peer,
              (r["isakmp.tf.id.encr"], r["isakmp.ike2.attr.key_length"], r["isakmp.tf.id.prf"],
               r["isakmp.tf.id.dh"]), (["20"], ["128"], ["5"], ["19"]))
        ck.eq("%s: KE of group 19, 64 bytes" % peer,
              (r["isakmp.key_exchange.dh_group"], [len(bytes.fromhex(harness.hexbytes(x)))
                                                    for x in r["isakmp.key_exchange.data"]]),
              (["19"], [64]))
        ck.ok(len(r["isakmp.nonce"]) == 1 and len(harness.hexbytes(r["isakmp.nonce"][0])) >= 32,
              "%s: a nonce of at least 16 bytes: %r" % (peer, r["isakmp.nonce"]))
        types = r["isakmp.notify.msgtype"]
        ck.ok(str(N_NAT_SRC) in types and str(N_NAT_DST) in types,
              "%s: NAT_DETECTION notifies: %r" % (peer, types))
        data = notifies(sent.get(spi, b""))
        ck.eq("%s: NAT_DETECTION_SOURCE_IP is our address and port" % peer,
              data.get(N_NAT_SRC), nat_hash(spi, spi_r, HUB, port))
        ck.eq("%s: NAT_DETECTION_DESTINATION_IP is the peer's" % peer,
              data.get(N_NAT_DST), nat_hash(spi, spi_r, peer, port))
    r = by_spi.get(spi5.hex())
    if ck.ok(r is not None, "an answer to the DES-only request"):
        ck.eq("NO_PROPOSAL_CHOSEN to %s, nothing else" % SPOKE3[0],
              (r["ip.dst"], r["isakmp.notify.msgtype"], r["isakmp.typepayload"]),
              ([SPOKE3[0]], [str(N_NO_PROPOSAL)], ["41"]))
    ck.ok(spi3.hex() not in by_spi and spi4.hex() not in by_spi,
          "the malformed and the bad-checksum requests are not answered")
    # The marker is on the wire in front of the response on 4500.
    frames = harness.pcap_read(hub.wan_out)
    on4500 = [f for f in frames if f[12:14] == b"\x08\x00" and f[23] == 17 and
              struct.unpack("!H", f[14 + 20 + 2:14 + 20 + 4])[0] == 4500]
    ck.ok(len(on4500) == 1 and on4500[0][14 + 28:14 + 32] == b"\0\0\0\0" and
          on4500[0][14 + 32:14 + 40] == spi2, "the response on 4500 starts with the non-ESP marker")
    spoke(ck)
    ck.finish()


if __name__ == "__main__":
    main()
