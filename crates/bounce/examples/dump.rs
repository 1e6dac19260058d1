//! Prints what `parse` makes of each message in the files given: one line per recipient with
//! the format, recipient, status, reply code, reason, stage and the deciding entries.
//! `cargo run --release -p smtp-doctor-bounce --example dump -- FILE...`

use smtp_doctor_bounce::{parse, read};

fn main() {
    for arg in std::env::args().skip(1) {
        let Ok(msgs) = read::read_file(std::path::Path::new(&arg)) else {
            eprintln!("{arg}: unreadable");
            continue;
        };
        for m in &msgs {
            let Some(r) = parse(m.bytes()) else {
                println!("{arg}\t-\tnone");
                continue;
            };
            for (i, x) in r.recipients.iter().enumerate() {
                let f = x.finding.as_ref();
                println!(
                    "{arg}\t{}\t{}\t{}\t{}\t{}\t{}\t{:?}\t{}\t{}",
                    i + 1,
                    r.format,
                    x.recipient.as_deref().unwrap_or("-"),
                    x.status.map_or("-".into(), |s| s.to_string()),
                    x.reply_code.map_or("-".into(), |s| s.to_string()),
                    x.reason,
                    x.command,
                    f.map_or(String::new(), |f| f
                        .matched
                        .iter()
                        .take(3)
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(",")),
                    x.diagnostic
                        .replace(['\n', '\r', '\t'], " ")
                        .chars()
                        .take(160)
                        .collect::<String>()
                );
            }
        }
    }
}
