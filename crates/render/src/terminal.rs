//! Human output: one screen per diagnosis, coloured through one semantic palette.

use anstyle::{AnsiColor, Effects, Style};
use smtp_doctor_model::{Category, Class, Diagnosis, Finding};
use std::fmt::Display;
use std::io::{self, Write};

/// The semantic colours of terminal output; all plain when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// A permanent failure.
    pub permanent: Style,
    /// A transient failure.
    pub transient: Style,
    /// Success.
    pub ok: Style,
    /// Labels such as "Fix:".
    pub label: Style,
    /// Secondary text.
    pub dim: Style,
    /// Codes and identifiers.
    pub code: Style,
}

impl Palette {
    /// The palette, coloured or plain.
    pub fn new(colour: bool) -> Self {
        if !colour {
            let plain = Style::new();
            return Palette {
                permanent: plain,
                transient: plain,
                ok: plain,
                label: plain,
                dim: plain,
                code: plain,
            };
        }
        Palette {
            permanent: AnsiColor::Red.on_default().effects(Effects::BOLD),
            transient: AnsiColor::Yellow.on_default().effects(Effects::BOLD),
            ok: AnsiColor::Green.on_default().effects(Effects::BOLD),
            label: Style::new().effects(Effects::BOLD),
            dim: Style::new().effects(Effects::DIMMED),
            code: AnsiColor::Cyan.on_default(),
        }
    }

    /// `text` in `style`, with the reset after it (plain text when colour is off).
    pub fn paint(&self, style: Style, text: impl Display) -> String {
        format!("{}{text}{}", style.render(), style.render_reset())
    }
}

/// Width that explanation text is wrapped to.
const WIDTH: usize = 92;

/// Writes one diagnosis for a person to read.
pub fn write_explain(w: &mut impl Write, d: &Diagnosis, p: &Palette) -> io::Result<()> {
    write_finding(w, &d.finding, p, "")?;
    for note in &d.notes {
        writeln!(w, "  {} {note}", p.paint(p.label, "Note:"))?;
    }
    Ok(())
}

/// The headline word of a finding and its style: OK, TEMPORARY, PERMANENT or UNKNOWN.
pub fn mark(f: &Finding, p: &Palette) -> (&'static str, Style) {
    match (f.category, f.class) {
        (Category::Delivered, _) => ("OK", p.ok),
        (_, Class::Transient) => ("TEMPORARY", p.transient),
        (_, Class::Permanent) => ("PERMANENT", p.permanent),
        _ => ("UNKNOWN", p.transient),
    }
}

/// Writes one finding: headline, codes and stage, summary, explanation, fix steps, references
/// and the knowledge-base entries used; every line starts with `indent`.
pub fn write_finding(w: &mut impl Write, f: &Finding, p: &Palette, indent: &str) -> io::Result<()> {
    let (mark, style) = mark(f, p);
    writeln!(
        w,
        "{indent}{} {}  class {}  party {}  confidence {:.0}%",
        p.paint(style, mark),
        p.paint(style, f.category),
        f.class,
        f.party,
        f.confidence * 100.0
    )?;
    let mut codes = Vec::new();
    if let Some(r) = f.reply_code {
        codes.push(r.to_string());
    }
    if let Some(e) = f.enhanced_code {
        codes.push(e.to_string());
    }
    let stage = f
        .stage
        .map(|s| format!("stage {s}"))
        .unwrap_or_else(|| "stage unknown".to_string());
    let codes = if codes.is_empty() {
        "no SMTP reply code".to_string()
    } else {
        codes.join(" ")
    };
    writeln!(
        w,
        "{indent}  {}  {}",
        p.paint(p.code, codes),
        p.paint(p.dim, stage)
    )?;
    writeln!(w, "{indent}  {}", f.summary)?;
    let width = WIDTH - 2 - indent.len();
    for line in textwrap::wrap(&f.explanation, width) {
        writeln!(w, "{indent}  {}", p.paint(p.dim, line))?;
    }
    if !f.fix.is_empty() {
        writeln!(w, "{indent}  {}", p.paint(p.label, "Fix:"))?;
        for (i, step) in f.fix.iter().enumerate() {
            let first = format!("{indent}    {:>2}. ", i + 1);
            let rest = format!("{indent}        ");
            let opts = textwrap::Options::new(WIDTH)
                .initial_indent(&first)
                .subsequent_indent(&rest);
            writeln!(w, "{}", textwrap::fill(step, opts))?;
        }
    }
    if !f.references.is_empty() {
        writeln!(
            w,
            "{indent}  {} {}",
            p.paint(p.label, "See:"),
            f.references.join("; ")
        )?;
    }
    if !f.matched.is_empty() {
        writeln!(
            w,
            "{indent}  {}",
            p.paint(p.dim, format!("knowledge: {}", f.matched.join(", ")))
        )?;
    }
    Ok(())
}
