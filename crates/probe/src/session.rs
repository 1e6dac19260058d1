//! One SMTP conversation with one address: every stage with its deadline, every byte recorded.

use crate::banner;
use crate::clock;
use crate::options::{Auth, AuthMechanism, ProbeOptions};
use crate::tls::{self, Recording};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use rustls::pki_types::ServerName;
use smtp_doctor_model::probe::{
    AnomalyKind, Attempt, Direction, EhloSummary, LimitKind, Outcome, ProbeError, ProtocolAnomaly,
    ReplyRecord, StageRecord, TlsInfo, TlsMode, TranscriptLine,
};
use smtp_doctor_model::{ReplyCode, Stage};
use smtp_doctor_wire::{
    Anomaly, Command, EhloCapabilities, Limits, Progress, Reply, ReplyError, ReplyReader, Secret,
};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// How many of the first received bytes are kept to recognise a non-SMTP service.
const HEAD: usize = 64;
/// Longest wait for an answer when a silent port is tried for implicit TLS.
const TLS_SNIFF: Duration = Duration::from_secs(5);

/// The most a polite QUIT may take.
const QUIT_LIMIT: Duration = Duration::from_secs(5);

/// Why the dialogue stopped before its end.
enum Stop {
    Failed(Stage),
    Rejected(Stage, ReplyCode),
    After(Stage),
}

/// The connection, plain or TLS.
enum Conn {
    None,
    Plain(TcpStream),
    Tls(Box<TlsStream<Recording<TcpStream>>>),
}

impl Conn {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::None => Err(io::Error::from(io::ErrorKind::NotConnected)),
            Conn::Plain(s) => s.read(buf).await,
            Conn::Tls(s) => s.read(buf).await,
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Conn::None => Err(io::Error::from(io::ErrorKind::NotConnected)),
            Conn::Plain(s) => {
                s.write_all(bytes).await?;
                quick_ack(s);
                Ok(())
            }
            Conn::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await?;
                quick_ack(s.get_ref().0.get_ref());
                Ok(())
            }
        }
    }
}

/// After a command, acknowledge what the server sends next at once instead of after the
/// delayed-ACK timer (~40 ms): a server with Nagle's algorithm on holds its reply until its
/// earlier data is acknowledged. Seen with Postfix after STARTTLS: the TLS 1.3 session tickets
/// arrive just after the client's EHLO, and the EHLO reply waited for their ACK.
fn quick_ack(tcp: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        // Best effort: a socket that refuses it only answers later.
        let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = tcp;
}

/// Splits received bytes into transcript lines, keeping at most `max` bytes of a line.
struct LineSplitter {
    line: Vec<u8>,
    len: usize,
    max: usize,
}

impl LineSplitter {
    /// Adds bytes; returns the lines they completed.
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                out.push(self.take());
            } else {
                self.len += 1;
                if self.line.len() < self.max {
                    self.line.push(b);
                }
            }
        }
        out
    }

    /// The unfinished line, if any.
    fn flush(&mut self) -> Option<String> {
        (self.len > 0).then(|| self.take())
    }

    fn take(&mut self) -> String {
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        let mut text = escape(&self.line);
        if self.len > self.max {
            text.push_str(&format!(
                " [line of {} bytes cut to {}]",
                self.len, self.max
            ));
        }
        self.line.clear();
        self.len = 0;
        text
    }
}

/// Bytes as text: valid UTF-8 kept, control bytes and invalid bytes escaped.
pub(crate) fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() && c != '\t' {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// One conversation.
pub(crate) struct Session<'a> {
    opts: &'a ProbeOptions,
    /// The start of the attempt: transcript offsets count from here.
    started: Instant,
    /// The total deadline.
    deadline: Instant,
    conn: Conn,
    reader: ReplyReader,
    rx: LineSplitter,
    head: Vec<u8>,
    transcript_bytes: usize,
    tls_active: bool,
    attempt: Attempt,
}

impl<'a> Session<'a> {
    pub(crate) fn new(
        opts: &'a ProbeOptions,
        host: &str,
        addr: SocketAddr,
        tls_mode: TlsMode,
        origin: Instant,
        deadline: Instant,
    ) -> Self {
        let started = Instant::now();
        let limits = Limits {
            max_line: opts.bounds.line,
            max_reply: opts.bounds.reply,
            ..Limits::default()
        };
        Session {
            opts,
            started,
            deadline,
            conn: Conn::None,
            reader: ReplyReader::with_limits(limits),
            rx: LineSplitter {
                line: Vec::new(),
                len: 0,
                max: opts.bounds.line,
            },
            head: Vec::new(),
            transcript_bytes: 0,
            tls_active: false,
            attempt: Attempt {
                host: host.to_string(),
                mail_domain: None,
                addr,
                tls_mode,
                start_ms: ms(started.saturating_duration_since(origin)),
                duration_ms: 0,
                stages: Vec::new(),
                transcript: Vec::new(),
                transcript_truncated: false,
                tls: None,
                banner: None,
                ehlo: None,
                anomalies: Vec::new(),
                outcome: Outcome::Completed,
            },
        }
    }

    /// Runs the conversation to its end and returns what it saw.
    pub(crate) async fn run(mut self, rcpts: &[String]) -> Attempt {
        let outcome = match self.dialogue(rcpts).await {
            Ok(()) => Outcome::Completed,
            Err(Stop::Failed(stage)) => Outcome::Failed { stage },
            Err(Stop::Rejected(stage, code)) => Outcome::Rejected { stage, code },
            Err(Stop::After(stage)) => Outcome::StoppedAfter { stage },
        };
        if let Some(line) = self.rx.flush() {
            self.line(Direction::Received, line);
        }
        if self.attempt.tls.is_none() {
            self.attempt.tls_mode = TlsMode::None;
        }
        self.attempt.outcome = outcome;
        self.attempt.duration_ms = ms(self.started.elapsed());
        self.attempt
    }

    async fn dialogue(&mut self, rcpts: &[String]) -> Result<(), Stop> {
        let opts = self.opts;
        self.connect().await?;
        self.stop_after(Stage::Connect, false).await?;
        if self.attempt.tls_mode == TlsMode::Implicit {
            self.handshake(self.opts.timeouts.command).await?;
            self.stop_after(Stage::Tls, false).await?;
        }
        self.banner().await?;
        self.stop_after(Stage::Banner, true).await?;
        let mut caps = self.ehlo().await?;
        if self.attempt.tls_mode == TlsMode::StartTls {
            if caps.starttls {
                self.starttls().await?;
                self.stop_after(Stage::Tls, true).await?;
                self.stop_after(Stage::StartTls, true).await?;
                caps = self.ehlo().await?;
            } else if opts.tls == crate::TlsPolicy::StartTls || opts.require_tls {
                self.fail(Stage::StartTls, None, ProbeError::StartTlsNotOffered);
                self.quit().await;
                return Err(Stop::Failed(Stage::StartTls));
            } else {
                self.note("STARTTLS not offered; going on without TLS".to_string());
            }
        }
        self.stop_after(Stage::Ehlo, true).await?;
        if let Some(auth) = &opts.auth {
            self.auth(auth, &caps).await?;
            self.stop_after(Stage::Auth, true).await?;
        }
        if opts.from.is_none() && rcpts.is_empty() {
            self.quit().await;
            return Ok(());
        }
        let from = Command::MailFrom {
            addr: opts.from.clone().unwrap_or_default(),
            params: Vec::new(),
        };
        let reply = self
            .exchange(Stage::Mail, Some(&from), opts.timeouts.command)
            .await?;
        self.positive(Stage::Mail, &reply).await?;
        self.stop_after(Stage::Mail, true).await?;
        let mut accepted = 0;
        let mut refused = None;
        for rcpt in rcpts {
            let cmd = Command::RcptTo {
                addr: rcpt.clone(),
                params: Vec::new(),
            };
            let reply = self
                .exchange(Stage::Rcpt, Some(&cmd), opts.timeouts.command)
                .await?;
            if reply.code.is_positive() {
                accepted += 1;
            } else if reply.code.get() == 421 {
                return Err(Stop::Rejected(Stage::Rcpt, reply.code));
            } else if refused.is_none() {
                refused = Some(reply.code);
            }
        }
        if refused.is_none() {
            self.stop_after(Stage::Rcpt, true).await?;
        }
        if opts.data && accepted > 0 {
            self.data(rcpts).await?;
        } else {
            let reply = self
                .exchange(Stage::Data, Some(&Command::Rset), opts.timeouts.command)
                .await?;
            self.positive(Stage::Data, &reply).await?;
        }
        self.quit().await;
        match refused {
            Some(code) => Err(Stop::Rejected(Stage::Rcpt, code)),
            None => Ok(()),
        }
    }

    /// Stops (with QUIT when `polite`) when the options say to stop after `stage`.
    async fn stop_after(&mut self, stage: Stage, polite: bool) -> Result<(), Stop> {
        if self.opts.quit_after != Some(stage) {
            return Ok(());
        }
        if polite {
            self.quit().await;
        }
        Err(Stop::After(stage))
    }

    /// A 2xx/3xx reply goes on; anything else ends the dialogue (with QUIT unless 421).
    async fn positive(&mut self, stage: Stage, reply: &Reply) -> Result<(), Stop> {
        if reply.code.is_positive() {
            return Ok(());
        }
        if reply.code.get() != 421 {
            self.quit().await;
        }
        Err(Stop::Rejected(stage, reply.code))
    }

    async fn connect(&mut self) -> Result<(), Stop> {
        let start = Instant::now();
        let (deadline, total) = self.deadline_for(self.opts.timeouts.connect);
        let addr = self.attempt.addr;
        self.note(format!("connecting to {addr}"));
        let result = match timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                self.conn = Conn::Plain(stream);
                Ok(())
            }
            Ok(Err(e)) => Err(io_error(&e)),
            Err(_) => Err(self.timeout(Stage::Connect, self.opts.timeouts.connect, total)),
        };
        let mut rec = self.record(Stage::Connect, start, None);
        match result {
            Ok(()) => {
                self.attempt.stages.push(rec);
                self.note(format!("connected in {} ms", ms(start.elapsed())));
                Ok(())
            }
            Err(e) => {
                self.note(format!("connect failed: {e}"));
                rec.error = Some(e);
                self.attempt.stages.push(rec);
                Err(Stop::Failed(Stage::Connect))
            }
        }
    }

    async fn banner(&mut self) -> Result<(), Stop> {
        // Lines without a code before the 220 are their own anomaly, up to one line's bound.
        self.reader.expect_greeting(self.opts.bounds.line);
        let reply = match self
            .exchange(Stage::Banner, None, self.opts.timeouts.banner)
            .await
        {
            Ok(reply) => reply,
            Err(stop) => {
                self.sniff_tls_after_silence().await;
                return Err(stop);
            }
        };
        // An FTP server greets with 220 too: recognise it from the first bytes.
        if reply.code.get() == 220 {
            if let Some(service) = smtp_doctor_wire::classify_non_smtp(&self.head) {
                let error = ProbeError::NotSmtp {
                    service: Some(service.to_string()),
                    first_bytes: escape(&self.head),
                };
                if let Some(rec) = self.attempt.stages.last_mut() {
                    rec.error = Some(error);
                }
                return Err(Stop::Failed(Stage::Banner));
            }
        }
        if reply.code.class_digit() == 2 {
            self.attempt.banner = Some(banner::analyse(&reply.lines));
            if reply.code.get() != 220 {
                self.attempt_anomaly(
                    AnomalyKind::Other,
                    format!("greeting code is {}, not 220", reply.code),
                );
            }
            return Ok(());
        }
        // 554 at greeting: RFC 5321 3.1 says the client should send QUIT; 421 closes at once.
        self.positive(Stage::Banner, &reply).await
    }

    /// After the banner deadline passed without one byte on a plain connection, sends a TLS
    /// ClientHello on the same connection: a server that answers it speaks implicit TLS (as on
    /// port 465) where plain SMTP was expected, and the banner stage's error says so. A server
    /// that stays silent to that too leaves the timeout as it was.
    async fn sniff_tls_after_silence(&mut self) {
        let silent = self.attempt.tls_mode != TlsMode::Implicit
            && self.head.is_empty()
            && matches!(
                self.attempt.stages.last(),
                Some(StageRecord {
                    stage: Stage::Banner,
                    error: Some(ProbeError::Timeout {
                        total: false,
                        partial: None,
                        ..
                    }),
                    ..
                })
            );
        if !silent {
            return;
        }
        let banner_index = self.attempt.stages.len() - 1;
        self.note(
            "nothing received before the banner deadline; trying a TLS ClientHello on the same connection"
                .to_string(),
        );
        let _ = self
            .handshake(self.opts.timeouts.command.min(TLS_SNIFF))
            .await;
        let tls = self
            .attempt
            .tls
            .as_ref()
            .is_some_and(|t| t.version.is_some() || !t.chain.is_empty());
        if tls {
            if let Some(rec) = self.attempt.stages.get_mut(banner_index) {
                rec.error = Some(ProbeError::NotSmtp {
                    service: Some(
                        "a TLS server (silent to plain SMTP, it answered a TLS ClientHello)"
                            .to_string(),
                    ),
                    first_bytes: String::new(),
                });
            }
            self.note("the port speaks implicit TLS (as on port 465), not plain SMTP".to_string());
        } else {
            self.attempt.stages.truncate(banner_index + 1);
            self.attempt.tls = None;
            self.note("no answer to the TLS ClientHello either: the server is silent".to_string());
        }
    }

    async fn ehlo(&mut self) -> Result<EhloCapabilities, Stop> {
        let name = self.opts.ehlo_name().to_string();
        let limit = self.opts.timeouts.command;
        let reply = self
            .exchange(Stage::Ehlo, Some(&Command::Ehlo(name.clone())), limit)
            .await?;
        let (reply, helo) = if matches!(reply.code.get(), 500 | 502) {
            let helo = self
                .exchange(Stage::Ehlo, Some(&Command::Helo(name)), limit)
                .await?;
            (helo, true)
        } else {
            (reply, false)
        };
        self.positive(Stage::Ehlo, &reply).await?;
        let caps = if helo {
            EhloCapabilities {
                domain: reply
                    .lines
                    .first()
                    .and_then(|l| l.split_whitespace().next())
                    .unwrap_or_default()
                    .to_string(),
                ..EhloCapabilities::default()
            }
        } else {
            EhloCapabilities::parse(&reply).unwrap_or_default()
        };
        let summary = summary(&caps, helo, self.tls_active);
        if let Some(masked) = summary.keywords.iter().find(|k| masks_starttls(k)) {
            if !summary.starttls && !self.tls_active {
                let detail = format!(
                    "the EHLO reply has {masked} where STARTTLS would stand: a middlebox (such as Cisco ESMTP inspection) masked STARTTLS"
                );
                self.attempt_anomaly(AnomalyKind::StartTlsMasked, detail);
            }
        }
        if summary.auth_before_tls {
            self.attempt_anomaly(
                AnomalyKind::AuthBeforeTls,
                format!(
                    "AUTH {} advertised on a connection without TLS",
                    summary.auth.join(" ")
                ),
            );
        }
        if let Some(banner) = &mut self.attempt.banner {
            // The first EHLO reply's name is compared: later ones (after STARTTLS) rarely differ.
            if banner.ehlo_name.is_none() && !summary.domain.is_empty() {
                banner.ehlo_name = Some(summary.domain.clone());
                banner.matches_ehlo = banner
                    .hostname
                    .as_ref()
                    .map(|h| h.eq_ignore_ascii_case(&summary.domain));
            }
        }
        self.attempt.ehlo = Some(summary);
        Ok(caps)
    }

    async fn starttls(&mut self) -> Result<(), Stop> {
        let reply = self
            .exchange(
                Stage::StartTls,
                Some(&Command::StartTls),
                self.opts.timeouts.command,
            )
            .await?;
        if reply.code.get() != 220 {
            self.positive(Stage::StartTls, &reply).await?;
            // A 2xx other than 220 is not the go-ahead either.
            return Err(Stop::Rejected(Stage::StartTls, reply.code));
        }
        if self.reader.is_mid_reply() {
            self.attempt_anomaly(
                AnomalyKind::BytesAfterStartTls,
                "the server sent bytes after its STARTTLS reply, before the handshake; they were discarded".to_string(),
            );
        }
        self.reader.reset();
        if let Some(line) = self.rx.flush() {
            self.line(Direction::Received, line);
        }
        self.handshake(self.opts.timeouts.command).await
    }

    async fn handshake(&mut self, limit: Duration) -> Result<(), Stop> {
        let start = Instant::now();
        let (deadline, total) = self.deadline_for(limit);
        let host = self.attempt.host.clone();
        let verify_name = self.opts.sni.clone().unwrap_or(host);
        let server_name = match verify_name.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(ServerName::IpAddress(ip.into())),
            Err(_) => ServerName::try_from(verify_name.clone()),
        };
        let server_name = match server_name {
            Ok(n) => n,
            Err(e) => {
                let error = ProbeError::TlsHandshake {
                    reason: format!("{verify_name:?} cannot be used as a TLS server name: {e}"),
                    alert: None,
                    plaintext: None,
                };
                self.fail(Stage::Tls, None, error);
                return Err(Stop::Failed(Stage::Tls));
            }
        };
        let sni = matches!(server_name, ServerName::DnsName(_)).then(|| verify_name.clone());
        let Conn::Plain(tcp) = std::mem::replace(&mut self.conn, Conn::None) else {
            self.fail(
                Stage::Tls,
                None,
                ProbeError::TlsHandshake {
                    reason: "no plain connection to start TLS on".to_string(),
                    alert: None,
                    plaintext: None,
                },
            );
            return Err(Stop::Failed(Stage::Tls));
        };
        let (config, verifier) =
            tls::client_config(self.opts.ca_pem.as_deref(), self.opts.insecure);
        self.note(format!(
            "TLS handshake with {}",
            sni.as_deref()
                .map_or_else(|| "no SNI (IP address)".to_string(), |s| format!("SNI {s}"))
        ));
        let connect = TlsConnector::from(config)
            .connect(server_name, Recording::new(tcp))
            .into_fallible();
        let result = timeout_at(deadline, connect).await;
        let (chain, verdict) = {
            let seen = verifier.seen();
            (seen.chain.clone(), seen.verdict.clone())
        };
        let mut info = TlsInfo {
            sni,
            verify_name: verify_name.clone(),
            chain: tls::chain_info(&chain),
            verified: matches!(verdict, Some(Ok(()))),
            verify_error: match &verdict {
                Some(Err(e)) => Some(tls::cert_problem(e, &chain, &verify_name)),
                _ => None,
            },
            ..TlsInfo::default()
        };
        for (i, c) in info.chain.iter().enumerate() {
            let note = format!(
                "certificate {i}: subject {}; issuer {}; valid {} to {}; SAN {}",
                c.subject,
                c.issuer,
                c.not_before,
                c.not_after,
                if c.san.is_empty() {
                    "none".to_string()
                } else {
                    c.san.join(", ")
                }
            );
            self.note(note);
        }
        let outcome = match result {
            Ok(Ok(stream)) => {
                let conn = stream.get_ref().1;
                info.version = conn
                    .protocol_version()
                    .map(|v| format!("{v:?}").replace('_', "."));
                info.cipher = conn
                    .negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()));
                self.conn = Conn::Tls(Box::new(stream));
                self.tls_active = true;
                Ok(())
            }
            Ok(Err((e, io))) => Err(handshake_error(
                &e,
                &io.head,
                info.verify_error.as_ref(),
                self.opts.insecure,
            )),
            Err(_) => Err(self.timeout(Stage::Tls, limit, total)),
        };
        let note = match (&outcome, &info.verify_error) {
            (Ok(()), None) => format!(
                "TLS established: {}, {}; certificate verified for {verify_name}",
                info.version.as_deref().unwrap_or("?"),
                info.cipher.as_deref().unwrap_or("?")
            ),
            (Ok(()), Some(p)) => format!(
                "TLS established: {}, {}; certificate NOT verified ({}), going on as asked (insecure)",
                info.version.as_deref().unwrap_or("?"),
                info.cipher.as_deref().unwrap_or("?"),
                p.reason
            ),
            (Err(e), _) => format!("TLS failed: {e}"),
        };
        self.note(note);
        self.attempt.tls = Some(info);
        let mut rec = self.record(Stage::Tls, start, None);
        match outcome {
            Ok(()) => {
                self.attempt.stages.push(rec);
                Ok(())
            }
            Err(e) => {
                rec.error = Some(e);
                self.attempt.stages.push(rec);
                Err(Stop::Failed(Stage::Tls))
            }
        }
    }

    async fn auth(&mut self, auth: &Auth, caps: &EhloCapabilities) -> Result<(), Stop> {
        let mech = auth.mechanism.as_str();
        if !self.tls_active && !self.attempt.addr.ip().is_loopback() {
            self.fail(Stage::Auth, None, ProbeError::AuthWithoutTls);
            self.quit().await;
            return Err(Stop::Failed(Stage::Auth));
        }
        if !caps.supports_auth(mech) {
            let error = ProbeError::AuthNotOffered {
                mechanism: mech.to_string(),
                offered: caps.auth.clone(),
            };
            self.fail(Stage::Auth, None, error);
            self.quit().await;
            return Err(Stop::Failed(Stage::Auth));
        }
        let limit = self.opts.timeouts.command;
        let reply = match auth.mechanism {
            AuthMechanism::Plain => {
                let cmd = Command::auth_plain(&auth.user, &auth.secret);
                self.exchange(Stage::Auth, Some(&cmd), limit).await?
            }
            AuthMechanism::Login => {
                let mut reply = self
                    .exchange(Stage::Auth, Some(&Command::auth_login()), limit)
                    .await?;
                if reply.code.get() == 334 {
                    let user = Command::AuthLoginUser(auth.user.clone());
                    reply = self.exchange(Stage::Auth, Some(&user), limit).await?;
                }
                if reply.code.get() == 334 {
                    let pass = Command::auth_login_password(&auth.secret);
                    reply = self.exchange(Stage::Auth, Some(&pass), limit).await?;
                }
                reply
            }
            AuthMechanism::CramMd5 => {
                let start = Command::Auth {
                    mechanism: "CRAM-MD5".to_string(),
                    initial: None,
                };
                let reply = self.exchange(Stage::Auth, Some(&start), limit).await?;
                if reply.code.get() != 334 {
                    reply
                } else {
                    let challenge = reply.lines.first().map(|l| l.trim()).unwrap_or_default();
                    let Ok(challenge) = BASE64.decode(challenge) else {
                        let error = ProbeError::BadChallenge {
                            detail: format!("CRAM-MD5 challenge {challenge:?} is not base64"),
                        };
                        self.fail(Stage::Auth, None, error);
                        self.quit().await;
                        return Err(Stop::Failed(Stage::Auth));
                    };
                    let response = cram_md5(&auth.user, &auth.secret, &challenge);
                    let cmd = Command::AuthResponse(response);
                    self.exchange(Stage::Auth, Some(&cmd), limit).await?
                }
            }
            AuthMechanism::XOAuth2 => {
                let raw = format!(
                    "user={}\x01auth=Bearer {}\x01\x01",
                    auth.user,
                    auth.secret.expose()
                );
                let cmd = Command::Auth {
                    mechanism: "XOAUTH2".to_string(),
                    initial: Some(Secret::new(BASE64.encode(raw))),
                };
                let reply = self.exchange(Stage::Auth, Some(&cmd), limit).await?;
                if reply.code.get() == 334 {
                    // The 334 carries a JSON error; an empty response ends the exchange.
                    let empty = Command::AuthResponse(Secret::new(String::new()));
                    self.exchange(Stage::Auth, Some(&empty), limit).await?
                } else {
                    reply
                }
            }
        };
        if reply.code.class_digit() == 2 {
            Ok(())
        } else {
            self.positive(Stage::Auth, &reply).await?;
            // A 3xx here means the server wants more than the mechanism has to give.
            self.quit().await;
            Err(Stop::Rejected(Stage::Auth, reply.code))
        }
    }

    async fn data(&mut self, rcpts: &[String]) -> Result<(), Stop> {
        let limit = self.opts.timeouts.command;
        let reply = self
            .exchange(Stage::Data, Some(&Command::Data), limit)
            .await?;
        if reply.code.get() != 354 {
            self.positive(Stage::Data, &reply).await?;
            self.quit().await;
            return Err(Stop::Rejected(Stage::Data, reply.code));
        }
        let start = Instant::now();
        let message = test_message(self.opts, rcpts);
        let mut wire = Vec::with_capacity(message.len() + 8);
        for line in message.lines() {
            if line.starts_with('.') {
                wire.push(b'.');
            }
            wire.extend_from_slice(line.as_bytes());
            wire.extend_from_slice(b"\r\n");
            self.line(Direction::Sent, line.to_string());
        }
        wire.extend_from_slice(b".\r\n");
        self.line(Direction::Sent, ".".to_string());
        let result = match self.write(&wire, Stage::EndOfData, limit).await {
            Ok(()) => self.read_reply(Stage::EndOfData, limit).await,
            Err(e) => Err(e),
        };
        let reply = self.finish(
            Stage::EndOfData,
            start,
            Some("(message body)".to_string()),
            result,
        )?;
        self.positive(Stage::EndOfData, &reply).await
    }

    async fn quit(&mut self) {
        let limit = self.opts.timeouts.command.min(QUIT_LIMIT);
        let _ = self
            .exchange(Stage::Quit, Some(&Command::Quit), limit)
            .await;
    }

    /// Sends `cmd` (if any) and reads one reply, recording the stage either way.
    async fn exchange(
        &mut self,
        stage: Stage,
        cmd: Option<&Command>,
        limit: Duration,
    ) -> Result<Reply, Stop> {
        let start = Instant::now();
        let result = match cmd {
            Some(c) => match self.send(c, stage, limit).await {
                Ok(()) => self.read_reply(stage, limit).await,
                Err(e) => Err(e),
            },
            None => self.read_reply(stage, limit).await,
        };
        self.finish(stage, start, cmd.map(Command::redacted), result)
    }

    /// Records a stage's result.
    fn finish(
        &mut self,
        stage: Stage,
        start: Instant,
        command: Option<String>,
        result: Result<Reply, ProbeError>,
    ) -> Result<Reply, Stop> {
        let mut rec = self.record(stage, start, command);
        match result {
            Ok(reply) => {
                rec.reply = Some(ReplyRecord {
                    code: reply.code,
                    enhanced_code: reply.enhanced,
                    lines: reply.lines.clone(),
                });
                rec.anomalies = reply.anomalies.iter().map(anomaly).collect();
                self.attempt.stages.push(rec);
                Ok(reply)
            }
            Err(e) => {
                self.note(format!("{stage}: {e}"));
                rec.error = Some(e);
                self.attempt.stages.push(rec);
                Err(Stop::Failed(stage))
            }
        }
    }

    fn record(&self, stage: Stage, start: Instant, command: Option<String>) -> StageRecord {
        StageRecord {
            stage,
            start_ms: ms(start.saturating_duration_since(self.started)),
            duration_ms: ms(start.elapsed()),
            command,
            reply: None,
            anomalies: Vec::new(),
            error: None,
        }
    }

    /// Records a stage that failed without an exchange.
    fn fail(&mut self, stage: Stage, command: Option<String>, error: ProbeError) {
        let mut rec = self.record(stage, Instant::now(), command);
        self.note(format!("{stage}: {error}"));
        rec.error = Some(error);
        self.attempt.stages.push(rec);
    }

    async fn send(
        &mut self,
        cmd: &Command,
        stage: Stage,
        limit: Duration,
    ) -> Result<(), ProbeError> {
        let bytes = cmd.to_bytes().map_err(|e| ProbeError::BadCommand {
            detail: e.to_string(),
        })?;
        self.line(Direction::Sent, cmd.redacted());
        self.write(&bytes, stage, limit).await
    }

    async fn write(
        &mut self,
        bytes: &[u8],
        stage: Stage,
        limit: Duration,
    ) -> Result<(), ProbeError> {
        let (deadline, total) = self.deadline_for(limit);
        match timeout_at(deadline, self.conn.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(io_error(&e)),
            Err(_) => Err(self.timeout(stage, limit, total)),
        }
    }

    /// Reads one complete reply within the stage's deadline.
    async fn read_reply(&mut self, stage: Stage, limit: Duration) -> Result<Reply, ProbeError> {
        let (deadline, total) = self.deadline_for(limit);
        let mut buf = [0u8; 4096];
        loop {
            match self.reader.push(&[]) {
                Ok(Progress::Complete(reply)) => return Ok(reply),
                Ok(Progress::NeedMore) => {}
                Err(e) => return Err(reply_error(e)),
            }
            let n = match timeout_at(deadline, self.conn.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    self.flush_rx();
                    return Err(io_error(&e));
                }
                Err(_) => {
                    self.flush_rx();
                    return Err(self.timeout(stage, limit, total));
                }
            };
            if n == 0 {
                self.flush_rx();
                return match self.reader.finish() {
                    Ok(Some(reply)) => Ok(reply),
                    Ok(None) => Err(ProbeError::Closed {
                        received: 0,
                        partial: None,
                    }),
                    Err(e) => Err(reply_error(e)),
                };
            }
            let bytes = buf.get(..n).unwrap_or_default();
            if !self.tls_active && self.head.len() < HEAD {
                let take = (HEAD - self.head.len()).min(bytes.len());
                self.head
                    .extend_from_slice(bytes.get(..take).unwrap_or_default());
            }
            for line in self.rx.push(bytes) {
                self.line(Direction::Received, line);
            }
            match self.reader.push(bytes) {
                Ok(Progress::Complete(reply)) => return Ok(reply),
                Ok(Progress::NeedMore) => {}
                Err(e) => {
                    self.flush_rx();
                    return Err(reply_error(e));
                }
            }
        }
    }

    fn flush_rx(&mut self) {
        if let Some(line) = self.rx.flush() {
            self.line(Direction::Received, line);
        }
    }

    /// The deadline for a step of `limit`, and whether it is the total deadline.
    fn deadline_for(&self, limit: Duration) -> (Instant, bool) {
        let own = Instant::now() + limit;
        if own >= self.deadline {
            (self.deadline, true)
        } else {
            (own, false)
        }
    }

    fn timeout(&self, stage: Stage, limit: Duration, total: bool) -> ProbeError {
        // What was received of the reply that never completed: lines skipped before a greeting
        // that never came, the complete lines of an unfinished multi-line reply (a server
        // dripping continuation lines), the unfinished line.
        let partial = self.reader.first_bytes();
        ProbeError::Timeout {
            stage,
            limit_ms: if total {
                ms(self.opts.timeouts.total)
            } else {
                ms(limit)
            },
            total,
            partial: (!partial.is_empty()).then(|| escape(&partial)),
        }
    }

    fn note(&mut self, text: String) {
        self.line(Direction::Note, text);
    }

    fn attempt_anomaly(&mut self, kind: AnomalyKind, detail: String) {
        self.note(format!("anomaly: {detail}"));
        self.attempt
            .anomalies
            .push(ProtocolAnomaly { kind, detail });
    }

    /// Adds a transcript line unless the transcript is full.
    fn line(&mut self, dir: Direction, text: String) {
        if self.attempt.transcript_truncated {
            return;
        }
        let limit = self.opts.bounds.transcript;
        if self.transcript_bytes + text.len() > limit {
            self.attempt.transcript_truncated = true;
            let detail = format!("transcript larger than {limit} bytes; later lines not recorded");
            self.attempt.transcript.push(TranscriptLine {
                at_ms: ms(self.started.elapsed()),
                dir: Direction::Note,
                text: detail.clone(),
            });
            self.attempt.anomalies.push(ProtocolAnomaly {
                kind: AnomalyKind::TranscriptTruncated,
                detail,
            });
            return;
        }
        self.transcript_bytes += text.len();
        // The transcript's own text: commands are already redacted, so a trace log holds no
        // secret either.
        let arrow = match dir {
            Direction::Sent => "->",
            Direction::Received => "<-",
            Direction::Note => "*",
        };
        tracing::trace!(addr = %self.attempt.addr, "{arrow} {text}");
        self.attempt.transcript.push(TranscriptLine {
            at_ms: ms(self.started.elapsed()),
            dir,
            text,
        });
    }
}

/// True for the keyword a Cisco ASA/PIX with ESMTP inspection puts in place of STARTTLS: as
/// long, all X's but a last letter (`XXXXXXXA`).
fn masks_starttls(keyword: &str) -> bool {
    let k = keyword.as_bytes();
    k.len() == "STARTTLS".len()
        && k[..k.len() - 1]
            .iter()
            .all(|b| b.eq_ignore_ascii_case(&b'X'))
        && k[k.len() - 1].is_ascii_alphabetic()
}

/// Milliseconds, saturating.
pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn summary(caps: &EhloCapabilities, helo: bool, tls: bool) -> EhloSummary {
    EhloSummary {
        helo_fallback: helo,
        over_tls: tls,
        domain: caps.domain.clone(),
        size_advertised: caps.size.is_some(),
        size: match caps.size {
            Some(smtp_doctor_wire::SizeLimit::Bytes(n)) => Some(n),
            _ => None,
        },
        pipelining: caps.pipelining,
        eight_bit_mime: caps.eight_bit_mime,
        smtputf8: caps.smtputf8,
        chunking: caps.chunking,
        dsn: caps.dsn,
        starttls: caps.starttls,
        enhanced_status_codes: caps.enhanced_status_codes,
        requiretls: caps.requiretls,
        auth: caps.auth.clone(),
        auth_before_tls: !tls && !caps.auth.is_empty(),
        keywords: caps.extensions.iter().map(|c| c.keyword.clone()).collect(),
        anomalies: caps.anomalies.iter().map(|a| a.to_string()).collect(),
    }
}

fn anomaly(a: &Anomaly) -> ProtocolAnomaly {
    let kind = match a {
        Anomaly::BareLf { .. } => AnomalyKind::BareLf,
        Anomaly::BareCr { .. } => AnomalyKind::BareCr,
        Anomaly::CodeMismatch { .. } => AnomalyKind::CodeMismatch,
        Anomaly::EnhancedConflict { .. } => AnomalyKind::EnhancedConflict,
        Anomaly::EnhancedClassMismatch { .. } => AnomalyKind::EnhancedClassMismatch,
        Anomaly::LineTooLong { .. } => AnomalyKind::LineTooLong,
        Anomaly::NulByte { .. } => AnomalyKind::NulByte,
        Anomaly::EightBit { .. } => AnomalyKind::EightBit,
        Anomaly::MissingSpace { .. } => AnomalyKind::MissingSpace,
        Anomaly::TooManyLines { .. } => AnomalyKind::TooManyLines,
        Anomaly::BytesBeforeGreeting { .. } => AnomalyKind::BytesBeforeBanner,
        _ => AnomalyKind::Other,
    };
    ProtocolAnomaly {
        kind,
        detail: a.to_string(),
    }
}

fn reply_error(e: ReplyError) -> ProbeError {
    let service = e.looks_like().map(str::to_string);
    match e {
        ReplyError::NotSmtp { first_bytes } => ProbeError::NotSmtp {
            service,
            first_bytes: escape(&first_bytes),
        },
        ReplyError::MalformedLine { line, first_bytes } => ProbeError::Malformed {
            line,
            first_bytes: escape(&first_bytes),
        },
        ReplyError::TooLarge { limit } => ProbeError::ReadLimit {
            what: LimitKind::Reply,
            limit,
        },
        ReplyError::Incomplete {
            received,
            first_bytes,
        } => match service {
            Some(service) => ProbeError::NotSmtp {
                service: Some(service),
                first_bytes: escape(&first_bytes),
            },
            None => ProbeError::Closed {
                received,
                partial: Some(escape(&first_bytes)),
            },
        },
        other => ProbeError::Malformed {
            line: 0,
            first_bytes: other.to_string(),
        },
    }
}

/// An I/O error as data, errno kept.
fn io_error(e: &io::Error) -> ProbeError {
    let errno = e.raw_os_error();
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ProbeError::Refused { errno },
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => ProbeError::Reset { errno },
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            ProbeError::Unreachable {
                errno,
                detail: e.to_string(),
            }
        }
        io::ErrorKind::UnexpectedEof => ProbeError::Closed {
            received: 0,
            partial: None,
        },
        _ => ProbeError::Io {
            errno,
            detail: e.to_string(),
        },
    }
}

/// A failed handshake as data: the certificate problem, the alert, or a plain-text answer.
fn handshake_error(
    e: &io::Error,
    head: &[u8],
    problem: Option<&smtp_doctor_model::probe::CertProblem>,
    insecure: bool,
) -> ProbeError {
    if let (Some(problem), false) = (problem, insecure) {
        return ProbeError::CertInvalid {
            problem: problem.clone(),
        };
    }
    let tls_error = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    let alert = match tls_error {
        Some(rustls::Error::AlertReceived(a)) => Some(format!("{a:?}")),
        _ => None,
    };
    // A TLS record starts with a content type of 20 to 23; a letter or digit is plain text.
    let plaintext = head
        .first()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|_| escape(head));
    match tls_error {
        Some(t) => ProbeError::TlsHandshake {
            reason: t.to_string(),
            alert,
            plaintext,
        },
        None if e.kind() == io::ErrorKind::UnexpectedEof && plaintext.is_none() => {
            ProbeError::TlsHandshake {
                reason: "the server closed the connection during the handshake".to_string(),
                alert,
                plaintext,
            }
        }
        None => match io_error(e) {
            ProbeError::Io { detail, .. } => ProbeError::TlsHandshake {
                reason: detail,
                alert,
                plaintext,
            },
            ProbeError::Closed { .. } => ProbeError::TlsHandshake {
                reason: "the server closed the connection during the handshake".to_string(),
                alert,
                plaintext,
            },
            other => other,
        },
    }
}

/// The CRAM-MD5 response: base64 of `user hex(HMAC-MD5(secret, challenge))`.
fn cram_md5(user: &str, secret: &Secret, challenge: &[u8]) -> Secret {
    let digest = match Hmac::<md5::Md5>::new_from_slice(secret.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(challenge);
            mac.finalize().into_bytes()
        }
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => Default::default(),
    };
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Secret::new(BASE64.encode(format!("{user} {hex}")))
}

/// The generated test message, with LF line ends (CRLF is added when sent).
fn test_message(opts: &ProbeOptions, rcpts: &[String]) -> String {
    let now = clock::unix_now();
    let ehlo = opts.ehlo_name();
    let from = opts
        .from
        .clone()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| format!("postmaster@{ehlo}"));
    format!(
        "From: <{from}>\nTo: {}\nSubject: smtp-doctor test message\nDate: {}\nMessage-ID: <{now}.{}@{ehlo}>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\nX-Mailer: smtp-doctor\n\nThis is a test message sent by smtp-doctor check to see whether mail to\nthis server goes through. It can be deleted.\n",
        rcpts
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(", "),
        clock::rfc5322(now),
        std::process::id()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_matches_rfc_2195() {
        // RFC 2195 section 2's example.
        let challenge = b"<1896.697170952@postoffice.reston.mci.net>";
        let r = cram_md5(
            "tim",
            &Secret::new("tanstaaftanstaaf".to_string()),
            challenge,
        );
        let decoded = BASE64.decode(r.expose()).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&decoded),
            "tim b913a602c7eda7a495b4e6e7334d3890"
        );
    }

    #[test]
    fn the_cisco_mask_of_starttls_is_recognised() {
        assert!(masks_starttls("XXXXXXXA"));
        assert!(masks_starttls("xxxxxxxb"));
        for other in ["STARTTLS", "XXXXA", "XXXXXXXXA", "XXXXXXX1", "PIPELINING"] {
            assert!(!masks_starttls(other), "{other}");
        }
    }

    #[test]
    fn lines_are_split_bounded_and_escaped() {
        let mut s = LineSplitter {
            line: Vec::new(),
            len: 0,
            max: 8,
        };
        assert_eq!(s.push(b"220 a\r\n250-b\n"), ["220 a", "250-b"]);
        assert_eq!(s.push(b"0123456789ab"), Vec::<String>::new());
        assert_eq!(
            s.flush().as_deref(),
            Some("01234567 [line of 12 bytes cut to 8]")
        );
        assert_eq!(s.flush(), None);
        assert_eq!(s.push(b"\x16\x03\xff\r\n"), ["\\x16\\x03\\xff"]);
    }
}
