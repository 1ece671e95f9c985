/*
 * evidence.c — evidence files (证据): photos, documents, recordings of
 * inspections and rectifications, stored by their SHA-256 in a folder
 * beside the database (same bytes, same file), typed by their content,
 * never by their name. A file is written whole or not at all (write,
 * fsync, rename), and what is served is checked against its digest first.
 * The digest enters the audit chain through the owner's projection.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enforce/enf_int.h"

static char evidence_dir[512] = "yingji.db.evidence";

void enf_evidence_set_dir(const char *dir)
{
	snprintf(evidence_dir, sizeof evidence_dir, "%s", dir);
}

const char *enf_sniff_mime(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "image/jpeg";
	if (len >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return "image/webp";
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WAVE", 4))
		return "audio/wav";
	if (len >= 5 && !memcmp(p, "%PDF-", 5))
		return "application/pdf";
	if (len >= 12 && !memcmp(p + 4, "ftyp", 4))
		return !memcmp(p + 8, "M4A", 3) ? "audio/mp4" : "video/mp4";
	if (len >= 4 && !memcmp(p, "\x1a\x45\xdf\xa3", 4))
		return "video/webm";
	if (len >= 3 && (!memcmp(p, "ID3", 3) || (p[0] == 0xFF && (p[1] & 0xE0) == 0xE0)))
		return "audio/mpeg";
	return NULL;
}

static void evidence_path(const char *sha, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%.2s/%s", evidence_dir, sha, sha);
}

/* the file of sha with these bytes, unless it is there already */
static int write_file(const char *sha, const char *data, size_t len, yj_err *e)
{
	char path[700], tmp[720], dir[640];
	evidence_path(sha, path, sizeof path);
	snprintf(dir, sizeof dir, "%s/%.2s", evidence_dir, sha);
	mkdir(evidence_dir, 0750);
	mkdir(dir, 0750);
	struct stat sb;
	if (stat(path, &sb) == 0)
		return 0;
	snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0)
		return yj_fail(e, YJ_EINTERNAL, "", "cannot store evidence: %s", strerror(errno));
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return yj_fail(e, YJ_EINTERNAL, "", "cannot store evidence: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return yj_fail(e, YJ_EINTERNAL, "", "cannot store evidence: %s", strerror(errno));
	}
	return 0;
}

int enf_evidence_add(store *s, const auth_user *u, const char *owner_type, int64_t owner_id, const char *name,
                     const char *data, size_t len, char sha_out[65], yj_err *e)
{
	if (len == 0)
		return yj_fail(e, YJ_EINVAL, "body", "the evidence file is empty");
	if (len > enf_cfg.attachment_max)
		return yj_fail(e, YJ_ETOOBIG, "body", "evidence files are at most %zu bytes", enf_cfg.attachment_max);
	const char *mime = enf_sniff_mime(data, len);
	if (!mime)
		return yj_fail(e, YJ_EUNPROCESSABLE, "body",
		               "the file is not a photo (JPEG, PNG, WebP), document (PDF), audio (MP3, M4A, WAV) or video "
		               "(MP4, WebM) judging by its content");
	unsigned char h[32];
	crypto_hash_sha256(h, (const unsigned char *)data, len);
	yj_hex(h, 32, sha_out);
	if (write_file(sha_out, data, len, e))
		return -1;
	int64_t now = yj_now_ms();
	if (enf_attachment_db_put(s, sha_out, (int64_t)len, mime, name && *name ? name : "evidence", u->id, now, e) ||
	    enf_evidence_db_add(s, owner_type, owner_id, sha_out, u->id, now, e))
		return -1;
	return audit_record_id(s, u, "evidence.add", owner_type, owner_id, e);
}

/* ---- who may see a file: one of its owners must be visible ----------------------------------------------- */

typedef struct seen {
	const auth_user *u;
	auth_scope scope;
	int64_t enterprise; /* an enterprise account's enterprise */
	bool visible;
} seen;

/* the area of an object that holds evidence, and for a hazard its enterprise: 1, 0 when it is gone, -1 */
static int owner_place(store *s, const enf_evidence_owner *o, char area[16], int64_t *enterprise, yj_err *e)
{
	int rc = 0;
	*enterprise = 0;
	if (strcmp(o->owner_type, "hazard") == 0) {
		enf_hazard h;
		if ((rc = enf_hazard_db_get(s, o->owner_id, &h, e)) > 0) {
			snprintf(area, 16, "%s", h.area_code);
			*enterprise = h.enterprise_id;
		}
		enf_hazard_clear(&h);
	} else if (strcmp(o->owner_type, "penalty_case") == 0) {
		enf_case c;
		if ((rc = enf_case_db_get(s, o->owner_id, &c, e)) > 0)
			snprintf(area, 16, "%s", c.area_code);
		enf_case_clear(&c);
	} else if (strcmp(o->owner_type, "inspection") == 0) {
		enf_inspection in;
		if ((rc = enf_inspection_db_get(s, o->owner_id, &in, e)) > 0)
			snprintf(area, 16, "%s", in.area_code);
		enf_inspection_clear(&in);
	}
	return rc;
}

/* staff see the files of what lies in their area; an enterprise account those of its own hazards */
static int owner_visible(store *s, const enf_evidence_owner *o, void *ctx, yj_err *e)
{
	seen *v = ctx;
	char area[16];
	int64_t enterprise;
	int rc = owner_place(s, o, area, &enterprise, e);
	if (rc <= 0)
		return rc;
	v->visible = v->u->role == ROLE_ENTERPRISE ? enterprise && enterprise == v->enterprise
	                                           : auth_scope_contains(&v->scope, area);
	return v->visible ? 1 : 0;
}

int enf_evidence_read(store *s, const auth_user *u, const char *sha, char **data, size_t *len, char mime[64],
                      yj_err *e)
{
	*data = NULL;
	*len = 0;
	if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return yj_fail(e, YJ_ENOTFOUND, "sha256", "no such evidence");
	seen v = {.u = u};
	if (u->role == ROLE_ENTERPRISE)
		v.enterprise = enf_user_enterprise(s, u);
	else if (enf_own_scope(u, &v.scope, e))
		return -1;
	if (enf_evidence_db_owners(s, sha, owner_visible, &v, e))
		return -1;
	if (!v.visible)
		return yj_fail(e, YJ_ENOTFOUND, "sha256", "no such evidence");
	int rc = enf_attachment_db_mime(s, sha, mime, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return yj_fail(e, YJ_ENOTFOUND, "sha256", "no such evidence");
	char path[700];
	evidence_path(sha, path, sizeof path);
	*data = yj_read_file(path, len, NULL);
	if (!*data)
		return yj_fail(e, YJ_EINTERNAL, "sha256", "the evidence file is missing from the store");
	/* integrity: what is served is what was recorded */
	unsigned char h[32];
	char hex[65];
	crypto_hash_sha256(h, (const unsigned char *)*data, *len);
	yj_hex(h, 32, hex);
	if (strcmp(hex, sha) != 0) {
		free(*data);
		*data = NULL;
		yj_log(YJ_LOG_ERROR, "evidence_corrupt", "sha256=%s", sha);
		return yj_fail(e, YJ_EINTERNAL, "sha256", "the evidence file no longer matches its digest");
	}
	return 0;
}

static int evidence_item(store *s, const enf_evidence *ev, void *ctx, yj_err *e)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:I, s:s, s:s}", "sha256", ev->sha256, "mime", ev->mime, "size",
	                                     (json_int_t)ev->size, "name", ev->name, "note", ev->note));
	return 0;
}

json_t *enf_evidence_json(store *s, const char *owner_type, int64_t owner_id)
{
	json_t *items = json_array();
	enf_evidence_db_of(s, owner_type, owner_id, evidence_item, items, NULL);
	return items;
}
