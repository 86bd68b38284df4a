/*
 * detect_cache.c - compiled Hyperscan databases kept on disk between runs,
 * so a start with unchanged rules skips the compiler (about a second for
 * the shipped rules) and only deserializes.
 *
 * A database is found by the SHA-256 of its key: everything its compile
 * depends on (Hyperscan's version, the platform hs_populate_platform
 * reports, the mode, and every expression with its id, flags and extension
 * fields). The file holds a header, the key itself and the serialized
 * database with its checksum; a load checks all of them, and any mismatch,
 * truncation or corruption is a miss: the database is compiled and the
 * file rewritten. Files are written to a temporary name and renamed, so a
 * reader never sees half a file. Only a directory owned by the user and not
 * writable by others is used, as deserializing is trusting its content.
 *
 * File: "PSHSDB\0\2", u64 key length, u64 database length, u64 checksum
 * of the database (hash_bytes64), key, database; integers little-endian.
 * The checksum catches torn or damaged files, not forgeries: the directory
 * is private (see above). Its cost is a start-up cost; SHA-256 of the
 * shipped rules' 2 MB of databases was a third of a warm start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect_int.h"
#include "hash.h"

static const uint8_t CACHE_MAGIC[8] = {'P', 'S', 'H', 'S', 'D', 'B', 0, 2};
#define CACHE_HEADER (8 + 8 + 8 + 8)
#define CACHE_MAX_FILE ((size_t)1 << 30)

bool detect_cache_default_dir(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, len, "%s/plainsight", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(out, len, "%s/.cache/plainsight", home);
    else
        return false;
    return n > 0 && (size_t)n < len;
}

/* One warning per build, and none when quiet: the cache is an optimisation. */
static void detect_cache_warn(struct detect_build *b, const char *fmt, ...)
{
    if (!b->cache_ok)
        return;
    b->cache_ok = false; /* stop using it for the rest of this build */
    if (b->cache_quiet || b->diag == NULL)
        return;
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    fprintf(b->diag,
            "plainsight: warning: rules cache %s: %s; compiling the rules at every start "
            "(--rules-cache DIR to choose another directory, none to turn it off)\n",
            b->cache_dir, why);
}

/* ---- the key ---- */

static void key_bytes(struct detect_cache_key *k, const void *v, size_t n)
{
    if (k->len + n > k->cap) {
        size_t cap = k->cap ? k->cap : 1024;
        while (cap < k->len + n)
            cap *= 2;
        uint8_t *p = realloc(k->p, cap);
        if (p == NULL) {
            k->nomem = true;
            return;
        }
        k->p = p;
        k->cap = cap;
    }
    memcpy(k->p + k->len, v, n);
    k->len += n;
}

static void put_u64(uint8_t *out, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *in)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)in[i] << (8 * i);
    return v;
}

static void key_u64(struct detect_cache_key *k, uint64_t v)
{
    uint8_t b[8];
    put_u64(b, v);
    key_bytes(k, b, sizeof(b));
}

static void key_str(struct detect_cache_key *k, const char *s)
{
    size_t n = strlen(s);
    key_u64(k, n);
    key_bytes(k, s, n);
}

int detect_cache_key_make(struct detect_cache_key *k, const char **exprs,
                          const unsigned *flags, const unsigned *ids,
                          const hs_expr_ext_t **exts, unsigned n, unsigned mode)
{
    hs_platform_info_t plat;
    memset(k, 0, sizeof(*k));
    if (hs_populate_platform(&plat) != HS_SUCCESS)
        return PS_DECLINED;
    key_str(k, "plainsight hyperscan database 1");
    key_str(k, hs_version());
    key_u64(k, plat.tune);
    key_u64(k, plat.cpu_features);
    key_u64(k, plat.reserved1);
    key_u64(k, plat.reserved2);
    key_u64(k, mode);
    key_u64(k, n);
    for (unsigned i = 0; i < n; i++) {
        key_u64(k, ids[i]);
        key_u64(k, flags[i]);
        const hs_expr_ext_t *x = exts[i];
        key_u64(k, x != NULL);
        if (x != NULL) {
            key_u64(k, x->flags);
            key_u64(k, x->min_offset);
            key_u64(k, x->max_offset);
            key_u64(k, x->min_length);
            key_u64(k, x->edit_distance);
            key_u64(k, x->hamming_distance);
        }
        key_str(k, exprs[i]);
    }
    if (k->nomem) {
        detect_cache_key_free(k);
        return PS_NOMEM;
    }
    uint8_t d[32];
    hash_sha256(k->p, k->len, d);
    for (unsigned i = 0; i < 32; i++)
        snprintf(k->name + 2 * i, 3, "%02x", d[i]);
    return PS_OK;
}

void detect_cache_key_free(struct detect_cache_key *k)
{
    free(k->p);
    k->p = NULL;
    k->len = k->cap = 0;
}

/* ---- the directory ---- */

/* mkdir -p, new directories 0700. */
static int detect_cache_mkdirs(const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof(path))
        return ENAMETOOLONG;
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return errno;
        path[i] = c;
    }
    return 0;
}

/* The directory is ours and closed to others, created when missing. */
static bool detect_cache_dir_ready(struct detect_build *b)
{
    if (!b->cache_ok)
        return false;
    if (b->cache_checked)
        return true;
    struct stat sb;
    if (stat(b->cache_dir, &sb) != 0) {
        int e = detect_cache_mkdirs(b->cache_dir);
        if (e != 0 || stat(b->cache_dir, &sb) != 0) {
            detect_cache_warn(b, "cannot create it: %s", strerror(e ? e : errno));
            return false;
        }
    }
    if (!S_ISDIR(sb.st_mode)) {
        detect_cache_warn(b, "not a directory");
        return false;
    }
    if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0) {
        detect_cache_warn(b, "not used: it must belong to you and be writable by no one else");
        return false;
    }
    b->cache_checked = true;
    return true;
}

/* ---- load and store ---- */

static bool detect_cache_read(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

int detect_cache_load(struct detect_build *b, const struct detect_cache_key *k,
                      hs_database_t **db)
{
    if (!detect_cache_dir_ready(b))
        return PS_DECLINED;
    char path[4096 + 80];
    snprintf(path, sizeof(path), "%s/%s.hsdb", b->cache_dir, k->name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return PS_DECLINED;
    int rc = PS_DECLINED;
    uint8_t *buf = NULL;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
        (size_t)sb.st_size < CACHE_HEADER + k->len || (size_t)sb.st_size > CACHE_MAX_FILE)
        goto out;
    size_t size = (size_t)sb.st_size;
    buf = malloc(size);
    if (buf == NULL || !detect_cache_read(fd, buf, size))
        goto out;
    uint64_t key_len = get_u64(buf + 8), db_len = get_u64(buf + 16);
    if (memcmp(buf, CACHE_MAGIC, 8) != 0 || key_len != k->len ||
        db_len != size - CACHE_HEADER - k->len || memcmp(buf + CACHE_HEADER, k->p, k->len) != 0)
        goto out;
    const uint8_t *body = buf + CACHE_HEADER + k->len;
    if (hash_bytes64(body, db_len) != get_u64(buf + 24))
        goto out;
    if (hs_deserialize_database((const char *)body, db_len, db) == HS_SUCCESS)
        rc = PS_OK;
out:
    free(buf);
    close(fd);
    return rc;
}

static bool detect_cache_write(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

void detect_cache_store(struct detect_build *b, const struct detect_cache_key *k,
                        const hs_database_t *db)
{
    if (!detect_cache_dir_ready(b))
        return;
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    uint8_t head[CACHE_HEADER];
    memcpy(head, CACHE_MAGIC, 8);
    put_u64(head + 8, k->len);
    put_u64(head + 16, len);
    put_u64(head + 24, hash_bytes64(bytes, len));

    char path[4096 + 80], tmp[4096 + 80];
    snprintf(path, sizeof(path), "%s/%s.hsdb", b->cache_dir, k->name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", b->cache_dir, k->name);
    int fd = mkstemp(tmp); /* 0600 */
    if (fd < 0) {
        detect_cache_warn(b, "cannot write in it: %s", strerror(errno));
        free(bytes);
        return;
    }
    bool ok = detect_cache_write(fd, head, sizeof(head)) && detect_cache_write(fd, k->p, k->len) &&
              detect_cache_write(fd, (const uint8_t *)bytes, len);
    int e = ok ? 0 : errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        detect_cache_warn(b, "cannot write in it: %s", strerror(e ? e : EIO));
    } else {
        b->cache_stored++;
    }
    free(bytes); /* Hyperscan's misc allocator is malloc by default */
}
