//! JSON views: the versioned contract of `--json` (schemas under `schema/`).
//!
//! Written by hand rather than through serde_json: every finding carries a few hundred bytes of
//! knowledge-base text, and serde_json's byte-by-byte escaping plus its per-field machinery were a
//! third of the time of `explain --json`. [`JsonObject`] appends fields to a buffer and
//! [`push_string`] copies the runs that need no escaping in bulk. The output is checked against
//! the committed schema and parsed back by the CLI's tests.

use smtp_doctor_model::{
    Category, Class, Diagnosis, EnhancedCode, Finding, InputNote, Party, ReplyCode, Span, Stage,
    Text,
};

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
    /// 0 to 1, rounded to two decimals.
    pub confidence: f32,
    /// SMTP stage.
    pub stage: Option<Stage>,
    /// The server's reply code.
    pub reply_code: Option<ReplyCode>,
    /// The server's enhanced status code.
    pub enhanced_code: Option<EnhancedCode>,
    /// One line.
    pub summary: &'a Text,
    /// A short explanation.
    pub explanation: &'a Text,
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

impl FindingView<'_> {
    /// Writes the finding's fields into an object: every object that embeds a finding calls this.
    pub fn write_fields(&self, o: &mut JsonObject<'_>) {
        write_block(o, self);
        let out = o.key("evidence");
        match self.evidence {
            Some(s) => {
                let mut span = JsonObject::new(out);
                span.integer("start", s.start);
                span.integer("end", s.end);
                span.end();
            }
            None => out.extend_from_slice(b"null"),
        }
    }

    /// Appends the finding as an object of its own (the `finding` field of `bounce`'s and
    /// `logs`' records), its fields written by [`FindingView::write_fields`].
    pub fn write_object(&self, out: &mut Vec<u8>) {
        let mut o = JsonObject::new(out);
        self.write_fields(&mut o);
        o.end();
    }
}

/// One `explain --json` object.
#[derive(Debug)]
pub struct ExplainView<'a> {
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
            input: &d.input,
            bare_code: d.bare_code,
            notes: &d.notes,
            finding: FindingView::from(&d.finding),
        }
    }
}

/// The start of every `explain --json` object, up to the value of `input`.
const EXPLAIN_HEAD: &str = "{\"schema\":\"smtp-doctor/explain/v1\",\"input\":";

impl ExplainView<'_> {
    /// Appends the object (without a line end) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        // The fixed start in one copy: the same as an object opened with `schema` and `input`.
        out.extend_from_slice(EXPLAIN_HEAD.as_bytes());
        push_string(out, self.input);
        let mut o = JsonObject { out, first: false };
        if !self.bare_code && self.notes.is_empty() {
            o.out
                .extend_from_slice(b",\"bare_code\":false,\"notes\":[]");
        } else {
            o.boolean("bare_code", self.bare_code);
            o.array("notes", self.notes, write_note);
        }
        self.finding.write_fields(&mut o);
        o.end();
    }
}

/// Appends one input note: `{"kind": ...}` with the note's own fields.
fn write_note(out: &mut Vec<u8>, note: &InputNote) {
    let mut o = JsonObject::new(out);
    match note {
        InputNote::Truncated {
            original_bytes,
            kept_bytes,
        } => {
            o.string("kind", "truncated");
            o.integer("original_bytes", *original_bytes);
            o.integer("kept_bytes", *kept_bytes);
        }
        InputNote::LossyUtf8 => o.string("kind", "lossy-utf8"),
        // A note kind this renderer does not know yet still yields a valid object.
        _ => o.string("kind", "other"),
    }
    o.end();
}

/// Appends one diagnosis as one line of JSON (a JSON Lines record) to `out`.
pub fn write_explain(out: &mut Vec<u8>, d: &Diagnosis) {
    ExplainView::from(d).write(out);
    out.push(b'\n');
}

/// A JSON object being appended to a buffer, one field at a time.
#[derive(Debug)]
pub struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    /// Opens an object at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonObject { out, first: true }
    }

    /// Writes `"name":` and returns the buffer, for a value the caller appends itself. Names are
    /// the schema's own snake_case words, so they are written without escaping.
    pub fn key(&mut self, name: &'static str) -> &mut Vec<u8> {
        debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A string field.
    pub fn string(&mut self, name: &'static str, value: &str) {
        let out = self.key(name);
        push_string(out, value);
    }

    /// A string field holding shared text (knowledge-base text, mostly): see [`push_texts`].
    pub fn text(&mut self, name: &'static str, value: &Text) {
        let out = self.key(name);
        push_texts(out, std::slice::from_ref(value));
    }

    /// A string field holding one of the schema's own labels (a category, class, party or stage
    /// name: lower-case ASCII words and dashes), written without escaping.
    pub fn label(&mut self, name: &'static str, value: &'static str) {
        debug_assert!(value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        let out = self.key(name);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }

    /// A string field, `null` when absent.
    pub fn opt_string(&mut self, name: &'static str, value: Option<&str>) {
        match value {
            Some(v) => self.string(name, v),
            None => self.key(name).extend_from_slice(b"null"),
        }
    }

    /// An integer field.
    pub fn integer(&mut self, name: &'static str, value: impl itoa::Integer) {
        let mut digits = itoa::Buffer::new();
        let text = digits.format(value);
        self.key(name).extend_from_slice(text.as_bytes());
    }

    /// An integer field, `null` when absent.
    pub fn opt_integer(&mut self, name: &'static str, value: Option<impl itoa::Integer>) {
        match value {
            Some(v) => self.integer(name, v),
            None => self.key(name).extend_from_slice(b"null"),
        }
    }

    /// A boolean field.
    pub fn boolean(&mut self, name: &'static str, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(name).extend_from_slice(text);
    }

    /// An enhanced status code as a string such as `"5.7.1"`, `null` when absent.
    pub fn opt_enhanced(&mut self, name: &'static str, value: Option<EnhancedCode>) {
        let Some(code) = value else {
            self.key(name).extend_from_slice(b"null");
            return;
        };
        let out = self.key(name);
        let mut digits = itoa::Buffer::new();
        out.push(b'"');
        out.extend_from_slice(digits.format(code.class).as_bytes());
        out.push(b'.');
        out.extend_from_slice(digits.format(code.subject).as_bytes());
        out.push(b'.');
        out.extend_from_slice(digits.format(code.detail).as_bytes());
        out.push(b'"');
    }

    /// A number rounded to two decimals, in its shortest form (`0.95`, `0.5`, `1.0`); `null` for
    /// NaN or infinity, which JSON cannot carry.
    pub fn hundredths(&mut self, name: &'static str, value: f32) {
        if !value.is_finite() {
            self.key(name).extend_from_slice(b"null");
            return;
        }
        let out = self.key(name);
        // The cast saturates; confidences and ratios are far inside i64.
        let h = (f64::from(value) * 100.0).round() as i64;
        if h < 0 {
            out.push(b'-');
        }
        let h = h.unsigned_abs();
        let mut digits = itoa::Buffer::new();
        out.extend_from_slice(digits.format(h / 100).as_bytes());
        out.push(b'.');
        let frac = h % 100;
        if frac % 10 == 0 {
            out.extend_from_slice(digits.format(frac / 10).as_bytes());
        } else {
            out.push(b'0' + (frac / 10) as u8);
            out.push(b'0' + (frac % 10) as u8);
        }
    }

    /// An array field whose items `write` appends, one per element of `items`.
    pub fn array<T>(
        &mut self,
        name: &'static str,
        items: &[T],
        mut write: impl FnMut(&mut Vec<u8>, &T),
    ) {
        let out = self.key(name);
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(out, item);
        }
        out.push(b']');
    }

    /// An array of strings.
    pub fn strings(&mut self, name: &'static str, values: &[Text]) {
        let out = self.key(name);
        out.push(b'[');
        push_texts(out, values);
        out.push(b']');
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// Writes a finding's fields from `category` to `matched` into `o`, copied from
/// [`FindingBlocks`] when the same fields were written before.
fn write_block(o: &mut JsonObject<'_>, f: &FindingView<'_>) {
    if !o.first {
        o.out.push(b',');
    }
    o.first = false;
    BLOCKS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut blocks) => blocks.push(o.out, f),
        // Only a re-entrant call could find the cache taken: it writes without it.
        Err(_) => render_block(o.out, f),
    });
}

/// Appends `"category":…` to `"matched":[…]`: every field of a finding but its evidence.
fn render_block(out: &mut Vec<u8>, f: &FindingView<'_>) {
    let mut o = JsonObject { out, first: true };
    o.label("category", f.category.as_str());
    o.label("class", f.class.as_str());
    o.label("party", f.party.as_str());
    o.hundredths("confidence", f.confidence);
    match f.stage {
        Some(stage) => o.label("stage", stage.as_str()),
        None => o.key("stage").extend_from_slice(b"null"),
    }
    o.opt_integer("reply_code", f.reply_code.map(ReplyCode::get));
    o.opt_enhanced("enhanced_code", f.enhanced_code);
    o.text("summary", f.summary);
    o.text("explanation", f.explanation);
    o.strings("fix", f.fix);
    o.strings("references", f.references);
    o.strings("matched", f.matched);
}

/// The address of a text's allocation.
fn addr(text: &Text) -> u64 {
    std::sync::Arc::as_ptr(text).cast::<u8>() as usize as u64
}

/// True when both lists hold the same allocations (not merely equal texts).
fn same_texts(kept: &[Text], now: &[Text]) -> bool {
    kept.len() == now.len()
        && kept
            .iter()
            .zip(now)
            .all(|(a, b)| std::sync::Arc::ptr_eq(a, b))
}

/// The fields of a finding besides its texts and evidence, part of a [`FindingBlock`]'s key.
#[derive(Clone, Copy, PartialEq)]
struct Labels {
    category: Category,
    class: Class,
    party: Party,
    /// The confidence's bits: equal bits write equal digits.
    confidence: u32,
    stage: Option<Stage>,
    reply_code: Option<ReplyCode>,
    enhanced_code: Option<EnhancedCode>,
    /// Lengths of fix, references and matched.
    lens: [usize; 3],
}

impl Labels {
    fn of(f: &FindingView<'_>) -> Self {
        Labels {
            category: f.category,
            class: f.class,
            party: f.party,
            confidence: f.confidence.to_bits(),
            stage: f.stage,
            reply_code: f.reply_code,
            enhanced_code: f.enhanced_code,
            lens: [f.fix.len(), f.references.len(), f.matched.len()],
        }
    }

    /// A number that differs between most labels, to hash with the texts' addresses.
    fn mix(&self) -> u64 {
        let enhanced = self.enhanced_code.map_or(0, |e| {
            u64::from(e.class) << 32 | u64::from(e.subject) << 16 | u64::from(e.detail)
        });
        let reply = self.reply_code.map_or(0, |r| u64::from(r.get()));
        enhanced ^ reply << 40 ^ u64::from(self.confidence) << 8
    }
}

/// One finding's fields as written (all but its evidence), with what they were written from.
///
/// It keeps clones of the texts: they keep the allocations alive, so that an address match is the
/// same text.
struct FindingBlock {
    labels: Labels,
    summary: Text,
    explanation: Text,
    fix: Box<[Text]>,
    references: Box<[Text]>,
    matched: Box<[Text]>,
    json: Box<[u8]>,
}

impl FindingBlock {
    /// True when the block was written from exactly these fields.
    fn is_of(&self, labels: &Labels, f: &FindingView<'_>) -> bool {
        self.labels == *labels
            && std::sync::Arc::ptr_eq(&self.summary, f.summary)
            && std::sync::Arc::ptr_eq(&self.explanation, f.explanation)
            && same_texts(&self.matched, f.matched)
            && same_texts(&self.references, f.references)
            && same_texts(&self.fix, f.fix)
    }
}

/// Findings from the same knowledge-base entry share their texts, and most share their labels
/// and codes too; writing them field by field was most of a JSON record's cost. A direct-mapped
/// cache indexed by the texts' addresses and the codes turns them into a few comparisons and one
/// copy. A block whose slot another took is written again (through [`EscapedTexts`]).
#[derive(Default)]
struct FindingBlocks {
    /// Allocated on first use.
    slots: Vec<Option<FindingBlock>>,
}

/// Slots of [`FindingBlocks`], as a power of two: more than the entries of the knowledge base.
const BLOCK_BITS: u32 = 12;

thread_local! {
    static BLOCKS: std::cell::RefCell<FindingBlocks> = std::cell::RefCell::default();
}

impl FindingBlocks {
    /// Appends the block of `f`, from the cache when it was written before.
    fn push(&mut self, out: &mut Vec<u8>, f: &FindingView<'_>) {
        if self.slots.is_empty() {
            self.slots.resize_with(1 << BLOCK_BITS, || None);
        }
        let labels = Labels::of(f);
        // The slot hashes the codes and the addresses of the summary, the explanation and the
        // matched entries' ids: findings of one entry differ in their codes and in the entries
        // matched beside it (which make their references), and sharing a slot they would evict
        // each other.
        let head = [addr(f.summary), addr(f.explanation), labels.mix()];
        let hash = head
            .into_iter()
            .chain(f.matched.iter().map(addr))
            .fold(0, |h, a| (h ^ a).wrapping_mul(FIBONACCI));
        let slot = usize::try_from(hash >> (64 - BLOCK_BITS)).unwrap_or_default();
        let Some(entry) = self.slots.get_mut(slot) else {
            return render_block(out, f);
        };
        if let Some(block) = entry {
            if block.is_of(&labels, f) {
                out.extend_from_slice(&block.json);
                return;
            }
        }
        let start = out.len();
        render_block(out, f);
        *entry = Some(FindingBlock {
            labels,
            summary: f.summary.clone(),
            explanation: f.explanation.clone(),
            fix: f.fix.into(),
            references: f.references.into(),
            matched: f.matched.into(),
            json: out[start..].into(),
        });
    }
}

/// 2^64 divided by the golden ratio: the multiplier of Fibonacci hashing.
const FIBONACCI: u64 = 0x9E37_79B9_7F4A_7C15;

/// The slot of `text` in a direct-mapped cache of `2^bits` slots: Fibonacci hashing of the
/// address of its allocation (allocations are aligned, so the low bits say little).
fn slot_of(text: &Text, bits: u32) -> usize {
    let addr = std::sync::Arc::as_ptr(text).cast::<u8>() as usize;
    let hash = (addr as u64).wrapping_mul(FIBONACCI) >> (64 - bits);
    usize::try_from(hash).unwrap_or_default()
}

/// Shared texts already written as JSON strings: a direct-mapped cache indexed by the address of
/// each text's allocation.
///
/// Findings share the knowledge base's texts (summary, explanation, fix steps, references, entry
/// ids), so the same few thousand strings are written again and again; writing each from here is
/// one slot lookup and one copy. Every slot keeps a clone of its [`Text`], so the allocation stays
/// alive and its address cannot be reused by another text while the slot holds it; a text whose
/// slot another text took is simply escaped again.
#[derive(Default)]
struct EscapedTexts {
    /// Allocated on first use.
    slots: Vec<Option<(Text, Box<[u8]>)>>,
}

/// Slots of [`EscapedTexts`], as a power of two: more than the texts a run writes in practice.
const ESCAPED_BITS: u32 = 14;
/// Slots of [`EscapedTexts`].
const ESCAPED_SLOTS: usize = 1 << ESCAPED_BITS;

thread_local! {
    static ESCAPED: std::cell::RefCell<EscapedTexts> = std::cell::RefCell::default();
}

impl EscapedTexts {
    /// Appends `text` as a quoted JSON string, copied from the cache when it was written before.
    fn push(&mut self, out: &mut Vec<u8>, text: &Text) {
        if self.slots.is_empty() {
            self.slots.resize_with(ESCAPED_SLOTS, || None);
        }
        let Some(entry) = self.slots.get_mut(slot_of(text, ESCAPED_BITS)) else {
            return push_string(out, text);
        };
        if let Some((kept, json)) = entry {
            if std::sync::Arc::ptr_eq(kept, text) {
                out.extend_from_slice(json);
                return;
            }
        }
        let start = out.len();
        push_string(out, text);
        *entry = Some((text.clone(), out[start..].to_vec().into_boxed_slice()));
    }
}

/// Appends shared texts as quoted JSON strings separated by commas, from [`EscapedTexts`] where
/// they were written before.
pub fn push_texts(out: &mut Vec<u8>, texts: &[Text]) {
    ESCAPED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut cache) => {
            for (i, t) in texts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                cache.push(out, t);
            }
        }
        // Only a re-entrant call could find the cache taken: it writes without it.
        Err(_) => {
            for (i, t) in texts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_string(out, t);
            }
        }
    });
}

/// Appends `s` as a quoted JSON string (RFC 8259: `"`, `\` and control characters escaped).
pub fn push_string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    if !any_to_escape(b) {
        out.extend_from_slice(b);
    } else {
        let mut clean = 0;
        for (i, &c) in b.iter().enumerate() {
            if escape_flag(c) != 0 {
                out.extend_from_slice(&b[clean..i]);
                escape(out, c);
                clean = i + 1;
            }
        }
        out.extend_from_slice(&b[clean..]);
    }
    out.push(b'"');
}

/// True when some byte of `b` must be escaped. Tests whole 32-byte chunks with no early exit, so
/// that the compiler turns each into vector compares; the tail is one more chunk that overlaps
/// the last full one; a short string is tested byte by byte.
fn any_to_escape(b: &[u8]) -> bool {
    const CHUNK: usize = 32;
    let flags = |chunk: &[u8]| chunk.iter().fold(0, |acc, &c| acc | escape_flag(c));
    if b.len() < CHUNK {
        return flags(b) != 0;
    }
    let mut acc = flags(&b[b.len() - CHUNK..]);
    for chunk in b.chunks_exact(CHUNK) {
        acc |= flags(chunk);
    }
    acc != 0
}

/// 1 when `c` must be escaped in a JSON string, else 0 (arithmetic, so that folds vectorise).
fn escape_flag(c: u8) -> u8 {
    u8::from(c < 0x20) | u8::from(c == b'"') | u8::from(c == b'\\')
}

fn escape(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(c >> 4)],
            HEX[usize::from(c & 15)],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = Vec::new();
        push_string(&mut out, s);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn strings_round_trip_through_a_json_parser() {
        let samples = [
            "",
            "plain",
            "a \"quoted\" word and a back\\slash",
            "tab\tnew\nline\r\u{8}\u{c}\u{1}\u{1f} and more than sixteen bytes after it",
            "exactly sixteen!",
            "ünïcödé and emoji 📫 beyond the first chunk of sixteen bytes \"x\"",
            "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
        ];
        for s in samples {
            let q = quoted(s);
            let back: String = serde_json::from_str(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
            assert_eq!(back, s);
            assert_eq!(q, serde_json::to_string(s).unwrap_or_default());
        }
    }

    #[test]
    fn the_explain_head_names_the_schema() {
        let mut out = Vec::new();
        let mut o = JsonObject::new(&mut out);
        o.string("schema", EXPLAIN_SCHEMA);
        o.key("input");
        assert_eq!(out, EXPLAIN_HEAD.as_bytes());
    }

    #[test]
    fn objects_are_valid_json() {
        let mut out = Vec::new();
        let mut o = JsonObject::new(&mut out);
        o.string("a", "x");
        o.hundredths("n", 0.5);
        o.hundredths("one", 1.0);
        o.hundredths("p", 0.951);
        o.hundredths("z", 0.0);
        o.hundredths("nan", f32::NAN);
        o.opt_string("none", None);
        o.opt_integer("code", Some(550u16));
        o.opt_enhanced("enh", EnhancedCode::new(5, 7, 26));
        o.boolean("b", true);
        o.strings("list", &[Text::from("p"), Text::from("q")]);
        o.end();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["a"], "x");
        assert_eq!(v["n"], 0.5);
        assert_eq!(v["one"], 1.0);
        assert_eq!(v["p"], 0.95);
        assert_eq!(v["z"], 0.0);
        assert_eq!(v["enh"], "5.7.26");
        assert!(v["nan"].is_null() && v["none"].is_null());
        assert_eq!(v["code"], 550);
        assert_eq!(v["b"], true);
        assert_eq!(v["list"][1], "q");
    }

    /// A finding written through the block cache, as an object of its own.
    fn finding_json(f: &FindingView<'_>) -> serde_json::Value {
        let mut out = Vec::new();
        let mut o = JsonObject::new(&mut out);
        f.write_fields(&mut o);
        o.end();
        serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn cached_blocks_follow_their_texts() {
        let summary = Text::from("One \"line\".");
        let explanation = Text::from("Why.");
        let fix = [Text::from("Do this."), Text::from("Then that.")];
        let (refs_a, refs_b) = (
            vec![Text::from("RFC 5321 4.2")],
            vec![Text::from("RFC 5321 4.2"), Text::from("RFC 3463")],
        );
        let matched = vec![Text::from("core.x")];
        let view = |references: &'static [Text]| FindingView {
            category: Category::UserUnknown,
            class: Class::Permanent,
            party: Party::Sender,
            confidence: 0.9,
            stage: None,
            reply_code: None,
            enhanced_code: None,
            summary: &summary,
            explanation: &explanation,
            fix: &fix,
            references,
            matched: &matched,
            evidence: None,
        };
        let (refs_a, refs_b): (&'static [Text], &'static [Text]) = (refs_a.leak(), refs_b.leak());
        let first = finding_json(&view(refs_a));
        assert_eq!(finding_json(&view(refs_a)), first);
        assert_eq!(first["summary"], "One \"line\".");
        assert_eq!(first["fix"][1], "Then that.");
        assert_eq!(first["references"].as_array().map(Vec::len), Some(1));
        // Same summary, other references: written anew, not copied from the cache.
        let other = finding_json(&view(refs_b));
        assert_eq!(other["references"][1], "RFC 3463");
        assert_eq!(finding_json(&view(refs_a)), first);
        // Same texts, another code and confidence: written anew as well.
        let coded = finding_json(&FindingView {
            reply_code: ReplyCode::new(550),
            confidence: 0.5,
            ..view(refs_a)
        });
        assert_eq!(coded["reply_code"], 550);
        assert_eq!(coded["confidence"], 0.5);
        assert!(first["reply_code"].is_null());
        assert_eq!(finding_json(&view(refs_a)), first);
    }
}
