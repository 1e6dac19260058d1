//! Helpers shared by the binary's integration tests: running a program under a time limit, a
//! `smtp-doctor lab` child process, and tiny DNS servers that fail on purpose.
// Each test file uses only some of these.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_smtp-doctor");
/// Longest any one run of a program may take.
pub(crate) const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Runs the binary with `args`, `NO_COLOR` removed, and `stdin` as its input (closed when
/// `None`). The input is written beside the reading of the output: a large input would
/// otherwise fill the output pipe while the test still writes, and both sides would wait.
pub(crate) fn run_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env("SMTP_DOCTOR_CONFIG", "")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary starts");
    let pipe = child.stdin.take();
    std::thread::scope(|s| {
        if let (Some(mut pipe), Some(data)) = (pipe, stdin) {
            s.spawn(move || pipe.write_all(data).expect("stdin takes the input"));
        }
        child.wait_with_output().expect("the binary finishes")
    })
}

/// Runs `program args` with extra environment (and `NO_COLOR` removed), stdin closed; killed
/// and a panic if it outlives [`RUN_LIMIT`].
pub(crate) fn spawn_limited(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("NO_COLOR")
        // Never the developer's own configuration file (a test may name one in `env`).
        .env("SMTP_DOCTOR_CONFIG", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the program starts");
    // Both pipes are drained while the child runs: output larger than a pipe holds would
    // otherwise stop the child in write() until it is killed.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("{program} {args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// `smtp-doctor ARGS` (the binary), with extra environment.
pub(crate) fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    spawn_limited(BIN, args, env)
}

/// A running `smtp-doctor lab`, as printed: the CA file and each scenario's address.
/// Stopped (end of input) on [`LabProcess::stop`] or drop.
pub(crate) struct LabProcess {
    child: Child,
    /// Every line printed up to the `Try:` line.
    pub(crate) lines: Vec<String>,
}

impl LabProcess {
    /// Starts `[prefix...] smtp-doctor lab ARGS` (a prefix such as `ip netns exec NS` runs it
    /// elsewhere) and waits at most 20 s for its listing.
    pub(crate) fn start(prefix: &[&str], args: &[&str]) -> LabProcess {
        let (program, rest) = match prefix.split_first() {
            Some((p, rest)) => (*p, rest.to_vec()),
            None => (BIN, Vec::new()),
        };
        let mut cmd = Command::new(program);
        cmd.args(&rest);
        if !prefix.is_empty() {
            cmd.arg(BIN);
        }
        let mut child = cmd
            .arg("lab")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the lab starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        while !lines.iter().any(|l: &String| l.starts_with("Try:")) {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => lines.push(l),
                Err(_) => {
                    let _ = child.kill();
                    let mut err = String::new();
                    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                    panic!("the lab printed {lines:?} and then nothing; stderr: {err}");
                }
            }
        }
        LabProcess { child, lines }
    }

    /// Word `n` (0-based) of the first line that starts with `prefix`.
    pub(crate) fn field(&self, prefix: &str, n: usize) -> String {
        self.lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(n))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no {prefix:?} line in {:?}", self.lines))
    }

    /// The CA certificate file the lab wrote.
    pub(crate) fn ca(&self) -> String {
        self.field("CA certificate:", 2)
    }

    /// The address of a scenario, as printed (`127.0.0.1:PORT`, `[::1]:PORT`).
    pub(crate) fn addr(&self, scenario: &str) -> String {
        self.field(&format!("{scenario} "), 1)
    }

    /// Ends the lab's input and waits (at most 20 s) for it to exit; its status and stderr.
    pub(crate) fn stop(mut self) -> (ExitStatus, String) {
        drop(self.child.stdin.take());
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("the lab did not stop at end of input");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .map(|mut e| e.read_to_string(&mut err));
        let _ = std::io::stdout().flush();
        (status, err)
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The values of `key` in each object of the array `list` of `v` that are strings, in order:
/// `strings(attempt, "stages", "name")` lists the stage names of an attempt.
pub(crate) fn strings<'a>(v: &'a serde_json::Value, list: &str, key: &str) -> Vec<&'a str> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no array {list:?} in {v:#}"))
        .iter()
        .filter_map(|item| item[key].as_str())
        .collect()
}

/// How a test DNS server fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DnsFault {
    /// Every query is answered REFUSED.
    Refused,
    /// No query is ever answered (over TCP: accepted, then silence).
    Silent,
}

/// A DNS server on 127.0.0.1 (UDP and TCP, the same port) that fails every query the same
/// way; it lives as long as the test process.
pub(crate) fn failing_dns(fault: DnsFault) -> SocketAddr {
    // The TCP port first, then the same UDP port; another process may hold that one.
    for _ in 0..20 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("a TCP port");
        let addr = tcp.local_addr().expect("its address");
        let Ok(udp) = UdpSocket::bind(addr) else {
            continue;
        };
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = udp.recv_from(&mut buf) {
                if let (DnsFault::Refused, Some(reply)) = (fault, refused(&buf[..n])) {
                    let _ = udp.send_to(&reply, peer);
                }
            }
        });
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in tcp.incoming().map_while(Result::ok) {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                if fault == DnsFault::Refused {
                    let mut len = [0u8; 2];
                    if stream.read_exact(&mut len).is_ok() {
                        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        if stream.read_exact(&mut query).is_ok() {
                            if let Some(reply) = refused(&query) {
                                let n = u16::try_from(reply.len()).unwrap_or(0).to_be_bytes();
                                let _ = stream.write_all(&[&n[..], &reply].concat());
                            }
                        }
                    }
                }
                // Silent: keep the connection open and say nothing.
                held.push(stream);
            }
        });
        return addr;
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// The REFUSED answer to a DNS query: its id and question, no records.
fn refused(query: &[u8]) -> Option<Vec<u8>> {
    let header = query.get(..12)?;
    // The question: labels up to the root label, then type and class.
    let mut at = 12;
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1 + len;
        if len == 0 {
            break;
        }
    }
    let question = query.get(12..at + 4)?;
    let mut reply = Vec::with_capacity(12 + question.len());
    reply.extend_from_slice(&header[..2]);
    // QR, the query's opcode and RD; RA; RCODE 5 (REFUSED).
    reply.push(0x80 | (header[2] & 0x79));
    reply.push(0x80 | 5);
    reply.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    reply.extend_from_slice(question);
    Some(reply)
}

/// `schema/finding.v1.json`: the finding object every subcommand's schema references.
pub(crate) const FINDING_SCHEMA: &str = include_str!("../../../../schema/finding.v1.json");

/// `schema/dns.v1.json`, which `check.v1.json` references for its `dns` field.
fn dns_schema() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../../schema/dns.v1.json"))
        .expect("dns.v1.json is JSON")
}

/// The finding schema, parsed.
fn finding_schema() -> serde_json::Value {
    serde_json::from_str(FINDING_SCHEMA).expect("finding.v1.json is JSON")
}

/// A validator for a subcommand's schema (its text), with `finding.v1.json` and `dns.v1.json`
/// registered under their `$id`, so that the schema's `$ref` to it resolves without any retrieval.
pub(crate) fn schema_validator(text: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(text).expect("schema is JSON");
    let mut options = jsonschema::options();
    for resource in [finding_schema(), dns_schema()] {
        let id = resource["$id"]
            .as_str()
            .expect("a schema has an $id")
            .to_string();
        let resource = jsonschema::Resource::from_contents(resource).expect("the schema loads");
        options = options.with_resource(id, resource);
    }
    options.build(&schema).expect("schema compiles")
}

/// A validator of one finding object: `finding.v1.json`, closed to other properties.
pub(crate) fn finding_validator() -> jsonschema::Validator {
    let id = finding_schema()["$id"].clone();
    let closed = serde_json::json!({ "$ref": id, "unevaluatedProperties": false }).to_string();
    schema_validator(&closed)
}

/// The names of the finding's fields (`required` of `finding.v1.json`: every field).
pub(crate) fn finding_fields() -> Vec<String> {
    finding_schema()["required"]
        .as_array()
        .expect("finding.v1.json lists its fields")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

// ---- the lab servers of ../shared/lab ----------------------------------------------------------

/// Longest the lab scripts may take when a test starts them (first run: apt-get).
pub(crate) const START_LIMIT: Duration = Duration::from_secs(900);

/// True under `CI=true` (or `CI=1`): missing lab servers are failures, not skips.
pub(crate) use smtp_doctor_testkit::in_ci as ci;

/// True when the tests run as root (the lab scripts need it).
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `../shared/lab` beside the repository.
pub(crate) fn shared_lab() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab")
}

/// True when something accepts TCP connections on 127.0.0.1:`port` (within 2 s).
pub(crate) fn listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// Runs a lab script, killed if it outlives `limit`; its output goes to the test's stderr.
pub(crate) fn run_script(script: &Path, args: &[&str], limit: Duration) -> Result<(), String> {
    let mut child = Command::new("bash")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return if status.success() {
                Ok(())
            } else {
                Err(format!("{} {args:?} failed: {status}", script.display()))
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} ran longer than {limit:?}", script.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The lab's Knot DNS server for `lab.test`.
pub(crate) const LAB_DNS: &str = "127.0.0.1:5353";

/// `true` when the lab DNS server answers on 127.0.0.1:5353. Under `CI=true` a silent server
/// is a panic; outside CI, as root, `start-dns.sh` is run once to start it; otherwise the test
/// prints a visible `SKIPPED` notice and returns `false`.
pub(crate) fn need_lab_dns(test: &str) -> bool {
    static READY: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let ready = READY.get_or_init(|| {
        if listening(5353) {
            return Ok(());
        }
        if ci() {
            return Err(
                "under CI=true the lab DNS server must be running (.ci/run starts it \
                        with ../shared/lab/start-dns.sh), but nothing answers on 127.0.0.1:5353"
                    .to_string(),
            );
        }
        let script = shared_lab().join("start-dns.sh");
        if !script.exists() {
            return Err(format!(
                "the lab DNS server is not running and {} is missing",
                script.display()
            ));
        }
        if !is_root() {
            return Err(format!(
                "the lab DNS server is not running; starting it needs root: sudo {}",
                script.display()
            ));
        }
        eprintln!("starting the lab DNS server with {}", script.display());
        run_script(&script, &[], START_LIMIT)?;
        if listening(5353) {
            Ok(())
        } else {
            Err("start-dns.sh ran but nothing answers on 127.0.0.1:5353".to_string())
        }
    });
    match ready {
        Ok(()) => true,
        Err(why) if ci() => panic!("{test}: {why}"),
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            false
        }
    }
}

/// A webhook receiver on 127.0.0.1 (HTTP/1.1 by hand, one request per connection): the URL to
/// post to, and every body posted, in order, each answered `200 OK`.
pub(crate) fn webhook() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(conn);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                line.clear();
            }
            let mut body = vec![0; length.min(1 << 20)];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            if tx
                .send(String::from_utf8_lossy(&body).into_owned())
                .is_err()
            {
                return;
            }
        }
    });
    (url, rx)
}

/// A fresh directory under the system's temporary one, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("smtp-doctor-monitor-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> String {
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

/// `GET path` on `addr`, the body of a 200 answer.
pub(crate) fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reply = String::new();
    s.take(4 * 1024 * 1024)
        .read_to_string(&mut reply)
        .expect("read");
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// The value of the sample `name{labels}` (labels exactly as written), if any.
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Starts `smtp-doctor monitor ARGS --listen 127.0.0.1:0` with `env`, its stderr to `stderr`;
/// the child and the address it serves on (its first line).
pub(crate) fn listen(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("monitor")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env("SMTP_DOCTOR_CONFIG", "")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("monitor starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
    (child, addr)
}
