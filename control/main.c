/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnd: start-up, the control thread's event loop, and shutdown. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "control/app.h"
#include "control/api/api.h"
#include "control/core/core.h"
#include "control/ipsec/ike_glue.h"
#include "control/peer_events.h"

#define TICK_MS 200

static struct app the_app;

static void usage(FILE *f)
{
	fprintf(f, "usage: dmvpnd -c FILE [--check] [-v] [-- EAL arguments]\n"
		   "  -c, --config FILE  configuration (libconfig syntax)\n"
		   "      --check        validate the configuration and exit\n"
		   "  -v, --verbose      debug logging\n");
}

/* PCI addresses go to -a, everything else is a virtual device. */
static int is_pci(const char *dev)
{
	unsigned d, b, s, f;
	char tail;

	return sscanf(dev, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) >= 4 ||
	       sscanf(dev, "%x:%x.%x%c", &b, &s, &f, &tail) == 3;
}

static int eal_start(struct app *a, int extra_argc, char **extra_argv)
{
	char *argv[CFG_MAX_EAL_ARGS + 2 * CFG_MAX_PORTS + 64];
	int argc = 0, rc;

	argv[argc++] = (char *)"dmvpnd";
	for (unsigned i = 0; i < a->cfg.n_eal_args; i++)
		argv[argc++] = a->cfg.eal_args[i];
	for (unsigned i = 0; i < a->cfg.n_ports; i++) {
		argv[argc++] = (char *)(is_pci(a->cfg.ports[i].device) ? "-a" : "--vdev");
		argv[argc++] = a->cfg.ports[i].device;
	}
	for (int i = 0; i < extra_argc && argc < (int)(sizeof(argv) / sizeof(argv[0])) - 1; i++)
		argv[argc++] = extra_argv[i];
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "dmvpnd: EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int dataplane_init(struct app *a)
{
	struct dp_shared *dp = &a->dp;
	struct rte_rcu_qsbr *q;
	unsigned lcore, n = 0;
	size_t sz;

	a->n_workers = rte_lcore_count() - 1;
	if (a->n_workers == 0 || a->n_workers > DP_MAX_WORKERS) {
		LOG(a, "need 1..%d worker lcores besides the main one (EAL -l), have %u",
		    DP_MAX_WORKERS, a->n_workers);
		return -1;
	}
	a->mb = alloc_mb_mgr(0);
	if (!a->mb) {
		LOG(a, "cannot allocate an intel-ipsec-mb manager");
		return -1;
	}
	init_mb_mgr_auto(a->mb, NULL);
	dp->burst = a->cfg.burst;
	dp->idle_polls = a->cfg.idle_polls;
	dp->idle_sleep_us = a->cfg.idle_sleep_us;
	/* The private area (struct pkt_meta) a whole cache line, so that the
	 * data after the headroom starts on a line: a 16-byte area put it 16
	 * bytes into one, and a 64-byte frame then spanned two lines. */
	dp->pool = rte_pktmbuf_pool_create("mbufs", a->cfg.mbufs, 256,
					   RTE_ALIGN(sizeof(struct pkt_meta), RTE_CACHE_LINE_SIZE),
					   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!dp->pool) {
		LOG(a, "mbuf pool of %u: %s", a->cfg.mbufs, rte_strerror(rte_errno));
		return -1;
	}
	dp->punt = rte_ring_create("punt", 4096, (int)rte_socket_id(), RING_F_SC_DEQ);
	dp->punt_neigh_max = neigh_queue_limit(a);
	dp->punt_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sz = rte_rcu_qsbr_get_memsize(a->n_workers);
	q = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!dp->punt || dp->punt_efd < 0 || !q || rte_rcu_qsbr_init(q, a->n_workers)) {
		LOG(a, "cannot create punt ring or RCU state");
		return -1;
	}
	/* Peers: max_peers, and the mappings resolution requests teach apart. */
	if (tables_create(&dp->tables, "dp", q, a->cfg.max_routes, a->cfg.max_neighbors,
			  a->cfg.max_peers + nhrp_learned_max(a->cfg.max_peers))) {
		LOG(a, "cannot create forwarding tables: %s", rte_strerror(rte_errno));
		return -1;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct worker *w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
		char name[32];

		if (!w)
			return -1;
		snprintf(name, sizeof(name), "inject%u", n);
		w->inject = rte_ring_create(name, 4096, (int)rte_lcore_to_socket_id(lcore),
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!w->inject)
			return -1;
		w->mb = alloc_mb_mgr(0);
		if (!w->mb)
			return -1;
		init_mb_mgr_auto(w->mb, NULL);
		w->idx = n;
		w->lcore = lcore;
		w->dp = dp;
		a->workers[n++] = w;
	}
	return 0;
}

static void workers_start(struct app *a)
{
	for (unsigned i = 0; i < a->n_workers; i++)
		rte_eal_remote_launch(worker_main, a->workers[i], a->workers[i]->lcore);
}

static void workers_stop(struct app *a)
{
	for (unsigned i = 0; i < a->n_workers; i++)
		a->workers[i]->stop = 1;
	rte_eal_mp_wait_lcore();
}

static void signals_block(void)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int events_init(struct app *a)
{
	struct itimerspec its = {
		.it_interval = {0, TICK_MS * 1000000L},
		.it_value = {0, TICK_MS * 1000000L},
	};
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	a->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->timerfd < 0 || a->epfd < 0)
		return -1;
	timerfd_settime(a->timerfd, 0, &its, NULL);
	ev.data.fd = a->sigfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev);
	ev.data.fd = a->timerfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->timerfd, &ev);
	ev.data.fd = a->dp.punt_efd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->dp.punt_efd, &ev);
	return 0;
}

static void on_signal(struct app *a)
{
	struct signalfd_siginfo si;
	char err[512];

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (state_reload(a, err, sizeof(err)))
				LOG(a, "reload failed, configuration unchanged: %s", err);
			else
				LOG(a, "configuration reloaded");
		} else {
			a->quit = 1;
		}
	}
}

static void event_loop(struct app *a)
{
	struct epoll_event evs[32];

	while (!a->quit) {
		/* Punted packets left over: look at the other events, then go on. */
		int n = epoll_wait(a->epfd, evs, 32, rte_ring_empty(a->dp.punt) ? -1 : 0);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint64_t v;

			if (fd == a->sigfd) {
				on_signal(a);
			} else if (fd == a->timerfd) {
				if (read(fd, &v, sizeof(v)) < 0)
					continue;
				neigh_tick(a);
				nhrp_cache_tick(a);
				nhrp_nhs_tick(a);
				nhrp_resolve_tick(a);
				ike_glue_tick(a);
				ipsec_tick(a);
				ctl_socket_tick(a);
				tables_reclaim(&a->dp.tables);
			} else if (fd == a->dp.punt_efd) {
				if (read(fd, &v, sizeof(v)) < 0)
					continue;
				punt_drain(a);
			} else if (!kif_event(a, fd)) {
				ctl_socket_event(a, fd, evs[i].events);
			}
		}
		/* A burst may have arrived between the drain and the read. */
		if (!rte_ring_empty(a->dp.punt))
			punt_drain(a);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'C'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct app *a = &the_app;
	const char *file = NULL;
	int check = 0, o, rc = 1;
	char err[512];

	while ((o = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 'C': check = 1; break;
		case 'v': a->verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!file) {
		usage(stderr);
		return 2;
	}
	if (config_load(file, &a->cfg, err, sizeof(err))) {
		fprintf(stderr, "dmvpnd: %s\n", err);
		return 1;
	}
	a->cfg_path = file;
	if (check) {
		printf("%s: configuration OK (%u ports, %u tunnels, %u routes)\n", file,
		       a->cfg.n_ports, a->cfg.n_tunnels, a->cfg.n_routes);
		config_free(&a->cfg);
		return 0;
	}
	a->started = time(NULL);
	/* Block the signals we read from a signalfd before EAL starts its
	 * threads, so that they inherit the mask and none of them dies of it. */
	signals_block();
	if (eal_start(a, argc - optind, argv + optind))
		return 1;
	if (dataplane_init(a) || ports_init(a) || events_init(a))
		goto out;
	/* NHRP hears from IPsec of its peers' protection through this. */
	a->peer_listener = &nhrp_peer_listener;
	if (ipsec_check(a, &a->cfg, err, sizeof(err)) || state_apply(a, &a->cfg, err, sizeof(err))) {
		LOG(a, "%s", err);
		goto out;
	}
	if (ctl_socket_init(a) || kif_init(a))
		goto out;
	telemetry_init(a);
	workers_start(a);
	LOG(a, "ready: %u ports, %u tunnels, %u workers, control socket %s", a->cfg.n_ports,
	    a->cfg.n_tunnels, a->n_workers, a->cfg.socket_path);
	event_loop(a);
	LOG(a, "shutting down");
	/* Withdraw our registrations while the workers can still send. */
	nhrp_nhs_shutdown(a);
	/* IKE Deletes tell the peers; our SAs leave the dataplane with them. */
	ike_glue_fini(a);
	rte_delay_ms(50);
	workers_stop(a);
	rc = 0;
out:
	kif_fini(a);
	ctl_socket_fini(a);
	ike_glue_fini(a);
	ipsec_fini(a);
	ports_fini(a);
	rte_eal_cleanup();
	config_free(&a->cfg);
	return rc;
}
