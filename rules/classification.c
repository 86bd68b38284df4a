/*
 * classification.c - Suricata's classification.config format:
 *
 *   config classification: credential-leak,Credential or secret exposed,1
 *
 * The description may itself contain commas: the name ends at the first
 * comma and the priority follows the last. A name defined twice keeps its
 * first definition, with a warning, so the class_desc a loaded rule
 * borrows never dangles.
 */
#include "rule_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct class_line {
    struct rule_set *rs;
    const char *file;
    uint32_t line;
    const char *text; /* the whole line, for columns */
};

static void class_diag(const struct class_line *cl, const char *at, const char *level,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void class_diag(const struct class_line *cl, const char *at, const char *level,
                       const char *fmt, ...)
{
    if (cl->rs->diag == NULL)
        return;
    fprintf(cl->rs->diag, "%s:%u:%u: %s: classification: ", cl->file, cl->line,
            (unsigned)(at - cl->text) + 1, level);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(cl->rs->diag, fmt, ap);
    va_end(ap);
    fputc('\n', cl->rs->diag);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ws(const char *s, const char *e)
{
    while (s < e && is_ws(*s))
        s++;
    return s;
}

static const char *skip_word(const char *s, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(e - s) >= n && strncmp(s, w, n) == 0 ? s + n : NULL;
}

static int class_add(const struct class_line *cl, const char *name, size_t nlen,
                     const char *desc, size_t dlen, int prio)
{
    struct rule_set *rs = cl->rs;
    for (size_t i = 0; i < rs->n_classes; i++) {
        if (strlen(rs->classes[i].name) == nlen && strncmp(rs->classes[i].name, name, nlen) == 0) {
            class_diag(cl, name, "warning", "'%s' is already defined; the first definition is kept",
                       rs->classes[i].name);
            rs->n_warnings++;
            return PS_OK;
        }
    }
    size_t n = rs->n_classes;
    if ((n & (n - 1)) == 0) { /* implicit capacity, doubling at powers of two */
        struct rule_class *c = realloc(rs->classes, (n ? 2 * n : 1) * sizeof(*c));
        if (c == NULL)
            return PS_NOMEM;
        rs->classes = c;
    }
    struct rule_class *c = &rs->classes[n];
    c->name = strndup(name, nlen);
    c->desc = strndup(desc, dlen);
    c->priority = prio;
    if (c->name == NULL || c->desc == NULL) {
        free(c->name);
        free(c->desc);
        return PS_NOMEM;
    }
    rs->n_classes++;
    return PS_OK;
}

/* One non-blank, non-comment line [s, e). */
static int class_line_parse(const struct class_line *cl, const char *s, const char *e)
{
#define CLASS_USAGE "expected 'config classification: NAME,DESCRIPTION,PRIORITY'"
    const char *p = skip_word(s, e, "config");
    if (p != NULL && p < e && is_ws(*p))
        p = skip_word(skip_ws(p, e), e, "classification");
    if (p != NULL)
        p = skip_ws(p, e);
    if (p == NULL || p == e || *p != ':') {
        class_diag(cl, s, "error", CLASS_USAGE);
        return PS_ERR;
    }
    const char *name = skip_ws(p + 1, e);
    const char *c1 = memchr(name, ',', (size_t)(e - name));
    const char *c2 = memrchr(name, ',', (size_t)(e - name));
    if (c1 == NULL || c1 == c2) {
        class_diag(cl, name, "error", CLASS_USAGE "; it needs two commas");
        return PS_ERR;
    }
    const char *ne = c1;
    while (ne > name && is_ws(ne[-1]))
        ne--;
    for (const char *q = name; q < ne; q++) {
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '-' || *q == '_')) {
            class_diag(cl, q, "error", "bad character in the name; use letters, digits, - and _");
            return PS_ERR;
        }
    }
    const char *desc = skip_ws(c1 + 1, c2), *de = c2;
    while (de > desc && is_ws(de[-1]))
        de--;
    const char *prio = skip_ws(c2 + 1, e);
    unsigned long v = 0;
    const char *q = prio;
    while (q < e && *q >= '0' && *q <= '9' && v <= 255)
        v = v * 10 + (unsigned long)(*q++ - '0');
    if (name == ne || desc == de) {
        class_diag(cl, name == ne ? name : desc, "error", "empty %s; fill it in",
                   name == ne ? "name" : "description");
        return PS_ERR;
    }
    if (q == prio || skip_ws(q, e) != e || v < 1 || v > 255) {
        class_diag(cl, prio, "error", "priority must be a whole number from 1 to 255");
        return PS_ERR;
    }
    int rc = class_add(cl, name, (size_t)(ne - name), desc, (size_t)(de - desc), (int)v);
    if (rc == PS_NOMEM)
        class_diag(cl, s, "error", "out of memory");
    return rc == PS_OK ? PS_OK : PS_ERR;
}

static int class_load_text(struct rule_set *rs, const char *file, const char *text, size_t len)
{
    struct class_line cl = {.rs = rs, .file = file};
    int rc = PS_OK;
    for (size_t i = 0; i < len;) {
        const char *s = text + i, *nl = memchr(s, '\n', len - i);
        const char *e = nl != NULL ? nl : text + len;
        i = (size_t)(e - text) + 1;
        cl.line++;
        cl.text = s;
        if (e > s && e[-1] == '\r')
            e--;
        while (e > s && is_ws(e[-1]))
            e--;
        const char *b = skip_ws(s, e);
        if (b == e || *b == '#')
            continue;
        if (memchr(b, '\0', (size_t)(e - b)) != NULL) {
            class_diag(&cl, b, "error", "NUL byte in the file; it must be text");
            rc = PS_ERR;
            continue;
        }
        if (class_line_parse(&cl, b, e) != PS_OK)
            rc = PS_ERR;
    }
    return rc;
}

int rule_set_load_classification_string(struct rule_set *rs, const char *name,
                                        const char *text)
{
    return class_load_text(rs, name != NULL ? name : "<string>", text != NULL ? text : "",
                           text != NULL ? strlen(text) : 0);
}

int rule_set_load_classification(struct rule_set *rs, const char *path)
{
    char *buf;
    size_t len;
    if (rule_file_read(path, &buf, &len) != PS_OK) {
        if (rs->diag != NULL)
            fprintf(rs->diag, "%s: error: cannot read the classification file: %s\n", path,
                    strerror(errno));
        return PS_ERR;
    }
    int rc = class_load_text(rs, path, buf, len);
    free(buf);
    return rc;
}
