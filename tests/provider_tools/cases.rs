// Included twice by `tests/provider_tools.rs`, once per HTTP path (`LEAN_HTTP`).

use std::time::Duration;

use crate::support::fake_provider::{
    Behaviour, CallStyle, FakeCall, FakeProvider, Family, Framing, Reply, validate,
};
use omc::provider::{
    self, ChatRequest, ChatResponse, Client, ClientOptions, Conversation, ErrorKind, Event,
    FinishReason, Message, Opaque, Part, ProviderError, Role, Target, ToolCall, ToolChoice,
    ToolResult, ToolSpec,
};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "sk-test-CANARY0123456789abcdefXYZ";
const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];

/// Arguments whose pieces cut a `\"` escape, a `\u00e9` escape and sit next to a three-byte
/// character (which the split writes cut in the middle).
const ARG_PIECES: [&str; 5] = [
    r#"{"ci"#,
    r#"ty": "Paris \"#,
    r#""centre\" ☀"#,
    r#"", "note": "caf\u0"#,
    r#"0e9"}"#,
];

fn expected_args() -> Value {
    json!({"city": "Paris \"centre\" ☀", "note": "café"})
}

fn client() -> Client {
    Client::new(ClientOptions {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Some(Duration::from_secs(5)),
        total_timeout: None,
        max_retries: 0,
        backoff_base: Duration::from_millis(5),
        tls: false,
        lean_http: LEAN_HTTP,
    })
    .expect("client")
}

fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "weather".into(),
            description: "Weather for a city".into(),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}),
        },
        ToolSpec {
            name: "time".into(),
            description: "The time in a zone".into(),
            parameters: json!({"type": "object", "properties": {"tz": {"type": "string"}}}),
        },
    ]
}

fn request(conv: Conversation, stream: bool) -> ChatRequest {
    ChatRequest {
        tools: tools(),
        stream,
        max_tokens: Some(100),
        ..ChatRequest::new("fake-model-1", conv)
    }
}

fn first_turn() -> Conversation {
    Conversation::prompt(Some("Use tools.".into()), "Weather and time in Paris?")
}

/// What the callback saw: text pieces, and each call's id when it was handed out.
#[derive(Debug, Default)]
struct Seen {
    text: Vec<String>,
    calls: Vec<String>,
}

async fn converse(
    fake: &FakeProvider,
    req: &ChatRequest,
) -> (Result<ChatResponse, ProviderError>, Seen) {
    let key = SecretString::from(KEY);
    let base = fake.base_url();
    let target = Target {
        spec: provider::lookup(fake.family.provider_id()).expect("known provider"),
        base_url: Some(&base),
        key: &key,
    };
    let mut seen = Seen::default();
    let r = client()
        .converse(&target, req, &mut |e: Event<'_>| match e {
            Event::Text(d) => seen.text.push(d.text.to_owned()),
            Event::ToolCall { call, .. } => seen.calls.push(call.id.clone()),
        })
        .await;
    (r, seen)
}

fn weather_and_time(family: Family) -> Vec<FakeCall> {
    let mut w = FakeCall::pieces("call_w", "weather", &ARG_PIECES);
    let t = FakeCall::new("call_t", "time", r#"{"tz": "Europe/Paris"}"#);
    if family == Family::Gemini {
        // Gemini 3: only the first of parallel calls carries the signature.
        w = w.signature("sig-first-call");
    }
    vec![w, t]
}

fn calls_of(r: &ChatResponse) -> Vec<(String, String, Value)> {
    r.tool_calls()
        .map(|c| {
            (
                c.id.clone(),
                c.name.clone(),
                Value::Object(c.valid_arguments().expect("well-formed").clone()),
            )
        })
        .collect()
}

/// Also with every optional field the reply leaves out sent as `null`, as servers built on the
/// SDKs' types send them.
#[tokio::test]
async fn text_then_two_calls_streamed_and_whole_in_every_family() {
    for family in FAMILIES {
        for (stream, nulls) in [(true, false), (false, false), (true, true), (false, true)] {
            let fake = FakeProvider::start(family).await;
            let split = Framing {
                split_writes: true,
                ..Framing::default()
            };
            let mut reply =
                Reply::calls(&["Let me ", "check é."], weather_and_time(family)).framing(split);
            reply.nulls = nulls;
            fake.set_default(Behaviour::Reply(reply));
            let ctx = format!("{family:?} stream={stream} nulls={nulls}");
            let (r, seen) = converse(&fake, &request(first_turn(), stream)).await;
            let r = r.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            assert_eq!(r.text, "Let me check é.", "{ctx}");
            assert_eq!(seen.text.concat(), "Let me check é.", "{ctx}");
            assert_eq!(seen.text.len(), if stream { 2 } else { 1 }, "{ctx}");
            assert_eq!(
                calls_of(&r),
                [
                    ("call_w".into(), "weather".into(), expected_args()),
                    (
                        "call_t".into(),
                        "time".into(),
                        json!({"tz": "Europe/Paris"})
                    ),
                ],
                "{ctx}"
            );
            assert_eq!(seen.calls, ["call_w", "call_t"], "{ctx}");
            assert_eq!(r.finish, Some(FinishReason::ToolCalls), "{ctx}");
            assert_eq!(r.usage.input_tokens, Some(11), "{ctx}");
            assert!(!r.usage.estimated, "{ctx}");
            // Text first, then the calls, in the order they came.
            assert_eq!(r.message.role, Role::Assistant);
            assert!(
                matches!(&r.message.parts[0], Part::Text { text } if text == "Let me check é.")
            );
            if family == Family::Gemini {
                let sig = |c: &ToolCall| {
                    c.opaque
                        .as_ref()
                        .and_then(|o| o.data.get("thoughtSignature").cloned())
                };
                let calls: Vec<&ToolCall> = r.tool_calls().collect();
                assert_eq!(sig(calls[0]), Some(json!("sig-first-call")), "{ctx}");
                assert_eq!(sig(calls[1]), None, "{ctx}");
            }
        }
    }
}

#[tokio::test]
async fn two_and_three_parallel_calls_in_every_style() {
    let mut cases = Vec::new();
    for family in FAMILIES {
        cases.push((family, CallStyle::Standard));
    }
    cases.push((Family::OpenAi, CallStyle::ReuseIndex0));
    cases.push((Family::OpenAi, CallStyle::RepeatIdName));
    cases.push((Family::OpenAi, CallStyle::LlamaCpp));
    for (family, style) in cases {
        for n in [2, 3] {
            for stream in [true, false] {
                let fake = FakeProvider::start(family).await;
                let calls: Vec<FakeCall> = (0..n)
                    .map(|i| {
                        FakeCall::new(
                            &format!("call_{i}"),
                            "weather",
                            &format!(r#"{{"city": "c{i}", "n": {i}}}"#),
                        )
                    })
                    .collect();
                fake.set_default(Behaviour::Reply(Reply::calls(&[], calls).style(style)));
                let (r, seen) = converse(&fake, &request(first_turn(), stream)).await;
                let ctx = format!("{family:?} {style:?} n={n} stream={stream}");
                let r = r.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
                let got = calls_of(&r);
                let want: Vec<(String, String, Value)> = (0..n)
                    .map(|i| {
                        (
                            format!("call_{i}"),
                            "weather".to_owned(),
                            json!({"city": format!("c{i}"), "n": i}),
                        )
                    })
                    .collect();
                assert_eq!(got, want, "{ctx}");
                assert_eq!(seen.calls.len(), n, "{ctx}");
                assert_eq!(r.text, "", "{ctx}");
                assert_eq!(r.finish, Some(FinishReason::ToolCalls), "{ctx}");
            }
        }
    }
}

#[tokio::test]
async fn anthropic_thinking_is_kept_verbatim_and_replayed_in_place() {
    let fake = FakeProvider::start(Family::Anthropic).await;
    let mut reply = Reply::calls(&["Checking."], weather_and_time(Family::Anthropic));
    reply.thinking = Some(("Need the weather. Ünïcode.".into(), "sig-abc/+=".into()));
    fake.push(Behaviour::Reply(reply.clone()));
    let (r, _) = converse(&fake, &request(first_turn(), true)).await;
    let r = r.expect("reply");
    let expected = json!({"type": "thinking", "thinking": "Need the weather. Ünïcode.", "signature": "sig-abc/+="});
    assert_eq!(
        r.message.parts[0],
        Part::Opaque(Opaque {
            family: provider::Family::Anthropic,
            data: expected.clone()
        })
    );
    // Whole replies keep the block as sent.
    fake.push(Behaviour::Reply(reply));
    let (whole, _) = converse(&fake, &request(first_turn(), false)).await;
    assert_eq!(whole.expect("whole").message.parts[0], r.message.parts[0]);

    let mut conv = first_turn();
    conv.push(r.message.clone());
    conv.push(Message::tool_results(vec![
        ToolResult::ok("call_w", "18C"),
        ToolResult::ok("call_t", "10:00"),
    ]));
    converse(&fake, &request(conv, true))
        .await
        .0
        .expect("replayed");
    let body = fake.requests().last().unwrap().json();
    assert_eq!(body["messages"][1]["content"][0], expected);
}

#[tokio::test]
async fn gemini_signature_in_a_later_part_is_kept_and_replayed() {
    for stream in [true, false] {
        let fake = FakeProvider::start(Family::Gemini).await;
        let mut reply = Reply::calls(
            &[],
            vec![FakeCall::new("", "weather", r#"{"city": "Oslo"}"#)],
        );
        reply.late_signature = Some("sig-late".into());
        fake.push(Behaviour::Reply(reply));
        let (r, _) = converse(&fake, &request(first_turn(), stream)).await;
        let r = r.expect("reply");
        let call = r.tool_calls().next().expect("a call").clone();
        // Gemini sent no id: omc made one up, and does not send it back as Gemini's.
        assert!(call.id.starts_with("call_omc_"), "{}", call.id);
        assert_eq!(call.opaque, None);
        assert_eq!(
            r.message.parts.last(),
            Some(&Part::Opaque(Opaque {
                family: provider::Family::Gemini,
                data: json!({"text": "", "thoughtSignature": "sig-late"})
            }))
        );
        let mut conv = first_turn();
        conv.push(r.message.clone());
        conv.push(Message::tool_results(vec![ToolResult::ok(
            &call.id, "rain",
        )]));
        converse(&fake, &request(conv, stream))
            .await
            .0
            .expect("replayed");
        let body = fake.requests().last().unwrap().json();
        assert_eq!(
            body["contents"][1],
            json!({"role": "model", "parts": [
                {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}},
                {"text": "", "thoughtSignature": "sig-late"}
            ]})
        );
        assert_eq!(
            body["contents"][2],
            json!({"role": "user", "parts": [{"functionResponse": {"name": "weather", "response": {"output": "rain"}}}]})
        );
    }
}

/// A conversation as each family would have produced it: text, two calls (the first with the
/// family's opaque data), their results (the second an error), and a user follow-up.
fn replayed(family: provider::Family) -> Conversation {
    let mut w = ToolCall::new(
        "call_w",
        "weather",
        expected_args().as_object().unwrap().clone(),
    );
    let t = ToolCall::new(
        "call_t",
        "time",
        json!({"tz": "UTC"}).as_object().unwrap().clone(),
    );
    let mut parts = Vec::new();
    match family {
        provider::Family::Anthropic => parts.push(Part::Opaque(Opaque {
            family,
            data: json!({"type": "thinking", "thinking": "hmm", "signature": "s1"}),
        })),
        provider::Family::Gemini => {
            w.opaque = Some(Opaque {
                family,
                data: json!({"thoughtSignature": "g1", "id": "gem-id-1"}),
            })
        }
        _ => {}
    }
    parts.push(Part::text("Checking."));
    parts.push(Part::ToolCall(w));
    parts.push(Part::ToolCall(t));
    let mut conv = first_turn();
    conv.push(Message {
        role: Role::Assistant,
        parts,
    });
    conv.push(Message::tool_results(vec![
        ToolResult::ok("call_w", r#"{"temp": 18}"#),
        ToolResult::error("call_t", "no such zone"),
    ]));
    conv.push(Message::user("Thanks. And tomorrow?"));
    conv
}

#[tokio::test]
async fn exact_request_bodies_per_family() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let ours = provider::lookup(family.provider_id()).unwrap().family;
        let mut req = request(replayed(ours), true);
        req.tool_choice = ToolChoice::Named("weather".into());
        converse(&fake, &req)
            .await
            .0
            .unwrap_or_else(|e| panic!("{family:?}: {e:?}"));
        let body = fake.requests()[0].json();
        let args_text = expected_args().to_string();
        match family {
            Family::OpenAi => {
                assert_eq!(
                    body["messages"],
                    json!([
                        {"role": "system", "content": "Use tools."},
                        {"role": "user", "content": "Weather and time in Paris?"},
                        {"role": "assistant", "content": "Checking.", "tool_calls": [
                            {"id": "call_w", "type": "function", "function": {"name": "weather", "arguments": args_text}},
                            {"id": "call_t", "type": "function", "function": {"name": "time", "arguments": "{\"tz\":\"UTC\"}"}}
                        ]},
                        {"role": "tool", "tool_call_id": "call_w", "content": "{\"temp\": 18}"},
                        {"role": "tool", "tool_call_id": "call_t", "content": "Error: no such zone"},
                        {"role": "user", "content": "Thanks. And tomorrow?"}
                    ])
                );
                assert_eq!(
                    body["tools"][0],
                    json!({"type": "function", "function": {"name": "weather", "description": "Weather for a city", "parameters": tools()[0].parameters}})
                );
                assert_eq!(
                    body["tool_choice"],
                    json!({"type": "function", "function": {"name": "weather"}})
                );
            }
            Family::Anthropic => {
                assert_eq!(body["system"], "Use tools.");
                assert_eq!(
                    body["messages"],
                    json!([
                        {"role": "user", "content": "Weather and time in Paris?"},
                        {"role": "assistant", "content": [
                            {"type": "thinking", "thinking": "hmm", "signature": "s1"},
                            {"type": "text", "text": "Checking."},
                            {"type": "tool_use", "id": "call_w", "name": "weather", "input": expected_args()},
                            {"type": "tool_use", "id": "call_t", "name": "time", "input": {"tz": "UTC"}}
                        ]},
                        {"role": "user", "content": [
                            {"type": "tool_result", "tool_use_id": "call_w", "content": "{\"temp\": 18}"},
                            {"type": "tool_result", "tool_use_id": "call_t", "content": "no such zone", "is_error": true},
                            {"type": "text", "text": "Thanks. And tomorrow?"}
                        ]}
                    ])
                );
                assert_eq!(
                    body["tools"][1],
                    json!({"name": "time", "description": "The time in a zone", "input_schema": tools()[1].parameters})
                );
                assert_eq!(
                    body["tool_choice"],
                    json!({"type": "tool", "name": "weather"})
                );
            }
            Family::Gemini => {
                assert_eq!(
                    body["systemInstruction"],
                    json!({"parts": [{"text": "Use tools."}]})
                );
                assert_eq!(
                    body["contents"],
                    json!([
                        {"role": "user", "parts": [{"text": "Weather and time in Paris?"}]},
                        {"role": "model", "parts": [
                            {"text": "Checking."},
                            {"functionCall": {"name": "weather", "args": expected_args(), "id": "gem-id-1"}, "thoughtSignature": "g1"},
                            {"functionCall": {"name": "time", "args": {"tz": "UTC"}}}
                        ]},
                        {"role": "user", "parts": [
                            {"functionResponse": {"name": "weather", "response": {"temp": 18}, "id": "gem-id-1"}},
                            {"functionResponse": {"name": "time", "response": {"error": "no such zone"}}},
                            {"text": "Thanks. And tomorrow?"}
                        ]}
                    ])
                );
                assert_eq!(
                    body["tools"],
                    json!([{"functionDeclarations": [
                        {"name": "weather", "description": "Weather for a city", "parametersJsonSchema": tools()[0].parameters},
                        {"name": "time", "description": "The time in a zone", "parametersJsonSchema": tools()[1].parameters}
                    ]}])
                );
                assert_eq!(
                    body["toolConfig"],
                    json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}})
                );
            }
        }
        validate(family, &body).unwrap_or_else(|e| panic!("{family:?}: {e}"));
    }
}

#[tokio::test]
async fn tool_choice_spellings() {
    let cases = [
        (
            ToolChoice::Auto,
            json!("auto"),
            json!({"type": "auto"}),
            json!("AUTO"),
        ),
        (
            ToolChoice::None,
            json!("none"),
            json!({"type": "none"}),
            json!("NONE"),
        ),
        (
            ToolChoice::Required,
            json!("required"),
            json!({"type": "any"}),
            json!("ANY"),
        ),
    ];
    for (choice, openai, anthropic, gemini) in cases {
        for family in FAMILIES {
            let fake = FakeProvider::start(family).await;
            let mut req = request(first_turn(), false);
            req.tool_choice = choice.clone();
            converse(&fake, &req).await.0.expect("reply");
            let body = fake.requests()[0].json();
            match family {
                Family::OpenAi => assert_eq!(body["tool_choice"], openai),
                Family::Anthropic => assert_eq!(body["tool_choice"], anthropic),
                Family::Gemini => {
                    assert_eq!(body["toolConfig"]["functionCallingConfig"]["mode"], gemini)
                }
            }
        }
    }
    // No tools: nothing about tools is sent.
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let req = ChatRequest::prompt("fake-model-1", None, "hi");
        converse(&fake, &req).await.0.expect("reply");
        let body = fake.requests()[0].raw();
        assert!(!body.contains("tool"), "{family:?}: {body}");
    }
}

#[tokio::test]
async fn a_conversation_moves_between_families() {
    for from in FAMILIES {
        // A real reply from `from`, with its opaque data, then the results.
        let source = FakeProvider::start(from).await;
        let mut reply = Reply::calls(&["On it."], weather_and_time(from));
        if from == Family::Anthropic {
            reply.thinking = Some(("think".into(), "sig-t".into()));
        }
        source.push(Behaviour::Reply(reply));
        let (r, _) = converse(&source, &request(first_turn(), true)).await;
        let r = r.unwrap_or_else(|e| panic!("{from:?}: {e:?}"));
        let mut conv = first_turn();
        conv.push(r.message.clone());
        let results = r
            .tool_calls()
            .map(|c| ToolResult::ok(&c.id, format!("done {}", c.name)))
            .collect();
        conv.push(Message::tool_results(results));
        for to in FAMILIES {
            let fake = FakeProvider::start(to).await;
            let (sent, _) = converse(&fake, &request(conv.clone(), true)).await;
            // The fake answers 400 to anything its API would refuse.
            sent.unwrap_or_else(|e| panic!("{from:?} -> {to:?}: {e:?}"));
            let raw = fake.requests()[0].body.clone();
            validate(to, &serde_json::from_str(&raw).unwrap()).unwrap();
            let carried = |needle: &str| raw.contains(needle);
            // Opaque data goes back to its own family only.
            assert_eq!(
                carried("sig-t"),
                from == Family::Anthropic && to == Family::Anthropic,
                "{from:?} -> {to:?}: {raw}"
            );
            assert_eq!(
                carried("sig-first-call"),
                from == Family::Gemini && to == Family::Gemini,
                "{from:?} -> {to:?}: {raw}"
            );
            assert!(carried("done weather") && carried("done time"), "{raw}");
        }
    }
}

#[tokio::test]
async fn malformed_arguments_are_an_error_for_that_call_only() {
    for family in [Family::OpenAi, Family::Anthropic] {
        for stream in [true, false] {
            if family == Family::Anthropic && !stream {
                // A whole Anthropic reply carries `input` as an object: it cannot be malformed.
                continue;
            }
            let fake = FakeProvider::start(family).await;
            let bad = FakeCall::pieces("call_bad", "weather", &[r#"{"city": "#, r#""Par"#]);
            let good = FakeCall::new("call_ok", "time", r#"{"tz": "UTC"}"#);
            fake.push(Behaviour::Reply(Reply::calls(&[], vec![bad, good])));
            let (r, seen) = converse(&fake, &request(first_turn(), stream)).await;
            let ctx = format!("{family:?} stream={stream}");
            let r = r.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            assert_eq!(seen.calls, ["call_bad", "call_ok"], "{ctx}");
            let calls: Vec<&ToolCall> = r.tool_calls().collect();
            let e = calls[0].valid_arguments().expect_err("malformed");
            assert_eq!(e.kind, ErrorKind::Malformed, "{ctx}");
            assert!(
                e.message.contains("'weather' (call_bad)"),
                "{ctx}: {}",
                e.message
            );
            assert_eq!(calls[0].arguments_text(), r#"{"city": "Par"#);
            assert!(calls[0].arguments.is_empty(), "never silently filled in");
            assert_eq!(calls[1].valid_arguments().unwrap()["tz"], "UTC");
        }
    }
}

#[tokio::test]
async fn a_stream_that_ends_inside_a_call_is_a_connection_error() {
    for family in [Family::OpenAi, Family::Anthropic] {
        let fake = FakeProvider::start(family).await;
        let mut reply = Reply::calls(&["Hm."], weather_and_time(family));
        reply.cut_in_call = true;
        fake.push(Behaviour::Reply(reply));
        let (r, seen) = converse(&fake, &request(first_turn(), true)).await;
        let e = r.expect_err("cut off");
        assert_eq!(e.kind, ErrorKind::Connection, "{family:?}: {e:?}");
        assert!(
            e.message.contains("inside tool call 'time' (call_t)"),
            "{family:?}: {}",
            e.message
        );
        // The call that was complete was handed out; the cut one never was.
        let want: &[&str] = if family == Family::Anthropic {
            &["call_w"]
        } else {
            &[]
        };
        assert_eq!(seen.calls, want, "{family:?}");
        assert_eq!(e.into_error("fake").exit_code(), 6);
    }
}

#[tokio::test]
async fn a_result_for_an_unknown_call_is_refused_before_sending() {
    for family in FAMILIES {
        let fake = FakeProvider::start(family).await;
        let mut conv = replayed(provider::Family::OpenAi);
        conv.push(Message::tool_results(vec![ToolResult::ok(
            "call_nope",
            "x",
        )]));
        let (r, _) = converse(&fake, &request(conv, true)).await;
        let e = r.expect_err("unknown id");
        assert_eq!(e.kind, ErrorKind::BadRequest, "{family:?}");
        assert!(e.message.contains("'call_nope'"), "{}", e.message);
        assert_eq!(fake.served(), 0, "nothing is sent");
    }
}

#[tokio::test]
async fn openai_compatible_quirks_in_whole_replies() {
    // Arguments as an object rather than JSON text, and no id: both taken.
    let fake = FakeProvider::start(Family::OpenAi).await;
    let body = json!({"id": "x", "object": "chat.completion", "model": "m", "choices": [{"index": 0,
        "message": {"role": "assistant", "content": null, "tool_calls": [
            {"type": "function", "function": {"name": "weather", "arguments": {"city": "Rome"}}}
        ]}, "finish_reason": "stop"}]});
    fake.push(Behaviour::Error {
        status: 200,
        body: body.to_string(),
        headers: Vec::new(),
    });
    let (r, _) = converse(&fake, &request(first_turn(), false)).await;
    let r = r.expect("reply");
    let c = r.tool_calls().next().unwrap();
    assert_eq!(c.valid_arguments().unwrap()["city"], "Rome");
    assert!(!c.id.is_empty());
    // Older Ollama says `stop` after tool calls.
    assert_eq!(r.finish, Some(FinishReason::ToolCalls));
}
