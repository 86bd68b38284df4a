/*
 * floor.c - the read-only floor for benchmarks: open each capture with
 * libpcap and touch every packet (sum its bytes), nothing else. Plainsight's
 * throughput is reported as a ratio of this.
 *
 * usage: floor [--stdio-default] FILE...   prints "packets N bytes N checksum N"
 * (--stdio-default: leave libpcap's FILE with its default buffer)
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    uint64_t packets = 0, bytes = 0, sum = 0;

    static char iobuf[128 * 1024];
    int first = 1, big = 1;
    if (argc > 1 && strcmp(argv[1], "--stdio-default") == 0) {
        big = 0; /* libpcap's own stdio buffer, for comparison */
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: %s [--stdio-default] FILE...\n", argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        /* The same reading as plainsight's: libpcap over a stdio stream
         * with a large buffer (see engine/capture.c). */
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        if (big)
            setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
        pcap_t *pc = pcap_fopen_offline(f, errbuf);
        if (pc == NULL) {
            fprintf(stderr, "floor: %s\n", errbuf);
            fclose(f);
            return 1;
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc;
        while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
            packets++;
            bytes += h->caplen;
            /* Touch every byte so the pass reads what plainsight reads. */
            for (uint32_t j = 0; j < h->caplen; j += 64)
                sum += data[j];
        }
        if (rc == PCAP_ERROR)
            fprintf(stderr, "floor: %s: %s\n", argv[i], pcap_geterr(pc));
        pcap_close(pc);
    }
    printf("packets %llu bytes %llu checksum %llu\n", (unsigned long long)packets,
           (unsigned long long)bytes, (unsigned long long)sum);
    return 0;
}
