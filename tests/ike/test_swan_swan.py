# SPDX-License-Identifier: BSD-3-Clause
"""The interop harness checked against itself: two strongSwan charons (kernel-libipsec)
in two namespaces, one directly on the WAN and one behind the NAT namespace, key a GRE
CHILD_SA (PSK, then ECDSA and RSA certificates made by swan.Pki), and a GRE packet
carrying NHRP written on a raw socket on one side arrives on the raw socket of the other,
through ESP in UDP. If this fails the environment is wrong, not dmvpnd."""
import os
import shutil

import swan

swan.require(need_dmvpnd=False)
chk = swan.Checker("ike_swan_swan")
work = swan.workdir("swan")
topo = a = b = None
try:
    topo = swan.Topology("ikt-ss")
    na, nb = topo.ns("a"), topo.ns("b")
    topo.on_wan(na, "eth0", "192.0.2.21/24")
    nat = topo.nat("nat", "192.0.2.254/24")
    topo.veth(nat, "in0", nb, "eth0", addr1="198.19.0.1/24", addr2="198.19.0.22/24")
    swan.ns_run(nb, ["ip", "route", "add", "default", "via", "198.19.0.1"])
    # ike = 4: charon logs its SK_* keys, for checking tshark decryption of the capture
    a = swan.Charon(na, work, "a", log_keys=True).start()
    b = swan.Charon(nb, work, "b").start()
    pki = swan.Pki(work, "rsa")

    def exchange(what, ike):
        sa = swan.wait_for("%s: CHILD_SA on b" % what, lambda: b.child(ike, "gre"), 30)
        chk.ok(sa.get("mode") == "TUNNEL" and sa.get("encap") == "yes",
               "%s: tunnel mode in UDP (%s, encap=%s)" % (what, sa.get("mode"), sa.get("encap")))
        isa = b.established(ike)
        chk.ok(isa.get("nat-local") == "yes", "%s: b sees itself behind NAT" % what)
        ga, gb = swan.GreSocket(na), swan.GreSocket(nb)
        try:
            req = swan.registration_request("198.19.0.22", "198.51.100.22", "198.51.100.21", 7)
            got = None
            for _ in range(5):
                gb.send("192.0.2.21", 0x2001, req)
                got = ga.recv(1.0)
                if got:
                    break
            chk.ok(got is not None and got[1] == 0x2001 and got[2] == req,
                   "%s: NHRP over GRE b -> a through ESP arrives intact" % what)
            gb.send("192.0.2.21", 0x2001, req)   # and back
            # a's CHILD_SA covers b's own (private) address: tunnel mode hides the NAT
            ga.send("198.19.0.22", 0x2001, req)
            back = gb.recv(2.0)
            chk.ok(back is not None and back[2] == req,
                   "%s: and a -> b (to b's address behind the NAT)" % what)
        finally:
            ga.close()
            gb.close()
        sa_a = a.sas().get(ike, {})
        chk.ok(sa_a.get("remote-host") == "192.0.2.254" and sa_a.get("nat-remote") == "yes",
               "%s: a sees b at the NAT's address %s:%s" % (what, sa_a.get("remote-host"),
                                                           sa_a.get("remote-port")))

    # -- PSK, AES-GCM-128
    a.load(swan.swanctl_conf("s", "192.0.2.21", "%any", "192.0.2.21", "%any", psk="interop",
                             local_ts="dynamic[gre]", remote_ts="0.0.0.0/0[gre]"))
    b.load(swan.swanctl_conf("s", "198.19.0.22", "192.0.2.21", "198.19.0.22", "192.0.2.21",
                             psk="interop", remote_ts="dynamic[gre]",
                             local_ts="dynamic[gre]"))
    cap = swan.Capture(na, "eth0", os.path.join(work, "ike.pcap"))
    out = b.initiate("gre", "s")
    chk.ok("successfully" in out, "PSK: swanctl --initiate succeeded")
    cap.stop()
    # The oracle the interop tests use for our keys, checked here on charon's.
    k = swan.charon_ike_keys(a.log_text())
    isa = a.sas()["s"]
    txt = swan.tshark_ikev2(cap.path, [dict(spi_i=isa["initiator-spi"], spi_r=isa["responder-spi"],
                                            sk_ei=k.get("sk_ei", ""), sk_er=k.get("sk_er", ""),
                                            encr=("gcm16", 128))])
    chk.ok("Decrypted Data" in txt and "Identification - Initiator" in txt,
           "tshark decrypts IKE_AUTH with the keys from the log (%d keys)" % len(k))
    exchange("PSK", "s")
    b.terminate_ike("s")
    swan.wait_for("a's SA gone", lambda: "s" not in a.sas(), 15)
    chk.ok(True, "PSK: terminate removed the SA on both sides")

    # -- certificates (RSA CA, ECDSA and RSA leaves), AES-CBC + SHA-256
    ca, cb = pki.leaf("a", "192.0.2.21", "ecdsa"), pki.leaf("b", "198.19.0.22", "rsa")
    swan.install_credentials(a, [ca[0]], [pki.ca_cert], [ca[1]])
    swan.install_credentials(b, [cb[0]], [pki.ca_cert], [cb[1]])
    a.load(swan.swanctl_conf("c", "192.0.2.21", "%any", "192.0.2.21", "%any", auth="pubkey",
                             cert="a.pem", cacert="ca.pem", proposals="aes256-sha256-modp2048",
                             esp="aes128-sha256", local_ts="dynamic[gre]",
                             remote_ts="0.0.0.0/0[gre]"))
    b.load(swan.swanctl_conf("c", "198.19.0.22", "192.0.2.21", "198.19.0.22", "192.0.2.21",
                             auth="pubkey", cert="b.pem", cacert="ca.pem",
                             proposals="aes256-sha256-modp2048", esp="aes128-sha256"))
    out = b.initiate("gre", "c")
    chk.ok("successfully" in out, "certificates: swanctl --initiate succeeded")
    exchange("certificates", "c")
    isa = b.established("c")
    chk.ok(isa is not None and isa.get("encr-alg") == "AES_CBC" and isa.get("encr-keysize") == "256",
           "certificates: IKE SA AES-CBC-256 (%s)" % (isa and isa.get("encr-alg")))
except Exception as e:  # noqa: BLE001
    chk.ok(False, "harness: %s" % e)
    swan.dump_logs(a, b)
finally:
    for c in (a, b):
        if c:
            c.stop()
    if topo:
        topo.close()
if chk.fails == 0:
    shutil.rmtree(work, ignore_errors=True)
else:
    swan.log("kept %s" % work)
chk.finish()
