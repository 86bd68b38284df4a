/*
 * privs.h - giving up root once the capture device and outputs are open
 * (--user, --group).
 *
 * Resolving the names is separate from dropping, so a misspelt user fails
 * the run before any device is opened. The drop is all-or-nothing: the
 * supplementary groups are replaced by the one group, then the group id,
 * then the user id are set, in that order (setuid first would leave no
 * right to change the groups), and a failure of any step is fatal.
 */
#ifndef PS_PRIVS_H
#define PS_PRIVS_H

#include <sys/types.h>

#include "common.h"

struct privs {
    bool set_user, set_group;
    uid_t uid;
    gid_t gid;
};

/*
 * user and group may be NULL, a name, or a number. A user without a group
 * takes the user's primary group. PS_ERR with a message naming the option
 * when a name is unknown.
 */
int privs_resolve(const char *user, const char *group, struct privs *out, char *err,
                  size_t errlen);

/* Become p's user and group. PS_OK at once when nothing was asked. PS_ERR
 * with the failing call and what to do when the process may not switch
 * (not started as root, or without CAP_SETUID/CAP_SETGID). */
int privs_drop(const struct privs *p, char *err, size_t errlen);

#endif
