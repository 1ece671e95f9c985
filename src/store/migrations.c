/*
 * migrations.c — the schema, as numbered migrations applied in order at
 * start (PRAGMA user_version holds how many ran). Never edit a migration
 * that has shipped; add a new one at the end.
 *
 * Times are UTC milliseconds (INTEGER); coordinates WGS84 (REAL lon/lat).
 */


/* common columns of every registry entity */
#define ENTITY_COLUMNS                                                                          \
	"  id INTEGER PRIMARY KEY,"                                                             \
	"  name TEXT NOT NULL,"                                                                 \
	"  area_code TEXT NOT NULL REFERENCES area(code),"                                      \
	"  lon REAL, lat REAL,"                                                                 \
	"  note TEXT NOT NULL DEFAULT '',"                                                      \
	"  created_ms INTEGER NOT NULL,"                                                        \
	"  updated_ms INTEGER NOT NULL,"

/* an R*Tree of the points of table T, kept in step by triggers (imports included) */
#define ENTITY_INDEXES(T)                                                                        \
	"CREATE INDEX " T "_area ON " T "(area_code);"                                           \
	"CREATE VIRTUAL TABLE " T "_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);" \
	"CREATE TRIGGER " T "_ai AFTER INSERT ON " T " WHEN new.lon IS NOT NULL BEGIN "          \
	"  INSERT INTO " T "_rtree VALUES (new.id, new.lon, new.lon, new.lat, new.lat); END;"    \
	"CREATE TRIGGER " T "_au AFTER UPDATE OF lon, lat ON " T " BEGIN "                       \
	"  DELETE FROM " T "_rtree WHERE id = old.id;"                                          \
	"  INSERT INTO " T "_rtree SELECT new.id, new.lon, new.lon, new.lat, new.lat "           \
	"    WHERE new.lon IS NOT NULL; END;"                                                    \
	"CREATE TRIGGER " T "_ad AFTER DELETE ON " T " BEGIN "                                   \
	"  DELETE FROM " T "_rtree WHERE id = old.id; END;"

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

	/* 2: the registry of the command map (民情地图) */
	"CREATE TABLE enterprise(" ENTITY_COLUMNS
	"  credit_code TEXT NOT NULL UNIQUE, sectors TEXT NOT NULL DEFAULT '[]', risk_grade TEXT,"
	"  contact TEXT, phone TEXT, principal TEXT, address TEXT);" ENTITY_INDEXES("enterprise")
	"CREATE TABLE hazard_source(" ENTITY_COLUMNS
	"  enterprise_id INTEGER NOT NULL REFERENCES enterprise(id), level INTEGER NOT NULL,"
	"  substances TEXT NOT NULL DEFAULT '[]');" ENTITY_INDEXES("hazard_source")
	"CREATE INDEX hazard_source_enterprise ON hazard_source(enterprise_id);"
	"CREATE TABLE risk_point(" ENTITY_COLUMNS
	"  type TEXT NOT NULL, level TEXT, population INTEGER,"
	"  grid_worker_id INTEGER REFERENCES user(id), shelter_ids TEXT NOT NULL DEFAULT '[]');"
	ENTITY_INDEXES("risk_point")
	"CREATE INDEX risk_point_grid_worker ON risk_point(grid_worker_id);"
	"CREATE TABLE shelter(" ENTITY_COLUMNS
	"  kind TEXT, capacity INTEGER, area_m2 REAL, facilities TEXT NOT NULL DEFAULT '[]',"
	"  status TEXT, contact TEXT, phone TEXT);" ENTITY_INDEXES("shelter")
	"CREATE TABLE warehouse(" ENTITY_COLUMNS
	"  level TEXT NOT NULL, manager TEXT, phone TEXT, area_m2 REAL);" ENTITY_INDEXES("warehouse")
	"CREATE TABLE rescue_team(" ENTITY_COLUMNS
	"  level TEXT NOT NULL, members INTEGER, specialties TEXT NOT NULL DEFAULT '[]',"
	"  equipment TEXT, leader TEXT, phone TEXT);" ENTITY_INDEXES("rescue_team")
	"CREATE TABLE camera(" ENTITY_COLUMNS
	"  network TEXT NOT NULL, stream_url TEXT, status TEXT NOT NULL DEFAULT 'online',"
	"  channel_code TEXT);" ENTITY_INDEXES("camera")
	"CREATE INDEX camera_network ON camera(network);"
	"CREATE TABLE water_source(" ENTITY_COLUMNS
	"  kind TEXT, capacity_m3 REAL);" ENTITY_INDEXES("water_source"),

	/* 3: monitoring: devices, positions, readings, rules, alarms */
	"CREATE TABLE device("
	"  id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',"
	"  owner TEXT NOT NULL DEFAULT '', area_code TEXT NOT NULL REFERENCES area(code),"
	"  key_hash BLOB NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
	"CREATE INDEX device_area ON device(area_code);"
	"CREATE TABLE position("
	"  device_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,"
	"  speed_kmh REAL, heading REAL, received_ms INTEGER NOT NULL);"
	"CREATE INDEX position_device_ts ON position(device_id, ts_ms);"
	"CREATE TABLE reading("
	"  device_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL,"
	"  received_ms INTEGER NOT NULL);"
	"CREATE INDEX reading_device_metric_ts ON reading(device_id, metric, ts_ms);"
	"CREATE TABLE rule("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, level TEXT NOT NULL,"
	"  area_code TEXT NOT NULL REFERENCES area(code), enabled INTEGER NOT NULL DEFAULT 1,"
	"  spec TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
	"CREATE TABLE alarm("
	"  id INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL REFERENCES rule(id),"
	"  device_id TEXT NOT NULL, level TEXT NOT NULL, state TEXT NOT NULL,"
	"  area_code TEXT NOT NULL, message TEXT NOT NULL DEFAULT '', value REAL, lon REAL, lat REAL,"
	"  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, raised_ms INTEGER NOT NULL,"
	"  cleared_ms INTEGER, acked_ms INTEGER, acked_by INTEGER REFERENCES user(id),"
	"  closed_ms INTEGER, closed_by INTEGER REFERENCES user(id));"
	"CREATE INDEX alarm_state ON alarm(state, area_code);"
	"CREATE INDEX alarm_rule_device ON alarm(rule_id, device_id);",
};

const int store_migration_count = (int)(sizeof store_migrations / sizeof store_migrations[0]);
