//! Accesses seen only in telemetry: outgoing network calls, and database spans whose statement
//! no pgAudit row shows. No database or kernel record corroborates them, so their outcome is
//! the span's own word and they are never `attributed`.
//!
//! In: the span index of a part, the database spans its statements reached, the policy (which
//! names endpoints). Out: [`Access`]es.

use std::collections::HashSet;

use super::Access;
use super::spans::SpanIndex;
use crate::policy::{Class, Policy};
use crate::table::actions::{Conf, EvidenceTable, SourceOutcome};
use crate::table::spans::SpanStatus;

/// Accesses seen only in telemetry: outgoing network calls, and database spans whose
/// statement no pgAudit row shows. Their outcome is the span's own word: never `attributed`.
pub fn accesses(index: &SpanIndex, traced: &HashSet<(u128, u64)>, policy: &Policy) -> Vec<Access> {
    let mut out = Vec::new();
    for (i, s) in index.spans.iter().enumerate() {
        let is_db = s.is_db_client();
        // Exactly the spans whose row hash the index kept (spans::read_batch).
        let (true, Some(row_hash)) = (is_db || s.is_network_client(), s.row_hash) else {
            continue;
        };
        if is_db && traced.contains(&(s.trace, s.id)) {
            continue;
        }
        let chain = &index.chains[i];
        let address = match (&s.server_address, s.server_port) {
            (Some(h), Some(p)) => Some(format!("{h}:{p}")),
            _ => None,
        };
        let endpoint = address.as_deref().and_then(|a| policy.endpoint_for(a));
        let resource = if is_db {
            let server = endpoint
                .map(str::to_string)
                .or(address.clone())
                .unwrap_or("unknown-server".into());
            [
                Some(server.as_str()),
                s.db_namespace.as_deref(),
                s.db_collection.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/")
        } else {
            endpoint.map_or_else(
                || format!("tcp://{}", address.clone().unwrap_or_default()),
                str::to_string,
            )
        };
        let who = if chain.agent.is_some() {
            chain.named_by()
        } else {
            "no span of its trace names an agent".to_string()
        };
        let what = if is_db {
            "database span with no pgAudit row for its statement"
        } else {
            "outgoing connection reported by telemetry"
        };
        let mut corroboration = Vec::new();
        if let Some(k) = chain.agent_span {
            corroboration.push(index.spans[k].reference());
        }
        out.push(Access {
            ts: s.start,
            agent: chain.owned_agent(),
            principal: s.service.as_ref().map(|n| format!("service {n}")),
            tool: chain.owned_tool(),
            mcp_server: chain.owned_server(),
            resource,
            class: if is_db { Class::Write } else { Class::Network },
            command: if is_db {
                s.name.as_deref().map(str::to_string)
            } else {
                Some("connect".into())
            },
            source_outcome: if s.status == SpanStatus::Error {
                SourceOutcome::Error
            } else {
                SourceOutcome::Ok
            },
            conf: if chain.agent.is_some() {
                Conf::Approximate
            } else {
                Conf::Unattributed
            },
            reason: format!(
                "{what}; {who}; outcome from telemetry only (no database or kernel record corroborates it)"
            ),
            trace_id: Some(s.trace_hex()),
            span_id: Some(s.id_hex()),
            evidence_table: EvidenceTable::Spans,
            evidence_file: s.source_file.clone(),
            evidence_line: s.source_line,
            evidence_blake3: s.source_blake3.clone(),
            evidence_row_hash: row_hash.into(),
            corroboration,
            dedupe: None,
        });
    }
    out
}
