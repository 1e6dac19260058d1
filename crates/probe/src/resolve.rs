//! The resolve stage: MX, then A/AAAA of each host, through hickory with the given server.

use crate::options::{IpVersion, ProbeOptions};
use crate::target::Target;
use hickory_resolver::config::{ResolveHosts, ResolverOpts};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, TokioResolver};
use smtp_doctor_model::probe::{
    DnsError, DnsErrorKind, HostOrigin, MxHost, PtrInfo, PtrSource, Resolution,
};
use std::net::IpAddr;
use std::time::Duration;
use tokio::time::Instant;

/// Resolves `target` into mail hosts and addresses, within `deadline`.
pub(crate) async fn resolve(target: &Target, opts: &ProbeOptions, deadline: Instant) -> Resolution {
    let mut res = Resolution {
        server: opts
            .dns_server
            .map_or_else(|| "system".to_string(), |a| a.to_string()),
        ..Resolution::default()
    };
    if let Target::Ip { addr, .. } = target {
        res.server = "none".to_string();
        res.mx.push(MxHost {
            name: addr.to_string(),
            preference: None,
            origin: HostOrigin::Target,
            addresses: vec![*addr],
        });
        return res;
    }
    let resolver = match build_resolver(opts, deadline) {
        Ok(r) => r,
        Err(e) => {
            res.errors.push(DnsError {
                name: String::new(),
                rtype: String::new(),
                kind: DnsErrorKind::Other,
                detail: format!("resolver configuration: {e}"),
            });
            return res;
        }
    };
    let mut dns = Dns {
        resolver,
        deadline,
        errors: Vec::new(),
    };
    match target {
        Target::Ip { .. } => {}
        Target::Host { name, .. } => {
            let addresses = dns.addresses(name, opts.ip_version).await;
            res.mx.push(MxHost {
                name: name.clone(),
                preference: None,
                origin: HostOrigin::Target,
                addresses,
            });
        }
        Target::Domain { name } | Target::Address { domain: name, .. } => {
            match dns.mx(name).await {
                MxAnswer::Hosts(hosts) => {
                    for (preference, host) in hosts {
                        if host.is_empty() {
                            res.null_mx = true;
                            continue;
                        }
                        let addresses = dns.addresses(&host, opts.ip_version).await;
                        res.mx.push(MxHost {
                            name: host,
                            preference: Some(preference),
                            origin: HostOrigin::Mx,
                            addresses,
                        });
                    }
                }
                MxAnswer::NoData => {
                    let addresses = dns.addresses(name, opts.ip_version).await;
                    res.mx.push(MxHost {
                        name: name.clone(),
                        preference: None,
                        origin: HostOrigin::ImplicitMx,
                        addresses,
                    });
                }
                MxAnswer::Failed => {}
            }
        }
    }
    res.errors = dns.errors;
    res
}

/// The reverse DNS of `ip`, within `deadline`, through the resolver the options name.
///
/// A loopback address is not looked up: RFC 6761 names it `localhost`, and hickory answers such
/// queries itself without asking any server, so the answer says nothing about the DNS.
pub(crate) async fn reverse(ip: IpAddr, opts: &ProbeOptions, deadline: Instant) -> PtrInfo {
    if ip.is_loopback() {
        return PtrInfo {
            source: PtrSource::SpecialUse,
            names: vec!["localhost".to_string()],
            error: None,
        };
    }
    let name = smtp_doctor_dnsauth::dns::reverse_name(ip);
    let failed = |error| PtrInfo {
        source: PtrSource::Dns,
        names: Vec::new(),
        error: Some(error),
    };
    let resolver = match build_resolver(opts, deadline) {
        Ok(r) => r,
        Err(e) => {
            return failed(DnsError {
                name,
                rtype: "PTR".to_string(),
                kind: DnsErrorKind::Other,
                detail: format!("resolver configuration: {e}"),
            })
        }
    };
    match tokio::time::timeout_at(deadline, resolver.reverse_lookup(ip)).await {
        Ok(Ok(lookup)) => {
            let mut names: Vec<String> = lookup
                .iter()
                .map(|n| n.to_ascii().trim_end_matches('.').to_ascii_lowercase())
                .collect();
            names.sort();
            names.dedup();
            PtrInfo {
                source: PtrSource::Dns,
                names,
                error: None,
            }
        }
        Ok(Err(e)) => failed(dns_error(&name, "PTR", &e)),
        Err(_) => failed(timeout(&name, "PTR")),
    }
}

fn build_resolver(opts: &ProbeOptions, deadline: Instant) -> Result<TokioResolver, ResolveError> {
    let mut builder = smtp_doctor_dnsauth::dns::resolver_builder(opts.dns_server)?;
    let o: &mut ResolverOpts = builder.options_mut();
    let left = deadline.saturating_duration_since(Instant::now());
    o.timeout = left.clamp(Duration::from_millis(100), Duration::from_secs(5));
    o.use_hosts_file = if opts.dns_server.is_some() {
        ResolveHosts::Never
    } else {
        ResolveHosts::Auto
    };
    Ok(builder.build())
}

/// The answer to an MX query.
enum MxAnswer {
    /// The MX hosts by preference (stable among equals); an empty name is the null MX.
    Hosts(Vec<(u16, String)>),
    /// The domain exists but has no MX.
    NoData,
    /// NXDOMAIN or a failure: no mail host can be named.
    Failed,
}

struct Dns {
    resolver: TokioResolver,
    deadline: Instant,
    errors: Vec<DnsError>,
}

impl Dns {
    async fn mx(&mut self, name: &str) -> MxAnswer {
        let fqdn = format!("{name}.");
        match tokio::time::timeout_at(self.deadline, self.resolver.mx_lookup(fqdn.as_str())).await {
            Ok(Ok(lookup)) => {
                let mut hosts: Vec<(u16, String)> = lookup
                    .iter()
                    .map(|mx| {
                        let host = mx.exchange().to_ascii();
                        let host = host.trim_end_matches('.').to_ascii_lowercase();
                        (mx.preference(), host)
                    })
                    .collect();
                hosts.sort_by_key(|(p, _)| *p);
                MxAnswer::Hosts(hosts)
            }
            Ok(Err(e)) => {
                let err = dns_error(name, "MX", &e);
                // No MX is not an error: the domain is its own mail host (HostOrigin::ImplicitMx).
                if err.kind == DnsErrorKind::Nodata {
                    MxAnswer::NoData
                } else {
                    self.errors.push(err);
                    MxAnswer::Failed
                }
            }
            Err(_) => {
                self.errors.push(timeout(name, "MX"));
                MxAnswer::Failed
            }
        }
    }

    async fn addresses(&mut self, name: &str, version: IpVersion) -> Vec<IpAddr> {
        let fqdn = format!("{name}.");
        let mut out = Vec::new();
        if version != IpVersion::V6 {
            match tokio::time::timeout_at(self.deadline, self.resolver.ipv4_lookup(fqdn.as_str()))
                .await
            {
                Ok(Ok(l)) => out.extend(l.iter().map(|a| IpAddr::V4(a.0))),
                Ok(Err(e)) => self.errors.push(dns_error(name, "A", &e)),
                Err(_) => self.errors.push(timeout(name, "A")),
            }
        }
        if version != IpVersion::V4 {
            match tokio::time::timeout_at(self.deadline, self.resolver.ipv6_lookup(fqdn.as_str()))
                .await
            {
                Ok(Ok(l)) => out.extend(l.iter().map(|a| IpAddr::V6(a.0))),
                // With both families asked for, a missing AAAA beside an A is normal.
                Ok(Err(e)) => {
                    let err = dns_error(name, "AAAA", &e);
                    if !(version == IpVersion::Any
                        && err.kind == DnsErrorKind::Nodata
                        && !out.is_empty())
                    {
                        self.errors.push(err);
                    }
                }
                Err(_) => self.errors.push(timeout(name, "AAAA")),
            }
        }
        // A missing A beside an AAAA is just as normal.
        if version == IpVersion::Any && !out.is_empty() {
            self.errors
                .retain(|e| !(e.name == name && e.rtype == "A" && e.kind == DnsErrorKind::Nodata));
        }
        out
    }
}

fn timeout(name: &str, rtype: &str) -> DnsError {
    DnsError {
        name: name.to_string(),
        rtype: rtype.to_string(),
        kind: DnsErrorKind::Timeout,
        detail: "no answer before the resolve deadline".to_string(),
    }
}

fn dns_error(name: &str, rtype: &str, e: &ResolveError) -> DnsError {
    let kind = match e.proto().map(|p| p.kind()) {
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => match *response_code {
            ResponseCode::NXDomain => DnsErrorKind::Nxdomain,
            ResponseCode::NoError => DnsErrorKind::Nodata,
            ResponseCode::ServFail => DnsErrorKind::Servfail,
            ResponseCode::Refused => DnsErrorKind::Refused,
            _ => DnsErrorKind::Other,
        },
        Some(ProtoErrorKind::Timeout) => DnsErrorKind::Timeout,
        _ => DnsErrorKind::Other,
    };
    DnsError {
        name: name.to_string(),
        rtype: rtype.to_string(),
        kind,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_is_not_looked_up() {
        let opts = ProbeOptions::default();
        // Were it looked up, this deadline (already past) would make it a timeout.
        let p = reverse("127.0.0.1".parse().unwrap(), &opts, Instant::now()).await;
        assert_eq!(p.source, PtrSource::SpecialUse);
        assert_eq!(p.names, ["localhost"]);
        assert_eq!(p.error, None);
        let p = reverse("::1".parse().unwrap(), &opts, Instant::now()).await;
        assert_eq!(p.source, PtrSource::SpecialUse);
    }
}
