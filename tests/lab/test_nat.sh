#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# spoke2 behind a NAT (dmvpn-nat, nftables masquerade to 203.0.113.1):
# `test_nat.sh --ipsec --nat` (IKEv2 with NAT-T: ESP in UDP 4500) or
# `test_nat.sh --nat` (plain GRE through the NAT). The hub learns spoke2's
# outside address from its registration (NHRP NAT extension), spoke1's
# phase-3 shortcut goes straight to that address, and host1 reaches host2
# directly (with --ipsec: encrypted, over a spoke1 <-> spoke2 IKE SA).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null && command -v tshark >/dev/null || { echo "SKIP: tcpdump/tshark"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: nftables"; exit 77; }
ARGS=("$@"); [ ${#ARGS[@]} = 0 ] && ARGS=(--ipsec --nat)
IPSEC=0; [[ " ${ARGS[*]} " == *" --ipsec "* ]] && IPSEC=1
PUB=203.0.113.1

"$LAB" up "${ARGS[@]}" >/tmp/dmvpn-lab-up.log 2>&1 || { cat /tmp/dmvpn-lab-up.log; bad "lab up ${ARGS[*]}"; exit 1; }
ok "lab up ${ARGS[*]}"
check "spoke2 registered with the hub through the NAT" eventually 30 \
	jeq 1 "$HUB" show nhrp cache -- 'sum(e["protocol"]=="198.51.100.12/32" for e in b)'
reg=$(json "$HUB" show nhrp cache -- '" ".join(e["nbma"]+"/"+e["claimed_nbma"] for e in b if e["protocol"]=="198.51.100.12/32")')
check "the hub has spoke2 at its outside address, claimed the inside one ($reg)" \
	test "$reg" = "$PUB/198.19.12.12"
check "the hub's show dmvpn marks spoke2 NATed" eventually 5 \
	jeq True "$HUB" show dmvpn -- '[p["attributes"] for p in b[0]["peers"] if p["tunnel"]=="198.51.100.12"][0].count("N") == 1'
if [ "$IPSEC" = 1 ]; then
	check "the hub's IKE SA with spoke2 is at the NAT's address" eventually 20 \
		jeq True "$HUB" show ike sa -- '"'$PUB'" in str(b) and "ESTABLISHED" in str(b)'
	enc=$(json "$HUB" show ipsec sa -- '" ".join(s["encapsulation"] for s in b if s["peer"]=="'$PUB'")')
	check "and its ESP goes in UDP ($enc)" test "$enc" = udp
fi

CAP=$(mktemp /tmp/dmvpn-wan.XXXXXX.pcap)
ip netns exec dmvpn-wan tcpdump -q -U --immediate-mode -i br0 -w "$CAP" 2>/dev/null &
tp=$!
sleep 1
"$CTL" -s "$S1" clear nhrp cache >/dev/null
"$CTL" -s "$S2" clear nhrp cache >/dev/null
sleep 2.5
# The first packets go through the hub and set up the shortcut (with IKEv2,
# spoke1 <-> spoke2's IKE SA too); then host1 reaches host2 directly.
ping_ok dmvpn-host1 198.18.2.10 5
check "the shortcut on spoke1 goes to spoke2's outside address" eventually 15 \
	jeq "198.18.2.0/24@198.51.100.12@$PUB" "$S1" show nhrp shortcut -- '" ".join(e["prefix"]+"@"+e["nexthop"]+"@"+e["nbma"] for e in b)'
hd0=$(counter "$HUB" '["gre_decap"]')
check "host1 -> host2 across the NAT" ping_ok dmvpn-host1 198.18.2.10 10
hd1=$(counter "$HUB" '["gre_decap"]')
check "spoke to spoke: the hub saw none of it ($hd0 -> $hd1)" test "$hd1" -le $((hd0 + 2))
check "host2 -> host1 across the NAT" ping_ok dmvpn-host2 198.18.1.10 5
sleep 1
kill "$tp"; wait "$tp" 2>/dev/null
direct="ip.src == 192.0.2.11 && ip.dst == $PUB"
gre=$(tshark -r "$CAP" -Y "gre || ip.proto == 47" 2>/dev/null | wc -l)
if [ "$IPSEC" = 1 ]; then
	esp=$(tshark -r "$CAP" -Y "esp && udp.port == 4500 && $direct" 2>/dev/null | wc -l)
	check "spoke1 -> spoke2 directly in ESP in UDP ($esp packets)" test "$esp" -ge 10
	check "no GRE in clear on the WAN ($gre packets)" test "$gre" = 0
	other=$(tshark -r "$CAP" -Y "ip.src == 192.0.2.0/24 && !esp && !isakmp && !arp && !icmp" 2>/dev/null | wc -l)
	check "nothing but ESP and IKE from the appliances ($other other packets)" test "$other" = 0
	check "spoke1's show ike sa lists spoke2 (at $PUB)" eventually 10 \
		jeq True "$S1" show ike sa -- '"'$PUB'" in str(b)'
	"$CTL" -s "$S1" show ike sa | sed 's/^/# /'
else
	g=$(tshark -r "$CAP" -Y "gre && $direct" 2>/dev/null | wc -l)
	check "spoke1 -> spoke2 directly in GRE to the NAT's address ($g packets)" test "$g" -ge 10
fi
rm -f "$CAP"
finish
