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

	/* 4: warnings (预警), CAP, dispatch to recipients, escalation, transfers (临灾转移) */
	"CREATE TABLE cap_alert("
	"  id INTEGER PRIMARY KEY, identifier TEXT NOT NULL, sender TEXT NOT NULL, sent_ms INTEGER NOT NULL,"
	"  status TEXT NOT NULL, msg_type TEXT NOT NULL, refs TEXT NOT NULL DEFAULT '',"
	"  version TEXT NOT NULL, xml TEXT NOT NULL, received_ms INTEGER NOT NULL, received_by INTEGER,"
	"  warning_id INTEGER);"
	"CREATE UNIQUE INDEX cap_alert_key ON cap_alert(sender, identifier);"
	"CREATE TABLE warning("
	"  id INTEGER PRIMARY KEY, identifier TEXT NOT NULL UNIQUE, version INTEGER NOT NULL DEFAULT 0,"
	"  type TEXT NOT NULL, level TEXT NOT NULL, headline TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '', instruction TEXT NOT NULL DEFAULT '',"
	"  areas TEXT NOT NULL DEFAULT '[]', polygons TEXT NOT NULL DEFAULT '[]',"
	"  onset_ms INTEGER, expires_ms INTEGER NOT NULL, evacuation INTEGER NOT NULL DEFAULT 0,"
	"  source TEXT NOT NULL DEFAULT 'own', cap_alert_id INTEGER REFERENCES cap_alert(id),"
	"  alarm_ids TEXT NOT NULL DEFAULT '[]', state TEXT NOT NULL, area_code TEXT NOT NULL,"
	"  author_id INTEGER NOT NULL REFERENCES user(id), approver_id INTEGER REFERENCES user(id),"
	"  issued_ms INTEGER, cancelled_ms INTEGER, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
	"CREATE INDEX warning_state ON warning(state, area_code);"
	"CREATE TABLE warning_version("
	"  warning_id INTEGER NOT NULL REFERENCES warning(id), version INTEGER NOT NULL,"
	"  msg_type TEXT NOT NULL, sent_ms INTEGER NOT NULL, snapshot TEXT NOT NULL,"
	"  PRIMARY KEY (warning_id, version)) WITHOUT ROWID;"
	"CREATE TABLE recipient("
	"  id INTEGER PRIMARY KEY, warning_id INTEGER NOT NULL REFERENCES warning(id),"
	"  user_id INTEGER REFERENCES user(id), unit_id INTEGER, area_code TEXT NOT NULL,"
	"  channel TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL,"
	"  queued_ms INTEGER NOT NULL, sent_ms INTEGER, delivered_ms INTEGER, read_ms INTEGER,"
	"  acked_ms INTEGER, failed_ms INTEGER, fail_reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_ms INTEGER, escalations INTEGER NOT NULL DEFAULT 0, next_escalation_ms INTEGER);"
	"CREATE UNIQUE INDEX recipient_user_key ON recipient(warning_id, channel, user_id) WHERE user_id IS NOT NULL;"
	"CREATE UNIQUE INDEX recipient_unit_key ON recipient(warning_id, channel, unit_id) WHERE unit_id IS NOT NULL;"
	"CREATE INDEX recipient_user ON recipient(user_id, warning_id);"
	"CREATE INDEX recipient_warning_state ON recipient(warning_id, state);"
	"CREATE INDEX recipient_due ON recipient(next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;"
	"CREATE INDEX recipient_escalation ON recipient(next_escalation_ms) WHERE next_escalation_ms IS NOT NULL;"
	"CREATE TABLE member_unit("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, area_code TEXT NOT NULL REFERENCES area(code),"
	"  webhook_url TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1, created_ms INTEGER NOT NULL);"
	"CREATE TABLE escalation("
	"  id INTEGER PRIMARY KEY, warning_id INTEGER NOT NULL REFERENCES warning(id),"
	"  recipient_id INTEGER NOT NULL REFERENCES recipient(id), step INTEGER NOT NULL,"
	"  from_area TEXT NOT NULL, to_area TEXT NOT NULL, supervisors TEXT NOT NULL DEFAULT '[]',"
	"  created_ms INTEGER NOT NULL, resolved_ms INTEGER);"
	"CREATE INDEX escalation_warning ON escalation(warning_id, resolved_ms);"
	"CREATE TABLE transfer_task("
	"  id INTEGER PRIMARY KEY, warning_id INTEGER NOT NULL REFERENCES warning(id),"
	"  risk_point_id INTEGER REFERENCES risk_point(id), area_code TEXT NOT NULL,"
	"  grid_worker_id INTEGER REFERENCES user(id), planned INTEGER NOT NULL, moved INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL, closed_reason TEXT, closed_ms INTEGER, created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE INDEX transfer_task_warning ON transfer_task(warning_id, state);"
	"CREATE INDEX transfer_task_worker ON transfer_task(grid_worker_id, state);"
	"CREATE TABLE transfer_report("
	"  id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES transfer_task(id),"
	"  user_id INTEGER NOT NULL REFERENCES user(id), idempotency_key TEXT, moved INTEGER NOT NULL,"
	"  shelter_id INTEGER REFERENCES shelter(id), nobody_at_risk INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT, note TEXT, created_ms INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX transfer_report_key ON transfer_report(user_id, idempotency_key);",

	/* 5: lawful enforcement (执法): matters, certificates, draws (双随机), inspections, hazards,
	 * rectification, evidence, penalty cases, coercive measures, case-file review */
	"ALTER TABLE user ADD COLUMN enterprise_id INTEGER REFERENCES enterprise(id);"
	"CREATE TABLE enforcement_matter("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL, legal_basis TEXT NOT NULL DEFAULT '',"
	"  town_delegated INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE inspector_cert("
	"  user_id INTEGER PRIMARY KEY REFERENCES user(id), cert_no TEXT NOT NULL UNIQUE,"
	"  valid_from_ms INTEGER NOT NULL, valid_to_ms INTEGER NOT NULL, expert INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE conflict_of_interest("
	"  user_id INTEGER NOT NULL REFERENCES user(id), enterprise_id INTEGER NOT NULL REFERENCES enterprise(id),"
	"  reason TEXT NOT NULL, declared_ms INTEGER NOT NULL, PRIMARY KEY (user_id, enterprise_id)) WITHOUT ROWID;"
	"CREATE TABLE checklist_template("
	"  sector TEXT PRIMARY KEY, items TEXT NOT NULL, updated_ms INTEGER NOT NULL);"
	"CREATE TABLE inspection_plan("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, year INTEGER NOT NULL, sectors TEXT NOT NULL DEFAULT '[]',"
	"  area_code TEXT NOT NULL REFERENCES area(code), count INTEGER, ratio REAL, weights TEXT NOT NULL,"
	"  inspectors_per INTEGER NOT NULL, state TEXT NOT NULL, created_by INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE draw("
	"  id INTEGER PRIMARY KEY, plan_id INTEGER NOT NULL REFERENCES inspection_plan(id), algorithm TEXT NOT NULL,"
	"  seed TEXT NOT NULL, enterprise_pool TEXT NOT NULL, inspector_pool TEXT NOT NULL,"
	"  enterprise_pool_digest TEXT NOT NULL, inspector_pool_digest TEXT NOT NULL, result TEXT NOT NULL,"
	"  area_code TEXT NOT NULL, drawn_by INTEGER NOT NULL, drawn_ms INTEGER NOT NULL);"
	"CREATE TABLE inspection("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, draw_id INTEGER REFERENCES draw(id),"
	"  enterprise_id INTEGER NOT NULL REFERENCES enterprise(id), area_code TEXT NOT NULL, reason TEXT,"
	"  matter_code TEXT REFERENCES enforcement_matter(code), state TEXT NOT NULL, place TEXT,"
	"  checklist TEXT NOT NULL DEFAULT '[]', findings TEXT NOT NULL DEFAULT '', answered INTEGER,"
	"  inspected_ms INTEGER, created_by INTEGER NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
	"CREATE INDEX inspection_enterprise ON inspection(enterprise_id, inspected_ms);"
	"CREATE TABLE inspection_member("
	"  inspection_id INTEGER NOT NULL REFERENCES inspection(id), user_id INTEGER NOT NULL REFERENCES user(id),"
	"  confirmed_ms INTEGER, PRIMARY KEY (inspection_id, user_id)) WITHOUT ROWID;"
	"CREATE INDEX inspection_member_user ON inspection_member(user_id);"
	"CREATE TABLE attachment("
	"  sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, mime TEXT NOT NULL, name TEXT NOT NULL,"
	"  created_by INTEGER NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE evidence("
	"  owner_type TEXT NOT NULL, owner_id INTEGER NOT NULL, sha256 TEXT NOT NULL REFERENCES attachment(sha256),"
	"  note TEXT NOT NULL DEFAULT '', added_by INTEGER NOT NULL, added_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (owner_type, owner_id, sha256)) WITHOUT ROWID;"
	"CREATE TABLE hazard("
	"  id INTEGER PRIMARY KEY, enterprise_id INTEGER NOT NULL REFERENCES enterprise(id),"
	"  inspection_id INTEGER REFERENCES inspection(id), source TEXT NOT NULL, level TEXT NOT NULL,"
	"  description TEXT NOT NULL, legal_basis TEXT NOT NULL DEFAULT '', deadline_ms INTEGER NOT NULL,"
	"  state TEXT NOT NULL, overdue INTEGER NOT NULL DEFAULT 0, area_code TEXT NOT NULL,"
	"  found_ms INTEGER NOT NULL, closed_ms INTEGER, created_by INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
	"CREATE INDEX hazard_enterprise ON hazard(enterprise_id, state);"
	"CREATE INDEX hazard_due ON hazard(state, deadline_ms);"
	"CREATE TABLE rectification("
	"  id INTEGER PRIMARY KEY, hazard_id INTEGER NOT NULL REFERENCES hazard(id), submitted_by INTEGER NOT NULL,"
	"  note TEXT NOT NULL, submitted_ms INTEGER NOT NULL, verdict TEXT, verdict_by INTEGER, verdict_reason TEXT,"
	"  verdict_ms INTEGER);"
	"CREATE TABLE penalty_case("
	"  id INTEGER PRIMARY KEY, enterprise_id INTEGER REFERENCES enterprise(id), party_type TEXT NOT NULL,"
	"  party_name TEXT NOT NULL, party_id_number TEXT, party_phone TEXT, area_code TEXT NOT NULL,"
	"  matter_code TEXT NOT NULL REFERENCES enforcement_matter(code), inspection_id INTEGER REFERENCES inspection(id),"
	"  title TEXT NOT NULL, facts TEXT NOT NULL DEFAULT '', legal_basis TEXT NOT NULL DEFAULT '',"
	"  fine_yuan REAL NOT NULL DEFAULT 0, revocation INTEGER NOT NULL DEFAULT 0, suspension INTEGER NOT NULL DEFAULT 0,"
	"  major INTEGER NOT NULL DEFAULT 0, hearing_right INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,"
	"  decision_no TEXT UNIQUE, filed_ms INTEGER, deadline_ms INTEGER, extended INTEGER NOT NULL DEFAULT 0,"
	"  decided_ms INTEGER, served_ms INTEGER, executed_ms INTEGER, closed_ms INTEGER, paid_yuan REAL,"
	"  bureau_own INTEGER NOT NULL DEFAULT 1, created_by INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE INDEX penalty_case_state ON penalty_case(state, area_code);"
	"CREATE TABLE case_event("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES penalty_case(id), action TEXT NOT NULL,"
	"  from_state TEXT NOT NULL, to_state TEXT NOT NULL, user_id INTEGER NOT NULL, note TEXT NOT NULL DEFAULT '',"
	"  data TEXT NOT NULL DEFAULT '{}', created_ms INTEGER NOT NULL);"
	"CREATE INDEX case_event_case ON case_event(case_id, id);"
	"CREATE TABLE decision_seq(year INTEGER PRIMARY KEY, next INTEGER NOT NULL);"
	"CREATE TABLE coercive_measure("
	"  id INTEGER PRIMARY KEY, case_id INTEGER REFERENCES penalty_case(id),"
	"  enterprise_id INTEGER NOT NULL REFERENCES enterprise(id), kind TEXT NOT NULL, reason TEXT NOT NULL,"
	"  area_code TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER, created_by INTEGER NOT NULL);"
	"CREATE TABLE case_review("
	"  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES penalty_case(id),"
	"  reviewer_id INTEGER NOT NULL REFERENCES user(id), items TEXT NOT NULL, score REAL NOT NULL,"
	"  problems TEXT NOT NULL DEFAULT '', year INTEGER NOT NULL, created_ms INTEGER NOT NULL);",

	/* 6: open escalations by recipient (each acknowledgement resolves its own) and by the
	 * supervisors' area (each inbox lists those addressed to it) */
	"CREATE INDEX escalation_open_recipient ON escalation(recipient_id) WHERE resolved_ms IS NULL;"
	"CREATE INDEX escalation_open_area ON escalation(to_area) WHERE resolved_ms IS NULL;",

	/* 7: a warning's recipients by id, without their state: an acknowledgement then changes
	 * no entry of this index (it moved one from 'delivered' to 'acknowledged' before, two
	 * random pages written per ack); the loop counts read the rows for their area anyway */
	"DROP INDEX recipient_warning_state;"
	"CREATE INDEX recipient_warning ON recipient(warning_id);",

	/* 8: the audit log by object was an index every audited write inserted into at a random
	 * place (acknowledgements come in no order): half the pages an ack wrote. Only the offline
	 * `yingji audit verify` groups by object, and it reads the whole log anyway */
	"DROP INDEX audit_object;",

	/* 9: the version of the audit projection a record's state digest was made with (0: before
	 * projections, the API's JSON then; verify compares only versioned states) */
	"ALTER TABLE audit ADD COLUMN state_version INTEGER NOT NULL DEFAULT 0;",

	/* 10: the answers of requests sent with an Idempotency-Key (the HTTP layer's), kept a day */
	"CREATE TABLE idempotency("
	"  user_id INTEGER NOT NULL, idem_key TEXT NOT NULL, request_hash BLOB NOT NULL,"
	"  status INTEGER NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL, created_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, idem_key));"
	"CREATE INDEX idempotency_created ON idempotency(created_ms);",

	/* 11: the references of each received CAP alert, by the alert they name: an Update or
	 * Cancel that arrives before the alert it refers to (feeds do that) is found and linked
	 * when that alert arrives. Filled from cap_alert.refs for the alerts already received */
	"CREATE TABLE cap_alert_ref("
	"  alert_id INTEGER NOT NULL REFERENCES cap_alert(id), sender TEXT NOT NULL, identifier TEXT NOT NULL,"
	"  sent TEXT NOT NULL, PRIMARY KEY (alert_id, sender, identifier));"
	"CREATE INDEX cap_alert_ref_target ON cap_alert_ref(sender, identifier);"
	"INSERT INTO cap_alert_ref(alert_id, sender, identifier, sent)"
	"  SELECT c.id, json_extract(r.value, '$.sender'), json_extract(r.value, '$.identifier'),"
	"         coalesce(json_extract(r.value, '$.sent'), '')"
	"  FROM cap_alert c, json_each(CASE WHEN json_valid(c.refs) THEN c.refs ELSE '[]' END) r"
	"  WHERE json_type(r.value) = 'object'"
	"    AND json_extract(r.value, '$.sender') IS NOT NULL AND json_extract(r.value, '$.identifier') IS NOT NULL"
	"  ON CONFLICT DO NOTHING;",

	/* 12: the issuing authorities (the registry's): who decides and issues in each jurisdiction's name */
	"CREATE TABLE authority("
	"  area_code TEXT PRIMARY KEY REFERENCES area(code), name TEXT NOT NULL, short_name TEXT NOT NULL,"
	"  cap_sender TEXT NOT NULL, decision_prefix TEXT NOT NULL, reconsideration TEXT NOT NULL, court TEXT NOT NULL,"
	"  payment_account_name TEXT NOT NULL, payment_account TEXT NOT NULL, payment_bank TEXT NOT NULL,"
	"  updated_ms INTEGER NOT NULL);",

	/* 13: each penalty decision is numbered by its deciding authority (汕应急罚〔2026〕1号,
	 * 陆河应急罚〔2026〕1号): the sequence per authority and year, and the authority a case is
	 * decided by. The old per-year counters are dropped: a new counter starts after the numbers
	 * its prefix already has (case_db.c); decided cases get the authority whose prefix they carry */
	"CREATE TABLE decision_seq_by_authority("
	"  authority_code TEXT NOT NULL, year INTEGER NOT NULL, next INTEGER NOT NULL,"
	"  PRIMARY KEY (authority_code, year));"
	"DROP TABLE decision_seq;"
	"ALTER TABLE decision_seq_by_authority RENAME TO decision_seq;"
	"ALTER TABLE penalty_case ADD COLUMN authority_code TEXT;"
	"UPDATE penalty_case SET authority_code = (SELECT a.area_code FROM authority a"
	"  WHERE penalty_case.decision_no LIKE a.decision_prefix || '〔%') WHERE decision_no IS NOT NULL;",

	/* 14: why a transfer task closed is a code (all_moved, nobody_at_risk, warning_cancelled), not English
	 * words; a task closed with a grid worker's own words was closed by a nobody-at-risk report (the words
	 * stay in that report) */
	"UPDATE transfer_task SET closed_reason = CASE closed_reason"
	"  WHEN 'all planned persons moved' THEN 'all_moved' WHEN 'warning cancelled' THEN 'warning_cancelled'"
	"  ELSE 'nobody_at_risk' END"
	"  WHERE closed_reason IS NOT NULL AND closed_reason NOT IN ('all_moved', 'nobody_at_risk', 'warning_cancelled');",

	/* 15: telemetry stored once: a position once per (device, time), a reading once per
	 * (device, metric, time), so that a batch sent again (its answer lost in a crash, an
	 * MQTT redelivery) finds its reports there. The copies stored twice before go first (the
	 * first stored stays); unique indexes on the same columns replace the plain ones. And
	 * each device's latest state in one row (newest position, time of the newest reading,
	 * newest receipt), written by the telemetry writer, with the mark of the rows of
	 * position and reading it holds everything up to (rowid): a start reads one row a
	 * device and the reports after the mark instead of the whole history. Filled here from
	 * the history, once. */
	"DELETE FROM position WHERE rowid NOT IN (SELECT min(rowid) FROM position GROUP BY device_id, ts_ms);"
	"DROP INDEX position_device_ts;"
	"CREATE UNIQUE INDEX position_device_ts ON position(device_id, ts_ms);"
	"DELETE FROM reading WHERE rowid NOT IN (SELECT min(rowid) FROM reading GROUP BY device_id, metric, ts_ms);"
	"DROP INDEX reading_device_metric_ts;"
	"CREATE UNIQUE INDEX reading_device_metric_ts ON reading(device_id, metric, ts_ms);"
	"CREATE TABLE device_state("
	"  device_id TEXT PRIMARY KEY, pos_ts_ms INTEGER, lon REAL, lat REAL, speed_kmh REAL, heading REAL,"
	"  reading_ts_ms INTEGER, last_seen_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO device_state(device_id, pos_ts_ms, lon, lat, speed_kmh, heading, last_seen_ms)"
	"  SELECT p.device_id, p.ts_ms, p.lon, p.lat, p.speed_kmh, p.heading, m.seen FROM position p"
	"  JOIN (SELECT device_id, max(ts_ms) AS ts, max(received_ms) AS seen FROM position GROUP BY device_id) m"
	"    ON m.device_id = p.device_id AND m.ts = p.ts_ms;"
	"INSERT INTO device_state(device_id, reading_ts_ms, last_seen_ms)"
	"  SELECT device_id, max(ts_ms), max(received_ms) FROM reading WHERE true GROUP BY device_id"
	"  ON CONFLICT (device_id) DO UPDATE SET reading_ts_ms = excluded.reading_ts_ms,"
	"    last_seen_ms = CASE WHEN excluded.last_seen_ms > last_seen_ms THEN excluded.last_seen_ms"
	"                        ELSE last_seen_ms END;"
	"CREATE TABLE device_state_mark(source TEXT PRIMARY KEY, through INTEGER NOT NULL);"
	"INSERT INTO device_state_mark(source, through) SELECT 'position', coalesce(max(rowid), 0) FROM position;"
	"INSERT INTO device_state_mark(source, through) SELECT 'reading', coalesce(max(rowid), 0) FROM reading;",

	/* 16: what an alarm measured and how it was judged, kept with the alarm (its rule may change
	 * later): threshold: metric, aggregation, window, comparison, threshold; geofence: trigger
	 * and the fence's name; offline: the window without data. Filled from the rules for the
	 * alarms already raised. */
	"ALTER TABLE alarm ADD COLUMN metric TEXT;"
	"ALTER TABLE alarm ADD COLUMN agg TEXT;"
	"ALTER TABLE alarm ADD COLUMN window_s INTEGER;"
	"ALTER TABLE alarm ADD COLUMN op TEXT;"
	"ALTER TABLE alarm ADD COLUMN threshold REAL;"
	"ALTER TABLE alarm ADD COLUMN fence_trigger TEXT;"
	"ALTER TABLE alarm ADD COLUMN fence_name TEXT;"
	"UPDATE alarm SET"
	"  metric = (SELECT json_extract(r.spec, '$.metric') FROM rule r WHERE r.id = alarm.rule_id),"
	"  agg = (SELECT coalesce(json_extract(r.spec, '$.agg'), 'last') FROM rule r WHERE r.id = alarm.rule_id),"
	"  window_s = (SELECT json_extract(r.spec, '$.window_s') FROM rule r WHERE r.id = alarm.rule_id),"
	"  op = (SELECT json_extract(r.spec, '$.op') FROM rule r WHERE r.id = alarm.rule_id),"
	"  threshold = (SELECT json_extract(r.spec, '$.value') FROM rule r WHERE r.id = alarm.rule_id)"
	"  WHERE rule_id IN (SELECT id FROM rule WHERE kind = 'threshold');"
	"UPDATE alarm SET"
	"  fence_trigger = (SELECT coalesce(json_extract(r.spec, '$.trigger'), 'enter') FROM rule r WHERE r.id = alarm.rule_id),"
	"  fence_name = (SELECT coalesce((SELECT a.name FROM area a WHERE a.code = json_extract(r.spec, '$.area')), r.name)"
	"                FROM rule r WHERE r.id = alarm.rule_id)"
	"  WHERE rule_id IN (SELECT id FROM rule WHERE kind = 'geofence');"
	"UPDATE alarm SET"
	"  window_s = (SELECT json_extract(r.spec, '$.minutes') * 60 FROM rule r WHERE r.id = alarm.rule_id)"
	"  WHERE rule_id IN (SELECT id FROM rule WHERE kind = 'offline');",
};

const int store_migration_count = (int)(sizeof store_migrations / sizeof store_migrations[0]);
