#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Control socket clients that misbehave: one that asks and never reads, a table
# full of clients that never finish a line. Neither may stall the control thread
# (which also runs NHRP, IKE, ARP and the timers) or lock an operator out.
#
#   hogs (pipeline, never read) ---\
#   idlers (70: nothing / half a line) --> ctl.sock  dmvpnd (pcap vdevs)
#   probes (one request each, timed) --/
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from test_control import DMVPNCTL, DMVPND, check, make_config  # noqa: E402
import test_control  # noqa: E402

TIMEOUT_S = 3      # control.client_timeout in this test's config
N_ROUTES = 3000    # makes GET /v1/routes (~240 KB) larger than a socket buffer (208 KiB)
N_HOGS = 3        # clients that ask for /v1/routes and never read
PROMPT_S = 0.5     # what "promptly" means for an operator's request


def probe(sock, method="GET", path="/v1/interfaces", timeout=10.0):
    """One request on a fresh connection: (response or None, seconds taken)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    buf = b""
    try:
        s.connect(sock)
        s.sendall(json.dumps({"method": method, "path": path}).encode() + b"\n")
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    finally:
        s.close()
    dt = time.monotonic() - t0
    try:
        return json.loads(buf), dt
    except ValueError:
        return None, dt


def counters(sock):
    r, _ = probe(sock, path="/v1/counters")
    return r["body"]["control"] if r and r.get("status") == 200 else {}


def closed_by_peer(s, within):
    """True if the daemon closes s within `within` seconds. Polls for the
    hang-up without reading: reading would drain the output it waits on."""
    p = select.poll()
    p.register(s, select.POLLHUP)
    end = time.monotonic() + within
    while time.monotonic() < end:
        if p.poll(100):
            return True
    return False


def hog(sock, req, copies, out):
    """Connect, pipeline `copies` requests, never read."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    try:
        s.connect(sock)
        out.append(s)
        s.sendall(req * copies)
    except OSError:
        pass


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    tmp = tempfile.mkdtemp(prefix="dmvpn-ctlc.")
    proc = None
    socks = []
    try:
        conf = make_config(tmp)
        text = open(conf).read()
        text = text.replace('socket_mode = "0600";',
                            'socket_mode = "0600";\n  client_timeout = %d;' % TIMEOUT_S)
        routes = "".join('  { prefix = "10.%d.%d.0/24"; via = "192.0.2.254"; },\n'
                         % (i // 256, i % 256) for i in range(N_ROUTES))
        text = text.replace("routes = (\n", "routes = (\n" + routes)
        text = text.replace('"ctltest%d"' % os.getpid(), '"ctlclients%d"' % os.getpid())
        open(conf, "w").write(text)
        proc = subprocess.Popen([DMVPND, "-c", conf], stderr=subprocess.PIPE, text=True)
        sock = f"{tmp}/ctl.sock"
        for _ in range(120):
            if os.path.exists(sock):
                break
            time.sleep(0.25)
        r, dt = probe(sock)
        check("the daemon answers", r is not None and r.get("status") == 200, r)

        # dmvpnctl reads a response far larger than a socket buffer.
        r = subprocess.run([DMVPNCTL, "-s", sock, "show", "routes", "--json"],
                           capture_output=True, text=True, timeout=30)
        n = len(json.loads(r.stdout)["body"]) if r.returncode == 0 else 0
        check(f"dmvpnctl show routes: all {N_ROUTES}+ routes ({len(r.stdout)} bytes)",
              n >= N_ROUTES and len(r.stdout) > 212992, (r.returncode, r.stderr[-200:]))
        r = subprocess.run([DMVPNCTL, "-s", sock, "show", "routes"],
                           capture_output=True, text=True, timeout=30)
        last = "10.%d.%d.0/24" % ((N_ROUTES - 1) // 256, (N_ROUTES - 1) % 256)
        check("dmvpnctl show routes (table)", r.returncode == 0 and last in r.stdout,
              r.stderr[-200:])

        req = json.dumps({"method": "GET", "path": "/v1/routes"}).encode() + b"\n"
        # Pipelining for a client that reads: every answer, in order.
        c = test_control.Ctl(sock)
        paths = ["/v1/routes", "/v1/nope", "/v1/interfaces"] * 4
        c.s.sendall(b"".join(json.dumps({"method": "GET", "path": p}).encode() + b"\n" for p in paths))
        got = []
        for _ in paths:
            while b"\n" not in c.buf:
                chunk = c.s.recv(1 << 20)
                if not chunk:
                    break
                c.buf += chunk
            line, _, c.buf = c.buf.partition(b"\n")
            got.append(json.loads(line).get("status") if line else None)
        c.s.close()
        check("pipelined requests of a client that reads: every answer, in order",
              got == [200, 404, 200] * 4, got)
        # A client that shuts its side after the request still gets the answer.
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(sock)
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        buf = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        s.close()
        check("a client that half-closes gets the whole answer, then EOF",
              buf.endswith(b"\n") and len(json.loads(buf)["body"]) >= N_ROUTES, len(buf))

        # (a) Clients that pipeline requests for large responses and never read.
        hogs, threads = [], []
        before = counters(sock)
        for _ in range(N_HOGS):
            t = threading.Thread(target=hog, args=(sock, req, 64, hogs), daemon=True)
            t.start()
            threads.append(t)
        worst = 0.0
        answered = 0
        for _ in range(10):
            r, dt = probe(sock)
            worst = max(worst, dt)
            answered += r is not None and r.get("status") == 200
            time.sleep(0.1)
        check(f"others are answered promptly while clients do not read (worst {worst:.2f} s)",
              answered == 10 and worst < PROMPT_S, answered)
        for t in threads:
            t.join(timeout=10)
        socks += hogs
        after = counters(sock)
        # Ten probes and this counters request, besides what the hogs cost.
        served = after.get("ctl_requests", 0) - before.get("ctl_requests", 0) - 11
        check(f"a client that does not read is served one response at a time "
              f"({served} of {N_HOGS * 64} pipelined requests handled)", 0 < served <= 2 * N_HOGS, served)
        closed = sum(closed_by_peer(s, TIMEOUT_S + 3) for s in hogs)
        check(f"every client that did not read is disconnected after {TIMEOUT_S} s",
              closed == len(hogs), f"{closed}/{len(hogs)}")
        after = counters(sock)
        check("... and counted (ctl_clients_timed_out)",
              after.get("ctl_clients_timed_out", 0) - before.get("ctl_clients_timed_out", 0) >= len(hogs),
              (before, after))

        # (b) More clients than the table holds, none finishing a line.
        idlers = []
        for i in range(70):
            s = socket.socket(socket.AF_UNIX)
            socks.append(s)
            try:
                s.connect(sock)  # blocking: waits out a full backlog
                s.settimeout(5)
                if i % 2:
                    s.sendall(b'{"method":"GET","pa')
            except OSError:
                continue
            idlers.append(s)
        check("70 clients connect", len(idlers) == 70, len(idlers))
        time.sleep(0.3)
        r, dt = probe(sock)
        check(f"a new client is answered with the table full of idle clients ({dt:.2f} s)",
              r is not None and r.get("status") == 200 and dt < PROMPT_S, r)
        before = counters(sock)
        check("clients evicted to make room are counted (ctl_clients_evicted)",
              before.get("ctl_clients_evicted", 0) >= 6, before)
        # A client that keeps asking outlives the timeout; idle ones do not.
        keeper = test_control.Ctl(sock)
        socks.append(keeper.s)
        t_end = time.monotonic() + TIMEOUT_S + 1.5
        ok = True
        while time.monotonic() < t_end:
            try:
                ok = ok and keeper.req("GET", "/v1/interfaces").get("status") == 200
            except (OSError, EOFError):
                ok = False
            time.sleep(TIMEOUT_S / 4)
        check("a client that keeps asking stays connected past the idle timeout", ok)
        closed = sum(closed_by_peer(s, 2) for s in idlers)
        check(f"idle clients are closed after {TIMEOUT_S} s", closed == len(idlers),
              f"{closed}/{len(idlers)}")
        after = counters(sock)
        gone = (after.get("ctl_clients_evicted", 0) - before.get("ctl_clients_evicted", 0) +
                after.get("ctl_clients_timed_out", 0) - before.get("ctl_clients_timed_out", 0))
        check("... and counted (ctl_clients_timed_out)",
              after.get("ctl_clients_timed_out", 0) > before.get("ctl_clients_timed_out", 0) and
              before.get("ctl_clients_evicted", 0) + gone >= len(idlers), (before, after))
        keeper.s.close()
        r = subprocess.run([DMVPNCTL, "-s", sock, "show", "counters"], capture_output=True, text=True)
        after = counters(sock)
        want = [r"\n *%s +%d\n" % (k, after.get(k, -1)) for k in ("ctl_clients_evicted", "ctl_clients_timed_out")]
        check("dmvpnctl show counters lists them", r.returncode == 0 and all(re.search(w, r.stdout) for w in want),
              (want, r.stdout[-300:]))

        proc.terminate()
        rc = proc.wait(timeout=30)
        check("SIGTERM: clean exit", rc == 0, rc)
        proc = None
    finally:
        for s in socks:
            s.close()
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {test_control.fails} failure(s)")
    return 1 if test_control.fails else 0


if __name__ == "__main__":
    sys.exit(main())
