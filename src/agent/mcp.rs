//! MCP servers: one manager owns the connections (stdio child processes and streamable-HTTP
//! sessions, through the official `rmcp` SDK), starts each once per run, and shuts them all
//! down at the end, interrupted or not.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rmcp::model::{CallToolRequestParams, Tool};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncReadExt;

use super::command::WITHHELD;
use super::file::{McpServer, McpTransport};
use super::tools::{ToolOutput, capped};
use crate::creds::Var;

/// A started server: its session, the tools it listed, and its process group (stdio).
pub struct Connection {
    pub server: McpServer,
    service: RunningService<RoleClient, ()>,
    pub tools: Vec<Tool>,
    pid: Option<u32>,
}

/// The last bytes a stdio server wrote to stderr, for the error when it fails to start.
type Tail = Arc<Mutex<Vec<u8>>>;

/// Start `server` and list its tools. `grants` are its credentials' variables (stdio) and
/// `bearer` its bearer token (HTTP).
pub async fn start(
    server: &McpServer,
    grants: &[Var],
    bearer: Option<&SecretString>,
    base: &Path,
) -> Result<Connection, String> {
    let tail: Tail = Arc::default();
    let started = async {
        match &server.transport {
            McpTransport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let mut cmd = crate::process::AsyncCmd::new(command);
                cmd.args(args);
                #[cfg(unix)]
                cmd.process_group(0);
                cmd.current_dir(match cwd {
                    Some(c) if c.is_absolute() => c.clone(),
                    Some(c) => base.join(c),
                    None => base.to_path_buf(),
                });
                for var in WITHHELD {
                    cmd.env_remove(var);
                }
                for (k, v) in env {
                    cmd.env(k, v);
                }
                for var in grants {
                    cmd.env(var.name, var.value.expose_secret());
                }
                let (transport, stderr) =
                    cmd.start_mcp(Stdio::piped()).map_err(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => {
                            format!("cannot run '{command}': not found")
                        }
                        _ => format!("cannot run '{command}': {e}"),
                    })?;
                let pid = transport.id();
                if let Some(mut stderr) = stderr {
                    let tail = tail.clone();
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        while let Ok(n) = stderr.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                            t.extend_from_slice(&buf[..n]);
                            if t.len() > 4096 {
                                let cut = t.len() - 2048;
                                t.drain(..cut);
                            }
                        }
                    });
                }
                let service = ().serve(transport).await.map_err(|e| e.to_string())?;
                Ok::<_, String>((service, pid))
            }
            McpTransport::Http { url, headers, .. } => {
                use rmcp::transport::StreamableHttpClientTransport;
                use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
                let mut map = HashMap::new();
                for (k, v) in headers {
                    let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                        .map_err(|_| format!("header name '{k}' is not valid"))?;
                    let value = reqwest::header::HeaderValue::from_str(v)
                        .map_err(|_| format!("header '{k}' has a value that is not valid"))?;
                    map.insert(name, value);
                }
                let mut config =
                    StreamableHttpClientTransportConfig::with_uri(url.as_str()).custom_headers(map);
                if let Some(b) = bearer {
                    config = config.auth_header(b.expose_secret().to_owned());
                }
                let transport = StreamableHttpClientTransport::from_config(config);
                let service = ().serve(transport).await.map_err(|e| e.to_string())?;
                Ok((service, None))
            }
        }
    };
    let result = tokio::time::timeout(server.timeout, async {
        let (service, pid) = started.await?;
        let tools = service
            .list_all_tools()
            .await
            .map_err(|e| format!("listing its tools failed: {e}"))?;
        Ok::<_, String>((service, pid, tools))
    })
    .await;
    let with_tail = |msg: String| {
        let t = tail.lock().unwrap_or_else(|p| p.into_inner());
        let text = String::from_utf8_lossy(&t);
        let text = text.trim();
        if text.is_empty() {
            msg
        } else {
            let last: Vec<&str> = text.lines().rev().take(5).collect();
            let last: Vec<&str> = last.into_iter().rev().collect();
            format!("{msg}; its stderr ends with:\n{}", last.join("\n"))
        }
    };
    let (service, pid, mut tools) = match result {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return Err(with_tail(e)),
        Err(_) => {
            return Err(with_tail(format!(
                "did not start within {}",
                humantime::format_duration(server.timeout)
            )));
        }
    };
    if let Some(allow) = &server.tools {
        for name in allow {
            if !tools.iter().any(|t| t.name == *name) {
                let listed: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
                shutdown_parts(service, pid).await;
                return Err(format!(
                    "tools lists '{name}', which the server does not offer (it lists: {})",
                    listed.join(", ")
                ));
            }
        }
        tools.retain(|t| allow.iter().any(|a| t.name == *a));
    }
    Ok(Connection {
        server: server.clone(),
        service,
        tools,
        pid,
    })
}

impl Connection {
    /// Call `tool` (its name on the server) with `args`.
    pub async fn call(&self, tool: &str, args: &serde_json::Value) -> ToolOutput {
        let started = Instant::now();
        let arguments = match args {
            serde_json::Value::Object(m) => Some(m.clone()),
            serde_json::Value::Null => None,
            _ => {
                return ToolOutput::error(
                    "the arguments must be a JSON object".into(),
                    "bad arguments".into(),
                    started,
                );
            }
        };
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = arguments;
        let result =
            tokio::time::timeout(self.server.timeout, self.service.call_tool(params)).await;
        let result = match result {
            Err(_) => {
                let t = humantime::format_duration(self.server.timeout);
                return ToolOutput::error(
                    format!("the MCP server did not answer within {t}"),
                    format!("timed out after {t}"),
                    started,
                );
            }
            Ok(Err(e)) => {
                return ToolOutput::error(
                    capped(format!("the MCP call failed: {e}"), self.server.max_output),
                    e.to_string(),
                    started,
                );
            }
            Ok(Ok(r)) => r,
        };
        let mut parts: Vec<String> = Vec::new();
        for block in &result.content {
            match block.as_text() {
                Some(t) => parts.push(t.text.clone()),
                None => parts.push(
                    serde_json::to_string(block).unwrap_or_else(|_| "[non-text content]".into()),
                ),
            }
        }
        if parts.is_empty()
            && let Some(s) = &result.structured_content
        {
            parts.push(s.to_string());
        }
        // What reaches the model and the transcript is cut to max_output, like a command's.
        let content = capped(parts.join("\n"), self.server.max_output);
        let is_error = result.is_error.unwrap_or(false);
        let lines = content.lines().count();
        ToolOutput {
            summary: if is_error {
                format!("error: {}", content.lines().next().unwrap_or(""))
            } else {
                format!("{lines} lines")
            },
            content,
            is_error,
            duration: started.elapsed(),
        }
    }

    pub async fn shutdown(self) {
        shutdown_parts(self.service, self.pid).await;
    }
}

async fn shutdown_parts(service: RunningService<RoleClient, ()>, pid: Option<u32>) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), service.cancel()).await;
    // Whatever the server started in its process group goes with it.
    if let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32))
        && pid.as_raw_nonzero().get() > 1
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}
