/* SPDX-License-Identifier: BSD-3-Clause */
/* What app.h offers every room of the control thread: logging, the clock, growing its tables, random bytes. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/rand.h>

#include "control/app.h"

void app_log(struct app *a, int debug, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (debug && !a->verbose)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld dmvpnd: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t app_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int app_grow(void **arr, unsigned *cap, unsigned need, size_t esz)
{
	void *n;
	unsigned c;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	n = realloc(*arr, (size_t)c * esz);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

void app_random(struct app *a, void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) == 1)
		return;
	/* The kernel's generator, then: never predictable values. */
	LOG(a, "RAND_bytes failed, using getrandom");
	for (size_t off = 0; off < len;) {
		ssize_t n = getrandom((uint8_t *)buf + off, len - off, 0);

		if (n > 0)
			off += (size_t)n;
	}
}
