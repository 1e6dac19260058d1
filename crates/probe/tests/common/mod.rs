//! Small scripted SMTP servers on 127.0.0.1:0 for the probe's tests, and a CA made with rcgen.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Every test is bounded by this.
pub const TEST_LIMIT: Duration = Duration::from_secs(20);

/// A stream the scripted server can talk over, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Accepts connections on 127.0.0.1:0 and runs `handler` on each.
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handler(stream));
        }
    });
    addr
}

/// A test CA and the certificates it signs.
pub struct Pki {
    pub ca_pem: String,
    ca_params: CertificateParams,
    ca_key: KeyPair,
}

/// A certificate chain and its key, ready for a TLS server.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    pub fn new() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "smtp-doctor test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = params.self_signed(&ca_key).unwrap();
        Pki {
            ca_pem: ca.pem(),
            ca_params: params,
            ca_key,
        }
    }

    /// A leaf for `names`, signed by the CA; `expired` puts its validity in the past.
    pub fn leaf(&self, names: &[&str], expired: bool) -> Identity {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("x"));
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Identity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// A self-signed certificate for `names`.
pub fn self_signed(names: &[&str]) -> Identity {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("x"));
    let cert = params.self_signed(&key).unwrap();
    Identity {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

pub fn acceptor(id: &Identity) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(id.chain.clone(), id.key.clone_key())
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// One side of a scripted conversation.
pub struct Peer {
    s: BufReader<Box<dyn Io>>,
}

impl Peer {
    pub fn new(s: impl Io + 'static) -> Peer {
        Peer {
            s: BufReader::new(Box::new(s)),
        }
    }

    pub async fn send(&mut self, text: &str) {
        let _ = self.s.get_mut().write_all(text.as_bytes()).await;
        let _ = self.s.get_mut().flush().await;
    }

    /// One line without CRLF; `None` at EOF. Bounded to 16 KiB.
    pub async fn line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        loop {
            let chunk = self.s.fill_buf().await.ok()?;
            if chunk.is_empty() {
                return None;
            }
            match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    buf.extend_from_slice(&chunk[..i]);
                    self.s.consume(i + 1);
                    break;
                }
                None => {
                    let n = chunk.len();
                    buf.extend_from_slice(chunk);
                    self.s.consume(n);
                }
            }
            if buf.len() > 16 * 1024 {
                return None;
            }
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Some(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Waits until the client closes.
    pub async fn hold(&mut self) {
        while self.line().await.is_some() {}
    }

    fn into_inner(self) -> Box<dyn Io> {
        self.s.into_inner()
    }
}

/// How the scripted ESMTP server behaves.
#[derive(Clone)]
pub struct Esmtp {
    pub banner: String,
    pub extensions: Vec<String>,
    pub tls: Option<TlsAcceptor>,
    /// Implicit TLS: handshake before the banner.
    pub implicit: bool,
    /// AUTH credentials accepted.
    pub user: String,
    pub password: String,
    /// RCPT addresses refused, with the reply line.
    pub refuse: Vec<(String, String)>,
    /// EHLO refused with 502 (HELO only).
    pub no_ehlo: bool,
    /// Every line received, in order.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Esmtp {
    pub fn new() -> Esmtp {
        Esmtp {
            banner: "220 mx.test ESMTP Postfix (Debian/GNU)\r\n".to_string(),
            extensions: vec![
                "PIPELINING".into(),
                "SIZE 10240000".into(),
                "8BITMIME".into(),
                "ENHANCEDSTATUSCODES".into(),
            ],
            tls: None,
            implicit: false,
            user: "lab".into(),
            password: "labpass".into(),
            refuse: Vec::new(),
            no_ehlo: false,
            log: Arc::default(),
        }
    }

    pub fn received(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Serves this behaviour on a new port.
    pub async fn start(self) -> SocketAddr {
        serve(move |stream| {
            let cfg = self.clone();
            async move { cfg.session(stream).await }
        })
        .await
    }

    async fn session(self, stream: TcpStream) {
        let mut peer = match (&self.tls, self.implicit) {
            (Some(acc), true) => match acc.accept(stream).await {
                Ok(s) => Peer::new(s),
                Err(_) => return,
            },
            _ => Peer::new(stream),
        };
        let mut tls = self.implicit;
        peer.send(&self.banner).await;
        loop {
            let Some(line) = peer.line().await else {
                return;
            };
            self.log.lock().unwrap().push(line.clone());
            let upper = line.to_ascii_uppercase();
            let verb = upper.split_whitespace().next().unwrap_or("").to_string();
            match verb.as_str() {
                "EHLO" if self.no_ehlo => {
                    peer.send("502 5.5.2 Error: command not recognized\r\n")
                        .await
                }
                "EHLO" => {
                    let mut ext = self.extensions.clone();
                    if self.tls.is_some() && !tls {
                        ext.push("STARTTLS".into());
                    }
                    if tls || self.tls.is_none() {
                        ext.push("AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2".into());
                    }
                    let mut reply = String::from("250-mx.test\r\n");
                    for (i, e) in ext.iter().enumerate() {
                        let sep = if i + 1 == ext.len() { ' ' } else { '-' };
                        reply.push_str(&format!("250{sep}{e}\r\n"));
                    }
                    if ext.is_empty() {
                        reply = "250 mx.test\r\n".into();
                    }
                    peer.send(&reply).await;
                }
                "HELO" => peer.send("250 mx.test\r\n").await,
                "STARTTLS" => {
                    let Some(acc) = self.tls.clone() else {
                        peer.send("502 5.5.1 no TLS here\r\n").await;
                        continue;
                    };
                    peer.send("220 2.0.0 Ready to start TLS\r\n").await;
                    let inner = peer.into_inner();
                    match acc.accept(inner).await {
                        Ok(s) => peer = Peer::new(s),
                        Err(_) => return,
                    }
                    tls = true;
                }
                "AUTH" => {
                    let ok = self.auth(&mut peer, &line).await;
                    if ok {
                        peer.send("235 2.7.0 Authentication successful\r\n").await;
                    } else {
                        peer.send("535 5.7.8 Error: authentication failed\r\n")
                            .await;
                    }
                }
                "MAIL" => peer.send("250 2.1.0 Ok\r\n").await,
                "RCPT" => {
                    let refused = self
                        .refuse
                        .iter()
                        .find(|(addr, _)| upper.contains(&addr.to_ascii_uppercase()));
                    match refused {
                        Some((_, reply)) => peer.send(&format!("{reply}\r\n")).await,
                        None => peer.send("250 2.1.5 Ok\r\n").await,
                    }
                }
                "DATA" => {
                    peer.send("354 End data with <CR><LF>.<CR><LF>\r\n").await;
                    while let Some(l) = peer.line().await {
                        self.log.lock().unwrap().push(l.clone());
                        if l == "." {
                            break;
                        }
                    }
                    peer.send("250 2.0.0 Ok: queued as 4Xyz\r\n").await;
                }
                "RSET" => peer.send("250 2.0.0 Ok\r\n").await,
                "NOOP" => peer.send("250 2.0.0 Ok\r\n").await,
                "QUIT" => {
                    peer.send("221 2.0.0 Bye\r\n").await;
                    return;
                }
                _ => {
                    peer.send("502 5.5.2 Error: command not recognized\r\n")
                        .await
                }
            }
        }
    }

    async fn auth(&self, peer: &mut Peer, line: &str) -> bool {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mech = words
            .get(1)
            .map(|m| m.to_ascii_uppercase())
            .unwrap_or_default();
        let decode = |s: &str| {
            String::from_utf8(BASE64.decode(s.trim()).unwrap_or_default()).unwrap_or_default()
        };
        match mech.as_str() {
            "PLAIN" => {
                let Some(initial) = words.get(2) else {
                    return false;
                };
                decode(initial) == format!("\0{}\0{}", self.user, self.password)
            }
            "LOGIN" => {
                peer.send("334 VXNlcm5hbWU6\r\n").await;
                let user = peer.line().await.unwrap_or_default();
                self.log.lock().unwrap().push(user.clone());
                peer.send("334 UGFzc3dvcmQ6\r\n").await;
                let pass = peer.line().await.unwrap_or_default();
                self.log.lock().unwrap().push(pass.clone());
                decode(&user) == self.user && decode(&pass) == self.password
            }
            "CRAM-MD5" => {
                let challenge = "<1896.697170952@mx.test>";
                peer.send(&format!("334 {}\r\n", BASE64.encode(challenge)))
                    .await;
                let resp = decode(&peer.line().await.unwrap_or_default());
                let mut mac = Hmac::<md5::Md5>::new_from_slice(self.password.as_bytes()).unwrap();
                mac.update(challenge.as_bytes());
                let hex: String = mac
                    .finalize()
                    .into_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                resp == format!("{} {hex}", self.user)
            }
            "XOAUTH2" => {
                let Some(initial) = words.get(2) else {
                    return false;
                };
                let ok = decode(initial)
                    == format!(
                        "user={}\x01auth=Bearer {}\x01\x01",
                        self.user, self.password
                    );
                if !ok {
                    peer.send("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n").await;
                    let _ = peer.line().await;
                }
                ok
            }
            _ => false,
        }
    }
}
