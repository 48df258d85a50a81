// Included twice by `tests/provider_wire.rs`, once per HTTP path (`LEAN_HTTP`).

use std::time::{Duration, Instant};

use crate::support::fake_provider::{Behaviour, FakeProvider, Family, Framing, Reply};
use omc::provider::{
    self, ChatRequest, ChatResponse, Client, ClientOptions, Delta, ErrorKind, ProviderError, Target,
};
use secrecy::SecretString;

/// A canary: it must appear in the key's header and nowhere else, ever.
const KEY: &str = "sk-test-CANARY0123456789abcdefXYZ";
const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];

fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Some(Duration::from_secs(5)),
        total_timeout: None,
        max_retries: 2,
        backoff_base: Duration::from_millis(5),
        tls: true,
        lean_http: LEAN_HTTP,
    }
}

fn client() -> Client {
    Client::new(options()).expect("client")
}

fn request(stream: bool) -> ChatRequest {
    ChatRequest {
        temperature: Some(0.5),
        max_tokens: Some(64),
        stream,
        ..ChatRequest::prompt("fake-model-1", Some("Be brief.".into()), "Say hello")
    }
}

type Deltas = Vec<(String, Instant)>;

async fn chat_with(
    client: &Client,
    fake: &FakeProvider,
    req: &ChatRequest,
) -> (Result<ChatResponse, ProviderError>, Deltas) {
    let key = SecretString::from(KEY);
    let base = fake.base_url();
    let target = Target {
        spec: provider::lookup(fake.family.provider_id()).expect("known provider"),
        base_url: Some(&base),
        key: &key,
    };
    let mut deltas = Vec::new();
    let result = client
        .chat(&target, req, &mut |d: Delta<'_>| {
            deltas.push((d.text.to_owned(), d.at))
        })
        .await;
    (result, deltas)
}

async fn chat(fake: &FakeProvider, stream: bool) -> (Result<ChatResponse, ProviderError>, Deltas) {
    chat_with(&client(), fake, &request(stream)).await
}

async fn models(fake: &FakeProvider) -> Result<Vec<String>, ProviderError> {
    let key = SecretString::from(KEY);
    let base = fake.base_url();
    let target = Target {
        spec: provider::lookup(fake.family.provider_id()).expect("known provider"),
        base_url: Some(&base),
        key: &key,
    };
    client().list_models(&target).await
}

fn texts(deltas: &Deltas) -> Vec<&str> {
    deltas.iter().map(|(t, _)| t.as_str()).collect()
}

fn exit_code(e: ProviderError) -> u8 {
    e.into_error("fake").exit_code()
}

#[tokio::test]
async fn non_streamed_replies_are_exact_with_provider_usage() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let (r, deltas) = chat(&fake, false).await;
        let r = r.unwrap_or_else(|e| panic!("{family:?}: {e:?}"));
        assert_eq!(r.text, "Hello, world", "{family:?}");
        assert_eq!(texts(&deltas), ["Hello, world"], "{family:?}");
        assert_eq!(r.chunks, 1);
        assert_eq!(r.model, "fake-model-1");
        assert_eq!(
            (r.usage.input_tokens, r.usage.output_tokens),
            (Some(11), Some(3))
        );
        assert!(!r.usage.estimated, "{family:?}");
        let finish = match family {
            Family::OpenAi => "stop",
            Family::Anthropic => "end_turn",
            Family::Gemini => "STOP",
        };
        assert_eq!(r.finish_reason.as_deref(), Some(finish));
        assert_eq!(r.first_token, Some(deltas[0].1));
    }
}

#[tokio::test]
async fn streamed_replies_are_exact_with_provider_usage() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let (r, deltas) = chat(&fake, true).await;
        let r = r.unwrap_or_else(|e| panic!("{family:?}: {e:?}"));
        assert_eq!(texts(&deltas), ["Hello", ",", " world"], "{family:?}");
        assert_eq!(r.text, "Hello, world");
        assert_eq!(r.chunks, 3);
        // Anthropic: message_start says 1 output token, message_delta the cumulative 3. Adding
        // would give 4. OpenAI: the usage-only last chunk (include_usage).
        assert_eq!(
            (r.usage.input_tokens, r.usage.output_tokens),
            (Some(11), Some(3)),
            "{family:?}"
        );
        assert!(!r.usage.estimated);
        assert_eq!(r.first_token, Some(deltas[0].1));
        assert_eq!(r.last_token, Some(deltas[2].1));
        assert!(r.started <= deltas[0].1 && deltas[2].1 <= r.finished);
    }
}

/// Servers built on the SDKs' types send every optional field they have no value for as `null`
/// (`"tool_calls": null`, `"usage": null`, `"stop_sequence": null`, `"thoughtsTokenCount":
/// null`, …): the same reply as with those fields left out, streamed or whole.
#[tokio::test]
async fn sdk_shaped_nulls_read_as_absent() {
    for family in FAMILIES {
        for usage in [Some((11, 3)), None] {
            for stream in [true, false] {
                let ctx = format!("{family:?} usage={usage:?} stream={stream}");
                let fake = FakeProvider::start(family).await;
                let reply = Reply::text(&["Hello", ",", " world"]).usage(usage);
                fake.set_default(Behaviour::Reply(reply.with_nulls()));
                let (r, deltas) = chat(&fake, stream).await;
                let r = r.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
                assert_eq!(r.text, "Hello, world", "{ctx}");
                assert_eq!(texts(&deltas).concat(), "Hello, world", "{ctx}");
                assert_eq!(r.model, "fake-model-1", "{ctx}");
                assert_eq!(r.finish, Some(omc::provider::FinishReason::Stop), "{ctx}");
                match usage {
                    Some(u) => {
                        assert_eq!(
                            (r.usage.input_tokens, r.usage.output_tokens),
                            (Some(u.0), Some(u.1)),
                            "{ctx}"
                        );
                        assert!(!r.usage.estimated, "{ctx}");
                    }
                    // `"usage": null` (OpenAI's chunks before the last, an SDK-built whole
                    // reply): no usage, so an estimate. (Anthropic's stream always has some.)
                    None if family == Family::Anthropic && stream => {}
                    None => assert!(r.usage.estimated, "{ctx}"),
                }
            }
        }
    }
}

#[tokio::test]
async fn requests_follow_each_documented_format() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        chat(&fake, true).await.0.expect("streamed");
        chat(&fake, false).await.0.expect("unstreamed");
        let reqs = fake.requests();
        let (s, n) = (&reqs[0], &reqs[1]);
        assert_eq!(s.method, "POST");
        let body = s.json();
        match family {
            Family::OpenAi => {
                assert_eq!(s.target, "/v1/chat/completions");
                assert_eq!(n.target, "/v1/chat/completions");
                assert_eq!(
                    s.header("authorization"),
                    Some(format!("Bearer {KEY}").as_str())
                );
                assert_eq!(s.header("content-type"), Some("application/json"));
                assert_eq!(body["model"], "fake-model-1");
                assert_eq!(
                    body["messages"],
                    serde_json::json!([
                        {"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "Say hello"}
                    ])
                );
                assert_eq!(body["temperature"], 0.5);
                assert_eq!(body["max_tokens"], 64);
                assert_eq!(body["stream"], true);
                assert_eq!(body["stream_options"]["include_usage"], true);
                assert_eq!(n.json()["stream"], false);
                assert!(n.json().get("stream_options").is_none());
            }
            Family::Anthropic => {
                assert_eq!(s.target, "/v1/messages");
                assert_eq!(s.header("x-api-key"), Some(KEY));
                assert_eq!(s.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(s.header("content-type"), Some("application/json"));
                assert_eq!(body["system"], "Be brief.");
                assert_eq!(
                    body["messages"],
                    serde_json::json!([{"role": "user", "content": "Say hello"}])
                );
                assert_eq!(body["max_tokens"], 64);
                assert_eq!(body["temperature"], 0.5);
                assert_eq!(body["stream"], true);
            }
            Family::Gemini => {
                assert_eq!(
                    s.target,
                    "/v1beta/models/fake-model-1:streamGenerateContent?alt=sse"
                );
                assert_eq!(n.target, "/v1beta/models/fake-model-1:generateContent");
                assert_eq!(s.header("x-goog-api-key"), Some(KEY));
                assert_eq!(
                    body["contents"],
                    serde_json::json!([{"role": "user", "parts": [{"text": "Say hello"}]}])
                );
                assert_eq!(
                    body["systemInstruction"],
                    serde_json::json!({"parts": [{"text": "Be brief."}]})
                );
                assert_eq!(body["generationConfig"]["temperature"], 0.5);
                assert_eq!(body["generationConfig"]["maxOutputTokens"], 64);
            }
        }
    }
}

/// Images, PDFs and a schema, streamed and whole: the SDK-shaped fake holds the files to the
/// family's documented shape (declared type matching the bytes) and answers; each arrives in
/// place with the schema in the family's native structured output.
#[tokio::test]
async fn image_and_document_parts_and_schemas_follow_each_documented_format() {
    use base64::Engine;
    use omc::attach::Attachment;
    use serde_json::json;
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let schema = omc::schema::OutputSchema::parse("name, age int").expect("schema");
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        for stream in [true, false] {
            let mut req = request(stream);
            req.schema = Some(schema.clone());
            let parts = &mut req.conversation.messages[0].parts;
            parts.insert(
                0,
                provider::Part::Attachment(Attachment::from_bytes("r.pdf", pdf).unwrap()),
            );
            parts.insert(
                0,
                provider::Part::Attachment(Attachment::from_bytes("p.png", png).unwrap()),
            );
            let (result, _) = chat_with(&client(), &fake, &req).await;
            result.unwrap_or_else(|e| panic!("{family:?}, stream {stream}: {e}"));
            let body = fake.requests().last().unwrap().json();
            match family {
                Family::OpenAi => {
                    assert_eq!(
                        body["messages"][1]["content"],
                        json!([
                            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(png))}},
                            {"type": "file", "file": {"filename": "r.pdf", "file_data": format!("data:application/pdf;base64,{}", b64(pdf))}},
                            {"type": "text", "text": "Say hello"},
                        ])
                    );
                    assert_eq!(
                        body["response_format"]["json_schema"]["schema"],
                        schema.schema
                    );
                    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
                }
                Family::Anthropic => {
                    assert_eq!(
                        body["messages"][0]["content"],
                        json!([
                            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(png)}},
                            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(pdf)}},
                            {"type": "text", "text": "Say hello"},
                        ])
                    );
                    assert_eq!(body["output_config"]["format"]["schema"], schema.schema);
                }
                Family::Gemini => {
                    assert_eq!(
                        body["contents"][0]["parts"],
                        json!([
                            {"inlineData": {"mimeType": "image/png", "data": b64(png)}},
                            {"inlineData": {"mimeType": "application/pdf", "data": b64(pdf)}},
                            {"text": "Say hello"},
                        ])
                    );
                    assert_eq!(
                        body["generationConfig"]["responseJsonSchema"],
                        schema.schema
                    );
                    assert_eq!(
                        body["generationConfig"]["responseMimeType"],
                        "application/json"
                    );
                }
            }
            assert_eq!(body["stream"].as_bool().unwrap_or(stream), stream);
        }
    }
}

#[tokio::test]
async fn anthropic_sends_a_default_max_tokens() {
    let fake = FakeProvider::start(Family::Anthropic).await;
    let mut req = request(false);
    req.max_tokens = None;
    req.conversation.system = None;
    chat_with(&client(), &fake, &req).await.0.expect("reply");
    let body = fake.requests()[0].json();
    assert_eq!(body["max_tokens"], 1024);
    assert!(body.get("system").is_none());
}

#[tokio::test]
async fn the_key_travels_only_in_its_header() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        chat(&fake, true).await.0.expect("streamed");
        chat(&fake, false).await.0.expect("unstreamed");
        models(&fake).await.expect("models");
        let header = match family {
            Family::OpenAi => "authorization",
            Family::Anthropic => "x-api-key",
            Family::Gemini => "x-goog-api-key",
        };
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 3);
        for r in reqs {
            assert!(
                !r.target.contains(KEY),
                "{family:?}: key in URL {}",
                r.target
            );
            assert!(!r.target.contains("key="), "{family:?}: {}", r.target);
            assert!(r.header(header).is_some_and(|v| v.ends_with(KEY)));
            assert_eq!(r.raw().matches(KEY).count(), 1, "{family:?}: {}", r.raw());
        }
    }
}

#[tokio::test]
async fn every_framing_case_yields_the_exact_text() {
    let mut all = Framing {
        crlf: true,
        comments: true,
        multiline_data: true,
        split_writes: true,
        one_write: false,
    };
    let mut cases = vec![
        ("lf", Framing::default()),
        (
            "crlf",
            Framing {
                crlf: true,
                ..Framing::default()
            },
        ),
        (
            "comments",
            Framing {
                comments: true,
                ..Framing::default()
            },
        ),
        (
            "multiline",
            Framing {
                multiline_data: true,
                ..Framing::default()
            },
        ),
        (
            "split",
            Framing {
                split_writes: true,
                ..Framing::default()
            },
        ),
        (
            "split-crlf",
            Framing {
                split_writes: true,
                crlf: true,
                ..Framing::default()
            },
        ),
        (
            "one-write",
            Framing {
                one_write: true,
                ..Framing::default()
            },
        ),
        ("all", all),
    ];
    all.split_writes = false;
    all.one_write = true;
    cases.push(("all-one-write", all));
    // Multi-byte characters, so split writes also cut inside UTF-8 sequences.
    let pieces = ["Grüße", ", wörld", " ✓ done", "\n\"quoted\""];
    for family in FAMILIES {
        for (name, framing) in &cases {
            let fake = FakeProvider::start(family).await;
            fake.set_default(Behaviour::Reply(Reply::text(&pieces).framing(*framing)));
            let (r, deltas) = chat(&fake, true).await;
            let r = r.unwrap_or_else(|e| panic!("{family:?}/{name}: {e:?}"));
            assert_eq!(texts(&deltas), pieces, "{family:?}/{name}");
            assert_eq!(r.text, pieces.concat());
            assert_eq!(r.usage.output_tokens, Some(4), "{family:?}/{name}");
            assert!(!r.usage.estimated);
        }
    }
}

#[tokio::test]
async fn usage_is_estimated_only_when_the_provider_gives_none() {
    let fake = FakeProvider::start(Family::OpenAi).await;
    fake.set_default(Behaviour::Reply(
        Reply::text(&["abcd", "efgh", "i"]).usage(None),
    ));
    for stream in [true, false] {
        let r = chat(&fake, stream).await.0.expect("reply");
        assert!(r.usage.estimated);
        assert_eq!(r.usage.output_tokens, Some(3)); // 9 chars
        assert_eq!(r.usage.input_tokens, Some(5)); // "Be brief." + "Say hello": 18 chars
    }
}

#[tokio::test]
async fn auth_errors_map_to_exit_5_and_are_not_retried() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        fake.push(Behaviour::auth_error(family));
        let (r, deltas) = chat(&fake, true).await;
        let e = r.expect_err("rejected key");
        assert_eq!(e.kind, ErrorKind::Auth, "{family:?}: {e:?}");
        assert_eq!(e.attempts, 1);
        assert_eq!(fake.served(), 1);
        assert!(deltas.is_empty());
        let expected_status = if family == Family::Gemini { 400 } else { 401 };
        assert_eq!(e.status, Some(expected_status));
        assert_eq!(exit_code(e), 5);
    }
}

#[tokio::test]
async fn a_wrong_key_is_refused_by_list_models_too() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        fake.expect_key("some-other-key-entirely");
        let e = models(&fake).await.expect_err("wrong key");
        assert_eq!(e.kind, ErrorKind::Auth, "{family:?}");
    }
}

#[tokio::test]
async fn openai_echoed_masked_key_is_redacted() {
    let fake = FakeProvider::start(Family::OpenAi).await;
    fake.push(Behaviour::auth_error(Family::OpenAi));
    let e = chat(&fake, false).await.0.expect_err("rejected");
    assert!(
        e.message
            .starts_with("Incorrect API key provided: [REDACTED]."),
        "{}",
        e.message
    );
    assert!(!e.message.contains("sk-bad1"));
}

#[tokio::test]
async fn a_canary_key_echoed_in_an_error_body_is_redacted_everywhere() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let body = format!(
            r#"{{"error":{{"message":"key {KEY} and AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv are not allowed","type":"invalid_request_error","code":"nope"}},"type":"error"}}"#
        );
        fake.push(Behaviour::error(403, body));
        let e = chat(&fake, false).await.0.expect_err("refused");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(KEY), "{family:?}: {shown}");
        assert!(!shown.contains("CANARY"), "{family:?}: {shown}");
        assert!(!shown.contains("AIzaSy"), "{family:?}: {shown}");
        assert!(e.message.contains("[REDACTED]"), "{family:?}: {shown}");
        let err = e.into_error("fake");
        assert_eq!(err.exit_code(), 5);
        assert!(!format!("{err} {err:?}").contains(KEY));
    }
}

#[tokio::test]
async fn long_error_bodies_are_cut() {
    let fake = FakeProvider::start(Family::OpenAi).await;
    fake.push(Behaviour::error(400, "x ".repeat(5000)));
    let e = chat(&fake, false).await.0.expect_err("refused");
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.chars().count() <= 301, "{}", e.message.len());
}

#[tokio::test]
async fn a_missing_model_is_model_not_found() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        fake.push(Behaviour::model_not_found(family, "nope-1"));
        let e = chat(&fake, true).await.0.expect_err("no model");
        assert_eq!(e.kind, ErrorKind::ModelNotFound, "{family:?}: {e:?}");
        assert!(e.falls_back());
        assert!(e.message.contains("nope-1"));
        assert_eq!(e.attempts, 1);
        assert_eq!(exit_code(e), 6);
    }
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() {
    for family in FAMILIES {
        for first in [
            Behaviour::rate_limited(family, None),
            Behaviour::server_error(family),
        ] {
            let fake = FakeProvider::start(family).await;
            fake.push(first.clone());
            let (r, deltas) = chat(&fake, true).await;
            let r = r.unwrap_or_else(|e| panic!("{family:?} after {first:?}: {e:?}"));
            assert_eq!(r.text, "Hello, world");
            assert_eq!(texts(&deltas).concat(), "Hello, world");
            assert_eq!(fake.served(), 2, "{family:?}");
        }
    }
    let fake = FakeProvider::start(Family::Anthropic).await;
    fake.push(Behaviour::overloaded());
    chat(&fake, false).await.0.expect("529 then 200");
    assert_eq!(fake.served(), 2);
}

#[tokio::test]
async fn retries_stop_at_the_bound_with_the_right_kind() {
    let cases = [
        (
            Family::OpenAi,
            Behaviour::rate_limited(Family::OpenAi, None),
            ErrorKind::RateLimited,
            7,
        ),
        (
            Family::Anthropic,
            Behaviour::rate_limited(Family::Anthropic, None),
            ErrorKind::RateLimited,
            7,
        ),
        (
            Family::Gemini,
            Behaviour::rate_limited(Family::Gemini, None),
            ErrorKind::RateLimited,
            7,
        ),
        (
            Family::OpenAi,
            Behaviour::server_error(Family::OpenAi),
            ErrorKind::Server,
            6,
        ),
        (
            Family::Anthropic,
            Behaviour::overloaded(),
            ErrorKind::Server,
            6,
        ),
        (
            Family::Gemini,
            Behaviour::unavailable(),
            ErrorKind::Server,
            6,
        ),
    ];
    for (family, behaviour, kind, code) in cases {
        let fake = FakeProvider::start(family).await;
        fake.set_default(behaviour);
        let e = chat(&fake, true).await.0.expect_err("always failing");
        assert_eq!(e.kind, kind, "{family:?}: {e:?}");
        assert_eq!(e.attempts, 3, "{family:?}");
        assert_eq!(fake.served(), 3);
        assert_eq!(exit_code(e), code);
    }
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let fake = FakeProvider::start(Family::OpenAi).await;
    fake.push(Behaviour::rate_limited(Family::OpenAi, Some("1")));
    let t = Instant::now();
    chat(&fake, false).await.0.expect("429 then 200");
    let waited = t.elapsed();
    // Backoff alone would be about 5 ms.
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_or_deadline_is_not_waited_for() {
    let fake = FakeProvider::start(Family::Anthropic).await;
    fake.push(Behaviour::rate_limited(Family::Anthropic, Some("3600")));
    let t = Instant::now();
    let e = chat(&fake, false).await.0.expect_err("gave up");
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.attempts, 1);
    assert!(t.elapsed() < Duration::from_secs(1));

    let fake = FakeProvider::start(Family::Anthropic).await;
    fake.push(Behaviour::rate_limited(Family::Anthropic, Some("2")));
    let client = Client::new(ClientOptions {
        total_timeout: Some(Duration::from_millis(500)),
        ..options()
    })
    .expect("client");
    let t = Instant::now();
    let e = chat_with(&client, &fake, &request(false))
        .await
        .0
        .expect_err("deadline");
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert!(t.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let fake = FakeProvider::start(Family::Gemini).await;
    fake.set_default(Behaviour::Hang);
    let client = Client::new(ClientOptions {
        read_timeout: Some(Duration::from_millis(300)),
        max_retries: 1,
        ..options()
    })
    .expect("client");
    let t = Instant::now();
    let e = chat_with(&client, &fake, &request(true))
        .await
        .0
        .expect_err("hang");
    let took = t.elapsed();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(
        e.attempts, 2,
        "timeouts before any response byte are retried"
    );
    assert!(
        took >= Duration::from_millis(600) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(exit_code(e), 6);

    // The total timeout bounds everything, retries included.
    let client = Client::new(ClientOptions {
        total_timeout: Some(Duration::from_millis(400)),
        ..options()
    })
    .expect("client");
    let t = Instant::now();
    let e = chat_with(&client, &fake, &request(false))
        .await
        .0
        .expect_err("hang");
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_refused_connection_is_a_connection_error_after_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let key = SecretString::from(KEY);
    let base = format!("http://127.0.0.1:{port}/v1");
    let target = Target {
        spec: provider::lookup("openai").expect("openai"),
        base_url: Some(&base),
        key: &key,
    };
    let e = client()
        .chat(&target, &request(true), &mut |_: Delta<'_>| {})
        .await
        .expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");
    assert_eq!(e.attempts, 3);
    assert!(!e.message.contains(KEY));
    assert_eq!(exit_code(e), 6);
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_is_an_error_never_success() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        fake.set_default(Behaviour::DropMidStream { tokens: 2 });
        let (r, deltas) = chat(&fake, true).await;
        let e = r.expect_err("dropped");
        assert_eq!(e.kind, ErrorKind::Connection, "{family:?}: {e:?}");
        assert_eq!(texts(&deltas), ["tok0", " tok1"], "{family:?}");
        assert_eq!(e.attempts, 1, "content was delivered: no retry");
        assert_eq!(fake.served(), 1);
        assert_eq!(exit_code(e), 6);
    }
}

#[tokio::test]
async fn an_error_event_mid_stream_is_an_error() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        fake.set_default(Behaviour::StreamError { tokens: 2 });
        let (r, deltas) = chat(&fake, true).await;
        let e = r.expect_err("error event");
        assert_eq!(e.kind, ErrorKind::Server, "{family:?}: {e:?}");
        assert!(e.message.contains("verloaded") || e.message.contains("server had an error"));
        assert_eq!(deltas.len(), 2);
        assert_eq!(e.attempts, 1);
        assert_eq!(exit_code(e), 6);
    }
}

#[tokio::test]
async fn an_error_event_before_any_text_is_retried() {
    let fake = FakeProvider::start(Family::Anthropic).await;
    fake.push(Behaviour::StreamError { tokens: 0 });
    let (r, deltas) = chat(&fake, true).await;
    assert_eq!(r.expect("retried").text, "Hello, world");
    assert_eq!(texts(&deltas), ["Hello", ",", " world"]);
    assert_eq!(fake.served(), 2);
}

#[tokio::test]
async fn malformed_replies_are_malformed() {
    for family in FAMILIES {
        for stream in [true, false] {
            let fake = FakeProvider::start(family).await;
            fake.set_default(Behaviour::Malformed);
            let e = chat(&fake, stream).await.0.expect_err("malformed");
            assert_eq!(
                e.kind,
                ErrorKind::Malformed,
                "{family:?} stream={stream}: {e:?}"
            );
            assert_eq!(e.attempts, 1);
            assert_eq!(exit_code(e), 6);
        }
    }
}

#[tokio::test]
async fn ttft_is_stamped_when_the_first_text_is_read() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let ttft = Duration::from_millis(50);
        fake.set_default(Behaviour::Reply(
            Reply::tokens(5).delays(ttft, Duration::from_millis(10)),
        ));
        // A warm connection, as in a benchmark, and the best of three runs: this machine is
        // shared, and a scheduler hiccup is not what this test is about.
        fake.push(Behaviour::Reply(Reply::text(&["warm"])));
        let client = client();
        chat_with(&client, &fake, &request(true))
            .await
            .0
            .expect("warm-up");
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let (r, deltas) = chat_with(&client, &fake, &request(true)).await;
            let r = r.expect("reply");
            let measured = r.ttft().expect("ttft");
            // The role-only chunk (OpenAI) and message_start/ping (Anthropic) arrive at once;
            // counting them would give a ttft near zero.
            assert!(measured >= ttft, "{family:?}: {measured:?}");
            best = best.min(measured);
            // Four token delays (40 ms): later tokens are stamped as they are read, not all
            // together. A first token read late on a loaded machine shortens the spread, so the
            // bound leaves room for that; stamps taken together would give about zero.
            let spread = r.last_token.expect("last") - r.first_token.expect("first");
            assert!(
                spread >= Duration::from_millis(20),
                "{family:?}: {spread:?}"
            );
            assert!(deltas.windows(2).all(|w| w[0].1 <= w[1].1));
            assert_eq!(r.first_token, Some(deltas[0].1));
        }
        assert!(
            best < ttft + Duration::from_millis(10),
            "{family:?}: {best:?}"
        );
    }
}

#[tokio::test]
async fn list_models_per_family() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let m = models(&fake).await.expect("models");
        assert!(m.contains(&"fake-model-1".to_owned()), "{family:?}: {m:?}");
        let r = &fake.requests()[0];
        assert_eq!(r.method, "GET");
        let path = r.target.split('?').next().unwrap_or_default().to_owned();
        let expected = match family {
            Family::OpenAi => "/v1/models",
            Family::Anthropic => "/v1/models",
            Family::Gemini => "/v1beta/models",
        };
        assert_eq!(path, expected);
        if family == Family::Anthropic {
            assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        }
    }
}

#[tokio::test]
async fn echo_needs_no_network() {
    let key = SecretString::from("unused");
    let target = Target {
        spec: provider::lookup("echo").expect("echo"),
        base_url: None,
        key: &key,
    };
    let c = client();
    assert_eq!(c.list_models(&target).await.expect("models"), ["echo-1"]);
    let mut req = request(true);
    req.model = "echo-1".into();
    let mut text = String::new();
    let r = c
        .chat(&target, &req, &mut |d: Delta<'_>| text.push_str(d.text))
        .await
        .expect("echo");
    assert_eq!(text, "echo: Say hello");
    assert_eq!(r.usage.output_tokens, Some(3));
    assert_eq!(r.usage.input_tokens, Some(4));
}

#[tokio::test]
async fn openai_compatible_without_a_base_url_is_a_usage_problem() {
    let key = SecretString::from(KEY);
    let target = Target {
        spec: provider::lookup("openai-compatible").expect("compatible"),
        base_url: None,
        key: &key,
    };
    let e = client()
        .chat(&target, &request(false), &mut |_: Delta<'_>| {})
        .await
        .expect_err("no base");
    assert_eq!(e.kind, ErrorKind::BadRequest);
    assert!(e.message.contains("--base-url"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_streams_share_the_pool() {
    let fake = FakeProvider::start(Family::OpenAi).await;
    fake.record(false);
    fake.set_default(Behaviour::Reply(Reply::tokens(16)));
    let client = client();
    let base = fake.base_url();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, base) = (client.clone(), base.clone());
        // Spawning proves the call's future is Send.
        tasks.push(tokio::spawn(async move {
            let key = SecretString::from(KEY);
            let target = Target {
                spec: provider::lookup("openai").expect("openai"),
                base_url: Some(&base),
                key: &key,
            };
            for _ in 0..25 {
                let r = client
                    .chat(&target, &request(true), &mut |_: Delta<'_>| {})
                    .await
                    .expect("reply");
                assert_eq!(r.chunks, 16);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(fake.served(), 400);
    // Keep-alive: connections are reused (about one per task), not one per request.
    assert!(
        fake.connections() <= 32,
        "{} connections",
        fake.connections()
    );
}

/// Capacity on loopback: many streamed requests through one client and one fake. Ignored by
/// default (it measures the machine as much as the code); run with
/// `cargo test --test provider_wire capacity -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn capacity_streamed_requests_per_second() {
    let fake = FakeProvider::start(Family::OpenAi).await;
    fake.record(false);
    fake.set_default(Behaviour::Reply(Reply::tokens(8)));
    let client = client();
    let base = fake.base_url();
    let (concurrency, per_task) = (32, 250);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base) = (client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let key = SecretString::from(KEY);
            let target = Target {
                spec: provider::lookup("openai").expect("openai"),
                base_url: Some(&base),
                key: &key,
            };
            let req = request(true);
            for _ in 0..per_task {
                client
                    .chat(&target, &req, &mut |_: Delta<'_>| {})
                    .await
                    .expect("reply");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let n = (concurrency * per_task) as f64;
    let rate = n / t.elapsed().as_secs_f64();
    println!(
        "{n} streamed requests in {:?} over {} connections: {rate:.0} req/s",
        t.elapsed(),
        fake.connections()
    );
    assert_eq!(fake.served(), n as u64);
}

#[tokio::test]
async fn trace_logs_never_contain_the_key() {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("sink").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded, so a thread-local default sees every event.
    let _guard = tracing::subscriber::set_default(subscriber);
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        fake.push(Behaviour::server_error(family));
        chat(&fake, true).await.0.expect("500 then 200");
        fake.push(Behaviour::auth_error(family));
        chat(&fake, false).await.0.expect_err("auth");
        models(&fake).await.expect("models");
    }
    let logs = String::from_utf8(sink.0.lock().expect("sink").clone()).expect("utf-8");
    assert!(
        logs.contains("provider request"),
        "tracing captured nothing: {logs}"
    );
    assert!(logs.contains("retrying provider request"));
    assert!(!logs.contains(KEY), "{logs}");
    assert!(!logs.contains("CANARY"));
    assert!(!logs.to_ascii_lowercase().contains("authorization"));
    assert!(!logs.contains("x-goog-api-key"));
}
