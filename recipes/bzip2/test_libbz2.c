/* Round trip a buffer through the shared libbz2 (BZ2_bzBuffToBuffCompress / Decompress). */
#include <stdio.h>
#include <string.h>
#include <bzlib.h>

int main(void) {
    char src[20000];
    char packed[30000];
    char unpacked[20000];
    unsigned int packed_len = sizeof packed;
    unsigned int unpacked_len = sizeof unpacked;
    size_t i;
    for (i = 0; i < sizeof src; i++) src[i] = "libbz2 round trip "[i % 18];
    if (BZ2_bzBuffToBuffCompress(packed, &packed_len, src, sizeof src, 9, 0, 0) != BZ_OK) {
        fprintf(stderr, "compress failed\n");
        return 1;
    }
    if (BZ2_bzBuffToBuffDecompress(unpacked, &unpacked_len, packed, packed_len, 0, 0) != BZ_OK) {
        fprintf(stderr, "decompress failed\n");
        return 1;
    }
    if (unpacked_len != sizeof src || memcmp(src, unpacked, sizeof src) != 0) {
        fprintf(stderr, "round trip differs\n");
        return 1;
    }
    if (strncmp(BZ2_bzlibVersion(), "1.0.8", 5) != 0) {
        fprintf(stderr, "unexpected libbz2 version %s\n", BZ2_bzlibVersion());
        return 1;
    }
    printf("libbz2 %s: %u -> %u -> %u bytes OK\n", BZ2_bzlibVersion(), (unsigned)sizeof src, packed_len,
           unpacked_len);
    return 0;
}
