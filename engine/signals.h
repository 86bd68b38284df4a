/*
 * signals.h - process signals as flags the reader loop polls.
 *
 * The handlers only set flags (async-signal-safe); the reader loop in
 * dispatch.c looks at them between packets and acts on its own thread:
 *
 *   SIGINT, SIGTERM  stop reading; every flow and transaction is then
 *                    flushed and the final stats written, as at the end of
 *                    input. They interrupt a blocked read of standard input
 *                    (no SA_RESTART), so a stalled pipe does not hold the
 *                    stop back. A second SIGINT exits at once with 130,
 *                    losing what was not yet written.
 *   SIGHUP           a request to reopen the outputs (log rotation), taken
 *                    once with signals_take_reopen().
 *   SIGALRM          the once-a-second tick of signals_start_ticker(), which
 *                    drives periodic stats, the progress line and wall-clock
 *                    time in live capture without a clock read per packet.
 *   SIGBUS           a mapped capture file was truncated by another process
 *                    while being read: a message, and exit at once with
 *                    SIGNALS_EXIT_BUS (on any thread; it cannot be deferred).
 *
 * Threads other than the reader must not take these signals: create them
 * between signals_block() and signals_restore().
 */
#ifndef PS_SIGNALS_H
#define PS_SIGNALS_H

#include <signal.h>

#include "common.h"

/* The exit code after SIGBUS: EX_IOERR, as for output that could not be
 * completed. */
#define SIGNALS_EXIT_BUS 74

/* Install the handlers; PS_ERR (errno set) when sigaction fails. */
int signals_install(void);

/* Any flag is set: the one check per packet of the reader loop. */
bool signals_pending(void);

/* SIGINT or SIGTERM was received. */
bool signals_stop_requested(void);

/* True once for each SIGHUP burst: the outputs should be reopened. */
bool signals_take_reopen(void);

/* SIGALRM every `ms` milliseconds (0 stops it); PS_ERR when setitimer fails. */
int signals_start_ticker(unsigned ms);

/* True once for each tick since the last call. */
bool signals_take_tick(void);

/* Block the handled signals in the calling thread, saving the old mask, so
 * that threads created now inherit the block; then restore. */
void signals_block(sigset_t *old);
void signals_restore(const sigset_t *old);

/* Put the default dispositions back (tests, and before exec). */
void signals_reset(void);

#endif
