//! THE classifier: the only place where findings are made.

use crate::entry::{DataFile, Entry, Provider, Strength};
use crate::extract::{cut, MAX_TEXT};
use daachorse::{DoubleArrayAhoCorasick, DoubleArrayAhoCorasickBuilder};
use serde::{Deserialize, Serialize};
use smtp_doctor_model::{
    Category, Class, EnhancedCode, Evidence, Finding, Party, ReplyCode, Stage, Text,
};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Most bytes a `*` in a phrase may stand for.
const GAP: usize = 60;

/// A knowledge base that failed to load: a data-file error, caught by the tests.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KbError {
    /// A data file is not valid TOML for the entry format.
    #[error("{file}: {source}")]
    Parse {
        /// The data file.
        file: String,
        /// What the parser said.
        source: toml::de::Error,
    },
    /// An entry breaks a rule of the format.
    #[error("entry {id}: {problem}")]
    Invalid {
        /// The entry's id.
        id: String,
        /// What is wrong.
        problem: String,
    },
    /// The automaton of phrase parts could not be built.
    #[error("building the phrase-part automaton: {0}")]
    Parts(String),
}

/// A phrase: one or more parts that must appear in order, each within [`GAP`] of the last.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Phrase {
    parts: Vec<usize>,
}

/// A code pattern such as `5xx`, `55x`, `X.7.26` or `5.7.x`: `None` is a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct CodePattern([Option<u16>; 3]);

impl CodePattern {
    fn reply(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 3 {
            return None;
        }
        let mut out = [None; 3];
        for (i, c) in b.iter().enumerate() {
            out[i] = match c {
                b'0'..=b'9' => Some(u16::from(c - b'0')),
                b'x' | b'X' => None,
                _ => return None,
            };
        }
        Some(CodePattern(out))
    }

    fn enhanced(s: &str) -> Option<Self> {
        let mut out = [None; 3];
        let mut n = 0;
        for (i, p) in s.split('.').enumerate() {
            if i > 2 {
                return None;
            }
            out[i] = match p {
                "x" | "X" => None,
                _ => Some(p.parse().ok().filter(|v: &u16| *v < 1000)?),
            };
            n += 1;
        }
        (n == 3).then_some(CodePattern(out))
    }

    /// A number that identifies the pattern: 16 bits a part, all ones for a wildcard.
    fn key(self) -> u64 {
        self.0
            .iter()
            .fold(0, |acc, p| acc << 16 | u64::from(p.unwrap_or(u16::MAX)))
    }

    fn matches_reply(self, r: ReplyCode) -> bool {
        let v = r.get();
        self.test([v / 100, v / 10 % 10, v % 10])
    }

    fn matches_enhanced(self, e: EnhancedCode) -> bool {
        self.test([u16::from(e.class), e.subject, e.detail])
    }

    fn test(self, parts: [u16; 3]) -> bool {
        self.0
            .iter()
            .zip(parts)
            .all(|(p, v)| p.is_none_or(|p| p == v))
    }
}

/// What ranking candidates and making a finding read of an entry, with defaults applied.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Meta {
    category: Category,
    strength: Strength,
    confidence: f32,
    party: Party,
    class: Option<Class>,
    force_class: Option<Class>,
    stage: Option<Stage>,
    on_success: bool,
    /// A generic code entry (`reply` or `enhanced`).
    is_code: bool,
}

impl Meta {
    fn of(e: &Entry) -> Meta {
        Meta {
            category: e.category,
            strength: e.strength(),
            confidence: e.confidence(),
            party: e.party(),
            class: e.class,
            force_class: e.force_class,
            stage: e.stage,
            on_success: e.on_success,
            is_code: e.reply.is_some() || e.enhanced.is_some(),
        }
    }
}

/// An entry compiled for matching, with its texts ready to share with findings.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Compiled {
    meta: Meta,
    id: Text,
    /// [`Texts`] in postcard, made into shared strings on first need ([`Compiled::texts`]): most
    /// entries make no finding in a run, and decoding every entry's texts at start-up cost a
    /// fifth of it.
    #[serde(with = "bytes")]
    texts_encoded: Vec<u8>,
    #[serde(skip)]
    texts: OnceLock<Texts>,
    /// The explanation when the evidence is a bare code: made on first need (most entries are
    /// never asked for it), once, so that findings share it.
    #[serde(skip)]
    bare_explanation: OnceLock<Text>,
    /// Phrases of which one must appear.
    any: Vec<usize>,
    /// Phrases that must all appear.
    all: Vec<usize>,
    /// Phrases that must not appear.
    none: Vec<usize>,
    /// The tests [`Kb::holds`] must make for this entry, as [`Checks`] bits: the ones that being
    /// a candidate does not already settle.
    checks: u8,
    reply: Option<CodePattern>,
    enhanced: Option<CodePattern>,
    codes: Vec<CodePattern>,
    enhanced_codes: Vec<CodePattern>,
    provider: Option<usize>,
}

/// The texts of an entry that its findings carry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Texts {
    summary: Text,
    explanation: Text,
    fix: Arc<[Text]>,
    references: Vec<Text>,
}

impl Compiled {
    /// The entry's texts, decoded once. Empty if they do not decode, which the build script and
    /// the crate's tests rule out (the bytes are the build's own).
    fn texts(&self) -> &Texts {
        self.texts
            .get_or_init(|| postcard::from_bytes(&self.texts_encoded).unwrap_or_default())
    }
}

/// A byte string written as one (postcard writes a `Vec<u8>` field as a sequence of bytes, read
/// back one at a time).
mod bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as one byte string.
    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    /// Reads bytes written by [`serialize`].
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        <&[u8]>::deserialize(d).map(<[u8]>::to_vec)
    }
}

/// The bits of [`Compiled::checks`].
struct Checks;

impl Checks {
    /// One of the `any` phrases must be present: an entry without `all` phrases is a candidate
    /// only through one of its `any` phrases, so only an entry with both needs the test.
    const ANY: u8 = 1;
    /// Every `all` phrase must be present.
    const ALL: u8 = 2;
    /// No `none` phrase may be present.
    const NONE: u8 = 4;
    /// The reply code must match one of `codes`.
    const CODES: u8 = 8;
    /// The enhanced code must match one of `enhanced_codes`.
    const ENHANCED_CODES: u8 = 16;
    /// The provider must be named in the text.
    const PROVIDER: u8 = 32;

    /// The checks an entry needs. Its own `reply` or `enhanced` pattern needs none: a code entry
    /// is a candidate only when looked up under a code its pattern matches.
    fn of(c: &Compiled) -> u8 {
        [
            (!c.any.is_empty() && !c.all.is_empty(), Self::ANY),
            (!c.all.is_empty(), Self::ALL),
            (!c.none.is_empty(), Self::NONE),
            (!c.codes.is_empty(), Self::CODES),
            (!c.enhanced_codes.is_empty(), Self::ENHANCED_CODES),
            (c.provider.is_some(), Self::PROVIDER),
        ]
        .into_iter()
        .fold(0, |acc, (needed, bit)| if needed { acc | bit } else { acc })
    }
}

/// Phrases that name the SMTP stage in MTA and client messages.
const STAGE_PHRASES: &[(&str, Stage)] = &[
    ("in reply to rcpt to", Stage::Rcpt),
    ("in response to rcpt to", Stage::Rcpt),
    ("in response to mail from", Stage::Mail),
    ("in response to end of data", Stage::EndOfData),
    ("in response to data", Stage::Data),
    ("in response to ehlo", Stage::Ehlo),
    ("in response to helo", Stage::Ehlo),
    ("in response to initial connection", Stage::Banner),
    ("in response to starttls", Stage::StartTls),
    ("in response to auth", Stage::Auth),
    ("after rcpt to", Stage::Rcpt),
    ("after rcpt", Stage::Rcpt),
    ("rcpt to command", Stage::Rcpt),
    ("in reply to mail from", Stage::Mail),
    ("after mail from", Stage::Mail),
    ("mail from command", Stage::Mail),
    ("in reply to end of data", Stage::EndOfData),
    ("after end of data", Stage::EndOfData),
    ("after data", Stage::Data),
    ("in reply to data", Stage::Data),
    ("in reply to ehlo", Stage::Ehlo),
    ("in reply to helo", Stage::Ehlo),
    ("after ehlo", Stage::Ehlo),
    ("after helo", Stage::Ehlo),
    ("initial server greeting", Stage::Banner),
    ("after initial connection", Stage::Banner),
    ("smtp banner", Stage::Banner),
    ("greeting", Stage::Banner),
    ("in reply to starttls", Stage::StartTls),
    ("after starttls", Stage::StartTls),
    ("in reply to auth", Stage::Auth),
    ("after auth", Stage::Auth),
    ("in reply to quit", Stage::Quit),
];

/// The knowledge base: entries, providers and the matcher built from them.
///
/// Serialisable so that the build script can compile the built-in data once and the binary only
/// decodes it (see `builtin`). Decoding trusts its input (indices are not checked again): decode
/// only what `Kb`'s own serialisation wrote.
#[derive(Serialize, Deserialize)]
pub struct Kb {
    /// The entries as written, which classifying does not read: left out of the serialised form
    /// (with their examples they are most of it), and read again from the data files when asked.
    #[serde(skip)]
    entries: OnceLock<Vec<Entry>>,
    compiled: Vec<Compiled>,
    providers: Vec<Provider>,
    /// For each phrase: its parts, in order.
    phrases: Lists,
    /// For each part: the phrases that begin with it.
    first_part_phrases: Lists,
    /// Every phrase part, for overlapping search: a double-array automaton (daachorse) scans
    /// faster than aho-corasick's NFA and builds far faster than its DFA.
    #[serde(with = "automaton")]
    parts: DoubleArrayAhoCorasick<u32>,
    /// For each phrase: the entries that use it in `any` or `all`. Every entry whose phrases
    /// hold uses one found in the text, so these are its only candidates besides code entries.
    phrase_entries: Lists,
    /// For each part: the providers whose marker it is.
    part_providers: Lists,
    /// For each reply code 100..600 (index: code - 100): the code entries whose `reply` pattern
    /// matches it.
    by_reply: Lists,
    /// Code entries by the key of their `enhanced` pattern, sorted by key; a code is looked up
    /// under each of the 8 ways of replacing its parts with wildcards.
    by_enhanced_keys: Vec<u64>,
    /// For each key of `by_enhanced_keys`: its entries.
    by_enhanced: Lists,
    /// The ways of replacing an enhanced code's parts with wildcards (bit k: part k) that some
    /// `enhanced` pattern uses: the lookups worth making.
    enhanced_masks: Vec<u8>,
    /// Each entry's position in the ranking: the lowest among matches wins.
    rank_pos: Vec<usize>,
    /// For each part: its position in [`STAGE_PHRASES`] when it is a stage phrase.
    part_stage: Vec<Option<usize>>,
}

/// Lists of indices kept end to end in one vector: one allocation to decode, not one a list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Lists {
    /// Where each list ends in `items`.
    #[serde(with = "indices")]
    ends: Vec<usize>,
    #[serde(with = "indices")]
    items: Vec<usize>,
}

/// A list of indices as one byte string of little-endian `u32`s: decoded in one pass over the
/// bytes, where postcard's varints are read one at a time.
mod indices {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes the indices as one byte string.
    pub(super) fn serialize<S: Serializer>(v: &[usize], s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(v.len() * 4);
        for &i in v {
            let i = u32::try_from(i).map_err(serde::ser::Error::custom)?;
            bytes.extend_from_slice(&i.to_le_bytes());
        }
        s.serialize_bytes(&bytes)
    }

    /// Reads indices written by [`serialize`].
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
        let bytes = <&[u8]>::deserialize(d)?;
        if bytes.len() % 4 != 0 {
            return Err(D::Error::custom("index list not a whole number of u32s"));
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
            .collect())
    }
}

impl Lists {
    fn new<'a>(lists: impl IntoIterator<Item = &'a Vec<usize>>) -> Lists {
        let mut out = Lists::default();
        for list in lists {
            out.items.extend_from_slice(list);
            out.ends.push(out.items.len());
        }
        out
    }

    /// How many lists there are.
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// List `i`.
    fn get(&self, i: usize) -> &[usize] {
        let start = i.checked_sub(1).map_or(0, |j| self.ends[j]);
        &self.items[start..self.ends[i]]
    }
}

/// The part automaton in daachorse's own byte format, which daachorse checks when it decodes it.
mod automaton {
    use daachorse::DoubleArrayAhoCorasick;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes the automaton as one byte string.
    pub(super) fn serialize<S: Serializer>(
        a: &DoubleArrayAhoCorasick<u32>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&a.serialize())
    }

    /// Reads an automaton written by [`serialize`].
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<DoubleArrayAhoCorasick<u32>, D::Error> {
        let bytes = <&[u8]>::deserialize(d)?;
        match DoubleArrayAhoCorasick::deserialize(bytes) {
            Ok((a, [])) => Ok(a),
            Ok(_) => Err(D::Error::custom("bytes after the part automaton")),
            Err(e) => Err(D::Error::custom(e)),
        }
    }
}

/// What one text looks like to the matcher.
struct Scan<'a> {
    /// (part, start, end) of every part found, in text order.
    hits: &'a [(usize, usize, usize)],
}

/// Buffers one classification works in, kept per thread so that classifying allocates little.
#[derive(Default)]
struct Scratch {
    norm: Vec<u8>,
    hits: Vec<(usize, usize, usize)>,
    providers: Vec<usize>,
    candidates: Vec<usize>,
    /// The entries already among the candidates, one bit each: cleared once they are collected.
    seen: Vec<u64>,
    /// The phrases found in the text, one bit each.
    present: Vec<u64>,
    /// The phrases whose bit is set, to clear them afterwards.
    found: Vec<usize>,
}

/// The phrases found in one text, as [`Scratch::find_phrases`] left them.
struct Present<'a>(&'a [u64]);

impl Present<'_> {
    /// True when phrase `ph` was found.
    fn has(&self, ph: usize) -> bool {
        self.0[ph / 64] & (1u64 << (ph % 64)) != 0
    }
}

impl Scratch {
    /// Marks every phrase of `kb` that the text's hits make up, in a set cleared before.
    fn find_phrases(&mut self, kb: &Kb) {
        for ph in self.found.drain(..) {
            self.present[ph / 64] = 0;
        }
        self.present.resize(kb.phrases.len().div_ceil(64), 0);
        let scan = Scan { hits: &self.hits };
        for &(part, _, end) in &self.hits {
            for &ph in kb.first_part_phrases.get(part) {
                let (word, bit) = (ph / 64, 1u64 << (ph % 64));
                let rest = &kb.phrases.get(ph)[1..];
                // Most phrases are one part: found as soon as it is, with no chain to follow.
                if self.present[word] & bit == 0 && (rest.is_empty() || scan.chain(rest, end)) {
                    self.present[word] |= bit;
                    self.found.push(ph);
                }
            }
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Scan<'_> {
    /// True when `parts` follow one another from `after` on, each within [`GAP`] of the last.
    fn chain(&self, parts: &[usize], after: usize) -> bool {
        let Some((&p, rest)) = parts.split_first() else {
            return true;
        };
        self.hits
            .iter()
            .filter(|h| h.0 == p && h.1 >= after && h.1 <= after + GAP)
            .any(|&(_, _, end)| self.chain(rest, end))
    }
}

impl std::fmt::Debug for Kb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kb")
            .field("entries", &self.compiled.len())
            .field("providers", &self.providers.len())
            .field("phrases", &self.phrases.len())
            .field("parts", &self.part_stage.len())
            .finish_non_exhaustive()
    }
}

impl Kb {
    /// Builds a knowledge base from data files given as (name, TOML text).
    pub fn load(files: &[(&str, &str)]) -> Result<Kb, KbError> {
        let data = files
            .iter()
            .map(|(name, text)| {
                toml::from_str(text).map_err(|source| KbError::Parse {
                    file: (*name).to_string(),
                    source,
                })
            })
            .collect::<Result<Vec<DataFile>, _>>()?;
        Kb::from_data(data)
    }

    /// Builds a knowledge base from data files already parsed, in order.
    pub fn from_data(files: Vec<DataFile>) -> Result<Kb, KbError> {
        let mut entries = Vec::new();
        let mut providers = Vec::new();
        for data in files {
            entries.extend(data.entry);
            providers.extend(data.provider);
        }
        let mut builder = Builder::default();
        let mut seen = HashMap::new();
        let mut compiled = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if seen.insert(e.id.clone(), i).is_some() {
                return Err(invalid(e, "duplicate id"));
            }
            compiled.push(builder.compile(e, &providers)?);
        }
        let markers: Vec<(usize, usize)> = providers
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| p.markers.iter().map(move |m| (pi, m)))
            .map(|(pi, m)| (pi, builder.phrase(m)))
            .collect();
        // Stage phrases are parts like any other, found by the same scan.
        let stage_parts: Vec<usize> = STAGE_PHRASES
            .iter()
            .filter_map(|(p, _)| {
                let phrase = builder.phrase(p);
                builder.phrases[phrase].parts.first().copied()
            })
            .collect();
        let nparts = builder.parts.len();
        let mut part_providers = vec![Vec::new(); nparts];
        for (pi, phrase) in markers {
            for &part in &builder.phrases[phrase].parts {
                part_providers[part].push(pi);
            }
        }
        let mut phrase_entries = vec![Vec::new(); builder.phrases.len()];
        let mut by_reply = vec![Vec::new(); 500];
        let mut by_enhanced: Vec<(u64, Vec<usize>)> = Vec::new();
        for (i, c) in compiled.iter().enumerate() {
            if let Some(pat) = c.reply {
                for (code, list) in (100..600).zip(by_reply.iter_mut()) {
                    if ReplyCode::new(code).is_some_and(|r| pat.matches_reply(r)) {
                        list.push(i);
                    }
                }
            }
            if let Some(pat) = c.enhanced {
                match by_enhanced.iter_mut().find(|(k, _)| *k == pat.key()) {
                    Some((_, list)) => list.push(i),
                    None => by_enhanced.push((pat.key(), vec![i])),
                }
            }
            for &p in c.any.iter().chain(&c.all) {
                if phrase_entries[p].last() != Some(&i) {
                    phrase_entries[p].push(i);
                }
            }
        }
        by_enhanced.sort_unstable_by_key(|(k, _)| *k);
        let mut enhanced_masks: Vec<u8> = compiled
            .iter()
            .filter_map(|c| c.enhanced)
            .map(|CodePattern(parts)| {
                (0..3).fold(0, |m, k| m | (u8::from(parts[k].is_none()) << k))
            })
            .collect();
        enhanced_masks.sort_unstable();
        enhanced_masks.dedup();
        // No match-candidate prefilter: its 2-gram table (the shortest part, `ip`, makes the
        // window two bytes) passes daachorse's estimate for random text, but in prose nearly
        // every position is a candidate, and its run-time gate, which would turn it off, never
        // sees enough of one short message to do so; filtering then cost more than it skipped.
        let parts = DoubleArrayAhoCorasickBuilder::new()
            .use_prefilter(false)
            .build(&builder.parts)
            .map_err(|e| KbError::Parts(e.to_string()))?;
        let mut part_stage = vec![None; builder.parts.len()];
        for (order, &part) in stage_parts.iter().enumerate() {
            part_stage[part].get_or_insert(order);
        }
        let mut first_part_phrases = vec![Vec::new(); nparts];
        for (ph, phrase) in builder.phrases.iter().enumerate() {
            if let Some(&first) = phrase.parts.first() {
                first_part_phrases[first].push(ph);
            }
        }
        Ok(Kb {
            rank_pos: rank_positions(&entries),
            entries: OnceLock::from(entries),
            compiled,
            providers,
            phrases: Lists::new(builder.phrases.iter().map(|p| &p.parts)),
            first_part_phrases: Lists::new(&first_part_phrases),
            parts,
            phrase_entries: Lists::new(&phrase_entries),
            part_providers: Lists::new(&part_providers),
            by_reply: Lists::new(&by_reply),
            by_enhanced_keys: by_enhanced.iter().map(|(k, _)| *k).collect(),
            by_enhanced: Lists::new(by_enhanced.iter().map(|(_, l)| l)),
            enhanced_masks,
            part_stage,
        })
    }

    /// Every entry, in data-file order.
    ///
    /// A decoded knowledge base (only the built-in one is) reads them from the data files compiled
    /// in, on first call.
    pub fn entries(&self) -> &[Entry] {
        self.entries.get_or_init(|| {
            let data = crate::DATA_FILES
                .iter()
                .map(|(_, text)| toml::from_str::<DataFile>(text).unwrap_or_default());
            data.flat_map(|d| d.entry).collect()
        })
    }

    /// Every provider, in data-file order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// Classifies one piece of evidence into a finding.
    pub fn classify(&self, ev: &Evidence) -> Finding {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.classify_with(ev, &mut scratch),
            // Only a re-entrant call could find the buffers taken; it gets buffers of its own.
            Err(_) => self.classify_with(ev, &mut Scratch::default()),
        })
    }

    fn classify_with(&self, ev: &Evidence, sc: &mut Scratch) -> Finding {
        normalise_into(cut(&ev.text, MAX_TEXT), &mut sc.norm);
        self.scan(&sc.norm, &mut sc.hits);
        sc.find_phrases(self);
        sc.providers.clear();
        sc.providers.extend(
            sc.hits
                .iter()
                .flat_map(|h| self.part_providers.get(h.0).iter().copied()),
        );
        sc.providers.sort_unstable();
        sc.providers.dedup();

        sc.seen.resize(self.compiled.len().div_ceil(64), 0);
        let (candidates, seen) = (&mut sc.candidates, &mut sc.seen);
        candidates.clear();
        // Each entry once: a bit set makes sorting the list to drop repeats unnecessary.
        let mut add = |list: &[usize]| {
            for &i in list {
                let (word, bit) = (i / 64, 1u64 << (i % 64));
                if seen[word] & bit == 0 {
                    seen[word] |= bit;
                    candidates.push(i);
                }
            }
        };
        for &ph in &sc.found {
            add(self.phrase_entries.get(ph));
        }
        if let Some(r) = ev.reply_code {
            let slot = usize::from(r.get()).checked_sub(100);
            if let Some(i) = slot.filter(|&i| i < self.by_reply.len()) {
                add(self.by_reply.get(i));
            }
        }
        if let Some(e) = ev.enhanced_code {
            let parts = [u16::from(e.class), e.subject, e.detail];
            for &mask in &self.enhanced_masks {
                let mut key = [None; 3];
                for (k, (slot, v)) in key.iter_mut().zip(parts).enumerate() {
                    if mask & (1 << k) == 0 {
                        *slot = Some(v);
                    }
                }
                let key = CodePattern(key).key();
                if let Ok(at) = self.by_enhanced_keys.binary_search(&key) {
                    add(self.by_enhanced.get(at));
                }
            }
        }
        for &i in candidates.iter() {
            seen[i / 64] = 0;
        }
        let (providers, present) = (&sc.providers, Present(&sc.present));
        candidates.retain(|&i| self.holds(i, ev, &present, providers));

        let positive = ev.reply_code.is_some_and(ReplyCode::is_positive)
            || (ev.reply_code.is_none() && ev.enhanced_code.is_some_and(|e| e.class == 2));
        if positive {
            candidates.retain(|&i| {
                let e = &self.compiled[i].meta;
                e.category == Category::Delivered || e.on_success
            });
        } else {
            candidates.retain(|&i| self.compiled[i].meta.category != Category::Delivered);
        }
        candidates.sort_unstable_by_key(|&i| self.rank_pos[i]);

        let stage = ev.stage.or_else(|| self.stage_in(&sc.hits));
        match candidates.first() {
            Some(&win) => self.finding(ev, win, candidates, stage),
            None => unexplained(ev, stage, positive),
        }
    }

    fn scan(&self, b: &[u8], hits: &mut Vec<(usize, usize, usize)>) {
        hits.clear();
        hits.extend(
            self.parts
                .find_overlapping_iter(b)
                .filter(|m| {
                    let starts_word = b[m.start()].is_ascii_alphanumeric();
                    !(starts_word && m.start() > 0 && b[m.start() - 1].is_ascii_alphanumeric())
                })
                .map(|m| (m.value() as usize, m.start(), m.end())),
        );
    }

    /// True when candidate `i` holds for this text: the tests of its [`Compiled::checks`] pass.
    fn holds(&self, i: usize, ev: &Evidence, present: &Present, providers: &[usize]) -> bool {
        let c = &self.compiled[i];
        let checks = c.checks;
        if checks == 0 {
            return true;
        }
        let needs = |bit: u8| checks & bit != 0;
        let has = |p: &usize| present.has(*p);
        (!needs(Checks::ANY) || c.any.iter().any(has))
            && (!needs(Checks::ALL) || c.all.iter().all(has))
            && (!needs(Checks::NONE) || !c.none.iter().any(has))
            && (!needs(Checks::CODES)
                || ev
                    .reply_code
                    .is_some_and(|r| c.codes.iter().any(|p| p.matches_reply(r))))
            && (!needs(Checks::ENHANCED_CODES)
                || ev
                    .enhanced_code
                    .is_some_and(|e| c.enhanced_codes.iter().any(|p| p.matches_enhanced(e))))
            && (!needs(Checks::PROVIDER) || c.provider.is_some_and(|p| providers.contains(&p)))
    }

    /// The stage the text names: the stage phrase that starts first (the earlier phrase of
    /// [`STAGE_PHRASES`] when two start at the same place).
    fn stage_in(&self, hits: &[(usize, usize, usize)]) -> Option<Stage> {
        hits.iter()
            .filter_map(|&(part, start, _)| self.part_stage[part].map(|order| (start, order)))
            .min()
            .map(|(_, order)| STAGE_PHRASES[order].1)
    }

    fn finding(
        &self,
        ev: &Evidence,
        win: usize,
        matched: &[usize],
        stage: Option<Stage>,
    ) -> Finding {
        let e = &self.compiled[win].meta;
        let agree = matched[1..].iter().any(|&i| {
            let other = &self.compiled[i].meta;
            other.category == e.category && other.strength != e.strength
        });
        let mut confidence = e.confidence + if agree { 0.05 } else { 0.0 };
        if ev.bare_code {
            confidence = confidence.min(0.5);
        }
        let c = &self.compiled[win];
        let texts = c.texts();
        let mut references = Vec::with_capacity(texts.references.len() + 4);
        references.extend_from_slice(&texts.references);
        for &i in &matched[1..] {
            let other = &self.compiled[i].meta;
            if other.strength <= Strength::Medium && other.is_code {
                for r in &self.compiled[i].texts().references {
                    if !references.contains(r) {
                        references.push(r.clone());
                    }
                }
            }
        }
        let explanation = if ev.bare_code {
            let bare = || {
                Text::from(format!(
                    "{} This is the code's generic meaning: the text the server sent with it usually names the precise cause, so paste the whole reply for a sharper diagnosis.",
                    texts.explanation
                ))
            };
            c.bare_explanation.get_or_init(bare).clone()
        } else {
            texts.explanation.clone()
        };
        Finding {
            category: e.category,
            class: class_of(ev, e),
            party: e.party,
            confidence: confidence.clamp(0.0, 0.99),
            stage: stage
                .or(e.stage)
                .or_else(|| matched.iter().find_map(|&i| self.compiled[i].meta.stage)),
            reply_code: ev.reply_code,
            enhanced_code: ev.enhanced_code,
            summary: texts.summary.clone(),
            explanation,
            fix: texts.fix.clone(),
            references,
            matched: matched
                .iter()
                .map(|&i| self.compiled[i].id.clone())
                .collect(),
            evidence: ev.span,
        }
    }
}

/// The class of a finding: the server's codes decide, then the entry, then the category.
fn class_of(ev: &Evidence, e: &Meta) -> Class {
    if let Some(c) = e.force_class {
        return c;
    }
    let digits = [
        ev.reply_code.map(ReplyCode::class_digit),
        ev.enhanced_code.map(|c| c.class),
    ];
    if digits.contains(&Some(5)) {
        Class::Permanent
    } else if digits.contains(&Some(4)) {
        Class::Transient
    } else if digits.iter().flatten().any(|d| matches!(d, 2 | 3)) {
        Class::Unknown
    } else {
        e.class.unwrap_or_else(|| e.category.default_class())
    }
}

/// The finding when no entry matched at all.
fn unexplained(ev: &Evidence, stage: Option<Stage>, positive: bool) -> Finding {
    let class = match ev
        .reply_code
        .map(ReplyCode::class_digit)
        .or(ev.enhanced_code.map(|e| e.class))
    {
        Some(5) => Class::Permanent,
        Some(4) => Class::Transient,
        _ => Class::Unknown,
    };
    /// The texts of the two findings no entry makes, made once so that findings share them.
    struct Unexplained {
        category: Category,
        party: Party,
        summary: Text,
        explanation: Text,
        fix: Arc<[Text]>,
    }
    static TEXTS: std::sync::OnceLock<[Unexplained; 2]> = std::sync::OnceLock::new();
    let [delivered, undefined] = TEXTS.get_or_init(|| {
        [
            Unexplained {
                category: Category::Delivered,
                party: Party::None,
                summary: "The server reported success.".into(),
                explanation: "The reply code is a 2xx or 3xx: the command was accepted.".into(),
                fix: Arc::from([]),
            },
            Unexplained {
                category: Category::Undefined,
                party: Party::SenderConfig,
                summary: "No known SMTP problem was recognised in this text.".into(),
                explanation: "Nothing in the knowledge base matches this text. Look for the server's own reply (a three-digit code and its text) in the full error or log and explain that.".into(),
                fix: Arc::from([Text::from("Find the full server reply or the client's complete error message and run explain on it.")]),
            },
        ]
    });
    let u = if positive { delivered } else { undefined };
    Finding {
        category: u.category,
        class,
        party: u.party,
        confidence: 0.1,
        stage,
        reply_code: ev.reply_code,
        enhanced_code: ev.enhanced_code,
        summary: u.summary.clone(),
        explanation: u.explanation.clone(),
        fix: u.fix.clone(),
        references: Vec::new(),
        matched: Vec::new(),
        evidence: ev.span,
    }
}

/// Writes into `out` (cleared first) the text with ASCII letters lower-cased, the reply-code
/// prefixes of continuation lines removed and white space folded, with one space before and
/// after. Works on bytes: only ASCII bytes change, so UTF-8 text stays UTF-8.
fn normalise_into(text: &str, out: &mut Vec<u8>) {
    out.clear();
    out.reserve(text.len() + 2);
    out.push(b' ');
    let bytes = text.as_bytes();
    let mut from = 0;
    while from <= bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |p| from + p);
        let mut line = bytes[from..end].trim_ascii();
        from = end + 1;
        if line.len() >= 4
            && line[..3].iter().all(u8::is_ascii_digit)
            && matches!(line[3], b'-' | b' ')
        {
            line = line[4..].trim_ascii_start();
            if let Some(rest) = strip_enhanced(line) {
                line = rest;
            }
        }
        // Most lines have single spaces only: copy and lower-case them in bulk, and fold white
        // space byte by byte only where a line has a run of it or a tab, CR or form feed.
        let start = out.len();
        out.extend_from_slice(line);
        out[start..].make_ascii_lowercase();
        let pairs = line.len().saturating_sub(1);
        let odd = |acc: u8, (&a, &b): (&u8, &u8)| {
            acc | u8::from(a == b' ' && b == b' ') | u8::from(matches!(b, b'\t' | b'\r' | 0x0c))
        };
        let next = line.get(1..).unwrap_or_default();
        if line[..pairs].iter().zip(next).fold(0, odd) != 0 {
            let mut n = start;
            for i in start..out.len() {
                let c = out[i];
                if !c.is_ascii_whitespace() {
                    out[n] = c;
                    n += 1;
                } else if n > 0 && out[n - 1] != b' ' {
                    out[n] = b' ';
                    n += 1;
                }
            }
            out.truncate(n);
        }
        if out.last() != Some(&b' ') {
            out.push(b' ');
        }
    }
}

/// The rest of `line` after the enhanced status code it starts with, if it starts with one.
fn strip_enhanced(line: &[u8]) -> Option<&[u8]> {
    let end = memchr::memchr(b' ', line).unwrap_or(line.len());
    EnhancedCode::parse_bytes(&line[..end]).map(|_| line[end..].trim_ascii_start())
}

fn invalid(e: &Entry, problem: &str) -> KbError {
    KbError::Invalid {
        id: e.id.clone(),
        problem: problem.to_string(),
    }
}

/// Collects the phrase parts of all entries while compiling them.
#[derive(Default)]
struct Builder {
    parts: Vec<String>,
    part_ids: HashMap<String, usize>,
    phrases: Vec<Phrase>,
    phrase_ids: HashMap<String, usize>,
}

impl Builder {
    fn phrase(&mut self, text: &str) -> usize {
        let key = text.to_ascii_lowercase();
        if let Some(&id) = self.phrase_ids.get(&key) {
            return id;
        }
        let mut parts = Vec::new();
        for part in key
            .split('*')
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        {
            if part.is_empty() {
                continue;
            }
            let next = self.parts.len();
            let id = *self.part_ids.entry(part.clone()).or_insert(next);
            if id == next {
                self.parts.push(part);
            }
            parts.push(id);
        }
        let id = self.phrases.len();
        self.phrases.push(Phrase { parts });
        self.phrase_ids.insert(key, id);
        id
    }

    fn compile(&mut self, e: &Entry, providers: &[Provider]) -> Result<Compiled, KbError> {
        let mut lists = [Vec::new(), Vec::new(), Vec::new()];
        for (ids, list) in lists.iter_mut().zip([&e.any, &e.all, &e.none]) {
            for p in list {
                if p.split('*').all(|s| s.trim().is_empty()) {
                    return Err(invalid(e, "empty phrase"));
                }
                ids.push(self.phrase(p));
            }
        }
        let [any, all, none] = lists;
        let reply = e
            .reply
            .as_deref()
            .map(|r| CodePattern::reply(r).ok_or_else(|| invalid(e, "bad reply code")))
            .transpose()?;
        let enhanced = e
            .enhanced
            .as_deref()
            .map(|s| CodePattern::enhanced(s).ok_or_else(|| invalid(e, "bad enhanced code")))
            .transpose()?;
        let codes = e
            .codes
            .iter()
            .map(|s| CodePattern::reply(s).ok_or_else(|| invalid(e, "bad code pattern")))
            .collect::<Result<_, _>>()?;
        let enhanced_codes = e
            .enhanced_codes
            .iter()
            .map(|s| CodePattern::enhanced(s).ok_or_else(|| invalid(e, "bad enhanced pattern")))
            .collect::<Result<_, _>>()?;
        let provider = e
            .provider
            .as_deref()
            .map(|p| {
                providers
                    .iter()
                    .position(|x| x.id == p)
                    .ok_or_else(|| invalid(e, "unknown provider"))
            })
            .transpose()?;
        let is_code = e.reply.is_some() || e.enhanced.is_some();
        let has_text = !e.any.is_empty() || !e.all.is_empty();
        if is_code == has_text {
            return Err(invalid(
                e,
                "needs either phrases (any/all) or one code (reply/enhanced), not both",
            ));
        }
        if e.reply.is_some() && e.enhanced.is_some() {
            return Err(invalid(e, "reply and enhanced are separate entries"));
        }
        if !(0.0..=1.0).contains(&e.confidence()) {
            return Err(invalid(e, "confidence out of 0..1"));
        }
        if e.summary.trim().is_empty() || e.explanation.trim().is_empty() {
            return Err(invalid(e, "summary and explanation are required"));
        }
        if e.category != Category::Delivered && e.fix.is_empty() {
            return Err(invalid(e, "a failure entry needs at least one fix step"));
        }
        let text = |s: &String| Text::from(s.as_str());
        let texts = Texts {
            summary: text(&e.summary),
            explanation: text(&e.explanation),
            fix: e.fix.iter().map(text).collect(),
            references: e.references.iter().map(text).collect(),
        };
        let texts_encoded = postcard::to_allocvec(&texts)
            .map_err(|err| invalid(e, &format!("texts do not encode: {err}")))?;
        let mut compiled = Compiled {
            meta: Meta::of(e),
            id: text(&e.id),
            texts_encoded,
            texts: OnceLock::from(texts),
            bare_explanation: OnceLock::new(),
            any,
            all,
            none,
            reply,
            enhanced,
            codes,
            enhanced_codes,
            provider,
            checks: 0,
        };
        compiled.checks = Checks::of(&compiled);
        Ok(compiled)
    }
}

/// Sort key of an entry: strength, then the taxonomy's decision order, then confidence, then the
/// earlier entry. Greater wins.
fn rank(e: &Entry, i: usize) -> (Strength, i32, f32, std::cmp::Reverse<usize>) {
    let order = Category::ALL
        .iter()
        .position(|c| *c == e.category)
        .unwrap_or(usize::MAX);
    let order = i32::try_from(order).unwrap_or(i32::MAX);
    (e.strength(), -order, e.confidence(), std::cmp::Reverse(i))
}

/// Each entry's position in the ranking (0 wins), computed once at load.
fn rank_positions(entries: &[Entry]) -> Vec<usize> {
    let mut by_rank: Vec<usize> = (0..entries.len()).collect();
    by_rank.sort_by(|&a, &b| {
        rank(&entries[b], b)
            .partial_cmp(&rank(&entries[a], a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut pos = vec![0; entries.len()];
    for (p, &i) in by_rank.iter().enumerate() {
        pos[i] = p;
    }
    pos
}
