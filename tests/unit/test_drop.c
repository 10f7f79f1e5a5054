/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/base/drop: every drop reason has one unique, counter-friendly name. */
#include "lib/base/drop.h"
#include "check.h"

int main(void)
{
	static const struct {
		unsigned reason;
		const char *name;
	} kat[] = {
		{DROP_NONE, "none"},
		{DROP_IPV4_CHECKSUM, "ipv4_bad_checksum"},
		{DROP_GRE_KEY_MISMATCH, "gre_key_mismatch"},
		{DROP_NHRP_MISS, "nhrp_no_mapping"},
		{DROP_HEADROOM, "no_headroom"},
		{DROP__COUNT, "unknown"},
		{~0u, "unknown"},
	};

	CHECK_INT(DROP_NONE, 0);  /* parsers return 0 for "no drop" */
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++)
		CHECK_STR(dmvpn_drop_name(kat[i].reason), kat[i].name);
	for (unsigned r = 0; r < DROP__COUNT; r++) {
		const char *n = dmvpn_drop_name(r);
		int ok = n && n[0];

		/* Names are counter keys (telemetry, JSON): lower-case snake. */
		for (const char *c = n; ok && *c; c++)
			ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
		CHECK_MSG(ok, "reason %u: bad name '%s'", r, n ? n : "(null)");
		CHECK_MSG(strcmp(n, "unknown"), "reason %u named 'unknown'", r);
		for (unsigned s = 0; s < r; s++)
			CHECK_MSG(strcmp(n, dmvpn_drop_name(s)), "reasons %u and %u share '%s'", s, r, n);
	}
	return check_done("test_drop");
}
