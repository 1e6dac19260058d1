//! What the tests of every crate share: the `../shared` folder beside the project (corpus, lab,
//! tools), found the same way, and the same rule when a part of it or of the machine is missing:
//! a visible `SKIPPED` notice, but a failure under `CI=true`, where everything must be present.

use std::path::{Path, PathBuf};

/// `../shared/<sub>` beside the project when it and each of `needs` (paths under it) exist; else
/// `None` after [`skip`].
pub fn shared(sub: &str, needs: &[&str]) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(sub);
    let missing = std::iter::once(dir.clone())
        .chain(needs.iter().map(|n| dir.join(n)))
        .find(|p| !p.exists());
    match missing {
        None => Some(dir),
        Some(p) => {
            skip(&format!("{} is missing", p.display()));
            None
        }
    }
}

/// Says that a test cannot run and why: a panic under `CI=true` (or `CI=1`), else a `SKIPPED`
/// notice on stderr (the caller then returns).
pub fn skip(why: &str) {
    assert!(!in_ci(), "CI=true but {why}");
    eprintln!("SKIPPED: {why}");
}

/// True under CI (`CI=true` or `CI=1`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_part_is_named() {
        // Under CI the corpus is there; elsewhere a missing one only skips.
        if let Some(dir) = super::shared("", &[]) {
            assert!(dir.ends_with("shared"));
        }
        let missing = std::panic::catch_unwind(|| super::shared("", &["no/such/file"]));
        if super::in_ci() {
            assert!(missing.is_err(), "under CI a missing part fails the test");
        } else {
            assert_eq!(missing.ok().flatten(), None);
        }
    }
}
