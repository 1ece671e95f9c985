/*
 * warnings_tokens.c — bench fixture: a session (bearer token) for every
 * in-app recipient of a warning to an area, written straight into the
 * database before the server starts.
 *
 *   warnings_tokens --db PATH --area CODE --out FILE [--days N]
 *
 * A login costs one argon2id hash (tens of milliseconds); 100,000 logins
 * would time the password hash, not the warning loop. So this fixture makes
 * the sessions the way yingji's login does (src/auth/auth.c: 32 random
 * bytes, base64url without padding = 43 characters; the session table keeps
 * only token_hash = BLAKE2b-256 of the token string, no key) and inserts
 * them with the SQLite API in one transaction, bypassing the API and the
 * audit log on purpose: it is load data, not sessions anyone opened.
 *
 * The users are the ones disp_warning_version() makes recipients of a
 * warning to CODE: grid workers and duty officers of CODE's subtree, not
 * disabled. FILE gets one "user_id token" a line, in user id order.
 */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_LEN 43

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "warnings_tokens: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: warnings_tokens --db PATH --area CODE --out FILE [--days N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *db_path = NULL, *area = NULL, *out_path = NULL;
	long days = 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--db") == 0)
			db_path = v;
		else if (strcmp(a, "--area") == 0)
			area = v;
		else if (strcmp(a, "--out") == 0)
			out_path = v;
		else if (strcmp(a, "--days") == 0)
			days = strtol(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (!db_path || !area || !out_path || days < 1 || strlen(area) < 6 || strlen(area) > 12)
		usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "warnings_tokens: sodium_init failed\n");
		return 1;
	}
	/* the subtree prefix as auth_area_prefix() (src/auth/auth.c) makes it: a province
	 * "440000" -> "44", a city "441500" -> "4415", a county, town or village keeps its digits */
	char prefix[16];
	snprintf(prefix, sizeof prefix, "%s", area);
	if (strlen(prefix) == 6 && strcmp(prefix + 2, "0000") == 0)
		prefix[2] = 0;
	else if (strlen(prefix) == 6 && strcmp(prefix + 4, "00") == 0)
		prefix[4] = 0;

	sqlite3 *db;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die_sql(db, db_path);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		die_sql(db, "begin");
	sqlite3_stmt *sel, *ins;
	if (sqlite3_prepare_v2(db,
	                       "SELECT id FROM user WHERE disabled = 0 AND role IN ('grid_worker', 'duty_officer') "
	                       "AND area_code >= ?1 AND area_code < ?1 || ':' ORDER BY id",
	                       -1, &sel, NULL) != SQLITE_OK)
		die_sql(db, "select users");
	if (sqlite3_prepare_v2(db, "INSERT INTO session(token_hash, user_id, created_ms, expires_ms) VALUES (?,?,?,?)", -1,
	                       &ins, NULL) != SQLITE_OK)
		die_sql(db, "insert session");
	sqlite3_bind_text(sel, 1, prefix, -1, SQLITE_STATIC);

	FILE *out = fopen(out_path, "w");
	if (!out) {
		fprintf(stderr, "warnings_tokens: cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	long n = 0;
	while (sqlite3_step(sel) == SQLITE_ROW) {
		int64_t uid = sqlite3_column_int64(sel, 0);
		unsigned char raw[32], digest[32];
		char token[TOKEN_LEN + 1];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2base64(token, sizeof token, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		crypto_generichash(digest, sizeof digest, (const unsigned char *)token, TOKEN_LEN, NULL, 0);
		sqlite3_bind_blob(ins, 1, digest, sizeof digest, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 2, uid);
		sqlite3_bind_int64(ins, 3, now);
		sqlite3_bind_int64(ins, 4, now + days * 86400000LL);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die_sql(db, "insert session");
		sqlite3_reset(ins);
		fprintf(out, "%lld %s\n", (long long)uid, token);
		n++;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die_sql(db, "commit");
	sqlite3_close(db);
	if (fclose(out) != 0) {
		fprintf(stderr, "warnings_tokens: cannot write %s\n", out_path);
		return 1;
	}
	printf("sessions=%ld\n", n);
	return n ? 0 : 1;
}
