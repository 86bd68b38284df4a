/* Unit tests for the progress line's text. */
#include <criterion/criterion.h>
#include <string.h>

#include "progress.h"

Test(progress, known_total_shows_percent_rate_and_time_left)
{
    char buf[256];
    struct progress_sample s = {.elapsed = 2.0, .done = 50000000, .total = 200000000,
                                .flows = 1234, .alerts = 5};
    progress_format(buf, sizeof(buf), &s);
    /* 50 MB in 2 s = 25 MB/s; 150 MB left = 6 s. */
    cr_assert_str_eq(buf, "25.0% 50.0 of 200.0 MB, 25.0 MB/s, 1234 flows, 5 alerts, 0:06 left");
}

Test(progress, long_runs_show_hours)
{
    char buf[256];
    struct progress_sample s = {.elapsed = 10.0, .done = 10000000, .total = 40010000000ULL};
    progress_format(buf, sizeof(buf), &s);
    /* 1 MB/s, 40000 MB left = 40000 s = 11:06:40. */
    cr_assert(strstr(buf, ", 11:06:40 left") != NULL, "%s", buf);
}

Test(progress, unknown_total_shows_bytes_and_rate_only)
{
    char buf[256];
    struct progress_sample s = {.elapsed = 4.0, .done = 8000000, .flows = 3, .alerts = 0};
    progress_format(buf, sizeof(buf), &s);
    cr_assert_str_eq(buf, "8.0 MB, 2.0 MB/s, 3 flows, 0 alerts");
}

Test(progress, start_of_run_has_no_rate_and_no_time_left)
{
    char buf[256];
    struct progress_sample s = {.elapsed = 0.0, .done = 0, .total = 1000};
    progress_format(buf, sizeof(buf), &s);
    cr_assert_str_eq(buf, "0.0% 0.0 of 0.0 MB, 0.0 MB/s, 0 flows, 0 alerts");
}

Test(progress, done_past_total_is_capped_at_100_percent)
{
    char buf[256];
    struct progress_sample s = {.elapsed = 1.0, .done = 3000000, .total = 2000000};
    progress_format(buf, sizeof(buf), &s);
    cr_assert(strncmp(buf, "100.0% ", 7) == 0, "%s", buf);
}

Test(progress, short_buffer_is_cut_not_overrun)
{
    char buf[16];
    struct progress_sample s = {.elapsed = 2.0, .done = 50000000, .total = 200000000};
    int n = progress_format(buf, sizeof(buf), &s);
    cr_assert_gt(n, 15);
    cr_assert_eq(strlen(buf), 15);
}
