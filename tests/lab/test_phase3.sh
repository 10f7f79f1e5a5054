#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Phase 3: the first packets from host1 to host2 go through the hub, which
# sends spoke1 a redirect (NHRP Traffic Indication); spoke1 resolves host2,
# spoke2 answers for its whole LAN, and spoke1 installs a shortcut route:
# later packets go spoke to spoke and the hub no longer sees them. Then
# spoke2 leaves: gracefully (it purges its registration, the hub purges
# spoke1's shortcut at once) and abruptly (its entries expire).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# Short holding time on spoke2 so that its abrupt death expires quickly.
sed -i 's/holdtime = 600; /holdtime = 12; /' "$CONF/spoke2.conf"
lab_up

hub_dec() { counter "$HUB" '["gre_decap"]'; }

# `dmvpn-lab up` pinged across already: start from no shortcut, and let
# the redirect rate limit (2 s per flow) pass.
"$CTL" -s "$S1" clear nhrp cache >/dev/null
"$CTL" -s "$S2" clear nhrp cache >/dev/null
check "no shortcut on spoke1 before traffic" test "$(json "$S1" show nhrp shortcut -- 'len(b)')" = 0
sleep 2.5

# First packets: via the hub (TTL 61: spoke1, hub, spoke2), then direct
# (TTL 62: spoke1, spoke2). Measure from the first packet to the first
# reply that came the short way.
ip netns exec dmvpn-host1 ping -D -c 40 -i 0.05 -W 2 198.18.2.10 >/tmp/dmvpn-p3-ping.log 2>&1
read -r first_ts first_ttl < <(awk '/bytes from/ {gsub(/[\[\]]/,"",$1); sub("ttl=","",$7); print $1, $7; exit}' /tmp/dmvpn-p3-ping.log)
read -r short_ts < <(awk '/bytes from/ && /ttl=62/ {gsub(/[\[\]]/,"",$1); print $1; exit}' /tmp/dmvpn-p3-ping.log)
check "the first reply came through the hub (ttl $first_ttl)" test "$first_ttl" = 61
check "later replies came spoke to spoke (ttl 62)" test -n "$short_ts"
[ -n "$short_ts" ] && echo "# first packet to shortcut in use: $("$PY" -c "print(round(($short_ts - $first_ts) * 1000))") ms"
check "no ping lost while the shortcut came up" grep -q " 0% packet loss" /tmp/dmvpn-p3-ping.log

sc=$(json "$S1" show nhrp shortcut -- '" ".join(e["prefix"]+"@"+e["nexthop"]+"@"+e["nbma"] for e in b)')
check "spoke1 has the shortcut 198.18.2.0/24 via spoke2 ($sc)" \
	test "$sc" = "198.18.2.0/24@198.51.100.12@192.0.2.12"
rt=$(json "$S1" show routes -- '" ".join(r["prefix"]+"/"+r["type"]+"/"+str(r["via"]) for r in b if r["prefix"]=="198.18.2.0/24")')
check "spoke1's routing table shows it over the static route ($rt)" \
	bash -c "[[ '$rt' == *'198.18.2.0/24/nhrp/198.51.100.12'* && '$rt' == *'198.18.2.0/24/static/198.51.100.1'* ]]"
learned=$(json "$S2" show nhrp cache -- '" ".join(e["protocol"]+"="+e["nbma"] for e in b if e["type"]=="dynamic")')
check "spoke2 learned spoke1 from the request it answered ($learned)" \
	bash -c "[[ '$learned' == *'198.51.100.11/32=192.0.2.11'* ]]"
ti=$(counter "$HUB" '["nhrp"]["sent"]["traffic_indication"]')
check "the hub sent a redirect ($ti)" test "$ti" -ge 1
fwd=$(counter "$HUB" '["nhrp"]["sent"]["resolution_request"]')
check "the hub forwarded the resolution request to spoke2 ($fwd)" test "$fwd" -ge 1
peers=$(json "$S1" show dmvpn -- '" ".join(p["tunnel"]+"/"+p["attributes"] for p in b[0]["peers"])')
check "spoke1 show dmvpn: hub static, spoke2 dynamic with a route ($peers)" \
	bash -c "[[ '$peers' == *'198.51.100.1/S'* && '$peers' == *'198.51.100.12/DT1'* ]]"

d0=$(hub_dec)
check "host1 -> host2 again" ping_ok dmvpn-host1 198.18.2.10 10
d1=$(hub_dec)
check "the hub saw none of it ($d0 -> $d1)" test "$d1" = "$d0"

# Spoke2 stops: it purges its registration; the hub drops it and purges
# the shortcut it gave spoke1.
kill -TERM "$(cat $RUN/dmvpn-spoke2.pid)"
check "the hub forgot spoke2 at once (purge)" eventually 3 \
	jeq 0 "$HUB" show nhrp cache -- 'sum(e["protocol"]=="198.51.100.12/32" for e in b)'
check "spoke1's shortcut was purged" eventually 3 \
	jeq 0 "$S1" show nhrp shortcut -- 'len(b)'

# Spoke2 back, then killed without a word: its entries expire (holdtime 12).
check "spoke2 restarted" restart_node spoke2 spoke2.conf
check "spoke2 registered again" eventually 20 \
	jeq 1 "$HUB" show nhrp cache -- 'sum(e["protocol"]=="198.51.100.12/32" for e in b)'
ping_ok dmvpn-host1 198.18.2.10 10 >/dev/null 2>&1
check "the shortcut is back" eventually 10 jeq 1 "$S1" show nhrp shortcut -- 'len(b)'
kill -KILL "$(cat $RUN/dmvpn-spoke2.pid)"
check "the hub expired spoke2's registration" eventually 20 \
	jeq 0 "$HUB" show nhrp cache -- 'sum(e["protocol"]=="198.51.100.12/32" for e in b)'
check "spoke1's shortcut to spoke2 is gone" eventually 20 \
	jeq 0 "$S1" show nhrp shortcut -- 'len(b)'
check "host1 -> host0 unaffected" ping_ok dmvpn-host1 198.18.0.10 2

finish
