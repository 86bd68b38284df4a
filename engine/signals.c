/*
 * signals.c - signal flags (see signals.h).
 *
 * Each flag is a volatile sig_atomic_t written by a handler and read (and
 * cleared) by the reader thread. A flag that is set twice before it is
 * taken counts once, which is what a stop, a reopen or a tick needs.
 */
#include "signals.h"

#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reopen_flag;
static volatile sig_atomic_t tick_flag;

static void signals_on_stop(int sig)
{
    if (sig == SIGINT && stop_flag)
        _exit(128 + SIGINT); /* the user insists: leave now */
    stop_flag = 1;
}

/* A mapped capture file lost pages under us: it was truncated while being
 * read (pcap_map.h). Returning would fault again; what was not yet written
 * is lost, so the exit says so with the output-error code. */
static void signals_on_bus(int sig)
{
    static const char msg[] = "plainsight: error: a capture file was truncated while being read "
                              "(SIGBUS); the output is incomplete\n";
    (void)sig;
    ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)n;
    _exit(SIGNALS_EXIT_BUS);
}

static void signals_on_hup(int sig)
{
    (void)sig;
    reopen_flag = 1;
}

static void signals_on_alarm(int sig)
{
    (void)sig;
    tick_flag = 1;
}

static int signals_set(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL) == 0 ? PS_OK : PS_ERR;
}

int signals_install(void)
{
    stop_flag = 0;
    reopen_flag = 0;
    tick_flag = 0;
    /* No SA_RESTART for the stop signals: a read blocked on a quiet pipe
     * returns EINTR so the loop sees the flag. The others restart, so a
     * rotation or a tick never cuts a read short. */
    if (signals_set(SIGINT, signals_on_stop, 0) != PS_OK ||
        signals_set(SIGTERM, signals_on_stop, 0) != PS_OK ||
        signals_set(SIGHUP, signals_on_hup, SA_RESTART) != PS_OK ||
        signals_set(SIGALRM, signals_on_alarm, SA_RESTART) != PS_OK ||
        signals_set(SIGBUS, signals_on_bus, 0) != PS_OK)
        return PS_ERR;
    return PS_OK;
}

bool signals_pending(void)
{
    return (stop_flag | reopen_flag | tick_flag) != 0;
}

bool signals_stop_requested(void)
{
    return stop_flag != 0;
}

bool signals_take_reopen(void)
{
    if (!reopen_flag)
        return false;
    reopen_flag = 0;
    return true;
}

int signals_start_ticker(unsigned ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof(it));
    it.it_interval.tv_sec = ms / 1000;
    it.it_interval.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    it.it_value = it.it_interval;
    return setitimer(ITIMER_REAL, &it, NULL) == 0 ? PS_OK : PS_ERR;
}

bool signals_take_tick(void)
{
    if (!tick_flag)
        return false;
    tick_flag = 0;
    return true;
}

static void signals_set_of(sigset_t *s)
{
    sigemptyset(s);
    sigaddset(s, SIGINT);
    sigaddset(s, SIGTERM);
    sigaddset(s, SIGHUP);
    sigaddset(s, SIGALRM);
}

void signals_block(sigset_t *old)
{
    sigset_t s;
    signals_set_of(&s);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

void signals_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

void signals_reset(void)
{
    signals_start_ticker(0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    stop_flag = 0;
    reopen_flag = 0;
    tick_flag = 0;
}
