/*
 * test_http_redirect.c - http.redirect_upgrade: a response that sends the
 * request to the same URL on https:// (detections.md, family C), and the
 * near misses that must not count.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "http.h"

static bool upgrade(int status, const char *host, const char *target, const char *location)
{
    return http_redirect_is_upgrade(status,
                                    (struct ps_slice){(const uint8_t *)host, strlen(host)},
                                    (struct ps_slice){(const uint8_t *)target, strlen(target)},
                                    (struct ps_slice){(const uint8_t *)location, strlen(location)});
}

#define SEED_PATH "/owa/calendar/7e06d7c1c400911d31690a8ff606eb0e@contoso.example/" \
                  "c0ffeef51f7f7c0fa631639aae99aca87151056338189192863/calendar.html"

Test(http_redirect, seed_case)
{
    cr_assert(upgrade(301, "outlook.office365.com", SEED_PATH,
                      "https://outlook.office365.com" SEED_PATH));
}

Test(http_redirect, every_redirect_status)
{
    int yes[] = {301, 302, 307, 308};
    for (size_t i = 0; i < 4; i++)
        cr_assert(upgrade(yes[i], "h.example", "/a?b=1", "https://h.example/a?b=1"), "%d", yes[i]);
    int no[] = {200, 300, 303, 304, 305, 404, -1};
    for (size_t i = 0; i < 7; i++)
        cr_assert_not(upgrade(no[i], "h.example", "/a?b=1", "https://h.example/a?b=1"), "%d",
                      no[i]);
}

Test(http_redirect, normal_forms_are_equal)
{
    /* scheme and host case, default port, trailing dot, fragment */
    cr_assert(upgrade(301, "h.example", "/a", "HTTPS://H.Example/a"));
    cr_assert(upgrade(301, "h.example", "/a", "https://h.example:443/a"));
    cr_assert(upgrade(301, "h.example", "/a", "https://h.example./a"));
    cr_assert(upgrade(301, "h.example", "/a?x=1", "https://h.example/a?x=1#frag"));
    /* percent-encoding on either side */
    cr_assert(upgrade(301, "h.example", "/cal/jane%40example.com/x",
                      "https://h.example/cal/jane@example.com/x"));
    cr_assert(upgrade(301, "h.example", "/a%2fb", "https://h.example/a%2Fb"));
    /* empty path is the root */
    cr_assert(upgrade(301, "h.example", "/", "https://h.example"));
    /* userinfo is not the host */
    cr_assert(upgrade(301, "h.example", "/a", "https://user@h.example/a"));
    /* surrounding blanks */
    cr_assert(upgrade(301, "h.example", "/a", "  https://h.example/a "));
}

Test(http_redirect, absolute_form_request_counts_by_path)
{
    cr_assert(upgrade(301, "h.example", "http://h.example/a?x=1", "https://h.example/a?x=1"));
    cr_assert(upgrade(301, "h.example", "http://h.example", "https://h.example/"));
}

Test(http_redirect, near_misses)
{
    cr_assert_not(upgrade(301, "h.example", "/a", "http://h.example/a"));     /* not https */
    cr_assert_not(upgrade(301, "h.example", "/a", "/a"));                     /* relative */
    cr_assert_not(upgrade(301, "h.example", "/a", "https://other.example/a")); /* other host */
    cr_assert_not(upgrade(301, "h.example", "/a", "https://h.example.evil/a"));
    cr_assert_not(upgrade(301, "h.example", "/a", "https://h.example:8443/a")); /* other port */
    cr_assert_not(upgrade(301, "h.example", "/a", "https://h.example/b"));    /* other path */
    cr_assert_not(upgrade(301, "h.example", "/a?x=1", "https://h.example/a")); /* query dropped */
    cr_assert_not(upgrade(301, "h.example", "/a", "https://h.example/a?x=1")); /* query added */
    cr_assert_not(upgrade(301, "h.example", "/about", "https://h.example/login?next=/about"));
    cr_assert_not(upgrade(301, "", "/a", "https://h.example/a"));             /* no host */
    cr_assert_not(upgrade(301, "h.example", "/a", ""));
    cr_assert_not(upgrade(301, "h.example", "/a", "https://"));
    cr_assert_not(upgrade(301, "h.example", "/a", "https://[::1/a"));         /* broken IPv6 */
}

Test(http_redirect, ipv6_literal_host)
{
    cr_assert(upgrade(301, "2001:db8::1", "/a", "https://[2001:db8::1]/a"));
    cr_assert(upgrade(301, "2001:db8::1", "/a", "https://[2001:db8::1]:443/a"));
    cr_assert_not(upgrade(301, "2001:db8::1", "/a", "https://[2001:db8::2]/a"));
}
