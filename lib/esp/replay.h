/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP anti-replay window (RFC 4303 3.4.3, bitmap as RFC 6479), with ESN inference (Appendix A). */
#ifndef DMVPN_LIB_REPLAY_H
#define DMVPN_LIB_REPLAY_H

#include <stdint.h>

#define REPLAY_MIN 64
#define REPLAY_MAX 4096

/*
 * One window per inbound SA. Single writer: the lcore that processes the
 * SA (RSS keeps one SA's packets, same outer addresses and SPI, on one
 * queue). check() before decryption; update() only after the ICV verified,
 * so a forged packet changes nothing.
 */
struct replay_window {
	uint64_t top;                /* highest sequence number accepted; 0 = none yet */
	uint32_t size;               /* window in packets: 64..4096, a power of two */
	uint32_t words;              /* bitmap words in use: size / 64 + 1 */
	uint64_t bitmap[REPLAY_MAX / 64 + 1];
};

/* size: 64..4096 (rounded up to a power of two). 0 or -EINVAL. */
int replay_init(struct replay_window *w, uint32_t size);

/* The full 64-bit sequence number of a packet carrying seq_lo, given the
 * window (RFC 4303 Appendix A2). Without ESN the high half is 0. */
uint64_t replay_infer(const struct replay_window *w, uint32_t seq_lo, int esn);

/* 0: new and inside or ahead of the window; -1: seen already or left of
 * the window (or seq 0). Pure. */
int replay_check(const struct replay_window *w, uint64_t seq);

/* Record seq (after the ICV verified); re-checks, returns 0 or -1 if it
 * was a duplicate after all (two copies in one burst). */
int replay_update(struct replay_window *w, uint64_t seq);

#endif
