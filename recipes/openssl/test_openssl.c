/* SHA-256 through the EVP API, and a TLS client context, linked against libssl and libcrypto. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

int main(void) {
    static const char expected[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned int i;
    SSL_CTX *ctx;
    if (OpenSSL_version_num() != OPENSSL_VERSION_NUMBER) {
        fprintf(stderr, "header/library mismatch: %s\n", OpenSSL_version(OPENSSL_VERSION));
        return 1;
    }
    if (!EVP_Digest("abc", 3, md, &md_len, EVP_sha256(), NULL)) {
        fprintf(stderr, "EVP_Digest failed\n");
        return 1;
    }
    for (i = 0; i < md_len; i++) sprintf(hex + 2 * i, "%02x", md[i]);
    if (strcmp(hex, expected) != 0) {
        fprintf(stderr, "sha256(abc) = %s\n", hex);
        return 1;
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
        fprintf(stderr, "SSL_CTX setup failed\n");
        return 1;
    }
    SSL_CTX_free(ctx);
    printf("%s: sha256 and SSL_CTX OK\n", OpenSSL_version(OPENSSL_VERSION));
    return 0;
}
