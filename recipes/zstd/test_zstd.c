/* Round trip a buffer through libzstd's one-shot and streaming APIs (with multi-threaded compression) and check
 * the library version against the header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

int main(void) {
    const size_t n = 1 << 20;
    char *src = malloc(n), *dst, *back = malloc(n);
    size_t bound = ZSTD_compressBound(n), csize, dsize, i;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer in;
    ZSTD_outBuffer out;
    size_t remaining;

    if (ZSTD_versionNumber() != ZSTD_VERSION_NUMBER || strcmp(ZSTD_versionString(), "1.5.4") != 0) {
        fprintf(stderr, "version mismatch: library %s, header %s\n", ZSTD_versionString(), ZSTD_VERSION_STRING);
        return 1;
    }
    dst = malloc(bound);
    if (src == NULL || dst == NULL || back == NULL) return 1;
    for (i = 0; i < n; i++) src[i] = (char)("zstandard round trip "[i % 21] + (i / 4096) % 7);

    /* One shot. */
    csize = ZSTD_compress(dst, bound, src, n, 19);
    if (ZSTD_isError(csize) || csize >= n / 10) {
        fprintf(stderr, "compress: %s (%zu)\n", ZSTD_isError(csize) ? ZSTD_getErrorName(csize) : "too big", csize);
        return 1;
    }
    if (ZSTD_getFrameContentSize(dst, csize) != n) {
        fprintf(stderr, "frame content size wrong\n");
        return 1;
    }
    dsize = ZSTD_decompress(back, n, dst, csize);
    if (ZSTD_isError(dsize) || dsize != n || memcmp(src, back, n) != 0) {
        fprintf(stderr, "one-shot round trip failed\n");
        return 1;
    }

    /* Streaming, with two worker threads (the shared library is built with ZSTD_MULTITHREAD). */
    cctx = ZSTD_createCCtx();
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 2))) {
        fprintf(stderr, "setParameter failed (no multi-threading?)\n");
        return 1;
    }
    in.src = src; in.size = n; in.pos = 0;
    out.dst = dst; out.size = bound; out.pos = 0;
    do {
        remaining = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(remaining)) {
            fprintf(stderr, "compressStream2: %s\n", ZSTD_getErrorName(remaining));
            return 1;
        }
    } while (remaining != 0);
    ZSTD_freeCCtx(cctx);

    dctx = ZSTD_createDCtx();
    in.src = dst; in.size = out.pos; in.pos = 0;
    out.dst = back; out.size = n; out.pos = 0;
    memset(back, 0, n);
    while (in.pos < in.size) {
        size_t r = ZSTD_decompressStream(dctx, &out, &in);
        if (ZSTD_isError(r)) {
            fprintf(stderr, "decompressStream: %s\n", ZSTD_getErrorName(r));
            return 1;
        }
    }
    ZSTD_freeDCtx(dctx);
    if (out.pos != n || memcmp(src, back, n) != 0) {
        fprintf(stderr, "streaming round trip failed\n");
        return 1;
    }

    /* Corrupt input is reported as an error. */
    dst[csize / 2] ^= 0x55;
    dsize = ZSTD_decompress(back, n, dst, csize);
    if (!ZSTD_isError(dsize) && memcmp(src, back, n) == 0) {
        fprintf(stderr, "corruption not detected\n");
        return 1;
    }

    printf("zstd %s: %zu -> %zu bytes, one-shot and multi-threaded streaming OK\n", ZSTD_versionString(), n, csize);
    free(src); free(dst); free(back);
    return 0;
}
