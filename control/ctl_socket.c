/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket: a unix stream socket carrying newline-delimited JSON. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/app.h"
#include "lib/ctlreq.h"

#define CTL_MAX_CLIENTS 64

struct ctl_client {
	int fd;
	size_t len;
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

/* Responses are small next to the socket buffer; a client that does not
 * read is dropped rather than allowed to block the control thread. */
static int client_send(struct ctl_client *c, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};

			/* Wait for a slow reader, but only so long. */
			if (errno != EAGAIN || poll(&pfd, 1, 1000) != 1)
				return -1;
			continue;
		}
		off += (size_t)n;
	}
	return send(c->fd, "\n", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
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
		if (n >= CTL_MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->next = a->clients;
		a->clients = c;
		n++;
		ev.data.fd = fd;
		epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void client_read(struct app *a, struct ctl_client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, CTL_LINE_MAX + 1 - c->len, 0);
		char *nl;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(a, c);
			return;
		}
		if (n < 0)
			return;
		c->len += (size_t)n;
		while ((nl = memchr(c->buf, '\n', c->len))) {
			size_t ll = (size_t)(nl - c->buf);
			char *resp = ctl_api_handle(a, c->buf, ll);
			int rc = resp ? client_send(c, resp) : -1;

			free(resp);
			if (rc) {
				client_close(a, c);
				return;
			}
			memmove(c->buf, nl + 1, c->len - ll - 1);
			c->len -= ll + 1;
		}
		if (c->len > CTL_LINE_MAX) {
			client_send(c, "{\"status\":413,\"error\":\"request line too long\"}");
			client_close(a, c);
			return;
		}
	}
}

void ctl_socket_event(struct app *a, int fd, uint32_t events)
{
	if (fd == a->listenfd) {
		client_accept(a);
		return;
	}
	for (struct ctl_client *c = a->clients; c; c = c->next)
		if (c->fd == fd) {
			client_read(a, c);
			return;
		}
}
