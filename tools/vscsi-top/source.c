/*
 * The input and its clock.
 *
 * Inputs: a capture file (-r), a capture file still being written
 * (-r --follow), or the capture proxy's monitor socket (--monitor): a unix
 * stream socket carrying the capture format itself, uncompressed (the pcap
 * header once, then records). The proxy drops records for a reader that
 * falls behind and then writes a loss note, so this side never holds it up:
 * the reader thread reads as fast as it can and counts what was lost.
 *
 * The clock the figures are measured on:
 *   wall  live inputs (monitor, follow): CLOCK_REALTIME, the clock the
 *         recorder stamps records with;
 *   play  a file at its own pace times --speed: the recording's time,
 *         advancing with the wall clock times the speed from the first
 *         record; the reader waits until a record's time has come;
 *   data  a file read as fast as possible (--speed 0): the time of the
 *         last record read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "top.h"

#define SRC_WAIT_NS 20000000ull	/* longest sleep of a paced reader */

enum src_kind { SRC_FILE, SRC_FOLLOW, SRC_MONITOR };
enum src_clock { CLK_WALL, CLK_PLAY, CLK_DATA };

struct source {
	model *m;
	unsigned kind;
	unsigned clock;
	char name[160];
	const char *path;
	double speed;

	/* with the model's lock */
	vscsi_cap_reader *r;
	int fd;			/* the monitor socket while the reader owns
				 * it (for shutdown), else -1 */
	int ended;
	int play_started, paused;
	uint64_t base_ts, base_mono, frozen;

	atomic_int quit;
	pthread_t th;
	int started;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t play_now(const source *s)
{
	double d;

	if (!s->play_started)
		return 0;
	if (s->paused || s->ended)
		return s->frozen;
	d = (double)(clock_ns(CLOCK_MONOTONIC) - s->base_mono) * s->speed;
	return s->base_ts + (uint64_t)d;
}

uint64_t src_now(source *s)
{
	switch (s->clock) {
	case CLK_PLAY:
		return play_now(s);
	case CLK_DATA:
		return model_last_ts(s->m);
	default:
		return clock_ns(CLOCK_REALTIME);
	}
}

int src_data_clock(const source *s)
{
	return s->clock == CLK_DATA;
}

int src_ended(const source *s)
{
	return s->ended;
}

const char *src_name(const source *s)
{
	return s->name;
}

void src_pause(source *s, int on)
{
	if (s->clock != CLK_PLAY || s->ended || !on == !s->paused)
		return;
	if (on) {
		s->frozen = play_now(s);
		s->paused = 1;
	} else {
		s->base_ts = s->frozen;
		s->base_mono = clock_ns(CLOCK_MONOTONIC);
		s->paused = 0;
	}
}

static int src_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "%s: connect: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void src_open_err(char *err, size_t errlen, const char *path, int rc)
{
	if (rc == VSCSI_ERR_IO)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else
		snprintf(err, errlen, "%s: %s", path, vscsi_strerror(rc));
}

source *src_open(const top_opts *o, model *m, char *err, size_t errlen)
{
	source *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->m = m;
	s->fd = -1;
	s->speed = o->speed;
	atomic_init(&s->quit, 0);
	if (o->monitor) {
		s->kind = SRC_MONITOR;
		s->clock = CLK_WALL;
		s->path = o->monitor;
		snprintf(s->name, sizeof(s->name), "monitor %s", o->monitor);
		s->fd = src_connect(o->monitor, err, errlen);
		if (s->fd < 0) {
			free(s);
			return NULL;
		}
		/* the reader (and its wait for the header) starts in the
		 * thread */
		return s;
	}
	s->path = o->file;
	if (o->follow) {
		s->kind = SRC_FOLLOW;
		s->clock = CLK_WALL;
		snprintf(s->name, sizeof(s->name), "follow %s", o->file);
	} else {
		s->kind = SRC_FILE;
		s->clock = o->speed > 0 ? CLK_PLAY : CLK_DATA;
		if (o->speed > 0 && o->speed != 1)
			snprintf(s->name, sizeof(s->name), "file %s x%g",
				 o->file, o->speed);
		else
			snprintf(s->name, sizeof(s->name), "file %s", o->file);
	}
	s->r = vscsi_cap_reader_open(o->file,
				     o->follow ? VSCSI_CAP_R_FOLLOW : 0, &rc);
	if (!s->r) {
		src_open_err(err, errlen, o->file, rc);
		free(s);
		return NULL;
	}
	return s;
}

/* Wait (unlocked) until a paced record's time has come; returns with the
 * lock held, 0, or -1 when asked to quit. */
static int src_pace(source *s, uint64_t ts)
{
	for (;;) {
		uint64_t now, wait;
		struct timespec d;

		model_lock(s->m);
		if (!s->play_started) {
			s->play_started = 1;
			s->base_ts = ts;
			s->base_mono = clock_ns(CLOCK_MONOTONIC);
		}
		now = play_now(s);
		if (ts <= now && !s->paused)
			return 0;
		wait = s->paused ? SRC_WAIT_NS :
				   (uint64_t)((double)(ts - now) / s->speed);
		model_unlock(s->m);
		if (atomic_load(&s->quit))
			return -1;
		if (wait > SRC_WAIT_NS)
			wait = SRC_WAIT_NS;
		d.tv_sec = 0;
		d.tv_nsec = (long)wait;
		nanosleep(&d, NULL);
	}
}

static void src_end(source *s, const char *state)
{
	model_lock(s->m);
	if (s->clock == CLK_PLAY && s->play_started && !s->paused)
		s->frozen = play_now(s);
	s->ended = 1;
	model_set_state(s->m, state);
	model_unlock(s->m);
}

static void *src_thread(void *arg)
{
	source *s = arg;
	vscsi_cap_rec rec;
	char msg[200];
	int rc;

	if (!s->r) {
		vscsi_cap_reader *r;

		r = vscsi_cap_reader_open_fd(s->fd, VSCSI_CAP_R_FOLLOW, &rc);
		model_lock(s->m);
		s->r = r;
		if (!r)
			s->fd = -1;	/* closed by the failed open */
		model_unlock(s->m);
		if (!r) {
			if (atomic_load(&s->quit))
				src_end(s, "stopped");
			else if (rc == VSCSI_ERR_NOT_CAPTURE ||
				 rc == VSCSI_ERR_TRUNCATED)
				src_end(s, "monitor closed before a capture "
					   "header");
			else {
				snprintf(msg, sizeof(msg), "error: %s",
					 vscsi_strerror(rc));
				src_end(s, msg);
			}
			return NULL;
		}
	}
	for (;;) {
		if (atomic_load(&s->quit))
			break;
		rc = vscsi_cap_next(s->r, &rec);
		if (rc == 1) {
			uint64_t now = 0;

			if (s->clock == CLK_PLAY) {
				if (src_pace(s, rec.ts_ns))
					break;
				now = play_now(s);
			} else {
				model_lock(s->m);
				if (s->clock == CLK_WALL)
					now = clock_ns(CLOCK_REALTIME);
			}
			model_record(s->m, &rec, now);
			model_unlock(s->m);
			continue;
		}
		if (rc == VSCSI_ERR_DAMAGED) {
			model_lock(s->m);
			model_damaged(s->m, 0);
			model_unlock(s->m);
			continue;
		}
		if (rc == 0) {
			vscsi_cap_rstats st;

			vscsi_cap_reader_stats(s->r, &st);
			if (atomic_load(&s->quit))
				src_end(s, "stopped");
			else if (st.truncated)
				src_end(s, "end of input (cut short)");
			else if (s->kind == SRC_MONITOR)
				src_end(s, "monitor closed");
			else
				src_end(s, "end of input");
			return NULL;
		}
		snprintf(msg, sizeof(msg), "error: %s",
			 vscsi_cap_reader_errmsg(s->r)[0] ?
				 vscsi_cap_reader_errmsg(s->r) :
				 vscsi_strerror(rc));
		src_end(s, msg);
		return NULL;
	}
	src_end(s, "stopped");
	return NULL;
}

int src_start(source *s, char *err, size_t errlen)
{
	int rc = pthread_create(&s->th, NULL, src_thread, s);

	if (rc) {
		snprintf(err, errlen, "cannot start the reader: %s",
			 strerror(rc));
		return -1;
	}
	s->started = 1;
	return 0;
}

void src_close(source *s)
{
	if (!s)
		return;
	atomic_store(&s->quit, 1);
	model_lock(s->m);
	if (s->r)
		vscsi_cap_reader_stop(s->r);
	/* a reader blocked in read(2) on the socket wakes up at its end */
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	model_unlock(s->m);
	if (s->started)
		pthread_join(s->th, NULL);
	if (s->r)
		vscsi_cap_reader_close(s->r);
	else if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int src_rewindable(const source *s)
{
	return s->kind == SRC_FILE && s->clock == CLK_DATA;
}

int src_rewind(source *s, char *err, size_t errlen)
{
	vscsi_cap_reader *r;
	int rc = 0;

	atomic_store(&s->quit, 1);
	if (s->started) {
		pthread_join(s->th, NULL);
		s->started = 0;
	}
	vscsi_cap_reader_close(s->r);
	s->r = NULL;
	r = vscsi_cap_reader_open(s->path, 0, &rc);
	model_lock(s->m);
	if (model_reset(s->m)) {
		model_unlock(s->m);
		vscsi_cap_reader_close(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->r = r;
	s->ended = 0;
	s->play_started = s->paused = 0;
	model_unlock(s->m);
	if (!r) {
		src_open_err(err, errlen, s->path, rc);
		return -1;
	}
	atomic_store(&s->quit, 0);
	return src_start(s, err, errlen);
}

int src_run_data(source *s, double delay, int (*tick)(void *arg, uint64_t t),
		 void *arg, char *err, size_t errlen)
{
	uint64_t step = (uint64_t)(delay * 1e9), next = 0;
	vscsi_cap_rec rec;
	int rc, started = 0;

	if (!step)
		step = 1;
	for (;;) {
		rc = vscsi_cap_next(s->r, &rec);
		if (rc == VSCSI_ERR_DAMAGED) {
			model_lock(s->m);
			model_damaged(s->m, 0);
			model_unlock(s->m);
			continue;
		}
		if (rc <= 0)
			break;
		if (!started) {
			started = 1;
			next = rec.ts_ns + step;
		}
		while (rec.ts_ns >= next) {
			if (tick(arg, next))
				return 0;
			next += step;
		}
		model_lock(s->m);
		model_record(s->m, &rec, 0);
		model_unlock(s->m);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", s->path,
			 vscsi_cap_reader_errmsg(s->r)[0] ?
				 vscsi_cap_reader_errmsg(s->r) :
				 vscsi_strerror(rc));
		model_lock(s->m);
		s->ended = 1;
		model_set_state(s->m, "error");
		model_unlock(s->m);
		tick(arg, 0);
		return 1;
	}
	{
		vscsi_cap_rstats st;

		vscsi_cap_reader_stats(s->r, &st);
		model_lock(s->m);
		s->ended = 1;
		model_set_state(s->m, st.truncated ? "end of input (cut short)" :
						     "end of input");
		model_unlock(s->m);
	}
	tick(arg, 0);
	return 0;
}
