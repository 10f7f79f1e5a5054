# SPDX-License-Identifier: BSD-3-Clause
"""Phase 3 (redirect and shortcut) replayed from Cisco's nhrp-trace.pcap.

    NBMA 192.168.200.0/24, tunnel 10.255.255.0/24, GRE key 1000, authentication "secret";
    hub .1, spokes .2 and .3. The capture:
      1 hub -> spoke3   Traffic Indication about 10.255.255.3 -> 10.255.255.2
      2 spoke3 -> hub   Resolution Request for 10.255.255.2
      3 hub -> spoke2   the request forwarded (hop count 254, hub in the forward record)
      4 spoke2 -> spoke3 Resolution Reply

Each of our nodes plays one Cisco role, is fed what that role received and must send
what Cisco sent, field by field as tshark decodes it, except for the differences listed
in each comparison (each one explained there):
  (a) hub, redirect = true: a data packet hairpinning spoke3 -> spoke2 -> Traffic
      Indication to spoke3 (like packet 1), and the packet is forwarded to spoke2
  (b) hub: packet 2 -> forwarded to spoke2 (like packet 3)
  (c) spoke2: packet 3 -> Resolution Reply to spoke3 (like packet 4); spoke3 cached
  (d) spoke3, shortcut = true: packet 1 -> Resolution Request to the hub (like packet 2)
"""
import struct

import nhrp_lib as L
from nhrp_lib import (ANY, REG_REQUEST, RES_REPLY, RES_REQUEST, TRAFFIC_INDICATION,
                      cie, cisco_exts, gre_frame, nhrp)

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_trace")

CAP = "nhrp-trace.pcap"
cap = L.capture(CAP)
cisco = L.decode(L.os.path.join(L.VECTORS, CAP))
NBMA = {1: "192.168.200.1", 2: "192.168.200.2", 3: "192.168.200.3"}
TUN = {1: "10.255.255.1", 2: "10.255.255.2", 3: "10.255.255.3"}
MAC = {1: "ca:00:44:d0:00:00", 2: "ca:00:44:e4:00:00", 3: "ca:00:44:f4:00:00"}  # captured
LAN = {1: "172.16.1.0/24", 2: "172.16.2.0/24", 3: "172.16.3.0/24"}


def node(n, **kw):
    """Router n of the capture. IOS's tunnel MTU (1514 in its CIEs) needs a bigger port."""
    d = dict(wan=NBMA[n] + "/24", wan_mtu=1600, lan=LAN[n].replace(".0/", ".1/"),
             tunnel=TUN[n] + "/24", key=1000, mtu=1514, holdtime=7200, auth="secret",
             neighbors=[("wan", NBMA[i], MAC[i]) for i in NBMA if i != n])
    if n != 1:
        d["nhs"] = [(TUN[1], NBMA[1])]
        d["routes"] = [(LAN[i], TUN[1]) for i in LAN if i != n]
    else:
        d["routes"] = [(LAN[i], TUN[i]) for i in (2, 3)]
    d.update(kw)
    return d


def registration(n, reqid):
    """Spoke n registers with the hub, the way IOS does (flags U and NAT, IOS's
    extensions, the NAT one empty)."""
    body = nhrp(REG_REQUEST, NBMA[n], TUN[n], TUN[1], flags=0x8002, reqid=reqid,
                cies=[cie(prefix=32, mtu=1514, htime=7200)], exts=cisco_exts("secret"))
    return gre_frame(NBMA[n], NBMA[1], body, key=1000, src_mac=MAC[n], ident=reqid)


def ios_ping_like_packet1():
    """The packet packet 1 quotes (10.255.255.3 -> 10.255.255.2, ICMP echo, IP length
    100): its first 28 bytes as quoted, then 72 bytes of IOS's 0xabcd pattern, the last
    word chosen so that the quoted ICMP checksum (0x325b) is right."""
    quote = L.nhrp_of(cap[0])[40:68]
    body = bytearray(quote[20:] + bytes.fromhex("abcd") * 35 + b"\0\0")
    body[-2:] = struct.pack("!H", L.inet_checksum(bytes(body)))
    pkt = quote[:20] + bytes(body)
    assert len(pkt) == 100 and L.inet_checksum(pkt[20:]) == 0
    return pkt


def data_frame(src_n, inner):
    """GRE data from spoke src_n to the hub (outer TOS copied from the inner, as IOS)."""
    gre = struct.pack("!HHI", 0x2000, 0x0800, 1000) + inner
    return (L.mac_bytes(L.WAN_MAC) + L.mac_bytes(MAC[src_n]) + b"\x08\x00" +
            L.ipv4(NBMA[src_n], NBMA[1], 47, gre, ttl=255, tos=inner[1], ident=0x77))


def check_outer(d, what, src, dst_n, want_tos="0xc0"):
    ip = d["ip"][0]
    chk.eq(what + ": eth dst/src", (d["eth"].get("eth.dst"), d["eth"].get("eth.src")),
           (MAC[dst_n], L.WAN_MAC))
    chk.eq(what + ": outer ip src, dst, ttl, tos, checksum status",
           (ip.get("ip.src"), ip.get("ip.dst"), ip.get("ip.ttl"), ip.get("ip.dsfield"),
            ip.get("ip.checksum.status")), (src, NBMA[dst_n], "255", want_tos, "1"))
    chk.eq(what + ": GRE key", L._num(d["gre"].get("gre.key")), 1000)


def one(frames, what):
    chk.eq(what + ": how many", len(frames), 1)
    for d in frames:
        harness.log("  %s: %s" % (what, L.summary(d)))
    return frames[0] if frames else None


def strip(m):
    return {k: v for k, v in m.items() if k != "inner"}


# ------------------------------------------------ (a) and (b): the hub
ping = ios_ping_like_packet1()
lan_ping = L.ipv4("172.16.3.10", "172.16.2.10", 1,
                  struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + bytes(56), ttl=64, tos=0,
                  ident=0x99)
lan_ping = lan_ping[:22] + struct.pack("!H", L.inet_checksum(lan_ping[20:])) + lan_ping[24:]

with L.StagedNode("trace-hub", node(1, redirect=True), []) as hub:
    # Registrations first: the hub must know both spokes before traffic between them.
    hub.feed([registration(2, 1), registration(3, 1)])
    hub.wait_for("2 registration replies",
                 lambda c: c["nhrp"]["sent"]["registration_reply"] == 2)
    hub.feed([data_frame(3, ping), data_frame(3, lan_ping), L.to_wan(cap[1])])
    hub.close_input()
    c = hub.settle()
    hub_cache = hub.cache()
harness.log("[trace-hub] nhrp counters: %s" % L.nhrp_nonzero(c))
chk.eq("hub: exit status after SIGTERM", hub.exit_code, 0)
chk.counters(c, {"nhrp.received.registration_request": 2, "nhrp.received.resolution_request": 1,
                 "nhrp.sent.registration_reply": 2, "nhrp.sent.traffic_indication": 2,
                 "nhrp.sent.resolution_request": 1, "tunnel_hairpin": 2,
                 # the tunnel carried the 2 data packets and the 5 NHRP messages
                 "interfaces.tunnel0.tx_packets": 7})
chk.eq("hub: cache (both spokes registered)",
       sorted((k, e["type"], e["nbma"]) for k, e in hub_cache.items()),
       [(TUN[2] + "/32", "dynamic", NBMA[2]), (TUN[3] + "/32", "dynamic", NBMA[3])])
out = L.decode(hub.wan_out)
raw = harness.pcap_read(hub.wan_out)
for d in out:
    harness.log("  hub out: " + L.summary(d))

# (a) the Traffic Indications
tis = [(d, fr) for d, fr in zip(out, raw) if d["nhrp"] and d["nhrp"].get("type") == TRAFFIC_INDICATION]
chk.eq("hub (a): traffic indications (outer dst, dst proto)",
       sorted((d["ip"][0].get("ip.dst"), d["nhrp"].get("dst_proto")) for d, _ in tis),
       [(NBMA[3], "10.255.255.3"), (NBMA[3], "172.16.3.10")])
for d, fr in tis:
    m = d["nhrp"]
    what = "hub (a) traffic indication about %s" % m.get("dst_proto")
    check_outer(d, what, NBMA[1], 3)
    chk.eq(what + ": type, hop count, checksum status", (m.get("type"), m.get("hopcnt"),
           m.get("chksum_status")), (8, 255, 1))
    chk.eq(what + ": src nbma, src proto (the hub)", (m.get("src_nbma"), m.get("src_proto")),
           (NBMA[1], TUN[1]))
    chk.eq(what + ": traffic code (0 = redirect, at the error code's place)",
           L.nhrp_of(fr)[22:24], b"\0\0")
    inner = dict(m["inner"]).get("ip", {})
    chk.eq(what + ": quoted packet (src, dst): the data packet's",
           (inner.get("ip.src"), inner.get("ip.dst")),
           (m.get("dst_proto"), "10.255.255.2" if m.get("dst_proto") == TUN[3] else "172.16.2.10"))
    chk.eq(what + ": quoted length (IP header + 8 bytes)", m.get("extoff", 0) - 40, 28)
ti = [d for d, _ in tis if d["nhrp"].get("dst_proto") == TUN[3]]
if ti:
    ours, theirs = ti[0]["nhrp"], cisco[0]["nhrp"]
    L.compare_with_cisco(chk, "hub (a) traffic indication vs Cisco's packet 1", strip(ours),
                         strip(theirs), {})
    qo, qt = dict(ours["inner"]).get("ip", {}), dict(theirs["inner"]).get("ip", {})
    # The packet is quoted as it arrived, TTL and checksum included, as IOS does.
    L.compare_with_cisco(chk, "hub (a) quoted IP header vs Cisco's packet 1", qo, qt, {})
# ... and the data packets went on to spoke2.
fwd = [d for d in out if not d["nhrp"] and len(d["ip"]) == 2]
chk.eq("hub (a): data forwarded (outer dst, inner src, inner dst, inner ttl)",
       sorted((d["ip"][0].get("ip.dst"), d["ip"][1].get("ip.src"), d["ip"][1].get("ip.dst"),
               d["ip"][1].get("ip.ttl")) for d in fwd),
       [(NBMA[2], "10.255.255.3", "10.255.255.2", "254"),
        (NBMA[2], "172.16.3.10", "172.16.2.10", "63")])
for d in fwd:
    chk.eq("hub (a): forwarded data GRE key, inner checksum status",
           (L._num(d["gre"].get("gre.key")), d["ip"][1].get("ip.checksum.status")), (1000, "1"))

# (b) the forwarded resolution request
d = one([d for d in out if d["nhrp"] and d["nhrp"].get("type") == RES_REQUEST],
        "hub (b) forwarded resolution request")
if d:
    check_outer(d, "hub (b) forwarded request", NBMA[1], 2)
    m = d["nhrp"]
    chk.eq("hub (b): hop count, request id", (m.get("hopcnt"), m.get("reqid")), (254, 5))
    fwd_rec = L.find_ext(m, L.EXT_FWD_TRANSIT)
    chk.eq("hub (b): forward transit record (nbma, proto)",
           fwd_rec and [(x["nbma"], x["proto"]) for x in fwd_rec["cies"]], [(NBMA[1], TUN[1])])
    L.compare_with_cisco(chk, "hub (b) forwarded request vs Cisco's packet 3", m, cisco[2]["nhrp"], {
        # Our transit CIE is nhrp_own_cie(): prefix length 32; IOS leaves it 0.
        "exts[1].cies[0].prefix": (32, 0),
    })

# ------------------------------------------------ (c) spoke2 answers packet 3
lan_req = nhrp(RES_REQUEST, NBMA[3], TUN[3], "172.16.2.10", hop=254, flags=0xc802, reqid=6,
               cies=[cie(mtu=1514, htime=7200)],
               exts=cisco_exts("secret", fwd=cie(mtu=1514, htime=7200, nbma=NBMA[1], proto=TUN[1])))
chk.eq("builder reproduces nhrp-trace.pcap packet 3's NHRP bytes (but the destination)",
       nhrp(RES_REQUEST, NBMA[3], TUN[3], TUN[2], hop=254, flags=0xc802, reqid=5,
            cies=[cie(mtu=1514, htime=7200)],
            exts=cisco_exts("secret", fwd=cie(mtu=1514, htime=7200, nbma=NBMA[1],
                                              proto=TUN[1]))).hex(),
       L.nhrp_of(cap[2]).hex())
spoke2, c, cache = L.run("trace-spoke2", node(2), wan_in=[
    L.to_wan(cap[2]), gre_frame(NBMA[1], NBMA[2], lan_req, key=1000, src_mac=MAC[1])])
chk.eq("spoke2: exit status after SIGTERM", spoke2.exit_code, 0)
chk.counters(c, {"nhrp.received.resolution_request": 2, "nhrp.sent.resolution_reply": 2,
                 "nhrp.dropped.auth_failure": 0})
replies = L.nhrp_frames(spoke2.wan_out, RES_REPLY)
d = one([d for d in replies if d["nhrp"].get("reqid") == 5], "spoke2 (c) reply to packet 3")
if d:
    check_outer(d, "spoke2 (c) reply", NBMA[2], 3)
    m = d["nhrp"]
    chk.eq("spoke2 (c): CIE (code, prefix, nbma, proto)",
           [(x["code"], x["prefix"], x["nbma"], x["proto"]) for x in m["cies"]],
           [(0, 32, NBMA[2], TUN[2])])
    r = L.find_ext(m, L.EXT_RESPONDER)
    chk.eq("spoke2 (c): responder extension (nbma, proto)",
           r and [(x["nbma"], x["proto"]) for x in r["cies"]], [(NBMA[2], TUN[2])])
    L.compare_with_cisco(chk, "spoke2 (c) reply vs Cisco's packet 4", m, cisco[3]["nhrp"], {
        # IOS also sets U (uniqueness) in its reply: 0xf802; ours copies the request's
        # flags and adds A and D: 0xe802.
        "flags": (0xE802, 0xF802),
        # Our responder CIE is nhrp_own_cie(): prefix length 32; IOS leaves it 0.
        "exts[0].cies[0].prefix": (32, 0),
    })
d = one([d for d in replies if d["nhrp"].get("reqid") == 6], "spoke2 (c) reply for a LAN host")
if d:
    m = d["nhrp"]
    chk.eq("spoke2 (c) LAN host: outer dst", d["ip"][0].get("ip.dst"), NBMA[3])
    chk.eq("spoke2 (c) LAN host: CIE (code, prefix = the LAN route's, nbma, proto)",
           [(x["code"], x["prefix"], x["nbma"], x["proto"]) for x in m["cies"]],
           [(0, 24, NBMA[2], "172.16.2.10")])
    r = L.find_ext(m, L.EXT_RESPONDER)
    chk.eq("spoke2 (c) LAN host: responder extension (nbma, proto)",
           r and [(x["nbma"], x["proto"]) for x in r["cies"]], [(NBMA[2], TUN[2])])
harness.log("spoke2 cache: %r" % cache)
e = cache.get(TUN[3] + "/32")
chk.ok(e is not None, "spoke2 (c): no cache entry for the requester %s: %r" % (TUN[3], cache))
if e:
    chk.eq("spoke2 (c): requester entry type, nbma, flags", (e["type"], e["nbma"], e["flags"]),
           ("dynamic", NBMA[3], ["learned", "request"]))
    chk.ok(e["expires_in"] is not None and 7195 <= e["expires_in"] <= 7200,
           "spoke2 (c): requester expires_in: got %r, want 7195..7200" % e["expires_in"])

# ------------------------------------------------ (d) spoke3 acts on packet 1
spoke3, c, cache = L.run("trace-spoke3", node(3, shortcut=True), wan_in=[L.to_wan(cap[0])])
chk.eq("spoke3: exit status after SIGTERM", spoke3.exit_code, 0)
chk.counters(c, {"nhrp.received.traffic_indication": 1, "nhrp.dropped.auth_failure": 0,
                 "nhrp.dropped.unsupported": 0})
reqs = L.nhrp_frames(spoke3.wan_out, RES_REQUEST)
for d in reqs:
    harness.log("  spoke3 out: " + L.summary(d))
chk.ok(len(reqs) >= 1, "spoke3 (d): resolution requests sent: got 0, want at least 1")
regs = L.nhrp_frames(spoke3.wan_out, REG_REQUEST, NBMA[1])
chk.ok(len(regs) >= 1, "spoke3 (d): no registration with the NHS")
for i, d in enumerate(reqs):
    what = "spoke3 (d) resolution request %d" % (i + 1)
    check_outer(d, what, NBMA[3], 1)
    m = d["nhrp"]
    chk.eq(what + ": src proto -> dst proto", (m.get("src_proto"), m.get("dst_proto")),
           (TUN[3], TUN[2]))
    L.compare_with_cisco(chk, what + " vs Cisco's packet 2", m, cisco[1]["nhrp"], {
        "reqid": (ANY, 5),
        # IOS sets its NAT-capable flag (0x0002); ours does not.
        "flags": (0xC800, 0xC802),
    })
chk.finish()
