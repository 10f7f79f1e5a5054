/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: command-line client of dmvpnd's control socket (one JSON line each way). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/ctl/ctl_paths.h"

#include "tools/dmvpnctl/dmvpnctl.h"

/* The requests dmvpnd answers (lib/ctl/ctl_paths.h), as they go on the wire. */
static const char *const ctl_api_method[CTL_API_N] = {
#define X(name, method, path) [CTL_API_##name] = #method,
	CTL_API_PATHS(X)
#undef X
};
static const char *const ctl_api_path[CTL_API_N] = {
#define X(name, method, path) [CTL_API_##name] = path,
	CTL_API_PATHS(X)
#undef X
};

/* Entries without help are aliases, kept out of the usage text's main list. */
static const struct ctl_cmd {
	const char *kw[CTL_MAX_WORDS];
	enum ctl_api api;
	const char *query;     /* "" or "?k=v"; a %s takes the command's argument */
	ctl_printer print;
	const char *help;
} ctl_cmds[] = {
	{{"show", "dmvpn"}, CTL_API_DMVPN, "", print_dmvpn, "DMVPN peers per tunnel"},
	{{"show", "dmvpn", "detail"}, CTL_API_DMVPN, "?detail=true", print_dmvpn_detail,
	 "the same with tunnel settings, NHRP type and expiry"},
	{{"show", "nhrp", "cache"}, CTL_API_NHRP_CACHE, "", print_nhrp_cache, "NHRP cache"},
	{{"show", "nhrp", "nhs"}, CTL_API_NHRP_NHS, "", print_nhs, "next-hop servers"},
	{{"show", "nhrp", "shortcut"}, CTL_API_NHRP_SHORTCUT, "", print_shortcuts, "NHRP shortcuts"},
	{{"show", "nhrp", "resolution"}, CTL_API_NHRP_RESOLUTION, "", print_resolutions,
	 "outstanding NHRP resolution requests"},
	{{"show", "ike", "sa"}, CTL_API_IKE_SA, "", print_ike_sa, "IKEv2 security associations"},
	{{"clear", "ike", "sa"}, CTL_API_IKE_SA_DELETE, "?peer=%s", print_terminated,
	 "delete the IKE SA with a peer (NBMA address)"},
	{{"show", "ipsec", "sa"}, CTL_API_IPSEC_SA, "", print_ipsec_sa, "ESP security associations"},
	{{"show", "interfaces"}, CTL_API_INTERFACES, "", print_interfaces, "ports and tunnels"},
	{{"show", "routes"}, CTL_API_ROUTES, "", print_routes, "routing table (show ip route)"},
	{{"show", "ip", "route"}, CTL_API_ROUTES, "", print_routes, NULL},
	{{"show", "arp"}, CTL_API_NEIGHBORS, "", print_neighbors, "ARP table (show neighbors)"},
	{{"show", "neighbors"}, CTL_API_NEIGHBORS, "", print_neighbors, NULL},
	{{"show", "counters"}, CTL_API_COUNTERS, "", print_counters, "packet and drop counters"},
	{{"clear", "nhrp", "cache"}, CTL_API_NHRP_CACHE_CLEAR, "", print_cleared,
	 "remove dynamic NHRP entries (static maps stay)"},
	{{"reload"}, CTL_API_RELOAD, "", print_reloaded, "re-read the configuration file"},
};

static void ctl_usage(FILE *f)
{
	fputs("usage: dmvpnctl [-s SOCKET] COMMAND... [--json]\n"
	      "\n"
	      "Queries dmvpnd through its control socket (default " CTL_DEFAULT_SOCKET ").\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		char words[64] = "";

		if (!c->help)
			continue;
		for (int k = 0; k < CTL_MAX_WORDS && c->kw[k]; k++) {
			if (k)
				strcat(words, " ");
			strcat(words, c->kw[k]);
		}
		fprintf(f, "  %-24s %s\n", words, c->help);
	}
	fputs("  raw METHOD PATH [BODY]   send one request, e.g. raw GET /v1/routes\n"
	      "\n"
	      "Options:\n"
	      "  -s, --socket SOCKET      control socket to use\n"
	      "  --json                   print the daemon's JSON response unchanged\n"
	      "  -h, --help               show this help\n"
	      "\n"
	      "Keywords may be abbreviated while unambiguous (sh nhrp ca).\n"
	      "Exit status: 0 done, 1 the daemon refused or could not be reached, 2 bad usage.\n",
	      f);
}

/* Never returns: a usage error is reported on stderr with the whole usage text. */
static void ctl_usage_error(char *msg)
{
	if (msg)
		ctl_warn("%s", msg);
	free(msg);
	ctl_usage(stderr);
	exit(CTL_EXIT_USAGE);
}

/*
 * Command lookup. Every word must be a prefix of the command's keyword, as on IOS;
 * an exact match wins over abbreviations, and candidates that are aliases of one
 * request do not make a command ambiguous.
 */
static const struct ctl_cmd *ctl_lookup(int n, char **w, bool *ambiguous)
{
	const struct ctl_cmd *found = NULL;

	*ambiguous = false;
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		bool exact = true;
		int k;

		for (k = 0; k < n && k < CTL_MAX_WORDS && c->kw[k]; k++) {
			size_t len = strlen(w[k]);

			if (!len || strncmp(c->kw[k], w[k], len))
				break;
			exact = exact && !c->kw[k][len];
		}
		if (k != n || (k < CTL_MAX_WORDS && c->kw[k]))
			continue;
		if (exact)
			return c;
		if (found && (found->api != c->api || strcmp(found->query, c->query)))
			*ambiguous = true;
		found = found ? found : c;
	}
	return *ambiguous ? NULL : found;
}

/* ---- clear, reload ---- */

void print_cleared(const json_t *body)
{
	long long n;

	if (!ctl_get_int(body, "cleared", &n)) {
		print_body(body);
		return;
	}
	printf("cleared %lld %s\n", n, n == 1 ? "entry" : "entries");
}

void print_reloaded(const json_t *body)
{
	const char *file = ctl_get_str(body, "file", NULL);

	if (!file) {
		print_body(body);
		return;
	}
	printf("configuration reloaded from %s\n", file);
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	const char *sock = CTL_DEFAULT_SOCKET, *method, *path, *arg = NULL;
	char *path_buf = NULL;
	bool json = false, help = false, opts_done = false, ambiguous;
	char **words = calloc((size_t)argc + 1, sizeof(*words));
	const struct ctl_cmd *cmd = NULL;
	ctl_printer print = print_body;
	json_t *body = NULL, *resp, *status;
	json_error_t jerr;
	char *req, *line;
	size_t len;
	int nwords = 0, rc;

	ctl_check_alloc(words);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			words[nwords++] = argv[i];
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help = true;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--socket")) {
			if (++i == argc)
				ctl_usage_error(ctl_format("option %s needs a socket path", a));
			sock = argv[i];
		} else if (!strncmp(a, "--socket=", 9)) {
			sock = a + 9;
		} else if (!strncmp(a, "-s", 2)) {
			sock = a + 2;
		} else {
			ctl_usage_error(ctl_format("unknown option %s", a));
		}
	}
	if (help) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (!nwords)
		ctl_usage_error(NULL);

	if (!strcmp(words[0], "raw")) {
		if (nwords < 3 || nwords > 4)
			ctl_usage_error(ctl_format("raw needs METHOD PATH [BODY]"));
		method = words[1];
		path = words[2];
		/* a request a command also makes gets that command's plain output */
		for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
			const struct ctl_cmd *c = &ctl_cmds[i];
			size_t plen = strlen(ctl_api_path[c->api]);

			if (!strcmp(ctl_api_method[c->api], method) &&
			    !strncmp(ctl_api_path[c->api], path, plen) && !strcmp(path + plen, c->query)) {
				print = c->print;
				break;
			}
		}
		if (nwords == 4) {
			body = json_loads(words[3], JSON_DECODE_ANY, &jerr);
			if (!body)
				ctl_usage_error(ctl_format("BODY is not JSON: %s", jerr.text));
		}
	} else {
		cmd = ctl_lookup(nwords, words, &ambiguous);
		/* A command whose path has a %s takes one argument after its words. */
		if (!cmd && !ambiguous && nwords > 1) {
			cmd = ctl_lookup(nwords - 1, words, &ambiguous);
			if (cmd && !strstr(cmd->query, "%s"))
				cmd = NULL;
			if (cmd)
				arg = words[--nwords];
		}
		if (cmd && strstr(cmd->query, "%s") && !arg)
			ctl_usage_error(ctl_format("%s %s %s needs an argument", cmd->kw[0], cmd->kw[1],
						   cmd->kw[2] ? cmd->kw[2] : ""));
		if (!cmd) {
			char *s = ctl_format("%s", words[0]);

			for (int i = 1; i < nwords; i++) {
				char *t = ctl_format("%s %s", s, words[i]);

				free(s);
				s = t;
			}
			ctl_usage_error(ctl_format("%s command: %s", ambiguous ? "ambiguous" : "unknown", s));
		}
		method = ctl_api_method[cmd->api];
		path_buf = ctl_format("%s%s", ctl_api_path[cmd->api], cmd->query);
		if (arg) {
			char *t = ctl_format(path_buf, arg);

			free(path_buf);
			path_buf = t;
		}
		path = path_buf;
		print = cmd->print;
	}

	req = ctl_build_request(method, path, body);
	json_decref(body);
	free(words);
	free(path_buf);
	rc = ctl_request(sock, req, &line, &len);
	free(req);
	if (rc)
		return CTL_EXIT_FAIL;

	if (json) {
		/* Unchanged, so scripts see exactly what the daemon said. */
		fwrite(line, 1, len, stdout);
		putchar('\n');
	}
	resp = json_loadb(line, len, 0, &jerr);
	status = json_object_get(resp, "status");
	if (!json_is_integer(status)) {
		ctl_warn("malformed response from %s: %s", sock,
			 resp ? "no integer \"status\"" : jerr.text);
		rc = CTL_EXIT_FAIL;
	} else if (json_integer_value(status) >= 400) {
		if (!json)
			ctl_warn("%s (status %" JSON_INTEGER_FORMAT ")",
				 ctl_get_str(resp, "error", "request failed"),
				 json_integer_value(status));
		rc = CTL_EXIT_FAIL;
	} else {
		if (!json)
			print(json_object_get(resp, "body"));
		rc = CTL_EXIT_OK;
	}
	json_decref(resp);
	free(line);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) || ferror(stdout)) {
		ctl_warn("cannot write output: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return rc;
}
