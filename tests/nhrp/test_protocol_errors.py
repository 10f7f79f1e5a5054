# SPDX-License-Identifier: BSD-3-Clause
"""Error Indications 7 (Protocol Error) and 9 (Invalid Extension), RFC 2332 5.2.7.

The hub of nhrp-trace.pcap (192.168.200.1 / 10.255.255.1, GRE key 1000, authentication
"secret") is fed, each from its own NBMA address (the answers are rate limited per sender
and code):
  .4  Cisco's resolution request (nhrp-trace.pcap packet 2) with version 2    -> 7, offset 16
  .5  that request with a wrong checksum                                   -> 7, offset 12
  .6  a registration request registering nothing (no CIE)                  -> 7, offset 40
  .7  the request with its Responder Address extension already filled      -> 9, offset of it
  .8  the request whose extension list has no End                          -> 9, offset of the
                                                                              last extension
  .4  a second version-2 request within the second                         -> rate limited
  .9  an Error Indication with version 2, and one with a wrong checksum     -> never answered
and must answer exactly the first five, each to its sender, carrying the packet in error,
and count everything by reason. tshark decodes the answers.
"""
import struct

import nhrp_lib as L
from nhrp_lib import ERROR_INDICATION, REG_REQUEST, RES_REQUEST, cie, cisco_exts, gre_frame, nhrp

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_protocol_errors")

cap = L.capture("nhrp-trace.pcap")
HUB, HUB_T = "192.168.200.1", "10.255.255.1"
S3_T = "10.255.255.3"
SRC = {n: "192.168.200.%d" % n for n in range(4, 10)}
MAC = {n: "02:00:00:00:00:%02x" % n for n in range(4, 10)}
NODE = dict(wan=HUB + "/24", wan_mtu=1600, lan="172.16.1.1/24", tunnel=HUB_T + "/24", key=1000,
            mtu=1514, holdtime=7200, auth="secret",
            neighbors=[("wan", SRC[n], MAC[n]) for n in SRC])


def frame(n, body, ident):
    return gre_frame(SRC[n], HUB, body, key=1000, src_mac=MAC[n], ident=ident)


packet2 = L.nhrp_of(cap[1])


def patched(pkt, off, value, fix=True):
    b = bytearray(pkt)
    b[off:off + len(value)] = value
    return L.refresh_checksum(bytes(b)) if fix else bytes(b)


version2 = patched(packet2, 16, b"\x02")
version2_again = patched(L.refresh_checksum(patched(packet2, 27, b"\x09")), 16, b"\x02")
bad_cksum = patched(packet2, 12, b"\x17\x17", fix=False)
no_cie = nhrp(REG_REQUEST, SRC[6], "10.255.255.6", HUB_T, flags=0x8002, reqid=6,
              exts=cisco_exts("secret"))
filled_responder = nhrp(RES_REQUEST, SRC[7], "10.255.255.7", "10.255.255.2", flags=0xc802,
                        reqid=7, cies=[cie(mtu=1514, htime=7200)],
                        exts=cisco_exts("secret", responder=cie(prefix=32, mtu=1514, htime=7200,
                                                                 nbma=SRC[7], proto="10.255.255.7")))
responder_off = filled_responder.index(struct.pack("!HH", 0x8003, 20))
# The End extension turned into a (non-compulsory) Vendor-Private one running to pktsz:
# the list never ends.
no_end = patched(packet2, len(packet2) - 4, b"\x00\x08")
last_ext_off = len(packet2) - 4
ei_bad_version = patched(nhrp(ERROR_INDICATION, SRC[9], "10.255.255.9", HUB_T, code=6,
                              payload=packet2[:40], exts=[L.auth_ext("secret")]), 16, b"\x02")
ei_bad_cksum = patched(nhrp(ERROR_INDICATION, SRC[9], "10.255.255.9", HUB_T, code=6,
                            payload=packet2[:40], exts=[L.auth_ext("secret")]), 12, b"\x17\x17",
                       fix=False)

stage = [
    frame(4, version2, 0x21),
    frame(5, bad_cksum, 0x22),
    frame(6, no_cie, 0x23),
    frame(7, filled_responder, 0x24),
    frame(8, no_end, 0x25),
    frame(4, version2_again, 0x26),
    frame(9, ei_bad_version, 0x27),
    frame(9, ei_bad_cksum, 0x28),
]
with L.StagedNode("protoerr", NODE, []) as hub:
    hub.feed(stage)
    hub.close_input()
    c = hub.settle()
    chk.ok(hub.alive(), "dmvpnd is not running after the bad input")
harness.log("[protoerr] nhrp counters: %s" % L.nhrp_nonzero(c))
chk.eq("exit status after SIGTERM", hub.exit_code, 0)
chk.counters(c, {
    "nhrp.sent.error_indication": 5,
    "nhrp.received.registration_request": 1,
    "nhrp.received.resolution_request": 1,
    "nhrp.sent.registration_reply": 0,
    "nhrp.sent.resolution_request": 0,
    "nhrp.sent.resolution_reply": 0,
})
want_dropped = {"parse_version": 3, "parse_checksum": 2, "parse_extension": 1,
                "protocol_error": 1, "invalid_extension": 1, "error_rate_limited": 1}
for k, v in sorted(c["nhrp"]["dropped"].items()):
    chk.eq("nhrp.dropped." + k, v, want_dropped.get(k, 0))

out = L.decode(hub.wan_out)
raw = harness.pcap_read(hub.wan_out)
for d in out:
    harness.log("  out: " + L.summary(d))
want = {  # sender -> (code, offset, packet in error, its source protocol address)
    SRC[4]: (7, 16, version2, S3_T),
    SRC[5]: (7, 12, bad_cksum, S3_T),
    SRC[6]: (7, 40, no_cie, "10.255.255.6"),
    SRC[7]: (9, responder_off, filled_responder, "10.255.255.7"),
    SRC[8]: (9, last_ext_off, no_end, S3_T),
}
got = {}
for d, fr in zip(out, raw):
    m = d["nhrp"]
    chk.eq("every output frame is an Error Indication", m and m.get("type"), ERROR_INDICATION)
    dst = d["ip"][0].get("ip.dst")
    chk.ok(dst not in got, "two Error Indications to %s" % dst)
    got[dst] = (d, L.nhrp_of(fr))
chk.eq("Error Indications went to", sorted(got), sorted(want))
for dst, (d, body) in sorted(got.items()):
    m = d["nhrp"]
    code, off, pkt, proto = want.get(dst, (None, None, b"", None))
    what = "Error Indication to %s" % dst
    chk.eq(what + ": code (tshark)", m.get("err_code"), code)
    chk.eq(what + ": error offset (tshark)", m.get("err_offset"), off)
    chk.eq(what + ": checksum status, hop count", (m.get("chksum_status"), m.get("hopcnt")),
           (1, 255))
    chk.eq(what + ": src nbma, src proto (the hub), dst proto (the sender's)",
           (m.get("src_nbma"), m.get("src_proto"), m.get("dst_proto")), (HUB, HUB_T, proto))
    chk.eq(what + ": eth dst", d["eth"].get("eth.dst"),
           MAC[int(dst.rsplit(".", 1)[1])])
    extoff = struct.unpack("!H", body[14:16])[0] or len(body)
    chk.eq(what + ": the packet in error, carried whole", body[40:extoff].hex(), pkt.hex())
    a = L.find_ext(m, L.EXT_AUTH)
    chk.eq(what + ": our authentication extension", a and (a["c"], a.get("auth_spi"),
           a.get("auth_data")), (1, 1, b"secret"))
chk.finish()
