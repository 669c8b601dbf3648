//! The kernel side as user space sees it: loading and attaching bpf/capture.bpf.c's programs with
//! aya, the maps it shares, and the raw event layout it writes (mirrored field for field from
//! `struct event` / `struct exec_event` in the C source).
//!
//! In: the compiled object. Out: an attached [`Kernel`] and decoded [`Raw`] events.

use std::os::fd::AsRawFd;

use aya::maps::{Array, HashMap, MapData, RingBuf};
use aya::programs::{ProgramError, RawTracePoint};
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

/// Loads `object`, configures the filter, attaches every program. Errors carry the verifier's
/// message when the kernel refused a program.
pub fn load(object: &[u8], config: Config) -> Result<Kernel, String> {
    let (mode, cgroup) = (u32::from(config.cgroup.is_some()), config.cgroup.unwrap_or(0));
    let mut ebpf = EbpfLoader::new()
        .override_global("cgroup_mode", &mode, true)
        .override_global("target_cgroup", &cgroup, true)
        .load(object)
        .map_err(|e| format!("cannot load the eBPF object: {e}"))?;
    for (name, tracepoint) in [
        ("on_sys_enter", "sys_enter"),
        ("on_sys_exit", "sys_exit"),
        ("on_fork", "sched_process_fork"),
        ("on_exec", "sched_process_exec"),
        ("on_exit", "sched_process_exit"),
    ] {
        let program: &mut RawTracePoint = ebpf
            .program_mut(name)
            .ok_or_else(|| format!("the eBPF object has no program {name}"))?
            .try_into()
            .map_err(|e| format!("{name} is not a raw tracepoint program: {e}"))?;
        program.load().map_err(|e| match e {
            ProgramError::LoadError { io_error, verifier_log } => {
                format!("the kernel refused program {name} ({io_error}); the verifier said:\n{verifier_log}")
            }
            e => format!("cannot load program {name}: {e}"),
        })?;
        program
            .attach(tracepoint)
            .map_err(|e| format!("cannot attach {name} to the raw tracepoint {tracepoint}: {e}"))?;
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
