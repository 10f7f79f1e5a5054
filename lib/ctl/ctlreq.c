/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-socket request parsing: one line of JSON -> method, path, query, body. */
#include <stdio.h>
#include <string.h>

#include "lib/ctl/ctlreq.h"

static int bad(char *err, size_t errlen, int status, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return status;
}

static int parse_query(char *qs, struct ctlreq *r, char *err, size_t errlen)
{
	char *save = NULL;

	for (char *kv = strtok_r(qs, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		const char *val = eq ? eq + 1 : "";

		if (eq)
			*eq = 0;
		if (r->nq == CTL_QUERY_MAX)
			return bad(err, errlen, 400, "too many query parameters");
		if (!kv[0] || strlen(kv) >= sizeof(r->q[0].key) || strlen(val) >= sizeof(r->q[0].val))
			return bad(err, errlen, 400, "bad query parameter");
		strcpy(r->q[r->nq].key, kv);
		strcpy(r->q[r->nq].val, val);
		r->nq++;
	}
	return 0;
}

int ctlreq_parse(const char *line, size_t len, struct ctlreq *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v;
	const char *key, *m, *p;
	char buf[CTL_PATH_MAX];
	char *qm;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (len > CTL_LINE_MAX)
		return bad(err, errlen, 413, "request too long");
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "request is not valid JSON: %s", je.text);
		return 400;
	}
	if (!json_is_object(root)) {
		rc = bad(err, errlen, 400, "request must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "method") && strcmp(key, "path") && strcmp(key, "body")) {
			snprintf(err, errlen, "unknown request member '%.40s'", key);
			rc = 400;
			goto out;
		}
	}
	m = json_string_value(json_object_get(root, "method"));
	p = json_string_value(json_object_get(root, "path"));
	if (!m || !p) {
		rc = bad(err, errlen, 400, "request needs string members 'method' and 'path'");
		goto out;
	}
	if (!strcmp(m, "GET"))
		r->method = CTL_GET;
	else if (!strcmp(m, "POST"))
		r->method = CTL_POST;
	else if (!strcmp(m, "DELETE"))
		r->method = CTL_DELETE;
	else {
		rc = bad(err, errlen, 405, "method must be GET, POST or DELETE");
		goto out;
	}
	if (p[0] != '/' || strlen(p) >= sizeof(buf) || strlen(p) != json_string_length(json_object_get(root, "path"))) {
		rc = bad(err, errlen, 400, "path must start with '/' and be shorter than 128 bytes");
		goto out;
	}
	strcpy(buf, p);
	qm = strchr(buf, '?');
	if (qm) {
		*qm = 0;
		rc = parse_query(qm + 1, r, err, errlen);
		if (rc)
			goto out;
	}
	strcpy(r->path, buf);
	r->body = json_incref(json_object_get(root, "body"));
out:
	json_decref(root);
	if (rc)
		memset(r, 0, sizeof(*r));
	return rc;
}

void ctlreq_free(struct ctlreq *r)
{
	json_decref(r->body);
	r->body = NULL;
}

const char *ctlreq_query(const struct ctlreq *r, const char *key)
{
	for (unsigned i = 0; i < r->nq; i++)
		if (!strcmp(r->q[i].key, key))
			return r->q[i].val;
	return NULL;
}

int ctlreq_query_bool(const struct ctlreq *r, const char *key, int dflt)
{
	const char *v = ctlreq_query(r, key);

	if (!v)
		return dflt;
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !v[0])
		return 1;
	if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		return 0;
	return -1;
}

const char *ctlreq_method_name(int method)
{
	return method == CTL_GET ? "GET" : method == CTL_POST ? "POST" :
	       method == CTL_DELETE ? "DELETE" : "?";
}
