//! Kubernetes resource quantities (`200Gi`, `1.5T`, `500M`), in bytes, for the storage at risk.

/// Bytes in a quantity, or `None` when it is not one.
pub fn bytes(quantity: &str) -> Option<u128> {
    let q = quantity.trim();
    let split = q
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E')
        })
        .unwrap_or(q.len());
    // `1e3` is an exponent, but `1E` alone is the exa suffix: only a digit after `e` makes it one.
    let (number, suffix) = q.split_at(split);
    let (number, suffix) = match number.rfind(['e', 'E']) {
        Some(at) if !number[at + 1..].chars().any(|c| c.is_ascii_digit()) => {
            (&number[..at], &q[at..])
        }
        _ => (number, suffix),
    };
    let value: f64 = number.parse().ok()?;
    if value < 0.0 || !value.is_finite() {
        return None;
    }
    let factor: f64 = match suffix {
        "" => 1.0,
        "m" => 0.001,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    Some((value * factor).round() as u128)
}

/// Bytes in binary units, as a person reads them: `600Gi`, `1.5Ti`.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["B", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if (value - value.round()).abs() < 0.05 {
        format!("{}{}", value.round() as u64, UNITS[unit])
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(bytes("200Gi"), Some(200 * 1024 * 1024 * 1024));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("1.5Ki"), Some(1536));
        assert_eq!(bytes("100"), Some(100));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("2E"), Some(2_000_000_000_000_000_000));
        assert_eq!(bytes("lots"), None);
        assert_eq!(human(600 * 1024 * 1024 * 1024), "600Gi");
        assert_eq!(human(1536), "1.5Ki");
    }
}
