//! The ebpf-capture file format, version 1: the one definition that ebpf-capture writes with
//! and agaudit reads with.
//!
//! A file is the 8-byte magic `AGCAPT\x00\x01` followed by records. Each record is a u32
//! little-endian length (of what follows it), a kind byte, and the kind's payload. The first
//! record is the [`Header`]; the last, when the recorder stopped cleanly, is the [`Trailer`];
//! every other record is an [`Event`]. Records are appended one at a time and never rewritten,
//! so a recorder killed at any moment leaves a file whose complete records all read back, and
//! whose missing trailer (or cut last record) the reader reports instead of failing.
//!
//! Integers are little-endian; a string is a u32 byte length then UTF-8 bytes; a list is a u32
//! count then its items. An event's optional fields follow a u32 presence mask, in the order
//! of [`OPTIONAL_FIELDS`]. docs/formats.md describes the layout for other readers and
//! schemas/capture-format.json lists every field (generated from this crate).
//!
//! In: headers, events and trailers (write) or a file's bytes (read). Out: the other.

use std::fmt;

/// The first 8 bytes of every capture file.
pub const MAGIC: &[u8; 8] = b"AGCAPT\x00\x01";
/// This crate's format version (in the magic's last byte and the header).
pub const VERSION: u16 = 1;
/// The largest record a reader accepts; anything longer is corruption, not data.
pub const MAX_RECORD: u32 = 1 << 20;

const HEADER: u8 = 0;
const TRAILER: u8 = 255;

/// What a capture was and where: written once, first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub version: u16,
    pub tool_version: String,
    pub host: String,
    pub kernel_release: String,
    /// /proc/sys/kernel/random/boot_id: ties boot-clock timestamps to one boot.
    pub boot_id: String,
    /// CLOCK_BOOTTIME and CLOCK_REALTIME read together (ns): an event's UTC time is
    /// `wall_ns + (ts - boot_ns)`.
    pub boot_ns: u64,
    pub wall_ns: i64,
    /// What was followed: `command ARGV…`, `pid N`, or `cgroup PATH`.
    pub filter: String,
    /// Environment variable names recorded from exec (the allow list).
    pub env_allow: Vec<String>,
}

/// How a capture ended: written last on a clean stop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailer {
    /// Events written, per kind name.
    pub counts: Vec<(String, u64)>,
    /// Events the kernel could not hand over (ring buffer full): counted, never hidden.
    pub lost: u64,
    pub stopped_wall_ns: i64,
    /// Why it stopped: `exit` (the followed tree ended), `signal`, `duration`.
    pub reason: String,
}

/// The kinds of events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    #[default]
    Exec = 1,
    Fork = 2,
    Exit = 3,
    /// An open with write intent (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND).
    Open = 4,
    /// Writes to one file by one process, aggregated in the kernel (bytes and calls).
    Write = 5,
    Unlink = 6,
    Rename = 7,
    Truncate = 8,
    Chmod = 9,
    Connect = 10,
    /// sendto/sendmsg with a destination address.
    Send = 11,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Exec,
        Kind::Fork,
        Kind::Exit,
        Kind::Open,
        Kind::Write,
        Kind::Unlink,
        Kind::Rename,
        Kind::Truncate,
        Kind::Chmod,
        Kind::Connect,
        Kind::Send,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Exec => "exec",
            Kind::Fork => "fork",
            Kind::Exit => "exit",
            Kind::Open => "open",
            Kind::Write => "write",
            Kind::Unlink => "unlink",
            Kind::Rename => "rename",
            Kind::Truncate => "truncate",
            Kind::Chmod => "chmod",
            Kind::Connect => "connect",
            Kind::Send => "send",
        }
    }

    pub fn from_byte(b: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == b)
    }
}

/// A value as the format writes it: its name in docs/formats.md, and its encoding.
trait Wire: Sized {
    const NAME: &'static str;
    fn put(&self, o: &mut Out);
    fn get(i: &mut In<'_>) -> Result<Self, String>;
}

impl Wire for u16 {
    const NAME: &'static str = "u16";
    fn put(&self, o: &mut Out) {
        o.u16(*self)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        i.u16()
    }
}

impl Wire for u32 {
    const NAME: &'static str = "u32";
    fn put(&self, o: &mut Out) {
        o.u32(*self)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        i.u32()
    }
}

impl Wire for u64 {
    const NAME: &'static str = "u64";
    fn put(&self, o: &mut Out) {
        o.u64(*self)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        i.u64()
    }
}

impl Wire for i64 {
    const NAME: &'static str = "i64";
    fn put(&self, o: &mut Out) {
        o.i64(*self)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        i.i64()
    }
}

/// A wait status: written as its 32 bits.
impl Wire for i32 {
    const NAME: &'static str = "i32";
    fn put(&self, o: &mut Out) {
        o.u32(*self as u32)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        Ok(i.u32()? as i32)
    }
}

impl Wire for String {
    const NAME: &'static str = "string";
    fn put(&self, o: &mut Out) {
        o.str(self)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        i.str()
    }
}

impl Wire for Vec<String> {
    const NAME: &'static str = "list<string>";
    fn put(&self, o: &mut Out) {
        o.strs(self)
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        i.strs()
    }
}

impl Wire for Vec<(String, String)> {
    const NAME: &'static str = "list<string,string>";
    fn put(&self, o: &mut Out) {
        o.u32(self.len() as u32);
        for (k, v) in self {
            o.str(k);
            o.str(v);
        }
    }
    fn get(i: &mut In<'_>) -> Result<Self, String> {
        let n = i.u32()? as usize;
        (0..n).map(|_| Ok((i.str()?, i.str()?))).collect()
    }
}

/// Declares the event once: its fixed fields (always written, in order) and its optional
/// fields (after a u32 presence mask, bit i for the i-th), from which come the struct, the
/// field lists docs and schemas are made from, and the encoder and decoder.
macro_rules! event {
    (
        fixed { $( $(#[$fm:meta])* $f:ident: $ft:ty ),* $(,)? }
        optional { $( $(#[$om:meta])* $o:ident: $ot:ty ),* $(,)? }
    ) => {
        /// One thing a followed process did.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Event {
            pub kind: Option<Kind>,
            $( $(#[$fm])* pub $f: $ft, )*
            $( $(#[$om])* pub $o: Option<$ot>, )*
        }

        /// The fixed fields every event starts with, in encoding order, with their type.
        pub const FIXED_FIELDS: &[(&str, &str)] = &[$( (stringify!($f), <$ft as Wire>::NAME) ),*];

        /// The optional fields of an event, in encoding order, with their type.
        pub const OPTIONAL_FIELDS: &[(&str, &str)] = &[$( (stringify!($o), <$ot as Wire>::NAME) ),*];

        fn put_fields(e: &Event, o: &mut Out) {
            $( e.$f.put(o); )*
            let present = [$( e.$o.is_some() ),*];
            let mask = present
                .iter()
                .enumerate()
                .fold(0u32, |m, (i, p)| m | (u32::from(*p) << i));
            o.u32(mask);
            $( if let Some(v) = &e.$o { v.put(o); } )*
        }

        fn get_fields(kind: Kind, i: &mut In<'_>) -> Result<Event, String> {
            let mut e = Event {
                kind: Some(kind),
                $( $f: Wire::get(i)?, )*
                ..Event::default()
            };
            let mask = i.u32()?;
            if mask >> OPTIONAL_FIELDS.len() != 0 {
                return Err(format!("unknown optional fields in mask {mask:#x}"));
            }
            let mut bit = 0;
            $(
                if mask & (1 << bit) != 0 {
                    e.$o = Some(Wire::get(i)?);
                }
                bit += 1;
            )*
            let _ = bit;
            Ok(e)
        }
    };
}

event! {
    fixed {
        /// CLOCK_BOOTTIME, ns.
        ts: u64,
        pid: u32,
        tid: u32,
        ppid: u32,
        uid: u32,
        cgroup_id: u64,
        comm: String,
    }
    optional {
        /// The file (exec filename; opened, written, unlinked, truncated or chmod-ed path;
        /// rename's old path), absolute when it could be resolved.
        path: String,
        /// rename's new path.
        new_path: String,
        fd: i64,
        /// open flags (also on a write that is a whole open, writes and close: its open's, and
        /// the event's ts is then the open's).
        flags: u32,
        mode: u32,
        inode: u64,
        /// Aggregated writes: bytes and calls since the previous record for this (process, file).
        bytes: u64,
        calls: u64,
        /// truncate's length.
        length: i64,
        /// AF_INET (2) or AF_INET6 (10) for connect and send; AF_UNIX (1) with the path in addr.
        family: u16,
        addr: String,
        port: u16,
        /// The syscall's return value (negative errno on failure).
        result: i64,
        /// exit: the wait status.
        exit_status: i32,
        /// exec: argv (secret-scanned) and the allow-listed environment.
        argv: Vec<String>,
        env: Vec<(String, String)>,
        /// write: why it was flushed (close, exit, interval, stop).
        flush: String,
    }
}

/// A record read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Header(Header),
    Event(Event),
    Trailer(Trailer),
}

// ---- writing ----------------------------------------------------------------------------------

struct Out(Vec<u8>);

impl Out {
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn strs(&mut self, v: &[String]) {
        self.u32(v.len() as u32);
        for s in v {
            self.str(s);
        }
    }
}

fn framed(kind: u8, body: impl FnOnce(&mut Out)) -> Vec<u8> {
    let mut out = Out(vec![0, 0, 0, 0, kind]);
    body(&mut out);
    let len = (out.0.len() - 4) as u32;
    out.0[..4].copy_from_slice(&len.to_le_bytes());
    out.0
}

/// The magic and the header record: the start of a file.
pub fn encode_start(h: &Header) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend(framed(HEADER, |o| {
        o.u16(h.version);
        o.str(&h.tool_version);
        o.str(&h.host);
        o.str(&h.kernel_release);
        o.str(&h.boot_id);
        o.u64(h.boot_ns);
        o.i64(h.wall_ns);
        o.str(&h.filter);
        o.strs(&h.env_allow);
    }));
    bytes
}

/// One event record.
pub fn encode_event(e: &Event) -> Vec<u8> {
    framed(e.kind.map_or(0, |k| k as u8), |o| put_fields(e, o))
}

/// The trailer record: the end of a cleanly stopped capture.
pub fn encode_trailer(t: &Trailer) -> Vec<u8> {
    framed(TRAILER, |o| {
        o.u32(t.counts.len() as u32);
        for (k, n) in &t.counts {
            o.str(k);
            o.u64(*n);
        }
        o.u64(t.lost);
        o.i64(t.stopped_wall_ns);
        o.str(&t.reason);
    })
}

// ---- reading ----------------------------------------------------------------------------------

/// Why a part of a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// Byte offset of the record (or of the problem).
    pub offset: u64,
    /// 1-based record number (the header is record 1).
    pub record: u64,
    pub reason: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {} at byte {}: {}", self.record, self.offset, self.reason)
    }
}

/// Whether `bytes` start like a capture file.
pub fn is_capture(bytes: &[u8]) -> bool {
    bytes.len() >= 7 && bytes[..7] == MAGIC[..7]
}

struct In<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len()).ok_or_else(|| {
            format!(
                "expected {n} more bytes at payload offset {}, the record ends first",
                self.at
            )
        })?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap_or_default()))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or_default()))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default()))
    }
    fn i64(&mut self) -> Result<i64, String> {
        Ok(self.u64()? as i64)
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec())
            .map_err(|e| format!("a string is not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
    }
    fn strs(&mut self) -> Result<Vec<String>, String> {
        let n = self.u32()? as usize;
        (0..n).map(|_| self.str()).collect()
    }
    fn done(&self) -> Result<(), String> {
        if self.at == self.b.len() {
            Ok(())
        } else {
            Err(format!(
                "{} unexpected bytes after the last field",
                self.b.len() - self.at
            ))
        }
    }
}

fn decode(kind: u8, payload: &[u8]) -> Result<Record, String> {
    let mut i = In { b: payload, at: 0 };
    let record = match kind {
        HEADER => {
            let version = i.u16()?;
            if version != VERSION {
                return Err(format!(
                    "format version {version} is not one this reader knows ({VERSION}); use a matching agaudit"
                ));
            }
            Record::Header(Header {
                version,
                tool_version: i.str()?,
                host: i.str()?,
                kernel_release: i.str()?,
                boot_id: i.str()?,
                boot_ns: i.u64()?,
                wall_ns: i.i64()?,
                filter: i.str()?,
                env_allow: i.strs()?,
            })
        }
        TRAILER => {
            let n = i.u32()? as usize;
            let counts = (0..n)
                .map(|_| Ok((i.str()?, i.u64()?)))
                .collect::<Result<_, String>>()?;
            Record::Trailer(Trailer {
                counts,
                lost: i.u64()?,
                stopped_wall_ns: i.i64()?,
                reason: i.str()?,
            })
        }
        k => {
            let kind = Kind::from_byte(k).ok_or_else(|| format!("unknown record kind {k}"))?;
            Record::Event(get_fields(kind, &mut i)?)
        }
    };
    i.done()?;
    Ok(record)
}

/// What a reader found at the end of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The trailer was read and nothing follows it.
    Trailer,
    /// The file ends after a complete record, with no trailer: the recorder did not stop cleanly.
    NoTrailer,
    /// The file ends inside a record (`len` bytes from `offset`): cut while it was written.
    Cut { offset: u64, len: u64 },
}

/// Reads records one by one from a whole file. A record that cannot be decoded is returned as an
/// error and reading goes on with the next one (its length is known); a length that cannot be
/// trusted ends the reading with [`End::Cut`].
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    record: u64,
    end: Option<End>,
}

impl<'a> Reader<'a> {
    /// Checks the magic; the error says what was found instead.
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>, FormatError> {
        if !is_capture(bytes) {
            return Err(FormatError {
                offset: 0,
                record: 0,
                reason: "expected the capture magic AGCAPT\\0\\1 at the start: not an ebpf-capture file".into(),
            });
        }
        match bytes.get(7) {
            Some(&v) if v == MAGIC[7] => {}
            Some(&v) => {
                return Err(FormatError {
                    offset: 7,
                    record: 0,
                    reason: format!("capture format version {v} is not one this reader knows ({VERSION})"),
                });
            }
            None => {
                return Err(FormatError {
                    offset: 7,
                    record: 0,
                    reason: "the file ends inside the capture magic, before its format version byte".into(),
                });
            }
        }
        Ok(Reader {
            bytes,
            at: MAGIC.len(),
            record: 0,
            end: None,
        })
    }

    /// How the file ended; known once the iterator is exhausted.
    pub fn end(&self) -> Option<&End> {
        self.end.as_ref()
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.at as u64
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Record, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.end.is_some() {
            return None;
        }
        let rest = &self.bytes[self.at..];
        if rest.is_empty() {
            self.end = Some(End::NoTrailer);
            return None;
        }
        let cut = |this: &mut Self| {
            this.end = Some(End::Cut {
                offset: this.at as u64,
                len: rest.len() as u64,
            });
            None
        };
        if rest.len() < 5 {
            return cut(self);
        }
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap_or_default());
        if len == 0 || len > MAX_RECORD {
            self.record += 1;
            let e = FormatError {
                offset: self.at as u64,
                record: self.record,
                reason: format!(
                    "record length {len} is outside 1..={MAX_RECORD}: the rest of the file cannot be framed"
                ),
            };
            self.end = Some(End::Cut {
                offset: self.at as u64,
                len: rest.len() as u64,
            });
            return Some(Err(e));
        }
        if rest.len() < 4 + len as usize {
            return cut(self);
        }
        let offset = self.at as u64;
        self.record += 1;
        let kind = rest[4];
        let payload = &rest[5..4 + len as usize];
        self.at += 4 + len as usize;
        let decoded = decode(kind, payload).map_err(|reason| FormatError {
            offset,
            record: self.record,
            reason,
        });
        if self.record == 1 && !matches!(decoded, Ok(Record::Header(_))) {
            return Some(Err(FormatError {
                offset,
                record: 1,
                reason: "expected the header as the first record".into(),
            }));
        }
        if matches!(decoded, Ok(Record::Trailer(_))) {
            self.end = Some(if self.at == self.bytes.len() {
                End::Trailer
            } else {
                End::Cut {
                    offset: self.at as u64,
                    len: (self.bytes.len() - self.at) as u64,
                }
            });
        }
        Some(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (fuzz/artifacts/capture/crash-a645a672…, docs/fuzzing.md): a file of the
    /// first 7 magic bytes only passed the magic check and was indexed at byte 7.
    #[test]
    fn a_file_cut_inside_the_magic_is_an_error_not_a_panic() {
        let e = Reader::new(b"AGCAPT\x00").err().unwrap();
        assert!(e.reason.contains("ends inside the capture magic"), "{}", e.reason);
        assert!(
            Reader::new(b"AGCAPT\x00\x09")
                .err()
                .unwrap()
                .reason
                .contains("version 9")
        );
    }

    fn sample() -> (Header, Vec<Event>, Trailer) {
        let h = Header {
            version: VERSION,
            tool_version: "0.1.0".into(),
            host: "h".into(),
            kernel_release: "6.18".into(),
            boot_id: "b".into(),
            boot_ns: 10,
            wall_ns: 1_700_000_000_000_000_000,
            filter: "command sh -c true".into(),
            env_allow: vec!["AGENT_ID".into()],
        };
        let events = vec![
            Event {
                kind: Some(Kind::Exec),
                ts: 11,
                pid: 5,
                tid: 5,
                ppid: 1,
                comm: "sh".into(),
                path: Some("/bin/sh".into()),
                argv: Some(vec!["sh".into(), "-c".into()]),
                env: Some(vec![("AGENT_ID".into(), "a".into())]),
                result: Some(0),
                ..Event::default()
            },
            Event {
                kind: Some(Kind::Write),
                ts: 12,
                pid: 5,
                path: Some("/tmp/x".into()),
                fd: Some(3),
                inode: Some(99),
                bytes: Some(4096),
                calls: Some(1),
                flush: Some("close".into()),
                ..Event::default()
            },
            Event {
                kind: Some(Kind::Connect),
                ts: 13,
                pid: 5,
                family: Some(2),
                addr: Some("127.0.0.1".into()),
                port: Some(5432),
                result: Some(-111),
                exit_status: Some(-1),
                ..Event::default()
            },
        ];
        let t = Trailer {
            counts: vec![("exec".into(), 1)],
            lost: 2,
            stopped_wall_ns: 5,
            reason: "exit".into(),
        };
        (h, events, t)
    }

    fn file(h: &Header, events: &[Event], t: Option<&Trailer>) -> Vec<u8> {
        let mut b = encode_start(h);
        for e in events {
            b.extend(encode_event(e));
        }
        if let Some(t) = t {
            b.extend(encode_trailer(t));
        }
        b
    }

    #[test]
    fn round_trip() {
        let (h, events, t) = sample();
        let bytes = file(&h, &events, Some(&t));
        let mut r = Reader::new(&bytes).unwrap();
        let got: Vec<Record> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(got[0], Record::Header(h));
        assert_eq!(
            got[1..4],
            events.iter().cloned().map(Record::Event).collect::<Vec<_>>()[..]
        );
        assert_eq!(got[4], Record::Trailer(t));
        assert_eq!(r.end(), Some(&End::Trailer));
    }

    #[test]
    fn every_cut_leaves_the_complete_records_readable() {
        let (h, events, _) = sample();
        let bytes = file(&h, &events, None);
        let mut boundaries = vec![encode_start(&h).len()];
        for e in &events {
            boundaries.push(boundaries.last().unwrap() + encode_event(e).len());
        }
        for cut in MAGIC.len()..=bytes.len() {
            let mut r = Reader::new(&bytes[..cut]).unwrap();
            let ok = r.by_ref().filter(|x| x.is_ok()).count();
            let complete = boundaries.iter().filter(|&&b| b <= cut).count();
            assert_eq!(ok, complete, "cut at {cut}");
            let end = r.end().cloned().unwrap();
            if boundaries.contains(&cut) || cut == MAGIC.len() {
                assert_eq!(end, End::NoTrailer, "cut at {cut}");
            } else {
                assert!(matches!(end, End::Cut { .. }), "cut at {cut}: {end:?}");
            }
        }
    }

    #[test]
    fn a_corrupt_record_is_located_and_the_next_one_still_read() {
        let (h, events, t) = sample();
        let mut bytes = file(&h, &events, Some(&t));
        let second_event = encode_start(&h).len() + encode_event(&events[0]).len();
        bytes[second_event + 4] = 77; // unknown kind
        let results: Vec<_> = Reader::new(&bytes).unwrap().collect();
        let err = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!((err.record, err.offset), (3, second_event as u64));
        assert!(err.reason.contains("unknown record kind 77"));
        assert!(matches!(results.last(), Some(Ok(Record::Trailer(_)))));
        assert!(Reader::new(b"not a capture").is_err());
    }
}
