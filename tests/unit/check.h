/* SPDX-License-Identifier: BSD-3-Clause */
/* Tiny unit-test harness: CHECK() counts failures; exact-length buffers for bounds tests. */
#ifndef DMVPN_TESTS_CHECK_H
#define DMVPN_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned check_run, check_failed;

/* Report a failed condition with file:line and keep going. */
#define CHECK(cond) CHECK_MSG(cond, "%s", "")

#define CHECK_MSG(cond, ...)                                                  \
	do {                                                                  \
		check_run++;                                                  \
		if (!(cond)) {                                                \
			check_failed++;                                       \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, \
				__LINE__, #cond);                             \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

/* Integer equality, printing both sides on failure. */
#define CHECK_INT(a, b)                                                      \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		CHECK_MSG(a_ == b_, "%lld != %lld", a_, b_);                 \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		CHECK_MSG(a_ && b_ && !strcmp(a_, b_), "\"%s\" != \"%s\"",   \
			  a_ ? a_ : "(null)", b_ ? b_ : "(null)");           \
	} while (0)

/* Summary line and exit status: 1 on any failure. */
static inline int check_done(const char *name)
{
	printf("%s: %u checks, %u failed\n", name, check_run, check_failed);
	return check_failed ? 1 : 0;
}

/*
 * A copy of src[0..len) (zeros when src is NULL) whose last byte sits right
 * before an inaccessible page, so an access past the end faults even
 * without ASan. Free with tbuf_free(). For ASan builds, also tbuf_malloc().
 */
struct tbuf {
	uint8_t *p;
	void *map;
	size_t maplen;
};

static inline struct tbuf tbuf_guarded(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + pg - 1) / pg;
	struct tbuf b = {0};

	if (data_pages == 0)
		data_pages = 1;
	b.maplen = (data_pages + 1) * pg;
	b.map = mmap(NULL, b.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b.map == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect((uint8_t *)b.map + data_pages * pg, pg, PROT_NONE)) {
		perror("mprotect");
		exit(2);
	}
	b.p = (uint8_t *)b.map + data_pages * pg - len;
	if (src && len)
		memcpy(b.p, src, len);
	return b;
}

static inline void tbuf_free(struct tbuf *b)
{
	munmap(b->map, b->maplen);
	b->p = NULL;
}

/* Exactly len bytes from malloc; ASan flags any read past them. */
static inline uint8_t *tbuf_malloc(const void *src, size_t len)
{
	uint8_t *p = malloc(len);

	if (!p && len) {
		perror("malloc");
		exit(2);
	}
	if (len)
		memcpy(p, src, len);
	return p;
}

/* Deterministic PRNG (xorshift32) so failures reproduce. */
static inline uint32_t check_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

#endif
