/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket: a unix stream socket carrying newline-delimited JSON. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/app.h"
#include "control/api/api.h"
#include "lib/ctl/ctlreq.h"

/*
 * Clients are served by the control thread, which also runs NHRP, IKE, ARP and
 * the timers: nothing here may wait for a client. Writes are non-blocking; what
 * the socket does not take waits in the client's output buffer, flushed on
 * EPOLLOUT, and the client's next request is handled only once its previous
 * response is out. Each event handles at most one request of a client, so one
 * that pipelines many, or does not read, costs one response at a time and the
 * others are served in between. Limits, each counted: a response over
 * CTL_OUT_MAX (what dmvpnctl takes) closes the client (ctl_output_overflow); a
 * client without activity (a whole request, or its output drained) for
 * control.client_timeout seconds is closed (ctl_clients_timed_out), so a line
 * that never ends or a response nobody reads does not hold a slot; and when all
 * CTL_MAX_CLIENTS slots are taken, a new client evicts the one idle longest
 * (ctl_clients_evicted), so that an operator can always get in.
 */
#define CTL_MAX_CLIENTS 64
#define CTL_OUT_MAX ((size_t)64 << 20)

struct ctl_client {
	int fd;
	int closing;           /* read no more: EOF or a 413; close once served */
	uint32_t events;       /* the epoll interest set now */
	uint64_t active_ms;    /* connect, last whole request, or output drained */
	char *out;             /* response bytes the socket has not taken yet */
	size_t out_off, out_len, out_cap;
	size_t len;            /* bytes in buf: requests not handled yet */
	char buf[CTL_LINE_MAX + 1];
	struct ctl_client *next;
};

static int mkdir_p(const char *dir)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

int ctl_socket_init(struct app *a)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	char dir[sizeof(sa.sun_path)];
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->cfg.socket_path);
	snprintf(dir, sizeof(dir), "%s", a->cfg.socket_path);
	if (mkdir_p(dirname(dir))) {
		LOG(a, "control socket directory for %s: %s", a->cfg.socket_path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* A socket someone still answers on belongs to a running instance. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		LOG(a, "control socket %s is in use: is another dmvpnd running?", sa.sun_path);
		close(fd);
		return -1;
	}
	unlink(sa.sun_path);
	/* Create it with the final mode: no window where it is wider. */
	mode_t old = umask(0777 & ~a->cfg.socket_mode);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	umask(old);
	if (rc || chmod(sa.sun_path, a->cfg.socket_mode) || listen(fd, 16)) {
		LOG(a, "control socket %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	a->listenfd = fd;
	ev.data.fd = fd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void client_close(struct app *a, struct ctl_client *c)
{
	struct ctl_client **pp;

	for (pp = &a->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
}

void ctl_socket_fini(struct app *a)
{
	while (a->clients)
		client_close(a, a->clients);
	if (a->listenfd > 0) {
		close(a->listenfd);
		unlink(a->cfg.socket_path);
		a->listenfd = -1;
	}
}

static size_t client_pending(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

/* Writes what the socket takes of s; returns the bytes written or -errno. */
static ssize_t client_write(struct ctl_client *c, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

/* Flushes the output buffer as far as the socket takes it. 0 or -errno. */
static int client_flush(struct ctl_client *c)
{
	ssize_t n;

	if (!client_pending(c))
		return 0;
	n = client_write(c, c->out + c->out_off, client_pending(c));
	if (n < 0)
		return (int)n;
	c->out_off += (size_t)n;
	if (!client_pending(c)) {
		c->out_off = c->out_len = 0;
		c->active_ms = app_now_ms();
	}
	return 0;
}

/* Sends s, or queues what the socket does not take now. 0 or -errno. */
static int client_queue(struct ctl_client *c, const char *s, size_t len)
{
	if (!client_pending(c)) {
		ssize_t n = client_write(c, s, len);

		if (n < 0)
			return (int)n;
		s += n;
		len -= (size_t)n;
		c->out_off = c->out_len = 0;
		if (!len)
			return 0;
	}
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, client_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 65536;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out_len += len;
	return 0;
}

/* Sends one response line. 0, or -errno when the client is to be closed. */
static int client_respond(struct app *a, struct ctl_client *c, const char *resp)
{
	size_t len = strlen(resp);
	int rc;

	if (len >= CTL_OUT_MAX) {
		a->cnt.ctl_output_overflow++;
		return -ENOBUFS;
	}
	rc = client_queue(c, resp, len);
	if (!rc)
		rc = client_queue(c, "\n", 1);
	if (rc == -ENOMEM)
		a->cnt.ctl_output_overflow++;
	if (rc)
		return rc;
	/* An output buffer grown for one large response is not kept idle. */
	if (!client_pending(c) && c->out_cap > 65536) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

static struct ctl_client *client_idlest(struct app *a)
{
	struct ctl_client *idlest = a->clients;

	for (struct ctl_client *c = a->clients; c; c = c->next)
		if (c->active_ms < idlest->active_ms)
			idlest = c;
	return idlest;
}

static void client_accept(struct app *a)
{
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned n = 0;

	for (struct ctl_client *c = a->clients; c; c = c->next)
		n++;
	for (;;) {
		int fd = accept4(a->listenfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *c;

		if (fd < 0)
			return;
		if (!(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		if (n >= CTL_MAX_CLIENTS) {
			client_close(a, client_idlest(a));
			a->cnt.ctl_clients_evicted++;
			n--;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		c->active_ms = app_now_ms();
		c->next = a->clients;
		a->clients = c;
		n++;
		ev.data.fd = fd;
		epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

static int client_has_request(const struct ctl_client *c)
{
	return memchr(c->buf, '\n', c->len) != NULL;
}

/* One read, so that a client that keeps writing cannot keep the thread:
 * level-triggered epoll comes back for the rest. 0 or -errno. */
static int client_recv(struct ctl_client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, CTL_LINE_MAX + 1 - c->len, 0);

	/* A client that shuts its side after the request (socat, nc -N) still
	 * gets the answer: close once it is served. */
	if (n == 0) {
		c->closing = 1;
		return 0;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->len += (size_t)n;
	return 0;
}

/* Handles the first whole request in buf, if there is one. 0 or -errno. */
static int client_serve(struct app *a, struct ctl_client *c)
{
	char *nl = memchr(c->buf, '\n', c->len), *resp;
	size_t ll;
	int rc;

	if (!nl) {
		if (c->len <= CTL_LINE_MAX || c->closing)
			return 0;
		c->closing = 1;
		c->len = 0;
		return client_respond(a, c, "{\"status\":413,\"error\":\"request line too long\"}");
	}
	ll = (size_t)(nl - c->buf);
	resp = ctl_api_handle(a, c->buf, ll);
	rc = resp ? client_respond(a, c, resp) : -ENOMEM;
	free(resp);
	memmove(c->buf, nl + 1, c->len - ll - 1);
	c->len -= ll + 1;
	c->active_ms = app_now_ms();
	return rc;
}

/* Reads while no request waits and buf has room (a full one is a 413 once
 * the output is out); EPOLLOUT while output or a request waits (a writable
 * socket then brings the next request round at once). */
static void client_watch(struct app *a, struct ctl_client *c)
{
	struct epoll_event ev = {.data.fd = c->fd};
	int req = client_has_request(c), in = !c->closing && !req && c->len <= CTL_LINE_MAX;

	ev.events = (in ? EPOLLIN : 0) | (client_pending(c) || req ? EPOLLOUT : 0);
	if (ev.events == c->events)
		return;
	c->events = ev.events;
	epoll_ctl(a->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

void ctl_socket_event(struct app *a, int fd, uint32_t events)
{
	struct ctl_client *c;
	int rc = 0;

	if (fd == a->listenfd) {
		client_accept(a);
		return;
	}
	for (c = a->clients; c && c->fd != fd; c = c->next)
		;
	if (!c)
		return;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		rc = client_flush(c);
	if (!rc && !c->closing && !client_has_request(c) && c->len <= CTL_LINE_MAX &&
	    (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		rc = client_recv(c);
	if (!rc && !client_pending(c))
		rc = client_serve(a, c);
	if (rc || (c->closing && !client_pending(c) && !client_has_request(c))) {
		client_close(a, c);
		return;
	}
	client_watch(a, c);
}

void ctl_socket_tick(struct app *a)
{
	uint64_t now = app_now_ms(), limit = (uint64_t)a->cfg.client_timeout * 1000;
	struct ctl_client *c = a->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (now - c->active_ms > limit) {
			client_close(a, c);
			a->cnt.ctl_clients_timed_out++;
		}
	}
}
