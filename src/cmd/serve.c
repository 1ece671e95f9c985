/*
 * serve.c — `yingji serve`: open the store, build the in-memory indexes,
 * register every module's routes, serve until SIGINT or SIGTERM, then stop
 * gracefully (in-flight requests finish; the store closes cleanly).
 *
 * Signals are blocked in every thread and taken synchronously by the main
 * thread with sigwait, so no handler runs in an async-signal context.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cmd/cmd.h"
#include "http/http.h"
#include "registry/registry.h"
#include "store/store.h"
#include "telemetry/telemetry.h"
#include "warning/warning.h"
#include "dispatch/dispatch.h"
#include "enforce/enforce.h"
#include "geo/geo.h"
#include "sched/sched.h"
#include "stats/stats.h"

/*
 * The modules of a running server, in the order they start; they stop in
 * the reverse order (the scheduler first, the sessions last), after the
 * MQTT client and the HTTP server. A start that fails stops the ones
 * already started. routes registers a module's HTTP routes (before HTTP
 * starts).
 */
static disp_config dispatch_config;

static int start_areas(store *s, yj_err *e)
{
	return geo_area_dir_load(s, e);
}
static int start_telemetry(store *s, yj_err *e)
{
	return tel_start(s, NULL, e);
}
static int start_group(store *s, yj_err *e)
{
	return store_group_start(e);
}
static int start_dispatch(store *s, yj_err *e)
{
	return disp_start(&dispatch_config, e);
}
static int start_warnings(store *s, yj_err *e)
{
	warn_start(s);
	return 0;
}
static int start_enforce(store *s, yj_err *e)
{
	return enf_start(s, NULL, e);
}
static int start_scheduler(store *s, yj_err *e)
{
	return sched_start(e);
}

typedef struct module_life {
	const char *name;
	int (*start)(store *s, yj_err *e);
	void (*stop)(void);
	void (*routes)(void);
} module_life;

static const module_life modules[] = {
	{"areas", start_areas, NULL, NULL},
	{"sessions", auth_sessions_load, auth_sessions_forget, auth_api_register},
	{"registry", reg_start, reg_stop, reg_api_register},
	{"telemetry", start_telemetry, tel_stop, tel_api_register},
	{"rules", warn_rules_start, warn_rules_stop, NULL},
	{"group writer", start_group, store_group_stop, NULL},
	{"dispatch", start_dispatch, disp_stop, disp_api_register},
	{"warnings", start_warnings, NULL, warn_api_register},
	{"enforcement", start_enforce, NULL, enf_api_register},
	{"figures", NULL, NULL, stats_api_register},
	{"scheduler", start_scheduler, sched_stop, NULL},
};

/* stop the first n modules, last first */
static void modules_stop(size_t n)
{
	while (n-- > 0)
		if (modules[n].stop)
			modules[n].stop();
}

/* start every module; on failure the started ones are stopped and *e names the one that failed */
static int modules_start(store *s, yj_err *e)
{
	for (size_t i = 0; i < YJ_ARRAY_LEN(modules); i++) {
		if (modules[i].start && modules[i].start(s, e)) {
			yj_log(YJ_LOG_ERROR, "start_failed", "module=\"%s\" message=\"%s\"", modules[i].name, e->message);
			modules_stop(i);
			return -1;
		}
		if (modules[i].routes)
			modules[i].routes();
	}
	return 0;
}

static void help(void)
{
	printf("usage: yingji serve --db PATH [--listen HOST:PORT] [--web DIR] [options]\n\n"
	       "  --db PATH            SQLite database (created and migrated if needed)\n"
	       "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; port 0 = any free)\n"
	       "  --web DIR            static web UI folder (default: none)\n"
	       "  --threads N          HTTP worker threads (default 4 x cores, at least 8)\n"
	       "  --body-limit BYTES   largest request body (default 1048576)\n"
	       "  --session-ttl SEC    how long a login lasts (default 43200)\n"
	       "  --port-file FILE     write the bound port to FILE once listening\n"
	       "  --log-level LEVEL    debug, info, warn or error (default info)\n"
	       "  --mqtt URL           take telemetry from an MQTT broker (mqtt://HOST:PORT)\n"
	       "  --mqtt-topic TOPIC   topic filter to subscribe at QoS 1 (default yingji/telemetry/#)\n"
	       "  --webhook-secret-file FILE  key to sign webhook deliveries (HMAC-SHA256)\n"
	       "  --ack-limits LIST    minutes to acknowledge before escalation, by level\n"
	       "                       (default red=10,orange=20,yellow=30,blue=60)\n"
	       "  --mmap-mb N          MiB of the database each connection reads through mmap\n"
	       "                       (default 1024; 0 = pread, cheaper under many small writes)\n"
	       "  --drill              drill mode: member units get log records, no webhooks are sent\n"
	       "  --cap-sender ID      the CAP <sender> of warnings whose jurisdiction has no issuing\n"
	       "                       authority (table authority; default yingji@emergency-bureau.example)\n"
	       "  --max-client-connections N  open connections one client address may have (default 4096;\n"
	       "                       behind a proxy every client shares its address: raise it)\n"
	       "  --body-memory-mb N   request bodies held in memory at once, all clients (default 512)\n"
	       "  --statement-days N   working days a party has to state and defend after a penalty notice\n"
	       "                       (陈述、申辩期限; default 3, 1..30)\n");
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},         {"listen", required_argument, NULL, 'l'},
		{"web", required_argument, NULL, 'w'},        {"threads", required_argument, NULL, 't'},
		{"body-limit", required_argument, NULL, 'b'}, {"session-ttl", required_argument, NULL, 's'},
		{"port-file", required_argument, NULL, 'p'},  {"log-level", required_argument, NULL, 'v'},
		{"mqtt", required_argument, NULL, 'm'},       {"mqtt-topic", required_argument, NULL, 'T'},
		{"webhook-secret-file", required_argument, NULL, 'W'}, {"ack-limits", required_argument, NULL, 'A'},
		{"drill", no_argument, NULL, 'D'},            {"cap-sender", required_argument, NULL, 'C'},
		{"mmap-mb", required_argument, NULL, 'M'},
		{"max-client-connections", required_argument, NULL, 'K'}, {"body-memory-mb", required_argument, NULL, 'B'},
		{"statement-days", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},             {0, 0, 0, 0},
	};
	const char *db = NULL, *port_file = NULL, *mqtt = NULL, *mqtt_topic = NULL;
	disp_config dcfg = {.ack_limit_min = {60, 30, 20, 10}};
	char secret[512] = "";
	http_config cfg = {.listen = "127.0.0.1:8080"};
	yj_err e = {0};
	long v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 'w': cfg.web_dir = optarg; break;
		case 'p': port_file = optarg; break;
		case 'm': mqtt = optarg; break;
		case 'T': mqtt_topic = optarg; break;
		case 'D': dcfg.drill = true; break;
		case 'C': warn_set_cap_sender(optarg); break;
		case 'W': {
			FILE *f = fopen(optarg, "r");
			if (!f || !fgets(secret, sizeof secret, f)) {
				if (f)
					fclose(f);
				return cmd_usage_error("serve", "--webhook-secret-file: cannot read %s", optarg);
			}
			fclose(f);
			secret[strcspn(secret, "\r\n")] = 0;
			if (strlen(secret) < 16)
				return cmd_usage_error("serve", "--webhook-secret-file: the secret must be at least 16 characters");
			dcfg.webhook_secret = secret;
			break;
		}
		case 'A': {
			char list[256];
			snprintf(list, sizeof list, "%s", optarg);
			for (char *save = NULL, *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
				char *eq = strchr(it, '=');
				long minutes;
				int lvl = eq ? (*eq = 0, disp_level_index(it)) : -1;
				if (lvl < 0 || yj_parse_long(eq + 1, 1, 10080, &minutes, "ack-limits", &e))
					return cmd_usage_error("serve", "--ack-limits: expected level=minutes,... (levels blue, yellow, orange, red)");
				dcfg.ack_limit_min[lvl] = (int)minutes;
			}
			break;
		}
		case 't':
			if (yj_parse_long(optarg, 1, 256, &v, "threads", &e))
				return cmd_usage_error("serve", "--threads: %s", e.message);
			cfg.threads = (unsigned)v;
			break;
		case 'b':
			if (yj_parse_long(optarg, 1024, 1L << 30, &v, "body-limit", &e))
				return cmd_usage_error("serve", "--body-limit: %s", e.message);
			cfg.body_limit = (size_t)v;
			break;
		case 's':
			if (yj_parse_long(optarg, 60, 30L * 24 * 3600, &v, "session-ttl", &e))
				return cmd_usage_error("serve", "--session-ttl: %s", e.message);
			auth_set_session_ttl((int64_t)v * 1000);
			break;
		case 'v':
			if (strcmp(optarg, "debug") == 0)
				yj_log_set_level(YJ_LOG_DEBUG);
			else if (strcmp(optarg, "info") == 0)
				yj_log_set_level(YJ_LOG_INFO);
			else if (strcmp(optarg, "warn") == 0)
				yj_log_set_level(YJ_LOG_WARN);
			else if (strcmp(optarg, "error") == 0)
				yj_log_set_level(YJ_LOG_ERROR);
			else
				return cmd_usage_error("serve", "--log-level: '%s' is not debug, info, warn or error",
				                       optarg);
			break;
		case 'M':
			if (yj_parse_long(optarg, 0, 65536, &v, "mmap-mb", &e))
				return cmd_usage_error("serve", "--mmap-mb: %s", e.message);
			store_set_mmap_size((int64_t)v << 20);
			break;
		case 'K':
			if (yj_parse_long(optarg, 1, 1000000, &v, "max-client-connections", &e))
				return cmd_usage_error("serve", "--max-client-connections: %s", e.message);
			cfg.client_conns = (unsigned)v;
			break;
		case 'B':
			if (yj_parse_long(optarg, 16, 1L << 20, &v, "body-memory-mb", &e))
				return cmd_usage_error("serve", "--body-memory-mb: %s", e.message);
			cfg.body_memory = (size_t)v << 20;
			break;
		case 'S':
			if (yj_parse_long(optarg, 1, 30, &v, "statement-days", &e) || enf_set_statement_days((int)v))
				return cmd_usage_error("serve", "--statement-days: %s", e.message);
			break;
		case 'h': help(); return 0;
		default: return cmd_usage_error("serve", "unknown or incomplete option '%s'",
		                                cmd_bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return cmd_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!db)
		return cmd_usage_error("serve", "--db PATH is required");
	if (cmd_startup())
		return 1;

	/* block the stop signals before any thread starts, so they all inherit the mask */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (store_open(db, &e))
		return cmd_fail("serve", &e);
	dispatch_config = dcfg;
	yj_log(YJ_LOG_INFO, "errors_zh", "messages=%zu", yj_msg_load()); /* the catalog, parsed once */
	if (modules_start(store_thread(), &e)) {
		store_close_all();
		return cmd_fail("serve", &e);
	}

	unsigned port;
	if (http_start(&cfg, &port, &e) || (mqtt && tel_mqtt_start(mqtt, mqtt_topic, &e))) {
		tel_mqtt_stop();
		http_stop();
		modules_stop(YJ_ARRAY_LEN(modules));
		store_close_all();
		return cmd_fail("serve", &e);
	}
	yj_log(YJ_LOG_INFO, "listening", "listen=%s port=%u db=%s web=%s", cfg.listen, port, db,
	       cfg.web_dir ? cfg.web_dir : "-");
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	int sig = 0;
	sigwait(&stop, &sig);
	yj_log(YJ_LOG_INFO, "stopping", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* MQTT first (its callback may wait on the writer), then HTTP, then the modules, last first */
	tel_mqtt_stop();
	http_stop();
	modules_stop(YJ_ARRAY_LEN(modules));
	store_close_all();
	yj_log(YJ_LOG_INFO, "stopped", "db=%s", db);
	return 0;
}
