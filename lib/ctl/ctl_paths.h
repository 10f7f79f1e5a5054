/* SPDX-License-Identifier: BSD-3-Clause */
/* The control API's requests, method and path: the one list dmvpnd's handlers (control/api/ctl_api.c) and dmvpnctl's commands are keyed on. */
#ifndef DMVPN_LIB_CTL_PATHS_H
#define DMVPN_LIB_CTL_PATHS_H

/* X(name, method, path): method is GET, POST or DELETE (enum ctl_method's
 * CTL_<method> in dmvpnd, the string on the wire); the path carries no
 * query string. */
#define CTL_API_PATHS(X)                                                                    \
	X(INTERFACES, GET, "/v1/interfaces") X(ROUTES, GET, "/v1/routes")                   \
	X(NEIGHBORS, GET, "/v1/neighbors")                                                  \
	X(NHRP_CACHE, GET, "/v1/nhrp/cache") X(NHRP_CACHE_CLEAR, DELETE, "/v1/nhrp/cache")  \
	X(NHRP_NHS, GET, "/v1/nhrp/nhs") X(NHRP_SHORTCUT, GET, "/v1/nhrp/shortcut")         \
	X(NHRP_RESOLUTION, GET, "/v1/nhrp/resolution")                                      \
	X(IKE_SA, GET, "/v1/ike/sa") X(IKE_SA_DELETE, DELETE, "/v1/ike/sa")                 \
	X(IPSEC_SA, GET, "/v1/ipsec/sa")                                                    \
	X(DMVPN, GET, "/v1/dmvpn") X(COUNTERS, GET, "/v1/counters")                         \
	X(RELOAD, POST, "/v1/reload")

enum ctl_api {
#define X(name, method, path) CTL_API_##name,
	CTL_API_PATHS(X)
#undef X
	CTL_API_N
};

#endif
