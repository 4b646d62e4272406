/*
 * vscsi-guest: the real-guest tests' workload program.
 *
 * Built static (gcc -static -O2) by tests/e2e/lib.sh and run both inside the
 * guest (against /dev/sdX and /dev/sgN) and on the host (against the LUN
 * image files), so that the host recomputes from the same seed exactly what
 * the guest wrote.
 *
 * Guest commands:
 *   info DEV                     bytes, logical/physical block size, ro
 *   randio DEV SEED WORKERS OPS MAXBLKS REGION
 *                                WORKERS processes (pinned to CPUs in turn),
 *                                each on its own slice of the first REGION
 *                                bytes: OPS random O_DIRECT writes of 1..MAXBLKS
 *                                blocks, then the slice read back and compared
 *                                with what was written; prints a sum per slice
 *   sgwrite DEV LBA BS           WRITE(10) of one block through SG_IO; prints
 *                                the status and the sense key/ASC/ASCQ
 *   zeroout DEV OFF LEN          BLKZEROOUT
 *   gen SEED SIZE                SIZE deterministic bytes on stdout
 *   seedrng                      credit the kernel RNG (RNDADDENTROPY)
 * Host commands:
 *   randio-check FILE SEED WORKERS OPS MAXBLKS REGION BS
 *                                replays the writes into memory from a zero
 *                                image, compares with FILE (the rest of FILE
 *                                must be zero) and prints the same sums
 *   holes FILE                   st_blocks and the hole/data map (SEEK_HOLE)
 *
 * Exit status: 0 success, 1 verification failure, 2 usage or system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <sched.h>
#include <scsi/sg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16

static void die(const char *what)
{
	fprintf(stderr, "vscsi-guest: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "vscsi-guest: not a number: %s\n", s);
		exit(2);
	}
	return (uint64_t)v;
}

/* splitmix64: small, fast, and the same on both sides */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill(uint64_t *s, unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t v = rnd(s);
		for (int k = 0; k < 8 && i < n; k++, i++)
			p[i] = (unsigned char)(v >> (8 * k));
	}
}

/* FNV-1a, 64 bits */
static uint64_t sum(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}
#define SUM0 0xcbf29ce484222325ull

static void *xalloc(size_t n)
{
	void *p;
	if (posix_memalign(&p, 4096, n ? n : 4096))
		die("posix_memalign");
	memset(p, 0, n);
	return p;
}

/* ------------------------------------------------------------ randio */

struct plan {
	uint64_t seed;
	unsigned workers, ops, maxblks;
	uint64_t region, bs;
};

/* Slice w covers [*off, *off + *len): whole blocks, disjoint. */
static void slice(const struct plan *pl, unsigned w, uint64_t *off,
		  uint64_t *len)
{
	uint64_t blocks = pl->region / pl->bs / pl->workers;
	*off = (uint64_t)w * blocks * pl->bs;
	*len = blocks * pl->bs;
}

/* One op of worker w: where and how long (bytes within the slice); the data
 * comes from the same stream right after. */
static void op(const struct plan *pl, uint64_t *st, uint64_t slen,
	       uint64_t *at, uint64_t *n)
{
	uint64_t sblocks = slen / pl->bs;
	uint64_t nb = 1 + rnd(st) % pl->maxblks;
	if (nb > sblocks)
		nb = sblocks;
	uint64_t lba = rnd(st) % (sblocks - nb + 1);
	*at = lba * pl->bs;
	*n = nb * pl->bs;
}

/* Apply worker w's writes to shadow (slen bytes); with fd >= 0 also write
 * them to fd at off. Returns 0 or -1 with errno. */
static int play(const struct plan *pl, unsigned w, unsigned char *shadow,
		uint64_t slen, int fd, uint64_t off)
{
	uint64_t st = pl->seed * 1000003ull + w;
	for (unsigned i = 0; i < pl->ops; i++) {
		uint64_t at, n;
		op(pl, &st, slen, &at, &n);
		fill(&st, shadow + at, n);
		if (fd >= 0) {
			ssize_t r = pwrite(fd, shadow + at, n, (off_t)(off + at));
			if (r < 0)
				return -1;
			if ((uint64_t)r != n) {
				errno = EIO;
				return -1;
			}
		}
	}
	return 0;
}

static int randio_worker(const char *dev, const struct plan *pl, unsigned w)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu > 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((size_t)w % (size_t)ncpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	int fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		die(dev);
	uint64_t off, len;
	slice(pl, w, &off, &len);
	unsigned char *shadow = xalloc(len);
	unsigned char *back = xalloc(len);
	if (play(pl, w, shadow, len, fd, off))
		die("O_DIRECT write");
	if (fdatasync(fd))
		die("fdatasync");
	/* read back in chunks of up to 256 KiB so the commands stay varied */
	uint64_t st = pl->seed ^ 0x5555u ^ w;
	for (uint64_t at = 0; at < len;) {
		uint64_t n = (1 + rnd(&st) % 64) * pl->bs;
		if (n > len - at)
			n = len - at;
		ssize_t r = pread(fd, back + at, n, (off_t)(off + at));
		if (r < 0)
			die("O_DIRECT read");
		if ((uint64_t)r != n) {
			fprintf(stderr, "vscsi-guest: short read at %" PRIu64 "\n",
				off + at);
			exit(2);
		}
		at += n;
	}
	close(fd);
	int bad = 0;
	if (memcmp(shadow, back, len)) {
		uint64_t i = 0;
		while (shadow[i] == back[i])
			i++;
		printf("worker=%u MISMATCH at byte %" PRIu64 "\n", w, off + i);
		bad = 1;
	}
	printf("worker=%u off=%" PRIu64 " len=%" PRIu64 " sum=%016" PRIx64 "\n",
	       w, off, len, sum(back, len, SUM0));
	fflush(stdout);
	return bad;
}

static void plan_args(struct plan *pl, char **a)
{
	pl->seed = num(a[0]);
	pl->workers = (unsigned)num(a[1]);
	pl->ops = (unsigned)num(a[2]);
	pl->maxblks = (unsigned)num(a[3]);
	pl->region = num(a[4]);
	if (pl->workers < 1 || pl->workers > MAX_WORKERS || pl->maxblks < 1) {
		fprintf(stderr, "vscsi-guest: bad workers or maxblks\n");
		exit(2);
	}
}

static int cmd_randio(char **a)
{
	struct plan pl;
	plan_args(&pl, a + 1);
	int fd = open(a[0], O_RDONLY);
	if (fd < 0)
		die(a[0]);
	int ss;
	uint64_t bytes;
	if (ioctl(fd, BLKSSZGET, &ss) || ioctl(fd, BLKGETSIZE64, &bytes))
		die("block ioctl");
	close(fd);
	pl.bs = (uint64_t)ss;
	if (pl.region > bytes || pl.region / pl.bs / pl.workers < 1) {
		fprintf(stderr, "vscsi-guest: region does not fit the device\n");
		return 2;
	}
	pid_t pid[MAX_WORKERS];
	for (unsigned w = 0; w < pl.workers; w++) {
		fflush(stdout);
		pid[w] = fork();
		if (pid[w] < 0)
			die("fork");
		if (pid[w] == 0)
			_exit(randio_worker(a[0], &pl, w));
	}
	int rc = 0;
	for (unsigned w = 0; w < pl.workers; w++) {
		int status;
		if (waitpid(pid[w], &status, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("worker=%u FAILED status=%d\n", w, status);
			rc = 1;
		}
	}
	return rc;
}

static int cmd_randio_check(char **a)
{
	struct plan pl;
	plan_args(&pl, a + 1);
	pl.bs = num(a[6]);
	int fd = open(a[0], O_RDONLY);
	if (fd < 0)
		die(a[0]);
	struct stat sb;
	if (fstat(fd, &sb))
		die("fstat");
	int rc = 0;
	for (unsigned w = 0; w < pl.workers; w++) {
		uint64_t off, len;
		slice(&pl, w, &off, &len);
		unsigned char *shadow = xalloc(len);
		unsigned char *got = xalloc(len);
		play(&pl, w, shadow, len, -1, 0);
		ssize_t r = pread(fd, got, len, (off_t)off);
		if (r < 0 || (uint64_t)r != len) {
			printf("worker=%u SHORT file\n", w);
			return 1;
		}
		if (memcmp(shadow, got, len)) {
			uint64_t i = 0;
			while (shadow[i] == got[i])
				i++;
			printf("worker=%u MISMATCH at byte %" PRIu64 "\n", w,
			       off + i);
			rc = 1;
		}
		printf("worker=%u off=%" PRIu64 " len=%" PRIu64
		       " sum=%016" PRIx64 "\n", w, off, len,
		       sum(got, len, SUM0));
		free(shadow);
		free(got);
	}
	/* nothing outside the slices was written */
	uint64_t end, len;
	slice(&pl, pl.workers - 1, &end, &len);
	end += len;
	static unsigned char buf[1 << 16];
	for (uint64_t at = end; at < (uint64_t)sb.st_size;) {
		ssize_t r = pread(fd, buf, sizeof(buf), (off_t)at);
		if (r <= 0)
			die("read");
		for (ssize_t i = 0; i < r; i++)
			if (buf[i]) {
				printf("STRAY byte at %" PRIu64 "\n",
				       at + (uint64_t)i);
				return 1;
			}
		at += (uint64_t)r;
	}
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ the rest */

static int cmd_info(char **a)
{
	int fd = open(a[0], O_RDONLY);
	if (fd < 0)
		die(a[0]);
	uint64_t bytes;
	int lbs, pbs = 0, ro;
	if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &lbs) ||
	    ioctl(fd, BLKROGET, &ro))
		die("block ioctl");
	if (ioctl(fd, BLKPBSZGET, &pbs))
		pbs = 0;
	printf("bytes=%" PRIu64 " lbs=%d pbs=%d ro=%d\n", bytes, lbs, pbs, ro);
	close(fd);
	return 0;
}

static int cmd_sgwrite(char **a)
{
	int fd = open(a[0], O_RDWR);
	if (fd < 0)
		die(a[0]);
	uint64_t lba = num(a[1]);
	uint64_t bs = num(a[2]);
	unsigned char cdb[10] = {0x2a, 0, (unsigned char)(lba >> 24),
				 (unsigned char)(lba >> 16),
				 (unsigned char)(lba >> 8), (unsigned char)lba,
				 0, 0, 1, 0};
	unsigned char sense[64] = {0};
	unsigned char *data = xalloc(bs);
	memset(data, 0xee, bs);
	sg_io_hdr_t h;
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.dxfer_direction = SG_DXFER_TO_DEV;
	h.cmd_len = sizeof(cdb);
	h.cmdp = cdb;
	h.dxferp = data;
	h.dxfer_len = (unsigned)bs;
	h.mx_sb_len = sizeof(sense);
	h.sbp = sense;
	h.timeout = 20000;
	if (ioctl(fd, SG_IO, &h))
		die("SG_IO");
	unsigned key = 0, asc = 0, ascq = 0;
	if (h.sb_len_wr >= 1 && (sense[0] & 0x7f) >= 0x72) {
		key = sense[1] & 0xf; /* descriptor format (SPC-5 4.4.2) */
		asc = sense[2];
		ascq = sense[3];
	} else if (h.sb_len_wr >= 14) {
		key = sense[2] & 0xf; /* fixed format (SPC-5 4.4.3) */
		asc = sense[12];
		ascq = sense[13];
	}
	printf("status=0x%02x host=0x%x driver=0x%x sense_len=%u key=0x%x "
	       "asc=0x%02x ascq=0x%02x\n", h.status, h.host_status,
	       h.driver_status, h.sb_len_wr, key, asc, ascq);
	close(fd);
	return 0;
}

static int cmd_zeroout(char **a)
{
	int fd = open(a[0], O_RDWR);
	if (fd < 0)
		die(a[0]);
	uint64_t r[2] = {num(a[1]), num(a[2])};
	if (ioctl(fd, BLKZEROOUT, r))
		die("BLKZEROOUT");
	close(fd);
	return 0;
}

/* Credit the kernel with entropy so that getrandom() stops blocking: a TCG
 * guest has no RDRAND and no virtio-rng, and mke2fs waits for a UUID until
 * the pool initialises by itself (seconds). Nothing here needs secrecy. */
static int cmd_seedrng(char **a)
{
	(void)a;
	struct {
		struct rand_pool_info info;
		uint32_t buf[16];
	} r;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t st = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid();
	for (int i = 0; i < 16; i++)
		r.buf[i] = (uint32_t)rnd(&st);
	r.info.entropy_count = 512;
	r.info.buf_size = sizeof(r.buf);
	int fd = open("/dev/urandom", O_WRONLY);
	if (fd < 0)
		die("/dev/urandom");
	if (ioctl(fd, RNDADDENTROPY, &r))
		die("RNDADDENTROPY");
	close(fd);
	return 0;
}

static int cmd_gen(char **a)
{
	uint64_t st = num(a[0]);
	uint64_t left = num(a[1]);
	static unsigned char buf[1 << 16];
	while (left) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		fill(&st, buf, n);
		if (fwrite(buf, 1, n, stdout) != n)
			die("write");
		left -= n;
	}
	return fflush(stdout) ? 2 : 0;
}

static int cmd_holes(char **a)
{
	int fd = open(a[0], O_RDONLY);
	if (fd < 0)
		die(a[0]);
	struct stat sb;
	if (fstat(fd, &sb))
		die("fstat");
	printf("size=%lld blocks=%lld\n", (long long)sb.st_size,
	       (long long)sb.st_blocks);
	off_t at = 0;
	while (at < sb.st_size) {
		off_t d = lseek(fd, at, SEEK_DATA);
		if (d < 0 && errno == ENXIO)
			d = sb.st_size;
		else if (d < 0)
			die("SEEK_DATA");
		if (d > at)
			printf("hole %lld %lld\n", (long long)at, (long long)d);
		if (d >= sb.st_size)
			break;
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			die("SEEK_HOLE");
		printf("data %lld %lld\n", (long long)d, (long long)h);
		at = h;
	}
	close(fd);
	return 0;
}

static const struct {
	const char *name;
	int args;
	int (*fn)(char **);
} cmds[] = {
	{"info", 1, cmd_info},
	{"randio", 6, cmd_randio},
	{"randio-check", 7, cmd_randio_check},
	{"sgwrite", 3, cmd_sgwrite},
	{"zeroout", 3, cmd_zeroout},
	{"gen", 2, cmd_gen},
	{"seedrng", 0, cmd_seedrng},
	{"holes", 1, cmd_holes},
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			if (argc - 2 != cmds[i].args) {
				fprintf(stderr, "vscsi-guest %s: takes %d "
					"arguments\n", cmds[i].name,
					cmds[i].args);
				return 2;
			}
			return cmds[i].fn(argv + 2);
		}
	fprintf(stderr, "usage: vscsi-guest info|randio|randio-check|sgwrite|"
		"zeroout|gen|holes ARGS (see the source)\n");
	return 2;
}
