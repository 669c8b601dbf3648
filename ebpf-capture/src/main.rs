//! ebpf-capture: kernel ground truth for agaudit. Follows a process tree (or a cgroup) with
//! eBPF and writes what it does to files, processes and the network to a capture file that
//! `agaudit ingest` reads (format: the agaudit-capture-format crate, docs/formats.md).
//!
//! In: a command, a pid or a cgroup. Out: the capture file; exit code 0 (the command's own with
//! `-- CMD`), 2 when it cannot record (not root, no BTF, a program refused).

mod kernel;
mod record;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// ebpf-capture: record what a process tree does, from the kernel.
#[derive(Debug, Parser)]
#[command(name = "ebpf-capture", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    Record(RecordArgs),
}

/// Follow a process tree and record its execs, forks, exits, opens for writing, writes
/// (aggregated per process and file), unlinks, renames, truncates, chmods, connects and sends.
///
/// Needs root. Exactly one of --pid, --cgroup or -- CMD. Stops when the followed processes have
/// all exited, after --duration, or on SIGINT/SIGTERM, and ends the file with a trailer (counts,
/// events lost). argv and paths are secret-scanned before they are written; of the environment
/// only the allow-listed variables are kept.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["pid", "cgroup", "command"])))]
struct RecordArgs {
    /// Capture file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,

    /// Follow this running process and every process it starts.
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,

    /// Follow every process in this cgroup v2 directory.
    #[arg(long, value_name = "PATH")]
    cgroup: Option<PathBuf>,

    /// With -- CMD: run it in a new cgroup v2 of its own (removed when the tree has exited), so
    /// the cgroup id in every event names this session.
    #[arg(long, requires = "command")]
    new_cgroup: bool,

    /// Stop after this many seconds.
    #[arg(long, value_name = "S")]
    duration: Option<f64>,

    /// Environment variables to record from exec (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NAME,...",
        default_value = "AGENT_ID,AGENT_SESSION_ID,OTEL_RESOURCE_ATTRIBUTES,TRACEPARENT"
    )]
    env_allow: Vec<String>,

    /// Load this eBPF object instead of the built-in one (to compare builds).
    #[arg(long, value_name = "FILE", hide = true)]
    bpf_object: Option<PathBuf>,

    /// The command to start and follow.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Cmd::Record(a) = cli.command;
    let target = match (a.pid, a.cgroup, a.command.is_empty()) {
        (Some(p), None, true) => record::Target::Pid(p),
        (None, Some(c), true) => record::Target::Cgroup(c),
        (None, None, false) => record::Target::Command(a.command),
        _ => {
            eprintln!("ebpf-capture: give exactly one of --pid, --cgroup or -- CMD");
            return ExitCode::from(2);
        }
    };
    let options = record::Options {
        out: a.out,
        target,
        new_cgroup: a.new_cgroup,
        duration: a.duration.map(Duration::from_secs_f64),
        env_allow: a.env_allow,
        object: a.bpf_object,
    };
    match record::run(options) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("ebpf-capture: error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// man/ebpf-capture.8 and man/ebpf-capture-record.8 are generated from this definition;
    /// BLESS=1 rewrites them.
    #[test]
    fn man_pages_are_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../man");
        let cmd = super::Cli::command();
        let mut pages = vec![("ebpf-capture".to_string(), cmd.clone())];
        for sub in cmd.get_subcommands() {
            let name: &'static str = format!("ebpf-capture-{}", sub.get_name()).leak();
            pages.push((name.to_string(), sub.clone().name(name)));
        }
        let mut stale = Vec::new();
        for (file, cmd) in pages {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).section("8").render(&mut page).unwrap();
            let path = root.join(if file.ends_with(".8") {
                file.to_string()
            } else {
                format!("{file}.8")
            });
            if std::env::var_os("BLESS").is_some() {
                std::fs::write(&path, &page).unwrap();
            } else if std::fs::read(&path).ok().as_deref() != Some(&page[..]) {
                stale.push(path.display().to_string());
            }
        }
        assert!(
            stale.is_empty(),
            "stale man pages (BLESS=1 cargo test -p ebpf-capture man_pages): {stale:?}"
        );
    }
}
