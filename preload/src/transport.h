/* Sending one record's messages: unix datagram, UDP, or TCP with RFC 6587
 * octet counting. Sockets are SOCK_CLOEXEC|SOCK_NONBLOCK, opened per record
 * and closed after it; connect and every send together are bounded by one
 * deadline; a lost connection is reopened once, then the record is given up
 * quietly. No allocation, no name lookups (NSS could hang or dlopen). */
#ifndef OGRT_TRANSPORT_H
#define OGRT_TRANSPORT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

enum ogrt_transport_kind { OGRT_TRANSPORT_UNIX, OGRT_TRANSPORT_UDP, OGRT_TRANSPORT_TCP };

struct ogrt_transport {
	enum ogrt_transport_kind kind;
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t addr_len;
};

/* Parses unix:///abs/path, udp://HOST:PORT or tcp://HOST:PORT, where HOST is
 * an IPv4 address, [IPv6] or localhost. Returns 0 or -EINVAL. */
int ogrt_transport_parse(const char *uri, struct ogrt_transport *t);

struct ogrt_conn {
	const struct ogrt_transport *t;
	int fd;
	int reconnected;
	int sent;             /* this connection carried data */
	int error;            /* errno of the failure that ended the record, or 0 */
	const char *step;     /* where it failed: "socket", "connect", "send", "timeout" */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC */
};

/* Opens the socket and starts connecting (TCP completes in the first send).
 * Returns 0, or -1 with c->error/c->step set. */
int ogrt_conn_open(struct ogrt_conn *c, const struct ogrt_transport *t, unsigned timeout_ms);

/* Sends one message; msg has OGRT_FRAME_ROOM writable bytes before it (the
 * TCP frame prefix goes there). Returns 0, or -1: give up the record. */
int ogrt_conn_send(struct ogrt_conn *c, char *msg, size_t len);

void ogrt_conn_close(struct ogrt_conn *c);

#endif
