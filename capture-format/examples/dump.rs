//! Prints a capture file's records, one per line (a debugging aid: `cargo run -p
//! agaudit-capture-format --example dump FILE`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("dump: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut reader = match agaudit_capture_format::Reader::new(&bytes) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dump: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    for r in reader.by_ref() {
        println!("{r:?}");
    }
    println!("end: {:?}", reader.end());
    ExitCode::SUCCESS
}
