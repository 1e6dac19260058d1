//! Build script: parses the knowledge base's TOML data files and compiles them into a `Kb` once,
//! at build time, and stores it as postcard bytes that `builtin()` decodes at start-up: parsing
//! and compiling (the phrase automaton above all) were most of a run's start-up. A data file that
//! does not parse, or an entry that breaks a rule, fails the build with the file and the reason.

// The library's own modules, so that the build compiles the data with the very code that reads it.
#[allow(dead_code, unreachable_pub)]
#[path = "src/classify.rs"]
mod classify;
#[allow(dead_code, unreachable_pub)]
#[path = "src/entry.rs"]
mod entry;
#[allow(dead_code, unreachable_pub)]
#[path = "src/extract.rs"]
mod extract;

use std::path::PathBuf;

/// What `Kb::entries` reads on a decoded knowledge base; the build script decodes none.
const DATA_FILES: &[(&str, &str)] = &[];

/// The data files in load order: an entry's position breaks ties in the ranking.
const FILES: &[&str] = &[
    "reply-codes.toml",
    "enhanced-codes.toml",
    "core.toml",
    "generic.toml",
    "clients.toml",
    "mta.toml",
    "dnsbl.toml",
    "dns.toml",
    "dns-records.toml",
    "providers.toml",
];

fn main() {
    let dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("data");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!("cargo::rerun-if-changed=data");
    let mut parsed = Vec::new();
    let mut list = String::from("&[\n");
    for name in FILES {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let data: entry::DataFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        parsed.push(data);
        list.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    list.push(']');
    let kb = classify::Kb::from_data(parsed).unwrap_or_else(|e| panic!("{e}"));
    let bytes =
        postcard::to_allocvec(&kb).unwrap_or_else(|e| panic!("encoding the knowledge base: {e}"));
    std::fs::write(out.join("kb.postcard"), bytes)
        .unwrap_or_else(|e| panic!("writing kb.postcard: {e}"));
    std::fs::write(out.join("data_files.rs"), list)
        .unwrap_or_else(|e| panic!("writing data_files.rs: {e}"));
}
