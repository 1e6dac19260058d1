//! The one SMTP state machine of the healthy family, parametrised by a [`Dialogue`].
//!
//! It speaks enough of RFC 5321, 3207 (STARTTLS) and 4954 (AUTH PLAIN and LOGIN) for a probe:
//! EHLO/HELO, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET, NOOP, VRFY, QUIT, with Postfix-like replies.
//! Command lines are parsed here: `smtp-doctor-wire` parses replies and writes commands, and a
//! server's command parsing is a few lines of verb splitting.

use crate::scenarios::{Dialogue, Fault, StartTls};
use crate::server::{Ctx, Io};
use crate::{LAB_HOSTNAME, LAB_PASSWORD, LAB_USER, MAX_MESSAGE_BYTES};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use std::io;
use tokio::time::{sleep, timeout};

/// Longest command line accepted, without its line ending; longer ones get a 500.
const MAX_LINE: usize = 4096;
/// Most recipients per transaction.
const MAX_RCPTS: usize = 100;
/// Errors after which the server hangs up, as Postfix does.
const MAX_ERRORS: usize = 10;

/// One line read from the client.
enum Line {
    /// A line, without CR LF (a bare LF also ends a line).
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE`]; its bytes were dropped.
    TooLong,
    /// End of stream, a read error or the command timeout.
    End,
}

/// A bounded line reader over an [`Io`].
struct Lines {
    buf: Vec<u8>,
    /// Dropping the rest of an over-long line.
    overflow: bool,
}

impl Lines {
    fn new() -> Lines {
        Lines {
            buf: Vec::new(),
            overflow: false,
        }
    }

    /// Drops everything buffered (after STARTTLS: no plain-text command may survive the upgrade).
    fn clear(&mut self) {
        self.buf.clear();
        self.overflow = false;
    }

    /// The next line, waiting at most `ctx.options.command_timeout` for it.
    async fn next(&mut self, io: &mut Io, ctx: &Ctx) -> Line {
        match timeout(ctx.options.command_timeout, self.next_untimed(io)).await {
            Ok(line) => line,
            Err(_) => Line::End,
        }
    }

    async fn next_untimed(&mut self, io: &mut Io) -> Line {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if std::mem::take(&mut self.overflow) || line.len() > MAX_LINE {
                    return Line::TooLong;
                }
                return Line::Text(line);
            }
            if self.buf.len() > MAX_LINE {
                self.buf.clear();
                self.overflow = true;
            }
            match io.read(&mut chunk).await {
                Ok(0) | Err(_) => return Line::End,
                Ok(n) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        }
    }
}

/// Where the session stands.
#[derive(Debug, Default)]
struct State {
    tls: bool,
    greeted: bool,
    authenticated: bool,
    mail: bool,
    rcpts: usize,
    errors: usize,
}

impl State {
    fn reset_transaction(&mut self) {
        self.mail = false;
        self.rcpts = 0;
    }
}

/// What to do after a command.
enum Next {
    /// Send this reply and read the next command.
    Reply(String),
    /// Send this reply and close.
    Close(String),
    /// Run the STARTTLS upgrade.
    StartTls,
    /// Read a message.
    Data,
    /// Run an AUTH exchange.
    Auth(Auth),
}

/// An AUTH exchange that needs more lines from the client.
enum Auth {
    /// PLAIN without an initial response: ask for it.
    Plain,
    /// LOGIN: ask for what is missing.
    Login { user: Option<String> },
}

/// Formats a reply of one or more lines with the dialogue's line ending.
fn reply(d: &Dialogue, code: u16, lines: &[&str]) -> String {
    let mut out = String::new();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let sep = if i == last { ' ' } else { '-' };
        out.push_str(&format!("{code}{sep}{line}{}", d.eol));
    }
    out
}

/// Runs one session to its end.
pub(crate) async fn run(mut io: Io, d: &Dialogue, ctx: &Ctx) -> io::Result<()> {
    let mut state = State {
        tls: matches!(io, Io::Tls(_)),
        ..State::default()
    };
    send_banner(&mut io, d, ctx).await?;
    if d.refuse {
        return io.close().await;
    }
    let mut lines = Lines::new();
    loop {
        let next = match lines.next(&mut io, ctx).await {
            Line::End => return Ok(()),
            Line::TooLong => {
                state.errors += 1;
                Next::Reply(reply(d, 500, &["5.5.2 Error: line too long"]))
            }
            Line::Text(line) => command(d, &mut state, &String::from_utf8_lossy(&line)),
        };
        if state.errors >= MAX_ERRORS {
            io.write_all(
                reply(
                    d,
                    421,
                    &[&format!("4.7.0 {LAB_HOSTNAME} Error: too many errors")],
                )
                .as_bytes(),
            )
            .await?;
            return io.close().await;
        }
        match next {
            Next::Reply(text) => io.write_all(text.as_bytes()).await?,
            Next::Close(text) => {
                io.write_all(text.as_bytes()).await?;
                return io.close().await;
            }
            Next::StartTls => {
                let mut ready = reply(d, 220, &["2.0.0 Ready to start TLS"]);
                if d.starttls == StartTls::Plaintext {
                    ready.push_str(&reply(d, 250, &["2.0.0 still in plain text"]));
                }
                io.write_all(ready.as_bytes()).await?;
                let Io::Plain(tcp) = io else {
                    return Ok(()); // command() answers 503 under TLS; not reached.
                };
                let kind = match d.starttls {
                    StartTls::Offer(kind) => kind,
                    broken => return starttls_fault(Io::Plain(tcp), d, broken, ctx).await,
                };
                let accept = ctx.acceptor(kind).accept(tcp);
                io = match timeout(ctx.options.command_timeout, accept).await {
                    Ok(Ok(tls)) => Io::Tls(Box::new(tls)),
                    // A failed or slow handshake ends the session, as in a real server.
                    Ok(Err(_)) | Err(_) => return Ok(()),
                };
                lines.clear();
                state = State {
                    tls: true,
                    ..State::default()
                };
            }
            Next::Data => {
                io.write_all(reply(d, 354, &["End data with <CR><LF>.<CR><LF>"]).as_bytes())
                    .await?;
                let Some(size) = read_message(&mut io, &mut lines, ctx).await else {
                    return Ok(());
                };
                state.reset_transaction();
                let text = if size > MAX_MESSAGE_BYTES {
                    reply(d, 552, &["5.3.4 Error: message file too big"])
                } else {
                    let id = ctx.queue_id();
                    reply(d, 250, &[&format!("2.0.0 Ok: queued as LAB{id:06}")])
                };
                io.write_all(text.as_bytes()).await?;
            }
            Next::Auth(auth) => {
                let Some(text) =
                    authenticate(&mut io, &mut lines, d, ctx, &mut state, auth).await?
                else {
                    return Ok(());
                };
                io.write_all(text.as_bytes()).await?;
            }
        }
    }
}

/// The broken STARTTLS upgrades: waits for the ClientHello (so the answer answers it rather
/// than arriving with the 220), then answers with bytes that are no TLS record (`Broken`,
/// then a close), more plain text (`Plaintext`, then a close), or the first bytes of a
/// ServerHello record and then silence until the client leaves (`Stall`).
async fn starttls_fault(mut plain: Io, d: &Dialogue, how: StartTls, ctx: &Ctx) -> io::Result<()> {
    let mut hello = [0u8; 4096];
    match timeout(ctx.options.command_timeout, plain.read(&mut hello)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return Ok(()),
    }
    match how {
        StartTls::Stall => {
            // A handshake record header announcing 122 bytes, and 6 of them.
            plain
                .write_all(&[
                    0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03,
                ])
                .await?;
            while timeout(ctx.options.command_timeout, plain.read(&mut hello))
                .await
                .is_ok_and(|r| r.is_ok_and(|n| n > 0))
            {}
            return Ok(());
        }
        StartTls::Plaintext => {
            plain
                .write_all(reply(d, 500, &["5.5.2 Error: command not recognized"]).as_bytes())
                .await?;
        }
        StartTls::Broken | StartTls::Offer(_) => {
            plain
                .write_all(b"\x00\x00 this is not a TLS handshake \xff\xff\r\n")
                .await?;
        }
    }
    plain.close().await
}

/// Sends the greeting, paced one byte per interval for the tarpit.
async fn send_banner(io: &mut Io, d: &Dialogue, ctx: &Ctx) -> io::Result<()> {
    let mut banner = d.before_banner.to_string();
    for line in d.banner {
        banner.push_str(line);
        banner.push_str(d.eol);
    }
    if !d.tarpit {
        return io.write_all(banner.as_bytes()).await;
    }
    for (i, byte) in banner.bytes().enumerate() {
        if i > 0 {
            sleep(ctx.options.tarpit_interval).await;
        }
        io.write_all(&[byte]).await?;
    }
    Ok(())
}

/// Reads a message after 354 up to the lone dot; returns its size in bytes, or `None` when the
/// client went away. Nothing is stored.
async fn read_message(io: &mut Io, lines: &mut Lines, ctx: &Ctx) -> Option<usize> {
    let mut size = 0usize;
    loop {
        match lines.next(io, ctx).await {
            Line::End => return None,
            Line::TooLong => size = size.saturating_add(MAX_LINE),
            Line::Text(line) if line == b"." => return Some(size),
            Line::Text(line) => size = size.saturating_add(line.len() + 2),
        }
    }
}

/// The address between the angle brackets after `FROM:`/`TO:` (`prefix`), and the parameters.
fn path_arg<'a>(arg: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg.get(prefix.len()..)?.trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((rest.get(..end)?, rest.get(end + 1..)?.trim()))
}

/// The value of `SIZE=` among ESMTP parameters, if any.
fn size_param(params: &str) -> Option<u64> {
    params.split_ascii_whitespace().find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.eq_ignore_ascii_case("SIZE")
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// Handles one command line.
fn command(d: &Dialogue, state: &mut State, line: &str) -> Next {
    let (verb, arg) = match line.split_once(' ') {
        Some((verb, arg)) => (verb, arg.trim()),
        None => (line, ""),
    };
    let verb = verb.to_ascii_uppercase();
    let ok = |code: u16, text: &str| Next::Reply(reply(d, code, &[text]));
    // A macro, not a closure: a closure would hold `state` borrowed across the match guards.
    macro_rules! err {
        ($code:expr, $text:expr) => {{
            state.errors += 1;
            Next::Reply(reply(d, $code, &[$text]))
        }};
    }
    match verb.as_str() {
        "EHLO" | "HELO" if arg.is_empty() => err!(501, &format!("5.5.4 Syntax: {verb} hostname")),
        "EHLO" => {
            state.greeted = true;
            state.reset_transaction();
            let hello = format!("{LAB_HOSTNAME} Hello {arg}");
            let size = format!("SIZE {MAX_MESSAGE_BYTES}");
            let mut caps = vec![hello.as_str(), "PIPELINING", size.as_str(), "8BITMIME"];
            caps.push("ENHANCEDSTATUSCODES");
            if !state.tls {
                caps.push("STARTTLS");
            } else if !state.authenticated {
                caps.push("AUTH PLAIN LOGIN");
            }
            if d.fault == Fault::EhloFlood {
                let flood: Vec<String> = (0..crate::EHLO_FLOOD_LINES)
                    .map(|n| format!("X-FEATURE-{n}"))
                    .collect();
                caps.extend(flood.iter().map(String::as_str));
                caps.push("OK");
                return Next::Reply(reply(d, 250, &caps));
            }
            Next::Reply(reply(d, 250, &caps))
        }
        "HELO" => {
            state.greeted = true;
            state.reset_transaction();
            ok(250, LAB_HOSTNAME)
        }
        "STARTTLS" if state.tls => err!(503, "5.5.1 Error: TLS already active"),
        "STARTTLS" if !arg.is_empty() => err!(501, "5.5.4 Syntax: STARTTLS"),
        "STARTTLS" => Next::StartTls,
        "AUTH" if !state.tls => err!(503, "5.5.1 Error: authentication not enabled"),
        "AUTH" if !state.greeted => err!(503, "5.5.1 Error: send HELO/EHLO first"),
        "AUTH" if state.authenticated => err!(503, "5.5.1 Error: already authenticated"),
        "AUTH" if state.mail => err!(503, "5.5.1 Error: MAIL transaction in progress"),
        "AUTH" => {
            let (mechanism, initial) = match arg.split_once(' ') {
                Some((m, i)) => (m, Some(i.trim())),
                None => (arg, None),
            };
            match (mechanism.to_ascii_uppercase().as_str(), initial) {
                ("PLAIN", None) => Next::Auth(Auth::Plain),
                ("PLAIN", Some(response)) => {
                    let outcome = check_plain(response);
                    finish_auth(d, state, outcome)
                }
                ("LOGIN", None) => Next::Auth(Auth::Login { user: None }),
                ("LOGIN", Some(user)) => match decode(user) {
                    Some(user) => Next::Auth(Auth::Login { user: Some(user) }),
                    None => err!(501, "5.5.2 Error: cannot decode response"),
                },
                ("", _) => err!(501, "5.5.4 Syntax: AUTH mechanism"),
                _ => err!(504, "5.5.4 Unrecognized authentication type"),
            }
        }
        "MAIL" if !state.greeted => err!(503, "5.5.1 Error: send HELO/EHLO first"),
        "MAIL" if state.mail => err!(503, "5.5.1 Error: nested MAIL command"),
        "MAIL" => match path_arg(arg, "FROM:") {
            None => err!(501, "5.5.4 Syntax: MAIL FROM:<address>"),
            Some(_) if d.fault == Fault::AuthRequired && !state.authenticated => {
                ok(530, "5.7.0 Authentication required")
            }
            Some((_, params))
                if size_param(params).is_some_and(|s| s > MAX_MESSAGE_BYTES as u64) =>
            {
                ok(552, "5.3.4 Message size exceeds fixed limit")
            }
            Some(_) => {
                state.mail = true;
                ok(250, "2.1.0 Ok")
            }
        },
        "RCPT" if !state.mail => err!(503, "5.5.1 Error: need MAIL command"),
        "RCPT" => match path_arg(arg, "TO:") {
            None | Some(("", _)) => err!(501, "5.5.4 Syntax: RCPT TO:<address>"),
            Some(_) if state.rcpts >= MAX_RCPTS => ok(452, "4.5.3 Error: too many recipients"),
            Some((addr, _)) => match d.fault {
                Fault::Greylist => ok(451, "4.7.1 Greylisted, please try again in 300 seconds"),
                Fault::UserUnknown => ok(
                    550,
                    &format!(
                        "5.1.1 <{addr}>: Recipient address rejected: \
                         User unknown in local recipient table"
                    ),
                ),
                Fault::None | Fault::AuthRequired | Fault::EhloFlood => {
                    state.rcpts += 1;
                    ok(250, "2.1.5 Ok")
                }
            },
        },
        "DATA" if !arg.is_empty() => err!(501, "5.5.4 Syntax: DATA"),
        "DATA" if !state.mail => err!(503, "5.5.1 Error: need MAIL command"),
        "DATA" if state.rcpts == 0 => err!(503, "5.5.1 Error: need RCPT command"),
        "DATA" => Next::Data,
        "RSET" => {
            state.reset_transaction();
            ok(250, "2.0.0 Ok")
        }
        "NOOP" => ok(250, "2.0.0 Ok"),
        "VRFY" => ok(252, "2.0.0 Cannot VRFY user, but will accept message"),
        "QUIT" => Next::Close(reply(d, 221, &["2.0.0 Bye"])),
        "" => err!(500, "5.5.2 Error: bad syntax"),
        _ => err!(502, "5.5.2 Error: command not recognized"),
    }
}

/// Decodes a base64 SASL response into text.
fn decode(response: &str) -> Option<String> {
    let bytes = BASE64.decode(response.trim()).ok()?;
    String::from_utf8(bytes).ok()
}

/// How an AUTH exchange ended.
#[derive(Debug, PartialEq, Eq)]
enum AuthOutcome {
    /// The credentials are the lab's.
    Success,
    /// Wrong credentials.
    Failure,
    /// The response was not base64 or not well formed.
    Malformed,
    /// The client sent `*`.
    Aborted,
}

/// Checks an AUTH PLAIN response (`authzid NUL user NUL password`, base64).
fn check_plain(response: &str) -> AuthOutcome {
    if response == "*" {
        return AuthOutcome::Aborted;
    }
    let Ok(raw) = BASE64.decode(response.trim()) else {
        return AuthOutcome::Malformed;
    };
    let mut parts = raw.split(|&b| b == 0);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_authzid), Some(user), Some(password), None) => {
            check_credentials(user, password.to_vec())
        }
        _ => AuthOutcome::Malformed,
    }
}

/// Compares a user name and password with the lab's.
fn check_credentials(user: &[u8], password: Vec<u8>) -> AuthOutcome {
    if user == LAB_USER.as_bytes() && password == LAB_PASSWORD.as_bytes() {
        AuthOutcome::Success
    } else {
        AuthOutcome::Failure
    }
}

/// The reply that ends an AUTH exchange.
fn finish_auth(d: &Dialogue, state: &mut State, outcome: AuthOutcome) -> Next {
    let (code, text) = match outcome {
        AuthOutcome::Success => {
            state.authenticated = true;
            (235, "2.7.0 Authentication successful")
        }
        AuthOutcome::Failure => (
            535,
            "5.7.8 Error: authentication failed: authentication failure",
        ),
        AuthOutcome::Malformed => (501, "5.5.2 Error: cannot decode response"),
        AuthOutcome::Aborted => (501, "5.7.0 Error: authentication aborted"),
    };
    if outcome != AuthOutcome::Success {
        state.errors += 1;
    }
    Next::Reply(reply(d, code, &[text]))
}

/// Sends a 334 challenge and reads the response line; `None` when the client went away.
async fn ask(
    io: &mut Io,
    lines: &mut Lines,
    d: &Dialogue,
    ctx: &Ctx,
    challenge: &str,
) -> io::Result<Option<String>> {
    io.write_all(reply(d, 334, &[challenge]).as_bytes()).await?;
    Ok(match lines.next(io, ctx).await {
        Line::Text(line) => Some(String::from_utf8_lossy(&line).into_owned()),
        Line::TooLong => Some(String::new()),
        Line::End => None,
    })
}

/// Runs the 334 round trips of an AUTH exchange; returns the final reply, or `None` when the
/// client went away.
async fn authenticate(
    io: &mut Io,
    lines: &mut Lines,
    d: &Dialogue,
    ctx: &Ctx,
    state: &mut State,
    auth: Auth,
) -> io::Result<Option<String>> {
    let outcome = match auth {
        Auth::Plain => match ask(io, lines, d, ctx, "").await? {
            None => return Ok(None),
            Some(response) => check_plain(&response),
        },
        Auth::Login { user } => {
            let user = match user {
                Some(user) => Some(user),
                None => match ask(io, lines, d, ctx, "VXNlcm5hbWU6").await? {
                    None => return Ok(None),
                    Some(r) if r == "*" => None,
                    Some(r) => decode(&r),
                },
            };
            match user {
                None => AuthOutcome::Malformed,
                Some(user) => match ask(io, lines, d, ctx, "UGFzc3dvcmQ6").await? {
                    None => return Ok(None),
                    Some(r) if r == "*" => AuthOutcome::Aborted,
                    Some(r) => match BASE64.decode(r.trim()) {
                        Ok(password) => check_credentials(user.as_bytes(), password),
                        Err(_) => AuthOutcome::Malformed,
                    },
                },
            }
        }
    };
    match finish_auth(d, state, outcome) {
        Next::Reply(text) => Ok(Some(text)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_parameters_parse() {
        assert_eq!(
            path_arg("FROM:<a@b.test> SIZE=10", "FROM:"),
            Some(("a@b.test", "SIZE=10"))
        );
        assert_eq!(path_arg("from: <>", "FROM:"), Some(("", "")));
        assert_eq!(path_arg("TO:a@b.test", "TO:"), None);
        assert_eq!(path_arg("T", "TO:"), None);
        assert_eq!(size_param("BODY=8BITMIME size=42"), Some(42));
        assert_eq!(size_param("SIZE=x"), None);
    }

    #[test]
    fn plain_credentials_are_checked() {
        let good = BASE64.encode(b"\0lab\0labpass");
        let bad = BASE64.encode(b"\0lab\0nope");
        assert_eq!(check_plain(&good), AuthOutcome::Success);
        assert_eq!(check_plain(&bad), AuthOutcome::Failure);
        assert_eq!(check_plain("!!!"), AuthOutcome::Malformed);
        assert_eq!(check_plain("*"), AuthOutcome::Aborted);
    }

    #[test]
    fn replies_use_the_dialogue_line_ending() {
        let mut d = crate::scenarios::all()
            .into_iter()
            .find_map(|s| match s.behaviour {
                crate::scenarios::Behaviour::Smtp(d) => Some(d),
                _ => None,
            })
            .expect("an SMTP scenario");
        assert_eq!(reply(&d, 250, &["a", "b"]), "250-a\r\n250 b\r\n");
        d.eol = "\n";
        assert_eq!(reply(&d, 221, &["Bye"]), "221 Bye\n");
    }

    #[test]
    fn the_dialogue_enforces_its_order() {
        let d = crate::scenarios::all()
            .into_iter()
            .find_map(|s| match s.behaviour {
                crate::scenarios::Behaviour::Smtp(d) => Some(d),
                _ => None,
            })
            .expect("an SMTP scenario");
        let mut state = State::default();
        let code = |next: Next| match next {
            Next::Reply(text) | Next::Close(text) => text.get(..3).unwrap_or("").to_string(),
            Next::StartTls => "tls".into(),
            Next::Data => "data".into(),
            Next::Auth(_) => "auth".into(),
        };
        assert_eq!(code(command(&d, &mut state, "MAIL FROM:<a@b>")), "503");
        assert_eq!(code(command(&d, &mut state, "AUTH PLAIN")), "503");
        assert_eq!(code(command(&d, &mut state, "EHLO me")), "250");
        assert_eq!(code(command(&d, &mut state, "RCPT TO:<a@b>")), "503");
        assert_eq!(code(command(&d, &mut state, "MAIL FROM:<a@b>")), "250");
        assert_eq!(code(command(&d, &mut state, "DATA")), "503");
        assert_eq!(code(command(&d, &mut state, "RCPT TO:<c@d>")), "250");
        assert_eq!(code(command(&d, &mut state, "DATA")), "data");
        assert_eq!(code(command(&d, &mut state, "STARTTLS")), "tls");
        assert_eq!(code(command(&d, &mut state, "FOO")), "502");
        assert_eq!(code(command(&d, &mut state, "QUIT")), "221");
        assert_eq!(state.errors, 5);
    }
}
