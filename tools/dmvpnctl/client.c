/* SPDX-License-Identifier: BSD-3-Clause */
/* dmvpnctl: the control socket client: connect, send one request line, read one response line, with a deadline. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tools/dmvpnctl/dmvpnctl.h"

static int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One deadline covers the whole exchange, so a daemon that trickles bytes still
 * cannot hold the client longer than the timeout. Returns 0 or -errno. */
static int ctl_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - ctl_now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0; /* errors and hang-ups show in the next send or recv */
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* Returns a connected, non-blocking socket, or -errno. */
static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CTL_TIMEOUT_MS / 1000};
	size_t len = strlen(path);
	int fd, err;

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Linux bounds a connect() that waits on a full backlog by the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN ? ETIMEDOUT : errno;
		close(fd);
		return -err;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int ctl_send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int err;

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = ctl_wait(fd, POLLOUT, deadline);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Reads up to the first newline, however the stream splits it. On success *line
 * is the NUL-terminated line without its newline. Returns 0, -errno or -CTL_ERR_*.
 */
static int ctl_recv_line(int fd, int64_t deadline, char **line, size_t *line_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL;
	int err = 0;

	while (!nl) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;

			if (ncap > CTL_RESPONSE_MAX)
				ncap = CTL_RESPONSE_MAX;
			if (ncap == cap) {
				err = -CTL_ERR_TOOBIG;
				break;
			}
			buf = ctl_check_alloc(realloc(buf, ncap + 1));
			cap = ncap;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n > 0) {
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			err = len ? -CTL_ERR_TRUNCATED : -CTL_ERR_NODATA;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			err = -errno;
			break;
		}
		err = ctl_wait(fd, POLLIN, deadline);
		if (err)
			break;
	}
	if (err) {
		free(buf);
		return err;
	}
	*nl = '\0';
	*line = buf;
	*line_len = (size_t)(nl - buf);
	return 0;
}

/* One request, one response line; reports its own failures. Returns 0 or -1. */
int ctl_request(const char *sock, const char *req, char **line, size_t *len)
{
	int64_t deadline = ctl_now_ms() + CTL_TIMEOUT_MS;
	int fd = ctl_connect(sock), err;

	if (fd < 0) {
		ctl_warn("cannot connect to %s: %s", sock, strerror(-fd));
		return -1;
	}
	err = ctl_send_all(fd, req, strlen(req), deadline);
	if (err) {
		ctl_warn("cannot send to %s: %s", sock, strerror(-err));
		close(fd);
		return -1;
	}
	err = ctl_recv_line(fd, deadline, line, len);
	close(fd);
	switch (-err) {
	case 0:
		return 0;
	case CTL_ERR_NODATA:
		ctl_warn("%s closed the connection without a response", sock);
		break;
	case CTL_ERR_TRUNCATED:
		ctl_warn("%s closed the connection in the middle of a response", sock);
		break;
	case CTL_ERR_TOOBIG:
		ctl_warn("response from %s is larger than %zu MiB", sock, CTL_RESPONSE_MAX >> 20);
		break;
	default:
		ctl_warn("no response from %s: %s", sock, strerror(-err));
		break;
	}
	return -1;
}

char *ctl_build_request(const char *method, const char *path, json_t *body)
{
	json_t *req = json_pack("{s:s,s:s}", "method", method, "path", path);
	char *s, *line;

	ctl_check_alloc(req);
	if (body)
		json_object_set(req, "body", body);
	/* Compact output never holds a raw newline, which would end the request early. */
	s = ctl_check_alloc(json_dumps(req, JSON_COMPACT));
	json_decref(req);
	line = ctl_format("%s\n", s);
	free(s);
	return line;
}
