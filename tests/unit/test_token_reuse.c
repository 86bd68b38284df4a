/*
 * test_token_reuse.c - the shared table of token-bearing fetches: who is a
 * second client, the window, eviction under the memcap, the digest, and
 * concurrent workers.
 *
 * The expected digest was computed with Python's hashlib while writing the
 * test: sha1(b"app.example.com\0" + sha1(b"0123token-abcdef").digest())
 * .hexdigest()[:32], independently of hash.c.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token_reuse.h"

#define S(lit) ((struct ps_slice){(const uint8_t *)(lit), sizeof(lit) - 1})
#define SEC(n) ((ps_time_t)(n) * 1000000u)

static struct token_reuse *table(size_t memcap)
{
    struct token_reuse_config c = {SEC(3600), memcap};
    struct token_reuse *tr = token_reuse_create(&c);
    cr_assert_not_null(tr);
    return tr;
}

static struct token_reuse_client client(uint8_t last_octet, const char *ua)
{
    struct token_reuse_client c = {.ip_ver = 4, .addr = {10, 0, 0, last_octet}};
    c.ua_len = (uint8_t)strlen(ua);
    memcpy(c.ua, ua, c.ua_len);
    return c;
}

static void key_of(const char *secret, uint8_t key[TOKEN_REUSE_KEY_LEN])
{
    token_reuse_key(S("app.example.com"),
                    (struct ps_slice){(const uint8_t *)secret, strlen(secret)}, key);
}

Test(token_reuse, digest_of_host_and_secret)
{
    static const uint8_t want[16] = {0x4f, 0x49, 0xa9, 0x94, 0x01, 0xa9, 0xdb, 0xe0,
                                     0x7f, 0xf5, 0xe6, 0xd8, 0xc7, 0x5e, 0x2f, 0xcb};
    uint8_t a[16], b[16], c[16];
    token_reuse_key(S("App.Example.COM"), S("0123token-abcdef"), a);
    cr_assert_arr_eq(a, want, 16, "host case does not matter");
    token_reuse_key(S("app.example.org"), S("0123token-abcdef"), b);
    token_reuse_key(S("app.example.com"), S("0123token-abcdeF"), c);
    cr_assert(memcmp(a, b, 16) != 0 && memcmp(a, c, 16) != 0);
}

Test(token_reuse, second_distinct_client_reports_once)
{
    struct token_reuse *tr = table(1 << 20);
    uint8_t k[16];
    key_of("token-one", k);
    struct token_reuse_result r;
    struct token_reuse_client a = client(1, "scanner"), b = client(2, "browser"),
                              c = client(3, "phone");
    token_reuse_see(tr, k, &a, SEC(100), &r);
    cr_assert(!r.reused);
    cr_assert_eq(r.n_clients, 1);
    token_reuse_see(tr, k, &a, SEC(101), &r); /* same client again */
    cr_assert(!r.reused);
    cr_assert_eq(r.n_clients, 1);
    token_reuse_see(tr, k, &b, SEC(120), &r);
    cr_assert(r.reused);
    cr_assert_eq(r.n, 2);
    cr_assert_str_eq(r.clients[0].ua, "scanner");
    cr_assert_eq(r.clients[0].first_seen, SEC(100));
    cr_assert_eq(r.clients[1].addr[3], 2);
    token_reuse_see(tr, k, &c, SEC(130), &r);
    cr_assert(!r.reused, "reported once per token");
    cr_assert_eq(r.n_clients, 3);
    struct token_reuse_stats st;
    token_reuse_get_stats(tr, &st);
    cr_assert_eq(st.lookups, 4);
    cr_assert_eq(st.alerts, 1);
    cr_assert_eq(st.entries, 1);
    token_reuse_destroy(tr);
}

Test(token_reuse, clients_are_listed_by_first_fetch_whatever_the_arrival)
{
    struct token_reuse *tr = table(1 << 20);
    uint8_t k[16];
    key_of("token-two", k);
    struct token_reuse_result r;
    struct token_reuse_client early = client(9, "early"), late = client(1, "late");
    token_reuse_see(tr, k, &late, SEC(50), &r); /* processed first, fetched later */
    token_reuse_see(tr, k, &early, SEC(20), &r);
    cr_assert(r.reused);
    cr_assert_str_eq(r.clients[0].ua, "early");
    cr_assert_str_eq(r.clients[1].ua, "late");
    token_reuse_destroy(tr);
}

Test(token_reuse, fetches_further_apart_than_the_window_are_no_reuse)
{
    struct token_reuse *tr = table(1 << 20);
    uint8_t k[16];
    key_of("token-three", k);
    struct token_reuse_result r;
    struct token_reuse_client a = client(1, "a"), b = client(2, "b");
    token_reuse_see(tr, k, &a, SEC(0), &r);
    token_reuse_see(tr, k, &b, SEC(3601), &r);
    cr_assert(!r.reused);
    cr_assert_eq(r.n_clients, 1, "the idle client was forgotten");
    struct token_reuse_stats st;
    token_reuse_get_stats(tr, &st);
    cr_assert_eq(st.expired, 1, "the token expired and started afresh");
    token_reuse_see(tr, k, &a, SEC(3700), &r);
    cr_assert(r.reused, "within the window of b's fetch");
    token_reuse_destroy(tr);
}

Test(token_reuse, memcap_evicts_the_least_recently_fetched)
{
    struct token_reuse *tr = table(1 << 20);
    struct token_reuse_result r;
    struct token_reuse_client a = client(1, "a"), b = client(2, "b");
    uint8_t k[16], first[16];
    key_of("token-0", first);
    token_reuse_see(tr, first, &a, SEC(1), &r);
    char name[32];
    for (int i = 1; i <= 20000; i++) {
        snprintf(name, sizeof(name), "token-%d", i);
        key_of(name, k);
        token_reuse_see(tr, k, &a, SEC(2), &r);
    }
    struct token_reuse_stats st;
    token_reuse_get_stats(tr, &st);
    cr_assert_gt(st.evictions, 0);
    cr_assert_eq(st.entries + st.evictions, 20001);
    /* entries within the memcap; the buckets and stripes come on top */
    cr_assert_leq(st.memuse, (uint64_t)(1 << 20) + 64 * 1024, "memuse %llu",
                  (unsigned long long)st.memuse);
    token_reuse_see(tr, first, &b, SEC(3), &r);
    cr_assert(!r.reused, "the oldest token was evicted: b is its first client now");
    token_reuse_destroy(tr);
}

Test(token_reuse, refuses_a_memcap_below_one_entry_per_stripe)
{
    struct token_reuse_config c = {SEC(60), 1024};
    cr_assert_null(token_reuse_create(&c));
}

/* Workers fetching the same tokens from their own addresses, concurrently:
 * each token is reported exactly once. */
#define WORKERS 4
#define TOKENS 2000

static struct token_reuse *shared;

static void *worker(void *arg)
{
    uint8_t id = (uint8_t)(uintptr_t)arg;
    struct token_reuse_client c = client((uint8_t)(id + 1), "worker");
    struct token_reuse_result r;
    uint8_t k[16];
    char name[32];
    unsigned *reported = calloc(1, sizeof(unsigned));
    for (int i = 0; i < TOKENS; i++) {
        snprintf(name, sizeof(name), "shared-%d", (i * 7 + id * 13) % TOKENS);
        key_of(name, k);
        token_reuse_see(shared, k, &c, SEC(10 + i), &r);
        *reported += r.reused;
    }
    return reported;
}

Test(token_reuse, concurrent_workers_report_each_token_once)
{
    shared = table(16 << 20);
    pthread_t t[WORKERS];
    for (uintptr_t i = 0; i < WORKERS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    unsigned total = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        total += *(unsigned *)ret;
        free(ret);
    }
    cr_assert_eq(total, TOKENS);
    struct token_reuse_stats st;
    token_reuse_get_stats(shared, &st);
    cr_assert_eq(st.alerts, TOKENS);
    cr_assert_eq(st.lookups, WORKERS * TOKENS);
    token_reuse_destroy(shared);
}
