#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the fuzz_esp_open seeds: ESP packets scapy seals under the fuzzer's
# fixed keys (see tests/fuzz/fuzz_esp_open.c), each behind its two selector
# bytes (algorithm, ESN flags). Usage: tests/fuzz/esp_corpus.py OUTDIR
# (Debian's /usr/bin/python3, with scapy).
import hashlib
import hmac
import os
import struct
import sys

from scapy.all import IP, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

# lib/esp/esp enum order: name, scapy crypt algo, key bytes (incl. salt), auth algo, key bytes
ALGS = [
    ('null', 'NULL', 0, 'NULL', 0),
    ('aes128gcm16', 'AES-GCM', 20, 'NULL', 0),
    ('aes256gcm16', 'AES-GCM', 36, 'NULL', 0),
    ('aes128-sha256', 'AES-CBC', 16, 'SHA2-256-128', 32),
    ('aes256-sha256', 'AES-CBC', 32, 'SHA2-256-128', 32),
    ('aes128-sha1', 'AES-CBC', 16, 'HMAC-SHA1-96', 20),
    ('aes256-sha1', 'AES-CBC', 32, 'HMAC-SHA1-96', 20),
]
# payload length, seq_lo, ESN high half index (fuzzer byte 1 bits 1-2) or None.
CASES = [(0, 1, None), (40, 0x2a, None), (3, 7, 1)]
HIS = [0, 1, 0x7fffffff, 0xffffffff]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for a, (name, calg, klen, aalg, alen) in enumerate(ALGS):
        ekey = bytes((0x20 + 3 * i + a) & 0xff for i in range(klen))
        akey = bytes((0x90 + 5 * i + a) & 0xff for i in range(alen))
        for plen, seq, hi in CASES:
            # scapy's ESP HMAC leaves seq_hi out of the ICV: with ESN, CBC
            # packets get theirs here (RFC 4303 2.2.1).
            esn_hmac = hi is not None and aalg != 'NULL'
            sa = SecurityAssociation(ESP, spi=0x100 + a, crypt_algo=calg,
                                     crypt_key=ekey or None,
                                     auth_algo='NULL' if esn_hmac else aalg,
                                     auth_key=None if esn_hmac else akey or None,
                                     esn_en=hi is not None,
                                     esn=HIS[hi] if hi is not None else 0)
            pkt = IP(src='192.0.2.1', dst='192.0.2.2', proto=47) / Raw(bytes(range(plen)))
            esp = raw(sa.encrypt(pkt, seq_num=seq)[ESP])
            if esn_hmac:
                digest = hashlib.sha1 if alen == 20 else hashlib.sha256
                mac = hmac.new(akey, esp + struct.pack('!L', HIS[hi]), digest).digest()
                esp += mac[:12 if alen == 20 else 16]
            flags = 0 if hi is None else 1 | hi << 1
            fn = '%s_%d%s' % (name, plen, '_esn' if hi is not None else '')
            with open(os.path.join(out, fn), 'wb') as f:
                f.write(bytes([a, flags]) + esp)


main()
