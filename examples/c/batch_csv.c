/*
 * `repay batch` through the C API's whole-request entry point rk_run_csv():
 * reads a batch CSV file, writes the schedule and summary CSV files, and exits
 * like the CLI (0 all rows ok, 1 some rows failed, 2 unusable input, in which
 * case no output file is written). It takes the CLI's arguments, so the same
 * conformance script checks both:
 *
 *   ./batch_csv batch INPUT.csv --schedule S.csv --summary M.csv [--quiet]
 *   bash Tests/conformance.sh ./batch_csv fixtures/conformance
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repaykernel.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); buf = NULL; }
            buf = bigger;
        }
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

static int write_file(const char *path, const char *data, size_t len) {
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    int ok = (w == len) && (f == stdout ? fflush(f) == 0 : fclose(f) == 0);
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *input = NULL, *schedule_path = NULL, *summary_path = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "batch") == 0 && i == 1) continue;
        if (strcmp(argv[i], "--schedule") == 0 && i + 1 < argc) schedule_path = argv[++i];
        else if (strcmp(argv[i], "--summary") == 0 && i + 1 < argc) summary_path = argv[++i];
        else if (strcmp(argv[i], "--quiet") == 0) quiet = 1;
        else if (!input) input = argv[i];
        else { fprintf(stderr, "usage: %s batch INPUT --schedule FILE --summary FILE [--quiet]\n", argv[0]); return 2; }
    }
    if (!input || (!schedule_path && !summary_path)) {
        fprintf(stderr, "usage: %s batch INPUT --schedule FILE --summary FILE [--quiet]\n", argv[0]);
        return 2;
    }
    size_t len = 0;
    char *csv = read_file(input, &len);
    if (!csv) { fprintf(stderr, "cannot read '%s'\n", input); return 2; }

    char *schedule = NULL, *summary = NULL, *errmsg = NULL;
    size_t schedule_len = 0, summary_len = 0;
    int rc = rk_run_csv(csv, len, schedule_path ? &schedule : NULL, &schedule_len,
                        summary_path ? &summary : NULL, &summary_len, &errmsg);
    free(csv);
    int exit_code;
    if (rc == RK_OK || rc == RK_PARTIAL) {
        exit_code = rc == RK_OK ? 0 : 1;
        if (schedule_path && write_file(schedule_path, schedule, schedule_len) != 0) exit_code = 3;
        if (summary_path && write_file(summary_path, summary, summary_len) != 0) exit_code = 3;
        if (!quiet) fprintf(stderr, "batch_csv: %s\n", rk_errstr(rc));
    } else {
        fprintf(stderr, "batch_csv: %s (%s)\n", errmsg ? errmsg : "", rk_errstr(rc));
        exit_code = rc == RK_FORMAT ? 2 : 3;
    }
    rk_free(schedule);
    rk_free(summary);
    rk_free(errmsg);
    return exit_code;
}
