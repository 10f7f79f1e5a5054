/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcore loop: RX bursts, control injections, TX, RCU quiescent reports, idle back-off. */
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/dp.h"

int worker_main(void *arg)
{
	struct worker *w = arg;
	struct dp_shared *dp = w->dp;
	struct rte_rcu_qsbr *q = dp->tables.qsbr;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	struct tx_buf tb = {0};
	unsigned idle = 0, sleep_us = 1;
	uint16_t burst = (uint16_t)dp->burst;

	rte_rcu_qsbr_thread_register(q, w->idx);
	rte_rcu_qsbr_thread_online(q, w->idx);
	while (!w->stop) {
		/* One consistent view of the interfaces for this iteration. */
		const struct dp_conf *c = atomic_load_explicit(&dp->conf, memory_order_acquire);
		unsigned got = 0;
		uint16_t n;

		for (unsigned p = 0; p < c->n_ports; p++) {
			n = rte_eth_rx_burst(c->ports[p].port_id, (uint16_t)w->idx, pkts, burst);
			if (n) {
				dp_input(w, c, &tb, (uint8_t)p, pkts, n);
				dp_flush(w, c, &tb);
				got += n;
			}
		}
		n = (uint16_t)rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, burst, NULL);
		if (n) {
			dp_inject(w, c, &tb, pkts, n);
			dp_flush(w, c, &tb);
			got += n;
		}
		w->stats.loops++;
		rte_rcu_qsbr_quiescent(q, w->idx);
		if (got) {
			idle = 0;
			sleep_us = 1;
			continue;
		}
		if (!dp->idle_sleep_us || ++idle < dp->idle_polls) {
			rte_pause();
			continue;
		}
		/* Idle: sleep, doubling up to the configured bound, so several
		 * appliances can share a core. Offline while asleep so grace
		 * periods do not wait for us. */
		rte_rcu_qsbr_thread_offline(q, w->idx);
		usleep(sleep_us);
		rte_rcu_qsbr_thread_online(q, w->idx);
		w->stats.idle_sleeps++;
		if (sleep_us < dp->idle_sleep_us)
			sleep_us = sleep_us * 2 > dp->idle_sleep_us ? dp->idle_sleep_us : sleep_us * 2;
	}
	rte_rcu_qsbr_thread_offline(q, w->idx);
	rte_rcu_qsbr_thread_unregister(q, w->idx);
	return 0;
}
