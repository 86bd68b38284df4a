/*
 * ruleset.h - the rules of a run: which files, read and checked, compiled.
 *
 * Without -S the shipped rules are loaded: every *.rules file, in name
 * order, of the first directory that exists among
 *   <directory of the binary>/../rules                (a build tree)
 *   <directory of the binary>/../share/plainsight/rules (an install prefix)
 *   PS_RULES_DIR                                      (the configured install path)
 * -S files replace the shipped rules; the classification file
 * (classification.config) and the mail-scanner fingerprints
 * (scanners.conf, see scanner.h) still come from that directory; files
 * given with --scanners add fingerprints to them.
 */
#ifndef PS_RULESET_H
#define PS_RULESET_H

#include <stdio.h>

#include "detect.h"
#include "rule.h"
#include "scanner.h"

struct ruleset_options {
    const char **files; /* -S, in order; none: the shipped rules */
    int nfiles;
    bool none;          /* --no-rules */
    bool strict;        /* --strict: unsupported keywords are errors */
    const char **scanner_files; /* --scanners, in order; added to the shipped ones */
    int nscanner_files;
    const char *cache;  /* --rules-cache: a directory, "none", or NULL for the default */
    bool quiet;         /* -q: no warning when the cache cannot be used */
};

struct ruleset {
    struct rule_set rules;
    struct detect_engine *engine; /* NULL with --no-rules */
    struct detect_build_stats build;
    struct scanner_set *scanners; /* NULL with --no-rules */
    bool scanner_errors;          /* a fingerprint file had bad lines (named on diag) */
    char dir[4096];               /* the shipped directory used, or "" */
};

enum ruleset_status {
    RULESET_OK = 0,
    RULESET_ERRORS,  /* some rules were rejected (named on diag) */
    RULESET_MISSING, /* a file or the shipped directory could not be read */
    RULESET_NOMEM,
};

/* Read, check and compile. Diagnostics go to diag. On RULESET_ERRORS the
 * good rules are still compiled. */
enum ruleset_status ruleset_load(struct ruleset *r, const struct ruleset_options *o, FILE *diag);
void ruleset_free(struct ruleset *r);

#endif
