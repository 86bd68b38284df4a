/*
 * common.h - the shared vocabulary of every Plainsight module: return codes,
 * byte slices, packet time. No logic lives here; parsers/ and rules/ may
 * include this header and nothing else from engine/.
 */
#ifndef PS_COMMON_H
#define PS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One small set of return codes, used by every stage. */
enum ps_rc {
    PS_OK = 0,
    PS_ERR = -1,      /* failure; the caller reports or counts it */
    PS_AGAIN = -2,    /* need more input; state is kept, call again */
    PS_DECLINED = -3, /* not mine / nothing to do; not an error */
    PS_NOMEM = -4,    /* a memcap or allocation refused */
};

/* A borrowed view of bytes; the owner and lifetime are stated by whoever
 * hands it out. */
struct ps_slice {
    const uint8_t *ptr;
    size_t len;
};

/* Direction of data within a flow: from the client, or from the server. */
enum ps_dir { PS_TOSERVER = 0, PS_TOCLIENT = 1 };

/* Packet time: microseconds since the Unix epoch. Every timeout in the
 * engine runs on packet time, so a capture replays the same way each run. */
typedef uint64_t ps_time_t;
#define PS_USEC_PER_SEC 1000000ULL
#define PS_SECONDS(s) ((ps_time_t)(s) * PS_USEC_PER_SEC)

#define PS_LIKELY(x) __builtin_expect(!!(x), 1)
#define PS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PS_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
