/* SPDX-License-Identifier: BSD-3-Clause */
/* Config loader helpers: typed getters, duplicate checks and file/line/setting error messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/base/addr.h"
#include "lib/config/config_priv.h"

/* Start duplicate checks for a list (a config may hold 100 000 maps). */
void cfg_seen_reset(struct cfg_loader *ld)
{
	for (int i = 0; i < 2; i++) {
		u64map_fini(&ld->seen[i]);
		u64map_init(&ld->seen[i], 64);
	}
}

/* 1 when key was seen already in this list (index 0 or 1), else remembers it. */
int cfg_seen(struct cfg_loader *ld, int i, uint64_t key)
{
	uint32_t v;

	if (ld->seen[i].cap && u64map_get(&ld->seen[i], key, &v) == 0)
		return 1;
	if (ld->seen[i].cap)
		u64map_put(&ld->seen[i], key, 1);
	return 0;
}

int cfg_fail(struct cfg_loader *ld, const config_setting_t *s, const char *what,
	     const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	const char *f = s ? config_setting_source_file(s) : NULL;
	unsigned line = s ? config_setting_source_line(s) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->errlen, "%s:%u: setting '%s': %s", f ? f : ld->file, line,
		 what, msg);
	return -EINVAL;
}

/* Dotted path of a setting, e.g. "ports.[1].address", for messages. */
const char *cfg_spath(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[16];
	int n = 0;
	size_t off = 0;

	for (; s && !config_setting_is_root(s) && n < 16; s = config_setting_parent(s))
		chain[n++] = s;
	buf[0] = 0;
	while (n-- > 0 && off < len) {
		const config_setting_t *c = chain[n];
		const char *name = config_setting_name(c);
		int w;

		if (name)
			w = snprintf(buf + off, len - off, "%s%s", off ? "." : "", name);
		else
			w = snprintf(buf + off, len - off, "[%d]", config_setting_index(c));
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

int cfg_fail_at(struct cfg_loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char path[128], msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cfg_fail(ld, s, cfg_spath(s, path, sizeof(path)), "%s", msg);
}

/* Missing mandatory member `name` of group g. */
int cfg_fail_missing(struct cfg_loader *ld, const config_setting_t *g, const char *name)
{
	char path[128], full[160];

	cfg_spath(g, path, sizeof(path));
	snprintf(full, sizeof(full), "%s%s%s", path, path[0] ? "." : "", name);
	return cfg_fail(ld, g, full, "missing");
}

/* Reject members of group g that are not in the NULL-terminated list: a
 * typo must not silently fall back to a default. */
int cfg_check_known(struct cfg_loader *ld, const config_setting_t *g, const char *const *known)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(c);
		int ok = 0;

		for (const char *const *k = known; *k && name; k++)
			if (!strcmp(*k, name))
				ok = 1;
		if (!ok)
			return cfg_fail_at(ld, c, "unknown setting");
	}
	return 0;
}

const config_setting_t *cfg_member(const config_setting_t *g, const char *name)
{
	return g ? config_setting_get_member(g, name) : NULL;
}

int cfg_get_str(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		int required, const char **out)
{
	const config_setting_t *s = cfg_member(g, name);

	*out = NULL;
	if (!s)
		return required ? cfg_fail_missing(ld, g, name) : 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_fail_at(ld, s, "expected a string");
	*out = config_setting_get_string(s);
	return 0;
}

int cfg_get_uint(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		 long long lo, long long hi, unsigned *out)
{
	const config_setting_t *s = cfg_member(g, name);
	long long v;

	if (!s)
		return 0; /* keep the default */
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return cfg_fail_at(ld, s, "expected an integer");
	v = config_setting_get_int64(s);
	/* libconfig wraps plain integers above 2^31 - 1 into negatives: say
	 * so where such values are legitimate. */
	if (v < 0 && lo >= 0 && hi > INT32_MAX && config_setting_type(s) == CONFIG_TYPE_INT)
		return cfg_fail_at(ld, s, "%lld out of range %lld..%lld (numbers above 2147483647 "
				   "need an L suffix, e.g. 4000000000L)", v, lo, hi);
	if (v < lo || v > hi)
		return cfg_fail_at(ld, s, "%lld out of range %lld..%lld", v, lo, hi);
	*out = (unsigned)v;
	return 0;
}

int cfg_get_bool(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		 uint8_t *out)
{
	const config_setting_t *s = cfg_member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return cfg_fail_at(ld, s, "expected true or false");
	*out = (uint8_t)config_setting_get_bool(s);
	return 0;
}

int cfg_get_addr(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		 int required, uint32_t *out)
{
	const char *v;
	int rc = cfg_get_str(ld, g, name, required, &v);

	if (rc || !v)
		return rc;
	if (addr_parse(v, out))
		return cfg_fail_at(ld, cfg_member(g, name), "'%s' is not an IPv4 address", v);
	return 0;
}

int cfg_get_prefix(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		   int host_ok, uint32_t *addr, uint8_t *plen)
{
	const char *v;
	int rc = cfg_get_str(ld, g, name, 1, &v);

	if (rc)
		return rc;
	if (prefix_parse(v, host_ok, addr, plen))
		return cfg_fail_at(ld, cfg_member(g, name),
				   "'%s' is not an IPv4 prefix (a.b.c.d/len)", v);
	return 0;
}

int cfg_get_name(struct cfg_loader *ld, const config_setting_t *g, char *dst)
{
	const char *v;
	int rc = cfg_get_str(ld, g, "name", 1, &v);

	if (rc)
		return rc;
	if (!v[0] || strlen(v) >= CFG_NAME_MAX)
		return cfg_fail_at(ld, cfg_member(g, "name"), "must be 1..%d characters",
				   CFG_NAME_MAX - 1);
	if (config_port_index(ld->cfg, v) >= 0)
		return cfg_fail_at(ld, cfg_member(g, "name"), "'%s' is already used", v);
	strcpy(dst, v);
	return 0;
}

const config_setting_t *cfg_get_list(struct cfg_loader *ld, const config_setting_t *root,
				     const char *name, int *rc)
{
	const config_setting_t *l = cfg_member(root, name);

	*rc = 0;
	if (l && !config_setting_is_list(l) && !config_setting_is_array(l)) {
		*rc = cfg_fail_at(ld, l, "expected a list ( ... )");
		return NULL;
	}
	return l;
}

int cfg_hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}
