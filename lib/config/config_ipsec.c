/* SPDX-License-Identifier: BSD-3-Clause */
/* Config section ipsec: static SAs with their keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config_priv.h"
#include "lib/esp/esp.h"
#include "lib/esp/replay.h"

/* A key as hex ("0x" optional, ':' allowed between bytes) of exactly want bytes. */
static int get_key(struct cfg_loader *ld, const config_setting_t *g, const char *name, size_t want,
		   uint8_t *out, uint8_t *len)
{
	const config_setting_t *s = cfg_member(g, name);
	const char *v;
	size_t n = 0;
	int rc = cfg_get_str(ld, g, name, want > 0, &v);

	if (rc || !v)
		return rc;
	if (!strncmp(v, "0x", 2))
		v += 2;
	while (*v) {
		int hi, lo;

		if (*v == ':') {
			v++;
			continue;
		}
		hi = cfg_hexval(v[0]);
		lo = hi < 0 ? -1 : cfg_hexval(v[1]);
		if (lo < 0)
			return cfg_fail_at(ld, s, "not a hex string");
		if (n == want)
			return cfg_fail_at(ld, s, "longer than the %zu bytes the algorithm needs",
					   want);
		out[n++] = (uint8_t)(hi << 4 | lo);
		v += 2;
	}
	if (n != want)
		return cfg_fail_at(ld, s, "%zu bytes; the algorithm needs %zu", n, want);
	*len = (uint8_t)n;
	return 0;
}

static int load_sa_dir(struct cfg_loader *ld, const config_setting_t *g, const char *name,
		       const struct cfg_sa *sa, struct cfg_sa_dir *d)
{
	static const char *const known[] = {"spi", "key", "auth_key", NULL};
	const config_setting_t *s = cfg_member(g, name);
	size_t enc_len, auth_len;
	unsigned spi = 0;
	int rc;

	if (!s)
		return cfg_fail_missing(ld, g, name);
	if (!config_setting_is_group(s))
		return cfg_fail_at(ld, s, "expected a group { spi; key; auth_key; }");
	esp_alg_key_lens((enum esp_alg)sa->alg, &enc_len, &auth_len);
	if ((rc = cfg_check_known(ld, s, known)) ||
	    (rc = cfg_get_uint(ld, s, "spi", 256, 0xffffffffLL, &spi)) ||
	    (rc = get_key(ld, s, "key", enc_len, d->key, &d->key_len)) ||
	    (rc = get_key(ld, s, "auth_key", auth_len, d->auth_key, &d->auth_len)))
		return rc;
	if (!cfg_member(s, "spi"))
		return cfg_fail_missing(ld, s, "spi");
	if (!auth_len && cfg_member(s, "auth_key"))
		return cfg_fail_at(ld, cfg_member(s, "auth_key"),
				   "the algorithm takes no integrity key");
	d->spi = spi;
	return 0;
}

int cfg_load_sas(struct cfg_loader *ld, const config_setting_t *root)
{
	static const char *const known_ipsec[] = {"sas", NULL};
	static const char *const known[] = {"peer", "tunnel", "mode", "encapsulation", "udp_port",
		"algorithm", "esn", "replay_window", "lifetime", "in", "out", "inner_local",
		"inner_remote", NULL};
	static const char *const known_life[] = {"bytes", "packets", "seconds", NULL};
	const config_setting_t *ip = cfg_member(root, "ipsec"), *l;
	struct dmvpn_config *cfg = ld->cfg;
	int rc, n;

	if (!ip)
		return 0;
	if ((rc = cfg_check_known(ld, ip, known_ipsec)))
		return rc;
	l = cfg_get_list(ld, ip, "sas", &rc);
	if (rc || !l)
		return rc;
	n = config_setting_length(l);
	cfg_seen_reset(ld);
	cfg->sas = calloc((size_t)n + 1, sizeof(*cfg->sas));
	if (!cfg->sas)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *lt;
		struct cfg_sa *sa = &cfg->sas[i];
		const char *v;
		unsigned port = 4500;
		enum esp_alg alg;
		int ti = 0;

		if (!config_setting_is_group(g))
			return cfg_fail_at(ld, g,
					   "expected a group { peer; algorithm; in; out; ... }");
		sa->replay_window = 64;
		if ((rc = cfg_check_known(ld, g, known)) ||
		    (rc = cfg_get_addr(ld, g, "peer", 1, &sa->peer)) ||
		    (rc = cfg_get_str(ld, g, "algorithm", 1, &v)))
			return rc;
		if (esp_alg_parse(v, &alg))
			return cfg_fail_at(ld, cfg_member(g, "algorithm"),
					   "'%s': one of aes128gcm16, aes256gcm16, aes128-sha256, "
					   "aes256-sha256, aes128-sha1, aes256-sha1, null", v);
		sa->alg = alg;
		if ((rc = cfg_get_str(ld, g, "tunnel", 0, &v)))
			return rc;
		if (v) {
			ti = config_port_index(cfg, v) - CFG_MAX_PORTS;
			if (ti < 0)
				return cfg_fail_at(ld, cfg_member(g, "tunnel"),
						   "'%s' is not a tunnel", v);
		} else if (!cfg->n_tunnels) {
			return cfg_fail_at(ld, g, "no tunnel to protect");
		}
		sa->tunnel = (unsigned)ti;
		if ((rc = cfg_get_str(ld, g, "mode", 0, &v)))
			return rc;
		if (v && strcmp(v, "transport") && strcmp(v, "tunnel"))
			return cfg_fail_at(ld, cfg_member(g, "mode"),
					   "'%s': use \"transport\" or \"tunnel\"", v);
		sa->mode = v && !strcmp(v, "tunnel") ? CFG_SA_TUNNEL : CFG_SA_TRANSPORT;
		/* A peer whose policy names other addresses (its own behind a
		 * NAT): tunnel mode's inner header carries those. */
		if ((rc = cfg_get_addr(ld, g, "inner_local", 0, &sa->inner_local)) ||
		    (rc = cfg_get_addr(ld, g, "inner_remote", 0, &sa->inner_remote)))
			return rc;
		if ((sa->inner_local || sa->inner_remote) && sa->mode != CFG_SA_TUNNEL)
			return cfg_fail_at(ld,
					   cfg_member(g, sa->inner_local ? "inner_local" : "inner_remote"),
					   "inner addresses need mode = \"tunnel\"");
		if ((rc = cfg_get_str(ld, g, "encapsulation", 0, &v)))
			return rc;
		if (v && strcmp(v, "none") && strcmp(v, "udp"))
			return cfg_fail_at(ld, cfg_member(g, "encapsulation"),
					   "'%s': use \"none\" or \"udp\"", v);
		sa->udp = v && !strcmp(v, "udp");
		if ((rc = cfg_get_uint(ld, g, "udp_port", 1, 65535, &port)) ||
		    (rc = cfg_get_bool(ld, g, "esn", &sa->esn)) ||
		    (rc = cfg_get_uint(ld, g, "replay_window", 0, REPLAY_MAX,
				       &sa->replay_window)) ||
		    (rc = load_sa_dir(ld, g, "in", sa, &sa->in)) ||
		    (rc = load_sa_dir(ld, g, "out", sa, &sa->out)))
			return rc;
		sa->udp_port = (uint16_t)port;
		/* 0 turns anti-replay off (benchmarks replaying a capture), as in
		 * Linux and strongSwan; otherwise RFC 6479 sizes. */
		if (sa->replay_window && sa->replay_window < REPLAY_MIN)
			return cfg_fail_at(ld, cfg_member(g, "replay_window"), "0 (off) or %d..%d",
					   REPLAY_MIN, REPLAY_MAX);
		if (!sa->replay_window && sa->esn)
			return cfg_fail_at(ld, cfg_member(g, "replay_window"),
					   "ESN needs the replay window to infer the high half");
		lt = cfg_member(g, "lifetime");
		if (lt) {
			unsigned b = 0, p = 0;

			if (!config_setting_is_group(lt))
				return cfg_fail_at(ld, lt,
						   "expected a group { bytes; packets; seconds; }");
			if ((rc = cfg_check_known(ld, lt, known_life)) ||
			    (rc = cfg_get_uint(ld, lt, "bytes", 1, 0xffffffffLL, &b)) ||
			    (rc = cfg_get_uint(ld, lt, "packets", 1, 0xffffffffLL, &p)) ||
			    (rc = cfg_get_uint(ld, lt, "seconds", 1, 0xffffffffLL,
					       &sa->life_seconds)))
				return rc;
			sa->life_bytes = b;
			sa->life_packets = p;
		}
		if (cfg_seen(ld, 0, sa->in.spi))
			return cfg_fail_at(ld, cfg_member(g, "in"), "inbound SPI %#x used twice",
					   sa->in.spi);
		if (cfg_seen(ld, 1, (uint64_t)sa->tunnel << 32 | sa->peer))
			return cfg_fail_at(ld, cfg_member(g, "peer"),
					   "a second SA for the same peer");
		cfg->n_sas++;
	}
	return 0;
}
