//! `smtp-doctor dns DOMAIN` against the lab's Knot server for `lab.test` (127.0.0.1:5353,
//! `../shared/lab/start-dns.sh`): the healthy domain comes out clean, every broken name gets
//! its finding from the knowledge base, text and `dns/v1` JSON (validated against the committed
//! schema), and the exit codes. Under `CI=true` a silent lab server is a failure; outside CI,
//! as root, the first test starts it, and otherwise the tests print `SKIPPED`.

mod common;

use common::{failing_dns, need_lab_dns, run_env, DnsFault, LAB_DNS};
use serde_json::Value;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn dns(args: &[&str]) -> Output {
    let mut all = vec!["dns"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--dns-server", LAB_DNS, "--color", "never"]);
    run(&all)
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("../../../schema/dns.v1.json")).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
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
    if !need_lab_dns("the_healthy_domain_comes_out_clean") {
        return;
    }
    let out = dns(&["lab.test"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    for line in [
        "✔ SPF",
        "✔ DMARC",
        "✔ DKIM",
        "✔ MTA-STS",
        "✔ TLS-RPT",
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
    // The schema rejects what it must.
    let mut bad = v.clone();
    bad["spf"]["lookups"] = Value::from("one");
    assert!(!validator().is_valid(&bad));
    let mut bad = v.clone();
    bad["dkim"]["domainkey"]["answer"] = Value::from("maybe");
    assert!(!validator().is_valid(&bad));
}

#[test]
fn a_sending_ip_is_evaluated_with_the_mechanism_that_matched() {
    if !need_lab_dns("a_sending_ip_is_evaluated_with_the_mechanism_that_matched") {
        return;
    }
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
    if !need_lab_dns("every_broken_name_gets_its_finding") {
        return;
    }
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
    if !need_lab_dns("mail_hosts_their_reverse_dns_and_blocklists") {
        return;
    }
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
    if !need_lab_dns("text_shows_the_spf_tree_and_the_fixes") {
        return;
    }
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
