# SPDX-License-Identifier: BSD-3-Clause
"""dmvpnd's IKEv2 against strongSwan 5.9 (charon, kernel-libipsec), each in its own
namespace, over real veths and a bridge; one scenario per run (argv[1]):

  swan-init-psk-gcm    strongSwan initiates (PSK, AES-GCM-128, ECP-256), registers with the
                       hub through ESP, pings a host behind it; strongSwan rekeys the
                       CHILD_SA under traffic; tshark decrypts the hub's IKE messages with
                       the keys dmvpnd logs; swanctl --terminate cleans up on our side.
  swan-init-rsa-cbc    RSA certificates, IKE AES-CBC-256/SHA-256/MODP-2048, ESP AES-CBC-128 +
                       HMAC-SHA-256; registration and pings; DPD: charon killed, the hub
                       removes its IKE SA and ESP SAs.
  swan-init-nat        strongSwan behind the NAT namespace (NAT-T, PSK): IKE and CHILD_SA up,
                       both ends detect the NAT, the selectors name the peer's own address;
                       DPD when charon dies.
  swan-init-nat-nhrp   the same, plus registration and pings through the NAT.
  swan-init-ecdsa      ECDSA certificates; the hub rekeys the CHILD_SA itself (short
                       rekey_time) under traffic with nothing lost.
  swan-resp-nat        dmvpnd, a spoke behind the NAT namespace, keys its NHS (strongSwan)
                       through it (NAT-T from our side) and registers in ESP in UDP.
  swan-hub-rekeys-ike  the hub rekeys the IKE SA (short rekey_time) under traffic: the CHILD_SA
                       moves over, nothing lost, one IKE SA left on each side.
  swan-refused         a wrong PSK, IKE and ESP proposals we do not support, an unexpected
                       responder identity: strongSwan cannot connect, the hub answers the
                       right notify, counts it and keeps no SA; then the right one works.
  swan-resp-psk        dmvpnd is the spoke: it initiates IKE to strongSwan (its NHS) and
                       its Registration Request arrives on strongSwan's side through ESP.

Every check is what a user checks: swanctl --list-sas, dmvpnctl / the control API, packets
arriving (or not) on the other side, and tshark."""
import json
import os
import shutil
import sys
import threading
import time

import swan

HUB_NBMA, HUB_TUN, HOST0 = "192.0.2.1", "198.51.100.1", "198.18.0.10"
SW_NBMA, SW_TUN = "192.0.2.11", "198.51.100.11"
NAT_OUT, SW_PRIV = "192.0.2.254", "198.19.0.11"
PSK = "interop-secret-0123456789"

scenario = sys.argv[1] if len(sys.argv) > 1 else "swan-init-psk-gcm"
swan.require()
chk = swan.Checker("ike_" + scenario)
work = swan.workdir(scenario)
topo = hub = sw = None


def ike_conf(auth="psk", proposals="aes128gcm16-prfsha256-ecp256", esp="aes128gcm16",
             cert=None, key=None, cacert=None, child_rekey=None, dpd=None, ike_rekey=None):
    """dmvpnd's ike section (swanctl-shaped: /work/notes/ikeglue-config.md)."""
    local = 'auth = "%s";' % auth
    remote = 'auth = "%s";' % auth
    if auth == "pubkey":
        # Our identity is our address (its certificate's subjectAltName), as the spoke
        # expects: without id the certificate's subject DN would be used.
        local += ' id = "%s"; cert = "%s"; key = "%s";' % (HUB_NBMA, cert, key)
        remote += ' cacert = "%s";' % cacert
    child = 'esp_proposals = [ "%s" ]; mode = "transport";' % esp
    if child_rekey:
        child += " rekey_time = %d;" % child_rekey
    conn = 'tunnel = "tunnel0"; proposals = [ "%s" ];' % proposals
    if dpd:
        conn += " dpd_delay = %d; dpd_timeout = %d;" % dpd
    if ike_rekey:
        conn += " rekey_time = %d;" % ike_rekey
    s = ("ike = {\n  connections = {\n    dmvpn = {\n      %s\n      local = { %s };\n"
         "      remote = { %s };\n      children = { gre = { %s }; };\n    };\n  };\n" %
         (conn, local, remote, child))
    if auth == "psk":
        s += '  secrets = { s = { id = "%%any"; secret = "%s"; }; };\n' % PSK
    return s + "};\n"


def build(behind_nat=False, hub_ike="", hub_nhrp="redirect = true;", dmvpnd_behind_nat=False):
    """Topology and the two peers (not yet connected). behind_nat: strongSwan sits behind
    the NAT namespace; dmvpnd_behind_nat: dmvpnd does (its WAN port 198.19.0.2/24)."""
    global topo, hub, sw
    topo = swan.Topology("ikt-" + scenario[:8].replace("-", ""))
    nh, nhost = topo.ns("hub"), topo.ns("host0")
    wan, gw = HUB_NBMA + "/24", None
    if dmvpnd_behind_nat:
        nat = topo.nat("nat", NAT_OUT + "/24")
        topo.veth(nat, "in0", nh, "wan0", addr1="198.19.0.1/24")
        wan, gw = "198.19.0.2/24", "198.19.0.1"
    else:
        topo.on_wan(nh, "wan0")
    topo.veth(nh, "lan0", nhost, "eth0", addr2=HOST0 + "/24")
    swan.ns_run(nhost, ["ip", "route", "add", "default", "via", "198.18.0.1"])
    ns_sw = topo.ns("sw")
    if behind_nat:
        nat = topo.nat("nat", NAT_OUT + "/24")
        topo.veth(nat, "in0", ns_sw, "eth0", addr1="198.19.0.1/24", addr2=SW_PRIV + "/24")
        swan.ns_run(ns_sw, ["ip", "route", "add", "default", "via", "198.19.0.1"])
    else:
        topo.on_wan(ns_sw, "eth0", SW_NBMA + "/24")
    hub = swan.Dmvpnd(nh, work, "hub", swan.dmvpnd_conf(
        wan, "198.18.0.1/24", HUB_TUN + "/24", nhrp=hub_nhrp, rest=hub_ike, gateway=gw))
    r = swan.subprocess.run([swan.dmvpnd_path(), "--check", "-c", hub.conf],
                            stdout=swan.subprocess.PIPE, stderr=swan.subprocess.STDOUT, text=True)
    if not chk.ok(r.returncode == 0, "dmvpnd --check accepts the configuration: " +
                  r.stdout.strip()[-300:]):
        raise RuntimeError("configuration refused")
    hub.start()
    sw = swan.Charon(ns_sw, work, "sw").start()
    return ns_sw


def ike_sas():
    return hub.get("/v1/ike/sa")


def ike_sa_of(addr):
    for e in ike_sas():
        if addr in json.dumps(e):
            return e
    return None


def ipsec_sa_of(addr):
    for e in hub.get("/v1/ipsec/sa"):
        if e.get("peer") == addr:
            return e
    return None


def wait_up(ike, seen_as):
    c = swan.wait_for("strongSwan's CHILD_SA", lambda: sw.child(ike, "gre"), 40)
    isa = sw.established(ike)
    chk.ok(True, "strongSwan: IKE SA %s ESTABLISHED (%s-%s, %s), CHILD_SA INSTALLED %s %s%s" % (
        ike, isa.get("encr-alg"), isa.get("encr-keysize"), isa.get("dh-group"), c.get("mode"),
        c.get("encr-alg"), "/" + c["integ-alg"] if c.get("integ-alg") else ""))
    ours = swan.wait_for("the hub's IKE SA with %s" % seen_as, lambda: ike_sa_of(seen_as), 10)
    chk.ok("ESTABLISHED" in json.dumps(ours), "hub: /v1/ike/sa lists %s ESTABLISHED" % seen_as)
    esp = swan.wait_for("the hub's ESP SA", lambda: ipsec_sa_of(seen_as), 10)
    chk.eq("hub's inbound SPI is strongSwan's outbound", esp.get("spi_in"),
           c.get("spi-out", "").zfill(8))
    chk.eq("hub's outbound SPI is strongSwan's inbound", esp.get("spi_out"),
           c.get("spi-in", "").zfill(8))
    chk.eq("hub's SA mode (kernel-libipsec does tunnel mode only)", esp.get("mode"), "tunnel")
    chk.eq("hub's SA is ESP in UDP", esp.get("encapsulation"), "udp")
    shown = hub.ctl("show", "ike", "sa")
    chk.ok(seen_as in shown, "dmvpnctl show ike sa names the peer:\n" + shown.strip())
    return c


def register(gre, src_nbma, seen_as, reqid=1):
    """NHRP Registration Request from the strongSwan spoke through ESP; the hub's reply
    must come back the same way, and its cache must hold the spoke."""
    req = swan.registration_request(src_nbma, SW_TUN, HUB_TUN, reqid)
    got = None
    for _ in range(5):
        gre.send(HUB_NBMA, 0x2001, req)
        t_end = time.monotonic() + 2
        while time.monotonic() < t_end:
            r = gre.recv(0.5)
            if r and r[1] == 0x2001:
                p = swan.parse_nhrp(r[2])
                if p and p[0] == 4 and p[1] == reqid:   # Registration Reply
                    got = p
                    break
        if got:
            break
    chk.ok(got is not None and got[2] == 0,
           "the hub answered the registration through ESP (reply %r)" % (got,))
    cache = hub.get("/v1/nhrp/cache")
    ent = [e for e in cache if SW_TUN in json.dumps(e)]
    chk.ok(len(ent) == 1 and seen_as in json.dumps(ent[0]),
           "hub's NHRP cache: %s at %s (%s)" % (SW_TUN, seen_as, json.dumps(ent)))


def wait_registration_request(gre, seconds=40):
    """The first NHRP Registration Request strongSwan's side receives from dmvpnd:
    (outer source, parsed NHRP, raw NHRP), or None."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r = gre.recv(0.5)
        if r and r[1] == 0x2001:
            p = swan.parse_nhrp(r[2])
            if p and p[0] == 3:
                return (r[0], p, r[2])
    return None


def ping_stream(gre, stop, stats, interval=0.02):
    """ICMP echoes in GRE from the spoke's tunnel address to host0 behind the hub, and
    their replies back: what a rekey must not lose."""
    seq = 0
    while not stop.is_set():
        seq += 1
        gre.send(HUB_NBMA, 0x0800, swan.icmp_echo(SW_TUN, HOST0, 0x77, seq))
        stats["sent"] += 1
        t_end = time.monotonic() + interval
        while time.monotonic() < t_end:
            r = gre.recv(max(0.001, t_end - time.monotonic()))
            if r and r[1] == 0x0800 and len(r[2]) >= 28 and r[2][20] == 0:
                stats["got"].add(int.from_bytes(r[2][26:28], "big"))
    t_end = time.monotonic() + 1.0      # the last replies in flight
    while time.monotonic() < t_end:
        r = gre.recv(0.1)
        if r and r[1] == 0x0800 and len(r[2]) >= 28 and r[2][20] == 0:
            stats["got"].add(int.from_bytes(r[2][26:28], "big"))


def pings(gre, n=10, to=HUB_NBMA):
    stop, stats = threading.Event(), {"sent": 0, "got": set()}
    stop.set()
    for i in range(n):
        gre.send(to, 0x0800, swan.icmp_echo(SW_TUN, HOST0, 0x78, i + 1))
        r = gre.recv(1.0)
        while r and not (r[1] == 0x0800 and r[2][20] == 0):
            r = gre.recv(1.0)
        if r:
            stats["got"].add(i + 1)
    return len(stats["got"])


def rekey_under_traffic(gre, what, do_rekey, old_spi, ike):
    stop, stats = threading.Event(), {"sent": 0, "got": set()}
    th = threading.Thread(target=ping_stream, args=(gre, stop, stats))
    th.start()
    try:
        time.sleep(1.0)
        do_rekey()
        new = swan.wait_for("a new CHILD_SA (%s)" % what,
                            lambda: (lambda c: c if c and c.get("spi-in") != old_spi else None)(
                                sw.child(ike, "gre")), 60, 0.5)
        time.sleep(2.0)
    finally:
        stop.set()
        th.join()
    lost = stats["sent"] - len(stats["got"])
    chk.ok(stats["sent"] > 50 and lost == 0,
           "%s: %d pings through the hub across the rekey, %d lost (SPI %s -> %s)" % (
               what, stats["sent"], lost, old_spi, new.get("spi-in")))
    return new


def cleaned_up(seen_as, why, registered=True):
    ok = swan.wait_for("the hub to forget %s (%s)" % (seen_as, why),
                       lambda: ike_sa_of(seen_as) is None and ipsec_sa_of(seen_as) is None, 60, 0.5)
    chk.ok(ok, "%s: /v1/ike/sa and /v1/ipsec/sa no longer list %s" % (why, seen_as))
    if registered:
        # An IKE SA that dies takes the peer's NHRP registration with it.
        gone = swan.wait_for("the spoke's NHRP entry to go", lambda: not [
            e for e in hub.get("/v1/nhrp/cache") if SW_TUN in json.dumps(e)], 10, 0.5)
        chk.ok(gone, "%s: the hub's NHRP cache no longer has %s" % (why, SW_TUN))


def hub_keys():
    """The key lines dmvpnd logs at debug level, as given (the UAT record)."""
    out = []
    for line in hub.log_text().splitlines():
        if "ikev2_decryption_table: " in line:
            out.append(line.split("ikev2_decryption_table: ", 1)[1].strip())
    return out


def tshark_decrypts(pcap, records):
    prof = swan.tempfile.mkdtemp(prefix="ikt-tshark.")
    try:
        os.makedirs(os.path.join(prof, "wireshark"))
        with open(os.path.join(prof, "wireshark", "ikev2_decryption_table"), "w") as f:
            f.write("\n".join(records) + "\n")
        env = dict(os.environ, XDG_CONFIG_HOME=prof, HOME=prof)
        return swan.run(["tshark", "-n", "-r", pcap, "-V", "-Y", "isakmp"], env=env, check=False)
    finally:
        shutil.rmtree(prof, ignore_errors=True)


# ---------------------------------------------------------------- scenarios

def swan_init_psk_gcm():
    ns_sw = build(hub_ike=ike_conf(dpd=(5, 20)))
    cap = swan.Capture(topo.wan, "br0", os.path.join(work, "wan.pcap"))
    sw.load(swan.swanctl_conf("hub", SW_NBMA, HUB_NBMA, SW_NBMA, HUB_NBMA, psk=PSK))
    out = sw.initiate("gre", "hub")
    chk.ok("successfully" in out, "swanctl --initiate (PSK, aes128gcm16-prfsha256-ecp256)")
    c = wait_up("hub", SW_NBMA)
    cap.stop()
    recs = hub_keys()
    chk.ok(len(recs) >= 1, "dmvpnd -v logged the IKE SA's keys (%d record)" % len(recs))
    txt = tshark_decrypts(cap.path, recs)
    chk.ok(txt.count("Decrypted Data") >= 2 and "Identification - Responder" in txt,
           "tshark decrypts the hub's IKE_AUTH with the logged keys")
    gre = swan.GreSocket(ns_sw)
    try:
        register(gre, SW_NBMA, SW_NBMA)
        chk.eq("pings to host0 through the hub and back in ESP", pings(gre), 10)
        c = rekey_under_traffic(gre, "strongSwan rekeys the CHILD_SA",
                                lambda: sw.rekey_child("gre"), c.get("spi-in"), "hub")
        esp = ipsec_sa_of(SW_NBMA)
        chk.eq("the hub uses the new SA", esp and esp.get("spi_out"), c.get("spi-in", "").zfill(8))
        isa = sw.established("hub")
        sw.rekey_ike("hub")
        swan.wait_for("strongSwan's rekeyed IKE SA",
                      lambda: (lambda s: s and s.get("initiator-spi") != isa.get("initiator-spi"))(
                          sw.established("hub")), 30, 0.5)
        chk.eq("pings after the IKE SA rekey", pings(gre), 10)
    finally:
        gre.close()
    sw.terminate_ike("hub")
    cleaned_up(SW_NBMA, "swanctl --terminate")


def swan_init_rsa_cbc():
    pki = swan.Pki(work, "rsa")
    hc, hk = pki.leaf("hub", HUB_NBMA, "rsa")
    sc, sk = pki.leaf("sw", SW_NBMA, "rsa")
    ns_sw = build(hub_ike=ike_conf("pubkey", "aes256-sha256-modp2048", "aes128-sha256", hc, hk,
                                   pki.ca_cert, dpd=(2, 10)))
    swan.install_credentials(sw, [sc], [pki.ca_cert], [sk])
    sw.load(swan.swanctl_conf("hub", SW_NBMA, HUB_NBMA, SW_NBMA, HUB_NBMA, auth="pubkey",
                              cert="sw.pem", cacert="ca.pem", proposals="aes256-sha256-modp2048",
                              esp="aes128-sha256"))
    out = sw.initiate("gre", "hub")
    chk.ok("successfully" in out, "swanctl --initiate (RSA certificates, AES-CBC)")
    c = wait_up("hub", SW_NBMA)
    isa = sw.established("hub")
    chk.ok((isa.get("encr-alg"), isa.get("encr-keysize"), isa.get("integ-alg"), isa.get("dh-group")) ==
           ("AES_CBC", "256", "HMAC_SHA2_256_128", "MODP_2048"),
           "IKE SA AES-CBC-256 / HMAC-SHA2-256-128 / MODP-2048 (%s)" % isa)
    chk.ok((c.get("encr-alg"), c.get("encr-keysize"), c.get("integ-alg")) ==
           ("AES_CBC", "128", "HMAC_SHA2_256_128"), "CHILD_SA AES-CBC-128 / HMAC-SHA2-256-128")
    esp = ipsec_sa_of(SW_NBMA)
    chk.eq("the hub's ESP SA", esp.get("algorithm"), "aes128-sha256")
    chk.eq("strongSwan's traffic selectors: GRE between the NBMA addresses",
           (c.get("local-ts"), c.get("remote-ts")), (["%s/32[gre]" % SW_NBMA], ["%s/32[gre]" % HUB_NBMA]))
    gre = swan.GreSocket(ns_sw)
    try:
        register(gre, SW_NBMA, SW_NBMA)
        chk.eq("pings to host0 through the hub and back in ESP", pings(gre), 10)
    finally:
        gre.close()
    sw.kill()
    cleaned_up(SW_NBMA, "DPD after charon was killed")


def swan_init_nat(nhrp=False):
    ns_sw = build(behind_nat=True, hub_ike=ike_conf(dpd=(2, 10)))
    sw.load(swan.swanctl_conf("hub", SW_PRIV, HUB_NBMA, SW_PRIV, HUB_NBMA, psk=PSK))
    out = sw.initiate("gre", "hub")
    chk.ok("successfully" in out, "swanctl --initiate from behind the NAT")
    wait_up("hub", NAT_OUT)
    isa = sw.established("hub")
    chk.ok(isa.get("nat-local") == "yes", "strongSwan detected the NAT in front of it")
    ours = ike_sa_of(NAT_OUT)
    chk.ok(ours.get("nat_remote") is True, "the hub detected the NAT in front of the peer")
    c = sw.child("hub", "gre")
    chk.eq("strongSwan's selectors: its own address behind the NAT to the hub's",
           (c.get("local-ts"), c.get("remote-ts")), (["%s/32[gre]" % SW_PRIV], ["%s/32[gre]" % HUB_NBMA]))
    chk.eq("the hub's CHILD_SA names the same selectors",
           ((ours.get("child") or {}).get("ts_remote"), (ours.get("child") or {}).get("ts_local")),
           (SW_PRIV, HUB_NBMA))
    esp = ipsec_sa_of(NAT_OUT) or {}
    chk.eq("the hub's ESP SA puts the selectors in its inner headers (/v1/ipsec/sa)",
           (esp.get("inner_remote"), esp.get("inner_local")), (SW_PRIV, HUB_NBMA))
    shown = hub.ctl("show", "ipsec", "sa")
    chk.ok("inner %s === %s" % (HUB_NBMA, SW_PRIV) in shown,
           "dmvpnctl show ipsec sa shows them:\n" + shown.strip())
    if nhrp:
        gre = swan.GreSocket(ns_sw)
        try:
            register(gre, SW_PRIV, NAT_OUT)
            chk.eq("pings to host0 from behind the NAT", pings(gre), 10)
        finally:
            gre.close()
    sw.kill()
    cleaned_up(NAT_OUT, "DPD after charon was killed", registered=nhrp)


def swan_init_ecdsa():
    pki = swan.Pki(work, "ecdsa")
    hc, hk = pki.leaf("hub", HUB_NBMA, "ecdsa")
    sc, sk = pki.leaf("sw", SW_NBMA, "ecdsa")
    ns_sw = build(hub_ike=ike_conf("pubkey", cert=hc, key=hk, cacert=pki.ca_cert, child_rekey=20))
    swan.install_credentials(sw, [sc], [pki.ca_cert], [sk])
    sw.load(swan.swanctl_conf("hub", SW_NBMA, HUB_NBMA, SW_NBMA, HUB_NBMA, auth="pubkey",
                              cert="sw.pem", cacert="ca.pem"))
    out = sw.initiate("gre", "hub")
    chk.ok("successfully" in out, "swanctl --initiate (ECDSA certificates)")
    c = wait_up("hub", SW_NBMA)
    gre = swan.GreSocket(ns_sw)
    try:
        register(gre, SW_NBMA, SW_NBMA)
        # The hub's rekey_time is 20 s: it starts the CHILD_SA rekey on its own.
        rekey_under_traffic(gre, "the hub rekeys the CHILD_SA (rekey_time 20 s)", lambda: None,
                            c.get("spi-in"), "hub")
    finally:
        gre.close()
    sw.terminate_ike("hub")
    cleaned_up(SW_NBMA, "swanctl --terminate")


def swan_resp_psk():
    # dmvpnd is a spoke whose NHS is strongSwan: it must key the tunnel before it registers.
    ns_sw = build(hub_ike=ike_conf(), hub_nhrp='nhs = ( { protocol = "%s"; nbma = "%s"; } );' %
                  (SW_TUN, SW_NBMA))
    sw.load(swan.swanctl_conf("spoke", SW_NBMA, "%any", SW_NBMA, "%any", psk=PSK,
                              remote_ts="0.0.0.0/0[gre]"))
    gre = swan.GreSocket(ns_sw)
    try:
        got = wait_registration_request(gre)
        chk.ok(got is not None and got[0] == HUB_NBMA,
               "dmvpnd's Registration Request reached strongSwan through ESP (%r)" % (got,))
    finally:
        gre.close()
    isa = sw.established("spoke")
    chk.ok(isa is not None and isa.get("initiator") != "yes",
           "strongSwan is the responder of dmvpnd's IKE SA")
    ours = ike_sa_of(SW_NBMA)
    chk.ok(ours is not None and ours.get("initiator") in (1, True),
           "hub: /v1/ike/sa says we initiated (%s)" % json.dumps(ours))
    c = sw.child("spoke", "gre")
    chk.ok(c is not None and c.get("mode") == "TUNNEL",
           "dmvpnd fell back to tunnel mode for kernel-libipsec (%s)" % (c and c.get("mode")))
    sw.terminate_ike("spoke")
    # A spoke that loses its NHS's SA sets it up again.
    again = swan.wait_for("dmvpnd to set the IKE SA up again",
                          lambda: sw.established("spoke"), 40, 0.5)
    chk.ok(again is not None, "after swanctl --terminate, dmvpnd keyed its NHS again")


def swan_hub_rekeys_ike():
    # The hub's IKE SA rekey_time is 15 s: it rekeys the IKE SA itself (CREATE_CHILD_SA with
    # a new KE); the CHILD_SA moves to the new IKE SA and traffic does not notice.
    ns_sw = build(hub_ike=ike_conf(ike_rekey=15))
    sw.load(swan.swanctl_conf("hub", SW_NBMA, HUB_NBMA, SW_NBMA, HUB_NBMA, psk=PSK))
    out = sw.initiate("gre", "hub")
    chk.ok("successfully" in out, "swanctl --initiate")
    c = wait_up("hub", SW_NBMA)
    old = sw.established("hub")
    gre = swan.GreSocket(ns_sw)
    stop, stats = threading.Event(), {"sent": 0, "got": set()}
    th = threading.Thread(target=ping_stream, args=(gre, stop, stats))
    try:
        register(gre, SW_NBMA, SW_NBMA)
        th.start()
        new = swan.wait_for("the IKE SA rekeyed by the hub", lambda: (lambda s: s if s and (
            s.get("initiator-spi"), s.get("responder-spi")) != (old.get("initiator-spi"),
                                                              old.get("responder-spi")) else None)(
            sw.established("hub")), 45, 0.5)
        time.sleep(2.0)
    finally:
        stop.set()
        if th.is_alive():
            th.join()
        gre.close()
    chk.ok(new.get("initiator") != "yes", "the hub initiated the rekey (new SPIs %s_i %s_r)" % (
        new.get("initiator-spi"), new.get("responder-spi")))
    chk.eq("one IKE SA on strongSwan afterwards", len(sw.sas()), 1)
    c2 = sw.child("hub", "gre")
    chk.ok(c2 is not None and c2.get("spi-in") == c.get("spi-in"),
           "the CHILD_SA moved to the new IKE SA unchanged")
    lost = stats["sent"] - len(stats["got"])
    chk.ok(stats["sent"] > 50 and lost == 0, "%d pings across the IKE SA rekey, %d lost" % (
        stats["sent"], lost))
    ours = [e for e in ike_sas() if e.get("state") == "ESTABLISHED"]
    chk.ok(len(ours) == 1 and ours[0].get("spi_i") == new.get("initiator-spi"),
           "the hub lists the new IKE SA only (%s)" % [e.get("spi_i") for e in ike_sas()])


def swan_resp_nat():
    # dmvpnd is a spoke behind the NAT namespace and keys its NHS, strongSwan, through it:
    # NAT-T from our side, the registration arrives in ESP in UDP.
    ns_sw = build(dmvpnd_behind_nat=True, hub_ike=ike_conf(),
                  hub_nhrp='nhs = ( { protocol = "%s"; nbma = "%s"; } );' % (SW_TUN, SW_NBMA))
    sw.load(swan.swanctl_conf("spoke", SW_NBMA, "%any", SW_NBMA, "%any", psk=PSK,
                              remote_ts="0.0.0.0/0[gre]"))
    gre = swan.GreSocket(ns_sw)
    try:
        got = wait_registration_request(gre)
        # Tunnel mode: the inner source is the selector both ends agreed (the NAT's
        # address); charon drops anything else "due to policy". NHRP itself still
        # claims dmvpnd's own address (its NAT extension does the rest).
        chk.ok(got is not None and got[0] == NAT_OUT and got[2][28:32] == bytes([198, 19, 0, 2]),
               "dmvpnd's Registration Request reached strongSwan through the NAT in ESP, "
               "inner source the agreed selector %s, claimed NBMA 198.19.0.2 (%r)" % (
                   NAT_OUT, got and got[:2]))
        if got:
            # strongSwan's side plays the NHS: the request echoed as a Reply (success),
            # sent back to the selector, through charon's ESP and the NAT.
            rep = bytearray(got[2])
            rep[17] = 4
            gre.send(NAT_OUT, 0x2001, swan.NL.refresh_checksum(bytes(rep)))
        nhs = swan.wait_for("dmvpnd's NHS up", lambda: [
            h for h in hub.get("/v1/nhrp/nhs") if h.get("state") == "up"], 10, 0.3)
        chk.ok(bool(nhs), "dmvpnd took the Registration Reply from inside the ESP: NHS %s up (%s)" % (
            SW_TUN, hub.get("/v1/nhrp/nhs")))
        chk.eq("pings from strongSwan's side to host0 behind dmvpnd, through the NAT",
               pings(gre, to=NAT_OUT), 10)
    finally:
        gre.close()
    isa = sw.established("spoke")
    chk.ok(isa is not None and isa.get("remote-host") == NAT_OUT and isa.get("nat-remote") == "yes",
           "strongSwan sees dmvpnd at the NAT's address, behind a NAT (%s:%s)" % (
               isa and isa.get("remote-host"), isa and isa.get("remote-port")))
    ours = ike_sa_of(SW_NBMA)
    chk.ok(ours is not None and ours.get("initiator") is True and ours.get("nat_local") is True and
           ours.get("local_port") == 4500, "dmvpnd initiated, knows it is behind a NAT, floated to 4500")
    esp = ipsec_sa_of(SW_NBMA)
    chk.ok(esp is not None and esp.get("encapsulation") == "udp" and esp.get("mode") == "tunnel",
           "its ESP SA: tunnel mode (strongSwan's), in UDP (%s)" % esp)
    c = sw.child("spoke", "gre") or {}
    ch = (ours or {}).get("child") or {}
    chk.eq("its ESP SA's inner addresses are the CHILD_SA's selectors",
           ((esp or {}).get("inner_local"), (esp or {}).get("inner_remote")),
           (ch.get("ts_local"), ch.get("ts_remote")))
    chk.eq("both ends agree on the CHILD_SA's selectors (strongSwan's remote, local = ours)",
           (c.get("remote-ts"), c.get("local-ts")),
           (["%s/32[gre]" % ch.get("ts_local")], ["%s/32[gre]" % ch.get("ts_remote")]))


def swan_refused():
    # What the hub must refuse, leaving nothing behind: each time no IKE SA, no ESP SA.
    build(hub_ike=ike_conf())
    cases = [
        ("a wrong pre-shared key", dict(psk="not-the-secret"), "auth_failed",
         "AUTHENTICATION_FAILED"),
        ("IKE proposals we do not support (3DES/SHA-1/MODP-1024)",
         dict(psk=PSK, proposals="3des-sha1-modp1024"), "no_proposal_chosen", "NO_PROPOSAL_CHOSEN"),
        ("ESP proposals outside ours (AES-GCM-256)", dict(psk=PSK, esp="aes256gcm16"),
         "no_proposal_chosen", "NO_PROPOSAL_CHOSEN"),
        ("an identity the hub does not expect from itself (remote id 192.0.2.99)",
         dict(psk=PSK, remote_id="192.0.2.99"), None, None),
    ]
    for what, kw, counter, notify in cases:
        before = hub.get("/v1/counters").get("ike", {})
        rid = kw.pop("remote_id", HUB_NBMA)
        sw.load(swan.swanctl_conf("hub", SW_NBMA, HUB_NBMA, SW_NBMA, rid, **kw))
        out = sw.initiate("gre", "hub", timeout=15)
        chk.ok("successfully" not in out, "%s: strongSwan could not connect" % what)
        if notify:
            chk.ok(notify in out or notify in sw.log_text(),
                   "%s: the hub answered %s" % (what, notify))
        time.sleep(1.0)
        after = hub.get("/v1/counters").get("ike", {})
        if counter:
            chk.ok(after.get(counter, 0) > before.get(counter, 0),
                   "%s: counted as %s (%s -> %s)" % (what, counter, before.get(counter),
                                                     after.get(counter)))
        chk.ok(swan.wait_for("the hub to have no IKE SA", lambda: not ike_sas(), 20, 0.5),
               "%s: no IKE SA left on the hub" % what)
        chk.ok(ipsec_sa_of(SW_NBMA) is None, "%s: no ESP SA on the hub" % what)
        sw.terminate_ike("hub")
        sw.swanctl("--unload-conn", "--name", "hub", check=False)
    # and then the right configuration still works: nothing stuck behind
    sw.load(swan.swanctl_conf("hub", SW_NBMA, HUB_NBMA, SW_NBMA, HUB_NBMA, psk=PSK))
    out = sw.initiate("gre", "hub")
    chk.ok("successfully" in out, "afterwards the right configuration connects")


SCENARIOS = {"swan-init-psk-gcm": swan_init_psk_gcm, "swan-init-rsa-cbc": swan_init_rsa_cbc,
             "swan-init-nat": swan_init_nat,
             "swan-init-nat-nhrp": lambda: swan_init_nat(nhrp=True),
             "swan-init-ecdsa": swan_init_ecdsa, "swan-resp-psk": swan_resp_psk,
             "swan-refused": swan_refused, "swan-resp-nat": swan_resp_nat, "swan-hub-rekeys-ike": swan_hub_rekeys_ike}

try:
    SCENARIOS[scenario]()
except Exception as e:  # noqa: BLE001
    chk.ok(False, "%s: %s" % (scenario, e))
    swan.dump_logs(hub, sw)
finally:
    if sw:
        sw.stop()
    if hub:
        hub.stop()
    if topo:
        topo.close()
if chk.fails == 0:
    shutil.rmtree(work, ignore_errors=True)
else:
    swan.log("kept %s" % work)
chk.finish()
