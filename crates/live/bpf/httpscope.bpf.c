// SPDX-License-Identifier: MIT OR GPL-2.0
//
// httpscope's kernel side: which sockets belong to the traced processes, and a copy of
// their packets.
//
// Ownership of a socket is decided in process context, where the current task is the one
// that owns the socket:
//   - cgroup/sock_create     a traced process creates a socket (TCP or UDP, so DNS too);
//   - tp_btf/sock_send_length, tp_btf/sock_recv_length
//                            a traced process sends or receives on a socket it got some
//                            other way (accepted, inherited, opened before the recording);
//   - tp_btf/inet_sock_set_state
//                            SYN_SENT and LISTEN in process context; the connect latency
//                            (SYN_SENT -> ESTABLISHED) and the close of every owned socket;
//   - tp_btf/sched_process_fork and sched_process_exit
//                            the traced set follows descendants.
// Accepted connections are attributed to the owner of the listening socket on their local
// port until a traced process reads or writes them (then to that process).
//
// Packets: cgroup_skb ingress/egress at the cgroup v2 root copy the packets of owned sockets
// (from the IP header, up to the snap length) with a CLOCK_MONOTONIC timestamp into one ring
// buffer. Fairness: when the ring is more than half full, a socket that put more than an
// eighth of the ring into it in the current 100 ms window gets headers only (its payload is
// lost, and counted); above seven eighths every socket gets headers only; when the ring is
// full the packet is dropped and counted, per socket and in total. TCP facts (retransmits,
// resets) are counted per socket from tcp tracepoints and sent with the close event.
//
// Plaintext from TLS libraries (attach mode, no keys): uprobes on SSL_write/SSL_read (and the
// _ex forms) of OpenSSL/BoringSSL and on gnutls_record_send/recv remember the buffer of a call
// made by a traced thread; the socket syscall the library makes on the same thread during
// the call (tp_btf/sys_enter) gives its fd and socket cookie; the return probe copies the
// bytes transferred
// with their position in that direction of the library connection's stream, so a lost
// record shows as a gap.
//
// Rebuild the committed object with scripts/build-bpf.sh (CI fails when it is stale).

#include <stddef.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// Kernel types, only the fields read; CO-RE relocates them against the running kernel.
struct files_struct;
struct task_struct {
	int pid;
	int tgid;
	struct files_struct *files;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct inode {
	unsigned short i_mode;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct socket {
	struct sock *sk;
} __attribute__((preserve_access_index));

typedef struct {
	long long counter;
} atomic64_t;

struct sock_common {
	unsigned short skc_family;
	atomic64_t skc_cookie;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define TCP_LISTEN 10

#define EV_PACKET 1
#define EV_OWNER 2
#define EV_CLOSE 3
#define EV_PLAIN 4

#define DIR_EGRESS 0
#define DIR_INGRESS 1

#define PKT_TRUNCATED_FAIR 1 // payload cut to keep the ring buffer fair
#define PKT_TRUNCATED_SNAP 2 // cut by the snap length

#define SOCK_LISTENER 1

#define MAX_SNAP 65536
#define MAX_PLAIN 65536
#define HEADERS_ONLY 128
#define MAX_NEST 4
#define MAX_PORTS 8
#define WINDOW_NS 100000000ULL

// Counter indices (see Counter in src/bpf.rs).
enum counter {
	C_PACKETS,
	C_PACKET_BYTES,
	C_RING_FULL,
	C_RING_FULL_BYTES,
	C_TRUNC_FAIR,
	C_TRUNC_FAIR_BYTES,
	C_TRUNC_SNAP,
	C_TRUNC_SNAP_BYTES,
	C_SOCKS_FULL,
	C_OWNER_LOST,
	C_CLOSE_LOST,
	C_NESTED,
	C_PLAIN,
	C_PLAIN_BYTES,
	C_PLAIN_LOST,
	C_PLAIN_LOST_BYTES,
	C_PLAIN_TRUNC_BYTES,
	C_COPY_FAILED,
	C_MAX,
};

struct config {
	__u32 all;
	__u32 snaplen;
	__u32 nports;
	__u16 ports[MAX_PORTS];
	__u32 paused; // set at the end: nothing more is copied, what is in the ring is read
};

struct sock_info {
	__u32 pid;
	__u32 flags;
	__u64 syn_ts;
	__u64 est_ts;
	__u32 retransmits;
	__u32 resets_in;
	__u32 resets_out;
	__u32 drops;
	__u32 truncated;
	__u32 _pad;
	__u64 window_start;
	__u64 window_bytes;
};

struct packet_event {
	__u8 kind;
	__u8 dir;
	__u8 flags;
	__u8 _pad;
	__u32 pid;
	__u64 ts;
	__u64 cookie;
	__u32 len;
	__u32 caplen;
	__u32 drops;     // packets of this socket lost so far (ring buffer full)
	__u32 truncated; // packets of this socket cut to headers so far (fairness)
	__u8 data[MAX_SNAP];
};

struct owner_event {
	__u8 kind;
	__u8 _pad[3];
	__u32 pid;
	__u64 ts;
	__u64 cookie;
	char comm[16];
};

struct close_event {
	__u8 kind;
	__u8 _pad[3];
	__u32 pid;
	__u64 ts;
	__u64 cookie;
	__u64 syn_ts;
	__u64 est_ts;
	__u32 retransmits;
	__u32 resets_in;
	__u32 resets_out;
	__u32 drops;
	__u32 truncated;
	__u32 _pad2;
};

// Library calls: what a return probe needs from its entry probe.
struct tls_call {
	__u64 conn;    // SSL * or gnutls_session_t
	__u64 buf;     // the caller's buffer
	__u64 out_len; // SSL_*_ex: where the library writes the byte count (0 otherwise)
	__u64 cookie;  // that socket's cookie (0 when unknown)
	__s32 fd;      // socket fd of a syscall made during the call, -1 until one is seen
	__u8 dir;      // 0 written by the process, 1 read
	__u8 lib;      // 1 OpenSSL/BoringSSL, 2 GnuTLS, 3 Go crypto/tls
	__u8 _pad[2];
};

struct pos_key {
	__u64 conn;
	__u32 dir;
	__u32 pid;
};

struct plain_event {
	__u8 kind;
	__u8 dir;
	__u8 lib;
	__u8 flags; // 1: data cut to MAX_PLAIN
	__u32 pid;
	__u64 ts;
	__u64 conn;
	__u64 pos;
	__u32 len;
	__u32 caplen;
	__s32 fd;
	__u32 tid;
	__u64 cookie;
	__u8 data[MAX_PLAIN];
};

// LRU: a thread killed inside a library call leaves an entry that ages out.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pos_key);
	__type(value, __u64);
} tls_pos SEC(".maps");

// Go's crypto/tls: a call in flight per goroutine (register ABI: the g pointer in R14) or
// per thread (stack ABI), and the goroutine a thread runs now, so that sys_enter can find the
// call whose socket syscall it sees.
struct go_key {
	__u64 g;
	__u32 tgid;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct go_key);
	__type(value, struct tls_call);
} go_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct go_key);
} go_threads SEC(".maps");

// One plaintext buffer per CPU and nesting level, like `scratch`.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_NEST);
	__type(key, __u32);
	__type(value, struct plain_event);
} plain_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

// LRU: sockets that never reach TCP_CLOSE (UDP) age out instead of filling the map; a
// socket that sends or receives stays recent.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_info);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u32);
} listen_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

// One packet buffer per CPU and nesting level (a softirq can interrupt a program running in
// process context on the same CPU). The loader sets max_entries to CPUs * MAX_NEST.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_NEST);
	__type(key, __u32);
	__type(value, struct packet_event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nesting SEC(".maps");

static __always_inline void count(enum counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);
	if (v)
		*v += n;
}

static __always_inline struct config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&config, &zero);
}

static __always_inline int is_traced(__u32 tgid)
{
	struct config *cfg = get_config();
	if (cfg && cfg->all)
		return 1;
	return bpf_map_lookup_elem(&traced, &tgid) != 0;
}

static __always_inline void emit_owner(__u64 cookie, __u32 pid)
{
	struct owner_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(C_OWNER_LOST, 1);
		return;
	}
	e->kind = EV_OWNER;
	e->pid = pid;
	e->ts = bpf_ktime_get_ns();
	e->cookie = cookie;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

// Makes the current process the owner of `cookie` (when it is traced), with `flags`.
static __always_inline struct sock_info *claim(__u64 cookie, __u32 flags)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sock_info *info = bpf_map_lookup_elem(&socks, &cookie);
	if (info) {
		if (is_traced(tgid)) {
			info->flags |= flags;
			if (info->pid != tgid) {
				info->pid = tgid;
				emit_owner(cookie, tgid);
			}
		}
		return info;
	}
	if (!is_traced(tgid))
		return 0;
	struct sock_info fresh = {};
	fresh.pid = tgid;
	fresh.flags = flags;
	if (bpf_map_update_elem(&socks, &cookie, &fresh, BPF_NOEXIST) != 0) {
		count(C_SOCKS_FULL, 1);
		return 0;
	}
	emit_owner(cookie, tgid);
	return bpf_map_lookup_elem(&socks, &cookie);
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	if (sk->family == 2 || sk->family == 10)
		claim(bpf_get_socket_cookie(sk), 0);
	return 1;
}

// IPv4 and IPv6 sockets only (Unix and netlink sockets send and receive too).
static __always_inline int inet(void *sk)
{
	unsigned short family = BPF_CORE_READ((struct sock *)sk, __sk_common.skc_family);
	return family == 2 || family == 10;
}

SEC("tp_btf/sock_send_length")
int sock_send_length(__u64 *ctx)
{
	if (inet((void *)ctx[0]))
		claim(bpf_get_socket_cookie((void *)ctx[0]), 0);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int sock_recv_length(__u64 *ctx)
{
	if (inet((void *)ctx[0]))
		claim(bpf_get_socket_cookie((void *)ctx[0]), 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int inet_sock_set_state(__u64 *ctx)
{
	int oldstate = (int)ctx[1];
	int newstate = (int)ctx[2];
	__u64 cookie = bpf_get_socket_cookie((void *)ctx[0]);
	struct sock_info *info;

	if (newstate == TCP_SYN_SENT) {
		// connect(): process context.
		info = claim(cookie, 0);
		if (info)
			info->syn_ts = bpf_ktime_get_ns();
		return 0;
	}
	if (newstate == TCP_LISTEN) {
		claim(cookie, SOCK_LISTENER);
		return 0;
	}
	info = bpf_map_lookup_elem(&socks, &cookie);
	if (!info)
		return 0;
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		info->est_ts = bpf_ktime_get_ns();
		return 0;
	}
	if (newstate != TCP_CLOSE)
		return 0;
	struct close_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->kind = EV_CLOSE;
		e->pid = info->pid;
		e->ts = bpf_ktime_get_ns();
		e->cookie = cookie;
		e->syn_ts = info->syn_ts;
		e->est_ts = info->est_ts;
		e->retransmits = info->retransmits;
		e->resets_in = info->resets_in;
		e->resets_out = info->resets_out;
		e->drops = info->drops;
		e->truncated = info->truncated;
		bpf_ringbuf_submit(e, 0);
	} else {
		count(C_CLOSE_LOST, 1);
	}
	// User space keeps the socket's addresses and owner for packets still in flight; the
	// kernel's entry goes (a last ACK from the closed socket is not captured).
	bpf_map_delete_elem(&socks, &cookie);
	return 0;
}

// The owned socket's entry, for a tracepoint's socket argument (NULL when not owned).
static __always_inline struct sock_info *owned(void *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	return bpf_map_lookup_elem(&socks, &cookie);
}

SEC("tp_btf/tcp_retransmit_skb")
int tcp_retransmit_skb(__u64 *ctx)
{
	struct sock_info *info = owned((void *)ctx[0]);
	if (info)
		__sync_fetch_and_add(&info->retransmits, 1);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int tcp_receive_reset(__u64 *ctx)
{
	struct sock_info *info = owned((void *)ctx[0]);
	if (info)
		__sync_fetch_and_add(&info->resets_in, 1);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int tcp_send_reset(__u64 *ctx)
{
	void *sk = (void *)ctx[0];
	struct sock_info *info = sk ? owned(sk) : 0;
	if (info)
		__sync_fetch_and_add(&info->resets_out, 1);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int sched_process_fork(__u64 *ctx)
{
	struct task_struct *parent = (void *)ctx[0];
	struct task_struct *child = (void *)ctx[1];
	__u32 ptgid = parent->tgid;
	__u32 ctgid = child->tgid;
	if (ptgid == ctgid)
		return 0; // a new thread
	if (bpf_map_lookup_elem(&traced, &ptgid)) {
		__u8 one = 1;
		bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int sched_process_exit(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	if (task->pid == task->tgid) {
		__u32 tgid = task->tgid;
		bpf_map_delete_elem(&traced, &tgid);
	}
	return 0;
}

static __always_inline int port_allowed(struct config *cfg, __u16 local, __u16 remote)
{
	if (cfg->nports == 0 || local == 53 || remote == 53)
		return 1;
#pragma unroll
	for (int i = 0; i < MAX_PORTS; i++) {
		if (i < cfg->nports && (cfg->ports[i] == local || cfg->ports[i] == remote))
			return 1;
	}
	return 0;
}

static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	struct config *cfg = get_config();
	if (!cfg || cfg->paused)
		return;
	__u64 cookie = bpf_get_socket_cookie(skb);
	__u16 local = skb->local_port;
	// remote_port holds the port in network order in its upper 16 bits.
	__u16 remote = bpf_ntohs((__u16)(skb->remote_port >> 16));
	struct sock_info *info = bpf_map_lookup_elem(&socks, &cookie);
	__u32 pid = 0;
	if (info) {
		pid = info->pid;
		if ((info->flags & SOCK_LISTENER) && dir == DIR_INGRESS) {
			// A connection to a traced listener: remember its port for the accepted
			// sockets, whose cookies are new.
			if (!bpf_map_lookup_elem(&listen_ports, &local))
				bpf_map_update_elem(&listen_ports, &local, &pid, BPF_ANY);
		}
	} else {
		__u32 *owner = bpf_map_lookup_elem(&listen_ports, &local);
		if (owner) {
			struct sock_info fresh = {};
			fresh.pid = *owner;
			pid = *owner;
			if (bpf_map_update_elem(&socks, &cookie, &fresh, BPF_NOEXIST) != 0)
				count(C_SOCKS_FULL, 1);
			info = bpf_map_lookup_elem(&socks, &cookie);
		} else if (!cfg->all) {
			return;
		}
	}
	if (!port_allowed(cfg, local, remote))
		return;

	__u32 len = skb->len;
	__u32 snap = cfg->snaplen;
	if (snap == 0 || snap > MAX_SNAP)
		snap = MAX_SNAP;
	__u8 flags = 0;
	__u32 n = len;
	if (n > snap) {
		n = snap;
		flags |= PKT_TRUNCATED_SNAP;
		count(C_TRUNC_SNAP, 1);
		count(C_TRUNC_SNAP_BYTES, len - snap);
	}

	__u64 now = bpf_ktime_get_ns();
	__u64 ring = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	__u64 used = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (info) {
		if (now - info->window_start > WINDOW_NS) {
			info->window_start = now;
			info->window_bytes = 0;
		}
		info->window_bytes += n;
	}
	if (used > ring / 2 && n > HEADERS_ONLY &&
	    (used > ring / 8 * 7 || (info && info->window_bytes > ring / 8))) {
		count(C_TRUNC_FAIR, 1);
		count(C_TRUNC_FAIR_BYTES, n - HEADERS_ONLY);
		if (info)
			__sync_fetch_and_add(&info->truncated, 1);
		n = HEADERS_ONLY;
		flags |= PKT_TRUNCATED_FAIR;
	}

	__u32 zero = 0;
	__u32 *level = bpf_map_lookup_elem(&nesting, &zero);
	if (!level)
		return;
	__u32 depth = __sync_fetch_and_add(level, 1);
	if (depth >= MAX_NEST) {
		count(C_NESTED, 1);
		goto out;
	}
	__u32 slot = bpf_get_smp_processor_id() * MAX_NEST + depth;
	struct packet_event *e = bpf_map_lookup_elem(&scratch, &slot);
	if (!e)
		goto out;
	e->kind = EV_PACKET;
	e->dir = dir;
	e->flags = flags;
	e->_pad = 0;
	e->pid = pid;
	e->ts = now;
	e->cookie = cookie;
	e->len = len;
	e->drops = info ? info->drops : 0;
	e->truncated = info ? info->truncated : 0;
	if (n > MAX_SNAP)
		n = MAX_SNAP;
	if (n == 0)
		goto out;
	if (bpf_skb_load_bytes(skb, 0, e->data, n) != 0) {
		count(C_COPY_FAILED, 1);
		goto out;
	}
	e->caplen = n;
	count(C_PACKETS, 1);
	count(C_PACKET_BYTES, len);
	if (bpf_ringbuf_output(&events, e, offsetof(struct packet_event, data) + n, 0) != 0) {
		count(C_RING_FULL, 1);
		count(C_RING_FULL_BYTES, len);
		if (info)
			__sync_fetch_and_add(&info->drops, 1);
	}
out:
	__sync_fetch_and_add(level, -1);
}

SEC("cgroup_skb/egress")
int skb_egress(struct __sk_buff *skb)
{
	capture(skb, DIR_EGRESS);
	return 1;
}

SEC("cgroup_skb/ingress")
int skb_ingress(struct __sk_buff *skb)
{
	capture(skb, DIR_INGRESS);
	return 1;
}

static __always_inline int tls_enter(struct pt_regs *ctx, __u8 lib, __u8 dir, int ex)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct tls_call call = {};
	call.conn = PT_REGS_PARM1(ctx);
	call.buf = PT_REGS_PARM2(ctx);
	call.out_len = ex ? PT_REGS_PARM4(ctx) : 0;
	call.fd = -1;
	call.dir = dir;
	call.lib = lib;
	bpf_map_update_elem(&tls_calls, &id, &call, BPF_ANY);
	return 0;
}

// Copies `n` bytes of plaintext at `buf` (a library call of process id `id` on connection
// object `conn`) into the ring buffer with their stream position.
static __always_inline void emit_plain(__u64 id, __u64 conn, __u8 dir, __u8 lib, __u64 buf, __u64 n,
				       __s32 fd, __u64 cookie)
{
	struct config *cfg = get_config();
	if (n == 0 || n > (1ULL << 31) || !cfg || cfg->paused)
		return;
	struct pos_key key = {.conn = conn, .dir = dir, .pid = id >> 32};
	__u64 pos = 0;
	__u64 *known = bpf_map_lookup_elem(&tls_pos, &key);
	if (known)
		pos = *known;
	__u64 next = pos + n;
	bpf_map_update_elem(&tls_pos, &key, &next, BPF_ANY);

	__u32 zero = 0;
	__u32 *level = bpf_map_lookup_elem(&nesting, &zero);
	if (!level)
		return;
	__u32 depth = __sync_fetch_and_add(level, 1);
	if (depth >= MAX_NEST) {
		count(C_NESTED, 1);
		goto out;
	}
	__u32 slot = bpf_get_smp_processor_id() * MAX_NEST + depth;
	struct plain_event *e = bpf_map_lookup_elem(&plain_scratch, &slot);
	if (!e)
		goto out;
	__u32 cap = n;
	e->flags = 0;
	if (n > MAX_PLAIN) {
		cap = MAX_PLAIN;
		e->flags = 1;
		count(C_PLAIN_TRUNC_BYTES, n - MAX_PLAIN);
	}
	e->kind = EV_PLAIN;
	e->dir = dir;
	e->lib = lib;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ts = bpf_ktime_get_ns();
	e->conn = conn;
	e->pos = pos;
	e->len = n;
	e->fd = fd;
	e->cookie = cookie;
	if (cap == 0 || cap > MAX_PLAIN)
		goto out;
	if (bpf_probe_read_user(e->data, cap, (void *)buf) != 0) {
		count(C_COPY_FAILED, 1);
		goto out;
	}
	e->caplen = cap;
	count(C_PLAIN, 1);
	count(C_PLAIN_BYTES, n);
	if (bpf_ringbuf_output(&events, e, offsetof(struct plain_event, data) + cap, 0) != 0) {
		count(C_PLAIN_LOST, 1);
		count(C_PLAIN_LOST_BYTES, n);
	}
out:
	__sync_fetch_and_add(level, -1);
}

static __always_inline int tls_leave(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &id);
	if (!call)
		return 0;
	long ret = PT_REGS_RC(ctx);
	__u64 n = 0;
	if (call->out_len) {
		if (ret == 1)
			bpf_probe_read_user(&n, sizeof(n), (void *)call->out_len);
	} else if (ret > 0) {
		n = ret;
	}
	emit_plain(id, call->conn, call->dir, call->lib, call->buf, n, call->fd, call->cookie);
	bpf_map_delete_elem(&tls_calls, &id);
	return 0;
}

SEC("uprobe/ssl_write")
int ssl_write(struct pt_regs *ctx) { return tls_enter(ctx, 1, 0, 0); }
SEC("uprobe/ssl_write_ex")
int ssl_write_ex(struct pt_regs *ctx) { return tls_enter(ctx, 1, 0, 1); }
SEC("uprobe/ssl_read")
int ssl_read(struct pt_regs *ctx) { return tls_enter(ctx, 1, 1, 0); }
SEC("uprobe/ssl_read_ex")
int ssl_read_ex(struct pt_regs *ctx) { return tls_enter(ctx, 1, 1, 1); }
SEC("uprobe/gnutls_send")
int gnutls_send(struct pt_regs *ctx) { return tls_enter(ctx, 2, 0, 0); }
SEC("uprobe/gnutls_recv")
int gnutls_recv(struct pt_regs *ctx) { return tls_enter(ctx, 2, 1, 0); }
SEC("uretprobe/tls_return")
int tls_return(struct pt_regs *ctx) { return tls_leave(ctx); }

// x86-64 syscall numbers whose first argument is the socket fd a TLS library uses.
#define NR_READ 0
#define NR_WRITE 1
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47

SEC("tp_btf/sys_enter")
int sys_enter(__u64 *ctx)
{
	long nr = (long)ctx[1];
	if (nr != NR_READ && nr != NR_WRITE && nr != NR_READV && nr != NR_WRITEV &&
	    nr != NR_SENDTO && nr != NR_RECVFROM && nr != NR_SENDMSG && nr != NR_RECVMSG)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &id);
	if (!call) {
		struct go_key *g = bpf_map_lookup_elem(&go_threads, &id);
		if (g)
			call = bpf_map_lookup_elem(&go_calls, g);
	}
	if (!call || call->fd >= 0)
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	unsigned long fd = 0;
	bpf_probe_read_kernel(&fd, sizeof(fd), &regs->rdi);
	// The socket behind the fd, by its cookie (generated by the packet programs, which ask
	// for every socket's): user space knows its addresses from its packets, and a new
	// cookie behind the same library object means a new connection.
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return 0;
	// Only a socket: a callback writing to a log or stderr during the call is not it, and
	// the next syscall is waited for.
	if ((BPF_CORE_READ(file, f_inode, i_mode) & 0170000) != 0140000)
		return 0;
	call->fd = (__s32)fd;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (sk)
		call->cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return 0;
}

// Go crypto/tls.(*Conn).Write and Read (lib 3). Entry probes save the call; probes placed on
// each of the function's return instructions (return probes would crash Go programs, whose
// stacks move) copy what the call transferred: n, the first result.
#define LIB_GO 3

static __always_inline int go_enter(__u64 g, __u64 conn, __u64 buf, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct go_key key = {.g = g, .tgid = id >> 32};
	struct tls_call call = {};
	call.conn = conn;
	call.buf = buf;
	call.fd = -1;
	call.dir = dir;
	call.lib = LIB_GO;
	bpf_map_update_elem(&go_calls, &key, &call, BPF_ANY);
	bpf_map_update_elem(&go_threads, &id, &key, BPF_ANY);
	return 0;
}

static __always_inline int go_leave(__u64 g, long n)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_key key = {.g = g, .tgid = id >> 32};
	struct tls_call *call = bpf_map_lookup_elem(&go_calls, &key);
	if (!call)
		return 0;
	if (n > 0)
		emit_plain(id, call->conn, call->dir, LIB_GO, call->buf, n, call->fd, call->cookie);
	bpf_map_delete_elem(&go_calls, &key);
	bpf_map_delete_elem(&go_threads, &id);
	return 0;
}

// Register ABI (Go 1.17+ on amd64): receiver in RAX, the slice's pointer in RBX, g in R14;
// at return, n in RAX.
SEC("uprobe/go_write")
int go_write(struct pt_regs *ctx) { return go_enter(ctx->r14, ctx->rax, ctx->rbx, 0); }
SEC("uprobe/go_read")
int go_read(struct pt_regs *ctx) { return go_enter(ctx->r14, ctx->rax, ctx->rbx, 1); }
SEC("uprobe/go_return")
int go_return(struct pt_regs *ctx) { return go_leave(ctx->r14, (long)ctx->rax); }

// Stack ABI (before Go 1.17): arguments from SP+8 (receiver, slice pointer, length,
// capacity), n at SP+40 at return; calls are keyed by thread.
static __always_inline __u64 stack_word(struct pt_regs *ctx, int at)
{
	__u64 v = 0;
	bpf_probe_read_user(&v, sizeof(v), (void *)(ctx->rsp + at));
	return v;
}

SEC("uprobe/go_write_stack")
int go_write_stack(struct pt_regs *ctx)
{
	return go_enter(bpf_get_current_pid_tgid(), stack_word(ctx, 8), stack_word(ctx, 16), 0);
}
SEC("uprobe/go_read_stack")
int go_read_stack(struct pt_regs *ctx)
{
	return go_enter(bpf_get_current_pid_tgid(), stack_word(ctx, 8), stack_word(ctx, 16), 1);
}
SEC("uprobe/go_return_stack")
int go_return_stack(struct pt_regs *ctx)
{
	return go_leave(bpf_get_current_pid_tgid(), (long)stack_word(ctx, 40));
}
