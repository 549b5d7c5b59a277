/* Complex arithmetic through libmpc: sqrt(-4) = 2i exactly, (1+2i)(3-i) = 5+5i, and exp(i*pi) = -1 to 100 bits. */
#include <stdio.h>
#include <string.h>
#include <mpc.h>

int main(void) {
    mpc_t a, b, c;
    mpfr_t pi;
    int ok = 1;
    mpc_init2(a, 100);
    mpc_init2(b, 100);
    mpc_init2(c, 100);
    mpfr_init2(pi, 100);

    mpc_set_si_si(a, -4, 0, MPC_RNDNN);
    mpc_sqrt(c, a, MPC_RNDNN);
    if (mpfr_cmp_si(mpc_realref(c), 0) != 0 || mpfr_cmp_si(mpc_imagref(c), 2) != 0) {
        fprintf(stderr, "sqrt(-4) is not 2i\n");
        ok = 0;
    }

    mpc_set_si_si(a, 1, 2, MPC_RNDNN);
    mpc_set_si_si(b, 3, -1, MPC_RNDNN);
    mpc_mul(c, a, b, MPC_RNDNN);
    if (mpfr_cmp_si(mpc_realref(c), 5) != 0 || mpfr_cmp_si(mpc_imagref(c), 5) != 0) {
        fprintf(stderr, "(1+2i)(3-i) is not 5+5i\n");
        ok = 0;
    }

    mpfr_const_pi(pi, MPFR_RNDN);
    mpc_set_fr(a, pi, MPC_RNDNN);
    mpc_mul_i(a, a, 1, MPC_RNDNN); /* i*pi */
    mpc_exp(c, a, MPC_RNDNN);
    mpfr_add_si(mpc_realref(c), mpc_realref(c), 1, MPFR_RNDN);
    mpfr_abs(mpc_realref(c), mpc_realref(c), MPFR_RNDN);
    mpfr_abs(mpc_imagref(c), mpc_imagref(c), MPFR_RNDN);
    if (mpfr_cmp_ui_2exp(mpc_realref(c), 1, -90) > 0 || mpfr_cmp_ui_2exp(mpc_imagref(c), 1, -90) > 0) {
        fprintf(stderr, "exp(i*pi) + 1 is not 0 to 90 bits\n");
        ok = 0;
    }

    if (strcmp(mpc_get_version(), "1.3.1") != 0) {
        fprintf(stderr, "unexpected mpc version %s\n", mpc_get_version());
        ok = 0;
    }
    mpc_clear(a);
    mpc_clear(b);
    mpc_clear(c);
    mpfr_clear(pi);
    if (!ok) return 1;
    printf("mpc %s with mpfr %s OK\n", mpc_get_version(), mpfr_get_version());
    return 0;
}
