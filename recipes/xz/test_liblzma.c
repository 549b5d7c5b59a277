/* Round trip a buffer through liblzma's single-call .xz encoder and decoder. */
#include <stdio.h>
#include <string.h>
#include <lzma.h>

int main(void) {
    uint8_t src[50000];
    uint8_t packed[60000];
    uint8_t unpacked[50000];
    size_t packed_pos = 0, in_pos = 0, out_pos = 0;
    uint64_t memlimit = UINT64_MAX;
    size_t i;
    for (i = 0; i < sizeof src; i++) src[i] = (uint8_t)"liblzma round trip"[i % 18];
    if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, src, sizeof src, packed, &packed_pos,
                                sizeof packed) != LZMA_OK) {
        fprintf(stderr, "encode failed\n");
        return 1;
    }
    if (lzma_stream_buffer_decode(&memlimit, 0, NULL, packed, &in_pos, packed_pos, unpacked, &out_pos,
                                  sizeof unpacked) != LZMA_OK) {
        fprintf(stderr, "decode failed\n");
        return 1;
    }
    if (out_pos != sizeof src || memcmp(src, unpacked, sizeof src) != 0) {
        fprintf(stderr, "round trip differs\n");
        return 1;
    }
    if (strcmp(lzma_version_string(), "5.4.1") != 0) {
        fprintf(stderr, "unexpected liblzma version %s\n", lzma_version_string());
        return 1;
    }
    printf("liblzma %s: %zu -> %zu -> %zu bytes OK\n", lzma_version_string(), sizeof src, packed_pos, out_pos);
    return 0;
}
