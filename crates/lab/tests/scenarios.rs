//! Every lab scenario, checked from the client side with raw TCP, tokio-rustls and wire's reply
//! reader. Every test is bounded by [`bounded`]; every read by its own timeout.

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use smtp_doctor_lab::{
    ClientTls, Lab, LabError, LabOptions, EHLO_FLOOD_LINES, FLOOD_BYTES, GARBAGE_BYTES,
    LAB_HOSTNAME, LAB_PASSWORD, LAB_USER, WRONG_NAME,
};
use smtp_doctor_model::Category;
use smtp_doctor_wire::{
    classify_non_smtp, Anomaly, Command, EhloCapabilities, Progress, Reply, ReplyReader, Secret,
};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// The most any one test may take.
const TEST_LIMIT: Duration = Duration::from_secs(30);
/// The most one read may wait when something is expected.
const READ_LIMIT: Duration = Duration::from_secs(5);

/// Runs a test body under [`TEST_LIMIT`].
async fn bounded<F: Future<Output = ()>>(body: F) {
    timeout(TEST_LIMIT, body).await.expect("test timed out");
}

/// Runs `test` against a lab of the scenario `name` alone, within [`TEST_LIMIT`], then shuts the
/// lab down.
async fn on_lab(name: &str, test: impl AsyncFnOnce(&Lab, SocketAddr)) {
    bounded(async {
        let (lab, addr) = lab(name).await;
        test(&lab, addr).await;
        lab.shutdown().await;
    })
    .await;
}

async fn lab(name: &str) -> (Lab, SocketAddr) {
    let lab = Lab::start_only(&[name]).await.expect("lab starts");
    let addr = lab.scenario(name).expect("scenario runs").addr;
    (lab, addr)
}

/// A TLS client configuration trusting the lab CA (or nothing).
fn tls_config(lab: &Lab) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(lab.ca_der().to_vec()))
        .expect("lab CA parses");
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    Arc::new(config)
}

fn ip_name() -> ServerName<'static> {
    ServerName::try_from("127.0.0.1").expect("an IP server name")
}

/// The rustls error inside a failed handshake.
fn tls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

async fn tls_connect(
    lab: &Lab,
    tcp: TcpStream,
    name: ServerName<'static>,
) -> io::Result<TlsStream<TcpStream>> {
    let connect = TlsConnector::from(tls_config(lab)).connect(name, tcp);
    timeout(READ_LIMIT, connect).await.expect("handshake ends")
}

/// An SMTP client over any stream, reading replies with wire's reader.
struct Client<S> {
    stream: S,
    reader: ReplyReader,
    /// Every byte received, for checking line endings.
    raw: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    fn new(stream: S) -> Self {
        Client {
            stream,
            reader: ReplyReader::new(),
            raw: Vec::new(),
        }
    }

    async fn reply(&mut self) -> Reply {
        let mut buf = [0u8; 4096];
        let mut progress = self.reader.push(&[]).expect("a reply");
        loop {
            if let Progress::Complete(reply) = progress {
                return reply;
            }
            let n = timeout(READ_LIMIT, self.stream.read(&mut buf))
                .await
                .expect("a reply in time")
                .expect("read");
            assert!(n > 0, "closed mid-reply after {:?}", self.raw);
            self.raw.extend_from_slice(&buf[..n]);
            progress = self.reader.push(&buf[..n]).expect("a well-formed reply");
        }
    }

    async fn send(&mut self, command: Command) {
        let bytes = command.to_bytes().expect("a command");
        self.stream.write_all(&bytes).await.expect("write");
    }

    async fn cmd(&mut self, command: Command) -> Reply {
        self.send(command).await;
        self.reply().await
    }

    /// Asserts the server closes the connection now.
    async fn expect_eof(&mut self) {
        let mut buf = [0u8; 64];
        let n = timeout(READ_LIMIT, self.stream.read(&mut buf))
            .await
            .expect("close in time")
            .unwrap_or(0);
        assert_eq!(n, 0, "unexpected {:?}", &buf[..n]);
    }
}

fn ehlo() -> Command {
    Command::Ehlo("client.lab.invalid".into())
}

fn mail() -> Command {
    Command::MailFrom {
        addr: "sender@lab.invalid".into(),
        params: vec![],
    }
}

fn rcpt(addr: &str) -> Command {
    Command::RcptTo {
        addr: addr.into(),
        params: vec![],
    }
}

fn code(reply: &Reply) -> u16 {
    reply.code.get()
}

fn enhanced(reply: &Reply) -> String {
    reply.enhanced.map(|e| e.to_string()).unwrap_or_default()
}

/// Connects, reads the banner and EHLOs: a client ready for the next command.
async fn greeted(addr: SocketAddr) -> Client<TcpStream> {
    let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
    c.reply().await;
    c.cmd(ehlo()).await;
    c
}

/// Connects, reads the banner, EHLOs and sends STARTTLS: the stream, ready for the handshake.
async fn ready_for_tls(addr: SocketAddr) -> TcpStream {
    let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
    assert_eq!(code(&c.reply().await), 220);
    let caps = EhloCapabilities::parse(&c.cmd(ehlo()).await).expect("EHLO reply");
    assert!(caps.has("STARTTLS"));
    assert_eq!(code(&c.cmd(Command::StartTls).await), 220);
    c.stream
}

/// Connects, reads the banner, EHLOs, STARTTLS, handshakes as `name`, EHLOs again.
async fn starttls(lab: &Lab, addr: SocketAddr) -> (Client<TlsStream<TcpStream>>, EhloCapabilities) {
    let tls = tls_connect(lab, ready_for_tls(addr).await, ip_name())
        .await
        .expect("handshake with the lab CA");
    let mut c = Client::new(tls);
    let caps = EhloCapabilities::parse(&c.cmd(ehlo()).await).expect("EHLO reply");
    (c, caps)
}

/// Reads everything until the peer closes (or resets), at most `cap` bytes.
async fn read_to_end(stream: &mut TcpStream, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while out.len() < cap {
        match timeout(READ_LIMIT, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!("no close after {} bytes", out.len()),
        }
    }
    out
}

/// Asserts that nothing arrives within `quiet`.
async fn assert_silent(stream: &mut TcpStream, quiet: Duration) {
    let mut buf = [0u8; 64];
    match timeout(quiet, stream.read(&mut buf)).await {
        Err(_) => {}
        Ok(result) => panic!("expected silence, got {result:?}"),
    }
}

#[tokio::test]
async fn every_scenario_starts_on_its_own_loopback_port() {
    bounded(async {
        let lab = Lab::start().await.expect("lab starts");
        let names: Vec<&str> = lab.scenarios().iter().map(|s| s.name).collect();
        assert_eq!(names, Lab::names());
        assert_eq!(names.len(), 27);
        let mut ports: Vec<u16> = lab.scenarios().iter().map(|s| s.addr.port()).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 27);
        for s in lab.scenarios() {
            assert!(s.addr.ip().is_loopback(), "{}", s.name);
            assert!(!s.description.is_empty());
        }
        let expect = |name: &str| lab.scenario(name).expect(name).expect;
        assert_eq!(expect("healthy"), Category::Delivered);
        assert_eq!(expect("silent"), Category::BannerFailure);
        assert_eq!(expect("tls-on-plain"), Category::TlsFailure);
        assert_eq!(expect("greeting-421"), Category::TooManyConn);
        assert_eq!(expect("greylist"), Category::Greylisted);
        assert_eq!(expect("user-unknown"), Category::UserUnknown);
        assert_eq!(expect("auth-required"), Category::SecurityError);
        assert_eq!(
            lab.scenario("plain-on-tls").expect("runs").tls,
            ClientTls::Implicit
        );
        assert!(lab.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn an_unknown_scenario_is_an_error() {
    bounded(async {
        let err = Lab::start_only(&["healthy", "nope"])
            .await
            .expect_err("unknown name");
        assert!(matches!(&err, LabError::UnknownScenario(n) if n == "nope"));
        assert!(err.to_string().contains("greylist"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn the_lab_listens_on_ipv6_loopback_at_fixed_ports_and_never_beyond_loopback() {
    bounded(async {
        // A port free a moment ago on ::1.
        let port = std::net::TcpListener::bind("[::1]:0")
            .and_then(|l| l.local_addr())
            .expect("::1 is available")
            .port();
        let lab = Lab::start_with(LabOptions {
            only: Some(vec!["healthy".into()]),
            address: "::1".parse().expect("an IP"),
            base_port: Some(port),
            ..LabOptions::default()
        })
        .await
        .expect("lab starts on ::1");
        let addr = lab.scenario("healthy").expect("runs").addr;
        assert_eq!(addr, SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port)));
        // The good certificate is valid for ::1 too.
        let name = ServerName::try_from("::1").expect("an IP server name");
        let tls = tls_connect(&lab, ready_for_tls(addr).await, name)
            .await
            .expect("valid for ::1");
        let mut c = Client::new(tls);
        assert_eq!(code(&c.cmd(ehlo()).await), 250);
        lab.shutdown().await;
        let err = Lab::start_with(LabOptions {
            address: "192.0.2.1".parse().expect("an IP"),
            ..LabOptions::default()
        })
        .await
        .expect_err("not loopback");
        assert!(matches!(err, LabError::NotLoopback(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn healthy_sends_its_certificate_with_the_intermediate_ca() {
    on_lab("healthy", async |lab, addr| {
        // Trusting only the root: the intermediate the server sends completes the chain.
        let tls = tls_connect(lab, ready_for_tls(addr).await, ip_name())
            .await
            .expect("verified through the intermediate");
        let chain = tls
            .get_ref()
            .1
            .peer_certificates()
            .expect("a chain")
            .to_vec();
        assert_eq!(chain.len(), 2, "leaf and intermediate");
        assert_ne!(
            chain[1].as_ref(),
            lab.ca_der(),
            "the root itself is not sent"
        );
        // Without the intermediate, the leaf alone does not verify against the root.
        let roots = {
            let mut r = RootCertStore::empty();
            r.add(CertificateDer::from(lab.ca_der().to_vec()))
                .expect("CA");
            r
        };
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .expect("verifier");
        use rustls::client::danger::ServerCertVerifier as _;
        let now = rustls::pki_types::UnixTime::now();
        let alone = verifier.verify_server_cert(&chain[0], &[], &ip_name(), &[], now);
        assert!(
            matches!(
                alone,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer
                ))
            ),
            "{alone:?}"
        );
        assert!(verifier
            .verify_server_cert(&chain[0], &chain[1..], &ip_name(), &[], now)
            .is_ok());
    })
    .await;
}

#[tokio::test]
async fn healthy_speaks_esmtp_with_starttls_auth_and_data() {
    on_lab("healthy", async |lab, addr| {
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        let banner = c.reply().await;
        assert_eq!(code(&banner), 220);
        assert!(banner.text().starts_with(LAB_HOSTNAME));
        let caps = EhloCapabilities::parse(&c.cmd(ehlo()).await).expect("EHLO");
        for keyword in [
            "PIPELINING",
            "SIZE",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "STARTTLS",
        ] {
            assert!(caps.has(keyword), "{keyword} missing");
        }
        assert!(!caps.has("AUTH"), "AUTH offered before TLS");
        // AUTH before TLS is refused.
        let refused = c.cmd(Command::auth_login()).await;
        assert_eq!(code(&refused), 503);

        assert_eq!(code(&c.cmd(Command::StartTls).await), 220);
        let tls = tls_connect(lab, c.stream, ip_name())
            .await
            .expect("handshake trusting the lab CA");
        let mut c = Client::new(tls);
        let caps = EhloCapabilities::parse(&c.cmd(ehlo()).await).expect("EHLO");
        assert!(!caps.has("STARTTLS"));
        assert!(caps.supports_auth("PLAIN") && caps.supports_auth("LOGIN"));
        let password = Secret::new(LAB_PASSWORD.into());
        let auth = c.cmd(Command::auth_plain(LAB_USER, &password)).await;
        assert_eq!((code(&auth), enhanced(&auth).as_str()), (235, "2.7.0"));
        assert_eq!(code(&c.cmd(mail()).await), 250);
        assert_eq!(code(&c.cmd(rcpt("postmaster@lab.invalid")).await), 250);
        assert_eq!(code(&c.cmd(Command::Data).await), 354);
        c.stream
            .write_all(b"Subject: lab\r\n\r\nHello.\r\n..leading dot\r\n.\r\n")
            .await
            .expect("write");
        let queued = c.reply().await;
        assert_eq!(code(&queued), 250, "{queued:?}");
        assert!(queued.text().contains("queued as LAB"));
        assert_eq!(code(&c.cmd(Command::Rset).await), 250);
        assert_eq!(code(&c.cmd(Command::Noop).await), 250);
        assert_eq!(code(&c.cmd(Command::Quit).await), 221);
        c.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn healthy_certificate_is_valid_for_the_lab_name_and_auth_login_checks_the_password() {
    on_lab("healthy", async |lab, addr| {
        let name = ServerName::try_from(LAB_HOSTNAME).expect("a DNS name");
        let tls = tls_connect(lab, ready_for_tls(addr).await, name)
            .await
            .expect("valid for the lab name");
        let mut c = Client::new(tls);
        c.cmd(ehlo()).await;
        let user = c.cmd(Command::auth_login()).await;
        assert_eq!((code(&user), user.text().as_str()), (334, "VXNlcm5hbWU6"));
        let pass = c.cmd(Command::AuthLoginUser(LAB_USER.into())).await;
        assert_eq!((code(&pass), pass.text().as_str()), (334, "UGFzc3dvcmQ6"));
        let wrong = Secret::new("not-the-password".into());
        let failed = c.cmd(Command::auth_login_password(&wrong)).await;
        assert_eq!((code(&failed), enhanced(&failed).as_str()), (535, "5.7.8"));
    })
    .await;
}

#[tokio::test]
async fn healthy_answers_pipelined_commands_in_order_and_bounds_lines_and_errors() {
    on_lab("healthy", async |_, addr| {
        let mut c = greeted(addr).await;
        c.stream
            .write_all(b"MAIL FROM:<a@lab.invalid>\r\nRCPT TO:<b@lab.invalid>\r\nDATA\r\n")
            .await
            .expect("write");
        let codes = [
            code(&c.reply().await),
            code(&c.reply().await),
            code(&c.reply().await),
        ];
        assert_eq!(codes, [250, 250, 354]);
        c.stream.write_all(b".\r\n").await.expect("write");
        assert_eq!(code(&c.reply().await), 250);
        // An over-long line is refused without being kept.
        let mut long = vec![b'X'; 10_000];
        long.extend_from_slice(b"\r\n");
        c.stream.write_all(&long).await.expect("write");
        let too_long = c.reply().await;
        assert_eq!(
            (code(&too_long), enhanced(&too_long).as_str()),
            (500, "5.5.2")
        );
        // Enough errors and the server hangs up with a 421.
        let mut last = too_long;
        for _ in 0..20 {
            c.stream.write_all(b"BOGUS\r\n").await.expect("write");
            last = c.reply().await;
            if code(&last) == 421 {
                break;
            }
        }
        assert_eq!(code(&last), 421);
        c.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn silent_never_sends_a_banner_and_the_lifetime_cap_ends_it() {
    bounded(async {
        let (lab, addr) = lab("silent").await;
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(b"EHLO client.lab.invalid\r\n")
            .await
            .expect("write");
        assert_silent(&mut tcp, Duration::from_millis(800)).await;
        lab.shutdown().await;

        let lab = Lab::start_with(LabOptions {
            only: Some(vec!["silent".into()]),
            connection_lifetime: Duration::from_millis(300),
            ..LabOptions::default()
        })
        .await
        .expect("lab starts");
        let addr = lab.scenario("silent").expect("runs").addr;
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        assert!(read_to_end(&mut tcp, 1024).await.is_empty());
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn close_closes_right_after_accept() {
    on_lab("close", async |_, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        assert!(read_to_end(&mut tcp, 1024).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn http_answers_like_an_http_server() {
    on_lab("http", async |_, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let got = read_to_end(&mut tcp, 64 * 1024).await;
        assert!(got.starts_with(b"HTTP/1.1 400 Bad Request\r\n"), "{got:?}");
        assert_eq!(classify_non_smtp(&got), Some("an HTTP server"));
        let mut reader = ReplyReader::new();
        assert!(
            reader.push(&got).is_err(),
            "wire must not take HTTP for SMTP"
        );
    })
    .await;
}

#[tokio::test]
async fn ssh_sends_an_openssh_banner_and_refuses_smtp() {
    on_lab("ssh", async |_, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let mut buf = [0u8; 256];
        let n = timeout(READ_LIMIT, tcp.read(&mut buf))
            .await
            .expect("banner in time")
            .expect("read");
        assert_eq!(&buf[..n], b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
        assert_eq!(classify_non_smtp(&buf[..n]), Some("an SSH server"));
        tcp.write_all(b"EHLO client.lab.invalid\r\n")
            .await
            .expect("write");
        let rest = read_to_end(&mut tcp, 1024).await;
        assert_eq!(rest, b"Invalid SSH identification string.\r\n");
    })
    .await;
}

#[tokio::test]
async fn tls_on_plain_waits_for_a_client_hello() {
    on_lab("tls-on-plain", async |lab, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        assert_silent(&mut tcp, Duration::from_millis(500)).await;
        tcp.write_all(b"EHLO client.lab.invalid\r\n")
            .await
            .expect("write");
        let answer = read_to_end(&mut tcp, 1024).await;
        // Nothing, or a TLS alert record: never an SMTP reply.
        assert!(
            answer.is_empty() || answer.starts_with(&[0x15, 0x03]),
            "{answer:?}"
        );
        // A TLS client gets SMTP inside TLS, with AUTH and without STARTTLS.
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let tls = tls_connect(lab, tcp, ip_name())
            .await
            .expect("implicit TLS");
        let mut c = Client::new(tls);
        assert_eq!(code(&c.reply().await), 220);
        let caps = EhloCapabilities::parse(&c.cmd(ehlo()).await).expect("EHLO");
        assert!(caps.supports_auth("PLAIN") && !caps.has("STARTTLS"));
    })
    .await;
}

#[tokio::test]
async fn plain_on_tls_greets_in_plain_text() {
    on_lab("plain-on-tls", async |lab, addr| {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let err = tls_connect(lab, tcp, ip_name())
            .await
            .expect_err("no TLS server there");
        let kind = tls_error(&err);
        assert!(
            matches!(kind, Some(rustls::Error::InvalidMessage(_))),
            "{err:?}"
        );
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        assert_eq!(code(&c.reply().await), 220);
    })
    .await;
}

#[tokio::test]
async fn greeting_421_refuses_and_closes() {
    on_lab("greeting-421", async |_, addr| {
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        let banner = c.reply().await;
        assert_eq!((code(&banner), enhanced(&banner).as_str()), (421, "4.7.0"));
        assert!(banner.text().contains("Too many connections"));
        c.expect_eof().await;
    })
    .await;
}

#[tokio::test]
async fn tarpit_paces_its_banner() {
    bounded(async {
        let (lab, addr) = lab("tarpit").await;
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        // A server that is not pacing sends its banner in one write; this one needs a read per
        // byte. Loose on purpose: a stalled test thread may find two bytes waiting.
        let mut got = Vec::new();
        let mut reads = Vec::new();
        let mut buf = [0u8; 64];
        while got.len() < 3 {
            let n = timeout(READ_LIMIT, tcp.read(&mut buf))
                .await
                .expect("a byte in time")
                .expect("read");
            assert!(n > 0, "closed");
            got.extend_from_slice(&buf[..n]);
            reads.push(n);
        }
        assert!(got.starts_with(b"220"), "{got:?}");
        assert!(reads.len() >= 2 && reads[0] < 3, "reads {reads:?}");
        lab.shutdown().await;

        // With a fast pace the banner completes and the dialogue goes on.
        let lab = Lab::start_with(LabOptions {
            only: Some(vec!["tarpit".into()]),
            tarpit_interval: Duration::from_millis(5),
            ..LabOptions::default()
        })
        .await
        .expect("lab starts");
        let addr = lab.scenario("tarpit").expect("runs").addr;
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        let banner = c.reply().await;
        assert_eq!(code(&banner), 220);
        assert!(banner.text().contains("tarpit"));
        assert_eq!(code(&c.cmd(ehlo()).await), 250);
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn greylist_answers_451_at_rcpt() {
    on_lab("greylist", async |lab, addr| {
        let (mut c, _) = starttls(lab, addr).await;
        assert_eq!(code(&c.cmd(mail()).await), 250);
        let reply = c.cmd(rcpt("postmaster@lab.invalid")).await;
        assert_eq!((code(&reply), enhanced(&reply).as_str()), (451, "4.7.1"));
        assert_eq!(
            reply.text(),
            "4.7.1 Greylisted, please try again in 300 seconds"
        );
    })
    .await;
}

#[tokio::test]
async fn user_unknown_answers_550_at_rcpt() {
    on_lab("user-unknown", async |_, addr| {
        let mut c = greeted(addr).await;
        assert_eq!(code(&c.cmd(mail()).await), 250);
        let reply = c.cmd(rcpt("nobody@lab.invalid")).await;
        assert_eq!((code(&reply), enhanced(&reply).as_str()), (550, "5.1.1"));
        assert_eq!(
            reply.text(),
            "5.1.1 <nobody@lab.invalid>: Recipient address rejected: \
             User unknown in local recipient table"
        );
    })
    .await;
}

#[tokio::test]
async fn auth_required_answers_530_at_mail_until_authenticated() {
    on_lab("auth-required", async |lab, addr| {
        let (mut c, caps) = starttls(lab, addr).await;
        assert!(caps.supports_auth("PLAIN"));
        let refused = c.cmd(mail()).await;
        assert_eq!(
            (code(&refused), enhanced(&refused).as_str()),
            (530, "5.7.0")
        );
        assert_eq!(refused.text(), "5.7.0 Authentication required");
        let password = Secret::new(LAB_PASSWORD.into());
        assert_eq!(
            code(&c.cmd(Command::auth_plain(LAB_USER, &password)).await),
            235
        );
        assert_eq!(code(&c.cmd(mail()).await), 250);
    })
    .await;
}

#[tokio::test]
async fn starttls_broken_answers_220_then_no_handshake() {
    on_lab("starttls-broken", async |lab, addr| {
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        c.reply().await;
        let caps = EhloCapabilities::parse(&c.cmd(ehlo()).await).expect("EHLO");
        assert!(caps.has("STARTTLS"));
        assert_eq!(code(&c.cmd(Command::StartTls).await), 220);
        let err = tls_connect(lab, c.stream, ip_name())
            .await
            .expect_err("no handshake");
        assert!(
            matches!(tls_error(&err), Some(rustls::Error::InvalidMessage(_))),
            "{err:?}"
        );
    })
    .await;
}

/// Runs STARTTLS against `name` and returns the certificate error of the handshake.
async fn certificate_error(name: &str, server_name: ServerName<'static>) -> CertificateError {
    let (lab, addr) = lab(name).await;
    let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
    c.reply().await;
    c.cmd(ehlo()).await;
    assert_eq!(code(&c.cmd(Command::StartTls).await), 220);
    let err = tls_connect(&lab, c.stream, server_name)
        .await
        .expect_err("certificate refused");
    lab.shutdown().await;
    match tls_error(&err) {
        Some(rustls::Error::InvalidCertificate(e)) => e.clone(),
        other => panic!("not a certificate error: {other:?} ({err:?})"),
    }
}

#[tokio::test]
async fn cert_expired_fails_verification_as_expired() {
    bounded(async {
        let err = certificate_error("cert-expired", ip_name()).await;
        assert!(
            matches!(
                err,
                CertificateError::Expired | CertificateError::ExpiredContext { .. }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn cert_self_signed_fails_verification_as_unknown_issuer() {
    bounded(async {
        let err = certificate_error("cert-self-signed", ip_name()).await;
        assert_eq!(err, CertificateError::UnknownIssuer);
    })
    .await;
}

#[tokio::test]
async fn cert_wrong_name_fails_verification_for_the_lab_names_only() {
    bounded(async {
        for name in ["127.0.0.1", LAB_HOSTNAME, "localhost"] {
            let server_name = ServerName::try_from(name).expect("a name").to_owned();
            let err = certificate_error("cert-wrong-name", server_name).await;
            assert!(
                matches!(
                    err,
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                ),
                "{name}: {err:?}"
            );
        }
        // The same certificate verifies for the name it was issued for.
        let (lab, addr) = lab("cert-wrong-name").await;
        let mut c = greeted(addr).await;
        c.cmd(Command::StartTls).await;
        let name = ServerName::try_from(WRONG_NAME).expect("a DNS name");
        tls_connect(&lab, c.stream, name)
            .await
            .expect("valid for its own name");
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn multiline_banner_has_three_lines() {
    on_lab("multiline-banner", async |_, addr| {
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        let banner = c.reply().await;
        assert_eq!(code(&banner), 220);
        assert_eq!(banner.lines.len(), 3);
        assert!(banner.anomalies.is_empty(), "{:?}", banner.anomalies);
        assert!(c.raw.starts_with(b"220-mx.lab.invalid"));
        assert_eq!(code(&c.cmd(ehlo()).await), 250);
    })
    .await;
}

#[tokio::test]
async fn garbage_sends_exactly_its_cap_of_printable_bytes_then_closes() {
    on_lab("garbage", async |_, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let got = read_to_end(&mut tcp, GARBAGE_BYTES + 1024).await;
        assert_eq!(got.len(), GARBAGE_BYTES);
        assert!(
            got.iter().all(|b| (0x20..=0x7e).contains(b)),
            "not printable"
        );
        // wire's bounded reader refuses it rather than buffering 10 MiB.
        let mut reader = ReplyReader::new();
        assert!(reader.push(&got[..128 * 1024]).is_err());
    })
    .await;
}

#[tokio::test]
async fn junk_banner_sends_lines_without_a_code_before_its_greeting() {
    bounded(async {
        let (lab, addr) = lab("junk-banner").await;
        assert_eq!(
            lab.scenario("junk-banner").expect("runs").expect,
            Category::BannerFailure
        );
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let mut raw = Vec::new();
        let mut buf = [0u8; 512];
        while !raw.ends_with(b"smtp-doctor-lab\r\n") {
            let n = timeout(READ_LIMIT, tcp.read(&mut buf))
                .await
                .expect("greeting in time")
                .expect("read");
            assert!(n > 0, "closed after {raw:?}");
            raw.extend_from_slice(&buf[..n]);
        }
        assert_eq!(
            raw,
            b"* proxy ready\r\nconnecting to backend...\r\n220 mx.lab.invalid ESMTP smtp-doctor-lab\r\n"
        );
        // Read as a greeting, the junk is skipped and reported; the dialogue then is healthy.
        let mut reader = ReplyReader::new();
        reader.expect_greeting(4096);
        let Ok(Progress::Complete(banner)) = reader.push(&raw) else {
            panic!("a greeting")
        };
        assert_eq!(code(&banner), 220);
        assert!(
            matches!(
                banner.anomalies.as_slice(),
                [Anomaly::BytesBeforeGreeting { bytes: 41, lines: 2, .. }]
            ),
            "{:?}",
            banner.anomalies
        );
        let mut c = Client::new(tcp);
        assert_eq!(code(&c.cmd(ehlo()).await), 250);
        // A reader not told to expect a greeting calls it not SMTP.
        assert!(ReplyReader::new().push(&raw).is_err());
    })
    .await;
}

#[tokio::test]
async fn bare_lf_ends_every_reply_line_with_lf_alone() {
    bounded(async {
        let (lab, addr) = lab("bare-lf").await;
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        let banner = c.reply().await;
        assert_eq!(code(&banner), 220);
        assert!(matches!(
            banner.anomalies.as_slice(),
            [Anomaly::BareLf { line: 0 }]
        ));
        let ehlo_reply = c.cmd(ehlo()).await;
        assert_eq!(
            ehlo_reply
                .anomalies
                .iter()
                .filter(|a| matches!(a, Anomaly::BareLf { .. }))
                .count(),
            ehlo_reply.lines.len()
        );
        assert!(!c.raw.contains(&b'\r'));
        // Inside TLS too.
        assert_eq!(code(&c.cmd(Command::StartTls).await), 220);
        let tls = tls_connect(&lab, c.stream, ip_name())
            .await
            .expect("handshake");
        let mut c = Client::new(tls);
        let reply = c.cmd(ehlo()).await;
        assert!(reply
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::BareLf { .. })));
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    bounded(async {
        let lab = Lab::start_with(LabOptions {
            only: Some(vec!["silent".into()]),
            max_connections: 2,
            ..LabOptions::default()
        })
        .await
        .expect("lab starts");
        let addr = lab.scenario("silent").expect("runs").addr;
        let mut first = TcpStream::connect(addr).await.expect("connect");
        let mut second = TcpStream::connect(addr).await.expect("connect");
        // Let the server accept both before the third arrives.
        assert_silent(&mut first, Duration::from_millis(200)).await;
        let mut third = TcpStream::connect(addr).await.expect("connect");
        assert!(read_to_end(&mut third, 1024).await.is_empty());
        assert_silent(&mut second, Duration::from_millis(200)).await;
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_every_listener_and_connection() {
    bounded(async {
        let lab = Lab::start().await.expect("lab starts");
        let addrs: Vec<SocketAddr> = lab.scenarios().iter().map(|s| s.addr).collect();
        let silent = lab.scenario("silent").expect("runs").addr;
        let mut held = TcpStream::connect(silent).await.expect("connect");
        assert_silent(&mut held, Duration::from_millis(200)).await;
        lab.shutdown().await;
        for addr in addrs {
            let err = TcpStream::connect(addr).await.expect_err("listener closed");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{addr}");
        }
        // The connection held open is closed too.
        let mut buf = [0u8; 16];
        let n = timeout(READ_LIMIT, held.read(&mut buf))
            .await
            .expect("closed in time")
            .unwrap_or(0);
        assert_eq!(n, 0);
    })
    .await;
}

#[tokio::test]
async fn dropping_the_lab_stops_its_servers() {
    bounded(async {
        let lab = Lab::start_only(&["healthy"]).await.expect("lab starts");
        let addr = lab.scenario("healthy").expect("runs").addr;
        drop(lab);
        // Aborting is asynchronous: the listener goes once the runtime has run the abort.
        let refused = async {
            loop {
                match TcpStream::connect(addr).await {
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => break,
                    _ => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        };
        timeout(READ_LIMIT, refused)
            .await
            .expect("listener closed after drop");
    })
    .await;
}

#[tokio::test]
async fn flood_sends_100_mib_without_a_newline() {
    on_lab("flood", async |_, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        // Counted, not kept.
        let (mut total, mut newlines) = (0usize, 0usize);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match timeout(READ_LIMIT, tcp.read(&mut buf))
                .await
                .expect("data in time")
            {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    newlines += buf[..n]
                        .iter()
                        .filter(|&&b| b == b'\n' || b == b'\r')
                        .count();
                }
            }
        }
        assert_eq!((total, newlines), (FLOOD_BYTES, 0));
    })
    .await;
}

#[tokio::test]
async fn drip_sends_continuation_lines_and_never_the_last_one() {
    bounded(async {
        let lab = Lab::start_with(LabOptions {
            only: Some(vec!["drip".into()]),
            drip_interval: Duration::from_millis(100),
            ..LabOptions::default()
        })
        .await
        .expect("lab starts");
        let addr = lab.scenario("drip").expect("runs").addr;
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let mut reader = ReplyReader::new();
        let mut raw = Vec::new();
        let mut buf = [0u8; 512];
        while raw.iter().filter(|&&b| b == b'\n').count() < 5 {
            let n = timeout(READ_LIMIT, tcp.read(&mut buf))
                .await
                .expect("a line in time")
                .expect("read");
            assert!(n > 0, "closed after {raw:?}");
            raw.extend_from_slice(&buf[..n]);
            assert!(
                matches!(reader.push(&buf[..n]), Ok(Progress::NeedMore)),
                "the greeting never completes"
            );
        }
        assert!(
            raw.starts_with(b"220-mx.lab.invalid greeting line 1,"),
            "{raw:?}"
        );
        assert!(reader.is_mid_reply());
        assert!(reader
            .first_bytes()
            .starts_with(b"220-mx.lab.invalid greeting line 1,"));
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn reset_sends_half_a_greeting_then_a_reset() {
    on_lab("reset", async |_, addr| {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let mut raw = Vec::new();
        let mut buf = [0u8; 512];
        let err = loop {
            match timeout(READ_LIMIT, tcp.read(&mut buf))
                .await
                .expect("in time")
            {
                Ok(0) => panic!("an orderly close after {raw:?}, not a reset"),
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err:?}");
        assert!(raw.starts_with(b"220-mx.lab.invalid ESMTP\r\n"), "{raw:?}");
    })
    .await;
}

#[tokio::test]
async fn nul_banner_greets_with_nul_bytes() {
    on_lab("nul-banner", async |_, addr| {
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        let banner = c.reply().await;
        assert_eq!(code(&banner), 220);
        assert!(
            banner
                .anomalies
                .iter()
                .any(|a| matches!(a, Anomaly::NulByte { .. })),
            "{banner:?}"
        );
        assert_eq!(code(&c.cmd(ehlo()).await), 250);
    })
    .await;
}

#[tokio::test]
async fn ehlo_flood_sends_100_000_continuation_lines() {
    bounded(async {
        let (first, addr) = lab("ehlo-flood").await;
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        c.reply().await;
        c.send(ehlo()).await;
        // The default bounds refuse it...
        let mut buf = vec![0u8; 64 * 1024];
        let mut refused = false;
        while !refused {
            let n = timeout(READ_LIMIT, c.stream.read(&mut buf))
                .await
                .expect("in time")
                .expect("read");
            assert!(n > 0, "closed before the reply was refused");
            refused = c.reader.push(&buf[..n]).is_err();
        }
        first.shutdown().await;
        // ...and a reader with room for it counts every line.
        let (lab, addr) = lab("ehlo-flood").await;
        let mut c = Client::new(TcpStream::connect(addr).await.expect("connect"));
        c.reader = ReplyReader::with_limits(smtp_doctor_wire::Limits {
            max_line: 4096,
            max_reply: 64 * 1024 * 1024,
            max_lines: 1_000_000,
        });
        c.reply().await;
        let reply = c.cmd(ehlo()).await;
        assert_eq!(code(&reply), 250);
        // The greeting line, the usual capabilities, the flood, and the last line.
        assert!(
            reply.lines.len() > EHLO_FLOOD_LINES,
            "{}",
            reply.lines.len()
        );
        assert_eq!(reply.lines.last().map(String::as_str), Some("OK"));
        lab.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn tls_stall_stops_half_way_through_the_handshake() {
    on_lab("tls-stall", async |lab, addr| {
        let tcp = ready_for_tls(addr).await;
        let connect = TlsConnector::from(tls_config(lab)).connect(ip_name(), tcp);
        assert!(
            timeout(Duration::from_secs(2), connect).await.is_err(),
            "the handshake neither completes nor fails"
        );
    })
    .await;
}

#[tokio::test]
async fn starttls_plain_goes_on_in_plain_text_after_its_220() {
    on_lab("starttls-plain", async |lab, addr| {
        let mut c = greeted(addr).await;
        assert_eq!(code(&c.cmd(Command::StartTls).await), 220);
        // A plain-text reply came with the 220, before any handshake.
        let after = c.reply().await;
        assert_eq!(
            (code(&after), after.text().as_str()),
            (250, "2.0.0 still in plain text")
        );
        let err = tls_connect(lab, c.stream, ip_name())
            .await
            .expect_err("no handshake");
        assert!(
            matches!(tls_error(&err), Some(rustls::Error::InvalidMessage(_))),
            "{err:?}"
        );
    })
    .await;
}
