//! `smtp-doctor dns DOMAIN`: the DNS checks of a mail domain, classified, rendered, mapped to an
//! exit code.

use crate::check::runtime;
use crate::{EXIT_OK, EXIT_PROBLEMS};
use anyhow::{Context, Result};
use smtp_doctor_dnsauth::dns::{DnsOptions, HickoryDns, TrustAnchors};
use smtp_doctor_dnsauth::report::{check_domain, CheckOptions};
use smtp_doctor_monitor::{diagnose_dns, dns_options};
use smtp_doctor_render::check::Verdict;
use smtp_doctor_render::dns;
use smtp_doctor_render::{dns_json, Palette};
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `dns`.
#[derive(Debug, clap::Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Exit status: 0 no problem found, 1 a problem was found, 2 usage or tool error."
)]
pub(crate) struct Args {
    /// The mail domain to check.
    domain: String,
    /// A sending IP: evaluate SPF for it and show the mechanism that matched.
    #[arg(long, value_name = "SENDING_IP")]
    ip: Option<IpAddr>,
    /// A DKIM selector to look up; repeat for several (default: common selectors).
    #[arg(long, value_name = "S")]
    selector: Vec<String>,
    /// A DNS blocklist zone to ask about the sending IP (needs --ip); repeat for several.
    #[arg(long, value_name = "ZONE", requires = "ip")]
    dnsbl: Vec<String>,
    #[command(flatten)]
    dns: DnsArgs,
    /// Deadline of each DNS query in seconds, retries included (fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = crate::check::parse_secs, default_value = "5")]
    timeout: Duration,
    /// Trust the PEM certificates in FILE instead of the WebPKI roots for the MTA-STS policy fetch.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Print one JSON object (schema smtp-doctor/dns/v1).
    #[arg(long)]
    json: bool,
}

/// The options of the DNS checks that `dns` and `check` share.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DnsArgs {
    /// Ask this DNS server (IP:PORT) instead of the system resolver.
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) dns_server: Option<SocketAddr>,
    /// Fetch the MTA-STS policy from this port instead of 443 (for labs and tests).
    #[arg(long, value_name = "PORT", default_value = "443")]
    pub(crate) mta_sts_port: u16,
    /// Validate DNSSEC for the MX and TLSA records (DANE), from the root zone's keys.
    #[arg(long)]
    pub(crate) dnssec: bool,
    /// Validate DNSSEC from the DNSKEY records in FILE (`dig DNSKEY ZONE` output: every key of
    /// a private zone) instead of the root zone's keys; implies --dnssec.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust_anchor: Option<PathBuf>,
}

/// Largest trust-anchor file read.
const MAX_TRUST_ANCHOR_FILE: u64 = 1024 * 1024;

impl DnsArgs {
    /// The trust anchors DNSSEC validation starts from, or `None` without `--dnssec` and
    /// `--trust-anchor`.
    fn trust_anchors(&self) -> Result<Option<TrustAnchors>> {
        if let Some(path) = &self.trust_anchor {
            let bytes = smtp_doctor_monitor::config::read_bounded(path, MAX_TRUST_ANCHOR_FILE)
                .with_context(|| format!("cannot read the trust-anchor file {}", path.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            let anchors = TrustAnchors::parse(&text)
                .with_context(|| format!("the trust-anchor file {}", path.display()))?;
            return Ok(Some(anchors));
        }
        Ok(self.dnssec.then(TrustAnchors::root))
    }
}

/// The resolver and the options of the checks (no sending IP, common DKIM selectors, no
/// blocklist): what `dns` starts from and `check DOMAIN` uses as is.
pub(crate) fn setup(
    dns: &DnsArgs,
    timeout: Duration,
    ca: Option<&Path>,
) -> Result<(HickoryDns, CheckOptions)> {
    let resolver = HickoryDns::new(&DnsOptions {
        server: dns.dns_server,
        timeout,
        dnssec: dns.trust_anchors()?,
    })
    .context("cannot set up the DNS resolver")?;
    let options = dns_options(
        timeout,
        ca.map(crate::check::read_ca).transpose()?,
        dns.mta_sts_port,
    );
    Ok((resolver, options))
}

/// True when `domain` can be checked: a valid name with at least one dot.
pub(crate) fn is_mail_domain(domain: &str) -> bool {
    smtp_doctor_monitor::mail_domain(domain).is_some()
}

/// Runs `dns` and returns the exit code.
pub(crate) fn run(args: &Args, colour: bool) -> Result<u8> {
    let domain = args.domain.trim().trim_end_matches('.');
    if !is_mail_domain(domain) {
        anyhow::bail!("{:?} is not a domain name", args.domain);
    }
    let (resolver, mut options) = setup(&args.dns, args.timeout, args.ca.as_deref())?;
    options.ip = args.ip;
    options.selectors = args.selector.clone();
    options.dnsbl_zones = args.dnsbl.clone();
    tracing::debug!(domain, server = ?args.dns.dns_server, "checking the DNS records");
    let report = runtime()?.block_on(check_domain(&resolver, domain, &options));
    let checked = diagnose_dns(report);
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.json {
        let mut buf = Vec::new();
        dns_json::write_dns(&mut buf, &checked);
        out.write_all(&buf)?;
    } else {
        dns::write_dns(&mut out, &checked, &Palette::new(colour))?;
    }
    out.flush()?;
    Ok(match checked.verdict {
        Verdict::Healthy => EXIT_OK,
        Verdict::Problem { .. } => EXIT_PROBLEMS,
    })
}
