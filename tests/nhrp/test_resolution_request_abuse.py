# SPDX-License-Identifier: BSD-3-Clause
"""Resolution Requests may not poison or exhaust a hub's NHRP cache (RFC 2332 5.2.1 lets
a responder cache the requester's binding; nothing lets a request take what others own).

The hub (192.168.200.1 / 10.255.255.1/24, GRE key 1000, authentication "secret",
dataplane.max_peers = 16, so at most 16 request-learned mappings too) answers for its own
tunnel address. In stages:
  A  spoke .9 (192.168.200.9) asks for the hub: the hub learns 10.255.255.9 at .9
  B  a stranger at 192.168.200.66 asks in the name of 10.255.255.9, claiming its own NBMA
     and a NAT extension that says .9 is at 192.168.200.77: the mapping stays at .9
  C  the stranger asks 20 times in the names of 8.8.0.x (off the tunnel subnet: never
     cached), then it, 192.168.200.67 and 192.168.200.68 each ask 20 times in the names
     of unused tunnel addresses: at most 8 mappings per requester NBMA and 16 in all
  D  spokes .2 and .3 register: both are accepted (code 0), however full the requests'
     budget is, since max_peers is the registrations' room
Every request is still answered (to where it came from). Each refusal is counted.
"""
import nhrp_lib as L
from nhrp_lib import REG_REPLY, REG_REQUEST, RES_REPLY, RES_REQUEST, cie, cisco_exts, gre_frame, nhrp

harness = L.harness
harness.require()

chk = harness.Checker("nhrp_request_abuse")

HUB, HUB_T = "192.168.200.1", "10.255.255.1"
S2, S2_T, S3, S3_T = "192.168.200.2", "10.255.255.2", "192.168.200.3", "10.255.255.3"
S9, S9_T = "192.168.200.9", "10.255.255.9"
EVIL = ["192.168.200.66", "192.168.200.67", "192.168.200.68"]
NAT_LIE = "192.168.200.77"
MACS = {S2: "ca:00:44:e4:00:00", S3: "ca:00:44:f4:00:00", S9: "ca:00:44:09:00:00",
        EVIL[0]: "02:66:00:00:00:01", EVIL[1]: "02:66:00:00:00:02", EVIL[2]: "02:66:00:00:00:03"}
NODE = dict(wan=HUB + "/24", wan_mtu=1600, lan="172.16.1.1/24", tunnel=HUB_T + "/24", key=1000,
            mtu=1514, holdtime=7200, auth="secret", max_peers=16,
            neighbors=[("wan", ip, mac) for ip, mac in sorted(MACS.items())])


def request(outer, src_nbma, src_proto, reqid, nat=b""):
    """A resolution request for the hub's tunnel address, as IOS builds one."""
    body = nhrp(RES_REQUEST, src_nbma, src_proto, HUB_T, flags=0xc802, reqid=reqid,
                cies=[cie(mtu=1514, htime=7200)], exts=cisco_exts("secret", nat=nat))
    return gre_frame(outer, HUB, body, key=1000, src_mac=MACS[outer], ident=reqid & 0xffff)


def registration(nbma, proto):
    body = nhrp(REG_REQUEST, nbma, proto, HUB_T, flags=0x8002, reqid=1,
                cies=[cie(prefix=32, mtu=1514, htime=7200)], exts=cisco_exts("secret"))
    return gre_frame(nbma, HUB, body, key=1000, src_mac=MACS[nbma])


off_subnet = [request(EVIL[0], EVIL[0], "8.8.0.%d" % i, 100 + i) for i in range(20)]
in_subnet = [request(ev, ev, "10.255.255.%d" % (100 + 20 * k + i), 200 + 20 * k + i)
             for k, ev in enumerate(EVIL) for i in range(20)]
n_requests = 2 + len(off_subnet) + len(in_subnet)

with L.StagedNode("request-abuse", NODE, []) as hub:
    hub.feed([request(S9, S9, S9_T, 1)])
    hub.wait_for("the answer to .9", lambda c: c["nhrp"]["sent"]["resolution_reply"] == 1)
    cache_a = hub.cache()
    hub.feed([request(EVIL[0], EVIL[0], S9_T, 2,
                      nat=cie(prefix=32, mtu=1514, htime=7200, nbma=NAT_LIE, proto=S9_T))])
    hub.feed(off_subnet + in_subnet)
    hub.wait_for("the answers to every request",
                 lambda c: c["nhrp"]["sent"]["resolution_reply"] == n_requests)
    cache_c = hub.cache()
    hub.feed([registration(S2, S2_T), registration(S3, S3_T)])
    hub.wait_for("2 registration replies", lambda c: c["nhrp"]["sent"]["registration_reply"] == 2)
    hub.close_input()
    c = hub.settle()
    cache = hub.cache()
harness.log("[request-abuse] nhrp counters: %s" % L.nhrp_nonzero(c))
chk.eq("exit status after SIGTERM", hub.exit_code, 0)

e = cache_a.get(S9_T + "/32")
chk.eq("A: the hub learned .9 from its request", e and (e["type"], e["nbma"], sorted(e["flags"])),
       ("dynamic", S9, ["learned", "request"]))
e = cache_c.get(S9_T + "/32")
chk.eq("B: a stranger's request (NAT extension naming %s) leaves .9's mapping" % NAT_LIE,
       e and e["nbma"], S9)
chk.eq("C: no mapping off the tunnel subnet",
       sorted(k for k in cache_c if not k.startswith("10.255.255.")), [])
by_nbma = {}
for k, v in cache_c.items():
    by_nbma[v["nbma"]] = by_nbma.get(v["nbma"], 0) + 1
chk.eq("C: request-learned mappings per requester NBMA (8 each at most, 16 in all)",
       [by_nbma.get(x, 0) for x in [S9] + EVIL], [1, 8, 7, 0])
chk.eq("C: no mapping names the NAT extension's address", by_nbma.get(NAT_LIE, 0), 0)

chk.counters(c, {
    "nhrp.received.resolution_request": n_requests,
    "nhrp.sent.resolution_reply": n_requests,
    "nhrp.sent.registration_reply": 2,
    "nhrp.dropped.request_nat_untrusted": 1,
    "nhrp.dropped.request_rebind": 1,
    "nhrp.dropped.request_off_subnet": len(off_subnet),
    "nhrp.dropped.request_budget": len(in_subnet) - 15,
})

out = L.decode(hub.wan_out)
regs = [d for d in out if d["nhrp"] and d["nhrp"].get("type") == REG_REPLY]
chk.eq("D: registration replies (to, CIE codes): both accepted", sorted(
    (d["ip"][0].get("ip.dst"), [x["code"] for x in d["nhrp"]["cies"]]) for d in regs),
    [(S2, [0]), (S3, [0])])
chk.eq("D: the registrations in the cache", sorted(
    (k, v["type"], v["nbma"], "registered" in v["flags"]) for k, v in cache.items()
    if k in (S2_T + "/32", S3_T + "/32")),
    [(S2_T + "/32", "dynamic", S2, True), (S3_T + "/32", "dynamic", S3, True)])
replies = [d for d in out if d["nhrp"] and d["nhrp"].get("type") == RES_REPLY]
chk.eq("every request answered where it came from (outer destinations)", sorted(
    set(d["ip"][0].get("ip.dst") for d in replies)), sorted([S9] + EVIL))
chk.eq("no reply goes to the NAT extension's address",
       [d for d in replies if d["ip"][0].get("ip.dst") == NAT_LIE], [])
chk.finish()
