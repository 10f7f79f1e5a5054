#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two hubs, phase 2: the spokes register with both hubs and prefer hub 1
# (priority 0). Spoke LANs are routed via the other spoke's tunnel address,
# so the first packet finds no mapping: it goes via the preferred hub while
# the spoke resolves, then spoke to spoke. Hub 1 dies: the spokes mark it
# down and resolve through hub 2 instead.
#
#            hub (prio 0)     hub2 (prio 1)
#               \\             //
#   host1 --- spoke1 ======== spoke2 --- host2
set -uo pipefail
. "$(dirname "$0")/lib.sh"
H2=$RUN/dmvpn-hub2.sock

# Phase 2 routes on the spokes; re-register every 2 s so a dead hub shows.
sed -i 's|{ prefix = "198.18.2.0/24"; via = "198.51.100.1"; }|{ prefix = "198.18.2.0/24"; via = "198.51.100.12"; }|' "$CONF/spoke.conf"
sed -i 's|{ prefix = "198.18.1.0/24"; via = "198.51.100.1"; }|{ prefix = "198.18.1.0/24"; via = "198.51.100.11"; }|' "$CONF/spoke2.conf"
sed -i 's/unique = true; /registration_interval = 2;\n      unique = true; /' "$CONF/spoke.conf" "$CONF/spoke2.conf"
"$LAB" up --dual-hub >/tmp/dmvpn-lab-up.log 2>&1 || { cat /tmp/dmvpn-lab-up.log; bad "lab up --dual-hub"; exit 1; }
ok "lab up --dual-hub"

nhs=$(json "$S1" show nhrp nhs -- '" ".join(h["protocol"]+"/"+str(h["priority"])+"/"+h["state"] for h in b)')
check "spoke1 registered with both hubs ($nhs)" test "$nhs" = "198.51.100.1/0/up 198.51.100.2/1/up"
for s in "$HUB" "$H2"; do
	check "$(basename "$s" .sock) knows both spokes" \
		jeq 2 "$s" show nhrp cache -- 'sum(e["type"]=="dynamic" for e in b)'
done

# The lab's own ping already resolved; start clean, then watch it happen.
"$CTL" -s "$S1" clear nhrp cache >/dev/null
"$CTL" -s "$S2" clear nhrp cache >/dev/null
r1=$(counter "$HUB" '["nhrp"]["received"]["resolution_request"]')
r2=$(counter "$H2" '["nhrp"]["received"]["resolution_request"]')
ip netns exec dmvpn-host1 ping -c 20 -i 0.05 -W 2 198.18.2.10 >/tmp/dmvpn-dh-ping.log 2>&1
check "phase 2: no ping lost while resolving (via the hub meanwhile)" grep -q " 0% packet loss" /tmp/dmvpn-dh-ping.log
check "phase 2: later replies came spoke to spoke (ttl 62)" grep -q "ttl=62" /tmp/dmvpn-dh-ping.log
check "spoke1 resolved spoke2" jeq "192.0.2.12" "$S1" show nhrp cache -- \
	'" ".join(e["nbma"] for e in b if e["protocol"]=="198.51.100.12/32")'
check "the resolution went to the preferred hub" \
	test "$(counter "$HUB" '["nhrp"]["received"]["resolution_request"]')" -gt "$r1"
check "not to the other one" test "$(counter "$H2" '["nhrp"]["received"]["resolution_request"]')" = "$r2"

# Hub 1 dies.
kill -KILL "$(cat $RUN/dmvpn-hub.pid)"
# Each spoke notices on its own registration clock (three unanswered, two
# seconds apart): until spoke2 has too, its replies still go to the dead hub.
check "spoke1 marks hub 1 down" eventually 20 \
	jeq "down" "$S1" show nhrp nhs -- 'b[0]["state"]'
check "spoke2 marks hub 1 down" eventually 20 \
	jeq "down" "$S2" show nhrp nhs -- 'b[0]["state"]'
"$CTL" -s "$S1" clear nhrp cache >/dev/null
"$CTL" -s "$S2" clear nhrp cache >/dev/null
r2=$(counter "$H2" '["nhrp"]["received"]["resolution_request"]')
ip netns exec dmvpn-host1 ping -c 20 -i 0.05 -W 2 198.18.2.10 >/tmp/dmvpn-dh-ping2.log 2>&1
check "after failover: host1 -> host2, no loss" grep -q " 0% packet loss" /tmp/dmvpn-dh-ping2.log
check "after failover: spoke to spoke again (ttl 62)" grep -q "ttl=62" /tmp/dmvpn-dh-ping2.log
check "the resolution went to hub 2" \
	test "$(counter "$H2" '["nhrp"]["received"]["resolution_request"]')" -gt "$r2"

finish
