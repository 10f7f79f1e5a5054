# SPDX-License-Identifier: BSD-3-Clause
"""A static outbound key used once is never installed again by the same process.

    host0 --5 packets--> [hub] --ESP under A's outbound key, seq 1..5--> peer0
    reload without A (removed), reload with A again (refused: 422, SA absent)
    reload with peer1's SA B (fresh key: installed), B -> C, then C -> B (refused)

Re-installing A would start its sequence at 1 again under the same AES-GCM key:
the nonce of packets 1..5 reused. The refusal names the SA and the highest
sequence number the key was used up to, which must match what went out on the
wire (read by tshark, decrypted with A's key).
"""
import esplib
from esplib import SA, HOST0_IP, HOST0_MAC, log
from harness import as_int
import harness

esplib.require()

from scapy.all import ICMP, IP, Ether, Raw  # noqa: E402

A = SA(0, "aes128gcm16")
B = SA(1, "aes256gcm16")
C = SA(1, "aes256gcm16")   # peer1 again, another key and SPIs
C.inb = esplib.Dir("aes256gcm16", 0x10100, b"in C")
C.outb = esplib.Dir("aes256gcm16", 0x20100, b"out C")
N = 5

lan_in = [bytes(Ether(dst=harness.LAN_MAC, src=HOST0_MAC) /
                IP(src=HOST0_IP, dst=A.lan, ttl=64, id=0x900 + k) /
                ICMP(type=8, id=0x7171, seq=k) / Raw(b"static reuse %d" % k))
          for k in range(1, N + 1)]

chk = harness.Checker("esp_static_reuse")


def reload(hub, text):
    with open(hub.conf, "w") as f:
        f.write(text)
    return hub.request("POST", "/v1/reload")


with esplib.EspHub("esp-static-reuse", [A], lan_in=lan_in, bare=[B]) as hub:
    c = hub.settle()
    table = hub.sa_table()
    e = table.get(A.inb.spi)
    chk.eq("A's outbound packets/seq before the reloads",
           e and (e["out"]["packets"], e["out"]["seq"]), (N, N))
    with_a = open(hub.conf).read()
    without_a = with_a.replace(A.config(), "")
    assert without_a != with_a
    r = reload(hub, without_a)
    chk.eq("reload without A", r.get("status"), 200)
    chk.eq("SAs after A's removal", sorted(hub.sa_table()), [])
    r = reload(hub, with_a)
    log("reload with A again: %r" % r)
    err = r.get("error", "")
    chk.ok(r.get("status") == 422 and "used before" in err and "sas[0]" in err and
           A.nbma in err, "reload putting A back: want 422 naming sas[0] (%s) and the key's "
           "reuse, got %r" % (A.nbma, r))
    chk.ok("up to sequence %d" % N in err, "the refusal names sequence %d: %r" % (N, err))
    chk.eq("SAs after the refused reload (none: no fresh counter under A's key)",
           hub.sa_table(), {})
    # Keys B -> C -> B toward peer1.
    with_b = without_a.replace("sas = (\n", "sas = (\n" + B.config(), 1)
    with_c = without_a.replace("sas = (\n", "sas = (\n" + C.config(), 1)
    for what, text, status in (("B", with_b, 200), ("B -> C", with_c, 200),
                               ("C -> B", with_b, 422)):
        r = reload(hub, text)
        chk.ok(r.get("status") == status and (status == 200 or "used before" in
                                              r.get("error", "")),
               "reload %s: want %d, got %r" % (what, status, r))
    chk.eq("peer1's SA after C -> B was refused (C's inbound SPI)",
           sorted(hub.sa_table()), [C.inb.spi])
log("counters: " + harness.nonzero(c))
chk.eq("dmvpnd exit status after SIGTERM", hub.exit_code, 0)

# The wire: A's sequence numbers, each once, 1..N.
rows = esplib.tshark_esp(hub.wan_out, [A], ["ip.dst", "esp.spi", "esp.sequence",
                                            "icmp.seq"])
seqs = [as_int(r["esp.sequence"][0]) for r in rows
        if r["esp.spi"] and as_int(r["esp.spi"][0]) == A.outb.spi]
chk.eq("ESP sequence numbers under A's key on the WAN", seqs, list(range(1, N + 1)))
chk.eq("decrypted: the ICMP sequences host0 sent", [r["icmp.seq"] for r in rows],
       [[str(k)] for k in range(1, N + 1)])
chk.finish()
