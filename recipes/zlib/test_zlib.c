/* Round trip a buffer through compress2/uncompress and check the bytes and the library version. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(void) {
    unsigned char src[8192];
    unsigned char packed[16384];
    unsigned char unpacked[8192];
    uLongf packed_len = sizeof packed;
    uLongf unpacked_len = sizeof unpacked;
    size_t i;
    for (i = 0; i < sizeof src; i++) src[i] = (unsigned char)("archi zlib test "[i % 16] ^ (i / 512));
    if (compress2(packed, &packed_len, src, sizeof src, Z_BEST_COMPRESSION) != Z_OK) {
        fprintf(stderr, "compress2 failed\n");
        return 1;
    }
    if (packed_len >= sizeof src) {
        fprintf(stderr, "no compression: %lu bytes\n", (unsigned long)packed_len);
        return 1;
    }
    if (uncompress(unpacked, &unpacked_len, packed, packed_len) != Z_OK) {
        fprintf(stderr, "uncompress failed\n");
        return 1;
    }
    if (unpacked_len != sizeof src || memcmp(src, unpacked, sizeof src) != 0) {
        fprintf(stderr, "round trip differs\n");
        return 1;
    }
    if (strcmp(zlibVersion(), "1.2.13") != 0) {
        fprintf(stderr, "unexpected zlib version %s\n", zlibVersion());
        return 1;
    }
    printf("zlib %s: %u -> %lu -> %lu bytes OK\n", zlibVersion(), (unsigned)sizeof src,
           (unsigned long)packed_len, (unsigned long)unpacked_len);
    return 0;
}
