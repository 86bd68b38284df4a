/*
 * floor.c - the read-only floor for benchmarks: open each capture with
 * libpcap and touch every packet (sum its bytes), nothing else. Plainsight's
 * throughput is reported as a ratio of this.
 *
 * usage: floor FILE...   prints "packets N bytes N checksum N"
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    uint64_t packets = 0, bytes = 0, sum = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        pcap_t *pc = pcap_open_offline(argv[i], errbuf);
        if (pc == NULL) {
            fprintf(stderr, "floor: %s\n", errbuf);
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
