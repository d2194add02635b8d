/*
 * repaykernel.h -- the C API of RepaymentKernel, an exact repayment-schedule
 * kernel (loan schedules, arrears, negotiated repayment plans, APR).
 *
 * This header is hand-written and is the single source of truth of the ABI:
 * the Swift implementation (Sources/RepayKernelC) declares every function
 * with `@c @implementation`, so the Swift compiler checks each signature
 * against this file. The calculations are those of SPEC.md; every amount is
 * exact (GMP rationals inside) and no `double` appears anywhere in this ABI.
 *
 * BUILD AND LINK (from the package root; the paths are those of a Linux
 * toolchain installed at /opt/swift -- substitute $(dirname $(which swift))/..)
 *
 *   swift build -c release
 *
 * Shared library (.build/release/librepaykernel.so; it carries a RUNPATH to
 * the Swift runtime, so only its own directory needs an rpath):
 *
 *   gcc -std=c11 -ISources/CRepayKernel/include app.c \
 *       -L.build/release -lrepaykernel -Wl,-rpath,$PWD/.build/release -o app
 *
 * Static library (.build/release/librepaykernel-static.a). It holds the
 * kernel's objects but not the Swift runtime, which comes from the
 * toolchain's shared libraries. The toolchain's swiftrt.o MUST be linked
 * too: without it the Swift runtime's metadata lookups silently fail.
 *
 *   gcc -std=c11 -ISources/CRepayKernel/include app.c \
 *       .build/release/librepaykernel-static.a \
 *       /opt/swift/usr/lib/swift/linux/x86_64/swiftrt.o \
 *       -L/opt/swift/usr/lib/swift/linux \
 *       -lswiftCore -lswift_Concurrency -lswiftGlibc -lswiftDispatch -ldispatch \
 *       -lgmp -lm -lpthread \
 *       -Wl,-rpath,/opt/swift/usr/lib/swift/linux -o app
 *
 * Python: the package in bindings/python (repaykernel) loads librepaykernel.so with ctypes.
 *
 * CONVENTIONS (read once, they hold for every function below)
 *
 * - Every function that can fail returns an `int` status code (RK_OK = 0 on
 *   success; the codes are pinned below and never renumbered). rk_errstr()
 *   describes a code in English.
 * - Handles (rk_request, rk_result) are opaque. Each has one owner, who
 *   releases it with its rk_*_free() function; rk_*_free(NULL) is a no-op.
 *   Using a handle after freeing it is undefined behaviour (as in C).
 * - A NULL handle or a NULL output pointer where one is required is reported
 *   as RK_MISUSE, never a crash. Strings passed in are NUL-terminated UTF-8;
 *   bytes that are not valid UTF-8 are rejected with RK_INVALID.
 * - A failing rk_request_* / rk_compute call records its failure on its
 *   request handle: rk_request_errcode() (the status it returned),
 *   rk_request_errmsg() ("field: problem", the same words as `repay batch`
 *   uses) and rk_request_errfield() (the key at fault).
 * - Amounts come out two ways: as decimal strings with exactly `scale`
 *   decimals ("10000.00", any magnitude, never rounded), and as int64_t
 *   counts of the minor unit (cents at scale 2), which return RK_RANGE when
 *   the amount does not fit (a principal of 10^40 works as a string).
 * - Strings returned as `const char *` are owned by the handle they came
 *   from and stay valid until that handle is freed (or, for error messages,
 *   until the next call on it). Strings returned through `char **` are owned
 *   by the caller and must be released with rk_free().
 * - No input can kill the host process: no Swift trap, no GMP abort, no
 *   assertion. Bad input gets a status code and a message naming the field.
 *
 * THREAD SAFETY
 *
 * The library keeps no global mutable state. Independent handles may be used
 * on different threads at the same time. One rk_request must not be used by
 * two threads at once (it records error messages). An rk_result is
 * immutable once rk_compute() has returned it: any number of threads may
 * read it concurrently. rk_run_csv() and rk_run_json() are fully reentrant.
 *
 * WHY KEY/VALUE PAIRS AND NOT A STRUCT OF TERMS
 *
 * A request is built with rk_request_set(req, "principal", "10000") using
 * the column names and cell syntax of the batch CSV contract (SPEC §7):
 *  1. It is the same validated path as `repay batch` and the CLI: the same
 *     parser checks each cell, so the C API accepts exactly what a CSV row
 *     accepts, rejects what it rejects, and reports the same messages.
 *  2. Values stay exact: "10000.50" and "14.4%" are decimal text; a struct
 *     would need doubles (forbidden here) or a decimal encoding of its own.
 *  3. It stays ABI-stable: a column added to the contract later is a new
 *     key, not a new struct layout, so old binaries keep working.
 */
#ifndef REPAYKERNEL_H
#define REPAYKERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */

/**
 * The version of this header, as text and as MAJOR*1000000 + MINOR*1000 + PATCH.
 * 1.1.0 added rk_request_errcode(), rk_result_debt(), rk_result_debt_int64()
 * and the "debt" member of rk_run_json()'s plan results.
 * 1.2.0 added payments (SPEC §9: the keys payments, prepayment, allocation,
 * grace_days, and a JSON array for "payments"), the status code RK_NODATA,
 * rk_result_days_past_due(), the ledger of a plan replayed from its payments
 * (rk_result_ledger_count(), rk_ledger_date(), rk_ledger_kind(),
 * rk_ledger_installment(), rk_ledger_days_past_due(), rk_ledger_amount(),
 * rk_ledger_amount_int64()), and the "days_past_due" and "ledger" members of
 * rk_run_json()'s plan results.
 */
#define RK_VERSION        "1.2.0"
#define RK_VERSION_MAJOR  1
#define RK_VERSION_MINOR  2
#define RK_VERSION_PATCH  0
#define RK_VERSION_NUMBER 1002000

/**
 * The version of the linked library, to compare with RK_VERSION_NUMBER
 * (a program built against a newer header than the library it runs with
 * may call functions the library does not have).
 * Thread safety: any thread. Never fails.
 */
int rk_version_number(void);

/**
 * The version of the linked library as text, "MAJOR.MINOR.PATCH".
 * Returns a static string; never NULL; do not free it.
 * Thread safety: any thread. Never fails.
 */
const char *rk_version(void);

/* ------------------------------------------------------------------------
 * Status codes (pinned: values never change; new codes may be added)
 * ------------------------------------------------------------------------ */

#define RK_OK       0  /* success */
#define RK_ERROR    1  /* internal error (a kernel invariant failed); please report it */
#define RK_INVALID  2  /* an input field is malformed, missing or not allowed here */
#define RK_RANGE    3  /* a value is well formed but out of range, or does not fit int64_t */
#define RK_FORMAT   4  /* a whole document (CSV or JSON) is unusable: header, quoting, syntax */
#define RK_MISUSE   5  /* API misuse: NULL handle or output pointer, row index or selector out of range */
#define RK_NOMEM    6  /* memory allocation failed */
#define RK_PARTIAL  7  /* rk_run_*: the output is complete, but at least one row has status=error */
#define RK_NODATA   8  /* the result holds no such value: days past due of arrears given directly (since 1.2.0) */

/* ------------------------------------------------------------------------
 * Limits (a server's protection: every input that could make one call take
 * unbounded time or memory is bounded; beyond a limit the call fails with the
 * status given here and a message naming the field, never a crash, a GMP
 * abort or an unbounded allocation)
 * ------------------------------------------------------------------------ */

/* A value of rk_request_set(), or a JSON string or number of rk_run_json(), in
 * bytes: a longer one is RK_RANGE naming the key. A request holds one value
 * per known key (unknown keys are refused, a key set again is replaced), so
 * it never holds more than the column count times this. */
#define RK_MAX_VALUE_BYTES      1048576
/* Digits before the decimal point of an amount (leading zeros not counted;
 * 10^40 and far more work): beyond, RK_RANGE naming the field. */
#define RK_MAX_AMOUNT_DIGITS    1000
/* A rate (rate, daily_rate, fee_rate, plan_rate, markup, a waiver
 * percentage): at most this many digits after the point, and as many before
 * it (leading zeros not counted); beyond, RK_RANGE naming the field. */
#define RK_MAX_RATE_DECIMALS    100
#define RK_MAX_RATE_DIGITS      100
/* A term, deferral (defer_months) or installment count, in months: beyond,
 * RK_RANGE. Other whole numbers (scale, paid_through, max_term, grace_days
 * ...) have their own ranges and are below 10^15 in any case. */
#define RK_MAX_TERM             1200
/* Items of a payment history (the payments key): beyond, RK_RANGE. */
#define RK_MAX_PAYMENTS         10000
/* rk_run_json(): the document's size in bytes (beyond: RK_RANGE, checked
 * before it is read); its nesting depth, the members of one object and the
 * elements of one array (requests, payments), and the values of the whole
 * document (beyond any of these: RK_FORMAT). A request object has at most one
 * member per key, so a real one is far below RK_MAX_JSON_MEMBERS. */
#define RK_MAX_JSON_BYTES       67108864
#define RK_MAX_JSON_DEPTH       64
#define RK_MAX_JSON_MEMBERS     64
#define RK_MAX_JSON_ITEMS       10000
#define RK_MAX_JSON_VALUES      2000000
/* rk_run_json(): the result's size in bytes. A result that would be longer
 * fails with RK_RANGE (the result is then an error document naming "result");
 * split the requests over several calls, or use rk_run_csv() or the handles. */
#define RK_MAX_RESULT_BYTES     67108864

/**
 * A static English description of a status code ("RK_RANGE: value out of
 * range" style); "unknown status code" for a value not listed above.
 * Never NULL; do not free it. Thread safety: any thread.
 */
const char *rk_errstr(int status);

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/**
 * Releases a string or buffer returned through a `char **` parameter of this
 * library (rk_run_csv, rk_run_json). rk_free(NULL) is a no-op. Use this, not
 * free(), so the library can change its allocator.
 */
void rk_free(void *p);

/* ------------------------------------------------------------------------
 * Requests: the terms of one loan or one negotiated plan, as key/value pairs
 * ------------------------------------------------------------------------ */

typedef struct rk_request rk_request;  /* opaque */

/**
 * Creates an empty request (every key at its default) in *out.
 * Ownership: the caller owns *out and releases it with rk_request_free().
 * Returns RK_OK, or RK_MISUSE when out is NULL.
 * Thread safety: any thread.
 */
int rk_request_new(rk_request **out);

/**
 * Releases a request and every string it returned. rk_request_free(NULL) is
 * a no-op. Results computed from it stay valid (they own their data).
 */
void rk_request_free(rk_request *req);

/**
 * Sets one key to a value: a column name of the batch CSV contract and a
 * cell in its syntax (SPEC §7), for example
 *     rk_request_set(req, "principal", "10000");
 *     rk_request_set(req, "rate", "14.4%");
 *     rk_request_set(req, "start", "2024-01-15");
 * A NULL or empty value resets the key to its default, like an empty cell.
 * Setting a key again replaces its value. The value is validated only by
 * rk_compute(), together with the other keys, so that errors depending on
 * several keys (for example rate with fee_rate) are reported the same way
 * as by `repay batch`.
 *
 * Keys -- loan: id, principal, rate, daily_rate, fee_rate, term, method,
 *   start, first_due, basis, rounding, scale; plan (a request with as_of):
 *   as_of, paid_through, overdue_principal, overdue_interest,
 *   accrued_interest, penalty, fees, markup, compound, waive_penalty,
 *   waive_interest, waive_fees, capitalize, down_payment, defer_months,
 *   deferral_interest, then, installments, plan_method, plan_rate, max_term;
 *   payments (SPEC §9, since 1.2.0; on a loan or a plan): payments,
 *   prepayment, allocation, grace_days.
 *   `id` is optional here (default "loan", or "plan" with as_of).
 *
 * Payments are one value, the items of SPEC §9 separated by ';', each
 * "DATE AMOUNT" (a payment) or "DATE AMOUNT prepay" (a prepayment, 提前还款),
 * dates non-decreasing, amounts > 0 at the request's scale:
 *     rk_request_set(req, "payments", "2024-04-15 518.52; 2024-04-20 519.37");
 * On a loan (no as_of) every item must be `prepay`: the result is the
 * schedule with its `prepay` rows (SPEC §9.1). On a plan (with as_of, instead
 * of paid_through or direct arrears) the history is replayed up to as_of and
 * gives the arrears (SPEC §9.2); the replay's ledger is then readable with
 * rk_result_ledger_count() and rk_ledger_*(). A bad item fails rk_compute()
 * with RK_INVALID, field "payments" and a message naming the item:
 * "payments: item 2: \"2024-13-01 500\": ...".
 *
 * Returns RK_OK; RK_INVALID for an unknown or empty key (the message
 * suggests the closest key) or a key or value that is not valid UTF-8;
 * RK_RANGE for a value longer than RK_MAX_VALUE_BYTES (only that many bytes
 * and one more are looked at); RK_MISUSE when req or key is NULL. The
 * strings are copied.
 * Thread safety: one thread at a time per request.
 */
int rk_request_set(rk_request *req, const char *key, const char *value);

/**
 * Resets every key of the request to its default, so it can be reused.
 * Returns RK_OK, or RK_MISUSE when req is NULL.
 */
int rk_request_clear(rk_request *req);

/**
 * The message of the last failed call on this request ("principal: must
 * not be negative: '-3.20'"), or "" when the last call succeeded. For a NULL
 * req, a static message saying so. Never NULL.
 * Lifetime: owned by req; valid until the next call on req or its release.
 */
const char *rk_request_errmsg(const rk_request *req);

/**
 * The key (CSV column) at fault in the last failed call on this request
 * ("principal"), or "" when none applies or the last call succeeded.
 * Never NULL. Lifetime: as rk_request_errmsg().
 */
const char *rk_request_errfield(const rk_request *req);

/**
 * The status code of the last failed call on this request, or RK_OK when
 * the last call succeeded (like sqlite3_errcode() for a connection): the
 * value that call returned, kept on the handle so that code which only has
 * the handle can classify the failure without parsing rk_request_errmsg().
 * RK_INVALID and RK_RANGE are bad input (fix the field named by
 * rk_request_errfield()); RK_ERROR is a kernel self-check that failed, not
 * bad input (please report it with the request); RK_MISUSE a NULL output
 * pointer. Returns RK_MISUSE for a NULL req. Since 1.1.0.
 *
 *     if (rk_compute(req, &res) != RK_OK && rk_request_errcode(req) == RK_ERROR)
 *         report_bug(rk_request_errmsg(req));
 *
 * Thread safety: as rk_request_errmsg().
 */
int rk_request_errcode(const rk_request *req);

/* ------------------------------------------------------------------------
 * Computing
 * ------------------------------------------------------------------------ */

typedef struct rk_result rk_result;  /* opaque, immutable */

/**
 * Computes the request: a loan schedule when as_of is not set, a negotiated
 * plan (SPEC §5) when it is. On success *out is a new result owned by the
 * caller (release it with rk_result_free()); on failure *out is set to NULL
 * and the message is in rk_request_errmsg(req).
 *
 * Returns RK_OK; RK_INVALID for a malformed, missing or disallowed field
 * (the message names it); RK_RANGE for a value out of range (a term above
 * 1200 months, a date after 9999-12-31, ...); RK_ERROR if a kernel
 * invariant failed; RK_MISUSE when req or out is NULL.
 * Thread safety: one thread at a time per request; the result may be handed
 * to any thread.
 */
int rk_compute(rk_request *req, rk_result **out);

/**
 * As rk_compute(), but the request must be a loan: a request with as_of
 * fails with RK_INVALID naming as_of.
 */
int rk_schedule(rk_request *req, rk_result **out);

/**
 * As rk_compute(), but the request must be a negotiated plan: a request
 * without as_of fails with RK_INVALID ("as_of: required for a plan").
 */
int rk_plan(rk_request *req, rk_result **out);

/** Releases a result and every string it returned. rk_result_free(NULL) is a no-op. */
void rk_result_free(rk_result *res);

/* ------------------------------------------------------------------------
 * Reading a result. Every getter only reads: a result may be read from any
 * number of threads at once. Strings are owned by the result and valid
 * until rk_result_free(res).
 * ------------------------------------------------------------------------ */

/** 1 when the result is a negotiated plan, 0 for a loan schedule or a NULL res. */
int rk_result_is_plan(const rk_result *res);

/** The request's id; "" for a NULL res. Never NULL. */
const char *rk_result_id(const rk_result *res);

/** Digits after the decimal point of every amount (0..6); -1 for a NULL res. */
int rk_result_scale(const rk_result *res);

/**
 * The number of rows (payments), also the summary's `payments`. A plan with
 * nothing left to pay has 0 rows. 0 for a NULL res.
 */
size_t rk_result_row_count(const rk_result *res);

/* Amount columns of a row, for rk_row_amount() and rk_row_amount_int64(). */
#define RK_ROW_PAYMENT    1  /* principal + interest + carried */
#define RK_ROW_PRINCIPAL  2
#define RK_ROW_INTEREST   3
#define RK_ROW_CARRIED    4  /* interest, penalty and fees paid back without interest (plans) */
#define RK_ROW_BALANCE    5  /* principal + carried still owed after the row */

/**
 * The period of row `row` (0-based index < rk_result_row_count()): 1, 2, ...
 * and 0 for a plan's down payment. Returns -1 when res is NULL or row is out
 * of range.
 */
int64_t rk_row_period(const rk_result *res, size_t row);

/** The due date of a row, "YYYY-MM-DD"; NULL when res is NULL or row is out of range. */
const char *rk_row_due_date(const rk_result *res, size_t row);

/**
 * The kind of a row: "installment", "down", "deferral", "lump", or "prepay"
 * (a loan's prepayment, SPEC §9.1); NULL as above.
 */
const char *rk_row_kind(const rk_result *res, size_t row);

/**
 * An amount of a row (column: RK_ROW_*) as decimal text with exactly `scale`
 * decimals, any magnitude; NULL when res is NULL or row or column is out of
 * range.
 */
const char *rk_row_amount(const rk_result *res, size_t row, int column);

/**
 * An amount of a row as a count of minor units (cents at scale 2) in *out.
 * Returns RK_OK; RK_RANGE when it does not fit int64_t (then *out is 0; use
 * rk_row_amount()); RK_MISUSE when res or out is NULL or row or column is
 * out of range.
 */
int rk_row_amount_int64(const rk_result *res, size_t row, int column, int64_t *out);

/* Summary fields (the columns of the batch summary), for rk_result_summary(). */
#define RK_SUM_TOTAL_PAYABLE    101  /* amount: the sum of all payments */
#define RK_SUM_TOTAL_INTEREST   102  /* amount: total_payable - amount financed */
#define RK_SUM_WAIVED_PENALTY   103  /* amount (0 for a loan) */
#define RK_SUM_WAIVED_INTEREST  104  /* amount (0 for a loan) */
#define RK_SUM_WAIVED_FEES      105  /* amount (0 for a loan) */
#define RK_SUM_LAST_DUE         106  /* text: "YYYY-MM-DD", "" when there are no rows */
#define RK_SUM_APR              107  /* text: nominal APR as a fraction, 6 decimals: "0.120001" */
#define RK_SUM_EFFECTIVE_APR    108  /* text: effective APR, 6 decimals */

/**
 * A summary field (RK_SUM_*) as text, exactly as in the batch summary CSV;
 * NULL when res is NULL or field is not an RK_SUM_* value.
 */
const char *rk_result_summary(const rk_result *res, int field);

/**
 * An amount field of the summary (RK_SUM_TOTAL_PAYABLE .. RK_SUM_WAIVED_FEES)
 * as a count of minor units in *out. Returns RK_OK; RK_RANGE when it does
 * not fit int64_t (*out is then 0); RK_MISUSE when res or out is NULL or
 * field is not an amount field.
 */
int rk_result_summary_int64(const rk_result *res, int field, int64_t *out);

/* ------------------------------------------------------------------------
 * A plan's debt by component (since 1.1.0): what was owed on as_of, what the
 * waivers forgave, and what the plan repays -- the "Debt before / Waived"
 * table of `repay plan`. A stage and a component select one amount:
 *
 *     rk_result_debt(plan, RK_DEBT_BEFORE, RK_DEBT_PENALTY)   "2.05"
 *     rk_result_debt(plan, RK_DEBT_WAIVED, RK_DEBT_PENALTY)   "2.05"
 *     rk_result_debt(plan, RK_DEBT_AFTER,  RK_DEBT_PENALTY)   "0.00"
 *
 * For every component, BEFORE = WAIVED + AFTER exactly. Principal is never
 * waived. An interest waiver is taken from overdue interest first, then from
 * accrued interest (SPEC §5 step 1); the WAIVED interest components add up
 * to RK_SUM_WAIVED_INTEREST. The AFTER total is the plan's amount financed:
 * RK_SUM_TOTAL_INTEREST = RK_SUM_TOTAL_PAYABLE - (AFTER, RK_DEBT_TOTAL).
 * A loan schedule has no debt breakdown: NULL / RK_MISUSE.
 * ------------------------------------------------------------------------ */

/* Stages, the first selector. */
#define RK_DEBT_BEFORE  1  /* the arrears on as_of, before any waiver */
#define RK_DEBT_WAIVED  2  /* what the waivers forgive */
#define RK_DEBT_AFTER   3  /* BEFORE - WAIVED: what the plan repays */

/* Components, the second selector. */
#define RK_DEBT_PRINCIPAL          11  /* principal not yet due */
#define RK_DEBT_OVERDUE_PRINCIPAL  12  /* principal of overdue installments */
#define RK_DEBT_OVERDUE_INTEREST   13  /* interest of overdue installments */
#define RK_DEBT_ACCRUED_INTEREST   14  /* interest accrued since the last due date */
#define RK_DEBT_PENALTY            15  /* penalty interest */
#define RK_DEBT_FEES               16  /* fees */
#define RK_DEBT_TOTAL              17  /* the sum of the six components above */

/**
 * One amount of a plan's debt breakdown (stage RK_DEBT_BEFORE..RK_DEBT_AFTER,
 * component RK_DEBT_PRINCIPAL..RK_DEBT_TOTAL) as decimal text with exactly
 * `scale` decimals, any magnitude. NULL when res is NULL or not a plan
 * (rk_result_is_plan() is 0), or a selector is out of range.
 * Lifetime: owned by res. Thread safety: any number of readers.
 */
const char *rk_result_debt(const rk_result *res, int stage, int component);

/**
 * The same amount as a count of minor units (cents at scale 2) in *out.
 * Returns RK_OK; RK_RANGE when it does not fit int64_t (*out is then 0; use
 * rk_result_debt()); RK_MISUSE when res or out is NULL, res is not a plan,
 * or a selector is out of range.
 */
int rk_result_debt_int64(const rk_result *res, int stage, int component, int64_t *out);

/* ------------------------------------------------------------------------
 * Days past due and the payment ledger (since 1.2.0).
 *
 * A plan whose arrears come from its payments (the key `payments` with
 * as_of, SPEC §9.2) keeps the ledger of its replay: one event per line, in
 * order, read like the rows above. The last event is always the position at
 * as_of (kind "as_of"), so such a plan has at least one event; every other
 * result (a loan, a loan with prepayments, a plan from paid_through or from
 * direct arrears) has none.
 *
 *     size_t n = rk_result_ledger_count(plan);
 *     for (size_t i = 0; i < n; i++)
 *         printf("%s %-10s %10s  overdue %s  %" PRId64 " days\n",
 *                rk_ledger_date(plan, i), rk_ledger_kind(plan, i),
 *                rk_ledger_amount(plan, i, RK_LEDGER_AMOUNT),
 *                rk_ledger_amount(plan, i, RK_LEDGER_OVERDUE),
 *                rk_ledger_days_past_due(plan, i));
 *
 * Every getter only reads (any number of threads at once); strings are
 * owned by the result and valid until rk_result_free(res).
 * ------------------------------------------------------------------------ */

/**
 * Days past due (逾期天数) on as_of in *out: the days since the oldest
 * installment not paid in full fell due, 0 when nothing is overdue (an
 * installment due on as_of itself is not overdue yet). Available for a plan
 * whose arrears come from payments or from paid_through.
 * Returns RK_OK; RK_NODATA for a plan whose arrears were given directly
 * (overdue_principal, ...: nothing says when they fell due; *out is then 0);
 * RK_MISUSE when res or out is NULL or res is not a plan (*out is 0 when
 * out is not NULL).
 */
int rk_result_days_past_due(const rk_result *res, int64_t *out);

/**
 * The number of ledger events: at least 1 for a plan replayed from its
 * payments, 0 for any other result or a NULL res.
 */
size_t rk_result_ledger_count(const rk_result *res);

/** The date of event `i` (0-based, < rk_result_ledger_count()), "YYYY-MM-DD"; NULL when res is NULL or i is out of range. */
const char *rk_ledger_date(const rk_result *res, size_t i);

/**
 * The kind of event `i`; NULL as rk_ledger_date():
 *   "due"         an installment falls due: AMOUNT its payment, INTEREST and
 *                 PRINCIPAL what it owes;
 *   "penalty"     penalty (罚息) on an installment becomes owed: AMOUNT and
 *                 PENALTY the penalty;
 *   "credit"      credit settles what fell due: AMOUNT the credit used,
 *                 split into PENALTY, INTEREST, PRINCIPAL by the allocation;
 *   "payment"     a payment: AMOUNT received, split by the allocation (the
 *                 rest becomes credit);
 *   "prepayment"  a prepayment: what is due, then accrued interest and
 *                 principal (the rest becomes credit);
 *   "as_of"       the position at as_of: AMOUNT 0, PENALTY, INTEREST and
 *                 PRINCIPAL what is overdue and unpaid.
 */
const char *rk_ledger_kind(const rk_result *res, size_t i);

/**
 * The installment (period 1, 2, ...) that event `i` concerns, for "due" and
 * "penalty" events; 0 for the other kinds; -1 when res is NULL or i is out
 * of range.
 */
int64_t rk_ledger_installment(const rk_result *res, size_t i);

/**
 * Days past due after event `i` (the days since the oldest installment not
 * paid in full fell due, up to the event's date; 0 when none); for the last
 * event ("as_of") the same as rk_result_days_past_due(). -1 when res is
 * NULL or i is out of range.
 */
int64_t rk_ledger_days_past_due(const rk_result *res, size_t i);

/* Amount columns of a ledger event, for rk_ledger_amount() and rk_ledger_amount_int64(). */
#define RK_LEDGER_AMOUNT     201  /* the amount of the event (see rk_ledger_kind) */
#define RK_LEDGER_PENALTY    202  /* penalty paid, or owed for "penalty" and "as_of" */
#define RK_LEDGER_INTEREST   203  /* interest paid, or owed for "due" and "as_of" */
#define RK_LEDGER_PRINCIPAL  204  /* principal paid, or owed for "due" and "as_of" */
#define RK_LEDGER_CREDIT     205  /* credit held after the event */
#define RK_LEDGER_OVERDUE    206  /* penalty, interest and principal due and unpaid after the event */
#define RK_LEDGER_BALANCE    207  /* principal not yet due after the event */

/**
 * An amount of ledger event `i` (column: RK_LEDGER_*) as decimal text with
 * exactly `scale` decimals, any magnitude; NULL when res is NULL or i or
 * column is out of range.
 */
const char *rk_ledger_amount(const rk_result *res, size_t i, int column);

/**
 * An amount of ledger event `i` as a count of minor units in *out.
 * Returns RK_OK; RK_RANGE when it does not fit int64_t (*out is then 0; use
 * rk_ledger_amount()); RK_MISUSE when res or out is NULL or i or column is
 * out of range.
 */
int rk_ledger_amount_int64(const rk_result *res, size_t i, int column, int64_t *out);

/* ------------------------------------------------------------------------
 * Whole-request entry points, for the thinnest bindings: text in, text out.
 * Both are reentrant and keep no state between calls.
 * ------------------------------------------------------------------------ */

/**
 * Runs a whole batch CSV document (header row + data rows, SPEC §7) exactly
 * as `repay batch` does and returns its two outputs, byte for byte what
 * `repay batch --schedule S --summary M` would write.
 *
 * csv/csv_len: the document (need not be NUL-terminated; may contain a BOM,
 *   CRLF line ends, blank lines). It must be UTF-8, a cell at most 1 MiB and
 *   a record at most 16 MiB, exactly as `repay batch` reads it: otherwise the
 *   document is unusable (RK_FORMAT, the message names the line).
 * schedule, summary: when not NULL, receive a new NUL-terminated string
 *   (the schedule CSV and the summary CSV, header included) that the caller
 *   releases with rk_free(); *_len (when not NULL) receive their lengths.
 * errmsg: when not NULL, receives a new string (release with rk_free()): ""
 *   on RK_OK and RK_PARTIAL, the reason on failure.
 *
 * Returns RK_OK when every row was computed; RK_PARTIAL when the outputs are
 *   complete but some rows have status=error (`repay batch` exits 1);
 *   RK_FORMAT when the document is unusable (no header, no id column, an
 *   unknown, duplicate or empty column name, broken quoting, not UTF-8, a
 *   cell or record over its limit; `repay batch`
 *   exits 2): then *schedule and *summary are set to NULL;
 *   RK_MISUSE when csv is NULL and csv_len > 0; RK_NOMEM.
 */
int rk_run_csv(const char *csv, size_t csv_len,
               char **schedule, size_t *schedule_len,
               char **summary, size_t *summary_len,
               char **errmsg);

/**
 * Runs a JSON request and returns a JSON result.
 *
 * Input: one request object, or an array of them. A request object's keys
 * are the keys of rk_request_set(); its values are strings ("10000.50",
 * "14.4%"), JSON numbers (taken as their literal text, never through a
 * binary float: 10000.50 is the amount 10000.50), booleans (for compound),
 * or null (the default).
 *   {"principal": "10000", "rate": "12%", "term": 12, "start": "2024-01-15"}
 * "payments" (since 1.2.0) may also be an array, one element per item, each
 * either the item's text or an object:
 *   "payments": ["2024-04-15 518.52",
 *                {"date": "2024-04-20", "amount": "519.37"},
 *                {"date": "2024-06-01", "amount": 3000, "prepay": true}]
 * An object has "date" (a string), "amount" (a string, or a JSON integer
 * taken as its literal text: 3000 is 3000.00) and optionally "prepay" (a
 * boolean or null), nothing else. A payment amount that is a JSON number
 * with a fraction or an exponent (518.52, 5e2) is refused: a JSON encoder may
 * have produced it from a binary float; write it as a string ("518.52").
 * A text element holds one item (no ';'). [] is the same as no payments.
 * A bad element fails the request with RK_INVALID, field "payments" and a
 * message naming it: "payments: item 3: ...", counting from 1.
 *
 * Output (*result, NUL-terminated, release with rk_free()): for each
 * request, in input order,
 *   {"id": "loan", "status": "ok", "plan": false,
 *    "rows": [{"period": 1, "due_date": "2024-02-15", "kind": "installment",
 *              "payment": "888.49", "principal": "788.49", "interest": "100.00",
 *              "carried": "0.00", "balance": "9211.51"}, ...],
 *    "summary": {"payments": 12, "total_payable": "10661.86",
 *                "total_interest": "661.86", "waived_penalty": "0.00",
 *                "waived_interest": "0.00", "waived_fees": "0.00",
 *                "last_due": "2025-01-15", "apr": "0.120001",
 *                "effective_apr": "0.126826"}}
 * where a plan's result (a request with as_of) also has, after "summary",
 *    "debt": {"before": {...}, "waived": {...}, "after": {...}}
 * each with the amounts of rk_result_debt() for that stage:
 *    {"principal": "900.00", "overdue_principal": "200.00",
 *     "overdue_interest": "21.00", "accrued_interest": "1.50",
 *     "penalty": "2.05", "fees": "0.00", "total": "1124.55"}
 * then (since 1.2.0) "days_past_due": the value of rk_result_days_past_due()
 * (an integer; null for arrears given directly), and, for a plan replayed
 * from its payments, its ledger (rk_ledger_*()), one object per event:
 *    "ledger": [{"date": "2024-04-15", "kind": "due", "installment": 1,
 *                "amount": "1037.03", "penalty": "0.00", "interest": "66.67",
 *                "principal": "970.36", "credit": "0.00",
 *                "overdue": "1037.03", "balance": "9029.64",
 *                "days_past_due": 0}, ...]
 * ("installment" is null for the kinds other than "due" and "penalty").
 * or, for a request that failed,
 *   {"id": "loan", "status": "error",
 *    "error": {"code": 2, "name": "RK_INVALID", "field": "principal",
 *              "message": "principal: must not be negative: '-3.20'"}}
 * An array input gives an array of these. Amounts are decimal strings with
 * exactly `scale` decimals; the row and summary figures are those of
 * rk_result_*(), the same as the batch CSV.
 *
 * Returns RK_OK when every request succeeded; for a single object the status
 *   of its failure (RK_INVALID, RK_RANGE, ...); for an array RK_PARTIAL when
 *   some requests failed; RK_FORMAT when the document is not JSON or not an
 *   object or array of objects, or beyond RK_MAX_JSON_DEPTH,
 *   RK_MAX_JSON_MEMBERS, RK_MAX_JSON_ITEMS or RK_MAX_JSON_VALUES (then
 *   *result is {"status": "error", "error": {...}}, still valid JSON);
 *   RK_RANGE when json_len is above RK_MAX_JSON_BYTES or the result would be
 *   longer than RK_MAX_RESULT_BYTES (*result is such an error document, its
 *   field "input" or "result"); a value above RK_MAX_VALUE_BYTES fails its
 *   own request only (RK_RANGE naming the key); RK_MISUSE when result is
 *   NULL, or json is NULL and json_len > 0 (then *result is NULL); RK_NOMEM.
 * In every case but RK_MISUSE, *result is a JSON text to be released.
 */
int rk_run_json(const char *json, size_t json_len, char **result, size_t *result_len);

#ifdef __cplusplus
}
#endif

#endif /* REPAYKERNEL_H */
