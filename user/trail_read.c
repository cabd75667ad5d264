// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Segments read block by block, record by record; trail directories listed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include "rec_codec.h"
#include "trail_read.h"

/* pread all of n bytes at off: 0, -ENODATA at the end of the file, -errno. */
static int read_at(struct ea_seg_reader *s, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(s->fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENODATA;
		done += (size_t)r;
	}
	s->bytes_read += n;
	return 0;
}

static int seg_read_header(struct ea_seg_reader *s, const char **why)
{
	uint8_t buf[EA_SEG_HDR_MAX];
	size_t n = s->size < sizeof(buf) ? (size_t)s->size : sizeof(buf);
	int r = read_at(s, buf, n, 0);

	if (r)
		return r;
	r = ea_seg_hdr_get(buf, n, &s->hdr, why);
	if (r == -ENODATA)
		*why = "file ends inside the segment header";
	if (r < 0)
		return r;
	s->hdr_len = (size_t)r;
	s->off = s->hdr_len;
	return 0;
}

static int seg_init(struct ea_seg_reader *s, int fd, const char **why)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (fstat(fd, &st)) {
		*why = "cannot stat";
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -EINVAL;
	}
	s->size = (uint64_t)st.st_size;
	s->ctx = malloc(sizeof(*s->ctx));
	s->dd = libdeflate_alloc_decompressor();
	if (!s->ctx || !s->dd) {
		*why = "out of memory";
		return -ENOMEM;
	}
	ea_rec_ctx_init(s->ctx);
	return seg_read_header(s, why);
}

/* On failure the reader is closed (and fd with it). */
int ea_seg_open_fd(struct ea_seg_reader *s, int fd, const char **why)
{
	int r = seg_init(s, fd, why);

	if (r)
		ea_seg_close(s);
	return r;
}

int ea_seg_open(struct ea_seg_reader *s, int dirfd, const char *name, const char **why)
{
	/* a FIFO in a segment's place opens at once, and is refused */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		memset(s, 0, sizeof(*s));
		s->fd = -1;
		*why = "cannot open";
		return -errno;
	}
	return ea_seg_open_fd(s, fd, why);
}

void ea_seg_close(struct ea_seg_reader *s)
{
	if (s->dd)
		libdeflate_free_decompressor(s->dd);
	free(s->comp);
	free(s->raw);
	free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int ea_seg_next_block(struct ea_seg_reader *s, const char **why)
{
	uint8_t buf[EA_BLK_HDR_LEN];
	int r;

	s->left = 0;
	s->rp = s->rend = NULL;
	if (s->off == s->size)
		return 0;
	s->blk_off = s->off;
	if (s->size - s->off < EA_BLK_HDR_LEN) {
		*why = "file ends inside a block header";
		return -ENODATA;
	}
	r = read_at(s, buf, sizeof(buf), s->off);
	if (r)
		return r;
	r = ea_blk_hdr_get(buf, &s->blk, why);
	if (r)
		return r;
	if (s->size - s->off - EA_BLK_HDR_LEN < s->blk.comp_len) {
		*why = "file ends inside a block";
		return -ENODATA;
	}
	s->off += EA_BLK_HDR_LEN + s->blk.comp_len;
	return 1;
}

/* Room for n bytes in *buf of *cap. */
static int reserve(uint8_t **buf, size_t *cap, size_t n)
{
	uint8_t *b;

	if (n <= *cap)
		return 0;
	n = n < 65536 ? 65536 : n;
	b = realloc(*buf, n);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = n;
	return 0;
}

int ea_seg_load_block(struct ea_seg_reader *s, const char **why)
{
	size_t in, out;
	int r;

	if (reserve(&s->comp, &s->comp_cap, s->blk.comp_len) ||
	    reserve(&s->raw, &s->raw_cap, s->blk.raw_len)) {
		*why = "out of memory";
		return -ENOMEM;
	}
	r = read_at(s, s->comp, s->blk.comp_len, s->blk_off + EA_BLK_HDR_LEN);
	if (r)
		return r;
	if (libdeflate_crc32(0, s->comp, s->blk.comp_len) != s->blk.data_crc) {
		*why = "block data checksum mismatch";
		return -EINVAL;
	}
	if (libdeflate_deflate_decompress_ex(s->dd, s->comp, s->blk.comp_len, s->raw,
					     s->blk.raw_len, &in, &out) != LIBDEFLATE_SUCCESS ||
	    in != s->blk.comp_len || out != s->blk.raw_len) {
		*why = "block does not inflate to its length";
		return -EINVAL;
	}
	s->rp = s->raw;
	s->rend = s->raw + s->blk.raw_len;
	s->left = s->blk.count;
	ea_rec_ctx_reset(s->ctx);
	return 0;
}

int ea_seg_next_record(struct ea_seg_reader *s, const uint8_t **rec, size_t *len,
		       const char **why)
{
	uint64_t n;

	if (!s->left) {
		if (s->rp != s->rend) {
			*why = "bytes after the last record of a block";
			return -EINVAL;
		}
		return 0;
	}
	if (ea_varint_get(&s->rp, s->rend, &n) || !n || n > (uint64_t)(s->rend - s->rp)) {
		*why = "record length out of range";
		return -EINVAL;
	}
	*rec = s->rp;
	*len = (size_t)n;
	s->rp += n;
	s->left--;
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ea_seg_list(int dirfd, struct ea_seg_list *l)
{
	int fd = dup(dirfd);
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	memset(l, 0, sizeof(*l));
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		uint64_t seq;

		if (!ea_seg_name_parse(de->d_name, "eat", &seq))
			continue;
		if (l->n == cap) {
			uint64_t *v = realloc(l->seq, (cap ? 2 * cap : 16) * sizeof(*v));

			if (!v) {
				closedir(d);
				ea_seg_list_free(l);
				return -ENOMEM;
			}
			l->seq = v;
			cap = cap ? 2 * cap : 16;
		}
		l->seq[l->n++] = seq;
	}
	closedir(d);
	qsort(l->seq, l->n, sizeof(*l->seq), cmp_u64);
	return 0;
}

void ea_seg_list_free(struct ea_seg_list *l)
{
	free(l->seq);
	l->seq = NULL;
	l->n = 0;
}

int ea_idx_read(int dirfd, uint64_t first_seq, struct ea_seg_idx *x, const char **why)
{
	char name[EA_SEG_NAME_LEN + 1];
	uint8_t buf[EA_IDX_LEN + 1];
	ssize_t n;
	int fd;

	ea_seg_name(name, first_seq, "idx");
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);	/* a FIFO: no wait */
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return ea_idx_get(buf, (size_t)n, x, why);
}

/* Whether dir/name is a directory holding at least one segment. */
static bool is_trail_dir(const char *path)
{
	struct ea_seg_list l;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = !ea_seg_list(fd, &l) && l.n > 0;
	ea_seg_list_free(&l);
	close(fd);
	return yes;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push_dir(char ***dirs, size_t *n, const char *path)
{
	char **v = realloc(*dirs, (*n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*dirs = v;
	v[*n] = strdup(path);
	if (!v[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int ea_trail_dirs(const char *path, char ***dirs, size_t *n)
{
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	*dirs = NULL;
	*n = 0;
	if (is_trail_dir(path))
		return push_dir(dirs, n, path);
	d = opendir(path);
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		if (is_trail_dir(sub))
			err = push_dir(dirs, n, sub);
	}
	closedir(d);
	if (err) {
		ea_trail_dirs_free(*dirs, *n);
		*dirs = NULL;
		*n = 0;
		return err;
	}
	qsort(*dirs, *n, sizeof(**dirs), cmp_str);
	return 0;
}

void ea_trail_dirs_free(char **dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}
