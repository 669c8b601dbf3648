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
    agaudit::cli::run()
}
