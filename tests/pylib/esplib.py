# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the ESP dataplane tests: a hub whose tunnel0 is protected by static
SAs toward several peers, ESP made by scapy or by hand, tshark decrypting ESP.

    peer i: NBMA 192.0.2.(100+i), MAC 02:00:00:00:02:ii, tunnel 198.51.100.(100+i),
            LAN 198.19.i.0/24 (route via its tunnel address), one SA each

The dataplane harness (tests/pylib/harness.py) runs the daemon; EspHub only
writes a different configuration. Three independent ways to make or open ESP:
  * scapy.layers.ipsec.SecurityAssociation (the ESP the peers send, and a
    second decryption of what the hub sends);
  * tshark with esp.enable_encryption_decode and one esp_sa UAT record per SA;
  * seal() below: RFC 4303/4106/3602/4868/2404 written out with
    python-cryptography, for packets scapy cannot make (wrong padding with a
    valid ICV, CBC+HMAC with ESN).
"""
import hashlib
import hmac
import os
import struct

import harness  # noqa: E402
from harness import log  # noqa: E402,F401

HUB_NBMA = harness.HUB_NBMA
HOST0_IP, HOST0_MAC = harness.HOST0
GRE_KEY = harness.GRE_KEY


def require():
    harness.require()
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
        import scapy.layers.ipsec  # noqa: F401
    except ImportError as e:
        harness.skip("python-cryptography or scapy.layers.ipsec missing: %s" % e)


# name: cipher key bytes (GCM: + 4 salt), integrity key bytes, IV, ICV, block,
#       scapy crypt, scapy auth, HMAC digest, tshark encryption, tshark authentication
ALGS = {
    "aes128gcm16": (20, 0, 8, 16, 4, "AES-GCM", "NULL", None,
                    "AES-GCM with 16 octet ICV [RFC4106]", "NULL"),
    "aes256gcm16": (36, 0, 8, 16, 4, "AES-GCM", "NULL", None,
                    "AES-GCM with 16 octet ICV [RFC4106]", "NULL"),
    "aes128-sha256": (16, 32, 16, 16, 16, "AES-CBC", "SHA2-256-128", hashlib.sha256,
                      "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]"),
    "aes256-sha256": (32, 32, 16, 16, 16, "AES-CBC", "SHA2-256-128", hashlib.sha256,
                      "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]"),
    "aes128-sha1": (16, 20, 16, 12, 16, "AES-CBC", "HMAC-SHA1-96", hashlib.sha1,
                    "AES-CBC [RFC3602]", "HMAC-SHA-1-96 [RFC2404]"),
    "aes256-sha1": (32, 20, 16, 12, 16, "AES-CBC", "HMAC-SHA1-96", hashlib.sha1,
                    "AES-CBC [RFC3602]", "HMAC-SHA-1-96 [RFC2404]"),
    "null": (0, 0, 0, 0, 4, "NULL", "NULL", None, "NULL", "NULL"),
}


def _key(tag, n):
    out = b""
    while len(out) < n:
        out += hashlib.sha256(tag + bytes([len(out)])).digest()
    return out[:n]


class Dir:
    """One direction of an SA: SPI and keys."""

    def __init__(self, alg, spi, tag):
        klen, alen = ALGS[alg][0], ALGS[alg][1]
        self.spi = spi
        self.key = _key(b"enc " + tag, klen)
        self.auth = _key(b"auth " + tag, alen)


class SA:
    """A peer and its SA with the hub. `inb` is what the peer sends (the hub's
    inbound SPI and keys), `outb` what the hub sends."""

    def __init__(self, i, alg, mode="transport", udp=False, esn=False, window=64,
                 udp_port=4500, lifetime=None, inner_local=None, inner_remote=None):
        self.i, self.alg, self.mode, self.udp, self.esn = i, alg, mode, udp, esn
        self.window, self.udp_port, self.lifetime = window, udp_port, lifetime
        # tunnel mode: the inner header's addresses (None = the outer ones)
        self.inner_local, self.inner_remote = inner_local, inner_remote
        self.nbma = "192.0.2.%d" % (100 + i)
        self.mac = "02:00:00:00:02:%02x" % i
        self.tun = "198.51.100.%d" % (100 + i)
        self.lan = "198.19.%d.10" % i
        self.inb = Dir(alg, 0x10000 + i * 16 + 1, b"in %d" % i)
        self.outb = Dir(alg, 0x20000 + i * 16 + 2, b"out %d" % i)
        (_, _, self.iv_len, self.icv_len, self.block, self.s_crypt, self.s_auth,
         self.digest, self.t_crypt, self.t_auth) = ALGS[alg]

    @property
    def tunnel(self):
        return self.mode == "tunnel"

    def __repr__(self):
        return "peer%d(%s %s%s%s w%d)" % (self.i, self.alg, self.mode,
                                          " udp:%d" % self.udp_port if self.udp else "",
                                          " esn" if self.esn else "", self.window)

    def config(self):
        def d(x):
            s = '{ spi = 0x%x; key = "%s";' % (x.spi, x.key.hex())
            if x.auth:
                s += ' auth_key = "%s";' % x.auth.hex()
            return s + " }"
        life = ""
        if self.lifetime:
            life = " lifetime = { %s };" % " ".join("%s = %d;" % kv
                                                      for kv in self.lifetime.items())
        for k in ("inner_local", "inner_remote"):
            if getattr(self, k):
                life += ' %s = "%s";' % (k, getattr(self, k))
        return ('    { peer = "%s"; tunnel = "tunnel0"; mode = "%s"; encapsulation = "%s";'
                ' udp_port = %d; algorithm = "%s"; esn = %s; replay_window = %d;%s\n'
                '      in = %s;\n      out = %s; }'
                % (self.nbma, self.mode, "udp" if self.udp else "none", self.udp_port,
                   self.alg, "true" if self.esn else "false", self.window, life,
                   d(self.inb), d(self.outb)))

    def uat(self):
        """tshark esp_sa record for what the hub sends to this peer."""
        return '"IPv4","%s","%s","0x%08x","%s","%s","%s","%s"' % (
            HUB_NBMA, self.nbma, self.outb.spi, self.t_crypt,
            "0x" + self.outb.key.hex() if self.outb.key else "", self.t_auth,
            "0x" + self.outb.auth.hex() if self.outb.auth else "")


class EspHub(harness.Appliance):
    """The lab's hub with tunnel0 protected, a static NHRP map, a route, a
    static ARP entry and an SA per peer. Peers in `bare` get the map, route and
    ARP entry but no SA. Extra static neighbours may be added."""

    def __init__(self, name, sas, wan_in=(), lan_in=(), extra_neighbors=(), bare=()):
        self.sas = list(sas)
        self.peers = self.sas + list(bare)
        neigh = [("lan",) + harness.HOST0] + [("wan", s.nbma, s.mac) for s in self.peers]
        super().__init__(name, wan_in=wan_in, lan_in=lan_in,
                         neighbors=neigh + list(extra_neighbors))

    def _config(self, neighbors):
        base = super()._config(neighbors)
        # Replace the harness's tunnel, maps and routes with ours.
        head = base[:base.index("tunnels = (")]
        maps = ",\n".join('        { protocol = "%s"; nbma = "%s"; }' % (s.tun, s.nbma)
                          for s in self.peers)
        routes = ",\n".join('  { prefix = "198.19.%d.0/24"; via = "%s"; }' % (s.i, s.tun)
                            for s in self.peers)
        neigh = base[base.index("neighbors = ("):] if "neighbors = (" in base else ""
        return head + """tunnels = (
  {
    name = "tunnel0"; address = "198.51.100.1/24"; source = "wan";
    key = 1000; mtu = 1400; protection = "ipsec";
    nhrp = {
      network_id = 1; holdtime = 600;
      map = (
%s
      );
    };
  }
);
routes = (
%s
);
ipsec = {
  sas = (
%s
  );
};
%s""" % (maps, routes, ",\n".join(s.config() for s in self.sas), neigh)

    def sa_table(self):
        """GET /v1/ipsec/sa keyed by the inbound SPI (as an int)."""
        return {int(e["spi_in"], 16): e for e in self.get("/v1/ipsec/sa")}


# ---------------------------------------------------------------- packets

def gre(inner, key=GRE_KEY, proto=0x0800):
    return struct.pack("!HHI", 0x2000, proto, key) + bytes(inner)


def inner_icmp(src, dst, seq, data, ident=0x4545, ttl=64):
    from scapy.all import ICMP, IP, Raw
    return bytes(IP(src=src, dst=dst, ttl=ttl, id=seq & 0xffff) /
                 ICMP(type=8, id=ident, seq=seq & 0xffff) / Raw(data))


def ipv4(src, dst, proto, payload, ttl=60, ident=0x77, **kw):
    """IPv4 header (scapy: flags, frag, ... in kw) + payload bytes."""
    from scapy.all import IP, Raw
    return bytes(IP(src=src, dst=dst, proto=proto, ttl=ttl, id=ident, **kw) / Raw(payload))


def udp(sport, dport, payload, length=None):
    """UDP header (checksum 0, allowed for ESP in UDP by RFC 3948 2.1) + payload."""
    return struct.pack("!HHHH", sport, dport, 8 + len(payload) if length is None else length,
                       0) + payload


def eth_wan(ip, src_mac):
    return _mac(harness.WAN_MAC) + _mac(src_mac) + b"\x08\x00" + bytes(ip)


def _mac(s):
    return bytes.fromhex(s.replace(":", ""))


def fix_ipv4_checksum(ip):
    b = bytearray(ip)
    hl = (b[0] & 0xf) * 4
    b[10:12] = b"\0\0"
    s = sum(struct.unpack("!%dH" % (hl // 2), bytes(b[:hl])))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    b[10:12] = struct.pack("!H", ~s & 0xffff)
    return bytes(b)


def scapy_sa(sa, direction="in"):
    """scapy's SecurityAssociation for what a peer sends (in) or the hub sends (out)."""
    from scapy.all import IP, UDP
    from scapy.layers.ipsec import ESP, SecurityAssociation
    d = sa.inb if direction == "in" else sa.outb
    src, dst = (sa.nbma, HUB_NBMA) if direction == "in" else (HUB_NBMA, sa.nbma)
    kw = dict(crypt_algo=sa.s_crypt, crypt_key=d.key or None, auth_algo=sa.s_auth,
              auth_key=d.auth or None, esn_en=sa.esn, esn=0)
    if sa.tunnel:
        kw["tunnel_header"] = IP(src=src, dst=dst, ttl=60)
    if sa.udp:
        kw["nat_t_header"] = (UDP(sport=sa.udp_port, dport=4500) if direction == "in"
                              else UDP(sport=4500, dport=sa.udp_port))
    return SecurityAssociation(ESP, spi=d.spi, **kw)


def scapy_esp(sa, seq, gre_payload, ttl=60, ident=0x77, esn_icv=True):
    """What peer `sa` sends to the hub: IPv4 (+UDP) + ESP made by scapy, carrying
    IPv4(peer -> hub, GRE) + gre_payload, with sequence number seq (64 bits with
    ESN). Returns (ipv4 bytes, offset of the ESP header).

    scapy's ESP HMAC leaves the high half of an extended sequence number out
    of the ICV (it only does so for AH): with ESN and CBC+HMAC the ICV is
    recomputed here over ESP || seq_hi (RFC 4303 2.2.1), unless esn_icv is
    false (what a peer that ignores ESN would send). scapy's AES-GCM puts
    seq_hi in the AAD itself (RFC 4106 5). The UDP length scapy writes is
    corrected (see below)."""
    from scapy.all import IP, Raw
    s = scapy_sa(sa, "in")
    s.seq_num = seq & 0xffffffff
    s.esn = seq >> 32
    if seq >> 32 and not sa.esn:
        raise ValueError("64-bit sequence number without ESN")
    pkt = IP(src=sa.nbma, dst=HUB_NBMA, ttl=ttl, id=ident, proto=47) / Raw(gre_payload)
    out = bytes(s.encrypt(pkt))
    off = 20 + (8 if sa.udp else 0)
    if sa.udp:
        # scapy 2.5 computes the NAT-T UDP length before the ESP is attached
        # (it writes 8): set the true one (RFC 768), as real peers send it.
        out = out[:24] + struct.pack("!H", len(out) - 20) + out[26:]
    if sa.esn and sa.digest and esn_icv:
        esp = out[off:]
        mac = hmac.new(sa.inb.auth, esp[:-sa.icv_len] + struct.pack("!I", seq >> 32),
                       sa.digest).digest()[:sa.icv_len]
        out = out[:-sa.icv_len] + mac
    return out, off


def corrupt(ip, off):
    """Flip one bit of byte off (from the IPv4 header) of a packet."""
    b = bytearray(ip)
    b[off] ^= 0x01
    return bytes(b)


# ---------------------------------------------------------------- ESP by hand

def seal(sa, seq, payload, nh, direction="in", pad=None, padlen=None, iv=None):
    """ESP (header to ICV) by hand with python-cryptography. pad: the padding
    bytes (default 1, 2, 3... to the block); padlen: the pad length byte to
    write (default len(pad)). The ICV is always valid."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    d = sa.inb if direction == "in" else sa.outb
    if pad is None:
        pad = bytes(range(1, (-(len(payload) + 2)) % sa.block + 1))
    pt = payload + pad + bytes([len(pad) if padlen is None else padlen, nh])
    hdr = struct.pack("!II", d.spi, seq & 0xffffffff)
    hi = struct.pack("!I", seq >> 32) if sa.esn else b""
    if sa.s_crypt == "AES-GCM":
        iv = iv or struct.pack("!Q", seq)
        ct = AESGCM(d.key[:-4]).encrypt(d.key[-4:] + iv, pt, hdr[:4] + hi + hdr[4:])
        return hdr + iv + ct
    if sa.s_crypt == "AES-CBC":
        iv = iv or hashlib.sha256(b"iv" + hdr).digest()[:16]
        enc = Cipher(algorithms.AES(d.key), modes.CBC(iv)).encryptor()
        ct = enc.update(pt) + enc.finalize()
        mac = hmac.new(d.auth, hdr + iv + ct + hi, sa.digest).digest()[:sa.icv_len]
        return hdr + iv + ct + mac
    return hdr + pt


def open_esp(sa, esp, seq_hi=0, direction="out"):
    """Verify and decrypt ESP (header to ICV) with scapy: returns (payload,
    next header, pad length, pad bytes) or raises. With ESN and CBC the HMAC is
    checked by hand (scapy leaves seq_hi out of the ESP ICV)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from scapy.layers.ipsec import ESP
    d = sa.inb if direction == "in" else sa.outb
    s = scapy_sa(sa, direction)
    p = ESP(esp)
    if sa.digest:
        if sa.esn:
            mac = hmac.new(d.auth, esp[:-sa.icv_len] + struct.pack("!I", seq_hi),
                           sa.digest).digest()[:sa.icv_len]
            if not hmac.compare_digest(mac, esp[-sa.icv_len:]):
                raise ValueError("ESN HMAC mismatch")
        else:
            s.auth_algo.verify(p, d.auth)
    plain = s.crypt_algo.decrypt(s, p, s.crypt_key, sa.icv_len, esn_en=sa.esn, esn=seq_hi)
    # scapy 2.5 cuts _ESPPlain.padding from the wrong place: read the pad
    # bytes off a plain decryption.
    if sa.s_crypt == "AES-GCM":
        hi = struct.pack("!I", seq_hi) if sa.esn else b""
        pt = AESGCM(d.key[:-4]).decrypt(d.key[-4:] + esp[8:16], esp[16:],
                                        esp[:4] + hi + esp[4:8])
    elif sa.s_crypt == "AES-CBC":
        dec = Cipher(algorithms.AES(d.key), modes.CBC(esp[8:24])).decryptor()
        pt = dec.update(esp[24:len(esp) - sa.icv_len]) + dec.finalize()
    else:
        pt = esp[8:]
    pad = pt[len(pt) - 2 - plain.padlen:len(pt) - 2]
    return bytes(plain.data), plain.nh, plain.padlen, pad


# ---------------------------------------------------------------- tshark

ESP_PREFS = ["-o", "esp.enable_encryption_decode:TRUE",
             "-o", "esp.enable_authentication_check:TRUE",
             "-o", "esp.do_esp_sequence_analysis:FALSE"]


def tshark_esp(pcap, sas, fields):
    """harness.tshark_fields with ESP decryption: one esp_sa UAT record per SA
    (what the hub sends), given on the command line."""
    extra = []
    for s in sas:
        extra += ["-o", "uat:esp_sa:" + s.uat()]
    saved = harness.TSHARK_PREFS
    harness.TSHARK_PREFS = saved + ESP_PREFS + extra
    try:
        return harness.tshark_fields(pcap, fields)
    finally:
        harness.TSHARK_PREFS = saved
