#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Extracts the NHRP packets of tcpdump's captures: hex lines for test_nhrp.c and fuzz seeds.
# Usage: tests/unit/vectors/extract_nhrp.py [CORPUS_DIR]  (Debian's python3, with scapy)
import os
import sys

from scapy.all import GRE, IP, rdpcap

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = ["ios_nhrp.pcap", "NHRP_registration.pcap", "NHRP-responder-address.pcap",
            "nhrp-trace.pcap", "nhrp.pcapng", "pb_nhrp_1.pcap"]
ETHERTYPE_NHRP = 0x2001
IPPROTO_NHRP = 54  # NHRP straight over IP: only the malformed pb_nhrp_1


def nhrp_payload(pkt):
    if GRE in pkt and pkt[GRE].proto == ETHERTYPE_NHRP:
        return bytes(pkt[GRE].payload)
    if IP in pkt and pkt[IP].proto == IPPROTO_NHRP:
        ip = bytes(pkt[IP])
        return ip[(ip[0] & 0xf) * 4:(ip[2] << 8) | ip[3]]
    return None


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else None
    seen = set()
    for cap in CAPTURES:
        for i, pkt in enumerate(rdpcap(os.path.join(HERE, cap))):
            data = nhrp_payload(pkt)
            if data is None:
                continue
            print(f"{cap} #{i + 1} {data.hex()}")
            if out and data not in seen:
                seen.add(data)
                os.makedirs(out, exist_ok=True)
                name = f"{os.path.splitext(cap)[0]}_{i + 1}".replace("-", "_")
                with open(os.path.join(out, name), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
