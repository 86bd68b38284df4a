/* Unit tests for the compiled-database cache: a second build reads what
 * the first wrote, a changed rule misses, a damaged or foreign file is
 * never used, and an unusable directory falls back to compiling. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect.h"

static const uint8_t CLIENT[16] = {10, 0, 0, 1};
static const uint8_t SERVER[16] = {192, 0, 2, 10};

/* One block buffer and one stream buffer: two databases. */
#define RULES_A                                                                                  \
    "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/share/\"; sid:1;)\n"       \
    "alert http any any -> any any (msg:\"body\"; file.data; "                                   \
    "pcre:\"/key=(?P<secret>[A-Za-z0-9]{16,})/\"; sid:2;)\n"
#define RULES_B                                                                                  \
    "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/shared-link/\"; sid:1;)\n" \
    "alert http any any -> any any (msg:\"body\"; file.data; "                                   \
    "pcre:\"/key=(?P<secret>[A-Za-z0-9]{16,})/\"; sid:2;)\n"

struct built {
    struct rule_set rs;
    struct detect_engine *de;
    struct detect_build_stats bs;
    char *diag;
    size_t diag_len;
};

static void build(struct built *b, const char *rules, const char *dir, bool quiet)
{
    memset(b, 0, sizeof(*b));
    rule_set_init(&b->rs);
    FILE *diag = open_memstream(&b->diag, &b->diag_len);
    cr_assert_not_null(diag);
    b->rs.diag = diag;
    cr_assert_eq(rule_set_load_string(&b->rs, "test.rules", rules), PS_OK);
    struct detect_cache_config cache = {.dir = dir, .quiet = quiet};
    b->de = detect_engine_build_cached(&b->rs, diag, &cache, &b->bs);
    fclose(diag);
    b->rs.diag = NULL;
    cr_assert_not_null(b->de, "%s", b->diag);
    cr_assert_eq(b->bs.rules_loaded, 2, "%s", b->diag);
}

static void unbuild(struct built *b)
{
    detect_engine_destroy(b->de);
    rule_set_free(&b->rs);
    free(b->diag);
}

/* Does `sid` fire on a transaction with this URI and body? */
static bool fires(const struct built *b, const char *uri, const char *body, uint32_t sid)
{
    struct detect_thread *dt = detect_thread_create(b->de);
    cr_assert_not_null(dt);
    struct detect_state *st = detect_state_get(dt);
    cr_assert_not_null(st);
    detect_scan(dt, st, RB_HTTP_URI, (const uint8_t *)uri, strlen(uri));
    detect_stream(dt, st, RB_HTTP_RESPONSE_BODY, (const uint8_t *)body, strlen(body));
    struct detect_unit u = {.proto = RULE_PROTO_HTTP, .ip_ver = 4, .client = CLIENT,
                            .server = SERVER, .client_port = 40000, .server_port = 80,
                            .established = true};
    const struct detect_alert *alerts;
    size_t n = detect_eval(dt, st, &u, &alerts);
    bool hit = false;
    for (size_t i = 0; i < n; i++)
        hit |= alerts[i].rule->sid == sid;
    detect_state_put(dt, st);
    detect_thread_destroy(dt);
    return hit;
}

static const char *BODY = "<a href=\"/x?key=Zq8xW2mP4vN7tR1s\">";

static char tmp[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/ps-cache-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    chmod(tmp, 0700);
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The cache files in dir, by name into names (up to max). */
static int list_files(const char *dir, char names[][512], int max)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && n < max)
            snprintf(names[n++], 512, "%s/%s", dir, e->d_name);
    closedir(d);
    return n;
}

static int count_warnings(const char *diag)
{
    int n = 0;
    for (const char *p = diag; (p = strstr(p, "warning: rules cache")) != NULL; p++)
        n++;
    return n;
}

TestSuite(detect_cache, .init = setup, .fini = teardown);

Test(detect_cache, second_build_reads_what_the_first_wrote)
{
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/new/cache", tmp); /* created on the way */
    struct built cold, warm;
    build(&cold, RULES_A, dir, false);
    cr_assert_eq(cold.bs.cache_hits, 0);
    cr_assert_eq(cold.bs.cache_stored, 2, "%s", cold.diag);
    cr_assert_eq(cold.diag_len, 0, "%s", cold.diag);
    struct stat sb;
    cr_assert_eq(stat(dir, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0700);
    char names[8][512];
    cr_assert_eq(list_files(dir, names, 8), 2);

    build(&warm, RULES_A, dir, false);
    cr_assert_eq(warm.bs.cache_hits, 2);
    cr_assert_eq(warm.bs.cache_stored, 0);
    cr_assert(fires(&warm, "/share/abc", "", 1));
    cr_assert_not(fires(&warm, "/other/abc", "", 1));
    cr_assert(fires(&warm, "/", BODY, 2));
    cr_assert_not(fires(&warm, "/", "key=short", 2));
    unbuild(&cold);
    unbuild(&warm);
}

/* A warm start takes every pcre on the word of the cached databases: no
 * pcre is analysed. One that only a prefilter can take never has a cached
 * database under the unchecked expressions, so the build falls back to
 * checking, and still hits the cache with the checked ones. */
Test(detect_cache, warm_start_skips_the_pcre_checks_and_falls_back_when_it_must)
{
    struct built cold, warm;
    build(&cold, RULES_A, tmp, false);
    cr_assert_geq(cold.bs.pcre_checks, 1);
    build(&warm, RULES_A, tmp, false);
    cr_assert_eq(warm.bs.pcre_checks, 0);
    cr_assert_eq(warm.bs.cache_hits, 2);
    cr_assert(fires(&warm, "/", BODY, 2));
    unbuild(&cold);
    unbuild(&warm);

    /* a back-reference: Hyperscan takes it only as a prefilter */
    const char *pre = "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/share/\"; sid:1;)\n"
                      "alert http any any -> any any (msg:\"body\"; file.data; "
                      "pcre:\"/(?P<secret>[A-Za-z0-9]{8})-\\1/\"; sid:2;)\n";
    build(&cold, pre, tmp, false);
    cr_assert_eq(cold.bs.prefiltered, 1);
    build(&warm, pre, tmp, false);
    cr_assert_eq(warm.bs.prefiltered, 1, "%s", warm.diag);
    cr_assert_eq(warm.bs.cache_hits, 2);
    cr_assert_eq(warm.bs.cache_stored, 0);
    cr_assert_geq(warm.bs.pcre_checks, 1);
    cr_assert_eq(warm.diag_len, 0, "%s", warm.diag);
    cr_assert(fires(&warm, "/", "Zq8xW2mP-Zq8xW2mP", 2));
    cr_assert_not(fires(&warm, "/", "Zq8xW2mP-Zq8xW2mQ", 2));
    unbuild(&cold);
    unbuild(&warm);
}

Test(detect_cache, changed_rule_misses_only_its_buffer)
{
    struct built a, b;
    build(&a, RULES_A, tmp, false);
    build(&b, RULES_B, tmp, false);
    cr_assert_eq(b.bs.cache_hits, 1); /* the body database is unchanged */
    cr_assert_eq(b.bs.cache_stored, 1);
    cr_assert(fires(&b, "/shared-link/x", "", 1));
    cr_assert_not(fires(&b, "/share/x", "", 1));
    cr_assert(fires(&b, "/", BODY, 2));
    char names[8][512];
    cr_assert_eq(list_files(tmp, names, 8), 3);
    unbuild(&a);
    unbuild(&b);
}

/* Damage every cache file with f, then check a build compiles afresh,
 * works, and leaves files a third build can use. */
static void check_damaged(void (*damage)(char names[][512], int n))
{
    struct built a, b, c;
    build(&a, RULES_A, tmp, false);
    char names[8][512];
    int n = list_files(tmp, names, 8);
    cr_assert_eq(n, 2);
    damage(names, n);
    build(&b, RULES_A, tmp, false);
    cr_assert_eq(b.bs.cache_hits, 0);
    cr_assert_eq(b.bs.cache_stored, 2);
    cr_assert_eq(b.diag_len, 0, "%s", b.diag);
    cr_assert(fires(&b, "/share/abc", "", 1));
    cr_assert(fires(&b, "/", BODY, 2));
    build(&c, RULES_A, tmp, false);
    cr_assert_eq(c.bs.cache_hits, 2);
    unbuild(&a);
    unbuild(&b);
    unbuild(&c);
}

static void flip_last_byte(char names[][512], int n)
{
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(names[i], "r+b");
        cr_assert_not_null(f);
        fseek(f, -1, SEEK_END);
        int ch = fgetc(f);
        fseek(f, -1, SEEK_END);
        fputc(ch ^ 0x55, f);
        fclose(f);
    }
}

static void truncate_half(char names[][512], int n)
{
    for (int i = 0; i < n; i++) {
        struct stat sb;
        cr_assert_eq(stat(names[i], &sb), 0);
        cr_assert_eq(truncate(names[i], sb.st_size / 2), 0);
    }
}

/* Each file holds the other's database: a valid file under a wrong key. */
static void swap_files(char names[][512], int n)
{
    cr_assert_eq(n, 2);
    char t[600];
    snprintf(t, sizeof(t), "%s.swap", names[0]);
    cr_assert_eq(rename(names[0], t), 0);
    cr_assert_eq(rename(names[1], names[0]), 0);
    cr_assert_eq(rename(t, names[1]), 0);
}

static void empty_files(char names[][512], int n)
{
    for (int i = 0; i < n; i++)
        cr_assert_eq(truncate(names[i], 0), 0);
}

Test(detect_cache, corrupt_database_is_ignored)
{
    check_damaged(flip_last_byte);
}

Test(detect_cache, truncated_file_is_ignored)
{
    check_damaged(truncate_half);
}

Test(detect_cache, empty_file_is_ignored)
{
    check_damaged(empty_files);
}

Test(detect_cache, file_of_another_key_is_ignored)
{
    check_damaged(swap_files);
}

Test(detect_cache, unusable_directory_falls_back_with_one_warning)
{
    /* A path through a regular file cannot be created, even by root. */
    char file[128], dir[160];
    snprintf(file, sizeof(file), "%s/plain-file", tmp);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(dir, sizeof(dir), "%s/cache", file);
    struct built b, q;
    build(&b, RULES_A, dir, false);
    cr_assert_eq(b.bs.cache_hits + b.bs.cache_stored, 0);
    cr_assert_eq(count_warnings(b.diag), 1, "%s", b.diag);
    cr_assert(fires(&b, "/share/abc", "", 1));
    cr_assert(fires(&b, "/", BODY, 2));
    build(&q, RULES_A, dir, true);
    cr_assert_eq(q.diag_len, 0, "%s", q.diag);
    unbuild(&b);
    unbuild(&q);
}

Test(detect_cache, directory_open_to_others_is_not_trusted)
{
    struct built a, b;
    build(&a, RULES_A, tmp, false);
    cr_assert_eq(chmod(tmp, 0777), 0);
    build(&b, RULES_A, tmp, false);
    cr_assert_eq(b.bs.cache_hits, 0);
    cr_assert_eq(b.bs.cache_stored, 0);
    cr_assert_eq(count_warnings(b.diag), 1, "%s", b.diag);
    cr_assert(fires(&b, "/share/abc", "", 1));
    unbuild(&a);
    unbuild(&b);
}

Test(detect_cache, no_directory_means_no_cache)
{
    struct built b;
    build(&b, RULES_A, NULL, false);
    cr_assert_eq(b.bs.cache_hits + b.bs.cache_stored, 0);
    cr_assert_eq(b.diag_len, 0, "%s", b.diag);
    unbuild(&b);
}

Test(detect_cache, default_directory_follows_xdg_then_home)
{
    char out[256];
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    cr_assert(detect_cache_default_dir(out, sizeof(out)));
    cr_assert_str_eq(out, "/x/cache/plainsight");
    setenv("XDG_CACHE_HOME", "relative", 1); /* the spec says: ignore it */
    cr_assert(detect_cache_default_dir(out, sizeof(out)));
    cr_assert_str_eq(out, "/home/u/.cache/plainsight");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    cr_assert_not(detect_cache_default_dir(out, sizeof(out)));
}
