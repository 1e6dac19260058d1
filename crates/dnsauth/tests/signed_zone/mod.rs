//! A DNSSEC-signed zone served by a knotd of the test's own (never the shared lab server on
//! 5353), on a free loopback port, shared by dnsauth's DNSSEC test and the CLI's `dns` test.
//!
//! `dane.test` is signed by Knot's `kzonesign` (ECDSA P-256, NSEC) and served pre-signed
//! (`dnssec-signing` off), with one record changed after signing: the TLSA record of
//! `bad.dane.test`, whose RRSIG therefore no longer verifies (bogus). `plain.dane.test` is an
//! unsigned zone delegated from it without a DS (insecure: the parent's NSEC proves there is no
//! DS). The trust anchor is the zone's DNSKEY set as `kdig DNSKEY` prints it.
//!
//! Needs `knotd`, `kzonesign` (knot-dnssecutils) and `kdig` (knot-dnsutils), which
//! `../shared/lab/start-dns.sh` installs. Under `CI=true` their absence is a failure; outside
//! CI the test prints a `SKIPPED` notice.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The signed zone.
pub const ZONE: &str = "dane.test";
/// The unsigned zone delegated from it.
pub const PLAIN: &str = "plain.dane.test";
/// The TLSA data of `mx.dane.test` (its RRSIG verifies).
pub const GOOD_TLSA: &str =
    "3 1 1 1111111111111111111111111111111111111111111111111111111111111111";
/// The TLSA data `bad.dane.test` was signed with; the served record has 3s instead.
const SIGNED_BAD: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const SERVED_BAD: &str = "3333333333333333333333333333333333333333333333333333333333333333";

const PARENT: &str = "$ORIGIN dane.test.
$TTL 300
@     SOA ns.dane.test. hostmaster.dane.test. 1 3600 900 604800 300
@     NS  ns.dane.test.
ns    A   127.0.0.1
@     MX  10 mx.dane.test.
@     MX  20 bad.dane.test.
mx    A   127.0.0.1
bad   A   127.0.0.1
_25._tcp.mx  TLSA 3 1 1 1111111111111111111111111111111111111111111111111111111111111111
_25._tcp.bad TLSA 3 1 1 2222222222222222222222222222222222222222222222222222222222222222
plain NS  ns.dane.test.
";

const CHILD: &str = "$ORIGIN plain.dane.test.
$TTL 300
@     SOA ns.dane.test. hostmaster.dane.test. 1 3600 900 604800 300
@     NS  ns.dane.test.
@     MX  10 mx.plain.dane.test.
mx    A   127.0.0.1
_25._tcp.mx  TLSA 3 1 1 4444444444444444444444444444444444444444444444444444444444444444
";

/// A running knotd serving the zones; stopped (by its own pid) and its files removed on drop.
pub struct SignedZone {
    /// Where it answers (UDP and TCP).
    pub addr: SocketAddr,
    /// The trust-anchor file: `kdig DNSKEY dane.test` output.
    pub anchors: PathBuf,
    dir: PathBuf,
    pid: Option<u32>,
}

use smtp_doctor_testkit::in_ci as ci;

/// The signed zone, or `None` after a `SKIPPED` notice (a panic under CI) when it cannot run.
pub fn need_signed_zone(test: &str) -> Option<SignedZone> {
    match SignedZone::start() {
        Ok(z) => Some(z),
        Err(why) if ci() => panic!("{test}: {why}"),
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            None
        }
    }
}

/// Runs `program args`, its output if it succeeds.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program} ({e}): install knot, knot-dnsutils and knot-dnssecutils (../shared/lab/start-dns.sh does)"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A loopback port free for both UDP and TCP right now.
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

impl SignedZone {
    /// Signs the zone, tampers with it, starts knotd and reads the trust anchor.
    pub fn start() -> Result<SignedZone, String> {
        let dir = std::env::temp_dir().join(format!(
            "smtp-doctor-signed-zone-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["db", "zones", "signed", "run"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
        }
        let port = free_port();
        let mut zone = SignedZone {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            anchors: dir.join("anchors"),
            dir,
            pid: None,
        };
        let d = zone.dir.to_string_lossy().into_owned();
        write(&zone.dir.join("zones/dane.test.zone"), PARENT);
        write(&zone.dir.join("zones/plain.dane.test.zone"), CHILD);
        write(
            &zone.dir.join("sign.conf"),
            &format!(
                "database:\n  storage: \"{d}/db\"\npolicy:\n  - id: lab\n    algorithm: ecdsap256sha256\n\
template:\n  - id: default\n    storage: \"{d}/zones\"\n    file: \"%s.zone\"\n\
zone:\n  - domain: {ZONE}\n    dnssec-signing: on\n    dnssec-policy: lab\n"
            ),
        );
        run(
            "kzonesign",
            &[
                "-c",
                &format!("{d}/sign.conf"),
                "-o",
                &format!("{d}/signed"),
                ZONE,
            ],
        )?;
        let signed = zone.dir.join("signed/dane.test.zone");
        let text = std::fs::read_to_string(&signed).map_err(|e| e.to_string())?;
        if !text.contains("RRSIG") || !text.contains(SIGNED_BAD) {
            return Err(format!("kzonesign wrote no signed zone: {text}"));
        }
        write(&signed, &text.replace(SIGNED_BAD, SERVED_BAD));
        write(
            &zone.dir.join("knot.conf"),
            &format!(
                "server:\n  rundir: \"{d}/run\"\n  listen: [ 127.0.0.1@{port} ]\n\
database:\n  storage: \"{d}/db\"\nlog:\n  - target: \"{d}/knotd.log\"\n    any: info\n\
template:\n  - id: default\n    file: \"%s.zone\"\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n\
zone:\n  - domain: {ZONE}\n    storage: \"{d}/signed\"\n  - domain: {PLAIN}\n    storage: \"{d}/zones\"\n"
            ),
        );
        run("knotd", &["-c", &format!("{d}/knot.conf"), "-d"])?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let server = format!("@{}", zone.addr.ip());
        let port = port.to_string();
        let kdig = |name: &str, rtype: &str| {
            run(
                "kdig",
                &[&server, "-p", &port, "+timeout=1", "+retry=0", name, rtype],
            )
        };
        loop {
            if zone.pid.is_none() {
                zone.pid = std::fs::read_to_string(zone.dir.join("run/knot.pid"))
                    .ok()
                    .and_then(|p| p.trim().parse().ok());
            }
            let dnskey = kdig(ZONE, "DNSKEY").unwrap_or_default();
            let child = kdig(PLAIN, "SOA").unwrap_or_default();
            if zone.pid.is_some() && dnskey.contains("DNSKEY\t257") && child.contains("SOA\t") {
                write(&zone.anchors, &dnskey);
                return Ok(zone);
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(zone.dir.join("knotd.log")).unwrap_or_default();
                return Err(format!(
                    "knotd does not serve {ZONE} on {} within 10 s: {log}",
                    zone.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SignedZone {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            // knotd removes its pid file as it exits.
            let pid_file = self.dir.join("run/knot.pid");
            let deadline = Instant::now() + Duration::from_secs(5);
            while pid_file.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
