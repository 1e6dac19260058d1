//! `smtp-doctor lab`: serves the built-in fault lab on loopback until Ctrl-C or end of input.

use crate::check::runtime;
use crate::EXIT_OK;
use anyhow::{Context, Result};
use smtp_doctor_lab::{Lab, LabOptions, LAB_PASSWORD, LAB_USER};
use std::io::{self, Read, Write};

/// Arguments of `lab`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Start only this scenario; repeat for several (default: all).
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// Listen on this loopback address (127.0.0.1 or ::1).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    address: std::net::IpAddr,
    /// Listen on PORT for the first scenario and the ports after it for the next ones
    /// (default: ports chosen by the system).
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
}

/// Runs `lab`: starts the servers, prints them and the CA file, and serves until stopped.
pub(crate) fn run(args: &Args) -> Result<u8> {
    let rt = runtime()?;
    rt.block_on(async {
        let options = LabOptions {
            only: (!args.only.is_empty()).then(|| args.only.clone()),
            address: args.address,
            base_port: args.port,
            ..LabOptions::default()
        };
        let lab = Lab::start_with(options).await?;
        let dir = std::env::temp_dir().join(format!("smtp-doctor-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, lab.ca_pem())
            .with_context(|| format!("cannot write {}", ca.display()))?;
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "smtp-doctor lab: {} fault servers on {} (Ctrl-C or end of input stops them)",
            lab.scenarios().len(),
            args.address
        )?;
        writeln!(out, "CA certificate: {}", ca.display())?;
        writeln!(out, "AUTH (after TLS): user {LAB_USER}, password {LAB_PASSWORD}")?;
        writeln!(out)?;
        writeln!(
            out,
            "{:<18} {:<21} {:<9} {:<34} what it shows",
            "scenario", "address", "--tls", "expected diagnosis"
        )?;
        for s in lab.scenarios() {
            let mut expect = s.expect.to_string();
            for a in s.also {
                expect.push_str(" or ");
                expect.push_str(a.as_str());
            }
            writeln!(
                out,
                "{:<18} {:<21} {:<9} {:<34} {}",
                s.name,
                s.addr,
                s.tls.as_str(),
                expect,
                s.description
            )?;
        }
        if let Some(h) = lab.scenario("healthy") {
            writeln!(out)?;
            writeln!(
                out,
                "Try: smtp-doctor check {} --tls starttls --ca {} --from a@lab.invalid --to b@lab.invalid",
                h.addr,
                ca.display()
            )?;
        }
        out.flush()?;
        drop(out);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // A plain thread, so that a blocked read of stdin never holds up the runtime's exit.
        std::thread::spawn(move || {
            let mut sink = [0u8; 4096];
            let mut stdin = io::stdin().lock();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = rx => {}
        }
        lab.shutdown().await;
        let _ = std::fs::remove_file(&ca);
        let _ = std::fs::remove_dir(&dir);
        Ok(EXIT_OK)
    })
}
