#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Kernel interfaces and multicast replication: a hub and two spokes, each
# dmvpnd with a TUN device "tunnel0" carrying its tunnel address, and BIRD
# running OSPF (broadcast network, the hub as DR, spokes priority 0) over
# it. No appliance has a route to another site's LAN in its config: the
# spokes learn them from the hub by OSPF, and dmvpnd imports BIRD's kernel
# routes. Its own namespaces (mc-*), apart from the lab's.
#
#                        mc-wan (bridge br0)
#          +--------------------+--------------------+
#     192.0.2.1            192.0.2.11           192.0.2.12       NBMA (wan0)
#     +--------+           +--------+           +--------+
#     | mc-hub |           | mc-s1  |           | mc-s2  |       tunnel0 (TUN): 198.51.100.{1,11,12}/24
#     | bird   |           | bird   |           | bird   |       OSPF area 0, hub DR
#     +--------+           +--------+           +--------+
#     198.18.0.1           198.18.1.1           198.18.2.1       LAN (lan0)
#         |                    |                    |
#       mc-h0                mc-h1                mc-h2            198.18.N.10/24
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${DMVPN_BUILD:-$ROOT/build}
CTL="$BUILD/dmvpnctl"
PY=/usr/bin/python3
MCU="$(dirname "$0")/mc_udp.py"
RUN=/run/dmvpn
NODES=(hub s1 s2)
declare -A IDX=([hub]=0 [s1]=1 [s2]=2)
declare -A NBMA=([hub]=192.0.2.1 [s1]=192.0.2.11 [s2]=192.0.2.12)
declare -A TUN=([hub]=198.51.100.1 [s1]=198.51.100.11 [s2]=198.51.100.12)
fails=0
pids=()

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v bird >/dev/null || { echo "SKIP: no bird (apt-get install bird2)"; exit 77; }
command -v ping >/dev/null || { echo "SKIP: no ping"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

DIR=$(mktemp -d /tmp/mc-test.XXXXXX)

cleanup() {
	# MC_KEEP=1 leaves everything up to look at (then: kill the pids, ip netns del mc-*).
	if [ -n "${MC_KEEP:-}" ]; then echo "# kept: $DIR, pids ${pids[*]}"; return; fi
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for n in wan hub s1 s2 h0 h1 h2; do ip netns del "mc-$n" 2>/dev/null; done
	rm -f "$RUN"/mc-*.sock
	rm -rf "$DIR"
	if ip netns list | grep -q '^mc-'; then echo "FAIL: namespaces left"; exit 1; fi
}
trap cleanup EXIT
trap "exit 1" TERM INT

ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
eventually() {
	local secs=$1; shift
	for _ in $(seq 1 $((secs * 4))); do "$@" && return 0; sleep 0.25; done
	return 1
}
ns() { local n=$1; shift; ip netns exec "mc-$n" "$@"; }
# json NODE COMMAND... -- PYTHON-EXPRESSION over b (the body)
json() {
	local n=$1; shift
	local args=()
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	"$CTL" -s "$RUN/mc-$n.sock" "${args[@]}" --json | "$PY" -c "import json,sys
b=json.load(sys.stdin)['body']
print($1)"
}
kc() { json "$1" show counters -- "b['kernel_interfaces']['tunnel0']['$2']"; }

veth() {
	ip link add "$2" netns "mc-$1" type veth peer name "$4" netns "mc-$3"
	for e in "$1:$2" "$3:$4"; do
		ns "${e%%:*}" ethtool -K "${e#*:}" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
		ns "${e%%:*}" ip link set "${e#*:}" up
	done
}

conf() { # NODE: the appliance's config; spokes register with the hub
	local n=$1 i=${IDX[$1]} nhrp
	if [ "$n" = hub ]; then
		# IOS: ip nhrp map multicast dynamic
		nhrp='multicast = [ "dynamic" ];'
	else
		# Multicast goes to the NHS by default (IOS: ip nhrp nhs ... multicast).
		nhrp='nhs = ( { protocol = "198.51.100.1"; nbma = "192.0.2.1"; } ); registration_interval = 5;'
	fi
	cat <<-EOF
	control = { socket = "$RUN/mc-$n.sock"; };
	eal = { args = [ "-l", "0,1", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", "mc-$n",
	                 "--log-level", "*:warning" ]; };
	dataplane = { mbufs = 4095; rx_descriptors = 256; tx_descriptors = 256; idle_sleep_us = 500; };
	ports = (
	  { name = "wan"; device = "net_af_packet0,iface=wan0"; address = "${NBMA[$n]}/24"; },
	  { name = "lan"; device = "net_af_packet1,iface=lan0"; address = "198.18.$i.1/24"; }
	);
	tunnels = ( {
	  name = "tunnel0"; address = "${TUN[$n]}/24"; source = "wan"; key = 1000; mtu = 1400;
	  kernel_interface = true;
	  nhrp = { network_id = 1; holdtime = 600; $nhrp };
	} );
	EOF
}

bird_conf() { # NODE
	local n=$1 prio=0
	[ "$n" = hub ] && prio=10
	cat <<-EOF
	log "$DIR/bird-$n.log" all;
	router id ${TUN[$n]};
	protocol device { scan time 1; }
	# The site's LAN, announced into OSPF (the appliance owns the port).
	protocol static { ipv4; route 198.18.${IDX[$n]}.0/24 unreachable; }
	# What OSPF learns goes into the kernel, where dmvpnd picks it up.
	protocol kernel { ipv4 { import none; export where source ~ [ RTS_OSPF, RTS_OSPF_EXT1, RTS_OSPF_EXT2 ]; }; }
	protocol ospf v2 {
	  ipv4 { import all; export where source = RTS_STATIC; };
	  area 0 { interface "tunnel0" { type broadcast; priority $prio; hello 1; dead 4; wait 2; }; };
	}
	EOF
}

# ---- topology and appliances ----
for n in wan hub s1 s2 h0 h1 h2; do
	ip netns add "mc-$n"
	ns "$n" ip link set lo up
	ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ns wan ip link add br0 type bridge
ns wan ip link set br0 up
mkdir -p "$RUN"
for n in "${NODES[@]}"; do
	i=${IDX[$n]}
	veth "$n" wan0 wan "wan-$n"
	ns wan ip link set "wan-$n" master br0
	veth "$n" lan0 "h$i" eth0
	ns "h$i" ip addr add "198.18.$i.10/24" dev eth0
	ns "h$i" ip route add default via "198.18.$i.1"
	conf "$n" >"$DIR/$n.conf"
	"$BUILD/dmvpnd" --check -c "$DIR/$n.conf" >/dev/null || { bad "config of $n"; exit 1; }
	# Not through ns(): $! must be dmvpnd itself (ip netns exec execs it).
	ip netns exec "mc-$n" "$BUILD/dmvpnd" -c "$DIR/$n.conf" >"$DIR/$n.log" 2>&1 </dev/null &
	pids+=($!)
done
for n in "${NODES[@]}"; do
	eventually 60 "$CTL" -s "$RUN/mc-$n.sock" show interfaces --json >/dev/null 2>&1 ||
		{ cat "$DIR/$n.log"; bad "dmvpnd in mc-$n ready"; exit 1; }
done
ok "three appliances up"
registered() { json "$1" show nhrp nhs -- 'b[0]["state"]' 2>/dev/null | grep -qx up; }
check "spoke1 registered with the hub" eventually 30 registered s1
check "spoke2 registered with the hub" eventually 30 registered s2

for n in "${NODES[@]}"; do
	a=$(ns "$n" ip -o -4 addr show dev tunnel0 2>/dev/null | awk '{print $4}')
	check "mc-$n: kernel interface tunnel0 carries ${TUN[$n]}/24 ($a)" test "$a" = "${TUN[$n]}/24"
done
row=$(json s1 show interfaces -- '[(o["name"],o["kind"],o["link"],o["source"]) for o in b if o["kind"]=="kernel"]')
check "show interfaces lists the kernel interface ($row)" test "$row" = "[('tunnel0', 'kernel', 'up', 'tunnel0')]"
"$CTL" -s "$RUN/mc-s1.sock" show interfaces | grep -q 'kernel' && ok "show interfaces (plain) has the kernel row" ||
	bad "show interfaces (plain) has the kernel row"

# ---- multicast written into one TUN reaches the others' ----
# The hub's goes to both spokes (multicast dynamic); a spoke's to the hub
# only (its NHS), never to the other spoke.
mc_round() { # SENDER: start receivers on every other node, send 3 datagrams
	local snd=$1 n rx=()
	for n in "${NODES[@]}"; do
		[ "$n" = "$snd" ] && continue
		ns "$n" "$PY" "$MCU" recv "${TUN[$n]}" 224.0.0.99 5099 4 >"$DIR/rx-$snd-$n" &
		rx+=($!)
	done
	sleep 1
	for k in 1 2 3; do ns "$snd" "$PY" "$MCU" send "${TUN[$snd]}" 224.0.0.99 5099 "from-$snd-$k"; sleep 0.2; done
	wait "${rx[@]}"
}
rep0=$(kc hub replicated)
mc_round hub
check "hub's multicast reached spoke1's kernel ($(wc -l <"$DIR/rx-hub-s1"))" \
	test "$(grep -c "^198.51.100.1 from-hub-" "$DIR/rx-hub-s1")" = 3
check "hub's multicast reached spoke2's kernel ($(wc -l <"$DIR/rx-hub-s2"))" \
	test "$(grep -c "^198.51.100.1 from-hub-" "$DIR/rx-hub-s2")" = 3
rep1=$(kc hub replicated)
check "hub replicated each datagram to the 2 registered spokes ($rep0 -> $rep1)" test $((rep1 - rep0)) -ge 6
s1rep0=$(kc s1 replicated)
mc_round s1
check "spoke1's multicast reached the hub ($(wc -l <"$DIR/rx-s1-hub"))" \
	test "$(grep -c "^198.51.100.11 from-s1-" "$DIR/rx-s1-hub")" = 3
check "spoke1's multicast did not reach spoke2 ($(wc -l <"$DIR/rx-s1-s2"))" \
	test "$(grep -c from-s1 "$DIR/rx-s1-s2")" = 0
s1rep1=$(kc s1 replicated)
check "spoke1 replicated each datagram once, to its NHS ($s1rep0 -> $s1rep1)" test $((s1rep1 - s1rep0)) -ge 3
tk=$(kc s2 to_kernel_multicast)
check "spoke2 handed multicast to its kernel ($tk)" test "$tk" -ge 3

# ---- unicast between kernels: ping through the tunnel ----
check "spoke1's kernel pings spoke2's tunnel address over the tunnel" \
	eventually 10 ns s1 ping -q -c 1 -W 2 198.51.100.12 >/dev/null
check "hub's kernel pings spoke1" ns hub ping -q -c 2 -W 2 198.51.100.11 >/dev/null

# ---- OSPF over the DMVPN ----
for n in "${NODES[@]}"; do
	bird_conf "$n" >"$DIR/bird-$n.conf"
	ip netns exec "mc-$n" bird -f -c "$DIR/bird-$n.conf" -s "$DIR/bird-$n.ctl" >"$DIR/bird-$n.out" 2>&1 &
	pids+=($!)
done
birdc() { local n=$1; shift; ns "$n" birdc -s "$DIR/bird-$n.ctl" "$@"; }
full() { [ "$(birdc hub show ospf neighbors | grep -c Full)" = 2 ]; }
check "hub (DR) has two Full OSPF adjacencies" eventually 60 full
birdc hub show ospf neighbors | sed 's/^/# /'
learned() { birdc "$1" show route "$2" 2>/dev/null | grep -q "via $3 on tunnel0"; }
check "spoke1 learned spoke2's LAN from the hub, next hop spoke2 (phase 2)" \
	eventually 30 learned s1 198.18.2.0/24 198.51.100.12
check "spoke1 learned the hub's LAN" eventually 30 learned s1 198.18.0.0/24 198.51.100.1
check "spoke2 learned spoke1's LAN" eventually 30 learned s2 198.18.1.0/24 198.51.100.11
check "the hub learned both spokes' LANs" eventually 30 \
	bash -c "$(declare -f ns birdc learned); DIR=$DIR; learned hub 198.18.1.0/24 198.51.100.11 && learned hub 198.18.2.0/24 198.51.100.12"
birdc s1 show route | sed 's/^/# /'
krt=$(ns s1 ip route show 198.18.2.0/24)
check "BIRD put spoke2's LAN into spoke1's kernel ($krt)" bash -c "[[ '$krt' == *'via 198.51.100.12 dev tunnel0'* ]]"
imported() { [ "$(json s1 show routes -- '" ".join(sorted(r["prefix"]+">"+str(r.get("via")) for r in b if r["type"]=="kernel"))')" = "198.18.0.0/24>198.51.100.1 198.18.2.0/24>198.51.100.12" ]; }
check "spoke1 imported the daemon's routes as kernel routes" eventually 10 imported
"$CTL" -s "$RUN/mc-s1.sock" show routes | grep -E '^ *K' | sed 's/^/# /'
check "host1 -> host2 over the routes OSPF learned" eventually 20 ns h1 ping -q -c 1 -W 1 198.18.2.10 >/dev/null
check "host1 -> host0" ns h1 ping -q -c 3 -i 0.2 -W 2 198.18.0.10 >/dev/null
check "host2 -> host1" ns h2 ping -q -c 3 -i 0.2 -W 2 198.18.1.10 >/dev/null
hello=$(kc hub to_kernel_multicast)
check "the hub's kernel got the spokes' hellos ($hello multicast packets)" test "$hello" -ge 10
rep=$(kc hub replicated)
check "the hub kept replicating its hellos ($rep1 -> $rep)" test $((rep - rep1)) -ge 10
drops=$(json hub show counters -- 'b["kernel_interfaces"]["tunnel0"]["drop_write"]+b["kernel_interfaces"]["tunnel0"]["drop_inject"]')
check "no kernel-interface packet lost on the hub ($drops)" test "$drops" = 0

# A spoke's routes go when OSPF withdraws them: stop spoke2's BIRD.
kill -TERM "${pids[5]}"
gone() { [ -z "$(ns s1 ip route show 198.18.2.0/24)" ] &&
	[ "$(json s1 show routes -- 'len([r for r in b if r["prefix"]=="198.18.2.0/24"])')" = 0 ]; }
check "spoke2's LAN leaves spoke1's kernel and dmvpnd when spoke2's OSPF stops" eventually 30 gone
rem=$(json s1 show counters -- 'b["control"]["kernel_routes_removed"]')
check "spoke1 counted the removal ($rem)" test "$rem" -ge 1

echo "# $fails failure(s)"
[ "$fails" = 0 ]
