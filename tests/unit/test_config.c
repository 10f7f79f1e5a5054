/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/config/config: example configs load; bad ones fail with "FILE:LINE: setting 'path': reason". */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "check.h"

static char tmpdir[] = "/tmp/dmvpn-test-config-XXXXXX";

/* The ports and tunnel most cases start from. */
#define PORTS                                                                  \
	"ports = (\n"                                                          \
	"  { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.1/24\"; },\n" \
	"  { name = \"lan\"; device = \"net_null1\"; address = \"198.18.0.1/24\"; }\n" \
	");\n"                                                                 /* 1-4 */
#define TUNNEL_OPEN                                                            \
	"tunnels = (\n"                                                        \
	"  { name = \"tunnel0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n" \
	"    key = 1000; }"                                                    /* 5-7 */
#define TUNNEL TUNNEL_OPEN "\n);\n"                                       /* 5-8 */
/* A tunnel whose nhrp group is left open for the settings under test (lines 8-). */
#define NHRP_OPEN PORTS                                                        \
	"tunnels = (\n"                                                        \
	"  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n" \
	"    key = 1000; nhrp = {\n"                                          /* 5-7 */
#define NHRP_CLOSE "    }; }\n);\n"

static const struct {
	const char *name;
	const char *text;
	const char *err;         /* "%s" stands for the file name */
} bad[] = {
	{"syntax", PORTS "dataplane = {\n  burst == 32;\n};\n",
	 "%s:6: syntax error: syntax error"},
	{"syntax unquoted address", "ports = (\n  { name = \"wan\"; device = \"x\";\n"
	 "    address = 192.0.2.1/24; }\n);\n",
	 "%s:3: syntax error: syntax error"},
	{"unknown top-level", PORTS "colour = \"blue\";\n", "%s:5: setting 'colour': unknown setting"},
	{"unknown in port",
	 "ports = (\n  { name = \"wan\"; device = \"x\"; address = \"192.0.2.1/24\";\n"
	 "    mtux = 1500; }\n);\n",
	 "%s:3: setting 'ports[0].mtux': unknown setting"},
	{"unknown in nhrp", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\";\n    nhrp = { holdtme = 60; }; }\n);\n",
	 "%s:8: setting 'tunnels[0].nhrp.holdtme': unknown setting"},
	{"unknown in dataplane", PORTS "dataplane = {\n  bursts = 32;\n};\n",
	 "%s:6: setting 'dataplane.bursts': unknown setting"},
	{"missing ports", "dataplane = { burst = 32; };\n",
	 "%s:0: setting 'ports': at least one port is required"},
	{"empty ports", "\nports = ( );\n", "%s:2: setting 'ports': at least one port is required"},
	{"missing device", "ports = (\n  { name = \"wan\";\n    address = \"192.0.2.1/24\"; }\n);\n",
	 "%s:2: setting 'ports[0].device': missing"},
	{"missing name", "ports = (\n  { device = \"x\"; address = \"192.0.2.1/24\"; }\n);\n",
	 "%s:2: setting 'ports[0].name': missing"},
	{"missing tunnel source", PORTS "tunnels = (\n  { name = \"t0\";\n"
	 "    address = \"198.51.100.1/24\"; }\n);\n",
	 "%s:6: setting 'tunnels[0].source': missing"},
	{"missing map nbma", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\"; nhrp = { map = (\n      { protocol = \"198.51.100.2\"; }\n"
	 "    ); }; }\n);\n",
	 "%s:8: setting 'tunnels[0].nhrp.map[0].nbma': missing"},
	{"missing route via", PORTS "routes = (\n  { prefix = \"10.0.0.0/8\"; }\n);\n",
	 "%s:6: setting 'routes[0].via': missing"},
	{"bad gateway address",
	 "ports = (\n  { name = \"wan\"; device = \"x\"; address = \"192.0.2.1/24\";\n"
	 "    gateway = \"192.0.2.300\"; }\n);\n",
	 "%s:3: setting 'ports[0].gateway': '192.0.2.300' is not an IPv4 address"},
	{"bad map address", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\"; nhrp = { map = (\n"
	 "      { protocol = \"198.51.100.2\"; nbma = \"192.0.2\"; }\n    ); }; }\n);\n",
	 "%s:8: setting 'tunnels[0].nhrp.map[0].nbma': '192.0.2' is not an IPv4 address"},
	{"bad prefix length",
	 "ports = (\n  { name = \"wan\"; device = \"x\";\n    address = \"192.0.2.1/33\"; }\n);\n",
	 "%s:3: setting 'ports[0].address': '192.0.2.1/33' is not an IPv4 prefix (a.b.c.d/len)"},
	{"prefix without length",
	 "ports = (\n  { name = \"wan\"; device = \"x\";\n    address = \"192.0.2.1\"; }\n);\n",
	 "%s:3: setting 'ports[0].address': '192.0.2.1' is not an IPv4 prefix (a.b.c.d/len)"},
	{"bad route prefix", PORTS "routes = (\n  { prefix = \"10.0.0.0/8/8\"; via = \"192.0.2.2\"; }\n);\n",
	 "%s:6: setting 'routes[0].prefix': '10.0.0.0/8/8' is not an IPv4 prefix (a.b.c.d/len)"},
	{"port /31", "ports = (\n  { name = \"wan\"; device = \"x\";\n    address = \"192.0.2.1/31\"; }\n);\n",
	 "%s:3: setting 'ports[0].address': prefix length must be 1..30"},
	{"gateway outside subnet",
	 "ports = (\n  { name = \"wan\"; device = \"x\"; address = \"192.0.2.1/24\";\n"
	 "    gateway = \"192.0.3.1\"; }\n);\n",
	 "%s:3: setting 'ports[0].gateway': not inside the port's subnet"},
	{"tunnel source not a port", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan2\"; }\n);\n",
	 "%s:7: setting 'tunnels[0].source': 'wan2' is not a port"},
	{"tunnel source is a tunnel", PORTS TUNNEL_OPEN
	 ",\n  { name = \"t1\"; address = \"198.51.101.1/24\";\n    source = \"tunnel0\"; }\n);\n",
	 "%s:9: setting 'tunnels[1].source': 'tunnel0' is not a port"},
	{"route via not connected", PORTS TUNNEL "routes = (\n"
	 "  { prefix = \"10.0.0.0/8\";\n    via = \"203.0.113.1\"; }\n);\n",
	 "%s:11: setting 'routes[0].via': next hop is not on a connected subnet"},
	{"duplicate route", PORTS "routes = (\n  { prefix = \"10.0.0.0/8\"; via = \"192.0.2.2\"; },\n"
	 "  { prefix = \"10.0.0.0/8\"; blackhole = true; }\n);\n",
	 "%s:7: setting 'routes[1].prefix': route given twice"},
	{"route host bits", PORTS "routes = (\n  { prefix = \"10.0.0.1/8\"; via = \"192.0.2.2\"; }\n);\n",
	 "%s:6: setting 'routes[0].prefix': host bits set"},
	{"blackhole with via", PORTS "routes = (\n  { prefix = \"10.0.0.0/8\"; via = \"192.0.2.2\";\n"
	 "    blackhole = true; }\n);\n",
	 "%s:7: setting 'routes[0].blackhole': a blackhole route has no 'via'"},
	{"duplicate port name", "ports = (\n"
	 "  { name = \"wan\"; device = \"x\"; address = \"192.0.2.1/24\"; },\n"
	 "  { name = \"wan\"; device = \"y\"; address = \"198.18.0.1/24\"; }\n);\n",
	 "%s:3: setting 'ports[1].name': 'wan' is already used"},
	{"tunnel named like a port", PORTS "tunnels = (\n  { name = \"lan\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\"; }\n);\n",
	 "%s:6: setting 'tunnels[0].name': 'lan' is already used"},
	{"key negative", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\";\n    key = -1; }\n);\n",
	 "%s:8: setting 'tunnels[0].key': -1 out of range 0..4294967295 (numbers above "
	 "2147483647 need an L suffix, e.g. 4000000000L)"},
	/* libconfig wraps 3000000000 to a negative int: the hint says why. */
	{"key above 2^31 without L", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\";\n    key = 3000000000; }\n);\n",
	 "%s:8: setting 'tunnels[0].key': -1294967296 out of range 0..4294967295 (numbers above "
	 "2147483647 need an L suffix, e.g. 4000000000L)"},
	{"key too big", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\";\n    key = 4294967296L; }\n);\n",
	 "%s:8: setting 'tunnels[0].key': 4294967296 out of range 0..4294967295"},
	{"key not a number", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\";\n    key = \"1000\"; }\n);\n",
	 "%s:8: setting 'tunnels[0].key': expected an integer"},
	{"same source and key", PORTS TUNNEL_OPEN
	 ",\n  { name = \"t1\"; address = \"198.51.101.1/24\"; source = \"wan\";\n    key = 1000; }\n);\n",
	 "%s:9: setting 'tunnels[1].key': tunnel 'tunnel0' has the same source and key"},
	{"same source, no keys", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\"; },\n"
	 "  { name = \"t1\"; address = \"198.51.101.1/24\";\n    source = \"wan\"; }\n);\n",
	 "%s:8: setting 'tunnels[1].source': tunnel 't0' has the same source and key"},
	{"map outside tunnel subnet", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\"; nhrp = { map = (\n"
	 "      { protocol = \"198.51.101.2\"; nbma = \"192.0.2.2\"; }\n    ); }; }\n);\n",
	 "%s:8: setting 'tunnels[0].nhrp.map[0].protocol': not inside the tunnel's subnet"},
	{"map twice", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\"; nhrp = { map = (\n"
	 "      { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; },\n"
	 "      { protocol = \"198.51.100.2\"; nbma = \"192.0.2.3\"; }\n    ); }; }\n);\n",
	 "%s:9: setting 'tunnels[0].nhrp.map[1].protocol': mapped twice"},
	{"tunnel mtu", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\"; mtu = 8977; }\n);\n",
	 "%s:7: setting 'tunnels[0].mtu': 8977 out of range 576..8976"},
	{"burst 0", PORTS "dataplane = {\n  burst = 0;\n};\n",
	 "%s:6: setting 'dataplane.burst': 0 out of range 1..64"},
	{"name too long", "ports = (\n  { name = \"0123456789abcdef\"; device = \"x\";\n"
	 "    address = \"192.0.2.1/24\"; }\n);\n",
	 "%s:2: setting 'ports[0].name': must be 1..15 characters"},
	{"device not a string", "ports = (\n  { name = \"wan\"; device = 0;\n"
	 "    address = \"192.0.2.1/24\"; }\n);\n",
	 "%s:2: setting 'ports[0].device': expected a string"},
	{"ports not a list", "ports = { name = \"wan\"; };\n",
	 "%s:1: setting 'ports': expected a list ( ... )"},
	{"socket mode", PORTS "control = {\n  socket_mode = \"0800\";\n};\n",
	 "%s:6: setting 'control.socket_mode': '0800' is not an octal mode"},
	{"client timeout 0", PORTS "control = {\n  client_timeout = 0;\n};\n",
	 "%s:6: setting 'control.client_timeout': 0 out of range 1..3600"},
	{"client timeout not a number", PORTS "control = {\n  client_timeout = \"30s\";\n};\n",
	 "%s:6: setting 'control.client_timeout': expected an integer"},
	{"eal arg not a string", PORTS "eal = {\n  args = ( \"-l\", 0 );\n};\n",
	 "%s:6: setting 'eal.args[1]': expected a string"},
	{"neighbor port", PORTS "neighbors = (\n"
	 "  { port = \"tunnel0\"; address = \"192.0.2.9\"; mac = \"02:00:00:00:00:09\"; }\n);\n",
	 "%s:6: setting 'neighbors[0].port': 'tunnel0' is not a port"},
	{"neighbor mac", PORTS "neighbors = (\n"
	 "  { port = \"wan\"; address = \"192.0.2.9\";\n    mac = \"02:00:00:00:09\"; }\n);\n",
	 "%s:7: setting 'neighbors[0].mac': '02:00:00:00:09' is not a MAC address"},
	/* NHRP: every setting of tunnels[].nhrp (NHRP_OPEN leaves line 8 for the first one). */
	{"nhrp not a group", PORTS "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\";\n"
	 "    source = \"wan\";\n    nhrp = ( ); }\n);\n",
	 "%s:8: setting 'tunnels[0].nhrp': expected a group { ... }"},
	{"nhrp unknown setting", NHRP_OPEN "      holdtime = 600;\n      redirects = true;\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.redirects': unknown setting"},
	{"network_id 0", NHRP_OPEN "      network_id = 0;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.network_id': 0 out of range 1..4294967295"},
	{"network_id not a number", NHRP_OPEN "      network_id = \"1\";\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.network_id': expected an integer"},
	{"holdtime 9", NHRP_OPEN "      holdtime = 9;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.holdtime': 9 out of range 10..65535"},
	{"holdtime 0", NHRP_OPEN "      holdtime = 0;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.holdtime': 0 out of range 10..65535"},
	{"holdtime 65536", NHRP_OPEN "      holdtime = 65536;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.holdtime': 65536 out of range 10..65535"},
	{"registration_interval = holdtime", NHRP_OPEN "      holdtime = 600;\n"
	 "      registration_interval = 600;\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.registration_interval': must be shorter than the holdtime (600)"},
	{"registration_interval > holdtime", NHRP_OPEN "      registration_interval = 61;\n"
	 "      holdtime = 60;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.registration_interval': must be shorter than the holdtime (60)"},
	{"registration_interval = default holdtime", NHRP_OPEN
	 "      registration_interval = 7200;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.registration_interval': must be shorter than the holdtime (7200)"},
	{"registration_interval 0", NHRP_OPEN "      registration_interval = 0;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.registration_interval': 0 out of range 1..65535"},
	{"unique not a boolean", NHRP_OPEN "      unique = 1;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.unique': expected true or false"},
	{"shortcut not a boolean", NHRP_OPEN "      shortcut = \"yes\";\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.shortcut': expected true or false"},
	{"redirect not a boolean", NHRP_OPEN "      redirect = 0;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.redirect': expected true or false"},
	{"authentication empty", NHRP_OPEN "      authentication = \"\";\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.authentication': must be 1..8 characters"},
	{"authentication 9 characters", NHRP_OPEN "      authentication = \"123456789\";\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.authentication': must be 1..8 characters"},
	{"authentication not a string", NHRP_OPEN "      authentication = 1234;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.authentication': expected a string"},
	{"nhs not a list", NHRP_OPEN
	 "      nhs = { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; };\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.nhs': expected a list ( ... )"},
	{"nhs not a group", NHRP_OPEN "      nhs = (\n        \"198.51.100.2\" );\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.nhs[0]': expected a group { protocol = ...; nbma = ...; }"},
	{"nhs outside tunnel subnet", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.101.1\"; nbma = \"192.0.2.2\"; } );\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.nhs[0].protocol': must be another address in the tunnel's subnet"},
	{"nhs is our tunnel address", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.1\"; nbma = \"192.0.2.2\"; } );\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.nhs[0].protocol': must be another address in the tunnel's subnet"},
	{"nhs twice", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; },\n"
	 "        { protocol = \"198.51.100.3\"; nbma = \"192.0.2.3\"; },\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.4\"; } );\n" NHRP_CLOSE,
	 "%s:11: setting 'tunnels[0].nhrp.nhs[2].protocol': server given twice"},
	{"nhs more than 4", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; },\n"
	 "        { protocol = \"198.51.100.3\"; nbma = \"192.0.2.3\"; },\n"
	 "        { protocol = \"198.51.100.4\"; nbma = \"192.0.2.4\"; },\n"
	 "        { protocol = \"198.51.100.5\"; nbma = \"192.0.2.5\"; },\n"
	 "        { protocol = \"198.51.100.6\"; nbma = \"192.0.2.6\"; } );\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.nhs': at most 4 servers"},
	{"nhs priority 256", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\";\n"
	 "          priority = 256; } );\n" NHRP_CLOSE,
	 "%s:10: setting 'tunnels[0].nhrp.nhs[0].priority': 256 out of range 0..255"},
	{"nhs priority negative", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; priority = -1; } );\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.nhs[0].priority': -1 out of range 0..255"},
	{"nhs missing nbma", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; priority = 1; } );\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.nhs[0].nbma': missing"},
	{"nhs missing protocol", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; },\n"
	 "        { nbma = \"192.0.2.3\"; } );\n" NHRP_CLOSE,
	 "%s:10: setting 'tunnels[0].nhrp.nhs[1].protocol': missing"},
	{"nhs bad nbma", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.256\"; } );\n" NHRP_CLOSE,
	 "%s:9: setting 'tunnels[0].nhrp.nhs[0].nbma': '192.0.2.256' is not an IPv4 address"},
	{"nhs unknown setting", NHRP_OPEN "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\";\n          prio = 1; } );\n"
	 NHRP_CLOSE,
	 "%s:10: setting 'tunnels[0].nhrp.nhs[0].prio': unknown setting"},
	/* Inner MTU + 20 (IPv4) + 4 (GRE) + 4 (key) must fit the source port's MTU. */
	{"tunnel mtu + GRE key overhead", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\"; key = 1;\n"
	 "    mtu = 1473; }\n);\n",
	 "%s:7: setting 'tunnels[0].mtu': 1473 + GRE overhead exceeds port 'wan' MTU 1500"},
	{"tunnel mtu + GRE overhead, no key", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
	 "    mtu = 1477; }\n);\n",
	 "%s:7: setting 'tunnels[0].mtu': 1477 + GRE overhead exceeds port 'wan' MTU 1500"},
	{"default tunnel mtu + GRE overhead", "ports = (\n"
	 "  { name = \"wan\"; device = \"x\"; address = \"192.0.2.1/24\"; mtu = 1427; }\n);\n"
	 "tunnels = (\n  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
	 "    key = 1000; }\n);\n",
	 "%s:5: setting 'tunnels[0]': 1400 + GRE overhead exceeds port 'wan' MTU 1427"},
	/* Kernel interface and multicast replication. */
	{"kernel_interface not a name", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
	 "    kernel_interface = 5; }\n);\n",
	 "%s:7: setting 'tunnels[0].kernel_interface': expected true, false or an interface name"},
	{"kernel_interface with a slash", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
	 "    kernel_interface = \"a/b\"; }\n);\n",
	 "%s:7: setting 'tunnels[0].kernel_interface': 'a/b' is not an interface name "
	 "(1..15 characters, no '/', ':' or spaces)"},
	{"kernel_interface too long", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
	 "    kernel_interface = \"abcdefghijklmnop\"; }\n);\n",
	 "%s:7: setting 'tunnels[0].kernel_interface': 'abcdefghijklmnop' is not an interface "
	 "name (1..15 characters, no '/', ':' or spaces)"},
	{"kernel_interface twice", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\"; key = 1;\n"
	 "    kernel_interface = true; },\n"
	 "  { name = \"t1\"; address = \"198.51.101.1/24\"; source = \"wan\"; key = 2;\n"
	 "    kernel_interface = \"t0\"; }\n);\n",
	 "%s:9: setting 'tunnels[1].kernel_interface': 't0' is already the kernel interface of "
	 "tunnel 't0'"},
	{"multicast target unknown", NHRP_OPEN "      multicast = [ \"dynamic\", \"spokes\" ];\n"
	 NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.multicast[1]': 'spokes': use \"dynamic\", \"nhs\" or "
	 "an NBMA address"},
	{"multicast not a list", NHRP_OPEN "      multicast = 5;\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.multicast': expected a list of \"dynamic\", \"nhs\" or "
	 "NBMA addresses"},
	{"multicast address twice", NHRP_OPEN
	 "      multicast = [ \"192.0.2.7\", \"192.0.2.7\" ];\n" NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.multicast[1]': '192.0.2.7' given twice"},
	{"map multicast not a boolean", NHRP_OPEN
	 "      map = ( { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; multicast = 1; } );\n"
	 NHRP_CLOSE,
	 "%s:8: setting 'tunnels[0].nhrp.map[0].multicast': expected true or false"},
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[PATH_MAX], want[512], err[512] = "";
		struct dmvpn_config cfg;
		int rc;

		snprintf(path, sizeof(path), "%s/bad%02zu.conf", tmpdir, i);
		write_file(path, bad[i].text);
		memset(&cfg, 0x5a, sizeof(cfg));
		rc = config_load(path, &cfg, err, sizeof(err));
		snprintf(want, sizeof(want), bad[i].err, path);
		CHECK_MSG(rc == -EINVAL, "%s: rc %d", bad[i].name, rc);
		CHECK_MSG(!strcmp(err, want), "%s:\n   got '%s'\n  want '%s'", bad[i].name, err, want);
		/* Left empty: nothing to free. */
		CHECK_MSG(cfg.n_ports == 0 && cfg.routes == NULL && cfg.n_eal_args == 0 &&
			  cfg.tunnels[0].maps == NULL, "%s: not emptied", bad[i].name);
		unlink(path);
	}
}

static void test_unreadable(void)
{
	char path[PATH_MAX], want[PATH_MAX + 64], err[PATH_MAX + 64];
	struct dmvpn_config cfg;

	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	CHECK_INT(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot read file", path);
	CHECK_STR(err, want);
}

/* Everything a config can say, and the defaults of what it does not. */
static void test_good(void)
{
	static const char text[] =
		"control = { socket = \"/tmp/x.sock\"; socket_mode = \"0660\";\n"
		"  client_timeout = 5; };\n"
		"eal = { args = [ \"-l\", \"0,1\", \"--no-pci\" ]; };\n"
		"dataplane = { burst = 64; idle_sleep_us = 0; max_peers = 16; };\n"
		PORTS
		"tunnels = (\n"
		"  { name = \"tunnel0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
		"    key = 4294967295L; mtu = 1400; ttl = 255;\n"
		"    nhrp = { network_id = 7; holdtime = 600; map = (\n"
		"      { protocol = \"198.51.100.11\"; nbma = \"192.0.2.11\"; },\n"
		"      { protocol = \"198.51.100.12\"; nbma = \"192.0.2.12\"; }\n"
		"    ); }; },\n"
		"  { name = \"tunnel1\"; address = \"198.51.101.1/24\"; source = \"wan\"; }\n"
		");\n"
		"routes = (\n"
		"  { prefix = \"198.18.1.0/24\"; via = \"198.51.100.11\"; },\n"
		"  { prefix = \"203.0.113.0/24\"; blackhole = true; },\n"
		"  { prefix = \"192.0.2.99\"; via = \"198.18.0.2\"; },\n"
		"  { prefix = \"0.0.0.0/0\"; via = \"192.0.2.254\"; blackhole = false; }\n"
		");\n"
		"neighbors = ( { port = \"lan\"; address = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; } );\n";
	char path[PATH_MAX], err[512] = "";
	struct dmvpn_config c;

	snprintf(path, sizeof(path), "%s/good.conf", tmpdir);
	write_file(path, text);
	if (config_load(path, &c, err, sizeof(err))) {
		CHECK_MSG(0, "%s", err);
		return;
	}
	CHECK_STR(c.file, path);
	CHECK_STR(c.socket_path, "/tmp/x.sock");
	CHECK_INT(c.socket_mode, 0660);
	CHECK_INT(c.client_timeout, 5);
	CHECK_INT(c.n_eal_args, 3);
	CHECK_STR(c.eal_args[2], "--no-pci");
	CHECK_INT(c.burst, 64);
	CHECK_INT(c.max_peers, 16);
	CHECK_INT(c.mbufs, 8191);               /* defaults */
	CHECK_INT(c.max_routes, 65536);
	CHECK_INT(c.neighbor_timeout, 300);
	CHECK_INT(c.n_ports, 2);
	CHECK_STR(c.ports[1].name, "lan");
	CHECK_STR(c.ports[1].device, "net_null1");
	CHECK_INT(c.ports[1].addr, htonl(0xc6120001));
	CHECK_INT(c.ports[1].plen, 24);
	CHECK_INT(c.ports[1].mtu, 1500);
	CHECK_INT(c.ports[1].gateway, 0);
	CHECK_INT(c.n_tunnels, 2);
	CHECK_INT(c.tunnels[0].has_key, 1);
	CHECK_INT(c.tunnels[0].key, 0xffffffffu);
	CHECK_INT(c.tunnels[0].ttl, 255);
	CHECK_INT(c.tunnels[0].source, 0);
	CHECK_INT(c.tunnels[0].network_id, 7);
	CHECK_INT(c.tunnels[0].holdtime, 600);
	CHECK_INT(c.tunnels[0].n_maps, 2);
	CHECK_INT(c.tunnels[0].maps[1].proto, htonl(0xc633640c));
	CHECK_INT(c.tunnels[0].maps[1].nbma, htonl(0xc000020c));
	CHECK_INT(c.tunnels[1].has_key, 0);
	CHECK_INT(c.tunnels[1].mtu, 1400);
	CHECK_INT(c.tunnels[1].ttl, 64);
	CHECK_INT(c.tunnels[1].holdtime, 7200);
	CHECK_INT(c.tunnels[1].n_maps, 0);
	CHECK_INT(c.n_routes, 4);
	CHECK_INT(c.routes[0].kind, CFG_ROUTE_VIA);
	CHECK_INT(c.routes[0].via, htonl(0xc633640b));
	CHECK_INT(c.routes[1].kind, CFG_ROUTE_BLACKHOLE);
	CHECK_INT(c.routes[2].plen, 32);
	CHECK_INT(c.routes[3].kind, CFG_ROUTE_VIA);
	CHECK_INT(c.routes[3].plen, 0);
	CHECK_INT(c.n_neighbors, 1);
	CHECK_INT(c.neighbors[0].port, 1);
	CHECK_INT(c.neighbors[0].mac[5], 2);
	CHECK_INT(config_port_index(&c, "wan"), 0);
	CHECK_INT(config_port_index(&c, "lan"), 1);
	CHECK_INT(config_port_index(&c, "tunnel1"), CFG_MAX_PORTS + 1);
	CHECK_INT(config_port_index(&c, "nope"), -1);
	config_free(&c);
	CHECK_INT(c.n_ports, 0);
	unlink(path);
}

/* NHRP settings that load, and what they load as (addresses in host order). */
static const struct {
	const char *name;
	const char *text;
	uint32_t network_id, holdtime;
	unsigned registration_interval;
	const char *auth;
	uint8_t unique, shortcut, redirect;
	uint16_t mtu;
	unsigned n_nhs;
	struct { uint32_t proto, nbma; unsigned priority; } nhs[CFG_MAX_NHS];
} good_nhrp[] = {
	{"nhrp defaults", NHRP_OPEN NHRP_CLOSE,
	 0, 7200, 0, "", 1, 0, 0, 1400, 0, {{0}}},
	{"nhrp everything", NHRP_OPEN
	 "      network_id = 4294967295L; holdtime = 600; registration_interval = 599;\n"
	 "      authentication = \"12345678\"; unique = false; shortcut = true; redirect = true;\n"
	 "      nhs = (\n"
	 "        { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; priority = 255; },\n"
	 "        { protocol = \"198.51.100.254\"; nbma = \"203.0.113.3\"; priority = 0; },\n"
	 "        { protocol = \"198.51.100.4\"; nbma = \"192.0.2.4\"; },\n"
	 "        { protocol = \"198.51.100.5\"; nbma = \"192.0.2.4\"; priority = 7; } );\n"
	 NHRP_CLOSE,
	 0xffffffffu, 600, 599, "12345678", 0, 1, 1, 1400, 4,
	 {{0xc6336402, 0xc0000202, 255}, {0xc63364fe, 0xcb007103, 0},
	  {0xc6336404, 0xc0000204, 0}, {0xc6336405, 0xc0000204, 7}}},
	{"nhrp shortest holdtime, one-character key", NHRP_OPEN
	 "      holdtime = 10; registration_interval = 9; authentication = \"k\";\n"
	 "      unique = true; shortcut = false; redirect = false;\n"
	 "      nhs = ( { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; } );\n" NHRP_CLOSE,
	 0, 10, 9, "k", 1, 0, 0, 1400, 1, {{0xc6336402, 0xc0000202, 0}}},
	{"nhrp longest holdtime", NHRP_OPEN
	 "      network_id = 1; holdtime = 65535; registration_interval = 65534;\n" NHRP_CLOSE,
	 1, 65535, 65534, "", 1, 0, 0, 1400, 0, {{0}}},
	{"nhrp empty nhs list", NHRP_OPEN "      nhs = ( );\n" NHRP_CLOSE,
	 0, 7200, 0, "", 1, 0, 0, 1400, 0, {{0}}},
	/* The largest inner MTU that fits: 1500 - 20 (IPv4) - 8 (GRE with key). */
	{"tunnel mtu fills the port", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\"; key = 1;\n"
	 "    mtu = 1472; nhrp = { }; }\n);\n",
	 0, 7200, 0, "", 1, 0, 0, 1472, 0, {{0}}},
	{"tunnel mtu fills the port, no key", PORTS "tunnels = (\n"
	 "  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n"
	 "    mtu = 1476; }\n);\n",
	 0, 7200, 0, "", 1, 0, 0, 1476, 0, {{0}}},
};

static void test_good_nhrp(void)
{
	for (size_t i = 0; i < sizeof(good_nhrp) / sizeof(good_nhrp[0]); i++) {
		char path[PATH_MAX], err[512] = "";
		const struct cfg_tunnel *t;
		struct dmvpn_config c;

		snprintf(path, sizeof(path), "%s/good-nhrp%02zu.conf", tmpdir, i);
		write_file(path, good_nhrp[i].text);
		if (config_load(path, &c, err, sizeof(err))) {
			CHECK_MSG(0, "%s: %s", good_nhrp[i].name, err);
			unlink(path);
			continue;
		}
		t = &c.tunnels[0];
		CHECK_MSG(c.n_tunnels == 1, "%s: %u tunnels", good_nhrp[i].name, c.n_tunnels);
		CHECK_MSG(t->network_id == good_nhrp[i].network_id, "%s: network_id %u",
			  good_nhrp[i].name, t->network_id);
		CHECK_MSG(t->holdtime == good_nhrp[i].holdtime, "%s: holdtime %u",
			  good_nhrp[i].name, t->holdtime);
		CHECK_MSG(t->registration_interval == good_nhrp[i].registration_interval,
			  "%s: registration_interval %u", good_nhrp[i].name, t->registration_interval);
		CHECK_MSG(!strcmp(t->auth, good_nhrp[i].auth), "%s: authentication '%s'",
			  good_nhrp[i].name, t->auth);
		CHECK_MSG(t->unique == good_nhrp[i].unique && t->shortcut == good_nhrp[i].shortcut &&
			  t->redirect == good_nhrp[i].redirect, "%s: unique %u shortcut %u redirect %u",
			  good_nhrp[i].name, t->unique, t->shortcut, t->redirect);
		CHECK_MSG(t->mtu == good_nhrp[i].mtu, "%s: mtu %u", good_nhrp[i].name, t->mtu);
		CHECK_MSG(t->n_nhs == good_nhrp[i].n_nhs, "%s: %u servers", good_nhrp[i].name,
			  t->n_nhs);
		for (unsigned j = 0; j < good_nhrp[i].n_nhs && j < t->n_nhs; j++)
			CHECK_MSG(t->nhs[j].proto == htonl(good_nhrp[i].nhs[j].proto) &&
				  t->nhs[j].nbma == htonl(good_nhrp[i].nhs[j].nbma) &&
				  t->nhs[j].priority == good_nhrp[i].nhs[j].priority,
				  "%s: nhs[%u] %08x %08x %u", good_nhrp[i].name, j,
				  ntohl(t->nhs[j].proto), ntohl(t->nhs[j].nbma), t->nhs[j].priority);
		config_free(&c);
		unlink(path);
	}
}

/* Kernel interface names and multicast targets. */
static void test_kif_multicast(void)
{
	static const char text[] = PORTS
		"tunnels = (\n"
		"  { name = \"hub0\"; address = \"198.51.100.1/24\"; source = \"wan\"; key = 1;\n"
		"    kernel_interface = true;\n"
		"    nhrp = { multicast = [ \"dynamic\", \"nhs\", \"192.0.2.7\", \"192.0.2.8\" ];\n"
		"      map = ( { protocol = \"198.51.100.2\"; nbma = \"192.0.2.2\"; multicast = true; },\n"
		"              { protocol = \"198.51.100.3\"; nbma = \"192.0.2.3\"; } ); }; },\n"
		"  { name = \"spoke0\"; address = \"198.51.101.11/24\"; source = \"wan\"; key = 2;\n"
		"    kernel_interface = \"ospf0\";\n"
		"    nhrp = { nhs = ( { protocol = \"198.51.101.1\"; nbma = \"192.0.2.1\"; } ); }; },\n"
		"  { name = \"plain\"; address = \"198.51.102.1/24\"; source = \"wan\"; key = 3;\n"
		"    kernel_interface = false; nhrp = { multicast = \"192.0.2.9\"; }; }\n"
		");\n";
	char path[PATH_MAX], err[512] = "";
	const struct cfg_tunnel *t;
	struct dmvpn_config c;

	snprintf(path, sizeof(path), "%s/kif.conf", tmpdir);
	write_file(path, text);
	if (config_load(path, &c, err, sizeof(err))) {
		CHECK_MSG(0, "kif: %s", err);
		unlink(path);
		return;
	}
	t = &c.tunnels[0];
	CHECK_STR(t->kif, "hub0");
	CHECK(t->mc_dynamic && t->mc_nhs);
	CHECK_INT(t->n_mc, 2);
	CHECK(t->mc_nbma[0] == inet_addr("192.0.2.7") && t->mc_nbma[1] == inet_addr("192.0.2.8"));
	CHECK(t->n_maps == 2 && t->maps[0].multicast && !t->maps[1].multicast);
	/* A spoke sends multicast to its NHSes unless told otherwise. */
	t = &c.tunnels[1];
	CHECK_STR(t->kif, "ospf0");
	CHECK(!t->mc_dynamic && t->mc_nhs && t->n_mc == 0);
	/* A list replaces the default; one string is a list of one. */
	t = &c.tunnels[2];
	CHECK_STR(t->kif, "");
	CHECK(!t->mc_dynamic && !t->mc_nhs && t->n_mc == 1 && t->mc_nbma[0] == inet_addr("192.0.2.9"));
	config_free(&c);
	unlink(path);
}

/* ---- ike ---- */

/* A protected tunnel (lines 5-8), a PSK (9-10) and connection dmvpn left
 * open: its first setting is on line 13. */
#define IKE_TUNNEL PORTS                                                       \
	"tunnels = (\n"                                                        \
	"  { name = \"tunnel0\"; address = \"198.51.100.1/24\"; source = \"wan\";\n" \
	"    key = 1000; protection = \"ipsec\"; }\n);\n"                     /* 5-8 */
#define IKE_PSK "ike = {\n  secrets = { dmvpn-psk = { secret = \"s3cret\"; }; };\n" /* 9-10 */
#define IKE_OPEN IKE_TUNNEL IKE_PSK "  connections = {\n    dmvpn = {\n"     /* 11-12 */
#define IKE_CLOSE "    };\n  };\n};\n"

static const struct {
	const char *name;
	const char *text;
	const char *err;
} bad_ike[] = {
	{"ike not a group", IKE_TUNNEL "ike = ( );\n", "%s:9: setting 'ike': expected a group "
	 "{ connections = { ... }; secrets = { ... }; }"},
	{"ike unknown setting", IKE_TUNNEL "ike = {\n  cookies = 10;\n};\n",
	 "%s:10: setting 'ike.cookies': unknown setting"},
	{"ike half_open_timeout 0", IKE_TUNNEL "ike = {\n  half_open_timeout = 0;\n};\n",
	 "%s:10: setting 'ike.half_open_timeout': 0 out of range 1..3600"},
	{"connections not a group", IKE_TUNNEL IKE_PSK "  connections = ( );\n};\n",
	 "%s:11: setting 'ike.connections': expected a group { name = { tunnel = ...; ... }; }"},
	{"connection unknown setting", IKE_OPEN "      tunnel = \"tunnel0\";\n      rekey = 10;\n"
	 IKE_CLOSE, "%s:14: setting 'ike.connections.dmvpn.rekey': unknown setting"},
	{"connection tunnel not a tunnel", IKE_OPEN "      tunnel = \"wan\";\n" IKE_CLOSE,
	 "%s:13: setting 'ike.connections.dmvpn.tunnel': 'wan' is not a tunnel"},
	{"connection tunnel unprotected", PORTS TUNNEL IKE_PSK
	 "  connections = { c = {\n    tunnel = \"tunnel0\"; }; };\n};\n",
	 "%s:12: setting 'ike.connections.c.tunnel': tunnel 'tunnel0' needs protection = \"ipsec\""},
	{"connection without tunnel, none protected", PORTS TUNNEL IKE_PSK
	 "  connections = {\n    c = { }; };\n};\n",
	 "%s:12: setting 'ike.connections.c.tunnel': missing"},
	{"two connections, one tunnel", IKE_TUNNEL IKE_PSK "  connections = {\n"
	 "    a = { tunnel = \"tunnel0\"; };\n    b = {\n      tunnel = \"tunnel0\"; };\n  };\n};\n",
	 "%s:14: setting 'ike.connections.b.tunnel': tunnel 'tunnel0' is keyed by connection 'a' already"},
	{"dpd_delay not a number", IKE_OPEN "      dpd_delay = \"30\";\n" IKE_CLOSE,
	 "%s:13: setting 'ike.connections.dmvpn.dpd_delay': expected an integer"},
	{"encap not a boolean", IKE_OPEN "      encap = 1;\n" IKE_CLOSE,
	 "%s:13: setting 'ike.connections.dmvpn.encap': expected true or false"},
	{"proposals empty", IKE_OPEN "      proposals = [ ];\n" IKE_CLOSE,
	 "%s:13: setting 'ike.connections.dmvpn.proposals': 1..8 proposals"},
	{"proposals not strings", IKE_OPEN "      proposals = [ 1 ];\n" IKE_CLOSE,
	 "%s:13: setting 'ike.connections.dmvpn.proposals[0]': expected a string"},
	{"proposal unknown", IKE_OPEN "      proposals = [ \"aes128gcm16-prfsha256-ecp256\",\n"
	 "                    \"aes128-md5-modp2048\" ];\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.proposals[1]': 'aes128-md5-modp2048': unknown algorithm 'md5'"},
	{"local auth unknown", IKE_OPEN "      local = {\n        auth = \"eap\"; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.local.auth': 'eap': use \"psk\" or \"pubkey\""},
	{"local unknown setting", IKE_OPEN "      local = {\n        cacert = \"ca.pem\"; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.local.cacert': unknown setting"},
	{"local id %any", IKE_OPEN "      local = {\n        id = \"%any\"; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.local.id': %%any is for the remote end only"},
	{"remote id odd key-id", IKE_OPEN "      remote = {\n        id = \"@#abc\"; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.remote.id': '@#abc' is not an identity (an IPv4 "
	 "address, a name, @name, @#hex key-id, user@domain or a DN)"},
	{"pubkey without cert", IKE_OPEN "      local = {\n        auth = \"pubkey\"; };\n" IKE_CLOSE,
	 "%s:13: setting 'ike.connections.dmvpn.local.cert': missing"},
	{"cert unreadable", IKE_OPEN "      local = {\n        cert = \"/nonexistent/cert.pem\"; };\n"
	 IKE_CLOSE, "%s:14: setting 'ike.connections.dmvpn.local.cert': cannot read "
	 "'/nonexistent/cert.pem': No such file or directory"},
	{"remote pubkey without cacert", IKE_OPEN "      remote = {\n        auth = \"pubkey\"; };\n"
	 IKE_CLOSE, "%s:13: setting 'ike.connections.dmvpn.remote.cacert': missing"},
	{"psk without secrets", IKE_TUNNEL "ike = {\n  connections = {\n    dmvpn = { }; };\n};\n",
	 "%s:11: setting 'ike.connections.dmvpn': PSK authentication and no secret in ike.secrets "
	 "for its peers"},
	{"psk for another peer only", IKE_TUNNEL "ike = {\n  secrets = { a = { id = \"192.0.2.99\";"
	 " secret = \"x\"; }; };\n  connections = {\n    dmvpn = {\n"
	 "      remote = { id = \"192.0.2.11\"; }; }; };\n};\n",
	 "%s:12: setting 'ike.connections.dmvpn': PSK authentication and no secret in ike.secrets "
	 "for 192.0.2.11"},
	{"two children", IKE_OPEN "      children = { a = { };\n        b = { }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.b': one CHILD_SA per connection (the GRE one)"},
	{"child mode", IKE_OPEN "      children = { gre = {\n        mode = \"beet\"; }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.gre.mode': 'beet': use \"transport\" or "
	 "\"tunnel\""},
	{"child unknown setting", IKE_OPEN "      children = { gre = {\n        start_action = \"trap\";"
	 " }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.gre.start_action': unknown setting"},
	{"child replay window 32", IKE_OPEN "      children = { gre = {\n        replay_window = 32;"
	 " }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.gre.replay_window': 0 (off) or 64..4096"},
	{"child life_time not after rekey", IKE_OPEN "      children = { gre = { rekey_time = 600;\n"
	 "        life_time = 600; }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.gre.life_time': must be longer than "
	 "rekey_time (600)"},
	{"child esp proposal unknown", IKE_OPEN "      children = { gre = {\n"
	 "        esp_proposals = [ \"aes128gcm16\", \"blowfish\" ]; }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.gre.esp_proposals[1]': 'blowfish': "
	 "unknown algorithm 'blowfish'"},
	{"child esp proposal the dataplane lacks", IKE_OPEN "      children = { gre = {\n"
	 "        esp_proposals = [ \"aes256-sha512\" ]; }; };\n" IKE_CLOSE,
	 "%s:14: setting 'ike.connections.dmvpn.children.gre.esp_proposals[0]': 'aes256-sha512': "
	 "the ESP dataplane does not implement it"},
	{"secret empty", IKE_TUNNEL "ike = {\n  secrets = { a = {\n    secret = \"\"; }; };\n};\n",
	 "%s:11: setting 'ike.secrets.a.secret': must be 1..127 characters"},
	{"secret bad hex", IKE_TUNNEL "ike = {\n  secrets = { a = {\n    secret = \"0x0g\"; }; };\n};\n",
	 "%s:11: setting 'ike.secrets.a.secret': not a hex string"},
	{"secret missing", IKE_TUNNEL "ike = {\n  secrets = {\n    a = { id = \"%any\"; }; };\n};\n",
	 "%s:11: setting 'ike.secrets.a.secret': missing"},
	{"secret twice for any", IKE_TUNNEL "ike = {\n  secrets = { a = { secret = \"x\"; };\n"
	 "    b = { id = \"%any\"; secret = \"y\"; }; };\n};\n",
	 "%s:11: setting 'ike.secrets.b.id': a second secret for any peer"},
};

static void test_bad_ike(void)
{
	for (size_t i = 0; i < sizeof(bad_ike) / sizeof(bad_ike[0]); i++) {
		char path[PATH_MAX], want[768], err[768] = "";
		struct dmvpn_config cfg;
		int rc;

		snprintf(path, sizeof(path), "%s/bad-ike%02zu.conf", tmpdir, i);
		write_file(path, bad_ike[i].text);
		rc = config_load(path, &cfg, err, sizeof(err));
		snprintf(want, sizeof(want), bad_ike[i].err, path);
		CHECK_MSG(rc == -EINVAL, "%s: rc %d", bad_ike[i].name, rc);
		CHECK_MSG(!strcmp(err, want), "%s:\n   got '%s'\n  want '%s'", bad_ike[i].name, err, want);
		CHECK_MSG(cfg.ike.n_conns == 0 && cfg.ike.secrets == NULL, "%s: not emptied",
			  bad_ike[i].name);
		unlink(path);
	}
}

/* ipsec.sas inner_local/inner_remote: tunnel mode only (lines 9-12). */
#define SA_OPEN PORTS TUNNEL "ipsec = { sas = (\n  { peer = \"192.0.2.11\"; algorithm = \"null\";\n" \
	"    in = { spi = 0x1001; }; out = { spi = 0x2001; };\n"
#define SA_CLOSE "  }\n); };\n"

static void test_sa_inner(void)
{
	static const struct {
		const char *name, *text, *err;
	} bad[] = {
		{"inner address in transport mode", SA_OPEN "    inner_remote = \"10.9.0.11\"; }\n); };\n",
		 "%s:12: setting 'ipsec.sas[0].inner_remote': inner addresses need mode = \"tunnel\""},
		{"inner address not an address", SA_OPEN "    mode = \"tunnel\"; inner_local = \"10.9\";"
		 " }\n); };\n", "%s:12: setting 'ipsec.sas[0].inner_local': '10.9' is not an IPv4 address"},
	};
	static const char good[] = SA_OPEN "    mode = \"tunnel\"; inner_remote = \"10.9.0.11\";\n"
		SA_CLOSE;
	char path[PATH_MAX], want[768], err[768] = "";
	struct dmvpn_config cfg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/bad-sa%02zu.conf", tmpdir, i);
		write_file(path, bad[i].text);
		CHECK_MSG(config_load(path, &cfg, err, sizeof(err)) == -EINVAL, "%s: accepted",
			  bad[i].name);
		snprintf(want, sizeof(want), bad[i].err, path);
		CHECK_MSG(!strcmp(err, want), "%s:\n   got '%s'\n  want '%s'", bad[i].name, err, want);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sa-inner.conf", tmpdir);
	write_file(path, good);
	if (config_load(path, &cfg, err, sizeof(err))) {
		CHECK_MSG(0, "%s", err);
		unlink(path);
		return;
	}
	CHECK_INT(cfg.n_sas, 1);
	CHECK(cfg.n_sas == 1 && cfg.sas[0].mode == CFG_SA_TUNNEL && cfg.sas[0].inner_local == 0 &&
	      cfg.sas[0].inner_remote == inet_addr("10.9.0.11"));
	config_free(&cfg);
	unlink(path);
}

/* The profile defaults: a PSK is all a DMVPN needs. */
static void test_ike_defaults(void)
{
	static const char text[] = IKE_TUNNEL IKE_PSK "  connections = { dmvpn = { }; };\n};\n";
	char path[PATH_MAX], err[512] = "", buf[64];
	const struct cfg_ike_conn *c;
	struct dmvpn_config cfg;

	snprintf(path, sizeof(path), "%s/ike-defaults.conf", tmpdir);
	write_file(path, text);
	if (config_load(path, &cfg, err, sizeof(err))) {
		CHECK_MSG(0, "%s", err);
		return;
	}
	CHECK_INT(cfg.ike.n_conns, 1);
	CHECK_INT(cfg.ike.cookie_threshold, 10);
	CHECK_INT(cfg.ike.half_open_timeout, 30);
	CHECK_INT(cfg.ike.retransmit_tries, 5);
	CHECK_INT(cfg.ike.retransmit_timeout_ms, 1000);
	CHECK_INT(cfg.ike.max_ike_sas, cfg.max_peers);
	CHECK_INT(cfg.ike.n_secrets, 1);
	CHECK_STR(cfg.ike.secrets[0].id, "");
	CHECK_INT(cfg.ike.secrets[0].secret_len, 6);
	CHECK(!memcmp(cfg.ike.secrets[0].secret, "s3cret", 6));
	c = &cfg.ike.conns[0];
	CHECK_STR(c->name, "dmvpn");
	CHECK_INT(c->tunnel, 0);                    /* the one protected tunnel */
	CHECK_INT(c->local_addr, htonl(0xc0000201)); /* wan's address */
	CHECK_INT(c->n_ike, 2);
	ike_suite_format(&c->ike[0], 0, buf, sizeof(buf));
	CHECK_STR(buf, "aes128gcm16-prfsha256-ecp256");
	ike_suite_format(&c->ike[1], 0, buf, sizeof(buf));
	CHECK_STR(buf, "aes256-sha256-modp2048");
	CHECK_INT(c->rekey_time, 14400);
	CHECK_INT(c->over_time, 1440);
	CHECK_INT(c->dpd_delay, 30);
	CHECK_INT(c->dpd_timeout, 63);              /* 1 + 2 + 4 + 8 + 16 + 32 s */
	CHECK_INT(c->encap, 0);
	CHECK_INT(c->local.auth, CFG_IKE_AUTH_PSK);
	CHECK_INT(c->remote.auth, CFG_IKE_AUTH_PSK);
	CHECK_STR(c->local.id, "");
	CHECK_INT(c->local.id_type, 0);
	CHECK_STR(c->remote.id, "");
	CHECK_STR(c->child.name, "gre");
	CHECK_INT(c->child.n_esp, 3);
	ike_suite_format(&c->child.esp[0], 1, buf, sizeof(buf));
	CHECK_STR(buf, "aes128gcm16");
	CHECK_INT(c->child.mode, CFG_SA_TRANSPORT);
	CHECK_INT(c->child.rekey_time, 3600);
	CHECK_INT(c->child.life_time, 3960);
	CHECK_INT(c->child.replay_window, 64);
	CHECK_INT(c->child.rekey_bytes, 0);
	config_free(&cfg);
	unlink(path);
}

/* Everything the section can say. */
static void test_ike_everything(void)
{
	static const char text[] = PORTS
		"tunnels = (\n"
		"  { name = \"t0\"; address = \"198.51.100.1/24\"; source = \"wan\"; key = 1; },\n"
		"  { name = \"t1\"; address = \"198.51.101.1/24\"; source = \"lan\"; key = 2;\n"
		"    protection = \"ipsec\"; },\n"
		"  { name = \"t2\"; address = \"198.51.102.1/24\"; source = \"wan\"; key = 3;\n"
		"    protection = \"ipsec\"; }\n"
		");\n"
		"ike = {\n"
		"  cookie_threshold = 0; half_open_timeout = 5; retransmit_tries = 2;\n"
		"  retransmit_timeout_ms = 500; max_ike_sas = 100;\n"
		"  secrets = {\n"
		"    spoke = { id = \"@spoke.example\"; secret = \"0x00ff10\"; };\n"
		"    other = { id = \"198.51.101.7\"; secret = \"text\"; };\n"
		"  };\n"
		"  connections = {\n"
		"    certs = {\n"
		"      tunnel = \"t1\";\n"
		"      proposals = [ \"aes256gcm16-prfsha384-ecp384\", \"aes128-sha256-x25519\" ];\n"
		"      rekey_time = 0; over_time = 60; dpd_delay = 0; dpd_timeout = 20; encap = true;\n"
		"      local = { cert = \"cert.pem\"; key = \"key.pem\"; id = \"@#0a0B\"; };\n"
		"      remote = { cacert = \"ca.pem\"; id = \"C=CH, O=example, CN=peer\"; };\n"
		"      children = { dmvpn-gre = { esp_proposals = [ \"aes256-sha1\" ];\n"
		"        mode = \"tunnel\"; rekey_time = 100; rekey_bytes = 4000000000L;\n"
		"        rekey_packets = 1000; replay_window = 0; }; };\n"
		"    };\n"
		"    psk = {\n"
		"      tunnel = \"t2\";\n"
		"      local = { auth = \"psk\"; id = \"user@spoke.example\"; };\n"
		"      remote = { auth = \"psk\"; id = \"@spoke.example\"; };\n"
		"      children = { gre = { rekey_time = 600; life_time = 700; }; };\n"
		"    };\n"
		"  };\n"
		"};\n";
	char path[PATH_MAX], pem[PATH_MAX], err[512] = "", buf[64];
	const char *files[] = {"cert.pem", "key.pem", "ca.pem"};
	const struct cfg_ike_conn *c;
	struct dmvpn_config cfg;

	for (unsigned i = 0; i < 3; i++) {
		snprintf(pem, sizeof(pem), "%s/%s", tmpdir, files[i]);
		write_file(pem, "-----BEGIN nothing-----\n");
	}
	snprintf(path, sizeof(path), "%s/ike-everything.conf", tmpdir);
	write_file(path, text);
	if (config_load(path, &cfg, err, sizeof(err))) {
		CHECK_MSG(0, "%s", err);
		goto out;
	}
	CHECK_INT(cfg.ike.cookie_threshold, 0);
	CHECK_INT(cfg.ike.half_open_timeout, 5);
	CHECK_INT(cfg.ike.retransmit_tries, 2);
	CHECK_INT(cfg.ike.retransmit_timeout_ms, 500);
	CHECK_INT(cfg.ike.max_ike_sas, 100);
	CHECK_INT(cfg.ike.n_secrets, 2);
	CHECK_STR(cfg.ike.secrets[0].id, "@spoke.example");
	CHECK_INT(cfg.ike.secrets[0].secret_len, 3);
	CHECK(!memcmp(cfg.ike.secrets[0].secret, "\x00\xff\x10", 3));
	CHECK_INT(cfg.ike.n_conns, 2);
	c = &cfg.ike.conns[0];
	CHECK_STR(c->name, "certs");
	CHECK_INT(c->tunnel, 1);
	CHECK_INT(c->local_addr, htonl(0xc6120001)); /* lan's address: t1's source */
	CHECK_INT(c->n_ike, 2);
	ike_suite_format(&c->ike[0], 0, buf, sizeof(buf));
	CHECK_STR(buf, "aes256gcm16-prfsha384-ecp384");
	CHECK_INT(c->ike[1].dh, IKE_DH_CURVE25519);
	CHECK_INT(c->rekey_time, 0);
	CHECK_INT(c->over_time, 60);
	CHECK_INT(c->dpd_delay, 0);
	CHECK_INT(c->dpd_timeout, 20);
	CHECK_INT(c->encap, 1);
	CHECK_INT(c->local.auth, CFG_IKE_AUTH_PUBKEY);
	CHECK_INT(c->remote.auth, CFG_IKE_AUTH_PUBKEY);
	snprintf(pem, sizeof(pem), "%s/cert.pem", tmpdir);
	CHECK_STR(c->local.cert, pem);
	snprintf(pem, sizeof(pem), "%s/key.pem", tmpdir);
	CHECK_STR(c->local.key, pem);
	snprintf(pem, sizeof(pem), "%s/ca.pem", tmpdir);
	CHECK_STR(c->remote.cacert, pem);
	CHECK_STR(c->local.id, "@#0a0B");
	CHECK_INT(c->local.id_type, IKE_ID_KEY_ID);
	CHECK_INT(c->remote.id_type, IKE_ID_DER_DN);
	CHECK_STR(c->child.name, "dmvpn-gre");
	CHECK_INT(c->child.n_esp, 1);
	CHECK_INT(c->child.esp[0].encr, IKE_ENCR_AES_CBC);
	CHECK_INT(c->child.esp[0].encr_bits, 256);
	CHECK_INT(c->child.esp[0].integ, IKE_INTEG_HMAC_SHA1_96);
	CHECK_INT(c->child.mode, CFG_SA_TUNNEL);
	CHECK_INT(c->child.rekey_time, 100);
	CHECK_INT(c->child.life_time, 110);
	CHECK_INT(c->child.rekey_bytes, 4000000000ull);
	CHECK_INT(c->child.rekey_packets, 1000);
	CHECK_INT(c->child.replay_window, 0);
	c = &cfg.ike.conns[1];
	CHECK_INT(c->tunnel, 2);
	CHECK_INT(c->local_addr, htonl(0xc0000201));
	CHECK_INT(c->local.auth, CFG_IKE_AUTH_PSK);
	CHECK_INT(c->local.id_type, IKE_ID_RFC822);
	CHECK_STR(c->remote.id, "@spoke.example");
	CHECK_INT(c->remote.id_type, IKE_ID_FQDN);
	CHECK_INT(c->child.rekey_time, 600);
	CHECK_INT(c->child.life_time, 700);
	config_free(&cfg);
out:
	unlink(path);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(pem, sizeof(pem), "%s/%s", tmpdir, files[i]);
		unlink(pem);
	}
}

/* The shipped examples load and say what the lab (SPEC.md) says: the hub
 * is the NHS, each spoke registers with it. */
static void test_examples(const char *dir)
{
	static const struct {
		const char *file;
		uint32_t wan, tunnel, lan; /* host order */
		const char *sock;
		int spoke;
	} t[] = {
		{"hub.conf", 0xc0000201, 0xc6336401, 0xc6120001, "/run/dmvpn/dmvpn-hub.sock", 0},
		{"spoke.conf", 0xc000020b, 0xc633640b, 0xc6120101, "/run/dmvpn/dmvpn-spoke1.sock", 1},
		{"spoke2.conf", 0xc000020c, 0xc633640c, 0xc6120201, "/run/dmvpn/dmvpn-spoke2.sock", 1},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[PATH_MAX], err[512] = "";
		struct dmvpn_config c;

		snprintf(path, sizeof(path), "%s/%s", dir, t[i].file);
		if (config_load(path, &c, err, sizeof(err))) {
			CHECK_MSG(0, "%s: %s", path, err);
			continue;
		}
		CHECK_STR(c.socket_path, t[i].sock);
		CHECK_INT(c.n_ports, 2);
		CHECK_INT(c.ports[0].addr, htonl(t[i].wan));
		CHECK_INT(c.ports[1].addr, htonl(t[i].lan));
		CHECK_INT(c.n_tunnels, 1);
		CHECK_INT(c.tunnels[0].addr, htonl(t[i].tunnel));
		CHECK_INT(c.tunnels[0].plen, 24);
		CHECK_INT(c.tunnels[0].source, 0);
		CHECK_INT(c.tunnels[0].has_key, 1);
		CHECK_INT(c.tunnels[0].key, 1000);
		CHECK_INT(c.tunnels[0].network_id, 1);
		if (t[i].spoke) {
			CHECK_MSG(c.tunnels[0].n_nhs >= 1, "%s: no NHS", t[i].file);
			CHECK_INT(c.tunnels[0].nhs[0].proto, htonl(0xc6336401));
			CHECK_INT(c.tunnels[0].nhs[0].nbma, htonl(0xc0000201));
		} else {
			CHECK_INT(c.tunnels[0].n_nhs, 0);
		}
		CHECK_MSG(c.n_eal_args > 0, "%s: eal args", t[i].file);
		config_free(&c);
	}
}

int main(int argc, char **argv)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_bad();
	test_unreadable();
	test_good();
	test_good_nhrp();
	test_kif_multicast();
	test_bad_ike();
	test_sa_inner();
	test_ike_defaults();
	test_ike_everything();
	if (argc > 1)
		test_examples(argv[1]);
	else
		printf("test_config: no conf/ directory given, examples skipped\n");
	rmdir(tmpdir);
	return check_done("test_config");
}
