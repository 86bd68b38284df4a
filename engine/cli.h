/*
 * cli.h - the command line: options, their checks, and the exit codes.
 *
 * Exit codes follow sysexits(3) so scripts can tell a bad command line
 * from a bad input from a full disk; they are listed in --help and the
 * README.
 */
#ifndef PS_CLI_H
#define PS_CLI_H

#include "config.h"
#include "ruleset.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_USAGE = 64,    /* bad option or value */
    EXIT_DATAERR = 65,  /* input is not a capture, or its link type is unsupported */
    EXIT_NOINPUT = 66,  /* input file or directory missing or unreadable */
    EXIT_SOFTWARE = 70, /* internal error */
    EXIT_OSERR = 71,    /* out of memory, cannot start threads */
    EXIT_CANTCREAT = 73, /* output cannot be created */
    EXIT_IOERR = 74,    /* writing output failed during the run */
    EXIT_NOPERM = 77,   /* live capture or --user/--group not permitted */
    EXIT_CONFIG = 78,   /* a rule file has errors */
};

struct options {
    const char **inputs;
    int ninputs;
    const char *log_dir;
    const char *eve_path;
    const char **eve_outs; /* --eve-out specs, checked while parsing */
    int neve_outs;
    const char *bpf;
    const char *iface;
    const char *user, *group;
    bool no_promisc;
    bool stats_interval_given;
    unsigned eve_types;
    unsigned http_headers;
    bool quiet;
    bool test_rules;
    bool unmask_secrets;
    struct ruleset_options rules;
    struct ps_config cfg;
};

/* Fill o from argv (o->cfg and o->eve_types hold the defaults). Returns -1
 * to go on, or the exit code to stop with (0 after --help or --version). */
int cli_parse(int argc, char **argv, struct options *o);
/* Free what cli_parse allocated. */
void cli_options_free(struct options *o);

#endif
