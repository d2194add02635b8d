// See include/ckernelloop.h. The arithmetic is ref_batch.c's (../shared/bench/):
//   A = round_half_up(P*i / (1-(1+i)^-n)), i = rate/12 = a/b, computed as
//       floor((2*P*a*c^n + D) / (2*D)), c = a+b, D = b*(c^n - b^n)            (GMP mpz)
//   interest_k = round_half_up(B_{k-1} * rate / 12): with the SPEC §2 month-end rule every
//       period of a start-anchored schedule is exactly one month (30/360), so
//       interest = floor((2*B*num*30 + 360*den) / (2*360*den)), 64-bit with a per-loan
//       reciprocal, or 128-bit when the product can exceed 64 bits.
//   principal_k = min(B, max(0, A - interest_k)); period n takes B; stop once B == 0.
#include "ckernelloop.h"
#include <gmp.h>
#include <stdlib.h>

typedef unsigned __int128 u128;

struct ck_scratch { mpz_t cn, bn, t1, t2; };

ck_scratch *ck_scratch_new(void) {
    ck_scratch *s = malloc(sizeof *s);
    if (s) mpz_inits(s->cn, s->bn, s->t1, s->t2, NULL);
    return s;
}

void ck_scratch_free(ck_scratch *s) {
    if (!s) return;
    mpz_clears(s->cn, s->bn, s->t1, s->t2, NULL);
    free(s);
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b) { uint64_t t = a % b; a = b; b = t; }
    return a;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int dim(int y, int m) {
    static const uint8_t days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + is_leap(y) : days[m];
}

int ck_annuity(ck_scratch *s, uint64_t P, uint64_t rate_num, uint64_t rate_den, int n,
               int year, int month, int day, ck_row *rows) {
    if (n < 1 || rate_den == 0) return -1;
    uint64_t A;
    uint64_t N2 = 0, Dd = 1, D2 = 2, M = 0;    // interest = (B*N2 + Dd) / D2, 64-bit path
    u128 N2w = 0, Ddw = 1, D2w = 2;            // wide path
    int wide = 0;
    if (rate_num == 0) {
        A = (2 * P + (uint64_t)n) / (2 * (uint64_t)n);
        M = 0;
    } else {
        uint64_t g = gcd_u64(rate_num, rate_den), num = rate_num / g, den = rate_den / g;
        if (den > UINT64_MAX / 360) return -1;
        uint64_t b12 = den * 12, g2 = gcd_u64(num, b12);
        u128 a = num / g2, b = b12 / g2, cc = a + b;
        if (cc >> 64) return -1;
        mpz_ui_pow_ui(s->cn, (unsigned long)cc, (unsigned long)n);
        mpz_ui_pow_ui(s->bn, (unsigned long)b, (unsigned long)n);
        mpz_sub(s->bn, s->cn, s->bn);
        mpz_mul_ui(s->bn, s->bn, (unsigned long)b);          // D
        mpz_mul_ui(s->t1, s->cn, (unsigned long)P);
        mpz_mul_ui(s->t1, s->t1, (unsigned long)a);          // N
        mpz_mul_2exp(s->t1, s->t1, 1);
        mpz_add(s->t1, s->t1, s->bn);
        mpz_mul_2exp(s->t2, s->bn, 1);
        mpz_fdiv_q(s->t1, s->t1, s->t2);
        if (mpz_sizeinbase(s->t1, 2) > 61) return -1;
        A = (uint64_t)mpz_get_ui(s->t1);
        u128 dd = (u128)den * 360, n2 = (u128)num * 60, maxt;
        if (__builtin_mul_overflow((u128)P, n2, &maxt) || __builtin_add_overflow(maxt, dd, &maxt)) return -1;
        if ((maxt >> 64) == 0 && ((2 * dd) >> 64) == 0) {
            N2 = (uint64_t)n2; Dd = (uint64_t)dd; D2 = (uint64_t)(2 * dd);
            M = (uint64_t)(((u128)1 << 64) / D2);
        } else {
            wide = 1; N2w = n2; Ddw = dd; D2w = 2 * dd;
        }
    }
    int y = year, m = month;
    uint64_t B = P;
    int count = 0;
    for (int k = 1; k <= n; k++) {
        if (++m == 13) { m = 1; y++; }
        if (y > 9999) return -1;
        int md = dim(y, m), d = day < md ? day : md;
        uint64_t I;
        if (rate_num == 0) I = 0;
        else if (wide) I = (uint64_t)(((u128)B * N2w + Ddw) / D2w);
        else {
            uint64_t t = B * N2 + Dd;
            uint64_t q = (uint64_t)(((u128)t * M) >> 64), r = t - q * D2;
            while (r >= D2) { q++; r -= D2; }
            I = q;
        }
        uint64_t pr = k == n ? B : (A > I ? A - I : 0);
        if (pr > B) pr = B;
        B -= pr;
        ck_row *row = &rows[count++];
        row->period = k; row->year = (int16_t)y; row->month = (int8_t)m; row->day = (int8_t)d;
        row->principal = (int64_t)pr; row->interest = (int64_t)I; row->balance = (int64_t)B;
        if (B == 0) break;
    }
    return count;
}
