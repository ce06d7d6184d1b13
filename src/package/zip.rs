//! A byte-reproducible zip writer: fixed timestamps, fixed order, fixed permissions, so the same
//! binary always gives the same archive and the same `CodeSha256` (no spurious code updates).

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;

pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
    pub unix_mode: u32,
}

// 1980-01-01 00:00:00, the earliest MS-DOS time: nothing of the build machine's clock leaks in.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
// "Made by" Unix (3), zip spec 2.0, so the mode bits in the external attributes count.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
const VERSION_NEEDED: u16 = 20;
const DEFLATE: u16 = 8;

/// Writes `entries` (sorted by name) into a zip archive.
pub fn write(entries: &mut [Entry<'_>]) -> std::io::Result<Vec<u8>> {
    entries.sort_by(|a, b| a.name.cmp(b.name));
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries.iter() {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        enc.write_all(e.data)?;
        let packed = enc.finish()?;
        let crc = crc32fast::hash(e.data);
        let offset = out.len() as u32;
        let name = e.name.as_bytes();

        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&DEFLATE.to_le_bytes());
        out.extend_from_slice(&DOS_TIME.to_le_bytes());
        out.extend_from_slice(&DOS_DATE.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name);
        out.extend_from_slice(&packed);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&VERSION_MADE_BY.to_le_bytes());
        central.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&DEFLATE.to_le_bytes());
        central.extend_from_slice(&DOS_TIME.to_le_bytes());
        central.extend_from_slice(&DOS_DATE.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        central.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0u8; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&((0o100000 | e.unix_mode) << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]); // disk numbers
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_gives_the_same_bytes_and_python_can_read_it() {
        let data = b"#!/bin/sh\necho hi\n".repeat(50);
        let a = write(&mut [Entry {
            name: "bootstrap",
            data: &data,
            unix_mode: 0o755,
        }])
        .unwrap();
        let b = write(&mut [Entry {
            name: "bootstrap",
            data: &data,
            unix_mode: 0o755,
        }])
        .unwrap();
        assert_eq!(a, b);
        // Independent reader: the zip must open and give back the bytes and the mode.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, &a).unwrap();
        let check = std::process::Command::new("python3")
            .arg("-c")
            .arg("import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); i=z.getinfo('bootstrap'); print(oct(i.external_attr>>16)); sys.stdout.buffer.write(z.read('bootstrap'))")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let out = String::from_utf8(check.stdout).unwrap();
        let (mode, body) = out.split_once('\n').unwrap();
        assert_eq!(mode, "0o100755");
        assert_eq!(body.as_bytes(), &data[..]);
    }
}
