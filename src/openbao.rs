//! A small client for OpenBao / HashiCorp Vault: the KV v2 secret engine and AppRole login.
//!
//! KV v2 is a handful of JSON calls, so this speaks it over the reqwest client omc already has
//! (see README, "Teams"): no second HTTP stack, and every engine reply maps onto omc's exit codes
//! here, in one place. A token or secret never appears in an error: engine messages are passed
//! through [`crate::provider::redact`] with the secret that was sent.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// How long one call to the engine may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a profile's credentials live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub address: String,
    pub mount: String,
    pub prefix: String,
    pub namespace: Option<String>,
    /// The user opted in (`--allow-insecure-http`) to a plain-`http://` address on another
    /// host, where the token crosses the network in clear. Loopback needs no opt-in.
    pub allow_http: bool,
}

/// The flag that lets a vault profile use plain `http://` to another host.
pub const ALLOW_HTTP_FLAG: &str = "--allow-insecure-http";

impl Location {
    /// Check what `omc profile add --backend vault` was given.
    pub fn new(
        address: &str,
        mount: &str,
        prefix: &str,
        namespace: Option<&str>,
        allow_http: bool,
    ) -> Result<Location> {
        let address = address.trim_end_matches('/');
        if !(address.starts_with("http://") || address.starts_with("https://"))
            || reqwest::Url::parse(address).is_err()
        {
            return Err(Error::usage_hint(
                format!("invalid --address '{}'", crate::terminal::line(address)),
                "give the engine's URL, e.g. https://vault.example.com:8200",
            ));
        }
        if crate::bounds::plain_http_to_remote(address) && !allow_http {
            return Err(Error::usage_hint(
                format!(
                    "refusing --address {}: plain http:// to another host would send the \
                     engine token in clear",
                    crate::terminal::line(address)
                ),
                format!(
                    "use https://, or add {ALLOW_HTTP_FLAG} if the network in between is \
                     trusted"
                ),
            ));
        }
        let mount = check_path("--mount", mount)?;
        let prefix = check_path("--prefix", prefix)?;
        let namespace = namespace
            .map(|n| check_path("--namespace", n))
            .transpose()?;
        Ok(Location {
            address: address.to_owned(),
            mount,
            prefix,
            namespace,
            allow_http,
        })
    }

    /// Refuse, before any connection, a plain-`http://` address on another host that was
    /// stored without the opt-in (a profile added before omc asked for one).
    fn check_transport(&self) -> Result<()> {
        if self.allow_http || !crate::bounds::plain_http_to_remote(&self.address) {
            return Ok(());
        }
        Err(Error::Engine {
            message: format!(
                "refusing to send the token to the secret engine at {}: plain http:// to \
                 another host carries it in clear",
                self.address
            ),
            hint: format!(
                "move the engine behind https:// (and re-add the profile with that --address), \
                 or re-add the profile with {ALLOW_HTTP_FLAG}"
            ),
            code: 2,
        })
    }

    /// `secret/omc/team` as people write it.
    pub fn display(&self) -> String {
        format!("{}/{}", self.mount, self.prefix)
    }
}

/// Segments of letters, digits, `-_.@`, joined by single slashes; no `.` or `..`.
fn check_path(flag: &str, raw: &str) -> Result<String> {
    let trimmed = raw.trim_matches('/');
    let ok = !trimmed.is_empty()
        && trimmed.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        });
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(Error::usage_hint(
            format!("invalid {flag} '{}'", raw.escape_debug()),
            "use path segments of letters, digits, '-', '_', '.' or '@', separated by '/'",
        ))
    }
}

/// A secret's metadata entry: its versions and omc's non-secret fields.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub current_version: u64,
    /// The current version was deleted or destroyed (or there is none).
    pub deleted: bool,
    pub custom: BTreeMap<String, String>,
    /// When the engine created the entry, in Unix milliseconds.
    pub created_ms: Option<i64>,
}

/// A connection to one profile's location, with the token to present.
pub struct Kv {
    http: reqwest::Client,
    pub location: Location,
    token: SecretString,
}

impl Kv {
    pub fn new(location: Location, token: SecretString) -> Result<Kv> {
        Ok(Kv {
            http: http_client(&location)?,
            location,
            token,
        })
    }

    /// AppRole login: the role id and secret id buy a token.
    pub async fn approle_login(
        location: &Location,
        mount: &str,
        role_id: &str,
        secret_id: &SecretString,
    ) -> Result<SecretString> {
        let http = http_client(location)?;
        let url = format!("{}/v1/auth/{mount}/login", location.address);
        let body = json!({ "role_id": role_id, "secret_id": secret_id.expose_secret() });
        let mut req = http
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(ns) = &location.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        let (status, value) = finish(location, req.send().await, Some(secret_id)).await?;
        if status.is_client_error() && status != StatusCode::NOT_FOUND {
            // "invalid role or secret ID" comes as a 400: a refused login all the same.
            return Err(refused(
                location,
                StatusCode::FORBIDDEN,
                &value,
                Some(secret_id),
            ));
        }
        if !status.is_success() {
            return Err(refused(location, status, &value, Some(secret_id)));
        }
        value
            .pointer("/auth/client_token")
            .and_then(Value::as_str)
            .map(|t| SecretString::from(t.to_owned()))
            .ok_or_else(|| malformed(location, "an AppRole login reply without auth.client_token"))
    }

    /// Check the token: the engine says whose it is, or refuses it (exit 4).
    pub async fn lookup_self(&self) -> Result<()> {
        let (status, value) = self
            .call(Method::GET, "auth/token/lookup-self", &[], None, None)
            .await?;
        self.ok(status, &value, None)
    }

    /// Names of the credentials under the prefix (sub-folders are not credentials).
    pub async fn list(&self) -> Result<Vec<String>> {
        let path = format!("{}/metadata/{}", self.location.mount, self.location.prefix);
        let (status, value) = self
            .call(Method::GET, &path, &[("list", "true")], None, None)
            .await?;
        if self.absent(status, &value)? {
            return Ok(Vec::new());
        }
        self.ok(status, &value, None)?;
        let keys = value
            .pointer("/data/keys")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(&self.location, "a list reply without data.keys"))?;
        Ok(keys
            .iter()
            .filter_map(Value::as_str)
            .filter(|k| !k.ends_with('/'))
            .map(str::to_owned)
            .collect())
    }

    /// The metadata of credential `name`, or of the prefix itself with `None`.
    pub async fn metadata(&self, name: Option<&str>) -> Result<Option<Metadata>> {
        let path = self.path("metadata", name);
        let (status, value) = self.call(Method::GET, &path, &[], None, None).await?;
        if self.absent(status, &value)? {
            return Ok(None);
        }
        self.ok(status, &value, None)?;
        let data = value
            .get("data")
            .ok_or_else(|| malformed(&self.location, "a metadata reply without data"))?;
        let current_version = data
            .get("current_version")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let version = data
            .get("versions")
            .and_then(|v| v.get(current_version.to_string()));
        let deleted = match version {
            None => true,
            Some(v) => {
                v.get("destroyed").and_then(Value::as_bool) == Some(true)
                    || v.get("deletion_time")
                        .and_then(Value::as_str)
                        .is_some_and(|t| !t.is_empty())
            }
        };
        let custom = data
            .get("custom_metadata")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        let created_ms = data
            .get("created_time")
            .and_then(Value::as_str)
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        Ok(Some(Metadata {
            current_version,
            deleted,
            custom,
            created_ms,
        }))
    }

    /// The key stored in credential `name`'s current version, or `None` when it has none.
    pub async fn read(&self, name: &str) -> Result<Option<SecretString>> {
        let path = self.path("data", Some(name));
        let (status, value) = self.call(Method::GET, &path, &[], None, None).await?;
        if self.absent(status, &value)? {
            return Ok(None);
        }
        self.ok(status, &value, None)?;
        let key = value
            .pointer("/data/data/key")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Store {
                message: format!(
                    "{}/{name} on {} holds no 'key' field",
                    self.location.display(),
                    self.location.address
                ),
                hint: "omc stores the API key in the secret's 'key' field; rotate it with \
                           `omc rotate NAME` or write it with that field"
                    .into(),
            })?;
        Ok(Some(SecretString::from(key.to_owned())))
    }

    /// Write a new version of `name` holding `key` and `fields`, only if the current version is
    /// `cas` (0: the secret must not exist). `Ok(false)` when someone else got there first.
    pub async fn write(
        &self,
        name: &str,
        key: &SecretString,
        fields: &BTreeMap<String, String>,
        cas: u64,
    ) -> Result<bool> {
        let mut data = serde_json::Map::new();
        for (k, v) in fields {
            data.insert(k.clone(), Value::String(v.clone()));
        }
        data.insert("key".into(), Value::String(key.expose_secret().to_owned()));
        let body = json!({ "options": { "cas": cas }, "data": data });
        let path = self.path("data", Some(name));
        let (status, value) = self
            .call(Method::POST, &path, &[], Some(&body), Some(key))
            .await?;
        drop(body);
        if status == StatusCode::BAD_REQUEST
            && engine_message(&value, Some(key)).contains("check-and-set")
        {
            return Ok(false);
        }
        self.ok(status, &value, Some(key))?;
        Ok(true)
    }

    /// Merge `fields` into the custom metadata of `name` (the prefix with `None`); a `None`
    /// value removes that field. Creates the metadata entry when there is none.
    pub async fn patch_metadata(
        &self,
        name: Option<&str>,
        fields: &BTreeMap<String, Option<String>>,
    ) -> Result<()> {
        let path = self.path("metadata", name);
        let body = json!({ "custom_metadata": fields });
        let (status, value) = self
            .call(Method::PATCH, &path, &[], Some(&body), None)
            .await?;
        if !self.absent(status, &value)? {
            return self.ok(status, &value, None);
        }
        let set: BTreeMap<&String, &String> = fields
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_ref()?)))
            .collect();
        let body = json!({ "custom_metadata": set });
        let (status, value) = self
            .call(Method::POST, &path, &[], Some(&body), None)
            .await?;
        self.ok(status, &value, None)
    }

    /// Soft-delete the latest version of `name` (the engine can undelete it).
    pub async fn delete_latest(&self, name: &str) -> Result<()> {
        let path = self.path("data", Some(name));
        let (status, value) = self.call(Method::DELETE, &path, &[], None, None).await?;
        self.ok(status, &value, None)
    }

    /// Destroy every version of `name` and its metadata.
    pub async fn destroy(&self, name: &str) -> Result<()> {
        let path = self.path("metadata", Some(name));
        let (status, value) = self.call(Method::DELETE, &path, &[], None, None).await?;
        self.ok(status, &value, None)
    }

    fn path(&self, kind: &str, name: Option<&str>) -> String {
        let l = &self.location;
        match name {
            Some(n) => format!("{}/{kind}/{}/{n}", l.mount, l.prefix),
            None => format!("{}/{kind}/{}", l.mount, l.prefix),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        secret: Option<&SecretString>,
    ) -> Result<(StatusCode, Value)> {
        let mut url = format!("{}/v1/{path}", self.location.address);
        // Query values here are fixed words ("list=true"), never user text.
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{k}={v}"));
        }
        let mut req = self
            .http
            .request(method.clone(), &url)
            .header("X-Vault-Token", self.token.expose_secret())
            .header("X-Vault-Request", "true");
        if let Some(ns) = &self.location.namespace {
            req = req.header("X-Vault-Namespace", ns);
        }
        if let Some(b) = body {
            let content_type = if method == Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            req = req.header("Content-Type", content_type).body(b.to_string());
        }
        tracing::debug!(%method, path, "engine call");
        let secret = secret.or(Some(&self.token));
        finish(&self.location, req.send().await, secret).await
    }

    /// A 404 from the engine itself (it answers `{"errors":[]}`); a bare 404 is something
    /// else listening at the address, which must not pass for an empty profile.
    fn absent(&self, status: StatusCode, value: &Value) -> Result<bool> {
        if status != StatusCode::NOT_FOUND {
            return Ok(false);
        }
        if value.get("errors").is_some() || value.get("data").is_some() {
            return Ok(true);
        }
        Err(malformed(
            &self.location,
            "a 404 that is not an engine reply",
        ))
    }

    fn ok(&self, status: StatusCode, value: &Value, secret: Option<&SecretString>) -> Result<()> {
        if status.is_success() {
            Ok(())
        } else {
            Err(refused(
                &self.location,
                status,
                value,
                secret.or(Some(&self.token)),
            ))
        }
    }
}

fn http_client(location: &Location) -> Result<reqwest::Client> {
    location.check_transport()?;
    let mut builder = reqwest::Client::builder();
    if location.address.starts_with("http://") {
        // No TLS to set up: skip loading the platform's certificates.
        builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
    }
    builder
        .user_agent(concat!("omc/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        // A redirect would resend the token to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| unreachable_error(location, &e))
}

/// The reply's status and JSON body (`null` when it had none), or exit 6 when there was none.
async fn finish(
    location: &Location,
    sent: reqwest::Result<reqwest::Response>,
    secret: Option<&SecretString>,
) -> Result<(StatusCode, Value)> {
    let resp = sent.map_err(|e| unreachable_error(location, &e))?;
    let status = resp.status();
    let json_typed = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // Bounded: an endless body ends at the limit, not when memory runs out.
    let source = format!("the reply from the secret engine at {}", location.address);
    let bytes = crate::bounded::body(resp, &source, crate::bounded::Limit::ENGINE_REPLY)
        .await
        .map_err(|e| Error::Engine {
            message: e.to_string(),
            hint: "is --address an OpenBao or Vault server?".into(),
            code: 6,
        })?;
    if bytes.is_empty() {
        // The engine sends some refusals (a PATCH of nothing) as an empty JSON reply.
        let value = if json_typed && !status.is_success() {
            json!({ "errors": [] })
        } else {
            Value::Null
        };
        return Ok((status, value));
    }
    match serde_json::from_slice(&bytes) {
        Ok(v) => Ok((status, v)),
        Err(_) if !status.is_success() => {
            let text = String::from_utf8_lossy(&bytes);
            let text = redact(&text, secret);
            Ok((status, json!({ "errors": [text] })))
        }
        Err(_) => Err(malformed(location, "a reply that is not JSON")),
    }
}

fn redact(text: &str, secret: Option<&SecretString>) -> String {
    crate::provider::redact::truncate(
        &crate::provider::redact::redact(text, secret.map(|s| s.expose_secret())),
        300,
    )
}

/// The engine's `errors` array as one line, scrubbed of `secret`.
fn engine_message(value: &Value, secret: Option<&SecretString>) -> String {
    let joined = value
        .get("errors")
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    redact(&joined, secret)
}

fn refused(
    location: &Location,
    status: StatusCode,
    value: &Value,
    secret: Option<&SecretString>,
) -> Error {
    let mut message = engine_message(value, secret);
    if message.is_empty() {
        message = status.to_string();
    }
    let at = &location.address;
    match status.as_u16() {
        401 | 403 => Error::Engine {
            message: format!("the secret engine at {at} refused the request: {message}"),
            hint: format!(
                "check the token (VAULT_TOKEN, BAO_TOKEN or `omc profile login`) and that its \
                 policy grants what this needs on {m}/data/{p}/*, {m}/metadata/{p}/* and \
                 {m}/metadata/{p} (README, \"Teams\", has a policy)",
                m = location.mount,
                p = location.prefix
            ),
            code: 4,
        },
        500..=599 => Error::Engine {
            message: format!("the secret engine at {at} failed: {message}"),
            hint: "check that it is unsealed and healthy, then retry".into(),
            code: 6,
        },
        _ => Error::Engine {
            message: format!("the secret engine at {at} said: {message}"),
            hint: format!(
                "check the profile's mount ({}) is a KV version 2 engine",
                location.mount
            ),
            code: 1,
        },
    }
}

fn unreachable_error(location: &Location, e: &reqwest::Error) -> Error {
    let why = if e.is_timeout() {
        format!("no answer within {}s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(inner) = src {
            s = format!("{s}: {inner}");
            src = inner.source();
        }
        s
    };
    Error::Engine {
        message: format!(
            "cannot reach the secret engine at {}: {why}",
            location.address
        ),
        hint: "check the profile's --address and that the server is up (omc profile list shows it)"
            .into(),
        code: 6,
    }
}

fn malformed(location: &Location, what: &str) -> Error {
    Error::Engine {
        message: format!("the secret engine at {} sent {what}", location.address),
        hint: "is --address an OpenBao or Vault server?".into(),
        code: 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_checked() {
        let l = Location::new(
            "http://127.0.0.1:8200/",
            "/secret/",
            "omc/team",
            None,
            false,
        )
        .unwrap();
        assert_eq!(l.address, "http://127.0.0.1:8200");
        assert_eq!(l.display(), "secret/omc/team");
        assert!(Location::new("127.0.0.1:8200", "secret", "omc", None, false).is_err());
        assert!(Location::new("https://h", "secret", "omc/../x", None, false).is_err());
        assert!(Location::new("https://h", "secret", "omc//x", None, false).is_err());
        assert!(Location::new("https://h", "sec ret", "omc", None, false).is_err());
    }

    #[test]
    fn plain_http_to_another_host_needs_the_opt_in() {
        let err = Location::new("http://10.1.2.3:8200", "secret", "omc", None, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("in clear"), "{err}");
        let l = Location::new("http://10.1.2.3:8200", "secret", "omc", None, true).unwrap();
        assert!(l.check_transport().is_ok());
        let stored = Location {
            allow_http: false,
            ..l
        };
        let err = Kv::new(stored, SecretString::from("t".to_owned()))
            .err()
            .unwrap();
        assert!(
            err.hint().unwrap_or_default().contains(ALLOW_HTTP_FLAG),
            "{err}"
        );
        assert!(Location::new("http://localhost:8200", "secret", "omc", None, false).is_ok());
        assert!(Location::new("https://10.1.2.3", "secret", "omc", None, false).is_ok());
    }

    #[test]
    fn engine_messages_never_carry_the_secret() {
        let secret = SecretString::from("sk-CANARY-0123456789".to_owned());
        let value = json!({ "errors": ["bad value sk-CANARY-0123456789 here"] });
        let msg = engine_message(&value, Some(&secret));
        assert!(!msg.contains("CANARY"), "{msg}");
    }
}
