//! `smtp-doctor demo`: starts the built-in fault lab and probes every scenario, one diagnosis each.

use crate::check::runtime;
use crate::{EXIT_OK, EXIT_PROBLEMS};
use anyhow::{Context, Result};
use smtp_doctor_lab::{ClientTls, Lab, Scenario};
use smtp_doctor_monitor::diagnose;
use smtp_doctor_probe::{probe, ProbeOptions, Target, Timeouts, TlsPolicy};
use smtp_doctor_render::check::{write_demo_entry, CheckReport};
use smtp_doctor_render::Palette;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Probes run at the same time.
const CONCURRENCY: usize = 8;

/// The probe options for one scenario: its TLS mode, the lab CA, an envelope, short deadlines
/// (a 3 s banner deadline, so that the 1-byte-per-second tarpit is diagnosed from a timeout).
fn options(s: &Scenario, ca_pem: &str) -> ProbeOptions {
    ProbeOptions {
        tls: match s.tls {
            ClientTls::Plain => TlsPolicy::None,
            ClientTls::StartTls => TlsPolicy::StartTls,
            ClientTls::Implicit => TlsPolicy::Implicit,
        },
        ca_pem: Some(ca_pem.as_bytes().to_vec()),
        from: Some("demo@smtp-doctor.invalid".to_string()),
        to: vec!["someone@lab.invalid".to_string()],
        timeouts: Timeouts {
            resolve: Duration::from_secs(2),
            connect: Duration::from_secs(2),
            banner: Duration::from_secs(3),
            command: Duration::from_secs(3),
            total: Duration::from_secs(15),
        },
        ..ProbeOptions::default()
    }
}

/// Runs the demo and returns 0 when every scenario was diagnosed as expected, else 1.
pub(crate) fn run(colour: bool) -> Result<u8> {
    let rt = runtime()?;
    let (scenarios, reports) = rt.block_on(async {
        let lab = Lab::start().await.context("cannot start the lab")?;
        let scenarios: Vec<Scenario> = lab.scenarios().to_vec();
        let gate = Arc::new(Semaphore::new(CONCURRENCY));
        let mut set = JoinSet::new();
        for (i, s) in scenarios.iter().enumerate() {
            let target = Target::parse(&s.addr.to_string())
                .map_err(|e| anyhow::anyhow!("lab address {}: {e}", s.addr))?;
            let opts = options(s, lab.ca_pem());
            let gate = Arc::clone(&gate);
            set.spawn(async move {
                let _permit = gate.acquire_owned().await;
                (i, probe(&target, &opts).await)
            });
        }
        let mut reports: Vec<Option<CheckReport>> = vec![None; scenarios.len()];
        while let Some(done) = set.join_next().await {
            let (i, report) = done.context("a probe task failed")?;
            if let Some(slot) = reports.get_mut(i) {
                *slot = Some(diagnose(report));
            }
        }
        lab.shutdown().await;
        anyhow::Ok((scenarios, reports))
    })?;
    let p = Palette::new(colour);
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "smtp-doctor demo: the built-in fault lab, {} servers on 127.0.0.1, each probed by `check`\n",
        scenarios.len()
    )?;
    let mut right = 0;
    for (s, c) in scenarios.iter().zip(&reports) {
        let Some(c) = c else { continue };
        let mut expect = vec![s.expect];
        expect.extend_from_slice(s.also);
        let ok = s.accepts(smtp_doctor_render::check::diagnosed_category(c));
        right += usize::from(ok);
        write_demo_entry(
            &mut out,
            s.name,
            s.description,
            s.tls.as_str(),
            &expect,
            ok,
            c,
            &p,
        )?;
    }
    writeln!(
        out,
        "{right} of {} scenarios diagnosed as expected",
        scenarios.len()
    )?;
    writeln!(
        out,
        "\nNext: `smtp-doctor lab` keeps these servers running to probe by hand; \
         `smtp-doctor check HOST` probes a real server; `smtp-doctor explain TEXT` explains a pasted error."
    )?;
    out.flush()?;
    Ok(if right == scenarios.len() {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}
