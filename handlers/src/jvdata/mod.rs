//! JV-Data records (docs/jvdata.md) parsed from their raw Shift_JIS (cp932) bytes by byte position.
//! Text fields are decoded one field at a time: slicing a decoded string by the byte positions
//! goes wrong after the first full-width character, which is the original app's bug.
//!
//! Parsing never panics: every slice is bounds-checked and a problem is an error that names the
//! record type, the field and its 1-based byte offset.

pub mod build;
pub mod codes;
pub mod corpus;
pub mod hr;
pub mod o1;
pub mod ra;
pub mod se;
#[cfg(test)]
mod tests;

/// What is wrong with a record, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record} record: field {field} at byte {offset}: {problem}")]
pub struct RecordError {
    pub record: &'static str,
    pub field: &'static str,
    /// 1-based, as docs/jvdata.md counts.
    pub offset: usize,
    pub problem: String,
}

/// The 27-byte header every record starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub record_type: String,
    /// データ区分 (docs/jvdata.md §6.10).
    pub data_kubun: char,
    pub make_date: String,
    /// The 16-digit race key YYYYMMDDJJKKHHRR.
    pub race_id: String,
}

impl Header {
    pub fn venue_code(&self) -> &str {
        &self.race_id[8..10]
    }

    pub fn race_number(&self) -> u8 {
        self.race_id[14..16].parse().unwrap_or(0)
    }
}

/// A record's bytes with bounds-checked, 1-based field access.
pub(crate) struct Fields<'a> {
    pub record: &'static str,
    pub bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Checks the record type and the exact length (CR LF included).
    pub fn new(
        record: &'static str,
        bytes: &'a [u8],
        length: usize,
    ) -> Result<Fields<'a>, RecordError> {
        let f = Fields { record, bytes };
        if bytes.len() != length {
            return Err(f.error(
                "record length",
                1,
                format!("expected {length} bytes, got {}", bytes.len()),
            ));
        }
        let id = f.raw("record type", 1, 2)?;
        if id != record.as_bytes() {
            return Err(f.error(
                "record type",
                1,
                format!("expected {record}, got {:?}", String::from_utf8_lossy(id)),
            ));
        }
        if &bytes[length - 2..] != b"\r\n" {
            return Err(f.error(
                "CR LF",
                length - 1,
                "the record does not end with CR LF".into(),
            ));
        }
        Ok(f)
    }

    pub fn error(&self, field: &'static str, offset: usize, problem: String) -> RecordError {
        RecordError {
            record: self.record,
            field,
            offset,
            problem,
        }
    }

    pub fn raw(
        &self,
        field: &'static str,
        start: usize,
        len: usize,
    ) -> Result<&'a [u8], RecordError> {
        let end = start + len - 1;
        if start == 0 || end > self.bytes.len() {
            return Err(self.error(
                field,
                start,
                format!("the record has only {} bytes", self.bytes.len()),
            ));
        }
        Ok(&self.bytes[start - 1..end])
    }

    /// Half-width text (ASCII), spaces trimmed.
    pub fn ascii(
        &self,
        field: &'static str,
        start: usize,
        len: usize,
    ) -> Result<String, RecordError> {
        let raw = self.raw(field, start, len)?;
        if !raw.is_ascii() {
            return Err(self.error(field, start, "expected half-width characters".into()));
        }
        Ok(String::from_utf8_lossy(raw).trim().to_string())
    }

    /// Shift_JIS text decoded on its own, full-width and half-width spaces trimmed.
    pub fn text(
        &self,
        field: &'static str,
        start: usize,
        len: usize,
    ) -> Result<String, RecordError> {
        let raw = self.raw(field, start, len)?;
        let (decoded, _, had_errors) = encoding_rs::SHIFT_JIS.decode(raw);
        if had_errors {
            return Err(self.error(field, start, "not valid Shift_JIS text".into()));
        }
        Ok(decoded
            .trim_matches(|c: char| c == ' ' || c == '\u{3000}')
            .to_string())
    }

    /// Digits; None when blank (all spaces, the initial value).
    pub fn number(
        &self,
        field: &'static str,
        start: usize,
        len: usize,
    ) -> Result<Option<u64>, RecordError> {
        let raw = self.raw(field, start, len)?;
        if raw.iter().all(|b| *b == b' ') {
            return Ok(None);
        }
        if !raw.iter().all(u8::is_ascii_digit) {
            return Err(self.error(
                field,
                start,
                format!("expected digits, got {:?}", String::from_utf8_lossy(raw)),
            ));
        }
        Ok(Some(
            raw.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')),
        ))
    }

    pub fn header(&self) -> Result<Header, RecordError> {
        let race_id = self.ascii("race id", 12, 16)?;
        if race_id.len() != 16 || !race_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error(
                "race id",
                12,
                format!("expected 16 digits, got {race_id:?}"),
            ));
        }
        Ok(Header {
            record_type: self.record.to_string(),
            data_kubun: self.raw("data kubun", 3, 1)?[0] as char,
            make_date: self.ascii("make date", 4, 8)?,
            race_id,
        })
    }
}

/// Any of the four record types, dispatched on the first two bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Ra(ra::Ra),
    Se(se::Se),
    O1(o1::O1),
    Hr(hr::Hr),
}

pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
    match bytes.get(..2) {
        Some(b"RA") => ra::parse(bytes).map(Record::Ra),
        Some(b"SE") => se::parse(bytes).map(Record::Se),
        Some(b"O1") => o1::parse(bytes).map(Record::O1),
        Some(b"HR") => hr::parse(bytes).map(Record::Hr),
        other => Err(RecordError {
            record: "JV-Data",
            field: "record type",
            offset: 1,
            problem: format!(
                "unknown record type {:?}",
                other.map(String::from_utf8_lossy)
            ),
        }),
    }
}
