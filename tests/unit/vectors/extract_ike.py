#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Extracts the IKEv2 messages (UDP 500 payloads) of tcpdump's captures: hex lines for test_ike_wire.c and fuzz seeds.
# Usage: tests/unit/vectors/extract_ike.py [CORPUS_DIR]  (Debian's python3, with scapy)
import os
import sys

from scapy.all import UDP, rdpcap

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = ["ikev2four.pcap", "ikev2pI2.pcap"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else None
    for cap in CAPTURES:
        for i, pkt in enumerate(rdpcap(os.path.join(HERE, cap))):
            if UDP not in pkt or 500 not in (pkt[UDP].sport, pkt[UDP].dport):
                continue
            data = bytes(pkt[UDP].payload)
            print(f"{cap} #{i + 1} {data.hex()}")
            if out:
                os.makedirs(out, exist_ok=True)
                name = f"{os.path.splitext(cap)[0]}_{i + 1}"
                with open(os.path.join(out, name), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
