/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: show nhrp cache|nhs|shortcut|resolution. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/dmvpnctl/dmvpnctl.h"

/* ---- show nhrp cache ---- */
static char *ctl_fmt_flags(const json_t *flags)
{
	char *s = ctl_format("%s", ""), *v, *n;
	size_t i;
	const json_t *f;

	if (!json_is_array(flags))
		return ctl_fmt_value(flags);
	json_array_foreach(flags, i, f) {
		v = ctl_fmt_value(f);
		n = ctl_format("%s%s%s", s, i ? " " : "", v);
		free(v);
		free(s);
		s = n;
	}
	return s;
}

/* IOS `show ip nhrp` blocks; fields this version does not know follow as key: value. */
static void print_nhrp_entry(const json_t *e)
{
	static const char *const known[] = {"interface", "protocol", "via", "nbma",
					    "claimed_nbma", "type", "flags", "created",
					    "expires_in", NULL};
	const char *proto = ctl_get_str(e, "protocol", "-");
	const char *nbma = ctl_get_str(e, "nbma", "-");
	const char *claimed = ctl_get_str(e, "claimed_nbma", NULL);
	const json_t *flags = json_object_get(e, "flags");
	long long created, left;
	char *age, *expiry, *s;
	const char *key;
	const json_t *v;

	/* The next hop of a host entry is the entry itself, so IOS prints it as via. */
	if (json_is_string(json_object_get(e, "via")))
		print_line(ctl_format("%s via %s", proto, ctl_get_str(e, "via", "")));
	else
		print_line(ctl_format("%s via %.*s", proto, (int)strcspn(proto, "/"), proto));

	age = ctl_get_int(e, "created", &created) ? ctl_fmt_duration(time(NULL) - created)
						  : ctl_format("-");
	if (ctl_get_int(e, "expires_in", &left)) {
		s = ctl_fmt_duration(left);
		expiry = ctl_format("expire %s", s);
		free(s);
	} else {
		expiry = ctl_format("%s", json_is_null(json_object_get(e, "expires_in"))
						  ? "never expire" : "expiry unknown");
	}
	print_line(ctl_format("   %s created %s, %s", ctl_get_str(e, "interface", "-"), age, expiry));
	free(age);
	free(expiry);

	if (flags) {
		s = ctl_fmt_flags(flags);
		print_line(ctl_format("   Type: %s, Flags: %s", ctl_get_str(e, "type", "-"), s));
		free(s);
	} else {
		print_line(ctl_format("   Type: %s", ctl_get_str(e, "type", "-")));
	}
	print_line(ctl_format("   NBMA address: %s", nbma));
	if (claimed && strcmp(claimed, nbma))
		print_line(ctl_format("    (Claimed NBMA address: %s)", claimed));
	json_object_foreach((json_t *)e, key, v) {
		if (ctl_is_one_of(key, known))
			continue;
		s = ctl_fmt_value(v);
		print_line(ctl_format("   %s: %s", key, s));
		free(s);
	}
}

void print_nhrp_cache(const json_t *body)
{
	size_t i;
	const json_t *e;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	json_array_foreach(body, i, e)
		print_nhrp_entry(e);
}

void print_nhs(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Interface", false, 0, "interface"}, {"NHS", false, 15, "protocol"},
		{"NBMA", false, 15, "nbma"}, {"Prio", true, 0, "priority"}, {"State", false, 0, "state"},
		{"Last reply", false, 0, "last_reply_s", CTL_FMT_SECONDS},
		{"Up", false, 0, "up_s", CTL_FMT_SECONDS}, {"Sent", true, 0, "registrations_sent"},
		{"Replies", true, 0, "replies"}, {"Seen us at", false, 0, "public_nbma"},
		{"Request ID", true, 0, "request_id"},
	};

	print_rows(body, cols, sizeof(cols) / sizeof(cols[0]));
}

void print_shortcuts(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Interface", false, 0, "interface"}, {"Prefix", false, 18, "prefix"},
		{"Via", false, 15, "nexthop"}, {"NBMA", false, 15, "nbma"},
		{"Age", false, 0, "created", CTL_FMT_AGE},
		{"Expires", false, 0, "expires_in", CTL_FMT_SECONDS},
	};

	print_rows(body, cols, sizeof(cols) / sizeof(cols[0]));
}

void print_resolutions(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Interface", false, 0, "interface"}, {"Target", false, 15, "target"},
		{"Request ID", true, 0, "request_id"}, {"Tries", true, 0, "tries"},
		{"Shortcut", false, 0, "shortcut"},
	};

	print_rows(body, cols, sizeof(cols) / sizeof(cols[0]));
}
