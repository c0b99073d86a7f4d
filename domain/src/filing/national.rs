//! Belgian national register numbers.

use crate::UnknownCode;

/// A Belgian national register number (11 digits, the last two a mod-97 check over the
/// first nine, with `2` prefixed for people born from 2000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalNumber(String);

impl NationalNumber {
    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        let error = || UnknownCode {
            kind: "national number",
            value: "<redacted>".to_owned(),
        };
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 11
            || raw
                .chars()
                .any(|c| !(c.is_ascii_digit() || " .-".contains(c)))
        {
            return Err(error());
        }
        let base: u64 = digits[..9].parse().map_err(|_| error())?;
        let check: u64 = digits[9..].parse().map_err(|_| error())?;
        let valid = |n: u64| 97 - n % 97 == check;
        if valid(base) || valid(2_000_000_000 + base) {
            Ok(Self(digits))
        } else {
            Err(error())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_are_checked() {
        // 85.07.30-033.28 (born 1985) and 17.07.30-033.84 (born 2017): valid checksums.
        assert!(NationalNumber::parse("85.07.30-033.28").is_ok());
        assert!(NationalNumber::parse("17073003384").is_ok());
        assert!(NationalNumber::parse("85073003329").is_err());
        assert!(NationalNumber::parse("850730").is_err());
        assert!(NationalNumber::parse("8507300332x").is_err());
        assert_eq!(NationalNumber::parse("1").unwrap_err().value, "<redacted>");
    }
}
