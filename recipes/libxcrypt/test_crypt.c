/* crypt() and crypt_r() as CPython's _crypt module uses them: the SHA-512 ($6$) test vector from Drepper's
 * specification, a yescrypt ($y$) round trip with a salt from crypt_gensalt, and a wrong password rejected. */
#include <stdio.h>
#include <string.h>
#include <crypt.h>

int main(void) {
    static const char sha512_expected[] =
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
    struct crypt_data data;
    char hash[CRYPT_OUTPUT_SIZE];
    const char *out, *setting;

    out = crypt("Hello world!", "$6$saltstring");
    if (out == NULL || strcmp(out, sha512_expected) != 0) {
        fprintf(stderr, "crypt $6$: got %s\n", out ? out : "(null)");
        return 1;
    }

    memset(&data, 0, sizeof data);
    out = crypt_r("Hello world!", "$6$saltstring", &data);
    if (out == NULL || strcmp(out, sha512_expected) != 0) {
        fprintf(stderr, "crypt_r $6$: got %s\n", out ? out : "(null)");
        return 1;
    }

    if (strcmp(crypt_preferred_method(), "$y$") != 0) {
        fprintf(stderr, "preferred method %s, expected $y$\n", crypt_preferred_method());
        return 1;
    }
    setting = crypt_gensalt("$y$", 0, NULL, 0);
    if (setting == NULL || strncmp(setting, "$y$", 3) != 0) {
        fprintf(stderr, "crypt_gensalt($y$) failed\n");
        return 1;
    }
    out = crypt("correct horse", setting);
    if (out == NULL || strncmp(out, setting, strlen(setting)) != 0 || strlen(out) <= strlen(setting)) {
        fprintf(stderr, "crypt $y$: got %s for setting %s\n", out ? out : "(null)", setting);
        return 1;
    }
    snprintf(hash, sizeof hash, "%s", out);
    out = crypt("correct horse", hash);
    if (out == NULL || strcmp(out, hash) != 0) {
        fprintf(stderr, "yescrypt hash does not verify\n");
        return 1;
    }
    out = crypt("wrong horse", hash);
    if (out == NULL || strcmp(out, hash) == 0) {
        fprintf(stderr, "wrong password accepted\n");
        return 1;
    }
    /* Invalid settings fail with NULL (--disable-failure-tokens) instead of returning "*0". */
    if (crypt("x", "$unknown$salt") != NULL) {
        fprintf(stderr, "invalid setting accepted\n");
        return 1;
    }
    printf("libxcrypt: $6$ test vector, $y$ round trip (%s) OK\n", hash);
    return 0;
}
