/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: value formatting, aligned tables, the generic printer of any JSON shape. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/dmvpnctl/dmvpnctl.h"

/* ---- messages and strings ---- */

__attribute__((format(printf, 1, 2)))
void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("dmvpnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A CLI has nothing better to do on allocation failure than to stop. */
void *ctl_check_alloc(void *p)
{
	if (!p) {
		ctl_warn("out of memory");
		exit(CTL_EXIT_FAIL);
	}
	return p;
}

__attribute__((format(printf, 1, 2)))
char *ctl_format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = ctl_check_alloc(malloc((size_t)(n < 0 ? 0 : n) + 1));
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* ---- value formatting ---- */

/* Cells must not carry control characters: they would break the layout or reach the
 * terminal as escape sequences from names the daemon merely passes on. */
char *ctl_sanitize(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* Any JSON value as one table cell (malloc'd); absent and null show as "-". */
char *ctl_fmt_value(const json_t *v)
{
	if (!v)
		return ctl_format("-");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return ctl_sanitize(ctl_format("%s", json_string_value(v)));
	case JSON_INTEGER:
		return ctl_format("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return ctl_format("%g", json_real_value(v));
	case JSON_TRUE:
		return ctl_format("true");
	case JSON_FALSE:
		return ctl_format("false");
	case JSON_NULL:
		return ctl_format("-");
	default:
		return ctl_sanitize(ctl_check_alloc(json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)));
	}
}

/* hh:mm:ss under a day, then NdNNh as IOS prints long uptimes. */
char *ctl_fmt_duration(long long s)
{
	if (s < 0)
		s = 0;
	if (s < 86400)
		return ctl_format("%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	return ctl_format("%lldd%02lldh", s / 86400, s / 3600 % 24);
}

const char *ctl_get_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

bool ctl_get_int(const json_t *o, const char *key, long long *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

/* Seconds value as a duration cell; "-" when absent. */
char *ctl_fmt_seconds(const json_t *o, const char *key)
{
	long long s;

	return ctl_get_int(o, key, &s) ? ctl_fmt_duration(s) : ctl_format("-");
}

/* ---- tables ---- */




void ctl_table_init(struct ctl_table *t, const struct ctl_col *cols, unsigned ncols)
{
	*t = (struct ctl_table){.ncols = ncols, .cols = cols};
}

/* Appends one row; takes ownership of the ncols cells. */
void ctl_table_add(struct ctl_table *t, char **cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = ctl_check_alloc(realloc(t->cells, t->cap * t->ncols * sizeof(char *)));
	}
	memcpy(&t->cells[t->nrows++ * t->ncols], cells, t->ncols * sizeof(char *));
}

void ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

static void print_table_line(const struct ctl_table *t, const size_t *w, int indent,
			     const char *const *cells)
{
	printf("%*s", indent, "");
	for (unsigned c = 0; c < t->ncols; c++) {
		bool last = c + 1 == t->ncols;

		if (t->cols[c].right)
			printf("%*s", (int)w[c], cells[c]);
		else /* no padding after the last column: no trailing blanks */
			printf("%-*s", last ? 0 : (int)w[c], cells[c]);
		fputs(last ? "\n" : "  ", stdout);
	}
}

/* Column widths fit the widest cell, under a header and a rule as IOS draws them. */
void print_table(const struct ctl_table *t, int indent)
{
	size_t *w = ctl_check_alloc(calloc(t->ncols, sizeof(*w)));
	const char **row = ctl_check_alloc(calloc(t->ncols, sizeof(*row)));
	char **rule = ctl_check_alloc(calloc(t->ncols, sizeof(*rule)));

	for (unsigned c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->cols[c].head);
		w[c] = t->cols[c].min > w[c] ? t->cols[c].min : w[c];
		for (size_t r = 0; r < t->nrows; r++) {
			size_t len = strlen(t->cells[r * t->ncols + c]);

			w[c] = len > w[c] ? len : w[c];
		}
		row[c] = t->cols[c].head;
		rule[c] = ctl_check_alloc(malloc(w[c] + 1));
		memset(rule[c], '-', w[c]);
		rule[c][w[c]] = '\0';
	}
	print_table_line(t, w, indent, row);
	print_table_line(t, w, indent, (const char *const *)rule);
	for (size_t r = 0; r < t->nrows; r++)
		print_table_line(t, w, indent, (const char *const *)&t->cells[r * t->ncols]);
	for (unsigned c = 0; c < t->ncols; c++)
		free(rule[c]);
	free(rule);
	free(row);
	free(w);
}

/* ---- generic printer: any shape, so new fields never break the tool ---- */


bool ctl_all_objects(const json_t *arr)
{
	size_t i;
	const json_t *v;

	json_array_foreach(arr, i, v)
		if (!json_is_object(v))
			return false;
	return true;
}

/* Array of objects: the union of their keys, in order of first appearance, as columns;
 * a column of numbers only is right-aligned. */
static void print_object_table(const json_t *arr, int indent)
{
	json_t *seen = ctl_check_alloc(json_object());
	struct ctl_col *cols = NULL;
	struct ctl_table t;
	unsigned ncols = 0;
	const char *key;
	const json_t *o, *v;
	size_t i;

	json_array_foreach(arr, i, o) {
		json_object_foreach((json_t *)o, key, v) {
			if (json_object_get(seen, key))
				continue;
			json_object_set_new(seen, key, json_integer(ncols));
			cols = ctl_check_alloc(realloc(cols, (ncols + 1) * sizeof(*cols)));
			cols[ncols++] = (struct ctl_col){.head = key, .right = true, .min = 0};
		}
	}
	for (unsigned c = 0; c < ncols; c++) {
		json_array_foreach(arr, i, o) {
			v = json_object_get(o, cols[c].head);
			if (v && !json_is_number(v) && !json_is_null(v))
				cols[c].right = false;
		}
	}
	if (!ncols) {
		printf("%*s(%zu entries without fields)\n", indent, "", json_array_size(arr));
		json_decref(seen);
		return;
	}
	ctl_table_init(&t, cols, ncols);
	json_array_foreach(arr, i, o) {
		char **cells = ctl_check_alloc(calloc(ncols, sizeof(*cells)));

		for (unsigned c = 0; c < ncols; c++)
			cells[c] = ctl_fmt_value(json_object_get(o, cols[c].head));
		ctl_table_add(&t, cells);
		free(cells);
	}
	print_table(&t, indent);
	ctl_table_free(&t);
	free(cols);
	/* the column heads point into the body, not into this set */
	json_decref(seen);
}

bool ctl_is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static void print_object(const json_t *o, int indent)
{
	const char *key;
	const json_t *v;

	if (!json_object_size(o)) {
		printf("%*s(none)\n", indent, "");
		return;
	}
	json_object_foreach((json_t *)o, key, v) {
		char *k = ctl_sanitize(ctl_format("%s", key));

		if (ctl_is_scalar(v) || (json_is_array(v) && !json_array_size(v))) {
			char *s = json_is_array(v) ? ctl_format("(none)") : ctl_fmt_value(v);

			printf("%*s%s: %s\n", indent, "", k, s);
			free(s);
		} else {
			printf("%*s%s:\n", indent, "", k);
			print_value(v, indent + 2);
		}
		free(k);
	}
}

void print_value(const json_t *v, int indent)
{
	size_t i;
	const json_t *e;

	if (json_is_object(v)) {
		print_object(v, indent);
	} else if (json_is_array(v)) {
		if (!json_array_size(v)) {
			printf("%*s(none)\n", indent, "");
		} else if (ctl_all_objects(v)) {
			print_object_table(v, indent);
		} else {
			json_array_foreach(v, i, e) {
				if (ctl_is_scalar(e)) {
					char *s = ctl_fmt_value(e);

					printf("%*s%s\n", indent, "", s);
					free(s);
				} else {
					printf("%*s[%zu]\n", indent, "", i);
					print_value(e, indent + 2);
				}
			}
		}
	} else if (v && !json_is_null(v)) {
		char *s = ctl_fmt_value(v);

		printf("%*s%s\n", indent, "", s);
		free(s);
	}
}

void print_body(const json_t *body)
{
	print_value(body, 0);
}

/* The shape the table printers expect; anything else goes to the generic printer. */
bool ctl_is_rows(const json_t *body)
{
	return json_is_array(body) && json_array_size(body) && ctl_all_objects(body);
}


bool ctl_is_one_of(const char *key, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(key, *set))
			return true;
	return false;
}

/* Prints and frees one built line; built lines carry daemon strings, hence the sanitizing. */
void print_line(char *line)
{
	puts(ctl_sanitize(line));
	free(line);
}

/* Flags as IOS lists them: words separated by blanks. */

long long ctl_sub_int(const json_t *o, const char *obj, const char *key)
{
	long long v = 0;

	ctl_get_int(json_object_get(o, obj), key, &v);
	return v;
}

/* One block per peer, in the spirit of swanctl --list-sas. */

/* Age of an epoch timestamp member as a duration cell. */
char *ctl_fmt_age(const json_t *o, const char *key)
{
	long long t;

	return ctl_get_int(o, key, &t) ? ctl_fmt_duration(time(NULL) - t) : ctl_format("-");
}

/* A table with one row per object of body, each column one field (cols[].key,
 * cols[].fmt); anything but a non-empty array is printed as it is. */
void print_rows(const json_t *body, const struct ctl_col *cols, unsigned ncols)
{
	struct ctl_table t;
	size_t i;
	const json_t *o;

	if (!ctl_is_rows(body) || json_array_size(body) == 0) {
		print_body(body);
		return;
	}
	ctl_table_init(&t, cols, ncols);
	json_array_foreach(body, i, o) {
		char *cells[ncols];

		for (unsigned c = 0; c < ncols; c++)
			cells[c] = cols[c].fmt == CTL_FMT_SECONDS ? ctl_fmt_seconds(o, cols[c].key) :
				   cols[c].fmt == CTL_FMT_AGE ? ctl_fmt_age(o, cols[c].key) :
				   ctl_fmt_value(json_object_get(o, cols[c].key));
		ctl_table_add(&t, cells);
	}
	print_table(&t, 0);
	ctl_table_free(&t);
}
