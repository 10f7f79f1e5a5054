/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK ports: find the configured devices, one RX and TX queue per worker, start them. */
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include "control/app.h"
#include "control/core/core.h"

/* The ethdev name of a device string: the part before the first comma. */
static void dev_name(const char *dev, char *name, size_t len)
{
	size_t n = strcspn(dev, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, dev, n);
	name[n] = 0;
}

static int port_setup(struct app *a, unsigned i)
{
	const struct cfg_port *cp = &a->cfg.ports[i];
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	uint16_t pid, nq = (uint16_t)a->n_workers;
	uint16_t rxd = (uint16_t)a->cfg.rx_desc, txd = (uint16_t)a->cfg.tx_desc;
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	dev_name(cp->device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &pid)) {
		LOG(a, "%s: port '%s': device '%s' not found", a->cfg.file, cp->name, name);
		return -1;
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc)
		return rc;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		LOG(a, "port '%s': %u workers need %u queues, device has %u/%u", cp->name,
		    a->n_workers, nq, info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (!rc)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	for (uint16_t q = 0; !rc && q < nq; q++) {
		unsigned sock = rte_lcore_to_socket_id(a->workers[q]->lcore);

		rc = rte_eth_rx_queue_setup(pid, q, rxd, sock, NULL, a->dp.pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(pid, q, txd, sock, NULL);
	}
	if (!rc)
		rc = rte_eth_dev_start(pid);
	if (rc) {
		LOG(a, "port '%s' (%s): setup failed: %s", cp->name, name, rte_strerror(-rc));
		return -1;
	}
	/* Best effort: not every PMD (af_packet) can change its MTU. */
	rte_eth_dev_set_mtu(pid, cp->mtu);
	rte_eth_macaddr_get(pid, &mac);
	memcpy(a->port_macs[i], mac.addr_bytes, 6);
	a->port_ids[i] = pid;
	return 0;
}

int ports_init(struct app *a)
{
	for (unsigned i = 0; i < a->cfg.n_ports; i++)
		if (port_setup(a, i))
			return -1;
	return 0;
}

void ports_fini(struct app *a)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid) {
		rte_eth_dev_stop(pid);
		rte_eth_dev_close(pid);
	}
}
