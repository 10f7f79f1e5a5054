/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-socket request parsing: one line of JSON -> method, path, query, body. */
#ifndef DMVPN_LIB_CTLREQ_H
#define DMVPN_LIB_CTLREQ_H

#include <stddef.h>
#include <jansson.h>

#define CTL_PATH_MAX 128
#define CTL_QUERY_MAX 8
#define CTL_LINE_MAX 65536

enum ctl_method { CTL_GET = 1, CTL_POST, CTL_DELETE };

struct ctlreq {
	int method;
	char path[CTL_PATH_MAX];         /* without the query string */
	unsigned nq;
	struct {
		char key[32];
		char val[64];
	} q[CTL_QUERY_MAX];
	json_t *body;                    /* owned; NULL when absent */
};

/*
 * Parse one request: {"method":"GET","path":"/v1/x?k=v","body":...}.
 * Returns 0, or an HTTP-like status (400, 405, 413) with a message in err;
 * on error nothing needs freeing. Pure; safe on any bytes.
 */
int ctlreq_parse(const char *line, size_t len, struct ctlreq *r, char *err, size_t errlen);
void ctlreq_free(struct ctlreq *r);
/* Value of a query parameter, or NULL. */
const char *ctlreq_query(const struct ctlreq *r, const char *key);
/* Boolean query parameter: 1/true/yes -> 1, 0/false/no -> 0, absent -> dflt,
 * anything else -> -1. */
int ctlreq_query_bool(const struct ctlreq *r, const char *key, int dflt);
const char *ctlreq_method_name(int method);

#endif
