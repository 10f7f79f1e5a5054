# SPDX-License-Identifier: BSD-3-Clause
"""NHRP packets a hub must refuse, and how it says so (RFC 2332 5.2.7 Error Indication).

The hub of nhrp-trace.pcap (192.168.200.1 / 10.255.255.1, GRE key 1000, authentication
"secret"), with spokes .2 and .3 registered first, is fed:
  - pb_nhrp_1.pcap (tcpdump's malformed NHRP straight over IP protocol 54), as captured
    (its IP header checksum is wrong), and readdressed to the hub with the checksum made
    right (then it is a protocol the hub does not handle)
  - Cisco's resolution request (nhrp-trace.pcap packet 2) truncated inside GRE
  - that request with a wrong key, with an unknown compulsory extension, with hop count
    1, and with the hub already in its forward transit record
  - that request as captured, last: it must still be forwarded
and must drop and count each, answer the four refusals with an Error Indication (codes
11, 1, 15, 3) to the requester, forward none of them, and stay up.
"""
import struct

import nhrp_lib as L
from nhrp_lib import (ERROR_INDICATION, REG_REPLY, REG_REQUEST, RES_REQUEST, cie, cisco_exts,
                      ext, gre_frame, nhrp)

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_errors")

cap = L.capture("nhrp-trace.pcap")
HUB, S2, S3 = "192.168.200.1", "192.168.200.2", "192.168.200.3"
HUB_T, S2_T, S3_T = "10.255.255.1", "10.255.255.2", "10.255.255.3"
MAC2, MAC3 = "ca:00:44:e4:00:00", "ca:00:44:f4:00:00"
NODE = dict(wan=HUB + "/24", wan_mtu=1600, lan="172.16.1.1/24", tunnel=HUB_T + "/24", key=1000,
            mtu=1514, holdtime=7200, auth="secret",
            routes=[("172.16.2.0/24", S2_T), ("172.16.3.0/24", S3_T)],
            neighbors=[("wan", S2, MAC2), ("wan", S3, MAC3)])


def registration(nbma, proto, mac):
    body = nhrp(REG_REQUEST, nbma, proto, HUB_T, flags=0x8002, reqid=1,
                cies=[cie(prefix=32, mtu=1514, htime=7200)], exts=cisco_exts("secret"))
    return gre_frame(nbma, HUB, body, key=1000, src_mac=mac)


def request(reqid, hop=255, key="secret", fwd=b"", extra=()):
    """Cisco's resolution request of packet 2 (spoke3 for 10.255.255.2), varied."""
    exts = cisco_exts(key, fwd=fwd)
    exts[-1:-1] = list(extra)            # before the NAT extension
    return nhrp(RES_REQUEST, S3, S3_T, S2_T, hop=hop, flags=0xc802, reqid=reqid,
                cies=[cie(mtu=1514, htime=7200)], exts=exts)


def from_s3(nhrp_bytes, ident):
    return gre_frame(S3, HUB, nhrp_bytes, key=1000, src_mac=MAC3, ident=ident)


packet2 = L.nhrp_of(cap[1])
chk.eq("builder reproduces nhrp-trace.pcap packet 2's NHRP bytes", request(5).hex(), packet2.hex())

# pb_nhrp_1.pcap: as captured, and readdressed to the hub with a right IP checksum.
pb = L.to_wan(L.capture("pb_nhrp_1.pcap")[0])
ihl = (pb[14] & 0xF) * 4
hdr = bytearray(pb[14:14 + ihl])
hdr[16:20] = L.ip_bytes(HUB)
hdr[10:12] = b"\0\0"
hdr[10:12] = struct.pack("!H", L.inet_checksum(bytes(hdr)))
pb_to_hub = pb[:14] + bytes(hdr) + pb[14 + ihl:]

# The Cisco request with "secret" replaced by "secreT": the checksum made right again, so
# that only the key is wrong.
bad_auth = bytearray(packet2)
i = bytes(bad_auth).index(b"secret")
bad_auth[i + 5] = ord("T")
bad_auth = L.refresh_checksum(bytes(bad_auth))
unknown = request(6, extra=[ext(0x77, b"\xde\xad\xbe\xef")])
unknown_off = unknown.index(struct.pack("!HH", 0x8077, 4))
hop1 = request(7, hop=1)
loop = request(8, fwd=cie(mtu=1514, htime=7200, nbma=HUB, proto=HUB_T))
truncated = packet2[:30]

stage2 = [
    pb,                                   # ipv4_bad_checksum
    pb_to_hub,                            # local_protocol_unhandled
    from_s3(truncated, 0x10),             # nhrp parse_truncated
    from_s3(bad_auth, 0x11),              # Error Indication 11
    from_s3(unknown, 0x12),               # Error Indication 1
    from_s3(hop1, 0x13),                  # Error Indication 15
    from_s3(loop, 0x14),                  # Error Indication 3
    L.to_wan(cap[1]),                     # forwarded to spoke2
]
with L.StagedNode("errors", NODE, []) as hub:
    hub.feed([registration(S2, S2_T, MAC2), registration(S3, S3_T, MAC3)])
    hub.wait_for("2 registration replies", lambda c: c["nhrp"]["sent"]["registration_reply"] == 2)
    hub.feed(stage2)
    hub.close_input()
    c = hub.settle()
    # Still serving its control socket after all that.
    cache = hub.cache()
    dm = hub.request("GET", "/v1/dmvpn")
    chk.eq("GET /v1/dmvpn status afterwards", dm.get("status"), 200)
    chk.ok(hub.alive(), "dmvpnd is not running after the malformed input")
harness.log("[errors] nhrp counters: %s" % L.nhrp_nonzero(c))
harness.log("[errors] drops: %s" % {k: v for k, v in c["drops"].items() if v})
chk.eq("exit status after SIGTERM", hub.exit_code, 0)
chk.drops(c, {"ipv4_bad_checksum": 1, "local_protocol_unhandled": 1})
chk.counters(c, {
    "nhrp.received.registration_request": 2,
    "nhrp.received.resolution_request": 5,
    "nhrp.sent.registration_reply": 2,
    "nhrp.sent.error_indication": 4,
    "nhrp.sent.resolution_request": 1,
    "nhrp.sent.resolution_reply": 0,
})
want_dropped = {"parse_truncated": 1, "auth_failure": 1, "unknown_compulsory_extension": 1,
                "hop_count_exceeded": 1, "loop_detected": 1}
for k, v in sorted(c["nhrp"]["dropped"].items()):
    chk.eq("nhrp.dropped." + k, v, want_dropped.get(k, 0))
chk.eq("cache afterwards (the registrations)",
       sorted((k, e["type"], e["nbma"]) for k, e in cache.items()),
       [(S2_T + "/32", "dynamic", S2), (S3_T + "/32", "dynamic", S3)])

out = L.decode(hub.wan_out)
raw = harness.pcap_read(hub.wan_out)
for d in out:
    harness.log("  out: " + L.summary(d))
chk.eq("WAN output: (type, outer dst) of every frame", sorted(
    (d["nhrp"] and d["nhrp"].get("type"), d["ip"][0].get("ip.dst")) for d in out),
    sorted([(REG_REPLY, S2), (REG_REPLY, S3), (RES_REQUEST, S2)] + [(ERROR_INDICATION, S3)] * 4))
fwd = [d for d in out if d["nhrp"] and d["nhrp"].get("type") == RES_REQUEST]
chk.eq("only the good request is forwarded (request ids)", [d["nhrp"].get("reqid") for d in fwd], [5])

offending = {11: (bad_auth, 0), 1: (unknown, unknown_off), 15: (hop1, 9), 3: (loop, 0)}
errors = {}
for d, fr in zip(out, raw):
    m = d["nhrp"]
    if m and m.get("type") == ERROR_INDICATION:
        chk.ok(m.get("err_code") not in errors, "two Error Indications with code %r" % m.get("err_code"))
        errors[m.get("err_code")] = (d, L.nhrp_of(fr))
chk.eq("Error Indication codes", sorted(errors), sorted(offending))
for code, (d, body) in sorted(errors.items()):
    m = d["nhrp"]
    what = "Error Indication %d" % code
    ip = d["ip"][0]
    chk.eq(what + ": eth dst, outer src/dst, ttl, tos", (d["eth"].get("eth.dst"), ip.get("ip.src"),
           ip.get("ip.dst"), ip.get("ip.ttl"), ip.get("ip.dsfield")), (MAC3, HUB, S3, "255", "0xc0"))
    chk.eq(what + ": GRE key", L._num(d["gre"].get("gre.key")), 1000)
    chk.eq(what + ": checksum status, hop count", (m.get("chksum_status"), m.get("hopcnt")), (1, 255))
    chk.eq(what + ": src nbma, src proto (the hub), dst proto (the requester)",
           (m.get("src_nbma"), m.get("src_proto"), m.get("dst_proto")), (HUB, HUB_T, S3_T))
    want_pkt, want_off = offending.get(code, (b"", 0))
    chk.eq(what + ": error offset", m.get("err_offset"), want_off)
    extoff = struct.unpack("!H", body[14:16])[0] or len(body)
    chk.eq(what + ": the packet in error, carried whole", body[40:extoff].hex(), want_pkt.hex())
    inner = dict(m["inner"]).get("nhrp")
    chk.eq(what + ": tshark decodes the packet in error (type, request id)",
           inner and (inner.get("type"), inner.get("reqid")),
           (RES_REQUEST, struct.unpack("!I", want_pkt[24:28])[0]))
    a = L.find_ext(m, L.EXT_AUTH)
    chk.eq(what + ": our authentication extension", a and (a["c"], a.get("auth_spi"),
           a.get("auth_data")), (1, 1, b"secret"))
chk.finish()
