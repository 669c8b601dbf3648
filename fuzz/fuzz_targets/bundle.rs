//! Fuzz target `bundle`: evidence-bundle verification (verify/src/bundle.rs: the tar archive,
//! manifest, signature, member hashes, ledger slice and custody checks) and its reports. A
//! bundle reaches an auditor from outside; every check must give a verdict for any bytes.
//!
//! Input: a bundle file. The key is the fixtures' signer, so the seed fixtures/bundles/good.tar
//! verifies and its mutations exercise every check past the signature.

#![no_main]

use agaudit_verify::{bundle, report};
use libfuzzer_sys::fuzz_target;
use minisign_verify::PublicKey;

const SIGNER_PUB: &str = include_str!("../../fixtures/bundles/signer.pub");

fuzz_target!(|data: &[u8]| {
    // As verify/src/cli.rs read_key does with a .pub file.
    let key = PublicKey::decode(SIGNER_PUB).expect("fixtures/bundles/signer.pub is a minisign public key");
    let r = bundle::verify(data, &key, None);
    assert!(!r.checks.is_empty(), "every bundle gets at least the archive check");
    if r.valid() {
        assert_eq!(r.records_valid, r.records_total, "a valid bundle's records all verify");
    }
    let _ = report::text("fuzz.tar", &r);
    let _ = report::json("fuzz.tar", None, &r);
});
