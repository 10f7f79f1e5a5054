/* SPDX-License-Identifier: BSD-3-Clause */
/* Config section ike: IKEv2 connections and secrets, shaped like strongSwan's swanctl.conf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/addr.h"
#include "lib/config/config_priv.h"
#include "lib/esp/replay.h"

/* ---- ike: IKEv2, shaped like strongSwan's swanctl.conf ---- */

#define IKE_DEFAULT_PROPOSALS {"aes128gcm16-prfsha256-ecp256", "aes256-sha256-modp2048"}
#define IKE_DEFAULT_ESP {"aes128gcm16", "aes256gcm16", "aes128-sha256"}

/* How an identity is written decides its type, as in swanctl.conf: an
 * IPv4 address, "@#hex" a key-id, "@name" or a dotted name an FQDN,
 * "user@domain" an RFC 822 address, "C=.., O=.., CN=.." a DN. */
static int ike_id_classify(const char *v, uint8_t *type)
{
	uint32_t ip;

	if (!addr_parse(v, &ip)) {
		*type = IKE_ID_IPV4;
		return 0;
	}
	if (!strncmp(v, "@#", 2)) {
		size_t n = strlen(v + 2);

		if (!n || n % 2)
			return -EINVAL;
		for (const char *p = v + 2; *p; p++)
			if (cfg_hexval(*p) < 0)
				return -EINVAL;
		*type = IKE_ID_KEY_ID;
		return 0;
	}
	if (v[0] == '@') {
		if (!v[1])
			return -EINVAL;
		*type = IKE_ID_FQDN;
		return 0;
	}
	if (strchr(v, '=')) {
		*type = IKE_ID_DER_DN;
		return 0;
	}
	*type = strchr(v, '@') ? IKE_ID_RFC822 : IKE_ID_FQDN;
	return 0;
}

static int get_ike_id(struct cfg_loader *ld, const config_setting_t *g, int remote,
		      struct cfg_ike_end *e)
{
	const char *v;
	int rc = cfg_get_str(ld, g, "id", 0, &v);

	if (rc || !v)
		return rc;
	if (!v[0] || strlen(v) >= CFG_IKE_ID_MAX)
		return cfg_fail_at(ld, cfg_member(g, "id"), "must be 1..%d characters",
				   CFG_IKE_ID_MAX - 1);
	if (!strcmp(v, "%any")) {
		if (!remote)
			return cfg_fail_at(ld, cfg_member(g, "id"),
					   "%%any is for the remote end only");
		return 0; /* "" accepts any */
	}
	if (ike_id_classify(v, &e->id_type))
		return cfg_fail_at(ld, cfg_member(g, "id"),
				   "'%s' is not an identity (an IPv4 address, "
				   "a name, @name, @#hex key-id, user@domain or a DN)", v);
	strcpy(e->id, v);
	return 0;
}

/* A PEM file: a path relative to the configuration file's directory, readable now. */
static int get_ike_file(struct cfg_loader *ld, const config_setting_t *g, const char *name,
			char *out)
{
	const char *v, *slash;
	int rc = cfg_get_str(ld, g, name, 0, &v), n;

	if (rc || !v)
		return rc;
	slash = strrchr(ld->file, '/');
	if (v[0] == '/' || !slash)
		n = snprintf(out, CFG_IKE_PATH_MAX, "%s", v);
	else
		n = snprintf(out, CFG_IKE_PATH_MAX, "%.*s/%s", (int)(slash - ld->file), ld->file, v);
	if (!v[0] || n < 0 || n >= CFG_IKE_PATH_MAX)
		return cfg_fail_at(ld, cfg_member(g, name), "path empty or too long");
	if (access(out, R_OK))
		return cfg_fail_at(ld, cfg_member(g, name), "cannot read '%s': %s", out,
				   strerror(errno));
	return 0;
}

static int load_ike_end(struct cfg_loader *ld, const config_setting_t *conn, int remote,
			struct cfg_ike_end *e)
{
	static const char *const known_local[] = {"auth", "id", "cert", "key", NULL};
	static const char *const known_remote[] = {"auth", "id", "cacert", NULL};
	const char *name = remote ? "remote" : "local";
	const config_setting_t *g = cfg_member(conn, name);
	const char *auth;
	int rc;

	if (!g)
		return 0;
	if (!config_setting_is_group(g))
		return cfg_fail_at(ld, g, "expected a group { auth = ...; id = ...; }");
	if ((rc = cfg_check_known(ld, g, remote ? known_remote : known_local)) ||
	    (rc = cfg_get_str(ld, g, "auth", 0, &auth)) || (rc = get_ike_id(ld, g, remote, e)))
		return rc;
	if (remote)
		rc = get_ike_file(ld, g, "cacert", e->cacert);
	else if (!(rc = get_ike_file(ld, g, "cert", e->cert)))
		rc = get_ike_file(ld, g, "key", e->key);
	if (rc)
		return rc;
	if (auth && strcmp(auth, "psk") && strcmp(auth, "pubkey"))
		return cfg_fail_at(ld, cfg_member(g, "auth"), "'%s': use \"psk\" or \"pubkey\"",
				   auth);
	/* Certificates given and no auth: they are what authenticates. */
	if (auth)
		e->auth = !strcmp(auth, "psk") ? CFG_IKE_AUTH_PSK : CFG_IKE_AUTH_PUBKEY;
	else if (e->cert[0] || e->cacert[0])
		e->auth = CFG_IKE_AUTH_PUBKEY;
	if (e->auth != CFG_IKE_AUTH_PUBKEY || remote)
		return 0; /* the remote end is checked with the local one's default */
	if (!e->cert[0])
		return cfg_fail_missing(ld, g, "cert");
	if (!e->key[0])
		return cfg_fail_missing(ld, g, "key");
	return 0;
}

/* A list of proposals, or the defaults when absent. */
static int get_suites(struct cfg_loader *ld, const config_setting_t *g, const char *name, int esp,
		      const char *const *defaults, unsigned n_defaults, struct ike_suite *out,
		      unsigned *n_out)
{
	const config_setting_t *l = cfg_member(g, name);
	char err[128];
	int n;

	if (!l) {
		for (unsigned i = 0; i < n_defaults; i++)
			if (ike_suite_parse(defaults[i], esp, &out[i], err, sizeof(err)))
				return cfg_fail_at(ld, g, "default proposal '%s': %s", defaults[i],
						   err);
		*n_out = n_defaults;
		return 0;
	}
	if (!config_setting_is_array(l) && !config_setting_is_list(l))
		return cfg_fail_at(ld, l, "expected an array of strings [ \"...\", ... ]");
	n = config_setting_length(l);
	if (n == 0 || n > CFG_IKE_MAX_SUITES)
		return cfg_fail_at(ld, l, "1..%d proposals", CFG_IKE_MAX_SUITES);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return cfg_fail_at(ld, e, "expected a string");
		v = config_setting_get_string(e);
		err[0] = 0;
		if (ike_suite_parse(v, esp, &out[i], err, sizeof(err)))
			return cfg_fail_at(ld, e, "'%s': %s", v, err[0] ? err : "not a proposal");
		/* The dataplane must be able to run what IKE agrees on. */
		if (esp && ike_suite_esp_alg(&out[i]) < 0)
			return cfg_fail_at(ld, e, "'%s': the ESP dataplane does not implement it",
					   v);
	}
	*n_out = (unsigned)n;
	return 0;
}

static int load_ike_child(struct cfg_loader *ld, const config_setting_t *conn,
			  struct cfg_ike_child *c)
{
	static const char *const known[] = {"esp_proposals", "mode", "rekey_time", "life_time",
		"rekey_bytes", "rekey_packets", "replay_window", NULL};
	static const char *const esp_defaults[] = IKE_DEFAULT_ESP;
	const config_setting_t *l = cfg_member(conn, "children"), *g = NULL;
	unsigned rb = 0, rp = 0;
	const char *mode;
	int rc;

	strcpy(c->name, "gre");
	c->rekey_time = 3600;
	c->replay_window = 64;
	if (l) {
		if (!config_setting_is_group(l))
			return cfg_fail_at(ld, l, "expected a group { name = { ... }; }");
		if (config_setting_length(l) > 1)
			return cfg_fail_at(ld, config_setting_get_elem(l, 1),
					   "one CHILD_SA per connection (the GRE one)");
		g = config_setting_get_elem(l, 0);
	}
	if (g) {
		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g, "expected a group { esp_proposals = ...; ... }");
		if (strlen(config_setting_name(g)) >= CFG_IKE_NAME_MAX)
			return cfg_fail_at(ld, g, "name longer than %d characters",
					   CFG_IKE_NAME_MAX - 1);
		strcpy(c->name, config_setting_name(g));
		if ((rc = cfg_check_known(ld, g, known)) ||
		    (rc = cfg_get_str(ld, g, "mode", 0, &mode)) ||
		    (rc = cfg_get_uint(ld, g, "rekey_time", 0, 0x7fffffff, &c->rekey_time)) ||
		    (rc = cfg_get_uint(ld, g, "life_time", 0, 0x7fffffff, &c->life_time)) ||
		    (rc = cfg_get_uint(ld, g, "rekey_bytes", 0, 0xffffffffLL, &rb)) ||
		    (rc = cfg_get_uint(ld, g, "rekey_packets", 0, 0xffffffffLL, &rp)) ||
		    (rc = cfg_get_uint(ld, g, "replay_window", 0, REPLAY_MAX, &c->replay_window)))
			return rc;
		if (mode && strcmp(mode, "transport") && strcmp(mode, "tunnel"))
			return cfg_fail_at(ld, cfg_member(g, "mode"),
					   "'%s': use \"transport\" or \"tunnel\"", mode);
		c->mode = mode && !strcmp(mode, "tunnel") ? CFG_SA_TUNNEL : CFG_SA_TRANSPORT;
		if (c->replay_window && c->replay_window < REPLAY_MIN)
			return cfg_fail_at(ld, cfg_member(g, "replay_window"), "0 (off) or %d..%d",
					   REPLAY_MIN, REPLAY_MAX);
		if (cfg_member(g, "life_time") && c->rekey_time && c->life_time <= c->rekey_time)
			return cfg_fail_at(ld, cfg_member(g, "life_time"),
					   "must be longer than rekey_time (%u)", c->rekey_time);
	}
	c->rekey_bytes = rb;
	c->rekey_packets = rp;
	/* As strongSwan: the hard end 10 % after the rekey. */
	if (!g || !cfg_member(g, "life_time"))
		c->life_time = c->rekey_time + c->rekey_time / 10;
	if ((rc = get_suites(ld, g, "esp_proposals", 1, esp_defaults,
			     sizeof(esp_defaults) / sizeof(esp_defaults[0]), c->esp, &c->n_esp)))
		return rc;
	for (unsigned i = 0; i < c->n_esp; i++)
		if (c->esp[i].esn && !c->replay_window)
			return cfg_fail_at(ld, g ? cfg_member(g, "esp_proposals") : conn,
					   "ESN needs the replay window to infer the high half");
	return 0;
}

/* A PSK is written as text, or as hex after "0x". */
static int get_ike_secret(struct cfg_loader *ld, const config_setting_t *g,
			  struct cfg_ike_secret *s)
{
	const char *v;
	size_t n;
	int rc = cfg_get_str(ld, g, "secret", 1, &v);

	if (rc)
		return rc;
	n = strlen(v);
	if (!strncmp(v, "0x", 2)) {
		size_t k = 0;

		if (n == 2 || n % 2 || (n - 2) / 2 > CFG_IKE_PSK_MAX)
			return cfg_fail_at(ld, cfg_member(g, "secret"), "0x and 2..%d hex digits",
					   2 * CFG_IKE_PSK_MAX);
		for (const char *p = v + 2; *p; p += 2) {
			if (cfg_hexval(p[0]) < 0 || cfg_hexval(p[1]) < 0)
				return cfg_fail_at(ld, cfg_member(g, "secret"), "not a hex string");
			s->secret[k++] = (char)(cfg_hexval(p[0]) << 4 | cfg_hexval(p[1]));
		}
		s->secret_len = k;
		return 0;
	}
	if (n == 0 || n >= CFG_IKE_PSK_MAX)
		return cfg_fail_at(ld, cfg_member(g, "secret"), "must be 1..%d characters",
				   CFG_IKE_PSK_MAX - 1);
	memcpy(s->secret, v, n);
	s->secret_len = n;
	return 0;
}

static int load_ike_secrets(struct cfg_loader *ld, const config_setting_t *ike)
{
	static const char *const known[] = {"id", "secret", NULL};
	const config_setting_t *l = cfg_member(ike, "secrets");
	struct cfg_ike *k = &ld->cfg->ike;
	int rc, n;

	if (!l)
		return 0;
	if (!config_setting_is_group(l))
		return cfg_fail_at(ld, l,
				   "expected a group { name = { id = ...; secret = ...; }; }");
	n = config_setting_length(l);
	k->secrets = calloc((size_t)n + 1, sizeof(*k->secrets));
	if (!k->secrets)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		struct cfg_ike_secret *s = &k->secrets[i];
		struct cfg_ike_end tmp = {0};

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g, "expected a group { id = ...; secret = ...; }");
		if ((rc = cfg_check_known(ld, g, known)) || (rc = get_ike_id(ld, g, 1, &tmp)) ||
		    (rc = get_ike_secret(ld, g, s)))
			return rc;
		strcpy(s->id, tmp.id);
		for (unsigned j = 0; j < k->n_secrets; j++)
			if (!strcmp(k->secrets[j].id, s->id))
				return cfg_fail_at(ld, cfg_member(g, "id") ? cfg_member(g, "id") : g,
						   "a second secret for %s", s->id[0] ? s->id : "any peer");
		k->n_secrets++;
	}
	return 0;
}

/* A PSK that a connection can use: one for its remote id, or for any peer. */
static int ike_has_psk(const struct cfg_ike *k, const struct cfg_ike_conn *c)
{
	for (unsigned i = 0; i < k->n_secrets; i++)
		if (!k->secrets[i].id[0] || !strcmp(k->secrets[i].id, c->remote.id) ||
		    !c->remote.id[0])
			return 1;
	return 0;
}

static int load_ike_conn(struct cfg_loader *ld, const config_setting_t *g, struct cfg_ike_conn *c)
{
	static const char *const known[] = {"tunnel", "proposals", "rekey_time", "over_time",
		"dpd_delay", "dpd_timeout", "encap", "local", "remote", "children", NULL};
	static const char *const ike_defaults[] = IKE_DEFAULT_PROPOSALS;
	struct dmvpn_config *cfg = ld->cfg;
	const char *tun;
	int rc, ti = -1;

	if (!config_setting_is_group(g))
		return cfg_fail_at(ld, g, "expected a group { tunnel = ...; ... }");
	if (strlen(config_setting_name(g)) >= CFG_IKE_NAME_MAX)
		return cfg_fail_at(ld, g, "name longer than %d characters", CFG_IKE_NAME_MAX - 1);
	strcpy(c->name, config_setting_name(g));
	c->rekey_time = 14400;
	c->dpd_delay = 30;
	if ((rc = cfg_check_known(ld, g, known)) || (rc = cfg_get_str(ld, g, "tunnel", 0, &tun)) ||
	    (rc = cfg_get_uint(ld, g, "rekey_time", 0, 0x7fffffff, &c->rekey_time)) ||
	    (rc = cfg_get_uint(ld, g, "over_time", 0, 0x7fffffff, &c->over_time)) ||
	    (rc = cfg_get_uint(ld, g, "dpd_delay", 0, 86400, &c->dpd_delay)) ||
	    (rc = cfg_get_uint(ld, g, "dpd_timeout", 0, 86400, &c->dpd_timeout)) ||
	    (rc = cfg_get_bool(ld, g, "encap", &c->encap)))
		return rc;
	if (tun) {
		ti = config_port_index(cfg, tun) - CFG_MAX_PORTS;
		if (ti < 0)
			return cfg_fail_at(ld, cfg_member(g, "tunnel"), "'%s' is not a tunnel",
					   tun);
	} else {
		/* Left out: the one protected tunnel there is. */
		for (unsigned i = 0; i < cfg->n_tunnels; i++)
			if (cfg->tunnels[i].protect)
				ti = ti == -1 ? (int)i : -2;
		if (ti < 0)
			return cfg_fail_missing(ld, g, "tunnel");
	}
	if (!cfg->tunnels[ti].protect)
		return cfg_fail_at(ld, cfg_member(g, "tunnel") ? cfg_member(g, "tunnel") : g,
				   "tunnel '%s' needs protection = \"ipsec\"", cfg->tunnels[ti].name);
	for (unsigned i = 0; i < cfg->ike.n_conns; i++)
		if (cfg->ike.conns[i].tunnel == (unsigned)ti)
			return cfg_fail_at(ld, cfg_member(g, "tunnel") ? cfg_member(g, "tunnel") : g,
					   "tunnel '%s' is keyed by connection '%s' already",
					   cfg->tunnels[ti].name, cfg->ike.conns[i].name);
	c->tunnel = (unsigned)ti;
	c->local_addr = cfg->ports[cfg->tunnels[ti].source].addr;
	if (!cfg_member(g, "over_time"))
		c->over_time = c->rekey_time / 10;
	if ((rc = get_suites(ld, g, "proposals", 0, ike_defaults,
			     sizeof(ike_defaults) / sizeof(ike_defaults[0]), c->ike, &c->n_ike)) ||
	    (rc = load_ike_end(ld, g, 0, &c->local)) || (rc = load_ike_end(ld, g, 1, &c->remote)) ||
	    (rc = load_ike_child(ld, g, &c->child)))
		return rc;
	/* Profile defaults: PSK, and the peer authenticates as we do. */
	if (!c->local.auth)
		c->local.auth = CFG_IKE_AUTH_PSK;
	if (!c->remote.auth)
		c->remote.auth = c->local.auth;
	/* A peer's certificate is checked against a CA. */
	if (c->remote.auth == CFG_IKE_AUTH_PUBKEY && !c->remote.cacert[0]) {
		char path[128], full[160];

		snprintf(full, sizeof(full), "%s.remote.cacert", cfg_spath(g, path, sizeof(path)));
		return cfg_fail(ld, cfg_member(g, "remote") ? cfg_member(g, "remote") : g, full,
				"missing");
	}
	if ((c->local.auth == CFG_IKE_AUTH_PSK || c->remote.auth == CFG_IKE_AUTH_PSK) &&
	    !ike_has_psk(&cfg->ike, c))
		return cfg_fail_at(ld, g, "PSK authentication and no secret in ike.secrets for %s",
				   c->remote.id[0] ? c->remote.id : "its peers");
	return 0;
}

int cfg_load_ike(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known[] = {"connections", "secrets", "cookie_threshold",
		"half_open_timeout", "retransmit_tries", "retransmit_timeout_ms", "max_ike_sas",
		NULL};
	const config_setting_t *g = cfg_member(root, "ike"), *l;
	struct cfg_ike *k = &ld->cfg->ike;
	int rc, n;

	k->cookie_threshold = 10;
	k->half_open_timeout = 30;
	k->retransmit_tries = 5;
	k->retransmit_timeout_ms = 1000;
	k->max_ike_sas = ld->cfg->max_peers;
	if (!g)
		return 0;
	if (!config_setting_is_group(g))
		return cfg_fail_at(ld, g,
				   "expected a group { connections = { ... }; secrets = { ... }; }");
	if ((rc = cfg_check_known(ld, g, known)) ||
	    (rc = cfg_get_uint(ld, g, "cookie_threshold", 0, 1000000, &k->cookie_threshold)) ||
	    (rc = cfg_get_uint(ld, g, "half_open_timeout", 1, 3600, &k->half_open_timeout)) ||
	    (rc = cfg_get_uint(ld, g, "retransmit_tries", 1, 20, &k->retransmit_tries)) ||
	    (rc = cfg_get_uint(ld, g, "retransmit_timeout_ms", 100, 60000,
			       &k->retransmit_timeout_ms)) ||
	    (rc = cfg_get_uint(ld, g, "max_ike_sas", 1, 1 << 24, &k->max_ike_sas)) ||
	    (rc = load_ike_secrets(ld, g)))
		return rc;
	l = cfg_member(g, "connections");
	if (!l)
		return 0;
	if (!config_setting_is_group(l))
		return cfg_fail_at(ld, l, "expected a group { name = { tunnel = ...; ... }; }");
	n = config_setting_length(l);
	if (n > CFG_IKE_MAX_CONNS)
		return cfg_fail_at(ld, l, "at most %d connections (one per tunnel)",
				   CFG_IKE_MAX_CONNS);
	for (int i = 0; i < n; i++) {
		struct cfg_ike_conn *c = &k->conns[i];

		if ((rc = load_ike_conn(ld, config_setting_get_elem(l, (unsigned)i), c)))
			return rc;
		/* Give up on a silent peer after the retransmits' worth, by default. */
		if (!c->dpd_timeout) {
			unsigned long ms = 0, t = k->retransmit_timeout_ms;

			for (unsigned r = 0; r <= k->retransmit_tries; r++, t *= 2)
				ms += t;
			c->dpd_timeout = (unsigned)((ms + 999) / 1000);
		}
		k->n_conns++;
	}
	return 0;
}
