//! verify/testdata/tree.json: language-neutral vectors for the ledger's Merkle tree (leaf
//! inputs, every prefix root, every inclusion and consistency proof of trees up to 8 leaves),
//! as transparency-dev's testdata does for RFC 6962. This test holds the implementation to them
//! (BLESS=1 rewrites them); tests/interop/verify_tree_by_hand.py recomputes them from
//! docs/ledger.md alone.

use agaudit_verify::to_hex;
use agaudit_verify::tree;

const MAX: usize = 8;

fn hexes(hs: &[tree::Hash]) -> String {
    let items: Vec<String> = hs.iter().map(|h| format!("\"{}\"", to_hex(h))).collect();
    format!("[{}]", items.join(", "))
}

fn vectors() -> String {
    let inputs: Vec<Vec<u8>> = (0..MAX)
        .map(|i| format!("seq={} ts=2026-12-05T00:00:00Z kind=vector n={i}", i + 1).into_bytes())
        .collect();
    let leaves = tree::leaves(inputs.iter().map(Vec::as_slice));
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"leaf_context\": \"{}\",\n", tree::LEAF_CONTEXT));
    out.push_str(&format!("  \"node_context\": \"{}\",\n", tree::NODE_CONTEXT));
    let inputs_hex: Vec<String> = inputs
        .iter()
        .map(|b| format!("\"{}\"", b.iter().map(|x| format!("{x:02x}")).collect::<String>()))
        .collect();
    out.push_str(&format!("  \"leaf_inputs\": [{}],\n", inputs_hex.join(", ")));
    out.push_str(&format!("  \"leaf_hashes\": {},\n", hexes(&leaves)));
    let roots: Vec<String> = (1..=MAX)
        .map(|n| {
            format!(
                "    {{\"size\": {n}, \"root\": \"{}\"}}",
                to_hex(&tree::root(&leaves[..n]))
            )
        })
        .collect();
    out.push_str(&format!("  \"roots\": [\n{}\n  ],\n", roots.join(",\n")));
    let mut inclusion = Vec::new();
    for n in 1..=MAX {
        for i in 0..n {
            inclusion.push(format!(
                "    {{\"index\": {i}, \"size\": {n}, \"path\": {}}}",
                hexes(&tree::inclusion_proof(&leaves[..n], i))
            ));
        }
    }
    out.push_str(&format!("  \"inclusion\": [\n{}\n  ],\n", inclusion.join(",\n")));
    let mut consistency = Vec::new();
    for n in 1..=MAX {
        for m in 1..=n {
            consistency.push(format!(
                "    {{\"old_size\": {m}, \"new_size\": {n}, \"path\": {}}}",
                hexes(&tree::consistency_proof(&leaves[..n], m))
            ));
        }
    }
    out.push_str(&format!("  \"consistency\": [\n{}\n  ]\n}}\n", consistency.join(",\n")));
    out
}

#[test]
fn the_tree_matches_its_committed_vectors() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tree.json");
    let now = vectors();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        committed,
        now,
        "{} differs (BLESS=1 rewrites it after review)",
        path.display()
    );
}
