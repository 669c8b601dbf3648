//! The harness of the CLI tests: a builder for running the agaudit binary, and prepared cases.
//!
//! A prepared case is built once per build of the binary — shared by all the test processes
//! nextest starts, through a lock file in Cargo's scratch directory — and every test gets its own
//! copy, so a test can correlate, diff or tamper with it without rebuilding it or disturbing
//! another. Building one is what a test of it would do anyway: the real `agaudit ingest` and
//! `agaudit correlate` on the committed fixtures.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One run of the agaudit binary, with no AGAUDIT_CASE, COLUMNS or NO_COLOR from the
/// environment (tables are then 100 columns wide, as the goldens and the README show them).
pub struct Agaudit(Command);

impl Default for Agaudit {
    fn default() -> Agaudit {
        let mut c = Command::new(env!("CARGO_BIN_EXE_agaudit"));
        c.env_remove("AGAUDIT_CASE")
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR");
        Agaudit(c)
    }
}

impl Agaudit {
    pub fn new() -> Agaudit {
        Agaudit::default()
    }

    /// The same, prefixed by `runner` (e.g. setpriv to run as another user).
    pub fn under(runner: &str, runner_args: &[&str]) -> Agaudit {
        let mut c = Command::new(runner);
        c.args(runner_args)
            .arg(env!("CARGO_BIN_EXE_agaudit"))
            .env_remove("AGAUDIT_CASE")
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR");
        Agaudit(c)
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Agaudit {
        self.0.arg(a);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Agaudit {
        self.0.args(args);
        self
    }

    /// `--case DIR`.
    pub fn case(self, dir: &Path) -> Agaudit {
        self.arg("--case").arg(dir)
    }

    /// Run from the repository root, so relative fixture paths (and the evidence references
    /// that name them) do not depend on where the repository is checked out.
    pub fn at_root(mut self) -> Agaudit {
        self.0.current_dir(root());
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Agaudit {
        self.0.env(k, v);
        self
    }

    pub fn env_remove(mut self, k: &str) -> Agaudit {
        self.0.env_remove(k);
        self
    }

    pub fn no_stdin(mut self) -> Agaudit {
        self.0.stdin(Stdio::null());
        self
    }

    /// Runs it; a panic (exit 101) fails the test whatever the caller expects.
    pub fn run(mut self) -> Output {
        let out = self.0.output().expect("the agaudit binary runs");
        assert_ne!(out.status.code(), Some(101), "agaudit panicked: {}", text(&out));
        out
    }

    /// Runs it and checks the exit code, showing the output when it differs.
    pub fn expect(self, code: i32) -> Output {
        let out = self.run();
        assert_eq!(out.status.code(), Some(code), "{}", text(&out));
        out
    }
}

/// Stdout then stderr, for messages and assertions on what a user sees.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of the case `name`, made by `build` the first time any test of this build (and of
/// this fixture set) asks for it. `build` gets an empty directory and must leave the case in its `case/` and anything else
/// tests need (the JSON a command printed) beside it; the second value is that directory, to read
/// those from (never to write).
pub fn prepared(name: &str, build: fn(&Path)) -> (tempfile::TempDir, PathBuf) {
    let binary = fs::metadata(env!("CARGO_BIN_EXE_agaudit")).expect("the agaudit binary exists");
    let stamp = binary
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("prepared");
    fs::create_dir_all(&base).expect("the scratch directory is writable");
    // A live fixture run (scripts/test) builds its own cases from its own files.
    let fixtures = std::env::var("AGAUDIT_PGAUDIT_FIXTURES").unwrap_or_default();
    let source = fixtures
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let dir = base.join(format!("{name}-{stamp:x}-{:x}-{source:x}", binary.len()));
    let lock = fs::File::create(base.join(format!("{name}.lock"))).expect("the lock file opens");
    lock.lock().expect("the lock is taken");
    if !dir.join(".complete").exists() {
        let partial = base.join(format!("{name}.partial"));
        let _ = fs::remove_dir_all(&partial);
        fs::create_dir_all(&partial).expect("the scratch directory is writable");
        build(&partial);
        fs::write(partial.join(".complete"), "").expect("the marker is written");
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&partial, &dir).expect("the prepared case moves into place");
    }
    drop(lock);
    let copy = tempfile::TempDir::new().expect("a temporary directory");
    copy_tree(&dir.join("case"), copy.path());
    (copy, dir)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("the prepared case is readable") {
        let entry = entry.expect("the prepared case is readable");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            fs::create_dir_all(&target).expect("the copy is writable");
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("the copy is writable");
        }
    }
}
