/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: command-line client of dmvpnd's control socket (one JSON line each way). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/ctl/ctl_paths.h"

#define CTL_DEFAULT_SOCKET "/run/dmvpn/dmvpnd.sock"
#define CTL_TIMEOUT_MS 10000
/* `show dmvpn detail` at the daemon's largest peer table (131072) is about 30 MiB;
 * the cap only stops a runaway peer from eating memory. */
#define CTL_RESPONSE_MAX ((size_t)64 << 20)
#define CTL_MAX_WORDS 4

enum { CTL_EXIT_OK = 0, CTL_EXIT_FAIL = 1, CTL_EXIT_USAGE = 2 };

/* Codes of failures that have no errno of their own, kept apart from errno values. */
enum { CTL_ERR_NODATA = 100000, CTL_ERR_TRUNCATED, CTL_ERR_TOOBIG };

typedef void (*ctl_printer)(const json_t *body);

static void print_dmvpn(const json_t *body);
static void print_dmvpn_detail(const json_t *body);
static void print_nhrp_cache(const json_t *body);
static void print_interfaces(const json_t *body);
static void print_routes(const json_t *body);
static void print_neighbors(const json_t *body);
static void print_counters(const json_t *body);
static void print_cleared(const json_t *body);
static void print_reloaded(const json_t *body);
static void print_body(const json_t *body);
static void print_ipsec_sa(const json_t *body);
static void print_ike_sa(const json_t *body);
static void print_terminated(const json_t *body);
static void print_nhs(const json_t *body);
static void print_shortcuts(const json_t *body);
static void print_resolutions(const json_t *body);

/* The requests dmvpnd answers (lib/ctl/ctl_paths.h), as they go on the wire. */
static const char *const ctl_api_method[CTL_API_N] = {
#define X(name, method, path) [CTL_API_##name] = #method,
	CTL_API_PATHS(X)
#undef X
};
static const char *const ctl_api_path[CTL_API_N] = {
#define X(name, method, path) [CTL_API_##name] = path,
	CTL_API_PATHS(X)
#undef X
};

/* Entries without help are aliases, kept out of the usage text's main list. */
static const struct ctl_cmd {
	const char *kw[CTL_MAX_WORDS];
	enum ctl_api api;
	const char *query;     /* "" or "?k=v"; a %s takes the command's argument */
	ctl_printer print;
	const char *help;
} ctl_cmds[] = {
	{{"show", "dmvpn"}, CTL_API_DMVPN, "", print_dmvpn, "DMVPN peers per tunnel"},
	{{"show", "dmvpn", "detail"}, CTL_API_DMVPN, "?detail=true", print_dmvpn_detail,
	 "the same with tunnel settings, NHRP type and expiry"},
	{{"show", "nhrp", "cache"}, CTL_API_NHRP_CACHE, "", print_nhrp_cache, "NHRP cache"},
	{{"show", "nhrp", "nhs"}, CTL_API_NHRP_NHS, "", print_nhs, "next-hop servers"},
	{{"show", "nhrp", "shortcut"}, CTL_API_NHRP_SHORTCUT, "", print_shortcuts, "NHRP shortcuts"},
	{{"show", "nhrp", "resolution"}, CTL_API_NHRP_RESOLUTION, "", print_resolutions,
	 "outstanding NHRP resolution requests"},
	{{"show", "ike", "sa"}, CTL_API_IKE_SA, "", print_ike_sa, "IKEv2 security associations"},
	{{"clear", "ike", "sa"}, CTL_API_IKE_SA_DELETE, "?peer=%s", print_terminated,
	 "delete the IKE SA with a peer (NBMA address)"},
	{{"show", "ipsec", "sa"}, CTL_API_IPSEC_SA, "", print_ipsec_sa, "ESP security associations"},
	{{"show", "interfaces"}, CTL_API_INTERFACES, "", print_interfaces, "ports and tunnels"},
	{{"show", "routes"}, CTL_API_ROUTES, "", print_routes, "routing table (show ip route)"},
	{{"show", "ip", "route"}, CTL_API_ROUTES, "", print_routes, NULL},
	{{"show", "arp"}, CTL_API_NEIGHBORS, "", print_neighbors, "ARP table (show neighbors)"},
	{{"show", "neighbors"}, CTL_API_NEIGHBORS, "", print_neighbors, NULL},
	{{"show", "counters"}, CTL_API_COUNTERS, "", print_counters, "packet and drop counters"},
	{{"clear", "nhrp", "cache"}, CTL_API_NHRP_CACHE_CLEAR, "", print_cleared,
	 "remove dynamic NHRP entries (static maps stay)"},
	{{"reload"}, CTL_API_RELOAD, "", print_reloaded, "re-read the configuration file"},
};

__attribute__((format(printf, 1, 2)))
static void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("dmvpnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A CLI has nothing better to do on allocation failure than to stop. */
static void *ctl_check_alloc(void *p)
{
	if (!p) {
		ctl_warn("out of memory");
		exit(CTL_EXIT_FAIL);
	}
	return p;
}

__attribute__((format(printf, 1, 2)))
static char *ctl_format(const char *fmt, ...)
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

static void ctl_usage(FILE *f)
{
	fputs("usage: dmvpnctl [-s SOCKET] COMMAND... [--json]\n"
	      "\n"
	      "Queries dmvpnd through its control socket (default " CTL_DEFAULT_SOCKET ").\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		char words[64] = "";

		if (!c->help)
			continue;
		for (int k = 0; k < CTL_MAX_WORDS && c->kw[k]; k++) {
			if (k)
				strcat(words, " ");
			strcat(words, c->kw[k]);
		}
		fprintf(f, "  %-24s %s\n", words, c->help);
	}
	fputs("  raw METHOD PATH [BODY]   send one request, e.g. raw GET /v1/routes\n"
	      "\n"
	      "Options:\n"
	      "  -s, --socket SOCKET      control socket to use\n"
	      "  --json                   print the daemon's JSON response unchanged\n"
	      "  -h, --help               show this help\n"
	      "\n"
	      "Keywords may be abbreviated while unambiguous (sh nhrp ca).\n"
	      "Exit status: 0 done, 1 the daemon refused or could not be reached, 2 bad usage.\n",
	      f);
}

/* Never returns: a usage error is reported on stderr with the whole usage text. */
static void ctl_usage_error(char *msg)
{
	if (msg)
		ctl_warn("%s", msg);
	free(msg);
	ctl_usage(stderr);
	exit(CTL_EXIT_USAGE);
}

/*
 * Command lookup. Every word must be a prefix of the command's keyword, as on IOS;
 * an exact match wins over abbreviations, and candidates that are aliases of one
 * request do not make a command ambiguous.
 */
static const struct ctl_cmd *ctl_lookup(int n, char **w, bool *ambiguous)
{
	const struct ctl_cmd *found = NULL;

	*ambiguous = false;
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		bool exact = true;
		int k;

		for (k = 0; k < n && k < CTL_MAX_WORDS && c->kw[k]; k++) {
			size_t len = strlen(w[k]);

			if (!len || strncmp(c->kw[k], w[k], len))
				break;
			exact = exact && !c->kw[k][len];
		}
		if (k != n || (k < CTL_MAX_WORDS && c->kw[k]))
			continue;
		if (exact)
			return c;
		if (found && (found->api != c->api || strcmp(found->query, c->query)))
			*ambiguous = true;
		found = found ? found : c;
	}
	return *ambiguous ? NULL : found;
}

static int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One deadline covers the whole exchange, so a daemon that trickles bytes still
 * cannot hold the client longer than the timeout. Returns 0 or -errno. */
static int ctl_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - ctl_now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0; /* errors and hang-ups show in the next send or recv */
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Returns a connected, non-blocking socket, or -errno. */
static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_TIMEOUT_MS / 1000};
	size_t len = strlen(path);
	int fd, err;

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Linux bounds a connect() that waits on a full backlog by the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN ? ETIMEDOUT : errno;
		close(fd);
		return -err;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int ctl_send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int err;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = ctl_wait(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Reads up to the first newline, however the stream splits it. On success *line
 * is the NUL-terminated line without its newline. Returns 0, -errno or -CTL_ERR_*.
 */
static int ctl_recv_line(int fd, int64_t deadline, char **line, size_t *line_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL;
	int err = 0;

	while (!nl) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;

			if (ncap > CTL_RESPONSE_MAX)
				ncap = CTL_RESPONSE_MAX;
			if (ncap == cap) {
				err = -CTL_ERR_TOOBIG;
				break;
			}
			buf = ctl_check_alloc(realloc(buf, ncap + 1));
			cap = ncap;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n > 0) {
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			err = len ? -CTL_ERR_TRUNCATED : -CTL_ERR_NODATA;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			err = -errno;
			break;
		}
		err = ctl_wait(fd, POLLIN, deadline);
		if (err)
			break;
	}
	if (err) {
		free(buf);
		return err;
	}
	*nl = '\0';
	*line = buf;
	*line_len = (size_t)(nl - buf);
	return 0;
}

/* One request, one response line; reports its own failures. Returns 0 or -1. */
static int ctl_request(const char *sock, const char *req, char **line, size_t *len)
{
	int64_t deadline = ctl_now_ms() + CTL_TIMEOUT_MS;
	int fd = ctl_connect(sock), err;

	if (fd < 0) {
		ctl_warn("cannot connect to %s: %s", sock, strerror(-fd));
		return -1;
	}
	err = ctl_send_all(fd, req, strlen(req), deadline);
	if (err) {
		ctl_warn("cannot send to %s: %s", sock, strerror(-err));
		close(fd);
		return -1;
	}
	err = ctl_recv_line(fd, deadline, line, len);
	close(fd);
	switch (-err) {
	case 0:
		return 0;
	case CTL_ERR_NODATA:
		ctl_warn("%s closed the connection without a response", sock);
		break;
	case CTL_ERR_TRUNCATED:
		ctl_warn("%s closed the connection in the middle of a response", sock);
		break;
	case CTL_ERR_TOOBIG:
		ctl_warn("response from %s is larger than %zu MiB", sock, CTL_RESPONSE_MAX >> 20);
		break;
	default:
		ctl_warn("no response from %s: %s", sock, strerror(-err));
		break;
	}
	return -1;
}

static char *ctl_build_request(const char *method, const char *path, json_t *body)
{
	json_t *req = json_pack("{s:s,s:s}", "method", method, "path", path);
	char *s, *line;

	ctl_check_alloc(req);
	if (body)
		json_object_set(req, "body", body);
	/* Compact output never holds a raw newline, which would end the request early. */
	s = ctl_check_alloc(json_dumps(req, JSON_COMPACT));
	json_decref(req);
	line = ctl_format("%s\n", s);
	free(s);
	return line;
}

/* ---- value formatting ---- */

/* Cells must not carry control characters: they would break the layout or reach the
 * terminal as escape sequences from names the daemon merely passes on. */
static char *ctl_sanitize(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

/* Any JSON value as one table cell (malloc'd); absent and null show as "-". */
static char *ctl_fmt_value(const json_t *v)
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
static char *ctl_fmt_duration(long long s)
{
	if (s < 0)
		s = 0;
	if (s < 86400)
		return ctl_format("%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	return ctl_format("%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static const char *ctl_get_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static bool ctl_get_int(const json_t *o, const char *key, long long *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

/* Seconds value as a duration cell; "-" when absent. */
static char *ctl_fmt_seconds(const json_t *o, const char *key)
{
	long long s;

	return ctl_get_int(o, key, &s) ? ctl_fmt_duration(s) : ctl_format("-");
}

/* ---- tables ---- */

/* How print_rows makes a cell from a row object's key. */
enum ctl_fmt { CTL_FMT_VALUE = 0, CTL_FMT_SECONDS, CTL_FMT_AGE };

struct ctl_col {
	const char *head;
	bool right;
	unsigned min; /* least width, so columns of addresses line up from one run to the next */
	const char *key;  /* print_rows: the row's field shown here */
	enum ctl_fmt fmt;
};

struct ctl_table {
	unsigned ncols;
	const struct ctl_col *cols; /* not owned */
	size_t nrows, cap;
	char **cells;               /* nrows * ncols, owned */
};

static void ctl_table_init(struct ctl_table *t, const struct ctl_col *cols, unsigned ncols)
{
	*t = (struct ctl_table){.ncols = ncols, .cols = cols};
}

/* Appends one row; takes ownership of the ncols cells. */
static void ctl_table_add(struct ctl_table *t, char **cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = ctl_check_alloc(realloc(t->cells, t->cap * t->ncols * sizeof(char *)));
	}
	memcpy(&t->cells[t->nrows++ * t->ncols], cells, t->ncols * sizeof(char *));
}

static void ctl_table_free(struct ctl_table *t)
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
static void print_table(const struct ctl_table *t, int indent)
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

static void print_value(const json_t *v, int indent);

static bool ctl_all_objects(const json_t *arr)
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

static bool ctl_is_scalar(const json_t *v)
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

static void print_value(const json_t *v, int indent)
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

static void print_body(const json_t *body)
{
	print_value(body, 0);
}

/* The shape the table printers expect; anything else goes to the generic printer. */
static bool ctl_is_rows(const json_t *body)
{
	return json_is_array(body) && json_array_size(body) && ctl_all_objects(body);
}

/* ---- show dmvpn ---- */

/* Orders addresses numerically, IPv4 before IPv6; text that is no address goes last. */
static int ctl_addr_cmp(const char *a, const char *b)
{
	unsigned char xa[17] = {0}, xb[17] = {0};
	bool pa, pb;

	pa = inet_pton(AF_INET, a, xa + 1) == 1 || (xa[0] = 1, inet_pton(AF_INET6, a, xa + 1) == 1);
	pb = inet_pton(AF_INET, b, xb + 1) == 1 || (xb[0] = 1, inet_pton(AF_INET6, b, xb + 1) == 1);
	if (pa != pb)
		return pa ? -1 : 1;
	if (!pa)
		return strcmp(a, b);
	return memcmp(xa, xb, sizeof(xa));
}

static int ctl_peer_cmp(const void *x, const void *y)
{
	const json_t *a = *(const json_t *const *)x, *b = *(const json_t *const *)y;
	int r = ctl_addr_cmp(ctl_get_str(a, "nbma", ""), ctl_get_str(b, "nbma", ""));

	return r ? r : ctl_addr_cmp(ctl_get_str(a, "tunnel", ""), ctl_get_str(b, "tunnel", ""));
}

static const struct ctl_col dmvpn_cols[] = {
	{"# Ent", true, 0}, {"Peer NBMA Addr", false, 15}, {"Peer Tunnel Add", false, 15},
	{"State", false, 0}, {"UpDn Tm", false, 0}, {"Attrb", false, 0},
	/* detail only */
	{"Target Network", false, 0}, {"Type", false, 0}, {"Claimed NBMA", false, 0}, {"Expires", false, 0},
	{"IKE", false, 0},
};

/* A peer's protection in show dmvpn detail: "-" when IKE does not key it. */
static char *ctl_fmt_ike(const json_t *peer)
{
	const json_t *ike = json_object_get(peer, "ike"), *sa = json_object_get(ike, "sa");
	const json_t *c = json_object_get(sa, "child");

	if (!json_is_object(ike))
		return ctl_format("-");
	if (!json_is_object(sa))
		return ctl_format("%s", ctl_get_str(ike, "peer_state", "?"));
	return ctl_format("%s %s%s", ctl_get_str(sa, "state", "?"),
			  json_is_object(c) ? ctl_get_str(c, "proposal", "") : "no CHILD_SA",
			  json_is_object(c) && !strcmp(ctl_get_str(c, "encapsulation", ""), "udp") ?
			  " UDP" : "");
}

/*
 * Peers sorted by NBMA address; as on IOS, the first row of an NBMA address counts
 * its entries and the rows after it leave "# Ent" and the NBMA address blank.
 */
static void print_dmvpn_peers(const json_t *peers, bool detail)
{
	size_t n = json_array_size(peers), i, j;
	const json_t **p = ctl_check_alloc(calloc(n ? n : 1, sizeof(*p)));
	unsigned ncols = detail ? 11 : 6;
	struct ctl_table t;

	for (i = 0; i < n; i++)
		p[i] = json_array_get(peers, i);
	qsort(p, n, sizeof(*p), ctl_peer_cmp);
	ctl_table_init(&t, dmvpn_cols, ncols);
	for (i = 0; i < n; i = j) {
		const char *nbma = ctl_get_str(p[i], "nbma", "-");

		for (j = i + 1; j < n && !strcmp(ctl_get_str(p[j], "nbma", "-"), nbma); j++)
			;
		for (size_t k = i; k < j; k++) {
			char *cells[11];
			const json_t *exp = json_object_get(p[k], "expires_in");

			cells[0] = k == i ? ctl_format("%zu", j - i) : ctl_format("%s", "");
			cells[1] = k == i ? ctl_fmt_value(json_object_get(p[k], "nbma")) : ctl_format("%s", "");
			cells[2] = ctl_fmt_value(json_object_get(p[k], "tunnel"));
			cells[3] = ctl_fmt_value(json_object_get(p[k], "state"));
			cells[4] = ctl_fmt_seconds(p[k], "updown_s");
			cells[5] = ctl_fmt_value(json_object_get(p[k], "attributes"));
			if (detail) {
				cells[6] = ctl_fmt_value(json_object_get(p[k], "protocol"));
				cells[7] = ctl_fmt_value(json_object_get(p[k], "type"));
				cells[8] = ctl_fmt_value(json_object_get(p[k], "claimed_nbma"));
				cells[9] = json_is_null(exp) ? ctl_format("never")
							     : ctl_fmt_seconds(p[k], "expires_in");
				cells[10] = ctl_fmt_ike(p[k]);
			}
			ctl_table_add(&t, cells);
		}
	}
	print_table(&t, 1);
	ctl_table_free(&t);
	free(p);
}

static void print_dmvpn_tunnel(const json_t *tun, bool detail)
{
	const json_t *peers = json_object_get(tun, "peers");
	long long v;
	char *nid = ctl_fmt_value(json_object_get(tun, "nhrp_network_id"));
	char *addr = ctl_fmt_value(json_object_get(tun, "address"));
	char *name = ctl_fmt_value(json_object_get(tun, "interface"));

	printf("Interface: %s, IPv4 NHRP Details\n", name);
	printf("NHRP network-id %s, tunnel address %s, peers %lld\n", nid, addr,
	       ctl_get_int(tun, "peer_count", &v) ? v : (long long)json_array_size(peers));
	if (detail) {
		const json_t *key = json_object_get(tun, "key");
		char *src = ctl_fmt_value(json_object_get(tun, "source"));
		char *k = json_is_integer(key) ? ctl_fmt_value(key) : ctl_format("none");
		char *mtu = ctl_fmt_value(json_object_get(tun, "mtu"));
		char *hold = ctl_fmt_value(json_object_get(tun, "nhrp_holdtime"));

		printf("Source %s, GRE key %s, MTU %s, NHRP holdtime %s s\n", src, k, mtu, hold);
		free(src);
		free(k);
		free(mtu);
		free(hold);
	}
	free(nid);
	free(addr);
	free(name);
	if (json_is_array(peers) && json_array_size(peers)) {
		putchar('\n');
		if (ctl_all_objects(peers))
			print_dmvpn_peers(peers, detail);
		else
			print_value(peers, 1);
	}
}

static void print_dmvpn_common(const json_t *body, bool detail)
{
	size_t i;
	const json_t *tun;

	if (!ctl_is_rows(body)) {
		print_body(body);
		return;
	}
	puts("Legend: Attrb --> S - Static, D - Dynamic, I - Incomplete, N - NATed, L - Local, "
	     "X - No Socket, T1 - Route Installed, T2 - Nexthop-override");
	json_array_foreach(body, i, tun) {
		putchar('\n');
		print_dmvpn_tunnel(tun, detail);
	}
}

static void print_dmvpn(const json_t *body)
{
	print_dmvpn_common(body, false);
}

static void print_dmvpn_detail(const json_t *body)
{
	print_dmvpn_common(body, true);
}

/* ---- show nhrp cache ---- */

static bool ctl_is_one_of(const char *key, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(key, *set))
			return true;
	return false;
}

/* Prints and frees one built line; built lines carry daemon strings, hence the sanitizing. */
static void print_line(char *line)
{
	puts(ctl_sanitize(line));
	free(line);
}

/* Flags as IOS lists them: words separated by blanks. */
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

static void print_nhrp_cache(const json_t *body)
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

/* ---- show ipsec sa ---- */

static long long ctl_sub_int(const json_t *o, const char *obj, const char *key)
{
	long long v = 0;

	ctl_get_int(json_object_get(o, obj), key, &v);
	return v;
}

/* One block per peer, in the spirit of swanctl --list-sas. */
static void print_ipsec_sa(const json_t *body)
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
static void print_ike_sa(const json_t *body)
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

static void print_terminated(const json_t *body)
{
	long long n;

	if (!ctl_get_int(body, "terminated", &n)) {
		print_body(body);
		return;
	}
	printf("%lld IKE SA%s deleted\n", n, n == 1 ? "" : "s");
}

/* ---- show interfaces ---- */

static void print_interfaces(const json_t *body)
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

static void print_routes(const json_t *body)
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

static void print_neighbors(const json_t *body)
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

/* Age of an epoch timestamp member as a duration cell. */
static char *ctl_fmt_age(const json_t *o, const char *key)
{
	long long t;

	return ctl_get_int(o, key, &t) ? ctl_fmt_duration(time(NULL) - t) : ctl_format("-");
}

/* A table with one row per object of body, each column one field (cols[].key,
 * cols[].fmt); anything but a non-empty array is printed as it is. */
static void print_rows(const json_t *body, const struct ctl_col *cols, unsigned ncols)
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

static void print_nhs(const json_t *body)
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

static void print_shortcuts(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Interface", false, 0, "interface"}, {"Prefix", false, 18, "prefix"},
		{"Via", false, 15, "nexthop"}, {"NBMA", false, 15, "nbma"},
		{"Age", false, 0, "created", CTL_FMT_AGE},
		{"Expires", false, 0, "expires_in", CTL_FMT_SECONDS},
	};

	print_rows(body, cols, sizeof(cols) / sizeof(cols[0]));
}

static void print_resolutions(const json_t *body)
{
	static const struct ctl_col cols[] = {
		{"Interface", false, 0, "interface"}, {"Target", false, 15, "target"},
		{"Request ID", true, 0, "request_id"}, {"Tries", true, 0, "tries"},
		{"Shortcut", false, 0, "shortcut"},
	};

	print_rows(body, cols, sizeof(cols) / sizeof(cols[0]));
}

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

static void print_counters(const json_t *body)
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

/* ---- clear, reload ---- */

static void print_cleared(const json_t *body)
{
	long long n;

	if (!ctl_get_int(body, "cleared", &n)) {
		print_body(body);
		return;
	}
	printf("cleared %lld %s\n", n, n == 1 ? "entry" : "entries");
}

static void print_reloaded(const json_t *body)
{
	const char *file = ctl_get_str(body, "file", NULL);

	if (!file) {
		print_body(body);
		return;
	}
	printf("configuration reloaded from %s\n", file);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	const char *sock = CTL_DEFAULT_SOCKET, *method, *path, *arg = NULL;
	char *path_buf = NULL;
	bool json = false, help = false, opts_done = false, ambiguous;
	char **words = calloc((size_t)argc + 1, sizeof(*words));
	const struct ctl_cmd *cmd = NULL;
	ctl_printer print = print_body;
	json_t *body = NULL, *resp, *status;
	json_error_t jerr;
	char *req, *line;
	size_t len;
	int nwords = 0, rc;

	ctl_check_alloc(words);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			words[nwords++] = argv[i];
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = true;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--socket")) {
			if (++i == argc)
				ctl_usage_error(ctl_format("option %s needs a socket path", a));
			sock = argv[i];
		} else if (!strncmp(a, "--socket=", 9)) {
			sock = a + 9;
		} else if (!strncmp(a, "-s", 2)) {
			sock = a + 2;
		} else {
			ctl_usage_error(ctl_format("unknown option %s", a));
		}
	}
	if (help) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (!nwords)
		ctl_usage_error(NULL);

	if (!strcmp(words[0], "raw")) {
		if (nwords < 3 || nwords > 4)
			ctl_usage_error(ctl_format("raw needs METHOD PATH [BODY]"));
		method = words[1];
		path = words[2];
		/* a request a command also makes gets that command's plain output */
		for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
			const struct ctl_cmd *c = &ctl_cmds[i];
			size_t plen = strlen(ctl_api_path[c->api]);

			if (!strcmp(ctl_api_method[c->api], method) &&
			    !strncmp(ctl_api_path[c->api], path, plen) && !strcmp(path + plen, c->query)) {
				print = c->print;
				break;
			}
		}
		if (nwords == 4) {
			body = json_loads(words[3], JSON_DECODE_ANY, &jerr);
			if (!body)
				ctl_usage_error(ctl_format("BODY is not JSON: %s", jerr.text));
		}
	} else {
		cmd = ctl_lookup(nwords, words, &ambiguous);
		/* A command whose path has a %s takes one argument after its words. */
		if (!cmd && !ambiguous && nwords > 1) {
			cmd = ctl_lookup(nwords - 1, words, &ambiguous);
			if (cmd && !strstr(cmd->query, "%s"))
				cmd = NULL;
			if (cmd)
				arg = words[--nwords];
		}
		if (cmd && strstr(cmd->query, "%s") && !arg)
			ctl_usage_error(ctl_format("%s %s %s needs an argument", cmd->kw[0], cmd->kw[1],
						   cmd->kw[2] ? cmd->kw[2] : ""));
		if (!cmd) {
			char *s = ctl_format("%s", words[0]);

			for (int i = 1; i < nwords; i++) {
				char *t = ctl_format("%s %s", s, words[i]);

				free(s);
				s = t;
			}
			ctl_usage_error(ctl_format("%s command: %s", ambiguous ? "ambiguous" : "unknown", s));
		}
		method = ctl_api_method[cmd->api];
		path_buf = ctl_format("%s%s", ctl_api_path[cmd->api], cmd->query);
		if (arg) {
			char *t = ctl_format(path_buf, arg);

			free(path_buf);
			path_buf = t;
		}
		path = path_buf;
		print = cmd->print;
	}

	req = ctl_build_request(method, path, body);
	json_decref(body);
	free(words);
	free(path_buf);
	rc = ctl_request(sock, req, &line, &len);
	free(req);
	if (rc)
		return CTL_EXIT_FAIL;

	if (json) {
		/* Unchanged, so scripts see exactly what the daemon said. */
		fwrite(line, 1, len, stdout);
		putchar('\n');
	}
	resp = json_loadb(line, len, 0, &jerr);
	status = json_object_get(resp, "status");
	if (!json_is_integer(status)) {
		ctl_warn("malformed response from %s: %s", sock,
			 resp ? "no integer \"status\"" : jerr.text);
		rc = CTL_EXIT_FAIL;
	} else if (json_integer_value(status) >= 400) {
		if (!json)
			ctl_warn("%s (status %" JSON_INTEGER_FORMAT ")",
				 ctl_get_str(resp, "error", "request failed"),
				 json_integer_value(status));
		rc = CTL_EXIT_FAIL;
	} else {
		if (!json)
			print(json_object_get(resp, "body"));
		rc = CTL_EXIT_OK;
	}
	json_decref(resp);
	free(line);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) || ferror(stdout)) {
		ctl_warn("cannot write output: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return rc;
}
