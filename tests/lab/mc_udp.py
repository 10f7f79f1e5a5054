# SPDX-License-Identifier: BSD-3-Clause
# Multicast over a tunnel's kernel interface, for test_multicast.sh:
#   mc_udp.py send IFADDR GROUP PORT TEXT    one datagram out of the interface
#   mc_udp.py recv IFADDR GROUP PORT SECONDS print each datagram's text
import socket
import struct
import sys
import time


def main():
    mode, ifaddr, group, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if mode == "send":
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.sendto(sys.argv[5].encode(), (group, port))
        return
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(ifaddr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    end = time.time() + float(sys.argv[5])
    while True:
        left = end - time.time()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            break
        print(f"{src[0]} {data.decode(errors='replace')}", flush=True)


if __name__ == "__main__":
    main()
