/* Transports against real sockets: parsing of OGRT_TRANSPORT, a unix
 * datagram, TCP octet counting, a missing receiver, a stalled one (the
 * deadline), and one reconnect after a lost TCP connection. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rfc5424.h"
#include "tap.h"
#include "transport.h"

static char dir[] = "/tmp/ogrt-transport-XXXXXX";

static void parse_case(const char *uri, int want_ok, int want_kind)
{
	struct ogrt_transport t;
	char name[300];
	int rc = ogrt_transport_parse(uri, &t);

	snprintf(name, sizeof name, "parse %s", uri);
	TAP_CHECK(name, (rc == 0) == want_ok && (!want_ok || (int)t.kind == want_kind), "rc %d kind %d", rc, (int)t.kind);
}

static void test_parse(void)
{
	char long_path[200];

	parse_case("unix:///run/ogrt/ogrt.sock", 1, OGRT_TRANSPORT_UNIX);
	parse_case("tcp://127.0.0.1:5514", 1, OGRT_TRANSPORT_TCP);
	parse_case("udp://10.1.2.3:514", 1, OGRT_TRANSPORT_UDP);
	parse_case("tcp://[::1]:5514", 1, OGRT_TRANSPORT_TCP);
	parse_case("tcp://localhost:5514", 1, OGRT_TRANSPORT_TCP);
	parse_case("unix://relative/path", 0, 0);
	parse_case("tcp://logs.example.org:5514", 0, 0); /* names would need NSS */
	parse_case("tcp://127.0.0.1", 0, 0);
	parse_case("tcp://127.0.0.1:0", 0, 0);
	parse_case("tcp://127.0.0.1:65536", 0, 0);
	parse_case("tcp://127.0.0.1:55x", 0, 0);
	parse_case("tcp://::1:5514", 0, 0);
	parse_case("http://127.0.0.1:80", 0, 0);
	parse_case("", 0, 0);
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	{
		char uri[220];
		snprintf(uri, sizeof uri, "unix://%s", long_path);
		parse_case(uri, 0, 0);
	}
}

static int bind_unix(const char *path, struct ogrt_transport *t)
{
	char uri[200];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(uri, sizeof uri, "unix://%s", path);
	ogrt_transport_parse(uri, t);
	unlink(path);
	if (fd < 0 || bind(fd, &t->addr.sa, t->addr_len) != 0)
		return -1;
	return fd;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_unix(void)
{
	char path[128], buf[OGRT_FRAME_ROOM + 64], got[64];
	struct ogrt_transport t;
	struct ogrt_conn c;
	struct timespec t0;
	int fd, rc, small = 2048;
	ssize_t n;

	snprintf(path, sizeof path, "%s/rx.sock", dir);
	fd = bind_unix(path, &t);
	memcpy(buf + OGRT_FRAME_ROOM, "hello", 5);
	rc = ogrt_conn_open(&c, &t, 100);
	rc = rc == 0 ? ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 5) : rc;
	ogrt_conn_close(&c);
	n = recv(fd, got, sizeof got, MSG_DONTWAIT);
	TAP_CHECK("unix datagram: one message, no framing", rc == 0 && n == 5 && memcmp(got, "hello", 5) == 0, "rc %d n %zd", rc, n);

	/* Stalled: the receiver never reads and its queue is full. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	rc = ogrt_conn_open(&c, &t, 1000);
	while (rc == 0 && send(c.fd, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 48, MSG_DONTWAIT) >= 0)
		;
	ogrt_conn_close(&c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ogrt_conn_open(&c, &t, 50);
	rc = rc == 0 ? ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 5) : rc;
	TAP_CHECK("unix datagram: a full queue is waited out to the deadline, then given up",
		  rc == -1 && c.step && strcmp(c.step, "timeout") == 0 && c.fd == -1 && ms_since(&t0) >= 49 && ms_since(&t0) < 500,
		  "rc %d step %s after %.1f ms", rc, c.step ? c.step : "-", ms_since(&t0));
	close(fd);

	unlink(path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ogrt_conn_open(&c, &t, 1000);
	TAP_CHECK("unix datagram: no receiver fails at connect at once", rc == -1 && c.error == ENOENT && c.fd == -1 && ms_since(&t0) < 50,
		  "rc %d error %d", rc, c.error);
}

static int tcp_listener(struct ogrt_transport *t)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	char uri[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0)
		return -1;
	getsockname(fd, (struct sockaddr *)&a, &len);
	snprintf(uri, sizeof uri, "tcp://127.0.0.1:%u", ntohs(a.sin_port));
	ogrt_transport_parse(uri, t);
	return fd;
}

static size_t read_some(int fd, char *buf, size_t cap, size_t want)
{
	size_t n = 0;
	ssize_t r;

	while (n < want && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

static void test_tcp(void)
{
	struct ogrt_transport t;
	struct ogrt_conn c;
	struct linger lg = { 1, 0 };
	char buf[OGRT_FRAME_ROOM + 64], got[128];
	int lfd = tcp_listener(&t), a, b, rc;
	size_t n;

	memcpy(buf + OGRT_FRAME_ROOM, "<14>1 hello", 11);
	rc = ogrt_conn_open(&c, &t, 1000);
	rc = rc == 0 ? ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 11) : rc;
	memcpy(buf + OGRT_FRAME_ROOM, "second", 6);
	rc = rc == 0 ? ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 6) : rc;
	ogrt_conn_close(&c);
	a = accept(lfd, NULL, NULL);
	n = read_some(a, got, sizeof got, 22);
	TAP_CHECK("tcp: RFC 6587 octet counting, two messages on one connection",
		  rc == 0 && n == 22 && memcmp(got, "11 <14>1 hello6 second", 22) == 0, "rc %d got %.*s", rc, (int)n, got);
	close(a);

	/* Lost connection: the peer resets after the first message; one reconnect. */
	rc = ogrt_conn_open(&c, &t, 2000);
	memcpy(buf + OGRT_FRAME_ROOM, "one", 3);
	rc = rc == 0 ? ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 3) : rc;
	a = accept(lfd, NULL, NULL);
	n = read_some(a, got, sizeof got, 5);
	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(a); /* RST */
	usleep(20000);
	memcpy(buf + OGRT_FRAME_ROOM, "two", 3);
	for (int i = 0; rc == 0 && i < 3; i++) /* the first send after a RST may still succeed */
		rc = ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 3);
	b = accept(lfd, NULL, NULL);
	ogrt_conn_close(&c);
	n = read_some(b, got, sizeof got, 5);
	TAP_CHECK("tcp: a lost connection is reopened once and the message resent",
		  rc == 0 && c.reconnected == 1 && n >= 5 && memcmp(got, "3 two", 5) == 0, "rc %d reconnected %d got %.*s", rc,
		  c.reconnected, (int)n, got);
	close(b);
	close(lfd);

	rc = ogrt_conn_open(&c, &t, 1000); /* the listener is gone: refused */
	rc = rc == 0 ? ogrt_conn_send(&c, buf + OGRT_FRAME_ROOM, 3) : rc;
	TAP_CHECK("tcp: a refused connect is given up without a reconnect", rc == -1 && c.reconnected == 0 && c.fd == -1,
		  "rc %d reconnected %d", rc, c.reconnected);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	test_parse();
	test_unix();
	test_tcp();
	rmdir(dir);
	return tap_exit();
}
