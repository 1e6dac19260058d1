//! DNSSEC validation of the MX and TLSA RRsets through hickory against a zone Knot signed
//! ([`signed_zone`]: a knotd of the test's own on a free loopback port): secure with the zone's
//! DNSKEY set as the trust anchor, bogus for the record changed after signing, insecure under
//! the unsigned delegation, and not validated without anchors; then the DANE section of
//! `check_domain` built from those states.

mod signed_zone;

use signed_zone::{need_signed_zone, GOOD_TLSA, PLAIN, ZONE};
use smtp_doctor_dnsauth::dane::{DaneProblem, DnssecState};
use smtp_doctor_dnsauth::dns::{DnsOptions, HickoryDns, RecordType, Resolver, TrustAnchors};
use smtp_doctor_dnsauth::report::{check_domain, CheckOptions};
use std::time::Duration;

fn resolver(addr: std::net::SocketAddr, anchors: Option<TrustAnchors>) -> HickoryDns {
    HickoryDns::new(&DnsOptions {
        server: Some(addr),
        timeout: Duration::from_secs(3),
        dnssec: anchors,
    })
    .expect("resolver")
}

#[test]
fn rrsets_are_secure_bogus_or_insecure_from_the_zones_anchor() {
    let Some(zone) = need_signed_zone("rrsets_are_secure_bogus_or_insecure_from_the_zones_anchor")
    else {
        return;
    };
    let text = std::fs::read_to_string(&zone.anchors).expect("anchor file");
    let anchors = TrustAnchors::parse(&text).expect("the kdig output parses");
    assert_eq!(anchors.len(), 2, "the KSK and the ZSK: {text}");
    assert!(TrustAnchors::parse("; nothing\nexample. 300 IN DS 1 13 2 00").is_err());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let validating = resolver(zone.addr, Some(anchors));
    let plain = resolver(zone.addr, None);
    let mx = format!("_25._tcp.mx.{ZONE}");
    let bad = format!("_25._tcp.bad.{ZONE}");
    let child = format!("_25._tcp.mx.{PLAIN}");
    rt.block_on(async {
        for (name, rtype, state) in [
            (ZONE, RecordType::Mx, DnssecState::Secure),
            (mx.as_str(), RecordType::Tlsa, DnssecState::Secure),
            (bad.as_str(), RecordType::Tlsa, DnssecState::Bogus),
            (PLAIN, RecordType::Mx, DnssecState::Insecure),
            (child.as_str(), RecordType::Tlsa, DnssecState::Insecure),
        ] {
            assert_eq!(
                validating.dnssec(name, rtype).await,
                state,
                "{name} {rtype:?}"
            );
            assert_eq!(
                plain.dnssec(name, rtype).await,
                DnssecState::NotValidated,
                "{name} {rtype:?} without anchors"
            );
            // The records themselves come from the plain resolver either way.
            assert!(!plain.lookup(name, rtype).await.answer.records().is_empty());
        }
        // Root anchors cannot vouch for a private zone: never secure.
        let root = resolver(zone.addr, Some(TrustAnchors::root()));
        assert_ne!(root.dnssec(ZONE, RecordType::Mx).await, DnssecState::Secure);

        let r = check_domain(&validating, ZONE, &CheckOptions::default()).await;
        assert_eq!(r.dane.dnssec, DnssecState::Secure);
        let hosts: Vec<(&str, DnssecState)> = r
            .dane
            .hosts
            .iter()
            .map(|h| (h.host.as_str(), h.dnssec))
            .collect();
        assert_eq!(
            hosts,
            [
                ("mx.dane.test", DnssecState::Secure),
                ("bad.dane.test", DnssecState::Bogus)
            ]
        );
        let good = &r.dane.hosts[0];
        assert_eq!(good.records[0].text, GOOD_TLSA);
        assert!(
            !good
                .problems
                .iter()
                .any(|p| matches!(p, DaneProblem::NotValidated { .. })),
            "{good:?}"
        );
        assert_eq!(
            r.dane.hosts[1].problems[0],
            DaneProblem::Bogus { records: 1 }
        );
        let ev: Vec<String> = r.evidence().into_iter().map(|e| e.text).collect();
        assert!(
            ev.iter().any(|t| t.starts_with(
                "dns check: the TLSA records at _25._tcp.bad.dane.test (1) failed DNSSEC validation (bogus)"
            )),
            "{ev:?}"
        );

        let r = check_domain(&validating, PLAIN, &CheckOptions::default()).await;
        assert_eq!(r.dane.dnssec, DnssecState::Insecure);
        assert_eq!(r.dane.hosts[0].dnssec, DnssecState::Insecure);
        assert!(
            r.dane
                .notes
                .iter()
                .any(|n| n.contains("not DNSSEC-validated (insecure: they are in an unsigned zone)")),
            "{:?}",
            r.dane.notes
        );
    });
}
