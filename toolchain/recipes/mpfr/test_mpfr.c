/* Correctly rounded pi, sqrt(2) and exp(1) at 200 bits through libmpfr, printed to 50 digits and compared. */
#include <stdio.h>
#include <string.h>
#include <mpfr.h>

static int expect(const char *what, mpfr_t value, const char *digits) {
    char got[128];
    mpfr_snprintf(got, sizeof got, "%.50Rf", value);
    if (strcmp(got, digits) != 0) {
        fprintf(stderr, "%s = %s, expected %s\n", what, got, digits);
        return 0;
    }
    return 1;
}

int main(void) {
    mpfr_t x;
    int ok = 1;
    mpfr_init2(x, 200);
    mpfr_const_pi(x, MPFR_RNDN);
    ok &= expect("pi", x, "3.14159265358979323846264338327950288419716939937511");
    mpfr_sqrt_ui(x, 2, MPFR_RNDN);
    ok &= expect("sqrt(2)", x, "1.41421356237309504880168872420969807856967187537695");
    mpfr_set_ui(x, 1, MPFR_RNDN);
    mpfr_exp(x, x, MPFR_RNDN);
    ok &= expect("e", x, "2.71828182845904523536028747135266249775724709369996");
    if (strcmp(mpfr_get_version(), "4.2.0") != 0) {
        fprintf(stderr, "unexpected mpfr version %s\n", mpfr_get_version());
        ok = 0;
    }
    mpfr_clear(x);
    mpfr_free_cache();
    if (!ok) return 1;
    printf("mpfr %s with gmp %s OK\n", mpfr_get_version(), gmp_version);
    return 0;
}
