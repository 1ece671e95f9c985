/*
 * static.c — files of web/ served as they are.
 *
 * The path is checked segment by segment (no "..", no hidden files, no
 * backslashes), then resolved with realpath and required to stay inside the
 * web folder, so neither tricks in the URL nor symlinks reach other files.
 * "/" and folders answer their index.html.
 */
#include <limits.h>
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

int http_static_serve(const char *web_dir, const char *path, http_res *res, yj_err *e)
{
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
	if (!realpath(want, real) || strncmp(real, root, rootlen) != 0 ||
	    (real[rootlen] != '/' && real[rootlen] != 0))
		return yj_fail(e, YJ_ENOTFOUND, "", "no such page: %.100s", path);
	size_t len;
	char *data = yj_read_file(real, &len, NULL);
	if (!data)
		return yj_fail(e, YJ_ENOTFOUND, "", "no such page: %.100s", path);
	res->status = 200;
	res->body = data;
	res->body_len = len;
	res->content_type = type_for(real);
	return 0;
}
