#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# scapy as the independent oracle of lib/esp/esp: opens the packets esp_seal made
# (test_esp --dump) with scapy.layers.ipsec and checks payload, trailer, IVs.
# Usage: esp_scapy.py path/to/test_esp. Exit 77 (skipped) without scapy.
import hmac
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

try:
    from scapy.layers.ipsec import ESP, SecurityAssociation, IPSecIntegrityError
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as e:
    print('SKIP: %s' % e)
    sys.exit(77)

# lib/esp/esp name -> scapy crypt algo, scapy auth algo, hashlib digest, ICV length
ALGS = {
    'null': ('NULL', 'NULL', None, 0),
    'aes128gcm16': ('AES-GCM', 'NULL', None, 16),
    'aes256gcm16': ('AES-GCM', 'NULL', None, 16),
    'aes128-sha256': ('AES-CBC', 'SHA2-256-128', hashlib.sha256, 16),
    'aes256-sha256': ('AES-CBC', 'SHA2-256-128', hashlib.sha256, 16),
    'aes128-sha1': ('AES-CBC', 'HMAC-SHA1-96', hashlib.sha1, 12),
    'aes256-sha1': ('AES-CBC', 'HMAC-SHA1-96', hashlib.sha1, 12),
}


def unhex(s):
    return b'' if s == '-' else bytes.fromhex(s)


def plaintext(calg, ekey, pkt, icv, seq, esn):
    if calg == 'NULL':
        return pkt[8:]
    if calg == 'AES-CBC':
        dec = Cipher(algorithms.AES(ekey), modes.CBC(pkt[8:24])).decryptor()
        return dec.update(pkt[24:len(pkt) - icv]) + dec.finalize()
    aad = pkt[:4] + (struct.pack('!L', seq >> 32) if esn else b'') + pkt[4:8]
    return AESGCM(ekey[:-4]).decrypt(ekey[-4:] + pkt[8:16], pkt[16:], aad)


def check(line):
    name, esn, seq, spi, nh, ekey, akey, payload, pkt = line.split()
    esn, seq, spi, nh = int(esn), int(seq, 16), int(spi, 16), int(nh)
    ekey, akey, payload, pkt = unhex(ekey), unhex(akey), unhex(payload), unhex(pkt)
    calg, aalg, digest, icv = ALGS[name]
    sa = SecurityAssociation(ESP, spi=spi, crypt_algo=calg, crypt_key=ekey or None,
                             auth_algo=aalg, auth_key=akey or None,
                             esn_en=bool(esn), esn=seq >> 32)
    esp = ESP(pkt)
    errs = []
    if esp.spi != spi or esp.seq != seq & 0xffffffff:
        errs.append('header %x/%x' % (esp.spi, esp.seq))
    if digest:
        if esn:
            # scapy's ESP HMAC ignores ESN (it appends seq_hi for AH only):
            # RFC 4303 2.2.1 by hand, ICV over ESP || seq_hi.
            mac = hmac.new(akey, pkt[:-icv] + struct.pack('!L', seq >> 32), digest)
            if not hmac.compare_digest(mac.digest()[:icv], pkt[-icv:]):
                errs.append('ESN ICV')
        else:
            try:
                sa.auth_algo.verify(esp, akey)
            except IPSecIntegrityError:
                errs.append('ICV')
    try:
        plain = sa.crypt_algo.decrypt(sa, esp, sa.crypt_key, icv, esn_en=bool(esn), esn=seq >> 32)
    except IPSecIntegrityError:
        return errs + ['GCM tag']
    if bytes(plain.data) != payload:
        errs.append('payload')
    if plain.nh != nh:
        errs.append('next header %d' % plain.nh)
    # scapy's _ESPPlain.padding is cut from the wrong place (scapy 2.5), so the
    # pad bytes are read off a plain python-cryptography decryption.
    pt = plaintext(calg, ekey, pkt, icv, seq, esn)
    pad = pt[len(pt) - 2 - plain.padlen:len(pt) - 2]
    if pad != bytes(range(1, plain.padlen + 1)) or pt[-2] != plain.padlen:
        errs.append('padding')
    ct_len = len(pkt) - 8 - len(plain.iv) - icv
    if ct_len % (16 if calg == 'AES-CBC' else 4) or plain.padlen >= (16 if calg == 'AES-CBC' else 4):
        errs.append('alignment or padding not minimal')
    if calg == 'AES-GCM' and bytes(plain.iv) != struct.pack('!Q', seq):
        errs.append('GCM IV is not seq')
    if calg == 'AES-CBC':
        enc = Cipher(algorithms.AES(ekey), modes.ECB()).encryptor()
        want = enc.update(struct.pack('!QQ', 0, seq)) + enc.finalize()
        if bytes(plain.iv) != want:
            errs.append('CBC IV is not AES-ECB(seq)')
    return errs


def main():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'esp.txt')
        subprocess.run([sys.argv[1], '--dump', path], check=True)
        lines = open(path).read().splitlines()
    failed = 0
    for line in lines:
        errs = check(line)
        if errs:
            failed += 1
            print('FAIL %s: %s' % (' '.join(line.split()[:4]), ', '.join(errs)))
    print('esp_scapy: %d packets, %d failed' % (len(lines), failed))
    return 1 if failed or not lines else 0


sys.exit(main())
