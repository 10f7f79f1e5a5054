#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# tshark as the independent oracle of lib/ike/ike_crypto's SK payload: Wireshark's
# isakmp dissector decrypts what ike_sk_seal made (test_ike_crypto --dump)
# with the keys in its ikev2_decryption_table, checks the ICV (AES-GCM's tag
# with RFC 5282's AAD and nonce, or the HMAC over header..ciphertext) and
# shows the inner payloads. A corrupted copy must be reported incorrect.
# Usage: ike_tshark.py path/to/test_ike_crypto. Exit 77 (skipped) without tshark.
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ENCR = {
    'aes128gcm16': ('AES-GCM-128 with 16 octet ICV [RFC5282]', None),
    'aes256gcm16': ('AES-GCM-256 with 16 octet ICV [RFC5282]', None),
    'aes128': ('AES-CBC-128 [RFC3602]', None),
    'aes256': ('AES-CBC-256 [RFC3602]', None),
}
INTEG = {
    'sha1': 'HMAC_SHA1_96 [RFC2404]',
    'sha256': 'HMAC_SHA2_256_128 [RFC4868]',
    'sha384': 'HMAC_SHA2_384_192 [RFC4868]',
    'sha512': 'HMAC_SHA2_512_256 [RFC4868]',
}


def pcap(msgs):
    """Ethernet/IPv4/UDP 500 frames around IKE messages."""
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, m in enumerate(msgs):
        udp = struct.pack('!HHHH', 500, 500, 8 + len(m), 0) + m
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
        f = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + udp
        out += struct.pack('<IIII', i, 0, len(f), len(f)) + f
    return out


def tshark(tmp, msg, uat):
    path = os.path.join(tmp, 'ike.pcap')
    with open(path, 'wb') as f:
        f.write(pcap([msg]))
    r = subprocess.run(['tshark', '-r', path, '-o', 'uat:ikev2_decryption_table:' + uat, '-V'],
                       capture_output=True, text=True)
    if r.returncode:
        return 'tshark failed: ' + r.stderr
    return r.stdout


def check(tmp, line):
    suite, spi_i, spi_r, ek, ak, msg, plain = line.split()
    msg = bytes.fromhex(msg)
    algs = suite.split('-')
    encr = ENCR[algs[0]][0]
    integ = INTEG.get(algs[1], 'NONE [RFC4306]')
    ak = '' if ak == '-' else ak
    # Both directions' keys: only the initiator's are used for a request.
    uat = '%s,%s,%s,%s,"%s",%s,%s,"%s"' % (spi_i, spi_r, ek, ek, encr, ak, ak, integ)
    errs = []
    out = tshark(tmp, msg, uat)
    if '[correct]' not in out:
        errs.append('ICV not reported correct')
    if 'ID_FQDN: spoke1.example' not in out or 'INITIAL_CONTACT (16384)' not in out:
        errs.append('inner payloads not decrypted')
    # One flipped bit in the message ID: the ICV no longer verifies.
    bad = bytearray(msg)
    bad[23] ^= 1
    out = tshark(tmp, bytes(bad), uat)
    if '[correct]' in out or 'incorrect' not in out:
        errs.append('corrupted message not reported incorrect')
    print('%s: %s' % (suite, '; '.join(errs) if errs else 'ok'))
    return not errs


def main():
    if not shutil.which('tshark'):
        print('SKIP: no tshark')
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, 'dump.txt')
        subprocess.run([sys.argv[1], '--dump', dump], check=True)
        with open(dump) as f:
            lines = [l for l in f if l.strip()]
        ok = sum(check(tmp, l) for l in lines)
    print('%d passed, %d failed' % (ok, len(lines) - ok))
    return 0 if ok == len(lines) and lines else 1


if __name__ == '__main__':
    sys.exit(main())
