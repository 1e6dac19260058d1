//! `smtp-doctor monitor` (issue 8): the configuration check, `--once` against the lab and the
//! metrics server.

use std::path::PathBuf;

mod common;
use common::run_env;

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("smtp-doctor-monitor-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn check_config_reports_every_mistake_with_its_line_and_column() {
    let dir = TempDir::new("bad");
    let file = dir.write(
        "monitor.toml",
        "interval = \"soon\"\n[[check]]\nname = \"a\"\ncheck = \"mx.example.org\"\ntls = \"sometimes\"\n\
         [[check]]\ncheck = \"mx.example.net\"\n[[alert]]\nname = \"x\"\nwebhook = \"ftp://example.org\"\n",
    );
    let out = run_env(&["monitor", "--config", &file, "--check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for place in [
        ":1:12: error:",
        ":5:7: error:",
        ":6:1: error:",
        ":10:11: error:",
    ] {
        assert!(err.contains(place), "{place} missing in {err}");
    }
    assert!(err.contains("4 mistake(s)"), "{err}");
}

#[test]
fn check_config_accepts_a_good_file_and_warns_of_dns_checks() {
    let dir = TempDir::new("good");
    let file = dir.write(
        "monitor.toml",
        "[[check]]\nname = \"mx\"\ncheck = \"127.0.0.1:2525\"\ninterval = \"1m\"\n\
         [[check]]\nname = \"zone\"\ndns = \"example.org\"\n",
    );
    let out = run_env(&["monitor", "--config", &file, "--check-config"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(":7:7: warning: dns checks are not yet supported"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 check(s)"), "{text}");
    assert!(text.contains("monitor.db"), "{text}");
}
