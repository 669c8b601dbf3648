# Policy of the correlation benchmark's estate (scripts/bench/gen_correlate.py).
# scripts/bench/duckdb_correlate.py carries the same rules as a SQL CASE (POLICY
# there): change both together. Ingest with --label server=prod-postgres.

endpoint "prod-postgres" {
  address = ["10.0.3.17:5432"]
}

principal "svc_shared" {
  description = "the MCP servers' pooled role: no application_name, trace context needed"
  shared      = true
}

agent "support-copilot" {
  resource "prod-postgres/crm" {
    access = "readwrite"
    deny   = ["ddl"]
  }
  resource "prod-postgres/app/public.customers" {
    access = "read"
  }
  on_violation {
    action = "alert"
  }
}

agent "billing-agent" {
  resource "prod-postgres/billing" {
    access = "readwrite"
    deny   = ["ddl", "role"]
  }
  resource "prod-postgres/billing/billing.refunds" {
    access = "read"
  }
  resource "prod-postgres/app" {
    access = "read"
  }
  resource "tcp://api.stripe.com:443" {
    access = "readwrite"
  }
  on_violation {
    action = "block_and_alert"
  }
}

agent "sql-agent" {
  resource "prod-postgres/app" {
    access = "readwrite"
    deny   = ["ddl"]
  }
  resource "prod-postgres/app/public.api_keys" {
    access = "none"
  }
  resource "prod-postgres/warehouse" {
    access = "read"
  }
  resource "prod-postgres/billing" {
    access = "read"
  }
  on_violation {
    action = "block_and_alert"
  }
}

agent "reporting-assistant" {
  resource "prod-postgres/warehouse" {
    access = "read"
  }
  resource "prod-postgres/app/public.*" {
    access = "read"
  }
  on_violation {
    action = "log"
  }
}

agent "ops-agent" {
  resource "prod-postgres/*" {
    access = "readwrite"
    deny   = ["role"]
  }
  resource "prod-postgres/hr" {
    access = "read"
  }
  on_violation {
    action = "alert"
  }
}

# crm-sync-agent has no block: its accesses are unknown_agent violations.
