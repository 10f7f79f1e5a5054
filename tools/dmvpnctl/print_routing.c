/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: show interfaces, routes, arp. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tools/dmvpnctl/dmvpnctl.h"

/* ---- show interfaces ---- */

void print_interfaces(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Name", false, 0}, {"Kind", false, 0}, {"Address", false, 0}, {"MAC/Source", false, 0},
		{"MTU", true, 0}, {"Link", false, 0}, {"RX pkts", true, 0}, {"TX pkts", true, 0},
	};
	struct ctl_table t;
	size_t i;
	const json_t *o;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	ctl_table_init(&t, cols, 8);
	json_array_foreach(body, i, o) {
		const json_t *mac = json_object_get(o, "mac");
		char *cells[8] = {
			ctl_fmt_value(json_object_get(o, "name")),
			ctl_fmt_value(json_object_get(o, "kind")),
			ctl_fmt_value(json_object_get(o, "address")),
			/* a tunnel has no MAC; what identifies its outer side is its source */
			ctl_fmt_value(mac ? mac : json_object_get(o, "source")),
			ctl_fmt_value(json_object_get(o, "mtu")),
			ctl_fmt_value(json_object_get(o, "link")),
			ctl_fmt_value(json_object_get(o, "rx_packets")),
			ctl_fmt_value(json_object_get(o, "tx_packets")),
		};

		ctl_table_add(&t, cells);
	}
	print_table(&t, 0);
	ctl_table_free(&t);
}

/* ---- show routes ---- */

static const char *ctl_route_code(const char *type)
{
	static const struct {
		const char *type, *code;
	} codes[] = {
		{"connected", "C"}, {"local", "L"}, {"broadcast", "B"},
		{"static", "S"}, {"default", "S*"}, {"nhrp", "H"}, {"kernel", "K"},
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(type, codes[i].type))
			return codes[i].code;
	return "?";
}

void print_routes(const json_t *body)
{
	const char *gw = NULL;
	size_t i;
	const json_t *r;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	puts("Codes: C - connected, L - local, B - broadcast, S - static, S* - default,\n       H - NHRP shortcut, K - kernel (routing daemon)\n");
	json_array_foreach(body, i, r)
		if (!strcmp(ctl_get_str(r, "type", ""), "default"))
			gw = ctl_get_str(r, "via", ctl_get_str(r, "interface", "?"));
	if (gw)
		printf("Gateway of last resort is %s to network 0.0.0.0\n\n", gw);
	else
		puts("Gateway of last resort is not set\n");
	json_array_foreach(body, i, r) {
		const char *type = ctl_get_str(r, "type", "?");
		const char *via = ctl_get_str(r, "via", NULL);
		char *line;

		if (via)
			line = ctl_format("%-4s %s via %s, %s", ctl_route_code(type),
					  ctl_get_str(r, "prefix", "-"), via,
					  ctl_get_str(r, "interface", "-"));
		else
			line = ctl_format("%-4s %s is directly connected, %s", ctl_route_code(type),
					  ctl_get_str(r, "prefix", "-"),
					  ctl_get_str(r, "interface", "-"));
		printf("%s", ctl_sanitize(line));
		/* an unknown code alone would hide what the route is */
		if (!strcmp(ctl_route_code(type), "?"))
			printf(" (%s)", type);
		putchar('\n');
		free(line);
	}
}

/* ---- show arp ---- */

void print_neighbors(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Address", false, 0}, {"Age", false, 0}, {"Hardware Addr", false, 0},
		{"State", false, 0}, {"Interface", false, 0}, {"Queued", true, 0},
	};
	struct ctl_table t;
	size_t i;
	const json_t *o;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	ctl_table_init(&t, cols, 6);
	json_array_foreach(body, i, o) {
		const json_t *mac = json_object_get(o, "mac");
		char *cells[6] = {
			ctl_fmt_value(json_object_get(o, "address")),
			ctl_fmt_seconds(o, "age_s"),
			json_is_string(mac) ? ctl_fmt_value(mac) : ctl_format("Incomplete"),
			ctl_fmt_value(json_object_get(o, "state")),
			ctl_fmt_value(json_object_get(o, "interface")),
			ctl_fmt_value(json_object_get(o, "queued")),
		};

		ctl_table_add(&t, cells);
	}
	print_table(&t, 0);
	ctl_table_free(&t);
}
