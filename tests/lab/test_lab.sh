#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: phase-1 DMVPN (static maps) across three appliances in namespaces.
#
#   host1 --- spoke1 ===GRE=== hub ===GRE=== spoke2 --- host2
#                               |
#                             host0
#
# Pings cross it; the hub's counters show the GRE it forwarded; the hub's
# tables change under traffic (route next hop flipped, interface view
# republished) and no ping is lost; the topology is removed even on failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DMVPN_BUILD=${DMVPN_BUILD:-$ROOT/build}
LAB="$ROOT/tools/dmvpn-lab"
CTL="$DMVPN_BUILD/dmvpnctl"
HUB=/run/dmvpn/dmvpn-hub.sock
PY=/usr/bin/python3
fails=0

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ping >/dev/null || { echo "SKIP: no ping (iputils-ping)"; exit 77; }

CONF=$(mktemp -d /tmp/dmvpn-labconf.XXXXXX)
export DMVPN_LAB_CONF=$CONF
cp "$ROOT"/conf/{hub,spoke,spoke2}.conf "$CONF/"

cleanup() {
	"$LAB" down >/dev/null 2>&1
	rm -rf "$CONF"
	# Nothing may be left behind.
	if ip netns list | grep -q '^dmvpn-'; then echo "FAIL: namespaces left"; exit 1; fi
	if pgrep -f "dmvpnd -c $CONF" >/dev/null; then echo "FAIL: dmvpnd left running"; exit 1; fi
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# jq-free JSON access: counter NAME of the hub (dotted path into the body).
counter() {
	"$CTL" -s "$HUB" show counters --json |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin)["body"]
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"
}

ping_ok() { # NS DST COUNT
	ip netns exec "$1" ping -q -c "$3" -i 0.2 -W 2 "$2" >/dev/null
}

"$LAB" up >/tmp/dmvpn-lab-up.log 2>&1 || { cat /tmp/dmvpn-lab-up.log; bad "lab up"; exit 1; }
ok "lab up"

# ARP and the first packets may take a moment; warm the paths up.
for ns_dst in "dmvpn-host1 198.18.2.10" "dmvpn-host1 198.18.0.10" "dmvpn-host2 198.18.0.10"; do
	set -- $ns_dst
	ip netns exec "$1" ping -q -c 2 -W 3 "$2" >/dev/null 2>&1 || true
done

dec0=$(counter gre_decap); enc0=$(counter gre_encap); hp0=$(counter tunnel_hairpin)
check "host1 -> host2 (spoke to spoke via the hub)" ping_ok dmvpn-host1 198.18.2.10 5
check "host1 -> host0 (spoke to hub LAN)" ping_ok dmvpn-host1 198.18.0.10 5
check "host2 -> host0" ping_ok dmvpn-host2 198.18.0.10 3
check "host0 -> host1 (hub LAN to spoke)" ping_ok dmvpn-host0 198.18.1.10 3
check "host1 -> hub tunnel address 198.51.100.1" ping_ok dmvpn-host1 198.51.100.1 2
check "host1 -> hub LAN address 198.18.0.1" ping_ok dmvpn-host1 198.18.0.1 2
dec1=$(counter gre_decap); enc1=$(counter gre_encap); hp1=$(counter tunnel_hairpin)
# host1<->host2: 10 packets decapsulated and re-encapsulated by the hub.
check "hub decapsulated the spokes' GRE ($dec0 -> $dec1)" test $((dec1 - dec0)) -ge 24
check "hub encapsulated toward the spokes ($enc0 -> $enc1)" test $((enc1 - enc0)) -ge 24
check "hub hairpinned spoke-to-spoke traffic ($hp0 -> $hp1)" test $((hp1 - hp0)) -ge 10
check "no packet dropped by the hub" test "$(counter drops.no_route)$(counter drops.gre_key_mismatch)" = 00

"$CTL" -s "$HUB" show counters | grep -q "gre_decap" && ok "show counters (plain) names gre_decap" ||
	bad "show counters (plain) names gre_decap"
peers=$("$CTL" -s "$HUB" show dmvpn --json | "$PY" -c 'import json,sys
b=json.load(sys.stdin)["body"]; print(" ".join(sorted(p["nbma"]+"="+p["tunnel"] for p in b[0]["peers"])))')
check "hub show dmvpn lists both spokes ($peers)" \
	test "$peers" = "192.0.2.11=198.51.100.11 192.0.2.12=198.51.100.12"
"$CTL" -s "$HUB" show dmvpn | grep -q "192.0.2.12" && ok "show dmvpn (plain) table" ||
	bad "show dmvpn (plain) table"
arp=$("$CTL" -s /run/dmvpn/dmvpn-spoke1.sock show arp --json | "$PY" -c 'import json,sys
print(" ".join(sorted(n["address"]+"/"+n["state"] for n in json.load(sys.stdin)["body"])))')
check "spoke1 learned host1 and the hub by ARP ($arp)" \
	bash -c "[[ '$arp' == *'198.18.1.10/reachable'* && '$arp' == *'192.0.2.1/reachable'* ]]"
mode=$(stat -c %a "$HUB")
check "control socket mode is 0600 ($mode)" test "$mode" = 600

# Tables changing under traffic: flip the route to host2's LAN between two
# equivalent tunnel next hops and republish the interface view (outer TTL),
# 20 times during a ping of 400 packets. A consistent table forwards all.
sed -i 's|{ protocol = "198.51.100.12"; nbma = "192.0.2.12"; }|&,\n        { protocol = "198.51.100.112"; nbma = "192.0.2.12"; }|' "$CONF/hub.conf"
cp "$CONF/hub.conf" "$CONF/hub.a"
sed -e 's|prefix = "198.18.2.0/24"; via = "198.51.100.12"|prefix = "198.18.2.0/24"; via = "198.51.100.112"|' \
    -e 's|ttl = 64|ttl = 63|; s|    mtu = 1400;|    mtu = 1400;\n    ttl = 63;|' "$CONF/hub.a" >"$CONF/hub.b"
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
check "no ping lost while tables changed ($(grep -o '[0-9]*% packet loss' /tmp/dmvpn-lab-ping.log))" \
	test "$prc" = 0 -a -n "$(grep ' 0% packet loss' /tmp/dmvpn-lab-ping.log)"

# A bad reload is refused and changes nothing.
cp "$CONF/hub.conf" "$CONF/hub.good"
sed -i 's|via = "198.51.100.11"|via = "203.0.113.99"|' "$CONF/hub.conf"
out=$("$CTL" -s "$HUB" reload 2>&1); rc=$?
check "bad reload refused with file, line and setting ($out)" \
	bash -c "[ $rc != 0 ] && [[ '$out' == *hub.conf:*routes* ]]"
check "after the refused reload host1 -> host0 still works" ping_ok dmvpn-host1 198.18.0.10 2
cp "$CONF/hub.good" "$CONF/hub.conf"

# Hub restart: traffic recovers with the static maps.
kill -TERM "$(cat /run/dmvpn/dmvpn-hub.pid)"
for _ in $(seq 1 50); do kill -0 "$(cat /run/dmvpn/dmvpn-hub.pid)" 2>/dev/null || break; sleep 0.1; done
check "hub exited cleanly on SIGTERM" bash -c "! kill -0 $(cat /run/dmvpn/dmvpn-hub.pid) 2>/dev/null"
check "its control socket was removed" test ! -e "$HUB"

echo "# $fails failure(s)"
[ "$fails" = 0 ]
