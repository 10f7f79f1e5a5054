#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab with tunnel protection between every pair: keyed by IKEv2
# (`test_ipsec.sh --ipsec`, PSK) or by static SAs (`--ipsec=static`). The
# hosts reach each other, phase-3 shortcuts come up over their own SA (with
# IKEv2: their own spoke-to-spoke IKE SA), and a capture on the WAN bridge
# holds only ESP between the appliances: no GRE, NHRP included, ever
# crosses it in clear.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null && command -v tshark >/dev/null || { echo "SKIP: tcpdump/tshark"; exit 77; }
MODE=${1:---ipsec}

"$LAB" up "$MODE" >/tmp/dmvpn-lab-up.log 2>&1 || { cat /tmp/dmvpn-lab-up.log; bad "lab up $MODE"; exit 1; }
ok "lab up $MODE"
if [ "$MODE" = --ipsec ]; then
	keys=$(grep -l "^ *sas = (" "$RUN"/lab-conf/*.conf 2>/dev/null | wc -l)
	ike=$(grep -l "^ike = {" "$RUN"/lab-conf/*.conf 2>/dev/null | wc -l)
	check "every appliance has an ike section ($ike)" test "$ike" -ge 3
	check "no static keys in the lab's configurations ($keys files with SAs)" test "$keys" = 0
	check "spoke1 has an IKE SA with the hub" eventually 20 \
		jeq True "$S1" show ike sa -- '"192.0.2.1" in str(b) and "ESTABLISHED" in str(b)'
	check "the hub has IKE SAs with both spokes" eventually 20 \
		jeq True "$HUB" show ike sa -- '"192.0.2.11" in str(b) and "192.0.2.12" in str(b)'
fi
CAP=$(mktemp /tmp/dmvpn-wan.XXXXXX.pcap)
ip netns exec dmvpn-wan tcpdump -q -U --immediate-mode -i br0 -w "$CAP" 2>/dev/null &
tp=$!
sleep 1
"$CTL" -s "$S1" clear nhrp cache >/dev/null
"$CTL" -s "$S2" clear nhrp cache >/dev/null
sleep 2.5
# With IKEv2 the first packets may wait for spoke1 <-> spoke2's IKE SA.
[ "$MODE" = --ipsec ] && ping_ok dmvpn-host1 198.18.2.10 5
check "host1 -> host2 over ESP" ping_ok dmvpn-host1 198.18.2.10 10
check "host1 -> host0 over ESP" ping_ok dmvpn-host1 198.18.0.10 3
check "host2 -> host0 over ESP" ping_ok dmvpn-host2 198.18.0.10 3
sleep 1
kill "$tp"; wait "$tp" 2>/dev/null
gre=$(tshark -r "$CAP" -Y "gre || ip.proto == 47" 2>/dev/null | wc -l)
esp=$(tshark -r "$CAP" -Y "esp" 2>/dev/null | wc -l)
s2s=$(tshark -r "$CAP" -Y "esp && ip.src == 192.0.2.11 && ip.dst == 192.0.2.12" 2>/dev/null | wc -l)
check "the WAN saw ESP ($esp packets)" test "$esp" -gt 20
check "and no GRE in clear ($gre packets)" test "$gre" = 0
check "spoke1 -> spoke2 directly in ESP ($s2s packets)" test "$s2s" -ge 5
check "spoke1 has the shortcut" jeq 1 "$S1" show nhrp shortcut -- 'len(b)'
if [ "$MODE" = --ipsec ]; then
	check "spoke1's show ike sa lists spoke2" eventually 10 \
		jeq True "$S1" show ike sa -- '"192.0.2.12" in str(b)'
	"$CTL" -s "$S1" show ike sa | sed 's/^/# /'
fi
sa=$(json "$S1" show ipsec sa -- '" ".join(s["peer"]+":"+str(s["out"]["packets"]>0 and s["in"]["packets"]>0) for s in sorted(b, key=lambda s: s["peer"]))')
check "spoke1's SAs to the hub and to spoke2 carried traffic both ways ($sa)" \
	test "$sa" = "192.0.2.1:True 192.0.2.12:True"
drops=$(json "$HUB" show counters -- 'sum(v for k, v in b["drops"].items() if k.startswith("esp_") or k.startswith("gre_"))')
check "no ESP or GRE drops on the hub ($drops)" test "$drops" = 0
rm -f "$CAP"
finish
