// The kernel's job as a tight C loop, for the KernelBenchmarks suite (BENCHMARKS=1): the
// exact schedule of an annuity (SPEC §3: basis monthly, rounding half-up), computed the way
// ../shared/bench/ref_batch.c computes it, into an array of rows instead of CSV text. The
// Swift benchmarks run it beside `LoanTerms.schedule()` so that the ratio comes from one run.
#ifndef CKERNELLOOP_H
#define CKERNELLOOP_H
#include <stdint.h>

/// One row of the schedule: amounts in minor units (cents).
typedef struct {
    int32_t period;
    int16_t year;
    int8_t month, day;
    int64_t principal, interest, balance;
} ck_row;

/// GMP integers reused from call to call (no allocation per schedule once warm).
typedef struct ck_scratch ck_scratch;

ck_scratch *ck_scratch_new(void);
void ck_scratch_free(ck_scratch *s);

/// The schedule of `principal` cents at the annual rate `rate_num / rate_den`, `n` monthly
/// periods from `year-month-day` (due dates anchored on the start, clamped to month ends),
/// into `rows` (room for `n`). Returns the number of rows (the schedule ends once the balance
/// is 0), or -1 when a value is beyond this loop's 64-bit limits (the Swift kernel has none).
int ck_annuity(ck_scratch *s, uint64_t principal, uint64_t rate_num, uint64_t rate_den, int n,
               int year, int month, int day, ck_row *rows);

#endif
