/*
 * cli.c - --help, option parsing and the checks between options (see
 * cli.h). Config knobs (config.c) become --NAME VALUE options here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eve.h"
#include "sink.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: plainsight -r CAPTURE [-r CAPTURE ...] [options]\n"
            "       plainsight -i INTERFACE [options]\n"
            "\n"
            "Reads pcap/pcapng captures or a live interface, follows every TCP/UDP/ICMP\n"
            "flow and writes Suricata-compatible EVE JSON lines.\n"
            "\n"
            "Input and output:\n"
            "  -r, --read PATH        capture file (pcap or pcapng), a directory (every\n"
            "                         capture in it, in name order), - for standard input,\n"
            "                         or a named pipe (<(zcat f.pcap.gz)); repeat for more;\n"
            "                         all inputs form one packet stream\n"
            "  -i, --interface IFACE  capture live on IFACE (needs root or CAP_NET_RAW);\n"
            "                         runs until SIGINT or SIGTERM\n"
            "  -f, --filter BPF       only packets matching this BPF expression\n"
            "      --no-promisc       live: do not put the interface in promiscuous mode\n"
            "      --user USER        live: switch to USER (and its group) once the\n"
            "                         interface and the output are open\n"
            "      --group GROUP      live: switch to GROUP (default: USER's group)\n"
            "  -l, --log-dir DIR      directory for eve.json (default: current directory)\n"
            "  -o, --eve PATH         EVE output file (truncated first); - for standard\n"
            "                         output (default: DIR/eve.json, unless --eve-out)\n"
            "      --eve-out SINK     send every event to SINK too; repeat for more (up to\n"
            "                         16). SINK is one of:\n"
            "                           file:PATH      append to PATH; SIGHUP reopens it\n"
            "                           -              standard output\n"
            "                           unix-stream:PATH  an existing Unix stream socket\n"
            "                           unix-dgram:PATH   an existing Unix datagram socket,\n"
            "                                          one event per datagram\n"
            "                           syslog[:FACILITY[:LEVEL]]  syslog(3) (default\n"
            "                                          local5, info)\n"
            "                           redis://HOST[:PORT]/KEY[?mode=list|channel]\n"
            "                                          RPUSH to list KEY (default) or PUBLISH\n"
            "                                          to channel KEY; port 6379 by default\n"
            "                         Network sinks (sockets, syslog, Redis) have a bounded\n"
            "                         queue (--eve-queue-size): they reconnect in the\n"
            "                         background, and events that do not fit are dropped\n"
            "                         and counted, never waited for\n"
            "      --eve-types LIST   comma-separated event types to write\n"
            "                         (alert, flow, http, anomaly, stats; default: all);\n"
            "                         stats brings engine events with the counters the\n"
            "                         EVE schema has no names for\n"
            "      --http-headers WHICH  add request_headers/response_headers to http\n"
            "                         objects: none (default), request, response, both\n"
            "\n"
            "Rules:\n"
            "  -S, --rules FILE       load rules from FILE instead of the shipped rules;\n"
            "                         repeat for more\n"
            "      --no-rules         load no rules: flows and transactions only\n"
            "      --test-rules       check the rules (syntax, classtypes, compilation)\n"
            "                         and exit: 0 when all load, 1 otherwise\n"
            "      --rules-cache DIR  keep compiled rules in DIR and reuse them when the\n"
            "                         rules, Hyperscan and CPU are unchanged (default:\n"
            "                         $XDG_CACHE_HOME/plainsight or ~/.cache/plainsight);\n"
            "                         none: compile at every start\n"
            "      --strict           a rule with a keyword plainsight does not support is\n"
            "                         an error (default: a warning, and the rule is skipped)\n"
            "      --unmask-secrets   write secrets found in traffic in full (default:\n"
            "                         a short prefix and a hash, in alerts and http events)\n"
            "      --scanners FILE    add mail-scanner fingerprints (ua NAME REGEX, net NAME\n"
            "                         CIDR lines) to the shipped scanners.conf; repeat for more\n"
            "\n"
            "  -q, --quiet            no progress line or summary on standard error\n"
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
            "  73  the EVE output (a file or -l directory) cannot be created\n"
            "  74  events were lost: writing a file failed, or a network sink dropped\n"
            "      events (its counters are in the summary and the output events)\n"
            "  77  live capture or --user/--group not permitted\n"
            "  78  a rule file has errors (each is named with FILE:LINE:COL)\n"
            "\n"
            "Signals: SIGINT or SIGTERM stops reading, ends every flow, writes the final\n"
            "stats and exits 0; a second SIGINT exits at once with 130, losing events\n"
            "not yet written. SIGHUP reopens file: sinks and -o (log rotation).\n");
}

enum {
    OPT_EVE_TYPES = 1000,
    OPT_HTTP_HEADERS,
    OPT_NO_RULES,
    OPT_TEST_RULES,
    OPT_STRICT,
    OPT_UNMASK,
    OPT_NO_PROMISC,
    OPT_USER,
    OPT_GROUP,
    OPT_SCANNERS,
    OPT_RULES_CACHE,
    OPT_EVE_OUT,
    OPT_KNOB = 2000
};

/* Fixed options plus one --NAME=VALUE option per config knob. */
static struct option *build_long_options(void)
{
    static const struct option fixed[] = {
        {"read", required_argument, NULL, 'r'},   {"filter", required_argument, NULL, 'f'},
        {"log-dir", required_argument, NULL, 'l'}, {"eve", required_argument, NULL, 'o'},
        {"eve-types", required_argument, NULL, OPT_EVE_TYPES},
        {"eve-out", required_argument, NULL, OPT_EVE_OUT},
        {"http-headers", required_argument, NULL, OPT_HTTP_HEADERS},
        {"rules", required_argument, NULL, 'S'},  {"no-rules", no_argument, NULL, OPT_NO_RULES},
        {"test-rules", no_argument, NULL, OPT_TEST_RULES},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"unmask-secrets", no_argument, NULL, OPT_UNMASK},
        {"interface", required_argument, NULL, 'i'},
        {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
        {"user", required_argument, NULL, OPT_USER},
        {"group", required_argument, NULL, OPT_GROUP},
        {"scanners", required_argument, NULL, OPT_SCANNERS},
        {"rules-cache", required_argument, NULL, OPT_RULES_CACHE},
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

/* Options that only make sense together; -1 to go on, or EXIT_USAGE. */
static int check_input_options(struct options *o)
{
    if (o->test_rules)
        return -1;
    if (o->iface != NULL && o->ninputs > 0) {
        fprintf(stderr, "plainsight: -i and -r contradict each other: read files or an "
                        "interface, not both\n");
        return EXIT_USAGE;
    }
    if (o->iface == NULL && o->ninputs == 0) {
        fprintf(stderr, "plainsight: no input: give a capture with -r FILE or an interface "
                        "with -i IFACE (see --help)\n");
        return EXIT_USAGE;
    }
    if (o->iface == NULL && (o->no_promisc || o->user != NULL || o->group != NULL)) {
        fprintf(stderr, "plainsight: --no-promisc, --user and --group apply to live capture "
                        "(-i) only\n");
        return EXIT_USAGE;
    }
    /* Files: stats at the end unless asked; live: periodic by default. */
    if (o->iface == NULL && !o->stats_interval_given)
        o->cfg.stats_interval = 0;
    return -1;
}

/* Returns -1 to go on, or the exit code to stop with. */
int cli_parse(int argc, char **argv, struct options *o)
{
    char err[256];
    struct option *longopts = build_long_options();
    int rc = -1, c;

    if (longopts == NULL)
        return EXIT_OSERR;
    o->inputs = calloc((size_t)argc, sizeof(*o->inputs));
    o->rules.files = calloc((size_t)argc, sizeof(*o->rules.files));
    o->rules.scanner_files = calloc((size_t)argc, sizeof(*o->rules.scanner_files));
    o->eve_outs = calloc((size_t)argc, sizeof(*o->eve_outs));
    if (o->inputs == NULL || o->rules.files == NULL || o->rules.scanner_files == NULL ||
        o->eve_outs == NULL) {
        free(longopts);
        return EXIT_OSERR;
    }
    while (rc < 0 && (c = getopt_long(argc, argv, "r:i:f:l:o:S:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': o->inputs[o->ninputs++] = optarg; break;
        case 'f': o->bpf = optarg; break;
        case 'i':
            if (o->iface != NULL) {
                fprintf(stderr, "plainsight: -i given twice: one interface per process "
                                "(run one plainsight per link)\n");
                rc = EXIT_USAGE;
            }
            o->iface = optarg;
            break;
        case OPT_NO_PROMISC: o->no_promisc = true; break;
        case OPT_USER: o->user = optarg; break;
        case OPT_GROUP: o->group = optarg; break;
        case 'l': o->log_dir = optarg; break;
        case 'o': o->eve_path = optarg; break;
        case 'q': o->quiet = o->rules.quiet = true; break;
        case 'S': o->rules.files[o->rules.nfiles++] = optarg; break;
        case OPT_NO_RULES: o->rules.none = true; break;
        case OPT_TEST_RULES: o->test_rules = true; break;
        case OPT_STRICT: o->rules.strict = true; break;
        case OPT_UNMASK: o->unmask_secrets = true; break;
        case OPT_SCANNERS: o->rules.scanner_files[o->rules.nscanner_files++] = optarg; break;
        case OPT_RULES_CACHE: o->rules.cache = optarg; break;
        case 'h': usage(stdout); rc = EXIT_OK; break;
        case 'V': printf("plainsight %s\n", PS_VERSION); rc = EXIT_OK; break;
        case OPT_EVE_TYPES:
            if (eve_types_parse(optarg, &o->eve_types, err, sizeof(err)) != PS_OK) {
                fprintf(stderr, "plainsight: %s\n", err);
                rc = EXIT_USAGE;
            }
            break;
        case OPT_EVE_OUT: {
            struct sink_spec spec;
            if (sink_spec_parse(optarg, &spec, err, sizeof(err)) != PS_OK) {
                fprintf(stderr, "plainsight: %s\n", err);
                rc = EXIT_USAGE;
            }
            o->eve_outs[o->neve_outs++] = optarg;
            break;
        }
        case OPT_HTTP_HEADERS:
            if (eve_http_headers_parse(optarg, &o->http_headers, err, sizeof(err)) != PS_OK) {
                fprintf(stderr, "plainsight: %s\n", err);
                rc = EXIT_USAGE;
            }
            break;
        default:
            if (c >= OPT_KNOB) {
                const char *name = config_knobs()[c - OPT_KNOB].name;
                if (strcmp(name, "stats-interval") == 0)
                    o->stats_interval_given = true;
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
    if (rc < 0 && o->rules.none && o->rules.nfiles > 0) {
        fprintf(stderr, "plainsight: --no-rules and -S contradict each other\n");
        rc = EXIT_USAGE;
    }
    if (rc < 0 && o->rules.none && o->rules.nscanner_files > 0) {
        fprintf(stderr, "plainsight: --no-rules and --scanners contradict each other "
                        "(fingerprints serve the cross-flow rules)\n");
        rc = EXIT_USAGE;
    }
    if (rc < 0)
        rc = check_input_options(o);
    return rc;
}

void cli_options_free(struct options *o)
{
    free(o->inputs);
    free(o->rules.files);
    free(o->rules.scanner_files);
    free(o->eve_outs);
}
