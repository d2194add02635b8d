/*
 * Robustness test of the C API: NULLs, malformed strings, invalid UTF-8,
 * huge amounts, and a stream of random and malformed requests through every
 * entry point (key/value requests, rk_run_csv, rk_run_json), then the same
 * requests on several threads at once. Random payment histories (SPEC §9),
 * some with one bad item, go through the `payments` key and through a JSON
 * array: a bad item must be refused naming its number ("payments: item N"),
 * a good history must give a ledger that agrees with the plan's debt. The process must never die: a Swift
 * trap or a GMP abort would kill it, and the test script checks the exit
 * status and the final line.
 *
 *   gcc -std=c11 -O2 -Wall -ISources/CRepayKernel/include examples/c/robustness.c \
 *       -L.build/release -lrepaykernel -Wl,-rpath,$PWD/.build/release -lpthread -o robustness
 *   ./robustness [RANDOM_REQUESTS [SEED [THREAD_REQUESTS]]]   (default 100000, 1, 1500)
 *
 * It also replays max(300, RANDOM_REQUESTS / 20) random payment histories.
 * The limits of repaykernel.h are checked at and just beyond each limit (the
 * check of RK_MAX_RESULT_BYTES and the timings only with RANDOM_REQUESTS >= 10000).
 *
 * Last line: "robustness: N checks, F failed; R random requests (...); H payment
 * histories (B with a bad item)".
 * Exit status 0 only when no check failed.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repaykernel.h"

static long checks = 0, failures = 0;

static void check(int ok, const char *fmt, ...) {
    checks++;
    if (ok) return;
    failures++;
    if (failures <= 30) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
}

/* ---------- random numbers (xorshift64*, reproducible from the seed) ---------- */

typedef struct { uint64_t s; } rng_t;
static uint64_t rnd(rng_t *r) {
    r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}
static size_t below(rng_t *r, size_t n) { return n ? (size_t)(rnd(r) % n) : 0; }
#define PICK(r, arr) (arr[below(r, sizeof(arr) / sizeof(arr[0]))])

/* ---------- value pools ---------- */

static const char *AMOUNTS[] = {
    "10000", "0", "0.01", "1", "5000.50", "99999999.99", "-3.20", "1e4", "+5", ".5", "5.", "1,000", " 100", "100 ",
    "100.005", "100.500", "0.1.2", "abc", "", "10000000000000000000000000000000000000000",
    "92233720368547758.07", "92233720368547758.08", "184467440737095516.15", "0000000000000000000000001",
    "123456789012345678901234567890123456789012345678901234567890.12", "\xef\xbc\x91\xef\xbc\x90", "NaN", "inf",
};
static const char *RATES[] = {
    "0.12", "12%", "0", "0%", "100%", "0.144", "14.4%", "1", "-0.12", "-1%", "1000%", "999999999999%",
    "0.000000000000000001", "x%", "%", "%%", "12%%", "1e-2", "0.12 ", "", "99999999999999999999999999999",
    "3.5%", "0.0003", "36%", "0.5",
};
static const char *WHOLES[] = {
    "0", "1", "2", "3", "6", "12", "24", "60", "61", "120", "360", "1200", "1201", "-1", "12.5", "1e2",
    "99999999999999999999", "9223372036854775807", "9223372036854775808", "", " 12", "٣",
};
static const char *DATES[] = {
    "2024-01-15", "2024-01-31", "2024-02-29", "2023-02-29", "2024-06-20", "2025-02-30", "0001-01-01",
    "9999-12-31", "9999-01-31", "9998-12-31", "0000-01-01", "2024-13-01", "2024-00-10", "20240115", "2024-1-5",
    "2024-01-15T00:00", "", "24-01-15", "2024/01/15", "1900-02-29", "2000-02-29",
};
static const char *METHODS[] = { "annuity", "equal-principal", "interest-only", "bullet", "flat", "balloon", "", "ANNUITY" };
static const char *BASES[] = { "monthly", "act/360", "act/365", "30/360", "act/366", "" };
static const char *ROUNDINGS[] = { "half-up", "half-even", "down", "up", "floor", "ceiling", "bankers", "" };
static const char *SCALES[] = { "0", "1", "2", "3", "6", "7", "-1", "" };
static const char *BOOLS[] = { "true", "false", "yes", "no", "on", "off", "1", "0", "maybe", "" };
static const char *WAIVERS[] = { "100%", "50%", "0%", "150%", "10.00", "99999.00", "1.234", "-5", "%", "" };
static const char *CAPITALIZE[] = { "none", "all", "some", "" };
static const char *DEFERRAL[] = { "waived", "accrued", "interest-only", "free", "" };
static const char *THEN[] = { "lump-sum", "installments", "balloon", "" };
static const char *GARBAGE[] = {
    "\xff", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "a\"b", "a,b", "a\nb", "a\r\nb",
    "\"", ",", "\\", "{", "}", "[]", "null", "\xef\xbb\xbf" "100", "\t", "🙂", "１０００",
};

/* Payment items (SPEC §9) around the templates' dates, good and bad, joined by "; " into a payments value. */
static const char *PAYMENT_ITEMS[] = {
    "2024-02-15 888.49", "2024-03-15 888.49", "2024-04-15 500", "2024-04-20 388.49", "2024-05-01 1000 prepay",
    "2024-06-20 100", "2024-01-15 1", "2024-07-01 5", "2023-12-31 10", "2024-13-01 5", "2024-02-15 0",
    "2024-02-15 -5", "2024-02-15 1.234", "2024-02-15 100 prepaid", "2024-02-15", "", "2024-02-15 1e3",
    "2024-02-15 99999999999999999999999999999999", "9999-12-31 1", "2024-02-15 5 prepay x", " 2024-03-01   7 ",
    "2024-03-01 20000 prepay", "2024-06-20 9000",
};
static const char *PREPAYMENT[] = { "reduce-payment", "reduce-term", "reduce", "REDUCE-TERM", "" };
static const char *ALLOCATION[] = { "installment", "component", "penalty-first", "" };

typedef enum { K_AMOUNT, K_RATE, K_WHOLE, K_DATE, K_METHOD, K_BASIS, K_ROUNDING, K_SCALE, K_BOOL, K_WAIVER,
               K_CAPITALIZE, K_DEFERRAL, K_THEN, K_ID, K_PAYMENTS, K_PREPAYMENT, K_ALLOCATION } kind_t;
typedef struct { const char *name; kind_t kind; } key_t_;
static const key_t_ KEYS[] = {
    {"id", K_ID}, {"principal", K_AMOUNT}, {"rate", K_RATE}, {"daily_rate", K_RATE}, {"fee_rate", K_RATE},
    {"term", K_WHOLE}, {"method", K_METHOD}, {"start", K_DATE}, {"first_due", K_DATE}, {"basis", K_BASIS},
    {"rounding", K_ROUNDING}, {"scale", K_SCALE}, {"as_of", K_DATE}, {"paid_through", K_WHOLE},
    {"overdue_principal", K_AMOUNT}, {"overdue_interest", K_AMOUNT}, {"accrued_interest", K_AMOUNT},
    {"penalty", K_AMOUNT}, {"fees", K_AMOUNT}, {"markup", K_RATE}, {"compound", K_BOOL},
    {"waive_penalty", K_WAIVER}, {"waive_interest", K_WAIVER}, {"waive_fees", K_WAIVER},
    {"capitalize", K_CAPITALIZE}, {"down_payment", K_AMOUNT}, {"defer_months", K_WHOLE},
    {"deferral_interest", K_DEFERRAL}, {"then", K_THEN}, {"installments", K_WHOLE}, {"plan_method", K_METHOD},
    {"plan_rate", K_RATE}, {"max_term", K_WHOLE}, {"payments", K_PAYMENTS}, {"prepayment", K_PREPAYMENT},
    {"allocation", K_ALLOCATION}, {"grace_days", K_WHOLE},
};
#define NKEYS (sizeof(KEYS) / sizeof(KEYS[0]))
static const char *BOGUS_KEYS[] = { "principle", "Principal", "", "rate ", "\xff", "interest", "id\n", "as-of" };

static const char *value_for(rng_t *r, kind_t k, char *scratch, size_t cap) {
    switch (below(r, 12) == 0 ? 99 : (int)k) {
    case K_AMOUNT: return PICK(r, AMOUNTS);
    case K_RATE: return PICK(r, RATES);
    case K_WHOLE: return PICK(r, WHOLES);
    case K_DATE: return PICK(r, DATES);
    case K_METHOD: return PICK(r, METHODS);
    case K_BASIS: return PICK(r, BASES);
    case K_ROUNDING: return PICK(r, ROUNDINGS);
    case K_SCALE: return PICK(r, SCALES);
    case K_BOOL: return PICK(r, BOOLS);
    case K_WAIVER: return PICK(r, WAIVERS);
    case K_CAPITALIZE: return PICK(r, CAPITALIZE);
    case K_DEFERRAL: return PICK(r, DEFERRAL);
    case K_THEN: return PICK(r, THEN);
    case K_PREPAYMENT: return PICK(r, PREPAYMENT);
    case K_ALLOCATION: return PICK(r, ALLOCATION);
    case K_PAYMENTS: {
        scratch[0] = 0;
        size_t items = below(r, 5), used = 0;
        for (size_t i = 0; i < items; i++) {
            int n = snprintf(scratch + used, cap - used, "%s%s", i ? "; " : "", PICK(r, PAYMENT_ITEMS));
            if (n < 0 || (size_t)n >= cap - used) { scratch[used] = 0; break; }
            used += (size_t)n;
        }
        return scratch;
    }
    case K_ID: {
        snprintf(scratch, cap, "r%" PRIu64, rnd(r) % 100000);
        return scratch;
    }
    default: {
        /* Random bytes (never NUL), or random digits with an optional point. */
        size_t n = 1 + below(r, cap - 1 < 80 ? cap - 1 : 80);
        int digits = below(r, 2) == 0;
        for (size_t i = 0; i < n; i++) {
            scratch[i] = digits ? (char)('0' + below(r, 10)) : (char)(1 + below(r, 255));
            if (digits && i > 0 && i + 3 == n && below(r, 2)) scratch[i] = '.';
        }
        scratch[n] = 0;
        return below(r, 3) == 0 ? PICK(r, GARBAGE) : scratch;
    }
    }
}

/* ---------- a random request as key/value pairs ---------- */

#define MAXPAIRS 40
typedef struct {
    int n;
    const char *key[MAXPAIRS];
    char value[MAXPAIRS][256];
} request_t;

static void put(request_t *q, const char *key, const char *value) {
    for (int i = 0; i < q->n; i++) {
        if (strcmp(q->key[i], key) == 0) { snprintf(q->value[i], sizeof q->value[i], "%s", value); return; }
    }
    if (q->n == MAXPAIRS) return;
    q->key[q->n] = key;
    snprintf(q->value[q->n], sizeof q->value[q->n], "%s", value);
    q->n++;
}

/* A valid template, then 0..5 random mutations. */
static void random_request(rng_t *r, request_t *q) {
    char scratch[256];
    q->n = 0;
    switch (below(r, 7)) {
    case 0:
        put(q, "principal", "10000"); put(q, "rate", "0.12"); put(q, "term", "12"); put(q, "start", "2024-01-15");
        break;
    case 1:
        put(q, "principal", "24000"); put(q, "fee_rate", "0.006"); put(q, "method", "flat"); put(q, "term", "24");
        put(q, "start", "2024-01-31");
        break;
    case 2:
        put(q, "principal", "10000"); put(q, "rate", "0.12"); put(q, "term", "12"); put(q, "start", "2024-01-15");
        put(q, "as_of", "2024-06-20"); put(q, "paid_through", "3"); put(q, "installments", "6");
        break;
    case 3:
        put(q, "principal", "5000"); put(q, "as_of", "2024-06-20"); put(q, "overdue_interest", "12.34");
        put(q, "penalty", "3.21"); put(q, "fees", "20"); put(q, "defer_months", "2");
        put(q, "deferral_interest", "interest-only"); put(q, "installments", "3"); put(q, "plan_rate", "6%");
        break;
    case 4: /* arrears replayed from payments (SPEC §9.2) */
        put(q, "principal", "10000"); put(q, "rate", "0.12"); put(q, "term", "12"); put(q, "start", "2024-01-15");
        put(q, "as_of", "2024-06-20"); put(q, "payments", "2024-02-15 888.49; 2024-03-15 888.49; 2024-04-20 500");
        put(q, "installments", "6");
        break;
    case 5: /* a loan with a prepayment (SPEC §9.1) */
        put(q, "principal", "10000"); put(q, "rate", "0.12"); put(q, "term", "12"); put(q, "start", "2024-01-15");
        put(q, "payments", "2024-05-01 2000 prepay"); put(q, "prepayment", "reduce-term");
        break;
    default:
        break; /* nothing: fully random keys */
    }
    int mutations = (int)below(r, 6);
    for (int m = 0; m < mutations; m++) {
        if (below(r, 25) == 0) {
            put(q, PICK(r, BOGUS_KEYS), "1");
            continue;
        }
        const key_t_ *k = &KEYS[below(r, NKEYS)];
        put(q, k->name, value_for(r, k->kind, scratch, sizeof scratch));
    }
}

/* ---------- checking a computed result ---------- */

/* Formats minor units at a scale as the decimal text the library prints. */
static void format_units(int64_t v, int scale, char *out, size_t cap) {
    char digits[32];
    if (scale < 0 || scale > 6) scale = 0;
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(digits, sizeof digits, "%0*" PRIu64, scale + 1, u);
    size_t n = strlen(digits);
    if (scale == 0) snprintf(out, cap, "%s%s", neg ? "-" : "", digits);
    else snprintf(out, cap, "%s%.*s.%s", neg ? "-" : "", (int)(n - (size_t)scale), digits, digits + n - (size_t)scale);
}

/* An amount read both ways agrees: the int64 printed at `scale` is the text, or RK_RANGE with 0 for a
   text too long for int64_t. */
static void check_amount(const char *text, int rc, int64_t v, int scale, const char *what) {
    check(text != NULL, "%s: NULL amount", what);
    if (!text) return;
    if (rc == RK_OK) {
        char buf[64];
        format_units(v, scale, buf, sizeof buf);
        check(strcmp(buf, text) == 0, "%s: int64 %s != text %s", what, buf, text);
    } else {
        check(rc == RK_RANGE && v == 0 && strlen(text) >= 19, "%s: rc %d for %s", what, rc, text);
    }
}

static uint64_t fnv(uint64_t h, const char *s) {
    for (; s && *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h * 1099511628211ULL;
}

/* Walks the days past due and the ledger getters of a result (SPEC §9.2); returns a hash of what it read.
   A loan has neither; a plan has days past due unless its arrears were given directly (RK_NODATA); a plan
   replayed from payments has a ledger ending with its position at as_of, which agrees with its debt. */
static uint64_t walk_ledger(const rk_result *res, int verify, int is_plan) {
    uint64_t h = 0x5EED;
    int64_t days = -1;
    int days_rc = rk_result_days_past_due(res, &days);
    h = h * 31 + (uint64_t)days_rc;
    h = h * 31 + (uint64_t)days;
    size_t n = rk_result_ledger_count(res);
    int scale = rk_result_scale(res);
    if (verify) {
        if (!is_plan) check(days_rc == RK_MISUSE && days == 0 && n == 0, "loan: days past due rc %d, %zu events", days_rc, n);
        else check((days_rc == RK_OK && days >= 0) || (days_rc == RK_NODATA && days == 0 && n == 0),
                   "plan: days past due rc %d (%" PRId64 "), %zu events", days_rc, days, n);
        check(rk_result_days_past_due(res, NULL) == RK_MISUSE, "days past due NULL out");
        check(rk_ledger_date(res, n) == NULL && rk_ledger_kind(res, n) == NULL &&
              rk_ledger_installment(res, n) == -1 && rk_ledger_days_past_due(res, n) == -1 &&
              rk_ledger_amount(res, n, RK_LEDGER_AMOUNT) == NULL && rk_ledger_date(res, (size_t)-1) == NULL &&
              rk_ledger_installment(res, (size_t)-1) == -1, "ledger getters past the end");
        int64_t v = 42;
        check(rk_ledger_amount_int64(res, n, RK_LEDGER_AMOUNT, &v) == RK_MISUSE && v == 0, "ledger int64 past the end");
    }
    const char *last_date = "";
    int64_t last_due = 0;
    for (size_t i = 0; i < n; i++) {
        const char *date = rk_ledger_date(res, i), *kind = rk_ledger_kind(res, i);
        int64_t installment = rk_ledger_installment(res, i), dpd = rk_ledger_days_past_due(res, i);
        h = fnv(h, date); h = fnv(h, kind); h = h * 31 + (uint64_t)installment; h = h * 31 + (uint64_t)dpd;
        int64_t a[7];
        int fits = 1;
        for (int c = RK_LEDGER_AMOUNT; c <= RK_LEDGER_BALANCE; c++) {
            const char *text = rk_ledger_amount(res, i, c);
            int rc = rk_ledger_amount_int64(res, i, c, &a[c - RK_LEDGER_AMOUNT]);
            h = fnv(h, text);
            if (rc != RK_OK) fits = 0;
            if (!verify) continue;
            char what[48];
            snprintf(what, sizeof what, "ledger %zu col %d", i, c);
            check_amount(text, rc, a[c - RK_LEDGER_AMOUNT], scale, what);
            check(text && text[0] != '-', "ledger %zu col %d negative: %s", i, c, text ? text : "(null)");
        }
        if (!verify || !date || !kind) continue;
        check(strlen(date) == 10 && strcmp(date, last_date) >= 0, "ledger %zu: date %s after %s", i, date, last_date);
        last_date = date;
        check(dpd >= 0, "ledger %zu: days past due %" PRId64, i, dpd);
        int due = !strcmp(kind, "due"), penalty = !strcmp(kind, "penalty"), as_of = !strcmp(kind, "as_of");
        check(due || penalty || as_of || !strcmp(kind, "credit") || !strcmp(kind, "payment") ||
              !strcmp(kind, "prepayment"), "ledger %zu: kind %s", i, kind);
        check(as_of == (i + 1 == n), "ledger %zu: as_of must be the last event, and only it", i);
        check((installment > 0) == (due || penalty) && installment >= 0, "ledger %zu: %s of installment %" PRId64,
              i, kind, installment);
        if (due) { check(installment == last_due + 1, "ledger %zu: due %" PRId64 " after %" PRId64, i, installment, last_due); last_due = installment; }
        if (penalty) check(installment <= last_due, "ledger %zu: penalty of installment %" PRId64 " not yet due", i, installment);
        if (!fits) continue;
        enum { AMT, PEN, INT, PRI, CRE, OVD, BAL };
        if (due) check(a[AMT] == a[INT] + a[PRI] && a[PEN] == 0, "ledger %zu: due amount != interest + principal", i);
        else if (penalty) check(a[AMT] == a[PEN] && a[INT] == 0 && a[PRI] == 0, "ledger %zu: penalty split", i);
        else if (as_of) check(a[AMT] == 0 && a[OVD] == a[PEN] + a[INT] + a[PRI], "ledger %zu: as_of split", i);
        else check(a[PEN] + a[INT] + a[PRI] <= a[AMT], "ledger %zu: %s pays more than its amount", i, kind);
        check(a[OVD] > 0 || dpd == 0, "ledger %zu: %" PRId64 " days past due with nothing overdue", i, dpd);
        if (as_of) {
            /* (a component that does not fit int64_t, say accrued interest at a rate of 10^12 %, is not compared) */
            int64_t before[6] = {0};
            int ok = 1;
            for (int c = 0; c < 5; c++) {
                if (c == 3) continue;
                ok &= rk_result_debt_int64(res, RK_DEBT_BEFORE, RK_DEBT_PRINCIPAL + c, &before[c]) == RK_OK;
            }
            check(!ok || (before[0] == a[BAL] && before[1] == a[PRI] && before[2] == a[INT] && before[4] == a[PEN]),
                  "ledger: the as_of position (balance %" PRId64 ", overdue principal %" PRId64 ", interest %" PRId64
                  ", penalty %" PRId64 ") differs from the plan's debt before (%" PRId64 ", %" PRId64 ", %" PRId64 ", %"
                  PRId64 ")", a[BAL], a[PRI], a[INT], a[PEN], before[0], before[1], before[2], before[4]);
            check(days_rc == RK_OK && days == dpd, "ledger: as_of days past due %" PRId64 " != %" PRId64, dpd, days);
        }
    }
    return h;
}

/* Walks every getter of a result; returns a hash of everything read. */
static uint64_t walk_result(const rk_result *res, int verify) {
    uint64_t h = 1469598103934665603ULL;
    size_t n = rk_result_row_count(res);
    int scale = rk_result_scale(res);
    if (verify) check(scale >= 0 && scale <= 6, "scale %d out of 0..6", scale);
    h = fnv(h, rk_result_id(res));
    for (size_t i = 0; i < n; i++) {
        int64_t period = rk_row_period(res, i);
        const char *due = rk_row_due_date(res, i), *kind = rk_row_kind(res, i);
        if (verify) {
            check(period >= 0, "row %zu: period %" PRId64, i, period);
            check(due && strlen(due) == 10, "row %zu: due date", i);
            check(kind && (!strcmp(kind, "installment") || !strcmp(kind, "down") || !strcmp(kind, "deferral") ||
                           !strcmp(kind, "lump") || !strcmp(kind, "prepay")), "row %zu: kind %s", i, kind ? kind : "(null)");
        }
        h = fnv(h, due); h = fnv(h, kind); h ^= (uint64_t)period;
        for (int c = RK_ROW_PAYMENT; c <= RK_ROW_BALANCE; c++) {
            const char *text = rk_row_amount(res, i, c);
            int64_t v = -1;
            int rc = rk_row_amount_int64(res, i, c, &v);
            h = fnv(h, text);
            if (!verify) continue;
            char what[48];
            snprintf(what, sizeof what, "row %zu col %d", i, c);
            check_amount(text, rc, v, scale, what);
        }
    }
    for (int f = RK_SUM_TOTAL_PAYABLE; f <= RK_SUM_EFFECTIVE_APR; f++) {
        const char *text = rk_result_summary(res, f);
        h = fnv(h, text);
        if (verify) check(text != NULL, "summary %d NULL", f);
        if (verify && f <= RK_SUM_WAIVED_FEES && text) {
            int64_t v = -1;
            int rc = rk_result_summary_int64(res, f, &v);
            char what[32];
            snprintf(what, sizeof what, "summary %d", f);
            check_amount(text, rc, v, scale, what);
        }
    }
    /* A plan's debt breakdown: before = waived + after per component, the total is the sum of the six,
       nothing of the principal is waived, the waived interest is the summary's, the amount financed
       (after total) is total_payable - total_interest. A loan has none. */
    int is_plan = rk_result_is_plan(res);
    int64_t debt[3][7];
    int debt_fits = 1;
    for (int st = RK_DEBT_BEFORE; st <= RK_DEBT_AFTER; st++) {
        for (int c = RK_DEBT_PRINCIPAL; c <= RK_DEBT_TOTAL; c++) {
            const char *text = rk_result_debt(res, st, c);
            int64_t v = -1;
            int rc = rk_result_debt_int64(res, st, c, &v);
            h = fnv(h, text);
            debt[st - RK_DEBT_BEFORE][c - RK_DEBT_PRINCIPAL] = v;
            if (rc != RK_OK) debt_fits = 0;
            if (!verify) continue;
            if (!is_plan) {
                check(text == NULL && rc == RK_MISUSE && v == 0, "loan debt %d/%d: text %s, rc %d", st, c,
                      text ? text : "(null)", rc);
                continue;
            }
            char what[48];
            snprintf(what, sizeof what, "debt %d/%d", st, c);
            check_amount(text, rc, v, scale, what);
        }
    }
    if (verify && is_plan && debt_fits) {
        for (int k = 0; k < 3; k++) {
            int64_t sum = 0;
            for (int c = 0; c < 6; c++) sum += debt[k][c];
            check(sum == debt[k][6], "debt stage %d: components sum to %" PRId64 ", total %" PRId64, k + 1, sum, debt[k][6]);
        }
        for (int c = 0; c < 7; c++) {
            check(debt[0][c] == debt[1][c] + debt[2][c], "debt component %d: before != waived + after", c);
            check(debt[1][c] >= 0 && debt[2][c] >= 0, "debt component %d: negative", c);
        }
        check(debt[1][0] == 0 && debt[1][1] == 0, "principal waived");
        int64_t waived_interest = -1, waived_penalty = -1, waived_fees = -1, payable = -1, interest = -1;
        if (rk_result_summary_int64(res, RK_SUM_WAIVED_INTEREST, &waived_interest) == RK_OK &&
            rk_result_summary_int64(res, RK_SUM_WAIVED_PENALTY, &waived_penalty) == RK_OK &&
            rk_result_summary_int64(res, RK_SUM_WAIVED_FEES, &waived_fees) == RK_OK) {
            check(debt[1][2] + debt[1][3] == waived_interest && debt[1][4] == waived_penalty && debt[1][5] == waived_fees,
                  "waived debt components differ from the summary");
            /* overdue interest first: accrued interest is waived only once the overdue interest is gone */
            check(debt[1][3] == 0 || debt[2][2] == 0, "accrued interest waived before overdue interest");
        }
        if (rk_result_summary_int64(res, RK_SUM_TOTAL_PAYABLE, &payable) == RK_OK &&
            rk_result_summary_int64(res, RK_SUM_TOTAL_INTEREST, &interest) == RK_OK) {
            check(payable - interest == debt[2][6], "amount financed %" PRId64 " != debt after %" PRId64,
                  payable - interest, debt[2][6]);
        }
    }
    h ^= walk_ledger(res, verify, is_plan);
    if (verify) {
        int64_t v;
        check(rk_result_debt(res, 0, RK_DEBT_TOTAL) == NULL && rk_result_debt(res, RK_DEBT_AFTER + 1, RK_DEBT_TOTAL) == NULL &&
              rk_result_debt(res, RK_DEBT_BEFORE, RK_DEBT_PRINCIPAL - 1) == NULL &&
              rk_result_debt(res, RK_DEBT_BEFORE, RK_DEBT_TOTAL + 1) == NULL, "debt bad selector");
        check(rk_result_debt(res, RK_DEBT_PRINCIPAL, RK_DEBT_BEFORE) == NULL, "debt selectors swapped");
        check(rk_result_debt_int64(res, RK_DEBT_BEFORE, 99, &v) == RK_MISUSE, "debt int64 bad component");
        check(rk_result_debt_int64(res, RK_DEBT_BEFORE, RK_DEBT_TOTAL, NULL) == RK_MISUSE, "debt int64 NULL out");
        check(rk_row_period(res, n) == -1, "period past the end");
        check(rk_row_due_date(res, n) == NULL && rk_row_kind(res, n) == NULL, "row text past the end");
        check(rk_row_amount(res, n, RK_ROW_PAYMENT) == NULL, "amount past the end");
        check(rk_row_amount(res, 0, 0) == NULL && rk_row_amount(res, 0, 6) == NULL, "amount bad column");
        check(rk_row_amount_int64(res, n, RK_ROW_PAYMENT, &v) == RK_MISUSE, "int64 past the end");
        check(rk_row_amount_int64(res, 0, 99, &v) == RK_MISUSE, "int64 bad column");
        check(rk_row_amount_int64(res, 0, RK_ROW_PAYMENT, NULL) == RK_MISUSE, "int64 NULL out");
        check(rk_result_summary(res, 100) == NULL && rk_result_summary(res, 109) == NULL, "summary bad field");
        check(rk_result_summary_int64(res, RK_SUM_APR, &v) == RK_MISUSE, "summary int64 of a text field");
        check(rk_result_summary_int64(res, RK_SUM_TOTAL_PAYABLE, NULL) == RK_MISUSE, "summary int64 NULL out");
        check(rk_row_period(res, (size_t)-1) == -1, "period at SIZE_MAX");
    }
    return h;
}

/* Computes a key/value request; returns a hash of the outcome (status, message or result). */
static uint64_t run_request(const request_t *q, int verify, int *status_out) {
    rk_request *req = NULL;
    if (rk_request_new(&req) != RK_OK || !req) { check(0, "rk_request_new"); return 0; }
    uint64_t h = 7;
    int set_failed = 0;
    for (int i = 0; i < q->n; i++) {
        int rc = rk_request_set(req, q->key[i], q->value[i]);
        if (rc != RK_OK) {
            set_failed = 1;
            const char *msg = rk_request_errmsg(req);
            if (verify) check((rc == RK_INVALID || rc == RK_MISUSE) && msg && *msg, "set %s: rc %d, msg '%s'",
                              q->key[i], rc, msg ? msg : "(null)");
            if (verify) check(rk_request_errcode(req) == rc, "set %s: errcode %d, returned %d", q->key[i],
                              rk_request_errcode(req), rc);
            h = fnv(h, msg);
        }
    }
    rk_result *res = (rk_result *)(uintptr_t)1; /* must be overwritten */
    int rc = rk_compute(req, &res);
    *status_out = rc;
    h = fnv(h, rk_errstr(rc));
    if (verify) check(rk_request_errcode(req) == rc, "compute: errcode %d, returned %d", rk_request_errcode(req), rc);
    if (rc == RK_OK) {
        if (verify) check(res != NULL && *rk_request_errmsg(req) == 0, "RK_OK without a result");
        if (res) h ^= walk_result(res, verify);
        rk_result_free(res);
    } else {
        const char *msg = rk_request_errmsg(req), *field = rk_request_errfield(req);
        if (verify) {
            check(res == NULL, "failed compute left *out set");
            check(rc == RK_INVALID || rc == RK_RANGE, "compute: unexpected status %d (%s): %s", rc, rk_errstr(rc), msg);
            check(msg && *msg, "compute failed (rc %d) without a message", rc);
            check(field != NULL, "errfield NULL");
        }
        h = fnv(h, msg);
    }
    (void)set_failed;
    rk_request_free(req);
    return h;
}

/* ---------- CSV and JSON documents from a request, then mutated ---------- */

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap) *cap = *cap ? *cap * 2 : 256;
        *buf = realloc(*buf, *cap);
        if (!*buf) { fprintf(stderr, "out of memory\n"); exit(3); }
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
}
static void appends(char **b, size_t *l, size_t *c, const char *s) { append(b, l, c, s, strlen(s)); }

static void csv_field(char **b, size_t *l, size_t *c, const char *s) {
    if (strpbrk(s, ",\"\r\n") == NULL) { appends(b, l, c, s); return; }
    appends(b, l, c, "\"");
    for (; *s; s++) append(b, l, c, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    appends(b, l, c, "\"");
}

static void json_string(char **b, size_t *l, size_t *c, const char *s) {
    appends(b, l, c, "\"");
    for (; *s; s++) {
        char esc[8];
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { esc[0] = '\\'; esc[1] = (char)ch; append(b, l, c, esc, 2); }
        else if (ch < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", ch); appends(b, l, c, esc); }
        else append(b, l, c, s, 1);
    }
    appends(b, l, c, "\"");
}

static void mutate(rng_t *r, char *buf, size_t *len) {
    int n = (int)below(r, 4);
    static const char SPECIAL[] = ",\"\r\n{}[]:\\\xff\xc3";
    for (int i = 0; i < n && *len > 0; i++) {
        size_t at = below(r, *len);
        switch (below(r, 3)) {
        case 0: buf[at] = SPECIAL[below(r, sizeof SPECIAL - 1)]; break;
        case 1: buf[at] = (char)rnd(r); break;
        default: *len = at; break; /* truncate */
        }
    }
}

static void run_csv_doc(rng_t *r, const request_t *q, int rows) {
    char *doc = NULL; size_t len = 0, cap = 0;
    appends(&doc, &len, &cap, "id");
    for (int i = 0; i < q->n; i++) { appends(&doc, &len, &cap, ","); csv_field(&doc, &len, &cap, q->key[i]); }
    appends(&doc, &len, &cap, "\r\n");
    for (int row = 0; row < rows; row++) {
        char id[32];
        snprintf(id, sizeof id, "row%d", row);
        appends(&doc, &len, &cap, id);
        for (int i = 0; i < q->n; i++) { appends(&doc, &len, &cap, ","); csv_field(&doc, &len, &cap, q->value[i]); }
        appends(&doc, &len, &cap, "\n");
    }
    if (below(r, 2)) mutate(r, doc, &len);
    char *schedule = NULL, *summary = NULL, *err = NULL;
    size_t sl = 0, ml = 0;
    int rc = rk_run_csv(doc, len, &schedule, &sl, &summary, &ml, &err);
    check(rc == RK_OK || rc == RK_PARTIAL || rc == RK_FORMAT, "rk_run_csv: status %d", rc);
    check(err != NULL, "rk_run_csv: errmsg NULL");
    if (rc == RK_OK || rc == RK_PARTIAL) {
        /* (an input byte 0 is data, so the outputs may contain NUL bytes: check the lengths, not strlen) */
        check(schedule && summary && sl >= 10 && ml >= 10 && schedule[sl] == 0 && summary[ml] == 0 &&
              strncmp(schedule, "id,period,", 10) == 0 && strncmp(summary, "id,status,", 10) == 0,
              "rk_run_csv: outputs");
        check(err && *err == 0, "rk_run_csv: message on success");
    } else {
        check(!schedule && !summary && err && *err, "rk_run_csv: unusable input without a message or with output");
    }
    rk_free(schedule); rk_free(summary); rk_free(err); free(doc);
}

static void run_json_doc(rng_t *r, const request_t *q) {
    char *doc = NULL; size_t len = 0, cap = 0;
    int array = below(r, 4) == 0;
    if (array) appends(&doc, &len, &cap, "[");
    appends(&doc, &len, &cap, "{");
    for (int i = 0; i < q->n; i++) {
        if (i) appends(&doc, &len, &cap, ", ");
        json_string(&doc, &len, &cap, q->key[i]);
        appends(&doc, &len, &cap, ": ");
        /* Plain digit strings sometimes as JSON numbers. */
        const char *v = q->value[i];
        if (*v && strspn(v, "0123456789.") == strlen(v) && below(r, 2)) appends(&doc, &len, &cap, v);
        else if (!strcmp(q->key[i], "payments") && below(r, 2)) {
            /* Payments sometimes as an array, one text element per ';'-separated item. */
            appends(&doc, &len, &cap, "[");
            for (const char *item = v; ; ) {
                const char *end = strchr(item, ';');
                size_t n = end ? (size_t)(end - item) : strlen(item);
                char one[256];
                snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one ? n : sizeof one - 1), item);
                if (item != v) appends(&doc, &len, &cap, ", ");
                json_string(&doc, &len, &cap, one);
                if (!end) break;
                item = end + 1;
            }
            appends(&doc, &len, &cap, "]");
        } else json_string(&doc, &len, &cap, v);
    }
    appends(&doc, &len, &cap, "}");
    if (array) appends(&doc, &len, &cap, ", 7, {\"principal\": [1]}]");
    if (below(r, 2)) mutate(r, doc, &len);
    char *out = NULL;
    size_t out_len = 0;
    int rc = rk_run_json(doc, len, &out, &out_len);
    check(rc == RK_OK || rc == RK_INVALID || rc == RK_RANGE || rc == RK_FORMAT || rc == RK_PARTIAL,
          "rk_run_json: status %d", rc);
    check(out && strlen(out) == out_len && (out[0] == '{' || out[0] == '['), "rk_run_json: output");
    rk_free(out); free(doc);
}

/* ---------- random payment histories (SPEC §9.2), with one bad item or none ---------- */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
static void format_day(int64_t z, char out[11]) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
}

/* One bad item that is the only fault of a history: it is always reported as its own number. */
static void bad_item(rng_t *r, char *out, size_t cap, int64_t prev_day, int has_prev, int64_t start, int64_t as_of,
                     int is_last, int for_loan) {
    char day[11], before[11];
    format_day(prev_day, day);
    format_day(start - 1 - (int64_t)below(r, 30), before);
    switch (below(r, 13)) {
    case 0: snprintf(out, cap, "%.4s-13-01 5", day); break;                 /* no such month */
    case 1: snprintf(out, cap, "%.7s-32 5", day); break;                    /* no such day */
    case 2: snprintf(out, cap, "%s 0", day); break;                         /* zero */
    case 3: snprintf(out, cap, "%s -5", day); break;                        /* negative */
    case 4: snprintf(out, cap, "%s 5.123", day); break;                     /* more decimals than the scale */
    case 5: snprintf(out, cap, "%s 5 prepaid", day); break;                 /* unknown word */
    case 6: snprintf(out, cap, "%s", day); break;                           /* no amount */
    case 7: snprintf(out, cap, "%s 5 prepay now", day); break;              /* a word too many */
    case 8: snprintf(out, cap, "%s 1e3", day); break;                       /* exponent */
    case 9: snprintf(out, cap, "%s", is_last ? "tomorrow 5" : ""); break;   /* empty (a trailing empty item is allowed) */
    case 10:                                                                /* dated before the item before it */
        if (has_prev && prev_day > start) { format_day(prev_day - 1 - (int64_t)below(r, 20), day); snprintf(out, cap, "%s 5", day); }
        else snprintf(out, cap, "%s 5", before);                            /* or before the start */
        break;
    case 11:
        if (is_last && !for_loan) { format_day(as_of + 1 + (int64_t)below(r, 40), day); snprintf(out, cap, "%s 5", day); }
        else snprintf(out, cap, "%s,5", day);                               /* after as_of, or a comma */
        break;
    default: snprintf(out, cap, "%s 5\xff", day); break;                    /* garbage byte in the amount */
    }
}

/* Random loans with random histories through rk_request_set("payments", ...) and through rk_run_json()
   ("payments" as an array of strings and objects): a history with one bad item must fail with RK_INVALID,
   field payments and a message "payments: item N: ..." naming that item, the same way in both; a good
   one must compute, with a ledger that walk_ledger() checks and the JSON result agrees with. */
static long payments_checks(long loans, uint64_t seed) {
    rng_t r = { seed * 0xD1B54A32D192ED03ULL | 1 };
    static const char *PMETHODS[] = { "annuity", "equal-principal", "interest-only", "bullet" };
    long bad_histories = 0;
    for (long t = 0; t < loans; t++) {
        int for_loan = below(&r, 5) == 0;                  /* a loan with prepayments (9.1) instead of a plan */
        int term = 3 + (int)below(&r, 58);
        int64_t start = days_from_civil(2020, 1, 1) + (int64_t)below(&r, 2000);
        int64_t as_of = for_loan ? start + 28L * term : start + (int64_t)below(&r, 31 * (uint64_t)term + 90);
        int64_t principal = 100000 + (int64_t)below(&r, 10000000);
        const char *method = for_loan ? "annuity" : PICK(&r, PMETHODS);
        char start_s[11], as_of_s[11], principal_s[32], term_s[8], rate_s[16], grace_s[8];
        format_day(start, start_s); format_day(as_of, as_of_s);
        format_units(principal, 2, principal_s, sizeof principal_s);
        snprintf(term_s, sizeof term_s, "%d", term);
        snprintf(rate_s, sizeof rate_s, "%d.%d%%", (int)below(&r, 25), (int)below(&r, 10));
        snprintf(grace_s, sizeof grace_s, "%d", (int)below(&r, 8));
        const char *allocation = below(&r, 2) ? "installment" : "component";

        /* Items, dates non-decreasing in [start, as_of] (after start for a loan), small enough that a
           plan is never overpaid and a loan's prepayments never exceed its balance. */
        int count = (int)below(&r, for_loan ? 3 : 9);
        int bad = below(&r, 3) == 0 ? (int)below(&r, (size_t)count + 1) : -1;
        int total = count + (bad >= 0);
        char items[10][96];
        int64_t day = start + for_loan, paid = 0;
        /* a loan's prepayments fall in the first half of its term, where its balance is well above them */
        int64_t span = (for_loan ? 14L * (term - 1) : as_of - start) / (total + 1) + 1;
        for (int i = 0; i < total; i++) {
            if (i == bad) {
                bad_item(&r, items[i], sizeof items[i], day, i > 0, start, as_of, i == total - 1, for_loan);
                continue;
            }
            day += (int64_t)below(&r, (size_t)span);
            if (day > as_of) day = as_of;
            int64_t cents = for_loan ? principal / 20 + (int64_t)below(&r, (size_t)(principal / 20))
                                     : 1 + (int64_t)below(&r, (size_t)(principal / (2 * (total + 1))));
            char when[11], amount[32];
            format_day(day, when);
            format_units(cents, 2, amount, sizeof amount);
            snprintf(items[i], sizeof items[i], "%s %s%s", when, amount, for_loan || below(&r, 8) == 0 ? " prepay" : "");
            paid += cents;
        }
        if (total == 0) continue;   /* no payments: a plan from direct arrears, not a history */

        /* Key/value. */
        char payments[1024] = "";
        for (int i = 0; i < total; i++) {
            size_t used = strlen(payments);
            snprintf(payments + used, sizeof payments - used, "%s%s", i ? "; " : "", items[i]);
        }
        rk_request *req = NULL;
        rk_request_new(&req);
        rk_request_set(req, "principal", principal_s); rk_request_set(req, "rate", rate_s);
        rk_request_set(req, "term", term_s); rk_request_set(req, "start", start_s);
        rk_request_set(req, "method", method); rk_request_set(req, "allocation", allocation);
        rk_request_set(req, "grace_days", grace_s);
        const char *prepayment = below(&r, 2) ? "reduce-term" : "reduce-payment";
        const char *compound = below(&r, 3) == 0 ? "true" : "false";
        rk_request_set(req, "prepayment", prepayment);
        if (!for_loan) {
            rk_request_set(req, "as_of", as_of_s);
            rk_request_set(req, "compound", compound);
        }
        int utf8 = bad >= 0 && strchr(items[bad], '\xff') != NULL;   /* refused by rk_request_set itself */
        int set_rc = rk_request_set(req, "payments", payments);
        check(utf8 ? set_rc == RK_INVALID && !strcmp(rk_request_errfield(req), "payments") : set_rc == RK_OK,
              "history %ld: set payments: rc %d: %s", t, set_rc, rk_request_errmsg(req));
        rk_result *res = NULL;
        int rc = utf8 ? RK_INVALID : rk_compute(req, &res);
        char want[32];
        snprintf(want, sizeof want, "payments: item %d: ", bad + 1);
        const char *msg = rk_request_errmsg(req);
        if (bad >= 0) {
            bad_histories++;
            check(rc == RK_INVALID && !strcmp(rk_request_errfield(req), "payments") &&
                  (utf8 || strncmp(msg, want, strlen(want)) == 0),
                  "history %ld [%s]: want RK_INVALID '%s...', got rc %d: %s", t, payments, want, rc, msg);
        } else {
            check(set_rc == RK_OK && rc == RK_OK, "history %ld (%s, %s, as_of %s) [%s]: rc %d: %s", t,
                  for_loan ? "loan" : "plan", method, as_of_s, payments, rc, msg);
        }
        int64_t days = -1;
        if (res) {
            walk_result(res, 1);
            size_t n = rk_result_ledger_count(res);
            if (for_loan) {
                check(n == 0 && (size_t)count + (size_t)term >= rk_result_row_count(res), "loan with prepayments: %zu events", n);
            } else {
                /* every item is a payment or prepayment event, with its amount */
                int64_t sum = 0;
                size_t events = 0;
                for (size_t i = 0; i < n; i++) {
                    const char *kind = rk_ledger_kind(res, i);
                    int64_t v = 0;
                    if (kind && (!strcmp(kind, "payment") || !strcmp(kind, "prepayment")) &&
                        rk_ledger_amount_int64(res, i, RK_LEDGER_AMOUNT, &v) == RK_OK) { sum += v; events++; }
                }
                check(events == (size_t)count && sum == paid, "history %ld: %zu payment events for %d items, %" PRId64
                      " paid of %" PRId64, t, events, count, sum, paid);
                check(n >= (size_t)count + 1 && !strcmp(rk_ledger_date(res, n - 1), as_of_s), "history %ld: as_of event", t);
                check(rk_result_days_past_due(res, &days) == RK_OK, "history %ld: days past due", t);
            }
        }

        /* The same history through rk_run_json, as an array of strings and objects. */
        if (t % 2 == 0) {
            char *doc = NULL; size_t len = 0, cap = 0;
            appends(&doc, &len, &cap, "{\"principal\": ");
            json_string(&doc, &len, &cap, principal_s);
            appends(&doc, &len, &cap, ", \"rate\": "); json_string(&doc, &len, &cap, rate_s);
            appends(&doc, &len, &cap, ", \"term\": "); appends(&doc, &len, &cap, term_s);
            appends(&doc, &len, &cap, ", \"start\": "); json_string(&doc, &len, &cap, start_s);
            appends(&doc, &len, &cap, ", \"method\": "); json_string(&doc, &len, &cap, method);
            appends(&doc, &len, &cap, ", \"allocation\": "); json_string(&doc, &len, &cap, allocation);
            appends(&doc, &len, &cap, ", \"grace_days\": "); appends(&doc, &len, &cap, grace_s);
            appends(&doc, &len, &cap, ", \"prepayment\": "); json_string(&doc, &len, &cap, prepayment);
            if (!for_loan) {
                appends(&doc, &len, &cap, ", \"as_of\": "); json_string(&doc, &len, &cap, as_of_s);
                appends(&doc, &len, &cap, ", \"compound\": "); appends(&doc, &len, &cap, compound);
            }
            appends(&doc, &len, &cap, ", \"payments\": [");
            for (int i = 0; i < total; i++) {
                if (i) appends(&doc, &len, &cap, ", ");
                char date[64] = "", amount[64] = "", extra[16] = "", more[8] = "";
                int words = sscanf(items[i], "%63s %63s %15s %7s", date, amount, extra, more);
                /* a well-formed item (a bad one too, if its words fit an object) sometimes as an object */
                if (words >= 2 && words <= 3 && (words == 2 || !strcmp(extra, "prepay")) && !strchr(items[i], '\xff') &&
                    below(&r, 2)) {
                    appends(&doc, &len, &cap, "{\"date\": "); json_string(&doc, &len, &cap, date);
                    appends(&doc, &len, &cap, ", \"amount\": ");
                    /* a whole amount sometimes as a JSON integer: 12.00 as 12 */
                    size_t digits = strspn(amount, "0123456789");
                    if (digits && (amount[digits] == 0 || !strcmp(amount + digits, ".00")) && below(&r, 2)) {
                        amount[digits] = 0;
                        appends(&doc, &len, &cap, amount);
                    } else {
                        json_string(&doc, &len, &cap, amount);
                    }
                    if (words == 3) appends(&doc, &len, &cap, ", \"prepay\": true");
                    else if (below(&r, 3) == 0) appends(&doc, &len, &cap, ", \"prepay\": false");
                    appends(&doc, &len, &cap, "}");
                } else {
                    json_string(&doc, &len, &cap, items[i]);
                }
            }
            appends(&doc, &len, &cap, "]}");
            char *out = NULL;
            int jrc = rk_run_json(doc, len, &out, NULL);
            if (bad >= 0 && strchr(items[bad], '\xff')) {
                check(jrc == RK_FORMAT, "json history %ld: invalid UTF-8: rc %d", t, jrc);
            } else if (bad >= 0) {
                char field[64];
                snprintf(field, sizeof field, "\"message\":\"%s", want);
                check(jrc == RK_INVALID && out && strstr(out, "\"field\":\"payments\"") && strstr(out, field),
                      "json history %ld: rc %d, want %s: %s", t, jrc, want, out ? out : "(null)");
            } else if (rc == RK_OK && res) {
                char total_s[96], days_s[48];
                snprintf(total_s, sizeof total_s, "\"total_payable\":\"%s\"", rk_result_summary(res, RK_SUM_TOTAL_PAYABLE));
                snprintf(days_s, sizeof days_s, "\n\"days_past_due\":%" PRId64 ",", days);
                size_t events = 0;
                for (const char *p = out; p && (p = strstr(p, "{\"date\":")); p++) events++;
                check(jrc == RK_OK && out && strstr(out, total_s) && (for_loan || strstr(out, days_s)) &&
                      events == rk_result_ledger_count(res), "json history %ld: rc %d, %zu events: %s", t, jrc, events,
                      out ? out : "(null)");
            }
            rk_free(out); free(doc);
        }
        rk_result_free(res);
        rk_request_free(req);
    }
    return bad_histories;
}

/* ---------- fixed checks ---------- */

/* Clears a request and sets key/value pairs from a NULL-terminated list; every set must succeed. */
static void set_pairs(rk_request *req, const char *const *pairs) {
    rk_request_clear(req);
    for (; pairs[0] && pairs[1]; pairs += 2) {
        int rc = rk_request_set(req, pairs[0], pairs[1]);
        check(rc == RK_OK, "set %s=%s: rc %d: %s", pairs[0], pairs[1], rc, rk_request_errmsg(req));
    }
}

/* The loan of the README and of Excel's PMT example: 10,000.00 at 8% over 10 months, installment 1037.03. */
#define EXCEL_LOAN "principal", "10000", "rate", "8%", "term", "10", "start", "2024-03-15"

static void fixed_checks(void) {
    rk_request *req = NULL;
    rk_result *res = NULL;
    int64_t v = 0;

    /* Version and status texts. */
    check(rk_version_number() == RK_VERSION_NUMBER, "version number");
    check(strcmp(rk_version(), RK_VERSION) == 0, "version text");
    for (int s = -3; s < 20; s++) check(rk_errstr(s) != NULL && *rk_errstr(s), "rk_errstr(%d)", s);
    check(strcmp(rk_errstr(12345), "unknown status code") == 0, "rk_errstr unknown");

    /* NULL everywhere. */
    rk_free(NULL); rk_request_free(NULL); rk_result_free(NULL);
    check(rk_request_new(NULL) == RK_MISUSE, "new(NULL)");
    check(rk_request_set(NULL, "principal", "1") == RK_MISUSE, "set(NULL req)");
    check(rk_request_clear(NULL) == RK_MISUSE, "clear(NULL)");
    check(rk_request_errmsg(NULL) != NULL && rk_request_errfield(NULL) != NULL, "errmsg(NULL)");
    check(rk_request_errcode(NULL) == RK_MISUSE, "errcode(NULL)");
    check(rk_result_debt(NULL, RK_DEBT_BEFORE, RK_DEBT_TOTAL) == NULL, "debt(NULL)");
    v = 42;
    check(rk_result_days_past_due(NULL, &v) == RK_MISUSE && v == 0, "days past due(NULL)");
    check(rk_result_days_past_due(NULL, NULL) == RK_MISUSE, "days past due(NULL, NULL)");
    check(rk_result_ledger_count(NULL) == 0 && rk_ledger_date(NULL, 0) == NULL && rk_ledger_kind(NULL, 0) == NULL &&
          rk_ledger_installment(NULL, 0) == -1 && rk_ledger_days_past_due(NULL, 0) == -1 &&
          rk_ledger_amount(NULL, 0, RK_LEDGER_AMOUNT) == NULL, "ledger getters(NULL)");
    check(rk_ledger_amount_int64(NULL, 0, RK_LEDGER_AMOUNT, &v) == RK_MISUSE, "ledger int64(NULL)");
    check(strncmp(rk_errstr(RK_NODATA), "RK_NODATA", 9) == 0, "rk_errstr(RK_NODATA)");
    check(rk_result_debt_int64(NULL, RK_DEBT_BEFORE, RK_DEBT_TOTAL, &v) == RK_MISUSE, "debt int64(NULL)");
    res = (rk_result *)(uintptr_t)1;
    check(rk_compute(NULL, &res) == RK_MISUSE && res == NULL, "compute(NULL req)");
    check(rk_schedule(NULL, NULL) == RK_MISUSE && rk_plan(NULL, NULL) == RK_MISUSE, "schedule/plan(NULL)");
    check(rk_result_row_count(NULL) == 0 && rk_result_scale(NULL) == -1 && rk_result_is_plan(NULL) == 0, "result(NULL)");
    check(rk_result_id(NULL) != NULL, "id(NULL)");
    check(rk_row_period(NULL, 0) == -1 && rk_row_due_date(NULL, 0) == NULL && rk_row_kind(NULL, 0) == NULL &&
          rk_row_amount(NULL, 0, RK_ROW_PAYMENT) == NULL, "row getters(NULL)");
    check(rk_row_amount_int64(NULL, 0, RK_ROW_PAYMENT, &v) == RK_MISUSE, "row int64(NULL)");
    check(rk_result_summary(NULL, RK_SUM_APR) == NULL, "summary(NULL)");
    check(rk_result_summary_int64(NULL, RK_SUM_TOTAL_PAYABLE, &v) == RK_MISUSE, "summary int64(NULL)");
    check(rk_run_csv(NULL, 5, NULL, NULL, NULL, NULL, NULL) == RK_MISUSE, "run_csv(NULL, 5)");
    check(rk_run_csv("id\n", (size_t)-1, NULL, NULL, NULL, NULL, NULL) == RK_MISUSE, "run_csv(SIZE_MAX)");
    check(rk_run_csv(NULL, 0, NULL, NULL, NULL, NULL, NULL) == RK_FORMAT, "run_csv(empty)");
    check(rk_run_csv("id\nx\n", 5, NULL, NULL, NULL, NULL, NULL) == RK_PARTIAL, "run_csv(no outputs)");
    check(rk_run_json("{}", 2, NULL, NULL) == RK_MISUSE, "run_json(NULL out)");
    char *out = (char *)1;
    check(rk_run_json(NULL, 3, &out, NULL) == RK_MISUSE && out == NULL, "run_json(NULL, 3)");
    check(rk_run_json(NULL, 0, &out, NULL) == RK_FORMAT && out && strstr(out, "\"error\""), "run_json(empty)");
    rk_free(out);

    check(rk_request_new(&req) == RK_OK && req, "new");
    check(rk_request_errcode(req) == RK_OK, "errcode of a new request");
    check(rk_compute(req, NULL) == RK_MISUSE && *rk_request_errmsg(req), "compute(NULL out)");
    check(rk_request_errcode(req) == RK_MISUSE, "errcode after compute(NULL out)");
    check(rk_request_set(req, NULL, "1") == RK_MISUSE, "set(NULL key)");
    check(rk_request_set(req, "principal", NULL) == RK_OK, "set(NULL value) resets");

    /* Malformed keys and values. */
    check(rk_request_set(req, "principle", "1") == RK_INVALID && strstr(rk_request_errmsg(req), "principal"),
          "unknown key suggests: %s", rk_request_errmsg(req));
    check(strcmp(rk_request_errfield(req), "principle") == 0, "unknown key field");
    check(rk_request_set(req, "", "1") == RK_INVALID, "empty key");
    check(rk_request_set(req, "\xff\xfe", "1") == RK_INVALID, "invalid UTF-8 key");
    check(rk_request_set(req, "principal", "\xc3\x28") == RK_INVALID && !strcmp(rk_request_errfield(req), "principal"),
          "invalid UTF-8 value");
    check(rk_request_set(req, "principal", "\xed\xa0\x80") == RK_INVALID, "UTF-8 surrogate value");
    check(rk_request_set(req, "principal", "10000") == RK_OK && *rk_request_errmsg(req) == 0, "message cleared");
    rk_request_set(req, "rate", "abc");
    rk_request_set(req, "term", "12");
    rk_request_set(req, "start", "2024-01-15");
    check(rk_compute(req, &res) == RK_INVALID && !strcmp(rk_request_errfield(req), "rate"), "bad rate: %s",
          rk_request_errmsg(req));
    check(rk_request_errcode(req) == RK_INVALID, "errcode after a bad rate");
    check(rk_request_set(req, "term", "12") == RK_OK && rk_request_errcode(req) == RK_OK, "errcode reset by a success");
    check(rk_compute(req, &res) == RK_INVALID && rk_request_errcode(req) == RK_INVALID, "errcode again");
    check(rk_request_clear(req) == RK_OK && rk_request_errcode(req) == RK_OK, "errcode reset by clear");
    rk_request_set(req, "principal", "10000");
    rk_request_set(req, "term", "12");
    rk_request_set(req, "start", "2024-01-15");
    rk_request_set(req, "rate", "12%");
    rk_request_set(req, "term", "1201");
    check(rk_compute(req, &res) == RK_RANGE && !strcmp(rk_request_errfield(req), "term"), "term 1201: %s",
          rk_request_errmsg(req));
    check(rk_request_errcode(req) == RK_RANGE, "errcode after term 1201");
    rk_request_set(req, "term", "99999999999999999999999");
    check(rk_compute(req, &res) != RK_OK && !strcmp(rk_request_errfield(req), "term"), "huge term");
    rk_request_set(req, "term", "12");
    check(rk_plan(req, &res) == RK_INVALID && !strcmp(rk_request_errfield(req), "as_of"), "plan without as_of");
    check(rk_schedule(req, &res) == RK_OK, "schedule: %s", rk_request_errmsg(req));
    check(rk_result_row_count(res) == 12 && !strcmp(rk_result_id(res), "loan") && rk_result_is_plan(res) == 0,
          "schedule shape");
    check(!strcmp(rk_result_summary(res, RK_SUM_TOTAL_PAYABLE), "10661.86"), "classic total payable");
    check(rk_result_summary_int64(res, RK_SUM_TOTAL_PAYABLE, &v) == RK_OK && v == 1066186, "total payable int64");
    walk_result(res, 1);
    rk_result_free(res);
    rk_request_set(req, "as_of", "2024-06-20");
    check(rk_schedule(req, &res) == RK_INVALID && !strcmp(rk_request_errfield(req), "as_of"), "schedule with as_of");
    check(rk_plan(req, &res) == RK_OK && rk_result_is_plan(res) == 1 && !strcmp(rk_result_id(res), "plan"),
          "payoff quote: %s", rk_request_errmsg(req));
    walk_result(res, 1);
    rk_result_free(res);

    /* Huge amounts: 10^40 works, as text; int64 says RK_RANGE. */
    rk_request_clear(req);
    rk_request_set(req, "principal", "10000000000000000000000000000000000000000");
    rk_request_set(req, "rate", "0.12");
    rk_request_set(req, "term", "12");
    rk_request_set(req, "start", "2024-01-15");
    check(rk_compute(req, &res) == RK_OK, "10^40: %s", rk_request_errmsg(req));
    if (res) {
        const char *p = rk_row_amount(res, 11, RK_ROW_PRINCIPAL);
        check(p && strlen(p) > 40, "10^40 row amount text %s", p ? p : "(null)");
        v = 42;
        check(rk_row_amount_int64(res, 0, RK_ROW_PAYMENT, &v) == RK_RANGE && v == 0, "10^40 row int64 RK_RANGE");
        check(rk_result_summary_int64(res, RK_SUM_TOTAL_PAYABLE, &v) == RK_RANGE, "10^40 total int64 RK_RANGE");
        check(rk_row_amount_int64(res, 11, RK_ROW_BALANCE, &v) == RK_OK && v == 0, "10^40 final balance 0");
        const char *total = rk_result_summary(res, RK_SUM_TOTAL_PAYABLE);
        check(total && strncmp(total, "10661", 5) == 0 && strlen(total) == 44, "10^40 total %s", total ? total : "");
        walk_result(res, 1);
        rk_result_free(res);
    }
    /* The int64 boundary: INT64_MAX minor units fit, one more does not. */
    rk_request_clear(req);
    rk_request_set(req, "principal", "92233720368547758.07");
    rk_request_set(req, "rate", "0");
    rk_request_set(req, "term", "1");
    rk_request_set(req, "start", "2024-01-15");
    check(rk_compute(req, &res) == RK_OK, "INT64_MAX principal: %s", rk_request_errmsg(req));
    check(rk_row_amount_int64(res, 0, RK_ROW_PAYMENT, &v) == RK_OK && v == INT64_MAX, "INT64_MAX fits");
    rk_result_free(res);
    rk_request_set(req, "principal", "92233720368547758.08");
    check(rk_compute(req, &res) == RK_OK, "INT64_MAX+1 principal");
    check(rk_row_amount_int64(res, 0, RK_ROW_PAYMENT, &v) == RK_RANGE, "INT64_MAX+1 RK_RANGE");
    check(!strcmp(rk_row_amount(res, 0, RK_ROW_PAYMENT), "92233720368547758.08"), "INT64_MAX+1 text");
    rk_result_free(res);

    /* A long value and a long key. */
    static char longv[100001];
    memset(longv, '9', sizeof longv - 1);
    longv[sizeof longv - 1] = 0;
    check(rk_request_set(req, longv, "1") == RK_INVALID, "long key");
    rk_request_set(req, "principal", "1");
    rk_request_set(req, "term", longv);
    check(rk_compute(req, &res) != RK_OK && !strcmp(rk_request_errfield(req), "term"), "100000-digit term");
    /* Payments (SPEC §9.2), the worked example of the README: installment 1 (1037.03 due 2024-04-15) paid
       half on time and half 5 days late; penalty round(518.51 x 12% x 5 / 360) = 0.86 owed on 04-20,
       accrued interest on 04-25 round(9029.64 x 8% x 10 / 360) = 20.07, nothing overdue. */
    set_pairs(req, (const char *const[]){ EXCEL_LOAN, "as_of", "2024-04-25",
                                          "payments", "2024-04-15 518.52; 2024-04-20 519.37", "allocation", "installment",
                                          "grace_days", "0", "prepayment", "reduce-term", NULL });
    res = NULL;
    check(rk_plan(req, &res) == RK_OK, "plan with payments: %s", rk_request_errmsg(req));
    if (res) {
        static const char *KINDS[] = { "due", "payment", "penalty", "payment", "as_of" };
        check(rk_result_ledger_count(res) == 5, "ledger: %zu events", rk_result_ledger_count(res));
        for (size_t i = 0; i < 5; i++) {
            const char *kind = rk_ledger_kind(res, i);
            check(kind && !strcmp(kind, KINDS[i]), "ledger %zu: kind %s, want %s", i, kind ? kind : "(null)", KINDS[i]);
        }
        check(rk_ledger_amount_int64(res, 2, RK_LEDGER_PENALTY, &v) == RK_OK && v == 86, "penalty 0.86");
        check(!strcmp(rk_ledger_date(res, 2), "2024-04-20") && rk_ledger_installment(res, 2) == 1 &&
              rk_ledger_days_past_due(res, 2) == 5, "penalty of installment 1 on 04-20, 5 days past due");
        check(rk_ledger_amount_int64(res, 3, RK_LEDGER_PRINCIPAL, &v) == RK_OK && v == 51851, "518.51 principal paid late");
        check(rk_ledger_amount_int64(res, 4, RK_LEDGER_OVERDUE, &v) == RK_OK && v == 0, "nothing overdue on as_of");
        check(rk_result_debt_int64(res, RK_DEBT_BEFORE, RK_DEBT_ACCRUED_INTEREST, &v) == RK_OK && v == 2007, "accrued 20.07");
        v = -1;
        check(rk_result_days_past_due(res, &v) == RK_OK && v == 0, "days past due 0");
        check(rk_ledger_amount(res, 0, RK_ROW_PAYMENT) == NULL && rk_ledger_amount(res, 0, RK_LEDGER_BALANCE + 1) == NULL,
              "ledger amount with a row selector");
        check(rk_ledger_amount_int64(res, 0, RK_LEDGER_AMOUNT, NULL) == RK_MISUSE, "ledger int64 NULL out");
        walk_result(res, 1);
        rk_result_free(res);
    }
    /* The same plan from paid_through has days past due but no ledger; from direct arrears, neither. */
    rk_request_set(req, "payments", NULL);
    rk_request_set(req, "as_of", "2024-06-20");
    rk_request_set(req, "paid_through", "1");
    res = NULL;
    check(rk_plan(req, &res) == RK_OK && rk_result_ledger_count(res) == 0, "paid_through: %s", rk_request_errmsg(req));
    check(rk_result_days_past_due(res, &v) == RK_OK && v == 36, "paid_through 1: 36 days past due (05-15 -> 06-20)");
    rk_result_free(res);
    set_pairs(req, (const char *const[]){ "as_of", "2024-06-20", "overdue_principal", "100", NULL });
    res = NULL;
    v = 42;
    check(rk_plan(req, &res) == RK_OK && rk_result_days_past_due(res, &v) == RK_NODATA && v == 0 &&
          rk_result_ledger_count(res) == 0, "direct arrears: RK_NODATA");
    rk_result_free(res);
    /* A loan with a prepayment (SPEC §9.1): a prepay row; no days past due, no ledger. */
    set_pairs(req, (const char *const[]){ EXCEL_LOAN, "payments", "2024-06-01 3000 prepay", NULL });
    res = NULL;
    check(rk_schedule(req, &res) == RK_OK, "loan with a prepayment: %s", rk_request_errmsg(req));
    check(rk_row_kind(res, 2) && !strcmp(rk_row_kind(res, 2), "prepay") && rk_row_period(res, 2) == 3, "prepay row");
    check(rk_result_days_past_due(res, &v) == RK_MISUSE && rk_result_ledger_count(res) == 0, "a loan: no days past due");
    rk_result_free(res);
    rk_request_set(req, "payments", "2024-06-01 3000");
    check(rk_schedule(req, &res) == RK_INVALID && !strcmp(rk_request_errfield(req), "payments") &&
          !strncmp(rk_request_errmsg(req), "payments: item 1: ", 18), "a loan's plain item: %s", rk_request_errmsg(req));
    rk_request_free(req);

    /* JSON payments: an array of text items and objects; bad elements are named by their number. */
    static const struct { const char *payments; int rc; const char *fragment; } JSON_PAYMENTS[] = {
        { "[\"2024-04-15 518.52\", {\"date\": \"2024-04-20\", \"amount\": \"519.37\"}]", RK_OK, "\"amount\":\"0.86\"" },
        { "\"2024-04-15 518.52; 2024-04-20 519.37\"", RK_OK, "\"days_past_due\":0" },
        { "[{\"date\": \"2024-04-15\", \"amount\": 1037, \"prepay\": false}]", RK_OK, "\"amount\":\"1037.00\"" },
        { "[{\"amount\": \"5000\", \"date\": \"2024-04-20\", \"prepay\": true}]", RK_OK, "\"kind\":\"prepayment\"" },
        { "[]", RK_OK, "\"days_past_due\":null" },   /* no payments: the arrears are given directly */
        { "[\"2024-04-15 518.52\", {\"date\": \"2024-04-20\", \"amount\": 519.37}]", RK_INVALID,
          "payments: item 2: amount 519.37 is a JSON number with a fraction" },
        { "[{\"date\": \"2024-04-20\", \"amount\": 5e2}]", RK_INVALID, "payments: item 1: amount 5e2 is a JSON number" },
        { "[\"2024-04-15 5\", \"2024-04-16 5; 2024-04-17 5\"]", RK_INVALID, "payments: item 2: " },
        { "[\"2024-04-15 5\", \"\"]", RK_INVALID, "payments: item 2: empty" },
        { "[\"2024-04-15 5\", 7]", RK_INVALID, "payments: item 2: must be a string" },
        { "[[\"2024-04-15 5\"]]", RK_INVALID, "payments: item 1: must be a string" },
        { "[{\"date\": \"2024-04-15\"}]", RK_INVALID, "payments: item 1: no \\\"amount\\\"" },
        { "[{\"amount\": \"5\"}]", RK_INVALID, "payments: item 1: no \\\"date\\\"" },
        { "[{\"date\": \"2024-04-15\", \"amount\": \"5\", \"amount\": \"6\"}]", RK_INVALID, "payments: item 1: duplicate" },
        { "[{\"date\": \"2024-04-15\", \"amount\": \"5\", \"note\": \"x\"}]", RK_INVALID, "payments: item 1: unknown member 'note'" },
        { "[{\"date\": \"2024-04-15\", \"amount\": \"5\", \"prepay\": \"yes\"}]", RK_INVALID, "payments: item 1: prepay must be" },
        { "[{\"date\": 20240415, \"amount\": \"5\"}]", RK_INVALID, "payments: item 1: date must be a string" },
        { "[{\"date\": \"2024-04-15 5\", \"amount\": \"prepay\"}]", RK_INVALID, "payments: item 1: date '2024-04-15 5'" },
        { "[{\"date\": \"2024-04-15\", \"amount\": \"5;2024-04-16 5\"}]", RK_INVALID, "payments: item 1: amount" },
        { "[{\"date\": \"2024-04-15\", \"amount\": true}]", RK_INVALID, "payments: item 1: amount must be" },
        { "[\"2024-04-15 5\", {\"date\": \"2024-04-31\", \"amount\": \"5\"}]", RK_INVALID, "payments: item 2: \\\"2024-04-31 5\\\": no such date" },
        { "[\"2024-04-15 5\", {\"date\": \"2024-04-01\", \"amount\": \"5\"}]", RK_INVALID, "payments: item 2: " },
        { "[\"2024-04-15 5\", \"2024-04-26 5\"]", RK_INVALID, "payments: item 2: \\\"2024-04-26 5.00\\\": after as_of" },
        { "[{\"date\": \"2024-04-15\", \"amount\": -5}]", RK_INVALID, "payments: item 1: " },
        { "{\"date\": \"2024-04-15\", \"amount\": \"5\"}", RK_INVALID, "payments: must be an array" },
    };
    for (size_t i = 0; i < sizeof JSON_PAYMENTS / sizeof JSON_PAYMENTS[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc, "{\"principal\": \"10000\", \"rate\": \"8%%\", \"term\": 10, \"start\": \"2024-03-15\", "
                 "\"as_of\": \"2024-04-25\", \"payments\": %s}", JSON_PAYMENTS[i].payments);
        char *o = NULL;
        int rc = rk_run_json(doc, strlen(doc), &o, NULL);
        check(rc == JSON_PAYMENTS[i].rc && o && strstr(o, JSON_PAYMENTS[i].fragment) &&
              (rc == RK_OK || strstr(o, "\"field\":\"payments\"")),
              "json payments %zu: rc %d, want %d and %s: %s", i, rc, JSON_PAYMENTS[i].rc, JSON_PAYMENTS[i].fragment,
              o ? o : "(null)");
        rk_free(o);
    }

    /* JSON edge cases. */
    static const char *JSON_DOCS[] = {
        "", " ", "{", "}", "[", "[{}", "{\"principal\":}", "{\"principal\" 1}", "nul", "tru", "\"x\"", "42", "null",
        "{\"principal\":01}", "{\"principal\":1.}", "{\"principal\":-}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\xff\"}", "{\"principal\":\"1\",\"principal\":\"2\"}", "{\"principal\":{\"x\":1}}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]",
        "{\"principal\": 1e400, \"rate\": 0.12, \"term\": 12, \"start\": \"2024-01-15\"}",
        "{\"principal\": 10000000000000000000000000000000000000000, \"rate\": \"12%\", \"term\": 12, \"start\": \"2024-01-15\"}",
        "[]", "[1,2]", "{\"\":1}", "{\"id\":\"a\\u0000b\",\"principal\":1,\"rate\":0,\"term\":1,\"start\":\"2024-01-15\"}",
        "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof JSON_DOCS / sizeof JSON_DOCS[0]; i++) {
        char *o = NULL;
        size_t ol = 0;
        int rc = rk_run_json(JSON_DOCS[i], strlen(JSON_DOCS[i]), &o, &ol);
        check(rc >= RK_OK && rc <= RK_PARTIAL && rc != RK_MISUSE && o && ol == strlen(o), "json doc %zu: rc %d", i, rc);
        rk_free(o);
    }
    char *o = NULL;
    const char *big = "{\"principal\": 10000000000000000000000000000000000000000, \"rate\": \"12%\", \"term\": 12, "
                      "\"start\": \"2024-01-15\"}";
    int big_rc = rk_run_json(big, strlen(big), &o, NULL);
    check(big_rc == RK_OK && o && strstr(o, "\"total_payable\":\"10661854641401004880798539747346383477653.84\""),
          "json 10^40: rc %d, %s", big_rc, o ? o : "(null)");
    check(o && !strstr(o, "\"debt\""), "json: a loan has no debt member");
    rk_free(o);
    /* A plan's JSON result carries its debt breakdown, the same amounts as rk_result_debt(). */
    const char *plan_doc = "{\"principal\": \"10000\", \"rate\": \"12%\", \"term\": 12, \"start\": \"2024-01-15\", "
                           "\"as_of\": \"2024-06-20\", \"paid_through\": 3, \"waive_penalty\": \"100%\", "
                           "\"waive_interest\": \"150.00\", \"installments\": 6}";
    o = NULL;
    int plan_rc = rk_run_json(plan_doc, strlen(plan_doc), &o, NULL);
    check(plan_rc == RK_OK && o &&
          strstr(o, ",\n\"debt\":{\"before\":{\"principal\":\"5977.91\",\"overdue_principal\":\"1632.89\","
                    "\"overdue_interest\":\"144.09\",\"accrued_interest\":\"9.96\",\"penalty\":\"16.67\","
                    "\"fees\":\"0.00\",\"total\":\"7781.52\"},"
                    "\"waived\":{\"principal\":\"0.00\",\"overdue_principal\":\"0.00\",\"overdue_interest\":\"144.09\","
                    "\"accrued_interest\":\"5.91\",\"penalty\":\"16.67\",\"fees\":\"0.00\",\"total\":\"166.67\"},"
                    "\"after\":{\"principal\":\"5977.91\",\"overdue_principal\":\"1632.89\",\"overdue_interest\":\"0.00\","
                    "\"accrued_interest\":\"4.05\",\"penalty\":\"0.00\",\"fees\":\"0.00\",\"total\":\"7614.85\"}},\n"
                    "\"days_past_due\":36}"),
          "json plan debt: rc %d, %s", plan_rc, o ? o : "(null)");
    rk_free(o);
}

/* ---------- limits (repaykernel.h, "Limits") ---------- */

/* A malloc'd string of n copies of c (NUL-terminated). */
static char *repeated(char c, size_t n) {
    char *s = malloc(n + 1);
    if (!s) { fprintf(stderr, "out of memory\n"); exit(2); }
    memset(s, c, n);
    s[n] = 0;
    return s;
}

/* rk_compute on a loan with one key replaced; returns the status, the field at fault in field. */
static int loan_with(const char *key, const char *value, char *field, size_t cap, size_t *rows) {
    rk_request *req = NULL;
    rk_result *res = NULL;
    rk_request_new(&req);
    rk_request_set(req, "principal", "10000");
    rk_request_set(req, "rate", "12%");
    rk_request_set(req, "term", "12");
    rk_request_set(req, "start", "2024-01-15");
    int rc = rk_request_set(req, key, value);
    if (rc == RK_OK) rc = rk_compute(req, &res);
    snprintf(field, cap, "%s", rk_request_errfield(req));
    if (rows) *rows = rk_result_row_count(res);
    rk_result_free(res);
    rk_request_free(req);
    return rc;
}

/* One rk_run_json call; returns its status and keeps the result text in *out (release with rk_free). */
static int json(const char *doc, size_t len, char **out) {
    *out = NULL;
    size_t n = 0;
    int rc = rk_run_json(doc, len, out, &n);
    check(rc == RK_MISUSE || (*out && n == strlen(*out)), "json result length");
    return rc;
}

static void limit_checks(int heavy) {
    char field[64];
    size_t rows = 0;
    char *o = NULL;
    int rc;

    /* A value of RK_MAX_VALUE_BYTES is kept; one byte more is RK_RANGE naming the key, in rk_request_set. */
    char *v = repeated('x', RK_MAX_VALUE_BYTES);
    rk_request *req = NULL;
    rk_result *res = NULL;
    rk_request_new(&req);
    check(rk_request_set(req, "id", v) == RK_OK, "id of RK_MAX_VALUE_BYTES: %s", rk_request_errmsg(req));
    rk_request_set(req, "principal", "10000");
    rk_request_set(req, "rate", "12%");
    rk_request_set(req, "term", "12");
    rk_request_set(req, "start", "2024-01-15");
    check(rk_compute(req, &res) == RK_OK && strlen(rk_result_id(res)) == RK_MAX_VALUE_BYTES, "long id computed");
    rk_result_free(res);
    free(v);
    v = repeated('7', RK_MAX_VALUE_BYTES + 1);
    check(rk_request_set(req, "principal", v) == RK_RANGE && !strcmp(rk_request_errfield(req), "principal") &&
          strstr(rk_request_errmsg(req), "RK_MAX_VALUE_BYTES") && rk_request_errcode(req) == RK_RANGE,
          "value of RK_MAX_VALUE_BYTES + 1: %s", rk_request_errmsg(req));
    rk_request_free(req);
    free(v);
    /* A key of 100 MB is looked at up to its 20th byte or so. */
    char *key = repeated('k', 100u << 20);
    rk_request_new(&req);
    clock_t t = clock();
    check(rk_request_set(req, key, "1") == RK_INVALID && !strcmp(rk_request_errfield(req), "key"), "100 MB key");
    check(!heavy || (double)(clock() - t) / CLOCKS_PER_SEC < 0.5, "a 100 MB key is refused without reading it");
    rk_request_free(req);
    free(key);

    /* Amount digits: RK_MAX_AMOUNT_DIGITS before the point work (leading zeros not counted), one more is RK_RANGE. */
    char *amount = repeated('9', RK_MAX_AMOUNT_DIGITS);
    check(loan_with("principal", amount, field, sizeof field, &rows) == RK_OK && rows == 12, "1000-digit principal");
    free(amount);
    amount = repeated('9', RK_MAX_AMOUNT_DIGITS + 1);
    check(loan_with("principal", amount, field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "principal"),
          "1001-digit principal: %s", field);
    memset(amount, '0', 2);   /* leading zeros do not count */
    check(loan_with("principal", amount, field, sizeof field, NULL) == RK_OK, "1001 digits with a leading zero");
    free(amount);
    /* The 1 MB principal (GMP aborted the process under a 2 GB limit): RK_RANGE at once. */
    amount = repeated('1', RK_MAX_VALUE_BYTES - 1);
    t = clock();
    check(loan_with("principal", amount, field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "principal"), "1 MB principal");
    check(!heavy || (double)(clock() - t) / CLOCKS_PER_SEC < 2, "1 MB principal refused quickly");
    free(amount);

    /* Rates: RK_MAX_RATE_DECIMALS decimals and RK_MAX_RATE_DIGITS digits before the point. */
    char rate[RK_MAX_RATE_DECIMALS + 8];
    memset(rate, '1', sizeof rate);
    rate[0] = '0'; rate[1] = '.';
    rate[2 + RK_MAX_RATE_DECIMALS] = 0;
    check(loan_with("rate", rate, field, sizeof field, &rows) == RK_OK, "rate with 100 decimals");
    rate[2 + RK_MAX_RATE_DECIMALS] = '1'; rate[3 + RK_MAX_RATE_DECIMALS] = 0;
    check(loan_with("rate", rate, field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "rate"), "rate with 101 decimals");
    char *digits = repeated('5', RK_MAX_RATE_DIGITS + 1);
    check(loan_with("rate", digits, field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "rate"),
          "rate with 101 digits: %s", field);
    digits[RK_MAX_RATE_DIGITS] = 0;
    check(loan_with("rate", digits, field, sizeof field, &rows) == RK_OK && rows == 12, "rate with 100 digits");
    free(digits);
    /* The rate with a million decimals (75 s, 3.5 GB at term 1200): refused at once. */
    char *million = repeated('3', 1000002);
    million[0] = '0'; million[1] = '.';
    rk_request_new(&req);
    rk_request_set(req, "principal", "10000");
    rk_request_set(req, "term", "1200");
    rk_request_set(req, "start", "2024-01-15");
    t = clock();
    check(rk_request_set(req, "rate", million) == RK_OK && rk_compute(req, &res) == RK_RANGE &&
          !strcmp(rk_request_errfield(req), "rate") && strstr(rk_request_errmsg(req), "decimals"),
          "rate with 10^6 decimals: %s", rk_request_errmsg(req));
    check(!heavy || (double)(clock() - t) / CLOCKS_PER_SEC < 2, "rate with 10^6 decimals refused quickly");
    rk_request_free(req);
    free(million);

    /* Terms and counts: RK_MAX_TERM; leading zeros are fine. */
    check(loan_with("term", "0000000000000000000012", field, sizeof field, &rows) == RK_OK && rows == 12, "term with leading zeros");
    char term[16];
    snprintf(term, sizeof term, "%d", RK_MAX_TERM + 1);
    check(loan_with("term", term, field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "term"), "term RK_MAX_TERM + 1");
    snprintf(term, sizeof term, "%d", RK_MAX_TERM);
    check(loan_with("term", term, field, sizeof field, &rows) == RK_OK && rows == RK_MAX_TERM, "term RK_MAX_TERM");
    check(loan_with("term", "1234567890123456", field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "term"), "16-digit term");
    const char *plan = "{\"as_of\":\"2024-06-20\",\"principal\":\"100\",\"defer_months\":1201}";
    rc = json(plan, strlen(plan), &o);
    check(rc == RK_RANGE && strstr(o, "\"field\":\"defer_months\""), "defer_months 1201: %s", o);
    rk_free(o);

    /* Payments: RK_MAX_PAYMENTS items, one more is RK_RANGE. */
    size_t cap = (RK_MAX_PAYMENTS + 1) * 24 + 1, len = 0;
    char *items = malloc(cap);
    for (int i = 0; i <= RK_MAX_PAYMENTS; i++) len += (size_t)snprintf(items + len, cap - len, "2024-02-20 1 prepay; ");
    check(loan_with("payments", items, field, sizeof field, NULL) == RK_RANGE && !strcmp(field, "payments"),
          "payments RK_MAX_PAYMENTS + 1: %s", field);
    free(items);

    /* rk_run_json: document size (checked before reading), depth, members, elements, values. */
    char *doc = repeated(' ', (size_t)RK_MAX_JSON_BYTES + 1);
    rc = json(doc, (size_t)RK_MAX_JSON_BYTES + 1, &o);
    check(rc == RK_RANGE && strstr(o, "\"field\":\"input\"") && strstr(o, "RK_MAX_JSON_BYTES"), "document too large: %s", o);
    rk_free(o);
    check(rk_run_json(NULL, (size_t)RK_MAX_JSON_BYTES + 1, &o, NULL) == RK_MISUSE && o == NULL, "NULL document too large");
    free(doc);
    size_t n = 0;
    doc = malloc(4u << 20);
    for (int i = 0; i <= RK_MAX_JSON_DEPTH; i++) doc[n++] = '[';
    for (int i = 0; i <= RK_MAX_JSON_DEPTH; i++) doc[n++] = ']';
    rc = json(doc, n, &o);
    check(rc == RK_FORMAT && strstr(o, "RK_MAX_JSON_DEPTH"), "depth: %s", o);
    rk_free(o);
    n = 0;
    doc[n++] = '{';
    for (int i = 0; i <= RK_MAX_JSON_MEMBERS; i++) n += (size_t)sprintf(doc + n, "%s\"k%d\":0", i ? "," : "", i);
    doc[n++] = '}';
    rc = json(doc, n, &o);
    check(rc == RK_FORMAT && strstr(o, "RK_MAX_JSON_MEMBERS"), "members: %s", o);
    rk_free(o);
    n = 0;
    doc[n++] = '[';
    for (int i = 0; i <= RK_MAX_JSON_ITEMS; i++) { if (i) doc[n++] = ','; doc[n++] = '0'; }
    doc[n++] = ']';
    rc = json(doc, n, &o);
    check(rc == RK_FORMAT && strstr(o, "RK_MAX_JSON_ITEMS"), "elements: %s", o);
    rk_free(o);
    n = 0;
    doc[n++] = '[';
    for (int a = 0; a <= RK_MAX_JSON_VALUES / RK_MAX_JSON_ITEMS; a++) {
        doc[n++] = a ? ',' : '[';
        if (a) doc[n++] = '[';
        for (int i = 0; i < RK_MAX_JSON_ITEMS; i++) { if (i) doc[n++] = ','; doc[n++] = '0'; }
        doc[n++] = ']';
    }
    doc[n++] = ']';
    rc = json(doc, n, &o);
    check(rc == RK_FORMAT && strstr(o, "RK_MAX_JSON_VALUES"), "values: %s", o ? o : "");
    rk_free(o);
    /* A value above RK_MAX_VALUE_BYTES fails its own request only. */
    n = (size_t)sprintf(doc, "[{\"id\":\"");
    memset(doc + n, 'x', RK_MAX_VALUE_BYTES + 1);
    n += RK_MAX_VALUE_BYTES + 1;
    n += (size_t)sprintf(doc + n, "\"},{\"principal\":\"1\",\"rate\":0,\"term\":1,\"start\":\"2024-01-15\"}]");
    rc = json(doc, n, &o);
    check(rc == RK_PARTIAL && strstr(o, "\"name\":\"RK_RANGE\",\"field\":\"id\"") && strstr(o, "\"status\":\"ok\""),
          "JSON value too long: rc %d", rc);
    rk_free(o);
    free(doc);

    /* The result: 16 requests of 1200 rows with 1000-digit amounts (~4.8 MB each) pass RK_MAX_RESULT_BYTES. */
    if (heavy) {
        size_t per = RK_MAX_AMOUNT_DIGITS + 80, count = 16;
        doc = malloc(count * per + 8);
        n = 0;
        doc[n++] = '[';
        for (size_t i = 0; i < count; i++) {
            n += (size_t)sprintf(doc + n, "%s{\"principal\":\"", i ? "," : "");
            memset(doc + n, '9', RK_MAX_AMOUNT_DIGITS);
            n += RK_MAX_AMOUNT_DIGITS;
            n += (size_t)sprintf(doc + n, "\",\"rate\":\"12%%\",\"term\":1200,\"start\":\"2024-01-15\"}");
        }
        doc[n++] = ']';
        rc = json(doc, n, &o);
        check(rc == RK_RANGE && strstr(o, "\"field\":\"result\"") && strstr(o, "RK_MAX_RESULT_BYTES") && strlen(o) < 1000,
              "result too large: rc %d", rc);
        rk_free(o);
        /* The same requests one by one are fine. */
        doc[n - 1] = 0;
        char *first = strchr(doc, '{'), *end = strchr(first, '}');
        rc = json(first, (size_t)(end - first + 1), &o);
        check(rc == RK_OK && strlen(o) > 4000000 && strlen(o) < (size_t)RK_MAX_RESULT_BYTES, "one big request: rc %d", rc);
        rk_free(o);
        free(doc);
    }
}

/* ---------- threads ---------- */

static int thread_requests = 1500;
typedef struct { uint64_t seed; uint64_t hash; } thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    rng_t r = { a->seed };
    request_t q;
    uint64_t h = 0;
    for (int i = 0; i < thread_requests; i++) {
        int st;
        random_request(&r, &q);
        h = h * 31 + run_request(&q, 0, &st);
        if (i % 50 == 0) {
            char *s = NULL, *m = NULL;
            rk_run_csv("id,principal,rate,term,start\na,10000,0.12,12,2024-01-15\n", 53, &s, NULL, &m, NULL, NULL);
            h = fnv(h, s); h = fnv(h, m);
            rk_free(s); rk_free(m);
        }
    }
    a->hash = h;
    return NULL;
}

int main(int argc, char **argv) {
    long random_requests = argc > 1 ? atol(argv[1]) : 100000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (seed == 0) seed = 1;
    if (argc > 3) thread_requests = atoi(argv[3]);
    clock_t t0 = clock();

    fixed_checks();
    /* The result-size check builds ~70 MB of output, and CPU times are checked: not in the short runs (valgrind). */
    limit_checks(random_requests >= 10000);
    long fixed_failures = failures;
    long payment_loans = random_requests / 20 < 300 ? 300 : random_requests / 20;
    long bad_histories = payments_checks(payment_loans, seed);

    rng_t r = { seed * 0x9E3779B97F4A7C15ULL | 1 };
    request_t q;
    long ok = 0, invalid = 0, range = 0, csv_docs = 0, json_docs = 0;
    for (long i = 0; i < random_requests; i++) {
        random_request(&r, &q);
        int st;
        run_request(&q, 1, &st);
        if (st == RK_OK) ok++; else if (st == RK_INVALID) invalid++; else if (st == RK_RANGE) range++;
        if (i % 8 == 0) { run_csv_doc(&r, &q, 1 + (int)below(&r, 3)); csv_docs++; }
        if (i % 8 == 4) { run_json_doc(&r, &q); json_docs++; }
    }

    /* The same requests on 4 threads at once must give the same answers as on one. */
    enum { THREADS = 4 };
    thread_arg args[THREADS];
    pthread_t tid[THREADS];
    thread_arg serial = { 12345, 0 };
    thread_main(&serial);
    for (int t = 0; t < THREADS; t++) {
        args[t].seed = 12345; args[t].hash = 0;
        check(pthread_create(&tid[t], NULL, thread_main, &args[t]) == 0, "pthread_create");
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tid[t], NULL);
        check(args[t].hash == serial.hash, "thread %d: results differ from the serial run", t);
    }

    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("robustness: %ld checks, %ld failed (%ld in fixed checks); %ld random requests (%ld ok, %ld RK_INVALID, "
           "%ld RK_RANGE) + %ld CSV and %ld JSON documents + %d threads x %d requests; "
           "%ld payment histories (%ld with a bad item); %.1f s CPU\n",
           checks, failures, fixed_failures, random_requests, ok, invalid, range, csv_docs, json_docs, THREADS,
           thread_requests, payment_loans, bad_histories, secs);
    return failures == 0 ? 0 : 1;
}
