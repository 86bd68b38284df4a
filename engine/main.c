/*
 * main.c - command line (cli.c) -> rules -> input and outputs -> pipeline
 * -> summary and exit code.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "config.h"
#include "dispatch.h"
#include "eve.h"
#include "privs.h"
#include "progress.h"
#include "ruleset.h"
#include "signals.h"
#include "stats.h"
#include "token_reuse.h"

_Static_assert(SIGNALS_EXIT_BUS == EXIT_IOERR, "a truncated mapped input exits as an I/O error");

static int capture_exit_code(enum capture_error why)
{
    switch (why) {
    case CAPTURE_ERR_MISSING: return EXIT_NOINPUT;
    case CAPTURE_ERR_NOT_CAPTURE:
    case CAPTURE_ERR_LINKTYPE: return EXIT_DATAERR;
    case CAPTURE_ERR_FILTER: return EXIT_USAGE;
    case CAPTURE_ERR_NOMEM: return EXIT_OSERR;
    case CAPTURE_ERR_PERM: return EXIT_NOPERM;
    case CAPTURE_ERR_DEVICE: return EXIT_NOINPUT;
    default: return EXIT_SOFTWARE;
    }
}

static const char *capture_name_cb(const void *src, unsigned idx)
{
    return capture_file_name(src, idx);
}

/* --- EVE output: -o, --eve-out, or DIR/eve.json ---------------------- */

/* Where events go when neither -o nor --eve-out is given: DIR/eve.json,
 * where DIR must exist. */
static int default_eve_path(const struct options *o, char *path, size_t len)
{
    const char *dir = o->log_dir ? o->log_dir : ".";
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "plainsight: log directory %s: %s\n", dir,
                stat(dir, &sb) != 0 ? strerror(errno) : "not a directory");
        return EXIT_CANTCREAT;
    }
    snprintf(path, len, "%s/eve.json", dir);
    return -1;
}

static int add_sink(struct eve_output *out, const char *text, bool truncate,
                    const struct sink_limits *lim)
{
    char err[1024 + SINK_NAME_MAX];
    struct sink_spec spec;
    if (sink_spec_parse(text, &spec, err, sizeof(err)) != PS_OK) {
        fprintf(stderr, "plainsight: %s\n", err);
        return EXIT_USAGE;
    }
    spec.truncate = truncate;
    int added = eve_output_add_sink(out, &spec, lim, err, sizeof(err));
    if (added != PS_OK) {
        fprintf(stderr, "plainsight: %s\n", err);
        if (added == PS_DECLINED)
            return EXIT_USAGE;
        return spec.kind == SINK_FILE ? EXIT_CANTCREAT : EXIT_OSERR;
    }
    return -1;
}

/* The output with every sink: -o PATH (truncated, as before sinks) and each
 * --eve-out, or DIR/eve.json when neither is given. -1 to go on, or the
 * exit code to stop with. */
static int open_output(const struct options *o, struct eve_output **outp)
{
    char path[4096 + 8];
    const struct sink_limits lim = {o->cfg.eve_queue_size, o->cfg.eve_queue_memcap,
                                    o->cfg.eve_drain_timeout, o->cfg.eve_reconnect_max};
    struct eve_output *out = eve_output_create(o->eve_types, o->cfg.community_id_seed);
    if (out == NULL)
        return EXIT_OSERR;
    int rc = -1;
    if (o->eve_path != NULL) {
        snprintf(path, sizeof(path), "%s%s", strcmp(o->eve_path, "-") == 0 ? "" : "file:",
                 o->eve_path);
        rc = add_sink(out, path, true, &lim);
    } else if (o->neve_outs == 0) {
        rc = default_eve_path(o, path, sizeof(path));
        if (rc < 0) {
            memmove(path + 5, path, strlen(path) + 1);
            memcpy(path, "file:", 5);
            rc = add_sink(out, path, true, &lim);
        }
    }
    for (int i = 0; rc < 0 && i < o->neve_outs; i++)
        rc = add_sink(out, o->eve_outs[i], false, &lim);
    if (rc >= 0) {
        eve_output_close(out);
        return rc;
    }
    *outp = out;
    return -1;
}

/* Stop the sinks and report each one's counters; EXIT_IOERR when any
 * event was lost. */
static int close_output(struct eve_output *out, bool quiet)
{
    int rc = EXIT_OK;
    if (eve_output_stop(out) != PS_OK) {
        fprintf(stderr, "plainsight: error: closing an EVE file failed\n");
        rc = EXIT_IOERR;
    }
    struct eve_output_stats es = eve_output_stats(out);
    if (es.too_large > 0) {
        fprintf(stderr, "plainsight: error: %llu events were too large to write\n",
                (unsigned long long)es.too_large);
        rc = EXIT_IOERR;
    }
    for (unsigned i = 0; i < eve_output_sink_count(out); i++) {
        struct sink_stats st;
        const char *name = eve_output_sink_stats(out, i, &st);
        if (st.dropped > 0)
            rc = EXIT_IOERR;
        if (st.dropped > 0 || st.write_errors > 0 || !quiet)
            fprintf(stderr, "plainsight: %s%s: %llu events written, %llu dropped, %llu "
                            "reconnects, %llu write errors\n",
                    st.dropped > 0 ? "error: " : "", strcmp(name, "-") == 0 ? "standard output" : name,
                    (unsigned long long)st.written, (unsigned long long)st.dropped,
                    (unsigned long long)st.reconnects, (unsigned long long)st.write_errors);
    }
    eve_output_close(out);
    return rc;
}

static void reopen_output(void *out)
{
    eve_output_reopen(out);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_summary(const struct run_stats *rs, double secs,
                          const struct eve_output_stats *es, const char *iface)
{
    double mb = (double)rs->decode.bytes / 1e6;
    char from[96];
    if (iface != NULL)
        snprintf(from, sizeof(from), "%s", iface);
    else
        snprintf(from, sizeof(from), "%llu file(s)", (unsigned long long)rs->capture.files);
    if (rs->capture.live)
        fprintf(stderr, "plainsight: %s: %llu packets received by the kernel, %llu dropped by "
                        "the kernel, %llu by the interface\n", iface,
                (unsigned long long)rs->capture.kernel_packets,
                (unsigned long long)rs->capture.kernel_drops,
                (unsigned long long)rs->capture.kernel_ifdrops);
    fprintf(stderr,
            "plainsight: %llu packets (%.1f MB) from %s in %.2f s: %.0f packets/s, "
            "%.1f MB/s\n"
            "plainsight: %llu flows, %llu HTTP transactions, %llu calendars (%llu components, "
            "%llu malformed, %llu truncated), %llu alerts, %llu invalid packets, "
            "%llu events\n",
            (unsigned long long)rs->decode.pkts, mb, from, secs,
            secs > 0 ? (double)rs->decode.pkts / secs : 0.0, secs > 0 ? mb / secs : 0.0,
            (unsigned long long)rs->workers.flow.total, (unsigned long long)rs->workers.app.tx_http,
            (unsigned long long)rs->workers.inspect.calendars,
            (unsigned long long)rs->workers.inspect.components,
            (unsigned long long)rs->workers.inspect.cal_malformed,
            (unsigned long long)rs->workers.inspect.cal_truncated,
            (unsigned long long)rs->workers.inspect.alerts, (unsigned long long)rs->decode.invalid,
            (unsigned long long)es->events);
}

/* Load the rules; -1 to go on, or the exit code to stop with. With
 * --test-rules that is always an exit code: 0 when every rule loads. */
static int load_rules(const struct options *o, struct ruleset *rules)
{
    enum ruleset_status st = ruleset_load(rules, &o->rules, stderr);
    const struct rule_set *rs = &rules->rules;
    unsigned failed = rs->n_errors + rules->build.rules_failed;
    if (o->test_rules || (!o->quiet && st == RULESET_OK))
        fprintf(stderr, "plainsight: %u rules loaded, %u skipped (unsupported), %u failed\n",
                rules->build.rules_loaded, rs->n_skipped, failed);
    if (o->test_rules)
        return st == RULESET_OK ? EXIT_OK : 1;
    switch (st) {
    case RULESET_OK: return -1;
    case RULESET_MISSING: return EXIT_NOINPUT;
    case RULESET_NOMEM: return EXIT_OSERR;
    case RULESET_ERRORS:
        if (failed == 0) { /* only a scanner fingerprint file was bad */
            fprintf(stderr, "plainsight: scanner fingerprints with errors; fix them "
                            "(check with --test-rules)\n");
            return EXIT_CONFIG;
        }
        fprintf(stderr, "plainsight: %u rule%s with errors; fix or remove %s "
                        "(check with --test-rules)\n", failed, failed == 1 ? "" : "s",
                failed == 1 ? "it" : "them");
        return EXIT_CONFIG;
    }
    return EXIT_SOFTWARE;
}

static struct capture *open_input(const struct options *o, int *rc)
{
    char err[1024];
    enum capture_error why;
    struct capture *cap;
    if (o->iface != NULL) {
        struct capture_live_options lo = {
            .iface = o->iface,
            .bpf = o->bpf,
            .snaplen = o->cfg.snaplen,
            .promisc = !o->no_promisc,
            .buffer_size = o->cfg.buffer_size,
            .timeout_ms = 100,
        };
        cap = capture_open_live(&lo, &why, err, sizeof(err));
    } else {
        cap = capture_open(o->inputs, o->ninputs, o->bpf, &why, err, sizeof(err));
    }
    if (cap == NULL) {
        fprintf(stderr, "plainsight: %s\n", err);
        *rc = capture_exit_code(why);
    }
    return cap;
}

static int run(struct options *o, struct ruleset *rules)
{
    char err[1024];
    struct privs privs;
    /* Names first: a misspelt --user fails before the interface is touched. */
    if (privs_resolve(o->user, o->group, &privs, err, sizeof(err)) != PS_OK) {
        fprintf(stderr, "plainsight: %s\n", err);
        return EXIT_USAGE;
    }
    if (signals_install() != PS_OK) {
        fprintf(stderr, "plainsight: cannot install signal handlers: %s\n", strerror(errno));
        return EXIT_OSERR;
    }

    int rc;
    struct capture *cap = open_input(o, &rc);
    if (cap == NULL)
        return rc;
    struct eve_output *out = NULL;
    rc = open_output(o, &out);
    if (rc >= 0) {
        capture_close(cap);
        return rc;
    }
    /* The interface and the output are open: root is no longer needed. */
    if (privs_drop(&privs, err, sizeof(err)) != PS_OK) {
        fprintf(stderr, "plainsight: %s\n", err);
        eve_output_close(out);
        capture_close(cap);
        return EXIT_NOPERM;
    }
    eve_output_set_file_names(out, capture_name_cb, cap);
    eve_output_set_in_iface(out, capture_is_live(cap));
    eve_output_set_http_headers(out, o->http_headers);
    /* cross-flow rules: one token table shared by every worker */
    struct inspect_shared xs = {.scanners = rules->scanners};
    if (detect_engine_has_xflow(rules->engine)) {
        struct token_reuse_config tc = {PS_SECONDS(o->cfg.token_reuse_window),
                                        o->cfg.token_reuse_memcap};
        if ((xs.tr = token_reuse_create(&tc)) == NULL) {
            fprintf(stderr, "plainsight: out of memory for the token-reuse table\n");
            eve_output_close(out);
            capture_close(cap);
            return EXIT_OSERR;
        }
    }
    struct worker_setup ws = {.cfg = &o->cfg, .out = out, .rules = rules->engine,
                              .unmask_secrets = o->unmask_secrets, .xflow = &xs};
    struct dispatch *d = dispatch_create(&ws, err, sizeof(err));
    if (d == NULL) {
        fprintf(stderr, "plainsight: %s\n", err);
        token_reuse_destroy(xs.tr);
        eve_output_close(out);
        capture_close(cap);
        return EXIT_OSERR;
    }
    struct rule_counts counts = {rules->build.rules_loaded,
                                 rules->rules.n_errors + rules->build.rules_failed,
                                 rules->rules.n_skipped};
    /* The progress line is for a person watching a batch run. */
    struct progress *prog = NULL;
    if (!o->quiet && o->iface == NULL && isatty(STDERR_FILENO))
        prog = progress_create(cap, stderr);
    /* SIGHUP reaches the file sinks through .reopen (log rotation). */
    struct dispatch_periodic per = {.stats_interval = o->cfg.stats_interval, .rules = counts,
                                    .progress = prog != NULL ? progress_update : NULL,
                                    .ctx = prog, .reopen = reopen_output, .reopen_ctx = out};
    dispatch_set_periodic(d, &per);
    bool ticking = o->iface != NULL || per.stats_interval > 0 || prog != NULL;
    if (ticking && signals_start_ticker(1000) != PS_OK)
        fprintf(stderr, "plainsight: warning: no interval timer (%s): no periodic stats\n",
                strerror(errno));
    if (o->iface != NULL && !o->quiet)
        fprintf(stderr, "plainsight: listening on %s%s\n", o->iface,
                o->no_promisc ? "" : " (promiscuous)");

    double t0 = now_seconds();
    rc = dispatch_run(d, cap) == PS_OK ? EXIT_OK : EXIT_OSERR;
    if (rc == EXIT_OSERR)
        return rc; /* worker threads may still hold the pipeline */
    signals_start_ticker(0);
    double secs = now_seconds() - t0;
    struct run_stats rs = {.rules = counts};
    dispatch_log_stats(d, cap, &rs);
    dispatch_destroy(d);
    progress_destroy(prog);
    token_reuse_destroy(xs.tr);

    struct eve_output_stats es = eve_output_stats(out);
    if (!o->quiet) {
        if (signals_stop_requested())
            fprintf(stderr, "plainsight: stopped by a signal; every flow was ended\n");
        print_summary(&rs, secs, &es, o->iface);
    }
    rc = close_output(out, o->quiet);
    capture_close(cap);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {.eve_types = EVE_ALL_TYPES};
    config_defaults(&o.cfg);
    struct ruleset rules = {0};
    /* A log rotation while the rules load must not kill the run; the
     * handlers of signals.c take over once the output exists. */
    signal(SIGHUP, SIG_IGN);
    int rc = cli_parse(argc, argv, &o);
    if (rc < 0)
        rc = load_rules(&o, &rules);
    if (rc < 0)
        rc = run(&o, &rules);
    ruleset_free(&rules);
    cli_options_free(&o);
    return rc;
}
