/*
 * Filter expressions; the language is described in filter.h.
 *
 * Compiling is a recursive-descent parse (each level of parentheses or "not"
 * counted against VSCSI_FILTER_MAX_DEPTH, "and"/"or" chains collected
 * iteratively into one n-ary node) into a small tree, which describe() prints
 * back, and from which a branch program is generated: one instruction per
 * comparison, each with the index to go to when it holds and when it does
 * not. Jumps only go forward, so matching is a loop that ends after at most
 * one step per comparison. Index n_insn means "match", n_insn + 1 "no match".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "vscsi/cdb.h"
#include "vscsi/filter.h"
#include "vscsi/sense.h"
#include "vscsi/virtio_scsi.h"

/* ------------------------------------------------------------ fields */

enum flt_field_id {
	FLT_LUN,
	FLT_TARGET,
	FLT_QUEUE,
	FLT_CONN,
	FLT_HEAD,
	FLT_TAG,
	FLT_OP,
	FLT_CLASS,
	FLT_LBA,
	FLT_LEN,
	FLT_BYTES,
	FLT_LAT,
	FLT_STATUS,
	FLT_RESPONSE,
	FLT_SENSE_KEY,
	FLT_ASC,
	FLT_ASCQ,
	FLT_TMF,
	FLT_TYPE,
	FLT_ATTR,
	FLT_ERROR,
};

/* How a field's values are written. */
enum flt_kind {
	FLT_K_DEC,	/* a plain number, shown in decimal */
	FLT_K_HEX,	/* a plain number, shown in hex */
	FLT_K_LUN,	/* N, T:N, wlun, T:wlun */
	FLT_K_OP,	/* opcode number or command name */
	FLT_K_TIME,	/* number with ns/us/ms/s */
	FLT_K_SIZE,	/* number with k/m/g/t */
	FLT_K_NAMED,	/* number or a name from the field's name function */
	FLT_K_BOOL,	/* truth test only */
};

typedef const char *(*flt_name_fn)(unsigned v);

static const char *flt_status_name(unsigned v)
{
	return v <= 0xFF ? vscsi_status_name((uint8_t)v) : NULL;
}

static const char *flt_response_name(unsigned v)
{
	return vscsi_vs_response_name(v, 0);
}

/* The TMF spelling of response 0 (FUNCTION_COMPLETE). */
static const char *flt_response_ctrl_name(unsigned v)
{
	return vscsi_vs_response_name(v, 1);
}

static const char *flt_io_type_name(unsigned v)
{
	return vscsi_io_type_name(v);
}

static const char *flt_sense_key_name(unsigned v)
{
	return vscsi_sense_key_name(v);
}

static const char *flt_tmf_name(unsigned v)
{
	return vscsi_tmf_name(v);
}

static const char *flt_attr_name(unsigned v)
{
	return vscsi_task_attr_name(v);
}

static const char *flt_class_name(unsigned v)
{
	return vscsi_op_class_name(v);
}

typedef struct flt_field {
	const char *name;
	uint8_t id;
	uint8_t kind;		/* enum flt_kind */
	flt_name_fn names;	/* FLT_K_NAMED: value to name */
	flt_name_fn alt_names;	/* a second spelling, or NULL */
	unsigned n_names;	/* values 0..n_names-1 have names */
	const char *what;	/* "unknown <what> 'x'" */
	const char *help;
} flt_field;

static const flt_field flt_fields[] = {
	{ "lun", FLT_LUN, FLT_K_LUN, NULL, NULL, 0, "LUN",
	  "LUN number: lun == 1, lun == 0:1 (target:LUN), lun == wlun "
	  "(REPORT LUNS well-known LU)" },
	{ "target", FLT_TARGET, FLT_K_DEC, NULL, NULL, 0, NULL,
	  "target number (byte 1 of the LUN field)" },
	{ "queue", FLT_QUEUE, FLT_K_DEC, NULL, NULL, 0, NULL,
	  "virtqueue index (alias vq): 0 control, 1 event, 2 and up "
	  "requests" },
	{ "conn", FLT_CONN, FLT_K_DEC, NULL, NULL, 0, NULL,
	  "connection id" },
	{ "head", FLT_HEAD, FLT_K_DEC, NULL, NULL, 0, NULL,
	  "descriptor head index of the chain" },
	{ "tag", FLT_TAG, FLT_K_HEX, NULL, NULL, 0, NULL,
	  "command tag (virtio-scsi id); for a TMF, the task it acts on" },
	{ "op", FLT_OP, FLT_K_OP, NULL, NULL, 0, "opcode",
	  "SCSI command, by name or opcode: op == read10, "
	  "op == \"WRITE SAME(16)\", op == 0x28" },
	/* vscsi_op_class_name() says "other" for any unknown value: only the
	 * defined values are names. */
	{ "class", FLT_CLASS, FLT_K_NAMED, flt_class_name, NULL,
	  VSCSI_OPC_UNMAP + 1,
	  "class", "command class: read, write, flush, unmap, other" },
	{ "lba", FLT_LBA, FLT_K_DEC, NULL, NULL, 0, NULL,
	  "logical block address in the CDB" },
	{ "len", FLT_LEN, FLT_K_DEC, NULL, NULL, 0, NULL,
	  "transfer length in the CDB, in blocks" },
	{ "bytes", FLT_BYTES, FLT_K_SIZE, NULL, NULL, 0, NULL,
	  "data bytes, out plus in, on requests and completions; "
	  "suffixes k m g t (1024-based)" },
	{ "lat", FLT_LAT, FLT_K_TIME, NULL, NULL, 0, NULL,
	  "latency of a completion; needs a unit: lat > 1.5ms "
	  "(ns, us, ms, s)" },
	{ "status", FLT_STATUS, FLT_K_NAMED, flt_status_name, NULL, 256,
	  "status", "SCSI status of a command completion with response OK: "
	  "status == check_condition, status != good" },
	{ "response", FLT_RESPONSE, FLT_K_NAMED, flt_response_name,
	  flt_response_ctrl_name, 256, "response",
	  "virtio-scsi response of a completion: response == bad_target" },
	{ "sense.key", FLT_SENSE_KEY, FLT_K_NAMED, flt_sense_key_name, NULL,
	  16, "sense key", "sense key (alias sense_key): "
	  "sense.key == medium_error; bare: the completion has sense data" },
	{ "asc", FLT_ASC, FLT_K_HEX, NULL, NULL, 0, NULL,
	  "additional sense code" },
	{ "ascq", FLT_ASCQ, FLT_K_HEX, NULL, NULL, 0, NULL,
	  "additional sense code qualifier" },
	{ "tmf", FLT_TMF, FLT_K_NAMED, flt_tmf_name, NULL, 256, "TMF",
	  "task management function: tmf == abort_task" },
	{ "type", FLT_TYPE, FLT_K_NAMED, flt_io_type_name, NULL, 256,
	  "type", "event type: request, completion, ctrl, ctrl_done, event, "
	  "vhost_user, other" },
	{ "attr", FLT_ATTR, FLT_K_NAMED, flt_attr_name, NULL, 256,
	  "task attribute", "task attribute: simple, ordered, head, aca" },
	{ "error", FLT_ERROR, FLT_K_BOOL, NULL, NULL, 0, NULL,
	  "a failed completion: a response other than OK (TMF: FUNCTION "
	  "COMPLETE or SUCCEEDED) or a status other than GOOD or CONDITION "
	  "MET; bare only: error, not error" },
};

static const struct {
	const char *alias;
	uint8_t id;
} flt_aliases[] = {
	{ "vq", FLT_QUEUE },
	{ "sense_key", FLT_SENSE_KEY },
};

#define FLT_N_FIELDS (sizeof(flt_fields) / sizeof(flt_fields[0]))
/* Rows are in enum order: flt_fields[id].id == id. */
_Static_assert(FLT_N_FIELDS == FLT_ERROR + 1, "one row per field");

const char *vscsi_filter_field_help(unsigned i, const char **name)
{
	if (i >= FLT_N_FIELDS)
		return NULL;
	if (name)
		*name = flt_fields[i].name;
	return flt_fields[i].help;
}

/* ------------------------------------------------------------ compiled form */

enum flt_op {
	FLT_EQ,
	FLT_NE,
	FLT_LT,
	FLT_LE,
	FLT_GT,
	FLT_GE,
	FLT_PRESENT,	/* bare field */
};

static const char *const flt_op_text[] = {
	"==", "!=", "<", "<=", ">", ">=", "",
};

#define FLT_V_SA 0x1u		/* op: the name has a service action */
#define FLT_V_TARGET 0x2u	/* lun: T:N or T:wlun */
#define FLT_V_WLUN 0x4u		/* lun: the REPORT LUNS well-known LU */

#define FLT_NO_TEXT UINT32_MAX

typedef struct flt_test {
	uint64_t val;
	uint32_t text;		/* pool offset of an op name, or FLT_NO_TEXT */
	uint16_t sa;
	uint8_t field;		/* enum flt_field_id */
	uint8_t op;		/* enum flt_op */
	uint8_t flags;		/* FLT_V_* */
	uint8_t target;
} flt_test;

typedef struct flt_insn {
	flt_test t;
	uint32_t jt, jf;	/* next instruction when t holds / not */
} flt_insn;

enum flt_node_kind { FLT_N_TEST, FLT_N_NOT, FLT_N_AND, FLT_N_OR };

typedef struct flt_node {
	uint8_t kind;
	uint32_t a;	/* TEST: test index; NOT: child; AND/OR: first kid */
	uint32_t n;	/* AND/OR: number of kids */
} flt_node;

struct vscsi_filter {
	flt_insn *prog;
	uint32_t n_insn;
	int empty;		/* no expression: matches everything */
	uint32_t root;
	flt_node *nodes;
	flt_test *tests;
	uint32_t *kids;
	char *pool;
};

/* ------------------------------------------------------------ parser state */

typedef struct flt_parser {
	const char *s;
	size_t len, pos;
	unsigned depth;
	size_t prev, prev_len;	/* the last token read, for messages */

	flt_node *nodes;
	size_t n_nodes, cap_nodes;
	flt_test *tests;
	size_t n_tests, cap_tests;
	uint32_t *kids;
	size_t n_kids, cap_kids;
	uint32_t *stack;	/* operands of the and/or chains being read */
	size_t n_stack, cap_stack;
	char *pool;
	size_t n_pool, cap_pool;

	int err;
	size_t err_col;
	char msg[192];
} flt_parser;

/* Make room for one more element (or `more` bytes for the pool). */
static int flt_reserve(flt_parser *p, void **arr, size_t *cap, size_t n,
		       size_t more, size_t size)
{
	size_t ncap;
	void *na;

	if (n + more <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < n + more)
		ncap *= 2;
	/* The text is bounded (VSCSI_FILTER_MAX_LEN) and so is every array,
	 * far below any overflow of ncap * size. */
	na = realloc(*arr, ncap * size);
	if (!na) {
		p->err = VSCSI_ERR_NOMEM;
		return -1;
	}
	*arr = na;
	*cap = ncap;
	return 0;
}

static int flt_new_node(flt_parser *p, uint8_t kind, uint32_t a, uint32_t n,
			uint32_t *out)
{
	void *arr = p->nodes;

	if (flt_reserve(p, &arr, &p->cap_nodes, p->n_nodes, 1,
			sizeof(flt_node)) < 0)
		return -1;
	p->nodes = arr;
	p->nodes[p->n_nodes].kind = kind;
	p->nodes[p->n_nodes].a = a;
	p->nodes[p->n_nodes].n = n;
	*out = (uint32_t)p->n_nodes++;
	return 0;
}

static int flt_new_test(flt_parser *p, const flt_test *t, uint32_t *out)
{
	void *arr = p->tests;

	if (flt_reserve(p, &arr, &p->cap_tests, p->n_tests, 1,
			sizeof(flt_test)) < 0)
		return -1;
	p->tests = arr;
	p->tests[p->n_tests] = *t;
	return flt_new_node(p, FLT_N_TEST, (uint32_t)p->n_tests++, 0, out);
}

static int flt_push(flt_parser *p, uint32_t node)
{
	void *arr = p->stack;

	if (flt_reserve(p, &arr, &p->cap_stack, p->n_stack, 1,
			sizeof(uint32_t)) < 0)
		return -1;
	p->stack = arr;
	p->stack[p->n_stack++] = node;
	return 0;
}

/* Pop the operands pushed since base into one and/or node (or return the
 * single operand as it is). */
static int flt_group(flt_parser *p, uint8_t kind, size_t base, uint32_t *out)
{
	size_t n = p->n_stack - base;
	void *arr = p->kids;
	uint32_t first;

	if (n == 1) {
		*out = p->stack[base];
		p->n_stack = base;
		return 0;
	}
	if (flt_reserve(p, &arr, &p->cap_kids, p->n_kids, n,
			sizeof(uint32_t)) < 0)
		return -1;
	p->kids = arr;
	first = (uint32_t)p->n_kids;
	memcpy(p->kids + p->n_kids, p->stack + base, n * sizeof(uint32_t));
	p->n_kids += n;
	p->n_stack = base;
	return flt_new_node(p, kind, first, (uint32_t)n, out);
}

/* Keep a copy of an op name for describe(); returns its pool offset. */
static int flt_pool_add(flt_parser *p, const char *s, size_t n, uint32_t *out)
{
	void *arr = p->pool;

	if (flt_reserve(p, &arr, &p->cap_pool, p->n_pool, n + 1, 1) < 0)
		return -1;
	p->pool = arr;
	memcpy(p->pool + p->n_pool, s, n);
	p->pool[p->n_pool + n] = '\0';
	*out = (uint32_t)p->n_pool;
	p->n_pool += n + 1;
	return 0;
}

/* ------------------------------------------------------------ errors */

/* A token for a message: at most 32 bytes, unprintable bytes as '?'. */
static void flt_tok(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i, max = 32;
	size_t k = 0;

	for (i = 0; i < n && i < max && k + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		out[k++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	if (n > max && k + 4 < outlen) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

__attribute__((format(printf, 3, 4)))
static int flt_fail(flt_parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return -1;
	p->err = VSCSI_ERR_SYNTAX;
	p->err_col = at + 1;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* "expected WHAT after 'PREV'" (or without "after" at the start). */
static int flt_expected(flt_parser *p, size_t at, const char *what)
{
	char t[48];

	if (!p->prev_len)
		return flt_fail(p, at, "expected %s", what);
	flt_tok(t, sizeof(t), p->s + p->prev, p->prev_len);
	return flt_fail(p, at, "expected %s after '%s'", what, t);
}

/* ------------------------------------------------------------ lexing */

static int flt_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int flt_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char flt_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void flt_skip(flt_parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
		    c != '\f' && c != '\v')
			break;
		p->pos++;
	}
}

/* Length of the field-name-like word at at: [A-Za-z_][A-Za-z0-9_.]*. */
static size_t flt_word(const flt_parser *p, size_t at)
{
	size_t i = at;

	if (i >= p->len || !flt_is_alpha(p->s[i]))
		return 0;
	while (i < p->len && (flt_is_alpha(p->s[i]) || flt_is_digit(p->s[i]) ||
			      p->s[i] == '.'))
		i++;
	return i - at;
}

/* s[0..n) equals the lower-case word w, ignoring case. */
static int flt_word_is(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!w[i] || flt_lower(s[i]) != w[i])
			return 0;
	return w[n] == '\0';
}

static int flt_at_kw(const flt_parser *p, const char *kw)
{
	size_t n = flt_word(p, p->pos);

	return n && flt_word_is(p->s + p->pos, n, kw);
}

static void flt_set_prev(flt_parser *p, size_t at, size_t n)
{
	p->prev = at;
	p->prev_len = n;
}

/* One name character, folded: lower case, and ' ' / '-' as '_'. */
static char flt_fold(char c)
{
	c = flt_lower(c);
	return c == ' ' || c == '-' ? '_' : c;
}

/* The user's s[0..n) names canonical name `name`. */
static int flt_name_eq(const char *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!name[i] || flt_fold(s[i]) != flt_fold(name[i]))
			return 0;
	return name[n] == '\0';
}

/* ------------------------------------------------------------ values */

/* A value token: [at, at + n), and for strings the text inside quotes. */
typedef struct flt_val {
	size_t at, n;		/* the token as written */
	const char *text;	/* number/name text, or string contents */
	size_t text_n;
	int kind;		/* 0 number, 1 name, 2 string */
} flt_val;

/* A number: digits [. digits] or 0x hex, then a suffix of letters. */
typedef struct flt_num {
	uint64_t ip;		/* integer part */
	uint64_t frac;		/* fraction digits as an integer */
	uint64_t frac_den;	/* 10^(number of fraction digits), 1 if none */
	const char *sfx;
	size_t sfx_n;
} flt_num;

#define FLT_FRAC_DIGITS_MAX 9

/* Parse s[0..n) as a number. 0, or -1 with a message at `at`. */
static int flt_parse_num(flt_parser *p, size_t at, const char *s, size_t n,
			 flt_num *num)
{
	size_t i = 0;
	char t[48];

	memset(num, 0, sizeof(*num));
	num->frac_den = 1;
	flt_tok(t, sizeof(t), s, n);
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t start;

		i = 2;
		start = i;
		for (; i < n; i++) {
			char c = flt_lower(s[i]);
			unsigned d;

			if (flt_is_digit(c))
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else
				break;
			if (num->ip > (UINT64_MAX >> 4))
				return flt_fail(p, at, "number too large: '%s'",
						t);
			num->ip = num->ip << 4 | d;
		}
		if (i == start)
			return flt_fail(p, at, "invalid number '%s'", t);
	} else {
		for (; i < n && flt_is_digit(s[i]); i++) {
			unsigned d = (unsigned)(s[i] - '0');

			if (num->ip > (UINT64_MAX - d) / 10)
				return flt_fail(p, at, "number too large: '%s'",
						t);
			num->ip = num->ip * 10 + d;
		}
		if (i < n && s[i] == '.') {
			size_t start = ++i;

			for (; i < n && flt_is_digit(s[i]); i++) {
				if (i - start >= FLT_FRAC_DIGITS_MAX)
					return flt_fail(p, at,
							"too many digits after "
							"the point in '%s'", t);
				num->frac = num->frac * 10 +
					    (unsigned)(s[i] - '0');
				num->frac_den *= 10;
			}
			if (i == start)
				return flt_fail(p, at, "invalid number '%s'",
						t);
		}
	}
	num->sfx = s + i;
	num->sfx_n = n - i;
	for (; i < n; i++)
		if (!flt_is_alpha(s[i]))
			return flt_fail(p, at, "invalid number '%s'", t);
	return 0;
}

/* ip.frac * mult, which must be a whole number. */
static int flt_scale(flt_parser *p, size_t at, const flt_num *num,
		     uint64_t mult, const char *unit, uint64_t *out)
{
	uint64_t a, b;

	if (__builtin_mul_overflow(num->ip, mult, &a) ||
	    __builtin_mul_overflow(num->frac, mult, &b))
		return flt_fail(p, at, "number too large");
	if (b % num->frac_den)
		return flt_fail(p, at, "not a whole number of %s", unit);
	if (__builtin_add_overflow(a, b / num->frac_den, out))
		return flt_fail(p, at, "number too large");
	return 0;
}

/* A plain number: no fraction, no suffix. */
static int flt_plain(flt_parser *p, const flt_field *fd, const flt_val *v,
		     uint64_t *out)
{
	flt_num num;
	char t[48];

	if (flt_parse_num(p, v->at, v->text, v->text_n, &num) < 0)
		return -1;
	if (num.frac_den != 1 || num.sfx_n) {
		flt_tok(t, sizeof(t), v->text, v->text_n);
		return flt_fail(p, v->at, "'%s' takes a whole number, not '%s'",
				fd->name, t);
	}
	*out = num.ip;
	return 0;
}

static const struct {
	const char *sfx;
	uint64_t mult;
} flt_time_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "ms", 1000000 },
	{ "s", 1000000000 },
};

static const struct {
	const char *sfx;
	uint64_t mult;
} flt_size_units[] = {
	{ "", 1 },
	{ "k", 1ull << 10 },
	{ "m", 1ull << 20 },
	{ "g", 1ull << 30 },
	{ "t", 1ull << 40 },
};

static int flt_time(flt_parser *p, const flt_val *v, uint64_t *out)
{
	flt_num num;
	size_t i;
	char t[48];

	if (flt_parse_num(p, v->at, v->text, v->text_n, &num) < 0)
		return -1;
	if (!num.sfx_n) {
		if (num.ip == 0 && num.frac == 0) {
			*out = 0;
			return 0;
		}
		return flt_fail(p, v->at,
				"'lat' needs a time unit: ns, us, ms or s");
	}
	for (i = 0; i < sizeof(flt_time_units) / sizeof(flt_time_units[0]);
	     i++)
		if (flt_word_is(num.sfx, num.sfx_n, flt_time_units[i].sfx))
			return flt_scale(p, v->at, &num,
					 flt_time_units[i].mult, "nanoseconds",
					 out);
	flt_tok(t, sizeof(t), num.sfx, num.sfx_n);
	return flt_fail(p, v->at, "unknown time unit '%s' (ns, us, ms, s)", t);
}

static int flt_size(flt_parser *p, const flt_val *v, uint64_t *out)
{
	flt_num num;
	size_t i;
	char t[48];

	if (flt_parse_num(p, v->at, v->text, v->text_n, &num) < 0)
		return -1;
	for (i = 0; i < sizeof(flt_size_units) / sizeof(flt_size_units[0]);
	     i++)
		if (flt_word_is(num.sfx, num.sfx_n, flt_size_units[i].sfx))
			return flt_scale(p, v->at, &num,
					 flt_size_units[i].mult, "bytes", out);
	flt_tok(t, sizeof(t), num.sfx, num.sfx_n);
	return flt_fail(p, v->at, "unknown size suffix '%s' (k, m, g, t)", t);
}

/* N, T:N, wlun, T:wlun. */
static int flt_lun_value(flt_parser *p, const flt_val *v, flt_test *t)
{
	const char *s = v->text, *colon;
	size_t n = v->text_n;
	flt_num num;
	char tk[48];

	colon = memchr(s, ':', n);
	if (v->kind == 0 && colon) {
		size_t tn = (size_t)(colon - s);

		if (flt_parse_num(p, v->at, s, tn, &num) < 0)
			return -1;
		if (!tn || num.frac_den != 1 || num.sfx_n || num.ip > 0xFF) {
			flt_tok(tk, sizeof(tk), s, n);
			return flt_fail(p, v->at,
					"invalid target in '%s' (0..255)", tk);
		}
		t->flags |= FLT_V_TARGET;
		t->target = (uint8_t)num.ip;
		s = colon + 1;
		n -= tn + 1;
	}
	if (n == 4 && flt_word_is(s, n, "wlun")) {
		t->flags |= FLT_V_WLUN;
	} else if (n && flt_is_digit(s[0])) {
		if (flt_parse_num(p, v->at, s, n, &num) < 0)
			return -1;
		if (num.frac_den != 1 || num.sfx_n) {
			flt_tok(tk, sizeof(tk), v->text, v->text_n);
			return flt_fail(p, v->at, "invalid LUN '%s'", tk);
		}
		t->val = num.ip;
	} else {
		flt_tok(tk, sizeof(tk), v->text, v->text_n);
		return flt_fail(p, v->at,
				"invalid LUN '%s' (N, T:N, wlun or T:wlun)",
				tk);
	}
	if ((t->flags & (FLT_V_TARGET | FLT_V_WLUN)) && t->op != FLT_EQ &&
	    t->op != FLT_NE) {
		flt_tok(tk, sizeof(tk), v->text, v->text_n);
		return flt_fail(p, v->at,
				"'%s' compares only with == and !=", tk);
	}
	return 0;
}

/* Longest command name passed to vscsi_cdb_lookup(). */
#define FLT_OP_NAME_MAX 64

static int flt_op_value(flt_parser *p, const flt_val *v, flt_test *t)
{
	char name[FLT_OP_NAME_MAX + 1];
	char tk[48];
	uint8_t opcode = 0;
	uint16_t sa = 0;
	int has_sa = 0;
	size_t i;

	flt_tok(tk, sizeof(tk), v->text, v->text_n);
	if (v->kind == 0 && !memchr(v->text, '/', v->text_n)) {
		if (flt_plain(p, &flt_fields[FLT_OP], v, &t->val) < 0)
			return -1;
		if (t->val > 0xFF)
			return flt_fail(p, v->at,
					"opcode out of range (0..255): '%s'",
					tk);
		return 0;
	}
	if (v->text_n > FLT_OP_NAME_MAX)
		return flt_fail(p, v->at, "unknown opcode '%s'", tk);
	for (i = 0; i < v->text_n; i++)
		name[i] = flt_lower(v->text[i]);
	name[v->text_n] = '\0';
	if (vscsi_cdb_lookup(name, &opcode, &sa, &has_sa) != VSCSI_OK)
		return flt_fail(p, v->at, "unknown opcode '%s'", tk);
	t->val = opcode;
	if (has_sa) {
		if (t->op != FLT_EQ && t->op != FLT_NE)
			return flt_fail(p, v->at,
					"'%s' has a service action: compare "
					"it only with == and !=", tk);
		t->flags |= FLT_V_SA;
		t->sa = sa;
	}
	if (v->kind == 0)
		return 0;	/* 0x9e/0x10: describe() prints the numbers */
	return flt_pool_add(p, name, v->text_n, &t->text);
}

static int flt_named_value(flt_parser *p, const flt_field *fd,
			   const flt_val *v, flt_test *t)
{
	unsigned i;
	char tk[48];

	if (v->kind == 0)
		return flt_plain(p, fd, v, &t->val);
	for (i = 0; i < fd->n_names; i++) {
		const char *nm = fd->names(i);
		const char *alt = fd->alt_names ? fd->alt_names(i) : NULL;

		if ((nm && flt_name_eq(v->text, v->text_n, nm)) ||
		    (alt && flt_name_eq(v->text, v->text_n, alt))) {
			t->val = i;
			return 0;
		}
	}
	flt_tok(tk, sizeof(tk), v->text, v->text_n);
	return flt_fail(p, v->at, "unknown %s '%s'", fd->what, tk);
}

/* Read the value token after an operator (op is the operator's text). */
static int flt_read_value(flt_parser *p, const flt_field *fd, flt_val *v)
{
	size_t at, i;
	char c;

	flt_skip(p);
	at = p->pos;
	memset(v, 0, sizeof(*v));
	v->at = at;
	c = at < p->len ? p->s[at] : '\0';
	if (c == '"' || c == '\'') {
		const char *end = memchr(p->s + at + 1, c, p->len - at - 1);

		if (!end)
			return flt_fail(p, at, "unterminated string");
		v->kind = 2;
		v->text = p->s + at + 1;
		v->text_n = (size_t)(end - v->text);
		v->n = v->text_n + 2;
	} else if (flt_is_digit(c)) {
		for (i = at; i < p->len; i++) {
			char d = p->s[i];

			/* ':' for T:N, '/' for an opcode/service action */
			if (!flt_is_alpha(d) && !flt_is_digit(d) && d != '.' &&
			    d != ':' && (d != '/' || fd->kind != FLT_K_OP))
				break;
		}
		v->kind = 0;
		v->text = p->s + at;
		v->text_n = v->n = i - at;
	} else if (flt_is_alpha(c)) {
		for (i = at; i < p->len &&
			     (flt_is_alpha(p->s[i]) || flt_is_digit(p->s[i]));
		     i++)
			;
		/* READ(10): a command name with its CDB size */
		if (fd->kind == FLT_K_OP && i < p->len && p->s[i] == '(') {
			size_t j = i + 1;

			while (j < p->len && flt_is_digit(p->s[j]))
				j++;
			if (j > i + 1 && j < p->len && p->s[j] == ')')
				i = j + 1;
		}
		v->kind = 1;
		v->text = p->s + at;
		v->text_n = v->n = i - at;
	} else {
		return flt_expected(p, at, "a value");
	}
	flt_set_prev(p, at, v->n);
	p->pos = at + v->n;
	return 0;
}

/* ------------------------------------------------------------ grammar */

static int flt_or(flt_parser *p, uint32_t *out);

static const flt_field *flt_find_field(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < FLT_N_FIELDS; i++)
		if (flt_word_is(s, n, flt_fields[i].name))
			return &flt_fields[i];
	for (i = 0; i < sizeof(flt_aliases) / sizeof(flt_aliases[0]); i++)
		if (flt_word_is(s, n, flt_aliases[i].alias))
			return &flt_fields[flt_aliases[i].id];
	return NULL;
}

/* field [relop value] */
static int flt_comparison(flt_parser *p, const flt_field *fd, uint32_t *out)
{
	flt_test t;
	flt_val v;
	size_t at, n = 0;
	const char *s;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	t.field = fd->id;
	t.text = FLT_NO_TEXT;
	t.op = FLT_PRESENT;
	flt_skip(p);
	at = p->pos;
	s = p->s + at;
	if (at + 1 < p->len && (s[0] == '=' || s[0] == '!' || s[0] == '<' ||
				s[0] == '>') && s[1] == '=') {
		n = 2;
		t.op = s[0] == '=' ? FLT_EQ : s[0] == '!' ? FLT_NE :
		       s[0] == '<' ? FLT_LE : FLT_GE;
	} else if (at < p->len && (s[0] == '=' || s[0] == '<' || s[0] == '>')) {
		n = 1;
		t.op = s[0] == '=' ? FLT_EQ : s[0] == '<' ? FLT_LT : FLT_GT;
	}
	if (!n)
		return flt_new_test(p, &t, out);
	if (fd->kind == FLT_K_BOOL)
		return flt_fail(p, at,
				"'%s' takes no comparison: write '%s' or "
				"'not %s'", fd->name, fd->name, fd->name);
	flt_set_prev(p, at, n);
	p->pos = at + n;
	if (flt_read_value(p, fd, &v) < 0)
		return -1;
	if (v.kind != 0 && fd->kind != FLT_K_OP && fd->kind != FLT_K_NAMED &&
	    !(fd->kind == FLT_K_LUN &&
	      flt_word_is(v.text, v.text_n, "wlun"))) {
		char tk[48];

		flt_tok(tk, sizeof(tk), v.text, v.text_n);
		return flt_fail(p, v.at, "'%s' takes a number, not '%s'",
				fd->name, tk);
	}
	switch (fd->kind) {
	case FLT_K_DEC:
	case FLT_K_HEX:
		rc = flt_plain(p, fd, &v, &t.val);
		break;
	case FLT_K_LUN:
		rc = flt_lun_value(p, &v, &t);
		break;
	case FLT_K_OP:
		rc = flt_op_value(p, &v, &t);
		break;
	case FLT_K_TIME:
		rc = flt_time(p, &v, &t.val);
		break;
	case FLT_K_SIZE:
		rc = flt_size(p, &v, &t.val);
		break;
	default:
		rc = flt_named_value(p, fd, &v, &t);
		break;
	}
	if (rc < 0)
		return -1;
	return flt_new_test(p, &t, out);
}

/* "(" or-expr ")" | field [relop value] */
static int flt_primary(flt_parser *p, uint32_t *out)
{
	size_t at, n;
	const flt_field *fd;
	char tk[48];

	flt_skip(p);
	at = p->pos;
	if (at < p->len && p->s[at] == '(') {
		if (p->depth >= VSCSI_FILTER_MAX_DEPTH)
			return flt_fail(p, at, "nested deeper than %d",
					VSCSI_FILTER_MAX_DEPTH);
		p->depth++;
		flt_set_prev(p, at, 1);
		p->pos++;
		if (flt_or(p, out) < 0)
			return -1;
		flt_skip(p);
		if (p->pos >= p->len || p->s[p->pos] != ')') {
			flt_tok(tk, sizeof(tk), p->s + p->prev, p->prev_len);
			return flt_fail(p, p->pos,
					"expected 'and', 'or' or ')' after "
					"'%s' (to close the '(' at column %zu)",
					tk, at + 1);
		}
		flt_set_prev(p, p->pos, 1);
		p->pos++;
		p->depth--;
		return 0;
	}
	n = flt_word(p, at);
	if (!n || flt_word_is(p->s + at, n, "and") ||
	    flt_word_is(p->s + at, n, "or"))
		return flt_expected(p, at, "a field name");
	fd = flt_find_field(p->s + at, n);
	if (!fd) {
		flt_tok(tk, sizeof(tk), p->s + at, n);
		return flt_fail(p, at, "unknown field '%s'", tk);
	}
	flt_set_prev(p, at, n);
	p->pos = at + n;
	return flt_comparison(p, fd, out);
}

/* ("not" | "!") unary | primary */
static int flt_unary(flt_parser *p, uint32_t *out)
{
	size_t at, n = 0;
	uint32_t c;

	flt_skip(p);
	at = p->pos;
	if (at < p->len && p->s[at] == '!' &&
	    (at + 1 >= p->len || p->s[at + 1] != '='))
		n = 1;
	else if (flt_at_kw(p, "not"))
		n = 3;
	if (!n)
		return flt_primary(p, out);
	if (p->depth >= VSCSI_FILTER_MAX_DEPTH)
		return flt_fail(p, at, "nested deeper than %d",
				VSCSI_FILTER_MAX_DEPTH);
	p->depth++;
	flt_set_prev(p, at, n);
	p->pos = at + n;
	if (flt_unary(p, &c) < 0)
		return -1;
	p->depth--;
	return flt_new_node(p, FLT_N_NOT, c, 0, out);
}

/* The chain operator at pos: 1 for the word or symbol (its length in *n),
 * 0 for none, -1 (with a message) for a lone '&' or '|'. */
static int flt_chain_op(flt_parser *p, const char *word, char sym, size_t *n)
{
	size_t at = p->pos;

	if (at + 1 < p->len && p->s[at] == sym && p->s[at + 1] == sym) {
		*n = 2;
		return 1;
	}
	if (at < p->len && p->s[at] == sym)
		return flt_fail(p, at, "'%c' alone: write '%c%c' or '%s'", sym,
				sym, sym, word);
	if (flt_at_kw(p, word)) {
		*n = strlen(word);
		return 1;
	}
	return 0;
}

static int flt_chain(flt_parser *p, uint8_t kind, uint32_t *out)
{
	size_t base = p->n_stack, n = 0;
	uint32_t c;
	int r;

	for (;;) {
		if (kind == FLT_N_OR) {
			if (flt_chain(p, FLT_N_AND, &c) < 0)
				return -1;
		} else if (flt_unary(p, &c) < 0) {
			return -1;
		}
		if (flt_push(p, c) < 0)
			return -1;
		flt_skip(p);
		r = kind == FLT_N_OR ? flt_chain_op(p, "or", '|', &n) :
				       flt_chain_op(p, "and", '&', &n);
		if (r < 0)
			return -1;
		if (!r)
			break;
		flt_set_prev(p, p->pos, n);
		p->pos += n;
	}
	return flt_group(p, kind, base, out);
}

static int flt_or(flt_parser *p, uint32_t *out)
{
	return flt_chain(p, FLT_N_OR, out);
}

/* ------------------------------------------------------------ code */

typedef struct flt_gen {
	const flt_parser *p;
	flt_insn *prog;
	uint32_t pos;	/* instructions are placed from the end backwards */
} flt_gen;

/*
 * Place the code of node before what is placed already, so that it goes on
 * at t when the node holds and at f when it does not; returns where it
 * starts. Recursion follows the tree, whose depth the parser bounded.
 */
static uint32_t flt_emit(flt_gen *g, uint32_t node, uint32_t t, uint32_t f)
{
	const flt_node *nd = &g->p->nodes[node];
	uint32_t i, next;

	switch (nd->kind) {
	case FLT_N_TEST:
		g->pos--;
		g->prog[g->pos].t = g->p->tests[nd->a];
		g->prog[g->pos].jt = t;
		g->prog[g->pos].jf = f;
		return g->pos;
	case FLT_N_NOT:
		return flt_emit(g, nd->a, f, t);
	case FLT_N_AND:
		next = t;
		for (i = nd->n; i-- > 0;)
			next = flt_emit(g, g->p->kids[nd->a + i], next, f);
		return next;
	default:
		next = f;
		for (i = nd->n; i-- > 0;)
			next = flt_emit(g, g->p->kids[nd->a + i], t, next);
		return next;
	}
}

static void flt_parser_free(flt_parser *p)
{
	free(p->nodes);
	free(p->tests);
	free(p->kids);
	free(p->stack);
	free(p->pool);
}

void vscsi_filter_free(vscsi_filter *f)
{
	if (!f)
		return;
	free(f->prog);
	free(f->nodes);
	free(f->tests);
	free(f->kids);
	free(f->pool);
	free(f);
}

static int flt_report(flt_parser *p, char *errbuf, size_t errlen,
		      size_t *err_col)
{
	int err = p->err;

	if (err == VSCSI_ERR_NOMEM) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "out of memory");
		if (err_col)
			*err_col = 0;
	} else {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "column %zu: %s", p->err_col,
				 p->msg);
		if (err_col)
			*err_col = p->err_col;
	}
	flt_parser_free(p);
	return err;
}

int vscsi_filter_compile(const char *expr, vscsi_filter **out, char *errbuf,
			 size_t errlen, size_t *err_col)
{
	flt_parser p;
	vscsi_filter *f;
	uint32_t root = 0;
	flt_gen g;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (err_col)
		*err_col = 0;
	if (out)
		*out = NULL;
	if (!expr || !out)
		return VSCSI_ERR_ARG;
	memset(&p, 0, sizeof(p));
	p.s = expr;
	p.len = strnlen(expr, (size_t)VSCSI_FILTER_MAX_LEN + 1);
	if (p.len > VSCSI_FILTER_MAX_LEN) {
		flt_fail(&p, VSCSI_FILTER_MAX_LEN,
			 "expression longer than %d bytes",
			 VSCSI_FILTER_MAX_LEN);
		return flt_report(&p, errbuf, errlen, err_col);
	}
	flt_skip(&p);
	if (p.pos < p.len) {
		if (flt_or(&p, &root) == 0) {
			flt_skip(&p);
			if (p.pos < p.len && p.s[p.pos] == ')')
				flt_fail(&p, p.pos, "unmatched ')'");
			else if (p.pos < p.len)
				flt_expected(&p, p.pos,
					     "'and', 'or' or the end");
		}
		if (p.err)
			return flt_report(&p, errbuf, errlen, err_col);
	}

	f = calloc(1, sizeof(*f));
	if (!f) {
		p.err = VSCSI_ERR_NOMEM;
		return flt_report(&p, errbuf, errlen, err_col);
	}
	f->empty = p.n_nodes == 0;
	f->root = root;
	f->n_insn = (uint32_t)p.n_tests;
	if (!f->empty) {
		f->prog = malloc(p.n_tests * sizeof(flt_insn));
		if (!f->prog) {
			free(f);
			p.err = VSCSI_ERR_NOMEM;
			return flt_report(&p, errbuf, errlen, err_col);
		}
		g.p = &p;
		g.prog = f->prog;
		g.pos = f->n_insn;
		flt_emit(&g, root, f->n_insn, f->n_insn + 1);
	}
	/* The tree and the names stay for describe(). */
	f->nodes = p.nodes;
	f->tests = p.tests;
	f->kids = p.kids;
	f->pool = p.pool;
	free(p.stack);
	*out = f;
	return VSCSI_OK;
}

/* ------------------------------------------------------------ matching */

static int flt_cmp(uint8_t op, uint64_t a, uint64_t b)
{
	switch (op) {
	case FLT_EQ:
		return a == b;
	case FLT_NE:
		return a != b;
	case FLT_LT:
		return a < b;
	case FLT_LE:
		return a <= b;
	case FLT_GT:
		return a > b;
	case FLT_GE:
		return a >= b;
	default:
		return 1;	/* FLT_PRESENT */
	}
}

static int flt_has_lun(const vscsi_io *io)
{
	return (io->has & VSCSI_IO_HAS_LUN) &&
	       io->lun_kind != VSCSI_LUN_MALFORMED;
}

/* lun: the REPORT LUNS well-known LU is a LUN unequal to every number and
 * with no order; T:N and wlun compare with == and != only (the parser saw
 * to it). */
static int flt_lun(const flt_test *t, const vscsi_io *io)
{
	int wlun, eq;

	if (!flt_has_lun(io))
		return 0;
	wlun = io->lun_kind == VSCSI_LUN_REPORT_LUNS;
	if (t->op == FLT_PRESENT)
		return 1;
	if (t->flags & FLT_V_WLUN)
		eq = wlun;
	else if (wlun)
		eq = 0;
	else if (!(t->flags & FLT_V_TARGET))
		return flt_cmp(t->op, io->lun, t->val);
	else
		eq = io->lun == t->val;
	if ((t->flags & FLT_V_TARGET) && io->target != t->target)
		eq = 0;
	if (t->op == FLT_EQ)
		return eq;
	if (t->op == FLT_NE)
		return !eq;
	return 0;	/* ordering against wlun: no order */
}

static int flt_op(const flt_test *t, const vscsi_io *io)
{
	int eq;

	if (!(io->has & VSCSI_IO_HAS_CDB))
		return 0;
	if (!(t->flags & FLT_V_SA))
		return flt_cmp(t->op, io->opcode, t->val);
	eq = io->opcode == t->val && io->has_sa && io->sa == t->sa;
	return t->op == FLT_EQ ? eq : !eq;
}

static int flt_eval(const flt_test *t, const vscsi_io *io)
{
	uint64_t v;

	switch (t->field) {
	case FLT_LUN:
		return flt_lun(t, io);
	case FLT_TARGET:
		if (!flt_has_lun(io))
			return 0;
		v = io->target;
		break;
	case FLT_QUEUE:
		v = io->vq;
		break;
	case FLT_CONN:
		v = io->conn;
		break;
	case FLT_HEAD:
		v = io->head;
		break;
	case FLT_TAG:
		if (!(io->has & (VSCSI_IO_HAS_CDB | VSCSI_IO_HAS_TMF)))
			return 0;
		v = io->tag;
		break;
	case FLT_OP:
		return flt_op(t, io);
	case FLT_CLASS:
		if (!(io->has & VSCSI_IO_HAS_CDB))
			return 0;
		v = io->op_class;
		break;
	case FLT_LBA:
		if (!(io->has & VSCSI_IO_HAS_LBA))
			return 0;
		v = io->lba;
		break;
	case FLT_LEN:
		if (!(io->has & VSCSI_IO_HAS_LEN))
			return 0;
		v = io->xfer_len;
		break;
	case FLT_BYTES:
		if (io->type != VSCSI_IO_REQUEST &&
		    io->type != VSCSI_IO_COMPLETION)
			return 0;
		v = io->bytes_out + io->bytes_in;
		if (v < io->bytes_out)
			v = UINT64_MAX;
		break;
	case FLT_LAT:
		if (!(io->has & VSCSI_IO_HAS_LATENCY))
			return 0;
		v = io->latency_ns;
		break;
	case FLT_STATUS:
		/* the status byte means something only with response OK
		 * (virtio 1.2 5.6.6.1) */
		if (!(io->has & VSCSI_IO_HAS_RESP) ||
		    io->type != VSCSI_IO_COMPLETION ||
		    io->response != VSCSI_S_OK)
			return 0;
		v = io->status;
		break;
	case FLT_RESPONSE:
		if (!(io->has & VSCSI_IO_HAS_RESP))
			return 0;
		v = io->response;
		break;
	case FLT_SENSE_KEY:
	case FLT_ASC:
	case FLT_ASCQ:
		if (!(io->has & VSCSI_IO_HAS_SENSE))
			return 0;
		v = t->field == FLT_SENSE_KEY ? io->sense_key :
		    t->field == FLT_ASC ? io->asc : io->ascq;
		break;
	case FLT_TMF:
		if (!(io->has & VSCSI_IO_HAS_TMF))
			return 0;
		v = io->tmf;
		break;
	case FLT_TYPE:
		v = io->type;
		break;
	case FLT_ATTR:
		if (!(io->has & VSCSI_IO_HAS_CDB))
			return 0;
		v = io->task_attr;
		break;
	case FLT_ERROR:
		return vscsi_io_is_error(io) != 0;
	default:
		return 0;
	}
	return flt_cmp(t->op, v, t->val);
}

int vscsi_filter_match(const vscsi_filter *f, const vscsi_io *io)
{
	uint32_t pc = 0, n;

	if (!f)
		return 1;
	if (!io)
		return 0;
	n = f->n_insn;
	while (pc < n) {
		const flt_insn *in = &f->prog[pc];

		pc = flt_eval(&in->t, io) ? in->jt : in->jf;
	}
	return pc == n;
}

/* ------------------------------------------------------------ describe */

/* A canonical name: lower case with '_'; quoted when it does not read back
 * as a bare name. */
static void flt_put_name(vscsi_sb *sb, const char *name)
{
	const char *c;
	int bare = flt_is_alpha(name[0]);

	for (c = name; *c && bare; c++) {
		char d = flt_fold(*c);

		bare = flt_is_alpha(d) || flt_is_digit(d);
	}
	if (!bare) {
		vscsi__sb_printf(sb, "\"%s\"", name);
		return;
	}
	for (c = name; *c; c++)
		vscsi__sb_putc(sb, flt_fold(*c));
}

/* An op name as written (lower-cased), quoted when it has other than
 * name characters, or parentheses other than a trailing "(digits)". */
static void flt_put_op_name(vscsi_sb *sb, const char *name)
{
	size_t i = 0, n = strlen(name);
	int bare = n && flt_is_alpha(name[0]);

	while (i < n && (flt_is_alpha(name[i]) || flt_is_digit(name[i])))
		i++;
	if (bare && i < n && name[i] == '(' && name[n - 1] == ')' &&
	    n - i >= 3) {
		size_t j;

		for (j = i + 1; j < n - 1; j++)
			if (!flt_is_digit(name[j]))
				bare = 0;
	} else if (i < n) {
		bare = 0;
	}
	if (bare)
		vscsi__sb_puts(sb, name);
	else if (strchr(name, '"'))
		vscsi__sb_printf(sb, "'%s'", name);
	else
		vscsi__sb_printf(sb, "\"%s\"", name);
}

static void flt_put_units(vscsi_sb *sb, uint64_t v, const char *const *sfx,
			  const uint64_t *mult, size_t n)
{
	size_t i;

	for (i = n; i-- > 1;)
		if (v && v % mult[i] == 0)
			break;
	vscsi__sb_printf(sb, "%llu%s", (unsigned long long)(v / mult[i]),
			 sfx[i]);
}

static void flt_put_value(vscsi_sb *sb, const vscsi_filter *f,
			  const flt_test *t)
{
	const flt_field *fd = &flt_fields[t->field];
	static const char *const tsfx[] = { "ns", "us", "ms", "s" };
	static const uint64_t tmul[] = { 1, 1000, 1000000, 1000000000 };
	static const char *const ssfx[] = { "", "k", "m", "g", "t" };
	static const uint64_t smul[] = { 1, 1ull << 10, 1ull << 20,
					 1ull << 30, 1ull << 40 };
	const char *name;

	switch (fd->kind) {
	case FLT_K_HEX:
		vscsi__sb_printf(sb, "0x%llx", (unsigned long long)t->val);
		break;
	case FLT_K_LUN:
		if (t->flags & FLT_V_TARGET)
			vscsi__sb_printf(sb, "%u:", t->target);
		if (t->flags & FLT_V_WLUN)
			vscsi__sb_puts(sb, "wlun");
		else
			vscsi__sb_printf(sb, "%llu",
					 (unsigned long long)t->val);
		break;
	case FLT_K_OP:
		if (t->text != FLT_NO_TEXT)
			flt_put_op_name(sb, f->pool + t->text);
		else if (t->flags & FLT_V_SA)
			vscsi__sb_printf(sb, "0x%02llx/0x%x",
					 (unsigned long long)t->val, t->sa);
		else
			vscsi__sb_printf(sb, "0x%02llx",
					 (unsigned long long)t->val);
		break;
	case FLT_K_TIME:
		flt_put_units(sb, t->val, tsfx, tmul, 4);
		break;
	case FLT_K_SIZE:
		flt_put_units(sb, t->val, ssfx, smul, 5);
		break;
	case FLT_K_NAMED:
		name = t->val < fd->n_names ? fd->names((unsigned)t->val) :
					      NULL;
		if (name) {
			flt_put_name(sb, name);
			break;
		}
		/* fall through */
	default:
		vscsi__sb_printf(sb, "%llu", (unsigned long long)t->val);
	}
}

static int flt_prec(const flt_node *nd)
{
	return nd->kind == FLT_N_OR ? 1 : nd->kind == FLT_N_AND ? 2 : 3;
}

static void flt_describe_node(vscsi_sb *sb, const vscsi_filter *f,
			      uint32_t node, int min_prec)
{
	const flt_node *nd = &f->nodes[node];
	int paren = flt_prec(nd) < min_prec;
	const flt_test *t;
	uint32_t i;

	if (paren)
		vscsi__sb_putc(sb, '(');
	switch (nd->kind) {
	case FLT_N_TEST:
		t = &f->tests[nd->a];
		vscsi__sb_puts(sb, flt_fields[t->field].name);
		if (t->op != FLT_PRESENT) {
			vscsi__sb_printf(sb, " %s ", flt_op_text[t->op]);
			flt_put_value(sb, f, t);
		}
		break;
	case FLT_N_NOT:
		vscsi__sb_puts(sb, "not ");
		flt_describe_node(sb, f, nd->a, 3);
		break;
	default:
		for (i = 0; i < nd->n; i++) {
			if (i)
				vscsi__sb_puts(sb, nd->kind == FLT_N_AND ?
						      " and " : " or ");
			flt_describe_node(sb, f, f->kids[nd->a + i],
					  flt_prec(nd));
		}
	}
	if (paren)
		vscsi__sb_putc(sb, ')');
}

size_t vscsi_filter_describe(const vscsi_filter *f, char *buf, size_t len)
{
	vscsi_sb sb;

	vscsi__sb_init(&sb, buf, len);
	if (f && !f->empty)
		flt_describe_node(&sb, f, f->root, 0);
	return vscsi__sb_done(&sb);
}
