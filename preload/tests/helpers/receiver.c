/* Receivers for the end-to-end tests in test/preload/; node has no
 * unix datagram sockets and cannot hold a listener that never accepts.
 *
 *   receiver unix PATH        bind a unix datagram socket, write each
 *                             datagram to stdout as `LEN SP BYTES` (RFC 6587
 *                             framing, like the TCP transport)
 *   receiver stall-unix PATH  bind one and fill its queue, never read
 *   receiver stall-after N PATH  a queue that takes N datagrams, then is
 *                             full: a receiver that hangs in the middle of
 *                             a program's run; at stdin EOF it prints them
 *                             like `unix`
 *   receiver stall-tcp        listen on 127.0.0.1:0 with a full backlog,
 *                             never accept; prints the port
 *
 * Each prints `ready` (stall-tcp: `ready PORT`) on stdout once set up, and
 * runs until stdin reaches EOF. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 20];

static void die(const char *what)
{
	fprintf(stderr, "receiver: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(0);
		p += w;
		n -= (size_t)w;
	}
}

static int unix_dgram(const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind");
	return fd;
}

/* Waits for datagrams and stdin EOF. */
static void serve_unix(int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };

	write_all("ready\n", 6);
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents & POLLIN) {
			ssize_t n = recv(fd, buf, sizeof buf, 0);
			char head[32];
			if (n >= 0) {
				int h = snprintf(head, sizeof head, "%zd ", n);
				write_all(head, (size_t)h);
				write_all(buf, (size_t)n);
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char c[256];
			if (read(STDIN_FILENO, c, sizeof c) <= 0)
				exit(0);
		}
	}
}

static void wait_stdin_eof(void)
{
	char c[256];
	ssize_t n;

	while ((n = read(STDIN_FILENO, c, sizeof c)) > 0 || (n < 0 && errno == EINTR))
		;
	exit(0);
}

/* Fills fd's receive queue with 1-byte datagrams ("x") until senders block.
 * A sender is also stopped by its own send buffer, so a fresh socket takes
 * over when one is full; the queue is full when a fresh one cannot send. */
static void stall_queue(int fd)
{
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	long sent;

	getsockname(fd, (struct sockaddr *)&a, &len);
	do {
		int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (tx < 0 || connect(tx, (struct sockaddr *)&a, len) != 0)
			die("connect");
		for (sent = 0; send(tx, "x", 1, 0) == 1; sent++)
			;
		if (errno != EAGAIN)
			die("send");
	} while (sent > 0); /* the sockets stay open: their datagrams stay queued */
}

static void stall_unix(const char *path)
{
	stall_queue(unix_dgram(path));
	write_all("ready\n", 6);
	wait_stdin_eof();
}

/* Room for exactly n datagrams, then a full queue. At stdin EOF, prints
 * (like serve_unix) the datagrams that are not its own and exits. */
static void stall_after(long n, const char *path)
{
	int fd = unix_dgram(path);
	char c[256];
	ssize_t got;

	stall_queue(fd);
	for (long i = 0; i < n; i++)
		if (recv(fd, buf, sizeof buf, 0) < 0)
			die("recv");
	write_all("ready\n", 6);
	while ((got = read(STDIN_FILENO, c, sizeof c)) > 0 || (got < 0 && errno == EINTR))
		;
	while ((got = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0 || errno == EINTR) {
		char head[32];
		int h;
		if (got < 0 || (got == 1 && buf[0] == 'x'))
			continue;
		h = snprintf(head, sizeof head, "%zd ", got);
		write_all(head, (size_t)h);
		write_all(buf, (size_t)got);
	}
	exit(0);
}

static void stall_tcp(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), i;
	char line[32];

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 0) != 0)
		die("listen");
	getsockname(fd, (struct sockaddr *)&a, &len);
	/* Fill the accept queue: later SYNs are dropped, connects hang. */
	for (i = 0; i < 8; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c >= 0)
			connect(c, (struct sockaddr *)&a, len);
	}
	usleep(100000);
	i = snprintf(line, sizeof line, "ready %u\n", ntohs(a.sin_port));
	write_all(line, (size_t)i);
	wait_stdin_eof();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "unix") == 0)
		serve_unix(unix_dgram(argv[2]));
	if (argc == 4 && strcmp(argv[1], "stall-after") == 0 && atol(argv[2]) > 0)
		stall_after(atol(argv[2]), argv[3]);
	if (argc == 3 && strcmp(argv[1], "stall-unix") == 0)
		stall_unix(argv[2]);
	if (argc == 2 && strcmp(argv[1], "stall-tcp") == 0)
		stall_tcp();
	fprintf(stderr, "usage: receiver unix PATH | stall-after N PATH | stall-unix PATH | stall-tcp\n");
	return 2;
}
