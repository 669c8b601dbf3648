//! The agaudit binary: everything lives in the library; this maps the result to an exit code.

// Parsing allocates many short strings per record from several threads; mimalloc measured
// markedly faster than glibc malloc there (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away (`agaudit log |
    // head`) instead of panicking on the failed write; Rust ignores SIGPIPE by default.
    // SAFETY: called first thing, before any other thread exists; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // mimalloc asks the kernel for transparent huge pages. Parsing and encoding free and reuse
    // chunk-sized buffers all the time, and the kernel then zeroes whole 2 MiB pages again and
    // again: most of ingest's system time and a fifth of its peak memory (docs/benchmarks.md,
    // "Ingest without transparent huge pages"). Ordinary pages for this process only.
    // SAFETY: a prctl on this process with constant arguments; failing leaves the default.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    agaudit::cli::run()
}
