//! `smtp-doctor check TARGET`: the live probe, classified, rendered, mapped to an exit code.

use crate::{EXIT_OK, EXIT_PROBLEMS};
use anyhow::{bail, Context, Result};
use smtp_doctor_dnsauth::dns::HickoryDns;
use smtp_doctor_dnsauth::report::{check_domain, CheckOptions, DomainReport};
use smtp_doctor_model::probe::ProbeReport;
use smtp_doctor_model::Stage;
use smtp_doctor_monitor::config::{read_bounded, read_secret};
use smtp_doctor_monitor::diagnose;
use smtp_doctor_probe::{
    probe, Auth, AuthMechanism, IpVersion, ProbeOptions, Target, Timeouts, TlsPolicy,
};
use smtp_doctor_render::check::{self, CheckFinding, CheckReport, Verdict};
use smtp_doctor_render::dns::DnsCheck;
use smtp_doctor_render::{check_json, Palette};
use smtp_doctor_wire::Secret;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Deadline of each DNS query of the DNS checks of a mail domain (`dns`'s default `--timeout`).
const DNS_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest CA file read.
const MAX_CA_FILE: u64 = 4 * 1024 * 1024;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Exit status: 0 healthy, 1 a problem was found, 2 usage or tool error; \
with --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
)]
pub(crate) struct Args {
    /// host, host:port, [v6]:port, IP, user@domain (MX lookup, RCPT TO the address) or domain.
    target: String,
    /// Port when the target names none (default 25, 465 with --tls implicit).
    #[arg(long)]
    port: Option<u16>,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    ipv6: bool,
    #[command(flatten)]
    dns: crate::dns::DnsArgs,
    /// Try every address of every mail host, not only the first of each.
    #[arg(long)]
    all_ips: bool,
    /// auto: implicit TLS on 465, STARTTLS when advertised; starttls: required; implicit; none.
    #[arg(long, value_enum, default_value_t = TlsArg::Auto)]
    tls: TlsArg,
    /// Fail when the session cannot be encrypted.
    #[arg(long)]
    require_tls: bool,
    /// Stop (with QUIT) after this stage: connect, banner, ehlo, starttls, tls, auth, mail, rcpt.
    #[arg(long, value_name = "STAGE", value_parser = parse_stage)]
    quit_after: Option<Stage>,
    /// The name to send with EHLO (default smtp-doctor.invalid).
    #[arg(long, value_name = "NAME")]
    ehlo: Option<String>,
    /// MAIL FROM address (default: the null sender when there are recipients).
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// RCPT TO address; repeat for several.
    #[arg(long, value_name = "ADDR")]
    to: Vec<String>,
    /// Connect deadline in seconds (fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout_connect: Option<Duration>,
    /// Banner deadline in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout_banner: Option<Duration>,
    /// Deadline of each command's reply and of the TLS handshake, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout_command: Option<Duration>,
    /// Deadline of the whole probe, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout_total: Option<Duration>,
    /// Trust the PEM certificates in FILE instead of the system's (and, for the DNS checks,
    /// instead of the WebPKI roots for the MTA-STS policy fetch).
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Send this name in SNI and check the certificate against it.
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,
    /// Go on after a certificate problem, and report it.
    #[arg(long)]
    insecure: bool,
    /// Send a generated test message with DATA (otherwise RSET after RCPT).
    #[arg(long)]
    data: bool,
    /// AUTH mechanism.
    #[arg(long, value_enum, value_name = "MECH", requires = "auth_user")]
    auth: Option<AuthArg>,
    /// AUTH user name.
    #[arg(long, value_name = "USER", requires = "auth")]
    auth_user: Option<String>,
    /// Read the password (XOAUTH2: the token) from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "auth_password_file")]
    auth_password_env: Option<String>,
    /// Read the password (XOAUTH2: the token) from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    auth_password_file: Option<PathBuf>,
    /// Print one JSON object (schema smtp-doctor/check/v1); the same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Output format.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Skip the DNS checks of the mail domain (a domain or user@domain target).
    #[arg(long)]
    no_dns: bool,
}

/// `--tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TlsArg {
    Auto,
    Starttls,
    Implicit,
    None,
}

/// `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthArg {
    #[value(name = "PLAIN", alias = "plain")]
    Plain,
    #[value(name = "LOGIN", alias = "login")]
    Login,
    #[value(name = "CRAM-MD5", alias = "cram-md5")]
    CramMd5,
    #[value(name = "XOAUTH2", alias = "xoauth2")]
    XOAuth2,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// The annotated report.
    Text,
    /// One JSON object.
    Json,
    /// One Nagios plugin line with perfdata.
    Nagios,
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    s.parse::<Stage>().map_err(|e| e.to_string())
}

pub(crate) fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || v <= 0.0 || v > 86_400.0 {
        return Err(format!(
            "{s:?}: give a number of seconds above 0, at most 86400"
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

impl Args {
    fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format.unwrap_or(Format::Text)
        }
    }

    /// The probe options the flags ask for; reads the CA file and the secret.
    fn options(&self) -> Result<ProbeOptions> {
        let mut timeouts = Timeouts::default();
        if let Some(d) = self.timeout_connect {
            timeouts.connect = d;
        }
        if let Some(d) = self.timeout_banner {
            timeouts.banner = d;
        }
        if let Some(d) = self.timeout_command {
            timeouts.command = d;
        }
        if let Some(d) = self.timeout_total {
            timeouts.total = d;
        }
        let ca_pem = self.ca.as_deref().map(read_ca).transpose()?;
        let auth = match (self.auth, &self.auth_user) {
            (Some(mech), Some(user)) => Some(Auth {
                mechanism: match mech {
                    AuthArg::Plain => AuthMechanism::Plain,
                    AuthArg::Login => AuthMechanism::Login,
                    AuthArg::CramMd5 => AuthMechanism::CramMd5,
                    AuthArg::XOAuth2 => AuthMechanism::XOAuth2,
                },
                user: user.clone(),
                secret: self.secret()?,
            }),
            _ => {
                if self.auth_password_env.is_some() || self.auth_password_file.is_some() {
                    bail!("a password was given without --auth MECH --auth-user USER");
                }
                None
            }
        };
        Ok(ProbeOptions {
            port: self.port,
            tls: match self.tls {
                TlsArg::Auto => TlsPolicy::Auto,
                TlsArg::Starttls => TlsPolicy::StartTls,
                TlsArg::Implicit => TlsPolicy::Implicit,
                TlsArg::None => TlsPolicy::None,
            },
            require_tls: self.require_tls,
            quit_after: self.quit_after,
            ehlo: self.ehlo.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            timeouts,
            ca_pem,
            sni: self.sni.clone(),
            insecure: self.insecure,
            auth,
            data: self.data,
            dns_server: self.dns.dns_server,
            ip_version: if self.ipv4 {
                IpVersion::V4
            } else if self.ipv6 {
                IpVersion::V6
            } else {
                IpVersion::Any
            },
            all_ips: self.all_ips,
            ..ProbeOptions::default()
        })
    }

    /// The password or token: from the environment, a file, or a prompt on a terminal; never
    /// from the command line.
    fn secret(&self) -> Result<Secret> {
        if let Some(var) = &self.auth_password_env {
            let value = std::env::var(var).with_context(|| {
                format!("the environment variable {var} is not set (or not UTF-8)")
            })?;
            return Ok(Secret::new(value));
        }
        if let Some(path) = &self.auth_password_file {
            return read_secret(path)
                .with_context(|| format!("cannot read the password file {}", path.display()));
        }
        if io::stdin().is_terminal() && io::stderr().is_terminal() {
            return prompt();
        }
        bail!(
            "--auth needs a password: --auth-password-env VAR, --auth-password-file FILE, \
             or a terminal to ask on"
        )
    }
}

/// Asks for the password on the terminal, with echo off while it is typed.
fn prompt() -> Result<Secret> {
    eprint!("Password: ");
    io::stderr().flush()?;
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let echo_off = stty("-echo");
    let mut line = String::new();
    let read = io::stdin().lock().read_line(&mut line);
    if echo_off {
        stty("echo");
    }
    eprintln!();
    read.context("reading the password")?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// A current-thread tokio runtime: the probe is one conversation at a time.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `check` and returns the exit code.
pub(crate) fn run(args: &Args, colour: bool) -> Result<u8> {
    let format = args.format();
    let prepared = Target::parse(&args.target)
        .map_err(|e| anyhow::anyhow!("bad target {:?}: {e}", args.target))
        .and_then(|t| {
            let dns = dns_setup(args, &t)?;
            Ok((t, args.options()?, dns))
        });
    let (target, opts, dns) = match prepared {
        Ok(p) => p,
        Err(e) if format == Format::Nagios => {
            println!("SMTP UNKNOWN - {}", format!("{e:#}").replace('|', "/"));
            return Ok(check::NagiosStatus::Unknown.code());
        }
        Err(e) => return Err(e),
    };
    // The probe and the DNS checks run side by side on the one thread.
    let (report, mut domain_report) = runtime()?.block_on(async {
        let checks = async {
            match &dns {
                Some((domain, resolver, options)) => {
                    Some(check_domain(resolver, domain, options).await)
                }
                None => None,
            }
        };
        tokio::join!(probe(&target, &opts), checks)
    });
    if let Some(r) = &mut domain_report {
        match_dane(r, &report);
    }
    let mut checked = diagnose(report);
    if let Some(r) = domain_report {
        add_dns(&mut checked, smtp_doctor_monitor::diagnose_dns(r));
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        Format::Text => check::write_check(&mut out, &checked, &Palette::new(colour))?,
        Format::Json => {
            let mut buf = Vec::new();
            check_json::write_check(&mut buf, &checked);
            out.write_all(&buf)?;
        }
        Format::Nagios => {
            check::write_nagios(&mut out, &checked)?;
            out.flush()?;
            return Ok(check::nagios_status(&checked).code());
        }
    }
    out.flush()?;
    Ok(match checked.verdict {
        Verdict::Healthy => EXIT_OK,
        Verdict::Problem { .. } => EXIT_PROBLEMS,
    })
}

/// The mail domain to run the DNS checks for, with their resolver and options: for a domain or
/// user@domain target (not an IP or a host:port) that is a checkable name, unless `--no-dns`.
fn dns_setup(args: &Args, target: &Target) -> Result<Option<(String, HickoryDns, CheckOptions)>> {
    let domain = match target {
        Target::Domain { name } => name,
        Target::Address { domain, .. } => domain,
        _ => return Ok(None),
    };
    if args.no_dns || !crate::dns::is_mail_domain(domain) {
        return Ok(None);
    }
    let (resolver, options) = crate::dns::setup(&args.dns, DNS_TIMEOUT, args.ca.as_deref())?;
    Ok(Some((domain.clone(), resolver, options)))
}

/// Matches the certificate chain each mail host presented to the probe against its TLSA
/// records (DANE, RFC 7672): the DNS checks know the records, only the probe saw the chain.
fn match_dane(dns: &mut DomainReport, probe: &ProbeReport) {
    for a in &probe.attempts {
        let Some(tls) = a.tls.as_ref().filter(|t| !t.chain.is_empty()) else {
            continue;
        };
        let chain: Vec<Vec<u8>> = tls.chain.iter().map(|c| c.der.clone()).collect();
        dns.dane.match_chain(&a.host, &chain);
    }
}

/// Adds the DNS checks' findings to the probe's, marked as theirs, and combines the verdicts:
/// the probe's deciding failure stays the verdict; a healthy probe takes the DNS checks' first
/// failure; healthy only when neither has one.
fn add_dns(checked: &mut CheckReport, dns: DnsCheck) {
    let first = checked.findings.len();
    checked
        .findings
        .extend(dns.findings.iter().map(|f| CheckFinding {
            attempt: None,
            observed: f.observed.clone(),
            finding: f.finding.clone(),
            informational: false,
            dns: true,
        }));
    if let (Verdict::Healthy, Verdict::Problem { finding }) = (checked.verdict, dns.verdict) {
        checked.verdict = Verdict::Problem {
            finding: first + finding,
        };
    }
    checked.dns = Some(dns);
}

/// Reads a `--ca` file (at most [`MAX_CA_FILE`] bytes) that must hold a PEM certificate.
pub(crate) fn read_ca(path: &std::path::Path) -> Result<Vec<u8>> {
    let pem = read_bounded(path, MAX_CA_FILE)
        .with_context(|| format!("cannot read the CA file {}", path.display()))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        bail!("{} holds no PEM certificate", path.display());
    }
    Ok(pem)
}
