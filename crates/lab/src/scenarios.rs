//! The scenario table: what each lab server does and what a correct probe concludes.

use crate::certs::CertKind;
use crate::ClientTls;
use smtp_doctor_model::Category;

/// What a server does with a connection.
#[derive(Debug, Clone)]
pub(crate) enum Behaviour {
    /// The SMTP state machine, in plain text first (STARTTLS possible).
    Smtp(Dialogue),
    /// The SMTP state machine inside TLS from the first byte.
    ImplicitTls(Dialogue),
    /// Accepts and never says anything.
    Silent,
    /// Closes right after accept.
    Close,
    /// Answers like an HTTP server.
    Http,
    /// Sends an SSH identification banner.
    Ssh,
    /// Sends this many printable bytes without a newline, then closes.
    Garbage(usize),
    /// Sends a `220-` continuation line every [`crate::LabOptions::drip_interval`], never the last line.
    Drip,
    /// Sends the start of a greeting, then resets the connection (RST).
    Reset,
}

/// How STARTTLS behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartTls {
    /// Advertised; a real handshake presenting this certificate.
    Offer(CertKind),
    /// Advertised and answered with 220; the ClientHello is answered with garbage and a close.
    Broken,
    /// Advertised and answered with 220; the ClientHello gets the first bytes of a ServerHello
    /// record, then nothing until the client leaves.
    Stall,
    /// Advertised and answered with 220 followed, in the same write, by a plain-text reply; the
    /// ClientHello gets plain text too.
    Plaintext,
}

/// A deliberate failure at one command of an otherwise healthy dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// None.
    None,
    /// MAIL before a successful AUTH is answered 530.
    AuthRequired,
    /// Every RCPT is greylisted (451).
    Greylist,
    /// Every RCPT is an unknown user (550 5.1.1).
    UserUnknown,
    /// EHLO is answered with [`crate::EHLO_FLOOD_LINES`] continuation lines before its last line.
    EhloFlood,
}

/// The parameters of the SMTP state machine.
#[derive(Debug, Clone)]
pub(crate) struct Dialogue {
    /// Bytes sent before the greeting (a protocol anomaly); empty for a healthy server.
    pub(crate) before_banner: &'static str,
    /// The greeting's lines, each with its code and separator ("220-...", "220 ...").
    pub(crate) banner: &'static [&'static str],
    /// The greeting refuses the session: close after it.
    pub(crate) refuse: bool,
    /// Send the greeting one byte per `tarpit_interval`.
    pub(crate) tarpit: bool,
    /// Every reply line ends with this.
    pub(crate) eol: &'static str,
    /// STARTTLS behaviour (ignored under implicit TLS, where it is not offered).
    pub(crate) starttls: StartTls,
    /// The deliberate failure.
    pub(crate) fault: Fault,
}

/// The ordinary greeting.
const BANNER: &[&str] = &["220 mx.lab.invalid ESMTP smtp-doctor-lab"];

impl Dialogue {
    /// A healthy dialogue: ordinary banner, CRLF, STARTTLS with the good certificate.
    const fn healthy() -> Dialogue {
        Dialogue {
            before_banner: "",
            banner: BANNER,
            refuse: false,
            tarpit: false,
            eol: "\r\n",
            starttls: StartTls::Offer(CertKind::Good),
            fault: Fault::None,
        }
    }

    /// The healthy dialogue with a fault.
    const fn with_fault(fault: Fault) -> Dialogue {
        let mut d = Dialogue::healthy();
        d.fault = fault;
        d
    }

    /// The healthy dialogue with another STARTTLS behaviour.
    const fn with_starttls(starttls: StartTls) -> Dialogue {
        let mut d = Dialogue::healthy();
        d.starttls = starttls;
        d
    }
}

/// One scenario before it runs.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) tls: ClientTls,
    pub(crate) expect: Category,
    pub(crate) also: &'static [Category],
    pub(crate) behaviour: Behaviour,
}

/// Every scenario, in listing order.
pub(crate) fn all() -> Vec<Spec> {
    use Behaviour as B;
    use Category as C;
    let spec = |name, description, tls, expect, behaviour| Spec {
        name,
        description,
        tls,
        expect,
        also: &[],
        behaviour,
    };
    vec![
        spec(
            "healthy",
            "ESMTP with STARTTLS (lab CA), AUTH PLAIN LOGIN after TLS; accepts MAIL, RCPT, DATA",
            ClientTls::StartTls,
            C::Delivered,
            B::Smtp(Dialogue::healthy()),
        ),
        spec(
            "silent",
            "accepts the connection and never sends a banner",
            ClientTls::Plain,
            C::BannerFailure,
            B::Silent,
        ),
        spec(
            "close",
            "closes the connection right after accept",
            ClientTls::Plain,
            C::BannerFailure,
            B::Close,
        ),
        spec(
            "http",
            "an HTTP server (nginx's 400 Bad Request) where SMTP is expected",
            ClientTls::Plain,
            C::BannerFailure,
            B::Http,
        ),
        spec(
            "ssh",
            "an SSH server's identification banner where SMTP is expected",
            ClientTls::Plain,
            C::BannerFailure,
            B::Ssh,
        ),
        spec(
            "tls-on-plain",
            "implicit TLS (waits for a ClientHello) where plain SMTP is expected",
            ClientTls::Plain,
            C::TlsFailure,
            B::ImplicitTls(Dialogue::healthy()),
        ),
        spec(
            "plain-on-tls",
            "a plain SMTP banner where implicit TLS is expected",
            ClientTls::Implicit,
            C::TlsFailure,
            B::Smtp(Dialogue::healthy()),
        ),
        spec(
            "greeting-421",
            "greets with 421 too many connections and closes",
            ClientTls::Plain,
            C::TooManyConn,
            B::Smtp(Dialogue {
                banner: &["421 4.7.0 mx.lab.invalid Too many connections, try again later"],
                refuse: true,
                ..Dialogue::healthy()
            }),
        ),
        Spec {
            also: &[C::ConnectionTimeout],
            ..spec(
            "tarpit",
            "sends its banner one byte per second",
            ClientTls::Plain,
            C::BannerFailure,
            B::Smtp(Dialogue {
                banner: &[
                    "220 mx.lab.invalid ESMTP tarpit: this greeting arrives one byte per second",
                ],
                tarpit: true,
                ..Dialogue::healthy()
            }),
        )
        },
        spec(
            "greylist",
            "healthy until RCPT, which is greylisted (451 4.7.1)",
            ClientTls::StartTls,
            C::Greylisted,
            B::Smtp(Dialogue::with_fault(Fault::Greylist)),
        ),
        spec(
            "user-unknown",
            "healthy until RCPT, which is refused as an unknown user (550 5.1.1)",
            ClientTls::StartTls,
            C::UserUnknown,
            B::Smtp(Dialogue::with_fault(Fault::UserUnknown)),
        ),
        spec(
            "auth-required",
            "MAIL without AUTH is refused (530 5.7.0); AUTH works after STARTTLS",
            ClientTls::StartTls,
            C::SecurityError,
            B::Smtp(Dialogue::with_fault(Fault::AuthRequired)),
        ),
        spec(
            "starttls-broken",
            "advertises STARTTLS and answers 220, then answers the ClientHello with garbage and closes",
            ClientTls::StartTls,
            C::TlsFailure,
            B::Smtp(Dialogue::with_starttls(StartTls::Broken)),
        ),
        spec(
            "cert-expired",
            "STARTTLS with a lab-CA certificate whose notAfter lies in the past",
            ClientTls::StartTls,
            C::TlsFailure,
            B::Smtp(Dialogue::with_starttls(StartTls::Offer(CertKind::Expired))),
        ),
        spec(
            "cert-self-signed",
            "STARTTLS with a self-signed certificate for the right names",
            ClientTls::StartTls,
            C::TlsFailure,
            B::Smtp(Dialogue::with_starttls(StartTls::Offer(
                CertKind::SelfSigned,
            ))),
        ),
        spec(
            "cert-wrong-name",
            "STARTTLS with a lab-CA certificate for wrong-name.lab.invalid only",
            ClientTls::StartTls,
            C::TlsFailure,
            B::Smtp(Dialogue::with_starttls(StartTls::Offer(
                CertKind::WrongName,
            ))),
        ),
        spec(
            "multiline-banner",
            "healthy, with a three-line 220 greeting",
            ClientTls::StartTls,
            C::Delivered,
            B::Smtp(Dialogue {
                banner: &[
                    "220-mx.lab.invalid ESMTP smtp-doctor-lab",
                    "220-This greeting spans three lines.",
                    "220 No unsolicited mail, please.",
                ],
                ..Dialogue::healthy()
            }),
        ),
        spec(
            "garbage",
            "sends 10 MiB of printable bytes without a newline instead of a banner, then closes",
            ClientTls::Plain,
            C::BannerFailure,
            B::Garbage(crate::GARBAGE_BYTES),
        ),
        spec(
            "junk-banner",
            "two lines of text without a reply code before an otherwise healthy 220 greeting",
            ClientTls::StartTls,
            C::BannerFailure,
            B::Smtp(Dialogue {
                before_banner: "* proxy ready\r\nconnecting to backend...\r\n",
                ..Dialogue::healthy()
            }),
        ),
        spec(
            "bare-lf",
            "healthy, but every reply line ends with a bare LF (a protocol anomaly to report)",
            ClientTls::StartTls,
            C::Delivered,
            B::Smtp(Dialogue {
                eol: "\n",
                ..Dialogue::healthy()
            }),
        ),
        spec(
            "flood",
            "sends 100 MiB of printable bytes without a newline instead of a banner, then closes",
            ClientTls::Plain,
            C::BannerFailure,
            B::Garbage(crate::FLOOD_BYTES),
        ),
        spec(
            "drip",
            "sends a 220- continuation line every second and never the greeting's last line",
            ClientTls::Plain,
            C::BannerFailure,
            B::Drip,
        ),
        spec(
            "reset",
            "sends the first line of a two-line greeting, then resets the connection (RST)",
            ClientTls::Plain,
            C::BannerFailure,
            B::Reset,
        ),
        spec(
            "nul-banner",
            "healthy, but the greeting holds NUL bytes (a protocol anomaly to report)",
            ClientTls::StartTls,
            C::Delivered,
            B::Smtp(Dialogue {
                banner: &["220 mx.lab.invalid\0ESMTP\0smtp-doctor-lab"],
                ..Dialogue::healthy()
            }),
        ),
        spec(
            "ehlo-flood",
            "answers EHLO with 100,000 continuation lines before the last one",
            ClientTls::StartTls,
            C::SystemError,
            B::Smtp(Dialogue::with_fault(Fault::EhloFlood)),
        ),
        spec(
            "tls-stall",
            "answers STARTTLS with 220, then stalls half-way through the TLS handshake",
            ClientTls::StartTls,
            C::TlsFailure,
            B::Smtp(Dialogue::with_starttls(StartTls::Stall)),
        ),
        spec(
            "starttls-plain",
            "answers STARTTLS with 220 and goes on in plain text instead of a TLS handshake",
            ClientTls::StartTls,
            C::TlsFailure,
            B::Smtp(Dialogue::with_starttls(StartTls::Plaintext)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lower_case() {
        let specs = all();
        let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        assert!(names.iter().all(|n| n
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), specs.len());
        assert_eq!(specs.len(), 27);
    }

    #[test]
    fn banners_are_well_formed() {
        for spec in all() {
            if let Behaviour::Smtp(d) | Behaviour::ImplicitTls(d) = &spec.behaviour {
                let (last, rest) = d.banner.split_last().expect("a banner has lines");
                assert_eq!(last.as_bytes().get(3), Some(&b' '), "{}", spec.name);
                assert!(rest.iter().all(|l| l.as_bytes().get(3) == Some(&b'-')));
                assert_eq!(d.refuse, !last.starts_with("220"), "{}", spec.name);
            }
        }
    }
}
