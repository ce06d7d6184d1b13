//! Which glibc a Linux binary needs. Lambda's provided.al2023 runtime has glibc 2.34; a binary
//! linked against newer symbol versions fails at start with "version `GLIBC_2.3x' not found".

/// The highest `GLIBC_2.x` symbol version named in the binary, as (2, x).
pub fn required_glibc(binary: &[u8]) -> Option<(u32, u32)> {
    let needle = b"GLIBC_2.";
    let mut best: Option<(u32, u32)> = None;
    let mut i = 0;
    while let Some(pos) = find(&binary[i..], needle) {
        let start = i + pos + needle.len();
        let digits: Vec<u8> = binary[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        // Version names are NUL-terminated in .dynstr; `GLIBC_2.2.5` style names end at the minor.
        if let Ok(minor) = std::str::from_utf8(&digits).unwrap_or("").parse::<u32>() {
            best = best.max(Some((2, minor)));
        }
        i = start;
    }
    best
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Lambda's provided.al2023 glibc.
pub const LAMBDA_GLIBC: (u32, u32) = (2, 34);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_newest_version_needed() {
        let fake = b"\0libc.so.6\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_2.17\0";
        assert_eq!(required_glibc(fake), Some((2, 34)));
        assert_eq!(required_glibc(b"\0GLIBC_2.38\0GLIBC_2.3\0"), Some((2, 38)));
        assert_eq!(required_glibc(b"static binary"), None);
    }
}
