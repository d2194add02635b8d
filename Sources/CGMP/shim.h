#ifndef RK_CGMP_SHIM_H
#define RK_CGMP_SHIM_H
#include <gmp.h>

/* gmp.h spells these as function-like macros, which Swift does not import. */
static inline int rk_mpz_sgn(const mpz_t z) { return mpz_sgn(z); }
static inline int rk_mpz_fits_slong(const mpz_t z) { return mpz_fits_slong_p(z); }
#endif
