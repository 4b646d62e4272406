/*
 * The interactive screen (ncursesw).
 *
 *   rows 0-3  the header (view_header())
 *   row 4     the view tabs; while a prompt is open, rows 3-4 are the
 *             prompt and its error, shown in place under the text
 *   rows 5-   the current view (view_render())
 *
 * The main thread waits for a key with a timeout that ends at the next
 * refresh; at each refresh it takes a snapshot of the model under the lock,
 * begins a new interval, and draws without the lock. Keys are dispatched
 * through one table, which the help screen also lists.
 */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "top.h"

#define HDR_ROWS 4
#define TAB_ROW 4
#define BODY_ROW 5
#define MAX_FL 1000
#define CTRL(c) ((c) & 0x1f)

enum prompt { P_NONE, P_FILTER, P_DELAY, P_LUN, P_OP };

enum pair { C_HEADER = 1, C_ERR, C_WARN, C_SEL, C_TAB };

typedef struct ui {
	const top_opts *o;
	model *m;
	source *src;
	view_state vs;
	snap snap;
	vout out;
	int totals, paused, help, quit, colors;
	int ended;
	uint64_t end_now;
	uint64_t next_tick;	/* CLOCK_MONOTONIC, ns */
	double delay;
	unsigned prompt;
	char pbuf[512];
	size_t plen;
	char perr[256];
	size_t pcol;		/* error column (1-based), 0: none */
	char msg[200];		/* one-shot message under the header */
	int msg_shown;		/* it has been up since the last refresh */
	char filter_raw[512];	/* the filter as typed */
} ui;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ data */

static uint64_t ui_now(ui *u)
{
	return u->ended ? u->end_now : src_now(u->src);
}

/* A new snapshot; roll = begin a new interval after it. */
static void ui_snapshot(ui *u, int roll)
{
	uint64_t now;

	model_lock(u->m);
	if (!u->ended && src_ended(u->src)) {
		u->ended = 1;
		u->end_now = src_now(u->src);
	}
	now = ui_now(u);
	model_snapshot(u->m, &u->snap, now, u->totals,
		       u->vs.cur == VIEW_INFLIGHT ? MAX_FL : 0);
	if (roll && now && !u->ended)
		model_roll(u->m, now);
	model_unlock(u->m);
	u->snap.paused = u->paused;
	u->snap.delay = u->delay;
	u->snap.data_clock = src_data_clock(u->src);
	snprintf(u->snap.source, sizeof(u->snap.source), "%s",
		 src_name(u->src));
}

/*
 * The filter or a selection changed. A file read as fast as possible has
 * long been read: read it again so that the change applies to all of it.
 */
static void ui_changed(ui *u)
{
	char err[200];

	if (src_rewindable(u->src)) {
		if (src_rewind(u->src, err, sizeof(err)))
			snprintf(u->msg, sizeof(u->msg), "%s", err);
		u->ended = 0;
	}
	ui_snapshot(u, 0);
}

/* ------------------------------------------------------------ drawing */

static void set_attr(attr_t a)
{
	attrset((int)a);
}

static attr_t line_attr(const ui *u, unsigned a)
{
	attr_t r = A_NORMAL;

	if (a & VA_COLHDR)
		return A_REVERSE;
	if (a & VA_CURSOR)
		r |= A_REVERSE;
	if (a & VA_SEL)
		r |= A_BOLD | (u->colors ? COLOR_PAIR(C_SEL) : A_UNDERLINE);
	else if (a & VA_ERR)
		r |= u->colors ? COLOR_PAIR(C_ERR) : A_BOLD;
	if (a & VA_WARN)
		r |= u->colors ? COLOR_PAIR(C_WARN) | A_BOLD : A_BOLD;
	else if ((a & VA_HEADER) && u->colors)
		r |= COLOR_PAIR(C_HEADER);
	return r;
}

static void draw_line(const ui *u, int y, const tline *l)
{
	if (y >= LINES)
		return;
	set_attr(line_attr(u, l->attr));
	mvaddnstr(y, 0, l->text, COLS);
	if (l->attr & VA_COLHDR) {
		/* the column header bar runs the width of the screen */
		int x = (int)strlen(l->text);

		for (; x < COLS; x++)
			mvaddch(y, x, ' ');
		if (l->hl_w > 0 && l->hl_x < COLS) {
			set_attr(A_BOLD);
			mvaddnstr(y, l->hl_x, l->text + l->hl_x,
				  l->hl_w < COLS - l->hl_x ? l->hl_w :
							     COLS - l->hl_x);
		}
	}
	set_attr(A_NORMAL);
}

static void draw_tabs(const ui *u)
{
	unsigned v;
	int x = 0;

	move(TAB_ROW, 0);
	for (v = 0; v < VIEW_COUNT && x < COLS; v++) {
		char t[32];
		int n = snprintf(t, sizeof(t), v == u->vs.cur ? "[%u %s]" :
					" %u %s ", v + 1, view_name(v));

		set_attr(v == u->vs.cur ?
				A_BOLD | (u->colors ? COLOR_PAIR(C_TAB) :
						      A_REVERSE) :
				A_NORMAL);
		mvaddnstr(TAB_ROW, x, t, COLS - x);
		x += n + 1;
	}
	set_attr(A_NORMAL);
	if (x + 8 < COLS)
		mvaddstr(TAB_ROW, x + 1, "h help");
}

static const char *prompt_label(unsigned p)
{
	switch (p) {
	case P_FILTER: return "filter> ";
	case P_DELAY: return "refresh interval (s)> ";
	case P_LUN: return "LUN (T:N, empty: all)> ";
	default: return "opcode (empty: all)> ";
	}
}

static void draw_prompt(const ui *u)
{
	const char *label = prompt_label(u->prompt);
	int x0 = (int)strlen(label);

	move(HDR_ROWS - 1, 0);
	clrtoeol();
	move(TAB_ROW, 0);
	clrtoeol();
	set_attr(A_BOLD);
	mvaddnstr(HDR_ROWS - 1, 0, label, COLS);
	set_attr(A_NORMAL);
	if (x0 < COLS)
		mvaddnstr(HDR_ROWS - 1, x0, u->pbuf, COLS - x0);
	if (u->perr[0]) {
		/* the error under the text: a caret at its column, then the
		 * message */
		int cx = x0 + (u->pcol ? (int)u->pcol - 1 : 0);

		if (cx >= COLS)
			cx = COLS - 1;
		set_attr(u->colors ? COLOR_PAIR(C_ERR) | A_BOLD : A_BOLD);
		if (u->pcol && cx < COLS)
			mvaddch(TAB_ROW, cx, '^');
		if (u->pcol && cx + 2 + (int)strlen(u->perr) <= COLS)
			mvaddstr(TAB_ROW, cx + 2, u->perr);
		else
			mvaddnstr(TAB_ROW, u->pcol ? 0 : x0, u->perr,
				  COLS - (u->pcol ? 0 : x0));
		if (u->pcol && cx + 2 + (int)strlen(u->perr) > COLS && cx < COLS)
			mvaddch(TAB_ROW, cx, '^');
		set_attr(A_NORMAL);
	}
	curs_set(1);
	move(HDR_ROWS - 1, x0 + (int)u->plen < COLS ? x0 + (int)u->plen :
						      COLS - 1);
}

/* Key table (see below) for the help screen. */
typedef struct key_cmd {
	int key;
	const char *name;	/* as the help shows it; NULL: not listed */
	const char *help;
	void (*fn)(ui *u, int key);
} key_cmd;

static const key_cmd keys[];

static void draw_help(const ui *u)
{
	const key_cmd *k;
	const char *name, *help;
	int y = 0;
	unsigned i;

	(void)u;
	set_attr(A_BOLD);
	mvaddnstr(y++, 0, "vscsi-top keys (any key returns)", COLS);
	set_attr(A_NORMAL);
	for (k = keys; k->fn; k++) {
		char line[160];

		if (!k->name)
			continue;
		if (y >= LINES)
			return;
		snprintf(line, sizeof(line), "  %-12s %s", k->name, k->help);
		mvaddnstr(y++, 0, line, COLS);
	}
	if (y + 2 >= LINES)
		return;
	y++;
	set_attr(A_BOLD);
	mvaddnstr(y++, 0, "Filter fields (f): e.g. op == read10 and lat > 1ms",
		  COLS);
	set_attr(A_NORMAL);
	for (i = 0; (help = vscsi_filter_field_help(i, &name)) && y < LINES;
	     i++) {
		char line[200];

		snprintf(line, sizeof(line), "  %-10s %s", name, help);
		mvaddnstr(y++, 0, line, COLS);
	}
}

static void draw(ui *u)
{
	size_t i, nrows;
	int y;

	erase();
	curs_set(0);
	if (u->help) {
		draw_help(u);
		refresh();
		return;
	}
	vout_clear(&u->out);
	view_header(&u->snap, &u->vs, &u->out);
	for (i = 0; i < u->out.n && i < HDR_ROWS; i++)
		draw_line(u, (int)i, &u->out.l[i]);
	if (u->msg[0]) {
		move(HDR_ROWS - 1, 0);
		clrtoeol();
		set_attr(A_BOLD);
		mvaddnstr(HDR_ROWS - 1, 0, u->msg, COLS);
		set_attr(A_NORMAL);
	}
	draw_tabs(u);
	vout_clear(&u->out);
	nrows = LINES > BODY_ROW + 1 ? (size_t)(LINES - BODY_ROW - 1) : 1;
	view_render(u->vs.cur, &u->snap, &u->vs, &u->out, 0, COLS, nrows);
	for (i = 0, y = BODY_ROW; i < u->out.n && y < LINES; i++, y++)
		draw_line(u, y, &u->out.l[i]);
	if (u->prompt)
		draw_prompt(u);
	refresh();
}

/* ------------------------------------------------------------ commands */

static void k_quit(ui *u, int key)
{
	(void)key;
	u->quit = 1;
}

static void k_help(ui *u, int key)
{
	(void)key;
	u->help = 1;
}

static void k_view(ui *u, int key)
{
	u->vs.cur = (unsigned)(key - '1');
	if (u->vs.cur == VIEW_INFLIGHT)
		ui_snapshot(u, 0);	/* the list is made only for the view */
}

static void k_next_view(ui *u, int key)
{
	if (key == KEY_BTAB)
		u->vs.cur = (u->vs.cur + VIEW_COUNT - 1) % VIEW_COUNT;
	else
		u->vs.cur = (u->vs.cur + 1) % VIEW_COUNT;
	if (u->vs.cur == VIEW_INFLIGHT)
		ui_snapshot(u, 0);
}

static void k_sort(ui *u, int key)
{
	unsigned v = u->vs.cur, n = view_ncols(v);

	if (!n) {
		snprintf(u->msg, sizeof(u->msg), "the %s view has no sort",
			 view_name(v));
		return;
	}
	if (key == '<')
		u->vs.sort[v] = (u->vs.sort[v] + n - 1) % n;
	else
		u->vs.sort[v] = (u->vs.sort[v] + 1) % n;
	u->vs.rev[v] = 0;
}

static void k_reverse(ui *u, int key)
{
	(void)key;
	u->vs.rev[u->vs.cur] = !u->vs.rev[u->vs.cur];
}

static void k_pause(ui *u, int key)
{
	(void)key;
	u->paused = !u->paused;
	model_lock(u->m);
	src_pause(u->src, u->paused);
	model_unlock(u->m);
	snprintf(u->msg, sizeof(u->msg), "%s", u->paused ? "paused" :
							  "resumed");
	u->snap.paused = u->paused;
}

static void k_totals(ui *u, int key)
{
	(void)key;
	u->totals = !u->totals;
	ui_snapshot(u, 0);
}

static void open_prompt(ui *u, unsigned p, const char *init)
{
	u->prompt = p;
	snprintf(u->pbuf, sizeof(u->pbuf), "%s", init);
	u->plen = strlen(u->pbuf);
	u->perr[0] = '\0';
	u->pcol = 0;
}

static void k_filter(ui *u, int key)
{
	(void)key;
	open_prompt(u, P_FILTER, u->filter_raw);
}

static void k_delay(ui *u, int key)
{
	char t[32];

	(void)key;
	snprintf(t, sizeof(t), "%g", u->delay);
	open_prompt(u, P_DELAY, t);
}

static void k_lun_prompt(ui *u, int key)
{
	char t[24] = "";

	(void)key;
	if (u->snap.sel_lun)
		fmt_lun_key(t, sizeof(t), u->snap.lun_key);
	open_prompt(u, P_LUN, t);
}

static void k_op_prompt(ui *u, int key)
{
	(void)key;
	open_prompt(u, P_OP, "");
}

/* The key after cur in list[0..n) (sorted); 0 when none (all). */
static int next_key(const uint64_t *list, size_t n, int on, uint64_t cur,
		    uint64_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!on || list[i] > cur) {
			*out = list[i];
			return 1;
		}
	return 0;
}

static void say_selection(ui *u)
{
	char a[24] = "all", b[48] = "all";

	if (u->snap.sel_lun)
		fmt_lun_key(a, sizeof(a), u->snap.lun_key);
	if (u->snap.sel_op)
		fmt_op_key(b, sizeof(b), u->snap.op_key);
	snprintf(u->msg, sizeof(u->msg), "LUN %s, opcode %s", a, b);
}

static void k_next_lun(ui *u, int key)
{
	uint64_t k = 0;
	int on = next_key(u->snap.lun_keys, u->snap.nlun_keys,
			  u->snap.sel_lun, u->snap.lun_key, &k);

	(void)key;
	model_select_lun(u->m, on, k);
	ui_changed(u);
	say_selection(u);
}

static void k_next_op(ui *u, int key)
{
	uint64_t k = 0;
	int on = next_key(u->snap.op_keys, u->snap.nop_keys, u->snap.sel_op,
			  u->snap.op_key, &k);

	(void)key;
	model_select_op(u->m, on, k);
	ui_changed(u);
	say_selection(u);
}

static void k_all(ui *u, int key)
{
	(void)key;
	model_select_lun(u->m, 0, 0);
	model_select_op(u->m, 0, 0);
	ui_changed(u);
	say_selection(u);
}

static void k_cursor(ui *u, int key)
{
	long *c = &u->vs.cursor[u->vs.cur];
	size_t n;

	if (u->vs.cur == VIEW_LUNS)
		n = u->snap.nrows[SEL_LUNS];
	else if (u->vs.cur == VIEW_OPS)
		n = u->snap.nrows[SEL_OPS];
	else
		return;
	if (!n)
		return;
	if (key == KEY_UP || key == 'k')
		*c = *c <= 0 ? 0 : *c - 1;
	else
		*c = *c + 1 >= (long)n ? (long)n - 1 : *c + 1;
}

static void k_enter(ui *u, int key)
{
	unsigned v = u->vs.cur;
	uint64_t k;

	(void)key;
	if (u->vs.cursor[v] < 0 ||
	    !view_row_key(v, &u->snap, &u->vs, (size_t)u->vs.cursor[v], &k))
		return;
	if (v == VIEW_LUNS)
		model_select_lun(u->m, !(u->snap.sel_lun &&
					 u->snap.lun_key == k), k);
	else
		model_select_op(u->m, !(u->snap.sel_op && u->snap.op_key == k),
				k);
	ui_changed(u);
	say_selection(u);
}

static void k_redraw(ui *u, int key)
{
	(void)u;
	(void)key;
	clearok(curscr, TRUE);
}

static const key_cmd keys[] = {
	{ '1', "1-6, Tab", "views: 1 LUNs 2 Queues 3 Opcodes 4 In flight "
			   "5 Errors 6 Latency", k_view },
	{ '2', NULL, NULL, k_view },
	{ '3', NULL, NULL, k_view },
	{ '4', NULL, NULL, k_view },
	{ '5', NULL, NULL, k_view },
	{ '6', NULL, NULL, k_view },
	{ '\t', NULL, NULL, k_next_view },
	{ KEY_BTAB, NULL, NULL, k_next_view },
	{ '<', "< >", "sort by the column to the left / right", k_sort },
	{ '>', NULL, NULL, k_sort },
	{ 'r', "r", "reverse the sort", k_reverse },
	{ 'R', NULL, NULL, k_reverse },
	{ 'p', "p, space", "pause / resume", k_pause },
	{ ' ', NULL, NULL, k_pause },
	{ 'd', "d, s", "change the refresh interval", k_delay },
	{ 's', NULL, NULL, k_delay },
	{ 'f', "f, /", "filter (the filter language; empty clears)",
	  k_filter },
	{ '/', NULL, NULL, k_filter },
	{ 'l', "l / L", "next LUN / type one: the other views show only it",
	  k_next_lun },
	{ 'L', NULL, NULL, k_lun_prompt },
	{ 'o', "o / O", "next opcode / type one (latency view)", k_next_op },
	{ 'O', NULL, NULL, k_op_prompt },
	{ 'a', "a", "all LUNs and opcodes", k_all },
	{ KEY_UP, "up, down", "move the cursor (LUNs, Opcodes)", k_cursor },
	{ KEY_DOWN, NULL, NULL, k_cursor },
	{ 'k', NULL, NULL, k_cursor },
	{ 'j', NULL, NULL, k_cursor },
	{ '\n', "Enter", "select the LUN or opcode under the cursor",
	  k_enter },
	{ '\r', NULL, NULL, k_enter },
	{ KEY_ENTER, NULL, NULL, k_enter },
	{ 't', "t", "totals since the start / per interval", k_totals },
	{ 'h', "h, ?", "this help", k_help },
	{ '?', NULL, NULL, k_help },
	{ CTRL('l'), "^L", "redraw", k_redraw },
	{ 'q', "q", "quit", k_quit },
	{ 0, NULL, NULL, NULL },
};

/* ------------------------------------------------------------ prompt */

static void prompt_submit(ui *u)
{
	char err[256];
	size_t col = 0;
	uint64_t k;
	char *end;
	double d;
	int rc;
	unsigned p = u->prompt;

	u->perr[0] = '\0';
	u->pcol = 0;
	switch (p) {
	case P_FILTER:
		rc = model_set_filter(u->m, u->pbuf, err, sizeof(err), &col);
		if (rc != VSCSI_OK) {
			snprintf(u->perr, sizeof(u->perr), "%s", err);
			u->pcol = col;
			return;
		}
		snprintf(u->filter_raw, sizeof(u->filter_raw), "%s", u->pbuf);
		snprintf(u->msg, sizeof(u->msg), "%s", u->pbuf[0] ?
			 "filter set" : "filter cleared");
		break;
	case P_DELAY:
		errno = 0;
		d = strtod(u->pbuf, &end);
		if (end == u->pbuf || *end || errno || !(d >= 0.1 && d <= 3600)) {
			snprintf(u->perr, sizeof(u->perr),
				 "a number of seconds from 0.1 to 3600");
			return;
		}
		u->delay = d;
		u->next_tick = mono_ns() + (uint64_t)(d * 1e9);
		snprintf(u->msg, sizeof(u->msg), "refresh every %gs", d);
		break;
	case P_LUN:
		if (!u->pbuf[0] || !strcmp(u->pbuf, "all")) {
			model_select_lun(u->m, 0, 0);
		} else if (fmt_parse_lun(u->pbuf, &k)) {
			snprintf(u->perr, sizeof(u->perr),
				 "a LUN is T:N or N (0:1, 3)");
			return;
		} else {
			model_select_lun(u->m, 1, k);
		}
		break;
	case P_OP:
		if (!u->pbuf[0] || !strcmp(u->pbuf, "all")) {
			model_select_op(u->m, 0, 0);
		} else if (fmt_parse_op(u->pbuf, &k)) {
			snprintf(u->perr, sizeof(u->perr), "unknown opcode '%.64s'",
				 u->pbuf);
			return;
		} else {
			model_select_op(u->m, 1, k);
		}
		break;
	default:
		break;
	}
	u->prompt = P_NONE;
	if (p == P_DELAY)
		ui_snapshot(u, 0);
	else
		ui_changed(u);
	if (p == P_LUN || p == P_OP)
		say_selection(u);
}

static void prompt_key(ui *u, wint_t ch, int is_key)
{
	if (is_key) {
		if (ch == KEY_BACKSPACE || ch == KEY_LEFT) {
			if (u->plen)
				u->pbuf[--u->plen] = '\0';
		} else if (ch == KEY_ENTER) {
			prompt_submit(u);
		}
		return;
	}
	switch (ch) {
	case 27:	/* Esc */
		u->prompt = P_NONE;
		u->msg[0] = '\0';
		return;
	case '\n':
	case '\r':
		prompt_submit(u);
		return;
	case 127:
	case 8:
		if (u->plen)
			u->pbuf[--u->plen] = '\0';
		return;
	case CTRL('u'):
		u->plen = 0;
		u->pbuf[0] = '\0';
		return;
	default:
		/* the filter language is ASCII */
		if (ch >= 0x20 && ch < 0x7f && u->plen + 1 < sizeof(u->pbuf)) {
			u->pbuf[u->plen++] = (char)ch;
			u->pbuf[u->plen] = '\0';
		}
		return;
	}
}

/* ------------------------------------------------------------ main loop */

static void handle(ui *u, wint_t ch, int is_key)
{
	const key_cmd *k;

	if (is_key && ch == KEY_RESIZE)
		return;
	if (u->prompt) {
		prompt_key(u, ch, is_key);
		return;
	}
	if (u->help) {
		u->help = 0;
		return;
	}
	u->msg[0] = '\0';
	for (k = keys; k->fn; k++)
		if (k->key == (int)ch &&
		    (is_key ? k->key >= KEY_MIN : k->key < KEY_MIN)) {
			k->fn(u, (int)ch);
			return;
		}
	snprintf(u->msg, sizeof(u->msg), "unknown key; h for help");
}

static void colors_init(ui *u)
{
	if (u->o->no_color || !has_colors())
		return;
	start_color();
	use_default_colors();
	init_pair(C_HEADER, COLOR_CYAN, -1);
	init_pair(C_ERR, COLOR_RED, -1);
	init_pair(C_WARN, COLOR_YELLOW, -1);
	init_pair(C_SEL, COLOR_GREEN, -1);
	init_pair(C_TAB, COLOR_BLACK, COLOR_CYAN);
	u->colors = 1;
}

int screen_run(const top_opts *o, model *m, source *src)
{
	ui u;
	char err[200];
	int rc;

	memset(&u, 0, sizeof(u));
	u.o = o;
	u.m = m;
	u.src = src;
	u.delay = o->delay;
	u.totals = o->totals;
	view_state_init(&u.vs);
	u.vs.cur = o->first_view;
	if (o->sort) {
		int c = view_sort_lookup(u.vs.cur, o->sort);

		if (c >= 0)
			u.vs.sort[u.vs.cur] = (unsigned)c;
	}
	u.vs.rev[u.vs.cur] = o->reverse;
	if (o->filter)
		snprintf(u.filter_raw, sizeof(u.filter_raw), "%s", o->filter);

	setlocale(LC_ALL, "");
	if (!initscr()) {
		fprintf(stderr, "%s: cannot start the screen\n", TOP_NAME);
		return 1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	colors_init(&u);
	curs_set(0);

	if (src_start(src, err, sizeof(err))) {
		endwin();
		fprintf(stderr, "%s: %s\n", TOP_NAME, err);
		return 1;
	}
	model_lock(m);
	if (src_now(src) && !src_data_clock(src))
		model_roll(m, src_now(src));
	model_unlock(m);
	ui_snapshot(&u, 0);
	u.next_tick = mono_ns() + (uint64_t)(u.delay * 1e9);
	draw(&u);

	while (!u.quit) {
		uint64_t now = mono_ns();
		wint_t ch;
		int ms;

		if (now >= u.next_tick) {
			/* a message stays up to one refresh */
			if (u.msg_shown)
				u.msg[0] = '\0';
			u.msg_shown = u.msg[0] != '\0';
			if (!u.paused)
				ui_snapshot(&u, 1);
			else {
				/* live input goes on: intervals still roll */
				model_lock(m);
				if (src_now(src) && !src_ended(src))
					model_roll(m, src_now(src));
				model_unlock(m);
			}
			u.next_tick += (uint64_t)(u.delay * 1e9);
			if (u.next_tick < now)
				u.next_tick = now + (uint64_t)(u.delay * 1e9);
			draw(&u);
			continue;
		}
		ms = (int)((u.next_tick - now + 999999) / 1000000);
		timeout(ms > 1000 ? 1000 : ms);
		rc = get_wch(&ch);
		if (rc == ERR)
			continue;
		handle(&u, ch, rc == KEY_CODE_YES);
		u.msg_shown = 0;
		if (!u.quit)
			draw(&u);
	}
	endwin();
	rc = strncmp(u.snap.state, "error", 5) ? 0 : 1;
	if (rc)
		fprintf(stderr, "%s: %s: %s\n", TOP_NAME, src_name(src),
			u.snap.state);
	vout_free(&u.out);
	snap_free(&u.snap);
	return rc;
}
