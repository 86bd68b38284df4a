/*
 * privs.c - user and group switch (see privs.h).
 */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "123" -> 123; false for anything that is not a plain decimal id. */
static bool privs_parse_id(const char *s, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v >= (unsigned long)(uid_t)-1)
        return false;
    *out = v;
    return true;
}

static int privs_resolve_user(const char *user, struct privs *out, char *err, size_t errlen)
{
    char buf[4096];
    struct passwd pw, *res = NULL;
    unsigned long id;
    int rc;

    if (privs_parse_id(user, &id))
        rc = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
    else
        rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
    if (res == NULL && privs_parse_id(user, &id)) {
        /* A numeric id need not have a passwd entry; its group must then
         * be given. */
        out->uid = (uid_t)id;
        out->gid = (gid_t)-1;
        return PS_OK;
    }
    if (res == NULL) {
        snprintf(err, errlen, "--user %s: %s", user,
                 rc != 0 ? strerror(rc) : "no such user (see /etc/passwd)");
        return PS_ERR;
    }
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    return PS_OK;
}

static int privs_resolve_group(const char *group, struct privs *out, char *err, size_t errlen)
{
    char buf[4096];
    struct group gr, *res = NULL;
    unsigned long id;

    if (privs_parse_id(group, &id)) {
        out->gid = (gid_t)id;
        return PS_OK;
    }
    int rc = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
    if (res == NULL) {
        snprintf(err, errlen, "--group %s: %s", group,
                 rc != 0 ? strerror(rc) : "no such group (see /etc/group)");
        return PS_ERR;
    }
    out->gid = gr.gr_gid;
    return PS_OK;
}

int privs_resolve(const char *user, const char *group, struct privs *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->uid = (uid_t)-1;
    out->gid = (gid_t)-1;
    if (user != NULL) {
        if (*user == '\0') {
            snprintf(err, errlen, "--user: empty name");
            return PS_ERR;
        }
        if (privs_resolve_user(user, out, err, errlen) != PS_OK)
            return PS_ERR;
        out->set_user = true;
    }
    if (group != NULL) {
        if (*group == '\0') {
            snprintf(err, errlen, "--group: empty name");
            return PS_ERR;
        }
        if (privs_resolve_group(group, out, err, errlen) != PS_OK)
            return PS_ERR;
    }
    if (out->gid == (gid_t)-1 && out->set_user) {
        snprintf(err, errlen, "--user %s: no passwd entry to take a group from; give --group",
                 user);
        return PS_ERR;
    }
    out->set_group = out->gid != (gid_t)-1;
    return PS_OK;
}

int privs_drop(const struct privs *p, char *err, size_t errlen)
{
    static const char hint[] = "start plainsight as root (or with CAP_SETUID and CAP_SETGID) "
                               "to use --user/--group";
    if (!p->set_user && !p->set_group)
        return PS_OK;
    if (setgroups(1, &p->gid) != 0) {
        snprintf(err, errlen, "cannot drop privileges: setgroups: %s; %s", strerror(errno), hint);
        return PS_ERR;
    }
    if (setgid(p->gid) != 0) {
        snprintf(err, errlen, "cannot drop privileges: setgid(%u): %s; %s", (unsigned)p->gid,
                 strerror(errno), hint);
        return PS_ERR;
    }
    if (p->set_user && setuid(p->uid) != 0) {
        snprintf(err, errlen, "cannot drop privileges: setuid(%u): %s; %s", (unsigned)p->uid,
                 strerror(errno), hint);
        return PS_ERR;
    }
    /* Paranoia: having left root, getting it back must be impossible. */
    if (p->set_user && p->uid != 0 && setuid(0) == 0) {
        snprintf(err, errlen, "cannot drop privileges: root could be regained after setuid(%u)",
                 (unsigned)p->uid);
        return PS_ERR;
    }
    return PS_OK;
}
