# SPDX-License-Identifier: BSD-3-Clause
"""Shared code of the NHRP conformance tests: the real dmvpnd on pcap vdevs, fed Cisco's
own NHRP packets (tcpdump's captures) and packets built here, its output decoded by
tshark (PDML) and compared with what Cisco sent in the same exchange.

The dataplane harness (tests/pylib/harness.py) starts and stops the daemon; Node
gives it a configuration that matches a capture's addressing.
"""
import os
import struct
import subprocess
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

import harness  # noqa: E402

# tcpdump's captures (BSD licence, LICENSE.tcpdump beside them).
VECTORS = os.path.join(REPO, "tests", "unit", "vectors")

WAN_MAC = harness.WAN_MAC
log = harness.log

# NHRP numbers (RFC 2332 and Cisco's extensions).
RES_REQUEST, RES_REPLY, REG_REQUEST, REG_REPLY = 1, 2, 3, 4
ERROR_INDICATION, TRAFFIC_INDICATION = 7, 8
EXT_RESPONDER, EXT_FWD_TRANSIT, EXT_REV_TRANSIT, EXT_AUTH, EXT_NAT = 3, 4, 5, 7, 9
TYPE_NAMES = {1: "resolution_request", 2: "resolution_reply", 3: "registration_request",
              4: "registration_reply", 5: "purge_request", 6: "purge_reply",
              7: "error_indication", 8: "traffic_indication"}


# ---------------------------------------------------------------- captures

def capture(name):
    """The frames of one of tcpdump's captures (classic pcap), as captured."""
    return harness.pcap_read(os.path.join(VECTORS, name))


def to_wan(frame, dst_mac=WAN_MAC):
    """A captured frame as it must arrive at the daemon's WAN port: Ethernet destination
    rewritten to the port's MAC and 802.1Q tags removed (the ports are untagged); every
    byte from the IP header on is left as captured."""
    frame = bytes(frame)
    body = frame[12:]
    while body[:2] in (b"\x81\x00", b"\x88\xa8"):
        body = body[4:]
    return mac_bytes(dst_mac) + frame[6:12] + body


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def ip_bytes(addr):
    return bytes(int(x) for x in addr.split("."))


def nhrp_of(frame):
    """The NHRP bytes of an Ethernet/IPv4/GRE frame (no VLAN tag)."""
    ihl = (frame[14] & 0xF) * 4
    tlen = struct.unpack("!H", frame[16:18])[0]
    gre = frame[14 + ihl:14 + tlen]
    glen = 4 + (4 if gre[0] & 0x80 else 0) + (4 if gre[0] & 0x20 else 0) + \
        (4 if gre[0] & 0x10 else 0)
    return gre[glen:]


def with_reqid(frame, reqid):
    """An Ethernet/IPv4/GRE/NHRP frame (no VLAN tag) with its NHRP request ID replaced and
    its NHRP checksum made right again: to answer a request whose (random) ID is only
    known once the daemon has sent it."""
    frame = bytearray(frame)
    ihl = (frame[14] & 0xF) * 4
    gre = frame[14 + ihl:]
    off = 14 + ihl + 4 + (4 if gre[0] & 0x80 else 0) + (4 if gre[0] & 0x20 else 0) + \
        (4 if gre[0] & 0x10 else 0)
    frame[off + 24:off + 28] = struct.pack("!I", reqid)
    size = struct.unpack("!H", frame[off + 10:off + 12])[0]
    frame[off:off + size] = refresh_checksum(bytes(frame[off:off + size]))
    return bytes(frame)


# ---------------------------------------------------------------- building packets

def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def cie(code=0, prefix=0, mtu=0, htime=0, nbma=None, proto=None, pref=0):
    """A Client Information Entry; nbma/proto None = absent (length 0)."""
    nb = ip_bytes(nbma) if nbma else b""
    pr = ip_bytes(proto) if proto else b""
    return struct.pack("!BBHHHBBBB", code, prefix, 0, mtu, htime, len(nb), 0, len(pr),
                       pref) + nb + pr


def ext(etype, value=b"", compulsory=True):
    return (etype, compulsory, bytes(value))


def auth_ext(key):
    """Cisco's cleartext authentication: a 32-bit type 1, then the key."""
    return ext(EXT_AUTH, b"\0\0\0\1" + key.encode())


def cisco_exts(key=None, responder=b"", fwd=b"", rev=b"", nat=b""):
    """The extensions IOS puts in its requests, in IOS's order."""
    out = [ext(EXT_RESPONDER, responder), ext(EXT_FWD_TRANSIT, fwd), ext(EXT_REV_TRANSIT, rev)]
    if key:
        out.append(auth_ext(key))
    out.append(ext(EXT_NAT, nat, compulsory=False))
    return out


def nhrp(ptype, src_nbma, src_proto, dst_proto, hop=255, flags=0, reqid=0, cies=(),
         payload=b"", exts=(), code=0, offset=0, checksum=None):
    """An NHRP packet (IPv4 over IPv4 NBMA). exts: (type, compulsory, value); the End
    extension is added when there is any. checksum: None = the right one."""
    mand = struct.pack("!BB", 4, 4)
    if ptype in (ERROR_INDICATION, TRAFFIC_INDICATION):
        mand += struct.pack("!HHH", 0, code, offset)
    else:
        mand += struct.pack("!HI", flags, reqid)
    mand += ip_bytes(src_nbma) + ip_bytes(src_proto) + ip_bytes(dst_proto)
    body = mand + b"".join(cies) + payload
    tail = b""
    for t, c, v in exts:
        tail += struct.pack("!HH", t | (0x8000 if c else 0), len(v)) + v
    if exts:
        tail += struct.pack("!HH", 0x8000, 0)
    extoff = 20 + len(body) if exts else 0
    size = 20 + len(body) + len(tail)
    hdr = struct.pack("!HH5sBHHHBBBB", 1, 0x0800, b"\0" * 5, hop, size, 0, extoff, 1, ptype,
                      4, 0)
    pkt = bytearray(hdr + body + tail)
    pkt[12:14] = struct.pack("!H", inet_checksum(bytes(pkt)) if checksum is None else checksum)
    return bytes(pkt)


def refresh_checksum(pkt):
    """pkt (NHRP bytes) with its checksum recomputed over ar$pktsz."""
    pkt = bytearray(pkt)
    pkt[12:14] = b"\0\0"
    size = struct.unpack("!H", pkt[10:12])[0]
    pkt[12:14] = struct.pack("!H", inet_checksum(bytes(pkt[:size])))
    return bytes(pkt)


def ipv4(src, dst, proto, payload, ttl=255, tos=0xC0, ident=1, total_len=None):
    tl = 20 + len(payload) if total_len is None else total_len
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, tos, tl, ident, 0, ttl, proto, 0,
                              ip_bytes(src), ip_bytes(dst)))
    h[10:12] = struct.pack("!H", inet_checksum(bytes(h)))
    return bytes(h) + payload


def gre_frame(src, dst, payload, key=None, proto=0x2001, src_mac="02:00:00:00:00:01",
              dst_mac=WAN_MAC, ident=1, ttl=255):
    """Ethernet / IPv4 (as IOS sends NHRP: TOS 0xc0, TTL 255) / GRE / payload."""
    gre = struct.pack("!HH", 0x2000 if key is not None else 0, proto)
    if key is not None:
        gre += struct.pack("!I", key)
    return (mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00" +
            ipv4(src, dst, 47, gre + payload, ttl=ttl, ident=ident))


# ---------------------------------------------------------------- the daemon

class Node(harness.Appliance):
    """dmvpnd on two pcap vdevs with addressing chosen by the test:

        Node("name", dict(wan="192.168.200.1/24", tunnel="10.255.255.1/24", key=1000,
                          auth="secret", ...), wan_in=[frames])

    Settings: wan, wan_mtu, lan, tunnel, key (None = no key), mtu, holdtime, auth,
    redirect, shortcut, nhs [(proto, nbma)], maps [(proto, nbma)], routes [(prefix, via)],
    neighbors [(port, address, mac)], max_peers."""

    def __init__(self, name, node, wan_in=(), lan_in=()):
        self.node = dict(node)
        super().__init__(name, wan_in=wan_in, lan_in=lan_in,
                         neighbors=self.node.get("neighbors", []))

    def _config(self, neighbors):
        n = self.node
        nh = ["network_id = 1;", "holdtime = %d;" % n.get("holdtime", 7200)]
        if n.get("auth"):
            nh.append('authentication = "%s";' % n["auth"])
        for flag in ("redirect", "shortcut"):
            if flag in n:
                nh.append("%s = %s;" % (flag, "true" if n[flag] else "false"))
        if n.get("nhs"):
            nh.append("nhs = ( %s );" % ", ".join(
                '{ protocol = "%s"; nbma = "%s"; }' % x for x in n["nhs"]))
        if n.get("maps"):
            nh.append("map = ( %s );" % ", ".join(
                '{ protocol = "%s"; nbma = "%s"; }' % x for x in n["maps"]))
        key = "key = %d; " % n["key"] if n.get("key") is not None else ""
        routes = ""
        if n.get("routes"):
            routes = "routes = (\n%s\n);\n" % ",\n".join(
                '  { prefix = "%s"; via = "%s"; }' % r for r in n["routes"])
        neigh = ""
        if neighbors:
            neigh = "neighbors = (\n%s\n);\n" % ",\n".join(
                '  { port = "%s"; address = "%s"; mac = "%s"; }' % x for x in neighbors)
        return """# NHRP test %(name)s
control = { socket = "%(sock)s"; };
eal = {
  args = [ "-l", "0,1", "--no-huge", "-m", "256", "--no-pci",
           "--file-prefix", "%(prefix)s", "--log-level", "*:warning" ];
};
dataplane = {
  mbufs = 4095; rx_descriptors = 512; tx_descriptors = 512;
  burst = %(burst)d; idle_polls = 256; idle_sleep_us = 200;%(max_peers)s
};
ports = (
  { name = "wan"; device = "net_pcap0,rx_pcap=%(wan_in)s,tx_pcap=%(wan_out)s";
    address = "%(wan)s"; mtu = %(wan_mtu)d; },
  { name = "lan"; device = "net_pcap1,rx_pcap=%(lan_in)s,tx_pcap=%(lan_out)s";
    address = "%(lan)s"; }
);
tunnels = (
  {
    name = "tunnel0"; address = "%(tunnel)s"; source = "wan"; %(key)smtu = %(mtu)d;
    nhrp = {
      %(nhrp)s
    };
  }
);
%(routes)s%(neigh)s""" % dict(name=self.name, sock=self.sock, prefix=self.prefix,
                              wan_in=self.wan_in, wan_out=self.wan_out, lan_in=self.lan_in,
                              lan_out=self.lan_out, wan=n["wan"],
                              wan_mtu=n.get("wan_mtu", 1500), lan=n["lan"],
                              tunnel=n["tunnel"], key=key, burst=n.get("burst", 32), mtu=n.get("mtu", 1400),
                              nhrp="\n      ".join(nh), routes=routes, neigh=neigh,
                              max_peers=" max_peers = %d;" % n["max_peers"]
                              if n.get("max_peers") else "")

    def cache(self):
        """GET /v1/nhrp/cache as {protocol: entry}."""
        return {e["protocol"]: e for e in self.get("/v1/nhrp/cache")}


class StagedNode(Node):
    """A Node whose WAN input comes in stages, each only once the daemon has acted on
    the previous one (e.g. registrations before the traffic that needs them).

    The WAN rx_pcap is a FIFO that we write; the pcap PMD reads it with blocking
    reads, so the worker waits inside its receive call between stages. With a burst of
    1 every frame read is handled before the next read, so a stage is never held back
    behind the read that waits for the next one. The FIFO is closed (EOF) before the
    daemon is stopped, or its worker would never return."""

    def __init__(self, name, node, stages, lan_in=()):
        node = dict(node, burst=1)
        self.stages = [list(s) for s in stages]
        super().__init__(name, node, wan_in=[], lan_in=lan_in)
        self.n_in["wan"] = 0
        os.unlink(self.wan_in)
        os.mkfifo(self.wan_in)
        self.fifo = None
        self._opener = None

    def start(self, timeout=30.0):
        import threading

        def opener():
            # Blocks until the PMD opens the FIFO for reading, during EAL init.
            self.fifo = open(self.wan_in, "wb")
            self.fifo.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            self.fifo.flush()
        self._opener = threading.Thread(target=opener, daemon=True)
        self._opener.start()
        super().start(timeout)
        self._opener.join(timeout)
        if self.fifo is None:
            raise RuntimeError("dmvpnd never opened its WAN input FIFO")

    def feed(self, frames):
        """Write frames to the WAN input; returns at once."""
        for i, fr in enumerate(frames):
            fr = bytes(fr)
            self.fifo.write(struct.pack("<IIII", 1700000000 + self.n_in["wan"], 0, len(fr),
                                        len(fr)) + fr)
            self.n_in["wan"] += 1
        self.fifo.flush()

    def wait_for(self, what, cond, timeout=10.0):
        """Poll the counters until cond(counters) holds."""
        import time
        deadline = time.monotonic() + timeout
        c = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError("dmvpnd died:\n" + self.log_text())
            c = self.get("/v1/counters")
            if cond(c):
                return c
            time.sleep(0.02)
        raise RuntimeError("%s: not seen after %.0fs; NHRP counters %r" % (
            what, timeout, c and nhrp_nonzero(c)))

    def resolution_ids(self, target=None):
        """Request IDs of the outstanding resolution requests (GET /v1/nhrp/resolution),
        of one target address or all."""
        return [p["request_id"] for p in self.get("/v1/nhrp/resolution")
                if target is None or p["target"] == target]

    def close_input(self):
        if self.fifo is not None:
            try:
                self.fifo.close()
            except OSError:
                pass
            self.fifo = None

    def stop(self, timeout=15.0):
        if self.fifo is None and self._opener is not None and self._opener.is_alive():
            # The daemon never opened the FIFO: open it ourselves to unblock the opener.
            try:
                fd = os.open(self.wan_in, os.O_RDONLY | os.O_NONBLOCK)
                self._opener.join(5.0)
                os.close(fd)
            except OSError:
                pass
        self.close_input()
        return super().stop(timeout)


def run(name, node, wan_in=(), lan_in=()):
    """Start a node, feed it, wait until it is quiet; return (node, counters, cache).
    The daemon is stopped (so that its output pcaps are complete) before returning."""
    with Node(name, node, wan_in=wan_in, lan_in=lan_in) as n:
        c = n.settle()
        cache = n.cache()
        n.alive_after = n.alive()
    log("[%s] nhrp counters: %s" % (name, nhrp_nonzero(c)))
    return n, c, cache


def nhrp_nonzero(c):
    nh = c.get("nhrp", {})
    return {k: {t: v for t, v in nh.get(k, {}).items() if v} for k in ("received", "sent",
                                                                      "dropped")}


# ---------------------------------------------------------------- tshark, as PDML

TSHARK = ["tshark", "-n", "-T", "pdml", "-o", "nhrp.auth_ext_has_addr:FALSE",
          "-o", "ip.check_checksum:TRUE"]


def _num(v):
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return v


def _flat(elem):
    """name -> shown value of every named field under elem, nested protocols excluded."""
    out = {}

    def walk(e):
        for ch in e:
            if ch.tag == "proto":
                continue
            nm = ch.get("name")
            if nm and nm not in out:
                out[nm] = ch.get("show")
            walk(ch)
    walk(elem)
    return out


def _cie(elem):
    f = _flat(elem)
    return {"code": _num(f.get("nhrp.code")), "prefix": _num(f.get("nhrp.prefix")),
            "mtu": _num(f.get("nhrp.mtu")), "htime": _num(f.get("nhrp.htime")),
            "pref": _num(f.get("nhrp.pref")), "nbma": f.get("nhrp.client.nbma.addr"),
            "proto": f.get("nhrp.client.prot.addr")}


_HDR = {"nhrp.hdr.afn": "afn", "nhrp.hdr.pro.type": "pro_type", "nhrp.hdr.hopcnt": "hopcnt",
        "nhrp.hdr.pktsz": "pktsz", "nhrp.hdr.chksum.status": "chksum_status",
        "nhrp.hdr.extoff": "extoff", "nhrp.hdr.version": "version",
        "nhrp.hdr.op.type": "type"}
_MAND = {"nhrp.flags": "flags", "nhrp.reqid": "reqid", "nhrp.src.nbma.addr": "src_nbma",
         "nhrp.src.prot.addr": "src_proto", "nhrp.dst.prot.addr": "dst_proto",
         "nhrp.err.code": "err_code", "nhrp.err.offset": "err_offset"}
_ADDR = ("src_nbma", "src_proto", "dst_proto")


def _nhrp(proto):
    m = {"cies": [], "exts": [], "inner": []}
    for part in proto:
        show = part.get("show")
        if show == "NHRP Fixed Header":
            for k, v in _flat(part).items():
                if k in _HDR:
                    m[_HDR[k]] = _num(v)
        elif show == "NHRP Mandatory Part":
            for ch in part:
                nm = ch.get("name")
                if nm in _MAND:
                    m[_MAND[nm]] = ch.get("show") if _MAND[nm] in _ADDR else _num(ch.get("show"))
                elif ch.get("show") == "Client Information Entry":
                    m["cies"].append(_cie(ch))
        elif part.get("show") == "Packet Causing Indication" or part.find(".//proto") is not None:
            # types 7 and 8: the packet that caused it, as tshark decodes it
            for pr in part.iter("proto"):
                if pr.get("name") == "nhrp":
                    m["inner"].append(("nhrp", _nhrp(pr)))
                    break
                m["inner"].append((pr.get("name"), _flat(pr)))
        else:
            f = _flat(part)
            if "nhrp.ext.type" not in f:
                continue
            x = {"type": _num(f["nhrp.ext.type"]), "c": _num(f.get("nhrp.ext.c")),
                 "len": _num(f.get("nhrp.ext.len")),
                 "cies": [_cie(ch) for ch in part if ch.get("show") == "Client Information Entry"]}
            if "nhrp.auth_ext.spi" in f:
                x["auth_spi"] = _num(f["nhrp.auth_ext.spi"])
                x["auth_data"] = bytes.fromhex(f.get("nhrp.auth_ext.data", "").replace(":", ""))
            if "nhrp.unknown_ext.value" in f:
                x["value"] = f["nhrp.unknown_ext.value"]
            if x["type"] != 0:
                m["exts"].append(x)
            else:
                m["end"] = x
    return m


def decode(pcap, frame_filter=None):
    """One dict per frame of pcap: eth, ip (outer first), gre, nhrp (normalised, or None)."""
    cmd = TSHARK + ["-r", pcap]
    if frame_filter:
        cmd += ["-Y", frame_filter]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if out.returncode:
        raise RuntimeError("tshark failed (%d): %s" % (out.returncode, out.stderr.decode()))
    pkts = []
    for p in ET.fromstring(out.stdout).findall("packet"):
        d = {"eth": {}, "ip": [], "gre": {}, "nhrp": None, "protos": []}
        for pr in p.findall("proto"):
            nm = pr.get("name")
            d["protos"].append(nm)
            if nm == "eth":
                d["eth"] = _flat(pr)
            elif nm == "ip":
                d["ip"].append(_flat(pr))
            elif nm == "gre" and not d["gre"]:
                d["gre"] = _flat(pr)
            elif nm == "nhrp" and d["nhrp"] is None:
                d["nhrp"] = _nhrp(pr)
                for sub in pr.iter("proto"):
                    if sub is not pr:
                        d["protos"].append(sub.get("name"))
        pkts.append(d)
    return pkts


def decode_bytes(frames):
    """decode() of frames (bytes) not yet in a file."""
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
        harness.pcap_write(f.name, frames)
        return decode(f.name)


def summary(d):
    """One line about a decoded frame, for logs and failure messages."""
    ip = d["ip"][0] if d["ip"] else {}
    n = d["nhrp"]
    if not n:
        return "%s -> %s %s" % (ip.get("ip.src"), ip.get("ip.dst"), "/".join(d["protos"]))
    return "%s -> %s NHRP %s reqid %s %s -> %s codes %s%s" % (
        ip.get("ip.src"), ip.get("ip.dst"), TYPE_NAMES.get(n.get("type"), n.get("type")),
        n.get("reqid"), n.get("src_proto"), n.get("dst_proto"),
        [c["code"] for c in n["cies"]],
        " err %s@%s" % (n.get("err_code"), n.get("err_offset")) if "err_code" in n else "")


def nhrp_frames(pcap, ptype=None, dst=None):
    """Decoded NHRP frames of pcap, optionally of one type and to one outer address."""
    out = []
    for d in decode(pcap):
        if not d["nhrp"]:
            continue
        if ptype is not None and d["nhrp"].get("type") != ptype:
            continue
        if dst is not None and d["ip"][0].get("ip.dst") != dst:
            continue
        out.append(d)
    return out


def find_ext(m, etype):
    for x in m["exts"]:
        if x["type"] == etype:
            return x
    return None


def diff(got, want, path=""):
    """{path: (got, want)} where two decoded structures differ."""
    out = {}
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want), key=str):
            out.update(diff(got.get(k), want.get(k), "%s.%s" % (path, k) if path else str(k)))
    elif isinstance(got, list) and isinstance(want, list):
        for i in range(max(len(got), len(want))):
            out.update(diff(got[i] if i < len(got) else None,
                            want[i] if i < len(want) else None, "%s[%d]" % (path, i)))
    elif got != want:
        out[path] = (got, want)
    return out


ANY = object()   # in compare_with_cisco's allowed: our value may be anything


def compare_with_cisco(chk, what, ours, cisco, allowed):
    """Our decoded NHRP message against Cisco's in the same exchange: every field equal
    except the documented differences in allowed {path: (ours, cisco)}, which must be
    exactly as listed (so a change either way is noticed); ours may be ANY."""
    d = diff(ours, cisco)
    for path, (g, w) in sorted(d.items()):
        if path in allowed:
            a = allowed[path]
            chk.eq("%s: %s (ours, Cisco's)" % (what, path), (a[0] if a[0] is ANY else g, w), a)
        else:
            chk.ok(False, "%s: %s differs from Cisco's: got %r, Cisco sent %r" % (
                what, path, g, w))
    for path, v in sorted(allowed.items()):
        if path not in d:
            chk.ok(False, "%s: %s was expected to differ from Cisco's %r but is equal (%r)" % (
                what, path, v, v[0]))
