/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: show ipsec sa, show ike sa, clear ike sa. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dmvpnctl/dmvpnctl.h"

/* ---- show ipsec sa ---- */
void print_ipsec_sa(const json_t *body)
{
	size_t i;
	const json_t *s;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	if (json_array_size(body) == 0)
		puts("(none)");
	json_array_foreach(body, i, s) {
		char *age = ctl_fmt_seconds(s, "installed_s");

		print_line(ctl_format("%s: peer %s, %s, %s%s, %s", ctl_get_str(s, "interface", "-"),
				      ctl_get_str(s, "peer", "-"), ctl_get_str(s, "state", "-"),
				      ctl_get_str(s, "mode", "-"),
				      strcmp(ctl_get_str(s, "encapsulation", "none"), "udp") ? "" :
				      "-in-UDP", ctl_get_str(s, "algorithm", "-")));
		print_line(ctl_format("  installed %s ago, replay window %lld%s", age,
				      (long long)json_integer_value(json_object_get(s, "replay_window")),
				      json_is_true(json_object_get(s, "esn")) ? ", ESN" : ""));
		if (json_object_get(s, "inner_local"))
			print_line(ctl_format("  inner %s === %s",
					      ctl_get_str(s, "inner_local", "(outer)"),
					      ctl_get_str(s, "inner_remote", "(outer)")));
		print_line(ctl_format("  in  SPI %s: %lld packets, %lld bytes, %lld errors, "
				      "replay top %lld", ctl_get_str(s, "spi_in", "-"),
				      ctl_sub_int(s, "in", "packets"), ctl_sub_int(s, "in", "bytes"),
				      ctl_sub_int(s, "in", "errors"), ctl_sub_int(s, "in", "replay_top")));
		print_line(ctl_format("  out SPI %s: %lld packets, %lld bytes, sequence %lld",
				      ctl_get_str(s, "spi_out", "-"), ctl_sub_int(s, "out", "packets"),
				      ctl_sub_int(s, "out", "bytes"), ctl_sub_int(s, "out", "seq")));
		free(age);
	}
}

/* ---- show ike sa ---- */

/* One block per IKE SA, in the spirit of swanctl --list-sas. */
void print_ike_sa(const json_t *body)
{
	size_t i;
	const json_t *s;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	if (json_array_size(body) == 0)
		puts("(none)");
	json_array_foreach(body, i, s) {
		const json_t *c = json_object_get(s, "child");
		bool init = json_is_true(json_object_get(s, "initiator"));
		long long lp = 0, rp = 0;
		char *up = ctl_fmt_seconds(s, "established_s"), *rekey = ctl_fmt_seconds(s, "rekey_in_s");

		ctl_get_int(s, "local_port", &lp);
		ctl_get_int(s, "remote_port", &rp);
		print_line(ctl_format("%s: %s, %s, IKEv2, %s_i%s %s_r%s", ctl_get_str(s, "interface", "-"),
				      ctl_get_str(s, "connection", "-"), ctl_get_str(s, "state", "-"),
				      ctl_get_str(s, "spi_i", "-"), init ? "*" : "",
				      ctl_get_str(s, "spi_r", "-"), init ? "" : "*"));
		print_line(ctl_format("  local  '%s' @ %s[%lld]%s", ctl_get_str(s, "local_id", ""),
				      ctl_get_str(s, "local", "-"), lp,
				      json_is_true(json_object_get(s, "nat_local")) ? " [NAT]" : ""));
		print_line(ctl_format("  remote '%s' @ %s[%lld]%s", ctl_get_str(s, "remote_id", ""),
				      ctl_get_str(s, "remote", "-"), rp,
				      json_is_true(json_object_get(s, "nat_remote")) ? " [NAT]" : ""));
		print_line(ctl_format("  %s", ctl_get_str(s, "proposal", "-")));
		if (json_is_integer(json_object_get(s, "established_s")))
			print_line(ctl_format("  established %s ago, rekeying in %s", up, rekey));
		free(up);
		free(rekey);
		if (!json_is_object(c))
			continue;
		rekey = ctl_fmt_seconds(c, "rekey_in_s");
		print_line(ctl_format("  gre: INSTALLED, %s%s, %s, SPIs %s_i %s_o, rekeying in %s",
				      !strcmp(ctl_get_str(c, "mode", ""), "tunnel") ? "TUNNEL" : "TRANSPORT",
				      !strcmp(ctl_get_str(c, "encapsulation", ""), "udp") ? "-in-UDP" : "",
				      ctl_get_str(c, "proposal", "-"), ctl_get_str(c, "spi_in", "-"),
				      ctl_get_str(c, "spi_out", "-"), rekey));
		free(rekey);
		if (json_is_string(json_object_get(c, "ts_local")))
			print_line(ctl_format("    local  %s/32[gre]", ctl_get_str(c, "ts_local", "-")));
		if (json_is_string(json_object_get(c, "ts_remote")))
			print_line(ctl_format("    remote %s/32[gre]", ctl_get_str(c, "ts_remote", "-")));
	}
}

void print_terminated(const json_t *body)
{
	long long n;

	if (!ctl_get_int(body, "terminated", &n)) {
		print_body(body);
		return;
	}
	printf("%lld IKE SA%s deleted\n", n, n == 1 ? "" : "s");
}
