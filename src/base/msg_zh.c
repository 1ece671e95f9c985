/*
 * msg_zh.c — the Chinese of the server's error messages (错误提示的中文).
 *
 * data/i18n/errors.zh.tsv holds one line per message format: the English
 * format as the code passes it to yj_fail (after the compiler joined its
 * literals and expanded PRId64 and the like), a TAB, the Chinese format.
 * The file is pulled into .rodata with .incbin (as workdays.c does for the
 * holiday calendar), parsed once into an array sorted by the English and
 * searched with bsearch, so that fail_v can format the Chinese beside the
 * English with the same arguments. Only the error path pays: the table is
 * built on the first lookup (or at start, by yj_msg_load) and never changes.
 *
 * A line whose Chinese does not carry the English's conversion specifiers
 * in the same order would read the arguments wrongly: it is dropped with a
 * log line, as is a second line for the same English. An empty or
 * unreadable catalog leaves every message English.
 *
 * Not here: which language a request wants (src/http/kit.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

#ifndef YJ_DATA_DIR
#error "YJ_DATA_DIR must name the data folder (the Makefile passes it)"
#endif

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".type yj_errors_zh_tsv, @object\n"
	"yj_errors_zh_tsv:\n"
	".incbin \"" YJ_DATA_DIR "/i18n/errors.zh.tsv\"\n"
	"yj_errors_zh_tsv_end:\n"
	".byte 0\n"
	".popsection\n");
extern const char yj_errors_zh_tsv[], yj_errors_zh_tsv_end[];

typedef struct msg_pair {
	const char *en, *zh;
} msg_pair;

static struct {
	msg_pair *pairs; /* sorted by en; lives as long as the process */
	size_t n;
	char *text;      /* the unescaped copy the pairs point into */
} cat;
static pthread_once_t cat_once = PTHREAD_ONCE_INIT;

size_t yj_msg_specifiers(const char *fmt, char out[][16], size_t max)
{
	size_t n = 0;
	for (const char *p = fmt; (p = strchr(p, '%')) != NULL;) {
		if (p[1] == '%') {
			p += 2;
			continue;
		}
		const char *s = p++;
		p += strspn(p, "-+ #0'");
		p += strspn(p, "*0123456789");
		if (*p == '.') {
			p++;
			p += strspn(p, "*0123456789");
		}
		p += strspn(p, "hljztL");
		if (*p)
			p++;
		if (n < max) {
			size_t len = (size_t)(p - s) < 15 ? (size_t)(p - s) : 15;
			memcpy(out[n], s, len);
			out[n][len] = '\0';
		}
		n++;
	}
	return n;
}

bool yj_msg_specifiers_match(const char *a, const char *b)
{
	char sa[32][16], sb[32][16];
	size_t na = yj_msg_specifiers(a, sa, 32), nb = yj_msg_specifiers(b, sb, 32);
	if (na != nb || na > 32)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(sa[i], sb[i]) != 0)
			return false;
	return true;
}

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const msg_pair *)a)->en, ((const msg_pair *)b)->en);
}

/* \t, \n and \\ in place; the rest as written */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n' || r[1] == '\\')) {
			*w++ = r[1] == 't' ? '\t' : r[1] == 'n' ? '\n' : '\\';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static void cat_load(void)
{
	size_t len = (size_t)(yj_errors_zh_tsv_end - yj_errors_zh_tsv);
	cat.text = yj_strndup(yj_errors_zh_tsv, len);
	size_t cap = 1;
	for (const char *p = cat.text; *p; p++)
		cap += *p == '\n';
	cat.pairs = yj_calloc(cap, sizeof *cat.pairs);
	long lineno = 0, dropped = 0;
	for (char *line = cat.text, *next; line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		if (!tab || !tab[1]) {
			yj_log(YJ_LOG_WARN, "errors_zh_line", "line=%ld reason=\"no Chinese after a TAB\"", lineno);
			dropped++;
			continue;
		}
		*tab = '\0';
		unescape(line);
		unescape(tab + 1);
		if (!yj_msg_specifiers_match(line, tab + 1)) {
			yj_log(YJ_LOG_WARN, "errors_zh_line", "line=%ld reason=\"the conversions differ\"", lineno);
			dropped++;
			continue;
		}
		cat.pairs[cat.n++] = (msg_pair){line, tab + 1};
	}
	qsort(cat.pairs, cat.n, sizeof *cat.pairs, cmp_pair);
	size_t kept = 0;
	for (size_t i = 0; i < cat.n; i++) {
		if (kept && strcmp(cat.pairs[kept - 1].en, cat.pairs[i].en) == 0) {
			yj_log(YJ_LOG_WARN, "errors_zh_duplicate", "en=\"%.80s\"", cat.pairs[i].en);
			dropped++;
			continue;
		}
		cat.pairs[kept++] = cat.pairs[i];
	}
	cat.n = kept;
	if (!cat.n)
		yj_log(YJ_LOG_ERROR, "errors_zh_missing", "file=data/i18n/errors.zh.tsv reason=\"no messages: error messages stay English\"");
	else if (dropped)
		yj_log(YJ_LOG_WARN, "errors_zh_loaded", "messages=%zu dropped=%ld", cat.n, dropped);
}

size_t yj_msg_load(void)
{
	pthread_once(&cat_once, cat_load);
	return cat.n;
}

const char *yj_msg_zh(const char *fmt)
{
	if (!fmt)
		return NULL;
	pthread_once(&cat_once, cat_load);
	msg_pair key = {fmt, NULL};
	const msg_pair *p = cat.n ? bsearch(&key, cat.pairs, cat.n, sizeof *cat.pairs, cmp_pair) : NULL;
	return p ? p->zh : NULL;
}

bool yj_vformat_zh(char *out, size_t n, const char *fmt, va_list ap)
{
	const char *zh = yj_msg_zh(fmt);
	vsnprintf(out, n, zh ? zh : fmt, ap);
	yj_utf8_repair(out, n);
	return zh != NULL;
}

const char *yj_piece_zh(const char *en)
{
	const char *zh = yj_msg_zh(en);
	return zh ? zh : en;
}

void yj_format_zh(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yj_vformat_zh(out, n, fmt, ap);
	va_end(ap);
}

void yj_err_set_zh(yj_err *e, const char *fmt, ...)
{
	const char *zh = e ? yj_msg_zh(fmt) : NULL;
	if (!zh)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message_zh, sizeof e->message_zh, zh, ap);
	va_end(ap);
	yj_utf8_repair(e->message_zh, sizeof e->message_zh);
}

int yj_fail_from(yj_err *e, yj_code code, const char *field, const yj_err *inner)
{
	if (!e)
		return -1;
	yj_err copy = *inner; /* inner may be e */
	*e = copy;
	e->code = code;
	e->reason[0] = '\0';
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	yj_utf8_repair(e->field, sizeof e->field);
	return -1;
}

const char *yj_err_text(const yj_err *e, bool zh)
{
	return zh && e->message_zh[0] ? e->message_zh : e->message;
}
