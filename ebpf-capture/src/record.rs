//! `ebpf-capture record`: start or attach to the followed processes, turn kernel events into
//! capture records, and write them as they come.
//!
//! User space keeps, per followed process, its working directory and the paths of the
//! descriptors it opened (for writing, or directories), so relative paths, *at() calls and
//! fd-based calls resolve to absolute paths; a child inherits both at fork. Write totals the
//! kernel aggregates are turned into deltas (bytes and calls since the last record for that
//! process and file), flushed on close, on exit, every second and at the end. A file opened for
//! writing, written and closed within one such second is one event: the write, carrying the
//! open's time, flags and mode (an open is held until its close, and written on its own when a
//! fork, dup, fd-based call, exit or flush comes first). argv and paths pass
//! through agaudit's secret rules before they are written; the environment is reduced to the
//! allow list in memory and never written whole. Records are flushed to the file every poll, so
//! a recorder killed at any moment leaves only whole records behind (but the last one).
//!
//! In: [`Options`]. Out: the capture file and an exit code.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agaudit_capture_format::{self as format, Event, Header, Kind, Trailer};
use agaudit_secrets::{RuleCounts, SecretScanner};

use crate::kernel::{self, Config, FdKey, Kernel, Raw, WriteTotals};

/// What to follow.
#[derive(Debug, Clone)]
pub enum Target {
    /// Start this command (held until it is followed, so its own exec is recorded).
    Command(Vec<String>),
    /// A running process and every process it starts from now on.
    Pid(u32),
    /// Every process in a cgroup v2 directory.
    Cgroup(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    pub target: Target,
    /// With a command: put it in a new cgroup v2 of its own, so cgroup ids name the session.
    pub new_cgroup: bool,
    pub duration: Option<Duration>,
    pub env_allow: Vec<String>,
    /// Another eBPF object than the built-in one (to compare the committed prebuilt object).
    pub object: Option<PathBuf>,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// When the write totals the kernel holds are recorded (besides a close, which brings its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    /// A process exited: its descriptors closed without closes the program sees.
    Exit(u32),
    /// Every second, so a long-open file's writes are not held back.
    Interval,
    /// The recorder stops.
    Stop,
}

impl Flush {
    /// The capture's `flush` value.
    fn why(self) -> &'static str {
        match self {
            Flush::Exit(_) => "exit",
            Flush::Interval => "interval",
            Flush::Stop => "stop",
        }
    }
}

/// The write totals the kernel holds per (process, fd): the kernel's `writes` map, or a test's.
trait Totals {
    fn all(&self) -> Vec<(FdKey, WriteTotals)>;
    fn forget(&mut self, key: &FdKey);
}

impl Totals for Kernel {
    fn all(&self) -> Vec<(FdKey, WriteTotals)> {
        self.writes.iter().filter_map(Result::ok).collect()
    }

    fn forget(&mut self, key: &FdKey) {
        // Gone already when the process's exit removed it: nothing left to forget.
        let _ = self.writes.remove(key);
    }
}

/// Per-process state: what its records need when the kernel event does not carry it (write
/// totals flushed from the map), and its paths.
#[derive(Debug, Clone, Default)]
struct Proc {
    cwd: String,
    fds: HashMap<i64, String>,
    comm: String,
    ppid: u32,
    uid: u32,
    cgroup: u64,
}

struct Recorder {
    out: BufWriter<File>,
    procs: HashMap<u32, Proc>,
    /// Processes alive and followed (for knowing when the tree has ended).
    alive: HashSet<u32>,
    /// Write totals already recorded, per descriptor instance ((process, fd), the kernel's
    /// first_ts of its totals): (bytes, calls). Two instances of one number never share one.
    emitted: HashMap<(FdKey, u64), (u64, u64)>,
    /// How far the ring buffer has been read: the newest event time handled, or the time the
    /// last drain found the ring buffer empty. The one-second flush records only totals that
    /// began before it, whose open (and any close before it on the same number) has been read.
    seen_to: u64,
    /// Write-intent opens not written yet, per (process, fd): a descriptor opened, written and
    /// closed within one flush interval becomes one write event carrying the open's time, flags
    /// and mode ([`whole`]). Anything else that needs the open to stand first (a fork, a dup,
    /// an fd-based call, the interval or stop flush, an exit) writes it as it is.
    held: HashMap<FdKey, Event>,
    counts: BTreeMap<&'static str, u64>,
    env_allow: Vec<String>,
    scanner: SecretScanner,
    redactions: RuleCounts,
}

const AT_FDCWD: i32 = -100;

/// Lexically normalises an absolute path (`.`, `..`, repeated slashes).
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Proc {
    fn resolve(&self, path: &str, dirfd: i32) -> String {
        if path.starts_with('/') {
            return normalise(path);
        }
        let base = if dirfd == AT_FDCWD {
            Some(self.cwd.clone())
        } else {
            self.fds.get(&i64::from(dirfd)).cloned()
        };
        match base {
            Some(b) if !b.is_empty() => normalise(&format!("{b}/{path}")),
            _ => format!("(fd {dirfd})/{path}"),
        }
    }
}

fn read_link(p: impl AsRef<Path>) -> Option<String> {
    std::fs::read_link(p).ok().map(|t| t.to_string_lossy().into_owned())
}

/// The descriptors and working directory of a running process, from /proc.
fn proc_state(pid: u32) -> Proc {
    let mut fds = HashMap::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for entry in dir.flatten() {
            if let (Ok(fd), Some(target)) = (
                entry.file_name().to_string_lossy().parse::<i64>(),
                read_link(entry.path()),
            ) && target.starts_with('/')
            {
                fds.insert(fd, target);
            }
        }
    }
    Proc {
        cwd: read_link(format!("/proc/{pid}/cwd")).unwrap_or_default(),
        fds,
        comm: read_trim(&format!("/proc/{pid}/comm")),
        ..Proc::default()
    }
}

fn clock(id: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// CLOCK_BOOTTIME and CLOCK_REALTIME read together: the tightest of a few tries.
fn clock_pair() -> (u64, i64) {
    let mut best = (i64::MAX, 0u64, 0i64);
    for _ in 0..5 {
        let b0 = clock(libc::CLOCK_BOOTTIME);
        let w = clock(libc::CLOCK_REALTIME);
        let b1 = clock(libc::CLOCK_BOOTTIME);
        if b1 - b0 < best.0 {
            best = (b1 - b0, ((b0 + b1) / 2) as u64, w);
        }
    }
    (best.1, best.2)
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn ip(family: u16, addr: &[u8; 16]) -> Option<String> {
    match family {
        2 => Some(std::net::Ipv4Addr::new(addr[0], addr[1], addr[2], addr[3]).to_string()),
        10 => Some(std::net::Ipv6Addr::from(*addr).to_string()),
        _ => None,
    }
}

impl Recorder {
    fn new(out: File, env_allow: Vec<String>) -> Recorder {
        Recorder {
            out: BufWriter::new(out),
            procs: HashMap::new(),
            alive: HashSet::new(),
            emitted: HashMap::new(),
            seen_to: 0,
            held: HashMap::new(),
            counts: BTreeMap::new(),
            env_allow,
            scanner: SecretScanner::new(),
            redactions: RuleCounts::new(),
        }
    }

    fn scan(&mut self, text: &str) -> String {
        self.scanner.scan(text, &mut self.redactions).into_owned()
    }

    fn write(&mut self, e: &Event) -> std::io::Result<()> {
        if let Some(k) = e.kind {
            *self.counts.entry(k.name()).or_default() += 1;
        }
        self.out.write_all(&format::encode_event(e))
    }

    fn base(&self, r: &Raw, kind: Kind) -> Event {
        Event {
            kind: Some(kind),
            ts: r.ts,
            pid: r.pid,
            tid: r.tid,
            ppid: r.ppid,
            uid: r.uid,
            cgroup_id: r.cgroup,
            comm: r.comm.clone(),
            ..Event::default()
        }
    }

    /// One kernel event: update the path tables, write the record it becomes (if any).
    fn handle(&mut self, kernel: &mut impl Totals, r: Raw) -> std::io::Result<()> {
        self.seen_to = self.seen_to.max(r.ts);
        let entry = self.procs.entry(r.pid).or_insert_with(|| proc_state(r.pid));
        if !r.comm.is_empty() && r.kind != kernel::K_FORK {
            entry.comm.clone_from(&r.comm);
            entry.ppid = r.ppid;
            entry.uid = r.uid;
            entry.cgroup = r.cgroup;
        }
        let proc = entry.clone();
        match r.kind {
            kernel::K_FORK => {
                // The child inherits the parent's descriptors: its writes through them are its
                // own rows, which need the open to stand first.
                self.release_where(|k| k.tgid == r.ppid)?;
                let mut child = self.procs.get(&r.ppid).cloned().unwrap_or_else(|| proc_state(r.ppid));
                child.ppid = r.ppid;
                self.procs.insert(r.pid, child);
                self.alive.insert(r.pid);
                let e = self.base(&r, Kind::Fork);
                self.write(&e)
            }
            kernel::K_EXEC => {
                // Descriptors opened close-on-exec close without a close the kernel reports,
                // and the process is another program from here: its opens stand as they are.
                self.release_where(|k| k.tgid == r.pid)?;
                self.alive.insert(r.pid);
                let mut e = self.base(&r, Kind::Exec);
                e.path = Some(self.scan(&proc.resolve(&r.path, AT_FDCWD)));
                let argv: Vec<String> = r
                    .args
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                e.argv = Some(scan_argv(&self.scanner, &mut self.redactions, &argv));
                let env: Vec<(String, String)> = r
                    .env
                    .split(|&b| b == 0)
                    .filter_map(|kv| {
                        let kv = String::from_utf8_lossy(kv);
                        let (k, v) = kv.split_once('=')?;
                        self.env_allow
                            .iter()
                            .any(|a| a == k)
                            .then(|| (k.to_string(), v.to_string()))
                    })
                    .collect();
                e.env = Some(env.into_iter().map(|(k, v)| (k, self.scan(&v))).collect());
                // Full lengths beyond what was read: argv or environment cut at 2 KiB / 8 KiB.
                if r.bytes as usize > r.args.len() + 1 || r.calls as usize > r.env.len() + 1 {
                    e.flush = Some("truncated".into());
                }
                self.write(&e)
            }
            kernel::K_EXIT => {
                self.flush_writes_from(kernel, Flush::Exit(r.pid))?;
                self.release_where(|k| k.tgid == r.pid)?;
                let mut e = self.base(&r, Kind::Exit);
                e.exit_status = Some(r.exit_code as i32);
                self.alive.remove(&r.pid);
                self.procs.remove(&r.pid);
                self.write(&e)
            }
            kernel::K_DIROPEN | kernel::K_OPEN => {
                let path = proc.resolve(&r.path, r.dirfd);
                if r.ret >= 0
                    && let Some(p) = self.procs.get_mut(&r.pid)
                {
                    p.fds.insert(r.ret, path.clone());
                }
                if r.kind == kernel::K_DIROPEN {
                    return Ok(());
                }
                let mut e = self.base(&r, Kind::Open);
                e.path = Some(self.scan(&path));
                e.flags = Some(r.flags as u32);
                e.mode = Some(r.mode as u32);
                e.result = Some(r.ret);
                e.fd = (r.ret >= 0).then_some(r.ret);
                if r.ret < 0 {
                    return self.write(&e);
                }
                let key = FdKey {
                    tgid: r.pid,
                    fd: r.ret as i32,
                };
                // A descriptor number reused without a close seen (one opened before the
                // recorder followed the process): the earlier open stands on its own.
                self.release(key)?;
                self.held.insert(key, e);
                Ok(())
            }
            kernel::K_DUP => {
                // The duplicate's writes are rows of its own, which need the open to stand
                // first; a descriptor number it lands on is another file from here.
                for fd in [r.fd, r.ret] {
                    self.release(FdKey {
                        tgid: r.pid,
                        fd: fd as i32,
                    })?;
                }
                if r.ret >= 0
                    && let Some(p) = self.procs.get_mut(&r.pid)
                {
                    match p.fds.get(&r.fd).cloned() {
                        Some(path) => p.fds.insert(r.ret, path),
                        None => p.fds.remove(&r.ret),
                    };
                }
                Ok(())
            }
            kernel::K_CLOSE => {
                // Opened for writing and closed unwritten: the open is the record.
                self.release(FdKey {
                    tgid: r.pid,
                    fd: r.fd as i32,
                })?;
                if let Some(p) = self.procs.get_mut(&r.pid) {
                    p.fds.remove(&r.fd);
                }
                Ok(())
            }
            kernel::K_CHDIR | kernel::K_FCHDIR => {
                if r.ret == 0 {
                    let cwd = if r.kind == kernel::K_CHDIR {
                        Some(proc.resolve(&r.path, AT_FDCWD))
                    } else {
                        proc.fds.get(&r.fd).cloned()
                    };
                    if let (Some(cwd), Some(p)) = (cwd, self.procs.get_mut(&r.pid)) {
                        p.cwd = cwd;
                    }
                }
                Ok(())
            }
            kernel::K_WRITE => {
                // The descriptor closed with these cumulative totals: record what was not
                // recorded yet, with its open when that is still held, then forget the path.
                let key = FdKey {
                    tgid: r.pid,
                    fd: r.fd as i32,
                };
                let totals = WriteTotals {
                    bytes: r.bytes,
                    calls: r.calls,
                    inode: r.inode,
                    first_ts: r.length as u64,
                    last_ts: r.ts,
                };
                self.record_write(&r, key, totals, "close", &proc)?;
                // Not joined (its writes were recorded at an interval already): it stands alone.
                self.release(key)?;
                self.emitted.remove(&(key, totals.first_ts));
                if let Some(p) = self.procs.get_mut(&r.pid) {
                    p.fds.remove(&r.fd);
                }
                Ok(())
            }
            kernel::K_UNLINK | kernel::K_TRUNCATE | kernel::K_CHMOD => {
                let kind = match r.kind {
                    kernel::K_UNLINK => Kind::Unlink,
                    kernel::K_TRUNCATE => Kind::Truncate,
                    _ => Kind::Chmod,
                };
                let mut e = self.base(&r, kind);
                let path = if r.path.is_empty() {
                    proc.fds.get(&r.fd).cloned().unwrap_or_else(|| format!("(fd {})", r.fd))
                } else {
                    proc.resolve(&r.path, r.dirfd)
                };
                e.path = Some(self.scan(&path));
                e.result = Some(r.ret);
                if r.path.is_empty() {
                    e.fd = Some(r.fd);
                    self.release(FdKey {
                        tgid: r.pid,
                        fd: r.fd as i32,
                    })?;
                }
                match kind {
                    Kind::Truncate => e.length = Some(r.length),
                    Kind::Chmod => e.mode = Some(r.mode as u32),
                    _ => e.flags = (r.flags != 0).then_some(r.flags as u32),
                }
                self.write(&e)
            }
            kernel::K_RENAME => {
                let mut e = self.base(&r, Kind::Rename);
                let new_dirfd = if r.fd == -1 { AT_FDCWD } else { r.fd as i32 };
                e.path = Some(self.scan(&proc.resolve(&r.path, r.dirfd)));
                e.new_path = Some(self.scan(&proc.resolve(&r.path2, new_dirfd)));
                e.result = Some(r.ret);
                self.write(&e)
            }
            kernel::K_CONNECT | kernel::K_SEND => {
                let mut e = self.base(
                    &r,
                    if r.kind == kernel::K_CONNECT {
                        Kind::Connect
                    } else {
                        Kind::Send
                    },
                );
                e.family = Some(r.family);
                e.fd = Some(r.fd);
                e.result = Some(r.ret);
                match r.family {
                    1 => e.addr = Some(self.scan(&r.path)),
                    f => {
                        e.addr = ip(f, &r.addr);
                        e.port = Some(r.port);
                    }
                }
                self.write(&e)
            }
            _ => Ok(()),
        }
    }

    /// Writes the open held for `key`, if one is.
    fn release(&mut self, key: FdKey) -> std::io::Result<()> {
        match self.held.remove(&key) {
            Some(open) => self.write(&open),
            None => Ok(()),
        }
    }

    /// Writes every held open whose key `pick` chooses, in the order they were opened.
    fn release_where(&mut self, pick: impl Fn(&FdKey) -> bool) -> std::io::Result<()> {
        let mut keys: Vec<FdKey> = self.held.keys().filter(|k| pick(k)).copied().collect();
        keys.sort_by_key(|k| self.held[k].ts);
        keys.into_iter().try_for_each(|k| self.release(k))
    }

    /// Records the part of `totals` not recorded yet for `key`: as one event with its open
    /// when that is still held (nothing of it was recorded yet), else on its own.
    fn record_write(
        &mut self,
        r: &Raw,
        key: FdKey,
        totals: WriteTotals,
        why: &str,
        proc: &Proc,
    ) -> std::io::Result<()> {
        let instance = (key, totals.first_ts);
        let (bytes, calls, fresh) = match self.emitted.get(&instance) {
            Some(&(b, c)) => (totals.bytes.saturating_sub(b), totals.calls.saturating_sub(c), false),
            None => (totals.bytes, totals.calls, true),
        };
        self.emitted.insert(instance, (totals.bytes, totals.calls));
        if calls == 0 {
            return Ok(());
        }
        let mut e = self.base(r, Kind::Write);
        e.ts = totals.last_ts;
        e.fd = Some(i64::from(key.fd));
        e.inode = Some(totals.inode);
        e.bytes = Some(bytes);
        e.calls = Some(calls);
        e.flush = Some(why.to_string());
        let path = proc.fds.get(&i64::from(key.fd)).cloned();
        e.path = path.map(|p| self.scan(&p));
        // Joined only when these are all the writes made through that open, to the file it
        // opened; otherwise the open stands first, on its own.
        match self.held.remove(&key) {
            Some(open) if fresh && open.path == e.path => self.write(&whole(open, e)),
            Some(open) => {
                self.write(&open)?;
                self.write(&e)
            }
            None => self.write(&e),
        }
    }

    /// Records the write totals the kernel holds: a process's at its exit, the ones begun before
    /// the newest event handled at the one-second flush, all of them at the stop.
    fn flush_writes_from(&mut self, kernel: &mut impl Totals, flush: Flush) -> std::io::Result<()> {
        // The interval and the stop: an open still held stands on its own, before its writes
        // so far (an exit's own opens are joined with its totals, then released).
        let only = match flush {
            Flush::Exit(pid) => Some(pid),
            Flush::Interval | Flush::Stop => None,
        };
        if only.is_none() {
            self.release_where(|_| true)?;
        }
        let why = flush.why();
        // Totals begun after the newest event handled may belong to an open, or follow a close
        // of the same number, still in the ring buffer: their path is not known yet.
        let seen_to = self.seen_to;
        let entries = kernel
            .all()
            .into_iter()
            .filter(|(_, t)| flush != Flush::Interval || t.first_ts <= seen_to);
        // The kernel does not stamp each write (it would cost every write a clock read): these
        // rows carry the time they were flushed.
        let flushed_at = clock(libc::CLOCK_BOOTTIME) as u64;
        for (key, mut totals) in entries {
            totals.last_ts = flushed_at;
            if only.is_some_and(|p| p != key.tgid) {
                continue;
            }
            let proc = self.procs.get(&key.tgid).cloned().unwrap_or_default();
            let raw = Raw {
                pid: key.tgid,
                tid: key.tgid,
                ppid: proc.ppid,
                uid: proc.uid,
                cgroup: proc.cgroup,
                comm: proc.comm.clone(),
                ..Raw::default()
            };
            self.record_write(&raw, key, totals, why, &proc)?;
            if only.is_some() {
                kernel.forget(&key);
                self.emitted.remove(&(key, totals.first_ts));
            }
        }
        Ok(())
    }
}

/// One whole open, writes and close of a file as one write event: the open's time (which places
/// the writes in a tool call), process, path, flags and mode, with the bytes and calls written
/// through it, its inode and why it was flushed.
fn whole(open: Event, write: Event) -> Event {
    Event {
        kind: Some(Kind::Write),
        inode: write.inode,
        bytes: write.bytes,
        calls: write.calls,
        flush: write.flush,
        path: open.path.or(write.path),
        result: None,
        ..open
    }
}

fn host_header(target: &Target, env_allow: &[String], cgroup: Option<&Path>) -> Header {
    let (boot_ns, wall_ns) = clock_pair();
    let filter = match target {
        Target::Command(argv) => match cgroup {
            Some(c) => format!("command {} (in cgroup {})", argv.join(" "), c.display()),
            None => format!("command {}", argv.join(" ")),
        },
        Target::Pid(p) => format!("pid {p}"),
        Target::Cgroup(c) => format!("cgroup {}", c.display()),
    };
    Header {
        version: format::VERSION,
        tool_version: format!("ebpf-capture {} ({})", env!("CARGO_PKG_VERSION"), kernel::OBJECT_ORIGIN),
        host: read_trim("/proc/sys/kernel/hostname"),
        kernel_release: read_trim("/proc/sys/kernel/osrelease"),
        boot_id: read_trim("/proc/sys/kernel/random/boot_id"),
        boot_ns,
        wall_ns,
        filter,
        env_allow: env_allow.to_vec(),
    }
}

/// The header as it is written: the command line it records is the one the exec events' argv
/// is, so it is redacted the same way.
fn redacted(mut h: Header, scanner: &SecretScanner, counts: &mut RuleCounts) -> Header {
    h.filter = scanner.scan(&h.filter, counts).into_owned();
    h
}

/// Checks what recording needs before touching the kernel, with what to do about each.
fn preflight() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(
            "ebpf-capture needs root (CAP_BPF and CAP_PERFMON to load and attach eBPF programs): run it with sudo"
                .into(),
        );
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Err("/sys/kernel/btf/vmlinux is missing: this kernel was built without BTF (CONFIG_DEBUG_INFO_BTF), which the CO-RE program needs".into());
    }
    Ok(())
}

/// Records until the followed processes end, the duration passes, or SIGINT/SIGTERM; returns the
/// exit code (the command's own, with `-- CMD`).
pub fn run(o: Options) -> Result<i32, String> {
    preflight()?;
    let object = match &o.object {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read the eBPF object {}: {e}", p.display()))?,
        None => kernel::OBJECT.to_vec(),
    };
    let config = match &o.target {
        Target::Cgroup(path) => {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(path)
                .map_err(|e| format!("cannot use cgroup {}: {e}; give a cgroup v2 directory", path.display()))?;
            Config {
                cgroup: Some(meta.ino()),
            }
        }
        _ => Config::default(),
    };
    let mut kernel = kernel::load(&object, config)?;
    let file = File::create(&o.out).map_err(|e| format!("cannot create {}: {e}", o.out.display()))?;
    let mut rec = Recorder::new(file, o.env_allow.clone());
    let io = |e: std::io::Error| format!("cannot write {}: {e}", o.out.display());
    let created_cgroup = match (&o.target, o.new_cgroup) {
        (Target::Command(_), true) => Some(new_cgroup()?),
        _ => None,
    };
    let header = host_header(&o.target, &o.env_allow, created_cgroup.as_deref());
    let header = redacted(header, &rec.scanner, &mut rec.redactions);
    rec.out.write_all(&format::encode_start(&header)).map_err(io)?;
    rec.out.flush().map_err(io)?;

    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
    }

    let mut child = None;
    match &o.target {
        Target::Command(argv) => {
            let pid = spawn_held(argv, &mut kernel, created_cgroup.as_deref())?;
            rec.procs.insert(
                pid,
                Proc {
                    cwd: std::env::current_dir()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    ..Proc::default()
                },
            );
            rec.alive.insert(pid);
            child = Some(pid);
        }
        Target::Pid(pid) => {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return Err(format!("no process {pid}"));
            }
            for p in descendants(*pid) {
                kernel
                    .tracked
                    .insert(p, 1, 0)
                    .map_err(|e| format!("cannot follow pid {p}: {e}"))?;
                rec.procs.insert(p, proc_state(p));
                rec.alive.insert(p);
            }
        }
        Target::Cgroup(_) => {}
    }

    let started = Instant::now();
    let mut last_flush = Instant::now();
    let reason = loop {
        kernel.wait(100);
        // Everything before this moment is in the ring buffer and read by the drain below: a
        // quiet process's long-open file still has its writes flushed every second.
        let drained = clock(libc::CLOCK_BOOTTIME) as u64;
        let mut batch = Vec::new();
        while let Some(item) = kernel.events.next() {
            if let Some(r) = Raw::decode(&item) {
                batch.push(r);
            }
        }
        for r in batch {
            rec.handle(&mut kernel, r).map_err(io)?;
        }
        rec.seen_to = rec.seen_to.max(drained);
        if last_flush.elapsed() >= Duration::from_secs(1) {
            rec.flush_writes_from(&mut kernel, Flush::Interval).map_err(io)?;
            last_flush = Instant::now();
        }
        rec.out.flush().map_err(io)?;
        if STOP.load(Ordering::SeqCst) {
            break "signal";
        }
        if o.duration.is_some_and(|d| started.elapsed() >= d) {
            break "duration";
        }
        if !matches!(o.target, Target::Cgroup(_)) && rec.alive.is_empty() {
            break "exit";
        }
    };
    // Whatever is still in the ring buffer, then the totals still in the kernel.
    let mut batch = Vec::new();
    while let Some(item) = kernel.events.next() {
        if let Some(r) = Raw::decode(&item) {
            batch.push(r);
        }
    }
    for r in batch {
        rec.handle(&mut kernel, r).map_err(io)?;
    }
    rec.flush_writes_from(&mut kernel, Flush::Stop).map_err(io)?;
    let lost = kernel.lost();
    let trailer = Trailer {
        counts: rec.counts.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        lost,
        stopped_wall_ns: clock(libc::CLOCK_REALTIME),
        reason: reason.to_string(),
    };
    rec.out.write_all(&format::encode_trailer(&trailer)).map_err(io)?;
    rec.out.flush().map_err(io)?;
    let total: u64 = rec.counts.values().sum();
    eprintln!(
        "ebpf-capture: {total} events written to {} ({}), {lost} lost{}; stopped by {reason}",
        o.out.display(),
        rec.counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        if rec.redactions.is_empty() {
            String::new()
        } else {
            format!(
                "; redacted: {}",
                rec.redactions
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if lost > 0 {
        eprintln!("ebpf-capture: warning: {lost} events were lost (the ring buffer was full); the trailer records it");
    }
    // After the tree ended the command is reaped for its exit code; after a signal or the
    // duration it may still run, and is left running (no longer recorded).
    let code = match child {
        None => 0,
        Some(pid) if reason == "exit" => wait_for(pid),
        Some(pid) => {
            let mut status = 0;
            // SAFETY: a non-blocking wait for our own child.
            if unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) } == pid as libc::pid_t {
                if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    128 + libc::WTERMSIG(status)
                }
            } else {
                eprintln!("ebpf-capture: the command (pid {pid}) is still running and is no longer recorded");
                0
            }
        }
    };
    if let Some(dir) = created_cgroup {
        // Empty once the command's tree has exited; left in place (and said) otherwise.
        if std::fs::remove_dir(&dir).is_err() {
            eprintln!(
                "ebpf-capture: the session cgroup {} still has processes; not removed",
                dir.display()
            );
        }
    }
    Ok(code)
}

/// The cgroup v2 mount point, from /proc/self/mounts.
fn cgroup2_root() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (_, dir, kind) = (f.next()?, f.next()?, f.next()?);
        (kind == "cgroup2").then(|| PathBuf::from(dir))
    })
}

/// A new cgroup v2 directory for this session (its inode is the cgroup id events carry).
fn new_cgroup() -> Result<PathBuf, String> {
    let root = cgroup2_root().ok_or("no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)")?;
    let dir = root.join(format!("ebpf-capture-{}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create the session cgroup {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Starts `argv` held before exec until its pid is followed, so its own exec is recorded.
///
/// A plain fork and exec: std's Command waits for the exec to succeed, which a held child never
/// does until it is released. Everything the child needs is allocated before the fork; between
/// fork and exec it only reads the pipe and calls execvp.
fn spawn_held(argv: &[String], kernel: &mut Kernel, cgroup: Option<&Path>) -> Result<u32, String> {
    use std::ffi::CString;
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| format!("argument {a:?} contains a NUL byte")))
        .collect::<Result<_, _>>()?;
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    let mut fds = [0; 2];
    // SAFETY: a valid array of two ints to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("cannot create a pipe: {}", std::io::Error::last_os_error()));
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    // SAFETY: the child only calls async-signal-safe functions (close, read, execvp, _exit) on
    // memory allocated before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("cannot fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        unsafe {
            libc::close(write_end);
            let mut b = 0u8;
            libc::read(read_end, (&mut b as *mut u8).cast(), 1);
            libc::execvp(ptrs[0], ptrs.as_ptr());
            libc::_exit(127);
        }
    }
    let pid = pid as u32;
    let mut followed = kernel
        .tracked
        .insert(pid, 1, 0)
        .map_err(|e| format!("cannot follow pid {pid}: {e}"));
    if let (Some(dir), Ok(())) = (cgroup, &followed) {
        followed = std::fs::write(dir.join("cgroup.procs"), pid.to_string())
            .map_err(|e| format!("cannot move pid {pid} into {}: {e}", dir.display()));
    }
    // SAFETY: releasing the held child (one byte), then closing our ends.
    unsafe {
        libc::write(write_end, [1u8].as_ptr().cast(), 1);
        libc::close(write_end);
        libc::close(read_end);
    }
    followed?;
    Ok(pid)
}

/// Waits for `pid` and returns its exit code (128 + signal when killed).
fn wait_for(pid: u32) -> i32 {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
    if r < 0 {
        return 1;
    }
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        1
    }
}

/// `pid` and every process below it now, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // ppid is the 2nd field after the parenthesised comm.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(pp) = ppid {
                children.entry(pp).or_default().push(p);
            }
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        out.extend(children.get(&out[i]).cloned().unwrap_or_default());
        i += 1;
    }
    out
}

/// argv scanned as the one command line it is, so that a rule can see a flag and the value
/// after it (`--password X`, `-u user:pw`, `mysql … -pX`), then split back. Elements are joined
/// by a TAB (whitespace to every rule, never inside a credential the rules take); when a
/// redaction spans a TAB, or an element held one, the split no longer gives one piece per
/// element and the whole redacted line is kept as a single element instead.
fn scan_argv(scanner: &SecretScanner, counts: &mut RuleCounts, argv: &[String]) -> Vec<String> {
    let line = argv.join("\t");
    let scanned = scanner.scan(&line, counts);
    let pieces: Vec<&str> = scanned.split('\t').collect();
    if pieces.len() == argv.len() {
        pieces.into_iter().map(str::to_string).collect()
    } else {
        vec![scanned.replace('\t', " ")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's write totals, as a test sets them.
    #[derive(Default)]
    struct Fake(HashMap<FdKey, WriteTotals>);

    impl Totals for Fake {
        fn all(&self) -> Vec<(FdKey, WriteTotals)> {
            self.0.iter().map(|(k, t)| (*k, *t)).collect()
        }
        fn forget(&mut self, key: &FdKey) {
            self.0.remove(key);
        }
    }

    const PID: u32 = 4_000_000; // no such process: /proc has nothing to add
    const O_WRONLY_TRUNC: u64 = 0o1001;

    fn raw(kind: u32, ts: u64) -> Raw {
        Raw {
            kind,
            pid: PID,
            tid: PID,
            ts,
            comm: "tool".into(),
            ..Raw::default()
        }
    }
    fn open(ts: u64, fd: i64, path: &str) -> Raw {
        Raw {
            path: path.into(),
            dirfd: AT_FDCWD,
            ret: fd,
            flags: O_WRONLY_TRUNC,
            ..raw(kernel::K_OPEN, ts)
        }
    }
    /// The close of `fd` with the cumulative totals the kernel sends with it.
    fn closed_after_writes(ts: u64, fd: i64, bytes: u64, first_ts: u64) -> Raw {
        Raw {
            fd,
            bytes,
            calls: 1,
            length: first_ts as i64,
            flags: 1,
            ..raw(kernel::K_WRITE, ts)
        }
    }
    fn key(fd: i32) -> FdKey {
        FdKey { tgid: PID, fd }
    }

    /// An event as written: (kind, ts, path, open flags, bytes).
    type Written = (Kind, u64, Option<String>, Option<u32>, Option<u64>);

    /// Feeds `steps` to a recorder (each a kernel event, or the one-second flush) and reads
    /// back what it wrote: (kind, ts, path, open flags, bytes).
    fn record(steps: Vec<Result<Raw, Flush>>, kernel: &mut Fake) -> Vec<Written> {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut rec = Recorder::new(file.reopen().unwrap(), Vec::new());
        let header = Header {
            version: format::VERSION,
            ..Header::default()
        };
        rec.out.write_all(&format::encode_start(&header)).unwrap();
        for step in steps {
            match step {
                Ok(r) => {
                    if r.kind == kernel::K_WRITE {
                        // As close_fd does: the totals leave the map with the close's record.
                        kernel.0.remove(&key(r.fd as i32));
                    }
                    rec.handle(kernel, r).unwrap()
                }
                Err(flush) => rec.flush_writes_from(kernel, flush).unwrap(),
            }
        }
        rec.flush_writes_from(kernel, Flush::Stop).unwrap();
        rec.out.flush().unwrap();
        let bytes = std::fs::read(file.path()).unwrap();
        format::Reader::new(&bytes)
            .unwrap()
            .filter_map(|r| match r.unwrap() {
                format::Record::Event(e) => Some((e.kind.unwrap(), e.ts, e.path, e.flags, e.bytes)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_open_written_and_closed_is_one_write_with_the_opens_time_and_flags() {
        let got = record(
            vec![Ok(open(100, 3, "/w/x")), Ok(closed_after_writes(300, 3, 4096, 150))],
            &mut Fake::default(),
        );
        let flags = Some(O_WRONLY_TRUNC as u32);
        assert_eq!(got, vec![(Kind::Write, 100, Some("/w/x".into()), flags, Some(4096))]);
        // Closed unwritten: the open is the record.
        let mut unwritten = raw(kernel::K_CLOSE, 300);
        unwritten.fd = 3;
        let got = record(vec![Ok(open(100, 3, "/w/x")), Ok(unwritten)], &mut Fake::default());
        assert_eq!(got, vec![(Kind::Open, 100, Some("/w/x".into()), flags, None)]);
    }

    fn totals(bytes: u64, first_ts: u64) -> WriteTotals {
        WriteTotals {
            bytes,
            calls: 1,
            first_ts,
            ..WriteTotals::default()
        }
    }

    fn unlink(ts: u64) -> Raw {
        Raw {
            path: "/w/other".into(),
            dirfd: AT_FDCWD,
            ..raw(kernel::K_UNLINK, ts)
        }
    }

    #[test]
    fn the_one_second_flush_leaves_writes_whose_open_it_has_not_seen() {
        // The kernel counts writes that began at 150 while their open (at 100) is still in the
        // ring buffer: the flush must not record them under a path it does not know yet.
        let mut kernel = Fake::default();
        kernel.0.insert(key(3), totals(10, 150));
        let got = record(
            vec![
                Err(Flush::Interval),
                Ok(open(100, 3, "/w/z")),
                Ok(closed_after_writes(300, 3, 10, 150)),
                Ok(unlink(400)),
            ],
            &mut kernel,
        );
        let flags = Some(O_WRONLY_TRUNC as u32);
        assert_eq!(
            got[0],
            (Kind::Write, 100, Some("/w/z".into()), flags, Some(10)),
            "{got:?}"
        );
        assert_eq!(got[1].0, Kind::Unlink);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn writes_partly_recorded_by_the_flush_are_not_joined_with_their_open() {
        // The open and a later event are seen, the flush records the first 10 bytes, the
        // close brings 25 in all: the open stands alone, then 10, then the 15 left.
        let mut kernel = Fake::default();
        kernel.0.insert(key(3), totals(10, 150));
        let mut close = closed_after_writes(300, 3, 25, 150);
        close.calls = 2;
        let got = record(
            vec![
                Ok(open(100, 3, "/w/p")),
                Ok(unlink(200)),
                Err(Flush::Interval),
                Ok(close),
            ],
            &mut kernel,
        );
        let shape: Vec<(Kind, Option<u32>, Option<u64>)> = got.iter().map(|e| (e.0, e.3, e.4)).collect();
        let flags = Some(O_WRONLY_TRUNC as u32);
        assert_eq!(
            shape,
            vec![
                (Kind::Unlink, None, None),
                (Kind::Open, flags, None),
                (Kind::Write, None, Some(10)),
                (Kind::Write, None, Some(15)),
            ]
        );
    }

    #[test]
    fn an_exec_writes_the_opens_it_held_before_itself() {
        // Close-on-exec descriptors close without a close event: their opens stand, first.
        let exec = Raw {
            path: "/bin/next".into(),
            ..raw(kernel::K_EXEC, 200)
        };
        let got = record(vec![Ok(open(100, 3, "/w/a")), Ok(exec)], &mut Fake::default());
        let kinds: Vec<Kind> = got.iter().map(|e| e.0).collect();
        assert_eq!(kinds, vec![Kind::Open, Kind::Exec], "{got:?}");
    }

    #[test]
    fn a_dup_onto_a_held_number_keeps_that_open_apart_from_the_writes_after_it() {
        // /w/a is held on 3 (its close not seen); a dup of /w/b's 5 lands on 3 and is written.
        let mut b = open(50, 5, "/w/b");
        b.flags = 0o1;
        let dup = Raw {
            fd: 5,
            ret: 3,
            ..raw(kernel::K_DUP, 250)
        };
        let got = record(
            vec![
                Ok(b),
                Ok(open(100, 3, "/w/a")),
                Ok(dup),
                Ok(closed_after_writes(300, 3, 7, 260)),
            ],
            &mut Fake::default(),
        );
        let opens: Vec<_> = got.iter().filter(|e| e.0 == Kind::Open).map(|e| e.2.clone()).collect();
        assert_eq!(opens, vec![Some("/w/b".into()), Some("/w/a".into())], "{got:?}");
        let write = got.iter().find(|e| e.0 == Kind::Write).unwrap();
        assert_eq!(
            (write.1, write.2.as_deref(), write.3, write.4),
            (300, Some("/w/b"), None, Some(7))
        );
    }
}
