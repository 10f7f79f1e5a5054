#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""NHRP over ESP speaks for the SA's peer only. A peer with keys for the tunnel
(SA A: tunnel mode in UDP, no inner selectors, as behind a NAT) tries to take
over another peer's registration: it sends, inside its own SA, GRE whose inner
source is the victim's NBMA address carrying (1) a Registration with holding
time 0 for the victim's tunnel address in the victim's name, and (2) a
Registration of the victim's tunnel address. The hub takes the SA's peer as
the sender of both: the withdrawal is refused (only the registrant withdraws),
the unique binding stays the victim's, and the hub answers A, never the victim.

    victim V (SA V, transport)  --\\
                                   hub (NHS, tunnel0 protected)
    attacker A (SA A, tunnel/UDP) -/
"""
import os

import esplib
from esplib import harness, HUB_NBMA

import nhrp_lib  # noqa: E402

esplib.require()

V = esplib.SA(0, "aes128gcm16")
A = esplib.SA(1, "aes128gcm16", mode="tunnel", udp=True)
V_TUN = "198.51.100.200"     # not in the hub's static maps: registered
UNIQUE = 0x8000


def registration(src_nbma, htime, reqid):
    c = nhrp_lib.cie(prefix=32, mtu=1400, htime=htime)
    return nhrp_lib.nhrp(nhrp_lib.REG_REQUEST, src_nbma, V_TUN, "198.51.100.1", flags=UNIQUE,
                         reqid=reqid, cies=[c], exts=nhrp_lib.cisco_exts())


def via_sa(sa, seq, inner_src, msg):
    g = esplib.gre(msg, proto=0x2001)
    if sa.tunnel:
        p, nh = esplib.ipv4(inner_src, HUB_NBMA, 47, g), 4
    else:
        p, nh = g, 47
    esp = esplib.seal(sa, seq, p, nh)
    body = esplib.udp(sa.udp_port, 4500, esp) if sa.udp else esp
    return esplib.eth_wan(esplib.ipv4(sa.nbma, HUB_NBMA, 17 if sa.udp else 50, body), sa.mac)


wan_in = [via_sa(V, 1, None, registration(V.nbma, 600, 1)),
          via_sa(A, 1, V.nbma, registration(V.nbma, 0, 2)),
          via_sa(A, 2, V.nbma, registration(V.nbma, 600, 3))]

chk = harness.Checker("esp_nhrp_bind")
with esplib.EspHub("esp-nhrp-bind", [V, A], wan_in=wan_in) as hub:
    c = hub.settle()
    cache = {e["protocol"]: e for e in hub.get("/v1/nhrp/cache")}
harness.log("counters: " + harness.nonzero(c))
harness.log("cache: %r" % cache)
chk.eq("dmvpnd exit status", hub.exit_code, 0)
e = cache.get(V_TUN + "/32", {})
chk.eq("the victim's tunnel address is still bound to the victim's NBMA",
       (e.get("nbma"), e.get("type")), (V.nbma, "dynamic"))
# The hub's replies, decrypted by tshark: one to V (success), two to A (refused),
# none of A's to the victim's address.
rows = esplib.tshark_esp(hub.wan_out, [V, A], ["ip.dst", "nhrp.hdr.op.type", "nhrp.code"])
replies = [(r["ip.dst"][-1], r["nhrp.code"][:1]) for r in rows if r["nhrp.hdr.op.type"] == ["4"]]
chk.eq("registration replies (to, CIE codes)", replies,
       [(V.nbma, ["0"]), (A.nbma, ["14"]), (A.nbma, ["14"])])
chk.finish()
