/* SPDX-License-Identifier: BSD-3-Clause */
/* Read-only counters in DPDK telemetry (dpdk-telemetry.py: /dmvpn/counters, /dmvpn/drops). */
#include <string.h>

#include <rte_telemetry.h>

#include "control/app.h"
#include "control/api/api.h"

static struct app *tel_app;

void stats_sum(const struct app *a, struct dp_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned w = 0; w < a->n_workers; w++) {
		const struct dp_stats *s = &a->workers[w]->stats;

		for (unsigned i = 0; i < CFG_MAX_PORTS + CFG_MAX_TUNNELS; i++) {
			out->ifs[i].rx_packets += s->ifs[i].rx_packets;
			out->ifs[i].rx_bytes += s->ifs[i].rx_bytes;
			out->ifs[i].tx_packets += s->ifs[i].tx_packets;
			out->ifs[i].tx_bytes += s->ifs[i].tx_bytes;
		}
		out->forwarded += s->forwarded;
		out->gre_encap += s->gre_encap;
		out->gre_decap += s->gre_decap;
		out->tunnel_hairpin += s->tunnel_hairpin;
		out->punted += s->punted;
		out->injected += s->injected;
		for (unsigned i = 0; i < DROP__COUNT; i++)
			out->drops[i] += s->drops[i];
		out->loops += s->loops;
		out->idle_sleeps += s->idle_sleeps;
	}
}

/* Runs on DPDK's telemetry thread: reads counters racily, as a reader of
 * per-lcore statistics may. */
static int tel_counters(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_stats s;

	stats_sum(tel_app, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "forwarded", s.forwarded);
	rte_tel_data_add_dict_u64(d, "gre_encap", s.gre_encap);
	rte_tel_data_add_dict_u64(d, "gre_decap", s.gre_decap);
	rte_tel_data_add_dict_u64(d, "tunnel_hairpin", s.tunnel_hairpin);
	rte_tel_data_add_dict_u64(d, "punted", s.punted);
	rte_tel_data_add_dict_u64(d, "injected", s.injected);
	return 0;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_stats s;

	stats_sum(tel_app, &s);
	rte_tel_data_start_dict(d);
	for (unsigned i = 1; i < DROP__COUNT; i++)
		rte_tel_data_add_dict_u64(d, dmvpn_drop_name(i), s.drops[i]);
	return 0;
}

void telemetry_init(struct app *a)
{
	tel_app = a;
	rte_telemetry_register_cmd("/dmvpn/counters", tel_counters,
				   "dmvpn dataplane totals. Takes no parameters");
	rte_telemetry_register_cmd("/dmvpn/drops", tel_drops,
				   "dmvpn drops by reason. Takes no parameters");
}
