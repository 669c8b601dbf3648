//! Prints a capture file's records, one per line (a debugging aid: `cargo run -p
//! agaudit-capture-format --example dump FILE`).

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let bytes = std::fs::read(&path).expect("readable file");
    let mut reader = agaudit_capture_format::Reader::new(&bytes).expect("a capture file");
    for r in reader.by_ref() {
        println!("{r:?}");
    }
    println!("end: {:?}", reader.end());
}
