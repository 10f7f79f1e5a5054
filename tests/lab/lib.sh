# SPDX-License-Identifier: BSD-3-Clause
# Shared by the lab tests: bring the lab up on copies of conf/, check, and
# always take it down again, checking that nothing is left behind.
#
#   host1 --- spoke1 ===GRE=== hub ===GRE=== spoke2 --- host2
#                               |
#                             host0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DMVPN_BUILD=${DMVPN_BUILD:-$ROOT/build}
LAB="$ROOT/tools/dmvpn-lab"
CTL="$DMVPN_BUILD/dmvpnctl"
RUN=/run/dmvpn
HUB=$RUN/dmvpn-hub.sock
S1=$RUN/dmvpn-spoke1.sock
S2=$RUN/dmvpn-spoke2.sock
PY=/usr/bin/python3
fails=0

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v ping >/dev/null || { echo "SKIP: no ping (iputils-ping)"; exit 77; }

CONF=$(mktemp -d /tmp/dmvpn-labconf.XXXXXX)
export DMVPN_LAB_CONF=$CONF
cp "$ROOT"/conf/{hub,spoke,spoke2}.conf "$CONF/"

lab_cleanup() {
	"$LAB" down >/dev/null 2>&1
	rm -rf "$CONF"
	if ip netns list | grep -q '^dmvpn-'; then echo "FAIL: namespaces left"; exit 1; fi
	if pgrep -f "dmvpnd -c $CONF" >/dev/null; then echo "FAIL: dmvpnd left running"; exit 1; fi
}
trap lab_cleanup EXIT

ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() { echo "# $fails failure(s)"; [ "$fails" = 0 ]; }

# jq-free JSON: json SOCK COMMAND... -- PYTHON-EXPRESSION over `b` (the body)
json() {
	local sock=$1; shift
	local args=()
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	"$CTL" -s "$sock" "${args[@]}" --json | "$PY" -c "import json,sys
b=json.load(sys.stdin)['body']
print($1)"
}
counter() { json "$1" show counters -- "b$2"; }
# jeq WANT SOCK COMMAND... -- EXPR: the expression's value is WANT (re-read
# each call, so it can be polled with `eventually`).
jeq() { local want=$1; shift; [ "$(json "$@")" = "$want" ]; }

ping_ok() { # NS DST COUNT
	ip netns exec "$1" ping -q -c "$3" -i 0.2 -W 2 "$2" >/dev/null
}

lab_up() {
	"$LAB" up >/tmp/dmvpn-lab-up.log 2>&1 || { cat /tmp/dmvpn-lab-up.log; bad "lab up"; exit 1; }
	ok "lab up"
}

# Restart one appliance in place (same namespace and config).
restart_node() {
	local n=$1 conf=$2 pf=$RUN/dmvpn-$1.pid
	kill -TERM "$(cat "$pf")"
	for _ in $(seq 1 50); do kill -0 "$(cat "$pf")" 2>/dev/null || break; sleep 0.1; done
	ip netns exec "dmvpn-$n" setsid "$DMVPN_BUILD/dmvpnd" -c "$CONF/$conf" \
		>>"$RUN/dmvpn-$n.log" 2>&1 </dev/null &
	echo $! >"$pf"
	for _ in $(seq 1 60); do
		"$CTL" -s "$RUN/dmvpn-$n.sock" show interfaces --json >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# Wait up to $2 seconds for a command to succeed.
eventually() {
	local secs=$1; shift
	for _ in $(seq 1 $((secs * 4))); do "$@" && return 0; sleep 0.25; done
	return 1
}
