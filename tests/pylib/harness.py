# SPDX-License-Identifier: BSD-3-Clause
"""Shared harness of the dataplane tests: the real dmvpnd on pcap vdevs, tshark as the oracle.

    input pcaps --> [ wan: net_pcap0 ]  dmvpnd  [ lan: net_pcap1 ] <-- input pcaps
    output pcaps <--                                              --> output pcaps

Each test writes one input pcap per port, starts the daemon with a config like
conf/hub.conf, waits until every input frame has been read and the counters stop
moving, takes the counters, stops the daemon with SIGTERM (which flushes the
output pcaps) and decodes the outputs with tshark.
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def ctl_request(sock, method, path, timeout=5.0):
    """One request on a dmvpnd control socket; the decoded response."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(json.dumps({"method": method, "path": path}).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf)


def ctl_get(sock, path):
    """The body of a GET that must answer 200."""
    r = ctl_request(sock, "GET", path)
    if r.get("status") != 200:
        raise RuntimeError("GET %s -> %r" % (path, r))
    return r["body"]


def read_text(path):
    """A log file's text, or "" if there is none."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Lab addressing (SPEC.md): the hub.
WAN_MAC = "02:70:63:61:70:00"   # net_pcap0
LAN_MAC = "02:70:63:61:70:01"   # net_pcap1
HUB_NBMA = "192.0.2.1"
HUB_TUNNEL = "198.51.100.1"
HUB_LAN = "198.18.0.1"
GRE_KEY = 1000
MBUFS = 4095            # dataplane.mbufs of the tests' config
MAX_NEIGHBORS = 4096    # dataplane.max_neighbors: the default
TUNNEL_MTU = 1400

# Neighbours that cannot answer ARP in a pcap: static entries.
HOST0 = ("198.18.0.10", "02:00:00:00:00:10")
SPOKE1 = ("192.0.2.11", "02:00:00:00:00:11")
SPOKE2 = ("192.0.2.12", "02:00:00:00:00:12")
STATIC_NEIGHBORS = [("lan",) + HOST0, ("wan",) + SPOKE1, ("wan",) + SPOKE2]

# Scratch directories: removed when a test passes, kept for a post-mortem otherwise.
_tmpdirs = []

# Counters that move on their own and say nothing about the packets.
_VOLATILE = ("uptime_s", "workers")


def log(msg):
    print(msg, flush=True)


def skip(why):
    log("SKIP: " + why)
    sys.exit(SKIP)


def _on_term(signum, frame):
    # meson's timeout sends SIGTERM: unwind so that finally blocks kill the daemon.
    raise SystemExit("terminated by signal %d" % signum)


def require():
    """Exit 77 unless this machine can run the dataplane tests."""
    if os.geteuid() != 0:
        skip("needs root (DPDK EAL)")
    if not shutil.which("tshark"):
        skip("tshark is not installed")
    try:
        import scapy.all  # noqa: F401
    except ImportError:
        skip("scapy is not importable by %s" % sys.executable)
    if not os.access(dmvpnd_path(), os.X_OK):
        log("FAIL: no dmvpnd at %s (build it, or set DMVPND)" % dmvpnd_path())
        sys.exit(1)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)


def dmvpnd_path():
    return os.environ.get("DMVPND") or os.path.join(REPO, "build", "dmvpnd")


# ---------------------------------------------------------------- pcap files

def pcap_write(path, frames):
    """Classic pcap, Ethernet link type; frames are bytes."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            fr = bytes(fr)
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def pcap_read(path):
    """Frames (bytes) of a classic pcap file in either byte order."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap file (%d bytes)" % (path, len(data)))
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


# ---------------------------------------------------------------- tshark

TSHARK_PREFS = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]


def tshark_fields(pcap, fields, dfilter=None):
    """One dict per frame: field -> list of its occurrences (outer header first)."""
    cmd = ["tshark", "-n", "-r", pcap] + TSHARK_PREFS
    if dfilter:
        cmd += ["-Y", dfilter]
    cmd += ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for fl in fields:
        cmd += ["-e", fl]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=60)
    if out.returncode:
        raise RuntimeError("tshark failed (%d): %s" % (out.returncode, out.stderr))
    rows = []
    for line in out.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows.append({fl: (c.split("|") if c else []) for fl, c in zip(fields, cols)})
    return rows


def as_int(v):
    return int(v, 0)


def hexbytes(v):
    return v.replace(":", "").lower()


# ---------------------------------------------------------------- checking

class Checker:
    """Collects every difference, so a failing run reports all of them at once."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passes = 0

    def ok(self, cond, what):
        if cond:
            self.passes += 1
        else:
            self.failures.append(what)
            log("FAIL: " + what)
        return cond

    def eq(self, what, got, want):
        return self.ok(got == want, "%s: got %r, want %r" % (what, got, want))

    def counters(self, c, want):
        """want: dotted path ('interfaces.wan.hw.opackets') -> value."""
        for path, v in want.items():
            node = c
            for k in path.split("."):
                node = node.get(k) if isinstance(node, dict) else None
            self.eq("counter " + path, node, v)

    def drops(self, c, want):
        """Every drop reason: the listed ones exactly, all others zero."""
        got = c.get("drops", {})
        for r in want:
            self.ok(r in got, "drop reason %r is not reported by /v1/counters" % r)
        for r, n in sorted(got.items()):
            self.eq("drops." + r, n, want.get(r, 0))

    def finish(self):
        if self.failures:
            log("%s: %d check(s) failed, %d passed" % (self.name, len(self.failures),
                                                       self.passes))
            for f in self.failures:
                log("  - " + f)
            for d in _tmpdirs:
                log("kept %s (daemon log, config, pcaps)" % d)
            sys.exit(1)
        if not os.environ.get("DMVPN_TEST_KEEP"):
            for d in _tmpdirs:
                shutil.rmtree(d, ignore_errors=True)
        log("%s: all %d checks passed" % (self.name, self.passes))
        sys.exit(0)


# ---------------------------------------------------------------- the daemon

def _neighbors_conf(neighbors):
    items = ['    { port = "%s"; address = "%s"; mac = "%s"; }' % n for n in neighbors]
    return "neighbors = (\n%s\n);\n" % ",\n".join(items) if items else ""


class Appliance:
    """The hub of the lab on two pcap vdevs. Use as a context manager:

        with Appliance("encap", wan_in=[...], lan_in=[...]) as hub:
            counters = hub.settle()
        frames = pcap_read(hub.wan_out)

    Leaving the block always stops the daemon (SIGTERM, then SIGKILL)."""

    def __init__(self, name, wan_in=(), lan_in=(), neighbors=STATIC_NEIGHBORS,
                 lan_address=HUB_LAN + "/24"):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="dmvpn-dp-%s-" % name)
        self.prefix = os.path.basename(self.dir)
        self.wan_in = os.path.join(self.dir, "wan-in.pcap")
        self.lan_in = os.path.join(self.dir, "lan-in.pcap")
        self.wan_out = os.path.join(self.dir, "wan-out.pcap")
        self.lan_out = os.path.join(self.dir, "lan-out.pcap")
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.conf = os.path.join(self.dir, "hub.conf")
        self.log_path = os.path.join(self.dir, "dmvpnd.log")
        self.n_in = {"wan": len(wan_in), "lan": len(lan_in)}
        self.lan_address = lan_address
        self.proc = None
        self.exit_code = None
        _tmpdirs.append(self.dir)
        pcap_write(self.wan_in, wan_in)
        pcap_write(self.lan_in, lan_in)
        with open(self.conf, "w") as f:
            f.write(self._config(neighbors))

    def _config(self, neighbors):
        return """# dataplane test %(name)s: the lab's hub on pcap vdevs
control = { socket = "%(sock)s"; };
eal = {
  args = [ "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
           "--file-prefix", "%(prefix)s", "--log-level", "*:warning" ];
};
dataplane = {
  mbufs = %(mbufs)d; rx_descriptors = 512; tx_descriptors = 512;
  burst = 32; idle_polls = 256; idle_sleep_us = 200;
};
ports = (
  { name = "wan"; device = "net_pcap0,rx_pcap=%(wan_in)s,tx_pcap=%(wan_out)s";
    address = "192.0.2.1/24"; },
  { name = "lan"; device = "net_pcap1,rx_pcap=%(lan_in)s,tx_pcap=%(lan_out)s";
    address = "%(lan_address)s"; }
);
tunnels = (
  {
    name = "tunnel0"; address = "198.51.100.1/24"; source = "wan";
    key = 1000; mtu = 1400;
    nhrp = {
      network_id = 1; holdtime = 600;
      map = (
        { protocol = "198.51.100.11"; nbma = "192.0.2.11"; },
        { protocol = "198.51.100.12"; nbma = "192.0.2.12"; }
      );
    };
  }
);
routes = (
  { prefix = "198.18.1.0/24"; via = "198.51.100.11"; },
  { prefix = "198.18.2.0/24"; via = "198.51.100.12"; }
);
%(neigh)s""" % dict(name=self.name, sock=self.sock, prefix=self.prefix, wan_in=self.wan_in,
                    wan_out=self.wan_out, lan_in=self.lan_in, lan_out=self.lan_out,
                    lan_address=self.lan_address, mbufs=MBUFS, neigh=_neighbors_conf(neighbors))

    # -- lifecycle

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, et, ev, tb):
        self.stop()
        if et is not None:
            log("kept %s (daemon log, config, pcaps)" % self.dir)
        return False

    def start(self, timeout=30.0):
        self._log = open(self.log_path, "w")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([dmvpnd_path(), "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dmvpnd exited with %d before it was ready:\n%s" %
                                   (self.proc.returncode, self.log_text()))
            if "ready:" in self.log_text() and os.path.exists(self.sock):
                log("[%s] dmvpnd ready after %.1fs" % (self.name, time.monotonic() - self.t0))
                return
            time.sleep(0.05)
        raise RuntimeError("dmvpnd not ready after %.0fs:\n%s" % (timeout, self.log_text()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM and wait (the PMD writes the pcaps on close); SIGKILL if stuck."""
        if self.proc is None:
            return self.exit_code
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    log("dmvpnd did not exit %.0fs after SIGTERM: killing it" % timeout)
                    self.proc.kill()
                    self.proc.wait()
                    self.exit_code = "killed"
            if self.exit_code is None:
                self.exit_code = self.proc.returncode
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
            self.proc = None
            # The EAL's runtime directory of our unique file prefix.
            shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)
        return self.exit_code

    def log_text(self):
        return read_text(self.log_path)

    # -- control socket

    def request(self, method, path, timeout=5.0):
        return ctl_request(self.sock, method, path, timeout)

    def get(self, path):
        return ctl_get(self.sock, path)

    def settle(self, timeout=20.0, quiet=0.5, nombuf_consumes=False):
        """Wait until every input frame has been received and the counters have
        not moved for `quiet` seconds; return the counters. nombuf_consumes: a
        frame the pcap PMD had no mbuf for (rx_nombuf) is gone too, so that a
        test of mbuf exhaustion reports its checks rather than a timeout."""
        deadline = time.monotonic() + timeout
        last, since, c = None, None, None
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError("dmvpnd died:\n" + self.log_text())
            c = self.get("/v1/counters")
            consumed = all(c["interfaces"][p]["hw"]["ipackets"] +
                           (c["interfaces"][p]["hw"]["rx_nombuf"] if nombuf_consumes else 0) == n
                           for p, n in self.n_in.items())
            snap = {k: v for k, v in c.items() if k not in _VOLATILE}
            snap["control"] = {k: v for k, v in c["control"].items() if k != "ctl_requests"}
            now = time.monotonic()
            if consumed and snap == last:
                if now - since >= quiet:
                    log("[%s] inputs consumed, counters quiet after %.1fs" %
                        (self.name, now - self.t0))
                    return c
            else:
                last, since = snap, now
            time.sleep(0.05)
        raise RuntimeError("inputs not consumed or counters still moving after %.0fs "
                           "(want ipackets %r):\n%s" % (timeout, self.n_in,
                                                        json.dumps(c, indent=1)))


def nonzero(c):
    """The counters that moved, for logs."""
    out = {k: c[k] for k in ("forwarded", "gre_encap", "gre_decap", "tunnel_hairpin",
                             "punted", "injected")}
    out["drops"] = {k: v for k, v in c["drops"].items() if v}
    out["control"] = {k: v for k, v in c["control"].items() if v}
    out["interfaces"] = c["interfaces"]
    return json.dumps(out, sort_keys=True)
