/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP anti-replay window: RFC 4303 3.4.3 with an RFC 6479 word ring, ESN per RFC 4303 A2. */
#include <errno.h>
#include <string.h>

#include "lib/esp/replay.h"

/*
 * Bit for seq: bit seq % 64 of word (seq / 64) % words. With one word more
 * than the window needs, the words the window covers never share a slot,
 * so sliding only has to clear the words it enters (RFC 6479 section 3).
 */
static inline uint64_t *word_of(struct replay_window *w, uint64_t seq)
{
	return &w->bitmap[(seq >> 6) % w->words];
}

int replay_init(struct replay_window *w, uint32_t size)
{
	uint32_t s = REPLAY_MIN;

	if (size < REPLAY_MIN || size > REPLAY_MAX)
		return -EINVAL;
	while (s < size)
		s <<= 1;
	memset(w, 0, sizeof(*w));
	w->size = s;
	w->words = s / 64 + 1;
	return 0;
}

uint64_t replay_infer(const struct replay_window *w, uint32_t seq_lo, int esn)
{
	uint32_t tl = (uint32_t)w->top, th = (uint32_t)(w->top >> 32);
	uint32_t bottom = tl - (w->size - 1); /* window's low end, mod 2^32 */
	uint32_t hi;

	if (!esn)
		return seq_lo;
	if (tl >= w->size - 1) {
		/* Case A: the window lies within one 2^32 subspace. */
		if (seq_lo >= bottom)
			hi = th;
		else if (th == UINT32_MAX)
			return 0; /* the 64-bit space is used up: never valid */
		else
			hi = th + 1;
	} else {
		/* Case B: the window reaches back into the previous subspace. */
		if (seq_lo >= bottom && th > 0)
			hi = th - 1;
		else
			hi = th; /* with th 0 there is no previous subspace: a jump ahead */
	}
	return (uint64_t)hi << 32 | seq_lo;
}

int replay_check(const struct replay_window *w, uint64_t seq)
{
	if (seq == 0)
		return -1;
	if (seq > w->top)
		return 0;
	if (w->top - seq >= w->size)
		return -1;
	return (w->bitmap[(seq >> 6) % w->words] >> (seq & 63)) & 1 ? -1 : 0;
}

int replay_update(struct replay_window *w, uint64_t seq)
{
	if (replay_check(w, seq))
		return -1;
	if (seq > w->top) {
		uint64_t from = w->top >> 6, to = seq >> 6;

		if (to - from >= w->words)
			memset(w->bitmap, 0, w->words * sizeof(w->bitmap[0]));
		else
			for (uint64_t i = from + 1; i <= to; i++)
				w->bitmap[i % w->words] = 0;
		w->top = seq;
	}
	*word_of(w, seq) |= 1ULL << (seq & 63);
	return 0;
}
