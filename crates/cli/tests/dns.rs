//! `smtp-doctor dns DOMAIN` against the lab's Knot server for `lab.test` (127.0.0.1:5353,
//! `../shared/lab/start-dns.sh`): the healthy domain comes out clean, every broken name gets
//! its finding from the knowledge base, text and `dns/v1` JSON (validated against the committed
//! schema), and the exit codes. Under `CI=true` a silent lab server is a failure; outside CI,
//! as root, the first test starts it, and otherwise the tests print `SKIPPED`.
//!
//! `lab.test` publishes `_mta-sts` and `mta-sts.lab.test A 127.0.0.1`: a local HTTPS server
//! (dnsauth's policy test server, a certificate from a test CA) serves its policy, and
//! [`dns`] points every run at it (`--mta-sts-port`, `--ca`; each test starts its own with
//! [`lab`]), as a well-run domain has one. A
//! domain that publishes `_mta-sts` with no policy server behind it is a finding
//! (`dns.mtasts.connect`): senders that know the record cannot get the policy.

mod common;
#[path = "../../dnsauth/tests/policy_server/mod.rs"]
mod policy_server;
#[path = "../../dnsauth/tests/signed_zone/mod.rs"]
mod signed_zone;

use common::{failing_dns, need_lab_dns, run_env, schema_validator, DnsFault, LAB_DNS};
use policy_server::{PolicyServer, GOOD_POLICY};
use serde_json::Value;
use std::cell::RefCell;
use std::path::PathBuf;
use std::process::Output;

thread_local! {
    /// The `--mta-sts-port`/`--ca` arguments of this test's good policy server ([`lab`]).
    static POLICY_ARGS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// [`need_lab_dns`], then this test's server of the good policy, whose arguments [`dns`] adds
/// while the test runs (the CA file goes with the server).
fn lab(test: &str) -> Option<PolicyServer> {
    if !need_lab_dns(test) {
        return None;
    }
    let server = PolicyServer::new(GOOD_POLICY, "good");
    POLICY_ARGS.with(|a| *a.borrow_mut() = server.args().map(str::to_string).to_vec());
    Some(server)
}

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port().to_string()
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

/// `dns ARGS` against the lab server, its MTA-STS policy served by the test's [`lab`] server
/// unless `ARGS` name another port.
fn dns(args: &[&str]) -> Output {
    let policy: Vec<String> = if args.contains(&"--mta-sts-port") {
        Vec::new()
    } else {
        POLICY_ARGS.with(|a| a.borrow().clone())
    };
    assert!(
        args.contains(&"--mta-sts-port") || !policy.is_empty(),
        "start the policy server with lab() first"
    );
    let mut all = vec!["dns"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dns-server", LAB_DNS, "--color", "never"]);
    all.extend(policy.iter().map(String::as_str));
    run(&all)
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn validator() -> jsonschema::Validator {
    schema_validator(include_str!("../../../schema/dns.v1.json"))
}

/// `dns DOMAIN ARGS --json`, parsed and validated against the schema.
fn dns_json(domain: &str, args: &[&str]) -> (Value, i32) {
    let mut all = vec![domain, "--json"];
    all.extend_from_slice(args);
    let out = dns(&all);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{domain}: not JSON ({e}): {}\n{}",
            text(&out),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let errors: Vec<String> = validator().iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{domain}: {errors:?}\n{v:#}");
    (v, code(&out))
}

/// The deciding knowledge-base entry of every finding.
fn entries(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["matched"][0].as_str())
        .collect()
}

#[test]
fn the_healthy_domain_comes_out_clean() {
    let Some(_policy) = lab("the_healthy_domain_comes_out_clean") else {
        return;
    };
    let out = dns(&["lab.test"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    for line in [
        "✔ SPF",
        "✔ DMARC",
        "✔ DKIM",
        "✔ MTA-STS",
        "✔ MTA-STS policy",
        "    mode enforce, max_age 86400, mx: mx.lab.test, *.lab.test",
        "✔ TLS-RPT",
        "✔ DANE",
        "    _25._tcp.mx3.lab.test: no TLSA record (TLSA: NXDOMAIN)",
        "    DNSSEC: not validated",
        "Findings: none",
    ] {
        assert!(t.contains(line), "{line:?} missing:\n{t}");
    }
    assert!(t.contains("selector default: rsa"), "{t}");
    assert!(t.contains("Verdict: HEALTHY"), "{t}");
    let (v, code) = dns_json("lab.test", &[]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "smtp-doctor/dns/v1");
    assert_eq!(v["verdict"]["status"], "healthy");
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["spf"]["lookups"], 1, "the mx term costs one lookup");
    assert_eq!(v["dmarc"]["policy"], "reject");
    assert_eq!(v["dmarc"]["org_domain_tree_walk"], "lab.test");
    assert_eq!(v["dmarc"]["org_domains_differ"], false);
    assert_eq!(v["dkim"]["domainkey"]["answer"], "nodata");
    assert_eq!(v["mta_sts"]["valid"], true);
    assert_eq!(v["tls_rpt"]["valid"], true);
    let policy = &v["mta_sts_policy"];
    assert_eq!(policy["status"], 200);
    assert_eq!(policy["address"], "127.0.0.1");
    assert_eq!(policy["policy"]["mode"], "enforce");
    assert_eq!(policy["problems"], serde_json::json!([]));
    // DANE: the records are read and checked by themselves; that they are not DNSSEC-validated
    // (the resolver does not validate) and single (rollover advice) are notes, not findings.
    let dane = &v["dane"];
    assert_eq!(dane["dnssec"], "not_validated");
    let hosts = dane["hosts"].as_array().expect("hosts");
    let names: Vec<&str> = hosts.iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "_25._tcp.mx.lab.test",
            "_25._tcp.mx2.lab.test",
            "_25._tcp.mx3.lab.test"
        ]
    );
    let records: Vec<usize> = hosts
        .iter()
        .map(|h| h["records"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(records, [1, 1, 0]);
    assert_eq!(hosts[2]["answer"], "nxdomain");
    for h in &hosts[..2] {
        assert_eq!(
            common::strings(h, "problems", "kind"),
            ["not_validated", "no_rollover_record"],
            "{h:#}"
        );
    }
    assert_eq!(dane["notes"].as_array().map(Vec::len), Some(4), "{dane:#}");
    // The zeros digest of mx2 is a well-formed record: only the probe's certificate can show
    // that it matches nothing.
    assert_eq!(hosts[1]["records"][0]["problems"], serde_json::json!([]));
    // The schema rejects what it must.
    let mut bad = v.clone();
    bad["spf"]["lookups"] = Value::from("one");
    assert!(!validator().is_valid(&bad));
    let mut bad = v.clone();
    bad["dkim"]["domainkey"]["answer"] = Value::from("maybe");
    assert!(!validator().is_valid(&bad));
}

#[test]
fn the_mta_sts_policy_fetch_and_its_failures() {
    let Some(good) = lab("the_mta_sts_policy_fetch_and_its_failures") else {
        return;
    };
    // No policy server behind the published `_mta-sts` record: a real defect, and the only one.
    let port = closed_port();
    let out = dns(&["lab.test", "--mta-sts-port", &port]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(
        t.contains("✔ MTA-STS  ok"),
        "the record itself is fine:\n{t}"
    );
    assert!(t.contains("✖ MTA-STS policy 1 problem"), "{t}");
    assert!(
        t.contains(&format!(
            "could not connect to 127.0.0.1 port {port} of mta-sts.lab.test"
        )),
        "{t}"
    );
    let (v, code) = dns_json("lab.test", &["--mta-sts-port", &port]);
    assert_eq!(code, 1);
    assert_eq!(entries(&v), ["dns.mtasts.connect"]);
    assert_eq!(v["mta_sts_policy"]["problems"][0]["kind"], "connect_failed");
    assert_eq!(v["mta_sts_policy"]["policy"], Value::Null);
    // The policy server, but without --ca: the WebPKI roots do not know the test CA.
    let (v, code) = dns_json("lab.test", &["--mta-sts-port", &good.port]);
    assert_eq!(code, 1);
    assert_eq!(entries(&v), ["dns.mtasts.certificate"]);
    assert_eq!(
        v["mta_sts_policy"]["problems"][0]["problem"],
        "unknown_issuer"
    );
    // A policy whose mx patterns match none of the mail hosts.
    let other = PolicyServer::new(
        "version: STSv1\nmode: enforce\nmx: mail.example.net\nmax_age: 86400\n",
        "other",
    );
    let (v, code) = dns_json("lab.test", &other.args());
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(entries(&v), ["dns.mtasts.mx-not-covered"]);
    let problem = &v["mta_sts_policy"]["problems"][0];
    assert_eq!(problem["kind"], "mx_not_covered");
    assert_eq!(
        problem["hosts"],
        serde_json::json!(["mx.lab.test", "mx2.lab.test", "mx3.lab.test"])
    );
    assert_eq!(problem["patterns"], serde_json::json!(["mail.example.net"]));
    let mut args = vec!["lab.test"];
    args.extend_from_slice(&other.args());
    let out = dns(&args);
    let t = text(&out);
    assert!(t.contains("✖ MTA-STS policy 1 problem"), "{t}");
    assert!(t.contains("knowledge: dns.mtasts.mx-not-covered"), "{t}");
    // A domain without `_mta-sts` is not fetched at all.
    let (v, _) = dns_json("spf-none.lab.test", &[]);
    assert_eq!(v["mta_sts_policy"], Value::Null);
}

#[test]
fn a_sending_ip_is_evaluated_with_the_mechanism_that_matched() {
    let Some(_policy) = lab("a_sending_ip_is_evaluated_with_the_mechanism_that_matched") else {
        return;
    };
    let out = dns(&["lab.test", "--ip", "192.0.2.10"]);
    assert!(
        text(&out).contains("sending IP 192.0.2.10: pass, matched ip4:192.0.2.10 (lab.test"),
        "{}",
        text(&out)
    );
    let (v, code) = dns_json("lab.test", &["--ip", "192.0.2.10"]);
    let ip = &v["spf"]["ip_check"];
    assert_eq!(ip["result"], "pass");
    assert_eq!(ip["matched"][0]["term"], "ip4:192.0.2.10");
    // SPF passes; the address's PTR (mx.lab.test) resolves to 127.0.0.1, not back to it.
    assert_eq!(code, 1);
    assert_eq!(entries(&v), ["dns.rdns.not-confirmed"]);
    assert_eq!(v["ip_rdns"]["names"][0]["name"], "mx.lab.test");
    assert_eq!(v["ip_rdns"]["confirmed"], false);
    // A loopback sender: SPF pass (ip4:127.0.0.0/8), nothing wrong.
    let (v, code) = dns_json("lab.test", &["--ip", "127.0.0.1"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        v["spf"]["ip_check"]["matched"][0]["term"],
        "ip4:127.0.0.0/8"
    );
    // An address the record does not list: fail at -all, a finding, exit 1.
    let (v, code) = dns_json("lab.test", &["--ip", "198.51.100.7"]);
    assert_eq!(code, 1);
    assert_eq!(v["spf"]["ip_check"]["result"], "fail");
    assert_eq!(v["spf"]["ip_check"]["matched"][0]["term"], "-all");
    assert!(
        entries(&v).contains(&"dnsrec.spf.ip-not-authorised"),
        "{v:#}"
    );
    let (v, code) = dns_json("spf-softfail.lab.test", &["--ip", "192.0.2.10"]);
    assert_eq!(code, 1);
    assert_eq!(v["spf"]["ip_check"]["result"], "softfail");
    assert!(
        entries(&v).contains(&"dnsrec.spf.ip-not-authorised"),
        "{v:#}"
    );
}

#[test]
fn every_broken_name_gets_its_finding() {
    let Some(_policy) = lab("every_broken_name_gets_its_finding") else {
        return;
    };
    // (name, the entries that must decide a finding, the SPF issue kind)
    let cases: &[(&str, &[&str], Option<&str>)] = &[
        (
            "spf-many",
            &["dnsrec.spf.too-many-lookups"],
            Some("too_many_lookups"),
        ),
        (
            "spf-two",
            &["dnsrec.spf.multiple"],
            Some("multiple_records"),
        ),
        ("spf-syntax", &["dnsrec.spf.syntax"], Some("syntax")),
        (
            "spf-void",
            &["dnsrec.spf.void-lookups"],
            Some("too_many_void_lookups"),
        ),
        ("spf-loop", &["dnsrec.spf.loop"], Some("loop")),
        ("spf-none", &["dnsrec.spf.missing"], Some("no_record")),
        ("dmarc-bad", &["dnsrec.dmarc.invalid"], Some("no_record")),
        (
            "noauth",
            &[
                "dnsrec.spf.missing",
                "dnsrec.dkim.none",
                "dnsrec.dmarc.enforced-without-authentication",
            ],
            Some("no_record"),
        ),
    ];
    for (name, want, spf_kind) in cases {
        let domain = format!("{name}.lab.test");
        let (v, code) = dns_json(&domain, &[]);
        assert_eq!(code, 1, "{domain}: {v:#}");
        assert_eq!(v["verdict"]["status"], "problem", "{domain}");
        let got = entries(&v);
        for w in *want {
            assert!(got.contains(w), "{domain}: {w} not among {got:?}");
        }
        for f in v["findings"].as_array().expect("findings") {
            assert!(f["observed"]
                .as_str()
                .is_some_and(|o| o.starts_with("dns check: ")));
            if f["matched"][0]
                .as_str()
                .is_some_and(|m| m.starts_with("dnsrec."))
            {
                assert_eq!(f["category"], "authfailure", "{domain}: {f:#}");
                assert_eq!(f["party"], "sender-config", "{domain}: {f:#}");
            }
        }
        if let Some(kind) = spf_kind {
            assert_eq!(
                v["spf"]["issues"][0]["kind"], *kind,
                "{domain}: {:#}",
                v["spf"]
            );
        }
    }
    // The facts behind them.
    let (v, _) = dns_json("spf-many.lab.test", &[]);
    assert!(
        v["spf"]["lookups"].as_u64().is_some_and(|n| n > 10),
        "{:#}",
        v["spf"]
    );
    assert_eq!(v["spf"]["lookup_limit"], 10);
    let children = v["spf"]["tree"]["children"].as_array().expect("children");
    assert!(children.len() >= 10, "{children:?}");
    assert!(children.iter().all(|c| c["via"] == "include"));
    let (v, _) = dns_json("spf-two.lab.test", &[]);
    assert_eq!(v["spf"]["records"].as_array().map(Vec::len), Some(2));
    let (v, _) = dns_json("spf-syntax.lab.test", &[]);
    let positions: Vec<u64> = v["spf"]["issues"][0]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["position"].as_u64())
        .collect();
    // "v=spf1 ip4:127.0.0.0/33 foo:bar -all": the /33 and the unknown foo:bar.
    assert_eq!(positions, [20, 24]);
    let (v, _) = dns_json("spf-void.lab.test", &[]);
    assert_eq!(v["spf"]["void_lookups"], 3);
    assert_eq!(v["spf"]["void_lookup_limit"], 2);
    let (v, _) = dns_json("dmarc-bad.lab.test", &[]);
    assert_eq!(v["dmarc"]["issues"][0]["kind"], "invalid");
    // RFC 9989 discovery falls back to the organisational domain's record.
    assert_eq!(v["dmarc"]["policy_domain"], "lab.test");
    let (v, _) = dns_json("noauth.lab.test", &[]);
    assert_eq!(v["dkim"]["domainkey"]["answer"], "nxdomain");
    assert_eq!(v["dkim"]["issues"][0]["kind"], "no_dkim");
}

#[test]
fn mail_hosts_their_reverse_dns_and_blocklists() {
    let Some(_policy) = lab("mail_hosts_their_reverse_dns_and_blocklists") else {
        return;
    };
    let cases: &[(&str, &str, &str)] = &[
        ("nullmx", "dns.mx.null", "notaccept"),
        ("danglingmx", "dns.mx.dangling", "hostunknown"),
        ("cnamemx", "dns.mx.cname", "systemerror"),
        ("ipmx", "dns.mx.ip-literal", "hostunknown"),
        ("nomx", "dns.mx.implicit", "hostunknown"),
    ];
    for (name, entry, category) in cases {
        let domain = format!("{name}.lab.test");
        let (v, code) = dns_json(&domain, &[]);
        assert_eq!(code, 1, "{domain}");
        let f = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["matched"][0] == *entry)
            .unwrap_or_else(|| panic!("{domain}: no {entry} finding in {v:#}"));
        assert_eq!(f["category"], *category, "{domain}: {f:#}");
        // MX findings come first: the verdict is the mail host's.
        assert_eq!(v["verdict"]["category"], *category, "{domain}");
    }
    // The healthy domain's mail hosts are on loopback: their rDNS is RFC 6761's localhost.
    let (v, _) = dns_json("lab.test", &[]);
    assert_eq!(v["mx"]["exchangers"].as_array().map(Vec::len), Some(3));
    assert!(
        v["mx_rdns"].as_array().is_some_and(
            |r| !r.is_empty() && r.iter().all(|x| x["problems"] == serde_json::json!([]))
        )
    );
    // The sending IP against the lab blocklists: a listing, and an error code that is not one.
    let args = [
        "lab.test",
        "--ip",
        "192.0.2.10",
        "--dnsbl",
        "dnsbl.lab.test",
        "--dnsbl",
        "dnsbl-refuse.lab.test",
    ];
    let (v, code) = dns_json(args[0], &args[1..]);
    assert_eq!(code, 1);
    assert_eq!(v["dnsbl"][0]["status"], "listed");
    assert_eq!(v["dnsbl"][1]["status"], "query_refused");
    let got = entries(&v);
    for e in ["dns.dnsbl.listed", "dns.dnsbl.query-refused"] {
        assert!(got.contains(&e), "{e} not among {got:?}");
    }
    let blocked = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "blocked")
        .count();
    assert_eq!(blocked, 1, "only the real listing is a block: {v:#}");
    let t = text(&dns(&args));
    assert!(t.contains("dnsbl.lab.test listed"), "{t}");
    assert!(t.contains("dnsbl-refuse.lab.test query refused"), "{t}");
    // A forward-confirmed sender.
    let (v, _) = dns_json("lab.test", &["--ip", "192.0.2.11"]);
    assert_eq!(v["ip_rdns"]["confirmed"], true);
    assert_eq!(v["ip_rdns"]["names"][0]["name"], "fcrdns-ok.lab.test");
}

#[test]
fn text_shows_the_spf_tree_and_the_fixes() {
    let Some(_policy) = lab("text_shows_the_spf_tree_and_the_fixes") else {
        return;
    };
    let out = dns(&["spf-many.lab.test"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("✖ SPF"), "{t}");
    assert!(
        t.contains("spf-many.lab.test [11 lookups in all] permerror"),
        "{t}"
    );
    assert!(
        t.contains("        include i1.lab.test [+0 lookups inside] fail: no match"),
        "{t}"
    );
    assert!(t.contains("dns check: the SPF record of spf-many.lab.test needs 11 DNS lookups, over the limit of 10"), "{t}");
    assert!(t.contains("Fix:"), "{t}");
    assert!(t.contains("knowledge: dnsrec.spf.too-many-lookups"), "{t}");
    // spf-many.lab.test has no mail host either: that finding comes first and decides.
    assert!(t.contains("Verdict: PERMANENT hostunknown"), "{t}");
    assert!(t.contains("(3 problems found)"), "{t}");
    // A given selector that is not there is a finding; the common ones missing are not.
    let (v, code) = dns_json("lab.test", &["--selector", "nosuch"]);
    assert_eq!(code, 1);
    assert_eq!(entries(&v), ["dnsrec.dkim.selector-missing"]);
    let (v, code) = dns_json("lab.test", &["--selector", "default"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["dkim"]["selectors"][0]["bits"], 2048);
}

#[test]
fn exit_codes_and_a_failing_server() {
    // Usage errors: exit 2, whatever the server.
    for args in [
        &["dns", "not a domain"][..],
        &["dns", "lab.test", "--ip", "192.0.2.300"],
        &["dns", "lab.test", "--timeout", "0"],
        &["dns", "lab.test", "--dnsbl", "dnsbl.lab.test"],
        &["dns", "lab.test", "--ca", "/nonexistent/ca.pem"],
        &["dns", "lab.test", "--mta-sts-port", "65536"],
        &["dns"],
    ] {
        let out = run(args);
        assert_eq!(
            code(&out),
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A server that refuses everything: every section says so, by kind, and it is a problem.
    let server = failing_dns(DnsFault::Refused).to_string();
    let out = run(&[
        "dns",
        "example.com",
        "--dns-server",
        &server,
        "--json",
        "--timeout",
        "2",
    ]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(validator().is_valid(&v), "{v:#}");
    assert_eq!(v["spf"]["issues"][0]["kind"], "dns");
    assert_eq!(v["spf"]["issues"][0]["answer"], "refused");
    assert_eq!(v["dmarc"]["issues"][0]["answer"], "refused");
    assert!(entries(&v).contains(&"dnsrec.spf.temperror"), "{v:#}");
    assert!(v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["observed"]
            .as_str()
            .is_some_and(|o| o.contains("REFUSED"))));
}

/// `dns --trust-anchor FILE` against a zone Knot signed (a knotd of the test's own, see
/// [`signed_zone`]): the MX RRset and mx.dane.test's TLSA are secure, bad.dane.test's TLSA
/// (changed after signing) is bogus, which is a finding; without the anchor every state is not
/// validated and bogus is no finding; a file without a DNSKEY is a usage error.
#[test]
fn dnssec_states_from_the_zones_trust_anchor() {
    let Some(zone) = signed_zone::need_signed_zone("dnssec_states_from_the_zones_trust_anchor")
    else {
        return;
    };
    let addr = zone.addr.to_string();
    let anchors = zone.anchors.to_str().expect("UTF-8 path");
    // `dns` on the signed zone through its server, with `extra` arguments.
    let dns = |extra: &[&str]| {
        let mut args = vec!["dns", signed_zone::ZONE, "--dns-server", &addr];
        args.extend_from_slice(extra);
        run(&args)
    };
    let json = |extra: &[&str]| -> (Value, i32) {
        let out = dns(&[&["--json"], extra].concat());
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
        let errors: Vec<String> = validator().iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{v:#}");
        (v, code(&out))
    };
    let states = |v: &Value| -> Vec<String> {
        std::iter::once(&v["dane"]["dnssec"])
            .chain(
                v["dane"]["hosts"]
                    .as_array()
                    .expect("hosts")
                    .iter()
                    .map(|h| &h["dnssec"]),
            )
            .map(|s| s.as_str().unwrap_or("").to_string())
            .collect()
    };
    let (v, rc) = json(&["--trust-anchor", anchors]);
    assert_eq!(states(&v), ["secure", "secure", "bogus"], "{:#}", v["dane"]);
    assert!(entries(&v).contains(&"dns.dane.bogus"), "{v:#}");
    assert_eq!(rc, 1);
    let good = &v["dane"]["hosts"][0];
    assert!(
        !common::strings(good, "problems", "kind").contains(&"not_validated"),
        "{good:#}"
    );
    let out = dns(&["--trust-anchor", anchors, "--color", "never"]);
    assert!(
        text(&out).contains(
            "    DNSSEC: MX secure; TLSA _25._tcp.mx.dane.test secure, _25._tcp.bad.dane.test bogus"
        ),
        "{}",
        text(&out)
    );

    let (v, _) = json(&[]);
    assert_eq!(states(&v), ["not_validated"; 3], "{:#}", v["dane"]);
    assert!(!entries(&v).contains(&"dns.dane.bogus"), "{v:#}");

    let ds = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("ds-anchor-{}.txt", std::process::id()));
    std::fs::write(&ds, "dane.test. 300 IN DS 1234 13 2 00ff\n").expect("DS file");
    let out = dns(&["--trust-anchor", ds.to_str().expect("UTF-8 path")]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no DNSKEY record"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&ds);
}
