//! The lab's certificates, generated at start with rcgen: never written to disk or committed.

use crate::{LabError, LAB_HOSTNAME, WRONG_NAME};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Which certificate a TLS server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CertKind {
    /// Signed by the lab intermediate CA (itself signed by the lab CA), valid now, for the lab
    /// names; the server sends the intermediate after the leaf.
    Good,
    /// Signed by the lab CA, for the lab names, but `notAfter` lies in the past.
    Expired,
    /// Valid now, for the lab names, but signed by itself.
    SelfSigned,
    /// Signed by the lab CA, valid now, for [`WRONG_NAME`] only.
    WrongName,
}

/// The lab CA and one server configuration per [`CertKind`]; the good certificate comes from an
/// intermediate CA, as most real servers' do.
pub(crate) struct Certs {
    pub(crate) ca_pem: String,
    pub(crate) ca_der: Vec<u8>,
    good: Arc<ServerConfig>,
    expired: Arc<ServerConfig>,
    self_signed: Arc<ServerConfig>,
    wrong_name: Arc<ServerConfig>,
}

impl std::fmt::Debug for Certs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certs").finish_non_exhaustive()
    }
}

/// The current year, roughly (only used to put validity periods a year or more away from now).
fn this_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // 31,556,952 s is the mean Gregorian year.
    1970 + i32::try_from(secs / 31_556_952).unwrap_or(0)
}

/// The names the good certificate is valid for.
fn lab_names() -> Vec<String> {
    vec![
        LAB_HOSTNAME.to_string(),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ]
}

/// Parameters of a server (leaf) certificate for `names`, valid from `from` to `until` (years).
fn leaf_params(names: Vec<String>, from: i32, until: i32) -> Result<CertificateParams, LabError> {
    let common_name = names.first().cloned().unwrap_or_default();
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "smtp-doctor lab");
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = date_time_ymd(from, 1, 1);
    params.not_after = date_time_ymd(until, 1, 1);
    Ok(params)
}

/// Parameters of a CA certificate called `name`, valid from `from` to `until` (years).
fn ca_params(
    name: &str,
    constraints: BasicConstraints,
    from: i32,
    until: i32,
) -> Result<CertificateParams, LabError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "smtp-doctor lab");
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(from, 1, 1);
    params.not_after = date_time_ymd(until, 1, 1);
    Ok(params)
}

/// A rustls server configuration presenting `chain` (leaf first) with `key` (ring provider).
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: &KeyPair,
) -> Result<Arc<ServerConfig>, LabError> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

impl Certs {
    /// Generates the CA, its intermediate and the four server certificates.
    pub(crate) fn generate() -> Result<Certs, LabError> {
        let year = this_year();
        let ca = CertifiedIssuer::self_signed(
            ca_params(
                "smtp-doctor lab CA",
                BasicConstraints::Unconstrained,
                year - 4,
                year + 3,
            )?,
            KeyPair::generate()?,
        )?;
        let inter_params = ca_params(
            "smtp-doctor lab intermediate CA",
            BasicConstraints::Constrained(0),
            year - 3,
            year + 3,
        )?;
        let intermediate = CertifiedIssuer::signed_by(inter_params, KeyPair::generate()?, &ca)?;

        let signed = |names: Vec<String>, from: i32, until: i32| {
            let key = KeyPair::generate()?;
            let cert = leaf_params(names, from, until)?.signed_by(&key, &ca)?;
            server_config(vec![cert.der().clone()], &key)
        };
        let good = {
            let key = KeyPair::generate()?;
            let cert =
                leaf_params(lab_names(), year - 1, year + 2)?.signed_by(&key, &intermediate)?;
            server_config(vec![cert.der().clone(), intermediate.der().clone()], &key)?
        };
        let expired = signed(lab_names(), year - 3, year - 1)?;
        let wrong_name = signed(vec![WRONG_NAME.to_string()], year - 1, year + 2)?;
        let self_signed = {
            let key = KeyPair::generate()?;
            let cert = leaf_params(lab_names(), year - 1, year + 2)?.self_signed(&key)?;
            server_config(vec![cert.der().clone()], &key)?
        };
        Ok(Certs {
            ca_pem: ca.pem(),
            ca_der: ca.der().to_vec(),
            good,
            expired,
            self_signed,
            wrong_name,
        })
    }

    /// The server configuration presenting the `kind` certificate.
    pub(crate) fn config(&self, kind: CertKind) -> Arc<ServerConfig> {
        Arc::clone(match kind {
            CertKind::Good => &self.good,
            CertKind::Expired => &self.expired,
            CertKind::SelfSigned => &self.self_signed,
            CertKind::WrongName => &self.wrong_name,
        })
    }
}
