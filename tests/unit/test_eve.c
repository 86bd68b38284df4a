/* Unit tests for EVE helpers: timestamps, addresses, event-type lists, and
 * whole-line output from several threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eve.h"

Test(eve, timestamp_is_utc_with_microseconds_and_offset)
{
    char buf[EVE_TIME_LEN];
    /* 2016-12-05T09:21:38.123456 UTC, worked out by hand: 1480929698 s */
    eve_time_format(1480929698ULL * 1000000 + 123456, buf);
    cr_assert_str_eq(buf, "2016-12-05T09:21:38.123456+0000");
    eve_time_format(0, buf);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00.000000+0000");
}

Test(eve, addresses_print_like_inet_ntop)
{
    struct ps_addr a = {{192, 0, 2, 1}};
    char buf[64];
    eve_addr_format(4, &a, buf);
    cr_assert_str_eq(buf, "192.0.2.1");
    struct ps_addr b = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    eve_addr_format(6, &b, buf);
    cr_assert_str_eq(buf, "2001:db8::1");
}

Test(eve, event_type_lists_parse_and_reject_unknown_names)
{
    unsigned m;
    char err[128];
    cr_assert_eq(eve_types_parse("flow,stats", &m, err, sizeof(err)), PS_OK);
    cr_assert_eq(m, EVE_FLOW | EVE_STATS);
    cr_assert_eq(eve_types_parse("flow,dns", &m, err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "'dns'") != NULL, "%s", err);
}

struct writer_arg {
    struct eve_output *out;
    int id;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    struct eve_thread *t = eve_thread_create(a->out);
    for (int i = 0; i < 5000; i++) {
        json_t *ev = eve_event_plain("stats", (ps_time_t)i);
        json_object_set_new(ev, "host", json_sprintf("writer-%d-%d-%0200d", a->id, i, 0));
        eve_thread_emit(t, ev);
    }
    eve_thread_destroy(t);
    return NULL;
}

Test(eve, lines_from_many_threads_never_interleave)
{
    char path[] = "/tmp/ps-eve-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char err[128];
    struct eve_output *out = eve_output_open(path, EVE_ALL_TYPES, 0, err, sizeof(err));
    cr_assert_not_null(out, "%s", err);
    pthread_t th[4];
    struct writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct writer_arg){out, i};
        pthread_create(&th[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    struct eve_output_stats st = eve_output_stats(out);
    cr_assert_eq(st.events, 20000);
    cr_assert_eq(st.lost, 0);
    cr_assert_eq(eve_output_close(out), PS_OK);

    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lines = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        cr_assert_not_null(j, "line %d is not whole JSON: %s", lines, je.text);
        cr_assert_str_eq(json_string_value(json_object_get(j, "event_type")), "stats");
        json_decref(j);
        lines++;
    }
    free(line);
    fclose(f);
    unlink(path);
    cr_assert_eq(lines, 20000);
}

Test(eve, unwritable_path_is_refused_with_the_reason)
{
    char err[256];
    struct eve_output *out = eve_output_open("/nonexistent-dir/eve.json", 0, 0, err, sizeof(err));
    cr_assert_null(out);
    cr_assert(strstr(err, "/nonexistent-dir/eve.json") != NULL, "%s", err);
    cr_assert(strstr(err, "No such file") != NULL, "%s", err);
}

Test(eve, event_larger_than_the_thread_buffer_is_written_whole)
{
    char path[] = "/tmp/ps-eve-big-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[128];
    struct eve_output *out = eve_output_open(path, EVE_ALL_TYPES, 0, err, sizeof(err));
    struct eve_thread *t = eve_thread_create(out);
    size_t big = 600 * 1024; /* the thread buffer starts at 256 KiB */
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    for (int i = 0; i < 3; i++) {
        json_t *ev = eve_event_plain("stats", 1);
        json_object_set_new(ev, "host", json_string(i == 1 ? s : "small"));
        eve_thread_emit(t, ev);
    }
    eve_thread_destroy(t);
    cr_assert_eq(eve_output_stats(out).events, 3);
    cr_assert_eq(eve_output_close(out), PS_OK);

    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lines = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "line %d is not whole JSON", lines);
        const char *host = json_string_value(json_object_get(j, "host"));
        cr_assert_eq(strlen(host), lines == 1 ? big : 5);
        json_decref(j);
        lines++;
    }
    free(line);
    free(s);
    fclose(f);
    unlink(path);
    cr_assert_eq(lines, 3);
}
