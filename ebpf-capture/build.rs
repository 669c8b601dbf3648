//! Builds the kernel program: bpf/capture.bpf.c compiled by Debian's clang (clang-19 first) when
//! one is installed, else the committed, stripped bpf/capture.bpf.o, so that building the
//! workspace never requires clang. EBPF_CAPTURE_PREBUILT=1 forces the committed object (CI builds
//! both and compares what they record, so the committed one cannot go stale unnoticed).
//!
//! Out: $OUT_DIR/capture.bpf.o, and EBPF_CAPTURE_OBJECT (how it was made) for the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("capture.bpf.o");
    let source = dir.join("bpf/capture.bpf.c");
    let prebuilt = dir.join("bpf/capture.bpf.o");
    for p in [&source, &prebuilt, &dir.join("bpf/vmlinux.h")] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-env-changed=EBPF_CAPTURE_PREBUILT");
    let forced = std::env::var("EBPF_CAPTURE_PREBUILT").is_ok_and(|v| v == "1");
    let how = match (forced, compile(&source, &out)) {
        (false, Some(clang)) => format!("built from bpf/capture.bpf.c by {clang}"),
        _ => {
            if let Err(e) = std::fs::copy(&prebuilt, &out) {
                panic!(
                    "no clang to build {} and the prebuilt {} cannot be copied ({e})",
                    source.display(),
                    prebuilt.display()
                );
            }
            "prebuilt bpf/capture.bpf.o".to_string()
        }
    };
    println!("cargo:rustc-env=EBPF_CAPTURE_OBJECT={how}");
}

/// Compiles and strips (keeping .BTF and .BTF.ext) with the first clang found; None when none is.
fn compile(source: &Path, out: &Path) -> Option<String> {
    for clang in ["clang-19", "clang-18", "clang-17", "clang-16", "clang"] {
        let ok = Command::new(clang)
            .args(["-target", "bpf", "-D__TARGET_ARCH_x86", "-O2", "-g", "-Wall", "-c"])
            .arg(source)
            .arg("-o")
            .arg(out)
            .status();
        match ok {
            Ok(s) if s.success() => {
                let version = clang.trim_start_matches("clang").trim_start_matches('-');
                for strip in [format!("llvm-strip-{version}"), "llvm-strip".to_string()] {
                    if Command::new(&strip)
                        .args(["-g"])
                        .arg(out)
                        .status()
                        .is_ok_and(|s| s.success())
                    {
                        break;
                    }
                }
                return Some(clang.to_string());
            }
            Ok(_) => panic!("{clang} failed to compile {}: see the messages above", source.display()),
            Err(_) => continue,
        }
    }
    None
}
