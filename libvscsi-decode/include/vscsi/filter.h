/*
 * libvscsi-decode: filter expressions over vscsi_io events.
 *
 * A filter is compiled once from text such as
 *
 *   op == read10 and lat > 1ms
 *   status == check_condition or sense.key == medium_error
 *   lun == 0:1 and not (class == read or class == write)
 *
 * and then evaluated for every event, in the spirit of tcpdump and Wireshark
 * display filters. The compiled form is a branch program (one test per
 * comparison, each with a jump for true and for false, all jumps forward):
 * matching runs a loop over it, allocates nothing, recurses nowhere and takes
 * at most one step per comparison written.
 *
 * Grammar (EBNF; keywords, field names, names, units and suffixes are
 * case-insensitive; white space between tokens is ignored):
 *
 *   filter     = [ or-expr ] ;                 (empty: matches everything)
 *   or-expr    = and-expr { ( "or" | "||" ) and-expr } ;
 *   and-expr   = unary { ( "and" | "&&" ) unary } ;
 *   unary      = ( "not" | "!" ) unary | primary ;
 *   primary    = "(" or-expr ")" | field [ relop value ] ;
 *   field      = ( letter | "_" ) { letter | digit | "_" | "." } ;
 *   relop      = "==" | "=" | "!=" | "<" | "<=" | ">" | ">=" ;
 *   value      = number | lun-value | op-value | name | string ;
 *   number     = ( digits [ "." digits ] | "0x" hexdigits ) [ suffix ] ;
 *   suffix     = "ns" | "us" | "ms" | "s"      (lat only; required)
 *              | "k" | "m" | "g" | "t" ;       (bytes only)
 *   lun-value  = [ number ":" ] ( number | "wlun" ) ;        (lun only)
 *   op-value   = number "/" number               (op only: opcode/SA)
 *              | name "(" digits ")" ;           (op only: READ(10))
 *   name       = ( letter | "_" ) { letter | digit | "_" } ;
 *   string     = '"' { any but '"' } '"' | "'" { any but "'" } "'" ;
 *
 * A fraction ("." digits) is allowed only with a unit or suffix; 0x numbers
 * take none.
 *
 * Precedence, tightest first: comparison, not, and, or.
 *
 * Fields (vscsi_filter_field_help() lists them with a line of help each):
 * lun, target, queue (alias vq), conn, head, tag, op, class, lba, len,
 * bytes, lat, status, response, sense.key (alias sense_key), asc, ascq, tmf,
 * type, attr, error.
 *
 * Values:
 * - Numbers are decimal or 0x hexadecimal, unsigned, up to 2^64-1.
 * - lat takes a time unit, ns, us, ms or s, and a decimal fraction is
 *   allowed (1.5ms); a bare number is an error (except 0), since no unit is
 *   the obvious default. The value must come to whole nanoseconds.
 * - bytes takes an optional size suffix k, m, g or t, powers of 1024 (4k is
 *   4096 bytes, as dd, fio and qemu-img read it); 1.5k is 1536.
 * - lun takes N (the LUN number), T:N (target and LUN), wlun or T:wlun (the
 *   REPORT LUNS well-known logical unit); T:N and wlun compare only with ==
 *   and !=. The well-known LU has a LUN but no LUN number: on it "lun == 0"
 *   is false, "lun != 0" true, and "lun < 5" false.
 * - op takes an opcode number (op == 0x28) or a command name resolved by
 *   vscsi_cdb_lookup() (op == read10, op == "READ(10)", op == read(10),
 *   op == write_same16). A name with a service action matches the opcode and
 *   the service action, and compares only with == and !=; ordering
 *   comparisons on op take the opcode byte.
 * - status (SCSI status: good, check_condition, ...), response (virtio
 *   response: ok, bad_target, function_complete, ...), sense.key
 *   (medium_error, ...), tmf (abort_task, ...), type (request, completion,
 *   ctrl, ctrl_done, event, vhost_user, other), attr (simple, ordered, head,
 *   aca) and class (read, write, flush, unmap, other) take a name or a
 *   number. In names upper and lower case are the same, and a space, "_"
 *   and "-" are interchangeable: check_condition, CHECK_CONDITION and
 *   "check condition" (quoted: a bare name has no spaces) are one name.
 *
 * Semantics:
 * - A comparison on a field the event does not have is false, with every
 *   operator: a missing field is never equal and never unequal ("lat > 1ms"
 *   and "lat != 1ms" are both false on a request, "not lat > 1ms" is true).
 * - A bare field is a truth test: true when the event has the field
 *   ("sense.key": the completion carries sense data); a bare "error" is
 *   vscsi_io_is_error().
 * - Which events have which field: LUN fields where a LUN was decoded (a
 *   malformed LUN has neither lun nor target); command fields (tag, op,
 *   class, attr) where the request is known (tag also on TMFs: the task it
 *   acts on); lba and len where the CDB has them; bytes on requests and
 *   completions (data-out plus data-in); lat on completions paired with
 *   their request; status on command completions with response OK (the
 *   status byte means nothing otherwise); response on completions; sense
 *   fields where the completion has fixed or descriptor sense; tmf on task
 *   management requests and their completions; queue, conn, head and type
 *   on every event.
 *
 * Errors name the 1-based column (byte offset + 1; the end of the text is
 * column strlen + 1) and what was expected or found:
 *   "column 9: expected a value after '>'"
 *   "column 1: unknown field 'lbx'"
 *   "column 12: unknown opcode 'raed10'"
 *
 * Limits: at most VSCSI_FILTER_MAX_LEN bytes of text and
 * VSCSI_FILTER_MAX_DEPTH nested parentheses and "not"s, so that hostile text
 * from a prompt or a script cannot exhaust the stack.
 */
#ifndef VSCSI_FILTER_H
#define VSCSI_FILTER_H

#include <stddef.h>

#include "common.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VSCSI_FILTER_MAX_LEN 65536	/* bytes of expression text */
#define VSCSI_FILTER_MAX_DEPTH 64	/* parentheses and "not" open at once */

typedef struct vscsi_filter vscsi_filter;

/*
 * Compile expr (a NUL-terminated string) into *out.
 *
 * Returns VSCSI_OK with *out set (free it with vscsi_filter_free()); an empty
 * or all-space expression compiles to a filter that matches everything.
 * Returns VSCSI_ERR_SYNTAX with *out NULL, the message "column N: ..." in
 * errbuf (snprintf-style: cut to errlen, always NUL-terminated when errlen >
 * 0) and N in *err_col; VSCSI_ERR_NOMEM with "out of memory" and column 0;
 * VSCSI_ERR_ARG when expr or out is NULL. errbuf may be NULL when errlen is
 * 0; err_col may be NULL.
 *
 * Thread-safe (no shared state); expr is not kept.
 */
VSCSI_API int vscsi_filter_compile(const char *expr, vscsi_filter **out,
				   char *errbuf, size_t errlen,
				   size_t *err_col);

/*
 * 1 when io passes the filter, 0 when not. A NULL filter matches every
 * event; a NULL io matches nothing. Allocates nothing; thread-safe: any
 * number of threads may match against one compiled filter at once.
 */
VSCSI_API int vscsi_filter_match(const vscsi_filter *f, const vscsi_io *io);

/* Free a compiled filter; NULL is ignored. */
VSCSI_API void vscsi_filter_free(vscsi_filter *f);

/*
 * The normalised expression: canonical field names, one space around
 * operators, "and"/"or"/"not" for the symbols, values in their canonical
 * spelling (names in lower case with "_", times and sizes in the largest
 * exact unit), and only the parentheses precedence needs. Compiling it gives
 * a filter that matches exactly the same events (it may be longer than the
 * input, so text close to VSCSI_FILTER_MAX_LEN may not compile again). The
 * empty filter (and NULL) describes as "".
 *
 * snprintf semantics: writes at most len bytes including the NUL and returns
 * the length of the whole text; buf may be NULL when len is 0. Thread-safe.
 */
VSCSI_API size_t vscsi_filter_describe(const vscsi_filter *f, char *buf,
				       size_t len);

/*
 * The i-th field of the language, for help screens and man pages: returns a
 * one-line help text and sets *name (when name is not NULL) to the field's
 * name ("lat"), or returns NULL (name untouched) when i is past the end.
 * Aliases are mentioned in the help text. Thread-safe; the strings are
 * static.
 */
VSCSI_API const char *vscsi_filter_field_help(unsigned i, const char **name);

#ifdef __cplusplus
}
#endif
#endif
