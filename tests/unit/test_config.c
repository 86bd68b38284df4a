/* Unit tests for the knob table: defaults, parsing, ranges, help. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

Test(config, defaults_come_from_the_table)
{
    struct ps_config c;
    config_defaults(&c);
    cr_assert_eq(c.flow_memcap, 128u << 20);
    cr_assert_eq(c.tcp_timeout_established, 600);
    cr_assert_eq(c.defrag_max_frags, 256);
    cr_assert_geq(c.threads, 1);
}

Test(config, sizes_take_binary_suffixes)
{
    struct ps_config c;
    char err[128];
    config_defaults(&c);
    cr_assert_eq(config_set(&c, "flow-memcap", "64M", err, sizeof(err)), PS_OK);
    cr_assert_eq(c.flow_memcap, 64u << 20);
    cr_assert_eq(config_set(&c, "flow-memcap", "2G", err, sizeof(err)), PS_OK);
    cr_assert_eq(c.flow_memcap, 2ULL << 30);
    cr_assert_eq(config_set(&c, "stream-gap-bound", "512KiB", err, sizeof(err)), PS_OK);
    cr_assert_eq(c.stream_gap_bound, 512u << 10);
    cr_assert_eq(config_set(&c, "http-body-limit", "100", err, sizeof(err)), PS_OK);
    cr_assert_eq(c.http_body_limit, 100);
}

Test(config, rejects_garbage_and_out_of_range_with_a_message)
{
    struct ps_config c;
    char err[128];
    config_defaults(&c);
    unsigned threads = c.threads;
    cr_assert_eq(config_set(&c, "threads", "0", err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "out of range 1..256") != NULL, "%s", err);
    cr_assert_eq(config_set(&c, "threads", "2x", err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "not a whole number") != NULL, "%s", err);
    cr_assert_eq(config_set(&c, "flow-memcap", "-5M", err, sizeof(err)), PS_ERR);
    cr_assert_eq(config_set(&c, "flow-memcap", "99999999999G", err, sizeof(err)), PS_ERR);
    cr_assert_eq(config_set(&c, "no-such-knob", "1", err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "unknown setting") != NULL, "%s", err);
    cr_assert_eq(c.threads, threads, "a refused value must leave the setting alone");
}

Test(config, help_names_every_knob_with_its_default)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_help(f);
    fclose(f);
    for (const struct config_knob *k = config_knobs(); k->name != NULL; k++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s=", k->name);
        cr_assert(strstr(buf, opt) != NULL, "help lacks %s", opt);
    }
    cr_assert(strstr(buf, "default 128M") != NULL);
    cr_assert(strstr(buf, "default 600s") != NULL);
    free(buf);
}

Test(config, live_capture_knobs_have_their_defaults_and_ranges)
{
    struct ps_config c;
    char err[128];
    config_defaults(&c);
    cr_assert_eq(c.stats_interval, 60);
    cr_assert_eq(c.snaplen, 262144);
    cr_assert_eq(c.buffer_size, 64u << 20);
    cr_assert_eq(config_set(&c, "stats-interval", "0", err, sizeof(err)), PS_OK);
    cr_assert_eq(c.stats_interval, 0);
    cr_assert_eq(config_set(&c, "snaplen", "63", err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "out of range 64..262144") != NULL, "%s", err);
    cr_assert_eq(config_set(&c, "buffer-size", "0", err, sizeof(err)), PS_OK);
    cr_assert_eq(c.buffer_size, 0);
    cr_assert_eq(config_set(&c, "buffer-size", "2G", err, sizeof(err)), PS_ERR);
}
