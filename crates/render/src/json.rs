//! JSON views: the versioned contract of `--json` (schemas under `schema/`).

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use smtp_doctor_model::{
    Category, Class, Diagnosis, EnhancedCode, Finding, InputNote, Party, ReplyCode, Span, Stage,
    Text,
};
use std::io::{self, Write};

/// The `schema` value of `explain --json` objects.
pub const EXPLAIN_SCHEMA: &str = "smtp-doctor/explain/v1";

/// The finding object every subcommand's JSON shares.
#[derive(Debug)]
pub struct FindingView<'a> {
    /// What went wrong.
    pub category: Category,
    /// Whether a retry helps.
    pub class: Class,
    /// Who must act.
    pub party: Party,
    /// 0 to 1.
    pub confidence: f32,
    /// SMTP stage.
    pub stage: Option<Stage>,
    /// The server's reply code.
    pub reply_code: Option<ReplyCode>,
    /// The server's enhanced status code.
    pub enhanced_code: Option<EnhancedCode>,
    /// One line.
    pub summary: &'a str,
    /// A short explanation.
    pub explanation: &'a str,
    /// Ordered fix steps.
    pub fix: &'a [Text],
    /// References.
    pub references: &'a [Text],
    /// Knowledge-base entries used, the deciding one first.
    pub matched: &'a [Text],
    /// Byte range of the input the finding was drawn from.
    pub evidence: Option<Span>,
}

impl<'a> From<&'a Finding> for FindingView<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingView {
            category: f.category,
            class: f.class,
            party: f.party,
            confidence: (f.confidence * 100.0).round() / 100.0,
            stage: f.stage,
            reply_code: f.reply_code,
            enhanced_code: f.enhanced_code,
            summary: &f.summary,
            explanation: &f.explanation,
            fix: &f.fix,
            references: &f.references,
            matched: &f.matched,
            evidence: f.evidence,
        }
    }
}

/// One `explain --json` object.
#[derive(Debug)]
pub struct ExplainView<'a> {
    /// Always [`EXPLAIN_SCHEMA`].
    pub schema: &'static str,
    /// The message as classified.
    pub input: &'a str,
    /// True when the input was only a code.
    pub bare_code: bool,
    /// What was done to the input.
    pub notes: &'a [InputNote],
    /// The finding, its fields written into the object itself.
    pub finding: FindingView<'a>,
}

impl<'a> From<&'a Diagnosis> for ExplainView<'a> {
    fn from(d: &'a Diagnosis) -> Self {
        ExplainView {
            schema: EXPLAIN_SCHEMA,
            input: &d.input,
            bare_code: d.bare_code,
            notes: &d.notes,
            finding: FindingView::from(&d.finding),
        }
    }
}

impl FindingView<'_> {
    /// Number of fields [`FindingView::write_fields`] writes.
    const FIELDS: usize = 13;

    /// Writes the finding's fields into an object being serialised. Objects that embed a finding
    /// call this instead of `#[serde(flatten)]`, which goes through serde's slower map path.
    pub fn write_fields<S: SerializeStruct>(&self, s: &mut S) -> Result<(), S::Error> {
        s.serialize_field("category", &self.category)?;
        s.serialize_field("class", &self.class)?;
        s.serialize_field("party", &self.party)?;
        s.serialize_field("confidence", &self.confidence)?;
        s.serialize_field("stage", &self.stage)?;
        s.serialize_field("reply_code", &self.reply_code)?;
        s.serialize_field("enhanced_code", &self.enhanced_code)?;
        s.serialize_field("summary", self.summary)?;
        s.serialize_field("explanation", self.explanation)?;
        s.serialize_field("fix", self.fix)?;
        s.serialize_field("references", self.references)?;
        s.serialize_field("matched", self.matched)?;
        s.serialize_field("evidence", &self.evidence)
    }
}

impl Serialize for FindingView<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("Finding", Self::FIELDS)?;
        self.write_fields(&mut s)?;
        s.end()
    }
}

impl Serialize for ExplainView<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut s = ser.serialize_struct("Explain", 4 + FindingView::FIELDS)?;
        s.serialize_field("schema", self.schema)?;
        s.serialize_field("input", self.input)?;
        s.serialize_field("bare_code", &self.bare_code)?;
        s.serialize_field("notes", self.notes)?;
        self.finding.write_fields(&mut s)?;
        s.end()
    }
}

/// Writes one diagnosis as one line of JSON (a JSON Lines record).
pub fn write_explain(w: &mut impl Write, d: &Diagnosis) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &ExplainView::from(d))?;
    w.write_all(b"\n")
}
