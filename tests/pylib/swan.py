# SPDX-License-Identifier: BSD-3-Clause
"""Interop harness of the IKEv2 tests: strongSwan 5.9 (charon with kernel-libipsec, the
userspace ESP of TESTBED.md) as the real peer of dmvpnd, each in its own network namespace.

    [ns S: charon + raw GRE socket] --veth-- [ns W: bridge br0] --veth-- [ns D: dmvpnd]
                                                   |                          | lan0
                                    (optional) [ns N: nftables masquerade]  [ns H: host]
                                                   |
                                       [ns S2: charon behind the NAT]

Everything is real: charon speaks IKEv2 and ESP-in-UDP through its TUN device, dmvpnd runs
its DPDK dataplane on net_af_packet ports, NHRP is written on a raw GRE socket on the
strongSwan side and goes through the TUN into ESP. Namespaces are named by the caller
(tests use the prefix "ikt-") and removed on close.
"""
import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
import nhrp_lib as NL  # noqa: E402  (NHRP builders shared with the conformance tests)
import harness  # noqa: E402  (the control-socket client shared with the pcap tests)

SKIP = 77
CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
GRE_KEY = 1000
PLUGINS = ("random nonce kdf aes sha1 sha2 hmac gcm pem pkcs1 pkcs8 x509 pubkey openssl "
           "constraints revocation kernel-libipsec kernel-netlink socket-default vici updown")


def log(msg):
    print(msg, flush=True)


def skip(why):
    log("SKIP: " + why)
    sys.exit(SKIP)


def _on_term(signum, frame):
    raise SystemExit("terminated by signal %d" % signum)


def require(need_dmvpnd=True):
    """Exit 77 unless this machine can run the interop tests (root and strongSwan);
    exit 1 when strongSwan is there but our daemon is not built."""
    if os.geteuid() != 0:
        skip("needs root (namespaces, af_packet)")
    for p in (CHARON, SWANCTL):
        if not os.access(p, os.X_OK):
            log("FAIL: %s missing (apt-get install strongswan strongswan-swanctl "
                "libcharon-extra-plugins)" % p)
            sys.exit(1)
    if need_dmvpnd and not os.access(dmvpnd_path(), os.X_OK):
        log("FAIL: no dmvpnd at %s (build it, or set DMVPND)" % dmvpnd_path())
        sys.exit(1)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)


def dmvpnd_path():
    return os.environ.get("DMVPND") or os.path.join(REPO, "build", "dmvpnd")


def dmvpnctl_path():
    return os.environ.get("DMVPNCTL") or os.path.join(os.path.dirname(dmvpnd_path()), "dmvpnctl")


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s -> %d:\n%s" % (" ".join(cmd), r.returncode, r.stdout))
    return r.stdout


def ns_run(ns, cmd, check=True, **kw):
    return run(["ip", "netns", "exec", ns] + list(cmd), check=check, **kw)


def wait_for(what, cond, timeout=20.0, step=0.2):
    """Poll cond() until it returns something true; return it, or raise after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(step)


class Checker:
    """ok/eq lines and a verdict, like the other suites'."""

    def __init__(self, name):
        self.name = name
        self.fails = 0

    def ok(self, cond, what):
        log(("ok - " if cond else "FAIL - ") + what)
        if not cond:
            self.fails += 1
        return cond

    def eq(self, what, got, want):
        return self.ok(got == want, "%s: %r (want %r)" % (what, got, want))

    def finish(self):
        log("# %s: %d failure(s)" % (self.name, self.fails))
        sys.exit(1 if self.fails else 0)


# ---------------------------------------------------------------- namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


class netns:
    """`with netns("x"):` runs the block in namespace x (this thread), e.g. to open a
    socket there; the socket stays in x afterwards."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + self.name)
        finally:
            os.close(fd)

    def __exit__(self, *a):
        _libc.setns(self.home, CLONE_NEWNET)
        os.close(self.home)


class Topology:
    """Network namespaces joined by veth pairs and one bridge (the WAN). Offloads are off
    on every veth so that af_packet sees real checksums (as tools/dmvpn-lab does)."""

    def __init__(self, prefix):
        # the pid keeps two runs of one test (two build trees) out of each other's way
        self.prefix = "%s-%d" % (prefix, os.getpid())
        self.names = []
        self.wan = self.ns("wan")
        ns_run(self.wan, ["ip", "link", "add", "br0", "type", "bridge"])
        ns_run(self.wan, ["ip", "link", "set", "br0", "up"])

    def ns(self, short):
        name = "%s-%s" % (self.prefix, short)
        run(["ip", "netns", "add", name])
        self.names.append(name)
        ns_run(name, ["ip", "link", "set", "lo", "up"])
        ns_run(name, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                      "net.ipv6.conf.default.disable_ipv6=1"])
        return name

    def veth(self, ns1, if1, ns2, if2, addr1=None, addr2=None):
        run(["ip", "link", "add", if1, "netns", ns1, "type", "veth", "peer", "name", if2,
             "netns", ns2])
        for n, i, a in ((ns1, if1, addr1), (ns2, if2, addr2)):
            ns_run(n, ["ethtool", "-K", i, "tx", "off", "rx", "off", "tso", "off", "gso", "off",
                       "gro", "off"], check=False)
            if a:
                ns_run(n, ["ip", "addr", "add", a, "dev", i])
            ns_run(n, ["ip", "link", "set", i, "up"])

    def on_wan(self, ns, ifname, addr=None, gateway=None):
        """A veth from ns (ifname, with addr) to the WAN bridge."""
        peer = "w-" + ns[len(self.prefix) + 1:][:10]
        self.veth(ns, ifname, self.wan, peer, addr1=addr)
        ns_run(self.wan, ["ip", "link", "set", peer, "master", "br0"])
        if gateway:
            ns_run(ns, ["ip", "route", "add", "default", "via", gateway])
        return peer

    def nat(self, short, outside, gateway=None):
        """A NAT router: outside leg out0 on the WAN (address outside, a.b.c.d/len); the
        caller adds inside legs with veth(). nftables masquerades everything leaving on
        the outside leg."""
        n = self.ns(short)
        self.on_wan(n, "out0", outside, gateway)
        ns_run(n, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        rules = ("table ip nat {\n chain post {\n  type nat hook postrouting priority 100;\n"
                 "  oifname \"out0\" masquerade\n }\n}\n")
        ns_run(n, ["nft", "-f", "-"], input=rules)
        return n

    def close(self):
        for n in reversed(self.names):
            pids = run(["ip", "netns", "pids", n], check=False).split()
            for p in pids:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            run(["ip", "netns", "del", n], check=False)
        self.names = []


# ---------------------------------------------------------------- strongSwan

def parse_vici_raw(text):
    """swanctl's --raw output (one message per line: `name {k=v k {..} k [a b]}`) as a
    list of (message name, dict). Values are strings; lists are lists."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or "{" not in line:
            continue
        toks = _vici_tokens(line)
        # message name may contain spaces ("list-sa event"): everything before the first "{"
        brace = toks.index("{")
        name = " ".join(toks[:brace])
        body, _ = _vici_section(toks, brace + 1)
        out.append((name, body))
    return out


def _vici_tokens(s):
    toks, cur, depth = [], "", 0
    for ch in s:
        if ch in "{}[]" or (ch == " " and depth == 0):
            if cur:
                toks.append(cur)
            cur = ""
            if ch != " ":
                toks.append(ch)
        else:
            cur += ch
    if cur:
        toks.append(cur)
    return toks


def _vici_section(toks, i):
    d = {}
    while i < len(toks):
        t = toks[i]
        if t == "}":
            return d, i + 1
        if i + 1 < len(toks) and toks[i + 1] == "{":
            d[t], i = _vici_section(toks, i + 2)
        elif i + 1 < len(toks) and toks[i + 1] == "[":
            # a list: `key=[a b]` (or `key [a b]`); items may hold brackets themselves,
            # as traffic selectors do: `local-ts=[192.0.2.11/32[gre]]`
            lst, i, depth = [], i + 2, 0
            while depth or toks[i] != "]":
                if toks[i] == "[":
                    depth += 1
                    lst[-1] += "["
                elif toks[i] == "]":
                    depth -= 1
                    lst[-1] += "]"
                elif depth:
                    lst[-1] += toks[i]
                else:
                    lst.append(toks[i])
                i += 1
            d[t.rstrip("=")] = lst
            i += 1
        elif "=" in t:
            k, v = t.split("=", 1)
            d[k] = v
            i += 1
        else:
            i += 1
    return d, i


class Charon:
    """One charon in namespace ns, with its own strongswan.conf, VICI socket and a
    private /var/run (a mount namespace with a tmpfs over it, so its pid file does not
    clash with another charon's), configured from swanctl.conf text."""

    def __init__(self, ns, workdir, name="charon", extra_conf="", log_keys=False):
        self.ns = ns
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.vici = os.path.join(self.dir, "charon.vici")
        self.uri = "unix://" + self.vici
        self.log_path = os.path.join(self.dir, "charon.log")
        self.conf = os.path.join(self.dir, "strongswan.conf")
        with open(self.conf, "w") as f:
            f.write(STRONGSWAN_CONF % dict(plugins=PLUGINS, vici=self.vici, log=self.log_path,
                                           extra=extra_conf, ike=4 if log_keys else 2))
        self.proc = None

    def start(self, timeout=20.0):
        env = dict(os.environ, STRONGSWAN_CONF=self.conf)
        self.out = open(os.path.join(self.dir, "charon.stdout"), "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "-m", "sh", "-c",
             "mount -t tmpfs none /var/run && exec %s" % CHARON],
            env=env, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for("charon's VICI socket in %s" % self.ns, lambda: self._vici_up(), timeout)
        return self

    def _vici_up(self):
        if self.proc.poll() is not None:
            raise RuntimeError("charon in %s exited %d:\n%s" % (self.ns, self.proc.returncode,
                                                                  self.log_text()))
        return os.path.exists(self.vici) and \
            subprocess.run([SWANCTL, "--stats", "--uri", self.uri], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL).returncode == 0

    def log_text(self):
        return harness.read_text(self.log_path)

    def swanctl(self, *args, check=True, timeout=60):
        return run([SWANCTL] + list(args) + ["--uri", self.uri], check=check, timeout=timeout)

    def load(self, swanctl_conf):
        """Write swanctl.conf (one setting a line) and load connections and secrets."""
        path = os.path.join(self.dir, "swanctl.conf")
        with open(path, "w") as f:
            f.write(swanctl_conf)
        return self.swanctl("--load-all", "--noprompt", "--file", path)

    def initiate(self, child, ike=None, timeout=30):
        a = ["--initiate", "--child", child, "--timeout", str(timeout)]
        if ike:
            a += ["--ike", ike]
        return self.swanctl(*a, check=False, timeout=timeout + 10)

    def terminate_ike(self, ike, timeout=15):
        return self.swanctl("--terminate", "--ike", ike, "--timeout", str(timeout),
                            check=False, timeout=timeout + 10)

    def rekey_child(self, child):
        return self.swanctl("--rekey", "--child", child, check=False)

    def rekey_ike(self, ike):
        return self.swanctl("--rekey", "--ike", ike, check=False)

    def sas(self):
        """The IKE SAs as {name: dict} with child-sas as {name: dict} (swanctl
        --list-sas --raw)."""
        out = {}
        for name, body in parse_vici_raw(self.swanctl("--list-sas", "--raw", check=False)):
            if name == "list-sa event":
                out.update(body)
        return out

    def established(self, ike):
        sa = self.sas().get(ike)
        return sa if sa and sa.get("state") == "ESTABLISHED" else None

    def child(self, ike, child):
        """The INSTALLED CHILD_SA named child of IKE SA ike (any of them), or None."""
        sa = self.established(ike)
        if not sa:
            return None
        for c in sa.get("child-sas", {}).values():
            if c.get("name") == child and c.get("state") == "INSTALLED":
                return c
        return None

    def kill(self):
        """SIGKILL: the peer vanishes without a Delete (for DPD)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


STRONGSWAN_CONF = """\
charon {
  load = %(plugins)s
  install_routes = yes
  retransmit_tries = 3
  retransmit_timeout = 2.0
  plugins {
    vici {
      socket = unix://%(vici)s
    }
    kernel-netlink {
      fwmark = !0x42
    }
    socket-default {
      fwmark = 0x42
    }
    kernel-libipsec {
      allow_peer_ts = yes
    }
  }
  filelog {
    main {
      path = %(log)s
      time_format = %%T
      default = 1
      ike = %(ike)d
      cfg = 2
      knl = 2
      esp = 2
      flush_line = yes
    }
  }
%(extra)s
}
"""


def swanctl_conf(name, local, remote, local_id, remote_id, auth="psk", psk=None,
                 proposals="aes128gcm16-prfsha256-ecp256", esp="aes128gcm16",
                 child="gre", mode="tunnel", cert=None, cacert=None, rekey_time=None,
                 child_rekey=None, dpd_delay=None, encap=False, local_ts=None, remote_ts=None,
                 extra_ike="", extra_child=""):
    """A swanctl.conf for one connection `name` whose CHILD_SA `child` carries GRE
    between local and remote (the NBMA addresses; behind NAT local is the private one
    and the SA still names it: strongSwan maps it). auth psk or pubkey (cert = our
    certificate's file name in swanctl/x509, cacert likewise in x509ca)."""
    lines = ["connections {", "  %s {" % name, "    version = 2",
             "    local_addrs = %s" % local, "    remote_addrs = %s" % remote,
             "    proposals = %s" % proposals, "    encap = %s" % ("yes" if encap else "no")]
    if rekey_time is not None:
        lines.append("    rekey_time = %s" % rekey_time)
    if dpd_delay is not None:
        lines.append("    dpd_delay = %s" % dpd_delay)
    lines += [l for l in extra_ike.splitlines() if l.strip()]
    lines += ["    local {", "      auth = %s" % auth, "      id = %s" % local_id]
    if cert:
        lines.append("      certs = %s" % cert)
    lines += ["    }", "    remote {", "      auth = %s" % auth, "      id = %s" % remote_id]
    if cacert:
        lines.append("      cacerts = %s" % cacert)
    lines += ["    }", "    children {", "      %s {" % child,
              "        local_ts = %s" % (local_ts or "dynamic[gre]"),
              "        remote_ts = %s" % (remote_ts or "dynamic[gre]"),
              "        mode = %s" % mode, "        esp_proposals = %s" % esp]
    if child_rekey is not None:
        lines.append("        rekey_time = %s" % child_rekey)
    lines += [l for l in extra_child.splitlines() if l.strip()]
    lines += ["      }", "    }", "  }", "}"]
    if psk is not None:
        lines += ["secrets {", "  ike-%s {" % name, "    secret = \"%s\"" % psk, "  }", "}"]
    return "\n".join(lines) + "\n"


def install_credentials(charon, certs=(), cacerts=(), keys=()):
    """Copy PEM files into charon's swanctl directory tree (x509, x509ca, private):
    `swanctl --load-all --file F` looks for them beside F."""
    for sub, files in (("x509", certs), ("x509ca", cacerts), ("private", keys)):
        d = os.path.join(charon.dir, sub)
        os.makedirs(d, exist_ok=True)
        for f in files:
            shutil.copy(f, d)


# ---------------------------------------------------------------- certificates

class Pki:
    """A CA and leaf certificates made at test time with openssl: RSA or ECDSA keys,
    the leaf's identity as subjectAltName IP (and CN)."""

    def __init__(self, workdir, ca_type="rsa"):
        self.dir = os.path.join(workdir, "pki")
        os.makedirs(self.dir, exist_ok=True)
        self.ca_key = self._key("ca", ca_type)
        self.ca_cert = os.path.join(self.dir, "ca.pem")
        run(["openssl", "req", "-x509", "-new", "-key", self.ca_key, "-out", self.ca_cert,
             "-days", "2", "-subj", "/O=dmvpn test/CN=dmvpn test CA", "-sha256",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    def _key(self, name, ktype):
        path = os.path.join(self.dir, name + "-key.pem")
        if ktype == "rsa":
            run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", path])
        elif ktype == "ecdsa":
            run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-pkeyopt", "ec_param_enc:named_curve", "-out", path])
        else:
            raise ValueError(ktype)
        return path

    def leaf(self, name, ip, ktype="rsa"):
        """(cert path, key path) for a leaf whose identity is IP address ip."""
        key = self._key(name, ktype)
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".pem")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:%s\nkeyUsage=critical,digitalSignature\n"
                    "basicConstraints=CA:FALSE\n" % ip)
        run(["openssl", "req", "-new", "-key", key, "-out", csr,
             "-subj", "/O=dmvpn test/CN=%s" % ip])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
             "-CAcreateserial", "-out", cert, "-days", "2", "-sha256", "-extfile", ext])
        return cert, key


# ---------------------------------------------------------------- GRE/NHRP on the strongSwan side

class GreSocket:
    """A raw IPv4 socket for protocol 47 in namespace ns: what is sent to an address that
    a CHILD_SA covers goes through charon's TUN into ESP; what arrives decrypted comes
    back here (the host kernel has no GRE of its own)."""

    def __init__(self, ns, key=GRE_KEY):
        with netns(ns):
            self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
        self.s.settimeout(0.05)
        self.key = key

    def send(self, dst, proto, payload):
        hdr = struct.pack("!HH", 0x2000 if self.key is not None else 0, proto)
        if self.key is not None:
            hdr += struct.pack("!I", self.key)
        self.s.sendto(hdr + payload, (dst, 0))

    def recv(self, timeout=1.0):
        """(src, GRE protocol, payload) of the next GRE packet, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                pkt, (src, _) = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            ihl = (pkt[0] & 0xF) * 4
            g = pkt[ihl:]
            if len(g) < 4:
                continue
            flags, proto = struct.unpack("!HH", g[:4])
            off = 4 + (4 if flags & 0x8000 else 0) + (4 if flags & 0x2000 else 0) + \
                (4 if flags & 0x1000 else 0)
            return src, proto, g[off:]
        return None

    def close(self):
        self.s.close()


def registration_request(src_nbma, src_proto, dst_proto, reqid, holdtime=600, nat=True):
    """An NHRP Registration Request as a Cisco spoke sends it (unique flag, one CIE for
    our /32, IOS's extensions including the NAT extension)."""
    return NL.nhrp(NL.REG_REQUEST, src_nbma, src_proto, dst_proto, flags=0x8000, reqid=reqid,
                   cies=[NL.cie(prefix=255, mtu=1400, htime=holdtime)],
                   exts=NL.cisco_exts() if nat else NL.cisco_exts()[:-1])


def parse_nhrp(payload):
    """(type, request id, code of the first CIE) of an NHRP packet, or None."""
    if len(payload) < 20 + 8:
        return None
    ptype = payload[17]
    reqid = struct.unpack("!I", payload[24:28])[0]
    code = payload[20 + 8 + 12] if len(payload) > 20 + 8 + 12 else None
    return ptype, reqid, code


def icmp_echo(src, dst, ident, seq, size=64):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + bytes(size)
    body = body[:2] + struct.pack("!H", NL.inet_checksum(body)) + body[4:]
    return NL.ipv4(src, dst, 1, body, ttl=64, tos=0, ident=seq & 0xFFFF)


# ---------------------------------------------------------------- dmvpnd in a namespace

class Dmvpnd:
    """Our daemon in namespace ns on net_af_packet ports (wan0, lan0 veths)."""

    def __init__(self, ns, workdir, name, config):
        self.ns = ns
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "dmvpnd.conf")
        self.sock = os.path.join(self.dir, "dmvpnd.sock")
        self.log_path = os.path.join(self.dir, "dmvpnd.log")
        self.prefix = "ikt-" + name + "-%d" % os.getpid()
        with open(self.conf, "w") as f:
            f.write(config.replace("@SOCK@", self.sock).replace("@PREFIX@", self.prefix))
        os.chmod(self.conf, 0o600)
        self.proc = None

    def check(self):
        return run([dmvpnd_path(), "--check", "-c", self.conf], check=False)

    def start(self, verbose=True, timeout=60.0):
        self.out = open(self.log_path, "w")
        cmd = ["ip", "netns", "exec", self.ns, dmvpnd_path(), "-c", self.conf]
        if verbose:
            cmd.append("-v")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("dmvpnd exited %d:\n%s" % (self.proc.returncode,
                                                              self.log_text()))
            try:
                return self.request("GET", "/v1/interfaces").get("status") == 200
            except OSError:
                return False
        wait_for("dmvpnd ready in %s" % self.ns, ready, timeout, 0.5)
        return self

    def log_text(self):
        return harness.read_text(self.log_path)

    def request(self, method, path, timeout=5.0):
        return harness.ctl_request(self.sock, method, path, timeout)

    def get(self, path):
        return harness.ctl_get(self.sock, path)

    def ctl(self, *args):
        """dmvpnctl's output (what a user reads)."""
        return run([dmvpnctl_path(), "-s", self.sock] + list(args), check=False)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


DMVPND_CONF = """\
control = { socket = "@SOCK@"; };
eal = { args = [ "-l", "0,1", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", "@PREFIX@",
                 "--log-level", "*:warning" ]; };
dataplane = { mbufs = 4095; rx_descriptors = 256; tx_descriptors = 256; idle_polls = 256;
              idle_sleep_us = 500; };
ports = (
  { name = "wan"; device = "net_af_packet0,iface=wan0"; address = "%(wan)s"; %(gw)s},
  { name = "lan"; device = "net_af_packet1,iface=lan0"; address = "%(lan)s"; }
);
tunnels = (
  { name = "tunnel0"; address = "%(tunnel)s"; source = "wan"; key = %(key)d; mtu = 1400;
    protection = "ipsec";
    nhrp = { network_id = 1; holdtime = 600; %(nhrp)s };
  }
);
%(rest)s
"""


def dmvpnd_conf(wan, lan, tunnel, nhrp="", rest="", gateway=None, key=GRE_KEY):
    return DMVPND_CONF % dict(wan=wan, lan=lan, tunnel=tunnel, nhrp=nhrp, rest=rest, key=key,
                              gw='gateway = "%s"; ' % gateway if gateway else "")


# ---------------------------------------------------------------- scratch space

def workdir(name):
    d = tempfile.mkdtemp(prefix="ikt-%s." % name)
    os.chmod(d, 0o755)
    return d


def dump_logs(*things):
    for t in things:
        if t is None:
            continue
        log("---- %s log (%s)" % (type(t).__name__, getattr(t, "ns", "")))
        txt = t.log_text()
        log(txt[-6000:])


# ---------------------------------------------------------------- tshark as the IKEv2 oracle

# Wireshark's names of the transforms in its ikev2_decryption_table (packet-isakmp.c).
TSHARK_ENCR = {("gcm16", 128): "AES-GCM-128 with 16 octet ICV [RFC5282]",
               ("gcm16", 256): "AES-GCM-256 with 16 octet ICV [RFC5282]",
               ("cbc", 128): "AES-CBC-128 [RFC3602]", ("cbc", 256): "AES-CBC-256 [RFC3602]"}
TSHARK_INTEG = {None: "NONE [RFC4306]", "sha256": "HMAC_SHA2_256_128 [RFC4868]",
                "sha384": "HMAC_SHA2_384_192 [RFC4868]", "sha512": "HMAC_SHA2_512_256 [RFC4868]",
                "sha1": "HMAC_SHA1_96 [RFC2404]"}


def tshark_ikev2(pcap, keys, fields=("isakmp.ispi", "isakmp.exch_type", "isakmp.nextpayload"),
                 dfilter="isakmp"):
    """Decode pcap with tshark given IKE SA keys, a list of dicts with spi_i, spi_r (hex),
    sk_ei, sk_er, sk_ai, sk_ar (hex), encr (a TSHARK_ENCR key), integ (TSHARK_INTEG key).
    The keys go into a private profile's ikev2_decryption_table. Returns tshark -V text."""
    prof = tempfile.mkdtemp(prefix="ikt-tshark.")
    try:
        # The personal configuration directory is $XDG_CONFIG_HOME/wireshark; in a UAT
        # file byte fields are bare hex, enumerations quoted strings.
        os.makedirs(os.path.join(prof, "wireshark"))
        with open(os.path.join(prof, "wireshark", "ikev2_decryption_table"), "w") as f:
            for k in keys:
                f.write('%s,%s,%s,%s,"%s",%s,%s,"%s"\n' % (
                    k["spi_i"], k["spi_r"], k["sk_ei"], k["sk_er"], TSHARK_ENCR[k["encr"]],
                    k.get("sk_ai", ""), k.get("sk_ar", ""), TSHARK_INTEG[k.get("integ")]))
        env = dict(os.environ, XDG_CONFIG_HOME=prof, HOME=prof)
        return run(["tshark", "-n", "-r", pcap, "-V", "-Y", dfilter], env=env, check=False)
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def charon_ike_keys(log_text):
    """The IKE SA keys charon logged at ike level 4 ("Sk_ei secret => N bytes @ ..."
    followed by hex dump lines), as a dict name -> hex, last ones win."""
    keys, cur = {}, None
    for line in log_text.splitlines():
        m = re.match(r".*?\[IKE\] (Sk_\w+) secret => ", line)
        if m:
            cur = m.group(1).lower()
            keys[cur] = ""
            continue
        m = re.match(r".*?\[IKE\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})", line)
        if cur and m:
            keys[cur] += m.group(1).replace(" ", "").lower()
            continue
        cur = None
    return keys


class Capture:
    """tcpdump on an interface in a namespace, written to a pcap (packets flushed each)."""

    def __init__(self, ns, ifname, path, bpf="udp port 500 or udp port 4500"):
        self.path = path
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-n", "-U", "--immediate-mode", "-i",
                                      ifname, "-w", path] + bpf.split(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for("tcpdump listening", lambda: os.path.exists(path), 10, 0.1)
        time.sleep(0.5)

    def stop(self):
        if self.proc.poll() is None:
            time.sleep(1.0)   # what is in flight reaches the socket
            self.proc.terminate()
            self.proc.wait(5)
        return self.path
