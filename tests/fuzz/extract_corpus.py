#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Regenerates the GRE seed corpus from tcpdump's test pcaps: one file per packet, from the IPv4 header on.
# Usage: tests/fuzz/extract_corpus.py /path/to/tcpdump/tests OUTDIR
import os
import sys

from scapy.all import IP, rdpcap

# (pcap, packet index, output name, offset of the IPv4 header when scapy
# cannot dissect the link layer)
PICKS = [
    ("various_gre.pcap", 10, "various_gre_key_8909", None),
    ("various_gre.pcap", 11, "various_gre_key_keepalive", None),
    ("various_gre.pcap", 24, "various_gre_136", None),
    ("various_gre.pcap", 48, "various_gre_cdp", None),
    ("various_gre.pcap", 66, "various_gre_94", None),
    ("gre-heapoverflow-1.pcap", 1, "gre_heapoverflow_1", 14),
    ("gre-heapoverflow-2.pcap", 1, "gre_heapoverflow_2", 14),
    ("NHRP_registration.pcap", 0, "nhrp_registration_request", None),
    ("NHRP_registration.pcap", 1, "nhrp_registration_reply", None),
    ("ios_nhrp.pcap", 0, "ios_nhrp_registration", None),
]


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for pcap, idx, name, off in PICKS:
        pkt = rdpcap(os.path.join(src, pcap))[idx]
        data = bytes(pkt)[off:] if off is not None else bytes(pkt[IP])
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes from {pcap} #{idx + 1}")


if __name__ == "__main__":
    main()
