/*
 * main.c - command line -> configuration -> pipeline -> exit code.
 *
 * Exit codes follow sysexits(3) so scripts can tell a bad command line
 * from a bad input from a full disk; they are listed in --help and the
 * README.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capture.h"
#include "config.h"
#include "dispatch.h"
#include "eve.h"
#include "stats.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_USAGE = 64,    /* bad option or value */
    EXIT_DATAERR = 65,  /* input is not a capture, or its link type is unsupported */
    EXIT_NOINPUT = 66,  /* input file or directory missing or unreadable */
    EXIT_SOFTWARE = 70, /* internal error */
    EXIT_OSERR = 71,    /* out of memory, cannot start threads */
    EXIT_CANTCREAT = 73, /* output cannot be created */
    EXIT_IOERR = 74,    /* writing output failed during the run */
};

struct options {
    const char **inputs;
    int ninputs;
    const char *log_dir;
    const char *eve_path;
    const char *bpf;
    unsigned eve_types;
    unsigned http_headers;
    bool quiet;
    struct ps_config cfg;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: plainsight -r CAPTURE [-r CAPTURE ...] [options]\n"
            "\n"
            "Reads pcap/pcapng captures, follows every TCP/UDP/ICMP flow and writes\n"
            "Suricata-compatible EVE JSON lines.\n"
            "\n"
            "Input and output:\n"
            "  -r, --read PATH        capture file (pcap or pcapng), a directory (every\n"
            "                         capture in it, in name order) or - for standard input;\n"
            "                         repeat for more; all inputs form one packet stream\n"
            "  -f, --filter BPF       only packets matching this BPF expression\n"
            "  -l, --log-dir DIR      directory for eve.json (default: current directory)\n"
            "  -o, --eve PATH         EVE output file; - for standard output\n"
            "                         (default: DIR/eve.json)\n"
            "      --eve-types LIST   comma-separated event types to write\n"
            "                         (flow, http, anomaly, stats; default: all)\n"
            "      --http-headers WHICH  add request_headers/response_headers to http\n"
            "                         objects: none (default), request, response, both\n"
            "  -q, --quiet            no summary on standard error\n"
            "  -h, --help             this help\n"
            "  -V, --version          version\n"
            "\n"
            "Limits and tuning (SIZE takes K, M or G):\n");
    config_print_help(out);
    fprintf(out,
            "\n"
            "Exit codes:\n"
            "   0  success\n"
            "  64  usage error: unknown option or bad value\n"
            "  65  an input is not a pcap/pcapng capture, or its link type is unsupported\n"
            "  66  an input file or directory is missing or unreadable\n"
            "  70  internal error\n"
            "  71  out of memory or threads cannot be started\n"
            "  73  the EVE output cannot be created\n"
            "  74  writing the EVE output failed during the run (events were lost)\n");
}

enum { OPT_EVE_TYPES = 1000, OPT_HTTP_HEADERS, OPT_KNOB = 2000 };

/* Fixed options plus one --NAME=VALUE option per config knob. */
static struct option *build_long_options(void)
{
    static const struct option fixed[] = {
        {"read", required_argument, NULL, 'r'},   {"filter", required_argument, NULL, 'f'},
        {"log-dir", required_argument, NULL, 'l'}, {"eve", required_argument, NULL, 'o'},
        {"eve-types", required_argument, NULL, OPT_EVE_TYPES},
        {"http-headers", required_argument, NULL, OPT_HTTP_HEADERS},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
    };
    const struct config_knob *k = config_knobs();
    size_t nk = 0;
    while (k[nk].name != NULL)
        nk++;
    size_t nf = PS_ARRAY_LEN(fixed);
    struct option *opts = calloc(nf + nk + 1, sizeof(*opts));
    if (opts == NULL)
        return NULL;
    memcpy(opts, fixed, sizeof(fixed));
    for (size_t i = 0; i < nk; i++)
        opts[nf + i] = (struct option){k[i].name, required_argument, NULL, OPT_KNOB + (int)i};
    return opts;
}

/* Returns -1 to go on, or the exit code to stop with. */
static int parse_args(int argc, char **argv, struct options *o)
{
    char err[256];
    struct option *longopts = build_long_options();
    int rc = -1, c;

    if (longopts == NULL)
        return EXIT_OSERR;
    o->inputs = calloc((size_t)argc, sizeof(*o->inputs));
    if (o->inputs == NULL) {
        free(longopts);
        return EXIT_OSERR;
    }
    while (rc < 0 && (c = getopt_long(argc, argv, "r:f:l:o:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': o->inputs[o->ninputs++] = optarg; break;
        case 'f': o->bpf = optarg; break;
        case 'l': o->log_dir = optarg; break;
        case 'o': o->eve_path = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': usage(stdout); rc = EXIT_OK; break;
        case 'V': printf("plainsight %s\n", PS_VERSION); rc = EXIT_OK; break;
        case OPT_EVE_TYPES:
            if (eve_types_parse(optarg, &o->eve_types, err, sizeof(err)) != PS_OK) {
                fprintf(stderr, "plainsight: %s\n", err);
                rc = EXIT_USAGE;
            }
            break;
        case OPT_HTTP_HEADERS:
            if (eve_http_headers_parse(optarg, &o->http_headers, err, sizeof(err)) != PS_OK) {
                fprintf(stderr, "plainsight: %s\n", err);
                rc = EXIT_USAGE;
            }
            break;
        default:
            if (c >= OPT_KNOB) {
                const char *name = config_knobs()[c - OPT_KNOB].name;
                if (config_set(&o->cfg, name, optarg, err, sizeof(err)) != PS_OK) {
                    fprintf(stderr, "plainsight: %s\n", err);
                    rc = EXIT_USAGE;
                }
                break;
            }
            fprintf(stderr, "Try 'plainsight --help' for the options.\n");
            rc = EXIT_USAGE;
        }
    }
    free(longopts);
    if (rc < 0 && optind < argc) {
        fprintf(stderr, "plainsight: unexpected argument '%s' (captures are given with -r)\n",
                argv[optind]);
        rc = EXIT_USAGE;
    }
    if (rc < 0 && o->ninputs == 0) {
        fprintf(stderr, "plainsight: no input: give a capture with -r FILE (see --help)\n");
        rc = EXIT_USAGE;
    }
    return rc;
}

static int capture_exit_code(enum capture_error why)
{
    switch (why) {
    case CAPTURE_ERR_MISSING: return EXIT_NOINPUT;
    case CAPTURE_ERR_NOT_CAPTURE:
    case CAPTURE_ERR_LINKTYPE: return EXIT_DATAERR;
    case CAPTURE_ERR_FILTER: return EXIT_USAGE;
    case CAPTURE_ERR_NOMEM: return EXIT_OSERR;
    default: return EXIT_SOFTWARE;
    }
}

static const char *capture_name_cb(const void *src, unsigned idx)
{
    return capture_file_name(src, idx);
}

/* -o wins; else DIR/eve.json, where DIR must exist. */
static int resolve_eve_path(const struct options *o, char *path, size_t len)
{
    if (o->eve_path != NULL) {
        snprintf(path, len, "%s", o->eve_path);
        return -1;
    }
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

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_summary(const struct run_stats *rs, const char *eve_path, double secs,
                          const struct eve_output_stats *es)
{
    double mb = (double)rs->decode.bytes / 1e6;
    fprintf(stderr,
            "plainsight: %llu packets (%.1f MB) from %llu file(s) in %.2f s: %.0f packets/s, "
            "%.1f MB/s\n"
            "plainsight: %llu flows, %llu invalid packets, %llu events written to %s\n",
            (unsigned long long)rs->decode.pkts, mb, (unsigned long long)rs->capture.files, secs,
            secs > 0 ? (double)rs->decode.pkts / secs : 0.0, secs > 0 ? mb / secs : 0.0,
            (unsigned long long)rs->workers.flow.total, (unsigned long long)rs->decode.invalid,
            (unsigned long long)es->events, strcmp(eve_path, "-") == 0 ? "standard output" : eve_path);
}

static int run(struct options *o)
{
    char err[1024], eve_path[4096];
    enum capture_error why;
    int rc = resolve_eve_path(o, eve_path, sizeof(eve_path));
    if (rc >= 0)
        return rc;

    struct capture *cap = capture_open(o->inputs, o->ninputs, o->bpf, &why, err, sizeof(err));
    if (cap == NULL) {
        fprintf(stderr, "plainsight: %s\n", err);
        return capture_exit_code(why);
    }
    struct eve_output *out = eve_output_open(eve_path, o->eve_types, o->cfg.community_id_seed,
                                             err, sizeof(err));
    if (out == NULL) {
        fprintf(stderr, "plainsight: %s\n", err);
        capture_close(cap);
        return EXIT_CANTCREAT;
    }
    eve_output_set_file_names(out, capture_name_cb, cap);
    eve_output_set_http_headers(out, o->http_headers);
    struct dispatch *d = dispatch_create(&o->cfg, out, err, sizeof(err));
    if (d == NULL) {
        fprintf(stderr, "plainsight: %s\n", err);
        eve_output_close(out);
        capture_close(cap);
        return EXIT_OSERR;
    }

    double t0 = now_seconds();
    rc = dispatch_run(d, cap) == PS_OK ? EXIT_OK : EXIT_OSERR;
    if (rc == EXIT_OSERR)
        return rc; /* worker threads may still hold the pipeline */
    double secs = now_seconds() - t0;
    struct run_stats rs;
    dispatch_log_stats(d, cap, (uint64_t)secs, &rs);
    dispatch_destroy(d);

    struct eve_output_stats es = eve_output_stats(out);
    if (es.write_errors > 0 || es.too_large > 0) {
        fprintf(stderr, "plainsight: error: %llu events could not be written to %s\n",
                (unsigned long long)(es.write_errors + es.too_large), eve_path);
        rc = EXIT_IOERR;
    }
    if (eve_output_close(out) != PS_OK && rc == EXIT_OK) {
        fprintf(stderr, "plainsight: error: closing %s failed\n", eve_path);
        rc = EXIT_IOERR;
    }
    if (!o->quiet)
        print_summary(&rs, eve_path, secs, &es);
    capture_close(cap);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o = {.eve_types = EVE_ALL_TYPES};
    config_defaults(&o.cfg);
    int rc = parse_args(argc, argv, &o);
    if (rc < 0)
        rc = run(&o);
    free(o.inputs);
    return rc;
}
