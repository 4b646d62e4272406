/*
 * vu_loop: a small epoll event loop with eventfd, timerfd and signalfd
 * helpers, for the vhost-user back-end, the front-end driver and the tools.
 *
 * API
 *   vu_loop *vu_loop_new(void);                 NULL on failure (errno)
 *   void vu_loop_free(vu_loop *l);              closes nothing it was given
 *   int  vu_loop_add(l, fd, events, cb, arg);   watch fd (EPOLLIN, ...);
 *                                               0 or -1 (errno: EEXIST...)
 *   int  vu_loop_mod(l, fd, events);            change the events
 *   int  vu_loop_del(l, fd);                    stop watching (the fd is
 *                                               not closed); safe from any
 *                                               callback, also for an fd
 *                                               whose event is pending in
 *                                               the same round: its
 *                                               callback is not called
 *   int  vu_loop_run_once(l, timeout_ms);       wait (-1: forever) and
 *                                               dispatch one round; the
 *                                               number of callbacks called,
 *                                               or -1 (errno; EINTR is 0)
 *   int  vu_loop_run(l);                        rounds until vu_loop_stop;
 *                                               0, or -1 on epoll failure
 *   void vu_loop_stop(l);                       from a callback (or the
 *                                               loop's thread)
 *   int  vu_loop_stopped(l);                    1 after vu_loop_stop
 *
 *   int  vu_eventfd(void);                      nonblocking, CLOEXEC
 *   int  vu_eventfd_signal(int fd);             add 1 (any thread); 0/-1
 *   uint64_t vu_eventfd_drain(int fd);          read the count (0: none)
 *   int  vu_timerfd(unsigned first_ms, unsigned interval_ms);
 *                                               monotonic, nonblocking;
 *                                               interval 0 = one shot
 *   int  vu_timerfd_set(int fd, unsigned first_ms, unsigned interval_ms);
 *                                               re-arm (first 0 disarms)
 *   uint64_t vu_timerfd_drain(int fd);          expirations since last read
 *   int  vu_signalfd(const int *sigs, unsigned n);
 *                                               blocks the signals in the
 *                                               calling thread (block them
 *                                               before creating threads)
 *                                               and returns a nonblocking
 *                                               signalfd for them
 *   int  vu_signalfd_read(int fd);              the next signal number, 0
 *                                               when none
 *
 * The callback: void cb(void *arg, int fd, uint32_t events), with the
 * epoll events that fired (EPOLLIN, EPOLLHUP, EPOLLERR...). Level
 * triggered: a callback that leaves data unread is called again next round.
 *
 * Threads: a loop belongs to the thread that runs it; only
 * vu_eventfd_signal may be called from other threads (on an fd the loop
 * watches) to wake it.
 */
#ifndef VSCSI_TOOLS_VU_LOOP_H
#define VSCSI_TOOLS_VU_LOOP_H

#include <stdint.h>

typedef struct vu_loop vu_loop;
typedef void (*vu_loop_cb)(void *arg, int fd, uint32_t events);

vu_loop *vu_loop_new(void);
void vu_loop_free(vu_loop *l);
int vu_loop_add(vu_loop *l, int fd, uint32_t events, vu_loop_cb cb,
		void *arg);
int vu_loop_mod(vu_loop *l, int fd, uint32_t events);
int vu_loop_del(vu_loop *l, int fd);
int vu_loop_run_once(vu_loop *l, int timeout_ms);
/* The loop's epoll descriptor (for a thread that closes what it does not
 * use). */
int vu_loop_fd(const vu_loop *l);
int vu_loop_run(vu_loop *l);
void vu_loop_stop(vu_loop *l);
int vu_loop_stopped(const vu_loop *l);

int vu_eventfd(void);
int vu_eventfd_signal(int fd);
uint64_t vu_eventfd_drain(int fd);
int vu_timerfd(unsigned first_ms, unsigned interval_ms);
int vu_timerfd_set(int fd, unsigned first_ms, unsigned interval_ms);
uint64_t vu_timerfd_drain(int fd);
int vu_signalfd(const int *sigs, unsigned n);
int vu_signalfd_read(int fd);

/* One round of a busy-wait loop: tells the CPU (x86 PAUSE) that this
 * thread is spinning, so a sibling thread gets the core's resources. */
static inline void vu_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#endif
