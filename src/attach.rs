//! Attachments (`omc run -a FILE`): images (PNG, JPEG, WebP, GIF), PDF and text files, their
//! type told from their bytes, and what each provider documents it takes, checked before
//! anything is sent.
//!
//! An attachment is a part of a user message ([`crate::provider::Part::Attachment`]), so a
//! stored conversation carries it; each family renders it in its own format
//! (`src/provider/{openai,anthropic,gemini}.rs`). Text files go as text, to every family.
//!
//! # Why no crate for the type
//!
//! Five signatures (PNG, JPEG, GIF, WebP, PDF) are a few bytes each and documented by their
//! formats; a sniffing crate would bring hundreds more omc does not send. Anything else that is
//! UTF-8 without NUL bytes is text; the rest is refused, naming what is taken.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::bounded::Limit;
use crate::error::{Error, Result};
use crate::provider::{Conversation, Family, Part, ProviderSpec};

/// What omc sends a file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Png,
    Jpeg,
    Webp,
    Gif,
    Pdf,
    Text,
}

impl Kind {
    /// The canonical media type (the providers check it against the bytes).
    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Webp => "image/webp",
            Kind::Gif => "image/gif",
            Kind::Pdf => "application/pdf",
            Kind::Text => "text/plain",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Webp | Kind::Gif)
    }

    /// The name users know it by, for errors.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Png => "PNG image",
            Kind::Jpeg => "JPEG image",
            Kind::Webp => "WebP image",
            Kind::Gif => "GIF image",
            Kind::Pdf => "PDF",
            Kind::Text => "text file",
        }
    }

    /// The type of `bytes` by their signature; UTF-8 without NUL bytes is text.
    pub fn detect(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Kind::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Kind::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Kind::Pdf)
        } else if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
            Some(Kind::Text)
        } else {
            None
        }
    }
}

/// A file attached to a user message: its name, type and bytes (base64, as every family sends
/// them). `Debug` shows the size, never the bytes.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file's name without its directories (`stdin` for `-a -`): OpenAI wants one for
    /// PDFs, and errors name it.
    pub name: String,
    pub kind: Kind,
    /// The bytes' length before encoding.
    pub size: u64,
    /// The bytes, standard base64.
    pub data: String,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Attachment {
    /// `bytes` named `name`, typed by their signature.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Attachment> {
        let kind = Kind::detect(bytes).ok_or_else(|| {
            Error::usage_hint(
                format!(
                    "cannot attach {}: not a PNG, JPEG, WebP or GIF image, a PDF, or UTF-8 text",
                    crate::terminal::line(name)
                ),
                "attach images, PDFs or text files (the type is read from the file's bytes)",
            )
        })?;
        Ok(Attachment {
            name: name.to_owned(),
            kind,
            size: bytes.len() as u64,
            data: STANDARD.encode(bytes),
        })
    }

    /// `-a FILE`: a regular file, at most [`Limit::ATTACHMENT`]; `-a -`: standard input.
    pub fn load(arg: &Path) -> Result<Attachment> {
        if arg.as_os_str() == "-" {
            let bytes =
                crate::bounded::read(std::io::stdin(), "standard input", Limit::ATTACHMENT)?;
            return Attachment::from_bytes("stdin", &bytes);
        }
        let bytes = crate::bounded::read_file(arg, Limit::ATTACHMENT)?;
        let name = arg.file_name().map_or_else(
            || arg.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Attachment::from_bytes(&name, &bytes)
    }

    pub fn media_type(&self) -> &'static str {
        self.kind.media_type()
    }

    /// `data:MEDIA;base64,…`, as OpenAI takes images and files.
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.media_type(), self.data)
    }

    /// A text attachment as the text part every family is sent: the file's name, then its text.
    pub fn as_text(&self) -> String {
        let bytes = STANDARD.decode(&self.data).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end_matches(['\n', '\r']);
        format!("<document name=\"{}\">\n{text}\n</document>", self.name)
    }

    /// Bytes on the wire: the base64 text.
    fn sent_size(&self) -> u64 {
        self.data.len() as u64
    }
}

/// Every `-a` in order; `-` (standard input) at most once.
pub fn load_all(args: &[std::path::PathBuf]) -> Result<Vec<Attachment>> {
    if args.iter().filter(|a| a.as_os_str() == "-").count() > 1 {
        return Err(Error::usage("standard input can be attached once (-a -)"));
    }
    args.iter().map(|a| Attachment::load(a)).collect()
}

/// Puts `attachments` at the start of the last user message (before its text, where the
/// providers' guides put images).
pub fn attach_to(conv: &mut Conversation, attachments: &[Attachment]) {
    if attachments.is_empty() {
        return;
    }
    if let Some(m) = conv
        .messages
        .iter_mut()
        .rev()
        .find(|m| m.role == crate::provider::Role::User)
    {
        let parts = attachments.iter().cloned().map(Part::Attachment);
        m.parts.splice(0..0, parts);
    }
}

/// What a provider documents it takes: the kinds, and the sizes (as sent, base64) it refuses
/// above.
struct Support {
    /// Who says so, for errors ("OpenAI", "Anthropic", "Gemini", the provider's id).
    who: &'static str,
    kinds: &'static [Kind],
    /// Most bytes of one image.
    image_each: Option<u64>,
    /// Most bytes of all PDFs together.
    pdf_total: Option<u64>,
    /// Most bytes of all attachments together (the request's own limit).
    total: Option<u64>,
}

const MIB: u64 = 1024 * 1024;
const ALL: &[Kind] = &[
    Kind::Png,
    Kind::Jpeg,
    Kind::Webp,
    Kind::Gif,
    Kind::Pdf,
    Kind::Text,
];
const IMAGES_AND_TEXT: &[Kind] = &[Kind::Png, Kind::Jpeg, Kind::Webp, Kind::Gif, Kind::Text];

/// Each provider's documented types and limits. OpenAI: images in PNG, JPEG, WebP and GIF, PDFs
/// as `file` parts up to 32 MB together, 50 MB a request. Anthropic: images up to 5 MB each,
/// PDFs, 32 MB a request. Gemini: PNG, JPEG, WebP (no GIF), PDFs, 20 MB a request inline.
/// OpenAI-compatible servers other than OpenAI's and OpenRouter's document images only (xAI:
/// JPEG and PNG; DeepSeek: none).
fn support(spec: &ProviderSpec) -> Support {
    let s = |who, kinds, image_each, pdf_total, total| Support {
        who,
        kinds,
        image_each,
        pdf_total,
        total,
    };
    match (spec.family, spec.id) {
        (Family::Echo, _) => s("echo", ALL, None, None, None),
        (Family::Anthropic, _) => s("Anthropic", ALL, Some(5 * MIB), None, Some(32 * MIB)),
        (Family::Gemini, _) => s(
            "Gemini",
            &[Kind::Png, Kind::Jpeg, Kind::Webp, Kind::Pdf, Kind::Text],
            None,
            None,
            Some(20 * MIB),
        ),
        (Family::OpenAi, "openai") => s("OpenAI", ALL, None, Some(32 * MIB), Some(50 * MIB)),
        (Family::OpenAi, "openrouter") => s("openrouter", ALL, None, None, Some(50 * MIB)),
        (Family::OpenAi, "deepseek") => s("deepseek", &[Kind::Text], None, None, None),
        (Family::OpenAi, "xai") => s(
            "xai",
            &[Kind::Png, Kind::Jpeg, Kind::Text],
            Some(20 * MIB),
            None,
            None,
        ),
        (Family::OpenAi, id) => s(id, IMAGES_AND_TEXT, None, None, Some(50 * MIB)),
    }
}

/// Models their provider documents as taking text only, though it takes files for others:
/// OpenAI's GPT-3.5 and its o1-mini and o3-mini have no vision and no file input.
fn text_only_model(spec: &ProviderSpec, model: &str) -> bool {
    let model = model.rsplit('/').next().unwrap_or(model);
    spec.id == "openai"
        && ["gpt-3.5", "o1-mini", "o3-mini"]
            .iter()
            .any(|p| model.starts_with(p))
}

/// Why `spec` (asked for `model`) cannot be sent the attachments of `conv`, if it cannot: a
/// message naming the file and the type or limit, and a hint. Checked before every request is
/// built.
pub fn refusal(spec: &ProviderSpec, model: &str, conv: &Conversation) -> Option<(String, String)> {
    let attachments: Vec<&Attachment> = conv
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Attachment(a) => Some(a),
            _ => None,
        })
        .collect();
    if attachments.is_empty() {
        return None;
    }
    let sup = support(spec);
    let shown = |a: &Attachment| crate::terminal::line(&a.name).into_owned();
    if let Some(a) = attachments.iter().find(|a| a.kind != Kind::Text)
        && text_only_model(spec, model)
    {
        return Some((
            format!(
                "{} is a {}, and the model {} takes text only",
                shown(a),
                a.kind.label(),
                crate::terminal::line(model)
            ),
            "choose a model that takes images and files (--model)".into(),
        ));
    }
    for a in &attachments {
        if !sup.kinds.contains(&a.kind) {
            let takes: Vec<&str> = sup.kinds.iter().map(|k| k.label()).collect();
            return Some((
                format!(
                    "{} is a {}, which {} does not document taking (it takes: {})",
                    shown(a),
                    a.kind.label(),
                    sup.who,
                    takes.join(", ")
                ),
                "convert the file (e.g. GIF to PNG), or run it with a provider that takes it (--credential)".into(),
            ));
        }
        if let Some(max) = sup.image_each
            && a.kind.is_image()
            && a.sent_size() > max
        {
            return Some((
                format!(
                    "{} is {} as sent (base64); {} takes images of at most {} each",
                    shown(a),
                    mib(a.sent_size()),
                    sup.who,
                    mib(max)
                ),
                "make the image smaller (resize or re-encode it)".into(),
            ));
        }
    }
    let sum = |f: &dyn Fn(&Attachment) -> bool| -> u64 {
        attachments
            .iter()
            .filter(|a| f(a))
            .map(|a| a.sent_size())
            .sum()
    };
    let names = |f: &dyn Fn(&Attachment) -> bool| -> String {
        attachments
            .iter()
            .filter(|a| f(a))
            .map(|a| shown(a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(max) = sup.pdf_total {
        let pdf = |a: &Attachment| a.kind == Kind::Pdf;
        if sum(&pdf) > max {
            return Some((
                format!(
                    "{} {} as sent (base64); {} takes at most {} of PDFs in a request",
                    names(&pdf),
                    is_are(sum(&pdf), &pdf, &attachments),
                    sup.who,
                    mib(max)
                ),
                "send fewer or smaller PDFs".into(),
            ));
        }
    }
    if let Some(max) = sup.total {
        let any = |_: &Attachment| true;
        if sum(&any) > max {
            return Some((
                format!(
                    "{} {} as sent (base64); {} takes at most {} of attachments in a request",
                    names(&any),
                    is_are(sum(&any), &any, &attachments),
                    sup.who,
                    mib(max)
                ),
                "send fewer or smaller files".into(),
            ));
        }
    }
    None
}

fn is_are(total: u64, f: &dyn Fn(&Attachment) -> bool, all: &[&Attachment]) -> String {
    let n = all.iter().filter(|a| f(a)).count();
    if n == 1 {
        format!("is {}", mib(total))
    } else {
        format!("are {} together", mib(total))
    }
}

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / MIB as f64)
}

/// [`refusal`] as the usage error `omc run` gives before sending anything (exit 2).
pub fn check(spec: &ProviderSpec, model: &str, conv: &Conversation) -> Result<()> {
    match refusal(spec, model, conv) {
        Some((message, hint)) => Err(Error::usage_hint(message, hint)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{Message, Role, lookup};

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(Kind::detect(PNG), Some(Kind::Png));
        assert_eq!(Kind::detect(&[0xff, 0xd8, 0xff, 0xe0, 0]), Some(Kind::Jpeg));
        assert_eq!(Kind::detect(b"GIF89a\x01\0"), Some(Kind::Gif));
        assert_eq!(Kind::detect(b"RIFF\x24\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(Kind::detect(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(Kind::detect(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(Kind::detect("héllo\n".as_bytes()), Some(Kind::Text));
        assert_eq!(Kind::detect(b"a\0b"), None);
        assert_eq!(Kind::detect(&[0xfe, 0xff, 0x41]), None);
        // A PNG named .txt is a PNG; text named .png is text.
        let a = Attachment::from_bytes("notes.txt", PNG).unwrap();
        assert_eq!(a.media_type(), "image/png");
        assert!(Attachment::from_bytes("x.bin", b"\0\x01").is_err());
    }

    #[test]
    fn debug_shows_no_bytes_and_serde_round_trips() {
        let a = Attachment::from_bytes("p.png", PNG).unwrap();
        let shown = format!("{a:?}");
        assert!(!shown.contains(&a.data), "{shown}");
        assert!(shown.contains("size: 16"), "{shown}");
        let v = serde_json::to_value(Part::Attachment(a.clone())).unwrap();
        assert_eq!(v["type"], "attachment");
        assert_eq!(v["kind"], "png");
        assert_eq!(
            serde_json::from_value::<Part>(v).unwrap(),
            Part::Attachment(a)
        );
    }

    fn conv(files: &[(&str, Vec<u8>)]) -> Conversation {
        let mut parts: Vec<Part> = files
            .iter()
            .map(|(n, b)| Part::Attachment(Attachment::from_bytes(n, b).unwrap()))
            .collect();
        parts.push(Part::text("describe"));
        Conversation {
            system: None,
            messages: vec![Message {
                role: Role::User,
                parts,
            }],
        }
    }

    #[test]
    fn each_provider_gets_only_what_it_documents() {
        let gif = conv(&[("a.gif", b"GIF89a".to_vec())]);
        let (m, _) = refusal(lookup("gemini").unwrap(), "m", &gif).unwrap();
        assert!(m.contains("a.gif is a GIF image, which Gemini"), "{m}");
        assert!(refusal(lookup("anthropic").unwrap(), "m", &gif).is_none());
        let pdf = conv(&[("r.pdf", b"%PDF-1.4".to_vec())]);
        assert!(refusal(lookup("openai").unwrap(), "m", &pdf).is_none());
        let (m, _) = refusal(lookup("groq").unwrap(), "m", &pdf).unwrap();
        assert!(m.contains("r.pdf is a PDF, which groq"), "{m}");
        assert!(refusal(lookup("openai-compatible").unwrap(), "m", &pdf).is_some());
        assert!(refusal(lookup("echo").unwrap(), "m", &pdf).is_none());
        let png = conv(&[("p.png", PNG.to_vec())]);
        assert!(refusal(lookup("deepseek").unwrap(), "m", &png).is_some());
        // A model documented as text-only, even where its provider takes files.
        let (m, _) = refusal(lookup("openai").unwrap(), "gpt-3.5-turbo", &png).unwrap();
        assert!(m.contains("the model gpt-3.5-turbo takes text only"), "{m}");
        assert!(refusal(lookup("openai").unwrap(), "gpt-4o-mini", &png).is_none());
        let text = conv(&[("n.txt", b"hi".to_vec())]);
        assert!(refusal(lookup("openai").unwrap(), "gpt-3.5-turbo", &text).is_none());
    }

    #[test]
    fn sizes_are_checked_as_sent() {
        let mut big = PNG.to_vec();
        big.resize(4 * MIB as usize, b'x');
        // 4 MiB is 5.3 MiB of base64: over Anthropic's 5 MiB an image.
        let (m, _) = refusal(
            lookup("anthropic").unwrap(),
            "m",
            &conv(&[("big.png", big)]),
        )
        .unwrap();
        assert!(
            m.contains("big.png is 5.3 MiB") && m.contains("5.0 MiB each"),
            "{m}"
        );
        let mut pdf = b"%PDF-1.4".to_vec();
        pdf.resize(8 * MIB as usize, b'x');
        let three = conv(&[
            ("a.pdf", pdf.clone()),
            ("b.pdf", pdf.clone()),
            ("c.pdf", pdf),
        ]);
        let (m, _) = refusal(lookup("openai").unwrap(), "m", &three).unwrap();
        assert!(
            m.contains("a.pdf, b.pdf, c.pdf are 32.0 MiB together"),
            "{m}"
        );
        let (m, _) = refusal(lookup("gemini").unwrap(), "m", &three).unwrap();
        assert!(m.contains("at most 20.0 MiB of attachments"), "{m}");
    }
}
