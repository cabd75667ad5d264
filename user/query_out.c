// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Query output: table, JSON lines, CSV (query_out.h). */
#include <string.h>

#include "addr.h"
#include "community_id.h"
#include "config.h"
#include "query_out.h"
#include "record.h"
#include "sbuf.h"
#include "trail_fmt.h"
#include "util.h"

static const char csv_header[] =
	"seq,chain,ts,host,event,verdict,proto,family,src,sport,dst,dport,country,zone,"
	"pid,tid,uid,gid,comm,cgroup,bytes,packets,start,labels,count,what,detail,community_id\n";

const char *ea_escape(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e || c == '\\')
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The text of a cell: '"' doubled; tab and line ends kept (quoted, as RFC
 * 4180 allows); other controls and bytes of invalid UTF-8 as U+FFFD, as in
 * the HTML page.
 */
static void csv_text(FILE *f, const char *s)
{
	while (*s) {
		bool text;
		size_t n = ea_utf8_text_len((const unsigned char *)s, &text);

		if (!text && !strchr("\t\r\n", *s))
			fputs("\xef\xbf\xbd", f);
		else if (*s == '"')
			fputs("\"\"", f);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

void ea_csv_str(FILE *f, const char *s)
{
	/* the report's own placeholders, "-" and "--", are no formula */
	bool formula = strchr("=+-@\t\r", s[0]) && s[0] && strcmp(s, "-") && strcmp(s, "--");
	bool quote = formula || s[strcspn(s, ",\"\r\n")];

	if (quote)
		fputs(formula ? "\"'" : "\"", f);
	csv_text(f, s);
	if (quote)
		fputc('"', f);
}

void ea_out_header(FILE *f, enum ea_out_format fmt)
{
	if (fmt == EA_OUT_CSV)
		fputs(csv_header, f);
	else if (fmt == EA_OUT_TABLE)
		fprintf(f, "%-9s %-27s %-15s %-11s %s\n", "SEQ", "TIME", "HOST", "EVENT", "WHAT");
}

static void table_flow(FILE *f, const struct ea_rec *r)
{
	char dst[EA_ADDR_STRLEN], cc[3], comm[4 * sizeof(r->comm)], labels[256];

	ea_addr_format(ea_addr_from_bytes(r->dst), dst);
	fprintf(f, "%-7s %-5s %s:%u %s %s pid=%u comm=%s uid=%u bytes=%llu labels=%s\n",
		ea_verdict_name(r->verdict), ea_proto_name(r->proto), dst, r->dport,
		ea_cc_format(r->country, cc), ea_zone_name(r->zone), r->pid,
		ea_escape(comm, sizeof(comm), r->comm), r->uid, (unsigned long long)r->bytes,
		r->labels[0] ? ea_escape(labels, sizeof(labels), r->labels) : "-");
}

static void table_row(FILE *f, const struct ea_rec *r)
{
	char ts[40], host[64], detail[1024];

	fprintf(f, "%-9llu %-27s %-15s %-11s ", (unsigned long long)r->seq,
		ea_format_time(r->ts_ns, ts), ea_escape(host, sizeof(host), r->host),
		ea_rec_kind_name(r->kind));
	if (ea_rec_is_flow(r))
		table_flow(f, r);
	else if (r->kind == EA_REC_LOST)
		fprintf(f, "%llu %s events lost\n", (unsigned long long)r->count,
			ea_escape(detail, sizeof(detail), r->what));
	else
		fprintf(f, "%s\n", ea_escape(detail, sizeof(detail), r->detail));
}

static void csv_flow(FILE *f, const struct ea_rec *r)
{
	char src[EA_ADDR_STRLEN], dst[EA_ADDR_STRLEN], cc[3], start[40];

	ea_addr_format(ea_addr_from_bytes(r->src), src);
	ea_addr_format(ea_addr_from_bytes(r->dst), dst);
	fprintf(f, "%s,%s,%u,%s,%u,%s,%u,%s,%s,%u,%u,%u,%u,", ea_verdict_name(r->verdict),
		ea_proto_name(r->proto), r->family, src, r->sport, dst, r->dport,
		r->country ? ea_cc_format(r->country, cc) : "", ea_zone_name(r->zone), r->pid,
		r->tid, r->uid, r->gid);
	ea_csv_str(f, r->comm);
	fputc(',', f);
	ea_csv_str(f, r->cgroup);
	fprintf(f, ",%llu,%llu,%s,", (unsigned long long)r->bytes,
		(unsigned long long)r->packets, ea_format_time(r->start_ns, start));
	ea_csv_str(f, r->labels);
}

static void csv_row(FILE *f, const struct ea_rec *r)
{
	char ts[40], hex[2 * EA_CHAIN_LEN + 1], id[EA_COMMUNITY_ID_LEN];

	ea_hex(hex, r->chain, EA_CHAIN_LEN);
	fprintf(f, "%llu,%s,%s,", (unsigned long long)r->seq, hex, ea_format_time(r->ts_ns, ts));
	ea_csv_str(f, r->host);
	fprintf(f, ",%s,", ea_rec_kind_name(r->kind));
	if (ea_rec_is_flow(r))
		csv_flow(f, r);
	else
		fputs(",,,,,,,,,,,,,,,,,,", f);
	fputc(',', f);
	if (r->kind == EA_REC_LOST)
		fprintf(f, "%llu", (unsigned long long)r->count);
	fputc(',', f);
	ea_csv_str(f, r->what);
	fputc(',', f);
	ea_csv_str(f, r->detail);
	fprintf(f, ",%s\n", ea_community_id(r, id) ? id : "");
}

/* JSON lines: the keys of `run -j`, and the flow's Community ID where it has one. */
static void json_row(FILE *f, const struct ea_rec *r)
{
	static __thread struct ea_sbuf b;
	char id[EA_COMMUNITY_ID_LEN];

	ea_sb_reset(&b);
	ea_rec_json_open(&b, r);
	if (ea_community_id(r, id)) {
		ea_sb_puts(&b, ",\"community_id\":\"");
		ea_sb_puts(&b, id);
		ea_sb_putc(&b, '"');
	}
	ea_sb_puts(&b, "}\n");
	if (!b.oom)
		fwrite(b.p, 1, b.len, f);
}

void ea_out_record(FILE *f, enum ea_out_format fmt, const struct ea_rec *r)
{
	if (fmt == EA_OUT_JSON)
		json_row(f, r);
	else if (fmt == EA_OUT_CSV)
		csv_row(f, r);
	else
		table_row(f, r);
}
