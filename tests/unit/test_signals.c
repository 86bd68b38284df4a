/* Unit tests for the signal flags: each signal sets its flag, taken once. */
#include <criterion/criterion.h>
#include <signal.h>
#include <unistd.h>

#include "signals.h"

static void setup(void)
{
    cr_assert_eq(signals_install(), PS_OK);
}

static void teardown(void)
{
    signals_reset();
}

TestSuite(signals, .init = setup, .fini = teardown);

Test(signals, nothing_pending_at_start)
{
    cr_assert(!signals_pending());
    cr_assert(!signals_stop_requested());
    cr_assert(!signals_take_reopen());
    cr_assert(!signals_take_tick());
}

Test(signals, sigterm_requests_a_stop_that_stays)
{
    raise(SIGTERM);
    cr_assert(signals_pending());
    cr_assert(signals_stop_requested());
    cr_assert(signals_stop_requested(), "a stop is not consumed by looking at it");
}

Test(signals, first_sigint_requests_a_stop)
{
    raise(SIGINT);
    cr_assert(signals_stop_requested());
}

Test(signals, second_sigint_exits_at_once_with_130, .exit_code = 130)
{
    raise(SIGINT);
    raise(SIGINT);
    cr_assert_fail("the second SIGINT should have ended the process");
}

Test(signals, sighup_is_a_reopen_taken_once)
{
    raise(SIGHUP);
    raise(SIGHUP);
    cr_assert(signals_pending());
    cr_assert(!signals_stop_requested(), "SIGHUP does not stop");
    cr_assert(signals_take_reopen());
    cr_assert(!signals_take_reopen(), "two SIGHUPs before the take count once");
    cr_assert(!signals_pending());
}

Test(signals, ticker_delivers_ticks)
{
    bool got = false;
    cr_assert_eq(signals_start_ticker(10), PS_OK);
    /* No timing assertion: a tick every 10 ms must arrive at all within
     * a generous 10 s. */
    for (int i = 0; i < 2000 && !got; i++) {
        usleep(5000);
        got = signals_take_tick();
    }
    signals_start_ticker(0);
    cr_assert(got, "no tick arrived");
}

Test(signals, blocked_signals_wait_until_restored)
{
    sigset_t old;
    signals_block(&old);
    raise(SIGHUP);
    cr_assert(!signals_take_reopen(), "blocked: not delivered yet");
    signals_restore(&old);
    cr_assert(signals_take_reopen(), "delivered once unblocked");
}
