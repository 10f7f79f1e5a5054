/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: show counters. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dmvpnctl/dmvpnctl.h"

/* ---- show counters ---- */

/* name value lines with aligned values; zeros skipped when nonzero_only. */
static void print_counter_list(const json_t *o, bool nonzero_only, int indent)
{
	size_t wk = 0, wv = 0, shown = 0;
	const char *key;
	const json_t *v;

	if (!json_is_object(o)) {
		print_value(o, indent);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		json_object_foreach((json_t *)o, key, v) {
			char *s;

			if (nonzero_only && json_is_integer(v) && !json_integer_value(v))
				continue;
			s = ctl_fmt_value(v);
			if (!pass) {
				wk = strlen(key) > wk ? strlen(key) : wk;
				wv = strlen(s) > wv ? strlen(s) : wv;
			} else {
				printf("%*s%-*s  %*s\n", indent, "", (int)wk, key, (int)wv, s);
				shown++;
			}
			free(s);
		}
	}
	if (!shown)
		printf("%*snone\n", indent, "");
}

static const char *ctl_counter_head(const char *key)
{
	static const struct {
		const char *key, *head;
	} heads[] = {
		{"rx_packets", "RX pkts"}, {"rx_bytes", "RX bytes"}, {"tx_packets", "TX pkts"},
		{"tx_bytes", "TX bytes"}, {"ipackets", "HW in"}, {"opackets", "HW out"},
		{"imissed", "Missed"}, {"ierrors", "In errs"}, {"oerrors", "Out errs"},
		{"rx_nombuf", "No mbuf"},
	};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (!strcmp(key, heads[i].key))
			return heads[i].head;
	return key;
}

/* Columns: the union of the interfaces' counters, then of their "hw" counters. */
static void print_counter_interfaces(const json_t *ifs)
{
	const char *name, *key;
	const json_t *o, *v;
	json_t *seen = ctl_check_alloc(json_object());
	json_t *keys = ctl_check_alloc(json_array()); /* [sub-object or null, key] pairs */
	struct ctl_col *cols;
	struct ctl_table t;
	unsigned ncols;

	for (int hw = 0; hw < 2; hw++) {
		json_object_foreach((json_t *)ifs, name, o) {
			const json_t *src = hw ? json_object_get(o, "hw") : o;

			json_object_foreach((json_t *)src, key, v) {
				char *id;

				if (!hw && json_is_object(v))
					continue;
				id = ctl_format("%s%s", hw ? "hw." : "", key);
				if (!json_object_get(seen, id)) {
					json_object_set_new(seen, id, json_true());
					json_array_append_new(keys, json_pack("[b,s]", hw, key));
				}
				free(id);
			}
		}
	}
	ncols = 1 + (unsigned)json_array_size(keys);
	cols = ctl_check_alloc(calloc(ncols, sizeof(*cols)));
	cols[0] = (struct ctl_col){"Interface", false, 0};
	for (unsigned c = 1; c < ncols; c++) {
		const json_t *k = json_array_get(keys, c - 1);

		cols[c] = (struct ctl_col){ctl_counter_head(json_string_value(json_array_get(k, 1))),
					   true, 0};
	}
	ctl_table_init(&t, cols, ncols);
	json_object_foreach((json_t *)ifs, name, o) {
		char **cells = ctl_check_alloc(calloc(ncols, sizeof(*cells)));

		cells[0] = ctl_sanitize(ctl_format("%s", name));
		for (unsigned c = 1; c < ncols; c++) {
			const json_t *k = json_array_get(keys, c - 1);
			const json_t *src = json_is_true(json_array_get(k, 0)) ? json_object_get(o, "hw") : o;

			cells[c] = ctl_fmt_value(json_object_get(src, json_string_value(json_array_get(k, 1))));
		}
		ctl_table_add(&t, cells);
		free(cells);
	}
	print_table(&t, 1);
	ctl_table_free(&t);
	free(cols);
	json_decref(keys);
	json_decref(seen);
}

/* One row per worker: identity first, drops last, anything else between. */
static void print_counter_workers(const json_t *workers)
{
	static const char *const first[] = {"index", "lcore", "loops", "idle_sleeps", NULL};
	json_t *seen = ctl_check_alloc(json_object());
	struct ctl_col *cols = NULL;
	unsigned ncols = 0;
	struct ctl_table t;
	const char *key;
	const json_t *w, *v;
	size_t i;

	for (int k = 0; first[k]; k++) {
		json_object_set_new(seen, first[k], json_true());
		cols = ctl_check_alloc(realloc(cols, (ncols + 1) * sizeof(*cols)));
		cols[ncols++] = (struct ctl_col){first[k], true, 0};
	}
	json_object_set_new(seen, "drops", json_true());
	json_array_foreach(workers, i, w) {
		json_object_foreach((json_t *)w, key, v) {
			if (json_object_get(seen, key))
				continue;
			json_object_set_new(seen, key, json_true());
			cols = ctl_check_alloc(realloc(cols, (ncols + 1) * sizeof(*cols)));
			cols[ncols++] = (struct ctl_col){key, true, 0};
		}
	}
	cols = ctl_check_alloc(realloc(cols, (ncols + 1) * sizeof(*cols)));
	cols[ncols++] = (struct ctl_col){"drops", false, 0};
	ctl_table_init(&t, cols, ncols);
	json_array_foreach(workers, i, w) {
		char **cells = ctl_check_alloc(calloc(ncols, sizeof(*cells)));
		const json_t *drops = json_object_get(w, "drops");
		char *d = ctl_format("%s", "");

		for (unsigned c = 0; c + 1 < ncols; c++)
			cells[c] = ctl_fmt_value(json_object_get(w, cols[c].head));
		/* the daemon lists only non-zero reasons per worker; skip zeros anyway */
		json_object_foreach((json_t *)drops, key, v) {
			char *s, *nd;

			if (json_is_integer(v) && !json_integer_value(v))
				continue;
			s = ctl_fmt_value(v);
			nd = ctl_format("%s%s%s=%s", d, *d ? "," : "", key, s);
			free(s);
			free(d);
			d = nd;
		}
		if (!*d) {
			free(d);
			d = ctl_format(json_is_object(drops) ? "none" : "-");
		}
		cells[ncols - 1] = ctl_sanitize(d);
		ctl_table_add(&t, cells);
		free(cells);
	}
	print_table(&t, 1);
	ctl_table_free(&t);
	free(cols);
	json_decref(seen);
}

void print_counters(const json_t *body)
{
	static const char *const sections[] = {"uptime_s", "interfaces", "drops", "control",
					       "workers", "ike", NULL};
	const json_t *ifs = json_object_get(body, "interfaces");
	const json_t *workers = json_object_get(body, "workers");
	json_t *totals;
	const char *key;
	const json_t *v;
	char *up;

	if (!json_is_object(body)) {
		print_body(body);
		return;
	}
	up = ctl_fmt_seconds(body, "uptime_s");
	printf("Uptime: %s\n", up);
	free(up);

	/* every top-level number is a dataplane total; new ones show up unasked */
	totals = ctl_check_alloc(json_object());
	json_object_foreach((json_t *)body, key, v)
		if (!ctl_is_one_of(key, sections) && ctl_is_scalar(v))
			json_object_set(totals, key, (json_t *)v);
	puts("\nDataplane totals:");
	print_counter_list(totals, false, 2);
	json_decref(totals);

	if (json_is_object(ifs) && json_object_size(ifs)) {
		puts("\nInterfaces:");
		print_counter_interfaces(ifs);
	}
	if (json_object_get(body, "drops")) {
		puts("\nDrops (non-zero):");
		print_counter_list(json_object_get(body, "drops"), true, 2);
	}
	if (json_object_get(body, "control")) {
		puts("\nControl (non-zero):");
		print_counter_list(json_object_get(body, "control"), true, 2);
	}
	if (json_object_get(body, "ike")) {
		puts("\nIKEv2 (non-zero):");
		print_counter_list(json_object_get(body, "ike"), true, 2);
	}
	if (json_is_array(workers) && json_array_size(workers) && ctl_all_objects(workers)) {
		puts("\nWorkers:");
		print_counter_workers(workers);
	}
	json_object_foreach((json_t *)body, key, v) {
		if (ctl_is_one_of(key, sections) || ctl_is_scalar(v))
			continue;
		printf("\n%s:\n", key);
		print_value(v, 2);
	}
}
