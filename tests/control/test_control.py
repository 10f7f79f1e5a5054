#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Control plane from a user's side: --check errors, socket permissions, API errors, reload.
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

DMVPND = os.environ.get("DMVPND", "build/dmvpnd")
DMVPNCTL = os.environ.get("DMVPNCTL", "build/dmvpnctl")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
fails = 0


def check(what, cond, detail=""):
    global fails
    if cond:
        print(f"ok - {what}")
    else:
        fails += 1
        print(f"FAIL - {what} {detail}")


def make_config(tmp, extra=""):
    """The lab hub's config on pcap vdevs with an empty input."""
    with open(os.path.join(tmp, "empty.pcap"), "wb") as f:
        # pcap global header, Ethernet link type, no packets
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    conf = open(os.path.join(ROOT, "conf", "hub.conf")).read()
    conf = conf.replace("net_af_packet0,iface=wan0",
                        f"net_pcap0,rx_pcap={tmp}/empty.pcap,tx_pcap={tmp}/wan.pcap")
    conf = conf.replace("net_af_packet1,iface=lan0",
                        f"net_pcap1,rx_pcap={tmp}/empty.pcap,tx_pcap={tmp}/lan.pcap")
    conf = conf.replace("/run/dmvpn/dmvpn-hub.sock", f"{tmp}/ctl.sock")
    # Static mappings of both spokes (the lab's hub learns them by registration).
    conf = conf.replace('# map = ( { protocol = "198.51.100.11"; nbma = "192.0.2.11"; } );',
                        'map = ( { protocol = "198.51.100.11"; nbma = "192.0.2.11"; },\n'
                        '              { protocol = "198.51.100.12"; nbma = "192.0.2.12"; } );')
    conf = conf.replace('"dmvpn-hub"', f'"ctltest{os.getpid()}"')
    path = os.path.join(tmp, "hub.conf")
    with open(path, "w") as f:
        f.write(conf + extra)
    return path


class Ctl:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""

    def raw(self, line):
        self.s.sendall(line + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf.split(b"\n", 1)
        return json.loads(out)

    def req(self, method, path):
        return self.raw(json.dumps({"method": method, "path": path}).encode())


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    tmp = tempfile.mkdtemp(prefix="dmvpn-ctl.")
    proc = None
    try:
        conf = make_config(tmp)
        # --check: good file, then bad ones naming file, line and setting.
        r = subprocess.run([DMVPND, "--check", "-c", conf], capture_output=True, text=True)
        check("--check accepts the hub config", r.returncode == 0, r.stderr)
        bad = open(conf).read().replace('address = "192.0.2.1/24"', 'address = "192.0.2.300/24"')
        lineno = bad.split('"192.0.2.300/24"')[0].count("\n") + 1
        open(os.path.join(tmp, "bad.conf"), "w").write(bad)
        r = subprocess.run([DMVPND, "--check", "-c", f"{tmp}/bad.conf"], capture_output=True, text=True)
        want = f"{tmp}/bad.conf:{lineno}: setting 'ports[0].address'"
        check("--check names file, line and setting", r.returncode != 0 and want in r.stderr,
              repr(r.stderr))
        open(os.path.join(tmp, "typo.conf"), "w").write(open(conf).read().replace("burst =", "brust ="))
        r = subprocess.run([DMVPND, "--check", "-c", f"{tmp}/typo.conf"], capture_output=True, text=True)
        check("an unknown setting is an error", r.returncode != 0 and "'dataplane.brust': unknown setting" in r.stderr,
              repr(r.stderr))
        r = subprocess.run([DMVPND, "-c", f"{tmp}/typo.conf"], capture_output=True, text=True, timeout=30)
        check("dmvpnd refuses to start on a bad config", r.returncode != 0 and "brust" in r.stderr)

        proc = subprocess.Popen([DMVPND, "-c", conf], stderr=subprocess.PIPE, text=True)
        sock = f"{tmp}/ctl.sock"
        for _ in range(120):
            if os.path.exists(sock):
                break
            time.sleep(0.25)
        check("control socket appears", os.path.exists(sock))
        mode = stat.S_IMODE(os.stat(sock).st_mode)
        check(f"control socket mode 0600 ({oct(mode)})", mode == 0o600)

        c = Ctl(sock)
        r = c.raw(b"this is not json")
        check("invalid JSON -> 400 with a message", r.get("status") == 400 and "not valid JSON" in r.get("error", ""), r)
        r = c.raw(b'[1,2]')
        check("a non-object -> 400", r.get("status") == 400, r)
        r = c.raw(b'{"method":"GET"}')
        check("missing path -> 400", r.get("status") == 400, r)
        r = c.req("GET", "/v1/nope")
        check("unknown path -> 404", r.get("status") == 404 and "/v1/nope" in r.get("error", ""), r)
        r = c.req("PUT", "/v1/routes")
        check("unknown method -> 405", r.get("status") == 405, r)
        r = c.req("POST", "/v1/routes")
        check("wrong method for a path -> 405", r.get("status") == 405, r)
        r = c.req("GET", "/v1/dmvpn?detail=maybe")
        check("bad argument -> 400", r.get("status") == 400 and "detail" in r.get("error", ""), r)
        r = c.raw(json.dumps({"method": "GET", "path": "/v1/routes", "extra": 1}).encode())
        check("unknown request member -> 400", r.get("status") == 400, r)
        r = c.req("GET", "/v1/nhrp/nhs")
        check("a hub has no NHS", r.get("status") == 200 and r["body"] == [], r)
        r = c.req("GET", "/v1/ike/sa")
        check("no ike section: no IKE SAs", r.get("status") == 200 and r["body"] == [], r)
        r = c.req("DELETE", "/v1/ike/sa")
        check("terminate without a peer -> 400", r.get("status") == 400 and "peer" in r.get("error", ""), r)
        r = c.req("DELETE", "/v1/ike/sa?peer=192.0.2.300")
        check("terminate a bad address -> 400", r.get("status") == 400, r)
        r = c.req("DELETE", "/v1/ike/sa?peer=192.0.2.11")
        check("terminate a peer without an IKE SA -> 404", r.get("status") == 404 and "192.0.2.11" in r.get("error", ""), r)
        r = c.req("GET", "/v1/counters")
        check("IKE counters are listed (zero)", r.get("status") == 200 and r["body"]["ike"].get("rx_msgs") == 0
              and r["body"]["ike"].get("udp_malformed") == 0, r["body"].get("ike"))
        r = c.req("GET", "/v1/routes")
        check("the same connection still serves after errors", r.get("status") == 200, r)
        routes = {(x["prefix"], x["type"]) for x in r["body"]}
        check("routes: connected, local, static", {("192.0.2.0/24", "connected"), ("192.0.2.1/32", "local"),
              ("198.18.1.0/24", "static"), ("198.51.100.0/24", "connected")} <= routes, routes)
        r = c.req("GET", "/v1/dmvpn?detail=true")
        peers = r["body"][0]["peers"]
        check("show dmvpn detail: two static peers with claimed NBMA",
              r["status"] == 200 and len(peers) == 2 and all(p["attributes"] == "S" and p["claimed_nbma"] == p["nbma"] for p in peers), r)
        r = c.req("DELETE", "/v1/nhrp/cache")
        check("clear nhrp cache keeps static entries", r["status"] == 200 and r["body"]["cleared"] == 0 and
              len(c.req("GET", "/v1/nhrp/cache")["body"]) == 2, r)

        # A line over the 64 KiB limit: 413 and the connection closes; others live on.
        big = Ctl(sock)
        try:
            r = big.raw(b'{"method":"GET","path":"/v1/routes","body":"' + b"x" * 70000 + b'"}')
            check("oversized request -> 413", r.get("status") == 413, r)
        except (EOFError, OSError) as e:
            check("oversized request -> 413", False, repr(e))

        # Reload: add a route, then a bad file that must change nothing.
        text = open(conf).read()
        open(conf, "w").write(text.replace("routes = (", 'routes = (\n  { prefix = "203.0.113.0/24"; via = "192.0.2.254"; },'))
        r = c.req("POST", "/v1/reload")
        check("reload accepted", r["status"] == 200, r)
        prefixes = {x["prefix"] for x in c.req("GET", "/v1/routes")["body"]}
        check("reload added the route", "203.0.113.0/24" in prefixes, prefixes)
        open(conf, "w").write(text.replace('via = "198.51.100.11"', 'via = "198.51.100.1"'))
        r = c.req("POST", "/v1/reload")
        check("reload of a bad file -> 422 naming the problem",
              r["status"] == 422 and "own addresses" in r.get("error", ""), r)
        prefixes2 = {x["prefix"] for x in c.req("GET", "/v1/routes")["body"]}
        check("a refused reload changed nothing", prefixes2 == prefixes, prefixes2 ^ prefixes)
        open(conf, "w").write(text.replace('"net_pcap1', '"net_pcap9'))
        r = c.req("POST", "/v1/reload")
        check("reload that changes a port device -> 422 restart", r["status"] == 422 and "restart" in r["error"], r)
        open(conf, "w").write(text)
        r = c.req("POST", "/v1/reload")
        check("reload back to the original removes the route", r["status"] == 200 and
              "203.0.113.0/24" not in {x["prefix"] for x in c.req("GET", "/v1/routes")["body"]}, r)

        # Static SAs: changing one without a new key would restart its
        # sequence under the old key (a GCM nonce reused): refused.
        def sa(window, out_key, in_spi):
            return ('\nipsec = { sas = ( { peer = "192.0.2.11"; algorithm = "aes128gcm16"; '
                    'replay_window = %d; in = { spi = %d; key = "%s"; }; '
                    'out = { spi = 4096; key = "%s"; }; } ); };\n'
                    % (window, in_spi, "11" * 20, out_key * 20))
        open(conf, "w").write(text + sa(64, "22", 8192))
        r = c.req("POST", "/v1/reload")
        check("reload adds a static SA", r["status"] == 200 and
              len(c.req("GET", "/v1/ipsec/sa")["body"]) == 1, r)
        open(conf, "w").write(text + sa(128, "22", 8192))
        r = c.req("POST", "/v1/reload")
        check("changing an SA but not its outbound key is refused",
              r["status"] == 422 and "new outbound key" in r.get("error", ""), r)
        open(conf, "w").write(text + sa(128, "33", 8192))
        r = c.req("POST", "/v1/reload")
        check("... and keeping its inbound SPI too",
              r["status"] == 422 and "new inbound SPI" in r.get("error", ""), r)
        open(conf, "w").write(text + sa(128, "33", 8193))
        r = c.req("POST", "/v1/reload")
        b = c.req("GET", "/v1/ipsec/sa")["body"]
        check("a new key and SPI replace it", r["status"] == 200 and len(b) == 1 and
              b[0]["spi_in"] == "00002001" and b[0]["replay_window"] == 128, (r, b))
        open(conf, "w").write(text)
        r = c.req("POST", "/v1/reload")
        check("removing it from the file removes it", r["status"] == 200 and
              c.req("GET", "/v1/ipsec/sa")["body"] == [], r)

        # A key once used stays used for the life of the process: putting a
        # removed SA back, or going back to an earlier key, would start its
        # sequence at 1 again under that key.
        for what, conf_text in (("the SA just removed", sa(128, "33", 8193)),
                                ("the first key, replaced before", sa(64, "22", 8194)),
                                ("the removed SA under a new inbound SPI", sa(128, "33", 8195))):
            open(conf, "w").write(text + conf_text)
            r = c.req("POST", "/v1/reload")
            check("re-adding %s is refused, naming the key's reuse" % what,
                  r["status"] == 422 and "used before" in r.get("error", "") and
                  "sas[0]" in r.get("error", ""), r)
            check("... and installs nothing", c.req("GET", "/v1/ipsec/sa")["body"] == [])
        open(conf, "w").write(text + sa(64, "44", 8200))                      # A
        r = c.req("POST", "/v1/reload")
        check("a fresh key A is installed", r["status"] == 200, r)
        open(conf, "w").write(text + sa(64, "55", 8201))                      # B
        r = c.req("POST", "/v1/reload")
        check("then a fresh key B replaces it", r["status"] == 200, r)
        open(conf, "w").write(text + sa(64, "44", 8202))                      # A again
        r = c.req("POST", "/v1/reload")
        b = c.req("GET", "/v1/ipsec/sa")["body"]
        check("going back to key A is refused", r["status"] == 422 and
              "used before" in r.get("error", ""), r)
        check("... and B stays installed", len(b) == 1 and b[0]["spi_in"] == "00002009", b)
        # One file, two peers, one key: both sequences would start at 1.
        two = sa(64, "66", 8203).replace(
            "} ); };", '}, { peer = "192.0.2.12"; algorithm = "aes128gcm16"; in = { spi = 8204; '
            'key = "%s"; }; out = { spi = 4097; key = "%s"; }; } ); };' % ("77" * 20, "66" * 20))
        open(conf, "w").write(text + two)
        r = c.req("POST", "/v1/reload")
        check("two SAs under one outbound key are refused", r["status"] == 422 and
              "same outbound key" in r.get("error", ""), r)
        open(conf, "w").write(text)
        r = c.req("POST", "/v1/reload")
        check("removing B", r["status"] == 200 and c.req("GET", "/v1/ipsec/sa")["body"] == [], r)
        # An inbound SPI and key once used likewise: back with a fresh
        # outbound key, B's inbound SPI and key would start a new replay
        # window, and packets captured under B would be taken again.
        open(conf, "w").write(text + sa(64, "88", 8201))
        r = c.req("POST", "/v1/reload")
        check("re-adding an inbound SPI and key is refused, naming the replay window",
              r["status"] == 422 and "replay window" in r.get("error", ""), r)
        check("... and installs nothing", c.req("GET", "/v1/ipsec/sa")["body"] == [])
        open(conf, "w").write(text + sa(64, "88", 8205))
        r = c.req("POST", "/v1/reload")
        check("the same keys under a new inbound SPI are taken", r["status"] == 200, r)
        open(conf, "w").write(text)
        r = c.req("POST", "/v1/reload")
        check("removing it", r["status"] == 200 and c.req("GET", "/v1/ipsec/sa")["body"] == [], r)
        cnt = c.req("GET", "/v1/counters")["body"]["control"]
        check("control counters count requests and errors", cnt["ctl_requests"] >= 20 and cnt["ctl_errors"] >= 10, cnt)

        # dmvpnctl: --json prints the response unchanged; errors exit non-zero.
        r = subprocess.run([DMVPNCTL, "-s", sock, "show", "routes", "--json"], capture_output=True, text=True)
        check("dmvpnctl --json prints the response line", r.returncode == 0 and json.loads(r.stdout)["status"] == 200, r.stdout[:200])
        r = subprocess.run([DMVPNCTL, "-s", sock, "show", "ike", "sa"], capture_output=True, text=True)
        check("dmvpnctl show ike sa: none", r.returncode == 0 and r.stdout.strip() == "(none)", r)
        r = subprocess.run([DMVPNCTL, "-s", sock, "clear", "ike", "sa", "192.0.2.12"], capture_output=True, text=True)
        check("dmvpnctl reports a 404 and exits 1", r.returncode == 1 and "404" in r.stderr, r.stderr)
        r = subprocess.run([DMVPNCTL, "-s", f"{tmp}/nosuch.sock", "show", "dmvpn"], capture_output=True, text=True)
        check("dmvpnctl on a missing socket fails clearly", r.returncode == 1 and "cannot connect" in r.stderr, r.stderr)

        # A second instance on the same socket refuses to start.
        r = subprocess.run([DMVPND, "-c", conf, "--", "--file-prefix", f"second{os.getpid()}"],
                           capture_output=True, text=True, timeout=60)
        check("a second dmvpnd on the same socket refuses", r.returncode != 0 and "in use" in r.stderr, r.stderr[-300:])
        check("the first still answers", c.req("GET", "/v1/interfaces")["status"] == 200)

        proc.terminate()
        rc = proc.wait(timeout=30)
        check("SIGTERM: clean exit", rc == 0, rc)
        check("socket removed on exit", not os.path.exists(sock))
        proc = None
    finally:
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
