# SPDX-License-Identifier: BSD-3-Clause
"""Forged Resolution Replies and Purge Requests may not remap a spoke's peers or routes.

Spoke3 (192.168.200.3 / 10.255.255.3/24, shortcut = true, NHS the hub .1 at
192.168.200.1, 172.16.0.0/12 via the hub) is fed, in stages:
  1  via the hub, spoke .4's resolution request for spoke3 (it learns .4 at .4), and a
     Traffic Indication about 172.16.3.10 -> 172.16.5.10; spoke5 answers the
     resolution with the request ID spoke3 chose: 172.16.5.0/24 via .5 at .5
  2  a Traffic Indication about 172.16.3.10 -> 172.16.2.10; a stranger at
     192.168.200.66 answers with request IDs 1..16 (the next values of a counter;
     request IDs are random: none matches) and with the right ID but for another
     destination (unknown too): a /8 through itself each time. Nothing is taken and the
     resolution is still pending.
  3  spoke2 answers with the right ID: a /1 through .2 (narrowed to the floor, the tunnel
     subnet's /24, which covers 172.16.2.10), and a CIE moving .5 to the stranger (a
     binding spoke3 learned from an answer of its own: refused)
  4  the stranger purges 0.0.0.0/1 and 128.0.0.0/1 (everything): nothing goes, it owns
     nothing (RFC 2332 5.2.5). Spoke2 purges its own address: its mapping and the
     shortcut through it go. The hub (an NHS) purges .5: its mapping and shortcut go.
  5  a Traffic Indication about 172.16.3.10 -> 10.255.255.7 (a tunnel address); spoke7
     answers with two CIEs, .8 at the stranger's NBMA and .7 at .7: only .7 is mapped
     (a destination on the tunnel subnet is its own next hop).
Each refusal is counted.
"""
import struct

import nhrp_lib as L
from nhrp_lib import RES_REPLY, RES_REQUEST, TRAFFIC_INDICATION, cie, cisco_exts, gre_frame, nhrp

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_reply_forgery")

PURGE_REQUEST = 5
HUB, HUB_T = "192.168.200.1", "10.255.255.1"
S2, S2_T = "192.168.200.2", "10.255.255.2"
S3, S3_T = "192.168.200.3", "10.255.255.3"
S4, S4_T = "192.168.200.4", "10.255.255.4"
S5, S5_T = "192.168.200.5", "10.255.255.5"
S7, S7_T = "192.168.200.7", "10.255.255.7"
EVIL, EVIL_T = "192.168.200.66", "10.255.255.66"
MACS = {HUB: "ca:00:44:d0:00:00", S2: "ca:00:44:e4:00:00", S4: "ca:00:44:04:00:00",
        S5: "ca:00:44:05:00:00", S7: "ca:00:44:07:00:00", EVIL: "02:66:00:00:00:01"}
NODE = dict(wan=S3 + "/24", wan_mtu=1600, lan="172.16.3.1/24", tunnel=S3_T + "/24", key=1000,
            mtu=1514, holdtime=7200, auth="secret", shortcut=True,
            nhs=[(HUB_T, HUB)], routes=[("172.16.0.0/12", HUB_T)],
            neighbors=[("wan", ip, mac) for ip, mac in sorted(MACS.items())])


def frame(outer, body, ident):
    return gre_frame(outer, S3, body, key=1000, src_mac=MACS[outer], ident=ident & 0xffff)


def redirect(dst, ident):
    quoted = L.ipv4("172.16.3.10", dst, 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + bytes(8),
                    ttl=63, tos=0, ident=0x55)
    return frame(HUB, nhrp(TRAFFIC_INDICATION, HUB, HUB_T, S3_T, code=0, payload=quoted,
                           exts=[L.auth_ext("secret")]), ident)


def reply(outer, outer_t, dst, reqid, cies):
    body = nhrp(RES_REPLY, S3, S3_T, dst, flags=0xc802, reqid=reqid, cies=cies,
                exts=cisco_exts("secret", responder=cie(0, 32, 1514, 600, outer, outer_t)))
    return frame(outer, body, reqid)


def purge(outer, outer_t, cies, reqid):
    body = nhrp(PURGE_REQUEST, outer, outer_t, S3_T, reqid=reqid, cies=cies,
                exts=[L.auth_ext("secret")])
    return frame(outer, body, reqid)


# Spoke .4's request, as the hub forwards it (the hub's NBMA outside, .4's inside).
fwd_request = frame(HUB, nhrp(RES_REQUEST, S4, S4_T, S3_T, hop=254, flags=0xc802, reqid=77,
                              cies=[cie(mtu=1514, htime=7200)], exts=cisco_exts("secret")), 77)


def pending(node, target):
    ids = node.resolution_ids(target)
    chk.eq("one resolution request outstanding for " + target, len(ids), 1)
    return ids[0] if ids else 0


def state(node):
    cache = node.cache()
    return ({k: v["nbma"] for k, v in cache.items() if v["type"] != "shortcut"},
            sorted((s["prefix"], s["nexthop"], s["nbma"]) for s in node.get("/v1/nhrp/shortcut")))


with L.StagedNode("reply-forgery", NODE, []) as sp:
    # 1
    sp.feed([fwd_request, redirect("172.16.5.10", 1)])
    sp.wait_for("a resolution request",
                lambda c: c["nhrp"]["sent"]["resolution_request"] >= 1 and
                c["nhrp"]["sent"]["resolution_reply"] >= 1)
    rid5 = pending(sp, "172.16.5.10")
    sp.feed([reply(S5, S5_T, "172.16.5.10", rid5, [cie(0, 24, 1514, 600, S5, S5_T)])])
    sp.wait_for("the shortcut through .5", lambda c: len(sp.get("/v1/nhrp/shortcut")) >= 1)
    maps1, cuts1 = state(sp)
    # 2
    sp.feed([redirect("172.16.2.10", 2)])
    sp.wait_for("a second resolution request",
                lambda c: c["nhrp"]["sent"]["resolution_request"] >= 2)
    rid2 = pending(sp, "172.16.2.10")
    evil_cie = [cie(0, 8, 1514, 600, EVIL, EVIL_T)]
    guesses = list(range(1, 17))      # a sequential counter's next values
    sp.feed([reply(EVIL, EVIL_T, "172.16.2.10", i, evil_cie) for i in guesses] +
            [reply(EVIL, EVIL_T, "172.16.9.9", rid2, evil_cie)])
    c2 = sp.wait_for("the forged replies",
                     lambda c: c["nhrp"]["received"]["resolution_reply"] >= 1 + len(guesses) + 1)
    maps2, cuts2 = state(sp)
    still = sp.resolution_ids("172.16.2.10")
    # 3
    sp.feed([reply(S2, S2_T, "172.16.2.10", rid2,
                   [cie(0, 1, 1514, 600, S2, S2_T), cie(0, 32, 1514, 600, EVIL, S5_T)])])
    c3 = sp.wait_for("spoke2's reply",
                     lambda c: c["nhrp"]["received"]["resolution_reply"] >= 1 + len(guesses) + 2)
    maps3, cuts3 = state(sp)
    # 4
    sp.feed([purge(EVIL, EVIL_T, [cie(0, 1, 1514, 0, EVIL, "0.0.0.0"),
                                  cie(0, 1, 1514, 0, EVIL, "128.0.0.0")], 901)])
    sp.wait_for("the stranger's purge", lambda c: c["nhrp"]["received"]["purge_request"] >= 1)
    maps4, cuts4 = state(sp)
    sp.feed([purge(S2, S2_T, [cie(0, 32, 1514, 0, S2, S2_T)], 902),
             purge(HUB, HUB_T, [cie(0, 32, 1514, 0, S5, S5_T)], 903)])
    sp.wait_for("the owners' purges", lambda c: c["nhrp"]["received"]["purge_request"] >= 3)
    maps5, cuts5 = state(sp)
    # 5
    sp.feed([redirect(S7_T, 3)])
    sp.wait_for("a third resolution request",
                lambda c: c["nhrp"]["sent"]["resolution_request"] >= 3)
    rid7 = pending(sp, S7_T)
    sp.feed([reply(S7, S7_T, S7_T, rid7, [cie(0, 32, 1514, 600, EVIL, "10.255.255.8"),
                                          cie(0, 32, 1514, 600, S7, S7_T)])])
    sp.wait_for("spoke7's reply", lambda c: c["nhrp"]["received"]["resolution_reply"] >= 1 +
                len(guesses) + 3)
    sp.close_input()
    c = sp.settle()
    maps6, cuts6 = state(sp)
harness.log("[reply-forgery] nhrp counters: %s" % L.nhrp_nonzero(c))
chk.eq("exit status after SIGTERM", sp.exit_code, 0)

base = {HUB_T + "/32": HUB, S4_T + "/32": S4}
chk.eq("1: mappings (the NHS, .4 from its request, .5 from the answer)", maps1,
       dict(base, **{S5_T + "/32": S5}))
chk.eq("1: shortcuts", cuts1, [("172.16.5.0/24", S5_T, S5)])
chk.eq("2: forged replies change no mapping", maps2, maps1)
chk.eq("2: forged replies add no shortcut", cuts2, cuts1)
chk.eq("2: the resolution is still pending, its request ID unchanged", still, [rid2])
chk.eq("2: the forged replies are unknown", c2["nhrp"]["dropped"]["unknown_request_id"],
       len(guesses) + 1)
chk.eq("3: mappings (.2 added, .5 not moved to the stranger)", maps3,
       dict(base, **{S5_T + "/32": S5, S2_T + "/32": S2}))
chk.eq("3: shortcuts (the /1 narrowed to 172.16.2.0/24)", cuts3,
       [("172.16.2.0/24", S2_T, S2), ("172.16.5.0/24", S5_T, S5)])
chk.eq("4: the stranger's purge removes nothing (mappings)", maps4, maps3)
chk.eq("4: the stranger's purge removes nothing (shortcuts)", cuts4, cuts3)
chk.eq("4: owners purge theirs (mappings)", maps5, base)
chk.eq("4: owners purge theirs (shortcuts)", cuts5, [])
chk.eq("5: only the destination's own CIE is taken (mappings)", maps6,
       dict(base, **{S7_T + "/32": S7}))
chk.eq("5: no shortcut for a tunnel address", cuts6, [])
chk.counters(c, {
    "nhrp.dropped.reply_off_destination": 1,
    "nhrp.dropped.reply_prefix_narrowed": 1,
    "nhrp.dropped.reply_rebind": 1,
    "nhrp.sent.purge_reply": 3,
})
chk.ok(c["nhrp"]["dropped"].get("purge_not_owner", 0) >= 1,
       "purge_not_owner counts the stranger's purge: %r" % c["nhrp"]["dropped"].get("purge_not_owner"))
chk.finish()
