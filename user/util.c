// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Logging, data-file lookup, JSON string output, hex, sizes and paths. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <libmount/libmount.h>
#include "mounts.h"
#include "paths.h"
#include "sbuf.h"
#include "util.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71	/* Linux 5.14 */
#endif

int ea_verbose;

void ea_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("egress-audit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void ea_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ea_verbose)
		return;
	va_start(ap, fmt);
	fputs("egress-audit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static bool try_path(char *buf, size_t len, const char *dir, const char *name)
{
	if (!dir || !*dir)
		return false;
	snprintf(buf, len, "%s/%s", dir, name);
	return access(buf, R_OK) == 0;
}

const char *ea_data_file(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX], dir[PATH_MAX + 16];
	ssize_t n;
	char *slash;

	if (try_path(buf, len, getenv("EGRESS_AUDIT_DATADIR"), name))
		return buf;
	if (try_path(buf, len, EA_DATADIR, name))
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/../data", exe);
			if (try_path(buf, len, dir, name) && realpath(buf, exe))
				snprintf(buf, len, "%s", exe);
			if (!access(buf, R_OK))
				return buf;
		}
	}
	return NULL;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not. */
size_t ea_utf8_valid_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are invalid */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

uint32_t ea_utf8_line_ctl(const unsigned char *s, size_t n)
{
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return s[1];				/* U+0080..U+009F */
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return 0x2000 | (s[2] & 0x3f);		/* U+2028, U+2029 */
	return 0;
}

size_t ea_utf8_text_len(const unsigned char *s, bool *text)
{
	size_t n = s[0] < 0x80 ? 1 : ea_utf8_valid_len(s);

	*text = n && !(n == 1 && (s[0] < 0x20 || s[0] == 0x7f)) && !ea_utf8_line_ctl(s, n);
	return n ? n : 1;
}

/*
 * A JSON string: '"', '\\' and every control byte escaped, valid UTF-8
 * kept, each byte of invalid UTF-8 replaced by U+FFFD so the output is
 * always valid JSON (the raw bytes of such names stay in the trail).
 */
void ea_json_str(FILE *f, const char *str)
{
	static __thread struct ea_sbuf b;

	ea_sb_reset(&b);
	ea_sb_json_str(&b, str);
	if (!b.oom)
		fwrite(b.p, 1, b.len, f);
}

void ea_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int ea_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *ea_format_size(uint64_t bytes, char buf[EA_SIZE_STRLEN])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, EA_SIZE_STRLEN, "%u B", (unsigned int)bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, EA_SIZE_STRLEN, "%.1f %s", v, units[u]);
	return buf;
}

int ea_fs_space(const char *path, uint64_t *free, uint64_t *size)
{
	struct statvfs vfs;

	if (statvfs(path, &vfs))
		return -errno;
	*free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	*size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	return 0;
}

bool ea_host_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > EA_HOST_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/')
			return false;
	}
	return true;
}

void ea_parent_dir(const char *path, char *parent)
{
	char *slash;

	snprintf(parent, PATH_MAX, "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, PATH_MAX, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
}

int ea_netns_cookie(uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		err = -errno;
	close(fd);
	return err;
}

/* The device of the mount whose id is the one wanted. */
struct mount_dev {
	unsigned long long id;
	dev_t dev;
};

static int mount_dev(struct libmnt_fs *fs, void *ctx)
{
	struct mount_dev *want = ctx;

	if ((unsigned long long)mnt_fs_get_id(fs) != want->id)
		return 0;
	want->dev = mnt_fs_get_devno(fs);
	return 1;
}

int ea_sb_dev(const char *path, dev_t *dev)
{
	struct mount_dev want;
	struct statx sx;
	int ret;

	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &sx))
		return -errno;
	*dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	if (!(sx.stx_mask & STATX_MNT_ID))
		return 0;	/* a kernel before 5.8: no mount id to look up */
	want.id = sx.stx_mnt_id;
	ret = ea_mounts_each(mount_dev, &want);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*dev = want.dev;
	return 0;
}

int ea_map_view_open(struct ea_map_view *v, int fd, size_t first, size_t count,
		     size_t value_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), from, skip;

	v->stride = (value_size + 7) & ~(size_t)7;
	from = first * v->stride;
	skip = from % page;
	v->len = skip + (count ? count : 1) * v->stride;
	v->base = mmap(NULL, v->len, PROT_READ, MAP_SHARED, fd, (off_t)(from - skip));
	if (v->base == MAP_FAILED) {
		v->base = NULL;
		return -errno;
	}
	v->at = (const char *)v->base + skip;
	return 0;
}

void ea_map_view_close(struct ea_map_view *v)
{
	if (v->base)
		munmap(v->base, v->len);
	v->base = NULL;
}

int64_t ea_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t ea_boot_ns(void)
{
	return (uint64_t)ea_clock_ns(CLOCK_BOOTTIME);
}
