/* SPDX-License-Identifier: BSD-3-Clause */
/* A tunnel's kernel interface: a TUN device for a routing daemon on the host, and multicast replication. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "control/app.h"
#include "control/core/core.h"
#include "lib/base/addr.h"
#include "lib/wire/ipv4.h"
#include "lib/base/u64map.h"

/* Packets read from one TUN per event: the rest wait for the next round of
 * the event loop (level-triggered), so a chatty daemon cannot starve NHRP. */
#define KIF_BUDGET 64
#define KIF_BUF 65536

static int sin_set(int s, const char *name, unsigned long req, uint32_t addr)
{
	struct ifreq ifr = {0};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = addr};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr) < 0 ? -errno : 0;
}

/* IPv6 on the TUN would only send router solicitations and MLD into an
 * IPv4 tunnel: best effort off (the sysctl may be absent). */
static void kif_ipv6_off(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0)
		(void)0;
	close(fd);
}

/* Create TUN device name with the tunnel's address/plen and MTU, up. */
static int kif_create(struct app *a, unsigned t)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	struct kif_state *k = &a->kif[t];
	struct epoll_event ev = {.events = EPOLLIN};
	struct ifreq ifr = {0};
	const char *step;
	int fd, s = -1, rc;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		step = "open /dev/net/tun";
		goto err;
	}
	/* No packet information header: each read and write is one IPv4 packet. */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ct->kif);
	step = "TUNSETIFF";
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto err_errno;
	kif_ipv6_off(ct->kif);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	step = "socket";
	if (s < 0)
		goto err_errno;
	step = "set address";
	if ((rc = sin_set(s, ct->kif, SIOCSIFADDR, ct->addr)))
		goto err;
	step = "set netmask";
	if ((rc = sin_set(s, ct->kif, SIOCSIFNETMASK, prefix_mask(ct->plen))))
		goto err;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ct->kif);
	ifr.ifr_mtu = ct->mtu;
	step = "set MTU";
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		goto err_errno;
	step = "get flags";
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto err_errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING | IFF_MULTICAST;
	step = "bring up";
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto err_errno;
	step = "get index";
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		goto err_errno;
	k->ifindex = ifr.ifr_ifindex;
	ev.data.fd = fd;
	step = "epoll";
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto err_errno;
	close(s);
	k->fd = fd;
	LOG(a, "tunnel '%s': kernel interface %s (index %d)", ct->name, ct->kif, k->ifindex);
	return 0;
err_errno:
	rc = -errno;
err:
	LOG(a, "tunnel '%s': kernel interface %s: %s: %s", ct->name, ct->kif, step, strerror(-rc));
	if (s >= 0)
		close(s);
	if (fd >= 0)
		close(fd);
	return rc;
}

int kif_init(struct app *a)
{
	int rc;

	a->kif_nl = -1;
	for (unsigned t = 0; t < CFG_MAX_TUNNELS; t++)
		a->kif[t].fd = -1;
	a->kif_ready = 1;
	for (unsigned t = 0; t < a->cfg.n_tunnels; t++)
		if (a->cfg.tunnels[t].kif[0] && (rc = kif_create(a, t)))
			return rc;
	return kif_routes_init(a);
}

void kif_fini(struct app *a)
{
	if (!a->kif_ready)
		return;
	for (unsigned t = 0; t < CFG_MAX_TUNNELS; t++)
		if (a->kif[t].fd >= 0) {
			/* Closing the last descriptor removes the device. */
			close(a->kif[t].fd);
			a->kif[t].fd = -1;
		}
	kif_routes_fini(a);
}

/* Write an IPv4 packet to tunnel t's TUN; m is consumed. */
static void kif_write(struct app *a, unsigned t, struct rte_mbuf *m, int multicast)
{
	struct kif_state *k = &a->kif[t];
	uint16_t len = rte_pktmbuf_data_len(m);

	if (k->fd < 0) {
		k->cnt.drop_down++;
	} else if (write(k->fd, rte_pktmbuf_mtod(m, void *), len) != (ssize_t)len) {
		/* EAGAIN: the host does not keep up; like a full NIC queue. */
		k->cnt.drop_write++;
	} else {
		k->cnt.to_kernel++;
		k->cnt.to_kernel_bytes += len;
		if (multicast)
			k->cnt.to_kernel_multicast++;
		else
			k->cnt.to_kernel_unicast++;
	}
	rte_pktmbuf_free(m);
}

static int is_group(const struct cfg_tunnel *ct, uint32_t dst)
{
	return ipv4_is_multicast(dst) || dst == 0xffffffff || dst == (ct->addr | ~prefix_mask(ct->plen));
}

void kif_punt(struct app *a, struct rte_mbuf *m)
{
	const struct ipv4_hdr *ih = rte_pktmbuf_mtod(m, const struct ipv4_hdr *);
	unsigned t = pkt_meta(m)->out_if;

	if (t >= a->cfg.n_tunnels) {
		rte_pktmbuf_free(m);
		return;
	}
	kif_write(a, t, m, is_group(&a->cfg.tunnels[t], ih->dst));
}

int kif_local_claim(struct app *a, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct ipv4_hdr *ih = (const void *)p;
	size_t hl = (size_t)(ih->ver_ihl & 0xf) * 4, len = rte_pktmbuf_data_len(m);

	if (ih->proto == IPPROTO_ICMP_) {
		/* Echo requests: the appliance answers for the address it
		 * shares with the kernel (once, not twice). */
		if (len > hl && p[hl] == ICMP_ECHO_REQUEST)
			return 0;
	} else if (ih->proto == IPPROTO_UDP_ && len >= hl + 4) {
		uint16_t dport = (uint16_t)(p[hl + 2] << 8 | p[hl + 3]);

		if (dport == 500 || dport == ESP_UDP_PORT)
			return 0; /* IKE is ours */
	}
	for (unsigned t = 0; t < a->cfg.n_tunnels; t++) {
		const struct cfg_tunnel *ct = &a->cfg.tunnels[t];

		if (a->kif[t].fd >= 0 && (ih->dst == ct->addr || is_group(ct, ih->dst))) {
			kif_write(a, t, m, ih->dst != ct->addr);
			return 1;
		}
	}
	return 0;
}

/* One GRE copy of pkt to nbma through tunnel t (protected like any tunnel
 * packet: the worker seals it when the tunnel has protection). */
static int kif_send_copy(struct app *a, unsigned t, uint32_t nbma, const uint8_t *pkt,
			 uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(a->dp.pool);
	uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;

	if (!d) {
		rte_pktmbuf_free(m);
		a->kif[t].cnt.drop_alloc++;
		return -ENOMEM;
	}
	memcpy(d, pkt, len);
	pkt_meta(m)->aux = nbma;
	if (app_inject(a, m, INJECT_GRE, (uint8_t)t)) {
		a->kif[t].cnt.drop_inject++;
		return -ENOBUFS;
	}
	a->kif[t].cnt.replicated++;
	return 0;
}

/* Each NBMA address once, whatever the number of reasons to send to it
 * (never our own): 1 when a copy went, else 0 (a count, not an error). */
static int kif_target(struct app *a, unsigned t, struct u64map *done, uint32_t nbma,
		      const uint8_t *pkt, uint16_t len)
{
	uint32_t v;

	if (!nbma || nbma == a->cfg.ports[a->cfg.tunnels[t].source].addr ||
	    u64map_get(done, nbma, &v) == 0)
		return 0;
	u64map_put(done, nbma, 1);
	return kif_send_copy(a, t, nbma, pkt, len) == 0;
}

unsigned kif_replicate(struct app *a, unsigned t, const uint8_t *pkt, uint16_t len)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	struct u64map done;
	unsigned n = 0;

	if (u64map_init(&done, 16)) {
		a->kif[t].cnt.drop_alloc++;
		return 0;
	}
	for (unsigned i = 0; i < ct->n_maps; i++)
		if (ct->maps[i].multicast)
			n += (unsigned)kif_target(a, t, &done, ct->maps[i].nbma, pkt, len);
	for (unsigned i = 0; ct->mc_nhs && i < ct->n_nhs; i++)
		n += (unsigned)kif_target(a, t, &done, ct->nhs[i].nbma, pkt, len);
	for (unsigned i = 0; i < ct->n_mc; i++)
		n += (unsigned)kif_target(a, t, &done, ct->mc_nbma[i], pkt, len);
	/* A hub: every spoke registered now, where its packets come from. */
	for (unsigned i = 0; ct->mc_dynamic && i < a->n_nhrp; i++) {
		const struct nhrp_entry *e = &a->nhrp[i];

		if (e->tunnel == t && e->type == NE_DYNAMIC)
			n += (unsigned)kif_target(a, t, &done, e->nbma, pkt, len);
	}
	u64map_fini(&done);
	return n;
}

/* One packet the host sent into tunnel t. */
static void kif_from_kernel(struct app *a, unsigned t, const uint8_t *p, size_t len)
{
	const struct cfg_tunnel *ct = &a->cfg.tunnels[t];
	struct kif_state *k = &a->kif[t];
	struct ipv4_info ii;
	struct rte_mbuf *m;
	uint8_t *d;

	k->cnt.from_kernel++;
	k->cnt.from_kernel_bytes += len;
	if (len < 1 || (p[0] >> 4) != 4) {
		k->cnt.drop_not_ipv4++;
		return;
	}
	if (ipv4_parse(p, len, &ii) || ii.total_len > ct->mtu) {
		k->cnt.drop_malformed++;
		return;
	}
	if (is_group(ct, ii.dst)) {
		k->cnt.from_kernel_multicast++;
		if (!kif_replicate(a, t, p, ii.total_len))
			k->cnt.drop_no_targets++;
		return;
	}
	/* Unicast is routed like any packet: through the tunnel with NHRP
	 * (resolved, or via the NHS meanwhile), or out of a port. */
	k->cnt.from_kernel_unicast++;
	m = rte_pktmbuf_alloc(a->dp.pool);
	d = m ? (uint8_t *)rte_pktmbuf_append(m, ii.total_len) : NULL;
	if (!d) {
		rte_pktmbuf_free(m);
		k->cnt.drop_alloc++;
		return;
	}
	memcpy(d, p, ii.total_len);
	if (app_inject(a, m, INJECT_L3, 0))
		k->cnt.drop_inject++;
}

int kif_event(struct app *a, int fd)
{
	static uint8_t buf[KIF_BUF];

	if (!a->kif_ready)
		return 0;
	if (fd == a->kif_nl) {
		kif_routes_event(a);
		return 1;
	}
	for (unsigned t = 0; t < a->cfg.n_tunnels; t++) {
		if (a->kif[t].fd != fd)
			continue;
		for (int i = 0; i < KIF_BUDGET; i++) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n < 0)
				break;
			kif_from_kernel(a, t, buf, (size_t)n);
		}
		return 1;
	}
	return 0;
}
