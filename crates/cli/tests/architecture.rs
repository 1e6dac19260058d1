//! docs/ARCHITECTURE.md lists every crate of the workspace with exactly its workspace dependencies.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn architecture_doc_matches_the_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc =
        std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md reads");
    let mut documented = BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (dir, package, deps) = (
            cells[1].trim_matches('`'),
            cells[2].trim_matches('`'),
            cells[4],
        );
        let deps: BTreeSet<String> = deps
            .split(',')
            .map(|d| d.trim().trim_matches('`').to_string())
            .filter(|d| !d.is_empty())
            .collect();
        documented.insert((dir.to_string(), package.to_string(), deps));
    }
    let mut actual = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/ lists") {
        let dir = entry.expect("dir entry").path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = toml::from_str(&text).expect("Cargo.toml parses");
        let package = manifest["package"]["name"]
            .as_str()
            .expect("package name")
            .to_string();
        let deps: BTreeSet<String> = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| {
                t.keys()
                    .filter(|k| k.starts_with("smtp-doctor"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        actual.insert((name, package, deps));
    }
    assert!(actual.len() >= 5, "the workspace lost crates");
    assert_eq!(
        documented, actual,
        "docs/ARCHITECTURE.md's crate table differs from the workspace"
    );
}
