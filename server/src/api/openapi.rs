//! The OpenAPI 3.1 document, built from [`super::ROUTES`] (hand-written rather than derived:
//! a derive crate would add a proc-macro stack to every build for one static document).

use serde_json::{json, Map, Value};

use super::ROUTES;

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "examples": ["conflict", "refused", "invalid"]},
            "message": {"type": "string"},
            "current_revision": {"type": "integer", "description": "On a stale draft save"},
            "missing": {"type": "array", "items": {"type": "string"}, "description": "On a refused gate"},
            "retry_after_secs": {"type": "integer", "description": "On a rate-limited sign-in or runtime token"}
        }
    })
}

fn request_body(method: &str, path: &str) -> Option<Value> {
    let schema = match (method, path) {
        ("post", "/v1/decisions") => json!({
            "type": "object",
            "description": "A CAVRA input (`cavra.opa-rego-policy.input.v1`); `?pack=` or `policy_pack` selects the pack; each field at most 4096 bytes as the decision reads it (422 beyond)",
            "required": ["action_type"],
            "properties": {
                "schema_version": {"const": "cavra.opa-rego-policy.input.v1"},
                "policy_pack": {"type": "string"},
                "action_type": {"type": "string"},
                "target": {"type": "string"},
                "requested_operation": {"type": "string"},
                "server": {"type": "string"},
                "tool": {"type": "string"},
                "capability": {"type": "string"}
            }
        }),
        ("post", "/api/tokens") => json!({
            "type": "object", "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
                "packs": {"type": ["array", "null"], "items": {"type": "string"}, "description": "Absent or null: every pack"}
            }
        }),
        ("put", "/api/packs/{pack}/shadow-rule") => json!({
            "type": "object", "required": ["min_observations", "min_runtimes", "min_observed_secs"],
            "properties": {
                "min_observations": {"type": "integer", "minimum": 1},
                "min_runtimes": {"type": "integer", "minimum": 1},
                "min_observed_secs": {"type": "integer", "minimum": 0}
            }
        }),
        ("post", "/api/session") => json!({
            "type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}
        }),
        ("post", "/api/users") => json!({
            "type": "object", "required": ["username", "password", "role"],
            "properties": {
                "username": {"type": "string"}, "password": {"type": "string", "minLength": 8},
                "role": {"enum": ["author", "approver", "admin"]},
                "groups": {"type": "array", "items": {"type": "string"}}
            }
        }),
        ("post", "/api/packs/{pack}/drafts") => json!({
            "type": "object", "properties": {"from_digest": {"type": "string"}}
        }),
        ("put", "/api/drafts/{id}") => json!({
            "type": "object", "required": ["source", "revision"],
            "properties": {"source": {"type": "string"}, "revision": {"type": "integer"}}
        }),
        ("post", "/api/packs/{pack}/approvals") => json!({
            "type": "object", "required": ["digest"],
            "properties": {
                "digest": {"type": "string"},
                "kind": {"enum": ["promotion", "rollback"], "default": "promotion"},
                "groups": {"type": "array", "items": {"type": "string"}}
            }
        }),
        ("post", "/api/approvals/{id}/signoffs") => json!({
            "type": "object", "required": ["group", "digest", "decision"],
            "properties": {
                "group": {"type": "string"}, "digest": {"type": "string"},
                "decision": {"enum": ["approve", "reject"]}, "comment": {"type": "string"}
            }
        }),
        ("post", "/api/packs/{pack}/shadow") | ("post", "/api/packs/{pack}/promote") => json!({
            "type": "object", "required": ["digest"], "properties": {"digest": {"type": "string"}}
        }),
        ("post", "/api/packs/{pack}/rollback") => json!({
            "type": "object", "required": ["digest"],
            "properties": {"digest": {"type": "string"}, "reason": {"type": "string"}}
        }),
        _ => return None,
    };
    Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}))
}

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = if name == "id" {
                json!({"type": "integer"})
            } else {
                json!({"type": "string"})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary) in ROUTES {
        let public = matches!(*path, "/api/openapi.json" | "/api/evidence/public-key")
            || (*path == "/api/session" && *method == "post");
        let runtime = *path == "/v1/decisions";
        let mut operation = json!({
            "summary": summary,
            "operationId": format!("{method}_{}", path.trim_start_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": parameters(path),
            "responses": {
                "200": {"description": "Success", "content": {"application/json": {}}},
                "default": {
                    "description": "Error: 401 no session, 403 role/group/Origin, 404 unknown, 409 conflict or refused gate, 413 body too large, 422 invalid, 429 rate limited",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        });
        if runtime {
            operation["security"] = json!([{"runtime": []}]);
        } else if !public {
            operation["security"] = json!([{"session": []}]);
        }
        if let Some(body) = request_body(method, path) {
            operation["requestBody"] = body;
        }
        let entry = paths
            .entry((*path).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[*method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CAVRA Policy Lifecycle API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Drafts, immutable versions, digest-bound approvals, the promotion gate, shadow mode, rollback, signed evidence and runtime decisions. Mutating requests from browsers must carry a same-origin Origin header."
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": error_schema()},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE},
                "runtime": {
                    "type": "http", "scheme": "bearer",
                    "description": "A runtime token (`cavra token create`, `POST /api/tokens`)"
                }
            }
        }
    })
}
