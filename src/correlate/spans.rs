//! The span index: every span by (trace id, span id), with what its chain of parents says.
//!
//! A database client span rarely names its agent; its ancestors do (db span → MCP server
//! tools/call span → client tools/call span → execute_tool span → invoke_agent span). Each span
//! is resolved once to the nearest ancestor-or-self naming an agent, a tool and an MCP server.
//! Cycles and absurd depths in hostile input stop the walk instead of looping.
//!
//! In: `spans` record batches. Out: [`SpanIndex`] (compact, shared read-only across threads).

use std::collections::HashMap;

use arrow_array::RecordBatch;

use crate::policy::{Policy, PrincipalKind};
use crate::table::declare::TableError;
use crate::table::read;
use crate::table::spans::{Semconv, SpanKind, SpanStatus, SpansView};

/// Deeper chains than this are cut (no real trace nests so deep; a hostile one might loop).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct Span {
    pub trace: u128,
    pub id: u64,
    pub parent: Option<u64>,
    pub trace_hex: String,
    pub id_hex: String,
    pub name: Option<String>,
    pub kind: SpanKind,
    pub status: SpanStatus,
    pub agent: Option<String>,
    pub session: Option<String>,
    pub tool: Option<String>,
    pub mcp_server: Option<String>,
    pub mcp_method: Option<String>,
    pub db_system: Option<String>,
    pub db_namespace: Option<String>,
    pub db_collection: Option<String>,
    pub server_address: Option<String>,
    pub server_port: Option<i32>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// The OS process that emitted the span (resource attribute process.pid).
    pub pid: Option<i64>,
    /// Resource attribute service.name.
    pub service: Option<String>,
    pub source_file: String,
    pub source_line: u64,
    pub source_blake3: String,
    /// Only for spans that can be an action's own evidence (client spans).
    pub row_hash: Option<String>,
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

    pub fn reference(&self) -> String {
        format!("spans:{}:{}", self.source_file, self.source_line)
    }
}

/// What a span's chain of ancestors says about who and what.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    pub agent: Option<(String, Option<String>)>,
    /// The span that named the agent.
    pub agent_span: Option<usize>,
    /// Set when the agent comes from a service the policy says is its own, not from a span's
    /// own attributes: that service's name.
    pub via_service: Option<String>,
    pub tool: Option<String>,
    pub mcp_server: Option<String>,
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

impl Chain {
    /// How the chain came to name its agent, for reasons.
    pub fn named_by(&self) -> String {
        match &self.via_service {
            Some(service) => format!(
                "its span chain's service.name {service} is, by the policy, {}'s own",
                self.agent.as_ref().map_or("?", |a| a.0.as_str())
            ),
            None => "its span chain names the agent".to_string(),
        }
    }
}

impl SpanIndex {
    pub fn build(batches: &[RecordBatch], policy: &Policy) -> Result<SpanIndex, TableError> {
        let mut spans = Vec::new();
        for batch in batches {
            read_batch(batch, &mut spans)?;
        }
        let mut by_id = HashMap::with_capacity(spans.len());
        for (i, s) in spans.iter().enumerate() {
            // The first occurrence wins: the same span exported twice is one span.
            by_id.entry((s.trace, s.id)).or_insert(i);
        }
        let mut owners: HashMap<&str, Option<String>> = HashMap::new();
        for s in &spans {
            if let Some(service) = s.service.as_deref() {
                owners.entry(service).or_insert_with(|| {
                    policy
                        .owner(PrincipalKind::Service, service)
                        .map(|o| o.agent.to_string())
                });
            }
        }
        let chains = (0..spans.len()).map(|i| resolve(&spans, &by_id, &owners, i)).collect();
        Ok(SpanIndex { spans, by_id, chains })
    }

    pub fn find(&self, trace: &str, span: &str) -> Option<usize> {
        let key = (parse_trace(trace)?, parse_span(span)?);
        self.by_id.get(&key).copied()
    }
}

fn resolve(
    spans: &[Span],
    by_id: &HashMap<(u128, u64), usize>,
    owners: &HashMap<&str, Option<String>>,
    start: usize,
) -> Chain {
    let mut chain = Chain::default();
    let mut at = Some(start);
    // The nearest span whose service is an agent's own, used when no span names an agent.
    let mut by_service: Option<(usize, String, String)> = None;
    for _ in 0..MAX_DEPTH {
        let Some(i) = at else { break };
        let s = &spans[i];
        if by_service.is_none()
            && let Some(service) = s.service.as_deref()
            && let Some(Some(agent)) = owners.get(service)
        {
            by_service = Some((i, agent.clone(), service.to_string()));
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

fn read_batch(batch: &RecordBatch, out: &mut Vec<Span>) -> Result<(), TableError> {
    let v = SpansView::of(batch)?;
    let owned = |s: Option<&str>| s.map(str::to_string);
    let semconv = |c: Semconv, i: usize| owned(v.semconv[c as usize].get(i));
    for i in 0..v.num_rows {
        let (Some(trace), Some(id)) = (v.trace_id.get(i), v.span_id.get(i)) else {
            continue;
        };
        let (Some(t), Some(sp)) = (parse_trace(trace), parse_span(id)) else {
            continue;
        };
        let mut span = Span {
            trace: t,
            id: sp,
            parent: v.parent_span_id.get(i).and_then(parse_span),
            trace_hex: trace.to_string(),
            id_hex: id.to_string(),
            name: owned(v.name.get(i)),
            kind: v.kind.get(i),
            status: v.status.get(i),
            agent: owned(v.agent.get(i)),
            session: owned(v.session.get(i)),
            tool: owned(v.tool.get(i)).or_else(|| semconv(Semconv::ToolName, i)),
            mcp_server: owned(v.server.get(i)),
            mcp_method: semconv(Semconv::McpMethod, i),
            db_system: semconv(Semconv::DbSystem, i),
            db_namespace: semconv(Semconv::DbNamespace, i),
            db_collection: semconv(Semconv::DbCollection, i),
            server_address: semconv(Semconv::ServerAddress, i),
            server_port: v.server_port.get(i),
            start: v.start_time.get(i),
            end: v.end_time.get(i),
            pid: v.process_pid.get(i),
            service: owned(v.service_name.get(i)),
            source_file: v.source.file.get(i).to_string(),
            source_line: v.source.line.get(i),
            source_blake3: v.source.blake3.get(i).to_string(),
            row_hash: None,
        };
        if span.is_db_client() || span.is_network_client() {
            span.row_hash = Some(read::row_hash(batch, i));
        }
        out.push(span);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_of_an_agents_own_names_the_agent_when_no_span_does() {
        let span = |id: u64, parent: Option<u64>, service: &str, agent: Option<&str>| Span {
            trace: 1,
            id,
            parent,
            service: Some(service.to_string()),
            agent: agent.map(str::to_string),
            ..Span::default()
        };
        let spans = vec![
            span(1, None, "release-worker", None),
            span(2, Some(1), "pg-client", None),
        ];
        let by_id: HashMap<(u128, u64), usize> = spans.iter().enumerate().map(|(i, s)| ((s.trace, s.id), i)).collect();
        let mut owners: HashMap<&str, Option<String>> = HashMap::new();
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
