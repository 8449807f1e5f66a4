#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rfc5424.h"
#include "str.h"

static int parse_port(const char *s, in_port_t *port)
{
	unsigned long n = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9' && n <= 65535; s++)
		n = n * 10 + (unsigned long)(*s - '0');
	if (*s != '\0' || n == 0 || n > 65535)
		return -EINVAL;
	*port = htons((uint16_t)n);
	return 0;
}

/* HOST:PORT with HOST an IPv4 address, [IPv6] or localhost: numeric only, a
 * name lookup could block the host program or load NSS modules. */
static int parse_inet(const char *s, struct ogrt_transport *t)
{
	char host[64];
	const char *colon;
	size_t len;
	in_port_t port;

	if (s[0] == '[') {
		const char *close = ogrt_strchrnul(s, ']');
		if (*close == '\0' || close[1] != ':')
			return -EINVAL;
		len = (size_t)(close - s - 1);
		if (len >= sizeof host)
			return -EINVAL;
		memcpy(host, s + 1, len);
		host[len] = '\0';
		colon = close + 1;
	} else {
		colon = NULL;
		for (const char *p = s; *p != '\0'; p++)
			if (*p == ':')
				colon = p;
		if (colon == NULL || (size_t)(colon - s) >= sizeof host)
			return -EINVAL;
		len = (size_t)(colon - s);
		memcpy(host, s, len);
		host[len] = '\0';
	}
	if (parse_port(colon + 1, &port) != 0)
		return -EINVAL;
	memset(&t->addr, 0, sizeof t->addr);
	if (ogrt_streq(host, "localhost"))
		memcpy(host, "127.0.0.1", sizeof "127.0.0.1");
	if (s[0] != '[' && inet_pton(AF_INET, host, &t->addr.in.sin_addr) == 1) {
		t->addr.in.sin_family = AF_INET;
		t->addr.in.sin_port = port;
		t->addr_len = sizeof t->addr.in;
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &t->addr.in6.sin6_addr) == 1) {
		t->addr.in6.sin6_family = AF_INET6;
		t->addr.in6.sin6_port = port;
		t->addr_len = sizeof t->addr.in6;
		return 0;
	}
	return -EINVAL;
}

int ogrt_transport_parse(const char *uri, struct ogrt_transport *t)
{
	memset(t, 0, sizeof *t);
	if (ogrt_has_prefix(uri, "unix://")) {
		const char *path = uri + 7;
		size_t len = ogrt_strlen(path);
		if (path[0] != '/' || len >= sizeof t->addr.un.sun_path)
			return -EINVAL;
		t->kind = OGRT_TRANSPORT_UNIX;
		t->addr.un.sun_family = AF_UNIX;
		memcpy(t->addr.un.sun_path, path, len + 1);
		t->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
		return 0;
	}
	if (ogrt_has_prefix(uri, "tcp://")) {
		t->kind = OGRT_TRANSPORT_TCP;
		return parse_inet(uri + 6, t);
	}
	if (ogrt_has_prefix(uri, "udp://")) {
		t->kind = OGRT_TRANSPORT_UDP;
		return parse_inet(uri + 6, t);
	}
	return -EINVAL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(struct ogrt_conn *c, const char *step, int err)
{
	c->step = step;
	c->error = err;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return -1;
}

static int do_connect(struct ogrt_conn *c)
{
	int type = (c->t->kind == OGRT_TRANSPORT_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;

	c->fd = socket(c->t->addr.sa.sa_family, type, 0);
	if (c->fd < 0)
		return fail(c, "socket", errno);
	/* A non-blocking TCP connect completes in the background (EINPROGRESS,
	 * or EINTR); the first send waits for it within the deadline. */
	if (connect(c->fd, &c->t->addr.sa, c->t->addr_len) != 0 && errno != EINPROGRESS && errno != EINTR)
		return fail(c, "connect", errno);
	return 0;
}

int ogrt_conn_open(struct ogrt_conn *c, const struct ogrt_transport *t, unsigned timeout_ms)
{
	c->t = t;
	c->fd = -1;
	c->reconnected = 0;
	c->sent = 0;
	c->error = 0;
	c->step = NULL;
	c->deadline_ns = now_ns() + (uint64_t)timeout_ms * 1000000u;
	return do_connect(c);
}

/* Waits until the socket can take more, or the deadline passes (-1). */
static int wait_writable(struct ogrt_conn *c)
{
	for (;;) {
		struct pollfd p = { c->fd, POLLOUT, 0 };
		uint64_t now = now_ns();
		struct timespec left;
		int rc;

		if (now >= c->deadline_ns)
			return fail(c, "timeout", ETIMEDOUT);
		left.tv_sec = (time_t)((c->deadline_ns - now) / 1000000000u);
		left.tv_nsec = (long)((c->deadline_ns - now) % 1000000000u);
		rc = ppoll(&p, 1, &left, NULL);
		if (rc > 0)
			return 0; /* writable, or an error that the next send reports */
		if (rc < 0 && errno != EINTR)
			return fail(c, "poll", errno);
	}
}

/* Errors of a connection that worked and went away: reopen once. */
static int is_lost_conn(int e)
{
	return e == ECONNREFUSED || e == ECONNRESET || e == ENOTCONN || e == EPIPE;
}

int ogrt_conn_send(struct ogrt_conn *c, char *msg, size_t len)
{
	char *p = msg;
	size_t left = len;

	if (c->fd < 0)
		return -1;
	if (c->t->kind == OGRT_TRANSPORT_TCP) { /* RFC 6587 octet counting: LEN SP MSG */
		size_t n = len;
		*--p = ' ';
		do {
			*--p = (char)('0' + n % 10);
			n /= 10;
		} while (n > 0);
		left = len + (size_t)(msg - p);
	}
	for (char *frame = p;;) {
		ssize_t n = send(c->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
		int e = errno;

		if (n >= 0) {
			p += n;
			left -= (size_t)n;
			c->sent = 1;
			if (left == 0)
				return 0;
			continue;
		}
		if (e == EINTR)
			continue;
		/* EAGAIN also while a TCP connect is still in progress. */
		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
			if (wait_writable(c) != 0)
				return -1;
			continue;
		}
		/* Only a connection that carried data is "lost"; a receiver that
		 * refused the first connect is missing, and is left alone. */
		if (is_lost_conn(e) && c->sent && !c->reconnected) {
			c->reconnected = 1;
			c->sent = 0;
			close(c->fd);
			if (do_connect(c) != 0)
				return -1;
			p = frame;
			left = len + (size_t)(msg - frame);
			continue;
		}
		return fail(c, "send", e);
	}
}

void ogrt_conn_close(struct ogrt_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
