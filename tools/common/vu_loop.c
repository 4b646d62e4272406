/* A small epoll event loop; see vu_loop.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vu_loop.h"

#define VU_LOOP_BATCH 64

struct vu_loop_ent {
	int fd;
	int dead;
	vu_loop_cb cb;
	void *arg;
	struct vu_loop_ent *next_dead;
};

struct vu_loop {
	int epfd;
	int stop;
	struct vu_loop_ent **by_fd;	/* indexed by fd */
	size_t cap;
	struct vu_loop_ent *dead;	/* freed after the round */
};

vu_loop *vu_loop_new(void)
{
	vu_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

static void vu_loop_reap(vu_loop *l)
{
	while (l->dead) {
		struct vu_loop_ent *e = l->dead;

		l->dead = e->next_dead;
		free(e);
	}
}

void vu_loop_free(vu_loop *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->cap; i++)
		free(l->by_fd[i]);
	free(l->by_fd);
	vu_loop_reap(l);
	close(l->epfd);
	free(l);
}

int vu_loop_add(vu_loop *l, int fd, uint32_t events, vu_loop_cb cb, void *arg)
{
	struct epoll_event ev;
	struct vu_loop_ent *e;

	if (!l || fd < 0 || !cb) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)fd >= l->cap) {
		size_t ncap = l->cap ? l->cap : 64;
		struct vu_loop_ent **n;

		while (ncap <= (size_t)fd)
			ncap *= 2;
		n = realloc(l->by_fd, ncap * sizeof(*n));
		if (!n)
			return -1;
		memset(n + l->cap, 0, (ncap - l->cap) * sizeof(*n));
		l->by_fd = n;
		l->cap = ncap;
	}
	if (l->by_fd[fd]) {
		errno = EEXIST;
		return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->fd = fd;
	e->cb = cb;
	e->arg = arg;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = e;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = errno;

		free(e);
		errno = err;
		return -1;
	}
	l->by_fd[fd] = e;
	return 0;
}

int vu_loop_mod(vu_loop *l, int fd, uint32_t events)
{
	struct epoll_event ev;

	if (!l || fd < 0 || (size_t)fd >= l->cap || !l->by_fd[fd]) {
		errno = ENOENT;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = l->by_fd[fd];
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

int vu_loop_del(vu_loop *l, int fd)
{
	struct vu_loop_ent *e;

	if (!l || fd < 0 || (size_t)fd >= l->cap || !l->by_fd[fd]) {
		errno = ENOENT;
		return -1;
	}
	e = l->by_fd[fd];
	l->by_fd[fd] = NULL;
	/* the fd may already be closed by its owner: ignore EBADF */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	e->dead = 1;
	e->next_dead = l->dead;
	l->dead = e;
	return 0;
}

int vu_loop_run_once(vu_loop *l, int timeout_ms)
{
	struct epoll_event ev[VU_LOOP_BATCH];
	int n, i, called = 0;

	vu_loop_reap(l);
	n = epoll_wait(l->epfd, ev, VU_LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		struct vu_loop_ent *e = ev[i].data.ptr;

		if (e->dead)
			continue;
		e->cb(e->arg, e->fd, ev[i].events);
		called++;
	}
	vu_loop_reap(l);
	return called;
}

int vu_loop_run(vu_loop *l)
{
	while (!l->stop)
		if (vu_loop_run_once(l, -1) < 0)
			return -1;
	return 0;
}

void vu_loop_stop(vu_loop *l)
{
	l->stop = 1;
}

int vu_loop_stopped(const vu_loop *l)
{
	return l->stop;
}

/* ------------------------------------------------------------ helpers */

int vu_loop_fd(const vu_loop *l)
{
	return l ? l->epfd : -1;
}

int vu_eventfd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int vu_eventfd_signal(int fd)
{
	uint64_t one = 1;

	for (;;) {
		ssize_t r = write(fd, &one, sizeof(one));

		if (r == (ssize_t)sizeof(one))
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		/* EAGAIN: the counter is saturated, the reader will wake */
		return r < 0 && errno == EAGAIN ? 0 : -1;
	}
}

static uint64_t vu_read_u64(int fd)
{
	uint64_t v = 0;

	for (;;) {
		ssize_t r = read(fd, &v, sizeof(v));

		if (r == (ssize_t)sizeof(v))
			return v;
		if (r < 0 && errno == EINTR)
			continue;
		return 0;
	}
}

uint64_t vu_eventfd_drain(int fd)
{
	return vu_read_u64(fd);
}

int vu_timerfd_set(int fd, unsigned first_ms, unsigned interval_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(first_ms / 1000u);
	its.it_value.tv_nsec = (long)(first_ms % 1000u) * 1000000L;
	its.it_interval.tv_sec = (time_t)(interval_ms / 1000u);
	its.it_interval.tv_nsec = (long)(interval_ms % 1000u) * 1000000L;
	return timerfd_settime(fd, 0, &its, NULL);
}

int vu_timerfd(unsigned first_ms, unsigned interval_ms)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (first_ms && vu_timerfd_set(fd, first_ms, interval_ms)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

uint64_t vu_timerfd_drain(int fd)
{
	return vu_read_u64(fd);
}

int vu_signalfd(const int *sigs, unsigned n)
{
	sigset_t set;
	unsigned i;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	errno = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (errno)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int vu_signalfd_read(int fd)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t r = read(fd, &si, sizeof(si));

		if (r == (ssize_t)sizeof(si))
			return (int)si.ssi_signo;
		if (r < 0 && errno == EINTR)
			continue;
		return 0;
	}
}
