/* libogrt.so: the constructor that sends the process record, the records
 * for objects loaded later (dlopen), and the optional exit record. Every
 * entry point keeps errno, blocks cancellation while it holds the lock, and
 * gives up quietly on any failure: the host program must never notice. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "collect.h"
#include "config.h"
#include "objects.h"
#include "ogrt.h"
#include "rfc5424.h"
#include "scratch.h"
#include "transport.h"

int ogrt_tracking;
int ogrt_track_dlopen;

static struct ogrt_config cfg;
static struct ogrt_process proc;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int busy __attribute__((tls_model("initial-exec")));
static unsigned long long known_adds; /* dlpi_adds at the last look */
static long long state_pid;           /* the process known_adds belongs to */
static char msgbuf[OGRT_ENCODE_BUF_SIZE(OGRT_MESSAGE_SIZE_MAX)];
static int proc_seccomp_at_start;     /* a filter came with the exec */

/* The first copy of libogrt.so in the global scope owns the process: a
 * second copy (a different path listed in LD_PRELOAD too) sees its own
 * marker's address differ from the one symbol lookup binds and stays idle. */
__attribute__((visibility("default"))) const char ogrt_preload_instance = 1;
extern const char ogrt_preload_instance_self __attribute__((alias("ogrt_preload_instance"), visibility("hidden")));

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "";
	case ENOENT: return ": ENOENT (no receiver socket)";
	case ECONNREFUSED: return ": ECONNREFUSED (no receiver)";
	case ETIMEDOUT: return ": ETIMEDOUT (OGRT_TIMEOUT_MS passed)";
	case EACCES: return ": EACCES";
	case EMFILE: return ": EMFILE";
	case ENFILE: return ": ENFILE";
	case EMSGSIZE: return ": EMSGSIZE";
	case ENOMEM: return ": ENOMEM";
	case ENETUNREACH: return ": ENETUNREACH";
	case EHOSTUNREACH: return ": EHOSTUNREACH";
	case ECONNRESET: return ": ECONNRESET";
	case EPIPE: return ": EPIPE";
	default: return ": error";
	}
}

static int send_part(void *ctx, char *msg, size_t len, unsigned part, unsigned parts)
{
	(void)part;
	(void)parts;
	return ogrt_conn_send(ctx, msg, len) != 0 ? -1 : 0;
}

/* Encodes and sends r over conn (already open), then closes it. A record
 * that timed out (the receiver stopped taking records) ends the tracking of
 * the process: otherwise every later dlopen would wait OGRT_TIMEOUT_MS
 * again. Failures that cost no waiting (no receiver, no fd) do not. */
static int send_record(const struct ogrt_record *r, struct ogrt_conn *conn)
{
	int rc = ogrt_encode(r, cfg.max_message_size, OGRT_PRI_DEFAULT, msgbuf, send_part, conn);
	int stop = rc != 0 && conn->error == ETIMEDOUT;

	ogrt_conn_close(conn);
	if (stop)
		ogrt_tracking = 0;
	if (cfg.debug_info) {
		if (rc == 0)
			ogrt_say(r->kind, " record sent to ", cfg.transport_uri, NULL, NULL);
		else
			ogrt_say(r->kind, " record not sent: ", conn->step ? conn->step : "encode",
				 conn->step ? errno_name(conn->error) : NULL,
				 stop && r->kind[0] != 'p' ? "; no more records from this process" : NULL);
	}
	return rc;
}

/* 1 if the program put itself under a seccomp filter since it started (a
 * browser sandbox, a privilege-separated daemon): a filter may kill the
 * process (SIGSYS) on socket(2), so later records are not risked. Filters
 * inherited at exec were there when the process record was sent. */
static int confined_since_start(void)
{
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) > 0 && !proc_seccomp_at_start;
}

static int open_conn(struct ogrt_conn *conn, const char *kind)
{
	if (kind[0] != 'p' && confined_since_start()) {
		ogrt_tracking = 0;
		if (cfg.debug_info)
			ogrt_say(kind, " record not sent: the program is under a seccomp filter", NULL, NULL, NULL);
		return -1;
	}
	if (ogrt_conn_open(conn, &cfg.transport, cfg.timeout_ms) == 0)
		return 0;
	if (cfg.debug_info)
		ogrt_say(kind, " record not sent: ", conn->step, errno_name(conn->error), NULL);
	return -1;
}

/* Takes the record lock with cancellation off; 0, or -1 if this thread is
 * already inside libogrt (a signal handler, a destructor run by dlclose). */
static int enter(int *cancel_state)
{
	if (busy)
		return -1;
	busy = 1;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, cancel_state);
	pthread_mutex_lock(&lock);
	return 0;
}

static void leave(int cancel_state)
{
	ogrt_scratch_reset();
	pthread_mutex_unlock(&lock);
	pthread_setcancelstate(cancel_state, NULL);
	busy = 0;
}

static void send_process_record(int argc, char **argv)
{
	struct ogrt_conn conn;
	struct ogrt_record r;
	struct ogrt_objects objs;

	/* Connect first: with no receiver there is nothing else to do. */
	if (open_conn(&conn, "process") != 0)
		return;
	/* The socket was allowed: so is this. */
	proc_seccomp_at_start = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) > 0;
	ogrt_uuid_v4(proc.uuid);
	ogrt_collect_identity(&proc, &cfg);
	ogrt_record_init(&r, &proc, "process");
	if (ogrt_objects_collect(&objs, 0, 0) == 0) {
		r.so = objs.so;
		r.n_so = objs.n;
		known_adds = objs.adds;
		memcpy(proc.signature, objs.exe_sig, sizeof proc.signature);
		if (proc.signature[0] != '\0')
			r.signature = (struct ogrt_bytes){ proc.signature, OGRT_UUID_LEN, 0 };
	}
	ogrt_collect_cmdline(&r, argc, argv, cfg.cmdline_max);
	ogrt_collect_modules(&r, cfg.envp);
	ogrt_collect_env(&r, cfg.envp, cfg.env_vars);
	state_pid = proc.pid;
	ogrt_tracking = send_record(&r, &conn) == 0;
}

void ogrt_report_new_objects(void)
{
	int saved_errno = errno, cancel_state;
	long long pid;

	if (!ogrt_tracking || !ogrt_track_dlopen || enter(&cancel_state) != 0)
		return;
	pid = getpid();
	if (pid != state_pid) { /* a forked child: the parent reports what it loaded */
		ogrt_objects_mark_all_seen();
		known_adds = ogrt_objects_adds();
		state_pid = pid;
	} else if (ogrt_objects_adds() != known_adds) {
		struct ogrt_objects objs;
		struct ogrt_record r;
		struct ogrt_conn conn;

		if (ogrt_objects_collect(&objs, 1, 1) == 0) {
			known_adds = objs.adds;
			if (objs.n > 0 && open_conn(&conn, "dlopen") == 0) {
				ogrt_record_init(&r, &proc, "dlopen");
				r.so = objs.so;
				r.n_so = objs.n;
				send_record(&r, &conn);
			}
		}
	}
	leave(cancel_state);
	errno = saved_errno;
}

void ogrt_forget_unloaded(void)
{
	int saved_errno = errno, cancel_state;

	if (!ogrt_tracking || !ogrt_track_dlopen || enter(&cancel_state) != 0)
		return;
	if (getpid() == state_pid)
		ogrt_objects_forget_unloaded();
	leave(cancel_state);
	errno = saved_errno;
}

static void send_exit_record(int status)
{
	struct ogrt_record r;
	struct ogrt_conn conn;
	struct rusage ru;
	int cancel_state;

	if (enter(&cancel_state) != 0)
		return;
	if (open_conn(&conn, "exit") == 0) {
		ogrt_record_init(&r, &proc, "exit");
		ogrt_record_set_num(&r, OGRT_NUM_EXIT_STATUS, status & 0xff);
		ogrt_record_set_num(&r, OGRT_NUM_WALL_TIME_US, (int64_t)(r.time_us - proc.start_us));
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			ogrt_record_set_num(&r, OGRT_NUM_MAX_RSS_KB, ru.ru_maxrss);
		send_record(&r, &conn);
	}
	leave(cancel_state);
}

/* on_exit(3): runs in exit() (and after main returns), with the status;
 * not on _exit, exec or a fatal signal. Only the process that sent the
 * process record reports its exit: a forked child is the same program. */
static void at_exit(int status, void *arg)
{
	int saved_errno = errno;

	(void)arg;
	ogrt_report_new_objects();
	if (cfg.exit_record && ogrt_tracking && getpid() == proc.pid)
		send_exit_record(status);
	errno = saved_errno;
}

static void before_fork(void)
{
	if (!busy)
		pthread_mutex_lock(&lock);
}

static void after_fork_parent(void)
{
	if (!busy)
		pthread_mutex_unlock(&lock);
}

static void after_fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
}

/* glibc passes argc, argv and envp to ELF constructors. The environment is
 * read from envp only: the program's constructors have not run yet, and a
 * getenv of its own (exported, so ours would bind to it) may need them. */
__attribute__((constructor)) static void ogrt_init(int argc, char **argv, char **envp)
{
	int saved_errno = errno;

	/* A setuid/setgid program (AT_SECURE; only possible through
	 * /etc/ld.so.preload) would let the caller's OGRT_TRANSPORT make it send
	 * to any socket with its privileges: not tracked. */
	if (&ogrt_preload_instance != &ogrt_preload_instance_self || !ogrt_config_active(envp) || getauxval(AT_SECURE))
		goto out;
	/* The skip filters come before any other work. */
	proc.binpath_len = ogrt_collect_binpath(proc.binpath, sizeof proc.binpath);
	if (ogrt_config_skips(envp, proc.binpath) || ogrt_config_load(&cfg, envp) != 0)
		goto out;
	if (cfg.debug_info)
		ogrt_config_print(&cfg);
	busy = 1;
	pthread_mutex_lock(&lock);
	send_process_record(argc, argv);
	ogrt_scratch_reset();
	pthread_mutex_unlock(&lock);
	busy = 0;
	if (ogrt_tracking && (cfg.dlopen || cfg.exit_record)) {
		ogrt_track_dlopen = cfg.dlopen;
		pthread_atfork(before_fork, after_fork_parent, after_fork_child);
		on_exit(at_exit, NULL);
	}
out:
	errno = saved_errno;
}
