// ebpf-capture's kernel program: follows a process tree (or a cgroup) and reports what it does
// to files, processes and the network, for agaudit's kernel layer.
//
// Exit first, as Falco's modern probe and Tracee do: one BTF tracepoint program on sys_exit sees
// every syscall's exit, and returns at once unless the syscall is one recorded (a switch on its
// number, before any map lookup). Writes are counted there from the registers alone. Entry is
// hooked only where a value must be taken before the kernel acts on it (a path, a socket
// address, the descriptor a close or dup replaces): each such syscall has its own program on its
// own entry tracepoint (syscalls/sys_enter_*), which reads the arguments into a per-thread
// pending slot for the exit to report with the result. No program runs at the entry of any
// other syscall; the generic raw sys_enter hook is not used. Processes are followed through the
// raw tracepoints sched_process_fork/exec/exit. No kprobes, fentry or LSM programs: this
// machine kind refuses or lacks them. Writes to regular files are aggregated here per
// (process, fd) into bytes and calls; user space flushes the totals on close, exit and at an
// interval, so a write-heavy process does not flood the ring buffer. Records wake user space
// only once the ring buffer is a quarter full (it drains it every 100 ms regardless). CO-RE
// against vmlinux.h (bpftool btf dump of the build machine).
//
// In: kernel events. Out: struct event / struct exec_event records in the `events` ring buffer;
// per-(process, fd) write totals in `writes`; events the ring buffer could not take in `lost`.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

// Kinds shared with user space (ebpf-capture/src/kernel.rs).
#define K_EXEC 1
#define K_FORK 2
#define K_EXIT 3
#define K_OPEN 4
#define K_WRITE 5
#define K_UNLINK 6
#define K_RENAME 7
#define K_TRUNCATE 8
#define K_CHMOD 9
#define K_CONNECT 10
#define K_SEND 11
// Internal: only for user space's fd and cwd tables, never written to the capture file.
#define K_DIROPEN 100
#define K_CHDIR 101
#define K_FCHDIR 102
#define K_CLOSE 103
#define K_DUP 104

// x86_64 syscall numbers.
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_pwrite64 18
#define NR_dup 32
#define NR_dup2 33
#define NR_fcntl 72
#define NR_dup3 292
#define NR_writev 20
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_connect 42
#define NR_truncate 76
#define NR_ftruncate 77
#define NR_chdir 80
#define NR_fchdir 81
#define NR_rename 82
#define NR_rmdir 84
#define NR_creat 85
#define NR_unlink 87
#define NR_chmod 90
#define NR_fchmod 91
#define NR_openat 257
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_fchmodat 268
#define NR_pwritev 296
#define NR_renameat2 316
#define NR_pwritev2 328
#define NR_openat2 437
#define NR_fchmodat2 452

#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 0200000
#define WRITE_INTENT (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
#define AT_FDCWD -100
#define S_IFMT 00170000
#define S_IFREG 0100000

#define PATH_LEN 256
#define ARGS_LEN 2048
#define ENV_LEN 8192

struct event {
    u32 kind;
    u32 pid;
    u32 tid;
    u32 ppid;
    u32 uid;
    s32 dirfd;
    u64 ts;
    u64 cgroup;
    s64 ret;
    s64 fd;
    u64 flags;
    u64 mode;
    u64 inode;
    u64 bytes;
    u64 calls;
    s64 length;
    u16 family;
    u16 port;
    u32 exit_code;
    u8 addr[16];
    char comm[16];
    char path[PATH_LEN];
    char path2[PATH_LEN];
};

struct exec_event {
    struct event base;
    u32 args_len;
    u32 env_len;
    char args[ARGS_LEN];
    char env[ENV_LEN];
};

// What sys_enter saw, for sys_exit to report with the result.
struct pending {
    u64 nr;
    u64 ts;
    s64 fd;
    s32 dirfd;
    u32 pad;
    u64 flags;
    u64 mode;
    s64 length;
    u16 family;
    u16 port;
    u32 pad2;
    u8 addr[16];
    char path[PATH_LEN];
    char path2[PATH_LEN];
};

struct fd_key {
    u32 tgid;
    s32 fd;
};

struct write_totals {
    u64 bytes;
    u64 calls;
    u64 inode;
    u64 first_ts;
    u64 last_ts; // unused by the kernel (user space stamps flushes)
};

// Set by user space at load time (aya's set_global): follow a cgroup instead of a process tree.
volatile const u32 cgroup_mode = 0;
volatile const u64 target_cgroup = 0;

#define EVENTS_SIZE (16 << 20)
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, EVENTS_SIZE); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, u32); __type(value, u8); } tracked SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16384); __type(key, u32); __type(value, struct pending); } pending SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, struct fd_key); __type(value, struct write_totals); } writes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, struct fd_key); __type(value, u8); } fds SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct pending); } scratch SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } lost SEC(".maps");

static __always_inline bool followed(u32 tgid) {
    if (cgroup_mode)
        return bpf_get_current_cgroup_id() == target_cgroup;
    return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

static __always_inline void count_lost(void) {
    u32 zero = 0;
    u64 *n = bpf_map_lookup_elem(&lost, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
}

// scripts/bench/capture.sh also builds this file with -DFLOOR: every syscall program then
// returns at once, and the benchmark reports what being on these hooks costs by itself.
#ifdef FLOOR
#define FLOOR_RETURN() return 0
#else
#define FLOOR_RETURN() do {} while (0)
#endif

// Hands a record to user space. Waking the reader for each record cost the traced process a
// wakeup per event (and the reader a poll and a write per event); the reader drains the buffer
// every 100 ms anyway, so a record wakes it only once the buffer is a quarter full.
static __always_inline void submit(void *e) {
    u64 wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > EVENTS_SIZE / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
    bpf_ringbuf_submit(e, wake);
}

static __always_inline void fill_common(struct event *e, u32 kind) {
    u64 id = bpf_get_current_pid_tgid();
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    e->kind = kind;
    e->pid = id >> 32;
    e->tid = (u32)id;
    e->ppid = BPF_CORE_READ(task, real_parent, tgid);
    e->uid = (u32)bpf_get_current_uid_gid();
    e->ts = bpf_ktime_get_boot_ns();
    e->cgroup = bpf_get_current_cgroup_id();
    bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void read_sockaddr(struct pending *p, const void *addr) {
    u16 family = 0;
    if (!addr || bpf_probe_read_user(&family, sizeof(family), addr))
        return;
    p->family = family;
    if (family == 2) { // AF_INET: port at 2, address at 4
        bpf_probe_read_user(&p->port, 2, addr + 2);
        bpf_probe_read_user(p->addr, 4, addr + 4);
    } else if (family == 10) { // AF_INET6: port at 2, address at 8
        bpf_probe_read_user(&p->port, 2, addr + 2);
        bpf_probe_read_user(p->addr, 16, addr + 8);
    } else if (family == 1) { // AF_UNIX: the path
        bpf_probe_read_user_str(p->path, PATH_LEN, addr + 2);
    }
}

// The struct file of descriptor `fd` of the current task.
static __always_inline struct file *file_of(s64 fd) {
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct file **table = BPF_CORE_READ(task, files, fdt, fd);
    struct file *f = NULL;
    if (fd < 0 || fd > 65535)
        return NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &table[fd]);
    return f;
}

// A descriptor is closed (close, or replaced by dup2/dup3): one record says so. When something
// was written through it, that record is its write totals (K_WRITE, flags = 1: cumulative, and
// the descriptor is closed); otherwise, when user space tracks its path, a K_CLOSE. So a written
// file costs two records (its open and this), not three.
static __always_inline void close_fd(u32 tgid, s32 fd) {
    struct fd_key key = { .tgid = tgid, .fd = fd };
    struct write_totals *w = bpf_map_lookup_elem(&writes, &key);
    // Each case on its own branch: the verifier refuses arithmetic on two map pointers.
    if (w) {
        struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (e) {
            __builtin_memset(e, 0, sizeof(*e));
            fill_common(e, K_WRITE);
            e->fd = fd;
            e->bytes = w->bytes;
            e->calls = w->calls;
            e->inode = w->inode;
            e->length = w->first_ts;
            e->flags = 1; // flushed by close
            submit(e);
        } else {
            count_lost();
        }
        bpf_map_delete_elem(&writes, &key);
        bpf_map_delete_elem(&fds, &key);
        return;
    }
    if (!bpf_map_lookup_elem(&fds, &key))
        return;
    bpf_map_delete_elem(&fds, &key);
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (e) {
        __builtin_memset(e, 0, sizeof(*e));
        fill_common(e, K_CLOSE);
        e->fd = fd;
        submit(e);
    } else {
        count_lost();
    }
}

// Entry is hooked only on the syscalls whose arguments must be read before the kernel acts on
// them (paths, socket addresses, the descriptor a close or dup replaces), each by its own
// syscall tracepoint: no program runs at the entry of any other syscall of any process (the
// generic raw sys_enter hook, which did, cost about +29 % on a write loop by itself). Writes
// are counted at exit from the registers alone.
static __always_inline int enter(u64 nr, u64 p1, u64 p2, u64 p3, u64 p4, u64 p5) {
    FLOOR_RETURN();
    u64 id = bpf_get_current_pid_tgid();
    u32 tgid = id >> 32, tid = (u32)id;
    if (!followed(tgid))
        return 0;

    if (nr == NR_close) {
        close_fd(tgid, (s32)p1);
        return 0;
    }
    // dup2/dup3 onto an open descriptor close it first: flush what was written through it.
    if ((nr == NR_dup2 || nr == NR_dup3) && p1 != p2)
        close_fd(tgid, (s32)p2);

    u32 zero = 0;
    struct pending *p = bpf_map_lookup_elem(&scratch, &zero);
    if (!p)
        return 0;
    p->nr = nr;
    p->ts = bpf_ktime_get_boot_ns();
    p->fd = -1;
    p->dirfd = AT_FDCWD;
    p->flags = 0;
    p->mode = 0;
    p->length = 0;
    p->family = 0;
    p->port = 0;
    p->path[0] = 0;
    p->path2[0] = 0;

    switch (nr) {
    case NR_open:
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p1);
        p->flags = p2;
        p->mode = p3;
        break;
    case NR_creat:
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p1);
        p->flags = O_CREAT | O_WRONLY | O_TRUNC;
        p->mode = p2;
        break;
    case NR_openat:
        p->dirfd = (s32)p1;
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p2);
        p->flags = p3;
        p->mode = p4;
        break;
    case NR_openat2: {
        struct open_how how = {};
        p->dirfd = (s32)p1;
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p2);
        bpf_probe_read_user(&how, sizeof(how), (void *)p3);
        p->flags = how.flags;
        p->mode = how.mode;
        break;
    }
    case NR_unlink: case NR_rmdir: case NR_chdir:
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p1);
        break;
    case NR_unlinkat:
        p->dirfd = (s32)p1;
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p2);
        p->flags = p3;
        break;
    case NR_rename:
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p1);
        bpf_probe_read_user_str(p->path2, PATH_LEN, (void *)p2);
        break;
    case NR_renameat: case NR_renameat2:
        // Both paths relative to their own dirfd; new dirfd in `fd`.
        p->dirfd = (s32)p1;
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p2);
        p->fd = (s64)(s32)p3;
        bpf_probe_read_user_str(p->path2, PATH_LEN, (void *)p4);
        break;
    case NR_truncate:
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p1);
        p->length = (s64)p2;
        break;
    case NR_ftruncate:
        p->fd = (s64)p1;
        p->length = (s64)p2;
        break;
    case NR_chmod:
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p1);
        p->mode = p2;
        break;
    case NR_dup: case NR_dup2: case NR_dup3:
        p->fd = (s64)p1;
        break;
    case NR_fcntl:
        if (p2 != 0 && p2 != 1030) // F_DUPFD, F_DUPFD_CLOEXEC
            return 0;
        p->fd = (s64)p1;
        break;
    case NR_fchmod: case NR_fchdir:
        p->fd = (s64)p1;
        p->mode = p2;
        break;
    case NR_fchmodat: case NR_fchmodat2:
        p->dirfd = (s32)p1;
        bpf_probe_read_user_str(p->path, PATH_LEN, (void *)p2);
        p->mode = p3;
        break;
    case NR_connect:
        p->fd = (s64)p1;
        read_sockaddr(p, (void *)p2);
        break;
    case NR_sendto:
        if (!p5)
            return 0; // a connected socket: its destination was its connect
        p->fd = (s64)p1;
        read_sockaddr(p, (void *)p5);
        break;
    case NR_sendmsg: {
        void *name = NULL;
        if (bpf_probe_read_user(&name, sizeof(name), (void *)p2) || !name)
            return 0;
        p->fd = (s64)p1;
        read_sockaddr(p, name);
        break;
    }
    default:
        return 0;
    }
    bpf_map_update_elem(&pending, &tid, p, BPF_ANY);
    return 0;
}

// A syscall tracepoint's context holds only the arguments its syscall has: reading past them
// makes the kernel refuse the attach (EACCES), so each program reads its first ARGS of them.
#define ARG(i, ARGS) ((i) < (ARGS) ? ctx->args[i] : 0)
#define ENTER(name, NR, ARGS)                                                                    \
    SEC("tracepoint/syscalls/sys_enter_" #name)                                                  \
    int enter_##name(struct trace_event_raw_sys_enter *ctx) {                                    \
        return enter(NR, ARG(0, ARGS), ARG(1, ARGS), ARG(2, ARGS), ARG(3, ARGS), ARG(4, ARGS));  \
    }
ENTER(open, NR_open, 3)
ENTER(creat, NR_creat, 2)
ENTER(openat, NR_openat, 4)
ENTER(openat2, NR_openat2, 4)
ENTER(close, NR_close, 1)
ENTER(dup, NR_dup, 1)
ENTER(dup2, NR_dup2, 2)
ENTER(dup3, NR_dup3, 3)
ENTER(fcntl, NR_fcntl, 3)
ENTER(unlink, NR_unlink, 1)
ENTER(unlinkat, NR_unlinkat, 3)
ENTER(rmdir, NR_rmdir, 1)
ENTER(chdir, NR_chdir, 1)
ENTER(fchdir, NR_fchdir, 1)
ENTER(rename, NR_rename, 2)
ENTER(renameat, NR_renameat, 4)
ENTER(renameat2, NR_renameat2, 5)
ENTER(truncate, NR_truncate, 2)
ENTER(ftruncate, NR_ftruncate, 2)
ENTER(chmod, NR_chmod, 2)
ENTER(fchmod, NR_fchmod, 2)
ENTER(fchmodat, NR_fchmodat, 3)
ENTER(fchmodat2, NR_fchmodat2, 4)
ENTER(connect, NR_connect, 3)
ENTER(sendto, NR_sendto, 5)
ENTER(sendmsg, NR_sendmsg, 3)

static __always_inline u32 kind_of(u64 nr, u64 flags) {
    switch (nr) {
    case NR_open: case NR_creat: case NR_openat: case NR_openat2:
        if (flags & WRITE_INTENT)
            return K_OPEN;
        return (flags & O_DIRECTORY) ? K_DIROPEN : 0;
    case NR_unlink: case NR_unlinkat: case NR_rmdir: return K_UNLINK;
    case NR_rename: case NR_renameat: case NR_renameat2: return K_RENAME;
    case NR_truncate: case NR_ftruncate: return K_TRUNCATE;
    case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2: return K_CHMOD;
    case NR_connect: return K_CONNECT;
    case NR_sendto: case NR_sendmsg: return K_SEND;
    case NR_chdir: return K_CHDIR;
    case NR_fchdir: return K_FCHDIR;
    case NR_dup: case NR_dup2: case NR_dup3: case NR_fcntl: return K_DUP;
    }
    return 0;
}

// Adds a successful write of `ret` bytes on `fd` to the (process, fd) totals; regular files only.
static __always_inline void count_write(u32 tgid, s64 fd, s64 ret) {
    // Following a cgroup, the check is one comparison: a process outside it costs no map lookup.
    if (cgroup_mode && !followed(tgid))
        return;
    struct fd_key key = { .tgid = tgid, .fd = (s32)fd };
    struct write_totals *w = bpf_map_lookup_elem(&writes, &key);
    if (!w) {
        // Only a process being followed starts a total (an existing one implies it).
        if (!followed(tgid))
            return;
        struct file *f = file_of(fd);
        if (!f)
            return;
        u16 imode = BPF_CORE_READ(f, f_inode, i_mode);
        if ((imode & S_IFMT) != S_IFREG)
            return; // pipes, sockets, terminals: not file writes
        struct write_totals fresh = {};
        fresh.inode = BPF_CORE_READ(f, f_inode, i_ino);
        fresh.first_ts = bpf_ktime_get_boot_ns();
        bpf_map_update_elem(&writes, &key, &fresh, BPF_NOEXIST);
        w = bpf_map_lookup_elem(&writes, &key);
        if (!w) {
            count_lost(); // the aggregation map is full: this write is not counted
            return;
        }
    }
    __sync_fetch_and_add(&w->bytes, ret);
    __sync_fetch_and_add(&w->calls, 1);
}

// A BTF tracepoint: the registers are read by plain loads, not by a helper call each.
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret) {
    FLOOR_RETURN();
    u64 nr = regs->orig_ax;
    if (nr == NR_write || nr == NR_pwrite64 || nr == NR_writev || nr == NR_pwritev || nr == NR_pwritev2) {
        // The first argument is still in its register at exit.
        if (ret > 0)
            count_write(bpf_get_current_pid_tgid() >> 32, (s64)regs->di, ret);
        return 0;
    }
    // Only the syscalls entered above can have a pending record: any other returns here, before
    // any map lookup.
    switch (nr) {
    case NR_open: case NR_creat: case NR_openat: case NR_openat2: case NR_dup: case NR_dup2: case NR_dup3: case NR_fcntl: case NR_unlink: case NR_unlinkat: case NR_rmdir:
    case NR_chdir: case NR_fchdir: case NR_rename: case NR_renameat: case NR_renameat2:
    case NR_truncate: case NR_ftruncate: case NR_chmod: case NR_fchmod: case NR_fchmodat:
    case NR_fchmodat2: case NR_connect: case NR_sendto: case NR_sendmsg:
        break;
    default:
        return 0;
    }
    u64 id = bpf_get_current_pid_tgid();
    u32 tgid = id >> 32, tid = (u32)id;
    struct pending *p = bpf_map_lookup_elem(&pending, &tid);
    if (!p)
        return 0;
    nr = p->nr;

    u32 kind = kind_of(nr, p->flags);
    if (!kind) {
        bpf_map_delete_elem(&pending, &tid);
        return 0;
    }
    // A number just handed out is free: what is still kept under it belongs to a descriptor
    // closed without a close this program saw (close-on-exec, close_range), and is reported as
    // its close first, so it is never added to the new descriptor's.
    if ((kind == K_OPEN || kind == K_DIROPEN || kind == K_DUP) && ret >= 0)
        close_fd(tgid, (s32)ret);
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        bpf_map_delete_elem(&pending, &tid);
        return 0;
    }
    fill_common(e, kind);
    e->ts = p->ts;
    e->ret = ret;
    e->fd = p->fd;
    e->dirfd = p->dirfd;
    e->flags = p->flags;
    e->mode = p->mode;
    e->length = p->length;
    e->family = p->family;
    e->port = p->port;
    e->inode = 0;
    e->bytes = 0;
    e->calls = 0;
    e->exit_code = 0;
    __builtin_memcpy(e->addr, p->addr, sizeof(e->addr));
    __builtin_memcpy(e->path, p->path, sizeof(e->path));
    __builtin_memcpy(e->path2, p->path2, sizeof(e->path2));
    if ((kind == K_OPEN || kind == K_DIROPEN || kind == K_DUP) && ret >= 0) {
        if (kind != K_DUP)
            e->fd = ret;
        struct fd_key key = { .tgid = tgid, .fd = (s32)ret };
        u8 one = 1;
        bpf_map_update_elem(&fds, &key, &one, BPF_ANY);
    }
    submit(e);
    bpf_map_delete_elem(&pending, &tid);
    return 0;
}

SEC("raw_tp/sched_process_fork")
int on_fork(struct bpf_raw_tracepoint_args *ctx) {
    u64 *a = (u64 *)ctx;
    struct task_struct *parent = (struct task_struct *)a[0];
    struct task_struct *child = (struct task_struct *)a[1];
    u32 ptgid = BPF_CORE_READ(parent, tgid);
    u32 cpid = BPF_CORE_READ(child, pid);
    u32 ctgid = BPF_CORE_READ(child, tgid);
    if (cpid != ctgid)
        return 0; // a new thread of the same process
    if (!followed(ptgid))
        return 0;
    u8 one = 1;
    bpf_map_update_elem(&tracked, &ctgid, &one, BPF_ANY);
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    __builtin_memset(e, 0, sizeof(*e));
    fill_common(e, K_FORK);
    e->pid = ctgid;
    e->tid = ctgid;
    e->ppid = ptgid;
    submit(e);
    return 0;
}

SEC("raw_tp/sched_process_exec")
int on_exec(struct bpf_raw_tracepoint_args *ctx) {
    u64 *a = (u64 *)ctx;
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (!followed(tgid))
        return 0;
    struct linux_binprm *bprm = (struct linux_binprm *)a[2];
    struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        count_lost();
        return 0;
    }
    __builtin_memset(&e->base, 0, sizeof(e->base));
    fill_common(&e->base, K_EXEC);
    const char *filename = BPF_CORE_READ(bprm, filename);
    bpf_probe_read_kernel_str(e->base.path, PATH_LEN, filename);
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct mm_struct *mm = BPF_CORE_READ(task, mm);
    u64 arg_start = BPF_CORE_READ(mm, arg_start), arg_end = BPF_CORE_READ(mm, arg_end);
    u64 env_start = BPF_CORE_READ(mm, env_start), env_end = BPF_CORE_READ(mm, env_end);
    u64 n = arg_end - arg_start;
    if (n > ARGS_LEN - 1)
        n = ARGS_LEN - 1;
    n &= ARGS_LEN - 1;
    e->args_len = 0;
    if (n && !bpf_probe_read_user(e->args, n, (void *)arg_start))
        e->args_len = n;
    n = env_end - env_start;
    if (n > ENV_LEN - 1)
        n = ENV_LEN - 1;
    n &= ENV_LEN - 1;
    e->env_len = 0;
    if (n && !bpf_probe_read_user(e->env, n, (void *)env_start))
        e->env_len = n;
    // The full lengths, so user space can say when argv or the environment was cut.
    e->base.bytes = arg_end - arg_start;
    e->base.calls = env_end - env_start;
    submit(e);
    return 0;
}

SEC("raw_tp/sched_process_exit")
int on_exit(struct bpf_raw_tracepoint_args *ctx) {
    u64 *a = (u64 *)ctx;
    struct task_struct *task = (struct task_struct *)a[0];
    u32 pid = BPF_CORE_READ(task, pid);
    u32 tgid = BPF_CORE_READ(task, tgid);
    if (pid != tgid || !followed(tgid))
        return 0; // a thread, not the process
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (e) {
        __builtin_memset(e, 0, sizeof(*e));
        fill_common(e, K_EXIT);
        e->exit_code = BPF_CORE_READ(task, exit_code);
        submit(e);
    } else {
        count_lost();
    }
    bpf_map_delete_elem(&tracked, &tgid);
    return 0;
}
