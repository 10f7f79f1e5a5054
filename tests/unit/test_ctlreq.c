/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/ctl/ctlreq: control-socket request lines -> method, path, query, body, status. */
#include "lib/ctl/ctlreq.h"
#include "check.h"

#define Q8 "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8"
#define S31 "0123456789abcdef0123456789abcde"
#define S63 S31 "0123456789abcdef0123456789abcdef"
/* 127 bytes of path: "/" and 126 more */
#define P127 "/" S63 S63

static void test_table(void)
{
	static const struct {
		const char *line;
		int status;
		const char *err;        /* exact, or prefix when it ends in '*' */
		int method;
		const char *path;
		unsigned nq;
		const char *k0, *v0;    /* first query parameter */
		int body;               /* json type of the body, -1 = none */
	} t[] = {
		{"{\"method\":\"GET\",\"path\":\"/v1/nhrp/cache\"}", 0, NULL, CTL_GET,
		 "/v1/nhrp/cache", 0, NULL, NULL, -1},
		{"{\"path\":\"/\",\"method\":\"GET\"}", 0, NULL, CTL_GET, "/", 0, NULL, NULL, -1},
		{"  {\"method\":\"GET\",\"path\":\"/x\"}\r\n", 0, NULL, CTL_GET, "/x", 0, NULL, NULL, -1},
		{"{\"method\":\"POST\",\"path\":\"/v1/reload\",\"body\":{\"x\":1}}", 0, NULL, CTL_POST,
		 "/v1/reload", 0, NULL, NULL, JSON_OBJECT},
		{"{\"method\":\"POST\",\"path\":\"/v1/x\",\"body\":[1,2]}", 0, NULL, CTL_POST, "/v1/x",
		 0, NULL, NULL, JSON_ARRAY},
		{"{\"method\":\"POST\",\"path\":\"/v1/x\",\"body\":null}", 0, NULL, CTL_POST, "/v1/x",
		 0, NULL, NULL, JSON_NULL},
		{"{\"method\":\"DELETE\",\"path\":\"/v1/nhrp/cache?proto=198.51.100.11&force\"}", 0, NULL,
		 CTL_DELETE, "/v1/nhrp/cache", 2, "proto", "198.51.100.11", -1},
		{"{\"method\":\"GET\",\"path\":\"/v1/x?\"}", 0, NULL, CTL_GET, "/v1/x", 0, NULL, NULL, -1},
		{"{\"method\":\"GET\",\"path\":\"/v1/x?&a=1&&b=2&\"}", 0, NULL, CTL_GET, "/v1/x", 2, "a",
		 "1", -1},
		{"{\"method\":\"GET\",\"path\":\"/v1/x?a=b=c\"}", 0, NULL, CTL_GET, "/v1/x", 1, "a", "b=c",
		 -1},
		{"{\"method\":\"GET\",\"path\":\"/?" Q8 "\"}", 0, NULL, CTL_GET, "/", 8, "a", "1", -1},
		{"{\"method\":\"GET\",\"path\":\"/?" S31 "=" S63 "\"}", 0, NULL, CTL_GET, "/", 1, S31, S63,
		 -1},
		{"{\"method\":\"GET\",\"path\":\"" P127 "\"}", 0, NULL, CTL_GET, P127, 0, NULL, NULL, -1},
		{"{\"method\":\"GET\",\"path\":\"/caf\\u00e9\"}", 0, NULL, CTL_GET, "/caf\xc3\xa9", 0, NULL,
		 NULL, -1},
		/* 400: not a request */
		{"", 400, "request is not valid JSON: *"},
		{"{", 400, "request is not valid JSON: *"},
		{"{\"method\":\"GET\",\"path\":\"/\"} x", 400, "request is not valid JSON: *"},
		{"\"GET\"", 400, "request is not valid JSON: *"},
		{"[]", 400, "request must be a JSON object"},
		{"[{\"method\":\"GET\",\"path\":\"/\"}]", 400, "request must be a JSON object"},
		{"{\"method\":\"GET\",\"method\":\"GET\",\"path\":\"/\"}", 400,
		 "request is not valid JSON: *"},
		{"{\"method\":\"GET\",\"path\":\"/a\\u0000b\"}", 400, "request is not valid JSON: *"},
		{"{\"method\":\"GET\",\"path\":\"/\",\"extra\":1}", 400, "unknown request member 'extra'"},
		{"{\"method\":\"GET\",\"path\":\"/\",\"" S63 "\":1}", 400,
		 "unknown request member '0123456789abcdef0123456789abcde012345678'"},
		{"{\"path\":\"/\"}", 400, "request needs string members 'method' and 'path'"},
		{"{\"method\":\"GET\"}", 400, "request needs string members 'method' and 'path'"},
		{"{}", 400, "request needs string members 'method' and 'path'"},
		{"{\"method\":1,\"path\":\"/\"}", 400, "request needs string members 'method' and 'path'"},
		{"{\"method\":\"GET\",\"path\":[\"/\"]}", 400,
		 "request needs string members 'method' and 'path'"},
		{"{\"method\":\"GET\",\"path\":\"v1/x\"}", 400,
		 "path must start with '/' and be shorter than 128 bytes"},
		{"{\"method\":\"GET\",\"path\":\"\"}", 400,
		 "path must start with '/' and be shorter than 128 bytes"},
		{"{\"method\":\"GET\",\"path\":\"" P127 "x\"}", 400,
		 "path must start with '/' and be shorter than 128 bytes"},
		{"{\"method\":\"GET\",\"path\":\"/?" Q8 "&i=9\"}", 400, "too many query parameters"},
		{"{\"method\":\"GET\",\"path\":\"/?" S31 "x=1\"}", 400, "bad query parameter"},
		{"{\"method\":\"GET\",\"path\":\"/?k=" S63 "x\"}", 400, "bad query parameter"},
		{"{\"method\":\"GET\",\"path\":\"/?=v\"}", 400, "bad query parameter"},
		/* 405 */
		{"{\"method\":\"get\",\"path\":\"/\"}", 405, "method must be GET, POST or DELETE"},
		{"{\"method\":\"PUT\",\"path\":\"/\"}", 405, "method must be GET, POST or DELETE"},
		{"{\"method\":\"\",\"path\":\"/\"}", 405, "method must be GET, POST or DELETE"},
		{"{\"method\":\"GET \",\"path\":\"/\"}", 405, "method must be GET, POST or DELETE"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = strlen(t[i].line);
		/* Not NUL-terminated: the parser must stop at len. */
		struct tbuf b = tbuf_guarded(t[i].line, len);
		struct ctlreq r;
		char err[256] = "";
		int rc;

		memset(&r, 0x5a, sizeof(r));
		rc = ctlreq_parse((const char *)b.p, len, &r, err, sizeof(err));
		tbuf_free(&b);
		CHECK_MSG(rc == t[i].status, "case %zu %s: status %d (%s)", i, t[i].line, rc, err);
		if (t[i].status) {
			const char *star = strchr(t[i].err, '*');
			size_t n = star ? (size_t)(star - t[i].err) : strlen(t[i].err) + 1;

			CHECK_MSG(!strncmp(err, t[i].err, n) && (!star || strlen(err) > n),
				  "case %zu: err '%s'", i, err);
			/* Nothing to free after an error. */
			CHECK_MSG(r.body == NULL && r.nq == 0 && r.method == 0, "case %zu: not reset", i);
			continue;
		}
		if (rc)
			continue;
		CHECK_MSG(r.method == t[i].method, "case %zu: method %d", i, r.method);
		CHECK_MSG(!strcmp(r.path, t[i].path), "case %zu: path '%s'", i, r.path);
		CHECK_MSG(r.nq == t[i].nq, "case %zu: nq %u", i, r.nq);
		if (t[i].k0)
			CHECK_MSG(r.nq && !strcmp(r.q[0].key, t[i].k0) && !strcmp(r.q[0].val, t[i].v0),
				  "case %zu: q[0] '%s'='%s'", i, r.q[0].key, r.q[0].val);
		if (t[i].body < 0) {
			CHECK_MSG(r.body == NULL, "case %zu: body", i);
		} else {
			CHECK_MSG(r.body && (int)json_typeof(r.body) == t[i].body, "case %zu: body type", i);
			/* The request owns the only reference left (json_null is static). */
			if (r.body && t[i].body != JSON_NULL)
				CHECK_MSG(r.body->refcount == 1, "case %zu: refcount %zu", i,
					  r.body->refcount);
		}
		ctlreq_free(&r);
		CHECK(r.body == NULL);
		ctlreq_free(&r);        /* idempotent */
	}
}

static void test_limits(void)
{
	static const char head[] = "{\"method\":\"GET\",\"path\":\"/v1/x\"}";
	char *line = malloc(CTL_LINE_MAX + 2);
	struct ctlreq r;
	char err[64];
	struct tbuf e;

	/* Exactly CTL_LINE_MAX bytes is fine (trailing whitespace), one more is 413. */
	memset(line, ' ', CTL_LINE_MAX + 2);
	memcpy(line, head, sizeof(head) - 1);
	CHECK_INT(ctlreq_parse(line, CTL_LINE_MAX, &r, err, sizeof(err)), 0);
	ctlreq_free(&r);
	CHECK_INT(ctlreq_parse(line, CTL_LINE_MAX + 1, &r, err, sizeof(err)), 413);
	CHECK_STR(err, "request too long");
	CHECK_INT(ctlreq_parse(line, (size_t)-1, &r, err, sizeof(err)), 413);
	free(line);

	/* Error text is cut to errlen, never written past it. */
	e = tbuf_guarded(NULL, 8);
	CHECK_INT(ctlreq_parse("{}", 2, &r, (char *)e.p, 8), 400);
	CHECK_STR((char *)e.p, "request");
	tbuf_free(&e);
	e = tbuf_guarded(NULL, 1);
	CHECK_INT(ctlreq_parse("x", 1, &r, (char *)e.p, 1), 400);
	CHECK_INT(e.p[0], 0);
	tbuf_free(&e);
	CHECK_INT(ctlreq_parse("[]", 2, &r, NULL, 0), 400);
}

static void test_query(void)
{
	static const struct {
		const char *key;
		int dflt, want;
	} t[] = {
		{"one", 0, 1}, {"true", 0, 1}, {"yes", 0, 1}, {"empty", 0, 1}, {"flag", 0, 1},
		{"zero", 1, 0}, {"false", 1, 0}, {"no", 1, 0},
		{"absent", 0, 0}, {"absent", 1, 1}, {"absent", -5, -5},
		{"upper", 0, -1}, {"two", 1, -1}, {"y", 0, -1},
	};
	static const char line[] = "{\"method\":\"GET\",\"path\":\"/v1/x?one=1&true=true&yes=yes"
				   "&empty=&flag&zero=0&false=false\"}";
	static const char line2[] = "{\"method\":\"GET\",\"path\":\"/v1/x?no=no&upper=TRUE&two=2"
				    "&y=y&dup=first&dup=second\"}";
	struct ctlreq r, r2;
	char err[128];

	CHECK_INT(ctlreq_parse(line, sizeof(line) - 1, &r, err, sizeof(err)), 0);
	CHECK_INT(ctlreq_parse(line2, sizeof(line2) - 1, &r2, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int v = ctlreq_query_bool(&r, t[i].key, t[i].dflt);

		if (ctlreq_query(&r, t[i].key) == NULL)
			v = ctlreq_query_bool(&r2, t[i].key, t[i].dflt);
		CHECK_MSG(v == t[i].want, "'%s' dflt %d: %d", t[i].key, t[i].dflt, v);
	}
	CHECK_STR(ctlreq_query(&r, "true"), "true");
	CHECK_STR(ctlreq_query(&r, "flag"), "");
	CHECK(ctlreq_query(&r, "nope") == NULL);
	CHECK(ctlreq_query(&r, "") == NULL);
	CHECK_STR(ctlreq_query(&r2, "dup"), "first");
	ctlreq_free(&r);
	ctlreq_free(&r2);
}

static void test_method_name(void)
{
	CHECK_STR(ctlreq_method_name(CTL_GET), "GET");
	CHECK_STR(ctlreq_method_name(CTL_POST), "POST");
	CHECK_STR(ctlreq_method_name(CTL_DELETE), "DELETE");
	CHECK_STR(ctlreq_method_name(0), "?");
	CHECK_STR(ctlreq_method_name(CTL_DELETE + 1), "?");
}

int main(void)
{
	test_table();
	test_limits();
	test_query();
	test_method_name();
	return check_done("test_ctlreq");
}
