/*
 * ruleset.c - find, read and compile the rules of a run (see ruleset.h).
 */
#include "ruleset.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PS_RULES_DIR
#define PS_RULES_DIR "/usr/local/share/plainsight/rules"
#endif

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The first shipped-rules directory that exists, into out; false if none. */
static bool ruleset_find_dir(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            static const char *const rel[] = {"/../rules", "/../share/plainsight/rules"};
            for (size_t i = 0; i < PS_ARRAY_LEN(rel); i++) {
                int w = snprintf(out, len, "%s%s", exe, rel[i]);
                if (w > 0 && (size_t)w < len && is_dir(out))
                    return true;
            }
        }
    }
    snprintf(out, len, "%s", PS_RULES_DIR);
    return is_dir(out);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.rules of dir, in name order. */
static enum ruleset_status ruleset_load_dir(struct rule_set *rs, const char *dir, FILE *diag)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (diag != NULL)
            fprintf(diag, "plainsight: cannot read rules directory %s\n", dir);
        return RULESET_MISSING;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    enum ruleset_status st = RULESET_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".rules") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            char **grown = realloc(names, cap * sizeof(*names));
            if (grown == NULL) {
                st = RULESET_NOMEM;
                break;
            }
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            st = RULESET_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (st == RULESET_OK)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096 + 256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (st == RULESET_OK && rule_set_load_file(rs, path) != PS_OK)
            st = RULESET_MISSING;
        free(names[i]);
    }
    free(names);
    if (st == RULESET_OK && n == 0 && diag != NULL)
        fprintf(diag, "plainsight: warning: no .rules file in %s\n", dir);
    return st;
}

/* The shipped scanners.conf (when present), then each --scanners file. */
static enum ruleset_status ruleset_load_scanners(struct ruleset *r,
                                                 const struct ruleset_options *o, FILE *diag)
{
    if ((r->scanners = scanner_set_create()) == NULL)
        return RULESET_NOMEM;
    enum ruleset_status st = RULESET_OK;
    char path[4096 + 32];
    snprintf(path, sizeof(path), "%s/scanners.conf", r->dir);
    bool shipped = r->dir[0] != '\0' && access(path, R_OK) == 0;
    for (int i = shipped ? -1 : 0; i < o->nscanner_files; i++) {
        int rc = scanner_set_load(r->scanners, i < 0 ? path : o->scanner_files[i], diag);
        if (rc == PS_NOMEM)
            return RULESET_NOMEM;
        if (rc == PS_DECLINED)
            return RULESET_MISSING;
        if (rc != PS_OK)
            st = RULESET_ERRORS;
    }
    if (st == RULESET_ERRORS)
        r->scanner_errors = true;
    return RULESET_OK;
}

enum ruleset_status ruleset_load(struct ruleset *r, const struct ruleset_options *o, FILE *diag)
{
    memset(r, 0, sizeof(*r));
    rule_set_init(&r->rules);
    r->rules.diag = diag;
    r->rules.strict = o->strict;
    if (o->none)
        return RULESET_OK;

    bool shipped = ruleset_find_dir(r->dir, sizeof(r->dir));
    if (!shipped) {
        if (o->nfiles == 0) {
            if (diag != NULL)
                fprintf(diag,
                        "plainsight: the shipped rules were not found (looked next to the "
                        "binary and in %s); give rule files with -S FILE, or --no-rules\n",
                        PS_RULES_DIR);
            return RULESET_MISSING;
        }
        r->dir[0] = '\0';
    } else {
        char path[4096 + 32];
        snprintf(path, sizeof(path), "%s/classification.config", r->dir);
        if (access(path, R_OK) == 0 && rule_set_load_classification(&r->rules, path) != PS_OK)
            return RULESET_ERRORS;
    }

    enum ruleset_status st = ruleset_load_scanners(r, o, diag);
    if (st != RULESET_OK)
        return st;
    if (o->nfiles == 0) {
        st = ruleset_load_dir(&r->rules, r->dir, diag);
    } else {
        for (int i = 0; i < o->nfiles && st == RULESET_OK; i++)
            if (rule_set_load_file(&r->rules, o->files[i]) != PS_OK)
                st = RULESET_MISSING;
    }
    if (st != RULESET_OK)
        return st;

    /* Compiled databases are cached unless --rules-cache none; without a
     * home directory there is simply no default cache. */
    char cache_dir[4096];
    struct detect_cache_config cache = {.dir = NULL, .quiet = o->quiet};
    if (o->cache != NULL && strcmp(o->cache, "none") != 0)
        cache.dir = o->cache;
    else if (o->cache == NULL && detect_cache_default_dir(cache_dir, sizeof(cache_dir)))
        cache.dir = cache_dir;
    r->engine = detect_engine_build_cached(&r->rules, diag, &cache, &r->build);
    if (r->engine == NULL)
        return RULESET_NOMEM;
    if (r->rules.n_errors > 0 || r->build.rules_failed > 0 || r->scanner_errors)
        return RULESET_ERRORS;
    return RULESET_OK;
}

void ruleset_free(struct ruleset *r)
{
    detect_engine_destroy(r->engine);
    scanner_set_destroy(r->scanners);
    rule_set_free(&r->rules);
    memset(r, 0, sizeof(*r));
}
