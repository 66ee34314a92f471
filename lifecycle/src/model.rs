//! The policy document model: YAML text → a tree of [`Node`]s with spans → a [`Value`].
//!
//! CAVRA loads packs with PyYAML's `yaml.safe_load` (YAML 1.1). We parse with `saphyr-parser`
//! (an event parser that reports positions) and apply PyYAML's scalar typing and mapping rules
//! ourselves ([`resolve`]), so `to_value()` of a parsed pack equals what Python loads: `yes` is a
//! boolean, `010` is 8, `1e16` is a string, a repeated key keeps its first position and its last
//! value, `<<` merges mappings.
//!
//! INVARIANT: parsing never fails as a whole and never panics. Problems become positioned
//! [`Diagnostic`]s; hostile input is bounded by [`ParseLimits`] (size, nesting, node count
//! including alias expansion) and the tree is built without recursion.

pub mod resolve;
pub mod rules;

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};

use crate::diagnostic::Diagnostic;
use crate::value::{Span, Value};
use resolve::{resolve_plain, resolve_tagged, Resolved};
use rules::{
    alias_limit, duplicate_key, input_too_large, invalid_character, nesting_too_deep,
    timestamp_value, unsupported_yaml, yaml_syntax,
};

/// Bounds on what the parser accepts, so hostile text cannot exhaust memory, time or stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest accepted source, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes the loaded tree may hold, counting every copy an alias expands to.
    pub max_nodes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_bytes: 1024 * 1024,
            max_depth: 64,
            max_nodes: 100_000,
        }
    }
}

/// A parsed YAML node with its position in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds, typed as PyYAML types it.
    pub value: NodeValue,
    /// Where it is. Scalars span their text (with quotes and tag); collections span from their
    /// first to their last character.
    pub span: Span,
}

/// A node's content; mirrors [`Value`] with positioned children.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping after PyYAML's rules: merge keys applied, each key once (first position, last
    /// value).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The Python value this node loads as.
    pub fn to_value(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Int(*i),
            NodeValue::Float(f) => Value::Float(*f),
            NodeValue::Str(s) => Value::Str(s.clone()),
            NodeValue::Seq(items) => Value::List(items.iter().map(Node::to_value).collect()),
            NodeValue::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(key, value)| (key.to_value(), value.to_value()))
                    .collect(),
            ),
        }
    }

    /// The entry of a mapping whose key is the string `key`: `(key node, value node)`.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, NodeValue::Str(s) if s == key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value under the string key `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, value)| value)
    }

    /// The string inside a `Str` node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a sequence node.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a mapping node.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// How many nodes this subtree holds (itself included).
    pub fn count(&self) -> usize {
        let mut total = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            total += 1;
            match &node.value {
                NodeValue::Seq(items) => stack.extend(items.iter()),
                NodeValue::Map(entries) => {
                    for (key, value) in entries {
                        stack.push(key);
                        stack.push(value);
                    }
                }
                _ => {}
            }
        }
        total
    }
}

/// The result of parsing a pack: the tree (absent when the text is not loadable YAML) and
/// everything worth reporting about the text itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPolicy {
    /// The document's root node; `None` after a syntax error or an exceeded limit.
    pub root: Option<Node>,
    /// Syntax errors, exceeded limits, and YAML constructs CAVRA mishandles.
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedPolicy {
    /// Whether any diagnostic is a blocker (the text does not load the way CAVRA would load it).
    pub fn has_blockers(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_blocker)
    }
}

/// Why [`parse_value`] could not produce the value Python would load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", describe(.diagnostics))]
#[non_exhaustive]
pub struct ParseError {
    /// The blocking diagnostics (at least one).
    pub diagnostics: Vec<Diagnostic>,
}

fn describe(diagnostics: &[Diagnostic]) -> String {
    match diagnostics.first() {
        Some(first) => match first.span {
            Some(span) => format!(
                "{} at line {} column {}",
                first.message, span.line, span.col
            ),
            None => first.message.clone(),
        },
        None => "invalid policy text".to_owned(),
    }
}

/// Parses a pack with the default [`ParseLimits`].
pub fn parse_policy(src: &str) -> ParsedPolicy {
    parse_policy_with(src, &ParseLimits::default())
}

/// Parses raw bytes: invalid UTF-8 becomes a diagnostic at the first bad byte.
pub fn parse_bytes(bytes: &[u8]) -> ParsedPolicy {
    match std::str::from_utf8(bytes) {
        Ok(src) => parse_policy(src),
        Err(error) => {
            let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
            let prefix = String::from_utf8_lossy(valid);
            let offset = error.valid_up_to();
            let span = point_span(&prefix, offset.min(prefix.len()), 1);
            let span = Span {
                start: offset,
                end: offset + error.error_len().unwrap_or(1),
                ..span
            };
            ParsedPolicy {
                root: None,
                diagnostics: vec![invalid_character::RULE
                    .diagnostic(format!(
                        "the policy is not valid UTF-8 (bad byte at offset {offset})"
                    ))
                    .with_span(Some(span))
                    .with_help("save the file as UTF-8")],
            }
        }
    }
}

/// The Python value `yaml.safe_load` gives for `src`, or the blocking diagnostics when the text
/// does not load (or loads to something CAVRA cannot handle, such as a date). An empty document
/// loads as `Null`. Warnings such as duplicate keys do not fail the parse.
pub fn parse_value(src: &str) -> Result<Value, ParseError> {
    let parsed = parse_policy(src);
    let blockers: Vec<Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.is_blocker())
        .cloned()
        .collect();
    if !blockers.is_empty() {
        return Err(ParseError {
            diagnostics: blockers,
        });
    }
    Ok(parsed
        .root
        .map(|root| root.to_value())
        .unwrap_or(Value::Null))
}

/// Parses a pack under explicit limits.
pub fn parse_policy_with(src: &str, limits: &ParseLimits) -> ParsedPolicy {
    if src.len() > limits.max_bytes {
        return ParsedPolicy {
            root: None,
            diagnostics: vec![input_too_large::RULE
                .diagnostic(format!(
                    "the policy is {} bytes; the limit is {} bytes",
                    src.len(),
                    limits.max_bytes
                ))
                .with_help("split the pack or remove unused content")],
        };
    }
    if let Some(diagnostic) = check_characters(src) {
        return ParsedPolicy {
            root: None,
            diagnostics: vec![diagnostic],
        };
    }
    let mut builder = Builder::new(src, limits);
    builder.run();
    ParsedPolicy {
        root: builder.root,
        diagnostics: builder.diagnostics,
    }
}

/// PyYAML's reader rejects the whole stream when it holds a character outside
/// `[\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]` (NUL, other control
/// characters, DEL, C1 controls, U+FFFE/U+FFFF), even inside a comment.
fn check_characters(src: &str) -> Option<Diagnostic> {
    let (offset, ch) = src.char_indices().find(|&(_, ch)| {
        !matches!(ch,
            '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
    })?;
    let span = point_span(src, offset, ch.len_utf8());
    Some(
        invalid_character::RULE
            .diagnostic(format!(
                "unacceptable character #x{:04x}: special characters are not allowed",
                u32::from(ch)
            ))
            .with_span(Some(span))
            .with_help("remove the character or write it as an escape in a double-quoted string"),
    )
}

/// A span of `len` bytes at byte `offset`, with line and column computed from the text.
pub(crate) fn point_span(src: &str, offset: usize, len: usize) -> Span {
    let (line, col) = line_col(src, offset);
    let end = (offset + len).min(src.len());
    let (end_line, end_col) = line_col(src, end);
    Span {
        start: offset,
        end,
        line,
        col,
        end_line,
        end_col,
    }
}

fn line_col(src: &str, offset: usize) -> (u32, u32) {
    let head = src.get(..offset).unwrap_or(src);
    let line = head.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = head.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = head
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (to_u32(line), to_u32(col))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts the parser's character-indexed markers to byte offsets.
struct Positions {
    /// Byte offset of each character index (plus one past the end); empty for ASCII sources,
    /// where the two coincide.
    char_to_byte: Vec<usize>,
    len: usize,
}

impl Positions {
    fn new(src: &str) -> Positions {
        let char_to_byte = if src.is_ascii() {
            Vec::new()
        } else {
            src.char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(src.len()))
                .collect()
        };
        Positions {
            char_to_byte,
            len: src.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.char_to_byte.is_empty() {
            char_index.min(self.len)
        } else {
            self.char_to_byte
                .get(char_index)
                .copied()
                .unwrap_or(self.len)
        }
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        Span {
            start: self.byte(start.index()),
            end: self.byte(end.index()),
            line: to_u32(start.line()),
            col: to_u32(start.col() + 1),
            end_line: to_u32(end.line()),
            end_col: to_u32(end.col() + 1),
        }
    }
}

/// A finished node on its way into its parent; `merge` marks the YAML 1.1 merge key `<<`.
struct Item {
    node: Node,
    merge: bool,
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        anchor: usize,
        entries: Vec<(Item, Node)>,
        pending_key: Option<Item>,
    },
}

/// Hashable identity of a mapping key under Python's `==` (so `1`, `1.0` and `True` collide).
#[derive(Hash, PartialEq, Eq)]
enum KeyIdentity {
    Null,
    Number(i64),
    Float(u64),
    Unique(usize),
    Str(String),
}

/// Builds the node tree from parser events without recursion.
struct Builder<'a> {
    src: &'a str,
    limits: &'a ParseLimits,
    positions: Positions,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    node_count: usize,
    unique_keys: usize,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
}

/// Stops the build; the diagnostic explaining why has been recorded.
struct Abort;

impl<'a> Builder<'a> {
    fn new(src: &'a str, limits: &'a ParseLimits) -> Builder<'a> {
        Builder {
            src,
            limits,
            positions: Positions::new(src),
            stack: Vec::new(),
            anchors: HashMap::new(),
            node_count: 0,
            unique_keys: 0,
            root: None,
            diagnostics: Vec::new(),
        }
    }

    fn run(&mut self) {
        let mut parser = Parser::new_from_str(self.src);
        let mut documents = 0usize;
        while let Some(next) = parser.next_event() {
            let (event, span) = match next {
                Ok(pair) => pair,
                Err(error) => {
                    self.syntax_error(&error);
                    self.root = None;
                    return;
                }
            };
            let span = self.positions.span(&span.start, &span.end);
            let step = match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        self.diagnostics.push(
                            unsupported_yaml::RULE
                                .diagnostic(
                                    "expected a single document in the stream, but found another document",
                                )
                                .with_span(Some(span))
                                .with_help("a policy pack is one YAML document; remove the `---` and what follows"),
                        );
                        return;
                    }
                    Ok(())
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.scalar(&text, style, anchor, tag.as_deref(), span)
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", span);
                    self.push_frame(
                        Frame::Seq {
                            start: span,
                            anchor,
                            items: Vec::new(),
                        },
                        span,
                    )
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", span);
                    self.push_frame(
                        Frame::Map {
                            start: span,
                            anchor,
                            entries: Vec::new(),
                            pending_key: None,
                        },
                        span,
                    )
                }
                Event::SequenceEnd | Event::MappingEnd => self.end_collection(span),
                Event::Alias(id) => self.alias(id, span),
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                    Ok(())
                }
            };
            if step.is_err() {
                self.root = None;
                return;
            }
        }
    }

    fn syntax_error(&mut self, error: &ScanError) {
        let marker = error.marker();
        let start = self.positions.byte(marker.index());
        let end = self
            .src
            .get(start..)
            .and_then(|rest| rest.chars().next())
            .map(|ch| start + ch.len_utf8())
            .unwrap_or(start);
        let (end_line, end_col) = line_col(self.src, end);
        let span = Span {
            start,
            end,
            line: to_u32(marker.line()),
            col: to_u32(marker.col() + 1),
            end_line,
            end_col,
        };
        self.diagnostics.push(
            yaml_syntax::RULE
                .diagnostic(format!("invalid YAML: {}", error.info()))
                .with_span(Some(span)),
        );
    }

    fn check_collection_tag(&mut self, tag: Option<&Tag>, kind: &str, span: Span) {
        let Some(tag) = tag else { return };
        let full = format!("{}{}", tag.handle, tag.suffix);
        if full == "!" || full == format!("tag:yaml.org,2002:{kind}") {
            return;
        }
        self.diagnostics.push(
            unsupported_yaml::RULE
                .diagnostic(format!(
                    "the YAML tag `{}` is not supported in policy packs; it is ignored here",
                    tag_name(tag)
                ))
                .with_span(Some(span)),
        );
    }

    fn count_nodes(&mut self, added: usize, span: Span) -> Result<(), Abort> {
        self.node_count = self.node_count.saturating_add(added);
        if self.node_count > self.limits.max_nodes {
            self.diagnostics.push(
                alias_limit::RULE
                    .diagnostic(format!(
                        "the policy expands to more than {} nodes",
                        self.limits.max_nodes
                    ))
                    .with_span(Some(span))
                    .with_help("aliases (`*name`) copy their anchor; avoid nesting them"),
            );
            return Err(Abort);
        }
        Ok(())
    }

    fn push_frame(&mut self, frame: Frame, span: Span) -> Result<(), Abort> {
        if self.stack.len() >= self.limits.max_depth {
            self.diagnostics.push(
                nesting_too_deep::RULE
                    .diagnostic(format!(
                        "the policy nests deeper than {} levels",
                        self.limits.max_depth
                    ))
                    .with_span(Some(span)),
            );
            return Err(Abort);
        }
        self.stack.push(frame);
        Ok(())
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), Abort> {
        self.count_nodes(1, span)?;
        let resolved = match tag {
            Some(tag) => match resolve_tagged(&format!("{}{}", tag.handle, tag.suffix), text) {
                Resolved::Error(message) if message.starts_with("could not determine") => {
                    Resolved::Error(format!(
                        "could not determine a constructor for the tag `{}`",
                        tag_name(tag)
                    ))
                }
                other => other,
            },
            None if style == ScalarStyle::Plain => resolve_plain(text),
            None => Resolved::Value(NodeValue::Str(text.to_owned())),
        };
        let (value, merge) = match resolved {
            Resolved::Value(value) => (value, false),
            Resolved::Merge => (NodeValue::Str(text.to_owned()), true),
            Resolved::Timestamp => {
                self.diagnostics.push(
                    timestamp_value::RULE
                        .diagnostic(format!(
                            "`{text}` is read as a date; dates are not supported: CAVRA crashes on them"
                        ))
                        .with_span(Some(span))
                        .with_help(format!("quote it to keep it a string: \"{text}\"")),
                );
                (NodeValue::Str(text.to_owned()), false)
            }
            Resolved::Error(message) => {
                self.diagnostics.push(
                    unsupported_yaml::RULE
                        .diagnostic(message)
                        .with_span(Some(span)),
                );
                (NodeValue::Str(text.to_owned()), false)
            }
        };
        let node = Node { value, span };
        self.register_anchor(anchor, &node);
        self.finish(Item { node, merge })
    }

    fn register_anchor(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            let size = node.count();
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), Abort> {
        let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
            self.diagnostics.push(
                alias_limit::RULE
                    .diagnostic(
                        "an alias refers to the collection that contains it (a recursive structure)",
                    )
                    .with_span(Some(span)),
            );
            return Err(Abort);
        };
        // Count before copying, so an alias bomb stops before it allocates.
        self.count_nodes(size, span)?;
        let Some(mut copy) = self.anchors.get(&id).map(|(node, _)| node.clone()) else {
            return Err(Abort);
        };
        copy.span = span;
        self.finish(Item {
            node: copy,
            merge: false,
        })
    }

    fn end_collection(&mut self, end: Span) -> Result<(), Abort> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        self.count_nodes(1, end)?;
        let node = match frame {
            Frame::Seq {
                start,
                anchor,
                items,
            } => {
                let last = items.last().map(|n| n.span).unwrap_or(end);
                let node = Node {
                    value: NodeValue::Seq(items),
                    span: join(start, last, end),
                };
                self.register_anchor(anchor, &node);
                node
            }
            Frame::Map {
                start,
                anchor,
                entries,
                pending_key,
            } => {
                let last = entries
                    .last()
                    .map(|(_, value)| value.span)
                    .or(pending_key.as_ref().map(|key| key.node.span))
                    .unwrap_or(end);
                let entries = self.build_mapping(entries);
                let node = Node {
                    value: NodeValue::Map(entries),
                    span: join(start, last, end),
                };
                self.register_anchor(anchor, &node);
                node
            }
        };
        self.finish(Item { node, merge: false })
    }

    /// PyYAML's `flatten_mapping` + `construct_mapping`: merge keys contribute their entries
    /// first, then the explicit entries; a repeated key keeps its first position and takes the
    /// later value.
    fn build_mapping(&mut self, entries: Vec<(Item, Node)>) -> Vec<(Node, Node)> {
        let mut merged: Vec<(Node, Node, bool)> = Vec::new();
        let mut explicit: Vec<(Node, Node, bool)> = Vec::new();
        for (key, value) in entries {
            if !key.merge {
                explicit.push((key.node, value, true));
                continue;
            }
            let value_span = value.span;
            match value.value {
                NodeValue::Map(pairs) => {
                    merged.extend(pairs.into_iter().map(|(k, v)| (k, v, false)));
                }
                NodeValue::Seq(items) => {
                    let mut groups = Vec::new();
                    for item in items {
                        match item.value {
                            NodeValue::Map(pairs) => groups.push(pairs),
                            _ => self.diagnostics.push(
                                unsupported_yaml::RULE
                                    .diagnostic("expected a mapping for merging, but found another value")
                                    .with_span(Some(item.span)),
                            ),
                        }
                    }
                    for pairs in groups.into_iter().rev() {
                        merged.extend(pairs.into_iter().map(|(k, v)| (k, v, false)));
                    }
                }
                _ => self.diagnostics.push(
                    unsupported_yaml::RULE
                        .diagnostic(
                            "expected a mapping or list of mappings for merging, but found another value",
                        )
                        .with_span(Some(value_span)),
                ),
            }
        }
        merged.extend(explicit);

        let mut result: Vec<(Node, Node)> = Vec::new();
        let mut explicit_flags: Vec<bool> = Vec::new();
        let mut index: HashMap<KeyIdentity, usize> = HashMap::new();
        for (key, value, is_explicit) in merged {
            let Some(identity) = self.key_identity(&key) else {
                self.diagnostics.push(
                    unsupported_yaml::RULE
                        .diagnostic(
                            "found unhashable key: a list or mapping cannot be a mapping key",
                        )
                        .with_span(Some(key.span)),
                );
                continue;
            };
            match index.get(&identity) {
                Some(&position) => {
                    let was_explicit = explicit_flags.get(position).copied().unwrap_or(false);
                    if is_explicit && was_explicit {
                        let first_line = result.get(position).map(|(k, _)| k.span.line);
                        self.diagnostics.push(
                            duplicate_key::RULE
                                .diagnostic(format!(
                                    "duplicate key `{}`; CAVRA keeps the last value",
                                    display_key(&key)
                                ))
                                .with_span(Some(key.span))
                                .with_help(match first_line {
                                    Some(line) => format!(
                                        "the key first appears on line {line}; remove one of them"
                                    ),
                                    None => "remove one of them".to_owned(),
                                }),
                        );
                    }
                    if let Some(slot) = result.get_mut(position) {
                        // Python keeps the first key object (and position) and takes the new value.
                        slot.1 = value;
                    }
                    if let Some(flag) = explicit_flags.get_mut(position) {
                        *flag = *flag || is_explicit;
                    }
                }
                None => {
                    index.insert(identity, result.len());
                    result.push((key, value));
                    explicit_flags.push(is_explicit);
                }
            }
        }
        result
    }

    fn key_identity(&mut self, key: &Node) -> Option<KeyIdentity> {
        Some(match &key.value {
            NodeValue::Null => KeyIdentity::Null,
            NodeValue::Bool(b) => KeyIdentity::Number(i64::from(*b)),
            NodeValue::Int(i) => KeyIdentity::Number(*i),
            NodeValue::Float(f) => {
                if f.is_nan() {
                    self.unique_keys += 1;
                    KeyIdentity::Unique(self.unique_keys)
                } else if f.fract() == 0.0 && f.abs() < 9.0e18 {
                    #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
                    KeyIdentity::Number(*f as i64)
                } else {
                    KeyIdentity::Float(f.to_bits())
                }
            }
            NodeValue::Str(s) => KeyIdentity::Str(s.clone()),
            NodeValue::Seq(_) | NodeValue::Map(_) => return None,
        })
    }

    /// Hands a finished node to the enclosing collection (or makes it the root).
    fn finish(&mut self, item: Item) -> Result<(), Abort> {
        match self.stack.last_mut() {
            None => {
                if item.merge {
                    self.merge_as_value(item.node.span);
                }
                if self.root.is_none() {
                    self.root = Some(item.node);
                }
            }
            Some(Frame::Seq { items, .. }) => {
                if item.merge {
                    let span = item.node.span;
                    items.push(item.node);
                    self.merge_as_value(span);
                } else {
                    items.push(item.node);
                }
            }
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(item),
                Some(key) => {
                    let merge = item.merge;
                    let span = item.node.span;
                    entries.push((key, item.node));
                    if merge {
                        self.merge_as_value(span);
                    }
                }
            },
        }
        Ok(())
    }

    fn merge_as_value(&mut self, span: Span) {
        self.diagnostics.push(
            unsupported_yaml::RULE
                .diagnostic("`<<` is the YAML merge key and cannot be used as a value")
                .with_span(Some(span))
                .with_help("quote it: \"<<\""),
        );
    }
}

/// A tag as it is usually written: `!!set`, `!custom`.
fn tag_name(tag: &Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "!" | "" => format!("!{}", tag.suffix.trim_start_matches('!')),
        handle => format!("{handle}{}", tag.suffix),
    }
}

/// A span from `start` to the end of `last` (or of `end` when that is further and not empty).
fn join(start: Span, last: Span, end: Span) -> Span {
    let closing = if end.end > end.start && end.end >= last.end {
        end
    } else {
        last
    };
    Span {
        start: start.start,
        end: closing.end.max(start.start),
        line: start.line,
        col: start.col,
        end_line: closing.end_line,
        end_col: closing.end_col,
    }
}

fn display_key(key: &Node) -> String {
    match &key.value {
        NodeValue::Str(s) => s.clone(),
        _ => crate::json::python_repr(&key.to_value()),
    }
}

#[cfg(test)]
mod tests;
