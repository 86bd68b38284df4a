/*
 * ics.c - a calendar's components through libical 3.0 (ics_parse).
 *
 * We split and unfold the body ourselves and hand libical one content line
 * at a time (icalparser_add_line) rather than the whole text to
 * icalparser_parse_string, because:
 *  - parse_string rescans the rest of the text for each 80-byte piece of a
 *    line: quadratic, a 4 MB line takes 4 s (here 40 ms);
 *  - parse_string saves and restores a process-global error state around
 *    each call, which concurrent workers would race on;
 *  - libical drops, with an X-LIC-ERROR, what it cannot name: lower-case
 *    "x-" names, unknown IANA names, text lines that lost their fold, empty
 *    values (Google writes "DESCRIPTION:" in every event). Names are upper-
 *    cased here and empty values skipped; any other line is kept whole as the
 *    value of a synthetic ICS_X_LINE property, so its text still reaches
 *    ics.text, and one that is not a content line at all marks the calendar
 *    malformed;
 *  - libical nests without limit and frees recursively, and prints to stderr
 *    on an END at the top level: components deeper than ICS_MAX_DEPTH and
 *    stray ENDs are skipped (and malformed);
 *  - libical's tree costs some 400 bytes a property: it is built, reported
 *    and freed one top-level child at a time, each held to ICS_MAX_PROPS.
 * libical turns an unknown backslash escape into a space, which would cut
 * "https\://" apart: such escapes reach it doubled (kept as written), and
 * "\:" as ":".
 *
 * libical is set up once per process: no error aborts (its assert()s on NULL
 * arguments remain, so none is ever passed), and the UTC zone, which libical
 * loads under its own mutex at the first "...Z" time, is loaded before any
 * worker parses. libical's errno and temporary buffers are per thread; ours
 * are released at the end of each parse.
 */
#include "ics_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* State of one ics_parse call. libical builds one root at a time: the
 * top-level component with its own properties, closed (and reported) when
 * its first child begins, then each child with everything under it, so a
 * long feed never sits in memory whole. */
struct ics_feed {
    icalparser *parser;
    struct ics_walk *walk;
    char *line; /* rewritten content lines; owned, grown as needed */
    size_t line_cap;
    unsigned depth;               /* components open, skipped ones included */
    unsigned skip;                /* depth of the component being skipped, or 0 */
    unsigned roots;               /* top-level components begun */
    unsigned units;               /* properties libical may have made in the open root */
    bool top_open;                /* the top-level component is open in libical */
    icalcomponent_kind top_kind;  /* to reopen it: a standard kind, or */
    char *top_name;               /* the name of a nonstandard one; owned */
    uint64_t open[ICS_MAX_DEPTH]; /* hash of each open component's name */
};

static pthread_once_t ics_once = PTHREAD_ONCE_INIT;

static void ics_libical_setup(void)
{
    static const icalerrorenum errs[] = {
        ICAL_BADARG_ERROR,        ICAL_NEWFAILED_ERROR, ICAL_ALLOCATION_ERROR,
        ICAL_MALFORMEDDATA_ERROR, ICAL_PARSE_ERROR,     ICAL_INTERNAL_ERROR,
        ICAL_FILE_ERROR,          ICAL_USAGE_ERROR,     ICAL_UNIMPLEMENTED_ERROR,
        ICAL_UNKNOWN_ERROR,
    };
    /* Non-fatal states make the global flag moot; libical's own save and
     * restore of a state (trigger and period values) then writes back the
     * value already there, whichever thread does it. */
    icalerror_set_errors_are_fatal(0);
    for (size_t i = 0; i < PS_ARRAY_LEN(errs); i++)
        icalerror_set_error_state(errs[i], ICAL_ERROR_NONFATAL);
    (void)icaltimezone_get_utc_timezone();
}

static void upcase(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (char)ics_upper((uint8_t)s[i]);
}

/* --- escapes --- */

/* Escapes libical unescapes as meant: RFC 5545's, and \" */
static bool escape_known(char c)
{
    return c == 'n' || c == 'N' || c == ',' || c == ';' || c == '\\' || c == '"';
}

static bool text_needs_fix(const char *s, size_t len)
{
    const char *end = s + len;
    for (const char *p = s; p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL; p += 2)
        if (p + 1 == end || !escape_known(p[1]))
            return true;
    return false;
}

/* Copies text so that libical's unescaping gives what was written: "\:" as
 * ":", any other unknown escape as is. Writes at most 2 * len bytes. */
static size_t text_fix(char *out, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char next = i + 1 < len ? s[i + 1] : '\0';
        if (s[i] != '\\') {
            out[o++] = s[i];
        } else if (next == ':') {
            out[o++] = ':';
            i++;
        } else if (escape_known(next)) {
            out[o++] = '\\';
            out[o++] = next;
            i++;
        } else {
            out[o++] = '\\';
            out[o++] = '\\';
        }
    }
    return o;
}

/* --- content lines --- */

static char *feed_reserve(struct ics_feed *f, size_t need)
{
    if (need > f->line_cap) {
        size_t cap = PS_MAX(need, PS_MAX(f->line_cap * 2, (size_t)256));
        char *p = realloc(f->line, cap);
        if (p == NULL)
            return NULL;
        f->line = p;
        f->line_cap = cap;
    }
    return f->line;
}

/* `prefix` and `text` (escapes fixed) as one line for libical. */
static int feed_composed(struct ics_feed *f, const char *prefix, size_t plen, const char *text,
                         size_t len)
{
    char *out = feed_reserve(f, plen + 2 * len + 1);
    if (out == NULL)
        return PS_NOMEM;
    memcpy(out, prefix, plen);
    size_t o = plen + text_fix(out + plen, text, len);
    out[o] = '\0';
    icalparser_add_line(f->parser, out);
    return PS_OK;
}

/* Room for `units` more properties or components in the open root? Each
 * libical property costs some 400 bytes beyond its text, so a component of
 * many tiny lines would otherwise weigh sixty times its size. */
static bool feed_budget(struct ics_feed *f, size_t units)
{
    if (f->units >= ICS_MAX_PROPS || units > ICS_MAX_PROPS - f->units) {
        f->walk->res->malformed = true;
        return false;
    }
    f->units += (unsigned)units;
    return true;
}

static int feed_reopen_top(struct ics_feed *f);

/* May a property go to libical now? PS_OK, PS_DECLINED when it is skipped
 * (outside any component, inside a skipped one, over budget), PS_NOMEM. */
static int feed_admit(struct ics_feed *f, size_t units)
{
    if (f->depth == 0) {
        f->walk->res->malformed = true;
        return PS_DECLINED;
    }
    if (f->skip != 0)
        return PS_DECLINED;
    if (f->depth == 1 && !f->top_open) {
        int rc = feed_reopen_top(f);
        if (rc != PS_OK)
            return rc;
    }
    return feed_budget(f, units) ? PS_OK : PS_DECLINED;
}

/* A line libical would drop, kept whole as text. `bad`: not a content line. */
static int feed_raw(struct ics_feed *f, const char *line, size_t len, bool bad)
{
    static const char prefix[] = ICS_X_LINE ":";
    if (bad)
        f->walk->res->malformed = true;
    int rc = feed_admit(f, 1);
    if (rc != PS_OK)
        return rc == PS_DECLINED ? PS_OK : rc;
    return feed_composed(f, prefix, sizeof(prefix) - 1, line, len);
}

static bool begin_is_standard(icalcomponent_kind k)
{
    switch (k) {
    case ICAL_VCALENDAR_COMPONENT:
    case ICAL_VEVENT_COMPONENT:
    case ICAL_VTODO_COMPONENT:
    case ICAL_VJOURNAL_COMPONENT:
    case ICAL_VFREEBUSY_COMPONENT:
    case ICAL_VALARM_COMPONENT:
    case ICAL_VTIMEZONE_COMPONENT:
    case ICAL_XSTANDARD_COMPONENT:
    case ICAL_XDAYLIGHT_COMPONENT:
    case ICAL_VAVAILABILITY_COMPONENT:
    case ICAL_XAVAILABLE_COMPONENT:
    case ICAL_VPOLL_COMPONENT:
    case ICAL_VVOTER_COMPONENT:
    case ICAL_XVOTE_COMPONENT:
        return true;
    default:
        return false;
    }
}

/* The component name after BEGIN or END, blanks trimmed; *n is 0 when
 * there is none or it is not a name. */
static char *comp_name(char *rest, size_t len, size_t *n)
{
    char *colon = memchr(rest, ':', len);
    char *name = colon != NULL ? colon + 1 : rest + len;
    size_t k = (size_t)(rest + len - name);
    while (k > 0 && ics_is_blank((uint8_t)*name))
        name++, k--;
    for (size_t i = 0; i < k; i++)
        if (!ics_is_name_char((uint8_t)name[i]))
            k = 0;
    *n = k;
    return name;
}

/* FNV-1a over the upper-cased name: END must close what BEGIN opened, a
 * check libical leaves out. */
static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ics_upper((uint8_t)s[i])) * 1099511628211ULL;
    return h;
}

/* Opens a component in libical. libical keeps no name for the ones it does
 * not know (and gets some wrong): any but the standard kinds begin as an X
 * component whose first property carries the name. */
static int feed_open(struct ics_feed *f, icalcomponent_kind kind, const char *name, size_t n)
{
    static const char kind_prefix[] = ICS_X_KIND ":";
    if (begin_is_standard(kind)) {
        char line[48];
        snprintf(line, sizeof(line), "BEGIN:%s", icalcomponent_kind_to_string(kind));
        icalparser_add_line(f->parser, line);
        return PS_OK;
    }
    char line[] = "BEGIN:" ICS_X_PREFIX "COMPONENT";
    icalparser_add_line(f->parser, line);
    return feed_composed(f, kind_prefix, sizeof(kind_prefix) - 1, name, n);
}

/* The root libical completed: reported, then freed. */
static int feed_root_done(struct ics_feed *f, icalcomponent *root)
{
    if (root == NULL)
        return PS_OK;
    int rc = ics_walk_root(f->walk, root);
    icalcomponent_free(root);
    return rc;
}

static int feed_close_top(struct ics_feed *f)
{
    if (!f->top_open)
        return PS_OK;
    f->top_open = false;
    char line[] = "END:X";
    return feed_root_done(f, icalparser_add_line(f->parser, line));
}

/* Properties of the top-level component after its children (RFC 5545 puts
 * them before): it is opened again, and reported a second time. */
static int feed_reopen_top(struct ics_feed *f)
{
    f->walk->res->malformed = true;
    f->top_open = true;
    f->units = 0;
    const char *name = f->top_name != NULL ? f->top_name : "";
    return feed_open(f, f->top_kind, name, strlen(name));
}

/* The top-level component begins: remember how to reopen it. */
static int feed_begin_top(struct ics_feed *f, icalcomponent_kind kind, const char *name, size_t n)
{
    f->roots++;
    if (kind != ICAL_VCALENDAR_COMPONENT)
        f->walk->res->malformed = true;
    free(f->top_name);
    f->top_name = NULL;
    if (!begin_is_standard(kind) && (f->top_name = strndup(name, n)) == NULL)
        return PS_NOMEM;
    f->top_kind = kind;
    f->top_open = true;
    f->units = 0;
    return PS_OK;
}

/* BEGIN; `rest` follows the name, up to the end of the line. */
static int feed_begin(struct ics_feed *f, char *rest, size_t len)
{
    size_t n;
    char *name = comp_name(rest, len, &n);
    int rc = PS_OK;

    if (n == 0)
        f->walk->res->malformed = true;
    if (++f->depth, f->skip != 0)
        return PS_OK;
    if (f->depth > ICS_MAX_DEPTH || (f->depth > 2 && !feed_budget(f, 1))) {
        f->walk->res->malformed = true;
        f->skip = f->depth; /* with everything inside it */
        return PS_OK;
    }
    f->open[f->depth - 1] = name_hash(name, n);
    upcase(name, n);
    icalcomponent_kind kind = n > 0 ? icalenum_string_to_component_kind(name) : ICAL_NO_COMPONENT;
    const char *kname = n > 0 ? name : "X";
    size_t kn = n > 0 ? n : 1;
    if (f->depth == 1) {
        rc = feed_begin_top(f, kind, kname, kn);
    } else if (f->depth == 2) {
        rc = feed_close_top(f); /* each child is a root of its own */
        f->units = 0;
    }
    return rc == PS_OK ? feed_open(f, kind, kname, kn) : rc;
}

static int feed_end(struct ics_feed *f, char *rest, size_t len)
{
    size_t n;
    char *name = comp_name(rest, len, &n);

    if (f->depth == 0) {
        f->walk->res->malformed = true; /* and libical would print to stderr */
        return PS_OK;
    }
    if (f->skip != 0) {
        if (f->depth-- == f->skip)
            f->skip = 0;
        return PS_OK;
    }
    f->depth--;
    if (n == 0 || name_hash(name, n) != f->open[f->depth])
        f->walk->res->malformed = true;
    if (f->depth == 0)
        return feed_close_top(f);
    char line[] = "END:X";
    return feed_root_done(f, icalparser_add_line(f->parser, line));
}

/* Where the value begins: after the first ':' outside double quotes; past
 * `len` when there is none. */
static size_t value_start(const char *line, size_t n, size_t len)
{
    bool quoted = false;
    for (size_t i = n; i < len; i++) {
        if (line[i] == '"')
            quoted = !quoted;
        else if (line[i] == ':' && !quoted)
            return i + 1;
    }
    return len + 1;
}

static bool has_value_param(const char *params, size_t len)
{
    static const char want[] = ";VALUE=";
    const size_t n = sizeof(want) - 1;
    for (size_t i = 0; i + n <= len; i++)
        if (ics_case_equal((const uint8_t *)params + i, want, n))
            return true;
    return false;
}

/* How many properties libical may make of a value: one per comma for the
 * kinds it splits (CATEGORIES, RDATE... or any given a VALUE type), up to
 * its own limit of 500. */
static size_t value_units(const char *value, size_t len, bool splits)
{
    size_t units = 1;
    for (size_t i = 0; splits && i < len && units < 501; i++)
        units += value[i] == ',';
    return units;
}

/* A property line; its name is line[0..n). */
static int feed_property(struct ics_feed *f, char *line, size_t n, size_t len)
{
    if (f->depth == 0 || f->skip != 0) {
        if (f->depth == 0)
            f->walk->res->malformed = true;
        return PS_OK;
    }
    size_t v = value_start(line, n, len);
    if (v > len)
        return feed_raw(f, line, len, true);
    if (v == len)
        return PS_OK; /* empty value (trailing blanks are gone): nothing to report */
    bool x = n >= 2 && ics_upper((uint8_t)line[0]) == 'X' && line[1] == '-';
    if (x && n >= sizeof(ICS_X_PREFIX) - 1 &&
        ics_case_equal((const uint8_t *)line, ICS_X_PREFIX, sizeof(ICS_X_PREFIX) - 1))
        return feed_raw(f, line, len, false); /* our names are ours */
    bool text = x, typed = has_value_param(line + n, v - n);
    if (!x) {
        /* A linear scan of libical's name table (strcasecmp): X- names skip
         * it. Unknown names go whole, in the case they were written in. */
        char save = line[n];
        line[n] = '\0';
        icalproperty_kind kind = icalproperty_string_to_kind(line);
        line[n] = save;
        if (kind == ICAL_NO_PROPERTY || kind == ICAL_ANY_PROPERTY)
            return feed_raw(f, line, len, false);
        text = icalproperty_kind_to_value_kind(kind) == ICAL_TEXT_VALUE &&
               kind != ICAL_CATEGORIES_PROPERTY && kind != ICAL_RESOURCES_PROPERTY;
    }
    int rc = feed_admit(f, value_units(line + v, len - v, typed || !text));
    if (rc != PS_OK)
        return rc == PS_DECLINED ? PS_OK : rc;
    upcase(line, n); /* libical knows "X-" names in upper case only */
    if (text && !typed && text_needs_fix(line + v, len - v))
        return feed_composed(f, line, v, line + v, len - v);
    icalparser_add_line(f->parser, line);
    return PS_OK;
}

static int feed_line(struct ics_feed *f, char *line, size_t len)
{
    size_t n = 0;
    if (len == 0)
        return PS_OK;
    while (n < len && ics_is_name_char((uint8_t)line[n]))
        n++;
    if (n == 0 || n == len || (line[n] != ':' && line[n] != ';'))
        return feed_raw(f, line, len, true);
    if (n == 5 && ics_case_equal((const uint8_t *)line, "BEGIN", 5))
        return feed_begin(f, line + n, len - n);
    if (n == 3 && ics_case_equal((const uint8_t *)line, "END", 3))
        return feed_end(f, line + n, len - n);
    return feed_property(f, line, n, len);
}

/* Splits `data` into unfolded content lines, written NUL-terminated into
 * `buf`, and feeds them. Unfolding only removes bytes and each line end
 * leaves room for its NUL, so len + 1 bytes hold every line. CR, LF and
 * CRLF all end a line; one followed by a blank folds. */
static int feed_body(struct ics_feed *f, const uint8_t *data, size_t len, char *buf)
{
    size_t r = 0, w = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r = 3;
    while (r < len && (ics_is_blank(data[r]) || data[r] == '\r' || data[r] == '\n'))
        r++;
    while (r < len) {
        size_t start = w;
        while (r < len) {
            uint8_t c = data[r];
            if (c == '\r' || c == '\n') {
                size_t e = r + 1 + (c == '\r' && r + 1 < len && data[r + 1] == '\n');
                r = e < len && ics_is_blank(data[e]) ? e + 1 : e;
                if (r == e)
                    break;
                continue;
            }
            if (c == '\0') {
                /* libical stops at a NUL: keep what follows */
                c = ' ';
                f->walk->res->malformed = true;
            }
            buf[w++] = (char)c;
            r++;
        }
        while (w > start && ics_is_blank((uint8_t)buf[w - 1]))
            w--;
        buf[w] = '\0';
        int rc = feed_line(f, buf + start, w - start);
        if (rc != PS_OK)
            return rc;
        w++;
    }
    return PS_OK;
}

int ics_parse(const uint8_t *data, size_t len, ics_component_fn fn, void *ctx,
              struct ics_result *res)
{
    struct ics_walk walk = {.fn = fn, .ctx = ctx, .res = res};
    struct ics_feed f = {.walk = &walk};
    char *buf = NULL;
    int rc = PS_NOMEM;

    *res = (struct ics_result){0};
    pthread_once(&ics_once, ics_libical_setup);
    if (len == SIZE_MAX)
        goto fail;
    buf = malloc(len + 1);
    f.parser = icalparser_new();
    if (buf == NULL || f.parser == NULL)
        goto fail;
    rc = feed_body(&f, data, len, buf);
    if (f.depth > 0)
        res->malformed = true;
    if (rc == PS_OK && (f.top_open || f.depth >= 2)) {
        /* Unterminated: libical closes what is open, with an error in each,
         * and keeps the root, which icalparser_free releases. */
        icalcomponent *root = icalparser_clean(f.parser);
        if (root != NULL)
            rc = ics_walk_root(&walk, root);
    }
    if (f.roots == 0)
        res->malformed = true;
fail:
    if (f.parser != NULL)
        icalparser_free(f.parser);
    free(f.top_name);
    free(f.line);
    free(buf);
    ics_walk_release(&walk);
    icalmemory_free_ring();
    return rc;
}
