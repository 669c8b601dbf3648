//! The policy as a case keeps it: the same HCL with every comment gone and every string value
//! through the secret rules, so a case carries the policy it was judged with.
//!
//! correlate stores this form under CASE/policies/ keyed by the original file's blake3; the
//! views read it from there, so they work from any directory, on a copy of the case, and after
//! the original file was edited or removed. Comments can hold anything (a pasted token, a
//! note about a person), and values pass the same rules as every other output.
//!
//! In: policy text that parses. Out: its canonical text, which parses to the same policy except
//! where a value matched a secret rule.

use hcl_edit::expr::{Array, Expression, Object, ObjectValue};
use hcl_edit::repr::{Decorate, Decorated};
use hcl_edit::structure::{AttributeMut, Block, Body, StructureMut};
use hcl_edit::template::StringTemplate;
use hcl_edit::visit_mut::{self, VisitMut};

/// Why a policy cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("it does not parse as HCL")]
    NotHcl,
}

/// The canonical form of `text`. Correlate judges with this form too (parsed again), so the
/// case's actions and the views that read the kept copy judge alike; a pattern holding a secret
/// is redacted like the evidence it is matched against.
pub fn canonical(text: &str) -> Result<String, CanonicalError> {
    let mut body: Body = hcl_edit::parser::parse_body(text).map_err(|_| CanonicalError::NotHcl)?;
    let mut v = Canonical {
        counts: crate::redact::RuleCounts::new(),
    };
    v.visit_body_mut(&mut body);
    let mut out = body.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

struct Canonical {
    counts: crate::redact::RuleCounts,
}

impl Canonical {
    fn redact(&mut self, s: &str) -> Option<String> {
        match crate::redact::redactor().text(s, &mut self.counts) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(o) => Some(o),
        }
    }
}

impl VisitMut for Canonical {
    fn visit_body_mut(&mut self, node: &mut Body) {
        node.decor_mut().clear();
        visit_mut::visit_body_mut(self, node);
    }

    fn visit_structure_mut(&mut self, mut node: StructureMut) {
        node.decor_mut().clear();
        visit_mut::visit_structure_mut(self, node);
    }

    fn visit_attr_mut(&mut self, mut node: AttributeMut) {
        node.decor_mut().clear();
        node.key_decor_mut().clear();
        visit_mut::visit_attr_mut(self, node);
    }

    fn visit_block_mut(&mut self, node: &mut Block) {
        node.decor_mut().clear();
        node.ident.decor_mut().clear();
        for label in &mut node.labels {
            label.decor_mut().clear();
        }
        visit_mut::visit_block_mut(self, node);
    }

    fn visit_expr_mut(&mut self, node: &mut Expression) {
        node.decor_mut().clear();
        visit_mut::visit_expr_mut(self, node);
    }

    fn visit_array_mut(&mut self, node: &mut Array) {
        node.set_trailing("");
        visit_mut::visit_array_mut(self, node);
    }

    fn visit_object_mut(&mut self, node: &mut Object) {
        node.set_trailing("");
        visit_mut::visit_object_mut(self, node);
    }

    fn visit_object_value_mut(&mut self, node: &mut ObjectValue) {
        node.expr_mut().decor_mut().clear();
        visit_mut::visit_object_value_mut(self, node);
    }

    fn visit_string_mut(&mut self, node: &mut Decorated<String>) {
        node.decor_mut().clear();
        if let Some(safe) = self.redact(node.value()) {
            *node.value_mut() = safe;
        }
    }

    fn visit_block_label_mut(&mut self, node: &mut hcl_edit::structure::BlockLabel) {
        node.decor_mut().clear();
        visit_mut::visit_block_label_mut(self, node);
    }

    fn visit_string_template_mut(&mut self, node: &mut StringTemplate) {
        node.decor_mut().clear();
        visit_mut::visit_string_template_mut(self, node);
    }

    fn visit_literal_mut(&mut self, node: &mut hcl_edit::Spanned<String>) {
        if let Some(safe) = self.redact(node.value()) {
            *node.value_mut() = safe;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMENTED: &str = r#"# owner: ops (token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 was here)
agent "reporting-assistant" { // the weekly report
  description = "reads finance; key AKIAABCDEFGHIJKLMNOP"
  db_roles = ["reporting_ro"] # its own role
  /* a block comment */
  resource "prod/reporting/*" {
    access = "read"
  }
  on_violation { action = "alert" }
}
default {
  resource "*" { access = "none" }
}
"#;

    #[test]
    fn comments_go_values_are_redacted_and_the_policy_is_the_same() {
        let c = canonical(COMMENTED).unwrap();
        for gone in [
            "#",
            "//",
            "a block comment",
            "owner",
            "weekly report",
            "its own role",
            "ghp_",
            "AKIAABCDEFGHIJKLMNOP",
        ] {
            assert!(!c.contains(gone), "{gone} is still in:\n{c}");
        }
        let (original, d1) = crate::policy::parse(COMMENTED);
        let (kept, d2) = crate::policy::parse(&c);
        assert!(d1.is_empty() && d2.is_empty(), "{d1:?} {d2:?}\n{c}");
        for (agent, resource, class) in [
            (
                "reporting-assistant",
                "prod/reporting/invoices",
                crate::policy::Class::Read,
            ),
            (
                "reporting-assistant",
                "prod/reporting/invoices",
                crate::policy::Class::Write,
            ),
            ("other", "prod/x", crate::policy::Class::Read),
        ] {
            assert_eq!(
                original.judge(Some((agent, None)), resource, class),
                kept.judge(Some((agent, None)), resource, class)
            );
        }
        assert_eq!(canonical(&c).unwrap(), c, "canonical is a fixed point");
        assert_eq!(canonical("agent {"), Err(CanonicalError::NotHcl));
        // A pattern holding a secret is kept redacted, as the evidence it matches is.
        let kept = canonical("agent \"a\" {\n  resource \"s3://b/AKIAABCDEFGHIJKLMNOP/*\" { access = \"read\" }\n}\n")
            .unwrap();
        assert!(
            !kept.contains("AKIAABCDEFGHIJKLMNOP") && kept.contains("[REDACTED:"),
            "{kept}"
        );
    }
}
