# SPDX-License-Identifier: BSD-3-Clause
"""NHRP registration at a hub (NHS), against real Cisco registration requests.

    ios_nhrp.pcap          IOS spoke 10.0.12.2 (tunnel 192.168.0.2) -> hub 10.0.12.1
                           (192.168.0.1), GRE without key, holding time 30, key "CISCO"
    NHRP_registration.pcap spoke 169.254.100.1 (155.1.0.1) -> hub 169.254.100.5
                           (155.1.0.5), GRE key 2, key "NHRPAUTH", NAT extension; the
                           capture holds the Cisco hub's replies too, which ours must match

The hub is configured with each capture's addressing; the captured requests go in as
captured (Ethernet destination rewritten, the 802.1Q tag removed), so checksums and
authentication are Cisco's own. Its replies are decoded by tshark. Further requests
built here cover the refusals (codes 4 and 14) and the withdrawal (holding time 0).
"""
import nhrp_lib as L
from nhrp_lib import REG_REPLY, REG_REQUEST, cie, cisco_exts, gre_frame, nhrp

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_registration")

# ---------------------------------------------------------------- ios_nhrp.pcap

IOS_HUB, IOS_SPOKE = "10.0.12.1", "10.0.12.2"
IOS_SPOKE_MAC = "c8:02:66:e5:00:00"         # the capture's source MAC
IOS_OTHER, IOS_OTHER_MAC = "10.0.12.3", "02:00:00:00:0c:03"
IOS_OUTSIDE, IOS_OUTSIDE_MAC = "10.0.12.4", "02:00:00:00:0c:04"
IOS_NODE = dict(wan=IOS_HUB + "/24", lan="198.18.0.1/24", tunnel="192.168.0.1/24", key=None,
                mtu=1400, holdtime=600, auth="CISCO",
                neighbors=[("wan", IOS_SPOKE, IOS_SPOKE_MAC), ("wan", IOS_OTHER, IOS_OTHER_MAC),
                           ("wan", IOS_OUTSIDE, IOS_OUTSIDE_MAC)])

ios_req = L.to_wan(L.capture("ios_nhrp.pcap")[0])


def ios_style(src_nbma, src_proto, reqid, htime, mac):
    """A registration as IOS sends it (ios_nhrp.pcap): unique, a CIE without addresses."""
    body = nhrp(REG_REQUEST, src_nbma, src_proto, "192.168.0.1", flags=0x8000, reqid=reqid,
                cies=[cie(prefix=255, mtu=1514, htime=htime)],
                exts=cisco_exts("CISCO")[:-1])   # IOS 12.4 here sent no NAT extension
    return gre_frame(src_nbma, IOS_HUB, body, key=None, src_mac=mac, ident=reqid)


# The bytes we build for IOS's own request must be IOS's bytes: the builder is right.
chk.eq("builder reproduces ios_nhrp.pcap's NHRP bytes",
       L.nhrp_of(ios_style(IOS_SPOKE, "192.168.0.2", 5, 30, IOS_SPOKE_MAC)).hex(),
       L.nhrp_of(ios_req).hex())

conflict = ios_style(IOS_OTHER, "192.168.0.2", 0x100, 30, IOS_OTHER_MAC)
outside = ios_style(IOS_OUTSIDE, "192.168.1.4", 0x200, 30, IOS_OUTSIDE_MAC)
withdraw = ios_style(IOS_SPOKE, "192.168.0.2", 6, 0, IOS_SPOKE_MAC)


def reply_for(frames, dst, reqid, what):
    got = [d for d in frames if d["ip"][0].get("ip.dst") == dst and d["nhrp"].get("reqid") == reqid]
    chk.eq("%s: replies to %s with request id %#x" % (what, dst, reqid), len(got), 1)
    return got[0] if got else None


def check_outer(d, what, src, dst, mac, key):
    ip = d["ip"][0]
    chk.eq(what + ": eth dst/src", (d["eth"].get("eth.dst"), d["eth"].get("eth.src")),
           (mac, L.WAN_MAC))
    chk.eq(what + ": outer ip src/dst", (ip.get("ip.src"), ip.get("ip.dst")), (src, dst))
    chk.eq(what + ": outer ip ttl, tos (as IOS: 255, 0xc0)", (ip.get("ip.ttl"),
           ip.get("ip.dsfield")), ("255", "0xc0"))
    chk.eq(what + ": outer ip checksum status (1 = good)", ip.get("ip.checksum.status"), "1")
    chk.eq(what + ": GRE protocol", d["gre"].get("gre.proto"), "0x2001")
    chk.eq(what + ": GRE key", L._num(d["gre"].get("gre.key")), key)


def check_reg_reply(d, what, reqid, flags, src_nbma, src_proto, dst_proto, code, req_cie,
                    hub_nbma, hub_proto, hub_mtu, hub_hold, auth):
    m = d["nhrp"]
    chk.eq(what + ": NHRP type (4 = registration reply)", m.get("type"), REG_REPLY)
    chk.eq(what + ": checksum status (1 = good)", m.get("chksum_status"), 1)
    chk.eq(what + ": version, afn, protocol type, hop count",
           (m.get("version"), m.get("afn"), m.get("pro_type"), m.get("hopcnt")),
           (1, 1, 0x0800, 255))
    chk.eq(what + ": request id", m.get("reqid"), reqid)
    chk.eq(what + ": flags copied", m.get("flags"), flags)
    chk.eq(what + ": src nbma, src proto, dst proto copied",
           (m.get("src_nbma"), m.get("src_proto"), m.get("dst_proto")),
           (src_nbma, src_proto, dst_proto))
    want = dict(req_cie, code=code)
    chk.eq(what + ": CIEs (the request's, with the code)", m["cies"], [want])
    types = [x["type"] for x in m["exts"]]
    resp = L.find_ext(m, L.EXT_RESPONDER)
    chk.ok(resp is not None, "%s: no responder address extension: got %r" % (what, types))
    if resp:
        chk.eq(what + ": responder extension compulsory", resp["c"], 1)
        chk.eq(what + ": responder CIE (the hub)", resp["cies"],
               [dict(code=0, prefix=32, mtu=hub_mtu, htime=hub_hold, pref=0, nbma=hub_nbma,
                     proto=hub_proto)])
    a = L.find_ext(m, L.EXT_AUTH)
    chk.eq(what + ": authentication (SPI 1, key)", a and (a["c"], a.get("auth_spi"),
           a.get("auth_data")), (1, 1, auth.encode()))
    return m


ios_req_dec = L.decode_bytes([ios_req])[0]["nhrp"]
ios_cie = ios_req_dec["cies"][0]

# Run 1: the IOS request, then a second NBMA claiming the same unique address (14),
# then an address outside the tunnel subnet (4).
hub, c, cache = L.run("reg-ios", IOS_NODE, wan_in=[ios_req, conflict, outside])
chk.ok(hub.alive_after, "dmvpnd died during reg-ios")
chk.eq("reg-ios: exit status after SIGTERM", hub.exit_code, 0)
chk.counters(c, {"nhrp.received.registration_request": 3, "nhrp.sent.registration_reply": 3,
                 "nhrp.dropped.auth_failure": 0})
replies = L.nhrp_frames(hub.wan_out)
for d in replies:
    harness.log("  out: " + L.summary(d))
chk.eq("reg-ios: frames on the WAN (all registration replies)",
       [d["nhrp"].get("type") for d in replies], [REG_REPLY] * 3)
d = reply_for(replies, IOS_SPOKE, 5, "ios_nhrp request")
if d:
    check_outer(d, "ios reply", IOS_HUB, IOS_SPOKE, IOS_SPOKE_MAC, None)
    m = check_reg_reply(d, "ios reply", 5, 0x8000, IOS_SPOKE, "192.168.0.2", "192.168.0.1", 0,
                        ios_cie, IOS_HUB, "192.168.0.1", 1400, 600, "CISCO")
    chk.eq("ios reply: extensions (those of the request, in order)",
           [(x["type"], x["c"]) for x in m["exts"]],
           [(x["type"], x["c"]) for x in ios_req_dec["exts"]])
    chk.eq("ios reply: forward/reverse transit records copied (empty)",
           [L.find_ext(m, t)["len"] for t in (L.EXT_FWD_TRANSIT, L.EXT_REV_TRANSIT)], [0, 0])
    chk.ok(L.find_ext(m, L.EXT_NAT) is None, "ios reply: a NAT extension the request lacked")
d = reply_for(replies, IOS_OTHER, 0x100, "same unique address from another NBMA")
if d:
    check_outer(d, "conflict reply", IOS_HUB, IOS_OTHER, IOS_OTHER_MAC, None)
    check_reg_reply(d, "conflict reply", 0x100, 0x8000, IOS_OTHER, "192.168.0.2", "192.168.0.1",
                    14, ios_cie, IOS_HUB, "192.168.0.1", 1400, 600, "CISCO")
d = reply_for(replies, IOS_OUTSIDE, 0x200, "address outside the tunnel subnet")
if d:
    check_reg_reply(d, "outside reply", 0x200, 0x8000, IOS_OUTSIDE, "192.168.1.4", "192.168.0.1",
                    4, ios_cie, IOS_HUB, "192.168.0.1", 1400, 600, "CISCO")
harness.log("reg-ios cache: %r" % cache)
chk.eq("reg-ios: cache entries (only the IOS spoke)", sorted(cache), ["192.168.0.2/32"])
e = cache.get("192.168.0.2/32")
if e:
    chk.eq("reg-ios: 192.168.0.2 type, nbma (the conflict changed nothing)",
           (e["type"], e["nbma"], e["claimed_nbma"]), ("dynamic", IOS_SPOKE, IOS_SPOKE))
    chk.eq("reg-ios: 192.168.0.2 flags", sorted(e["flags"]), ["registered", "unique"])
    chk.ok(e["expires_in"] is not None and 25 <= e["expires_in"] <= 30,
           "reg-ios: 192.168.0.2 expires_in: got %r, want 25..30 (holding time 30)" %
           e["expires_in"])

# Run 2: the IOS request, then its withdrawal (same NBMA, holding time 0).
hub, c, cache = L.run("reg-withdraw", IOS_NODE, wan_in=[ios_req, withdraw])
chk.eq("reg-withdraw: exit status after SIGTERM", hub.exit_code, 0)
replies = L.nhrp_frames(hub.wan_out, REG_REPLY, IOS_SPOKE)
chk.eq("reg-withdraw: (request id, code) of the replies",
       [(d["nhrp"].get("reqid"), [x["code"] for x in d["nhrp"]["cies"]]) for d in replies],
       [(5, [0]), (6, [0])])
if len(replies) == 2:
    chk.eq("reg-withdraw: withdrawal reply CIE holding time (copied)",
           replies[1]["nhrp"]["cies"][0]["htime"], 0)
chk.eq("reg-withdraw: cache after holding time 0", cache, {})

# ---------------------------------------------------------------- NHRP_registration.pcap

REG_HUB, REG_SPOKE, REG_SPOKE_MAC = "169.254.100.5", "169.254.100.1", "aa:bb:cc:00:01:10"
REG_NODE = dict(wan=REG_HUB + "/24", lan="198.18.0.1/24", tunnel="155.1.0.5/24", key=2,
                mtu=1400, holdtime=7200, auth="NHRPAUTH",
                neighbors=[("wan", REG_SPOKE, REG_SPOKE_MAC)])
cap = L.capture("NHRP_registration.pcap")
cisco = L.decode(L.os.path.join(L.VECTORS, "NHRP_registration.pcap"))
# Frames 1 and 3 are the spoke's requests, 2 and 4 the Cisco hub's replies.
hub, c, cache = L.run("reg-cisco", REG_NODE, wan_in=[L.to_wan(cap[0]), L.to_wan(cap[2])])
chk.eq("reg-cisco: exit status after SIGTERM", hub.exit_code, 0)
chk.counters(c, {"nhrp.received.registration_request": 2, "nhrp.sent.registration_reply": 2})
replies = L.nhrp_frames(hub.wan_out)
for d in replies:
    harness.log("  out: " + L.summary(d))
chk.eq("reg-cisco: (type, request id, outer dst) of the frames on the WAN",
       [(d["nhrp"].get("type"), d["nhrp"].get("reqid"), d["ip"][0].get("ip.dst")) for d in replies],
       [(REG_REPLY, 1, REG_SPOKE), (REG_REPLY, 2, REG_SPOKE)])
for ours, theirs, req in zip(replies, (cisco[1], cisco[3]), (cisco[0], cisco[2])):
    reqid = req["nhrp"]["reqid"]
    what = "reply to request %d" % reqid
    check_outer(ours, what, REG_HUB, REG_SPOKE, REG_SPOKE_MAC, 2)
    chk.eq(what + ": outer ip as Cisco's (tos, ttl, proto)",
           [ours["ip"][0].get(k) for k in ("ip.dsfield", "ip.ttl", "ip.proto")],
           [theirs["ip"][0].get(k) for k in ("ip.dsfield", "ip.ttl", "ip.proto")])
    m = check_reg_reply(ours, what, reqid, 0x8002, REG_SPOKE, "155.1.0.1", "155.1.0.5", 0,
                        req["nhrp"]["cies"][0], REG_HUB, "155.1.0.5", 1400, 7200, "NHRPAUTH")
    nat = L.find_ext(m, L.EXT_NAT)
    chk.eq(what + ": NAT extension: the NBMA address the hub saw the spoke at",
           nat and [(x["nbma"], x["proto"]) for x in nat["cies"]], [(REG_SPOKE, "155.1.0.1")])
    # Everything else as the Cisco hub answered the same request.
    L.compare_with_cisco(chk, what + " vs Cisco's", m, theirs["nhrp"], {
        # Our tunnel MTU cannot be IOS's 17912 (the ports' MTU is at most 9000).
        "exts[0].cies[0].mtu": (1400, 17912),
        # IOS echoed the request's NAT CIE (its own address, as the spoke addressed it);
        # ours holds the address the spoke was seen at (the registrant's binding).
        "exts[4].cies[0].nbma": (REG_SPOKE, REG_HUB),
        "exts[4].cies[0].proto": ("155.1.0.1", "155.1.0.5"),
        "exts[4].cies[0].htime": (7200, 0),
        "exts[4].cies[0].mtu": (1400, 17912),
    })
harness.log("reg-cisco cache: %r" % cache)
e = cache.get("155.1.0.1/32")
chk.ok(e is not None, "reg-cisco: no cache entry for 155.1.0.1: %r" % cache)
if e:
    chk.eq("reg-cisco: 155.1.0.1 type, nbma, claimed nbma",
           (e["type"], e["nbma"], e["claimed_nbma"]), ("dynamic", REG_SPOKE, REG_SPOKE))
    chk.eq("reg-cisco: 155.1.0.1 flags", sorted(e["flags"]), ["registered", "unique"])
    chk.ok(e["expires_in"] is not None and 7195 <= e["expires_in"] <= 7200,
           "reg-cisco: 155.1.0.1 expires_in: got %r, want 7195..7200 (holding time 7200)" %
           e["expires_in"])

# ---------------------------------------------------------------- our spoke, Cisco's hub
# The other side of NHRP_registration.pcap: our spoke (169.254.100.1) registers with the
# Cisco hub, is fed that hub's captured reply, and must take it (NHS up). IOS echoed the
# request's NAT CIE, which names the hub; it says nothing about the spoke's own address,
# so the spoke must not take it for its public (post-NAT) NBMA.
SPOKE_NODE = dict(wan=REG_SPOKE + "/24", lan="198.18.1.1/24", tunnel="155.1.0.1/24", key=2,
                  mtu=1400, holdtime=7200, auth="NHRPAUTH", nhs=[("155.1.0.5", REG_HUB)],
                  neighbors=[("wan", REG_HUB, "aa:bb:cc:00:05:10")])
with L.StagedNode("reg-spoke", SPOKE_NODE, []) as spoke:
    c = spoke.wait_for("the spoke's first registration",
                       lambda c: c["nhrp"]["sent"]["registration_request"] >= 1)
    nhs0 = spoke.get("/v1/nhrp/nhs")
    chk.eq("reg-spoke: registrations sent before Cisco's reply (it answers the first)",
           [h["registrations_sent"] for h in nhs0], [1])
    # Our request IDs are random: Cisco's reply carries the one we sent.
    spoke.feed([L.with_reqid(L.to_wan(cap[1]), nhs0[0]["request_id"])])
    spoke.wait_for("Cisco's reply", lambda c: c["nhrp"]["received"]["registration_reply"] >= 1)
    nhs = spoke.get("/v1/nhrp/nhs")
    spoke.close_input()
    c = spoke.settle()
harness.log("reg-spoke nhs: %r" % nhs)
chk.eq("reg-spoke: exit status after SIGTERM", spoke.exit_code, 0)
chk.counters(c, {"nhrp.received.registration_reply": 1,
                 "nhrp.dropped.unknown_request_id": 0, "nhrp.dropped.auth_failure": 0})
h = nhs[0] if nhs else {}
chk.eq("reg-spoke: NHS after Cisco's reply (state, replies, last code)",
       (h.get("state"), h.get("replies"), h.get("last_code")), ("up", 1, 0))
chk.eq("reg-spoke: public NBMA (Cisco's NAT CIE names the hub, not us: none)",
       h.get("public_nbma"), None)
regs = L.nhrp_frames(spoke.wan_out, REG_REQUEST, REG_HUB)
chk.ok(len(regs) >= 1, "reg-spoke: no registration request to %s" % REG_HUB)
if regs:
    d = regs[0]
    check_outer(d, "reg-spoke request", REG_SPOKE, REG_HUB, "aa:bb:cc:00:05:10", 2)
    L.compare_with_cisco(chk, "reg-spoke request vs Cisco's spoke (frame 1)", d["nhrp"],
                         cisco[0]["nhrp"], {
        # IOS sets its NAT-capable flag; ours only U.
        "flags": (0x8000, 0x8002),
        # Our request IDs are random; IOS counts from 1.
        "reqid": (L.ANY, 1),
        # Our tunnel MTU vs IOS's 17912.
        "cies[0].mtu": (1400, 17912),
        # IOS names its NHS in the NAT extension; ours leaves it empty for the NHS to fill.
        "exts[4].len": (0, 20),
        "exts[4].cies[0]": (None, {"code": 0, "prefix": 32, "mtu": 17912, "htime": 0,
                                   "pref": 0, "nbma": REG_HUB, "proto": "155.1.0.5"}),
        "pktsz": (88, 108),
    })
chk.finish()
