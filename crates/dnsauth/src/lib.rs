//! DNS checks of a mail domain: MX, SPF with its trace, DKIM, DMARC, MTA-STS, TLS-RPT, DANE, rDNS
//! and DNS blocklists.
//!
//! Each check reads DNS answers (kept with their kind: NXDOMAIN, NODATA, SERVFAIL, timeout, ...)
//! and the records' text, and turns what it finds into evidence for the shared classifier; this
//! crate never makes a finding by itself.
#![forbid(unsafe_code)]

pub mod dane;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod dnsbl;
pub mod evidence;
pub mod mtasts;
pub mod mx;
pub mod rdns;
pub mod report;
pub mod spf;
pub mod taglist;
pub mod tlsrpt;
pub mod uri;
