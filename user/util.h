/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small helpers shared by the commands. */
#ifndef EA_UTIL_H
#define EA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* A clock_gettime() clock, in ns. */
int64_t ea_clock_ns(clockid_t id);
/* CLOCK_BOOTTIME in ns: the clock the datapath stamps flows with. */
uint64_t ea_boot_ns(void);

/* Exit codes: the contract of every command. */
enum {
	EA_EXIT_OK = 0,
	EA_EXIT_RUNTIME = 1,
	EA_EXIT_USAGE = 2,	/* bad usage, bad config or bad input */
};

extern int ea_verbose;

/* Diagnostics go to standard error; records alone to standard output. */
__attribute__((format(printf, 1, 2))) void ea_log(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void ea_debug(const char *fmt, ...);

/*
 * Path of a shipped data file: $EGRESS_AUDIT_DATADIR, then the installed
 * data directory, then data/ beside the build tree of the running binary.
 * Returns buf, or NULL when the file is nowhere.
 */
const char *ea_data_file(const char *name, char *buf, size_t len);

/*
 * The device of the file system path is on, as the kernel's inodes name it
 * (the superblock's, in /proc/self/mountinfo, and /proc/locks): stat's
 * st_dev differs on btrfs, where it names the subvolume. 0 or -errno.
 */
int ea_sb_dev(const char *path, dev_t *dev);

/* JSON string: control bytes, '"' and '\\' escaped, invalid UTF-8 as U+FFFD. */
void ea_json_str(FILE *f, const char *s);
/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
size_t ea_utf8_valid_len(const unsigned char *s);
/*
 * The code point of the valid n-byte UTF-8 sequence at s when it is a C1
 * control (U+0080..U+009F: NEL among them) or the line or paragraph
 * separator (U+2028, U+2029), which some readers take for a line end;
 * else 0.
 */
uint32_t ea_utf8_line_ctl(const unsigned char *s, size_t n);
/*
 * Length of the character at s (1..4; 1 for a byte of invalid UTF-8);
 * *text false when it is a C0 control or DEL, a line control (as
 * ea_utf8_line_ctl) or a byte of no character, which HTML and CSV output
 * replace by one U+FFFD.
 */
size_t ea_utf8_text_len(const unsigned char *s, bool *text);
/* a + b, or UINT64_MAX where the sum would wrap (counts from a hostile trail). */
static inline uint64_t ea_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* n bytes as 2n lower-case hex digits and a NUL. */
void ea_hex(char *out, const uint8_t *b, size_t n);
/* The value of a hex digit (either case), or -1. */
int ea_hex_value(char c);

/*
 * Whether s may name a host ([agent] hostname, the trail's directory
 * log_dir/HOST): 1 to 255 printable ASCII characters without blanks, no
 * '/', not starting with '.' (which also rules out "." and "..").
 */
bool ea_host_name_ok(const char *s);
#define EA_HOST_NAME_MAX	255

/* The directory path is in, into parent (PATH_MAX): "." for a bare name, "/" for "/x". */
void ea_parent_dir(const char *path, char *parent);

/*
 * The space of the file system that holds path: bytes free to a writer
 * without root's reserve (f_bavail), and its size. 0, or -errno.
 */
int ea_fs_space(const char *path, uint64_t *free, uint64_t *size);

/* The cookie of the calling thread's network namespace (SO_NETNS_COOKIE). 0, or -errno. */
int ea_netns_cookie(uint64_t *cookie);

/* Bytes for people: "512 B", "64.0 MiB", "1.5 TiB" (binary units). */
#define EA_SIZE_STRLEN	16
const char *ea_format_size(uint64_t bytes, char buf[EA_SIZE_STRLEN]);

/*
 * A read-only view of count values at consecutive keys from first of an
 * array map made with BPF_F_MMAPABLE, where the kernel holds them: value k
 * at at + k * stride, stride the value size rounded up to 8 as the array
 * keeps it. No copy through the kernel per value.
 */
struct ea_map_view {
	const char *at;
	size_t stride;
	void *base;		/* the mapping, from a page boundary */
	size_t len;
};

/* 0, or -errno (EINVAL: the map is not mappable, or the range not in it). */
int ea_map_view_open(struct ea_map_view *v, int fd, size_t first, size_t count,
		     size_t value_size);
void ea_map_view_close(struct ea_map_view *v);

#endif /* EA_UTIL_H */
