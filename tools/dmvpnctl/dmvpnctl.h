/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl's parts: the client (client.c), the renderer (render.c), the printers (print_*.c), main.c. */
#ifndef DMVPN_TOOLS_DMVPNCTL_H
#define DMVPN_TOOLS_DMVPNCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

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

/* client.c */
int ctl_request(const char *sock, const char *req, char **line, size_t *len);
char *ctl_build_request(const char *method, const char *path, json_t *body);

/* render.c */
__attribute__((format(printf, 1, 2))) void ctl_warn(const char *fmt, ...);
/* p, or exit on allocation failure. */
void *ctl_check_alloc(void *p);
__attribute__((format(printf, 1, 2))) char *ctl_format(const char *fmt, ...);
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

char *ctl_sanitize(char *s);
char *ctl_fmt_value(const json_t *v);
char *ctl_fmt_duration(long long s);
const char *ctl_get_str(const json_t *o, const char *key, const char *dflt);
bool ctl_get_int(const json_t *o, const char *key, long long *out);
char *ctl_fmt_seconds(const json_t *o, const char *key);
void ctl_table_init(struct ctl_table *t, const struct ctl_col *cols, unsigned ncols);
void ctl_table_add(struct ctl_table *t, char **cells);
void ctl_table_free(struct ctl_table *t);
void print_table(const struct ctl_table *t, int indent);
bool ctl_all_objects(const json_t *arr);
bool ctl_is_scalar(const json_t *v);
void print_value(const json_t *v, int indent);
void print_body(const json_t *body);
bool ctl_is_rows(const json_t *body);
bool ctl_is_one_of(const char *key, const char *const *set);
void print_line(char *line);
long long ctl_sub_int(const json_t *o, const char *obj, const char *key);
char *ctl_fmt_age(const json_t *o, const char *key);
void print_rows(const json_t *body, const struct ctl_col *cols, unsigned ncols);

/* The printers: one per command, of the response's body. */
/* print_dmvpn.c */
void print_dmvpn(const json_t *body);
void print_dmvpn_detail(const json_t *body);
/* print_nhrp.c */
void print_nhrp_cache(const json_t *body);
void print_nhs(const json_t *body);
void print_shortcuts(const json_t *body);
void print_resolutions(const json_t *body);
/* print_sa.c */
void print_ipsec_sa(const json_t *body);
void print_ike_sa(const json_t *body);
void print_terminated(const json_t *body);
/* print_routing.c */
void print_interfaces(const json_t *body);
void print_routes(const json_t *body);
void print_neighbors(const json_t *body);
/* print_counters.c */
void print_counters(const json_t *body);
/* main.c */
void print_cleared(const json_t *body);
void print_reloaded(const json_t *body);

#endif
