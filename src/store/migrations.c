/*
 * migrations.c — the schema, as numbered migrations applied in order at
 * start (PRAGMA user_version holds how many ran). Never edit a migration
 * that has shipped; add a new one at the end.
 *
 * Times are UTC milliseconds (INTEGER); coordinates WGS84 (REAL lon/lat).
 */

const char *const store_migrations[] = {
	/* 1: areas, users, sessions, audit chain */
	"CREATE TABLE area("
	"  code TEXT PRIMARY KEY,"
	"  parent TEXT REFERENCES area(code),"
	"  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL DEFAULT '',"
	"  special INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT NOT NULL DEFAULT '',"
	"  lon REAL, lat REAL,"
	"  point_source TEXT NOT NULL DEFAULT '',"
	"  geom TEXT,"
	"  geom_approx INTEGER NOT NULL DEFAULT 0,"
	"  min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL"
	");"
	"CREATE INDEX area_parent ON area(parent);"
	"CREATE TABLE user("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  display_name TEXT NOT NULL DEFAULT '',"
	"  role TEXT NOT NULL,"
	"  area_code TEXT NOT NULL REFERENCES area(code),"
	"  phone TEXT NOT NULL DEFAULT '',"
	"  password_hash TEXT NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL"
	");"
	"CREATE INDEX user_area ON user(area_code);"
	"CREATE INDEX user_role ON user(role, area_code);"
	"CREATE TABLE session("
	"  token_hash BLOB PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,"
	"  created_ms INTEGER NOT NULL,"
	"  expires_ms INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX session_user ON session(user_id);"
	"CREATE TABLE audit("
	"  id INTEGER PRIMARY KEY,"
	"  ts_ms INTEGER NOT NULL,"
	"  user_id INTEGER,"
	"  username TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object_type TEXT NOT NULL,"
	"  object_id TEXT NOT NULL,"
	"  state_digest TEXT NOT NULL,"
	"  prev_digest TEXT NOT NULL,"
	"  digest TEXT NOT NULL"
	");"
	"CREATE INDEX audit_object ON audit(object_type, object_id);",
};

const int store_migration_count = (int)(sizeof store_migrations / sizeof store_migrations[0]);
