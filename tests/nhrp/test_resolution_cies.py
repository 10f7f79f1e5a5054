# SPDX-License-Identifier: BSD-3-Clause
"""A Resolution Reply with several CIEs (RFC 2332 5.2.2), taken whole by a spoke.

Spoke3 of nhrp-trace.pcap (192.168.200.3 / 10.255.255.3, shortcut = true, NHS the hub
.1) gets a Traffic Indication from the hub about 172.16.3.10 -> 172.16.2.10, resolves
172.16.2.10, and is answered with four CIEs:
  1  success, prefix /24, next hop 10.255.255.2 at 192.168.200.2, preference 0
  2  success, prefix /16, next hop 10.255.255.4 at 192.168.200.4, preference 0
  3  success, prefix /24, next hop 10.255.255.5 at 192.168.200.5, preference 10
  4  code 4 (administratively prohibited), /32, 10.255.255.6 at 192.168.200.6
Each successful CIE's next hop must be mapped (three mappings), each distinct prefix must
get one shortcut through its most preferred CIE (172.16.2.0/24 via .5, 172.16.0.0/16 via
.4), and the refused CIE must leave nothing. The tunnel subnet is a /16 here: no shortcut
may be shorter than it (nor than the route it refines, 172.16.0.0/12). The reply is sent
with the request ID the spoke chose (GET /v1/nhrp/resolution) and with others; only the first
matches, the others are counted as unknown.
"""
import struct

import nhrp_lib as L
from nhrp_lib import RES_REPLY, TRAFFIC_INDICATION, cie, cisco_exts, gre_frame, nhrp

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_resolution_cies")

HUB, HUB_T = "192.168.200.1", "10.255.255.1"
S2, S2_T = "192.168.200.2", "10.255.255.2"
S3, S3_T = "192.168.200.3", "10.255.255.3"
MAC1, MAC2 = "ca:00:44:d0:00:00", "ca:00:44:e4:00:00"
NODE = dict(wan=S3 + "/24", wan_mtu=1600, lan="172.16.3.1/24", tunnel=S3_T + "/16", key=1000,
            mtu=1514, holdtime=7200, auth="secret", shortcut=True,
            nhs=[(HUB_T, HUB)], routes=[("172.16.0.0/12", HUB_T)],
            neighbors=[("wan", HUB, MAC1), ("wan", S2, MAC2)])

quoted = L.ipv4("172.16.3.10", "172.16.2.10", 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + bytes(8),
                ttl=63, tos=0, ident=0x55)
redirect = gre_frame(HUB, S3, nhrp(TRAFFIC_INDICATION, HUB, HUB_T, S3_T, code=0,
                                   payload=quoted, exts=[L.auth_ext("secret")]),
                     key=1000, src_mac=MAC1, ident=0x31)

CIES = [cie(0, 24, 1514, 600, S2, S2_T, pref=0),
        cie(0, 16, 1514, 600, "192.168.200.4", "10.255.255.4", pref=0),
        cie(0, 24, 1514, 600, "192.168.200.5", "10.255.255.5", pref=10),
        cie(4, 32, 1514, 600, "192.168.200.6", "10.255.255.6", pref=0)]


def reply(reqid):
    """Spoke2 answers for 172.16.2.10 (flags as IOS: Q, A, S, NAT), with the four CIEs."""
    body = nhrp(RES_REPLY, S3, S3_T, "172.16.2.10", flags=0xc802, reqid=reqid, cies=CIES,
                exts=cisco_exts("secret", responder=cie(0, 32, 1514, 600, S2, S2_T)))
    return gre_frame(S2, S3, body, key=1000, src_mac=MAC2, ident=reqid & 0xffff)


with L.StagedNode("cies", NODE, []) as sp:
    sp.feed([redirect])
    c0 = sp.wait_for("a resolution request",
                     lambda c: c["nhrp"]["sent"]["resolution_request"] >= 1)
    sent = sp.resolution_ids("172.16.2.10")
    chk.eq("outstanding resolution requests for 172.16.2.10", len(sent), 1)
    ids = sent[:1] + [(sent[0] if sent else 0) ^ x for x in (1, 2, 0x80000000)]
    sp.feed([reply(i) for i in ids])
    sp.wait_for("two shortcuts", lambda c: len(sp.get("/v1/nhrp/shortcut")) >= 2)
    sp.close_input()
    c = sp.settle()
    cache = sp.cache()
    shortcuts = sp.get("/v1/nhrp/shortcut")
    routes = sp.get("/v1/routes")
harness.log("[cies] nhrp counters: %s" % L.nhrp_nonzero(c))
chk.eq("exit status after SIGTERM", sp.exit_code, 0)
chk.counters(c, {"nhrp.received.traffic_indication": 1,
                 "nhrp.received.resolution_reply": len(ids)})
chk.eq("replies with another request id are counted as unknown",
       c["nhrp"]["dropped"]["unknown_request_id"], len(ids) - 1)
mapped = sorted((k, e["type"], e["nbma"]) for k, e in cache.items()
                if e["type"] != "shortcut" and k != HUB_T + "/32")
chk.eq("a mapping for each successful CIE's next hop, none for the refused one", mapped,
       [(S2_T + "/32", "dynamic", S2), ("10.255.255.4/32", "dynamic", "192.168.200.4"),
        ("10.255.255.5/32", "dynamic", "192.168.200.5")])
chk.eq("one shortcut per prefix, through its most preferred CIE",
       sorted((s["prefix"], s["nexthop"], s["nbma"]) for s in shortcuts),
       [("172.16.0.0/16", "10.255.255.4", "192.168.200.4"),
        ("172.16.2.0/24", "10.255.255.5", "192.168.200.5")])
chk.eq("the shortcuts are routes (type nhrp)",
       sorted((r["prefix"], r["via"]) for r in routes if r["type"] == "nhrp"),
       [("172.16.0.0/16", "10.255.255.4"), ("172.16.2.0/24", "10.255.255.5")])
chk.finish()
