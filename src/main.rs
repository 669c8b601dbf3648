//! The agaudit binary: everything lives in the library; this maps the result to an exit code.

// Parsing allocates many short strings per record from several threads; mimalloc measured
// markedly faster than glibc malloc there (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    agaudit::cli::run()
}
