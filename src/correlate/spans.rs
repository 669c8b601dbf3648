//! The span index: every span by (trace id, span id), with what its chain of parents says.
//!
//! A database client span rarely names its agent; its ancestors do (db span → MCP server
//! tools/call span → client tools/call span → execute_tool span → invoke_agent span). Each span
//! is resolved once to the nearest ancestor-or-self naming an agent, a tool and an MCP server.
//! Cycles and absurd depths in hostile input stop the walk instead of looping.
//!
//! A case holds millions of spans whose text repeats (the source file and its blake3, agent,
//! session, tool, server and database names): each batch's distinct values are kept once, as
//! shared [`Text`], and the hex ids are derived from the parsed ids instead of kept beside them.
//!
//! In: `spans` record batches. Out: [`SpanIndex`] (compact, shared read-only across threads).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::policy::{Policy, PrincipalKind};
use crate::table::actions::EvidenceTable;
use crate::table::declare::TableError;
use crate::table::read;
use crate::table::schema::{ResolvedSpanRow, ResolvedSpansView};
use crate::table::spans::{Semconv, SpanKind, SpanStatus, SpansView};

/// Deeper chains than this are cut (no real trace nests so deep; a hostile one might loop).
const MAX_DEPTH: usize = 64;

/// Text a span shares with others (one allocation per distinct value of a batch).
pub type Text = Arc<str>;

/// A row of evidence that corroborates an action: `TABLE:FILE:LINE` when written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub table: EvidenceTable,
    pub file: Text,
    pub line: u64,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.table.name(), self.file, self.line)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Span {
    pub trace: u128,
    pub id: u64,
    pub parent: Option<u64>,
    /// The ids as stored, when they are not the lower-case hex of `trace` and `id` (the usual
    /// case, so nothing is kept).
    pub stored_hex: StoredHex,
    pub name: Option<Text>,
    pub kind: SpanKind,
    pub status: SpanStatus,
    pub agent: Option<Text>,
    pub session: Option<Text>,
    pub tool: Option<Text>,
    pub mcp_server: Option<Text>,
    pub mcp_method: Option<Text>,
    pub db_system: Option<Text>,
    pub db_namespace: Option<Text>,
    pub db_collection: Option<Text>,
    pub server_address: Option<Text>,
    pub server_port: Option<i32>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// The OS process that emitted the span (resource attribute process.pid).
    pub pid: Option<i64>,
    /// Resource attribute service.name.
    pub service: Option<Text>,
    pub source_file: Text,
    pub source_line: u64,
    pub source_blake3: Text,
    /// Only for spans that can be an action's own evidence (client spans).
    pub row_hash: Option<blake3::Hash>,
}

impl Span {
    pub fn is_db_client(&self) -> bool {
        self.db_system.is_some()
    }

    /// An outgoing network call (HTTP and the like), not a database or MCP protocol span.
    pub fn is_network_client(&self) -> bool {
        self.kind == SpanKind::Client
            && self.db_system.is_none()
            && self.mcp_method.is_none()
            && self.server_address.is_some()
            && self.server_port.is_some()
    }

    /// The server side of an MCP tool call: the span whose process ran the tool.
    pub fn is_tool_call_server(&self) -> bool {
        self.kind == SpanKind::Server && self.mcp_method.as_deref() == Some("tools/call")
    }

    pub fn reference(&self) -> Reference {
        Reference {
            table: EvidenceTable::Spans,
            file: self.source_file.clone(),
            line: self.source_line,
        }
    }

    /// The trace id as stored.
    pub fn trace_hex(&self) -> String {
        trace_hex(self.trace, &self.stored_hex)
    }

    /// The span id as stored.
    pub fn id_hex(&self) -> String {
        id_hex(self.id, &self.stored_hex)
    }
}

/// Trace and span ids as stored, when they are not the lower-case hex of their values.
type StoredHex = Option<Box<(String, String)>>;

fn trace_hex(trace: u128, stored: &StoredHex) -> String {
    match stored {
        Some(ids) => ids.0.clone(),
        None => format!("{trace:032x}"),
    }
}

fn id_hex(id: u64, stored: &StoredHex) -> String {
    match stored {
        Some(ids) => ids.1.clone(),
        None => format!("{id:016x}"),
    }
}

/// Whether ids as stored are what [`trace_hex`] and [`id_hex`] derive (nothing need be kept).
fn stored_hex(trace: &str, id: &str) -> StoredHex {
    let lower_hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (!(lower_hex(trace) && lower_hex(id))).then(|| Box::new((trace.to_string(), id.to_string())))
}

/// What a span's chain of ancestors says about who and what.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    pub agent: Option<(Text, Option<Text>)>,
    /// The span that named the agent.
    pub agent_span: Option<usize>,
    /// Set when the agent comes from a service the policy says is its own, not from a span's
    /// own attributes: that service's name.
    pub via_service: Option<Text>,
    pub tool: Option<Text>,
    pub mcp_server: Option<Text>,
}

pub struct SpanIndex {
    pub spans: Vec<Span>,
    by_id: HashMap<(u128, u64), usize>,
    pub chains: Vec<Chain>,
}

pub fn parse_trace(hex: &str) -> Option<u128> {
    (hex.len() == 32).then(|| u128::from_str_radix(hex, 16).ok()).flatten()
}

pub fn parse_span(hex: &str) -> Option<u64> {
    (hex.len() == 16).then(|| u64::from_str_radix(hex, 16).ok()).flatten()
}

/// Owned copies of a chain's text, for an access (which outlives the index).
fn owned(t: &Option<Text>) -> Option<String> {
    t.as_deref().map(str::to_string)
}

impl Chain {
    /// The agent and session the chain names.
    pub fn owned_agent(&self) -> Option<(String, Option<String>)> {
        self.agent.as_ref().map(|(a, s)| (a.to_string(), owned(s)))
    }

    pub fn owned_tool(&self) -> Option<String> {
        owned(&self.tool)
    }

    pub fn owned_server(&self) -> Option<String> {
        owned(&self.mcp_server)
    }

    /// How the chain came to name its agent, for reasons.
    pub fn named_by(&self) -> String {
        match &self.via_service {
            Some(service) => format!(
                "its span chain's service.name {service} is, by the policy, {}'s own",
                self.agent.as_ref().map_or("?", |a| &*a.0)
            ),
            None => "its span chain names the agent".to_string(),
        }
    }
}

impl SpanIndex {
    /// The index over the spans of every batch ([`read_batch`] of each, in evidence order).
    pub fn build(batches: Vec<Vec<Span>>, policy: &Policy) -> SpanIndex {
        // Moved batch by batch into room reserved once: a batch is freed as soon as it is moved,
        // so the spans never exist twice.
        let mut spans = Vec::with_capacity(batches.iter().map(Vec::len).sum());
        for batch in batches {
            spans.extend(batch);
        }
        let mut by_id = HashMap::with_capacity(spans.len());
        for (i, s) in spans.iter().enumerate() {
            // The first occurrence wins: the same span exported twice is one span.
            by_id.entry((s.trace, s.id)).or_insert(i);
        }
        let mut owners: HashMap<&str, Option<Text>> = HashMap::new();
        for s in &spans {
            if let Some(service) = s.service.as_deref() {
                owners.entry(service).or_insert_with(|| {
                    policy
                        .owner(PrincipalKind::Service, service)
                        .map(|o| Text::from(o.agent))
                });
            }
        }
        let chains = (0..spans.len()).map(|i| resolve(&spans, &by_id, &owners, i)).collect();
        drop(owners);
        SpanIndex { spans, by_id, chains }
    }

    pub fn find(&self, trace: &str, span: &str) -> Option<usize> {
        let key = (parse_trace(trace)?, parse_span(span)?);
        self.by_id.get(&key).copied()
    }
}

fn resolve(
    spans: &[Span],
    by_id: &HashMap<(u128, u64), usize>,
    owners: &HashMap<&str, Option<Text>>,
    start: usize,
) -> Chain {
    let mut chain = Chain::default();
    let mut at = Some(start);
    // The nearest span whose service is an agent's own, used when no span names an agent.
    let mut by_service: Option<(usize, Text, Text)> = None;
    for _ in 0..MAX_DEPTH {
        let Some(i) = at else { break };
        let s = &spans[i];
        if by_service.is_none()
            && let Some(service) = &s.service
            && let Some(Some(agent)) = owners.get(service.as_ref())
        {
            by_service = Some((i, agent.clone(), service.clone()));
        }
        if chain.agent.is_none()
            && let Some(agent) = &s.agent
        {
            chain.agent = Some((agent.clone(), s.session.clone()));
            chain.agent_span = Some(i);
        }
        if chain.tool.is_none() {
            chain.tool.clone_from(&s.tool);
        }
        if chain.mcp_server.is_none() {
            chain.mcp_server.clone_from(&s.mcp_server);
        }
        if chain.agent.is_some() && chain.tool.is_some() && chain.mcp_server.is_some() {
            break;
        }
        at = s.parent.and_then(|p| by_id.get(&(s.trace, p)).copied());
    }
    if chain.agent.is_none()
        && let Some((i, agent, service)) = by_service
    {
        chain.agent = Some((agent, None));
        chain.agent_span = Some(i);
        chain.via_service = Some(service);
    }
    chain
}

/// A span as the rules outside its trace need it, with what its chain says: a database client
/// span (the time-overlap rule for statements with no trace context) or an MCP tools/call server
/// span (kernel events placed in a tool call). It holds no position in an index, so it can leave
/// its trace's partition (the `resolved_spans` work table).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub trace: u128,
    pub id: u64,
    stored_hex: StoredHex,
    pub reference: Reference,
    pub start: i64,
    /// The span's end, or its start when it has none.
    pub end: i64,
    pub db_client: bool,
    pub db_namespace: Option<Text>,
    pub tool_call_pid: Option<i64>,
    /// Agent, tool and MCP server of the chain (its `agent_span` is not kept).
    pub chain: Chain,
}

impl SpanIndex {
    /// The database client spans and tool-call server spans that have a start, resolved.
    pub fn resolved(&self) -> impl Iterator<Item = Resolved> + '_ {
        self.spans.iter().zip(&self.chains).filter_map(|(s, chain)| {
            let tool_call_pid = s.pid.filter(|_| s.is_tool_call_server());
            let (Some(start), true) = (s.start, s.is_db_client() || tool_call_pid.is_some()) else {
                return None;
            };
            Some(Resolved {
                trace: s.trace,
                id: s.id,
                stored_hex: s.stored_hex.clone(),
                reference: s.reference(),
                start,
                end: s.end.unwrap_or(start),
                db_client: s.is_db_client(),
                db_namespace: s.db_namespace.clone(),
                tool_call_pid,
                chain: Chain {
                    agent_span: None,
                    ..chain.clone()
                },
            })
        })
    }
}

impl Resolved {
    /// The trace id as stored.
    pub fn trace_hex(&self) -> String {
        trace_hex(self.trace, &self.stored_hex)
    }

    /// The span id as stored.
    pub fn id_hex(&self) -> String {
        id_hex(self.id, &self.stored_hex)
    }

    /// `resolved` as the database client spans and the tool-call server spans (a span that is
    /// both, which only hostile input makes, is in both).
    pub fn split(resolved: impl IntoIterator<Item = Resolved>) -> (Vec<Resolved>, Vec<Resolved>) {
        let (mut db, mut calls) = (Vec::new(), Vec::new());
        for r in resolved {
            match (r.db_client, r.tool_call_pid.is_some()) {
                (true, true) => {
                    calls.push(r.clone());
                    db.push(r);
                }
                (true, false) => db.push(r),
                _ => calls.push(r),
            }
        }
        (db, calls)
    }

    pub fn row(&self) -> ResolvedSpanRow {
        let text = |t: &Option<Text>| t.as_deref().map(str::to_string);
        let agent = self.chain.agent.as_ref();
        ResolvedSpanRow {
            trace_id: self.trace_hex(),
            span_id: self.id_hex(),
            start: Some(self.start),
            end: Some(self.end),
            db_client: self.db_client,
            db_namespace: text(&self.db_namespace),
            tool_call_pid: self.tool_call_pid,
            agent: agent.map(|a| a.0.to_string()),
            session: agent.and_then(|a| text(&a.1)),
            tool: text(&self.chain.tool),
            mcp_server: text(&self.chain.mcp_server),
            source_file: self.reference.file.to_string(),
            source_line: self.reference.line,
        }
    }

    /// The resolved spans of a `resolved_spans` batch, each distinct text allocated once.
    pub fn read_batch<'b>(batch: &'b RecordBatch) -> Result<Vec<Resolved>, TableError> {
        let v = ResolvedSpansView::of(batch)?;
        let mut texts = Texts::default();
        let mut out = Vec::with_capacity(v.num_rows);
        for i in 0..v.num_rows {
            let (trace_hex, id_hex) = (v.trace_id.get(i), v.span_id.get(i));
            let (Some(trace), Some(id), Some(start)) = (parse_trace(trace_hex), parse_span(id_hex), v.start.get(i))
            else {
                continue;
            };
            let file = texts.intern(v.source_file.get(i));
            let mut intern = |t: Option<&'b str>| t.map(|t| texts.intern(t));
            let agent = intern(v.agent.get(i));
            let session = intern(v.session.get(i));
            out.push(Resolved {
                trace,
                id,
                stored_hex: stored_hex(trace_hex, id_hex),
                reference: Reference {
                    table: EvidenceTable::Spans,
                    file,
                    line: v.source_line.get(i),
                },
                start,
                end: v.end.get(i).unwrap_or(start),
                db_client: v.db_client.get(i),
                db_namespace: intern(v.db_namespace.get(i)),
                tool_call_pid: v.tool_call_pid.get(i),
                chain: Chain {
                    agent: agent.map(|a| (a, session)),
                    tool: intern(v.tool.get(i)),
                    mcp_server: intern(v.mcp_server.get(i)),
                    ..Chain::default()
                },
            });
        }
        Ok(out)
    }
}

/// The distinct text values of one batch, each allocated once.
#[derive(Default)]
pub struct Texts<'a>(HashMap<&'a str, Text>);

impl<'a> Texts<'a> {
    pub fn intern(&mut self, s: &'a str) -> Text {
        self.0.entry(s).or_insert_with(|| Text::from(s)).clone()
    }
}

/// The spans of one batch, each distinct text value allocated once.
pub fn read_batch(batch: &RecordBatch) -> Result<Vec<Span>, TableError> {
    let v = SpansView::of(batch)?;
    let mut texts = Texts::default();
    let mut out = Vec::with_capacity(v.num_rows);
    for i in 0..v.num_rows {
        let (Some(trace), Some(id)) = (v.trace_id.get(i), v.span_id.get(i)) else {
            continue;
        };
        let (Some(t), Some(sp)) = (parse_trace(trace), parse_span(id)) else {
            continue;
        };
        let semconv = |c: Semconv| v.semconv[c as usize].get(i);
        let mut span = Span {
            trace: t,
            id: sp,
            parent: v.parent_span_id.get(i).and_then(parse_span),
            stored_hex: stored_hex(trace, id),
            name: v.name.get(i).map(|x| texts.intern(x)),
            kind: v.kind.get(i),
            status: v.status.get(i),
            agent: v.agent.get(i).map(|x| texts.intern(x)),
            session: v.session.get(i).map(|x| texts.intern(x)),
            tool: v
                .tool
                .get(i)
                .or_else(|| semconv(Semconv::ToolName))
                .map(|x| texts.intern(x)),
            mcp_server: v.server.get(i).map(|x| texts.intern(x)),
            mcp_method: semconv(Semconv::McpMethod).map(|x| texts.intern(x)),
            db_system: semconv(Semconv::DbSystem).map(|x| texts.intern(x)),
            db_namespace: semconv(Semconv::DbNamespace).map(|x| texts.intern(x)),
            db_collection: semconv(Semconv::DbCollection).map(|x| texts.intern(x)),
            server_address: semconv(Semconv::ServerAddress).map(|x| texts.intern(x)),
            server_port: v.server_port.get(i),
            start: v.start_time.get(i),
            end: v.end_time.get(i),
            pid: v.process_pid.get(i),
            service: v.service_name.get(i).map(|x| texts.intern(x)),
            source_file: texts.intern(v.source.file.get(i)),
            source_line: v.source.line.get(i),
            source_blake3: texts.intern(v.source.blake3.get(i)),
            row_hash: None,
        };
        if span.is_db_client() || span.is_network_client() {
            span.row_hash = Some(read::row_digest(batch, i));
        }
        out.push(span);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_each_text_once_and_ids_as_stored() {
        use crate::table::declare::SourceFile;
        use crate::table::spans::{SpanRow, SpansBuilder};
        let file = SourceFile {
            file: "traces.jsonl".into(),
            blake3: "ab".repeat(32),
            ..SourceFile::default()
        };
        let trace = "0af7651916cd43dd8448eb211c80319c";
        let mut b = SpansBuilder::new();
        for (line, span) in [(1, "b7ad6b7169203331"), (2, "00F067AA0BA902B7")] {
            b.append(&SpanRow {
                trace_id: Some(trace.into()),
                span_id: Some(span.into()),
                agent: Some("release-bot".into()),
                source: file.at(line),
                ..Default::default()
            });
        }
        let spans = read_batch(&b.finish().unwrap()).unwrap();
        assert_eq!(spans.len(), 2);
        assert!(Arc::ptr_eq(&spans[0].source_file, &spans[1].source_file));
        assert!(Arc::ptr_eq(
            spans[0].agent.as_ref().unwrap(),
            spans[1].agent.as_ref().unwrap()
        ));
        assert_eq!(
            (spans[0].trace_hex(), spans[0].id_hex()),
            (trace.into(), "b7ad6b7169203331".into())
        );
        assert!(spans[0].stored_hex.is_none(), "lower-case ids are derived, not kept");
        assert_eq!(spans[1].id_hex(), "00F067AA0BA902B7", "other ids are kept as stored");
        assert_eq!(spans[1].reference().to_string(), "spans:traces.jsonl:2");
    }

    #[test]
    fn a_service_of_an_agents_own_names_the_agent_when_no_span_does() {
        let span = |id: u64, parent: Option<u64>, service: &str, agent: Option<&str>| Span {
            trace: 1,
            id,
            parent,
            service: Some(service.into()),
            agent: agent.map(Text::from),
            ..Span::default()
        };
        let spans = vec![
            span(1, None, "release-worker", None),
            span(2, Some(1), "pg-client", None),
        ];
        let by_id: HashMap<(u128, u64), usize> = spans.iter().enumerate().map(|(i, s)| ((s.trace, s.id), i)).collect();
        let mut owners: HashMap<&str, Option<Text>> = HashMap::new();
        owners.insert("release-worker", Some("release-bot".into()));
        owners.insert("pg-client", None);
        let chain = resolve(&spans, &by_id, &owners, 1);
        assert_eq!(chain.agent, Some(("release-bot".into(), None)));
        assert_eq!(
            (chain.agent_span, chain.via_service.as_deref()),
            (Some(0), Some("release-worker"))
        );
        assert!(chain.named_by().contains("release-worker"));
        // A span that names its agent wins over a service.
        let named = vec![
            span(1, None, "release-worker", Some("code-helper")),
            span(2, Some(1), "pg-client", None),
        ];
        let chain = resolve(&named, &by_id, &owners, 1);
        assert_eq!(
            (chain.agent.map(|a| a.0), chain.via_service),
            (Some("code-helper".into()), None)
        );
    }
}
