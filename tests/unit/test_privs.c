/* Unit tests for --user/--group resolution (the switch itself is tested
 * end to end, as it needs root). */
#include <criterion/criterion.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "privs.h"

Test(privs, nothing_asked_resolves_to_nothing_and_drop_is_a_no_op)
{
    struct privs p;
    char err[256];
    cr_assert_eq(privs_resolve(NULL, NULL, &p, err, sizeof(err)), PS_OK);
    cr_assert(!p.set_user && !p.set_group);
    cr_assert_eq(privs_drop(&p, err, sizeof(err)), PS_OK);
}

Test(privs, user_by_name_takes_its_primary_group)
{
    struct privs p;
    char err[256];
    struct passwd *pw = getpwnam("root");
    cr_assert_not_null(pw);
    cr_assert_eq(privs_resolve("root", NULL, &p, err, sizeof(err)), PS_OK, "%s", err);
    cr_assert(p.set_user && p.set_group);
    cr_assert_eq(p.uid, pw->pw_uid);
    cr_assert_eq(p.gid, pw->pw_gid);
}

Test(privs, group_overrides_the_users_group_and_numbers_are_ids)
{
    struct privs p;
    char err[256];
    cr_assert_eq(privs_resolve("0", "4242", &p, err, sizeof(err)), PS_OK, "%s", err);
    cr_assert_eq(p.uid, 0);
    cr_assert_eq(p.gid, 4242);
    struct group *g = getgrgid(0);
    cr_assert_not_null(g);
    cr_assert_eq(privs_resolve(NULL, g->gr_name, &p, err, sizeof(err)), PS_OK, "%s", err);
    cr_assert(!p.set_user && p.set_group);
    cr_assert_eq(p.gid, 0);
}

Test(privs, unknown_names_are_errors_naming_the_option)
{
    struct privs p;
    char err[256];
    cr_assert_eq(privs_resolve("no-such-user-zz", NULL, &p, err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "--user no-such-user-zz: no such user") != NULL, "%s", err);
    cr_assert_eq(privs_resolve("root", "no-such-group-zz", &p, err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "--group no-such-group-zz: no such group") != NULL, "%s", err);
    cr_assert_eq(privs_resolve("", NULL, &p, err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "--user: empty") != NULL, "%s", err);
}

Test(privs, numeric_user_without_passwd_entry_needs_a_group)
{
    struct privs p;
    char err[256];
    /* An id far above any system account. */
    cr_assert_eq(privs_resolve("3999999", NULL, &p, err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "give --group") != NULL, "%s", err);
    cr_assert_eq(privs_resolve("3999999", "3999999", &p, err, sizeof(err)), PS_OK, "%s", err);
    cr_assert_eq(p.uid, 3999999);
    cr_assert_eq(p.gid, 3999999);
}

Test(privs, ids_with_trailing_garbage_are_names)
{
    struct privs p;
    char err[256];
    cr_assert_eq(privs_resolve("12abc", NULL, &p, err, sizeof(err)), PS_ERR);
    cr_assert(strstr(err, "no such user") != NULL, "%s", err);
}
