//! Requests in CAVRA's `cavra.opa-rego-policy.input.v1` shape.

use serde::{Deserialize, Serialize};

use super::python::json_str;

/// The input schema CAVRA's dry-run fixtures carry.
pub const INPUT_SCHEMA: &str = "cavra.opa-rego-policy.input.v1";

/// A request to decide, borrowing its text. Build it with [`Request::new`] (which fills CAVRA's
/// defaults) or borrow one from a [`RequestBuf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Request<'a> {
    /// `read_file`, `write_file`, `execute_command`, `git_operation`, `mcp_tool_call`, or
    /// anything else (which falls to the runtime default).
    pub action_type: &'a str,
    /// A path, a command, a branch ref or `server:tool`. Never stripped.
    pub target: &'a str,
    /// The command or git verb; stripped of whitespace before matching.
    pub requested_operation: &'a str,
    /// The MCP server.
    pub server: &'a str,
    /// The MCP tool (carried, not evaluated).
    pub tool: &'a str,
    /// The MCP capability (carried, not evaluated).
    pub capability: &'a str,
}

impl<'a> Request<'a> {
    /// A request with CAVRA's defaults: `requested_operation` is the target and `server` is the
    /// target up to its first `:`.
    pub fn new(action_type: &'a str, target: &'a str) -> Request<'a> {
        Request {
            action_type,
            target,
            requested_operation: target,
            server: default_server(target),
            tool: "",
            capability: "",
        }
    }

    /// Sets the requested operation.
    pub fn with_operation(mut self, requested_operation: &'a str) -> Request<'a> {
        self.requested_operation = requested_operation;
        self
    }

    /// Sets the MCP server.
    pub fn with_server(mut self, server: &'a str) -> Request<'a> {
        self.server = server;
        self
    }

    /// Converts a CAVRA input object the way the reference does (`str()` of each field, the
    /// default only when the key is absent), so `null` becomes `"None"` and `true` `"True"`.
    /// A non-object input has no fields.
    pub fn from_json(input: &serde_json::Value) -> RequestBuf {
        RequestBuf::from_json(input)
    }

    /// Copies the request into an owned [`RequestBuf`].
    pub fn to_owned_request(&self) -> RequestBuf {
        RequestBuf {
            action_type: self.action_type.to_owned(),
            target: self.target.to_owned(),
            requested_operation: self.requested_operation.to_owned(),
            server: self.server.to_owned(),
            tool: self.tool.to_owned(),
            capability: self.capability.to_owned(),
        }
    }
}

/// The target up to its first `:` (Python `target.split(":", 1)[0]`).
pub fn default_server(target: &str) -> &str {
    target.split_once(':').map_or(target, |(server, _)| server)
}

/// An owned request, e.g. parsed from JSON or YAML.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct RequestBuf {
    /// See [`Request::action_type`].
    pub action_type: String,
    /// See [`Request::target`].
    pub target: String,
    /// See [`Request::requested_operation`].
    pub requested_operation: String,
    /// See [`Request::server`].
    pub server: String,
    /// See [`Request::tool`].
    pub tool: String,
    /// See [`Request::capability`].
    pub capability: String,
}

impl RequestBuf {
    /// See [`Request::from_json`].
    pub fn from_json(input: &serde_json::Value) -> RequestBuf {
        let field = |key: &str| input.as_object().and_then(|map| map.get(key));
        let text = |key: &str, default: &str| -> String {
            field(key).map_or_else(|| default.to_owned(), |v| json_str(v).into_owned())
        };
        let target = text("target", "");
        let requested_operation = text("requested_operation", &target);
        let server = text("server", default_server(&target));
        RequestBuf {
            action_type: text("action_type", ""),
            requested_operation,
            server,
            tool: text("tool", ""),
            capability: text("capability", ""),
            target,
        }
    }

    /// Borrows the request for evaluation.
    pub fn as_request(&self) -> Request<'_> {
        Request {
            action_type: &self.action_type,
            target: &self.target,
            requested_operation: &self.requested_operation,
            server: &self.server,
            tool: &self.tool,
            capability: &self.capability,
        }
    }

    /// The request as a CAVRA input object (`schema_version`, `action_type`, `target`,
    /// `requested_operation`, then `server`/`tool`/`capability` when not empty).
    pub fn to_cavra_input(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("schema_version".into(), INPUT_SCHEMA.into());
        map.insert("action_type".into(), self.action_type.clone().into());
        map.insert("target".into(), self.target.clone().into());
        map.insert(
            "requested_operation".into(),
            self.requested_operation.clone().into(),
        );
        if self.action_type == "mcp_tool_call" || self.server != default_server(&self.target) {
            map.insert("server".into(), self.server.clone().into());
        }
        for (key, value) in [("tool", &self.tool), ("capability", &self.capability)] {
            if !value.is_empty() {
                map.insert(key.into(), value.clone().into());
            }
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn from_json_follows_python_str() {
        let request = RequestBuf::from_json(&json!({
            "action_type": "mcp_tool_call", "target": "gh:read", "requested_operation": null,
        }));
        assert_eq!(request.requested_operation, "None");
        assert_eq!(request.server, "gh");
        let request = RequestBuf::from_json(&json!({"action_type": true, "target": null}));
        assert_eq!(request.action_type, "True");
        assert_eq!(request.target, "None");
        assert_eq!(request.requested_operation, "None");
        assert_eq!(request.server, "None");
        assert_eq!(RequestBuf::from_json(&json!("x")), RequestBuf::default());
    }
}
