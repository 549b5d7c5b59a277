/* Big-integer arithmetic through libgmp: 2^200, 50!, a gcd and a primality test, checked against known values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gmp.h>

static int expect(const char *what, const mpz_t value, const char *decimal) {
    char *got = mpz_get_str(NULL, 10, value);
    int ok = strcmp(got, decimal) == 0;
    if (!ok) fprintf(stderr, "%s = %s, expected %s\n", what, got, decimal);
    free(got);
    return ok;
}

int main(void) {
    mpz_t a, b, g;
    int ok = 1;
    mpz_inits(a, b, g, NULL);
    mpz_ui_pow_ui(a, 2, 200);
    ok &= expect("2^200", a, "1606938044258990275541962092341162602522202993782792835301376");
    mpz_fac_ui(b, 50);
    ok &= expect("50!", b, "30414093201713378043612608166064768844377641568960512000000000000");
    mpz_gcd(g, a, b);
    ok &= expect("gcd(2^200, 50!)", g, "140737488355328"); /* 2^47: 50! has 25 + 12 + 6 + 3 + 1 factors 2 */
    mpz_set_str(a, "170141183460469231731687303715884105727", 10); /* 2^127 - 1 */
    if (mpz_probab_prime_p(a, 25) == 0) {
        fprintf(stderr, "2^127-1 not prime\n");
        ok = 0;
    }
    if (strcmp(gmp_version, "6.2.1") != 0) {
        fprintf(stderr, "unexpected gmp version %s\n", gmp_version);
        ok = 0;
    }
    mpz_clears(a, b, g, NULL);
    if (!ok) return 1;
    printf("gmp %s (%d-bit limbs) OK\n", gmp_version, mp_bits_per_limb);
    return 0;
}
