/* SPDX-License-Identifier: BSD-3-Clause */
/* Names of drop reasons. */
#include "lib/base/drop.h"

static const char *const drop_names[DROP__COUNT] = {
#define X(e, s) [DROP_##e] = s,
	DMVPN_DROP_REASONS(X)
#undef X
};

const char *dmvpn_drop_name(unsigned reason)
{
	return reason < DROP__COUNT ? drop_names[reason] : "unknown";
}
