/*
 * fuzz_capture.c - the capture-file reader (engine/capture.h): the input
 * is a capture file (pcap or pcapng). It is opened the way `-r FILE` opens
 * one, every packet is read and decoded, and the reader's and decoder's
 * counters are checked against what was seen.
 */
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "fuzz.h"

static char fz_path[64];
static int fz_fd = -1;

static void fz_tmpfile(void)
{
    if (fz_fd >= 0)
        return;
    const char *dir = getenv("TMPDIR");
    snprintf(fz_path, sizeof(fz_path), "%s/psfuzzcapXXXXXX",
             dir && strlen(dir) < 40 ? dir : "/tmp");
    fz_fd = mkstemp(fz_path);
    FZ_CHECK(fz_fd >= 0);
    unlink(fz_path); /* the name is reopened through /proc below */
    snprintf(fz_path, sizeof(fz_path), "/proc/self/fd/%d", fz_fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_tmpfile();
    FZ_CHECK(ftruncate(fz_fd, 0) == 0);
    FZ_CHECK(pwrite(fz_fd, data, size, 0) == (ssize_t)size);

    const char *paths[1] = {fz_path};
    enum capture_error why = CAPTURE_OK;
    char err[512];
    struct capture *c = capture_open(paths, 1, NULL, &why, err, sizeof(err));
    if (c == NULL) {
        FZ_CHECK(why != CAPTURE_OK && err[0] != '\0');
        return 0;
    }
    struct decode_config cfg = {
        .defrag_memcap = 64 * 1024,
        .defrag_timeout = PS_SECONDS(60),
        .defrag_max_frags = 16,
    };
    struct decoder *d = decoder_create(&cfg);
    FZ_CHECK(d != NULL);
    uint64_t n = 0, bytes = 0;
    struct packet p;
    memset(&p, 0, sizeof(p));
    while (capture_next(c, &p) == 1) {
        n++;
        bytes += p.caplen;
        FZ_CHECK(decode_linktype_supported(p.linktype));
        FZ_CHECK(p.pcap_cnt >= 1);
        FZ_CHECK(capture_file_name(c, p.file_idx) != NULL);
        fz_touch((struct ps_slice){p.data, p.caplen});
        (void)decode_packet(d, &p);
    }
    const struct capture_stats *cs = capture_stats(c);
    FZ_CHECK(cs->packets == n);
    FZ_CHECK(decoder_stats(d)->pkts == n);
    (void)bytes;
    decoder_destroy(d);
    capture_close(c);
    return 0;
}
