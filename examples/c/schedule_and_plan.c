/*
 * A loan schedule and a negotiated plan through the C API, printed as tables.
 *
 *   swift build -c release
 *   gcc -std=c11 -Wall -ISources/CRepayKernel/include examples/c/schedule_and_plan.c \
 *       -L.build/release -lrepaykernel -Wl,-rpath,$PWD/.build/release -o schedule_and_plan
 *   ./schedule_and_plan
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "repaykernel.h"

/* Sets one key, or reports the failure and exits. */
static void set(rk_request *req, const char *key, const char *value) {
    int rc = rk_request_set(req, key, value);
    if (rc != RK_OK) {
        fprintf(stderr, "rk_request_set(%s): %s (%s)\n", key, rk_request_errmsg(req), rk_errstr(rc));
        exit(1);
    }
}

static void print_result(const char *title, const rk_result *res) {
    size_t n = rk_result_row_count(res);
    printf("%s (id %s, %zu payments)\n", title, rk_result_id(res), n);
    printf("%6s  %-10s  %-11s  %12s  %12s  %10s  %10s  %12s\n",
           "period", "due", "kind", "payment", "principal", "interest", "carried", "balance");
    for (size_t i = 0; i < n; i++) {
        printf("%6" PRId64 "  %-10s  %-11s  %12s  %12s  %10s  %10s  %12s\n",
               rk_row_period(res, i), rk_row_due_date(res, i), rk_row_kind(res, i),
               rk_row_amount(res, i, RK_ROW_PAYMENT), rk_row_amount(res, i, RK_ROW_PRINCIPAL),
               rk_row_amount(res, i, RK_ROW_INTEREST), rk_row_amount(res, i, RK_ROW_CARRIED),
               rk_row_amount(res, i, RK_ROW_BALANCE));
    }
    int64_t cents = 0;
    int rc = rk_result_summary_int64(res, RK_SUM_TOTAL_PAYABLE, &cents);
    printf("total payable %s (%" PRId64 " minor units, %s)\n", rk_result_summary(res, RK_SUM_TOTAL_PAYABLE),
           cents, rk_errstr(rc));
    printf("total interest %s, waived penalty %s, interest %s, fees %s\n",
           rk_result_summary(res, RK_SUM_TOTAL_INTEREST), rk_result_summary(res, RK_SUM_WAIVED_PENALTY),
           rk_result_summary(res, RK_SUM_WAIVED_INTEREST), rk_result_summary(res, RK_SUM_WAIVED_FEES));
    printf("last due %s, APR %s, effective APR %s\n\n", rk_result_summary(res, RK_SUM_LAST_DUE),
           rk_result_summary(res, RK_SUM_APR), rk_result_summary(res, RK_SUM_EFFECTIVE_APR));
}

/* A plan's debt by component: before the waivers, waived, and what the plan repays. */
static void print_debt(const rk_result *plan) {
    static const struct { int component; const char *name; } COMPONENTS[] = {
        {RK_DEBT_PRINCIPAL, "principal not yet due"}, {RK_DEBT_OVERDUE_PRINCIPAL, "overdue principal"},
        {RK_DEBT_OVERDUE_INTEREST, "overdue interest"}, {RK_DEBT_ACCRUED_INTEREST, "accrued interest"},
        {RK_DEBT_PENALTY, "penalty"}, {RK_DEBT_FEES, "fees"}, {RK_DEBT_TOTAL, "total"},
    };
    printf("%-22s  %12s  %12s  %12s\n", "debt", "before", "waived", "after");
    for (size_t i = 0; i < sizeof COMPONENTS / sizeof COMPONENTS[0]; i++) {
        int c = COMPONENTS[i].component;
        printf("%-22s  %12s  %12s  %12s\n", COMPONENTS[i].name, rk_result_debt(plan, RK_DEBT_BEFORE, c),
               rk_result_debt(plan, RK_DEBT_WAIVED, c), rk_result_debt(plan, RK_DEBT_AFTER, c));
    }
    int64_t financed = 0;
    int rc = rk_result_debt_int64(plan, RK_DEBT_AFTER, RK_DEBT_TOTAL, &financed);
    printf("amount financed %" PRId64 " minor units (%s)\n\n", financed, rk_errstr(rc));
}

/* The ledger of a plan replayed from its payments (SPEC §9.2), one line per event. */
static void print_ledger(const rk_result *plan) {
    static const int COLUMNS[] = { RK_LEDGER_AMOUNT, RK_LEDGER_PENALTY, RK_LEDGER_INTEREST, RK_LEDGER_PRINCIPAL,
                                   RK_LEDGER_CREDIT, RK_LEDGER_OVERDUE, RK_LEDGER_BALANCE };
    printf("%-10s  %-10s  %2s  %9s  %7s  %8s  %9s  %7s  %9s  %9s  %3s\n", "date", "kind", "#", "amount", "penalty",
           "interest", "principal", "credit", "overdue", "balance", "dpd");
    for (size_t i = 0; i < rk_result_ledger_count(plan); i++) {
        char installment[24] = "";
        if (rk_ledger_installment(plan, i) > 0) snprintf(installment, sizeof installment, "%" PRId64, rk_ledger_installment(plan, i));
        printf("%-10s  %-10s  %2s", rk_ledger_date(plan, i), rk_ledger_kind(plan, i), installment);
        for (size_t c = 0; c < sizeof COLUMNS / sizeof COLUMNS[0]; c++) {
            static const int WIDTH[] = { 9, 7, 8, 9, 7, 9, 9 };
            printf("  %*s", WIDTH[c], rk_ledger_amount(plan, i, COLUMNS[c]));
        }
        printf("  %3" PRId64 "\n", rk_ledger_days_past_due(plan, i));
    }
    int64_t days = -1;
    int rc = rk_result_days_past_due(plan, &days);
    printf("days past due on as_of: %" PRId64 " (%s)\n", days, rk_errstr(rc));
    printf("accrued interest on as_of: %s\n\n", rk_result_debt(plan, RK_DEBT_BEFORE, RK_DEBT_ACCRUED_INTEREST));
}

int main(void) {
    printf("repaykernel %s (header %s)\n\n", rk_version(), RK_VERSION);
    if (rk_version_number() != RK_VERSION_NUMBER) {
        fprintf(stderr, "library version %d does not match header %d\n", rk_version_number(), RK_VERSION_NUMBER);
        return 1;
    }

    rk_request *req = NULL;
    if (rk_request_new(&req) != RK_OK) return 1;

    /* A 10,000.00 loan at 12% a year over 12 months, equal installments. */
    set(req, "id", "car-loan");
    set(req, "principal", "10000");
    set(req, "rate", "12%");
    set(req, "term", "12");
    set(req, "start", "2024-01-15");
    rk_result *loan = NULL;
    int rc = rk_schedule(req, &loan);
    if (rc != RK_OK) {
        fprintf(stderr, "schedule: %s (%s)\n", rk_request_errmsg(req), rk_errstr(rc));
        return 1;
    }
    print_result("Loan schedule", loan);
    rk_result_free(loan);

    /* The same loan, 3 installments paid, renegotiated on 2024-06-20:
       the penalty waived, a 500.00 down payment, 2 months' deferral,
       then 6 equal installments at 6%. */
    set(req, "id", "car-loan-plan");
    set(req, "as_of", "2024-06-20");
    set(req, "paid_through", "3");
    set(req, "waive_penalty", "100%");
    set(req, "down_payment", "500");
    set(req, "defer_months", "2");
    set(req, "installments", "6");
    set(req, "plan_rate", "6%");
    rk_result *plan = NULL;
    rc = rk_plan(req, &plan);
    if (rc != RK_OK) {
        fprintf(stderr, "plan: %s (%s)\n", rk_request_errmsg(req), rk_errstr(rc));
        return 1;
    }
    print_result("Negotiated plan", plan);
    print_debt(plan);
    rk_result_free(plan);

    /* Payments instead of paid_through: 10,000.00 at 8% over 10 months from 2024-03-15 (installment
       1037.03); the first installment paid half on its due date and the rest 5 days late. The arrears on
       2024-04-25 come from replaying the payments; the ledger shows the penalty of the 5 late days. */
    rk_request_clear(req);
    set(req, "id", "paid-late");
    set(req, "principal", "10000");
    set(req, "rate", "8%");
    set(req, "term", "10");
    set(req, "start", "2024-03-15");
    set(req, "as_of", "2024-04-25");
    set(req, "payments", "2024-04-15 518.52; 2024-04-20 519.37");
    rc = rk_plan(req, &plan);
    if (rc != RK_OK) {
        fprintf(stderr, "plan with payments: %s (%s)\n", rk_request_errmsg(req), rk_errstr(rc));
        return 1;
    }
    printf("Ledger of %s\n", rk_result_id(plan));
    print_ledger(plan);
    rk_result_free(plan);
    /* A bad item is named by its number. */
    set(req, "payments", "2024-04-15 518.52; 2024-04-31 519.37");
    rc = rk_plan(req, &plan);
    printf("bad payments: %s, field '%s': %s\n\n", rk_errstr(rc), rk_request_errfield(req), rk_request_errmsg(req));
    if (rc != RK_INVALID) return 1;

    /* An error names the field at fault. */
    rk_request_clear(req);
    set(req, "principal", "100.005");
    set(req, "rate", "0.12");
    set(req, "term", "12");
    set(req, "start", "2024-01-15");
    rc = rk_schedule(req, &loan);
    printf("bad principal: %s, field '%s': %s\n", rk_errstr(rc), rk_request_errfield(req), rk_request_errmsg(req));
    /* The handle keeps the status of its last failure: bad input, not a kernel bug (RK_ERROR). */
    int code = rk_request_errcode(req);
    printf("rk_request_errcode: %d (%s)\n", code, code == RK_ERROR ? "a kernel bug: please report it" : "bad input");

    rk_request_free(req);
    return rc == RK_INVALID && code == RK_INVALID ? 0 : 1;
}
