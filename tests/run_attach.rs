//! `omc run -a FILE` through the real binary against local fakes of each family: images, PDFs
//! and text files arrive in the family's own shape, standard input can be the attachment, and
//! a type or size a provider does not take is refused by omc before anything is sent.

#[path = "support/common.rs"]
mod common;
mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::json;
use support::fake_provider::Family;
use support::server::Fake;

const FAMILIES: [Family; 3] = [Family::OpenAi, Family::Anthropic, Family::Gemini];
/// A PNG's signature and the start of its header: what omc reads the type from.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0xfe,
];

fn key(family: Family) -> String {
    format!("sk-{}-GOODKEY-4f1c9a7e2b", family.provider_id())
}

fn home_with(fake: &Fake, provider: &str, family: Family) -> Home {
    let home = Home::new();
    ok(&run_stdin(
        home.cmd().args([
            "add",
            provider,
            "--base-url",
            &fake.server().base_url(),
            "--key-stdin",
            "--no-validate",
        ]),
        &key(family),
    ));
    home
}

/// Writes `files` into the home and returns their paths as arguments.
fn files(home: &Home, files: &[(&str, &[u8])]) -> Vec<String> {
    files
        .iter()
        .map(|(name, bytes)| {
            let path = home.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path.to_str().unwrap().to_owned()
        })
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `omc run PROMPT -a FILE…` plus `extra`.
fn run_with(home: &Home, prompt: &str, attached: &[String], extra: &[&str]) -> Output {
    let mut cmd = home.cmd();
    cmd.args(["run", prompt]);
    for a in attached {
        cmd.args(["-a", a]);
    }
    run(cmd.args(extra))
}

/// `cmd` with `input` (any bytes) on stdin.
fn run_bytes(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

const NOTES: &str = "<document name=\"notes.txt\">\nline one\nline two\n</document>";

#[test]
fn each_family_gets_images_pdfs_and_text_in_its_own_shape() {
    for family in FAMILIES {
        let fake = Fake::start(family, &key(family));
        let home = home_with(&fake, family.provider_id(), family);
        let attached = files(
            &home,
            &[
                ("p.png", PNG),
                ("r.pdf", PDF),
                ("notes.txt", b"line one\nline two\n"),
            ],
        );
        for extra in [&[][..], &["--no-stream"][..]] {
            ok(&run_with(&home, "describe", &attached, extra));
            let body = fake.server().requests().last().unwrap().json();
            match family {
                Family::OpenAi => assert_eq!(
                    body["messages"],
                    json!([{"role": "user", "content": [
                        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", b64(PNG))}},
                        {"type": "file", "file": {"filename": "r.pdf", "file_data": format!("data:application/pdf;base64,{}", b64(PDF))}},
                        {"type": "text", "text": NOTES},
                        {"type": "text", "text": "describe"},
                    ]}]),
                    "{extra:?}"
                ),
                Family::Anthropic => assert_eq!(
                    body["messages"],
                    json!([{"role": "user", "content": [
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)}},
                        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(PDF)}},
                        {"type": "text", "text": NOTES},
                        {"type": "text", "text": "describe"},
                    ]}]),
                    "{extra:?}"
                ),
                Family::Gemini => assert_eq!(
                    body["contents"],
                    json!([{"role": "user", "parts": [
                        {"inlineData": {"mimeType": "image/png", "data": b64(PNG)}},
                        {"inlineData": {"mimeType": "application/pdf", "data": b64(PDF)}},
                        {"text": NOTES},
                        {"text": "describe"},
                    ]}]),
                    "{extra:?}"
                ),
            }
        }
    }
}

#[test]
fn standard_input_is_attached_as_binary_and_the_prompt_is_the_argument() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, "openai", family);
    // Not UTF-8: read as bytes, typed by its signature.
    let out = run_bytes(home.cmd().args(["run", "-a", "-", "what is this?"]), JPEG);
    ok(&out);
    let body = fake.server().requests().last().unwrap().json();
    assert_eq!(
        body["messages"][0]["content"],
        json!([
            {"type": "image_url", "image_url": {"url": format!("data:image/jpeg;base64,{}", b64(JPEG))}},
            {"type": "text", "text": "what is this?"},
        ])
    );
    // Without an argument there is no prompt: stdin was the attachment.
    let out = run_bytes(home.cmd().args(["run", "-a", "-"]), JPEG);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("give the prompt as an argument"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_type_the_provider_does_not_take_is_refused_before_anything_is_sent() {
    let cases: [(&str, Family, &str, &[u8], &str); 3] = [
        (
            "gemini",
            Family::Gemini,
            "a.gif",
            b"GIF89a\x01\0\x01\0",
            "a.gif is a GIF image, which Gemini does not document taking",
        ),
        (
            "openai-compatible",
            Family::OpenAi,
            "r.pdf",
            PDF,
            "r.pdf is a PDF, which openai-compatible does not document taking",
        ),
        (
            "deepseek",
            Family::OpenAi,
            "p.png",
            PNG,
            "p.png is a PNG image, which deepseek does not document taking",
        ),
    ];
    for (provider, family, name, bytes, want) in cases {
        let fake = Fake::start(family, &key(family));
        let home = home_with(&fake, provider, family);
        let attached = files(&home, &[(name, bytes)]);
        let out = run_with(&home, "describe", &attached, &[]);
        assert_eq!(code(&out), 2, "{provider}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{provider}: {}", stderr(&out));
        assert!(
            fake.server().requests().is_empty(),
            "{provider}: a request was sent"
        );
    }
}

#[test]
fn a_file_over_the_providers_limit_is_refused_naming_the_limit() {
    let family = Family::Anthropic;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, "anthropic", family);
    // 4 MiB of PNG is 5.3 MiB of base64: over Anthropic's 5 MiB an image.
    let mut big = PNG.to_vec();
    big.resize(4 << 20, 0);
    let attached = files(&home, &[("big.png", &big)]);
    let out = run_with(&home, "describe", &attached, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "big.png is 5.3 MiB as sent (base64); Anthropic takes images of at most 5.0 MiB each"
        ),
        "{}",
        stderr(&out)
    );
    assert!(fake.server().requests().is_empty());
}

#[test]
fn the_echo_provider_acknowledges_attachments_offline() {
    let home = Home::new();
    ok(&home.add("echo", "e", "x"));
    let attached = files(&home, &[("p.png", PNG), ("notes.txt", b"hello\n")]);
    let out = ok(&run_with(&home, "describe", &attached, &[]));
    assert_eq!(
        out,
        format!(
            "echo: [image/png {} bytes] [text/plain 6 bytes] describe",
            PNG.len()
        )
    );
}

#[test]
fn what_is_not_an_image_pdf_or_text_is_refused() {
    let home = Home::new();
    ok(&home.add("echo", "e", "x"));
    let attached = files(&home, &[("data.bin", b"\x00\x01\x02\xff")]);
    let out = run_with(&home, "describe", &attached, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "cannot attach data.bin: not a PNG, JPEG, WebP or GIF image, a PDF, or UTF-8 text"
        ),
        "{}",
        stderr(&out)
    );
    let dir = home.path().to_str().unwrap().to_owned();
    let out = run_with(&home, "describe", &[dir], &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_text_only_model_is_refused_and_a_fallback_is_checked_too() {
    let family = Family::OpenAi;
    let fake = Fake::start(family, &key(family));
    let home = home_with(&fake, "openai", family);
    let attached = files(&home, &[("p.png", PNG)]);
    let out = run_with(&home, "describe", &attached, &["--model", "gpt-3.5-turbo"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("p.png is a PNG image, and the model gpt-3.5-turbo takes text only"),
        "{}",
        stderr(&out)
    );
    // A fallback that cannot take the file stops the run before the first is asked.
    let gemini = Fake::start(Family::Gemini, &key(Family::Gemini));
    ok(&run_stdin(
        home.cmd().args([
            "add",
            "gemini",
            "--base-url",
            &gemini.server().base_url(),
            "--key-stdin",
            "--no-validate",
        ]),
        &key(Family::Gemini),
    ));
    let gif = files(&home, &[("a.gif", b"GIF89a\x01\0\x01\0")]);
    let out = run_with(&home, "describe", &gif, &["--fallback", "gemini"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("a.gif is a GIF image, which Gemini"),
        "{}",
        stderr(&out)
    );
    assert!(fake.server().requests().is_empty() && gemini.server().requests().is_empty());
}
