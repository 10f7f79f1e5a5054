#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Phase 1: spokes register with the hub, spoke-to-spoke traffic goes through
# it (the hub sends no redirects here). Tables change under traffic with no
# loss; a bad reload changes nothing; the hub restarts and the spokes
# re-register and traffic recovers.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

sed -i 's/redirect = true;/redirect = false;/' "$CONF/hub.conf"
# Re-register every 2 s so a restarted hub learns the spokes again quickly.
sed -i 's/unique = true; /registration_interval = 2;\n      unique = true; /' "$CONF/spoke.conf" "$CONF/spoke2.conf"
lab_up

regs=$(json "$HUB" show nhrp cache -- '" ".join(sorted(e["protocol"]+"="+e["nbma"]+"/"+e["type"] for e in b))')
check "hub learned both spokes by registration ($regs)" \
	test "$regs" = "198.51.100.11/32=192.0.2.11/dynamic 198.51.100.12/32=192.0.2.12/dynamic"
st=$(json "$S1" show nhrp nhs -- 'b[0]["state"]+" "+str(b[0]["public_nbma"])')
check "spoke1's NHS is up and saw us at 192.0.2.11 ($st)" test "$st" = "up 192.0.2.11"

for ns_dst in "dmvpn-host1 198.18.2.10" "dmvpn-host1 198.18.0.10" "dmvpn-host2 198.18.0.10"; do
	set -- $ns_dst
	ip netns exec "$1" ping -q -c 2 -W 3 "$2" >/dev/null 2>&1 || true
done
dec0=$(counter "$HUB" '["gre_decap"]'); hp0=$(counter "$HUB" '["tunnel_hairpin"]')
check "host1 -> host2 (spoke to spoke via the hub)" ping_ok dmvpn-host1 198.18.2.10 5
check "host1 -> host0 (spoke to hub LAN)" ping_ok dmvpn-host1 198.18.0.10 5
check "host2 -> host0" ping_ok dmvpn-host2 198.18.0.10 3
check "host0 -> host1 (hub LAN to spoke)" ping_ok dmvpn-host0 198.18.1.10 3
check "host1 -> hub tunnel address 198.51.100.1" ping_ok dmvpn-host1 198.51.100.1 2
check "host1 -> hub LAN address 198.18.0.1" ping_ok dmvpn-host1 198.18.0.1 2
dec1=$(counter "$HUB" '["gre_decap"]'); hp1=$(counter "$HUB" '["tunnel_hairpin"]')
check "hub decapsulated the spokes' GRE ($dec0 -> $dec1)" test $((dec1 - dec0)) -ge 24
check "hub hairpinned all spoke-to-spoke traffic ($hp0 -> $hp1)" test $((hp1 - hp0)) -ge 10
check "no shortcut on spoke1 without redirects" test "$(json "$S1" show nhrp shortcut -- 'len(b)')" = 0
check "the hub sent no redirect" test "$(counter "$HUB" '["nhrp"]["sent"]["traffic_indication"]')" = 0
check "no packet dropped by the hub" test "$(counter "$HUB" '["drops"]["no_route"]')$(counter "$HUB" '["drops"]["nhrp_no_mapping"]')" = 00
"$CTL" -s "$HUB" show counters | grep -q "gre_decap" && ok "show counters (plain) names gre_decap" ||
	bad "show counters (plain) names gre_decap"
peers=$(json "$HUB" show dmvpn -- '" ".join(sorted(p["nbma"]+"="+p["tunnel"]+"/"+p["attributes"] for p in b[0]["peers"]))')
check "hub show dmvpn lists both spokes, dynamic ($peers)" \
	test "$peers" = "192.0.2.11=198.51.100.11/D 192.0.2.12=198.51.100.12/D"
"$CTL" -s "$HUB" show dmvpn | grep -q "192.0.2.12" && ok "show dmvpn (plain) table" ||
	bad "show dmvpn (plain) table"
arp=$(json "$S1" show arp -- '" ".join(sorted(n["address"]+"/"+n["state"] for n in b))')
check "spoke1 learned host1 and the hub by ARP ($arp)" \
	bash -c "[[ '$arp' == *'198.18.1.10/reachable'* && '$arp' == *'192.0.2.1/reachable'* ]]"
mode=$(stat -c %a "$HUB")
check "control socket mode is 0600 ($mode)" test "$mode" = 600

# Tables changing under traffic: flip the route to host2's LAN between two
# equivalent tunnel next hops (a second static mapping of spoke2) and
# republish the interface view (outer TTL), 20 times during 400 pings.
sed -i 's|# map = ( { protocol = "198.51.100.11"; nbma = "192.0.2.11"; } );|map = ( { protocol = "198.51.100.112"; nbma = "192.0.2.12"; } );|' "$CONF/hub.conf"
cp "$CONF/hub.conf" "$CONF/hub.a"
sed -e 's|prefix = "198.18.2.0/24"; via = "198.51.100.12"|prefix = "198.18.2.0/24"; via = "198.51.100.112"|' \
    -e 's|    mtu = 1400;|    mtu = 1400;\n    ttl = 63;|' "$CONF/hub.a" >"$CONF/hub.b"
"$CTL" -s "$HUB" reload >/dev/null || bad "reload with an extra map"
ip netns exec dmvpn-host1 ping -q -c 400 -i 0.01 -W 2 198.18.2.10 >/tmp/dmvpn-lab-ping.log 2>&1 &
pp=$!
rl=0
for i in $(seq 1 20); do
	if [ $((i % 2)) = 1 ]; then cp "$CONF/hub.b" "$CONF/hub.conf"; else cp "$CONF/hub.a" "$CONF/hub.conf"; fi
	"$CTL" -s "$HUB" reload >/dev/null && rl=$((rl + 1))
	sleep 0.15
done
wait $pp; prc=$?
check "20 reloads under traffic accepted ($rl)" test "$rl" = 20
check "no ping lost while tables changed ($(grep -o '[0-9.]*% packet loss' /tmp/dmvpn-lab-ping.log))" \
	test "$prc" = 0 -a -n "$(grep ' 0% packet loss' /tmp/dmvpn-lab-ping.log)"

# A bad reload is refused and changes nothing.
cp "$CONF/hub.conf" "$CONF/hub.good"
sed -i 's|via = "198.51.100.11"|via = "203.0.113.99"|' "$CONF/hub.conf"
out=$("$CTL" -s "$HUB" reload 2>&1); rc=$?
check "bad reload refused with file, line and setting ($out)" \
	bash -c "[ $rc != 0 ] && [[ '$out' == *hub.conf:*routes* ]]"
check "after the refused reload host1 -> host0 still works" ping_ok dmvpn-host1 198.18.0.10 2
cp "$CONF/hub.good" "$CONF/hub.conf"

# Hub restart: it comes back empty, the spokes register again, traffic recovers.
check "hub restarted" restart_node hub hub.conf
check "spokes registered again with the restarted hub" eventually 30 \
	jeq 2 "$HUB" show nhrp cache -- 'sum(e["type"] == "dynamic" for e in b)'
check "host1 -> host2 after the hub restart" eventually 20 ping_ok dmvpn-host1 198.18.2.10 1

finish
