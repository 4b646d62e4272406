/*
 * The control protocol of vscsi-replay --serve, client side.
 *
 * One command per line, one answer per command: zero or more data lines,
 * then a line that starts with "ok" or "error". Commands:
 *   add T:L=PATH[,opts]   add a LUN (the LUN syntax of --lun)
 *   remove T:L            remove a LUN
 *   resize T:L            re-read the size of the LUN's file
 *   list                  one line per LUN
 *   help                  the commands
 * The server side is in serve.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replay.h"
#include "vu.h"

int ctl_parse_addr(const char *s, uint8_t *target, uint16_t *lun)
{
	char *end;
	unsigned long t, l;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	t = strtoul(s, &end, 10);
	if (errno || *end != ':' || t > 255)
		return -1;
	s = end + 1;
	if (*s < '0' || *s > '9')
		return -1;
	l = strtoul(s, &end, 10);
	if (errno || *end || l > 16383)
		return -1;
	*target = (uint8_t)t;
	*lun = (uint16_t)l;
	return 0;
}

/* "add T:L=PATH,opts": make PATH absolute, since the server resolves it
 * from its own directory. The result is malloc'ed. */
static char *ctl_absolute_spec(const char *spec)
{
	const char *eq = strchr(spec, '='), *comma;
	char path[PATH_MAX], real[PATH_MAX], *out;
	size_t n;

	if (!eq)
		return strdup(spec);
	comma = strchr(eq + 1, ',');
	n = comma ? (size_t)(comma - (eq + 1)) : strlen(eq + 1);
	if (n == 0 || n >= sizeof(path) || eq[1] == '/')
		return strdup(spec);
	memcpy(path, eq + 1, n);
	path[n] = 0;
	if (!realpath(path, real))
		return strdup(spec);	/* the server reports the error */
	n = (size_t)(eq + 1 - spec) + strlen(real) +
	    (comma ? strlen(comma) : 0) + 1;
	out = malloc(n);
	if (!out)
		return NULL;
	snprintf(out, n, "%.*s%s%s", (int)(eq + 1 - spec), spec, real,
		 comma ? comma : "");
	return out;
}

static int ctl_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int ctl_client(const char *path, int argc, char **argv)
{
	char *line = NULL, *spec = NULL, buf[4096];
	size_t len = 0, cap = 0, have = 0;
	int fd, i, status = 1;

	if (argc < 1) {
		fprintf(stderr, "%s: --ctl: no command (add, remove, resize, "
			"list, help)\n", REPLAY_PROG);
		return 2;
	}
	/* the command line: words joined by spaces, then a newline */
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		size_t wl;

		if (i == 1 && strcmp(argv[0], "add") == 0) {
			spec = ctl_absolute_spec(w);
			if (spec)
				w = spec;
		}
		wl = strlen(w);
		if (strchr(w, '\n')) {
			fprintf(stderr, "%s: --ctl: a newline in the command\n",
				REPLAY_PROG);
			goto out;
		}
		if (len + wl + 2 > cap) {
			char *n;

			cap = (len + wl + 2) * 2;
			n = realloc(line, cap);
			if (!n)
				goto out;
			line = n;
		}
		if (i)
			line[len++] = ' ';
		memcpy(line + len, w, wl);
		len += wl;
	}
	line[len++] = '\n';
	fd = vu_connect(path);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: cannot connect: %s\n", REPLAY_PROG,
			path, strerror(errno));
		goto out;
	}
	if (ctl_send_all(fd, line, len)) {
		fprintf(stderr, "%s: %s: cannot send: %s\n", REPLAY_PROG, path,
			strerror(errno));
		close(fd);
		goto out;
	}
	shutdown(fd, SHUT_WR);
	/* print every line; the last one says ok or error */
	for (;;) {
		char *nl;
		ssize_t r;

		while ((nl = memchr(buf, '\n', have))) {
			size_t ll = (size_t)(nl - buf) + 1;

			fwrite(buf, 1, ll, stdout);
			if (ll >= 2 && strncmp(buf, "ok", 2) == 0 &&
			    (buf[2] == ' ' || buf[2] == '\n'))
				status = 0;
			else if (strncmp(buf, "error", 5) == 0)
				status = 1;
			else
				goto more;
			close(fd);
			goto out;
more:
			memmove(buf, buf + ll, have - ll);
			have -= ll;
		}
		if (have == sizeof(buf)) {
			fwrite(buf, 1, have, stdout);
			have = 0;
		}
		r = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "%s: %s: %s before the answer ended\n",
				REPLAY_PROG, path,
				r == 0 ? "connection closed"
				       : strerror(errno));
			close(fd);
			status = 1;
			goto out;
		}
		have += (size_t)r;
	}
out:
	fflush(stdout);
	free(spec);
	free(line);
	return status;
}
