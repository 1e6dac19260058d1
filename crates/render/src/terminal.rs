//! Human output: one screen per diagnosis, coloured through one semantic palette.

use anstyle::{AnsiColor, Effects, Style};
use smtp_doctor_model::{Category, Class, Diagnosis};
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

    fn paint(&self, style: Style, text: impl Display) -> String {
        format!("{}{text}{}", style.render(), style.render_reset())
    }
}

/// Width that explanation text is wrapped to.
const WIDTH: usize = 92;

/// Writes one diagnosis for a person to read.
pub fn write_explain(w: &mut impl Write, d: &Diagnosis, p: &Palette) -> io::Result<()> {
    let f = &d.finding;
    let (mark, style) = match (f.category, f.class) {
        (Category::Delivered, _) => ("OK", p.ok),
        (_, Class::Transient) => ("TEMPORARY", p.transient),
        (_, Class::Permanent) => ("PERMANENT", p.permanent),
        _ => ("UNKNOWN", p.transient),
    };
    writeln!(
        w,
        "{} {}  class {}  party {}  confidence {:.0}%",
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
    writeln!(w, "  {}  {}", p.paint(p.code, codes), p.paint(p.dim, stage))?;
    writeln!(w, "  {}", f.summary)?;
    for line in textwrap::wrap(&f.explanation, WIDTH - 2) {
        writeln!(w, "  {}", p.paint(p.dim, line))?;
    }
    if !f.fix.is_empty() {
        writeln!(w, "  {}", p.paint(p.label, "Fix:"))?;
        for (i, step) in f.fix.iter().enumerate() {
            let first = format!("    {:>2}. ", i + 1);
            let opts = textwrap::Options::new(WIDTH)
                .initial_indent(&first)
                .subsequent_indent("        ");
            writeln!(w, "{}", textwrap::fill(step, opts))?;
        }
    }
    if !f.references.is_empty() {
        writeln!(
            w,
            "  {} {}",
            p.paint(p.label, "See:"),
            f.references.join("; ")
        )?;
    }
    if !f.matched.is_empty() {
        writeln!(
            w,
            "  {}",
            p.paint(p.dim, format!("knowledge: {}", f.matched.join(", ")))
        )?;
    }
    for note in &d.notes {
        writeln!(w, "  {} {note}", p.paint(p.label, "Note:"))?;
    }
    Ok(())
}
