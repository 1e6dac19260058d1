//! Development aid: classify each argument (or each stdin line) and print the finding as JSON.
#![allow(clippy::print_stdout, missing_docs)]

use std::io::BufRead;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines: Vec<String> = if args.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .collect()
    } else {
        args
    };
    for line in lines {
        let (_, f) = smtp_doctor_kb::explain(&line);
        println!(
            "{:<18} {:<9} {:<13} {:.2} {:<5} {:<7} {:<11} {:?}\n    <- {}",
            f.category.as_str(),
            f.class.as_str(),
            f.party.as_str(),
            f.confidence,
            f.reply_code.map(|c| c.to_string()).unwrap_or_default(),
            f.enhanced_code.map(|c| c.to_string()).unwrap_or_default(),
            f.stage.map(|s| s.as_str()).unwrap_or(""),
            f.matched,
            line
        );
    }
}
