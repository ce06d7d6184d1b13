//! Code tables of docs/jvdata.md §6, as the names people use.

/// トラックコード → 芝 / ダート / 障害 (§6.3: turf 10–22, dirt 23–26 and 29, sand 27–28 counted
/// as dirt, jump 51–59).
pub fn track_type(code: u64) -> Option<&'static str> {
    match code {
        10..=22 => Some("芝"),
        23..=29 => Some("ダート"),
        51..=59 => Some("障害"),
        _ => None,
    }
}

/// 馬場状態コード (§6.2).
pub fn going(code: u8) -> &'static str {
    match code {
        b'1' => "良",
        b'2' => "稍重",
        b'3' => "重",
        b'4' => "不良",
        _ => "",
    }
}

/// 天候コード (§6.2).
pub fn weather(code: u8) -> &'static str {
    match code {
        b'1' => "晴",
        b'2' => "曇",
        b'3' => "雨",
        b'4' => "小雨",
        b'5' => "雪",
        b'6' => "小雪",
        _ => "",
    }
}

/// グレードコード (§6.4) → what the API shows (`G1`, `G2`, `G3`, `L`, or empty).
pub fn grade(code: u8) -> &'static str {
    match code {
        b'A' => "G1",
        b'B' => "G2",
        b'C' => "G3",
        b'F' => "J・G1",
        b'G' => "J・G2",
        b'H' => "J・G3",
        b'L' => "L",
        _ => "",
    }
}

/// 競走種別コード (§6.5) → the age part of a race's name.
pub fn race_kind(code: u64) -> &'static str {
    match code {
        11 => "2歳",
        12 => "3歳",
        13 => "3歳以上",
        14 => "4歳以上",
        18 => "障害3歳以上",
        19 => "障害4歳以上",
        21 => "アラブ2歳",
        22 => "アラブ3歳",
        23 => "アラブ3歳以上",
        24 => "アラブ4歳以上",
        _ => "",
    }
}

/// 競走条件コード (§6.6) → the class part of a race's name.
pub fn race_condition(code: u64) -> String {
    match code {
        5 => "1勝クラス".into(),
        10 => "2勝クラス".into(),
        16 => "3勝クラス".into(),
        701 => "新馬".into(),
        702 => "未出走".into(),
        703 => "未勝利".into(),
        999 => "オープン".into(),
        n @ 1..=100 => format!("{}万円以下", n * 100),
        _ => String::new(),
    }
}

/// The name people use for a race without a special name: `3歳以上1勝クラス`.
pub fn condition_name(kind: u64, youngest_condition: u64) -> String {
    format!("{}{}", race_kind(kind), race_condition(youngest_condition))
}

/// 性別コード (§6.11).
pub fn sex(code: u8) -> &'static str {
    match code {
        b'1' => "牡",
        b'2' => "牝",
        b'3' => "セ",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_people_use() {
        assert_eq!(condition_name(13, 5), "3歳以上1勝クラス");
        assert_eq!(condition_name(11, 703), "2歳未勝利");
        assert_eq!(condition_name(12, 701), "3歳新馬");
        assert_eq!(condition_name(18, 703), "障害3歳以上未勝利");
        assert_eq!(condition_name(13, 999), "3歳以上オープン");
        assert_eq!(track_type(17), Some("芝"));
        assert_eq!(track_type(24), Some("ダート"));
        assert_eq!(track_type(54), Some("障害"));
        assert_eq!(track_type(0), None);
    }
}
