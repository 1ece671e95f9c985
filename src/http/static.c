/*
 * static.c — files of web/ served as they are, with validators.
 *
 * The path is checked segment by segment (no "..", no hidden files, no
 * backslashes), then resolved with realpath and required to stay inside the
 * web folder, so neither tricks in the URL nor symlinks reach other files.
 * "/" and folders answer their index.html.
 *
 * Each file is read once and kept with a strong ETag (a hash of its bytes)
 * and, when it is text worth it, its gzip at the best level; a change on
 * disk (size or modification time) reads it again. A request whose
 * If-None-Match names the current ETag gets 304 and no body. Pages and the
 * app's own scripts are revalidated on every load (no-cache); a URL that
 * names its version (?v=…, as the pages do for the vendor libraries) may
 * be kept for a year.
 */
#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http/http_int.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".geojson", "application/geo+json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".jpg", "image/jpeg"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".map", "application/json"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *type_for(const char *path)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < YJ_ARRAY_LEN(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static bool safe_url_path(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	for (const char *s = p; *s; s++)
		if (*s == '\\' || (unsigned char)*s < 0x20)
			return false;
	/* no segment may start with '.' (covers "..", ".git", ".env") */
	for (const char *s = p; (s = strchr(s, '/')); s++)
		if (s[1] == '.')
			return false;
	return true;
}

/* ---- the file cache ------------------------------------------------------------------------- */

typedef struct static_file {
	char *data, *gz;
	size_t len, gzlen;
	off_t size;
	struct timespec mtime;
	char etag[24];
	const char *type;
} static_file;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *cache; /* real path -> static_file */

static void file_free(gpointer p)
{
	static_file *f = p;
	free(f->data);
	free(f->gz);
	free(f);
}

static static_file *file_load(const char *real, const struct stat *sb)
{
	size_t len;
	char *data = yj_read_file(real, &len, NULL);
	if (!data)
		return NULL;
	static_file *f = yj_calloc(1, sizeof *f);
	f->data = data;
	f->len = len;
	f->size = sb->st_size;
	f->mtime = sb->st_mtim;
	f->type = type_for(real);
	uint64_t h = 1469598103934665603ull; /* FNV-1a of the bytes: strong enough for a validator */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 1099511628211ull;
	snprintf(f->etag, sizeof f->etag, "\"%016llx\"", (unsigned long long)h);
	if (http_compressible(f->type, len)) {
		f->gz = http_gzip(data, len, 9, &f->gzlen);
		if (f->gz && f->gzlen >= len) {
			free(f->gz);
			f->gz = NULL;
		}
	}
	return f;
}

/* the client's If-None-Match names etag ("*" or a list) */
static bool not_modified(const http_req *req, const char *etag)
{
	const char *inm = http_header(req, "If-None-Match");
	if (!inm)
		return false;
	if (strcmp(inm, "*") == 0)
		return true;
	/* a weak match is enough for GET (RFC 9110 §13.1.2): W/"x" matches "x" */
	const char *bare = etag;
	for (const char *p = inm; (p = strstr(p, bare)); p += strlen(bare))
		return true;
	return false;
}

int http_static_serve(const char *web_dir, http_req *req, http_res *res, yj_err *e)
{
	const char *path = req->path;
	if (!web_dir || !safe_url_path(path))
		return yj_fail(e, YJ_ENOTFOUND, "", "no such page: %.100s", path ? path : "");
	char root[PATH_MAX], want[PATH_MAX * 2], real[PATH_MAX];
	if (!realpath(web_dir, root))
		return yj_fail(e, YJ_ENOTFOUND, "", "no such page");
	snprintf(want, sizeof want, "%s%s", root, path);
	struct stat sb;
	if (stat(want, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		size_t n = strlen(want);
		snprintf(want + n, sizeof want - n, "%sindex.html", want[n - 1] == '/' ? "" : "/");
	}
	size_t rootlen = strlen(root);
	if (!realpath(want, real) || strncmp(real, root, rootlen) != 0 || (real[rootlen] != '/' && real[rootlen] != 0) ||
	    stat(real, &sb) != 0 || !S_ISREG(sb.st_mode))
		return yj_fail(e, YJ_ENOTFOUND, "", "no such page: %.100s", path);

	pthread_mutex_lock(&cache_lock);
	if (!cache)
		cache = g_hash_table_new_full(g_str_hash, g_str_equal, free, file_free);
	static_file *f = g_hash_table_lookup(cache, real);
	if (!f || f->size != sb.st_size || f->mtime.tv_sec != sb.st_mtim.tv_sec || f->mtime.tv_nsec != sb.st_mtim.tv_nsec) {
		f = file_load(real, &sb);
		if (!f) {
			pthread_mutex_unlock(&cache_lock);
			return yj_fail(e, YJ_ENOTFOUND, "", "no such page: %.100s", path);
		}
		g_hash_table_replace(cache, yj_strdup(real), f);
	}
	/* copy out under the lock: the entry may be replaced once we let go */
	char etag[24];
	snprintf(etag, sizeof etag, "%s", f->etag);
	bool gz = f->gz && http_accepts_gzip(req);
	res->content_type = f->type;
	res->status = 200;
	if (not_modified(req, etag)) {
		res->status = 304;
		res->body = NULL;
		res->body_len = 0;
	} else if (gz) {
		res->body = yj_malloc(f->gzlen);
		memcpy(res->body, f->gz, f->gzlen);
		res->body_len = f->gzlen;
	} else {
		res->body = yj_malloc(f->len ? f->len : 1);
		memcpy(res->body, f->data, f->len);
		res->body_len = f->len;
	}
	bool compressible = f->gz != NULL;
	pthread_mutex_unlock(&cache_lock);

	http_add_header(req, res, "ETag", etag);
	if (compressible)
		res->encoded = true; /* Vary: Accept-Encoding, and not compressed again */
	if (gz && res->status == 200)
		http_add_header(req, res, "Content-Encoding", "gzip");
	http_add_header(req, res, "Cache-Control",
	                http_query(req, "v") ? "public, max-age=31536000, immutable" : "no-cache");
	return 0;
}
