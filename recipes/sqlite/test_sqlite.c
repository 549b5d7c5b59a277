/* Use libsqlite3 through the C API: version check, prepared statements with bound parameters, a transaction,
 * JSON1, FTS5 and R*Tree, and sqlite3_compileoption_used for the options the recipe sets. */
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

static int fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "%s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    return 1;
}

static int exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return 1;
    }
    return 0;
}

/* Run a query that returns one row with one text column and compare it. */
static int expect_text(sqlite3 *db, const char *sql, const char *expected) {
    sqlite3_stmt *st;
    const unsigned char *got;
    int ok;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return fail(db, sql);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return fail(db, sql);
    }
    got = sqlite3_column_text(st, 0);
    ok = got != NULL && strcmp((const char *)got, expected) == 0;
    if (!ok) fprintf(stderr, "%s: got '%s', expected '%s'\n", sql, got ? (const char *)got : "(null)", expected);
    sqlite3_finalize(st);
    return ok ? 0 : 1;
}

int main(void) {
    static const char *options[] = {"ENABLE_FTS3", "ENABLE_FTS4", "ENABLE_FTS5", "ENABLE_RTREE",
                                    "ENABLE_COLUMN_METADATA", "ENABLE_UNLOCK_NOTIFY", "ENABLE_DBSTAT_VTAB",
                                    "SECURE_DELETE"};
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    const char *decl_type = NULL;
    size_t i;
    int rc = 0;

    if (strcmp(sqlite3_libversion(), SQLITE_VERSION) != 0 || sqlite3_libversion_number() != SQLITE_VERSION_NUMBER) {
        fprintf(stderr, "header %s, library %s\n", SQLITE_VERSION, sqlite3_libversion());
        return 1;
    }
    if (strcmp(sqlite3_libversion(), "3.40.1") != 0) {
        fprintf(stderr, "unexpected version %s\n", sqlite3_libversion());
        return 1;
    }
    if (!sqlite3_threadsafe()) {
        fprintf(stderr, "library is not threadsafe\n");
        return 1;
    }
    for (i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (!sqlite3_compileoption_used(options[i])) {
            fprintf(stderr, "compile option %s missing\n", options[i]);
            return 1;
        }
    }
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return fail(db, "open");

    if (exec(db, "CREATE TABLE kv(k TEXT PRIMARY KEY, v REAL); BEGIN;")) return 1;
    if (sqlite3_prepare_v2(db, "INSERT INTO kv VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "prepare insert");
    for (i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof key, "key%03zu", i);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 2, (double)i / 4);
        if (sqlite3_step(st) != SQLITE_DONE) return fail(db, "insert");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (exec(db, "COMMIT;")) return 1;
    rc |= expect_text(db, "SELECT printf('%d %.2f', count(*), sum(v)) FROM kv", "100 1237.50");
    rc |= expect_text(db, "SELECT k FROM kv WHERE v = 24.75", "key099");

    /* SQLITE_ENABLE_COLUMN_METADATA */
    if (sqlite3_table_column_metadata(db, NULL, "kv", "v", &decl_type, NULL, NULL, NULL, NULL) != SQLITE_OK ||
        strcmp(decl_type, "REAL") != 0)
        return fail(db, "table_column_metadata");

    rc |= expect_text(db, "SELECT json_extract('{\"a\":[10,20,{\"b\":\"x\"}]}', '$.a[2].b')", "x");
    rc |= expect_text(db, "SELECT json_group_array(k) FROM (SELECT k FROM kv ORDER BY k LIMIT 2)",
                      "[\"key000\",\"key001\"]");

    if (exec(db, "CREATE VIRTUAL TABLE f USING fts5(title, body);"
                 "INSERT INTO f VALUES ('one', 'sqlite is an embedded database'),"
                 "                     ('two', 'zstd is a compression library');"))
        return 1;
    rc |= expect_text(db, "SELECT title FROM f WHERE f MATCH 'embed*'", "one");

    if (exec(db, "CREATE VIRTUAL TABLE r USING rtree(id, x0, x1);"
                 "INSERT INTO r VALUES (1, 0, 5), (2, 10, 15);"))
        return 1;
    rc |= expect_text(db, "SELECT group_concat(id) FROM r WHERE x1 > 4 AND x0 < 12", "1,2");

    if (sqlite3_close(db) != SQLITE_OK) return fail(db, "close");
    if (rc == 0) printf("sqlite %s (%s): C API, JSON1, FTS5, R*Tree OK\n", sqlite3_libversion(), sqlite3_sourceid());
    return rc;
}
