/* SPDX-License-Identifier: BSD-3-Clause */
/* The control API: the socket, its request handlers, telemetry. */
#ifndef DMVPN_CONTROL_API_H
#define DMVPN_CONTROL_API_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct dp_stats;

/* ctl_socket.c / ctl_api.c */
int ctl_socket_init(struct app *a);
void ctl_socket_fini(struct app *a);
void ctl_socket_event(struct app *a, int fd, uint32_t events);
/* Closes clients idle longer than control.client_timeout (timer tick). */
void ctl_socket_tick(struct app *a);
/* Handle one request line; returns a malloc'd response line (no newline). */
char *ctl_api_handle(struct app *a, const char *line, size_t len);

/* telemetry.c */
void telemetry_init(struct app *a);
/* Sum of all workers' counters. */
void stats_sum(const struct app *a, struct dp_stats *out);

#endif
