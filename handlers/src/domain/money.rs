/// `12000` → `¥12,000`.
pub fn yen(amount: i64) -> String {
    let digits = amount.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}¥{out}", if amount < 0 { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::yen(12000), "¥12,000");
        assert_eq!(super::yen(100), "¥100");
        assert_eq!(super::yen(1234567), "¥1,234,567");
    }
}
