/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/esp/replay: RFC 4303 3.4.3 window semantics, RFC 6479 ring clearing, ESN inference (A2). */
#include <errno.h>

#include "lib/esp/replay.h"
#include "check.h"

static const uint32_t sizes[] = {64, 128, 1024, 4096};
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static void test_init(void)
{
	static const struct {
		uint32_t ask;
		int rc;
		uint32_t size, words;
	} t[] = {
		{0, -EINVAL}, {1, -EINVAL}, {63, -EINVAL}, {64, 0, 64, 2}, {65, 0, 128, 3},
		{100, 0, 128, 3}, {128, 0, 128, 3}, {1000, 0, 1024, 17}, {2049, 0, 4096, 65},
		{4096, 0, 4096, 65}, {4097, -EINVAL}, {UINT32_MAX, -EINVAL},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct replay_window w;

		memset(&w, 0xa5, sizeof(w));
		CHECK_INT(replay_init(&w, t[i].ask), t[i].rc);
		if (t[i].rc)
			continue;
		CHECK_INT(w.size, t[i].size);
		CHECK_INT(w.words, t[i].words);
		CHECK_INT(w.top, 0);
		for (size_t j = 0; j < w.words; j++)
			CHECK_INT(w.bitmap[j], 0);
	}
}

/* Accept (check, then update) as the dataplane does; -1 if either refuses. */
static int accept(struct replay_window *w, uint64_t seq)
{
	if (replay_check(w, seq))
		return -1;
	return replay_update(w, seq);
}

static void test_window(uint32_t size)
{
	struct replay_window w;
	uint64_t top;
	uint32_t r = size;
	uint64_t *order = malloc(size * sizeof(*order));

	CHECK_INT(replay_init(&w, size), 0);
	/* Sequence 0 is never valid, not even first. */
	CHECK_INT(replay_check(&w, 0), -1);
	CHECK_INT(replay_update(&w, 0), -1);
	CHECK_INT(w.top, 0);

	CHECK_INT(accept(&w, 1), 0);
	CHECK_INT(replay_check(&w, 1), -1);
	/* An update with no check before it still refuses a duplicate. */
	CHECK_INT(replay_update(&w, 1), -1);

	/* Jump ahead, then fill the whole window out of order: each accepted once. */
	top = 10ULL * size + 17;
	CHECK_INT(accept(&w, top), 0);
	CHECK_INT(w.top, top);
	CHECK_INT(replay_check(&w, top - size), -1);     /* just left of the window */
	CHECK_INT(replay_check(&w, top - size + 1), 0);  /* its left edge */
	CHECK_INT(replay_check(&w, 1), -1);
	for (uint32_t i = 0; i < size - 1; i++)
		order[i] = top - size + 1 + i;
	for (uint32_t i = size - 2; i > 0; i--) {
		uint32_t j = check_rand(&r) % (i + 1);
		uint64_t x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	{
		unsigned bad = 0;

		for (uint32_t i = 0; i < size - 1; i++) {
			bad += replay_check(&w, order[i]) != 0;
			bad += replay_update(&w, order[i]) != 0;
			bad += replay_check(&w, order[i]) != -1;
			bad += replay_update(&w, order[i]) != -1;
		}
		for (uint64_t s = top - size + 1; s <= top; s++)
			bad += replay_check(&w, s) != -1;
		CHECK_MSG(!bad, "window %u: %u wrong answers filling it", size, bad);
	}
	CHECK_INT(w.top, top);

	/* Two copies in one burst: both pass the check, the second update fails. */
	CHECK_INT(replay_check(&w, top + 5), 0);
	CHECK_INT(replay_check(&w, top + 5), 0);
	CHECK_INT(replay_update(&w, top + 5), 0);
	CHECK_INT(replay_update(&w, top + 5), -1);
	/* Same, for a number inside the window. */
	CHECK_INT(replay_check(&w, top + 3), 0);
	CHECK_INT(replay_check(&w, top + 3), 0);
	CHECK_INT(replay_update(&w, top + 3), 0);
	CHECK_INT(replay_update(&w, top + 3), -1);
	top += 5;

	/*
	 * Jumps of every interesting size: afterwards exactly the numbers in
	 * the new window that were accepted before are refused; slots reused
	 * by the ring (a jump of size + 64 maps every number onto an old one)
	 * must read as clear.
	 */
	{
		const uint64_t jumps[] = {1, 2, 63, 64, 65, size - 1, size, size + 1, size + 63,
					  size + 64, size + 65, 2 * size, 1ULL << 40};
		unsigned bad = 0;

		for (size_t j = 0; j < sizeof(jumps) / sizeof(jumps[0]); j++) {
			uint64_t nt = top + jumps[j];

			/* Fill the current window completely first. */
			for (uint64_t s = top - size + 1; s <= top; s++)
				replay_update(&w, s);
			CHECK_INT(accept(&w, nt), 0);
			for (uint64_t s = nt - size + 1; s < nt; s++) {
				int was_seen = s <= top && top - s < size;

				bad += replay_check(&w, s) != (was_seen ? -1 : 0);
			}
			bad += replay_check(&w, nt - size) != -1;
			bad += replay_check(&w, top - size + 1) != -1;
			top = nt;
		}
		CHECK_MSG(!bad, "window %u: %u wrong answers after jumps", size, bad);
	}
	free(order);
}

/* Random operations against a plain model: the set of numbers accepted, and the top. */
static void test_model(uint32_t size)
{
	enum { SPAN = 1 << 20 };
	uint8_t *seen = calloc(SPAN, 1);
	struct replay_window w;
	uint64_t top = 0;
	uint32_t r = 12345 + size;
	unsigned bad = 0;

	CHECK_INT(replay_init(&w, size), 0);
	for (int i = 0; i < 400000; i++) {
		uint32_t x = check_rand(&r);
		int64_t off = (int64_t)(x % (3 * size)) - 2 * (int64_t)size;
		uint64_t s;
		int want, got;

		if (x % 97 == 0)
			off = x % (8 * size); /* a jump */
		if ((int64_t)top + off < 0 || top + off >= SPAN)
			continue;
		s = top + off;
		want = s == 0 || (s <= top && (top - s >= size || seen[s])) ? -1 : 0;
		got = replay_check(&w, s);
		bad += got != want;
		if (x & 0x10000)
			continue; /* checked only: e.g. the ICV failed */
		got = replay_update(&w, s);
		bad += got != want;
		if (!want) {
			seen[s] = 1;
			if (s > top)
				top = s;
		}
		bad += w.top != top;
	}
	CHECK_MSG(!bad, "window %u: %u differences from the model", size, bad);
	free(seen);
}

static void test_infer(void)
{
	struct replay_window w;

	/* Without ESN the high half is 0, whatever the window holds. */
	replay_init(&w, 64);
	w.top = 0xfffffff0;
	CHECK_INT(replay_infer(&w, 5, 0), 5);
	CHECK_INT(replay_infer(&w, 0xfffffff5, 0), 0xfffffff5);

	for (size_t i = 0; i < N_SIZES; i++) {
		uint32_t W = sizes[i];

		CHECK_INT(replay_init(&w, W), 0);
		/* Nothing received yet (case B with no previous subspace): high half 0. */
		CHECK_INT(replay_infer(&w, 1, 1), 1);
		CHECK_INT(replay_infer(&w, 0xfffffff0, 1), 0xfffffff0);

		/* Case A, top near 2^32: a small seq_lo has wrapped, high half + 1. */
		w.top = 0x100000000ULL - 10;
		CHECK_INT(replay_infer(&w, 5, 1), 0x100000005ULL);
		CHECK_INT(replay_infer(&w, 0, 1), 0x100000000ULL);
		CHECK_INT(replay_infer(&w, 0xfffffff0, 1), 0xfffffff0ULL);
		CHECK_INT(replay_infer(&w, 0xfffffff6 - (W - 1), 1), 0xfffffff6ULL - (W - 1));
		CHECK_INT(replay_infer(&w, 0xfffffff6 - W, 1), 0x1fffffff6ULL - W);
		w.top = 0x7700000000ULL + 5000;
		if (5000 >= W - 1) {
			CHECK_INT(replay_infer(&w, 5000 - (W - 1), 1), 0x7700000000ULL + 5000 - (W - 1));
			CHECK_INT(replay_infer(&w, 4999 - (W - 1), 1), 0x7800000000ULL + 4999 - (W - 1));
		}

		/* Case B, top just past 2^32: seq_lo near 2^32 inside the window, high half - 1. */
		w.top = 0x100000003ULL;
		CHECK_INT(replay_infer(&w, 0xfffffff0, 1), 0xfffffff0ULL);
		CHECK_INT(replay_infer(&w, 0xffffffff, 1), 0xffffffffULL);
		CHECK_INT(replay_infer(&w, 2, 1), 0x100000002ULL);
		CHECK_INT(replay_infer(&w, 100, 1), 0x100000064ULL);
		CHECK_INT(replay_infer(&w, (uint32_t)(3 - (W - 1)), 1),
			  0x100000003ULL - (W - 1));
		CHECK_INT(replay_infer(&w, (uint32_t)(3 - W), 1), 0x200000003ULL - W);

		/* The last subspace: nothing follows it. */
		w.top = UINT64_MAX - 10;
		CHECK_INT(replay_infer(&w, 0xfffffff0, 1), UINT64_MAX - 15);
		CHECK_INT(replay_infer(&w, 3, 1), 0);
		CHECK_INT(replay_check(&w, replay_infer(&w, 3, 1)), -1);
	}
}

/* A stream across 2^32, some late, as the dataplane runs it: infer, check, update. */
static void test_esn_stream(void)
{
	for (size_t i = 0; i < N_SIZES; i++) {
		struct replay_window w;
		uint64_t start = 0x300000000ULL - 1000;
		unsigned bad = 0;

		CHECK_INT(replay_init(&w, sizes[i]), 0);
		CHECK_INT(replay_update(&w, start), 0);
		/* Evens first, then the odds late (each within the window). */
		for (uint64_t s = start + 2; s < start + 3000; s += 2) {
			uint64_t late = s - 31;
			uint64_t got = replay_infer(&w, (uint32_t)s, 1);

			bad += got != s;
			bad += accept(&w, got) != 0;
			if (late & 1) {
				got = replay_infer(&w, (uint32_t)late, 1);
				bad += got != late;
				bad += accept(&w, got) != 0;
				bad += accept(&w, replay_infer(&w, (uint32_t)late, 1)) != -1;
			}
		}
		CHECK_MSG(!bad, "window %u: %u wrong across 2^32 with ESN", sizes[i], bad);
		CHECK(w.top > 0x300000000ULL);
	}
}

static void test_no_esn_wrap(void)
{
	struct replay_window w;

	replay_init(&w, 64);
	CHECK_INT(accept(&w, replay_infer(&w, 0xfffffffe, 0)), 0);
	CHECK_INT(accept(&w, replay_infer(&w, 0xffffffff, 0)), 0);
	/* The 32-bit counter may not wrap: what follows 2^32 - 1 is refused. */
	CHECK_INT(replay_check(&w, replay_infer(&w, 0, 0)), -1);
	CHECK_INT(replay_check(&w, replay_infer(&w, 1, 0)), -1);
	CHECK_INT(replay_check(&w, replay_infer(&w, 2, 0)), -1);
	CHECK_INT(replay_check(&w, replay_infer(&w, 0xfffffffd, 0)), 0);
	CHECK_INT(w.top, 0xffffffffULL);
}

int main(void)
{
	test_init();
	for (size_t i = 0; i < N_SIZES; i++) {
		test_window(sizes[i]);
		test_model(sizes[i]);
	}
	test_infer();
	test_esn_stream();
	test_no_esn_wrap();
	return check_done("test_replay");
}
