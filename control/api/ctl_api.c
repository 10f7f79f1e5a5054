/* SPDX-License-Identifier: BSD-3-Clause */
/* The control API: REST-like paths over the control socket, answered in JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <jansson.h>

#include "control/app.h"
#include "control/api/api.h"
#include "control/core/core.h"
#include "control/ipsec/ike_glue.h"
#include "lib/base/addr.h"
#include "lib/ctl/ctl_paths.h"
#include "lib/ctl/ctlreq.h"

struct resp {
	int status;
	json_t *body;
	char msg[640];
};

static void fail(struct resp *r, int status, const char *fmt, const char *arg)
{
	r->status = status;
	snprintf(r->msg, sizeof(r->msg), fmt, arg ? arg : "");
}

static json_t *jaddr(uint32_t a)
{
	char b[ADDR_STRLEN];

	return json_string(addr_fmt(a, b));
}

static json_t *jprefix(uint32_t a, uint8_t plen)
{
	char b[PREFIX_STRLEN];

	return json_string(prefix_fmt(a, plen, b));
}

static json_t *jmac(const uint8_t *mac)
{
	char b[MAC_STRLEN];

	return json_string(mac_fmt(mac, b));
}

static json_t *if_stats_json(const struct dp_if_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I}", "rx_packets", (json_int_t)s->rx_packets,
			 "rx_bytes", (json_int_t)s->rx_bytes, "tx_packets",
			 (json_int_t)s->tx_packets, "tx_bytes", (json_int_t)s->tx_bytes);
}

/* A tunnel's kernel interface as `show interfaces` lists it: rx is what
 * the host sent into the tunnel, tx what it was handed. */
static json_t *kif_json(const struct app *a, unsigned t)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	const struct kif_state *k = &a->kif[t];
	int up = a->kif_ready && k->fd >= 0;

	return json_pack("{s:s,s:s,s:s,s:o,s:i,s:s,s:i,s:I,s:I,s:I,s:I}", "name", ct->kif,
			 "kind", "kernel", "source", ct->name, "address",
			 jprefix(ct->addr, ct->plen), "mtu", ct->mtu, "link", up ? "up" : "down",
			 "ifindex", up ? k->ifindex : 0, "rx_packets",
			 (json_int_t)k->cnt.from_kernel, "rx_bytes",
			 (json_int_t)k->cnt.from_kernel_bytes, "tx_packets",
			 (json_int_t)k->cnt.to_kernel, "tx_bytes", (json_int_t)k->cnt.to_kernel_bytes);
}

static void get_interfaces(struct app *a, const struct ctlreq *q, struct resp *r)
{
	json_t *arr = json_array();
	struct dp_stats st;

	stats_sum(a, &st);
	for (unsigned i = 0; i < a->cfg.n_ports; i++) {
		const struct cfg_port *p = &a->cfg.ports[i];
		struct rte_eth_link link = {0};
		json_t *o;

		rte_eth_link_get_nowait(a->port_ids[i], &link);
		o = json_pack("{s:s,s:s,s:s,s:i,s:o,s:o,s:i,s:s,s:I}", "name", p->name, "kind",
			      "port", "device", p->device, "port_id", a->port_ids[i], "mac",
			      jmac(a->port_macs[i]), "address", jprefix(p->addr, p->plen), "mtu",
			      p->mtu, "link", link.link_status ? "up" : "down", "speed_mbps",
			      (json_int_t)link.link_speed);
		if (p->gateway)
			json_object_set_new(o, "gateway", jaddr(p->gateway));
		json_object_update_new(o, if_stats_json(&st.ifs[i]));
		json_array_append_new(arr, o);
	}
	for (unsigned i = 0; i < a->cfg.n_tunnels; i++) {
		const struct cfg_tunnel *t = &a->cfg.tunnels[i];
		json_t *o = json_pack("{s:s,s:s,s:o,s:s,s:o,s:i,s:i,s:I,s:I}", "name", t->name,
				      "kind", "mgre", "address", jprefix(t->addr, t->plen), "source",
				      a->cfg.ports[t->source].name, "key",
				      t->has_key ? json_integer(t->key) : json_null(), "mtu", t->mtu,
				      "ttl", t->ttl, "nhrp_network_id", (json_int_t)t->network_id,
				      "nhrp_holdtime", (json_int_t)t->holdtime);

		json_object_update_new(o, if_stats_json(&st.ifs[DP_IF_TUNNEL(i)]));
		if (t->kif[0])
			json_object_set_new(o, "kernel_interface", json_string(t->kif));
		json_array_append_new(arr, o);
	}
	for (unsigned i = 0; i < a->cfg.n_tunnels; i++)
		if (a->cfg.tunnels[i].kif[0])
			json_array_append_new(arr, kif_json(a, i));
	r->body = arr;
}

static const char *route_kind_name(uint8_t k)
{
	switch (k) {
	case RT_CONNECTED: return "connected";
	case RT_LOCAL: return "local";
	case RT_BROADCAST: return "broadcast";
	case RT_STATIC: return "static";
	case RT_DEFAULT: return "default";
	case RT_SHORTCUT: return "nhrp";
	case RT_KERNEL: return "kernel";
	default: return "?";
	}
}

static int route_cmp(const void *x, const void *y)
{
	const struct route_entry *a = x, *b = y;
	uint32_t pa = __builtin_bswap32(a->prefix), pb = __builtin_bswap32(b->prefix);

	if (pa != pb)
		return pa < pb ? -1 : 1;
	return (int)a->plen - (int)b->plen;
}

static void get_routes(struct app *a, const struct ctlreq *q, struct resp *r)
{
	struct route_entry *s = malloc(sizeof(*s) * (a->n_routes + 1));
	json_t *arr = json_array();

	if (s) {
		memcpy(s, a->routes, sizeof(*s) * a->n_routes);
		qsort(s, a->n_routes, sizeof(*s), route_cmp);
	}
	for (unsigned i = 0; s && i < a->n_routes; i++) {
		const struct route_entry *e = &s[i];
		const char *ifn = e->nh.kind == NH_BLACKHOLE ? "null" :
				  e->nh.kind == NH_TUNNEL ? state_ifname(a, DP_IF_TUNNEL(e->nh.ifidx)) :
				  state_ifname(a, e->nh.ifidx);

		json_array_append_new(arr, json_pack("{s:o,s:s,s:s,s:o}", "prefix",
						     jprefix(e->prefix, e->plen), "type",
						     route_kind_name(e->kind), "interface", ifn, "via",
						     e->nh.gw ? jaddr(e->nh.gw) : json_null()));
	}
	free(s);
	r->body = arr;
}

static void get_neighbors(struct app *a, const struct ctlreq *q, struct resp *r)
{
	uint64_t now = app_now_ms();
	json_t *arr = json_array();

	for (unsigned i = 0; i < a->n_neighs; i++) {
		const struct neigh_entry *n = &a->neighs[i];

		json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:s,s:I,s:i}", "interface",
			state_ifname(a, n->port), "address", jaddr(n->addr), "mac",
			n->state == NEIGH_INCOMPLETE ? json_null() : jmac(n->mac), "state",
			neigh_state_name(n->state), "age_s",
			(json_int_t)(n->updated_ms ? (now - n->updated_ms) / 1000 : 0),
			"queued", n->nq));
	}
	r->body = arr;
}

static json_t *nhrp_flags_json(const struct nhrp_entry *e)
{
	json_t *f = json_array();

	if (e->type == NE_NHS)
		json_array_append_new(f, json_string("nhs"));
	if (e->type == NE_DYNAMIC)
		json_array_append_new(f, json_string("registered"));
	if (e->type == NE_CACHED)
		json_array_append_new(f, json_string("learned"));
	if (e->by_request)
		json_array_append_new(f, json_string("request"));
	if (e->flags & NE_F_UNIQUE)
		json_array_append_new(f, json_string("unique"));
	if (e->flags & NE_F_NAT)
		json_array_append_new(f, json_string("nat"));
	if (e->flags & NE_F_ROUTE)
		json_array_append_new(f, json_string("rib"));
	return f;
}

static json_t *nhrp_entry_json(struct app *a, const struct nhrp_entry *e, time_t now)
{
	json_t *o = json_pack("{s:s,s:o,s:s,s:o,s:o,s:o,s:I,s:o}", "interface",
			      a->cfg.tunnels[e->tunnel].name, "protocol", jprefix(e->proto, e->plen),
			      "type", nhrp_entry_type_name(e->type), "nbma", jaddr(e->nbma),
			      "claimed_nbma", e->claimed_nbma ? jaddr(e->claimed_nbma) : json_null(),
			      "flags", nhrp_flags_json(e), "created", (json_int_t)e->created,
			      "expires_in", e->expires ? json_integer(e->expires - now) : json_null());

	if (e->type == NE_SHORTCUT)
		json_object_set_new(o, "via", jaddr(e->nexthop));
	return o;
}

static void get_nhrp_cache(struct app *a, const struct ctlreq *q, struct resp *r)
{
	time_t now = time(NULL);
	json_t *arr = json_array();

	for (unsigned i = 0; i < a->n_nhrp; i++)
		json_array_append_new(arr, nhrp_entry_json(a, &a->nhrp[i], now));
	r->body = arr;
}

static void get_nhrp_shortcut(struct app *a, const struct ctlreq *q, struct resp *r)
{
	time_t now = time(NULL);
	json_t *arr = json_array();

	for (unsigned i = 0; i < a->n_nhrp; i++) {
		const struct nhrp_entry *e = &a->nhrp[i];

		if (e->type == NE_SHORTCUT)
			json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:o,s:I,s:o}", "interface",
				a->cfg.tunnels[e->tunnel].name, "prefix", jprefix(e->proto, e->plen),
				"nexthop", jaddr(e->nexthop), "nbma", jaddr(e->nbma), "created",
				(json_int_t)e->created, "expires_in",
				e->expires ? json_integer(e->expires - now) : json_null()));
	}
	r->body = arr;
}

static void get_nhrp_nhs(struct app *a, const struct ctlreq *q, struct resp *r)
{
	uint64_t now = app_now_ms();
	json_t *arr = json_array();

	for (unsigned i = 0; i < a->nh.n_nhs; i++) {
		const struct nhs_state *h = &a->nh.nhs[i];

		json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:i,s:s,s:o,s:o,s:I,s:I,s:i,s:o}",
			"interface", a->cfg.tunnels[h->tunnel].name, "protocol", jaddr(h->proto),
			"nbma", jaddr(h->nbma), "priority", (int)h->priority, "state",
			nhrp_nhs_state_name(h->state), "last_reply_s",
			h->last_reply_ms ? json_integer((json_int_t)((now - h->last_reply_ms) / 1000)) :
					   json_null(),
			"up_s", h->state == NHS_UP ?
				json_integer((json_int_t)((now - h->up_since_ms) / 1000)) : json_null(),
			"registrations_sent", (json_int_t)h->sent, "replies", (json_int_t)h->replies,
			"last_code", h->last_code,
			"public_nbma", h->public_nbma ? jaddr(h->public_nbma) : json_null()));
		/* Random: to match a capture's reply to our last registration. */
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "request_id",
				    json_integer((json_int_t)h->reqid));
	}
	r->body = arr;
}

static void get_nhrp_resolution(struct app *a, const struct ctlreq *q, struct resp *r)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < a->nh.n_pending; i++) {
		const struct nhrp_pending *p = &a->nh.pending[i];

		json_array_append_new(arr, json_pack("{s:s,s:o,s:I,s:i,s:b}", "interface",
			a->cfg.tunnels[p->tunnel].name, "target", jaddr(p->target),
			"request_id", (json_int_t)p->reqid, "tries", (int)p->tries,
			"shortcut", (int)p->shortcut));
	}
	r->body = arr;
}

static void del_nhrp_cache(struct app *a, const struct ctlreq *q, struct resp *r)
{
	r->body = json_pack("{s:i}", "cleared", nhrp_cache_clear(a));
}

static struct ike_sa_info *ike_sas(const struct app *a, unsigned *n);
static json_t *ike_sa_json(const struct app *a, const struct ike_sa_info *s, uint64_t now);
static json_t *ike_counters_json(const struct app *a);

/* A peer's IKE and CHILD_SA in show dmvpn detail: null when IKE does not key it. */
static json_t *dmvpn_ike_json(const struct app *a, unsigned t, uint32_t nbma,
			      const struct ike_sa_info *v, unsigned n)
{
	static const char *const names[] = {"none", "connecting", "up"};
	int st;
	json_t *o;

	if (!ike_glue_wanted(a, t, nbma))
		return json_null();
	st = ike_glue_state(a, t, nbma);
	o = json_pack("{s:s}", "peer_state", st >= 0 && st <= IKE_PEER_UP ? names[st] : "?");
	for (unsigned i = 0; i < n; i++)
		if (v[i].tunnel == t && v[i].remote == nbma) {
			json_object_set_new(o, "sa", ike_sa_json(a, &v[i], app_now_ms()));
			return o;
		}
	json_object_set_new(o, "sa", json_null());
	return o;
}

/* show dmvpn: one row per peer (a tunnel address with a mapping), with
 * the shortcuts through it counted as its entries, as IOS does. */
static void get_dmvpn(struct app *a, const struct ctlreq *q, struct resp *r)
{
	int detail = ctlreq_query_bool(q, "detail", 0);
	time_t now = time(NULL);
	struct ike_sa_info *ikev = NULL;
	unsigned n_ike = 0;
	json_t *arr;

	if (detail < 0)
		return fail(r, 400, "bad value for 'detail': %s", ctlreq_query(q, "detail"));
	arr = json_array();
	if (detail == 1)
		ikev = ike_sas(a, &n_ike);
	for (unsigned t = 0; t < a->cfg.n_tunnels; t++) {
		const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
		json_t *peers = json_array(), *o;

		for (unsigned i = 0; i < a->n_nhrp; i++) {
			const struct nhrp_entry *e = &a->nhrp[i];
			const char *state = "UP";
			char attrs[16] = "";
			unsigned ents = 1;
			json_t *p;

			if (e->tunnel != t || e->type == NE_SHORTCUT)
				continue;
			for (unsigned j = 0; j < a->n_nhrp; j++)
				if (a->nhrp[j].type == NE_SHORTCUT && a->nhrp[j].tunnel == t &&
				    a->nhrp[j].nexthop == e->proto)
					ents++;
			if (e->type == NE_INCOMPLETE)
				state = "NHRP";
			else if (e->type == NE_NEGATIVE)
				state = "NHRP";
			for (unsigned j = 0; j < a->nh.n_nhs && e->type == NE_NHS; j++)
				if (a->nh.nhs[j].tunnel == t && a->nh.nhs[j].proto == e->proto)
					state = a->nh.nhs[j].state == NHS_UP ? "UP" :
						a->nh.nhs[j].state == NHS_IKE ? "IKE" : "NHRP";
			/* Resolved, but its SA is still coming (IOS says IKE too). */
			if (e->flags & NE_F_IKE_WAIT)
				state = "IKE";
			strcat(attrs, e->type == NE_STATIC || e->type == NE_NHS ? "S" :
				      e->type == NE_INCOMPLETE || e->type == NE_NEGATIVE ? "I" : "D");
			if (e->flags & NE_F_NAT)
				strcat(attrs, "N");
			if (ents > 1)
				strcat(attrs, "T1");
			p = json_pack("{s:o,s:o,s:s,s:I,s:s,s:i}", "nbma", jaddr(e->nbma), "tunnel",
				      jaddr(e->proto), "state", state, "updown_s",
				      (json_int_t)(now - e->created), "attributes", attrs, "entries",
				      (int)ents);
			if (detail == 1) {
				json_object_update_missing_new(p, nhrp_entry_json(a, e, now));
				json_object_set_new(p, "ike", dmvpn_ike_json(a, t, e->nbma, ikev, n_ike));
			}
			json_array_append_new(peers, p);
		}
		o = json_pack("{s:s,s:o,s:s,s:I,s:i,s:o}", "interface", ct->name, "address",
			      jprefix(ct->addr, ct->plen), "role", ct->n_nhs ? "spoke" : "hub",
			      "nhrp_network_id", (json_int_t)ct->network_id, "peer_count",
			      (int)json_array_size(peers), "peers", peers);
		if (detail == 1) {
			json_object_set_new(o, "source", json_string(a->cfg.ports[ct->source].name));
			json_object_set_new(o, "source_address", jaddr(a->cfg.ports[ct->source].addr));
			json_object_set_new(o, "key", ct->has_key ? json_integer(ct->key) : json_null());
			json_object_set_new(o, "mtu", json_integer(ct->mtu));
			json_object_set_new(o, "nhrp_holdtime", json_integer(ct->holdtime));
		}
		json_array_append_new(arr, o);
	}
	free(ikev);
	r->body = arr;
}

static json_t *nhrp_counters_json(const struct nhrp_counters *c)
{
	json_t *rx = json_object(), *tx = json_object(), *dr = json_object();

	for (unsigned t = 1; t <= NHRP_TRAFFIC_INDICATION; t++) {
		json_object_set_new(rx, nhrp_type_name(t), json_integer((json_int_t)c->rx[t]));
		json_object_set_new(tx, nhrp_type_name(t), json_integer((json_int_t)c->tx[t]));
	}
#define X(n) json_object_set_new(dr, #n, json_integer((json_int_t)c->n));
	NHRP_DROP_REASONS(X)
#undef X
	return json_pack("{s:o,s:o,s:o}", "received", rx, "sent", tx, "dropped", dr);
}

static json_t *drops_json(const uint64_t *d, int nonzero_only)
{
	json_t *o = json_object();

	for (unsigned i = 1; i < DROP__COUNT; i++)
		if (!nonzero_only || d[i])
			json_object_set_new(o, dmvpn_drop_name(i), json_integer((json_int_t)d[i]));
	return o;
}

static json_t *dp_totals_json(const struct dp_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "forwarded", (json_int_t)s->forwarded,
			 "gre_encap", (json_int_t)s->gre_encap, "gre_decap",
			 (json_int_t)s->gre_decap, "tunnel_hairpin", (json_int_t)s->tunnel_hairpin,
			 "punted", (json_int_t)s->punted, "injected", (json_int_t)s->injected);
}

static void get_counters(struct app *a, const struct ctlreq *q, struct resp *r)
{
	json_t *workers = json_array(), *ifs = json_object(), *ctl = json_object(), *o;
	json_t *kifs = NULL;
	struct dp_stats st;

	stats_sum(a, &st);
	for (unsigned i = 0; i < a->n_workers; i++) {
		const struct dp_stats *s = &a->workers[i]->stats;

		o = dp_totals_json(s);
		json_object_set_new(o, "index", json_integer(i));
		json_object_set_new(o, "lcore", json_integer(a->workers[i]->lcore));
		json_object_set_new(o, "loops", json_integer((json_int_t)s->loops));
		json_object_set_new(o, "idle_sleeps", json_integer((json_int_t)s->idle_sleeps));
		json_object_set_new(o, "drops", drops_json(s->drops, 1));
		json_array_append_new(workers, o);
	}
	for (unsigned i = 0; i < a->cfg.n_ports; i++) {
		struct rte_eth_stats hw = {0};

		rte_eth_stats_get(a->port_ids[i], &hw);
		o = if_stats_json(&st.ifs[i]);
		json_object_set_new(o, "hw", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "ipackets",
			(json_int_t)hw.ipackets, "opackets", (json_int_t)hw.opackets, "imissed",
			(json_int_t)hw.imissed, "ierrors", (json_int_t)hw.ierrors, "oerrors",
			(json_int_t)hw.oerrors, "rx_nombuf", (json_int_t)hw.rx_nombuf));
		json_object_set_new(ifs, a->cfg.ports[i].name, o);
	}
	for (unsigned i = 0; i < a->cfg.n_tunnels; i++)
		json_object_set_new(ifs, a->cfg.tunnels[i].name, if_stats_json(&st.ifs[DP_IF_TUNNEL(i)]));
#define X(n) json_object_set_new(ctl, #n, json_integer((json_int_t)a->cnt.n));
	CTL_COUNTERS(X)
#undef X
	o = dp_totals_json(&st);
	json_object_set_new(o, "uptime_s", json_integer(time(NULL) - a->started));
	/* Cycles per second of the TSC: tools/dmvpn-bench turns rates into cycles/packet. */
	json_object_set_new(o, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	json_object_set_new(o, "drops", drops_json(st.drops, 0));
	json_object_set_new(o, "interfaces", ifs);
	json_object_set_new(o, "control", ctl);
	/* Gauges of the neighbour table against its caps (neigh.c). */
	json_object_set_new(o, "arp", json_pack("{s:I,s:I,s:I,s:I,s:I}",
		"entries", (json_int_t)a->n_neighs, "incomplete", (json_int_t)a->n_neigh_incomplete,
		"incomplete_limit", (json_int_t)neigh_incomplete_limit(a),
		"queued", (json_int_t)a->n_neigh_queued,
		"queued_limit", (json_int_t)neigh_queue_limit(a)));
	json_object_set_new(o, "nhrp", nhrp_counters_json(&a->nh.cnt));
	json_object_set_new(o, "ike", ike_counters_json(a));
	for (unsigned i = 0; i < a->cfg.n_tunnels; i++) {
		const struct kif_counters *kc = &a->kif[i].cnt;
		json_t *k;

		if (!a->cfg.tunnels[i].kif[0])
			continue;
		if (!kifs)
			kifs = json_object();
		k = json_object();
#define X(n) json_object_set_new(k, #n, json_integer((json_int_t)kc->n));
		KIF_COUNTERS(X)
#undef X
		json_object_set_new(kifs, a->cfg.tunnels[i].kif, k);
	}
	if (kifs)
		json_object_set_new(o, "kernel_interfaces", kifs);
	json_object_set_new(o, "workers", workers);
	r->body = o;
}

static void post_reload(struct app *a, const struct ctlreq *q, struct resp *r)
{
	char err[512];

	if (state_reload(a, err, sizeof(err)))
		return fail(r, 422, "%s", err);
	LOG(a, "configuration reloaded (control socket)");
	r->body = json_pack("{s:b,s:s}", "reloaded", 1, "file", a->cfg_path);
}

static void get_ipsec_sa(struct app *a, const struct ctlreq *q, struct resp *r)
{
	time_t now = time(NULL);
	json_t *arr = json_array();

	for (unsigned i = 0; i < a->n_sas; i++) {
		const struct ipsec_sa_entry *e = &a->sas[i];
		const struct cfg_sa *p = &e->params;
		char spi_in[12], spi_out[12];
		json_t *o;

		snprintf(spi_in, sizeof(spi_in), "%08x", p->in.spi);
		snprintf(spi_out, sizeof(spi_out), "%08x", p->out.spi);
		o = json_pack(
			"{s:s,s:o,s:s,s:s,s:s,s:b,s:i,s:s,s:s,s:I,s:s,"
			"s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I},s:{s:I,s:I,s:I}}",
			"interface", a->cfg.tunnels[p->tunnel].name, "peer", jaddr(p->peer),
			"mode", p->mode == CFG_SA_TUNNEL ? "tunnel" : "transport",
			"encapsulation", p->udp ? "udp" : "none",
			"algorithm", esp_alg_name((enum esp_alg)p->alg), "esn", p->esn,
			"replay_window", (int)p->replay_window, "spi_in", spi_in, "spi_out", spi_out,
			"installed_s", (json_int_t)(now - e->installed),
			"state", e->out->expired ? "expired" : e->soft_reported ? "rekey-needed" : "installed",
			"in", "packets", (json_int_t)e->in->packets, "bytes", (json_int_t)e->in->bytes,
			"errors", (json_int_t)e->in->errors, "replay_top", (json_int_t)e->in->replay.top,
			"out", "packets", (json_int_t)sa_rt_out_packets(e->out),
			"bytes", (json_int_t)sa_rt_out_bytes(e->out),
			"seq", (json_int_t)e->out->seq,
			"lifetime", "bytes", (json_int_t)p->life_bytes, "packets",
			(json_int_t)p->life_packets, "seconds", (json_int_t)p->life_seconds);
		/* Who made it: the ipsec section, or IKEv2 (which rekeys it). */
		json_object_set_new(o, "keying", json_string(e->ike ? "ike" : "static"));
		/* Tunnel mode across a NAT: the selectors the inner header carries. */
		if (p->inner_local || p->inner_remote) {
			/* null: the outer address, as without them */
			json_object_set_new(o, "inner_local",
					    p->inner_local ? jaddr(p->inner_local) : json_null());
			json_object_set_new(o, "inner_remote",
					    p->inner_remote ? jaddr(p->inner_remote) : json_null());
		}
		json_array_append_new(arr, o);
	}
	r->body = arr;
}

/* ---- IKEv2 ---- */

static const char *cfg_mode_name(uint8_t mode)
{
	return mode == CFG_SA_TUNNEL ? "tunnel" : "transport";
}

static json_t *jseconds(uint64_t ms)
{
	return ms == UINT64_MAX ? json_null() : json_integer((json_int_t)(ms / 1000));
}

/* One IKE SA with its CHILD_SA, as swanctl --list-sas tells them. */
static json_t *ike_sa_json(const struct app *a, const struct ike_sa_info *s, uint64_t now)
{
	char spi_i[20], spi_r[20], c_in[12], c_out[12];
	json_t *o, *child;

	snprintf(spi_i, sizeof(spi_i), "%016llx", (unsigned long long)s->spi_i);
	snprintf(spi_r, sizeof(spi_r), "%016llx", (unsigned long long)s->spi_r);
	o = json_pack("{s:s,s:s,s:s,s:o,s:i,s:o,s:i,s:s,s:s,s:s,s:b,s:s,s:s,s:b,s:b}",
		      "interface", state_ifname(a, DP_IF_TUNNEL(s->tunnel)), "connection", s->conn,
		      "state", s->state ? s->state : "?", "local", jaddr(s->local), "local_port",
		      s->lport, "remote", jaddr(s->remote), "remote_port", s->rport, "local_id",
		      s->local_id, "remote_id", s->remote_id, "proposal", s->suite, "initiator",
		      s->initiator, "spi_i", spi_i, "spi_r", spi_r, "nat_local", s->nat_local,
		      "nat_remote", s->nat_remote);
	json_object_set_new(o, "established_s", s->established_ms && now >= s->established_ms ?
			    json_integer((json_int_t)((now - s->established_ms) / 1000)) : json_null());
	json_object_set_new(o, "rekey_in_s", s->established_ms ? jseconds(s->rekey_in_ms) : json_null());
	json_object_set_new(o, "dpd_idle_s", s->established_ms ? jseconds(s->dpd_idle_ms) : json_null());
	if (!s->child_up) {
		json_object_set_new(o, "child", json_null());
		return o;
	}
	snprintf(c_in, sizeof(c_in), "%08x", s->child_spi_in);
	snprintf(c_out, sizeof(c_out), "%08x", s->child_spi_out);
	child = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "proposal", s->child_suite, "mode",
			  cfg_mode_name(s->child_mode), "encapsulation", s->child_encap ? "udp" : "none",
			  "spi_in", c_in, "spi_out", c_out, "rekey_in_s", jseconds(s->child_rekey_in_ms));
	/* GRE between these two: across a NAT the peer's is its own address. */
	json_object_set_new(child, "ts_local", s->child_ts_local ? jaddr(s->child_ts_local) : json_null());
	json_object_set_new(child, "ts_remote", s->child_ts_remote ? jaddr(s->child_ts_remote) : json_null());
	json_object_set_new(o, "child", child);
	return o;
}

/* All IKE SAs: malloc'd, *n of them (NULL without IKE). */
static struct ike_sa_info *ike_sas(const struct app *a, unsigned *n)
{
	struct ike_sa_info *v;
	unsigned cap = 64;

	*n = 0;
	if (!a->ike)
		return NULL;
	for (;;) {
		v = malloc(sizeof(*v) * cap);
		if (!v)
			return NULL;
		*n = ike_sa_list(a->ike, v, cap);
		if (*n <= cap)
			return v;
		free(v);
		cap = *n;
	}
}

static void get_ike_sa(struct app *a, const struct ctlreq *q, struct resp *r)
{
	uint64_t now = app_now_ms();
	unsigned n;
	struct ike_sa_info *v = ike_sas(a, &n);
	json_t *arr = json_array();

	for (unsigned i = 0; v && i < n; i++)
		json_array_append_new(arr, ike_sa_json(a, &v[i], now));
	free(v);
	r->body = arr;
}

/* swanctl --terminate: DELETE /v1/ike/sa?peer=NBMA[&interface=TUNNEL]. */
static void del_ike_sa(struct app *a, const struct ctlreq *q, struct resp *r)
{
	const char *peer = ctlreq_query(q, "peer"), *ifn = ctlreq_query(q, "interface");
	unsigned done = 0;
	uint32_t addr;

	if (!peer)
		return fail(r, 400, "%s", "which IKE SA: give ?peer=ADDRESS");
	if (addr_parse(peer, &addr))
		return fail(r, 400, "'%s' is not an IPv4 address", peer);
	if (ifn && (config_port_index(&a->cfg, ifn) < CFG_MAX_PORTS))
		return fail(r, 400, "'%s' is not a tunnel", ifn);
	for (unsigned t = 0; a->ike && t < a->cfg.n_tunnels; t++) {
		if (ifn && strcmp(a->cfg.tunnels[t].name, ifn))
			continue;
		if (ike_peer_state(a->ike, t, addr) == IKE_PEER_NONE)
			continue;
		ike_disconnect(a->ike, t, addr);
		done++;
	}
	if (!done)
		return fail(r, 404, "no IKE SA with %s", peer);
	r->body = json_pack("{s:i}", "terminated", (int)done);
}

static json_t *ike_counters_json(const struct app *a)
{
	static const struct ike_counters none;
	const struct ike_counters *c = a->ike ? ike_engine_counters(a->ike) : &none;
	const struct ike_glue_counters *g = ike_glue_counters(a);
	json_t *o = json_object();

#define X(n) json_object_set_new(o, #n, json_integer((json_int_t)c->n));
	IKE_COUNTERS(X)
#undef X
#define X(n) json_object_set_new(o, #n, json_integer((json_int_t)g->n));
	IKE_GLUE_COUNTERS(X)
#undef X
	return o;
}

typedef void ctl_handler(struct app *, const struct ctlreq *, struct resp *);

/* Every request of lib/ctl/ctl_paths.h has its handler here. */
static ctl_handler *const api_fn[CTL_API_N] = {
	[CTL_API_INTERFACES] = get_interfaces,
	[CTL_API_ROUTES] = get_routes,
	[CTL_API_NEIGHBORS] = get_neighbors,
	[CTL_API_NHRP_CACHE] = get_nhrp_cache,
	[CTL_API_NHRP_CACHE_CLEAR] = del_nhrp_cache,
	[CTL_API_NHRP_NHS] = get_nhrp_nhs,
	[CTL_API_NHRP_SHORTCUT] = get_nhrp_shortcut,
	[CTL_API_NHRP_RESOLUTION] = get_nhrp_resolution,
	[CTL_API_IKE_SA] = get_ike_sa,
	[CTL_API_IKE_SA_DELETE] = del_ike_sa,
	[CTL_API_IPSEC_SA] = get_ipsec_sa,
	[CTL_API_DMVPN] = get_dmvpn,
	[CTL_API_COUNTERS] = get_counters,
	[CTL_API_RELOAD] = post_reload,
};

static const struct route {
	int method;
	const char *path;
} api[CTL_API_N] = {
#define X(name, method, path) [CTL_API_##name] = {CTL_##method, path},
	CTL_API_PATHS(X)
#undef X
};

char *ctl_api_handle(struct app *a, const char *line, size_t len)
{
	struct resp r = {.status = 200};
	struct ctlreq q;
	json_t *out;
	char *s;
	int path_known = 0;

	a->cnt.ctl_requests++;
	r.status = ctlreq_parse(line, len, &q, r.msg, sizeof(r.msg));
	if (!r.status) {
		r.status = 200;
		for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
			if (strcmp(api[i].path, q.path))
				continue;
			path_known = 1;
			if (api[i].method == q.method && q.body) {
				/* No path takes a body yet: say so rather than ignore it. */
				fail(&r, 400, "%s takes no request body", q.path);
				break;
			}
			if (api[i].method == q.method) {
				api_fn[i](a, &q, &r);
				break;
			}
		}
		if (!path_known)
			fail(&r, 404, "no such path: %s", q.path);
		else if (r.status == 200 && !r.body)
			fail(&r, 405, "method not allowed on %s", q.path);
		DBG(a, "ctl %s %s -> %d", ctlreq_method_name(q.method), q.path, r.status);
		ctlreq_free(&q);
	}
	if (r.status >= 400) {
		a->cnt.ctl_errors++;
		json_decref(r.body);
		out = json_pack("{s:i,s:s}", "status", r.status, "error", r.msg);
	} else {
		out = json_pack("{s:i,s:o}", "status", r.status, "body", r.body ? r.body : json_null());
	}
	s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}
