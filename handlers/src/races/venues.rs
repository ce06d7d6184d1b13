//! JRA venue codes (docs/api.md).

pub const VENUES: [(&str, &str); 10] = [
    ("01", "札幌"),
    ("02", "函館"),
    ("03", "福島"),
    ("04", "新潟"),
    ("05", "東京"),
    ("06", "中山"),
    ("07", "中京"),
    ("08", "京都"),
    ("09", "阪神"),
    ("10", "小倉"),
];

pub fn name(code: &str) -> Option<&'static str> {
    VENUES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// A venue given by name or code → its code.
pub fn code(name_or_code: &str) -> Option<&'static str> {
    VENUES
        .iter()
        .find(|(c, n)| *c == name_or_code || *n == name_or_code)
        .map(|(c, _)| *c)
}
