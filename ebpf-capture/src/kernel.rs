//! The kernel side as user space sees it: loading and attaching bpf/capture.bpf.c's programs with
//! aya, the maps it shares, and the raw event layout it writes (mirrored field for field from
//! `struct event` / `struct exec_event` in the C source).
//!
//! In: the compiled object. Out: an attached [`Kernel`] and decoded [`Raw`] events.

use std::os::fd::AsRawFd;

use aya::Btf;
use aya::maps::{Array, HashMap, MapData, RingBuf};
use aya::programs::{BtfTracePoint, Program, ProgramError, RawTracePoint, TracePoint};
use aya::{Ebpf, EbpfLoader, Pod};

/// The object build.rs produced (compiled here, or the committed prebuilt one).
pub static OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/capture.bpf.o"));
/// How that object was made.
pub const OBJECT_ORIGIN: &str = env!("EBPF_CAPTURE_OBJECT");

pub const K_EXEC: u32 = 1;
pub const K_FORK: u32 = 2;
pub const K_EXIT: u32 = 3;
pub const K_OPEN: u32 = 4;
pub const K_WRITE: u32 = 5;
pub const K_UNLINK: u32 = 6;
pub const K_RENAME: u32 = 7;
pub const K_TRUNCATE: u32 = 8;
pub const K_CHMOD: u32 = 9;
pub const K_CONNECT: u32 = 10;
pub const K_SEND: u32 = 11;
pub const K_DIROPEN: u32 = 100;
pub const K_CHDIR: u32 = 101;
pub const K_FCHDIR: u32 = 102;
pub const K_CLOSE: u32 = 103;
pub const K_DUP: u32 = 104;

const PATH_LEN: usize = 256;
/// Size of `struct event` in the C source.
pub const EVENT_SIZE: usize = 4 * 6 + 8 * 2 + 8 * 8 + 2 + 2 + 4 + 16 + 16 + PATH_LEN * 2;

/// `struct fd_key`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FdKey {
    pub tgid: u32,
    pub fd: i32,
}
// SAFETY: repr(C), only integers, no padding.
unsafe impl Pod for FdKey {}

/// `struct write_totals`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteTotals {
    pub bytes: u64,
    pub calls: u64,
    pub inode: u64,
    pub first_ts: u64,
    pub last_ts: u64,
}
// SAFETY: repr(C), only u64s.
unsafe impl Pod for WriteTotals {}

/// What to follow: a process tree (the `tracked` map) or, with `cgroup`, one cgroup v2 id. Set
/// as the program's read-only globals when it is loaded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Config {
    pub cgroup: Option<u64>,
}

/// One event from the ring buffer, decoded.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    pub kind: u32,
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub dirfd: i32,
    pub ts: u64,
    pub cgroup: u64,
    pub ret: i64,
    pub fd: i64,
    pub flags: u64,
    pub mode: u64,
    pub inode: u64,
    pub bytes: u64,
    pub calls: u64,
    pub length: i64,
    pub family: u16,
    pub port: u16,
    pub exit_code: u32,
    pub addr: [u8; 16],
    pub comm: String,
    pub path: String,
    pub path2: String,
    /// exec only: NUL-separated argv and environment as read from the new image.
    pub args: Vec<u8>,
    pub env: Vec<u8>,
}

fn c_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl Raw {
    /// Decodes a ring buffer item; None when it is shorter than `struct event`.
    pub fn decode(b: &[u8]) -> Option<Raw> {
        if b.len() < EVENT_SIZE {
            return None;
        }
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or_default());
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
        let u16_at = |o: usize| u16::from_be_bytes(b[o..o + 2].try_into().unwrap_or_default());
        let mut r = Raw {
            kind: u32_at(0),
            pid: u32_at(4),
            tid: u32_at(8),
            ppid: u32_at(12),
            uid: u32_at(16),
            dirfd: u32_at(20) as i32,
            ts: u64_at(24),
            cgroup: u64_at(32),
            ret: u64_at(40) as i64,
            fd: u64_at(48) as i64,
            flags: u64_at(56),
            mode: u64_at(64),
            inode: u64_at(72),
            bytes: u64_at(80),
            calls: u64_at(88),
            length: u64_at(96) as i64,
            family: u16::from_le_bytes(b[104..106].try_into().unwrap_or_default()),
            // The port is in network byte order in the sockaddr.
            port: u16_at(106),
            exit_code: u32_at(108),
            ..Raw::default()
        };
        r.addr.copy_from_slice(&b[112..128]);
        r.comm = c_str(&b[128..144]);
        r.path = c_str(&b[144..144 + PATH_LEN]);
        r.path2 = c_str(&b[144 + PATH_LEN..144 + 2 * PATH_LEN]);
        if r.kind == K_EXEC && b.len() >= EVENT_SIZE + 8 {
            let args_len = (u32_at(EVENT_SIZE) as usize).min(2048);
            let env_len = (u32_at(EVENT_SIZE + 4) as usize).min(8192);
            let args = EVENT_SIZE + 8;
            let env = args + 2048;
            r.args = b.get(args..args + args_len).unwrap_or_default().to_vec();
            r.env = b.get(env..env + env_len).unwrap_or_default().to_vec();
        }
        Some(r)
    }
}

/// The loaded, attached program and its maps.
pub struct Kernel {
    // Keeps the programs attached for as long as it lives.
    _ebpf: Ebpf,
    pub events: RingBuf<MapData>,
    pub tracked: HashMap<MapData, u32, u8>,
    pub writes: HashMap<MapData, FdKey, WriteTotals>,
    pub lost: Array<MapData, u64>,
}

/// The kernel's own events the recorder follows processes by.
const PROCESS_HOOKS: [(&str, &str); 3] = [
    ("on_fork", "sched_process_fork"),
    ("on_exec", "sched_process_exec"),
    ("on_exit", "sched_process_exit"),
];

/// Syscalls newer than some kernels (openat2: 5.6, fchmodat2: 6.6): where their tracepoint does
/// not exist there is nothing of them to record.
const OPTIONAL_SYSCALLS: [&str; 2] = ["openat2", "fchmodat2"];

/// Loads `object`, configures the filter, attaches every program:
/// - `on_sys_exit` to the BTF tracepoint sys_exit: the one program that sees every syscall's
///   exit, and returns at once for the ones not recorded;
/// - each `enter_<syscall>` to that syscall's own entry tracepoint (syscalls/sys_enter_*), only
///   for the syscalls whose arguments must be read before the kernel acts on them;
/// - [`PROCESS_HOOKS`] to their raw tracepoints.
///
/// Errors carry the verifier's message when the kernel refused a program, and name the fix.
pub fn load(object: &[u8], config: Config) -> Result<Kernel, String> {
    let (mode, cgroup) = (u32::from(config.cgroup.is_some()), config.cgroup.unwrap_or(0));
    let mut ebpf = EbpfLoader::new()
        .override_global("cgroup_mode", &mode, true)
        .override_global("target_cgroup", &cgroup, true)
        .load(object)
        .map_err(|e| format!("cannot load the eBPF object: {e}"))?;

    let btf = Btf::from_sys_fs().map_err(|e| format!("cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): {e}"))?;
    let exit: &mut BtfTracePoint = program(&mut ebpf, "on_sys_exit")?;
    exit.load("sys_exit", &btf).map_err(|e| refused("on_sys_exit", e))?;
    exit.attach()
        .map_err(|e| unattached("on_sys_exit", "the BTF tracepoint sys_exit", e))?;

    for (name, tracepoint) in PROCESS_HOOKS {
        let p: &mut RawTracePoint = program(&mut ebpf, name)?;
        p.load().map_err(|e| refused(name, e))?;
        p.attach(tracepoint)
            .map_err(|e| unattached(name, &format!("the raw tracepoint {tracepoint}"), e))?;
    }

    mount_tracefs();
    let entries: Vec<String> = ebpf
        .programs()
        .filter_map(|(name, _)| name.strip_prefix("enter_").map(str::to_string))
        .collect();
    let mut missing = Vec::new();
    for syscall in entries {
        let name = format!("enter_{syscall}");
        let p: &mut TracePoint = program(&mut ebpf, &name)?;
        p.load().map_err(|e| refused(&name, e))?;
        let tracepoint = format!("sys_enter_{syscall}");
        match p.attach("syscalls", &tracepoint) {
            Ok(_) => {}
            Err(_) if OPTIONAL_SYSCALLS.contains(&syscall.as_str()) => missing.push(syscall),
            Err(e) => {
                return Err(unattached(
                    &name,
                    &format!("the syscall tracepoint {tracepoint} (tracefs at /sys/kernel/tracing)"),
                    e,
                ));
            }
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "ebpf-capture: note: this kernel has no {}: nothing of it to record",
            missing.join(", ")
        );
    }
    let take = |ebpf: &mut Ebpf, name: &str| {
        ebpf.take_map(name)
            .ok_or_else(|| format!("the eBPF object has no map {name}"))
    };
    Ok(Kernel {
        events: RingBuf::try_from(take(&mut ebpf, "events")?).map_err(|e| e.to_string())?,
        tracked: HashMap::try_from(take(&mut ebpf, "tracked")?).map_err(|e| e.to_string())?,
        writes: HashMap::try_from(take(&mut ebpf, "writes")?).map_err(|e| e.to_string())?,
        lost: Array::try_from(take(&mut ebpf, "lost")?).map_err(|e| e.to_string())?,
        _ebpf: ebpf,
    })
}

/// The program `name` of the object, as the program type `P` it is expected to be.
fn program<'a, P>(ebpf: &'a mut Ebpf, name: &str) -> Result<&'a mut P, String>
where
    &'a mut P: TryFrom<&'a mut Program, Error = ProgramError>,
{
    ebpf.program_mut(name)
        .ok_or_else(|| format!("the eBPF object has no program {name}"))?
        .try_into()
        .map_err(|e| format!("program {name} is not of the type its hook needs: {e}"))
}

/// Why the kernel would not load a program, with the verifier's log when it has one.
fn refused(name: &str, e: ProgramError) -> String {
    match e {
        ProgramError::LoadError { io_error, verifier_log } => format!(
            "the kernel refused program {name} ({io_error}){}; the verifier said:\n{verifier_log}",
            lockdown_hint(&io_error)
        ),
        e => format!("cannot load program {name}: {e}"),
    }
}

/// Why a loaded program could not be attached to its hook.
fn unattached(name: &str, hook: &str, e: ProgramError) -> String {
    let io = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(lockdown_hint)
        .unwrap_or_default();
    format!("cannot attach {name} to {hook}: {e}{io}")
}

/// A refusal with EPERM as root is most often kernel lockdown: say where to look.
fn lockdown_hint(e: &std::io::Error) -> String {
    if e.kind() != std::io::ErrorKind::PermissionDenied {
        return String::new();
    }
    lockdown_advice(&std::fs::read_to_string("/sys/kernel/security/lockdown").unwrap_or_default())
}

/// The fix for a refusal, given /sys/kernel/security/lockdown ("none [integrity] confidentiality"
/// names the mode in force in brackets; empty when the kernel has no lockdown LSM).
fn lockdown_advice(lockdown: &str) -> String {
    match lockdown.split_whitespace().find(|w| w.starts_with('[')) {
        Some(mode) if mode != "[none]" => format!(
            ". Kernel lockdown is {mode} (/sys/kernel/security/lockdown), which refuses these tracing programs: boot with lockdown=none, or record on a host without it"
        ),
        _ => ". Recording needs root (CAP_BPF and CAP_PERFMON), and no LSM policy (SELinux, AppArmor) refusing bpf()"
            .to_string(),
    }
}

/// Mounts tracefs at /sys/kernel/tracing when it is not there yet (the syscall tracepoints live
/// in it); a failure is left to the attach, which then says which tracepoint it could not find.
fn mount_tracefs() {
    if std::path::Path::new("/sys/kernel/tracing/events").exists()
        || std::path::Path::new("/sys/kernel/debug/tracing/events").exists()
    {
        return;
    }
    // SAFETY: static NUL-terminated strings; mount(2) reads them and keeps nothing.
    unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            c"/sys/kernel/tracing".as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        );
    }
}

impl Kernel {
    /// Waits up to `timeout_ms` for events to be ready.
    pub fn wait(&self, timeout_ms: i32) {
        let mut pfd = libc::pollfd {
            fd: self.events.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call.
        unsafe {
            libc::poll(&mut pfd, 1, timeout_ms);
        }
    }

    pub fn lost(&self) -> u64 {
        self.lost.get(&0, 0).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::lockdown_advice;

    #[test]
    fn a_refusal_under_lockdown_names_the_mode_and_the_fix() {
        let advice = lockdown_advice("none integrity [confidentiality]\n");
        assert!(
            advice.contains("[confidentiality]") && advice.contains("lockdown=none"),
            "{advice}"
        );
        for off in ["[none] integrity confidentiality\n", ""] {
            let advice = lockdown_advice(off);
            assert!(
                !advice.contains("lockdown=none") && advice.contains("CAP_BPF"),
                "{advice}"
            );
        }
    }
}
