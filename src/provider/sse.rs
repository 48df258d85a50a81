//! A server-sent events decoder (the WHATWG "event stream" format), fed bytes as they arrive.
//!
//! Only what the families read is kept: each event's `data`. Event names, ids and `retry` are
//! parsed and ignored (the JSON inside says what each event is). Lines are split on bytes, which
//! is safe because CR, LF and `:` never occur inside a multi-byte UTF-8 sequence; each event's
//! data is checked as UTF-8 once, when it is dispatched.
//!
//! Where it is stricter or plainer than a browser: data that is not UTF-8 is an error rather
//! than replaced with U+FFFD (a reply is JSON that must not be silently altered), and a line
//! cut off by the end of the stream is dropped, as the spec says, so a stream cut mid-event ends
//! without that event.

/// The UTF-8 byte order mark, allowed once at the very start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes in, events out: [`Decoder::feed`] a chunk, then take events with
/// [`Decoder::next_event`] until it returns `None`.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    /// Bytes received and not yet consumed; `pos` is where unconsumed bytes start.
    buf: Vec<u8>,
    pos: usize,
    /// How far past `pos` is known to hold no line end: a line arriving in many small chunks is
    /// scanned once, not once per chunk.
    scanned: usize,
    /// Whether the start of the stream (and a BOM there) has been dealt with.
    started: bool,
    /// The last line ended with CR at the end of a chunk: an LF first in the next one is the
    /// rest of that line's CRLF, not an empty line.
    skip_lf: bool,
    /// The data buffer of the event being read: each `data` line's value and an LF.
    data: Vec<u8>,
    /// The event last dispatched, handed out by reference.
    event: Vec<u8>,
}

impl Decoder {
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete event's data, or `None` until more bytes are fed. An event whose data
    /// is not UTF-8 is an error; the decoder carries on after it.
    pub fn next_event(&mut self) -> Option<Result<&str, std::str::Utf8Error>> {
        if !self.started {
            let head = &self.buf[self.pos..];
            if head.len() < BOM.len() && BOM.starts_with(head) {
                // Maybe a BOM split over chunks: wait for the rest.
                return None;
            }
            if head.starts_with(BOM) {
                self.pos += BOM.len();
            }
            self.started = true;
        }
        loop {
            if self.skip_lf && self.pos < self.buf.len() {
                self.skip_lf = false;
                if self.buf[self.pos] == b'\n' {
                    self.pos += 1;
                }
            }
            let rest = &self.buf[self.pos..];
            let Some(end) =
                memchr::memchr2(b'\n', b'\r', &rest[self.scanned..]).map(|i| self.scanned + i)
            else {
                self.scanned = rest.len();
                return None;
            };
            self.scanned = 0;
            let after = match (rest[end], rest.get(end + 1)) {
                (b'\r', Some(b'\n')) => end + 2,
                (b'\r', None) => {
                    self.skip_lf = true;
                    end + 1
                }
                _ => end + 1,
            };
            let start = self.pos;
            self.pos += after;
            if end == 0 {
                if self.dispatch() {
                    return Some(std::str::from_utf8(&self.event));
                }
                continue;
            }
            let line = &self.buf[start..start + end];
            if line[0] == b':' {
                continue;
            }
            let (name, value) = match memchr::memchr(b':', line) {
                Some(colon) => {
                    let value = &line[colon + 1..];
                    (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
                }
                None => (line, &[][..]),
            };
            if name == b"data" {
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
        }
    }

    /// An empty line: the event read so far, if it has data, becomes `self.event`.
    fn dispatch(&mut self) -> bool {
        if self.data.is_empty() {
            return false;
        }
        self.data.pop();
        std::mem::swap(&mut self.data, &mut self.event);
        self.data.clear();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<Result<String, ()>> {
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c);
            while let Some(e) = d.next_event() {
                out.push(e.map(str::to_owned).map_err(|_| ()));
            }
        }
        out
    }

    fn ok(data: &[&str]) -> Vec<Result<String, ()>> {
        data.iter().map(|d| Ok((*d).to_owned())).collect()
    }

    #[test]
    fn the_spec_examples_decode_as_the_spec_says() {
        let stream = b"data: YHOO\ndata: +2\ndata: 10\n\n: test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n";
        assert_eq!(
            events(&[stream]),
            ok(&[
                "YHOO\n+2\n10",
                "first event",
                "second event",
                " third event"
            ])
        );
        assert_eq!(events(&[b"data\n\ndata\ndata\n\ndata:\n"]), ok(&["", "\n"]));
    }

    #[test]
    fn every_line_ending_ends_a_line_even_split_over_chunks() {
        assert_eq!(events(&[b"data: a\r\rdata: b\r\n\r\n"]), ok(&["a", "b"]));
        // CR ends the chunk: the LF after it is not a second, empty line.
        assert_eq!(events(&[b"data: a\r", b"\ndata: b\n\n"]), ok(&["a\nb"]));
        // A lone-CR stream's last event is dispatched without waiting for a byte that never
        // comes.
        assert_eq!(events(&[b"data: a\r\r"]), ok(&["a"]));
    }

    #[test]
    fn a_bom_is_skipped_only_at_the_start_even_split() {
        assert_eq!(events(&[b"\xEF\xBB\xBFdata: a\n\n"]), ok(&["a"]));
        assert_eq!(
            events(&[b"\xEF", b"", b"\xBB", b"\xBFdata: a\n\n"]),
            ok(&["a"])
        );
        // Later, it is a character of the field name, which is then no `data`.
        assert_eq!(events(&[b"data: a\n\n\xEF\xBB\xBFdata: b\n\n"]), ok(&["a"]));
    }

    #[test]
    fn data_that_is_not_utf8_is_an_error_and_a_cut_line_is_dropped() {
        assert_eq!(
            events(&[b"data: \xFF\n\ndata: b\n\n"]),
            vec![Err(()), Ok("b".into())]
        );
        assert_eq!(events(&[b"data: a\n\ndata: \xF0\x9F"]), ok(&["a"]));
    }
}
